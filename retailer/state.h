/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's memory, in one SQLite file shared by every listener of a
 * share group on this machine: each device's last sequence number, the keys
 * pinned on first use, and every identified message seen (device, kind, order
 * id, sequence number, verdict, reason, the acks sent, the token, when it came
 * and how often it came again). WAL, synchronous=FULL (a message the broker
 * was told we have must survive a power cut), busy_timeout, and a schema
 * version in PRAGMA user_version.
 *
 * The check-and-record of a message is one BEGIN IMMEDIATE transaction: the
 * write lock is taken before the message's triple is looked up, so two
 * listeners can never both find an order new and both accept it. At a
 * retailer's real scale the listeners run on many machines and share one
 * database server (PostgreSQL, SELECT ... FOR UPDATE or a unique insert in
 * one transaction) instead; that is out of scope here.
 */
#ifndef PANTRY_RETAILER_STATE_H
#define PANTRY_RETAILER_STATE_H

#include <stddef.h>
#include <stdint.h>

#include "keys.h"
#include "ledger.h"

#define STATE_SCHEMA_VERSION 1
#define STATE_BUSY_TIMEOUT_MS 10000

struct state;

/*
 * Open (creating it and its schema when new) the database at path. Returns 0
 * with *out, or a negative errno with a message in err: -EPROTO for a file of
 * a newer schema version, -EIO for anything SQLite refused.
 */
int state_open(const char *path, struct state **out, char *err, size_t errlen);

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
 * when a duplicate's token differs from the stored one. listener names who
 * recorded it. Returns the verdict, or -EBUSY (the lock was not had within the
 * busy timeout), -EIO, -ENOMEM or make_acks's error, nothing recorded then.
 */
int state_judge(struct state *s, struct check_result *res, const char *token,
                int64_t now_s, const char *listener, state_acks_fn *make_acks,
                void *arg, char **acks, int *same);

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

#endif
