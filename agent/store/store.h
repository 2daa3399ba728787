/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store: the agent's one SQLite file (/var/lib/pantry-agent/pantry.db) and
 * everything that must survive a reboot or a crash: items, calibrations, stock
 * events, aggregated readings, learnt model states, orders with every state
 * transition, the per-device sequence number of signed messages, and an audit
 * log. The schema is versioned (PRAGMA user_version) and migrated step by step
 * at open; the database runs in WAL mode, with synchronous=NORMAL for readings
 * and events and FULL for order and sequence transactions. Schema, retention and
 * the reasons behind them: agent/STORE.md.
 *
 * Units: times are milliseconds since the Unix epoch (int64_t, *_ms), masses
 * milligrams (int64_t, *_mg), money cents (int64_t, *_cents).
 *
 * Errors: every function that can fail returns 0 (or a count, where said) or a
 * negative errno. SQLite's result codes are translated in one place:
 *
 *   SQLITE_BUSY, SQLITE_LOCKED        -EBUSY
 *   SQLITE_CORRUPT, SQLITE_NOTADB     -EIO     (and SQLITE_IOERR)
 *   SQLITE_FULL                       -ENOSPC
 *   SQLITE_READONLY                   -EROFS
 *   SQLITE_CONSTRAINT (unique, key)   -EEXIST
 *   SQLITE_CONSTRAINT (foreign key)   -ENOENT  (an unknown item)
 *   SQLITE_CONSTRAINT (check, ...)    -EINVAL
 *   SQLITE_NOMEM                      -ENOMEM
 *   SQLITE_CANTOPEN                   the system errno, else -ENOENT
 *   SQLITE_PERM, SQLITE_AUTH          -EACCES
 *   SQLITE_TOOBIG                     -E2BIG
 *
 * and the message (sqlite3_errmsg, or the store's own) is kept in the handle for
 * store_errmsg(). Nothing is printed: the caller decides how to report.
 *
 * Strings handed to the store are copied; strings in structs filled by the store
 * are fixed arrays owned by the struct, except those marked otherwise. A handle
 * is used by one thread at a time. Callbacks of list functions get rows that
 * live only during the call, and must not call the store with the same handle;
 * a callback returning non-zero stops the listing, and the list function returns
 * that value.
 */
#ifndef PANTRY_AGENT_STORE_H
#define PANTRY_AGENT_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/sensor.h"

struct cond_cal;

/* The schema version this code creates and reads (PRAGMA user_version). */
#define STORE_SCHEMA_VERSION 9

#define STORE_ID_MAX 64     /* item and order ids: 1..63 bytes, no NUL */
#define STORE_NAME_MAX 128  /* item display names, < 128 bytes */
#define STORE_SKU_MAX 64    /* retailer SKU, "" for none */
#define STORE_GTIN_MAX 16   /* GTIN-8/12/13/14 digits, "" for none */
#define STORE_REASON_MAX 16 /* "predicted", "button", "manual" */
#define STORE_NOTE_MAX 256  /* transition notes and audit text, longer is cut */
#define STORE_ERR_MAX 256   /* store_errmsg() at most */

/* A busy database (another process writing) is waited for this long. */
#define STORE_BUSY_TIMEOUT_MS 2000

/* store_prune() keeps orders for at least this long: caps and budgets need them. */
#define STORE_KEEP_MIN_MS (INT64_C(31) * 24 * 3600 * 1000)

/* Default row caps store_prune() enforces on top of the age limit (oldest go). */
#define STORE_CAP_READINGS 250000
#define STORE_CAP_EVENTS 250000
#define STORE_CAP_AUDIT 100000
#define STORE_CAP_CALIBRATIONS 10000
#define STORE_CAP_FINAL_ORDERS 10000

/* store_open() flags. */
#define STORE_RDONLY 0x1u /* pantryctl: read-only, never migrates */

struct store;

/*
 * Open (creating it with mode 0640 if missing, unless STORE_RDONLY) the store at
 * path, run PRAGMA quick_check, and migrate an older schema to
 * STORE_SCHEMA_VERSION, one step per transaction. With STORE_RDONLY nothing is
 * written: the file must exist and hold exactly STORE_SCHEMA_VERSION.
 *
 * Returns 0 and a handle in *out (free with store_close()), or a negative errno
 * with a message for the user in err (the path and what to do) and *out NULL:
 * -ENOENT (STORE_RDONLY and no file), -EIO (not a database, quick_check failed),
 * -EPROTO (schema newer than this program, or STORE_RDONLY and not current),
 * -EINVAL (bad flags), or any of the translated codes above.
 */
int store_open(const char *path, unsigned flags, struct store **out, char *err,
               size_t errlen);

/* Finalize the cached statements and close. db may be NULL. */
void store_close(struct store *db);

#define STORE_LOCK_PATH_MAX 4096

/*
 * The writer lock of the store at store_path (store-lock.c): an exclusive
 * flock() on store_path.lock (made with mode 0640 if missing), with this
 * process's pid written in it. Take it before store_open() and keep *fd open
 * for as long as the process writes the store; the kernel releases it at exit,
 * however the process ends. Returns 0 and the descriptor in *fd (the caller's,
 * close-on-exec), or a negative errno with a message for the user in err and *fd
 * -1: -EBUSY when another process holds it (err names the store, the lock file
 * and the holder's pid when it wrote one), -ENAMETOOLONG, or open()'s and
 * flock()'s errors.
 */
int store_lock(const char *store_path, int *fd, char *err, size_t errlen);

/* The message of the last failure on db ("" if none). Valid until the next call. */
const char *store_errmsg(const struct store *db);

/* The schema version of the open file (STORE_SCHEMA_VERSION after store_open()). */
int store_schema_version(struct store *db);

/*
 * The SQL of migration step version (1..STORE_SCHEMA_VERSION), which takes a
 * database from version - 1 to version; NULL outside that range. For tests that
 * build databases of earlier versions, and for documentation.
 */
const char *store_migration_sql(int version);

/*
 * Group writes of events, readings, model states, calibrations and audit rows
 * into one transaction (synchronous=NORMAL). Calls do not nest: store_begin()
 * inside a batch is -EINVAL, and so are the order functions, which run their own
 * transactions. store_rollback() without a batch is a no-op returning 0.
 */
int store_begin(struct store *db);
int store_commit(struct store *db);
int store_rollback(struct store *db);

/*
 * PRAGMA wal_checkpoint(TRUNCATE): copy the WAL into the database and truncate
 * it. The daemon calls it every few hours; -EBUSY while a reader holds the WAL.
 */
int store_checkpoint(struct store *db);

/* ---- items ---- */

struct store_item {
    char id[STORE_ID_MAX];     /* key, 1..63 bytes */
    char name[STORE_NAME_MAX]; /* display name */
    char sku[STORE_SKU_MAX];   /* "" for none */
    char gtin[STORE_GTIN_MAX]; /* "" for none */
    int32_t channel;           /* load-cell channel, -1 for none */
};

/* Insert or update (by id). -EINVAL for an empty id or a string without its NUL. */
int store_item_put(struct store *db, const struct store_item *it);

/* 0, or -ENOENT when there is no such item. */
int store_item_get(struct store *db, const char *id, struct store_item *out);

/* Every item, by id. */
int store_items(struct store *db, int (*cb)(const struct store_item *it, void *ctx),
                void *ctx);

/* ---- calibrations (latest wins) ---- */

/* Record a calibration of item at t_ms. -ENOENT for an unknown item. */
int store_cal_add(struct store *db, const char *item, int64_t t_ms,
                  const struct cond_cal *cal);

/* The latest calibration and its time (t_ms may be NULL); -ENOENT for none. */
int store_cal_latest(struct store *db, const char *item, struct cond_cal *out,
                     int64_t *t_ms);

/* ---- stock events ---- */

struct store_event {
    const char *item;      /* valid during the callback */
    struct stock_event ev; /* channel: as recorded */
};

/* Append one stock event of item (kind stored as stock_kind_to_str()). */
int store_event_add(struct store *db, const char *item, const struct stock_event *ev);

/*
 * Events of item (NULL: every item) with from_ms <= t_ms < to_ms, oldest first.
 * A row whose kind this program does not know is -EIO.
 */
int store_events(struct store *db, const char *item, int64_t from_ms, int64_t to_ms,
                 int (*cb)(const struct store_event *e, void *ctx), void *ctx);

/* ---- aggregated readings: one row per item per interval ---- */

struct store_reading {
    int64_t start_ms; /* start of the interval (the row's key with the item) */
    int64_t n;        /* samples aggregated, >= 1 */
    int64_t min_mg;   /* smallest, largest, mean net weight */
    int64_t max_mg;
    int64_t mean_mg;
    int64_t uncertainty_mg; /* of the mean, >= 0 */
};

/*
 * Write the row of item's interval starting at r->start_ms; a second write for
 * the same interval replaces it (the daemon may flush a partial interval).
 * -EINVAL for n < 1, min > max or a negative uncertainty.
 */
int store_reading_put(struct store *db, const char *item,
                      const struct store_reading *r);

/* Rows of item with from_ms <= start_ms < to_ms, oldest first. */
int store_readings(struct store *db, const char *item, int64_t from_ms, int64_t to_ms,
                   int (*cb)(const struct store_reading *r, void *ctx), void *ctx);

/* ---- model states: what was learnt, kept across reboots ---- */

/*
 * Store the caller's state of item (its struct fc, struct lead, ...: size bytes
 * at blob, 1..65536) learnt up to t_ms, tagged with the caller's format number.
 * Replaces the previous state. -ENOENT for an unknown item.
 */
int store_model_put(struct store *db, const char *item, int64_t t_ms, int32_t format,
                    const void *blob, size_t size);

/*
 * Read item's state into buf (exactly size bytes) and its time (t_ms may be
 * NULL). -ENOENT when there is none, -ESTALE when it was stored with another
 * format or size: the caller starts afresh (the next put replaces it).
 */
int store_model_get(struct store *db, const char *item, int32_t format, void *buf,
                    size_t size, int64_t *t_ms);

/*
 * Read item's state whatever its format: its format into *format, its bytes
 * into buf (at most cap) and their number into *len, its time into *t_ms (may be
 * NULL). -ENOENT when there is none, -E2BIG when it is larger than cap.
 */
int store_model_load(struct store *db, const char *item, int32_t *format, void *buf,
                     size_t cap, size_t *len, int64_t *t_ms);

/* ---- orders ---- */

/*
 * Order states, stored as text (store_order_state_to_str()). Transitions go
 * forward only; an order that was never queued was never sent, so it can only be
 * queued, cancelled or expired. queued is reached only by store_order_queue(),
 * which gives the order its sequence number and signed message.
 *
 *   from \ to     queued   published  acknowledged  fulfilled  cancelled  expired
 *                                                   rejected
 *   planned       queue()  -          -             -          yes        yes
 *   queued        -        yes        yes           yes        yes        yes
 *   published     -        -          yes           yes        yes        yes
 *   acknowledged  -        -          -             yes        yes        yes
 *   (final)       -        -          -             -          -          -
 *
 * Final states: fulfilled, cancelled, rejected, expired.
 */
enum store_order_state {
    ORDER_PLANNED,
    ORDER_QUEUED,
    ORDER_PUBLISHED,
    ORDER_ACKNOWLEDGED,
    ORDER_FULFILLED,
    ORDER_CANCELLED,
    ORDER_REJECTED,
    ORDER_EXPIRED,
};
#define ORDER_STATE_COUNT 8

/* "planned", "queued", ...; "?" for anything else. */
const char *store_order_state_to_str(enum store_order_state s);

/* The state named s (as above), or -EINVAL. */
int store_order_state_from_str(const char *s);

/* True for fulfilled, cancelled, rejected and expired. */
bool store_order_state_final(enum store_order_state s);

struct store_order {
    char order_id[STORE_ID_MAX]; /* unique, stable across re-sends */
    char item[STORE_ID_MAX];
    enum store_order_state state;
    int32_t packs;       /* >= 1 */
    int64_t price_cents; /* per pack, >= 0 (0: unknown) */
    char reason[STORE_REASON_MAX];
    int64_t created_ms;
    int64_t updated_ms; /* last transition */
    int64_t queued_ms;  /* when store_order_queue() queued it, 0 before */
    int64_t seq;        /* per-device sequence number, 0 before queued */
    /*
     * The signed JWS (NULL before queued) and the order's detail as JSON (NULL
     * for none). From store_order_get(), owned by the struct: free with
     * store_order_fini(). In callbacks: the store's, valid during the call.
     */
    char *message;
    char *detail_json;
    int64_t eta_ms; /* the retailer's expected delivery (shipped), 0: none */
};

/* Free the strings of a struct filled by store_order_get(); o may be NULL. */
void store_order_fini(struct store_order *o);

/*
 * Create order o->order_id of o->item in state planned at t_ms, with its first
 * transition row (from NULL to planned). Uses order_id, item, packs,
 * price_cents, reason and detail_json (valid JSON or NULL) of o; the rest is
 * ignored. -EEXIST if the id exists, -ENOENT for an unknown item, -EINVAL for
 * bad fields.
 */
int store_order_create(struct store *db, const struct store_order *o, int64_t t_ms);

/*
 * Move order_id from expected_from to to at t_ms, writing the transition row
 * with note (NULL for none), in one transaction with synchronous=FULL.
 * -ESTALE when the order is not in expected_from (nothing changes), -ENOENT for
 * no such order, -EINVAL for a transition the table above forbids.
 */
int store_order_transition(struct store *db, const char *order_id,
                           enum store_order_state expected_from,
                           enum store_order_state to, int64_t t_ms, const char *note);

/*
 * queued -> published after the broker's PUBACK, as store_order_transition()
 * but with synchronous=NORMAL: the one transition whose loss in a power cut
 * costs nothing (the order is queued again after the restart and its message
 * goes again with the same bytes; retailers drop the duplicate), so every
 * publish saves an fsync. Same errors.
 */
int store_order_published(struct store *db, const char *order_id, int64_t t_ms,
                          const char *note);

/*
 * Builds the message of an order for sequence number seq: sets *message to a
 * NUL-terminated string from malloc() (the store frees it, whatever happens) and
 * returns 0, or returns a negative errno.
 */
typedef int (*store_build_fn)(int64_t seq, void *ctx, char **message);

/*
 * The device whose sequence store_order_queue() advances (the configured device
 * id, 1..63 bytes). A device seen for the first time continues from the highest
 * number any device of this store reached, so numbers stay unique in the file.
 */
int store_set_device(struct store *db, const char *device_id);

/*
 * Queue a planned order: in one transaction with synchronous=FULL, take the
 * device's next sequence number (last + 1, persisted), call build(seq, ctx,
 * &message), store the message and seq, set the state queued and write the
 * transition. If build fails, nothing changes (the sequence number is not used
 * up) and its error is returned. -ESTALE if the order is not planned, -ENOENT
 * for no such order, -EINVAL without store_set_device().
 */
int store_order_queue(struct store *db, const char *order_id, int64_t t_ms,
                      store_build_fn build, void *ctx);

/*
 * Withdraw an order: move it from expected_from to `to` (cancelled or expired)
 * with its transition row and note, and, when it had been queued (it may have
 * left the device: queued, published or acknowledged) and build is not NULL,
 * take the device's next sequence number, build(seq, ctx, &message) the
 * signed cancel and store it in the cancel outbox, all in one transaction with
 * synchronous=FULL. *cancel_seq (may be NULL) gets the cancel's number, 0 when
 * none was made. If build fails nothing changes. -ESTALE when the order is not
 * in expected_from, -ENOENT for no such order, -EINVAL for another `to`, a
 * transition the table forbids, or a cancel without store_set_device().
 */
int store_order_withdraw(struct store *db, const char *order_id,
                         enum store_order_state expected_from,
                         enum store_order_state to, int64_t t_ms, const char *note,
                         store_build_fn build, void *ctx, int64_t *cancel_seq);

/* The retailer's expected delivery of order_id (a shipped ack), ms; -ENOENT. */
int store_order_set_eta(struct store *db, const char *order_id, int64_t eta_ms);

/* ---- the outbox: signed messages until the retailer answers them ---- */

enum store_msg_kind {
    STORE_MSG_REORDER, /* an order's signed reorder (orders.message) */
    STORE_MSG_CANCEL,  /* the signed cancel of a withdrawn order */
};

struct store_outmsg {
    enum store_msg_kind kind;
    const char *order_id; /* strings valid during the callback */
    const char *item;
    int64_t seq;
    const char *message; /* the signed JWS, exactly as it goes out every time */
    bool published;      /* the broker took it once (PUBACK) */
};

/*
 * Every message the retailer has not answered, by sequence number: reorders of
 * orders queued or published (an acknowledged, rejected or final order needs no
 * re-send), and cancels without an answer. The MQTT side sends them after every
 * (re)connect, with the same bytes and number.
 */
int store_outbox_pending(struct store *db,
                         int (*cb)(const struct store_outmsg *m, void *ctx), void *ctx);

/* The broker took the cancel of order_id (PUBACK); synchronous=NORMAL, as
 * store_order_published(). -ENOENT: no such unpublished cancel (a second PUBACK
 * changes nothing). */
int store_cancel_published(struct store *db, const char *order_id, int64_t t_ms);

/* The retailer answered the cancel: it cancelled the order, or refused (it had
 * shipped). -ENOENT: no unanswered cancel of order_id. */
int store_cancel_answered(struct store *db, const char *order_id, int64_t t_ms,
                          bool cancelled);

struct store_cancel {
    int64_t seq;
    int64_t published_ms, answered_ms; /* 0: not yet */
    bool answered, cancelled;          /* cancelled: the retailer confirmed */
};

/* The cancel of order_id; -ENOENT when it has none. */
int store_cancel_get(struct store *db, const char *order_id, struct store_cancel *out);

/*
 * store_order_create() and store_order_queue() in one transaction with
 * synchronous=FULL (one fsync where two would do the same): an order decided
 * and sent at once. Same arguments, same errors; on any failure nothing is
 * stored and no number is used.
 */
int store_order_create_queued(struct store *db, const struct store_order *o,
                              int64_t t_ms, store_build_fn build, void *ctx);

/* The last sequence number used by device_id (0 if none). */
int store_seq_last(struct store *db, const char *device_id, int64_t *last);

/* One order by id into out (free with store_order_fini()); -ENOENT for none. */
int store_order_get(struct store *db, const char *order_id, struct store_order *out);

/* Orders of item (NULL: all items) not in a final state, oldest first. */
int store_orders_open(struct store *db, const char *item,
                      int (*cb)(const struct store_order *o, void *ctx), void *ctx);

/* Orders of item (NULL: all items) created at or after since_ms, oldest first. */
int store_orders_since(struct store *db, const char *item, int64_t since_ms,
                       int (*cb)(const struct store_order *o, void *ctx), void *ctx);

/*
 * What counts against the caps and the budget: every order except those
 * cancelled or rejected, and those that expired before they were ever queued
 * (they never left the device). Of item (NULL: all items), created at or after
 * since_ms: their number in *count and the sum of packs * price_cents in
 * *cents (either may be NULL).
 */
int store_orders_counted(struct store *db, const char *item, int64_t since_ms,
                         int64_t *count, int64_t *cents);

/* ---- history ---- */

enum store_history_kind {
    HISTORY_TRANSITION, /* order_id, from (ORDER_STATE_COUNT: none), to, note */
    HISTORY_EVENT,      /* ev */
    HISTORY_AUDIT,      /* note */
};

struct store_history {
    enum store_history_kind kind;
    int64_t t_ms;
    const char *item;      /* NULL for audit rows without an item */
    const char *order_id;  /* transitions */
    int from, to;          /* enum store_order_state, transitions */
    const char *note;      /* transition note or audit text, NULL for none */
    struct stock_event ev; /* events */
};

/*
 * Transitions, stock events and audit rows of item (NULL: all, audit rows
 * without an item included), newest first, at most limit rows.
 */
int store_history(struct store *db, const char *item, int limit,
                  int (*cb)(const struct store_history *h, void *ctx), void *ctx);

/* ---- audit log ---- */

/* Append what (cut at STORE_NOTE_MAX - 1 bytes) about item (NULL: none) at t_ms. */
int store_audit(struct store *db, int64_t t_ms, const char *item, const char *what);

/* ---- the daemon's view of each item, and named counters ---- */

/*
 * The latest forecast and decision of an item, written by the daemon at each
 * review; pantryctl status shows it without asking the daemon.
 */
struct store_view {
    int64_t t_ms;                     /* of the review */
    int64_t stock_mg, uncertainty_mg; /* net stock >= 0 and its uncertainty >= 0 */
    int64_t rate_ugpd, sigma_ugpd;    /* consumption rate and its sd, ug/day */
    int64_t runout_s, runout_lo_s, runout_hi_s; /* s since the epoch, INT64_MAX never */
    int64_t lead_s;                             /* planned lead time */
    int64_t reorder_point_mg;                   /* of the policy */
    char verdict[16]; /* order_verdict_to_str(): "go", "not-needed", ... */
    bool fault;       /* the sensor was faulty */
};

/* Replace item's view (with the same transaction rules as events). */
int store_view_put(struct store *db, const char *item, const struct store_view *v);

/* Item's view; -ENOENT before the first review. */
int store_view_get(struct store *db, const char *item, struct store_view *out);

/* A named integer (key: 1..63 bytes), e.g. how far a replay got. */
int store_meta_put(struct store *db, const char *key, int64_t value);
/* -ENOENT when never set. */
int store_meta_get(struct store *db, const char *key, int64_t *value);

#define STORE_RESUME_MAX 262144 /* bytes of a resume state, at most */

/*
 * A replay's resume state (agent/pipeline/resume.h): text of 1..STORE_RESUME_MAX bytes
 * (not NUL-terminated; len counts them) in the caller's format, as of t_ms.
 * Replaces the previous one. 0 or a negative errno (-EINVAL: bad len).
 */
int store_resume_put(struct store *db, int64_t t_ms, int32_t format, const char *text,
                     size_t len);

/*
 * Read it into buf (cap bytes, NUL-terminated), its length into *len, its time
 * and format. -ENOENT when there is none, -E2BIG when it does not fit.
 */
int store_resume_get(struct store *db, int64_t *t_ms, int32_t *format, char *buf,
                     size_t cap, size_t *len);

/* ---- retention ---- */

/*
 * Delete readings, stock events, audit rows and superseded calibrations older
 * than now_ms - keep_ms, and orders in a final state (with their transitions)
 * last updated before then; never an order that is not final. Then enforce the
 * row caps (STORE_CAP_*, or store_set_caps()), oldest first. keep_ms below
 * STORE_KEEP_MIN_MS is -EINVAL. One transaction; *deleted (may be NULL) gets the rows
 * removed.
 */
int store_prune(struct store *db, int64_t now_ms, int64_t keep_ms, int64_t *deleted);

/* Row caps: rows kept per table at most (final orders: final orders kept). */
struct store_caps {
    int64_t readings;
    int64_t events;
    int64_t audit;
    int64_t calibrations; /* besides each item's latest, which always stays */
    int64_t final_orders;
};

/*
 * Replace the STORE_CAP_* defaults for this handle (a small device, a test).
 * -EINVAL when a cap is below 1.
 */
int store_set_caps(struct store *db, const struct store_caps *caps);

#endif
