/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's away table (agent/store/store-away.h) on real files: periods added
 * come back by their start with their ids, a bad period or a removal of an
 * unknown id changes nothing, the table's CHECKs hold against raw SQL, the
 * periods survive closing and reopening, and a read-only store refuses writes.
 */
#include "tests/harness.h"
#include "tests/store/util.h"

#include "agent/store/store-away.h"
#include "agent/store/store.h"

#include <errno.h>
#include <stdio.h>

#define T0 INT64_C(1798156800000) /* 2026-12-25 */
#define H_MS INT64_C(3600000)

static char dir[4096];

static void
test_away(void)
{
    const char *path = su_path(0, dir, "away.db");
    struct store *db = NULL;
    struct store_away got[4], a = {.from_ms = T0 + 48 * H_MS,
                                   .until_ms = T0 + 72 * H_MS,
                                   .before = true,
                                   .created_ms = T0};
    char err[256];
    int64_t id1 = 0, id2 = 0;
    size_t n = 99;

    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_away_list(db, got, 4, &n), 0);
    CHECK_EQ_I64(n, 0);
    CHECK_EQ_I64(store_away_add(db, &a, &id1), 0);
    a = (struct store_away){.from_ms = T0, .until_ms = T0 + H_MS, .created_ms = T0};
    CHECK_EQ_I64(store_away_add(db, &a, &id2), 0);
    CHECK(id1 > 0 && id2 > id1);
    /* until not after from, from before the epoch: refused, nothing written */
    a.until_ms = a.from_ms;
    CHECK_EQ_I64(store_away_add(db, &a, NULL), -EINVAL);
    a = (struct store_away){.from_ms = -1, .until_ms = T0};
    CHECK_EQ_I64(store_away_add(db, &a, NULL), -EINVAL);
    CHECK_EQ_I64(store_away_remove(db, id2 + 1), -ENOENT);
    CHECK_EQ_I64(store_away_list(db, got, 4, &n), 0);
    CHECK_EQ_I64(n, 2);
    /* by start: the second one added comes first */
    CHECK_EQ_I64(got[0].id, id2);
    CHECK_EQ_I64(got[0].from_ms, T0);
    CHECK_EQ_I64(got[0].until_ms, T0 + H_MS);
    CHECK(!got[0].before);
    CHECK_EQ_I64(got[1].id, id1);
    CHECK_EQ_I64(got[1].until_ms, T0 + 72 * H_MS);
    CHECK(got[1].before);
    CHECK_EQ_I64(store_away_list(db, got, 1, &n), -E2BIG);
    CHECK_EQ_I64(n, 1);
    store_close(db);

    /* the table's own CHECKs, against raw SQL */
    sqlite3 *raw = su_raw(path);
    CHECK(su_exec(raw, "INSERT INTO away (from_ms, until_ms, before, created_ms) "
                       "VALUES (10, 10, 0, 0)") != 0);
    CHECK(su_exec(raw, "INSERT INTO away (from_ms, until_ms, before, created_ms) "
                       "VALUES (10, 20, 2, 0)") != 0);
    sqlite3_close(raw);

    /* kept across a reopen; removal */
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_away_remove(db, id2), 0);
    CHECK_EQ_I64(store_away_list(db, got, 4, &n), 0);
    CHECK_EQ_I64(n, 1);
    CHECK_EQ_I64(got[0].id, id1);
    store_close(db);

    CHECK_EQ_I64(store_open(path, STORE_RDONLY, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_away_add(db, &got[0], NULL), -EROFS);
    CHECK_EQ_I64(store_away_remove(db, id1), -EROFS);
    CHECK_EQ_I64(store_away_list(db, got, 4, &n), 0);
    CHECK_EQ_I64(n, 1);
    store_close(db);
}

int
main(int argc, char **argv)
{
    su_mkdtemp(argc > 1 ? argv[1] : ".", "store-away", dir, sizeof(dir));
    RUN(test_away);
    if (th_failures == 0)
        su_rmdir(dir);
    else
        printf("# files kept in %s\n", dir);
    return th_done();
}
