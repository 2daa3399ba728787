/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Simple exponential smoothing of one value, with a smoothed absolute error.
 *
 * The caller chooses the unit of the value (ug/day when it is a consumption rate,
 * units per month for the carparts series) and the weight of every observation:
 * a fixed alpha for a regular series, or fx_alpha_q32(dt, half_life) for
 * observations at irregular times. Initialisation is R forecast's "simple" one:
 * the first observation becomes the level.
 */
#ifndef PANTRY_MODELS_SES_H
#define PANTRY_MODELS_SES_H

#include <stdbool.h>
#include <stdint.h>

#include "models/fx.h"
#include "models/units.h"

struct ses {
    int64_t level; /* smoothed value, caller's unit; the one-step forecast */
    int64_t mad;   /* smoothed |y - forecast|, same unit, >= 0 */
    uint32_t n;    /* observations seen, saturating at UINT32_MAX */
};

/* Empty state: forecast 0 until the first observation. */
void ses_init(struct ses *s);

/*
 * One observation y (clamped to +-MODELS_RATE_MAX_UGPD) with weight alpha
 * (Q32.32, clamped to [0, 1]). The first observation sets the level; later ones
 * move it by alpha * (y - level) and, unless level_only, the absolute error by
 * alpha * (|e| - mad). Inline: the event forecaster runs it four times per event.
 */
static inline void
ses_step(struct ses *s, int64_t y, uint64_t alpha_q32, bool level_only)
{
    y = fx_clamp(y, -MODELS_RATE_MAX_UGPD, MODELS_RATE_MAX_UGPD);
    if (alpha_q32 > MODELS_Q32_ONE)
        alpha_q32 = MODELS_Q32_ONE;
    if (s->n == 0) {
        s->level = y;
        s->n = 1;
        return;
    }
    /* Both terms are within +-1e17, so the differences cannot overflow. */
    int64_t e = y - s->level;
    s->level += fx_mul_q32(e, alpha_q32);
    if (!level_only)
        s->mad += fx_mul_q32((int64_t)fx_abs(e) - s->mad, alpha_q32);
    if (s->n != UINT32_MAX)
        s->n++;
}

/* ses_step() with the absolute error. */
static inline void
ses_update(struct ses *s, int64_t y, uint64_t alpha_q32)
{
    ses_step(s, y, alpha_q32, false);
}

/* The one-step-ahead forecast (the level). */
static inline int64_t
ses_forecast(const struct ses *s)
{
    return s->level;
}

#endif
