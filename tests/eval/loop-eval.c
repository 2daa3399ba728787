/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-loop-eval: the reorder decisions judged closed loop with what ships.
 * For every scenario of demand.h and every seed, the daemon's pipeline runs on
 * a simulated shelf (closedloop.h) with a configuration that says only what a
 * household must (the item's pack, container and calibration, mode "auto"):
 * every other setting is agent/config/agent-config.c's default. Orders arrive after the
 * shop's true lead time times U(0.8, 1.5); beside the agent, threshold scales
 * ordering a pack below 20 % and 30 % of one, and an oracle, on the same
 * household and the same lead draws.
 *
 * Prints a markdown table (per scenario, sums over seeds) and checks the
 * issue's goals, saying which hold:
 *   1. no stockout day once the lead has been observed (after the first
 *      delivery), in every scenario;
 *   2. fewer excess pack-days in total than the 30 % threshold scale;
 *   3. no run where the agent places more orders than the oracle plus one.
 * With --check, exits 1 when a goal in --require does not hold.
 *
 * Then the policy learning from corrections (agent/pipeline/learn.h): the agent again,
 * with a household that cancels predicted orders that come too early and
 * orders by hand when it runs out (closedloop.h, `corrects`), with learning and
 * without; the corrections per quarter of the run say whether it learns.
 * --corrections prints only this part.
 *
 * Usage: pantry-loop-eval [--seeds N] [--days D] [--scenario NAME]... [--out FILE]
 *                         [--check] [--require 1,2,3] [--corrections]
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sim/closedloop.h"
#include "agent/config/agent-config.h"
#include "tests/eval/demand.h"
#include "sensors/text.h"

#define DAY_S INT64_C(86400)
#define POLICIES 4 /* agent, 20 %, 30 %, oracle */

struct sums {
    int64_t demand_mg, lost_mg;
    long stockout_days, stockout_learnt;
    double excess_pd;
    long orders;
    double packs;           /* delivered, in packs */
    long worst_orders_over; /* max over seeds of orders - oracle's */
};

/* The correcting household, with learning [0] and without [1]. */
struct fix_sums {
    long q[4], cancels, manual, stockout_days;
    double excess_pd;
};

static int
run_fix(enum dm_scenario sc, uint64_t seed, int64_t days, bool foresees,
        struct fix_sums *s)
{
    static struct agent_config cfg;
    struct dm_run d;
    struct cl_config c;
    char err[512];
    int e;

    if ((e = dm_generate(&d, sc, seed, days)) < 0)
        return e;
    if ((e = dm_config(&d, &cfg, err, sizeof(err))) < 0)
        goto out;
    struct cl_item item = {d.use, d.n_use, d.pack_mg};
    cl_config_default(&c, DM_EPOCH_S, DM_EPOCH_S + days * DAY_S);
    c.seed = seed;
    c.lead_mean_s = d.lead_s;
    c.corrects = true;
    c.foresees = foresees;
    for (int k = 0; k < 2; k++) {
        struct cl_result r;
        c.no_learning = k == 1;
        if ((e = cl_run(&cfg, &item, &c, CL_AGENT, 0, &r, err, sizeof(err))) < 0)
            goto out;
        const struct cl_metrics *m = &r.item[0];
        for (int q = 0; q < 4; q++)
            s[k].q[q] += m->corrections_q[q];
        s[k].cancels += m->cancels;
        s[k].manual += m->manual;
        s[k].stockout_days += m->stockout_days;
        s[k].excess_pd += cl_excess_pack_days(m, d.pack_mg);
        cl_result_fini(&r);
    }
out:
    if (e < 0)
        fprintf(stderr, "pantry-loop-eval: %s seed %" PRIu64 ": %s\n",
                dm_scenario_to_str(sc), seed, e == -ENOMEM ? "out of memory" : err);
    dm_free(&d);
    return e;
}

static int
print_fix(int64_t seeds, int64_t days, const bool *want, bool any, bool foresees)
{
    static struct fix_sums all[DM_SCENARIO_COUNT][2];
    long tot[2][4] = {{0}}, out[2] = {0};
    memset(all, 0, sizeof(all));
    for (int sc = 0; sc < DM_SCENARIO_COUNT; sc++) {
        if (any && !want[sc])
            continue;
        for (int64_t k = 1; k <= seeds; k++)
            if (run_fix((enum dm_scenario)sc, (uint64_t)k, days, foresees, all[sc]) < 0)
                return -1;
    }
    if (!foresees)
        printf(
            "\n## Learning from corrections\n\nThe agent again (%" PRId64 " seeds x "
            "%" PRId64 " days), with a household that cancels a predicted order when "
            "its contents would last beyond the shop's mean lead plus 3 days at its "
            "own "
            "use of the last 28 days, and orders by hand when the jar is empty with "
            "nothing on its way (agent/sim/closedloop.h, `corrects`); with the shipped "
            "learning (agent/pipeline/learn.h) and without. Corrections (cancels and "
            "orders by "
            "hand) per quarter of the run, sums over the seeds.\n\n",
            seeds, days);
    else
        printf(
            "\n### A household that foresees its use\n\nThe same, but the household "
            "judges an order by the uses to come rather than by its past use "
            "(`foresees`): its cancels carry what no forecast can know, and a policy "
            "that learns to need fewer of them loses that knowledge.\n\n");
    printf(
        "| scenario | learning | Q1 | Q2 | Q3 | Q4 | cancels | by hand | stockout days "
        "| excess pack-days |\n|---|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int sc = 0; sc < DM_SCENARIO_COUNT; sc++) {
        if (any && !want[sc])
            continue;
        for (int k = 0; k < 2; k++) {
            const struct fix_sums *s = &all[sc][k];
            printf("| %s | %s | %ld | %ld | %ld | %ld | %ld | %ld | %ld | %.1f |\n",
                   k == 0 ? dm_scenario_to_str((enum dm_scenario)sc) : "",
                   k == 0 ? "on" : "off", s->q[0], s->q[1], s->q[2], s->q[3],
                   s->cancels, s->manual, s->stockout_days, s->excess_pd);
            for (int q = 0; q < 4; q++)
                tot[k][q] += s->q[q];
            out[k] += s->stockout_days;
        }
    }
    printf(
        "| all | on | %ld | %ld | %ld | %ld | | | %ld | |\n| | off | %ld | %ld | %ld | "
        "%ld | | | %ld | |\n",
        tot[0][0], tot[0][1], tot[0][2], tot[0][3], out[0], tot[1][0], tot[1][1],
        tot[1][2], tot[1][3], out[1]);
    return 0;
}

/* Both correcting households, the one that judges by its past use first. */
static int
print_fixes(int64_t seeds, int64_t days, const bool *want, bool any)
{
    return print_fix(seeds, days, want, any, false) < 0 ||
                   print_fix(seeds, days, want, any, true) < 0
               ? -1
               : 0;
}

static const char *const policy_names[POLICIES] = {"agent", "threshold 20 %",
                                                   "threshold 30 %", "oracle"};

static int
run_one(enum dm_scenario sc, uint64_t seed, int64_t days, struct sums *s, bool verbose)
{
    static struct agent_config cfg;
    struct dm_run d;
    struct cl_config c;
    char err[512];
    int e;

    if ((e = dm_generate(&d, sc, seed, days)) < 0)
        return e;
    if ((e = dm_config(&d, &cfg, err, sizeof(err))) < 0) {
        fprintf(stderr, "pantry-loop-eval: %s\n", err);
        dm_free(&d);
        return e;
    }
    struct cl_item item = {d.use, d.n_use, d.pack_mg};
    cl_config_default(&c, DM_EPOCH_S, DM_EPOCH_S + days * DAY_S);
    c.seed = seed;
    c.lead_mean_s = d.lead_s;
    int orders[POLICIES];
    for (int p = 0; p < POLICIES; p++) {
        struct cl_result r;
        enum cl_policy pol = p == 0 ? CL_AGENT : p == 3 ? CL_ORACLE : CL_THRESHOLD;
        if ((e = cl_run(&cfg, &item, &c, pol, p == 1 ? 20 : 30, &r, err, sizeof(err))) <
            0) {
            fprintf(stderr, "pantry-loop-eval: %s seed %" PRIu64 ": %s\n",
                    dm_scenario_to_str(sc), seed, err);
            dm_free(&d);
            return e;
        }
        const struct cl_metrics *m = &r.item[0];
        s[p].demand_mg += m->demand_mg;
        s[p].lost_mg += m->lost_mg;
        s[p].stockout_days += m->stockout_days;
        s[p].stockout_learnt += m->stockout_days_learnt;
        s[p].excess_pd += cl_excess_pack_days(m, d.pack_mg);
        s[p].orders += m->orders;
        s[p].packs += (double)m->delivered_mg / (double)d.pack_mg;
        orders[p] = m->orders;
        if (verbose)
            printf("# %s seed %" PRIu64 " %s: stockout days %d (%d after the first "
                   "delivery), lost %.2f %%, excess %.2f pack-days, %d orders\n",
                   dm_scenario_to_str(sc), seed, policy_names[p], m->stockout_days,
                   m->stockout_days_learnt,
                   m->demand_mg ? 100.0 * (double)m->lost_mg / (double)m->demand_mg : 0,
                   cl_excess_pack_days(m, d.pack_mg), m->orders);
        for (int k = 0; verbose && k < m->stockout_days && k < 8; k++)
            printf("#   ran out on day %d\n", (int)m->out_day[k]);
        for (size_t k = 0; verbose && p == 0 && k < r.n_ord; k++)
            printf("#   order placed day %.2f, %u pack(s), arrives day %.2f, %s\n",
                   (double)(r.ord[k].placed_s - DM_EPOCH_S) / DAY_S, r.ord[k].packs,
                   r.ord[k].arrive_s ? (double)(r.ord[k].arrive_s - DM_EPOCH_S) / DAY_S
                                     : -1,
                   r.ord[k].state);
        cl_result_fini(&r);
    }
    if (orders[0] - orders[3] > s[0].worst_orders_over)
        s[0].worst_orders_over = orders[0] - orders[3];
    dm_free(&d);
    return 0;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seeds", required_argument, NULL, 's'},
        {"days", required_argument, NULL, 'd'},
        {"scenario", required_argument, NULL, 'S'},
        {"out", required_argument, NULL, 'o'},
        {"check", no_argument, NULL, 'c'},
        {"require", required_argument, NULL, 'r'},
        {"verbose", no_argument, NULL, 'v'},
        {"corrections", no_argument, NULL, 'C'},
        {NULL, 0, NULL, 0},
    };
    int64_t seeds = 20, days = 365;
    bool want[DM_SCENARIO_COUNT] = {false}, any = false, check = false, verbose = false;
    bool only_fix = false;
    bool require[4] = {false, true, true, true};
    const char *out = NULL;
    int o;

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        enum dm_scenario sc;
        switch (o) {
        case 's':
            if (!text_parse_uint(optarg, 4, false, &seeds) || seeds < 1)
                goto usage;
            break;
        case 'd':
            if (!text_parse_uint(optarg, 4, false, &days) || days < 120 || days > 1000)
                goto usage;
            break;
        case 'S':
            if (dm_scenario_from_str(optarg, &sc) < 0)
                goto usage;
            want[sc] = any = true;
            break;
        case 'o':
            out = optarg;
            break;
        case 'c':
            check = true;
            break;
        case 'r':
            require[1] = strchr(optarg, '1') != NULL;
            require[2] = strchr(optarg, '2') != NULL;
            require[3] = strchr(optarg, '3') != NULL;
            break;
        case 'v':
            verbose = true;
            break;
        case 'C':
            only_fix = true;
            break;
        default:
            goto usage;
        }
    }
    if (optind != argc)
        goto usage;
    if (out != NULL && freopen(out, "w", stdout) == NULL) {
        perror(out);
        return 1;
    }

    if (only_fix)
        return print_fixes(seeds, days, want, any) < 0 ? 1 : 0;
    struct sums all[DM_SCENARIO_COUNT][POLICIES];
    memset(all, 0, sizeof(all));
    for (int sc = 0; sc < DM_SCENARIO_COUNT; sc++) {
        if (any && !want[sc])
            continue;
        for (int64_t k = 1; k <= seeds; k++)
            if (run_one((enum dm_scenario)sc, (uint64_t)k, days, all[sc], verbose) < 0)
                return 1;
    }

    if (out != NULL) {
        printf("# Reordering closed loop, with what ships\n\n"
               "Written by `ninja -C <build> loop-eval` (tests/eval/loop-eval.c); the "
               "reading is in README.md, \"Closed loop with the daemon\". Do not edit "
               "by hand.\n\nScenarios (tests/eval/demand.c):\n\n");
        for (int sc = 0; sc < DM_SCENARIO_COUNT; sc++)
            if (!any || want[sc])
                printf("- **%s**: %s\n", dm_scenario_to_str((enum dm_scenario)sc),
                       dm_scenario_describe((enum dm_scenario)sc));
        printf("\n");
    }
    printf(
        "Closed loop, %" PRId64 " seeds x %" PRId64 " days per scenario, the daemon's "
        "pipeline with its shipped defaults (mode auto), true leads the shop's mean x "
        "U(0.8, 1.5). Sums over the seeds; orders and packs delivered per run on "
        "average.\n\n",
        seeds, days);
    printf("| scenario | policy | stockout days | after the first delivery | lost "
           "demand %% | excess pack-days | orders | packs "
           "|\n|---|---|---:|---:|---:|---:|---:|---:|\n");
    bool goal1 = true, goal3 = true;
    double excess_agent = 0, excess_30 = 0;
    for (int sc = 0; sc < DM_SCENARIO_COUNT; sc++) {
        if (any && !want[sc])
            continue;
        for (int p = 0; p < POLICIES; p++) {
            const struct sums *s = &all[sc][p];
            printf("| %s | %s | %ld | %ld | %.2f | %.1f | %.1f | %.1f |\n",
                   p == 0 ? dm_scenario_to_str((enum dm_scenario)sc) : "",
                   policy_names[p], s->stockout_days, s->stockout_learnt,
                   s->demand_mg ? 100.0 * (double)s->lost_mg / (double)s->demand_mg : 0,
                   s->excess_pd, (double)s->orders / (double)seeds,
                   s->packs / (double)seeds);
        }
        goal1 = goal1 && all[sc][0].stockout_learnt == 0;
        goal3 = goal3 && all[sc][0].worst_orders_over <= 1;
        excess_agent += all[sc][0].excess_pd;
        excess_30 += all[sc][2].excess_pd;
    }
    bool goal2 = excess_agent < excess_30;
    printf(
        "\nGoals: (1) no stockout day after the first delivery: %s; (2) fewer excess "
        "pack-days than the 30 %% threshold (%.1f against %.1f): %s; (3) no more "
        "orders than the oracle plus one per run: %s.\n",
        goal1 ? "met" : "NOT met", excess_agent, excess_30, goal2 ? "met" : "NOT met",
        goal3 ? "met" : "NOT met");
    if (out != NULL && print_fixes(seeds, days, want, any) < 0)
        return 1;
    fflush(stdout);
    if (check &&
        ((require[1] && !goal1) || (require[2] && !goal2) || (require[3] && !goal3))) {
        fprintf(stderr, "pantry-loop-eval: a required goal is not met\n");
        return 1;
    }
    return 0;
usage:
    fprintf(stderr,
            "usage: pantry-loop-eval [--seeds N] [--days 120..1000] [--scenario "
            "NAME]... [--out FILE] [--check] [--require 1,2,3] [--verbose] "
            "[--corrections]\n");
    return 2;
}
