/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The load generator of the retailer's load test (run-load.py): many simulated
 * devices that sign reorders and publish them to a broker, as agents do.
 *
 *   load-retailer keys DIR N
 *       writes the trust store of N devices, DIR/load-NNNNN.jwk; each device's
 *       key comes from its number, so every run makes the same keys.
 *   load-retailer run --url URL --devices N [--orders K] [--publishers P]
 *       [--window W] [--prefix PREFIX] [--resend S] [--timeout S] [--rate R]
 *       signs K reorders per device (sequence 1..K), measures the bare Ed25519
 *       verify rate of those tokens on one core, then publishes them at QoS 1
 *       (all at once, or R a second at most) and waits for every order's ack
 *       on PREFIX/+/ack.
 *
 * Like an agent, a device has at most one order in flight: its next order is
 * published only when the previous one was answered, so a share group of
 * listeners sees each device's sequence numbers in order. An order unanswered
 * for S seconds (--resend, default 20) is published again, byte for byte, as an
 * agent re-sends after a reconnect: a listener killed with the order in hand
 * loses it from the broker, and the re-send is what brings it back.
 *
 * Each of the P publisher connections keeps at most W messages in flight (the
 * broker's receive maximum, mosquitto's default 20) and hands Paho the next one
 * from the success callback of the last: Paho sends a message queued past the
 * broker's window only when its send loop next wakes, about once a second.
 *
 * Prints one JSON object on stdout: orders, answers by status, re-sends, the
 * time from the first publish to the last answer, orders answered per second,
 * latency from the (last) publish to the answer (p50, p90, p99, max, in ms),
 * the signing and bare verify rates. Exit 0 when every order was answered, 1
 * when the timeout came first, 2 for bad usage.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <MQTTAsync.h>
#include <cjson/cJSON.h>
#include <sodium.h>

#include "agent/msg/jws.h"
#include "agent/msg/keys.h"
#include "agent/msg/message.h"

#define MAX_DEVICES 100000
#define MAX_ORDERS 100
#define MAX_PUBLISHERS 16

enum { ST_WAIT, ST_READY, ST_FLIGHT, ST_DONE };

struct order {
    char *token;
    double sent;   /* monotonic time of the last publish */
    double answer; /* latency, seconds */
    int state;
    int resends;
    char status[16];
};

struct publisher {
    MQTTAsync client;
    int inflight;
};

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    struct order *o; /* devices x orders, device-major */
    long devices, orders, done;
    long *ready; /* a ring of order indices ready to publish */
    long ready_head, ready_len;
    struct publisher pub[MAX_PUBLISHERS];
    int publishers, window;
    const char *prefix;
    long by_status[4]; /* accepted, rejected, other, unparsable */
    long resends, lost_publishes;
    double first, last;
    double rate, t0; /* --rate: publishes a second at most since t0; 0: no limit */
    long published;
} L = {.lock = PTHREAD_MUTEX_INITIALIZER, .done_cv = PTHREAD_COND_INITIALIZER};

static double
now_mono(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
device_keys(long d, struct keys *k)
{
    uint8_t seed[crypto_sign_SEEDBYTES] = {0};

    memcpy(seed, "pantry-load", 11);
    for (int i = 0; i < 8; i++)
        seed[16 + i] = (uint8_t)((uint64_t)d >> (8 * i));
    crypto_sign_seed_keypair(k->pk, k->sk, seed);
}

static int
cmd_keys(const char *dir, long n)
{
    char path[4096], jwk[KEYS_JWK_PUBLISHED_MAX];
    struct keys k;

    if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
        fprintf(stderr, "load-retailer: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    for (long d = 0; d < n; d++) {
        FILE *f;

        device_keys(d, &k);
        keys_jwk_published(k.pk, jwk);
        snprintf(path, sizeof(path), "%s/load-%05ld.jwk", dir, d);
        if ((f = fopen(path, "w")) == NULL || fprintf(f, "%s\n", jwk) < 0 ||
            fclose(f) != 0) {
            fprintf(stderr, "load-retailer: %s: %s\n", path, strerror(errno));
            return 1;
        }
    }
    return 0;
}

static char *
sign_order(const struct keys *k, long d, long j, int64_t iat)
{
    char oid[64], dev[32], *payload = NULL, *tok = NULL;
    struct message_reorder m = {
        .order_id = oid,
        .device_id = dev,
        .seq = j + 1,
        .iat_s = iat,
        .item_id = "rice",
        .item_name = "Basmati rice",
        .sku = "R-1",
        .gtin = "4006381333931",
        .packs = 1,
        .pack_mg = 500000,
        .price_cents = 349,
        .currency = "EUR",
        .reason = "predicted",
        .stock_mg = 120500,
        .rate_ugpd = 80250000,
        .runout_s = iat + 86400,
        .runout_lo_s = iat + 43200,
        .runout_hi_s = iat + 2 * 86400,
        .service_bp = 9500,
    };

    snprintf(dev, sizeof(dev), "load-%05ld", d);
    snprintf(oid, sizeof(oid), "rice-20261001T120000Z-%08lx",
             (unsigned long)(d * MAX_ORDERS + j));
    if (message_reorder_json(&m, &payload) < 0 ||
        jws_sign(k, MESSAGE_TYP_REORDER, payload, strlen(payload), &tok) < 0) {
        fprintf(stderr, "load-retailer: cannot sign order %s\n", oid);
        exit(1);
    }
    free(payload);
    return tok;
}

/* The bare check of every token's signature on one core, verifies a second. */
static double
raw_verify_rate(const uint8_t (*pk)[KEYS_PK_BYTES])
{
    long n = L.devices * L.orders;
    uint8_t(*sig)[crypto_sign_BYTES] = calloc((size_t)n, sizeof(*sig));
    size_t *len = calloc((size_t)n, sizeof(*len));
    cpu_set_t one, all;
    double t0;
    long bad = 0;

    if (sig == NULL || len == NULL)
        exit(1);
    for (long i = 0; i < n; i++) {
        const char *t = L.o[i].token, *dot = strrchr(t, '.');
        size_t got = 0;

        len[i] = (size_t)(dot - t);
        if (sodium_base642bin(sig[i], sizeof(sig[i]), dot + 1, strlen(dot + 1), NULL,
                              &got, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) < 0)
            exit(1);
    }
    sched_getaffinity(0, sizeof(all), &all);
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    sched_setaffinity(0, sizeof(one), &one);
    t0 = now_mono();
    for (long i = 0; i < n; i++)
        bad += crypto_sign_verify_detached(sig[i], (const uint8_t *)L.o[i].token,
                                           len[i], pk[i / L.orders]) != 0;
    t0 = now_mono() - t0;
    sched_setaffinity(0, sizeof(all), &all);
    free(sig);
    free(len);
    if (bad)
        exit(1);
    return (double)n / t0;
}

static void pump(struct publisher *p);

static void
on_sent(void *ctx, MQTTAsync_successData *r)
{
    struct publisher *p = ctx;

    (void)r;
    pthread_mutex_lock(&L.lock);
    p->inflight--;
    pthread_mutex_unlock(&L.lock);
    pump(p);
}

static void
on_send_failed(void *ctx, MQTTAsync_failureData *r)
{
    struct publisher *p = ctx;

    (void)r;
    pthread_mutex_lock(&L.lock);
    p->inflight--;
    L.lost_publishes++; /* the re-send timer publishes it again */
    pthread_mutex_unlock(&L.lock);
    pump(p);
}

/* With L.lock held: order i is ready to publish. */
static void
make_ready(long i)
{
    long n = L.devices * L.orders;

    L.o[i].state = ST_READY;
    L.ready[(L.ready_head + L.ready_len) % n] = i;
    L.ready_len++;
}

/*
 * Publish ready orders while p's window has room. Called without L.lock:
 * Paho holds its own lock while it runs our callbacks, which take L.lock, so
 * a thread holding L.lock must never wait for Paho's (MQTTAsync_sendMessage).
 */
static void
pump(struct publisher *p)
{
    long n = L.devices * L.orders;

    for (;;) {
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
        MQTTAsync_message msg = MQTTAsync_message_initializer;
        char topic[128];
        long i = -1;

        pthread_mutex_lock(&L.lock);
        while (i < 0 && p->inflight < L.window && L.ready_len > 0 &&
               (L.rate == 0 || (double)L.published < (now_mono() - L.t0) * L.rate)) {
            long j = L.ready[L.ready_head];

            L.ready_head = (L.ready_head + 1) % n;
            L.ready_len--;
            if (L.o[j].state == ST_READY)
                i = j;
        }
        L.published += i >= 0;
        if (i >= 0) {
            L.o[i].state = ST_FLIGHT;
            L.o[i].sent = now_mono();
            if (L.first == 0)
                L.first = L.o[i].sent;
            p->inflight++;
        }
        pthread_mutex_unlock(&L.lock);
        if (i < 0)
            return;
        snprintf(topic, sizeof(topic), "%s/load-%05ld/reorder", L.prefix, i / L.orders);
        msg.payload = L.o[i].token; /* never changes */
        msg.payloadlen = (int)strlen(L.o[i].token);
        msg.qos = 1;
        ro.onSuccess = on_sent;
        ro.onFailure = on_send_failed;
        ro.context = p;
        if (MQTTAsync_sendMessage(p->client, topic, &msg, &ro) != MQTTASYNC_SUCCESS) {
            pthread_mutex_lock(&L.lock);
            p->inflight--;
            L.lost_publishes++; /* still in flight: the re-send timer takes it */
            pthread_mutex_unlock(&L.lock);
        }
    }
}

static void
pump_all(void)
{
    for (int k = 0; k < L.publishers; k++)
        pump(&L.pub[k]);
}

/* The payload of an ack, signed (JWS) or plain, as JSON; NULL if unreadable. */
static cJSON *
ack_json(const char *p, int len)
{
    const char *d1 = memchr(p, '.', (size_t)len), *d2;
    uint8_t buf[4096];
    size_t got = 0;

    if (len > 0 && p[0] == '{')
        return cJSON_ParseWithLength(p, (size_t)len);
    if (d1 == NULL || (d2 = memchr(d1 + 1, '.', (size_t)(p + len - d1 - 1))) == NULL ||
        sodium_base642bin(buf, sizeof(buf) - 1, d1 + 1, (size_t)(d2 - d1 - 1), NULL,
                          &got, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) < 0)
        return NULL;
    return cJSON_ParseWithLength((const char *)buf, got);
}

static int
on_ack(void *ctx, char *topic, int tlen, MQTTAsync_message *m)
{
    cJSON *j = ack_json(m->payload, m->payloadlen);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(j, "order_id");
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(j, "status");
    unsigned long v;
    long d = -1, k = -1;
    char tail;

    (void)ctx;
    (void)tlen;
    pthread_mutex_lock(&L.lock);
    if (!cJSON_IsString(id) || !cJSON_IsString(st) ||
        sscanf(id->valuestring, "rice-20261001T120000Z-%8lx%c", &v, &tail) != 1 ||
        (d = (long)(v / MAX_ORDERS)) >= L.devices ||
        (k = (long)(v % MAX_ORDERS)) >= L.orders) {
        L.by_status[3]++;
    } else if (strcmp(st->valuestring, "shipped") != 0) {
        struct order *o = &L.o[d * L.orders + k];

        if (o->state != ST_DONE) {
            double t = now_mono();

            o->state = ST_DONE;
            o->answer = t - o->sent;
            snprintf(o->status, sizeof(o->status), "%s", st->valuestring);
            L.by_status[strcmp(o->status, "accepted") == 0   ? 0
                        : strcmp(o->status, "rejected") == 0 ? 1
                                                             : 2]++;
            L.done++;
            L.last = t;
            if (k + 1 < L.orders)
                make_ready(d * L.orders + k + 1);
            if (L.done == L.devices * L.orders)
                pthread_cond_signal(&L.done_cv);
        }
    }
    pthread_mutex_unlock(&L.lock);
    pump_all();
    cJSON_Delete(j);
    MQTTAsync_freeMessage(&m);
    MQTTAsync_free(topic);
    return 1;
}

static void
connect_client(MQTTAsync *c, const char *url, const char *id, int subscribe)
{
    MQTTAsync_connectOptions co = MQTTAsync_connectOptions_initializer;
    MQTTAsync_createOptions cr = MQTTAsync_createOptions_initializer;
    int rc;

    cr.maxBufferedMessages = (int)(L.devices * L.orders);
    if (MQTTAsync_createWithOptions(c, url, id, MQTTCLIENT_PERSISTENCE_NONE, NULL,
                                    &cr) != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "load-retailer: cannot create a client for %s\n", url);
        exit(1);
    }
    if (subscribe)
        MQTTAsync_setCallbacks(*c, NULL, NULL, on_ack, NULL);
    co.keepAliveInterval = 30;
    co.cleansession = 1;
    co.automaticReconnect = 1;
    if ((rc = MQTTAsync_connect(*c, &co)) != MQTTASYNC_SUCCESS) {
        fprintf(stderr, "load-retailer: connect: %d\n", rc);
        exit(1);
    }
    for (int i = 0; i < 1000 && !MQTTAsync_isConnected(*c); i++)
        usleep(10000);
    if (!MQTTAsync_isConnected(*c)) {
        fprintf(stderr, "load-retailer: no connection to %s\n", url);
        exit(1);
    }
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static long
arg_long(const char *name, const char *v, long lo, long hi)
{
    char *end;
    long x;

    errno = 0;
    x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < lo || x > hi) {
        fprintf(stderr, "load-retailer: %s must be %ld..%ld, not \"%s\"\n", name, lo,
                hi, v);
        exit(2);
    }
    return x;
}

static int
cmd_run(int argc, char **argv)
{
    const char *url = NULL;
    long resend = 20, timeout = 600;
    uint8_t(*pk)[KEYS_PK_BYTES];
    char topic[128], id[64];
    MQTTAsync sub;
    double t_sign, sign_rate, verify_rate, *lat, deadline, next_check;
    long n, done;
    int64_t iat;

    L.orders = 1;
    L.publishers = 4;
    L.window = 20;
    L.prefix = "pantry/v1";
    for (int i = 0; i + 1 < argc; i += 2) {
        const char *o = argv[i], *v = argv[i + 1];

        if (strcmp(o, "--url") == 0)
            url = v;
        else if (strcmp(o, "--devices") == 0)
            L.devices = arg_long(o, v, 1, MAX_DEVICES);
        else if (strcmp(o, "--orders") == 0)
            L.orders = arg_long(o, v, 1, MAX_ORDERS);
        else if (strcmp(o, "--publishers") == 0)
            L.publishers = (int)arg_long(o, v, 1, MAX_PUBLISHERS);
        else if (strcmp(o, "--window") == 0)
            L.window = (int)arg_long(o, v, 1, 65535);
        else if (strcmp(o, "--prefix") == 0)
            L.prefix = v;
        else if (strcmp(o, "--resend") == 0)
            resend = arg_long(o, v, 1, 3600);
        else if (strcmp(o, "--timeout") == 0)
            timeout = arg_long(o, v, 1, 86400);
        else if (strcmp(o, "--rate") == 0)
            L.rate = (double)arg_long(o, v, 1, 1000000);
        else {
            fprintf(stderr, "load-retailer: unknown option %s\n", o);
            return 2;
        }
    }
    if (url == NULL || L.devices == 0 || argc % 2 != 0 || strlen(L.prefix) > 64) {
        fprintf(stderr, "load-retailer run: --url and --devices are needed\n");
        return 2;
    }
    n = L.devices * L.orders;
    L.o = calloc((size_t)n, sizeof(*L.o));
    L.ready = calloc((size_t)n, sizeof(*L.ready));
    pk = calloc((size_t)L.devices, sizeof(*pk));
    lat = calloc((size_t)n, sizeof(*lat));
    if (L.o == NULL || L.ready == NULL || pk == NULL || lat == NULL)
        return 1;

    /* Sign everything first: the agents signed long before they published. */
    iat = (int64_t)time(NULL);
    t_sign = now_mono();
    for (long d = 0; d < L.devices; d++) {
        struct keys k;

        device_keys(d, &k);
        memcpy(pk[d], k.pk, sizeof(k.pk));
        for (long j = 0; j < L.orders; j++)
            L.o[d * L.orders + j].token = sign_order(&k, d, j, iat);
        sodium_memzero(&k, sizeof(k));
    }
    sign_rate = (double)n / (now_mono() - t_sign);
    verify_rate = raw_verify_rate((const uint8_t(*)[KEYS_PK_BYTES])pk);

    snprintf(id, sizeof(id), "load-sub-%d", (int)getpid());
    connect_client(&sub, url, id, 1);
    snprintf(topic, sizeof(topic), "%s/+/ack", L.prefix);
    {
        MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;

        if (MQTTAsync_subscribe(sub, topic, 1, &ro) != MQTTASYNC_SUCCESS)
            return 1;
        usleep(300000); /* the SUBACK: Paho has no wait for it here */
    }
    for (int k = 0; k < L.publishers; k++) {
        snprintf(id, sizeof(id), "load-pub-%d-%d", (int)getpid(), k);
        connect_client(&L.pub[k].client, url, id, 0);
    }
    fprintf(stderr, "load-retailer: %ld orders of %ld devices signed; publishing\n", n,
            L.devices);

    pthread_mutex_lock(&L.lock);
    for (long d = 0; d < L.devices; d++)
        make_ready(d * L.orders);
    L.t0 = now_mono();
    pthread_mutex_unlock(&L.lock);
    pump_all();
    pthread_mutex_lock(&L.lock);
    deadline = now_mono() + (double)timeout;
    next_check = now_mono() + 1;
    while (L.done < n && now_mono() < deadline) {
        struct timespec ts;
        double t;

        clock_gettime(CLOCK_REALTIME, &ts);
        if (L.rate > 0) { /* the pace is kept from here: wake every 5 ms */
            ts.tv_nsec += 5000000;
            if (ts.tv_nsec >= 1000000000) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000;
            }
        } else {
            ts.tv_sec += 1;
        }
        pthread_cond_timedwait(&L.done_cv, &L.lock, &ts);
        t = now_mono();
        if (t < next_check) {
            if (L.rate > 0) {
                pthread_mutex_unlock(&L.lock);
                pump_all();
                pthread_mutex_lock(&L.lock);
            }
            continue;
        }
        next_check = t + 1;
        /* Re-send what waited too long for its answer, as an agent does. */
        for (long i = 0; i < n; i++)
            if (L.o[i].state == ST_FLIGHT && t - L.o[i].sent > (double)resend) {
                L.o[i].resends++;
                L.resends++;
                make_ready(i);
            }
        pthread_mutex_unlock(&L.lock);
        pump_all();
        pthread_mutex_lock(&L.lock);
    }
    done = L.done;
    pthread_mutex_unlock(&L.lock);

    for (int k = 0; k < L.publishers; k++) {
        MQTTAsync_disconnect(L.pub[k].client, NULL);
    }
    MQTTAsync_disconnect(sub, NULL);
    usleep(200000);

    {
        long m = 0;
        double span = L.last > L.first ? L.last - L.first : 0;

        for (long i = 0; i < n; i++)
            if (L.o[i].state == ST_DONE)
                lat[m++] = L.o[i].answer * 1000.0;
        qsort(lat, (size_t)m, sizeof(*lat), cmp_double);
#define PCT(p) (m ? lat[(long)((double)(m - 1) * (p))] : 0.0)
        printf(
            "{\"devices\": %ld, \"orders\": %ld, \"answered\": %ld, \"accepted\": %ld, "
            "\"rejected\": %ld, \"other\": %ld, \"unreadable_acks\": %ld, "
            "\"resends\": %ld, \"failed_publishes\": %ld, \"span_s\": %.3f, "
            "\"answered_per_s\": %.1f, \"p50_ms\": %.1f, \"p90_ms\": %.1f, "
            "\"p99_ms\": %.1f, \"max_ms\": %.1f, \"sign_per_s\": %.0f, "
            "\"raw_verify_per_s_one_core\": %.0f}\n",
            L.devices, n, done, L.by_status[0], L.by_status[1], L.by_status[2],
            L.by_status[3], L.resends, L.lost_publishes, span,
            span > 0 ? (double)done / span : 0.0, PCT(0.50), PCT(0.90), PCT(0.99),
            m ? lat[m - 1] : 0.0, sign_rate, verify_rate);
#undef PCT
    }
    fflush(stdout); /* before a sanitizer's report may _exit */
    for (int k = 0; k < L.publishers; k++)
        MQTTAsync_destroy(&L.pub[k].client);
    MQTTAsync_destroy(&sub);
    for (long i = 0; i < n; i++)
        free(L.o[i].token);
    free(L.o);
    free(L.ready);
    free(pk);
    free(lat);
    return done == n ? 0 : 1;
}

int
main(int argc, char **argv)
{
    if (sodium_init() < 0)
        return 1;
    if (argc == 4 && strcmp(argv[1], "keys") == 0)
        return cmd_keys(argv[2], arg_long("N", argv[3], 1, MAX_DEVICES));
    if (argc >= 2 && strcmp(argv[1], "run") == 0)
        return cmd_run(argc - 2, argv + 2);
    fprintf(stderr, "usage: load-retailer keys DIR N\n"
                    "       load-retailer run --url URL --devices N [--orders K] "
                    "[--publishers P] [--window W] [--prefix PREFIX] [--resend S] "
                    "[--timeout S] [--rate R]\n");
    return 2;
}
