/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal reproducers of defects of models/ found by the reference tests, one per
 * command-line argument, each asserting the right answer against the double
 * reference (README.md, "Defects found").
 *
 * Fixed, run as regression tests (ref-regression-*):
 *
 *   deadband  Sizes and intervals were smoothed in whole mg and s, and a step
 *             |alpha * error| < 1/2 was lost: under 1 g a minute after a first
 *             event 1 s after placement (half-life 1 day) the interval froze at
 *             1 s and the Croston rate read 86.4 kg/day. Now Q16 with one weight
 *             per event: 59.94 s and 1.4414 kg/day like the reference, and sizes
 *             of 2 and 3 mg average 2.5 mg.
 *   ratio     runout_predict() saturated p * 2^48 / T_mid for p / T_mid > 2^15,
 *             capping sqrt(p / T_mid) at 181: t_hi came out 3.9 times too early.
 *   alpha     fx_alpha_q32(1, 32358) was 1.6 units of Q32 above the exact weight
 *             (fx.h promises one unit plus 2e-6 relative); now 0.63.
 *
 * Also fixed since (ref-regression-*); the matching allowances of
 * test-property.c, named below, are still in place and could be tightened:
 *
 *   interval-weight  forecast.c takes the per-event weight of sizes and intervals
 *             and SBA's correction at the interval rounded to the second
 *             (interval_s()), not at the Q16 interval. Events 1 and 2 s apart
 *             (interval 1.5 s) with a half-life of a minute get the weight of 1 s
 *             instead of 1.5 s: SBA's rate is 0.8 % off, and one event an hour
 *             later moves the interval to 43 s instead of 63 s, Croston's rate
 *             48 % off. (WEIGHT_INTERVAL_ROUND_S)
 *   tsb-size  TSB rounds the smoothed size to whole ug before multiplying by the
 *             events per day: 0.5 ug times up to 86,400 events/day. 1 mg then
 *             five events of 0 mg, a second apart, repeated: 167 ug instead of
 *             166.67 ug, the rate 28.8 mg/day off at 14.4 g/day, twice the
 *             promise. (the + 0.5 of d_ug in qb_rate_at)
 *   holt-horizon  rate_at() grows Holt's trend to e + h / 2 in whole seconds, so
 *             an odd horizon loses half a second of trend; with a steep trend
 *             (1 g then 10 g every 10 s, trend half-life a minute) the rate over
 *             the next second is 0.29 % off. (the 0.5 / DAY_S of qb_rate_at)
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "models/forecast.h"
#include "models/fx.h"
#include "tests/harness.h"
#include "models/quantile.h"
#include "tests/ref/ref.h"
#include "models/runout.h"

/* The issue's promise for a rate: 0.1 % or 0.01 g/day, whichever is larger. */
static double
rate_tol(double rate_ugpd)
{
    return fmax(1e-3 * rate_ugpd, 1e4);
}

static void
regression_deadband(void)
{
    struct fc_params p = {FC_CROSTON, 86400, 86400, 0, false};
    struct ref_fc_params rp = {REF_FC_CROSTON, 86400, 86400, 0, false};
    struct fc f;
    struct ref_fc r;
    struct fc_rate out;
    struct ref_fc_rate want;

    fc_init(&f, 0);
    ref_fc_init(&r, 0);
    /* 1 g one second after the item is placed, then 1 g every minute. */
    fc_consume(&f, &p, 1, 1000);
    ref_fc_consume(&r, &rp, 1, 1000);
    for (int64_t i = 1; i <= 1000; i++) {
        fc_consume(&f, &p, 1 + 60 * i, 1000);
        ref_fc_consume(&r, &rp, 1 + 60 * i, 1000);
    }
    fc_rate(&f, &p, 60001, 0, &out);
    ref_fc_rate(&r, &rp, 60001, 0, &want);
    printf("# interval %" PRId64 " s (reference %.4f s), rate %" PRId64
           " ug/day (reference %.1f)\n",
           out.interval_s, want.interval_s, out.rate_ugpd, want.rate_ugpd);
    CHECK_NEAR(out.interval_s, want.interval_s, 0.5);
    CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, rate_tol(want.rate_ugpd));

    /* Sizes of 2 and 3 mg every minute, half-life 30 days: they average 2.5 mg. */
    p.half_life_s = 30 * 86400;
    rp.half_life_s = 30 * 86400;
    fc_init(&f, 0);
    ref_fc_init(&r, 0);
    for (int64_t i = 1; i <= 1000; i++) {
        fc_consume(&f, &p, 60 * i, 2 + i % 2);
        ref_fc_consume(&r, &rp, 60 * i, (double)(2 + i % 2));
    }
    fc_rate(&f, &p, 60000, 0, &out);
    ref_fc_rate(&r, &rp, 60000, 0, &want);
    printf("# size %.6f mg (reference %.6f), rate %" PRId64
           " ug/day (reference %.1f)\n",
           (double)f.cr.size.level / 65536, r.cr.size.level, out.rate_ugpd,
           want.rate_ugpd);
    CHECK_NEAR((double)f.cr.size.level / 65536, r.cr.size.level, 1e-4);
    CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, rate_tol(want.rate_ugpd));
}

static void
regression_ratio(void)
{
    /* 765 mg left at 222 g/day (T_mid 297 s), events 1.2 years apart. */
    int32_t z = quant_normal_q16(5994);
    struct runout out;
    struct ref_runout want;
    runout_predict(765, 222401299, 3247562047, 37872831, z, 0, &out);
    ref_runout_predict(765, 222401299, 3247562047, 37872831, z / 65536.0, 0, &want);
    printf("# t_mid %" PRId64 " s (reference %.1f), t_hi %" PRId64
           " s (reference %.0f)\n",
           out.t_mid_s, want.t_mid_s, out.t_hi_s, want.t_hi_s);
    CHECK_NEAR(out.t_mid_s, want.t_mid_s, 1);
    CHECK_NEAR(out.t_lo_s, want.t_lo_s, 1);
    CHECK_NEAR(out.t_hi_s, want.t_hi_s, 1e-6 * want.t_hi_s);
}

static void
regression_alpha(void)
{
    double want = ref_alpha(1, 32358) * 4294967296.0;
    uint64_t got = fx_alpha_q32(1, 32358);
    printf("# fx_alpha_q32(1, 32358) = %" PRIu64 ", exact %.3f (units of 2^-32)\n", got,
           want);
    CHECK_NEAR((double)got, want, 1);
    /* Small x everywhere: dt of 1 .. 64 s against half-lives of a minute .. 4 years. */
    static const int64_t halves[] = {60,      3600,     32358,    86400,
                                     2592000, 31536000, 126230400};
    for (size_t i = 0; i < sizeof(halves) / sizeof(halves[0]); i++)
        for (int64_t dt = 1; dt <= 64; dt++) {
            double a = ref_alpha((double)dt, (double)halves[i]) * 4294967296.0;
            CHECK_NEAR((double)fx_alpha_q32(dt, halves[i]), a, 1 + 2e-6 * a);
        }
}

/* Events 1 and 2 s apart (interval 1.5 s), 1 g each, half-life a minute. */
static void
steady_1_2(struct fc *f, struct ref_fc *r, const struct fc_params *p,
           const struct ref_fc_params *rp, int64_t *t)
{
    fc_init(f, 0);
    ref_fc_init(r, 0);
    *t = 0;
    for (int i = 0; i < 300; i++) {
        *t += 1 + i % 2;
        fc_consume(f, p, *t, 1000);
        ref_fc_consume(r, rp, *t, 1000);
    }
}

static void
issue_interval_weight(void)
{
    struct fc_params p = {FC_SBA, 60, 60, 0, false};
    struct ref_fc_params rp = {REF_FC_SBA, 60, 60, 0, false};
    struct fc f;
    struct ref_fc r;
    struct fc_rate out;
    struct ref_fc_rate want;
    int64_t t;

    steady_1_2(&f, &r, &p, &rp, &t);
    fc_rate(&f, &p, t, 0, &out);
    ref_fc_rate(&r, &rp, t, 0, &want);
    printf("# SBA: interval %.4f s, weighed as %" PRId64
           " s (reference %.4f s); rate %" PRId64 " ug/day (reference %.0f)\n",
           (double)f.cr.interval.level / 65536, out.interval_s, want.interval_s,
           out.rate_ugpd, want.rate_ugpd);
    CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, rate_tol(want.rate_ugpd));

    /* Croston, then one more event an hour later. */
    p.method = FC_CROSTON;
    rp.method = REF_FC_CROSTON;
    steady_1_2(&f, &r, &p, &rp, &t);
    t += 3600;
    fc_consume(&f, &p, t, 1000);
    ref_fc_consume(&r, &rp, t, 1000);
    fc_rate(&f, &p, t, 0, &out);
    ref_fc_rate(&r, &rp, t, 0, &want);
    printf("# Croston after an hour: interval %.3f s (reference %.3f s); rate %" PRId64
           " ug/day (reference %.0f)\n",
           (double)f.cr.interval.level / 65536, want.interval_s, out.rate_ugpd,
           want.rate_ugpd);
    CHECK_NEAR((double)f.cr.interval.level / 65536, want.interval_s,
               fmax(1e-3 * want.interval_s, 0.5));
    CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, rate_tol(want.rate_ugpd));
}

static void
issue_tsb_size(void)
{
    struct fc_params p = {FC_TSB, 3600, 3600, 0, false};
    struct ref_fc_params rp = {REF_FC_TSB, 3600, 3600, 0, false};
    struct fc f;
    struct ref_fc r;
    struct fc_rate out;
    struct ref_fc_rate want;

    fc_init(&f, 0);
    ref_fc_init(&r, 0);
    /* 1 mg, then five events of 0 mg, a second apart, 100 times. */
    for (int64_t i = 0; i < 600; i++) {
        int64_t mg = i % 6 == 0 ? 1 : 0;
        fc_consume(&f, &p, i + 1, mg);
        ref_fc_consume(&r, &rp, i + 1, (double)mg);
    }
    fc_rate(&f, &p, 600, 0, &out);
    ref_fc_rate(&r, &rp, 600, 0, &want);
    printf("# size %.4f ug (reference %.4f), rate %" PRId64
           " ug/day (reference %.0f)\n",
           (double)f.cr.size.level * 1000 / 65536, r.cr.size.level * 1000,
           out.rate_ugpd, want.rate_ugpd);
    CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, rate_tol(want.rate_ugpd));
}

static void
issue_holt_horizon(void)
{
    struct fc_params p = {FC_HOLT, 60, 60, 0, false};
    struct ref_fc_params rp = {REF_FC_HOLT, 60, 60, 0, false};
    struct fc f;
    struct ref_fc r;
    struct fc_rate out;
    struct ref_fc_rate want;

    fc_init(&f, 0);
    ref_fc_init(&r, 0);
    /* 1 g, then 10 g, every 10 s: a steep trend. */
    for (int64_t i = 1; i <= 20; i++) {
        int64_t mg = i <= 10 ? 1000 : 10000;
        fc_consume(&f, &p, 10 * i, mg);
        ref_fc_consume(&r, &rp, 10 * i, (double)mg);
    }
    /* Over no horizon the two agree; over the next second models/ grows the */
    /* trend to 0 s instead of 0.5 s. */
    for (int64_t h = 0; h <= 1; h++) {
        fc_rate(&f, &p, 200, h, &out);
        ref_fc_rate(&r, &rp, 200, (double)h, &want);
        printf("# horizon %" PRId64 " s: rate %" PRId64 " ug/day (reference %.0f), "
               "trend %" PRId64 " ug/day per day\n",
               h, out.rate_ugpd, want.rate_ugpd, f.holt.trend);
        CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, rate_tol(want.rate_ugpd));
    }
}

int
main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "deadband") == 0)
        RUN(regression_deadband);
    else if (strcmp(which, "ratio") == 0)
        RUN(regression_ratio);
    else if (strcmp(which, "alpha") == 0)
        RUN(regression_alpha);
    else if (strcmp(which, "interval-weight") == 0)
        RUN(issue_interval_weight);
    else if (strcmp(which, "tsb-size") == 0)
        RUN(issue_tsb_size);
    else if (strcmp(which, "holt-horizon") == 0)
        RUN(issue_holt_horizon);
    else {
        fprintf(stderr,
                "usage: %s deadband|ratio|alpha|interval-weight|tsb-size|"
                "holt-horizon\n",
                argv[0]);
        return 2;
    }
    return th_done();
}
