/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The situation generator (sensors/cond/scene.h) checked against what it
 * promises, never against conditioning: the same seed gives the same bytes;
 * at rest, every item's mass on the platforms is the gross weight its true
 * records say (container, contents, unopened packaging) and nothing foreign is
 * left behind; samples average to the true load through the true calibration;
 * each kind's records have the shape its description gives (one pour for a
 * straddle, three scoops, a delivery of the ordered pack...); stuck codes are
 * exactly where the true faults are, and noise never repeats a code long
 * enough to look stuck; the fast mode samples at the full rate around every
 * change; bad configurations are refused; the files parse.
 *
 * Usage: test-scene [SEEDS] (default 3 seeds per kind; TEST_SEED sets the first).
 * Under valgrind (TEST_UNDER_VALGRIND) one seed, and every sample of a run is
 * left to the plain build.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/scene.h"
#include "sensors/cond/trace.h"
#include "tests/harness.h"

#define MIN_MS INT64_C(60000)
#define HOUR_MS (60 * MIN_MS)
#define DAY_MS (24 * HOUR_MS)

static uint64_t seed;
static int n_seeds = 3;
static bool valgrind; /* fewer kinds twice, no run at the full rate */

static struct scene *
make(enum scene_kind k, uint64_t sd, int64_t idle, int sampling)
{
    struct scene_config c;
    struct scene *s = NULL;
    scene_config_default(&c, k, sd);
    c.idle_period_ms = idle;
    c.sampling = sampling;
    CHECK_EQ_I64(scene_new(&c, &s), 0);
    return s;
}

static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * UINT64_C(0x100000001b3);
    return h;
}

static uint64_t
stream_hash(struct scene *s, long *n)
{
    struct sample m;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    *n = 0;
    while (scene_next(s, &m) == 1) {
        int64_t v[4] = {m.t_ms, m.raw, m.channel, m.status};
        h = fnv(h, v, sizeof(v));
        (*n)++;
    }
    return h;
}

/* Same seed and kind: the same samples; another seed: others. */
static void
test_deterministic(void)
{
    for (int k = 0; k < SCENE_KIND_COUNT; k += valgrind ? 7 : 1) {
        long na, nb, nc;
        struct scene *a = make(k, seed, 3000, -1), *b = make(k, seed, 3000, -1);
        struct scene *c = make(k, seed + 1, 3000, -1);
        if (a == NULL || b == NULL || c == NULL)
            return;
        uint64_t ha = stream_hash(a, &na), hb = stream_hash(b, &nb);
        CHECK_MSG(ha == hb && na == nb, "%s: two runs of seed %llu differ",
                  scene_kind_to_str(k), (unsigned long long)seed);
        CHECK_MSG(stream_hash(c, &nc) != ha, "%s: seeds %llu and %llu give the same",
                  scene_kind_to_str(k), (unsigned long long)seed,
                  (unsigned long long)seed + 1);
        CHECK(na > 100000);
        scene_free(a);
        scene_free(b);
        scene_free(c);
    }
}

static char *
slurp(FILE *f, size_t *len)
{
    long n;
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    char *p = malloc((size_t)n + 1);
    if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n)
        abort();
    p[n] = '\0';
    *len = (size_t)n;
    return p;
}

/* scene_write twice: the same bytes; the trace replays, the truth parses. */
static void
test_files(void)
{
    struct scene_config c;
    scene_config_default(&c, SCENE_PARK, seed);
    c.idle_period_ms = 4000;
    FILE *t1 = tmpfile(), *t2 = tmpfile(), *u1 = tmpfile(), *u2 = tmpfile();
    CHECK_EQ_I64(scene_write(&c, t1, u1), 0);
    CHECK_EQ_I64(scene_write(&c, t2, u2), 0);
    size_t l1, l2, m1, m2;
    char *a = slurp(t1, &l1), *b = slurp(t2, &l2), *x = slurp(u1, &m1),
         *y = slurp(u2, &m2);
    CHECK(l1 == l2 && memcmp(a, b, l1) == 0);
    CHECK(m1 == m2 && memcmp(x, y, m1) == 0);
    CHECK(strncmp(x, "# pantry-scene-truth v1\n", 24) == 0);
    /* The truth: one item line per channel, then records in time order. */
    struct scene *s = make(SCENE_PARK, seed, 4000, -1);
    size_t n_truth, items = 0, recs = 0;
    scene_truth(s, &n_truth);
    long long prev = -1;
    for (char *line = strtok(x, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        long long t, mg, contents, gross;
        unsigned ch, plats;
        char kind[16];
        if (line[0] == '#')
            continue;
        if (strncmp(line, "item ", 5) == 0) {
            items++;
            continue;
        }
        CHECK(sscanf(line, "%lld %u %15s %lld %lld %lld %u", &t, &ch, kind, &mg,
                     &contents, &gross, &plats) == 7);
        CHECK(t >= prev && ch < scene_channels(s));
        prev = t;
        recs++;
    }
    CHECK_EQ_U64(items, scene_channels(s));
    CHECK_EQ_U64(recs, n_truth);
    /* The trace: as many samples as the scene gives, in a valid file. */
    long n;
    stream_hash(s, &n);
    rewind(t1);
    struct sample_source *src;
    char err[300];
    CHECK_EQ_I64(trace_replay_open_file(t1, "scene.trace", &src, err, sizeof(err)), 0);
    long got = 0;
    if (src != NULL) {
        for (int64_t now = 0; (now = src->ops->next_due_ms(src, now)) != INT64_MAX;) {
            struct sample buf[64];
            int k = src->ops->read_samples(src, now, buf, 64);
            CHECK(k >= 0);
            if (k < 0)
                break;
            got += k;
        }
        CHECK(strcmp(trace_replay_error(src), "") == 0);
        sample_source_free(src);
    } else {
        fclose(t1);
    }
    CHECK_EQ_I64(got, n);
    scene_free(s);
    free(a);
    free(b);
    free(x);
    free(y);
    fclose(t2);
    fclose(u1);
    fclose(u2);
}

static int64_t
item_mass(const struct scene *s, unsigned item, int64_t t)
{
    int64_t mg = 0;
    for (unsigned p = 0; p < scene_channels(s); p++)
        mg += scene_load_mg(s, p, t, 1u << item);
    return mg;
}

/* The item's gross weight at t from its last record at or before t. */
static int64_t
gross_at(const struct scene *s, unsigned item, int64_t t)
{
    size_t n;
    const struct scene_truth *r = scene_truth(s, &n);
    int64_t g = scene_item(s, item)->container_mg + scene_item(s, item)->contents_mg;
    for (size_t i = 0; i < n && r[i].t_ms <= t; i++)
        if (r[i].channel == item && r[i].kind != SCENE_T_SITUATION &&
            r[i].kind != SCENE_T_SITUATION_END && r[i].kind != SCENE_T_FAULT &&
            r[i].kind != SCENE_T_FAULT_END)
            g = r[i].gross_mg;
    return g;
}

/* At rest the platforms carry what the records say. */
static void
check_masses(const struct scene *s)
{
    size_t n;
    const struct scene_truth *r = scene_truth(s, &n);
    unsigned all = (1u << scene_channels(s)) - 1, bad = 0;
    for (size_t i = 0; i < n; i++) {
        const struct scene_item *it = scene_item(s, r[i].channel);
        CHECK_MSG(r[i].contents_mg >= 0 &&
                      r[i].gross_mg >= it->container_mg + r[i].contents_mg,
                  "%s: record %zu: contents %lld, gross %lld", scene_describe(s), i,
                  (long long)r[i].contents_mg, (long long)r[i].gross_mg);
        if (r[i].kind != SCENE_T_CONSUME && r[i].kind != SCENE_T_REFILL &&
            r[i].kind != SCENE_T_GROSS)
            continue;
        int64_t tq = scene_quiet_from(s, all, r[i].t_ms, MIN_MS) + 30000;
        int64_t want = gross_at(s, r[i].channel, tq),
                got = item_mass(s, r[i].channel, tq);
        if (got != want && bad++ < 3)
            TH_FAIL("%s: after record %zu (%s of %lld mg on channel %u): the item "
                    "weighs %lld mg on the platforms, the records say %lld",
                    scene_describe(s), i,
                    scene_truth_kind_to_str((enum scene_truth_kind)r[i].kind),
                    (long long)r[i].mg, r[i].channel, (long long)got, (long long)want);
        th_checks++;
    }
    /* At the start and the end every item is home, and nothing else is there. */
    int64_t ends[2] = {scene_start_ms(s) + MIN_MS, scene_end_ms(s) - MIN_MS};
    for (int e = 0; e < 2; e++)
        for (unsigned p = 0; p < scene_channels(s); p++) {
            CHECK_MSG(scene_load_mg(s, p, ends[e], SCENE_OWNER_FOREIGN) == 0,
                      "%s: %lld mg of something foreign on platform %u at %lld",
                      scene_describe(s),
                      (long long)scene_load_mg(s, p, ends[e], SCENE_OWNER_FOREIGN), p,
                      (long long)ends[e]);
            CHECK_EQ_I64(scene_load_mg(s, p, ends[e], 1u << p),
                         gross_at(s, p, ends[e]));
            CHECK_EQ_I64(scene_load_mg(s, p, ends[e], SCENE_OWNER_ITEMS),
                         scene_load_mg(s, p, ends[e], 1u << p));
        }
}

/* Records of kind k of the items in plats in the situation's window [b, e]. */
static int
count(const struct scene_truth *r, size_t n, int64_t b, int64_t e, int kind,
      uint32_t plats)
{
    int c = 0;
    for (size_t i = 0; i < n; i++)
        c += r[i].kind == kind && r[i].t_ms >= b && r[i].t_ms <= e &&
             (plats & 1u << r[i].channel);
    return c;
}

static void
check_shape(const struct scene *s, enum scene_kind k)
{
    size_t n;
    const struct scene_truth *r = scene_truth(s, &n);
    int64_t b = -1, e = -1, first_use = INT64_MAX;
    uint32_t pl = 0;
    const char *d = scene_describe(s);
    for (size_t i = 0; i < n; i++) {
        if (r[i].kind == SCENE_T_SITUATION) {
            b = r[i].t_ms;
            pl = r[i].plats;
        }
        if (r[i].kind == SCENE_T_SITUATION_END)
            e = r[i].t_ms;
        if (r[i].kind == SCENE_T_CONSUME && r[i].t_ms < first_use)
            first_use = r[i].t_ms;
    }
    CHECK_MSG(b >= scene_start_ms(s) + 35 * DAY_MS / 10 && e >= b &&
                  e <= scene_end_ms(s) - DAY_MS,
              "%s: situation from %lld to %lld in a run of %lld to %lld", d,
              (long long)b, (long long)e, (long long)scene_start_ms(s),
              (long long)scene_end_ms(s));
    CHECK_MSG(first_use < scene_start_ms(s) + DAY_MS, "%s: no use on day 0", d);
    /* The household uses every item on every day of the warm-up. */
    for (unsigned c = 0; c < scene_channels(s); c++)
        for (int day = 0; day < 3; day++) {
            int uses = 0;
            for (size_t i = 0; i < n; i++)
                uses += r[i].kind == SCENE_T_CONSUME && r[i].channel == c &&
                        r[i].t_ms >= scene_start_ms(s) + day * DAY_MS &&
                        r[i].t_ms < scene_start_ms(s) + (day + 1) * DAY_MS;
            CHECK_MSG(uses >= 1, "%s: no use of channel %u on day %d", d, c, day);
        }
    int cons = count(r, n, b, e, SCENE_T_CONSUME, pl),
        refs = count(r, n, b, e, SCENE_T_REFILL, pl);
    size_t last = 0;
    for (size_t i = 0; i < n; i++)
        if (r[i].t_ms >= b && r[i].t_ms <= e && r[i].kind == SCENE_T_CONSUME &&
            (pl & 1u << r[i].channel))
            last = i;
    switch (k) {
    case SCENE_NONE:
    case SCENE_CAT:
    case SCENE_SET_DOWN:
    case SCENE_WIGGLE:
    case SCENE_EMI:
    case SCENE_LEAN:
    case SCENE_HAND:
        CHECK_MSG(cons == 0 && refs == 0, "%s: %d consumes, %d refills", d, cons, refs);
        break;
    case SCENE_STRADDLE:
        CHECK_MSG(cons == 1 && r[last].mg >= 20000 && r[last].mg <= 80000 &&
                      __builtin_popcount(r[last].plats) == 2,
                  "%s: %d consumes", d, cons);
        break;
    case SCENE_SCOOPS:
        CHECK_MSG(cons == 3 && e - b <= 45000, "%s: %d scoops in %lld ms", d, cons,
                  (long long)(e - b));
        break;
    case SCENE_AWAY_DRIFT:
    case SCENE_GAP:
    case SCENE_PARK:
    case SCENE_KNOCK:
        CHECK_MSG(cons <= 1 && refs == 0, "%s: %d consumes", d, cons);
        break;
    case SCENE_LEAK:
        CHECK_MSG(cons == 1 && (r[last].flags & SCENE_TF_SLOW) &&
                      r[last].start_ms >= b && r[last].t_ms > r[last].start_ms,
                  "%s: %d consumes", d, cons);
        if (cons == 1) {
            int64_t per_min = r[last].mg * MIN_MS / (r[last].t_ms - r[last].start_ms);
            CHECK_MSG(per_min >= 300 && per_min <= 7500, "%s: %lld mg a minute", d,
                      (long long)per_min);
        }
        break;
    case SCENE_STUCK: {
        int faults = count(r, n, b, e, SCENE_T_FAULT, pl);
        int ends = count(r, n, b, e, SCENE_T_FAULT_END, pl);
        CHECK_MSG(faults == 1 && ends == 1 && refs == 0, "%s: faults %d, ends %d", d,
                  faults, ends);
        for (size_t i = 0; i < n; i++)
            if (r[i].t_ms > b && r[i].t_ms < e && r[i].kind == SCENE_T_CONSUME &&
                (pl & 1u << r[i].channel))
                CHECK_MSG(r[i].flags & SCENE_TF_UNOBSERVABLE,
                          "%s: a use during the fault is not marked unobservable", d);
        break;
    }
    case SCENE_DECANT:
        CHECK_MSG(refs == 1 && cons == 0 && count(r, n, b, e, SCENE_T_GROSS, pl) == 1,
                  "%s", d);
        break;
    case SCENE_DELIVERY:
    case SCENE_SHOP_REFILL: {
        int orders = count(r, n, b, e, SCENE_T_ORDER, pl), deliveries = 0, shop = 0;
        int64_t order_t = b;
        for (size_t i = 0; i < n; i++) {
            if (r[i].kind != SCENE_T_REFILL)
                continue;
            const struct scene_item *it = scene_item(s, r[i].channel);
            if (r[i].flags & SCENE_TF_DELIVERY) {
                deliveries++;
                CHECK(r[i].order == 0 && r[i].mg == it->pack_mg &&
                      r[i].t_ms >= order_t + DAY_MS &&
                      r[i].t_ms <= order_t + 6 * DAY_MS);
            } else {
                shop++;
                int64_t d100 = r[i].mg * 100 / it->pack_mg;
                CHECK_MSG(d100 <= 75 || d100 >= 125,
                          "%s: a shop's pack of %lld mg, the ordered one %lld", d,
                          (long long)r[i].mg, (long long)it->pack_mg);
            }
        }
        CHECK_MSG(orders == 1 && deliveries == 1 && shop == (k == SCENE_SHOP_REFILL),
                  "%s: %d orders, %d deliveries, %d other refills", d, orders,
                  deliveries, shop);
        break;
    }
    case SCENE_KIND_COUNT:
        break;
    }
}

/*
 * The samples: averaged over the first ten quiet minutes they give the true
 * load (through the true calibration, within the thermal offsets: 6 g); a
 * code repeats at most a few times in a row outside a true fault; inside a
 * stuck fault every sample is the stuck code; and around every change the
 * samples come at the full rate.
 */
static void
check_samples(struct scene *s, enum scene_kind k, int64_t idle, int64_t after)
{
    unsigned n_ch = scene_channels(s);
    struct cond_cal cal[SCENE_MAX_PLATFORMS];
    int64_t sum[SCENE_MAX_PLATFORMS] = {0}, cnt[SCENE_MAX_PLATFORMS] = {0};
    int32_t last[SCENE_MAX_PLATFORMS];
    int run[SCENE_MAX_PLATFORMS] = {0}, worst = 0;
    int64_t prev_t[SCENE_MAX_PLATFORMS], slow_gaps = 0;
    size_t n;
    const struct scene_truth *r = scene_truth(s, &n);
    int64_t f0 = INT64_MAX, f1 = INT64_MIN;
    unsigned fch = 0;
    long in_fault = 0, stuck_ok = 0;

    for (size_t i = 0; i < n; i++)
        if (r[i].kind == SCENE_T_FAULT) {
            f0 = r[i].t_ms;
            fch = r[i].channel;
        } else if (r[i].kind == SCENE_T_FAULT_END) {
            f1 = r[i].t_ms;
        }
    int64_t rest[SCENE_MAX_PLATFORMS];
    for (unsigned c = 0; c < n_ch; c++) {
        rest[c] =
            scene_load_mg(s, c, scene_start_ms(s) + 5 * MIN_MS, SCENE_OWNER_ITEMS);
        scene_true_cal(s, c, &cal[c]);
        last[c] = INT32_MIN;
        prev_t[c] = INT64_MIN;
    }
    struct sample m;
    int32_t stuck_code = 0;
    bool stuck_set = false;
    long stuck_same = 0;
    size_t next_change = 0;
    while (scene_next(s, &m) == 1) {
        unsigned c = m.channel;
        if (m.t_ms < scene_start_ms(s) + 10 * MIN_MS && m.status == SAMPLE_OK) {
            /* The background's rare garbage codes are left out: 50 g off. */
            int64_t mg = cond_cal_mg(&cal[c], m.raw), want = rest[c];
            if (mg - want < 50000 && want - mg < 50000) {
                sum[c] += mg;
                cnt[c]++;
            }
        }
        bool faulty = c == fch && m.t_ms >= f0 && m.t_ms < f1;
        if (faulty) {
            in_fault++;
            if (m.status == SAMPLE_OK) {
                if (!stuck_set)
                    stuck_code = m.raw;
                stuck_set = true;
                stuck_same += m.raw == stuck_code;
                stuck_ok++;
            }
        } else if (m.status == SAMPLE_OK) {
            run[c] = m.raw == last[c] ? run[c] + 1 : 0;
            if (run[c] > worst && m.raw > -8388608 && m.raw < 8388607)
                worst = run[c];
            last[c] = m.raw;
        }
        /* Full rate within [end - 3 s, end + after - 1 s] of every plain take. */
        while (next_change < n && r[next_change].t_ms + after - 1000 < m.t_ms)
            next_change++;
        if (idle > 0 && next_change < n && r[next_change].kind == SCENE_T_CONSUME &&
            !(r[next_change].flags & SCENE_TF_SLOW) && r[next_change].channel == c &&
            prev_t[c] >= r[next_change].t_ms - 3000 && m.t_ms - prev_t[c] > 300)
            slow_gaps++;
        prev_t[c] = m.t_ms;
    }
    for (unsigned c = 0; c < n_ch; c++) {
        int64_t want = rest[c];
        int64_t mean = cnt[c] ? sum[c] / cnt[c] : 0, d = mean - want;
        CHECK_MSG(cnt[c] > 50 && d < 6000 && d > -6000,
                  "%s: channel %u reads %lld mg at rest, carries %lld",
                  scene_describe(s), c, (long long)mean, (long long)want);
    }
    CHECK_MSG(worst <= 6, "%s: a code repeated %d times outside a fault",
              scene_describe(s), worst + 1);
    CHECK_MSG(slow_gaps == 0, "%s: %lld samples more than 300 ms apart around a take",
              scene_describe(s), (long long)slow_gaps);
    /* The stuck code, then a few garbage codes when it is plugged back in. */
    if (k == SCENE_STUCK)
        CHECK_MSG(in_fault > 0 && stuck_ok > 0 && stuck_same >= stuck_ok - 30,
                  "%s: %ld samples in the fault, %ld ok, %ld of them the first code",
                  scene_describe(s), in_fault, stuck_ok, stuck_same);
}

static void
test_every_kind(void)
{
    for (int k = 0; k < SCENE_KIND_COUNT; k++)
        for (int i = 0; i < n_seeds; i++) {
            /* 10 Hz with jitter, so the full-rate check has a fixed bound; every
             * sample (17 million in 5 days) for two kinds only, for time. */
            int64_t idle = i == 0 && k <= SCENE_CAT && !valgrind ? 0 : 3000;
            int64_t after = 20000;
            struct scene *s = make(k, seed + (uint64_t)i, idle, SCENE_SAMPLING_10HZ);
            if (s == NULL)
                return;
            check_masses(s);
            check_shape(s, k);
            check_samples(s, k, idle, after);
            scene_free(s);
        }
}

static void
test_names_and_refusals(void)
{
    struct scene_config c;
    struct scene *s = (struct scene *)&c;
    for (int k = 0; k < SCENE_KIND_COUNT; k++)
        CHECK_EQ_I64(scene_kind_from_str(scene_kind_to_str(k)), k);
    CHECK(strcmp(scene_kind_to_str(SCENE_KIND_COUNT), "?") == 0);
    CHECK_EQ_I64(scene_kind_from_str("dog"), -EINVAL);
    CHECK_EQ_I64(scene_kind_from_str(NULL), -EINVAL);
    static const char *const what[] = {
        "kind",        "one platform", "five platforms", "noise",
        "sampling",    "wrong_cal",    "idle too short", "idle too long",
        "busy before", "busy after",   "start",
    };
    for (int i = 0; i < (int)(sizeof(what) / sizeof(what[0])); i++) {
        scene_config_default(&c, SCENE_CAT, seed);
        switch (i) {
        case 0:
            c.kind = SCENE_KIND_COUNT;
            break;
        case 1:
            c.platforms = 1;
            break;
        case 2:
            c.platforms = 5;
            break;
        case 3:
            c.noise = SCENE_NOISE_COUNT;
            break;
        case 4:
            c.sampling = -2;
            break;
        case 5:
            c.wrong_cal = 2;
            break;
        case 6:
            c.idle_period_ms = 100;
            break;
        case 7:
            c.idle_period_ms = 5000;
            break;
        case 8:
            c.busy_before_ms = 0;
            break;
        case 9:
            c.busy_after_ms = 31 * MIN_MS;
            break;
        default:
            c.start_ms = -1;
            break;
        }
        CHECK_MSG(scene_new(&c, &s) == -EINVAL && s == NULL, "%s accepted", what[i]);
    }
    scene_free(NULL);
    FILE *f = tmpfile();
    scene_config_default(&c, SCENE_CAT, seed);
    c.platforms = 9;
    CHECK_EQ_I64(scene_write(&c, f, f), -EINVAL);
    fclose(f);
}

int
main(int argc, char **argv)
{
    seed = th_seed(20261001);
    if (argc > 1)
        n_seeds = atoi(argv[1]) > 0 ? atoi(argv[1]) : 3;
    valgrind = getenv("TEST_UNDER_VALGRIND") != NULL;
    if (valgrind)
        n_seeds = 1;
    RUN(test_names_and_refusals);
    RUN(test_deterministic);
    RUN(test_files);
    RUN(test_every_kind);
    return th_done();
}
