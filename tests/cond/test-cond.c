/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning on hand-built traces, one per classification case. Each trace is
 * written with the recorder, replayed through the replay source on its virtual
 * clock (ticking at least once a second) and fed to cond_sample/cond_tick; the
 * events must be exactly the hand-derived ones.
 *
 * Common arithmetic of the expectations. Calibration: tare 100000 counts, 1 kg
 * at 200000 counts, so mg = (raw - 100000) * 10 exactly and 1 g = 100 counts.
 * Samples every 100 ms from t = 0. Defaults (cond_config_default): band 2 g,
 * step 3 g, empty 15 g, move 20 g, settle 1.5 s, away 2 min, bad 3 s, no data
 * 5 s, recover 5 s, zero every 60 s, drift 0.5 g/h; pack 500 g, refill at 50 %.
 * A clean step at T is seen by the median of 5 at T + 200 ms (the third sample
 * at the new level), starts a plateau there, and the plateau settles 1.5 s later:
 * an event at T + 1700 ms. The first plateau settles at 1500 ms.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "harness.h"
#include "trace.h"

#define RAW(g) (100000 + (g)*100) /* whole grams to counts */
#define NONE 0xff                 /* no sample in this segment */
#define MAXEV 16

struct seg {
    int64_t t_end; /* samples with t < t_end */
    int32_t raw;
    uint8_t status;
};

struct ev {
    int64_t t_ms;
    enum stock_kind kind;
    int64_t mg;
};

static struct cond_config cfg;
static struct cond_cal cal;

/* Write the segments as a trace, 100 ms apart. */
static FILE *
make_trace(const struct seg *segs, size_t nseg)
{
    FILE *f = tmpfile();
    struct trace_writer w;
    trace_writer_init(&w, f);
    trace_write_channel(&w, 0, "jar");
    int64_t t = 0;
    for (size_t i = 0; i < nseg; i++)
        for (; t < segs[i].t_end; t += 100) {
            if (segs[i].status == NONE)
                continue;
            struct sample s = {
                .t_ms = t, .raw = segs[i].raw, .channel = 0, .status = segs[i].status};
            if (trace_write_sample(&w, &s) != 0)
                TH_FAIL("writing the trace at %lld", (long long)t);
        }
    trace_writer_flush(&w);
    rewind(f);
    return f;
}

/* Replay into a channel; returns the number of events, fills got. */
static size_t
run(const struct seg *segs, size_t nseg, struct cond_channel *ch,
    struct stock_event *got, int64_t *end_ms)
{
    struct sample_source *src = NULL;
    char err[300];
    size_t n = 0;
    CHECK_EQ_I64(cond_init(ch, 0, &cfg, &cal, 0), 0);
    if (trace_replay_open_file(make_trace(segs, nseg), "hand.trace", &src, err,
                               sizeof(err)) != 0) {
        TH_FAIL("%s", err);
        return 0;
    }
    int64_t now = 0, due;
    while ((due = src->ops->next_due_ms(src, now)) != INT64_MAX) {
        now = due < now + 1000 ? due : now + 1000;
        struct stock_event ev[COND_MAX_EVENTS];
        struct sample s[16];
        int k = cond_tick(ch, now, ev, COND_MAX_EVENTS);
        for (int i = 0; i < k && n < MAXEV; i++)
            got[n++] = ev[i];
        int ns = src->ops->read_samples(src, now, s, 16);
        CHECK(ns >= 0);
        for (int j = 0; j < ns; j++) {
            k = cond_sample(ch, &s[j], ev, COND_MAX_EVENTS);
            CHECK(k >= 0);
            for (int i = 0; i < k && n < MAXEV; i++)
                got[n++] = ev[i];
        }
    }
    *end_ms = now;
    sample_source_free(src);
    return n;
}

static void
expect(const char *name, const struct seg *segs, size_t nseg, const struct ev *want,
       size_t nwant, struct cond_channel *ch)
{
    struct stock_event got[MAXEV];
    int64_t end;
    size_t n = run(segs, nseg, ch, got, &end);
    int ok = n == nwant;
    for (size_t i = 0; ok && i < n; i++)
        ok = got[i].t_ms == want[i].t_ms && got[i].kind == want[i].kind &&
             got[i].mg == want[i].mg && got[i].channel == 0;
    if (!ok) {
        TH_FAIL("%s: events differ", name);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  got  %lld %s %lld\n", (long long)got[i].t_ms,
                    stock_kind_to_str((enum stock_kind)got[i].kind),
                    (long long)got[i].mg);
        for (size_t i = 0; i < nwant; i++)
            fprintf(stderr, "  want %lld %s %lld\n", (long long)want[i].t_ms,
                    stock_kind_to_str(want[i].kind), (long long)want[i].mg);
    }
    th_checks++;
}

#define N(a) (sizeof(a) / sizeof(a[0]))
#define OK SAMPLE_OK

static void
test_calibration(void)
{
    struct cond_cal c;
    CHECK_EQ_I64(cond_cal_two_point(&c, 100000, 200000, 1000000), 0);
    CHECK_EQ_I64(cond_cal_mg(&c, 100000), 0);
    CHECK_EQ_I64(cond_cal_mg(&c, 150000), 500000);
    CHECK_EQ_I64(cond_cal_mg(&c, 99999), -10);
    /* Inverted bridge wiring: counts fall as weight rises, 7 counts per 3 g:
     * (-1006 + 1000) * 3000 / -7 = 2571.43, rounded toward 0; the most negative
     * code would be 8387608 * 3000 / 7 mg = 3594 kg, clamped to 1 t. */
    CHECK_EQ_I64(cond_cal_two_point(&c, -1000, -1007, 3000), 0);
    CHECK_EQ_I64(cond_cal_mg(&c, -1006), 2571);
    CHECK_EQ_I64(cond_cal_mg(&c, -8388608), COND_MG_LIMIT);
    CHECK_EQ_I64(cond_cal_two_point(&c, 5, 5, 1000), -EINVAL);
    CHECK_EQ_I64(cond_cal_two_point(&c, 5, 6, 0), -EINVAL);
    /* The clamp: 1 count per 1 t, 8388607 counts would be 8388607 t. */
    CHECK_EQ_I64(cond_cal_two_point(&c, 0, 1, COND_MG_LIMIT), 0);
    CHECK_EQ_I64(cond_cal_mg(&c, 8388607), COND_MG_LIMIT);
    CHECK_EQ_I64(cond_cal_mg(&c, -8388608), -COND_MG_LIMIT);
    struct cond_config bad;
    cond_config_default(&bad, 0);
    CHECK_EQ_I64(cond_config_check(&bad), -EINVAL);
    cond_config_default(&bad, 1000);
    CHECK_EQ_I64(cond_config_check(&bad), 0);
    bad.refill_pct = 101;
    CHECK_EQ_I64(cond_config_check(&bad), -EINVAL);
}

static void
test_consume(void)
{
    struct cond_channel ch;
    const struct seg s[] = {{10000, RAW(800), OK}, {20000, RAW(750), OK}};
    const struct ev w[] = {{11700, STOCK_CONSUME, 50000}};
    expect("consume", s, N(s), w, N(w), &ch);
    int64_t mg, unc;
    CHECK_EQ_I64(cond_weight(&ch, 20000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 750000);
    /* 1000 + 500 mg/h * 20 s = 1000 + 2.78 -> 1002. */
    CHECK_EQ_I64(unc, 1002);
    CHECK(ch.state == COND_STABLE);
}

static void
test_refill(void)
{
    struct cond_channel ch;
    const struct seg s[] = {{10000, RAW(100), OK}, {20000, RAW(600), OK}};
    const struct ev w[] = {{11700, STOCK_REFILL, 500000}};
    expect("refill", s, N(s), w, N(w), &ch);
}

static void
test_rise_below_refill_is_moved(void)
{
    /* +100 g is less than 50 % of a 500 g pack: MOVED at the new weight, no refill. */
    struct cond_channel ch;
    const struct seg s[] = {{10000, RAW(300), OK}, {20000, RAW(400), OK}};
    const struct ev w[] = {{11700, STOCK_MOVED, 400000}};
    expect("rise", s, N(s), w, N(w), &ch);
}

static void
test_lift_and_return(void)
{
    /* Lifted at 10 s (settled empty at 11.7 s), back 60 g lighter at 40 s. */
    struct cond_channel ch;
    const struct seg s[] = {
        {10000, RAW(800), OK}, {40000, RAW(0), OK}, {50000, RAW(740), OK}};
    const struct ev w[] = {{41700, STOCK_CONSUME, 60000}};
    expect("lift-and-return", s, N(s), w, N(w), &ch);
    int64_t mg, unc;
    CHECK_EQ_I64(cond_weight(&ch, 50000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 740000);
}

static void
test_lift_and_top_up(void)
{
    /* Lifted with 100 g, back with 620 g: a refill of 520 g across the lift. */
    struct cond_channel ch;
    const struct seg s[] = {
        {10000, RAW(100), OK}, {40000, RAW(0), OK}, {50000, RAW(620), OK}};
    const struct ev w[] = {{41700, STOCK_REFILL, 520000}};
    expect("lift-and-top-up", s, N(s), w, N(w), &ch);
}

static void
test_away_and_back(void)
{
    /* Lifted at 10 s (empty plateau at 11.7 s); AWAY at 11.7 + 120 s; back at
     * 310 s with 700 g: BACK and CONSUME at 311.7 s. */
    struct cond_channel ch;
    const struct seg s[] = {
        {10000, RAW(800), OK}, {310000, RAW(0), OK}, {320000, RAW(700), OK}};
    const struct ev w[] = {{131700, STOCK_AWAY, 800000},
                           {311700, STOCK_BACK, 700000},
                           {311700, STOCK_CONSUME, 100000}};
    int64_t mg, unc;
    expect("away-and-back", s, N(s), w, N(w), &ch);
    CHECK_EQ_I64(cond_weight(&ch, 320000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 700000);
}

static void
test_away_then_empty_then_new_pack(void)
{
    /* empty_after 10 min: EMPTY at 11.7 + 600 s; a new 520 g pack at 700 s. */
    struct cond_channel ch;
    int64_t saved = cfg.empty_after_ms;
    cfg.empty_after_ms = 600000;
    const struct seg s[] = {
        {10000, RAW(800), OK}, {700000, RAW(0), OK}, {710000, RAW(520), OK}};
    const struct ev w[] = {{131700, STOCK_AWAY, 800000},
                           {611700, STOCK_EMPTY, 800000},
                           {701700, STOCK_REFILL, 520000}};
    expect("away-empty-refill", s, N(s), w, N(w), &ch);
    cfg.empty_after_ms = saved;
}

static void
test_bump(void)
{
    /* 300 g more for three samples (10.0-10.2 s): the median shows 1100 g from
     * 10.2 to 10.4 s and 800 g again from 10.5 s, which settles at 12.0 s. */
    struct cond_channel ch;
    const struct seg s[] = {
        {10000, RAW(800), OK}, {10300, RAW(1100), OK}, {20000, RAW(800), OK}};
    const struct ev w[] = {{12000, STOCK_MOVED, 800000}};
    expect("bump", s, N(s), w, N(w), &ch);
}

static void
test_spikes_and_garbage(void)
{
    /* One 2 kg spike (median rejects it), single saturated, invalid, timeout and
     * EIO samples, and a raw saturation code with status ok: no event at all. */
    struct cond_channel ch;
    const struct seg s[] = {{10000, RAW(800), OK}, {10100, RAW(2000), OK},
                            {12000, RAW(800), OK}, {12100, 0, SAMPLE_SATURATED},
                            {14000, RAW(800), OK}, {14100, 0, SAMPLE_INVALID},
                            {14200, RAW(800), OK}, {14300, 0, SAMPLE_TIMEOUT},
                            {14400, RAW(800), OK}, {14500, 8388607, OK},
                            {16000, RAW(800), OK}, {16100, 0, SAMPLE_EIO},
                            {20000, RAW(800), OK}};
    expect("spikes", s, N(s), NULL, 0, &ch);
    int64_t mg, unc;
    CHECK_EQ_I64(cond_weight(&ch, 20000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 800000);
}

static void
test_fault_eio(void)
{
    /* Bad samples from 10 s: FAULT at 13 s (bad for 3 s); good again at 20 s but
     * 20 g lighter: FAULT_END at 25 s with the new weight and no consumption. */
    struct cond_channel ch;
    const struct seg s[] = {{10000, RAW(800), OK},
                            {12000, 0, SAMPLE_EIO},
                            {13000, 0, SAMPLE_SATURATED},
                            {16000, 0, SAMPLE_TIMEOUT},
                            {20000, RAW(5000000 / 100), OK}, /* 50 kg: impossible */
                            {30000, RAW(780), OK}};
    const struct ev w[] = {{13000, STOCK_FAULT, 800000},
                           {25000, STOCK_FAULT_END, 780000}};
    int64_t mg, unc;
    expect("fault-eio", s, N(s), w, N(w), &ch);
    CHECK_EQ_I64(cond_weight(&ch, 30000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 780000);
}

static void
test_fault_no_data(void)
{
    /* Last sample at 9.9 s; the driver ticks a second after it, and every second:
     * 10.9, ..., 14.9 s, when no data has come for 5 s: FAULT at 14.9 s. Samples
     * again at 20 s, 40 g lighter: FAULT_END at 25 s, no consumption. */
    struct cond_channel ch;
    const struct seg s[] = {
        {10000, RAW(800), OK}, {20000, 0, NONE}, {30000, RAW(760), OK}};
    const struct ev w[] = {{14900, STOCK_FAULT, 800000},
                           {25000, STOCK_FAULT_END, 760000}};
    int64_t mg, unc;
    expect("fault-nodata", s, N(s), w, N(w), &ch);
    /* During the fault the weight is the last trusted one, with -EIO. */
    const struct seg s2[] = {{10000, RAW(800), OK}, {20000, 0, SAMPLE_EIO}};
    const struct ev w2[] = {{13000, STOCK_FAULT, 800000}};
    expect("fault-open", s2, N(s2), w2, N(w2), &ch);
    CHECK_EQ_I64(cond_weight(&ch, 20000, &mg, &unc), -EIO);
    CHECK_EQ_I64(mg, 800000);
}

static void
test_zero_tracking(void)
{
    /* Empty platform reading +1 g: settled at 1.5 s; at 60 s (zero_every after
     * init at 0) the zero takes the 1 g. A 500 g pack then reads 501 g raw and is
     * a REFILL of exactly 500 g at 101.7 s. */
    struct cond_channel ch;
    const struct seg s[] = {{100000, RAW(1), OK}, {110000, RAW(501), OK}};
    const struct ev w[] = {{101700, STOCK_REFILL, 500000}};
    int64_t mg, unc;
    expect("zero", s, N(s), w, N(w), &ch);
    CHECK_EQ_I64(ch.zero_mg, 1000);
    CHECK_EQ_I64(ch.zero_at_ms, 60000);
    CHECK_EQ_I64(cond_weight(&ch, 110000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 500000);
    /* 1000 + 500 * 50 s / 3600 s = 1006.9 -> 1006; an hour later 1000 + 500. */
    CHECK_EQ_I64(unc, 1006);
    CHECK_EQ_I64(cond_weight(&ch, 60000 + 3600000, &mg, &unc), 0);
    CHECK_EQ_I64(unc, 1500);
    /* The drift stops at 10 bands of 2 g: 1 g + 20 g, reached after 40 h. */
    CHECK_EQ_I64(cond_weight(&ch, 60000 + 39 * 3600000, &mg, &unc), 0);
    CHECK_EQ_I64(unc, 1000 + 19500);
    CHECK_EQ_I64(cond_weight(&ch, 60000 + 41 * 3600000, &mg, &unc), 0);
    CHECK_EQ_I64(unc, 21000);
    CHECK_EQ_I64(cond_weight(&ch, INT64_C(60000) + INT64_C(3000) * 3600000, &mg, &unc), 0);
    CHECK_EQ_I64(unc, 21000);

    /* A loaded platform never moves the zero. */
    const struct seg s2[] = {{100000, RAW(801), OK}};
    expect("no-zero-loaded", s2, N(s2), NULL, 0, &ch);
    CHECK_EQ_I64(ch.zero_mg, 0);
    CHECK_EQ_I64(ch.weight_mg, 801000);
}

static void
test_slow_creep_is_not_a_step(void)
{
    /* Creep of 1 count (10 mg) per second for 10 minutes: 6 g in all, far more
     * than the 3 g step, yet never a step: no events, and the settled weight
     * follows it to within the 2 g band. */
    enum { N_SEG = 600 };
    static struct seg s[N_SEG + 2];
    struct cond_channel ch;
    s[0] = (struct seg){10000, RAW(800), OK};
    for (int i = 0; i < N_SEG; i++)
        s[i + 1] = (struct seg){10000 + (i + 1) * 1000, RAW(800) + i + 1, OK};
    s[N_SEG + 1] = (struct seg){10000 + N_SEG * 1000 + 10000, RAW(800) + N_SEG, OK};
    expect("creep", s, N_SEG + 2, NULL, 0, &ch);
    CHECK(ch.weight_mg >= 806000 - 2000 && ch.weight_mg <= 806000);
}

static void
test_bad_args(void)
{
    struct cond_channel ch;
    struct stock_event ev[COND_MAX_EVENTS];
    struct sample s = {.t_ms = 0, .raw = RAW(1), .status = SAMPLE_OK};
    struct cond_cal bad = {.raw_zero = 0, .span_raw = 0, .span_mg = 1};
    int64_t mg, unc;
    CHECK_EQ_I64(cond_init(&ch, 0, &cfg, &bad, 0), -EINVAL);
    CHECK_EQ_I64(cond_init(&ch, 3, &cfg, &cal, 0), 0);
    CHECK_EQ_I64(cond_sample(&ch, &s, ev, COND_MAX_EVENTS - 1), -EINVAL);
    CHECK_EQ_I64(cond_tick(&ch, 0, ev, 1), -EINVAL);
    CHECK_EQ_I64(cond_weight(&ch, 0, &mg, &unc), -EAGAIN);
    CHECK(strcmp(cond_state_to_str(COND_AWAY), "away") == 0);
    CHECK(strcmp(cond_state_to_str((enum cond_state)9), "?") == 0);
}

int
main(void)
{
    cond_config_default(&cfg, 500000);
    if (cond_cal_two_point(&cal, 100000, 200000, 1000000) != 0)
        return 1;
    RUN(test_calibration);
    RUN(test_consume);
    RUN(test_refill);
    RUN(test_rise_below_refill_is_moved);
    RUN(test_lift_and_return);
    RUN(test_lift_and_top_up);
    RUN(test_away_and_back);
    RUN(test_away_then_empty_then_new_pack);
    RUN(test_bump);
    RUN(test_spikes_and_garbage);
    RUN(test_fault_eio);
    RUN(test_fault_no_data);
    RUN(test_zero_tracking);
    RUN(test_slow_creep_is_not_a_step);
    RUN(test_bad_args);
    return th_done();
}
