/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's SQLite file (see retailer-state.h); a state opened with a PostgreSQL
 * connection string hands every call to state-pg.c instead. Statements are
 * prepared once; the database handle is used by one thread at a time (the MQTT
 * client's callback thread, after the main thread opened it). SQLite result
 * codes are turned into errnos in one place, sq().
 */
#include "retailer/retailer-state.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/text.h"
#include "agent/db/sql-migrate.h"

#ifdef RETAILER_HAVE_LIBPQ
#include "retailer/state-pg.h"
/* A state opened with a connection string is PostgreSQL's: hand the call on.
 * Every public function starts with this; one that does not would run its
 * SQLite statements on a state that has none. */
#define ON_PG(s, call)                                                                 \
    do {                                                                               \
        if ((s)->pg != NULL)                                                           \
            return call;                                                               \
    } while (0)
#else
#define ON_PG(s, call) ((void)0)
#endif

static const char schema_v1[] =
    "CREATE TABLE device ("
    " device TEXT PRIMARY KEY,"
    " last_seq INTEGER NOT NULL);"
    "CREATE TABLE pin ("
    " device TEXT PRIMARY KEY,"
    " jwk TEXT NOT NULL,"
    " kid TEXT NOT NULL,"
    " pinned INTEGER NOT NULL);"
    "CREATE TABLE message ("
    " device TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('reorder', 'cancel')),"
    " order_id TEXT NOT NULL,"
    " seq INTEGER NOT NULL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),"
    " reason TEXT,"
    " detail TEXT,"
    " acks TEXT,"
    " token TEXT NOT NULL,"
    " received INTEGER NOT NULL,"
    " listener TEXT,"
    " resent INTEGER NOT NULL DEFAULT 0,"
    " last_resent INTEGER,"
    " PRIMARY KEY (device, kind, order_id));";

/*
 * Version 2: when an accepted message was handed off (written and flushed on
 * stdout), NULL until then. The accepted messages of a version-1 file were
 * printed when they were recorded (or lost by a failed write nobody saw):
 * they count as handed off, so an upgrade re-offers nothing; `export` finds
 * them again.
 */
static const char schema_v2[] =
    "ALTER TABLE message ADD COLUMN handed_off INTEGER;"
    "UPDATE message SET handed_off = received WHERE verdict = 'accepted';"
    "CREATE INDEX message_received ON message (received);";

/*
 * Version 3: an index of the accepted messages not handed off yet, per
 * listener, oldest first: the webhook's queue (state_pending_first). Partial,
 * so it holds only the queue, however long the table grows.
 */
static const char schema_v3[] =
    "CREATE INDEX message_pending ON message (listener, received) "
    "WHERE verdict = 'accepted' AND handed_off IS NULL;";

/*
 * Version 4: the table of device keys (keytab.h) and the operator's
 * enrolments, the rule under which a key from the key topic is taken.
 */
static const char schema_v4[] =
    "CREATE TABLE device_key ("
    " device TEXT NOT NULL,"
    " kid TEXT NOT NULL,"
    " jwk TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('enrolled', 'revoked')),"
    " valid_from INTEGER NOT NULL,"
    " valid_until INTEGER,"
    " source TEXT NOT NULL CHECK (source IN ('operator', 'key-topic', 'imported')),"
    " added INTEGER NOT NULL,"
    " revoked INTEGER,"
    " PRIMARY KEY (device, kid));"
    "CREATE TABLE enrolment ("
    " device TEXT PRIMARY KEY,"
    " kid TEXT,"
    " expires INTEGER,"
    " added INTEGER NOT NULL);";

/* Append-only: migrations[i] takes a file from version i to version i + 1, each
 * in its own transaction (agent/db/sql-migrate.h). */
static const char *const migrations[STATE_SCHEMA_VERSION] = {schema_v1, schema_v2,
                                                             schema_v3, schema_v4};

enum stmt {
    ST_BEGIN,
    ST_COMMIT,
    ST_ROLLBACK,
    ST_FIND,
    ST_RESENT,
    ST_LAST,
    ST_SET_LAST,
    ST_INSERT,
    ST_PIN_GET,
    ST_PIN_PUT,
    ST_HANDED_OFF,
    ST_ACCEPTED,
    ST_ACCEPTED_ONE,
    ST_PENDING_OTHERS,
    ST_COUNT
};

static const char *const stmt_sql[ST_COUNT] = {
    [ST_BEGIN] = "BEGIN IMMEDIATE",
    [ST_COMMIT] = "COMMIT",
    [ST_ROLLBACK] = "ROLLBACK",
    /* 1 when accepted, not handed off and recorded by ?4; 2 when by another */
    [ST_FIND] = "SELECT acks, token, CASE WHEN verdict = 'accepted' AND handed_off "
                "IS NULL THEN (CASE WHEN listener IS ?4 THEN 1 ELSE 2 END) ELSE 0 END "
                "FROM message WHERE device = ?1 AND kind = ?2 AND order_id = ?3",
    [ST_RESENT] = "UPDATE message SET resent = resent + 1, last_resent = ? WHERE "
                  "device = ? AND kind = ? AND order_id = ?",
    [ST_LAST] = "SELECT last_seq FROM device WHERE device = ?",
    [ST_SET_LAST] = "INSERT INTO device (device, last_seq) VALUES (?, ?) ON CONFLICT "
                    "(device) DO UPDATE SET last_seq = excluded.last_seq",
    [ST_INSERT] = "INSERT INTO message (device, kind, order_id, seq, verdict, reason, "
                  "detail, acks, token, received, listener) VALUES "
                  "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [ST_PIN_GET] = "SELECT jwk FROM pin WHERE device = ?",
    [ST_PIN_PUT] = "INSERT INTO pin (device, jwk, kid, pinned) VALUES (?, ?, ?, ?)",
    [ST_HANDED_OFF] = "UPDATE message SET handed_off = ? WHERE device = ? AND kind = ? "
                      "AND order_id = ? AND verdict = 'accepted'",
    /* ?1 since, ?2 only not handed off, ?3 listener or NULL, ?4-6 one message */
    [ST_ACCEPTED] = "SELECT kind, device, order_id, token, received, acks FROM message "
                    "WHERE verdict = 'accepted' AND received >= ?1 AND "
                    "(?2 = 0 OR handed_off IS NULL) AND "
                    "(?3 IS NULL OR listener IS ?3) AND "
                    "(?4 IS NULL OR (device = ?4 AND kind = ?5 AND order_id = ?6)) "
                    "ORDER BY received, rowid",
    /* The same for one message, by its key: the hand-off of every accepted
     * order asks this, and the OR above would scan the table each time. */
    [ST_ACCEPTED_ONE] = "SELECT kind, device, order_id, token, received, acks FROM "
                        "message WHERE device = ?4 AND kind = ?5 AND order_id = ?6 AND "
                        "verdict = 'accepted' AND received >= ?1 AND "
                        "(?2 = 0 OR handed_off IS NULL) AND "
                        "(?3 IS NULL OR listener IS ?3)",
    [ST_PENDING_OTHERS] = "SELECT count(*) FROM message WHERE verdict = 'accepted' "
                          "AND handed_off IS NULL AND listener IS NOT ?",
};

struct state {
    struct state_pg *pg; /* a PostgreSQL database, and then nothing else */
    sqlite3 *db;
    sqlite3_stmt *st[ST_COUNT];
    char err[256];
};

const char *
state_error(const struct state *s)
{
    ON_PG(s, state_pg_error(s->pg));
    return s->err;
}

/* The one translation of SQLite results: keeps the message, returns an errno. */
static int
sq(struct state *s, int rc, const char *what)
{
    if (rc == SQLITE_OK || rc == SQLITE_DONE || rc == SQLITE_ROW)
        return 0;
    snprintf(s->err, sizeof(s->err), "%s: %s", what,
             s->db ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc));
    if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED)
        return -EBUSY;
    if (rc == SQLITE_NOMEM)
        return -ENOMEM;
    return -EIO;
}

static int
exec(struct state *s, const char *sql)
{
    return sq(s, sqlite3_exec(s->db, sql, NULL, NULL, NULL), sql);
}

static int
step(struct state *s, enum stmt i)
{
    int rc = sqlite3_step(s->st[i]);

    if (rc == SQLITE_ROW)
        return 1;
    return sq(s, rc, stmt_sql[i]);
}

static sqlite3_stmt *
reset(struct state *s, enum stmt i)
{
    sqlite3_reset(s->st[i]);
    sqlite3_clear_bindings(s->st[i]);
    return s->st[i];
}

/* BEGIN IMMEDIATE: the write lock now, waiting up to the busy timeout. */
static int
begin(struct state *s)
{
    int r = step(s, ST_BEGIN);

    reset(s, ST_BEGIN);
    return r;
}

static void
rollback(struct state *s)
{
    step(s, ST_ROLLBACK);
    reset(s, ST_ROLLBACK);
}

static int
open_file(const char *path, bool create, struct state **out, char *err, size_t errlen)
{
    struct state *s = calloc(1, sizeof(*s));
    int r;

    *out = NULL;
    if (s == NULL)
        return -ENOMEM;
    if (state_db_is_pg(path)) {
#ifdef RETAILER_HAVE_LIBPQ
        if ((r = state_pg_open(path, !create, &s->pg, err, errlen)) < 0) {
            free(s);
            return r;
        }
        *out = s;
        return 0;
#else
        free(s);
        text_error(err, errlen,
                   "--db: a PostgreSQL connection string, and this "
                   "pantry-retailer was built without PostgreSQL (libpq)");
        return -ENOTSUP;
#endif
    }
    r = sq(s,
           sqlite3_open_v2(path, &s->db,
                           SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) |
                               SQLITE_OPEN_NOMUTEX,
                           NULL),
           "open");
    if (r < 0)
        goto out;
    sqlite3_busy_timeout(s->db, STATE_BUSY_TIMEOUT_MS);
    /* Switching to WAL takes an exclusive lock without calling the busy
     * handler: listeners of a group started together collide here, so retry
     * for as long as the busy timeout would have waited. */
    for (int waited = 0; (r = exec(s, "PRAGMA journal_mode = WAL")) == -EBUSY &&
                         waited < STATE_BUSY_TIMEOUT_MS;
         waited += 10)
        sqlite3_sleep(10);
    if (r < 0 || (r = exec(s, "PRAGMA synchronous = FULL")) < 0 ||
        (r = sql_migrate(s->db, migrations, STATE_SCHEMA_VERSION, "pantry-retailer",
                         s->err, sizeof(s->err))) < 0)
        goto out;
    for (int i = 0; i < ST_COUNT; i++)
        if ((r = sq(s, sqlite3_prepare_v2(s->db, stmt_sql[i], -1, &s->st[i], NULL),
                    stmt_sql[i])) < 0)
            goto out;
out:
    if (r < 0) {
        text_error(err, errlen, "database %s: %s", path, s->err);
        state_close(s);
        return r;
    }
    *out = s;
    return 0;
}

int
state_open(const char *path, struct state **out, char *err, size_t errlen)
{
    return open_file(path, true, out, err, errlen);
}

int
state_open_existing(const char *path, struct state **out, char *err, size_t errlen)
{
    return open_file(path, false, out, err, errlen);
}

void
state_close(struct state *s)
{
    if (s == NULL)
        return;
#ifdef RETAILER_HAVE_LIBPQ
    state_pg_close(s->pg);
#endif
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(s->st[i]);
    sqlite3_close(s->db);
    free(s);
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
    if (v == NULL)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_key(sqlite3_stmt *st, int first, const struct check_result *res)
{
    bind_text(st, first, res->device);
    bind_text(st, first + 1, payload_kind_to_str(res->kind));
    bind_text(st, first + 2, res->p.order_id);
}

/* A duplicate: its stored acks, and the count of re-sends. */
static int
duplicate(struct state *s, const struct check_result *res, const char *token,
          int64_t now_s, char **acks, int *same, int *pending)
{
    sqlite3_stmt *st = s->st[ST_FIND];
    const unsigned char *a = sqlite3_column_text(st, 0);
    const unsigned char *t = sqlite3_column_text(st, 1);

    *same = t != NULL && strcmp((const char *)t, token) == 0;
    *pending = sqlite3_column_int(st, 2);
    if (a != NULL && (*acks = strdup((const char *)a)) == NULL)
        return -ENOMEM;
    st = reset(s, ST_RESENT);
    sqlite3_bind_int64(st, 1, now_s);
    bind_key(st, 2, res);
    return step(s, ST_RESENT);
}

int
state_judge(struct state *s, struct check_result *res, const char *token, int64_t now_s,
            const char *listener, state_acks_fn *make_acks, void *arg, char **acks,
            int *same, int *pending)
{
    enum ledger_verdict v = LEDGER_REJECTED;
    int64_t last = 0;
    sqlite3_stmt *st;
    int r;

    ON_PG(s, state_pg_judge(s->pg, res, token, now_s, listener, make_acks, arg, acks,
                            same, pending));
    *acks = NULL;
    *same = 1;
    *pending = 0;
    if ((r = begin(s)) < 0)
        return r;
    st = reset(s, ST_FIND);
    bind_key(st, 1, res);
    bind_text(st, 4, listener);
    if ((r = step(s, ST_FIND)) < 0)
        goto out;
    if (r == 1) {
        v = LEDGER_DUPLICATE;
        if ((r = duplicate(s, res, token, now_s, acks, same, pending)) == 0)
            r = step(s, ST_COMMIT);
        goto out;
    }
    st = reset(s, ST_LAST);
    bind_text(st, 1, res->device);
    if ((r = step(s, ST_LAST)) < 0)
        goto out;
    if (r == 1)
        last = sqlite3_column_int64(st, 0);
    v = ledger_decide(res, false, last);
    if ((r = make_acks(arg, res, v, acks)) < 0)
        goto out;
    st = reset(s, ST_INSERT);
    bind_key(st, 1, res);
    sqlite3_bind_int64(st, 4, res->p.seq);
    bind_text(st, 5, ledger_verdict_to_str(v));
    bind_text(st, 6, v == LEDGER_ACCEPTED ? NULL : check_reason_to_str(res->reason));
    bind_text(st, 7, v == LEDGER_ACCEPTED ? NULL : res->detail);
    bind_text(st, 8, *acks);
    bind_text(st, 9, token);
    sqlite3_bind_int64(st, 10, now_s);
    bind_text(st, 11, listener);
    if ((r = step(s, ST_INSERT)) < 0)
        goto out;
    if (v == LEDGER_ACCEPTED) {
        st = reset(s, ST_SET_LAST);
        bind_text(st, 1, res->device);
        sqlite3_bind_int64(st, 2, res->p.seq);
        if ((r = step(s, ST_SET_LAST)) < 0)
            goto out;
    }
    r = step(s, ST_COMMIT);
    *pending = r == 0 && v == LEDGER_ACCEPTED ? STATE_PENDING_MINE : STATE_PENDING_NO;
out:
    for (int i = ST_FIND; i <= ST_INSERT; i++)
        reset(s, (enum stmt)i);
    reset(s, ST_COMMIT);
    if (r < 0) {
        rollback(s);
        free(*acks);
        *acks = NULL;
        return r;
    }
    return (int)v;
}

int
state_pin_get(struct state *s, const char *device, uint8_t pk[KEYS_PK_BYTES])
{
    ON_PG(s, state_pg_pin_get(s->pg, device, pk));
    sqlite3_stmt *st = reset(s, ST_PIN_GET);
    const unsigned char *jwk;
    int r;

    bind_text(st, 1, device);
    if ((r = step(s, ST_PIN_GET)) == 1) {
        jwk = sqlite3_column_text(st, 0);
        /* Written by state_pin_put from a parsed key: a bad one is a broken file. */
        if (jwk == NULL || keys_jwk_parse((const char *)jwk, strlen((const char *)jwk),
                                          pk, s->err, sizeof(s->err)) < 0)
            r = -EIO;
    }
    reset(s, ST_PIN_GET);
    return r;
}

int
state_pin_put(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
              int64_t now_s)
{
    uint8_t old[KEYS_PK_BYTES];
    char jwk[KEYS_JWK_MAX], kid[KEYS_B64_PK_LEN + 1];
    sqlite3_stmt *st;
    int r;

    ON_PG(s, state_pg_pin_put(s->pg, device, pk, now_s));
    if ((r = begin(s)) < 0)
        return r;
    if ((r = state_pin_get(s, device, old)) < 0)
        goto out;
    if (r == 1) {
        r = memcmp(old, pk, KEYS_PK_BYTES) == 0 ? 1 : -EEXIST;
        goto out;
    }
    keys_jwk(pk, jwk);
    keys_thumbprint(pk, kid);
    st = reset(s, ST_PIN_PUT);
    bind_text(st, 1, device);
    bind_text(st, 2, jwk);
    bind_text(st, 3, kid);
    sqlite3_bind_int64(st, 4, now_s);
    if ((r = step(s, ST_PIN_PUT)) < 0)
        goto out;
    r = step(s, ST_COMMIT);
out:
    reset(s, ST_PIN_PUT);
    reset(s, ST_COMMIT);
    if (r != 0)
        rollback(s); /* nothing was written, or the write failed */
    return r;
}

int
state_handed_off(struct state *s, enum payload_kind kind, const char *device,
                 const char *order_id, int64_t now_s)
{
    sqlite3_stmt *st;
    int r;

    ON_PG(s, state_pg_handed_off(s->pg, kind, device, order_id, now_s));
    /*
     * The mark alone may be lost to a power cut (WAL without its fsync: the
     * commit is safe from a crash of this process, not of the machine); then
     * the order is offered again at the next start, which the hand-off's
     * contract allows (at least once, the same bytes, keyed by order id). A
     * second fsync per order would halve the listener's rate for nothing.
     */
    if ((r = exec(s, "PRAGMA synchronous = NORMAL")) < 0)
        return r;
    st = reset(s, ST_HANDED_OFF);
    sqlite3_bind_int64(st, 1, now_s);
    bind_text(st, 2, device);
    bind_text(st, 3, payload_kind_to_str(kind));
    bind_text(st, 4, order_id);
    r = step(s, ST_HANDED_OFF);
    reset(s, ST_HANDED_OFF);
    int back = exec(s, "PRAGMA synchronous = FULL");
    return r < 0 ? r : back;
}

/* An accepted message from a row of (kind, device, order_id, token, received,
 * acks): 0, or -EIO for a row without its ids or token. */
static int
row_order(struct state *s, sqlite3_stmt *st, struct state_order *o)
{
    const char *kind = (const char *)sqlite3_column_text(st, 0);

    *o = (struct state_order){
        .kind = kind != NULL && strcmp(kind, "cancel") == 0 ? PAYLOAD_CANCEL
                                                            : PAYLOAD_REORDER,
        .device = (const char *)sqlite3_column_text(st, 1),
        .order_id = (const char *)sqlite3_column_text(st, 2),
        .token = (const char *)sqlite3_column_text(st, 3),
        .token_len = (size_t)sqlite3_column_bytes(st, 3),
        .received_s = sqlite3_column_int64(st, 4),
        .acks = (const char *)sqlite3_column_text(st, 5),
    };
    if (o->device == NULL || o->order_id == NULL || o->token == NULL) {
        snprintf(s->err, sizeof(s->err), "a message row without its ids or token");
        return -EIO;
    }
    return 0;
}

int
state_accepted_each(struct state *s, const struct state_filter *f, state_order_fn *fn,
                    void *arg)
{
    ON_PG(s, state_pg_accepted_each(s->pg, f, fn, arg));
    enum stmt id = f->device != NULL ? ST_ACCEPTED_ONE : ST_ACCEPTED;
    sqlite3_stmt *st = reset(s, id);
    int r;

    sqlite3_bind_int64(st, 1, f->since_s);
    sqlite3_bind_int(st, 2, f->pending_only);
    bind_text(st, 3, f->listener);
    bind_text(st, 4, f->device);
    bind_text(st, 5, f->device != NULL ? payload_kind_to_str(f->kind) : NULL);
    bind_text(st, 6, f->order_id);
    while ((r = step(s, id)) == 1) {
        struct state_order o;

        if ((r = row_order(s, st, &o)) < 0)
            break;
        if ((r = fn(arg, &o)) < 0)
            break;
    }
    reset(s, id);
    return r;
}

int
state_pending_others(struct state *s, const char *listener, long *n)
{
    ON_PG(s, state_pg_pending_others(s->pg, listener, n));
    sqlite3_stmt *st = reset(s, ST_PENDING_OTHERS);
    int r;

    bind_text(st, 1, listener);
    if ((r = step(s, ST_PENDING_OTHERS)) == 1) {
        *n = (long)sqlite3_column_int64(st, 0);
        r = 0;
    }
    reset(s, ST_PENDING_OTHERS);
    return r;
}

/* A statement prepared for one call (rare paths; the array above is for the hot
 * ones). */
static int
prepare_once(struct state *s, const char *sql, sqlite3_stmt **st)
{
    return sq(s, sqlite3_prepare_v2(s->db, sql, -1, st, NULL), sql);
}

int
state_refuse(struct state *s, enum payload_kind kind, const char *device,
             const char *order_id, const char *detail, state_refuse_acks_fn *make_acks,
             void *arg, char **acks)
{
    static const char find_sql[] =
        "SELECT seq FROM message WHERE device = ?1 AND kind = ?2 AND order_id = ?3 "
        "AND verdict = 'accepted' AND handed_off IS NULL";
    static const char refuse_sql[] =
        "UPDATE message SET verdict = 'rejected', reason = 'refused', detail = ?4, "
        "acks = ?5 WHERE device = ?1 AND kind = ?2 AND order_id = ?3";
    sqlite3_stmt *find = NULL, *upd = NULL;
    int r;

    ON_PG(s,
          state_pg_refuse(s->pg, kind, device, order_id, detail, make_acks, arg, acks));
    *acks = NULL;
    if ((r = begin(s)) < 0)
        return r;
    if ((r = prepare_once(s, find_sql, &find)) < 0 ||
        (r = prepare_once(s, refuse_sql, &upd)) < 0)
        goto out;
    bind_text(find, 1, device);
    bind_text(find, 2, payload_kind_to_str(kind));
    bind_text(find, 3, order_id);
    if ((r = sqlite3_step(find)) != SQLITE_ROW) {
        r = sq(s, r, find_sql); /* 0: no such message */
        goto out;
    }
    if ((r = make_acks(arg, sqlite3_column_int64(find, 0), acks)) < 0)
        goto out;
    bind_text(upd, 1, device);
    bind_text(upd, 2, payload_kind_to_str(kind));
    bind_text(upd, 3, order_id);
    bind_text(upd, 4, detail);
    bind_text(upd, 5, *acks);
    if ((r = sq(s, sqlite3_step(upd), refuse_sql)) < 0)
        goto out;
    if ((r = step(s, ST_COMMIT)) == 0)
        r = 1;
    reset(s, ST_COMMIT);
out:
    sqlite3_finalize(find);
    sqlite3_finalize(upd);
    if (r <= 0) {
        rollback(s);
        free(*acks);
        *acks = NULL;
    }
    return r;
}

int
state_pending_first(struct state *s, const char *listener, state_order_fn *fn,
                    void *arg)
{
    /* The WHERE repeats the index's own, so SQLite can use it. */
    static const char sql[] =
        "SELECT kind, device, order_id, token, received, acks FROM message "
        "INDEXED BY message_pending WHERE listener = ?1 AND verdict = 'accepted' "
        "AND handed_off IS NULL ORDER BY received, rowid LIMIT 1";
    sqlite3_stmt *st = NULL;
    int r;

    ON_PG(s, state_pg_pending_first(s->pg, listener, fn, arg));
    if ((r = prepare_once(s, sql, &st)) < 0)
        return r;
    bind_text(st, 1, listener);
    if ((r = sqlite3_step(st)) != SQLITE_ROW) {
        r = sq(s, r, sql);
        goto out;
    }
    struct state_order o;

    if ((r = row_order(s, st, &o)) < 0)
        goto out;
    r = fn(arg, &o);
    if (r == 0)
        r = 1;
out:
    sqlite3_finalize(st);
    return r;
}

int
state_query(struct state *s, const char *sql, int nparams, const char *const *params,
            state_row_fn *fn, void *arg)
{
    const char *cols[16];
    sqlite3_stmt *st = NULL;
    char name[16];
    int r, n;

    ON_PG(s, state_pg_query(s->pg, sql, nparams, params, fn, arg));
    if ((r = prepare_once(s, sql, &st)) < 0)
        return r;
    for (int i = 0; i < nparams; i++) {
        snprintf(name, sizeof(name), "$%d", i + 1);
        int at = sqlite3_bind_parameter_index(st, name);
        if (at > 0)
            bind_text(st, at, params[i]);
    }
    n = sqlite3_column_count(st);
    if (n > (int)(sizeof(cols) / sizeof(cols[0]))) {
        r = -EINVAL;
        goto out;
    }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        for (int i = 0; i < n; i++)
            cols[i] = (const char *)sqlite3_column_text(st, i);
        if (fn != NULL && (r = fn(arg, n, cols)) < 0)
            goto out;
    }
    r = sq(s, r, sql);
out:
    sqlite3_finalize(st);
    return r;
}

#ifdef RETAILER_HAVE_LIBPQ
struct tx_call {
    struct state *s;
    state_tx_fn *body;
    void *arg;
};

static int
tx_call(void *arg)
{
    struct tx_call *t = arg;

    return t->body(t->s, t->arg);
}
#endif

int
state_tx(struct state *s, state_tx_fn *body, void *arg)
{
    int r;

#ifdef RETAILER_HAVE_LIBPQ
    if (s->pg != NULL) {
        struct tx_call t = {s, body, arg};
        return state_pg_tx(s->pg, tx_call, &t);
    }
#endif
    if ((r = begin(s)) < 0)
        return r;
    if ((r = body(s, arg)) >= 0) {
        int c = step(s, ST_COMMIT);
        reset(s, ST_COMMIT);
        if (c < 0)
            r = c;
    }
    if (r < 0)
        rollback(s);
    return r;
}
