/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the store's files share and nobody else may use: the handle itself, its
 * cache of prepared statements, the one translation of SQLite result codes, the
 * statement and transaction helpers (store.c), and the schema steps
 * (store-schema.c). Not part of the store's API (store.h). The side files
 * (store-away.c, store-grocy.c) use only the accessors at the end.
 */
#ifndef PANTRY_AGENT_STORE_INT_H
#define PANTRY_AGENT_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/store/store.h"

/* The final order states, for SQL: no transition leaves them. */
#define FINAL_STATES "('fulfilled', 'cancelled', 'rejected', 'expired')"

/* The cached statements, one SQL text each in store.c's stmt_sql[]. */
enum stmt_id {
    S_BEGIN,
    S_COMMIT,
    S_ROLLBACK,
    S_SYNC_FULL,
    S_SYNC_NORMAL,
    S_ITEM_PUT,
    S_ITEM_GET,
    S_ITEMS,
    S_CAL_ADD,
    S_CAL_LATEST,
    S_EVENT_ADD,
    S_EVENTS,
    S_READING_PUT,
    S_READINGS,
    S_MODEL_PUT,
    S_MODEL_GET,
    S_ORDER_INSERT,
    S_TRANS_INSERT,
    S_ORDER_STATE,
    S_ORDER_MOVE,
    S_ORDER_QUEUE,
    S_SEQ_GET,
    S_SEQ_MAX,
    S_SEQ_INSERT,
    S_SEQ_SET,
    S_ORDER_GET,
    S_ORDERS_OPEN,
    S_ORDERS_SINCE,
    S_ORDERS_COUNTED,
    S_PENDING,
    S_CANCEL_INSERT,
    S_CANCEL_PUBLISHED,
    S_CANCEL_ANSWERED,
    S_CANCEL_GET,
    S_ORDER_ETA,
    S_HISTORY,
    S_AUDIT_ADD,
    S_VIEW_PUT,
    S_VIEW_GET,
    S_META_PUT,
    S_META_GET,
    S_RESUME_PUT,
    S_RESUME_GET,
    S_COUNT,
};

struct store {
    sqlite3 *sql;
    sqlite3_stmt *stmt[S_COUNT];
    bool rdonly;
    struct store_caps caps;
    char device[STORE_ID_MAX]; /* "" until store_set_device() */
    char err[STORE_ERR_MAX];
};

/* rc (a SQLite result code) as a negative errno, its message kept for
 * store_errmsg(). */
int store_fail_(struct store *db, int rc);

/* A failure of our own: e (negative) with a message; returns e. */
int store_failf_(struct store *db, int e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The cached statement id, prepared on first use; NULL with the negative errno
 * in *e and the message in db->err on failure. */
sqlite3_stmt *store_stmt_(struct store *db, enum stmt_id id, int *e);

/* Ready for the next use: no row pending (which would hold a read transaction). */
void store_done_(sqlite3_stmt *st);

/* Step a statement that returns no rows; reset it. 0 or a negative errno. */
int store_run_(struct store *db, sqlite3_stmt *st);

/* Step a statement of store_prepare_ that returns no rows, and finalize it.
 * 0 or a negative errno; sqlite3_changes() and the last rowid stay readable. */
int store_run_once_(struct store *db, sqlite3_stmt *st);

/* Run a cached statement without parameters. */
int store_run_id_(struct store *db, enum stmt_id id);

/* The end of a loop over a statement's rows: e, the callback's answer, or the
 * error of a step (rc) that did not reach SQLITE_DONE; the statement reset. */
int store_rows_end_(struct store *db, sqlite3_stmt *st, int e, int rc);

/* A cached statement whose parameters are an item id (NULL for every item),
 * then a time range from_ms..to_ms; NULL with the error as store_stmt_. */
sqlite3_stmt *store_range_stmt_(struct store *db, enum stmt_id id, const char *item,
                                int64_t from_ms, int64_t to_ms, int *e);

/* Bind text, NULL as SQL NULL. The string must outlive the step (all ours do). */
int store_bind_text_(struct store *db, sqlite3_stmt *st, int i, const char *s);

/* Copy column i into dst[cap]; -EIO if it does not fit (not ours, or corrupt). */
int store_col_copy_(struct store *db, sqlite3_stmt *st, int i, char *dst, size_t cap);

/* s is an id: 1 to STORE_ID_MAX - 1 bytes. */
bool store_id_ok_(const char *s);

/* s fits a buffer of cap bytes with its NUL. */
bool store_fits_(const char *s, size_t cap);

/* -EINVAL: what (an id) is not 1 to STORE_ID_MAX - 1 bytes. */
int store_bad_id_(struct store *db, const char *what);

/* In a caller's batch (store_begin()): order functions refuse to run. */
bool store_in_tx_(struct store *db);

/*
 * Start a write transaction of our own. full: synchronous=FULL until
 * store_tx_end_(), so the commit is on disk before the function returns (an
 * order, a sequence number): with NORMAL a power cut may lose the last commits
 * in the WAL.
 */
int store_tx_begin_(struct store *db, bool full);

/* Commit when e is 0, else roll back; returns e or the commit's failure. */
int store_tx_end_(struct store *db, int e, bool full);

/* One-row, one-column integer query on the raw connection. */
int store_query_int_(struct store *db, const char *sql, int64_t *out);

/* Run SQL text (no rows, no parameters) on the raw connection. */
int store_exec_(struct store *db, const char *sql);

/*
 * Bring a writable store to STORE_SCHEMA_VERSION (store-schema.c): each missing
 * step in its own transaction; -EPROTO for a version newer than ours or
 * negative, with the message in db->err.
 */
int store_migrate_(struct store *db);

/* ---- for the side files (store-away.c, store-grocy.c) ---- */

/* The connection of db (never NULL for an open store). */
sqlite3 *store_sql_(struct store *db);

/* Prepare sql (not cached: for the store's side files); NULL with the
 * negative errno of store_fail_() in *e. */
sqlite3_stmt *store_prepare_(struct store *db, const char *sql, int *e);

/* Whether db was opened with STORE_RDONLY. */
bool store_rdonly_(const struct store *db);

#endif
