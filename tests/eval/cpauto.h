/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Automatic forecasting methods for the carparts hold-out: no weight tuned by
 * hand for a series, nothing learnt from the held-out months. Each method
 * chooses or combines the periodic forecasters of models/ (naive, the in-sample
 * mean, SES, Croston, SBA, TSB on a grid of weights, and the event forecaster
 * of forecast.h with its half-life a multiple of the series' cadence) from the
 * series' in-sample one-step errors, or, for the two pooled methods, from the
 * in-sample months of all series. Every forecast is computed by models/ in
 * fixed point (micro-units); only the choosing and the scoring use doubles.
 * README.md ("Carparts: automatic methods") says why these and what they give.
 */
#ifndef PANTRY_TESTS_EVAL_CPAUTO_H
#define PANTRY_TESTS_EVAL_CPAUTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tests/eval/carparts.h"

/* One-step errors from the month after CPA_FIT_FROM months (a year of warm-up). */
#define CPA_FIT_FROM 12
/* Weights of the grids: 0.02, 0.05, 0.1, 0.2, 0.3, 0.5. */
#define CPA_ALPHA_COUNT 6
/* Event form: half-life k times the series' mean interval, k = 1, 2, 4, 8. */
#define CPA_K_COUNT 4

/* The base forecasters: naive, mean, then SES, Croston, SBA, TSB per alpha. */
enum cpa_kind {
    CPA_K_NAIVE,
    CPA_K_MEAN,
    CPA_K_SES,
    CPA_K_CROSTON,
    CPA_K_SBA,
    CPA_K_TSB, /* beta = alpha */
};
#define CPA_BASE_COUNT (2 + 4 * CPA_ALPHA_COUNT)
/* Index of a base: kind with the alpha_index-th weight (ignored for the first two). */
int cpa_base(enum cpa_kind kind, int alpha_index);
/* "naive", "mean", "ses", "croston", "sba", "tsb"; "?" otherwise. */
const char *cpa_kind_to_str(enum cpa_kind k);
#define CPA_KIND_COUNT 6
/* The kind of a base. */
enum cpa_kind cpa_base_kind(int base);
/* "naive", "mean", "ses 0.1", "tsb 0.02", ... into buf. */
void cpa_base_name(int base, char *buf, size_t len);
/* The alpha_index-th weight of the grid. */
double cpa_alpha(int alpha_index);

enum cpa_method {
    CPA_ZERO,          /* 0 */
    CPA_MEAN,          /* the in-sample mean */
    CPA_SES_FIT,       /* SES, alpha of the grid with the least in-sample SSE */
    CPA_SELECT,        /* any base with the least in-sample SSE */
    CPA_COMB2,         /* (SES + TSB) / 2, alpha 0.1 */
    CPA_COMB3,         /* (SES + SBA + TSB) / 3, alpha 0.1 */
    CPA_EVENT_SES,     /* fc_consume() FC_SES, k of the grid by in-sample SSE */
    CPA_EVENT_TSB,     /* the same with FC_TSB */
    CPA_POOLED_SELECT, /* one base for all series: least SSE summed over series */
    CPA_POOLED_RATIO,  /* SES 0.1 times the pooled in-sample actual / forecast */
};
#define CPA_METHOD_COUNT 10

/* "zero", "mean", "ses-fit", ...; "?" otherwise. */
const char *cpa_method_to_str(enum cpa_method m);

/* One series' in-sample results, from cpa_fit(). */
struct cpa_fit {
    double sse[CPA_BASE_COUNT]; /* squared one-step errors, months CPA_FIT_FROM+1..n */
    int64_t fc[CPA_BASE_COUNT]; /* forecast after the last in-sample month, 1e-6 */
    /*
     * SES 0.1 at the origins CPA_FIT_FROM .. n - CP_HOLDOUT: the sum of the
     * CP_HOLDOUT months after each, and of CP_HOLDOUT x its forecast, 1e-6 units.
     */
    int64_t actual_sum;
    int64_t forecast_sum;
    int k_index[2];      /* event form, SES and TSB: the k chosen */
    int64_t event_fc[2]; /* and its forecast, 1e-6 units per month */
};

/*
 * Run every base forecaster and the event forms over y[0 .. n_train) (units,
 * >= 0; 1 <= n_train <= CP_MONTHS_MAX) into fit. Errors count only after
 * CPA_FIT_FROM months, and the pooled ratio only from origins with
 * CP_HOLDOUT in-sample months after them: a shorter series adds none.
 */
void cpa_fit(const double *y, int n_train, struct cpa_fit *fit);

/* What the pooled methods learn from the in-sample months of all series. */
struct cpa_panel {
    double sse[CPA_BASE_COUNT];
    int64_t actual_sum, forecast_sum;
    size_t n;
};

void cpa_panel_init(struct cpa_panel *p);
void cpa_panel_add(struct cpa_panel *p, const struct cpa_fit *fit);
/* The base with the least SSE over all series (the first of equals). */
int cpa_panel_best(const struct cpa_panel *p);
/* actual_sum / forecast_sum in Q32.32 (1.0 when nothing was forecast). */
uint64_t cpa_panel_ratio_q32(const struct cpa_panel *p);

/*
 * Method m's forecasts of the CP_HOLDOUT months after fit's series, in units;
 * p is needed by the pooled methods only. *picked (if not NULL) is the base
 * (CPA_SES_FIT, CPA_SELECT, CPA_POOLED_SELECT) or k index (event forms) chosen,
 * -1 for the others.
 */
void cpa_forecast(const struct cpa_fit *fit, const struct cpa_panel *p,
                  enum cpa_method m, double f[CP_HOLDOUT], int *picked);

/* The event form's half-life multipliers. */
int cpa_k(int k_index);

/* Everything the report shows. */
struct cpa_result {
    size_t n;            /* series scored */
    struct cp_score ses; /* SES alpha 0.1 (cp_forecast() CP_SES), the reference */
    struct cp_score score[CPA_METHOD_COUNT];
    /* 5 % and 95 % points of RMSE(method) - RMSE(SES 0.1), paired bootstrap */
    double diff_lo[CPA_METHOD_COUNT];
    double diff_hi[CPA_METHOD_COUNT];
    /* How often each base (or k, for the event forms) was picked */
    size_t picks[CPA_METHOD_COUNT][CPA_BASE_COUNT];
    int pooled_best;    /* CPA_POOLED_SELECT's base */
    uint64_t ratio_q32; /* CPA_POOLED_RATIO's factor */
    /*
     * Mean demand per series and month: in-sample months by year of the data
     * (month index / 12, from the first column), the hold-out months, and SES
     * 0.1's hold-out forecast.
     */
    double year_mean[CP_MONTHS_MAX / 12 + 1];
    int years;
    double holdout_mean;
    double ses_mean;
};

/*
 * Fit and score every method on the series s[i] for which use[i] is true (use
 * NULL: all n), learning the pooled methods from those same series' in-sample
 * months. The interval resamples series with replacement reps times (reps >= 1)
 * from seed (splitmix64). 0, or -ENOMEM.
 */
int cpa_evaluate(const struct cp_series *s, size_t n, const bool *use, int reps,
                 uint64_t seed, struct cpa_result *out);

#endif
