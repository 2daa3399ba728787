/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The order state machine against a table written out here by hand (every state
 * times every event), the timing rules (cancel window, expiry) at their edges,
 * the guard's reasons in priority order, and the month start against libc's
 * gmtime_r/timegm on random times.
 */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "tests/harness.h"
#include "agent/pipeline/orders.h"

static const char *
state_name(enum store_order_state s)
{
    static const char *const n[] = {"planned",      "queued",    "published",
                                    "acknowledged", "fulfilled", "cancelled",
                                    "rejected",     "expired"};
    return (unsigned)s < 8 ? n[s] : "?";
}

#define P ORDER_PLANNED
#define Q ORDER_QUEUED
#define U ORDER_PUBLISHED
#define A ORDER_ACKNOWLEDGED
#define F ORDER_FULFILLED
#define C ORDER_CANCELLED
#define R ORDER_REJECTED
#define X ORDER_EXPIRED
/* negative: the errno expected */
#define NP (-EPERM)
#define NA (-EALREADY)

static void
test_table(void)
{
    /* events: confirm puback accepted shipped rejected refill cancel expire
     * (timing: cancel inside the window, expire when old enough) */
    static const int want[8][8] = {
        [P] = {Q, NP, NP, NP, NP, NP, C, X},    [Q] = {NP, U, A, A, R, F, C, X},
        [U] = {NP, NA, A, A, R, F, C, X},       [A] = {NP, NA, NA, NA, R, F, C, X},
        [F] = {NP, NP, NP, NP, NP, NP, NP, NP}, [C] = {NP, NP, NP, NP, NP, NP, NP, NP},
        [R] = {NP, NP, NP, NP, NP, NP, NP, NP}, [X] = {NP, NP, NP, NP, NP, NP, NP, NP},
    };
    for (int s = 0; s < 8; s++)
        for (int e = 0; e < 8; e++) {
            enum store_order_state to = (enum store_order_state)99;
            /* created at 0, queued at 1000, now 10 s later: inside a 60 s
             * window, and past a 5 s expiry. */
            int r = orders_step((enum store_order_state)s, (enum order_event)e, 0, 1000,
                                11000, 60000, 5000, &to);
            int got = r < 0 ? r : (int)to;
            CHECK_MSG(got == want[s][e], "%s + %s: got %d, want %d",
                      state_name((enum store_order_state)s),
                      order_event_to_str((enum order_event)e), got, want[s][e]);
            if (r < 0)
                CHECK_EQ_I64(to, 99); /* untouched */
        }
}

static void
test_timing(void)
{
    enum store_order_state to;

    /* Cancel window: 15 min after queueing, inclusive. */
    CHECK_EQ_I64(
        orders_step(Q, ORDER_EV_CANCEL, 0, 1000, 1000 + 900000, 900000, 1 << 30, &to),
        0);
    CHECK_EQ_I64(
        orders_step(U, ORDER_EV_CANCEL, 0, 1000, 1001 + 900000, 900000, 1 << 30, &to),
        -ETIME);
    CHECK_EQ_I64(
        orders_step(A, ORDER_EV_CANCEL, 0, 1000, 1001 + 900000, 900000, 1 << 30, &to),
        -ETIME);
    /* A planned order can always be cancelled: it was never sent. */
    CHECK_EQ_I64(orders_step(P, ORDER_EV_CANCEL, 0, 0, INT64_C(1) << 50, 0, 1, &to), 0);
    CHECK_EQ_I64(to, C);
    /* Expiry counts from creation for planned, from queueing otherwise. */
    CHECK_EQ_I64(orders_step(P, ORDER_EV_EXPIRE, 100, 0, 100 + 4999, 0, 5000, &to),
                 -EAGAIN);
    CHECK_EQ_I64(orders_step(P, ORDER_EV_EXPIRE, 100, 0, 100 + 5000, 0, 5000, &to), 0);
    CHECK_EQ_I64(orders_step(Q, ORDER_EV_EXPIRE, 0, 7000, 11999, 0, 5000, &to),
                 -EAGAIN);
    CHECK_EQ_I64(orders_step(A, ORDER_EV_EXPIRE, 0, 7000, 12000, 0, 5000, &to), 0);
    CHECK_EQ_I64(to, X);
    /* A state out of range is refused, not read past the table. */
    CHECK_EQ_I64(
        orders_step((enum store_order_state)42, ORDER_EV_CONFIRM, 0, 0, 0, 0, 0, &to),
        -EPERM);
}

static void
test_names(void)
{
    CHECK(strcmp(order_verdict_to_str(ORDER_NO_DATA), "no-data") == 0);
    CHECK(strcmp(order_verdict_to_str(ORDER_GO), "go") == 0);
    CHECK(strcmp(order_event_to_str(ORDER_EV_EXPIRE), "expire") == 0);
    CHECK(strcmp(order_event_to_str((enum order_event)8), "?") == 0);
}

static struct order_guard_in
go_in(void)
{
    return (struct order_guard_in){
        .need = true,
        .data_ok = true,
        .now_ms = 100 * 86400000LL,
        .last_order_ms = INT64_MIN,
        .cooldown_ms = 86400000,
        .orders_30d = 1,
        .max_orders_30d = 2,
        .cost_cents = 499,
        .item_spent_cents = 500,
        .item_budget_cents = 1000,
        .household_spent_cents = 11000,
        .household_budget_cents = 12000,
    };
}

static void
test_guard(void)
{
    struct order_guard_in in = go_in();

    CHECK_EQ_I64(orders_guard(&in), ORDER_GO);
    in.need = false;
    CHECK_EQ_I64(orders_guard(&in), ORDER_NOT_NEEDED);
    in.manual = true; /* a person asked */
    CHECK_EQ_I64(orders_guard(&in), ORDER_GO);
    in = go_in();
    in.data_ok = false;
    CHECK_EQ_I64(orders_guard(&in), ORDER_NO_DATA);
    in.manual = true; /* a press does not depend on the reading */
    CHECK_EQ_I64(orders_guard(&in), ORDER_GO);
    in.mode_off = true; /* off means off, even for a press */
    CHECK_EQ_I64(orders_guard(&in), ORDER_MODE_OFF);
    in = go_in();
    in.open_order = true;
    in.manual = true;
    CHECK_EQ_I64(orders_guard(&in), ORDER_OPEN);
    /* Cooldown: 1 day after the last order, not counting the boundary. */
    in = go_in();
    in.last_order_ms = in.now_ms - 86400000 + 1;
    CHECK_EQ_I64(orders_guard(&in), ORDER_COOLDOWN);
    in.manual = true;
    CHECK_EQ_I64(orders_guard(&in), ORDER_GO);
    in.manual = false;
    in.last_order_ms = in.now_ms - 86400000;
    CHECK_EQ_I64(orders_guard(&in), ORDER_GO);
    /* Cap: two in 30 days is the limit, for presses too. */
    in.orders_30d = 2;
    in.manual = true;
    CHECK_EQ_I64(orders_guard(&in), ORDER_CAP);
    /* Budgets: 500 + 499 = 999 <= 1000 fits; one cent more does not. */
    in = go_in();
    in.item_spent_cents = 502;
    CHECK_EQ_I64(orders_guard(&in), ORDER_BUDGET);
    in = go_in();
    in.household_spent_cents = 11502;
    CHECK_EQ_I64(orders_guard(&in), ORDER_BUDGET);
    in.household_budget_cents = 0; /* no budget */
    CHECK_EQ_I64(orders_guard(&in), ORDER_GO);
    /* Priority: mode before data before need before open before cooldown. */
    in = go_in();
    in.data_ok = false;
    in.need = false;
    in.open_order = true;
    CHECK_EQ_I64(orders_guard(&in), ORDER_NO_DATA);
}

static void
test_month(void)
{
    uint64_t x = th_seed(20261125);
    int bad = 0;

    /* 1970 .. 2100 (.. 2038 where time_t has 32 bits: libc is the oracle), and a
     * few fixed points. */
    int64_t span_ms =
        sizeof(time_t) >= 8 ? INT64_C(4102444800) * 1000 : INT64_C(0x7fffffff) * 1000;
    CHECK_EQ_I64(orders_month_start_ms(0), 0);
    CHECK_EQ_I64(orders_month_start_ms(1772323199999), 1769904000000); /* Feb 2026 */
    /* Fixed points; the expected values are `date -u -d ... +%s`, pasted. */
    static const struct {
        int64_t t_s, want_s;
    } fixed[] = {
        {2678399, 0},                 /* 1970-01-31T23:59:59 */
        {1709251199, 1706745600},     /* 2024-02-29T23:59:59, a leap day */
        {1709251200, 1709251200},     /* 2024-03-01, exactly the start */
        {1798761599, 1796083200},     /* 2026-12-31T23:59:59 */
        {1798761600, 1798761600},     /* 2027-01-01, a new year */
        {951804000, 949363200},       /* 2000-02-29T06:00, 400-year leap */
        {4107542399, 4105123200},     /* 2100-02-28T23:59:59, no leap day */
        {4107585600, 4107542400},     /* 2100-03-01T12:00 */
        {253402300799, 253399622400}, /* 9999-12-31T23:59:59 */
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
        CHECK_EQ_I64(orders_month_start_ms(fixed[i].t_s * 1000 + 999),
                     fixed[i].want_s * 1000);
        CHECK_EQ_I64(orders_month_start_ms(fixed[i].want_s * 1000),
                     fixed[i].want_s * 1000);
    }
    /* Before the epoch: the epoch (the agent never runs then). */
    CHECK_EQ_I64(orders_month_start_ms(-1), 0);
    CHECK_EQ_I64(orders_month_start_ms(INT64_MIN), 0);
    /* The far end: INT64_MAX ms is in August 292278994; its month start from
     * Python's datetime and the calendar's 400-year period of 146097 days. */
    CHECK_EQ_I64(orders_month_start_ms(INT64_MAX), INT64_C(9223372035446400000));
    for (int i = 0; i < 20000; i++) {
        int64_t t_ms = (int64_t)(th_rand(&x) % (uint64_t)span_ms);
        time_t t = (time_t)(t_ms / 1000);
        struct tm tm;
        gmtime_r(&t, &tm);
        tm.tm_mday = 1;
        tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
        int64_t want = (int64_t)timegm(&tm) * 1000;
        int64_t got = orders_month_start_ms(t_ms);
        if (got != want && bad++ < 3)
            CHECK_EQ_I64(got, want);
    }
    CHECK_EQ_I64(bad, 0);
}

int
main(void)
{
    test_table();
    test_timing();
    test_names();
    test_guard();
    test_month();
    return th_done();
}
