/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning on hand-built traces, one per case: a single platform (takes,
 * refills, lifts, faults, zero tracking, slow loss) and several platforms judged
 * as one shelf (moves, straddles, a cat, loads set down and taken away). Each
 * trace is written with the recorder, replayed through the replay source on its
 * virtual clock (ticking at least once a second) and fed to shelf_sample /
 * shelf_tick; the events must be exactly the hand-derived ones.
 *
 * Common arithmetic of the expectations. Calibration: tare 100000 counts, 1 kg
 * at 200000 counts, so mg = (raw - 100000) * 10 exactly and 1 g = 100 counts.
 * Samples every 100 ms from t = 0 on every platform; a live ADC never repeats
 * its code, so each sample carries a dither of -1, 0 or +1 count (10 mg) in turn,
 * which the median of 5 takes out exactly. Defaults (cond_config_default): band
 * 2 g, step 3 g, empty 15 g, move 20 g, plateau 1.5 s, settle 120 s, move window
 * 10 s, refill hold 30 min, away 2 min, bad 3 s, stuck 3 s, no data 5 min,
 * recover 5 s, zero every 60 s, drift 0.5 g/h; pack 500 g, refill at 50 %, no
 * container. A clean step at T is seen by the median of 5 at T + 200 ms (the
 * third sample at the new level): the episode opens there, and its last level,
 * held from T + 200 ms, settles 120 s later: an event at T + 120200 ms. The
 * first level settles at 120 s, so every trace holds still for 130 s first.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/cond.h"
#include "tests/harness.h"
#include "sensors/cond/shelf.h"
#include "sensors/cond/trace.h"

#define RAW(g) (100000 + (g)*100) /* whole grams to counts */
#define NONE 0xff                 /* no sample in this segment */
#define STUCK 0xfe                /* status ok, the code exactly, no dither */
#define MAXEV 64
#define T0 130000 /* every trace starts still for this long */

struct seg {
    int64_t t_end; /* samples with t < t_end */
    int32_t raw;
    uint8_t status;
};

struct lane {
    const struct seg *s;
    size_t n;
};

struct ev {
    int64_t t_ms;
    unsigned channel;
    enum stock_kind kind;
    int64_t mg;
    unsigned flags;
};

static struct cond_config cfg;
static struct cond_cal cal;

/* The segment of lane l holding time t, or NULL after its end. */
static const struct seg *
seg_at(const struct lane *l, int64_t t)
{
    for (size_t i = 0; i < l->n; i++)
        if (t < l->s[i].t_end)
            return &l->s[i];
    return NULL;
}

/* Write the lanes as a trace, every lane sampled every 100 ms. */
static FILE *
make_trace(const struct lane *lanes, unsigned nl)
{
    FILE *f = tmpfile();
    struct trace_writer w;
    char name[16];
    int64_t end = 0;

    trace_writer_init(&w, f);
    for (unsigned c = 0; c < nl; c++) {
        snprintf(name, sizeof(name), "p%u", c);
        trace_write_channel(&w, c, name);
        if (lanes[c].n > 0 && lanes[c].s[lanes[c].n - 1].t_end > end)
            end = lanes[c].s[lanes[c].n - 1].t_end;
    }
    for (int64_t t = 0; t < end; t += 100)
        for (unsigned c = 0; c < nl; c++) {
            const struct seg *g = seg_at(&lanes[c], t);
            if (g == NULL || g->status == NONE)
                continue;
            struct sample s = {.t_ms = t,
                               .raw = g->raw,
                               .channel = (uint16_t)c,
                               .status = g->status == STUCK ? SAMPLE_OK : g->status};
            if (g->status == SAMPLE_OK)
                s.raw += (int32_t)((t / 100) % 3) - 1;
            if (trace_write_sample(&w, &s) != 0)
                TH_FAIL("writing the trace at %lld", (long long)t);
        }
    trace_writer_flush(&w);
    rewind(f);
    return f;
}

/* Replay the lanes into a shelf of nl platforms; returns the events into got. */
static size_t
run(const struct lane *lanes, unsigned nl, struct shelf *sh, struct stock_event *got)
{
    struct sample_source *src = NULL;
    struct stock_event ev[SHELF_MAX_EVENTS];
    char err[300];
    size_t n = 0;

    shelf_init(sh);
    for (unsigned c = 0; c < nl; c++)
        CHECK_EQ_I64(shelf_add(sh, (uint16_t)c, &cfg, &cal, 0), 0);
    if (trace_replay_open_file(make_trace(lanes, nl), "hand.trace", &src, err,
                               sizeof(err)) != 0) {
        TH_FAIL("%s", err);
        return 0;
    }
    int64_t now = 0, due;
    while ((due = src->ops->next_due_ms(src, now)) != INT64_MAX) {
        now = due < now + 1000 ? due : now + 1000;
        struct sample s[16];
        if (shelf_next_due_ms(sh) <= now) {
            int k = shelf_tick(sh, now, ev);
            for (int i = 0; i < k && n < MAXEV; i++)
                got[n++] = ev[i];
        }
        int ns = src->ops->read_samples(src, now, s, 16);
        CHECK(ns >= 0);
        for (int j = 0; j < ns; j++) {
            int k = shelf_sample(sh, &s[j], ev);
            for (int i = 0; i < k && n < MAXEV; i++)
                got[n++] = ev[i];
        }
    }
    sample_source_free(src);
    return n;
}

static void
expect_lanes(const char *name, const struct lane *lanes, unsigned nl,
             const struct ev *want, size_t nwant, struct shelf *sh)
{
    struct stock_event got[MAXEV];
    size_t n = run(lanes, nl, sh, got);
    int ok = n == nwant;
    for (size_t i = 0; ok && i < n; i++)
        ok = got[i].t_ms == want[i].t_ms && got[i].kind == want[i].kind &&
             got[i].mg == want[i].mg && got[i].channel == want[i].channel &&
             got[i].flags == want[i].flags;
    if (!ok) {
        TH_FAIL("%s: events differ", name);
        for (size_t i = 0; i < n; i++)
            fprintf(stderr, "  got  %lld p%u %s %lld flags %u\n",
                    (long long)got[i].t_ms, got[i].channel,
                    stock_kind_to_str((enum stock_kind)got[i].kind),
                    (long long)got[i].mg, got[i].flags);
        for (size_t i = 0; i < nwant; i++)
            fprintf(stderr, "  want %lld p%u %s %lld flags %u\n",
                    (long long)want[i].t_ms, want[i].channel,
                    stock_kind_to_str(want[i].kind), (long long)want[i].mg,
                    want[i].flags);
    }
    th_checks++;
}

/* One platform. */
static void
expect(const char *name, const struct seg *segs, size_t nseg, const struct ev *want,
       size_t nwant, struct shelf *sh)
{
    struct lane l = {segs, nseg};
    expect_lanes(name, &l, 1, want, nwant, sh);
}

static int64_t
stock(const struct shelf *sh, unsigned ch, int64_t now, int want_r)
{
    int64_t mg = -1, unc;
    CHECK_EQ_I64(shelf_stock(sh, (uint16_t)ch, now, &mg, &unc), want_r);
    return mg;
}

#define N(a) (sizeof(a) / sizeof(a[0]))
#define OK SAMPLE_OK
#define LANES(...) ((const struct lane[]){__VA_ARGS__})
#define L(a)                                                                           \
    {                                                                                  \
        a, N(a)                                                                        \
    }

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
    cond_config_default(&bad, 1000);
    bad.settle_ms = bad.plateau_ms - 1;
    CHECK_EQ_I64(cond_config_check(&bad), -EINVAL);
    /* The largest refill: 3 packs and a tenth (1650 g) and the container, unless set. */
    cond_config_default(&bad, 500000);
    bad.container_mg = 250000;
    CHECK_EQ_I64(cond_refill_max_mg(&bad), 1900000);
    bad.refill_max_mg = 900000;
    CHECK_EQ_I64(cond_refill_max_mg(&bad), 900000);
}

static void
test_consume(void)
{
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(800), OK}, {T0 + 130000, RAW(750), OK}};
    const struct ev w[] = {{T0 + 120200, 0, STOCK_CONSUME, 50000, 0}};
    expect("consume", s, N(s), w, N(w), &sh);
    /* 1000 + 500 mg/h * 260 s = 1000 + 36.1 -> 1036. */
    int64_t mg, unc;
    CHECK_EQ_I64(shelf_stock(&sh, 0, 260000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 750000);
    CHECK_EQ_I64(unc, 1036);
    CHECK(sh.p[0].ch.state == COND_QUIET);
    /* Before it settled, the stock was the one before, and not settled. */
    const struct seg s2[] = {{T0, RAW(800), OK}, {T0 + 60000, RAW(750), OK}};
    expect("consume-open", s2, N(s2), NULL, 0, &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 60000, -EBUSY), 800000);
}

static void
test_quick_takes_are_one(void)
{
    /* Three scoops of 12, 20 and 8 g within 30 s: one take of 40 g, 120.2 s
     * after the last. */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(800), OK},
                            {T0 + 10000, RAW(788), OK},
                            {T0 + 25000, RAW(768), OK},
                            {T0 + 200000, RAW(760), OK}};
    const struct ev w[] = {{T0 + 25000 + 120200, 0, STOCK_CONSUME, 40000, 0}};
    expect("scoops", s, N(s), w, N(w), &sh);
}

static void
test_refill_held(void)
{
    /* +500 g settles at T0 + 120.2 s and counts as stock at once; REFILL after
     * the 30 min hold, at T0 + 120.2 s + 1800 s. */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(100), OK}, {T0 + 2000000, RAW(600), OK}};
    const struct ev w[] = {{T0 + 120200 + 1800000, 0, STOCK_REFILL, 500000, 0}};
    expect("refill", s, N(s), w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 2000000, 0), 600000);
}

static void
test_load_set_down_and_taken_away(void)
{
    /* A 1.5 kg bag (three packs' weight) stands 20 min, less than the hold: no
     * refill, and its going is no take. A 180 g phone (too small for a refill)
     * stands 5 min: MOVED when it came and when it left. */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(800), OK},
                            {T0 + 1200000, RAW(2300), OK},
                            {T0 + 1500000, RAW(800), OK},
                            {T0 + 1800000, RAW(980), OK},
                            {T0 + 2100000, RAW(800), OK}};
    const struct ev w[] = {
        {T0 + 1200000 + 120200, 0, STOCK_MOVED, 800000, STOCK_F_LEFT},
        {T0 + 1500000 + 120200, 0, STOCK_MOVED, 980000, 0},
        {T0 + 1800000 + 120200, 0, STOCK_MOVED, 800000, STOCK_F_LEFT}};
    expect("set-down", s, N(s), w, N(w), &sh);
}

static void
test_lift_and_return(void)
{
    /* Lifted at T0, back 60 g lighter 30 s later: one take, from the return. */
    struct shelf sh;
    const struct seg s[] = {
        {T0, RAW(800), OK}, {T0 + 30000, RAW(0), OK}, {T0 + 200000, RAW(740), OK}};
    const struct ev w[] = {{T0 + 30000 + 120200, 0, STOCK_CONSUME, 60000, 0}};
    expect("lift-and-return", s, N(s), w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 200000, 0), 740000);
}

static void
test_lift_and_top_up_then_packaging(void)
{
    /* Lifted with 100 g, back with 620 g: a refill of 520 g across the lift, at
     * once (nothing transient lifts the jar). Its 20 g over a whole pack are
     * remembered: the empty bag taken away later is no take. */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(100), OK},
                            {T0 + 30000, RAW(0), OK},
                            {T0 + 300000, RAW(620), OK},
                            {T0 + 500000, RAW(600), OK}};
    const struct ev w[] = {
        {T0 + 30000 + 120200, 0, STOCK_REFILL, 520000, 0},
        {T0 + 300000 + 120200, 0, STOCK_MOVED, 600000, STOCK_F_LEFT}};
    expect("top-up", s, N(s), w, N(w), &sh);
}

static void
test_away_and_back(void)
{
    /* Lifted at T0 (the episode opens at T0 + 0.2 s) and not back when the
     * empty level settles at T0 + 120.2 s: in hand since T0 + 0.2 s, AWAY at
     * once (2 min since). Back at T0 + 600 s with 700 g, to a platform that
     * drifted 4 g meanwhile (the zero follows it): BACK and a take of 100 g. */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(800), OK},
                            {T0 + 300000, RAW(0), OK},
                            {T0 + 400000, RAW(2), OK},
                            {T0 + 600000, RAW(4), OK},
                            {T0 + 800000, RAW(704), OK}};
    const struct ev w[] = {{T0 + 120200, 0, STOCK_AWAY, 800000, 0},
                           {T0 + 600000 + 120200, 0, STOCK_BACK, 700000, 0},
                           {T0 + 600000 + 120200, 0, STOCK_CONSUME, 100000, 0}};
    expect("away-and-back", s, N(s), w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 800000, 0), 700000);
    CHECK_EQ_I64(sh.p[0].ch.zero_mg, 4000);
}

static void
test_away_then_empty_then_new_pack(void)
{
    /* empty_after 10 min: EMPTY at T0 + 0.2 s + 600 s; a new 520 g pack at
     * T0 + 700 s settles at T0 + 820.2 s and counts after the hold. */
    struct shelf sh;
    int64_t saved = cfg.empty_after_ms;
    cfg.empty_after_ms = 600000;
    const struct seg s[] = {
        {T0, RAW(800), OK}, {T0 + 700000, RAW(0), OK}, {T0 + 2800000, RAW(520), OK}};
    const struct ev w[] = {{T0 + 120200, 0, STOCK_AWAY, 800000, 0},
                           {T0 + 600200, 0, STOCK_EMPTY, 800000, 0},
                           {T0 + 820200 + 1800000, 0, STOCK_REFILL, 520000, 0}};
    expect("away-empty-refill", s, N(s), w, N(w), &sh);
    cfg.empty_after_ms = saved;
}

static void
test_bump(void)
{
    /* 300 g more for three samples (T0 .. T0 + 0.2 s): the median shows it from
     * T0 + 0.2 to T0 + 0.4 s, 800 g again from T0 + 0.5 s, held 120 s later. */
    struct shelf sh;
    const struct seg s[] = {
        {T0, RAW(800), OK}, {T0 + 300, RAW(1100), OK}, {T0 + 200000, RAW(800), OK}};
    const struct ev w[] = {{T0 + 500 + 120000, 0, STOCK_MOVED, 800000, 0}};
    expect("bump", s, N(s), w, N(w), &sh);
}

static void
test_radio_burst(void)
{
    /* A radio burst offsets the reading by +28 g for 3.5 s: no take, no move
     * of stock, a record that it went and came back. */
    struct shelf sh;
    const struct seg s[] = {
        {T0, RAW(800), OK}, {T0 + 3500, RAW(828), OK}, {T0 + 200000, RAW(800), OK}};
    const struct ev w[] = {{T0 + 3700 + 120000, 0, STOCK_MOVED, 800000, 0}};
    expect("burst", s, N(s), w, N(w), &sh);
}

static void
test_burst_in_settle(void)
{
    /*
     * A 50 g take at T0, then a burst of +10 g for three samples at T0 + 60 s
     * (static on the line, a hand brushing the shelf). The median shows it from
     * T0 + 60.2 to 60.4 s; the mean of the last 4 is off the 750 g plateau by
     * 2.5, 5, 7.5, 7.5, 5 and 2.5 g (T0 + 60.2 .. 60.7 s), less than 6 bands
     * (12 g) and for fewer than 8 values: the plateau's own noise. The take is
     * reported when 750 g has held 120 s from T0 + 0.2 s, not 120 s after the
     * burst.
     */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(800), OK},
                            {T0 + 60000, RAW(750), OK},
                            {T0 + 60300, RAW(760), OK},
                            {T0 + 200000, RAW(750), OK}};
    struct stock_event got[MAXEV];
    const struct lane l = {s, N(s)};
    size_t n = run(&l, 1, &sh, got);
    /* The burst's values join the plateau: its mean, forgetting in integers,
     * may keep a milligram of them. */
    CHECK_EQ_I64((int64_t)n, 1);
    CHECK(n == 1 && got[0].t_ms == T0 + 120200 && got[0].kind == STOCK_CONSUME &&
          got[0].mg >= 49990 && got[0].mg <= 50010);
    /* Longer than 8 values off (1 s at 10 Hz): a new level, its settle time
     * starts again from T0 + 60.2 s; back at 750 g from T0 + 61.2 s. */
    const struct seg s2[] = {{T0, RAW(800), OK},
                             {T0 + 60000, RAW(750), OK},
                             {T0 + 61000, RAW(760), OK},
                             {T0 + 300000, RAW(750), OK}};
    const struct ev w2[] = {{T0 + 61200 + 120000, 0, STOCK_CONSUME, 50000, 0}};
    expect("level-in-settle", s2, N(s2), w2, N(w2), &sh);
}

static void
test_spikes_and_garbage(void)
{
    /* One 2 kg spike (median rejects it), single saturated, invalid, timeout and
     * EIO samples, and a raw saturation code with status ok: no event at all. */
    struct shelf sh;
    const struct seg s[] = {
        {T0, RAW(800), OK},         {T0 + 100, RAW(2000), OK},
        {T0 + 2000, RAW(800), OK},  {T0 + 2100, 0, SAMPLE_SATURATED},
        {T0 + 4000, RAW(800), OK},  {T0 + 4100, 0, SAMPLE_INVALID},
        {T0 + 4200, RAW(800), OK},  {T0 + 4300, 0, SAMPLE_TIMEOUT},
        {T0 + 4400, RAW(800), OK},  {T0 + 4500, 8388607, STUCK},
        {T0 + 6000, RAW(800), OK},  {T0 + 6100, 0, SAMPLE_EIO},
        {T0 + 200000, RAW(800), OK}};
    expect("spikes", s, N(s), NULL, 0, &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 200000, 0), 800000);
}

static void
test_stuck_codes(void)
{
    /* The data line stuck low: code 0 from T0 (-1 kg with this calibration).
     * FAULT once the code has repeated for 3 s, before anything settles;
     * re-plugged at T0 + 600 s with the same weight: FAULT_END after 5 s of good
     * samples and the level held 120 s, no refill, no take. */
    struct shelf sh;
    const struct seg s[] = {
        {T0, RAW(800), OK}, {T0 + 600000, 0, STUCK}, {T0 + 800000, RAW(800), OK}};
    const struct ev w[] = {{T0 + 3000, 0, STOCK_FAULT, 800000, STOCK_F_STUCK},
                           {T0 + 600000 + 120000, 0, STOCK_FAULT_END, 800000, 0}};
    expect("stuck-low", s, N(s), w, N(w), &sh);
    /* Frozen at a random value, and while frozen the stock is not trusted. */
    const struct seg s2[] = {{T0, RAW(800), OK}, {T0 + 60000, 123456, STUCK}};
    const struct ev w2[] = {{T0 + 3000, 0, STOCK_FAULT, 800000, STOCK_F_STUCK}};
    expect("stuck-frozen", s2, N(s2), w2, N(w2), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 60000, -EIO), 800000);
    /* stuck = 0 turns the rule off: a constant code is a constant weight. */
    cfg.stuck_ms = 0;
    const struct seg s3[] = {{T0, RAW(800), STUCK}, {T0 + 60000, RAW(800), STUCK}};
    expect("stuck-off", s3, N(s3), NULL, 0, &sh);
    cond_config_default(&cfg, 500000);
}

static void
test_fault_eio(void)
{
    /* Bad samples from T0: FAULT at T0 + 3 s; good again at T0 + 20 s but 20 g
     * lighter (after an impossible 50 kg): FAULT_END when 780 g has held 120 s,
     * with the new weight and no take. */
    struct shelf sh;
    const struct seg s[] = {{T0, RAW(800), OK},
                            {T0 + 2000, 0, SAMPLE_EIO},
                            {T0 + 3000, 0, SAMPLE_SATURATED},
                            {T0 + 6000, 0, SAMPLE_TIMEOUT},
                            {T0 + 20000, RAW(5000000 / 100), OK}, /* 50 kg */
                            {T0 + 200000, RAW(780), OK}};
    const struct ev w[] = {{T0 + 3000, 0, STOCK_FAULT, 800000, 0},
                           {T0 + 140000, 0, STOCK_FAULT_END, 780000, 0}};
    expect("fault-eio", s, N(s), w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 200000, 0), 780000);
}

static void
test_no_data_and_gaps(void)
{
    /* Silence from T0 for 10 min: FAULT when no sample came for 5 min (the last
     * at T0 - 0.1 s; the driver ticks every second). Samples again 40 g lighter:
     * FAULT_END 120 s later, no take. */
    struct shelf sh;
    const struct seg s[] = {
        {T0, RAW(800), OK}, {T0 + 600000, 0, NONE}, {T0 + 800000, RAW(760), OK}};
    const struct ev w[] = {{T0 - 100 + 300000, 0, STOCK_FAULT, 800000, STOCK_F_NODATA},
                           {T0 + 720000, 0, STOCK_FAULT_END, 760000, 0}};
    expect("no-data", s, N(s), w, N(w), &sh);
    /* A 6.5 s gap during a pour is no fault: the 40 g across it is a take. The
     * first samples after the gap are the new level: the median sees it at the
     * third, T0 + 6.7 s. */
    const struct seg s2[] = {
        {T0, RAW(800), OK}, {T0 + 6500, 0, NONE}, {T0 + 200000, RAW(760), OK}};
    const struct ev w2[] = {{T0 + 6700 + 120000, 0, STOCK_CONSUME, 40000, 0}};
    expect("gap", s2, N(s2), w2, N(w2), &sh);
}

static void
test_zero_tracking(void)
{
    /* Empty platform reading +1 g: the first level settles at 120 s, and the
     * next held sample, 120.1 s (more than zero_every after init at 0), takes the
     * 1 g into the zero. A 500 g pack then reads 501 g raw: a refill of exactly
     * 500 g, held from 320.2 s. */
    struct shelf sh;
    const struct seg s[] = {{200000, RAW(1), OK}, {2200000, RAW(501), OK}};
    const struct ev w[] = {{200000 + 120200 + 1800000, 0, STOCK_REFILL, 500000, 0}};
    int64_t mg, unc;
    expect("zero", s, N(s), w, N(w), &sh);
    /* The zero is tracked (with nothing to correct) once more a minute later,
     * 180.1 s; then the episode and the pack keep it where it is. */
    CHECK_EQ_I64(sh.p[0].ch.zero_mg, 1000);
    CHECK_EQ_I64(sh.p[0].ch.zero_at_ms, 180100);
    CHECK_EQ_I64(shelf_stock(&sh, 0, 2200000, &mg, &unc), 0);
    CHECK_EQ_I64(mg, 500000);
    /* 1000 + 500 * (2200 - 180.1) s / 3600 s = 1280.5 -> 1280. */
    CHECK_EQ_I64(unc, 1280);
    /* The drift stops at 10 bands of 2 g: 1 g + 20 g, reached after 40 h. */
    CHECK_EQ_I64(cond_uncertainty_mg(&sh.p[0].ch, 180100 + 39 * INT64_C(3600000)),
                 1000 + 19500);
    CHECK_EQ_I64(cond_uncertainty_mg(&sh.p[0].ch, 180100 + 41 * INT64_C(3600000)),
                 21000);
    CHECK_EQ_I64(cond_uncertainty_mg(&sh.p[0].ch, 180100 + 3000 * INT64_C(3600000)),
                 21000);

    /* A loaded platform never moves the zero. */
    const struct seg s2[] = {{300000, RAW(801), OK}};
    expect("no-zero-loaded", s2, N(s2), NULL, 0, &sh);
    CHECK_EQ_I64(sh.p[0].ch.zero_mg, 0);
    CHECK_EQ_I64(sh.p[0].ch.base_mg, 801000);
}

/* Segments of a level that moves by step_counts every 1 s for n seconds. */
static size_t
ramp(struct seg *s, size_t at, int64_t t0, int32_t raw0, int step_counts, int n)
{
    for (int i = 0; i < n; i++)
        s[at++] = (struct seg){t0 + (i + 1) * 1000, raw0 + (i + 1) * step_counts, OK};
    return at;
}

static void
test_slow_creep_is_not_a_step(void)
{
    /* Creep of 1 count (10 mg) per second for 10 minutes: 6 g in all, more than
     * the 3 g step, yet never a step, and far under the slow-loss budget: no
     * events, and the settled weight follows it to within the 2 g band. */
    static struct seg s[700];
    struct shelf sh;
    size_t n = 0;
    s[n++] = (struct seg){T0, RAW(800), OK};
    n = ramp(s, n, T0, RAW(800), 1, 600);
    s[n++] = (struct seg){T0 + 700000, RAW(800) + 600, OK};
    expect("creep", s, n, NULL, 0, &sh);
    CHECK(sh.p[0].ch.base_mg >= 806000 - 2000 && sh.p[0].ch.base_mg <= 806000);
}

static void
test_slow_loss_and_thermal_drift(void)
{
    /*
     * Rice trickling at 2 g/min for 2 h (10 mg every 0.3 s: each step far under
     * the 3 g step): 240 g lost. Every 20 g lost within the hour is a slow take;
     * the sum of them is the loss, to within a step per report.
     */
    static struct seg s[25000];
    struct shelf sh;
    struct stock_event got[MAXEV];
    size_t n = 0;
    s[n++] = (struct seg){T0, RAW(800), OK};
    for (int i = 0; i < 24000; i++)
        s[n++] = (struct seg){T0 + (i + 1) * 300, RAW(800) - (i + 1), OK};
    s[n++] = (struct seg){T0 + 24000 * 300 + 4 * 3600000, RAW(560), OK};
    struct lane l = {s, n};
    size_t k = run(&l, 1, &sh, got);
    int64_t sum = 0;
    size_t slow = 0;
    for (size_t i = 0; i < k; i++) {
        slow += got[i].kind == STOCK_CONSUME && got[i].flags == STOCK_F_SLOW;
        sum += got[i].kind == STOCK_CONSUME ? got[i].mg : 0;
    }
    CHECK_EQ_U64(slow, k); /* nothing else */
    CHECK(slow >= 10);
    CHECK_MSG(sum >= 240000 - 3000 && sum <= 240000 + 3000, "slow loss %lld mg",
              (long long)sum);

    /* A sunny afternoon: +17 g in 1 count steps every 5 s, and back down every
     * 7 s (about 5 g an hour: thermal, not a leak): no event at all. */
    n = 0;
    s[n++] = (struct seg){T0, RAW(800), OK};
    for (int i = 0; i < 1700; i++)
        s[n++] = (struct seg){T0 + INT64_C(5000) * (i + 1), RAW(800) + i + 1, OK};
    for (int i = 0; i < 1700; i++)
        s[n++] = (struct seg){T0 + INT64_C(8500000) + INT64_C(7000) * (i + 1),
                              RAW(800) + 1700 - (i + 1), OK};
    s[n++] = (struct seg){T0 + INT64_C(8500000) + INT64_C(7000) * 1700 + 4 * 3600000,
                          RAW(800), OK};
    expect("thermal", s, n, NULL, 0, &sh);
}

static void
test_move_and_straddle(void)
{
    /*
     * p0 holds an 800 g jar, p1 a 500 g jar. The jar of p0 is set beside p1's
     * (lifted at T0, on p1 at T0 + 5 s): p0's episode settles at T0 + 120.2 s
     * and waits for p1's, heading up; p1 settles at T0 + 125.2 s: a move, no
     * take, no refill. Ten minutes later it goes back after a 45 g pour: a move
     * and the take of what it lacks, when p0 settles.
     */
    struct shelf sh;
    const struct seg p0[] = {
        {T0, RAW(800), OK}, {T0 + 610000, RAW(0), OK}, {T0 + 900000, RAW(755), OK}};
    const struct seg p1[] = {{T0 + 5000, RAW(500), OK},
                             {T0 + 600000, RAW(1300), OK},
                             {T0 + 900000, RAW(500), OK}};
    const struct ev w[] = {{T0 + 125200, 0, STOCK_MOVED, 800000, STOCK_F_SHIFT},
                           {T0 + 730200, 0, STOCK_CONSUME, 45000, 0},
                           {T0 + 730200, 0, STOCK_MOVED, 755000, STOCK_F_SHIFT}};
    expect_lanes("move", LANES(L(p0), L(p1)), 2, w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 900000, 0), 755000);
    CHECK_EQ_I64(stock(&sh, 1, T0 + 900000, 0), 500000);

    /*
     * Lifted at T0, 45 g poured, set down straddling both platforms at T0 +
     * 20 s (453 g on p0, 302 g on p1) and left there; put back at T0 + 600 s.
     * Read from the sum: a take of 45 g; putting it back moves weight only.
     */
    const struct seg q0[] = {{T0, RAW(800), OK},
                             {T0 + 20000, RAW(0), OK},
                             {T0 + 600000, RAW(453), OK},
                             {T0 + 900000, RAW(755), OK}};
    const struct seg q1[] = {{T0 + 20000, RAW(500), OK},
                             {T0 + 600000, RAW(802), OK},
                             {T0 + 900000, RAW(500), OK}};
    const struct ev w2[] = {{T0 + 140200, 0, STOCK_CONSUME, 45000, 0},
                            {T0 + 140200, 0, STOCK_MOVED, 302000, STOCK_F_SHIFT},
                            {T0 + 720200, 0, STOCK_MOVED, 302000, STOCK_F_SHIFT}};
    expect_lanes("straddle", LANES(L(q0), L(q1)), 2, w2, N(w2), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 900000, 0), 755000);
    CHECK_EQ_I64(stock(&sh, 1, T0 + 900000, 0), 500000);
    /* During the straddle, p0's item stands on both platforms. */
    const struct seg r0[] = {
        {T0, RAW(800), OK}, {T0 + 20000, RAW(0), OK}, {T0 + 400000, RAW(453), OK}};
    const struct seg r1[] = {{T0 + 20000, RAW(500), OK}, {T0 + 400000, RAW(802), OK}};
    expect_lanes("straddle-open", LANES(L(r0), L(r1)), 2, w2, 2, &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 400000, 0), 755000);
}

static void
test_take_beside_refill(void)
{
    /*
     * 30 g scooped from p0's 800 g jar at T0; 5 s later p1's 200 g jar is
     * lifted and comes back with 500 g more (a top-up). The two episodes are
     * related (within the move window), but p1's 500 g rise, held since T0 +
     * 5 s, is more than p0's drop could hold: no move can come of them, and
     * the take is reported when p0 settles, not when p1 does (the old rule
     * waited for p1 until T0 + 125.2 s).
     */
    struct shelf sh;
    const struct seg p0[] = {{T0, RAW(800), OK}, {T0 + 400000, RAW(770), OK}};
    const struct seg p1[] = {{T0 + 3000, RAW(200), OK},
                             {T0 + 5000, RAW(0), OK},
                             {T0 + 400000, RAW(700), OK}};
    const struct ev w[] = {{T0 + 120200, 0, STOCK_CONSUME, 30000, 0},
                           {T0 + 125200, 1, STOCK_REFILL, 500000, 0}};
    expect_lanes("take-beside-refill", LANES(L(p0), L(p1)), 2, w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 400000, 0), 770000);
    CHECK_EQ_I64(stock(&sh, 1, T0 + 400000, 0), 700000);
}

static void
test_cat(void)
{
    /*
     * A 4.3 kg cat across p0 (800 g jar) and p1 (500 g jar) for 10 min: it sits
     * still for 3 min (2100 g on p0, 2200 g on p1: two rises at once, not whole
     * packs: a foreign load), shifts 300 g from p0 to p1 (a foreign shift), and
     * jumps off (both drops are the foreign load leaving). No take, no refill;
     * the stocks never moved.
     */
    struct shelf sh;
    const struct seg p0[] = {{T0, RAW(800), OK},
                             {T0 + 300000, RAW(2900), OK},
                             {T0 + 600000, RAW(2600), OK},
                             {T0 + 900000, RAW(800), OK}};
    const struct seg p1[] = {{T0, RAW(500), OK},
                             {T0 + 300000, RAW(2700), OK},
                             {T0 + 600000, RAW(3000), OK},
                             {T0 + 900000, RAW(500), OK}};
    unsigned f = STOCK_F_FOREIGN, fs = STOCK_F_FOREIGN | STOCK_F_SHIFT,
             fl = STOCK_F_FOREIGN | STOCK_F_LEFT;
    const struct ev w[] = {{T0 + 120200, 0, STOCK_MOVED, 2900000, f},
                           {T0 + 120200, 1, STOCK_MOVED, 2700000, f},
                           {T0 + 420200, 0, STOCK_MOVED, 2600000, fs},
                           {T0 + 420200, 1, STOCK_MOVED, 3000000, fs},
                           {T0 + 720200, 0, STOCK_MOVED, 800000, fl},
                           {T0 + 720200, 1, STOCK_MOVED, 500000, fl}};
    expect_lanes("cat", LANES(L(p0), L(p1)), 2, w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 900000, 0), 800000);
    CHECK_EQ_I64(stock(&sh, 1, T0 + 900000, 0), 500000);
    /* While the cat sits there, the items' stocks are what they were. */
    const struct seg q0[] = {{T0, RAW(800), OK}, {T0 + 300000, RAW(2900), OK}};
    const struct seg q1[] = {{T0, RAW(500), OK}, {T0 + 300000, RAW(2700), OK}};
    expect_lanes("cat-sits", LANES(L(q0), L(q1)), 2, w, 2, &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 300000, 0), 800000);
    CHECK_EQ_I64(stock(&sh, 1, T0 + 300000, 0), 500000);

    /* A cat on one platform, heavier than any refill (3 packs): foreign. */
    const struct seg c0[] = {
        {T0, RAW(800), OK}, {T0 + 300000, RAW(5100), OK}, {T0 + 600000, RAW(800), OK}};
    const struct ev w2[] = {
        {T0 + 120200, 0, STOCK_MOVED, 5100000, f},
        {T0 + 300000 + 120200, 0, STOCK_MOVED, 800000, STOCK_F_LEFT}};
    expect("cat-one", c0, N(c0), w2, N(w2), &sh);
}

static void
test_cat_late_share(void)
{
    /*
     * A cat lands across p0 (800 g jar) and p1 (500 g jar) at T0: 600 g on p0,
     * 3.7 kg on p1, and stays 40 min. On p1 it fidgets for a minute (4.2 and
     * 4.3 kg in turn every 10 s), so p1 settles at T0 + 50.2 + 120 s. p0
     * settles at T0 + 120.2 s and waits the shelf's 13.5 s for p1, heading up:
     * alone, its 600 g rise is refill-sized and held. When p1's 3.7 kg (more
     * than any refill) is judged foreign, p0's rise opened with it: the same
     * load, foreign too. No REFILL after the 30 min hold; the cat jumping off
     * takes away on each platform the load it set down there, no take.
     */
    struct shelf sh;
    const struct seg p0[] = {{T0, RAW(800), OK},
                             {T0 + 2400000, RAW(1400), OK},
                             {T0 + 2700000, RAW(800), OK}};
    const struct seg p1[] = {{T0, RAW(500), OK},
                             {T0 + 10000, RAW(4200), OK},
                             {T0 + 20000, RAW(4300), OK},
                             {T0 + 30000, RAW(4200), OK},
                             {T0 + 40000, RAW(4300), OK},
                             {T0 + 50000, RAW(4200), OK},
                             {T0 + 2400000, RAW(4300), OK},
                             {T0 + 2700000, RAW(500), OK}};
    unsigned f = STOCK_F_FOREIGN, fl = STOCK_F_FOREIGN | STOCK_F_LEFT;
    const struct ev w[] = {
        {T0 + 50200 + 120000, 1, STOCK_MOVED, 4300000, f},
        {T0 + 50200 + 120000, 0, STOCK_MOVED, 1400000, f},
        {T0 + 2400000 + 120200, 0, STOCK_MOVED, 800000, STOCK_F_LEFT},
        {T0 + 2400000 + 120200, 1, STOCK_MOVED, 500000, STOCK_F_LEFT}};
    expect_lanes("cat-late-share", LANES(L(p0), L(p1)), 2, w, N(w), &sh);
    CHECK_EQ_I64(stock(&sh, 0, T0 + 2700000, 0), 800000);
    CHECK_EQ_I64(stock(&sh, 1, T0 + 2700000, 0), 500000);

    /* A cat alone on p0 (foreign), then 600 g more onto it (a second cat, a
     * bag set on the first): nobody pours a refill under a cat, so it is more
     * of the foreign load, and no REFILL comes after the hold. Both leave as
     * one drop within the platform's foreign load. */
    const struct seg c0[] = {{T0, RAW(800), OK},
                             {T0 + 300000, RAW(5100), OK},
                             {T0 + 2700000, RAW(5700), OK},
                             {T0 + 3000000, RAW(800), OK}};
    const struct ev w2[] = {{T0 + 120200, 0, STOCK_MOVED, 5100000, f},
                            {T0 + 300000 + 120200, 0, STOCK_MOVED, 5700000, f},
                            {T0 + 2700000 + 120200, 0, STOCK_MOVED, 800000, fl}};
    expect("cat-more", c0, N(c0), w2, N(w2), &sh);
}

static void
test_groceries_put_away(void)
{
    /* A pack on p0 and two on p1 within seconds: whole packs each, two refills
     * (after the hold), not a foreign load. */
    struct shelf sh;
    const struct seg p0[] = {{T0, RAW(300), OK}, {T0 + 2000000, RAW(805), OK}};
    const struct seg p1[] = {{T0 + 3000, RAW(200), OK}, {T0 + 2000000, RAW(1210), OK}};
    const struct ev w[] = {{T0 + 123200 + 1800000, 0, STOCK_REFILL, 505000, 0},
                           {T0 + 123200 + 1800000, 1, STOCK_REFILL, 1010000, 0}};
    expect_lanes("groceries", LANES(L(p0), L(p1)), 2, w, N(w), &sh);
}

static void
test_bad_args(void)
{
    struct shelf sh;
    struct cond_cal bad = {.raw_zero = 0, .span_raw = 0, .span_mg = 1};
    int64_t mg, unc;
    shelf_init(&sh);
    CHECK_EQ_I64(shelf_add(&sh, 0, &cfg, &bad, 0), -EINVAL);
    CHECK_EQ_I64(shelf_add(&sh, SENSOR_MAX_CHANNELS, &cfg, &cal, 0), -EINVAL);
    CHECK_EQ_I64(shelf_add(&sh, 3, &cfg, &cal, 0), 0);
    CHECK_EQ_I64(shelf_add(&sh, 3, &cfg, &cal, 0), -EEXIST);
    CHECK_EQ_I64(shelf_stock(&sh, 3, 0, &mg, &unc), -EAGAIN);
    CHECK_EQ_I64(shelf_stock(&sh, 2, 0, &mg, &unc), -ENOENT);
    CHECK(shelf_channel(&sh, 2) == NULL && shelf_channel(&sh, 3) != NULL);
    CHECK_EQ_I64(shelf_recalibrate(&sh, 3, &bad, 0), -EINVAL);
    CHECK_EQ_I64(shelf_recalibrate(&sh, 2, &cal, 0), -ENOENT);
    /* A sample of a channel not added is nothing. */
    struct stock_event ev[SHELF_MAX_EVENTS];
    struct sample s = {.t_ms = 0, .raw = RAW(1), .channel = 5, .status = SAMPLE_OK};
    CHECK_EQ_I64(shelf_sample(&sh, &s, ev), 0);
    CHECK(strcmp(cond_state_to_str(COND_EPISODE), "episode") == 0);
    CHECK(strcmp(cond_state_to_str((enum cond_state)9), "?") == 0);
    char buf[64];
    stock_flags_to_str(STOCK_F_SLOW | STOCK_F_LEFT, buf, sizeof(buf));
    CHECK(strcmp(buf, "slow, taken away") == 0);
    stock_flags_to_str(STOCK_F_FOREIGN | STOCK_F_SHIFT, buf, 8);
    CHECK(strlen(buf) < 8);
}

int
main(void)
{
    cond_config_default(&cfg, 500000);
    if (cond_cal_two_point(&cal, 100000, 200000, 1000000) != 0)
        return 1;
    RUN(test_calibration);
    RUN(test_consume);
    RUN(test_quick_takes_are_one);
    RUN(test_refill_held);
    RUN(test_load_set_down_and_taken_away);
    RUN(test_lift_and_return);
    RUN(test_lift_and_top_up_then_packaging);
    RUN(test_away_and_back);
    RUN(test_away_then_empty_then_new_pack);
    RUN(test_bump);
    RUN(test_radio_burst);
    RUN(test_burst_in_settle);
    RUN(test_spikes_and_garbage);
    RUN(test_stuck_codes);
    RUN(test_fault_eio);
    RUN(test_no_data_and_gaps);
    RUN(test_zero_tracking);
    RUN(test_slow_creep_is_not_a_step);
    RUN(test_slow_loss_and_thermal_drift);
    RUN(test_move_and_straddle);
    RUN(test_take_beside_refill);
    RUN(test_cat);
    RUN(test_cat_late_share);
    RUN(test_groceries_put_away);
    RUN(test_bad_args);
    return th_done();
}
