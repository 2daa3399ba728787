/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration's messages (see config-read.h): every problem becomes
 * "FILE:LINE: PATH: expected WHAT, found WHAT-IT-IS", where what was found is
 * shown as the user wrote it (a string quoted and escaped, a literal too large
 * for libconfig as it stands in the text), and an unknown name gets the
 * closest known one ("did you mean ...?").
 */
#include "agent/config/config-read.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Messages */

void
cfg_add_message(struct cfg_ctx *x, const char *fmt, ...)
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
void
cfg_path_of(const config_setting_t *s, char *buf, size_t len)
{
    const config_setting_t *p = config_setting_parent(s);
    char parent[PATH_LEN];

    if (p == NULL) {
        buf[0] = '\0';
        return;
    }
    cfg_path_of(p, parent, sizeof(parent));
    const char *dot = parent[0] != '\0' ? "." : "";
    if (config_setting_name(s) != NULL)
        snprintf(buf, len, "%.100s%s%.50s", parent, dot, config_setting_name(s));
    else
        snprintf(buf, len, "%.140s%s[%d]", parent, dot, config_setting_index(s));
}

/* The root has no line of its own: a setting missing at the top is on line 1. */
unsigned
cfg_line_of(const config_setting_t *s)
{
    unsigned line = config_setting_source_line(s);
    return line > 0 ? line : 1;
}

/* "FILE:LINE: PATH: " and the rest. */
void
cfg_setting_error(struct cfg_ctx *x, const config_setting_t *s, const char *fmt, ...)
{
    char path[PATH_LEN], rest[CFG_ERR_LEN];
    va_list ap;

    cfg_path_of(s, path, sizeof(path));
    va_start(ap, fmt);
    vsnprintf(rest, sizeof(rest), fmt, ap);
    va_end(ap);
    cfg_add_message(x, "%s:%u: %s: %s", x->file, cfg_line_of(s), path, rest);
}

/* A required setting absent from group g. */
void
cfg_missing_error(struct cfg_ctx *x, const config_setting_t *g, const char *name,
                  const char *expected)
{
    char path[PATH_LEN];

    cfg_path_of(g, path, sizeof(path));
    cfg_add_message(x, "%s:%u: %s%s%s: expected %s, found nothing", x->file,
                    cfg_line_of(g), path, path[0] != '\0' ? "." : "", name, expected);
}

/*
 * Quote s for a message: escapes for control characters, and for every byte
 * above 0x7f unless s is valid UTF-8; cut after SHOWN_CHARS bytes.
 */
static void
quote(const char *s, char *buf, size_t len)
{
    size_t o = 0, n = 0;
    bool utf8 = cfg_utf8_ok(s, true);

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

const struct cfg_overflow *
cfg_find_overflow(const struct cfg_ctx *x, const config_setting_t *s)
{
    char path[PATH_LEN];

    if (x->scan.n_ov == 0)
        return NULL;
    cfg_path_of(s, path, sizeof(path));
    for (size_t i = 0; i < x->scan.n_ov; i++)
        if (strcmp(x->scan.ov[i].path, path) == 0)
            return &x->scan.ov[i];
    return NULL;
}

/* What a setting holds, for "found ...". */
static void
describe(const struct cfg_ctx *x, const config_setting_t *s, char *buf, size_t len)
{
    const struct cfg_overflow *o;

    switch (config_setting_type(s)) {
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        if ((o = cfg_find_overflow(x, s)) != NULL)
            snprintf(buf, len, "%s", o->text);
        else
            snprintf(buf, len, "%lld", config_setting_get_int64(s));
        break;
    case CONFIG_TYPE_FLOAT:
        if ((o = cfg_find_overflow(x, s)) != NULL)
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
void
cfg_value_error(struct cfg_ctx *x, const config_setting_t *s, const char *expected,
                const char *note)
{
    char found[FOUND_LEN];

    describe(x, s, found, sizeof(found));
    cfg_setting_error(x, s, "expected %s, found %s%s", expected, found,
                      note ? note : "");
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
void
cfg_did_you_mean(const char *word, const char *const *cands, size_t n, char q,
                 char *buf, size_t len)
{
    const char *m = closest(word, cands, n);

    if (m != NULL)
        snprintf(buf, len, " (did you mean %c%s%c?)", q, m, q);
    else
        buf[0] = '\0';
}
