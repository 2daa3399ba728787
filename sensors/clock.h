/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The only place in sensors/ that reads the system clock: the wall clock in
 * milliseconds since the epoch (what samples are dated with) and the monotonic
 * clock in microseconds (what the HX711 bit-bang times its pulses with, and what
 * a live loop sleeps on). Everything else takes now_ms from its caller, so tests
 * and replays run on virtual time.
 */
#ifndef PANTRY_SENSORS_CLOCK_H
#define PANTRY_SENSORS_CLOCK_H

#include <stdint.h>

/* CLOCK_REALTIME in ms since 1970-01-01 UTC. */
int64_t clock_wall_ms(void);

/* CLOCK_MONOTONIC in microseconds (an arbitrary origin). */
int64_t clock_mono_us(void);

/* The seam shape (struct gpio_seam_ops.now_us): clock_mono_us, ctx unused. */
int64_t clock_mono_us_cb(void *ctx);

#endif
