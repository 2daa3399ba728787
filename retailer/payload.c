/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reorder and cancel payloads, validated member by member (see payload.h).
 * Each object of the schema is a table of its members: name, whether it is
 * required, and a check. An object is walked once: every member must be in
 * its table and appear once, then every required one must be there.
 */
#include "retailer/payload.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "agent/msg/jsonread.h"
#include "agent/msg/message.h"
#include "sensors/text.h"

/* root 1, wishes 2, delivery 3, windows 4, a window 5, its days 6 */
#define REORDER_DEPTH 6
#define CANCEL_DEPTH 1

const char *
payload_kind_to_str(enum payload_kind k)
{
    switch (k) {
    case PAYLOAD_REORDER:
        return "reorder";
    case PAYLOAD_CANCEL:
        return "cancel";
    }
    return "?";
}

void
payload_fini(struct payload *p)
{
    if (p == NULL)
        return;
    cJSON_Delete(p->json);
    p->json = NULL;
}

/* ---- checks of single values: true when v is right ---- */

/* A JSON integer (a number without fraction) in lo..hi. */
static bool
is_int(const cJSON *v, int64_t lo, int64_t hi, int64_t *out)
{
    double d;

    if (!cJSON_IsNumber(v))
        return false;
    d = v->valuedouble;
    if (!(d >= (double)lo && d <= (double)hi) || floor(d) != d)
        return false;
    if (out != NULL)
        *out = (int64_t)d;
    return true;
}

/* A finite number; lo_open: > lo instead of >= lo; hi < 0: no maximum. */
static bool
is_num(const cJSON *v, double lo, bool lo_open, double hi)
{
    double d;

    if (!cJSON_IsNumber(v) || !isfinite(d = v->valuedouble))
        return false;
    if (lo_open ? !(d > lo) : !(d >= lo))
        return false;
    return hi < 0 || d <= hi;
}

/* A string of min..max code points (JSON Schema's minLength/maxLength). */
static bool
is_text(const cJSON *v, long min, long max)
{
    long n;

    if (!cJSON_IsString(v))
        return false;
    n = text_utf8_count(v->valuestring, strlen(v->valuestring));
    return n >= min && n <= max;
}

static bool
all_in(const char *s, size_t n, const char *set)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == '\0' || strchr(set, s[i]) == NULL)
            return false;
    return true;
}

#define DIGITS "0123456789"
#define LOWER_ID "abcdefghijklmnopqrstuvwxyz0123456789_-"

/* ^[a-z0-9_-]{lo,hi}$ */
static bool
is_lower_id(const char *s, size_t lo, size_t hi)
{
    size_t n = strlen(s);

    return n >= lo && n <= hi && all_in(s, n, LOWER_ID);
}

/* <item>-YYYYMMDDTHHMMSSZ-<8 hex>: the tail after the item part, 26 bytes. */
static bool
order_id_base(const char *s, size_t n)
{
    const char *t;

    if (n < 27 || n - 26 > 31 || !all_in(s, n - 26, LOWER_ID))
        return false;
    t = s + n - 26;
    return t[0] == '-' && all_in(t + 1, 8, DIGITS) && t[9] == 'T' &&
           all_in(t + 10, 6, DIGITS) && t[16] == 'Z' && t[17] == '-' &&
           all_in(t + 18, 8, "0123456789abcdef");
}

/* ^[a-z0-9_-]{1,31}-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}(-[0-9])?$ */
static bool
is_reorder_id(const char *s)
{
    size_t n = strlen(s);

    if (order_id_base(s, n))
        return true;
    return n >= 2 && s[n - 2] == '-' && all_in(s + n - 1, 1, DIGITS) &&
           order_id_base(s, n - 2);
}

/* ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$ */
static bool
is_time_text(const char *s)
{
    return strlen(s) == 20 && all_in(s, 4, DIGITS) && s[4] == '-' &&
           all_in(s + 5, 2, DIGITS) && s[7] == '-' && all_in(s + 8, 2, DIGITS) &&
           s[10] == 'T' && all_in(s + 11, 2, DIGITS) && s[13] == ':' &&
           all_in(s + 14, 2, DIGITS) && s[16] == ':' && all_in(s + 17, 2, DIGITS) &&
           s[19] == 'Z';
}

static bool
is_enum(const cJSON *v, const char *const *names)
{
    if (!cJSON_IsString(v))
        return false;
    for (; *names != NULL; names++)
        if (strcmp(v->valuestring, *names) == 0)
            return true;
    return false;
}

/* ---- the members of each object ---- */

static int
bad(char *err, size_t errlen, const char *where, const char *expect)
{
    return text_error(err, errlen, "%s: expected %s", where, expect);
}

static const cJSON *
get(const cJSON *o, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(o, name);
}

static int
check_item(const cJSON *item, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"id", JR_STRING, true, "the item id"},
        {"name", JR_STRING, true, "the item's name"},
        {"sku", JR_STRING, true, "the retailer's article number or \"\""},
        {"gtin", JR_STRING, true, "a GTIN of 8 or 12 to 14 digits or \"\""},
    };
    const cJSON *v;
    size_t n;
    int r;

    if (!cJSON_IsObject(item))
        return bad(err, errlen, "item", "an object");
    if ((r = jr_members(item, "item", table, 4, err, errlen)) < 0)
        return r;
    v = get(item, "id");
    if (!cJSON_IsString(v) || !is_lower_id(v->valuestring, 1, 31))
        return bad(err, errlen, "item.id", "1 to 31 characters of a-z 0-9 _ -");
    if (!is_text(get(item, "name"), 1, 63))
        return bad(err, errlen, "item.name", "a string of 1 to 63 characters");
    if (!is_text(get(item, "sku"), 0, 31))
        return bad(err, errlen, "item.sku", "a string of at most 31 characters");
    v = get(item, "gtin");
    if (!cJSON_IsString(v) ||
        !((n = strlen(v->valuestring)) == 0 || n == 8 || (n >= 12 && n <= 14)) ||
        !all_in(v->valuestring, n, DIGITS))
        return bad(err, errlen, "item.gtin", "\"\" or 8, 12, 13 or 14 digits");
    return 0;
}

static int
check_quantity(const cJSON *q, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"packs", JR_NUMBER, true, "the number of packs"},
        {"pack_g", JR_NUMBER, true, "grams per pack"},
        {"price", JR_NUMBER, false, NULL},
        {"currency", JR_STRING, false, NULL},
    };
    const cJSON *price, *cur;
    int r;

    if (!cJSON_IsObject(q))
        return bad(err, errlen, "quantity", "an object");
    if ((r = jr_members(q, "quantity", table, 4, err, errlen)) < 0)
        return r;
    if (!is_int(get(q, "packs"), 1, 100, NULL))
        return bad(err, errlen, "quantity.packs", "an integer from 1 to 100");
    if (!is_num(get(q, "pack_g"), 0, true, 100000))
        return bad(err, errlen, "quantity.pack_g", "a number above 0, at most 100000");
    price = get(q, "price");
    cur = get(q, "currency");
    if ((price == NULL) != (cur == NULL))
        return bad(err, errlen, "quantity", "price and currency together or neither");
    if (price != NULL && !is_num(price, 0, true, -1))
        return bad(err, errlen, "quantity.price", "a number above 0");
    if (cur != NULL && !(cJSON_IsString(cur) && strlen(cur->valuestring) == 3 &&
                         all_in(cur->valuestring, 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
        return bad(err, errlen, "quantity.currency", "three letters A-Z (ISO 4217)");
    return 0;
}

static int
check_forecast(const cJSON *f, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"stock_g", JR_NUMBER, true, "grams in stock"},
        {"rate_g_per_day", JR_NUMBER, true, "the use rate"},
        {"runout", JR_STRING | JR_NULL, true, "a time or null"},
        {"runout_early", JR_STRING | JR_NULL, true, "a time or null"},
        {"runout_late", JR_STRING | JR_NULL, true, "a time or null"},
        {"service_level", JR_NUMBER, true, "a number from 0.5 to 0.999"},
    };
    static const char *const times[] = {"runout", "runout_early", "runout_late"};
    int r;

    if (!cJSON_IsObject(f))
        return bad(err, errlen, "forecast", "an object");
    if ((r = jr_members(f, "forecast", table, 6, err, errlen)) < 0)
        return r;
    if (!is_num(get(f, "stock_g"), 0, false, -1))
        return bad(err, errlen, "forecast.stock_g", "a number of at least 0");
    if (!is_num(get(f, "rate_g_per_day"), 0, false, -1))
        return bad(err, errlen, "forecast.rate_g_per_day", "a number of at least 0");
    for (size_t k = 0; k < 3; k++) {
        const cJSON *v = get(f, times[k]);
        if (!cJSON_IsNull(v) && !(cJSON_IsString(v) && is_time_text(v->valuestring))) {
            text_error(err, errlen,
                       "forecast.%s: expected YYYY-MM-DDTHH:MM:SSZ or "
                       "null",
                       times[k]);
            return -EINVAL;
        }
    }
    if (!is_num(get(f, "service_level"), 0.5, false, 0.999))
        return bad(err, errlen, "forecast.service_level", "a number from 0.5 to 0.999");
    return 0;
}

/* { "sku": ..., "gtin": ... }, one of them not "" (reorder v2). */
static int
check_product(const cJSON *p, size_t i, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"sku", JR_STRING, true, "the retailer's article number or \"\""},
        {"gtin", JR_STRING, true, "a GTIN of 8 or 12 to 14 digits or \"\""},
    };
    char where[40];
    const cJSON *v;
    size_t n;
    int r;

    snprintf(where, sizeof(where), "wishes.products[%zu]", i);
    if (!cJSON_IsObject(p))
        return bad(err, errlen, where, "an object");
    if ((r = jr_members(p, where, table, 2, err, errlen)) < 0)
        return r;
    if (!is_text(get(p, "sku"), 0, 31))
        return text_error(err, errlen,
                          "%s.sku: expected a string of at most 31 "
                          "characters",
                          where);
    v = get(p, "gtin");
    if (!cJSON_IsString(v) ||
        !((n = strlen(v->valuestring)) == 0 || n == 8 || (n >= 12 && n <= 14)) ||
        !all_in(v->valuestring, n, DIGITS))
        return text_error(err, errlen,
                          "%s.gtin: expected \"\" or 8, 12, 13 or 14 "
                          "digits",
                          where);
    if (get(p, "sku")->valuestring[0] == '\0' && n == 0)
        return text_error(err, errlen, "%s: expected a sku or a gtin, found neither",
                          where);
    return 0;
}

/* "HH:MM" of 00:00..23:59, or 24:00 when to_24: minutes, or -1. */
static int
hhmm(const cJSON *v, bool to_24)
{
    const char *s;
    int h, m;

    if (!cJSON_IsString(v) || strlen(s = v->valuestring) != 5 || s[2] != ':' ||
        !all_in(s, 2, DIGITS) || !all_in(s + 3, 2, DIGITS))
        return -1;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (m > 59 || h > 24 || (h == 24 && (m != 0 || !to_24)))
        return -1;
    return h * 60 + m;
}

/* {"days": [..], "from", "until"}: days unique, from before until. */
static int
check_window(const cJSON *win, size_t i, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"days", JR_ARRAY, true, "the days of the week"},
        {"from", JR_STRING, true, "HH:MM"},
        {"until", JR_STRING, true, "HH:MM"},
    };
    static const char *const names[] = {"mon", "tue", "wed", "thu",
                                        "fri", "sat", "sun", NULL};
    char where[48];
    const cJSON *days, *d;
    unsigned seen = 0;
    int n, from, until, r;

    snprintf(where, sizeof(where), "wishes.delivery.windows[%zu]", i);
    if (!cJSON_IsObject(win))
        return bad(err, errlen, where, "an object");
    if ((r = jr_members(win, where, table, 3, err, errlen)) < 0)
        return r;
    days = get(win, "days");
    n = cJSON_GetArraySize(days);
    if (n < 1 || n > 7)
        return text_error(err, errlen, "%s.days: expected 1 to 7 days", where);
    cJSON_ArrayForEach(d, days)
    {
        unsigned k = 0;
        if (!is_enum(d, names))
            return text_error(err, errlen,
                              "%s.days: expected mon, tue, wed, thu, fri, "
                              "sat or sun",
                              where);
        while (strcmp(names[k], d->valuestring) != 0)
            k++;
        if (seen & (1u << k))
            return text_error(err, errlen, "%s.days: %s twice", where, names[k]);
        seen |= 1u << k;
    }
    if ((from = hhmm(get(win, "from"), false)) < 0)
        return text_error(err, errlen, "%s.from: expected HH:MM from 00:00 to 23:59",
                          where);
    if ((until = hhmm(get(win, "until"), true)) < 0)
        return text_error(err, errlen, "%s.until: expected HH:MM from 00:00 to 24:00",
                          where);
    if (from >= until)
        return text_error(err, errlen, "%s: expected from before until", where);
    return 0;
}

/* {"from": time, "until": time}, from before until (same format: as text). */
static int
check_away(const cJSON *a, size_t i, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"from", JR_STRING, true, "YYYY-MM-DDTHH:MM:SSZ"},
        {"until", JR_STRING, true, "YYYY-MM-DDTHH:MM:SSZ"},
        {"arrive", JR_STRING, true, "before or after"},
    };
    static const char *const arrive[] = {"before", "after", NULL};
    char where[48];
    int r;

    snprintf(where, sizeof(where), "wishes.delivery.away[%zu]", i);
    if (!cJSON_IsObject(a))
        return bad(err, errlen, where, "an object");
    if ((r = jr_members(a, where, table, 3, err, errlen)) < 0)
        return r;
    if (!is_enum(get(a, "arrive"), arrive))
        return text_error(err, errlen, "%s.arrive: expected before or after", where);
    if (!is_time_text(get(a, "from")->valuestring) ||
        !is_time_text(get(a, "until")->valuestring))
        return text_error(err, errlen,
                          "%s: expected from and until as "
                          "YYYY-MM-DDTHH:MM:SSZ",
                          where);
    if (strcmp(get(a, "from")->valuestring, get(a, "until")->valuestring) >= 0)
        return text_error(err, errlen, "%s: expected from before until", where);
    return 0;
}

/* Where and when the delivery may come (reorder v2). */
static int
check_delivery(const cJSON *dl, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"place", JR_STRING, true, "a place label"},
        {"windows", JR_ARRAY, true, "the delivery windows"},
        {"utc_offset", JR_STRING, true, "+HH:MM"},
        {"not_before", JR_STRING | JR_NULL, true, "a time or null"},
        {"away", JR_ARRAY, true, "the away periods"},
    };
    const cJSON *v;
    int n, r;

    if (!cJSON_IsObject(dl))
        return bad(err, errlen, "wishes.delivery", "an object");
    if ((r = jr_members(dl, "wishes.delivery", table, 5, err, errlen)) < 0)
        return r;
    v = get(dl, "place");
    if (!is_lower_id(v->valuestring, 1, 31))
        return bad(err, errlen, "wishes.delivery.place",
                   "a label of 1 to 31 characters a-z 0-9 _ -");
    v = get(dl, "windows");
    if ((n = cJSON_GetArraySize(v)) > DELIVERY_MAX_WINDOWS)
        return bad(err, errlen, "wishes.delivery.windows", "at most 8 windows");
    for (int i = 0; i < n; i++)
        if ((r = check_window(cJSON_GetArrayItem(v, i), (size_t)i, err, errlen)) < 0)
            return r;
    v = get(dl, "utc_offset");
    {
        const char *s = v->valuestring;
        int h, m;
        if (strlen(s) != 6 || (s[0] != '+' && s[0] != '-') || s[3] != ':' ||
            !all_in(s + 1, 2, DIGITS) || !all_in(s + 4, 2, DIGITS) ||
            (h = (s[1] - '0') * 10 + (s[2] - '0')) > 18 ||
            (m = (s[4] - '0') * 10 + (s[5] - '0')) > 59 || (h == 18 && m != 0))
            return bad(err, errlen, "wishes.delivery.utc_offset",
                       "+HH:MM or -HH:MM within 18:00");
    }
    v = get(dl, "not_before");
    if (!cJSON_IsNull(v) && !is_time_text(v->valuestring))
        return bad(err, errlen, "wishes.delivery.not_before",
                   "YYYY-MM-DDTHH:MM:SSZ or null");
    v = get(dl, "away");
    if ((n = cJSON_GetArraySize(v)) > DELIVERY_MAX_AWAY)
        return bad(err, errlen, "wishes.delivery.away", "at most 8 away periods");
    for (int i = 0; i < n; i++)
        if ((r = check_away(cJSON_GetArrayItem(v, i), (size_t)i, err, errlen)) < 0)
            return r;
    return 0;
}

/*
 * The household's wishes (reorder v2): ranked products, none exactly when the
 * retailer chooses, pack bounds around quantity.packs, an optional ceiling.
 */
static int
check_wishes(const cJSON *w, const cJSON *qty, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"products", JR_ARRAY, true, "the ranked products"},
        {"retailer_chooses", JR_BOOL, true, "true or false"},
        {"packs_min", JR_NUMBER, true, "the fewest packs"},
        {"packs_max", JR_NUMBER, true, "the most packs"},
        {"price_max", JR_NUMBER, false, NULL},
        {"currency", JR_STRING, false, NULL},
        {"delivery", JR_OBJECT, true, "where and when"},
    };
    const cJSON *list, *price, *cur;
    int64_t lo, hi, packs;
    int n, r;

    if (!cJSON_IsObject(w))
        return bad(err, errlen, "wishes", "an object");
    if ((r = jr_members(w, "wishes", table, 7, err, errlen)) < 0)
        return r;
    list = get(w, "products");
    if ((n = cJSON_GetArraySize(list)) > MESSAGE_PRODUCTS_MAX)
        return bad(err, errlen, "wishes.products", "at most 8 products");
    for (int i = 0; i < n; i++)
        if ((r = check_product(cJSON_GetArrayItem(list, i), (size_t)i, err, errlen)) <
            0)
            return r;
    if (cJSON_IsTrue(get(w, "retailer_chooses")) != (n == 0))
        return bad(err, errlen, "wishes.retailer_chooses",
                   "true with no products, false with some");
    if (!is_int(get(w, "packs_min"), 1, 100, &lo))
        return bad(err, errlen, "wishes.packs_min", "an integer from 1 to 100");
    if (!is_int(get(w, "packs_max"), 1, 100, &hi))
        return bad(err, errlen, "wishes.packs_max", "an integer from 1 to 100");
    /* quantity was checked before: packs is an integer from 1 to 100 */
    packs = (int64_t)get(qty, "packs")->valuedouble;
    if (!(lo <= packs && packs <= hi))
        return bad(err, errlen, "wishes", "packs_min <= quantity.packs <= packs_max");
    price = get(w, "price_max");
    cur = get(w, "currency");
    if ((price == NULL) != (cur == NULL))
        return bad(err, errlen, "wishes", "price_max and currency together or neither");
    if (price != NULL && !is_num(price, 0, true, -1))
        return bad(err, errlen, "wishes.price_max", "a number above 0");
    if (cur != NULL && !(cJSON_IsString(cur) && strlen(cur->valuestring) == 3 &&
                         all_in(cur->valuestring, 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")))
        return bad(err, errlen, "wishes.currency", "three letters A-Z (ISO 4217)");
    return check_delivery(get(w, "delivery"), err, errlen);
}

/*
 * The members both payloads have, the ids first: a rejection for anything
 * after them can still be acknowledged.
 */
static int
check_common(const cJSON *root, enum payload_kind kind, struct payload *out, char *err,
             size_t errlen)
{
    const char *name = payload_kind_to_str(kind);
    const cJSON *v;

    v = get(root, "order_id");
    if (!cJSON_IsString(v) ||
        !(kind == PAYLOAD_REORDER ? is_reorder_id(v->valuestring)
                                  : text_is_name(v->valuestring, MESSAGE_ID_MAX)))
        return bad(err, errlen, "order_id",
                   kind == PAYLOAD_REORDER ? "<item>-YYYYMMDDTHHMMSSZ-<8 hex>[-<digit>]"
                                           : "1 to 63 characters of A-Z a-z 0-9 _ -");
    memcpy(out->order_id, v->valuestring, strlen(v->valuestring) + 1);
    v = get(root, "device");
    if (!cJSON_IsString(v) || !text_is_name(v->valuestring, MESSAGE_ID_MAX))
        return bad(err, errlen, "device", "1 to 63 characters of A-Z a-z 0-9 _ -");
    memcpy(out->device, v->valuestring, strlen(v->valuestring) + 1);
    if (!is_int(get(root, "seq"), 1, MESSAGE_SEQ_MAX, &out->seq)) {
        out->seq = 0;
        return bad(err, errlen, "seq", "an integer from 1 to 2^31 - 1");
    }
    if (!is_int(get(root, "iat"), 0, MESSAGE_INT_MAX, &out->iat_s)) {
        out->iat_s = -1;
        return bad(err, errlen, "iat", "seconds since the epoch, an integer");
    }
    v = get(root, "type");
    if (!cJSON_IsString(v) || (strcmp(v->valuestring, "reorder") != 0 &&
                               strcmp(v->valuestring, "cancel") != 0))
        return bad(err, errlen, "type", "\"reorder\" or \"cancel\"");
    if (strcmp(v->valuestring, name) != 0) {
        text_error(err, errlen, "type: \"%s\" in a %s message", v->valuestring, name);
        return -EBADR;
    }
    return 0;
}

static int
check_reorder(const cJSON *root, int64_t version, struct payload *out, char *err,
              size_t errlen)
{
    static const struct jr_member table[] = {
        {"v", JR_NUMBER, true, "the schema version"},
        {"type", JR_STRING, true, "\"reorder\""},
        {"order_id", JR_STRING, true, "the order id"},
        {"device", JR_STRING, true, "the device id"},
        {"seq", JR_NUMBER, true, "the sequence number"},
        {"iat", JR_NUMBER, true, "the time of issue"},
        {"item", JR_OBJECT, true, "the item"},
        {"quantity", JR_OBJECT, true, "the quantity"},
        {"reason", JR_STRING, true, "why"},
        {"forecast", JR_OBJECT, true, "the forecast"},
        {"wishes", JR_OBJECT, true, "the household's wishes"}, /* version 2 only */
    };
    static const char *const reasons[] = {"predicted", "button", "manual", NULL};
    int r;

    if ((r = check_common(root, PAYLOAD_REORDER, out, err, errlen)) < 0 ||
        (r = jr_members(root, "reorder", table, version == MESSAGE_REORDER_V2 ? 11 : 10,
                        err, errlen)) < 0 ||
        (r = check_item(get(root, "item"), err, errlen)) < 0 ||
        (r = check_quantity(get(root, "quantity"), err, errlen)) < 0)
        return r;
    if (!is_enum(get(root, "reason"), reasons))
        return bad(err, errlen, "reason", "predicted, button or manual");
    if ((r = check_forecast(get(root, "forecast"), err, errlen)) < 0)
        return r;
    out->version = (int)version;
    if (version == MESSAGE_REORDER_V2)
        return check_wishes(get(root, "wishes"), get(root, "quantity"), err, errlen);
    return 0;
}

static int
check_cancel(const cJSON *root, struct payload *out, char *err, size_t errlen)
{
    static const struct jr_member table[] = {
        {"v", JR_NUMBER, true, "the schema version"},
        {"type", JR_STRING, true, "\"cancel\""},
        {"order_id", JR_STRING, true, "the order id"},
        {"device", JR_STRING, true, "the device id"},
        {"seq", JR_NUMBER, true, "the sequence number"},
        {"iat", JR_NUMBER, true, "the time of issue"},
        {"reason", JR_STRING, true, "why"},
    };
    static const char *const reasons[] = {"button",   "manual",  "expired",
                                          "refilled", "refused", NULL};
    int r;

    if ((r = check_common(root, PAYLOAD_CANCEL, out, err, errlen)) < 0 ||
        (r = jr_members(root, "cancel", table, 7, err, errlen)) < 0)
        return r;
    if (!is_enum(get(root, "reason"), reasons))
        return bad(err, errlen, "reason",
                   "button, manual, expired, refilled or refused");
    return 0;
}

int
payload_parse(const char *text, size_t len, enum payload_kind kind, struct payload *out,
              char *err, size_t errlen)
{
    cJSON *root = NULL;
    int64_t version;
    int r = -EINVAL;

    memset(out, 0, sizeof(*out));
    out->kind = kind;
    out->iat_s = -1;
    root = jr_parse(text, len, PAYLOAD_MAX,
                    kind == PAYLOAD_REORDER ? REORDER_DEPTH : CANCEL_DEPTH, "payload",
                    err, errlen);
    if (root == NULL)
        goto out;
    /* The ids first, so a rejection of any later member can be acknowledged. */
    check_common(root, kind, out, NULL, 0);
    if (!is_int(get(root, "v"), 0, MESSAGE_INT_MAX, &version)) {
        text_error(err, errlen, "v: expected the schema version, an integer");
        goto out;
    }
    if (version != MESSAGE_SCHEMA_VERSION &&
        !(kind == PAYLOAD_REORDER && version == MESSAGE_REORDER_V2)) {
        if (kind == PAYLOAD_REORDER)
            text_error(err, errlen,
                       "schema version %lld is not known (this program reads %d and "
                       "%d)",
                       (long long)version, MESSAGE_SCHEMA_VERSION, MESSAGE_REORDER_V2);
        else
            text_error(err, errlen,
                       "schema version %lld is not known (this program "
                       "reads %d)",
                       (long long)version, MESSAGE_SCHEMA_VERSION);
        r = -EPROTO;
        goto out;
    }
    r = kind == PAYLOAD_REORDER ? check_reorder(root, version, out, err, errlen)
                                : check_cancel(root, out, err, errlen);
out:
    if (r == 0)
        out->json = root;
    else
        cJSON_Delete(root);
    return r;
}
