/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Units, fixed-point formats and valid ranges shared by every part of models/.
 *
 * models/ never uses floating point. Each quantity is an integer in a fixed unit, and
 * its name says which (rate_ugpd, alpha_q32, dt_s). The ranges below are the
 * documented domain: every function accepts any input value, clamps it into this
 * domain, and saturates rather than wraps, so no input can overflow. Accuracy is
 * promised inside the "accurate" ranges; outside them results stay bounded and
 * monotone but are not checked against the reference.
 */
#ifndef PANTRY_MODELS_UNITS_H
#define PANTRY_MODELS_UNITS_H

#include <stdint.h>

/* Mass: milligrams, 0 .. 1,000 kg (the contract asks for at least 100 kg): fits */
/* int32_t; passed as int64_t and clamped. */
#define MODELS_MASS_MAX_MG INT32_C(1000000000)

/* Time: seconds since the Unix epoch as int64_t. Durations: seconds as int64_t, */
/* clamped to 1 s .. MODELS_DT_MAX_S (4 years; the contract asks for 1 s .. 2 years). */
#define MODELS_DT_MAX_S INT64_C(126230400)
/* A day, the one definition every part of the tree uses. */
#define MODELS_DAY_S INT64_C(86400)
#define MODELS_DAY_MS (MODELS_DAY_S * 1000)

/*
 * Consumption rate: micrograms per day as int64_t. Accurate range 0.01 g/day ..
 * 100 kg/day (1e4 .. 1e11 ug/day). Internally a single observation may be larger
 * (1,000 kg eaten in one second is 8.64e16 ug/day); MODELS_RATE_MAX_UGPD bounds
 * every rate value so that products with Q32 weights fit in 96 bits.
 */
#define MODELS_RATE_MAX_UGPD INT64_C(100000000000000000)    /* 1e17 */
#define MODELS_RATE_ACCURATE_MIN_UGPD INT64_C(10000)        /* 0.01 g/day */
#define MODELS_RATE_ACCURATE_MAX_UGPD INT64_C(100000000000) /* 100 kg/day */

/* Micrograms per day of a consumption of 1 mg spread over 1 s. */
#define MODELS_UGPD_PER_MG_PER_S INT64_C(86400000)

/*
 * Weights (smoothing factors, decays): unsigned Q32.32 in uint64_t, where
 * MODELS_Q32_ONE (2^32) is 1.0. Smoothing factors lie in [0, 1]; level growth
 * factors of Holt's method (periods elapsed) may exceed 1.
 */
#define MODELS_Q32_ONE (UINT64_C(1) << 32)

/* Service level: basis points (1/10,000) as uint32_t, clamped to 5,000 .. 9,999. */
#define MODELS_SERVICE_MIN_BP 5000u
#define MODELS_SERVICE_MAX_BP 9999u

/* "Never": a predicted time that lies beyond MODELS_HORIZON_MAX_S from now. */
#define MODELS_HORIZON_MAX_S (INT64_C(100) * 366 * MODELS_DAY_S)
#define MODELS_NEVER INT64_MAX

#endif
