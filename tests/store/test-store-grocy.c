/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's Grocy queue (agent/store/store-grocy.h) on real files: rows come back
 * oldest first, pending or sending only; a bad row is refused and changes
 * nothing; the table's CHECKs hold against raw SQL; an update moves a row;
 * counts and the last refusal; "listed since the last refill"; pruning keeps
 * failed rows and recent ones; a correction queues the newest stock as an
 * inventory; and the queue survives closing and reopening.
 */
#include "tests/harness.h"
#include "tests/store/util.h"

#include "agent/store/store-grocy.h"
#include "agent/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "sensors/sensor.h"

#define T0 INT64_C(1798156800000) /* 2026-12-25 */

static char dir[4096];

static struct store_grocy_call
call_of(enum store_grocy_op op, int64_t amount_mg, int64_t t_ms)
{
    struct store_grocy_call c = {.product = 12,
                                 .op = op,
                                 .amount_mg = amount_mg,
                                 .stock_mg = 500000,
                                 .unit_mg = 1000,
                                 .created_ms = t_ms};
    snprintf(c.item, sizeof(c.item), "rice");
    return c;
}

static void
test_queue(void)
{
    const char *path = su_path(0, dir, "grocy.db");
    struct store *db = NULL;
    struct store_grocy_call c, got;
    int64_t pending = -1, failed = -1, n = -1;
    char err[256], last[320];
    bool listed = true;

    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_grocy_next(db, &got), -ENOENT);
    /* refused: no product, a negative amount, no unit; nothing written */
    c = call_of(GROCY_OP_CONSUME, 1000, T0);
    c.product = 0;
    CHECK_EQ_I64(store_grocy_add(db, &c), -EINVAL);
    c = call_of(GROCY_OP_CONSUME, -1, T0);
    CHECK_EQ_I64(store_grocy_add(db, &c), -EINVAL);
    c = call_of(GROCY_OP_ADD, 1000, T0);
    c.unit_mg = 0;
    CHECK_EQ_I64(store_grocy_add(db, &c), -EINVAL);
    CHECK_EQ_I64(store_grocy_next(db, &got), -ENOENT);

    c = call_of(GROCY_OP_CONSUME, 100000, T0);
    CHECK_EQ_I64(store_grocy_add(db, &c), 0);
    c = call_of(GROCY_OP_ADD, 1000000, T0 + 1);
    CHECK_EQ_I64(store_grocy_add(db, &c), 0);
    CHECK_EQ_I64(store_grocy_next(db, &got), 0);
    CHECK_EQ_I64(got.op, GROCY_OP_CONSUME);
    CHECK_EQ_I64(got.amount_mg, 100000);
    CHECK_EQ_I64(got.stock_mg, 500000);
    CHECK_EQ_I64(got.state, GROCY_PENDING);
    CHECK_EQ_I64(strcmp(got.item, "rice"), 0);
    /* sending is still next (a crash leaves it so); failed is not */
    got.state = GROCY_SENDING;
    got.tries = 1;
    CHECK_EQ_I64(store_grocy_update(db, &got, T0 + 2), 0);
    CHECK_EQ_I64(store_grocy_next(db, &c), 0);
    CHECK_EQ_I64(c.id, got.id);
    CHECK_EQ_I64(c.state, GROCY_SENDING);
    got.state = GROCY_FAILED;
    snprintf(got.detail, sizeof(got.detail), "HTTP 400: no such product");
    CHECK_EQ_I64(store_grocy_update(db, &got, T0 + 3), 0);
    CHECK_EQ_I64(store_grocy_next(db, &c), 0);
    CHECK_EQ_I64(c.op, GROCY_OP_ADD);
    CHECK_EQ_I64(store_grocy_counts(db, &pending, &failed, last, sizeof(last)), 0);
    CHECK_EQ_I64(pending, 1);
    CHECK_EQ_I64(failed, 1);
    CHECK_EQ_I64(strcmp(last, "HTTP 400: no such product"), 0);
    got.id += 100;
    CHECK_EQ_I64(store_grocy_update(db, &got, T0), -ENOENT);

    /* listed: a shopping row, until a refill event after it */
    CHECK_EQ_I64(store_grocy_listed(db, "rice", "refill", &listed), 0);
    CHECK(!listed);
    c = call_of(GROCY_OP_SHOPPING, 2000000, T0 + 10);
    CHECK_EQ_I64(store_grocy_add(db, &c), 0);
    CHECK_EQ_I64(store_grocy_listed(db, "rice", "refill", &listed), 0);
    CHECK(listed);
    CHECK_EQ_I64(store_grocy_listed(db, "oats", "refill", &listed), 0);
    CHECK(!listed);
    struct store_item it = {.channel = 0};
    snprintf(it.id, sizeof(it.id), "rice");
    snprintf(it.name, sizeof(it.name), "Rice");
    CHECK_EQ_I64(store_item_put(db, &it), 0);
    struct stock_event ev = {.t_ms = T0 + 20, .kind = STOCK_REFILL, .mg = 1000000};
    CHECK_EQ_I64(store_event_add(db, "rice", &ev), 0);
    CHECK_EQ_I64(
        store_grocy_listed(db, "rice", stock_kind_to_str(STOCK_REFILL), &listed), 0);
    CHECK(!listed);

    /* the table's CHECKs, whatever the code does */
    sqlite3 *raw = su_raw(path);
    CHECK(su_exec(raw, "UPDATE grocy_calls SET state = 'lost'") != 0);
    CHECK(su_exec(raw, "UPDATE grocy_calls SET op = 'remove'") != 0);
    CHECK(su_exec(raw, "UPDATE grocy_calls SET unit_mg = 0") != 0);
    sqlite3_close(raw);

    /* prune: done rows before the time go; failed and pending stay */
    CHECK_EQ_I64(store_grocy_next(db, &c), 0);
    c.state = GROCY_DONE;
    CHECK_EQ_I64(store_grocy_update(db, &c, T0 + 30), 0);
    CHECK_EQ_I64(store_grocy_prune(db, T0 + 30, &n), 0);
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(store_grocy_prune(db, T0 + 31, &n), 0);
    CHECK_EQ_I64(n, 1);
    store_close(db);

    /* a correction: an inventory of the newest stock row's stock, last */
    db = NULL;
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_grocy_correct(db, "oats", T0 + 40), 0); /* none: nothing */
    c = call_of(GROCY_OP_CONSUME, 1000, T0 + 41);
    c.stock_mg = 321000;
    CHECK_EQ_I64(store_grocy_add(db, &c), 0);
    CHECK_EQ_I64(store_grocy_correct(db, "rice", T0 + 42), 0);
    CHECK_EQ_I64(store_grocy_counts(db, &pending, &failed, last, sizeof(last)), 0);
    CHECK_EQ_I64(pending, 3);
    sqlite3 *raw2 = su_raw(path);
    sqlite3_stmt *q = NULL;
    CHECK_EQ_I64(sqlite3_prepare_v2(raw2,
                                    "SELECT op, stock_mg, state FROM grocy_calls "
                                    "ORDER BY id DESC LIMIT 1",
                                    -1, &q, NULL),
                 SQLITE_OK);
    CHECK_EQ_I64(sqlite3_step(q), SQLITE_ROW);
    CHECK_EQ_I64(strcmp((const char *)sqlite3_column_text(q, 0), "inventory"), 0);
    CHECK_EQ_I64(sqlite3_column_int64(q, 1), 321000);
    CHECK_EQ_I64(strcmp((const char *)sqlite3_column_text(q, 2), "pending"), 0);
    sqlite3_finalize(q);
    sqlite3_close(raw2);
    store_close(db);
    db = NULL;
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_grocy_counts(db, &pending, &failed, last, sizeof(last)), 0);
    CHECK_EQ_I64(pending, 3);
    store_close(db);

    /* reopened: the shopping row is next, the failed one still counted */
    db = NULL;
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_grocy_next(db, &c), 0);
    CHECK_EQ_I64(c.op, GROCY_OP_SHOPPING);
    CHECK_EQ_I64(c.amount_mg, 2000000);
    CHECK_EQ_I64(store_grocy_counts(db, &pending, &failed, last, sizeof(last)), 0);
    CHECK_EQ_I64(pending, 3);
    CHECK_EQ_I64(failed, 1);
    store_close(db);
}

int
main(int argc, char **argv)
{
    su_mkdtemp(argc > 1 ? argv[1] : ".", "store-grocy", dir, sizeof(dir));
    RUN(test_queue);
    if (th_failures == 0)
        su_rmdir(dir);
    else
        printf("# files kept in %s\n", dir);
    return th_done();
}
