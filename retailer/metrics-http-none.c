/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * metrics-http.h in a build without libmicrohttpd (-Dmetrics=disabled, or
 * libmicrohttpd-dev missing): `listen --metrics` is refused with the reason,
 * before anything is touched.
 */
#include "retailer/metrics-http.h"

#include <errno.h>

#include "sensors/text.h"

static int
refuse(char *err, size_t errlen)
{
    text_error(err, errlen,
               "--metrics: this pantry-retailer was built without libmicrohttpd "
               "(Debian: libmicrohttpd-dev; meson -Dmetrics=enabled)");
    return -ENOTSUP;
}

int
metrics_http_check(const char *addr, char *err, size_t errlen)
{
    (void)addr;
    return refuse(err, errlen);
}

int
metrics_http_start(const char *addr, struct metrics_http **out, char *err,
                   size_t errlen)
{
    (void)addr;
    *out = NULL;
    return refuse(err, errlen);
}

void
metrics_http_stop(struct metrics_http *h)
{
    (void)h;
}
