/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Names of the shared sensor types (see sensor.h).
 */
#include "sensors/sensor.h"

#include <stdio.h>

static const char *
name_of(const char *const *names, size_t n, unsigned v)
{
    return v < n ? names[v] : "?";
}

#define NAME_OF(names, v)                                                              \
    name_of(names, sizeof(names) / sizeof(names[0]), (unsigned)(v))

const char *
sample_status_to_str(enum sample_status s)
{
    static const char *const names[] = {"ok", "eio", "timeout", "saturated", "invalid"};
    return NAME_OF(names, s);
}

const char *
press_kind_to_str(enum press_kind k)
{
    static const char *const names[] = {"short", "long", "double"};
    return NAME_OF(names, k);
}

const char *
stock_kind_to_str(enum stock_kind k)
{
    static const char *const names[] = {"consume", "refill", "away",  "back",
                                        "empty",   "moved",  "fault", "fault-end"};
    return NAME_OF(names, k);
}

void
stock_flags_to_str(unsigned flags, char *buf, size_t len)
{
    static const char *const names[] = {"slow",         "stuck",   "no data",
                                        "foreign load", "shifted", "taken away"};
    size_t k = 0;

    if (len == 0)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!(flags & (1u << i)))
            continue;
        int r = snprintf(buf + k, len - k, "%s%s", k ? ", " : "", names[i]);
        if (r < 0 || (size_t)r >= len - k)
            return;
        k += (size_t)r;
    }
}

void
sample_source_free(struct sample_source *s)
{
    if (s != NULL && s->ops != NULL && s->ops->free != NULL)
        s->ops->free(s);
}
