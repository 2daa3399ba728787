/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Household demand for the closed-loop evaluation (loop-eval.c): seeded
 * scenarios written from what households do, not from what the forecaster
 * assumes, each with the item it concerns (pack, container) and the shop's
 * lead time. Uses come at times of day people use things (mornings, evenings,
 * weekends), in sizes that vary, with the events that break a forecast: a
 * holiday, a week of guests, a new baby, a shop that takes nine days. Every
 * scenario's model is in tests/eval/README.md.
 */
#ifndef PANTRY_TESTS_EVAL_DEMAND_H
#define PANTRY_TESTS_EVAL_DEMAND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/sim/closedloop.h"

/* 2026-01-05T00:00:00Z, a Monday: day 0 of every scenario. */
#define DM_EPOCH_S INT64_C(1767571200)

enum dm_scenario {
    DM_COFFEE,    /* 2-4 cups a day of 7-11 g, 500 g packs */
    DM_RICE,      /* weekday dinners 60-100 g, weekend cooking 150-350 g, 1 kg packs */
    DM_LAUNDRY,   /* 3-9 washes a week of 55-85 g, two weeks of holiday, 1.5 kg packs */
    DM_GUESTS,    /* coffee, with a week of guests using 2.5 times as much */
    DM_BABY,      /* detergent: a new baby doubles the washes from day 70 */
    DM_HEAVY,     /* flour 1.3 kg packs used 120-200 g a day: a pack in 8 days */
    DM_SMALL,     /* spice 50 g packs, 2-4 g a day */
    DM_SLOW_SHOP, /* coffee from a shop that takes 9 days */
    DM_JITTER,    /* rice from a shop that takes 5 days, give or take */
};
#define DM_SCENARIO_COUNT 9

/* "coffee", "rice", ...; "?" otherwise. */
const char *dm_scenario_to_str(enum dm_scenario s);

/* One line for tables. */
const char *dm_scenario_describe(enum dm_scenario s);

/* Name to scenario: 0, or -EINVAL. */
int dm_scenario_from_str(const char *name, enum dm_scenario *out);

struct dm_run {
    char item[16];
    int64_t pack_mg, container_mg;
    int64_t lead_s; /* the shop's mean lead time */
    int64_t days;
    struct cl_use *use; /* owned: dm_free() */
    size_t n_use;
};

/*
 * Generate `days` days (120..1000) of scenario s from seed into r. 0, -EINVAL,
 * -ENOMEM. Deterministic (integers only).
 */
int dm_generate(struct dm_run *r, enum dm_scenario s, uint64_t seed, int64_t days);

void dm_free(struct dm_run *r);

/*
 * The configuration a household of run r writes: its item's pack, container
 * and calibration, mode "auto", and nothing else (every other setting is
 * agent/config/agent-config.c's default). 0, or -EINVAL with a message in err.
 */
int dm_config(const struct dm_run *r, struct agent_config *cfg, char *err, size_t len);

#endif
