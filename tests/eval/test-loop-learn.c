/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The policy learning from corrections, closed loop (issue 14): the daemon's
 * pipeline with its shipped defaults on the households of demand.h (coffee and
 * rice, seeds 1..3), with a household that cancels predicted orders it finds
 * too early, by its jar and its use of the last 28 days, and orders by hand
 * when it runs out (closedloop.h, `corrects`),
 * once with the shipped learning (agent/pipeline/learn.h) and once without. Asserted,
 * over the seeds:
 *
 *  - it learns: the last quarter of the year sees at most half the
 *    corrections (cancels and orders by hand) of the first;
 *  - learning pays: after the first quarter, fewer than half the corrections
 *    of the same household with learning off;
 *  - not at any price: at most 10 stockout days per household-year.
 *
 * Under valgrind (TEST_UNDER_VALGRIND) one seed of coffee only, for the memory.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sim/closedloop.h"
#include "tests/eval/demand.h"
#include "tests/harness.h"

#define DAY_S INT64_C(86400)

static uint64_t seeds = 3;

struct sums {
    long q[4];
    long stockout_days;
};

static int
run(enum dm_scenario sc, uint64_t seed, bool learning, struct sums *s)
{
    static struct agent_config cfg;
    struct dm_run d;
    struct cl_config c;
    struct cl_result r;
    char err[512];
    int e;

    if ((e = dm_generate(&d, sc, seed, 365)) < 0)
        return e;
    if ((e = dm_config(&d, &cfg, err, sizeof(err))) < 0) {
        TH_FAIL("%s: %s", dm_scenario_to_str(sc), err);
        dm_free(&d);
        return e;
    }
    struct cl_item item = {d.use, d.n_use, d.pack_mg};
    cl_config_default(&c, DM_EPOCH_S, DM_EPOCH_S + 365 * DAY_S);
    c.seed = seed;
    c.lead_mean_s = d.lead_s;
    c.corrects = true;
    c.no_learning = !learning;
    if ((e = cl_run(&cfg, &item, &c, CL_AGENT, 0, &r, err, sizeof(err))) < 0) {
        TH_FAIL("%s seed %" PRIu64 ": %s", dm_scenario_to_str(sc), seed, err);
    } else {
        for (int q = 0; q < 4; q++)
            s->q[q] += r.item[0].corrections_q[q];
        s->stockout_days += r.item[0].stockout_days;
        printf("# %s seed %" PRIu64
               " learning %s: corrections %d %d %d %d, %d cancels, "
               "%d by hand, %d stockout days\n",
               dm_scenario_to_str(sc), seed, learning ? "on" : "off",
               r.item[0].corrections_q[0], r.item[0].corrections_q[1],
               r.item[0].corrections_q[2], r.item[0].corrections_q[3],
               r.item[0].cancels, r.item[0].manual, r.item[0].stockout_days);
        cl_result_fini(&r);
    }
    dm_free(&d);
    return e;
}

static void
check_scenario(enum dm_scenario sc)
{
    struct sums on, off;
    memset(&on, 0, sizeof(on));
    memset(&off, 0, sizeof(off));
    for (uint64_t k = 1; k <= seeds; k++)
        if (run(sc, k, true, &on) < 0 || run(sc, k, false, &off) < 0)
            return;
    if (seeds < 3)
        return; /* valgrind: the memory only */
    const char *name = dm_scenario_to_str(sc);
    CHECK_MSG(2 * on.q[3] <= on.q[0],
              "%s: %ld corrections in the last quarter, %ld in the "
              "first",
              name, on.q[3], on.q[0]);
    long later_on = on.q[1] + on.q[2] + on.q[3],
         later_off = off.q[1] + off.q[2] + off.q[3];
    CHECK_MSG(2 * later_on < later_off,
              "%s: %ld corrections after the first quarter with "
              "learning, %ld without",
              name, later_on, later_off);
    CHECK_MSG(on.stockout_days <= 10 * (long)seeds,
              "%s: %ld stockout days in %" PRIu64 " years", name, on.stockout_days,
              seeds);
}

static void
test_coffee(void)
{
    check_scenario(DM_COFFEE);
}

static void
test_rice(void)
{
    check_scenario(DM_RICE);
}

int
main(void)
{
    if (getenv("TEST_UNDER_VALGRIND") != NULL) {
        seeds = 1;
        RUN(test_coffee);
        return th_done();
    }
    RUN(test_coffee);
    RUN(test_rice);
    return th_done();
}
