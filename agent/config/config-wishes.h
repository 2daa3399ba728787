/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's wishes of an item in the configuration (CONFIG.md,
 * "Product preferences"): the product codes it accepts, ranked, and the checks
 * of a product code (a retailer's article number, a GS1 GTIN). config-items.c
 * reads an item's group and hands the settings of the wishes here, so that
 * file does not grow with them; every function here reports what is wrong and
 * where, and the loader turns that into the "FILE:LINE: PATH: ..." message.
 */
#ifndef PANTRY_AGENT_CONFIG_WISHES_H
#define PANTRY_AGENT_CONFIG_WISHES_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/config/agent-config.h"
#include "agent/msg/message.h"

/* A GTIN of 8, 12, 13 or 14 digits whose GS1 check digit is right. */
bool cfg_gtin_ok(const char *v);

/* A retailer's article number: 1..CFG_ID_MAX-1 printable ASCII characters,
 * no space, quote or backslash. */
bool cfg_sku_ok(const char *v);

/*
 * Read an item's substitutes = ( { sku = "..."; gtin = "..."; }, ... ) from the
 * list s (untrusted: at most CFG_MAX_SUBSTITUTES groups, each with sku and/or
 * gtin and nothing else) into it->substitutes and it->n_substitutes. Returns 0,
 * or -EINVAL with *where the setting at fault and "expected ..., found ..." in
 * err; it is unchanged then.
 */
int cfg_wishes_substitutes(const config_setting_t *s, struct cfg_item *it,
                           const config_setting_t **where, char *err, size_t errlen);

/*
 * Read delivery windows = ( "mon-fri 07:00-09:00", "sat,sun 10:00-14:00",
 * "daily 18:00-24:00", ... ) from the list s (untrusted: at most
 * DELIVERY_MAX_WINDOWS strings: days as "daily", or a comma list of mon..sun
 * and ranges like "fri-mon"; then HH:MM-HH:MM in local time, from before
 * until, until up to 24:00) into d->windows. Same returns as above; d is
 * unchanged on failure.
 */
int cfg_wishes_windows(const config_setting_t *s, struct cfg_delivery *d,
                       const config_setting_t **where, char *err, size_t errlen);

/*
 * Read away = ( { from = "2026-12-20"; until = "2027-01-03 18:00"; }, ... )
 * from the list s (untrusted: at most DELIVERY_MAX_AWAY groups of from and
 * until, each "YYYY-MM-DD" (local midnight) or "YYYY-MM-DD HH:MM" in the
 * local time of the process, from before until, and optionally arrive =
 * "after" (the default) or "before") into c->away as UTC.
 * Same returns as above; c is unchanged on failure.
 */
int cfg_wishes_away(const config_setting_t *s, struct agent_config *c,
                    const config_setting_t **where, char *err, size_t errlen);

/* "YYYY-MM-DD" (local midnight) or "YYYY-MM-DD HH:MM" in the local time of
 * the process, years 2000..2200, exactly so (no other length, no 31 April),
 * as seconds since the epoch in *out; false (out unchanged) otherwise. */
bool cfg_parse_local(const char *v, int64_t *out);

/* "mon-fri 07:00-09:00" of a window, as the configuration writes it (for
 * pantryctl and logs); buf of at least 48 bytes. */
void cfg_window_format(const struct delivery_window *w, char *buf, size_t len);

/* The delivery of item it: each setting the item gives, else the household's. */
void cfg_delivery_of(const struct agent_config *c, const struct cfg_item *it,
                     struct cfg_delivery *out);

/*
 * The wishes of a reorder v2 of packs packs (1..100) of item it of
 * configuration c: its own code (when it has one) and its substitutes, ranked,
 * in products; none when the item names no product, so the retailer chooses.
 * packs_min is the item's, but no more than packs; packs_max is
 * packs_per_order, but no less than packs. The delivery is cfg_delivery_of()
 * kept in *dl, with utc_offset_s (the household's at issue), and not_before
 * runout_s less the earliest setting (none when either is unknown or 0, never
 * before now_s). w points into products and dl: keep them, c and it alive
 * while w is used.
 */
void cfg_wishes_message(const struct agent_config *c, const struct cfg_item *it,
                        uint32_t packs, int32_t utc_offset_s, int64_t now_s,
                        int64_t runout_s, struct message_wishes *w,
                        struct message_product products[MESSAGE_PRODUCTS_MAX],
                        struct cfg_delivery *dl);

/*
 * The lead to plan item it's order with at now_s: lead_s (the learned lead at
 * the service level, >= 0) stretched to the first moment a delivery may come
 * after it (delivery_next() over the item's windows in the local time of
 * now_s, and the away periods). So when the next allowed window is after the
 * predicted runout, the policy sees a longer lead and orders earlier. An away
 * period whose delivery should arrive before it is planned as starting one
 * review period earlier: the last review from which a delivery can still come
 * before it already plans across it. lead_s when nothing limits it.
 */
int64_t cfg_delivery_lead_s(const struct agent_config *c, const struct cfg_item *it,
                            int64_t now_s, int64_t lead_s);

/* The local time's offset from UTC at t_s (the TZ of the process), seconds,
 * whole minutes within +-18 h; 0 when it cannot be told. */
int32_t cfg_utc_offset_s(int64_t t_s);

#endif
