/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The closed loop (see closedloop.h): a household, a shelf of load cells and a
 * retailer simulated around the daemon's pipeline, and two plain policies run
 * on the same household and retailer for comparison.
 *
 * The world of every item is a ledger (contents, demand served and lost, excess
 * stock integrated hour by hour) shared by the three policies, so they are
 * scored by the same rules. For the agent the ledger also drives a simulated
 * load cell: a take lifts the jar for 15 s and puts it back lighter, a delivery
 * lifts it for 30 s and puts it back with the packs poured in; the cell is read
 * every idle_ms while nothing happens and every 100 ms from a second before a
 * change to 10 s after it.
 */
#include "closedloop.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "message.h"
#include "pipeline.h"
#include "store.h"
#include "text.h"

#define HOUR_S INT64_C(3600)
#define DAY_S INT64_C(86400)
#define LIFT_TAKE_MS 15000
#define LIFT_DELIVERY_MS 30000
#define BURST_BEFORE_MS 1000
#define BURST_AFTER_MS 10000
#define FAST_MS 100
#define PUBLISH_AFTER_MS 1000
#define ACK_AFTER_MS 60000
#define MAX_DELIVERIES 16

void
cl_config_default(struct cl_config *c, int64_t start_s, int64_t end_s)
{
    *c = (struct cl_config){
        .seed = 1,
        .start_s = start_s,
        .end_s = end_s,
        .lead_mean_s = 0,
        .lead_lo_pct = 80,
        .lead_hi_pct = 150,
        .idle_ms = 30000,
        .confirm_s = 12 * HOUR_S,
        .noise_mg = 300,
    };
}

const char *
cl_policy_to_str(enum cl_policy p)
{
    static const char *const names[] = {"agent", "threshold", "oracle"};
    return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

void
cl_result_fini(struct cl_result *r)
{
    if (r == NULL)
        return;
    free(r->ord);
    memset(r, 0, sizeof(*r));
}

double
cl_excess_pack_days(const struct cl_metrics *m, int64_t pack_mg)
{
    return pack_mg > 0 ? (double)m->excess_mg_s / (double)pack_mg / (double)DAY_S : 0;
}

/* splitmix64 (Steele, Lea, Flood 2014). */
static uint64_t
mix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

static int64_t
lead_mean(const struct agent_config *cfg, const struct cl_config *c, unsigned item)
{
    return c->lead_mean_s > 0 ? c->lead_mean_s : cfg->items[item].lead_s;
}

/* The true lead of the k-th order of an item: the same for every policy. */
static int64_t
true_lead(const struct agent_config *cfg, const struct cl_config *c, unsigned item,
          unsigned k)
{
    uint64_t s = c->seed * UINT64_C(0x5851f42d4c957f2d) + item * UINT64_C(1000003) + k;
    mix(&s);
    uint64_t u = mix(&s) % 1000000;
    int64_t lo = c->lead_lo_pct, hi = c->lead_hi_pct;
    /* pct * 10^4 + spread: permille-of-permille exact in integers. */
    int64_t f = lo * 10000 + (int64_t)(u * (uint64_t)(hi - lo) / 100);
    return lead_mean(cfg, c, item) * f / 1000000;
}

static int
add_order(struct cl_result *r, const struct cl_order *o)
{
    if (r->n_ord == r->cap_ord) {
        size_t cap = r->cap_ord ? 2 * r->cap_ord : 32;
        struct cl_order *p = realloc(r->ord, cap * sizeof(*p));
        if (p == NULL)
            return -ENOMEM;
        r->ord = p;
        r->cap_ord = cap;
    }
    r->ord[r->n_ord++] = *o;
    return 0;
}

/* ---- the world of one item, the same for every policy ---- */

struct ledger {
    const struct cl_item *w;
    struct cl_metrics *m;
    int64_t start_s;
    int64_t horizon_s; /* what "needed" looks ahead: lead * 1.5 + review */
    int64_t pack_mg;   /* one pack */
    int64_t allow_mg;  /* the last delivery (a pack at least): its cycle stock */
    int64_t contents;
    size_t next_use;
    int64_t grid_s; /* the next hour the excess is sampled at */
    int64_t lost_day;
    int64_t *prefix; /* prefix[k] = demand of uses 0..k-1 */
};

static int
ledger_init(struct ledger *l, const struct cl_item *w, struct cl_metrics *m,
            int64_t start_s, int64_t horizon_s, int64_t order_mg)
{
    *l = (struct ledger){.w = w,
                         .m = m,
                         .start_s = start_s,
                         .horizon_s = horizon_s,
                         .pack_mg = order_mg,
                         .allow_mg = order_mg,
                         .contents = w->start_mg,
                         .grid_s = start_s,
                         .lost_day = -1};
    l->prefix = malloc((w->n_use + 1) * sizeof(*l->prefix));
    if (l->prefix == NULL)
        return -ENOMEM;
    l->prefix[0] = 0;
    for (size_t k = 0; k < w->n_use; k++)
        l->prefix[k + 1] = l->prefix[k] + w->use[k].mg;
    return 0;
}

/* The first use at or after t. */
static size_t
use_at(const struct cl_item *w, int64_t t)
{
    size_t lo = 0, hi = w->n_use;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->use[mid].t_s < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The true demand in [t, t + horizon). */
static int64_t
needed(const struct ledger *l, int64_t t)
{
    return l->prefix[use_at(l->w, t + l->horizon_s)] - l->prefix[use_at(l->w, t)];
}

/*
 * Excess stock, sampled every hour, up to t: the contents beyond the last
 * delivery (the cycle stock a policy chose to order, a pack at least) and the
 * true demand until a new order could arrive. What a delivery finds still on the shelf, and how
 * long it stays, is what ordering early costs.
 */
static void
account(struct ledger *l, int64_t t)
{
    for (; l->grid_s < t; l->grid_s += HOUR_S) {
        int64_t over = l->contents - l->allow_mg - needed(l, l->grid_s);
        if (over > 0)
            l->m->excess_mg_s += over * HOUR_S;
    }
}

/* The household wants mg at t: returns what it got. */
static int64_t
take(struct ledger *l, int64_t t, int64_t mg)
{
    account(l, t);
    int64_t got = mg < l->contents ? mg : l->contents;
    l->contents -= got;
    l->m->demand_mg += mg;
    if (got < mg) {
        int64_t day = (t - l->start_s) / DAY_S;
        l->m->lost_mg += mg - got;
        if (day != l->lost_day) {
            if (l->m->stockout_days < 8)
                l->m->out_day[l->m->stockout_days] = (int32_t)day;
            l->m->stockout_days++;
            l->m->stockout_days_learnt += l->m->delivered > 0;
        }
        l->lost_day = day;
    }
    return got;
}

static void
deliver(struct ledger *l, int64_t t, int64_t mg)
{
    account(l, t);
    l->contents += mg;
    l->allow_mg = mg > l->pack_mg ? mg : l->pack_mg;
    l->m->delivered++;
    l->m->delivered_mg += mg;
}

static void
ledger_fini(struct ledger *l, int64_t end_s)
{
    account(l, end_s);
    free(l->prefix);
    l->prefix = NULL;
}

static int64_t
horizon_of(const struct agent_config *cfg, const struct cl_config *c, unsigned i)
{
    return lead_mean(cfg, c, i) * 3 / 2 + cfg->items[i].review_s;
}

/* ---- the plain policies ---- */

#define PLAIN_ON_WAY 64

struct plain {
    const struct agent_config *cfg;
    const struct cl_config *c;
    struct cl_result *r;
    enum cl_policy policy;
    uint32_t pct;
    unsigned item, k;
    int64_t arrive[PLAIN_ON_WAY]; /* packs on their way, by arrival */
    size_t n_way;
};

/*
 * When the shelf runs dry from the next use on, counting the packs on their
 * way: the time of the first use it cannot serve in full (INT64_MAX: never).
 */
static int64_t
runout_with(const struct ledger *l, const struct plain *pp, int64_t pack)
{
    int64_t contents = l->contents;
    size_t j = 0;
    for (size_t k = l->next_use; k < l->w->n_use; k++) {
        for (; j < pp->n_way && pp->arrive[j] <= l->w->use[k].t_s; j++)
            contents += pack;
        contents -= l->w->use[k].mg;
        if (contents < 0)
            return l->w->use[k].t_s;
    }
    return INT64_MAX;
}

/*
 * The plain policy's decision at now, right after a use or a delivery: the
 * threshold scale orders one pack below its share of a pack, and never while
 * one is on its way; the oracle orders one pack whenever waiting for the next
 * use would let the shelf run dry before a new order (with its true lead)
 * could arrive, counting what is already on its way (several may be).
 */
static int
decide(struct plain *pp, const struct ledger *l, int64_t now)
{
    const struct cfg_item *it = &pp->cfg->items[pp->item];
    const struct cl_item *w = l->w;
    for (;;) {
        if (now >= pp->c->end_s || pp->n_way == PLAIN_ON_WAY)
            return 0;
        int64_t lead = true_lead(pp->cfg, pp->c, pp->item, pp->k);
        bool go;
        if (pp->policy == CL_THRESHOLD) {
            go = pp->n_way == 0 && l->contents * 100 < (int64_t)pp->pct * it->pack_mg;
        } else {
            int64_t next = l->next_use < w->n_use ? w->use[l->next_use].t_s : pp->c->end_s;
            int64_t dry = runout_with(l, pp, it->pack_mg);
            go = dry != INT64_MAX && (next > now ? next : now) + lead > dry;
        }
        if (!go)
            return 0;
        struct cl_order o = {.placed_s = now, .arrive_s = now + lead, .packs = 1,
                             .item = (uint16_t)pp->item, .predicted = true};
        if (pp->k++ == 0)
            pp->r->item[pp->item].first_lead_s = lead;
        /* Kept in order of arrival (leads differ). */
        size_t j = pp->n_way++;
        for (; j > 0 && pp->arrive[j - 1] > o.arrive_s; j--)
            pp->arrive[j] = pp->arrive[j - 1];
        pp->arrive[j] = o.arrive_s;
        pp->r->item[pp->item].orders++;
        int e = add_order(pp->r, &o);
        if (e < 0 || pp->policy == CL_THRESHOLD)
            return e;
    }
}

static int
run_plain(const struct agent_config *cfg, const struct cl_item *items,
          const struct cl_config *c, enum cl_policy policy, uint32_t pct,
          struct cl_result *r)
{
    for (size_t i = 0; i < cfg->n_items; i++) {
        const struct cfg_item *it = &cfg->items[i];
        const struct cl_item *w = &items[i];
        struct plain pp = {cfg, c, r, policy, pct, (unsigned)i, 0, {0}, 0};
        struct ledger l;
        int e;

        if ((e = ledger_init(&l, w, &r->item[i], c->start_s, horizon_of(cfg, c, i),
                             it->pack_mg)) < 0 ||
            (e = decide(&pp, &l, c->start_s)) < 0)
            return e;
        for (;;) {
            int64_t t = l.next_use < w->n_use ? w->use[l.next_use].t_s : c->end_s;
            t = t < c->end_s ? t : c->end_s;
            if (pp.n_way > 0 && pp.arrive[0] <= t) {
                int64_t at = pp.arrive[0];
                deliver(&l, at, it->pack_mg);
                memmove(pp.arrive, pp.arrive + 1, --pp.n_way * sizeof(*pp.arrive));
                e = decide(&pp, &l, at);
            } else if (t >= c->end_s) {
                break;
            } else {
                take(&l, t, w->use[l.next_use].mg);
                l.next_use++;
                e = decide(&pp, &l, t);
            }
            if (e < 0)
                return ledger_fini(&l, c->end_s), e;
        }
        ledger_fini(&l, c->end_s);
    }
    return 0;
}

/* ---- the agent: the shelf it weighs ---- */

struct act {
    int64_t start_ms;
    int64_t delta_mg; /* < 0 a take, > 0 a delivery */
};

struct cell {
    const struct cfg_item *it;
    struct cond_cal cal;
    uint16_t channel;
    uint64_t rng;
    int64_t next_ms;    /* the next sample */
    int64_t gross_mg;   /* on the platform while no action runs */
    bool in_act;        /* lifted now, or just put back */
    int64_t lift_ms, back_ms, quiet_ms, after_mg;
    struct act deliveries[MAX_DELIVERIES];
    size_t n_del;
};

/* Approximately normal noise of standard deviation sd_mg (a sum of 4 uniforms). */
static int64_t
noise(uint64_t *rng, int64_t sd_mg)
{
    uint64_t r = mix(rng);
    int64_t sum = (int64_t)(r & 0xffff) + (int64_t)((r >> 16) & 0xffff) +
                  (int64_t)((r >> 32) & 0xffff) + (int64_t)(r >> 48) - 2 * 65536;
    return sum * sd_mg / 37837;
}

static int32_t
raw_of(const struct cell *s, int64_t mg)
{
    int64_t raw = s->cal.raw_zero + mg * s->cal.span_raw / s->cal.span_mg;
    return raw > 8388606 ? 8388606 : raw < -8388607 ? -8388607 : (int32_t)raw;
}

/* What the platform carries at t. */
static int64_t
gross_at(struct cell *s, int64_t t)
{
    if (s->in_act && t >= s->back_ms) {
        s->gross_mg = s->after_mg;
        if (t >= s->quiet_ms)
            s->in_act = false;
        return s->gross_mg;
    }
    return s->in_act && t >= s->lift_ms ? 0 : s->gross_mg;
}

/* Start an action at t: the jar is lifted and comes back with delta_mg more. */
static void
act_start(struct cell *s, int64_t t, int64_t delta_mg, int64_t lift_for_ms)
{
    s->in_act = true;
    s->lift_ms = t;
    s->back_ms = t + lift_for_ms;
    s->quiet_ms = s->back_ms + BURST_AFTER_MS;
    s->after_mg = s->gross_mg + delta_mg;
    if (s->next_ms > t)
        s->next_ms = t;
}

struct track {
    char id[STORE_ID_MAX];
    uint16_t item;
    unsigned k;       /* the item's k-th order */
    int64_t publish_ms, ack_ms, confirm_ms, arrive_ms; /* INT64_MAX: none */
    size_t ord;       /* index into the result's orders */
};

struct agent_run {
    const struct agent_config *cfg;
    const struct cl_config *c;
    const struct cl_item *items;
    struct cl_result *r;
    struct pipeline *pl;
    struct store *db;
    struct ledger led[CFG_MAX_ITEMS];
    struct cell cell[CFG_MAX_ITEMS];
    unsigned n_orders[CFG_MAX_ITEMS];
    struct track *tr;
    size_t n_tr, cap_tr;
    uint64_t seen_created, seen_queued;
    char dir[200];
};

static struct track *
track_of(struct agent_run *a, const char *id)
{
    for (size_t i = 0; i < a->n_tr; i++)
        if (strcmp(a->tr[i].id, id) == 0)
            return &a->tr[i];
    return NULL;
}

struct scan {
    struct agent_run *a;
    uint16_t item;
    int err;
};

static int
scan_cb(const struct store_order *o, void *ctx)
{
    struct scan *sc = ctx;
    struct agent_run *a = sc->a;
    struct track *t = track_of(a, o->order_id);

    if (t == NULL) {
        if (a->n_tr == a->cap_tr) {
            size_t cap = a->cap_tr ? 2 * a->cap_tr : 16;
            struct track *p = realloc(a->tr, cap * sizeof(*p));
            if (p == NULL)
                return sc->err = -ENOMEM;
            a->tr = p;
            a->cap_tr = cap;
        }
        t = &a->tr[a->n_tr++];
        *t = (struct track){.item = sc->item, .k = a->n_orders[sc->item]++,
                            .publish_ms = INT64_MAX, .ack_ms = INT64_MAX,
                            .confirm_ms = INT64_MAX, .arrive_ms = INT64_MAX,
                            .ord = a->r->n_ord};
        snprintf(t->id, sizeof(t->id), "%s", o->order_id);
        struct cl_order co = {.placed_s = o->created_ms / 1000, .packs = (uint32_t)o->packs,
                              .item = sc->item,
                              .predicted = strcmp(o->reason, "predicted") == 0};
        if ((sc->err = add_order(a->r, &co)) < 0)
            return sc->err;
        a->r->item[sc->item].orders++;
        if (o->state == ORDER_PLANNED)
            t->confirm_ms = o->created_ms + a->c->confirm_s * 1000;
    }
    if (o->state == ORDER_QUEUED && t->publish_ms == INT64_MAX && t->ack_ms == INT64_MAX) {
        int64_t lead = true_lead(a->cfg, a->c, t->item, t->k);
        t->publish_ms = o->queued_ms + PUBLISH_AFTER_MS;
        t->arrive_ms = o->queued_ms + lead * 1000;
        a->r->ord[t->ord].placed_s = o->queued_ms / 1000;
        a->r->ord[t->ord].arrive_s = t->arrive_ms / 1000;
        if (t->k == 0)
            a->r->item[t->item].first_lead_s = lead;
    }
    return 0;
}

/* New orders, and orders that moved on, since the pipeline's counters changed. */
static int
scan_orders(struct agent_run *a)
{
    if (a->pl->orders_created == a->seen_created &&
        a->pl->orders_queued == a->seen_queued)
        return 0;
    a->seen_created = a->pl->orders_created;
    a->seen_queued = a->pl->orders_queued;
    for (size_t i = 0; i < a->cfg->n_items; i++) {
        struct scan sc = {a, (uint16_t)i, 0};
        int e = store_orders_open(a->db, a->cfg->items[i].id, scan_cb, &sc);
        if (e < 0 || sc.err < 0)
            return e < 0 ? e : sc.err;
    }
    return 0;
}

static enum store_order_state
state_of(struct agent_run *a, const char *id, int64_t *seq)
{
    struct store_order o;
    enum store_order_state s = ORDER_CANCELLED;
    if (store_order_get(a->db, id, &o) == 0) {
        s = o.state;
        *seq = o.seq;
    }
    store_order_fini(&o);
    return s;
}

/* The retailer and the household, for every order due at now. */
static void
orders_due(struct agent_run *a, int64_t now)
{
    char msg[512];
    int64_t seq = 0;

    for (size_t i = 0; i < a->n_tr; i++) {
        struct track *t = &a->tr[i];
        if (t->confirm_ms <= now) {
            t->confirm_ms = INT64_MAX;
            pipeline_confirm(a->pl, t->item, now, msg, sizeof(msg));
        }
        if (t->publish_ms <= now) {
            t->publish_ms = INT64_MAX;
            pipeline_published(a->pl, STORE_MSG_REORDER, t->id, now);
            t->ack_ms = now + ACK_AFTER_MS;
        }
        if (t->ack_ms <= now) {
            t->ack_ms = INT64_MAX - 1; /* answered */
            struct message_ack ack;
            memset(&ack, 0, sizeof(ack));
            snprintf(ack.order_id, sizeof(ack.order_id), "%s", t->id);
            snprintf(ack.device, sizeof(ack.device), "%s", a->cfg->device_id);
            enum store_order_state st = state_of(a, t->id, &seq);
            ack.seq = seq;
            ack.iat_s = now / 1000;
            ack.status = ACK_ACCEPTED;
            if (st == ORDER_PUBLISHED)
                pipeline_ack(a->pl, &ack, now, msg, sizeof(msg));
        }
        if (t->arrive_ms <= now) {
            t->arrive_ms = INT64_MAX;
            enum store_order_state st = state_of(a, t->id, &seq);
            struct cl_order *o = &a->r->ord[t->ord];
            if (st == ORDER_CANCELLED || st == ORDER_REJECTED) {
                o->arrive_s = 0; /* the retailer was told in time: nothing comes */
                continue;
            }
            struct cell *s = &a->cell[t->item];
            int64_t mg = (int64_t)o->packs * s->it->pack_mg;
            if (s->n_del < MAX_DELIVERIES)
                s->deliveries[s->n_del++] = (struct act){now, mg};
        }
    }
}

/* The next thing the world does at or after now (actions, orders). */
static int64_t
world_due(const struct agent_run *a)
{
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < a->cfg->n_items; i++) {
        const struct cell *s = &a->cell[i];
        const struct ledger *l = &a->led[i];
        if (s->next_ms < due)
            due = s->next_ms;
        if (!s->in_act && l->next_use < l->w->n_use && l->w->use[l->next_use].t_s * 1000 < due)
            due = l->w->use[l->next_use].t_s * 1000;
        if (!s->in_act && s->n_del > 0 && s->deliveries[0].start_ms < due)
            due = s->deliveries[0].start_ms;
    }
    for (size_t i = 0; i < a->n_tr; i++) {
        const struct track *t = &a->tr[i];
        int64_t m = t->confirm_ms < t->publish_ms ? t->confirm_ms : t->publish_ms;
        m = t->ack_ms < m ? t->ack_ms : m;
        m = t->arrive_ms < m ? t->arrive_ms : m;
        if (m < due)
            due = m;
    }
    return due;
}

/* Start the actions due at now: a delivery first, then the next use. */
static void
actions_due(struct agent_run *a, int64_t now)
{
    for (size_t i = 0; i < a->cfg->n_items; i++) {
        struct cell *s = &a->cell[i];
        struct ledger *l = &a->led[i];
        if (s->in_act)
            continue;
        if (s->n_del > 0 && s->deliveries[0].start_ms <= now) {
            deliver(l, now / 1000, s->deliveries[0].delta_mg);
            act_start(s, now, s->deliveries[0].delta_mg, LIFT_DELIVERY_MS);
            memmove(s->deliveries, s->deliveries + 1, --s->n_del * sizeof(*s->deliveries));
        } else if (l->next_use < l->w->n_use && l->w->use[l->next_use].t_s * 1000 <= now) {
            int64_t got = take(l, now / 1000, l->w->use[l->next_use].mg);
            l->next_use++;
            if (got > 0)
                act_start(s, now, -got, LIFT_TAKE_MS);
        }
    }
}

/* The samples due at now; the next sample time of each cell. */
static void
samples_due(struct agent_run *a, int64_t now)
{
    for (size_t i = 0; i < a->cfg->n_items; i++) {
        struct cell *s = &a->cell[i];
        const struct ledger *l = &a->led[i];
        if (s->next_ms > now)
            continue;
        int64_t g = gross_at(s, now) + noise(&s->rng, a->c->noise_mg);
        struct sample smp = {.t_ms = now, .raw = raw_of(s, g), .channel = s->channel,
                             .status = SAMPLE_OK};
        pipeline_sample(a->pl, &smp);
        a->r->samples++;
        /* Fast around an action, sparse otherwise; wake before the next one. */
        int64_t next = now + (s->in_act ? FAST_MS : a->c->idle_ms);
        int64_t soon = INT64_MAX;
        if (l->next_use < l->w->n_use)
            soon = l->w->use[l->next_use].t_s * 1000;
        if (s->n_del > 0 && s->deliveries[0].start_ms < soon)
            soon = s->deliveries[0].start_ms;
        if (!s->in_act && soon != INT64_MAX && next > soon - BURST_BEFORE_MS)
            next = soon - BURST_BEFORE_MS > now ? soon - BURST_BEFORE_MS : now + FAST_MS;
        s->next_ms = next;
    }
}

static int
agent_open(struct agent_run *a, struct agent_config *cfg, char *err, size_t errlen)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    int e;

    snprintf(a->dir, sizeof(a->dir), "%s/pantry-loop-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(a->dir) == NULL)
        return text_error(err, errlen, "a temporary folder in %s: %s",
                          base ? base : "/tmp", strerror(errno)), -errno;
    if ((size_t)snprintf(cfg->store_path, sizeof(cfg->store_path), "%.200s/pantry.db",
                         a->dir) >= sizeof(cfg->store_path))
        return text_error(err, errlen, "%s: the path is too long", a->dir), -ENAMETOOLONG;
    if ((e = store_open(cfg->store_path, 0, &a->db, err, errlen)) < 0)
        return e;
    a->pl = calloc(1, sizeof(*a->pl));
    if (a->pl == NULL)
        return text_error(err, errlen, "out of memory"), -ENOMEM;
    return pipeline_init(a->pl, cfg, a->db, a->c->start_s * 1000, err, errlen);
}

static void
agent_close(struct agent_run *a, const struct agent_config *cfg)
{
    char path[300];
    if (a->pl != NULL && a->db != NULL)
        pipeline_fini(a->pl);
    free(a->pl);
    store_close(a->db);
    if (a->dir[0] != '\0') {
        for (const char *sfx = ""; sfx != NULL;
             sfx = sfx[0] == '\0' ? "-wal" : sfx[1] == 'w' ? "-shm" : NULL) {
            snprintf(path, sizeof(path), "%s%s", cfg->store_path, sfx);
            unlink(path);
        }
        rmdir(a->dir);
    }
    free(a->tr);
}

/* The states of the agent's orders at the end. */
static void
final_states(struct agent_run *a)
{
    int64_t seq;
    for (size_t i = 0; i < a->n_tr; i++)
        snprintf(a->r->ord[a->tr[i].ord].state, sizeof(a->r->ord[0].state), "%s",
                 store_order_state_to_str(state_of(a, a->tr[i].id, &seq)));
}

static int
run_agent(const struct agent_config *given, const struct cl_item *items,
          const struct cl_config *c, struct cl_result *r, char *err, size_t errlen)
{
    static struct agent_config cfg; /* ~100 KB: not on the stack */
    struct agent_run a = {.cfg = &cfg, .c = c, .items = items, .r = r};
    int e;

    cfg = *given;
    for (size_t i = 0; i < cfg.n_items; i++) {
        const struct cfg_item *it = &cfg.items[i];
        if (!it->has_cal)
            return text_error(err, errlen, "item %s: the closed loop needs its "
                              "calibration in the configuration", it->id), -EINVAL;
        a.cell[i] = (struct cell){.it = it, .cal = it->cal,
                                  .channel = cfg.channels[it->channel].index,
                                  .rng = c->seed ^ (UINT64_C(0x2545f4914f6cdd1d) * (i + 1)),
                                  .next_ms = c->start_s * 1000,
                                  .gross_mg = it->container_mg + items[i].start_mg};
        if ((e = ledger_init(&a.led[i], &items[i], &r->item[i], c->start_s,
                             horizon_of(&cfg, c, (unsigned)i), it->pack_mg)) < 0)
            goto out;
    }
    if ((e = agent_open(&a, &cfg, err, errlen)) < 0)
        goto out;
    int64_t end = c->end_s * 1000, now = c->start_s * 1000;
    while (now < end) {
        int64_t due = world_due(&a), d = pipeline_next_due_ms(a.pl);
        if (d < due)
            due = d;
        if (due > now)
            now = due;
        if (now >= end)
            break;
        orders_due(&a, now);
        actions_due(&a, now);
        samples_due(&a, now);
        pipeline_tick(a.pl, now);
        if ((e = scan_orders(&a)) < 0) {
            text_error(err, errlen, "store: %s", store_errmsg(a.db));
            goto out;
        }
    }
    pipeline_flush(a.pl);
    final_states(&a);
    e = 0;
out:
    for (size_t i = 0; i < cfg.n_items; i++)
        if (a.led[i].prefix != NULL)
            ledger_fini(&a.led[i], c->end_s);
    agent_close(&a, &cfg);
    return e;
}

int
cl_run(const struct agent_config *cfg, const struct cl_item *items,
       const struct cl_config *c, enum cl_policy policy, uint32_t threshold_pct,
       struct cl_result *out, char *err, size_t errlen)
{
    int e;

    memset(out, 0, sizeof(*out));
    if (c->end_s <= c->start_s || c->lead_lo_pct < 1 || c->lead_hi_pct < c->lead_lo_pct ||
        c->lead_hi_pct > 1000 || c->idle_ms < 100 || c->idle_ms > 600000 ||
        c->confirm_s < 0 || c->noise_mg < 0 || cfg->n_items == 0 ||
        (policy == CL_THRESHOLD && (threshold_pct < 1 || threshold_pct > 100)))
        return text_error(err, errlen, "closed loop: a setting out of range"), -EINVAL;
    for (size_t i = 0; i < cfg->n_items; i++)
        for (size_t k = 1; k < items[i].n_use; k++)
            if (items[i].use[k].t_s < items[i].use[k - 1].t_s || items[i].use[k].mg < 0)
                return text_error(err, errlen, "item %s: uses out of time order",
                                  cfg->items[i].id), -EINVAL;
    out->n_items = cfg->n_items;
    if (policy == CL_AGENT)
        e = run_agent(cfg, items, c, out, err, errlen);
    else
        e = run_plain(cfg, items, c, policy, threshold_pct, out);
    if (e == -ENOMEM)
        text_error(err, errlen, "out of memory");
    if (e < 0)
        cl_result_fini(out);
    return e;
}
