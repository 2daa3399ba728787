/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The simulated household and its shelf (see household.h): a ledger per item,
 * and the load cell the agent weighs it on.
 */
#include "agent/sim/household.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/text.h"
#include "models/units.h"

#define HOUR_S INT64_C(3600)
#define LIFT_TAKE_MS 15000
#define LIFT_DELIVERY_MS 30000
#define BURST_BEFORE_MS 1000
#define BURST_AFTER_MS 10000
#define FAST_MS 100

uint64_t
hh_mix(uint64_t *s)
{
    uint64_t z = (*s += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

int64_t
hh_lead_mean_s(const struct agent_config *cfg, const struct cl_config *c, unsigned item)
{
    return c->lead_mean_s > 0 ? c->lead_mean_s : cfg->items[item].lead_s;
}

int64_t
hh_horizon_s(const struct agent_config *cfg, const struct cl_config *c, unsigned item)
{
    return hh_lead_mean_s(cfg, c, item) * 3 / 2 + cfg->items[item].review_s;
}

/* ---- the world of one item ---- */

int
hh_ledger_init(struct hh_ledger *l, const struct cl_item *w, struct cl_metrics *m,
               int64_t start_s, int64_t horizon_s, int64_t order_mg)
{
    *l = (struct hh_ledger){.w = w,
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
needed(const struct hh_ledger *l, int64_t t)
{
    return l->prefix[use_at(l->w, t + l->horizon_s)] - l->prefix[use_at(l->w, t)];
}

/*
 * Excess stock, sampled every hour, up to t: the contents beyond the last
 * delivery (the cycle stock a policy chose to order, a pack at least) and the
 * true demand until a new order could arrive. What a delivery finds still on the shelf,
 * and how long it stays, is what ordering early costs.
 */
static void
account(struct hh_ledger *l, int64_t t)
{
    for (; l->grid_s < t; l->grid_s += HOUR_S) {
        int64_t over = l->contents - l->allow_mg - needed(l, l->grid_s);
        if (over > 0)
            l->m->excess_mg_s += over * HOUR_S;
    }
}

int64_t
hh_take(struct hh_ledger *l, int64_t t, int64_t mg)
{
    account(l, t);
    int64_t got = mg < l->contents ? mg : l->contents;
    l->contents -= got;
    l->m->demand_mg += mg;
    if (got < mg) {
        int64_t day = (t - l->start_s) / MODELS_DAY_S;
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

void
hh_deliver(struct hh_ledger *l, int64_t t, int64_t mg)
{
    account(l, t);
    l->contents += mg;
    l->allow_mg = mg > l->pack_mg ? mg : l->pack_mg;
    l->m->delivered++;
    l->m->delivered_mg += mg;
}

void
hh_ledger_fini(struct hh_ledger *l, int64_t end_s)
{
    account(l, end_s);
    free(l->prefix);
    l->prefix = NULL;
}

/* ---- the load cell ---- */

/* Approximately normal noise of standard deviation sd_mg (a sum of 4 uniforms). */
static int64_t
noise(uint64_t *rng, int64_t sd_mg)
{
    uint64_t r = hh_mix(rng);
    int64_t sum = (int64_t)(r & 0xffff) + (int64_t)((r >> 16) & 0xffff) +
                  (int64_t)((r >> 32) & 0xffff) + (int64_t)(r >> 48) - 2 * 65536;
    return sum * sd_mg / 37837;
}

static int32_t
raw_of(const struct hh_cell *s, int64_t mg)
{
    int64_t raw = s->cal.raw_zero + mg * s->cal.span_raw / s->cal.span_mg;
    return raw > 8388606 ? 8388606 : raw < -8388607 ? -8388607 : (int32_t)raw;
}

/* What the platform carries at t. */
static int64_t
gross_at(struct hh_cell *s, int64_t t)
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
act_start(struct hh_cell *s, int64_t t, int64_t delta_mg, int64_t lift_for_ms)
{
    s->in_act = true;
    s->lift_ms = t;
    s->back_ms = t + lift_for_ms;
    s->quiet_ms = s->back_ms + BURST_AFTER_MS;
    s->after_mg = s->gross_mg + delta_mg;
    if (s->next_ms > t)
        s->next_ms = t;
}

/* ---- the shelf ---- */

int
hh_shelf_init(struct hh_shelf *s, const struct agent_config *cfg,
              const struct cl_item *items, const struct cl_config *c,
              struct cl_metrics *m, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    s->cfg = cfg;
    s->c = c;
    for (size_t i = 0; i < cfg->n_items; i++) {
        const struct cfg_item *it = &cfg->items[i];
        if (!it->has_cal)
            return text_error(err, errlen,
                              "item %s: the simulated shelf needs its "
                              "calibration in the configuration",
                              it->id),
                   -EINVAL;
        s->cell[i] =
            (struct hh_cell){.it = it,
                             .cal = it->cal,
                             .channel = cfg->channels[it->channel].index,
                             .rng = c->seed ^ (UINT64_C(0x2545f4914f6cdd1d) * (i + 1)),
                             .next_ms = c->start_s * 1000,
                             .gross_mg = it->container_mg + items[i].start_mg};
        int e = hh_ledger_init(&s->led[i], &items[i], &m[i], c->start_s,
                               hh_horizon_s(cfg, c, (unsigned)i), it->pack_mg);
        if (e < 0)
            return text_error(err, errlen, "out of memory"), e;
        s->n = i + 1;
    }
    return 0;
}

int64_t
hh_shelf_due(const struct hh_shelf *s)
{
    int64_t due = INT64_MAX;
    for (size_t i = 0; i < s->n; i++) {
        const struct hh_cell *k = &s->cell[i];
        const struct hh_ledger *l = &s->led[i];
        if (k->next_ms < due)
            due = k->next_ms;
        if (!k->in_act && l->next_use < l->w->n_use &&
            l->w->use[l->next_use].t_s * 1000 < due)
            due = l->w->use[l->next_use].t_s * 1000;
        if (!k->in_act && k->n_del > 0 && k->deliveries[0].start_ms < due)
            due = k->deliveries[0].start_ms;
    }
    return due;
}

int
hh_shelf_deliver(struct hh_shelf *s, unsigned item, int64_t at_ms, int64_t mg)
{
    if (item >= s->n || mg <= 0)
        return -EINVAL;
    struct hh_cell *k = &s->cell[item];
    if (k->n_del == HH_MAX_DELIVERIES)
        return -ENOSPC;
    k->deliveries[k->n_del++] = (struct hh_act){at_ms, mg};
    return 0;
}

void
hh_shelf_actions(struct hh_shelf *s, int64_t now)
{
    for (size_t i = 0; i < s->n; i++) {
        struct hh_cell *k = &s->cell[i];
        struct hh_ledger *l = &s->led[i];
        if (k->in_act)
            continue;
        if (k->n_del > 0 && k->deliveries[0].start_ms <= now) {
            hh_deliver(l, now / 1000, k->deliveries[0].delta_mg);
            act_start(k, now, k->deliveries[0].delta_mg, LIFT_DELIVERY_MS);
            memmove(k->deliveries, k->deliveries + 1,
                    --k->n_del * sizeof(*k->deliveries));
        } else if (l->next_use < l->w->n_use &&
                   l->w->use[l->next_use].t_s * 1000 <= now) {
            int64_t got = hh_take(l, now / 1000, l->w->use[l->next_use].mg);
            l->next_use++;
            if (got > 0)
                act_start(k, now, -got, LIFT_TAKE_MS);
        }
    }
}

size_t
hh_shelf_samples(struct hh_shelf *s, int64_t now, struct sample *out)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        struct hh_cell *k = &s->cell[i];
        const struct hh_ledger *l = &s->led[i];
        if (k->next_ms > now)
            continue;
        int64_t g = gross_at(k, now) + noise(&k->rng, s->c->noise_mg);
        out[n++] = (struct sample){.t_ms = now,
                                   .raw = raw_of(k, g),
                                   .channel = k->channel,
                                   .status = SAMPLE_OK};
        /* Fast around an action, sparse otherwise; wake before the next one. */
        int64_t next = now + (k->in_act ? FAST_MS : s->c->idle_ms);
        int64_t soon = INT64_MAX;
        if (l->next_use < l->w->n_use)
            soon = l->w->use[l->next_use].t_s * 1000;
        if (k->n_del > 0 && k->deliveries[0].start_ms < soon)
            soon = k->deliveries[0].start_ms;
        if (!k->in_act && soon != INT64_MAX && next > soon - BURST_BEFORE_MS)
            next =
                soon - BURST_BEFORE_MS > now ? soon - BURST_BEFORE_MS : now + FAST_MS;
        k->next_ms = next;
    }
    return n;
}

void
hh_shelf_fini(struct hh_shelf *s, int64_t end_s)
{
    for (size_t i = 0; i < CFG_MAX_ITEMS; i++)
        if (s->led[i].prefix != NULL)
            hh_ledger_fini(&s->led[i], end_s);
}
