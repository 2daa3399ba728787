/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decision -> PUBACK latency: how long from the moment the pipeline decides to
 * order until the broker has the signed reorder, through the daemon's own code
 * (pipeline_order: guard, order id, store transaction with synchronous=FULL,
 * payload, Ed25519 signature; uplink_work: outbox, Paho publish; the PUBACK
 * event back through the eventfd into the store as "published"). A real
 * broker on loopback; the store on the file system the caller names.
 *
 *   bench-puback BROKER_URL DIR N
 *
 * prints one latency per line in microseconds, then a summary line. Each
 * order is made on a virtual day 31 days after the last (the 30-day cap never
 * bites) and closed (fulfilled) once published, so the next goes at once.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "keys.h"
#include "log.h"
#include "pipeline.h"
#include "store.h"
#include "uplink.h"

#define DAY_MS INT64_C(86400000)

static int
cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int
newest(const struct store_order *o, void *ctx)
{
    snprintf(ctx, STORE_ID_MAX, "%s", o->order_id);
    return 0;
}

int
main(int argc, char **argv)
{
    static struct agent_config cfg;
    static struct pipeline pl;
    struct cfg_errors errs;
    struct store *db = NULL;
    struct uplink *up = NULL;
    struct keys key;
    char text[2048], path[600], err[512], msg[512], id[STORE_ID_MAX];
    int n;

    if (argc != 4 || (n = atoi(argv[3])) < 1 || n > 100000) {
        fprintf(stderr, "usage: bench-puback BROKER_URL DIR N\n");
        return 2;
    }
    log_setup(CFG_LOG_WARNING, false);
    snprintf(text, sizeof(text),
             "device_id = \"bench-pi\";\n"
             "store_path = \"%s/pantry.db\";\nkey_path = \"%s/device.key\";\n"
             "control_socket = \"%s/control.sock\";\n"
             "broker = { url = \"%s\"; };\n"
             "channels = ( { name = \"rice\"; iio = { device = \"shelf\"; }; } );\n"
             "items = ( { id = \"rice\"; channel = \"rice\"; pack = 1000; mode = "
             "\"auto\"; max_orders_30d = 30;\n"
             "  calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n",
             argv[2], argv[2], argv[2], argv[1]);
    snprintf(path, sizeof(path), "%s/device.key", argv[2]);
    if (cfg_load_string(text, "bench.conf", &cfg, &errs) < 0 ||
        keys_generate(path, true, &key, err, sizeof(err)) < 0 ||
        store_open(cfg.store_path, 0, &db, err, sizeof(err)) < 0 ||
        pipeline_init(&pl, &cfg, db, DAY_MS * 20000, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench-puback: setup: %s %s\n", err,
                errs.count ? errs.msg[0] : "");
        return 1;
    }
    pl.key = &key;
    if (uplink_new(&cfg, &key, db, &pl, "bench", &up, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench-puback: %s\n", err);
        return 1;
    }
    /* Connect first: the latency is of an order, not of a connection. */
    int64_t end = clock_mono_us() / 1000 + 10000;
    while (!uplink_connected(up) && clock_mono_us() / 1000 < end) {
        struct pollfd p = {.fd = uplink_fd(up), .events = POLLIN};
        uplink_work(up, clock_mono_us() / 1000, 0);
        poll(&p, 1, 100);
    }
    if (!uplink_connected(up)) {
        fprintf(stderr, "bench-puback: cannot connect to %s\n", argv[1]);
        return 1;
    }
    int64_t *lat = calloc((size_t)n, sizeof(*lat));
    for (int i = 0; i < n; i++) {
        int64_t now = DAY_MS * (20001 + 31 * (int64_t)i);
        int64_t t0 = clock_mono_us();
        if (pipeline_order(&pl, 0, "manual", now, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "bench-puback: order %d: %s\n", i, msg);
            return 1;
        }
        store_orders_open(db, "rice", newest, id);
        uplink_kick(up);
        struct store_order o = {.state = ORDER_QUEUED};
        while (o.state == ORDER_QUEUED) {
            struct pollfd p = {.fd = uplink_fd(up), .events = POLLIN};
            uplink_work(up, clock_mono_us() / 1000, now);
            store_order_fini(&o);
            if (store_order_get(db, id, &o) < 0)
                return 1;
            if (o.state == ORDER_QUEUED && poll(&p, 1, 5000) <= 0) {
                fprintf(stderr, "bench-puback: no PUBACK for order %d\n", i);
                return 1;
            }
        }
        lat[i] = clock_mono_us() - t0;
        store_order_fini(&o);
        printf("%" PRId64 "\n", lat[i]);
        /* The refill came: the item may be ordered again at once. */
        store_order_transition(db, id, ORDER_PUBLISHED, ORDER_FULFILLED, now + 1, NULL);
    }
    qsort(lat, (size_t)n, sizeof(*lat), cmp);
    printf("# n %d p50 %.2f ms p99 %.2f ms max %.2f ms\n", n,
           (double)lat[n / 2] / 1000.0, (double)lat[(n * 99) / 100] / 1000.0,
           (double)lat[n - 1] / 1000.0);
    uplink_stop(up, 0, 1000);
    uplink_free(up);
    pipeline_fini(&pl);
    store_close(db);
    keys_wipe(&key);
    free(lat);
    return 0;
}
