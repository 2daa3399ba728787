/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the saved model state (agent/pipeline/modelstate.h), format 2 text and
 * format 1 bytes. A refused state leaves the model exactly as it was and says
 * why; an accepted one encodes again to text that decodes to the same model
 * (every field in range), and the forecast and policy run on it without
 * tripping the sanitizers.
 */
#include <errno.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "agent/pipeline/modelstate.h"
#include "models/policy.h"

static void
fresh(struct pl_model *m)
{
    memset(m, 0, sizeof(*m));
    lead_init(&m->lead, 2 * 86400, 2 * 86400);
    fc_init(&m->fc, 1790000000);
    dayuse_init(&m->days, 1790000000);
    m->started_ms = 1790000000000;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct fc_params p = {.method = FC_SES, .half_life_s = 14 * 86400};
    struct pl_model m, before, again;
    char err[256], text[MS_TEXT_MAX], text2[MS_TEXT_MAX];

    for (int32_t format = 1; format <= 2; format++) {
        fresh(&m);
        before = m;
        err[0] = '\0';
        int r = ms_decode(format, data, size, &m, err, sizeof(err));
        if (r < 0) {
            FUZZ_ASSERT(r == -EINVAL && err[0] != '\0');
            FUZZ_ASSERT(memcmp(&m, &before, sizeof(m)) == 0);
            continue;
        }
        int n = ms_encode(&m, text, sizeof(text));
        FUZZ_ASSERT(n > 0);
        fresh(&again);
        FUZZ_ASSERT(ms_decode(2, text, (size_t)n, &again, err, sizeof(err)) == 0);
        FUZZ_ASSERT(ms_encode(&again, text2, sizeof(text2)) == n);
        FUZZ_ASSERT(memcmp(text, text2, (size_t)n) == 0);
        struct fc_rate fr;
        fc_rate(&m.fc, &p, m.fc.t_last_s + 3600, 86400, &fr);
        FUZZ_ASSERT(fr.rate_ugpd >= 0 && fr.sigma_ugpd >= 0 && fr.interval_s >= 1);
        fc_consume(&m.fc, &p, m.fc.t_last_s + 3600, 50000);
        struct policy_in in = {.stock_mg = 100000,
                               .rate_ugpd = fr.rate_ugpd,
                               .sigma_ugpd = fr.sigma_ugpd,
                               .interval_s = fr.interval_s,
                               .lead_time_s = lead_plan_s(&m.lead, 107800),
                               .review_s = 86400,
                               .service_bp = 9500,
                               .pack_mg = 500000,
                               .max_packs = 4,
                               .peak_mg =
                                   dayuse_peak_mg(&m.days, m.fc.t_last_s, 3 * 86400)};
        struct policy_out out;
        policy_decide(&in, &out);
        FUZZ_ASSERT(out.packs <= 4);
    }
    return 0;
}
