/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl wishes [ITEM]: what every reorder of an item (or ITEM) says the
 * household wants, read from the configuration as the daemon reads it: the
 * ranked products (or that the retailer chooses), the pack bounds, the price
 * ceiling, where and when a delivery may come, and the household's away
 * periods. Human lines, or with --json one object. The daemon is not asked:
 * these are settings, not state.
 */
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/away.h"
#include "agent/config/config-wishes.h"
#include "agent/cli/pantryctl.h"
#include "agent/msg/utc.h"

static const char *
money(int64_t cents, char *buf, size_t len)
{
    snprintf(buf, len, "%lld.%02lld", (long long)(cents / 100),
             (long long)(cents % 100));
    return buf;
}

static cJSON *
item_json(const struct cfg_item *it)
{
    struct message_product products[MESSAGE_PRODUCTS_MAX];
    struct message_wishes w;
    struct cfg_delivery dl;
    cJSON *o = cJSON_CreateObject(), *a, *p, *d;
    char buf[48];

    cfg_wishes_message(&pctl_cfg, it, it->packs_per_order, 0, 0, MODELS_NEVER, &w,
                       products, &dl);
    cJSON_AddStringToObject(o, "id", it->id);
    a = cJSON_AddArrayToObject(o, "products");
    for (size_t i = 0; i < w.n_products; i++) {
        p = cJSON_CreateObject();
        cJSON_AddStringToObject(p, "sku", products[i].sku);
        cJSON_AddStringToObject(p, "gtin", products[i].gtin);
        cJSON_AddItemToArray(a, p);
    }
    cJSON_AddBoolToObject(o, "retailer_chooses", w.n_products == 0);
    cJSON_AddNumberToObject(o, "packs_min", it->packs_min);
    cJSON_AddNumberToObject(o, "packs_max", it->packs_per_order);
    if (it->price_max_cents > 0)
        cJSON_AddNumberToObject(o, "price_max", (double)it->price_max_cents / 100.0);
    else
        cJSON_AddNullToObject(o, "price_max");
    cJSON_AddStringToObject(o, "currency", pctl_cfg.currency);
    d = cJSON_AddObjectToObject(o, "delivery");
    cJSON_AddStringToObject(d, "place", dl.place);
    a = cJSON_AddArrayToObject(d, "windows");
    for (size_t i = 0; i < dl.n_windows; i++) {
        cfg_window_format(&dl.windows[i], buf, sizeof(buf));
        cJSON_AddItemToArray(a, cJSON_CreateString(buf));
    }
    cJSON_AddNumberToObject(d, "earliest_s", (double)dl.earliest_s);
    return o;
}

static void
item_lines(const struct cfg_item *it)
{
    struct message_product products[MESSAGE_PRODUCTS_MAX];
    struct message_wishes w;
    struct cfg_delivery dl;
    char buf[48];

    cfg_wishes_message(&pctl_cfg, it, it->packs_per_order, 0, 0, MODELS_NEVER, &w,
                       products, &dl);
    printf("%s\n  products: ", it->id);
    if (w.n_products == 0)
        printf("none named: the retailer chooses");
    for (size_t i = 0; i < w.n_products; i++)
        printf("%s%s%s%s%s",
               i == 1  ? ", then "
               : i > 1 ? ", "
                       : "",
               products[i].sku, products[i].sku[0] && products[i].gtin[0] ? " / " : "",
               products[i].gtin, i == 0 && w.n_products > 1 ? " (preferred)" : "");
    printf("\n  packs: %u to %u", it->packs_min, it->packs_per_order);
    if (it->price_max_cents > 0)
        printf(", at most %s %s a pack", money(it->price_max_cents, buf, sizeof(buf)),
               pctl_cfg.currency);
    printf("\n  delivery: %s, ", dl.place);
    if (dl.n_windows == 0)
        printf("any time");
    for (size_t i = 0; i < dl.n_windows; i++) {
        cfg_window_format(&dl.windows[i], buf, sizeof(buf));
        printf("%s%s", i ? ", " : "", buf);
    }
    if (dl.n_windows > 0)
        printf(" (local time)");
    if (dl.earliest_s > 0)
        printf("; not more than %lld h before the runout",
               (long long)(dl.earliest_s / 3600));
    putchar('\n');
}

/*
 * Add the away periods set with pantryctl away, from the daemon's store when
 * it can be read (none yet, or not allowed to read it: the configured ones
 * alone), as the daemon plans with them.
 */
static void
stored_away(void)
{
    struct store *db = NULL;
    char err[256];

    if (store_open(pctl_cfg.store_path, STORE_RDONLY, &db, err, sizeof(err)) < 0)
        return;
    if (away_merge(&pctl_cfg, db) < 0)
        fprintf(stderr, "pantryctl: away periods set with pantryctl away: %s\n",
                store_errmsg(db));
    store_close(db);
}

int
cmd_wishes(const struct command *cmd, struct opts *o)
{
    int only = -1;
    char a[UTC_TEXT_LEN], b[UTC_TEXT_LEN];

    (void)cmd;
    if (o->item != NULL && (only = find_item(o->item)) < 0)
        return EXIT_USAGE;
    stored_away();
    if (o->json) {
        cJSON *root = cJSON_CreateObject(), *arr;
        cJSON_AddStringToObject(root, "command", "wishes");
        arr = cJSON_AddArrayToObject(root, "away");
        for (size_t i = 0; i < pctl_cfg.n_away; i++) {
            cJSON *p = cJSON_CreateObject();
            utc_format(pctl_cfg.away[i].from_s, a, sizeof(a));
            utc_format(pctl_cfg.away[i].until_s, b, sizeof(b));
            cJSON_AddStringToObject(p, "from", a);
            cJSON_AddStringToObject(p, "until", b);
            cJSON_AddItemToArray(arr, p);
        }
        arr = cJSON_AddArrayToObject(root, "items");
        for (size_t i = 0; i < pctl_cfg.n_items; i++)
            if (only < 0 || (size_t)only == i)
                cJSON_AddItemToArray(arr, item_json(&pctl_cfg.items[i]));
        return print_json(root);
    }
    for (size_t i = 0; i < pctl_cfg.n_items; i++)
        if (only < 0 || (size_t)only == i)
            item_lines(&pctl_cfg.items[i]);
    if (pctl_cfg.n_away == 0)
        printf("away: none\n");
    for (size_t i = 0; i < pctl_cfg.n_away; i++) {
        utc_format(pctl_cfg.away[i].from_s, a, sizeof(a));
        utc_format(pctl_cfg.away[i].until_s, b, sizeof(b));
        printf("away: %s until %s (no delivery planned inside)\n", a, b);
    }
    return 0;
}
