/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's record in the store (see store.h): items, calibrations,
 * stock events, aggregated readings and learnt model states as the daemon
 * writes them, the history and audit log pantryctl reads, the daemon's latest
 * view of each item with its small named counters, and the resume snapshot.
 * Orders are in store-orders.c, retention in store-prune.c.
 */
#include "agent/store/store.h"
#include "agent/store/store-int.h"

#include "sensors/cond/cond.h"
#include "sensors/sensor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define MODEL_MAX_BYTES 65536

/* ---- items ---- */

int
store_item_put(struct store *db, const struct store_item *it)
{
    int e = 0;
    if (!store_id_ok_(it->id))
        return store_bad_id_(db, "an item id");
    if (!store_fits_(it->name, sizeof(it->name)) ||
        !store_fits_(it->sku, sizeof(it->sku)) ||
        !store_fits_(it->gtin, sizeof(it->gtin)))
        return store_failf_(db, -EINVAL, "item %s: a field without its terminating NUL",
                            it->id);
    sqlite3_stmt *st = store_stmt_(db, S_ITEM_PUT, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, it->id);
    store_bind_text_(db, st, 2, it->name);
    store_bind_text_(db, st, 3, it->sku);
    store_bind_text_(db, st, 4, it->gtin);
    sqlite3_bind_int(st, 5, it->channel);
    return store_run_(db, st);
}

static int
item_row(struct store *db, sqlite3_stmt *st, struct store_item *it)
{
    int e;
    memset(it, 0, sizeof(*it));
    if ((e = store_col_copy_(db, st, 0, it->id, sizeof(it->id))) < 0 ||
        (e = store_col_copy_(db, st, 1, it->name, sizeof(it->name))) < 0 ||
        (e = store_col_copy_(db, st, 2, it->sku, sizeof(it->sku))) < 0 ||
        (e = store_col_copy_(db, st, 3, it->gtin, sizeof(it->gtin))) < 0)
        return e;
    it->channel = sqlite3_column_int(st, 4);
    return 0;
}

int
store_item_get(struct store *db, const char *id, struct store_item *out)
{
    int e = 0;
    if (!store_id_ok_(id))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_ITEM_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        e = item_row(db, st, out);
    else if (rc == SQLITE_DONE)
        e = store_failf_(db, -ENOENT, "no item %s", id);
    else
        e = store_fail_(db, rc);
    store_done_(st);
    return e;
}

int
store_items(struct store *db, int (*cb)(const struct store_item *it, void *ctx),
            void *ctx)
{
    int e = 0, rc;
    sqlite3_stmt *st = store_stmt_(db, S_ITEMS, &e);
    if (st == NULL)
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_item it;
        if ((e = item_row(db, st, &it)) != 0 || (e = cb(&it, ctx)) != 0)
            break;
    }
    return store_rows_end_(db, st, e, rc);
}

/* ---- calibrations ---- */

int
store_cal_add(struct store *db, const char *item, int64_t t_ms,
              const struct cond_cal *cal)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (cal->span_raw == 0 || cal->span_mg < 1 || cal->span_mg > COND_MG_LIMIT)
        return store_failf_(db, -EINVAL,
                            "calibration of %s: span %d counts for %lld mg", item,
                            (int)cal->span_raw, (long long)cal->span_mg);
    sqlite3_stmt *st = store_stmt_(db, S_CAL_ADD, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, t_ms);
    sqlite3_bind_int64(st, 3, cal->raw_zero);
    sqlite3_bind_int64(st, 4, cal->span_raw);
    sqlite3_bind_int64(st, 5, cal->span_mg);
    return store_run_(db, st);
}

int
store_cal_latest(struct store *db, const char *item, struct cond_cal *out,
                 int64_t *t_ms)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_CAL_LATEST, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int64_t zero = sqlite3_column_int64(st, 1);
        int64_t span = sqlite3_column_int64(st, 2);
        int64_t mg = sqlite3_column_int64(st, 3);
        if (zero < INT32_MIN || zero > INT32_MAX || span < INT32_MIN ||
            span > INT32_MAX || span == 0 || mg < 1 || mg > COND_MG_LIMIT) {
            e = store_failf_(db, -EIO, "calibration of %s out of range", item);
        } else {
            out->raw_zero = (int32_t)zero;
            out->span_raw = (int32_t)span;
            out->span_mg = mg;
            if (t_ms != NULL)
                *t_ms = sqlite3_column_int64(st, 0);
        }
    } else if (rc == SQLITE_DONE) {
        e = store_failf_(db, -ENOENT, "no calibration of %s", item);
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}

/* ---- stock events ---- */

#define STOCK_KIND_COUNT (STOCK_FAULT_END + 1)

static int
stock_kind_from_str(const char *s)
{
    for (int k = 0; k < STOCK_KIND_COUNT; k++)
        if (s != NULL && strcmp(s, stock_kind_to_str((enum stock_kind)k)) == 0)
            return k;
    return -EINVAL;
}

int
store_event_add(struct store *db, const char *item, const struct stock_event *ev)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (ev->kind >= STOCK_KIND_COUNT)
        return store_failf_(db, -EINVAL, "stock event of %s: unknown kind %u", item,
                            (unsigned)ev->kind);
    sqlite3_stmt *st = store_stmt_(db, S_EVENT_ADD, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, ev->t_ms);
    store_bind_text_(db, st, 3, stock_kind_to_str((enum stock_kind)ev->kind));
    sqlite3_bind_int64(st, 4, ev->mg);
    sqlite3_bind_int(st, 5, ev->channel);
    sqlite3_bind_int(st, 6, ev->flags);
    return store_run_(db, st);
}

int
store_events(struct store *db, const char *item, int64_t from_ms, int64_t to_ms,
             int (*cb)(const struct store_event *e, void *ctx), void *ctx)
{
    int e = 0, rc;
    if (item != NULL && !store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_range_stmt_(db, S_EVENTS, item, from_ms, to_ms, &e);
    if (st == NULL)
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_event ev;
        memset(&ev, 0, sizeof(ev));
        int kind = stock_kind_from_str((const char *)sqlite3_column_text(st, 2));
        if (kind < 0) {
            e = store_failf_(db, -EIO, "a stock event of unknown kind '%s'",
                             (const char *)sqlite3_column_text(st, 2));
            break;
        }
        ev.item = (const char *)sqlite3_column_text(st, 0);
        ev.ev.t_ms = sqlite3_column_int64(st, 1);
        ev.ev.kind = (uint8_t)kind;
        ev.ev.mg = sqlite3_column_int64(st, 3);
        ev.ev.channel = (uint16_t)sqlite3_column_int(st, 4);
        ev.ev.flags = (uint8_t)sqlite3_column_int(st, 5);
        if ((e = cb(&ev, ctx)) != 0)
            break;
    }
    return store_rows_end_(db, st, e, rc);
}

/* ---- readings ---- */

int
store_reading_put(struct store *db, const char *item, const struct store_reading *r)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (r->n < 1 || r->min_mg > r->max_mg || r->uncertainty_mg < 0)
        return store_failf_(db, -EINVAL, "reading of %s: n %lld, min %lld, max %lld mg",
                            item, (long long)r->n, (long long)r->min_mg,
                            (long long)r->max_mg);
    sqlite3_stmt *st = store_stmt_(db, S_READING_PUT, &e);
    if (st == NULL)
        return e;
    sqlite3_bind_int64(st, 1, r->start_ms);
    store_bind_text_(db, st, 2, item);
    sqlite3_bind_int64(st, 3, r->n);
    sqlite3_bind_int64(st, 4, r->min_mg);
    sqlite3_bind_int64(st, 5, r->max_mg);
    sqlite3_bind_int64(st, 6, r->mean_mg);
    sqlite3_bind_int64(st, 7, r->uncertainty_mg);
    return store_run_(db, st);
}

int
store_readings(struct store *db, const char *item, int64_t from_ms, int64_t to_ms,
               int (*cb)(const struct store_reading *r, void *ctx), void *ctx)
{
    int e = 0, rc;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_range_stmt_(db, S_READINGS, item, from_ms, to_ms, &e);
    if (st == NULL)
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_reading r = {
            .start_ms = sqlite3_column_int64(st, 0),
            .n = sqlite3_column_int64(st, 1),
            .min_mg = sqlite3_column_int64(st, 2),
            .max_mg = sqlite3_column_int64(st, 3),
            .mean_mg = sqlite3_column_int64(st, 4),
            .uncertainty_mg = sqlite3_column_int64(st, 5),
        };
        if ((e = cb(&r, ctx)) != 0)
            break;
    }
    return store_rows_end_(db, st, e, rc);
}

/* ---- model states ---- */

int
store_model_put(struct store *db, const char *item, int64_t t_ms, int32_t format,
                const void *blob, size_t size)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (blob == NULL || size < 1 || size > MODEL_MAX_BYTES)
        return store_failf_(db, -EINVAL, "model state of %s: %zu bytes", item, size);
    sqlite3_stmt *st = store_stmt_(db, S_MODEL_PUT, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, t_ms);
    sqlite3_bind_int(st, 3, format);
    sqlite3_bind_int64(st, 4, (sqlite3_int64)size);
    int rc = sqlite3_bind_blob(st, 5, blob, (int)size, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        e = store_fail_(db, rc);
        store_done_(st);
        return e;
    }
    return store_run_(db, st);
}

/*
 * The model state row of item into buf: with exact (get), only of format and
 * exactly cap bytes (-ESTALE otherwise, buf untouched); without (load), any
 * format of at most cap bytes (-E2BIG otherwise).
 */
static int
model_read(struct store *db, const char *item, bool exact, int32_t *format, void *buf,
           size_t cap, size_t *len, int64_t *t_ms)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_MODEL_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        int32_t f = sqlite3_column_int(st, 1);
        int64_t n = sqlite3_column_int64(st, 2);
        const void *b = sqlite3_column_blob(st, 3);
        int64_t got = sqlite3_column_bytes(st, 3);
        if (exact && (f != *format || n != (int64_t)cap || got != n || b == NULL)) {
            e = store_failf_(
                db, -ESTALE,
                "model state of %s has format %d, %lld bytes; expected %d, %zu", item,
                (int)f, (long long)got, (int)*format, cap);
        } else if (!exact && (b == NULL || got < 1 || (uint64_t)got > cap)) {
            e = store_failf_(db, -E2BIG,
                             "model state of %s: %lld bytes, at most %zu read", item,
                             (long long)got, cap);
        } else {
            memcpy(buf, b, (size_t)got);
            *format = f;
            *len = (size_t)got;
            if (t_ms != NULL)
                *t_ms = sqlite3_column_int64(st, 0);
        }
    } else if (rc == SQLITE_DONE) {
        e = store_failf_(db, -ENOENT, "no model state of %s", item);
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}

int
store_model_get(struct store *db, const char *item, int32_t format, void *buf,
                size_t size, int64_t *t_ms)
{
    size_t len;
    return model_read(db, item, true, &format, buf, size, &len, t_ms);
}

int
store_model_load(struct store *db, const char *item, int32_t *format, void *buf,
                 size_t cap, size_t *len, int64_t *t_ms)
{
    return model_read(db, item, false, format, buf, cap, len, t_ms);
}

/* ---- history and audit ---- */

int
store_history(struct store *db, const char *item, int limit,
              int (*cb)(const struct store_history *h, void *ctx), void *ctx)
{
    int e = 0, rc;
    if (item != NULL && !store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (limit < 0)
        return store_failf_(db, -EINVAL, "history limit %d", limit);
    sqlite3_stmt *st = store_stmt_(db, S_HISTORY, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int(st, 2, limit);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_history h;
        memset(&h, 0, sizeof(h));
        int k = sqlite3_column_int(st, 0);
        const char *a = (const char *)sqlite3_column_text(st, 4);
        h.t_ms = sqlite3_column_int64(st, 1);
        h.item = (const char *)sqlite3_column_text(st, 2);
        h.note = (const char *)sqlite3_column_text(st, 6);
        h.from = h.to = ORDER_STATE_COUNT;
        if (k == 0) {
            h.kind = HISTORY_TRANSITION;
            h.order_id = (const char *)sqlite3_column_text(st, 3);
            h.from = a != NULL ? store_order_state_from_str(a) : ORDER_STATE_COUNT;
            h.to = store_order_state_from_str((const char *)sqlite3_column_text(st, 5));
            if (h.from < 0 || h.to < 0) {
                e = store_failf_(db, -EIO,
                                 "a transition of order %s to an unknown state",
                                 h.order_id);
                break;
            }
        } else if (k == 1) {
            int kind = stock_kind_from_str(a);
            if (kind < 0) {
                e = store_failf_(db, -EIO, "a stock event of unknown kind '%s'", a);
                break;
            }
            h.kind = HISTORY_EVENT;
            h.ev.t_ms = h.t_ms;
            h.ev.kind = (uint8_t)kind;
            h.ev.mg = sqlite3_column_int64(st, 7);
            h.ev.channel = (uint16_t)sqlite3_column_int(st, 8);
            h.ev.flags = (uint8_t)sqlite3_column_int(st, 9);
        } else {
            h.kind = HISTORY_AUDIT;
        }
        if ((e = cb(&h, ctx)) != 0)
            break;
    }
    return store_rows_end_(db, st, e, rc);
}

int
store_audit(struct store *db, int64_t t_ms, const char *item, const char *what)
{
    int e = 0;
    char cut[STORE_NOTE_MAX];
    if (item != NULL && !store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (what == NULL)
        return store_failf_(db, -EINVAL, "an audit row needs a text");
    sqlite3_stmt *st = store_stmt_(db, S_AUDIT_ADD, &e);
    if (st == NULL)
        return e;
    snprintf(cut, sizeof(cut), "%s", what);
    sqlite3_bind_int64(st, 1, t_ms);
    store_bind_text_(db, st, 2, item);
    store_bind_text_(db, st, 3, cut);
    return store_run_(db, st);
}

/* ---- item views and counters ---- */

/* A runout time of INT64_MAX (never) is stored as NULL. */
static void
bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    if (t == INT64_MAX)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, t);
}

static int64_t
column_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? INT64_MAX
                                                     : sqlite3_column_int64(st, i);
}

int
store_view_put(struct store *db, const char *item, const struct store_view *v)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    if (v->verdict[0] == '\0' || !store_fits_(v->verdict, sizeof(v->verdict)) ||
        v->stock_mg < 0 || v->uncertainty_mg < 0)
        return store_failf_(db, -EINVAL, "view of %s: bad stock or verdict", item);
    sqlite3_stmt *st = store_stmt_(db, S_VIEW_PUT, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, v->t_ms);
    sqlite3_bind_int64(st, 3, v->stock_mg);
    sqlite3_bind_int64(st, 4, v->uncertainty_mg);
    sqlite3_bind_int64(st, 5, v->rate_ugpd);
    sqlite3_bind_int64(st, 6, v->sigma_ugpd);
    bind_time(st, 7, v->runout_s);
    bind_time(st, 8, v->runout_lo_s);
    bind_time(st, 9, v->runout_hi_s);
    sqlite3_bind_int64(st, 10, v->lead_s);
    sqlite3_bind_int64(st, 11, v->reorder_point_mg);
    store_bind_text_(db, st, 12, v->verdict);
    sqlite3_bind_int(st, 13, v->fault ? 1 : 0);
    return store_run_(db, st);
}

int
store_view_get(struct store *db, const char *item, struct store_view *out)
{
    int e = 0;
    if (!store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_VIEW_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *verdict = sqlite3_column_text(st, 10);
        *out = (struct store_view){
            .t_ms = sqlite3_column_int64(st, 0),
            .stock_mg = sqlite3_column_int64(st, 1),
            .uncertainty_mg = sqlite3_column_int64(st, 2),
            .rate_ugpd = sqlite3_column_int64(st, 3),
            .sigma_ugpd = sqlite3_column_int64(st, 4),
            .runout_s = column_time(st, 5),
            .runout_lo_s = column_time(st, 6),
            .runout_hi_s = column_time(st, 7),
            .lead_s = sqlite3_column_int64(st, 8),
            .reorder_point_mg = sqlite3_column_int64(st, 9),
            .fault = sqlite3_column_int(st, 11) != 0,
        };
        snprintf(out->verdict, sizeof(out->verdict), "%s",
                 verdict ? (const char *)verdict : "");
    } else if (rc == SQLITE_DONE) {
        e = store_failf_(db, -ENOENT, "no view of %s yet", item);
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}

int
store_meta_put(struct store *db, const char *key, int64_t value)
{
    int e = 0;
    if (!store_id_ok_(key))
        return store_bad_id_(db, "a key");
    sqlite3_stmt *st = store_stmt_(db, S_META_PUT, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, key);
    sqlite3_bind_int64(st, 2, value);
    return store_run_(db, st);
}

int
store_meta_get(struct store *db, const char *key, int64_t *value)
{
    int e = 0;
    if (!store_id_ok_(key))
        return store_bad_id_(db, "a key");
    sqlite3_stmt *st = store_stmt_(db, S_META_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, key);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *value = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        e = store_failf_(db, -ENOENT, "no value of %s", key);
    else
        e = store_fail_(db, rc);
    store_done_(st);
    return e;
}

/* ---- resume snapshot ---- */

int
store_resume_put(struct store *db, int64_t t_ms, int32_t format, const char *text,
                 size_t len)
{
    int e = 0;
    if (text == NULL || len < 1 || len > STORE_RESUME_MAX)
        return store_failf_(db, -EINVAL, "resume state: %zu bytes", len);
    sqlite3_stmt *st = store_stmt_(db, S_RESUME_PUT, &e);
    if (st == NULL)
        return e;
    sqlite3_bind_int64(st, 1, t_ms);
    sqlite3_bind_int(st, 2, format);
    int rc = sqlite3_bind_text(st, 3, text, (int)len, SQLITE_STATIC);
    if (rc != SQLITE_OK) {
        e = store_fail_(db, rc);
        store_done_(st);
        return e;
    }
    return store_run_(db, st);
}

int
store_resume_get(struct store *db, int64_t *t_ms, int32_t *format, char *buf,
                 size_t cap, size_t *len)
{
    int e = 0;
    sqlite3_stmt *st = store_stmt_(db, S_RESUME_GET, &e);
    if (st == NULL)
        return e;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(st, 2);
        size_t n = (size_t)sqlite3_column_bytes(st, 2);
        if (t == NULL || n >= cap) {
            e = store_failf_(db, -E2BIG, "resume state: %zu bytes", n);
        } else {
            memcpy(buf, t, n);
            buf[n] = '\0';
            *len = n;
            *t_ms = sqlite3_column_int64(st, 0);
            *format = sqlite3_column_int(st, 1);
        }
    } else if (rc == SQLITE_DONE) {
        e = store_failf_(db, -ENOENT, "no resume state");
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}
