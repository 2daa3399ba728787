/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Use per calendar day over the last four weeks, and the most used in any
 * window of a given length: the household's own worst case over a lead time.
 *
 * A rate and its spread describe use as a smooth drift; a household that cooks
 * on weekends or washes on Saturdays uses in bursts that come together, and the
 * use over the next few days can be far above rate * days plus the spread of
 * independent uses. The peak over the windows of the last 28 days is an
 * empirical quantile of the use over that long (about the 96th percentile of
 * the 24 windows of four days): the reorder point is at least that.
 *
 * Days are UTC days of Unix time (t / 86400). Masses mg, per day at most
 * UINT32_MAX (4.29 kg; more saturates). Pure: no division by a variable on the
 * hot path, fx_udiv() for the day number.
 */
#ifndef PANTRY_MODELS_DAYUSE_H
#define PANTRY_MODELS_DAYUSE_H

#include <stdint.h>

#include "models/units.h"

#define DAYUSE_DAYS 28
/* dayuse_peak_mg() says 0 until this many days have been seen. */
#define DAYUSE_MIN_DAYS 14

struct dayuse {
    int64_t day;              /* the newest day seen (t / 86400) */
    uint32_t mg[DAYUSE_DAYS]; /* use on day d in mg[d % DAYUSE_DAYS] */
    uint32_t days;            /* days seen so far, at most DAYUSE_DAYS */
};

/* Start with no use, on the day of t0_s. */
void dayuse_init(struct dayuse *d, int64_t t0_s);

/*
 * mg used at t_s (clamped to [0, MODELS_MASS_MAX_MG]). A time before the newest
 * day counts on the newest day; days in between are days of no use.
 */
void dayuse_add(struct dayuse *d, int64_t t_s, int64_t mg);

/*
 * The most used in any window_s (clamped to [0, DAYUSE_DAYS days]) in the days
 * seen up to now_s, by whole days: the most in n days, plus the share
 * (window_s mod 1 day) of what n + 1 days add to it. 0 before DAYUSE_MIN_DAYS
 * days, or when fewer days than n + 1 were seen.
 */
int64_t dayuse_peak_mg(const struct dayuse *d, int64_t now_s, int64_t window_s);

#endif
