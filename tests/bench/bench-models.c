/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Workloads for the callgrind benchmark of models/ (run.sh): each runs one
 * operation N times on pre-generated inputs inside a function named measure_*,
 * so that callgrind counts only those instructions (--toggle-collect). The same
 * workload runs on the fixed-point code and on the double reference of
 * tests/ref, in the same binary and with the same inputs.
 *
 * Usage: bench-models fixed|ref update|forecast|weight|dayuse METHOD N
 * (dayuse: the use per day of models/dayuse.h, added and its peak asked, fixed only)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/dayuse.h"
#include "models/forecast.h"
#include "models/fx.h"
#include "tests/harness.h"
#include "tests/ref/ref.h"

#define DAY INT64_C(86400)

struct input {
    int64_t t_s;
    int64_t mg;
    int64_t stock_mg;
};

static volatile int64_t sink_i;
static volatile double sink_d;

__attribute__((noinline)) static void
measure_fixed_update(struct fc *f, const struct fc_params *p, const struct input *in,
                     size_t n)
{
    for (size_t i = 0; i < n; i++)
        fc_consume(f, p, in[i].t_s, in[i].mg);
}

__attribute__((noinline)) static void
measure_ref_update(struct ref_fc *f, const struct ref_fc_params *p,
                   const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        ref_fc_consume(f, p, in[i].t_s, (double)in[i].mg);
}

__attribute__((noinline)) static void
measure_fixed_forecast(const struct fc *f, const struct fc_params *p,
                       const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct runout r;
        fc_runout(f, p, in[i].stock_mg, 9500, in[i].t_s, &r);
        sink_i += r.t_lo_s;
    }
}

__attribute__((noinline)) static void
measure_ref_forecast(const struct ref_fc *f, const struct ref_fc_params *p,
                     const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct ref_runout r;
        struct ref_fc_rate used;
        ref_fc_runout(f, p, (double)in[i].stock_mg, 9500, in[i].t_s, &r, &used);
        sink_d += r.t_lo_s;
    }
}

__attribute__((noinline)) static void
measure_fixed_dayuse(struct dayuse *d, const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dayuse_add(d, in[i].t_s, in[i].mg);
}

__attribute__((noinline)) static void
measure_fixed_peak(const struct dayuse *d, const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sink_i += dayuse_peak_mg(d, in[i].t_s, 3 * DAY + in[i].mg % DAY);
}

__attribute__((noinline)) static void
measure_fixed_weight(const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sink_i += (int64_t)fx_alpha_q32(in[i].mg, 14 * DAY);
}

__attribute__((noinline)) static void
measure_ref_weight(const struct input *in, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sink_d += ref_alpha((double)in[i].mg, 14.0 * 86400.0);
}

static int
method_of(const char *s)
{
    for (int m = 0; m < FC_METHOD_COUNT; m++)
        if (strcmp(s, fc_method_to_str((enum fc_method)m)) == 0)
            return m;
    return -1;
}

int
main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: bench-models fixed|ref "
                        "update|forecast|weight|dayuse|peak METHOD N\n");
        return 2;
    }
    int fixed = strcmp(argv[1], "fixed") == 0;
    const char *op = argv[2];
    int m = method_of(argv[3]);
    size_t n = strtoul(argv[4], NULL, 10);
    if (m < 0 || n == 0 || n > 10000000) {
        fprintf(stderr, "bench-models: bad method or N\n");
        return 2;
    }
    /* Irregular household events: 1 min .. 2 days apart, 1 .. 300 g. */
    struct input *in = calloc(n, sizeof(*in));
    if (in == NULL)
        return 1;
    uint64_t rng = 42;
    int64_t t = 1790000000;
    for (size_t i = 0; i < n; i++) {
        t += 60 + (int64_t)(th_rand(&rng) % (uint64_t)(2 * DAY));
        in[i].t_s = t;
        in[i].mg = 1000 + (int64_t)(th_rand(&rng) % 300000);
        in[i].stock_mg = (int64_t)(th_rand(&rng) % 3000000);
    }
    struct fc_params p = {
        .method = (enum fc_method)m,
        .half_life_s = 14 * DAY,
        .trend_half_life_s = 28 * DAY,
        .damp_half_life_s = 30 * DAY,
        .overdue_decay = true,
    };
    struct ref_fc_params rp = {
        .method = (enum ref_fc_method)m,
        .half_life_s = 14.0 * DAY,
        .trend_half_life_s = 28.0 * DAY,
        .damp_half_life_s = 30.0 * DAY,
        .overdue_decay = true,
    };
    struct fc f;
    struct ref_fc rf;
    fc_init(&f, 1790000000);
    ref_fc_init(&rf, 1790000000);
    if (strcmp(op, "update") == 0) {
        if (fixed)
            measure_fixed_update(&f, &p, in, n);
        else
            measure_ref_update(&rf, &rp, in, n);
    } else if (strcmp(op, "forecast") == 0) {
        /* a learnt state, then queries at the event times */
        measure_fixed_update(&f, &p, in, n < 200 ? n : 200);
        ref_fc_consume(&rf, &rp, in[0].t_s, 1.0);
        for (size_t i = 1; i < (n < 200 ? n : 200); i++)
            ref_fc_consume(&rf, &rp, in[i].t_s, (double)in[i].mg);
        for (size_t i = 0; i < n; i++)
            in[i].t_s = in[n < 200 ? n - 1 : 199].t_s + (int64_t)(i % 7) * 3600;
        if (fixed)
            measure_fixed_forecast(&f, &p, in, n);
        else
            measure_ref_forecast(&rf, &rp, in, n);
    } else if (strcmp(op, "dayuse") == 0 || strcmp(op, "peak") == 0) {
        struct dayuse d;
        dayuse_init(&d, in[0].t_s);
        if (op[0] == 'd') {
            measure_fixed_dayuse(&d, in, n);
        } else {
            /* four weeks of use, then queries within the last day */
            for (int64_t k = 0; k < 28 * 4; k++)
                dayuse_add(&d, in[0].t_s + k * 6 * 3600, 100000);
            int64_t end = in[0].t_s + 28 * DAY;
            for (size_t i = 0; i < n; i++)
                in[i].t_s = end + (int64_t)(i % 24) * 3600;
            measure_fixed_peak(&d, in, n);
        }
    } else if (strcmp(op, "weight") == 0) {
        for (size_t i = 0; i < n; i++)
            in[i].mg = 1 + (int64_t)(th_rand(&rng) % (uint64_t)(7 * DAY));
        if (fixed)
            measure_fixed_weight(in, n);
        else
            measure_ref_weight(in, n);
    } else {
        fprintf(stderr, "bench-models: unknown operation '%s'\n", op);
        free(in);
        return 2;
    }
    printf("%s %s %s %zu sizeof(struct fc)=%zu\n", argv[1], op, argv[3], n, sizeof(f));
    free(in);
    return 0;
}
