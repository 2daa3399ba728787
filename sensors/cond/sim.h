/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household simulator: seeded, deterministic streams of raw load-cell
 * samples for up to SENSOR_MAX_CHANNELS shelf places, and beside them the TRUE
 * stock events that produced them, so conditioning can be scored against ground
 * truth over years of simulated use. What it simulates (sensors/cond/README.md):
 * pours (item lifted, away 5-60 s, returned lighter), dispensing without a lift,
 * top-up refills across a lift, finished packs taken away and replaced hours
 * later, bumps and moves (transients), HX711-like noise, zero wander with the
 * daily temperature cycle, creep after load changes, spikes and garbage codes,
 * and a sensor unplugged for hours (EIO or timeout samples, or silence). Raw counts relate
 * to grams by a per-channel calibration (sim_cal()).
 *
 * A fast mode samples at idle_period_ms away from activity, so 1,000 days of a
 * shelf run in seconds while every action is still sampled at period_ms.
 */
#ifndef PANTRY_SENSORS_SIM_H
#define PANTRY_SENSORS_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensors/cond/cond.h"
#include "sensors/sensor.h"

struct sim_config {
    uint64_t seed;
    int64_t start_ms;       /* first sample */
    int64_t days;           /* length of the simulation, 1..100000 */
    unsigned channels;      /* 1..SENSOR_MAX_CHANNELS */
    int64_t period_ms;      /* sampling period: 100 (10 Hz) or 12 (80 Hz), 1..1000 */
    int64_t idle_period_ms; /* fast mode: period away from activity; 0: period_ms */
    int64_t noise_mg;       /* standard deviation of the ADC noise */
    int64_t pack_mg;        /* contents of one pack */
    int64_t container_mg;   /* weight of the container */
    int64_t uses_per_day;   /* mean actions per channel and day, 1..100 */
    int64_t min_use_mg;     /* amount of one pour or dispense: min..max */
    int64_t max_use_mg;
    int64_t wander_mg;         /* zero wander amplitude (daily triangle) */
    int64_t creep_ppm;         /* creep after a load change, of the change */
    uint32_t spike_ppm;        /* per sample: a garbage code or a bad status */
    int64_t unplug_every_days; /* mean days between unplugs per channel; 0: never */
};

/*
 * Defaults: 10 Hz, no fast mode, noise 0.3 g, 500 g packs in a 250 g container,
 * 4 uses a day of 10 to 120 g, wander 1 g, creep 300 ppm, 100 ppm garbage, an
 * unplug every 200 days.
 */
void sim_config_default(struct sim_config *c, uint64_t seed, int64_t days,
                        unsigned channels);

struct sim;

/*
 * A simulator. Returns 0 and *out (the caller's, sim_free()), -EINVAL for a
 * config out of range, -ENOMEM.
 */
int sim_new(const struct sim_config *c, struct sim **out);
void sim_free(struct sim *s);

/*
 * The next sample in time order over all channels: 1 and *out, or 0 at the end.
 * Returns -ENOMEM if the truth could not be stored.
 */
int sim_next(struct sim *s, struct sample *out);

/*
 * True stock events so far (owned by s, valid until the next sim_next/sim_free),
 * in the order they were planned: per channel in time order. Times are when the
 * action finished: an item back on the shelf, a dispenser let go of, a lift for
 * EMPTY, the start and end of an unplug for FAULT and FAULT_END.
 * CONSUME/REFILL carry the amount; AWAY and EMPTY the gross weight that left;
 * MOVED the gross weight after.
 */
const struct stock_event *sim_truth(const struct sim *s, size_t *n);

/* The calibration of a channel: counts at zero load and counts per kg. */
void sim_cal(const struct sim *s, unsigned channel, struct cond_cal *out);

/*
 * Run a whole simulation into a trace (channels named ch0, ch1, ...; calibration
 * as annotations) and its true events into truth as lines 'T_MS CHANNEL KIND MG'
 * under the header '# pantry-truth v1'. Returns 0, -EIO, or an error of sim_new.
 */
int sim_write(const struct sim_config *c, FILE *trace, FILE *truth);

#endif
