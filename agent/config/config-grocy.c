/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's Grocy as the configuration gives it (see config-grocy.h):
 * the grocy group read setting by setting with each value checked exactly, and
 * the API key file read with its mode checked. Nothing here keeps state; what
 * it reads goes into the configuration only when the whole group is right.
 */
#include "agent/config/config-grocy.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/config/config-found.h"
#include "agent/msg/utc.h"

/* http:// or https://, a host of [A-Za-z0-9.-] or [v6], an optional port, an
 * optional path; printable ASCII without space, quote, backslash, '?', '#', '@'. */
static int
url_ok(const char *v, char *out, size_t outlen)
{
    size_t n = strlen(v), i;
    const char *h;

    if (strncmp(v, "https://", 8) == 0)
        h = v + 8;
    else if (strncmp(v, "http://", 7) == 0)
        h = v + 7;
    else
        return 0;
    if (n >= outlen)
        return 0;
    for (i = 0; i < n; i++)
        if (v[i] <= 0x20 || v[i] >= 0x7f || strchr("\"\\?#@<>{}|^`", v[i]) != NULL)
            return 0;
    if (*h == '[') {
        const char *e = strchr(h, ']');
        if (e == NULL || e == h + 1)
            return 0;
        h = e + 1;
    } else {
        size_t k = strspn(h, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                             "0123456789.-");
        if (k == 0)
            return 0;
        h += k;
    }
    if (*h == ':') {
        size_t k = strspn(h + 1, "0123456789");
        if (k == 0 || k > 5)
            return 0;
        h += 1 + k;
    }
    if (*h != '\0' && *h != '/')
        return 0;
    /* A trailing '/' of the path is dropped: paths are appended to the URL. */
    size_t host_end = (size_t)(h - v);
    memcpy(out, v, n + 1);
    while (n > host_end && out[n - 1] == '/')
        out[--n] = '\0';
    return 1;
}

int
cfg_grocy_read(const config_setting_t *s, struct cfg_grocy *g,
               const config_setting_t **where, char *err, size_t errlen)
{
    struct cfg_grocy r = {.mode = CFG_GROCY_STOCK, .timeout_ms = 30000};
    bool have_url = false, have_key = false;
    int64_t sec;

    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return cfg_expected(s, where, err, errlen,
                            "a group { url = ...; api_key_file = ...; mode = ...; }");
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *m = config_setting_get_elem(s, (unsigned)i);
        const char *name = config_setting_name(m);
        const char *v = config_setting_type(m) == CONFIG_TYPE_STRING
                            ? config_setting_get_string(m)
                            : NULL;
        if (strcmp(name, "url") == 0) {
            if (v == NULL || !url_ok(v, r.url, sizeof(r.url)))
                return cfg_expected(
                    m, where, err, errlen,
                    "the API's URL, http(s)://host[:port]/path (at most 255 "
                    "bytes, no user, query or fragment)");
            have_url = true;
        } else if (strcmp(name, "api_key_file") == 0) {
            if (v == NULL || v[0] != '/' || strlen(v) >= sizeof(r.api_key_file))
                return cfg_expected(m, where, err, errlen,
                                    "an absolute path of at most 255 bytes");
            snprintf(r.api_key_file, sizeof(r.api_key_file), "%s", v);
            have_key = true;
        } else if (strcmp(name, "mode") == 0) {
            if (v != NULL && strcmp(v, "stock") == 0)
                r.mode = CFG_GROCY_STOCK;
            else if (v != NULL && strcmp(v, "shopping_list") == 0)
                r.mode = CFG_GROCY_SHOPPING;
            else
                return cfg_expected(m, where, err, errlen,
                                    "\"stock\" or \"shopping_list\"");
        } else if (strcmp(name, "ca_file") == 0) {
            if (v == NULL || v[0] != '/' || strlen(v) >= sizeof(r.ca_file))
                return cfg_expected(m, where, err, errlen,
                                    "an absolute path of at most 255 bytes");
            snprintf(r.ca_file, sizeof(r.ca_file), "%s", v);
        } else if (strcmp(name, "timeout") == 0) {
            if (v == NULL || utc_parse_duration(v, 300, &sec) < 0 || sec < 1)
                return cfg_expected(m, where, err, errlen,
                                    "a duration from \"1s\" to \"5m\"");
            r.timeout_ms = sec * 1000;
        } else {
            *where = m;
            snprintf(err, errlen,
                     "expected url, api_key_file, mode, timeout or ca_file, found a "
                     "setting "
                     "\"%.40s\"",
                     name);
            return -EINVAL;
        }
    }
    if (!have_url || !have_key) {
        *where = s;
        snprintf(err, errlen, "expected %s in the group, found none",
                 !have_url ? "url" : "api_key_file");
        return -EINVAL;
    }
    *g = r;
    return 0;
}

int
cfg_grocy_key_load(const char *path, char *key, char *err, size_t errlen)
{
    char buf[CFG_GROCY_KEY_MAX + 3];
    struct stat st;
    ssize_t n;
    size_t k;
    int fd, e = 0;

    key[0] = '\0';
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
        e = -errno;
        snprintf(err, errlen, "%s: cannot read the Grocy API key: %s", path,
                 strerror(-e));
        return e;
    }
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s: the Grocy API key must be a regular file", path);
        e = -EINVAL;
        goto out;
    }
    if ((st.st_mode & 077) != 0) {
        snprintf(err, errlen,
                 "%s: the Grocy API key file has mode %04o: others may read it; "
                 "chmod 600 it (refused)",
                 path, (unsigned)(st.st_mode & 07777));
        e = -EPERM;
        goto out;
    }
    n = read(fd, buf, sizeof(buf) - 1);
    if (n < 0) {
        e = -errno;
        snprintf(err, errlen, "%s: cannot read the Grocy API key: %s", path,
                 strerror(-e));
        goto out;
    }
    buf[n] = '\0';
    k = strcspn(buf, "\n");
    if (k == 0 || k > CFG_GROCY_KEY_MAX || (buf[k] == '\n' && buf[k + 1] != '\0') ||
        (buf[k] == '\0' && (size_t)n != k)) {
        snprintf(err, errlen,
                 "%s: expected one line of 1 to %d characters, the Grocy "
                 "API key, and nothing else",
                 path, CFG_GROCY_KEY_MAX);
        e = -EINVAL;
        goto out;
    }
    for (size_t i = 0; i < k; i++)
        if (buf[i] <= 0x20 || buf[i] >= 0x7f) {
            snprintf(err, errlen,
                     "%s: the Grocy API key has a character that is not "
                     "printable ASCII (at byte %zu)",
                     path, i + 1);
            e = -EINVAL;
            goto out;
        }
    memcpy(key, buf, k);
    key[k] = '\0';
out:
    memset(buf, 0, sizeof(buf));
    close(fd);
    return e;
}
