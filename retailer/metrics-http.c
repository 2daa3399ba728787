/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The metrics and health endpoints (metrics-http.h) on libmicrohttpd. We make
 * and bind the listening socket ourselves and hand it over
 * (MHD_OPTION_LISTEN_SOCKET): MHD_start_daemon only says that it failed,
 * while bind() says why (a port in use, an address not ours), which is what
 * the user must read at start.
 */
#include "retailer/metrics-http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "retailer/metrics.h"
#include "sensors/text.h"

#define ADDR_MAX 64
#define MEMORY_LIMIT (16 * 1024) /* per connection: headers of a GET */

struct metrics_http {
    struct MHD_Daemon *daemon;
    int fd;
};

union addr {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
};

/* "A.B.C.D:PORT" or "[ADDR]:PORT" into a; 0 or -EINVAL with err. */
static int
parse_addr(const char *text, union addr *a, socklen_t *alen, char *err, size_t errlen)
{
    const char *s = text;
    char host[ADDR_MAX];
    const char *colon, *port_text;
    size_t hlen;
    long port = 0;
    bool v6 = s[0] == '[';

    if (v6) {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            goto bad;
        hlen = (size_t)(close - s - 1);
        port_text = close + 2;
        s++;
    } else {
        if ((colon = strrchr(s, ':')) == NULL)
            goto bad;
        hlen = (size_t)(colon - s);
        port_text = colon + 1;
    }
    if (hlen == 0 || hlen >= sizeof(host))
        goto bad;
    memcpy(host, s, hlen);
    host[hlen] = '\0';
    /* Digits only, no sign or spaces that strtol would take. */
    if (port_text[0] == '\0' || strspn(port_text, "0123456789") != strlen(port_text) ||
        strlen(port_text) > 5)
        goto bad;
    port = strtol(port_text, NULL, 10);
    if (port < 1 || port > 65535)
        goto bad;
    memset(a, 0, sizeof(*a));
    if (v6) {
        a->in6.sin6_family = AF_INET6;
        a->in6.sin6_port = htons((uint16_t)port);
        if (inet_pton(AF_INET6, host, &a->in6.sin6_addr) != 1)
            goto bad;
        *alen = sizeof(a->in6);
    } else {
        a->in.sin_family = AF_INET;
        a->in.sin_port = htons((uint16_t)port);
        if (inet_pton(AF_INET, host, &a->in.sin_addr) != 1)
            goto bad;
        *alen = sizeof(a->in);
    }
    return 0;
bad:
    return text_error(err, errlen,
                      "--metrics: '%.*s' is not ADDR:PORT: an IPv4 address such as "
                      "127.0.0.1:9464 or an IPv6 one in brackets such as [::1]:9464, "
                      "port 1 to 65535",
                      ADDR_MAX * 2, text);
}

int
metrics_http_check(const char *addr, char *err, size_t errlen)
{
    union addr a;
    socklen_t alen;

    return parse_addr(addr, &a, &alen, err, errlen);
}

/* Queue a response of status with the body text (copied) and its type. */
static enum MHD_Result
answer(struct MHD_Connection *conn, unsigned status, const char *type, char *body,
       size_t len, bool owned)
{
    struct MHD_Response *res;
    enum MHD_Result ret;

    if (!owned && (body = strdup(body)) == NULL)
        return MHD_NO; /* MHD closes the connection */
    res = MHD_create_response_from_buffer_with_free_callback(len, body, free);
    if (res == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(res, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    MHD_add_response_header(res, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(res, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    ret = MHD_queue_response(conn, status, res);
    MHD_destroy_response(res);
    return ret;
}

static enum MHD_Result
text_answer(struct MHD_Connection *conn, unsigned status, const char *line)
{
    char body[256];
    int n = snprintf(body, sizeof(body), "%s\n", line);

    return answer(conn, status, "text/plain; charset=utf-8", body,
                  n > 0 && (size_t)n < sizeof(body) ? (size_t)n : strlen(body), false);
}

/* Every request, answered at its first call: a body, if any, is not read. */
static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
           const char *version, const char *upload, size_t *upload_len, void **con_cls)
{
    char why[128], *text;
    size_t len;

    (void)cls;
    (void)version;
    (void)upload;
    (void)upload_len;
    (void)con_cls;
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
        strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return text_answer(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
                           "method not allowed: only GET and HEAD");
    if (strcmp(url, "/metrics") == 0) {
        if (metrics_render(&text, &len) < 0)
            return text_answer(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory");
        return answer(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
                      text, len, true);
    }
    if (strcmp(url, "/health") == 0) {
        int ok = metrics_healthy(why, sizeof(why));
        return text_answer(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, why);
    }
    return text_answer(conn, MHD_HTTP_NOT_FOUND, "not found: /metrics or /health");
}

int
metrics_http_start(const char *addr, struct metrics_http **out, char *err,
                   size_t errlen)
{
    struct metrics_http *h;
    union addr a;
    socklen_t alen;
    sigset_t all, old;
    int one = 1, r;

    *out = NULL;
    if ((r = parse_addr(addr, &a, &alen, err, errlen)) < 0)
        return r;
    if ((h = calloc(1, sizeof(*h))) == NULL)
        return text_error(err, errlen, "--metrics: %s", strerror(ENOMEM));
    h->fd = socket(a.sa.sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (h->fd < 0) {
        r = -errno;
        text_error(err, errlen, "--metrics %s: cannot make a socket: %s", addr,
                   strerror(errno));
        goto fail;
    }
    /* A restart must not wait for the old connections' TIME_WAIT; a port
     * another process listens on still fails (no SO_REUSEPORT). */
    setsockopt(h->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (a.sa.sa_family == AF_INET6)
        setsockopt(h->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(h->fd, &a.sa, alen) < 0 || listen(h->fd, METRICS_HTTP_CONNECTIONS) < 0) {
        r = -errno;
        text_error(err, errlen, "--metrics %s: cannot listen there: %s", addr,
                   strerror(errno));
        goto fail;
    }
    /* The daemon's thread inherits this mask: it must not take SIGTERM and
     * the others the main thread waits for in sigtimedwait. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    h->daemon = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD |
            (a.sa.sa_family == AF_INET6 ? MHD_USE_IPv6 : 0),
        0, NULL, NULL, on_request, NULL, MHD_OPTION_LISTEN_SOCKET, h->fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_CONNECTIONS,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)MEMORY_LIMIT, MHD_OPTION_END);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (h->daemon == NULL) {
        text_error(err, errlen, "--metrics %s: libmicrohttpd did not start", addr);
        r = -EIO;
        goto fail;
    }
    *out = h;
    return 0;
fail:
    if (h->fd >= 0)
        close(h->fd);
    free(h);
    return r;
}

void
metrics_http_stop(struct metrics_http *h)
{
    if (h == NULL)
        return;
    MHD_stop_daemon(h->daemon);
    /* MHD closes a socket it was given (MHD_OPTION_LISTEN_SOCKET) itself. */
    free(h);
}
