/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's Grocy in the configuration (CONFIG.md, "Grocy"): the
 * grocy = { url; api_key_file; mode; timeout; ca_file; } group, read here so config.c
 * does not grow, and the API key file read for the daemon (mode 0600 or
 * stricter, refused when anyone but the owner may read it; the key is never
 * logged). Each function reports what is wrong and where; config.c turns that
 * into the "FILE:LINE: PATH: ..." message.
 */
#ifndef PANTRY_AGENT_CONFIG_GROCY_H
#define PANTRY_AGENT_CONFIG_GROCY_H

#include <libconfig.h>
#include <stddef.h>

#include "agent/config/agent-config.h"

/* The longest API key accepted (Grocy's are 50 characters). */
#define CFG_GROCY_KEY_MAX 128

/*
 * Read grocy = { url = "https://grocy.example/api"; api_key_file = "/etc/...";
 * mode = "stock" | "shopping_list"; timeout = "30s"; ca_file = "/etc/...";
 * } from the group s
 * (untrusted: url http:// or https://, a host, no user info, query or
 * fragment, printable ASCII, at most CFG_GROCY_URL_MAX - 1 bytes, a trailing
 * '/' dropped; api_key_file absolute; mode default "stock"; timeout 1 s .. 5
 * min, default 30 s; ca_file absolute, default "" (the system's CAs); nothing
 * else) into g. Returns 0, or -EINVAL with *where
 * the setting at fault and "expected ..., found ..." in err; g is unchanged
 * then.
 */
int cfg_grocy_read(const config_setting_t *s, struct cfg_grocy *g,
                   const config_setting_t **where, char *err, size_t errlen);

/*
 * The API key in path into key (CFG_GROCY_KEY_MAX + 1 bytes): a regular file,
 * not readable or writable by group or others, its first line 1..
 * CFG_GROCY_KEY_MAX printable ASCII characters without spaces (a final
 * newline allowed, nothing after it). Returns 0, or a negative errno with the
 * reason (never the key) in err; key is wiped on failure.
 */
int cfg_grocy_key_load(const char *path, char *key, char *err, size_t errlen);

#endif
