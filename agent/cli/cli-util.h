/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the command-line tools (pantryctl, pantry-sensors) say the same way:
 * a usage error with the hint to --help, a failure, and a bounded decimal
 * option value. Each message starts with the program's name, given once by
 * cli_set_prog() at the top of main().
 */
#ifndef PANTRY_AGENT_CLI_UTIL_H
#define PANTRY_AGENT_CLI_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#define CLI_EXIT_FAILED 1
#define CLI_EXIT_USAGE 2

/* The name messages start with ("pantryctl"); kept, not copied: a literal. */
void cli_set_prog(const char *prog);
/* "PROG: ...", then "Try 'PROG --help'." on stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "PROG: ..." on stderr; returns CLI_EXIT_FAILED. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/*
 * s as a decimal number of at most 12 digits (no sign, no spaces) in
 * min..max, into *out; false (and *out untouched) otherwise.
 */
bool cli_parse_num(const char *s, int64_t min, int64_t max, int64_t *out);

#endif
