/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener (see listen.h for its threads and connection states). The Paho
 * result codes are turned into messages in one place, paho_error().
 */
#include "retailer/listen.h"

#include <MQTTAsync.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "retailer/ack-out.h"
#include "sensors/clock.h"
#include "retailer/deliver.h"
#include "retailer/listen-keys.h"
#include "agent/msg/message.h"
#include "retailer/metrics.h"
#include "retailer/out.h"
#include "agent/msg/paho-load.h"
#include "sensors/text.h"
#include "retailer/logmsg.h"

#define BACKOFF_MIN_S 1
#define BACKOFF_MAX_S 60
#define DISCONNECT_MS 5000
#define DRAIN_MS 10000 /* at most, for the acks still queued when stopping */
#define TOPIC_MAX 512

enum kind {
    KIND_REORDER = PAYLOAD_REORDER,
    KIND_CANCEL = PAYLOAD_CANCEL,
    KIND_KEY,
};

struct listener {
    const struct listen_config *c;
    MQTTAsync client;
    struct ackout *acks; /* the acks to publish (ack-out.h) */
    pthread_t main;
    pthread_mutex_t lock;
    /*
     * Held by the callback thread while it judges a message; the main thread
     * takes it to set closing, after which no message is judged (its ack could
     * no longer be queued) and each stays with the broker.
     */
    pthread_mutex_t judging;
    bool closing; /* under judging */
    /* under lock: what the callbacks tell the main thread */
    long accepted;
    int64_t last_msg_ms;
    bool connect_failed, fatal, disconnected, connected_once;
    bool draining; /* the main thread waits for the ack queue to empty */
    char fatal_msg[512];
    /* the callback thread's own (and the main thread's before Paho starts) */
    char *buf;               /* the token being judged, NUL-terminated */
    bool out_broken;         /* a hand-off failed: take nothing more */
    struct deliver *deliver; /* with --webhook: the worker that hands off */
};

/*
 * Paho's API for the URL's scheme (paho-load.h): set by the main thread before
 * Paho's threads start, and NULL until then.
 */
static const struct paho_api *paho;

static const char *
paho_error(int rc)
{
    const char *s = paho != NULL ? paho->strerror(rc) : NULL;

    return s != NULL ? s : "unknown Paho error";
}

static void
wake(struct listener *l)
{
    pthread_kill(l->main, SIGUSR1);
}

/* Set one of the flags the main thread reads, and wake it to read them. */
static void
raise_flag(struct listener *l, bool *flag)
{
    pthread_mutex_lock(&l->lock);
    *flag = true;
    pthread_mutex_unlock(&l->lock);
    wake(l);
}

static void
set_fatal(struct listener *l, const char *what)
{
    pthread_mutex_lock(&l->lock);
    snprintf(l->fatal_msg, sizeof(l->fatal_msg), "%s", what);
    pthread_mutex_unlock(&l->lock);
    raise_flag(l, &l->fatal);
}

/* The hand-off of accepted messages read back from the database. */
struct handoff {
    const struct listen_config *c;
    struct handoff_key {
        enum payload_kind kind;
        char device[MESSAGE_ID_MAX], order_id[MESSAGE_ID_MAX];
        char *acks; /* with keep_acks: its recorded acks, to publish */
    } * keys;       /* handed off, to be marked */
    size_t n, cap;
    bool keep_acks, write_failed;
    char err[512];
};

/* Print one accepted message (out.h), flushed, and note it for marking. */
static int
hand_off_one(void *arg, const struct state_order *o)
{
    struct handoff *h = arg;
    struct handoff_key *k;
    char *line = NULL, why[256];
    int r;

    if (h->n == h->cap) {
        size_t cap = h->cap ? h->cap * 2 : 4;
        if ((k = realloc(h->keys, cap * sizeof(*k))) == NULL)
            return -ENOMEM;
        h->keys = k;
        h->cap = cap;
    }
    r = out_accepted(o->kind, o->token, o->token_len, o->received_s, &line, why,
                     sizeof(why));
    if (r < 0) {
        text_error(h->err, sizeof(h->err), "cannot make the line of %s %s of %s: %s",
                   payload_kind_to_str(o->kind), o->order_id, o->device,
                   r == -ENOMEM ? strerror(ENOMEM) : why);
        return r;
    }
    r = out_write(h->c->out, line);
    free(line);
    if (r < 0) {
        h->write_failed = true;
        text_error(h->err, sizeof(h->err),
                   "cannot hand off %s %s of %s: writing stdout: %s; it is recorded "
                   "but not acknowledged, and is offered again at the next start "
                   "(see also pantry-retailer export)",
                   payload_kind_to_str(o->kind), o->order_id, o->device, strerror(-r));
        return r;
    }
    k = &h->keys[h->n++];
    k->acks = h->keep_acks && o->acks != NULL ? strdup(o->acks) : NULL;
    k->kind = o->kind;
    snprintf(k->device, sizeof(k->device), "%s", o->device);
    snprintf(k->order_id, sizeof(k->order_id), "%s", o->order_id);
    return 0;
}

/*
 * Hand off the accepted messages of f (those not handed off yet, oldest
 * first), then record that they were: the database is not written while it
 * is read. Returns 0 with *count, or a negative errno with a message in h->err
 * (h->write_failed when stdout refused a line: the listener must stop). What
 * was printed before a failure is recorded all the same. A failure to record
 * is only logged: the message is then offered again at the next start.
 */
static int
hand_off(struct handoff *h, const struct state_filter *f, int64_t now_s, long *count)
{
    struct state *st = h->c->state;
    int r = state_accepted_each(st, f, hand_off_one, h);

    if (r < 0 && h->err[0] == '\0')
        text_error(h->err, sizeof(h->err), "cannot read accepted messages: %s",
                   r == -ENOMEM ? strerror(ENOMEM) : state_error(st));
    for (size_t i = 0; i < h->n; i++) {
        struct handoff_key *k = &h->keys[i];
        if (state_handed_off(st, k->kind, k->device, k->order_id, now_s) < 0)
            logmsg("WARNING: %s %s of %s was handed off, but the database could not "
                   "record it (%s): it is offered again at the next start",
                   payload_kind_to_str(k->kind), k->order_id, k->device,
                   state_error(st));
    }
    *count = (long)h->n;
    return r;
}

static void
handoff_fini(struct handoff *h)
{
    for (size_t i = 0; i < h->n; i++)
        free(h->keys[i].acks);
    free(h->keys);
    h->keys = NULL;
    h->n = h->cap = 0;
}

/* <prefix>/<device>/<kind>: the device and kind, or -1. */
static int
parse_topic(const struct listen_config *c, const char *topic, size_t n,
            char device[MESSAGE_ID_MAX])
{
    size_t p = strlen(c->prefix);
    const char *d, *slash;

    if (n <= p + 1 || memcmp(topic, c->prefix, p) != 0 || topic[p] != '/')
        return -1;
    d = topic + p + 1;
    slash = memchr(d, '/', n - p - 1);
    if (slash == NULL || slash == d || (size_t)(slash - d) >= MESSAGE_ID_MAX)
        return -1;
    memcpy(device, d, (size_t)(slash - d));
    device[slash - d] = '\0';
    if (!text_is_name(device, MESSAGE_ID_MAX))
        return -1;
    n -= (size_t)(slash + 1 - topic);
    slash++;
    if (n == 7 && memcmp(slash, "reorder", 7) == 0)
        return KIND_REORDER;
    if (n == 6 && memcmp(slash, "cancel", 6) == 0)
        return KIND_CANCEL;
    if (n == 3 && memcmp(slash, "key", 3) == 0)
        return KIND_KEY;
    return -1;
}

/*
 * Queue each line of acks for <prefix>/<device>/ack (QoS 1, not retained);
 * ack-out.c hands them to Paho as fast as the broker takes them.
 */
static void
publish_acks(struct listener *l, const char *device, const char *acks)
{
    char topic[TOPIC_MAX];

    snprintf(topic, sizeof(topic), "%s/%s/ack", l->c->prefix, device);
    for (const char *p = acks; p != NULL && *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        int r = ackout_push(l->acks, topic, p, n);

        if (r == -ESHUTDOWN)
            logmsg("an ack for %s not sent: the listener is stopping (the device "
                   "re-sends its message and gets it then)",
                   device);
        else if (r == -ENOBUFS)
            logmsg("an ack for %s not sent: %d acks are waiting for the broker already "
                   "(the device re-sends its message and gets it then)",
                   device, ACKOUT_QUEUE_MAX);
        else if (r < 0)
            logmsg("an ack for %s not sent: %s (the device re-sends its message and "
                   "gets it then)",
                   device, strerror(-r));
        p += n + (nl != NULL);
    }
}

static int
make_acks(void *arg, const struct check_result *res, enum ledger_verdict v, char **acks)
{
    return ack_make(arg, res, v, acks);
}

/*
 * One more accepted. The main thread is woken only when that reaches --count:
 * a signal per message costs the listener several system calls and a context
 * switch (the load test's profile), and nothing else it waits for changes
 * (it sees a newer last_msg_ms when its --exit-idle wait ends).
 */
static void
count_accepted(struct listener *l)
{
    bool enough;

    pthread_mutex_lock(&l->lock);
    l->accepted++;
    enough = l->c->count > 0 && l->accepted == l->c->count;
    pthread_mutex_unlock(&l->lock);
    if (enough)
        wake(l);
}

/* Judge, record, answer and print one message. 1: done, 0: retry it later. */
static int
handle(struct listener *l, const char *topic, size_t tlen, const char *data, size_t len)
{
    const struct listen_config *c = l->c;
    struct check_config cc = c->check;
    struct ack_config ac = c->ack;
    struct check_result res;
    char device[MESSAGE_ID_MAX], *acks = NULL;
    int64_t now_s = c->fixed_now_s > 0 ? c->fixed_now_s : clock_wall_ms() / 1000;
    int kind = parse_topic(c, topic, tlen, device), r, same, pending;
    int64_t t0_us;

    if (l->out_broken)
        return 0; /* stopping: it stays with the broker, for the next start */
    if (kind < 0) {
        logmsg("message on an unexpected topic %.*s ignored",
               (int)(tlen > 200 ? 200 : tlen), topic);
        return 1;
    }
    if (kind == KIND_KEY)
        return c->tofu || c->enrol ? listen_key_message(c, device, data, len, now_s)
                                   : 1;
    if (len > JWS_MAX_LEN) {
        metrics_message(METRICS_DROPPED, CHECK_MALFORMED);
        logmsg("%s of %s dropped: %zu bytes, more than a token may have (%d)",
               kind == KIND_REORDER ? "reorder" : "cancel", device, len, JWS_MAX_LEN);
        return 1;
    }
    memcpy(l->buf, data, len);
    l->buf[len] = '\0';
    cc.now_s = now_s;
    cc.pin = listen_key_lookup;
    cc.pin_arg = (void *)c;
    t0_us = clock_mono_us();
    if ((r = check_token(&cc, l->buf, len, device, (enum payload_kind)kind, &res)) <
        0) {
        logmsg("cannot judge a message of %s: %s (will retry)", device, strerror(-r));
        return 0;
    }
    metrics_verify((double)(clock_mono_us() - t0_us) / 1e6);
    if (!ledger_identified(&res)) {
        metrics_message(METRICS_DROPPED, res.reason);
        logmsg("%s of %s dropped, not answered (%s): %s", payload_kind_to_str(kind),
               device, check_reason_to_str(res.reason), res.detail);
        r = 1;
        goto out;
    }
    ac.now_s = now_s;
    t0_us = clock_mono_us();
    r = state_judge(c->state, &res, l->buf, now_s, c->client_id, make_acks, &ac, &acks,
                    &same, &pending);
    metrics_judge((double)(clock_mono_us() - t0_us) / 1e6);
    if (r < 0) {
        metrics_db_error(r);
        logmsg("cannot record %s %s of %s: %s (will retry)", payload_kind_to_str(kind),
               res.p.order_id, device, state_error(c->state));
        r = 0;
        goto out;
    }
    metrics_db_ok();
    if (pending == STATE_PENDING_OTHER) {
        metrics_message(METRICS_DUPLICATE, CHECK_OK);
        logmsg("duplicate %s %s of %s: not answered, as its listener has not handed "
               "it off yet (it answers once it has, or at its next start)",
               payload_kind_to_str(kind), res.p.order_id, device);
        r = 1;
        goto out;
    }
    /* With a webhook, the worker POSTs it and answers the device after the
     * order system's answer; this thread never waits for it. */
    if (pending == STATE_PENDING_MINE && l->deliver != NULL) {
        deliver_kick(l->deliver, r == LEDGER_ACCEPTED);
        r = 1;
        goto out;
    }
    /* Handed off before it is acknowledged (and before Paho's PUBACK): an
     * order the device is told was accepted is always in the reader's hands. */
    if (pending == STATE_PENDING_MINE) {
        struct state_filter f = {.pending_only = true,
                                 .device = res.device,
                                 .kind = res.kind,
                                 .order_id = res.p.order_id};
        struct handoff h = {.c = c};
        long n;

        t0_us = clock_mono_us();
        int ho = hand_off(&h, &f, now_s, &n);
        metrics_handoff((double)(clock_mono_us() - t0_us) / 1e6);

        handoff_fini(&h);
        if (ho < 0) {
            if (h.write_failed) {
                l->out_broken = true;
                set_fatal(l, h.err);
            } else {
                logmsg("%s (will retry)", h.err);
            }
            r = 0;
            goto out;
        }
        if (r == LEDGER_DUPLICATE && n > 0)
            logmsg("%s %s of %s sent again, and handed off now: its first hand-off "
                   "had failed",
                   payload_kind_to_str(kind), res.p.order_id, device);
    }
    publish_acks(l, device, acks);
    metrics_judged((enum ledger_verdict)r, &res);
    if (r == LEDGER_ACCEPTED) {
        count_accepted(l);
    } else if (r == LEDGER_REJECTED) {
        logmsg("rejected %s %s of %s (%s): %s", payload_kind_to_str(kind),
               res.p.order_id, device, check_reason_to_str(res.reason), res.detail);
    } else {
        logmsg("duplicate %s %s of %s: its ack sent again%s", payload_kind_to_str(kind),
               res.p.order_id, device,
               same ? "" : " (WARNING: not the bytes first seen under this order id)");
    }
    r = 1;
out:
    free(acks);
    check_result_fini(&res);
    return r;
}

/* The worker answered an order: its acks out, and one more accepted. */
static void
on_answered(void *arg, const char *device, const char *acks, bool delivered)
{
    struct listener *l = arg;

    publish_acks(l, device, acks);
    if (delivered)
        count_accepted(l);
}

static int
on_message(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
    struct listener *l = ctx;
    size_t n = tlen > 0 ? (size_t)tlen : strlen(topic);
    int done = 0;

    pthread_mutex_lock(&l->judging);
    if (!l->closing)
        done = handle(l, topic, n, m->payload,
                      m->payloadlen > 0 ? (size_t)m->payloadlen : 0);
    pthread_mutex_unlock(&l->judging);

    pthread_mutex_lock(&l->lock);
    l->last_msg_ms = clock_mono_us() / 1000;
    pthread_mutex_unlock(&l->lock);
    if (!done)
        return 0; /* Paho keeps the message and calls again; no PUBACK yet */
    paho->freeMessage(&m);
    paho->free(topic);
    return 1;
}

static void
on_subscribed(void *ctx, MQTTAsync_successData5 *s)
{
    struct listener *l = ctx;
    int n = s->alt.sub.reasonCodeCount;

    for (int i = 0; i < (n > 0 ? n : 1); i++) {
        int rc = n > 0 ? (int)s->alt.sub.reasonCodes[i] : (int)s->reasonCode;
        if (rc >= 0x80) {
            char what[200];
            snprintf(what, sizeof(what),
                     "the broker refused subscription %d: %s "
                     "(does it support MQTT 5 shared subscriptions?)",
                     i + 1, paho->reasonString((enum MQTTReasonCodes)rc));
            set_fatal(l, what);
            return;
        }
    }
    logmsg("subscribed to $share/%s/%s/+/reorder and /cancel%s as %s", l->c->group,
           l->c->prefix, l->c->tofu || l->c->enrol ? " (and +/key)" : "",
           l->c->client_id);
}

static void
on_subscribe_failed(void *ctx, MQTTAsync_failureData5 *f)
{
    char what[200];

    snprintf(what, sizeof(what), "subscribing failed: %s",
             f->message ? f->message : paho_error(f->code));
    set_fatal(ctx, what);
}

/* Connected, first or again: subscribe (again; a kept session has them). */
static void
on_connected(void *ctx, char *cause)
{
    struct listener *l = ctx;
    const struct listen_config *c = l->c;
    MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
    char t[3][TOPIC_MAX], *topics[3] = {t[0], t[1], t[2]};
    int qos[3] = {1, 1, 1}, rc;

    (void)cause;
    metrics_broker(true);
    pthread_mutex_lock(&l->lock);
    l->connected_once = true;
    pthread_mutex_unlock(&l->lock);
    snprintf(t[0], TOPIC_MAX, "$share/%s/%s/+/reorder", c->group, c->prefix);
    snprintf(t[1], TOPIC_MAX, "$share/%s/%s/+/cancel", c->group, c->prefix);
    snprintf(t[2], TOPIC_MAX, "%s/+/key", c->prefix);
    opts.onSuccess5 = on_subscribed;
    opts.onFailure5 = on_subscribe_failed;
    opts.context = l;
    logmsg("connected to %s", c->url);
    rc =
        paho->subscribeMany(l->client, c->tofu || c->enrol ? 3 : 2, topics, qos, &opts);
    if (rc != MQTTASYNC_SUCCESS) {
        char what[200];
        snprintf(what, sizeof(what), "cannot subscribe: %s", paho_error(rc));
        set_fatal(l, what);
    }
}

/* CONNACK of a connection we asked for: how many acks may be in flight. */
static void
on_connect_ok(void *ctx, MQTTAsync_successData5 *s)
{
    struct listener *l = ctx;
    int max = 0; /* absent: 65,535 (MQTT 5, 3.2.2.3.3) */

    if (paho->propertiesHas(&s->properties, MQTTPROPERTY_CODE_RECEIVE_MAXIMUM))
        max = (int)paho->propertiesGetNumeric(&s->properties,
                                              MQTTPROPERTY_CODE_RECEIVE_MAXIMUM);
    ackout_window(l->acks, max);
}

static void
on_ack_failed(void *ctx, int code, const char *message)
{
    (void)ctx;
    logmsg("an ack was not delivered to the broker: %s (it is sent again when the "
           "agent re-sends the message)",
           message != NULL ? message : paho_error(code));
}

/* No ack queued or in flight: wake the main thread if it is draining (not
 * otherwise: under a steady load the queue empties after nearly every ack). */
static void
on_acks_idle(void *ctx)
{
    struct listener *l = ctx;

    pthread_mutex_lock(&l->lock);
    bool draining = l->draining;
    pthread_mutex_unlock(&l->lock);
    if (draining)
        wake(l);
}

static void
on_connect_failed(void *ctx, MQTTAsync_failureData5 *f)
{
    struct listener *l = ctx;

    logmsg("cannot connect to %s: %s%s%s", l->c->url,
           f->message ? f->message : paho_error(f->code), f->reasonCode ? ", " : "",
           f->reasonCode ? paho->reasonString(f->reasonCode) : "");
    raise_flag(l, &l->connect_failed);
}

static void
on_connection_lost(void *ctx, char *cause)
{
    struct listener *l = ctx;

    metrics_broker(false);
    logmsg("connection to %s lost%s%s; reconnecting", l->c->url, cause ? ": " : "",
           cause ? cause : "");
}

/* The broker sent DISCONNECT: another client took our client id's session. */
static void
on_server_disconnect(void *ctx, MQTTProperties *props, enum MQTTReasonCodes rc)
{
    struct listener *l = ctx;
    char what[300];

    (void)props;
    metrics_broker(false);
    if (rc != MQTTREASONCODE_SESSION_TAKEN_OVER) {
        logmsg("the broker disconnected us: %s; reconnecting", paho->reasonString(rc));
        return;
    }
    /* Reconnecting would take the session back and throw the other one out,
     * for ever: stop instead. */
    snprintf(what, sizeof(what),
             "another client connected with client id %s and took over its session: "
             "each listener needs its own --client-id",
             l->c->client_id);
    set_fatal(l, what);
}

static void
on_disconnected(void *ctx, MQTTAsync_successData5 *s)
{
    struct listener *l = ctx;

    (void)s;
    raise_flag(l, &l->disconnected);
}

static void
on_disconnect_failed(void *ctx, MQTTAsync_failureData5 *f)
{
    (void)f;
    on_disconnected(ctx, NULL);
}

static int
on_tls_error(const char *str, size_t len, void *ctx)
{
    (void)ctx;
    logmsg("TLS: %.*s", (int)(len > 0 && str[len - 1] == '\n' ? len - 1 : len), str);
    return 0;
}

/* Wait for a signal up to timeout_ms: the signal, or 0 when the time is up. */
static int
wait_signal(const sigset_t *set, int64_t timeout_ms)
{
    struct timespec ts = {.tv_sec = timeout_ms / 1000,
                          .tv_nsec = (long)(timeout_ms % 1000) * 1000000};
    int sig = sigtimedwait(set, NULL, &ts);

    return sig < 0 ? 0 : sig;
}

/* Wait until no ack is queued, until end (ms) or a second SIGTERM/SIGINT. */
static bool
drain_until(struct listener *l, const sigset_t *set, int64_t end)
{
    while (ackout_pending(l->acks) > 0) {
        int64_t wait = end - clock_mono_us() / 1000;
        if (wait <= 0)
            return true;
        int sig = wait_signal(set, wait);
        if (sig == SIGTERM || sig == SIGINT) {
            logmsg("stopping at once (signal %d)", sig);
            return false;
        }
    }
    return true;
}

/*
 * Before disconnecting: wait until every queued ack is delivered (PUBACK) or
 * failed, for DRAIN_MS at most or until a second SIGTERM or SIGINT. Messages
 * still arriving are judged meanwhile, and their acks waited for too. Then
 * judging stops (a message judged after it would be recorded with its ack
 * refused by the closed queue), and the acks of the last message judged are
 * waited for within the same DRAIN_MS.
 */
static void
drain(struct listener *l, const sigset_t *set)
{
    int64_t end = clock_mono_us() / 1000 + DRAIN_MS;
    size_t left;
    long delivered, failed;
    bool patient;

    /* Before the queue is first read: an idle after it wakes us. */
    pthread_mutex_lock(&l->lock);
    l->draining = true;
    pthread_mutex_unlock(&l->lock);
    left = ackout_pending(l->acks);

    if (left > 0)
        logmsg("waiting for %zu ack(s) to reach the broker (%d s at most)", left,
               DRAIN_MS / 1000);
    patient = drain_until(l, set, end);
    pthread_mutex_lock(&l->judging);
    l->closing = true;
    pthread_mutex_unlock(&l->judging);
    if (patient)
        drain_until(l, set, end);
    left = ackout_pending(l->acks);
    ackout_counts(l->acks, &delivered, &failed);
    if (left > 0 || failed > 0)
        logmsg("WARNING: %zu ack(s) not delivered when stopping, %ld refused or "
               "failed (%ld delivered): not lost, as each device sends its message "
               "again and a duplicate gets its stored ack",
               left, failed, delivered);
}

static void
stop(struct listener *l, const sigset_t *set)
{
    MQTTAsync_disconnectOptions d = MQTTAsync_disconnectOptions_initializer5;
    int64_t end = clock_mono_us() / 1000 + DISCONNECT_MS + 1000;

    d.timeout = DISCONNECT_MS;
    d.onSuccess5 = on_disconnected;
    d.onFailure5 = on_disconnect_failed;
    d.context = l;
    if (!paho->isConnected(l->client) ||
        paho->disconnect(l->client, &d) != MQTTASYNC_SUCCESS)
        return;
    for (;;) {
        pthread_mutex_lock(&l->lock);
        bool done = l->disconnected;
        pthread_mutex_unlock(&l->lock);
        int64_t left = end - clock_mono_us() / 1000;
        if (done || left <= 0)
            return;
        wait_signal(set, left);
    }
}

static int
start_connect(struct listener *l, MQTTAsync_connectOptions *co, char *err,
              size_t errlen)
{
    int rc = paho->connect(l->client, co);

    if (rc != MQTTASYNC_SUCCESS)
        return text_error(err, errlen, "cannot connect to %s: %s", l->c->url,
                          paho_error(rc));
    return 0;
}

/*
 * One listener per broker and client id on this host: two would take the
 * session from each other at every reconnect, for ever (mosquitto 2.0 closes
 * the old connection without a DISCONNECT that Paho would report). An
 * abstract Unix socket (Linux) named after both is bound for the process's
 * life and released by the kernel however it ends. Returns the socket, -1
 * when it cannot be made (nothing is checked then), or -EADDRINUSE with a
 * message in err.
 */
static int
claim_client_id(const struct listen_config *c, char *err, size_t errlen)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    crypto_generichash_state st;
    unsigned char hash[16];
    char hex[2 * sizeof(hash) + 1];
    int fd;

    crypto_generichash_init(&st, NULL, 0, sizeof(hash));
    crypto_generichash_update(&st, (const unsigned char *)c->url, strlen(c->url) + 1);
    crypto_generichash_update(&st, (const unsigned char *)c->client_id,
                              strlen(c->client_id));
    crypto_generichash_final(&st, hash, sizeof(hash));
    sodium_bin2hex(hex, sizeof(hex), hash, sizeof(hash));
    /* sun_path[0] stays NUL: the abstract namespace, no file. */
    snprintf(a.sun_path + 1, sizeof(a.sun_path) - 1, "pantry-retailer-%s", hex);
    if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
        return -1;
    if (bind(fd, (struct sockaddr *)&a,
             (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
                         strlen(a.sun_path + 1))) == 0)
        return fd;
    close(fd);
    if (errno != EADDRINUSE)
        return -1;
    text_error(err, errlen,
               "another listener on this host already uses client id %s with %s: "
               "each listener needs its own --client-id",
               c->client_id, c->url);
    return -EADDRINUSE;
}

/*
 * At the start, before any message: hand off again what this listener (its
 * client id) accepted and never handed off, because stdout failed or the
 * process died between the commit and the write. Those were never
 * acknowledged either: h keeps their acks, to be published once connecting.
 */
static int
offer_again(const struct listen_config *c, struct handoff *h, char *err, size_t errlen)
{
    struct state_filter f = {.pending_only = true, .listener = c->client_id};
    int64_t now_s = c->fixed_now_s > 0 ? c->fixed_now_s : clock_wall_ms() / 1000;
    long n = 0, others = 0;
    int r;

    h->c = c;
    h->keep_acks = true;
    /* The webhook's worker finds them itself, once it runs. */
    r = c->webhook != NULL ? 0 : hand_off(h, &f, now_s, &n);

    if (n > 0)
        logmsg("offered again %ld accepted message(s) of %s that were never handed "
               "off",
               n, c->client_id);
    if (r < 0) {
        text_error(err, errlen, "%s", h->err);
        return r;
    }
    if (state_pending_others(c->state, c->client_id, &others) == 0 && others > 0)
        logmsg("WARNING: %ld accepted message(s) recorded by other listeners (other "
               "client ids) are not handed off: each is handed off when its agent "
               "sends it again, or by its listener's next start; see also "
               "pantry-retailer export",
               others);
    return 0;
}

int
listen_run(const struct listen_config *c, char *err, size_t errlen)
{
    MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer5;
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty expiry = {.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL};
    struct listener l = {.c = c, .main = pthread_self()};
    struct handoff offered = {0};
    sigset_t set;
    int64_t retry_at = -1, backoff_s = BACKOFF_MIN_S;
    int r = 0, rc, claim = -1;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGUSR1);
    /* Blocked before Paho starts its threads, which inherit the mask: only the
     * main thread takes these signals, in sigtimedwait. */
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    pthread_mutex_init(&l.lock, NULL);
    pthread_mutex_init(&l.judging, NULL);
    /* A reader that went away is a write error (EPIPE) to report, not a death. */
    signal(SIGPIPE, SIG_IGN);
    if ((l.buf = malloc(JWS_MAX_LEN + 1)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    if ((claim = claim_client_id(c, err, errlen)) == -EADDRINUSE) {
        r = claim;
        goto out;
    }
    if ((r = offer_again(c, &offered, err, errlen)) < 0)
        goto out;
    l.last_msg_ms = clock_mono_us() / 1000;
    /* Acks queued while Paho reconnects are sent once it is back. */
    cr.sendWhileDisconnected = 1;
    cr.maxBufferedMessages = 10000;
    /* The webhook's worker may answer an order left from a previous run
     * before the first CONNECT is even sent. */
    cr.allowDisconnectedSendAtAnyTime = c->webhook != NULL;
    if ((r = paho_load(paho_url_tls(c->url), &paho, err, errlen)) < 0)
        goto out;
    rc = paho->createWithOptions(&l.client, c->url, c->client_id,
                                 MQTTCLIENT_PERSISTENCE_NONE, NULL, &cr);
    if (rc != MQTTASYNC_SUCCESS) {
        r = text_error(err, errlen, "MQTT client for %s: %s", c->url, paho_error(rc));
        l.client = NULL;
        goto out;
    }
    if (ackout_new(&l.acks, paho, l.client, on_acks_idle, on_ack_failed, &l) < 0) {
        r = -ENOMEM;
        goto out;
    }
    if ((rc = paho->setCallbacks(l.client, &l, on_connection_lost, on_message, NULL)) !=
            MQTTASYNC_SUCCESS ||
        (rc = paho->setConnected(l.client, &l, on_connected)) != MQTTASYNC_SUCCESS ||
        (rc = paho->setDisconnected(l.client, &l, on_server_disconnect)) !=
            MQTTASYNC_SUCCESS) {
        r = text_error(err, errlen, "MQTT callbacks: %s", paho_error(rc));
        goto out;
    }
    if (c->webhook != NULL) {
        /* Before the first message can arrive; its acks wait in Paho's
         * buffer until connected (sendWhileDisconnected). */
        struct deliver_config dc = {.db_path = c->db_path,
                                    .listener = c->client_id,
                                    .webhook = c->webhook,
                                    .ack = c->ack,
                                    .fixed_now_s = c->fixed_now_s,
                                    .answered = on_answered,
                                    .arg = &l};
        if ((r = deliver_start(&dc, &l.deliver, err, errlen)) < 0)
            goto out;
    }
    expiry.value.integer4 = (unsigned)c->session_expiry_s;
    paho->propertiesAdd(&props, &expiry);
    co.connectProperties = &props;
    co.cleanstart = 0; /* the session (and messages for it) outlives a restart */
    co.keepAliveInterval = 30;
    co.automaticReconnect = 1;
    co.minRetryInterval = BACKOFF_MIN_S;
    co.maxRetryInterval = BACKOFF_MAX_S;
    co.username = c->user;
    co.password = c->password;
    co.onSuccess5 = on_connect_ok;
    co.onFailure5 = on_connect_failed;
    co.context = &l;
    if (paho_url_tls(c->url)) {
        ssl.trustStore = c->ca_file;
        ssl.CApath = c->ca_path;
        ssl.keyStore = c->cert;
        ssl.privateKey = c->cert_key;
        ssl.enableServerCertAuth = 1;
        ssl.verify = 1; /* the certificate must name the host of the URL */
        ssl.ssl_error_cb = on_tls_error;
        co.ssl = &ssl;
    }
    if ((r = start_connect(&l, &co, err, errlen)) < 0)
        goto out;
    /* Queued now, sent once connected (sendWhileDisconnected). */
    for (size_t i = 0; i < offered.n; i++)
        publish_acks(&l, offered.keys[i].device, offered.keys[i].acks);
    handoff_fini(&offered);
    for (;;) {
        int64_t now = clock_mono_us() / 1000, timeout = 3600 * 1000;
        bool fatal, failed, enough, reached;
        int64_t idle_left;

        pthread_mutex_lock(&l.lock);
        fatal = l.fatal;
        reached = l.connected_once;
        failed = l.connect_failed;
        l.connect_failed = false;
        enough = c->count > 0 && l.accepted >= c->count;
        idle_left = c->exit_idle_s > 0 ? l.last_msg_ms + c->exit_idle_s * 1000 - now
                                       : INT64_MAX;
        pthread_mutex_unlock(&l.lock);
        if (fatal) {
            r = text_error(err, errlen, "%s", l.fatal_msg);
            r = -EIO;
            break;
        }
        if (idle_left <= 0 && !reached) {
            r = text_error(err, errlen,
                           "--exit-idle: the broker at %s was never reached in %ld s",
                           c->url, c->exit_idle_s);
            r = -EHOSTUNREACH;
            break;
        }
        if (enough || idle_left <= 0)
            break;
        if (failed) {
            retry_at = now + backoff_s * 1000;
            logmsg("trying again in %lld s", (long long)backoff_s);
            backoff_s = backoff_s * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff_s * 2;
        }
        if (retry_at >= 0 && now >= retry_at) {
            retry_at = -1;
            if ((r = start_connect(&l, &co, err, errlen)) < 0)
                break;
            continue;
        }
        if (retry_at >= 0 && retry_at - now < timeout)
            timeout = retry_at - now;
        if (idle_left < timeout)
            timeout = idle_left;
        int sig = wait_signal(&set, timeout);
        if (sig == SIGTERM || sig == SIGINT) {
            logmsg("stopping (signal %d)", sig);
            break;
        }
    }
    /* The worker first: an order it is answering gets its acks queued. */
    deliver_stop(l.deliver);
    l.deliver = NULL;
    pthread_mutex_lock(&l.lock);
    bool reached = l.connected_once;
    pthread_mutex_unlock(&l.lock);
    if (reached) {
        drain(&l, &set);
    } else {
        pthread_mutex_lock(&l.judging);
        l.closing = true;
        pthread_mutex_unlock(&l.judging);
    }
    ackout_close(l.acks);
    stop(&l, &set);
out:
    deliver_stop(l.deliver);
    if (claim >= 0)
        close(claim);
    handoff_fini(&offered);
    if (l.acks != NULL)
        ackout_close(l.acks);
    if (l.client != NULL)
        paho->destroy(&l.client);
    ackout_free(l.acks); /* after Paho: no callback of it runs any more */
    if (paho != NULL)
        paho->propertiesFree(&props);
    free(l.buf);
    pthread_mutex_destroy(&l.lock);
    pthread_mutex_destroy(&l.judging);
    return r;
}
