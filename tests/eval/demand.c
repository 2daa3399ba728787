/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The closed-loop evaluation's households (see demand.h). Every draw comes from
 * one splitmix64 stream per (scenario, seed), in a fixed order, so a scenario is
 * the same on every machine. Sizes are in milligrams, times in seconds.
 */
#include "tests/eval/demand.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "sensors/text.h"

#define DAY_S INT64_C(86400)
#define HOUR_S INT64_C(3600)
#define G INT64_C(1000)

static const char *const names[DM_SCENARIO_COUNT] = {
    "coffee", "rice",  "laundry",   "guests", "baby",
    "heavy",  "small", "slow-shop", "jitter",
};

static const char *const text[DM_SCENARIO_COUNT] = {
    "coffee: 2-4 cups a day of 7-11 g, 500 g packs, 2-day shop",
    "rice: weekday dinners of 60-100 g, weekend cooking of 150-350 g, 1 kg packs",
    ("detergent: 3-9 washes a week of 55-85 g, no washing for two weeks from day "
     "98, 1.5 kg packs"),
    "coffee, with a week of guests (2.5x the cups) from day 60",
    "detergent: 3-5 washes a week, twice as many from day 70 (a new baby)",
    "flour: 1.3 kg packs used 120-200 g a day (a pack in 8 days)",
    "spice: 50 g packs, 2-4 g a day",
    "coffee from a shop that takes 9 days",
    "rice from a shop that takes 5 days (x 0.8..1.5)",
};

const char *
dm_scenario_to_str(enum dm_scenario s)
{
    return (unsigned)s < DM_SCENARIO_COUNT ? names[s] : "?";
}

const char *
dm_scenario_describe(enum dm_scenario s)
{
    return (unsigned)s < DM_SCENARIO_COUNT ? text[s] : "?";
}

int
dm_scenario_from_str(const char *name, enum dm_scenario *out)
{
    for (int i = 0; i < DM_SCENARIO_COUNT; i++)
        if (strcmp(name, names[i]) == 0) {
            *out = (enum dm_scenario)i;
            return 0;
        }
    return -EINVAL;
}

static uint64_t
rnd(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
uni(uint64_t *s, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(s) % (uint64_t)(hi - lo + 1));
}

static int
push(struct dm_run *r, size_t *cap, int64_t t, int64_t mg)
{
    if (r->n_use == *cap) {
        size_t c = *cap ? 2 * *cap : 512;
        struct cl_use *p = realloc(r->use, c * sizeof(*p));
        if (p == NULL)
            return -ENOMEM;
        r->use = p;
        *cap = c;
    }
    r->use[r->n_use++] = (struct cl_use){t, mg};
    return 0;
}

static int
by_time(const void *a, const void *b)
{
    const struct cl_use *x = a, *y = b;
    if (x->t_s != y->t_s)
        return x->t_s < y->t_s ? -1 : 1;
    return x->mg < y->mg ? -1 : x->mg > y->mg;
}

/* n uses in a day between from_h and to_h o'clock, each of lo..hi mg. */
static int
day_uses(struct dm_run *r, size_t *cap, uint64_t *s, int64_t day0, int n, int from_h,
         int to_h, int64_t lo, int64_t hi)
{
    for (int k = 0; k < n; k++) {
        int64_t t = day0 + uni(s, from_h * HOUR_S, to_h * HOUR_S);
        int e = push(r, cap, t, uni(s, lo, hi));
        if (e < 0)
            return e;
    }
    return 0;
}

/* n washes in the week starting on day0, on any of its days (two on one day too). */
static int
week_washes(struct dm_run *r, size_t *cap, uint64_t *s, int64_t day0, int n)
{
    for (int k = 0; k < n; k++) {
        int64_t d = uni(s, 0, 6);
        int e = day_uses(r, cap, s, day0 + d * DAY_S, 1, 8, 21, 55 * G, 85 * G);
        if (e < 0)
            return e;
    }
    return 0;
}

static int
generate(struct dm_run *r, enum dm_scenario sc, uint64_t *s, size_t *cap)
{
    int e = 0;
    for (int64_t d = 0; d < r->days && e == 0; d++) {
        int64_t day0 = DM_EPOCH_S + d * DAY_S;
        bool weekend = d % 7 >= 5; /* day 0 is a Monday */
        switch (sc) {
        case DM_COFFEE:
        case DM_SLOW_SHOP:
        case DM_GUESTS: {
            int cups = (int)uni(s, 2, 4);
            if (sc == DM_GUESTS && d >= 60 && d < 67)
                cups = cups * 5 / 2;
            e = day_uses(r, cap, s, day0, cups, 6, 22, 7 * G, 11 * G);
            break;
        }
        case DM_RICE:
        case DM_JITTER:
            if (weekend)
                e = day_uses(r, cap, s, day0, (int)uni(s, 1, 2), 11, 20, 150 * G,
                             350 * G);
            else
                e = day_uses(r, cap, s, day0, (int)uni(s, 0, 1), 17, 20, 60 * G,
                             100 * G);
            break;
        case DM_LAUNDRY:
            if (d % 7 == 0 && !(d >= 98 && d < 112))
                e = week_washes(r, cap, s, day0, (int)uni(s, 3, 9));
            break;
        case DM_BABY:
            if (d % 7 == 0)
                e = week_washes(r, cap, s, day0, (int)uni(s, 3, 5) * (d >= 70 ? 2 : 1));
            break;
        case DM_HEAVY:
            e = day_uses(r, cap, s, day0, (int)uni(s, 1, 3), 7, 20, 60 * G, 100 * G);
            break;
        case DM_SMALL:
            e = day_uses(r, cap, s, day0, (int)uni(s, 1, 2), 11, 20, 1500, 2500);
            break;
        }
    }
    return e;
}

int
dm_generate(struct dm_run *r, enum dm_scenario sc, uint64_t seed, int64_t days)
{
    static const struct {
        const char *item;
        int64_t pack_mg, container_mg, lead_s;
    } kind[DM_SCENARIO_COUNT] = {
        [DM_COFFEE] = {"coffee", 500 * G, 300 * G, 2 * DAY_S},
        [DM_RICE] = {"rice", 1000 * G, 400 * G, 2 * DAY_S},
        [DM_LAUNDRY] = {"detergent", 1500 * G, 0, 2 * DAY_S},
        [DM_GUESTS] = {"coffee", 500 * G, 300 * G, 2 * DAY_S},
        [DM_BABY] = {"detergent", 1500 * G, 0, 2 * DAY_S},
        [DM_HEAVY] = {"flour", 1300 * G, 200 * G, 2 * DAY_S},
        [DM_SMALL] = {"spice", 50 * G, 100 * G, 2 * DAY_S},
        [DM_SLOW_SHOP] = {"coffee", 500 * G, 300 * G, 9 * DAY_S},
        [DM_JITTER] = {"rice", 1000 * G, 400 * G, 5 * DAY_S},
    };
    size_t cap = 0;
    int e;

    memset(r, 0, sizeof(*r));
    if ((unsigned)sc >= DM_SCENARIO_COUNT || days < 120 || days > 1000)
        return -EINVAL;
    snprintf(r->item, sizeof(r->item), "%s", kind[sc].item);
    r->pack_mg = kind[sc].pack_mg;
    r->container_mg = kind[sc].container_mg;
    r->lead_s = kind[sc].lead_s;
    r->days = days;
    /*
     * The stream starts where a hash of the seed says. splitmix64 steps its state
     * by the constant it adds, so a state of seed times that constant made seed
     * k + 1 the stream of seed k one draw on: most runs fell in step with another
     * after a few days, and "20 seeds" were a handful of households.
     */
    uint64_t h = seed * UINT64_C(0x9e3779b97f4a7c15) + (uint64_t)sc * UINT64_C(7919);
    uint64_t s = rnd(&h);
    if ((e = generate(r, sc, &s, &cap)) < 0) {
        dm_free(r);
        return e;
    }
    /* A day's uses were drawn in any order of time. */
    qsort(r->use, r->n_use, sizeof(*r->use), by_time);
    return 0;
}

void
dm_free(struct dm_run *r)
{
    free(r->use);
    r->use = NULL;
    r->n_use = 0;
}

int
dm_config(const struct dm_run *d, struct agent_config *cfg, char *err, size_t len)
{
    struct cfg_errors errs;
    char conf[1024];
    snprintf(conf, sizeof(conf),
             "device_id = \"eval\";\n"
             "channels = ( { name = \"shelf\"; iio = { device = \"shelf\"; }; } );\n"
             "items = ( { id = \"%s\"; channel = \"shelf\"; pack = %" PRId64
             ".%03" PRId64 "; container = %" PRId64 ".%03" PRId64 "; mode = \"auto\";\n"
             "  calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n",
             d->item, d->pack_mg / 1000, d->pack_mg % 1000, d->container_mg / 1000,
             d->container_mg % 1000);
    if (cfg_load_string(conf, "eval.conf", cfg, &errs) < 0)
        return text_error(err, len, "%s", errs.count ? errs.msg[0] : "config"), -EINVAL;
    return 0;
}
