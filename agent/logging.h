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

/*
 * The levels of log lines, most severe first. They live here, not in
 * agent-config.h, so that logging depends on nothing: the configuration's
 * log_level setting takes their names (log_level_names), and agent-config.h
 * includes this header. The cfg_ names are the setting's, kept for its users.
 */
enum cfg_log {
    CFG_LOG_ERROR,
    CFG_LOG_WARNING,
    CFG_LOG_NOTICE,
    CFG_LOG_INFO,
    CFG_LOG_DEBUG
};
#define CFG_LOG_COUNT 5

/* "error" "warning" "notice" "info" "debug", in the order of enum cfg_log,
 * and NULL after them. */
extern const char *const log_level_names[CFG_LOG_COUNT + 1];

/* The name of level, "?" when it is none of them. */
const char *log_level_to_str(enum cfg_log level);

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
