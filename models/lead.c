/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lead time learning (see lead.h).
 */
#include "models/lead.h"

#include "models/fx.h"

#define VAR_MAX (MODELS_DT_MAX_S * MODELS_DT_MAX_S)

void
lead_init(struct lead *l, int64_t default_s, int64_t spread_s)
{
    int64_t sd = fx_clamp(spread_s, 0, MODELS_DT_MAX_S);
    l->mean_s = fx_clamp(default_s, 0, MODELS_DT_MAX_S);
    l->var_s2 = fx_mul(sd, sd);
    l->n = 0;
}

void
lead_observe(struct lead *l, int64_t measured_s, uint64_t floor_q32)
{
    uint64_t w = fx_udiv(MODELS_Q32_ONE, (uint64_t)l->n + 2);
    if (floor_q32 > MODELS_Q32_ONE)
        floor_q32 = MODELS_Q32_ONE;
    if (w < floor_q32)
        w = floor_q32;
    measured_s = fx_clamp(measured_s, 0, MODELS_DT_MAX_S);
    /* |d| <= DT_MAX < 2^27: d^2 < 2^54, and var + w d^2 <= 2 VAR_MAX fits. */
    int64_t d = measured_s - l->mean_s;
    l->mean_s = fx_clamp(l->mean_s + fx_mul_q32(d, w), 0, MODELS_DT_MAX_S);
    int64_t v = l->var_s2 + fx_mul_q32(fx_mul(d, d), w);
    l->var_s2 = fx_clamp(fx_mul_q32(v, MODELS_Q32_ONE - w), 0, VAR_MAX);
    if (l->n != UINT32_MAX)
        l->n++;
}

int64_t
lead_sd_s(const struct lead *l)
{
    return (int64_t)fx_isqrt((uint64_t)fx_clamp(l->var_s2, 0, VAR_MAX));
}

int64_t
lead_plan_s(const struct lead *l, int32_t z_q16)
{
    if (z_q16 < 0)
        z_q16 = 0;
    int64_t extra = fx_muldiv(lead_sd_s(l), z_q16, 65536);
    return fx_clamp(fx_add_sat(l->mean_s, extra), 0, MODELS_DT_MAX_S);
}
