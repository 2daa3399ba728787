/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's memory, in one SQLite file shared by every listener of a
 * share group on this machine: each device's last sequence number, the keys
 * pinned on first use, the table of device keys and the enrolments (keytab.h),
 * and every identified message seen (device, kind, order
 * id, sequence number, verdict, reason, the acks sent, the token, when it came
 * and how often it came again, and for an accepted one when it was handed off
 * on stdout). WAL, synchronous=FULL (a message the broker
 * was told we have must survive a power cut), busy_timeout, and a schema
 * version in PRAGMA user_version.
 *
 * The check-and-record of a message is one BEGIN IMMEDIATE transaction: the
 * write lock is taken before the message's triple is looked up, so two
 * listeners can never both find an order new and both accept it. At a
 * retailer's real scale the listeners run on many machines and share one
 * database server (PostgreSQL, SELECT ... FOR UPDATE or a unique insert in
 * one transaction) instead: state_open() given a connection string opens
 * that (state-pg.h), with the same API, schema and rules.
 */
#ifndef PANTRY_RETAILER_STATE_H
#define PANTRY_RETAILER_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/msg/keys.h"
#include "retailer/ledger.h"

#define STATE_SCHEMA_VERSION 4
#define STATE_BUSY_TIMEOUT_MS 10000

struct state;

enum state_pending {
    STATE_PENDING_NO,
    STATE_PENDING_MINE,
    STATE_PENDING_OTHER,
};

/*
 * Open (creating it and its schema when new) the database at path. Returns 0
 * with *out, or a negative errno with a message in err: -EPROTO for a file of
 * a newer schema version, -EIO for anything SQLite refused; for a PostgreSQL
 * connection string, -ENOTCONN when the server did not answer, or said it
 * was starting or shutting down, for STATE_BUSY_TIMEOUT_MS.
 */
int state_open(const char *path, struct state **out, char *err, size_t errlen);

/* The same for a file that must exist already (export); it may be migrated. */
int state_open_existing(const char *path, struct state **out, char *err, size_t errlen);

/* s may be NULL. */
void state_close(struct state *s);

/*
 * Make the acks for a verdict of a new message: *acks gets NULL (nothing to
 * send) or a malloc'd text of one ack per line, which is stored with the
 * message. Returns 0 or a negative errno.
 */
typedef int state_acks_fn(void *arg, const struct check_result *res,
                          enum ledger_verdict v, char **acks);

/*
 * Judge an identified result (ledger_identified) and record it, in one
 * transaction: the table of ledger.h with the database as the ledger. *acks
 * gets the acks to publish (malloc'd, one per line, or NULL): for a duplicate
 * the ones stored with the first sight, else what make_acks made. *same is 0
 * when a duplicate's token differs from the stored one. *pending says whether
 * the recorded message is accepted and not handed off yet (state_handed_off):
 * STATE_PENDING_MINE for a new accepted one, and for a duplicate of one this
 * listener recorded and never handed off (hand it off, then send its acks);
 * STATE_PENDING_OTHER for a duplicate of one another listener recorded and
 * has not handed off, maybe at this moment (send no acks: that listener
 * hands it off and answers, now or at its next start); else
 * STATE_PENDING_NO. listener names who records it (the MQTT client id).
 * Returns the verdict, or -EBUSY (the lock was not had within the busy
 * timeout), -EIO, -ENOMEM or make_acks's error, nothing recorded then.
 */
int state_judge(struct state *s, struct check_result *res, const char *token,
                int64_t now_s, const char *listener, state_acks_fn *make_acks,
                void *arg, char **acks, int *same, int *pending);

/*
 * Record that the accepted message (kind, device, order_id) was handed off at
 * now_s. Returns 0 (also when there is no such accepted message), -EBUSY or
 * -EIO.
 */
int state_handed_off(struct state *s, enum payload_kind kind, const char *device,
                     const char *order_id, int64_t now_s);

/* An accepted message as stored; the strings are valid during the call only. */
struct state_order {
    enum payload_kind kind;
    const char *device, *order_id;
    const char *token; /* as received, NUL-terminated */
    size_t token_len;
    int64_t received_s;
    const char *acks; /* the acks recorded with it, one per line, or NULL */
};

/* Which accepted messages state_accepted_each() reads. */
struct state_filter {
    int64_t since_s;      /* received at or after this */
    bool pending_only;    /* only those not handed off */
    const char *listener; /* only those this listener recorded; NULL: any */
    const char *device;   /* non-NULL: only (device, kind, order_id) */
    enum payload_kind kind;
    const char *order_id;
};

/* Returns 0 to go on, a negative errno to stop (which is returned). */
typedef int state_order_fn(void *arg, const struct state_order *o);

/*
 * Call fn for each accepted message that f lets through, oldest received
 * first. fn must not write to s. Returns 0, fn's error, -EBUSY or -EIO.
 */
int state_accepted_each(struct state *s, const struct state_filter *f,
                        state_order_fn *fn, void *arg);

/* How many accepted messages other listeners never handed off: 0, -EIO. */
int state_pending_others(struct state *s, const char *listener, long *n);

/* A pinned key: 1 with pk filled, 0 when device has none, or -EIO. */
int state_pin_get(struct state *s, const char *device, uint8_t pk[KEYS_PK_BYTES]);

/*
 * Pin pk for device unless a key is pinned already. Returns 0 when pinned now,
 * 1 when the same key was pinned before, -EEXIST when another key is pinned
 * (which stays), -EIO.
 */
int state_pin_put(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
                  int64_t now_s);

/* The last SQLite error message, for logs. */
const char *state_error(const struct state *s);

/*
 * The order system refused the accepted message (kind, device, order_id)
 * that was not handed off yet: in one transaction, read its sequence number,
 * have make_acks(arg, seq, acks) make the rejected acks, and turn the record
 * into a rejection (reason "refused", detail, those acks). The device's
 * sequence counter stays where the acceptance put it (the number was used).
 * Returns 1 with *acks (malloc'd, or NULL) when done, 0 when there is no such
 * message (handed off, or refused, already), -EBUSY, -EIO or make_acks's
 * error (nothing changed then).
 */
typedef int state_refuse_acks_fn(void *arg, int64_t seq, char **acks);
int state_refuse(struct state *s, enum payload_kind kind, const char *device,
                 const char *order_id, const char *detail,
                 state_refuse_acks_fn *make_acks, void *arg, char **acks);

/*
 * Call fn for the oldest accepted message listener recorded and has not
 * handed off (the webhook's queue, in the order accepted), through an index
 * of those alone: the cost does not grow with the messages handed off
 * before. fn must not write to s. Returns 1 when there was one (and fn
 * returned 0), 0 when there is none, fn's error, -EBUSY or -EIO.
 */
int state_pending_first(struct state *s, const char *listener, state_order_fn *fn,
                        void *arg);

/*
 * A small seam for modules that keep their own tables in the ledger (keytab.h)
 * and write their SQL once for both drivers: parameters are $1..$N, given as
 * text (NULL for SQL NULL; CAST($N AS BIGINT) where a number is meant), and
 * each row comes to fn as its columns' text (NULL for SQL NULL), valid during
 * the call. fn returns 0 to go on or a negative errno to stop (returned).
 * state_query returns 0, fn's error, -EBUSY, -EIO or -ENOMEM.
 */
typedef int state_row_fn(void *arg, int ncols, const char *const *cols);
int state_query(struct state *s, const char *sql, int nparams,
                const char *const *params, state_row_fn *fn, void *arg);

/*
 * Run body(s, arg) in one write transaction (SQLite: BEGIN IMMEDIATE;
 * PostgreSQL: run again whole after a serialization failure or a lost
 * connection, so body must only touch the database). body returns >= 0 to
 * commit (its value is returned) or a negative errno to roll back.
 */
typedef int state_tx_fn(struct state *s, void *arg);
int state_tx(struct state *s, state_tx_fn *body, void *arg);

/*
 * Whether --db's text db names a PostgreSQL database rather than a SQLite
 * file: it starts with postgresql:// or postgres://, or with KEY= (spaces
 * allowed around the =) where KEY is a libpq parameter (host, hostaddr, port,
 * dbname, user, password, passfile, service, sslmode, ...: state-db.c).
 */
bool state_db_is_pg(const char *db);

/*
 * db as it may be logged, in buf (truncated to len): a file path as it is, a
 * connection string only by its database, host, port and user, never its
 * password.
 */
void state_db_name(const char *db, char *buf, size_t len);

#endif
