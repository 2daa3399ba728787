/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * fx.h against independent arithmetic: libm's exp2 for the smoothing weights and
 * unsigned __int128 for products, quotients and roots, on edges and on random
 * inputs. Built twice (native and Cortex-M0 soft arithmetic).
 *
 * A target without __int128 (32-bit ARM: armhf, the Pi) has no independent
 * 128-bit oracle here: the test says so and is skipped (exit 77). models/ is
 * still checked there, bit for bit, by the golden vectors (test-golden.c),
 * whose integers these tests vouch for on x86-64 and arm64.
 */
#include <stdio.h>

#ifndef __SIZEOF_INT128__
int
main(void)
{
    puts("1..0 # SKIP no __int128 on this target; the golden vectors check fx.h");
    return 0;
}
#else

#include <math.h>

#include "models/fx.h"
#include "tests/harness.h"

static uint64_t rng;

typedef unsigned __int128 u128;
typedef __int128 i128;

static int64_t
sat128(i128 v)
{
    if (v > INT64_MAX)
        return INT64_MAX;
    if (v < INT64_MIN)
        return INT64_MIN;
    return (int64_t)v;
}

/* round(n / d) half away from zero, d > 0 or < 0, with 128-bit headroom. */
static i128
div_round128(i128 n, i128 d)
{
    int neg = (n < 0) != (d < 0);
    u128 an = n < 0 ? (u128)(-n) : (u128)n, ad = d < 0 ? (u128)(-d) : (u128)d;
    u128 q = (an + ad / 2) / ad;
    return neg ? -(i128)q : (i128)q;
}

/* A random int64 with a random magnitude, so small and huge values both occur. */
static int64_t
rand_i64(void)
{
    unsigned bits = (unsigned)(th_rand(&rng) % 64);
    uint64_t v = th_rand(&rng) >> (63 - bits);
    return (th_rand(&rng) & 1) ? -(int64_t)(v >> 1) : (int64_t)(v >> 1);
}

static void
test_saturating(void)
{
    CHECK_EQ_I64(fx_add_sat(INT64_MAX, 1), INT64_MAX);
    CHECK_EQ_I64(fx_add_sat(INT64_MIN, -1), INT64_MIN);
    CHECK_EQ_I64(fx_add_sat(5, -7), -2);
    CHECK_EQ_I64(fx_sub_sat(INT64_MIN, 1), INT64_MIN);
    CHECK_EQ_I64(fx_sub_sat(INT64_MAX, -1), INT64_MAX);
    CHECK_EQ_I64(fx_sub_sat(0, INT64_MIN), INT64_MAX);
    CHECK_EQ_U64(fx_abs(INT64_MIN), UINT64_C(1) << 63);
    CHECK_EQ_I64(fx_clamp(-5, 0, 10), 0);
    CHECK_EQ_I64(fx_clamp(50, 0, 10), 10);
    CHECK_EQ_I64(fx_mul(INT64_MAX, 2), INT64_MAX);
    CHECK_EQ_I64(fx_mul(INT64_MIN, 2), INT64_MIN);
    CHECK_EQ_I64(fx_mul(INT64_MIN, -1), INT64_MAX);
    CHECK_EQ_I64(fx_div_round(INT64_MIN, -1), INT64_MAX);
    CHECK_EQ_I64(fx_div_round(7, 2), 4);
    CHECK_EQ_I64(fx_div_round(-7, 2), -4);
    CHECK_EQ_I64(fx_div_round(5, 0), 0);
    CHECK_EQ_U64(fx_udiv(5, 0), UINT64_MAX);
    CHECK_EQ_I64(fx_muldiv(1, 1, 0), 0);
    CHECK_EQ_I64(fx_muldiv(INT64_MAX, INT64_MAX, 1), INT64_MAX);
    CHECK_EQ_I64(fx_muldiv(INT64_MAX, INT64_MIN, 1), INT64_MIN);
    CHECK_EQ_I64(fx_muldiv(INT64_MAX, INT64_MAX, INT64_MAX), INT64_MAX);
    CHECK_EQ_I64(fx_mul_q32(INT64_MAX, UINT64_MAX), INT64_MAX);
    CHECK_EQ_I64(fx_mul_q32(INT64_MIN, UINT64_MAX), INT64_MIN);
    CHECK_EQ_I64(fx_mul_q32(-3, UINT64_C(1) << 31), -2); /* -1.5 rounds away */
    CHECK_EQ_I64(fx_mul_q32(3, UINT64_C(1) << 31), 2);
}

static void
test_products_random(void)
{
    for (int i = 0; i < 200000; i++) {
        int64_t a = rand_i64(), b = rand_i64(), c = rand_i64();
        uint64_t w = th_rand(&rng) >> (th_rand(&rng) % 64);

        CHECK_EQ_I64(fx_mul(a, b), sat128((i128)a * b));

        u128 p = (u128)fx_abs(a) * w;
        /* (|a| * w + 2^31) >> 32 can need 97 bits: saturate when it does. */
        u128 r = (p + ((u128)1 << 31)) >> 32;
        i128 expect = r >> 64 ? (a < 0 ? -((i128)1 << 100) : ((i128)1 << 100))
                              : (a < 0 ? -(i128)r : (i128)r);
        CHECK_EQ_I64(fx_mul_q32(a, w), sat128(expect));

        if (c > 0) {
            i128 prod = (i128)a * b;
            /* The product of two int64 fits 127 bits; rounding needs no more. */
            CHECK_EQ_I64(fx_muldiv(a, b, c), sat128(div_round128(prod, c)));
        }
        if (b != 0) {
            CHECK_EQ_U64(fx_udiv((uint64_t)a, (uint64_t)b), (uint64_t)a / (uint64_t)b);
            CHECK_EQ_I64(fx_div_round(a, b), sat128(div_round128(a, b)));
        }
        uint64_t v = th_rand(&rng) >> (th_rand(&rng) % 64);
        uint64_t s = fx_isqrt(v);
        CHECK_MSG((u128)s * s <= v && (u128)(s + 1) * (s + 1) > v, "isqrt(%llu) = %llu",
                  (unsigned long long)v, (unsigned long long)s);
        if (th_failures > 20)
            return;
    }
}

static void
test_isqrt_edges(void)
{
    CHECK_EQ_U64(fx_isqrt(0), 0);
    CHECK_EQ_U64(fx_isqrt(1), 1);
    CHECK_EQ_U64(fx_isqrt(3), 1);
    CHECK_EQ_U64(fx_isqrt(4), 2);
    CHECK_EQ_U64(fx_isqrt(UINT64_MAX), UINT64_C(4294967295));
    CHECK_EQ_U64(fx_isqrt(UINT64_C(4294967296) * 4294967296 - 1), 4294967295u);
    for (uint64_t k = 1; k < 5000000; k += 997) {
        CHECK_EQ_U64(fx_isqrt(k * k), k);
        CHECK_EQ_U64(fx_isqrt(k * k - 1), k - 1);
    }
}

/*
 * The weight table and interpolation against libm over the whole domain: every
 * x in [0, 34) at a fine grid plus random points. The contract is 1e-4; the
 * measured error is printed and must stay below 2e-9.
 */
static void
test_exp2_domain(void)
{
    double worst = 0, worst_x = 0;
    for (uint64_t x = 0; x < (UINT64_C(34) << 32); x += (UINT64_C(1) << 32) / 4099) {
        double got = (double)fx_exp2_neg_q32(x) / 4294967296.0;
        double want = exp2(-(double)x / 4294967296.0);
        if (fabs(got - want) > worst) {
            worst = fabs(got - want);
            worst_x = (double)x / 4294967296.0;
        }
    }
    for (int i = 0; i < 1000000; i++) {
        uint64_t x = th_rand(&rng) % (UINT64_C(40) << 32);
        double got = (double)fx_exp2_neg_q32(x) / 4294967296.0;
        double want = exp2(-(double)x / 4294967296.0);
        if (fabs(got - want) > worst) {
            worst = fabs(got - want);
            worst_x = (double)x / 4294967296.0;
        }
    }
    printf("# exp2(-x): max absolute error %.3g at x = %.6f (goal 1e-4)\n", worst,
           worst_x);
    CHECK(worst <= 2e-9);
    CHECK_EQ_U64(fx_exp2_neg_q32(0), MODELS_Q32_ONE);
    CHECK_EQ_U64(fx_exp2_neg_q32(UINT64_C(1) << 32), UINT64_C(1) << 31);
    CHECK_EQ_U64(fx_exp2_neg_q32(UINT64_C(2) << 32), UINT64_C(1) << 30);
    CHECK_EQ_U64(fx_exp2_neg_q32(UINT64_C(33) << 32), 0);
    CHECK_EQ_U64(fx_exp2_neg_q32(UINT64_MAX), 0);
    /* Monotone non-increasing across cell borders. */
    uint64_t prev = MODELS_Q32_ONE;
    for (uint64_t x = 0; x < (UINT64_C(3) << 32); x += UINT64_C(1) << 20) {
        uint64_t d = fx_exp2_neg_q32(x);
        CHECK_MSG(d <= prev, "exp2 not monotone at %llu", (unsigned long long)x);
        prev = d;
    }
}

/* Weights for time-aware smoothing, including relative accuracy for tiny dt. */
static void
test_alpha(void)
{
    const int64_t day = 86400;
    CHECK_EQ_U64(fx_alpha_q32(0, day), 0);
    CHECK_EQ_U64(fx_decay_q32(0, day), MODELS_Q32_ONE);
    CHECK_EQ_U64(fx_alpha_q32(day, day), UINT64_C(1) << 31);
    CHECK_EQ_U64(fx_alpha_q32(5, 0), MODELS_Q32_ONE);
    CHECK_EQ_U64(fx_alpha_q32(5, -3), MODELS_Q32_ONE);
    CHECK_EQ_U64(fx_alpha_q32(-5, day), 0);
    /* 2 years against a 1 s half-life: all weight on the new observation. */
    CHECK_EQ_U64(fx_alpha_q32(2 * 366 * day, 1), MODELS_Q32_ONE);
    /* Beyond the documented range dt is clamped, never wrapped. */
    CHECK_EQ_U64(fx_alpha_q32(INT64_MAX, INT64_MAX),
                 fx_alpha_q32(MODELS_DT_MAX_S, INT64_MAX));
    double worst_rel = 0;
    const int64_t dts[] = {1,   2,       7,        60,        600,          3600,
                           day, 7 * day, 30 * day, 365 * day, 2 * 366 * day};
    const int64_t hls[] = {60, 3600, day, 7 * day, 30 * day, 365 * day};
    for (size_t i = 0; i < sizeof(dts) / sizeof(dts[0]); i++)
        for (size_t j = 0; j < sizeof(hls) / sizeof(hls[0]); j++) {
            double want = -expm1(-(double)dts[i] / (double)hls[j] * log(2.0));
            double got = (double)fx_alpha_q32(dts[i], hls[j]) / 4294967296.0;
            CHECK_NEAR(got, want, 1e-6);
            /* Relative error matters for small weights (events seconds apart): */
            /* allow 2e-6 plus one unit in the last place of Q32. */
            double rel = fabs(got - want) / want;
            CHECK_MSG(rel <= 2e-6 + 1.0 / 4294967296.0 / want,
                      "alpha(%lld, %lld): %.9g vs %.9g", (long long)dts[i],
                      (long long)hls[j], got, want);
            if (want > 1e-4 && rel > worst_rel)
                worst_rel = rel;
        }
    printf("# alpha: worst relative error %.3g where alpha > 1e-4 (dt 1 s..2 y, "
           "half-life 1 min..1 y)\n",
           worst_rel);
}

int
main(void)
{
    rng = th_seed(20261125);
    RUN(test_saturating);
    RUN(test_products_random);
    RUN(test_isqrt_edges);
    RUN(test_exp2_domain);
    RUN(test_alpha);
    return th_done();
}

#endif /* __SIZEOF_INT128__ */
