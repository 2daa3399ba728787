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
 * Update rules (gap: how far before the predicted order point a person had to
 * act, when known; step, max_shift, size_step from struct adjust_cfg):
 *
 *   event      | shift                          | size        | streak
 *   -----------+--------------------------------+-------------+-------------------
 *   cancel     | - step                         |             | +1
 *   refused    | - step                         | - size_step | +1
 *   rejected   |                                |             | +1
 *   manual     | + gap / 2 (step when unknown)  |             | 0
 *   stockout   | + step                         | + size_step | 0
 *
 * The shift stays within +-max_shift, the size within [size_min, size_max], and
 * a streak reaching ask_after sets ask_first until adjust_init() resets it.
 */
#ifndef PANTRY_MODELS_ADJUST_H
#define PANTRY_MODELS_ADJUST_H

#include <stdbool.h>
#include <stdint.h>

#include "policy.h"

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
};

struct adjust {
    int64_t shift_s;      /* learnt reorder point shift, seconds of use; > 0: earlier */
    uint32_t size_bp;     /* learnt order-size scale, 10000 = as planned */
    uint32_t streak;      /* cancels, refusals, rejections in a row */
    uint32_t ask_first;   /* 1: predicted orders wait for a person's confirmation */
    uint32_t events;      /* corrections seen since the last reset */
    int64_t last_t_s;     /* time of the last correction, 0: none */
    uint32_t last_kind;   /* its enum adjust_kind */
    int64_t last_delta_s; /* how much it moved shift_s */
};

/* Shipped defaults: step half a day (a day let a household that cancels
 * orders it finds early run out: tests/eval/CLOSED-LOOP.md), shift within +-7 days,
 * size 50 % .. 200 % in steps of 10 %, ask first after 3 cancels in a row. */
void adjust_cfg_default(struct adjust_cfg *c);

/* No learning: shift 0, size 100 %, no streak, no ask. */
void adjust_init(struct adjust *a);

/*
 * One correction of kind k at t_s. gap_s (>= 0; 0 or negative: unknown) is how
 * long before the predicted order point a person acted (ADJUST_MANUAL only).
 * An unknown kind changes nothing. Everything saturates and stays in bounds.
 */
void adjust_event(struct adjust *a, const struct adjust_cfg *c, enum adjust_kind k,
                  int64_t gap_s, int64_t t_s);

/*
 * The policy's inputs with the adjustment: the horizon lead + review grows by
 * shift_s (a negative shift is taken from the review period first, then the
 * lead, never below 0), and the cover is scaled by size_bp.
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
