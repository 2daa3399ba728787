/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's wishes of an item in the configuration (CONFIG.md,
 * "Product preferences"): the product codes it accepts, ranked, and the checks
 * of a product code (a retailer's article number, a GS1 GTIN). config.c reads
 * an item's group and hands the settings of the wishes here, so that file does
 * not grow with them; every function here reports what is wrong and where,
 * and config.c turns that into the "FILE:LINE: PATH: ..." message.
 */
#ifndef PANTRY_AGENT_CONFIG_WISHES_H
#define PANTRY_AGENT_CONFIG_WISHES_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "message.h"

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
 * The wishes of a reorder v2 of packs packs (1..100) of item it: its own code
 * (when it has one) and its substitutes, ranked, in products (which w points
 * into: keep both, and it, alive while w is used); none when the item names no
 * product, so the retailer chooses. packs_min is the item's, but no more than
 * packs; packs_max is packs_per_order, but no less than packs.
 */
void cfg_wishes_message(const struct cfg_item *it, uint32_t packs,
                        struct message_wishes *w,
                        struct message_product products[MESSAGE_PRODUCTS_MAX]);

#endif
