/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `pantry-retailer listen`: an MQTT 5 client (Eclipse Paho, asynchronous) in a
 * shared-subscription group, judging each reorder and cancel as it arrives,
 * recording it in the database, printing accepted ones and publishing acks.
 *
 * Threads: Paho calls back on its own thread; each message is judged,
 * recorded, handed off (its line written and flushed on the output) and only
 * then acknowledged there. The callback returns 0 (Paho offers the message
 * again) when the database was busy; Paho C 1.3 has sent the PUBACK already
 * when the message arrived, so the database and the device's re-sends, not
 * the broker, are what recover a message. A failed write of the output stops
 * the listener; at the next start, the messages of this client id accepted
 * and never handed off are written again and their acks published. Acks are
 * queued in ack-out.c, which hands them to Paho as fast as the broker takes
 * them, and never waits. The main thread only waits for signals (SIGTERM,
 * SIGINT: stop; SIGUSR1: a callback asks it to look at the counters), retries
 * a first connection that failed, waits for the queued acks and stops the
 * client.
 *
 * Connection states (the first connection is retried by the main thread;
 * after one succeeded, Paho reconnects by itself with the same backoff):
 *
 *   state        event                    next         action
 *   -----------  -----------------------  -----------  --------------------------
 *   connecting   CONNACK                  subscribing  SUBSCRIBE (shared, key)
 *   connecting   failure                  waiting      log; backoff 1 s .. 60 s
 *   waiting      backoff over             connecting   CONNECT again
 *   subscribing  SUBACK, all granted      listening    log "subscribed"
 *   subscribing  SUBACK, one refused      stopping     log; exit status 1
 *   listening    connection lost          connecting   Paho reconnects (backoff)
 *   any          SIGTERM, --count reached draining     wait for the queued acks
 *                or --exit-idle
 *   draining     all acks delivered,      stopping     DISCONNECT; log the acks
 *                10 s, or a 2nd signal                 left, if any
 *   any          the output fails         stopping     log; exit status 1
 *   connecting   --exit-idle, never       stopping     log; exit status 1
 *                connected
 */
#ifndef PANTRY_RETAILER_LISTEN_H
#define PANTRY_RETAILER_LISTEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "retailer/ack.h"
#include "retailer/message-check.h"
#include "retailer/retailer-state.h"
#include "retailer/webhook.h"

struct listen_config {
    const char *url;                                 /* mqtt://, mqtts:// or ssl:// */
    const char *prefix;                              /* topic prefix, e.g. pantry/v1 */
    const char *group;                               /* share group name */
    const char *client_id;                           /* unique per listener */
    const char *ca_file, *ca_path, *cert, *cert_key; /* TLS, NULL for defaults */
    const char *user, *password;                     /* NULL: none */
    int64_t session_expiry_s;
    bool tofu;                 /* also subscribe to <prefix>/+/key and pin keys */
    bool enrol;                /* subscribe to <prefix>/+/key, keytab_offer() */
    int64_t overlap_s;         /* --enrol: a rotated-out key's time left */
    long count;                /* stop after this many accepted messages; 0: never */
    long exit_idle_s;          /* stop after this long without a message; 0: never */
    int64_t fixed_now_s;       /* > 0: the clock for every message (tests) */
    struct check_config check; /* trust store and window; now and pin are set here */
    struct ack_config ack;     /* key, retailer id, ship eta; now is set here */
    struct state *state;
    FILE *out;               /* accepted lines, when webhook is NULL */
    struct webhook *webhook; /* non-NULL: the hand-off is this (deliver.h) */
    const char *db_path;     /* with webhook: the worker's own connection */
};

/*
 * Run until a signal, the count or the idle time. Returns 0, or a negative
 * errno with a message in err (bad options for Paho, a refused subscription,
 * a failed write of c->out, another listener of this client id and URL on
 * this host: -EADDRINUSE, --exit-idle without ever connecting: -EHOSTUNREACH).
 */
int listen_run(const struct listen_config *c, char *err, size_t errlen);

#endif
