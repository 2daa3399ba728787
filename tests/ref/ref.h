/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A double-precision reference of every method in models/, for tests only: it
 * measures how far the fixed-point code is from the arithmetic it approximates.
 * Written from the contracts in the models/ headers and the algorithm choices
 * they document (R's "simple" start of SES and periodic Holt, time-aware weights
 * 1 - 2^(-dt/h), continuous damping with a half-life, the periodic Croston, SBA
 * and TSB of R's croston(), the event forecaster's error and overdue rules, the
 * Brownian-drift runout interval, the order-up-to policy). Nothing here calls or
 * includes models/: weights come from libm's expm1, quantiles from Acklam's
 * rational approximation refined with erfc, and every product and quotient is a
 * plain double operation with no rounding to integers. Quantities keep the units
 * of models/ (mg, s, ug/day) but as doubles; weights are plain numbers in [0, 1];
 * "never" is +INFINITY. The clamps of the documented domain are reproduced, since
 * they are part of each function's contract.
 */
#ifndef PANTRY_TESTS_REF_REF_H
#define PANTRY_TESTS_REF_REF_H

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

/* The documented domain of models/units.h, restated (the tests check they agree). */
#define REF_MASS_MAX_MG 1e9      /* 1,000 kg */
#define REF_DT_MAX_S 126230400.0 /* 4 years */
#define REF_DAY_S 86400.0
#define REF_RATE_MAX_UGPD 1e17
#define REF_UGPD_PER_MG_PER_S 86400000.0 /* 1 mg per s = 8.64e7 ug/day */
#define REF_HORIZON_MAX_S (100.0 * 366.0 * 86400.0)
#define REF_NEVER INFINITY
/* forecast.c's cap on the time covered by events (warm-up), 2^40 s. */
#define REF_SPAN_MAX_S 1099511627776.0

/* 2^(-dt/h) with dt clamped to [0, DT_MAX]; h <= 0 gives 0 (no memory). */
double ref_decay(double dt_s, double half_life_s);

/* 1 - 2^(-dt/h) = -expm1(-dt ln2 / h), exact for tiny weights; h <= 0 gives 1. */
double ref_alpha(double dt_s, double half_life_s);

/* z with P(Z <= z) = p for a standard normal Z, 0 < p < 1: Acklam's rational */
/* approximation (1.15e-9 relative) refined by one Halley step on erfc. */
double ref_normal_quantile(double p);

/* The z of a service level in basis points, clamped to [5000, 9999]. */
double ref_service_z(uint32_t service_bp);

/* Simple exponential smoothing with a smoothed absolute error (ses.h). */
struct ref_ses {
    double level;
    double mad;
    unsigned long n;
};

void ref_ses_init(struct ref_ses *s);
/* y clamped to +-RATE_MAX, alpha to [0, 1]; the first y becomes the level. */
void ref_ses_update(struct ref_ses *s, double y, double alpha);

/* Holt's linear trend with damping (holt.h). */
struct ref_holt {
    double level;
    double trend;
    double mad;
    double first;
    unsigned long n;
};

struct ref_holt_step {
    double alpha;  /* level weight */
    double beta;   /* trend weight */
    double growth; /* periods of trend added to the level over the step */
    double carry;  /* fraction of the trend carried across the step */
    double dt;     /* periods elapsed */
};

/* One regular period: dt = 1, growth = carry = phi. */
void ref_holt_step_periodic(struct ref_holt_step *w, double alpha, double beta,
                            double phi);

/* A step of dt_s seconds (clamped to [1, DT_MAX]) with days as periods. */
void ref_holt_step_time(struct ref_holt_step *w, double dt_s, double half_life_s,
                        double trend_half_life_s, double damp_half_life_s);

/* Days of trend growth over horizon_s (clamped to [0, DT_MAX]): the horizon in */
/* days undamped, tau * (1 - 2^(-H/h)) with tau = h / ln 2 (days) damped. */
double ref_holt_growth_time(double horizon_s, double damp_half_life_s);

void ref_holt_init(struct ref_holt *h);
/* Explicit start (the event forecaster: first rate, no trend). */
void ref_holt_start(struct ref_holt *h, double level, double trend);
/* R's zzhw() recursion; the second observation does the "simple" start. */
void ref_holt_update(struct ref_holt *h, double y, const struct ref_holt_step *w);
double ref_holt_forecast(const struct ref_holt *h, double growth);

/* Croston, SBA and TSB (croston.h). */
enum ref_croston_variant {
    REF_CROSTON_CLASSIC,
    REF_CROSTON_SBA,
    REF_CROSTON_TSB,
};

struct ref_croston {
    struct ref_ses size;
    struct ref_ses interval; /* periods (periodic form) or seconds (events) */
    double prob;             /* TSB: probability of demand per period */
    unsigned long since;     /* periods since the last demand */
};

void ref_croston_init(struct ref_croston *c);
void ref_croston_demand(struct ref_croston *c, double size, double interval,
                        double alpha);
void ref_croston_period(struct ref_croston *c, enum ref_croston_variant v, double y,
                        double alpha, double beta);
double ref_croston_forecast_period(const struct ref_croston *c,
                                   enum ref_croston_variant v, double alpha);
double ref_croston_sba_correct(double x, double alpha);

/* Runout with its interval, and use over a horizon (runout.h). */
struct ref_runout {
    double t_mid_s; /* absolute seconds, REF_NEVER if none */
    double t_lo_s;
    double t_hi_s;
};

void ref_runout_predict(double stock_mg, double rate_ugpd, double sigma_ugpd,
                        double interval_s, double z, double now_s,
                        struct ref_runout *out);

/* c = (z / 2) (sigma / r) sqrt(p / T_mid) of the interval formula, capped as in */
/* models/runout.c; 0 when runout_predict has no interval. */
double ref_runout_c(double stock_mg, double rate_ugpd, double sigma_ugpd,
                    double interval_s, double z);

double ref_runout_demand_mg(double rate_ugpd, double sigma_ugpd, double interval_s,
                            double z, double horizon_s);

/* The per-item event forecaster (forecast.h). */
enum ref_fc_method {
    REF_FC_SES,
    REF_FC_HOLT,
    REF_FC_CROSTON,
    REF_FC_SBA,
    REF_FC_TSB,
};

struct ref_fc_params {
    enum ref_fc_method method;
    double half_life_s;
    double trend_half_life_s;
    double damp_half_life_s; /* <= 0: undamped */
    bool overdue_decay;
};

struct ref_fc {
    int64_t t_last_s;
    double span_s;         /* time covered by events (warm-up), <= REF_SPAN_MAX_S */
    struct ref_croston cr; /* sizes mg, intervals s */
    struct ref_ses rate;   /* ug/day */
    struct ref_ses fast;   /* ug/day, a quarter of the half-life (steps) */
    int shift;             /* events in a row with fast beyond the level */
    struct ref_holt holt;  /* ug/day, trend per day */
    struct ref_ses freq;   /* events per day */
};

/* The spread of one event's use as a rate (forecast.h, fc_rate), from its parts. */
double ref_fc_sigma(double size_mad, double interval_mad, double size, double interval,
                    unsigned long events, double rate_ugpd, double p_s);

struct ref_fc_rate {
    double rate_ugpd;
    double sigma_ugpd;
    double interval_s;
};

void ref_fc_init(struct ref_fc *f, int64_t t0_s);
void ref_fc_consume(struct ref_fc *f, const struct ref_fc_params *p, int64_t t_s,
                    double mg);
/*
 * The weights of ref_fc_consume(), for a caller that follows its arithmetic: an
 * event dt_s after the last one is weighted max(1 - 2^(-dt/h), dt / span), span
 * the time covered by events including this one (the warm-up); sizes and
 * intervals get one weight per event, max(1 - 2^(-I/h), 1 / (n + 1)) with I the
 * smoothed interval and n the intervals seen, 1 for the first.
 */
double ref_fc_event_alpha(const struct ref_fc *f, const struct ref_fc_params *p,
                          double dt_s);
double ref_fc_event_weight(const struct ref_fc *f, const struct ref_fc_params *p);
/* The rate just before such an event, its overdue decay weighted by that alpha. */
double ref_fc_rate_before(const struct ref_fc *f, const struct ref_fc_params *p,
                          double dt_s);
void ref_fc_rate(const struct ref_fc *f, const struct ref_fc_params *p, int64_t now_s,
                 double horizon_s, struct ref_fc_rate *out);
/* used, when not NULL, receives the rate the runout was computed from (Holt: */
/* averaged until the first estimate of the runout). */
void ref_fc_runout(const struct ref_fc *f, const struct ref_fc_params *p,
                   double stock_mg, uint32_t service_bp, int64_t now_s,
                   struct ref_runout *out, struct ref_fc_rate *used);

/* The reorder decision (policy.h). */
struct ref_policy_in {
    double stock_mg;
    double on_order_mg;
    double rate_ugpd;
    double sigma_ugpd;
    double interval_s;
    double lead_time_s;
    double review_s;
    double cover_s;
    uint32_t service_bp;
    double pack_mg;
    uint32_t max_packs;
    double peak_mg; /* policy.h: the reorder point is at least this */
};

struct ref_policy_out {
    bool order;
    uint32_t packs;
    double position_mg;
    double reorder_point_mg;
    double order_up_to_mg;
    double packs_exact; /* gap / pack before rounding up, for tie detection */
};

void ref_policy_decide(const struct ref_policy_in *in, struct ref_policy_out *out);

/* Lead time learning (lead.h). */
struct ref_lead {
    double mean_s;
    double var_s2;
    unsigned long n;
};

void ref_lead_init(struct ref_lead *l, double default_s, double spread_s);
/* The weight used: max(1 / (n + 2), floor). */
double ref_lead_observe(struct ref_lead *l, double measured_s, double floor);
double ref_lead_plan_s(const struct ref_lead *l, double z);

#endif
