/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Quick checks of the evaluation itself: the trace generator against the
 * generative model README.md documents (numbers written here from the README,
 * not read from tracegen.c), the trace format round trip and its rejection of
 * bad input, one closed-loop run worked out by hand, the forecast policy
 * against the threshold policy on steady use, and the carparts reader and
 * models/' periodic forecasts against R's (carparts-r.csv, written by
 * carparts-holdout.R). Short horizons, so it stays fast under sanitizers.
 */
#include <errno.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/eval/carparts.h"
#include "tests/eval/cpauto.h"
#include "tests/harness.h"
#include "tests/eval/sim.h"
#include "tests/eval/tracegen.h"

#define DAY INT64_C(86400)
#define SEEDS 10
#define DAYS 120

/* From README.md: the everyday use has a mean of 3 doses of 12 g a day. */
#define README_BASE_G_PER_DAY 36.0

static int64_t
day_of(int64_t t_s)
{
    return (t_s - TG_EPOCH_S) / DAY;
}

/* Grams used per day on days [d0, d1) of the traces of scenario s, seeds 1..n. */
static double
mean_use(enum tg_scenario s, int n, int days, int d0, int d1)
{
    double mg = 0.0;
    for (int seed = 1; seed <= n; seed++) {
        struct trace t;
        trace_init(&t);
        CHECK(tg_generate(&t, s, (uint64_t)seed, days) == 0);
        for (size_t i = 0; i < t.n; i++) {
            int64_t d = day_of(t.ev[i].t_s);
            if (t.ev[i].kind == TRACE_USE && d >= d0 && d < d1)
                mg += (double)t.ev[i].mg;
        }
        trace_fini(&t);
    }
    return mg / 1000.0 / n / (d1 - d0);
}

static void
test_steady_rate(void)
{
    double g = mean_use(TG_STEADY, SEEDS, DAYS, 0, DAYS);
    CHECK_NEAR(g, README_BASE_G_PER_DAY, 0.05 * README_BASE_G_PER_DAY);
}

static void
test_holiday_silence(void)
{
    /* README: no use on days 61 .. 74 (2 to 15 March 2024). */
    for (int seed = 1; seed <= SEEDS; seed++) {
        struct trace t;
        trace_init(&t);
        CHECK(tg_generate(&t, TG_HOLIDAY, (uint64_t)seed, DAYS) == 0);
        int before = 0, during = 0, after = 0;
        for (size_t i = 0; i < t.n; i++) {
            int64_t d = day_of(t.ev[i].t_s);
            if (t.ev[i].kind != TRACE_USE)
                continue;
            before += d >= 54 && d < 61;
            during += d >= 61 && d < 75;
            after += d >= 75 && d < 82;
        }
        CHECK_MSG(during == 0, "seed %d: %d uses during the holiday", seed, during);
        CHECK(before > 0 && after > 0);
        trace_fini(&t);
    }
    /* Outside the holiday the use is the everyday one. */
    double g = (mean_use(TG_HOLIDAY, SEEDS, DAYS, 0, 61) * 61 +
                mean_use(TG_HOLIDAY, SEEDS, DAYS, 75, DAYS) * (DAYS - 75)) /
               (DAYS - 14);
    CHECK_NEAR(g, README_BASE_G_PER_DAY, 0.05 * README_BASE_G_PER_DAY);
}

static void
test_laundry_days(void)
{
    /* README: loads on Saturdays or Sundays, starting 09:00 .. 14:00 + 30 min. */
    for (int seed = 1; seed <= SEEDS; seed++) {
        struct trace t;
        trace_init(&t);
        CHECK(tg_generate(&t, TG_LAUNDRY, (uint64_t)seed, DAYS) == 0);
        for (size_t i = 0; i < t.n; i++) {
            if (t.ev[i].kind != TRACE_USE)
                continue;
            int64_t since = t.ev[i].t_s - TG_EPOCH_S;
            int64_t weekday = (since / DAY) % 7, tod = since % DAY;
            CHECK_MSG(weekday == 5 || weekday == 6, "seed %d: a load on weekday %d",
                      seed, (int)weekday);
            CHECK_MSG(tod >= 9 * 3600 && tod < 14 * 3600 + 1800,
                      "seed %d: a load at %d s after midnight", seed, (int)tod);
        }
        trace_fini(&t);
    }
    /* 2.5 loads of 70 g a week. */
    CHECK_NEAR(mean_use(TG_LAUNDRY, SEEDS, DAYS, 0, 119), 2.5 * 70.0 / 7, 0.05 * 25.0);
}

static void
test_guests_week(void)
{
    /* README: days 40 .. 46 have 2.5 times the everyday use. */
    double in = mean_use(TG_GUESTS, SEEDS, DAYS, 40, 47);
    double out = (mean_use(TG_GUESTS, SEEDS, DAYS, 0, 40) * 40 +
                  mean_use(TG_GUESTS, SEEDS, DAYS, 47, DAYS) * (DAYS - 47)) /
                 (DAYS - 7);
    CHECK_NEAR(out, README_BASE_G_PER_DAY, 0.05 * README_BASE_G_PER_DAY);
    CHECK_NEAR(in / out, 2.5, 0.25);
}

static void
test_growing(void)
{
    /* README: mean use 36 g * (1 + d / 180) on day d. */
    double a = mean_use(TG_GROWING, SEEDS, DAYS, 0, 30);
    double b = mean_use(TG_GROWING, SEEDS, DAYS, 90, 120);
    CHECK_NEAR(a, 36.0 * (1.0 + 14.5 / 180.0), 0.05 * a);
    CHECK_NEAR(b, 36.0 * (1.0 + 104.5 / 180.0), 0.05 * b);
}

static void
test_pack_and_refills(void)
{
    /* README: 500 g packs (1 kg for laundry), 200 g from day 60 in "pack"; the */
    /* open-loop household refills exactly when the shelf is empty. */
    for (int s = 0; s < TG_SCENARIO_COUNT; s++) {
        struct trace t;
        trace_init(&t);
        CHECK(tg_generate(&t, (enum tg_scenario)s, 7, DAYS) == 0);
        int64_t stock = 0;
        int refills = 0;
        for (size_t i = 0; i < t.n; i++) {
            const struct trace_event *e = &t.ev[i];
            if (i > 0)
                CHECK(e->t_s >= t.ev[i - 1].t_s);
            CHECK(e->mg > 0);
            if (e->kind == TRACE_USE) {
                stock -= e->mg;
                CHECK(stock >= 0);
                continue;
            }
            CHECK_MSG(stock == 0, "%s: refill with %lld mg on the shelf", t.name,
                      (long long)stock);
            int64_t want = s == TG_LAUNDRY                        ? 1000000
                           : s == TG_PACK && day_of(e->t_s) >= 60 ? 200000
                                                                  : 500000;
            CHECK_EQ_I64(e->mg, want);
            stock += e->mg;
            refills++;
        }
        CHECK(refills >= 2);
        trace_fini(&t);
    }
}

static bool
same_trace(const struct trace *a, const struct trace *b)
{
    if (a->n != b->n || a->start_s != b->start_s || a->end_s != b->end_s ||
        a->seed != b->seed || strcmp(a->name, b->name) != 0)
        return false;
    for (size_t i = 0; i < a->n; i++) {
        if (a->ev[i].t_s != b->ev[i].t_s || a->ev[i].mg != b->ev[i].mg ||
            a->ev[i].kind != b->ev[i].kind)
            return false;
    }
    return true;
}

static void
test_roundtrip_and_determinism(void)
{
    struct trace a, b, c;
    char err[256];
    trace_init(&a);
    trace_init(&b);
    trace_init(&c);
    CHECK(tg_generate(&a, TG_GUESTS, 3, 90) == 0);
    CHECK(tg_generate(&b, TG_GUESTS, 3, 90) == 0);
    CHECK(same_trace(&a, &b));
    trace_fini(&b);
    CHECK(tg_generate(&b, TG_GUESTS, 4, 90) == 0);
    CHECK(!same_trace(&a, &b));
    trace_fini(&b);

    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f == NULL)
        return;
    CHECK(trace_write(&a, f) == 0);
    rewind(f);
    int rc = trace_read(&c, f, "tmp", err, sizeof(err));
    CHECK_MSG(rc == 0, "%s", err);
    CHECK(same_trace(&a, &c));
    fclose(f);
    trace_fini(&a);
    trace_fini(&c);

    CHECK(tg_generate(&a, TG_HOLIDAY, 1, 89) == -EINVAL);
    CHECK(tg_generate(&a, TG_STEADY, 1, 29) == -EINVAL);
    enum tg_scenario s;
    CHECK(tg_scenario_from_str("laundry", &s) == 0 && s == TG_LAUNDRY);
    CHECK(tg_scenario_from_str("Laundry", &s) == -EINVAL);
}

static void
test_trace_rejects(void)
{
    static const struct {
        const char *text;
        const char *where; /* expected in the message */
    } bad[] = {
        {"", "tmp:1: empty file: expected the header \"pantry-trace 1\""},
        {"# only a comment\n",
         "tmp:1: expected the header \"pantry-trace 1\" before the end of the file"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 10",
         "tmp:4: expected a newline at the end of the last line (is the file cut "
         "short?)"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 1\x01\n",
         "tmp:4: control or non-ASCII byte 0x01 in line"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 50 10\nuse 40 1\n",
         "tmp:5: use: expected a time of 50 or later (the previous event's; time never "
         "goes backwards), found 40"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 1x\n",
         "tmp:4: refill: expected milligrams from 1 to 1000000000, found \"1x\""},
        {"use 1 2\n", "tmp:1:"},
        {"pantry-trace 2\n", "tmp:1:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 0 10\nuse 5 11\n", "tmp:5:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 50 10\nuse 40 1\n", "tmp:5:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 101 10\n", "tmp:4:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 0\n", "tmp:4:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 1x\n", "tmp:4:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 1 1\n", "tmp:4:"},
        {"pantry-trace 1\nstart 0\nrefill 1 1\n", "tmp:3:"},
        {"pantry-trace 1\nstart 0\nend 100\nbogus 1 1\n", "tmp:4:"},
        {"pantry-trace 1\nstart 10\nend 5\n", "tmp:3:"},
        {"pantry-trace 1\nstart 0\nend 100\nrefill 1 10\nstart 5\n", "tmp:5:"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char err[256] = "";
        struct trace t;
        size_t len = strlen(bad[i].text);
        FILE *f =
            len > 0 ? fmemopen((void *)bad[i].text, len, "r") : fopen("/dev/null", "r");
        CHECK(f != NULL);
        if (f == NULL)
            continue;
        int rc = trace_read(&t, f, "tmp", err, sizeof(err));
        fclose(f);
        CHECK_MSG(rc == -EINVAL, "case %zu accepted", i);
        CHECK_MSG(strstr(err, bad[i].where) != NULL, "case %zu: \"%s\" lacks \"%s\"", i,
                  err, bad[i].where);
        CHECK(t.n == 0 && t.ev == NULL);
    }
    /* A NUL byte does not hide the rest of its line; a long line is named. */
    {
        static const char nul[] = "pantry-trace 1\nstart 0\nend 100\nrefill 1 10\0 x\n";
        char err[256] = "", big[600];
        struct trace t;
        FILE *f = fmemopen((void *)nul, sizeof(nul) - 1, "r");
        CHECK(f != NULL && trace_read(&t, f, "tmp", err, sizeof(err)) == -EINVAL);
        CHECK_MSG(strcmp(err, "tmp:4: NUL byte in line") == 0, "got \"%s\"", err);
        if (f != NULL)
            fclose(f);
        memset(big, '#', sizeof(big));
        memcpy(big, "pantry-trace 1\n", 15);
        big[sizeof(big) - 1] = '\n';
        f = fmemopen(big, sizeof(big), "r");
        CHECK(f != NULL && trace_read(&t, f, "tmp", err, sizeof(err)) == -EINVAL);
        CHECK_MSG(strcmp(err, "tmp:2: expected a line of at most 510 bytes, found a "
                              "longer one") == 0,
                  "got \"%s\"", err);
        if (f != NULL)
            fclose(f);
    }
    /* Comments, blank lines and CRLF are fine. */
    const char *good = "# x\r\npantry-trace 1\r\n\r\nname x\nseed 3\nstart 0\nend 100\n"
                       "refill 0 10\nuse 5 10\n";
    char err[256] = "";
    struct trace t;
    FILE *f = fmemopen((void *)good, strlen(good), "r");
    CHECK(f != NULL && trace_read(&t, f, "tmp", err, sizeof(err)) == 0);
    CHECK(t.n == 2 && t.seed == 3 && strcmp(t.name, "x") == 0);
    if (f != NULL)
        fclose(f);
    trace_fini(&t);
}

/*
 * One pack of 1 kg, 100 g used every day at noon, 14 days, threshold at 20 %:
 * after day 8's use 100 g are left (< 200 g) and one pack is ordered at day 8
 * noon; day 9's use empties the shelf; the order arrives at day 8.5 + L. Worked
 * out by hand: empty from day 9 noon until then, every noon use before the
 * arrival from day 10 on is lost, and stock never exceeds one pack.
 */
static void
test_closed_loop_by_hand(void)
{
    struct trace t;
    trace_init(&t);
    snprintf(t.name, sizeof(t.name), "hand");
    t.seed = 42;
    t.start_s = TG_EPOCH_S;
    t.end_s = TG_EPOCH_S + 14 * DAY;
    CHECK(trace_push(&t, TRACE_REFILL, t.start_s, 1000000) == 0);
    for (int d = 0; d < 14; d++)
        CHECK(trace_push(&t, TRACE_USE, t.start_s + d * DAY + DAY / 2, 100000) == 0);

    int64_t lead = sim_lead_time_s(t.seed, 0);
    CHECK(lead >= 3 * DAY / 2 && lead < 7 * DAY / 2);
    int64_t arrive = t.start_s + 8 * DAY + DAY / 2 + lead;
    int64_t arrive_day = day_of(arrive);
    int lost = 0;
    for (int d = 10; d < 14; d++)
        lost += t.start_s + d * DAY + DAY / 2 < arrive;

    struct sim_policy pol = {
        .name = "t20", .kind = SIM_POLICY_THRESHOLD, .threshold_pct = 20};
    struct loop_score s;
    CHECK(sim_closed_loop(&t, &pol, &s) == 0);
    CHECK_EQ_I64(s.days, 14);
    CHECK_EQ_I64(s.orders, 1);
    CHECK_EQ_I64(s.packs, 1);
    CHECK_EQ_I64(s.stockout_days, arrive_day - 9 + 1);
    CHECK_EQ_I64(s.demand_mg, 1400000);
    CHECK_EQ_I64(s.lost_mg, lost * 100000);
    CHECK_NEAR(s.excess_pack_days, 0.0, 1e-12);
    trace_fini(&t);
}

/* The documented claim the forecast policy has to live up to on plain use. */
static void
test_forecast_vs_threshold_steady(void)
{
    uint32_t fc_days[SIM_METHOD_COUNT] = {0}, thr_days = 0;
    for (int seed = 1; seed <= 4; seed++) {
        struct trace t;
        trace_init(&t);
        CHECK(tg_generate(&t, TG_STEADY, (uint64_t)seed, DAYS) == 0);
        struct sim_policy thr = {
            .name = "t20", .kind = SIM_POLICY_THRESHOLD, .threshold_pct = 20};
        struct loop_score s;
        CHECK(sim_closed_loop(&t, &thr, &s) == 0);
        thr_days += s.stockout_days;
        CHECK(s.lost_mg <= s.demand_mg);
        for (int m = 0; m < SIM_METHOD_COUNT; m++) {
            struct sim_policy p = {.kind = SIM_POLICY_FORECAST, .p = sim_methods[m].p};
            CHECK(sim_closed_loop(&t, &p, &s) == 0);
            CHECK(s.stockout_days <= s.days && s.lost_mg <= s.demand_mg);
            CHECK(s.orders > 0);
            fc_days[m] += s.stockout_days;
        }
        trace_fini(&t);
    }
    printf("# steady, 4 x %d days: stockout days threshold 20%% %u", DAYS, thr_days);
    for (int m = 0; m < SIM_METHOD_COUNT; m++)
        printf(", %s %u", sim_methods[m].name, fc_days[m]);
    printf("\n");
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        CHECK_MSG(fc_days[m] <= thr_days, "%s: %u stockout days, threshold %u",
                  sim_methods[m].name, fc_days[m], thr_days);
    }
}

/* Every rate-based method should find the documented mean rate of steady use. */
static void
test_rate_steady(void)
{
    for (int m = 0; m < SIM_METHOD_COUNT; m++) {
        double sum = 0.0;
        int n = 0;
        for (int seed = 1; seed <= 4; seed++) {
            struct trace t;
            struct fc f;
            trace_init(&t);
            CHECK(tg_generate(&t, TG_STEADY, (uint64_t)seed, DAYS) == 0);
            fc_init(&f, t.start_s);
            int64_t next = t.start_s + 30 * DAY;
            for (size_t i = 0; i < t.n; i++) {
                /* Daily at midnight after a month of warm-up, like a review. */
                for (; next < t.ev[i].t_s; next += DAY) {
                    struct fc_rate r;
                    fc_rate(&f, &sim_methods[m].p, next, 0, &r);
                    sum += (double)r.rate_ugpd / 1e6;
                    n++;
                }
                if (t.ev[i].kind == TRACE_USE)
                    fc_consume(&f, &sim_methods[m].p, t.ev[i].t_s, t.ev[i].mg);
            }
            trace_fini(&t);
        }
        double mean = sum / n;
        printf("# %s: mean forecast rate %.1f g/day (README: %.0f)\n",
               sim_methods[m].name, mean, README_BASE_G_PER_DAY);
        CHECK_NEAR(mean, README_BASE_G_PER_DAY, 0.1 * README_BASE_G_PER_DAY);
    }
}

static const char *
source_path(const char *rel)
{
    static char path[4096];
    const char *root = getenv("TEST_SOURCE_ROOT");
    snprintf(path, sizeof(path), "%s/%s", root != NULL ? root : ".", rel);
    return path;
}

/*
 * RMSE over the 2,498 series that every R method forecast, of R's own hold-out
 * forecasts (carparts-r.csv), computed by an independent Python one-off from
 * carparts.csv and carparts-r.csv: the root of the mean of all 3 x 2,498
 * squared errors. The issue quotes R at 0.9755 for ses, 1.053 for the mean and
 * 1.106 for the forecast 0 (check_cpauto_carparts()): 1.106 is 1.105884
 * rounded, but no way of scoring R's forecasts we tried gives 0.9755 or 1.053
 * (README.md, "Carparts").
 */
static const double r_rmse_python[CP_METHOD_COUNT] = {
    [CP_NAIVE] = 1.247629,     [CP_SES] = 0.978277,     [CP_HOLT] = 1.132095,
    [CP_HOLT_RPAR] = 1.132095, [CP_CROSTON] = 1.118813, [CP_SBA] = 1.108435,
    [CP_TSB] = 1.006661,
};

static void
check_carparts_rmse(const struct cp_score *sc_c, const struct cp_score *sc_r)
{
    for (int m = 0; m < CP_METHOD_COUNT; m++) {
        if (m == CP_HOLT)
            continue;
        CHECK_EQ_I64(sc_r[m].n, 2498);
        double rc = cp_score_rmse(&sc_c[m]), rr = cp_score_rmse(&sc_r[m]);
        printf("# carparts %s: RMSE C %.6f, R %.6f (Python on R's forecasts %.6f)\n",
               cp_method_to_str(m), rc, rr, r_rmse_python[m]);
        /* The file rounds R to 9 digits; the one-off printed 6 decimals. */
        CHECK_NEAR(rr, r_rmse_python[m], 1e-6);
        /* Forecasts within 1e-5 (5e-4 for Holt) move the RMSE by no more. */
        CHECK_NEAR(rc, rr, m == CP_HOLT_RPAR ? 5e-4 : 1e-5);
    }
}

/*
 * cpauto on a series worked out by hand: twelve months of 1, then 3, 1, 1
 * (n_train 15, so in-sample errors count for the last three months only).
 * naive: errors 2, -2, 0, SSE 8, forecast 1. mean: errors 2, 1 - 15/13, 1 -
 * 16/14, forecast 17/15. SES alpha: level 1 until month 13, errors 2, -2 a,
 * -2 a (1 - a), forecast 1 + 2 a (1 - a)^2: alpha 0.5 gives SSE 5.25 and 1.25,
 * and the smallest alpha of the grid fits best. Pooled ratio over this series
 * alone: one origin (after month 12), actual 3 + 1 + 1 against 3 x 1, so 5/3
 * times SES 0.1's 1.162. The event form on 24 months of 2 units: 2 a month.
 */
static void
test_cpauto_by_hand(void)
{
    double y[15], f[CP_HOLDOUT];
    for (int i = 0; i < 12; i++)
        y[i] = 1.0;
    y[12] = 3.0;
    y[13] = 1.0;
    y[14] = 1.0;
    struct cpa_fit fit;
    struct cpa_panel p;
    cpa_fit(y, 15, &fit);
    int naive = cpa_base(CPA_K_NAIVE, 0), mean = cpa_base(CPA_K_MEAN, 0);
    int ses05 = cpa_base(CPA_K_SES, 5), ses01 = cpa_base(CPA_K_SES, 2);
    CHECK_NEAR(cpa_alpha(5), 0.5, 0.0);
    CHECK_NEAR(cpa_alpha(2), 0.1, 0.0);
    CHECK_NEAR(fit.sse[naive], 8.0, 1e-9);
    CHECK_NEAR(cp_units(fit.fc[naive]), 1.0, 1e-9);
    double m13 = 1.0 - 15.0 / 13.0, m14 = 1.0 - 16.0 / 14.0;
    CHECK_NEAR(fit.sse[mean], 4.0 + m13 * m13 + m14 * m14, 1e-5);
    CHECK_NEAR(cp_units(fit.fc[mean]), 17.0 / 15.0, 1e-6);
    CHECK_NEAR(fit.sse[ses05], 5.25, 1e-5);
    CHECK_NEAR(cp_units(fit.fc[ses05]), 1.25, 1e-6);
    CHECK_NEAR(cp_units(fit.fc[ses01]), 1.162, 1e-6);
    int pick;
    cpa_forecast(&fit, NULL, CPA_SES_FIT, f, &pick);
    CHECK_EQ_I64(pick, cpa_base(CPA_K_SES, 0));
    cpa_panel_init(&p);
    cpa_panel_add(&p, &fit);
    CHECK_NEAR((double)cpa_panel_ratio_q32(&p) / 4294967296.0, 5.0 / 3.0, 1e-9);
    cpa_forecast(&fit, &p, CPA_POOLED_RATIO, f, &pick);
    CHECK_NEAR(f[0], 1.162 * 5.0 / 3.0, 1e-6);
    CHECK_EQ_I64(pick, -1);
    cpa_forecast(&fit, &p, CPA_ZERO, f, NULL);
    CHECK(f[0] == 0.0 && f[CP_HOLDOUT - 1] == 0.0);

    double flat[24];
    for (int i = 0; i < 24; i++)
        flat[i] = 2.0;
    cpa_fit(flat, 24, &fit);
    for (int m = CPA_EVENT_SES; m <= CPA_EVENT_TSB; m++) {
        cpa_forecast(&fit, NULL, (enum cpa_method)m, f, &pick);
        CHECK_MSG(fabs(f[0] - 2.0) <= 1e-5, "%s: %.9g a month, expected 2",
                  cpa_method_to_str((enum cpa_method)m), f[0]);
        CHECK(pick >= 0 && pick < CPA_K_COUNT);
    }
}

/*
 * The automatic methods over the same 2,498 series against an independent
 * Python one-off of them (doubles, no micro-unit rounding): the root of the
 * mean squared error over all series-months. zero is also R's 1.106 (issue 11).
 */
static void
check_cpauto_carparts(const struct cp_data *d, const struct cp_r_row *rr, size_t nr)
{
    static const struct {
        enum cpa_method m;
        double rmse;
    } python[] = {
        {CPA_ZERO, 1.105884},         {CPA_MEAN, 1.055485},  {CPA_SES_FIT, 0.990527},
        {CPA_SELECT, 0.999840},       {CPA_COMB2, 0.986605}, {CPA_COMB3, 1.002473},
        {CPA_POOLED_RATIO, 0.973139},
    };
    bool *use = calloc(d->n > 0 ? d->n : 1, sizeof(*use));
    struct cpa_result x;
    CHECK(use != NULL && nr == d->n);
    if (use == NULL || nr != d->n) {
        free(use);
        return;
    }
    for (size_t i = 0; i < d->n; i++) {
        use[i] = true;
        for (int m = 0; m < CP_R_METHOD_COUNT; m++)
            use[i] &= isfinite(rr[i].f[m][0]);
    }
    if (getenv("TEST_UNDER_VALGRIND") != NULL) {
        /* 2 s of valgrind for all: its memory checks need only a few series. */
        printf("# under valgrind: automatic methods on 250 series, no totals\n");
        CHECK(cpa_evaluate(d->s, 250, use, 2, 1, &x) == 0);
        CHECK(x.n > 200 && x.n <= 250);
        free(use);
        return;
    }
    CHECK(cpa_evaluate(d->s, d->n, use, 1, 1, &x) == 0);
    CHECK_EQ_I64(x.n, 2498);
    CHECK_NEAR(cp_score_rmse(&x.ses), 0.978277, 1e-6);
    for (size_t i = 0; i < sizeof(python) / sizeof(python[0]); i++) {
        double c = cp_score_rmse(&x.score[python[i].m]);
        printf("# carparts %s: RMSE %.6f (Python %.6f)\n",
               cpa_method_to_str(python[i].m), c, python[i].rmse);
        /* Micro-units against doubles: 1e-6 apart; room for a near tie. */
        CHECK_NEAR(c, python[i].rmse, 5e-5);
    }
    CHECK_NEAR(cp_score_rmse(&x.score[CPA_ZERO]), 1.106, 5e-4);
    /* The in-sample ratio of all series: 0.899172 in the one-off. */
    CHECK_NEAR((double)x.ratio_q32 / 4294967296.0, 0.899172, 1e-6);
    free(use);
}

static void
test_carparts(void)
{
    char err[512];
    struct cp_data d;
    int rc = cp_read(th_data("carparts.csv"), &d, err, sizeof(err));
    CHECK_MSG(rc == 0, "%s", err);
    if (rc < 0)
        return;
    /* tests/data/README.md: 2,674 series of 51 months, 6,122 missing values; */
    /* 2,509 complete and 165 of 12 to 14 months (counted with Python, README.md). */
    CHECK_EQ_I64(d.rows, 2674);
    CHECK_EQ_I64(d.months, 51);
    CHECK_EQ_I64(d.na, 6122);
    CHECK_EQ_I64(d.n, 2509);
    CHECK_EQ_I64(d.too_short, 165);
    CHECK_EQ_I64(d.all_na + d.interior, 0);

    struct cp_r_row *rr = NULL;
    size_t nr = 0;
    rc =
        cp_read_r(source_path("tests/eval/carparts-r.csv"), &rr, &nr, err, sizeof(err));
    CHECK_MSG(rc == 0, "%s", err);
    CHECK_EQ_I64(nr, d.n);
    double worst[CP_METHOD_COUNT] = {0};
    struct cp_score sc_c[CP_METHOD_COUNT] = {0}, sc_r[CP_METHOD_COUNT] = {0};
    static const enum cp_r_method r_of[CP_METHOD_COUNT] = {
        CP_R_NAIVE, CP_R_SES, CP_R_HOLT, CP_R_HOLT, CP_R_CROSTON, CP_R_SBA, CP_R_TSB,
    };
    for (size_t i = 0; i < nr && i < d.n; i++) {
        const struct cp_series *s = &d.s[i];
        int n_train = s->n - CP_HOLDOUT;
        CHECK(strcmp(s->part, rr[i].part) == 0 && n_train == rr[i].n_train);
        CHECK_NEAR(cp_naive_scale(s->y, n_train), rr[i].scale, 1e-8);
        /* Scored as README.md says: only where every R method gave a forecast. */
        bool all_r = true;
        for (int m = 0; m < CP_R_METHOD_COUNT; m++)
            all_r &= isfinite(rr[i].f[m][0]);
        for (int m = 0; m < CP_METHOD_COUNT; m++) {
            double f[CP_HOLDOUT];
            if (m == CP_HOLT || !isfinite(rr[i].f[r_of[m]][0]))
                continue;
            cp_forecast(s->y, n_train, (enum cp_method)m, rr[i].holt_alpha,
                        rr[i].holt_beta, f);
            for (int k = 0; k < CP_HOLDOUT; k++) {
                double e = fabs(f[k] - rr[i].f[r_of[m]][k]);
                worst[m] = e > worst[m] ? e : worst[m];
            }
            if (all_r) {
                cp_score_add(&sc_c[m], s->y + n_train, f, 0.0);
                cp_score_add(&sc_r[m], s->y + n_train, rr[i].f[r_of[m]], 0.0);
            }
        }
    }
    check_carparts_rmse(sc_c, sc_r);
    check_cpauto_carparts(&d, rr, nr);
    /*
     * Units are stored as micro-units, so one rounding is 5e-7, and R's file
     * has 9 significant digits: 1e-5 leaves room for the roundings of 48 months.
     * Holt's level integrates the rounding of its trend month after month
     * (measured: 1.7e-4 with micro-units, 1.3e-7 with nano-units; a double
     * version with R's weights matches R to 1e-8), hence 5e-4.
     */
    for (int m = 0; m < CP_METHOD_COUNT; m++) {
        if (m == CP_HOLT)
            continue;
        double tol = m == CP_HOLT_RPAR ? 5e-4 : 1e-5;
        printf("# carparts %s: largest |C - R| forecast %.3g\n", cp_method_to_str(m),
               worst[m]);
        CHECK_MSG(worst[m] <= tol, "%s: C and R differ by %g", cp_method_to_str(m),
                  worst[m]);
    }
    free(rr);
    cp_free(&d);
}

int
main(void)
{
    RUN(test_steady_rate);
    RUN(test_holiday_silence);
    RUN(test_laundry_days);
    RUN(test_guests_week);
    RUN(test_growing);
    RUN(test_pack_and_refills);
    RUN(test_roundtrip_and_determinism);
    RUN(test_trace_rejects);
    RUN(test_closed_loop_by_hand);
    RUN(test_forecast_vs_threshold_steady);
    RUN(test_rate_steady);
    RUN(test_cpauto_by_hand);
    RUN(test_carparts);
    return th_done();
}
