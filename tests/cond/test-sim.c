/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning at scale against the simulator's ground truth. The simulator
 * knows what really happened (sim_truth); conditioning only sees the samples.
 * Conditioning runs as the daemon runs it: every platform on one shelf
 * (shelf.h), its timers fired when due. Scores, printed for every run:
 *
 *   attributed  share of the truly consumed grams found in the matching detected
 *               CONSUME (same channel, detected 2 s before to the settle period
 *               plus the move window after the true end of the action, plus the
 *               idle period in the fast mode): sum over matches of
 *               max(0, true - |det - true|) divided by all true consumption.
 *               Must be >= 99 %.
 *   latency     at full rate, every matched take is reported within the settle
 *               period plus 2 s of its true end (the median, 99th percentile and
 *               maximum are printed).
 *   false refills  detected REFILL with no true refill in its window (which adds
 *               the refill hold): must be 0.
 *   fault consumption  CONSUME or REFILL detected inside a true unplug (from its
 *               start to 5 minutes after its end): must be 0.
 *   off by more than the band  matched consumption (a lift-and-return or a
 *               dispense) whose detected amount differs from the truth by more
 *               than the noise band: must be 0.
 *   faults seen  true unplugs with a detected FAULT within 2 minutes (or the
 *               no-data time, for a silent one), and FAULT_END within 5 minutes
 *               of the end: all.
 *
 * Usage: test-sim [MODE] where MODE is "unit" (the default: 4 shelves for 1,000
 * days at 10 Hz in the fast mode, 1 shelf for 60 days at 80 Hz, and a 3-day
 * trace through the recorder and replay) or "slow" (2 shelves for 20 days at a
 * real 10 Hz, every sample). The seed comes from TEST_SEED.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/cond.h"
#include "tests/harness.h"
#include "sensors/cond/shelf.h"
#include "sensors/cond/sim.h"
#include "sensors/cond/trace.h"

#define MATCH_BEFORE_MS 2000
#define FAULT_AFTER_MS (5 * 60000)

/*
 * Events are reported once their episode has settled: a take within the settle
 * period (and 5 s of slack) after the action ended, a refill set down once it
 * has stood for the refill hold; a transient when it is judged with the moves.
 */
static int64_t match_after_ms, refill_after_ms, moved_after_ms;
/* At full rate, takes must be reported within the settle period and 2 s. */
static int64_t late_ms;
/* A fault is seen within 2 minutes (bad samples), or the no-data time (silence). */
static int64_t fault_after_ms;

struct evlist {
    struct stock_event *ev;
    size_t n, cap;
};

static void
evpush(struct evlist *l, const struct stock_event *e)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->ev = realloc(l->ev, l->cap * sizeof(*l->ev));
        if (l->ev == NULL)
            abort();
    }
    l->ev[l->n++] = *e;
}

static int
by_chan_time(const void *a, const void *b)
{
    const struct stock_event *x = a, *y = b;
    if (x->channel != y->channel)
        return (int)x->channel - (int)y->channel;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

/* First index with (channel, t) >= (ch, t). */
static size_t
lower(const struct evlist *l, unsigned ch, int64_t t)
{
    size_t lo = 0, hi = l->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (l->ev[mid].channel < ch ||
            (l->ev[mid].channel == ch && l->ev[mid].t_ms < t))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* An unused event of kind near (ch, t), or -1. */
static long
find(const struct evlist *l, unsigned char *used, unsigned ch, int64_t t, int kind,
     int64_t before, int64_t after)
{
    for (size_t i = lower(l, ch, t - before);
         i < l->n && l->ev[i].channel == ch && l->ev[i].t_ms <= t + after; i++)
        if (l->ev[i].kind == kind && !used[i])
            return (long)i;
    return -1;
}

struct scores {
    int64_t true_mg, attributed_mg, false_consume_mg;
    long false_consume, false_refills, fault_consumption, off_band, consumes;
    long fault_ends_true, fault_ends_seen;
    long refills_true, refills_seen, faults_true, faults_seen, empties_true,
        empties_seen, moved_true, moved_seen;
    long samples, late;
    int64_t *lat; /* latency of each matched take, ms */
    long n_lat;
};

static int
by_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void
score(const char *name, struct evlist *truth, struct evlist *det, int64_t band_mg,
      int64_t end_ms)
{
    struct scores s = {0};
    unsigned char *used = calloc(det->n + 1, 1);
    s.lat = calloc(truth->n + 1, sizeof(*s.lat));
    qsort(truth->ev, truth->n, sizeof(*truth->ev), by_chan_time);
    qsort(det->ev, det->n, sizeof(*det->ev), by_chan_time);
    for (size_t i = 0; i < truth->n; i++) {
        const struct stock_event *e = &truth->ev[i];
        long j;
        if (e->t_ms >= end_ms - 3600000) /* too close to the end to be seen */
            continue;
        switch (e->kind) {
        case STOCK_CONSUME:
            s.true_mg += e->mg;
            s.consumes++;
            j = find(det, used, e->channel, e->t_ms, STOCK_CONSUME, MATCH_BEFORE_MS,
                     match_after_ms);
            if (j >= 0) {
                int64_t err = det->ev[j].mg - e->mg;
                err = err < 0 ? -err : err;
                used[j] = 1;
                s.lat[s.n_lat++] = det->ev[j].t_ms - e->t_ms;
                s.attributed_mg += err < e->mg ? e->mg - err : 0;
                s.off_band += err > band_mg;
            } else {
                s.off_band++;
            }
            break;
        case STOCK_REFILL:
            s.refills_true++;
            j = find(det, used, e->channel, e->t_ms, STOCK_REFILL, MATCH_BEFORE_MS,
                     refill_after_ms);
            if (j >= 0) {
                used[j] = 1;
                s.refills_seen++;
            }
            break;
        case STOCK_EMPTY:
            /* Seen after the configured time away: match on the weight. */
            s.empties_true++;
            j = find(det, used, e->channel, e->t_ms, STOCK_EMPTY, 0, 3 * 3600000);
            if (j >= 0 && det->ev[j].mg > e->mg - band_mg &&
                det->ev[j].mg < e->mg + band_mg) {
                used[j] = 1;
                s.empties_seen++;
            }
            break;
        case STOCK_MOVED:
            s.moved_true++;
            j = find(det, used, e->channel, e->t_ms, STOCK_MOVED, MATCH_BEFORE_MS,
                     moved_after_ms);
            if (j >= 0) {
                used[j] = 1;
                s.moved_seen++;
            }
            break;
        case STOCK_FAULT: {
            s.faults_true++;
            j = find(det, used, e->channel, e->t_ms, STOCK_FAULT, 0, fault_after_ms);
            if (j >= 0) {
                used[j] = 1;
                s.faults_seen++;
            }
            /* The matching FAULT_END is the next truth event of the channel. */
            int64_t fe = e->t_ms;
            for (size_t k = i + 1; k < truth->n && truth->ev[k].channel == e->channel;
                 k++)
                if (truth->ev[k].kind == STOCK_FAULT_END) {
                    fe = truth->ev[k].t_ms;
                    break;
                }
            for (size_t k = lower(det, e->channel, e->t_ms);
                 k < det->n && det->ev[k].channel == e->channel &&
                 det->ev[k].t_ms <= fe + FAULT_AFTER_MS;
                 k++)
                s.fault_consumption +=
                    det->ev[k].kind == STOCK_CONSUME || det->ev[k].kind == STOCK_REFILL;
            break;
        }
        case STOCK_FAULT_END:
            s.fault_ends_true++;
            j = find(det, used, e->channel, e->t_ms, STOCK_FAULT_END, 0,
                     FAULT_AFTER_MS);
            if (j >= 0) {
                used[j] = 1;
                s.fault_ends_seen++;
            }
            break;
        default:
            break;
        }
    }
    for (size_t i = 0; i < det->n; i++) {
        if (used[i] || det->ev[i].t_ms >= end_ms - 3600000)
            continue;
        if (det->ev[i].kind == STOCK_CONSUME) {
            s.false_consume++;
            s.false_consume_mg += det->ev[i].mg;
        } else if (det->ev[i].kind == STOCK_REFILL) {
            s.false_refills++;
        }
    }
    free(used);

    double attributed =
        s.true_mg > 0 ? 100.0 * (double)s.attributed_mg / (double)s.true_mg : 0;
    printf("# %s: %ld true consumption events, %.3f kg\n", name, s.consumes,
           (double)s.true_mg / 1e6);
    printf("#   attributed to the right event: %.3f %%\n", attributed);
    printf("#   false consumption: %ld events, %.1f g\n", s.false_consume,
           (double)s.false_consume_mg / 1e3);
    printf("#   consumption off by more than the %.1f g band (or missed): %ld\n",
           (double)band_mg / 1e3, s.off_band);
    qsort(s.lat, (size_t)s.n_lat, sizeof(*s.lat), by_i64);
    if (s.n_lat > 0)
        printf(
            "#   takes reported after %.1f s (median), %.1f s (99 %%), %.1f s (max)\n",
            (double)s.lat[s.n_lat / 2] / 1e3, (double)s.lat[s.n_lat * 99 / 100] / 1e3,
            (double)s.lat[s.n_lat - 1] / 1e3);
    for (long i = 0; i < s.n_lat && late_ms > 0; i++)
        s.late += s.lat[i] > late_ms;
    if (late_ms > 0)
        printf("#   takes reported later than %.1f s: %ld of %ld\n",
               (double)late_ms / 1e3, s.late, s.n_lat);
    free(s.lat);
    printf("#   refills seen %ld of %ld, false refills %ld\n", s.refills_seen,
           s.refills_true, s.false_refills);
    printf("#   faults seen %ld of %ld, consumption or refill during faults %ld\n",
           s.faults_seen, s.faults_true, s.fault_consumption);
    printf("#   fault ends seen %ld of %ld (within 5 minutes)\n", s.fault_ends_seen,
           s.fault_ends_true);
    printf("#   empties seen %ld of %ld, bumps and moves seen %ld of %ld\n",
           s.empties_seen, s.empties_true, s.moved_seen, s.moved_true);
    CHECK_MSG(s.consumes > 0, "%s: no consumption simulated", name);
    CHECK_MSG(attributed >= 99.0, "%s: attributed %.3f %% < 99 %%", name, attributed);
    CHECK_EQ_I64(s.false_refills, 0);
    CHECK_EQ_I64(s.fault_consumption, 0);
    CHECK_EQ_I64(s.off_band, 0);
    CHECK_EQ_I64(s.faults_seen, s.faults_true);
    CHECK_EQ_I64(s.refills_seen, s.refills_true);
    CHECK_EQ_I64(s.fault_ends_seen, s.fault_ends_true);
    CHECK_EQ_I64(s.late, 0);
}

struct run {
    struct cond_config cfg[SENSOR_MAX_CHANNELS];
    struct shelf shelf;
    struct evlist det;
    unsigned channels;
};

static void
run_start(struct run *r, const struct sim *s, const struct sim_config *sc,
          const struct cond_config *cc)
{
    /* In the fast mode, a plateau is sampled every idle period once quiet. */
    int64_t slack =
        5000 + (sc->idle_period_ms > sc->period_ms ? sc->idle_period_ms : 0);
    memset(&r->det, 0, sizeof(r->det));
    r->channels = sc->channels;
    shelf_init(&r->shelf);
    for (unsigned i = 0; i < sc->channels; i++) {
        struct cond_cal cal;
        sim_cal(s, i, &cal);
        r->cfg[i] = *cc;
        r->cfg[i].container_mg = sc->container_mg;
        CHECK_EQ_I64(shelf_add(&r->shelf, (uint16_t)i, &r->cfg[i], &cal, sc->start_ms),
                     0);
    }
    /* In the fast mode a level may need a second settle period. */
    match_after_ms = (sc->idle_period_ms > sc->period_ms ? 2 : 1) * cc->settle_ms +
                     cc->move_window_ms + slack;
    refill_after_ms = cc->settle_ms + cc->move_window_ms + cc->refill_hold_ms + slack;
    moved_after_ms = cc->settle_ms + cc->move_window_ms + slack;
}

static void
run_sample(struct run *r, const struct sample *smp)
{
    struct stock_event ev[SHELF_MAX_EVENTS];
    int k;
    /* Timers due before this sample, as an event loop would fire them. */
    for (int64_t due; (due = shelf_next_due_ms(&r->shelf)) <= smp->t_ms;) {
        k = shelf_tick(&r->shelf, due, ev);
        for (int j = 0; j < k; j++)
            evpush(&r->det, &ev[j]);
        if (shelf_next_due_ms(&r->shelf) <= due) {
            TH_FAIL("shelf_tick at %lld left the shelf due again", (long long)due);
            break;
        }
    }
    k = shelf_sample(&r->shelf, smp, ev);
    for (int j = 0; j < k; j++)
        evpush(&r->det, &ev[j]);
}

static void
copy_truth(const struct sim *s, struct evlist *truth)
{
    size_t n;
    const struct stock_event *t = sim_truth(s, &n);
    memset(truth, 0, sizeof(*truth));
    for (size_t i = 0; i < n; i++)
        evpush(truth, &t[i]);
}

/* Simulate, condition, score. */
static void
simulate(const char *name, const struct sim_config *sc, const struct cond_config *cc)
{
    static struct run r;
    struct sim *s;
    struct sample smp;
    struct evlist truth;
    long n = 0;
    int ret;
    CHECK_EQ_I64(sim_new(sc, &s), 0);
    if (s == NULL)
        return;
    run_start(&r, s, sc, cc);
    while ((ret = sim_next(s, &smp)) == 1) {
        run_sample(&r, &smp);
        n++;
    }
    CHECK_EQ_I64(ret, 0);
    copy_truth(s, &truth);
    printf("# %s: %u channels, %lld days, %ld samples, %zu true and %zu detected "
           "events\n",
           name, sc->channels, (long long)sc->days, n, truth.n, r.det.n);
    late_ms = sc->idle_period_ms > sc->period_ms ? 0 : cc->settle_ms + 2000;
    fault_after_ms = cc->nodata_ms + 10000 > 120000 ? cc->nodata_ms + 10000 : 120000;
    score(name, &truth, &r.det, cc->noise_band_mg, sc->start_ms + sc->days * 86400000);
    free(truth.ev);
    free(r.det.ev);
    sim_free(s);
}

static uint64_t seed;

static void
test_thousand_days_10hz(void)
{
    struct sim_config sc;
    struct cond_config cc;
    sim_config_default(&sc, seed, 1000, 4);
    sc.idle_period_ms = 30000;
    cond_config_default(&cc, sc.pack_mg);
    /* The fast mode samples every 30 s when nothing happens: no-data needs longer. */
    cc.nodata_ms = 3 * sc.idle_period_ms;
    cc.empty_after_ms = 2 * 3600000;
    simulate("10 Hz, 1000 days", &sc, &cc);
}

static void
test_80hz(void)
{
    struct sim_config sc;
    struct cond_config cc;
    sim_config_default(&sc, seed + 1, 60, 1);
    sc.period_ms = 12; /* 80 Hz is 12.5 ms */
    sc.idle_period_ms = 30000;
    sc.noise_mg = 900; /* the HX711's 80 Hz rate is about 3 times noisier */
    sc.unplug_every_days = 20;
    cond_config_default(&cc, sc.pack_mg);
    cc.noise_band_mg = 5000;
    cc.min_step_mg = 6000;
    cc.nodata_ms = 3 * sc.idle_period_ms;
    cc.empty_after_ms = 2 * 3600000;
    simulate("80 Hz, 60 days", &sc, &cc);
}

static void
test_slow_full_rate(void)
{
    struct sim_config sc;
    struct cond_config cc;
    sim_config_default(&sc, seed + 2, 20, 2);
    sc.unplug_every_days = 7;
    cond_config_default(&cc, sc.pack_mg);
    cc.empty_after_ms = 2 * 3600000;
    simulate("10 Hz every sample, 20 days", &sc, &cc);
}

/* A trace written by sim_write and replayed gives the same events as the samples. */
static void
test_trace_path(void)
{
    struct sim_config sc;
    struct cond_config cc;
    struct sim *s;
    struct sample smp;
    static struct run direct, replayed;
    char err[300];
    sim_config_default(&sc, seed + 3, 3, 2);
    sc.idle_period_ms = 10000;
    sc.unplug_every_days = 2;
    cond_config_default(&cc, sc.pack_mg);
    cc.nodata_ms = 30000;
    CHECK_EQ_I64(sim_new(&sc, &s), 0);
    if (s == NULL)
        return;
    run_start(&direct, s, &sc, &cc);
    run_start(&replayed, s, &sc, &cc);
    while (sim_next(s, &smp) == 1)
        run_sample(&direct, &smp);

    FILE *trace = tmpfile(), *truth = tmpfile();
    CHECK_EQ_I64(sim_write(&sc, trace, truth), 0);
    rewind(trace);
    rewind(truth);
    struct sample_source *src;
    CHECK_EQ_I64(trace_replay_open_file(trace, "sim.trace", &src, err, sizeof(err)), 0);
    if (src != NULL) {
        CHECK_EQ_U64(trace_replay_reader(src)->channel_mask, 0x3);
        for (int64_t now = 0; (now = src->ops->next_due_ms(src, now)) != INT64_MAX;) {
            struct sample b[64];
            int k = src->ops->read_samples(src, now, b, 64);
            CHECK(k >= 0);
            for (int i = 0; i < k; i++)
                run_sample(&replayed, &b[i]);
        }
        CHECK(strcmp(trace_replay_error(src), "") == 0);
        sample_source_free(src);
    }
    CHECK_EQ_U64(replayed.det.n, direct.det.n);
    CHECK(direct.det.n > 0);
    for (size_t i = 0; i < direct.det.n && i < replayed.det.n; i++)
        if (direct.det.ev[i].t_ms != replayed.det.ev[i].t_ms ||
            direct.det.ev[i].mg != replayed.det.ev[i].mg ||
            direct.det.ev[i].kind != replayed.det.ev[i].kind ||
            direct.det.ev[i].channel != replayed.det.ev[i].channel) {
            TH_FAIL("event %zu differs after the trace round trip", i);
            break;
        }
    /* The truth file lists what sim_truth holds, in time order. */
    char line[128];
    size_t n_truth;
    sim_truth(s, &n_truth);
    size_t lines = 0;
    CHECK(fgets(line, sizeof(line), truth) != NULL &&
          strcmp(line, "# pantry-truth v1\n") == 0);
    long long prev = -1;
    while (fgets(line, sizeof(line), truth) != NULL) {
        long long t, mg;
        unsigned ch;
        char kind[16];
        CHECK(sscanf(line, "%lld %u %15s %lld", &t, &ch, kind, &mg) == 4);
        CHECK(t >= prev && ch < 2);
        prev = t;
        lines++;
    }
    CHECK(lines > 0 && lines <= n_truth);
    fclose(truth);
    free(direct.det.ev);
    free(replayed.det.ev);
    sim_free(s);
}

static void
test_sim_is_deterministic(void)
{
    struct sim_config sc;
    struct sim *a, *b;
    struct sample x, y;
    sim_config_default(&sc, seed, 2, 3);
    sc.idle_period_ms = 5000;
    CHECK_EQ_I64(sim_new(&sc, &a), 0);
    CHECK_EQ_I64(sim_new(&sc, &b), 0);
    if (a == NULL || b == NULL)
        return;
    long n = 0, diff = 0;
    for (;;) {
        int ra = sim_next(a, &x), rb = sim_next(b, &y);
        CHECK_EQ_I64(ra, rb);
        if (ra != 1 || rb != 1)
            break;
        diff += x.t_ms != y.t_ms || x.raw != y.raw || x.status != y.status ||
                x.channel != y.channel;
        n++;
    }
    CHECK_EQ_I64(diff, 0);
    CHECK(n > 1000);
    sim_free(a);
    sim_free(b);
    sc.days = 0;
    CHECK_EQ_I64(sim_new(&sc, &a), -EINVAL);
    sim_free(NULL);
}

int
main(int argc, char **argv)
{
    seed = th_seed(1125);
    if (argc > 1 && strcmp(argv[1], "slow") == 0) {
        RUN(test_slow_full_rate);
        return th_done();
    }
    RUN(test_sim_is_deterministic);
    RUN(test_trace_path);
    RUN(test_80hz);
    RUN(test_thousand_days_10hz);
    return th_done();
}
