/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Open-loop runout scoring and the closed-loop reorder simulation (see sim.h).
 * Both are event-driven on the trace's own clock: nothing here sleeps or reads
 * the time. The closed loop merges four streams in time order: order arrivals,
 * uses, the daily review of the forecast policy and hourly samples for the
 * excess-stock integral; at equal times in that order.
 */
#include "tests/eval/sim.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "models/lead.h"
#include "models/policy.h"
#include "models/quantile.h"

#define HOUR_S INT64_C(3600)

const int sim_horizon_days[SIM_HORIZONS] = {1, 3, 7};

/*
 * Half-lives: a week for level, sizes, intervals and errors (long enough to
 * span a weekly laundry cycle, short enough to follow a week of guests within
 * days); Holt's trend over four weeks so that one busy week is not a trend; the
 * damped variant forgets the trend with a half-life of two weeks. Overdue decay
 * is on everywhere except in ses-nodecay, which shows what it does.
 */
#define HL_S (7 * SIM_DAY_S)
const struct sim_method sim_methods[SIM_METHOD_COUNT] = {
    {"ses", {FC_SES, HL_S, 0, 0, true}},
    {"ses-nodecay", {FC_SES, HL_S, 0, 0, false}},
    {"holt", {FC_HOLT, HL_S, 28 * SIM_DAY_S, 0, true}},
    {"holt-damped", {FC_HOLT, HL_S, 28 * SIM_DAY_S, 14 * SIM_DAY_S, true}},
    {"croston", {FC_CROSTON, HL_S, 0, 0, true}},
    {"sba", {FC_SBA, HL_S, 0, 0, true}},
    {"tsb", {FC_TSB, HL_S, 0, 0, true}},
};

struct query {
    int64_t q_s;    /* when the prediction is made */
    int64_t true_s; /* the true runout */
    int h;          /* horizon index */
};

static double
capped(double err_d)
{
    if (err_d > SIM_ERR_CAP_D)
        return SIM_ERR_CAP_D;
    if (err_d < -SIM_ERR_CAP_D)
        return -SIM_ERR_CAP_D;
    return err_d;
}

static void
answer(const struct fc *f, const struct fc_params *p, int64_t stock_mg,
       const struct query *q, struct runout_score *acc)
{
    struct runout r;
    fc_runout(f, p, stock_mg, SIM_SERVICE_BP, q->q_s, &r);
    double err;
    if (r.t_mid_s == MODELS_NEVER) {
        err = SIM_ERR_CAP_D;
        acc->never++;
    } else {
        err = capped((double)(r.t_mid_s - q->true_s) / (double)SIM_DAY_S);
    }
    acc->abs_err_d[q->h] += err < 0 ? -err : err;
    acc->err_d[q->h] += err;
    acc->n[q->h]++;
    if (r.t_lo_s <= q->true_s && q->true_s <= r.t_hi_s)
        acc->inside[q->h]++;
}

int
sim_runouts(const struct trace *t, const struct fc_params *p, struct runout_score *acc)
{
    struct query *qs = NULL;
    size_t nq = 0, cap = 0;
    int64_t stock = 0, cycle_start = t->start_s;

    /* Pass 1: the true runouts and their query times, in time order. */
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        if (e->kind == TRACE_REFILL) {
            cycle_start = e->t_s;
            stock += e->mg;
            continue;
        }
        stock -= e->mg;
        if (stock != 0)
            continue;
        acc->runouts++;
        for (int h = SIM_HORIZONS - 1; h >= 0; h--) {
            int64_t q = e->t_s - sim_horizon_days[h] * SIM_DAY_S;
            if (q < cycle_start || q < t->start_s)
                continue;
            if (nq == cap) {
                cap = cap ? cap * 2 : 64;
                struct query *n = realloc(qs, cap * sizeof(*n));
                if (n == NULL) {
                    free(qs);
                    return -ENOMEM;
                }
                qs = n;
            }
            qs[nq].q_s = q;
            qs[nq].true_s = e->t_s;
            qs[nq].h = h;
            nq++;
        }
    }

    /* Pass 2: the forecaster answers each query with what it has seen by then. */
    struct fc f;
    size_t iq = 0;
    fc_init(&f, t->start_s);
    stock = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct trace_event *e = &t->ev[i];
        for (; iq < nq && qs[iq].q_s < e->t_s; iq++)
            answer(&f, p, stock, &qs[iq], acc);
        if (e->kind == TRACE_REFILL) {
            stock += e->mg;
        } else {
            stock -= e->mg;
            fc_consume(&f, p, e->t_s, e->mg);
        }
    }
    for (; iq < nq; iq++)
        answer(&f, p, stock, &qs[iq], acc);
    free(qs);
    return 0;
}

int64_t
sim_lead_time_s(uint64_t seed, uint32_t k)
{
    uint64_t rng = seed ^ (UINT64_C(0xD1B54A32D192ED03) * ((uint64_t)k + 1));
    double u = th_unit(&rng);
    double late = th_unit(&rng);
    int64_t lead = 3 * SIM_DAY_S / 2 + (int64_t)(u * (double)SIM_DAY_S);
    if (late < 0.1)
        lead += SIM_DAY_S;
    return lead;
}

/* Pack size the shop sells at t: the latest refill of the trace at or before t. */
struct packs {
    const struct trace *t;
    size_t next; /* first refill after the current time */
    int64_t mg;  /* current pack */
};

static void
packs_advance(struct packs *pk, int64_t t_s)
{
    const struct trace *t = pk->t;
    while (pk->next < t->n && t->ev[pk->next].t_s <= t_s) {
        if (t->ev[pk->next].kind == TRACE_REFILL)
            pk->mg = t->ev[pk->next].mg;
        pk->next++;
    }
}

/* Demand of the uses in (t, t + h], from cumulative sums over the uses. */
struct demand {
    const int64_t *t_s;
    const int64_t *cum; /* cum[i] = sum of the first i uses */
    size_t n;
};

static size_t
upper_bound(const int64_t *v, size_t n, int64_t x)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int64_t
demand_between(const struct demand *d, int64_t t_s, int64_t h_s)
{
    size_t a = upper_bound(d->t_s, d->n, t_s);
    size_t b = upper_bound(d->t_s, d->n, t_s + h_s);
    return d->cum[b] - d->cum[a];
}

struct shelf {
    int64_t stock;
    int64_t zero_since; /* when the shelf became empty, -1 while it is not */
    bool open;          /* an order is on its way */
    int64_t arrive_s;
    int64_t arrive_mg;
    int64_t ordered_s;
};

static void
mark_zero(bool *zero_day, uint32_t days, int64_t start_s, int64_t a_s, int64_t b_s)
{
    if (b_s <= a_s)
        return;
    int64_t d0 = (a_s - start_s) / SIM_DAY_S, d1 = (b_s - 1 - start_s) / SIM_DAY_S;
    for (int64_t d = d0; d <= d1 && d < (int64_t)days; d++)
        zero_day[d] = true;
}

static void
place(struct shelf *sh, const struct trace *t, struct loop_score *out, int64_t now_s,
      uint32_t packs, int64_t pack_mg)
{
    sh->open = true;
    sh->ordered_s = now_s;
    sh->arrive_s = now_s + sim_lead_time_s(t->seed, out->orders);
    sh->arrive_mg = pack_mg * packs;
    out->orders++;
    out->packs += packs;
}

static void
threshold_check(struct shelf *sh, const struct trace *t, const struct sim_policy *pol,
                struct loop_score *out, int64_t now_s, int64_t pack_mg)
{
    if (pol->kind != SIM_POLICY_THRESHOLD || sh->open)
        return;
    if (sh->stock * 100 < (int64_t)pol->threshold_pct * pack_mg)
        place(sh, t, out, now_s, 1, pack_mg);
}

int
sim_closed_loop(const struct trace *t, const struct sim_policy *pol,
                struct loop_score *out)
{
    int64_t *ut = NULL, *cum = NULL;
    bool *zero_day = NULL;
    size_t nu = 0;
    int rc = -ENOMEM;

    memset(out, 0, sizeof(*out));
    size_t first_refill = 0;
    while (first_refill < t->n && t->ev[first_refill].kind != TRACE_REFILL)
        first_refill++;
    if (first_refill == t->n || t->end_s <= t->start_s)
        return -EINVAL;

    out->days = (uint32_t)((t->end_s - t->start_s + SIM_DAY_S - 1) / SIM_DAY_S);
    ut = malloc((t->n + 1) * sizeof(*ut));
    cum = malloc((t->n + 1) * sizeof(*cum));
    zero_day = calloc(out->days, sizeof(*zero_day));
    if (ut == NULL || cum == NULL || zero_day == NULL)
        goto out;
    cum[0] = 0;
    for (size_t i = 0; i < t->n; i++) {
        if (t->ev[i].kind != TRACE_USE)
            continue;
        ut[nu] = t->ev[i].t_s;
        cum[nu + 1] = cum[nu] + t->ev[i].mg;
        nu++;
    }
    struct demand dem = {ut, cum, nu};
    struct packs pk = {t, 0, t->ev[first_refill].mg};
    struct shelf sh = {pk.mg, -1, false, 0, 0, 0};
    struct fc f;
    struct lead lead;
    int32_t z = quant_normal_q16(SIM_SERVICE_BP);
    fc_init(&f, t->start_s);
    lead_init(&lead, SIM_LEAD_NOMINAL_S, 0);

    bool forecast = pol->kind == SIM_POLICY_FORECAST;
    int64_t next_review = t->start_s + SIM_REVIEW_AT_S;
    int64_t next_sample = t->start_s;
    size_t iu = 0;
    for (;;) {
        int64_t t_arr = sh.open ? sh.arrive_s : INT64_MAX;
        int64_t t_use = iu < nu ? ut[iu] : INT64_MAX;
        int64_t t_rev = forecast ? next_review : INT64_MAX;
        int64_t now = t_arr;
        if (t_use < now)
            now = t_use;
        if (t_rev < now)
            now = t_rev;
        if (next_sample < now)
            now = next_sample;
        if (now >= t->end_s)
            break;
        packs_advance(&pk, now);

        if (now == t_arr) {
            sh.stock += sh.arrive_mg;
            sh.open = false;
            if (sh.zero_since >= 0)
                mark_zero(zero_day, out->days, t->start_s, sh.zero_since, now);
            sh.zero_since = -1;
            /* The agent learns the lead time per order with weight 0.25. */
            lead_observe(&lead, now - sh.ordered_s, MODELS_Q32_ONE / 4);
            threshold_check(&sh, t, pol, out, now, pk.mg);
        } else if (now == t_use) {
            int64_t want = cum[iu + 1] - cum[iu];
            int64_t take = want < sh.stock ? want : sh.stock;
            sh.stock -= take;
            out->demand_mg += want;
            out->lost_mg += want - take;
            if (take > 0 && forecast)
                fc_consume(&f, &pol->p, now, take);
            if (sh.stock == 0 && sh.zero_since < 0)
                sh.zero_since = now;
            threshold_check(&sh, t, pol, out, now, pk.mg);
            iu++;
        } else if (now == t_rev) {
            next_review += SIM_REVIEW_S;
            if (sh.open)
                continue;
            int64_t plan = lead_plan_s(&lead, z);
            struct fc_rate r;
            fc_rate(&f, &pol->p, now, plan + SIM_REVIEW_S, &r);
            struct policy_in in = {
                .stock_mg = sh.stock,
                .on_order_mg = 0,
                .rate_ugpd = r.rate_ugpd,
                .sigma_ugpd = r.sigma_ugpd,
                .interval_s = r.interval_s,
                .lead_time_s = plan,
                .review_s = SIM_REVIEW_S,
                .cover_s = 0,
                .service_bp = SIM_SERVICE_BP,
                .pack_mg = pk.mg,
                .max_packs = SIM_MAX_PACKS,
            };
            struct policy_out po;
            policy_decide(&in, &po);
            if (po.order)
                place(&sh, t, out, now, po.packs, pk.mg);
        } else {
            next_sample += HOUR_S;
            int64_t need = pk.mg + demand_between(&dem, now, SIM_LEAD_NOMINAL_S);
            if (sh.stock > need)
                out->excess_pack_days +=
                    (double)(sh.stock - need) / (double)pk.mg / 24.0;
        }
    }
    if (sh.zero_since >= 0)
        mark_zero(zero_day, out->days, t->start_s, sh.zero_since, t->end_s);
    for (uint32_t d = 0; d < out->days; d++)
        out->stockout_days += zero_day[d];
    rc = 0;
out:
    free(ut);
    free(cum);
    free(zero_day);
    return rc;
}
