/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the pipeline (pipeline.c, pipeline-acks.c, pipeline-calib.c,
 * pipeline-refused.c): a store failure noted for the logs, the audit log, what a
 * calibration did, an item's open order, and an open order withdrawn.
 */
#ifndef PANTRY_AGENT_PIPELINE_INT_H
#define PANTRY_AGENT_PIPELINE_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/pipeline/pipeline.h"
#include "models/policy.h"
#include "models/units.h"

/* r, and when it is < 0 the store's failure counted and kept (last_error). */
int pl_note_err(struct pipeline *p, int r);

/* A line of the audit log about item it (NULL: the device), in the open batch. */
int pl_audit(struct pipeline *p, const struct pl_item *it, int64_t now_ms,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* mg as grams for people, as pantryctl prints them: whole from 100 g, one
 * decimal below ("625 g", "3.2 g"), into buf; returns buf. */
const char *pl_cal_grams(int64_t mg, char *buf, size_t len);

/*
 * What a tare of item it did (pipeline-calib.c): before_mg is what the platform
 * read just before (by the calibration replaced, zero tracking included). The
 * answer for the person goes into msg (with a warning when the platform was not
 * empty: more than the item's empty threshold), a line into the audit log.
 */
void pl_cal_tare_told(struct pipeline *p, const struct pl_item *it, int64_t before_mg,
                      int64_t now_ms, char *msg, size_t len);

/*
 * What a span of item it did: cal replaced old (same zero), noise_mg is the
 * spread of its readings. The answer in grams into msg, a line into the audit
 * log: the known weight, what old read for it, and how much every reading
 * changes.
 */
void pl_cal_span_told(struct pipeline *p, const struct pl_item *it,
                      const struct cond_cal *old, const struct cond_cal *cal,
                      int64_t noise_mg, int64_t now_ms, char *msg, size_t len);
/*
 * Move open order o to cancelled or expired (o->state: its state now), with
 * note in its history; a cancelled one that may have left the device gets its
 * signed cancel (reason as message.h's cancel takes it) in the outbox, in the
 * same store transaction. 0 or a negative errno of the store (noted).
 */
int pl_withdraw(struct pipeline *p, const struct store_order *o,
                enum store_order_state to, const char *reason, int64_t now_ms,
                const char *note);

/* An item's open order (there is one at most). */
struct open_order {
    bool found;
    struct store_order o; /* strings not kept: message/detail NULL */
};

/* Item it's open order into oo (found false: none); 0 or a negative errno of
 * the store (noted). */
int pl_open_order(struct pipeline *p, const struct pl_item *it, struct open_order *oo);

/* A household request on item it that the store failed: "ITEM: the store
 * failed: WHY" into msg; returns r (a negative errno). */
int pl_store_failed(struct pipeline *p, const struct pl_item *it, char *msg, size_t len,
                    int r);

/* Stock event ev of item it as a call to the household's Grocy, queued in the
 * open batch (pipeline-grocy.c); nothing without a grocy group or product. */
void pl_grocy_event(struct pipeline *p, const struct pl_item *it,
                    const struct stock_event *ev);

/* Item it's first settled stock since the pipeline started (stock_mg, net of
 * its container) held against the stock Grocy was last told: a change of at
 * least the item's min_step while the daemon was stopped or reloading, which
 * made no stock event, is queued as an inventory. Nothing for an item never
 * told. Once per start: it->grocy_checked. The caller has checked that Grocy
 * and the item's product are configured. */
void pl_grocy_settled(struct pipeline *p, struct pl_item *it, int64_t stock_mg,
                      int64_t now_ms);

/*
 * In shopping-list mode (grocy mode "shopping_list", the item has a product),
 * a predicted need of packs is Grocy's shopping list's, not an order: one row
 * in the open batch with its audit line, none when the item is on the list
 * since its last refill. Returns whether it took the need (the caller then
 * makes no order).
 */
bool pl_grocy_listed(struct pipeline *p, const struct pl_item *it, uint32_t packs,
                     int64_t now_ms);

/* Save item it's model (modelstate.h) in the open batch. */
int pl_save_model(struct pipeline *p, struct pl_item *it, int64_t now_ms);

/* Open a store transaction (a batch) unless one is open; it is committed when
 * its window has passed (pipeline_tick) or by pipeline_flush. 0 or a negative
 * errno of the store (noted). */
int pl_batch(struct pipeline *p, int64_t now_ms);

/* Save item it's view (pl_view) in the open batch. */
void pl_save_view(struct pipeline *p, struct pl_item *it);

/*
 * The item's view at now_ms and the policy's answer; returns what shelf_stock()
 * said of the stock (0: settled, -EBUSY: an episode is open, -EIO: fault).
 */
int pl_forecast(struct pipeline *p, struct pl_item *it, int64_t now_ms,
                struct policy_out *pol);

/*
 * The guard's inputs from the store, then the verdict; *oo gets the open order.
 * A store that fails gives ORDER_NO_DATA: never order blind.
 */
enum order_verdict pl_guard(struct pipeline *p, struct pl_item *it, bool need,
                            bool manual, uint32_t packs, int64_t now_ms,
                            struct open_order *oo);

/* Create (and, unless planned, queue) an order of packs of the item; its id
 * into id. 0 or a negative errno of the store (noted). */
int pl_place(struct pipeline *p, struct pl_item *it, uint32_t packs, const char *reason,
             bool planned, int64_t now_ms, char *id, size_t idlen);

/* An order of packs of item it is on its way: the shelf takes a rise of them
 * for a refill (shelf_expect()). */
void pl_expect_delivery(struct pipeline *p, const struct pl_item *it, uint32_t packs);

/* A refill event of item it: the open order it closes or withdraws, if any. */
void pl_refill(struct pipeline *p, struct pl_item *it, const struct stock_event *ev);

/* Event ev (expire, refill) on the item's open order, with note. */
void pl_expire_or_close(struct pipeline *p, struct pl_item *it, enum order_event ev,
                        int64_t now_ms, const char *note);

static inline int64_t
net_stock(const struct pl_item *it, int64_t weight_mg)
{
    int64_t net = weight_mg - it->cfg->container_mg;
    return net > 0 ? net : 0;
}

/* The item's last view saw its shelf empty: at most 2 % of a pack left. */
static inline bool
view_empty(const struct pl_item *it)
{
    return it->view.stock_mg * 50 <= it->cfg->pack_mg;
}

/* The conditioning channel of the item's platform. */
static inline struct cond_channel *
chan(struct pipeline *p, const struct pl_item *it)
{
    return &p->shelf.p[it->channel].ch;
}

#endif
