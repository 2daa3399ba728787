/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The durable hand-off to the order system by webhook: a worker thread that
 * takes the accepted messages this listener (its client id) recorded and
 * never handed off, oldest first, from the database (the queue is the
 * ledger: nothing is kept only in memory), POSTs each (webhook.h), and then
 * records what the order system said and answers the device:
 *
 *   outcome    database                          device
 *   ---------  --------------------------------  -------------------------
 *   delivered  handed_off set                    its stored acks (accepted)
 *   refused    rejected, reason "refused", the   rejected, "refused: <its
 *              order system's reason as detail    reason>"
 *   retry      nothing                           nothing; the whole queue
 *                                                waits 1 s, 2 s, .. 5 min
 *                                                (+ up to half again, random)
 *
 * One order at a time, in the order accepted: when the order system is down,
 * every order waits behind the first. The Paho callback thread only records
 * and kicks the worker; it never waits for the order system. At a start the
 * worker finds what a stopped or killed listener left, and POSTs it again
 * with the same Idempotency-Key.
 */
#ifndef PANTRY_RETAILER_DELIVER_H
#define PANTRY_RETAILER_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "retailer/ack.h"
#include "retailer/webhook.h"

#define DELIVER_BACKOFF_MIN_MS 1000
#define DELIVER_BACKOFF_MAX_MS (300 * 1000)

/*
 * Called on the worker thread once an order is answered: acks to publish to
 * device (one per line, may be NULL), delivered false when it was refused.
 */
typedef void deliver_answered_fn(void *arg, const char *device, const char *acks,
                                 bool delivered);

struct deliver_config {
    const char *db_path;     /* the worker opens its own connection */
    const char *listener;    /* the client id whose orders it delivers */
    struct webhook *webhook; /* used by the worker only, while it runs */
    struct ack_config ack;   /* for refusals (now is set per ack) */
    int64_t fixed_now_s;     /* > 0: the clock for acks and signatures (tests) */
    deliver_answered_fn *answered;
    void *arg;
};

struct deliver;

/*
 * Open the worker's database connection and start it (call with the
 * signals the main thread waits for blocked: the worker inherits the mask).
 * c's strings and webhook must outlive deliver_stop(). Returns 0 with *out,
 * or a negative errno with a message in err.
 */
int deliver_start(const struct deliver_config *c, struct deliver **out, char *err,
                  size_t errlen);

/*
 * An order may be waiting: look now (unless backing off). new_order: it was
 * just accepted (one more in the queue depth of the metrics), not a
 * duplicate of one waiting. Never blocks long.
 */
void deliver_kick(struct deliver *d, bool new_order);

/*
 * Stop the worker (a request under way is aborted: its order stays, to be
 * POSTed again at the next start) and free it. d may be NULL.
 */
void deliver_stop(struct deliver *d);

#endif
