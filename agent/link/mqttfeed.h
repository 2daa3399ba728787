/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Scales and buttons on the home broker as a source like any other: an
 * ESPHome sensor's state topic ("1234.5", or "nan" when it has no reading)
 * becomes a channel's samples, and a zigbee2mqtt device's JSON
 * ({"action":"single",...}) becomes a button's presses. The registry is built
 * from the configuration (the topics to subscribe, each mapped to its channel
 * or button); the home broker's link hands every message it does not own to
 * mqttfeed_message(), which checks the payload exactly and queues what it
 * means; the daemon reads the queue through the registry's struct
 * sample_source, so its samples are conditioned like an hx711's. A feed
 * silent for cfg_feed_stale_ms() gets SAMPLE_TIMEOUT samples, one per
 * interval, until it speaks again: conditioning makes that a fault, as for an
 * ADC that stops answering. No clock: every call takes now_ms.
 *
 * Grams become counts of 10 mg (a calibration of 0 / 100 counts / 1 g, which
 * config-feeds.c gives the item), so +-83886.07 g fit the 24 bits of a
 * sample; raw counts are an hx711's, calibrated with the item's calibration.
 */
#ifndef PANTRY_AGENT_MQTTFEED_H
#define PANTRY_AGENT_MQTTFEED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"
#include "sensors/sensor.h"

#define MQTTFEED_SCALE_MAX 32    /* bytes of a scale's payload, at most */
#define MQTTFEED_BUTTON_MAX 8192 /* bytes of a zigbee2mqtt payload, at most */
#define MQTTFEED_QUEUE 64        /* samples or presses waiting, at most */

struct mqttfeed;

/*
 * The registry of c's mqtt channels and zigbee2mqtt buttons (c must outlive
 * it), started at now_ms: a feed that says nothing is silent from then on.
 * Returns 0 and *out (NULL when c has no such channel or button), or -ENOMEM.
 * The registry is its own source: free it with sample_source_free() on
 * mqttfeed_source(), or with mqttfeed_free(); the samples' channel is the
 * configuration's channel index, the presses' button its button index.
 */
int mqttfeed_new(const struct agent_config *c, int64_t now_ms, struct mqttfeed **out);
void mqttfeed_free(struct mqttfeed *f);
struct sample_source *mqttfeed_source(struct mqttfeed *f);

/* The topics to subscribe to on the home broker: i < mqttfeed_n_topics(). */
size_t mqttfeed_n_topics(const struct mqttfeed *f);
const char *mqttfeed_topic(const struct mqttfeed *f, size_t i);

/*
 * One message from the home broker (payload of len bytes, untrusted, not
 * necessarily terminated; retained: the broker's stored copy). Returns 1 when
 * it queued a sample or a press; 0 when it is not a reading or a press and
 * that is no one's fault (not our topic: why is ""; a retained button
 * message, an "action" of "" or null, an action not configured, a retained
 * state older than what the channel has: why says so); or a negative errno
 * when the payload is refused (-EMSGSIZE too long, -EINVAL not what the
 * device sends, -ERANGE a number beyond the scale's range, -ENOBUFS the queue
 * is full, -ETIME older than the channel's last reading): nothing changed
 * then, and why names the topic and what was wrong.
 */
int mqttfeed_message(struct mqttfeed *f, const char *topic, const char *payload,
                     size_t len, bool retained, int64_t now_ms, char *why,
                     size_t whylen);

/* mqttfeed_message() for the home broker's callback (ctx: the registry),
 * which logs what why says: refusals as warnings, the rest at info. */
void mqttfeed_on_message(void *ctx, const char *topic, const char *payload, size_t len,
                         bool retained, int64_t now_ms);

#endif
