/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The "expected X, found Y" of a setting for the configuration's files that
 * read a group of their own (config-wishes.c, config-feeds.c, config-grocy.c):
 * what the user wrote, a string quoted (cut at 60 bytes), else its kind.
 * config.c turns the message and the setting into "FILE:LINE: PATH: ...".
 */
#ifndef PANTRY_AGENT_CONFIG_FOUND_H
#define PANTRY_AGENT_CONFIG_FOUND_H

#include <libconfig.h>
#include <stddef.h>

/* What s is, for "found ...": "\"text\"", "a group", "a list of 3", ... */
void cfg_found(const config_setting_t *s, char *buf, size_t len);

/* *where = s and "expected <expected>, found <s>" in err; returns -EINVAL. */
int cfg_expected(const config_setting_t *s, const config_setting_t **where, char *err,
                 size_t errlen, const char *expected);

#endif
