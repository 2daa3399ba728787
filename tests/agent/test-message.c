/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reorder and cancel payloads: the exact JSON text for hand-picked values
 * (milligrams printed as exact grams, a never-runout as null, no price when it
 * is unknown), and the refusals of out-of-range values.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "message.h"
#include "units.h"

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
    check_text(out,
               "{\"v\":1,\"type\":\"reorder\",\"order_id\":\"pi-rice-20261001T120000Z\","
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
    CHECK(out != NULL && strstr(out, "\"quantity\":{\"packs\":2,\"pack_g\":500},") != NULL);
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

static void
test_cancel(void)
{
    struct message_cancel m = {.order_id = "o-1", .device_id = "pi", .seq = 7,
                               .iat_s = 5, .reason = "button"};
    char *out = NULL;

    CHECK_EQ_I64(message_cancel_json(&m, &out), 0);
    check_text(out, "{\"v\":1,\"type\":\"cancel\",\"order_id\":\"o-1\",\"device\":\"pi\","
                    "\"seq\":7,\"iat\":5,\"reason\":\"button\"}");
    free(out);
    m.reason = NULL;
    out = NULL;
    CHECK_EQ_I64(message_cancel_json(&m, &out), -EINVAL);
    CHECK(out == NULL);
}

int
main(void)
{
    test_reorder();
    test_cancel();
    return th_done();
}
