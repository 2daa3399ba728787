/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Minimal reproducers of defects of models/ found by the reference tests, one per
 * command-line argument. Each asserts the correct behaviour against the double
 * reference, so it fails while the defect is there; meson runs them with
 * should_fail, and an "unexpected pass" means the defect is fixed: then remove
 * the entry here, in meson.build and in README.md ("Known issues"), and drop the
 * matching allowance in test-property.c.
 *
 *   deadband  A smoothed state with no fractional bits stops moving when
 *             |alpha * error| < 1/2 unit: the Croston interval (whole seconds)
 *             stays at its first value, 1 s, under events a minute apart with a
 *             one-day half-life, and the rate comes out 86.4 kg/day for 1 g a
 *             minute (the reference, still converging from that first 1 s after
 *             1,000 events, has 23.5 s and 3.67 kg/day; the steady rate is
 *             1.44 kg/day).
 *   ratio     runout_predict(): interval_s * 2^48 / T_mid saturates INT64_MAX
 *             when p / T_mid > 2^15, so sqrt(p / T_mid) is capped at 181 and the
 *             runout interval comes out too narrow (t_hi 3.9 times too early).
 *   alpha     fx_alpha_q32(1, 32358) is 1.6 units of Q32 above the exact weight,
 *             where fx.h promises one unit plus 2e-6 relative.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "forecast.h"
#include "fx.h"
#include "harness.h"
#include "quantile.h"
#include "ref.h"
#include "runout.h"

static void
issue_deadband(void)
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
    printf("# interval %" PRId64 " s (reference %.2f s), rate %" PRId64
           " ug/day (reference %.4g)\n",
           out.interval_s, want.interval_s, out.rate_ugpd, want.rate_ugpd);
    CHECK_NEAR(out.interval_s, want.interval_s, 1);
    CHECK_NEAR(out.rate_ugpd, want.rate_ugpd, fmax(1e-3 * want.rate_ugpd, 1e4));
}

static void
issue_ratio(void)
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
    CHECK_NEAR(out.t_hi_s, want.t_hi_s, 1e-3 * want.t_hi_s);
}

static void
issue_alpha(void)
{
    double want = ref_alpha(1, 32358) * 4294967296.0;
    uint64_t got = fx_alpha_q32(1, 32358);
    printf("# fx_alpha_q32(1, 32358) = %" PRIu64 ", exact %.3f (units of 2^-32)\n", got,
           want);
    CHECK_NEAR((double)got, want, 1 + 2e-6 * want);
}

int
main(int argc, char **argv)
{
    const char *which = argc > 1 ? argv[1] : "";
    if (strcmp(which, "deadband") == 0)
        RUN(issue_deadband);
    else if (strcmp(which, "ratio") == 0)
        RUN(issue_ratio);
    else if (strcmp(which, "alpha") == 0)
        RUN(issue_alpha);
    else {
        fprintf(stderr, "usage: %s deadband|ratio|alpha\n", argv[0]);
        return 2;
    }
    return th_done();
}
