/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When will the stock run out, and how much will be used over a horizon, at a
 * service level.
 *
 * Consumption is modelled as Brownian motion with drift: over T seconds the use
 * has mean r*T and standard deviation sigma * sqrt(p * T), where r is the rate,
 * sigma the spread of one event's use over its interval p, as a rate (from the
 * spreads of event sizes and intervals, forecast.h), and p the typical interval
 * between events; many events in T average out.
 * The runout interval solves r*T +- z*sigma*sqrt(p*T) = stock for T:
 *
 *     T_mid = stock / r,   T_lo = T_mid / m^2,   T_hi = T_mid * m^2,
 *     m = sqrt(1 + c^2) + c,  c = (z / 2) * (sigma / r) * sqrt(p / T_mid)
 *
 * so T_lo * T_hi = T_mid^2. Units: stock mg, rates ug/day, times s, z Q16.16.
 */
#ifndef PANTRY_MODELS_RUNOUT_H
#define PANTRY_MODELS_RUNOUT_H

#include <stdint.h>

#include "models/units.h"

struct runout {
    int64_t t_mid_s; /* expected runout time (absolute s), MODELS_NEVER if none */
    int64_t t_lo_s;  /* early bound at the service level */
    int64_t t_hi_s;  /* late bound at the service level, MODELS_NEVER if none */
};

/*
 * Runout of stock_mg (clamped to [0, MASS_MAX]) at rate r (<= 0: never) with
 * uncertainty sigma (>= 0) and event interval p (clamped to [1, DT_MAX]), from
 * now_s. Times further than MODELS_HORIZON_MAX_S are MODELS_NEVER.
 */
void runout_predict(int64_t stock_mg, int64_t rate_ugpd, int64_t sigma_ugpd,
                    int64_t interval_s, int32_t z_q16, int64_t now_s,
                    struct runout *out);

/*
 * Use over the next horizon_s seconds at the service level: r*H + z*sigma*sqrt(p*H),
 * in milligrams, rounded, >= 0 and saturated to MODELS_MASS_MAX_MG * 1000.
 */
int64_t runout_demand_mg(int64_t rate_ugpd, int64_t sigma_ugpd, int64_t interval_s,
                         int32_t z_q16, int64_t horizon_s);

#endif
