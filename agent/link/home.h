/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's link to the household's own broker (home = { ... }), never the
 * retailer's: a second MQTT client (mqtt.h) that connects and reconnects with
 * backoff, holds an "offline" last will on <prefix>/<device>/status and says
 * "online" there (retained), publishes each item's state (hadisco.h) retained
 * when what a person sees of it changed, the retailer link's state, and Home
 * Assistant discovery configs (again when Home Assistant says "online" on
 * <discovery_prefix>/status; configs of this device found retained that are
 * no longer announced, such as those of an item gone from the configuration,
 * get an empty retained payload). With commands on, it takes "order" and
 * "confirm" on <prefix>/<device>/<item>/command to the pipeline.
 *
 * Every other message received (the topics asked for with home_subscribe())
 * goes to the feed callback (home_set_feed()): MQTT-fed sensors plug in there.
 *
 * Clocks as uplink.h: mono_ms for backoff, now_ms the pipeline's time. This
 * module logs what happens on its link (it is the top of that call chain).
 */
#ifndef PANTRY_AGENT_HOME_H
#define PANTRY_AGENT_HOME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/status.h"

struct home;

/* A message of a topic asked for with home_subscribe(): payload is NUL-
 * terminated, len bytes (NULL when it was too large: len is its size). Only
 * valid during the call. */
typedef void (*home_feed_fn)(void *ctx, const char *topic, const char *payload,
                             size_t len, bool retained, int64_t now_ms);

#define HOME_SUBSCRIPTIONS_MAX 32
#define HOME_COMMAND_MAX 16 /* a command's payload, at most: more is refused */

/*
 * Make the link for cfg->home (its url must not be empty): reads the
 * credentials file, makes the client. Nothing connects before home_work().
 * cfg and pl are the caller's and outlive the link. Returns 0 with *out, or a
 * negative errno with a message in err.
 */
int home_new(const struct agent_config *cfg, struct pipeline *pl, const char *version,
             struct home **out, char *err, size_t errlen);

/* Free (without a goodbye: see home_stop()). h may be NULL. */
void home_free(struct home *h);

/* The fd to poll (readable: call home_work()). */
int home_fd(const struct home *h);

/* Every message not the link's own goes to fn(ctx, ...); NULL drops them. */
void home_set_feed(struct home *h, home_feed_fn fn, void *ctx);

/*
 * Subscribe to topic_filter (QoS 1) now if connected and after every connect.
 * Returns 0, -EEXIST (already), -ENOSPC (HOME_SUBSCRIPTIONS_MAX), -EINVAL
 * (empty or longer than a topic may be).
 */
int home_subscribe(struct home *h, const char *topic_filter);

/*
 * Everything due: the client's events, a connect when the backoff allows, the
 * states that changed (looked at every 15 minutes of now_ms, at once when
 * what a person reads may have changed, and after
 * home_kick()). link_connected: the retailer's link now. Returns the
 * milliseconds until it needs to run again (INT64_MAX: only on an event).
 */
int64_t home_work(struct home *h, int64_t mono_ms, int64_t now_ms, bool link_connected);

/* Something changed (an order, a command): look at the states at the next work. */
void home_kick(struct home *h);

/* Connected now. */
bool home_connected(const struct home *h);

/* States published since the start (for logs and tests). */
uint64_t home_states_published(const struct home *h);

/*
 * What pantryctl status shows of the link (status.h): its URL (no
 * credentials), connected since when (or not since when, in now_ms of
 * home_work()), the last failure and its time.
 */
void home_status(const struct home *h, struct status_home *out);

/*
 * Say goodbye: the states as they are now, the retailer link "disconnected"
 * (it goes with the daemon), the retained "offline", a clean
 * DISCONNECT, at most timeout_ms in all (real time). Safe when not connected.
 */
void home_stop(struct home *h, int64_t now_ms, int timeout_ms);

#endif
