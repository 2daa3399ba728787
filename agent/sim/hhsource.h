/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A simulated household as the daemon's input (pantry-agent --household) and
 * the demand files both it and pantry-forecast simulate read.
 *
 * A demand file holds `seconds,grams` lines (when, counted from the start, and
 * how much the household wanted), '#' comments and empty lines; times never go
 * backwards; grams from 0.001 to 100000; at most 2,000,000 uses.
 *
 * The source is the shelf of household.h weighed in virtual time, closed loop
 * with the real retailer: every order of the store that a retailer shipped
 * (an ETA) is poured into its item's jar at that ETA, once. Orders the
 * retailer never ships never arrive; the household does not shop on its own.
 */
#ifndef PANTRY_AGENT_HHSOURCE_H
#define PANTRY_AGENT_HHSOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/sim/closedloop.h"
#include "agent/config/agent-config.h"
#include "sensors/sensor.h"
#include "agent/store/store.h"

#define HH_USES_MAX 2000000
#define HH_EPOCH_S INT64_C(1767225600) /* 2026-01-01T00:00:00Z: the default start */

/*
 * Read the demand file at path, times counted from epoch_s, into *out (the
 * caller frees it) and *n. 0, or a negative errno with "PATH:LINE: what was
 * expected, found what" in err.
 */
int hh_read_demand(const char *path, int64_t epoch_s, struct cl_use **out, size_t *n,
                   char *err, size_t errlen);

/*
 * The demand files spec[0..n) ("ITEM=FILE", or "FILE" when cfg has one item)
 * into items[] and uses[] (cfg's order; the caller frees every uses[i]), and
 * *last_s, the time of the last use (epoch_s if none). 0, or a negative errno
 * with a message naming the argument in err: an unknown item, a second file
 * for one item, a file that cannot be read.
 */
int hh_load_demands(const struct agent_config *cfg, const char *const *spec, size_t n,
                    int64_t epoch_s, struct cl_item *items, struct cl_use **uses,
                    int64_t *last_s, char *err, size_t errlen);

/* What pantry-agent --household simulates. */
struct hh_spec {
    const char *const *demand; /* "ITEM=FILE" arguments */
    size_t n_demand;
    int64_t start_s;           /* the demand's times count from here */
    int64_t days;              /* simulated, 0: until a day after the last use */
    int64_t start_packs_milli; /* every item's contents at the start (1000: a pack) */
    uint64_t seed;             /* the sensor noise */
    int64_t period_ms; /* sampling while nothing changes, 100..600000; 0: 30 s */
};

/*
 * The household of spec on cfg's items as a sample source (cfg must outlive
 * it). 0 and *out, or a negative errno with a message in err (the demand
 * files', or an item without a calibration). Nothing is shipped to it until it
 * is given a store.
 */
int hh_source_open(const struct hh_spec *spec, const struct agent_config *cfg,
                   struct sample_source **out, char *err, size_t errlen);

/* The store polled for shipped orders from now on; it must outlive s. */
void hh_source_use_store(struct sample_source *s, struct store *db);

/* Deliveries poured so far (for logs and tests). */
unsigned hh_source_delivered(const struct sample_source *s);

#endif
