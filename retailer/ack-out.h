/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's outgoing acks: a bounded queue of its own in front of Paho,
 * which gets an ack only while fewer than the broker's receive maximum are in
 * flight, the next one given from the onSuccess (PUBACK) of one before.
 *
 * Why: Paho C 1.3 (MQTTAsyncUtils.c, MQTTAsync_sendThread) sends a queued
 * QoS 1 publish only when fewer than the broker's receive maximum are in
 * flight, and its send thread wakes for a new command (MQTTAsync_sendMessage
 * signals it) or after a 1 s wait, never for a PUBACK. Acks queued in Paho
 * beyond the window (20 on a default mosquitto) therefore went out about 20
 * a second (eclipse-paho/paho.mqtt.c#1457, fixed for 1.4). A publish handed
 * to Paho from the PUBACK's onSuccess wakes the send thread at once, and the
 * window is free for it.
 *
 *   event                        action
 *   ---------------------------  ----------------------------------------------
 *   ackout_push                  copy to the queue (refused when full); pump
 *   CONNACK (ackout_window)      window = its receive maximum; pump
 *   onSuccess / onFailure        in flight - 1; pump; on_idle when none left
 *   pump                         while in flight < window: hand the oldest to
 *                                Paho (QoS 1, not retained), in flight + 1
 *
 * Acks are handed to Paho in the order they were pushed, by one thread at a
 * time. Thread safety: every function may be called from any thread, Paho's
 * callbacks included; none waits for the network.
 */
#ifndef PANTRY_RETAILER_ACK_OUT_H
#define PANTRY_RETAILER_ACK_OUT_H

#include <MQTTAsync.h>
#include <stddef.h>

#include "agent/msg/paho-load.h"

#define ACKOUT_QUEUE_MAX 10000   /* acks waiting for the window */
#define ACKOUT_WINDOW_MAX 1000   /* in flight at most, whatever the broker allows */
#define ACKOUT_WINDOW_DEFAULT 10 /* until a CONNACK said more */

struct ackout;

/*
 * A queue publishing through client with api (paho-load.h; neither owned:
 * client must outlive the queue's use). On the thread of the event: on_idle(arg)
 * whenever the last ack in flight or queued is done (delivered or failed); on_fail(arg,
 * code, message) for an ack Paho refused or failed before ackout_close, with Paho's
 * result code and its message (NULL when it gave none). Returns 0 or -ENOMEM.
 */
int ackout_new(struct ackout **q, const struct paho_api *api, MQTTAsync client,
               void (*on_idle)(void *), void (*on_fail)(void *, int, const char *),
               void *arg);

void ackout_free(struct ackout *q);

/*
 * Queue one ack (payload of len bytes) for topic, both copied. Returns 0,
 * -ENOBUFS when ACKOUT_QUEUE_MAX acks are waiting already (the ack is not
 * queued: the device re-sends its message and gets it then), -ENOMEM,
 * -EINVAL for a payload over INT_MAX bytes, -ESHUTDOWN after ackout_close.
 */
int ackout_push(struct ackout *q, const char *topic, const char *payload, size_t len);

/*
 * The broker's receive maximum from a CONNACK (MQTT 5 section 3.2.2.3.3:
 * 65,535 when absent), capped at ACKOUT_WINDOW_MAX; pumps the queue.
 */
void ackout_window(struct ackout *q, int receive_max);

/*
 * Hand nothing more to Paho: after it, ackout_push refuses with -ESHUTDOWN and
 * the callbacks of acks still in flight only count. Call it before the client
 * is disconnected or destroyed (Paho calls onFailure of what it discards from
 * inside MQTTAsync_destroy).
 */
void ackout_close(struct ackout *q);

/* The acks queued or in flight (not yet delivered nor failed). */
size_t ackout_pending(struct ackout *q);

/* Acks delivered (PUBACK) and failed since ackout_new. */
void ackout_counts(struct ackout *q, long *delivered, long *failed);

#endif
