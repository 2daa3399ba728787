/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reorder decision: order now or not, and how many whole packs.
 *
 * A periodic-review order-up-to policy. The inventory position (stock on the
 * shelf plus what is already ordered) is compared with the reorder point, the use
 * over lead time + review period at the service level (runout_demand_mg). At or
 * below it the agent orders enough whole packs to lift the position to the
 * order-up-to level, the use over lead time + review period + cover; at least
 * one pack and at most max_packs. With no consumption (rate 0) it never orders.
 * The reorder point is at least peak_mg, the most the household used in any
 * past window of lead time + review (dayuse.h): bursts that come together
 * (weekend cooking, a laundry day) are covered as they were seen; the
 * order-up-to level rises with it.
 */
#ifndef PANTRY_MODELS_POLICY_H
#define PANTRY_MODELS_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "models/units.h"

struct policy_in {
    int64_t stock_mg;    /* settled net stock on the shelf, >= 0 */
    int64_t on_order_mg; /* ordered and not yet arrived, >= 0 */
    int64_t rate_ugpd;   /* forecast rate over the horizon */
    int64_t sigma_ugpd;  /* standard deviation of one observed rate */
    int64_t interval_s;  /* typical interval between consumption events */
    int64_t lead_time_s; /* planned lead time (lead_plan_s) */
    int64_t review_s;    /* time until the next chance to order */
    int64_t cover_s;     /* extra time an order should cover, >= 0 */
    int64_t peak_mg;     /* the most used in a past window of lead + review, >= 0 */
    uint32_t service_bp; /* service level in basis points */
    int64_t pack_mg;     /* net content of one pack, > 0 */
    uint32_t max_packs;  /* packs per order at most, >= 1 */
};

struct policy_out {
    bool order;          /* order now */
    uint32_t packs;      /* how many, 0 when not ordering */
    int64_t position_mg; /* stock + on order */
    int64_t reorder_point_mg;
    int64_t order_up_to_mg;
};

/* Pure decision; out is fully written. Invalid pack or caps never order. */
void policy_decide(const struct policy_in *in, struct policy_out *out);

#endif
