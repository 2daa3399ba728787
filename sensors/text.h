/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict pieces of the project's line-oriented text formats (stock event
 * traces, sample traces): whole-string decimal numbers with a digit cap,
 * identifiers of [a-z0-9_-], and the error message helper every reader uses.
 * Shared so that each format rejects the same things in the same words.
 */
#ifndef PANTRY_SENSORS_TEXT_H
#define PANTRY_SENSORS_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * An unsigned decimal of 1..max_digits digits (max_digits <= 18), the whole
 * string; leading zeros only when allowed (fixed-width date fields need them).
 */
bool text_parse_uint(const char *s, size_t max_digits, bool leading_zeros,
                     int64_t *out);

/* The same with an optional '-' (no "-0"), leading zeros never allowed. */
bool text_parse_int(const char *s, size_t max_digits, int64_t *out);

/* 1..max_len-1 characters of a-z, 0-9, '_' and '-'. */
bool text_is_id(const char *s, size_t max_len);

/* Format a message for the user into err (unless NULL or errlen 0); -EINVAL. */
int text_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
