/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The press classifier on hand-built edge sequences (clean, bouncing, glitches,
 * every threshold at and either side of its value) and on random sequences of
 * intended presses with contact bounce added, whose expected presses follow
 * from the intent alone. Times are virtual; nothing sleeps.
 */
#include <errno.h>
#include <string.h>

#include "sensors/hw/button.h"
#include "tests/harness.h"

#define MAX_OUT 256

static const struct button_config cfg = {
    .debounce_ms = 20, .long_ms = 800, .double_ms = 400};

struct run {
    struct button_state b;
    struct button_config cfg;
    struct press out[MAX_OUT];
    int n;
};

static void
run_init(struct run *r, const struct button_config *c)
{
    memset(r, 0, sizeof(*r));
    r->cfg = *c;
    button_init(&r->b, 3);
}

static int
edge(struct run *r, int64_t t, int pressed)
{
    struct press p[BUTTON_MAX_PRESSES];
    int k = button_edge(&r->b, &r->cfg, pressed, t, p, BUTTON_MAX_PRESSES);
    for (int i = 0; i < k && r->n < MAX_OUT; i++)
        r->out[r->n++] = p[i];
    return k;
}

static int
tick(struct run *r, int64_t t)
{
    struct press p[BUTTON_MAX_PRESSES];
    int k = button_tick(&r->b, &r->cfg, t, p, BUTTON_MAX_PRESSES);
    for (int i = 0; i < k && r->n < MAX_OUT; i++)
        r->out[r->n++] = p[i];
    return k;
}

/* Edges at the given times, alternating from pressed; then ticks as asked. */
static void
edges(struct run *r, const int64_t *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        CHECK(edge(r, t[i], i % 2 == 0) >= 0);
}

static void
check_press(const struct run *r, int i, int64_t t_ms, enum press_kind kind)
{
    CHECK_MSG(i < r->n, "press %d missing (have %d)", i, r->n);
    if (i >= r->n)
        return;
    CHECK_EQ_I64(r->out[i].t_ms, t_ms);
    CHECK_MSG(r->out[i].kind == kind, "press %d: %s, expected %s", i,
              press_kind_to_str(r->out[i].kind), press_kind_to_str(kind));
    CHECK_EQ_I64(r->out[i].button, 3);
}

static void
test_short_clean(void)
{
    struct run r;
    static const int64_t t[] = {1000, 1100};

    run_init(&r, &cfg);
    edges(&r, t, 2);
    CHECK_EQ_I64(button_next_due_ms(&r.b, &r.cfg), 1120); /* release settles */
    CHECK_EQ_I64(tick(&r, 1119), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN);
    CHECK_EQ_I64(tick(&r, 1120), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_WAIT);
    /* Released at 1100; a second press would have to start before 1500. */
    CHECK_EQ_I64(button_next_due_ms(&r.b, &r.cfg), 1500);
    CHECK_EQ_I64(tick(&r, 1499), 0);
    CHECK_EQ_I64(tick(&r, 1500), 1);
    check_press(&r, 0, 1000, PRESS_SHORT);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE);
    CHECK_EQ_I64(button_next_due_ms(&r.b, &r.cfg), INT64_MAX);
    CHECK_EQ_I64(tick(&r, 100000), 0);
}

static void
test_short_bouncing(void)
{
    struct run r;
    /* Press bounces for 10 ms, release for 4 ms; every gap is under 20 ms. */
    static const int64_t t[] = {1000, 1003, 1005, 1008, 1010, 1200, 1202, 1204};

    run_init(&r, &cfg);
    edges(&r, t, 4); /* still bouncing at 1008 */
    CHECK_EQ_I64(button_next_due_ms(&r.b, &r.cfg), 1028);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE);
    CHECK(edge(&r, t[4], 1) == 0);
    CHECK_EQ_I64(tick(&r, 1029), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE);
    CHECK_EQ_I64(tick(&r, 1030), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN);
    CHECK_EQ_I64(r.b.down_ms, 1000); /* dated at the first edge */
    /* Released at 1200, bouncing until 1204. */
    CHECK(edge(&r, t[5], 0) == 0);
    CHECK(edge(&r, t[6], 1) == 0);
    CHECK(edge(&r, t[7], 0) == 0);
    CHECK_EQ_I64(tick(&r, 1223), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN);
    CHECK_EQ_I64(tick(&r, 1224), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_WAIT);
    CHECK_EQ_I64(r.b.up_ms, 1200);
    CHECK_EQ_I64(tick(&r, 1599), 0);
    CHECK_EQ_I64(tick(&r, 1600), 1);
    CHECK_EQ_I64(r.n, 1);
    check_press(&r, 0, 1000, PRESS_SHORT);
}

static void
test_glitches(void)
{
    struct run r;
    static const int64_t noise[] = {1000, 1005};
    static const int64_t held[] = {2000, 2300, 2310, 2600};

    /* A 5 ms spike on an idle line: nothing. */
    run_init(&r, &cfg);
    edges(&r, noise, 2);
    CHECK_EQ_I64(tick(&r, 1025), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE);
    CHECK_EQ_I64(tick(&r, 100000), 0);
    CHECK_EQ_I64(r.n, 0);
    /* A 10 ms drop-out in a 600 ms press: one short press, not two. */
    run_init(&r, &cfg);
    edges(&r, held, 1);
    CHECK(edge(&r, 2300, 0) == 0);
    CHECK(edge(&r, 2310, 1) == 0);
    CHECK(edge(&r, 2600, 0) == 0);
    CHECK_EQ_I64(tick(&r, 3000), 1);
    check_press(&r, 0, 2000, PRESS_SHORT);
    CHECK_EQ_I64(r.n, 1);
    /* Repeated levels (a lost edge): only the settled level counts. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1100, 1) == 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN);
    CHECK_EQ_I64(r.b.down_ms, 1000);
    CHECK(edge(&r, 1200, 0) == 0);
    CHECK(edge(&r, 1210, 0) == 0);
    CHECK_EQ_I64(tick(&r, 1229), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN);
    CHECK_EQ_I64(tick(&r, 1230), 0);
    CHECK_EQ_I64(r.b.up_ms, 1200);
}

static void
test_long(void)
{
    struct run r;

    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK_EQ_I64(tick(&r, 1799), 0);
    CHECK_EQ_I64(button_next_due_ms(&r.b, &r.cfg), 1800);
    CHECK_EQ_I64(tick(&r, 1800), 1); /* reported while still held */
    check_press(&r, 0, 1000, PRESS_LONG);
    CHECK_EQ_I64(r.b.phase, BUTTON_LONG_HELD);
    CHECK(edge(&r, 5000, 0) == 0);
    CHECK_EQ_I64(tick(&r, 5020), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE);
    CHECK_EQ_I64(tick(&r, 100000), 0);
    CHECK_EQ_I64(r.n, 1);

    /* Held exactly long_ms, no tick in between: long (held >= long_ms). */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK_EQ_I64(edge(&r, 1800, 0), 1);
    check_press(&r, 0, 1000, PRESS_LONG);
    /* Held 799 ms: short. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK_EQ_I64(edge(&r, 1799, 0), 0);
    CHECK_EQ_I64(tick(&r, 1799 + 20 + 400), 1);
    check_press(&r, 0, 1000, PRESS_SHORT);
}

static void
test_release_bounce_at_long_threshold(void)
{
    struct run r;

    /*
     * The contact opens at 1790 (held 790 ms) and bounces until 1800; the
     * release settles at 1820, after the long deadline of 1800. It is a short
     * press: the tick at 1800 must wait for the burst.
     */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1790, 0) == 0);
    CHECK(edge(&r, 1795, 1) == 0);
    CHECK(edge(&r, 1800, 0) == 0);
    CHECK_EQ_I64(tick(&r, 1800), 0);
    CHECK_EQ_I64(tick(&r, 1819), 0);
    CHECK_EQ_I64(tick(&r, 1820), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_WAIT);
    CHECK_EQ_I64(tick(&r, 2190), 1);
    check_press(&r, 0, 1000, PRESS_SHORT);
    /* The same bounce that ends pressed again: noise, the press goes on. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1790, 0) == 0);
    CHECK(edge(&r, 1795, 1) == 0);
    CHECK_EQ_I64(tick(&r, 1814), 0);
    CHECK_EQ_I64(tick(&r, 1815), 1); /* late, but dated and classified right */
    check_press(&r, 0, 1000, PRESS_LONG);
}

static void
test_double(void)
{
    struct run r;
    static const int64_t t[] = {1000, 1100, 1300, 1400};

    run_init(&r, &cfg);
    edges(&r, t, 4);
    CHECK_EQ_I64(tick(&r, 1419), 0);
    CHECK_EQ_I64(tick(&r, 1420), 1);
    check_press(&r, 0, 1000, PRESS_DOUBLE);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE);
    CHECK_EQ_I64(tick(&r, 100000), 0);
    CHECK_EQ_I64(r.n, 1);

    /* Second press 399 ms after the release: double. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1100, 0) == 0);
    CHECK(edge(&r, 1499, 1) == 0);
    CHECK(edge(&r, 1600, 0) == 0);
    CHECK_EQ_I64(tick(&r, 1620), 1);
    check_press(&r, 0, 1000, PRESS_DOUBLE);

    /* Exactly 400 ms: two short presses. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1100, 0) == 0);
    CHECK_EQ_I64(edge(&r, 1500, 1), 1);
    check_press(&r, 0, 1000, PRESS_SHORT);
    CHECK(edge(&r, 1600, 0) == 0);
    CHECK_EQ_I64(tick(&r, 1999), 0);
    CHECK_EQ_I64(tick(&r, 2000), 1);
    check_press(&r, 1, 1500, PRESS_SHORT);

    /* A second press 398 ms after, debounced only at 1518 (after the 1500
     * deadline): its contact closed in time, so still a double. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1100, 0) == 0);
    CHECK(edge(&r, 1498, 1) == 0);
    CHECK_EQ_I64(tick(&r, 1500), 0);
    CHECK_EQ_I64(tick(&r, 1518), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN2);
    CHECK(edge(&r, 1600, 0) == 0);
    CHECK_EQ_I64(tick(&r, 1620), 1);
    check_press(&r, 0, 1000, PRESS_DOUBLE);
}

static void
test_short_then_long(void)
{
    struct run r;

    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1100, 0) == 0);
    CHECK(edge(&r, 1300, 1) == 0);
    CHECK_EQ_I64(tick(&r, 2099), 0);
    CHECK_EQ_I64(tick(&r, 2100), 2);
    check_press(&r, 0, 1000, PRESS_SHORT);
    check_press(&r, 1, 1300, PRESS_LONG);
    CHECK(edge(&r, 3000, 0) == 0);
    CHECK_EQ_I64(tick(&r, 100000), 0);
    CHECK_EQ_I64(r.n, 2);

    /* All decided in one call, by an edge long after: order kept. */
    run_init(&r, &cfg);
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 1100, 0) == 0);
    CHECK(edge(&r, 1300, 1) == 0);
    CHECK_EQ_I64(edge(&r, 9000, 0), 2);
    check_press(&r, 0, 1000, PRESS_SHORT);
    check_press(&r, 1, 1300, PRESS_LONG);
}

static void
test_no_double_no_debounce(void)
{
    struct run r;
    struct button_config c = {.debounce_ms = 0, .long_ms = 500, .double_ms = 0};

    run_init(&r, &c);
    CHECK_EQ_I64(edge(&r, 1000, 1), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_DOWN);
    CHECK_EQ_I64(edge(&r, 1100, 0), 1); /* reported on release */
    check_press(&r, 0, 1000, PRESS_SHORT);
    CHECK_EQ_I64(edge(&r, 1101, 1), 0);
    CHECK_EQ_I64(edge(&r, 1102, 0), 1); /* no debounce: a 1 ms blip is a press */
    check_press(&r, 1, 1101, PRESS_SHORT);
    CHECK_EQ_I64(edge(&r, 2000, 1), 0);
    CHECK_EQ_I64(tick(&r, 2500), 1);
    check_press(&r, 2, 2000, PRESS_LONG);
}

static void
test_api_edges(void)
{
    struct run r;
    struct press p[BUTTON_MAX_PRESSES];
    struct button_config bad = cfg;

    run_init(&r, &cfg);
    CHECK_EQ_I64(button_tick(&r.b, &r.cfg, 0, p, BUTTON_MAX_PRESSES - 1), -ENOBUFS);
    CHECK_EQ_I64(button_tick(&r.b, NULL, 0, p, BUTTON_MAX_PRESSES), -EINVAL);
    CHECK_EQ_I64(button_tick(NULL, &r.cfg, 0, p, BUTTON_MAX_PRESSES), -EINVAL);
    bad.long_ms = bad.debounce_ms;
    CHECK_EQ_I64(button_config_check(&bad), -EINVAL);
    bad = cfg;
    bad.debounce_ms = -1;
    CHECK_EQ_I64(button_config_check(&bad), -EINVAL);
    bad = cfg;
    bad.double_ms = 10001;
    CHECK_EQ_I64(button_config_check(&bad), -EINVAL);
    CHECK_EQ_I64(button_config_check(&cfg), 0);
    /* Time going back is taken as the latest time seen. */
    CHECK(edge(&r, 1000, 1) == 0);
    CHECK(edge(&r, 900, 0) == 0);
    CHECK_EQ_I64(tick(&r, 1020), 0);
    CHECK_EQ_I64(r.b.phase, BUTTON_IDLE); /* a zero-length blip: noise */
    CHECK(strcmp(button_phase_to_str(BUTTON_LONG_HELD), "long-held") == 0);
    CHECK(strcmp(button_phase_to_str((enum button_phase)9), "?") == 0);
}

/*
 * Random sequences: intended presses (short, long, double) with durations at
 * least 40 ms away from every threshold, contact bounce of up to 4 edges in
 * 15 ms at every transition, drop-outs inside long holds, and ticks at random
 * times. The expected presses follow from the intent alone.
 */
struct plan {
    int64_t t[4096];
    int level[4096];
    int n;
};

static void
add_transition(struct plan *p, uint64_t *rng, int64_t t, int level)
{
    int bounces = (int)(th_rand(rng) % 3) * 2; /* 0, 2 or 4 extra edges */
    int64_t u = t;

    p->t[p->n] = t;
    p->level[p->n++] = level;
    for (int i = 0; i < bounces; i++) {
        u += 1 + (int64_t)(th_rand(rng) % 3); /* within 15 ms in all */
        p->t[p->n] = u;
        p->level[p->n++] = i % 2 == 0 ? !level : level;
    }
}

static void
test_random(void)
{
    uint64_t seed = th_seed(0x2026b077), rng = seed;

    for (int round = 0; round < 300; round++) {
        struct plan *p = calloc(1, sizeof(*p));
        struct press want[64];
        int n_want = 0;
        int64_t t = 1000 + (int64_t)(th_rand(&rng) % 1000);
        struct run r;

        for (int a = 0; a < 20; a++) {
            int kind = (int)(th_rand(&rng) % 3);
            int64_t start = t;
            int64_t hold;

            if (kind == PRESS_LONG) {
                hold = 840 + (int64_t)(th_rand(&rng) % 2000);
                add_transition(p, &rng, t, 1);
                if (hold > 1000 && th_rand(&rng) % 2) {
                    /* a 10 ms drop-out in the middle of the hold */
                    add_transition(p, &rng, t + 500, 0);
                    p->t[p->n] = t + 510;
                    p->level[p->n++] = 1;
                }
                add_transition(p, &rng, t + hold, 0);
                t += hold;
            } else {
                hold = 60 + (int64_t)(th_rand(&rng) % 700); /* 60..759 < 760 */
                add_transition(p, &rng, t, 1);
                add_transition(p, &rng, t + hold, 0);
                t += hold;
                if (kind == PRESS_DOUBLE) {
                    t += 60 + (int64_t)(th_rand(&rng) % 300); /* gap < 360 */
                    hold = 60 + (int64_t)(th_rand(&rng) % 700);
                    add_transition(p, &rng, t, 1);
                    add_transition(p, &rng, t + hold, 0);
                    t += hold;
                }
            }
            want[n_want++] =
                (struct press){.t_ms = start, .button = 3, .kind = (uint8_t)kind};
            t += 440 + (int64_t)(th_rand(&rng) % 3000); /* gap >= 440 */
        }

        run_init(&r, &cfg);
        for (int i = 0; i < p->n; i++) {
            if (th_rand(&rng) % 4 == 0 && i > 0 && p->t[i] > p->t[i - 1])
                tick(&r, p->t[i - 1] + (int64_t)(th_rand(&rng) %
                                                 (uint64_t)(p->t[i] - p->t[i - 1])));
            edge(&r, p->t[i], p->level[i]);
        }
        tick(&r, t + 100000);
        CHECK_MSG(r.n == n_want, "seed %llu round %d: %d presses, expected %d",
                  (unsigned long long)seed, round, r.n, n_want);
        for (int i = 0; i < r.n && i < n_want; i++)
            CHECK_MSG(r.out[i].t_ms == want[i].t_ms && r.out[i].kind == want[i].kind,
                      "seed %llu round %d press %d: %s at %lld, expected %s at %lld",
                      (unsigned long long)seed, round, i,
                      press_kind_to_str(r.out[i].kind), (long long)r.out[i].t_ms,
                      press_kind_to_str(want[i].kind), (long long)want[i].t_ms);
        free(p);
        if (th_failures > 20)
            break;
    }
}

int
main(void)
{
    RUN(test_short_clean);
    RUN(test_short_bouncing);
    RUN(test_glitches);
    RUN(test_long);
    RUN(test_release_bounce_at_long_threshold);
    RUN(test_double);
    RUN(test_short_then_long);
    RUN(test_no_double_no_debounce);
    RUN(test_api_edges);
    RUN(test_random);
    return th_done();
}
