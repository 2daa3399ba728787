/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The payloads of the messages of the external contract (README "Topics"):
 * what the agent sends, a reorder (an item, how much, why, and the forecast
 * behind it), a cancel of an order id, and its status; and what a retailer
 * sends back, an ack. They are JSON objects built with libcjson in a fixed key
 * order, so the same input gives the same bytes; reorders, cancels and (when
 * the retailer has a key) acks travel signed as JWS (jws.h). Their JSON
 * Schemas are in schemas/; a change to any of them is a new schema version.
 *
 * Units inside: grams with three decimals (exact milligrams), rates in g/day,
 * times as RFC 3339 UTC strings with seconds, iat in seconds since the epoch.
 */
#ifndef PANTRY_MSG_MESSAGE_H
#define PANTRY_MSG_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "models/delivery.h"

#define MESSAGE_SCHEMA_VERSION 1
/*
 * A reorder that carries the household's wishes (struct message_wishes) is
 * schema version 2 (schemas/reorder-v2.schema.json); one without is version 1.
 * Cancels, statuses and acks stay at MESSAGE_SCHEMA_VERSION.
 */
#define MESSAGE_REORDER_V2 2
#define MESSAGE_PRODUCTS_MAX 8 /* ranked products in a reorder v2 */

/* JWS typ of each signed message (RFC 7515 §4.1.9). */
#define MESSAGE_TYP_REORDER "pantry-reorder+jws"
#define MESSAGE_TYP_CANCEL "pantry-cancel+jws"
#define MESSAGE_TYP_ACK "pantry-ack+jws"

/* One product the household accepts: an article number and/or a GTIN. */
struct message_product {
    const char *sku;  /* the retailer's article number, 0..31 bytes, "" for none */
    const char *gtin; /* 8 or 12..14 digits, "" for none; not both "" */
};

/*
 * The household's wishes of a reorder v2. products are ranked, the first is
 * the preferred one, the others acceptable substitutes; none at all says the
 * retailer chooses ("retailer_chooses": true). The retailer may deliver
 * packs_min..packs_max packs (1..100, packs_min <= packs <= packs_max) of at
 * most price_max_cents per pack (in the reorder's currency; 0: no ceiling).
 */
/*
 * Where and when a reorder v2 may be delivered: a place label the retailer
 * maps to an address it holds ([a-z0-9_-], 1..31), the weekly windows in the
 * household's local time (none: any time) with that time's offset from UTC
 * when the order was issued (-18 h..+18 h, whole minutes), the earliest
 * time a delivery is welcome (MODELS_NEVER: no limit), and the household's
 * away periods ("away": [{"from", "until", "arrive"}], UTC; arrive "before"
 * or "after": when the household wants the delivery instead).
 */
struct message_delivery {
    const char *place;
    const struct delivery_window *windows; /* n_windows, models/delivery.h */
    size_t n_windows;                      /* 0..DELIVERY_MAX_WINDOWS */
    int32_t utc_offset_s;
    int64_t not_before_s;
    /* away periods: no delivery inside; only those still to end after now_s
     * go into the order */
    const struct delivery_away *away; /* n_away, 0..DELIVERY_MAX_AWAY */
    size_t n_away;
    int64_t now_s;
};

struct message_wishes {
    const struct message_product *products; /* n_products of them, may be NULL if 0 */
    size_t n_products;                      /* 0..MESSAGE_PRODUCTS_MAX */
    uint32_t packs_min, packs_max;
    int64_t price_max_cents; /* 0..10^6 */
    struct message_delivery delivery;
};

struct message_reorder {
    const char *order_id;
    const char *device_id;
    int64_t seq;                                  /* per-device sequence number, >= 1 */
    int64_t iat_s;                                /* issued at */
    const char *item_id, *item_name, *sku, *gtin; /* sku/gtin "" for none */
    uint32_t packs;
    int64_t pack_mg;
    int64_t price_cents; /* per pack, 0: unknown (then left out) */
    const char *currency;
    const char *reason; /* "predicted", "button", "manual" */
    /* the forecast behind it */
    int64_t stock_mg;
    int64_t rate_ugpd;
    int64_t runout_s, runout_lo_s, runout_hi_s; /* MODELS_NEVER: null */
    uint32_t service_bp;
    /* NULL: a schema version 1 reorder; else version 2 with "wishes" */
    const struct message_wishes *wishes;
};

struct message_cancel {
    const char *order_id;
    const char *device_id;
    int64_t seq;
    int64_t iat_s;
    const char *reason; /* "button", "manual", "expired", "refilled", "refused" */
};

/*
 * Build the JSON text (NUL-terminated, compact, from malloc: the caller frees
 * it) into *out. Returns 0, -EINVAL for a missing string or a value out of
 * range (for a reorder v2 also: a product without sku and gtin, more than
 * MESSAGE_PRODUCTS_MAX, packs outside packs_min..packs_max, a place that is
 * not a label, a window out of range, an offset not in whole minutes or
 * beyond 18 h), -ENOMEM.
 */
int message_reorder_json(const struct message_reorder *m, char **out);
int message_cancel_json(const struct message_cancel *m, char **out);

/*
 * The retained status: {"v":1,"type":"status","device":D,"state":"online" or
 * "offline","version":V}. The broker publishes the offline one as the agent's
 * last will. Same returns.
 */
int message_status_json(const char *device_id, bool online, const char *version,
                        char **out);

/* ---- acks: a retailer's answer to a reorder or a cancel ---- */

#define MESSAGE_ACK_MAX 4096 /* bytes of an ack as received, JSON or JWS */
#define MESSAGE_ACK_DEPTH 1  /* JSON nesting: the object and nothing inside */
#define MESSAGE_ID_MAX 64    /* order and device ids, with the NUL */
#define MESSAGE_REASON_MAX 128

enum message_ack_status {
    ACK_ACCEPTED,  /* the retailer took the order */
    ACK_SHIPPED,   /* ... and shipped it; eta may say when it arrives */
    ACK_REJECTED,  /* the retailer will not act on it (reason says why) */
    ACK_CANCELLED, /* the retailer cancelled the order, as a cancel asked */
};
#define ACK_STATUS_COUNT 4

/* "accepted", "shipped", "rejected", "cancelled"; "?" for anything else. */
const char *message_ack_status_to_str(enum message_ack_status s);

struct message_ack {
    char order_id[MESSAGE_ID_MAX]; /* [A-Za-z0-9_-], like device ids */
    char device[MESSAGE_ID_MAX];
    int64_t seq;   /* sequence number of the message acknowledged, >= 1 */
    int64_t iat_s; /* when the retailer answered, s since the epoch */
    enum message_ack_status status;
    int64_t eta_s; /* shipped: expected delivery, s since the epoch; 0: not given */
    char reason[MESSAGE_REASON_MAX]; /* "" for none */
    char retailer[MESSAGE_ID_MAX];   /* who answered, "" for not said */
};

/*
 * {"v":1,"type":"ack","order_id":..,"device":..,"seq":..,"iat":..,"status":..}
 * and, when set, "eta" (RFC 3339), "reason", "retailer". Same returns.
 */
int message_ack_json(const struct message_ack *a, char **out);

/*
 * Parse an ack's JSON (len bytes, untrusted) with jr_parse() (at most
 * MESSAGE_ACK_MAX bytes and MESSAGE_ACK_DEPTH levels, exact), one object with
 * exactly the members above, each of its type and range (ids as in the
 * contract, seq 1..MESSAGE_SEQ_MAX, iat 0..MESSAGE_INT_MAX, a known status, eta only with shipped,
 * strings without control characters); unknown members and schema versions
 * other than MESSAGE_SCHEMA_VERSION are refused. Returns 0 with *out filled, or
 * -EINVAL (-EPROTO for another schema version) with a message in err.
 */
int message_ack_parse(const char *text, size_t len, struct message_ack *out, char *err,
                      size_t errlen);

/*
 * Integers in messages are 0..2^53 - 1: every one is exact in a double, so no
 * JSON parser rounds it (2^53 + 1 would read as 2^53, and is refused as that).
 */
#define MESSAGE_INT_MAX INT64_C(9007199254740991)

/*
 * Sequence numbers are 1..2^31 - 1. A retailer keeps the highest it has seen
 * per device, and only a higher one is new: one validly signed message with
 * the contract's largest integer would lock its device out for good, so the
 * bound is one a device never reaches by use (a message a minute for 4,000
 * years) and every integer type holds. A message above it is malformed on
 * both sides; what a retailer does about a device that reached it (only its
 * key could have signed that) is in README.md, "What a retailer rejects".
 */
#define MESSAGE_SEQ_MAX INT64_C(2147483647)

#endif
