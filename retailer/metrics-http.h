/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `listen --metrics ADDR:PORT`: a small HTTP server (GNU libmicrohttpd, in
 * its own thread) that serves GET /metrics (metrics.h, the Prometheus text
 * format 0.0.4) and GET /health (200 "ok", or 503 and why). Anything else is
 * 404, a method other than GET or HEAD 405; a request body is never read.
 * Bounded: METRICS_HTTP_CONNECTIONS connections at once, each closed after
 * METRICS_HTTP_TIMEOUT_S idle seconds.
 */
#ifndef PANTRY_RETAILER_METRICS_HTTP_H
#define PANTRY_RETAILER_METRICS_HTTP_H

#include <stddef.h>

#define METRICS_HTTP_CONNECTIONS 16
#define METRICS_HTTP_TIMEOUT_S 10

struct metrics_http;

/*
 * Check an address (untrusted: the command line): IPv4 "A.B.C.D:PORT" or
 * IPv6 "[ADDR]:PORT", PORT 1..65535. Returns 0, or -EINVAL with what is wrong
 * in err.
 */
int metrics_http_check(const char *addr, char *err, size_t errlen);

/*
 * Listen on addr and serve in a new thread, which blocks every signal (the
 * listener's main thread takes them). Returns 0 with *out (free with
 * metrics_http_stop), or a negative errno with a message in err naming addr:
 * -EINVAL for a bad address, the bind's error (-EADDRINUSE, -EADDRNOTAVAIL,
 * -EACCES) or -EIO when libmicrohttpd cannot start.
 */
int metrics_http_start(const char *addr, struct metrics_http **out, char *err,
                       size_t errlen);

/* Stop serving and free; h may be NULL. */
void metrics_http_stop(struct metrics_http *h);

#endif
