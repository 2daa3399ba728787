/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A delivery refused at the door (pipeline.h, pipeline_refused()): the
 * household sent back what the retailer brought for an item's open order
 * (wrong product, damaged, not wanted). The order is not delivered: it moves
 * to cancelled with the note "refused at the door" (and the household's
 * reason) in the item's history, the retailer gets the signed cancel of the
 * withdraw path with reason "refused" (so it does not send the order again),
 * the shelf stops waiting for its packs, and a predicted order teaches the
 * policy (learn.h, ADJUST_REFUSED: order later and smaller). An order not sent
 * yet (planned or queued) cannot have been delivered: it is cancelled instead.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/learn.h"
#include "agent/pipeline/pipeline-int.h"
#include "sensors/text.h"

int
pipeline_refused(struct pipeline *p, size_t item, const char *why, int64_t now_ms,
                 char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct open_order oo;
    char note[STORE_NOTE_MAX];
    int r;

    if (pl_open_order(p, it, &oo) < 0)
        return pl_store_failed(p, it, msg, len, -EIO);
    const struct store_order *o = &oo.o;
    if (!oo.found)
        return text_error(msg, len, "%s: no open order: nothing was on its way",
                          it->cfg->id),
               -EPERM;
    if (o->state == ORDER_PLANNED || o->state == ORDER_QUEUED)
        return text_error(msg, len,
                          "%s: order %s was not sent yet, so it cannot have come: "
                          "cancel it instead (pantryctl cancel %s)",
                          it->cfg->id, o->order_id, it->cfg->id),
               -EPERM;
    snprintf(note, sizeof(note), "refused at the door%s%s", why && *why ? ": " : "",
             why && *why ? why : "");
    if ((r = pl_withdraw(p, o, ORDER_CANCELLED, "refused", now_ms, note)) < 0)
        return pl_store_failed(p, it, msg, len, r);
    shelf_expect(&p->shelf, it->channel, 0); /* its packs are not coming */
    snprintf(msg, len,
             "%s: order %s closed as refused at the door; the retailer is told",
             it->cfg->id, o->order_id);
    /* A predicted order sent back was not wanted then, or not that much (learn.h);
     * one the household ordered itself says nothing about the policy. */
    if (strcmp(o->reason, "predicted") == 0)
        learn_correct(p, it, ADJUST_REFUSED, 0, now_ms, o->order_id);
    return 0;
}
