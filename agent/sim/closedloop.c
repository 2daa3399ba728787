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
#include "agent/sim/closedloop.h"
#include "agent/sim/household.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/msg/message.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"
#include "sensors/text.h"
#include "models/units.h"

#define HOUR_S INT64_C(3600)
#define PUBLISH_AFTER_MS 1000
#define ACK_AFTER_MS 60000

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
        .early_s = 3 * MODELS_DAY_S,
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
    return pack_mg > 0 ? (double)m->excess_mg_s / (double)pack_mg / (double)MODELS_DAY_S
                       : 0;
}

/* The true lead of the k-th order of an item: the same for every policy. */
static int64_t
true_lead(const struct agent_config *cfg, const struct cl_config *c, unsigned item,
          unsigned k)
{
    uint64_t s = c->seed * UINT64_C(0x5851f42d4c957f2d) + item * UINT64_C(1000003) + k;
    hh_mix(&s);
    uint64_t u = hh_mix(&s) % 1000000;
    int64_t lo = c->lead_lo_pct, hi = c->lead_hi_pct;
    /* pct * 10^4 + spread: permille-of-permille exact in integers. */
    int64_t f = lo * 10000 + (int64_t)(u * (uint64_t)(hi - lo) / 100);
    return hh_lead_mean_s(cfg, c, item) * f / 1000000;
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
runout_with(const struct hh_ledger *l, const struct plain *pp, int64_t pack)
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
decide(struct plain *pp, const struct hh_ledger *l, int64_t now)
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
            int64_t next =
                l->next_use < w->n_use ? w->use[l->next_use].t_s : pp->c->end_s;
            int64_t dry = runout_with(l, pp, it->pack_mg);
            go = dry != INT64_MAX && (next > now ? next : now) + lead > dry;
        }
        if (!go)
            return 0;
        struct cl_order o = {.placed_s = now,
                             .arrive_s = now + lead,
                             .packs = 1,
                             .item = (uint16_t)pp->item,
                             .predicted = true};
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
        struct hh_ledger l;
        int e;

        if ((e = hh_ledger_init(&l, w, &r->item[i], c->start_s,
                                hh_horizon_s(cfg, c, (unsigned)i), it->pack_mg)) < 0 ||
            (e = decide(&pp, &l, c->start_s)) < 0)
            return e;
        for (;;) {
            int64_t t = l.next_use < w->n_use ? w->use[l.next_use].t_s : c->end_s;
            t = t < c->end_s ? t : c->end_s;
            if (pp.n_way > 0 && pp.arrive[0] <= t) {
                int64_t at = pp.arrive[0];
                hh_deliver(&l, at, it->pack_mg);
                memmove(pp.arrive, pp.arrive + 1, --pp.n_way * sizeof(*pp.arrive));
                e = decide(&pp, &l, at);
            } else if (t >= c->end_s) {
                break;
            } else {
                hh_take(&l, t, w->use[l.next_use].mg);
                l.next_use++;
                e = decide(&pp, &l, t);
            }
            if (e < 0)
                return hh_ledger_fini(&l, c->end_s), e;
        }
        hh_ledger_fini(&l, c->end_s);
    }
    return 0;
}

/* ---- the agent: the shelf it weighs ---- */

struct track {
    char id[STORE_ID_MAX];
    uint16_t item;
    unsigned k;                                        /* the item's k-th order */
    int64_t publish_ms, ack_ms, confirm_ms, arrive_ms; /* INT64_MAX: none */
    size_t ord;     /* index into the result's orders */
    bool confirmed; /* by the household: it does not think again */
};

struct agent_run {
    const struct agent_config *cfg;
    const struct cl_config *c;
    const struct cl_item *items;
    struct cl_result *r;
    struct pipeline *pl;
    struct store *db;
    struct hh_shelf shelf;
    unsigned n_orders[CFG_MAX_ITEMS];
    struct track *tr;
    size_t n_tr, cap_tr;
    uint64_t seen_created, seen_queued;
    int64_t next_manual_ms[CFG_MAX_ITEMS]; /* corrects: the next order by hand */
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
        *t = (struct track){.item = sc->item,
                            .k = a->n_orders[sc->item]++,
                            .publish_ms = INT64_MAX,
                            .ack_ms = INT64_MAX,
                            .confirm_ms = INT64_MAX,
                            .arrive_ms = INT64_MAX,
                            .ord = a->r->n_ord};
        snprintf(t->id, sizeof(t->id), "%s", o->order_id);
        struct cl_order co = {.placed_s = o->created_ms / 1000,
                              .packs = (uint32_t)o->packs,
                              .item = sc->item,
                              .predicted = strcmp(o->reason, "predicted") == 0};
        if ((sc->err = add_order(a->r, &co)) < 0)
            return sc->err;
        a->r->item[sc->item].orders++;
        if (o->state == ORDER_PLANNED)
            t->confirm_ms = o->created_ms + a->c->confirm_s * 1000;
    }
    if (o->state == ORDER_QUEUED && t->publish_ms == INT64_MAX &&
        t->ack_ms == INT64_MAX) {
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

/* ---- the household that corrects the agent ---- */

/* A correction at now (ms) of item: counted in its quarter of the run. */
static void
corrected(struct agent_run *a, unsigned item, int64_t now, bool manual)
{
    struct cl_metrics *m = &a->r->item[item];
    int64_t q = (now / 1000 - a->c->start_s) * 4 / (a->c->end_s - a->c->start_s);
    m->corrections_q[q < 0 ? 0 : q > 3 ? 3 : q]++;
    if (manual)
        m->manual++;
    else
        m->cancels++;
}

/* The first use of w at or after t_s among uses lo .. hi - 1 (hi if none). */
static size_t
use_at(const struct cl_item *w, int64_t t_s, size_t lo, size_t hi)
{
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (w->use[mid].t_s < t_s)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

#define JUDGE_PAST_S (28 * MODELS_DAY_S)

/* Whether the household finds an order of item too early at now (ms): the
 * contents last beyond the true mean lead and early_s, at its use of the last
 * 28 days (or, foreseeing, by the uses to come). */
static bool
too_early(const struct agent_run *a, unsigned item, int64_t now)
{
    const struct hh_ledger *l = &a->shelf.led[item];
    const struct cl_item *w = l->w;
    int64_t ahead = hh_lead_mean_s(a->cfg, a->c, item) + a->c->early_s;
    if (a->c->foresees) {
        size_t hi = use_at(w, now / 1000 + ahead, l->next_use, w->n_use);
        return l->contents > l->prefix[hi] - l->prefix[l->next_use];
    }
    int64_t from = now / 1000 - JUDGE_PAST_S;
    from = from > a->c->start_s ? from : a->c->start_s;
    int64_t span = now / 1000 - from;
    int64_t used = l->prefix[l->next_use] - l->prefix[use_at(w, from, 0, l->next_use)];
    if (span <= 0 || used <= 0)
        return l->contents > 0;
    /* contents / (used / span) > ahead, without the division */
    return (double)l->contents * (double)span > (double)used * (double)ahead;
}

/* Cancel (or decline) order t if the household finds it too early. */
static bool
cancel_early(struct agent_run *a, struct track *t, int64_t now)
{
    char msg[512];
    if (!a->c->corrects || t->confirmed || !a->r->ord[t->ord].predicted ||
        !too_early(a, t->item, now) ||
        pipeline_cancel(a->pl, t->item, "household", now, msg, sizeof(msg)) < 0)
        return false;
    corrected(a, t->item, now, false);
    t->confirm_ms = t->publish_ms = t->arrive_ms = INT64_MAX;
    a->r->ord[t->ord].arrive_s = 0;
    return true;
}

/* The household orders by hand what ran out with nothing on its way. */
static void
manual_due(struct agent_run *a, int64_t now)
{
    char msg[512];
    for (size_t i = 0; a->c->corrects && i < a->cfg->n_items; i++) {
        if (a->shelf.led[i].contents > 0 || now < a->next_manual_ms[i])
            continue;
        a->next_manual_ms[i] = now + MODELS_DAY_S * 1000;
        if (pipeline_order(a->pl, i, "manual", now, msg, sizeof(msg)) == 0)
            corrected(a, (unsigned)i, now, true);
    }
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
            if (cancel_early(a, t, now))
                continue;
            t->confirmed = true;
            pipeline_confirm(a->pl, t->item, now, msg, sizeof(msg));
        }
        if (t->publish_ms <= now && cancel_early(a, t, now))
            continue;
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
            hh_shelf_deliver(&a->shelf, t->item, now,
                             (int64_t)o->packs * a->cfg->items[t->item].pack_mg);
        }
    }
}

/* The next thing the world does at or after now (the shelf, orders). */
static int64_t
world_due(const struct agent_run *a)
{
    int64_t due = hh_shelf_due(&a->shelf);
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

/* The samples due at now, to the pipeline. */
static void
samples_due(struct agent_run *a, int64_t now)
{
    struct sample smp[CFG_MAX_ITEMS];
    size_t n = hh_shelf_samples(&a->shelf, now, smp);
    for (size_t i = 0; i < n; i++)
        pipeline_sample(a->pl, &smp[i]);
    a->r->samples += n;
}

static int
agent_open(struct agent_run *a, struct agent_config *cfg, char *err, size_t errlen)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
    int e;

    snprintf(a->dir, sizeof(a->dir), "%s/pantry-loop-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(a->dir) == NULL)
        return text_error(err, errlen, "a temporary folder in %s: %s",
                          base ? base : "/tmp", strerror(errno)),
               -errno;
    if ((size_t)snprintf(cfg->store_path, sizeof(cfg->store_path), "%.200s/pantry.db",
                         a->dir) >= sizeof(cfg->store_path))
        return text_error(err, errlen, "%s: the path is too long", a->dir),
               -ENAMETOOLONG;
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
        for (const char *sfx = ""; sfx != NULL; sfx = sfx[0] == '\0'  ? "-wal"
                                                      : sfx[1] == 'w' ? "-shm"
                                                                      : NULL) {
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
    if ((e = hh_shelf_init(&a.shelf, &cfg, items, c, r->item, err, errlen)) < 0)
        goto out;
    if ((e = agent_open(&a, &cfg, err, errlen)) < 0)
        goto out;
    a.pl->no_learning = c->no_learning;
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
        hh_shelf_actions(&a.shelf, now);
        manual_due(&a, now);
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
    hh_shelf_fini(&a.shelf, c->end_s);
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
    if (c->end_s <= c->start_s || c->lead_lo_pct < 1 ||
        c->lead_hi_pct < c->lead_lo_pct || c->lead_hi_pct > 1000 || c->idle_ms < 100 ||
        c->idle_ms > 600000 || c->confirm_s < 0 || c->noise_mg < 0 || c->early_s < 0 ||
        cfg->n_items == 0 ||
        (policy == CL_THRESHOLD && (threshold_pct < 1 || threshold_pct > 100)))
        return text_error(err, errlen, "closed loop: a setting out of range"), -EINVAL;
    for (size_t i = 0; i < cfg->n_items; i++)
        for (size_t k = 1; k < items[i].n_use; k++)
            if (items[i].use[k].t_s < items[i].use[k - 1].t_s || items[i].use[k].mg < 0)
                return text_error(err, errlen, "item %s: uses out of time order",
                                  cfg->items[i].id),
                       -EINVAL;
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
