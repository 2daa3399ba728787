/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Logging of the daemon to stderr: under systemd the journal takes stderr, and a
 * "<N>" syslog priority prefix sets each line's level (sd-daemon(3)); in a
 * terminal (--foreground) each line has a UTC time stamp and the level's name.
 * Messages never contain key material: callers pass paths and ids, not keys.
 */
#ifndef PANTRY_AGENT_LOG_H
#define PANTRY_AGENT_LOG_H

#include <stdbool.h>

#include "config.h"

/* Lines above level are dropped; journal: the "<N>" prefix instead of time. */
void log_setup(enum cfg_log level, bool journal);

/* True when stderr is the journal (JOURNAL_STREAM matches stderr's device/inode). */
bool log_stderr_is_journal(void);

void log_msg(enum cfg_log level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_error(...) log_msg(CFG_LOG_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(CFG_LOG_WARNING, __VA_ARGS__)
#define log_notice(...) log_msg(CFG_LOG_NOTICE, __VA_ARGS__)
#define log_info(...) log_msg(CFG_LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(CFG_LOG_DEBUG, __VA_ARGS__)

#endif
