/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Normal quantiles of models/quantile.c against an independent inverse: bisection
 * on libm's erfc, to 1e-12, at every basis point from 50% to 99.99%.
 */
#include <math.h>

#include "tests/harness.h"
#include "models/quantile.h"

/* Phi(z) = erfc(-z / sqrt 2) / 2; bisection is slow but obviously right. */
static double
inverse_normal(double p)
{
    double lo = -10, hi = 10;
    for (int i = 0; i < 200 && hi - lo > 1e-13; i++) {
        double mid = (lo + hi) / 2;
        if (0.5 * erfc(-mid / sqrt(2.0)) < p)
            lo = mid;
        else
            hi = mid;
    }
    return (lo + hi) / 2;
}

static void
test_every_basis_point(void)
{
    double worst = 0;
    uint32_t worst_bp = 0;
    int32_t prev = -1;
    for (uint32_t bp = 5000; bp <= 9999; bp++) {
        int32_t z = quant_normal_q16(bp);
        double err = fabs(z / 65536.0 - inverse_normal(bp / 10000.0));
        if (err > worst) {
            worst = err;
            worst_bp = bp;
        }
        CHECK_MSG(z >= prev, "quantile not monotone at %u bp", bp);
        prev = z;
    }
    printf("# normal quantile: max error %.2g at %u bp (contract 0.001)\n", worst,
           worst_bp);
    CHECK(worst <= 0.001);
}

static void
test_known_values(void)
{
    /* Textbook values: z(50%) = 0, z(95%) = 1.6449, z(97.5%) = 1.96, z(99%) = 2.3263. */
    CHECK_EQ_I64(quant_normal_q16(5000), 0);
    CHECK_NEAR(quant_normal_q16(9500) / 65536.0, 1.644854, 2e-5);
    CHECK_NEAR(quant_normal_q16(9750) / 65536.0, 1.959964, 2e-5);
    CHECK_NEAR(quant_normal_q16(9900) / 65536.0, 2.326348, 2e-5);
    /* Out-of-range levels are clamped, never extrapolated. */
    CHECK_EQ_I64(quant_normal_q16(0), quant_normal_q16(5000));
    CHECK_EQ_I64(quant_normal_q16(10000), quant_normal_q16(9999));
    CHECK_EQ_I64(quant_normal_q16(UINT32_MAX), quant_normal_q16(9999));
}

int
main(void)
{
    RUN(test_every_basis_point);
    RUN(test_known_values);
    return th_done();
}
