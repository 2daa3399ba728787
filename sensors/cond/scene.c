/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The situation generator's API and sampler (see scene.h). scene_new() has
 * scene-act.c plan the whole run; scene_next() then walks every channel's
 * clock in time order and makes each sample from the plan: the true load
 * (ramps under way and done, a cat's breathing), creep (the reading lags a load
 * change by a first-order response of a few minutes), the thermal offset (a
 * daily cycle, slow wander, a sunny afternoon), noise of the drawn model, then
 * counts through the true calibration, clipped at the 24-bit rails as the
 * ADC's saturation codes (status ok: the IIO driver passes them on), and last
 * the sensor's own trouble: stuck codes, garbage, EIO, dropped samples, a
 * radio's spikes. Only integer arithmetic: the same bytes on every machine.
 */
#include "sensors/cond/scene.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/scene-int.h"
#include "sensors/cond/trace.h"

#define U_SUM_SD 37837 /* sd of a sum of four uniforms on [0, 65536) */

static const char *const kind_names[] = {
    [SCENE_NONE] = "none",
    [SCENE_CAT] = "cat",
    [SCENE_SET_DOWN] = "set-down",
    [SCENE_STRADDLE] = "straddle",
    [SCENE_PARK] = "park",
    [SCENE_DECANT] = "decant",
    [SCENE_STUCK] = "stuck",
    [SCENE_WIGGLE] = "wiggle",
    [SCENE_AWAY_DRIFT] = "away-drift",
    [SCENE_LEAK] = "leak",
    [SCENE_GAP] = "gap",
    [SCENE_EMI] = "emi",
    [SCENE_LEAN] = "lean",
    [SCENE_SCOOPS] = "scoops",
    [SCENE_DELIVERY] = "delivery",
    [SCENE_SHOP_REFILL] = "shop-refill",
    [SCENE_HAND] = "hand",
    [SCENE_KNOCK] = "knock",
};

const char *
scene_kind_to_str(enum scene_kind k)
{
    return (unsigned)k < SCENE_KIND_COUNT ? kind_names[k] : "?";
}

int
scene_kind_from_str(const char *s)
{
    for (int k = 0; k < SCENE_KIND_COUNT; k++)
        if (s != NULL && strcmp(s, kind_names[k]) == 0)
            return k;
    return -EINVAL;
}

const char *
scene_noise_to_str(enum scene_noise n)
{
    static const char *const names[] = {"normal", "heavy", "80hz"};
    return (unsigned)n < SCENE_NOISE_COUNT ? names[n] : "?";
}

const char *
scene_sampling_to_str(enum scene_sampling s)
{
    static const char *const names[] = {"10hz", "irregular", "gappy", "80hz"};
    return (unsigned)s < SCENE_SAMPLING_COUNT ? names[s] : "?";
}

const char *
scene_truth_kind_to_str(enum scene_truth_kind k)
{
    static const char *const names[] = {"consume",   "refill",       "fault",
                                        "fault-end", "gross",        "order",
                                        "situation", "situation-end"};
    return (unsigned)k < SCENE_T_KIND_COUNT ? names[k] : "?";
}

void
scene_config_default(struct scene_config *c, enum scene_kind kind, uint64_t seed)
{
    *c = (struct scene_config){
        .seed = seed,
        .kind = kind,
        .start_ms = INT64_C(1790812800000), /* 2026-10-01T00:00:00Z */
        .platforms = 0,
        .noise = -1,
        .sampling = -1,
        .wrong_cal = -1,
        .idle_period_ms = 0,
        .busy_before_ms = 5 * SC_SEC,
        .busy_after_ms = 20 * SC_SEC,
    };
}

static bool
config_ok(const struct scene_config *c)
{
    return (unsigned)c->kind < SCENE_KIND_COUNT && c->start_ms >= 0 &&
           c->start_ms <= INT64_C(1) << 50 &&
           (c->platforms == 0 ||
            (c->platforms >= 2 && c->platforms <= SCENE_MAX_PLATFORMS)) &&
           c->noise >= -1 && c->noise < SCENE_NOISE_COUNT && c->sampling >= -1 &&
           c->sampling < SCENE_SAMPLING_COUNT && c->wrong_cal >= -1 &&
           c->wrong_cal <= 1 &&
           (c->idle_period_ms == 0 ||
            (c->idle_period_ms >= 300 && c->idle_period_ms <= 4500)) &&
           c->busy_before_ms >= SC_SEC && c->busy_before_ms <= SC_MIN &&
           c->busy_after_ms >= SC_SEC && c->busy_after_ms <= 30 * SC_MIN;
}

static void
describe(struct scene *s)
{
    const struct scene_truth *t = s->truth.p;
    int64_t begin = 0, end = 0;
    uint32_t plats = 0;
    char items[64] = "";
    size_t k = 0;

    for (size_t i = 0; i < s->truth.n; i++) {
        if (t[i].kind == SCENE_T_SITUATION) {
            begin = t[i].t_ms;
            plats = t[i].plats;
        }
        if (t[i].kind == SCENE_T_SITUATION_END)
            end = t[i].t_ms;
    }
    for (unsigned i = 0; i < s->n; i++)
        if (plats & 1u << i)
            k += (size_t)snprintf(items + k, sizeof(items) - k, "%s%s", k ? "+" : "",
                                  s->item[i].id);
    int64_t day = (begin - s->start_ms) / SC_DAY, in = (begin - s->start_ms) % SC_DAY;
    snprintf(s->desc, sizeof(s->desc),
             "%s on %s at day %lld %02lld:%02lld for %lld s; %u platforms, noise %s, "
             "sampling %s, calibration %s, sunny afternoon %s",
             scene_kind_to_str(s->cfg.kind), items, (long long)day,
             (long long)(in / SC_HOUR), (long long)(in % SC_HOUR / SC_MIN),
             (long long)((end - begin) / SC_SEC), s->n, scene_noise_to_str(s->noise),
             scene_sampling_to_str(s->sampling),
             s->wrong_cal ? "a little off" : "exact", s->sun_len ? "yes" : "no");
}

int
scene_new(const struct scene_config *c, struct scene **out)
{
    *out = NULL;
    if (!config_ok(c))
        return -EINVAL;
    struct scene *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->cfg = *c;
    s->start_ms = c->start_ms;
    int r = sc_plan(s);
    if (r < 0) {
        scene_free(s);
        return r;
    }
    for (unsigned i = 0; i < s->n; i++) {
        struct sc_rt *rt = &s->rt[i];
        rt->rng = c->seed ^ (UINT64_C(0x5851f42d4c957f2d) * (i + 1)) ^
                  ((uint64_t)c->kind << 56);
        rt->next_t = s->start_ms + sc_uni(&rt->rng, 0, 999);
        rt->last_t = INT64_MIN;
        rt->therm_t = INT64_MIN;
    }
    describe(s);
    *out = s;
    return 0;
}

void
scene_free(struct scene *s)
{
    if (s == NULL)
        return;
    for (unsigned i = 0; i < SCENE_MAX_PLATFORMS; i++) {
        struct sc_plat *pf = &s->plat[i];
        sc_vec_free(&pf->ramp);
        sc_vec_free(&pf->wob);
        sc_vec_free(&pf->fx);
        sc_vec_free(&pf->gap);
        sc_vec_free(&pf->act);
        sc_vec_free(&pf->busy);
    }
    sc_vec_free(&s->truth);
    free(s);
}

/* ---- the sampler ---- */

/* Share of a ramp done at t, as mg. */
static int64_t
ramp_at(const struct sc_ramp *r, int64_t t)
{
    if (t <= r->t0)
        return 0;
    if (t >= r->t1)
        return r->mg;
    return r->mg * (t - r->t0) / (r->t1 - r->t0);
}

/* The load at t (mass in *phys, electrical offset in *sensor), t never going back. */
static void
load_at(struct scene *s, unsigned ch, int64_t t, int64_t *phys, int64_t *sensor)
{
    struct sc_rt *rt = &s->rt[ch];
    const struct sc_plat *pf = &s->plat[ch];
    const struct sc_ramp *r = pf->ramp.p;
    int64_t p = 0, e = 0;

    for (; rt->ramp_i < pf->ramp.n && r[rt->ramp_i].t0 <= t; rt->ramp_i++) {
        if (r[rt->ramp_i].t1 <= t ||
            rt->n_active == sizeof(rt->active) / sizeof(rt->active[0])) {
            *(r[rt->ramp_i].owner == SC_OWNER_SENSOR ? &rt->base_sensor
                                                     : &rt->base_phys) +=
                r[rt->ramp_i].mg;
            continue;
        }
        rt->active[rt->n_active++] = rt->ramp_i;
    }
    for (size_t k = 0; k < rt->n_active;) {
        const struct sc_ramp *a = &r[rt->active[k]];
        int64_t *base = a->owner == SC_OWNER_SENSOR ? &rt->base_sensor : &rt->base_phys;
        if (a->t1 <= t) {
            *base += a->mg;
            rt->active[k] = rt->active[--rt->n_active];
            continue;
        }
        *(a->owner == SC_OWNER_SENSOR ? &e : &p) += ramp_at(a, t);
        k++;
    }
    const struct sc_wob *w = pf->wob.p;
    while (rt->wob_i < pf->wob.n && w[rt->wob_i].t1 <= t)
        rt->wob_i++;
    for (size_t k = rt->wob_i; k < pf->wob.n && w[k].t0 <= t; k++) {
        if (w[k].t1 <= t)
            continue;
        /* Faded in and out over two seconds. */
        int64_t in = t - w[k].t0 < w[k].t1 - t ? t - w[k].t0 : w[k].t1 - t;
        int64_t amp = in < 2000 ? w[k].amp_mg * in / 2000 : w[k].amp_mg;
        p += amp * sc_sin_q16(t - w[k].t0, w[k].period_ms) / 65536;
    }
    *phys = rt->base_phys + p;
    *sensor = rt->base_sensor + e;
}

static int64_t
thermal(const struct scene *s, unsigned ch, int64_t t)
{
    const struct sc_plat *pf = &s->plat[ch];
    int64_t mg = pf->daily_mg * sc_sin_q16(t - s->daily_phase_ms, SC_DAY) / 65536;
    for (int k = 0; k < 2; k++)
        mg += pf->wander_mg[k] *
              sc_sin_q16(t + pf->wander_phase_ms[k], pf->wander_period_ms[k]) / 65536;
    if (s->sun_len > 0 && t > s->sun_t0 && t < s->sun_t0 + s->sun_len) {
        /* A raised cosine: up and back down over the afternoon. */
        int64_t c = sc_sin_q16(t - s->sun_t0 + s->sun_len / 4, s->sun_len);
        mg += pf->sunny_mg * (65536 - c) / 131072;
    }
    return mg;
}

static int64_t
noise(struct sc_rt *rt, const struct scene *s, const struct sc_plat *pf)
{
    uint64_t r = sc_rnd(&rt->rng);
    if (s->noise != SCENE_NOISE_HEAVY) {
        int64_t sum = (int64_t)(r & 0xffff) + (int64_t)((r >> 16) & 0xffff) +
                      (int64_t)((r >> 32) & 0xffff) + (int64_t)(r >> 48) - 2 * 65536;
        return sum * pf->noise_mg / U_SUM_SD;
    }
    /*
     * Laplace-like: sd * Exp(1) / sqrt(2) with a random sign, the exponential
     * as (G + U) ln 2, G the leading zero bits of a random word (geometric,
     * p = 1/2) and U uniform in [0, 1): the same tail, in integers.
     */
    uint64_t z = sc_rnd(&rt->rng) | 1;
    int64_t g = 0;
    while (!(z >> 63)) {
        z <<= 1;
        g++;
    }
    int64_t e_q16 = (g * 65536 + (int64_t)(r & 0xffff)) * 45426 / 65536;
    int64_t v = pf->noise_mg * 46341 / 65536 * e_q16 / 65536;
    if ((r >> 16) & 1)
        v = -v;
    if ((int64_t)((r >> 20) % 1000000) < pf->outlier_ppm)
        v += sc_uni(&rt->rng, 5 * SC_G, 20 * SC_G) * (((r >> 17) & 1) ? 1 : -1);
    return v;
}

static int32_t
counts(const struct sc_plat *pf, int64_t mg)
{
    int64_t x = mg * pf->cpk;
    int64_t c =
        pf->zero + (x >= 0 ? (x + 500000) / 1000000 : -((-x + 500000) / 1000000));
    /* Beyond its range the ADC gives its saturation codes. */
    return c > TRACE_RAW_MAX   ? TRACE_RAW_MAX
           : c < TRACE_RAW_MIN ? TRACE_RAW_MIN
                               : (int32_t)c;
}

static int32_t
garbage_code(struct sc_rt *rt)
{
    uint64_t r = sc_rnd(&rt->rng);
    if (r % 5 == 0)
        return (r >> 8) & 1 ? TRACE_RAW_MAX : TRACE_RAW_MIN;
    return (int32_t)((int64_t)((r >> 8) % 16777216) - 8388608);
}

static bool
busy_at(struct scene *s, unsigned ch, int64_t t, int64_t *next_busy)
{
    struct sc_rt *rt = &s->rt[ch];
    const struct sc_plat *pf = &s->plat[ch];
    const struct sc_ival *b = pf->busy.p;
    while (rt->busy_i < pf->busy.n && b[rt->busy_i].t1 <= t)
        rt->busy_i++;
    *next_busy = rt->busy_i < pf->busy.n ? b[rt->busy_i].t0 : INT64_MAX;
    return rt->busy_i < pf->busy.n && b[rt->busy_i].t0 <= t;
}

static int64_t
next_time(struct scene *s, unsigned ch, int64_t t)
{
    struct sc_rt *rt = &s->rt[ch];
    int64_t step, gap = 0, next_busy;

    switch (s->sampling) {
    case SCENE_SAMPLING_80HZ:
        step = (rt->tick++ & 1) ? 13 : 12;
        break;
    case SCENE_SAMPLING_IRREGULAR:
        step = sc_uni(&rt->rng, 70, 260);
        break;
    case SCENE_SAMPLING_GAPPY:
        /* About three gaps an hour of 0.5 to 4 s: a stalled reader. */
        if ((int64_t)(sc_rnd(&rt->rng) % 1200000) < 100)
            gap = sc_uni(&rt->rng, 500, 4000);
        /* fall through */
    case SCENE_SAMPLING_10HZ:
    default:
        step = 100 + sc_uni(&rt->rng, -8, 8);
        break;
    }
    int64_t idle = s->cfg.idle_period_ms;
    if (idle > 0 && !busy_at(s, ch, t, &next_busy)) {
        step = idle + sc_uni(&rt->rng, -idle / 6, idle / 6);
        if (t + step > next_busy)
            step = next_busy - t > 0 ? next_busy - t : 1;
    }
    /* A gap replaces the period rather than adding to it in the fast mode. */
    if (gap > step)
        step = gap;
    return t + step;
}

/* One sample of channel ch at its next_t: 1, or 0 when none is taken then. */
static int
sample_at(struct scene *s, unsigned ch, struct sample *out)
{
    struct sc_rt *rt = &s->rt[ch];
    const struct sc_plat *pf = &s->plat[ch];
    int64_t t = rt->next_t, phys, sensor;

    const struct sc_ival *g = pf->gap.p;
    while (rt->gap_i < pf->gap.n && g[rt->gap_i].t1 <= t)
        rt->gap_i++;
    if (rt->gap_i < pf->gap.n && g[rt->gap_i].t0 <= t) {
        rt->next_t = g[rt->gap_i].t1 + sc_uni(&rt->rng, 0, 99);
        return 0;
    }
    if (t < rt->drop_until) {
        rt->next_t = rt->drop_until;
        return 0;
    }
    load_at(s, ch, t, &phys, &sensor);
    if (rt->last_t == INT64_MIN)
        rt->lag_mg = phys;
    else
        rt->lag_mg += (phys - rt->lag_mg) * (t - rt->last_t) /
                      (pf->creep_tau_ms + (t - rt->last_t));
    if (rt->therm_t == INT64_MIN || t - rt->therm_t >= SC_SEC) {
        rt->therm_mg = thermal(s, ch, t);
        rt->therm_t = t;
    }
    int64_t creep = -(phys - rt->lag_mg) * pf->creep_ppm / 1000000;
    int64_t mg = phys + sensor + creep + rt->therm_mg + noise(rt, s, pf);

    *out = (struct sample){.t_ms = t, .channel = (uint16_t)ch, .status = SAMPLE_OK};
    bool normal = true, frozen = false;
    const struct sc_fx *f = pf->fx.p;
    while (rt->fx_i < pf->fx.n && f[rt->fx_i].t1 <= t)
        rt->fx_i++;
    for (size_t k = rt->fx_i; k < pf->fx.n && f[k].t0 <= t; k++) {
        if (f[k].t1 <= t)
            continue;
        uint64_t r = sc_rnd(&rt->rng);
        switch ((enum sc_fx_kind)f[k].kind) {
        case SC_FX_EMI:
            if ((int64_t)(r % 1000000) < f[k].a)
                mg +=
                    sc_uni(&rt->rng, 50 * SC_G, 3000 * SC_G) * ((r >> 40) & 1 ? 1 : -1);
            break;
        case SC_FX_FROZEN:
            frozen = true;
            break;
        case SC_FX_ZERO:
        case SC_FX_RAIL_HI:
        case SC_FX_RAIL_LO:
        case SC_FX_GARBAGE:
        case SC_FX_WIGGLE:
            normal = false;
            break;
        }
    }
    out->raw = counts(pf, mg);
    for (size_t k = rt->fx_i; k < pf->fx.n && f[k].t0 <= t; k++) {
        if (f[k].t1 <= t)
            continue;
        uint64_t r = sc_rnd(&rt->rng);
        switch ((enum sc_fx_kind)f[k].kind) {
        case SC_FX_ZERO:
            out->raw = 0;
            break;
        case SC_FX_RAIL_HI:
            out->raw = TRACE_RAW_MAX;
            break;
        case SC_FX_RAIL_LO:
            out->raw = TRACE_RAW_MIN;
            break;
        case SC_FX_GARBAGE:
            out->raw = garbage_code(rt);
            break;
        case SC_FX_WIGGLE:
            if (r % 100 < 35) {
                out->status = SAMPLE_EIO;
                out->raw = 0;
            } else if (r % 100 < 65) {
                out->raw = garbage_code(rt);
            } else {
                /* The contact is open: nothing for a fraction of a second. */
                rt->drop_until = t + sc_uni(&rt->rng, 100, 900);
                rt->next_t = rt->drop_until;
                return 0;
            }
            break;
        case SC_FX_EMI:
        case SC_FX_FROZEN:
            break;
        }
    }
    if (frozen) {
        if (!rt->frozen_set)
            rt->frozen_raw = rt->last_raw;
        rt->frozen_set = true;
        out->raw = rt->frozen_raw;
        normal = false;
    } else {
        rt->frozen_set = false;
    }
    if (normal && (int64_t)(sc_rnd(&rt->rng) % 1000000) < pf->garbage_ppm) {
        if (sc_chance(&rt->rng, 50)) {
            out->raw = garbage_code(rt);
        } else {
            out->status = SAMPLE_TIMEOUT;
            out->raw = 0;
        }
    } else if (normal) {
        rt->last_raw = out->raw;
    }
    rt->last_t = t;
    rt->next_t = next_time(s, ch, t);
    return 1;
}

int
scene_next(struct scene *s, struct sample *out)
{
    for (;;) {
        unsigned best = 0;
        for (unsigned i = 1; i < s->n; i++)
            if (s->rt[i].next_t < s->rt[best].next_t)
                best = i;
        if (s->rt[best].next_t >= s->end_ms)
            return 0;
        if (sample_at(s, best, out))
            return 1;
    }
}

/* ---- queries ---- */

const struct scene_truth *
scene_truth(const struct scene *s, size_t *n)
{
    *n = s->truth.n;
    return s->truth.p;
}

unsigned
scene_channels(const struct scene *s)
{
    return s->n;
}

const struct scene_item *
scene_item(const struct scene *s, unsigned channel)
{
    return &s->item[channel < s->n ? channel : 0];
}

int64_t
scene_start_ms(const struct scene *s)
{
    return s->start_ms;
}

int64_t
scene_end_ms(const struct scene *s)
{
    return s->end_ms;
}

const char *
scene_describe(const struct scene *s)
{
    return s->desc;
}

void
scene_cal(const struct scene *s, unsigned channel, struct cond_cal *out)
{
    *out = s->plat[channel < s->n ? channel : 0].cal;
}

void
scene_true_cal(const struct scene *s, unsigned channel, struct cond_cal *out)
{
    const struct sc_plat *pf = &s->plat[channel < s->n ? channel : 0];
    *out = (struct cond_cal){
        .raw_zero = pf->zero, .span_raw = pf->cpk, .span_mg = 1000000};
}

int64_t
scene_load_mg(const struct scene *s, unsigned plat, int64_t t_ms, unsigned owners)
{
    if (plat >= s->n)
        return 0;
    const struct sc_plat *pf = &s->plat[plat];
    const struct sc_ramp *r = pf->ramp.p;
    int64_t mg = 0;
    for (size_t k = 0; k < pf->ramp.n && r[k].t0 < t_ms; k++) {
        unsigned bit = r[k].owner == SC_OWNER_FOREIGN  ? SCENE_OWNER_FOREIGN
                       : r[k].owner < SC_OWNER_FOREIGN ? 1u << r[k].owner
                                                       : 0;
        if (owners & bit)
            mg += ramp_at(&r[k], t_ms);
    }
    return mg;
}

int64_t
scene_quiet_from(const struct scene *s, uint32_t plats, int64_t t_ms, int64_t quiet_ms)
{
    int64_t t = t_ms;
    bool moved = true;
    while (moved) {
        moved = false;
        for (unsigned p = 0; p < s->n; p++) {
            if (!(plats & 1u << p))
                continue;
            const struct sc_ival *a = s->plat[p].act.p;
            size_t lo = 0, hi = s->plat[p].act.n;
            while (lo < hi) { /* the first interval that ends after t */
                size_t mid = (lo + hi) / 2;
                if (a[mid].t1 <= t)
                    lo = mid + 1;
                else
                    hi = mid;
            }
            if (lo < s->plat[p].act.n && a[lo].t0 < t + quiet_ms) {
                t = a[lo].t1;
                moved = true;
            }
        }
    }
    return t;
}

/* ---- files ---- */

static int
write_truth(const struct scene *s, FILE *f)
{
    const struct scene_truth *t = s->truth.p;
    int r = 0;
    if (fprintf(f, "# pantry-scene-truth v1\n# %s\n# seed %llu, %lld to %lld\n",
                s->desc, (unsigned long long)s->cfg.seed, (long long)s->start_ms,
                (long long)s->end_ms) < 0)
        r = -EIO;
    for (unsigned i = 0; i < s->n && r == 0; i++) {
        const struct scene_item *it = &s->item[i];
        if (fprintf(f, "item %u %s %lld %lld %lld %lld %lld %lld\n", i, it->id,
                    (long long)it->pack_mg, (long long)it->container_mg,
                    (long long)it->contents_mg, (long long)it->rate_mg_per_day,
                    (long long)it->sigma_mg_per_day, (long long)it->interval_s) < 0)
            r = -EIO;
    }
    for (size_t i = 0; i < s->truth.n && r == 0; i++) {
        char extra[64] = "";
        size_t k = 0;
        if (t[i].flags & SCENE_TF_SLOW)
            k += (size_t)snprintf(extra + k, sizeof(extra) - k, " slow %lld",
                                  (long long)t[i].start_ms);
        if (t[i].flags & SCENE_TF_UNOBSERVABLE)
            k += (size_t)snprintf(extra + k, sizeof(extra) - k, " unobservable");
        if (t[i].flags & SCENE_TF_DELIVERY)
            snprintf(extra + k, sizeof(extra) - k, " delivery %d", (int)t[i].order);
        if (fprintf(f, "%lld %u %s %lld %lld %lld %u%s\n", (long long)t[i].t_ms,
                    t[i].channel,
                    scene_truth_kind_to_str((enum scene_truth_kind)t[i].kind),
                    (long long)t[i].mg, (long long)t[i].contents_mg,
                    (long long)t[i].gross_mg, (unsigned)t[i].plats, extra) < 0)
            r = -EIO;
    }
    if (r == 0 && fflush(f) != 0)
        r = -EIO;
    return r;
}

int
scene_write(const struct scene_config *c, FILE *trace, FILE *truth)
{
    struct scene *s;
    struct trace_writer w;
    struct sample smp;
    char note[TRACE_NOTE_MAX + 1];
    int r = scene_new(c, &s);
    if (r < 0)
        return r;
    trace_writer_init(&w, trace);
    for (unsigned i = 0; i < s->n; i++)
        trace_write_channel(&w, i, s->item[i].id);
    snprintf(note, sizeof(note), "%.190s", s->desc);
    trace_write_note(&w, s->start_ms, note);
    for (unsigned i = 0; i < s->n; i++) {
        snprintf(note, sizeof(note),
                 "calibration of %s (channel %u): %ld counts at 0 g, %ld counts per kg",
                 s->item[i].id, i, (long)s->plat[i].cal.raw_zero,
                 (long)s->plat[i].cal.span_raw);
        trace_write_note(&w, s->start_ms, note);
    }
    const struct scene_truth *t = s->truth.p;
    size_t ti = 0;
    while ((r = scene_next(s, &smp)) == 1) {
        /* Situation marks and true records as notes, where they belong in time. */
        for (; ti < s->truth.n && t[ti].t_ms <= smp.t_ms; ti++) {
            snprintf(note, sizeof(note), "truth: %s %s %lld mg",
                     scene_truth_kind_to_str((enum scene_truth_kind)t[ti].kind),
                     s->item[t[ti].channel].id, (long long)t[ti].mg);
            if ((r = trace_write_note(&w, smp.t_ms, note)) < 0)
                goto out;
        }
        if ((r = trace_write_sample(&w, &smp)) < 0)
            goto out;
    }
    if (r == 0)
        r = trace_writer_flush(&w);
    if (r == 0)
        r = write_truth(s, truth);
out:
    scene_free(s);
    return r;
}
