/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MQTT client over Paho's asynchronous API (see mqtt.h). Two threads meet
 * here: Paho's, which runs our callbacks, and the agent's loop, which calls
 * everything else. They share only the event queue and the TLS error text,
 * both under one mutex; the connection state is the loop's alone, updated as
 * it takes events, so the loop never acts on a state it has not seen yet.
 *
 * Paho is loaded with dlopen() when the first client is made, not linked
 * (paho-load.h): a shelf without a broker never maps it, and a plain mqtt://
 * broker gets libpaho-mqtt3a, which does not pull in OpenSSL. Paho with
 * OpenSSL costs about 2 MB of resident memory before it has sent a byte, and
 * 3 MB once a connection initialised OpenSSL (tests/bench/RESULTS.md); on a
 * Pi Zero that is a fifth of the free memory. Loaded libraries are never unloaded:
 * Paho's threads may still be running code in them.
 */
#include "agent/link/mqtt.h"

#include <MQTTAsync.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "agent/msg/paho-load.h"

#define URL_MAX 300
#define FIELD_MAX 512

struct ev_node {
    struct mqtt_event ev;
    struct ev_node *next;
};

struct mqtt {
    const struct paho_api *api;
    MQTTAsync client;
    int client_version;  /* MQTTVERSION_5 or MQTTVERSION_3_1_1 of `client` */
    int next_version;    /* for the next attempt */
    bool ever_connected; /* a version worked: keep it */
    bool connecting, connected;
    int efd;
    /* copies of the options */
    char url[URL_MAX], client_id[64];
    char ca_file[FIELD_MAX], ca_path[FIELD_MAX], cert_file[FIELD_MAX],
        key_file[FIELD_MAX];
    char *username, *password;
    char will_topic[MQTT_TOPIC_MAX], *will_payload;
    bool tls, verify, has_will;
    int keepalive_s;
    int64_t session_expiry_s;
    unsigned port; /* the broker's TCP port, from the URL */
    /* shared with Paho's thread */
    pthread_mutex_t lock;
    struct ev_node *head, *tail;
    unsigned queued_messages;
    uint64_t dropped;
    char tls_err[160];
};

static const char *const kind_names[] = {
    "connected",      "connect-failed", "lost",       "puback",
    "publish-failed", "message",        "subscribed", "disconnected",
};

const char *
mqtt_event_to_str(enum mqtt_event_kind k)
{
    if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]))
        return "?";
    return kind_names[k];
}

/* The one translation of Paho's return codes (MQTTAsync.h) into errnos. */
static int
paho_errno(int rc)
{
    switch (rc) {
    case MQTTASYNC_SUCCESS:
        return 0;
    case MQTTASYNC_DISCONNECTED:
        return -ENOTCONN;
    case MQTTASYNC_MAX_MESSAGES_INFLIGHT:
    case MQTTASYNC_MAX_BUFFERED_MESSAGES:
    case MQTTASYNC_NO_MORE_MSGIDS:
        return -EAGAIN;
    case MQTTASYNC_BAD_UTF8_STRING:
    case MQTTASYNC_NULL_PARAMETER:
    case MQTTASYNC_TOPICNAME_TRUNCATED:
    case MQTTASYNC_BAD_STRUCTURE:
    case MQTTASYNC_BAD_QOS:
    case MQTTASYNC_BAD_PROTOCOL:
    case MQTTASYNC_BAD_MQTT_OPTION:
    case MQTTASYNC_WRONG_MQTT_VERSION:
    case MQTTASYNC_0_LEN_WILL_TOPIC:
        return -EINVAL;
    case MQTTASYNC_SSL_NOT_SUPPORTED:
        return -ENOTSUP;
    case MQTTASYNC_OPERATION_INCOMPLETE:
        return -EINPROGRESS;
    case MQTTASYNC_COMMAND_IGNORED:
        return -ECANCELED;
    case 1: /* MQTT 3.1.1 CONNACK return codes */
        return -EPROTONOSUPPORT;
    case 2:
        return -EINVAL;
    case 3:
        return -EAGAIN;
    case 4:
    case 5:
        return -EACCES;
    default:
        return -EIO;
    }
}

const char *
mqtt_strerror(int code)
{
    switch (code) {
    case -EPROTONOSUPPORT:
        return "the broker does not speak this MQTT version";
    case -EACCES:
        return "the broker refused the credentials or the client";
    case -ENOTCONN:
        return "not connected";
    case -EAGAIN:
        return "busy, try again";
    default:
        return code < 0 ? strerror(-code) : "unknown";
    }
}

/* ---- the queue (both threads) ---- */

static void
push(struct mqtt *m, const struct mqtt_event *ev)
{
    struct ev_node *n = malloc(sizeof(*n));
    uint64_t one = 1;

    pthread_mutex_lock(&m->lock);
    if (n == NULL ||
        (ev->kind == MQTT_EV_MESSAGE && m->queued_messages >= MQTT_QUEUE_MAX)) {
        /* A flood of messages must not grow memory without bound (those
         * without their payload count too); the control events are bounded
         * by our own calls and always fit. */
        m->dropped++;
        pthread_mutex_unlock(&m->lock);
        if (n != NULL)
            free(n);
        if (ev->payload != NULL)
            free(ev->payload);
        return;
    }
    n->ev = *ev;
    n->next = NULL;
    if (m->tail != NULL)
        m->tail->next = n;
    else
        m->head = n;
    m->tail = n;
    if (ev->kind == MQTT_EV_MESSAGE)
        m->queued_messages++;
    pthread_mutex_unlock(&m->lock);
    (void)!write(m->efd, &one, sizeof(one));
}

static void
push_simple(struct mqtt *m, enum mqtt_event_kind kind, int token, int code,
            const char *text)
{
    struct mqtt_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = kind;
    ev.token = token;
    ev.code = code;
    if (text != NULL)
        snprintf(ev.text, sizeof(ev.text), "%s", text);
    push(m, &ev);
}

/* ---- Paho's callbacks: copy, queue, return ---- */

static void
on_lost(void *ctx, char *cause)
{
    push_simple(ctx, MQTT_EV_LOST, 0, -ENOTCONN, cause);
}

static int
on_message(void *ctx, char *topic, int topic_len, MQTTAsync_message *msg)
{
    struct mqtt *m = ctx;
    size_t tl = topic_len > 0 ? (size_t)topic_len : strlen(topic);
    struct mqtt_event ev;

    memset(&ev, 0, sizeof(ev));
    ev.kind = MQTT_EV_MESSAGE;
    ev.len = msg->payloadlen > 0 ? (size_t)msg->payloadlen : 0;
    ev.retained = msg->retained != 0;
    /* A message we do not take still reaches the loop, without its payload
     * and with the reason in code, so the loop can say which one it dropped
     * and why (once: here nothing is logged). */
    memcpy(ev.topic, topic, tl < sizeof(ev.topic) ? tl : sizeof(ev.topic) - 1);
    if (tl >= sizeof(ev.topic))
        ev.code = -ENAMETOOLONG;
    else if (ev.len > MQTT_PAYLOAD_MAX)
        ev.code = -EMSGSIZE;
    else if ((ev.payload = malloc(ev.len + 1)) == NULL)
        ev.code = -ENOMEM;
    if (ev.payload != NULL) {
        memcpy(ev.payload, msg->payload, ev.len);
        ev.payload[ev.len] = '\0';
    }
    push(m, &ev);
    m->api->freeMessage(&msg);
    m->api->free(topic);
    return 1; /* taken: Paho acknowledges it */
}

static int
on_tls_error(const char *str, size_t len, void *ctx)
{
    struct mqtt *m = ctx;

    pthread_mutex_lock(&m->lock);
    if (m->tls_err[0] == '\0') {
        /* OpenSSL's lines end in a newline; keep the first, without it. */
        size_t n = len < sizeof(m->tls_err) - 1 ? len : sizeof(m->tls_err) - 1;
        memcpy(m->tls_err, str, n);
        while (n > 0 && (m->tls_err[n - 1] == '\n' || m->tls_err[n - 1] == '\r'))
            n--;
        m->tls_err[n] = '\0';
    }
    pthread_mutex_unlock(&m->lock);
    return 0;
}

/*
 * Nagle's algorithm off (TCP_NODELAY) on the connection to the broker. Why: a
 * reorder published right after an answer came found the agent's PUBACK of
 * that answer not yet acknowledged by the broker, which delays its ACK (up to
 * 40 ms on Linux); Nagle held the reorder back until then: 30-47 ms to the
 * PUBACK instead of 3-6 ms (issue 12, tests/mqtt/BENCH.md). Our messages are
 * few and small: nothing is gained by coalescing them.
 *
 * How: Paho MQTT C neither sets the option nor hands out its socket, and has
 * no hook before or after its connect() (Socket_new() in src/Socket.c of
 * 1.3.12, as Debian 12 ships it, and of 1.3.13; a connect option for it was
 * proposed upstream later, eclipse/paho.mqtt.c issue #530 and pull request
 * #1417: once Debian has it, use it instead). The socket is still a file
 * descriptor of this process: when the
 * connection is up (this runs in Paho's thread, in the success callback of the
 * connect, before anything else is sent on it), every TCP socket of ours whose
 * peer is the broker's port gets the option. mqtts:// runs TLS over that same
 * TCP socket, so both schemes are covered; Paho makes a new socket for each
 * connection, and each CONNECTED sets it again. Another TCP connection of the
 * agent to a server on the same port (a household broker on 1883) may get it
 * too: as harmless there, and as useful. Returns how many sockets were set,
 * or a negative errno (no /proc, no socket found).
 */
static int
set_nodelay(const struct mqtt *m)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    int n = 0, one = 1, r = 0;

    if (d == NULL)
        return -errno;
    while ((de = readdir(d)) != NULL) {
        struct sockaddr_storage peer;
        socklen_t plen = sizeof(peer), ilen = sizeof(int);
        int fd, type = 0, proto = 0;
        unsigned port = 0;
        char *end;
        long v = strtol(de->d_name, &end, 10);

        if (*end != '\0' || end == de->d_name || v < 0 || v == dirfd(d))
            continue;
        fd = (int)v;
        if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &ilen) < 0 ||
            type != SOCK_STREAM)
            continue;
        ilen = sizeof(int);
        if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &ilen) < 0 ||
            proto != IPPROTO_TCP ||
            getpeername(fd, (struct sockaddr *)&peer, &plen) < 0)
            continue;
        if (peer.ss_family == AF_INET)
            port = ntohs(((struct sockaddr_in *)&peer)->sin_port);
        else if (peer.ss_family == AF_INET6)
            port = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
        if (port != m->port)
            continue;
        if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0)
            n++;
        else
            r = -errno;
    }
    closedir(d);
    return n > 0 ? n : r < 0 ? r : -ENOTSOCK;
}

static void
connected_event(struct mqtt *m, int version, int session_present)
{
    struct mqtt_event ev;
    int r = set_nodelay(m);

    memset(&ev, 0, sizeof(ev));
    ev.kind = MQTT_EV_CONNECTED;
    ev.version = version == MQTTVERSION_5 ? 5 : 4;
    ev.session_present = session_present != 0;
    if (r < 0) {
        ev.code = r;
        snprintf(ev.text, sizeof(ev.text), "TCP_NODELAY not set: %s", strerror(-r));
    }
    push(m, &ev);
}

static void
failed_event(struct mqtt *m, int code, int reason, const char *msg)
{
    struct mqtt_event ev;
    char tls[sizeof(m->tls_err)];

    pthread_mutex_lock(&m->lock);
    memcpy(tls, m->tls_err, sizeof(tls));
    m->tls_err[0] = '\0';
    pthread_mutex_unlock(&m->lock);
    memset(&ev, 0, sizeof(ev));
    ev.kind = MQTT_EV_CONNECT_FAILED;
    ev.code = code == MQTTASYNC_FAILURE && reason >= 0x80 ? -EPROTO : paho_errno(code);
    if (reason >= 0x80)
        snprintf(ev.text, sizeof(ev.text), "CONNACK reason 0x%02x (%s)", reason,
                 m->api->reasonString((enum MQTTReasonCodes)reason));
    else
        snprintf(ev.text, sizeof(ev.text), "%s%s%s", msg ? msg : mqtt_strerror(ev.code),
                 tls[0] ? ": " : "", tls);
    push(m, &ev);
}

static void
on_connect5(void *ctx, MQTTAsync_successData5 *r)
{
    connected_event(ctx, r->alt.connect.MQTTVersion, r->alt.connect.sessionPresent);
}

static void
on_connect(void *ctx, MQTTAsync_successData *r)
{
    connected_event(ctx, r->alt.connect.MQTTVersion, r->alt.connect.sessionPresent);
}

static void
on_connect_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    failed_event(ctx, r->code, (int)r->reasonCode, r->message);
}

static void
on_connect_fail(void *ctx, MQTTAsync_failureData *r)
{
    failed_event(ctx, r->code, 0, r->message);
}

static void
on_pub5(void *ctx, MQTTAsync_successData5 *r)
{
    /* An MQTT 5 PUBACK may carry a failure reason (0x80 and above). */
    struct mqtt *m = ctx;

    if ((int)r->reasonCode >= 0x80)
        push_simple(m, MQTT_EV_PUB_FAILED, r->token, -EPROTO,
                    m->api->reasonString(r->reasonCode));
    else
        push_simple(m, MQTT_EV_PUBACK, r->token, 0, NULL);
}

static void
on_pub(void *ctx, MQTTAsync_successData *r)
{
    push_simple(ctx, MQTT_EV_PUBACK, r->token, 0, NULL);
}

static void
on_pub_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    push_simple(ctx, MQTT_EV_PUB_FAILED, r->token, paho_errno(r->code), r->message);
}

static void
on_pub_fail(void *ctx, MQTTAsync_failureData *r)
{
    push_simple(ctx, MQTT_EV_PUB_FAILED, r->token, paho_errno(r->code), r->message);
}

static void
on_sub5(void *ctx, MQTTAsync_successData5 *r)
{
    struct mqtt *m = ctx;
    int rc = (int)r->reasonCode;

    push_simple(m, MQTT_EV_SUBSCRIBED, r->token, rc >= 0x80 ? rc : 0,
                rc >= 0x80 ? m->api->reasonString(r->reasonCode) : NULL);
}

static void
on_sub(void *ctx, MQTTAsync_successData *r)
{
    /* 3.1.1: 0x80 in the granted QoS is a refusal. */
    push_simple(ctx, MQTT_EV_SUBSCRIBED, r->token, r->alt.qos == 0x80 ? 0x80 : 0, NULL);
}

static void
on_sub_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    push_simple(ctx, MQTT_EV_SUBSCRIBED, r->token,
                r->reasonCode ? (int)r->reasonCode : 0x80, r->message);
}

static void
on_sub_fail(void *ctx, MQTTAsync_failureData *r)
{
    push_simple(ctx, MQTT_EV_SUBSCRIBED, r->token, 0x80, r->message);
}

static void
on_disc5(void *ctx, MQTTAsync_successData5 *r)
{
    (void)r;
    push_simple(ctx, MQTT_EV_DISCONNECTED, 0, 0, NULL);
}

static void
on_disc(void *ctx, MQTTAsync_successData *r)
{
    (void)r;
    push_simple(ctx, MQTT_EV_DISCONNECTED, 0, 0, NULL);
}

static void
on_disc_fail5(void *ctx, MQTTAsync_failureData5 *r)
{
    push_simple(ctx, MQTT_EV_DISCONNECTED, 0, paho_errno(r->code), r->message);
}

static void
on_disc_fail(void *ctx, MQTTAsync_failureData *r)
{
    push_simple(ctx, MQTT_EV_DISCONNECTED, 0, paho_errno(r->code), r->message);
}

/* ---- the loop's side ---- */

static bool
v5(const struct mqtt *m)
{
    return m->client_version == MQTTVERSION_5;
}

/* (Re)make Paho's client for m->next_version. */
static int
make_client(struct mqtt *m)
{
    MQTTAsync_createOptions co = MQTTAsync_createOptions_initializer;
    char uri[URL_MAX + 8];
    int rc;

    if (m->client != NULL)
        m->api->destroy(&m->client);
    m->client = NULL;
    /* Paho names the schemes tcp:// and ssl://; ours are their MQTT names. */
    if (strncmp(m->url, "mqtt://", 7) == 0)
        snprintf(uri, sizeof(uri), "tcp://%s", m->url + 7);
    else if (strncmp(m->url, "mqtts://", 8) == 0)
        snprintf(uri, sizeof(uri), "ssl://%s", m->url + 8);
    else
        snprintf(uri, sizeof(uri), "%s", m->url);
    co.MQTTVersion = m->next_version;
    co.sendWhileDisconnected = 0;
    rc = m->api->createWithOptions(&m->client, uri, m->client_id,
                                   MQTTCLIENT_PERSISTENCE_NONE, NULL, &co);
    if (rc != MQTTASYNC_SUCCESS) {
        m->client = NULL;
        return paho_errno(rc) == 0 ? -EIO : paho_errno(rc);
    }
    m->client_version = m->next_version;
    rc = m->api->setCallbacks(m->client, m, on_lost, on_message, NULL);
    return paho_errno(rc);
}

/* host[:port] after the scheme: a host of [A-Za-z0-9.-] or [v6], port 1..65535. */
static bool
url_ok(const char *url, bool *tls)
{
    const char *h;
    size_t n;

    if (strncmp(url, "mqtt://", 7) == 0 || strncmp(url, "tcp://", 6) == 0)
        *tls = false;
    else if (strncmp(url, "mqtts://", 8) == 0 || strncmp(url, "ssl://", 6) == 0)
        *tls = true;
    else
        return false;
    h = strstr(url, "://") + 3;
    n = strlen(h);
    if (n == 0 || n >= URL_MAX - 8)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= 'A' && h[i] <= 'Z') ||
              (h[i] >= '0' && h[i] <= '9') || strchr(".-:[]", h[i]) != NULL))
            return false;
    return true;
}

/* The TCP port of a URL url_ok() took: after the host (or "]"), else the
 * scheme's default. */
static unsigned
url_port(const char *url, bool tls)
{
    const char *h = strstr(url, "://") + 3, *b = strrchr(h, ']'), *c;

    c = strrchr(b != NULL ? b : h, ':');
    if (c != NULL && c[1] != '\0')
        return (unsigned)strtoul(c + 1, NULL, 10);
    return tls ? 8883 : 1883;
}

static char *
dup_or_null(const char *s)
{
    return s != NULL ? strdup(s) : NULL;
}

int
mqtt_new(const struct mqtt_options *o, struct mqtt **out, char *err, size_t errlen)
{
    struct mqtt *m;
    bool tls = false;
    int r;

    *out = NULL;
    if (o->url == NULL || !url_ok(o->url, &tls))
        return snprintf(err, errlen,
                        "broker url '%s': expected mqtt://HOST[:PORT] or "
                        "mqtts://HOST[:PORT]",
                        o->url ? o->url : ""),
               -EINVAL;
    if (o->client_id == NULL || o->client_id[0] == '\0' || strlen(o->client_id) > 63)
        return snprintf(err, errlen, "client id: expected 1 to 63 bytes"), -EINVAL;
    const struct paho_api *api;
    if ((r = paho_load(tls, &api, err, errlen)) < 0)
        return r;
    if ((m = calloc(1, sizeof(*m))) == NULL)
        return snprintf(err, errlen, "out of memory"), -ENOMEM;
    m->api = api;
    m->efd = -1;
    if (pthread_mutex_init(&m->lock, NULL) != 0) {
        free(m);
        return snprintf(err, errlen, "cannot make a mutex"), -ENOMEM;
    }
    snprintf(m->url, sizeof(m->url), "%s", o->url);
    snprintf(m->client_id, sizeof(m->client_id), "%s", o->client_id);
    snprintf(m->ca_file, sizeof(m->ca_file), "%s", o->ca_file ? o->ca_file : "");
    snprintf(m->ca_path, sizeof(m->ca_path), "%s", o->ca_path ? o->ca_path : "");
    snprintf(m->cert_file, sizeof(m->cert_file), "%s",
             o->cert_file ? o->cert_file : "");
    snprintf(m->key_file, sizeof(m->key_file), "%s", o->key_file ? o->key_file : "");
    m->tls = tls;
    m->port = url_port(o->url, tls);
    m->verify = o->verify;
    m->keepalive_s = o->keepalive_s > 0 ? o->keepalive_s : 60;
    m->session_expiry_s = o->session_expiry_s;
    m->username = dup_or_null(o->username);
    m->password = dup_or_null(o->password);
    if (o->will_topic != NULL && o->will_payload != NULL) {
        m->has_will = true;
        snprintf(m->will_topic, sizeof(m->will_topic), "%s", o->will_topic);
        m->will_payload = strdup(o->will_payload);
    }
    m->next_version = MQTTVERSION_5;
    if ((o->username && !m->username) || (o->password && !m->password) ||
        (m->has_will && !m->will_payload)) {
        r = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    if ((m->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        r = -errno;
        snprintf(err, errlen, "eventfd: %s", strerror(errno));
        goto fail;
    }
    if ((r = make_client(m)) < 0) {
        snprintf(err, errlen, "the MQTT client for %s cannot be made: %s", m->url,
                 mqtt_strerror(r));
        goto fail;
    }
    *out = m;
    return 0;
fail:
    mqtt_free(m);
    return r;
}

void
mqtt_free(struct mqtt *m)
{
    struct mqtt_event ev;

    if (m == NULL)
        return;
    if (m->client != NULL)
        m->api->destroy(&m->client); /* stops Paho's threads: no more callbacks */
    while (mqtt_next_event(m, &ev))
        mqtt_event_fini(&ev);
    if (m->efd >= 0)
        close(m->efd);
    pthread_mutex_destroy(&m->lock);
    if (m->password != NULL) {
        /* A password lives no longer than needed in freed memory. */
        memset(m->password, 0, strlen(m->password));
        free(m->password);
    }
    free(m->username);
    free(m->will_payload);
    free(m);
}

int
mqtt_event_fd(const struct mqtt *m)
{
    return m->efd;
}

bool
mqtt_connected(const struct mqtt *m)
{
    return m->connected;
}

uint64_t
mqtt_dropped(const struct mqtt *m)
{
    uint64_t n;

    pthread_mutex_lock((pthread_mutex_t *)&m->lock);
    n = m->dropped;
    pthread_mutex_unlock((pthread_mutex_t *)&m->lock);
    return n;
}

static const char *
nonempty(const char *s)
{
    return s[0] != '\0' ? s : NULL;
}

int
mqtt_connect(struct mqtt *m)
{
    MQTTAsync_connectOptions co5 = MQTTAsync_connectOptions_initializer5;
    MQTTAsync_connectOptions co3 = MQTTAsync_connectOptions_initializer;
    MQTTAsync_willOptions will = MQTTAsync_willOptions_initializer;
    MQTTAsync_SSLOptions ssl = MQTTAsync_SSLOptions_initializer;
    MQTTProperties props = MQTTProperties_initializer;
    MQTTProperty expiry;
    MQTTAsync_connectOptions *co;
    int r, rc;

    if (m->connecting || m->connected)
        return -EALREADY;
    if (m->client == NULL || m->client_version != m->next_version)
        if ((r = make_client(m)) < 0)
            return r;
    co = v5(m) ? &co5 : &co3;
    co->keepAliveInterval = m->keepalive_s;
    co->connectTimeout = 10;
    co->context = m;
    co->username = m->username;
    co->password = m->password;
    co->automaticReconnect = 0;
    if (m->has_will) {
        will.topicName = m->will_topic;
        will.message = m->will_payload;
        will.retained = 1;
        will.qos = 1;
        co->will = &will;
    }
    if (m->tls) {
        ssl.trustStore = nonempty(m->ca_file);
        ssl.CApath = nonempty(m->ca_path);
        /* Given CAs replace the system's (which would also cost the parse of
         * every system certificate, ~1 MB of heap): only they may vouch. */
        ssl.disableDefaultTrustStore = ssl.trustStore != NULL || ssl.CApath != NULL;
        ssl.keyStore = nonempty(m->cert_file);
        ssl.privateKey = nonempty(m->key_file);
        ssl.enableServerCertAuth = m->verify;
        ssl.verify = m->verify; /* the host name, after the handshake */
        ssl.sslVersion = MQTT_SSL_VERSION_TLS_1_2;
        ssl.ssl_error_cb = on_tls_error;
        ssl.ssl_error_context = m;
        co->ssl = &ssl;
    }
    if (v5(m)) {
        int64_t e = m->session_expiry_s;
        co->cleanstart = 0;
        co->MQTTVersion = MQTTVERSION_5;
        expiry.identifier = MQTTPROPERTY_CODE_SESSION_EXPIRY_INTERVAL;
        expiry.value.integer4 = (unsigned)(e < 0 ? 0 : e > 0xffffffff ? 0xffffffff : e);
        if (m->api->propertiesAdd(&props, &expiry) != 0)
            return -ENOMEM;
        co->connectProperties = &props;
        co->onSuccess5 = on_connect5;
        co->onFailure5 = on_connect_fail5;
    } else {
        /* 3.1.1 has no expiry: a persistent session, unless it is 0. */
        co->cleansession = m->session_expiry_s == 0;
        co->MQTTVersion = MQTTVERSION_3_1_1;
        co->onSuccess = on_connect;
        co->onFailure = on_connect_fail;
    }
    rc = m->api->connect(m->client, co);
    m->api->propertiesFree(&props);
    if (rc != MQTTASYNC_SUCCESS)
        return paho_errno(rc) < 0 ? paho_errno(rc) : -EIO;
    m->connecting = true;
    return 0;
}

/* Response options with the callbacks of the client's version. */
static void
responses(struct mqtt *m, MQTTAsync_responseOptions *ro, MQTTAsync_onSuccess5 *ok5,
          MQTTAsync_onFailure5 *fail5, MQTTAsync_onSuccess *ok,
          MQTTAsync_onFailure *fail)
{
    ro->context = m;
    if (v5(m)) {
        ro->onSuccess5 = ok5;
        ro->onFailure5 = fail5;
    } else {
        ro->onSuccess = ok;
        ro->onFailure = fail;
    }
}

int
mqtt_publish(struct mqtt *m, const char *topic, const void *payload, size_t len,
             bool retain, int *token)
{
    MQTTAsync_message msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    if (!m->connected)
        return -ENOTCONN;
    if (len > 256 * 1024)
        return -E2BIG;
    msg.payload = (void *)payload;
    msg.payloadlen = (int)len;
    msg.qos = 1;
    msg.retained = retain;
    responses(m, &ro, on_pub5, on_pub_fail5, on_pub, on_pub_fail);
    rc = m->api->sendMessage(m->client, topic, &msg, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        return paho_errno(rc) < 0 ? paho_errno(rc) : -EIO;
    if (token != NULL)
        *token = ro.token;
    return 0;
}

int
mqtt_subscribe(struct mqtt *m, const char *topic, int *token)
{
    MQTTAsync_responseOptions ro = MQTTAsync_responseOptions_initializer;
    int rc;

    if (!m->connected)
        return -ENOTCONN;
    responses(m, &ro, on_sub5, on_sub_fail5, on_sub, on_sub_fail);
    rc = m->api->subscribe(m->client, topic, 1, &ro);
    if (rc != MQTTASYNC_SUCCESS)
        return paho_errno(rc) < 0 ? paho_errno(rc) : -EIO;
    if (token != NULL)
        *token = ro.token;
    return 0;
}

int
mqtt_disconnect(struct mqtt *m, int timeout_ms)
{
    MQTTAsync_disconnectOptions d5 = MQTTAsync_disconnectOptions_initializer5;
    MQTTAsync_disconnectOptions d3 = MQTTAsync_disconnectOptions_initializer;
    MQTTAsync_disconnectOptions *d = v5(m) ? &d5 : &d3;
    int rc;

    if (!m->connected)
        return -ENOTCONN;
    d->timeout = timeout_ms;
    d->context = m;
    if (v5(m)) {
        d->onSuccess5 = on_disc5;
        d->onFailure5 = on_disc_fail5;
    } else {
        d->onSuccess = on_disc;
        d->onFailure = on_disc_fail;
    }
    rc = m->api->disconnect(m->client, d);
    if (rc != MQTTASYNC_SUCCESS)
        return paho_errno(rc) < 0 ? paho_errno(rc) : -EIO;
    m->connected = false;
    return 0;
}

bool
mqtt_next_event(struct mqtt *m, struct mqtt_event *ev)
{
    struct ev_node *n;
    uint64_t x;

    pthread_mutex_lock(&m->lock);
    n = m->head;
    if (n != NULL) {
        m->head = n->next;
        if (m->head == NULL)
            m->tail = NULL;
        if (n->ev.kind == MQTT_EV_MESSAGE)
            m->queued_messages--;
    } else {
        (void)!read(m->efd, &x, sizeof(x)); /* drained: clear the eventfd */
    }
    pthread_mutex_unlock(&m->lock);
    if (n == NULL)
        return false;
    *ev = n->ev;
    free(n);
    switch (ev->kind) {
    case MQTT_EV_CONNECTED:
        m->connecting = false;
        m->connected = true;
        m->ever_connected = true;
        break;
    case MQTT_EV_CONNECT_FAILED:
        m->connecting = false;
        m->connected = false;
        /* Never connected yet: the broker may not speak this version. */
        if (!m->ever_connected) {
            size_t used = strlen(ev->text);
            m->next_version = v5(m) ? MQTTVERSION_3_1_1 : MQTTVERSION_5;
            snprintf(ev->text + used, sizeof(ev->text) - used,
                     " (with MQTT %s; the next "
                     "attempt tries %s)",
                     v5(m) ? "5" : "3.1.1", v5(m) ? "3.1.1" : "5");
        }
        break;
    case MQTT_EV_LOST:
    case MQTT_EV_DISCONNECTED:
        m->connecting = false;
        m->connected = false;
        break;
    default:
        break;
    }
    return true;
}

void
mqtt_event_fini(struct mqtt_event *ev)
{
    free(ev->payload);
    ev->payload = NULL;
}

int64_t
mqtt_backoff_ms(unsigned attempt, uint32_t rnd)
{
    int64_t d = MQTT_BACKOFF_BASE_MS;

    for (unsigned i = 0; i < attempt && d < MQTT_BACKOFF_CAP_MS; i++)
        d *= 2;
    if (d > MQTT_BACKOFF_CAP_MS)
        d = MQTT_BACKOFF_CAP_MS;
    /* d/2 + d/2 * rnd/2^32: uniform in [d/2, d). */
    return d / 2 + (int64_t)(((uint64_t)(d / 2) * rnd) >> 32);
}
