/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The listener's log lines (see logmsg.h). */
#include "retailer/logmsg.h"

#include <stdarg.h>
#include <stdio.h>

void
logmsg(const char *fmt, ...)
{
    char line[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    fprintf(stderr, "pantry-retailer: %s\n", line);
}
