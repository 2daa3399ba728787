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
 *
 * This file holds the flow: batches, models, forecast and review, the events,
 * readings and the clock. How orders are made and closed, and the requests of
 * a person, are in pipeline-orders.c; tare and span in pipeline-calib.c; the
 * retailer's acknowledgements in pipeline-acks.c, Grocy's calls in
 * pipeline-grocy.c (pipeline-int.h joins them).
 */
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/modelstate.h"
#include "agent/pipeline/pipeline-int.h"
#include "agent/pipeline/resume.h"
#include "agent/pipeline/status.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config-wishes.h"
#include "models/policy.h"
#include "models/quantile.h"
#include "sensors/text.h"

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

int
pl_batch(struct pipeline *p, int64_t now_ms)
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
        if (pl_batch(p, p->now_ms) == 0)
            pipeline_flush(p);
    }
}

void
pl_save_view(struct pipeline *p, struct pl_item *it)
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
    if (pl_batch(p, v->t_ms) == 0)
        pl_note_err(p, store_view_put(p->db, it->cfg->id, &sv));
}

int
pl_save_model(struct pipeline *p, struct pl_item *it, int64_t now_ms)
{
    it->model.zero_mg = chan(p, it)->zero_mg;
    it->model.zero_at_ms = chan(p, it)->zero_at_ms;
    char text[MS_TEXT_MAX];
    int n = ms_encode(&it->model, text, sizeof(text));
    int r = n < 0 ? n : pl_batch(p, now_ms);
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
    if ((r = pl_batch(p, now_ms)) == 0)
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

int
pl_store_failed(struct pipeline *p, const struct pl_item *it, char *msg, size_t len,
                int r)
{
    text_error(msg, len, "%s: the store failed: %s", it->cfg->id, store_errmsg(p->db));
    return r;
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
        c->max_orders_30d > 0 ? 30 * MODELS_DAY_MS / 1000 / c->max_orders_30d : 0;
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
        pl_note_err(p, store_orders_since(p->db, c->id, now_ms - 30 * MODELS_DAY_MS,
                                          cap_cb, &cs)) < 0)
        return 0;
    /* After this order, n + 1 count; the next may go once n + 2 - max have left. */
    size_t k = cs.n + 2 > c->max_orders_30d ? cs.n + 2 - c->max_orders_30d : 0;
    if (k == 0 || k > cs.n)
        return 0;
    int64_t wait = (cs.t_ms[k - 1] + 30 * MODELS_DAY_MS - now_ms) / 1000;
    return wait > 0 ? wait : 0;
}

/*
 * The item's view at now_ms and the policy's answer; returns what shelf_stock()
 * said of the stock (0: settled, -EBUSY: an episode is open, -EIO: fault).
 */
int
pl_forecast(struct pipeline *p, struct pl_item *it, int64_t now_ms,
            struct policy_out *pol)
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

static void
review(struct pipeline *p, struct pl_item *it, int64_t now_ms)
{
    struct policy_out pol;
    struct open_order oo;
    char id[STORE_ID_MAX];

    it->next_review_ms = now_ms + it->cfg->review_s * 1000;
    if (pl_forecast(p, it, now_ms, &pol) == -EBUSY) {
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
    it->view.verdict = pl_guard(p, it, need, false, pol.packs, now_ms, &oo);
    pl_save_view(p, it);
    if (it->view.verdict != ORDER_GO)
        return;
    /* After an order expired, or repeated cancels (learn.h), the next one is the
     * household's to confirm. */
    bool planned = it->cfg->mode == CFG_MODE_CONFIRM || it->model.expired_ms > 0 ||
                   it->model.adj.ask_first;
    if (pl_grocy_listed(p, it, pol.packs, now_ms))
        return;
    if (pl_place(p, it, pol.packs, "predicted", planned, now_ms, id, sizeof(id)) == 0)
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
    if (pl_batch(p, ev->t_ms) == 0 &&
        pl_note_err(p, store_event_add(p->db, it->cfg->id, ev)) == 0)
        pl_grocy_event(p, it, ev);
    switch ((enum stock_kind)ev->kind) {
    case STOCK_CONSUME:
        if (!it->fault)
            consume(p, it, ev->t_ms, ev->mg);
        break;
    case STOCK_REFILL:
        pl_refill(p, it, ev);
        break;
    case STOCK_EMPTY:
        consume(p, it, ev->t_ms, net_stock(it, ev->mg));
        break;
    case STOCK_FAULT:
        it->fault = true;
        it->view.verdict = ORDER_NO_DATA;
        it->view.t_ms = ev->t_ms;
        pl_save_view(p, it);
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
        pl_save_view(p, it);
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
    if (pl_batch(p, it->agg_start_ms) == 0)
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
            pl_expect_delivery(p, it, (uint32_t)oo.o.packs);
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
            pl_save_view(p, it);
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
            pl_expire_or_close(p, it, ORDER_EV_EXPIRE, now_ms, "expired");
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

void
pipeline_view(struct pipeline *p, size_t item, int64_t now_ms, struct pl_view *out)
{
    struct policy_out pol;
    enum order_verdict v = p->items[item].view.verdict;

    pl_forecast(p, &p->items[item], now_ms, &pol);
    p->items[item].view.verdict = v;
    *out = p->items[item].view;
}
