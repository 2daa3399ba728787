/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl forecast ITEM: the stock of the last days and the forecast from
 * now to the runout with its interval, as a chart for a terminal (braille
 * dots, or ASCII), or as JSON.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/pantryctl.h"

/* ---- forecast: the chart ---- */

/*
 * The chart is a grid of cells, each a braille character of 2 x 4 dots (or one
 * ASCII character). History and the expected line are drawn in dots; the
 * interval between the early and the late runout line fills whole cells. The
 * geometry (documented in PANTRYCTL.md, and recomputed by the tests):
 *
 *   X = 2 * plot columns dots across, Y = 4 * plot rows dots up;
 *   time t -> dot x = floor((t - t0) * (X - 1) / (t1 - t0) + 0.5), column x / 2;
 *   mass m -> dot y = floor(m * (Y - 1) / ymax + 0.5) from the bottom.
 */
struct chart {
    int lw;     /* y label width, "1000 g" */
    int pw, ph; /* plot columns and rows */
    int64_t t0_ms, t1_ms;
    int64_t ymax_mg;
    uint8_t *hist; /* braille bits of history per cell */
    uint8_t *fc;   /* braille bits of the expected line */
    uint8_t *fill; /* 1: inside the runout interval */
    char *mark;    /* axis marks per column */
};

/* The braille dot bit of (dx, dy) in a cell, dy from the top (Unicode order). */
static const uint8_t braille_bit[4][2] = {
    {0x01, 0x08},
    {0x02, 0x10},
    {0x04, 0x20},
    {0x40, 0x80},
};

static double
chart_xd(const struct chart *c, int64_t t_ms)
{
    return (double)(t_ms - c->t0_ms) * (double)(2 * c->pw - 1) /
           (double)(c->t1_ms - c->t0_ms);
}

static int
chart_x(const struct chart *c, int64_t t_ms)
{
    return (int)floor(chart_xd(c, t_ms) + 0.5);
}

static double
chart_yd(const struct chart *c, double mg)
{
    return mg * (double)(4 * c->ph - 1) / (double)c->ymax_mg;
}

/* One dot at (x, y), y from the bottom; outside the plot: nothing. */
static void
chart_dot(struct chart *c, uint8_t *layer, int x, int y)
{
    int ry = 4 * c->ph - 1 - y;

    if (x < 0 || x >= 2 * c->pw || ry < 0 || ry >= 4 * c->ph)
        return;
    layer[(ry / 4) * c->pw + x / 2] |= braille_bit[ry % 4][x % 2];
}

/*
 * A line between two points in time and mass, clipped to [t0, t1] first, then
 * drawn dot by dot (Bresenham) between the rounded end points.
 */
static void
chart_line(struct chart *c, uint8_t *layer, int64_t ta, double ma, int64_t tb,
           double mb)
{
    if (tb < ta || tb < c->t0_ms || ta > c->t1_ms)
        return;
    if (ta < c->t0_ms) {
        ma += (mb - ma) * (double)(c->t0_ms - ta) / (double)(tb - ta);
        ta = c->t0_ms;
    }
    if (tb > c->t1_ms) {
        mb = ma + (mb - ma) * (double)(c->t1_ms - ta) / (double)(tb - ta);
        tb = c->t1_ms;
    }
    int x0 = chart_x(c, ta), x1 = chart_x(c, tb);
    int y0 = (int)floor(chart_yd(c, ma) + 0.5), y1 = (int)floor(chart_yd(c, mb) + 0.5);
    int dx = abs(x1 - x0), dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1, sy = y0 < y1 ? 1 : -1, e = dx + dy;
    for (;;) {
        chart_dot(c, layer, x0, y0);
        if (x0 == x1 && y0 == y1)
            break;
        int e2 = 2 * e;
        if (e2 >= dy) {
            e += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            e += dx;
            y0 += sy;
        }
    }
}

/* The smallest of 10, 20, 50, 100, 200, 500, ... grams that is >= mg. */
static int64_t
nice_ceiling_mg(int64_t mg)
{
    static const int64_t steps[] = {1, 2, 5};

    for (int64_t p = 10000; p <= INT64_C(1000000000000); p *= 10)
        for (int k = 0; k < 3; k++)
            if (steps[k] * p >= mg)
                return steps[k] * p;
    return INT64_C(1000000000000);
}

struct history_pts {
    int64_t *t, *mean, *min, *max;
    size_t n, cap;
    int64_t max_mg;
};

static int
reading_cb(const struct store_reading *r, void *ctx)
{
    struct history_pts *h = ctx;

    if (h->n == h->cap) {
        size_t cap = h->cap ? 2 * h->cap : 256;
        int64_t *t = realloc(h->t, cap * sizeof(*t));
        if (t != NULL)
            h->t = t;
        int64_t *m = realloc(h->mean, cap * sizeof(*m));
        if (m != NULL)
            h->mean = m;
        int64_t *lo = realloc(h->min, cap * sizeof(*lo));
        if (lo != NULL)
            h->min = lo;
        int64_t *hi = realloc(h->max, cap * sizeof(*hi));
        if (hi != NULL)
            h->max = hi;
        if (t == NULL || m == NULL || lo == NULL || hi == NULL)
            return -ENOMEM;
        h->cap = cap;
    }
    h->t[h->n] = r->start_ms;
    h->mean[h->n] = r->mean_mg;
    h->min[h->n] = r->min_mg;
    h->max[h->n] = r->max_mg;
    h->n++;
    if (r->mean_mg > h->max_mg)
        h->max_mg = r->mean_mg;
    return 0;
}

/* Put label text centred on column col of a line of n columns, if it fits free. */
static void
place_label(char *line, bool *used, int n, int col, const char *text, bool right)
{
    int len = (int)strlen(text);
    int start = right ? col - len + 1 : col - len / 2;

    if (len > n)
        return;
    if (start < 0)
        start = 0;
    if (start + len > n)
        start = n - len;
    for (int i = start - 1; i <= start + len; i++)
        if (i >= 0 && i < n && used[i])
            return;
    for (int i = 0; i < len; i++) {
        line[start + i] = text[i];
        used[start + i] = true;
    }
}

/* Print one cell: history dots win over the expected line, which wins over fill. */
static void
put_cell(const struct chart *c, size_t i, bool ascii)
{
    unsigned bits = c->hist[i] | c->fc[i];

    if (ascii) {
        putchar(c->hist[i] ? '#' : c->fc[i] ? '*' : c->fill[i] ? '.' : ' ');
        return;
    }
    if (bits) {
        unsigned cp = 0x2800 + bits; /* U+2800..U+28FF in UTF-8: three bytes */
        putchar(0xe0 | (cp >> 12));
        putchar(0x80 | ((cp >> 6) & 0x3f));
        putchar(0x80 | (cp & 0x3f));
    } else {
        fputs(c->fill[i] ? "░" : " ", stdout);
    }
}

static void
print_chart(const struct chart *c, const struct opts *o)
{
    char lab[3][32];
    int lab_row[3], nlab = 0;
    int64_t vals[3] = {c->ymax_mg, c->ymax_mg / 2, 0};

    /* y labels: the top, the half (on the row holding its dot) and zero */
    for (int k = 0; k < 3; k++) {
        int y = (int)floor(chart_yd(c, (double)vals[k]) + 0.5);
        int row = (4 * c->ph - 1 - y) / 4;
        if (k == 1 && (row == 0 || row == c->ph - 1))
            continue;
        snprintf(lab[nlab], sizeof(lab[nlab]), "%" PRId64 " g", vals[k] / 1000);
        lab_row[nlab++] = row;
    }
    for (int r = 0; r < c->ph; r++) {
        const char *l = "";
        for (int k = 0; k < nlab; k++)
            if (lab_row[k] == r)
                l = lab[k];
        printf("%*s %s", c->lw, l, o->ascii ? (*l ? "+" : "|") : (*l ? "┤" : "│"));
        for (int x = 0; x < c->pw; x++)
            put_cell(c, (size_t)(r * c->pw + x), o->ascii);
        putchar('\n');
    }
    /* the time axis with its marks, then dates under them */
    printf("%*s %s", c->lw, "", o->ascii ? "+" : "└");
    for (int x = 0; x < c->pw; x++) {
        switch (c->mark[x]) {
        case 'r':
            fputs(o->ascii ? "^" : "▲", stdout);
            break;
        case 'n':
            fputs(o->ascii ? "|" : "┴", stdout);
            break;
        case 't':
            fputs(o->ascii ? "+" : "┬", stdout);
            break;
        default:
            fputs(o->ascii ? "-" : "─", stdout);
        }
    }
    putchar('\n');
}

/* What an item's chart is drawn from. */
struct forecast_in {
    const struct cfg_item *it;
    struct store_view v;
    int have;             /* 1: v holds the latest forecast */
    struct history_pts h; /* the readings of the last --days */
    int64_t now;          /* ms */
    int64_t ro, lo, hi;   /* the runouts in ms (expected, early, late), -1: none */
};

/* The time and mass ranges: the future shown is up to the late runout (else the
 * expected one), at least a day and at most 4 x the history; without a foreseen
 * runout, as long as the history. */
static void
frame_chart(struct chart *c, const struct forecast_in *f, int64_t days_ms)
{
    int64_t end = f->hi >= 0 ? f->hi : f->ro;
    int64_t future = days_ms;

    if (end >= 0) {
        future = end - f->now;
        if (future < MODELS_DAY_MS)
            future = MODELS_DAY_MS;
        if (future > 4 * days_ms)
            future = 4 * days_ms;
    }
    c->t1_ms = f->now + future;
    int64_t top = f->h.max_mg;
    if (f->have && f->v.stock_mg > top)
        top = f->v.stock_mg;
    c->ymax_mg = nice_ceiling_mg(top);
}

/* --json: the ranges, the readings and the view; the exit status. */
static int
print_forecast_json(const struct chart *c, const struct forecast_in *f)
{
    const struct history_pts *h = &f->h;
    cJSON *root = cJSON_CreateObject();

    cJSON_AddStringToObject(root, "item", f->it->id);
    cJSON_AddStringToObject(root, "name", f->it->name);
    cJSON_AddNumberToObject(root, "now_ms", (double)f->now);
    cJSON_AddNumberToObject(root, "from_ms", (double)c->t0_ms);
    cJSON_AddNumberToObject(root, "to_ms", (double)c->t1_ms);
    cJSON_AddNumberToObject(root, "ymax_g", (double)c->ymax_mg / 1000.0);
    cJSON *arr = cJSON_AddArrayToObject(root, "readings");
    for (size_t i = 0; i < h->n; i++) {
        cJSON *p = cJSON_CreateObject();
        cJSON_AddNumberToObject(p, "t_ms", (double)h->t[i]);
        cJSON_AddNumberToObject(p, "mean_g", (double)h->mean[i] / 1000.0);
        cJSON_AddNumberToObject(p, "min_g", (double)h->min[i] / 1000.0);
        cJSON_AddNumberToObject(p, "max_g", (double)h->max[i] / 1000.0);
        cJSON_AddItemToArray(arr, p);
    }
    if (f->have)
        cJSON_AddItemToObject(root, "view", view_json(f->it, &f->v, f->now));
    else
        cJSON_AddNullToObject(root, "view");
    return print_json(root);
}

/* The header: what the chart says in words, cut to the chart's width. */
static void
print_header(const struct forecast_in *f, const struct opts *o)
{
    char head[256], a[32];
    size_t hl = (size_t)snprintf(head, sizeof(head), "%s  %s", f->it->id, f->it->name);

    if (f->have)
        snprintf(head + hl, sizeof(head) - hl, ": %s, %.1f g/day%s",
                 fmt_g(f->v.stock_mg, a, 32), (double)f->v.rate_ugpd / 1e6,
                 f->v.fault ? ", sensor FAULT" : "");
    else
        snprintf(head + hl, sizeof(head) - hl, ": no forecast yet");
    put_cut(head, (int)o->width);
    putchar('\n');
}

/* The plot's size from --width and --height and its layers; 0, or the exit
 * status after a message. */
static int
alloc_chart(struct chart *c, const struct opts *o)
{
    char a[32];

    snprintf(a, sizeof(a), "%" PRId64 " g", c->ymax_mg / 1000);
    c->lw = (int)strlen(a);
    c->pw = (int)o->width - c->lw - 2;
    c->ph = (int)o->height;
    if (c->pw < 10)
        return cli_usage_error("--width %" PRId64 " leaves no room for the chart",
                               o->width);
    size_t cells = (size_t)c->pw * (size_t)c->ph;
    c->hist = calloc(cells, 1);
    c->fc = calloc(cells, 1);
    c->fill = calloc(cells, 1);
    c->mark = calloc((size_t)c->pw, 1);
    if (c->hist == NULL || c->fc == NULL || c->fill == NULL || c->mark == NULL)
        return cli_fail("out of memory");
    return 0;
}

/* History: the means joined up, then to the stock of the latest forecast. */
static void
draw_history(struct chart *c, const struct forecast_in *f)
{
    const struct history_pts *h = &f->h;

    for (size_t i = 0; i < h->n; i++) {
        if (i == 0)
            chart_dot(c, c->hist, chart_x(c, h->t[0]),
                      (int)floor(chart_yd(c, (double)h->mean[0]) + 0.5));
        else
            chart_line(c, c->hist, h->t[i - 1], (double)h->mean[i - 1], h->t[i],
                       (double)h->mean[i]);
    }
    if (f->have && h->n > 0 && f->v.t_ms >= h->t[h->n - 1])
        chart_line(c, c->hist, h->t[h->n - 1], (double)h->mean[h->n - 1], f->v.t_ms,
                   (double)f->v.stock_mg);
}

/* The interval: cells whose centre lies between the early and late lines. */
static void
fill_interval(struct chart *c, const struct forecast_in *f)
{
    double s = (double)f->v.stock_mg;
    int64_t ts = f->v.t_ms, lo = f->lo, hi = f->hi;

    for (int x = 0; x < c->pw; x++) {
        double tc = (double)c->t0_ms + (2.0 * x + 0.5) * (double)(c->t1_ms - c->t0_ms) /
                                           (double)(2 * c->pw - 1);
        if (tc < (double)ts || lo < 0)
            continue; /* no early runout foreseen: no interval either */
        double early = 0, late = s;
        if (lo >= 0 && lo > ts)
            early = fmax(0, s * (1.0 - (tc - (double)ts) / (double)(lo - ts)));
        if (hi >= 0 && hi > ts)
            late = fmax(0, s * (1.0 - (tc - (double)ts) / (double)(hi - ts)));
        else if (hi >= 0)
            late = 0;
        for (int row = 0; row < c->ph; row++) {
            /* the cell's centre: between its 2nd and 3rd dot rows */
            double yc = (double)(4 * c->ph - 1 - (4 * row + 1)) - 0.5;
            double mc = yc * (double)c->ymax_mg / (double)(4 * c->ph - 1);
            if (mc >= early && mc <= late && late > early)
                c->fill[row * c->pw + x] = 1;
        }
    }
}

/* The forecast: the expected line, then empty until the end; the interval. */
static void
draw_forecast(struct chart *c, const struct forecast_in *f)
{
    double s = (double)f->v.stock_mg;
    int64_t ts = f->v.t_ms, ro = f->ro;

    if (ro >= 0 && ro > ts) {
        chart_line(c, c->fc, ts, s, ro, 0);
        chart_line(c, c->fc, ro, 0, c->t1_ms, 0);
    } else if (ro >= 0) {
        chart_line(c, c->fc, ts, 0, c->t1_ms, 0);
    } else {
        chart_line(c, c->fc, ts, s, c->t1_ms, s);
    }
    fill_interval(c, f);
}

/* Dates under the axis: the runout first, then now, the start and the end;
 * xn and xr the columns of now and of the runout (-1: none). 0, or the exit
 * status after a message. */
static int
print_dates(const struct chart *c, const struct forecast_in *f, int xn, int xr)
{
    char a[32];
    char *line = malloc((size_t)c->pw + 1);
    bool *used = calloc((size_t)c->pw, sizeof(bool));

    if (line == NULL || used == NULL) {
        free(line);
        free(used);
        return cli_fail("out of memory");
    }
    memset(line, ' ', (size_t)c->pw);
    line[c->pw] = '\0';
    if (xr >= 0 && f->ro <= c->t1_ms)
        place_label(line, used, c->pw, xr, fmt_day(f->ro, a, 32), false);
    place_label(line, used, c->pw, xn, "now", false);
    place_label(line, used, c->pw, 0, fmt_day(c->t0_ms, a, 32), false);
    place_label(line, used, c->pw, c->pw - 1, fmt_day(c->t1_ms, a, 32), true);
    for (int x = c->pw - 1; x >= 0 && line[x] == ' '; x--)
        line[x] = '\0';
    printf("%*s  %s\n", c->lw, "", line);
    free(line);
    free(used);
    return 0;
}

/* The legend, in two lines of at most 40 columns (the narrowest chart). */
static void
print_legend(const struct forecast_in *f, const struct opts *o)
{
    char a[32], b[32], d[32];

    puts(o->ascii ? "# stock  * expected use  . interval"
                  : "⠉ stock and expected use  ░ interval");
    fputs(o->ascii ? "^ runout " : "▲ runout ", stdout);
    if (!f->have)
        printf("unknown: no forecast yet\n");
    else if (f->ro < 0)
        printf("not foreseen\n");
    else
        printf("%s (%s..%s)\n", fmt_time(f->ro, a, 32),
               f->lo >= 0 ? fmt_day(f->lo, b, 32) : "?",
               f->hi >= 0 ? fmt_day(f->hi, d, 32) : "never");
}

/* The chart for people, after the header; the exit status. */
static int
draw_and_print(struct chart *c, const struct forecast_in *f, const struct opts *o)
{
    int rc = alloc_chart(c, o);

    if (rc != 0)
        return rc;
    draw_history(c, f);
    if (f->have)
        draw_forecast(c, f);
    /* axis marks: now, then the runout (which wins where they meet) */
    int xn = chart_x(c, f->now) / 2;
    if (xn >= 0 && xn < c->pw)
        c->mark[xn] = 'n';
    int xr = -1;
    if (f->ro >= 0) {
        xr = f->ro <= c->t1_ms ? chart_x(c, f->ro) / 2 : c->pw - 1;
        if (xr >= 0 && xr < c->pw)
            c->mark[xr] = 'r';
    }
    print_chart(c, o);
    if ((rc = print_dates(c, f, xn, xr)) != 0)
        return rc;
    print_legend(f, o);
    return 0;
}

int
cmd_forecast(const struct command *cmd, struct opts *o)
{
    struct store *db = NULL;
    struct forecast_in f = {.now = o->now_ms};
    struct chart c = {0};
    int rc = EXIT_REFUSED, idx;

    (void)cmd;
    if ((idx = find_item(o->item)) < 0)
        return EXIT_USAGE;
    f.it = &pctl_cfg.items[idx];
    if (open_store(&db) != 0)
        return EXIT_REFUSED;
    if ((f.have = get_view(db, f.it->id, &f.v)) < 0)
        goto out;

    int64_t days_ms = o->days * MODELS_DAY_MS;
    c.t0_ms = f.now - days_ms;
    int r = store_readings(db, f.it->id, c.t0_ms, f.now + 1, reading_cb, &f.h);
    if (r < 0) {
        cli_fail("%s: reading its history: %s", f.it->id,
                 r == -ENOMEM ? "out of memory" : store_errmsg(db));
        goto out;
    }
    f.ro = f.have ? runout_ms(f.v.runout_s) : -1;
    f.lo = f.have ? runout_ms(f.v.runout_lo_s) : -1;
    f.hi = f.have ? runout_ms(f.v.runout_hi_s) : -1;
    frame_chart(&c, &f, days_ms);
    if (o->json) {
        rc = print_forecast_json(&c, &f);
        goto out;
    }
    print_header(&f, o);
    if (f.h.n == 0 && !f.have) {
        printf("Nothing to draw yet: no readings in the last %" PRId64 " days.\n",
               o->days);
        rc = 0;
        goto out;
    }
    rc = draw_and_print(&c, &f, o);
out:
    free(f.h.t);
    free(f.h.mean);
    free(f.h.min);
    free(f.h.max);
    free(c.hist);
    free(c.fc);
    free(c.fill);
    free(c.mark);
    store_close(db);
    return rc;
}
