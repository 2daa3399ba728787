/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The SQLite store's core (see store.h; schema and decisions in STORE.md): the
 * handle and its connection, every statement prepared once and cached in the
 * handle, every SQLite result code translated to an errno by sql_errno(), the
 * transactions, and opening (checked, configured, migrated) and closing. What
 * the store holds is in its other files, one concern each: store-schema.c (the
 * migrations), store-state.c (items, readings, models, history, views),
 * store-orders.c (orders and their outbox), store-prune.c (retention).
 */
#include "agent/store/store.h"
#include "agent/store/store-int.h"
#include "agent/store/store-io.h"
#include "agent/db/sql-migrate.h"
#include "sensors/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#define FILE_MODE 0640
#define PAGE_SIZE "1024"

/* ---- cached statements ---- */

/* queued_ms is the time of the transition to queued (none before). */
#define ORDER_COLS                                                                     \
    "order_id, item, state, packs, price_cents, reason, created_ms, updated_ms, seq, " \
    "message, detail, (SELECT t_ms FROM order_transitions AS q WHERE "                 \
    "q.order_id = orders.order_id AND q.to_state = 'queued'), coalesce(eta_ms, 0)"

static const char *const stmt_sql[S_COUNT] = {
    [S_VIEW_PUT] = "INSERT INTO item_views (item, t_ms, stock_mg, "
                   "uncertainty_mg, rate_ugpd, sigma_ugpd, runout_s, runout_lo_s, "
                   "runout_hi_s, lead_s, reorder_point_mg, verdict, fault) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13) "
                   "ON CONFLICT (item) DO UPDATE SET t_ms = ?2, stock_mg = ?3, "
                   "uncertainty_mg = ?4, rate_ugpd = ?5, sigma_ugpd = ?6, "
                   "runout_s = ?7, runout_lo_s = ?8, runout_hi_s = ?9, lead_s = ?10, "
                   "reorder_point_mg = ?11, verdict = ?12, fault = ?13",
    [S_VIEW_GET] = "SELECT t_ms, stock_mg, uncertainty_mg, rate_ugpd, sigma_ugpd, "
                   "runout_s, runout_lo_s, runout_hi_s, lead_s, reorder_point_mg, "
                   "verdict, fault FROM item_views WHERE item = ?",
    [S_META_PUT] = "INSERT INTO meta (key, value) VALUES (?1, ?2) "
                   "ON CONFLICT (key) DO UPDATE SET value = ?2",
    [S_META_GET] = "SELECT value FROM meta WHERE key = ?",
    [S_RESUME_PUT] = "INSERT OR REPLACE INTO resume (id, t_ms, format, state) "
                     "VALUES (1, ?1, ?2, ?3)",
    [S_RESUME_GET] = "SELECT t_ms, format, state FROM resume WHERE id = 1",
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SYNC_FULL] = "PRAGMA synchronous = FULL",
    [S_SYNC_NORMAL] = "PRAGMA synchronous = NORMAL",
    [S_ITEM_PUT] = "INSERT INTO items (id, name, sku, gtin, channel) "
                   "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (id) DO UPDATE SET "
                   "name = ?2, sku = ?3, gtin = ?4, channel = ?5",
    [S_ITEM_GET] = "SELECT id, name, sku, gtin, channel FROM items WHERE id = ?1",
    [S_ITEMS] = "SELECT id, name, sku, gtin, channel FROM items ORDER BY id",
    [S_CAL_ADD] = "INSERT INTO calibrations (item, t_ms, zero, span_raw, span_mg) "
                  "VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_CAL_LATEST] = "SELECT t_ms, zero, span_raw, span_mg FROM calibrations "
                     "WHERE item = ?1 ORDER BY t_ms DESC, rowid DESC LIMIT 1",
    [S_EVENT_ADD] = "INSERT INTO events (item, t_ms, kind, mg, channel, flags) "
                    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    [S_EVENTS] = "SELECT item, t_ms, kind, mg, channel, flags FROM events "
                 "WHERE t_ms >= ?2 AND t_ms < ?3 AND (?1 IS NULL OR item = ?1) "
                 "ORDER BY t_ms, rowid",
    [S_READING_PUT] = "INSERT INTO readings (start_ms, item, n, min_mg, max_mg, "
                      "mean_mg, uncertainty_mg) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                      "ON CONFLICT (start_ms, item) DO UPDATE SET n = ?3, "
                      "min_mg = ?4, max_mg = ?5, mean_mg = ?6, uncertainty_mg = ?7",
    [S_READINGS] = "SELECT start_ms, n, min_mg, max_mg, mean_mg, uncertainty_mg "
                   "FROM readings WHERE start_ms >= ?2 AND start_ms < ?3 "
                   "AND item = ?1 ORDER BY start_ms",
    [S_MODEL_PUT] = "INSERT INTO model_states (item, t_ms, format, size, state) "
                    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (item) DO UPDATE SET "
                    "t_ms = ?2, format = ?3, size = ?4, state = ?5",
    [S_MODEL_GET] = "SELECT t_ms, format, size, state FROM model_states "
                    "WHERE item = ?1",
    [S_ORDER_INSERT] = "INSERT INTO orders (order_id, item, state, packs, "
                       "price_cents, reason, created_ms, updated_ms, detail) "
                       "VALUES (?1, ?2, 'planned', ?3, ?4, ?5, ?6, ?6, ?7)",
    [S_TRANS_INSERT] = "INSERT INTO order_transitions (order_id, from_state, "
                       "to_state, t_ms, note) VALUES (?1, ?2, ?3, ?4, ?5)",
    [S_ORDER_STATE] = "SELECT state FROM orders WHERE order_id = ?1",
    [S_ORDER_MOVE] = "UPDATE orders SET state = ?3, updated_ms = ?4 "
                     "WHERE order_id = ?1 AND state = ?2",
    [S_ORDER_QUEUE] = "UPDATE orders SET state = 'queued', updated_ms = ?2, "
                      "seq = ?3, message = ?4 "
                      "WHERE order_id = ?1 AND state = 'planned'",
    [S_SEQ_GET] = "SELECT last FROM sequence WHERE device = ?1",
    [S_SEQ_MAX] = "SELECT coalesce(max(last), 0) FROM sequence",
    [S_SEQ_INSERT] = "INSERT INTO sequence (device, last) VALUES (?1, ?2)",
    [S_SEQ_SET] = "UPDATE sequence SET last = ?2 WHERE device = ?1",
    [S_ORDER_GET] = "SELECT " ORDER_COLS " FROM orders WHERE order_id = ?1",
    [S_ORDERS_OPEN] =
        "SELECT " ORDER_COLS " FROM orders WHERE state NOT IN " FINAL_STATES
        " AND (?1 IS NULL OR item = ?1) "
        "ORDER BY created_ms, rowid",
    [S_ORDERS_SINCE] = "SELECT " ORDER_COLS " FROM orders WHERE created_ms >= ?2 "
                       "AND (?1 IS NULL OR item = ?1) ORDER BY created_ms, rowid",
    [S_ORDERS_COUNTED] = "SELECT count(*), coalesce(sum(packs * price_cents), 0) "
                         "FROM orders WHERE created_ms >= ?2 "
                         "AND (?1 IS NULL OR item = ?1) "
                         "AND state NOT IN ('cancelled', 'rejected') "
                         "AND NOT (state = 'expired' AND seq IS NULL)",
    [S_PENDING] = "SELECT 0, order_id, item, seq, message, state = 'published' "
                  "FROM orders WHERE state IN ('queued', 'published') "
                  "UNION ALL SELECT 1, c.order_id, o.item, c.seq, c.message, "
                  "c.published_ms IS NOT NULL FROM cancels AS c JOIN orders AS o "
                  "USING (order_id) WHERE c.answered_ms IS NULL ORDER BY 4",
    [S_CANCEL_INSERT] = "INSERT INTO cancels (order_id, seq, message, created_ms) "
                        "VALUES (?1, ?2, ?3, ?4)",
    [S_CANCEL_PUBLISHED] = "UPDATE cancels SET published_ms = ?2 WHERE order_id = ?1 "
                           "AND published_ms IS NULL",
    [S_CANCEL_ANSWERED] = "UPDATE cancels SET answered_ms = ?2, answer = ?3, "
                          "published_ms = coalesce(published_ms, ?2) "
                          "WHERE order_id = ?1 AND answered_ms IS NULL",
    [S_CANCEL_GET] = "SELECT seq, published_ms, answered_ms, answer FROM cancels "
                     "WHERE order_id = ?1",
    [S_ORDER_ETA] = "UPDATE orders SET eta_ms = ?2 WHERE order_id = ?1",
    [S_HISTORY] =
        "SELECT k, t, item, oid, a, b, note, mg, ch, fl FROM ("
        "SELECT 0 AS k, tr.t_ms AS t, o.item AS item, tr.order_id AS oid, "
        "tr.from_state AS a, tr.to_state AS b, tr.note AS note, 0 AS mg, 0 AS ch, "
        "0 AS fl, tr.rowid AS r FROM order_transitions AS tr JOIN orders AS o "
        "USING (order_id) WHERE ?1 IS NULL OR o.item = ?1 "
        "UNION ALL SELECT 1, t_ms, item, NULL, kind, NULL, NULL, mg, channel, flags, "
        "rowid FROM events WHERE ?1 IS NULL OR item = ?1 "
        "UNION ALL SELECT 2, t_ms, item, NULL, NULL, NULL, what, 0, 0, 0, rowid "
        "FROM audit WHERE ?1 IS NULL OR item = ?1"
        ") ORDER BY t DESC, k DESC, r DESC LIMIT ?2",
    [S_AUDIT_ADD] = "INSERT INTO audit (t_ms, item, what) VALUES (?1, ?2, ?3)",
};

/* ---- errors: SQLite result codes translated by sql_errno (sql-migrate.h) ---- */

/* Translate rc, keeping SQLite's message for store_errmsg(). */
int
store_fail_(struct store *db, int rc)
{
    int e = sql_errno(rc, db->sql != NULL ? sqlite3_system_errno(db->sql) : 0);
    snprintf(db->err, sizeof(db->err), "%s",
             db->sql != NULL ? sqlite3_errmsg(db->sql) : sqlite3_errstr(rc));
    return e != 0 ? e : -EIO;
}

/* A failure of our own: e (negative) with a message. */
int
store_failf_(struct store *db, int e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_verror(db->err, sizeof(db->err), fmt, ap);
    va_end(ap);
    return e;
}

/* For the store's other files (store-int.h). */
sqlite3 *
store_sql_(struct store *db)
{
    return db->sql;
}

sqlite3_stmt *
store_prepare_(struct store *db, const char *sql, int *e)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);

    if (rc != SQLITE_OK) {
        *e = store_fail_(db, rc);
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

bool
store_rdonly_(const struct store *db)
{
    return db->rdonly;
}

const char *
store_errmsg(const struct store *db)
{
    return db != NULL ? db->err : "no store";
}

/* ---- statement helpers ---- */

/* The cached statement id, prepared on first use; NULL with db->err on failure. */
sqlite3_stmt *
store_stmt_(struct store *db, enum stmt_id id, int *e)
{
    if (db->stmt[id] == NULL) {
        int rc = sqlite3_prepare_v3(db->sql, stmt_sql[id], -1,
                                    SQLITE_PREPARE_PERSISTENT, &db->stmt[id], NULL);
        if (rc != SQLITE_OK) {
            *e = store_fail_(db, rc);
            return NULL;
        }
    }
    return db->stmt[id];
}

/* Ready for the next use: no row pending (which would hold a read transaction). */
void
store_done_(sqlite3_stmt *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* Step a statement that returns no rows; reset it. */
int
store_run_(struct store *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int e = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : store_fail_(db, rc);
    store_done_(st);
    return e;
}

int
store_run_once_(struct store *db, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    int e = rc == SQLITE_DONE ? 0 : store_fail_(db, rc);
    sqlite3_finalize(st);
    return e;
}

/* Run a statement without parameters. */
int
store_run_id_(struct store *db, enum stmt_id id)
{
    int e = 0;
    sqlite3_stmt *st = store_stmt_(db, id, &e);
    return st != NULL ? store_run_(db, st) : e;
}

int
store_rows_end_(struct store *db, sqlite3_stmt *st, int e, int rc)
{
    if (e == 0 && rc != SQLITE_DONE)
        e = store_fail_(db, rc);
    store_done_(st);
    return e;
}

sqlite3_stmt *
store_range_stmt_(struct store *db, enum stmt_id id, const char *item, int64_t from_ms,
                  int64_t to_ms, int *e)
{
    sqlite3_stmt *st = store_stmt_(db, id, e);
    if (st == NULL)
        return NULL;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, from_ms);
    sqlite3_bind_int64(st, 3, to_ms);
    return st;
}

/* Bind text, NULL as SQL NULL. The string must outlive the step (all ours do). */
int
store_bind_text_(struct store *db, sqlite3_stmt *st, int i, const char *s)
{
    int rc = s != NULL ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
                       : sqlite3_bind_null(st, i);
    return rc == SQLITE_OK ? 0 : store_fail_(db, rc);
}

/* Copy column i into dst[cap]; -EIO if it does not fit (not ours, or corrupt). */
int
store_col_copy_(struct store *db, sqlite3_stmt *st, int i, char *dst, size_t cap)
{
    const unsigned char *s = sqlite3_column_text(st, i);
    size_t n = (size_t)sqlite3_column_bytes(st, i);
    if (s == NULL)
        n = 0;
    if (n >= cap)
        return store_failf_(db, -EIO, "%s: a value of %zu bytes is longer than %zu",
                            sqlite3_column_name(st, i), n, cap - 1);
    memcpy(dst, s != NULL ? (const char *)s : "", n);
    dst[n] = '\0';
    return 0;
}

bool
store_id_ok_(const char *s)
{
    return s != NULL && s[0] != '\0' && strnlen(s, STORE_ID_MAX) < STORE_ID_MAX;
}

bool
store_fits_(const char *s, size_t cap)
{
    return strnlen(s, cap) < cap;
}

int
store_bad_id_(struct store *db, const char *what)
{
    return store_failf_(db, -EINVAL, "%s must be 1 to %d bytes", what,
                        STORE_ID_MAX - 1);
}

/* ---- transactions ---- */

/* In a caller's batch (store_begin()): order functions refuse to run. */
bool
store_in_tx_(struct store *db)
{
    return !sqlite3_get_autocommit(db->sql);
}

/*
 * Start a write transaction of our own. full: synchronous=FULL until store_tx_end_(),
 * so the commit is on disk before the function returns (an order, a sequence
 * number): with NORMAL a power cut may lose the last commits in the WAL.
 */
int
store_tx_begin_(struct store *db, bool full)
{
    int e;
    if (store_in_tx_(db))
        return store_failf_(db, -EINVAL, "called inside store_begin()");
    if (full && (e = store_run_id_(db, S_SYNC_FULL)) < 0)
        return e;
    if ((e = store_run_id_(db, S_BEGIN)) < 0 && full)
        store_run_id_(db, S_SYNC_NORMAL);
    return e;
}

/* Commit when e is 0, else roll back; returns e or the commit's failure. */
int
store_tx_end_(struct store *db, int e, bool full)
{
    if (e == 0)
        e = store_run_id_(db, S_COMMIT);
    if (e < 0 && store_in_tx_(db)) {
        char keep[STORE_ERR_MAX];
        memcpy(keep, db->err, sizeof(keep));
        store_run_id_(db, S_ROLLBACK);
        memcpy(db->err, keep, sizeof(keep));
    }
    if (full)
        store_run_id_(db, S_SYNC_NORMAL);
    return e;
}

int
store_begin(struct store *db)
{
    if (store_in_tx_(db))
        return store_failf_(db, -EINVAL, "store_begin() inside a batch");
    return store_run_id_(db, S_BEGIN);
}

int
store_commit(struct store *db)
{
    /* SQLite rolls a transaction back by itself after some errors (full, I/O). */
    if (!store_in_tx_(db))
        return store_failf_(db, -EIO,
                            "no batch to commit (rolled back after an error?)");
    int e = store_run_id_(db, S_COMMIT);
    if (e < 0 && store_in_tx_(db)) {
        char keep[STORE_ERR_MAX];
        memcpy(keep, db->err, sizeof(keep));
        store_run_id_(db, S_ROLLBACK);
        memcpy(db->err, keep, sizeof(keep));
    }
    return e;
}

int
store_rollback(struct store *db)
{
    return store_in_tx_(db) ? store_run_id_(db, S_ROLLBACK) : 0;
}

int
store_checkpoint(struct store *db)
{
    int busy = 0, rc;
    rc = sqlite3_wal_checkpoint_v2(db->sql, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL,
                                   &busy);
    if (rc != SQLITE_OK)
        return store_fail_(db, rc);
    return busy ? store_failf_(db, -EBUSY,
                               "checkpoint incomplete: a reader holds the WAL")
                : 0;
}

/* ---- open, migrate, close ---- */

/* One-row, one-column integer query on the raw connection. */
int
store_query_int_(struct store *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, sql, -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    }
    int e = rc == SQLITE_OK ? 0 : store_fail_(db, rc);
    sqlite3_finalize(st);
    return e;
}

int
store_exec_(struct store *db, const char *sql)
{
    int rc = sqlite3_exec(db->sql, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? 0 : store_fail_(db, rc);
}

/* PRAGMA quick_check: "ok", or the first problem as the message. */
static int
quick_check(struct store *db)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db->sql, "PRAGMA quick_check(1)", -1, &st, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    int e = 0;
    if (rc == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(st, 0);
        if (r == NULL || strcmp(r, "ok") != 0) {
            e = store_failf_(db, -EIO, "integrity check failed: %s",
                             r != NULL ? r : "?");
            for (char *c = db->err; *c != '\0'; c++)
                if (*c == '\n')
                    *c = ' '; /* "*** in database main ***\nPage 5: ..." */
        }
    } else {
        e = store_fail_(db, rc);
    }
    sqlite3_finalize(st);
    return e;
}

/*
 * Create the file with mode 0640 before SQLite opens it (SQLite would use 0644
 * less the umask); the WAL and shared-memory files then get the same mode, as
 * SQLite copies the database file's. An existing file keeps its mode.
 */
static int
create_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, FILE_MODE);
    if (fd < 0)
        return errno == EEXIST ? 0 : -errno;
    int e = fchmod(fd, FILE_MODE) < 0 ? -errno : 0;
    close(fd);
    return e;
}

static void
copy_err(char *err, size_t errlen, const char *path, const char *msg)
{
    text_error(err, errlen, "%s: %s", path, msg);
}

/* A reader (pantryctl): the schema must be exactly ours; nothing is written. */
static int
open_rdonly(struct store *db)
{
    int64_t v;
    int e;
    if ((e = store_query_int_(db, "PRAGMA user_version", &v)) < 0 ||
        (e = store_exec_(db, "PRAGMA query_only = ON")) < 0)
        return e;
    if (v != STORE_SCHEMA_VERSION)
        return store_failf_(db, -EPROTO,
                            v > STORE_SCHEMA_VERSION
                                ? "schema version %lld is newer than this program's "
                                  "(%d): install a newer pantryctl"
                                : "schema version %lld, this program reads %d: start "
                                  "pantry-agent once to migrate it",
                            (long long)v, STORE_SCHEMA_VERSION);
    return 0;
}

/* The daemon: its pragmas, the page size of a new file, WAL mode, migrations. */
static int
open_writable(struct store *db)
{
    char *mode = NULL;
    int e, rc;
    /*
     * A 256 KiB page cache: the daemon's working set (today's readings,
     * the items, open orders) is far smaller, and SQLite's default of 2 MB
     * would be most of the daemon's memory (tests/agent/BENCH.md).
     */
    if ((e = store_exec_(db, "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; "
                             "PRAGMA cache_size = -256")) < 0)
        return e;
    /* Only an empty file takes a page size; WAL mode fixes it from then on. */
    int64_t pages = 0;
    if ((e = store_query_int_(db, "PRAGMA page_count", &pages)) < 0 ||
        (pages == 0 && (e = store_exec_(db, "PRAGMA page_size = " PAGE_SIZE)) < 0))
        return e;
    sqlite3_stmt *st = NULL;
    rc = sqlite3_prepare_v2(db->sql, "PRAGMA journal_mode = WAL", -1, &st, NULL);
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *m = (const char *)sqlite3_column_text(st, 0);
        mode = strdup(m != NULL ? m : "?");
        rc = SQLITE_OK;
    }
    e = rc == SQLITE_OK ? 0 : store_fail_(db, rc);
    sqlite3_finalize(st);
    if (e == 0 && (mode == NULL || strcmp(mode, "wal") != 0))
        e = store_failf_(db, -EIO, "cannot use WAL mode (journal mode is %s)",
                         mode != NULL ? mode : "?");
    free(mode);
    return e < 0 ? e : store_migrate_(db);
}

int
store_open(const char *path, unsigned flags, struct store **out, char *err,
           size_t errlen)
{
    struct store *db = NULL;
    int e;
    *out = NULL;
    if (path == NULL || (flags & ~STORE_RDONLY) != 0) {
        copy_err(err, errlen, path != NULL ? path : "(null)", "bad arguments");
        return -EINVAL;
    }
    db = calloc(1, sizeof(*db));
    if (db == NULL) {
        copy_err(err, errlen, path, "out of memory");
        return -ENOMEM;
    }
    db->rdonly = (flags & STORE_RDONLY) != 0;
    db->caps =
        (struct store_caps){STORE_CAP_READINGS, STORE_CAP_EVENTS, STORE_CAP_AUDIT,
                            STORE_CAP_CALIBRATIONS, STORE_CAP_FINAL_ORDERS};
    if (!db->rdonly && (e = create_file(path)) < 0) {
        store_failf_(db, e, "cannot create: %s", strerror(-e));
        goto error;
    }
    int oflags = db->rdonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE;
    int rc = sqlite3_open_v2(path, &db->sql, oflags | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        e = store_fail_(db, rc);
        if (e == -ENOENT)
            store_failf_(db, e,
                         "no store here (the daemon creates it on its first start)");
        goto error;
    }
    sqlite3_extended_result_codes(db->sql, 1);
    sqlite3_busy_timeout(db->sql, STORE_BUSY_TIMEOUT_MS);
    /* Commits counted for the daemon's figures of wear (store-io.h). */
    if (!db->rdonly)
        sqlite3_commit_hook(db->sql, store_io_commit_hook, NULL);

    if ((e = quick_check(db)) < 0) {
        if (e == -EIO && strstr(db->err, "integrity") == NULL) {
            char msg[STORE_ERR_MAX];
            snprintf(msg, sizeof(msg), "%s", db->err);
            store_failf_(db, e, "not a usable database (%s)", msg);
        }
        goto error;
    }
    if ((e = db->rdonly ? open_rdonly(db) : open_writable(db)) < 0)
        goto error;
    *out = db;
    return 0;

error:
    copy_err(err, errlen, path, db->err);
    store_close(db);
    return e;
}

void
store_close(struct store *db)
{
    if (db == NULL)
        return;
    for (size_t i = 0; i < S_COUNT; i++)
        sqlite3_finalize(db->stmt[i]);
    sqlite3_close(db->sql);
    free(db);
}
