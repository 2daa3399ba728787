/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Automatic methods for the carparts hold-out (see cpauto.h). Every forecast,
 * in-sample or of the hold-out, comes from models/ in integer micro-units; the
 * squared errors that choose between them are doubles. The event form sees
 * each month with demand as one consumption event at the month's end (months
 * of 30.4375 days, one unit as 1 kg so that rates stay in forecast.h's
 * accurate range), and its rate is turned back into units per month.
 */
#include "tests/eval/cpauto.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/croston.h"
#include "models/forecast.h"
#include "models/fx.h"
#include "tests/harness.h"
#include "models/ses.h"

static const double alphas[CPA_ALPHA_COUNT] = {0.02, 0.05, 0.1, 0.2, 0.3, 0.5};
static const int ks[CPA_K_COUNT] = {1, 2, 4, 8};
/* The grid's 0.1: R's croston() default, and the weight of the ses row. */
#define ALPHA_01 2

#define MONTH_S INT64_C(2629800) /* 365.25 / 12 days */
#define MG_PER_UNIT 1e6
/* rate ug/day * MONTH_S / 86400 days per month / 1e9 ug per unit * 1e6 */
#define UGPD_TO_MICRO_NUM MONTH_S
#define UGPD_TO_MICRO_DEN (INT64_C(86400) * 1000)

static const char *const method_names[CPA_METHOD_COUNT] = {
    "zero",  "mean",      "ses-fit",   "select",        "comb2",
    "comb3", "event-ses", "event-tsb", "pooled-select", "pooled-ratio",
};

static const char *const kind_names[CPA_KIND_COUNT] = {
    "naive", "mean", "ses", "croston", "sba", "tsb",
};

const char *
cpa_kind_to_str(enum cpa_kind k)
{
    if ((unsigned)k >= CPA_KIND_COUNT)
        return "?";
    return kind_names[k];
}

const char *
cpa_method_to_str(enum cpa_method m)
{
    if ((unsigned)m >= CPA_METHOD_COUNT)
        return "?";
    return method_names[m];
}

double
cpa_alpha(int alpha_index)
{
    return alphas[alpha_index];
}

int
cpa_k(int k_index)
{
    return ks[k_index];
}

int
cpa_base(enum cpa_kind kind, int alpha_index)
{
    if (kind == CPA_K_NAIVE || kind == CPA_K_MEAN)
        return (int)kind;
    return 2 + ((int)kind - CPA_K_SES) * CPA_ALPHA_COUNT + alpha_index;
}

enum cpa_kind
cpa_base_kind(int base)
{
    if (base < 2)
        return (enum cpa_kind)base;
    return (enum cpa_kind)(CPA_K_SES + (base - 2) / CPA_ALPHA_COUNT);
}

static int
base_alpha(int base)
{
    return base < 2 ? 0 : (base - 2) % CPA_ALPHA_COUNT;
}

void
cpa_base_name(int base, char *buf, size_t len)
{
    enum cpa_kind k = cpa_base_kind(base);
    if (base < 2)
        snprintf(buf, len, "%s", kind_names[k]);
    else
        snprintf(buf, len, "%s %g", kind_names[k], alphas[base_alpha(base)]);
}

/*
 * In-sample one-step forecasts of base b from y in micro-units: path[t] for
 * month t, path[n_train] after the last.
 */
static void
base_path(const int64_t *y, int n_train, int b, int64_t *path)
{
    enum cpa_kind kind = cpa_base_kind(b);
    uint64_t a = cp_weight_q32(alphas[base_alpha(b)]);
    enum croston_variant v = kind == CPA_K_CROSTON ? CROSTON_CLASSIC
                             : kind == CPA_K_SBA   ? CROSTON_SBA
                                                   : CROSTON_TSB;
    struct ses s;
    struct croston c;
    int64_t sum = 0;
    ses_init(&s);
    croston_init(&c);
    for (int t = 0; t <= n_train; t++) {
        if (kind == CPA_K_NAIVE)
            path[t] = t > 0 ? y[t - 1] : 0;
        else if (kind == CPA_K_MEAN)
            path[t] = t > 0 ? (sum + t / 2) / t : 0; /* sum >= 0: rounds */
        else if (kind == CPA_K_SES)
            path[t] = ses_forecast(&s);
        else
            path[t] = croston_forecast_period(&c, v, a);
        if (t == n_train)
            break;
        sum += y[t];
        if (kind == CPA_K_SES)
            ses_update(&s, y[t], a);
        else if (kind != CPA_K_NAIVE && kind != CPA_K_MEAN)
            croston_period(&c, v, y[t], a, a);
    }
}

static double
sse_from(const double *y, int n_train, const int64_t *path)
{
    double sse = 0.0;
    for (int t = CPA_FIT_FROM; t < n_train; t++) {
        double e = y[t] - cp_units(path[t]);
        sse += e * e;
    }
    return sse;
}

static int64_t
micro_per_month(int64_t rate_ugpd)
{
    return fx_muldiv(rate_ugpd, UGPD_TO_MICRO_NUM, UGPD_TO_MICRO_DEN);
}

/*
 * The event forecaster over the in-sample months with the given half-life:
 * squared one-step errors (the rate at the start of each month, over that
 * month) into *sse, the rate over the hold-out into *fc.
 */
static void
event_run(const double *y, int n_train, enum fc_method m, int64_t half_life_s,
          double *sse, int64_t *fc)
{
    struct fc_params p = {
        .method = m,
        .half_life_s = half_life_s,
        .trend_half_life_s = half_life_s,
        .damp_half_life_s = 0,
        .overdue_decay = true,
    };
    struct fc f;
    struct fc_rate r;
    fc_init(&f, 0);
    *sse = 0.0;
    for (int t = 0; t < n_train; t++) {
        if (t >= CPA_FIT_FROM) {
            fc_rate(&f, &p, t * MONTH_S, MONTH_S, &r);
            double e = y[t] - cp_units(micro_per_month(r.rate_ugpd));
            *sse += e * e;
        }
        if (y[t] > 0.0)
            fc_consume(&f, &p, (t + 1) * MONTH_S, llround(y[t] * MG_PER_UNIT));
    }
    fc_rate(&f, &p, n_train * MONTH_S, CP_HOLDOUT * MONTH_S, &r);
    *fc = micro_per_month(r.rate_ugpd);
}

/* The event form with k of the grid chosen by in-sample SSE. */
static void
event_fit(const double *y, int n_train, enum fc_method m, int *k_index, int64_t *fc)
{
    int demand = 0;
    for (int t = 0; t < n_train; t++)
        demand += y[t] > 0.0;
    *k_index = 0;
    *fc = 0;
    if (demand == 0)
        return;
    /* The cadence: the mean time between months with demand. */
    int64_t cadence_s = n_train * MONTH_S / demand;
    double best = INFINITY;
    for (int i = 0; i < CPA_K_COUNT; i++) {
        double sse;
        int64_t f;
        int64_t h = fx_clamp(ks[i] * cadence_s, 1, MODELS_DT_MAX_S);
        event_run(y, n_train, m, h, &sse, &f);
        if (sse < best) {
            best = sse;
            *k_index = i;
            *fc = f;
        }
    }
}

void
cpa_fit(const double *y, int n_train, struct cpa_fit *fit)
{
    int64_t path[CP_MONTHS_MAX + 1], ym[CP_MONTHS_MAX];
    for (int t = 0; t < n_train; t++)
        ym[t] = cp_micro(y[t]);
    for (int b = 0; b < CPA_BASE_COUNT; b++) {
        base_path(ym, n_train, b, path);
        fit->sse[b] = sse_from(y, n_train, path);
        fit->fc[b] = path[n_train];
        if (b != cpa_base(CPA_K_SES, ALPHA_01))
            continue;
        /* How SES 0.1 did over the in-sample months, CP_HOLDOUT at a time. */
        fit->actual_sum = 0;
        fit->forecast_sum = 0;
        for (int t = CPA_FIT_FROM; t + CP_HOLDOUT <= n_train; t++) {
            for (int k = 0; k < CP_HOLDOUT; k++)
                fit->actual_sum += ym[t + k];
            fit->forecast_sum += CP_HOLDOUT * path[t];
        }
    }
    event_fit(y, n_train, FC_SES, &fit->k_index[0], &fit->event_fc[0]);
    event_fit(y, n_train, FC_TSB, &fit->k_index[1], &fit->event_fc[1]);
}

void
cpa_panel_init(struct cpa_panel *p)
{
    for (int b = 0; b < CPA_BASE_COUNT; b++)
        p->sse[b] = 0.0;
    p->actual_sum = 0;
    p->forecast_sum = 0;
    p->n = 0;
}

void
cpa_panel_add(struct cpa_panel *p, const struct cpa_fit *fit)
{
    for (int b = 0; b < CPA_BASE_COUNT; b++)
        p->sse[b] += fit->sse[b];
    p->actual_sum += fit->actual_sum;
    p->forecast_sum += fit->forecast_sum;
    p->n++;
}

static int
argmin(const double *v, int from, int to)
{
    int best = from;
    for (int i = from + 1; i < to; i++)
        if (v[i] < v[best])
            best = i;
    return best;
}

int
cpa_panel_best(const struct cpa_panel *p)
{
    return argmin(p->sse, 0, CPA_BASE_COUNT);
}

uint64_t
cpa_panel_ratio_q32(const struct cpa_panel *p)
{
    if (p->forecast_sum <= 0)
        return MODELS_Q32_ONE;
    return (uint64_t)fx_div_q32(p->actual_sum, p->forecast_sum);
}

void
cpa_forecast(const struct cpa_fit *fit, const struct cpa_panel *p, enum cpa_method m,
             double f[CP_HOLDOUT], int *picked)
{
    int pick = -1;
    int64_t x = 0;
    int64_t ses = fit->fc[cpa_base(CPA_K_SES, ALPHA_01)];
    int64_t sba = fit->fc[cpa_base(CPA_K_SBA, ALPHA_01)];
    int64_t tsb = fit->fc[cpa_base(CPA_K_TSB, ALPHA_01)];
    int ses0 = cpa_base(CPA_K_SES, 0);

    if (m == CPA_MEAN) {
        x = fit->fc[cpa_base(CPA_K_MEAN, 0)];
    } else if (m == CPA_SES_FIT) {
        pick = argmin(fit->sse, ses0, ses0 + CPA_ALPHA_COUNT);
    } else if (m == CPA_SELECT) {
        pick = argmin(fit->sse, 0, CPA_BASE_COUNT);
    } else if (m == CPA_COMB2) {
        x = (ses + tsb + 1) / 2; /* both >= 0: rounds */
    } else if (m == CPA_COMB3) {
        x = (ses + sba + tsb + 1) / 3;
    } else if (m == CPA_EVENT_SES || m == CPA_EVENT_TSB) {
        int i = m == CPA_EVENT_SES ? 0 : 1;
        x = fit->event_fc[i];
        if (picked != NULL)
            *picked = fit->k_index[i];
    } else if (m == CPA_POOLED_SELECT) {
        pick = cpa_panel_best(p);
    } else if (m == CPA_POOLED_RATIO) {
        x = fx_mul_q32(ses, cpa_panel_ratio_q32(p));
    }
    if (pick >= 0)
        x = fit->fc[pick];
    for (int k = 0; k < CP_HOLDOUT; k++)
        f[k] = cp_units(x);
    if (picked != NULL && m != CPA_EVENT_SES && m != CPA_EVENT_TSB)
        *picked = pick;
}

static int
cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/*
 * Paired bootstrap of RMSE(method) - RMSE(SES 0.1): mse[i * cols + c] holds
 * series i's MSE under method c, the reference in column CPA_METHOD_COUNT.
 */
static int
bootstrap(const double *mse, size_t n, int reps, uint64_t seed, struct cpa_result *out)
{
    enum { COLS = CPA_METHOD_COUNT + 1 };
    double *d = malloc((size_t)reps * CPA_METHOD_COUNT * sizeof(*d));
    if (d == NULL)
        return -ENOMEM;
    uint64_t st = seed;
    for (int r = 0; r < reps; r++) {
        double sum[COLS] = {0};
        for (size_t j = 0; j < n; j++) {
            size_t i = (size_t)(th_rand(&st) % n);
            for (int c = 0; c < COLS; c++)
                sum[c] += mse[i * COLS + (size_t)c];
        }
        double ref = sqrt(sum[CPA_METHOD_COUNT] / (double)n);
        for (int m = 0; m < CPA_METHOD_COUNT; m++)
            d[(size_t)m * (size_t)reps + (size_t)r] = sqrt(sum[m] / (double)n) - ref;
    }
    for (int m = 0; m < CPA_METHOD_COUNT; m++) {
        double *dm = d + (size_t)m * (size_t)reps;
        qsort(dm, (size_t)reps, sizeof(*dm), cmp_double);
        out->diff_lo[m] = dm[(size_t)(0.05 * (reps - 1) + 0.5)];
        out->diff_hi[m] = dm[(size_t)(0.95 * (reps - 1) + 0.5)];
    }
    free(d);
    return 0;
}

/* The means of struct cpa_result's last fields. */
static void
level_by_year(const struct cp_series *s, size_t n, const bool *use,
              struct cpa_result *out)
{
    double sum[CP_MONTHS_MAX / 12 + 1] = {0}, f[CP_HOLDOUT], hold = 0.0, ses = 0.0;
    size_t cnt[CP_MONTHS_MAX / 12 + 1] = {0}, used = 0;
    for (size_t i = 0; i < n; i++) {
        if (use != NULL && !use[i])
            continue;
        int n_train = s[i].n - CP_HOLDOUT;
        for (int t = 0; t < n_train; t++) {
            int year = (s[i].first + t) / 12;
            sum[year] += s[i].y[t];
            cnt[year]++;
            out->years = year + 1 > out->years ? year + 1 : out->years;
        }
        cp_forecast(s[i].y, n_train, CP_SES, 0.0, 0.0, f);
        for (int k = 0; k < CP_HOLDOUT; k++) {
            hold += s[i].y[n_train + k];
            ses += f[k];
        }
        used++;
    }
    for (int y = 0; y < out->years; y++)
        out->year_mean[y] = cnt[y] > 0 ? sum[y] / (double)cnt[y] : NAN;
    out->holdout_mean = used > 0 ? hold / (double)(used * CP_HOLDOUT) : NAN;
    out->ses_mean = used > 0 ? ses / (double)(used * CP_HOLDOUT) : NAN;
}

int
cpa_evaluate(const struct cp_series *s, size_t n, const bool *use, int reps,
             uint64_t seed, struct cpa_result *out)
{
    enum { COLS = CPA_METHOD_COUNT + 1 };
    struct cpa_fit *fit = malloc((n > 0 ? n : 1) * sizeof(*fit));
    double *mse = malloc((n > 0 ? n : 1) * COLS * sizeof(*mse));
    struct cpa_panel p;
    size_t used = 0;
    int rc = 0;

    memset(out, 0, sizeof(*out));
    if (fit == NULL || mse == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    cpa_panel_init(&p);
    for (size_t i = 0; i < n; i++) {
        if (use != NULL && !use[i])
            continue;
        cpa_fit(s[i].y, s[i].n - CP_HOLDOUT, &fit[used]);
        cpa_panel_add(&p, &fit[used]);
        used++;
    }
    out->pooled_best = cpa_panel_best(&p);
    out->ratio_q32 = cpa_panel_ratio_q32(&p);
    for (size_t i = 0, j = 0; i < n; i++) {
        if (use != NULL && !use[i])
            continue;
        int n_train = s[i].n - CP_HOLDOUT;
        const double *act = s[i].y + n_train;
        double scale = cp_naive_scale(s[i].y, n_train), f[CP_HOLDOUT];
        for (int m = 0; m < CPA_METHOD_COUNT; m++) {
            int pick;
            cpa_forecast(&fit[j], &p, (enum cpa_method)m, f, &pick);
            mse[j * COLS + (size_t)m] = cp_score_add(&out->score[m], act, f, scale);
            if (pick >= 0)
                out->picks[m][pick]++;
        }
        cp_forecast(s[i].y, n_train, CP_SES, 0.0, 0.0, f);
        mse[j * COLS + CPA_METHOD_COUNT] = cp_score_add(&out->ses, act, f, scale);
        j++;
    }
    out->n = used;
    level_by_year(s, n, use, out);
    if (used > 0)
        rc = bootstrap(mse, used, reps, seed, out);
out:
    free(fit);
    free(mse);
    return rc;
}
