/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-eval: scores the forecasting methods of models/ and the reorder policy
 * against a plain stock threshold. For each scenario of the trace generator (or
 * each trace file given with --trace) and each method it replays the traces
 * open loop (runout prediction error 1, 3 and 7 days before every true runout)
 * and closed loop (stockout days, lost demand, excess stock, orders), then
 * scores the carparts hold-out against R's forecasts. The report is Markdown on
 * stdout and, with --out, in a file whose hand-written reading (everything from
 * the READING_MARK line on) is kept when the tables are regenerated.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/eval/carparts.h"
#include "tests/eval/cpauto.h"
#include "tests/eval/sim.h"
#include "tests/eval/tracegen.h"

#ifndef EVAL_SOURCE_ROOT
#define EVAL_SOURCE_ROOT "."
#endif

#define READING_MARK                                                                   \
    "<!-- reading: hand-written, kept when the tables are regenerated -->"
#define MAX_TRACES 64
#define POLICY_COUNT (SIM_METHOD_COUNT + 2)
static const uint32_t threshold_pcts[2] = {20, 30};
static const double sensitivity_hl_d[3] = {3.0, 7.0, 14.0};

struct options {
    int days;
    int seeds;
    int scenario; /* -1: all */
    const char *traces[MAX_TRACES];
    int n_traces;
    const char *write_dir;
    const char *carparts;
    const char *r_results;
    bool no_carparts;
    bool no_holt_fit;
    bool no_auto;
    bool no_sensitivity;
    const char *out;
    const char *command;
};

/* Report sink: stdout and, optionally, the new RESULTS file. */
struct report {
    FILE *f[2];
    int n;
};

static void rep(struct report *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
rep(struct report *r, const char *fmt, ...)
{
    for (int i = 0; i < r->n; i++) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(r->f[i], fmt, ap);
        va_end(ap);
    }
}

/* A group of traces scored together: one scenario's seeds, or one file. */
struct group {
    char title[160];
    struct trace *t;
    int n;
};

static void
group_fini(struct group *g)
{
    for (int i = 0; i < g->n; i++)
        trace_fini(&g->t[i]);
    free(g->t);
    g->t = NULL;
    g->n = 0;
}

static int
write_trace_file(const char *dir, const struct trace *t)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/%s-%" PRIu64 ".trace", dir, t->name, t->seed);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "pantry-eval: cannot write %s: %s\n", path, strerror(errno));
        return -errno;
    }
    int rc = trace_write(t, f);
    if (fclose(f) != 0 && rc == 0)
        rc = -errno;
    if (rc < 0)
        fprintf(stderr, "pantry-eval: writing %s failed: %s\n", path, strerror(-rc));
    return rc;
}

static int
generate_group(const struct options *o, enum tg_scenario s, struct group *g)
{
    g->t = calloc((size_t)o->seeds, sizeof(*g->t));
    if (g->t == NULL)
        return -ENOMEM;
    snprintf(g->title, sizeof(g->title), "%s: %s", tg_scenario_to_str(s),
             tg_scenario_describe(s));
    for (int i = 0; i < o->seeds; i++) {
        trace_init(&g->t[i]);
        int rc = tg_generate(&g->t[i], s, (uint64_t)i + 1, o->days);
        if (rc < 0) {
            fprintf(stderr, "pantry-eval: cannot generate %s for %d days: %s\n",
                    tg_scenario_to_str(s), o->days, strerror(-rc));
            return rc;
        }
        g->n++;
        if (o->write_dir != NULL && write_trace_file(o->write_dir, &g->t[i]) < 0)
            return -EIO;
    }
    return 0;
}

static int
read_group(const char *path, struct group *g)
{
    char err[512];
    g->t = calloc(1, sizeof(*g->t));
    if (g->t == NULL)
        return -ENOMEM;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "pantry-eval: cannot open trace %s: %s\n", path,
                strerror(errno));
        return -errno;
    }
    int rc = trace_read(&g->t[0], f, path, err, sizeof(err));
    fclose(f);
    if (rc < 0) {
        fprintf(stderr, "pantry-eval: bad trace: %s\n", err);
        return rc;
    }
    g->n = 1;
    snprintf(g->title, sizeof(g->title), "trace %s (%s)", path, g->t[0].name);
    return 0;
}

static void
make_policies(struct sim_policy *pol, int64_t hl_s)
{
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        snprintf(pol[m].name, sizeof(pol[m].name), "forecast %s", sim_methods[m].name);
        pol[m].kind = SIM_POLICY_FORECAST;
        pol[m].p = sim_methods[m].p;
        if (hl_s > 0)
            pol[m].p.half_life_s = hl_s;
        pol[m].threshold_pct = 0;
    }
    for (int i = 0; i < 2; i++) {
        struct sim_policy *p = &pol[SIM_METHOD_COUNT + i];
        snprintf(p->name, sizeof(p->name), "threshold %" PRIu32 "%%",
                 threshold_pcts[i]);
        p->kind = SIM_POLICY_THRESHOLD;
        memset(&p->p, 0, sizeof(p->p));
        p->threshold_pct = threshold_pcts[i];
    }
}

/* Per group results, kept for the summary. */
struct group_result {
    struct runout_score ro[SIM_METHOD_COUNT];
    struct loop_score loop[POLICY_COUNT]; /* sums over the group's traces */
    int traces;
};

static int
score_group(const struct group *g, int64_t hl_s, struct group_result *res)
{
    struct sim_policy pol[POLICY_COUNT];
    make_policies(pol, hl_s);
    memset(res, 0, sizeof(*res));
    res->traces = g->n;
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        struct fc_params p = sim_methods[m].p;
        if (hl_s > 0)
            p.half_life_s = hl_s;
        for (int i = 0; i < g->n; i++) {
            int rc = sim_runouts(&g->t[i], &p, &res->ro[m]);
            if (rc < 0)
                return rc;
        }
    }
    for (int k = 0; k < POLICY_COUNT; k++) {
        for (int i = 0; i < g->n; i++) {
            struct loop_score s;
            int rc = sim_closed_loop(&g->t[i], &pol[k], &s);
            if (rc < 0) {
                fprintf(stderr,
                        "pantry-eval: %s: no refill in the trace, cannot simulate\n",
                        g->title);
                return rc;
            }
            struct loop_score *a = &res->loop[k];
            a->days += s.days;
            a->stockout_days += s.stockout_days;
            a->excess_pack_days += s.excess_pack_days;
            a->demand_mg += s.demand_mg;
            a->lost_mg += s.lost_mg;
            a->orders += s.orders;
            a->packs += s.packs;
        }
    }
    return 0;
}

static double
mae(const struct runout_score *s, int h)
{
    return s->n[h] ? s->abs_err_d[h] / s->n[h] : NAN;
}

static void
rep_num(struct report *r, double v, int prec)
{
    if (isnan(v))
        rep(r, " - |");
    else
        rep(r, " %.*f |", prec, v);
}

static void
report_group(struct report *r, const struct group *g, const struct group_result *res)
{
    const struct runout_score *ro0 = &res->ro[0];
    rep(r, "### %s\n\n", g->title);
    rep(r, "%d trace%s, %" PRIu32 " true runouts.\n\n", res->traces,
        res->traces == 1 ? "" : "s", ro0->runouts);
    rep(r, "| method | MAE 1 d | MAE 3 d | MAE 7 d | n 1/3/7 d | bias 3 d | "
           "in interval |\n");
    rep(r, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        const struct runout_score *s = &res->ro[m];
        uint32_t n = 0, in = 0;
        for (int h = 0; h < SIM_HORIZONS; h++) {
            n += s->n[h];
            in += s->inside[h];
        }
        rep(r, "| %s |", sim_methods[m].name);
        for (int h = 0; h < SIM_HORIZONS; h++)
            rep_num(r, mae(s, h), 2);
        rep(r, " %" PRIu32 "/%" PRIu32 "/%" PRIu32 " |", s->n[0], s->n[1], s->n[2]);
        rep_num(r, s->n[1] ? s->err_d[1] / s->n[1] : NAN, 2);
        rep_num(r, n ? 100.0 * in / n : NAN, 0);
        rep(r, "\n");
    }
    rep(r, "\n| policy | stockout days | lost demand %% | excess pack-days | orders | "
           "packs |\n");
    rep(r, "|---|---:|---:|---:|---:|---:|\n");
    for (int k = 0; k < POLICY_COUNT; k++) {
        const struct loop_score *s = &res->loop[k];
        double n = res->traces;
        struct sim_policy pol[POLICY_COUNT];
        make_policies(pol, 0);
        rep(r, "| %s |", pol[k].name);
        rep_num(r, s->stockout_days / n, 1);
        rep_num(r,
                s->demand_mg ? 100.0 * (double)s->lost_mg / (double)s->demand_mg : 0.0,
                2);
        rep_num(r, s->excess_pack_days / n, 1);
        rep_num(r, s->orders / n, 1);
        rep_num(r, s->packs / n, 1);
        rep(r, "\n");
    }
    rep(r, "\n");
}

static void
report_summary(struct report *r, const struct group *g, const struct group_result *res,
               int n_groups)
{
    rep(r, "## Summary over scenarios\n\n");
    rep(r, "Runout MAE 3 days ahead (days), stockout days and excess pack-days per "
           "trace, by scenario.\n\n");
    rep(r, "| method |");
    for (int i = 0; i < n_groups; i++) {
        char name[40];
        snprintf(name, sizeof(name), "%.39s", g[i].title);
        char *colon = strchr(name, ':');
        if (colon != NULL)
            *colon = '\0';
        rep(r, " %s |", name);
    }
    rep(r, " mean |\n|---|");
    for (int i = 0; i <= n_groups; i++)
        rep(r, "---:|");
    rep(r, "\n");
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        double sum = 0.0;
        int cnt = 0;
        rep(r, "| MAE 3 d %s |", sim_methods[m].name);
        for (int i = 0; i < n_groups; i++) {
            double v = mae(&res[i].ro[m], 1);
            rep_num(r, v, 2);
            if (!isnan(v)) {
                sum += v;
                cnt++;
            }
        }
        rep_num(r, cnt ? sum / cnt : NAN, 2);
        rep(r, "\n");
    }
    struct sim_policy pol[POLICY_COUNT];
    make_policies(pol, 0);
    for (int k = 0; k < POLICY_COUNT; k++) {
        double sum = 0.0;
        rep(r, "| stockout days %s |", pol[k].name);
        for (int i = 0; i < n_groups; i++) {
            double v = (double)res[i].loop[k].stockout_days / res[i].traces;
            rep_num(r, v, 1);
            sum += v;
        }
        rep_num(r, sum / n_groups, 1);
        rep(r, "\n");
    }
    for (int k = 0; k < POLICY_COUNT; k++) {
        double sum = 0.0;
        rep(r, "| excess pack-days %s |", pol[k].name);
        for (int i = 0; i < n_groups; i++) {
            double v = res[i].loop[k].excess_pack_days / res[i].traces;
            rep_num(r, v, 1);
            sum += v;
        }
        rep_num(r, sum / n_groups, 1);
        rep(r, "\n");
    }
    rep(r, "\n");
}

static int
report_sensitivity(struct report *r, const struct group *g, int n_groups)
{
    double m3[3][SIM_METHOD_COUNT] = {{0}}, so[3][SIM_METHOD_COUNT] = {{0}};
    for (int j = 0; j < 3; j++) {
        int64_t hl = (int64_t)(sensitivity_hl_d[j] * SIM_DAY_S);
        for (int i = 0; i < n_groups; i++) {
            struct group_result res;
            int rc = score_group(&g[i], hl, &res);
            if (rc < 0)
                return rc;
            for (int m = 0; m < SIM_METHOD_COUNT; m++) {
                m3[j][m] += mae(&res.ro[m], 1) / n_groups;
                so[j][m] += (double)res.loop[m].stockout_days / res.traces / n_groups;
            }
        }
    }
    rep(r, "## Half-life sensitivity\n\n");
    rep(r, "The level half-life of every method set to 3, 7 (the default) and 14 days; "
           "means over the scenarios of the runout MAE 3 days ahead and of the "
           "stockout days per trace of the forecast policy.\n\n");
    rep(r,
        "| method | MAE 3 d, 3 d | 7 d | 14 d | stockout days, 3 d | 7 d | 14 d |\n");
    rep(r, "|---|---:|---:|---:|---:|---:|---:|\n");
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        rep(r, "| %s |", sim_methods[m].name);
        for (int j = 0; j < 3; j++)
            rep_num(r, m3[j][m], 2);
        for (int j = 0; j < 3; j++)
            rep_num(r, so[j][m], 1);
        rep(r, "\n");
    }
    rep(r, "\n");
    return 0;
}

#define CPA_BOOT_REPS 1000
#define CPA_BOOT_SEED UINT64_C(20261205)

/*
 * Shares of a method's picks: "name x %" for each base or k picked, or for
 * select each kind (all its weights together).
 */
static void
rep_picks(struct report *r, const struct cpa_result *x, enum cpa_method m)
{
    bool event = m == CPA_EVENT_SES || m == CPA_EVENT_TSB;
    size_t count[CPA_BASE_COUNT] = {0};
    char name[CPA_BASE_COUNT][32];
    for (int b = 0; b < CPA_BASE_COUNT; b++) {
        int to = b;
        if (m == CPA_SELECT) {
            to = (int)cpa_base_kind(b);
            snprintf(name[to], sizeof(name[to]), "%s",
                     cpa_kind_to_str(cpa_base_kind(b)));
        } else if (event) {
            snprintf(name[b], sizeof(name[b]), "k = %d",
                     b < CPA_K_COUNT ? cpa_k(b) : 0);
        } else {
            cpa_base_name(b, name[b], sizeof(name[b]));
        }
        count[to] += x->picks[m][b];
    }
    const char *sep = "";
    rep(r, "- `%s` picked", cpa_method_to_str(m));
    for (int b = 0; b < CPA_BASE_COUNT; b++) {
        if (count[b] == 0)
            continue;
        rep(r, "%s %s %.1f %%", sep, name[b], 100.0 * (double)count[b] / (double)x->n);
        sep = ",";
    }
    rep(r, ".\n");
}

/* The automatic methods of cpauto.h on the series marked in use. */
static int
report_carparts_auto(struct report *r, const struct cp_data *d, const bool *use)
{
    static const char *const names[CPA_METHOD_COUNT] = {
        "zero: forecast 0",
        "mean: the in-sample mean",
        "ses-fit: ses, alpha of the grid by in-sample SSE",
        "select: naive, mean, ses, croston, sba, tsb x grid by in-sample SSE",
        "comb2: (ses + tsb) / 2, alpha 0.1",
        "comb3: (ses + sba + tsb) / 3, alpha 0.1",
        "event-ses: event form ses, half-life k x cadence, k by in-sample SSE",
        "event-tsb: event form tsb, the same",
        "pooled-select: one of select's for all series, least in-sample SSE of all",
        "pooled-ratio: ses 0.1 x in-sample actual / forecast of all series",
    };
    struct cpa_result x;
    int rc = cpa_evaluate(d->s, d->n, use, CPA_BOOT_REPS, CPA_BOOT_SEED, &x);
    if (rc < 0)
        return rc;
    char best[32];
    cpa_base_name(x.pooled_best, best, sizeof(best));
    rep(r, "### Automatic methods\n\n");
    rep(r,
        "Every method below uses only in-sample months: one-step errors of months "
        "%d .. %d of each series (grid: alpha 0.02, 0.05, 0.1, 0.2, 0.3, 0.5; TSB's "
        "beta = alpha; k = 1, 2, 4, 8); the two pooled methods learn from the "
        "in-sample months of all %zu series. Forecasts by models/ in fixed point. "
        "RMSE - ses: RMSE minus that of ses alpha 0.1, the 5 %% and 95 %% points of "
        "a paired bootstrap over series (%d resamples, seed %" PRIu64 "). "
        "RMSE/series: mean over series of each series' own RMSE.\n\n",
        CPA_FIT_FROM + 1, d->s[0].n - CP_HOLDOUT, x.n, CPA_BOOT_REPS, CPA_BOOT_SEED);
    rep(r, "| method | RMSE | RMSE - ses, 90 %% | MAE | MASE | RMSE/series |\n");
    rep(r, "|---|---:|---:|---:|---:|---:|\n");
    rep(r, "| ses, alpha 0.1 (R's best) |");
    rep_num(r, cp_score_rmse(&x.ses), 4);
    rep(r, " 0 |");
    rep_num(r, cp_score_mae(&x.ses), 4);
    rep_num(r, cp_score_mase(&x.ses), 4);
    rep_num(r, cp_score_rmse_series(&x.ses), 4);
    rep(r, "\n");
    for (int m = 0; m < CPA_METHOD_COUNT; m++) {
        rep(r, "| %s |", names[m]);
        rep_num(r, cp_score_rmse(&x.score[m]), 4);
        rep(r, " %+.4f .. %+.4f |", x.diff_lo[m], x.diff_hi[m]);
        rep_num(r, cp_score_mae(&x.score[m]), 4);
        rep_num(r, cp_score_mase(&x.score[m]), 4);
        rep_num(r, cp_score_rmse_series(&x.score[m]), 4);
        rep(r, "\n");
    }
    rep(r, "\n");
    rep_picks(r, &x, CPA_SES_FIT);
    rep_picks(r, &x, CPA_SELECT);
    rep_picks(r, &x, CPA_EVENT_SES);
    rep_picks(r, &x, CPA_EVENT_TSB);
    rep(r,
        "- `pooled-select` picked %s for every series; `pooled-ratio`'s factor is "
        "%.4f.\n\n",
        best, (double)x.ratio_q32 / 4294967296.0);
    /* carparts.csv starts in January 1998 (tests/data/README.md). */
    rep(r, "Mean demand per series and month, in-sample:");
    for (int y = 0; y < x.years; y++)
        rep(r, "%s %d %.3f", y > 0 ? "," : "", 1998 + y, x.year_mean[y]);
    rep(r, "; held out: %.3f; ses 0.1's forecast of it: %.3f.\n\n", x.holdout_mean,
        x.ses_mean);
    return 0;
}

/* R's method for each of ours. */
static const enum cp_r_method r_of[CP_METHOD_COUNT] = {
    CP_R_NAIVE, CP_R_SES, CP_R_HOLT, CP_R_HOLT, CP_R_CROSTON, CP_R_SBA, CP_R_TSB,
};

static int
report_carparts(struct report *r, const struct options *o)
{
    char err[512];
    struct cp_data d;
    struct cp_r_row *rr = NULL;
    bool *use = NULL;
    size_t nr = 0;
    int rc = cp_read(o->carparts, &d, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "pantry-eval: %s\n", err);
        return rc;
    }
    rc = cp_read_r(o->r_results, &rr, &nr, err, sizeof(err));
    if (rc < 0) {
        fprintf(stderr, "pantry-eval: %s\n", err);
        goto out;
    }
    if (nr != d.n) {
        fprintf(stderr,
                "pantry-eval: %s has %zu series, %s keeps %zu: rerun "
                "tests/eval/carparts-holdout.R\n",
                o->r_results, nr, o->carparts, d.n);
        rc = -EINVAL;
        goto out;
    }
    struct cp_score sc_c[CP_METHOD_COUNT] = {0}, sc_r[CP_METHOD_COUNT] = {0};
    double maxdiff[CP_METHOD_COUNT] = {0};
    use = calloc(d.n > 0 ? d.n : 1, sizeof(*use));
    if (use == NULL) {
        rc = -ENOMEM;
        goto out;
    }
    size_t scored = 0, with_scale = 0, r_failed = 0;
    for (size_t i = 0; i < d.n; i++) {
        const struct cp_series *s = &d.s[i];
        const struct cp_r_row *x = &rr[i];
        int n_train = s->n - CP_HOLDOUT;
        if (strcmp(s->part, x->part) != 0 || n_train != x->n_train) {
            fprintf(stderr,
                    "pantry-eval: %s line %zu is part %s, expected %s: rerun "
                    "tests/eval/carparts-holdout.R\n",
                    o->r_results, i + 2, x->part, s->part);
            rc = -EINVAL;
            goto out;
        }
        bool ok = true;
        for (int m = 0; m < CP_R_METHOD_COUNT; m++)
            for (int k = 0; k < CP_HOLDOUT; k++)
                ok &= isfinite(x->f[m][k]);
        if (!ok) {
            r_failed++;
            continue;
        }
        use[i] = true;
        double scale = cp_naive_scale(s->y, n_train);
        scored++;
        with_scale += scale > 0.0;
        const double *act = s->y + n_train;
        for (int m = 0; m < CP_METHOD_COUNT; m++) {
            double f[CP_HOLDOUT], a = x->holt_alpha, b = x->holt_beta;
            if (m == CP_HOLT && o->no_holt_fit)
                continue;
            if (m == CP_HOLT)
                cp_holt_fit(s->y, n_train, &a, &b);
            cp_forecast(s->y, n_train, (enum cp_method)m, a, b, f);
            cp_score_add(&sc_c[m], act, f, scale);
            cp_score_add(&sc_r[m], act, x->f[r_of[m]], scale);
            for (int k = 0; k < CP_HOLDOUT; k++) {
                double diff = fabs(f[k] - x->f[r_of[m]][k]);
                if (diff > maxdiff[m])
                    maxdiff[m] = diff;
            }
        }
    }
    rep(r, "## Carparts: hold-out of the last %d months\n\n", CP_HOLDOUT);
    rep(r,
        "%s: %zu series, %zu empty fields; skipped %zu with nothing observed, %zu "
        "with a gap, %zu with fewer than %d in-sample months; R's holt() failed on "
        "%zu. Scored: %zu series, MASE over the %zu with a non-zero in-sample naive "
        "error. MAE and MASE are means over series; RMSE is the root of the mean "
        "over series of each series' mean squared error (every series-month weighs "
        "the same). C: models/ in fixed point (units x 1e6); R: forecast %s.\n\n",
        "tests/data/carparts.csv", d.rows, d.na, d.all_na, d.interior, d.too_short,
        CP_MIN_TRAIN, r_failed, scored, with_scale, "8.20");
    rep(r, "| method | MAE C | MAE R | RMSE C | RMSE R | MASE C | MASE R | max abs(C - "
           "R) |\n");
    rep(r, "|---|---:|---:|---:|---:|---:|---:|---:|\n");
    static const char *const r_names[CP_METHOD_COUNT] = {
        "naive()",
        "ses()",
        "holt()",
        "holt()",
        "croston()",
        "croston() x 0.95",
        "TSB in R (own code)",
    };
    static const char *const c_names[CP_METHOD_COUNT] = {
        "naive",
        "ses, alpha 0.1",
        "holt, alpha/beta by grid search",
        "holt with R's alpha/beta",
        "croston, alpha 0.1",
        "sba, alpha 0.1",
        "tsb, alpha = beta = 0.1",
    };
    for (int m = 0; m < CP_METHOD_COUNT; m++) {
        if (m == CP_HOLT && o->no_holt_fit)
            continue;
        rep(r, "| %s vs %s |", c_names[m], r_names[m]);
        rep_num(r, cp_score_mae(&sc_c[m]), 4);
        rep_num(r, cp_score_mae(&sc_r[m]), 4);
        rep_num(r, cp_score_rmse(&sc_c[m]), 4);
        rep_num(r, cp_score_rmse(&sc_r[m]), 4);
        rep_num(r, cp_score_mase(&sc_c[m]), 4);
        rep_num(r, cp_score_mase(&sc_r[m]), 4);
        rep(r, " %.2g |\n", maxdiff[m]);
    }
    rep(r, "\n");
    if (!o->no_auto)
        rc = report_carparts_auto(r, &d, use);
out:
    free(use);
    free(rr);
    cp_free(&d);
    return rc;
}

/* The hand-written reading of an existing report, from READING_MARK on. */
static char *
old_reading(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    char *buf = NULL;
    size_t len = 0, cap = 0;
    char line[4096];
    bool on = false;
    while (fgets(line, sizeof(line), f) != NULL) {
        if (!on && strncmp(line, READING_MARK, strlen(READING_MARK)) == 0)
            on = true;
        if (!on)
            continue;
        size_t l = strlen(line);
        if (len + l + 1 > cap) {
            cap = (len + l + 1) * 2;
            char *n = realloc(buf, cap);
            if (n == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = n;
        }
        memcpy(buf + len, line, l + 1);
        len += l;
    }
    fclose(f);
    return buf;
}

static void
usage(FILE *f)
{
    fprintf(
        f,
        "usage: pantry-eval [OPTIONS]\n"
        "  --days N           days per generated trace (default 365)\n"
        "  --seeds N          seeds 1..N per scenario (default 8)\n"
        "  --scenario NAME    only this scenario (steady, laundry, holiday, guests,\n"
        "                     growing, pack)\n"
        "  --trace FILE       replay this trace file instead (repeatable)\n"
        "  --write-traces DIR write every generated trace to DIR/NAME-SEED.trace\n"
        "  --carparts CSV     carparts data (default tests/data/carparts.csv)\n"
        "  --r-results CSV    R's forecasts (default tests/eval/carparts-r.csv)\n"
        "  --no-carparts      skip the carparts hold-out\n"
        "  --no-holt-fit      skip fitting Holt's weights on carparts (slow)\n"
        "  --no-auto          skip the automatic methods on carparts\n"
        "  --no-sensitivity   skip the half-life sensitivity runs\n"
        "  --out FILE         also write the report to FILE, keeping its reading\n"
        "  --command TEXT     the command to name in the report\n");
}

static int
parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || end == s || v < lo || v > hi)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

static int
parse_args(int argc, char **argv, struct options *o)
{
    static const struct option longopts[] = {
        {"days", required_argument, NULL, 'd'},
        {"seeds", required_argument, NULL, 's'},
        {"scenario", required_argument, NULL, 'S'},
        {"trace", required_argument, NULL, 't'},
        {"write-traces", required_argument, NULL, 'w'},
        {"carparts", required_argument, NULL, 'c'},
        {"r-results", required_argument, NULL, 'r'},
        {"no-carparts", no_argument, NULL, 'C'},
        {"no-holt-fit", no_argument, NULL, 'H'},
        {"no-auto", no_argument, NULL, 'A'},
        {"no-sensitivity", no_argument, NULL, 'N'},
        {"out", required_argument, NULL, 'o'},
        {"command", required_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        enum tg_scenario s;
        switch (c) {
        case 'd':
            if (parse_int(optarg, 30, 3660, &o->days) < 0) {
                fprintf(stderr, "pantry-eval: --days takes 30 .. 3660\n");
                return -EINVAL;
            }
            break;
        case 's':
            if (parse_int(optarg, 1, 1000, &o->seeds) < 0) {
                fprintf(stderr, "pantry-eval: --seeds takes 1 .. 1000\n");
                return -EINVAL;
            }
            break;
        case 'S':
            if (tg_scenario_from_str(optarg, &s) < 0) {
                fprintf(stderr, "pantry-eval: unknown scenario \"%s\"\n", optarg);
                return -EINVAL;
            }
            o->scenario = (int)s;
            break;
        case 't':
            if (o->n_traces == MAX_TRACES) {
                fprintf(stderr, "pantry-eval: at most %d --trace files\n", MAX_TRACES);
                return -EINVAL;
            }
            o->traces[o->n_traces++] = optarg;
            break;
        case 'w':
            o->write_dir = optarg;
            break;
        case 'c':
            o->carparts = optarg;
            break;
        case 'r':
            o->r_results = optarg;
            break;
        case 'C':
            o->no_carparts = true;
            break;
        case 'H':
            o->no_holt_fit = true;
            break;
        case 'A':
            o->no_auto = true;
            break;
        case 'N':
            o->no_sensitivity = true;
            break;
        case 'o':
            o->out = optarg;
            break;
        case 'x':
            o->command = optarg;
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            return -EINVAL;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "pantry-eval: unexpected argument \"%s\"\n", argv[optind]);
        usage(stderr);
        return -EINVAL;
    }
    return 0;
}

/* The run's date: SOURCE_DATE_EPOCH when set (reproducible builds), else now. */
static void
run_date(char *buf, size_t len)
{
    const char *sde = getenv("SOURCE_DATE_EPOCH");
    time_t now =
        sde != NULL && *sde != '\0' ? (time_t)strtoll(sde, NULL, 10) : time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(buf, len, "%Y-%m-%d", &tm);
}

int
main(int argc, char **argv)
{
    struct options o = {
        .days = 365,
        .seeds = 8,
        .scenario = -1,
        .carparts = EVAL_SOURCE_ROOT "/tests/data/carparts.csv",
        .r_results = EVAL_SOURCE_ROOT "/tests/eval/carparts-r.csv",
    };
    struct group g[MAX_TRACES] = {0};
    struct group_result res[MAX_TRACES];
    struct report r = {{stdout, NULL}, 1};
    char tmp_path[4096] = "", date[32];
    char *reading = NULL;
    int n_groups = 0, rc;

    rc = parse_args(argc, argv, &o);
    if (rc < 0)
        return 2;
    if (o.n_traces > 0) {
        for (int i = 0; i < o.n_traces && rc == 0; i++) {
            rc = read_group(o.traces[i], &g[i]);
            n_groups += rc == 0;
        }
    } else {
        for (int s = 0; s < TG_SCENARIO_COUNT && rc == 0; s++) {
            if (o.scenario >= 0 && s != o.scenario)
                continue;
            rc = generate_group(&o, (enum tg_scenario)s, &g[n_groups]);
            n_groups++;
        }
    }
    if (rc < 0)
        goto out;
    for (int i = 0; i < n_groups; i++) {
        rc = score_group(&g[i], 0, &res[i]);
        if (rc < 0)
            goto out;
    }

    if (o.out != NULL) {
        reading = old_reading(o.out);
        snprintf(tmp_path, sizeof(tmp_path), "%s.tmp", o.out);
        r.f[1] = fopen(tmp_path, "w");
        if (r.f[1] == NULL) {
            fprintf(stderr, "pantry-eval: cannot write %s: %s\n", tmp_path,
                    strerror(errno));
            rc = -errno;
            goto out;
        }
        r.n = 2;
    }
    run_date(date, sizeof(date));
    rep(&r, "# pantry-agent: forecast and reorder evaluation\n\n");
    rep(&r, "Measured on %s with `%s`", date,
        o.command != NULL ? o.command : "build/tests/eval/pantry-eval");
    if (o.n_traces == 0)
        rep(&r, " (%d seeds x %d days per scenario)", o.seeds, o.days);
    rep(&r, ". Regenerate with `ninja -C build eval` (rewrites this file; the "
            "reading at the end is kept). Definitions: tests/eval/README.md.\n\n");
    rep(&r,
        "Runout tables: mean absolute error in days of the predicted runout "
        "(t_mid) 1, 3 and 7 days before each true runout, errors capped at %.0f "
        "days; n predictions; bias = mean signed error 3 days before (> 0: "
        "predicted too late); in interval = %% of predictions whose [t_lo, t_hi] at "
        "a %u%% service level holds the true runout. Policy tables, per trace: "
        "days with an empty shelf, demand lost to it, excess stock (stock above one "
        "pack plus the next 2 days' demand) in pack-days, orders and packs "
        "ordered.\n\n",
        SIM_ERR_CAP_D, SIM_SERVICE_BP / 100);
    rep(&r, "## Scenarios\n\n");
    for (int i = 0; i < n_groups; i++)
        report_group(&r, &g[i], &res[i]);
    if (n_groups > 1)
        report_summary(&r, g, res, n_groups);
    if (!o.no_sensitivity) {
        rc = report_sensitivity(&r, g, n_groups);
        if (rc < 0)
            goto out;
    }
    if (!o.no_carparts) {
        rc = report_carparts(&r, &o);
        if (rc < 0)
            goto out;
    }
    if (r.n == 2) {
        /* Only the file gets the reading; stdout stays the measured tables. */
        if (reading != NULL)
            fputs(reading, r.f[1]);
        else
            fprintf(r.f[1], "%s\n## Reading\n\n(not written yet)\n", READING_MARK);
        /* Complete file first, then rename over the old one: a failed run */
        /* never leaves a half-written RESULTS.md behind. */
        if (fflush(r.f[1]) != 0 || fsync(fileno(r.f[1])) != 0) {
            rc = -errno;
            fprintf(stderr, "pantry-eval: writing %s: %s\n", tmp_path, strerror(errno));
            goto out;
        }
        if (fclose(r.f[1]) != 0) {
            r.f[1] = NULL;
            rc = -errno;
            goto out;
        }
        r.f[1] = NULL;
        if (rename(tmp_path, o.out) != 0) {
            rc = -errno;
            fprintf(stderr, "pantry-eval: rename %s: %s\n", o.out, strerror(errno));
            goto out;
        }
        tmp_path[0] = '\0';
    }
out:
    if (r.n == 2 && r.f[1] != NULL)
        fclose(r.f[1]);
    if (tmp_path[0] != '\0' && rc < 0)
        unlink(tmp_path);
    free(reading);
    for (int i = 0; i < MAX_TRACES; i++)
        group_fini(&g[i]);
    return rc < 0 ? 1 : 0;
}
