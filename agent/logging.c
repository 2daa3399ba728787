/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * stderr logging (see logging.h). One write per line, so lines of concurrent
 * writers never interleave mid-line in the journal. It depends on nothing of
 * the daemon's: the clock and the UTC text form only, both leaves, so that any
 * module may log and logging never calls back into one.
 */
#include "agent/logging.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensors/clock.h"
#include "agent/msg/utc.h"

const char *const log_level_names[CFG_LOG_COUNT + 1] = {
    "error", "warning", "notice", "info", "debug", NULL,
};

static enum cfg_log max_level = CFG_LOG_INFO;
static bool to_journal;

const char *
log_level_to_str(enum cfg_log level)
{
    return (unsigned)level < CFG_LOG_COUNT ? log_level_names[level] : "?";
}

void
log_setup(enum cfg_log level, bool journal)
{
    max_level = level;
    to_journal = journal;
}

bool
log_stderr_is_journal(void)
{
    const char *js = getenv("JOURNAL_STREAM");
    unsigned long long dev, ino;
    struct stat st;

    if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2 ||
        fstat(STDERR_FILENO, &st) < 0)
        return false;
    return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void
log_msg(enum cfg_log level, const char *fmt, ...)
{
    /* syslog priorities: err 3, warning 4, notice 5, info 6, debug 7 */
    static const int prio[] = {3, 4, 5, 6, 7};
    char line[1024];
    int n;
    va_list ap;

    if (level > max_level)
        return;
    if (to_journal) {
        n = snprintf(line, sizeof(line), "<%d>", prio[level]);
    } else {
        char t[UTC_TEXT_LEN];
        utc_format(clock_wall_ms() / 1000, t, sizeof(t));
        n = snprintf(line, sizeof(line), "%s %s: ", t, log_level_to_str(level));
    }
    va_start(ap, fmt);
    n += vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
    va_end(ap);
    if (n > (int)sizeof(line) - 2)
        n = (int)sizeof(line) - 2;
    line[n++] = '\n';
    if (write(STDERR_FILENO, line, (size_t)n) < 0) {
        /* Nowhere left to report it. */
    }
}
