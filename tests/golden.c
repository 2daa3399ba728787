/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The golden vector generator (see golden.h). Inputs come from a fixed splitmix64
 * stream, so the file never depends on the machine that writes it.
 */
#include "tests/golden.h"

#include <inttypes.h>

#include "models/croston.h"
#include "models/forecast.h"
#include "models/fx.h"
#include "tests/harness.h"
#include "models/holt.h"
#include "models/lead.h"
#include "models/policy.h"
#include "models/quantile.h"
#include "models/runout.h"
#include "models/ses.h"

#define DAY INT64_C(86400)

static int64_t
pick(uint64_t *rng, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(th_rand(rng) % (uint64_t)(hi - lo + 1));
}

/*
 * th_rand(rng) >> (th_rand(rng) % 64) in one expression would leave the order of
 * the two draws to the compiler (C11 6.5p3), and so would several draws in one
 * initializer list (6.7.9p23): every draw here is its own statement.
 */
static uint64_t
rand_bits(uint64_t *rng)
{
    uint64_t v = th_rand(rng);
    unsigned shift = (unsigned)(th_rand(rng) % 64);
    return v >> shift;
}

static void
write_fx(FILE *out, uint64_t *rng)
{
    for (int i = 0; i < 64; i++) {
        uint64_t x = rand_bits(rng);
        fprintf(out, "exp2 %" PRIu64 " %" PRIu64 "\n", x, fx_exp2_neg_q32(x));
    }
    for (int i = 0; i < 64; i++) {
        int64_t dt = pick(rng, 0, 3 * 365 * DAY), hl = pick(rng, 1, 365 * DAY);
        fprintf(out, "alpha %" PRId64 " %" PRId64 " %" PRIu64 " %" PRIu64 "\n", dt, hl,
                fx_alpha_q32(dt, hl), fx_decay_q32(dt, hl));
    }
    for (int i = 0; i < 64; i++) {
        int64_t a = (int64_t)rand_bits(rng);
        int64_t b = -(int64_t)(rand_bits(rng) >> 1);
        int64_t c = (int64_t)(rand_bits(rng) >> 1) | 1;
        uint64_t w = rand_bits(rng);
        fprintf(out,
                "arith %" PRId64 " %" PRId64 " %" PRId64 " %" PRIu64 " -> %" PRId64
                " %" PRId64 " %" PRId64 " %" PRIu64 "\n",
                a, b, c, w, fx_mul_q32(a, w), fx_muldiv(a, b, c), fx_div_round(a, c),
                fx_isqrt((uint64_t)a));
    }
    for (uint32_t bp = 4900; bp <= 10000; bp += 37)
        fprintf(out, "quantile %" PRIu32 " %" PRId32 "\n", bp, quant_normal_q16(bp));
}

/* Every fc method over seeded event sequences; one line per event. */
static void
write_forecasts(FILE *out, uint64_t *rng)
{
    for (int m = 0; m < FC_METHOD_COUNT; m++)
        for (int seq = 0; seq < 4; seq++) {
            struct fc_params p = {.method = (enum fc_method)m,
                                  .overdue_decay = seq != 3};
            p.half_life_s = pick(rng, 3600, 60 * DAY);
            p.trend_half_life_s = pick(rng, DAY, 90 * DAY);
            p.damp_half_life_s = seq % 2 ? pick(rng, DAY, 90 * DAY) : 0;
            fprintf(out, "fc %s hl=%" PRId64 " thl=%" PRId64 " dhl=%" PRId64 " od=%d\n",
                    fc_method_to_str(p.method), p.half_life_s, p.trend_half_life_s,
                    p.damp_half_life_s, p.overdue_decay);
            struct fc f;
            int64_t t = 1700000000;
            int64_t scale = pick(rng, 60, 7 * DAY);
            fc_init(&f, t);
            for (int e = 0; e < 40; e++) {
                t += 1 + (int64_t)(th_rand(rng) % (uint64_t)(2 * scale));
                int64_t mg = pick(rng, 0, 2000000);
                fc_consume(&f, &p, t, mg);
                struct fc_rate r;
                struct runout ro;
                int64_t now = t + pick(rng, 0, 3 * scale);
                fc_rate(&f, &p, now, pick(rng, 0, 10 * DAY), &r);
                fc_runout(&f, &p, pick(rng, 0, 5000000), 9500, now, &ro);
                fprintf(out,
                        " %" PRId64 " %" PRId64 " -> %" PRId64 " %" PRId64 " %" PRId64
                        " | %" PRId64 " %" PRId64 " %" PRId64 "\n",
                        t, mg, r.rate_ugpd, r.sigma_ugpd, r.interval_s, ro.t_lo_s,
                        ro.t_mid_s, ro.t_hi_s);
            }
        }
}

/* The periodic forms on a seeded intermittent series. */
static void
write_periodic(FILE *out, uint64_t *rng)
{
    struct ses s;
    struct holt h;
    struct holt_step w;
    struct croston c[3];
    uint64_t alpha = th_rand(rng) >> 32, beta = th_rand(rng) >> 34;
    ses_init(&s);
    holt_init(&h);
    holt_step_periodic(&w, alpha, beta, MODELS_Q32_ONE - (th_rand(rng) >> 36));
    for (int v = 0; v < 3; v++)
        croston_init(&c[v]);
    for (int i = 0; i < 60; i++) {
        int64_t y = th_rand(rng) % 3 == 0 ? pick(rng, 1, 9) * 1000000 : 0;
        ses_update(&s, y, alpha);
        holt_update(&h, y, &w);
        fprintf(out, "periodic %" PRId64 " -> %" PRId64 " %" PRId64 " %" PRId64, y,
                ses_forecast(&s), holt_forecast(&h, w.growth_q32), h.mad);
        for (int v = 0; v < 3; v++) {
            croston_period(&c[v], (enum croston_variant)v, y, alpha, beta);
            fprintf(out, " %" PRId64,
                    croston_forecast_period(&c[v], (enum croston_variant)v, alpha));
        }
        fputc('\n', out);
    }
}

static void
write_policy(FILE *out, uint64_t *rng)
{
    for (int i = 0; i < 64; i++) {
        struct policy_in in;
        in.stock_mg = pick(rng, 0, 3000000);
        in.on_order_mg = i % 4 == 0 ? pick(rng, 0, 1000000) : 0;
        in.rate_ugpd = pick(rng, 0, 500000000);
        in.sigma_ugpd = pick(rng, 0, 300000000);
        in.interval_s = pick(rng, 60, 14 * DAY);
        in.lead_time_s = pick(rng, 0, 10 * DAY);
        in.review_s = pick(rng, 0, 2 * DAY);
        in.cover_s = pick(rng, 0, 30 * DAY);
        in.service_bp = (uint32_t)pick(rng, 5000, 9999);
        in.pack_mg = pick(rng, 1, 2000000);
        in.max_packs = (uint32_t)pick(rng, 0, 5);
        in.peak_mg = i % 3 == 0 ? pick(rng, 0, 3000000) : 0;
        struct policy_out o;
        policy_decide(&in, &o);
        fprintf(out,
                "policy %d -> %d %" PRIu32 " %" PRId64 " %" PRId64 " %" PRId64 "\n", i,
                o.order, o.packs, o.position_mg, o.reorder_point_mg, o.order_up_to_mg);
    }
    struct lead l;
    lead_init(&l, 3 * DAY, DAY);
    for (int i = 0; i < 16; i++) {
        /* Two draws, two statements: as arguments of one call their order would
         * be the compiler's (GCC for ARM and for x86-64 differ). This is the
         * order x86-64 used when golden/models.txt was written. */
        uint64_t w = th_rand(rng) >> 32;
        int64_t obs = pick(rng, DAY, 9 * DAY);
        lead_observe(&l, obs, w);
        fprintf(out, "lead %" PRId64 " %" PRId64 " %" PRId64 "\n", l.mean_s, l.var_s2,
                lead_plan_s(&l, 107800));
    }
}

void
golden_write(FILE *out)
{
    uint64_t rng = 20261125;
    fprintf(out, "# pantry-agent models/ golden vectors v1 (tests/golden.c)\n");
    write_fx(out, &rng);
    write_forecasts(out, &rng);
    write_periodic(out, &rng);
    write_policy(out, &rng);
}
