/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Trace storage, the seeded scenario generator and the trace text format (see
 * tracegen.h). The generator first draws the household's demand (doses at times
 * of day) for every day of the scenario, then plays the open-loop household that
 * takes doses from the shelf and puts a new pack on it the moment the old one is
 * empty, splitting the dose that empties a pack into "the rest of the old pack"
 * and "the remainder from the new one". The parameters below are the ones
 * tests/eval/README.md documents; change both together.
 */
#include "tests/eval/tracegen.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "sensors/text.h"

#define DAY_S INT64_C(86400)
#define HOUR_S INT64_C(3600)

/* Everyday use (steady and the base of most scenarios): grams per dose. */
#define BASE_USES_N 6 /* uses per day ~ Binomial(6, 0.5): mean 3 */
#define BASE_USES_P 0.5
#define BASE_DOSE_G 12.0
#define BASE_DOSE_SD_G 2.4
#define BASE_DOSE_MIN_G 6.0
#define BASE_DOSE_MAX_G 18.0
#define BASE_PACK_MG INT64_C(500000)

/* Laundry: Saturdays (sometimes Sunday), 1 + Binomial(3, 0.5) loads. */
#define LAUNDRY_POSTPONE_P 0.2
#define LAUNDRY_DOSE_G 70.0
#define LAUNDRY_DOSE_SD_G 5.0
#define LAUNDRY_DOSE_MIN_G 55.0
#define LAUNDRY_DOSE_MAX_G 85.0
#define LAUNDRY_PACK_MG INT64_C(1000000)

/* Holiday: no use on days [61, 75), Saturday 2 to Friday 15 March 2024. */
#define HOLIDAY_FIRST_DAY 61
#define HOLIDAY_DAYS 14

/* Guests: days [40, 47), Saturday 10 to Friday 16 February, Binomial(15, 0.5). */
#define GUESTS_FIRST_DAY 40
#define GUESTS_DAYS 7
#define GUESTS_USES_N 15

/* Growing: Binomial(12, 0.25 * (1 + d / 180)), the mean doubling every 180 days. */
#define GROWING_USES_N 12
#define GROWING_DOUBLING_DAYS 180.0

/* Pack: the shop sells 200 g packs from day 60 (1 March) on. */
#define PACK_CHANGE_DAY 60
#define PACK_SMALL_MG INT64_C(200000)

#define MIN_DAYS 30
#define MIN_DAYS_EVENTS 90
#define MAX_DAYS 3660

struct dose {
    int64_t t_s;
    int64_t mg;
    size_t order; /* draw order, to keep the sort stable */
};

struct doses {
    struct dose *d;
    size_t n;
    size_t cap;
};

static const char *const scenario_names[TG_SCENARIO_COUNT] = {
    "steady", "laundry", "holiday", "guests", "growing", "pack",
};

static const char *const scenario_text[TG_SCENARIO_COUNT] = {
    "coffee, 3 doses of 12 g a day on average, 500 g packs",
    "detergent, 1-4 loads of 70 g on Saturdays (20% Sundays), 1 kg packs",
    "steady, but no use for two weeks from day 61",
    "steady, but 2.5x the use for a week of guests from day 40",
    "steady at first, the mean use doubling every 180 days",
    "steady, but the shop sells 200 g packs from day 60 on",
};

const char *
tg_scenario_to_str(enum tg_scenario s)
{
    if ((unsigned)s >= TG_SCENARIO_COUNT)
        return "?";
    return scenario_names[s];
}

const char *
tg_scenario_describe(enum tg_scenario s)
{
    if ((unsigned)s >= TG_SCENARIO_COUNT)
        return "?";
    return scenario_text[s];
}

int
tg_scenario_from_str(const char *name, enum tg_scenario *out)
{
    for (int i = 0; i < TG_SCENARIO_COUNT; i++) {
        if (strcmp(name, scenario_names[i]) == 0) {
            *out = (enum tg_scenario)i;
            return 0;
        }
    }
    return -EINVAL;
}

void
trace_init(struct trace *t)
{
    memset(t, 0, sizeof(*t));
}

void
trace_fini(struct trace *t)
{
    if (t == NULL)
        return;
    free(t->ev);
    trace_init(t);
}

int
trace_push(struct trace *t, enum trace_kind kind, int64_t t_s, int64_t mg)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 1024;
        struct trace_event *ev = realloc(t->ev, cap * sizeof(*ev));
        if (ev == NULL)
            return -ENOMEM;
        t->ev = ev;
        t->cap = cap;
    }
    t->ev[t->n].t_s = t_s;
    t->ev[t->n].mg = mg;
    t->ev[t->n].kind = kind;
    t->n++;
    return 0;
}

/* Approximately standard normal: Irwin-Hall sum of 12 uniforms minus 6. */
static double
normal(uint64_t *rng)
{
    double x = 0.0;
    for (int i = 0; i < 12; i++)
        x += th_unit(rng);
    return x - 6.0;
}

/* Normal(mean, sd) truncated to [lo, hi] by redrawing. */
static double
trunc_normal(uint64_t *rng, double mean, double sd, double lo, double hi)
{
    for (;;) {
        double x = mean + sd * normal(rng);
        if (x >= lo && x <= hi)
            return x;
    }
}

static int
binomial(uint64_t *rng, int n, double p)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += th_unit(rng) < p;
    return k;
}

static int64_t
grams_to_mg(double g)
{
    return (int64_t)(g * 1000.0 + 0.5);
}

static int
dose_push(struct doses *ds, int64_t t_s, double g)
{
    if (ds->n == ds->cap) {
        size_t cap = ds->cap ? ds->cap * 2 : 1024;
        struct dose *d = realloc(ds->d, cap * sizeof(*d));
        if (d == NULL)
            return -ENOMEM;
        ds->d = d;
        ds->cap = cap;
    }
    ds->d[ds->n].t_s = t_s;
    ds->d[ds->n].mg = grams_to_mg(g);
    ds->d[ds->n].order = ds->n;
    ds->n++;
    return 0;
}

/* k ~ Binomial(n, p) everyday doses at uniform times in [06:00, 22:00). */
static int
everyday(struct doses *ds, uint64_t *rng, int64_t day_start_s, int n, double p)
{
    int k = binomial(rng, n, p);
    for (int i = 0; i < k; i++) {
        int64_t t = day_start_s + 6 * HOUR_S + (int64_t)(th_unit(rng) * 16.0 * 3600.0);
        double g = trunc_normal(rng, BASE_DOSE_G, BASE_DOSE_SD_G, BASE_DOSE_MIN_G,
                                BASE_DOSE_MAX_G);
        int rc = dose_push(ds, t, g);
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Loads of a laundry day: load i starts at 09:00 + 1.5 h * i + U[0, 30 min). */
static int
laundry(struct doses *ds, uint64_t *rng, int64_t day_start_s)
{
    int loads = 1 + binomial(rng, 3, 0.5);
    for (int i = 0; i < loads; i++) {
        int64_t t = day_start_s + 9 * HOUR_S + i * (3 * HOUR_S / 2) +
                    (int64_t)(th_unit(rng) * 1800.0);
        double g = trunc_normal(rng, LAUNDRY_DOSE_G, LAUNDRY_DOSE_SD_G,
                                LAUNDRY_DOSE_MIN_G, LAUNDRY_DOSE_MAX_G);
        int rc = dose_push(ds, t, g);
        if (rc < 0)
            return rc;
    }
    return 0;
}

static int
draw_day(struct doses *ds, uint64_t *rng, enum tg_scenario s, int d, int days)
{
    int64_t day_s = TG_EPOCH_S + d * DAY_S;
    switch (s) {
    case TG_STEADY:
    case TG_PACK:
        return everyday(ds, rng, day_s, BASE_USES_N, BASE_USES_P);
    case TG_HOLIDAY:
        if (d >= HOLIDAY_FIRST_DAY && d < HOLIDAY_FIRST_DAY + HOLIDAY_DAYS)
            return 0;
        return everyday(ds, rng, day_s, BASE_USES_N, BASE_USES_P);
    case TG_GUESTS:
        if (d >= GUESTS_FIRST_DAY && d < GUESTS_FIRST_DAY + GUESTS_DAYS)
            return everyday(ds, rng, day_s, GUESTS_USES_N, BASE_USES_P);
        return everyday(ds, rng, day_s, BASE_USES_N, BASE_USES_P);
    case TG_GROWING: {
        double p = 0.25 * (1.0 + (double)d / GROWING_DOUBLING_DAYS);
        return everyday(ds, rng, day_s, GROWING_USES_N, p > 1.0 ? 1.0 : p);
    }
    case TG_LAUNDRY:
        /* Day 0 is a Monday: Saturdays are d % 7 == 5. */
        if (d % 7 != 5)
            return 0;
        if (th_unit(rng) < LAUNDRY_POSTPONE_P) {
            if (d + 1 >= days)
                return 0;
            day_s += DAY_S;
        }
        return laundry(ds, rng, day_s);
    }
    return -EINVAL;
}

static int
dose_cmp(const void *a, const void *b)
{
    const struct dose *x = a, *y = b;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static int64_t
pack_mg_at(enum tg_scenario s, int64_t t_s)
{
    if (s == TG_LAUNDRY)
        return LAUNDRY_PACK_MG;
    if (s == TG_PACK && t_s >= TG_EPOCH_S + PACK_CHANGE_DAY * DAY_S)
        return PACK_SMALL_MG;
    return BASE_PACK_MG;
}

int
tg_generate(struct trace *t, enum tg_scenario s, uint64_t seed, int days)
{
    struct doses ds = {0};
    int rc = -EINVAL;

    if ((unsigned)s >= TG_SCENARIO_COUNT || days < MIN_DAYS || days > MAX_DAYS)
        return -EINVAL;
    if (s != TG_STEADY && s != TG_LAUNDRY && s != TG_GROWING && days < MIN_DAYS_EVENTS)
        return -EINVAL;

    /* One splitmix64 stream per (scenario, seed). */
    uint64_t rng = seed ^ (UINT64_C(0x9E3779B97F4A7C15) * ((uint64_t)s + 1));
    for (int d = 0; d < days; d++) {
        rc = draw_day(&ds, &rng, s, d, days);
        if (rc < 0)
            goto out;
    }
    if (ds.n > 0)
        qsort(ds.d, ds.n, sizeof(*ds.d), dose_cmp);

    snprintf(t->name, sizeof(t->name), "%s", tg_scenario_to_str(s));
    t->seed = seed;
    t->start_s = TG_EPOCH_S;
    t->end_s = TG_EPOCH_S + days * DAY_S;
    int64_t stock = pack_mg_at(s, t->start_s);
    rc = trace_push(t, TRACE_REFILL, t->start_s, stock);
    for (size_t i = 0; i < ds.n && rc == 0; i++) {
        int64_t want = ds.d[i].mg;
        while (want > 0 && rc == 0) {
            int64_t take = want < stock ? want : stock;
            rc = trace_push(t, TRACE_USE, ds.d[i].t_s, take);
            stock -= take;
            want -= take;
            if (stock == 0 && rc == 0) {
                stock = pack_mg_at(s, ds.d[i].t_s);
                rc = trace_push(t, TRACE_REFILL, ds.d[i].t_s, stock);
            }
        }
    }
out:
    free(ds.d);
    if (rc < 0)
        trace_fini(t);
    return rc;
}

int
trace_write(const struct trace *t, FILE *f)
{
    fprintf(f, "pantry-trace 1\n");
    fprintf(
        f, "# events: use|refill UNIX_SECONDS MILLIGRAMS (see tests/eval/README.md)\n");
    fprintf(f, "name %s\n", t->name[0] ? t->name : "trace");
    fprintf(f, "seed %" PRIu64 "\n", t->seed);
    fprintf(f, "start %" PRId64 "\n", t->start_s);
    fprintf(f, "end %" PRId64 "\n", t->end_s);
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        fprintf(f, "%s %" PRId64 " %" PRId64 "\n",
                e->kind == TRACE_USE ? "use" : "refill", e->t_s, e->mg);
    }
    if (fflush(f) != 0 || ferror(f))
        return errno ? -errno : -EIO;
    return 0;
}

/* A whole decimal integer field in [lo, hi]; 0 or -EINVAL. */
static int
parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    char *end;
    if (s == NULL || *s == '\0')
        return -EINVAL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return -EINVAL;
    *out = v;
    return 0;
}

#define LINE_MAX_BYTES 510 /* of a line, without its newline */

#define FAIL(...)                                                                      \
    do {                                                                               \
        int off_ = snprintf(err, err_len, "%s:%u: ", name, line_no);                   \
        if (off_ >= 0 && (size_t)off_ < err_len)                                       \
            snprintf(err + off_, err_len - (size_t)off_, __VA_ARGS__);                 \
        rc = -EINVAL;                                                                  \
        goto out;                                                                      \
    } while (0)

int
trace_read(struct trace *t, FILE *f, const char *name, char *err, size_t err_len)
{
    char buf[LINE_MAX_BYTES + 1], msg[128];
    unsigned line_no = 0;
    bool have_header = false, have_start = false, have_end = false;
    int64_t stock = 0, last_t = INT64_MIN;
    enum text_line got;
    size_t len;
    int rc = 0;

    trace_init(t);
    snprintf(t->name, sizeof(t->name), "file");
    /* The project's bounded line reader: a NUL byte, an over-long line and a
     * last line cut short (a number read shorter) are errors, not data. */
    while ((got = text_read_line(f, buf, LINE_MAX_BYTES, &len)) == TEXT_LINE_OK) {
        line_no++;
        if (memchr(buf, '\0', len) != NULL)
            FAIL("NUL byte in line");
        if (len > 0 && buf[len - 1] == '\r')
            buf[--len] = '\0';
        for (size_t i = 0; i < len; i++) {
            unsigned char c = (unsigned char)buf[i];
            if ((c < 0x20 && c != '\t') || c > 0x7e)
                FAIL("control or non-ASCII byte 0x%02x in line", c);
        }
        char *p = buf + strspn(buf, " \t");
        if (*p == '\0' || *p == '#')
            continue;
        char *save = NULL;
        char *key = strtok_r(p, " \t", &save);
        char *a = strtok_r(NULL, " \t", &save);
        char *b = strtok_r(NULL, " \t", &save);
        char *extra = strtok_r(NULL, " \t", &save);
        if (!have_header) {
            if (strcmp(key, "pantry-trace") != 0 || a == NULL || strcmp(a, "1") != 0 ||
                b != NULL)
                FAIL("expected the header \"pantry-trace 1\", found \"%.40s\"", p);
            have_header = true;
            continue;
        }
        if (extra != NULL)
            FAIL("too many fields");
        int64_t v, mg;
        if (strcmp(key, "name") == 0) {
            if (a == NULL || b != NULL || strlen(a) >= sizeof(t->name))
                FAIL("name takes one word of at most %zu characters",
                     sizeof(t->name) - 1);
            snprintf(t->name, sizeof(t->name), "%s", a);
        } else if (strcmp(key, "seed") == 0) {
            if (b != NULL || parse_i64(a, 0, INT64_MAX, &v) < 0)
                FAIL("seed: expected one non-negative integer, found \"%s\"",
                     a ? a : "");
            t->seed = (uint64_t)v;
        } else if (strcmp(key, "start") == 0 || strcmp(key, "end") == 0) {
            bool is_start = key[0] == 's';
            if (t->n > 0)
                FAIL("%s must come before the first event", key);
            if (b != NULL || parse_i64(a, 0, INT64_C(1) << 40, &v) < 0)
                FAIL("%s: expected one time in Unix seconds, found \"%s\"", key,
                     a ? a : "");
            if (is_start) {
                t->start_s = v;
                have_start = true;
            } else {
                t->end_s = v;
                have_end = true;
            }
        } else if (strcmp(key, "use") == 0 || strcmp(key, "refill") == 0) {
            bool use = key[0] == 'u';
            if (!have_start || !have_end)
                FAIL("start and end must come before the first event");
            if (t->end_s <= t->start_s)
                FAIL("end (%" PRId64 ") must be after start (%" PRId64 ")", t->end_s,
                     t->start_s);
            if (parse_i64(a, t->start_s, t->end_s, &v) < 0)
                FAIL("%s: expected a time in Unix seconds from %" PRId64 " to %" PRId64
                     " (start to end), found \"%s\"",
                     key, t->start_s, t->end_s, a ? a : "");
            if (parse_i64(b, 1, INT32_C(1000000000), &mg) < 0)
                FAIL("%s: expected milligrams from 1 to 1000000000, found \"%s\"", key,
                     b ? b : "");
            if (v < last_t)
                FAIL("%s: expected a time of %" PRId64 " or later (the previous "
                     "event's; time never goes backwards), found %" PRId64,
                     key, last_t, v);
            if (use && mg > stock)
                FAIL("use of %" PRId64 " mg but only %" PRId64 " mg on the shelf", mg,
                     stock);
            stock = use ? stock - mg : stock + mg;
            last_t = v;
            rc = trace_push(t, use ? TRACE_USE : TRACE_REFILL, v, mg);
            if (rc < 0)
                FAIL("out of memory");
        } else {
            FAIL(
                "unknown keyword \"%s\" (expected name, seed, start, end, use, refill)",
                key);
        }
    }
    if (got != TEXT_LINE_EOF) {
        line_no++;
        text_line_error(got, LINE_MAX_BYTES, msg, sizeof(msg));
        FAIL("%s", msg);
    }
    if (!have_header && line_no == 0) {
        line_no = 1;
        FAIL("empty file: expected the header \"pantry-trace 1\"");
    }
    if (!have_header)
        FAIL("expected the header \"pantry-trace 1\" before the end of the file");
    if (!have_start || !have_end || t->end_s <= t->start_s)
        FAIL("start and end (end after start) are required");
out:
    if (rc < 0)
        trace_fini(t);
    return rc;
}
