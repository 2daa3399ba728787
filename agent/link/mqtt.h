/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The agent's MQTT client: Eclipse Paho MQTT C's asynchronous client
 * (paho-mqtt3as) behind a small API for a single-threaded event loop. Paho
 * runs its own threads; every callback of ours only copies what happened into
 * a bounded queue and writes an eventfd, never blocks and never calls Paho's
 * waiting functions. The loop polls mqtt_event_fd() and takes the events with
 * mqtt_next_event(): connected, connect failed, connection lost, a PUBACK (or
 * a failed publish) by token, a message, a subscription's result.
 *
 * Versions: MQTT 5 first; when an attempt fails before the client ever got
 * connected, the next one uses 3.1.1, and so on alternately until one works;
 * the version that worked is kept for every later reconnect. Sessions: clean
 * start off with a session expiry (MQTT 5), or a persistent session (3.1.1,
 * when the expiry is not 0), so the broker keeps the subscription to acks
 * while the agent is away. Paho's own persistence and automatic reconnect are
 * off: the store's outbox is the source of truth, and the caller reconnects
 * with mqtt_backoff_ms() between attempts.
 *
 * Errors: functions return 0 or a negative errno; Paho's codes are translated
 * in one place (mqtt.c: paho_errno) and described by mqtt_strerror().
 */
#ifndef PANTRY_AGENT_MQTT_H
#define PANTRY_AGENT_MQTT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MQTT_PAYLOAD_MAX 16384 /* received larger than this: no payload (code) */
#define MQTT_QUEUE_MAX 256     /* received messages waiting; more are dropped */
#define MQTT_TOPIC_MAX 256

struct mqtt_options {
    /* mqtt://host[:port] or tcp:// (plain, default port 1883), mqtts:// or
     * ssl:// (TLS, default port 8883) */
    const char *url;
    const char *client_id; /* 1..63 bytes */
    /* TLS: PEM files, NULL or "" for none (then the system's CAs) */
    const char *ca_file, *ca_path, *cert_file, *key_file;
    bool verify; /* the server's certificate chain and host name (default on) */
    const char *username, *password; /* NULL: none */
    int keepalive_s;
    int64_t session_expiry_s; /* 0..0xffffffff (never expires) */
    /* The last will, published retained with QoS 1 by the broker when the
     * connection is lost without a DISCONNECT; NULL topic for none. */
    const char *will_topic, *will_payload;
};

enum mqtt_event_kind {
    /* version, session_present; code 0, or a negative errno (and text) when
     * TCP_NODELAY could not be set on the socket: the link works, with
     * Nagle's delays */
    MQTT_EV_CONNECTED,
    MQTT_EV_CONNECT_FAILED, /* code, text */
    MQTT_EV_LOST,           /* text: the cause, if Paho knows it */
    MQTT_EV_PUBACK,         /* token: the broker has the QoS 1 message */
    MQTT_EV_PUB_FAILED,     /* token, code */
    /* topic, payload, len; or, for a message not taken, payload NULL, len its
     * size and code -EMSGSIZE (over MQTT_PAYLOAD_MAX), -ENAMETOOLONG (topic
     * over MQTT_TOPIC_MAX - 1 bytes, truncated in topic) or -ENOMEM */
    MQTT_EV_MESSAGE,
    MQTT_EV_SUBSCRIBED,   /* token, code (0 granted, else refused) */
    MQTT_EV_DISCONNECTED, /* after mqtt_disconnect() */
};

/* "connected", "connect-failed", ... for logs; "?" otherwise. */
const char *mqtt_event_to_str(enum mqtt_event_kind k);

struct mqtt_event {
    enum mqtt_event_kind kind;
    int token;
    int code;    /* a negative errno, or an MQTT reason code (subscribe) */
    int version; /* CONNECTED: 5 or 4 (3.1.1) */
    bool session_present;
    char text[160]; /* a reason for people, "" if none */
    char topic[MQTT_TOPIC_MAX];
    char *payload; /* MESSAGE: from malloc, NUL-terminated; mqtt_event_fini() */
    size_t len;
    bool retained; /* MESSAGE: the broker's retained copy, sent on subscribing */
};

struct mqtt;

/*
 * Check the options and make a client (not connected). The strings are
 * copied. Returns 0 with *out (free with mqtt_free()), or a negative errno with
 * a message for the user in err: -EINVAL (a URL, client id or option that
 * cannot work), -ENOMEM, -EIO (Paho refused to create a client).
 */
int mqtt_new(const struct mqtt_options *o, struct mqtt **out, char *err, size_t errlen);

/* Destroy the client (connected or not) and every queued event. m may be NULL. */
void mqtt_free(struct mqtt *m);

/* Readable when events wait (an eventfd, level-triggered until drained). */
int mqtt_event_fd(const struct mqtt *m);

/*
 * Start one connection attempt; its result arrives as CONNECTED or
 * CONNECT_FAILED. -EALREADY while one is running or connected.
 */
int mqtt_connect(struct mqtt *m);

/* Connected now (between CONNECTED and LOST as the loop has seen them). */
bool mqtt_connected(const struct mqtt *m);

/*
 * Publish len bytes with QoS 1 (retained or not). *token identifies the PUBACK
 * or failure event. -ENOTCONN when not connected, -E2BIG over 256 KiB, -EIO.
 */
int mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len,
                 bool retain, int *token);

/* Subscribe to topic with QoS 1; the result arrives as SUBSCRIBED. */
int mqtt_subscribe(struct mqtt *m, const char *topic, int *token);

/*
 * Start a clean DISCONNECT (the broker then does not publish the will), giving
 * Paho timeout_ms to finish sending; DISCONNECTED follows. -ENOTCONN if not
 * connected.
 */
int mqtt_disconnect(struct mqtt *m, int timeout_ms);

/*
 * Take the oldest event into *ev (release with mqtt_event_fini()). Returns
 * true when there was one. Also does the bookkeeping of the connection state
 * and the version to try next.
 */
bool mqtt_next_event(struct mqtt *m, struct mqtt_event *ev);
void mqtt_event_fini(struct mqtt_event *ev);

/* Messages dropped since the start because MQTT_QUEUE_MAX were waiting (or
 * there was no memory for the event). */
uint64_t mqtt_dropped(const struct mqtt *m);

/*
 * The wait before reconnect attempt number attempt (0, 1, ...): capped
 * exponential backoff with jitter, min(cap, base * 2^attempt) scaled by a
 * factor in [0.5, 1) from rnd (any 32 bits), so a fleet of devices that lost
 * the broker together does not come back in step. Pure.
 */
#define MQTT_BACKOFF_BASE_MS 1000
#define MQTT_BACKOFF_CAP_MS 60000
int64_t mqtt_backoff_ms(unsigned attempt, uint32_t rnd);

/* The message of a negative errno this module returned, or of a Paho code. */
const char *mqtt_strerror(int code);

#endif
