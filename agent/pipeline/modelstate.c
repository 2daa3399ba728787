/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The learnt model saved field by field (see modelstate.h).
 */
#include "agent/pipeline/modelstate.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/text.h"

#define HEADER "pantry-model 2\n"
#define T40 (INT64_C(1) << 40)
#define T62 (INT64_C(1) << 62)
#define SIZE_Q16_MAX ((int64_t)MODELS_MASS_MAX_MG << 16)
#define GAP_Q16_MAX (MODELS_DT_MAX_S << 16)
#define RATE_MAX MODELS_RATE_MAX_UGPD
#define NAME_MAX_LEN 40

enum ms_type { MS_I64, MS_I32, MS_U32, MS_U64 };

struct ms_field {
    const char *name;
    size_t off;
    uint8_t type;
    uint8_t count; /* an array of count elements: name=v0,v1,... */
    int64_t lo, hi;
};

#define F(name_, m_, t_, lo_, hi_)                                                     \
    {                                                                                  \
        name_, offsetof(struct pl_model, m_), t_, 1, lo_, hi_                          \
    }
#define SES(name_, m_, lo_, hi_)                                                       \
    F(name_ ".level", m_.level, MS_I64, lo_, hi_),                                     \
        F(name_ ".mad", m_.mad, MS_I64, 0, (hi_) - (lo_)),                             \
        F(name_ ".n", m_.n, MS_U32, 0, UINT32_MAX)

static const struct ms_field fields[] = {
    F("fc.t_last_s", fc.t_last_s, MS_I64, -T40, T40),
    F("fc.span_s", fc.span_s, MS_I64, 0, T40),
    SES("fc.size", fc.cr.size, 0, SIZE_Q16_MAX),
    SES("fc.interval", fc.cr.interval, 0, GAP_Q16_MAX),
    F("fc.prob_q32", fc.cr.prob_q32, MS_U64, 0, INT64_C(1) << 32),
    F("fc.since", fc.cr.since, MS_U32, 0, UINT32_MAX),
    SES("fc.rate", fc.rate, -RATE_MAX, RATE_MAX),
    SES("fc.fast", fc.fast, -RATE_MAX, RATE_MAX),
    F("fc.shift", fc.shift, MS_I32, -64, 64),
    F("fc.holt.level", fc.holt.level, MS_I64, -T62, T62),
    F("fc.holt.trend", fc.holt.trend, MS_I64, -T62, T62),
    F("fc.holt.mad", fc.holt.mad, MS_I64, 0, T62),
    F("fc.holt.first", fc.holt.first, MS_I64, -T62, T62),
    F("fc.holt.n", fc.holt.n, MS_U32, 0, UINT32_MAX),
    SES("fc.freq", fc.freq, 0, T62 / 2),
    F("lead.mean_s", lead.mean_s, MS_I64, 0, MODELS_DT_MAX_S),
    F("lead.var_s2", lead.var_s2, MS_I64, 0, MODELS_DT_MAX_S *MODELS_DT_MAX_S),
    F("lead.n", lead.n, MS_U32, 0, UINT32_MAX),
    F("days.day", days.day, MS_I64, 0, UINT32_MAX),
    {"days.mg", offsetof(struct pl_model, days.mg), MS_U32, DAYUSE_DAYS, 0, UINT32_MAX},
    F("days.days", days.days, MS_U32, 1, DAYUSE_DAYS),
    F("zero_mg", zero_mg, MS_I64, -T40, T40),
    F("zero_at_ms", zero_at_ms, MS_I64, -T62, T62),
    F("started_ms", started_ms, MS_I64, 0, T62),
    F("expired_ms", expired_ms, MS_I64, 0, T62),
    /* Learnt from corrections (learn.h); absent in older saves: nothing learnt. */
    F("adj.shift_s", adj.shift_s, MS_I64, -MODELS_DT_MAX_S, MODELS_DT_MAX_S),
    F("adj.ceil_s", adj.ceil_s, MS_I64, 0, MODELS_DT_MAX_S), /* 0: none */
    F("adj.size_bp", adj.size_bp, MS_U32, 0, 100000),        /* 0: as planned */
    F("adj.streak", adj.streak, MS_U32, 0, UINT32_MAX),
    F("adj.ask_first", adj.ask_first, MS_U32, 0, 1),
    F("adj.events", adj.events, MS_U32, 0, UINT32_MAX),
    F("adj.last_t_s", adj.last_t_s, MS_I64, 0, T40),
    F("adj.last_kind", adj.last_kind, MS_U32, 0, ADJUST_KINDS - 1),
    F("adj.last_delta_s", adj.last_delta_s, MS_I64, -MODELS_DT_MAX_S, MODELS_DT_MAX_S),
};
#define N_FIELDS (sizeof(fields) / sizeof(fields[0]))

static size_t
elem_size(uint8_t type)
{
    return type == MS_I64 || type == MS_U64 ? 8 : 4;
}

static int64_t
get(const struct pl_model *m, const struct ms_field *f, unsigned k)
{
    const unsigned char *p = (const unsigned char *)m + f->off + k * elem_size(f->type);
    int64_t i64;
    int32_t i32;
    uint32_t u32;
    uint64_t u64;
    switch ((enum ms_type)f->type) {
    case MS_I64:
        memcpy(&i64, p, 8);
        return i64;
    case MS_I32:
        memcpy(&i32, p, 4);
        return i32;
    case MS_U32:
        memcpy(&u32, p, 4);
        return u32;
    case MS_U64:
        memcpy(&u64, p, 8);
        return u64 > INT64_MAX ? INT64_MAX : (int64_t)u64;
    }
    return 0;
}

static void
set(struct pl_model *m, const struct ms_field *f, unsigned k, int64_t v)
{
    unsigned char *p = (unsigned char *)m + f->off + k * elem_size(f->type);
    int32_t i32 = (int32_t)v;
    uint32_t u32 = (uint32_t)v;
    uint64_t u64 = (uint64_t)v;
    switch ((enum ms_type)f->type) {
    case MS_I64:
        memcpy(p, &v, 8);
        break;
    case MS_I32:
        memcpy(p, &i32, 4);
        break;
    case MS_U32:
        memcpy(p, &u32, 4);
        break;
    case MS_U64:
        memcpy(p, &u64, 8);
        break;
    }
}

int
ms_encode(const struct pl_model *m, char *buf, size_t cap)
{
    size_t n = 0;
    int w = snprintf(buf, cap, "%s", HEADER);
    if (w < 0 || (size_t)w >= cap)
        return -ENOSPC;
    n = (size_t)w;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const struct ms_field *f = &fields[i];
        for (unsigned k = 0; k < f->count; k++) {
            w = snprintf(buf + n, cap - n, "%s%s%" PRId64 "%s", k == 0 ? f->name : "",
                         k == 0 ? "=" : ",", get(m, f, k),
                         k + 1 == f->count ? "\n" : "");
            if (w < 0 || (size_t)w >= cap - n)
                return -ENOSPC;
            n += (size_t)w;
        }
    }
    return (int)n;
}

/* The field called name, or NULL. */
static const struct ms_field *
lookup(const char *name, size_t len)
{
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strlen(fields[i].name) == len && memcmp(name, fields[i].name, len) == 0)
            return &fields[i];
    return NULL;
}

/* A decimal integer filling [s, s + len) exactly, into *v. */
static bool
parse_int(const char *s, size_t len, int64_t *v)
{
    char tmp[24];
    if (len == 0 || len >= sizeof(tmp))
        return false;
    memcpy(tmp, s, len);
    tmp[len] = '\0';
    if (!(tmp[0] == '-' || (tmp[0] >= '0' && tmp[0] <= '9')))
        return false;
    char *end;
    errno = 0;
    long long x = strtoll(tmp, &end, 10);
    if (errno != 0 || *end != '\0' || end == tmp || (tmp[0] == '-' && len == 1))
        return false;
    *v = x;
    return true;
}

static int
decode_text(const char *t, size_t len, struct pl_model *m, char *err, size_t errlen)
{
    static const size_t hl = sizeof(HEADER) - 1;
    struct pl_model tmp = *m;
    unsigned char seen[N_FIELDS];

    memset(seen, 0, sizeof(seen));
    if (len < hl || memcmp(t, HEADER, hl) != 0)
        return text_error(err, errlen, "line 1: expected \"pantry-model 2\""), -EINVAL;
    if (t[len - 1] != '\n')
        return text_error(err, errlen, "the last line is not complete"), -EINVAL;
    size_t pos = hl;
    for (unsigned line = 2; pos < len; line++) {
        const char *s = t + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t ll = (size_t)(nl - s);
        const char *eq = memchr(s, '=', ll);
        pos += ll + 1;
        if (eq == NULL || eq == s || (size_t)(eq - s) > NAME_MAX_LEN)
            return text_error(err, errlen, "line %u: expected name=value", line),
                   -EINVAL;
        size_t name_len = (size_t)(eq - s);
        for (size_t j = 0; j < name_len; j++)
            if (!((s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9') ||
                  s[j] == '_' || s[j] == '.'))
                return text_error(err, errlen, "line %u: expected a field name", line),
                       -EINVAL;
        const struct ms_field *f = lookup(s, name_len);
        if (f == NULL)
            continue; /* a newer version's field */
        size_t i = (size_t)(f - fields);
        if (seen[i])
            return text_error(err, errlen, "line %u: %s given twice", line, f->name),
                   -EINVAL;
        seen[i] = 1;
        /* count integers separated by commas, filling the rest of the line */
        const char *v = eq + 1, *end = s + ll;
        for (unsigned k = 0; k < f->count; k++) {
            const char *c = k + 1 < f->count ? memchr(v, ',', (size_t)(end - v)) : end;
            int64_t x;
            if (c == NULL)
                return text_error(err, errlen, "line %u: %s needs %u values", line,
                                  f->name, f->count),
                       -EINVAL;
            if (!parse_int(v, (size_t)(c - v), &x))
                return text_error(err, errlen,
                                  "line %u: expected an integer%s after "
                                  "'%c'",
                                  line, f->count > 1 ? " list" : "",
                                  k == 0 ? '=' : ','),
                       -EINVAL;
            if (x < f->lo || x > f->hi)
                return text_error(err, errlen,
                                  "line %u: %s = %" PRId64 " is outside "
                                  "%" PRId64 "..%" PRId64,
                                  line, f->name, x, f->lo, f->hi),
                       -EINVAL;
            set(&tmp, f, k, x);
            v = c + 1;
        }
    }
    *m = tmp;
    return 0;
}

/* ---- format 1: the raw struct 0.1.0 saved, on LP64 and ARM EABI ---- */

struct v1_ses {
    int64_t level, mad;
    uint32_t n;
};

struct v1_model {
    struct {
        int64_t t_last_s, span_s;
        struct {
            struct v1_ses size, interval;
            uint64_t prob_q32;
            uint32_t since;
        } cr;
        struct v1_ses rate;
        struct {
            int64_t level, trend, mad, first;
            uint32_t n;
        } holt;
        struct v1_ses freq, err;
    } fc;
    struct {
        int64_t mean_s, mad_s;
        uint32_t n;
    } lead;
    int64_t zero_mg, zero_at_ms, started_ms;
};

#define V1_BYTES 240

static void
ses_from_v1(struct ses *s, const struct v1_ses *o)
{
    s->level = o->level;
    s->mad = o->mad;
    s->n = o->n;
}

/*
 * Format 1 had no spreads of sizes and intervals (their mads were 0) and a lead
 * with no spread. The spreads start at half the size and half the interval (what
 * the forecaster assumes before 4 events), the fast rate at the rate; the lead
 * keeps its mean, and its variance is the larger of the old mean |error| as a
 * standard deviation (x 5/4) squared and the prior's shared with its orders. The
 * use per day starts afresh.
 */
static int
migrate_v1(const void *blob, size_t len, struct pl_model *m, char *err, size_t errlen)
{
    struct v1_model o;
    if (sizeof(o) != V1_BYTES || len != V1_BYTES)
        return text_error(err, errlen,
                          "format 1 of %zu bytes is not the %d bytes of "
                          "this platform's layout",
                          len, V1_BYTES),
               -EINVAL;
    memcpy(&o, blob, sizeof(o));
    struct pl_model t = *m;
    t.fc.t_last_s = o.fc.t_last_s;
    t.fc.span_s = o.fc.span_s;
    ses_from_v1(&t.fc.cr.size, &o.fc.cr.size);
    ses_from_v1(&t.fc.cr.interval, &o.fc.cr.interval);
    t.fc.cr.size.mad = o.fc.cr.size.level / 2;
    t.fc.cr.interval.mad = o.fc.cr.interval.level / 2;
    t.fc.cr.prob_q32 = o.fc.cr.prob_q32;
    t.fc.cr.since = o.fc.cr.since;
    ses_from_v1(&t.fc.rate, &o.fc.rate);
    t.fc.fast = t.fc.rate;
    t.fc.shift = 0;
    t.fc.holt.level = o.fc.holt.level;
    t.fc.holt.trend = o.fc.holt.trend;
    t.fc.holt.mad = o.fc.holt.mad;
    t.fc.holt.first = o.fc.holt.first;
    t.fc.holt.n = o.fc.holt.n;
    ses_from_v1(&t.fc.freq, &o.fc.freq);
    if (o.lead.n > 0) {
        int64_t sd = o.lead.mad_s > 0 && o.lead.mad_s < MODELS_DT_MAX_S
                         ? o.lead.mad_s + o.lead.mad_s / 4
                         : 0;
        int64_t shared = m->lead.var_s2 / ((int64_t)o.lead.n + 1);
        t.lead.mean_s = o.lead.mean_s;
        t.lead.var_s2 = sd * sd > shared ? sd * sd : shared;
        t.lead.n = o.lead.n;
    }
    t.zero_mg = o.zero_mg;
    t.zero_at_ms = o.zero_at_ms;
    t.started_ms = o.started_ms;
    t.expired_ms = 0;
    /* The same checks as a saved format 2. */
    char text[MS_TEXT_MAX];
    int n = ms_encode(&t, text, sizeof(text));
    if (n < 0)
        return text_error(err, errlen, "format 1: too large"), -EINVAL;
    int r = decode_text(text, (size_t)n, m, err, errlen);
    if (r < 0) {
        char why[200];
        snprintf(why, sizeof(why), "%s", err);
        text_error(err, errlen, "format 1, migrated: %s", why);
    }
    return r;
}

int
ms_decode(int32_t format, const void *blob, size_t len, struct pl_model *m, char *err,
          size_t errlen)
{
    if (format == MS_FORMAT)
        return decode_text(blob, len, m, err, errlen);
    if (format == 1)
        return migrate_v1(blob, len, m, err, errlen);
    text_error(err, errlen, "format %d is not known to this version", (int)format);
    return -ENOTSUP;
}

void
ms_fresh(struct pl_model *m, const struct cfg_item *c, int64_t now_ms)
{
    memset(m, 0, sizeof(*m));
    lead_init(&m->lead, c->lead_s, c->lead_spread_s);
    fc_init(&m->fc, now_ms / 1000);
    dayuse_init(&m->days, now_ms / 1000);
    adjust_init(&m->adj);
    m->started_ms = now_ms > 0 ? now_ms : 1;
}

int
ms_load(struct store *db, const struct cfg_item *c, int64_t now_ms, struct pl_model *m,
        int32_t *format, char *why, size_t whylen)
{
    char blob[MS_TEXT_MAX];
    size_t len = 0;

    ms_fresh(m, c, now_ms);
    *format = 0;
    int r = store_model_load(db, c->id, format, blob, sizeof(blob), &len, NULL);
    if (r == -ENOENT)
        return 1;
    if (r == -E2BIG) {
        snprintf(why, whylen, "larger than %d bytes", MS_TEXT_MAX);
        return 2;
    }
    if (r < 0)
        return r;
    if (ms_decode(*format, blob, len, m, why, whylen) < 0) {
        ms_fresh(m, c, now_ms);
        return 2;
    }
    return 0;
}
