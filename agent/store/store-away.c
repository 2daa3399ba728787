/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's away table (store-away.h): the away periods pantryctl away set,
 * one row each, kept beside store.c so that file does not grow. Statements are
 * prepared per call: they run a few times a day at most.
 */
#include "agent/store/store-away.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/store/store-int.h"

int
store_away_add(struct store *db, const struct store_away *a, int64_t *id)
{
    int e = 0;
    sqlite3_stmt *st;

    if (a->from_ms < 0 || a->until_ms <= a->from_ms)
        return -EINVAL;
    if (store_rdonly_(db))
        return -EROFS;
    st = store_prepare_(db,
                        "INSERT INTO away (from_ms, until_ms, before, created_ms) "
                        "VALUES (?, ?, ?, ?)",
                        &e);
    if (st == NULL)
        return e;
    sqlite3_bind_int64(st, 1, a->from_ms);
    sqlite3_bind_int64(st, 2, a->until_ms);
    sqlite3_bind_int(st, 3, a->before ? 1 : 0);
    sqlite3_bind_int64(st, 4, a->created_ms);
    if ((e = store_run_once_(db, st)) == 0 && id != NULL)
        *id = sqlite3_last_insert_rowid(store_sql_(db));
    return e;
}

int
store_away_remove(struct store *db, int64_t id)
{
    int e = 0;
    sqlite3_stmt *st;

    if (store_rdonly_(db))
        return -EROFS;
    if ((st = store_prepare_(db, "DELETE FROM away WHERE id = ?", &e)) == NULL)
        return e;
    sqlite3_bind_int64(st, 1, id);
    if ((e = store_run_once_(db, st)) == 0 && sqlite3_changes(store_sql_(db)) == 0)
        e = -ENOENT;
    return e;
}

int
store_away_prune(struct store *db, int64_t now_ms)
{
    int e = 0, rc;
    sqlite3_stmt *st;

    if (store_rdonly_(db))
        return -EROFS;
    if ((st = store_prepare_(db, "DELETE FROM away WHERE until_ms <= ?", &e)) == NULL)
        return e;
    sqlite3_bind_int64(st, 1, now_ms);
    if ((rc = sqlite3_step(st)) != SQLITE_DONE)
        e = store_fail_(db, rc);
    sqlite3_finalize(st);
    return e;
}

int
store_away_list(struct store *db, struct store_away *out, size_t cap, size_t *n)
{
    int e = 0, rc;
    sqlite3_stmt *st;
    size_t k = 0;

    *n = 0;
    st = store_prepare_(db,
                        "SELECT id, from_ms, until_ms, before, created_ms FROM away "
                        "ORDER BY from_ms, id",
                        &e);
    if (st == NULL)
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (k == cap) {
            e = -E2BIG;
            break;
        }
        out[k].id = sqlite3_column_int64(st, 0);
        out[k].from_ms = sqlite3_column_int64(st, 1);
        out[k].until_ms = sqlite3_column_int64(st, 2);
        out[k].before = sqlite3_column_int(st, 3) != 0;
        out[k].created_ms = sqlite3_column_int64(st, 4);
        k++;
    }
    if (e == 0 && rc != SQLITE_DONE)
        e = store_fail_(db, rc);
    *n = k;
    sqlite3_finalize(st);
    return e;
}
