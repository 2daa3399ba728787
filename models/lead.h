/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lead time learnt from orders: the time from publishing an order to the refill
 * that closes it, smoothed over orders, with its smoothed absolute deviation.
 */
#ifndef PANTRY_MODELS_LEAD_H
#define PANTRY_MODELS_LEAD_H

#include <stdint.h>

#include "units.h"

struct lead {
    int64_t mean_s; /* smoothed lead time, seconds */
    int64_t mad_s;  /* smoothed |measured - mean|, seconds */
    uint32_t n;     /* measured orders, saturating */
};

/* Start from the configured default (clamped to [0, MODELS_DT_MAX_S]). */
void lead_init(struct lead *l, int64_t default_s);

/*
 * One measured order-to-refill time (clamped to [0, DT_MAX]) with weight alpha
 * per order (Q32.32). The first measurement replaces the default outright.
 */
void lead_observe(struct lead *l, int64_t measured_s, uint64_t alpha_q32);

/*
 * Lead time to plan with at a service level: mean + z * sqrt(pi/2) * mad, the
 * second term the normal-equivalent standard deviation. z in Q16.16, >= 0.
 */
int64_t lead_plan_s(const struct lead *l, int32_t z_q16);

#endif
