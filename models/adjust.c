/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Learning from corrections (see adjust.h): a bounded shift of the plan's
 * horizon earlier, a ceiling on it later, and a bounded scale of the order
 * size, moved by each correction.
 */
#include "models/adjust.h"

#include "models/fx.h"
#include "models/units.h"

#define BP_ONE 10000u

void
adjust_cfg_default(struct adjust_cfg *c)
{
    c->step_s = MODELS_DAY_S / 2;
    c->max_shift_s = 7 * MODELS_DAY_S;
    c->size_step_bp = 1000u;
    c->size_min_bp = 5000u;
    c->size_max_bp = 20000u;
    c->ask_after = 3u;
    c->relax_step_s = MODELS_DAY_S / 4;
}

void
adjust_init(struct adjust *a)
{
    a->shift_s = 0;
    a->ceil_s = 0;
    a->size_bp = BP_ONE;
    a->streak = 0;
    a->ask_first = 0;
    a->events = 0;
    a->last_t_s = 0;
    a->last_kind = 0;
    a->last_delta_s = 0;
}

static uint32_t
size_move(uint32_t size_bp, const struct adjust_cfg *c, int sign)
{
    uint32_t lo = c->size_min_bp < 1u       ? 1u
                  : c->size_min_bp > BP_ONE ? BP_ONE
                                            : c->size_min_bp;
    uint32_t hi = c->size_max_bp < BP_ONE         ? BP_ONE
                  : c->size_max_bp > 10u * BP_ONE ? 10u * BP_ONE
                                                  : c->size_max_bp;
    int64_t step = c->size_step_bp > BP_ONE ? BP_ONE : c->size_step_bp;
    int64_t v = (int64_t)size_bp + (sign > 0 ? step : -step);
    return (uint32_t)fx_clamp(v, lo, hi);
}

/* The horizon in use for a plan of horizon h (both in seconds of use). */
static int64_t
horizon_in_use(const struct adjust *a, int64_t h)
{
    int64_t e = fx_clamp(fx_add_sat(h, a->shift_s), 0, MODELS_DT_MAX_S);
    return a->ceil_s > 0 && a->ceil_s < e ? a->ceil_s : e;
}

/* d seconds earlier: on the ceiling while there is one, else on the shift. */
static void
earlier(struct adjust *a, int64_t d, int64_t h, int64_t max)
{
    if (a->ceil_s > 0) {
        int64_t c = fx_add_sat(a->ceil_s, d);
        if (c < h) {
            a->ceil_s = c;
            return;
        }
        a->ceil_s = 0;
        d = c - h;
        if (a->shift_s < 0)
            a->shift_s = 0;
    }
    a->shift_s = fx_clamp(fx_add_sat(a->shift_s, d), -max, max);
}

/* step seconds later: off the shift while it is earlier, else a ceiling. */
static void
later(struct adjust *a, int64_t step, int64_t h, int64_t max)
{
    if (a->shift_s > 0) {
        a->shift_s = a->shift_s > step ? a->shift_s - step : 0;
        return;
    }
    int64_t c = fx_sub_sat(horizon_in_use(a, h), step);
    int64_t floor = h - max > 1 ? h - max : 1;
    a->ceil_s = c > floor ? c : floor;
}

void
adjust_event(struct adjust *a, const struct adjust_cfg *c, enum adjust_kind k,
             int64_t gap_s, int64_t horizon_s, int64_t t_s)
{
    if ((uint32_t)k >= (uint32_t)ADJUST_KINDS)
        return;
    int64_t max = fx_clamp(c->max_shift_s, 0, MODELS_DT_MAX_S);
    int64_t step = fx_clamp(c->step_s, 1, MODELS_DT_MAX_S);
    int64_t h = fx_clamp(horizon_s, 0, MODELS_DT_MAX_S);
    a->shift_s = fx_clamp(a->shift_s, -max, max);
    a->ceil_s = fx_clamp(a->ceil_s, 0, MODELS_DT_MAX_S);
    int64_t before = horizon_in_use(a, h);
    if (k == ADJUST_CANCEL || k == ADJUST_REFUSED) {
        later(a, step, h, max);
        a->streak = a->streak < UINT32_MAX ? a->streak + 1 : a->streak;
        if (k == ADJUST_REFUSED)
            a->size_bp = size_move(a->size_bp, c, -1);
    } else if (k == ADJUST_REJECTED) {
        a->streak = a->streak < UINT32_MAX ? a->streak + 1 : a->streak;
    } else {
        /* Half the gap: one hurried hand order should not swing the plan by all of it.
         */
        earlier(a,
                k == ADJUST_MANUAL && gap_s > 0
                    ? fx_clamp(gap_s / 2, 1, max > 0 ? max : 1)
                    : step,
                h, max);
        a->streak = 0;
        if (k == ADJUST_STOCKOUT)
            a->size_bp = size_move(a->size_bp, c, +1);
    }
    a->last_delta_s = horizon_in_use(a, h) - before;
    if (c->ask_after > 0 && a->streak >= c->ask_after)
        a->ask_first = 1;
    a->events = a->events < UINT32_MAX ? a->events + 1 : a->events;
    a->last_t_s = t_s;
    a->last_kind = (uint32_t)k;
}

int64_t
adjust_kept(struct adjust *a, const struct adjust_cfg *c, int64_t horizon_s)
{
    int64_t h = fx_clamp(horizon_s, 0, MODELS_DT_MAX_S);
    a->streak = 0;
    if (a->ceil_s <= 0)
        return 0;
    int64_t before = horizon_in_use(a, h);
    int64_t up = fx_add_sat(a->ceil_s, fx_clamp(c->relax_step_s, 0, MODELS_DT_MAX_S));
    a->ceil_s = up < h ? up : 0;
    return horizon_in_use(a, h) - before;
}

void
adjust_apply(const struct adjust *a, struct policy_in *in)
{
    int64_t shift = fx_clamp(a->shift_s, -MODELS_DT_MAX_S, MODELS_DT_MAX_S);
    int64_t review = fx_clamp(in->review_s, 0, MODELS_DT_MAX_S);
    int64_t lead = fx_clamp(in->lead_time_s, 0, MODELS_DT_MAX_S);
    if (shift >= 0) {
        review += shift;
    } else {
        int64_t take = -shift < review ? -shift : review;
        review -= take;
        shift += take;
        lead = lead + shift > 0 ? lead + shift : 0;
    }
    /* A learnt ceiling cuts the horizon the same way, review first. */
    int64_t ceil = fx_clamp(a->ceil_s, 0, MODELS_DT_MAX_S);
    if (ceil > 0 && lead + review > ceil) {
        int64_t cut = lead + review - ceil;
        int64_t take = cut < review ? cut : review;
        review -= take;
        lead -= cut - take;
    }
    in->review_s = review;
    in->lead_time_s = lead;
    uint32_t size = a->size_bp == 0             ? BP_ONE
                    : a->size_bp > 10u * BP_ONE ? 10u * BP_ONE
                                                : a->size_bp;
    int64_t cover = fx_clamp(in->cover_s, 0, MODELS_DT_MAX_S);
    in->cover_s = fx_muldiv(cover, (int64_t)size, (int64_t)BP_ONE);
}

int64_t
adjust_gap_s(int64_t stock_mg, int64_t rop_mg, int64_t rate_ugpd)
{
    int64_t over = fx_sub_sat(fx_clamp(stock_mg, 0, MODELS_MASS_MAX_MG),
                              fx_clamp(rop_mg, 0, MODELS_MASS_MAX_MG));
    if (over <= 0)
        return 0;
    if (rate_ugpd <= 0)
        return MODELS_NEVER;
    /* mg -> ug is x1000, a day is 86400 s: over * 86,400,000 / rate. */
    int64_t t = fx_muldiv(over, MODELS_UGPD_PER_MG_PER_S, rate_ugpd);
    return t > MODELS_HORIZON_MAX_S ? MODELS_NEVER : t;
}

static const char *const kind_names[ADJUST_KINDS] = {
    "cancel", "refused", "rejected", "manual", "stockout",
};

const char *
adjust_kind_to_str(uint32_t k)
{
    return k < (uint32_t)ADJUST_KINDS ? kind_names[k] : "?";
}
