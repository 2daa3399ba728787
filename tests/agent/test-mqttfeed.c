/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scales and buttons on the home broker (agent/link/mqttfeed.c): every payload an
 * ESPHome scale or a zigbee2mqtt button may send, and some they must not,
 * each checked for what it queues (samples, presses) and that a refused one
 * changes nothing; the silent-feed fault; and a 60 s feed through the real
 * conditioning (the item's settings as config.c makes them for a feed) with a
 * take, a refill and a cat, against stock events derived by hand.
 *
 * Hand arithmetic: grams feeds carry counts of 10 mg, so "1234.5" is 123450
 * counts and the item's identity calibration makes it 1234500 mg. Interval
 * 60 s: silent 120 s after the last live message, a TIMEOUT then and every
 * 60 s; conditioning's bad rule (one interval) makes the second TIMEOUT a
 * fault, 180 s after the last message.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/link/mqttfeed.h"
#include "sensors/cond/shelf.h"

#define SCALE "esphome-pantry/sensor/rice_scale/state"
#define BUTTON "zigbee2mqtt/pantry_button"
#define RAW "esphome-pantry/sensor/flour_raw/state"
#define T0 INT64_C(1764072000000)

static const char conf_text[] =
    "device_id = \"test\";\n"
    "home = { url = \"mqtt://127.0.0.1\"; };\n"
    "channels = ( { name = \"shelf2\"; mqtt = { topic = \"" SCALE "\";\n"
    "  format = \"grams\"; interval = \"60s\"; }; },\n"
    "  { name = \"shelf3\"; mqtt = { topic = \"" RAW "\"; format = \"raw\";\n"
    "    interval = \"5m\"; }; } );\n"
    "items = ( { id = \"rice\"; channel = \"shelf2\"; pack = 1000; },\n"
    "  { id = \"flour\"; channel = \"shelf3\"; pack = 1000;\n"
    "    calibration = { zero = 8000; span_raw = 400000; span = 1000.0; };\n"
    "    conditioning = { settle = \"10m\"; }; } );\n"
    "buttons = ( { item = \"rice\"; zigbee2mqtt = { topic = \"" BUTTON "\";\n"
    "  actions = { single = \"order\"; double = \"confirm\"; hold = \"cancel\";\n"
    "              release = \"none\"; }; }; } );\n";

static struct agent_config cfg;

static struct mqttfeed *
feed_new(void)
{
    struct mqttfeed *f = NULL;
    CHECK_EQ_I64(mqttfeed_new(&cfg, T0, &f), 0);
    CHECK(f != NULL);
    return f;
}

static int
msg(struct mqttfeed *f, const char *topic, const char *p, bool retained, int64_t t,
    char *why)
{
    return mqttfeed_message(f, topic, p, strlen(p), retained, t, why, 400);
}

static int
samples(struct mqttfeed *f, int64_t now, struct sample *out)
{
    struct sample_source *s = mqttfeed_source(f);
    return s->ops->read_samples(s, now, out, 64);
}

static int
presses(struct mqttfeed *f, int64_t now, struct press *out)
{
    struct sample_source *s = mqttfeed_source(f);
    return s->ops->read_presses(s, now, out, 64);
}

static void
test_registry(void)
{
    struct mqttfeed *f = feed_new();
    CHECK_EQ_U64(mqttfeed_n_topics(f), 3);
    CHECK(strcmp(mqttfeed_topic(f, 0), SCALE) == 0);
    CHECK(strcmp(mqttfeed_topic(f, 1), RAW) == 0);
    CHECK(strcmp(mqttfeed_topic(f, 2), BUTTON) == 0);
    /* The item on a grams feed has the identity calibration: 100 counts, 1 g. */
    CHECK(cfg.items[0].has_cal && cfg.items[0].cal.raw_zero == 0 &&
          cfg.items[0].cal.span_raw == 100 && cfg.items[0].cal.span_mg == 1000);
    /* And conditioning's windows for one sample a minute. */
    CHECK_EQ_I64(cfg.items[0].cond.settle_ms, 180000);
    CHECK_EQ_I64(cfg.items[0].cond.stuck_ms, 0);
    CHECK_EQ_I64(cfg.items[0].cond.bad_ms, 60000);
    CHECK_EQ_I64(cfg.items[0].cond.away_ms, 180000);
    CHECK_EQ_I64(cfg.items[0].cond.nodata_ms, 300000);
    /* A raw feed keeps its calibration; 5 min: silent after 10, no data only
     * after 10 + 2 * 5 min; the settle the item gives is kept as given. */
    const struct cond_config *fl = &cfg.items[1].cond;
    CHECK(cfg.items[1].cal.raw_zero == 8000 && cfg.items[1].cal.span_raw == 400000);
    CHECK_EQ_I64(fl->settle_ms, 600000);
    CHECK_EQ_I64(fl->away_ms, 900000);
    CHECK_EQ_I64(fl->bad_ms, 300000);
    CHECK_EQ_I64(fl->nodata_ms, 1200000);
    CHECK_EQ_I64(fl->move_window_ms, 600000);
    CHECK_EQ_I64(fl->stuck_ms, 0);
    mqttfeed_free(f);
}

static void
test_scale_payloads(void)
{
    struct mqttfeed *f = feed_new();
    struct sample s[64];
    char why[400], big[100 * 1024];

    CHECK_EQ_I64(msg(f, SCALE, "1234.5", false, T0 + 1000, why), 1);
    CHECK_EQ_I64(samples(f, T0 + 1000, s), 1);
    CHECK(s[0].status == SAMPLE_OK && s[0].raw == 123450 && s[0].channel == 0 &&
          s[0].t_ms == T0 + 1000);
    CHECK_EQ_I64(msg(f, SCALE, "-3", false, T0 + 2000, why), 1);
    CHECK_EQ_I64(samples(f, T0 + 2000, s), 1);
    CHECK_EQ_I64(s[0].raw, -300);
    /* nan: the scale says it has no reading, a bad sample like an hx711's. */
    CHECK_EQ_I64(msg(f, SCALE, "nan", false, T0 + 3000, why), 1);
    CHECK(strstr(why, SCALE) != NULL && strstr(why, "no reading") != NULL);
    CHECK_EQ_I64(samples(f, T0 + 3000, s), 1);
    CHECK(s[0].status == SAMPLE_INVALID);

    /* Refused: a clear line naming the topic, and nothing queued. */
    static const struct {
        const char *p;
        int err;
        const char *says;
    } bad[] = {
        {"", -EINVAL, "found ''"},
        {"1e999", -EINVAL, "expected grams like \"1234.5\" or \"nan\", found '1e999'"},
        {"12abc", -EINVAL, "found '12abc'"},
        {"inf", -EINVAL, "found 'inf'"},
        {" 12", -EINVAL, "found ' 12'"},
        {"12.", -EINVAL, "found '12.'"},
        {"NaN", -EINVAL, "found 'NaN'"},
        {"83886.08", -ERANGE, "expected grams from -83886.07 to 83886.07"},
        {"99999999999999999999", -ERANGE, "found '99999999999999999999'"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        int r = msg(f, SCALE, bad[i].p, false, T0 + 4000, why);
        CHECK_MSG(r == bad[i].err, "'%s': %d", bad[i].p, r);
        CHECK_MSG(strstr(why, bad[i].says) != NULL && strncmp(why, SCALE, 10) == 0,
                  "'%s': %s", bad[i].p, why);
        CHECK_EQ_I64(samples(f, T0 + 4000, s), 0);
    }
    /* A NUL inside: "nan" and then a byte is not "nan". */
    CHECK_EQ_I64(mqttfeed_message(f, SCALE, "nan\0", 4, false, T0 + 4000, why, 400),
                 -EINVAL);
    memset(big, '1', sizeof(big));
    CHECK_EQ_I64(
        mqttfeed_message(f, SCALE, big, sizeof(big), false, T0 + 4000, why, 400),
        -EMSGSIZE);
    CHECK(strstr(why, "102400 bytes") != NULL);
    CHECK_EQ_I64(samples(f, T0 + 4000, s), 0);
    /* Out of order: older than the last reading (the clock stepped back). */
    CHECK_EQ_I64(msg(f, SCALE, "10", false, T0 + 2500, why), -ETIME);
    CHECK_EQ_I64(samples(f, T0 + 4000, s), 0);
    /* Retained once something was read: an old copy, not used. */
    CHECK_EQ_I64(msg(f, SCALE, "10", true, T0 + 5000, why), 0);
    CHECK(strstr(why, "retained") != NULL);
    CHECK_EQ_I64(samples(f, T0 + 5000, s), 0);
    /* Not our topic: nothing, silently. */
    CHECK_EQ_I64(
        msg(f, "esphome-pantry/sensor/other/state", "10", false, T0 + 5000, why), 0);
    CHECK(why[0] == '\0');
    mqttfeed_free(f);
}

static void
test_raw_payloads(void)
{
    struct mqttfeed *f = feed_new();
    struct sample s[64];
    char why[400];

    static const struct {
        const char *p;
        int r;
        int32_t raw;
    } cases[] = {
        {"123456", 1, 123456},       {"-8388608", 1, -8388608},
        {"8388607", 1, 8388607},     {"12.6", 1, 13},
        {"-8388608.4", 1, -8388608}, {"-8388608.6", -ERANGE, 0},
        {"8388607.5", -ERANGE, 0},   {"8388608", -ERANGE, 0},
        {"1e3", -EINVAL, 0},         {"0x10", -EINVAL, 0},
        {"+5", -EINVAL, 0},          {"--5", -EINVAL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t t = T0 + 1000 * (int64_t)(i + 1);
        CHECK_MSG(msg(f, RAW, cases[i].p, false, t, why) == cases[i].r, "'%s': %s",
                  cases[i].p, why);
        int n = samples(f, t, s);
        CHECK_EQ_I64(n, cases[i].r == 1);
        if (n == 1)
            CHECK(s[0].raw == cases[i].raw && s[0].channel == 1 &&
                  s[0].status == SAMPLE_OK);
        if (cases[i].r == -ERANGE)
            CHECK(strstr(why, "expected counts from -8388608 to 8388607") != NULL);
    }
    mqttfeed_free(f);
}

static void
test_retained_start(void)
{
    struct mqttfeed *f = feed_new();
    struct sample s[64];
    char why[400];

    /* The first word may be the broker's retained copy: used, but only a live
     * message proves the scale is there: silent 120 s after the start. */
    CHECK_EQ_I64(msg(f, SCALE, "500", true, T0 + 1000, why), 1);
    CHECK_EQ_I64(samples(f, T0 + 1000, s), 1);
    CHECK_EQ_I64(s[0].raw, 50000);
    struct sample_source *src = mqttfeed_source(f);
    CHECK_EQ_I64(src->ops->next_due_ms(src, T0 + 1000), T0 + 120000);
    CHECK_EQ_I64(samples(f, T0 + 119999, s), 0);
    CHECK_EQ_I64(samples(f, T0 + 120000, s), 1);
    CHECK(s[0].status == SAMPLE_TIMEOUT);
    /* A live one: silent again 120 s later. */
    CHECK_EQ_I64(msg(f, SCALE, "500", false, T0 + 130000, why), 1);
    CHECK_EQ_I64(samples(f, T0 + 130000, s), 1);
    CHECK_EQ_I64(src->ops->next_due_ms(src, T0 + 130000), T0 + 250000);
    mqttfeed_free(f);
}

static void
test_buttons(void)
{
    struct mqttfeed *f = feed_new();
    struct press p[64];
    struct sample s[64];
    char why[400];

    static const struct {
        const char *json;
        int r;
        int kind;
    } cases[] = {
        {"{\"action\":\"single\",\"battery\":97,\"linkquality\":120}", 1, PRESS_SHORT},
        {"{\"action\":\"double\"}", 1, PRESS_DOUBLE},
        {"{\"action\":\"hold\",\"battery\":97}", 1, PRESS_LONG},
        {"{\"action\":\"release\"}", 0, -1},             /* configured as none */
        {"{\"action\":\"triple\"}", 0, -1},              /* not configured */
        {"{\"action\":\"\"}", 0, -1},                    /* z2m clearing it */
        {"{\"action\":null,\"battery\":97}", 0, -1},     /* the same */
        {"{\"battery\":97,\"linkquality\":120}", 0, -1}, /* state, no press */
        {"{\"action\":1}", -EINVAL, -1},
        {"{\"action\":[\"single\"]}", -EINVAL, -1},
        {"[\"single\"]", -EINVAL, -1},
        {"single", -EINVAL, -1},
        {"{\"action\":\"single\"} x", -EINVAL, -1},
        {"{\"action\":\"single\"", -EINVAL, -1},
        {"", -EINVAL, -1},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int r = msg(f, BUTTON, cases[i].json, false, T0 + 1000 + (int64_t)i, why);
        CHECK_MSG(r == cases[i].r, "%s: %d (%s)", cases[i].json, r, why);
        int n = presses(f, T0 + 2000, p);
        CHECK_EQ_I64(n, cases[i].kind >= 0 ? 1 : 0);
        if (n == 1)
            CHECK(p[0].kind == cases[i].kind && p[0].button == 0 &&
                  p[0].t_ms == T0 + 1000 + (int64_t)i);
        if (r < 0)
            CHECK_MSG(strncmp(why, BUTTON ": ", strlen(BUTTON) + 2) == 0, "%s", why);
        CHECK_EQ_I64(samples(f, T0 + 2000, s), 0);
    }
    /* A retained message is no press, whatever it says. */
    CHECK_EQ_I64(msg(f, BUTTON, "{\"action\":\"single\"}", true, T0 + 3000, why), 0);
    CHECK(strstr(why, "retained message is no press") != NULL);
    CHECK_EQ_I64(presses(f, T0 + 3000, p), 0);
    mqttfeed_free(f);
}

/* Events of the shelf, fed from the feed's samples as the daemon would. */
struct run {
    struct shelf sh;
    struct stock_event ev[64];
    size_t n;
};

static void
step(struct mqttfeed *f, struct run *r, int64_t now)
{
    struct sample s[64];
    struct stock_event ev[SHELF_MAX_EVENTS];

    if (shelf_next_due_ms(&r->sh) <= now) {
        int k = shelf_tick(&r->sh, now, ev);
        for (int i = 0; i < k && r->n < 64; i++)
            r->ev[r->n++] = ev[i];
    }
    int n = samples(f, now, s);
    for (int j = 0; j < n; j++) {
        int k = shelf_sample(&r->sh, &s[j], ev);
        for (int i = 0; i < k && r->n < 64; i++)
            r->ev[r->n++] = ev[i];
    }
}

static void
show(const struct run *r)
{
    for (size_t i = 0; i < r->n; i++)
        fprintf(stderr, "  event %zu: +%llds %s %lld mg flags %u\n", i,
                (long long)((r->ev[i].t_ms - T0) / 1000),
                stock_kind_to_str(r->ev[i].kind), (long long)r->ev[i].mg,
                r->ev[i].flags);
}

/* The scale's grams at minute m: 1500 g; a 200 g take at 20; a pack of 1000 g
 * at 40; a 4 kg cat sits on it from minute 100 to 104; silent 130..140. */
static const char *
grams_at(int m)
{
    if (m >= 100 && m < 104)
        return "6300.0";
    if (m >= 130 && m < 140)
        return NULL;
    return m < 20 ? "1500.0" : m < 40 ? "1300.0" : "2300.0";
}

static void
test_feed_conditioning(void)
{
    struct mqttfeed *f = feed_new();
    struct run r = {.n = 0};
    char why[400];

    shelf_init(&r.sh);
    CHECK_EQ_I64(shelf_add(&r.sh, 0, &cfg.items[0].cond, &cfg.items[0].cal, T0), 0);
    /* A message every 60 s, at 7 s past the minute; a tick every second. */
    for (int64_t t = T0; t < T0 + 200 * 60000; t += 1000) {
        int64_t m = (t - T0) / 60000;
        if ((t - T0) % 60000 == 7000 && grams_at((int)m) != NULL)
            CHECK_EQ_I64(msg(f, SCALE, grams_at((int)m), false, t, why), 1);
        step(f, &r, t);
    }
    /*
     * By hand: the first level (1500 g) settles and is no event. The take at
     * 20:07 is seen when the median of 5 holds the new value (22:07), settles
     * 3 min later (25:07): CONSUME 200 g. The refill at 40:07 is seen at 42:07,
     * settles at 45:07 and counts once it held 30 minutes (refill hold): REFILL
     * 1000 g at 75:07. The cat's 4 samples (100:07..103:07) are the median's
     * majority: a foreign load set down (MOVED, the level with it, 6300 g),
     * then taken away (MOVED, left): no change of stock. The silence after
     * 129:07 (the last message) gives a TIMEOUT at 131:07 and one at 132:07:
     * FAULT then; the scale speaks again at 140:07 and after two intervals of
     * good samples, settled, FAULT_END at the level it left.
     */
    show(&r);
    CHECK_EQ_I64(r.n, 6);
    if (r.n == 6) {
        CHECK(r.ev[0].kind == STOCK_CONSUME && r.ev[0].mg == 200000 &&
              r.ev[0].t_ms == T0 + 25 * 60000 + 7000);
        CHECK(r.ev[1].kind == STOCK_REFILL && r.ev[1].mg == 1000000 &&
              r.ev[1].t_ms == T0 + 75 * 60000 + 7000);
        CHECK(r.ev[2].kind == STOCK_MOVED && r.ev[2].flags == STOCK_F_FOREIGN &&
              r.ev[2].mg == 6300000);
        CHECK(r.ev[3].kind == STOCK_MOVED && r.ev[3].flags == STOCK_F_LEFT &&
              r.ev[3].mg == 2300000);
        CHECK(r.ev[4].kind == STOCK_FAULT && r.ev[4].flags == 0 &&
              r.ev[4].t_ms == T0 + 132 * 60000 + 7000);
        CHECK(r.ev[5].kind == STOCK_FAULT_END && r.ev[5].mg == 2300000 &&
              r.ev[5].t_ms > T0 + 140 * 60000);
    }
    mqttfeed_free(f);
}

int
main(void)
{
    struct cfg_errors errs;

    cfg_errors_init(&errs);
    if (cfg_load_string(conf_text, "feed.conf", &cfg, &errs) != 0) {
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.msg[i]);
        TH_FAIL("the configuration");
        return th_done();
    }
    RUN(test_registry);
    RUN(test_scale_payloads);
    RUN(test_raw_payloads);
    RUN(test_retained_start);
    RUN(test_buttons);
    RUN(test_feed_conditioning);
    return th_done();
}
