/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's queue of Grocy calls (store-grocy.h), kept beside store.c so that
 * file does not grow. Statements are prepared per call: a call to Grocy costs
 * far more than a prepare.
 */
#include "agent/store/store-grocy.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/store/store-int.h"

static const char *const op_names[] = {"consume", "add", "inventory", "shopping"};
static const char *const state_names[] = {"pending", "sending", "done", "failed"};

const char *
store_grocy_op_to_str(enum store_grocy_op op)
{
    return (unsigned)op < 4 ? op_names[op] : "?";
}

const char *
store_grocy_state_to_str(enum store_grocy_state s)
{
    return (unsigned)s < 4 ? state_names[s] : "?";
}

static int
from_str(const char *const *names, const unsigned char *s)
{
    for (int i = 0; s != NULL && i < 4; i++)
        if (strcmp(names[i], (const char *)s) == 0)
            return i;
    return -1;
}

int
store_grocy_add(struct store *db, const struct store_grocy_call *c)
{
    int e = 0;
    sqlite3_stmt *st;

    if (c->product <= 0 || c->amount_mg < 0 || c->stock_mg < 0 || c->unit_mg <= 0 ||
        (unsigned)c->op >= 4)
        return -EINVAL;
    if (store_rdonly_(db))
        return -EROFS;
    st = store_prepare_(
        db,
        "INSERT INTO grocy_calls (item, product, op, amount_mg, stock_mg, "
        "unit_mg, state, created_ms, updated_ms) "
        "VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        &e);
    if (st == NULL)
        return e;
    sqlite3_bind_text(st, 1, c->item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, c->product);
    sqlite3_bind_text(st, 3, op_names[c->op], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, c->amount_mg);
    sqlite3_bind_int64(st, 5, c->stock_mg);
    sqlite3_bind_int64(st, 6, c->unit_mg);
    sqlite3_bind_int64(st, 7, c->created_ms);
    sqlite3_bind_int64(st, 8, c->created_ms);
    return store_run_once_(db, st);
}

int
store_grocy_next(struct store *db, struct store_grocy_call *out)
{
    int e = 0, rc;
    sqlite3_stmt *st =
        store_prepare_(db,
                       "SELECT id, item, product, op, amount_mg, stock_mg, "
                       "unit_mg, state, tries, next_ms, created_ms, detail "
                       "FROM grocy_calls WHERE state IN ('pending', 'sending') "
                       "ORDER BY id LIMIT 1",
                       &e);

    if (st == NULL)
        return e;
    rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
        e = -ENOENT;
    } else if (rc != SQLITE_ROW) {
        e = store_fail_(db, rc);
    } else {
        int op = from_str(op_names, sqlite3_column_text(st, 3));
        int state = from_str(state_names, sqlite3_column_text(st, 7));
        *out = (struct store_grocy_call){
            .id = sqlite3_column_int64(st, 0),
            .product = sqlite3_column_int64(st, 2),
            .op = (enum store_grocy_op)(op < 0 ? 0 : op),
            .amount_mg = sqlite3_column_int64(st, 4),
            .stock_mg = sqlite3_column_int64(st, 5),
            .unit_mg = sqlite3_column_int64(st, 6),
            .state = (enum store_grocy_state)(state < 0 ? 0 : state),
            .tries = sqlite3_column_int64(st, 8),
            .next_ms = sqlite3_column_int64(st, 9),
            .created_ms = sqlite3_column_int64(st, 10),
        };
        snprintf(out->item, sizeof(out->item), "%s",
                 (const char *)sqlite3_column_text(st, 1));
        snprintf(out->detail, sizeof(out->detail), "%s",
                 (const char *)sqlite3_column_text(st, 11));
        if (op < 0 || state < 0)
            e = -EPROTO; /* the table's CHECK makes this our bug */
    }
    sqlite3_finalize(st);
    return e;
}

int
store_grocy_update(struct store *db, const struct store_grocy_call *c, int64_t now_ms)
{
    int e = 0;
    sqlite3_stmt *st;

    if (store_rdonly_(db))
        return -EROFS;
    st = store_prepare_(
        db,
        "UPDATE grocy_calls SET op = ?, state = ?, tries = ?, next_ms = ?, "
        "detail = ?, updated_ms = ? WHERE id = ?",
        &e);
    if (st == NULL)
        return e;
    sqlite3_bind_text(st, 1, op_names[c->op], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, state_names[c->state], -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, c->tries);
    sqlite3_bind_int64(st, 4, c->next_ms);
    sqlite3_bind_text(st, 5, c->detail, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, now_ms);
    sqlite3_bind_int64(st, 7, c->id);
    if ((e = store_run_once_(db, st)) == 0 && sqlite3_changes(store_sql_(db)) == 0)
        e = -ENOENT;
    return e;
}

int
store_grocy_counts(struct store *db, int64_t *pending, int64_t *failed, char *last,
                   size_t len)
{
    int e = 0, rc;
    sqlite3_stmt *st = store_prepare_(
        db,
        "SELECT (SELECT count(*) FROM grocy_calls WHERE state IN ('pending', "
        "'sending')), (SELECT count(*) FROM grocy_calls WHERE state = 'failed'), "
        "(SELECT detail FROM grocy_calls WHERE state = 'failed' ORDER BY id DESC "
        "LIMIT 1)",
        &e);

    if (st == NULL)
        return e;
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        e = store_fail_(db, rc);
    } else {
        *pending = sqlite3_column_int64(st, 0);
        *failed = sqlite3_column_int64(st, 1);
        const unsigned char *t = sqlite3_column_text(st, 2);
        snprintf(last, len, "%s", t != NULL ? (const char *)t : "");
    }
    sqlite3_finalize(st);
    return e;
}

int
store_grocy_listed(struct store *db, const char *item, const char *refill_kind,
                   bool *listed)
{
    int e = 0, rc;
    sqlite3_stmt *st = store_prepare_(
        db,
        "SELECT EXISTS (SELECT 1 FROM grocy_calls WHERE item = ?1 AND op = "
        "'shopping' AND created_ms >= coalesce((SELECT max(t_ms) FROM events WHERE "
        "item = ?1 AND kind = ?2), 0))",
        &e);

    if (st == NULL)
        return e;
    sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, refill_kind, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc != SQLITE_ROW)
        e = store_fail_(db, rc);
    else
        *listed = sqlite3_column_int(st, 0) != 0;
    sqlite3_finalize(st);
    return e;
}

int
store_grocy_prune(struct store *db, int64_t before_ms, int64_t *deleted)
{
    int e = 0;
    sqlite3_stmt *st;

    if (store_rdonly_(db))
        return -EROFS;
    st = store_prepare_(
        db, "DELETE FROM grocy_calls WHERE state = 'done' AND updated_ms < ?", &e);
    if (st == NULL)
        return e;
    sqlite3_bind_int64(st, 1, before_ms);
    if ((e = store_run_once_(db, st)) == 0 && deleted != NULL)
        *deleted = sqlite3_changes(store_sql_(db));
    return e;
}

int
store_grocy_correct(struct store *db, const char *item, int64_t now_ms)
{
    int e = 0;
    sqlite3_stmt *st;

    if (store_rdonly_(db))
        return -EROFS;
    st = store_prepare_(
        db,
        "INSERT INTO grocy_calls (item, product, op, amount_mg, stock_mg, "
        "unit_mg, state, created_ms, updated_ms) "
        "SELECT item, product, 'inventory', 0, stock_mg, unit_mg, 'pending', "
        "?2, ?2 FROM grocy_calls WHERE item = ?1 AND op <> 'shopping' "
        "ORDER BY id DESC LIMIT 1",
        &e);
    if (st == NULL)
        return e;
    sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, now_ms);
    return store_run_once_(db, st);
}

int64_t
store_grocy_writes(struct store *db)
{
    return sqlite3_total_changes64(store_sql_(db));
}

int
store_grocy_told(struct store *db, const char *item, int64_t *stock_mg)
{
    int e = 0, rc;
    sqlite3_stmt *st = store_prepare_(db,
                                      "SELECT stock_mg FROM grocy_calls WHERE item = ? "
                                      "AND op <> 'shopping' ORDER BY id DESC LIMIT 1",
                                      &e);

    if (st == NULL)
        return e;
    sqlite3_bind_text(st, 1, item, -1, SQLITE_STATIC);
    rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *stock_mg = sqlite3_column_int64(st, 0);
    else
        e = rc == SQLITE_DONE ? -ENOENT : store_fail_(db, rc);
    sqlite3_finalize(st);
    return e;
}
