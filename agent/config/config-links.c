/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration's links to the outside (see config-read.h): the device id,
 * topic prefix and currency at the top, the retailer's broker = { ... } and
 * the household's home = { ... }, with the rules a table cannot say (URLs and
 * their TLS, the session expiry, the 0600 credential files are checked by
 * config-files.c at start).
 */
#include "agent/config/config-read.h"

#include <string.h>

#include "agent/config/config-home.h"
#include "sensors/text.h"

/* ------------------------------------------------------------------------ */
/* Top-level and broker settings with rules of their own */

static const char topic_level_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-";

static void
fn_device_id(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "1 to 63 characters of A-Z, a-z, 0-9, _ and - (an MQTT topic level)";
    char *dst = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    if (n == 0 || n >= CFG_NAME_MAX ||
        !cfg_ascii_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-", true))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(dst, CFG_NAME_MAX, v);
}

void
cfg_fn_top_device_id(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    fn_device_id(x, s, ((struct agent_config *)obj)->device_id);
}

static void
fn_client_id(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    fn_device_id(x, s, ((struct cfg_broker *)obj)->client_id);
}

void
cfg_fn_topic_prefix(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "topic levels of A-Z, a-z, 0-9, _ . and - joined by /, at most 127 "
        "characters";
    struct agent_config *c = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    bool ok = n > 0 && n < sizeof(c->topic_prefix) && v[0] != '/' && v[n - 1] != '/' &&
              strstr(v, "//") == NULL;
    for (const char *p = v; ok && *p != '\0'; p++)
        ok = *p == '/' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             (*p != '\0' && strchr(topic_level_chars, *p) != NULL);
    if (!ok)
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(c->topic_prefix, sizeof(c->topic_prefix), v);
}

void
cfg_fn_currency(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "an ISO 4217 code of three capital letters";
    struct agent_config *c = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    if (strlen(v) != 3 || !cfg_ascii_in(v, "", true) || !(v[0] >= 'A' && v[0] <= 'Z') ||
        !(v[1] >= 'A' && v[1] <= 'Z') || !(v[2] >= 'A' && v[2] <= 'Z'))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(c->currency, sizeof(c->currency), v);
}

/* Whether a broker URL uses TLS; -1 when it is not one. */
static int
url_tls(const char *v)
{
    static const struct {
        const char *scheme;
        bool tls;
    } schemes[] = {
        {"mqtt://", false}, {"tcp://", false}, {"mqtts://", true}, {"ssl://", true}};
    const char *host = NULL, *p;
    int tls = -1;

    for (size_t i = 0; i < ARRAY_SIZE(schemes); i++)
        if (strncmp(v, schemes[i].scheme, strlen(schemes[i].scheme)) == 0) {
            host = v + strlen(schemes[i].scheme);
            tls = schemes[i].tls;
        }
    if (host == NULL)
        return -1;
    if (host[0] == '[') {
        /* An IPv6 address in brackets (RFC 3986 section 3.2.2). */
        for (p = host + 1; *p != ']'; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') ||
                  (*p >= 'A' && *p <= 'F') || *p == ':' || *p == '.'))
                return -1;
        if (p == host + 1)
            return -1;
        p++;
    } else {
        for (p = host; (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
                       (*p >= '0' && *p <= '9') || *p == '.' || *p == '-';
             p++)
            ;
        if (p == host || host[0] == '.' || host[0] == '-')
            return -1;
    }
    if (*p == ':') {
        int64_t port;
        if (!text_parse_uint(p + 1, 5, false, &port) || port < 1 || port > 65535)
            return -1;
        return tls;
    }
    return *p == '\0' ? tls : -1;
}

static void
fn_url(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "\"\" or mqtt://, mqtts://, tcp:// or ssl:// and host[:port]";
    struct cfg_broker *b = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    if (v[0] != '\0' && (strlen(v) >= sizeof(b->url) || url_tls(v) < 0))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(b->url, sizeof(b->url), v);
}

static void
fn_session_expiry(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "\"never\" or a duration from 0s to 1461d "
                                   "(like \"12h\" or \"7d\")";
    struct cfg_broker *b = obj;
    const char *v = cfg_get_str(x, s, expected);
    int64_t d;

    if (v == NULL)
        return;
    if (strcmp(v, "never") == 0)
        b->session_expiry_s = UINT32_MAX; /* MQTT 5, section 3.1.2.11.2 */
    else if (cfg_parse_duration(v, false, &d))
        b->session_expiry_s = d;
    else
        cfg_value_error(x, s, expected, NULL);
}

static const struct cfg_key broker_keys[] = {
    KFN("url", false, fn_url, NULL),
    KEY("ca_file", K_PATH, false, struct cfg_broker, ca_file, 0, 0),
    KEY("ca_path", K_PATH, false, struct cfg_broker, ca_path, 0, 0),
    KEY("cert_file", K_PATH, false, struct cfg_broker, cert_file, 0, 0),
    KEY("cert_key_file", K_PATH, false, struct cfg_broker, cert_key_file, 0, 0),
    KEY("credentials_file", K_PATH, false, struct cfg_broker, credentials_file, 0, 0),
    KEY("verify", K_BOOL, false, struct cfg_broker, verify, 0, 0),
    KEY("keepalive", K_DUR_S, false, struct cfg_broker, keepalive_s, 5, 3600),
    KEY("ack_wait", K_DUR_S, false, struct cfg_broker, ack_wait_s, 1, 86400),
    KEY("resend", K_DUR_S, false, struct cfg_broker, resend_s, 1, 86400),
    KFN("session_expiry", false, fn_session_expiry, NULL),
    KFN("client_id", false, fn_client_id, NULL),
    KEY("retailer_key", K_PATH, false, struct cfg_broker, retailer_key, 0, 0),
};

/* Certificates with a plain URL: the user believes the link is encrypted. One
 * check for both brokers' groups. */
static void
check_tls_files(struct cfg_ctx *x, config_setting_t *s, const char *url)
{
    static const char *const tls_only[] = {"ca_file", "ca_path", "cert_file",
                                           "cert_key_file"};

    if (url[0] == '\0' || url_tls(url) != 0)
        return;
    for (size_t i = 0; i < ARRAY_SIZE(tls_only); i++) {
        config_setting_t *t = cfg_member(s, tls_only[i]);
        if (t != NULL && config_setting_type(t) == CONFIG_TYPE_STRING &&
            config_setting_get_string(t)[0] != '\0')
            cfg_setting_error(
                x, t,
                "expected no TLS file with the unencrypted url \"%.60s\", "
                "found one (use mqtts:// or ssl://)",
                url);
    }
}

void
cfg_fn_broker(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_broker *b = &((struct agent_config *)obj)->broker;

    if (!cfg_want_group(x, s, "url = ...; ..."))
        return;
    cfg_read_group(x, s, broker_keys, ARRAY_SIZE(broker_keys), b);
    check_tls_files(x, s, b->url);
}

/* The home broker (config-home.h): the broker's settings that make sense for
 * it, read into its struct cfg_broker (the first member of struct cfg_home, so
 * fn_url and fn_client_id take either), and its own. */

static void
home_prefix(struct cfg_ctx *x, config_setting_t *s, char *dst)
{
    static const char expected[] =
        "topic levels of A-Z, a-z, 0-9, _ . and - joined by /, at most 127 "
        "characters";
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    if (!cfg_home_prefix_ok(v))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(dst, CFG_HOME_PREFIX_MAX, v);
}

static void
fn_home_prefix(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    home_prefix(x, s, ((struct cfg_home *)obj)->prefix);
}

static void
fn_home_discovery_prefix(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    home_prefix(x, s, ((struct cfg_home *)obj)->discovery_prefix);
}

static const struct cfg_key home_keys[] = {
    KFN("url", false, fn_url, NULL),
    KEY("ca_file", K_PATH, false, struct cfg_home, broker.ca_file, 0, 0),
    KEY("ca_path", K_PATH, false, struct cfg_home, broker.ca_path, 0, 0),
    KEY("cert_file", K_PATH, false, struct cfg_home, broker.cert_file, 0, 0),
    KEY("cert_key_file", K_PATH, false, struct cfg_home, broker.cert_key_file, 0, 0),
    KEY("credentials_file", K_PATH, false, struct cfg_home, broker.credentials_file, 0,
        0),
    KEY("verify", K_BOOL, false, struct cfg_home, broker.verify, 0, 0),
    KEY("keepalive", K_DUR_S, false, struct cfg_home, broker.keepalive_s, 5, 3600),
    KFN("session_expiry", false, fn_session_expiry, NULL),
    KFN("client_id", false, fn_client_id, NULL),
    KFN("prefix", false, fn_home_prefix, NULL),
    KFN("discovery_prefix", false, fn_home_discovery_prefix, NULL),
    KEY("discovery", K_BOOL, false, struct cfg_home, discovery, 0, 0),
    KEY("commands", K_BOOL, false, struct cfg_home, commands, 0, 0),
};

void
cfg_fn_home(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_home *h = &((struct agent_config *)obj)->home;

    if (!cfg_want_group(x, s, "url = ...; ..."))
        return;
    cfg_read_group(x, s, home_keys, ARRAY_SIZE(home_keys), h);
    check_tls_files(x, s, h->broker.url);
}
