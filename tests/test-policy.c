/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reorder decision and lead time learning, on scenarios worked by hand.
 */
#include "harness.h"
#include "lead.h"
#include "policy.h"
#include "quantile.h"

#define DAY INT64_C(86400)
#define G_PER_DAY INT64_C(1000000)

/* 100 g/day, no noise, lead 2 days, review 1 day, cover 7 days, 500 g packs. */
static struct policy_in
base(void)
{
    struct policy_in in = {
        .stock_mg = 0,
        .on_order_mg = 0,
        .rate_ugpd = 100 * G_PER_DAY,
        .sigma_ugpd = 0,
        .interval_s = DAY,
        .lead_time_s = 2 * DAY,
        .review_s = DAY,
        .cover_s = 7 * DAY,
        .service_bp = 9500,
        .pack_mg = 500000,
        .max_packs = 4,
    };
    return in;
}

static void
test_reorder_point(void)
{
    struct policy_in in = base();
    struct policy_out out;
    /* Reorder point: 3 days of use = 300 g. Order-up-to: 10 days = 1000 g. */
    in.stock_mg = 301000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.reorder_point_mg, 300000);
    CHECK_EQ_I64(out.order_up_to_mg, 1000000);
    CHECK(!out.order);
    CHECK_EQ_I64(out.packs, 0);
    in.stock_mg = 300000;
    policy_decide(&in, &out);
    CHECK(out.order);
    /* 1000 - 300 = 700 g short: two 500 g packs. */
    CHECK_EQ_I64(out.packs, 2);
    in.stock_mg = 250000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.packs, 2);
    in.stock_mg = 0;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.packs, 2);
}

static void
test_caps_and_open_orders(void)
{
    struct policy_in in = base();
    struct policy_out out;
    in.max_packs = 1;
    policy_decide(&in, &out);
    CHECK(out.order);
    CHECK_EQ_I64(out.packs, 1);
    /* What is on order counts: no second order while one pack is coming. */
    in = base();
    in.stock_mg = 100000;
    in.on_order_mg = 500000;
    policy_decide(&in, &out);
    CHECK(!out.order);
    CHECK_EQ_I64(out.position_mg, 600000);
    /* At least one pack, even when the gap is tiny. */
    in = base();
    in.cover_s = 0;
    in.stock_mg = 299999;
    policy_decide(&in, &out);
    CHECK(out.order);
    CHECK_EQ_I64(out.packs, 1);
}

static void
test_never_orders_what_nobody_needs(void)
{
    struct policy_in in = base();
    struct policy_out out;
    in.rate_ugpd = 0;
    in.stock_mg = 0;
    policy_decide(&in, &out);
    CHECK(!out.order);
    in = base();
    in.pack_mg = 0;
    policy_decide(&in, &out);
    CHECK(!out.order);
    in = base();
    in.max_packs = 0;
    policy_decide(&in, &out);
    CHECK(!out.order);
    in = base();
    in.rate_ugpd = -5;
    policy_decide(&in, &out);
    CHECK(!out.order);
}

static void
test_service_level_raises_reorder_point(void)
{
    struct policy_in in = base();
    struct policy_out lo, hi;
    in.sigma_ugpd = 50 * G_PER_DAY;
    in.service_bp = 9000;
    policy_decide(&in, &lo);
    in.service_bp = 9900;
    policy_decide(&in, &hi);
    /* 300 g + z * 50 g * sqrt(1 day * 3 days) / 1 day: z = 1.2816 and 2.3263. */
    CHECK_NEAR(lo.reorder_point_mg, 300000 + 1.281552 * 50000 * 1.7320508, 30);
    CHECK_NEAR(hi.reorder_point_mg, 300000 + 2.326348 * 50000 * 1.7320508, 30);
}

static void
test_lead_learning(void)
{
    struct lead l;
    lead_init(&l, 3 * DAY);
    CHECK_EQ_I64(lead_plan_s(&l, 0), 3 * DAY);
    /* The first measurement replaces the default. */
    lead_observe(&l, 2 * DAY, UINT64_C(1) << 31);
    CHECK_EQ_I64(l.mean_s, 2 * DAY);
    CHECK_EQ_I64(l.mad_s, 0);
    /* alpha 1/2: mean halfway to 4 days = 3 days, mad 1 day. */
    lead_observe(&l, 4 * DAY, UINT64_C(1) << 31);
    CHECK_EQ_I64(l.mean_s, 3 * DAY);
    CHECK_EQ_I64(l.mad_s, DAY);
    /* Planned at z = 1: 3 days + sqrt(pi/2) * 1 day. */
    CHECK_NEAR(lead_plan_s(&l, 65536), 3 * DAY + 1.2533141 * DAY, 2);
    lead_observe(&l, -7, MODELS_Q32_ONE);
    CHECK_EQ_I64(l.mean_s, 0);
    lead_init(&l, INT64_MAX);
    CHECK_EQ_I64(l.mean_s, MODELS_DT_MAX_S);
}

int
main(void)
{
    RUN(test_reorder_point);
    RUN(test_caps_and_open_orders);
    RUN(test_never_orders_what_nobody_needs);
    RUN(test_service_level_raises_reorder_point);
    RUN(test_lead_learning);
    return th_done();
}
