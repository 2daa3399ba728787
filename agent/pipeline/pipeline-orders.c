/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline's orders (pipeline.h): how an order is made (signed reorder or
 * cancel into the outbox, in the store transaction that moves the order), the
 * guard's inputs from the store, placing a predicted or requested order, and
 * how an open order ends: expired by time, withdrawn, or fulfilled by the
 * refill that can be its delivery. The requests of a person (order, confirm,
 * cancel) are here too: each is a guard and a placing or a withdrawal.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/pipeline/learn.h"
#include "agent/msg/jws.h"
#include "agent/msg/message.h"
#include "agent/msg/utc.h"
#include "agent/config/config-wishes.h"
#include "agent/pipeline/pipeline-int.h"
#include "models/lead.h"
#include "sensors/text.h"

/*
 * The least weight a measured lead gets, Q32 (1/4: the last few orders count;
 * before that each order is one more piece of evidence, see lead.h).
 */
#define LEAD_FLOOR_Q32 (UINT64_C(1) << 30)
/* z of the lead's bound an order sent stays open for: 3.0902, 99.9 %, Q16. */
#define LEAD_BOUND_Z_Q16 202520

struct build_ctx {
    struct pipeline *p;
    const struct pl_item *it;
    const char *order_id;
    const char *reason;
    uint32_t packs;
    int64_t now_ms;
};

/*
 * A payload as it goes into the outbox: signed with the device key as a JWS
 * of typ, or the bare JSON without a key (tests). Takes json (from malloc)
 * whatever happens; r is the result of building it.
 */
static int
signed_message(const struct pipeline *p, const char *typ, int r, char *json,
               char **message)
{
    if (r < 0 || p->key == NULL) {
        *message = json;
        return r;
    }
    /* Signed before it is stored: the outbox only ever holds what goes out. */
    r = jws_sign(p->key, typ, json, strlen(json), message);
    free(json);
    return r;
}

static int
build_reorder(int64_t seq, void *ctx, char **message)
{
    const struct build_ctx *b = ctx;
    const struct cfg_item *c = b->it->cfg;
    const struct pl_view *v = &b->it->view;
    struct message_product products[MESSAGE_PRODUCTS_MAX];
    struct message_wishes w;
    struct cfg_delivery dl;
    struct message_reorder m = {
        .order_id = b->order_id,
        .device_id = b->p->cfg->device_id,
        .seq = seq,
        .iat_s = b->now_ms / 1000,
        .item_id = c->id,
        .item_name = c->name,
        .sku = c->sku,
        .gtin = c->gtin,
        .packs = b->packs,
        .pack_mg = c->pack_mg,
        .price_cents = c->price_cents,
        .currency = b->p->cfg->currency,
        .reason = b->reason,
        .stock_mg = v->stock_mg,
        .rate_ugpd = v->rate_ugpd,
        .runout_s = v->runout_s,
        .runout_lo_s = v->runout_lo_s,
        .runout_hi_s = v->runout_hi_s,
        .service_bp = c->service_bp,
        .wishes = &w,
    };
    char *json = NULL;
    int r;

    cfg_wishes_message(b->p->cfg, c, b->packs, cfg_utc_offset_s(b->now_ms / 1000),
                       b->now_ms / 1000, v->runout_s, &w, products, &dl);
    r = message_reorder_json(&m, &json);
    return signed_message(b->p, MESSAGE_TYP_REORDER, r, json, message);
}

/* The outbox got a message for order_id (its transaction committed). */
static void
outbox_grew(struct pipeline *p, const char *order_id)
{
    if (p->queued != NULL)
        p->queued(p->queued_ctx, order_id);
}

struct cancel_ctx {
    struct pipeline *p;
    const char *order_id;
    const char *reason; /* "button", "manual", "expired" */
    int64_t now_ms;
};

static int
build_cancel(int64_t seq, void *ctx, char **message)
{
    const struct cancel_ctx *c = ctx;
    struct message_cancel m = {.order_id = c->order_id,
                               .device_id = c->p->cfg->device_id,
                               .seq = seq,
                               .iat_s = c->now_ms / 1000,
                               .reason = c->reason};
    char *json = NULL;
    int r = message_cancel_json(&m, &json);
    return signed_message(c->p, MESSAGE_TYP_CANCEL, r, json, message);
}

/*
 * Move an open order to cancelled or expired. A cancelled one that may have
 * left the device (queued, published, or acknowledged and inside the cancel
 * window) gets a signed cancel in the outbox in the same transaction. An
 * expired one never does: one the retailer never received is withdrawn here
 * (it leaves the outbox), and one it received may still come: a cancel would
 * turn a late delivery into a longer outage, and the late delivery is a refill.
 */
int
pl_withdraw(struct pipeline *p, const struct store_order *o, enum store_order_state to,
            const char *reason, int64_t now_ms, const char *note)
{
    struct cancel_ctx c = {p, o->order_id, reason, now_ms};
    bool tell = to == ORDER_CANCELLED &&
                (o->state == ORDER_QUEUED || o->state == ORDER_PUBLISHED ||
                 o->state == ORDER_ACKNOWLEDGED);
    int64_t seq = 0;
    int r;

    if ((r = pipeline_flush(p)) < 0)
        return r;
    r = pl_note_err(p,
                    store_order_withdraw(p->db, o->order_id, o->state, to, now_ms, note,
                                         tell ? build_cancel : NULL, &c, &seq));
    if (r == 0 && seq > 0)
        outbox_grew(p, o->order_id);
    return r;
}

/*
 * An order's packs are on their way: the shelf takes a rise of them for a
 * refill even beyond refill_max (a 4-pack order poured into a big bin), until a
 * refill comes.
 */
void
pl_expect_delivery(struct pipeline *p, const struct pl_item *it, uint32_t packs)
{
    int64_t mg = (int64_t)packs * it->cfg->pack_mg;
    if (mg > p->shelf.p[it->channel].expect_mg)
        shelf_expect(&p->shelf, it->channel, mg);
}

static int
queue_order(struct pipeline *p, const struct pl_item *it, const char *order_id,
            const char *reason, uint32_t packs, int64_t now_ms)
{
    struct build_ctx b = {p, it, order_id, reason, packs, now_ms};
    int r;

    if ((r = pipeline_flush(p)) < 0)
        return r;
    r = pl_note_err(p, store_order_queue(p->db, order_id, now_ms, build_reorder, &b));
    if (r == 0) {
        p->orders_queued++;
        outbox_grew(p, order_id);
        pl_expect_delivery(p, it, packs);
    }
    return r;
}

/*
 * "<item>-<YYYYMMDDTHHMMSSZ>-<8 hex digits of the device id's FNV-1a hash>":
 * at most 31 + 17 + 9 + 2 bytes, unique per item and second on a device, and
 * across devices as far as a 32-bit hash of their ids goes (a retailer also
 * keys by the device, which signs the order).
 */
static void
order_id(const struct pipeline *p, const struct pl_item *it, int64_t now_ms,
         unsigned attempt, char *out, size_t len)
{
    char t[32], c[32];
    size_t k = 0;
    uint32_t h = 2166136261u;

    for (const char *s = p->cfg->device_id; *s != '\0'; s++)
        h = (h ^ (uint8_t)*s) * 16777619u;
    utc_format(now_ms / 1000, t, sizeof(t));
    for (const char *s = t; *s != '\0' && k + 1 < sizeof(c); s++)
        if (*s != '-' && *s != ':')
            c[k++] = *s;
    c[k] = '\0';
    if (attempt == 0)
        snprintf(out, len, "%.31s-%.16s-%08x", it->cfg->id, c, (unsigned)h);
    else
        snprintf(out, len, "%.31s-%.16s-%08x-%u", it->cfg->id, c, (unsigned)h,
                 attempt % 10);
}

static int
latest_cb(const struct store_order *o, void *ctx)
{
    int64_t *last = ctx;

    if (o->created_ms > *last)
        *last = o->created_ms;
    return 0;
}

/*
 * The guard's inputs from the store, then the verdict; *oo gets the open order.
 * A store that fails gives ORDER_NO_DATA: never order blind.
 */
enum order_verdict
pl_guard(struct pipeline *p, struct pl_item *it, bool need, bool manual, uint32_t packs,
         int64_t now_ms, struct open_order *oo)
{
    const struct cfg_item *c = it->cfg;
    int64_t n30 = 0, item_cents = 0, all_cents = 0, last = INT64_MIN;
    int64_t month = orders_month_start_ms(now_ms);

    /* The cooldown counts from the newest order, whatever became of it. */
    if (pl_open_order(p, it, oo) < 0 ||
        pl_note_err(p, store_orders_since(p->db, c->id, now_ms - c->cooldown_s * 1000,
                                          latest_cb, &last)) < 0 ||
        pl_note_err(p, store_orders_counted(p->db, c->id, now_ms - 30 * MODELS_DAY_MS,
                                            &n30, NULL)) < 0 ||
        pl_note_err(p, store_orders_counted(p->db, c->id, month, NULL, &item_cents)) <
            0 ||
        pl_note_err(p, store_orders_counted(p->db, NULL, month, NULL, &all_cents)) < 0)
        return ORDER_NO_DATA;
    struct order_guard_in in = {
        .need = need,
        .manual = manual,
        .mode_off = c->mode == CFG_MODE_OFF,
        .data_ok = it->have_stock && !it->fault,
        .open_order = oo->found,
        .now_ms = now_ms,
        .last_order_ms = last,
        .cooldown_ms = c->cooldown_s * 1000,
        .orders_30d = n30 > UINT32_MAX ? UINT32_MAX : (uint32_t)n30,
        .max_orders_30d = c->max_orders_30d,
        .cost_cents = (int64_t)packs * c->price_cents,
        .item_spent_cents = item_cents,
        .item_budget_cents = c->budget_cents,
        .household_spent_cents = all_cents,
        .household_budget_cents = p->cfg->monthly_budget_cents,
    };
    return orders_guard(&in);
}

/* Create (and, unless planned, queue) an order of packs of the item. */
int
pl_place(struct pipeline *p, struct pl_item *it, uint32_t packs, const char *reason,
         bool planned, int64_t now_ms, char *id, size_t idlen)
{
    const struct pl_view *v = &it->view;
    char detail[512];
    int r;

    snprintf(detail, sizeof(detail),
             "{\"stock_mg\":%" PRId64 ",\"rate_ugpd\":%" PRId64
             ",\"reorder_point_mg\":%" PRId64 ",\"lead_s\":%" PRId64 "}",
             v->stock_mg, v->rate_ugpd, v->reorder_point_mg, v->lead_s);
    if ((r = pipeline_flush(p)) < 0)
        return r;
    r = -EEXIST;
    for (unsigned attempt = 0; attempt < 10 && r == -EEXIST; attempt++) {
        struct store_order o = {.packs = (int32_t)packs,
                                .price_cents = it->cfg->price_cents,
                                .detail_json = detail};
        order_id(p, it, now_ms, attempt, o.order_id, sizeof(o.order_id));
        snprintf(o.item, sizeof(o.item), "%s", it->cfg->id);
        snprintf(o.reason, sizeof(o.reason), "%s", reason);
        /* An order sent at once is made and queued in one transaction: one
         * fsync instead of two on the way from the decision to the broker. */
        struct build_ctx b = {p, it, o.order_id, reason, packs, now_ms};
        r = planned ? store_order_create(p->db, &o, now_ms)
                    : store_order_create_queued(p->db, &o, now_ms, build_reorder, &b);
        if (r == 0)
            snprintf(id, idlen, "%s", o.order_id);
    }
    if (pl_note_err(p, r) < 0)
        return r;
    p->orders_created++;
    if (!planned) {
        p->orders_queued++;
        outbox_grew(p, id);
        pl_expect_delivery(p, it, packs);
    }
    return 0;
}

/*
 * How long an order may stay open. One not sent yet: order_expiry. One sent:
 * not before its lead could still come (the learnt lead's 99.9 % bound and a
 * review period), nor before two days after the retailer's shipped ETA.
 */
static int64_t
expiry_ms(const struct pipeline *p, const struct pl_item *it,
          const struct store_order *o)
{
    int64_t e = p->cfg->order_expiry_s * 1000;
    if (o->state == ORDER_PLANNED)
        return e;
    int64_t bound =
        (lead_plan_s(&it->model.lead, LEAD_BOUND_Z_Q16) + it->cfg->review_s) * 1000;
    if (bound > e)
        e = bound;
    if (o->eta_ms > 0 && o->eta_ms - o->queued_ms + 2 * MODELS_DAY_MS > e)
        e = o->eta_ms - o->queued_ms + 2 * MODELS_DAY_MS;
    return e;
}

void
pl_expire_or_close(struct pipeline *p, struct pl_item *it, enum order_event ev,
                   int64_t now_ms, const char *note)
{
    struct open_order oo;
    enum store_order_state to;

    if (pl_open_order(p, it, &oo) < 0 || !oo.found)
        return;
    if (ev == ORDER_EV_REFILL && oo.o.state == ORDER_PLANNED) {
        /* Refilled before anyone confirmed: the order is not needed any more. */
        ev = ORDER_EV_CANCEL;
        note = "refilled before it was confirmed";
    }
    int r = orders_step(oo.o.state, ev, oo.o.created_ms, oo.o.queued_ms, now_ms,
                        p->cfg->cancel_window_s * 1000, expiry_ms(p, it, &oo.o), &to);
    if (r < 0)
        return;
    if (to == ORDER_EXPIRED && oo.o.state != ORDER_PLANNED) {
        /* The next predicted order waits for the household (review()). */
        it->model.expired_ms = now_ms;
        pl_save_model(p, it, now_ms);
    }
    if (to == ORDER_CANCELLED || to == ORDER_EXPIRED) {
        pl_withdraw(p, &oo.o, to, "expired", now_ms, note);
        return;
    }
    if (pipeline_flush(p) < 0 ||
        pl_note_err(p, store_order_transition(p->db, oo.o.order_id, oo.o.state, to,
                                              now_ms, note)) < 0)
        return;
    if (to == ORDER_FULFILLED && oo.o.queued_ms > 0 && now_ms > oo.o.queued_ms) {
        lead_observe(&it->model.lead, (now_ms - oo.o.queued_ms) / 1000, LEAD_FLOOR_Q32);
        pl_save_model(p, it, now_ms);
    }
}

/*
 * A refill closes the item's open order only when it can be its delivery: the
 * order left the device (published or acknowledged) before the refill, and the
 * refill is the ordered packs' grams (packs_in()). Anything else is an
 * unordered refill (a shop's pack, a parcel of something else): the order stays
 * open and the history says why. An order not yet sent (planned and waiting
 * for confirmation, or queued and not yet taken by the broker) is not needed
 * after any refill: it is withdrawn (a queued one with a signed cancel, in case
 * it went out unacknowledged). Deliveries come in the order they were ordered:
 * while an expired order has not arrived, a refill of its packs is its late
 * delivery first, and the open order stays open.
 */
struct newest {
    bool found;
    struct store_order o; /* strings not kept */
};

static int
newest_cb(const struct store_order *o, void *ctx)
{
    struct newest *n = ctx;
    if (o->state == ORDER_EXPIRED && (!n->found || o->created_ms >= n->o.created_ms)) {
        n->found = true;
        n->o = *o;
        n->o.message = NULL;
        n->o.detail_json = NULL;
    }
    return 0;
}

/*
 * How many of o's packs a refill of mg brings: the whole packs j (1 .. packs)
 * whose grams it is, at most 5 % (or 10 g) under their label and at most 10 %
 * and 40 g of packaging over it; 0 when none. A retailer may ship a multi-pack
 * order in parts; a pack from a shop of another size falls outside (the closed
 * loop's and the situations' shop packs are 60-75 % or 135-180 % of a pack).
 */
static uint32_t
packs_in(const struct pl_item *it, const struct store_order *o, int64_t mg)
{
    int64_t pack = it->cfg->pack_mg;
    int64_t j = (mg + pack / 2) / pack;
    if (j < 1 || j > o->packs)
        return 0;
    int64_t want = j * pack;
    int64_t under = want / 20 > PL_MATCH_UNDER_MG ? want / 20 : PL_MATCH_UNDER_MG;
    return mg >= want - under && mg <= want + want / 10 + PL_MATCH_PACKAGING_MG
               ? (uint32_t)j
               : 0;
}

/*
 * A refill may be the late delivery of the item's newest expired order: its
 * lead is still learnt (a shop slower than its bound is the one the plan most
 * needs to know). True when it was.
 */
static bool
late_delivery(struct pipeline *p, struct pl_item *it, const struct stock_event *ev,
              const char *when)
{
    struct newest n;
    memset(&n, 0, sizeof(n));
    if (pl_note_err(p, store_orders_since(p->db, it->cfg->id,
                                          ev->t_ms - 60 * MODELS_DAY_MS, newest_cb,
                                          &n)) < 0 ||
        !n.found || n.o.queued_ms <= 0 || ev->t_ms <= n.o.queued_ms ||
        packs_in(it, &n.o, ev->mg) == 0)
        return false;
    lead_observe(&it->model.lead, (ev->t_ms - n.o.queued_ms) / 1000, LEAD_FLOOR_Q32);
    pl_save_model(p, it, ev->t_ms);
    pl_audit(p, it, ev->t_ms,
             "refill of %" PRId64 " g at %s: the late delivery of expired "
             "order %s (lead %.1f days, learnt)",
             ev->mg / 1000, when, n.o.order_id,
             (double)(ev->t_ms - n.o.queued_ms) / (double)MODELS_DAY_MS);
    return true;
}

void
pl_refill(struct pipeline *p, struct pl_item *it, const struct stock_event *ev)
{
    struct open_order oo;
    char note[STORE_NOTE_MAX], when[32];

    utc_format(ev->t_ms / 1000, when, sizeof(when));
    /*
     * A refill of an empty shelf (2 % of a pack or less at the last review): the
     * time it stood empty was no silence of the household, only use it could
     * not take and the scale could not see (fc_resume()).
     */
    bool empty = it->view.t_ms > 0 && view_empty(it);
    if (empty) {
        fc_resume(&it->model.fc, ev->t_ms / 1000);
        pl_save_model(p, it, ev->t_ms);
    }
    /* What was on its way came (or something else did): a later order says again. */
    shelf_expect(&p->shelf, it->channel, 0);
    if (pl_open_order(p, it, &oo) < 0)
        return;
    /* An order sent before the expired one arrived is delivered after it. */
    bool late =
        (!oo.found || it->model.expired_ms > 0) && late_delivery(p, it, ev, when);
    /* It stood empty with no order on its way: the plan came too late (learn.h).
     * A sent order delivered late is the lead's to learn (lead.h), not this,
     * unless what was learnt had made the plan later. */
    bool on_way =
        oo.found && (oo.o.state == ORDER_PUBLISHED || oo.o.state == ORDER_ACKNOWLEDGED);
    if (empty && !late && (!on_way || learn_made_later(it)))
        learn_correct(p, it, ADJUST_STOCKOUT, 0, ev->t_ms, NULL);
    if (it->model.expired_ms > 0) {
        /* Stock came: predicted orders need no confirmation any more. */
        it->model.expired_ms = 0;
        pl_save_model(p, it, ev->t_ms);
    }
    if (oo.found && late && oo.o.state != ORDER_PLANNED && oo.o.state != ORDER_QUEUED)
        pl_audit(p, it, ev->t_ms,
                 "order %s stays open: it was sent after the expired one",
                 oo.o.order_id);
    if (!oo.found ||
        (late && oo.o.state != ORDER_PLANNED && oo.o.state != ORDER_QUEUED))
        return;
    if (oo.o.state == ORDER_PLANNED) {
        snprintf(note, sizeof(note), "refill of %" PRId64 " g at %s", ev->mg / 1000,
                 when);
        pl_expire_or_close(p, it, ORDER_EV_REFILL, ev->t_ms, note);
        return;
    }
    if (oo.o.state == ORDER_QUEUED) {
        snprintf(note, sizeof(note),
                 "refilled (%" PRId64 " g at %s) before it was "
                 "sent",
                 ev->mg / 1000, when);
        pl_withdraw(p, &oo.o, ORDER_CANCELLED, "refilled", ev->t_ms, note);
        return;
    }
    bool sent = oo.o.state == ORDER_PUBLISHED || oo.o.state == ORDER_ACKNOWLEDGED;
    uint32_t j = packs_in(it, &oo.o, ev->mg);
    if (!sent || ev->t_ms <= oo.o.queued_ms || j == 0) {
        pl_audit(p, it, ev->t_ms,
                 "refill of %" PRId64 " g at %s is not order %s (%" PRId32 " x %" PRId64
                 " g%s): the order stays open",
                 ev->mg / 1000, when, oo.o.order_id, oo.o.packs,
                 it->cfg->pack_mg / 1000, sent ? "" : ", not sent yet");
        return;
    }
    if (j < (uint32_t)oo.o.packs)
        snprintf(note, sizeof(note),
                 "fulfilled by the refill of %" PRId64 " g at %s "
                 "(%u of its %" PRId32 " packs)",
                 ev->mg / 1000, when, j, oo.o.packs);
    else
        snprintf(note, sizeof(note), "fulfilled by the refill of %" PRId64 " g at %s",
                 ev->mg / 1000, when);
    pl_expire_or_close(p, it, ORDER_EV_REFILL, ev->t_ms, note);
    /* A predicted order that came before the shelf ran dry was wanted (learn.h). */
    if (!empty && strcmp(oo.o.reason, "predicted") == 0)
        learn_kept(p, it, ev->t_ms, oo.o.order_id);
}

/* ---- requests of a person ---- */

static const char *const verdict_text[] = {
    [ORDER_GO] = "ordered",
    [ORDER_NOT_NEEDED] = "not needed",
    [ORDER_MODE_OFF] = "ordering is off for this item",
    [ORDER_OPEN] = "an order is already open",
    [ORDER_COOLDOWN] = "too soon after the last order",
    [ORDER_CAP] = "the limit of orders in 30 days is reached",
    [ORDER_BUDGET] = "the monthly budget would be exceeded",
    [ORDER_NO_DATA] = "no reliable weight",
};

int
pipeline_order(struct pipeline *p, size_t item, const char *reason, int64_t now_ms,
               char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct policy_out pol;
    struct open_order oo;
    char id[STORE_ID_MAX];
    int r;

    pl_forecast(p, it, now_ms, &pol);
    /* How long before the plan's point a person orders: evidence it is late. */
    int64_t gap =
        adjust_gap_s(it->view.stock_mg, pol.reorder_point_mg, it->view.rate_ugpd);
    uint32_t packs = pol.order && pol.packs > 0 ? pol.packs : 1;
    enum order_verdict v = pl_guard(p, it, true, true, packs, now_ms, &oo);
    if (v != ORDER_GO) {
        text_error(msg, len, "%s: %s", it->cfg->id, verdict_text[v]);
        return v == ORDER_OPEN ? -EEXIST : -EPERM;
    }
    if ((r = pl_place(p, it, packs, reason, false, now_ms, id, sizeof(id))) < 0)
        return pl_store_failed(p, it, msg, len, r);
    snprintf(msg, len, "%s: order %s queued, %u pack%s", it->cfg->id, id, packs,
             packs == 1 ? "" : "s");
    /* Ordered by hand before the plan's point: the plan is late by the gap. On an
     * empty shelf with nothing on order (the guard let it go), it ran out. */
    if (gap > 0 && gap != MODELS_NEVER && it->have_stock && !it->fault)
        learn_correct(p, it, ADJUST_MANUAL, gap, now_ms, id);
    else if (it->have_stock && !it->fault && view_empty(it))
        learn_correct(p, it, ADJUST_STOCKOUT, 0, now_ms, id);
    return 0;
}

int
pipeline_confirm(struct pipeline *p, size_t item, int64_t now_ms, char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct open_order oo;
    int r;

    if (pl_open_order(p, it, &oo) < 0 || !oo.found || oo.o.state != ORDER_PLANNED)
        return text_error(msg, len, "%s: no order waits for confirmation", it->cfg->id),
               -EPERM;
    struct policy_out pol;
    pl_forecast(p, it, now_ms, &pol); /* the message carries the forecast of now */
    if ((r = queue_order(p, it, oo.o.order_id, oo.o.reason, (uint32_t)oo.o.packs,
                         now_ms)) < 0)
        return pl_store_failed(p, it, msg, len, r);
    snprintf(msg, len, "%s: order %s confirmed and queued", it->cfg->id, oo.o.order_id);
    return 0;
}

int
pipeline_cancel(struct pipeline *p, size_t item, const char *reason, int64_t now_ms,
                char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct open_order oo;
    enum store_order_state to;
    int r;

    if (pl_open_order(p, it, &oo) < 0 || !oo.found)
        return text_error(msg, len, "%s: no open order", it->cfg->id), -EPERM;
    r = orders_step(oo.o.state, ORDER_EV_CANCEL, oo.o.created_ms, oo.o.queued_ms,
                    now_ms, p->cfg->cancel_window_s * 1000,
                    p->cfg->order_expiry_s * 1000, &to);
    if (r == -ETIME)
        return text_error(msg, len,
                          "%s: order %s can no longer be cancelled (the "
                          "%" PRId64 "-minute window closed)",
                          it->cfg->id, oo.o.order_id, p->cfg->cancel_window_s / 60),
               r;
    if (r < 0 || (r = pl_withdraw(p, &oo.o, to, reason, now_ms,
                                  "cancelled by the household")) < 0)
        return text_error(msg, len, "%s: cannot cancel: %s", it->cfg->id,
                          r == -EPERM ? "not open" : store_errmsg(p->db)),
               r;
    snprintf(msg, len, "%s: order %s cancelled%s", it->cfg->id, oo.o.order_id,
             oo.o.state == ORDER_PLANNED ? "" : "; the retailer is told");
    /* A predicted order the household did not want came too early (learn.h); a
     * cancelled order of its own is a change of mind. */
    if (strcmp(oo.o.reason, "predicted") == 0)
        learn_correct(p, it, ADJUST_CANCEL, 0, now_ms, oo.o.order_id);
    return 0;
}
