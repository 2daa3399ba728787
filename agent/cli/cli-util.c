/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The command-line tools' shared messages and option numbers (cli-util.h):
 * written once here so pantryctl and pantry-sensors word a usage error, a
 * failure and a bad number the same way, and return the same exit statuses.
 */
#include <stdarg.h>
#include <stdio.h>

#include "agent/cli/cli-util.h"
#include "sensors/text.h"

static const char *prog = "?";

void
cli_set_prog(const char *name)
{
    prog = name;
}

/* "PROG: " and the message, without its end of line. */
static void say(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static void
say(const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: ", prog);
    vfprintf(stderr, fmt, ap);
}

int
cli_usage_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    return CLI_EXIT_USAGE;
}

int
cli_fail(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say(fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAILED;
}

bool
cli_parse_num(const char *s, int64_t min, int64_t max, int64_t *out)
{
    int64_t v;

    if (!text_parse_uint(s, 12, false, &v) || v < min || v > max)
        return false;
    *out = v;
    return true;
}
