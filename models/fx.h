/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fixed-point arithmetic for models/: saturating integer helpers, exact 32x32->64
 * products, rounding division, integer square roots and the time-aware smoothing
 * weight 1 - 2^(-dt/half_life).
 *
 * Everything here is exact integer arithmetic with one documented rounding rule
 * (round half away from zero), so every architecture computes the same bits. On
 * targets without a hardware 64-bit multiply or divide (Cortex-M0, or any build
 * with FX_SOFT_ARITH defined) the same results come from shift-and-add loops
 * below instead of compiler runtime helpers such as __aeabi_lmul or
 * __aeabi_uldivmod, so models/ links freestanding with no libgcc.
 */
#ifndef PANTRY_MODELS_FX_H
#define PANTRY_MODELS_FX_H

#include <stdbool.h>
#include <stdint.h>

#include "models/units.h"

#if defined(__ARM_ARCH_6M__) && !defined(FX_SOFT_ARITH)
#define FX_SOFT_ARITH 1
#endif
#if !defined(FX_SOFT_ARITH) && defined(__SIZEOF_INT128__)
#define FX_HAVE_INT128 1
#endif

/*
 * The small helpers are inline: they run several times per observation, and a
 * call costs more than their work (tests/bench/RESULTS.md).
 */

/* Clamp v into [lo, hi]; lo <= hi. */
static inline int64_t
fx_clamp(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* a + b and a - b, saturated to [INT64_MIN, INT64_MAX]. */
static inline int64_t
fx_add_sat(int64_t a, int64_t b)
{
    if (b > 0 && a > INT64_MAX - b)
        return INT64_MAX;
    if (b < 0 && a < INT64_MIN - b)
        return INT64_MIN;
    return a + b;
}

static inline int64_t
fx_sub_sat(int64_t a, int64_t b)
{
    if (b < 0 && a > INT64_MAX + b)
        return INT64_MAX;
    if (b > 0 && a < INT64_MIN + b)
        return INT64_MIN;
    return a - b;
}

/* |v| as uint64_t (exact, also for INT64_MIN). */
static inline uint64_t
fx_abs(int64_t v)
{
    return v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
}

/* Magnitude m with sign neg as int64_t, saturating. */
static inline int64_t
fx_signed_sat(uint64_t m, bool neg)
{
    if (neg)
        return m >= (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)m;
    return m > (uint64_t)INT64_MAX ? INT64_MAX : (int64_t)m;
}

/* Exact product of two 32-bit unsigned integers. */
static inline uint64_t
fx_mul_u32(uint32_t a, uint32_t b)
{
#ifdef FX_SOFT_ARITH
    /* Four 16x16->32 partial products: ARMv6-M's MULS keeps only 32 bits. */
    uint32_t al = a & 0xFFFFu, ah = a >> 16, bl = b & 0xFFFFu, bh = b >> 16;
    uint32_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint32_t mid = (ll >> 16) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
    uint32_t lo = (ll & 0xFFFFu) | (mid << 16);
    uint32_t hi = hh + (lh >> 16) + (hl >> 16) + (mid >> 16);
    return ((uint64_t)hi << 32) | lo;
#else
    return (uint64_t)a * b;
#endif
}

/* floor(n / d) for unsigned 64-bit values; d == 0 returns UINT64_MAX. */
uint64_t fx_udiv_soft(uint64_t n, uint64_t d);

static inline uint64_t
fx_udiv(uint64_t n, uint64_t d)
{
#ifdef FX_SOFT_ARITH
    return fx_udiv_soft(n, d);
#else
    return d == 0 ? UINT64_MAX : n / d;
#endif
}

/* The general cases of fx_mul_q32 and fx_muldiv (fx.c). */
int64_t fx_mul_q32_wide(int64_t x, uint64_t w_q32);
int64_t fx_muldiv_wide(int64_t a, int64_t b, int64_t c);

/*
 * round(x * w / 2^32), w an unsigned Q32.32 factor (any uint64_t). The result
 * saturates to [INT64_MIN, INT64_MAX]. Rounds half away from zero.
 */
static inline int64_t
fx_mul_q32(int64_t x, uint64_t w_q32)
{
    uint64_t m = fx_abs(x);
#ifdef FX_HAVE_INT128
    /*
     * One 64x64->128 multiply where the CPU has it: rates in ug/day pass 2^32
     * (300 g a minute is 4e11), and the call to the general case cost more
     * than the product. The same rounding and saturation as fx_mul_q32_wide.
     */
    unsigned __int128 p = (unsigned __int128)m * w_q32 + (1u << 31);
    if ((uint64_t)(p >> 96) != 0)
        return x < 0 ? INT64_MIN : INT64_MAX;
    return fx_signed_sat((uint64_t)(p >> 32), x < 0);
#else
    /* Common case: both fit 32 bits, the product 64. */
    if (((m | w_q32) >> 32) == 0)
        return fx_signed_sat(
            (fx_mul_u32((uint32_t)m, (uint32_t)w_q32) + (1u << 31)) >> 32, x < 0);
    return fx_mul_q32_wide(x, w_q32);
#endif
}

/* a * b, saturated to [INT64_MIN, INT64_MAX]. */
int64_t fx_mul(int64_t a, int64_t b);

/*
 * round(a * b / c) with a 128-bit intermediate; c > 0 (c <= 0 returns 0).
 * Saturates to [INT64_MIN, INT64_MAX]. Rounds half away from zero.
 */
static inline int64_t
fx_muldiv(int64_t a, int64_t b, int64_t c)
{
    uint64_t ua = fx_abs(a), ub = fx_abs(b), p;
#ifdef FX_SOFT_ARITH
    bool fits = ((ua | ub) >> 32) == 0;
    p = fits ? fx_mul_u32((uint32_t)ua, (uint32_t)ub) : 0;
#else
    /* One multiply and an overflow flag where the CPU has them. */
    bool fits = !__builtin_mul_overflow(ua, ub, &p);
#endif
    if (c > 0 && fits && p < (UINT64_C(1) << 63))
        return fx_signed_sat(fx_udiv(p + ((uint64_t)c >> 1), (uint64_t)c),
                             (a < 0) != (b < 0));
    return fx_muldiv_wide(a, b, c);
}

/* round(x * 2^32 / d) (x divided by a Q32.32 number), saturating; d <= 0 gives 0. */
static inline int64_t
fx_div_q32(int64_t x, int64_t d)
{
    uint64_t m = fx_abs(x);
    if (d > 0 && (m >> 31) == 0)
        return fx_signed_sat(fx_udiv((m << 32) + ((uint64_t)d >> 1), (uint64_t)d),
                             x < 0);
    return fx_muldiv_wide(x, (int64_t)MODELS_Q32_ONE, d);
}

/* round(n / d), half away from zero; d == 0 returns 0, saturates INT64_MIN / -1. */
static inline int64_t
fx_div_round(int64_t n, int64_t d)
{
    if (d == 0)
        return 0;
    uint64_t ad = fx_abs(d);
    /* |n| <= 2^63 and |d| / 2 <= 2^62: the sum cannot wrap. */
    uint64_t q = fx_udiv(fx_abs(n) + (ad >> 1), ad);
    return fx_signed_sat(q, (n < 0) != (d < 0));
}

/* floor(sqrt(v)). */
uint64_t fx_isqrt(uint64_t v);

/*
 * 2^(-x) for x >= 0 given in unsigned Q32.32, as Q32.32 in [0, 2^32].
 * A table of 2^(-i/256) times a three-term series for the rest: absolute error
 * below 1e-9 over the whole domain (goal 1e-4), and 1 - 2^(-x) within one unit
 * of Q32 plus 2e-6 relative, so tiny weights stay accurate (tests/test-fx.c).
 */
uint64_t fx_exp2_neg_q32(uint64_t x_q32);

/*
 * Decay 2^(-dt/half_life) and smoothing weight alpha = 1 - decay, Q32.32 in
 * [0, 2^32]. dt is clamped to [0, MODELS_DT_MAX_S] and dt / half_life rounded to
 * Q32.32; half_life_s <= 0 means "no memory": decay 0, alpha 1. dt = 0 gives
 * decay 1, alpha 0.
 */
uint64_t fx_decay_q32(int64_t dt_s, int64_t half_life_s);
uint64_t fx_alpha_q32(int64_t dt_s, int64_t half_life_s);

/* The same with dt in Q48.16 seconds, for durations that are themselves smoothed */
/* or halved (the typical interval, Holt's mid-horizon). */
uint64_t fx_decay_q16(int64_t dt_q16, int64_t half_life_s);
uint64_t fx_alpha_q16(int64_t dt_q16, int64_t half_life_s);

#endif
