/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * UTC times as RFC 3339 text with whole seconds, "YYYY-MM-DDTHH:MM:SSZ": the
 * one form used in messages, traces and logs. Proleptic Gregorian calendar,
 * computed with integers (H. Hinnant's civil-date algorithms), independent of
 * the C library's time zone handling.
 */
#ifndef PANTRY_MSG_UTC_H
#define PANTRY_MSG_UTC_H

#include <stddef.h>
#include <stdint.h>

#define UTC_TEXT_LEN 21 /* "2026-10-01T07:30:00Z" and the NUL */

/*
 * Parse exactly YYYY-MM-DDTHH:MM:SSZ (years 1970..9999, real dates, no leap
 * second) into seconds since the epoch. Returns 0, or -EINVAL for anything else.
 */
int utc_parse(const char *s, int64_t *t_s);

/* Format t_s (any int64 whose year fits four digits) into buf (len >= 21). */
void utc_format(int64_t t_s, char *buf, size_t len);

/*
 * A duration as people write it in configurations, traces and options: a
 * decimal of 1..9 digits and one unit, s, m, h or d, the whole string ("30s",
 * "15m", "2h", "7d"), at most max_s seconds. Returns 0 with the seconds in
 * *out_s, or -EINVAL.
 */
int utc_parse_duration(const char *s, int64_t max_s, int64_t *out_s);

/* Days since 1970-01-01 of a proleptic Gregorian date (m 1..12, d 1..31). */
int64_t utc_days_from_civil(int64_t y, int64_t m, int64_t d);

/* The date of a day since 1970-01-01 (its inverse). */
void utc_civil_from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d);

#endif
