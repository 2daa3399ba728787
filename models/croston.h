/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Croston-type smoothing for lumpy demand (one dose per wash): demand sizes and
 * the intervals between demands are smoothed separately, and the forecast is
 * their ratio. Variants:
 *
 *   CROSTON_CLASSIC  size / interval                         (Croston 1972)
 *   CROSTON_SBA      size / interval * (1 - alpha / 2)       (Syntetos-Boylan 2005)
 *   CROSTON_TSB      probability of demand * size, the probability smoothed every
 *                    period, so the forecast decays while nothing is used
 *                    (Teunter-Syntetos-Babai 2011)
 *
 * The periodic functions follow R forecast's croston(): sizes and intervals are
 * both smoothed with alpha and initialised with their first values; intervals
 * count periods from the start of the series. croston_demand() is the event form
 * used by the agent, where an interval is any positive quantity (seconds).
 */
#ifndef PANTRY_MODELS_CROSTON_H
#define PANTRY_MODELS_CROSTON_H

#include <stdint.h>

#include "models/units.h"

#include "models/ses.h"

enum croston_variant {
    CROSTON_CLASSIC,
    CROSTON_SBA,
    CROSTON_TSB,
};

struct croston {
    struct ses size;     /* demand size, caller's unit, and its smoothed |error| */
    struct ses interval; /* between demands: Q32.32 periods or seconds, and its
                            smoothed |error| */
    uint64_t prob_q32;   /* TSB: probability of demand in a period, [0, 1] */
    uint32_t since;      /* periodic form: periods since the last demand */
};

void croston_init(struct croston *c);

/*
 * One demand event: its size (>= 0, clamped) and the interval since the previous
 * demand (> 0, in the caller's unit), both smoothed with alpha.
 */
void croston_demand(struct croston *c, int64_t size, int64_t interval,
                    uint64_t alpha_q32);

/*
 * One period of a regular series with demand y >= 0 (0: none). Classic and SBA
 * smooth size and interval (in Q32 periods) with alpha; TSB smooths the size with
 * alpha and the demand probability with beta every period.
 */
void croston_period(struct croston *c, enum croston_variant v, int64_t y,
                    uint64_t alpha_q32, uint64_t beta_q32);

/*
 * Demand per period of the periodic form, in y's unit: 0 before any demand.
 * alpha is the size smoothing weight (used by SBA's bias correction).
 */
int64_t croston_forecast_period(const struct croston *c, enum croston_variant v,
                                uint64_t alpha_q32);

/* SBA's bias correction: x * (1 - alpha / 2). */
int64_t croston_sba_correct(int64_t x, uint64_t alpha_q32);

#endif
