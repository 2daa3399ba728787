/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-item forecaster: consumption events in, rate and runout out.
 *
 * Each consumption event (time, milligrams) is one observation at an irregular
 * time. Its weight is 1 - 2^(-dt/half_life), dt the time since the previous
 * event (or since fc_init()), or dt / (time seen so far) while that is larger:
 * a warm-up that makes the first estimates plain averages. The methods:
 *
 *   FC_SES      SES of the observed rate mg/dt                     (ses.h)
 *   FC_HOLT     Holt's trend on the observed rate, days as periods (holt.h),
 *               started at the first rate with no trend (holt_start())
 *   FC_CROSTON  smoothed size / smoothed interval                  (croston.h)
 *   FC_SBA      Croston with the Syntetos-Boylan correction
 *   FC_TSB      smoothed size * smoothed event frequency, which decays while
 *               no event arrives
 *
 * Every method also smooths event sizes and intervals, and their absolute
 * errors, with one weight per event, that of the typical interval: the sizes'
 * and the intervals' spreads give the uncertainty of the use over a horizon
 * (a renewal process: over T the use has variance (T / p)(sd_size^2 +
 * (rate sd_interval)^2)), and the typical interval gives overdue decay.
 * Away is not slow use: once 4 events are seen, a silence longer than 4 typical
 * intervals counts as one typical interval (a holiday, not a slower household).
 * SES follows a step (a new baby): a fast rate with a quarter of the half-life
 * that stays beyond 5/4 or under 4/5 of the level for 4 events in a row becomes
 * the level.
 * With overdue decay (always on for TSB), a query longer after the last event
 * than the typical interval treats the silence as evidence: the rate is moved
 * towards "one typical event in the time since the last one", so a holiday
 * lowers the forecast instead of triggering an order.
 */
#ifndef PANTRY_MODELS_FORECAST_H
#define PANTRY_MODELS_FORECAST_H

#include <stdbool.h>
#include <stdint.h>

#include "models/units.h"

#include "models/croston.h"
#include "models/holt.h"
#include "models/runout.h"
#include "models/ses.h"

enum fc_method {
    FC_SES,
    FC_HOLT,
    FC_CROSTON,
    FC_SBA,
    FC_TSB,
};
#define FC_METHOD_COUNT 5

/* "ses", "holt", "croston", "sba", "tsb"; "?" for anything else. */
const char *fc_method_to_str(enum fc_method m);

struct fc_params {
    enum fc_method method;
    int64_t half_life_s;       /* level, size, interval and error smoothing, > 0 */
    int64_t trend_half_life_s; /* Holt's trend smoothing, > 0 */
    int64_t damp_half_life_s;  /* Holt's trend damping, <= 0: undamped */
    bool overdue_decay;        /* see above; TSB decays regardless */
};

struct fc {
    int64_t t_last_s;  /* time of the last event, or of fc_init() */
    int64_t span_s;    /* time covered by events so far (warm-up), <= 2^40 */
    struct croston cr; /* sizes (mg) and intervals (s) of events, both Q48.16 */
    struct ses rate;   /* SES: observed rates (ug/day) */
    struct ses fast;   /* SES: the same with a quarter of the half-life */
    int32_t shift;     /* SES: events in a row with fast above (+) or under (-) */
    struct holt holt;  /* Holt: observed rates (ug/day), trend per day */
    struct ses freq;   /* TSB: events per day, Q32.32 */
};

struct fc_rate {
    int64_t rate_ugpd; /* expected consumption rate, >= 0 */
    /*
     * The spread of one event's use over its interval p, as a rate, >= 0:
     * sqrt(sd_size^2 + (rate sd_interval)^2) / p, so that the use over T has
     * the standard deviation sigma sqrt(p T) (runout.h). The spreads are the
     * smoothed absolute errors times sqrt(pi / 2); before 4 events at least half
     * the size and half the interval (one event says little).
     */
    int64_t sigma_ugpd;
    int64_t interval_s; /* typical interval between events, >= 1 */
};

/* Start observing at t0_s (when the item was placed on the shelf). */
void fc_init(struct fc *f, int64_t t0_s);

/*
 * One consumption event of mg milligrams (clamped to [0, MASS_MAX]) at t_s. Events
 * at or before the previous one count as 1 s after it.
 */
void fc_consume(struct fc *f, const struct fc_params *p, int64_t t_s, int64_t mg);

/*
 * Observation resumes at t_s after a time the household could not use the item
 * (its shelf was empty, and what it wanted never reached the scale): that time
 * is no silence. The next event's interval counts from t_s when t_s is after
 * the last event; otherwise nothing changes.
 */
void fc_resume(struct fc *f, int64_t t_s);

/*
 * Rate at now_s averaged over the next horizon_s seconds (Holt's trend moves it),
 * with its uncertainty. Before any event every field is 0 except interval_s.
 */
void fc_rate(const struct fc *f, const struct fc_params *p, int64_t now_s,
             int64_t horizon_s, struct fc_rate *out);

/*
 * Runout of stock_mg at service level service_bp (basis points), from now_s. Holt
 * uses the rate averaged over the expected time to runout.
 */
void fc_runout(const struct fc *f, const struct fc_params *p, int64_t stock_mg,
               uint32_t service_bp, int64_t now_s, struct runout *out);

/* Events seen so far. */
uint32_t fc_events(const struct fc *f);

#endif
