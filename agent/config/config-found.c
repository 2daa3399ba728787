/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * "expected X, found Y" for a setting (see config-found.h).
 */
#include "agent/config/config-found.h"

#include <errno.h>
#include <stdio.h>

void
cfg_found(const config_setting_t *s, char *buf, size_t len)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        snprintf(buf, len, "\"%.60s\"", config_setting_get_string(s));
        break;
    case CONFIG_TYPE_GROUP:
        snprintf(buf, len, "a group");
        break;
    case CONFIG_TYPE_LIST:
    case CONFIG_TYPE_ARRAY:
        snprintf(buf, len, "a list of %d", config_setting_length(s));
        break;
    default:
        snprintf(buf, len, "a number or a boolean");
        break;
    }
}

int
cfg_expected(const config_setting_t *s, const config_setting_t **where, char *err,
             size_t errlen, const char *expected)
{
    char what[80];

    cfg_found(s, what, sizeof(what));
    *where = s;
    snprintf(err, errlen, "expected %s, found %s", expected, what);
    return -EINVAL;
}
