/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The payload validator against payloads written by hand: good reorders (of
 * schema versions 1 and 2) and cancels (at the edges of every range the schemas give),
 * and a table of bad ones, each with the rule of reorder.schema.json or
 * cancel.schema.json (or of JSON itself) that it breaks, and the return the header
 * promises. The schemas are the source: each row was checked by reading them, and
 * test-schema-agree.py compares the validator with python3-jsonschema on
 * thousands of mutated payloads.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"
#include "retailer/payload.h"

#define ITEM                                                                           \
    "\"item\":{\"id\":\"rice\",\"name\":\"Basmati\",\"sku\":\"R-1\",\"gtin\":\"\"}"
#define QTY "\"quantity\":{\"packs\":2,\"pack_g\":500}"
#define FC                                                                             \
    "\"forecast\":{\"stock_g\":0,\"rate_g_per_day\":12.5,\"runout\":null,"             \
    "\"runout_early\":null,\"runout_late\":\"2026-10-01T07:30:00Z\","                  \
    "\"service_level\":0.95}"
#define HEAD(v, type, id) "{\"v\":" v ",\"type\":\"" type "\",\"order_id\":\"" id "\","
#define OID "rice-20261001T120000Z-0a1b2c3d"
#define REST "\"device\":\"pi-1\",\"seq\":7,\"iat\":1790856000,"
#define REORDER(items, qty, fc, reason)                                                \
    HEAD("1", "reorder", OID) REST items "," qty ",\"reason\":\"" reason "\"," fc "}"

struct row {
    const char *text;
    int want; /* 0, -EINVAL, -EPROTO, -EBADR */
    const char *why;
};

static void
run(enum payload_kind kind, const struct row *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        struct payload p;
        char err[256] = "";
        int r = payload_parse(rows[i].text, strlen(rows[i].text), kind, &p, err,
                              sizeof(err));
        CHECK_MSG(r == rows[i].want, "%s row %zu (%s): got %d (%s), want %d",
                  payload_kind_to_str(kind), i, rows[i].why, r, err, rows[i].want);
        CHECK_MSG((r == 0) == (p.json != NULL), "row %zu: json iff ok", i);
        CHECK_MSG(r == 0 || err[0] != '\0', "row %zu: a failure says why", i);
        payload_fini(&p);
    }
}

static void
test_reorder_good(void)
{
    static const struct row rows[] = {
        {REORDER(ITEM, QTY, FC, "predicted"), 0, "plain"},
        {REORDER(ITEM, QTY, FC, "button"), 0, "reason button"},
        {REORDER(ITEM, QTY, FC, "manual"), 0, "reason manual"},
        {" \n" REORDER(ITEM, QTY, FC, "manual") "\r\n ", 0, "white space around"},
        {REORDER(ITEM,
                 "\"quantity\":{\"packs\":100,\"pack_g\":100000,\"price\":0.01,"
                 "\"currency\":\"EUR\"}",
                 FC, "predicted"),
         0, "maxima, price"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1,\"pack_g\":0.001}", FC, "predicted"),
         0, "minima"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1.0,\"pack_g\":1e3}", FC, "predicted"),
         0, "1.0 is an integer (JSON Schema 2020-12)"},
        {REORDER("\"item\":{\"id\":\"a\",\"name\":\"\\u00e9\",\"sku\":\"\",\"gtin\":"
                 "\"12345678\"}",
                 QTY, FC, "predicted"),
         0, "gtin 8, escaped name"},
        {REORDER("\"item\":{\"id\":\"a_b-c\",\"name\":\"x\",\"sku\":"
                 "\"1234567890123456789012345678901\",\"gtin\":\"12345678901234\"}",
                 QTY, FC, "predicted"),
         0, "sku of 31, gtin 14"},
        {REORDER(
             "\"item\":{\"id\":\"a\",\"name\":\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
             "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\",\"sku\":\"\",\"gtin\":"
             "\"\"}",
             QTY, FC, "predicted"),
         0, "name of 63 characters in 126 bytes: maxLength counts characters"},
        {HEAD("1", "reorder", "a-00000000T000000Z-00000000-9") REST ITEM
         "," QTY ",\"reason\":\"button\"," FC "}",
         0, "order id with a -digit suffix"},
        {HEAD("1", "reorder", "x-y-20261001T120000Z-ffffffff") REST ITEM
         "," QTY ",\"reason\":\"button\"," FC "}",
         0, "item part with a dash"},
        {REORDER(ITEM, QTY,
                 "\"forecast\":{\"stock_g\":1,\"rate_g_per_day\":0,\"runout\":"
                 "\"9999-99-99T99:99:99Z\",\"runout_early\":null,\"runout_late\":null,"
                 "\"service_level\":0.5}",
                 "predicted"),
         0, "the schema's time pattern checks digits, not dates; service level 0.5"},
    };
    run(PAYLOAD_REORDER, rows, sizeof(rows) / sizeof(rows[0]));
}

static void
test_reorder_bad(void)
{
    static const struct row rows[] = {
        {"", -EINVAL, "empty"},
        {"[]", -EINVAL, "not an object"},
        {REORDER(ITEM, QTY, FC, "predicted") "x", -EINVAL, "trailing bytes"},
        {REORDER(ITEM, QTY, FC, "predicted") "{}", -EINVAL, "two objects"},
        {HEAD("3", "reorder", OID) REST "\"anything\":1}", -EPROTO,
         "v 3: another schema, whatever its members"},
        {HEAD("0", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"button\"," FC "}",
         -EPROTO, "v 0"},
        {HEAD("\"1\"", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"button\"," FC
                                                 "}",
         -EINVAL, "v a string"},
        {HEAD("1.5", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "v not an integer"},
        {HEAD("1", "cancel", OID) REST ITEM "," QTY ",\"reason\":\"button\"," FC "}",
         -EBADR, "type cancel in a reorder"},
        {HEAD("1", "order", OID) REST ITEM "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "type unknown"},
        {HEAD("1", "reorder", "Rice-20261001T120000Z-0a1b2c3d") REST ITEM
         "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "order id with upper case"},
        {HEAD("1", "reorder", "rice-20261001T120000Z-0A1B2C3D") REST ITEM
         "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "order id with upper hex"},
        {HEAD("1", "reorder", "-20261001T120000Z-0a1b2c3d") REST ITEM
         "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "order id without an item part"},
        {HEAD("1", "reorder", "rice-20261001T120000Z-0a1b2c3d-10") REST ITEM
         "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "suffix of two digits"},
        {HEAD("1", "reorder",
              "abcdefghijabcdefghijabcdefghijab-20261001T120000Z-"
              "0a1b2c3d") REST ITEM "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "item part of 32"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi 1\",\"seq\":7,\"iat\":1," ITEM
                                   "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "device with a space"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":0,\"iat\":1," ITEM "," QTY
                                   ",\"reason\":\"button\"," FC "}",
         -EINVAL, "seq 0"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":2147483648,"
                                   "\"iat\":1," ITEM "," QTY
                                   ",\"reason\":\"button\"," FC "}",
         -EINVAL, "seq 2^31: above MESSAGE_SEQ_MAX"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":9007199254740992,"
                                   "\"iat\":1," ITEM "," QTY
                                   ",\"reason\":\"button\"," FC "}",
         -EINVAL, "seq 2^53: above MESSAGE_INT_MAX"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":true,\"iat\":1," ITEM
                                   "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "seq a boolean"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":1,\"iat\":-1," ITEM
                                   "," QTY ",\"reason\":\"button\"," FC "}",
         -EINVAL, "iat negative"},
        {HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":1," ITEM "," QTY
                                   ",\"reason\":\"button\"," FC "}",
         -EINVAL, "iat missing"},
        {REORDER(ITEM, QTY, FC, "cheap"), -EINVAL, "reason unknown"},
        {REORDER(ITEM, QTY, FC, "predicted"), 0, "(control row: the same, good)"},
        {HEAD("1", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"button\"," FC
                                             ",\"note\":1}",
         -EINVAL, "unknown member"},
        {HEAD("1", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"button\","
                                             "\"reason\":\"button\"," FC "}",
         -EINVAL, "a member twice"},
        {HEAD("1", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"button\"}", -EINVAL,
         "forecast missing"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"\",\"sku\":\"\",\"gtin\":\"\"}",
                 QTY, FC, "predicted"),
         -EINVAL, "name empty"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"x\",\"sku\":\"\",\"gtin\":"
                 "\"123456789\"}",
                 QTY, FC, "predicted"),
         -EINVAL, "gtin of 9"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"x\",\"sku\":\"\",\"gtin\":"
                 "\"123456789012345\"}",
                 QTY, FC, "predicted"),
         -EINVAL, "gtin of 15"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"x\",\"sku\":"
                 "\"12345678901234567890123456789012\",\"gtin\":\"\"}",
                 QTY, FC, "predicted"),
         -EINVAL, "sku of 32"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"x\",\"sku\":\"\"}", QTY, FC,
                 "predicted"),
         -EINVAL, "gtin missing"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"\xff\",\"sku\":\"\",\"gtin\":"
                 "\"\"}",
                 QTY, FC, "predicted"),
         -EINVAL, "not UTF-8"},
        {REORDER(
             "\"item\":{\"id\":\"rice\",\"name\":\"\xc0\xaf\",\"sku\":\"\",\"gtin\":"
             "\"\"}",
             QTY, FC, "predicted"),
         -EINVAL, "overlong UTF-8"},
        {REORDER("\"item\":{\"id\":\"Rice\",\"name\":\"x\",\"sku\":\"\",\"gtin\":\"\"}",
                 QTY, FC, "predicted"),
         -EINVAL, "item id upper case"},
        {REORDER("\"item\":{\"id\":\"rice\",\"name\":\"x\",\"sku\":\"\",\"gtin\":\"\","
                 "\"x\":{}}",
                 QTY, FC, "predicted"),
         -EINVAL, "nested deeper than 2 (and unknown)"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":0,\"pack_g\":1}", FC, "predicted"),
         -EINVAL, "packs 0"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":101,\"pack_g\":1}", FC, "predicted"),
         -EINVAL, "packs 101"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1,\"pack_g\":0}", FC, "predicted"),
         -EINVAL, "pack_g 0 (exclusive minimum)"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1,\"pack_g\":100000.001}", FC,
                 "predicted"),
         -EINVAL, "pack_g above 100000"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1,\"pack_g\":1e999}", FC, "predicted"),
         -EINVAL, "pack_g infinite"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1,\"pack_g\":1,\"price\":1}", FC,
                 "predicted"),
         -EINVAL, "price without currency"},
        {REORDER(ITEM, "\"quantity\":{\"packs\":1,\"pack_g\":1,\"currency\":\"EUR\"}",
                 FC, "predicted"),
         -EINVAL, "currency without price"},
        {REORDER(ITEM,
                 "\"quantity\":{\"packs\":1,\"pack_g\":1,\"price\":0,"
                 "\"currency\":\"EUR\"}",
                 FC, "predicted"),
         -EINVAL, "price 0"},
        {REORDER(ITEM,
                 "\"quantity\":{\"packs\":1,\"pack_g\":1,\"price\":1,"
                 "\"currency\":\"eur\"}",
                 FC, "predicted"),
         -EINVAL, "currency lower case"},
        {REORDER(
             ITEM, QTY,
             "\"forecast\":{\"stock_g\":-0.001,\"rate_g_per_day\":0,\"runout\":null,"
             "\"runout_early\":null,\"runout_late\":null,\"service_level\":0.5}",
             "predicted"),
         -EINVAL, "stock negative"},
        {REORDER(ITEM, QTY,
                 "\"forecast\":{\"stock_g\":0,\"rate_g_per_day\":0,\"runout\":"
                 "\"2026-10-01 07:30:00Z\",\"runout_early\":null,\"runout_late\":null,"
                 "\"service_level\":0.5}",
                 "predicted"),
         -EINVAL, "time with a space"},
        {REORDER(ITEM, QTY,
                 "\"forecast\":{\"stock_g\":0,\"rate_g_per_day\":0,\"runout\":0,"
                 "\"runout_early\":null,\"runout_late\":null,\"service_level\":0.5}",
                 "predicted"),
         -EINVAL, "time a number"},
        {REORDER(ITEM, QTY,
                 "\"forecast\":{\"stock_g\":0,\"rate_g_per_day\":0,\"runout\":null,"
                 "\"runout_early\":null,\"runout_late\":null,\"service_level\":0.4999}",
                 "predicted"),
         -EINVAL, "service level below 0.5"},
        {REORDER(ITEM, QTY,
                 "\"forecast\":{\"stock_g\":0,\"rate_g_per_day\":0,\"runout\":null,"
                 "\"runout_early\":null,\"runout_late\":null,\"service_level\":1}",
                 "predicted"),
         -EINVAL, "service level above 0.999"},
        {REORDER(ITEM, QTY,
                 "\"forecast\":{\"stock_g\":0,\"rate_g_per_day\":0,\"runout\":null,"
                 "\"runout_early\":null,\"service_level\":0.9}",
                 "predicted"),
         -EINVAL, "runout_late missing"},
    };
    run(PAYLOAD_REORDER, rows, sizeof(rows) / sizeof(rows[0]));
}

/* Schema version 2 (reorder-v2.schema.json): version 1 and "wishes". */
#define REORDER2(qty, wishes)                                                          \
    HEAD("2", "reorder", OID)                                                          \
    REST ITEM "," qty ",\"reason\":\"predicted\"," FC ",\"wishes\":{" wishes "}}"
#define PRODUCTS                                                                       \
    "\"products\":[{\"sku\":\"R-1\",\"gtin\":\"\"},{\"sku\":\"\","                     \
    "\"gtin\":\"12345678\"}],\"retailer_chooses\":false,"
#define DELIVERY(windows, rest)                                                        \
    ",\"delivery\":{\"place\":\"home\",\"windows\":[" windows "]," rest "}"
#define WIN "{\"days\":[\"mon\",\"sat\"],\"from\":\"07:00\",\"until\":\"09:30\"}"
#define WHEN "\"utc_offset\":\"+02:00\",\"not_before\":null,\"away\":[]"
#define BOUNDS "\"packs_min\":1,\"packs_max\":4" DELIVERY(WIN, WHEN)
#define BOUNDS_ONLY "\"packs_min\":1,\"packs_max\":4"

static void
test_reorder_v2(void)
{
    static const struct row rows[] = {
        {REORDER2(QTY, PRODUCTS BOUNDS), 0, "ranked products, pack bounds"},
        {REORDER2(QTY, PRODUCTS BOUNDS ",\"price_max\":3.99,\"currency\":\"EUR\""), 0,
         "and a price ceiling"},
        {REORDER2(QTY, "\"products\":[],\"retailer_chooses\":true," BOUNDS), 0,
         "no product named: the retailer chooses"},
        {REORDER2(QTY, PRODUCTS "\"packs_min\":2,\"packs_max\":2" DELIVERY("", WHEN)),
         0, "bounds equal to packs"},
        {REORDER2(QTY, "\"products\":[{\"sku\":\"a\",\"gtin\":\"\"},{\"sku\":\"b\","
                       "\"gtin\":\"\"},{\"sku\":\"c\",\"gtin\":\"\"},{\"sku\":\"d\","
                       "\"gtin\":\"\"},{\"sku\":\"e\",\"gtin\":\"\"},{\"sku\":\"f\","
                       "\"gtin\":\"\"},{\"sku\":\"g\",\"gtin\":\"\"},{\"sku\":\"h\","
                       "\"gtin\":\"\"}],\"retailer_chooses\":false," BOUNDS),
         0, "8 products"},
        {REORDER2(QTY, "\"products\":[{\"sku\":\"a\",\"gtin\":\"\"},{\"sku\":\"b\","
                       "\"gtin\":\"\"},{\"sku\":\"c\",\"gtin\":\"\"},{\"sku\":\"d\","
                       "\"gtin\":\"\"},{\"sku\":\"e\",\"gtin\":\"\"},{\"sku\":\"f\","
                       "\"gtin\":\"\"},{\"sku\":\"g\",\"gtin\":\"\"},{\"sku\":\"h\","
                       "\"gtin\":\"\"},{\"sku\":\"i\",\"gtin\":\"\"}],"
                       "\"retailer_chooses\":false," BOUNDS),
         -EINVAL, "9 products"},
        {HEAD("2", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"predicted\"," FC
                                             "}",
         -EINVAL, "version 2 without wishes"},
        {HEAD("1", "reorder", OID) REST ITEM "," QTY ",\"reason\":\"predicted\"," FC
                                             ",\"wishes\":{" PRODUCTS BOUNDS "}}",
         -EINVAL, "version 1 with wishes"},
        {REORDER2(QTY, "\"products\":[],\"retailer_chooses\":false," BOUNDS), -EINVAL,
         "no product, and the retailer may not choose"},
        {REORDER2(QTY, PRODUCTS BOUNDS), 0, "again: the row above is not sticky"},
        {REORDER2(QTY, "\"products\":[{\"sku\":\"R-1\",\"gtin\":\"\"}],"
                       "\"retailer_chooses\":true," BOUNDS),
         -EINVAL, "products, yet the retailer chooses"},
        {REORDER2(QTY, "\"products\":[{\"sku\":\"\",\"gtin\":\"\"}],"
                       "\"retailer_chooses\":false," BOUNDS),
         -EINVAL, "a product with neither code"},
        {REORDER2(
             QTY,
             "\"products\":[{\"sku\":\"R-1\"}],\"retailer_chooses\":false," BOUNDS),
         -EINVAL, "a product without gtin"},
        {REORDER2(QTY, "\"products\":[{\"sku\":\"R-1\",\"gtin\":\"1234567\"}],"
                       "\"retailer_chooses\":false," BOUNDS),
         -EINVAL, "a gtin of 7 digits"},
        {REORDER2(QTY, "\"products\":[\"R-1\"],\"retailer_chooses\":false," BOUNDS),
         -EINVAL, "a product that is not an object"},
        {REORDER2(QTY, PRODUCTS "\"packs_min\":3,\"packs_max\":4" DELIVERY(WIN, WHEN)),
         -EINVAL, "packs (2) below packs_min"},
        {REORDER2(QTY, PRODUCTS "\"packs_min\":1,\"packs_max\":1" DELIVERY(WIN, WHEN)),
         -EINVAL, "packs (2) above packs_max"},
        {REORDER2(QTY, PRODUCTS "\"packs_min\":0,\"packs_max\":4" DELIVERY(WIN, WHEN)),
         -EINVAL, "packs_min 0"},
        {REORDER2(QTY,
                  PRODUCTS "\"packs_min\":1,\"packs_max\":101" DELIVERY(WIN, WHEN)),
         -EINVAL, "packs_max 101"},
        {REORDER2(QTY, PRODUCTS BOUNDS ",\"price_max\":3.99"), -EINVAL,
         "a ceiling without currency"},
        {REORDER2(QTY, PRODUCTS BOUNDS ",\"price_max\":0,\"currency\":\"EUR\""),
         -EINVAL, "a ceiling of 0"},
        {REORDER2(QTY, PRODUCTS BOUNDS ",\"window\":1"), -EINVAL, "an unknown wish"},
        {REORDER2(QTY, PRODUCTS "\"packs_min\":1" DELIVERY(WIN, WHEN)), -EINVAL,
         "packs_max missing"},
        {REORDER2(QTY, PRODUCTS BOUNDS_ONLY), -EINVAL, "delivery missing"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      WIN "," WIN "," WIN "," WIN "," WIN "," WIN "," WIN "," WIN,
                      "\"utc_offset\":\"-18:00\",\"not_before\":"
                      "\"2026-10-02T00:00:00Z\",\"away\":[{\"from\":"
                      "\"2026-10-10T00:00:00Z\",\"until\":\"2026-10-17T00:00:00Z\","
                      "\"arrive\":\"before\"}]")),
         0, "8 windows, offset -18:00, a not_before"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(WIN "," WIN "," WIN "," WIN "," WIN
                                                    "," WIN "," WIN "," WIN "," WIN,
                                                WHEN)),
         -EINVAL, "9 windows"},
        {REORDER2(
             QTY,
             PRODUCTS BOUNDS_ONLY DELIVERY(
                 "{\"days\":[\"sun\"],\"from\":\"00:00\",\"until\":\"24:00\"}", WHEN)),
         0, "a whole day"},
        {REORDER2(
             QTY,
             PRODUCTS BOUNDS_ONLY DELIVERY(
                 "{\"days\":[\"sun\"],\"from\":\"24:00\",\"until\":\"24:00\"}", WHEN)),
         -EINVAL, "from 24:00"},
        {REORDER2(
             QTY,
             PRODUCTS BOUNDS_ONLY DELIVERY(
                 "{\"days\":[\"sun\"],\"from\":\"10:00\",\"until\":\"09:00\"}", WHEN)),
         -EINVAL, "until before from (stricter than the schema)"},
        {REORDER2(QTY, PRODUCTS BOUNDS_ONLY DELIVERY(
                           "{\"days\":[\"sun\",\"sun\"],\"from\":\"10:00\",\"until\":"
                           "\"11:00\"}",
                           WHEN)),
         -EINVAL, "a day twice"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      "{\"days\":[],\"from\":\"10:00\",\"until\":\"11:00\"}", WHEN)),
         -EINVAL, "no day"},
        {REORDER2(
             QTY,
             PRODUCTS BOUNDS_ONLY DELIVERY(
                 "{\"days\":[\"Mon\"],\"from\":\"10:00\",\"until\":\"11:00\"}", WHEN)),
         -EINVAL, "a day in capitals"},
        {REORDER2(QTY, PRODUCTS BOUNDS_ONLY DELIVERY(
                           "{\"days\":[\"mon\"],\"from\":\"7:00\",\"until\":\"11:00\"}",
                           WHEN)),
         -EINVAL, "H:MM"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      "", "\"utc_offset\":\"+18:01\",\"not_before\":null,\"away\":[]")),
         -EINVAL, "offset beyond 18 h"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      "", "\"utc_offset\":\"02:00\",\"not_before\":null,\"away\":[]")),
         -EINVAL, "offset without sign"},
        {REORDER2(
             QTY,
             PRODUCTS BOUNDS_ONLY DELIVERY(
                 "", "\"utc_offset\":\"+02:00\",\"not_before\":\"soon\",\"away\":[]")),
         -EINVAL, "not_before not a time"},
        {REORDER2(QTY, PRODUCTS BOUNDS_ONLY
                  ",\"delivery\":{\"place\":\"Main Street 1\",\"windows\":[]," WHEN
                  "}"),
         -EINVAL, "a street address as the place"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      "", "\"utc_offset\":\"+02:00\",\"not_before\":null,\"away\":[{"
                          "\"from\":\"2026-10-17T00:00:00Z\",\"until\":"
                          "\"2026-10-10T00:00:00Z\"}]")),
         -EINVAL, "an away period that ends before it starts"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      "", "\"utc_offset\":\"+02:00\",\"not_before\":null,\"away\":[{"
                          "\"from\":\"2026-10-17T00:00:00Z\"}]")),
         -EINVAL, "an away period without until"},
        {REORDER2(QTY,
                  PRODUCTS BOUNDS_ONLY DELIVERY(
                      "", "\"utc_offset\":\"+02:00\",\"not_before\":null,\"away\":[{"
                          "\"from\":\"2026-10-10T00:00:00Z\",\"until\":"
                          "\"2026-10-17T00:00:00Z\",\"arrive\":\"during\"}]")),
         -EINVAL, "arrive neither before nor after"},
        {REORDER2(QTY, PRODUCTS BOUNDS_ONLY DELIVERY(
                           "", "\"utc_offset\":\"+02:00\",\"not_before\":null")),
         -EINVAL, "away missing"},
        {REORDER2(QTY, "\"products\":[],\"retailer_chooses\":1," BOUNDS), -EINVAL,
         "retailer_chooses not a boolean"},
    };
    run(PAYLOAD_REORDER, rows, sizeof(rows) / sizeof(rows[0]));
}

#define CANCEL(v, type, id, reason)                                                    \
    HEAD(v, type, id) "\"device\":\"pi\",\"seq\":3,\"iat\":0,\"reason\":\"" reason "\"}"

static void
test_cancel(void)
{
    static const struct row rows[] = {
        {CANCEL("1", "cancel", OID, "button"), 0, "plain"},
        {CANCEL("1", "cancel", "A_b-9", "manual"), 0, "any id of A-Z a-z 0-9 _ -"},
        {CANCEL("1", "cancel", OID, "expired"), 0, "expired"},
        {CANCEL("1", "cancel", OID, "refilled"), 0, "refilled"},
        {CANCEL("1", "cancel", OID, "bored"), -EINVAL, "reason unknown"},
        {CANCEL("1", "cancel", "a b", "button"), -EINVAL,
         "id with a space: the ack could not carry it"},
        {CANCEL("1", "cancel", "", "button"), -EINVAL, "id empty"},
        {CANCEL("1", "reorder", OID, "button"), -EBADR, "type reorder in a cancel"},
        {CANCEL("3", "cancel", OID, "button"), -EPROTO, "v 3"},
        {HEAD("1", "cancel", OID) "\"device\":\"pi\",\"seq\":3,\"iat\":0}", -EINVAL,
         "reason missing"},
        {HEAD("1", "cancel", OID) "\"device\":\"pi\",\"seq\":3,\"iat\":0,\"reason\":"
                                  "\"button\",\"item\":{}}",
         -EINVAL, "nested: deeper than a cancel has"},
    };
    run(PAYLOAD_CANCEL, rows, sizeof(rows) / sizeof(rows[0]));
}

/* What a rejection can still use: the ids read before the failing member. */
static void
test_partial_ids(void)
{
    const char *t = HEAD("3", "reorder", OID) REST "\"new\":true}";
    struct payload p;

    CHECK_EQ_I64(payload_parse(t, strlen(t), PAYLOAD_REORDER, &p, NULL, 0), -EPROTO);
    CHECK(strcmp(p.order_id, OID) == 0);
    CHECK(strcmp(p.device, "pi-1") == 0);
    CHECK_EQ_I64(p.seq, 7);
    CHECK_EQ_I64(p.iat_s, 1790856000);
    payload_fini(&p);
    t = HEAD("1", "reorder", OID) "\"device\":\"pi\",\"seq\":-4}";
    CHECK_EQ_I64(payload_parse(t, strlen(t), PAYLOAD_REORDER, &p, NULL, 0), -EINVAL);
    CHECK(strcmp(p.order_id, OID) == 0);
    CHECK_EQ_I64(p.seq, 0);
    CHECK_EQ_I64(p.iat_s, -1);
    /* A NUL inside is refused, not read as the end of the text. */
    static const char nul[] = "{\"v\":1}\0{}";
    CHECK_EQ_I64(payload_parse(nul, sizeof(nul) - 1, PAYLOAD_CANCEL, &p, NULL, 0),
                 -EINVAL);
}

int
main(void)
{
    RUN(test_reorder_good);
    RUN(test_reorder_bad);
    RUN(test_reorder_v2);
    RUN(test_cancel);
    RUN(test_partial_ids);
    return th_done();
}
