/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Normal quantiles for service levels, from a fixed table.
 */
#ifndef PANTRY_MODELS_QUANTILE_H
#define PANTRY_MODELS_QUANTILE_H

#include <stdint.h>

#include "models/units.h"

/*
 * z such that P(Z <= z) = service level for a standard normal Z, in Q16.16.
 * service_bp is in basis points and clamped to [5000, 9999] (50% .. 99.99%).
 * Linear interpolation in a table of 111 points, denser towards the tail:
 * error <= 0.001 at every basis point (measured in tests/test-quantile.c).
 */
int32_t quant_normal_q16(uint32_t service_bp);

#endif
