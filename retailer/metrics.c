/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's metrics (see metrics.h): relaxed C11 atomics written by the
 * Paho callback thread and read by the HTTP thread, and the exposition text
 * built from them on each scrape. Durations are kept in whole nanoseconds so
 * that every value is an integer atomic (no atomic double, no lock).
 */
#include "retailer/metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NS_PER_S 1000000000.0
#define MAX_SECONDS 1e6

/* The bucket bounds of every histogram, in seconds, as printed in `le`: from a
 * tenth of a millisecond (a verify is ~0.1 ms) to 10 s (a busy database). */
static const char *const bucket_le[] = {
    "0.0001", "0.00025", "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025",
    "0.05",   "0.1",     "0.25",   "0.5",   "1",      "2.5",   "5",    "10",
};
static const double bucket_s[] = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10,
};
#define BUCKETS (sizeof(bucket_s) / sizeof(bucket_s[0]))
_Static_assert(sizeof(bucket_le) / sizeof(bucket_le[0]) == BUCKETS,
               "one printed bound per bucket");

struct histogram {
    const char *name, *help;
    atomic_ullong bucket[BUCKETS + 1]; /* not cumulative; the last is +Inf */
    atomic_ullong sum_ns;
};

enum db_kind { DB_BUSY, DB_IO, DB_OTHER, DB_KINDS };
static const char *const db_kind_str[DB_KINDS] = {"busy", "io", "other"};

static struct {
    char version[64];
    atomic_llong start_ms;
    atomic_ullong messages[METRICS_VERDICT_COUNT][CHECK_REASON_COUNT];
    struct histogram verify, judge, handoff;
    atomic_long queue_depth;
    atomic_ullong acks_queued, acks_published, acks_failed;
    atomic_ullong db_errors[DB_KINDS];
    atomic_int db_last_error; /* -1: the last transaction succeeded */
    atomic_int broker_up;
    atomic_ullong connects;
} m = {
    .version = "unknown",
    .verify = {.name = "pantry_retailer_verify_seconds",
               .help = "Time to verify one token (check_token: key, signature, "
                       "payload)."},
    .judge = {.name = "pantry_retailer_judge_seconds",
              .help = "Time of the database transaction that judges and records "
                      "one message."},
    .handoff = {.name = "pantry_retailer_handoff_seconds",
                .help = "Time to hand one accepted order off to the order system."},
    .db_last_error = -1,
};

#define RELAXED memory_order_relaxed

const char *
metrics_verdict_to_str(enum metrics_verdict v)
{
    switch (v) {
    case METRICS_ACCEPTED:
        return "accepted";
    case METRICS_DUPLICATE:
        return "duplicate";
    case METRICS_REJECTED:
        return "rejected";
    case METRICS_DROPPED:
        return "dropped";
    }
    return "?";
}

void
metrics_init(const char *version, long long wall_ms)
{
    snprintf(m.version, sizeof(m.version), "%s", version != NULL ? version : "");
    atomic_store_explicit(&m.start_ms, wall_ms, RELAXED);
}

void
metrics_message(enum metrics_verdict v, enum check_reason reason)
{
    if ((unsigned)v >= METRICS_VERDICT_COUNT)
        return;
    if ((unsigned)reason >= CHECK_REASON_COUNT)
        reason = CHECK_MALFORMED;
    atomic_fetch_add_explicit(&m.messages[v][reason], 1, RELAXED);
}

void
metrics_judged(enum ledger_verdict v, const struct check_result *res)
{
    if (v == LEDGER_ACCEPTED)
        metrics_message(METRICS_ACCEPTED, CHECK_OK);
    else if (v == LEDGER_DUPLICATE)
        metrics_message(METRICS_DUPLICATE, CHECK_OK);
    else
        metrics_message(METRICS_REJECTED, res->reason);
}

static void
observe(struct histogram *h, double seconds)
{
    size_t i = 0;

    if (!(seconds > 0)) /* negative, or NaN */
        seconds = 0;
    if (seconds > MAX_SECONDS)
        seconds = MAX_SECONDS;
    while (i < BUCKETS && seconds > bucket_s[i])
        i++;
    atomic_fetch_add_explicit(&h->sum_ns, (unsigned long long)(seconds * NS_PER_S),
                              RELAXED);
    atomic_fetch_add_explicit(&h->bucket[i], 1, RELAXED);
}

void
metrics_verify(double seconds)
{
    observe(&m.verify, seconds);
}

void
metrics_judge(double seconds)
{
    observe(&m.judge, seconds);
}

void
metrics_handoff(double seconds)
{
    observe(&m.handoff, seconds);
}

void
metrics_queue_depth(long depth)
{
    atomic_store_explicit(&m.queue_depth, depth < 0 ? 0 : depth, RELAXED);
}

void
metrics_ack_queued(void)
{
    atomic_fetch_add_explicit(&m.acks_queued, 1, RELAXED);
}

void
metrics_ack_done(bool ok)
{
    atomic_fetch_add_explicit(ok ? &m.acks_published : &m.acks_failed, 1, RELAXED);
}

void
metrics_db_error(int err)
{
    enum db_kind k = err == -EBUSY ? DB_BUSY : err == -EIO ? DB_IO : DB_OTHER;

    atomic_fetch_add_explicit(&m.db_errors[k], 1, RELAXED);
    atomic_store_explicit(&m.db_last_error, (int)k, RELAXED);
}

void
metrics_db_ok(void)
{
    atomic_store_explicit(&m.db_last_error, -1, RELAXED);
}

void
metrics_broker(bool up)
{
    atomic_store_explicit(&m.broker_up, up ? 1 : 0, RELAXED);
    if (up)
        atomic_fetch_add_explicit(&m.connects, 1, RELAXED);
}

int
metrics_healthy(char *why, size_t whylen)
{
    int db = atomic_load_explicit(&m.db_last_error, RELAXED);

    if (!atomic_load_explicit(&m.broker_up, RELAXED)) {
        snprintf(why, whylen, "broker: not connected%s",
                 atomic_load_explicit(&m.connects, RELAXED) == 0 ? " yet" : "");
        return 0;
    }
    if (db >= 0 && db < DB_KINDS) {
        snprintf(why, whylen, "database: the last transaction failed (%s)",
                 db_kind_str[db]);
        return 0;
    }
    snprintf(why, whylen, "ok");
    return 1;
}

int
metrics_escape(const char *value, char *out, size_t outlen)
{
    size_t o = 0;

    for (const char *p = value; *p != '\0'; p++) {
        const char *rep = *p == '\\'   ? "\\\\"
                          : *p == '"'  ? "\\\""
                          : *p == '\n' ? "\\n"
                                       : NULL;
        size_t n = rep != NULL ? 2 : 1;

        if (o + n >= outlen) {
            if (outlen > 0)
                out[0] = '\0';
            return -ENOSPC;
        }
        if (rep != NULL)
            memcpy(out + o, rep, 2);
        else
            out[o] = *p;
        o += n;
    }
    if (outlen == 0)
        return -ENOSPC;
    out[o] = '\0';
    return 0;
}

/* A growing text; after a failed append only err is set. */
struct text {
    char *s;
    size_t len, cap;
    int err;
};

static void put(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct text *t, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (t->err)
        return;
    for (;;) {
        va_start(ap, fmt);
        n = vsnprintf(t->s + t->len, t->cap - t->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->err = -EINVAL;
            return;
        }
        if ((size_t)n < t->cap - t->len) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = t->cap * 2 + (size_t)n + 1;
        char *s = realloc(t->s, cap);
        if (s == NULL) {
            t->err = -ENOMEM;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

static void
head(struct text *t, const char *name, const char *type, const char *help)
{
    put(t, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static unsigned long long
get(atomic_ullong *a)
{
    return atomic_load_explicit(a, RELAXED);
}

static void
put_histogram(struct text *t, struct histogram *h)
{
    unsigned long long cum = 0, sum_ns = get(&h->sum_ns);

    head(t, h->name, "histogram", h->help);
    for (size_t i = 0; i <= BUCKETS; i++) {
        cum += get(&h->bucket[i]);
        put(t, "%s_bucket{le=\"%s\"} %llu\n", h->name,
            i < BUCKETS ? bucket_le[i] : "+Inf", cum);
    }
    put(t, "%s_sum %llu.%09llu\n%s_count %llu\n", h->name, sum_ns / 1000000000ULL,
        sum_ns % 1000000000ULL, h->name, cum);
}

/* Which (verdict, reason) pairs exist: accepted and duplicate only with "ok";
 * rejected and dropped with every reason but "ok". */
static bool
pair_exists(int v, int reason)
{
    bool ok = reason == CHECK_OK;

    return v == METRICS_ACCEPTED || v == METRICS_DUPLICATE ? ok : !ok;
}

int
metrics_render(char **text, size_t *len)
{
    struct text t = {.cap = 8192};
    char version[2 * sizeof(m.version)];
    long long start_ms = atomic_load_explicit(&m.start_ms, RELAXED);
    unsigned long long queued = get(&m.acks_queued), published = get(&m.acks_published),
                       failed = get(&m.acks_failed), connects = get(&m.connects);

    if ((t.s = malloc(t.cap)) == NULL)
        return -ENOMEM;
    t.s[0] = '\0';
    head(&t, "pantry_retailer_messages_total", "counter",
         "Messages judged, by verdict and reason (the stable codes of the man page).");
    for (int v = 0; v < METRICS_VERDICT_COUNT; v++)
        for (int r = 0; r < CHECK_REASON_COUNT; r++)
            if (pair_exists(v, r))
                put(&t,
                    "pantry_retailer_messages_total{verdict=\"%s\",reason=\"%s\"} "
                    "%llu\n",
                    metrics_verdict_to_str((enum metrics_verdict)v),
                    check_reason_to_str((enum check_reason)r), get(&m.messages[v][r]));
    put_histogram(&t, &m.verify);
    put_histogram(&t, &m.judge);
    put_histogram(&t, &m.handoff);
    head(&t, "pantry_retailer_handoff_queue_depth", "gauge",
         "Accepted orders waiting for their hand-off.");
    put(&t, "pantry_retailer_handoff_queue_depth %ld\n",
        atomic_load_explicit(&m.queue_depth, RELAXED));
    head(&t, "pantry_retailer_acks_published_total", "counter",
         "Acks the broker took (PUBACK).");
    put(&t, "pantry_retailer_acks_published_total %llu\n", published);
    head(&t, "pantry_retailer_acks_failed_total", "counter",
         "Acks the broker did not take.");
    put(&t, "pantry_retailer_acks_failed_total %llu\n", failed);
    head(&t, "pantry_retailer_acks_pending", "gauge",
         "Acks queued for the broker and not answered yet.");
    /* Read in this order, published + failed may pass queued by a moment. */
    put(&t, "pantry_retailer_acks_pending %llu\n",
        queued > published + failed ? queued - published - failed : 0);
    head(&t, "pantry_retailer_db_errors_total", "counter",
         "Failed database transactions, by kind.");
    for (int k = 0; k < DB_KINDS; k++)
        put(&t, "pantry_retailer_db_errors_total{kind=\"%s\"} %llu\n", db_kind_str[k],
            get(&m.db_errors[k]));
    head(&t, "pantry_retailer_broker_connected", "gauge",
         "1 while connected to the broker, else 0.");
    put(&t, "pantry_retailer_broker_connected %d\n",
        atomic_load_explicit(&m.broker_up, RELAXED));
    head(&t, "pantry_retailer_broker_reconnects_total", "counter",
         "Connections to the broker after the first.");
    put(&t, "pantry_retailer_broker_reconnects_total %llu\n",
        connects > 0 ? connects - 1 : 0);
    head(&t, "pantry_retailer_start_time_seconds", "gauge",
         "When the listener started, in seconds since 1970-01-01 UTC.");
    put(&t, "pantry_retailer_start_time_seconds %lld.%03lld\n", start_ms / 1000,
        start_ms % 1000);
    head(&t, "pantry_retailer_build_info", "gauge",
         "The version of pantry-retailer, in its label; always 1.");
    metrics_escape(m.version, version, sizeof(version));
    put(&t, "pantry_retailer_build_info{version=\"%s\"} 1\n", version);
    if (t.err) {
        free(t.s);
        return t.err;
    }
    *text = t.s;
    *len = t.len;
    return 0;
}
