/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The first allowed delivery time (models/delivery.h) on cases worked by hand:
 * every expected time was computed from a calendar (2026-10-01 is a Thursday;
 * checked with Python's datetime) and written here as seconds, never by the
 * code under test. Covers no windows, inside and before a window, a window
 * that closed today, weekends, local offsets of both signs, a window to
 * 24:00, away periods (one, and two back to back), and unusable input.
 */
#include "models/delivery.h"
#include "tests/harness.h"

#define T0 INT64_C(1790856000) /* 2026-10-01T12:00:00Z, a Thursday */
#define H INT64_C(3600)
#define DAY INT64_C(86400)
#define MON_FRI 0x1fu
#define SAT_SUN 0x60u
#define THU 0x08u

static void
test_weekday(void)
{
    CHECK_EQ_U64(delivery_weekday(0), 3);  /* 1970-01-01, Thursday */
    CHECK_EQ_U64(delivery_weekday(T0), 3); /* Thursday */
    CHECK_EQ_U64(delivery_weekday(T0 + DAY), 4);
    CHECK_EQ_U64(delivery_weekday(T0 + 4 * DAY), 0); /* Monday */
}

static void
test_windows(void)
{
    const struct delivery_window morning[] = {{MON_FRI, 7 * 60, 9 * 60}};
    const struct delivery_window lunch[] = {{0x7f, 13 * 60, 15 * 60}};
    const struct delivery_window weekend[] = {{SAT_SUN, 10 * 60, 12 * 60}};
    const struct delivery_window late_thu[] = {{THU, 20 * 60, 24 * 60}};
    const struct delivery_window early_thu[] = {{THU, 8 * 60, 9 * 60}};
    const struct delivery_window two[] = {{MON_FRI, 7 * 60, 9 * 60},
                                          {THU, 17 * 60, 19 * 60}};

    CHECK_EQ_I64(delivery_next(NULL, 0, 0, NULL, 0, T0), T0); /* any time */
    /* 14:00 CEST Thursday: Friday 07:00 CEST = 2026-10-02T05:00:00Z. */
    CHECK_EQ_I64(delivery_next(morning, 1, 2 * 3600, NULL, 0, T0), INT64_C(1790917200));
    /* Inside a window: now. */
    CHECK_EQ_I64(delivery_next(lunch, 1, 2 * 3600, NULL, 0, T0), T0);
    /* Saturday 10:00Z = 2026-10-03T10:00:00Z. */
    CHECK_EQ_I64(delivery_next(weekend, 1, 0, NULL, 0, T0), INT64_C(1791021600));
    /* 07:00 at UTC-5: 20:00 local = 2026-10-02T01:00:00Z, to 24:00 local. */
    CHECK_EQ_I64(delivery_next(late_thu, 1, -5 * 3600, NULL, 0, T0),
                 INT64_C(1790902800));
    /* Thursday's window closed at 09:00: the next Thursday, 2026-10-08T08:00Z. */
    CHECK_EQ_I64(delivery_next(early_thu, 1, 0, NULL, 0, T0), INT64_C(1791446400));
    /* Of two windows, the earlier: Thursday 17:00Z today. */
    CHECK_EQ_I64(delivery_next(two, 2, 0, NULL, 0, T0), T0 + 5 * H);
}

static void
test_away(void)
{
    const struct delivery_window morning[] = {{MON_FRI, 7 * 60, 9 * 60}};
    /* Away Friday 00:00Z to Monday 00:00Z: Monday 07:00Z, 2026-10-05. */
    const struct delivery_away weekend[] = {
        {T0 + 12 * H, T0 + 12 * H + 3 * DAY, false}};
    const struct delivery_away chained[] = {{T0 + DAY, T0 + 2 * DAY, false},
                                            {T0, T0 + DAY, true}};
    const struct delivery_away empty[] = {{T0 + DAY, T0 + DAY, false}};

    CHECK_EQ_I64(delivery_next(morning, 1, 0, weekend, 1, T0), INT64_C(1791183600));
    /* Without windows: the end of the away periods, found in any order. */
    CHECK_EQ_I64(delivery_next(NULL, 0, 0, chained, 2, T0), T0 + 2 * DAY);
    /* An away period that ended before is no obstacle; an empty one neither. */
    CHECK_EQ_I64(delivery_next(NULL, 0, 0, chained, 2, T0 + 3 * DAY), T0 + 3 * DAY);
    CHECK_EQ_I64(delivery_next(NULL, 0, 0, empty, 1, T0 + DAY), T0 + DAY);
}

static void
test_unusable(void)
{
    const struct delivery_window none[] = {
        {0, 7 * 60, 9 * 60}, {MON_FRI, 9 * 60, 9 * 60}, {MON_FRI, 9 * 60, 1441}};

    CHECK_EQ_I64(delivery_next(none, 3, 0, NULL, 0, T0), MODELS_NEVER);
    CHECK_EQ_I64(delivery_next(NULL, 0, 0, NULL, 0, -1), MODELS_NEVER);
    CHECK_EQ_I64(delivery_next(NULL, 0, 0, NULL, 0, MODELS_NEVER), MODELS_NEVER);
    /* An offset beyond 18 h is clamped, not wrapped. */
    const struct delivery_window lunch[] = {{0x7f, 13 * 60, 15 * 60}};
    CHECK_EQ_I64(delivery_next(lunch, 1, 1000000, NULL, 0, T0),
                 delivery_next(lunch, 1, 18 * 3600, NULL, 0, T0));
}

int
main(void)
{
    RUN(test_weekday);
    RUN(test_windows);
    RUN(test_away);
    RUN(test_unusable);
    return th_done();
}
