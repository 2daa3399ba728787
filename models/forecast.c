/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-item forecaster (see forecast.h): turns consumption events into rate
 * observations and weights for the method chosen, and answers rate and runout.
 * Methods are chosen with if/else rather than a switch: a jump table on
 * ARMv6-M would pull in libgcc's __gnu_thumb1_case_* helpers.
 */
#include "models/forecast.h"

#include "models/fx.h"
#include "models/quantile.h"

/* sqrt(pi / 2) in Q32.32: standard deviation / mean absolute deviation of a normal. */
#define SD_PER_MAD_Q32 UINT64_C(5382943231)
#define UG_PER_MG 1000
/* Before this many events, the spreads are at least half the size and interval. */
#define SIGMA_WARM_EVENTS 4
/* A silence longer than 2^AWAY_SHIFT = 4 typical intervals is absence (a holiday). */
#define AWAY_SHIFT 2
/* The fast rate's half-life is the level's divided by this. */
#define FAST_DIV 4
/* Events in a row with the fast rate 5/4 of the level (or 4/5): a step. */
#define SHIFT_EVENTS 4

/*
 * Event sizes (mg) and intervals (s) are smoothed in Q16: with small weights,
 * say events a minute apart and a half-life of a day, a change of a few units
 * times the weight rounds to nothing, and whole units would freeze.
 */
#define Q16_SHIFT 16
#define Q16_ONE (INT64_C(1) << Q16_SHIFT)

/* The typical interval in Q16 seconds, and in whole seconds (>= 1). */
static int64_t
interval_q16(const struct fc *f)
{
    return fx_clamp(ses_forecast(&f->cr.interval), Q16_ONE,
                    MODELS_DT_MAX_S << Q16_SHIFT);
}

static int64_t
interval_s(const struct fc *f)
{
    return fx_clamp((ses_forecast(&f->cr.interval) + Q16_ONE / 2) >> Q16_SHIFT, 1,
                    MODELS_DT_MAX_S);
}

static const char *const method_names[FC_METHOD_COUNT] = {
    "ses", "holt", "croston", "sba", "tsb",
};

const char *
fc_method_to_str(enum fc_method m)
{
    if ((unsigned)m >= FC_METHOD_COUNT)
        return "?";
    return method_names[m];
}

void
fc_init(struct fc *f, int64_t t0_s)
{
    f->t_last_s = t0_s;
    f->span_s = 0;
    croston_init(&f->cr);
    ses_init(&f->rate);
    ses_init(&f->fast);
    f->shift = 0;
    holt_init(&f->holt);
    ses_init(&f->freq);
}

uint32_t
fc_events(const struct fc *f)
{
    return f->cr.size.n;
}

/* The method's own rate at elapsed e after the last event, before overdue decay. */
static int64_t
method_rate(const struct fc *f, const struct fc_params *p, int64_t growth_q16)
{
    if (p->method == FC_SES)
        return ses_forecast(&f->rate);
    if (p->method == FC_HOLT)
        return holt_forecast(&f->holt,
                             holt_growth_time_q16(growth_q16, p->damp_half_life_s));
    if (p->method == FC_TSB)
        /* size (Q16 mg) * 1000 * events/day (Q32), rounded once at the end */
        return fx_muldiv(fx_mul(ses_forecast(&f->cr.size), UG_PER_MG),
                         ses_forecast(&f->freq), INT64_C(1) << 48);
    /* Both in Q16: the scales cancel. */
    int64_t r = fx_muldiv(ses_forecast(&f->cr.size), MODELS_UGPD_PER_MG_PER_S,
                          ses_forecast(&f->cr.interval));
    if (p->method == FC_SBA)
        r = croston_sba_correct(r, fx_alpha_q16(interval_q16(f), p->half_life_s));
    return r;
}

/*
 * Rate at now, horizon averaged, with overdue decay; requires one event.
 * alpha_e is fx_alpha_q32(now - t_last, half-life) when the caller has it, or
 * UINT64_MAX to compute it here if needed.
 */
static int64_t
rate_at(const struct fc *f, const struct fc_params *p, int64_t now_s, int64_t horizon_s,
        uint64_t alpha_e)
{
    int64_t e = fx_clamp(fx_sub_sat(now_s, f->t_last_s), 0, MODELS_DT_MAX_S);
    int64_t h = fx_clamp(horizon_s, 0, MODELS_DT_MAX_S);
    /* e + h / 2 in Q16: an odd horizon keeps its half second. */
    int64_t r = method_rate(f, p, (e << Q16_SHIFT) + (h << (Q16_SHIFT - 1)));
    if ((p->overdue_decay || p->method == FC_TSB) &&
        (e << Q16_SHIFT) > ses_forecast(&f->cr.interval)) {
        /* One typical event in the time since the last one: if that is less than */
        /* the forecast, the silence is an observation and pulls the rate down. */
        int64_t pending = fx_muldiv(ses_forecast(&f->cr.size), MODELS_UGPD_PER_MG_PER_S,
                                    e << Q16_SHIFT);
        if (pending < r) {
            if (alpha_e == UINT64_MAX)
                alpha_e = fx_alpha_q32(e, p->half_life_s);
            r += fx_mul_q32(pending - r, alpha_e);
        }
    }
    return fx_clamp(r, 0, MODELS_RATE_MAX_UGPD);
}

static uint64_t
max_u64(uint64_t a, uint64_t b)
{
    return a > b ? a : b;
}

/*
 * max(alpha, floor(2^32 / (n + 1))) for n >= 1: the weight of the typical
 * interval, or the warm-up share of the (n + 1)-th interval if larger. The
 * share is at most alpha exactly when 2^32 < (alpha + 1)(n + 1). Without a
 * divide (Cortex-M0) that product is checked first, so the division loop runs
 * only in the first events; with one, the division is fewer instructions.
 */
static inline uint64_t
warm_event(uint64_t alpha, uint32_t n)
{
#ifdef FX_SOFT_ARITH
    if (alpha >= MODELS_Q32_ONE)
        return alpha;
    if (n < UINT32_MAX) {
        /* < (2^32 - 1)^2 + 2^32: no overflow */
        uint64_t prod = fx_mul_u32((uint32_t)alpha, n + 1u) + n + 1u;
        if (prod > MODELS_Q32_ONE)
            return alpha;
    }
#endif
    return max_u64(alpha, fx_udiv(MODELS_Q32_ONE, (uint64_t)n + 1));
}

/*
 * SES's level follows a step within a few events: a fast rate (a quarter of the
 * half-life) that stays beyond 5/4 or under 4/5 of the level for SHIFT_EVENTS
 * events in a row becomes the level.
 */
static void
follow_step(struct fc *f, const struct fc_params *p, int64_t y, int64_t dt,
            uint64_t warm_q32)
{
    int64_t h = p->half_life_s / FAST_DIV > 0 ? p->half_life_s / FAST_DIV : 1;
    uint64_t a = max_u64(fx_alpha_q32(dt, h), warm_q32);
    ses_step(&f->fast, y, a, true);
    int64_t slow = ses_forecast(&f->rate), fast = ses_forecast(&f->fast);
    /* Rates are at most 2^56: three times one fits. */
    /* fast > 5/4 slow, fast < 4/5 slow (to a unit): the Cortex-M0 has no
     * 64-bit multiply, and gcc turns x + 4x into one. */
    if (fast - slow > slow >> 2)
        f->shift = f->shift > 0 ? f->shift + 1 : 1;
    else if (fast + (fast >> 2) < slow)
        f->shift = f->shift < 0 ? f->shift - 1 : -1;
    else
        f->shift = 0;
    if (f->shift >= SHIFT_EVENTS || f->shift <= -SHIFT_EVENTS) {
        f->rate.level = fast;
        f->shift = 0;
    }
}

/*
 * The method's own step for one event dt seconds after the last (after the away
 * rule, the span already counting it) of mg milligrams: SES, Holt and TSB.
 */
static void
rate_step(struct fc *f, const struct fc_params *p, int64_t dt, int64_t mg)
{
    /*
     * Warm-up: until about one half-life has been observed, weigh this event by
     * its share of the time seen so far, dt / span, so that the level is the plain
     * time-weighted average of everything seen instead of leaning on the first
     * observation. Afterwards 1 - 2^(-dt/h) is the larger weight.
     */
    uint64_t warm = (uint64_t)fx_div_q32(dt, f->span_s);
    uint64_t alpha = max_u64(fx_alpha_q32(dt, p->half_life_s), warm);
    if (p->method == FC_TSB) {
        /* Events per day in Q32.32: 86400 << 32 fits 49 bits. */
        int64_t per_day = (int64_t)fx_udiv((uint64_t)MODELS_DAY_S << 32, (uint64_t)dt);
        ses_step(&f->freq, per_day, alpha, true);
        return;
    }
    int64_t y = fx_muldiv(mg, MODELS_UGPD_PER_MG_PER_S, dt);
    if (p->method == FC_SES) {
        ses_step(&f->rate, y, alpha, true);
        follow_step(f, p, y, dt, warm);
    } else if (p->method == FC_HOLT) {
        if (f->holt.n == 0) {
            holt_start(&f->holt, y, 0);
        } else {
            struct holt_step w;
            holt_step_time_alpha(&w, dt, alpha, p->trend_half_life_s,
                                 p->damp_half_life_s);
            holt_update(&f->holt, y, &w);
        }
    }
}

void
fc_consume(struct fc *f, const struct fc_params *p, int64_t t_s, int64_t mg)
{
    mg = fx_clamp(mg, 0, MODELS_MASS_MAX_MG);
    int64_t dt = fx_clamp(fx_sub_sat(t_s, f->t_last_s), 1, MODELS_DT_MAX_S);
    /*
     * Away is not slow use: once the typical interval is known, a silence of
     * more than 4 of them counts as one typical interval, so the first use after
     * a holiday does not drag the rate (or the interval) down. (A shift: the
     * Cortex-M0 has no 64-bit multiply.)
     */
    if (f->cr.size.n >= SIGMA_WARM_EVENTS && dt > interval_s(f) << AWAY_SHIFT)
        dt = interval_s(f);
    f->span_s = fx_clamp(fx_add_sat(f->span_s, dt), 1, INT64_C(1) << 40);

    f->t_last_s = t_s > f->t_last_s ? t_s : f->t_last_s + 1;
    /*
     * Sizes and intervals get one weight per event, that of the typical interval:
     * weighted by its own dt, a long interval would count more than a short one
     * and the mean interval would come out as E[dt^2] / E[dt] (Croston's rate
     * half the true one on steady use, found by tests/eval).
     */
    /* The same warm-up per event: 1 / n of the weight for the n-th interval. */
    uint64_t alpha_ev = MODELS_Q32_ONE;
    if (f->cr.interval.n > 0)
        alpha_ev =
            warm_event(fx_alpha_q16(interval_q16(f), p->half_life_s), f->cr.interval.n);
    croston_demand(&f->cr, mg << Q16_SHIFT, dt << Q16_SHIFT, alpha_ev);
    /*
     * The time-aware weight, the warm-up share and the observed rate are only
     * worked out for the methods that use them (tests/bench/RESULTS.md): Croston
     * and SBA smooth sizes and intervals alone, with the weight per event.
     */
    if (p->method != FC_CROSTON && p->method != FC_SBA)
        rate_step(f, p, dt, mg);
}

void
fc_resume(struct fc *f, int64_t t_s)
{
    if (t_s > f->t_last_s)
        f->t_last_s = t_s;
}

/*
 * The spread of one event's use over its interval p, as a rate (fc_rate). The
 * spreads are capped at 2^31 mg before they are squared, so the sum fits.
 */
static int64_t
sigma_of(const struct fc *f, int64_t rate_ugpd, int64_t p_s)
{
    const int64_t cap = INT64_C(1) << 31;
    int64_t sd_size = fx_mul_q32(f->cr.size.mad, SD_PER_MAD_Q32) >> Q16_SHIFT;
    int64_t sd_gap = fx_mul_q32(f->cr.interval.mad, SD_PER_MAD_Q32) >> Q16_SHIFT;
    if (f->cr.size.n < SIGMA_WARM_EVENTS) {
        /* One event says little: at least half the size and half the interval. */
        int64_t half_size = ses_forecast(&f->cr.size) >> (Q16_SHIFT + 1);
        int64_t half_gap = ses_forecast(&f->cr.interval) >> (Q16_SHIFT + 1);
        sd_size = sd_size > half_size ? sd_size : half_size;
        sd_gap = sd_gap > half_gap ? sd_gap : half_gap;
    }
    /* rate * sd_interval in mg: ug/day * s / (86400 s/day * 1000 ug/mg). */
    int64_t b =
        fx_clamp(fx_muldiv(sd_gap, rate_ugpd, MODELS_UGPD_PER_MG_PER_S), 0, cap);
    int64_t a = fx_clamp(sd_size, 0, cap);
    uint64_t c = fx_isqrt((uint64_t)fx_mul(a, a) + (uint64_t)fx_mul(b, b));
    return fx_clamp(fx_muldiv((int64_t)c, MODELS_UGPD_PER_MG_PER_S, p_s), 0,
                    MODELS_RATE_MAX_UGPD);
}

void
fc_rate(const struct fc *f, const struct fc_params *p, int64_t now_s, int64_t horizon_s,
        struct fc_rate *out)
{
    out->interval_s = f->cr.interval.n > 0 ? interval_s(f) : MODELS_DAY_S;
    if (f->cr.size.n == 0) {
        out->rate_ugpd = 0;
        out->sigma_ugpd = 0;
        return;
    }
    out->rate_ugpd = rate_at(f, p, now_s, horizon_s, UINT64_MAX);
    out->sigma_ugpd = sigma_of(f, out->rate_ugpd, out->interval_s);
}

void
fc_runout(const struct fc *f, const struct fc_params *p, int64_t stock_mg,
          uint32_t service_bp, int64_t now_s, struct runout *out)
{
    struct fc_rate r;
    int32_t z = quant_normal_q16(service_bp);
    fc_rate(f, p, now_s, 0, &r);
    runout_predict(stock_mg, r.rate_ugpd, r.sigma_ugpd, r.interval_s, z, now_s, out);
    if (p->method == FC_HOLT && out->t_mid_s != MODELS_NEVER) {
        /* The trend moves the rate: use its average until the first estimate. */
        fc_rate(f, p, now_s, out->t_mid_s - now_s, &r);
        runout_predict(stock_mg, r.rate_ugpd, r.sigma_ugpd, r.interval_s, z, now_s,
                       out);
    }
}
