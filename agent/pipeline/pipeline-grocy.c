/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the household's Grocy is told of a stock event (pipeline-int.h): a
 * consume, a refill or an item taken as used up becomes a row of the store's
 * Grocy queue (store-grocy.h) in the batch that stores the event, so the event
 * and its call are kept or lost together. Sending is grocy.c's.
 */
#include "agent/pipeline/pipeline-int.h"
#include "agent/store/store-grocy.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "agent/logging.h"
#include "sensors/cond/shelf.h"

/* A call of item it with its product and unit; op and amounts are the
 * caller's. */
static struct store_grocy_call
call_of(const struct pl_item *it, enum store_grocy_op op, int64_t created_ms)
{
    struct store_grocy_call c = {
        .product = it->cfg->grocy_product,
        .unit_mg = it->cfg->grocy_unit_mg > 0 ? it->cfg->grocy_unit_mg : 1000,
        .op = op,
        .created_ms = created_ms,
    };

    snprintf(c.item, sizeof(c.item), "%s", it->cfg->id);
    return c;
}

void
pl_grocy_event(struct pipeline *p, const struct pl_item *it,
               const struct stock_event *ev)
{
    int64_t w = 0, u = 0;

    if (p->cfg->grocy.mode == CFG_GROCY_OFF || it->cfg->grocy_product <= 0)
        return;
    struct store_grocy_call c = call_of(it, GROCY_OP_CONSUME, ev->t_ms);
    switch ((enum stock_kind)ev->kind) {
    case STOCK_CONSUME:
        if (it->fault || ev->mg <= 0)
            return;
        c.op = GROCY_OP_CONSUME;
        break;
    case STOCK_REFILL:
        if (ev->mg <= 0)
            return;
        c.op = GROCY_OP_ADD;
        break;
    case STOCK_EMPTY:
        /* Used up: the absolute zero, whatever Grocy counted before. */
        c.op = GROCY_OP_INVENTORY;
        break;
    default:
        return;
    }
    c.amount_mg = ev->kind == STOCK_EMPTY ? 0 : ev->mg;
    if (ev->kind != STOCK_EMPTY &&
        shelf_stock(&p->shelf, it->channel, ev->t_ms, &w, &u) >= 0 && w > 0)
        c.stock_mg = w - it->cfg->container_mg > 0 ? w - it->cfg->container_mg : 0;
    pl_note_err(p, store_grocy_add(p->db, &c));
}

void
pl_grocy_settled(struct pipeline *p, struct pl_item *it, int64_t stock_mg,
                 int64_t now_ms)
{
    int64_t told = 0,
            step = it->cfg->cond.min_step_mg > 0 ? it->cfg->cond.min_step_mg : 1;
    int e;

    it->grocy_checked = true;
    if (it->fault || stock_mg < 0)
        return;
    if ((e = store_grocy_told(p->db, it->cfg->id, &told)) == -ENOENT)
        return;
    if (pl_note_err(p, e) < 0 || (stock_mg - told < step && told - stock_mg < step))
        return;
    struct store_grocy_call c = call_of(it, GROCY_OP_INVENTORY, now_ms);
    c.stock_mg = stock_mg;
    log_info("grocy: %s holds %" PRId64 " g, Grocy was last told %" PRId64
             " g: an inventory goes",
             it->cfg->id, stock_mg / 1000, told / 1000);
    pl_note_err(p, store_grocy_add(p->db, &c));
}

bool
pl_grocy_listed(struct pipeline *p, const struct pl_item *it, uint32_t packs,
                int64_t now_ms)
{
    bool listed = false;

    if (p->cfg->grocy.mode != CFG_GROCY_SHOPPING || it->cfg->grocy_product <= 0)
        return false;
    if (pl_note_err(p, store_grocy_listed(p->db, it->cfg->id,
                                          stock_kind_to_str(STOCK_REFILL), &listed)) <
            0 ||
        listed)
        return true; /* on the list since the last refill: not twice */
    struct store_grocy_call c = call_of(it, GROCY_OP_SHOPPING, now_ms);
    c.amount_mg = (int64_t)packs * it->cfg->pack_mg;
    c.stock_mg = it->view.stock_mg > 0 ? it->view.stock_mg : 0;
    /* The audit line opens the batch the row goes into: both or neither. */
    if (pl_audit(p, it, now_ms,
                 "predicted need: %u pack%s (%" PRId64 " g) put on Grocy's shopping "
                 "list (product %" PRId64 "); no order, nothing sent to a retailer",
                 packs, packs == 1 ? "" : "s", c.amount_mg / 1000, c.product) == 0)
        pl_note_err(p, store_grocy_add(p->db, &c));
    return true;
}
