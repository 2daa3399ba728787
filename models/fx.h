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

#include "units.h"

/* Clamp v into [lo, hi]; lo <= hi. */
int64_t fx_clamp(int64_t v, int64_t lo, int64_t hi);

/* a + b and a - b, saturated to [INT64_MIN, INT64_MAX]. */
int64_t fx_add_sat(int64_t a, int64_t b);
int64_t fx_sub_sat(int64_t a, int64_t b);

/* |v| as uint64_t (exact, also for INT64_MIN). */
uint64_t fx_abs(int64_t v);

/* Exact product of two 32-bit unsigned integers. */
uint64_t fx_mul_u32(uint32_t a, uint32_t b);

/*
 * round(x * w / 2^32), w an unsigned Q32.32 factor (any uint64_t). The result
 * saturates to [INT64_MIN, INT64_MAX]. Rounds half away from zero.
 */
int64_t fx_mul_q32(int64_t x, uint64_t w_q32);

/* a * b, saturated to [INT64_MIN, INT64_MAX]. */
int64_t fx_mul(int64_t a, int64_t b);

/*
 * round(a * b / c) with a 128-bit intermediate; c > 0 (c <= 0 returns 0).
 * Saturates to [INT64_MIN, INT64_MAX]. Rounds half away from zero.
 */
int64_t fx_muldiv(int64_t a, int64_t b, int64_t c);

/* floor(n / d) for unsigned 64-bit values; d == 0 returns UINT64_MAX. */
uint64_t fx_udiv(uint64_t n, uint64_t d);

/* round(n / d), half away from zero; d == 0 returns 0, saturates INT64_MIN / -1. */
int64_t fx_div_round(int64_t n, int64_t d);

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

#endif
