/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's side of learning from corrections (models/adjust.h): the
 * pipeline calls learn_correct() when the household or the retailer corrects a
 * plan (a predicted order cancelled, an order by hand before the predicted
 * point, a stockout, a rejection); the item's adjustment moves within bounds,
 * is saved with its model (modelstate.h, fields "adj.*") and every correction
 * is a line of the audit log beginning "learn:", which is the audit trail
 * (pantryctl policy shows it). learn_reset() forgets what was learnt, and says
 * so in the same trail. learn_status_line() is the one-line reason pantryctl
 * status shows ("ordering about 2 days earlier since you ordered by hand on
 * 3 March").
 *
 * Errors: learn_correct() and learn_reset() return 0 or a negative errno of the
 * store (noted in the pipeline's last_error as every store failure is).
 */
#ifndef PANTRY_AGENT_LEARN_H
#define PANTRY_AGENT_LEARN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/adjust.h"

struct pipeline;
struct pl_item;

/* The audit lines of the trail begin with this. */
#define LEARN_AUDIT_PREFIX "learn: "

/*
 * One correction of kind k of item it at now_ms; gap_s as adjust_event() takes
 * it; why (may be NULL) names the order or event, for the audit line. Nothing
 * is learnt before the item's forecast has warmed up (PL_WARMUP_EVENTS): the
 * first orders of a new shelf are no evidence about the policy; nor while
 * p->no_learning is set, nor for an item configured with learn = false.
 */
int learn_correct(struct pipeline *p, struct pl_item *it, enum adjust_kind k,
                  int64_t gap_s, int64_t now_ms, const char *why);

/* Whether what item it learnt makes its plan later than configured now. */
bool learn_made_later(const struct pl_item *it);

/*
 * A predicted order of item it (why names it, may be NULL) was delivered while
 * the shelf still held stock: adjust_kept(), saved, and an audit line when the
 * learnt ceiling moved. Same conditions as learn_correct().
 */
int learn_kept(struct pipeline *p, struct pl_item *it, int64_t now_ms, const char *why);

/* Forget what item it learnt (the policy goes back to its configuration). */
int learn_reset(struct pipeline *p, struct pl_item *it, int64_t now_ms);

/* learn_reset() of item index item for the control socket: msg says what was
 * done; 0 or a negative errno of the store. */
int learn_reset_request(struct pipeline *p, size_t item, int64_t now_ms, char *msg,
                        size_t len);

/*
 * The one-line reason of an adjustment into buf (NUL-terminated, cut to len),
 * in the local time zone; "" when nothing is learnt. Returns the length it
 * wanted (as snprintf), 0 for nothing. Examples:
 *   "ordering about 2 days earlier since you ordered by hand on 3 March"
 *   "ordering with at most about 6 days of use left and 10 % less since you
 *    refused a delivery on 5 March; asks first"
 */
int learn_status_line(const struct adjust *a, char *buf, size_t len);

#endif
