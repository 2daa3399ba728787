/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The double reference and models/ side by side with R's forecast package on
 * the 2,674 carparts series (data/carparts-r.csv, written by
 * carparts-forecast.R): the one-step fitted values and the next forecast of
 * ses() with alpha 0.1 and 0.3, holt() with R's own estimates of alpha and beta,
 * and croston() with alpha 0.1, all with R's simple initialisation.
 *
 *   (i)  ref.c must match R to 1e-6 relative (absolute floor 1e-9): the same
 *        recursion in the same precision, so only R's 10 printed digits and the
 *        order of floating-point operations differ.
 *   (ii) models/ (ses_update, holt_step_periodic + holt_update, croston_period)
 *        is fed the series in micro-units (y * 10^6, integers) with weights
 *        round(alpha * 2^32), and must match R within FX_REL_TOL relative or
 *        FX_ABS_TOL units, whichever is larger; see there for why.
 *
 * The series themselves are checked against tests/data/carparts.csv with the
 * same rule as the R script (strip leading and trailing NAs, skip a series with
 * an interior NA or fewer than 3 values), so the two files cannot drift apart.
 *
 * Usage: test-r-compare R_OUTPUT_CSV (carparts.csv is found with th_data()).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/croston.h"
#include "tests/harness.h"
#include "models/holt.h"
#include "tests/ref/ref.h"
#include "models/ses.h"
#include "models/units.h"

#define MAX_N 64
#define MAX_SERIES 4096
#define SCALE 1e6 /* models/ sees micro-units */

/*
 * models/ against R. Every update rounds a state to one micro-unit (1e-6
 * units); SES and Croston contract the error by (1 - alpha) per step, so it
 * stays below 0.5e-6 / alpha = 5e-6 units for alpha 0.1. Weights are rounded to
 * 2^-33 (relative 1e-9 of alpha 0.1), and R prints 10 digits (5e-10 relative).
 * 1e-4 relative or 1e-4 units, whichever is larger, covers this twenty times
 * over; the absolute floor is 1/10,000 of a car part.
 *
 * Holt adds more: with a small beta (R often picks 0.005) the trend keeps its
 * rounding error, up to 1/2 micro-unit per period, and the level adds the trend
 * every period, so after k periods the level may be off by k^2 / 4 + k
 * micro-units: 7e-4 units at k = 51. That is the state's resolution, not a
 * wrong formula (the cause of the event forecaster's former "deadband",
 * README.md); Holt's tolerance is the larger of the two, and the points over the
 * plain 1e-4 are counted and printed.
 */
#define FX_REL_TOL 1e-4
#define FX_ABS_TOL 1e-4
/* Relative errors are reported where R's value is at least this (units). */
#define REL_FLOOR 0.01
/* The reference against R (see above). */
#define REF_REL_TOL 1e-6
#define REF_ABS_TOL 1e-9

struct row {
    char part[32];
    char kind[16];
    double alpha;
    double beta;
    char status[16];
    int n;
    double v[MAX_N + 1]; /* fitted[1..n] in v[0..n-1], then the forecast */
    bool na[MAX_N + 1];
};

struct series {
    char part[32];
    int n;
    double y[MAX_N];
    struct row ses[2], holt, croston;
};

static struct series *all;
static int n_series;

struct worst {
    const char *name;
    long n;
    double rel;
    double abs;
    double frac; /* error / tolerance */
    long over;   /* points over the plain tolerance (Holt's k^2 allowance) */
    char where[96];
};

static void
worst_add(struct worst *w, double got, double want, double rel_tol, double abs_tol,
          double allowance, const char *part, int i)
{
    double err = fabs(got - want);
    double plain = fmax(rel_tol * fabs(want), abs_tol), tol = fmax(plain, allowance);
    w->n++;
    w->over += err > plain;
    if (err > w->abs)
        w->abs = err;
    if (fabs(want) >= REL_FLOOR && err / fabs(want) > w->rel)
        w->rel = err / fabs(want);
    if (!(err / tol <= w->frac)) {
        w->frac = err / tol;
        snprintf(w->where, sizeof(w->where), "part %s point %d: %.10g vs R %.10g", part,
                 i + 1, got, want);
    }
    CHECK_MSG(err <= tol, "%s: part %s point %d: %.12g vs R %.12g", w->name, part,
              i + 1, got, want);
}

static void
worst_print(const struct worst *w)
{
    printf("# %-16s %7ld points: worst rel %.3g (|R| >= 0.01), worst abs %.3g units, "
           "%.3g of "
           "tolerance (%s)",
           w->name, w->n, w->rel, w->abs, w->frac, w->where);
    if (w->over > 0)
        printf("; %ld over 1e-4, within the k^2 rounding allowance", w->over);
    printf("\n");
}

/* ------------------------------------------------------------------------- */
/* Input                                                                     */
/* ------------------------------------------------------------------------- */

/* Split a CSV line in place; returns the number of fields. */
static int
split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    line[strcspn(line, "\r\n")] = '\0';
    while (n < max) {
        fields[n++] = p;
        char *comma = strchr(p, ',');
        if (comma == NULL)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return n;
}

static bool
parse_row(char *line, struct row *r)
{
    char *f[MAX_N + 8];
    int nf = split(line, f, MAX_N + 8);
    if (nf < 6)
        return false;
    snprintf(r->part, sizeof(r->part), "%s", f[0]);
    snprintf(r->kind, sizeof(r->kind), "%s", f[1]);
    r->alpha = f[2][0] ? strtod(f[2], NULL) : 0;
    r->beta = f[3][0] ? strtod(f[3], NULL) : 0;
    snprintf(r->status, sizeof(r->status), "%s", f[4]);
    r->n = atoi(f[5]);
    int want = r->n + (strcmp(r->kind, "y") == 0 ? 0 : 1);
    if (r->n < 1 || r->n > MAX_N || nf != 6 + want)
        return false;
    for (int i = 0; i < want; i++) {
        r->na[i] = strcmp(f[6 + i], "NA") == 0;
        r->v[i] = r->na[i] ? NAN : strtod(f[6 + i], NULL);
    }
    return true;
}

static void
load_r_output(const char *path)
{
    FILE *fp = fopen(path, "r");
    static char line[65536];
    struct row r;
    long lines = 0;
    if (fp == NULL) {
        perror(path);
        exit(1);
    }
    all = calloc(MAX_SERIES, sizeof(*all));
    if (all == NULL)
        exit(1);
    while (fgets(line, sizeof(line), fp) != NULL) {
        lines++;
        if (line[0] == '#' || strncmp(line, "part,", 5) == 0) {
            if (strncmp(line, "# series:", 9) == 0 || strncmp(line, "# holt:", 7) == 0)
                printf("# R output%s", line + 1);
            continue;
        }
        if (!parse_row(line, &r)) {
            TH_FAIL("%s:%ld: malformed line", path, lines);
            continue;
        }
        if (strcmp(r.kind, "y") == 0) {
            if (n_series == MAX_SERIES) {
                TH_FAIL("%s: more than %d series", path, MAX_SERIES);
                break;
            }
            struct series *s = &all[n_series++];
            snprintf(s->part, sizeof(s->part), "%s", r.part);
            s->n = r.n;
            memcpy(s->y, r.v, sizeof(double) * (size_t)r.n);
            continue;
        }
        struct series *s = n_series > 0 ? &all[n_series - 1] : NULL;
        if (s == NULL || strcmp(s->part, r.part) != 0 || s->n != r.n) {
            TH_FAIL("%s:%ld: %s row of part %s does not follow its series", path, lines,
                    r.kind, r.part);
            continue;
        }
        if (strcmp(r.kind, "ses0.1") == 0)
            s->ses[0] = r;
        else if (strcmp(r.kind, "ses0.3") == 0)
            s->ses[1] = r;
        else if (strcmp(r.kind, "holt") == 0)
            s->holt = r;
        else if (strcmp(r.kind, "croston") == 0)
            s->croston = r;
        else
            TH_FAIL("%s:%ld: unknown kind %s", path, lines, r.kind);
    }
    fclose(fp);
}

/* The series again from tests/data/carparts.csv, by the R script's rule. */
static void
test_series_match_data(void)
{
    const char *path = th_data("carparts.csv");
    FILE *fp = fopen(path, "r");
    static char line[65536];
    int used = 0, k = 0;
    if (fp == NULL) {
        TH_FAIL("%s: cannot open", path);
        return;
    }
    if (fgets(line, sizeof(line), fp) == NULL) {
        TH_FAIL("%s: empty", path);
        fclose(fp);
        return;
    }
    while (fgets(line, sizeof(line), fp) != NULL) {
        char *f[MAX_N + 2];
        int nf = split(line, f, MAX_N + 2), first = -1, last = -1;
        bool interior_na = false;
        for (int i = 1; i < nf; i++)
            if (f[i][0] != '\0') {
                if (first < 0)
                    first = i;
                last = i;
            }
        for (int i = first; first > 0 && i <= last; i++)
            interior_na |= f[i][0] == '\0';
        if (first < 0 || interior_na || last - first + 1 < 3)
            continue;
        used++;
        if (k >= n_series || strcmp(all[k].part, f[0]) != 0 ||
            all[k].n != last - first + 1) {
            TH_FAIL("part %s: not the next series of the R output", f[0]);
            continue;
        }
        for (int i = first; i <= last; i++)
            CHECK_MSG(strtod(f[i], NULL) == all[k].y[i - first], "part %s month %d",
                      f[0], i);
        k++;
    }
    fclose(fp);
    printf("# carparts.csv: %d series used, R output: %d\n", used, n_series);
    CHECK_EQ_I64(used, n_series);
}

/* ------------------------------------------------------------------------- */
/* Comparisons                                                               */
/* ------------------------------------------------------------------------- */

static struct worst w_ref_ses = {.name = "ref ses"};
static struct worst w_ref_holt = {.name = "ref holt"};
static struct worst w_ref_cro = {.name = "ref croston"};
static struct worst w_fx_ses = {.name = "models/ ses"};
static struct worst w_fx_holt = {.name = "models/ holt"};
static struct worst w_fx_cro = {.name = "models/ croston"};

static int64_t
micro(double y)
{
    return (int64_t)llround(y * SCALE);
}

static uint64_t
q32(double w)
{
    return (uint64_t)llround(w * 4294967296.0);
}

/* Holt's allowance after k periods (see FX_REL_TOL). */
static double
holt_allowance(int k)
{
    return ((double)k * k / 4 + k) / SCALE;
}

/* Compare point i (0-based, n = the forecast) of R's row with ref and models/. */
static void
cmp(struct worst *wr, struct worst *wf, const struct row *r, int i, double ref,
    double fx_micro)
{
    if (r->na[i])
        return;
    worst_add(wr, ref, r->v[i], REF_REL_TOL, REF_ABS_TOL, 0, r->part, i);
    worst_add(wf, fx_micro / SCALE, r->v[i], FX_REL_TOL, FX_ABS_TOL,
              wf == &w_fx_holt ? holt_allowance(i) : 0, r->part, i);
}

static void
compare_ses(const struct series *s, const struct row *r)
{
    struct ref_ses rs;
    struct ses fs;
    uint64_t aq = q32(r->alpha);
    ref_ses_init(&rs);
    ses_init(&fs);
    /* R: level0 = y1, fitted[i] = level after y1 .. y(i-1); smoothing y1 into */
    /* itself changes nothing, which the "first observation" rule skips. */
    ref_ses_update(&rs, s->y[0], r->alpha);
    ses_update(&fs, micro(s->y[0]), aq);
    for (int i = 0; i < s->n; i++) {
        cmp(&w_ref_ses, &w_fx_ses, r, i, rs.level, (double)ses_forecast(&fs));
        if (i > 0) {
            ref_ses_update(&rs, s->y[i], r->alpha);
            ses_update(&fs, micro(s->y[i]), aq);
        }
    }
    cmp(&w_ref_ses, &w_fx_ses, r, s->n, rs.level, (double)ses_forecast(&fs));
}

static void
compare_holt(const struct series *s, const struct row *r)
{
    struct ref_holt rh, rs;
    struct ref_holt_step rw;
    struct holt fh, fs;
    struct holt_step fw;
    uint64_t aq = q32(r->alpha), bq = q32(r->beta);

    ref_holt_step_periodic(&rw, r->alpha, r->beta, 1);
    holt_step_periodic(&fw, aq, bq, MODELS_Q32_ONE);
    /*
     * fitted[1] and fitted[2] come before R has seen y2 as an observation:
     * l0 = y1, b0 = y2 - y1 as an explicit start, then y1 smoothed in.
     */
    ref_holt_start(&rs, s->y[0], s->y[1] - s->y[0]);
    holt_start(&fs, micro(s->y[0]), micro(s->y[1]) - micro(s->y[0]));
    cmp(&w_ref_holt, &w_fx_holt, r, 0, ref_holt_forecast(&rs, 1),
        (double)holt_forecast(&fs, MODELS_Q32_ONE));
    ref_holt_update(&rs, s->y[0], &rw);
    holt_update(&fs, micro(s->y[0]), &fw);
    cmp(&w_ref_holt, &w_fx_holt, r, 1, ref_holt_forecast(&rs, 1),
        (double)holt_forecast(&fs, MODELS_Q32_ONE));

    /* From fitted[3] on: the simple start inside holt_update() itself. */
    ref_holt_init(&rh);
    holt_init(&fh);
    for (int i = 0; i < s->n; i++) {
        if (i >= 2)
            cmp(&w_ref_holt, &w_fx_holt, r, i, ref_holt_forecast(&rh, 1),
                (double)holt_forecast(&fh, MODELS_Q32_ONE));
        ref_holt_update(&rh, s->y[i], &rw);
        holt_update(&fh, micro(s->y[i]), &fw);
    }
    cmp(&w_ref_holt, &w_fx_holt, r, s->n, ref_holt_forecast(&rh, 1),
        (double)holt_forecast(&fh, MODELS_Q32_ONE));
}

static void
compare_croston(const struct series *s, const struct row *r)
{
    struct ref_croston rc;
    struct croston fc;
    uint64_t aq = q32(r->alpha);
    ref_croston_init(&rc);
    croston_init(&fc);
    /* fitted[i + 1] is croston2() on y1 .. yi: our forecast after i periods. */
    for (int i = 0; i <= s->n; i++) {
        cmp(&w_ref_cro, &w_fx_cro, r, i,
            ref_croston_forecast_period(&rc, REF_CROSTON_CLASSIC, r->alpha),
            (double)croston_forecast_period(&fc, CROSTON_CLASSIC, aq));
        if (i < s->n) {
            ref_croston_period(&rc, REF_CROSTON_CLASSIC, s->y[i], r->alpha, 0);
            croston_period(&fc, CROSTON_CLASSIC, micro(s->y[i]), aq, 0);
        }
    }
}

static void
test_against_r(void)
{
    int fallback = 0;
    for (int k = 0; k < n_series; k++) {
        const struct series *s = &all[k];
        CHECK_MSG(s->ses[0].n == s->n && s->ses[1].n == s->n && s->holt.n == s->n &&
                      s->croston.n == s->n,
                  "part %s: missing rows", s->part);
        if (s->holt.n != s->n || s->croston.n != s->n || s->ses[1].n != s->n)
            continue;
        compare_ses(s, &s->ses[0]);
        compare_ses(s, &s->ses[1]);
        compare_holt(s, &s->holt);
        compare_croston(s, &s->croston);
        fallback += strcmp(s->holt.status, "fallback") == 0;
    }
    printf("# %d series, %d with Holt's fixed fallback weights\n", n_series, fallback);
    worst_print(&w_ref_ses);
    worst_print(&w_ref_holt);
    worst_print(&w_ref_cro);
    worst_print(&w_fx_ses);
    worst_print(&w_fx_holt);
    worst_print(&w_fx_cro);
}

int
main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s carparts-r.csv\n", argv[0]);
        return 2;
    }
    load_r_output(argv[1]);
    RUN(test_series_match_data);
    RUN(test_against_r);
    free(all);
    return th_done();
}
