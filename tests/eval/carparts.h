/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The carparts hold-out evaluation: read tests/data/carparts.csv (monthly demand
 * of 2,674 car parts, empty field = missing), keep the series that can be scored,
 * forecast the last CP_HOLDOUT months from the months before them with the
 * periodic functions of models/ (values scaled to integer micro-units), and read
 * the same forecasts made by R's forecast package (carparts-holdout.R) so that
 * both are scored by the same code.
 */
#ifndef PANTRY_TESTS_EVAL_CARPARTS_H
#define PANTRY_TESTS_EVAL_CARPARTS_H

#include <stddef.h>
#include <stdint.h>

#define CP_MONTHS_MAX 64
#define CP_HOLDOUT 3
/* Series with fewer in-sample months are skipped (README.md). */
#define CP_MIN_TRAIN 12
/* Fixed smoothing weights (R's croston() default alpha; the same for ses). */
#define CP_ALPHA 0.1
#define CP_TSB_BETA 0.1
/* Demand in units is stored in models/ as integer micro-units. */
#define CP_SCALE 1e6

struct cp_series {
    char part[24];
    int first; /* month index of the first observed month */
    int n;     /* observed months, training and hold-out */
    double y[CP_MONTHS_MAX];
};

struct cp_data {
    size_t rows;         /* series (lines after the header) */
    size_t na;           /* empty fields */
    size_t all_na;       /* series skipped: nothing observed */
    size_t interior;     /* series skipped: a gap inside the observed months */
    size_t too_short;    /* series skipped: fewer than CP_MIN_TRAIN + CP_HOLDOUT */
    int months;          /* columns after the part number */
    struct cp_series *s; /* owned: the series kept, in file order */
    size_t n;
};

/*
 * Read the CSV at path into d. Leading and trailing empty months are dropped.
 * 0 on success; -EINVAL with "path:line: what" in err for malformed input (a
 * value that is not a non-negative number, a wrong number of fields, more than
 * CP_MONTHS_MAX months), -errno when the file cannot be read, -ENOMEM.
 * cp_free() releases d (also after a failure, and NULL).
 */
int cp_read(const char *path, struct cp_data *d, char *err, size_t err_len);
void cp_free(struct cp_data *d);

enum cp_method {
    CP_NAIVE,     /* last in-sample value */
    CP_SES,       /* ses_update, alpha CP_ALPHA, R's "simple" start */
    CP_HOLT,      /* holt_update with alpha, beta fitted by cp_holt_fit() */
    CP_HOLT_RPAR, /* holt_update with the alpha, beta R estimated */
    CP_CROSTON,   /* croston_period CLASSIC, alpha CP_ALPHA */
    CP_SBA,       /* croston_period SBA, alpha CP_ALPHA */
    CP_TSB,       /* croston_period TSB, alpha CP_ALPHA, beta CP_TSB_BETA */
};
#define CP_METHOD_COUNT 7

/* "naive", "ses", "holt", "holt@R", "croston", "sba", "tsb"; "?" otherwise. */
const char *cp_method_to_str(enum cp_method m);

/*
 * Forecasts of months n_train + 1 .. n_train + CP_HOLDOUT from y[0 .. n_train),
 * n_train >= 2, in units. alpha and beta are Holt's weights (CP_HOLT and
 * CP_HOLT_RPAR only) in [0, 1].
 */
void cp_forecast(const double *y, int n_train, enum cp_method m, double alpha,
                 double beta, double f[CP_HOLDOUT]);

/*
 * Holt's alpha and beta in [0, 1] minimising the sum of squared one-step errors
 * of holt_update() over months 3 .. n_train (R's HoltWintersZZ minimises the
 * same sum from month 1 with L-BFGS-B): a 0.05 grid refined with 0.01 steps.
 */
void cp_holt_fit(const double *y, int n_train, double *alpha, double *beta);

/* A weight in [0, 1] (clamped) as models/ takes it: round(w * 2^32). */
uint64_t cp_weight_q32(double w);
/* Units to the integer micro-units models/ gets (rounded), and back. */
int64_t cp_micro(double v);
double cp_units(int64_t v);

/* In-sample mean absolute one-step naive error (MASE's scale), 0 if constant. */
double cp_naive_scale(const double *y, int n_train);

/*
 * Hold-out errors of one method, summed over series (README.md, "Carparts").
 * Every series has CP_HOLDOUT months, so the mean over series of the series'
 * MAE (or MSE) is also the mean over all series-months.
 */
struct cp_score {
    double abs_sum;  /* sum over series of the series' MAE */
    double sq_sum;   /* sum over series of the series' MSE */
    double rmse_sum; /* sum over series of the series' RMSE, sqrt(MSE) */
    double mase_sum; /* sum over series with scale > 0 of MAE / scale */
    size_t n;        /* series added */
    size_t n_scale;  /* of which with scale > 0 */
};

/*
 * Add one series: actual and forecast hold-out months in units, scale the
 * in-sample naive error (cp_naive_scale(); 0: no MASE for this series). Returns
 * the series' MSE.
 */
double cp_score_add(struct cp_score *s, const double act[CP_HOLDOUT],
                    const double f[CP_HOLDOUT], double scale);

/* Mean over series of the series' MAE; 0 with no series. */
double cp_score_mae(const struct cp_score *s);
/* sqrt(mean over series of the series' MSE): the project's RMSE; 0 if empty. */
double cp_score_rmse(const struct cp_score *s);
/* Mean over series of the series' RMSE (smaller: a root per series); 0 if empty. */
double cp_score_rmse_series(const struct cp_score *s);
/* Mean over series with scale > 0 of MAE / scale; 0 if there are none. */
double cp_score_mase(const struct cp_score *s);

/* What carparts-holdout.R wrote for one series. */
enum cp_r_method {
    CP_R_NAIVE,
    CP_R_SES,
    CP_R_HOLT,
    CP_R_CROSTON,
    CP_R_SBA,
    CP_R_TSB,
};
#define CP_R_METHOD_COUNT 6

struct cp_r_row {
    char part[24];
    int n_train;
    double scale;
    double f[CP_R_METHOD_COUNT][CP_HOLDOUT]; /* NaN where R failed */
    double holt_alpha;
    double holt_beta;
};

/* Read carparts-r.csv; errors as cp_read(). free(*rows) releases it. */
int cp_read_r(const char *path, struct cp_r_row **rows, size_t *n, char *err,
              size_t err_len);

#endif
