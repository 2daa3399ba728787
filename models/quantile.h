/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Normal quantiles for service levels, from a fixed table.
 */
#ifndef PANTRY_MODELS_QUANTILE_H
#define PANTRY_MODELS_QUANTILE_H

#include <stdint.h>

/*
 * z such that P(Z <= z) = service level for a standard normal Z, in Q16.16.
 * service_bp is in basis points and clamped to [5000, 9999] (50% .. 99.99%).
 * Linear interpolation in a table with steps of 0.5% below 95%, 0.1% to 99.9%
 * and 0.01% above: error <= 0.001 (measured in tests/test-quantile.c).
 */
int32_t quant_normal_q16(uint32_t service_bp);

#endif
