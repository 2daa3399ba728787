/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The webhook's worker (see deliver.h). It is the top of its own call chain,
 * so it logs on stderr itself, one whole line at a time like the listener.
 */
#include "retailer/deliver.h"

#include <errno.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensors/clock.h"
#include "retailer/metrics.h"
#include "retailer/out.h"
#include "retailer/retailer-state.h"
#include "sensors/text.h"
#include "retailer/logmsg.h"

struct deliver {
    struct deliver_config c;
    struct state *state;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool kicked; /* under lock */
    atomic_bool stop;
    /* Orders waiting (the queue depth of the metrics): counted in the ledger
     * at start, one more per new order, one less per answer, 0 when empty. */
    atomic_long queued;
};

static void
set_queued(struct deliver *d, long n)
{
    atomic_store(&d->queued, n < 0 ? 0 : n);
    metrics_queue_depth(n);
}

static void
add_queued(struct deliver *d, long n)
{
    long now = atomic_fetch_add(&d->queued, n) + n;

    metrics_queue_depth(now);
}

static int
count_one(void *arg, const struct state_order *o)
{
    (void)o;
    ++*(long *)arg;
    return 0;
}

/* The order at the head of the queue, copied out of the database's row. */
struct order {
    bool found;
    enum payload_kind kind;
    char device[MESSAGE_ID_MAX], order_id[MESSAGE_ID_MAX];
    char *body, *acks;
    char err[256];
};

static int64_t
now_s(const struct deliver *d)
{
    return d->c.fixed_now_s > 0 ? d->c.fixed_now_s : clock_wall_ms() / 1000;
}

/*
 * Wait up to ms (< 0: for ever) for stop, or, when kicks is true, a kick.
 * Returns true when stopping.
 */
static bool
wait_for(struct deliver *d, int64_t ms, bool kicks)
{
    int64_t end_us = clock_mono_us() + ms * 1000;
    bool stop;

    pthread_mutex_lock(&d->lock);
    while (!(stop = atomic_load(&d->stop)) && !(kicks && d->kicked)) {
        if (ms < 0) {
            pthread_cond_wait(&d->cond, &d->lock);
            continue;
        }
        int64_t now_us = clock_mono_us();
        if (now_us >= end_us)
            break;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts); /* the condition's clock */
        int64_t left = end_us - now_us;
        ts.tv_sec += (time_t)(left / 1000000);
        ts.tv_nsec += (long)(left % 1000000) * 1000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&d->cond, &d->lock, &ts);
    }
    pthread_mutex_unlock(&d->lock);
    return stop;
}

static void
order_fini(struct order *o)
{
    free(o->body);
    free(o->acks);
    memset(o, 0, sizeof(*o));
}

/* Copy the head of the queue out of the database's row. */
static int
take_first(void *arg, const struct state_order *row)
{
    struct order *o = arg;
    int r;

    o->found = true;
    o->kind = row->kind;
    snprintf(o->device, sizeof(o->device), "%s", row->device);
    snprintf(o->order_id, sizeof(o->order_id), "%s", row->order_id);
    r = out_accepted(row->kind, row->token, row->token_len, row->received_s, &o->body,
                     o->err, sizeof(o->err));
    if (r < 0)
        return r;
    if (row->acks != NULL && (o->acks = strdup(row->acks)) == NULL)
        return -ENOMEM;
    return 0;
}

/* 1 with the head of the queue in *o, 0 when it is empty, or a negative errno. */
static int
next_order(struct deliver *d, struct order *o)
{
    int r = state_pending_first(d->state, d->c.listener, take_first, o);

    if (r < 0 && o->err[0] == '\0')
        snprintf(o->err, sizeof(o->err), "%s",
                 r == -ENOMEM ? strerror(ENOMEM) : state_error(d->state));
    return r;
}

/* The n-th wait (n >= 1): 1 s doubling to 5 min, plus up to half again. */
static int64_t
backoff_ms(unsigned n)
{
    int64_t base = DELIVER_BACKOFF_MIN_MS;

    for (unsigned i = 1; i < n && base < DELIVER_BACKOFF_MAX_MS; i++)
        base *= 2;
    if (base > DELIVER_BACKOFF_MAX_MS)
        base = DELIVER_BACKOFF_MAX_MS;
    /* Jitter: listeners that lost the order system together come back apart. */
    base += (int64_t)randombytes_uniform((uint32_t)(base / 2 + 1));
    return base > DELIVER_BACKOFF_MAX_MS ? DELIVER_BACKOFF_MAX_MS : base;
}

static int
refused_acks(void *arg, int64_t seq, char **acks)
{
    void **a = arg;
    const struct ack_config *ac = a[0];
    const struct order *o = a[1];

    return ack_refused(ac, o->device, o->order_id, seq, a[2], acks);
}

/* Retry a write the database put off until it takes (or we stop). */
static bool
until_recorded(struct deliver *d, const struct order *o, int r, const char *what)
{
    if (r >= 0)
        return true;
    logmsg("webhook: %s %s of %s: cannot record that it was %s: %s (trying again)",
           payload_kind_to_str(o->kind), o->order_id, o->device, what,
           state_error(d->state));
    return wait_for(d, DELIVER_BACKOFF_MIN_MS, false); /* true: stopping */
}

static void
delivered(struct deliver *d, const struct order *o)
{
    for (;;) {
        int r = state_handed_off(d->state, o->kind, o->device, o->order_id, now_s(d));
        if (r >= 0 || until_recorded(d, o, r, "delivered"))
            break;
    }
    add_queued(d, -1);
    d->c.answered(d->c.arg, o->device, o->acks, true);
}

static void
refused(struct deliver *d, const struct order *o, const char *reason)
{
    struct ack_config ac = d->c.ack;
    char *acks = NULL;
    void *arg[3] = {&ac, (void *)o, (void *)reason};
    int r;

    for (;;) {
        ac.now_s = now_s(d);
        r = state_refuse(d->state, o->kind, o->device, o->order_id, reason,
                         refused_acks, arg, &acks);
        if (r >= 0 || until_recorded(d, o, r, "refused"))
            break;
    }
    add_queued(d, -1);
    if (r == 1)
        d->c.answered(d->c.arg, o->device, acks, false);
    free(acks);
}

static void *
run(void *arg)
{
    struct deliver *d = arg;
    unsigned failures = 0;

    while (!atomic_load(&d->stop)) {
        struct order o = {0};
        char reason[WEBHOOK_REASON_MAX + 1], why[512], key[3 * MESSAGE_ID_MAX];
        int64_t t0_us;
        int r;

        pthread_mutex_lock(&d->lock);
        d->kicked = false; /* before reading: a kick after it is not lost */
        pthread_mutex_unlock(&d->lock);
        if ((r = next_order(d, &o)) == -EINVAL && o.found) {
            /* The ledger's copy of the order cannot be read (a damaged row):
             * no POST can carry it, and retrying would hold every order
             * behind it for ever. The device is told, and may order again. */
            logmsg("webhook: WARNING: %s %s of %s cannot be handed off: its stored "
                   "copy is "
                   "damaged (%s)",
                   payload_kind_to_str(o.kind), o.order_id, o.device, o.err);
            refused(d, &o, "its stored copy is damaged");
            order_fini(&o);
            continue;
        }
        if (r <= 0) {
            /* Empty: the gauge is 0 unless an order was accepted since the
             * read began (its kick, under the same lock, counted it). */
            pthread_mutex_lock(&d->lock);
            if (r == 0 && !d->kicked)
                set_queued(d, 0);
            pthread_mutex_unlock(&d->lock);
            if (r < 0)
                logmsg("webhook: cannot read the orders to deliver: %s (trying again)",
                       o.err);
            order_fini(&o);
            wait_for(d, r < 0 ? backoff_ms(++failures) : -1, r == 0);
            continue;
        }
        /* Order ids are the device's: unique per device and kind only. */
        snprintf(key, sizeof(key), "%s.%s.%s", o.device, payload_kind_to_str(o.kind),
                 o.order_id);
        t0_us = clock_mono_us();
        r = webhook_post(d->c.webhook, key, o.body, now_s(d), &d->stop, reason,
                         sizeof(reason), why, sizeof(why));
        /* A POST's time, answered or not: the hand-off latency of the metrics. */
        metrics_handoff((double)(clock_mono_us() - t0_us) / 1e6);
        if (r == WEBHOOK_DELIVERED) {
            failures = 0;
            delivered(d, &o);
        } else if (r == WEBHOOK_REFUSED) {
            failures = 0;
            logmsg("webhook: %s %s of %s refused by the order system: %s",
                   payload_kind_to_str(o.kind), o.order_id, o.device, reason);
            refused(d, &o, reason);
        } else if (!atomic_load(&d->stop)) {
            int64_t ms = backoff_ms(++failures);
            logmsg("webhook: %s %s of %s not delivered: %s; trying again in %lld ms "
                   "(attempt "
                   "%u)",
                   payload_kind_to_str(o.kind), o.order_id, o.device,
                   r == -ENOMEM ? strerror(ENOMEM) : why, (long long)ms, failures);
            wait_for(d, ms, false);
        }
        order_fini(&o);
    }
    return NULL;
}

int
deliver_start(const struct deliver_config *c, struct deliver **out, char *err,
              size_t errlen)
{
    struct deliver *d = calloc(1, sizeof(*d));
    pthread_condattr_t ca;
    int r;

    *out = NULL;
    if (d == NULL)
        return -ENOMEM;
    d->c = *c;
    atomic_init(&d->stop, false);
    atomic_init(&d->queued, 0);
    if ((r = state_open(c->db_path, &d->state, err, errlen)) < 0) {
        free(d);
        return r;
    }
    struct state_filter f = {.pending_only = true, .listener = c->listener};
    long waiting = 0;
    if (state_accepted_each(d->state, &f, count_one, &waiting) == 0)
        set_queued(d, waiting);
    pthread_mutex_init(&d->lock, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->cond, &ca);
    pthread_condattr_destroy(&ca);
    if ((r = pthread_create(&d->thread, NULL, run, d)) != 0) {
        text_error(err, errlen, "cannot start the webhook's thread: %s", strerror(r));
        pthread_cond_destroy(&d->cond);
        pthread_mutex_destroy(&d->lock);
        state_close(d->state);
        free(d);
        return -r;
    }
    *out = d;
    return 0;
}

void
deliver_kick(struct deliver *d, bool new_order)
{
    pthread_mutex_lock(&d->lock);
    if (new_order)
        add_queued(d, 1);
    d->kicked = true;
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
}

void
deliver_stop(struct deliver *d)
{
    if (d == NULL)
        return;
    pthread_mutex_lock(&d->lock);
    atomic_store(&d->stop, true);
    pthread_cond_signal(&d->cond);
    pthread_mutex_unlock(&d->lock);
    pthread_join(d->thread, NULL);
    pthread_cond_destroy(&d->cond);
    pthread_mutex_destroy(&d->lock);
    state_close(d->state);
    free(d);
}
