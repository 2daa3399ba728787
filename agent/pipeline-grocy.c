/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the household's Grocy is told of a stock event (pipeline-int.h): a
 * consume, a refill or an item taken as used up becomes a row of the store's
 * Grocy queue (store-grocy.h) in the batch that stores the event, so the event
 * and its call are kept or lost together. Sending is grocy.c's.
 */
#include "pipeline-int.h"
#include "store-grocy.h"

#include <stdio.h>

#include "shelf.h"

void
pl_grocy_event(struct pipeline *p, const struct pl_item *it,
               const struct stock_event *ev)
{
    struct store_grocy_call c = {
        .product = it->cfg->grocy_product,
        .unit_mg = it->cfg->grocy_unit_mg > 0 ? it->cfg->grocy_unit_mg : 1000,
        .created_ms = ev->t_ms,
    };
    int64_t w = 0, u = 0;

    if (p->cfg->grocy.mode == CFG_GROCY_OFF || c.product <= 0)
        return;
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
    snprintf(c.item, sizeof(c.item), "%s", it->cfg->id);
    pl_note_err(p, store_grocy_add(p->db, &c));
}
