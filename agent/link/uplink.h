/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's link to the broker: it connects (and reconnects with backoff),
 * announces the device (retained status "online" and its public key, with the
 * broker holding an "offline" last will), sends the outbox (outbox.h decides
 * what and when; the store says what is pending), turns PUBACKs into
 * published orders and takes the retailer's acks (authenticated with the
 * retailer's key when one is configured) to the pipeline. Topics, under the
 * configured prefix and the device id (README "Topics"):
 *
 *   <prefix>/<device>/reorder   out, QoS 1          signed reorders (JWS)
 *   <prefix>/<device>/cancel    out, QoS 1          signed cancels (JWS)
 *   <prefix>/<device>/status    out, QoS 1, retained online / offline (and the will)
 *   <prefix>/<device>/key       out, QoS 1, retained the device's public JWK
 *   <prefix>/<device>/ack       in,  QoS 1          the retailer's answers
 *
 * Two clocks: mono_ms (monotonic, for backoff and pacing, real time even in a
 * replay) and now_ms (the pipeline's time, what transitions are dated with:
 * the wall clock live, the trace's clock in a replay). This module logs what
 * happens on the link (it is the top of that call chain).
 */
#ifndef PANTRY_AGENT_UPLINK_H
#define PANTRY_AGENT_UPLINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/msg/keys.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/status.h"
#include "agent/store/store.h"

struct uplink;

/*
 * Make the link for cfg->broker (cfg->broker.url must not be empty): reads the
 * credentials file and the retailer's key, if configured, and makes the MQTT
 * client. Nothing connects before uplink_work(). cfg, key, db and pl are the
 * caller's and outlive the link. Returns 0 with *out, or a negative errno with
 * a message in err.
 */
int uplink_new(const struct agent_config *cfg, const struct keys *key, struct store *db,
               struct pipeline *pl, const char *version, struct uplink **out, char *err,
               size_t errlen);

/* Free (without a goodbye: see uplink_stop()). u may be NULL. */
void uplink_free(struct uplink *u);

/* The fd to poll for the link's events (readable: call uplink_work()). */
int uplink_fd(const struct uplink *u);

/*
 * Everything due: take the client's events, connect when the backoff allows,
 * send what the outbox may send now. Returns the milliseconds until it needs
 * to run again without an event (INT64_MAX: only on an event).
 */
int64_t uplink_work(struct uplink *u, int64_t mono_ms, int64_t now_ms);

/* The outbox got a message: send it at the next uplink_work(). */
void uplink_kick(struct uplink *u);

/* Connected to the broker now. */
bool uplink_connected(const struct uplink *u);

/*
 * The highest sequence number still waiting for the retailer's answer (0:
 * nothing pending). A replay waits for it to drop below what it just queued.
 */
int64_t uplink_pending_max_seq(struct uplink *u);

/*
 * What pantryctl status shows of the link (status.h): connected since when (or
 * not since when), the messages in the outbox not yet answered (-1: the store
 * failed), the retailer's last answer and the last error, with their times.
 */
void uplink_status(struct uplink *u, struct status_link *out);

/*
 * Say goodbye: publish the retained "offline" status, wait for its PUBACK and
 * a clean DISCONNECT, at most timeout_ms in all (real time). Safe when not
 * connected.
 */
void uplink_stop(struct uplink *u, int64_t now_ms, int timeout_ms);

/*
 * An ack as it arrives (len bytes of JSON or a compact JWS), turned into *out:
 * with retailer_pk (not NULL) only a JWS with typ pantry-ack+jws and the key's
 * kid whose signature verifies is taken; without it, plain JSON, or a JWS
 * read without checking. Returns 0, or a negative errno with the reason in
 * err: -EPERM (unsigned or wrongly signed while a key is configured), -EINVAL
 * (malformed), -EPROTO (another schema version).
 */
int uplink_decode_ack(const char *text, size_t len, const uint8_t *retailer_pk,
                      struct message_ack *out, char *err, size_t errlen);

#endif
