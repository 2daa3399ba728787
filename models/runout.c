/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Runout time and demand over a horizon (see runout.h for the model).
 */
#include "models/runout.h"

#include "models/fx.h"

/* ug per mg, and ug/day -> mg/s scale: mg * 86.4e6 / (ug/day) = s. */
#define UG_PER_MG 1000

static int64_t
at(int64_t now_s, int64_t dt_s)
{
    if (dt_s >= MODELS_HORIZON_MAX_S)
        return MODELS_NEVER;
    return fx_add_sat(now_s, dt_s);
}

void
runout_predict(int64_t stock_mg, int64_t rate_ugpd, int64_t sigma_ugpd,
               int64_t interval_s, int32_t z_q16, int64_t now_s, struct runout *out)
{
    stock_mg = fx_clamp(stock_mg, 0, MODELS_MASS_MAX_MG);
    sigma_ugpd = fx_clamp(sigma_ugpd, 0, MODELS_RATE_MAX_UGPD);
    interval_s = fx_clamp(interval_s, 1, MODELS_DT_MAX_S);
    if (z_q16 < 0)
        z_q16 = 0;
    if (rate_ugpd <= 0) {
        out->t_mid_s = out->t_lo_s = out->t_hi_s = MODELS_NEVER;
        return;
    }
    if (stock_mg == 0) {
        out->t_mid_s = out->t_lo_s = out->t_hi_s = now_s;
        return;
    }
    int64_t t_mid = fx_muldiv(stock_mg, MODELS_UGPD_PER_MG_PER_S, rate_ugpd);
    /*
     * c = (z / 2) * (sigma / r) * sqrt(p / T_mid) and m = sqrt(1 + c^2) + c in
     * Q40.24, c capped at 2^20 (bounds a factor 2^42 from T_mid). Beyond c = 181,
     * c^2 no longer fits, and sqrt(1 + c^2) = c + 1 / (2c) to within 1 / (8 c^3).
     * m^2 is applied as two factors of m so that it never has to fit on its own.
     */
    int64_t rel_q24 = fx_muldiv(sigma_ugpd, INT64_C(1) << 24, rate_ugpd);
    /* sqrt(p / T_mid) in Q24: from p / T_mid in Q48 while that fits (< 2^15), */
    /* else from Q32, 8 bits coarser, which is plenty at that size. */
    int64_t root_q24;
    if (t_mid > 0 && (t_mid >= (INT64_C(1) << 40) || interval_s < (t_mid << 14))) {
        int64_t ratio_q48 = fx_muldiv(interval_s, INT64_C(1) << 48, t_mid);
        root_q24 = (int64_t)fx_isqrt((uint64_t)ratio_q48);
    } else {
        uint64_t t = (uint64_t)(t_mid > 0 ? t_mid : 1);
        root_q24 = (int64_t)fx_isqrt(fx_udiv((uint64_t)interval_s << 32, t)) << 8;
    }
    int64_t c_q24 =
        fx_muldiv(fx_muldiv(z_q16, rel_q24, 65536), root_q24, INT64_C(1) << 25);
    c_q24 = fx_clamp(c_q24, 0, INT64_C(1) << 44);
    int64_t s_q24 =
        c_q24 < (INT64_C(181) << 24)
            ? (int64_t)fx_isqrt((UINT64_C(1) << 48) + (uint64_t)fx_mul(c_q24, c_q24))
            : c_q24 + fx_div_round(INT64_C(1) << 47, c_q24);
    int64_t m_q24 = s_q24 + c_q24;
    /* The intermediate T_mid * m (or T_mid / m) keeps 12 fractional bits. */
    int64_t hi_q12 = fx_muldiv(t_mid, m_q24, INT64_C(1) << 12);
    int64_t lo_q12 = fx_muldiv(t_mid, INT64_C(1) << 36, m_q24);
    out->t_mid_s = at(now_s, t_mid);
    out->t_hi_s = at(now_s, fx_muldiv(hi_q12, m_q24, INT64_C(1) << 36));
    out->t_lo_s = at(now_s, fx_muldiv(lo_q12, INT64_C(1) << 12, m_q24));
}

int64_t
runout_demand_mg(int64_t rate_ugpd, int64_t sigma_ugpd, int64_t interval_s,
                 int32_t z_q16, int64_t horizon_s)
{
    rate_ugpd = fx_clamp(rate_ugpd, 0, MODELS_RATE_MAX_UGPD);
    sigma_ugpd = fx_clamp(sigma_ugpd, 0, MODELS_RATE_MAX_UGPD);
    interval_s = fx_clamp(interval_s, 1, MODELS_DT_MAX_S);
    horizon_s = fx_clamp(horizon_s, 0, MODELS_DT_MAX_S);
    if (z_q16 < 0)
        z_q16 = 0;
    int64_t mean_ug = fx_muldiv(rate_ugpd, horizon_s, MODELS_DAY_S);
    int64_t root = (int64_t)fx_isqrt((uint64_t)fx_mul(interval_s, horizon_s));
    int64_t spread_ug =
        fx_muldiv(fx_muldiv(sigma_ugpd, z_q16, 65536), root, MODELS_DAY_S);
    int64_t mg = fx_div_round(fx_add_sat(mean_ug, spread_ug), UG_PER_MG);
    return fx_clamp(mg, 0, (int64_t)MODELS_MASS_MAX_MG * UG_PER_MG);
}
