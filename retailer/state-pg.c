/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's ledger on PostgreSQL (see state-pg.h). One connection, used
 * by one thread at a time like the SQLite handle. libpq results are turned
 * into errnos in one place, pq(); every message kept for the log goes through
 * keep(), which blanks the connection string's password should libpq ever
 * quote it. Each transaction is a body function run by tx(), which retries it
 * whole, on a new connection when the old one is gone.
 */
#include "retailer/state-pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensors/text.h"

/* The same tables as retailer-state.c's; rowid stands in for SQLite's own, the order
 * in which messages were recorded. */
static const char schema_v1[] =
    "CREATE TABLE device ("
    " device TEXT PRIMARY KEY,"
    " last_seq BIGINT NOT NULL);"
    "CREATE TABLE pin ("
    " device TEXT PRIMARY KEY,"
    " jwk TEXT NOT NULL,"
    " kid TEXT NOT NULL,"
    " pinned BIGINT NOT NULL);"
    "CREATE TABLE message ("
    " device TEXT NOT NULL,"
    " kind TEXT NOT NULL CHECK (kind IN ('reorder', 'cancel')),"
    " order_id TEXT NOT NULL,"
    " seq BIGINT NOT NULL,"
    " verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')),"
    " reason TEXT,"
    " detail TEXT,"
    " acks TEXT,"
    " token TEXT NOT NULL,"
    " received BIGINT NOT NULL,"
    " listener TEXT,"
    " resent BIGINT NOT NULL DEFAULT 0,"
    " last_resent BIGINT,"
    " rowid BIGSERIAL,"
    " PRIMARY KEY (device, kind, order_id));";

/* Version 2, as retailer-state.c's. */
static const char schema_v2[] =
    "ALTER TABLE message ADD COLUMN handed_off BIGINT;"
    "UPDATE message SET handed_off = received WHERE verdict = 'accepted';"
    "CREATE INDEX message_received ON message (received);";

/* Version 3, as retailer-state.c's: the webhook's queue, an index of the accepted
 * messages not handed off yet (state_pg_pending_first). */
static const char schema_v3[] =
    "CREATE INDEX message_pending ON message (listener, received, rowid) "
    "WHERE verdict = 'accepted' AND handed_off IS NULL;";

/* Version 4, as retailer-state.c's: the table of device keys and the enrolments. */
static const char schema_v4[] =
    "CREATE TABLE device_key ("
    " device TEXT NOT NULL,"
    " kid TEXT NOT NULL,"
    " jwk TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK (state IN ('enrolled', 'revoked')),"
    " valid_from BIGINT NOT NULL,"
    " valid_until BIGINT,"
    " source TEXT NOT NULL CHECK (source IN ('operator', 'key-topic', 'imported')),"
    " added BIGINT NOT NULL,"
    " revoked BIGINT,"
    " PRIMARY KEY (device, kid));"
    "CREATE TABLE enrolment ("
    " device TEXT PRIMARY KEY,"
    " kid TEXT,"
    " expires BIGINT,"
    " added BIGINT NOT NULL);";

/* Append-only: migrations[i] takes a database from version i to i + 1. */
static const char *const migrations[STATE_SCHEMA_VERSION] = {schema_v1, schema_v2,
                                                             schema_v3, schema_v4};

/* Listeners starting together serialise their migrations on this lock. */
#define MIGRATE_LOCK "7061727472657431" /* "pantret1" */

/*
 * The device's row, locked (made at last_seq 0 when new, which means what no
 * row means), and the message's row if it was recorded, in one round trip:
 * last_seq, then acks, token, pending (1 when accepted, not handed off and
 * recorded by $4; 2 when by another) or NULLs. The look-up's snapshot is the
 * statement's, taken before the lock was had: a row committed while this
 * waited is not seen, and the insert then hits the primary key (23505) and
 * the transaction runs again, seeing it.
 */
#define SQL_LOCK_FIND                                                                  \
    "WITH d AS (INSERT INTO device (device, last_seq) VALUES ($1, 0) ON CONFLICT "     \
    "(device) DO UPDATE SET last_seq = device.last_seq RETURNING last_seq) "           \
    "SELECT d.last_seq, m.acks, m.token, CASE WHEN m.verdict = 'accepted' AND "        \
    "m.handed_off IS NULL THEN (CASE WHEN m.listener IS NOT DISTINCT FROM $4 "         \
    "THEN 1 ELSE 2 END) ELSE 0 END FROM d LEFT JOIN message m ON m.device = $1 "       \
    "AND m.kind = $2 AND m.order_id = $3"
#define SQL_RESENT                                                                     \
    "UPDATE message SET resent = resent + 1, last_resent = $4 WHERE device = $1 "      \
    "AND kind = $2 AND order_id = $3"
/* The message's row, and for an accepted one the device's new last_seq. */
#define SQL_INSERT                                                                     \
    "WITH i AS (INSERT INTO message (device, kind, order_id, seq, verdict, "           \
    "reason, detail, acks, token, received, listener) VALUES ($1, $2, $3, $4, $5, "    \
    "$6, $7, $8, $9, $10, $11)) UPDATE device SET last_seq = $4 WHERE device = $1 "    \
    "AND $5 = 'accepted'"
#define SQL_COLUMNS "SELECT kind, device, order_id, token, received, acks FROM message "
#define SQL_ACCEPTED                                                                   \
    SQL_COLUMNS "WHERE verdict = 'accepted' AND received >= $1 AND ($2 = 0 OR "        \
                "handed_off IS NULL) AND ($3::text IS NULL OR listener = $3) "         \
                "ORDER BY received, rowid"
#define SQL_ACCEPTED_ONE                                                               \
    SQL_COLUMNS "WHERE device = $4 AND kind = $5 AND order_id = $6 AND verdict = "     \
                "'accepted' AND received >= $1 AND ($2 = 0 OR handed_off IS "          \
                "NULL) AND ($3::text IS NULL OR listener = $3)"

struct state_pg {
    PGconn *conn;
    bool in_tx;     /* in state_pg_tx's body: a query runs once, in it */
    char *password; /* from the connection string, to blank it in messages */
    char err[256];
};

const char *
state_pg_error(const struct state_pg *p)
{
    return p->err;
}

/* Keep a message for the log, with the password (if any) blanked out. */
static void
keep(struct state_pg *p, const char *what, const char *msg)
{
    char *at;
    size_t n;

    snprintf(p->err, sizeof(p->err), "%s: %s", what, msg);
    n = strlen(p->err);
    while (n > 0 && (p->err[n - 1] == '\n' || p->err[n - 1] == ' '))
        p->err[--n] = '\0';
    if (p->password == NULL || p->password[0] == '\0')
        return;
    while ((at = strstr(p->err, p->password)) != NULL)
        memset(at, '*', strlen(p->password));
}

/*
 * The one translation of libpq results: 0 for a command or rows, else an
 * errno with the message kept. -EAGAIN: worth running the transaction again
 * (serialization failure, deadlock, a unique key taken by a concurrent
 * transaction: the next run sees its row). -ENOTCONN: the connection is gone
 * (the server restarted or went away); again, after a reconnection.
 */
static int
pq(struct state_pg *p, PGresult *res, const char *what)
{
    ExecStatusType st = res != NULL ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    const char *code;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return 0;
    keep(p, what, res != NULL ? PQresultErrorMessage(res) : PQerrorMessage(p->conn));
    if (PQstatus(p->conn) != CONNECTION_OK)
        return -ENOTCONN;
    code = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (code == NULL)
        return res == NULL ? -ENOMEM : -EIO;
    if (strcmp(code, "40001") == 0 || strcmp(code, "40P01") == 0 ||
        strcmp(code, "23505") == 0)
        return -EAGAIN;
    /* 57P01-57P03: the server shuts down or is starting; 08: connection. */
    if (strncmp(code, "57P0", 4) == 0 || strncmp(code, "08", 2) == 0)
        return -ENOTCONN;
    if (strncmp(code, "53", 2) == 0) /* insufficient resources: later */
        return -EBUSY;
    return -EIO;
}

/* Run sql with text parameters (NULL for SQL NULL). 0 with *out (the caller
 * PQclear()s it) or pq()'s errno. */
static int
run(struct state_pg *p, const char *sql, int n, const char *const *v, PGresult **out)
{
    PGresult *res = PQexecParams(p->conn, sql, n, NULL, v, NULL, NULL, 0);
    int r = pq(p, res, sql);

    if (r < 0 || out == NULL)
        PQclear(res);
    else
        *out = res;
    return r;
}

/*
 * Two statements with text parameters in one round trip (libpq's pipeline
 * mode, one Sync after both): a judged message's BEGIN and first look-up,
 * then its write and COMMIT, are two round trips instead of four, which the
 * load test's profile showed as a good part of a listener's system time (a
 * send, polls and receives, and a context switch each). The second runs only
 * when the first succeeded: an error aborts the rest of the pipeline, and
 * leaves an explicit transaction failed for tx() to roll back. 0 with *out2
 * (when out2 is not NULL; the caller PQclear()s it), or pq()'s errno of the
 * first statement that failed. Without pipelining (libpq before 14), one
 * after the other.
 */
static int
run2(struct state_pg *p, const char *sql1, int n1, const char *const *v1,
     const char *sql2, int n2, const char *const *v2, PGresult **out2)
{
#ifdef LIBPQ_HAS_PIPELINING
    PGresult *res[2] = {NULL, NULL};
    const char *sql[2] = {sql1, sql2};
    int q = 0, r = 0;
    bool synced = false;

    if (out2 != NULL)
        *out2 = NULL;
    if (PQenterPipelineMode(p->conn) != 1)
        return pq(p, NULL, "entering pipeline mode");
    if (PQsendQueryParams(p->conn, sql1, n1, NULL, v1, NULL, NULL, 0) != 1 ||
        PQsendQueryParams(p->conn, sql2, n2, NULL, v2, NULL, NULL, 0) != 1 ||
        PQpipelineSync(p->conn) != 1) {
        r = pq(p, NULL, sql1);
        goto out;
    }
    /* Each statement's result then a NULL, then the Sync's: read up to the
     * Sync so that the connection is idle again, or until it is lost. */
    for (int guard = 0; guard < 16 && !synced; guard++) {
        PGresult *x = PQgetResult(p->conn);

        if (x == NULL) {
            if (PQstatus(p->conn) != CONNECTION_OK)
                break;
            q++;
            continue;
        }
        if (PQresultStatus(x) == PGRES_PIPELINE_SYNC) {
            synced = true;
            PQclear(x);
        } else if (q < 2 && res[q] == NULL) {
            res[q] = x;
        } else {
            PQclear(x);
        }
    }
    for (int i = 0; i < 2 && r == 0; i++)
        r = pq(p, res[i], sql[i]);
    if (r == 0 && !synced)
        r = pq(p, NULL, "reading a pipeline's end");
out:
    /* A pipeline that cannot be left (results still owed: a send failed
     * half-way) would refuse every later PQexec(): a new connection instead,
     * and the transaction runs again on it. */
    if (PQpipelineStatus(p->conn) != PQ_PIPELINE_OFF &&
        PQexitPipelineMode(p->conn) != 1) {
        keep(p, "leaving pipeline mode", PQerrorMessage(p->conn));
        PQreset(p->conn);
        r = -ENOTCONN;
    }
    PQclear(res[0]);
    if (r == 0 && out2 != NULL)
        *out2 = res[1];
    else
        PQclear(res[1]);
    return r;
#else
    int r = run(p, sql1, n1, v1, NULL);

    return r < 0 ? r : run(p, sql2, n2, v2, out2);
#endif
}

static int
exec(struct state_pg *p, const char *sql)
{
    PGresult *res = PQexec(p->conn, sql);
    int r = pq(p, res, sql);

    PQclear(res);
    return r;
}

static void
pause_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Connected, or reconnected now: 0 or -ENOTCONN. */
static int
connected(struct state_pg *p)
{
    if (PQstatus(p->conn) == CONNECTION_OK)
        return 0;
    PQreset(p->conn);
    if (PQstatus(p->conn) == CONNECTION_OK)
        return 0;
    keep(p, "reconnecting", PQerrorMessage(p->conn));
    return -ENOTCONN;
}

typedef int body_fn(struct state_pg *p, void *arg);

/*
 * Run body in a transaction (with_tx) or alone, again while it fails in a way
 * another run may not (pq()'s -EAGAIN and -ENOTCONN), for up to the busy
 * timeout in pauses of 20 ms doubling to 1 s. body returns >= 0 for success
 * (then the commit decides), < 0 to roll back. A commit whose answer was lost
 * with the connection may have happened: the run again then sees its rows,
 * which state_judge's duplicate rule answers. Returns body's result, or
 * -EBUSY when the retries ran out, or another errno.
 */
static int
tx(struct state_pg *p, bool with_tx, body_fn *body, void *arg)
{
    long waited = 0, pause = 20;
    int r;

    for (;;) {
        if ((r = connected(p)) == 0 && (!with_tx || (r = exec(p, "BEGIN")) == 0)) {
            r = body(p, arg);
            if (with_tx && r >= 0) {
                int c = exec(p, "COMMIT");
                r = c < 0 ? c : r;
            }
            /* A failed body, or a failed statement of a string of them. */
            if (r < 0 && PQstatus(p->conn) == CONNECTION_OK &&
                PQtransactionStatus(p->conn) != PQTRANS_IDLE)
                PQclear(PQexec(p->conn, "ROLLBACK"));
        }
        if (r != -EAGAIN && r != -ENOTCONN)
            return r;
        if (waited >= STATE_BUSY_TIMEOUT_MS)
            return -EBUSY;
        pause_ms(pause);
        waited += pause;
        pause = pause * 2 > 1000 ? 1000 : pause * 2;
    }
}

struct migrate_arg {
    bool existing;
    const char *name;
    char *err;
    size_t errlen;
};

/* Create the schema or bring it up to date, under an advisory lock. */
static int
migrate_body(struct state_pg *p, void *arg)
{
    struct migrate_arg *m = arg;
    PGresult *res;
    char sql[96];
    int v = 0, r;

    if ((r = exec(p, "SELECT pg_advisory_xact_lock(x'" MIGRATE_LOCK "'::bigint)")) < 0)
        return r;
    if ((r = run(p, "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL,
                 &res)) < 0)
        return r;
    bool have = strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    if (!have && m->existing) {
        text_error(m->err, m->errlen, "%s: no pantry-retailer tables in it", m->name);
        return -ENOENT;
    }
    if (!have && (r = exec(p, "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                              "INSERT INTO schema_version VALUES (0)")) < 0)
        return r;
    if ((r = run(p, "SELECT max(version) FROM schema_version", 0, NULL, &res)) < 0)
        return r;
    v = PQgetisnull(res, 0, 0) ? 0 : atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    if (v > STATE_SCHEMA_VERSION || v < 0) {
        text_error(m->err, m->errlen,
                   "%s: schema version %d was made by a newer pantry-retailer "
                   "(this one knows %d)",
                   m->name, v, STATE_SCHEMA_VERSION);
        return -EPROTO;
    }
    for (; v < STATE_SCHEMA_VERSION; v++)
        if ((r = exec(p, migrations[v])) < 0)
            return r;
    snprintf(sql, sizeof(sql), "UPDATE schema_version SET version = %d",
             STATE_SCHEMA_VERSION);
    return exec(p, sql);
}

int
state_pg_open(const char *conninfo, bool existing, struct state_pg **out, char *err,
              size_t errlen)
{
    struct state_pg *p = calloc(1, sizeof(*p));
    char name[200], *msg = NULL;
    PQconninfoOption *opts;
    struct migrate_arg m = {existing, name, err, errlen};
    int r = -EIO;

    *out = NULL;
    state_db_name(conninfo, name, sizeof(name));
    if (p == NULL)
        return -ENOMEM;
    /* libpq's own parse error may quote the string, password and all. */
    if ((opts = PQconninfoParse(conninfo, &msg)) == NULL) {
        PQfreemem(msg);
        text_error(err, errlen,
                   "--db: not a valid PostgreSQL connection string (a URI "
                   "postgresql://... or libpq's key=value pairs; libpq's message "
                   "is not shown, as it may quote a password)");
        free(p);
        return -EINVAL;
    }
    for (PQconninfoOption *o = opts; o->keyword != NULL; o++)
        if (strcmp(o->keyword, "password") == 0 && o->val != NULL && o->val[0])
            p->password = strdup(o->val);
    PQconninfoFree(opts);
    p->conn = PQconnectdb(conninfo);
    if (p->conn == NULL) {
        r = -ENOMEM;
        goto out;
    }
    /* A server that does not answer, or answers that it is starting or
     * shutting down (a restart), is waited for as long as a transaction
     * would be; then -ENOTCONN, a failure to try again later (systemd's
     * Restart=), not a mistake in the string. */
    for (long waited = 0, pause = 100; PQstatus(p->conn) != CONNECTION_OK;) {
        PGPing ping = PQping(conninfo);

        if (ping != PQPING_REJECT && ping != PQPING_NO_RESPONSE) {
            keep(p, "connecting", PQerrorMessage(p->conn));
            goto out;
        }
        if (waited >= STATE_BUSY_TIMEOUT_MS) {
            keep(p, "connecting", PQerrorMessage(p->conn));
            r = -ENOTCONN;
            goto out;
        }
        pause_ms(pause);
        waited += pause;
        pause = pause * 2 > 1000 ? 1000 : pause * 2;
        PQreset(p->conn);
    }
    /* Quiet the server's notices (CREATE ... IF NOT EXISTS and the like). */
    if ((r = exec(p, "SET client_min_messages = warning")) < 0)
        goto out;
    r = tx(p, true, migrate_body, &m);
out:
    if (r < 0) {
        if (r != -EPROTO && r != -ENOENT)
            text_error(err, errlen, "%s: %s", name, p->err);
        state_pg_close(p);
        return r;
    }
    *out = p;
    return 0;
}

void
state_pg_close(struct state_pg *p)
{
    if (p == NULL)
        return;
    PQfinish(p->conn);
    if (p->password != NULL) {
        memset(p->password, 0, strlen(p->password));
        free(p->password);
    }
    free(p);
}

struct judge {
    struct check_result *res;
    const char *token, *listener;
    int64_t now_s;
    state_acks_fn *make_acks;
    void *arg;
    char **acks;
    int *same, *pending;
    enum ledger_verdict v;
};

/*
 * One message: the device's row locked first (created at last_seq 0 when
 * new, which means what no row means), so two listeners judging messages of
 * one device take turns; then the table of ledger.h as in retailer-state.c.
 */
static int
judge_body(struct state_pg *p, void *arg)
{
    struct judge *j = arg;
    struct check_result *res = j->res;
    const char *kind = payload_kind_to_str(res->kind);
    char seq[24], now[24];
    const char *key[4] = {res->device, kind, res->p.order_id, j->listener};
    PGresult *q;
    int64_t last;
    int r;

    free(*j->acks);
    *j->acks = NULL;
    *j->same = 1;
    *j->pending = STATE_PENDING_NO;
    snprintf(seq, sizeof(seq), "%lld", (long long)res->p.seq);
    snprintf(now, sizeof(now), "%lld", (long long)j->now_s);
    /* The transaction is this body's own (tx() without one): its BEGIN goes
     * with the look-up and its COMMIT with the write, two round trips. */
    if ((r = run2(p, "BEGIN", 0, NULL, SQL_LOCK_FIND, 4, key, &q)) < 0)
        return r;
    if (PQntuples(q) != 1) {
        keep(p, "locking the device", "no row");
        PQclear(q);
        return -EIO;
    }
    last = strtoll(PQgetvalue(q, 0, 0), NULL, 10);
    if (!PQgetisnull(q, 0, 2)) {
        j->v = LEDGER_DUPLICATE;
        *j->same = strcmp(PQgetvalue(q, 0, 2), j->token) == 0;
        *j->pending = atoi(PQgetvalue(q, 0, 3));
        if (!PQgetisnull(q, 0, 1) && (*j->acks = strdup(PQgetvalue(q, 0, 1))) == NULL)
            r = -ENOMEM;
        PQclear(q);
        const char *rs[4] = {res->device, kind, res->p.order_id, now};
        return r < 0 ? r : run2(p, SQL_RESENT, 4, rs, "COMMIT", 0, NULL, NULL);
    }
    PQclear(q);
    j->v = ledger_decide(res, false, last);
    if ((r = j->make_acks(j->arg, res, j->v, j->acks)) < 0)
        return r;
    bool ok = j->v == LEDGER_ACCEPTED;
    const char *ins[11] = {res->device,
                           kind,
                           res->p.order_id,
                           seq,
                           ledger_verdict_to_str(j->v),
                           ok ? NULL : check_reason_to_str(res->reason),
                           ok ? NULL : res->detail,
                           *j->acks,
                           j->token,
                           now,
                           j->listener};
    if ((r = run2(p, SQL_INSERT, 11, ins, "COMMIT", 0, NULL, NULL)) < 0)
        return r;
    *j->pending = ok ? STATE_PENDING_MINE : STATE_PENDING_NO;
    return 0;
}

int
state_pg_judge(struct state_pg *p, struct check_result *res, const char *token,
               int64_t now_s, const char *listener, state_acks_fn *make_acks, void *arg,
               char **acks, int *same, int *pending)
{
    struct judge j = {res, token, listener, now_s,   make_acks,
                      arg, acks,  same,     pending, LEDGER_REJECTED};
    int r;

    *acks = NULL;
    r = tx(p, false, judge_body, &j); /* judge_body begins and commits */
    if (r < 0) {
        free(*acks);
        *acks = NULL;
        *pending = STATE_PENDING_NO;
        return r;
    }
    return (int)j.v;
}

struct handed {
    const char *device, *kind, *order_id;
    int64_t now_s;
};

/*
 * One round trip: the mark is as cheap as it can be (it follows every
 * accepted order), so its four statements go as one string, the values quoted
 * by libpq. The mark may be lost to a crash of the server (see retailer-state.c): no
 * wait for the WAL flush, as SQLite's synchronous = NORMAL there.
 */
static int
handed_body(struct state_pg *p, void *arg)
{
    struct handed *h = arg;
    char *dev = PQescapeLiteral(p->conn, h->device, strlen(h->device));
    char *kind = PQescapeLiteral(p->conn, h->kind, strlen(h->kind));
    char *id = PQescapeLiteral(p->conn, h->order_id, strlen(h->order_id));
    char *sql = NULL;
    int r = -ENOMEM;

    if (dev != NULL && kind != NULL && id != NULL &&
        asprintf(&sql,
                 "BEGIN; SET LOCAL synchronous_commit = off; UPDATE message SET "
                 "handed_off = %lld WHERE device = %s AND kind = %s AND order_id = "
                 "%s AND verdict = 'accepted'; COMMIT",
                 (long long)h->now_s, dev, kind, id) >= 0) {
        r = exec(p, sql);
        free(sql);
    }
    PQfreemem(dev);
    PQfreemem(kind);
    PQfreemem(id);
    return r;
}

int
state_pg_handed_off(struct state_pg *p, enum payload_kind kind, const char *device,
                    const char *order_id, int64_t now_s)
{
    struct handed h = {device, payload_kind_to_str(kind), order_id, now_s};

    return tx(p, false, handed_body, &h);
}

struct query {
    const char *sql;
    int n;
    const char *const *v;
    PGresult *res;
};

static int
query_body(struct state_pg *p, void *arg)
{
    struct query *q = arg;

    return run(p, q->sql, q->n, q->v, &q->res);
}

/* A read alone, retried as a transaction is: 0 with q->res, or an errno. */
static int
query(struct state_pg *p, struct query *q)
{
    q->res = NULL;
    return tx(p, false, query_body, q);
}

/* An accepted message from row i of (kind, device, order_id, token,
 * received, acks); the strings are the result's. */
static void
row_order(PGresult *res, int i, struct state_order *o)
{
    *o = (struct state_order){
        .kind = strcmp(PQgetvalue(res, i, 0), "cancel") == 0 ? PAYLOAD_CANCEL
                                                             : PAYLOAD_REORDER,
        .device = PQgetvalue(res, i, 1),
        .order_id = PQgetvalue(res, i, 2),
        .token = PQgetvalue(res, i, 3),
        .token_len = (size_t)PQgetlength(res, i, 3),
        .received_s = strtoll(PQgetvalue(res, i, 4), NULL, 10),
        .acks = PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
    };
}

int
state_pg_accepted_each(struct state_pg *p, const struct state_filter *f,
                       state_order_fn *fn, void *arg)
{
    char since[24];
    const char *v[6] = {since,
                        f->pending_only ? "1" : "0",
                        f->listener,
                        f->device,
                        f->device != NULL ? payload_kind_to_str(f->kind) : NULL,
                        f->order_id};
    struct query q = {f->device != NULL ? SQL_ACCEPTED_ONE : SQL_ACCEPTED,
                      f->device != NULL ? 6 : 3, v, NULL};
    int r;

    snprintf(since, sizeof(since), "%lld", (long long)f->since_s);
    if ((r = query(p, &q)) < 0)
        return r;
    for (int i = 0; i < PQntuples(q.res) && r == 0; i++) {
        struct state_order o;

        row_order(q.res, i, &o);
        r = fn(arg, &o);
    }
    PQclear(q.res);
    return r;
}

int
state_pg_pending_others(struct state_pg *p, const char *listener, long *n)
{
    const char *v[1] = {listener};
    struct query q = {"SELECT count(*) FROM message WHERE verdict = 'accepted' AND "
                      "handed_off IS NULL AND listener IS DISTINCT FROM $1",
                      1, v, NULL};
    int r;

    if ((r = query(p, &q)) < 0)
        return r;
    *n = strtol(PQgetvalue(q.res, 0, 0), NULL, 10);
    PQclear(q.res);
    return 0;
}

int
state_pg_pin_get(struct state_pg *p, const char *device, uint8_t pk[KEYS_PK_BYTES])
{
    const char *v[1] = {device};
    struct query q = {"SELECT jwk FROM pin WHERE device = $1", 1, v, NULL};
    int r;

    if ((r = query(p, &q)) < 0)
        return r;
    if (PQntuples(q.res) == 0) {
        r = 0;
    } else {
        const char *jwk = PQgetvalue(q.res, 0, 0);
        /* Written by state_pin_put from a parsed key: a bad one is a broken row. */
        r = keys_jwk_parse(jwk, strlen(jwk), pk, p->err, sizeof(p->err)) < 0 ? -EIO : 1;
    }
    PQclear(q.res);
    return r;
}

struct pin {
    const char *device;
    const uint8_t *pk;
    int64_t now_s;
};

static int
pin_body(struct state_pg *p, void *arg)
{
    struct pin *x = arg;
    char jwk[KEYS_JWK_MAX], kid[KEYS_B64_PK_LEN + 1], now[24];
    const char *v[4] = {x->device, jwk, kid, now};
    uint8_t old[KEYS_PK_BYTES];
    PGresult *res;
    int r;

    keys_jwk(x->pk, jwk);
    keys_thumbprint(x->pk, kid);
    snprintf(now, sizeof(now), "%lld", (long long)x->now_s);
    if ((r = run(p,
                 "INSERT INTO pin (device, jwk, kid, pinned) VALUES ($1, $2, $3, $4) "
                 "ON CONFLICT (device) DO NOTHING",
                 4, v, &res)) < 0)
        return r;
    bool pinned = strcmp(PQcmdTuples(res), "1") == 0;
    PQclear(res);
    if (pinned)
        return 0;
    if ((r = run(p, "SELECT jwk FROM pin WHERE device = $1", 1, v, &res)) < 0)
        return r;
    if (PQntuples(res) != 1 ||
        keys_jwk_parse(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), old,
                       p->err, sizeof(p->err)) < 0)
        r = -EIO;
    else
        r = memcmp(old, x->pk, KEYS_PK_BYTES) == 0 ? 1 : -EEXIST;
    PQclear(res);
    return r;
}

int
state_pg_pin_put(struct state_pg *p, const char *device,
                 const uint8_t pk[KEYS_PK_BYTES], int64_t now_s)
{
    struct pin x = {device, pk, now_s};

    return tx(p, true, pin_body, &x);
}

/* The webhook's queue and its refusals (state_refuse, state_pending_first). */

int
state_pg_pending_first(struct state_pg *p, const char *listener, state_order_fn *fn,
                       void *arg)
{
    const char *v[1] = {listener};
    struct query q = {SQL_COLUMNS "WHERE listener = $1 AND verdict = 'accepted' AND "
                                  "handed_off IS NULL ORDER BY received, rowid LIMIT 1",
                      1, v, NULL};
    int r;

    if ((r = query(p, &q)) < 0)
        return r;
    if (PQntuples(q.res) == 0) {
        PQclear(q.res);
        return 0;
    }
    struct state_order o;

    row_order(q.res, 0, &o);
    r = fn(arg, &o);
    PQclear(q.res);
    return r == 0 ? 1 : r;
}

struct refuse {
    const char *v[5]; /* device, kind, order id, detail, acks */
    state_refuse_acks_fn *make_acks;
    void *arg;
    char *acks;
};

static int
refuse_body(struct state_pg *p, void *arg)
{
    struct refuse *f = arg;
    PGresult *res;
    int r;

    free(f->acks); /* from a run that was rolled back */
    f->acks = NULL;
    if ((r = run(p,
                 "SELECT seq FROM message WHERE device = $1 AND kind = $2 AND "
                 "order_id = $3 AND verdict = 'accepted' AND handed_off IS NULL "
                 "FOR UPDATE",
                 3, f->v, &res)) < 0)
        return r;
    if (PQntuples(res) == 0) {
        PQclear(res);
        return 0;
    }
    r = f->make_acks(f->arg, strtoll(PQgetvalue(res, 0, 0), NULL, 10), &f->acks);
    PQclear(res);
    if (r < 0)
        return r;
    f->v[4] = f->acks;
    if ((r = run(p,
                 "UPDATE message SET verdict = 'rejected', reason = 'refused', "
                 "detail = $4, acks = $5 WHERE device = $1 AND kind = $2 AND "
                 "order_id = $3",
                 5, f->v, NULL)) < 0)
        return r;
    return 1;
}

int
state_pg_refuse(struct state_pg *p, enum payload_kind kind, const char *device,
                const char *order_id, const char *detail,
                state_refuse_acks_fn *make_acks, void *arg, char **acks)
{
    struct refuse f = {{device, payload_kind_to_str(kind), order_id, detail, NULL},
                       make_acks,
                       arg,
                       NULL};
    int r = tx(p, true, refuse_body, &f);

    if (r <= 0) {
        free(f.acks);
        f.acks = NULL;
    }
    *acks = f.acks;
    return r;
}

/* The generic seam of retailer-state.h (state_query, state_tx), for keytab.c. */

int
state_pg_query(struct state_pg *p, const char *sql, int n, const char *const *v,
               state_row_fn *fn, void *arg)
{
    const char *cols[16];
    struct query q = {sql, n, v, NULL};
    int r = p->in_tx ? run(p, sql, n, v, &q.res) : query(p, &q);
    int nf;

    if (r < 0)
        return r;
    nf = PQnfields(q.res);
    if (nf > (int)(sizeof(cols) / sizeof(cols[0])))
        r = -EINVAL;
    for (int i = 0; i < PQntuples(q.res) && r == 0 && fn != NULL; i++) {
        for (int j = 0; j < nf; j++)
            cols[j] = PQgetisnull(q.res, i, j) ? NULL : PQgetvalue(q.res, i, j);
        r = fn(arg, nf, cols);
    }
    PQclear(q.res);
    return r;
}

struct generic_tx {
    int (*body)(void *arg);
    void *arg;
};

static int
generic_body(struct state_pg *p, void *arg)
{
    struct generic_tx *g = arg;
    int r;

    p->in_tx = true;
    r = g->body(g->arg);
    p->in_tx = false;
    return r;
}

int
state_pg_tx(struct state_pg *p, int (*body)(void *arg), void *arg)
{
    struct generic_tx g = {body, arg};

    return tx(p, true, generic_body, &g);
}
