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

#include <stdint.h>

#include "units.h"

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
 * move it by alpha * (y - level) and the absolute error by alpha * (|e| - mad).
 */
void ses_update(struct ses *s, int64_t y, uint64_t alpha_q32);

/* The one-step-ahead forecast (the level). */
int64_t ses_forecast(const struct ses *s);

#endif
