/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What an item's policy has learnt from the household's corrections.
 *
 * Each correction is evidence about the plan: a predicted order cancelled or a
 * delivery refused says it came too early (or was not wanted), a manual order or
 * a button press before the predicted point and an observed stockout say it came
 * too late, a retailer's rejection says nothing about timing but, repeated, that
 * a person should look. The adjustment is a bounded shift of the reorder point,
 * in seconds of use (positive: order earlier), and a bounded scale of the order
 * size (the cover an order adds), plus "ask me first" after repeated cancels,
 * refusals or rejections in a row. adjust_apply() turns it into the policy's
 * inputs; the agent stores it with the item's model and keeps the audit trail.
 *
 * "Earlier" is a shift of the plan's horizon (lead + review, seconds of use):
 * it moves with the plan, so a stockout's lesson stays when the lead model
 * changes. "Later" is a ceiling on that horizon, in absolute seconds of use:
 * "order with at most this much left". A shift later would add to a plan that
 * narrows by itself as deliveries are measured, and the early cancels of a new
 * shelf (the lead prior is wide) would then make every later order late. And
 * because cancels are heard but wanted orders are not, a ceiling that only
 * fell would sink until the shelf ran dry: every predicted order delivered
 * with stock left (adjust_kept()) raises it a quarter day, half a step: it
 * balances at one cancel in three predicted orders, near where the household
 * wants its orders rather than below (tests/eval/README.md).
 *
 * Update rules (H: the plan's horizon now, lead + review before any
 * adjustment; eff: the horizon in use, min(H + shift, ceiling); gap: how far
 * before the predicted order point a person had to act, when known; step,
 * max_shift, size_step from struct adjust_cfg):
 *
 *   cancel, refused   with a shift > 0 it shrinks by step (not below 0);
 *                     else the ceiling becomes eff - step, at least
 *                     H - max_shift; refused also takes size_step off the size
 *   rejected          nothing but the streak
 *   manual, stockout  d = gap / 2 (manual, gap known) or step is added to the
 *                     ceiling if there is one (gone once it reaches H, the rest
 *                     going to the shift), else to the shift; a stockout also
 *                     adds size_step to the size
 *   kept              the ceiling rises by relax_step, gone once it reaches H
 *
 * Cancels, refusals and rejections add one to the streak; the others end it.
 *
 * The shift stays within 0..max_shift, the size within [size_min, size_max],
 * and a streak reaching ask_after sets ask_first until adjust_init() resets it.
 * A negative shift (saved by the version before the ceiling) is still applied
 * and moves back towards 0.
 */
#ifndef PANTRY_MODELS_ADJUST_H
#define PANTRY_MODELS_ADJUST_H

#include <stdbool.h>
#include <stdint.h>

#include "models/policy.h"

enum adjust_kind {
    ADJUST_CANCEL,   /* a predicted order cancelled by the household */
    ADJUST_REFUSED,  /* a delivery refused at the door */
    ADJUST_REJECTED, /* the retailer rejected an order */
    ADJUST_MANUAL, /* ordered by hand (button, pantryctl) before the predicted point */
    ADJUST_STOCKOUT, /* the shelf ran empty with no delivery in time */
    ADJUST_KINDS,
};

/* Bounds and steps; adjust_cfg_default() gives the shipped ones. */
struct adjust_cfg {
    int64_t step_s;        /* move for one event that says nothing on how far, > 0 */
    int64_t max_shift_s;   /* |shift_s| at most, 0 .. MODELS_DT_MAX_S */
    uint32_t size_step_bp; /* order-size step in basis points of the planned cover */
    uint32_t size_min_bp;  /* 1 .. 10000 */
    uint32_t size_max_bp;  /* 10000 .. 100000 */
    uint32_t ask_after;    /* cancels/refusals/rejections in a row; 0: never ask */
    int64_t relax_step_s;  /* ceiling raised by a predicted order kept, >= 0 */
};

struct adjust {
    int64_t shift_s;      /* learnt reorder point shift, seconds of use; > 0: earlier */
    int64_t ceil_s;       /* learnt horizon at most, seconds of use; 0: none */
    uint32_t size_bp;     /* learnt order-size scale, 10000 = as planned */
    uint32_t streak;      /* cancels, refusals, rejections in a row */
    uint32_t ask_first;   /* 1: predicted orders wait for a person's confirmation */
    uint32_t events;      /* corrections seen since the last reset */
    int64_t last_t_s;     /* time of the last correction, 0: none */
    uint32_t last_kind;   /* its enum adjust_kind */
    int64_t last_delta_s; /* how much it moved the horizon in use (> 0: earlier) */
};

/* Shipped defaults: step half a day (a day let a household that cancels
 * orders it finds early run out: tests/eval/CLOSED-LOOP.md), shift and ceiling
 * within 7 days of the plan, size 50 % .. 200 % in steps of 10 %, ask first
 * after 3 cancels in a row, a kept order raises the ceiling by a quarter day. */
void adjust_cfg_default(struct adjust_cfg *c);

/* No learning: shift 0, no ceiling, size 100 %, no streak, no ask. */
void adjust_init(struct adjust *a);

/*
 * One correction of kind k at t_s. gap_s (>= 0; 0 or negative: unknown) is how
 * long before the predicted order point a person acted (ADJUST_MANUAL only);
 * horizon_s is the plan's lead + review now, before any adjustment (as
 * adjust_apply() receives them). An unknown kind changes nothing. Everything
 * saturates and stays in bounds.
 */
void adjust_event(struct adjust *a, const struct adjust_cfg *c, enum adjust_kind k,
                  int64_t gap_s, int64_t horizon_s, int64_t t_s);

/*
 * A predicted order delivered while the shelf still held stock: it was wanted
 * and not late. The streak ends and a ceiling rises by relax_step, gone once it
 * reaches horizon_s (the plan's lead + review now). Not a correction: events
 * and last_* stay. Returns how much the horizon in use moved (> 0: earlier).
 */
int64_t adjust_kept(struct adjust *a, const struct adjust_cfg *c, int64_t horizon_s);

/*
 * The policy's inputs with the adjustment: the horizon lead + review grows by
 * shift_s (a negative shift is taken from the review period first, then the
 * lead, never below 0), then is cut to the ceiling the same way, and the cover
 * is scaled by size_bp.
 */
void adjust_apply(const struct adjust *a, struct policy_in *in);

/*
 * How long until an item at stock_mg, used at rate_ugpd, reaches its reorder
 * point rop_mg: 0 when it is already there, MODELS_NEVER with no use.
 */
int64_t adjust_gap_s(int64_t stock_mg, int64_t rop_mg, int64_t rate_ugpd);

/* "cancel", "refused", "rejected", "manual", "stockout"; "?" for anything else. */
const char *adjust_kind_to_str(uint32_t k);

#endif
