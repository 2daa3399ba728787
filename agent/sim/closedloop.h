/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The closed loop: a simulated household and retailer around the daemon's real
 * pipeline, to judge its decisions as they would play out. Each configured item
 * stands on its load cell; the household takes what its demand says (what is
 * not there is lost demand), lifting the jar and putting it back as a person
 * does; the load cell's raw counts (the item's calibration, HX711-like noise,
 * sampled sparsely while nothing happens and at 10 Hz around every change) go
 * through pipeline_sample() and pipeline_tick() in the order pantry-agent's
 * replay loop uses. Every order the pipeline queues is taken by a simulated
 * broker a second later and accepted by the retailer a minute after that; its
 * packs arrive after a true lead time (the mean times a factor drawn per order,
 * the same draws for every policy) and are poured into the jar. An order that
 * waits for confirmation is confirmed by the household after a while; a
 * cancelled one is not delivered; an expired one still is. With `corrects`,
 * the household also cancels orders that come too early and orders by hand
 * when it runs out, and the corrections are counted per quarter of the run.
 *
 * Beside it the same household and retailer with two plain policies: a
 * threshold scale (one pack ordered when the contents fall below a share of a
 * pack, none while one is on its way) and an oracle that knows the future
 * demand and the true lead of its next order, and orders one pack at the last
 * moment that still avoids running dry (several may be on their way).
 *
 * Scores per item: demand and lost demand, stockout days (calendar days, from
 * the start, with demand that could not be served), excess stock (the time
 * integral, sampled hourly, of the contents above the last delivery (the cycle
 * stock the policy chose, one pack at least) and what the next lead time
 * (mean x 1.5) and review period truly need, in pack-days: what ordering early
 * costs), orders placed and delivered, grams delivered.
 *
 * Times are Unix seconds unless named _ms; masses mg. Not a pure module: it
 * opens a temporary store (in /dev/shm when there is one) and frees it.
 */
#ifndef PANTRY_AGENT_CLOSEDLOOP_H
#define PANTRY_AGENT_CLOSEDLOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"

/* One use of an item: at t_s, mg wanted. */
struct cl_use {
    int64_t t_s;
    int64_t mg;
};

/* The world of one configured item. */
struct cl_item {
    const struct cl_use *use; /* sorted by t_s; the caller's */
    size_t n_use;
    int64_t start_mg; /* contents at the start, >= 0 */
};

struct cl_config {
    uint64_t seed;        /* the lead-time draws and the sensor noise */
    int64_t start_s;      /* the shelf starts (the pipeline's first time) */
    int64_t end_s;        /* and stops, > start_s */
    int64_t lead_mean_s;  /* the true mean lead; <= 0: each item's configured lead */
    uint32_t lead_lo_pct; /* the factor of each order's lead: uniform in */
    uint32_t lead_hi_pct; /* [lo, hi] percent of the mean (80 .. 150) */
    int64_t idle_ms;      /* sampling period while nothing changes (30 s) */
    int64_t confirm_s;    /* a planned order is confirmed this long after (12 h) */
    int64_t noise_mg;     /* standard deviation of the load cell's noise (0.3 g) */
    /*
     * A household that corrects the agent (agent/pipeline/learn.h): it cancels a
     * predicted order (or declines one waiting for confirmation) that comes too
     * early, when the contents would last longer than the true mean lead plus
     * early_s (3 days), and orders by hand (reason "manual") when the jar is
     * empty and nothing is on its way, at most once a day. "Would last" is
     * judged as a person does, by the jar and the household's own use of the
     * last 28 days; with `foresees`, by the uses to come (a household that
     * knows its next weeks: its cancels then carry what no forecast can know).
     */
    bool corrects;
    bool foresees;
    int64_t early_s;
    bool no_learning; /* the agent does not learn from corrections (a baseline) */
};

/* Defaults (the values in brackets above) for start_s .. end_s. */
void cl_config_default(struct cl_config *c, int64_t start_s, int64_t end_s);

enum cl_policy {
    CL_AGENT,     /* the daemon's pipeline */
    CL_THRESHOLD, /* a threshold scale (threshold_pct) */
    CL_ORACLE,    /* knows the future */
};

/* "agent", "threshold", "oracle"; "?" otherwise. */
const char *cl_policy_to_str(enum cl_policy p);

struct cl_order {
    int64_t placed_s; /* queued (the agent), or decided */
    int64_t arrive_s; /* when its packs arrive, or 0 if they never do */
    uint32_t packs;
    uint16_t item;  /* index into the configuration's items */
    bool predicted; /* not asked for by a person */
    char state[16]; /* the agent's order state at the end, "" for baselines */
};

struct cl_metrics {
    int64_t demand_mg, lost_mg;
    int32_t stockout_days;
    int32_t stockout_days_learnt; /* of them, after the first delivery arrived */
    int32_t out_day[8];           /* the first stockout days, from 0 */
    int64_t excess_mg_s;          /* divide by pack_mg * 86400 for pack-days */
    int32_t orders, delivered;
    int64_t delivered_mg;
    int64_t first_lead_s; /* the true lead of the first order, 0: none */
    /* corrects: predicted orders cancelled or declined, orders by hand, and
     * both per quarter of the run (the agent only) */
    int32_t cancels, manual;
    int32_t corrections_q[4];
};

struct cl_result {
    struct cl_metrics item[CFG_MAX_ITEMS];
    size_t n_items;
    struct cl_order *ord; /* owned: cl_result_fini() */
    size_t n_ord, cap_ord;
    uint64_t samples; /* fed to the pipeline (the agent) */
};

void cl_result_fini(struct cl_result *r);

/* Excess stock of an item in pack-days. */
double cl_excess_pack_days(const struct cl_metrics *m, int64_t pack_mg);

/*
 * Run policy over cfg's items (items[i] is the world of cfg->items[i]) from
 * c->start_s to c->end_s; threshold_pct (1..100) only for CL_THRESHOLD. The
 * agent runs with cfg exactly as given (the caller sets mode = "auto" if it
 * wants the agent to order on its own), with a temporary store. Returns 0 and
 * *out (fini it), or a negative errno with a message in err: -EINVAL (a bad
 * argument, an item without a calibration), -ENOMEM, or the store's.
 */
int cl_run(const struct agent_config *cfg, const struct cl_item *items,
           const struct cl_config *c, enum cl_policy policy, uint32_t threshold_pct,
           struct cl_result *out, char *err, size_t errlen);

#endif
