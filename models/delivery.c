/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The first allowed delivery time (see delivery.h). Days are counted in local
 * time from a week before the epoch, so that a negative offset never makes a
 * negative count; every division goes through fx_udiv (no divide instruction
 * on a Cortex-M0) and every wide product through fx_mul_u32.
 */
#include "models/delivery.h"

#include <stdbool.h>

#include "models/fx.h"
#include "models/units.h"

#define SHIFT_S (7 * MODELS_DAY_S) /* a whole week: weekdays do not move */
#define T_MAX_S (INT64_C(1) << 40) /* 34,000 years: days fit in 32 bits */

/* 1970-01-01 was a Thursday (3 with Monday 0); day counts start a week early. */
static unsigned
weekday_of_day(uint32_t day)
{
    uint32_t q = (uint32_t)fx_udiv(day, 7);

    uint32_t r = day - (uint32_t)fx_mul_u32(q, 7) + 3u; /* 3..9 */

    return (unsigned)(r >= 7u ? r - 7u : r);
}

unsigned
delivery_weekday(int64_t local_s)
{
    if (local_s < 0 || local_s > T_MAX_S)
        return 0;
    return weekday_of_day(
        (uint32_t)fx_udiv((uint64_t)(local_s + SHIFT_S), MODELS_DAY_S));
}

static bool
window_ok(const struct delivery_window *w)
{
    return (w->days & DELIVERY_DAYS_ALL) != 0 && w->from_min < w->until_min &&
           w->until_min <= 1440;
}

/* The first time >= t_s inside a window, ignoring away periods. */
static int64_t
next_window(const struct delivery_window *w, size_t n, int32_t off_s, int64_t t_s)
{
    uint32_t day;

    if (n == 0)
        return t_s;
    day = (uint32_t)fx_udiv((uint64_t)(t_s + off_s + SHIFT_S), MODELS_DAY_S);
    /* Eight days: a window on today's weekday may have closed an hour ago. */
    for (uint32_t d = day; d <= day + 7; d++) {
        int64_t base = (int64_t)fx_mul_u32(d, MODELS_DAY_S) - SHIFT_S - off_s;
        unsigned bit = 1u << weekday_of_day(d);
        int64_t best = MODELS_NEVER;

        for (size_t i = 0; i < n; i++) {
            int64_t start = base + (int32_t)w[i].from_min * 60;
            int64_t end = base + (int32_t)w[i].until_min * 60;
            if (!window_ok(&w[i]) || (w[i].days & bit) == 0 || end <= t_s)
                continue;
            if (start < t_s)
                start = t_s;
            if (start < best)
                best = start;
        }
        /* Anything found today comes before anything on a later day. */
        if (best != MODELS_NEVER)
            return best;
    }
    return MODELS_NEVER;
}

int64_t
delivery_next(const struct delivery_window *w, size_t n, int32_t utc_offset_s,
              const struct delivery_away *away, size_t n_away, int64_t t_s)
{
    int32_t off = utc_offset_s;

    if (t_s < 0 || t_s > T_MAX_S)
        return MODELS_NEVER;
    if (off > DELIVERY_OFFSET_MAX_S)
        off = DELIVERY_OFFSET_MAX_S;
    if (off < -DELIVERY_OFFSET_MAX_S)
        off = -DELIVERY_OFFSET_MAX_S;
    /* Each away period can push t past its end once: n_away + 1 rounds. */
    for (size_t round = 0; round <= n_away; round++) {
        int64_t c = next_window(w, n, off, t_s);
        bool moved = false;

        if (c == MODELS_NEVER)
            return MODELS_NEVER;
        for (size_t i = 0; i < n_away; i++)
            if (away[i].from_s < away[i].until_s && c >= away[i].from_s &&
                c < away[i].until_s) {
                t_s = away[i].until_s;
                moved = true;
                break;
            }
        if (!moved)
            return c;
        if (t_s > T_MAX_S)
            return MODELS_NEVER;
    }
    return MODELS_NEVER;
}
