/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The payloads of the messages the agent sends: a reorder (an item, how much,
 * why, and the forecast behind it) and a cancel of an order id. They are JSON
 * objects built with libcjson in a fixed key order, so the same order gives the
 * same bytes; issue 5 signs them as JWS and adds their JSON Schemas. The
 * contract (DESIGN.md) says what a retailer may rely on.
 *
 * Units inside: grams with three decimals (exact milligrams), rates in g/day,
 * times as RFC 3339 UTC strings with seconds, iat in seconds since the epoch.
 */
#ifndef PANTRY_AGENT_MESSAGE_H
#define PANTRY_AGENT_MESSAGE_H

#include <stdint.h>

#define MESSAGE_SCHEMA_VERSION 1

struct message_reorder {
    const char *order_id;
    const char *device_id;
    int64_t seq;    /* per-device sequence number, >= 1 */
    int64_t iat_s;  /* issued at */
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
};

struct message_cancel {
    const char *order_id;
    const char *device_id;
    int64_t seq;
    int64_t iat_s;
    const char *reason; /* "button", "manual", "refilled" */
};

/*
 * Build the JSON text (NUL-terminated, compact, from malloc: the caller frees
 * it) into *out. Returns 0, -EINVAL for a missing string or a value out of
 * range, -ENOMEM.
 */
int message_reorder_json(const struct message_reorder *m, char **out);
int message_cancel_json(const struct message_cancel *m, char **out);

#endif
