/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The payloads of the contract: the exact JSON text of reorders, cancels,
 * statuses and acks for hand-picked values (milligrams printed as exact grams,
 * a never-runout as null, no price when it is unknown), the refusals of
 * out-of-range values, and the ack parser against a table of hostile inputs
 * written by hand, each with the reason it must be refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "agent/msg/message.h"
#include "models/units.h"

static void
check_text(const char *got, const char *want)
{
    CHECK_MSG(got != NULL && strcmp(got, want) == 0, "\n got  %s\n want %s",
              got ? got : "(null)", want);
}

static void
test_reorder(void)
{
    struct message_reorder m = {
        .order_id = "pi-rice-20261001T120000Z",
        .device_id = "pi",
        .seq = 42,
        .iat_s = 1790856000, /* 2026-10-01T12:00:00Z */
        .item_id = "rice",
        .item_name = "Basmati \"rice\"",
        .sku = "R-1",
        .gtin = "",
        .packs = 2,
        .pack_mg = 500000,
        .price_cents = 349,
        .currency = "EUR",
        .reason = "predicted",
        .stock_mg = 1234567,
        .rate_ugpd = 12345678,
        .runout_s = 1790856000 + 86400,
        .runout_lo_s = 1790856000 + 3600,
        .runout_hi_s = MODELS_NEVER,
        .service_bp = 9500,
    };
    char *out = NULL;

    CHECK_EQ_I64(message_reorder_json(&m, &out), 0);
    check_text(
        out, "{\"v\":1,\"type\":\"reorder\",\"order_id\":\"pi-rice-20261001T120000Z\","
             "\"device\":\"pi\",\"seq\":42,\"iat\":1790856000,"
             "\"item\":{\"id\":\"rice\",\"name\":\"Basmati \\\"rice\\\"\",\"sku\":"
             "\"R-1\",\"gtin\":\"\"},"
             "\"quantity\":{\"packs\":2,\"pack_g\":500,\"price\":3.49,"
             "\"currency\":\"EUR\"},\"reason\":\"predicted\","
             "\"forecast\":{\"stock_g\":1234.567,\"rate_g_per_day\":12.345678,"
             "\"runout\":\"2026-10-02T12:00:00Z\",\"runout_early\":"
             "\"2026-10-01T13:00:00Z\",\"runout_late\":null,\"service_level\":0.95}}");
    free(out);

    m.price_cents = 0; /* unknown price: no price, no currency */
    out = NULL;
    CHECK_EQ_I64(message_reorder_json(&m, &out), 0);
    CHECK(out != NULL &&
          strstr(out, "\"quantity\":{\"packs\":2,\"pack_g\":500},") != NULL);
    free(out);

    out = NULL;
    m.seq = 0;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    m.seq = 1;
    m.item_id = NULL;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    m.item_id = "rice";
    m.stock_mg = -1;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    CHECK(out == NULL);
}

/* Schema version 2: the same reorder with the household's wishes at the end. */
static void
test_reorder_v2(void)
{
    static const struct message_product ranked[] = {{"R-1", ""}, {"", "96385074"}};
    /* one over before the order (left out), one to come */
    static const struct delivery_away away[] = {{1790000000, 1790800000, false},
                                                {1791590400, 1792195200, true}};
    static const struct delivery_window windows[] = {{0x1f, 7 * 60, 9 * 60},
                                                     {0x60, 18 * 60 + 30, 24 * 60}};
    struct message_wishes w = {.products = ranked,
                               .n_products = 2,
                               .packs_min = 1,
                               .packs_max = 4,
                               .price_max_cents = 399,
                               .delivery = {.place = "parcel-locker",
                                            .windows = windows,
                                            .n_windows = 2,
                                            .utc_offset_s = -(5 * 3600 + 30 * 60),
                                            .not_before_s = 1790856000 + 86400,
                                            .away = away,
                                            .n_away = 2,
                                            .now_s = 1790856000}};
    struct message_reorder m = {
        .order_id = "rice-20261001T120000Z-0a1b2c3d",
        .device_id = "pi",
        .seq = 7,
        .iat_s = 1790856000,
        .item_id = "rice",
        .item_name = "Rice",
        .sku = "R-1",
        .gtin = "",
        .packs = 2,
        .pack_mg = 500000,
        .currency = "EUR",
        .reason = "predicted",
        .runout_s = MODELS_NEVER,
        .runout_lo_s = MODELS_NEVER,
        .runout_hi_s = MODELS_NEVER,
        .service_bp = 9500,
        .wishes = &w,
    };
    char *out = NULL;

    CHECK_EQ_I64(message_reorder_json(&m, &out), 0);
    check_text(out,
               "{\"v\":2,\"type\":\"reorder\",\"order_id\":"
               "\"rice-20261001T120000Z-0a1b2c3d\",\"device\":\"pi\",\"seq\":7,"
               "\"iat\":1790856000,\"item\":{\"id\":\"rice\",\"name\":\"Rice\","
               "\"sku\":\"R-1\",\"gtin\":\"\"},\"quantity\":{\"packs\":2,"
               "\"pack_g\":500},\"reason\":\"predicted\",\"forecast\":{\"stock_g\":0,"
               "\"rate_g_per_day\":0,\"runout\":null,\"runout_early\":null,"
               "\"runout_late\":null,\"service_level\":0.95},\"wishes\":{\"products\":"
               "[{\"sku\":\"R-1\",\"gtin\":\"\"},{\"sku\":\"\",\"gtin\":"
               "\"96385074\"}],\"retailer_chooses\":false,\"packs_min\":1,"
               "\"packs_max\":4,\"price_max\":3.99,\"currency\":\"EUR\","
               "\"delivery\":{\"place\":\"parcel-locker\",\"windows\":[{\"days\":"
               "[\"mon\",\"tue\",\"wed\",\"thu\",\"fri\"],\"from\":\"07:00\",\"until\":"
               "\"09:00\"},{\"days\":[\"sat\",\"sun\"],\"from\":\"18:30\",\"until\":"
               "\"24:00\"}],\"utc_offset\":\"-05:30\",\"not_before\":"
               "\"2026-10-02T12:00:00Z\",\"away\":[{\"from\":\"2026-10-10T00:00:00Z\","
               "\"until\":"
               "\"2026-10-17T00:00:00Z\",\"arrive\":\"before\"}]}}}");
    free(out);

    /* No product named: the retailer chooses; no ceiling: none in the text. */
    w.n_products = 0;
    w.price_max_cents = 0;
    w.delivery.n_windows = 0;
    w.delivery.n_away = 0;
    w.delivery.utc_offset_s = 0;
    w.delivery.not_before_s = MODELS_NEVER;
    out = NULL;
    CHECK_EQ_I64(message_reorder_json(&m, &out), 0);
    CHECK(out != NULL &&
          strstr(out, ",\"wishes\":{\"products\":[],\"retailer_chooses\":true,"
                      "\"packs_min\":1,\"packs_max\":4,\"delivery\":{\"place\":"
                      "\"parcel-locker\",\"windows\":[],\"utc_offset\":\"+00:00\","
                      "\"not_before\":null,\"away\":[]}}}") != NULL);
    free(out);

    /* Refused: packs outside the bounds, a product without a code, too many. */
    out = NULL;
    w.packs_min = 3;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    w.packs_min = 1;
    w.packs_max = 1;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    w.packs_max = 4;
    static const struct message_product none[] = {{"", ""}};
    w.products = none;
    w.n_products = 1;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    w.products = ranked;
    w.n_products = MESSAGE_PRODUCTS_MAX + 1;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    w.n_products = 2;
    w.delivery.place = "Main Street 1"; /* a label, never an address */
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    w.delivery.place = "home";
    w.delivery.utc_offset_s = 90; /* not whole minutes */
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    w.delivery.utc_offset_s = 0;
    w.delivery.windows = windows;
    w.delivery.n_windows = 1;
    CHECK_EQ_I64(message_reorder_json(&m, &out), 0);
    free(out);
    out = NULL;
    static const struct delivery_window backwards[] = {{0x01, 9 * 60, 7 * 60}};
    w.delivery.windows = backwards;
    CHECK_EQ_I64(message_reorder_json(&m, &out), -EINVAL);
    CHECK(out == NULL);
}

static void
test_cancel(void)
{
    struct message_cancel m = {
        .order_id = "o-1", .device_id = "pi", .seq = 7, .iat_s = 5, .reason = "button"};
    char *out = NULL;

    CHECK_EQ_I64(message_cancel_json(&m, &out), 0);
    check_text(out,
               "{\"v\":1,\"type\":\"cancel\",\"order_id\":\"o-1\",\"device\":\"pi\","
               "\"seq\":7,\"iat\":5,\"reason\":\"button\"}");
    free(out);
    m.reason = NULL;
    out = NULL;
    CHECK_EQ_I64(message_cancel_json(&m, &out), -EINVAL);
    CHECK(out == NULL);
}

static void
test_status(void)
{
    char *out = NULL;

    CHECK_EQ_I64(message_status_json("pi", true, "1.2.3", &out), 0);
    check_text(out, "{\"v\":1,\"type\":\"status\",\"device\":\"pi\",\"state\":"
                    "\"online\",\"version\":\"1.2.3\"}");
    free(out);
    out = NULL;
    CHECK_EQ_I64(message_status_json("pi", false, "1.2.3", &out), 0);
    CHECK(out != NULL && strstr(out, "\"state\":\"offline\"") != NULL);
    free(out);
}

static void
test_ack_json(void)
{
    struct message_ack a = {.order_id = "rice-20261001T120000Z-0123abcd",
                            .device = "demo-pi",
                            .seq = 3,
                            .iat_s = 1790856000,
                            .status = ACK_SHIPPED,
                            .eta_s = 1790856000 + 2 * 86400,
                            .retailer = "shop-1"};
    struct message_ack back;
    char *out = NULL, err[256];

    CHECK_EQ_I64(message_ack_json(&a, &out), 0);
    check_text(out, "{\"v\":1,\"type\":\"ack\",\"order_id\":"
                    "\"rice-20261001T120000Z-0123abcd\",\"device\":\"demo-pi\","
                    "\"seq\":3,\"iat\":1790856000,\"status\":\"shipped\","
                    "\"eta\":\"2026-10-03T12:00:00Z\",\"retailer\":\"shop-1\"}");
    /* What is built parses back to the same fields. */
    CHECK_EQ_I64(message_ack_parse(out, strlen(out), &back, err, sizeof(err)), 0);
    CHECK(strcmp(back.order_id, a.order_id) == 0 && strcmp(back.device, a.device) == 0);
    CHECK_EQ_I64(back.seq, 3);
    CHECK_EQ_I64(back.iat_s, a.iat_s);
    CHECK_EQ_I64(back.status, ACK_SHIPPED);
    CHECK_EQ_I64(back.eta_s, a.eta_s);
    CHECK(strcmp(back.retailer, "shop-1") == 0 && back.reason[0] == '\0');
    free(out);

    out = NULL;
    a.status = ACK_ACCEPTED; /* an eta without shipped */
    CHECK_EQ_I64(message_ack_json(&a, &out), -EINVAL);
    a.eta_s = 0;
    a.seq = 0;
    CHECK_EQ_I64(message_ack_json(&a, &out), -EINVAL);
    CHECK(out == NULL);
    a.seq = 9;
    a.status = ACK_REJECTED;
    snprintf(a.reason, sizeof(a.reason), "sequence not above 12");
    CHECK_EQ_I64(message_ack_json(&a, &out), 0);
    CHECK_EQ_I64(message_ack_parse(out, strlen(out), &back, err, sizeof(err)), 0);
    CHECK(strcmp(back.reason, "sequence not above 12") == 0);
    CHECK_EQ_I64(back.status, ACK_REJECTED);
    free(out);
}

#define ACK_HEAD "{\"v\":1,\"type\":\"ack\",\"order_id\":\"o-1\",\"device\":\"pi\","

static void
test_ack_parse(void)
{
    static const struct {
        const char *text;
        int want;
        const char *why; /* what the message must say */
    } cases[] = {
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\"}", 0, ""},
        {ACK_HEAD "\"seq\":2147483647,\"iat\":9007199254740991,\"status\":"
                  "\"cancelled\"}",
         0, ""},
        /* A signed seq at the contract's largest integer would lock the device
         * out for good: sequence numbers stop at 2^31 - 1. */
        {ACK_HEAD "\"seq\":2147483648,\"iat\":5,\"status\":\"cancelled\"}", -EINVAL,
         "seq: expected an integer from 1 to 2^31 - 1"},
        {"", -EINVAL, "expected 1 to"},
        {"[]", -EINVAL, "ack: expected a JSON object, found an array at byte 1"},
        {"{\"v\":1", -EINVAL, "ack: expected ',' or '}', at the end of the text"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\"}x", -EINVAL,
         "ack: text after the object at byte 88"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\"} {}", -EINVAL,
         "text after the object"},
        /* A NUL escaped inside an id: C would read "o-1" (issue 12). */
        {"{\"v\":1,\"type\":\"ack\",\"order_id\":\"o-1\\u0000x\",\"device\":\"pi\","
         "\"seq\":1,\"iat\":0,\"status\":\"accepted\"}",
         -EINVAL, "\\u0000 in a string"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"reason\":\"\\u0000\"}",
         -EINVAL, "\\u0000"},
        /* One name, two spellings: still twice. */
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"s\\u0065q\":2}",
         -EINVAL, "member \"seq\" given twice"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\"}\n", 0, ""},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"x\":{}}", -EINVAL,
         "nested"},
        {"{\"a\":[[[[1]]]]}", -EINVAL, "nested"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"extra\":1}", -EINVAL,
         "unknown member"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"seq\":2}", -EINVAL,
         "twice"},
        {"{\"v\":2,\"type\":\"ack\"}", -EPROTO, "schema version 2"},
        {"{\"v\":\"1\",\"type\":\"ack\"}", -EINVAL, "v:"},
        {"{\"v\":1,\"type\":\"reorder\"}", -EINVAL, "type"},
        {"{\"v\":1,\"type\":\"ack\",\"order_id\":\"o.1\"}", -EINVAL, "order_id"},
        {"{\"v\":1,\"type\":\"ack\",\"order_id\":\"o 1\"}", -EINVAL, "order_id"},
        {"{\"v\":1,\"type\":\"ack\",\"order_id\":\"\"}", -EINVAL, "order_id"},
        {"{\"v\":1,\"type\":\"ack\",\"order_id\":\"o\",\"device\":\"p/i\"}", -EINVAL,
         "device"},
        {ACK_HEAD "\"seq\":0,\"iat\":0,\"status\":\"accepted\"}", -EINVAL, "seq"},
        {ACK_HEAD "\"seq\":1.5,\"iat\":0,\"status\":\"accepted\"}", -EINVAL, "seq"},
        {ACK_HEAD "\"seq\":-1,\"iat\":0,\"status\":\"accepted\"}", -EINVAL, "seq"},
        {ACK_HEAD "\"seq\":9007199254740992,\"iat\":0,\"status\":\"accepted\"}",
         -EINVAL, "seq"},
        /* 2^53 + 1 reads as the double 2^53: refused as that, never rounded in. */
        {ACK_HEAD "\"seq\":9007199254740993,\"iat\":0,\"status\":\"accepted\"}",
         -EINVAL, "seq"},
        {ACK_HEAD "\"seq\":1e400,\"iat\":0,\"status\":\"accepted\"}", -EINVAL, "seq"},
        {ACK_HEAD "\"seq\":\"1\",\"iat\":0,\"status\":\"accepted\"}", -EINVAL, "seq"},
        {ACK_HEAD "\"seq\":1,\"iat\":null,\"status\":\"accepted\"}", -EINVAL, "iat"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"ok\"}", -EINVAL, "status"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"eta\":"
                  "\"2026-10-03T12:00:00Z\"}",
         -EINVAL, "eta"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"shipped\",\"eta\":"
                  "\"2026-10-03 12:00:00\"}",
         -EINVAL, "eta"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"shipped\",\"eta\":"
                  "\"2026-02-30T12:00:00Z\"}",
         -EINVAL, "eta"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"rejected\",\"reason\":"
                  "\"a\\u0007b\"}",
         -EINVAL, "reason"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"rejected\",\"reason\":7}", -EINVAL,
         "reason"},
        {ACK_HEAD "\"seq\":1,\"iat\":0,\"status\":\"accepted\",\"retailer\":"
                  "\"shop 1\"}",
         -EINVAL, "retailer"},
    };
    struct message_ack a;
    char err[256];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        int r = message_ack_parse(cases[i].text, strlen(cases[i].text), &a, err,
                                  sizeof(err));
        CHECK_MSG(r == cases[i].want && strstr(err, cases[i].why) != NULL,
                  "case %zu %s: got %d '%s', want %d '%s'", i, cases[i].text, r, err,
                  cases[i].want, cases[i].why);
    }
    /* A NUL inside and an oversize text are refused before parsing. */
    CHECK_EQ_I64(message_ack_parse("{\"v\"\0:1}", 9, &a, err, sizeof(err)), -EINVAL);
    char *big = malloc(MESSAGE_ACK_MAX + 2);
    memset(big, ' ', MESSAGE_ACK_MAX + 1);
    big[0] = '{';
    big[MESSAGE_ACK_MAX] = '}';
    big[MESSAGE_ACK_MAX + 1] = '\0';
    CHECK_EQ_I64(message_ack_parse(big, MESSAGE_ACK_MAX + 1, &a, err, sizeof(err)),
                 -EINVAL);
    free(big);
}

int
main(void)
{
    test_reorder();
    test_reorder_v2();
    test_cancel();
    test_status();
    test_ack_json();
    test_ack_parse();
    return th_done();
}
