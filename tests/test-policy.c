/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The reorder decision and lead time learning, on scenarios worked by hand.
 */
#include "models/dayuse.h"
#include "tests/harness.h"
#include "models/lead.h"
#include "models/policy.h"
#include "models/quantile.h"

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
    const int64_t D = DAY;
    struct lead l;
    /* Prior 3 days, spread 1 day: planned at z = 0 and z = 1. */
    lead_init(&l, 3 * D, D);
    CHECK_EQ_I64(lead_plan_s(&l, 0), 3 * D);
    CHECK_EQ_I64(lead_plan_s(&l, 65536), 4 * D);
    /*
     * Weight 1/2 each (the floor): 2 days, d = -1 D: mean 2.5 D, var =
     * (1/2)(D^2 + (1/2) D^2) = 0.75 D^2 = 5598720000, sd floor(74824.1).
     */
    lead_observe(&l, 2 * D, UINT64_C(1) << 31);
    CHECK_EQ_I64(l.mean_s, 5 * D / 2);
    CHECK_EQ_I64(l.var_s2, 5598720000);
    CHECK_EQ_I64(lead_sd_s(&l), 74824);
    /* 4 days, d = 1.5 D: mean 3.25 D = 280800, var = (1/2)(0.75 + 1.125) D^2 =
     * 0.9375 D^2 = 6998400000, sd floor(83656.9); z = 1 adds it. */
    lead_observe(&l, 4 * D, UINT64_C(1) << 31);
    CHECK_EQ_I64(l.mean_s, 280800);
    CHECK_EQ_I64(l.var_s2, 6998400000);
    CHECK_EQ_I64(lead_plan_s(&l, 65536), 280800 + 83656);
    CHECK_EQ_U64(l.n, 2);

    /*
     * Weights of evidence without a floor: the prior counts as one order. Prior
     * 2 days, no spread; 3 days at weight 1/2: mean 2.5 D, var (1/2)(1/2) D^2 =
     * D^2 / 4, sd 43200; 2.5 days at weight 1/3: mean unchanged, var (2/3) of it,
     * D^2 / 6 = 1244160000, sd floor(35272.6).
     */
    lead_init(&l, 2 * D, 0);
    lead_observe(&l, 3 * D, 0);
    CHECK_EQ_I64(l.mean_s, 5 * D / 2);
    CHECK_EQ_I64(lead_sd_s(&l), 43200);
    lead_observe(&l, 5 * D / 2, 0);
    CHECK_EQ_I64(l.mean_s, 5 * D / 2);
    CHECK(l.var_s2 >= 1244160000 - 1 && l.var_s2 <= 1244160000);
    CHECK_EQ_I64(lead_sd_s(&l), 35272);
    /* A long first order (9 days against a 2-day prior of 2 days' spread): the
     * plan at 95 % (z 1.6449) widens to the whole evidence: mean 5.5 D, var =
     * (1/2)(4 + (1/2) 49) D^2 = 14.25 D^2, sd 3.775 D: 5.5 + 6.209 = 11.71 D. */
    lead_init(&l, 2 * D, 2 * D);
    lead_observe(&l, 9 * D, UINT64_C(1) << 30);
    CHECK_EQ_I64(l.mean_s, 11 * D / 2);
    CHECK_NEAR(lead_plan_s(&l, 107800), 5.5 * D + 1.644854 * 3.774917 * D, 60);

    /* Clamps: negative and huge measurements, defaults and spreads. */
    lead_observe(&l, -7, MODELS_Q32_ONE);
    CHECK_EQ_I64(l.mean_s, 0);
    CHECK_EQ_I64(l.var_s2, 0);
    lead_init(&l, INT64_MAX, INT64_MAX);
    CHECK_EQ_I64(l.mean_s, MODELS_DT_MAX_S);
    CHECK_EQ_I64(lead_sd_s(&l), MODELS_DT_MAX_S);
    CHECK_EQ_I64(lead_plan_s(&l, 65536 * 8), MODELS_DT_MAX_S);
    lead_init(&l, -5, -5);
    CHECK_EQ_I64(l.mean_s, 0);
    CHECK_EQ_I64(l.var_s2, 0);
}

/*
 * Use per day: a household cooking 300 g on Saturdays and Sundays and 50 g on
 * weekdays. After 4 weeks the most used in any 2 days is the weekend's 600 g,
 * in 4 days 700 g (a weekend and two weekdays), and in 2.5 days 600 g plus
 * half of what a third day adds (50 g).
 */
static void
test_dayuse_peak(void)
{
    struct dayuse d;
    int64_t t0 = 20000 * DAY; /* a Thursday */
    dayuse_init(&d, t0);
    CHECK_EQ_I64(dayuse_peak_mg(&d, t0, 2 * DAY), 0);
    for (int k = 0; k < 28; k++) {
        bool weekend = (k + 4) % 7 >= 5; /* day 20000 is a Thursday */
        dayuse_add(&d, t0 + k * DAY + 8 * 3600, weekend ? 300000 : 50000);
    }
    int64_t now = t0 + 27 * DAY + 20 * 3600;
    CHECK_EQ_I64(dayuse_peak_mg(&d, now, 2 * DAY), 600000);
    CHECK_EQ_I64(dayuse_peak_mg(&d, now, 4 * DAY), 700000);
    CHECK_EQ_I64(dayuse_peak_mg(&d, now, 5 * DAY / 2), 625000);
    CHECK_EQ_I64(dayuse_peak_mg(&d, now, 0), 0);
    /* Two weeks of nothing: the weekends before are still in the window... */
    CHECK_EQ_I64(dayuse_peak_mg(&d, now + 14 * DAY, 2 * DAY), 600000);
    /* ...and four weeks later none is. */
    CHECK_EQ_I64(dayuse_peak_mg(&d, now + 28 * DAY, 2 * DAY), 0);
    /* A time before the newest day counts on the newest day; a day's use
     * saturates at UINT32_MAX mg. */
    dayuse_add(&d, t0, 1000);
    CHECK_EQ_I64(d.mg[(20000 + 27) % DAYUSE_DAYS], 51000);
    for (int k = 0; k < 5; k++)
        dayuse_add(&d, now, INT64_MAX); /* 1000 kg each, at most */
    CHECK_EQ_I64(d.mg[(20000 + 27) % DAYUSE_DAYS], UINT32_MAX);
    /* Under 14 days seen: no peak yet. */
    dayuse_init(&d, t0);
    for (int k = 0; k < 12; k++)
        dayuse_add(&d, t0 + k * DAY, 100000);
    CHECK_EQ_I64(dayuse_peak_mg(&d, t0 + 12 * DAY, 2 * DAY), 0);
    CHECK(dayuse_peak_mg(&d, t0 + 13 * DAY, 2 * DAY) == 200000);
}

/* The peak raises the reorder point and the order-up-to level with it. */
static void
test_peak_raises_reorder_point(void)
{
    struct policy_in in = base();
    struct policy_out out;
    in.stock_mg = 400000;
    policy_decide(&in, &out);
    CHECK(!out.order);   /* 400 g > 300 g */
    in.peak_mg = 450000; /* the household once used 450 g in 3 days */
    policy_decide(&in, &out);
    CHECK(out.order);
    CHECK_EQ_I64(out.reorder_point_mg, 450000);
    CHECK_EQ_I64(out.order_up_to_mg, 1150000);
    /* 1150 - 400 = 750 g: two packs. A peak under the reorder point changes nothing. */
    CHECK_EQ_I64(out.packs, 2);
    in.peak_mg = 200000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.reorder_point_mg, 300000);
    CHECK(!out.order);
}

int
main(void)
{
    RUN(test_reorder_point);
    RUN(test_caps_and_open_orders);
    RUN(test_never_orders_what_nobody_needs);
    RUN(test_service_level_raises_reorder_point);
    RUN(test_lead_learning);
    RUN(test_dayuse_peak);
    RUN(test_peak_raises_reorder_point);
    return th_done();
}
