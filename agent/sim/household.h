/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated household and the shelf it uses: the world of the closed loop
 * (closedloop.h) and of pantry-agent --household. Each configured item stands
 * on its load cell; the household takes what its demand says (what is not
 * there is lost demand), lifting the jar for 15 s and putting it back lighter;
 * a delivery lifts it for 30 s and puts it back with the packs poured in. The
 * cell's raw counts follow the item's calibration with HX711-like noise, read
 * every idle_ms while nothing happens and every 100 ms from a second before a
 * change to 10 s after it.
 *
 * A ledger per item keeps the contents and the scores every policy is judged
 * by: demand served and lost, stockout days, and excess stock (the time
 * integral, sampled hourly, of the contents above the last delivery, a pack at
 * least, and what the next lead time (mean x 1.5) and review period truly
 * need).
 *
 * Times are Unix seconds unless named _ms; masses mg. Pure computation: no I/O,
 * no allocation beyond a ledger's prefix sums.
 */
#ifndef PANTRY_AGENT_HOUSEHOLD_H
#define PANTRY_AGENT_HOUSEHOLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/sim/closedloop.h"
#include "agent/config/agent-config.h"
#include "sensors/sensor.h"

#define HH_MAX_DELIVERIES 16 /* deliveries waiting to be poured, per item */

/* splitmix64 (Steele, Lea, Flood 2014): the next of the sequence s. */
uint64_t hh_mix(uint64_t *s);

/* The true mean lead of item: c's, else the item's configured lead. */
int64_t hh_lead_mean_s(const struct agent_config *cfg, const struct cl_config *c,
                       unsigned item);

/* What "needed" looks ahead for item: its mean lead x 1.5 and its review. */
int64_t hh_horizon_s(const struct agent_config *cfg, const struct cl_config *c,
                     unsigned item);

/* ---- the world of one item, the same for every policy ---- */

struct hh_ledger {
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

/* 0, or -ENOMEM. Scores go to *m. */
int hh_ledger_init(struct hh_ledger *l, const struct cl_item *w, struct cl_metrics *m,
                   int64_t start_s, int64_t horizon_s, int64_t order_mg);
/* The household wants mg at t: returns what it got. */
int64_t hh_take(struct hh_ledger *l, int64_t t, int64_t mg);
/* mg arrive at t. */
void hh_deliver(struct hh_ledger *l, int64_t t, int64_t mg);
/* Account up to end_s and free. */
void hh_ledger_fini(struct hh_ledger *l, int64_t end_s);

/* ---- the shelf the agent weighs ---- */

struct hh_act {
    int64_t start_ms;
    int64_t delta_mg; /* < 0 a take, > 0 a delivery */
};

struct hh_cell {
    const struct cfg_item *it;
    struct cond_cal cal;
    uint16_t channel;
    uint64_t rng;
    int64_t next_ms;  /* the next sample */
    int64_t gross_mg; /* on the platform while no action runs */
    bool in_act;      /* lifted now, or just put back */
    int64_t lift_ms, back_ms, quiet_ms, after_mg;
    struct hh_act deliveries[HH_MAX_DELIVERIES];
    size_t n_del;
};

struct hh_shelf {
    const struct agent_config *cfg;
    const struct cl_config *c;
    size_t n;
    struct hh_ledger led[CFG_MAX_ITEMS];
    struct hh_cell cell[CFG_MAX_ITEMS];
};

/*
 * The shelf of cfg's items (items[i] the world of cfg->items[i], m[i] its
 * scores) from c->start_s. 0; -EINVAL with a message in err when an item has
 * no calibration; -ENOMEM. hh_shelf_fini() it either way.
 */
int hh_shelf_init(struct hh_shelf *s, const struct agent_config *cfg,
                  const struct cl_item *items, const struct cl_config *c,
                  struct cl_metrics *m, char *err, size_t errlen);
/* The next thing the shelf does (a sample, a use, a delivery), ms. */
int64_t hh_shelf_due(const struct hh_shelf *s);
/* Pour mg into item's jar at at_ms (or when the action then running ends). */
int hh_shelf_deliver(struct hh_shelf *s, unsigned item, int64_t at_ms, int64_t mg);
/* Start the actions due at now: a delivery first, then the next use. */
void hh_shelf_actions(struct hh_shelf *s, int64_t now);
/* The samples due at now, into out[] (room for s->n): how many. */
size_t hh_shelf_samples(struct hh_shelf *s, int64_t now, struct sample *out);
/* The ledgers accounted up to end_s, and freed. */
void hh_shelf_fini(struct hh_shelf *s, int64_t end_s);

#endif
