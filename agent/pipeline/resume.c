/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A replay's resume state (resume.h): the pipeline's in-memory state that the
 * store's tables do not hold, as text, field by field through the tables
 * below, saved in each batch's transaction and read back by a resumed replay.
 * Decoding is strict and all-or-nothing: the records must come in the order
 * the running pipeline would write them (the same platforms, items and
 * buttons), every value in its field's range (a bool 0 or 1), or nothing is
 * changed.
 */
#include "agent/pipeline/resume.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/text.h"

/* One integer field (or array) of a struct: its bytes copied as an integer. */
struct field {
    const char *name; /* for the reader of this file: the member it is */
    size_t off;
    unsigned char size; /* bytes of one element: 1, 2, 4 or 8 */
    bool sgn;
    unsigned char n; /* elements */
    bool flag;       /* a bool: 0 or 1 only (any other byte is no bool) */
};

#define MEMBER(T, m) (((T *)0)->m)
#define IS_BOOL(x) _Generic((x), bool : true, default : false)
#define F(T, m, sgn)                                                                   \
    {                                                                                  \
#m, offsetof(T, m), sizeof(MEMBER(T, m)), sgn, 1, IS_BOOL(MEMBER(T, m))        \
    }
#define A(T, m, sgn)                                                                   \
    {                                                                                  \
#m, offsetof(T, m), sizeof(MEMBER(T, m)[0]), sgn,                              \
            sizeof(MEMBER(T, m)) / sizeof(MEMBER(T, m)[0]), IS_BOOL(MEMBER(T, m)[0])   \
    }
#define S true
#define U false
#define N(t) (sizeof(t) / sizeof((t)[0]))

/*
 * Every member of struct cond_channel but cfg (the configuration's) and
 * channel (the record's key). A member added there must be added here, and
 * RESUME_FORMAT bumped.
 */
static const struct field cond_fields[] = {
    F(struct cond_channel, cal.raw_zero, S),
    F(struct cond_channel, cal.span_raw, S),
    F(struct cond_channel, cal.span_mg, S),
    F(struct cond_channel, zero_mg, S),
    F(struct cond_channel, zero_at_ms, S),
    F(struct cond_channel, base_mg, S),
    F(struct cond_channel, last_ms, S),
    F(struct cond_channel, bad_since_ms, S),
    F(struct cond_channel, good_since_ms, S),
    F(struct cond_channel, fault_ms, S),
    F(struct cond_channel, stuck_since_ms, S),
    F(struct cond_channel, ep_open_ms, S),
    F(struct cond_channel, ep_lo_mg, S),
    F(struct cond_channel, ep_hi_mg, S),
    F(struct cond_channel, pl_start_ms, S),
    F(struct cond_channel, pl_sum, S),
    F(struct cond_channel, pl_n, S),
    A(struct cond_channel, pl_recent, S),
    F(struct cond_channel, pl_n_recent, U),
    F(struct cond_channel, pl_pos, U),
    F(struct cond_channel, pl_off_n, U),
    F(struct cond_channel, pl_off_ms, S),
    F(struct cond_channel, pl_off_sum, S),
    F(struct cond_channel, noise_q8, S),
    A(struct cond_channel, win, S),
    A(struct cond_channel, srt, S),
    F(struct cond_channel, stuck_raw, S),
    F(struct cond_channel, stuck_n, S),
    F(struct cond_channel, slow_ref_mg, S),
    F(struct cond_channel, slow_slot_ms, S),
    F(struct cond_channel, slow_last_ms, S),
    F(struct cond_channel, slow_tail_mg, S),
    A(struct cond_channel, slow_max, S),
    F(struct cond_channel, slow_pos, U),
    F(struct cond_channel, win_n, U),
    F(struct cond_channel, win_pos, U),
    F(struct cond_channel, state, U),
    F(struct cond_channel, why, U),
    F(struct cond_channel, empty, U),
};

/* struct shelf_place but ch, cand and load (records of their own). */
static const struct field place_fields[] = {
    F(struct shelf_place, used, U),
    F(struct shelf_place, first, U),
    F(struct shelf_place, waiting, U),
    F(struct shelf_place, away_said, U),
    F(struct shelf_place, guest_owner, S),
    F(struct shelf_place, base_mg, S),
    F(struct shelf_place, guest_mg, S),
    F(struct shelf_place, foreign_mg, S),
    F(struct shelf_place, wait_ms, S),
    F(struct shelf_place, inhand_mg, S),
    F(struct shelf_place, inhand_since_ms, S),
    F(struct shelf_place, expect_mg, S),
};

static const struct field note_fields[] = {
    F(struct cond_note, t_ms, S),      F(struct cond_note, level_mg, S),
    F(struct cond_note, before_mg, S), F(struct cond_note, lo_mg, S),
    F(struct cond_note, hi_mg, S),     F(struct cond_note, open_ms, S),
    F(struct cond_note, last_ms, S),   F(struct cond_note, kind, U),
    F(struct cond_note, why, U),
};

static const struct field load_fields[] = {
    F(struct shelf_load, mg, S),       F(struct shelf_load, contents_mg, S),
    F(struct shelf_load, since_ms, S), F(struct shelf_load, open_ms, S),
    F(struct shelf_load, back_mg, S),  F(struct shelf_load, kind, U),
};

static const struct field shelf_fields[] = {
    F(struct shelf, due_ms, S),
    F(struct shelf, foreign_open_ms, S),
};

/* struct pl_item but cfg, channel, model (the store's), view, the raw ring. */
static const struct field item_fields[] = {
    F(struct pl_item, fault, U),        F(struct pl_item, have_stock, U),
    F(struct pl_item, review_due, U),   F(struct pl_item, next_review_ms, S),
    F(struct pl_item, agg_start_ms, S), F(struct pl_item, agg_n, S),
    F(struct pl_item, agg_min, S),      F(struct pl_item, agg_max, S),
    F(struct pl_item, agg_sum, S),
};

static const struct field view_fields[] = {
    F(struct pl_view, t_ms, S),           F(struct pl_view, stock_mg, S),
    F(struct pl_view, uncertainty_mg, S), F(struct pl_view, rate_ugpd, S),
    F(struct pl_view, sigma_ugpd, S),     F(struct pl_view, runout_s, S),
    F(struct pl_view, runout_lo_s, S),    F(struct pl_view, runout_hi_s, S),
    F(struct pl_view, lead_s, S),         F(struct pl_view, reorder_point_mg, S),
    F(struct pl_view, verdict, S),
};

/* struct button_state but button (the record's key). */
static const struct field button_fields[] = {
    F(struct button_state, phase, U),    F(struct button_state, stable, U),
    F(struct button_state, raw, U),      F(struct button_state, in_burst, U),
    F(struct button_state, burst_ms, S), F(struct button_state, edge_ms, S),
    F(struct button_state, down_ms, S),  F(struct button_state, up_ms, S),
    F(struct button_state, first_ms, S), F(struct button_state, last_ms, S),
};

static const struct field pipeline_fields[] = {
    F(struct pipeline, reviews_due, U),
    F(struct pipeline, in_t_ms, S),
    F(struct pipeline, in_n, U),
};

static int64_t
get(const void *base, const struct field *f, unsigned k)
{
    const unsigned char *p = (const unsigned char *)base + f->off + (size_t)k * f->size;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;

    switch (f->size) {
    case 1:
        memcpy(&i8, p, 1);
        return f->sgn ? (int64_t)i8 : (int64_t)(uint8_t)i8;
    case 2:
        memcpy(&i16, p, 2);
        return f->sgn ? (int64_t)i16 : (int64_t)(uint16_t)i16;
    case 4:
        memcpy(&i32, p, 4);
        return f->sgn ? (int64_t)i32 : (int64_t)(uint32_t)i32;
    default:
        memcpy(&i64, p, 8);
        return i64;
    }
}

/* false when v does not fit the field. */
static bool
set(void *base, const struct field *f, unsigned k, int64_t v)
{
    unsigned char *p = (unsigned char *)base + f->off + (size_t)k * f->size;
    int bits = 8 * f->size;

    if (f->flag && v != 0 && v != 1)
        return false;
    if (bits < 64 &&
        (f->sgn ? v < -(INT64_C(1) << (bits - 1)) || v >= (INT64_C(1) << (bits - 1))
                : v < 0 || v >= (INT64_C(1) << bits)))
        return false;
    if (bits == 64 && !f->sgn)
        return false; /* no such field */
    int8_t i8 = (int8_t)v;
    int16_t i16 = (int16_t)v;
    int32_t i32 = (int32_t)v;
    switch (f->size) {
    case 1:
        memcpy(p, &i8, 1);
        break;
    case 2:
        memcpy(p, &i16, 2);
        break;
    case 4:
        memcpy(p, &i32, 4);
        break;
    default:
        memcpy(p, &v, 8);
        break;
    }
    return true;
}

struct out {
    char *w, *end;
    bool full;
};

static void
put_text(struct out *o, const char *s)
{
    size_t n = strlen(s);
    if (o->full || (size_t)(o->end - o->w) <= n) {
        o->full = true;
        return;
    }
    memcpy(o->w, s, n);
    o->w += n;
}

static void
put_num(struct out *o, int64_t v)
{
    char t[24], *q = t + sizeof(t);
    uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

    *--q = '\0';
    do {
        *--q = (char)('0' + m % 10);
        m /= 10;
    } while (m > 0);
    if (v < 0)
        *--q = '-';
    *--q = ' ';
    put_text(o, q);
}

/* "TAG[ KEY] v v v ...\n" */
static void
put_record(struct out *o, const char *tag, const char *key, const void *base,
           const struct field *f, size_t nf)
{
    put_text(o, tag);
    if (key != NULL) {
        put_text(o, " ");
        put_text(o, key);
    }
    for (size_t i = 0; i < nf; i++)
        for (unsigned k = 0; k < f[i].n; k++)
            put_num(o, get(base, &f[i], k));
    put_text(o, "\n");
}

/*
 * Every record of p in order, written (o) or read (in, into the copies). The
 * one walk for both keeps the order the same by construction.
 */
struct walk {
    struct out *o;
    const char **in; /* reading: the rest of the text */
    char *err;
    size_t errlen;
};

/*
 * A decimal int64: an optional '-', 1 to 19 digits, no leading zero, no "-0";
 * the whole range, INT64_MIN and INT64_MAX (the "never" of many fields)
 * included.
 */
static bool
parse_i64(const char *s, int64_t *out)
{
    bool neg = s[0] == '-';
    uint64_t v = 0, max = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    size_t n = 0;

    for (s += neg; s[n] != '\0'; n++) {
        unsigned d = (unsigned)(s[n] - '0');
        if (s[n] < '0' || s[n] > '9' || n >= 19 || v > (max - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || (neg && v == 0))
        return false;
    *out = neg ? (int64_t)(0 - v) : (int64_t)v;
    return true;
}

static bool
get_record(struct walk *w, const char *tag, const char *key, void *base,
           const struct field *f, size_t nf)
{
    const char *s = *w->in, *eol = strchr(s, '\n');
    size_t tl = strlen(tag), kl = key ? strlen(key) : 0;
    char num[24];

    if (eol == NULL || strncmp(s, tag, tl) != 0 ||
        (key != NULL && (s[tl] != ' ' || strncmp(s + tl + 1, key, kl) != 0))) {
        text_error(w->err, w->errlen, "expected the record '%s%s%s'", tag,
                   key ? " " : "", key ? key : "");
        return false;
    }
    s += tl + (key ? 1 + kl : 0);
    for (size_t i = 0; i < nf; i++) {
        for (unsigned k = 0; k < f[i].n; k++) {
            size_t n = 0;
            int64_t v;
            if (*s++ != ' ')
                goto bad;
            while (s < eol && *s != ' ' && n < sizeof(num) - 1)
                num[n++] = *s++;
            num[n] = '\0';
            if (!parse_i64(num, &v) || !set(base, &f[i], k, v))
                goto bad;
        }
    }
    if (s != eol)
        goto bad;
    *w->in = eol + 1;
    return true;
bad:
    text_error(w->err, w->errlen, "record '%s%s%s': a bad or missing value", tag,
               key ? " " : "", key ? key : "");
    return false;
}

static bool
record(struct walk *w, const char *tag, const char *key, void *base,
       const struct field *f, size_t nf)
{
    if (w->o != NULL) {
        put_record(w->o, tag, key, base, f, nf);
        return !w->o->full;
    }
    return get_record(w, tag, key, base, f, nf);
}

static bool
walk(struct walk *w, struct shelf *sh, struct pl_item *items, size_t n_items,
     struct pl_button *buttons, size_t n_buttons, struct pipeline *p)
{
    char key[32];
    bool ok = record(w, "pipeline", NULL, p, pipeline_fields, N(pipeline_fields)) &&
              record(w, "shelf", NULL, sh, shelf_fields, N(shelf_fields));

    for (unsigned c = 0; ok && c < SENSOR_MAX_CHANNELS; c++) {
        struct shelf_place *pl = &sh->p[c];
        if (!pl->used)
            continue;
        snprintf(key, sizeof(key), "%u", c);
        ok = record(w, "place", key, pl, place_fields, N(place_fields)) &&
             record(w, "cond", key, &pl->ch, cond_fields, N(cond_fields)) &&
             record(w, "cand", key, &pl->cand, note_fields, N(note_fields));
        for (unsigned k = 0; ok && k < SHELF_LOADS; k++) {
            snprintf(key, sizeof(key), "%u %u", c, k);
            ok = record(w, "load", key, &pl->load[k], load_fields, N(load_fields));
        }
    }
    for (size_t i = 0; ok && i < n_items; i++) {
        const char *id = items[i].cfg->id;
        ok = record(w, "item", id, &items[i], item_fields, N(item_fields)) &&
             record(w, "view", id, &items[i].view, view_fields, N(view_fields));
    }
    for (size_t i = 0; ok && i < n_buttons; i++) {
        snprintf(key, sizeof(key), "%zu", i);
        ok = record(w, "button", key, &buttons[i].st, button_fields, N(button_fields));
    }
    return ok;
}

/*
 * What the fields' ranges do not say: the values that index arrays or name
 * states, so that a damaged row cannot send the code beyond its arrays, and
 * every place of the configuration (was: p's shelf) still used.
 */
static bool
sane(const struct shelf *was, const struct shelf *sh, const struct pl_item *items,
     size_t n_items, const struct pl_button *buttons, size_t n_buttons)
{
    for (unsigned c = 0; c < SENSOR_MAX_CHANNELS; c++) {
        const struct shelf_place *pl = &sh->p[c];
        const struct cond_channel *ch = &pl->ch;
        /* The places are the configuration's: a record may not drop one. */
        if (!was->p[c].used)
            continue;
        if (!pl->used)
            return false;
        if (ch->win_n > COND_MEDIAN || ch->win_pos >= COND_MEDIAN ||
            ch->pl_n_recent > COND_RECENT || ch->pl_pos >= COND_RECENT ||
            ch->slow_pos >= COND_SLOW_SLOTS || ch->state > COND_FAULT ||
            ch->cal.span_raw == 0 || pl->guest_owner < -1 ||
            pl->guest_owner >= SENSOR_MAX_CHANNELS ||
            pl->cand.kind > COND_NOTE_FAULT_END)
            return false;
        for (unsigned k = 0; k < SHELF_LOADS; k++)
            if (pl->load[k].kind > SHELF_LOAD_FOREIGN)
                return false;
    }
    for (size_t i = 0; i < n_items; i++)
        if (items[i].agg_n < 0 || (unsigned)items[i].view.verdict > ORDER_NO_DATA)
            return false;
    for (size_t i = 0; i < n_buttons; i++)
        if (buttons[i].st.phase > BUTTON_LONG_HELD)
            return false;
    return true;
}

#define HEADER "pantry-resume"

int
resume_encode(const struct pipeline *p, char *buf, size_t cap)
{
    struct out o = {.w = buf, .end = buf + cap};
    struct walk w = {.o = &o};
    char head[32];

    snprintf(head, sizeof(head), HEADER " %d\n", RESUME_FORMAT);
    put_text(&o, head);
    /* Writing reads p only; the walk takes it unqualified for reading too. */
    struct pipeline *q = (struct pipeline *)(uintptr_t)p;
    if (!walk(&w, &q->shelf, q->items, q->n_items, q->buttons, q->n_buttons, q))
        return -ENOSPC;
    put_text(&o, "end\n");
    if (o.full)
        return -ENOSPC;
    *o.w = '\0';
    return (int)(o.w - buf);
}

int
resume_decode(struct pipeline *p, const char *text, char *err, size_t errlen)
{
    char head[32];
    struct shelf *sh = malloc(sizeof(*sh));
    struct pl_item *items = malloc(sizeof(p->items));
    struct pl_button *buttons = malloc(sizeof(p->buttons));
    unsigned reviews_due = p->reviews_due;
    int64_t in_t_ms = p->in_t_ms;
    uint32_t in_n = p->in_n;
    int r = -EINVAL;

    if (sh == NULL || items == NULL || buttons == NULL) {
        r = -ENOMEM;
        text_error(err, errlen, "out of memory");
        goto out;
    }
    snprintf(head, sizeof(head), HEADER " %d\n", RESUME_FORMAT);
    if (strncmp(text, head, strlen(head)) != 0) {
        text_error(err, errlen, "expected '" HEADER " %d'", RESUME_FORMAT);
        goto out;
    }
    memcpy(sh, &p->shelf, sizeof(*sh));
    memcpy(items, p->items, sizeof(p->items));
    memcpy(buttons, p->buttons, sizeof(p->buttons));
    const char *rest = text + strlen(head);
    struct walk w = {.in = &rest, .err = err, .errlen = errlen};
    /* The walk writes the pipeline record into p itself: put it back on failure. */
    bool ok = walk(&w, sh, items, p->n_items, buttons, p->n_buttons, p);
    if (ok && strcmp(rest, "end\n") != 0) {
        ok = false;
        text_error(err, errlen, "expected 'end' after the last record");
    }
    if (ok && !sane(&p->shelf, sh, items, p->n_items, buttons, p->n_buttons)) {
        ok = false;
        text_error(err, errlen, "an index or a state out of its range");
    }
    if (!ok) {
        p->reviews_due = reviews_due;
        p->in_t_ms = in_t_ms;
        p->in_n = in_n;
        goto out;
    }
    memcpy(&p->shelf, sh, sizeof(*sh));
    memcpy(p->items, items, sizeof(p->items));
    memcpy(p->buttons, buttons, sizeof(p->buttons));
    r = 0;
out:
    free(sh);
    free(items);
    free(buttons);
    return r;
}

int
resume_save(struct pipeline *p)
{
    char *buf = malloc(STORE_RESUME_MAX);
    int n = buf == NULL ? -ENOMEM : resume_encode(p, buf, STORE_RESUME_MAX);
    int r =
        n < 0 ? n : store_resume_put(p->db, p->now_ms, RESUME_FORMAT, buf, (size_t)n);

    free(buf);
    return r;
}

int
resume_load(struct pipeline *p, int64_t t_ms, char *err, size_t errlen)
{
    char *buf = malloc(STORE_RESUME_MAX);
    int64_t at = 0;
    int32_t format = 0;
    size_t len = 0;
    int r;

    if (buf == NULL)
        return text_error(err, errlen, "out of memory"), -ENOMEM;
    r = store_resume_get(p->db, &at, &format, buf, STORE_RESUME_MAX, &len);
    if (r == -ENOENT)
        text_error(err, errlen, "the store holds no resume state");
    else if (r < 0)
        text_error(err, errlen, "%s", store_errmsg(p->db));
    else if (at != t_ms)
        r = -ENOENT, text_error(err, errlen,
                                "the resume state is of %lld ms, not of "
                                "%lld ms",
                                (long long)at, (long long)t_ms);
    else if (format != RESUME_FORMAT)
        r = -EPROTO, text_error(err, errlen,
                                "the resume state is of format %d, this "
                                "program reads %d",
                                (int)format, RESUME_FORMAT);
    else if (strlen(buf) != len)
        r = -EINVAL, text_error(err, errlen, "a NUL byte in the resume state");
    else
        r = resume_decode(p, buf, err, errlen);
    free(buf);
    return r;
}
