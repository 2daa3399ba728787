/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scores of one detector in one run against the scene's truth (situ.h; the
 * rules in tests/situations/README.md). Expected values come from the scene
 * and from models/policy.h fed with the item's true rate, never from the
 * detector under test.
 *
 *   takes       true CONSUME records not inside a true fault.
 *   t_ref       when a take could first be judged: the first moment from which
 *               the platforms its episode touched stay still for the item's
 *               configured settle time, and not before a sample came after it;
 *               when no sample came from the end of that settle time to 2 s
 *               after (the time a take may take), the first one after it, less
 *               the settle time and those 2 s.
 *   coverage    a detected CONSUME at t_d covers the takes of its channel with
 *               t_d - 10 min <= t_ref <= t_d + 5 s, not covered before, and
 *               t_ref after the channel's previous detected CONSUME. attributed
 *               += max(0, T - |D - T|) (T their grams, D the detected); one
 *               that covers nothing is a false consume of D. A slow take (a
 *               leak) is compared with the sum of the detected consumes from
 *               its start to its end + 10 min, the same way.
 *   false refill   a detected REFILL with no true refill of its channel from
 *               3 h before to 10 min after it.
 *   false order    a detector's own order where the oracle (policy_decide()
 *               with the true rate and spread, the configured review, cover
 *               and service level, and the lead the detector planned with:
 *               the agent's from its order's detail, wide until a delivery
 *               was seen) would order neither at the true contents then nor
 *               at those after the next 24 h of true use. Ordering early for a
 *               lead not learnt yet is the policy's caution, judged closed
 *               loop in tests/eval; a false order here is one the readings or
 *               the learnt rate caused.
 *   wrongly closed an order fulfilled without a true delivery of it in the
 *               close window before (settle, move window, refill hold and
 *               2 min, from the configuration; 1 min after: clocks).
 *   missed delivery a true delivery that did not close its order within
 *               the close window (from 1 min before).
 *   latency     t_d - the latest t_ref it covers; late beyond settle + 2 s.
 *
 * A false order is "clean" when the readings it was decided on were right: the
 * stock it saw (its detail's stock_mg) within 10 g or 2 % of a pack of the true
 * contents, and the grams the detector reported taken until then within 20 g
 * or 5 % of the true grams taken. Then the forecast and the policy alone placed
 * it early (a new device's rate, a wide lead prior), which the closed loop of
 * tests/eval judges; a false order that is not clean is one the readings caused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/policy.h"
#include "tests/situations/situ.h"

#define MIN_MS INT64_C(60000)
#define COVER_BEFORE_MS (10 * MIN_MS)
#define COVER_AFTER_MS 5000
#define REFILL_BEFORE_MS (180 * MIN_MS)
#define REFILL_AFTER_MS (10 * MIN_MS)
#define CLOCK_MS MIN_MS

static void
lat_push(struct situ_score *sc, int64_t ms)
{
    if (sc->n_lat == sc->cap_lat) {
        sc->cap_lat = sc->cap_lat ? 2 * sc->cap_lat : 256;
        sc->lat_ms = realloc(sc->lat_ms, sc->cap_lat * sizeof(*sc->lat_ms));
        if (sc->lat_ms == NULL)
            abort();
    }
    sc->lat_ms[sc->n_lat++] = ms;
}

/* The item's true contents at t (a leak under way: in proportion). */
static int64_t
contents_at(const struct scene *s, unsigned ch, int64_t t)
{
    size_t n;
    const struct scene_truth *r = scene_truth(s, &n);
    int64_t c = scene_item(s, ch)->contents_mg;
    for (size_t i = 0; i < n; i++) {
        if (r[i].channel != ch ||
            (r[i].kind != SCENE_T_CONSUME && r[i].kind != SCENE_T_REFILL &&
             r[i].kind != SCENE_T_GROSS))
            continue;
        if (r[i].t_ms <= t) {
            c = r[i].contents_mg;
        } else {
            if ((r[i].flags & SCENE_TF_SLOW) && r[i].start_ms < t)
                c -= r[i].mg * (t - r[i].start_ms) / (r[i].t_ms - r[i].start_ms);
            break;
        }
    }
    return c;
}

/* True use of the item in (t0, t1] (a leak in proportion). */
static int64_t
used_between(const struct scene *s, unsigned ch, int64_t t0, int64_t t1)
{
    size_t n;
    const struct scene_truth *r = scene_truth(s, &n);
    int64_t mg = 0;
    for (size_t i = 0; i < n; i++) {
        if (r[i].channel != ch || r[i].kind != SCENE_T_CONSUME)
            continue;
        int64_t a = r[i].start_ms > t0 ? r[i].start_ms : t0;
        int64_t b = r[i].t_ms < t1 ? r[i].t_ms : t1;
        if (!(r[i].flags & SCENE_TF_SLOW))
            mg += r[i].t_ms > t0 && r[i].t_ms <= t1 ? r[i].mg : 0;
        else if (b > a)
            mg += r[i].mg * (b - a) / (r[i].t_ms - r[i].start_ms);
    }
    return mg;
}

/* Would an oracle that knows the true rate order at this stock? */
static bool
oracle(const struct situ_run *run, unsigned ch, int64_t stock_mg, int64_t lead_s)
{
    const struct scene_item *it = scene_item(run->scene, ch);
    const struct situ_policy *p = &run->policy[ch];
    struct policy_in in = {
        .stock_mg = stock_mg > 0 ? stock_mg : 0,
        .on_order_mg = 0,
        .rate_ugpd = it->rate_mg_per_day * 1000,
        .sigma_ugpd = it->sigma_mg_per_day * 1000,
        .interval_s = it->interval_s,
        .lead_time_s = lead_s,
        .review_s = p->review_s,
        .cover_s = p->cover_s,
        .service_bp = p->service_bp,
        .pack_mg = it->pack_mg,
        .max_packs = p->packs_per_order,
    };
    struct policy_out out;
    policy_decide(&in, &out);
    return out.order;
}

/* The lead the order was planned with ("lead_s" of its detail), else the config's. */
static int64_t
planned_lead_s(const struct situ_run *run, const struct situ_order *o)
{
    const char *k = strstr(o->detail, "\"lead_s\":");
    long long v;
    if (k != NULL && sscanf(k + 9, "%lld", &v) == 1 && v > 0)
        return (int64_t)v;
    return run->policy[o->channel].lead_s;
}

static bool
false_order(const struct situ_run *run, const struct situ_order *o)
{
    int64_t now = contents_at(run->scene, o->channel, o->created_ms);
    int64_t lead = planned_lead_s(run, o);
    if (oracle(run, o->channel, now, lead))
        return false;
    int64_t day = used_between(run->scene, o->channel, o->created_ms,
                               o->created_ms + 24 * 60 * MIN_MS);
    return !oracle(run, o->channel, now - day, lead);
}

/*
 * How much earlier than the oracle order o came, in days of the item's true
 * rate: its true contents then, less the highest stock at which the oracle
 * would order (with the lead o was planned with), over the true daily rate.
 */
static double
early_days(const struct situ_run *run, const struct situ_order *o)
{
    const struct scene_item *it = scene_item(run->scene, o->channel);
    int64_t now = contents_at(run->scene, o->channel, o->created_ms);
    int64_t lead = planned_lead_s(run, o), lo = 0, hi = now;
    if (oracle(run, o->channel, now, lead) || it->rate_mg_per_day <= 0)
        return 0;
    while (hi - lo > 1000) { /* the oracle orders at lo, not at hi */
        int64_t mid = lo + (hi - lo) / 2;
        if (oracle(run, o->channel, mid, lead))
            lo = mid;
        else
            hi = mid;
    }
    return (double)(now - lo) / (double)it->rate_mg_per_day;
}

/*
 * When take i could first be judged, less the settle time: its platforms quiet
 * and it seen; or, when no sample came in the 2 s a take may take after its
 * platforms were quiet for the settle time, the first one after (see the top of
 * the file).
 */
static int64_t
t_ref(const struct situ_run *run, size_t i)
{
    size_t n;
    const struct scene_truth *r = scene_truth(run->scene, &n);
    int64_t t = run->quiet_ms[i];
    if (run->seen_ms[i] != INT64_MAX && run->seen_ms[i] > t)
        t = run->seen_ms[i];
    int64_t ready =
        run->ready_seen_ms[i] - run->policy[r[i].channel].settle_ms - SITU_LATE_MS;
    return run->ready_seen_ms[i] != INT64_MAX && ready > t ? ready : t;
}

static bool
is_take(const struct scene_truth *r)
{
    return r->kind == SCENE_T_CONSUME && !(r->flags & SCENE_TF_UNOBSERVABLE);
}

static void
score_consumes(const struct situ_run *run, const struct situ_result *res, unsigned ch,
               struct situ_score *sc)
{
    size_t n;
    const struct scene_truth *r = scene_truth(run->scene, &n);
    unsigned char *used = calloc(res->n_ev + 1, 1), *covered = calloc(n + 1, 1);
    int64_t *ref = malloc((n + 1) * sizeof(*ref));
    if (used == NULL || covered == NULL || ref == NULL)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (r[i].channel != ch || !is_take(&r[i]))
            continue;
        sc->takes++;
        sc->true_mg += r[i].mg;
        ref[i] = t_ref(run, i);
        if (!(r[i].flags & SCENE_TF_SLOW))
            continue;
        /* A leak: every detected consume from its start to 10 min after it. */
        int64_t d = 0;
        for (size_t k = 0; k < res->n_ev; k++) {
            const struct situ_event *e = &res->ev[k];
            if (e->channel == ch && e->kind == STOCK_CONSUME && !used[k] &&
                e->t_ms >= r[i].start_ms && e->t_ms <= r[i].t_ms + COVER_BEFORE_MS) {
                used[k] = 1;
                d += e->mg;
            }
        }
        int64_t err = d > r[i].mg ? d - r[i].mg : r[i].mg - d;
        sc->attributed_mg += err < r[i].mg ? r[i].mg - err : 0;
        covered[i] = 1;
    }
    /* Detected events are read back oldest first. */
    int64_t prev = INT64_MIN;
    for (size_t k = 0; k < res->n_ev; k++) {
        const struct situ_event *e = &res->ev[k];
        if (e->channel != ch || e->kind != STOCK_CONSUME)
            continue;
        if (used[k]) {
            prev = e->t_ms;
            continue;
        }
        int64_t t = 0, last = INT64_MIN;
        for (size_t i = 0; i < n; i++)
            if (r[i].channel == ch && is_take(&r[i]) && !covered[i] && ref[i] > prev &&
                ref[i] >= e->t_ms - COVER_BEFORE_MS &&
                ref[i] <= e->t_ms + COVER_AFTER_MS) {
                covered[i] = 1;
                t += r[i].mg;
                if (ref[i] > last)
                    last = ref[i];
            }
        if (t == 0) {
            sc->false_consumes++;
            sc->false_consume_mg += e->mg;
        } else {
            int64_t err = e->mg > t ? e->mg - t : t - e->mg;
            sc->attributed_mg += err < t ? t - err : 0;
            lat_push(sc, e->t_ms - last);
            sc->late += e->t_ms - last > run->policy[ch].settle_ms + SITU_LATE_MS;
        }
        prev = e->t_ms;
    }
    free(used);
    free(covered);
    free(ref);
}

static void
score_refills(const struct situ_run *run, const struct situ_result *res,
              struct situ_score *sc)
{
    size_t n;
    const struct scene_truth *r = scene_truth(run->scene, &n);
    for (size_t k = 0; k < res->n_ev; k++) {
        const struct situ_event *e = &res->ev[k];
        if (e->kind != STOCK_REFILL)
            continue;
        bool real = false;
        for (size_t i = 0; i < n && !real; i++)
            real = r[i].kind == SCENE_T_REFILL && r[i].channel == e->channel &&
                   r[i].t_ms >= e->t_ms - REFILL_BEFORE_MS &&
                   r[i].t_ms <= e->t_ms + REFILL_AFTER_MS;
        sc->false_refills += !real;
    }
}

/* Were the readings order o was decided on right? (See "clean" above.) */
static bool
readings_right(const struct situ_run *run, const struct situ_result *res,
               const struct situ_order *o)
{
    const char *k = strstr(o->detail, "\"stock_mg\":");
    long long seen;
    if (k == NULL || sscanf(k + 11, "%lld", &seen) != 1)
        return false;
    int64_t pack = scene_item(run->scene, o->channel)->pack_mg;
    int64_t tol = pack / 50 > 10000 ? pack / 50 : 10000;
    int64_t truth = contents_at(run->scene, o->channel, o->created_ms);
    if ((int64_t)seen > truth + tol || (int64_t)seen < truth - tol)
        return false;
    int64_t taken = 0;
    for (size_t i = 0; i < res->n_ev; i++) {
        const struct situ_event *e = &res->ev[i];
        if (e->channel == o->channel && e->kind == STOCK_CONSUME &&
            e->t_ms <= o->created_ms)
            taken += e->mg;
    }
    int64_t true_taken = used_between(run->scene, o->channel, INT64_MIN, o->created_ms);
    int64_t d = taken > true_taken ? taken - true_taken : true_taken - taken;
    return d <= 20000 || d * 20 <= true_taken;
}

static void
score_orders(const struct situ_run *run, const struct situ_result *res,
             struct situ_score *sc)
{
    size_t n;
    const struct scene_truth *r = scene_truth(run->scene, &n);
    for (size_t j = 0; j < res->n_ord; j++) {
        const struct situ_order *o = &res->ord[j];
        if (o->predicted) {
            bool f = false_order(run, o);
            sc->orders++;
            sc->false_orders += f;
            if (f && readings_right(run, res, o)) {
                double e = early_days(run, o);
                sc->false_orders_clean++;
                sc->clean_early_max = e > sc->clean_early_max ? e : sc->clean_early_max;
            }
        }
        if (o->fulfilled_ms == 0)
            continue;
        bool delivered = false;
        for (size_t i = 0; i < n && !delivered; i++)
            delivered =
                r[i].kind == SCENE_T_REFILL && (r[i].flags & SCENE_TF_DELIVERY) &&
                r[i].order >= 0 && r[i].order < SITU_MAX_HOUSEHOLD &&
                res->household[r[i].order] == (int)j &&
                r[i].t_ms >= o->fulfilled_ms - run->policy[o->channel].close_ms &&
                r[i].t_ms <= o->fulfilled_ms + CLOCK_MS;
        sc->wrongly_closed += !delivered;
    }
    for (size_t i = 0; i < n; i++) {
        if (r[i].kind != SCENE_T_REFILL || !(r[i].flags & SCENE_TF_DELIVERY))
            continue;
        sc->deliveries++;
        int k = r[i].order >= 0 && r[i].order < SITU_MAX_HOUSEHOLD
                    ? res->household[r[i].order]
                    : -1;
        int64_t f = k >= 0 ? res->ord[k].fulfilled_ms : 0;
        sc->deliveries_missed += !(f != 0 && f >= r[i].t_ms - CLOCK_MS &&
                                   f <= r[i].t_ms + run->policy[r[i].channel].close_ms);
    }
}

void
situ_score(const struct situ_run *run, const struct situ_result *r,
           struct situ_score *sc)
{
    sc->runs++;
    for (unsigned ch = 0; ch < scene_channels(run->scene); ch++)
        score_consumes(run, r, ch, sc);
    score_refills(run, r, sc);
    score_orders(run, r, sc);
}

void
situ_dump(const struct situ_run *run, const struct situ_result *r, const char *who,
          FILE *f)
{
    size_t n;
    const struct scene_truth *t = scene_truth(run->scene, &n);
    int64_t t0 = scene_start_ms(run->scene);
    for (unsigned ch = 0; ch < scene_channels(run->scene); ch++) {
        const struct scene_item *it = scene_item(run->scene, ch);
        fprintf(
            f, "## %s, channel %u (%s: pack %lld g, container %lld g, %lld g a day)\n",
            who, ch, it->id, (long long)it->pack_mg / 1000,
            (long long)it->container_mg / 1000, (long long)it->rate_mg_per_day / 1000);
        size_t i = 0, k = 0;
        while (i < n || k < r->n_ev) {
            bool truth = k >= r->n_ev || (i < n && t[i].t_ms <= r->ev[k].t_ms);
            if (truth) {
                if (t[i].channel == ch || (t[i].plats & 1u << ch))
                    fprintf(f,
                            "   %10.4f h  truth %-13s %9.1f g  contents %8.1f g"
                            "  judged +%.1f s%s%s\n",
                            (double)(t[i].t_ms - t0) / 3.6e6,
                            scene_truth_kind_to_str((enum scene_truth_kind)t[i].kind),
                            (double)t[i].mg / 1e3, (double)t[i].contents_mg / 1e3,
                            t[i].kind == SCENE_T_CONSUME
                                ? (double)(t_ref(run, i) - t[i].t_ms) / 1e3
                                : 0.0,
                            t[i].channel != ch ? " (another item)" : "",
                            t[i].flags & SCENE_TF_UNOBSERVABLE ? " (unobservable)"
                                                               : "");
                i++;
            } else {
                if (r->ev[k].channel == ch)
                    fprintf(f, "   %10.4f h  %-5s %-13s %9.1f g  (%.3f s)\n",
                            (double)(r->ev[k].t_ms - t0) / 3.6e6, who,
                            stock_kind_to_str((enum stock_kind)r->ev[k].kind),
                            (double)r->ev[k].mg / 1e3,
                            (double)(r->ev[k].t_ms - t0) / 1e3);
                k++;
            }
        }
        for (size_t j = 0; j < r->n_ord; j++)
            if (r->ord[j].channel == ch)
                fprintf(f,
                        "   %10.4f h  %-5s order %s (%s), contents then %.1f g%s, %.1f "
                        "days before an oracle's %s\n",
                        (double)(r->ord[j].created_ms - t0) / 3.6e6, who, r->ord[j].id,
                        r->ord[j].predicted ? "predicted" : "household",
                        (double)contents_at(run->scene, ch, r->ord[j].created_ms) / 1e3,
                        r->ord[j].predicted && false_order(run, &r->ord[j]) ? ": FALSE"
                                                                            : "",
                        early_days(run, &r->ord[j]), r->ord[j].detail);
    }
}

void
situ_score_add(struct situ_score *a, const struct situ_score *b)
{
    a->runs += b->runs;
    a->takes += b->takes;
    a->true_mg += b->true_mg;
    a->attributed_mg += b->attributed_mg;
    a->false_consumes += b->false_consumes;
    a->false_consume_mg += b->false_consume_mg;
    a->false_refills += b->false_refills;
    a->orders += b->orders;
    a->false_orders += b->false_orders;
    a->false_orders_clean += b->false_orders_clean;
    if (b->clean_early_max > a->clean_early_max)
        a->clean_early_max = b->clean_early_max;
    a->wrongly_closed += b->wrongly_closed;
    a->deliveries += b->deliveries;
    a->deliveries_missed += b->deliveries_missed;
    a->late += b->late;
    for (size_t i = 0; i < b->n_lat; i++)
        lat_push(a, b->lat_ms[i]);
}

void
situ_score_fini(struct situ_score *sc)
{
    free(sc->lat_ms);
    memset(sc, 0, sizeof(*sc));
}

long
situ_score_false(const struct situ_score *sc)
{
    return sc->false_consumes + sc->false_refills + sc->false_orders +
           sc->wrongly_closed;
}

static int
by_value(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

int64_t
situ_score_latency(const struct situ_score *sc, int pm)
{
    if (sc->n_lat == 0)
        return -1;
    qsort(sc->lat_ms, sc->n_lat, sizeof(*sc->lat_ms), by_value);
    size_t i = sc->n_lat * (size_t)pm / 1000;
    return sc->lat_ms[i < sc->n_lat ? i : sc->n_lat - 1];
}
