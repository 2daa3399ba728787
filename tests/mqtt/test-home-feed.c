/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The home link's feed (home.h) against a real mosquitto (test-home-feed.py
 * starts it and passes its URL): what the daemon asks for with
 * home_subscribe() reaches the feed callback with its retained flag, the
 * link's own topics (Home Assistant's status, commands) never do, the list
 * is bounded, and the subscriptions are made again after a reconnect (a clean
 * session: the broker forgot them). A peer client publishes.
 *
 * usage: test-home-feed URL
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/link/home.h"
#include "agent/link/mqtt.h"
#include "agent/pipeline/pipeline.h"

static struct home *h;
static struct mqtt *peer;
static char got_topic[8][MQTT_TOPIC_MAX];
static char got_payload[8][32];
static bool got_retained[8];
static size_t n_got;
static bool home_on; /* run() works the link too */
static int puback = -1;

static void
feed(void *ctx, const char *topic, const char *payload, size_t len, bool retained,
     int64_t now_ms)
{
    (void)ctx;
    (void)now_ms;
    if (n_got < 8) {
        snprintf(got_topic[n_got], MQTT_TOPIC_MAX, "%s", topic);
        snprintf(got_payload[n_got], 32, "%.*s", (int)len, payload ? payload : "");
        got_retained[n_got] = retained;
    }
    n_got++;
}

/* Both ends on real time until done() or 10 s. */
static bool
run(bool (*done)(void))
{
    int64_t end = clock_mono_us() + 10000000;

    do {
        struct mqtt_event ev;
        struct pollfd p[2] = {{.fd = home_fd(h), .events = POLLIN},
                              {.fd = mqtt_event_fd(peer), .events = POLLIN}};
        if (home_on)
            home_work(h, clock_mono_us() / 1000, clock_wall_ms(), false);
        while (mqtt_next_event(peer, &ev)) {
            if (ev.kind == MQTT_EV_PUBACK && ev.token == puback)
                puback = -1;
            mqtt_event_fini(&ev);
        }
        if (!mqtt_connected(peer))
            mqtt_connect(peer);
        if (done())
            return true;
        poll(p, 2, 20);
    } while (clock_mono_us() < end);
    return false;
}

static bool
both_connected(void)
{
    return home_connected(h) && mqtt_connected(peer);
}
static size_t want;
static bool
got_want(void)
{
    return n_got >= want;
}
static bool
peer_only(void)
{
    return mqtt_connected(peer);
}
static bool
acked(void)
{
    return puback < 0;
}

static void
pub(const char *t, const char *p, bool retain)
{
    CHECK(mqtt_publish(peer, t, p, strlen(p), retain, NULL) == 0);
}

int
main(int argc, char **argv)
{
    static struct agent_config cfg;
    static struct pipeline pl; /* no items: only the link is under test */
    struct cfg_errors errs;
    char text[512], err[256];

    if (argc < 2)
        return fprintf(stderr, "usage: test-home-feed URL\n"), 2;
    snprintf(text, sizeof(text),
             "device_id = \"feedtest\";\n"
             "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n"
             "items = ( { id = \"i\"; channel = \"c\"; pack = 100; } );\n"
             "home = { url = \"%s\"; commands = true; };\n",
             argv[1]);
    if (cfg_load_string(text, "feed.conf", &cfg, &errs) != 0)
        return fprintf(stderr, "%s\n", errs.msg[0]), 1;
    struct mqtt_options po = {.url = argv[1], .client_id = "feed-peer", .verify = true};
    if (mqtt_new(&po, &peer, err, sizeof(err)) < 0 ||
        home_new(&cfg, &pl, "test", &h, err, sizeof(err)) < 0)
        return fprintf(stderr, "%s\n", err), 1;
    home_set_feed(h, feed, NULL);
    /* The button first: once the scale's retained state arrives after a
     * connect, the broker has taken both subscriptions (it takes them in
     * order). */
    CHECK(home_subscribe(h, "zigbee2mqtt/button") == 0);
    CHECK(home_subscribe(h, "scale/#") == 0);
    CHECK(home_subscribe(h, "scale/#") == -EEXIST);
    CHECK(home_subscribe(h, "") == -EINVAL);

    /* Retained before the link subscribes: it arrives with retained set. */
    mqtt_connect(peer);
    CHECK(run(peer_only));
    CHECK(mqtt_publish(peer, "scale/kitchen/state", "812.5", 5, true, &puback) == 0);
    CHECK(run(acked));
    want = 1;
    home_on = true;
    CHECK(run(both_connected));
    CHECK_MSG(run(got_want), "the retained scale state, got %zu", n_got);
    CHECK(strcmp(got_topic[0], "scale/kitchen/state") == 0);
    CHECK(strcmp(got_payload[0], "812.5") == 0 && got_retained[0]);

    /* Live: not retained; the link's own topics are not fed. */
    pub("homeassistant/status", "online", false);
    pub("pantry/feedtest/i/command", "junk", false);
    pub("zigbee2mqtt/button", "{\"action\":\"single\"}", false);
    want = 2;
    CHECK(run(got_want));
    CHECK_MSG(n_got == 2 && strcmp(got_topic[1], "zigbee2mqtt/button") == 0 &&
                  !got_retained[1],
              "%zu: %s", n_got, got_topic[1]);

    /* A reconnect with a clean session: the subscriptions are made again. */
    home_stop(h, clock_wall_ms(), 1000);
    CHECK(!home_connected(h));
    want = 3; /* the retained scale state again */
    CHECK(run(got_want));
    CHECK(strcmp(got_topic[2], "scale/kitchen/state") == 0 && got_retained[2]);
    pub("zigbee2mqtt/button", "{\"action\":\"double\"}", false);
    want = 4;
    CHECK(run(got_want));
    CHECK_MSG(n_got == 4 && strcmp(got_topic[3], "zigbee2mqtt/button") == 0 &&
                  strcmp(got_payload[3], "{\"action\":\"double\"}") == 0,
              "%zu: %s %s", n_got, got_topic[3], got_payload[3]);

    /* At most HOME_SUBSCRIPTIONS_MAX. */
    char t[32];
    int r = 0;
    for (int i = 0; i < HOME_SUBSCRIPTIONS_MAX && r == 0; i++) {
        snprintf(t, sizeof(t), "extra/%d", i);
        r = home_subscribe(h, t);
    }
    CHECK_EQ_I64(r, -ENOSPC);

    pub("scale/kitchen/state", "", true); /* leave the broker clean */
    run(peer_only);
    home_stop(h, clock_wall_ms(), 1000);
    home_free(h);
    mqtt_disconnect(peer, 500);
    mqtt_free(peer);
    return th_done();
}
