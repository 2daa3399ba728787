/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: models/ with arbitrary integers. The input is read as a stream of
 * 8-byte words: parameters, then events and queries. Whatever the values,
 * nothing may overflow (UBSan) and the answers must stay in their documented
 * ranges: rates in [0, MODELS_RATE_MAX_UGPD], runout bounds ordered, packs
 * within the cap.
 */
#include <string.h>

#include "models/forecast.h"
#include "tests/fuzz/fuzz.h"
#include "models/lead.h"
#include "models/policy.h"

struct reader {
    const uint8_t *p;
    size_t n;
};

static int64_t
word(struct reader *r)
{
    uint64_t v = 0;
    size_t k = r->n < 8 ? r->n : 8;
    memcpy(&v, r->p, k);
    r->p += k;
    r->n -= k;
    return (int64_t)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reader r = {data, size};
    struct fc_params p;
    struct fc f;
    memset(&p, 0, sizeof(p));
    p.method = (enum fc_method)((uint64_t)word(&r) % FC_METHOD_COUNT);
    p.half_life_s = word(&r);
    p.trend_half_life_s = word(&r);
    p.damp_half_life_s = word(&r);
    p.overdue_decay = word(&r) & 1;
    int64_t t = word(&r);
    fc_init(&f, t);
    struct lead l;
    int64_t def = word(&r);
    lead_init(&l, def, word(&r));
    while (r.n > 0) {
        int64_t op = word(&r);
        int64_t a = word(&r);
        int64_t b = word(&r);
        int64_t c = word(&r);
        if ((op & 3) == 0) {
            fc_consume(&f, &p, a, b);
        } else if ((op & 3) == 1) {
            struct fc_rate fr;
            fc_rate(&f, &p, a, b, &fr);
            FUZZ_ASSERT(fr.rate_ugpd >= 0 && fr.rate_ugpd <= MODELS_RATE_MAX_UGPD);
            FUZZ_ASSERT(fr.sigma_ugpd >= 0 && fr.sigma_ugpd <= MODELS_RATE_MAX_UGPD);
            FUZZ_ASSERT(fr.interval_s >= 1 && fr.interval_s <= MODELS_DT_MAX_S);
        } else if ((op & 3) == 2) {
            struct runout ro;
            fc_runout(&f, &p, a, (uint32_t)b, c, &ro);
            FUZZ_ASSERT(ro.t_lo_s <= ro.t_mid_s && ro.t_mid_s <= ro.t_hi_s);
        } else {
            /* One word per statement: the order of reads is then fixed. */
            struct policy_in in = {.stock_mg = a, .on_order_mg = b, .rate_ugpd = c};
            in.sigma_ugpd = word(&r);
            in.interval_s = word(&r);
            in.lead_time_s = word(&r);
            in.review_s = word(&r);
            in.cover_s = word(&r);
            in.service_bp = (uint32_t)word(&r);
            in.pack_mg = word(&r);
            in.max_packs = (uint32_t)word(&r);
            struct policy_out out;
            policy_decide(&in, &out);
            FUZZ_ASSERT(out.packs <= in.max_packs);
            FUZZ_ASSERT(out.order == (out.packs > 0));
            FUZZ_ASSERT(!out.order || in.rate_ugpd > 0);
            lead_observe(&l, a, (uint64_t)b);
            FUZZ_ASSERT(lead_plan_s(&l, (int32_t)c) >= 0);
        }
    }
    return 0;
}
