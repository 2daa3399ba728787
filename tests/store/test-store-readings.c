/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The readings of a quarter hour go to the store in one commit for all items
 * (issue 17), counted by the store's own commit hook (store-io.h) on a real
 * file: two items on a pipeline, one sampled at 10 Hz, the other every 10 s
 * at a phase of 7 s, as a quiet shelf of the household simulator is. Before
 * issue 17 each item's row was committed on its own, 7 s apart: 2 commits.
 *
 * Expected values by hand: 15 minutes at 10 Hz is 9,000 samples; every 10 s
 * from 7 s is 7, 17, ..., 897 s: 90 samples. A wall clock stepped back by an
 * hour starts the readings over from there (rows for the earlier quarter
 * hour, not left out).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store-io.h"
#include "agent/store/store.h"

#define T0 INT64_C(1790812800000) /* 2026-10-01T00:00:00Z, a quarter hour */
#define SEC INT64_C(1000)
#define MIN (60 * SEC)
#define Q (15 * MIN)

/* 1 kg on each, no container; 400 counts per gram, zero at 0 counts. */
static const char conf_fmt[] =
    "device_id = \"kitchen\";\n"
    "store_path = \"%s/pantry-readings.db\";\n"
    "key_path = \"%s/device.key\";\n"
    "control_socket = \"%s/control.sock\";\n"
    "channels = ( { name = \"a\"; index = 0; iio = { device = \"shelf-a\"; }; },\n"
    "             { name = \"b\"; index = 1; iio = { device = \"shelf-b\"; }; } );\n"
    "items = ( { id = \"rice\"; channel = \"a\"; pack = 1000; mode = \"off\";\n"
    "            calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; },\n"
    "          { id = \"oats\"; channel = \"b\"; pack = 1000; mode = \"off\";\n"
    "            calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n";

static struct agent_config cfg;
static struct pipeline pl;
static struct store *db;
static unsigned dither;

/* One sample of 1 kg on channel ch at t, the pipeline's timers fired first. */
static void
sample(int64_t t, uint16_t ch)
{
    int64_t due;
    while ((due = pipeline_next_due_ms(&pl)) <= t)
        pipeline_tick(&pl, due);
    struct sample s = {.t_ms = t, .channel = ch, .status = SAMPLE_OK};
    s.raw = 400000 + (int32_t)(dither++ % 3) - 1;
    pipeline_sample(&pl, &s);
}

/* Channel 0 every 100 ms, channel 1 every 10 s at a phase of 7 s, over [from, to). */
static void
feed(int64_t from, int64_t to)
{
    for (int64_t t = from; t < to; t += 100) {
        sample(t, 0);
        if (((t - T0) % (10 * SEC) + 10 * SEC) % (10 * SEC) == 7 * SEC)
            sample(t, 1);
    }
}

static uint64_t
commits(void)
{
    struct store_io io;
    store_io_get(&io);
    return io.commits;
}

struct got {
    int64_t start_ms, n;
    int rows;
};

static int
reading_cb(const struct store_reading *r, void *ctx)
{
    struct got *g = ctx;
    if (g->rows++ == 0) {
        g->start_ms = r->start_ms;
        g->n = r->n;
    }
    return 0;
}

static struct got
reading(const char *item, int64_t start)
{
    struct got g = {0};
    CHECK_EQ_I64(store_readings(db, item, start, start + 1, reading_cb, &g), 0);
    return g;
}

int
main(int argc, char **argv)
{
    char dir[256], text[2048], err[512];
    struct cfg_errors errs;

    snprintf(dir, sizeof(dir), "%s/readings-XXXXXX", argc > 1 ? argv[1] : "/tmp");
    CHECK(mkdtemp(dir) != NULL);
    snprintf(text, sizeof(text), conf_fmt, dir, dir, dir);
    if (cfg_load_string(text, "test.conf", &cfg, &errs) < 0) {
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.msg[i]);
        return 1;
    }
    CHECK_EQ_I64(store_io_install(), 0);
    CHECK_EQ_I64(store_open(cfg.store_path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(pipeline_init(&pl, &cfg, db, T0, err, sizeof(err)), 0);

    /* The first quarter hour and a minute of the next, then its commits. */
    feed(T0, T0 + Q);
    pipeline_flush(&pl);
    uint64_t before = commits();
    CHECK(before > 0); /* the migrations at least: the hook counts */
    feed(T0 + Q, T0 + Q + MIN);
    pipeline_flush(&pl);
    CHECK_EQ_I64((int64_t)(commits() - before), 1);
    struct got a = reading("rice", T0), b = reading("oats", T0);
    CHECK_EQ_I64(a.rows, 1);
    CHECK_EQ_I64(a.n, 9000);
    CHECK_EQ_I64(b.rows, 1);
    CHECK_EQ_I64(b.n, 90);

    /* The clock steps back an hour: the quarter hour then gets its rows. */
    int64_t back = T0 - 4 * Q;
    feed(back, back + Q + MIN);
    pipeline_flush(&pl);
    a = reading("rice", back);
    b = reading("oats", back);
    CHECK_EQ_I64(a.rows, 1);
    CHECK_EQ_I64(a.n, 9000);
    CHECK_EQ_I64(b.rows, 1);
    CHECK_EQ_I64(b.n, 90);

    pipeline_fini(&pl);
    store_close(db);
    char path[512];
    static const char *const files[] = {"pantry-readings.db", "pantry-readings.db-wal",
                                        "pantry-readings.db-shm"};
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        unlink(path);
    }
    rmdir(dir);
    return th_done();
}
