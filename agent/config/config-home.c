/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The home broker's defaults and topic rules (config-home.h). Pure: no I/O.
 */
#include "agent/config/config-home.h"

#include <stdio.h>
#include <string.h>

void
cfg_home_defaults(struct cfg_home *h)
{
    memset(h, 0, sizeof(*h));
    snprintf(h->prefix, sizeof(h->prefix), "pantry");
    snprintf(h->discovery_prefix, sizeof(h->discovery_prefix), "homeassistant");
    h->discovery = true;
    h->commands = false;
    h->broker.verify = true;
    h->broker.keepalive_s = 60;
    h->broker.session_expiry_s = 0; /* commands are not kept while away */
}

bool
cfg_home_prefix_ok(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n >= CFG_HOME_PREFIX_MAX || v[0] == '/' || v[n - 1] == '/' ||
        strstr(v, "//") != NULL)
        return false;
    for (const char *p = v; *p != '\0'; p++)
        if (!(*p == '/' || *p == '_' || *p == '.' || *p == '-' ||
              (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9')))
            return false;
    return true;
}

void
cfg_home_finish(struct cfg_home *h, const char *device_id)
{
    if (h->broker.client_id[0] == '\0')
        snprintf(h->broker.client_id, sizeof(h->broker.client_id), "%.58s-home",
                 device_id);
}
