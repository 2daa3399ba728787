/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Holt's linear trend method (see holt.h). One update is R forecast's zzhw()
 * recursion written with Q32 weights:
 *
 *     xhat = l + growth * b
 *     l'   = xhat + alpha * (y - xhat)
 *     b'   = carry * b + beta * ((l' - l) / dt - carry * b)
 */
#include "models/holt.h"

#include "models/fx.h"

/* tau = 1 / ln 2 in Q32.32: a half-life of h days is a time constant of tau * h. */
#define INV_LN2_Q32 UINT64_C(6196328019)

void
holt_step_periodic(struct holt_step *w, uint64_t alpha_q32, uint64_t beta_q32,
                   uint64_t phi_q32)
{
    w->alpha_q32 = alpha_q32;
    w->beta_q32 = beta_q32;
    w->growth_q32 = phi_q32;
    w->carry_q32 = phi_q32;
    w->dt_q32 = MODELS_Q32_ONE;
}

/* Seconds as days in Q32.32; s <= DT_MAX < 2^27, so s << 32 fits. */
static uint64_t
days_q32(int64_t s)
{
    return fx_udiv((uint64_t)s << 32, (uint64_t)MODELS_DAY_S);
}

/* tau * (1 - decay) days, tau = h / ln 2: the integral of a decaying trend. */
static uint64_t
damped_growth(uint64_t decay_q32, int64_t damp_half_life_s)
{
    uint64_t tau_q32 = (uint64_t)fx_mul_q32(
        (int64_t)days_q32(fx_clamp(damp_half_life_s, 1, MODELS_DT_MAX_S)), INV_LN2_Q32);
    return (uint64_t)fx_mul_q32((int64_t)tau_q32, MODELS_Q32_ONE - decay_q32);
}

uint64_t
holt_growth_time_q16(int64_t horizon_q16, int64_t damp_half_life_s)
{
    horizon_q16 = fx_clamp(horizon_q16, 0, MODELS_DT_MAX_S << 16);
    if (damp_half_life_s <= 0)
        return fx_udiv((uint64_t)horizon_q16 << 16, (uint64_t)MODELS_DAY_S);
    return damped_growth(fx_decay_q16(horizon_q16, damp_half_life_s), damp_half_life_s);
}

uint64_t
holt_growth_time(int64_t horizon_s, int64_t damp_half_life_s)
{
    return holt_growth_time_q16(fx_clamp(horizon_s, 0, MODELS_DT_MAX_S) << 16,
                                damp_half_life_s);
}

void
holt_step_time(struct holt_step *w, int64_t dt_s, int64_t half_life_s,
               int64_t trend_half_life_s, int64_t damp_half_life_s)
{
    dt_s = fx_clamp(dt_s, 1, MODELS_DT_MAX_S);
    holt_step_time_alpha(w, dt_s, fx_alpha_q32(dt_s, half_life_s), trend_half_life_s,
                         damp_half_life_s);
}

void
holt_step_time_alpha(struct holt_step *w, int64_t dt_s, uint64_t alpha_q32,
                     int64_t trend_half_life_s, int64_t damp_half_life_s)
{
    dt_s = fx_clamp(dt_s, 1, MODELS_DT_MAX_S);
    w->alpha_q32 = alpha_q32 > MODELS_Q32_ONE ? MODELS_Q32_ONE : alpha_q32;
    w->beta_q32 = fx_alpha_q32(dt_s, trend_half_life_s);
    w->dt_q32 = days_q32(dt_s);
    if (damp_half_life_s <= 0) {
        w->carry_q32 = MODELS_Q32_ONE;
        w->growth_q32 = w->dt_q32;
    } else {
        w->carry_q32 = fx_decay_q32(dt_s, damp_half_life_s);
        w->growth_q32 = damped_growth(w->carry_q32, damp_half_life_s);
    }
}

void
holt_init(struct holt *h)
{
    h->level = 0;
    h->trend = 0;
    h->mad = 0;
    h->first = 0;
    h->n = 0;
}

void
holt_start(struct holt *h, int64_t level, int64_t trend)
{
    h->level = fx_clamp(level, -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    h->trend = fx_clamp(trend, -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    h->first = h->level;
    h->mad = 0;
    h->n = 2;
}

static void
step(struct holt *h, int64_t y, const struct holt_step *w)
{
    int64_t xhat = holt_forecast(h, w->growth_q32);
    int64_t e = fx_sub_sat(y, xhat);
    int64_t l = fx_add_sat(xhat, fx_mul_q32(e, w->alpha_q32));
    int64_t moved = fx_sub_sat(l, h->level);
    /* Per-period slope of this step; one period needs no division. */
    int64_t slope =
        w->dt_q32 == MODELS_Q32_ONE ? moved : fx_div_q32(moved, (int64_t)w->dt_q32);
    int64_t carried = fx_mul_q32(h->trend, w->carry_q32);
    h->trend = fx_clamp(
        fx_add_sat(carried, fx_mul_q32(fx_sub_sat(slope, carried), w->beta_q32)),
        -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    h->level = fx_clamp(l, -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    uint64_t ae = fx_abs(e);
    int64_t abs_e = ae > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)ae;
    h->mad = fx_add_sat(h->mad, fx_mul_q32(fx_sub_sat(abs_e, h->mad), w->alpha_q32));
}

void
holt_update(struct holt *h, int64_t y, const struct holt_step *w)
{
    y = fx_clamp(y, -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    if (w->dt_q32 == 0)
        return;
    if (h->n == 0) {
        h->first = y;
        h->level = y;
        h->trend = 0;
        h->n = 1;
        return;
    }
    if (h->n == 1) {
        /* R's "simple" start: l0 = y1, b0 = (y2 - y1) per period, then both */
        /* observations are smoothed in as the first two steps of the recursion. */
        h->level = h->first;
        h->trend = w->dt_q32 == MODELS_Q32_ONE
                       ? y - h->first
                       : fx_div_q32(y - h->first, (int64_t)w->dt_q32);
        step(h, h->first, w);
    }
    step(h, y, w);
    if (h->n != UINT32_MAX)
        h->n++;
}

int64_t
holt_forecast(const struct holt *h, uint64_t growth_q32)
{
    return fx_add_sat(h->level, fx_mul_q32(h->trend, growth_q32));
}
