/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link to the household's broker (home.h). The order of things on a
 * connection: the subscriptions (discovery configs of this device, to find
 * those no longer announced; Home Assistant's status; commands when on; the
 * daemon's feeds), then the retained "online", the discovery configs, the
 * link's state and every item's state. A state is published only when its
 * text changed: the values in it are rounded to what a person reads (whole
 * grams and percent, a tenth of a gram per day, times to the minute), so a
 * shelf that only drifts by milligrams says nothing.
 */
#include "agent/link/home.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/link/broker.h"
#include "sensors/clock.h"
#include "agent/link/hadisco.h"
#include "agent/msg/keys.h"
#include "agent/logging.h"
#include "agent/link/mqtt.h"
#include "agent/pipeline/status.h"
#include "sensors/text.h"

/* Of now_ms: states are looked at this often, and whenever what a person
 * reads of them may have changed (fingerprint()) or an order was queued
 * (home_kick()). A look costs a store query and two JSON texts per item:
 * at every minute, a 30-day replay took 18 times as long. */
#define STATE_EVERY_MS (15 * 60000)
/* A state whose only change is drift (the runout moved by minutes, the
 * uncertainty grew by a gram, as they do at every review of an item nobody
 * touched) waits this long after the last one; a change of stock, rate,
 * decision, fault or order goes at once. */
#define DRIFT_MS (60 * 60000)

struct home {
    const struct agent_config *cfg;
    struct pipeline *pl;
    struct mqtt *mq;
    struct hadisco_device dev;
    char version[64];
    char t_status[MQTT_TOPIC_MAX], t_link[MQTT_TOPIC_MAX], t_cmd[MQTT_TOPIC_MAX],
        t_ha[MQTT_TOPIC_MAX], t_disco[MQTT_TOPIC_MAX];
    home_feed_fn feed;
    void *feed_ctx;
    char subs[HOME_SUBSCRIPTIONS_MAX][MQTT_TOPIC_MAX];
    size_t n_subs;
    char *last[CFG_MAX_ITEMS];      /* the state last published, NULL: none yet */
    char *last_key[CFG_MAX_ITEMS];  /* its values that go at once (key_json()) */
    int64_t last_ms[CFG_MAX_ITEMS]; /* of now_ms, when it went */
    int link_last;                  /* -1: not said on this connection */
    bool kicked;
    int64_t next_state_ms; /* of now_ms */
    uint64_t seen;         /* the pipeline's fingerprint() at the last look */
    unsigned attempt;
    int64_t next_connect_ms; /* monotonic */
    uint64_t published;
    /* For pantryctl status (home_status()), in now_ms: connected, or lost,
     * at (0: never connected); the last failure and when. */
    bool up;
    int64_t since_ms;
    char last_error[256];
    int64_t last_error_ms;
};

static int
topic(char *dst, const char *a, const char *b, const char *c)
{
    int n = snprintf(dst, MQTT_TOPIC_MAX, "%s/%s/%s", a, b, c);
    return n > 0 && n < MQTT_TOPIC_MAX ? 0 : -ENAMETOOLONG;
}

int
home_new(const struct agent_config *cfg, struct pipeline *pl, const char *version,
         struct home **out, char *err, size_t errlen)
{
    const struct cfg_home *hc = &cfg->home;
    const struct cfg_broker *b = &hc->broker;
    struct home *h;
    int r;

    *out = NULL;
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return text_error(err, errlen, "out of memory"), -ENOMEM;
    h->cfg = cfg;
    h->pl = pl;
    h->link_last = -1;
    h->kicked = true;
    snprintf(h->version, sizeof(h->version), "%s", version);
    h->dev = (struct hadisco_device){.device_id = cfg->device_id,
                                     .prefix = hc->prefix,
                                     .discovery_prefix = hc->discovery_prefix,
                                     .sw_version = h->version,
                                     .commands = hc->commands};
    if (topic(h->t_status, hc->prefix, cfg->device_id, "status") < 0 ||
        topic(h->t_link, hc->prefix, cfg->device_id, "link") < 0 ||
        topic(h->t_cmd, hc->prefix, cfg->device_id, "+/command") < 0 ||
        topic(h->t_disco, hc->discovery_prefix, "+", cfg->device_id) < 0 ||
        strlen(h->t_disco) + sizeof("/+/config") > MQTT_TOPIC_MAX ||
        snprintf(h->t_ha, sizeof(h->t_ha), "%s/status", hc->discovery_prefix) >=
            MQTT_TOPIC_MAX) {
        r = -ENAMETOOLONG;
        text_error(err, errlen, "home prefixes and device id make topics over %d bytes",
                   MQTT_TOPIC_MAX - 1);
        goto fail;
    }
    strcat(h->t_disco, "/+/config");
    r = broker_client_new(b, b->client_id, h->t_status, "offline", &h->mq, err, errlen);
    if (r < 0)
        goto fail;
    *out = h;
    return 0;
fail:
    home_free(h);
    return r;
}

void
home_free(struct home *h)
{
    if (h == NULL)
        return;
    mqtt_free(h->mq);
    for (size_t i = 0; i < CFG_MAX_ITEMS; i++) {
        free(h->last[i]);
        free(h->last_key[i]);
    }
    free(h);
}

int
home_fd(const struct home *h)
{
    return mqtt_event_fd(h->mq);
}

void
home_set_feed(struct home *h, home_feed_fn fn, void *ctx)
{
    h->feed = fn;
    h->feed_ctx = ctx;
}

int
home_subscribe(struct home *h, const char *topic_filter)
{
    size_t n = strlen(topic_filter);

    if (n == 0 || n >= MQTT_TOPIC_MAX)
        return -EINVAL;
    for (size_t i = 0; i < h->n_subs; i++)
        if (strcmp(h->subs[i], topic_filter) == 0)
            return -EEXIST;
    if (h->n_subs == HOME_SUBSCRIPTIONS_MAX)
        return -ENOSPC;
    memcpy(h->subs[h->n_subs++], topic_filter, n + 1);
    if (mqtt_connected(h->mq)) {
        int r = mqtt_subscribe(h->mq, topic_filter, NULL);
        if (r < 0)
            log_warning("home: cannot subscribe to %s: %s", topic_filter,
                        mqtt_strerror(r));
    }
    return 0;
}

void
home_kick(struct home *h)
{
    h->kicked = true;
}

bool
home_connected(const struct home *h)
{
    return mqtt_connected(h->mq);
}

uint64_t
home_states_published(const struct home *h)
{
    return h->published;
}

void
home_status(const struct home *h, struct status_home *out)
{
    memset(out, 0, sizeof(*out));
    out->configured = true;
    out->connected = mqtt_connected(h->mq);
    out->since_ms = h->since_ms;
    snprintf(out->url, sizeof(out->url), "%s", h->cfg->home.broker.url);
    snprintf(out->last_error, sizeof(out->last_error), "%s", h->last_error);
    out->last_error_ms = h->last_error_ms;
}

static void
publish(struct home *h, const char *t, const char *payload, bool retain)
{
    int r = mqtt_publish(h->mq, t, payload, strlen(payload), retain, NULL);

    if (r < 0)
        log_warning("home: publishing on %s failed: %s", t, mqtt_strerror(r));
}

/* ---- state ---- */

/* Every state goes again at the next look (a new connection, a Home Assistant
 * that came back). */
static void
forget(struct home *h)
{
    h->link_last = -1;
    for (size_t i = 0; i < CFG_MAX_ITEMS; i++) {
        free(h->last[i]);
        free(h->last_key[i]);
        h->last[i] = h->last_key[i] = NULL;
    }
    h->kicked = true;
}

static int
open_cb(const struct store_order *o, void *ctx)
{
    struct hadisco_state *s = ctx;

    s->order = true;
    snprintf(s->order_id, sizeof(s->order_id), "%s", o->order_id);
    s->order_state = store_order_state_to_str(o->state);
    s->order_eta_s = o->eta_ms > 0 ? o->eta_ms / 1000 : 0;
    s->decision = o->state == ORDER_ACKNOWLEDGED ? "ordered" : "ordering";
    return 0;
}

/* v / d (d > 0) rounded half away from zero, without overflow for any v
 * (an unknown runout is MODELS_NEVER, INT64_MAX). */
static int64_t
round_div(int64_t v, int64_t d)
{
    int64_t q = v / d, r = v % d;

    if (r >= 0 ? r >= d - r : -r >= d + r)
        q += v >= 0 ? 1 : -1;
    return q;
}

/* s to the nearest minute; a time too far to round (never) as it is. */
static int64_t
minute(int64_t s)
{
    if (s > INT64_MAX / 2 || s < INT64_MIN / 2)
        return s;
    return round_div(s, 60) * 60;
}

/* Item i's state as a person sees it, at now_ms. 0 or a negative errno of the
 * store. */
static int
item_state(struct home *h, size_t i, int64_t now_ms, struct hadisco_state *s)
{
    struct pipeline *pl = h->pl;
    const struct pl_item *it = &pl->items[i];
    struct status_learning l;
    struct pl_view v;
    int64_t w, u;

    memset(s, 0, sizeof(*s));
    pipeline_view(pl, i, now_ms, &v);
    status_learning_of(&it->model, now_ms, &l);
    int r = shelf_stock(&pl->shelf, it->channel, now_ms, &w, &u);
    s->stock_known = r == 0 || r == -EBUSY || r == -EIO; /* as pantryctl status */
    s->stock_g = round_div(v.stock_mg, 1000);
    s->uncertainty_g = round_div(v.uncertainty_mg, 1000);
    s->percent_known = s->stock_known && it->cfg->pack_mg > 0;
    s->percent = s->percent_known ? round_div(v.stock_mg * 100, it->cfg->pack_mg) : 0;
    s->rate_known = l.done;
    s->rate_dg_per_day = round_div(v.rate_ugpd, 100000);
    s->runout_known = l.done && s->stock_known && !it->fault &&
                      v.runout_s != MODELS_NEVER && v.runout_s > 0;
    s->runout_s = minute(v.runout_s);
    s->runout_earliest_s = minute(v.runout_lo_s);
    s->runout_latest_s = minute(v.runout_hi_s);
    s->fault = it->fault;
    s->decision = !l.done                 ? "learning"
                  : v.verdict == ORDER_GO ? "ordering"
                                          : "not_needed";
    return store_orders_open(pl->db, it->cfg->id, open_cb, s);
}

/* The values of s that go at once when they change: s without its drift. */
static int
key_json(const struct hadisco_state *s, char **out)
{
    struct hadisco_state k = *s;

    k.uncertainty_g = 0;
    k.runout_s = k.runout_earliest_s = k.runout_latest_s = 0;
    k.runout_known = s->runout_known;
    return hadisco_state_json(&k, out);
}

/* Publish the states that changed (all of them after a connect). */
static void
states(struct home *h, int64_t now_ms, bool link_connected)
{
    char t[MQTT_TOPIC_MAX];

    if (h->link_last != (int)link_connected) {
        publish(h, h->t_link, link_connected ? "connected" : "disconnected", true);
        h->link_last = link_connected;
    }
    for (size_t i = 0; i < h->pl->n_items && i < CFG_MAX_ITEMS; i++) {
        struct hadisco_state s;
        char *json = NULL;
        if (item_state(h, i, now_ms, &s) < 0) {
            log_warning("home: the state of %s: the store failed: %s",
                        h->pl->items[i].cfg->id, store_errmsg(h->pl->db));
            continue;
        }
        char *key = NULL;
        if (hadisco_state_json(&s, &json) < 0 || key_json(&s, &key) < 0) {
            free(json);
            continue;
        }
        bool same = h->last[i] != NULL && strcmp(h->last[i], json) == 0;
        bool drift = h->last_key[i] != NULL && strcmp(h->last_key[i], key) == 0;
        if (same || (drift && now_ms - h->last_ms[i] < DRIFT_MS)) {
            free(json);
            free(key);
            continue;
        }
        if (topic(t, h->cfg->home.prefix, h->cfg->device_id, h->pl->items[i].cfg->id) <
                0 ||
            strlen(t) + sizeof("/state") > MQTT_TOPIC_MAX) {
            free(json);
            free(key);
            continue;
        }
        strcat(t, "/state");
        if (mqtt_publish(h->mq, t, json, strlen(json), true, NULL) == 0) {
            free(h->last[i]);
            free(h->last_key[i]);
            h->last[i] = json;
            h->last_key[i] = key;
            h->last_ms[i] = now_ms;
            h->published++;
            log_debug("home: %s %s", t, json);
        } else {
            free(json);
            free(key);
        }
    }
}

/* ---- discovery ---- */

static void
announce(struct home *h)
{
    char t[HADISCO_TOPIC_MAX];
    char *json;
    size_t n = 0;

    if (!h->cfg->home.discovery)
        return;
    if (hadisco_config(&h->dev, NULL, NULL, 0, t, &json) == 0 && json != NULL) {
        publish(h, t, json, true);
        n++;
    }
    free(json);
    for (size_t i = 0; i < h->cfg->n_items; i++)
        for (int e = 0; e < HADISCO_ENTITY_COUNT; e++) {
            const struct cfg_item *it = &h->cfg->items[i];
            if (hadisco_config(&h->dev, it->id, it->name, (enum hadisco_entity)e, t,
                               &json) < 0 ||
                json == NULL)
                continue;
            publish(h, t, json, true);
            free(json);
            n++;
        }
    log_info("home: %zu Home Assistant discovery configs sent", n);
}

/* Whether t is a config topic announced now. */
static bool
announced(struct home *h, const char *t)
{
    char own[HADISCO_TOPIC_MAX];
    char *json = NULL;
    bool found = false;

    if (!h->cfg->home.discovery)
        return false;
    if (hadisco_config(&h->dev, NULL, NULL, 0, own, &json) == 0 && json != NULL)
        found = strcmp(own, t) == 0;
    free(json);
    for (size_t i = 0; !found && i < h->cfg->n_items; i++)
        for (int e = 0; !found && e < HADISCO_ENTITY_COUNT; e++) {
            json = NULL;
            if (hadisco_config(&h->dev, h->cfg->items[i].id, h->cfg->items[i].name,
                               (enum hadisco_entity)e, own, &json) == 0 &&
                json != NULL)
                found = strcmp(own, t) == 0;
            free(json);
        }
    return found;
}

/* ---- incoming ---- */

/* s (a topic from the network) made fit for one log line: control bytes
 * become '?', in place. */
static const char *
printable(char *s)
{
    for (char *p = s; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return s;
}

/* Whether t is a command topic P/D/<item>/command; the item into item. */
static bool
command_item(const struct home *h, const char *t, char *item, size_t len)
{
    char head[MQTT_TOPIC_MAX];
    int n =
        snprintf(head, sizeof(head), "%s/%s/", h->cfg->home.prefix, h->cfg->device_id);
    const char *p, *slash;

    if (n < 0 || (size_t)n >= sizeof(head) || strncmp(t, head, (size_t)n) != 0)
        return false;
    p = t + n;
    if ((slash = strchr(p, '/')) == NULL || strcmp(slash, "/command") != 0)
        return false;
    snprintf(item, len, "%.*s", (int)(slash - p), p);
    return true;
}

static void
on_command(struct home *h, struct mqtt_event *ev, const char *item, int64_t now_ms)
{
    char msg[256];
    int i, r;

    if (ev->retained) {
        log_warning("home: command on %s dropped: a retained message (commands act "
                    "once, when sent)",
                    printable(ev->topic));
        return;
    }
    if (ev->payload == NULL || ev->len > HOME_COMMAND_MAX) {
        log_warning("home: command on %s dropped: %zu bytes, more than the %d a "
                    "command may have",
                    printable(ev->topic), ev->len, HOME_COMMAND_MAX);
        return;
    }
    if ((i = cfg_find_item(h->cfg, item)) < 0) {
        log_warning("home: command on %s dropped: no item '%s' in the configuration",
                    printable(ev->topic), printable((char *)item));
        return;
    }
    if (ev->len == 5 && memcmp(ev->payload, "order", 5) == 0) {
        r = pipeline_order(h->pl, (size_t)i, "manual", now_ms, msg, sizeof(msg));
    } else if (ev->len == 7 && memcmp(ev->payload, "confirm", 7) == 0) {
        r = pipeline_confirm(h->pl, (size_t)i, now_ms, msg, sizeof(msg));
    } else {
        log_warning("home: command on %s dropped: '%s' is neither \"order\" nor "
                    "\"confirm\"",
                    printable(ev->topic), printable(ev->payload));
        return;
    }
    if (r == 0)
        log_notice("home: %s %s: %s", ev->payload, item, msg);
    else
        log_warning("home: %s %s refused: %s", ev->payload, item, msg);
    h->kicked = true;
}

static void
on_message(struct home *h, struct mqtt_event *ev, int64_t now_ms)
{
    char item[MQTT_TOPIC_MAX];

    if (ev->code == -ENAMETOOLONG) {
        log_warning("home: message on %s... dropped: topic too long",
                    printable(ev->topic));
        return;
    }
    if (strcmp(ev->topic, h->t_ha) == 0) {
        if (ev->payload != NULL && strcmp(ev->payload, "online") == 0) {
            log_info("home: Home Assistant is online: announcing again");
            announce(h);
            forget(h); /* its entities read the states again */
        }
        return;
    }
    if (hadisco_is_device_config(&h->dev, ev->topic)) {
        /* At connect the broker hands over what it keeps: a config of ours
         * not announced now (an item gone, commands or discovery off) goes. */
        if (ev->retained && ev->len > 0 && !announced(h, ev->topic)) {
            log_info("home: removing the discovery config %s: no longer announced",
                     printable(ev->topic));
            publish(h, ev->topic, "", true);
        }
        return;
    }
    if (command_item(h, ev->topic, item, sizeof(item))) {
        if (h->cfg->home.commands)
            on_command(h, ev, item, now_ms);
        return;
    }
    if (h->feed != NULL)
        h->feed(h->feed_ctx, ev->topic, ev->payload, ev->len, ev->retained, now_ms);
}

static void
subscribe(struct home *h, const char *t)
{
    int r = mqtt_subscribe(h->mq, t, NULL);

    if (r < 0)
        log_error("home: cannot subscribe to %s: %s", t, mqtt_strerror(r));
}

static void
connected(struct home *h, int64_t now_ms)
{
    log_notice("home: connected to %s", h->cfg->home.broker.url);
    h->up = true;
    h->since_ms = now_ms;
    h->attempt = 0;
    subscribe(h, h->t_disco);
    subscribe(h, h->t_ha);
    if (h->cfg->home.commands)
        subscribe(h, h->t_cmd);
    for (size_t i = 0; i < h->n_subs; i++)
        subscribe(h, h->subs[i]);
    publish(h, h->t_status, "online", true);
    announce(h);
    forget(h);
}

/* The link is down since now_ms (if it was up). */
static void
went_down(struct home *h, int64_t now_ms)
{
    if (h->up)
        h->since_ms = now_ms;
    h->up = false;
}

static void
retry_later(struct home *h, int64_t mono_ms, int64_t now_ms, const char *what,
            const char *why)
{
    int64_t d = mqtt_backoff_ms(h->attempt, randombytes_random());

    went_down(h, now_ms);
    text_error(h->last_error, sizeof(h->last_error), "%s %s: %s", what,
               h->cfg->home.broker.url, why[0] ? why : "no reason given");
    h->last_error_ms = now_ms;
    if (h->attempt < 30)
        h->attempt++;
    h->next_connect_ms = mono_ms + d;
    log_warning("home: %s %s: %s; trying again in %.1f s", what,
                h->cfg->home.broker.url, why[0] ? why : "no reason given",
                (double)d / 1000.0);
}

static void
handle(struct home *h, struct mqtt_event *ev, int64_t mono_ms, int64_t now_ms)
{
    switch (ev->kind) {
    case MQTT_EV_CONNECTED:
        connected(h, now_ms);
        break;
    case MQTT_EV_CONNECT_FAILED:
        retry_later(h, mono_ms, now_ms, "cannot connect to", ev->text);
        break;
    case MQTT_EV_LOST:
        retry_later(h, mono_ms, now_ms, "lost the connection to", ev->text);
        break;
    case MQTT_EV_DISCONNECTED:
        went_down(h, now_ms);
        break;
    case MQTT_EV_MESSAGE:
        on_message(h, ev, now_ms);
        break;
    case MQTT_EV_SUBSCRIBED:
        if (ev->code != 0)
            log_error("home: the broker refused a subscription (%s)",
                      ev->text[0] ? ev->text : "refused");
        break;
    case MQTT_EV_PUB_FAILED:
        log_warning("home: a publish failed: %s",
                    ev->text[0] ? ev->text : mqtt_strerror(ev->code));
        break;
    default:
        break;
    }
}

/* What changes at once what a person reads of a state: events, orders,
 * faults, and a review's stock (to the gram), rate (to the tenth of a gram a
 * day) and verdict. Cheap (no store, no JSON), so the loop may ask at every
 * turn, a replay at every sample; what drifts with time alone (the runout's
 * minutes, the end of learning) waits for STATE_EVERY_MS. */
static uint64_t
fingerprint(const struct pipeline *pl)
{
    uint64_t f = pl->events * 31 + pl->orders_created;

    for (size_t i = 0; i < pl->n_items; i++) {
        const struct pl_item *it = &pl->items[i];
        f = f * 31 + (uint64_t)(it->view.stock_mg / 1000);
        f = f * 31 + (uint64_t)(it->view.rate_ugpd / 100000);
        f = f * 31 + (uint64_t)it->view.verdict * 2 + it->fault;
    }
    return f;
}

int64_t
home_work(struct home *h, int64_t mono_ms, int64_t now_ms, bool link_connected)
{
    struct mqtt_event ev;

    while (mqtt_next_event(h->mq, &ev)) {
        handle(h, &ev, mono_ms, now_ms);
        mqtt_event_fini(&ev);
    }
    if (!mqtt_connected(h->mq)) {
        if (mono_ms >= h->next_connect_ms) {
            int r = mqtt_connect(h->mq);
            if (r == 0)
                log_info("home: connecting to %s", h->cfg->home.broker.url);
            else if (r != -EALREADY)
                retry_later(h, mono_ms, now_ms, "cannot connect to", mqtt_strerror(r));
        }
        return h->next_connect_ms > mono_ms ? h->next_connect_ms - mono_ms : INT64_MAX;
    }
    uint64_t f = fingerprint(h->pl);
    if (h->kicked || f != h->seen || now_ms >= h->next_state_ms ||
        h->link_last != (int)link_connected) {
        h->kicked = false;
        h->seen = f;
        states(h, now_ms, link_connected);
        h->next_state_ms = now_ms + STATE_EVERY_MS;
    }
    return INT64_MAX; /* the daemon's loop wakes at least once a minute */
}

void
home_stop(struct home *h, int64_t now_ms, int timeout_ms)
{
    int64_t end = clock_mono_us() / 1000 + timeout_ms;
    int token = -1;
    bool done = false;

    if (!mqtt_connected(h->mq))
        return;
    /* The retailer's link goes with the daemon: say so, not what was. */
    states(h, now_ms, false);
    /* A clean DISCONNECT does not fire the will: say offline ourselves. */
    if (mqtt_publish(h->mq, h->t_status, "offline", 7, true, &token) < 0)
        token = -1;
    while (token >= 0 && !done) {
        struct mqtt_event ev;
        while (mqtt_next_event(h->mq, &ev)) {
            done = done || (ev.kind == MQTT_EV_PUBACK && ev.token == token) ||
                   ev.kind == MQTT_EV_LOST;
            mqtt_event_fini(&ev);
        }
        /* Most of the time for the PUBACK: after a replay, hundreds of states
         * may still be in flight before it. */
        int64_t left = end - timeout_ms / 4 - clock_mono_us() / 1000;
        struct pollfd pfd = {.fd = mqtt_event_fd(h->mq), .events = POLLIN};
        if (done || left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            break;
    }
    if (mqtt_disconnect(h->mq, timeout_ms / 4) == 0) {
        for (;;) {
            struct mqtt_event ev;
            bool gone = false;
            while (mqtt_next_event(h->mq, &ev)) {
                gone = gone || ev.kind == MQTT_EV_DISCONNECTED;
                mqtt_event_fini(&ev);
            }
            int64_t left = end - clock_mono_us() / 1000;
            struct pollfd pfd = {.fd = mqtt_event_fd(h->mq), .events = POLLIN};
            if (gone || left <= 0 || poll(&pfd, 1, (int)left) <= 0)
                break;
        }
    }
    log_info("home: disconnected from %s", h->cfg->home.broker.url);
}
