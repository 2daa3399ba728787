/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's link to the broker (see uplink.h). The order of things on a
 * connection: subscribe to acks first (so no answer to a re-send is missed),
 * then the retained status and key, then the outbox from its lowest number.
 * Every message of the outbox is already signed and stored; this module only
 * ever publishes those bytes, so a re-send is the same message.
 */
#include "agent/link/uplink.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/link/broker.h"
#include "sensors/clock.h"
#include "agent/msg/jws.h"
#include "agent/logging.h"
#include "agent/link/mqtt.h"
#include "agent/link/outbox.h"
#include "sensors/text.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define PEEK 8 /* pending messages read per decision: more are never needed */
/* The store's meta key that says a retailer has answered this device. */
#define META_ANSWERED "retailer_answered_ms"

struct uplink {
    const struct agent_config *cfg;
    const struct keys *key;
    struct store *db;
    struct pipeline *pl;
    struct mqtt *mq;
    struct outbox ob;
    char t_reorder[MQTT_TOPIC_MAX], t_cancel[MQTT_TOPIC_MAX], t_status[MQTT_TOPIC_MAX],
        t_key[MQTT_TOPIC_MAX], t_ack[MQTT_TOPIC_MAX];
    char *online, *offline;
    char jwk[KEYS_JWK_PUBLISHED_MAX];
    bool have_retailer_pk;
    uint8_t retailer_pk[KEYS_PK_BYTES];
    unsigned attempt;
    int64_t next_connect_ms; /* monotonic */
    bool kicked;             /* something changed: look at the outbox */
    int64_t next_pump_ms;    /* monotonic: look again then, kicked or not */
    struct status_link link; /* what pantryctl status shows of the link */
};

/* ---- untrusted input: acks ---- */

int
uplink_decode_ack(const char *text, size_t len, const uint8_t *retailer_pk,
                  struct message_ack *out, char *err, size_t errlen)
{
    char kid[KEYS_B64_PK_LEN + 1];
    struct jws j;
    int r;

    if (len > 0 && text[0] == '{') {
        if (retailer_pk != NULL)
            return text_error(err, errlen,
                              "an unsigned ack, and a retailer key is "
                              "configured: ignored"),
                   -EPERM;
        return message_ack_parse(text, len, out, err, errlen);
    }
    if (retailer_pk != NULL) {
        r = jws_verify(text, len, retailer_pk, &j, err, errlen);
        if (r == -EBADMSG)
            return text_error(err, errlen,
                              "an ack not signed by the configured "
                              "retailer key: ignored"),
                   -EPERM;
    } else {
        r = jws_decode_unverified(text, len, &j, err, errlen);
    }
    if (r < 0)
        return r == -EPERM || r == -EBADMSG ? -EPERM : -EINVAL;
    if (strcmp(j.typ, MESSAGE_TYP_ACK) != 0) {
        r = (text_error(err, errlen, "typ '%s' is not " MESSAGE_TYP_ACK, j.typ),
             -EINVAL);
    } else if (retailer_pk != NULL &&
               (keys_thumbprint(retailer_pk, kid), strcmp(j.kid, kid) != 0)) {
        r = (text_error(err, errlen, "kid '%s' is not the retailer key's", j.kid),
             -EPERM);
    } else {
        r = message_ack_parse(j.payload, j.payload_len, out, err, errlen);
    }
    jws_fini(&j);
    return r;
}

/* ---- the link ---- */

static int
topic(char *dst, const struct agent_config *cfg, const char *what)
{
    int n = snprintf(dst, MQTT_TOPIC_MAX, "%s/%s/%s", cfg->topic_prefix, cfg->device_id,
                     what);
    return n > 0 && n < MQTT_TOPIC_MAX ? 0 : -ENAMETOOLONG;
}

int
uplink_new(const struct agent_config *cfg, const struct keys *key, struct store *db,
           struct pipeline *pl, const char *version, struct uplink **out, char *err,
           size_t errlen)
{
    const struct cfg_broker *b = &cfg->broker;
    char jwk[KEYS_JWK_TEXT_MAX + 1];
    struct uplink *u;
    int r;

    *out = NULL;
    if ((u = calloc(1, sizeof(*u))) == NULL)
        return text_error(err, errlen, "out of memory"), -ENOMEM;
    u->cfg = cfg;
    u->key = key;
    u->db = db;
    u->pl = pl;
    outbox_init(&u->ob, (int64_t)cfg->broker.ack_wait_s * 1000,
                (int64_t)cfg->broker.resend_s * 1000);
    int64_t answered = 0;
    if (store_meta_get(db, META_ANSWERED, &answered) == 0 && answered > 0)
        outbox_set_strict(&u->ob);
    if (topic(u->t_reorder, cfg, "reorder") < 0 ||
        topic(u->t_cancel, cfg, "cancel") < 0 ||
        topic(u->t_status, cfg, "status") < 0 || topic(u->t_key, cfg, "key") < 0 ||
        topic(u->t_ack, cfg, "ack") < 0) {
        r = -ENAMETOOLONG;
        text_error(err, errlen, "topic prefix and device id make topics over %d bytes",
                   MQTT_TOPIC_MAX - 1);
        goto fail;
    }
    if (b->retailer_key[0] != '\0') {
        int fd = open(b->retailer_key, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, jwk, sizeof(jwk)) : -1;
        if (fd >= 0)
            close(fd);
        if (n < 0) {
            r = -errno;
            text_error(err, errlen, "retailer_key %s: %s", b->retailer_key,
                       strerror(errno));
            goto fail;
        }
        while (n > 0 && (jwk[n - 1] == '\n' || jwk[n - 1] == ' '))
            n--;
        char why[192];
        if ((r = keys_jwk_parse(jwk, (size_t)n, u->retailer_pk, why, sizeof(why))) <
            0) {
            text_error(err, errlen, "retailer_key %s: %s", b->retailer_key, why);
            goto fail;
        }
        u->have_retailer_pk = true;
    }
    if ((r = message_status_json(cfg->device_id, true, version, &u->online)) < 0 ||
        (r = message_status_json(cfg->device_id, false, version, &u->offline)) < 0) {
        text_error(err, errlen, "status messages: %s", strerror(-r));
        goto fail;
    }
    keys_jwk_published(key->pk, u->jwk);
    r = broker_client_new(b, b->client_id[0] ? b->client_id : cfg->device_id,
                          u->t_status, u->offline, &u->mq, err, errlen);
    if (r < 0)
        goto fail;
    *out = u;
    return 0;
fail:
    uplink_free(u);
    return r;
}

void
uplink_free(struct uplink *u)
{
    if (u == NULL)
        return;
    mqtt_free(u->mq);
    free(u->online);
    free(u->offline);
    free(u);
}

int
uplink_fd(const struct uplink *u)
{
    return mqtt_event_fd(u->mq);
}

void
uplink_kick(struct uplink *u)
{
    u->kicked = true;
}

bool
uplink_connected(const struct uplink *u)
{
    return mqtt_connected(u->mq);
}

/* The lowest pending message (a new round starts there) and those from
 * from_seq on, at most PEEK. */
struct peek {
    int64_t from_seq;
    size_t n;
    struct outbox_msg m[PEEK];
    char *text[PEEK];
};

static int
peek_cb(const struct store_outmsg *m, void *ctx)
{
    struct peek *pk = ctx;

    if (pk->n == PEEK || (pk->n > 0 && m->seq < pk->from_seq))
        return 0;
    pk->m[pk->n].kind = m->kind;
    pk->m[pk->n].seq = m->seq;
    snprintf(pk->m[pk->n].order_id, sizeof(pk->m[0].order_id), "%s", m->order_id);
    if ((pk->text[pk->n] = strdup(m->message)) == NULL)
        return -ENOMEM;
    pk->n++;
    return 0;
}

static void
peek_fini(struct peek *pk)
{
    for (size_t i = 0; i < pk->n; i++)
        free(pk->text[i]);
}

static int
max_seq_cb(const struct store_outmsg *m, void *ctx)
{
    *(int64_t *)ctx = m->seq; /* listed by seq: the last is the highest */
    return 0;
}

int64_t
uplink_pending_max_seq(struct uplink *u)
{
    int64_t max = 0;

    return store_outbox_pending(u->db, max_seq_cb, &max) < 0 ? 0 : max;
}

static int
count_cb(const struct store_outmsg *m, void *ctx)
{
    (void)m;
    ++*(int64_t *)ctx;
    return 0;
}

void
uplink_status(struct uplink *u, struct status_link *out)
{
    *out = u->link;
    out->configured = true;
    out->connected = mqtt_connected(u->mq);
    out->outbox = 0;
    if (store_outbox_pending(u->db, count_cb, &out->outbox) < 0)
        out->outbox = -1;
}

/* Send what the outbox allows now; the wait until it may send more. */
static int64_t
pump(struct uplink *u, int64_t mono_ms)
{
    int64_t wake = INT64_MAX;

    while (mqtt_connected(u->mq)) {
        struct peek pk = {.from_seq = u->ob.sent_upto};
        int r = store_outbox_pending(u->db, peek_cb, &pk);
        int i = r < 0 ? -1 : outbox_next(&u->ob, pk.m, pk.n, mono_ms, &wake);
        if (r < 0)
            log_error("outbox: the store failed: %s", store_errmsg(u->db));
        if (i >= 0) {
            const struct outbox_msg *m = &pk.m[i];
            int token = -1;
            r = mqtt_publish(u->mq,
                             m->kind == STORE_MSG_CANCEL ? u->t_cancel : u->t_reorder,
                             pk.text[i], strlen(pk.text[i]), false, &token);
            if (r == 0) {
                outbox_sent(&u->ob, m, token, mono_ms);
                log_info("%s of order %s sent (sequence number %" PRId64 ")",
                         m->kind == STORE_MSG_CANCEL ? "cancel" : "reorder",
                         m->order_id, m->seq);
            } else {
                log_warning("publishing order %s failed: %s; it stays in the outbox",
                            m->order_id, mqtt_strerror(r));
                i = -1;
                wake = mono_ms + 1000; /* Paho was busy: try again in a second */
            }
        }
        peek_fini(&pk);
        if (i < 0)
            break;
    }
    return wake == INT64_MAX ? INT64_MAX : wake - mono_ms;
}

/* The link's last error, for pantryctl status (it is logged by the caller). */
static void __attribute__((format(printf, 3, 4)))
note_error(struct uplink *u, int64_t now_ms, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(u->link.last_error, sizeof(u->link.last_error), fmt, ap);
    va_end(ap);
    u->link.last_error_ms = now_ms;
}

static void
on_ack(struct uplink *u, const struct mqtt_event *ev, int64_t now_ms)
{
    struct message_ack a;
    char why[256], msg[384];
    int r;

    /* Every ack dropped is logged once, here, with why (issue 12). */
    if (ev->payload == NULL) {
        note_error(u, now_ms, "an ack was dropped: too large");
        log_warning(
            "ack dropped (%zu bytes): %s", ev->len,
            ev->code == -EMSGSIZE
                ? "larger than the " STR(MQTT_PAYLOAD_MAX) " bytes an ack may have"
                : "no memory to take it");
        return;
    }
    r = uplink_decode_ack(ev->payload, ev->len,
                          u->have_retailer_pk ? u->retailer_pk : NULL, &a, why,
                          sizeof(why));
    if (r < 0) {
        note_error(u, now_ms, "an ack was dropped: %s", why);
        log_warning("ack dropped (%zu bytes): %s", ev->len, why);
        return;
    }
    r = pipeline_ack(u->pl, &a, now_ms, msg, sizeof(msg));
    if (r == 0)
        log_notice("%s", msg);
    else if (r == -EALREADY)
        log_info("%s", msg);
    else
        log_warning("ack dropped: %s", msg);
    if (r == 0 || r == -EALREADY) {
        snprintf(u->link.last_answer, sizeof(u->link.last_answer), "%s",
                 message_ack_status_to_str(a.status));
        snprintf(u->link.last_answer_order, sizeof(u->link.last_answer_order), "%s",
                 a.order_id);
        u->link.last_answer_ms = now_ms;
    } else {
        note_error(u, now_ms, "an ack was dropped: %s", msg);
    }
    if (r == 0 || r == -EALREADY)
        outbox_answered(&u->ob); /* the retailer is there: resend at the base wait */
    if ((r == 0 || r == -EALREADY) && !u->ob.strict) {
        outbox_set_strict(&u->ob);
        if (store_meta_put(u->db, META_ANSWERED, now_ms > 0 ? now_ms : 1) < 0)
            log_warning("store: %s", store_errmsg(u->db));
        log_notice("a retailer answers this device: from now on each message waits "
                   "for its answer before the next goes");
    }
    u->kicked = true; /* an answer may let the next message go */
}

static void
connected(struct uplink *u, const struct mqtt_event *ev, int64_t now_ms)
{
    int r;

    u->link.connected = true;
    u->link.since_ms = now_ms;
    log_notice("connected to %s (MQTT %s%s)", u->cfg->broker.url,
               ev->version == 5 ? "5" : "3.1.1",
               ev->session_present ? ", session resumed" : "");
    if (ev->code < 0)
        log_warning("%s: a message right after an answer may wait up to 40 ms more",
                    ev->text);
    u->attempt = 0;
    outbox_reset(&u->ob);
    if ((r = mqtt_subscribe(u->mq, u->t_ack, NULL)) < 0)
        log_error("cannot subscribe to %s: %s", u->t_ack, mqtt_strerror(r));
    if ((r = mqtt_publish(u->mq, u->t_status, u->online, strlen(u->online), true,
                          NULL)) < 0 ||
        (r = mqtt_publish(u->mq, u->t_key, u->jwk, strlen(u->jwk), true, NULL)) < 0)
        log_warning("cannot announce the device: %s", mqtt_strerror(r));
    u->kicked = true;
}

static void
retry_later(struct uplink *u, int64_t mono_ms, int64_t now_ms, const char *what,
            const char *why)
{
    int64_t d = mqtt_backoff_ms(u->attempt, randombytes_random());

    if (u->link.connected)
        u->link.since_ms = now_ms; /* not connected since then */
    u->link.connected = false;
    note_error(u, now_ms, "%s %s: %s", what, u->cfg->broker.url,
               why[0] ? why : "no reason given");
    if (u->attempt < 30)
        u->attempt++;
    u->next_connect_ms = mono_ms + d;
    log_warning("%s %s: %s; trying again in %.1f s", what, u->cfg->broker.url,
                why[0] ? why : "no reason given", (double)d / 1000.0);
}

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

static void
handle(struct uplink *u, struct mqtt_event *ev, int64_t mono_ms, int64_t now_ms)
{
    struct outbox_msg m;

    switch (ev->kind) {
    case MQTT_EV_CONNECTED:
        connected(u, ev, now_ms);
        break;
    case MQTT_EV_CONNECT_FAILED:
        retry_later(u, mono_ms, now_ms, "cannot connect to", ev->text);
        break;
    case MQTT_EV_LOST:
        retry_later(u, mono_ms, now_ms, "lost the connection to", ev->text);
        break;
    case MQTT_EV_PUBACK:
        if (outbox_puback(&u->ob, ev->token, &m)) {
            if (pipeline_published(u->pl, m.kind, m.order_id, now_ms) < 0)
                log_error("order %s: recording the PUBACK failed: %s", m.order_id,
                          store_errmsg(u->db));
            u->kicked = true;
        }
        break;
    case MQTT_EV_PUB_FAILED:
        note_error(u, now_ms, "a publish failed: %s",
                   ev->text[0] ? ev->text : mqtt_strerror(ev->code));
        log_warning("a publish failed: %s (what is unanswered goes again after the "
                    "next connect)",
                    ev->text[0] ? ev->text : mqtt_strerror(ev->code));
        break;
    case MQTT_EV_MESSAGE:
        if (strcmp(ev->topic, u->t_ack) == 0)
            on_ack(u, ev, now_ms);
        else /* a session from an older configuration may still deliver one */
            log_warning("message on %s%s dropped (%zu bytes): this agent takes only %s",
                        printable(ev->topic), ev->code == -ENAMETOOLONG ? "..." : "",
                        ev->len, u->t_ack);
        break;
    case MQTT_EV_SUBSCRIBED:
        if (ev->code != 0)
            log_error("the broker refused the subscription to %s (%s): acks cannot "
                      "arrive",
                      u->t_ack, ev->text[0] ? ev->text : "refused");
        break;
    case MQTT_EV_DISCONNECTED:
        if (u->link.connected)
            u->link.since_ms = now_ms;
        u->link.connected = false;
        break;
    }
}

int64_t
uplink_work(struct uplink *u, int64_t mono_ms, int64_t now_ms)
{
    struct mqtt_event ev;
    int64_t wait = INT64_MAX;
    uint64_t dropped = mqtt_dropped(u->mq);

    while (mqtt_next_event(u->mq, &ev)) {
        handle(u, &ev, mono_ms, now_ms);
        mqtt_event_fini(&ev);
    }
    if (mqtt_dropped(u->mq) != dropped)
        log_warning("%" PRIu64 " incoming messages dropped unread: more than %d were "
                    "waiting",
                    mqtt_dropped(u->mq) - dropped, MQTT_QUEUE_MAX);
    if (!mqtt_connected(u->mq)) {
        if (mono_ms >= u->next_connect_ms) {
            int r = mqtt_connect(u->mq);
            if (r == 0)
                log_info("connecting to %s", u->cfg->broker.url);
            else if (r != -EALREADY)
                retry_later(u, mono_ms, now_ms, "cannot connect to", mqtt_strerror(r));
        }
        if (u->next_connect_ms > mono_ms)
            wait = u->next_connect_ms - mono_ms;
        return wait;
    }
    /* The loop calls this at every turn (samples, timers): the store is read
     * only when something changed or the outbox asked to be woken. */
    if (!u->kicked && mono_ms < u->next_pump_ms)
        return u->next_pump_ms == INT64_MAX ? INT64_MAX : u->next_pump_ms - mono_ms;
    u->kicked = false;
    wait = pump(u, mono_ms);
    u->next_pump_ms = wait == INT64_MAX ? INT64_MAX : mono_ms + wait;
    return wait;
}

/*
 * At stop: take events (handled as usual) until one of kind arrives (a PUBACK:
 * the one of token) or the monotonic deadline passes. Gives up at once when
 * the connection is gone and kind needs it.
 */
static void
await_event(struct uplink *u, enum mqtt_event_kind kind, int token, int64_t until_ms,
            int64_t now_ms)
{
    for (;;) {
        struct mqtt_event ev;
        bool seen = false;
        while (mqtt_next_event(u->mq, &ev)) {
            seen = seen ||
                   (ev.kind == kind && (kind != MQTT_EV_PUBACK || ev.token == token));
            handle(u, &ev, clock_mono_us() / 1000, now_ms);
            mqtt_event_fini(&ev);
        }
        int64_t left = until_ms - clock_mono_us() / 1000;
        struct pollfd pfd = {.fd = mqtt_event_fd(u->mq), .events = POLLIN};
        if (seen || (kind != MQTT_EV_DISCONNECTED && !mqtt_connected(u->mq)) ||
            left <= 0 || poll(&pfd, 1, (int)left) <= 0)
            return;
    }
}

void
uplink_stop(struct uplink *u, int64_t now_ms, int timeout_ms)
{
    int64_t end = clock_mono_us() / 1000 + timeout_ms;
    int token = -1;

    if (!mqtt_connected(u->mq))
        return;
    /* A clean DISCONNECT does not fire the will: say offline ourselves, and
     * give the broker half the time to take it. */
    if (mqtt_publish(u->mq, u->t_status, u->offline, strlen(u->offline), true,
                     &token) == 0)
        await_event(u, MQTT_EV_PUBACK, token, end - timeout_ms / 2, now_ms);
    if (mqtt_disconnect(u->mq, timeout_ms / 2) == 0)
        await_event(u, MQTT_EV_DISCONNECTED, 0, end, now_ms);
    log_info("disconnected from %s", u->cfg->broker.url);
}
