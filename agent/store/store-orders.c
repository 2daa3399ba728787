/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's orders and their outbox (see store.h): order rows and their
 * transition log, the device's sequence numbers, the signed messages queued
 * for the retailer, cancels, and the queries the guard and pantryctl read.
 * Every change of state is one transaction with its transition row, checked
 * against the table in store.h (forward only), and the changes an order's
 * safety rests on (its creation, its queueing with a sequence number and a
 * message) commit with synchronous=FULL, so a power cut cannot lose them.
 */
#include "agent/store/store.h"
#include "agent/store/store-int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define PACKS_MAX 10000
#define PRICE_MAX_CENTS INT64_C(1000000000)

/* ---- orders ---- */

static const char *const state_names[ORDER_STATE_COUNT] = {
    "planned",   "queued",    "published", "acknowledged",
    "fulfilled", "cancelled", "rejected",  "expired",
};

const char *
store_order_state_to_str(enum store_order_state s)
{
    return (unsigned)s < ORDER_STATE_COUNT ? state_names[s] : "?";
}

int
store_order_state_from_str(const char *s)
{
    for (int i = 0; s != NULL && i < ORDER_STATE_COUNT; i++)
        if (strcmp(s, state_names[i]) == 0)
            return i;
    return -EINVAL;
}

bool
store_order_state_final(enum store_order_state s)
{
    return s == ORDER_FULFILLED || s == ORDER_CANCELLED || s == ORDER_REJECTED ||
           s == ORDER_EXPIRED;
}

/* The table in store.h: forward only; never-sent orders only cancel or expire. */
static bool
transition_ok(enum store_order_state from, enum store_order_state to)
{
    if ((unsigned)from >= ORDER_STATE_COUNT || (unsigned)to >= ORDER_STATE_COUNT)
        return false;
    if (store_order_state_final(from) || to == ORDER_PLANNED || to == ORDER_QUEUED)
        return false;
    if (from == ORDER_PLANNED)
        return to == ORDER_CANCELLED || to == ORDER_EXPIRED;
    return store_order_state_final(to) || to > from;
}

void
store_order_fini(struct store_order *o)
{
    if (o == NULL)
        return;
    free(o->message);
    free(o->detail_json);
    o->message = NULL;
    o->detail_json = NULL;
}

/* Fill o from an ORDER_COLS row; message and detail point into the row. */
static int
order_row(struct store *db, sqlite3_stmt *st, struct store_order *o)
{
    int e;
    memset(o, 0, sizeof(*o));
    if ((e = store_col_copy_(db, st, 0, o->order_id, sizeof(o->order_id))) < 0 ||
        (e = store_col_copy_(db, st, 1, o->item, sizeof(o->item))) < 0 ||
        (e = store_col_copy_(db, st, 5, o->reason, sizeof(o->reason))) < 0)
        return e;
    int s = store_order_state_from_str((const char *)sqlite3_column_text(st, 2));
    if (s < 0)
        return store_failf_(db, -EIO, "order %s in an unknown state", o->order_id);
    o->state = (enum store_order_state)s;
    o->packs = sqlite3_column_int(st, 3);
    o->price_cents = sqlite3_column_int64(st, 4);
    o->created_ms = sqlite3_column_int64(st, 6);
    o->updated_ms = sqlite3_column_int64(st, 7);
    o->seq = sqlite3_column_int64(st, 8);
    o->message = (char *)sqlite3_column_text(st, 9);
    o->detail_json = (char *)sqlite3_column_text(st, 10);
    o->queued_ms = sqlite3_column_int64(st, 11);
    o->eta_ms = sqlite3_column_int64(st, 12);
    return 0;
}

/* Run an order listing: rows to cb. */
static int
order_list(struct store *db, sqlite3_stmt *st,
           int (*cb)(const struct store_order *o, void *ctx), void *ctx)
{
    int e = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_order o;
        if ((e = order_row(db, st, &o)) != 0 || (e = cb(&o, ctx)) != 0)
            break;
    }
    return store_rows_end_(db, st, e, rc);
}

static int
transition_row(struct store *db, const char *order_id, const char *from, const char *to,
               int64_t t_ms, const char *note)
{
    int e = 0;
    char cut[STORE_NOTE_MAX];
    sqlite3_stmt *st = store_stmt_(db, S_TRANS_INSERT, &e);
    if (st == NULL)
        return e;
    if (note != NULL)
        snprintf(cut, sizeof(cut), "%s", note);
    store_bind_text_(db, st, 1, order_id);
    store_bind_text_(db, st, 2, from);
    store_bind_text_(db, st, 3, to);
    sqlite3_bind_int64(st, 4, t_ms);
    store_bind_text_(db, st, 5, note != NULL ? cut : NULL);
    return store_run_(db, st);
}

/* The checks of a new order's fields, before any transaction. */
static int
order_fields_ok(struct store *db, const struct store_order *o)
{
    if (!store_id_ok_(o->order_id))
        return store_bad_id_(db, "an order id");
    if (!store_id_ok_(o->item))
        return store_bad_id_(db, "an item id");
    if (o->packs < 1 || o->packs > PACKS_MAX || o->price_cents < 0 ||
        o->price_cents > PRICE_MAX_CENTS || o->reason[0] == '\0' ||
        !store_fits_(o->reason, sizeof(o->reason)))
        return store_failf_(
            db, -EINVAL, "order %s: %d packs at %lld cents, reason '%.15s'",
            o->order_id, (int)o->packs, (long long)o->price_cents, o->reason);
    return 0;
}

/* Inside a transaction: the order row, planned, and its first transition. */
static int
order_insert(struct store *db, const struct store_order *o, int64_t t_ms)
{
    int e = 0;
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_INSERT, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, o->order_id);
    store_bind_text_(db, st, 2, o->item);
    sqlite3_bind_int(st, 3, o->packs);
    sqlite3_bind_int64(st, 4, o->price_cents);
    store_bind_text_(db, st, 5, o->reason);
    sqlite3_bind_int64(st, 6, t_ms);
    if ((e = store_bind_text_(db, st, 7, o->detail_json)) < 0) {
        store_done_(st);
        return e;
    }
    if ((e = store_run_(db, st)) < 0) {
        if (e == -EINVAL && o->detail_json != NULL)
            store_failf_(db, e, "order %s: detail is not valid JSON", o->order_id);
        return e;
    }
    return transition_row(db, o->order_id, NULL, "planned", t_ms, NULL);
}

int
store_order_create(struct store *db, const struct store_order *o, int64_t t_ms)
{
    int e = order_fields_ok(db, o);
    if (e < 0 || (e = store_tx_begin_(db, true)) < 0)
        return e;
    return store_tx_end_(db, order_insert(db, o, t_ms), true);
}

/* After an UPDATE ... WHERE state = ? changed nothing: why. */
static int
state_mismatch(struct store *db, const char *order_id, const char *expected)
{
    int e = 0;
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_STATE, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, order_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        e = store_failf_(db, -ESTALE, "order %s is %s, not %s", order_id,
                         (const char *)sqlite3_column_text(st, 0), expected);
    else if (rc == SQLITE_DONE)
        e = store_failf_(db, -ENOENT, "no order %s", order_id);
    else
        e = store_fail_(db, rc);
    store_done_(st);
    return e;
}

static int
transition(struct store *db, const char *order_id, enum store_order_state expected_from,
           enum store_order_state to, int64_t t_ms, const char *note, bool full)
{
    int e = 0;
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    if (!transition_ok(expected_from, to))
        return store_failf_(db, -EINVAL, "order %s: no transition from %s to %s%s",
                            order_id, store_order_state_to_str(expected_from),
                            store_order_state_to_str(to),
                            to == ORDER_QUEUED ? " (use store_order_queue())" : "");
    const char *from_s = state_names[expected_from], *to_s = state_names[to];
    if ((e = store_tx_begin_(db, full)) < 0)
        return e;
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_MOVE, &e);
    if (st == NULL)
        goto out;
    store_bind_text_(db, st, 1, order_id);
    store_bind_text_(db, st, 2, from_s);
    store_bind_text_(db, st, 3, to_s);
    sqlite3_bind_int64(st, 4, t_ms);
    if ((e = store_run_(db, st)) < 0)
        goto out;
    if (sqlite3_changes(db->sql) != 1) {
        e = state_mismatch(db, order_id, from_s);
        goto out;
    }
    e = transition_row(db, order_id, from_s, to_s, t_ms, note);
out:
    return store_tx_end_(db, e, full);
}

int
store_order_transition(struct store *db, const char *order_id,
                       enum store_order_state expected_from, enum store_order_state to,
                       int64_t t_ms, const char *note)
{
    return transition(db, order_id, expected_from, to, t_ms, note, true);
}

int
store_order_published(struct store *db, const char *order_id, int64_t t_ms,
                      const char *note)
{
    return transition(db, order_id, ORDER_QUEUED, ORDER_PUBLISHED, t_ms, note, false);
}

int
store_set_device(struct store *db, const char *device_id)
{
    if (!store_id_ok_(device_id))
        return store_bad_id_(db, "a device id");
    snprintf(db->device, sizeof(db->device), "%s", device_id);
    return 0;
}

/* device's last number into *last; -ENOENT when the device has no row yet. */
static int
seq_get(struct store *db, const char *device, int64_t *last)
{
    int e = 0;
    sqlite3_stmt *st = store_stmt_(db, S_SEQ_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, device);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *last = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        e = -ENOENT;
    else
        e = store_fail_(db, rc);
    store_done_(st);
    return e;
}

int
store_seq_last(struct store *db, const char *device_id, int64_t *last)
{
    if (!store_id_ok_(device_id))
        return store_bad_id_(db, "a device id");
    int e = seq_get(db, device_id, last);
    if (e == -ENOENT) {
        *last = 0;
        e = 0;
    }
    return e;
}

/* Inside a transaction: the device's next number, persisted as its last. */
static int
seq_take(struct store *db, int64_t *seq)
{
    int64_t last = 0;
    int e = seq_get(db, db->device, &last);
    sqlite3_stmt *st;
    if (e == -ENOENT) {
        /* A new device id continues from the store's highest: seq stays unique. */
        e = 0;
        st = store_stmt_(db, S_SEQ_MAX, &e);
        if (st == NULL)
            return e;
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW)
            last = sqlite3_column_int64(st, 0);
        else
            e = store_fail_(db, rc);
        store_done_(st);
        if (e < 0 || (st = store_stmt_(db, S_SEQ_INSERT, &e)) == NULL)
            return e;
        store_bind_text_(db, st, 1, db->device);
        sqlite3_bind_int64(st, 2, last);
        if ((e = store_run_(db, st)) < 0)
            return e;
    } else if (e < 0) {
        return e;
    }
    if (last >= INT64_MAX - 1)
        return store_failf_(db, -EOVERFLOW, "sequence of %s exhausted", db->device);
    if ((st = store_stmt_(db, S_SEQ_SET, &e)) == NULL)
        return e;
    store_bind_text_(db, st, 1, db->device);
    sqlite3_bind_int64(st, 2, last + 1);
    if ((e = store_run_(db, st)) < 0)
        return e;
    *seq = last + 1;
    return 0;
}

/* Inside a transaction: take a number, build the message for it; both or none. */
static int
build_for_seq(struct store *db, const char *order_id, store_build_fn build, void *ctx,
              int64_t *seq, char **msg)
{
    int e = seq_take(db, seq);
    if (e < 0)
        return e;
    if ((e = build(*seq, ctx, msg)) < 0)
        return store_failf_(db, e,
                            "order %s: building the message for sequence %lld failed",
                            order_id, (long long)*seq);
    if (*msg == NULL)
        return store_failf_(db, -EINVAL, "order %s: build gave no message", order_id);
    return 0;
}

/* Inside a transaction: a planned order gets its number, message and state. */
static int
order_queue(struct store *db, const char *order_id, int64_t t_ms, store_build_fn build,
            void *ctx)
{
    int e = 0;
    int64_t seq = 0;
    char *msg = NULL;
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_STATE, &e);
    if (st == NULL)
        goto out;
    store_bind_text_(db, st, 1, order_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        e = store_failf_(db, -ENOENT, "no order %s", order_id);
    else if (rc != SQLITE_ROW)
        e = store_fail_(db, rc);
    else if (strcmp((const char *)sqlite3_column_text(st, 0), "planned") != 0)
        e = store_failf_(db, -ESTALE, "order %s is %s, not planned", order_id,
                         (const char *)sqlite3_column_text(st, 0));
    store_done_(st);
    if (e < 0 || (e = build_for_seq(db, order_id, build, ctx, &seq, &msg)) < 0)
        goto out;
    if ((st = store_stmt_(db, S_ORDER_QUEUE, &e)) == NULL)
        goto out;
    store_bind_text_(db, st, 1, order_id);
    sqlite3_bind_int64(st, 2, t_ms);
    sqlite3_bind_int64(st, 3, seq);
    if ((e = store_bind_text_(db, st, 4, msg)) < 0) {
        store_done_(st);
        goto out;
    }
    if ((e = store_run_(db, st)) < 0)
        goto out;
    e = transition_row(db, order_id, "planned", "queued", t_ms, NULL);
out:
    free(msg);
    return e;
}

/* The checks before queueing: an id and a device to number for. */
static int
queue_ok(struct store *db, const char *order_id)
{
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    if (db->device[0] == '\0')
        return store_failf_(db, -EINVAL, "no device id: call store_set_device() first");
    return 0;
}

int
store_order_queue(struct store *db, const char *order_id, int64_t t_ms,
                  store_build_fn build, void *ctx)
{
    int e = queue_ok(db, order_id);
    if (e < 0 || (e = store_tx_begin_(db, true)) < 0)
        return e;
    return store_tx_end_(db, order_queue(db, order_id, t_ms, build, ctx), true);
}

int
store_order_create_queued(struct store *db, const struct store_order *o, int64_t t_ms,
                          store_build_fn build, void *ctx)
{
    int e = order_fields_ok(db, o);
    if (e < 0 || (e = queue_ok(db, o->order_id)) < 0 ||
        (e = store_tx_begin_(db, true)) < 0)
        return e;
    if ((e = order_insert(db, o, t_ms)) == 0)
        e = order_queue(db, o->order_id, t_ms, build, ctx);
    return store_tx_end_(db, e, true);
}

int
store_order_withdraw(struct store *db, const char *order_id,
                     enum store_order_state expected_from, enum store_order_state to,
                     int64_t t_ms, const char *note, store_build_fn build, void *ctx,
                     int64_t *cancel_seq)
{
    int e = 0;
    int64_t seq = 0;
    char *msg = NULL;
    bool sent = expected_from == ORDER_QUEUED || expected_from == ORDER_PUBLISHED ||
                expected_from == ORDER_ACKNOWLEDGED;
    if (cancel_seq != NULL)
        *cancel_seq = 0;
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    if ((to != ORDER_CANCELLED && to != ORDER_EXPIRED) ||
        !transition_ok(expected_from, to))
        return store_failf_(db, -EINVAL, "order %s: cannot withdraw from %s to %s",
                            order_id, store_order_state_to_str(expected_from),
                            store_order_state_to_str(to));
    if (build != NULL && sent && db->device[0] == '\0')
        return store_failf_(db, -EINVAL, "no device id: call store_set_device() first");
    if ((e = store_tx_begin_(db, true)) < 0)
        return e;
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_MOVE, &e);
    if (st == NULL)
        goto out;
    store_bind_text_(db, st, 1, order_id);
    store_bind_text_(db, st, 2, state_names[expected_from]);
    store_bind_text_(db, st, 3, state_names[to]);
    sqlite3_bind_int64(st, 4, t_ms);
    if ((e = store_run_(db, st)) < 0)
        goto out;
    if (sqlite3_changes(db->sql) != 1) {
        e = state_mismatch(db, order_id, state_names[expected_from]);
        goto out;
    }
    if ((e = transition_row(db, order_id, state_names[expected_from], state_names[to],
                            t_ms, note)) < 0)
        goto out;
    if (build == NULL || !sent)
        goto out;
    if ((e = build_for_seq(db, order_id, build, ctx, &seq, &msg)) < 0 ||
        (st = store_stmt_(db, S_CANCEL_INSERT, &e)) == NULL)
        goto out;
    store_bind_text_(db, st, 1, order_id);
    sqlite3_bind_int64(st, 2, seq);
    if ((e = store_bind_text_(db, st, 3, msg)) < 0) {
        store_done_(st);
        goto out;
    }
    sqlite3_bind_int64(st, 4, t_ms);
    if ((e = store_run_(db, st)) < 0)
        goto out;
    if (cancel_seq != NULL)
        *cancel_seq = seq;
out:
    e = store_tx_end_(db, e, true);
    if (e < 0 && cancel_seq != NULL)
        *cancel_seq = 0;
    free(msg);
    return e;
}

int
store_outbox_pending(struct store *db,
                     int (*cb)(const struct store_outmsg *m, void *ctx), void *ctx)
{
    int e = 0, rc;
    sqlite3_stmt *st = store_stmt_(db, S_PENDING, &e);
    if (st == NULL)
        return e;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_outmsg m = {
            .kind = sqlite3_column_int(st, 0) ? STORE_MSG_CANCEL : STORE_MSG_REORDER,
            .order_id = (const char *)sqlite3_column_text(st, 1),
            .item = (const char *)sqlite3_column_text(st, 2),
            .seq = sqlite3_column_int64(st, 3),
            .message = (const char *)sqlite3_column_text(st, 4),
            .published = sqlite3_column_int(st, 5) != 0,
        };
        if ((e = cb(&m, ctx)) != 0)
            break;
    }
    if (e == 0 && rc != SQLITE_DONE && rc != SQLITE_ROW)
        e = store_fail_(db, rc);
    store_done_(st);
    return e;
}

/* One UPDATE of a cancel row by order id: 0, or -ENOENT when no row changed
 * (no such cancel, or already in that state). */
static int
cancel_update(struct store *db, enum stmt_id id, const char *order_id, int64_t t_ms,
              const char *answer, bool full)
{
    int e = 0;
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    if ((e = store_tx_begin_(db, full)) < 0)
        return e;
    sqlite3_stmt *st = store_stmt_(db, id, &e);
    if (st == NULL)
        goto out;
    store_bind_text_(db, st, 1, order_id);
    sqlite3_bind_int64(st, 2, t_ms);
    if (answer != NULL)
        store_bind_text_(db, st, 3, answer);
    if ((e = store_run_(db, st)) == 0 && sqlite3_changes(db->sql) != 1)
        e = store_failf_(db, -ENOENT, "no open cancel of order %s", order_id);
out:
    return store_tx_end_(db, e, full);
}

int
store_cancel_published(struct store *db, const char *order_id, int64_t t_ms)
{
    return cancel_update(db, S_CANCEL_PUBLISHED, order_id, t_ms, NULL, false);
}

int
store_cancel_answered(struct store *db, const char *order_id, int64_t t_ms,
                      bool cancelled)
{
    return cancel_update(db, S_CANCEL_ANSWERED, order_id, t_ms,
                         cancelled ? "cancelled" : "rejected", true);
}

int
store_cancel_get(struct store *db, const char *order_id, struct store_cancel *out)
{
    int e = 0;
    memset(out, 0, sizeof(*out));
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    sqlite3_stmt *st = store_stmt_(db, S_CANCEL_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, order_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *a = (const char *)sqlite3_column_text(st, 3);
        out->seq = sqlite3_column_int64(st, 0);
        out->published_ms = sqlite3_column_int64(st, 1);
        out->answered_ms = sqlite3_column_int64(st, 2);
        out->answered = a != NULL;
        out->cancelled = a != NULL && strcmp(a, "cancelled") == 0;
    } else if (rc == SQLITE_DONE) {
        e = store_failf_(db, -ENOENT, "no cancel of order %s", order_id);
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}

int
store_order_set_eta(struct store *db, const char *order_id, int64_t eta_ms)
{
    int e = 0;
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    if (eta_ms < 0)
        return store_failf_(db, -EINVAL, "order %s: a negative ETA", order_id);
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_ETA, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, order_id);
    sqlite3_bind_int64(st, 2, eta_ms);
    if ((e = store_run_(db, st)) == 0 && sqlite3_changes(db->sql) != 1)
        e = store_failf_(db, -ENOENT, "no order %s", order_id);
    return e;
}

int
store_order_get(struct store *db, const char *order_id, struct store_order *out)
{
    int e = 0;
    memset(out, 0, sizeof(*out));
    if (!store_id_ok_(order_id))
        return store_bad_id_(db, "an order id");
    sqlite3_stmt *st = store_stmt_(db, S_ORDER_GET, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, order_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if ((e = order_row(db, st, out)) == 0) {
            const char *m = out->message, *d = out->detail_json;
            out->message = m != NULL ? strdup(m) : NULL;
            out->detail_json = d != NULL ? strdup(d) : NULL;
            if ((m != NULL && out->message == NULL) ||
                (d != NULL && out->detail_json == NULL)) {
                store_order_fini(out);
                e = store_failf_(db, -ENOMEM, "out of memory");
            }
        } else {
            out->message = out->detail_json = NULL;
        }
    } else if (rc == SQLITE_DONE) {
        e = store_failf_(db, -ENOENT, "no order %s", order_id);
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}

int
store_orders_open(struct store *db, const char *item,
                  int (*cb)(const struct store_order *o, void *ctx), void *ctx)
{
    int e = 0;
    if (item != NULL && !store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_ORDERS_OPEN, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    return order_list(db, st, cb, ctx);
}

int
store_orders_since(struct store *db, const char *item, int64_t since_ms,
                   int (*cb)(const struct store_order *o, void *ctx), void *ctx)
{
    int e = 0;
    if (item != NULL && !store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_ORDERS_SINCE, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, since_ms);
    return order_list(db, st, cb, ctx);
}

int
store_orders_counted(struct store *db, const char *item, int64_t since_ms,
                     int64_t *count, int64_t *cents)
{
    int e = 0;
    if (item != NULL && !store_id_ok_(item))
        return store_bad_id_(db, "an item id");
    sqlite3_stmt *st = store_stmt_(db, S_ORDERS_COUNTED, &e);
    if (st == NULL)
        return e;
    store_bind_text_(db, st, 1, item);
    sqlite3_bind_int64(st, 2, since_ms);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        if (count != NULL)
            *count = sqlite3_column_int64(st, 0);
        if (cents != NULL)
            *cents = sqlite3_column_int64(st, 1);
    } else {
        e = store_fail_(db, rc);
    }
    store_done_(st);
    return e;
}
