/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The queue of outgoing acks in front of Paho (see ack-out.h for why and its
 * table). A ring of copies under one mutex; Paho is called with the mutex
 * released, as Paho may call our callbacks while it holds its own.
 */
#include "retailer/ack-out.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "retailer/metrics.h"

struct ack_item {
    char *topic, *payload;
    int len;
};

struct ackout {
    const struct paho_api *api;
    MQTTAsync client;
    void (*on_idle)(void *);
    void (*on_fail)(void *, int, const char *);
    void *arg;
    pthread_mutex_t lock;
    /* under lock */
    struct ack_item ring[ACKOUT_QUEUE_MAX];
    size_t head, n;   /* the oldest, and how many are queued */
    size_t in_flight; /* handed to Paho, no onSuccess/onFailure yet */
    size_t window;    /* at most this many in flight */
    bool pumping;     /* a thread is handing acks to Paho */
    bool pump_again;  /* and must look once more when it is done */
    bool closed;      /* ackout_close: nothing more to Paho */
    long delivered, failed;
};

static void pump(struct ackout *q);

/* One ack done, either way: free its place in the window, send the next. */
static void
done(struct ackout *q, bool ok, int code, const char *message)
{
    bool idle, closed;

    pthread_mutex_lock(&q->lock);
    closed = q->closed;
    if (q->in_flight > 0)
        q->in_flight--;
    if (ok)
        q->delivered++;
    else
        q->failed++;
    pthread_mutex_unlock(&q->lock);
    metrics_ack_done(ok);
    if (!ok && !closed && q->on_fail != NULL)
        q->on_fail(q->arg, code, message);
    pump(q);
    pthread_mutex_lock(&q->lock);
    idle = q->in_flight == 0 && q->n == 0;
    pthread_mutex_unlock(&q->lock);
    if (idle && q->on_idle != NULL)
        q->on_idle(q->arg);
}

static void
on_success(void *ctx, MQTTAsync_successData5 *s)
{
    (void)s;
    done(ctx, true, MQTTASYNC_SUCCESS, NULL);
}

static void
on_failure(void *ctx, MQTTAsync_failureData5 *f)
{
    /* Not lost work: the device re-sends, and a duplicate's stored ack is
     * published again. */
    done(ctx, false, f->code, f->message);
}

/*
 * Hand the oldest acks to Paho while the window has room. One thread at a
 * time, so Paho gets them in queue order; a thread that finds another pumping
 * leaves it a note to look again.
 */
static void
pump(struct ackout *q)
{
    pthread_mutex_lock(&q->lock);
    if (q->pumping) {
        q->pump_again = true;
        pthread_mutex_unlock(&q->lock);
        return;
    }
    q->pumping = true;
    for (;;) {
        q->pump_again = false;
        while (!q->closed && q->n > 0 && q->in_flight < q->window) {
            struct ack_item it = q->ring[q->head];
            MQTTAsync_responseOptions opts = MQTTAsync_responseOptions_initializer;
            MQTTAsync_message m = MQTTAsync_message_initializer;
            int rc;

            q->head = (q->head + 1) % ACKOUT_QUEUE_MAX;
            q->n--;
            q->in_flight++;
            pthread_mutex_unlock(&q->lock);
            opts.onSuccess5 = on_success;
            opts.onFailure5 = on_failure;
            opts.context = q;
            m.payload = it.payload;
            m.payloadlen = it.len;
            m.qos = 1;
            m.retained = 0;
            /* Paho copies topic and payload. */
            rc = q->api->sendMessage(q->client, it.topic, &m, &opts);
            free(it.topic);
            free(it.payload);
            if (rc != MQTTASYNC_SUCCESS)
                metrics_ack_done(false);
            if (rc != MQTTASYNC_SUCCESS && q->on_fail != NULL)
                q->on_fail(q->arg, rc, NULL);
            pthread_mutex_lock(&q->lock);
            if (rc != MQTTASYNC_SUCCESS) {
                q->in_flight--;
                q->failed++;
            }
        }
        if (!q->pump_again)
            break;
    }
    q->pumping = false;
    pthread_mutex_unlock(&q->lock);
}

int
ackout_new(struct ackout **q, const struct paho_api *api, MQTTAsync client,
           void (*on_idle)(void *), void (*on_fail)(void *, int, const char *),
           void *arg)
{
    struct ackout *a = calloc(1, sizeof(*a));

    *q = NULL;
    if (a == NULL)
        return -ENOMEM;
    a->api = api;
    a->client = client;
    a->on_idle = on_idle;
    a->on_fail = on_fail;
    a->arg = arg;
    a->window = ACKOUT_WINDOW_DEFAULT;
    pthread_mutex_init(&a->lock, NULL);
    *q = a;
    return 0;
}

void
ackout_free(struct ackout *q)
{
    if (q == NULL)
        return;
    for (size_t i = 0; i < q->n; i++) {
        struct ack_item *it = &q->ring[(q->head + i) % ACKOUT_QUEUE_MAX];
        free(it->topic);
        free(it->payload);
    }
    pthread_mutex_destroy(&q->lock);
    free(q);
}

int
ackout_push(struct ackout *q, const char *topic, const char *payload, size_t len)
{
    struct ack_item it = {0};

    if (len > INT_MAX)
        return -EINVAL;
    it.topic = strdup(topic);
    it.payload = malloc(len > 0 ? len : 1);
    if (it.topic == NULL || it.payload == NULL) {
        free(it.topic);
        free(it.payload);
        return -ENOMEM;
    }
    memcpy(it.payload, payload, len);
    it.len = (int)len;
    pthread_mutex_lock(&q->lock);
    if (q->closed || q->n == ACKOUT_QUEUE_MAX) {
        int r = q->closed ? -ESHUTDOWN : -ENOBUFS;

        pthread_mutex_unlock(&q->lock);
        free(it.topic);
        free(it.payload);
        return r;
    }
    q->ring[(q->head + q->n) % ACKOUT_QUEUE_MAX] = it;
    q->n++;
    pthread_mutex_unlock(&q->lock);
    metrics_ack_queued();
    pump(q);
    return 0;
}

void
ackout_window(struct ackout *q, int receive_max)
{
    size_t w = receive_max > 0 ? (size_t)receive_max : 65535;

    pthread_mutex_lock(&q->lock);
    q->window = w > ACKOUT_WINDOW_MAX ? ACKOUT_WINDOW_MAX : w;
    pthread_mutex_unlock(&q->lock);
    pump(q);
}

void
ackout_close(struct ackout *q)
{
    /* A pump on another thread stops before its next ack; one inside
     * MQTTAsync_sendMessage now finishes that call first. */
    pthread_mutex_lock(&q->lock);
    q->closed = true;
    pthread_mutex_unlock(&q->lock);
}

size_t
ackout_pending(struct ackout *q)
{
    size_t n;

    pthread_mutex_lock(&q->lock);
    n = q->n + q->in_flight;
    pthread_mutex_unlock(&q->lock);
    return n;
}

void
ackout_counts(struct ackout *q, long *delivered, long *failed)
{
    pthread_mutex_lock(&q->lock);
    *delivered = q->delivered;
    *failed = q->failed;
    pthread_mutex_unlock(&q->lock);
}
