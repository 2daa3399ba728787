/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replaying a trace through models/: the open-loop runout score (how far the
 * predicted runout is from the true one, 1, 3 and 7 days before it) and the
 * closed-loop simulation of a shelf that reorders, either with the forecast and
 * policy_decide() or with a plain threshold on the stock, counting stockout days
 * and excess stock. Every constant below is part of the documented method of
 * tests/eval/README.md.
 */
#ifndef PANTRY_TESTS_EVAL_SIM_H
#define PANTRY_TESTS_EVAL_SIM_H

#include <stddef.h>
#include <stdint.h>

#include "models/forecast.h"
#include "tests/eval/tracegen.h"

#define SIM_DAY_S INT64_C(86400)

/* Runout predictions are scored this many days before each true runout. */
#define SIM_HORIZONS 3
extern const int sim_horizon_days[SIM_HORIZONS];

/* Errors beyond this many days (and "never") count as this many. */
#define SIM_ERR_CAP_D 30.0

/* Service level of the runout interval and of the reorder policy. */
#define SIM_SERVICE_BP 9500u

/* Closed loop: lead time 1.5 + U[0, 1) days, 1 day more with probability 0.1 */
/* (mean 2.1 days); the forecast policy plans with 2 days until it has learnt. */
#define SIM_LEAD_NOMINAL_S (2 * SIM_DAY_S)
/* The forecast policy reviews once a day at 20:00 (day 0 starts at 00:00). */
#define SIM_REVIEW_S SIM_DAY_S
#define SIM_REVIEW_AT_S (20 * INT64_C(3600))
#define SIM_MAX_PACKS 4u

struct sim_method {
    const char *name; /* "ses", "ses-nodecay", "holt", ..., "tsb" */
    struct fc_params p;
};

/* The evaluated methods and their half-lives (README.md explains the choice). */
#define SIM_METHOD_COUNT 7
extern const struct sim_method sim_methods[SIM_METHOD_COUNT];

/* Sums over all scored predictions; add traces by calling sim_runouts() again. */
struct runout_score {
    double abs_err_d[SIM_HORIZONS]; /* sum of min(|t_mid - t_true|, cap), days */
    double err_d[SIM_HORIZONS];     /* sum of t_mid - t_true clamped to +-cap, days */
    uint32_t n[SIM_HORIZONS];       /* predictions scored */
    uint32_t inside[SIM_HORIZONS];  /* true runout inside [t_lo, t_hi] */
    uint32_t never;                 /* predictions of no runout at all */
    uint32_t runouts;               /* true runouts seen */
};

/*
 * Open loop: replay t (its own refills) through a forecaster with parameters p
 * started at t->start_s. A true runout is a use that leaves the shelf at exactly
 * zero; it is scored at each horizon h whose query time (runout - h) is not
 * before the refill that started that pack nor before the trace starts. The
 * forecaster at the query time has seen every use at or before it and is asked
 * fc_runout() for the stock on the shelf then. Adds to acc; 0 or -ENOMEM.
 */
int sim_runouts(const struct trace *t, const struct fc_params *p,
                struct runout_score *acc);

enum sim_policy_kind {
    SIM_POLICY_FORECAST,  /* daily review, fc_rate() + policy_decide() */
    SIM_POLICY_THRESHOLD, /* one pack when stock < pct % of a pack */
};

struct sim_policy {
    char name[32];
    enum sim_policy_kind kind;
    struct fc_params p;     /* forecast policy */
    uint32_t threshold_pct; /* threshold policy, 1 .. 99 */
};

struct loop_score {
    uint32_t days;           /* simulated days */
    uint32_t stockout_days;  /* days on which the shelf was empty for any time */
    double excess_pack_days; /* integral of stock above pack + lead-time demand */
    int64_t demand_mg;       /* what the household wanted */
    int64_t lost_mg;         /* what it could not take because the shelf was empty */
    uint32_t orders;
    uint32_t packs;
};

/*
 * Closed loop over the uses of t (its refills only say which pack size the
 * shop sells at each time: that of the latest refill at or before then).
 * The shelf starts with one full pack; a use takes what it can; orders arrive
 * after a random lead time drawn from t->seed and the order's number (the same
 * for every policy: common random numbers); one open order at a time. Excess
 * stock is sampled hourly: stock above one current pack plus the true demand of
 * the next SIM_LEAD_NOMINAL_S, in packs, times 1/24 day. out is overwritten;
 * 0, -EINVAL for a trace without a refill, or -ENOMEM.
 */
int sim_closed_loop(const struct trace *t, const struct sim_policy *pol,
                    struct loop_score *out);

/* Lead time of order number k (0, 1, ...) for seed, seconds. */
int64_t sim_lead_time_s(uint64_t seed, uint32_t k);

#endif
