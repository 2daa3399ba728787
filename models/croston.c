/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Croston, SBA and TSB smoothing (see croston.h).
 */
#include "models/croston.h"

#include "models/fx.h"

void
croston_init(struct croston *c)
{
    ses_init(&c->size);
    ses_init(&c->interval);
    c->prob_q32 = 0;
    c->since = 0;
}

void
croston_demand(struct croston *c, int64_t size, int64_t interval, uint64_t alpha_q32)
{
    /* Their absolute errors are the spread of the sizes and of the intervals. */
    ses_update(&c->size, fx_clamp(size, 0, MODELS_RATE_MAX_UGPD), alpha_q32);
    ses_update(&c->interval, fx_clamp(interval, 1, MODELS_RATE_MAX_UGPD), alpha_q32);
}

void
croston_period(struct croston *c, enum croston_variant v, int64_t y, uint64_t alpha_q32,
               uint64_t beta_q32)
{
    /* Capped so that since << 32 stays inside int64_t. */
    if (c->since < (UINT32_C(1) << 30))
        c->since++;
    if (beta_q32 > MODELS_Q32_ONE)
        beta_q32 = MODELS_Q32_ONE;
    if (v == CROSTON_TSB) {
        if (y > 0 && c->size.n == 0) {
            /* First demand: size y, probability one demand in `since` periods. */
            ses_step(&c->size, y, alpha_q32, true);
            c->prob_q32 = fx_udiv(MODELS_Q32_ONE, c->since);
        } else if (c->size.n > 0) {
            if (y > 0)
                ses_step(&c->size, y, alpha_q32, true);
            uint64_t target = y > 0 ? MODELS_Q32_ONE : 0;
            c->prob_q32 = (uint64_t)fx_add_sat(
                (int64_t)c->prob_q32,
                fx_mul_q32((int64_t)target - (int64_t)c->prob_q32, beta_q32));
        }
    } else if (y > 0) {
        croston_demand(c, y, (int64_t)c->since << 32, alpha_q32);
    }
    if (y > 0)
        c->since = 0;
}

int64_t
croston_sba_correct(int64_t x, uint64_t alpha_q32)
{
    if (alpha_q32 > MODELS_Q32_ONE)
        alpha_q32 = MODELS_Q32_ONE;
    return fx_mul_q32(x, MODELS_Q32_ONE - (alpha_q32 >> 1));
}

int64_t
croston_forecast_period(const struct croston *c, enum croston_variant v,
                        uint64_t alpha_q32)
{
    if (c->size.n == 0)
        return 0;
    if (v == CROSTON_TSB)
        return fx_mul_q32(ses_forecast(&c->size), c->prob_q32);
    int64_t f = fx_muldiv(ses_forecast(&c->size), (int64_t)MODELS_Q32_ONE,
                          ses_forecast(&c->interval));
    return v == CROSTON_SBA ? croston_sba_correct(f, alpha_q32) : f;
}
