/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two-point calibration of a load cell from live readings: average the raw
 * counts with the platform empty (tare), then with a known weight on it, check
 * that both were still and that the weight moved the reading, and give the
 * struct cond_cal conditioning uses. Used by pantry-sensors calibrate and by the
 * agent's guided calibration; pure (no clock, no I/O).
 */
#ifndef PANTRY_SENSORS_CALIB_H
#define PANTRY_SENSORS_CALIB_H

#include <stddef.h>
#include <stdint.h>

#include "sensors/cond/cond.h"
#include "sensors/sensor.h"

/* Smallest |known - tare| in counts: less means the cell is not wired right. */
#define CALIB_MIN_SPAN_RAW 100

/* Readings of one channel while nothing moves. Plain data, no cleanup. */
struct calib_avg {
    int64_t sum;      /* of the good raw counts */
    uint32_t n;       /* good samples */
    uint32_t bad;     /* samples with a fault status or a saturation code */
    int32_t min, max; /* of the good raw counts */
};

void calib_avg_init(struct calib_avg *a);

/* Count one sample: good (SAMPLE_OK, not 0x7FFFFF/-0x800000) or bad. */
void calib_avg_add(struct calib_avg *a, const struct sample *s);

/* Mean of the good counts, rounded half away from zero; -ENODATA if none. */
int calib_avg_mean(const struct calib_avg *a, int32_t *mean);

/* How far the good readings of a spread (max - min) in mg under cal's span,
 * whatever its sign; 0 without good readings. */
int64_t calib_spread_mg(const struct calib_avg *a, const struct cond_cal *cal);

/*
 * The calibration from a tare and a known weight of known_mg (1 mg..1 t).
 * Checks, in this order, each with a message in err that says what to do:
 * -ENODATA no good sample in one of them; -EIO more bad samples than good in
 * one of them (the cell or its wiring is faulty); -EINVAL |known - tare| below
 * CALIB_MIN_SPAN_RAW counts or known_mg out of range; -ERANGE the readings of
 * either step spread (max - min) over max_spread_mg once calibrated (something
 * moved: do it again). On success fills *cal and *spread_mg (the larger spread,
 * mg: the noise a user can expect) and returns 0; on failure *cal is unchanged.
 */
int calib_finish(const struct calib_avg *tare, const struct calib_avg *known,
                 int64_t known_mg, int64_t max_spread_mg, struct cond_cal *cal,
                 int64_t *spread_mg, char *err, size_t errlen);

#endif
