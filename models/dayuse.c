/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Use per day and its peak windows (see dayuse.h).
 */
#include "models/dayuse.h"

#include "models/fx.h"

static int64_t
day_of(int64_t t_s)
{
    /* Days since 1970 of a time at or after it; before, day 0. */
    return t_s > 0 ? (int64_t)fx_udiv((uint64_t)t_s, (uint64_t)MODELS_DAY_S) : 0;
}

/* Day numbers fit 32 bits until the year 11 million; 32-bit multiplies only. */
static uint32_t
slot(int64_t day)
{
    uint32_t u = (uint32_t)day;
    return u - (uint32_t)fx_udiv(u, DAYUSE_DAYS) * DAYUSE_DAYS;
}

/* Move the newest day to day: the days in between used nothing. */
static void
advance(struct dayuse *d, int64_t day)
{
    if (day <= d->day)
        return;
    int64_t gap = day - d->day;
    for (int64_t k = 1; k <= gap && k <= DAYUSE_DAYS; k++)
        d->mg[slot(d->day + k)] = 0;
    d->days = gap >= DAYUSE_DAYS || d->days + (uint32_t)gap >= DAYUSE_DAYS
                  ? DAYUSE_DAYS
                  : d->days + (uint32_t)gap;
    d->day = day;
}

void
dayuse_init(struct dayuse *d, int64_t t0_s)
{
    for (int k = 0; k < DAYUSE_DAYS; k++)
        d->mg[k] = 0;
    d->day = day_of(t0_s);
    d->days = 1;
}

void
dayuse_add(struct dayuse *d, int64_t t_s, int64_t mg)
{
    advance(d, day_of(t_s));
    uint64_t sum =
        (uint64_t)d->mg[slot(d->day)] + (uint64_t)fx_clamp(mg, 0, MODELS_MASS_MAX_MG);
    d->mg[slot(d->day)] = sum > UINT32_MAX ? UINT32_MAX : (uint32_t)sum;
}

/* The most used in any n consecutive days of the last `days`, newest day last. */
static int64_t
peak_days(const struct dayuse *d, int64_t newest, uint32_t days, uint32_t n)
{
    int64_t best = 0, sum = 0;
    /* Slide from the oldest day: add the day entering, drop the one leaving. */
    for (uint32_t k = 0; k < days; k++) {
        sum += d->mg[slot(newest - (int64_t)(days - 1 - k))];
        if (k >= n)
            sum -= d->mg[slot(newest - (int64_t)(days - 1 - (k - n)))];
        if (k + 1 >= n && sum > best)
            best = sum;
    }
    return best;
}

int64_t
dayuse_peak_mg(const struct dayuse *d, int64_t now_s, int64_t window_s)
{
    /* A copy moved to now: days since the last use count as days of none. */
    struct dayuse c = *d;
    advance(&c, day_of(now_s));
    int64_t w = fx_clamp(window_s, 0, DAYUSE_DAYS * MODELS_DAY_S);
    uint32_t n = (uint32_t)fx_udiv((uint64_t)w, (uint64_t)MODELS_DAY_S);
    int64_t frac = w - fx_mul((int64_t)n, MODELS_DAY_S);
    if (c.days < DAYUSE_MIN_DAYS || c.days < n + 1 || w == 0)
        return 0;
    int64_t lo = n > 0 ? peak_days(&c, c.day, c.days, n) : 0;
    int64_t hi = peak_days(&c, c.day, c.days, n + 1);
    return lo + fx_muldiv(hi - lo, frac, MODELS_DAY_S);
}
