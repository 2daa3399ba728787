/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline (see pipeline.h): per item, conditioning -> stock events ->
 * forecaster -> policy -> guard -> order. What each stock event does:
 *
 *   consume     feed the forecaster (never during a fault), save the model
 *   refill      close the item's sent order (fulfilled) when it matches it, and
 *               learn the lead time from queueing to refill; an unordered refill
 *               leaves it open; withdraw an order not sent yet (planned or
 *               queued)
 *   away/back   nothing but the record (the stock is the weight before the lift)
 *   empty       what left beyond the container was used up: one more consumption
 *   moved       nothing but the record
 *   fault       no decision until fault-end; the audit log says so
 *   fault-end   the stock restarts from the new settled weight; the view is
 *               saved at once. A new calibration (tare, span) during a fault
 *               records one itself: the fresh channel has no fault to end
 *
 * After every event, and every review period, the item is reviewed: forecast,
 * policy, guard. A predicted order is planned (confirm mode) or queued (auto);
 * an order a person asks for is queued at once. Queued means: signed (issue 5)
 * and in the outbox, with its sequence number, in one store transaction.
 */
#include "agent/pipeline.h"
#include "agent/modelstate.h"
#include "agent/pipeline-int.h"
#include "agent/resume.h"
#include "agent/status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config-wishes.h"
#include "agent/msg/jws.h"
#include "agent/learn.h"
#include "agent/msg/message.h"
#include "models/policy.h"
#include "models/quantile.h"
#include "models/runout.h"
#include "sensors/text.h"
#include "models/units.h"
#include "agent/msg/utc.h"

#define DAY_MS INT64_C(86400000)
#define BATCH_MS 1000 /* an open batch is committed after this much time */
/*
 * A resumable replay's batches: 15 minutes of its virtual time, a millisecond
 * or so of real time, so that saving the resume state with each commit costs
 * little (a commit per second of the trace wrote four times the WAL).
 */
#define RESUMABLE_BATCH_MS (INT64_C(15) * 60000)

static int64_t
batch_window(const struct pipeline *p)
{
    return p->resumable ? RESUMABLE_BATCH_MS : BATCH_MS;
}
/*
 * The least weight a measured lead gets, Q32 (1/4: the last few orders count;
 * before that each order is one more piece of evidence, see lead.h).
 */
#define LEAD_FLOOR_Q32 (UINT64_C(1) << 30)
/* z of the lead's bound an order sent stays open for: 3.0902, 99.9 %, Q16. */
#define LEAD_BOUND_Z_Q16 202520

int
pl_note_err(struct pipeline *p, int r)
{
    if (r < 0) {
        p->store_errors++;
        snprintf(p->last_error, sizeof(p->last_error), "%s (%s)", store_errmsg(p->db),
                 strerror(-r));
    }
    return r;
}

static int
batch(struct pipeline *p, int64_t now_ms)
{
    if (p->in_batch)
        return 0;
    int r = store_begin(p->db);
    if (r == 0) {
        p->in_batch = true;
        /* A batch lasts its window of input time from now, whatever the time
         * of what opened it. Readings come with their interval's start, a
         * quarter hour ago: counted from that, the first item's row was
         * committed alone and every item cost a commit (issue 17); counted
         * from now, the rows of all items, whose samples cross the quarter
         * hour within a tenth of a second, share one. */
        p->batch_ms = p->now_ms > now_ms ? p->now_ms : now_ms;
    }
    return pl_note_err(p, r);
}

int
pipeline_flush(struct pipeline *p)
{
    if (!p->in_batch)
        return 0;
    p->in_batch = false;
    /* In the same transaction: how far the input has been taken in, and (a
     * replay) the state to go on from there. */
    pl_note_err(p, store_meta_put(p->db, PL_META_PROCESSED, p->now_ms));
    if (p->resumable) {
        pl_note_err(p, resume_save(p));
        if (p->in_input)
            p->flush_due = true;
    }
    return pl_note_err(p, store_commit(p->db));
}

/*
 * An input begins (a sample, an edge at t_ms; a tick: t_ms INT64_MIN): it is
 * counted (resume.h) before anything of it is done.
 */
static void
input_begin(struct pipeline *p, int64_t t_ms)
{
    p->in_input = true;
    if (t_ms == INT64_MIN)
        return;
    if (t_ms != p->in_t_ms) {
        p->in_t_ms = t_ms;
        p->in_n = 0;
    }
    p->in_n++;
}

/* It ended: a commit made in its middle is followed by one here. */
static void
input_end(struct pipeline *p)
{
    p->in_input = false;
    if (p->flush_due) {
        p->flush_due = false;
        if (batch(p, p->now_ms) == 0)
            pipeline_flush(p);
    }
}

static void
save_view(struct pipeline *p, struct pl_item *it)
{
    const struct pl_view *v = &it->view;
    struct store_view sv = {
        .t_ms = v->t_ms,
        .stock_mg = v->stock_mg,
        .uncertainty_mg = v->uncertainty_mg,
        .rate_ugpd = v->rate_ugpd,
        .sigma_ugpd = v->sigma_ugpd,
        .runout_s = v->runout_s,
        .runout_lo_s = v->runout_lo_s,
        .runout_hi_s = v->runout_hi_s,
        .lead_s = v->lead_s,
        .reorder_point_mg = v->reorder_point_mg,
        .fault = it->fault,
    };
    snprintf(sv.verdict, sizeof(sv.verdict), "%s", order_verdict_to_str(v->verdict));
    if (batch(p, v->t_ms) == 0)
        pl_note_err(p, store_view_put(p->db, it->cfg->id, &sv));
}

static int64_t
net_stock(const struct pl_item *it, int64_t weight_mg)
{
    int64_t net = weight_mg - it->cfg->container_mg;
    return net > 0 ? net : 0;
}

/* The item's last view saw its shelf empty: at most 2 % of a pack left. */
static bool
view_empty(const struct pl_item *it)
{
    return it->view.stock_mg * 50 <= it->cfg->pack_mg;
}

/* The conditioning channel of the item's platform. */
static struct cond_channel *
chan(struct pipeline *p, const struct pl_item *it)
{
    return &p->shelf.p[it->channel].ch;
}

int
pl_save_model(struct pipeline *p, struct pl_item *it, int64_t now_ms)
{
    it->model.zero_mg = chan(p, it)->zero_mg;
    it->model.zero_at_ms = chan(p, it)->zero_at_ms;
    char text[MS_TEXT_MAX];
    int n = ms_encode(&it->model, text, sizeof(text));
    int r = n < 0 ? n : batch(p, now_ms);
    if (r == 0)
        r = store_model_put(p->db, it->cfg->id, now_ms, MS_FORMAT, text, (size_t)n);
    return pl_note_err(p, r);
}

/*
 * The item's model: what the store kept (modelstate.h), or a fresh one when it
 * has none or cannot be read (the audit says why). Observation of a fresh one
 * starts now: the first use then counts over the time since, not over one
 * second, which would read as tonnes a day. < 0 only when the store fails.
 */
static int
load_model(struct pipeline *p, struct pl_item *it, int64_t now_ms)
{
    char why[256];
    int32_t format = 0;
    int r = ms_load(p->db, it->cfg, now_ms, &it->model, &format, why, sizeof(why));

    if (r == 1)
        return 0;
    if (r == 2) {
        pl_audit(p, it, now_ms,
                 "the saved forecast cannot be read (%s): learning starts "
                 "afresh",
                 why);
        return 0;
    }
    if (r < 0)
        return r;
    chan(p, it)->zero_mg = it->model.zero_mg;
    chan(p, it)->zero_at_ms = it->model.zero_at_ms;
    /* The next save writes the current format. */
    if (format != MS_FORMAT)
        pl_audit(p, it, now_ms,
                 "the saved forecast of format %d is migrated to format %d",
                 (int)format, MS_FORMAT);
    return 0;
}

int
pl_audit(struct pipeline *p, const struct pl_item *it, int64_t now_ms, const char *fmt,
         ...)
{
    char text[STORE_NOTE_MAX];
    va_list ap;
    int r;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    if ((r = batch(p, now_ms)) == 0)
        r = store_audit(p->db, now_ms, it ? it->cfg->id : NULL, text);
    return pl_note_err(p, r);
}

/* ---- the open order of an item ---- */

static int
open_cb(const struct store_order *o, void *ctx)
{
    struct open_order *oo = ctx;

    oo->found = true;
    oo->o = *o;
    oo->o.message = NULL;
    oo->o.detail_json = NULL;
    return 0; /* the newest wins; there is one per item */
}

int
pl_open_order(struct pipeline *p, const struct pl_item *it, struct open_order *oo)
{
    memset(oo, 0, sizeof(*oo));
    return pl_note_err(p, store_orders_open(p->db, it->cfg->id, open_cb, oo));
}

/* ---- reviews ---- */

#define CAP_SEEN 64

/* The times of the orders that count against the cap (store.h), oldest first. */
struct cap_scan {
    int64_t t_ms[CAP_SEEN];
    size_t n;
};

static int
cap_cb(const struct store_order *o, void *ctx)
{
    struct cap_scan *c = ctx;
    bool counted = o->state != ORDER_CANCELLED && o->state != ORDER_REJECTED &&
                   !(o->state == ORDER_EXPIRED && o->queued_ms == 0);
    if (counted && c->n < CAP_SEEN)
        c->t_ms[c->n++] = o->created_ms;
    return 0;
}

/*
 * What an order should cover beyond lead and review: the configured cover, and
 * at least the spacing the order cap allows (30 days / max_orders_30d), so that
 * a fast-emptying item orders more packs at once instead of running into the cap.
 */
static int64_t
cover_of(const struct cfg_item *c)
{
    int64_t spacing =
        c->max_orders_30d > 0 ? 30 * DAY_MS / 1000 / c->max_orders_30d : 0;
    return c->cover_s > spacing ? c->cover_s : spacing;
}

/*
 * How long after now_ms the cap lets the next order go, when an order placed
 * now fills it (two orders close together at first, then a month's wait); 0
 * when it does not.
 */
static int64_t
cap_wait_s(struct pipeline *p, const struct cfg_item *c, int64_t now_ms)
{
    struct cap_scan cs = {.n = 0};
    if (c->max_orders_30d == 0 ||
        pl_note_err(
            p, store_orders_since(p->db, c->id, now_ms - 30 * DAY_MS, cap_cb, &cs)) < 0)
        return 0;
    /* After this order, n + 1 count; the next may go once n + 2 - max have left. */
    size_t k = cs.n + 2 > c->max_orders_30d ? cs.n + 2 - c->max_orders_30d : 0;
    if (k == 0 || k > cs.n)
        return 0;
    int64_t wait = (cs.t_ms[k - 1] + 30 * DAY_MS - now_ms) / 1000;
    return wait > 0 ? wait : 0;
}

/*
 * The item's view at now_ms and the policy's answer; returns what shelf_stock()
 * said of the stock (0: settled, -EBUSY: an episode is open, -EIO: fault).
 */
static int
forecast(struct pipeline *p, struct pl_item *it, int64_t now_ms, struct policy_out *pol)
{
    const struct cfg_item *c = it->cfg;
    struct pl_view *v = &it->view;
    struct fc_rate r;
    struct runout ro;
    int64_t now_s = now_ms / 1000, w = 0, u = 0;
    int32_t z = quant_normal_q16(c->service_bp);

    int settled = shelf_stock(&p->shelf, it->channel, now_ms, &w, &u);
    v->t_ms = now_ms;
    v->stock_mg = net_stock(it, w);
    v->uncertainty_mg = u;
    /* The learned lead, stretched to the household's next delivery window. */
    v->lead_s = cfg_delivery_lead_s(p->cfg, c, now_s, lead_plan_s(&it->model.lead, z));
    fc_rate(&it->model.fc, &c->fc, now_s, v->lead_s + c->review_s, &r);
    struct policy_in in = {
        .stock_mg = v->stock_mg,
        .on_order_mg = 0, /* one open order per item: the guard stops a second */
        .rate_ugpd = r.rate_ugpd,
        .sigma_ugpd = r.sigma_ugpd,
        .interval_s = r.interval_s,
        .lead_time_s = v->lead_s,
        .review_s = c->review_s,
        .cover_s = cover_of(c),
        .service_bp = c->service_bp,
        .pack_mg = c->pack_mg,
        .max_packs = c->packs_per_order,
    };
    adjust_apply(&it->model.adj, &in); /* what corrections taught (learn.h) */
    in.peak_mg = dayuse_peak_mg(&it->model.days, now_s, in.lead_time_s + in.review_s);
    policy_decide(&in, pol);
    if (pol->order) {
        /* An order that fills the cap lasts until the cap lets the next one go:
         * only its packs change, so the store is asked only when ordering. */
        int64_t wait = cap_wait_s(p, c, now_ms);
        if (wait > in.cover_s) {
            in.cover_s = wait;
            policy_decide(&in, pol);
        }
    }
    v->rate_ugpd = r.rate_ugpd;
    v->sigma_ugpd = r.sigma_ugpd;
    v->reorder_point_mg = pol->reorder_point_mg;
    fc_runout(&it->model.fc, &c->fc, v->stock_mg, c->service_bp, now_s, &ro);
    v->runout_s = ro.t_mid_s;
    v->runout_lo_s = ro.t_lo_s;
    v->runout_hi_s = ro.t_hi_s;
    return settled;
}

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
static void
expect_delivery(struct pipeline *p, const struct pl_item *it, uint32_t packs)
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
        expect_delivery(p, it, packs);
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
static enum order_verdict
guard(struct pipeline *p, struct pl_item *it, bool need, bool manual, uint32_t packs,
      int64_t now_ms, struct open_order *oo)
{
    const struct cfg_item *c = it->cfg;
    int64_t n30 = 0, item_cents = 0, all_cents = 0, last = INT64_MIN;
    int64_t month = orders_month_start_ms(now_ms);

    /* The cooldown counts from the newest order, whatever became of it. */
    if (pl_open_order(p, it, oo) < 0 ||
        pl_note_err(p, store_orders_since(p->db, c->id, now_ms - c->cooldown_s * 1000,
                                          latest_cb, &last)) < 0 ||
        pl_note_err(p, store_orders_counted(p->db, c->id, now_ms - 30 * DAY_MS, &n30,
                                            NULL)) < 0 ||
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
static int
place(struct pipeline *p, struct pl_item *it, uint32_t packs, const char *reason,
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
        expect_delivery(p, it, packs);
    }
    return 0;
}

static void
review(struct pipeline *p, struct pl_item *it, int64_t now_ms)
{
    struct policy_out pol;
    struct open_order oo;
    char id[STORE_ID_MAX];

    it->next_review_ms = now_ms + it->cfg->review_s * 1000;
    if (forecast(p, it, now_ms, &pol) == -EBUSY) {
        /* Never decide from an unsettled shelf: once it has settled. */
        if (!it->review_due)
            p->reviews_due++;
        it->review_due = true;
        return;
    }
    if (it->review_due)
        p->reviews_due--;
    it->review_due = false;
    /*
     * No predicted order while learning: the first hours of a new shelf give
     * rates from a handful of pours, which can be anything.
     */
    struct status_learning learning;
    status_learning_of(&it->model, now_ms, &learning);
    bool need = pol.order && learning.done;
    it->view.verdict = guard(p, it, need, false, pol.packs, now_ms, &oo);
    save_view(p, it);
    if (it->view.verdict != ORDER_GO)
        return;
    /* After an order expired, or repeated cancels (learn.h), the next one is the
     * household's to confirm. */
    bool planned = it->cfg->mode == CFG_MODE_CONFIRM || it->model.expired_ms > 0 ||
                   it->model.adj.ask_first;
    if (pl_grocy_listed(p, it, pol.packs, now_ms))
        return;
    if (place(p, it, pol.packs, "predicted", planned, now_ms, id, sizeof(id)) == 0)
        /* In pantryctl status's units: g/day and days to one decimal. */
        pl_audit(p, it, now_ms,
                 "order %s: %u pack%s %s (stock %" PRId64 " g, reorder point %" PRId64
                 " g, use %.1f g/day ± %.1f, lead %.1f days)",
                 id, pol.packs, pol.packs == 1 ? "" : "s",
                 !planned ? "queued"
                 : it->cfg->mode == CFG_MODE_CONFIRM
                     ? "planned, waiting for confirmation"
                 : it->model.expired_ms > 0 ? "planned, waiting for confirmation "
                                              "(the last order expired)"
                                            : "planned, waiting for confirmation "
                                              "(learnt after repeated cancels)",
                 it->view.stock_mg / 1000, it->view.reorder_point_mg / 1000,
                 (double)it->view.rate_ugpd / 1e6, (double)it->view.sigma_ugpd / 1e6,
                 (double)it->view.lead_s / 86400.0);
}

/* ---- stock events ---- */

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
    if (o->eta_ms > 0 && o->eta_ms - o->queued_ms + 2 * DAY_MS > e)
        e = o->eta_ms - o->queued_ms + 2 * DAY_MS;
    return e;
}

static void
expire_or_close(struct pipeline *p, struct pl_item *it, enum order_event ev,
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
    if (pl_note_err(p, store_orders_since(p->db, it->cfg->id, ev->t_ms - 60 * DAY_MS,
                                          newest_cb, &n)) < 0 ||
        !n.found || n.o.queued_ms <= 0 || ev->t_ms <= n.o.queued_ms ||
        packs_in(it, &n.o, ev->mg) == 0)
        return false;
    lead_observe(&it->model.lead, (ev->t_ms - n.o.queued_ms) / 1000, LEAD_FLOOR_Q32);
    pl_save_model(p, it, ev->t_ms);
    pl_audit(p, it, ev->t_ms,
             "refill of %" PRId64 " g at %s: the late delivery of expired "
             "order %s (lead %.1f days, learnt)",
             ev->mg / 1000, when, n.o.order_id,
             (double)(ev->t_ms - n.o.queued_ms) / 86400000.0);
    return true;
}

static void
refill(struct pipeline *p, struct pl_item *it, const struct stock_event *ev)
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
        expire_or_close(p, it, ORDER_EV_REFILL, ev->t_ms, note);
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
    expire_or_close(p, it, ORDER_EV_REFILL, ev->t_ms, note);
    /* A predicted order that came before the shelf ran dry was wanted (learn.h). */
    if (!empty && strcmp(oo.o.reason, "predicted") == 0)
        learn_kept(p, it, ev->t_ms, oo.o.order_id);
}

static void
consume(struct pipeline *p, struct pl_item *it, int64_t t_ms, int64_t mg)
{
    if (mg <= 0)
        return;
    fc_consume(&it->model.fc, &it->cfg->fc, t_ms / 1000, mg);
    dayuse_add(&it->model.days, t_ms / 1000, mg);
    pl_save_model(p, it, t_ms);
}

static void
on_event(struct pipeline *p, struct pl_item *it, const struct stock_event *ev)
{
    char why[64];
    int64_t w, u;
    int r;

    p->events++;
    if (batch(p, ev->t_ms) == 0 &&
        pl_note_err(p, store_event_add(p->db, it->cfg->id, ev)) == 0)
        pl_grocy_event(p, it, ev);
    switch ((enum stock_kind)ev->kind) {
    case STOCK_CONSUME:
        if (!it->fault)
            consume(p, it, ev->t_ms, ev->mg);
        break;
    case STOCK_REFILL:
        refill(p, it, ev);
        break;
    case STOCK_EMPTY:
        consume(p, it, ev->t_ms, net_stock(it, ev->mg));
        break;
    case STOCK_FAULT:
        it->fault = true;
        it->view.verdict = ORDER_NO_DATA;
        it->view.t_ms = ev->t_ms;
        save_view(p, it);
        stock_flags_to_str(ev->flags, why, sizeof(why));
        pl_audit(p, it, ev->t_ms,
                 "sensor fault on channel %u (%s): no decisions until "
                 "it recovers",
                 ev->channel, why[0] ? why : "bad readings");
        break;
    case STOCK_FAULT_END:
        it->fault = false;
        /* The saved view says so at once, not at the next review. */
        it->view.t_ms = ev->t_ms;
        save_view(p, it);
        pl_audit(p, it, ev->t_ms, "sensor recovered: %" PRId64 " g on the platform",
                 ev->mg / 1000);
        break;
    case STOCK_AWAY:
    case STOCK_BACK:
    case STOCK_MOVED:
        break;
    }
    r = shelf_stock(&p->shelf, it->channel, ev->t_ms, &w, &u);
    if (r == 0 || r == -EBUSY)
        it->have_stock = true;
    /* Every event asks for a review, made once the shelf has settled. */
    if (!it->review_due)
        p->reviews_due++;
    it->review_due = true;
}

/* ---- readings ---- */

static void
flush_readings(struct pipeline *p, struct pl_item *it)
{
    int64_t u;

    if (it->agg_n == 0)
        return;
    u = cond_uncertainty_mg(chan(p, it), it->agg_start_ms);
    struct store_reading r = {
        .start_ms = it->agg_start_ms,
        .n = it->agg_n,
        .min_mg = it->agg_min - it->cfg->container_mg,
        .max_mg = it->agg_max - it->cfg->container_mg,
        .mean_mg = it->agg_sum / it->agg_n - it->cfg->container_mg,
        .uncertainty_mg = u,
    };
    if (batch(p, it->agg_start_ms) == 0)
        pl_note_err(p, store_reading_put(p->db, it->cfg->id, &r));
    it->agg_n = 0;
}

/*
 * Time reached a new aggregation interval: the rows of every item's interval
 * that ended are written now, together, into one batch (one commit a quarter
 * hour for the whole shelf, not one per item: issue 17). Input comes in time
 * order, so no sample of an ended interval is still to come.
 */
static void
close_readings(struct pipeline *p, int64_t now_ms)
{
    int64_t interval = p->cfg->aggregate_s * 1000;
    int64_t start = now_ms - now_ms % interval;

    if (start == p->agg_closed_ms)
        return;
    if (start < p->agg_closed_ms && start >= p->agg_closed_ms - interval)
        return; /* a sample a little late: aggregate() leaves it out */
    /* Forward; or the wall clock stepped back further (a live daemon): the
     * open rows are written as they are and aggregation starts from here. */
    p->agg_closed_ms = start;
    for (size_t i = 0; i < p->n_items; i++)
        if (p->items[i].agg_n > 0 && p->items[i].agg_start_ms != start)
            flush_readings(p, &p->items[i]);
}

static void
aggregate(struct pipeline *p, struct pl_item *it, const struct sample *s)
{
    int64_t interval = p->cfg->aggregate_s * 1000;
    int64_t start = s->t_ms - s->t_ms % interval;
    int64_t mg;

    if (s->status != SAMPLE_OK || s->raw >= 0x7FFFFF || s->raw <= -0x800000)
        return;
    mg = cond_reading_mg(chan(p, it), s->raw);
    if (mg > it->cfg->cond.max_mg || mg < -it->cfg->cond.max_mg)
        return;
    if (start < p->agg_closed_ms)
        return; /* late for an interval already written (input out of order) */
    if (it->agg_n > 0 && start != it->agg_start_ms)
        flush_readings(p, it);
    if (it->agg_n == 0) {
        it->agg_start_ms = start;
        it->agg_min = it->agg_max = mg;
        it->agg_sum = 0;
    }
    it->agg_n++;
    it->agg_sum += mg;
    if (mg < it->agg_min)
        it->agg_min = mg;
    if (mg > it->agg_max)
        it->agg_max = mg;
}

/* ---- entry points ---- */

int
pipeline_init(struct pipeline *p, const struct agent_config *cfg, struct store *db,
              int64_t now_ms, char *err, size_t errlen)
{
    int r;

    memset(p, 0, sizeof(*p));
    shelf_init(&p->shelf);
    p->cfg = cfg;
    p->db = db;
    p->now_ms = now_ms;
    for (size_t i = 0; i < SENSOR_MAX_CHANNELS; i++)
        p->channel_item[i] = -1;
    if ((r = store_set_device(db, cfg->device_id)) < 0)
        return text_error(err, errlen, "store: %s", store_errmsg(db)), r;
    for (size_t i = 0; i < cfg->n_items; i++) {
        const struct cfg_item *c = &cfg->items[i];
        const struct cfg_channel *ch = &cfg->channels[c->channel];
        struct pl_item *it = &p->items[i];
        struct store_item si = {.channel = ch->index};
        struct cond_cal cal;

        it->cfg = c;
        it->channel = ch->index;
        snprintf(si.id, sizeof(si.id), "%s", c->id);
        snprintf(si.name, sizeof(si.name), "%s", c->name);
        snprintf(si.sku, sizeof(si.sku), "%s", c->sku);
        snprintf(si.gtin, sizeof(si.gtin), "%s", c->gtin);
        if ((r = store_item_put(db, &si)) < 0)
            return text_error(err, errlen, "store: item %s: %s", c->id,
                              store_errmsg(db)),
                   r;
        r = store_cal_latest(db, c->id, &cal, NULL);
        if (r == -ENOENT && c->has_cal) {
            cal = c->cal;
            r = 0;
        }
        if (r == -ENOENT)
            return text_error(err, errlen,
                              "item %s has no calibration: add one to "
                              "the configuration or run pantryctl calibrate %s",
                              c->id, c->id),
                   -EINVAL;
        if (r < 0)
            return text_error(err, errlen, "store: item %s: %s", c->id,
                              store_errmsg(db)),
                   r;
        if ((r = shelf_add(&p->shelf, ch->index, &c->cond, &cal, now_ms)) < 0)
            return text_error(err, errlen, "item %s: %s", c->id,
                              r == -EEXIST ? "its channel has another item"
                                           : "the calibration is "
                                             "unusable (span 0 or out of range)"),
                   r;
        if ((r = load_model(p, it, now_ms)) < 0)
            return text_error(err, errlen, "store: item %s: %s", c->id,
                              store_errmsg(db)),
                   r;
        /* An order sent before a restart is still on its way. */
        struct open_order oo;
        if (pl_open_order(p, it, &oo) == 0 && oo.found && oo.o.state != ORDER_PLANNED)
            expect_delivery(p, it, (uint32_t)oo.o.packs);
        it->next_review_ms = now_ms + c->review_s * 1000;
        it->view.verdict = ORDER_NO_DATA;
        p->channel_item[ch->index] = (int)i;
    }
    p->n_items = cfg->n_items;
    for (size_t i = 0; i < cfg->n_buttons; i++) {
        struct pl_button *b = &p->buttons[i];
        b->cfg = &cfg->buttons[i];
        b->bcfg = (struct button_config){b->cfg->debounce_ms, b->cfg->long_ms,
                                         b->cfg->double_ms};
        button_init(&b->st, (uint16_t)i);
    }
    p->n_buttons = cfg->n_buttons;
    return pipeline_flush(p);
}

int
pipeline_fini(struct pipeline *p)
{
    for (size_t i = 0; i < p->n_items; i++) {
        struct pl_item *it = &p->items[i];
        struct pl_view v;
        int64_t w, u;
        flush_readings(p, it);
        pl_save_model(p, it, p->now_ms);
        /* pantryctl status shows the saved view while the daemon is stopped:
         * the stock as it was at the stop, not at the last review. */
        if (shelf_stock(&p->shelf, it->channel, p->now_ms, &w, &u) != -EAGAIN) {
            pipeline_view(p, i, p->now_ms, &v);
            save_view(p, it);
        }
    }
    return pipeline_flush(p);
}

/* The item whose own platform is channel, or NULL. */
static struct pl_item *
item_of(struct pipeline *p, unsigned channel)
{
    int i = channel < SENSOR_MAX_CHANNELS ? p->channel_item[channel] : -1;
    return i < 0 ? NULL : &p->items[i];
}

static void
on_events(struct pipeline *p, const struct stock_event *ev, int n)
{
    for (int k = 0; k < n; k++) {
        struct pl_item *it = item_of(p, ev[k].channel);
        if (it != NULL)
            on_event(p, it, &ev[k]);
    }
}

/* Reviews that wait for the shelf to settle, where it has (faults: none). */
static void
reviews(struct pipeline *p, int64_t now_ms)
{
    int64_t w, u;

    for (size_t i = 0; i < p->n_items && p->reviews_due > 0; i++) {
        struct pl_item *it = &p->items[i];
        if (!it->review_due ||
            shelf_stock(&p->shelf, it->channel, now_ms, &w, &u) == -EBUSY)
            continue;
        if (it->fault) {
            it->review_due = false;
            p->reviews_due--;
        } else {
            review(p, it, now_ms);
        }
    }
}

static void
sample(struct pipeline *p, const struct sample *s)
{
    struct stock_event ev[SHELF_MAX_EVENTS];
    struct pl_item *it = item_of(p, s->channel);
    int n;

    if (it == NULL)
        return;
    if (s->t_ms > p->now_ms)
        p->now_ms = s->t_ms;
    p->samples++;
    close_readings(p, s->t_ms);
    it->raw[it->raw_pos] = s->raw;
    it->raw_t[it->raw_pos] = s->t_ms;
    it->raw_status[it->raw_pos] = s->status;
    it->raw_pos = (it->raw_pos + 1) % PL_RAW_RING;
    aggregate(p, it, s);
    n = shelf_sample(&p->shelf, s, ev);
    on_events(p, ev, n);
    if (p->reviews_due > 0)
        reviews(p, s->t_ms);
    if (!it->grocy_checked) {
        /* Its first settled stock since the start, for Grocy. */
        int64_t w, u;
        if (p->cfg->grocy.mode == CFG_GROCY_OFF || it->cfg->grocy_product <= 0)
            it->grocy_checked = true;
        else if (shelf_stock(&p->shelf, it->channel, p->now_ms, &w, &u) == 0)
            pl_grocy_settled(p, it, net_stock(it, w), p->now_ms);
    }
}

int
pipeline_sample(struct pipeline *p, const struct sample *s)
{
    input_begin(p, s->t_ms);
    sample(p, s);
    input_end(p);
    if (p->in_batch && s->t_ms - p->batch_ms >= batch_window(p))
        pipeline_flush(p);
    return 0;
}

static void
press(struct pipeline *p, const struct pl_button *b, const struct press *pr)
{
    enum cfg_action a = pr->kind == PRESS_SHORT  ? b->cfg->on_short
                        : pr->kind == PRESS_LONG ? b->cfg->on_long
                                                 : b->cfg->on_double;
    char msg[256];
    int r = 0;

    if (a == CFG_ACT_NONE)
        return;
    if (b->cfg->item < 0) {
        /* Without an item only "confirm" means something: confirm every one. */
        for (size_t i = 0; a == CFG_ACT_CONFIRM && i < p->n_items; i++)
            pipeline_confirm(p, i, pr->t_ms, msg, sizeof(msg));
        return;
    }
    size_t i = (size_t)b->cfg->item;
    if (a == CFG_ACT_ORDER)
        r = pipeline_order(p, i, "button", pr->t_ms, msg, sizeof(msg));
    else if (a == CFG_ACT_CANCEL)
        r = pipeline_cancel(p, i, "button", pr->t_ms, msg, sizeof(msg));
    else
        r = pipeline_confirm(p, i, pr->t_ms, msg, sizeof(msg));
    pl_audit(p, &p->items[i], pr->t_ms, "%s press: %s%s", press_kind_to_str(pr->kind),
             r < 0 ? "refused: " : "", msg);
}

int
pipeline_edge(struct pipeline *p, const struct button_edge *e)
{
    struct press pr[BUTTON_MAX_PRESSES];
    struct pl_button *b;
    int n;

    input_begin(p, e->t_ms);
    /* Time as far as the input went, edges too: a commit says how far. */
    if (e->t_ms > p->now_ms)
        p->now_ms = e->t_ms;
    if (e->button < p->n_buttons) {
        b = &p->buttons[e->button];
        n = button_edge(&b->st, &b->bcfg, e->pressed, e->t_ms, pr, BUTTON_MAX_PRESSES);
        for (int k = 0; k < n; k++)
            press(p, b, &pr[k]);
    }
    input_end(p);
    return 0;
}

int
pipeline_press(struct pipeline *p, const struct press *pr)
{
    input_begin(p, pr->t_ms);
    if (pr->t_ms > p->now_ms)
        p->now_ms = pr->t_ms;
    if (pr->button < p->n_buttons)
        press(p, &p->buttons[pr->button], pr);
    input_end(p);
    return 0;
}

int
pipeline_tick(struct pipeline *p, int64_t now_ms)
{
    struct stock_event ev[SHELF_MAX_EVENTS];
    struct press pr[BUTTON_MAX_PRESSES];

    input_begin(p, INT64_MIN);
    if (now_ms > p->now_ms)
        p->now_ms = now_ms;
    close_readings(p, now_ms);
    if (shelf_next_due_ms(&p->shelf) <= now_ms)
        on_events(p, ev, shelf_tick(&p->shelf, now_ms, ev));
    if (p->reviews_due > 0)
        reviews(p, now_ms);
    for (size_t i = 0; i < p->n_items; i++) {
        struct pl_item *it = &p->items[i];
        if (it->next_review_ms <= now_ms) {
            expire_or_close(p, it, ORDER_EV_EXPIRE, now_ms, "expired");
            if (!it->fault)
                review(p, it, now_ms);
            else
                it->next_review_ms = now_ms + it->cfg->review_s * 1000;
        }
    }
    for (size_t i = 0; i < p->n_buttons; i++) {
        struct pl_button *b = &p->buttons[i];
        if (button_next_due_ms(&b->st, &b->bcfg) <= now_ms) {
            int n = button_tick(&b->st, &b->bcfg, now_ms, pr, BUTTON_MAX_PRESSES);
            for (int k = 0; k < n; k++)
                press(p, b, &pr[k]);
        }
    }
    input_end(p);
    if (p->in_batch && now_ms - p->batch_ms >= batch_window(p))
        return pipeline_flush(p);
    return 0;
}

int64_t
pipeline_next_due_ms(const struct pipeline *p)
{
    int64_t due = shelf_next_due_ms(&p->shelf);

    for (size_t i = 0; i < p->n_items; i++) {
        if (p->items[i].next_review_ms < due)
            due = p->items[i].next_review_ms;
    }
    for (size_t i = 0; i < p->n_buttons; i++) {
        int64_t d = button_next_due_ms(&p->buttons[i].st, &p->buttons[i].bcfg);
        if (d < due)
            due = d;
    }
    if (p->in_batch && p->batch_ms + batch_window(p) < due)
        due = p->batch_ms + batch_window(p);
    return due;
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

    forecast(p, it, now_ms, &pol);
    /* How long before the plan's point a person orders: evidence it is late. */
    int64_t gap =
        adjust_gap_s(it->view.stock_mg, pol.reorder_point_mg, it->view.rate_ugpd);
    uint32_t packs = pol.order && pol.packs > 0 ? pol.packs : 1;
    enum order_verdict v = guard(p, it, true, true, packs, now_ms, &oo);
    if (v != ORDER_GO) {
        text_error(msg, len, "%s: %s", it->cfg->id, verdict_text[v]);
        return v == ORDER_OPEN ? -EEXIST : -EPERM;
    }
    if ((r = place(p, it, packs, reason, false, now_ms, id, sizeof(id))) < 0)
        return text_error(msg, len, "%s: the store failed: %s", it->cfg->id,
                          store_errmsg(p->db)),
               r;
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
    forecast(p, it, now_ms, &pol); /* the message carries the forecast of now */
    if ((r = queue_order(p, it, oo.o.order_id, oo.o.reason, (uint32_t)oo.o.packs,
                         now_ms)) < 0)
        return text_error(msg, len, "%s: the store failed: %s", it->cfg->id,
                          store_errmsg(p->db)),
               r;
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

/* ---- calibration ---- */

/* Good raw readings of the last window_ms into a. */
static void
recent(const struct pl_item *it, int64_t now_ms, int64_t window_ms, struct calib_avg *a)
{
    calib_avg_init(a);
    for (unsigned k = 0; k < PL_RAW_RING; k++)
        if (it->raw_t[k] > 0 && it->raw_t[k] > now_ms - window_ms &&
            it->raw_t[k] <= now_ms) {
            struct sample s = {
                .t_ms = it->raw_t[k], .raw = it->raw[k], .status = it->raw_status[k]};
            calib_avg_add(a, &s);
        }
}

static int
set_cal(struct pipeline *p, struct pl_item *it, const struct cond_cal *cal,
        int64_t now_ms, char *msg, size_t len)
{
    int r;

    if ((r = pipeline_flush(p)) < 0 ||
        (r = pl_note_err(p, store_cal_add(p->db, it->cfg->id, now_ms, cal))) < 0)
        return text_error(msg, len, "%s: the store failed: %s", it->cfg->id,
                          store_errmsg(p->db)),
               r;
    /* A new zero: conditioning settles again from the new calibration. */
    shelf_recalibrate(&p->shelf, it->channel, cal, now_ms);
    it->model.zero_mg = 0;
    it->model.zero_at_ms = now_ms;
    pl_save_model(p, it, now_ms);
    if (it->fault) {
        /* The fresh channel has no fault to end: the old one's ends here (a
         * wrong zero corrected), in the history too. Still faulty, it is
         * found again within the stuck time. */
        struct stock_event ev = {
            .t_ms = now_ms, .channel = it->channel, .kind = STOCK_FAULT_END};
        it->fault = false;
        if (batch(p, now_ms) == 0)
            pl_note_err(p, store_event_add(p->db, it->cfg->id, &ev));
        pl_audit(p, it, now_ms, "sensor fault ended by the new calibration");
        it->view.t_ms = now_ms;
        save_view(p, it);
    }
    return 0;
}

int
pipeline_tare(struct pipeline *p, size_t item, int64_t now_ms, int64_t window_ms,
              char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct calib_avg a;
    struct cond_cal cal = chan(p, it)->cal;
    int32_t mean;

    recent(it, now_ms, window_ms, &a);
    if (a.n < 5 || a.bad > a.n)
        return text_error(msg, len,
                          "%s: not enough good readings in the last %" PRId64
                          " ms (%u good, %u faulty)",
                          it->cfg->id, window_ms, a.n, a.bad),
               -EAGAIN;
    int64_t spread = calib_spread_mg(&a, &cal);
    char g[32];
    if (spread > it->cfg->cond.noise_band_mg)
        return text_error(msg, len,
                          "%s: the platform moved (readings spread over %s): "
                          "keep still and try again",
                          it->cfg->id, pl_cal_grams(spread, g, sizeof(g))),
               -ERANGE;
    calib_avg_mean(&a, &mean);
    /* What the platform read before: a loaded one gets a warning. */
    int64_t before_mg = cond_cal_mg(&cal, mean) - chan(p, it)->zero_mg;
    cal.raw_zero = mean;
    int r = set_cal(p, it, &cal, now_ms, msg, len);
    if (r == 0) {
        pl_cal_tare_told(p, it, before_mg, now_ms, msg, len);
        pipeline_flush(p); /* the audit line; a failure is noted, the tare stands */
    }
    return r;
}

int
pipeline_span(struct pipeline *p, size_t item, int64_t known_mg, int64_t now_ms,
              int64_t window_ms, char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct calib_avg tare, known;
    struct cond_cal cal;
    int64_t spread;
    int r;

    /* The zero is the current one: a tare of exactly the calibrated zero. */
    calib_avg_init(&tare);
    struct sample z = {.raw = chan(p, it)->cal.raw_zero, .status = SAMPLE_OK};
    calib_avg_add(&tare, &z);
    recent(it, now_ms, window_ms, &known);
    if (known.n < 5)
        return text_error(msg, len,
                          "%s: not enough good readings in the last %" PRId64 " ms",
                          it->cfg->id, window_ms),
               -EAGAIN;
    if ((r = calib_finish(&tare, &known, known_mg, it->cfg->cond.noise_band_mg, &cal,
                          &spread, msg, len)) < 0)
        return r;
    struct cond_cal old = chan(p, it)->cal;
    if ((r = set_cal(p, it, &cal, now_ms, msg, len)) == 0) {
        pl_cal_span_told(p, it, &old, &cal, spread, now_ms, msg, len);
        pipeline_flush(p);
    }
    return r;
}

void
pipeline_view(struct pipeline *p, size_t item, int64_t now_ms, struct pl_view *out)
{
    struct policy_out pol;
    enum order_verdict v = p->items[item].view.verdict;

    forecast(p, &p->items[item], now_ms, &pol);
    p->items[item].view.verdict = v;
    *out = p->items[item].view;
}
