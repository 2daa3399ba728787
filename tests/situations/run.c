/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One situation through the daemon's real pipeline and the baseline (see
 * situ.h). The agent's side does what `pantry-agent --replay` does with the
 * configuration a household would write: cfg_load_string(), store_open(),
 * pipeline_init() at the first sample, then the loop of run_replay() in
 * agent/daemon/pantry-agent.c: the next time is the next sample's, or the pipeline's
 * next deadline when that comes first; every sample up to then goes to
 * pipeline_sample(); then pipeline_tick(). Besides, at the scene's times, the
 * household orders (pipeline_order(), "manual"), and a simulated broker takes
 * every queued message a second later (pipeline_published()) and a retailer
 * accepts every reorder a minute after that (pipeline_ack()). Afterwards the
 * events and orders are read back from the store.
 *
 * The pipeline stores bare JSON (no device key): signing changes no decision.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config/agent-config.h"
#include "agent/msg/message.h"
#include "agent/pipeline/pipeline.h"
#include "tests/situations/situ.h"
#include "agent/store/store.h"

#define PUBLISH_AFTER_MS 1000
#define ACK_AFTER_MS 60000
#define MAX_PENDING 64

/* ---- results ---- */

static void *
grow(void *p, size_t *cap, size_t n, size_t sz)
{
    if (n < *cap)
        return p;
    *cap = *cap ? 2 * *cap : 64;
    p = realloc(p, *cap * sz);
    if (p == NULL)
        abort();
    return p;
}

void
situ_result_init(struct situ_result *r)
{
    memset(r, 0, sizeof(*r));
    for (int k = 0; k < SITU_MAX_HOUSEHOLD; k++)
        r->household[k] = -1;
}

void
situ_result_fini(struct situ_result *r)
{
    free(r->ev);
    free(r->ord);
    situ_result_init(r);
}

void
situ_add_event(struct situ_result *r, int64_t t_ms, int64_t mg, unsigned channel,
               int kind)
{
    r->ev = grow(r->ev, &r->cap_ev, r->n_ev, sizeof(*r->ev));
    r->ev[r->n_ev++] = (struct situ_event){t_ms, mg, channel, kind};
}

int
situ_add_order(struct situ_result *r, const char *id, unsigned channel, bool predicted,
               int64_t created_ms)
{
    r->ord = grow(r->ord, &r->cap_ord, r->n_ord, sizeof(*r->ord));
    struct situ_order *o = &r->ord[r->n_ord];
    memset(o, 0, sizeof(*o));
    snprintf(o->id, sizeof(o->id), "%s", id);
    o->channel = channel;
    o->predicted = predicted;
    o->created_ms = created_ms;
    return (int)r->n_ord++;
}

/* ---- the configuration ---- */

int
situ_config_text(const struct scene *s, const char *dir, bool daemon, char *buf,
                 size_t len)
{
    size_t k = 0;
    int w;
#define PUT(...)                                                                       \
    do {                                                                               \
        w = snprintf(buf + k, len - k, __VA_ARGS__);                                   \
        if (w < 0 || (size_t)w >= len - k)                                             \
            return -1;                                                                 \
        k += (size_t)w;                                                                \
    } while (0)
    PUT("# %s\ndevice_id = \"situations\";\nstore_path = \"%s/pantry.db\";\n",
        scene_describe(s), dir);
    if (daemon)
        PUT("key_path = \"%s/device.key\";\ncontrol_socket = \"%s/control.sock\";\n",
            dir, dir);
    PUT("channels = (\n");
    for (unsigned i = 0; i < scene_channels(s); i++)
        PUT("  { name = \"%s\"; index = %u; iio = { device = \"shelf-%s\"; }; }%s\n",
            scene_item(s, i)->id, i, scene_item(s, i)->id,
            i + 1 < scene_channels(s) ? "," : "");
    PUT(");\nitems = (\n");
    for (unsigned i = 0; i < scene_channels(s); i++) {
        const struct scene_item *it = scene_item(s, i);
        struct cond_cal cal;
        scene_cal(s, i, &cal);
        PUT("  { id = \"%s\"; channel = \"%s\"; pack = %" PRId64 ".%03" PRId64
            "; container = %" PRId64 ".%03" PRId64 "; mode = \"auto\"; price = 3.49;\n"
            "    calibration = { zero = %" PRId32 "; span_raw = %" PRId32
            "; span = %" PRId64 ".%03" PRId64 "; }; }%s\n",
            it->id, it->id, it->pack_mg / 1000, it->pack_mg % 1000,
            it->container_mg / 1000, it->container_mg % 1000, cal.raw_zero,
            cal.span_raw, cal.span_mg / 1000, cal.span_mg % 1000,
            i + 1 < scene_channels(s) ? "," : "");
    }
    PUT(");\n");
#undef PUT
    return (int)k;
}

/* ---- the broker, the retailer and the household ---- */

enum pend_kind { PEND_PUBLISH, PEND_ACK, PEND_HOUSEHOLD };

struct pend {
    int64_t t_ms;
    enum pend_kind kind;
    char id[SITU_ID_MAX]; /* the order */
    unsigned channel;     /* household: the item */
    int k;                /* household: which of its orders */
};

struct loop {
    struct situ_run *run;
    struct agent_config *cfg;
    struct pipeline *pl;
    struct store *db;
    struct situ_base *base;
    struct pend pend[MAX_PENDING];
    size_t n_pend;
    int64_t now;
};

static void
schedule(struct loop *l, int64_t t, enum pend_kind kind, const char *id,
         unsigned channel, int k)
{
    if (l->n_pend == MAX_PENDING) {
        snprintf(l->run->error, sizeof(l->run->error), "more than %d messages pending",
                 MAX_PENDING);
        return;
    }
    size_t i = l->n_pend++;
    while (i > 0 && l->pend[i - 1].t_ms > t) {
        l->pend[i] = l->pend[i - 1];
        i--;
    }
    l->pend[i] = (struct pend){.t_ms = t, .kind = kind, .channel = channel, .k = k};
    snprintf(l->pend[i].id, sizeof(l->pend[i].id), "%s", id ? id : "");
}

/* The pipeline put a message in the outbox: the broker takes it a second later. */
static void
queued(void *ctx, const char *order_id)
{
    struct loop *l = ctx;
    schedule(l, l->now + PUBLISH_AFTER_MS, PEND_PUBLISH, order_id, 0, 0);
}

static int
newest_cb(const struct store_order *o, void *ctx)
{
    snprintf(ctx, SITU_ID_MAX, "%s", o->order_id);
    return 0;
}

static void
fire(struct loop *l, const struct pend *p)
{
    struct store_order o;
    char msg[512], id[SITU_ID_MAX] = "";
    int r;

    switch (p->kind) {
    case PEND_PUBLISH:
        if (store_order_get(l->db, p->id, &o) < 0)
            return;
        if (o.state == ORDER_QUEUED) {
            pipeline_published(l->pl, STORE_MSG_REORDER, p->id, p->t_ms);
            schedule(l, p->t_ms + ACK_AFTER_MS, PEND_ACK, p->id, 0, 0);
        } else if (o.state == ORDER_CANCELLED || o.state == ORDER_EXPIRED) {
            pipeline_published(l->pl, STORE_MSG_CANCEL, p->id, p->t_ms);
        }
        store_order_fini(&o);
        break;
    case PEND_ACK: {
        if (store_order_get(l->db, p->id, &o) < 0)
            return;
        struct message_ack a;
        memset(&a, 0, sizeof(a));
        snprintf(a.order_id, sizeof(a.order_id), "%s", p->id);
        snprintf(a.device, sizeof(a.device), "%s", l->cfg->device_id);
        snprintf(a.retailer, sizeof(a.retailer), "situations-shop");
        a.seq = o.seq;
        a.iat_s = p->t_ms / 1000;
        a.status = ACK_ACCEPTED;
        store_order_fini(&o);
        pipeline_ack(l->pl, &a, p->t_ms, msg, sizeof(msg));
        break;
    }
    case PEND_HOUSEHOLD:
        /* The household orders; an order already open is the one it waits for. */
        r = pipeline_order(l->pl, p->channel, "manual", p->t_ms, msg, sizeof(msg));
        if ((r == 0 || r == -EEXIST) &&
            store_orders_open(l->db, scene_item(l->run->scene, p->channel)->id,
                              newest_cb, id) == 0 &&
            id[0] != '\0')
            l->run->agent.household[p->k] =
                situ_add_order(&l->run->agent, id, p->channel, false, p->t_ms);
        situ_base_household(l->base, p->channel, p->t_ms, p->k);
        break;
    }
}

/* ---- reading the store back ---- */

static int
event_cb(const struct store_event *e, void *ctx)
{
    struct situ_result *r = ctx;
    if (e->ev.kind == STOCK_CONSUME || e->ev.kind == STOCK_REFILL)
        situ_add_event(r, e->ev.t_ms, e->ev.mg, e->ev.channel, e->ev.kind);
    return 0;
}

static int
order_cb(const struct store_order *o, void *ctx)
{
    struct loop *l = ctx;
    struct situ_result *r = &l->run->agent;
    int ch = cfg_find_item(l->cfg, o->item), k = -1;
    for (size_t i = 0; i < r->n_ord; i++)
        if (strcmp(r->ord[i].id, o->order_id) == 0)
            k = (int)i;
    if (k < 0)
        k = situ_add_order(r, o->order_id, ch < 0 ? 0 : (unsigned)ch,
                           strcmp(o->reason, "predicted") == 0, o->created_ms);
    r->ord[k].predicted = strcmp(o->reason, "predicted") == 0;
    r->ord[k].created_ms = o->created_ms;
    r->ord[k].fulfilled_ms = o->state == ORDER_FULFILLED ? o->updated_ms : 0;
    snprintf(r->ord[k].detail, sizeof(r->ord[k].detail), "%s",
             o->detail_json ? o->detail_json : "");
    return 0;
}

/* ---- the run ---- */

static int
fail(struct situ_run *run, const char *what, const char *why)
{
    snprintf(run->error, sizeof(run->error), "%.100s: %.520s", what, why);
    return -1;
}

/*
 * First samples of their channel at or after each true record, and at or after
 * 2 s past when it could first be judged (its platforms quiet, then the settle
 * time: a gap in the samples there leaves nothing to judge it on until the next
 * one).
 */
struct seen {
    size_t next[SCENE_MAX_PLATFORMS], next_ready[SCENE_MAX_PLATFORMS];
    size_t *by_ready; /* true records in the order of ready_ms */
};

static const int64_t *ready_key;

static int
by_ready(const void *a, const void *b)
{
    int64_t x = ready_key[*(const size_t *)a], y = ready_key[*(const size_t *)b];
    return x < y ? -1 : x > y;
}

static void
see(struct situ_run *run, struct seen *sn, const struct sample *m)
{
    size_t n;
    const struct scene_truth *t = scene_truth(run->scene, &n);
    size_t *i = &sn->next[m->channel];
    for (; *i < n && t[*i].t_ms <= m->t_ms; (*i)++)
        if (t[*i].channel == m->channel)
            run->seen_ms[*i] = m->t_ms;
    size_t *j = &sn->next_ready[m->channel];
    for (; *j < n && run->ready_ms[sn->by_ready[*j]] + SITU_LATE_MS <= m->t_ms; (*j)++)
        if (t[sn->by_ready[*j]].channel == m->channel)
            run->ready_seen_ms[sn->by_ready[*j]] = m->t_ms;
}

/*
 * Per true record: when its platforms were quiet from (scene_quiet_from() over
 * the settle time of its item) and that time plus the settle time, and the
 * records in the order of the latter (run->ready_ms, sn->by_ready).
 */
static void
ready_times(struct situ_run *run, struct seen *sn)
{
    size_t n;
    const struct scene_truth *t = scene_truth(run->scene, &n);
    for (size_t i = 0; i < n; i++) {
        int64_t settle = run->policy[t[i].channel].settle_ms;
        run->quiet_ms[i] = scene_quiet_from(run->scene, t[i].plats | 1u << t[i].channel,
                                            t[i].t_ms, settle);
        run->ready_ms[i] = run->quiet_ms[i] + settle;
        sn->by_ready[i] = i;
    }
    ready_key = run->ready_ms;
    qsort(sn->by_ready, n, sizeof(*sn->by_ready), by_ready);
}

static void
feed(struct loop *l, struct seen *sn, const struct sample *m)
{
    pipeline_sample(l->pl, m);
    situ_base_sample(l->base, m);
    see(l->run, sn, m);
    l->run->samples++;
}

/* The loop of run_replay(), from the scene's first sample. */
static int
replay_loop(struct loop *l, struct seen *sn, const struct sample *first, int have)
{
    struct situ_run *run = l->run;
    struct sample next = *first;
    size_t n;
    const struct scene_truth *t = scene_truth(run->scene, &n);
    char err[512];

    if (have != 1)
        return fail(run, "scene", "no samples");
    if (pipeline_init(l->pl, l->cfg, l->db, next.t_ms, err, sizeof(err)) < 0)
        return fail(run, "pipeline_init", err);
    l->pl->queued = queued;
    l->pl->queued_ctx = l;
    for (size_t i = 0; i < n; i++)
        if (t[i].kind == SCENE_T_ORDER && t[i].order >= 0 &&
            t[i].order < SITU_MAX_HOUSEHOLD)
            schedule(l, t[i].t_ms, PEND_HOUSEHOLD, NULL, t[i].channel, t[i].order);
    l->now = INT64_MIN;
    for (;;) {
        /* As run_replay(): the sources' next time, or the pipeline's first. */
        int64_t due = have == 1 ? next.t_ms : INT64_MAX;
        if (due == INT64_MAX)
            break;
        int64_t d = pipeline_next_due_ms(l->pl);
        if (l->now != INT64_MIN && d < due)
            due = d;
        if (l->n_pend > 0 && l->pend[0].t_ms < due)
            due = l->pend[0].t_ms;
        if (due > l->now)
            l->now = due;
        while (have == 1 && next.t_ms <= l->now) {
            feed(l, sn, &next);
            have = scene_next(run->scene, &next);
        }
        pipeline_tick(l->pl, l->now);
        while (l->n_pend > 0 && l->pend[0].t_ms <= l->now) {
            struct pend p = l->pend[0];
            memmove(l->pend, l->pend + 1, --l->n_pend * sizeof(l->pend[0]));
            fire(l, &p);
        }
        if (run->error[0] != '\0')
            return -1;
    }
    if (l->now != INT64_MIN)
        pipeline_tick(l->pl, l->now);
    if (pipeline_fini(l->pl) < 0 || l->pl->store_errors > 0)
        return fail(run, "store", l->pl->last_error);
    if (store_events(l->db, NULL, 0, INT64_MAX, event_cb, &run->agent) < 0 ||
        store_orders_since(l->db, NULL, 0, order_cb, l) < 0)
        return fail(run, "store", store_errmsg(l->db));
    return 0;
}

static int
replay(struct loop *l)
{
    struct situ_run *run = l->run;
    struct sample next;
    struct seen sn;
    size_t n;
    int have = scene_next(run->scene, &next);

    scene_truth(run->scene, &n);
    memset(&sn, 0, sizeof(sn));
    sn.by_ready = malloc((n + 1) * sizeof(*sn.by_ready));
    if (sn.by_ready == NULL)
        abort();
    ready_times(run, &sn);
    int r = replay_loop(l, &sn, &next, have);
    free(sn.by_ready);
    return r;
}

static void
remove_store(const char *dir)
{
    static const char *const tails[] = {"", "-wal", "-shm", "-journal"};
    char path[512];
    for (size_t i = 0; i < sizeof(tails) / sizeof(tails[0]); i++) {
        snprintf(path, sizeof(path), "%s/pantry.db%s", dir, tails[i]);
        unlink(path);
    }
}

int
situ_run(const struct scene_config *c, const char *dir, struct situ_run *run)
{
    static char text[8192];
    struct loop l;
    struct cfg_errors *errs = malloc(sizeof(*errs));
    char err[512];
    int r = -1;

    memset(run, 0, sizeof(*run));
    memset(&l, 0, sizeof(l));
    situ_result_init(&run->agent);
    situ_result_init(&run->base);
    l.run = run;
    l.cfg = malloc(sizeof(*l.cfg));
    l.pl = malloc(sizeof(*l.pl));
    l.base = malloc(sizeof(*l.base));
    if (errs == NULL || l.cfg == NULL || l.pl == NULL || l.base == NULL)
        abort();
    if (scene_new(c, &run->scene) < 0) {
        fail(run, "scene_new", "refused the configuration");
        goto out;
    }
    size_t n;
    scene_truth(run->scene, &n);
    run->seen_ms = malloc((n + 1) * sizeof(*run->seen_ms));
    run->ready_seen_ms = malloc((n + 1) * sizeof(*run->ready_seen_ms));
    run->quiet_ms = malloc((n + 1) * sizeof(*run->quiet_ms));
    run->ready_ms = malloc((n + 1) * sizeof(*run->ready_ms));
    if (run->seen_ms == NULL || run->ready_seen_ms == NULL || run->quiet_ms == NULL ||
        run->ready_ms == NULL)
        abort();
    for (size_t i = 0; i < n; i++)
        run->seen_ms[i] = run->ready_seen_ms[i] = INT64_MAX;
    if (situ_config_text(run->scene, dir, false, text, sizeof(text)) < 0) {
        fail(run, "configuration", "too long");
        goto out;
    }
    if (cfg_load_string(text, "situation.conf", l.cfg, errs) < 0) {
        fail(run, "configuration", errs->count > 0 ? errs->msg[0] : "refused");
        goto out;
    }
    for (unsigned i = 0; i < scene_channels(run->scene); i++) {
        const struct cfg_item *it = &l.cfg->items[i];
        run->policy[i] = (struct situ_policy){
            .lead_s = it->lead_s,
            .review_s = it->review_s,
            .cover_s = it->cover_s,
            .service_bp = it->service_bp,
            .packs_per_order = it->packs_per_order,
            .settle_ms = it->cond.settle_ms,
            .close_ms = it->cond.settle_ms + it->cond.move_window_ms +
                        it->cond.refill_hold_ms + 120000,
        };
    }
    remove_store(dir);
    if (store_open(l.cfg->store_path, 0, &l.db, err, sizeof(err)) < 0) {
        fail(run, "store_open", err);
        goto out;
    }
    situ_base_init(l.base, run->scene, &run->base);
    r = replay(&l);
out:
    store_close(l.db);
    remove_store(dir);
    free(errs);
    free(l.cfg);
    free(l.pl);
    free(l.base);
    return r;
}

void
situ_run_fini(struct situ_run *run)
{
    scene_free(run->scene);
    free(run->seen_ms);
    free(run->ready_seen_ms);
    free(run->quiet_ms);
    free(run->ready_ms);
    situ_result_fini(&run->agent);
    situ_result_fini(&run->base);
    memset(run, 0, sizeof(*run));
}
