/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An item's product preferences as the configuration gives them (see
 * config-wishes.h): the substitutes list, read group by group with each
 * product code checked exactly, and the two code checks config.c shares with
 * it. Nothing here keeps state; what it reads goes into the item only when
 * the whole list is right.
 */
#include "agent/config/config-wishes.h"
#include "agent/config/config-found.h"
#include "agent/msg/window.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

int
cfg_wishes_windows(const config_setting_t *s, struct cfg_delivery *d,
                   const config_setting_t **where, char *err, size_t errlen)
{
    struct delivery_window read[DELIVERY_MAX_WINDOWS];
    int n;

    if (config_setting_type(s) != CONFIG_TYPE_LIST &&
        config_setting_type(s) != CONFIG_TYPE_ARRAY)
        return cfg_expected(s, where, err, errlen,
                            "a list of windows like \"mon-fri 07:00-09:00\"");
    if ((n = config_setting_length(s)) > DELIVERY_MAX_WINDOWS)
        return cfg_expected(s, where, err, errlen, "at most 8 windows");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING ||
            !window_parse(config_setting_get_string(e), &read[i]))
            return cfg_expected(
                e, where, err, errlen,
                "days (\"daily\", or mon..sun, comma-separated, ranges like "
                "\"mon-fri\") and local hours HH:MM-HH:MM, like "
                "\"mon-fri 07:00-09:00\"");
    }
    memcpy(d->windows, read, (size_t)n * sizeof(read[0]));
    d->n_windows = (size_t)n;
    return 0;
}

bool
cfg_parse_local(const char *v, int64_t *out)
{
    struct tm tm = {.tm_isdst = -1};
    size_t n = strlen(v);
    time_t t;
    int y, mo, d, h = 0, mi = 0;
    char tail;

    if (n == 10) {
        if (sscanf(v, "%4d-%2d-%2d%c", &y, &mo, &d, &tail) != 3)
            return false;
    } else if (n == 16) {
        if (sscanf(v, "%4d-%2d-%2d %2d:%2d%c", &y, &mo, &d, &h, &mi, &tail) != 5 ||
            v[10] != ' ')
            return false;
    } else {
        return false;
    }
    for (size_t i = 0; i < n; i++)
        if (!((v[i] >= '0' && v[i] <= '9') || ((i == 4 || i == 7) && v[i] == '-') ||
              (i == 10 && v[i] == ' ') || (i == 13 && v[i] == ':')))
            return false;
    if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
        mi > 59)
        return false;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    tm.tm_hour = h;
    tm.tm_min = mi;
    if ((t = mktime(&tm)) == (time_t)-1 || tm.tm_mday != d)
        return false; /* mktime normalises 31 April into 1 May: refused */
    *out = (int64_t)t;
    return true;
}

int
cfg_wishes_away(const config_setting_t *s, struct agent_config *c,
                const config_setting_t **where, char *err, size_t errlen)
{
    static const char when[] = "\"YYYY-MM-DD\" or \"YYYY-MM-DD HH:MM\" (local time)";
    struct delivery_away read[DELIVERY_MAX_AWAY];
    int n;

    if (config_setting_type(s) != CONFIG_TYPE_LIST ||
        (n = config_setting_length(s)) > DELIVERY_MAX_AWAY)
        return cfg_expected(
            s, where, err, errlen,
            "a list ( { from = \"...\"; until = \"...\"; }, ... ) of at most 8");
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(s, (unsigned)i), *f, *u;
        const config_setting_t *arr;
        int members;
        if (config_setting_type(g) != CONFIG_TYPE_GROUP)
            return cfg_expected(
                g, where, err, errlen,
                "a group { from = \"...\"; until = \"...\"; arrive = ...; }");
        if ((f = config_setting_get_member(g, "from")) == NULL ||
            (u = config_setting_get_member(g, "until")) == NULL) {
            *where = g;
            snprintf(err, errlen, "expected from and until in the group, found no %s",
                     f == NULL ? "from" : "until");
            return -EINVAL;
        }
        arr = config_setting_get_member(g, "arrive");
        members = config_setting_length(g);
        for (int k = 0; members != (arr != NULL ? 3 : 2) && k < members; k++) {
            const config_setting_t *m = config_setting_get_elem(g, (unsigned)k);
            const char *name = config_setting_name(m);
            if (strcmp(name, "from") != 0 && strcmp(name, "until") != 0 &&
                strcmp(name, "arrive") != 0) {
                *where = m;
                snprintf(err, errlen,
                         "expected from, until or arrive, found a setting \"%.40s\"",
                         name);
                return -EINVAL;
            }
        }
        read[i].before = false;
        if (arr != NULL) {
            const char *v = config_setting_type(arr) == CONFIG_TYPE_STRING
                                ? config_setting_get_string(arr)
                                : "";
            if (strcmp(v, "before") != 0 && strcmp(v, "after") != 0)
                return cfg_expected(arr, where, err, errlen, "\"before\" or \"after\"");
            read[i].before = v[0] == 'b';
        }
        if (config_setting_type(f) != CONFIG_TYPE_STRING ||
            !cfg_parse_local(config_setting_get_string(f), &read[i].from_s))
            return cfg_expected(f, where, err, errlen, when);
        if (config_setting_type(u) != CONFIG_TYPE_STRING ||
            !cfg_parse_local(config_setting_get_string(u), &read[i].until_s))
            return cfg_expected(u, where, err, errlen, when);
        if (read[i].until_s <= read[i].from_s)
            return cfg_expected(u, where, err, errlen, "a time after from");
    }
    memcpy(c->away, read, (size_t)n * sizeof(read[0]));
    c->n_away = c->n_away_conf = (size_t)n;
    return 0;
}

void
cfg_window_format(const struct delivery_window *w, char *buf, size_t len)
{
    window_format(w, buf, len);
}

void
cfg_delivery_of(const struct agent_config *c, const struct cfg_item *it,
                struct cfg_delivery *out)
{
    const struct cfg_delivery *own = &it->delivery;

    *out = c->delivery;
    if (own->has_place)
        memcpy(out->place, own->place, sizeof(out->place));
    if (own->has_windows) {
        memcpy(out->windows, own->windows, sizeof(out->windows));
        out->n_windows = own->n_windows;
    }
    if (own->has_earliest)
        out->earliest_s = own->earliest_s;
}

/* One { sku = "..."; gtin = "..."; } group into *p. */
static int
read_product(const config_setting_t *g, struct cfg_product *p,
             const config_setting_t **where, char *err, size_t errlen)
{
    static const char group[] = "a group { sku = \"...\"; gtin = \"...\"; }";
    int n;

    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return cfg_expected(g, where, err, errlen, group);
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
                return cfg_expected(
                    m, where, err, errlen,
                    "1 to 31 printable ASCII characters without quotes or "
                    "backslashes");
            memcpy(p->sku, v, strlen(v) + 1);
        } else if (strcmp(name, "gtin") == 0) {
            if (v == NULL || !cfg_gtin_ok(v))
                return cfg_expected(
                    m, where, err, errlen,
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
        return cfg_expected(
            s, where, err, errlen,
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
cfg_wishes_message(const struct agent_config *c, const struct cfg_item *it,
                   uint32_t packs, int32_t utc_offset_s, int64_t now_s,
                   int64_t runout_s, struct message_wishes *w,
                   struct message_product products[MESSAGE_PRODUCTS_MAX],
                   struct cfg_delivery *dl)
{
    size_t n = 0;
    int64_t not_before = MODELS_NEVER;

    if (it->sku[0] != '\0' || it->gtin[0] != '\0')
        products[n++] = (struct message_product){.sku = it->sku, .gtin = it->gtin};
    for (size_t i = 0; n > 0 && i < it->n_substitutes && n < MESSAGE_PRODUCTS_MAX; i++)
        products[n++] = (struct message_product){.sku = it->substitutes[i].sku,
                                                 .gtin = it->substitutes[i].gtin};
    cfg_delivery_of(c, it, dl);
    if (dl->earliest_s > 0 && runout_s != MODELS_NEVER) {
        not_before = runout_s - dl->earliest_s;
        if (not_before < now_s)
            not_before = now_s;
    }
    *w = (struct message_wishes){
        .products = products,
        .n_products = n,
        .packs_min = it->packs_min < packs ? it->packs_min : packs,
        .packs_max = it->packs_per_order > packs ? it->packs_per_order : packs,
        .price_max_cents = it->price_max_cents,
        .delivery = {.place = dl->place,
                     .windows = dl->windows,
                     .n_windows = dl->n_windows,
                     .utc_offset_s = utc_offset_s,
                     .not_before_s = not_before,
                     .away = c->away,
                     .n_away = c->n_away,
                     .now_s = now_s},
    };
}

int64_t
cfg_delivery_lead_s(const struct agent_config *c, const struct cfg_item *it,
                    int64_t now_s, int64_t lead_s)
{
    struct cfg_delivery d;
    int64_t t;

    struct delivery_away away[DELIVERY_MAX_AWAY];

    cfg_delivery_of(c, it, &d);
    if ((d.n_windows == 0 && c->n_away == 0) || lead_s < 0)
        return lead_s;
    for (size_t i = 0; i < c->n_away; i++) {
        away[i] = c->away[i];
        if (away[i].before)
            away[i].from_s -= it->review_s; /* review_s >= 1 h: still from < until */
    }
    /* The offset of now: a window across a DST change may be an hour off. */
    t = delivery_next(d.windows, d.n_windows, cfg_utc_offset_s(now_s), away, c->n_away,
                      now_s + lead_s);
    return t == MODELS_NEVER ? lead_s : t - now_s;
}

int32_t
cfg_utc_offset_s(int64_t t_s)
{
    time_t t = (time_t)t_s;
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL || tm.tm_gmtoff % 60 != 0 ||
        tm.tm_gmtoff > DELIVERY_OFFSET_MAX_S || tm.tm_gmtoff < -DELIVERY_OFFSET_MAX_S)
        return 0;
    return (int32_t)tm.tm_gmtoff;
}
