/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * When a delivery may come: the household's weekly windows (days of the week
 * and hours, in its local time) and its away periods (UTC intervals in which
 * nobody takes a delivery). delivery_next() answers the first allowed moment
 * at or after a time; the agent plans an order against it, so that the first
 * moment a delivery could come after the lead time is what must come before
 * the predicted runout. Pure: no clock, no time zone database; the agent
 * supplies the local time's offset from UTC.
 *
 * Units: times in seconds since the epoch (int64_t, UTC), window bounds in
 * minutes of the local day (0..1440), offsets in seconds (-18 h..+18 h).
 */
#ifndef PANTRY_MODELS_DELIVERY_H
#define PANTRY_MODELS_DELIVERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/units.h"

#define DELIVERY_MAX_WINDOWS 8
#define DELIVERY_MAX_AWAY 8
#define DELIVERY_OFFSET_MAX_S (18 * 3600)

/* Days of the week as bits: Monday bit 0 .. Sunday bit 6. */
#define DELIVERY_DAYS_ALL 0x7fu

struct delivery_window {
    uint8_t days;       /* DELIVERY_DAYS_ALL bits, at least one */
    uint16_t from_min;  /* local minutes of the day, 0..1439 */
    uint16_t until_min; /* from_min < until_min <= 1440 (24:00) */
};

struct delivery_away {
    int64_t from_s, until_s; /* [from, until), from < until */
    bool before; /* deliveries wanted before from rather than after until; the
                    agent plans with it, delivery_next() does not read it */
};

/*
 * The first time >= t_s at which a delivery may come: inside one of the n
 * windows (n == 0: at any time) in local time (UTC + utc_offset_s, clamped
 * to +-DELIVERY_OFFSET_MAX_S), and not inside one of the n_away away periods.
 * Windows without a day, or with bounds out of range, are ignored. Returns
 * MODELS_NEVER when no window is usable, or t_s is MODELS_NEVER or negative
 * beyond the epoch's week; never less than t_s otherwise.
 */
int64_t delivery_next(const struct delivery_window *w, size_t n, int32_t utc_offset_s,
                      const struct delivery_away *away, size_t n_away, int64_t t_s);

/* Monday 0 .. Sunday 6 of local time t_s (t_s >= 0), for tests and display. */
unsigned delivery_weekday(int64_t local_s);

#endif
