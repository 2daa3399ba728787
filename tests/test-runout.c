/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runout interval and demand at a service level, against hand calculations and
 * against the defining equation r*T +- z*sigma*sqrt(p*T) = stock solved in double.
 */
#include <math.h>

#include "tests/harness.h"
#include "models/runout.h"

#define DAY INT64_C(86400)
#define G_PER_DAY INT64_C(1000000) /* ug/day in one g/day */

static void
test_no_uncertainty(void)
{
    struct runout r;
    /* 1 kg at 100 g/day: exactly 10 days, and without noise the bounds agree. */
    runout_predict(1000000, 100 * G_PER_DAY, 0, DAY, 107800, 1000, &r);
    CHECK_EQ_I64(r.t_mid_s, 1000 + 10 * DAY);
    CHECK_EQ_I64(r.t_lo_s, r.t_mid_s);
    CHECK_EQ_I64(r.t_hi_s, r.t_mid_s);
    /* 250 g at 1 kg/day: 6 hours. */
    runout_predict(250000, 1000 * G_PER_DAY, 0, DAY, 0, 0, &r);
    CHECK_EQ_I64(r.t_mid_s, 6 * 3600);
}

static void
test_degenerate(void)
{
    struct runout r;
    runout_predict(1000000, 0, 5, DAY, 65536, 7, &r);
    CHECK_EQ_I64(r.t_mid_s, MODELS_NEVER);
    CHECK_EQ_I64(r.t_lo_s, MODELS_NEVER);
    CHECK_EQ_I64(r.t_hi_s, MODELS_NEVER);
    runout_predict(1000000, -5, 5, DAY, 65536, 7, &r);
    CHECK_EQ_I64(r.t_mid_s, MODELS_NEVER);
    runout_predict(0, 100 * G_PER_DAY, 5, DAY, 65536, 7, &r);
    CHECK_EQ_I64(r.t_mid_s, 7);
    CHECK_EQ_I64(r.t_lo_s, 7);
    runout_predict(-3, 100 * G_PER_DAY, 5, DAY, 65536, 7, &r);
    CHECK_EQ_I64(r.t_hi_s, 7);
}

/* Edges of the documented range: 100 kg, 0.01 g/day and 100 kg/day. */
static void
test_range_edges(void)
{
    struct runout r;
    /* 100 kg at 0.01 g/day is 10 million days: beyond the horizon, "never". */
    runout_predict(100000000, 10000, 10000, DAY, 107800, 0, &r);
    CHECK_EQ_I64(r.t_mid_s, MODELS_NEVER);
    CHECK_EQ_I64(r.t_hi_s, MODELS_NEVER);
    /* 100 kg at 100 kg/day: one day. */
    runout_predict(100000000, 100000 * G_PER_DAY, 0, DAY, 107800, 0, &r);
    CHECK_EQ_I64(r.t_mid_s, DAY);
    /* Huge noise: early bound near now, late bound far but never wrapped. */
    runout_predict(100000000, 10000, MODELS_RATE_MAX_UGPD, MODELS_DT_MAX_S, 243729,
                   INT64_MAX - 10, &r);
    CHECK(r.t_lo_s >= INT64_MAX - 10);
    CHECK(r.t_hi_s == MODELS_NEVER);
    /* 1 g at 100 kg/day from a time near the end of int64: saturates. */
    runout_predict(1000, 100000 * G_PER_DAY, 0, DAY, 0, INT64_MAX - 1, &r);
    CHECK_EQ_I64(r.t_mid_s, INT64_MAX);
}

/*
 * Solve f(T) = stock for increasing f by bisection: an independent way to the
 * bounds of the Brownian-drift model (runout.h), no closed form involved.
 */
static double
solve(double r, double zs, double p, double S, int sign, double lo, double hi)
{
    for (int i = 0; i < 300; i++) {
        double mid = (lo + hi) / 2;
        if (r * mid + sign * zs * sqrt(p * mid) < S)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void
test_bounds_solve_equation(void)
{
    const int64_t stocks[] = {1000, 50000, 1000000, 30000000};
    const int64_t rates[] = {20 * G_PER_DAY, 100 * G_PER_DAY, 3000 * G_PER_DAY};
    const int64_t rel_sd[] = {10, 50, 100, 200}; /* percent of the rate */
    const int64_t intervals[] = {600, DAY, 7 * DAY};
    const int32_t z = 107800; /* 1.645 */
    double worst = 0;
    for (size_t a = 0; a < 4; a++)
        for (size_t b = 0; b < 3; b++)
            for (size_t c = 0; c < 4; c++)
                for (size_t d = 0; d < 3; d++) {
                    int64_t sigma = rates[b] * rel_sd[c] / 100;
                    struct runout r;
                    runout_predict(stocks[a], rates[b], sigma, intervals[d], z, 0, &r);
                    /* per second: use r*T, spread z*sigma*sqrt(p*T) */
                    double S = stocks[a] * 1000.0, rr = rates[b] / 86400.0;
                    double zs = z / 65536.0 * sigma / 86400.0, p = (double)intervals[d];
                    double tm = S / rr;
                    double tl = solve(rr, zs, p, S, +1, 0, tm);
                    /* g(T) = rT - zs sqrt(pT) rises past its minimum, below T_mid */
                    double th = solve(rr, zs, p, S, -1, tm, 1e15);
                    CHECK_NEAR(r.t_mid_s, tm, 0.5 + 1e-9 * tm);
                    /* T_mid is whole seconds, and the bounds scale it */
                    CHECK_NEAR(r.t_lo_s, tl, 0.5 + 0.5 * tl / tm + 1e-6 * tl);
                    CHECK_NEAR(r.t_hi_s, th, 0.5 + 0.5 * th / tm + 1e-6 * th);
                    if (tl > 1000 && fabs(r.t_lo_s - tl) / tl > worst)
                        worst = fabs(r.t_lo_s - tl) / tl;
                    if (fabs(r.t_hi_s - th) / th > worst)
                        worst = fabs(r.t_hi_s - th) / th;
                    CHECK(r.t_lo_s <= r.t_mid_s && r.t_mid_s <= r.t_hi_s);
                }
    printf("# runout bounds: worst relative error %.2g against bisection\n", worst);
}

static void
test_demand(void)
{
    /* 100 g/day for 2 days without noise: 200 g. */
    CHECK_EQ_I64(runout_demand_mg(100 * G_PER_DAY, 0, DAY, 107800, 2 * DAY), 200000);
    /* With sigma 40 g/day, p = 1 day, H = 4 days, z = 2: 400 g + 2*40*sqrt(4) = 560 g. */
    CHECK_EQ_I64(
        runout_demand_mg(100 * G_PER_DAY, 40 * G_PER_DAY, DAY, 2 * 65536, 4 * DAY),
        560000);
    CHECK_EQ_I64(runout_demand_mg(100 * G_PER_DAY, 40 * G_PER_DAY, DAY, 65536, 0), 0);
    CHECK_EQ_I64(runout_demand_mg(-1, -1, -1, -1, -1), 0);
    /* Saturates at the mass range, never wraps. */
    CHECK(runout_demand_mg(INT64_MAX, INT64_MAX, INT64_MAX, INT32_MAX, INT64_MAX) > 0);
}

int
main(void)
{
    RUN(test_no_uncertainty);
    RUN(test_degenerate);
    RUN(test_range_edges);
    RUN(test_bounds_solve_equation);
    RUN(test_demand);
    return th_done();
}
