/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Lead time learning (see lead.h).
 */
#include "lead.h"

#include "fx.h"

/* sqrt(pi / 2) in Q32.32: standard deviation / mean absolute deviation of a normal. */
#define SD_PER_MAD_Q32 UINT64_C(5382943231)

void
lead_init(struct lead *l, int64_t default_s)
{
    l->mean_s = fx_clamp(default_s, 0, MODELS_DT_MAX_S);
    l->mad_s = 0;
    l->n = 0;
}

void
lead_observe(struct lead *l, int64_t measured_s, uint64_t alpha_q32)
{
    measured_s = fx_clamp(measured_s, 0, MODELS_DT_MAX_S);
    if (alpha_q32 > MODELS_Q32_ONE)
        alpha_q32 = MODELS_Q32_ONE;
    if (l->n == 0) {
        l->mean_s = measured_s;
        l->mad_s = 0;
    } else {
        int64_t e = measured_s - l->mean_s;
        l->mean_s += fx_mul_q32(e, alpha_q32);
        l->mad_s += fx_mul_q32((int64_t)fx_abs(e) - l->mad_s, alpha_q32);
    }
    if (l->n != UINT32_MAX)
        l->n++;
}

int64_t
lead_plan_s(const struct lead *l, int32_t z_q16)
{
    if (z_q16 < 0)
        z_q16 = 0;
    int64_t sd = fx_mul_q32(l->mad_s, SD_PER_MAD_Q32);
    int64_t extra = fx_muldiv(sd, z_q16, 65536);
    return fx_clamp(fx_add_sat(l->mean_s, extra), 0, MODELS_DT_MAX_S);
}
