/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The resend wait after an answer (issue 12): the daemon's link (uplink_work,
 * the outbox, Paho) against a real broker, on a virtual monotonic clock, as
 * the daemon's loop drives it. Order A goes unanswered for three rounds, so
 * the wait between rounds grows from resend (1 s) to 8 s; the retailer then
 * answers A (an ack published by a second client, as pantry-retailer would);
 * order B is sent at once and not answered: its next round must come resend
 * after it went (1 s), not the 8 s the silence before the answer grew the
 * wait to. The second client, subscribed to the reorder topic, sees B again.
 *
 *   test-resend BROKER_URL DIR
 */
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/msg/keys.h"
#include "agent/logging.h"
#include "agent/link/mqtt.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"
#include "agent/link/uplink.h"

#define DAY_MS INT64_C(86400000)
#define TOPIC "pantry/v1/resend-pi/"

static struct store *db;
static struct uplink *up;
static struct mqtt *peer; /* the retailer's side: sees reorders, sends acks */
static unsigned seen[2];  /* reorders of A and B the peer received */
static char ids[2][STORE_ID_MAX];

static int
newest(const struct store_order *o, void *ctx)
{
    snprintf(ctx, STORE_ID_MAX, "%s", o->order_id);
    return 0;
}

/* Take the peer's events: count the reorders (of A until B is made, then of
 * B) and note the subscription. */
static bool subscribed;

static void
peer_events(void)
{
    struct mqtt_event ev;

    while (mqtt_next_event(peer, &ev)) {
        if (ev.kind == MQTT_EV_SUBSCRIBED && ev.code == 0)
            subscribed = true;
        if (ev.kind == MQTT_EV_MESSAGE && strcmp(ev.topic, TOPIC "reorder") == 0)
            seen[ids[1][0] != '\0']++;
        mqtt_event_fini(&ev);
    }
}

/* Run both ends on real time for events, the link at virtual mono_ms, until
 * done() or 10 s pass; the link's last wait. */
static int64_t
run(int64_t mono_ms, int64_t now_ms, bool (*done)(void))
{
    int64_t end = clock_mono_us() + 10000000, wait = 0;

    do {
        struct pollfd p[2] = {{.fd = uplink_fd(up), .events = POLLIN},
                              {.fd = mqtt_event_fd(peer), .events = POLLIN}};
        wait = uplink_work(up, mono_ms, now_ms);
        peer_events();
        if (done())
            return wait;
        poll(p, 2, 50);
    } while (clock_mono_us() < end);
    return -1;
}

static enum store_order_state
state(int i)
{
    struct store_order o;
    enum store_order_state s = ORDER_PLANNED;

    if (store_order_get(db, ids[i], &o) == 0) {
        s = o.state;
        store_order_fini(&o);
    }
    return s;
}

static bool
connected(void)
{
    return uplink_connected(up) && mqtt_connected(peer);
}
static bool
peer_subscribed(void)
{
    return subscribed;
}
static bool
a_published(void)
{
    return state(0) == ORDER_PUBLISHED;
}
static bool
a_acknowledged(void)
{
    return state(0) == ORDER_ACKNOWLEDGED;
}
static bool
b_published(void)
{
    return state(1) == ORDER_PUBLISHED;
}
static unsigned want;
static bool
seen_want(void)
{
    return seen[ids[1][0] != '\0'] >= want;
}

int
main(int argc, char **argv)
{
    static struct agent_config cfg;
    static struct pipeline pl;
    struct cfg_errors errs;
    struct keys key;
    char text[2048], path[600], err[512], msg[512];
    int64_t now = DAY_MS * 20001, t;
    int token;

    if (argc != 3) {
        fprintf(stderr, "usage: test-resend BROKER_URL DIR\n");
        return 2;
    }
    log_setup(CFG_LOG_WARNING, false);
    snprintf(text, sizeof(text),
             "device_id = \"resend-pi\";\n"
             "store_path = \"%s/pantry.db\";\nkey_path = \"%s/device.key\";\n"
             "control_socket = \"%s/control.sock\";\n"
             "broker = { url = \"%s\"; resend = \"1s\"; };\n"
             "channels = ( { name = \"rice\"; iio = { device = \"shelf\"; }; } );\n"
             "items = ( { id = \"rice\"; channel = \"rice\"; pack = 1000; mode = "
             "\"auto\"; max_orders_30d = 30;\n"
             "  calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n",
             argv[2], argv[2], argv[2], argv[1]);
    snprintf(path, sizeof(path), "%s/device.key", argv[2]);
    struct mqtt_options po = {
        .url = argv[1], .client_id = "resend-peer", .verify = true};
    if (cfg_load_string(text, "resend.conf", &cfg, &errs) < 0 ||
        keys_generate(path, true, &key, err, sizeof(err)) < 0 ||
        store_open(cfg.store_path, 0, &db, err, sizeof(err)) < 0 ||
        pipeline_init(&pl, &cfg, db, now, err, sizeof(err)) < 0 ||
        mqtt_new(&po, &peer, err, sizeof(err)) < 0) {
        fprintf(stderr, "test-resend: setup: %s %s\n", err,
                errs.count ? errs.msg[0] : "");
        return 1;
    }
    pl.key = &key;
    CHECK_EQ_I64(uplink_new(&cfg, &key, db, &pl, "test", &up, err, sizeof(err)), 0);
    CHECK_EQ_I64(mqtt_connect(peer), 0);
    CHECK(run(0, now, connected) >= 0);
    CHECK_EQ_I64(mqtt_subscribe(peer, TOPIC "reorder", &token), 0);
    CHECK(run(0, now, peer_subscribed) >= 0);

    /* A: sent at 0, unanswered; rounds at 1 s, 3 s, 7 s (1, 2, 4 s apart). */
    CHECK_EQ_I64(pipeline_order(&pl, 0, "manual", now, msg, sizeof(msg)), 0);
    store_orders_open(db, "rice", newest, ids[0]);
    uplink_kick(up);
    want = 1;
    CHECK(run(0, now, a_published) >= 0 && run(0, now, seen_want) >= 0);
    for (int64_t at = 1000, gap = 1000; at <= 7000; gap *= 2, at += gap) {
        want++;
        CHECK_MSG(run(at, now, seen_want) >= 0, "round at %" PRId64 " ms", at);
    }
    CHECK_EQ_I64(seen[0], 4);
    t = run(7001, now, a_published);
    CHECK_EQ_I64(t, 8000 - 1); /* the next round: 8 s after the last */

    /* The retailer answers A. */
    struct store_order a;
    CHECK_EQ_I64(store_order_get(db, ids[0], &a), 0);
    int n = snprintf(text, sizeof(text),
                     "{\"v\":1,\"type\":\"ack\",\"order_id\":\"%s\",\"device\":"
                     "\"resend-pi\",\"seq\":%" PRId64 ",\"iat\":1,\"status\":"
                     "\"accepted\"}",
                     a.order_id, a.seq);
    store_order_fini(&a);
    CHECK_EQ_I64(mqtt_publish(peer, TOPIC "ack", text, (size_t)n, false, NULL), 0);
    CHECK(run(7002, now, a_acknowledged) >= 0);
    /* The refill came: B, sent at once, then unanswered. */
    store_order_transition(db, ids[0], ORDER_ACKNOWLEDGED, ORDER_FULFILLED, now + 1,
                           NULL);
    now += 31 * DAY_MS;
    CHECK_EQ_I64(pipeline_order(&pl, 0, "manual", now, msg, sizeof(msg)), 0);
    store_orders_open(db, "rice", newest, ids[1]);
    uplink_kick(up);
    want = 1;
    CHECK(run(7003, now, b_published) >= 0 && run(7003, now, seen_want) >= 0);
    /* Its next round: 1 s after it went (8003), not 8 s (15003). */
    t = run(7004, now, b_published);
    CHECK_MSG(t == 999, "next round in %" PRId64 " ms, not 999", t);
    want = 2;
    CHECK_MSG(run(8003, now, seen_want) >= 0, "B again at 8003 ms: seen %u", seen[1]);

    uplink_stop(up, now, 1000);
    uplink_free(up);
    mqtt_free(peer);
    pipeline_fini(&pl);
    store_close(db);
    keys_wipe(&key);
    return th_done();
}
