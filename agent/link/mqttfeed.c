/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The registry of scales and buttons on the home broker (mqttfeed.h): which
 * topic is which channel or button, the exact checks of what ESPHome and
 * zigbee2mqtt publish, the queue the daemon reads as a source, and the rule
 * that a silent feed is a fault.
 *
 * A feed channel's life, per channel (T its interval, S cfg_feed_stale_ms()):
 *
 *   event                          | does
 *   -------------------------------+------------------------------------------
 *   live number                    | sample OK at now; silent from now + S
 *   live "nan"                     | sample INVALID (the scale has no reading)
 *   retained, nothing seen yet     | sample OK, but the silence clock stays
 *   retained, something seen       | ignored (an old copy of what we have)
 *   now >= silent                  | sample TIMEOUT; silent again T later
 *   anything else                  | refused, logged; nothing changes
 */
#include "agent/link/mqttfeed.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config-feeds.h"
#include "agent/logging.h"

struct feed_chan {
    const struct cfg_channel *cfg;
    uint16_t channel;  /* the configuration's index */
    bool seen;         /* any reading, retained or live */
    int64_t last_t_ms; /* of the last sample queued, INT64_MIN: none */
    int64_t silent_ms; /* a TIMEOUT sample is due then */
    bool nan_logged;   /* in the current run of "nan" */
};

struct feed_btn {
    const struct cfg_button *cfg;
    uint16_t button;
};

struct mqttfeed {
    struct sample_source src; /* first: the registry is its own source */
    struct feed_chan chans[CFG_MAX_CHANNELS];
    size_t n_chans;
    struct feed_btn btns[CFG_MAX_BUTTONS];
    size_t n_btns;
    struct sample q[MQTTFEED_QUEUE];
    size_t q_n;
    struct press pq[MQTTFEED_QUEUE];
    size_t pq_n;
};

static int
feed_read_samples(struct sample_source *s, int64_t now_ms, struct sample *out,
                  size_t max)
{
    struct mqttfeed *f = (struct mqttfeed *)s;
    size_t n = 0;

    for (size_t i = 0; i < f->n_chans && f->q_n < MQTTFEED_QUEUE; i++) {
        struct feed_chan *c = &f->chans[i];
        if (now_ms < c->silent_ms)
            continue;
        /* Silent: one TIMEOUT per interval, as an hx711 that stopped answering
         * times out on every read; conditioning judges how long is a fault. */
        int64_t t = now_ms > c->last_t_ms ? now_ms : c->last_t_ms;
        f->q[f->q_n++] =
            (struct sample){.t_ms = t, .channel = c->channel, .status = SAMPLE_TIMEOUT};
        c->last_t_ms = t;
        c->silent_ms = now_ms + c->cfg->feed.interval_ms;
        c->nan_logged = false;
    }
    while (n < max && n < f->q_n) {
        out[n] = f->q[n];
        n++;
    }
    memmove(f->q, f->q + n, (f->q_n - n) * sizeof(f->q[0]));
    f->q_n -= n;
    return (int)n;
}

static int
feed_read_presses(struct sample_source *s, int64_t now_ms, struct press *out,
                  size_t max)
{
    struct mqttfeed *f = (struct mqttfeed *)s;
    size_t n = 0;

    (void)now_ms;
    while (n < max && n < f->pq_n) {
        out[n] = f->pq[n];
        n++;
    }
    memmove(f->pq, f->pq + n, (f->pq_n - n) * sizeof(f->pq[0]));
    f->pq_n -= n;
    return (int)n;
}

static int64_t
feed_next_due_ms(const struct sample_source *s, int64_t now_ms)
{
    const struct mqttfeed *f = (const struct mqttfeed *)s;
    int64_t due = INT64_MAX;

    if (f->q_n > 0 || f->pq_n > 0)
        return now_ms;
    for (size_t i = 0; i < f->n_chans; i++)
        if (f->chans[i].silent_ms < due)
            due = f->chans[i].silent_ms;
    return due;
}

static int
feed_poll_fd(const struct sample_source *s)
{
    (void)s;
    return -1; /* messages come through the home broker's link */
}

static void
feed_free(struct sample_source *s)
{
    free(s);
}

static const struct sample_source_ops feed_ops = {
    .name = "mqtt",
    .read_samples = feed_read_samples,
    .poll_fd = feed_poll_fd,
    .next_due_ms = feed_next_due_ms,
    .free = feed_free,
    .read_presses = feed_read_presses,
};

int
mqttfeed_new(const struct agent_config *c, int64_t now_ms, struct mqttfeed **out)
{
    struct mqttfeed *f;

    *out = NULL;
    size_t nc = 0, nb = 0;
    for (size_t i = 0; i < c->n_channels; i++)
        nc += c->channels[i].source == CFG_SRC_MQTT;
    for (size_t i = 0; i < c->n_buttons; i++)
        nb += c->buttons[i].source == CFG_BTN_Z2M;
    if (nc + nb == 0)
        return 0;
    if ((f = calloc(1, sizeof(*f))) == NULL)
        return -ENOMEM;
    f->src.ops = &feed_ops;
    for (size_t i = 0; i < c->n_channels; i++) {
        const struct cfg_channel *ch = &c->channels[i];
        if (ch->source != CFG_SRC_MQTT)
            continue;
        f->chans[f->n_chans++] =
            (struct feed_chan){.cfg = ch,
                               .channel = ch->index,
                               .last_t_ms = INT64_MIN,
                               .silent_ms = now_ms + cfg_feed_stale_ms(&ch->feed)};
    }
    for (size_t i = 0; i < c->n_buttons; i++)
        if (c->buttons[i].source == CFG_BTN_Z2M)
            f->btns[f->n_btns++] =
                (struct feed_btn){.cfg = &c->buttons[i], .button = (uint16_t)i};
    *out = f;
    return 0;
}

void
mqttfeed_free(struct mqttfeed *f)
{
    free(f);
}

struct sample_source *
mqttfeed_source(struct mqttfeed *f)
{
    return f != NULL ? &f->src : NULL;
}

size_t
mqttfeed_n_topics(const struct mqttfeed *f)
{
    return f != NULL ? f->n_chans + f->n_btns : 0;
}

const char *
mqttfeed_topic(const struct mqttfeed *f, size_t i)
{
    return i < f->n_chans ? f->chans[i].cfg->feed.topic
                          : f->btns[i - f->n_chans].cfg->z2m.topic;
}

/* ESPHome's state: -?digits[.digits] as it formats a float with its accuracy,
 * or "nan" (NaN: no reading). Nothing else: no space, no exponent, no "inf". */
static bool
number_text(const char *v, size_t len)
{
    size_t i = 0, d = 0;

    if (i < len && v[i] == '-')
        i++;
    while (i < len && v[i] >= '0' && v[i] <= '9')
        i++, d++;
    if (d == 0)
        return false;
    if (i < len && v[i] == '.') {
        i++;
        d = 0;
        while (i < len && v[i] >= '0' && v[i] <= '9')
            i++, d++;
        if (d == 0)
            return false;
    }
    return i == len;
}

/* Printable for a log: the first bytes of an untrusted payload. */
static void
shown(const char *p, size_t len, char *buf, size_t cap)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < len && i < 24 && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)p[i];
        o += (size_t)snprintf(buf + o, cap - o,
                              ch >= 0x20 && ch < 0x7f && ch != '\'' ? "%c" : "\\x%02x",
                              ch);
    }
    if (len > 24 && o + 4 < cap)
        snprintf(buf + o, cap - o, "...");
}

static int
refuse(int err, char *why, size_t whylen, const char *topic, const char *what)
{
    snprintf(why, whylen, "%s: %s: ignored", topic, what);
    return err;
}

static int
scale_message(struct mqttfeed *f, struct feed_chan *c, const char *topic, const char *p,
              size_t len, bool retained, int64_t now_ms, char *why, size_t whylen)
{
    char text[MQTTFEED_SCALE_MAX + 1], seen[128];
    struct sample s = {.t_ms = now_ms, .channel = c->channel, .status = SAMPLE_OK};
    bool raw = c->cfg->feed.format == CFG_FEED_RAW;

    if (len > MQTTFEED_SCALE_MAX) {
        snprintf(why, whylen,
                 "%s: expected a number of at most %d bytes, found %zu "
                 "bytes: ignored",
                 topic, MQTTFEED_SCALE_MAX, len);
        return -EMSGSIZE;
    }
    shown(p, len, seen, sizeof(seen));
    memcpy(text, p, len);
    text[len] = '\0';
    if (retained && c->seen)
        return snprintf(why, whylen,
                        "%s: a retained state, older than the reading "
                        "the channel has: not used",
                        topic),
               0;
    if (now_ms < c->last_t_ms)
        return refuse(-ETIME, why, whylen, topic,
                      "a reading older than the channel's last one (the clock "
                      "stepped back?)");
    if (f->q_n == MQTTFEED_QUEUE)
        return refuse(-ENOBUFS, why, whylen, topic,
                      "the queue of readings is full (the daemon is not reading)");
    if (len == 3 && memcmp(p, "nan", 3) == 0) {
        s.status = SAMPLE_INVALID;
        if (!c->nan_logged)
            snprintf(why, whylen, "%s: \"nan\": the scale has no reading", topic);
        c->nan_logged = true;
    } else {
        char what[200];
        if (len == 0 || !number_text(text, len)) {
            snprintf(what, sizeof(what), "expected %s or \"nan\", found '%s'",
                     raw ? "ADC counts like \"-8123\"" : "grams like \"1234.5\"", seen);
            return refuse(-EINVAL, why, whylen, topic, what);
        }
        /* The range is checked on the rounded counts, the sample's value:
         * "-8388608.6" rounds beyond the 24 bits. 1e9 keeps llround defined. */
        double v = strtod(text, NULL) * (raw ? 1.0 : 100.0);
        long long n = isfinite(v) && fabs(v) < 1e9 ? llround(v) : INT64_MAX;
        if (n > 8388607 || n < (raw ? -8388608 : -8388607)) {
            snprintf(what, sizeof(what), "expected %s, found '%s'",
                     raw ? "counts from -8388608 to 8388607"
                         : "grams from -83886.07 to 83886.07",
                     seen);
            return refuse(-ERANGE, why, whylen, topic, what);
        }
        s.raw = (int32_t)n;
        c->nan_logged = false;
    }
    f->q[f->q_n++] = s;
    c->last_t_ms = now_ms;
    c->seen = true;
    /* A retained state may be days old (a scale that died keeps its last
     * word on the broker): it gives conditioning a start, but only a live
     * message proves the scale is there, so the silence clock runs on. */
    if (!retained)
        c->silent_ms = now_ms + cfg_feed_stale_ms(&c->cfg->feed);
    return 1;
}

static int
button_message(struct mqttfeed *f, struct feed_btn *b, const char *topic, const char *p,
               size_t len, bool retained, int64_t now_ms, char *why, size_t whylen)
{
    const struct cfg_z2m *z = &b->cfg->z2m;
    const char *end = NULL;
    int r = 0;

    if (len > MQTTFEED_BUTTON_MAX) {
        snprintf(why, whylen,
                 "%s: expected a JSON object of at most %d bytes, found "
                 "%zu bytes: ignored",
                 topic, MQTTFEED_BUTTON_MAX, len);
        return -EMSGSIZE;
    }
    /* A retained message is an old state of the device, never a press now. */
    if (retained)
        return snprintf(why, whylen, "%s: a retained message is no press: not used",
                        topic),
               0;
    cJSON *j = cJSON_ParseWithLengthOpts(p, len, &end, false);
    if (j == NULL || !cJSON_IsObject(j) || end == NULL || (size_t)(end - p) != len) {
        cJSON_Delete(j);
        snprintf(why, whylen,
                 "%s: expected a JSON object like {\"action\":\"single\"}, "
                 "found something else: ignored",
                 topic);
        return -EINVAL;
    }
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(j, "action");
    if (a == NULL || cJSON_IsNull(a) ||
        (cJSON_IsString(a) && a->valuestring[0] == '\0')) {
        /* Its state without a press (battery, link quality), or the "" or
         * null zigbee2mqtt sends to clear the last action. */
        why[0] = '\0';
        goto out;
    }
    if (!cJSON_IsString(a)) {
        snprintf(why, whylen,
                 "%s: \"action\": expected a string, found another "
                 "type: ignored",
                 topic);
        r = -EINVAL;
        goto out;
    }
    size_t k;
    for (k = 0; k < z->n_actions; k++)
        if (strcmp(z->names[k], a->valuestring) == 0)
            break;
    if (k == z->n_actions || z->actions[k] == CFG_ACT_NONE) {
        char seen[128];
        shown(a->valuestring, strlen(a->valuestring), seen, sizeof(seen));
        snprintf(why, whylen, "%s: action '%s' does nothing here", topic, seen);
        goto out;
    }
    if (f->pq_n == MQTTFEED_QUEUE) {
        snprintf(why, whylen, "%s: the queue of presses is full: ignored", topic);
        r = -ENOBUFS;
        goto out;
    }
    enum cfg_action act = z->actions[k];
    f->pq[f->pq_n++] = (struct press){.t_ms = now_ms,
                                      .button = b->button,
                                      .kind = act == CFG_ACT_ORDER    ? PRESS_SHORT
                                              : act == CFG_ACT_CANCEL ? PRESS_LONG
                                                                      : PRESS_DOUBLE};
    snprintf(why, whylen, "%s: action '%s'", topic, z->names[k]);
    r = 1;
out:
    cJSON_Delete(j);
    return r;
}

int
mqttfeed_message(struct mqttfeed *f, const char *topic, const char *payload, size_t len,
                 bool retained, int64_t now_ms, char *why, size_t whylen)
{
    why[0] = '\0';
    if (f == NULL || topic == NULL)
        return 0;
    /* A message the link did not take (over MQTT_PAYLOAD_MAX, or no memory)
     * comes without its payload: refused, when it is on a topic of ours. */
    if (payload == NULL) {
        for (size_t i = 0; i < f->n_chans + f->n_btns; i++)
            if (strcmp(i < f->n_chans ? f->chans[i].cfg->feed.topic
                                      : f->btns[i - f->n_chans].cfg->z2m.topic,
                       topic) == 0) {
                snprintf(why, whylen,
                         "%s: a message of %zu bytes the link could not take: ignored",
                         topic, len);
                return -EMSGSIZE;
            }
        return 0;
    }
    for (size_t i = 0; i < f->n_chans; i++)
        if (strcmp(f->chans[i].cfg->feed.topic, topic) == 0)
            return scale_message(f, &f->chans[i], topic, payload, len, retained, now_ms,
                                 why, whylen);
    for (size_t i = 0; i < f->n_btns; i++)
        if (strcmp(f->btns[i].cfg->z2m.topic, topic) == 0)
            return button_message(f, &f->btns[i], topic, payload, len, retained, now_ms,
                                  why, whylen);
    return 0;
}

void
mqttfeed_on_message(void *ctx, const char *topic, const char *payload, size_t len,
                    bool retained, int64_t now_ms)
{
    char why[400];
    int r =
        mqttfeed_message(ctx, topic, payload, len, retained, now_ms, why, sizeof(why));

    if (r < 0)
        log_warning("home broker: %s", why);
    else if (why[0] != '\0')
        log_info("home broker: %s", why);
}
