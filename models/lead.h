/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lead time, the time from sending an order to the refill that delivers it, as
 * an uncertain quantity: a prior (the configured lead and its spread) combined
 * with the leads measured on delivered orders by their weight of evidence. The
 * prior counts as one order, so the first measurement moves the estimate half
 * way and later ones less, down to a floor weight that keeps following a shop
 * that changes. The spread is the exponentially weighted variance of the leads
 * (West 1979), starting at the prior's: a new device plans with a wide lead
 * (orders early) and learns to order later as deliveries come.
 *
 * Units: seconds (int64_t), variance in s^2 (at most MODELS_DT_MAX_S^2, which
 * fits), weights Q32.32, z Q16.16.
 */
#ifndef PANTRY_MODELS_LEAD_H
#define PANTRY_MODELS_LEAD_H

#include <stdint.h>

#include "models/units.h"

struct lead {
    int64_t mean_s; /* estimated mean lead, seconds, 0..MODELS_DT_MAX_S */
    int64_t var_s2; /* variance of one lead, s^2, 0..MODELS_DT_MAX_S^2 */
    uint32_t n;     /* measured orders, saturating */
};

/*
 * The prior: default_s and spread_s (one standard deviation), each clamped to
 * [0, MODELS_DT_MAX_S].
 */
void lead_init(struct lead *l, int64_t default_s, int64_t spread_s);

/*
 * One measured lead (clamped to [0, MODELS_DT_MAX_S]). Its weight is 1 / (n + 2)
 * (the prior and the n orders before it count one each), but never less than
 * floor_q32 (Q32.32, at most 1): d = x - mean, mean += w d,
 * var = (1 - w) (var + w d^2).
 */
void lead_observe(struct lead *l, int64_t measured_s, uint64_t floor_q32);

/* The standard deviation of one lead, seconds: floor(sqrt(var)). */
int64_t lead_sd_s(const struct lead *l);

/*
 * Lead time to plan with at a service level: mean + z * sd, clamped to
 * [0, MODELS_DT_MAX_S]. z in Q16.16, negative taken as 0.
 */
int64_t lead_plan_s(const struct lead *l, int32_t z_q16);

#endif
