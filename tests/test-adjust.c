/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Learning from corrections (models/adjust.h): the update table worked by hand,
 * its bounds, and what the shift and size do to the reorder decision (the same
 * 100 g/day item as test-policy.c, whose reorder point is 300 g).
 */
#include "models/adjust.h"
#include "tests/harness.h"
#include "models/policy.h"

#define DAY INT64_C(86400)
#define G_PER_DAY INT64_C(1000000)

static struct policy_in
base(void)
{
    struct policy_in in = {
        .rate_ugpd = 100 * G_PER_DAY,
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
test_fresh_changes_nothing(void)
{
    struct adjust a;
    adjust_init(&a);
    CHECK_EQ_I64(a.shift_s, 0);
    CHECK_EQ_U64(a.size_bp, 10000);
    CHECK(!a.ask_first);
    struct policy_in in = base(), ref = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.lead_time_s, ref.lead_time_s);
    CHECK_EQ_I64(in.review_s, ref.review_s);
    CHECK_EQ_I64(in.cover_s, ref.cover_s);
}

#define H (10 * DAY) /* the plan's horizon, lead + review, in the event tests */

static void
test_cancels_order_later_then_ask(void)
{
    struct adjust_cfg c;
    struct adjust a;
    adjust_cfg_default(&c);
    CHECK_EQ_I64(c.step_s, DAY / 2);       /* shipped: half a day */
    CHECK_EQ_I64(c.relax_step_s, DAY / 4); /* and a quarter day back per kept order */
    c.step_s = DAY;                        /* whole days below */
    adjust_init(&a);
    CHECK_EQ_I64(a.ceil_s, 0);
    /* "Later" is a ceiling on the horizon, a step below the one in use. */
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 1000);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 2000);
    CHECK_EQ_I64(a.ceil_s, 8 * DAY);
    CHECK_EQ_I64(a.shift_s, 0);
    CHECK_EQ_U64(a.streak, 2);
    CHECK(!a.ask_first);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 3000);
    CHECK_EQ_I64(a.ceil_s, 7 * DAY);
    CHECK(a.ask_first);
    CHECK_EQ_I64(a.last_t_s, 3000);
    CHECK_EQ_I64(a.last_delta_s, -DAY);
    CHECK_EQ_U64(a.events, 3);
    /* A manual order ends the streak and lifts the ceiling by half its gap;
     * asking first stays until a reset. */
    adjust_event(&a, &c, ADJUST_MANUAL, 4 * DAY, H, 4000);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY);
    CHECK_EQ_I64(a.last_delta_s, 2 * DAY);
    CHECK_EQ_U64(a.streak, 0);
    CHECK(a.ask_first);
    /* Kept orders raise it a quarter day each, and it is gone at the plan. */
    uint32_t events = a.events;
    CHECK_EQ_I64(adjust_kept(&a, &c, H), DAY / 4);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY + DAY / 4);
    adjust_kept(&a, &c, H);
    adjust_kept(&a, &c, H);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY + 3 * DAY / 4);
    CHECK_EQ_I64(adjust_kept(&a, &c, H), DAY / 4);
    CHECK_EQ_I64(a.ceil_s, 0);
    CHECK_EQ_I64(adjust_kept(&a, &c, H), 0);
    CHECK_EQ_U64(a.events, events); /* a kept order is no correction */
    CHECK_EQ_I64(a.last_t_s, 4000);
    /* Two cancels and a manual order: no ask; a kept order ends a streak too. */
    adjust_init(&a);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 1);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 2);
    adjust_event(&a, &c, ADJUST_MANUAL, 0, H, 3);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 4);
    CHECK(!a.ask_first);
    CHECK_EQ_I64(a.ceil_s, 8 * DAY); /* -1 -1 +1 (gap unknown: one step) -1 */
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 5);
    adjust_kept(&a, &c, H);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 6);
    CHECK_EQ_U64(a.streak, 1);
    CHECK(!a.ask_first);
}

static void
test_ceiling_against_the_plan(void)
{
    struct adjust_cfg c;
    struct adjust a;
    adjust_cfg_default(&c);
    c.step_s = DAY;
    c.ask_after = 0;
    /* The plan narrows (its lead measured) below the ceiling: the ceiling no
     * longer binds and adds no lateness; the next cancel starts from the plan. */
    adjust_init(&a);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 1);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 2);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 3);
    CHECK_EQ_I64(a.ceil_s, 7 * DAY);
    struct policy_in in = base(); /* lead 2 days + review 1 day < 7 days */
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.lead_time_s, 2 * DAY);
    CHECK_EQ_I64(in.review_s, DAY);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, 5 * DAY, 4);
    CHECK_EQ_I64(a.ceil_s, 4 * DAY);
    CHECK_EQ_I64(a.last_delta_s, -DAY);
    /* Never more than max_shift below the plan. */
    for (int i = 0; i < 30; i++)
        adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 10 + i);
    CHECK_EQ_I64(a.ceil_s, 3 * DAY);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, DAY / 2, 50); /* below 0: at least 1 s */
    CHECK_EQ_I64(a.ceil_s, 1);
    /* A manual order past the plan: the ceiling goes, the rest is "earlier". */
    adjust_init(&a);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 1);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY);
    adjust_event(&a, &c, ADJUST_MANUAL, 6 * DAY, H, 2);
    CHECK_EQ_I64(a.ceil_s, 0);
    CHECK_EQ_I64(a.shift_s, 2 * DAY);
    CHECK_EQ_I64(a.last_delta_s, 3 * DAY);
    /* Cancels take back "earlier" first, then set a ceiling. */
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 3);
    CHECK_EQ_I64(a.shift_s, DAY);
    CHECK_EQ_I64(a.ceil_s, 0);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 4);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 5);
    CHECK_EQ_I64(a.shift_s, 0);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY);
    /* A stockout under a ceiling lifts it by a step; at the plan it is gone. */
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 6);
    CHECK_EQ_I64(a.ceil_s, 8 * DAY);
    adjust_event(&a, &c, ADJUST_STOCKOUT, 0, H, 7);
    CHECK_EQ_I64(a.ceil_s, 9 * DAY);
    CHECK_EQ_U64(a.size_bp, 11000);
    adjust_event(&a, &c, ADJUST_STOCKOUT, 0, H, 8);
    CHECK_EQ_I64(a.ceil_s, 0);
    CHECK_EQ_I64(a.shift_s, 0);
    /* A negative shift saved before the ceiling still moves back towards 0. */
    adjust_init(&a);
    a.shift_s = -3 * DAY;
    adjust_event(&a, &c, ADJUST_STOCKOUT, 0, H, 9);
    CHECK_EQ_I64(a.shift_s, -2 * DAY);
    CHECK_EQ_I64(a.ceil_s, 0);
    adjust_event(&a, &c, ADJUST_CANCEL, 0, H, 10); /* in use 8 days: ceiling 7 */
    CHECK_EQ_I64(a.ceil_s, 7 * DAY);
}

static void
test_late_orders_earlier_and_larger(void)
{
    struct adjust_cfg c;
    struct adjust a;
    adjust_cfg_default(&c);
    c.step_s = DAY;
    adjust_init(&a);
    adjust_event(&a, &c, ADJUST_MANUAL, 3 * DAY, H, 10);
    CHECK_EQ_I64(a.shift_s, 3 * DAY / 2);
    CHECK_EQ_U64(a.size_bp, 10000);
    adjust_event(&a, &c, ADJUST_STOCKOUT, 0, H, 20);
    CHECK_EQ_I64(a.shift_s, 5 * DAY / 2);
    CHECK_EQ_U64(a.size_bp, 11000);
    /* A 30-day gap moves at most to the 7-day bound. */
    adjust_event(&a, &c, ADJUST_MANUAL, 30 * DAY, H, 30);
    CHECK_EQ_I64(a.shift_s, 7 * DAY);
    CHECK_EQ_I64(a.last_delta_s, 7 * DAY - 5 * DAY / 2);
    for (int i = 0; i < 50; i++)
        adjust_event(&a, &c, ADJUST_STOCKOUT, 0, H, 40 + i);
    CHECK_EQ_I64(a.shift_s, 7 * DAY);
    CHECK_EQ_U64(a.size_bp, 20000);
    CHECK_EQ_I64(a.last_delta_s, 0);
}

static void
test_refusals_and_rejections(void)
{
    struct adjust_cfg c;
    struct adjust a;
    adjust_cfg_default(&c);
    c.ask_after = 0; /* never ask */
    adjust_init(&a);
    for (int i = 0; i < 50; i++)
        adjust_event(&a, &c, ADJUST_REFUSED, 0, H, i);
    CHECK_EQ_I64(a.ceil_s, H - 7 * DAY);
    CHECK_EQ_I64(a.shift_s, 0);
    CHECK_EQ_U64(a.size_bp, 5000);
    CHECK(!a.ask_first);
    adjust_cfg_default(&c);
    adjust_init(&a);
    adjust_event(&a, &c, ADJUST_REJECTED, 0, H, 1);
    adjust_event(&a, &c, ADJUST_REJECTED, 0, H, 2);
    CHECK_EQ_I64(a.shift_s, 0);
    CHECK_EQ_U64(a.size_bp, 10000);
    CHECK(!a.ask_first);
    adjust_event(&a, &c, ADJUST_REJECTED, 0, H, 3);
    CHECK(a.ask_first);
    /* An unknown kind changes nothing. */
    struct adjust b = a;
    adjust_event(&a, &c, (enum adjust_kind)ADJUST_KINDS, DAY, H, 99);
    adjust_event(&a, &c, (enum adjust_kind) - 1, DAY, H, 99);
    CHECK_EQ_U64(a.events, b.events);
    CHECK_EQ_I64(a.last_t_s, b.last_t_s);
}

static void
test_shift_moves_reorder_point(void)
{
    struct adjust a;
    struct policy_out out;
    adjust_init(&a);
    /* +2 days: horizon 5 days, reorder point 500 g, order-up-to 12 days. */
    a.shift_s = 2 * DAY;
    struct policy_in in = base();
    adjust_apply(&a, &in);
    in.stock_mg = 400000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.reorder_point_mg, 500000);
    CHECK_EQ_I64(out.order_up_to_mg, 1200000);
    CHECK(out.order); /* 400 g would not order without the shift */
    /* -2 days: review 0, lead 1 day: reorder point 100 g. */
    a.shift_s = -2 * DAY;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s, 0);
    CHECK_EQ_I64(in.lead_time_s, DAY);
    in.stock_mg = 200000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.reorder_point_mg, 100000);
    CHECK(!out.order);
    /* A ceiling of 2 days cuts the review first, of 1 day the lead too; one
     * above the plan changes nothing. */
    a.shift_s = 0;
    a.ceil_s = 2 * DAY;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s, 0);
    CHECK_EQ_I64(in.lead_time_s, 2 * DAY);
    a.ceil_s = DAY;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s, 0);
    CHECK_EQ_I64(in.lead_time_s, DAY);
    in.stock_mg = 200000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.reorder_point_mg, 100000);
    a.ceil_s = 5 * DAY;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s, DAY);
    CHECK_EQ_I64(in.lead_time_s, 2 * DAY);
    a.ceil_s = 0;
    /* Beyond the horizon: never below 0. */
    a.shift_s = -5 * DAY;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s + in.lead_time_s, 0);
    /* Half the size: cover 3.5 days, order-up-to 300 + 350 g. */
    a.shift_s = 0;
    a.size_bp = 5000;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.cover_s, 7 * DAY / 2);
    in.stock_mg = 300000;
    policy_decide(&in, &out);
    CHECK_EQ_I64(out.order_up_to_mg, 650000);
    CHECK_EQ_I64(out.packs, 1);
    /* Extremes saturate instead of wrapping. */
    a.shift_s = INT64_MAX;
    a.size_bp = UINT32_MAX;
    in = base();
    in.cover_s = INT64_MAX;
    adjust_apply(&a, &in);
    CHECK(in.review_s > 0 && in.cover_s > 0);
    a.shift_s = INT64_MIN;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s + in.lead_time_s, 0);
    a.shift_s = 0;
    a.ceil_s = INT64_MAX;
    in = base();
    adjust_apply(&a, &in);
    CHECK_EQ_I64(in.review_s + in.lead_time_s, 3 * DAY);
}

static void
test_gap(void)
{
    /* 200 g above the reorder point at 100 g/day: 2 days. */
    CHECK_EQ_I64(adjust_gap_s(500000, 300000, 100 * G_PER_DAY), 2 * DAY);
    CHECK_EQ_I64(adjust_gap_s(1000, 300000, 100 * G_PER_DAY), 0);
    CHECK_EQ_I64(adjust_gap_s(500000, 300000, 0), INT64_MAX);
    /* 1 g/day for 1000 kg: 2738 years, beyond the horizon. */
    CHECK_EQ_I64(adjust_gap_s(INT64_MAX, 0, 1000), INT64_MAX);
    CHECK_EQ_I64(adjust_gap_s(INT64_MIN, INT64_MIN, INT64_MIN), 0);
}

static void
test_names(void)
{
    CHECK(adjust_kind_to_str(ADJUST_MANUAL)[0] == 'm');
    CHECK(adjust_kind_to_str(ADJUST_REFUSED)[2] == 'f');
    CHECK(adjust_kind_to_str(ADJUST_KINDS)[0] == '?');
}

int
main(void)
{
    RUN(test_fresh_changes_nothing);
    RUN(test_cancels_order_later_then_ask);
    RUN(test_ceiling_against_the_plan);
    RUN(test_late_orders_earlier_and_larger);
    RUN(test_refusals_and_rejections);
    RUN(test_shift_moves_reorder_point);
    RUN(test_gap);
    RUN(test_names);
    return th_done();
}
