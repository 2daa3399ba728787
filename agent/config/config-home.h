/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The home broker's settings (CONFIG.md, "Home broker"): the household's own
 * MQTT broker where the daemon publishes per-item state and Home Assistant
 * discovery, never the retailer's. config-links.c reads home = { ... } with the
 * broker's own setting table (the same struct cfg_broker, the same checks and
 * the same 0600 rule for credentials) and asks this file for what is the home
 * broker's alone: its defaults and the rule of its topic prefixes.
 */
#ifndef PANTRY_AGENT_CONFIG_HOME_H
#define PANTRY_AGENT_CONFIG_HOME_H

#include <stdbool.h>

#include "agent/config/agent-config.h"

/* The defaults of home: no url, prefix "pantry", discovery_prefix
 * "homeassistant", discovery on, commands off, TLS verification on, keepalive
 * 60 s, a clean session (session_expiry 0). */
void cfg_home_defaults(struct cfg_home *h);

/*
 * A topic prefix of the home broker: 1..CFG_HOME_PREFIX_MAX-1 bytes of topic
 * levels of A-Z, a-z, 0-9, _ . and - joined by '/', no empty level, no
 * wildcard, not starting with '$' (the broker's own topics).
 */
bool cfg_home_prefix_ok(const char *v);

/* After the load: the client id, when not set, is the device id and "-home"
 * (cut to fit 63 bytes), so that one broker serving both links never sees
 * the same client twice. */
void cfg_home_finish(struct cfg_home *h, const char *device_id);

#endif
