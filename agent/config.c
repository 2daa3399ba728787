/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration loader: libconfig parses the text, and this file checks
 * every setting against tables of known keys (type, unit, range, default), then
 * the references between channels, items and buttons. The file is untrusted:
 * nothing is taken from it unchecked, every problem is collected (not only the
 * first) and each message names the file, the line, the setting's path, what was
 * expected and what was found. agent/CONFIG.md is the user's reference.
 *
 * Two things libconfig 1.5 does not do are done in a pass over the text before
 * it parses (config-scan.c): integer literals that do not fit are found
 * (libconfig wraps 3000000000 to -1294967296 without a word, and on armhf
 * saturates it), and @include is refused, so a configuration is always one
 * file that names its own lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "config.h"
#include "config-wishes.h"
#include "config-feeds.h"
#include "config-home.h"
#include "config-grocy.h"
#include "config-scan.h"
#include "evtrace.h"
#include "text.h"

#define MIN_S INT64_C(60)
#define HOUR_S INT64_C(3600)
#define DAY_S INT64_C(86400)
#define DUR_MAX_S INT64_C(126230400) /* evtrace_parse_duration's 4 years */

/* A file bigger than this is not a configuration (32 items take about 30 KB). */
#define CFG_FILE_MAX (1024 * 1024)
#define PATH_LEN CFG_SCAN_PATH_LEN /* a setting's path in messages */
#define FOUND_LEN 200  /* what was found: SHOWN_CHARS bytes, each escaped at worst */
#define SHOWN_CHARS 40 /* characters of a string shown in a message */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------ */
/* Names */

static const char *const mode_names[] = {"auto", "confirm", "off", NULL};
static const char *const source_names[] = {"iio", "hx711", "mqtt", NULL};
static const char *const button_source_names[] = {"gpio", "evdev", "zigbee2mqtt", NULL};
static const char *const action_names[] = {"none", "order", "cancel", "confirm", NULL};
static const char *const method_names[] = {"ses", "holt", "croston",
                                           "sba", "tsb",  NULL};

static const char *
name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n && names[v] != NULL ? names[v] : "?";
}

const char *
cfg_mode_to_str(enum cfg_mode m)
{
    return name_of(mode_names, CFG_MODE_COUNT, (int)m);
}

const char *
cfg_source_to_str(enum cfg_source s)
{
    return name_of(source_names, CFG_SOURCE_COUNT, (int)s);
}

const char *
cfg_button_source_to_str(enum cfg_button_source s)
{
    return name_of(button_source_names, CFG_BUTTON_SOURCE_COUNT, (int)s);
}

const char *
cfg_action_to_str(enum cfg_action a)
{
    return name_of(action_names, CFG_ACTION_COUNT, (int)a);
}

const char *
cfg_log_to_str(enum cfg_log l)
{
    return log_level_to_str(l);
}

/* ------------------------------------------------------------------------ */
/* Defaults */

void
cfg_errors_init(struct cfg_errors *e)
{
    e->count = 0;
    e->dropped = 0;
    e->msg[0][0] = '\0';
}

void
cfg_item_defaults(struct cfg_item *it, int64_t pack_mg)
{
    *it = (struct cfg_item){
        .channel = -1,
        .pack_mg = pack_mg,
        .packs_per_order = 4,
        .packs_min = 1,
        .lead_s = 2 * DAY_S,
        .lead_spread_s = -1, /* the lead's own, once it is known */
        .review_s = DAY_S,
        .cover_s = 0,
        .service_bp = 9500,
        .mode = CFG_MODE_CONFIRM,
        .cooldown_s = DAY_S,
        .max_orders_30d = 2,
        .learn = true,
        /* The forecaster's defaults are those of stock event traces (evtrace.c). */
        .fc = {.method = FC_SES,
               .half_life_s = 14 * DAY_S,
               .trend_half_life_s = 28 * DAY_S,
               .damp_half_life_s = 0,
               .overdue_decay = false},
    };
    cond_config_default(&it->cond, pack_mg);
}

void
cfg_button_defaults(struct cfg_button *b)
{
    *b = (struct cfg_button){
        .source = CFG_BTN_GPIO,
        .device = "gpiochip0",
        .active_low = true,
        .item = -1,
        .on_short = CFG_ACT_ORDER,
        .on_long = CFG_ACT_CANCEL,
        .on_double = CFG_ACT_CONFIRM,
        /* sensors/hw/button.h's BUTTON_CONFIG_DEFAULT */
        .debounce_ms = 20,
        .long_ms = 800,
        .double_ms = 400,
    };
}

static void
channel_defaults(struct cfg_channel *ch, size_t pos)
{
    *ch = (struct cfg_channel){
        .index = (uint16_t)pos,
        .source = CFG_SRC_IIO,
        .chip = "gpiochip0",
        .gain = 128,
        .period_ms = 100,
    };
}

void
cfg_defaults(struct agent_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->topic_prefix, sizeof(c->topic_prefix), "pantry/v1");
    snprintf(c->store_path, sizeof(c->store_path), "/var/lib/pantry-agent/pantry.db");
    snprintf(c->key_path, sizeof(c->key_path), "/var/lib/pantry-agent/device.key");
    snprintf(c->control_socket, sizeof(c->control_socket),
             "/run/pantry-agent/control.sock");
    c->log_level = CFG_LOG_INFO;
    c->broker.verify = true;
    c->broker.keepalive_s = 60;
    c->broker.ack_wait_s = 600;
    c->broker.resend_s = 60;
    c->broker.session_expiry_s = 7 * DAY_S;
    snprintf(c->currency, sizeof(c->currency), "EUR");
    snprintf(c->delivery.place, sizeof(c->delivery.place), "home");
    c->cancel_window_s = 15 * MIN_S;
    c->order_expiry_s = 7 * DAY_S;
    c->aggregate_s = 15 * MIN_S;
    c->retention_s = 400 * DAY_S;
    cfg_home_defaults(&c->home);
}

int
cfg_find_item(const struct agent_config *c, const char *id)
{
    for (size_t i = 0; i < c->n_items; i++)
        if (strcmp(c->items[i].id, id) == 0)
            return (int)i;
    return -1;
}

int
cfg_find_channel(const struct agent_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_channels; i++)
        if (strcmp(c->channels[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Messages */

struct ctx {
    const char *file;
    struct cfg_errors *errs;
    size_t n_errors; /* all of them, stored or not */
    struct agent_config *c;
    struct cfg_scan scan; /* what the pre-pass found (config-scan.h) */
    /* Settings kept for the checks across the file (valid until config_destroy). */
    config_setting_t *chan_set[CFG_MAX_CHANNELS];
    config_setting_t *item_set[CFG_MAX_ITEMS];
    config_setting_t *item_chan[CFG_MAX_ITEMS]; /* items.[i].channel */
    config_setting_t *btn_set[CFG_MAX_BUTTONS];
    config_setting_t *btn_item[CFG_MAX_BUTTONS]; /* buttons.[i].item */
};

static void add_message(struct ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add_message(struct ctx *x, const char *fmt, ...)
{
    x->n_errors++;
    if (x->errs == NULL)
        return;
    if (x->errs->count == CFG_ERR_MAX) {
        x->errs->dropped++;
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->errs->msg[x->errs->count++], CFG_ERR_LEN, fmt, ap);
    va_end(ap);
}

/* "items.[1].pack": names joined by dots, list and array elements as [i]. */
static void
path_of(const config_setting_t *s, char *buf, size_t len)
{
    const config_setting_t *p = config_setting_parent(s);
    char parent[PATH_LEN];

    if (p == NULL) {
        buf[0] = '\0';
        return;
    }
    path_of(p, parent, sizeof(parent));
    const char *dot = parent[0] != '\0' ? "." : "";
    if (config_setting_name(s) != NULL)
        snprintf(buf, len, "%.100s%s%.50s", parent, dot, config_setting_name(s));
    else
        snprintf(buf, len, "%.140s%s[%d]", parent, dot, config_setting_index(s));
}

/* The root has no line of its own: a setting missing at the top is on line 1. */
static unsigned
line_of(const config_setting_t *s)
{
    unsigned line = config_setting_source_line(s);
    return line > 0 ? line : 1;
}

/* "FILE:LINE: PATH: " and the rest. */
static void setting_error(struct ctx *x, const config_setting_t *s, const char *fmt,
                          ...) __attribute__((format(printf, 3, 4)));

static void
setting_error(struct ctx *x, const config_setting_t *s, const char *fmt, ...)
{
    char path[PATH_LEN], rest[CFG_ERR_LEN];
    va_list ap;

    path_of(s, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    add_message(x, "%s:%u: %s: %s", x->file, line_of(s), path, rest);
}

/* A required setting absent from group g. */
static void
missing_error(struct ctx *x, const config_setting_t *g, const char *name,
              const char *expected)
{
    char path[PATH_LEN];

    path_of(g, path, sizeof(path));
    add_message(x, "%s:%u: %s%s%s: expected %s, found nothing", x->file, line_of(g),
                path, path[0] != '\0' ? "." : "", name, expected);
}

static bool utf8_ok(const char *s, bool controls);

/*
 * Quote s for a message: escapes for control characters, and for every byte
 * above 0x7f unless s is valid UTF-8; cut after SHOWN_CHARS bytes.
 */
static void
quote(const char *s, char *buf, size_t len)
{
    size_t o = 0, n = 0;
    bool utf8 = utf8_ok(s, true);

    if (len < 8)
        return;
    buf[o++] = '"';
    for (; *s != '\0' && o + 8 < len; s++, n++) {
        unsigned char ch = (unsigned char)*s;
        /* Cut only between characters: the message stays valid UTF-8. */
        if (n >= SHOWN_CHARS && (!utf8 || (ch & 0xc0) != 0x80)) {
            memcpy(buf + o, "...", 3);
            o += 3;
            break;
        }
        if (ch == '"' || ch == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)ch;
        } else if (ch < 0x20 || ch == 0x7f || (ch >= 0x80 && !utf8)) {
            o += (size_t)snprintf(buf + o, len - o, "\\x%02x", ch);
        } else {
            buf[o++] = (char)ch;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

static const struct cfg_overflow *
find_overflow(const struct ctx *x, const config_setting_t *s)
{
    char path[PATH_LEN];

    if (x->scan.n_ov == 0)
        return NULL;
    path_of(s, path, sizeof(path));
    for (size_t i = 0; i < x->scan.n_ov; i++)
        if (strcmp(x->scan.ov[i].path, path) == 0)
            return &x->scan.ov[i];
    return NULL;
}

/* What a setting holds, for "found ...". */
static void
describe(const struct ctx *x, const config_setting_t *s, char *buf, size_t len)
{
    const struct cfg_overflow *o;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        if ((o = find_overflow(x, s)) != NULL)
            snprintf(buf, len, "%s", o->text);
        else
            snprintf(buf, len, "%lld", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        if ((o = find_overflow(x, s)) != NULL)
            snprintf(buf, len, "%s", o->text);
        else
            snprintf(buf, len, "%.15g", config_setting_get_float(s));
        break;
    case CONFIG_TYPE_STRING:
        quote(config_setting_get_string(s), buf, len);
        break;
    case CONFIG_TYPE_BOOL:
        snprintf(buf, len, "%s", config_setting_get_bool(s) ? "true" : "false");
        break;
    case CONFIG_TYPE_GROUP:
        snprintf(buf, len, "a group { ... }");
        break;
    case CONFIG_TYPE_LIST:
        snprintf(buf, len, "a list ( ... )");
        break;
    case CONFIG_TYPE_ARRAY:
        snprintf(buf, len, "an array [ ... ]");
        break;
    default:
        snprintf(buf, len, "nothing");
        break;
    }
}

/* "expected WHAT, found <the value>", with an optional note after it. */
static void
value_error(struct ctx *x, const config_setting_t *s, const char *expected,
            const char *note)
{
    char found[FOUND_LEN];

    describe(x, s, found, sizeof(found));
    setting_error(x, s, "expected %s, found %s%s", expected, found, note ? note : "");
}

/* ------------------------------------------------------------------------ */
/* Near misses */

/* Optimal string alignment distance (edits and swaps), capped at 3. */
static unsigned
distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned d[34][34];

    if (la > 32 || lb > 32)
        return 3;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (unsigned)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            unsigned cost = a[i - 1] != b[j - 1];
            unsigned v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v)
                v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb] < 3 ? d[la][lb] : 3;
}

/* The closest of n candidates within 2 edits (and fewer than the word's length). */
static const char *
closest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    unsigned best_d = 3;
    size_t len = strlen(word);

    for (size_t i = 0; i < n; i++) {
        if (cands[i] == NULL)
            continue;
        unsigned d = distance(word, cands[i]);
        if (d < best_d && d < len) {
            best = cands[i];
            best_d = d;
        }
    }
    return best;
}

/* " (did you mean 'x'?)" or "" */
static void
did_you_mean(const char *word, const char *const *cands, size_t n, char q, char *buf,
             size_t len)
{
    const char *m = closest(word, cands, n);

    if (m != NULL)
        snprintf(buf, len, " (did you mean %c%s%c?)", q, m, q);
    else
        buf[0] = '\0';
}


/* ------------------------------------------------------------------------ */
/* Values */

static bool
is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* An integer from min to max. */
static bool
get_int(struct ctx *x, const config_setting_t *s, int64_t min, int64_t max,
        const char *expected, int64_t *out)
{
    if (!is_int(s) || find_overflow(x, s) != NULL) {
        value_error(x, s, expected, NULL);
        return false;
    }
    int64_t v = config_setting_get_int64(s);
    if (v < min || v > max) {
        value_error(x, s, expected, NULL);
        return false;
    }
    *out = v;
    return true;
}

/*
 * A number (integer or float) in user units, times scale, rounded to the
 * nearest integer (halves away from zero) and from min to max in the small unit:
 * grams to mg (1000), money to cents (100), a fraction to basis points (10000).
 */
static bool
get_scaled(struct ctx *x, const config_setting_t *s, int64_t scale, int64_t min,
           int64_t max, const char *expected, int64_t *out)
{
    int64_t v;

    if (find_overflow(x, s) != NULL)
        goto bad;
    if (is_int(s)) {
        long long n = config_setting_get_int64(s);
        if (n > max / scale + 1 || n < min / scale - 1)
            goto bad;
        v = (int64_t)n * scale;
    } else if (config_setting_type(s) == CONFIG_TYPE_FLOAT) {
        double d = config_setting_get_float(s) * (double)scale;
        /* Also rejects NaN: every comparison with it is false. */
        if (!(d >= (double)min - 0.5 && d <= (double)max + 0.5))
            goto bad;
        v = (int64_t)(d + (d >= 0 ? 0.5 : -0.5));
    } else {
        goto bad;
    }
    if (v < min || v > max)
        goto bad;
    *out = v;
    return true;
bad:
    value_error(x, s, expected, NULL);
    return false;
}

static bool
get_bool(struct ctx *x, const config_setting_t *s, bool *out)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        value_error(x, s, "true or false", NULL);
        return false;
    }
    *out = config_setting_get_bool(s) != 0;
    return true;
}

/* The string of s, or NULL (and a message) when s is not a string. */
static const char *
get_str(struct ctx *x, const config_setting_t *s, const char *expected)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        value_error(x, s, expected, NULL);
        return NULL;
    }
    return config_setting_get_string(s);
}

/* "\"a\", \"b\" or \"c\"" for a NULL-terminated list; returns how many. */
static size_t
enum_expected(const char *const *names, char *buf, size_t len)
{
    size_t n = 0, o = 0;

    while (names[n] != NULL)
        n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && o < len; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s\"%s\"",
                              i == 0       ? ""
                              : i + 1 == n ? " or "
                                           : ", ",
                              names[i]);
    return n;
}

/* One of names (a NULL-terminated list), as its index. */
static bool
get_enum(struct ctx *x, const config_setting_t *s, const char *const *names, int *out)
{
    char expected[128];
    size_t n = enum_expected(names, expected, sizeof(expected));
    const char *v = get_str(x, s, expected);
    if (v == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (int)i;
            return true;
        }
    char note[64];
    did_you_mean(v, names, n, '"', note, sizeof(note));
    value_error(x, s, expected, note);
    return false;
}

/* "90s", "15m", "2h", "3d": the largest unit that states d exactly. */
static void
format_duration_s(int64_t d, char *buf, size_t len)
{
    if (d != 0 && d % DAY_S == 0)
        snprintf(buf, len, "%lldd", (long long)(d / DAY_S));
    else if (d != 0 && d % HOUR_S == 0)
        snprintf(buf, len, "%lldh", (long long)(d / HOUR_S));
    else if (d != 0 && d % MIN_S == 0)
        snprintf(buf, len, "%lldm", (long long)(d / MIN_S));
    else
        snprintf(buf, len, "%llds", (long long)d);
}

static void
format_duration_ms(int64_t d, char *buf, size_t len)
{
    if (d != 0 && d % 1000 == 0)
        format_duration_s(d / 1000, buf, len);
    else
        snprintf(buf, len, "%lldms", (long long)d);
}

/*
 * A duration string: a whole number and a unit, "ms" (when ms), "s", "m", "h"
 * or "d". The s/m/h/d forms are evtrace_parse_duration's. Result in the unit
 * of the range (ms or s).
 */
static bool
parse_duration(const char *v, bool ms, int64_t *out)
{
    size_t n = strlen(v);
    int64_t d;

    if (ms && n > 2 && strcmp(v + n - 2, "ms") == 0) {
        char num[16];
        if (n - 2 >= sizeof(num))
            return false;
        memcpy(num, v, n - 2);
        num[n - 2] = '\0';
        return text_parse_uint(num, 9, true, out);
    }
    if (evtrace_parse_duration(v, &d) < 0)
        return false;
    *out = ms ? d * 1000 : d;
    return true;
}

static void
duration_expected(bool ms, int64_t min, int64_t max, char *buf, size_t len)
{
    char a[48], b[48];

    if (ms) {
        format_duration_ms(min, a, sizeof(a));
        format_duration_ms(max, b, sizeof(b));
        snprintf(buf, len, "a duration from %s to %s (like \"%s\")", a, b,
                 max >= 1000 ? "500ms\", \"2s" : "20ms");
    } else {
        format_duration_s(min, a, sizeof(a));
        format_duration_s(max, b, sizeof(b));
        snprintf(buf, len,
                 "a duration from %s to %s (like \"90s\", \"30m\", \"48h\", \"2d\")", a,
                 b);
    }
}

static bool
get_duration(struct ctx *x, const config_setting_t *s, bool ms, int64_t min,
             int64_t max, int64_t *out)
{
    char expected[128];
    int64_t d;

    duration_expected(ms, min, max, expected, sizeof(expected));
    const char *v = get_str(x, s, expected);
    if (v == NULL)
        return false;
    if (!parse_duration(v, ms, &d) || d < min || d > max) {
        value_error(x, s, expected, NULL);
        return false;
    }
    *out = d;
    return true;
}

/* "2.5" for 2500 (milli units), "4.99" for 499 (centi units) */
static void
format_fixed(int64_t v, int64_t scale, char *buf, size_t len)
{
    int digits = scale == 1000 ? 3 : scale == 100 ? 2 : 4;
    int64_t whole = v / scale, frac = v % scale;

    if (frac < 0)
        frac = -frac;
    if (frac == 0) {
        snprintf(buf, len, "%lld", (long long)whole);
        return;
    }
    char f[24];
    snprintf(f, sizeof(f), "%0*lld", digits, (long long)frac);
    for (int i = digits - 1; i > 0 && f[i] == '0'; i--)
        f[i] = '\0';
    snprintf(buf, len, "%s%lld.%s", v < 0 && whole == 0 ? "-" : "", (long long)whole,
             f);
}

/* ------------------------------------------------------------------------ */
/* Strings */

static bool
ascii_in(const char *s, const char *extra, bool upper)
{
    for (; *s != '\0'; s++) {
        char ch = *s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
            (upper && ch >= 'A' && ch <= 'Z') || strchr(extra, ch) != NULL)
            continue;
        return false;
    }
    return true;
}

/*
 * UTF-8 text without control characters (C0, DEL, C1), overlong forms or
 * surrogates: it ends up in JSON payloads and on terminals.
 */
static bool
utf8_ok(const char *s, bool controls)
{
    const unsigned char *p = (const unsigned char *)s;

    while (*p != '\0') {
        unsigned c = *p, n;
        uint32_t cp;
        if (c < 0x80) {
            if (!controls && (c < 0x20 || c == 0x7f))
                return false;
            p++;
            continue;
        }
        if (c >= 0xc2 && c <= 0xdf) {
            n = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            n = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        for (unsigned i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = cp << 6 | (p[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (!controls && cp <= 0x9f))
            return false;
        p += n + 1;
    }
    return true;
}

static bool
text_ok(const char *s)
{
    return utf8_ok(s, false);
}

/* Copy v (already checked to fit) into a field. */
static void
put_str(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Tables of known settings */

enum kind {
    K_INT,    /* integer, min..max */
    K_GRAMS,  /* number of grams -> mg, min..max in mg */
    K_MONEY,  /* number in currency units -> cents, min..max in cents */
    K_BP,     /* number 0..1 -> basis points, min..max in bp */
    K_DUR_S,  /* duration string -> s */
    K_DUR_MS, /* duration string -> ms */
    K_BOOL,
    K_ENUM, /* one of names, stored as int */
    K_ID,   /* [a-z0-9_-], 1..size-1 */
    K_TEXT, /* UTF-8 text, min..size-1 bytes */
    K_PATH, /* absolute path, at most size-1 bytes, "" allowed when min is 0 */
    K_FN,   /* fn() does everything */
};

struct key {
    const char *name;
    enum kind kind;
    bool required;
    size_t off, size; /* the field in obj */
    int64_t min, max;
    const char *const *names;                                  /* K_ENUM */
    void (*fn)(struct ctx *x, config_setting_t *s, void *obj); /* K_FN */
    const char *what; /* expected text, instead of one made from the kind */
};

/* Table entries: a field of obj, a function, an enumeration. */
#define KEY(n, kind_, req, type, member, min_, max_)                                   \
    {                                                                                  \
        .name = n, .kind = kind_, .required = req, FIELD(type, member), .min = min_,   \
        .max = max_                                                                    \
    }
#define KEYW(n, kind_, req, type, member, min_, max_, what_)                           \
    {                                                                                  \
        .name = n, .kind = kind_, .required = req, FIELD(type, member), .min = min_,   \
        .max = max_, .what = what_                                                     \
    }
#define KFN(n, req, fn_, what_)                                                        \
    {                                                                                  \
        .name = n, .kind = K_FN, .required = req, .fn = fn_, .what = what_             \
    }
#define KENUM(n, type, member, names_)                                                 \
    {                                                                                  \
        .name = n, .kind = K_ENUM, FIELD(type, member), .names = names_                \
    }
#define FIELD(type, member)                                                            \
    .off = offsetof(type, member), .size = sizeof(((type *)0)->member)

static void
put_int(void *obj, const struct key *k, int64_t v)
{
    char *p = (char *)obj + k->off;

    /* Every range fits the field's type: it is checked before the store. */
    switch (k->size) {
    case 1: {
        bool b = v != 0;
        memcpy(p, &b, 1);
        break;
    }
    case 2: {
        uint16_t u = (uint16_t)v;
        memcpy(p, &u, 2);
        break;
    }
    case 4: {
        int32_t i = (int32_t)v;
        memcpy(p, &i, 4);
        break;
    }
    default:
        memcpy(p, &v, 8);
        break;
    }
}

static void
expected_text(const struct key *k, char *buf, size_t len)
{
    char a[48], b[48];

    if (k->what != NULL) {
        snprintf(buf, len, "%s", k->what);
        return;
    }
    switch (k->kind) {
    case K_INT:
        snprintf(buf, len, "an integer from %lld to %lld", (long long)k->min,
                 (long long)k->max);
        break;
    case K_GRAMS:
        format_fixed(k->min, 1000, a, sizeof(a));
        format_fixed(k->max, 1000, b, sizeof(b));
        snprintf(buf, len, "grams from %s to %s", a, b);
        break;
    case K_MONEY:
        format_fixed(k->max, 100, b, sizeof(b));
        snprintf(buf, len, "an amount from 0 to %s", b);
        break;
    case K_BP:
        format_fixed(k->min, 10000, a, sizeof(a));
        format_fixed(k->max, 10000, b, sizeof(b));
        snprintf(buf, len, "a number from %s to %s", a, b);
        break;
    case K_DUR_S:
    case K_DUR_MS:
        duration_expected(k->kind == K_DUR_MS, k->min, k->max, buf, len);
        break;
    case K_BOOL:
        snprintf(buf, len, "true or false");
        break;
    case K_ENUM:
        enum_expected(k->names, buf, len);
        break;
    case K_ID:
        snprintf(buf, len, "an id of 1 to %zu characters a-z, 0-9, _ and -",
                 k->size - 1);
        break;
    case K_TEXT:
        snprintf(buf, len, "text of %lld to %zu bytes without control characters",
                 (long long)k->min, k->size - 1);
        break;
    case K_PATH:
        snprintf(buf, len, "%san absolute path of at most %zu bytes",
                 k->min == 0 ? "\"\" or " : "", k->size - 1);
        break;
    case K_FN:
        snprintf(buf, len, "a value");
        break;
    }
}

static void
apply_key(struct ctx *x, config_setting_t *s, const struct key *k, void *obj)
{
    char expected[160];
    int64_t v = 0;
    bool ok = false;
    const char *str;

    if (k->kind == K_FN) {
        k->fn(x, s, obj);
        return;
    }
    expected_text(k, expected, sizeof(expected));
    switch (k->kind) {
    case K_INT:
        ok = get_int(x, s, k->min, k->max, expected, &v);
        break;
    case K_GRAMS:
        ok = get_scaled(x, s, 1000, k->min, k->max, expected, &v);
        break;
    case K_MONEY:
        ok = get_scaled(x, s, 100, k->min, k->max, expected, &v);
        break;
    case K_BP:
        ok = get_scaled(x, s, 10000, k->min, k->max, expected, &v);
        break;
    case K_DUR_S:
    case K_DUR_MS:
        ok = get_duration(x, s, k->kind == K_DUR_MS, k->min, k->max, &v);
        break;
    case K_BOOL: {
        bool b = false; /* read only when get_bool succeeded, but never garbage */
        ok = get_bool(x, s, &b);
        v = b;
        break;
    }
    case K_ENUM: {
        int e = 0;
        ok = get_enum(x, s, k->names, &e);
        v = e;
        break;
    }
    case K_ID:
    case K_TEXT:
    case K_PATH:
        if ((str = get_str(x, s, expected)) == NULL)
            return;
        size_t n = strlen(str);
        if (k->kind == K_ID)
            ok = text_is_id(str, k->size);
        else if (k->kind == K_TEXT)
            ok = n >= (size_t)k->min && n < k->size && text_ok(str);
        else
            ok = (n == 0 && k->min == 0) ||
                 (str[0] == '/' && n < k->size && text_ok(str));
        if (!ok)
            value_error(x, s, expected, NULL);
        else
            put_str((char *)obj + k->off, k->size, str);
        return;
    case K_FN:
        break;
    }
    if (ok)
        put_int(obj, k, v);
}

/*
 * Read group g against keys into obj: unknown settings are reported (with a
 * near miss), known ones applied in file order, required ones that are missing
 * reported last. Returns the set of keys seen (bit i: keys[i]).
 */
static uint32_t
read_group(struct ctx *x, config_setting_t *g, const struct key *keys, size_t n,
           void *obj)
{
    uint32_t seen = 0;
    const char *names[32];

    for (size_t i = 0; i < n && i < 32; i++)
        names[i] = keys[i].name;
    for (int i = 0; i < config_setting_length(g); i++) {
        config_setting_t *s = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(s);
        size_t k;
        for (k = 0; k < n; k++)
            if (strcmp(name, keys[k].name) == 0)
                break;
        if (k == n) {
            char note[80];
            did_you_mean(name, names, n, '\'', note, sizeof(note));
            setting_error(x, s, "unknown setting '%.60s'%s", name, note);
            continue;
        }
        seen |= UINT32_C(1) << k;
        apply_key(x, s, &keys[k], obj);
    }
    for (size_t k = 0; k < n; k++)
        if (keys[k].required && !(seen & (UINT32_C(1) << k))) {
            char expected[160];
            expected_text(&keys[k], expected, sizeof(expected));
            missing_error(x, g, keys[k].name, expected);
        }
    return seen;
}

/* s must be a group { }: otherwise a message, and false. */
static bool
want_group(struct ctx *x, const config_setting_t *s, const char *what)
{
    if (config_setting_is_group(s))
        return true;
    char expected[96];
    snprintf(expected, sizeof(expected), "a group { %s }", what);
    value_error(x, s, expected, NULL);
    return false;
}

static config_setting_t *
member(config_setting_t *g, const char *name)
{
    return config_setting_get_member(g, name);
}

/* ------------------------------------------------------------------------ */
/* Top-level and broker settings with rules of their own */

static const char topic_level_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.-";

static void
fn_device_id(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "1 to 63 characters of A-Z, a-z, 0-9, _ and - (an MQTT topic level)";
    char *dst = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    if (n == 0 || n >= CFG_NAME_MAX ||
        !ascii_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-", true))
        value_error(x, s, expected, NULL);
    else
        put_str(dst, CFG_NAME_MAX, v);
}

static void
fn_top_device_id(struct ctx *x, config_setting_t *s, void *obj)
{
    fn_device_id(x, s, ((struct agent_config *)obj)->device_id);
}

static void
fn_client_id(struct ctx *x, config_setting_t *s, void *obj)
{
    fn_device_id(x, s, ((struct cfg_broker *)obj)->client_id);
}

static void
fn_topic_prefix(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "topic levels of A-Z, a-z, 0-9, _ . and - joined by /, at most 127 "
        "characters";
    struct agent_config *c = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    bool ok = n > 0 && n < sizeof(c->topic_prefix) && v[0] != '/' && v[n - 1] != '/' &&
              strstr(v, "//") == NULL;
    for (const char *p = v; ok && *p != '\0'; p++)
        ok = *p == '/' || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
             (*p != '\0' && strchr(topic_level_chars, *p) != NULL);
    if (!ok)
        value_error(x, s, expected, NULL);
    else
        put_str(c->topic_prefix, sizeof(c->topic_prefix), v);
}

static void
fn_currency(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "an ISO 4217 code of three capital letters";
    struct agent_config *c = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    if (strlen(v) != 3 || !ascii_in(v, "", true) || !(v[0] >= 'A' && v[0] <= 'Z') ||
        !(v[1] >= 'A' && v[1] <= 'Z') || !(v[2] >= 'A' && v[2] <= 'Z'))
        value_error(x, s, expected, NULL);
    else
        put_str(c->currency, sizeof(c->currency), v);
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
fn_url(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "\"\" or mqtt://, mqtts://, tcp:// or ssl:// and host[:port]";
    struct cfg_broker *b = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    if (v[0] != '\0' && (strlen(v) >= sizeof(b->url) || url_tls(v) < 0))
        value_error(x, s, expected, NULL);
    else
        put_str(b->url, sizeof(b->url), v);
}

static void
fn_session_expiry(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "\"never\" or a duration from 0s to 1461d "
                                   "(like \"12h\" or \"7d\")";
    struct cfg_broker *b = obj;
    const char *v = get_str(x, s, expected);
    int64_t d;

    if (v == NULL)
        return;
    if (strcmp(v, "never") == 0)
        b->session_expiry_s = UINT32_MAX; /* MQTT 5, section 3.1.2.11.2 */
    else if (parse_duration(v, false, &d))
        b->session_expiry_s = d;
    else
        value_error(x, s, expected, NULL);
}

static const struct key broker_keys[] = {
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

static void
fn_broker(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char *const tls_only[] = {"ca_file", "ca_path", "cert_file",
                                           "cert_key_file"};
    struct cfg_broker *b = &((struct agent_config *)obj)->broker;

    if (!want_group(x, s, "url = ...; ..."))
        return;
    read_group(x, s, broker_keys, ARRAY_SIZE(broker_keys), b);
    /* Certificates with a plain URL: the user believes the link is encrypted. */
    if (b->url[0] != '\0' && url_tls(b->url) == 0)
        for (size_t i = 0; i < ARRAY_SIZE(tls_only); i++) {
            config_setting_t *t = member(s, tls_only[i]);
            if (t != NULL && config_setting_type(t) == CONFIG_TYPE_STRING &&
                config_setting_get_string(t)[0] != '\0')
                setting_error(
                    x, t,
                    "expected no TLS file with the unencrypted url \"%.60s\", "
                    "found one (use mqtts:// or ssl://)",
                    b->url);
        }
}

/* The home broker (config-home.h): the broker's settings that make sense for
 * it, read into its struct cfg_broker (the first member of struct cfg_home, so
 * fn_url and fn_client_id take either), and its own. */

static void
home_prefix(struct ctx *x, config_setting_t *s, char *dst)
{
    static const char expected[] =
        "topic levels of A-Z, a-z, 0-9, _ . and - joined by /, at most 127 "
        "characters";
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    if (!cfg_home_prefix_ok(v))
        value_error(x, s, expected, NULL);
    else
        put_str(dst, CFG_HOME_PREFIX_MAX, v);
}

static void
fn_home_prefix(struct ctx *x, config_setting_t *s, void *obj)
{
    home_prefix(x, s, ((struct cfg_home *)obj)->prefix);
}

static void
fn_home_discovery_prefix(struct ctx *x, config_setting_t *s, void *obj)
{
    home_prefix(x, s, ((struct cfg_home *)obj)->discovery_prefix);
}

static const struct key home_keys[] = {
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

static void
fn_home(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char *const tls_only[] = {"ca_file", "ca_path", "cert_file",
                                           "cert_key_file"};
    struct cfg_home *h = &((struct agent_config *)obj)->home;

    if (!want_group(x, s, "url = ...; ..."))
        return;
    read_group(x, s, home_keys, ARRAY_SIZE(home_keys), h);
    if (h->broker.url[0] != '\0' && url_tls(h->broker.url) == 0)
        for (size_t i = 0; i < ARRAY_SIZE(tls_only); i++) {
            config_setting_t *t = member(s, tls_only[i]);
            if (t != NULL && config_setting_type(t) == CONFIG_TYPE_STRING &&
                config_setting_get_string(t)[0] != '\0')
                setting_error(
                    x, t,
                    "expected no TLS file with the unencrypted url \"%.60s\", "
                    "found one (use mqtts:// or ssl://)",
                    h->broker.url);
        }
}

/* ------------------------------------------------------------------------ */
/* Channels */

/* A gpiochip: a name or label like "gpiochip0", a number, or a /dev path. */
static void
chip_value(struct ctx *x, config_setting_t *s, char *dst, size_t cap)
{
    static const char expected[] =
        "a gpiochip name, label or number, or /dev/gpiochipN";
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    if (n == 0 || n >= cap || n >= CFG_NAME_MAX ||
        !ascii_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-/", true) ||
        (strchr(v, '/') != NULL && strncmp(v, "/dev/", 5) != 0))
        value_error(x, s, expected, NULL);
    else
        put_str(dst, cap, v);
}

static void
fn_hx711_chip(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_channel *ch = obj;
    chip_value(x, s, ch->chip, sizeof(ch->chip));
}

static void
fn_iio_device(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "an IIO device label, name or iio:deviceN of 1 to 63 characters A-Z, a-z, "
        "0-9, _ . : and -";
    struct cfg_channel *ch = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    if (n == 0 || n >= sizeof(ch->device) ||
        !ascii_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-", true))
        value_error(x, s, expected, NULL);
    else
        put_str(ch->device, sizeof(ch->device), v);
}

static void
fn_gain(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "128, 64 (channel A) or 32 (channel B)";
    struct cfg_channel *ch = obj;
    int64_t v;

    if (!get_int(x, s, 32, 128, expected, &v))
        return;
    if (v != 128 && v != 64 && v != 32)
        value_error(x, s, expected, NULL);
    else
        ch->gain = (uint16_t)v;
}

static const struct key iio_keys[] = {
    KFN("device", true, fn_iio_device, "an IIO device label, name or iio:deviceN"),
    KEY("input", K_INT, false, struct cfg_channel, input, 0, 255),
};

static const struct key hx711_keys[] = {
    KFN("chip", false, fn_hx711_chip, NULL),
    KEY("dout", K_INT, true, struct cfg_channel, dout, 0, 53),
    KEY("sck", K_INT, true, struct cfg_channel, sck, 0, 53),
    KFN("gain", false, fn_gain, NULL),
};

static void
fn_iio(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_channel *ch = obj;

    ch->source = CFG_SRC_IIO;
    if (want_group(x, s, "device = ...; input = ...;"))
        read_group(x, s, iio_keys, ARRAY_SIZE(iio_keys), obj);
}

static void
fn_hx711(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_channel *ch = obj;

    ch->source = CFG_SRC_HX711;
    if (!want_group(x, s, "dout = ...; sck = ...;"))
        return;
    read_group(x, s, hx711_keys, ARRAY_SIZE(hx711_keys), obj);
    /* Only when both were read (else the field holds a default). */
    config_setting_t *dout = member(s, "dout"), *sck = member(s, "sck");
    if (dout != NULL && sck != NULL && is_int(dout) && is_int(sck) &&
        config_setting_get_int64(dout) == ch->dout &&
        config_setting_get_int64(sck) == ch->sck && ch->dout == ch->sck)
        setting_error(x, sck, "expected a line other than dout's, found %u again",
                      ch->sck);
}

/* mqtt = { topic; format; interval; }: a scale on the home broker */
static void
fn_mqtt(struct ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_feeds_channel(s, obj, &where, err, sizeof(err)) < 0)
        setting_error(x, where, "%s", err);
}

static const struct key channel_keys[] = {
    KEY("name", K_ID, true, struct cfg_channel, name, 0, 0),
    KEY("index", K_INT, false, struct cfg_channel, index, 0, CFG_MAX_CHANNELS - 1),
    KFN("iio", false, fn_iio, NULL),
    KFN("hx711", false, fn_hx711, NULL),
    KFN("mqtt", false, fn_mqtt, NULL),
    KEY("period", K_DUR_MS, false, struct cfg_channel, period_ms, 10, 60000),
};

static void
read_channel(struct ctx *x, config_setting_t *s, struct cfg_channel *ch)
{
    config_setting_t *iio = member(s, "iio"), *hx = member(s, "hx711");
    config_setting_t *mq = member(s, "mqtt");
    config_setting_t *two = NULL;

    if (iio == NULL && hx == NULL && mq == NULL)
        setting_error(x, s,
                      "expected one of iio = { ... }, hx711 = { ... } or mqtt = "
                      "{ ... }, found neither");
    if (iio != NULL && hx != NULL)
        setting_error(x,
                      config_setting_index(iio) > config_setting_index(hx) ? iio : hx,
                      "expected one of iio or hx711, found both");
    else if (mq != NULL && (iio != NULL || hx != NULL))
        two = mq;
    if (two != NULL)
        setting_error(x, two, "expected one of iio, hx711 or mqtt, found two");
    read_group(x, s, channel_keys, ARRAY_SIZE(channel_keys), ch);
}

/* ------------------------------------------------------------------------ */
/* Items */

static void
fn_gtin(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "a GTIN of 8, 12, 13 or 14 digits with a valid check digit";
    struct cfg_item *it = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    if (v[0] != '\0' && !cfg_gtin_ok(v))
        value_error(x, s, expected, NULL);
    else
        put_str(it->gtin, sizeof(it->gtin), v);
}

static void
fn_sku(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "1 to 31 printable ASCII characters without quotes or backslashes";
    struct cfg_item *it = obj;
    const char *v = get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    bool ok = n < sizeof(it->sku);
    for (size_t i = 0; ok && i < n; i++)
        ok = v[i] > 0x20 && v[i] < 0x7f && v[i] != '"' && v[i] != '\\';
    if (!ok)
        value_error(x, s, expected, NULL);
    else
        put_str(it->sku, sizeof(it->sku), v);
}

static void
fn_substitutes(struct ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_wishes_substitutes(s, obj, &where, err, sizeof(err)) < 0)
        setting_error(x, where, "%s", err);
}

/* delivery = { place; windows; earliest; }, the household's or an item's */
static void
fn_windows(struct ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_wishes_windows(s, obj, &where, err, sizeof(err)) < 0)
        setting_error(x, where, "%s", err);
}

static const struct key delivery_keys[] = {
    KEY("place", K_ID, false, struct cfg_delivery, place, 0, 0),
    KFN("windows", false, fn_windows, NULL),
    KEY("earliest", K_DUR_S, false, struct cfg_delivery, earliest_s, 0, 60 * DAY_S),
};

static void
fn_delivery(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_delivery *d = obj;

    if (!want_group(x, s, "place = ...; windows = ( ... ); earliest = ...;"))
        return;
    read_group(x, s, delivery_keys, ARRAY_SIZE(delivery_keys), d);
    d->has_place = member(s, "place") != NULL;
    d->has_windows = member(s, "windows") != NULL;
    d->has_earliest = member(s, "earliest") != NULL;
}

static void
fn_item_delivery(struct ctx *x, config_setting_t *s, void *obj)
{
    fn_delivery(x, s, &((struct cfg_item *)obj)->delivery);
}

/* Resolved once every channel is known (check_references). */
static void
fn_item_channel(struct ctx *x, config_setting_t *s, void *obj)
{
    (void)obj;
    if (get_str(x, s, "the name of a channel") != NULL)
        x->item_chan[x->c->n_items] = s;
}

static void
fn_span_raw(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "the counts the span weight adds, non-zero, from -2147483647 to 2147483647";
    struct cfg_item *it = obj;
    int64_t v;

    if (!get_int(x, s, -INT32_MAX, INT32_MAX, expected, &v))
        return;
    if (v == 0)
        value_error(x, s, expected, NULL);
    else
        it->cal.span_raw = (int32_t)v;
}

static const struct key calibration_keys[] = {
    KEYW("zero", K_INT, true, struct cfg_item, cal.raw_zero, INT32_MIN, INT32_MAX,
         "counts with the platform empty, from -2147483648 to 2147483647"),
    KFN("span_raw", true, fn_span_raw, "the counts the span weight adds, non-zero"),
    KEY("span", K_GRAMS, true, struct cfg_item, cal.span_mg, 1, 1000000000),
};

static void
fn_calibration(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_item *it = obj;

    if (!want_group(x, s, "zero = ...; span_raw = ...; span = ...;"))
        return;
    it->has_cal = true;
    it->cal.span_raw = 1;
    read_group(x, s, calibration_keys, ARRAY_SIZE(calibration_keys), obj);
}

static void
fn_damp(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "\"off\" or a duration from 1h to 730d (like "
                                   "\"60d\")";
    struct cfg_item *it = obj;
    const char *v = get_str(x, s, expected);
    int64_t d;

    if (v == NULL)
        return;
    if (strcmp(v, "off") == 0)
        it->fc.damp_half_life_s = 0;
    else if (parse_duration(v, false, &d) && d >= HOUR_S && d <= 730 * DAY_S)
        it->fc.damp_half_life_s = d;
    else
        value_error(x, s, expected, NULL);
}

static const struct key forecast_keys[] = {
    KENUM("method", struct cfg_item, fc.method, method_names),
    KEY("half_life", K_DUR_S, false, struct cfg_item, fc.half_life_s, HOUR_S,
        730 * DAY_S),
    KEY("trend_half_life", K_DUR_S, false, struct cfg_item, fc.trend_half_life_s,
        HOUR_S, 730 * DAY_S),
    KFN("damp_half_life", false, fn_damp, NULL),
    KEY("overdue_decay", K_BOOL, false, struct cfg_item, fc.overdue_decay, 0, 0),
};

static void
fn_forecast(struct ctx *x, config_setting_t *s, void *obj)
{
    if (want_group(x, s, "method = ...; half_life = ...;"))
        read_group(x, s, forecast_keys, ARRAY_SIZE(forecast_keys), obj);
}

#define COND(member) FIELD(struct cfg_item, cond.member)
static const struct key conditioning_keys[] = {
    KEY("noise_band", K_GRAMS, false, struct cfg_item, cond.noise_band_mg, 1, 1000000),
    KEY("min_step", K_GRAMS, false, struct cfg_item, cond.min_step_mg, 1, 100000000),
    KEY("empty", K_GRAMS, false, struct cfg_item, cond.empty_mg, 0, 100000000),
    KEY("zero_band", K_GRAMS, false, struct cfg_item, cond.zero_band_mg, 0, 100000000),
    KEY("move", K_GRAMS, false, struct cfg_item, cond.move_mg, 1, 100000000),
    KEY("refill_pct", K_INT, false, struct cfg_item, cond.refill_pct, 1, 100),
    KEY("refill_max", K_GRAMS, false, struct cfg_item, cond.refill_max_mg, 0, 100000000),
    KEY("refill_hold", K_DUR_MS, false, struct cfg_item, cond.refill_hold_ms, 0,
        DAY_S * 1000),
    KEY("memory", K_DUR_MS, false, struct cfg_item, cond.memory_ms, 0, 7 * DAY_S * 1000),
    KEY("plateau", K_DUR_MS, false, struct cfg_item, cond.plateau_ms, 0, 60000),
    KEY("settle", K_DUR_MS, false, struct cfg_item, cond.settle_ms, 0, HOUR_S * 1000),
    KEY("move_window", K_DUR_MS, false, struct cfg_item, cond.move_window_ms, 0,
        HOUR_S * 1000),
    KEY("away", K_DUR_MS, false, struct cfg_item, cond.away_ms, 0, DAY_S * 1000),
    KEY("empty_after", K_DUR_MS, false, struct cfg_item, cond.empty_after_ms, 0,
        60 * DAY_S * 1000),
    KEY("nodata", K_DUR_MS, false, struct cfg_item, cond.nodata_ms, 1, HOUR_S * 1000),
    KEY("bad", K_DUR_MS, false, struct cfg_item, cond.bad_ms, 0, HOUR_S * 1000),
    KEY("stuck", K_DUR_MS, false, struct cfg_item, cond.stuck_ms, 0, HOUR_S * 1000),
    KEY("recover", K_DUR_MS, false, struct cfg_item, cond.recover_ms, 0, HOUR_S * 1000),
    KEY("zero_every", K_DUR_MS, false, struct cfg_item, cond.zero_every_ms, 0,
        DAY_S * 1000),
    KEYW("drift", K_GRAMS, false, struct cfg_item, cond.drift_mg_per_h, 0, 1000000,
         "grams per hour from 0 to 1000"),
    KEY("slow_budget", K_GRAMS, false, struct cfg_item, cond.slow_budget_mg, 0, 10000000),
    KEY("slow_window", K_DUR_MS, false, struct cfg_item, cond.slow_window_ms, 60000,
        DAY_S * 1000),
    KEY("max", K_GRAMS, false, struct cfg_item, cond.max_mg, 1, INT32_MAX / 2),
};
#undef COND

static void
fn_conditioning(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_item *it = obj;
    char a[48], b[48];

    if (!want_group(x, s, "noise_band = ...; ..."))
        return;
    size_t before = x->n_errors;
    read_group(x, s, conditioning_keys, ARRAY_SIZE(conditioning_keys), obj);
    if (x->n_errors != before)
        return; /* a value that was not read is still its default */
    /*
     * The two rules of cond_config_check() that relate settings to each other,
     * reported at the setting the user wrote (the other one may be a default).
     */
    config_setting_t *z = member(s, "zero_band"), *e = member(s, "empty");
    if (it->cond.zero_band_mg > it->cond.empty_mg) {
        format_fixed(it->cond.empty_mg, 1000, a, sizeof(a));
        format_fixed(it->cond.zero_band_mg, 1000, b, sizeof(b));
        if (z != NULL)
            setting_error(x, z, "expected grams from 0 to empty (%s%s), found %s", a,
                          e != NULL ? "" : ", its default", b);
        else
            setting_error(x, e,
                          "expected grams of at least zero_band (%s, its "
                          "default), found %s",
                          b, a);
    }
    config_setting_t *pl = member(s, "plateau"), *st = member(s, "settle");
    if (it->cond.settle_ms < it->cond.plateau_ms) {
        format_duration_ms(it->cond.plateau_ms, a, sizeof(a));
        format_duration_ms(it->cond.settle_ms, b, sizeof(b));
        if (st != NULL)
            setting_error(x, st,
                          "expected a duration of at least plateau (%s%s), found "
                          "\"%s\"",
                          a, pl != NULL ? "" : ", its default", b);
        else
            setting_error(x, pl,
                          "expected a duration of at most settle (%s, its "
                          "default), found \"%s\"",
                          b, a);
    }
    config_setting_t *w = member(s, "away"), *ea = member(s, "empty_after");
    if (it->cond.empty_after_ms < it->cond.away_ms) {
        format_duration_ms(it->cond.away_ms, a, sizeof(a));
        format_duration_ms(it->cond.empty_after_ms, b, sizeof(b));
        if (ea != NULL)
            setting_error(x, ea,
                          "expected a duration of at least away (%s%s), found "
                          "\"%s\"",
                          a, w != NULL ? "" : ", its default", b);
        else
            setting_error(x, w,
                          "expected a duration of at most empty_after (%s, its "
                          "default), found \"%s\"",
                          b, a);
    }
}

static const struct key item_keys[] = {
    KEY("id", K_ID, true, struct cfg_item, id, 0, 0),
    KEY("name", K_TEXT, false, struct cfg_item, name, 1, 0),
    KFN("sku", false, fn_sku, NULL),
    KFN("gtin", false, fn_gtin, NULL),
    KFN("channel", true, fn_item_channel, "the name of a channel"),
    KEY("pack", K_GRAMS, true, struct cfg_item, pack_mg, 1000, 100000000),
    KEY("container", K_GRAMS, false, struct cfg_item, container_mg, 0, 100000000),
    KEY("packs_per_order", K_INT, false, struct cfg_item, packs_per_order, 1, 100),
    KEY("packs_min", K_INT, false, struct cfg_item, packs_min, 1, 100),
    KFN("substitutes", false, fn_substitutes, NULL),
    KEY("price_max", K_MONEY, false, struct cfg_item, price_max_cents, 0, 1000000),
    KFN("delivery", false, fn_item_delivery, NULL),
    KEY("lead", K_DUR_S, false, struct cfg_item, lead_s, HOUR_S, 60 * DAY_S),
    KEY("lead_spread", K_DUR_S, false, struct cfg_item, lead_spread_s, 0, 60 * DAY_S),
    KEY("review", K_DUR_S, false, struct cfg_item, review_s, HOUR_S, 60 * DAY_S),
    KEY("cover", K_DUR_S, false, struct cfg_item, cover_s, 0, 365 * DAY_S),
    KEY("service_level", K_BP, false, struct cfg_item, service_bp, 5000, 9990),
    KENUM("mode", struct cfg_item, mode, mode_names),
    KEY("cooldown", K_DUR_S, false, struct cfg_item, cooldown_s, 0, 60 * DAY_S),
    KEY("max_orders_30d", K_INT, false, struct cfg_item, max_orders_30d, 1, 30),
    KEY("price", K_MONEY, false, struct cfg_item, price_cents, 0, 1000000),
    KEY("budget", K_MONEY, false, struct cfg_item, budget_cents, 0, 10000000),
    KEY("learn", K_BOOL, false, struct cfg_item, learn, 0, 0),
    KFN("calibration", false, fn_calibration, NULL),
    KFN("forecast", false, fn_forecast, NULL),
    KFN("conditioning", false, fn_conditioning, NULL),
    KEY("grocy_product", K_INT, false, struct cfg_item, grocy_product, 1, INT32_MAX),
    KEY("grocy_unit_g", K_GRAMS, false, struct cfg_item, grocy_unit_mg, 1, 100000000),
};

static void
read_item(struct ctx *x, config_setting_t *s, struct cfg_item *it)
{
    char a[48], b[48];

    /* pack is not known yet: conditioning starts from the defaults either way. */
    cfg_item_defaults(it, 1);
    it->pack_mg = 0;
    size_t before = x->n_errors;
    read_group(x, s, item_keys, ARRAY_SIZE(item_keys), it);
    it->cond.pack_mg = it->pack_mg;
    it->cond.container_mg = it->container_mg;
    if (it->lead_spread_s < 0)
        it->lead_spread_s = it->lead_s; /* wide: a new device orders early */
    if (it->name[0] == '\0')
        put_str(it->name, sizeof(it->name), it->id);
    if (x->n_errors != before)
        return;
    if (it->packs_min > it->packs_per_order)
        setting_error(x, member(s, "packs_min"),
                      "expected at most packs_per_order (%u), "
                      "found %u",
                      it->packs_per_order, it->packs_min);
    if (it->n_substitutes > 0 && it->sku[0] == '\0' && it->gtin[0] == '\0')
        setting_error(x, member(s, "substitutes"),
                      "expected the item's own sku or gtin (the preferred product) "
                      "beside substitutes, found neither");
    /* A full container must be a reading conditioning believes possible. */
    if (it->pack_mg + it->container_mg > it->cond.max_mg) {
        format_fixed(it->cond.max_mg, 1000, a, sizeof(a));
        format_fixed(it->pack_mg + it->container_mg, 1000, b, sizeof(b));
        setting_error(x, member(s, "pack"),
                      "expected pack + container within conditioning.max (%s g), "
                      "found %s g",
                      a, b);
    }
    /* Guards the rules above; a failure here is a gap in this file's tables. */
    if (cond_config_check(&it->cond) < 0)
        setting_error(x, s,
                      "expected conditioning settings that agree, found some "
                      "that do not");
}

/* ------------------------------------------------------------------------ */
/* Buttons */

static void
fn_button_chip(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_button *b = obj;
    chip_value(x, s, b->device, sizeof(b->device));
}

static void
fn_key(struct ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "a key code from 1 to 767 other than 116 (KEY_POWER shuts the Pi down)";
    struct cfg_button *b = obj;
    int64_t v;

    if (!get_int(x, s, 1, 767, expected, &v))
        return;
    if (v == 116)
        value_error(x, s, expected, NULL);
    else
        b->key = (uint16_t)v;
}

static const struct key gpio_keys[] = {
    KFN("chip", false, fn_button_chip, NULL),
    KEY("line", K_INT, true, struct cfg_button, line, 0, 53),
    KEY("active_low", K_BOOL, false, struct cfg_button, active_low, 0, 0),
};

static const struct key evdev_keys[] = {
    KEYW("device", K_PATH, true, struct cfg_button, device, 1, 0,
         "an absolute path like /dev/input/by-path/platform-gpio-keys-event"),
    KFN("key", true, fn_key, "a key code from 1 to 767"),
};

static void
fn_gpio(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_button *b = obj;

    b->source = CFG_BTN_GPIO;
    if (want_group(x, s, "line = ...;"))
        read_group(x, s, gpio_keys, ARRAY_SIZE(gpio_keys), obj);
}

static void
fn_evdev(struct ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_button *b = obj;

    b->source = CFG_BTN_EVDEV;
    b->device[0] = '\0';
    if (want_group(x, s, "device = ...; key = ...;"))
        read_group(x, s, evdev_keys, ARRAY_SIZE(evdev_keys), obj);
}

static void
fn_button_item(struct ctx *x, config_setting_t *s, void *obj)
{
    (void)obj;
    if (get_str(x, s, "the id of an item") != NULL)
        x->btn_item[x->c->n_buttons] = s;
}

/* zigbee2mqtt = { topic; actions; }: a button on the home broker */
static void
fn_zigbee2mqtt(struct ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_feeds_button(s, obj, &where, err, sizeof(err)) < 0)
        setting_error(x, where, "%s", err);
}

static const struct key button_keys[] = {
    KFN("gpio", false, fn_gpio, NULL),
    KFN("evdev", false, fn_evdev, NULL),
    KFN("zigbee2mqtt", false, fn_zigbee2mqtt, NULL),
    KFN("item", false, fn_button_item, NULL),
    KENUM("short", struct cfg_button, on_short, action_names),
    KENUM("long", struct cfg_button, on_long, action_names),
    KENUM("double", struct cfg_button, on_double, action_names),
    KEY("debounce", K_DUR_MS, false, struct cfg_button, debounce_ms, 0, 1000),
    KEY("long_after", K_DUR_MS, false, struct cfg_button, long_ms, 1, 60000),
    KEY("double_within", K_DUR_MS, false, struct cfg_button, double_ms, 0, 10000),
};

static void
read_button(struct ctx *x, config_setting_t *s, struct cfg_button *b)
{
    config_setting_t *g = member(s, "gpio"), *e = member(s, "evdev");
    config_setting_t *z = member(s, "zigbee2mqtt"), *two = NULL;

    cfg_button_defaults(b);
    if (g == NULL && e == NULL && z == NULL)
        setting_error(x, s,
                      "expected one of gpio = { ... }, evdev = { ... } or "
                      "zigbee2mqtt = { ... }, found neither");
    if (g != NULL && e != NULL)
        setting_error(x, config_setting_index(g) > config_setting_index(e) ? g : e,
                      "expected one of gpio or evdev, found both");
    else if (z != NULL && (g != NULL || e != NULL))
        two = z;
    if (two != NULL)
        setting_error(x, two, "expected one of gpio, evdev or zigbee2mqtt, found two");
    size_t before = x->n_errors;
    read_group(x, s, button_keys, ARRAY_SIZE(button_keys), b);
    if (x->n_errors == before && b->long_ms <= b->debounce_ms) {
        config_setting_t *l = member(s, "long_after");
        char a[48], f[48];
        format_duration_ms(b->debounce_ms, a, sizeof(a));
        format_duration_ms(b->long_ms, f, sizeof(f));
        setting_error(x, l != NULL ? l : member(s, "debounce"),
                      "expected long_after longer than debounce (%s), found \"%s\"", a,
                      f);
    }
}

/* ------------------------------------------------------------------------ */
/* Lists */

static void
fn_channels(struct ctx *x, config_setting_t *s, void *obj)
{
    struct agent_config *c = obj;
    int n = config_setting_length(s);

    if (config_setting_is_list(s) && n == 0) {
        setting_error(x, s, "expected at least one channel in the list, found none");
        return;
    }
    if (!config_setting_is_list(s)) {
        value_error(x, s, "a list ( { name = ...; iio = { ... }; }, ... )", NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((size_t)i == CFG_MAX_CHANNELS) {
            setting_error(x, e, "expected at most %d channels, found %d",
                          CFG_MAX_CHANNELS, n);
            break;
        }
        if (!want_group(x, e, "name = ...; iio = { ... };"))
            continue;
        channel_defaults(&c->channels[c->n_channels], (size_t)i);
        x->chan_set[c->n_channels] = e;
        read_channel(x, e, &c->channels[c->n_channels]);
        c->n_channels++;
    }
}

static void
fn_items(struct ctx *x, config_setting_t *s, void *obj)
{
    struct agent_config *c = obj;
    int n = config_setting_length(s);

    if (config_setting_is_list(s) && n == 0) {
        setting_error(x, s, "expected at least one item in the list, found none");
        return;
    }
    if (!config_setting_is_list(s)) {
        value_error(x, s, "a list ( { id = ...; channel = ...; pack = ...; }, ... )",
                    NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((size_t)i == CFG_MAX_ITEMS) {
            setting_error(x, e, "expected at most %d items, found %d", CFG_MAX_ITEMS,
                          n);
            break;
        }
        if (!want_group(x, e, "id = ...; channel = ...; pack = ...;"))
            continue;
        x->item_set[c->n_items] = e;
        x->item_chan[c->n_items] = NULL;
        read_item(x, e, &c->items[c->n_items]);
        c->n_items++;
    }
}

static void
fn_buttons(struct ctx *x, config_setting_t *s, void *obj)
{
    struct agent_config *c = obj;
    int n = config_setting_length(s);

    if (!config_setting_is_list(s)) {
        value_error(x, s, "a list ( { gpio = { ... }; item = ...; }, ... )", NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((size_t)i == CFG_MAX_BUTTONS) {
            setting_error(x, e, "expected at most %d buttons, found %d",
                          CFG_MAX_BUTTONS, n);
            break;
        }
        if (!want_group(x, e, "gpio = { ... }; item = ...;"))
            continue;
        x->btn_set[c->n_buttons] = e;
        x->btn_item[c->n_buttons] = NULL;
        read_button(x, e, &c->buttons[c->n_buttons]);
        c->n_buttons++;
    }
}

static void
fn_away(struct ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_wishes_away(s, obj, &where, err, sizeof(err)) < 0)
        setting_error(x, where, "%s", err);
}

static void
fn_top_delivery(struct ctx *x, config_setting_t *s, void *obj)
{
    fn_delivery(x, s, &((struct agent_config *)obj)->delivery);
}

/* grocy = { url; api_key_file; mode; timeout; } (config-grocy.h) */
static void
fn_grocy(struct ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_grocy_read(s, &((struct agent_config *)obj)->grocy, &where, err,
                       sizeof(err)) < 0)
        setting_error(x, where, "%s", err);
}

static const struct key top_keys[] = {
    KFN("device_id", true, fn_top_device_id,
        "1 to 63 characters of A-Z, a-z, 0-9, _ and - (an MQTT topic level)"),
    KFN("topic_prefix", false, fn_topic_prefix, NULL),
    KEY("store_path", K_PATH, false, struct agent_config, store_path, 1, 0),
    KEY("key_path", K_PATH, false, struct agent_config, key_path, 1, 0),
    /* sockaddr_un.sun_path holds 108 bytes with the NUL. */
    {.name = "control_socket",
     .kind = K_PATH,
     .off = offsetof(struct agent_config, control_socket),
     .size = 108,
     .min = 1},
    KENUM("log_level", struct agent_config, log_level, log_level_names),
    KEY("monthly_budget", K_MONEY, false, struct agent_config, monthly_budget_cents, 0,
        100000000),
    KFN("currency", false, fn_currency, NULL),
    KFN("delivery", false, fn_top_delivery, NULL),
    KFN("away", false, fn_away, NULL),
    KEY("cancel_window", K_DUR_S, false, struct agent_config, cancel_window_s, 0,
        DAY_S),
    KEY("order_expiry", K_DUR_S, false, struct agent_config, order_expiry_s, HOUR_S,
        60 * DAY_S),
    KEY("aggregate", K_DUR_S, false, struct agent_config, aggregate_s, MIN_S, DAY_S),
    KEY("retention", K_DUR_S, false, struct agent_config, retention_s, DAY_S,
        DUR_MAX_S / DAY_S * DAY_S),
    KFN("broker", false, fn_broker, NULL),
    KFN("channels", true, fn_channels,
        "a list ( { name = ...; iio = { ... }; }, ... )"),
    KFN("items", true, fn_items,
        "a list ( { id = ...; channel = ...; pack = ...; }, ... )"),
    KFN("buttons", false, fn_buttons, NULL),
    KFN("home", false, fn_home, NULL),
    KFN("grocy", false, fn_grocy, NULL),
};

/* ------------------------------------------------------------------------ */
/* References across the file */

/* "gpiochip0" for "gpiochip0", "/dev/gpiochip0" and "0"; labels stay as they are. */
static void
chip_key(const char *chip, char *buf, size_t len)
{
    if (strncmp(chip, "/dev/", 5) == 0)
        chip += 5;
    int64_t n;
    if (text_parse_uint(chip, 4, false, &n))
        snprintf(buf, len, "gpiochip%lld", (long long)n);
    else
        snprintf(buf, len, "%s", chip);
}

struct line_use {
    char chip[CFG_NAME_MAX];
    unsigned line;
    config_setting_t *s; /* the setting that names the line */
};

static void
claim_line(struct ctx *x, struct line_use *uses, size_t *n, const char *chip,
           unsigned line, config_setting_t *s)
{
    char key[CFG_NAME_MAX], first[PATH_LEN];

    if (s == NULL)
        return;
    chip_key(chip, key, sizeof(key));
    for (size_t i = 0; i < *n; i++)
        if (uses[i].line == line && strcmp(uses[i].chip, key) == 0) {
            path_of(uses[i].s, first, sizeof(first));
            setting_error(x, s,
                          "expected a GPIO line nothing else uses, found %u of %s "
                          "again (%s, line %u)",
                          line, key, first, line_of(uses[i].s));
            return;
        }
    snprintf(uses[*n].chip, sizeof(uses[*n].chip), "%s", key);
    uses[*n].line = line;
    uses[(*n)++].s = s;
}

/* The member of a nested group, or NULL: "hx711" then "dout". */
static config_setting_t *
nested(config_setting_t *s, const char *group, const char *name)
{
    config_setting_t *g = member(s, group);
    return g != NULL && config_setting_is_group(g) ? member(g, name) : NULL;
}

static void
check_channels(struct ctx *x)
{
    struct agent_config *c = x->c;
    char first[PATH_LEN];

    for (size_t j = 0; j < c->n_channels; j++) {
        struct cfg_channel *b = &c->channels[j];
        config_setting_t *sj = x->chan_set[j];
        for (size_t i = 0; i < j; i++) {
            struct cfg_channel *a = &c->channels[i];
            config_setting_t *si = x->chan_set[i];
            path_of(si, first, sizeof(first));
            if (a->name[0] != '\0' && strcmp(a->name, b->name) == 0)
                setting_error(x, member(sj, "name"),
                              "expected a name no other channel has, found \"%s\" "
                              "again (%s, line %u)",
                              b->name, first, line_of(si));
            if (a->index == b->index) {
                config_setting_t *ix = member(sj, "index");
                if (ix == NULL)
                    ix = member(si, "index");
                setting_error(x, ix != NULL ? ix : sj,
                              "expected an index no other channel has, found %u "
                              "again (%s, line %u)",
                              b->index, first, line_of(si));
            }
            if (a->source == CFG_SRC_IIO && b->source == CFG_SRC_IIO &&
                a->device[0] != '\0' && strcmp(a->device, b->device) == 0 &&
                a->input == b->input) {
                config_setting_t *in = nested(sj, "iio", "input");
                setting_error(x, in != NULL ? in : nested(sj, "iio", "device"),
                              "expected an input no other channel reads, found "
                              "input %u of \"%s\" again (%s, line %u)",
                              b->input, b->device, first, line_of(si));
            }
        }
    }
}

static void
check_gpio_lines(struct ctx *x)
{
    struct agent_config *c = x->c;
    struct line_use uses[2 * CFG_MAX_CHANNELS + CFG_MAX_BUTTONS];
    size_t n = 0;

    for (size_t i = 0; i < c->n_channels; i++) {
        const struct cfg_channel *ch = &c->channels[i];
        if (ch->source != CFG_SRC_HX711)
            continue;
        config_setting_t *d = nested(x->chan_set[i], "hx711", "dout");
        config_setting_t *k = nested(x->chan_set[i], "hx711", "sck");
        claim_line(x, uses, &n, ch->chip, ch->dout, d);
        if (ch->sck != ch->dout)
            claim_line(x, uses, &n, ch->chip, ch->sck, k);
    }
    for (size_t i = 0; i < c->n_buttons; i++) {
        const struct cfg_button *b = &c->buttons[i];
        if (b->source == CFG_BTN_GPIO)
            claim_line(x, uses, &n, b->device, b->line,
                       nested(x->btn_set[i], "gpio", "line"));
    }
}

static void
check_items(struct ctx *x)
{
    struct agent_config *c = x->c;
    const char *names[CFG_MAX_CHANNELS + 1];
    char first[PATH_LEN], note[80];
    int owner[CFG_MAX_CHANNELS];

    for (size_t i = 0; i < c->n_channels; i++) {
        names[i] = c->channels[i].name;
        owner[i] = -1;
    }
    for (size_t j = 0; j < c->n_items; j++) {
        struct cfg_item *it = &c->items[j];
        for (size_t i = 0; i < j; i++)
            if (it->id[0] != '\0' && strcmp(c->items[i].id, it->id) == 0) {
                path_of(x->item_set[i], first, sizeof(first));
                setting_error(x, member(x->item_set[j], "id"),
                              "expected an id no other item has, found \"%s\" again "
                              "(%s, line %u)",
                              it->id, first, line_of(x->item_set[i]));
                break;
            }
        config_setting_t *cs = x->item_chan[j];
        if (cs == NULL)
            continue;
        const char *name = config_setting_get_string(cs);
        int ch = cfg_find_channel(c, name);
        if (ch < 0) {
            did_you_mean(name, names, c->n_channels, '"', note, sizeof(note));
            value_error(x, cs, "the name of a channel", note);
            continue;
        }
        if (owner[ch] >= 0) {
            path_of(x->item_set[owner[ch]], first, sizeof(first));
            setting_error(x, cs,
                          "expected a channel no other item is on, found \"%s\" "
                          "again (%s, line %u)",
                          name, first, line_of(x->item_set[owner[ch]]));
            continue;
        }
        owner[ch] = (int)j;
        it->channel = ch;
    }
}

static bool
needs_item(enum cfg_action a)
{
    return a == CFG_ACT_ORDER || a == CFG_ACT_CANCEL;
}

static void
check_buttons(struct ctx *x)
{
    struct agent_config *c = x->c;
    const char *ids[CFG_MAX_ITEMS + 1];
    char first[PATH_LEN], note[80];

    for (size_t i = 0; i < c->n_items; i++)
        ids[i] = c->items[i].id;
    for (size_t j = 0; j < c->n_buttons; j++) {
        struct cfg_button *b = &c->buttons[j];
        config_setting_t *sj = x->btn_set[j];
        if (b->source == CFG_BTN_EVDEV)
            for (size_t i = 0; i < j; i++) {
                const struct cfg_button *a = &c->buttons[i];
                if (a->source != CFG_BTN_EVDEV || a->key != b->key || b->key == 0 ||
                    strcmp(a->device, b->device) != 0)
                    continue;
                path_of(x->btn_set[i], first, sizeof(first));
                setting_error(x, nested(sj, "evdev", "key"),
                              "expected a key no other button uses, found %u of %s "
                              "again (%s, line %u)",
                              b->key, b->device, first, line_of(x->btn_set[i]));
                break;
            }
        config_setting_t *is = x->btn_item[j];
        if (is != NULL) {
            const char *id = config_setting_get_string(is);
            b->item = cfg_find_item(c, id);
            if (b->item < 0) {
                did_you_mean(id, ids, c->n_items, '"', note, sizeof(note));
                value_error(x, is, "the id of an item", note);
            }
            continue;
        }
        if (member(sj, "item") != NULL)
            continue; /* not a string: reported already */
        /* Without an item, order and cancel have nothing to act on. */
        static const char *const which[] = {"short", "long", "double"};
        enum cfg_action acts[] = {b->on_short, b->on_long, b->on_double};
        bool reported = false;
        for (size_t k = 0; k < 3; k++) {
            config_setting_t *as = member(sj, which[k]);
            if (!needs_item(acts[k]))
                continue;
            if (as != NULL) {
                value_error(x, as, "\"none\" or \"confirm\" on a button without item",
                            NULL);
            } else if (!reported) {
                missing_error(x, sj, "item",
                              "the id of an item (short = \"order\" and long = "
                              "\"cancel\" by default)");
                reported = true;
            }
        }
    }
}

/* ------------------------------------------------------------------------ */
/* Loading */

/* The name a libconfig duplicate error is about: the last "name =" on its line. */
static void
duplicate_name(const char *text, unsigned line, char *buf, size_t len)
{
    const char *p = text;

    buf[0] = '\0';
    for (unsigned l = 1; l < line && p != NULL; l++)
        if ((p = strchr(p, '\n')) != NULL)
            p++;
    if (p == NULL)
        return;
    while (*p != '\0' && *p != '\n') {
        if (!cfg_scan_name_start(*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (cfg_scan_name_char(*p))
            p++;
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '=' || *q == ':')
            snprintf(buf, len, "%.*s", (int)(p - start) < 60 ? (int)(p - start) : 60,
                     start);
    }
}

static void
syntax_error(struct ctx *x, const config_t *cf, const char *text)
{
    const char *what = config_error_text(cf);
    unsigned line = (unsigned)config_error_line(cf);
    char name[64];

    if (what == NULL)
        what = "unknown error";
    if (line == 0)
        line = 1;
    if (strcmp(what, "duplicate setting name") == 0) {
        duplicate_name(text, line, name, sizeof(name));
        if (name[0] != '\0') {
            add_message(x,
                        "%s:%u: %s: expected each setting once in its group, found "
                        "'%s' again",
                        x->file, line, name, name);
            return;
        }
    }
    if (strcmp(what, "syntax error") == 0)
        add_message(x,
                    "%s:%u: syntax error: expected settings like name = value; "
                    "with text in \"double quotes\", groups in { }, lists in ( )",
                    x->file, line);
    else
        add_message(x, "%s:%u: syntax error: %s", x->file, line, what);
}

/* The line of a stored message ("FILE:LINE: ..."), 0 when it has none. */
static unsigned long
message_line(const struct ctx *x, const char *msg)
{
    size_t n = strlen(x->file);

    if (strncmp(msg, x->file, n) != 0 || msg[n] != ':' ||
        msg[n + 1] < '0' || msg[n + 1] > '9')
        return 0;
    return strtoul(msg + n + 1, NULL, 10);
}

/*
 * Messages come in the order of the checks (the settings, then the references
 * between them); the user reads them best in the order of the file. A stable
 * insertion sort: at most CFG_ERR_MAX messages.
 */
static void
sort_messages(const struct ctx *x)
{
    struct cfg_errors *e = x->errs;
    char tmp[CFG_ERR_LEN];

    if (e == NULL)
        return;
    for (size_t i = 1; i < e->count; i++) {
        unsigned long line = message_line(x, e->msg[i]);
        size_t j = i;
        while (j > 0 && message_line(x, e->msg[j - 1]) > line)
            j--;
        if (j == i)
            continue;
        memcpy(tmp, e->msg[i], CFG_ERR_LEN);
        memmove(e->msg[j + 1], e->msg[j], (i - j) * CFG_ERR_LEN);
        memcpy(e->msg[j], tmp, CFG_ERR_LEN);
    }
}

/* A problem the pre-pass found, as "FILE:LINE: what". */
static void
scan_problem(void *arg, unsigned line, const char *what)
{
    struct ctx *x = arg;

    add_message(x, "%s:%u: %s", x->file, line, what);
}

/* text with x->scan.bad_string replaced by " 0 " and the newlines it held. */
static char *
without_bad_string(const struct ctx *x, const char *text)
{
    size_t len = strlen(text), head = (size_t)(x->scan.bad_string - text);
    char *copy = malloc(len + 4);

    if (copy == NULL)
        return NULL;
    memcpy(copy, text, head);
    size_t o = head;
    copy[o++] = ' ';
    copy[o++] = '0';
    copy[o++] = ' ';
    /* k newlines in a string of at least k + 1 bytes: 3 + k <= its length + 2 */
    for (size_t i = 0; i < x->scan.bad_string_len; i++)
        if (x->scan.bad_string[i] == '\n')
            copy[o++] = '\n';
    size_t tail = head + x->scan.bad_string_len;
    memcpy(copy + o, text + tail, len - tail + 1);
    return copy;
}

static int
load_text(const char *text, const char *name, struct agent_config *out,
          struct cfg_errors *errs)
{
    /* On the heap: the context is a few KB, and the caller's stack may be small. */
    struct ctx *x = calloc(1, sizeof(*x));
    config_t cf;
    int r = -EINVAL;
    char *copy = NULL;
    const char *parsed = text;

    cfg_defaults(out);
    if (x == NULL) {
        if (errs != NULL && errs->count < CFG_ERR_MAX)
            snprintf(errs->msg[errs->count++], CFG_ERR_LEN, "%s: out of memory", name);
        return -ENOMEM;
    }
    x->file = name;
    x->errs = errs;
    x->c = out;
    config_init(&cf);
    config_set_auto_convert(&cf, 0);
    if (!cfg_scan(text, &x->scan, scan_problem, x))
        goto out;
    if (x->scan.bad_string != NULL) {
        /* See config-scan.h: the same syntax error, without libconfig's leak. */
        if ((copy = without_bad_string(x, text)) == NULL) {
            r = -ENOMEM;
            goto out;
        }
        parsed = copy;
    }
    if (config_read_string(&cf, parsed) != CONFIG_TRUE) {
        syntax_error(x, &cf, parsed);
        goto out;
    }
    config_setting_t *root = config_root_setting(&cf);
    read_group(x, root, top_keys, ARRAY_SIZE(top_keys), out);
    check_channels(x);
    check_gpio_lines(x);
    check_items(x);
    check_buttons(x);
    if (x->n_errors == 0) {
        const config_setting_t *where = root;
        char err[CFG_ERR_LEN - 64];
        if (cfg_feeds_check(out, x->chan_set, x->item_set, x->btn_set, &where, err,
                            sizeof(err)) < 0)
            setting_error(x, where, "%s", err);
    }
    if (out->broker.client_id[0] == '\0')
        put_str(out->broker.client_id, sizeof(out->broker.client_id), out->device_id);
    cfg_home_finish(&out->home, out->device_id);
    r = x->n_errors == 0 ? 0 : -EINVAL;
    sort_messages(x);
out:
    config_destroy(&cf);
    free(copy);
    free(x);
    return r;
}

int
cfg_load_string(const char *text, const char *name, struct agent_config *out,
                struct cfg_errors *errs)
{
    if (errs != NULL)
        cfg_errors_init(errs);
    return load_text(text, name != NULL ? name : "<string>", out, errs);
}

/* The whole file into a NUL-terminated buffer (the caller frees it). */
static int
read_file(const char *path, char **text, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int r = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        r = -EISDIR;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        goto out;
    }
    if (st.st_size > CFG_FILE_MAX) {
        r = -EFBIG;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        r = -ENOMEM;
        goto out;
    }
    /* Read to the end, not st_size: the file may change while it is read. */
    for (;;) {
        ssize_t got = read(fd, buf + n, (size_t)st.st_size + 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r = -errno;
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > (size_t)st.st_size) {
            r = -EFBIG;
            goto out;
        }
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return r;
}

int
cfg_load(const char *path, struct agent_config *out, struct cfg_errors *errs)
{
    struct ctx x = {.file = path, .errs = errs};
    char *text = NULL;
    size_t len = 0;
    int r;

    if (errs != NULL)
        cfg_errors_init(errs);
    cfg_defaults(out);
    r = read_file(path, &text, &len);
    if (r == -EFBIG) {
        add_message(&x, "%s: cannot read: expected at most %d bytes, found more", path,
                    CFG_FILE_MAX);
        return r;
    }
    if (r == -EINVAL) {
        add_message(&x, "%s: cannot read: expected a regular file, found another kind",
                    path);
        return r;
    }
    if (r < 0) {
        add_message(&x, "%s: cannot read: %s", path, strerror(-r));
        return r;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        unsigned line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        add_message(&x, "%s:%u: expected text, found a NUL byte", path, line);
        free(text);
        return -EINVAL;
    }
    r = load_text(text, path, out, errs);
    free(text);
    return r;
}
