/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Decision -> PUBACK and decision -> answer latency: how long from the moment
 * the pipeline decides to order until the broker has the signed reorder, and
 * until the retailer's answer is in the store, through the daemon's own code
 * (pipeline_order: guard, order id, store transaction with synchronous=FULL,
 * payload, Ed25519 signature; uplink_work driven as the daemon's loop drives
 * it: the outbox, Paho's publish, the PUBACK and the ack back through the
 * eventfd into the store). A real broker; the store on the file system the
 * caller names.
 *
 *   bench-puback [--answered] [--nagle] [--ca-file PEM] [--resend SECONDS]
 *                BROKER_URL DIR N
 *
 * First prints "# jwk {...}", the device's public key (made in DIR, or the one
 * there), for the retailer's trust store. Without --answered, no retailer:
 * each order is closed (fulfilled) once published, so the next goes at once
 * on an idle link. With --answered it reads a line from stdin first (the
 * retailer is listening), and each order is closed once the retailer answered
 * it, and the next made at once: a message right after an answer. --nagle
 * turns TCP_NODELAY off again on the connection (the link as it was before
 * issue 12). Prints one line per order, "PUBACK_US ANSWER_US" (-1 without
 * --answered), flushed at once (a driver may restart the retailer mid-run),
 * then a summary line.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "agent/msg/keys.h"
#include "agent/logging.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"
#include "agent/link/uplink.h"

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

/* TCP_NODELAY off on this process's TCP sockets to port (--nagle). */
static int
nagle_on(unsigned port)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0, zero = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        struct sockaddr_storage peer;
        socklen_t len = sizeof(peer);
        int fd = atoi(de->d_name);
        unsigned p = 0;

        if (fd <= 2 || getpeername(fd, (struct sockaddr *)&peer, &len) < 0)
            continue;
        if (peer.ss_family == AF_INET)
            p = ntohs(((struct sockaddr_in *)&peer)->sin_port);
        else if (peer.ss_family == AF_INET6)
            p = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
        if (p == port &&
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &zero, sizeof(zero)) == 0)
            n++;
    }
    closedir(d);
    return n;
}

/* Run the link until the order id is past state (queued, published), at most
 * 300 s; the monotonic microseconds then, or -1. */
static int64_t
until_past(struct uplink *up, struct store *db, const char *id,
           enum store_order_state state, int64_t now)
{
    int64_t end = clock_mono_us() + INT64_C(300000000);
    struct store_order o = {.state = state};

    while (clock_mono_us() < end) {
        struct pollfd p = {.fd = uplink_fd(up), .events = POLLIN};
        int64_t wait = uplink_work(up, clock_mono_us() / 1000, now);
        store_order_fini(&o);
        if (store_order_get(db, id, &o) < 0)
            return -1;
        if (o.state != state) {
            store_order_fini(&o);
            return clock_mono_us();
        }
        poll(&p, 1, wait < 1000 ? (int)wait : 1000);
    }
    store_order_fini(&o);
    return -1;
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
    char text[3072], path[600], err[512], msg[512], id[STORE_ID_MAX], ca[700] = "";
    char jwk[KEYS_JWK_MAX];
    bool answered = false, nagle = false;
    int n, resend_s = 60, a = 1;

    for (; a < argc && strncmp(argv[a], "--", 2) == 0; a++) {
        if (strcmp(argv[a], "--answered") == 0)
            answered = true;
        else if (strcmp(argv[a], "--nagle") == 0)
            nagle = true;
        else if (strcmp(argv[a], "--ca-file") == 0 && a + 1 < argc)
            snprintf(ca, sizeof(ca), "ca_file = \"%s\";", argv[++a]);
        else if (strcmp(argv[a], "--resend") == 0 && a + 1 < argc)
            resend_s = atoi(argv[++a]);
        else
            break;
    }
    if (argc - a != 3 || (n = atoi(argv[a + 2])) < 1 || n > 100000 || resend_s < 1) {
        fprintf(stderr, "usage: bench-puback [--answered] [--nagle] [--ca-file PEM] "
                        "[--resend SECONDS] BROKER_URL DIR N\n");
        return 2;
    }
    const char *url = argv[a], *dir = argv[a + 1];
    log_setup(CFG_LOG_WARNING, false);
    snprintf(text, sizeof(text),
             "device_id = \"bench-pi\";\n"
             "store_path = \"%s/pantry.db\";\nkey_path = \"%s/device.key\";\n"
             "control_socket = \"%s/control.sock\";\n"
             "broker = { url = \"%s\"; resend = \"%ds\"; %s };\n"
             "channels = ( { name = \"rice\"; iio = { device = \"shelf\"; }; } );\n"
             "items = ( { id = \"rice\"; channel = \"rice\"; pack = 1000; mode = "
             "\"auto\"; max_orders_30d = 30;\n"
             "  calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n",
             dir, dir, dir, url, resend_s, ca);
    snprintf(path, sizeof(path), "%s/device.key", dir);
    if (cfg_load_string(text, "bench.conf", &cfg, &errs) < 0 ||
        (access(path, F_OK) == 0
             ? keys_load(path, &key, err, sizeof(err))
             : keys_generate(path, false, &key, err, sizeof(err))) < 0 ||
        store_open(cfg.store_path, 0, &db, err, sizeof(err)) < 0 ||
        pipeline_init(&pl, &cfg, db, DAY_MS * 20000, err, sizeof(err)) < 0) {
        fprintf(stderr, "bench-puback: setup: %s %s\n", err,
                errs.count ? errs.msg[0] : "");
        return 1;
    }
    keys_jwk(key.pk, jwk);
    printf("# jwk %s\n", jwk);
    fflush(stdout);
    if (answered && fgets(msg, sizeof(msg), stdin) == NULL)
        return 1;
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
        fprintf(stderr, "bench-puback: cannot connect to %s\n", url);
        return 1;
    }
    const char *colon = strrchr(url, ':');
    if (nagle && nagle_on(colon != NULL ? (unsigned)atoi(colon + 1) : 1883) < 1) {
        fprintf(stderr, "bench-puback: no socket to turn Nagle's algorithm on\n");
        return 1;
    }
    int64_t *lat = calloc((size_t)n, sizeof(*lat)),
            *ans = calloc((size_t)n, sizeof(*ans));
    for (int i = 0; i < n; i++) {
        int64_t now = DAY_MS * (20001 + 31 * (int64_t)i);
        int64_t t0 = clock_mono_us(), t1, t2 = -1;
        if (pipeline_order(&pl, 0, "manual", now, msg, sizeof(msg)) < 0) {
            fprintf(stderr, "bench-puback: order %d: %s\n", i, msg);
            return 1;
        }
        store_orders_open(db, "rice", newest, id);
        uplink_kick(up);
        if ((t1 = until_past(up, db, id, ORDER_QUEUED, now)) < 0 ||
            (answered && (t2 = until_past(up, db, id, ORDER_PUBLISHED, now)) < 0)) {
            fprintf(stderr, "bench-puback: no %s for order %d\n",
                    t1 < 0 ? "PUBACK" : "answer", i);
            return 1;
        }
        lat[i] = t1 - t0;
        ans[i] = t2 < 0 ? -1 : t2 - t0;
        printf("%" PRId64 " %" PRId64 "\n", lat[i], ans[i]);
        fflush(stdout);
        /* The refill came: the item may be ordered again at once. */
        store_order_transition(db, id, answered ? ORDER_ACKNOWLEDGED : ORDER_PUBLISHED,
                               ORDER_FULFILLED, now + 1, NULL);
    }
    qsort(lat, (size_t)n, sizeof(*lat), cmp);
    qsort(ans, (size_t)n, sizeof(*ans), cmp);
    printf("# n %d PUBACK p50 %.2f ms p99 %.2f ms max %.2f ms", n,
           (double)lat[n / 2] / 1000.0, (double)lat[(n * 99) / 100] / 1000.0,
           (double)lat[n - 1] / 1000.0);
    if (answered)
        printf("; answer p50 %.2f ms p99 %.2f ms max %.2f ms",
               (double)ans[n / 2] / 1000.0, (double)ans[(n * 99) / 100] / 1000.0,
               (double)ans[n - 1] / 1000.0);
    printf("\n");
    uplink_stop(up, 0, 1000);
    uplink_free(up);
    pipeline_fini(&pl);
    store_close(db);
    keys_wipe(&key);
    free(lat);
    free(ans);
    return 0;
}
