/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict pieces of the project's line-oriented text formats (stock event
 * traces, sample traces): a bounded line reader, whole-string decimal numbers
 * with a digit cap, identifiers of [a-z0-9_-], and the error message helper
 * every reader uses. Shared so that each format rejects the same things in the
 * same words.
 */
#ifndef PANTRY_SENSORS_TEXT_H
#define PANTRY_SENSORS_TEXT_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * An unsigned decimal of 1..max_digits digits (max_digits <= 18), the whole
 * string; leading zeros only when allowed (fixed-width date fields need them).
 */
bool text_parse_uint(const char *s, size_t max_digits, bool leading_zeros,
                     int64_t *out);

/*
 * Grams with up to three decimals ("12", "12.345"), at most 1,000,000 g (the
 * models' mass range), into milligrams. 0 or -EINVAL; *mg untouched on error.
 */
int text_parse_grams(const char *s, int64_t *mg);

/* The same with an optional '-' (no "-0"), leading zeros never allowed. */
bool text_parse_int(const char *s, size_t max_digits, int64_t *out);

/* 1..max_len-1 characters of a-z, 0-9, '_' and '-'. */
bool text_is_id(const char *s, size_t max_len);

/* The same with A-Z too: the ids of the message contract (order, device,
 * retailer, agent/msg/message.h). */
bool text_is_name(const char *s, size_t max_len);

/* What text_read_line() found. */
enum text_line {
    TEXT_LINE_EOF,     /* the end of the file, nothing read */
    TEXT_LINE_OK,      /* a line ended by a newline */
    TEXT_LINE_UNENDED, /* the file's last bytes, without a newline: cut short? */
    TEXT_LINE_LONG,    /* more than max bytes before a newline */
    TEXT_LINE_ERROR,   /* a read error (ferror(f); errno says which) */
};

/*
 * Read one line of at most max bytes, without its newline, into buf (max + 1
 * bytes), NUL-terminated after *len bytes; the line itself may hold NUL bytes,
 * which callers reject. Memory is bounded by max whatever the file holds: a
 * longer line stops the read (TEXT_LINE_LONG, *len = max, the rest of the line
 * is not consumed). With TEXT_LINE_UNENDED, buf holds the unended bytes.
 */
enum text_line text_read_line(FILE *f, char *buf, size_t max, size_t *len);

/*
 * The message for a line that text_read_line() did not return whole (LONG,
 * UNENDED or ERROR), in the words every reader uses, into err; -EINVAL, or
 * -EIO for ERROR. No file or line prefix: callers add "file:line: ".
 */
int text_line_error(enum text_line what, size_t max, char *err, size_t errlen);

/* Format a message for the user into err (unless NULL or errlen 0); -EINVAL. */
int text_error(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* text_error() for wrappers that take their own arguments (and return their own
 * code); ap is used up, as by vsnprintf(). */
void text_verror(char *err, size_t errlen, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * The number of code points in the len bytes at s, or -1 when they are not
 * well-formed UTF-8 (RFC 3629: no overlong forms, no surrogates, at most
 * U+10FFFF).
 */
long text_utf8_count(const char *s, size_t len);

/*
 * The UTF-8 sequence at s, of the left bytes there: its length in bytes, its
 * code point in *cp; -1 when it is not well-formed by the same rules (or is
 * cut short).
 */
int text_utf8_next(const char *s, size_t left, uint32_t *cp);

#endif
