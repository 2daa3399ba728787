/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Weekly delivery windows as people write them ("mon-fri 07:00-09:00",
 * "sat,sun 10:00-14:00", "daily 18:00-24:00"), shared by the agent (its
 * configuration, pantryctl) and the retailer (its --windows): parsing,
 * formatting, and whether a household's windows meet a retailer's when each
 * is in its own local time.
 */
#ifndef PANTRY_MSG_WINDOW_H
#define PANTRY_MSG_WINDOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/delivery.h"

/*
 * "DAYS HH:MM-HH:MM" (untrusted): DAYS "daily" or a comma list of mon..sun and
 * ranges like "mon-fri" or "fri-mon" (wrapping the week); hours 00:00..24:00,
 * from before until. true with *w filled, false (w unchanged) otherwise.
 */
bool window_parse(const char *v, struct delivery_window *w);

/* w as window_parse() reads it ("mon-fri 07:00-09:00"); buf of at least 48
 * bytes. */
void window_format(const struct delivery_window *w, char *buf, size_t len);

/*
 * Whether some time lies in one of a's na windows (local time UTC + off_a_s)
 * and in one of b's nb windows (UTC + off_b_s), the same week after week.
 * No windows (na or nb 0) means any time: true. Offsets within +-18 h.
 */
bool window_meets(const struct delivery_window *a, size_t na, int32_t off_a_s,
                  const struct delivery_window *b, size_t nb, int32_t off_b_s);

#endif
