/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Dates past January 2038 (issue 13). A device installed now still runs when
 * the Unix time passes 2^31 s (2038-01-19T03:14:08Z), which a 32-bit time_t
 * cannot hold: Debian 13's armhf (the "t64" transition) has a 64-bit time_t,
 * Debian 12's armhf a 32-bit one. Run under qemu for each Raspberry Pi build
 * (packaging/cross-build.sh), natively everywhere else.
 *
 *  - The clock: with the C library's clock_gettime answering a time past 2038
 *    (this program defines clock_gettime, which the daemon's clock reader
 *    calls, and passes every other clock through), the daemon reads the right
 *    milliseconds.
 *  - The whole pipeline, closed loop (closedloop.h): a household's 120 days
 *    that start two weeks before 2^31 s decide exactly as the same 120 days
 *    in 2026, shifted by a whole number of weeks: the same orders, each placed
 *    and delivered the shift later, the same stockouts and excess stock. The
 *    loop runs the daemon's pipeline with its store (readings, orders, their
 *    transitions and timers), so what it stores and reads back past 2038 is
 *    in the comparison.
 *  - The tokens: a reorder issued in 2040 signs, and the retailer's check
 *    accepts it at its time, reads its iat back and refuses it as stale a
 *    week later; RFC 3339 texts past 2038 and at 2^32 s round-trip.
 *
 * With a 32-bit time_t the test is skipped (exit 77), saying that the build
 * stops in 2038: bookworm's armhf, whose libraries have that ABI.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "retailer/message-check.h"
#include "sensors/clock.h"
#include "agent/sim/closedloop.h"
#include "tests/eval/demand.h"
#include "tests/harness.h"
#include "agent/msg/jws.h"
#include "agent/msg/message.h"
#include "retailer/trust.h"
#include "agent/msg/utc.h"

#define DAY_S INT64_C(86400)
#define T2038_S INT64_C(2147483648) /* 2^31 s: 2038-01-19T03:14:08Z */
/* 626 weeks: DM_EPOCH_S (2026-01-05, a Monday) to 2038-01-04, a Monday. */
#define SHIFT_S (INT64_C(626) * 7 * DAY_S)
#define RUN_DAYS 120

#define CHECK_STR_EQ(a, b)                                                             \
    CHECK_MSG(strcmp((a), (b)) == 0, "'%s', expected '%s'", (a), (b))

/* ---- the clock: clock_gettime as the C library would answer in 2040 ---- */

static int64_t fake_wall_ns = -1; /* CLOCK_REALTIME's answer while >= 0 */

/*
 * The daemon's clock reader calls clock_gettime; with _TIME_BITS=64 on a
 * 32-bit target the C library's header names it __clock_gettime64, and so
 * this definition too. Every other call goes to the kernel.
 */
int
clock_gettime(clockid_t id, struct timespec *ts)
{
    if (id == CLOCK_REALTIME && fake_wall_ns >= 0) {
        ts->tv_sec = (time_t)(fake_wall_ns / 1000000000);
        ts->tv_nsec = (long)(fake_wall_ns % 1000000000);
        return 0;
    }
#if defined(SYS_clock_gettime64) && defined(__USE_TIME_BITS64) && __TIMESIZE == 32
    return (int)syscall(SYS_clock_gettime64, id, ts);
#else
    return (int)syscall(SYS_clock_gettime, id, ts);
#endif
}

static void
test_clock(void)
{
    char text[UTC_TEXT_LEN];
    int64_t before = clock_wall_ms();

    /* Passed through: today, give or take. */
    CHECK_MSG(before > INT64_C(1767225600000), "the real clock reads %" PRId64 " ms",
              before);
    fake_wall_ns = (T2038_S + 1) * 1000000000 + 250000000;
    CHECK_EQ_I64(clock_wall_ms(), (T2038_S + 1) * 1000 + 250);
    fake_wall_ns = INT64_C(2222222222) * 1000000000 + 999999999; /* 2040-06-02 */
    CHECK_EQ_I64(clock_wall_ms(), INT64_C(2222222222999));
    utc_format(clock_wall_ms() / 1000, text, sizeof(text));
    CHECK_STR_EQ(text, "2040-06-02T03:57:02Z");
    fake_wall_ns = -1;
    CHECK(clock_wall_ms() >= before);
}

/* ---- the pipeline, closed loop, in 2026 and across 2038 ---- */

struct outcome {
    struct cl_metrics m;
    struct cl_order ord[32];
    size_t n_ord;
};

static int
loop(const struct dm_run *d, int64_t shift_s, struct outcome *out)
{
    static struct agent_config cfg;
    struct cl_use *use = calloc(d->n_use, sizeof(*use));
    struct cl_config c;
    struct cl_result r;
    char err[512];
    int e;

    memset(out, 0, sizeof(*out));
    if (use == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < d->n_use; i++)
        use[i] = (struct cl_use){d->use[i].t_s + shift_s, d->use[i].mg};
    if ((e = dm_config(d, &cfg, err, sizeof(err))) < 0) {
        TH_FAIL("configuration: %s", err);
        free(use);
        return e;
    }
    struct cl_item item = {use, d->n_use, d->pack_mg};
    cl_config_default(&c, DM_EPOCH_S + shift_s,
                      DM_EPOCH_S + shift_s + RUN_DAYS * DAY_S);
    c.seed = 7;
    c.lead_mean_s = d->lead_s;
    memset(&r, 0, sizeof(r));
    e = cl_run(&cfg, &item, &c, CL_AGENT, 0, &r, err, sizeof(err));
    if (e < 0) {
        TH_FAIL("the closed loop from %" PRId64 " s: %s", DM_EPOCH_S + shift_s, err);
    } else {
        out->m = r.item[0];
        for (size_t k = 0; k < r.n_ord && out->n_ord < 32; k++)
            out->ord[out->n_ord++] = r.ord[k];
    }
    cl_result_fini(&r);
    free(use);
    return e;
}

static void
test_loop_across_2038(void)
{
    struct dm_run d;
    struct outcome a, b;
    int past = 0;

    CHECK(DM_EPOCH_S + SHIFT_S < T2038_S);
    CHECK(DM_EPOCH_S + SHIFT_S + RUN_DAYS * DAY_S > T2038_S + 90 * DAY_S);
    if (dm_generate(&d, DM_COFFEE, 3, RUN_DAYS) < 0) {
        TH_FAIL("dm_generate");
        return;
    }
    if (loop(&d, 0, &a) == 0 && loop(&d, SHIFT_S, &b) == 0) {
        CHECK_MSG(a.m.orders >= 2, "%d orders in 2026: nothing to compare", a.m.orders);
        CHECK_EQ_I64(b.m.demand_mg, a.m.demand_mg);
        CHECK_EQ_I64(b.m.lost_mg, a.m.lost_mg);
        CHECK_EQ_I64(b.m.stockout_days, a.m.stockout_days);
        CHECK_EQ_I64(b.m.excess_mg_s, a.m.excess_mg_s);
        CHECK_EQ_I64(b.m.orders, a.m.orders);
        CHECK_EQ_I64(b.m.delivered, a.m.delivered);
        CHECK_EQ_I64(b.m.delivered_mg, a.m.delivered_mg);
        CHECK_EQ_I64(b.m.first_lead_s, a.m.first_lead_s);
        CHECK_EQ_I64((int64_t)b.n_ord, (int64_t)a.n_ord);
        for (size_t k = 0; k < a.n_ord && k < b.n_ord; k++) {
            CHECK_EQ_I64(b.ord[k].placed_s, a.ord[k].placed_s + SHIFT_S);
            CHECK_EQ_I64(b.ord[k].arrive_s,
                         a.ord[k].arrive_s == 0 ? 0 : a.ord[k].arrive_s + SHIFT_S);
            CHECK_EQ_I64(b.ord[k].packs, a.ord[k].packs);
            CHECK_STR_EQ(b.ord[k].state, a.ord[k].state);
            past += b.ord[k].placed_s > T2038_S;
        }
        CHECK_MSG(past >= 1, "no order placed after 2^31 s");
        printf(
            "# %zu orders, %d of them after 2038-01-19; %d stockout days, both runs\n",
            b.n_ord, past, b.m.stockout_days);
    }
    dm_free(&d);
}

/* ---- tokens and their times ---- */

static void
test_tokens(void)
{
    const int64_t iat = INT64_C(2222222222); /* 2040-06-02T03:57:02Z */
    struct message_reorder m = {
        .order_id = "coffee-20400602T035702Z-00000001",
        .device_id = "pantry-1",
        .seq = 1,
        .iat_s = iat,
        .item_id = "coffee",
        .item_name = "Coffee",
        .sku = "",
        .gtin = "",
        .packs = 1,
        .pack_mg = 500000,
        .currency = "EUR",
        .reason = "predicted",
        .stock_mg = 120000,
        .rate_ugpd = 30000000,
        .runout_s = iat + 4 * DAY_S,
        .runout_lo_s = iat + 3 * DAY_S,
        .runout_hi_s = iat + 6 * DAY_S,
        .service_bp = 9500,
    };
    struct keys k;
    uint8_t seed[crypto_sign_SEEDBYTES];
    struct trust *t = NULL;
    struct check_result res;
    char *json = NULL, *tok = NULL;
    int64_t s;
    char text[UTC_TEXT_LEN];

    memset(seed, 0x38, sizeof(seed));
    crypto_sign_seed_keypair(k.pk, k.sk, seed);
    CHECK(trust_new(&t) == 0 && trust_add(t, "pantry-1", k.pk) == 0);
    CHECK(message_reorder_json(&m, &json) == 0);
    CHECK(json != NULL && strstr(json, "\"iat\":2222222222") != NULL);
    CHECK(json != NULL &&
          jws_sign(&k, MESSAGE_TYP_REORDER, json, strlen(json), &tok) == 0);

    struct check_config c = {
        .trust = t, .now_s = iat + 60, .max_age_s = 7 * DAY_S, .max_skew_s = 300};
    if (tok != NULL && t != NULL) {
        CHECK(check_token(&c, tok, strlen(tok), NULL, PAYLOAD_REORDER, &res) == 0);
        CHECK_MSG(res.reason == CHECK_OK, "%s: %s", check_reason_to_str(res.reason),
                  res.detail);
        CHECK_EQ_I64(res.p.iat_s, iat);
        check_result_fini(&res);
        c.now_s = iat + 7 * DAY_S + 1;
        CHECK(check_token(&c, tok, strlen(tok), NULL, PAYLOAD_REORDER, &res) == 0);
        CHECK_STR_EQ(check_reason_to_str(res.reason), "stale");
        check_result_fini(&res);
    }

    utc_format(T2038_S, text, sizeof(text));
    CHECK_STR_EQ(text, "2038-01-19T03:14:08Z");
    CHECK(utc_parse("2038-01-19T03:14:08Z", &s) == 0);
    CHECK_EQ_I64(s, T2038_S);
    CHECK(utc_parse("2106-02-07T06:28:16Z", &s) == 0);
    CHECK_EQ_I64(s, INT64_C(4294967296));
    free(json);
    free(tok);
    trust_free(t);
}

int
main(void)
{
    if (sizeof(time_t) < 8)
        return th_skip("this build has a 32-bit time_t (Debian 12 armhf's ABI): its "
                       "clock stops at 2038-01-19T03:14:07Z");
    RUN(test_clock);
    RUN(test_tokens);
    RUN(test_loop_across_2038);
    return th_done();
}
