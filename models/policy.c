/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reorder decision (see policy.h).
 */
#include "models/policy.h"

#include "models/fx.h"
#include "models/quantile.h"
#include "models/runout.h"

void
policy_decide(const struct policy_in *in, struct policy_out *out)
{
    int32_t z = quant_normal_q16(in->service_bp);
    int64_t horizon = fx_add_sat(fx_clamp(in->lead_time_s, 0, MODELS_DT_MAX_S),
                                 fx_clamp(in->review_s, 0, MODELS_DT_MAX_S));
    int64_t cover = fx_clamp(in->cover_s, 0, MODELS_DT_MAX_S);

    out->order = false;
    out->packs = 0;
    out->position_mg = fx_add_sat(fx_clamp(in->stock_mg, 0, MODELS_MASS_MAX_MG),
                                  fx_clamp(in->on_order_mg, 0, MODELS_MASS_MAX_MG));
    out->reorder_point_mg =
        runout_demand_mg(in->rate_ugpd, in->sigma_ugpd, in->interval_s, z, horizon);
    out->order_up_to_mg = runout_demand_mg(in->rate_ugpd, in->sigma_ugpd,
                                           in->interval_s, z, horizon + cover);
    int64_t peak = fx_clamp(in->peak_mg, 0, MODELS_MASS_MAX_MG);
    if (peak > out->reorder_point_mg) {
        out->order_up_to_mg =
            fx_add_sat(out->order_up_to_mg, peak - out->reorder_point_mg);
        out->reorder_point_mg = peak;
    }
    if (in->rate_ugpd <= 0 || in->pack_mg <= 0 || in->max_packs == 0)
        return;
    if (out->position_mg > out->reorder_point_mg)
        return;
    int64_t gap = out->order_up_to_mg - out->position_mg;
    int64_t packs = gap > 0
                        ? (int64_t)fx_udiv((uint64_t)gap + (uint64_t)in->pack_mg - 1,
                                           (uint64_t)in->pack_mg)
                        : 1;
    if (packs < 1)
        packs = 1;
    out->packs = packs > (int64_t)in->max_packs ? in->max_packs : (uint32_t)packs;
    out->order = true;
}
