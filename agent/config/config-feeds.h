/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scales and buttons that publish on the home broker, as the configuration
 * gives them (CONFIG.md, "Scales and buttons over MQTT"): a channel's
 * mqtt = { topic; format; interval; } (an ESPHome sensor's state topic) and a
 * button's zigbee2mqtt = { topic; actions = { single = "order"; ... }; }.
 * config-items.c hands those groups here, so that file does not grow with
 * them; every function reports what is wrong and where, and the loader turns
 * that into the "FILE:LINE: PATH: ..." message. Nothing here keeps state.
 */
#ifndef PANTRY_AGENT_CONFIG_FEEDS_H
#define PANTRY_AGENT_CONFIG_FEEDS_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"

/* A home broker is configured: scales and buttons on MQTT need one. */
#define CFG_FEEDS_HOME_GIVEN(c) ((c)->home.broker.url[0] != '\0')

/* The feed is silent (a fault follows) this long after its last message:
 * two intervals, at least 30 s (a Wi-Fi scale's reconnect). */
int64_t cfg_feed_stale_ms(const struct cfg_feed *f);

/*
 * Read a channel's mqtt = { topic = "..."; format = "grams" | "raw";
 * interval = "60s"; } (the group s, untrusted: topic required, 1..127 bytes
 * of printable ASCII, no + or #, no empty level, not $...; interval 1 s..1 h,
 * default 60 s, ESPHome's hx711 default) into ch->feed, and ch->source.
 * Returns 0, or -EINVAL with *where the setting at fault and "expected ...,
 * found ..." in err; ch->feed is unchanged then.
 */
int cfg_feeds_channel(const config_setting_t *s, struct cfg_channel *ch,
                      const config_setting_t **where, char *err, size_t errlen);

/*
 * Read a button's zigbee2mqtt = { topic = "..."; actions = { single = "order";
 * double = "confirm"; hold = "cancel"; }; } (s untrusted: topic as above;
 * actions optional, at most CFG_Z2M_ACTIONS names of 1..31 characters
 * [A-Za-z0-9_-], each "order", "cancel", "confirm" or "none"; the default is
 * the one shown) into b->z2m and b->source. Same returns as above.
 */
int cfg_feeds_button(const config_setting_t *s, struct cfg_button *b,
                     const config_setting_t **where, char *err, size_t errlen);

/*
 * Across the file, once everything was read: no two feeds on one topic, a
 * home broker when there is a feed, and for the items on an mqtt channel:
 * grams feeds get the identity calibration when the item gives none, and
 * conditioning's timing becomes the feed's (cond_config_feed()) for every
 * setting the item's conditioning group does not give. chan_set, item_set and
 * btn_set are the settings of c's channels, items and buttons. Returns 0, or
 * -EINVAL with *where and err as above (the first problem only).
 */
int cfg_feeds_check(struct agent_config *c, config_setting_t *const *chan_set,
                    config_setting_t *const *item_set, config_setting_t *const *btn_set,
                    const config_setting_t **where, char *err, size_t errlen);

/* "order", "cancel", "confirm", "none" as enum cfg_action; false otherwise. */
bool cfg_feeds_action(const char *v, enum cfg_action *out);

#endif
