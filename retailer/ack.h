/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a retailer answers to a message whose signer it knows (ack.schema.json):
 *
 *   verdict    kind     acks published on <prefix>/<device>/ack
 *   ---------  -------  -------------------------------------------------
 *   accepted   reorder  "accepted"; and "shipped" with eta when ship_eta_s
 *                       (from now, or from the order's iat: a replay's clock)
 *   accepted   cancel   "cancelled"
 *   rejected   either   "rejected", reason "<code>: <detail>" (127 bytes)
 *   duplicate  either   the acks stored for the first sight, byte for byte
 *
 * Each ack is the JSON of message_ack_json, or, with a retailer key, that
 * JSON signed as a JWS of typ pantry-ack+jws.
 */
#ifndef PANTRY_RETAILER_ACK_H
#define PANTRY_RETAILER_ACK_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/msg/keys.h"
#include "retailer/ledger.h"

struct ack_config {
    const struct keys *key; /* NULL: plain JSON */
    const char *retailer;   /* --retailer-id, NULL or "" for none */
    int64_t ship_eta_s;     /* > 0: also a "shipped" ack with eta now + this */
    int64_t ship_eta_max_s; /* > ship_eta_s: that time drawn in [ship_eta_s, this]
                               from a hash of the order id */
    bool eta_from_order;    /* eta from the order's iat instead of now */
    int64_t now_s;
};

/*
 * The acks for a new message's verdict v (not a duplicate): *acks gets a
 * malloc'd text of one ack per line, or NULL when there is nothing to send.
 * Returns 0, -EINVAL (an id the ack cannot carry), -ENOMEM.
 */
int ack_make(const struct ack_config *c, const struct check_result *res,
             enum ledger_verdict v, char **acks);

/*
 * The ack for a message the retailer's order system refused after it was
 * accepted here (the webhook): "rejected", reason "refused: <reason>" (reason
 * printable ASCII, cut to fit 127 bytes). *acks as for ack_make. Returns 0,
 * -EINVAL (an id the ack cannot carry), -ENOMEM.
 */
int ack_refused(const struct ack_config *c, const char *device, const char *order_id,
                int64_t seq, const char *reason, char **acks);

#endif
