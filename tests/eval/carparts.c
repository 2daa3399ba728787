/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * carparts reader, hold-out forecasts through models/ and the reader of R's
 * forecasts (see carparts.h). Values become integer micro-units before they
 * reach models/, so a forecast of 0.25 units is 250000 inside; smoothing weights
 * are Q32.32, rounded from the double-precision constants.
 */
#include "tests/eval/carparts.h"

#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/croston.h"
#include "models/holt.h"
#include "models/ses.h"
#include "models/units.h"

#define LINE_MAX_CHARS 4096

static const char *const method_names[CP_METHOD_COUNT] = {
    "naive", "ses", "holt", "holt@R", "croston", "sba", "tsb",
};

const char *
cp_method_to_str(enum cp_method m)
{
    if ((unsigned)m >= CP_METHOD_COUNT)
        return "?";
    return method_names[m];
}

uint64_t
cp_weight_q32(double w)
{
    if (w < 0.0)
        w = 0.0;
    if (w > 1.0)
        w = 1.0;
    return (uint64_t)llround(w * 4294967296.0);
}

int64_t
cp_micro(double v)
{
    return (int64_t)llround(v * CP_SCALE);
}

double
cp_units(int64_t v)
{
    return (double)v / CP_SCALE;
}

void
cp_free(struct cp_data *d)
{
    if (d == NULL)
        return;
    free(d->s);
    memset(d, 0, sizeof(*d));
}

/*
 * Split a CSV line (no quoting in these files) in place: fields[] point into
 * line. Returns the number of fields, or -1 if there are more than max.
 */
static int
split(char *line, char **fields, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        if (n == max)
            return -1;
        fields[n++] = p;
        char *c = strchr(p, ',');
        if (c == NULL)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

static void
chomp(char *s)
{
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r'))
        s[--len] = '\0';
}

/* A finite number >= 0 filling the whole field; NAN for an empty field. */
static int
parse_value(const char *s, bool allow_na, double *out)
{
    char *end;
    if (*s == '\0' || (allow_na && strcmp(s, "NA") == 0)) {
        if (!allow_na)
            return -EINVAL;
        *out = NAN;
        return 0;
    }
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || *end != '\0' || !isfinite(v))
        return -EINVAL;
    *out = v;
    return 0;
}

#define FAIL(...)                                                                      \
    do {                                                                               \
        int off_ = snprintf(err, err_len, "%s:%zu: ", path, line_no);                  \
        if (off_ >= 0 && (size_t)off_ < err_len)                                       \
            snprintf(err + off_, err_len - (size_t)off_, __VA_ARGS__);                 \
        rc = -EINVAL;                                                                  \
        goto out;                                                                      \
    } while (0)

int
cp_read(const char *path, struct cp_data *d, char *err, size_t err_len)
{
    char line[LINE_MAX_CHARS];
    char *fields[CP_MONTHS_MAX + 2];
    size_t line_no = 0, cap = 0;
    int rc = 0;

    memset(d, 0, sizeof(*d));
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = -errno;
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return rc;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        line_no++;
        if (strchr(line, '\n') == NULL && !feof(f))
            FAIL("line longer than %d characters", LINE_MAX_CHARS - 2);
        chomp(line);
        int nf = split(line, fields, CP_MONTHS_MAX + 2);
        if (nf < 0)
            FAIL("more than %d months", CP_MONTHS_MAX);
        if (line_no == 1) {
            if (nf < 2 || strcmp(fields[0], "part") != 0)
                FAIL("expected a header \"part,MONTH,...\"");
            d->months = nf - 1;
            continue;
        }
        if (nf != d->months + 1)
            FAIL("%d fields, the header has %d", nf, d->months + 1);
        struct cp_series s;
        memset(&s, 0, sizeof(s));
        if (strlen(fields[0]) == 0 || strlen(fields[0]) >= sizeof(s.part))
            FAIL("part number empty or longer than %zu characters", sizeof(s.part) - 1);
        snprintf(s.part, sizeof(s.part), "%s", fields[0]);
        double v[CP_MONTHS_MAX];
        int first = -1, last = -1;
        for (int i = 0; i < d->months; i++) {
            if (parse_value(fields[i + 1], true, &v[i]) < 0 || v[i] < 0.0)
                FAIL("month %d: \"%s\" is not a non-negative number or empty", i + 1,
                     fields[i + 1]);
            if (isnan(v[i])) {
                d->na++;
                continue;
            }
            if (first < 0)
                first = i;
            last = i;
        }
        d->rows++;
        if (first < 0) {
            d->all_na++;
            continue;
        }
        bool gap = false;
        for (int i = first; i <= last; i++)
            gap |= isnan(v[i]);
        if (gap) {
            d->interior++;
            continue;
        }
        if (last - first + 1 < CP_MIN_TRAIN + CP_HOLDOUT) {
            d->too_short++;
            continue;
        }
        s.first = first;
        s.n = last - first + 1;
        memcpy(s.y, v + first, (size_t)s.n * sizeof(double));
        if (d->n == cap) {
            cap = cap ? cap * 2 : 256;
            struct cp_series *ns = realloc(d->s, cap * sizeof(*ns));
            if (ns == NULL) {
                rc = -ENOMEM;
                snprintf(err, err_len, "%s: out of memory", path);
                goto out;
            }
            d->s = ns;
        }
        d->s[d->n++] = s;
    }
    if (ferror(f)) {
        rc = -EIO;
        snprintf(err, err_len, "%s: read error", path);
        goto out;
    }
    if (line_no == 0)
        FAIL("empty file");
out:
    fclose(f);
    if (rc < 0)
        cp_free(d);
    return rc;
}

double
cp_naive_scale(const double *y, int n_train)
{
    double sum = 0.0;
    if (n_train < 2)
        return 0.0;
    for (int i = 1; i < n_train; i++)
        sum += fabs(y[i] - y[i - 1]);
    return sum / (n_train - 1);
}

double
cp_score_add(struct cp_score *s, const double act[CP_HOLDOUT],
             const double f[CP_HOLDOUT], double scale)
{
    double ab = 0.0, sq = 0.0;
    for (int k = 0; k < CP_HOLDOUT; k++) {
        double e = act[k] - f[k];
        ab += fabs(e);
        sq += e * e;
    }
    ab /= CP_HOLDOUT;
    sq /= CP_HOLDOUT;
    s->abs_sum += ab;
    s->sq_sum += sq;
    s->rmse_sum += sqrt(sq);
    s->n++;
    if (scale > 0.0) {
        s->mase_sum += ab / scale;
        s->n_scale++;
    }
    return sq;
}

double
cp_score_mae(const struct cp_score *s)
{
    return s->n > 0 ? s->abs_sum / (double)s->n : 0.0;
}

double
cp_score_rmse(const struct cp_score *s)
{
    return s->n > 0 ? sqrt(s->sq_sum / (double)s->n) : 0.0;
}

double
cp_score_rmse_series(const struct cp_score *s)
{
    return s->n > 0 ? s->rmse_sum / (double)s->n : 0.0;
}

double
cp_score_mase(const struct cp_score *s)
{
    return s->n_scale > 0 ? s->mase_sum / (double)s->n_scale : 0.0;
}

/* Holt over the training months; sse (if not NULL) of months 3 .. n. */
static void
holt_run(const double *y, int n_train, double alpha, double beta, struct holt *h,
         double *sse)
{
    struct holt_step w;
    holt_step_periodic(&w, cp_weight_q32(alpha), cp_weight_q32(beta), MODELS_Q32_ONE);
    holt_init(h);
    double s = 0.0;
    for (int i = 0; i < n_train; i++) {
        if (i >= 2) {
            double e = y[i] - cp_units(holt_forecast(h, MODELS_Q32_ONE));
            s += e * e;
        }
        holt_update(h, cp_micro(y[i]), &w);
    }
    if (sse != NULL)
        *sse = s;
}

void
cp_holt_fit(const double *y, int n_train, double *alpha, double *beta)
{
    double best = INFINITY, ba = 0.3, bb = 0.1;
    struct holt h;
    for (int i = 0; i <= 20; i++) {
        for (int j = 0; j <= 20; j++) {
            double a = i * 0.05, b = j * 0.05, sse;
            holt_run(y, n_train, a, b, &h, &sse);
            if (sse < best) {
                best = sse;
                ba = a;
                bb = b;
            }
        }
    }
    double ca = ba, cb = bb;
    for (int i = -5; i <= 5; i++) {
        for (int j = -5; j <= 5; j++) {
            double a = ca + i * 0.01, b = cb + j * 0.01, sse;
            if (a < 0.0 || a > 1.0 || b < 0.0 || b > 1.0)
                continue;
            holt_run(y, n_train, a, b, &h, &sse);
            if (sse < best) {
                best = sse;
                ba = a;
                bb = b;
            }
        }
    }
    *alpha = ba;
    *beta = bb;
}

void
cp_forecast(const double *y, int n_train, enum cp_method m, double alpha, double beta,
            double f[CP_HOLDOUT])
{
    uint64_t a = cp_weight_q32(CP_ALPHA), b = cp_weight_q32(CP_TSB_BETA);

    if (m == CP_NAIVE) {
        for (int k = 0; k < CP_HOLDOUT; k++)
            f[k] = y[n_train - 1];
    } else if (m == CP_SES) {
        struct ses s;
        ses_init(&s);
        for (int i = 0; i < n_train; i++)
            ses_update(&s, cp_micro(y[i]), a);
        for (int k = 0; k < CP_HOLDOUT; k++)
            f[k] = cp_units(ses_forecast(&s));
    } else if (m == CP_HOLT || m == CP_HOLT_RPAR) {
        struct holt h;
        holt_run(y, n_train, alpha, beta, &h, NULL);
        for (int k = 0; k < CP_HOLDOUT; k++)
            f[k] = cp_units(holt_forecast(&h, (uint64_t)(k + 1) << 32));
    } else {
        enum croston_variant v = m == CP_CROSTON ? CROSTON_CLASSIC
                                 : m == CP_SBA   ? CROSTON_SBA
                                                 : CROSTON_TSB;
        struct croston c;
        croston_init(&c);
        for (int i = 0; i < n_train; i++)
            croston_period(&c, v, cp_micro(y[i]), a, b);
        for (int k = 0; k < CP_HOLDOUT; k++)
            f[k] = cp_units(croston_forecast_period(&c, v, a));
    }
}

/* Flat forecasts take one column, Holt's three. */
#define R_COLUMNS 13

static const char r_header[] = "part,n_train,scale,naive,ses,holt1,holt2,holt3,"
                               "holt_alpha,holt_beta,croston,sba,tsb";

int
cp_read_r(const char *path, struct cp_r_row **rows, size_t *n, char *err,
          size_t err_len)
{
    char line[LINE_MAX_CHARS];
    char *fields[R_COLUMNS + 1];
    size_t line_no = 0, cap = 0;
    bool header = false;
    int rc = 0;

    *rows = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        rc = -errno;
        snprintf(err, err_len, "%s: %s", path, strerror(errno));
        return rc;
    }
    while (fgets(line, sizeof(line), f) != NULL) {
        line_no++;
        chomp(line);
        if (line[0] == '#')
            continue;
        if (!header) {
            if (strcmp(line, r_header) != 0)
                FAIL("expected the header \"%s\"", r_header);
            header = true;
            continue;
        }
        int nf = split(line, fields, R_COLUMNS + 1);
        if (nf != R_COLUMNS)
            FAIL("%d fields, expected %d", nf, R_COLUMNS);
        struct cp_r_row r;
        memset(&r, 0, sizeof(r));
        if (strlen(fields[0]) == 0 || strlen(fields[0]) >= sizeof(r.part))
            FAIL("bad part number");
        snprintf(r.part, sizeof(r.part), "%s", fields[0]);
        double v[R_COLUMNS];
        for (int i = 1; i < R_COLUMNS; i++) {
            if (parse_value(fields[i], true, &v[i]) < 0)
                FAIL("column %d: \"%s\" is not a number or NA", i + 1, fields[i]);
        }
        if (!(v[1] >= 2 && v[1] <= CP_MONTHS_MAX))
            FAIL("n_train out of range");
        r.n_train = (int)v[1];
        r.scale = v[2];
        for (int k = 0; k < CP_HOLDOUT; k++) {
            r.f[CP_R_NAIVE][k] = v[3];
            r.f[CP_R_SES][k] = v[4];
            r.f[CP_R_HOLT][k] = v[5 + k];
            r.f[CP_R_CROSTON][k] = v[10];
            r.f[CP_R_SBA][k] = v[11];
            r.f[CP_R_TSB][k] = v[12];
        }
        r.holt_alpha = v[8];
        r.holt_beta = v[9];
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            struct cp_r_row *nr = realloc(*rows, cap * sizeof(*nr));
            if (nr == NULL) {
                rc = -ENOMEM;
                snprintf(err, err_len, "%s: out of memory", path);
                goto out;
            }
            *rows = nr;
        }
        (*rows)[(*n)++] = r;
    }
    if (!header)
        FAIL("empty file");
out:
    fclose(f);
    if (rc < 0) {
        free(*rows);
        *rows = NULL;
        *n = 0;
    }
    return rc;
}
