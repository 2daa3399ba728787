/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What to send next, and when: the sending side of the outbox, as pure
 * functions of (state, the pending messages, now). The store holds every
 * message the retailer has not answered (store_outbox_pending()); this module
 * decides which of them goes out on the current connection and remembers the
 * tokens of those in flight, so a PUBACK can be matched to its message.
 *
 * Order and pacing: messages go out strictly by sequence number, one at a
 * time, and the next only when the retailer has answered the one before it.
 * Retailers reject a sequence number that is not above the last they saw; a
 * message that overtook an earlier one (the retailer was reconnecting, or two
 * listeners sharing the load checked them in the wrong order) would get a good
 * order refused. Orders are rare: waiting for each answer costs nothing.
 *
 * Until a retailer has ever answered this device (strict is false: a household
 * may publish to its own home automation and no retailer at all), the next
 * message also goes once the broker has taken the last (PUBACK) and ack_wait_ms
 * has passed, so such a household is not stuck on its first message. The
 * first answer makes the outbox strict for good (the daemon remembers it).
 *
 * After a reconnect everything unanswered is sent again, from the lowest
 * number, with the same bytes (retailers drop duplicates by order id). On one
 * connection, when everything pending went out and some of it is still not
 * answered, a new round starts resend_ms after the last send, then after
 * twice that, up to OUTBOX_RESEND_MAX_MS: a retailer that lost a message (its
 * session gone with a crashed broker) gets it again without a reconnect of
 * ours, and a household without a retailer is not flooded. An answer from the
 * retailer brings the wait back to resend_ms: it is up, and the next message
 * it loses must not wait the hour a silent spell grew the wait to.
 *
 *   pending (by seq)   the last sent       next action
 *   -----------------  ------------------  ------------------------------------
 *   empty              -                   nothing
 *   m1 m2 ...          none yet            send m1, the lowest
 *   ... mk mk+1 ...    answered            send mk+1
 *   ... mk mk+1 ...    no retailer known,  send mk+1 once ack_wait has passed
 *                      PUBACK              since mk went out
 *   ... mk mk+1 ...    otherwise waiting   wait; when resend has passed since
 *                      (strict, no PUBACK  the last send: a new round from the
 *                      yet, ack_wait)      lowest unanswered
 *   ... mk             all went out        the same: a new round when due
 *
 * Times are milliseconds on any monotonic clock (not the replay's virtual one).
 */
#ifndef PANTRY_AGENT_OUTBOX_H
#define PANTRY_AGENT_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/store/store.h"

#define OUTBOX_RESEND_MAX_MS 3600000 /* the longest wait between rounds */
#define OUTBOX_INFLIGHT 16           /* tokens remembered (PUBACKs not yet seen) */

/* A message as the outbox needs it (from store_outmsg; strings copied). */
struct outbox_msg {
    enum store_msg_kind kind;
    char order_id[STORE_ID_MAX];
    int64_t seq;
};

struct outbox_flight {
    int token;
    struct outbox_msg msg;
};

struct outbox {
    bool strict; /* a retailer answers: never send past an unanswered message */
    int64_t ack_wait_ms;
    int64_t resend_ms, round_wait_ms; /* the first wait between rounds, the next */
    int64_t sent_upto;                /* highest seq sent on this connection, 0: none */
    int64_t last_sent_ms;             /* when sent_upto went out */
    bool last_puback;                 /* the broker took sent_upto */
    struct outbox_flight flight[OUTBOX_INFLIGHT];
    size_t n_flight;
};

/* A fresh state (no connection yet). Both waits >= 1 ms. */
void outbox_init(struct outbox *o, int64_t ack_wait_ms, int64_t resend_ms);

/* A new connection: everything unanswered is to be sent again. */
void outbox_reset(struct outbox *o);

/* A retailer answers this device (from now on, or as remembered). */
void outbox_set_strict(struct outbox *o);

/*
 * The retailer answered (a valid ack, a repeated one too): the wait before the
 * next round starts over at resend_ms.
 */
void outbox_answered(struct outbox *o);

/*
 * The decision. pending: the unanswered messages by ascending seq (n of them,
 * as many as the caller read; the first few are enough). Returns the index of
 * the message to send now, or -1 with *wake_ms set to when to ask again
 * (INT64_MAX: only after an event, a PUBACK or an answer).
 */
int outbox_next(const struct outbox *o, const struct outbox_msg *pending, size_t n,
                int64_t now_ms, int64_t *wake_ms);

/*
 * Record that m went out now with token (after mqtt_publish() succeeded). A
 * number not above the last sent starts a new round (and doubles the wait
 * before the next one).
 */
void outbox_sent(struct outbox *o, const struct outbox_msg *m, int token,
                 int64_t now_ms);

/*
 * A PUBACK for token: true with the message it was, false for a token not ours
 * (a status or key publish, or one from before a reconnect).
 */
bool outbox_puback(struct outbox *o, int token, struct outbox_msg *out);

#endif
