/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration of scales and buttons on the home broker (see
 * config-feeds.h): a channel's mqtt group and a button's zigbee2mqtt group,
 * each read whole and checked exactly before anything is stored, and the
 * checks across the file that only make sense once every channel, item and
 * button is known (one topic per feed, the calibration and the conditioning
 * timing of an item that stands on a feed).
 */
#include "agent/config/config-feeds.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "sensors/cond/cond.h"
#include "agent/config/config-found.h"
#include "models/units.h"
#include "agent/msg/utc.h"

#define FEED_STALE_FLOOR_MS 30000

int64_t
cfg_feed_stale_ms(const struct cfg_feed *f)
{
    int64_t s = 2 * (int64_t)f->interval_ms;
    return s > FEED_STALE_FLOOR_MS ? s : FEED_STALE_FLOOR_MS;
}

/* The members of group s must be among names (NULL-terminated). */
static int
known_members(const config_setting_t *s, const char *const *names, const char *expected,
              const config_setting_t **where, char *err, size_t errlen)
{
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        const char *n = config_setting_name(m);
        bool ok = false;
        for (size_t k = 0; names[k] != NULL && !ok; k++)
            ok = n != NULL && strcmp(n, names[k]) == 0;
        if (!ok) {
            *where = m;
            snprintf(err, errlen, "expected one of %s, found an unknown setting %s",
                     expected, n != NULL ? n : "?");
            return -EINVAL;
        }
    }
    return 0;
}

/* An MQTT topic to subscribe to exactly: no wildcard, no empty level, not
 * the broker's own $SYS tree (MQTT 5 section 4.7). */
static bool
topic_ok(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n >= CFG_FEED_TOPIC_MAX || v[0] == '$' || v[0] == '/' ||
        v[n - 1] == '/' || strstr(v, "//") != NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < 0x20 || v[i] > 0x7e || v[i] == '+' || v[i] == '#')
            return false;
    return true;
}

static int
get_topic(const config_setting_t *g, char *dst, const config_setting_t **where,
          char *err, size_t errlen)
{
    static const char expected[] =
        "an MQTT topic of 1 to 127 printable ASCII characters without + # or an "
        "empty level, like \"esphome-pantry/sensor/rice_scale/state\"";
    const config_setting_t *t = config_setting_get_member(g, "topic");

    if (t == NULL) {
        *where = g;
        snprintf(err, errlen, "expected topic = \"...\"; in the group, found none");
        return -EINVAL;
    }
    if (config_setting_type(t) != CONFIG_TYPE_STRING ||
        !topic_ok(config_setting_get_string(t)))
        return cfg_expected(t, where, err, errlen, expected);
    snprintf(dst, CFG_FEED_TOPIC_MAX, "%s", config_setting_get_string(t));
    return 0;
}

int
cfg_feeds_channel(const config_setting_t *s, struct cfg_channel *ch,
                  const config_setting_t **where, char *err, size_t errlen)
{
    static const char *const keys[] = {"topic", "format", "interval", NULL};
    struct cfg_feed f = {.format = CFG_FEED_GRAMS, .interval_ms = 60000};
    const config_setting_t *m;
    int r;

    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return cfg_expected(s, where, err, errlen, "a group { topic = \"...\"; }");
    if ((r = known_members(s, keys, "topic, format, interval", where, err, errlen)) <
            0 ||
        (r = get_topic(s, f.topic, where, err, errlen)) < 0)
        return r;
    if ((m = config_setting_get_member(s, "format")) != NULL) {
        const char *v = config_setting_type(m) == CONFIG_TYPE_STRING
                            ? config_setting_get_string(m)
                            : "";
        if (strcmp(v, "grams") == 0)
            f.format = CFG_FEED_GRAMS;
        else if (strcmp(v, "raw") == 0)
            f.format = CFG_FEED_RAW;
        else
            return cfg_expected(m, where, err, errlen, "\"grams\" or \"raw\"");
    }
    if ((m = config_setting_get_member(s, "interval")) != NULL) {
        int64_t sec;
        if (config_setting_type(m) != CONFIG_TYPE_STRING ||
            utc_parse_duration(config_setting_get_string(m), MODELS_DT_MAX_S, &sec) <
                0 ||
            sec < 1 || sec > 3600)
            return cfg_expected(m, where, err, errlen,
                                "a duration from 1s to 1h (like \"60s\", \"5m\")");
        f.interval_ms = (int32_t)(sec * 1000);
    }
    ch->source = CFG_SRC_MQTT;
    ch->feed = f;
    return 0;
}

bool
cfg_feeds_action(const char *v, enum cfg_action *out)
{
    static const char *const names[] = {"none", "order", "cancel", "confirm"};

    for (int i = 0; i < 4; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (enum cfg_action)i;
            return true;
        }
    return false;
}

static bool
action_name_ok(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n >= CFG_Z2M_ACTION_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
              (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-'))
            return false;
    return true;
}

int
cfg_feeds_button(const config_setting_t *s, struct cfg_button *b,
                 const config_setting_t **where, char *err, size_t errlen)
{
    static const char *const keys[] = {"topic", "actions", NULL};
    struct cfg_z2m z = {.names = {"single", "double", "hold"},
                        .actions = {CFG_ACT_ORDER, CFG_ACT_CONFIRM, CFG_ACT_CANCEL},
                        .n_actions = 3};
    const config_setting_t *a;
    int r;

    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return cfg_expected(s, where, err, errlen, "a group { topic = \"...\"; }");
    if ((r = known_members(s, keys, "topic, actions", where, err, errlen)) < 0 ||
        (r = get_topic(s, z.topic, where, err, errlen)) < 0)
        return r;
    if ((a = config_setting_get_member(s, "actions")) != NULL) {
        int n = config_setting_length(a);
        if (config_setting_type(a) != CONFIG_TYPE_GROUP || n < 1 || n > CFG_Z2M_ACTIONS)
            return cfg_expected(a, where, err, errlen,
                                "a group of 1 to 8 actions like { single = \"order\"; "
                                "double = \"confirm\"; hold = \"cancel\"; }");
        z.n_actions = 0;
        for (int i = 0; i < n; i++) {
            const config_setting_t *m = config_setting_get_elem(a, (unsigned)i);
            const char *name = config_setting_name(m);
            enum cfg_action act;
            if (name == NULL || !action_name_ok(name)) {
                *where = m;
                snprintf(err, errlen,
                         "expected an action name of 1 to 31 characters A-Z, a-z, "
                         "0-9, _ and -");
                return -EINVAL;
            }
            if (config_setting_type(m) != CONFIG_TYPE_STRING ||
                !cfg_feeds_action(config_setting_get_string(m), &act))
                return cfg_expected(m, where, err, errlen,
                                    "\"order\", \"cancel\", \"confirm\" or \"none\"");
            snprintf(z.names[z.n_actions], CFG_Z2M_ACTION_MAX, "%s", name);
            z.actions[z.n_actions++] = act;
        }
    }
    b->source = CFG_BTN_Z2M;
    b->z2m = z;
    /* The device classifies its presses: each action reaches the pipeline as
     * the press kind whose action it is (mqttfeed.c), and a kind no action
     * uses does nothing (so a button with no order or cancel needs no item). */
    b->on_short = b->on_long = b->on_double = CFG_ACT_NONE;
    for (size_t i = 0; i < z.n_actions; i++) {
        if (z.actions[i] == CFG_ACT_ORDER)
            b->on_short = CFG_ACT_ORDER;
        else if (z.actions[i] == CFG_ACT_CANCEL)
            b->on_long = CFG_ACT_CANCEL;
        else if (z.actions[i] == CFG_ACT_CONFIRM)
            b->on_double = CFG_ACT_CONFIRM;
    }
    return 0;
}

/* The topic setting of a feed's group (for where), or the group's own. */
static const config_setting_t *
topic_setting(config_setting_t *s, const char *group)
{
    config_setting_t *g = config_setting_get_member(s, group);
    config_setting_t *t = g != NULL ? config_setting_get_member(g, "topic") : NULL;
    return t != NULL ? t : s;
}

/* Every feed topic of c, with its setting: channels first, then buttons. */
struct topic_use {
    const char *topic;
    const config_setting_t *s;
};

static size_t
topics(const struct agent_config *c, config_setting_t *const *chan_set,
       config_setting_t *const *btn_set, struct topic_use *out)
{
    size_t n = 0;

    for (size_t i = 0; i < c->n_channels; i++)
        if (c->channels[i].source == CFG_SRC_MQTT)
            out[n++] = (struct topic_use){c->channels[i].feed.topic,
                                          topic_setting(chan_set[i], "mqtt")};
    for (size_t i = 0; i < c->n_buttons; i++)
        if (c->buttons[i].source == CFG_BTN_Z2M)
            out[n++] = (struct topic_use){c->buttons[i].z2m.topic,
                                          topic_setting(btn_set[i], "zigbee2mqtt")};
    return n;
}

/*
 * The conditioning settings cond_config_feed() changes, by their name in an
 * item's conditioning group: one the user gives is kept as given.
 */
#define CF(name, field)                                                                \
    {                                                                                  \
        name, offsetof(struct cond_config, field)                                      \
    }
static const struct {
    const char *name;
    size_t off;
} feed_timing[] = {
    CF("settle", settle_ms),           CF("away", away_ms),
    CF("empty_after", empty_after_ms), CF("move_window", move_window_ms),
    CF("recover", recover_ms),         CF("bad", bad_ms),
    CF("nodata", nodata_ms),           CF("stuck", stuck_ms),
};
#undef CF

static void
feed_conditioning(struct cfg_item *it, const struct cfg_feed *f,
                  config_setting_t *item_s)
{
    struct cond_config given = it->cond;
    config_setting_t *g = config_setting_get_member(item_s, "conditioning");

    cond_config_feed(&it->cond, f->interval_ms, cfg_feed_stale_ms(f));
    for (size_t k = 0; g != NULL && k < sizeof(feed_timing) / sizeof(feed_timing[0]);
         k++)
        if (config_setting_get_member(g, feed_timing[k].name) != NULL)
            memcpy((char *)&it->cond + feed_timing[k].off,
                   (const char *)&given + feed_timing[k].off, sizeof(int64_t));
    /* A given away longer than the stretched empty_after: keep them ordered. */
    if (it->cond.empty_after_ms < it->cond.away_ms)
        it->cond.empty_after_ms = it->cond.away_ms;
}

int
cfg_feeds_check(struct agent_config *c, config_setting_t *const *chan_set,
                config_setting_t *const *item_set, config_setting_t *const *btn_set,
                const config_setting_t **where, char *err, size_t errlen)
{
    struct topic_use t[CFG_MAX_CHANNELS + CFG_MAX_BUTTONS];
    size_t n = topics(c, chan_set, btn_set, t);

    for (size_t j = 0; j < n; j++)
        for (size_t i = 0; i < j; i++)
            if (strcmp(t[i].topic, t[j].topic) == 0) {
                *where = t[j].s;
                snprintf(err, errlen,
                         "expected a topic no other channel or button reads, found "
                         "\"%.127s\" again (line %d)",
                         t[j].topic, config_setting_source_line(t[i].s));
                return -EINVAL;
            }
    if (n > 0 && !CFG_FEEDS_HOME_GIVEN(c)) {
        *where = t[0].s;
        snprintf(err, errlen,
                 "expected a home broker (home = { url = \"...\"; }) for the scales "
                 "and buttons on MQTT, found none: they are never read from the "
                 "retailer's broker");
        return -EINVAL;
    }
    for (size_t i = 0; i < c->n_items; i++) {
        struct cfg_item *it = &c->items[i];
        if (it->channel < 0 || (size_t)it->channel >= c->n_channels ||
            c->channels[it->channel].source != CFG_SRC_MQTT)
            continue;
        const struct cfg_feed *f = &c->channels[it->channel].feed;
        /* grams come as counts of 10 mg (mqttfeed.h): mg = raw * 1000 / 100. */
        if (f->format == CFG_FEED_GRAMS && !it->has_cal) {
            it->has_cal = true;
            it->cal =
                (struct cond_cal){.raw_zero = 0, .span_raw = 100, .span_mg = 1000};
        }
        feed_conditioning(it, f, item_set[i]);
    }
    return 0;
}
