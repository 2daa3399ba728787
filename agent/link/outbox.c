/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The outbox's sending decisions (see outbox.h and its table). No clock, no
 * store, no network: the daemon passes what the store says is pending and the
 * time, and does what the answer says.
 */
#include "agent/link/outbox.h"

#include <string.h>

void
outbox_init(struct outbox *o, int64_t ack_wait_ms, int64_t resend_ms)
{
    memset(o, 0, sizeof(*o));
    o->ack_wait_ms = ack_wait_ms;
    o->resend_ms = o->round_wait_ms = resend_ms;
}

void
outbox_reset(struct outbox *o)
{
    bool strict = o->strict;

    outbox_init(o, o->ack_wait_ms, o->resend_ms);
    o->strict = strict;
}

void
outbox_set_strict(struct outbox *o)
{
    o->strict = true;
}

void
outbox_answered(struct outbox *o)
{
    o->round_wait_ms = o->resend_ms;
}

int
outbox_next(const struct outbox *o, const struct outbox_msg *pending, size_t n,
            int64_t now_ms, int64_t *wake_ms)
{
    size_t next = n;
    bool last_pending = false, blocked;
    int64_t round_due = o->last_sent_ms + o->round_wait_ms;

    *wake_ms = INT64_MAX;
    if (n == 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (pending[i].seq == o->sent_upto)
            last_pending = true;
        if (pending[i].seq > o->sent_upto && next == n)
            next = i;
    }
    if (o->sent_upto == 0)
        return 0; /* nothing sent on this connection yet: the lowest */
    /* The next may go when there is one and the last sent is answered, or (no
     * retailer known) it was taken by the broker ack_wait ago. */
    blocked =
        next == n || (last_pending && (o->strict || !o->last_puback ||
                                       now_ms - o->last_sent_ms < o->ack_wait_ms));
    if (!blocked)
        return (int)next;
    /* Waiting: for an answer, a PUBACK, ack_wait; or everything went out. What
     * is still unanswered goes again, from the lowest, when the round is due. */
    if (now_ms >= round_due)
        return 0;
    *wake_ms = round_due;
    if (next < n && !o->strict && last_pending && o->last_puback &&
        o->last_sent_ms + o->ack_wait_ms < *wake_ms)
        *wake_ms = o->last_sent_ms + o->ack_wait_ms;
    return -1;
}

void
outbox_sent(struct outbox *o, const struct outbox_msg *m, int token, int64_t now_ms)
{
    if (m->seq <= o->sent_upto) {
        /* A new round: the wait before the one after it doubles. */
        o->round_wait_ms = o->round_wait_ms > OUTBOX_RESEND_MAX_MS / 2
                               ? OUTBOX_RESEND_MAX_MS
                               : o->round_wait_ms * 2;
    }
    o->sent_upto = m->seq;
    o->last_sent_ms = now_ms;
    o->last_puback = false;
    if (o->n_flight == OUTBOX_INFLIGHT) {
        /* The oldest token has waited longest for its PUBACK; a message whose
         * PUBACK is forgotten is still pending and goes again on reconnect. */
        memmove(&o->flight[0], &o->flight[1],
                sizeof(o->flight[0]) * (OUTBOX_INFLIGHT - 1));
        o->n_flight--;
    }
    o->flight[o->n_flight].token = token;
    o->flight[o->n_flight].msg = *m;
    o->n_flight++;
}

bool
outbox_puback(struct outbox *o, int token, struct outbox_msg *out)
{
    for (size_t i = 0; i < o->n_flight; i++) {
        if (o->flight[i].token != token)
            continue;
        *out = o->flight[i].msg;
        if (out->seq == o->sent_upto)
            o->last_puback = true;
        memmove(&o->flight[i], &o->flight[i + 1],
                sizeof(o->flight[0]) * (o->n_flight - i - 1));
        o->n_flight--;
        return true;
    }
    return false;
}
