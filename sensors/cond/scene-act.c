/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The situation generator's planner (see scene.h, scene-int.h): draws the
 * shelf (items, packs, containers, calibrations), the noise, sampling and
 * thermal models, lets scene-sit.c draw the situation, then plays the
 * background household and the situation's steps in time order into ramps of
 * mass and true records. The action library is here too: lifting an item,
 * setting it down (on one platform or across two), hands pressing, pours,
 * dispensing, scoops.
 *
 * The household must never run a jar dry, and the contents at the start must
 * be what the run then uses plus a margin; so the plan is played twice from the
 * same random state: once with a bottomless jar to learn what each item loses
 * before its lowest point, once for real. No draw may depend on the contents,
 * or the two plays would part ways.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/scene-int.h"

static const char *const names[] = {
    "rice",  "coffee", "flour", "sugar", "oats",   "lentils",
    "pasta", "tea",    "beans", "cocoa", "muesli", "quinoa",
};
#define N_NAMES (sizeof(names) / sizeof(names[0]))

static const int64_t packs_g[] = {250, 400, 500, 750, 1000, 1500, 2000};
#define N_PACKS (sizeof(packs_g) / sizeof(packs_g[0]))

/* sin over a quarter wave in 64 steps, Q16 (python: round(sin(pi/2*i/64)*65536)). */
static const int32_t sin_q16[65] = {
    0,     1608,  3216,  4821,  6424,  8022,  9616,  11204, 12785, 14359, 15924,
    17479, 19024, 20557, 22078, 23586, 25080, 26558, 28020, 29466, 30893, 32303,
    33692, 35062, 36410, 37736, 39040, 40320, 41576, 42806, 44011, 45190, 46341,
    47464, 48559, 49624, 50660, 51665, 52639, 53581, 54491, 55368, 56212, 57022,
    57798, 58538, 59244, 59914, 60547, 61145, 61705, 62228, 62714, 63162, 63572,
    63944, 64277, 64571, 64827, 65043, 65220, 65358, 65457, 65516, 65536,
};

/* ---- small helpers ---- */

void *
sc_push(struct sc_vec *v, size_t sz)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 64;
        void *p = realloc(v->p, cap * sz);
        if (p == NULL)
            return NULL;
        v->p = p;
        v->cap = cap;
    }
    void *slot = (char *)v->p + v->n++ * sz;
    memset(slot, 0, sz);
    return slot;
}

void
sc_vec_free(struct sc_vec *v)
{
    free(v->p);
    *v = (struct sc_vec){0};
}

uint64_t
sc_rnd(uint64_t *s)
{
    /* splitmix64 (Steele, Lea, Flood 2014). */
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int64_t
sc_uni(uint64_t *s, int64_t lo, int64_t hi)
{
    if (hi <= lo)
        return lo;
    return lo + (int64_t)(sc_rnd(s) % (uint64_t)(hi - lo + 1));
}

int64_t
sc_logu(uint64_t *s, int64_t lo, int64_t hi)
{
    /* A rung of the ladder lo, 2 lo, 4 lo, ... at random, uniform within it. */
    int rungs = 0;
    for (int64_t r = lo; r < hi; r *= 2)
        rungs++;
    int64_t a = lo;
    for (int64_t k = sc_uni(s, 0, rungs > 0 ? rungs - 1 : 0); k > 0; k--)
        a *= 2;
    return sc_uni(s, a, a * 2 < hi ? a * 2 : hi);
}

bool
sc_chance(uint64_t *s, int64_t percent)
{
    return (int64_t)(sc_rnd(s) % 100) < percent;
}

int64_t
sc_sin_q16(int64_t num, int64_t den)
{
    int64_t x = num % den;
    if (x < 0)
        x += den;
    x = x * 65536 / den; /* 65536 steps per turn */
    int64_t quad = x >> 14, r = x & 16383;
    if (quad == 1 || quad == 3)
        r = 16384 - r;
    int64_t i = r >> 8, f = r & 255;
    int64_t v =
        i >= 64 ? sin_q16[64] : sin_q16[i] + (sin_q16[i + 1] - sin_q16[i]) * f / 256;
    return quad >= 2 ? -v : v;
}

/* ---- the plan's primitives ---- */

static void
fail(struct sc_plan *pl)
{
    pl->s->error = -ENOMEM;
}

void
sc_ramp(struct sc_plan *pl, unsigned plat, unsigned owner, int64_t t0, int64_t dur,
        int64_t mg)
{
    if (mg == 0)
        return;
    struct sc_ramp *r = sc_push(&pl->s->plat[plat].ramp, sizeof(*r));
    if (r == NULL)
        return fail(pl);
    *r = (struct sc_ramp){t0, t0 + (dur > 0 ? dur : 1), mg, (uint8_t)owner};
}

void
sc_item_ramp(struct sc_plan *pl, unsigned item, unsigned plat, int64_t t0, int64_t dur,
             int64_t mg)
{
    sc_ramp(pl, plat, item, t0, dur, mg);
    pl->it[item].on[plat] += mg;
}

void
sc_hand(struct sc_plan *pl, unsigned plat, int64_t t0, int64_t dur, int64_t mg)
{
    sc_ramp(pl, plat, SC_OWNER_FOREIGN, t0, 120, mg);
    sc_ramp(pl, plat, SC_OWNER_FOREIGN, t0 + dur, 120, -mg);
}

void
sc_fx(struct sc_plan *pl, unsigned plat, enum sc_fx_kind kind, int64_t t0, int64_t t1,
      int64_t a)
{
    struct sc_fx *f = sc_push(&pl->s->plat[plat].fx, sizeof(*f));
    if (f == NULL)
        return fail(pl);
    *f = (struct sc_fx){t0, t1, a, (uint8_t)kind};
}

void
sc_gap(struct sc_plan *pl, unsigned plat, int64_t t0, int64_t t1)
{
    struct sc_ival *g = sc_push(&pl->s->plat[plat].gap, sizeof(*g));
    if (g == NULL)
        return fail(pl);
    *g = (struct sc_ival){t0, t1};
}

void
sc_wobble(struct sc_plan *pl, unsigned plat, int64_t t0, int64_t t1, int64_t amp,
          int64_t period)
{
    struct sc_wob *w = sc_push(&pl->s->plat[plat].wob, sizeof(*w));
    if (w == NULL)
        return fail(pl);
    *w = (struct sc_wob){t0, t1, amp, period};
}

struct scene_truth *
sc_truth(struct sc_plan *pl, int64_t t, enum scene_truth_kind kind, unsigned item,
         int64_t mg, uint32_t plats, uint8_t flags)
{
    struct scene_truth *r = sc_push(&pl->s->truth, sizeof(*r));
    if (r == NULL) {
        fail(pl);
        return NULL;
    }
    *r = (struct scene_truth){
        .t_ms = t,
        .start_ms = t,
        .mg = mg,
        .contents_mg = pl->it[item].contents,
        .gross_mg = pl->it[item].gross,
        .plats = plats,
        .order = -1,
        .channel = (uint16_t)item,
        .kind = (uint8_t)kind,
        .flags = flags,
    };
    return r;
}

int64_t
sc_lift(struct sc_plan *pl, unsigned item, int64_t t)
{
    struct sc_item_state *it = &pl->it[item];
    unsigned main = 0;
    for (unsigned p = 1; p < pl->s->n; p++)
        if (it->on[p] > it->on[main])
            main = p;
    /* A hand grips and presses a little, then takes the item up with it. */
    int64_t h = sc_uni(&pl->rng, 30, 150) * SC_G, grip = sc_uni(&pl->rng, 150, 600);
    int64_t r = sc_uni(&pl->rng, 200, 500);
    sc_ramp(pl, main, SC_OWNER_FOREIGN, t, 120, h);
    for (unsigned p = 0; p < pl->s->n; p++)
        if (it->on[p] != 0)
            sc_item_ramp(pl, item, p, t + grip, r, -it->on[p]);
    sc_ramp(pl, main, SC_OWNER_FOREIGN, t + grip, r, -h);
    return t + grip + r;
}

int64_t
sc_place(struct sc_plan *pl, unsigned item, unsigned p, unsigned q, int64_t share_pm,
         int64_t t)
{
    struct sc_item_state *it = &pl->it[item];
    int64_t r = sc_uni(&pl->rng, 200, 500), h = sc_uni(&pl->rng, 50, 300) * SC_G;
    int64_t hold = sc_uni(&pl->rng, 300, 1500), rel = sc_uni(&pl->rng, 100, 250);
    int64_t a = it->gross * share_pm / 1000;
    sc_item_ramp(pl, item, p, t, r, a);
    if (it->gross - a != 0)
        sc_item_ramp(pl, item, q, t, r, it->gross - a);
    /* The hand still presses a moment after the item is down. */
    sc_ramp(pl, p, SC_OWNER_FOREIGN, t, r, h);
    sc_ramp(pl, p, SC_OWNER_FOREIGN, t + r + hold, rel, -h);
    return t + r + hold + rel;
}

int64_t
sc_pour_use(struct sc_plan *pl, unsigned item, int64_t t, int64_t mg, uint32_t plats,
            uint8_t flags)
{
    int64_t air = sc_uni(&pl->rng, 3, 40) * SC_SEC;
    int64_t t1 = sc_lift(pl, item, t);
    pl->it[item].contents -= mg;
    pl->it[item].gross -= mg;
    int64_t end = sc_place(pl, item, item, item, 1000, t1 + air);
    sc_truth(pl, end, SCENE_T_CONSUME, item, mg, plats | 1u << item, flags);
    return end;
}

/* A lever pressed: the contents flow out while it is held, no lift. */
static int64_t
dispense(struct sc_plan *pl, unsigned item, int64_t t, int64_t mg)
{
    int64_t h = sc_uni(&pl->rng, 50, 200) * SC_G, d = sc_uni(&pl->rng, 500, 3000);
    sc_ramp(pl, item, SC_OWNER_FOREIGN, t, 100, h);
    sc_item_ramp(pl, item, item, t + 100, d, -mg);
    pl->it[item].contents -= mg;
    pl->it[item].gross -= mg;
    sc_ramp(pl, item, SC_OWNER_FOREIGN, t + 100 + d, 100, -h);
    sc_truth(pl, t + 200 + d, SCENE_T_CONSUME, item, mg, 1u << item, 0);
    return t + 200 + d;
}

/* A scoop pushed into the jar in place, filled, taken out. */
static int64_t
scoop(struct sc_plan *pl, unsigned item, int64_t t, int64_t mg)
{
    int64_t h = sc_uni(&pl->rng, 30, 250) * SC_G, d = sc_uni(&pl->rng, 1000, 4000);
    sc_ramp(pl, item, SC_OWNER_FOREIGN, t, 150, h);
    sc_item_ramp(pl, item, item, t + d / 2, 300, -mg);
    pl->it[item].contents -= mg;
    pl->it[item].gross -= mg;
    sc_ramp(pl, item, SC_OWNER_FOREIGN, t + d, 150, -h);
    sc_truth(pl, t + d + 150, SCENE_T_CONSUME, item, mg, 1u << item, 0);
    return t + d + 150;
}

/* One use of the background household; returns when it ended. */
static int64_t
use(struct sc_plan *pl, unsigned i, int64_t t)
{
    const struct scene_item *c = &pl->s->item[i];
    int64_t mean = c->rate_mg_per_day / c->uses_per_day;
    int64_t mg = sc_uni(&pl->rng, mean * 6 / 10, mean * 14 / 10);
    bool pour = sc_chance(&pl->rng, 60);
    switch (pl->it[i].style) {
    case SC_STYLE_DISPENSER:
        return dispense(pl, i, t, mg);
    case SC_STYLE_JAR:
        if (!pour)
            return scoop(pl, i, t, mg);
        /* fall through */
    case SC_STYLE_BAG:
    default:
        return sc_pour_use(pl, i, t, mg, 0, 0);
    }
}

/* ---- drawing the shelf and its models ---- */

static void
draw_shelf(struct sc_plan *pl)
{
    struct scene *s = pl->s;
    uint64_t *r = &pl->rng;
    bool used[N_NAMES] = {false};

    s->n = s->cfg.platforms ? s->cfg.platforms : (unsigned)sc_uni(r, 2, 4);
    for (unsigned i = 0; i < s->n; i++) {
        struct scene_item *it = &s->item[i];
        size_t k = (size_t)sc_uni(r, 0, N_NAMES - 1);
        while (used[k])
            k = (k + 1) % N_NAMES;
        used[k] = true;
        snprintf(it->id, sizeof(it->id), "%s", names[k]);
        it->channel = i;
        it->pack_mg = packs_g[sc_uni(r, 0, N_PACKS - 1)] * SC_G;
        bool bag = sc_chance(r, 20);
        it->container_mg = bag ? 0 : sc_uni(r, 100, 600) * SC_G;
        pl->it[i].style = bag ? SC_STYLE_BAG
                          : it->container_mg >= 300 * SC_G && sc_chance(r, 25)
                              ? SC_STYLE_DISPENSER
                              : SC_STYLE_JAR;
        it->uses_per_day = sc_uni(r, 2, 6);
    }
}

static void
draw_models(struct sc_plan *pl)
{
    struct scene *s = pl->s;
    uint64_t *r = &pl->rng;
    int64_t p;

    p = sc_uni(r, 0, 99);
    s->sampling = s->cfg.sampling >= 0 ? (enum scene_sampling)s->cfg.sampling
                  : p < 40             ? SCENE_SAMPLING_10HZ
                  : p < 60             ? SCENE_SAMPLING_IRREGULAR
                  : p < 80             ? SCENE_SAMPLING_GAPPY
                                       : SCENE_SAMPLING_80HZ;
    p = sc_uni(r, 0, 99);
    s->noise = s->cfg.noise >= 0 ? (enum scene_noise)s->cfg.noise
               : p < 55          ? SCENE_NOISE_NORMAL
               : p < 85          ? SCENE_NOISE_HEAVY
                                 : SCENE_NOISE_80HZ;
    if (s->sampling == SCENE_SAMPLING_80HZ && s->cfg.noise < 0)
        s->noise = SCENE_NOISE_80HZ;
    s->wrong_cal = s->cfg.wrong_cal >= 0 ? s->cfg.wrong_cal != 0 : sc_chance(r, 33);
    /* The room is warmest in the afternoon; every cell's zero follows a little. */
    s->daily_phase_ms = sc_uni(r, 0, SC_DAY - 1);
    for (unsigned i = 0; i < s->n; i++) {
        struct sc_plat *pf = &s->plat[i];
        pf->zero = (int32_t)sc_uni(r, -400000, 400000);
        pf->cpk = (int32_t)sc_uni(r, 150000, 450000);
        if (sc_chance(r, 40))
            pf->cpk = -pf->cpk; /* the bridge wired the other way */
        pf->cal = (struct cond_cal){
            .raw_zero = pf->zero, .span_raw = pf->cpk, .span_mg = 1000000};
        int64_t dz = sc_uni(r, 1, 300) * (sc_chance(r, 50) ? 1 : -1);
        int64_t ds_ppm = sc_uni(r, -3000, 3000);
        if (s->wrong_cal) {
            pf->cal.raw_zero = (int32_t)(pf->zero + dz);
            pf->cal.span_raw = (int32_t)(pf->cpk + (int64_t)pf->cpk * ds_ppm / 1000000);
        }
        pf->noise_mg = sc_uni(r, 150, 500);
        if (s->noise == SCENE_NOISE_80HZ)
            pf->noise_mg *= 3;
        pf->outlier_ppm = s->noise == SCENE_NOISE_HEAVY ? sc_uni(r, 2000, 10000) : 0;
        pf->garbage_ppm = sc_uni(r, 0, 30);
        pf->creep_ppm = sc_uni(r, 0, 600);
        pf->creep_tau_ms = sc_uni(r, 2, 10) * SC_MIN;
        pf->daily_mg = sc_uni(r, 300, 3000) * (sc_chance(r, 50) ? 1 : -1);
        pf->sunny_mg = sc_uni(r, 5, 20) * SC_G * (sc_chance(r, 50) ? 1 : -1);
        for (int k = 0; k < 2; k++) {
            pf->wander_mg[k] = sc_uni(r, 0, 1000);
            pf->wander_period_ms[k] = sc_uni(r, 7, 31) * SC_HOUR;
            pf->wander_phase_ms[k] = sc_uni(r, 0, pf->wander_period_ms[k] - 1);
        }
    }
    /* A sunny afternoon in four runs of ten: a swing over 4 to 7 hours, at most
     * 20 g, so never faster than about 0.26 g a minute (a leak is 0.5 or more). */
    s->sun_len = 0;
    if (sc_chance(r, 40)) {
        s->sun_len = sc_uni(r, 4, 7) * SC_HOUR;
        s->sun_t0 =
            s->start_ms + sc_uni(r, 1, 4) * SC_DAY + sc_uni(r, 11, 14) * SC_HOUR;
    }
}

/*
 * Rates: a pack lasts 5 to 20 days, and at least the run's length / 1.2, so
 * a jar holds at most about 1.2 packs plus the margin. The standard deviation
 * of one observed rate x / g, x uniform in [a, b], g uniform in [lo, hi] days:
 * Var = E[x^2] E[1/g^2] - (E[x] E[1/g])^2 with E[1/g] = ln(hi/lo) / (hi - lo) =
 * ln 3 / G for hi = 1.5 G, lo = 0.5 G, and E[1/g^2] = 1 / (lo hi) = 4 / (3 G^2).
 */
static void
draw_rates(struct sc_plan *pl)
{
    struct scene *s = pl->s;
    int64_t days = (s->end_ms - s->start_ms + SC_DAY - 1) / SC_DAY;
    int64_t min_days = days * 10 / 12 + 1;

    for (unsigned i = 0; i < s->n; i++) {
        struct scene_item *it = &s->item[i];
        int64_t last = sc_uni(&pl->rng, min_days > 5 ? min_days : 5, 20);
        if (last < min_days)
            last = min_days;
        int64_t rate = it->pack_mg / last;
        while (it->uses_per_day > 1 && rate / it->uses_per_day < 5 * SC_G)
            it->uses_per_day--;
        it->interval_s = 86400 / it->uses_per_day;
        int64_t mean = rate / it->uses_per_day;
        it->rate_mg_per_day = mean * it->uses_per_day;
        /* In units of the mean use and of G: E[x] = 1, E[x^2] = 1 + 0.8^2 / 12. */
        int64_t ex2_ppm = 1000000 + 640000 / 12;
        int64_t einv_ppm = 1098612; /* ln 3 */
        int64_t var_ppm = ex2_ppm * 4 / 3 - einv_ppm * einv_ppm / 1000000;
        /* sigma = mean / G days * sqrt(var); isqrt of var in ppm^2. */
        int64_t v = var_ppm * 1000000, root = 0;
        for (int64_t bit = INT64_C(1) << 30; bit > 0; bit >>= 1)
            if ((root + bit) * (root + bit) <= v)
                root += bit;
        it->sigma_mg_per_day = mean * it->uses_per_day * root / 1000000;
    }
}

/* ---- playing the plan ---- */

static bool
blocked(const struct sc_plan *pl, unsigned item, int64_t t, int64_t *until)
{
    for (int k = 0; k < pl->sit.n_blocks; k++)
        if (pl->sit.block_item[k] == item && t + 5 * SC_MIN > pl->sit.block[k].t0 &&
            t < pl->sit.block[k].t1) {
            *until = pl->sit.block[k].t1;
            return true;
        }
    return false;
}

static void
reset_plan(struct scene *s)
{
    for (unsigned i = 0; i < SCENE_MAX_PLATFORMS; i++) {
        s->plat[i].ramp.n = 0;
        s->plat[i].wob.n = 0;
        s->plat[i].fx.n = 0;
        s->plat[i].gap.n = 0;
    }
    s->truth.n = 0;
}

/* Play the household and the situation from the state in pl. */
static void
play(struct sc_plan *pl)
{
    struct scene *s = pl->s;
    int64_t next[SCENE_MAX_PLATFORMS], stop = s->end_ms - 30 * SC_MIN, until;

    for (unsigned i = 0; i < s->n; i++) {
        struct sc_item_state *it = &pl->it[i];
        it->gross = s->item[i].container_mg + it->contents;
        memset(it->on, 0, sizeof(it->on));
        sc_item_ramp(pl, i, i, s->start_ms - 2000, 1, it->gross);
        next[i] =
            s->start_ms + sc_uni(&pl->rng, 10 * SC_MIN, s->item[i].interval_s * 1000);
    }
    pl->sit.next_step = 0;
    pl->sit.last = pl->sit.begin;
    while (s->error == 0) {
        unsigned best = SCENE_MAX_PLATFORMS;
        for (unsigned i = 0; i < s->n; i++)
            if (next[i] < stop && (best == SCENE_MAX_PLATFORMS || next[i] < next[best]))
                best = i;
        struct sc_sit *st = &pl->sit;
        if (st->next_step < st->n_steps &&
            (best == SCENE_MAX_PLATFORMS || st->step_t[st->next_step] <= next[best])) {
            int k = st->next_step++;
            if (k == 0)
                sc_truth(pl, st->begin, SCENE_T_SITUATION, st->p, 0, st->plats, 0);
            sc_sit_step(pl, k);
            if (st->next_step == st->n_steps)
                sc_truth(pl, st->last, SCENE_T_SITUATION_END, st->p, 0, st->plats, 0);
            continue;
        }
        if (best == SCENE_MAX_PLATFORMS)
            break;
        int64_t t = next[best], g = s->item[best].interval_s * 1000;
        if (blocked(pl, best, t, &until)) {
            next[best] = until + sc_uni(&pl->rng, 5 * SC_MIN, 60 * SC_MIN);
            continue;
        }
        int64_t end = use(pl, best, t);
        next[best] = t + sc_uni(&pl->rng, g / 2, g * 3 / 2);
        if (next[best] < end + SC_MIN)
            next[best] = end + SC_MIN;
    }
}

static int
by_ramp(const void *a, const void *b)
{
    const struct sc_ramp *x = a, *y = b;
    if (x->t0 != y->t0)
        return x->t0 < y->t0 ? -1 : 1;
    if (x->t1 != y->t1)
        return x->t1 < y->t1 ? -1 : 1;
    if (x->owner != y->owner)
        return x->owner < y->owner ? -1 : 1;
    return x->mg < y->mg ? -1 : x->mg > y->mg;
}

static int
by_t0(const void *a, const void *b)
{
    /* sc_ival, sc_wob and sc_fx all begin with t0, t1. */
    const int64_t *x = a, *y = b;
    if (x[0] != y[0])
        return x[0] < y[0] ? -1 : 1;
    return x[1] < y[1] ? -1 : x[1] > y[1];
}

/* qsort() of a vector; an empty one may hold NULL, which qsort() must not get. */
static void
sort(struct sc_vec *v, size_t sz, int (*cmp)(const void *, const void *))
{
    if (v->n > 1)
        qsort(v->p, v->n, sz, cmp);
}

/* Sort intervals and merge those that overlap or touch. */
static void
merge(struct sc_vec *v)
{
    struct sc_ival *a = v->p;
    size_t k = 0;
    if (v->n == 0)
        return;
    qsort(a, v->n, sizeof(*a), by_t0);
    for (size_t i = 1; i < v->n; i++) {
        if (a[i].t0 <= a[k].t1) {
            if (a[i].t1 > a[k].t1)
                a[k].t1 = a[i].t1;
        } else {
            a[++k] = a[i];
        }
    }
    v->n = k + 1;
}

static void
add_ival(struct scene *s, struct sc_vec *v, int64_t t0, int64_t t1)
{
    struct sc_ival *x = sc_push(v, sizeof(*x));
    if (x == NULL)
        s->error = -ENOMEM;
    else
        *x = (struct sc_ival){t0, t1};
}

/* Sorted ramps, activity (loads changing) and busy intervals (fast mode). */
static void
finish(struct scene *s)
{
    int64_t before = s->cfg.busy_before_ms, after = s->cfg.busy_after_ms;

    for (unsigned i = 0; i < s->n; i++) {
        struct sc_plat *pf = &s->plat[i];
        sort(&pf->ramp, sizeof(struct sc_ramp), by_ramp);
        sort(&pf->wob, sizeof(struct sc_wob), by_t0);
        sort(&pf->fx, sizeof(struct sc_fx), by_t0);
        merge(&pf->gap);
        pf->act.n = pf->busy.n = 0;
        const struct sc_ramp *r = pf->ramp.p;
        for (size_t k = 0; k < pf->ramp.n; k++) {
            if (r[k].owner != SC_OWNER_SENSOR)
                add_ival(s, &pf->act, r[k].t0, r[k].t1);
            add_ival(s, &pf->busy, r[k].t0 - before, r[k].t1 + after);
        }
        const struct sc_wob *w = pf->wob.p;
        for (size_t k = 0; k < pf->wob.n; k++) {
            add_ival(s, &pf->act, w[k].t0, w[k].t1);
            add_ival(s, &pf->busy, w[k].t0 - before, w[k].t1 + after);
        }
        const struct sc_fx *f = pf->fx.p;
        for (size_t k = 0; k < pf->fx.n; k++)
            add_ival(s, &pf->busy, f[k].t0 - before, f[k].t1 + after);
        const struct sc_ival *g = pf->gap.p;
        for (size_t k = 0; k < pf->gap.n; k++)
            add_ival(s, &pf->busy, g[k].t0 - before, g[k].t1 + after);
    }
    /* Every platform an episode touched is sampled at the full rate around the
     * moment its take or refill ended, even one that was quiet then. */
    const struct scene_truth *tr = s->truth.p;
    for (size_t k = 0; k < s->truth.n; k++)
        if (tr[k].kind == SCENE_T_CONSUME || tr[k].kind == SCENE_T_REFILL)
            for (unsigned i = 0; i < s->n; i++)
                if (tr[k].plats & 1u << i)
                    add_ival(s, &s->plat[i].busy, tr[k].t_ms - before,
                             tr[k].t_ms + after);
    for (unsigned i = 0; i < s->n; i++) {
        merge(&s->plat[i].act);
        merge(&s->plat[i].busy);
    }
    /* Records come nearly in order: a stable insertion sort by time. */
    struct scene_truth *t = s->truth.p;
    for (size_t i = 1; i < s->truth.n; i++) {
        struct scene_truth x = t[i];
        size_t j = i;
        for (; j > 0 && t[j - 1].t_ms > x.t_ms; j--)
            t[j] = t[j - 1];
        t[j] = x;
    }
}

int
sc_plan(struct scene *s)
{
    struct sc_plan pl = {.s = s, .rng = s->cfg.seed ^ UINT64_C(0x2545f4914f6cdd1d)};
    int64_t margin[SCENE_MAX_PLATFORMS], low[SCENE_MAX_PLATFORMS];

    /* The kind shifts the stream, so that seed N of two kinds differ. */
    for (int k = 0; k <= (int)s->cfg.kind; k++)
        sc_rnd(&pl.rng);
    draw_shelf(&pl);
    draw_models(&pl);
    sc_sit_draw(&pl, s->start_ms + 36 * SC_DAY / 10);
    s->end_ms = pl.sit.end + SC_DAY + sc_uni(&pl.rng, 0, 2 * SC_HOUR);
    draw_rates(&pl);
    for (unsigned i = 0; i < s->n; i++) {
        int64_t pack = s->item[i].pack_mg;
        margin[i] = sc_uni(&pl.rng, pack / 20, pack * 6 / 10);
        if (margin[i] < 30 * SC_G)
            margin[i] = 30 * SC_G;
    }
    /* First play with bottomless items: what does each lose at most? */
    struct sc_plan first = pl;
    for (unsigned i = 0; i < s->n; i++)
        first.it[i].contents = 1000 * s->item[i].pack_mg;
    play(&first);
    for (unsigned i = 0; i < s->n; i++)
        low[i] = first.it[i].contents;
    const struct scene_truth *t = s->truth.p;
    for (size_t k = 0; k < s->truth.n; k++)
        if (t[k].contents_mg < low[t[k].channel])
            low[t[k].channel] = t[k].contents_mg;
    reset_plan(s);
    for (unsigned i = 0; i < s->n; i++) {
        pl.it[i].contents = 1000 * s->item[i].pack_mg - low[i] + margin[i];
        s->item[i].contents_mg = pl.it[i].contents;
    }
    play(&pl);
    if (s->error == 0)
        finish(s);
    return s->error;
}
