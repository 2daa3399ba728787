/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An item's product preferences as the configuration gives them (see
 * config-wishes.h): the substitutes list, read group by group with each
 * product code checked exactly, and the two code checks config.c shares with
 * it. Nothing here keeps state; what it reads goes into the item only when
 * the whole list is right.
 */
#include "config-wishes.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

bool
cfg_gtin_ok(const char *v)
{
    size_t n = strlen(v);
    unsigned sum = 0;

    if (n != 8 && n != 12 && n != 13 && n != 14)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] < '0' || v[i] > '9')
            return false;
    /* GS1 check digit: weights 3 and 1 from the right, excluding the check digit. */
    for (size_t i = 0; i + 1 < n; i++)
        sum += (unsigned)(v[n - 2 - i] - '0') * (i % 2 == 0 ? 3 : 1);
    return (10 - sum % 10) % 10 == (unsigned)(v[n - 1] - '0');
}

bool
cfg_sku_ok(const char *v)
{
    size_t n = strlen(v);

    if (n == 0 || n >= CFG_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (v[i] <= 0x20 || v[i] >= 0x7f || v[i] == '"' || v[i] == '\\')
            return false;
    return true;
}

/* What the user wrote, for "found ...": a string quoted, else its kind. */
static void
found(const config_setting_t *s, char *buf, size_t len)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_STRING:
        snprintf(buf, len, "\"%.40s\"", config_setting_get_string(s));
        break;
    case CONFIG_TYPE_GROUP:
        snprintf(buf, len, "a group");
        break;
    case CONFIG_TYPE_LIST:
    case CONFIG_TYPE_ARRAY:
        snprintf(buf, len, "a list of %d", config_setting_length(s));
        break;
    default:
        snprintf(buf, len, "a number or a boolean");
        break;
    }
}

static int
fail(const config_setting_t *s, const config_setting_t **where, char *err,
     size_t errlen, const char *expected)
{
    char what[64];

    found(s, what, sizeof(what));
    *where = s;
    snprintf(err, errlen, "expected %s, found %s", expected, what);
    return -EINVAL;
}

/* One { sku = "..."; gtin = "..."; } group into *p. */
static int
read_product(const config_setting_t *g, struct cfg_product *p,
             const config_setting_t **where, char *err, size_t errlen)
{
    static const char group[] = "a group { sku = \"...\"; gtin = \"...\"; }";
    int n;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return fail(g, where, err, errlen, group);
    memset(p, 0, sizeof(*p));
    n = config_setting_length(g);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(g, (unsigned)i);
        const char *name = config_setting_name(m);
        const char *v = config_setting_type(m) == CONFIG_TYPE_STRING
                            ? config_setting_get_string(m)
                            : NULL;
        if (strcmp(name, "sku") == 0) {
            if (v == NULL || !cfg_sku_ok(v))
                return fail(m, where, err, errlen,
                            "1 to 31 printable ASCII characters without quotes or "
                            "backslashes");
            memcpy(p->sku, v, strlen(v) + 1);
        } else if (strcmp(name, "gtin") == 0) {
            if (v == NULL || !cfg_gtin_ok(v))
                return fail(m, where, err, errlen,
                            "a GTIN of 8, 12, 13 or 14 digits with a valid check "
                            "digit");
            memcpy(p->gtin, v, strlen(v) + 1);
        } else {
            *where = m;
            snprintf(err, errlen, "expected sku or gtin, found a setting \"%.40s\"",
                     name);
            return -EINVAL;
        }
    }
    if (p->sku[0] == '\0' && p->gtin[0] == '\0') {
        *where = g;
        snprintf(err, errlen, "expected a sku or a gtin in the group, found neither");
        return -EINVAL;
    }
    return 0;
}

int
cfg_wishes_substitutes(const config_setting_t *s, struct cfg_item *it,
                       const config_setting_t **where, char *err, size_t errlen)
{
    struct cfg_product read[CFG_MAX_SUBSTITUTES];
    int n, r;

    if (config_setting_type(s) != CONFIG_TYPE_LIST ||
        (n = config_setting_length(s)) > CFG_MAX_SUBSTITUTES)
        return fail(s, where, err, errlen,
                    "a list ( { sku = \"...\"; gtin = \"...\"; }, ... ) of at most 7");
    for (int i = 0; i < n; i++)
        if ((r = read_product(config_setting_get_elem(s, (unsigned)i), &read[i], where,
                              err, errlen)) < 0)
            return r;
    memcpy(it->substitutes, read, (size_t)n * sizeof(read[0]));
    it->n_substitutes = (size_t)n;
    return 0;
}

void
cfg_wishes_message(const struct cfg_item *it, uint32_t packs, struct message_wishes *w,
                   struct message_product products[MESSAGE_PRODUCTS_MAX])
{
    size_t n = 0;

    if (it->sku[0] != '\0' || it->gtin[0] != '\0')
        products[n++] = (struct message_product){.sku = it->sku, .gtin = it->gtin};
    for (size_t i = 0; n > 0 && i < it->n_substitutes && n < MESSAGE_PRODUCTS_MAX; i++)
        products[n++] = (struct message_product){.sku = it->substitutes[i].sku,
                                                 .gtin = it->substitutes[i].gtin};
    *w = (struct message_wishes){
        .products = products,
        .n_products = n,
        .packs_min = it->packs_min < packs ? it->packs_min : packs,
        .packs_max = it->packs_per_order > packs ? it->packs_per_order : packs,
        .price_max_cents = it->price_max_cents,
    };
}
