/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memtrim (agent/daemon/memtrim.c) on this very process: after SQLite and libsodium
 * ran, memtrim_run() drops mapped library pages (RssFile falls), keeps the
 * mappings that hold relocated copies (calls through the GOT still work,
 * else this program crashes), and the same work gives the same answers
 * afterwards, also while a second thread keeps calling into SQLite during
 * the trim.
 */
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "agent/daemon/memtrim.h"

/* RssFile of /proc/self/status, kB; -1 when it cannot be read. */
static long
rss_file_kb(void)
{
    char line[256];
    long kb = -1;
    FILE *f = fopen("/proc/self/status", "re");

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof(line), f) != NULL)
        if (sscanf(line, "RssFile: %ld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* The sum of 1..n through an in-memory SQLite table; -1 on an error. */
static long long
sqlite_sum(int n)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    long long sum = -1;

    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return -1;
    if (sqlite3_exec(db, "CREATE TABLE t(x INTEGER)", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?)", -1, &st, NULL) != SQLITE_OK)
        goto out;
    for (int i = 1; i <= n; i++) {
        sqlite3_bind_int(st, 1, i);
        if (sqlite3_step(st) != SQLITE_DONE)
            goto out;
        sqlite3_reset(st);
    }
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT sum(x) FROM t", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        sum = sqlite3_column_int64(st, 0);
out:
    sqlite3_finalize(st);
    sqlite3_close(db);
    return sum;
}

/* BLAKE2b-256 of "abc" in hex, by libsodium. */
static void
blake2b_abc(char hex[65])
{
    unsigned char h[32];

    crypto_generichash(h, sizeof(h), (const unsigned char *)"abc", 3, NULL, 0);
    sodium_bin2hex(hex, 65, h, sizeof(h));
}

static atomic_bool stop;
static atomic_int wrong;

static void *
busy(void *arg)
{
    (void)arg;
    while (!atomic_load(&stop))
        if (sqlite_sum(100) != 5050)
            atomic_fetch_add(&wrong, 1);
    return NULL;
}

int
main(void)
{
    /* BLAKE2b-256("abc"), RFC 7693's algorithm with a 32-byte digest. */
    static const char want[] =
        "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
    struct memtrim_stats st = {0};
    char hex[65];
    long before, after;
    int64_t next = 0;
    pthread_t t;

    if (sodium_init() < 0)
        return 1;
    CHECK_EQ_I64(sqlite_sum(1000), 500500);
    blake2b_abc(hex);
    CHECK_MSG(strcmp(hex, want) == 0, "%s", hex);

    before = rss_file_kb();
    CHECK(pthread_create(&t, NULL, busy, NULL) == 0);
    CHECK_EQ_I64(memtrim_run(&st), 0);
    after = rss_file_kb();
    atomic_store(&stop, true);
    pthread_join(t, NULL);
    CHECK_EQ_I64(atomic_load(&wrong), 0);
    fprintf(stderr, "RssFile %ld kB -> %ld kB; %u mappings (%zu kB) dropped, %u kept\n",
            before, after, st.mappings, st.bytes / 1024, st.skipped);
    if (st.disagreed) {
        /* Under qemu-user, smaps is the host's list, not the program's: then
         * nothing may be dropped (memtrim.c, views_agree), and the checks
         * around this call show the program intact. */
        printf("# /proc/self/maps and smaps differ here (an emulator): nothing "
               "dropped\n");
        CHECK(st.mappings == 0 && st.bytes == 0);
    } else {
        CHECK(before > 0 && after > 0 && after < before);
        CHECK(st.mappings > 0 && st.bytes > 0);
        /* The RELRO mappings (relocated, then made read-only) are kept. */
        CHECK(st.skipped > 0);
    }

    /* The code faults back in: the same answers. */
    CHECK_EQ_I64(sqlite_sum(1000), 500500);
    blake2b_abc(hex);
    CHECK_MSG(strcmp(hex, want) == 0, "%s", hex);

    /* memtrim_due: runs when due, then not before the period is over. */
    CHECK_EQ_I64(memtrim_due(1000, &next, 500, NULL), 1);
    CHECK_EQ_I64(next, 1500);
    CHECK_EQ_I64(memtrim_due(1499, &next, 500, NULL), 0);
    CHECK_EQ_I64(memtrim_due(1500, &next, 500, NULL), 1);
    CHECK_EQ_I64(next, 2000);
    return th_done();
}
