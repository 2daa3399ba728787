/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Small pieces every part of the retailer needs and that the shared message
 * code does not have: the error-message helper, the identifier rule of the
 * contract, durations as the command line writes them (30s, 15m, 2h, 7d), and
 * UTF-8 checks for untrusted text, and the clock.
 */
#ifndef PANTRY_RETAILER_RUTIL_H
#define PANTRY_RETAILER_RUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Format a message into err (unless NULL or errlen 0). Returns -EINVAL. */
int rutil_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* An id of the contract: 1..max_len-1 bytes of [A-Za-z0-9_-], the whole string. */
bool rutil_is_id(const char *s, size_t max_len);

/*
 * A duration: a decimal of 1..9 digits and one unit, s, m, h or d, the whole
 * string ("30s", "15m", "2h", "7d"), at most 100 years. Returns 0 with
 * seconds in *out_s, or -EINVAL.
 */
int rutil_parse_duration(const char *s, int64_t *out_s);

/*
 * The number of code points in the len bytes at s, or -1 when they are not
 * well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF).
 */
long rutil_utf8_count(const char *s, size_t len);

/*
 * The clock: the only place the retailer reads it. Wall time in seconds since
 * the epoch (for iat windows, acks, records) and a monotonic time in
 * milliseconds (for idle time and backoff).
 */
int64_t rutil_now_s(void);
int64_t rutil_monotonic_ms(void);

#endif
