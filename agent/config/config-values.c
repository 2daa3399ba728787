/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One value at a time (see config-read.h): integers, fixed-point numbers
 * (grams, money, basis points), durations, booleans, enumerations, ids, text
 * and paths, each checked exactly against its range, and the tables of known
 * settings that read a whole group into a struct: unknown settings reported
 * with a near miss, required ones that are missing reported last.
 */
#include "agent/config/config-read.h"

#include <stdio.h>
#include <string.h>

#include "sensors/text.h"
#include "models/units.h"
#include "agent/msg/utc.h"

/* ------------------------------------------------------------------------ */
/* Values */

bool
cfg_is_int(const config_setting_t *s)
{
    int t = config_setting_type(s);
    return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

/* An integer from min to max. */
bool
cfg_get_int(struct cfg_ctx *x, const config_setting_t *s, int64_t min, int64_t max,
            const char *expected, int64_t *out)
{
    if (!cfg_is_int(s) || cfg_find_overflow(x, s) != NULL) {
        cfg_value_error(x, s, expected, NULL);
        return false;
    }
    int64_t v = config_setting_get_int64(s);
    if (v < min || v > max) {
        cfg_value_error(x, s, expected, NULL);
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
get_scaled(struct cfg_ctx *x, const config_setting_t *s, int64_t scale, int64_t min,
           int64_t max, const char *expected, int64_t *out)
{
    int64_t v;

    if (cfg_find_overflow(x, s) != NULL)
        goto bad;
    if (cfg_is_int(s)) {
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
    cfg_value_error(x, s, expected, NULL);
    return false;
}

static bool
get_bool(struct cfg_ctx *x, const config_setting_t *s, bool *out)
{
    if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
        cfg_value_error(x, s, "true or false", NULL);
        return false;
    }
    *out = config_setting_get_bool(s) != 0;
    return true;
}

/* The string of s, or NULL (and a message) when s is not a string. */
const char *
cfg_get_str(struct cfg_ctx *x, const config_setting_t *s, const char *expected)
{
    if (config_setting_type(s) != CONFIG_TYPE_STRING) {
        cfg_value_error(x, s, expected, NULL);
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
get_enum(struct cfg_ctx *x, const config_setting_t *s, const char *const *names,
         int *out)
{
    char expected[128];
    size_t n = enum_expected(names, expected, sizeof(expected));
    const char *v = cfg_get_str(x, s, expected);
    if (v == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v, names[i]) == 0) {
            *out = (int)i;
            return true;
        }
    char note[64];
    cfg_did_you_mean(v, names, n, '"', note, sizeof(note));
    cfg_value_error(x, s, expected, note);
    return false;
}

/* "90s", "15m", "2h", "3d": the largest unit that states d exactly. */
static void
format_duration_s(int64_t d, char *buf, size_t len)
{
    if (d != 0 && d % MODELS_DAY_S == 0)
        snprintf(buf, len, "%lldd", (long long)(d / MODELS_DAY_S));
    else if (d != 0 && d % HOUR_S == 0)
        snprintf(buf, len, "%lldh", (long long)(d / HOUR_S));
    else if (d != 0 && d % MIN_S == 0)
        snprintf(buf, len, "%lldm", (long long)(d / MIN_S));
    else
        snprintf(buf, len, "%llds", (long long)d);
}

void
cfg_format_duration_ms(int64_t d, char *buf, size_t len)
{
    if (d != 0 && d % 1000 == 0)
        format_duration_s(d / 1000, buf, len);
    else
        snprintf(buf, len, "%lldms", (long long)d);
}

/*
 * A duration string: a whole number and a unit, "ms" (when ms), "s", "m", "h"
 * or "d". The s/m/h/d forms are utc_parse_duration()'s (at most MODELS_DT_MAX_S). Result in the unit
 * of the range (ms or s).
 */
bool
cfg_parse_duration(const char *v, bool ms, int64_t *out)
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
    if (utc_parse_duration(v, MODELS_DT_MAX_S, &d) < 0)
        return false;
    *out = ms ? d * 1000 : d;
    return true;
}

static void
duration_expected(bool ms, int64_t min, int64_t max, char *buf, size_t len)
{
    char a[48], b[48];

    if (ms) {
        cfg_format_duration_ms(min, a, sizeof(a));
        cfg_format_duration_ms(max, b, sizeof(b));
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
get_duration(struct cfg_ctx *x, const config_setting_t *s, bool ms, int64_t min,
             int64_t max, int64_t *out)
{
    char expected[128];
    int64_t d;

    duration_expected(ms, min, max, expected, sizeof(expected));
    const char *v = cfg_get_str(x, s, expected);
    if (v == NULL)
        return false;
    if (!cfg_parse_duration(v, ms, &d) || d < min || d > max) {
        cfg_value_error(x, s, expected, NULL);
        return false;
    }
    *out = d;
    return true;
}

/* "2.5" for 2500 (milli units), "4.99" for 499 (centi units) */
void
cfg_format_fixed(int64_t v, int64_t scale, char *buf, size_t len)
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

bool
cfg_ascii_in(const char *s, const char *extra, bool upper)
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
bool
cfg_utf8_ok(const char *s, bool controls)
{
    size_t left = strlen(s);

    while (left > 0) {
        uint32_t cp;
        int n = text_utf8_next(s, left, &cp);
        if (n < 0)
            return false;
        if (!controls && (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)))
            return false;
        s += n;
        left -= (size_t)n;
    }
    return true;
}

static bool
text_ok(const char *s)
{
    return cfg_utf8_ok(s, false);
}

/* Copy v (already checked to fit) into a field. */
void
cfg_put_str(char *dst, size_t cap, const char *v)
{
    size_t n = strlen(v);

    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* ------------------------------------------------------------------------ */
/* Tables of known settings */

static void
put_int(void *obj, const struct cfg_key *k, int64_t v)
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
expected_text(const struct cfg_key *k, char *buf, size_t len)
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
        cfg_format_fixed(k->min, 1000, a, sizeof(a));
        cfg_format_fixed(k->max, 1000, b, sizeof(b));
        snprintf(buf, len, "grams from %s to %s", a, b);
        break;
    case K_MONEY:
        cfg_format_fixed(k->max, 100, b, sizeof(b));
        snprintf(buf, len, "an amount from 0 to %s", b);
        break;
    case K_BP:
        cfg_format_fixed(k->min, 10000, a, sizeof(a));
        cfg_format_fixed(k->max, 10000, b, sizeof(b));
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
apply_key(struct cfg_ctx *x, config_setting_t *s, const struct cfg_key *k, void *obj)
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
        ok = cfg_get_int(x, s, k->min, k->max, expected, &v);
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
        if ((str = cfg_get_str(x, s, expected)) == NULL)
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
            cfg_value_error(x, s, expected, NULL);
        else
            cfg_put_str((char *)obj + k->off, k->size, str);
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
uint32_t
cfg_read_group(struct cfg_ctx *x, config_setting_t *g, const struct cfg_key *keys,
               size_t n, void *obj)
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
            cfg_did_you_mean(name, names, n, '\'', note, sizeof(note));
            cfg_setting_error(x, s, "unknown setting '%.60s'%s", name, note);
            continue;
        }
        seen |= UINT32_C(1) << k;
        apply_key(x, s, &keys[k], obj);
    }
    for (size_t k = 0; k < n; k++)
        if (keys[k].required && !(seen & (UINT32_C(1) << k))) {
            char expected[160];
            expected_text(&keys[k], expected, sizeof(expected));
            cfg_missing_error(x, g, keys[k].name, expected);
        }
    return seen;
}

/* s must be a group { }: otherwise a message, and false. */
bool
cfg_want_group(struct cfg_ctx *x, const config_setting_t *s, const char *what)
{
    if (config_setting_is_group(s))
        return true;
    char expected[96];
    snprintf(expected, sizeof(expected), "a group { %s }", what);
    cfg_value_error(x, s, expected, NULL);
    return false;
}

config_setting_t *
cfg_member(config_setting_t *g, const char *name)
{
    return config_setting_get_member(g, name);
}
