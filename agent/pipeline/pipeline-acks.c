/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the broker and the retailer say about the orders (pipeline.h): the
 * broker took a reorder or a cancel (PUBACK), and the retailer's acks
 * (accepted, shipped with an ETA, rejected, cancelled), each moving an order
 * by orders.h's rules, written in the store in order.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/learn.h"
#include "agent/msg/message.h"
#include "agent/pipeline/orders.h"
#include "agent/pipeline/pipeline-int.h"
#include "sensors/text.h"
#include "agent/msg/utc.h"

int
pipeline_published(struct pipeline *p, enum store_msg_kind kind, const char *order_id,
                   int64_t now_ms)
{
    struct store_order o;
    enum store_order_state to;
    int r;

    if ((r = pipeline_flush(p)) < 0)
        return r;
    if (kind == STORE_MSG_CANCEL) {
        r = store_cancel_published(p->db, order_id, now_ms);
        return r == -ENOENT ? 0 : pl_note_err(p, r); /* a second PUBACK: nothing new */
    }
    if ((r = pl_note_err(p, store_order_get(p->db, order_id, &o))) < 0)
        return r;
    r = orders_step(o.state, ORDER_EV_PUBACK, o.created_ms, o.queued_ms, now_ms, 0, 0,
                    &to);
    if (r == 0 && to == ORDER_PUBLISHED)
        r = pl_note_err(p, store_order_published(p->db, order_id, now_ms,
                                                 "the broker has it (PUBACK)"));
    else
        r = 0; /* a re-send of an order that is further on, or final */
    store_order_fini(&o);
    return r;
}

/* The retailer's answer to a cancel. */
static int
cancel_ack(struct pipeline *p, const struct message_ack *a, const struct store_order *o,
           int64_t now_ms, char *msg, size_t len)
{
    int it = cfg_find_item(p->cfg, o->item); /* items[i] is cfg->items[i] */
    int r;

    if (a->status != ACK_CANCELLED && a->status != ACK_REJECTED)
        return text_error(msg, len,
                          "ack of the cancel of %s: status %s means nothing "
                          "for a cancel",
                          o->order_id, message_ack_status_to_str(a->status)),
               -EINVAL;
    r = store_cancel_answered(p->db, o->order_id, now_ms, a->status == ACK_CANCELLED);
    if (r == -ENOENT)
        return text_error(msg, len, "the cancel of %s was answered before",
                          o->order_id),
               -EALREADY;
    if (pl_note_err(p, r) < 0)
        return text_error(msg, len, "store: %s", store_errmsg(p->db)), r;
    if (a->status == ACK_CANCELLED) {
        snprintf(msg, len, "the retailer cancelled order %s", o->order_id);
    } else {
        snprintf(msg, len,
                 "the retailer refused to cancel order %s%s%s: it may still "
                 "be delivered",
                 o->order_id, a->reason[0] ? ": " : "", a->reason);
    }
    if (it >= 0)
        pl_audit(p, &p->items[it], now_ms, "%s", msg);
    return 0;
}

int
pipeline_ack(struct pipeline *p, const struct message_ack *a, int64_t now_ms, char *msg,
             size_t len)
{
    static const enum order_event events[] = {
        [ACK_ACCEPTED] = ORDER_EV_ACCEPTED,
        [ACK_SHIPPED] = ORDER_EV_SHIPPED,
        [ACK_REJECTED] = ORDER_EV_REJECTED,
    };
    struct store_order o;
    struct store_cancel c;
    enum store_order_state to;
    char note[STORE_NOTE_MAX], eta[32] = "";
    int r;

    if (strcmp(a->device, p->cfg->device_id) != 0)
        return text_error(msg, len, "ack for device %s, not this one", a->device),
               -EINVAL;
    if ((r = pipeline_flush(p)) < 0)
        return text_error(msg, len, "store: %s", store_errmsg(p->db)), r;
    if ((r = store_order_get(p->db, a->order_id, &o)) < 0)
        return text_error(msg, len, "ack for order %s, which this device does not know",
                          a->order_id),
               r;
    if (o.seq == 0 || a->seq != o.seq) {
        /* Not the reorder's number: the cancel's, or nothing of ours. */
        if (store_cancel_get(p->db, a->order_id, &c) == 0 && c.seq == a->seq)
            r = cancel_ack(p, a, &o, now_ms, msg, len);
        else
            r = (text_error(msg, len,
                            "ack for order %s with sequence number %lld, "
                            "which is neither its reorder's nor its cancel's",
                            a->order_id, (long long)a->seq),
                 -ESTALE);
        store_order_fini(&o);
        return r;
    }
    if (a->status == ACK_CANCELLED) {
        store_order_fini(&o);
        return text_error(msg, len, "ack of reorder %s: cancelled answers a cancel",
                          a->order_id),
               -EINVAL;
    }
    bool eta_new = false;
    if (a->status == ACK_SHIPPED && a->eta_s > 0) {
        utc_format(a->eta_s, eta, sizeof(eta));
        if (!store_order_state_final(o.state) && o.eta_ms != a->eta_s * 1000)
            eta_new = pl_note_err(p, store_order_set_eta(p->db, o.order_id,
                                                         a->eta_s * 1000)) == 0;
    }
    snprintf(note, sizeof(note), "%s%s%s%s%s%s%s", message_ack_status_to_str(a->status),
             a->retailer[0] ? " by " : "", a->retailer,
             eta[0] ? ", delivery expected " : "", eta, a->reason[0] ? ": " : "",
             a->reason);
    r = orders_step(o.state, events[a->status], o.created_ms, o.queued_ms, now_ms, 0, 0,
                    &to);
    if (r == 0) {
        r = pl_note_err(
            p, store_order_transition(p->db, o.order_id, o.state, to, now_ms, note));
        snprintf(msg, len, "order %s %s: %s", o.order_id, store_order_state_to_str(to),
                 note);
        for (size_t i = 0; r == 0 && to == ORDER_REJECTED && i < p->n_items; i++)
            if (strcmp(p->items[i].cfg->id, o.item) == 0)
                learn_correct(p, &p->items[i], ADJUST_REJECTED, 0, now_ms, o.order_id);
    } else {
        /* Already acknowledged (a second ack, a shipped after accepted), or no
         * longer open: the answer is noted in the log only. */
        if (eta_new)
            snprintf(msg, len, "order %s %s", o.order_id, note);
        else
            snprintf(msg, len, "order %s is %s; ack noted: %s", o.order_id,
                     store_order_state_to_str(o.state), note);
        r = eta_new ? 0 : -EALREADY;
    }
    store_order_fini(&o);
    return r;
}
