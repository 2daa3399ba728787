/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stock event trace reader (see evtrace.h). A line is split into at most 16
 * space-separated fields; each field is checked against a closed grammar, so a
 * typo is an error, never a silently different value.
 */
#include "agent/cli/evtrace.h"

#include "sensors/text.h"
#include "agent/msg/utc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEADER "# pantry-events v1"
#define MAX_FIELDS 16
#define DAY INT64_C(86400)

static const char *const kind_names[] = {"consume", "refill", "stock"};

void
evtrace_init(struct evtrace *t)
{
    memset(t, 0, sizeof(*t));
}

void
evtrace_fini(struct evtrace *t)
{
    if (t == NULL)
        return;
    free(t->events);
    evtrace_init(t);
}

const char *
evtrace_kind_to_str(enum evtrace_kind k)
{
    if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]))
        return "?";
    return kind_names[k];
}

int
evtrace_find_item(const struct evtrace *t, const char *id)
{
    for (size_t i = 0; i < t->n_items; i++)
        if (strcmp(t->items[i].id, id) == 0)
            return (int)i;
    return -1;
}

/*
 * Split into fields at spaces; a field may be key="quoted value" with spaces.
 * Fields point into buf, which is modified.
 */
static int
split(char *buf, char **fields, size_t *nfields, char *err, size_t errlen)
{
    size_t n = 0;
    char *p = buf;
    while (*p != '\0') {
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0')
            break;
        if (n == MAX_FIELDS)
            return text_error(err, errlen, "more than %d fields", MAX_FIELDS);
        fields[n++] = p;
        bool quoted = false;
        while (*p != '\0' && (quoted || (*p != ' ' && *p != '\t'))) {
            if (*p == '"')
                quoted = !quoted;
            p++;
        }
        if (quoted)
            return text_error(err, errlen, "unterminated quote");
        if (*p != '\0')
            *p++ = '\0';
    }
    *nfields = n;
    return 0;
}

static int
parse_method(const char *s, enum fc_method *m)
{
    for (int i = 0; i < FC_METHOD_COUNT; i++)
        if (strcmp(s, fc_method_to_str((enum fc_method)i)) == 0) {
            *m = (enum fc_method)i;
            return 0;
        }
    return -EINVAL;
}

/* key=value settings of an item line. */
static int
item_setting(struct evtrace_item *it, const char *key, const char *val, char *err,
             size_t errlen)
{
    int64_t v;
    if (strcmp(key, "pack") == 0) {
        if (text_parse_grams(val, &it->pack_mg) < 0 || it->pack_mg == 0)
            return text_error(err, errlen,
                              "pack: expected grams > 0 (e.g. 500 or 2.5), found '%s'",
                              val);
    } else if (strcmp(key, "name") == 0) {
        size_t n = strlen(val);
        if (n < 2 || val[0] != '"' || val[n - 1] != '"' || n - 2 >= EVTRACE_NAME_MAX ||
            memchr(val + 1, '"', n - 2) != NULL)
            return text_error(err, errlen,
                              "name: expected \"text\" of at most %d bytes",
                              EVTRACE_NAME_MAX - 1);
        for (size_t i = 1; i + 1 < n; i++)
            if ((unsigned char)val[i] < 0x20 || val[i] == 0x7f || val[i] == '\\')
                return text_error(
                    err, errlen,
                    "name: control characters and backslashes are not allowed");
        memcpy(it->name, val + 1, n - 2);
        it->name[n - 2] = '\0';
    } else if (strcmp(key, "lead") == 0 || strcmp(key, "review") == 0 ||
               strcmp(key, "cover") == 0 || strcmp(key, "half-life") == 0 ||
               strcmp(key, "trend-half-life") == 0 || strcmp(key, "damping") == 0) {
        if (utc_parse_duration(val, MODELS_DT_MAX_S, &v) < 0)
            return text_error(
                err, errlen,
                "%s: expected a duration like 90s, 30m, 48h or 14d (at most 4 "
                "years), found '%s'",
                key, val);
        if (key[0] == 'l')
            it->lead_s = v;
        else if (key[0] == 'r')
            it->review_s = v;
        else if (key[0] == 'c')
            it->cover_s = v;
        else if (key[0] == 'h')
            it->fc.half_life_s = v;
        else if (key[0] == 't')
            it->fc.trend_half_life_s = v;
        else
            it->fc.damp_half_life_s = v;
        if ((key[0] == 'h' || key[0] == 't') && v == 0)
            return text_error(err, errlen, "%s: must be more than 0", key);
    } else if (strcmp(key, "service") == 0) {
        if (!text_parse_uint(val, 3, true, &v) || v < 50 || v > 99)
            return text_error(
                err, errlen, "service: expected a percentage from 50 to 99, found '%s'",
                val);
        it->service_bp = (uint32_t)(v * 100);
    } else if (strcmp(key, "max-packs") == 0) {
        if (!text_parse_uint(val, 3, true, &v) || v < 1 || v > 100)
            return text_error(err, errlen, "max-packs: expected 1 to 100, found '%s'",
                              val);
        it->max_packs = (uint32_t)v;
    } else if (strcmp(key, "overdue-decay") == 0) {
        if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
            return text_error(err, errlen,
                              "overdue-decay: expected yes or no, found '%s'", val);
        it->fc.overdue_decay = val[0] == 'y';
    } else if (strcmp(key, "method") == 0) {
        if (parse_method(val, &it->fc.method) < 0)
            return text_error(
                err, errlen,
                "method: expected ses, holt, croston, sba or tsb, found '%s'", val);
    } else {
        return text_error(
            err, errlen,
            "unknown item setting '%s' (known: pack name lead review cover service "
            "max-packs method half-life trend-half-life damping overdue-decay)",
            key);
    }
    return 0;
}

static int
parse_item(struct evtrace *t, char **f, size_t n, char *err, size_t errlen)
{
    if (n < 3)
        return text_error(err, errlen,
                          "item: expected 'item ID pack=GRAMS [setting=value ...]'");
    if (t->n_events > 0)
        return text_error(err, errlen, "items must be declared before the first event");
    if (!text_is_id(f[1], EVTRACE_ID_MAX))
        return text_error(
            err, errlen,
            "item id '%s': expected 1 to %d characters of a-z, 0-9, _ and -", f[1],
            EVTRACE_ID_MAX - 1);
    if (evtrace_find_item(t, f[1]) >= 0)
        return text_error(err, errlen, "item '%s' is declared twice", f[1]);
    if (t->n_items == EVTRACE_MAX_ITEMS)
        return text_error(err, errlen, "more than %d items", EVTRACE_MAX_ITEMS);
    struct evtrace_item it = {
        .lead_s = 2 * DAY,
        .review_s = DAY,
        .cover_s = 14 * DAY,
        .service_bp = 9500,
        .max_packs = 2,
        .fc = {.method = FC_SES,
               .half_life_s = 14 * DAY,
               .trend_half_life_s = 28 * DAY,
               .damp_half_life_s = 0,
               .overdue_decay = false},
    };
    snprintf(it.id, sizeof(it.id), "%s", f[1]);
    snprintf(it.name, sizeof(it.name), "%s", f[1]);
    unsigned seen = 0;
    for (size_t i = 2; i < n; i++) {
        char *eq = strchr(f[i], '=');
        if (eq == NULL)
            return text_error(err, errlen, "item setting '%s': expected key=value",
                              f[i]);
        *eq = '\0';
        static const char *const keys[] = {
            "pack",    "name",         "lead",   "review",    "cover",
            "service", "max-packs",    "method", "half-life", "trend-half-life",
            "damping", "overdue-decay"};
        for (unsigned k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
            if (strcmp(f[i], keys[k]) == 0) {
                if (seen & (1u << k))
                    return text_error(err, errlen, "item setting '%s' given twice",
                                      f[i]);
                seen |= 1u << k;
            }
        int r = item_setting(&it, f[i], eq + 1, err, errlen);
        if (r < 0)
            return r;
    }
    if (!(seen & 1u))
        return text_error(err, errlen, "item '%s': pack=GRAMS is required", it.id);
    t->items[t->n_items++] = it;
    return 0;
}

static int
parse_event(struct evtrace *t, char **f, size_t n, char *err, size_t errlen)
{
    struct evtrace_event e;
    int64_t ts;
    if (n != 4)
        return text_error(
            err, errlen,
            "expected 'TIME ITEM consume|refill|stock GRAMS', found %zu fields", n);
    if (utc_parse(f[0], &ts) < 0)
        return text_error(
            err, errlen, "time: expected YYYY-MM-DDTHH:MM:SSZ (UTC), found '%s'", f[0]);
    int item = evtrace_find_item(t, f[1]);
    if (item < 0)
        return text_error(
            err, errlen,
            "unknown item '%s': expected an item declared by an item line above", f[1]);
    int kind = -1;
    for (int k = 0; k < 3; k++)
        if (strcmp(f[2], kind_names[k]) == 0)
            kind = k;
    if (kind < 0)
        return text_error(err, errlen,
                          "event: expected consume, refill or stock, found '%s'", f[2]);
    if (text_parse_grams(f[3], &e.mg) < 0)
        return text_error(
            err, errlen,
            "grams: expected 0 to 1000000 with at most 3 decimals, found '%s'", f[3]);
    if (t->n_events > 0 && ts < t->events[t->n_events - 1].t_s) {
        char prev[32];
        utc_format(t->events[t->n_events - 1].t_s, prev, sizeof(prev));
        return text_error(err, errlen,
                          "time: expected %s or later (the previous event's time; time "
                          "never goes backwards), found '%s'",
                          prev, f[0]);
    }
    if (t->n_events == EVTRACE_MAX_EVENTS)
        return text_error(err, errlen, "more than %d events", EVTRACE_MAX_EVENTS);
    if (t->n_events == t->cap_events) {
        size_t cap = t->cap_events ? t->cap_events * 2 : 1024;
        struct evtrace_event *ev = realloc(t->events, cap * sizeof(*ev));
        if (ev == NULL)
            return -ENOMEM;
        t->events = ev;
        t->cap_events = cap;
    }
    e.t_s = ts;
    e.item = (uint16_t)item;
    e.kind = (uint8_t)kind;
    t->events[t->n_events++] = e;
    return 0;
}

/* A first line that is not even text: another kind of file. */
static int
not_header(char *err, size_t errlen)
{
    return text_error(err, errlen,
                      "expected the header '%s', found a line that is not text (is "
                      "this a stock event trace?)",
                      HEADER);
}

int
evtrace_parse_line(struct evtrace *t, const char *line, size_t len, unsigned line_no,
                   char *err, size_t errlen)
{
    char buf[EVTRACE_MAX_LINE + 1];
    char *f[MAX_FIELDS];
    size_t n = 0;
    if (len > EVTRACE_MAX_LINE)
        return text_line_error(TEXT_LINE_LONG, EVTRACE_MAX_LINE, err, errlen);
    if (memchr(line, '\0', len) != NULL)
        return line_no == 1 ? not_header(err, errlen)
                            : text_error(err, errlen, "NUL byte in line");
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        buf[--len] = '\0';
    if (line_no == 1) {
        if (strcmp(buf, HEADER) == 0)
            return 0;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
                return not_header(err, errlen);
        return text_error(err, errlen, "expected the header '%s', found '%.40s%s'",
                          HEADER, buf, len > 40 ? "..." : "");
    }
    if (buf[0] == '#')
        return 0;
    int r = split(buf, f, &n, err, errlen);
    if (r < 0 || n == 0)
        return r;
    if (strcmp(f[0], "item") == 0)
        return parse_item(t, f, n, err, errlen);
    return parse_event(t, f, n, err, errlen);
}

int
evtrace_load_file(struct evtrace *t, FILE *f, const char *name, char *err,
                  size_t errlen)
{
    char line[EVTRACE_MAX_LINE + 1], msg[256];
    unsigned line_no = 0;
    enum text_line got;
    size_t len;
    int r = 0;

    while ((got = text_read_line(f, line, EVTRACE_MAX_LINE, &len)) == TEXT_LINE_OK) {
        r = evtrace_parse_line(t, line, len, ++line_no, msg, sizeof(msg));
        if (r == -ENOMEM)
            snprintf(msg, sizeof(msg), "out of memory");
        if (r < 0)
            goto out;
    }
    if (got == TEXT_LINE_EOF && line_no == 0) {
        line_no = 1;
        r = text_error(msg, sizeof(msg), "empty file: expected the header '%s'",
                       HEADER);
    } else if (got != TEXT_LINE_EOF) {
        /* A first line that is not the header says so: another kind of file
         * (binary, compressed) rarely has a newline in its first bytes. */
        line_no++;
        if (line_no > 1 || got == TEXT_LINE_ERROR ||
            (r = evtrace_parse_line(t, line, len, 1, msg, sizeof(msg))) == 0)
            r = text_line_error(got, EVTRACE_MAX_LINE, msg, sizeof(msg));
    }
out:
    if (r < 0) {
        snprintf(err, errlen, "%s:%u: %s", name, line_no, msg);
        evtrace_fini(t);
    }
    return r;
}

int
evtrace_load(struct evtrace *t, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    int r;

    if (f == NULL) {
        r = -errno;
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return r;
    }
    r = evtrace_load_file(t, f, path, err, errlen);
    fclose(f);
    return r;
}
