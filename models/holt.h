/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Holt's linear trend method with optional damping, for regular series and for
 * observations at irregular times.
 *
 * One step is described by five Q32.32 numbers (struct holt_step), so the same
 * code serves R's periodic form (dt = 1 period, growth = carry = phi) and the
 * continuous time-aware form used by the agent, where the trend decays with a
 * half-life: carry = 2^(-dt/h) and growth = tau * (1 - carry), tau = h / ln 2,
 * the integral of the decaying trend over the step (holt_step_time()).
 *
 * Initialisation is R forecast's "simple" one: l0 = y1, b0 = y2 - y1, after
 * which y1 and y2 are both smoothed in. Until the second observation the
 * forecast is the first one and the trend is 0.
 */
#ifndef PANTRY_MODELS_HOLT_H
#define PANTRY_MODELS_HOLT_H

#include <stdint.h>

#include "models/units.h"

struct holt {
    int64_t level; /* caller's unit (ug/day for rates) */
    int64_t trend; /* caller's unit per period (ug/day per day for rates) */
    int64_t mad;   /* smoothed |y - one-step forecast| */
    int64_t first; /* the first observation, kept for the simple initialisation */
    uint32_t n;    /* observations seen, saturating */
};

struct holt_step {
    uint64_t alpha_q32;  /* level weight, [0, 1] */
    uint64_t beta_q32;   /* trend weight, [0, 1] */
    uint64_t growth_q32; /* periods of trend added to the level over this step */
    uint64_t carry_q32;  /* fraction of the trend carried across the step, [0, 1] */
    uint64_t dt_q32;     /* periods elapsed in this step, > 0 */
};

/* Weights of one regular period: dt = 1, growth = carry = phi (1.0 = undamped). */
void holt_step_periodic(struct holt_step *w, uint64_t alpha_q32, uint64_t beta_q32,
                        uint64_t phi_q32);

/*
 * Weights of a step of dt_s seconds with period = 1 day: level and trend weights
 * from their half-lives (fx_alpha_q32), damping from damp_half_life_s (<= 0: no
 * damping). dt_s is clamped to [1, MODELS_DT_MAX_S].
 */
void holt_step_time(struct holt_step *w, int64_t dt_s, int64_t half_life_s,
                    int64_t trend_half_life_s, int64_t damp_half_life_s);

/* The same with the level weight given (the event forecaster has it already). */
void holt_step_time_alpha(struct holt_step *w, int64_t dt_s, uint64_t alpha_q32,
                          int64_t trend_half_life_s, int64_t damp_half_life_s);

/*
 * Trend growth over a horizon of horizon_s seconds (days, Q32.32): horizon in days
 * undamped, tau * (1 - 2^(-H/h)) damped. horizon_s is clamped to [0, DT_MAX].
 */
uint64_t holt_growth_time(int64_t horizon_s, int64_t damp_half_life_s);

/* The same with the horizon in Q48.16 seconds (a half-second horizon counts). */
uint64_t holt_growth_time_q16(int64_t horizon_q16, int64_t damp_half_life_s);

void holt_init(struct holt *h);

/*
 * Start from an explicit level and trend instead of R's simple initialisation;
 * every later holt_update() is an ordinary step. The event forecaster starts
 * with the first observed rate and no trend: the difference of two noisy rates
 * a few minutes apart says nothing about a trend, and as a first slope it would
 * dominate the forecast for weeks.
 */
void holt_start(struct holt *h, int64_t level, int64_t trend);

/* One observation y (clamped to +-MODELS_RATE_MAX_UGPD) with the step's weights. */
void holt_update(struct holt *h, int64_t y, const struct holt_step *w);

/* level + trend * growth, saturating; growth_q32 = 1.0 gives the one-step forecast */
/* of the periodic form. */
int64_t holt_forecast(const struct holt *h, uint64_t growth_q32);

#endif
