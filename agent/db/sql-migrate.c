/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The schema-step runner both SQLite files use, and the one translation of
 * SQLite's result codes to errnos (sql-migrate.h).
 */
#include "agent/db/sql-migrate.h"

#include <errno.h>
#include <stdio.h>

#include "sensors/text.h"

int
sql_errno(int rc, int sys_errno)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_ROW:
    case SQLITE_DONE:
        return 0;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return -EBUSY;
    case SQLITE_NOMEM:
        return -ENOMEM;
    case SQLITE_READONLY:
        return -EROFS;
    case SQLITE_INTERRUPT:
        return -EINTR;
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return -EIO;
    case SQLITE_FULL:
        return -ENOSPC;
    case SQLITE_CANTOPEN:
        return sys_errno > 0 ? -sys_errno : -ENOENT;
    case SQLITE_PERM:
    case SQLITE_AUTH:
        return -EACCES;
    case SQLITE_TOOBIG:
        return -E2BIG;
    case SQLITE_NOLFS:
        return -EFBIG;
    case SQLITE_PROTOCOL:
        return -EPROTO;
    case SQLITE_ABORT:
        return -ECANCELED;
    case SQLITE_SCHEMA:
        return -EAGAIN;
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
        return -EINVAL;
    case SQLITE_CONSTRAINT:
        switch (rc) {
        case SQLITE_CONSTRAINT_FOREIGNKEY:
            return -ENOENT;
        case SQLITE_CONSTRAINT_CHECK:
        case SQLITE_CONSTRAINT_NOTNULL:
        case SQLITE_CONSTRAINT_TRIGGER:
#ifdef SQLITE_CONSTRAINT_DATATYPE
        case SQLITE_CONSTRAINT_DATATYPE:
#endif
            return -EINVAL;
        default: /* unique, primary key, rowid */
            return -EEXIST;
        }
    default:
        return -EIO;
    }
}

/* Run sql; on failure, what failed and SQLite's message into err. */
static int
run(sqlite3 *db, const char *what, const char *sql, char *err, size_t errlen)
{
    int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
    int e = sql_errno(rc, sqlite3_system_errno(db));

    if (e == 0)
        return 0;
    text_error(err, errlen, "%s: %s", what, sqlite3_errmsg(db));
    return e;
}

static int
user_version(sqlite3 *db, sqlite3_int64 *v, char *err, size_t errlen)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
    int e = 0;

    if (rc == SQLITE_OK)
        rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *v = sqlite3_column_int64(st, 0);
    } else {
        /* No row (SQLITE_DONE) is no version either: an error all the same. */
        e = sql_errno(rc, 0);
        e = e < 0 ? e : -EIO;
        text_error(err, errlen, "PRAGMA user_version: %s", sqlite3_errmsg(db));
    }
    sqlite3_finalize(st);
    return e;
}

/* One step, or the answer that there is nothing to do (1), inside the lock. */
static int
step(sqlite3 *db, const char *const *steps, int n, const char *program, char *err,
     size_t errlen)
{
    sqlite3_int64 v = 0;
    char sql[64], what[64];
    int e;

    /* Read inside the write lock: another process may have migrated. */
    if ((e = user_version(db, &v, err, errlen)) < 0)
        return e;
    if (v > n)
        return text_error(err, errlen,
                          "schema version %lld was made by a newer %s (this one knows "
                          "%d): install a newer %s, or restore a backup",
                          (long long)v, program, n, program),
               -EPROTO;
    if (v < 0)
        return text_error(err, errlen, "schema version %lld is not ours", (long long)v),
               -EPROTO;
    if (v == n)
        return 1;
    snprintf(what, sizeof(what), "migration to schema version %lld", (long long)v + 1);
    snprintf(sql, sizeof(sql), "PRAGMA user_version = %lld", (long long)v + 1);
    if ((e = run(db, what, steps[v], err, errlen)) < 0 ||
        (e = run(db, sql, sql, err, errlen)) < 0)
        return e;
    return 0;
}

int
sql_migrate(sqlite3 *db, const char *const *steps, int n, const char *program,
            char *err, size_t errlen)
{
    for (;;) {
        int done, e = run(db, "BEGIN IMMEDIATE", "BEGIN IMMEDIATE", err, errlen);

        if (e < 0)
            return e;
        if ((done = step(db, steps, n, program, err, errlen)) < 0 ||
            (e = run(db, "COMMIT", "COMMIT", err, errlen)) < 0) {
            if (!sqlite3_get_autocommit(db))
                sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
            return done < 0 ? done : e;
        }
        if (done)
            return 0;
    }
}
