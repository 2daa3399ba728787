/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-forecast simulate: a household tries its settings. The configuration
 * (as pantry-agent reads it), one demand file per item (`t_seconds,grams`
 * lines: when, counted from the start, and how much the household wanted) and
 * a lead time model go through the closed loop (closedloop.h): the daemon's
 * real pipeline weighs a simulated shelf, orders, and deliveries arrive after
 * a true lead time. The same household is also run with threshold scales and
 * an oracle; the orders and the scores are printed (or --json).
 */
#include "agent/cli/simulate.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sim/closedloop.h"
#include "agent/config/agent-config.h"
#include "agent/sim/hhsource.h"
#include "sensors/text.h"
#include "agent/msg/utc.h"
#include "models/units.h"

static void
usage(FILE *out)
{
    fprintf(
        out,
        "Usage: pantry-forecast simulate --config FILE --demand [ITEM=]FILE... "
        "[OPTIONS]\n"
        "Run the daemon's pipeline closed loop on a simulated shelf: the household\n"
        "takes what the demand files say, orders are delivered after a true lead\n"
        "time; beside it threshold scales and an oracle on the same household.\n"
        "\n"
        "  -c, --config FILE     pantry-agent's configuration (items need a "
        "calibration)\n"
        "  -d, --demand [ITEM=]FILE\n"
        "                        'seconds,grams' lines: when (from the start) and how\n"
        "                        much is wanted; ITEM= may be left out with one item\n"
        "  -l, --lead DURATION   the true mean lead time (default: each item's lead)\n"
        "  -f, --lead-factor LO,HI\n"
        "                        each order's lead is the mean times a factor drawn\n"
        "                        uniformly in LO..HI percent (default 80,150)\n"
        "  -s, --seed N          the draws of the lead times and the noise (default "
        "1)\n"
        "  -D, --days N          days simulated (default: until a day after the last "
        "use)\n"
        "  -p, --start-packs X   contents at the start, in packs (default 1)\n"
        "  -t, --threshold PCT   threshold scales to compare, e.g. 20,30 (default "
        "20,30)\n"
        "  -j, --json            one JSON object\n"
        "  -q, --quiet           no per-order lines\n"
        "  -h, --help            this help\n"
        "\n"
        "Exit status: 0, 1 when a file cannot be read or the run fails, 2 for bad "
        "usage.\n");
}

struct sim_args {
    const char *config;
    const char *demand[CFG_MAX_ITEMS]; /* [ITEM=]FILE */
    size_t n_demand;
    struct cl_config c;
    int64_t days;
    int64_t start_packs_milli;
    uint32_t thresholds[4];
    size_t n_thresholds;
    bool json, quiet;
};

static bool
parse_pair(const char *s, int64_t *a, int64_t *b, size_t digits)
{
    char buf[32];
    char *comma;
    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    if ((comma = strchr(buf, ',')) == NULL)
        return false;
    *comma = '\0';
    return text_parse_uint(buf, digits, false, a) &&
           text_parse_uint(comma + 1, digits, false, b);
}

static int
parse_args(int argc, char **argv, struct sim_args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"demand", required_argument, NULL, 'd'},
        {"lead", required_argument, NULL, 'l'},
        {"lead-factor", required_argument, NULL, 'f'},
        {"seed", required_argument, NULL, 's'},
        {"days", required_argument, NULL, 'D'},
        {"start-packs", required_argument, NULL, 'p'},
        {"threshold", required_argument, NULL, 't'},
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int64_t x, y;
    int o;

    cl_config_default(&a->c, HH_EPOCH_S, HH_EPOCH_S + MODELS_DAY_S);
    a->start_packs_milli = 1000;
    a->thresholds[0] = 20;
    a->thresholds[1] = 30;
    a->n_thresholds = 2;
    optind = 1;
    while ((o = getopt_long(argc, argv, "c:d:l:f:s:D:p:t:jqh", opts, NULL)) != -1) {
        const char *why = NULL;
        switch (o) {
        case 'c':
            a->config = optarg;
            break;
        case 'd':
            if (a->n_demand == CFG_MAX_ITEMS)
                why = "--demand: at most one file per item";
            else
                a->demand[a->n_demand++] = optarg;
            break;
        case 'l':
            if (utc_parse_duration(optarg, 60 * MODELS_DAY_S, &a->c.lead_mean_s) < 0 ||
                a->c.lead_mean_s < 60)
                why = "--lead: expected a duration from 1m to 60d, like 9d or 36h";
            break;
        case 'f':
            if (!parse_pair(optarg, &x, &y, 4) || x < 1 || y < x || y > 1000)
                why = "--lead-factor: expected LO,HI percent, 1 <= LO <= HI <= 1000";
            a->c.lead_lo_pct = (uint32_t)x;
            a->c.lead_hi_pct = (uint32_t)y;
            break;
        case 's':
            if (!text_parse_uint(optarg, 18, false, &x))
                why = "--seed: expected a whole number";
            a->c.seed = (uint64_t)x;
            break;
        case 'D':
            if (!text_parse_uint(optarg, 5, false, &a->days) || a->days < 1 ||
                a->days > 3660)
                why = "--days: expected 1 to 3660";
            break;
        case 'p':
            if (text_parse_grams(optarg, &a->start_packs_milli) < 0 ||
                a->start_packs_milli > 100000)
                why = "--start-packs: expected packs from 0 to 100, like 1 or 0.5";
            break;
        case 't': {
            char buf[64];
            a->n_thresholds = 0;
            snprintf(buf, sizeof(buf), "%s", optarg);
            for (char *tok = strtok(buf, ","); tok != NULL && why == NULL;
                 tok = strtok(NULL, ",")) {
                if (a->n_thresholds == 4 || !text_parse_uint(tok, 3, false, &x) ||
                    x < 1 || x > 100)
                    why =
                        "--threshold: expected up to 4 percentages 1..100, like 20,30";
                else
                    a->thresholds[a->n_thresholds++] = (uint32_t)x;
            }
            break;
        }
        case 'j':
            a->json = true;
            break;
        case 'q':
            a->quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 1;
        default:
            usage(stderr);
            return -1;
        }
        if (why != NULL) {
            fprintf(stderr, "pantry-forecast simulate: %s\n", why);
            return -1;
        }
    }
    if (a->config == NULL || a->n_demand == 0 || optind != argc) {
        fprintf(stderr,
                "pantry-forecast simulate: --config and --demand are needed, and "
                "nothing else (see --help)\n");
        return -1;
    }
    return 0;
}

static void
print_metrics(const struct agent_config *cfg, const struct cl_result *r,
              const char *policy, bool json, bool *first)
{
    for (size_t i = 0; i < cfg->n_items; i++) {
        const struct cl_metrics *m = &r->item[i];
        double lost =
            m->demand_mg > 0 ? 100.0 * (double)m->lost_mg / (double)m->demand_mg : 0;
        double excess = cl_excess_pack_days(m, cfg->items[i].pack_mg);
        if (json)
            printf(
                "%s{\"item\":\"%s\",\"policy\":\"%s\",\"demand_g\":%.1f,"
                "\"lost_pct\":%.3f,\"stockout_days\":%d,"
                "\"stockout_days_after_first_delivery\":%d,\"excess_pack_days\":%.2f,"
                "\"orders\":%d,\"delivered\":%d,\"delivered_packs\":%.2f}",
                *first ? "" : ",", cfg->items[i].id, policy,
                (double)m->demand_mg / 1000.0, lost, m->stockout_days,
                m->stockout_days_learnt, excess, m->orders, m->delivered,
                (double)m->delivered_mg / (double)cfg->items[i].pack_mg);
        else
            printf("%-16s %-14s %9.1f %7.2f %9d %14.2f %7d\n", cfg->items[i].id, policy,
                   (double)m->demand_mg / 1000.0, lost, m->stockout_days, excess,
                   m->orders);
        *first = false;
    }
}

static void
print_orders(const struct agent_config *cfg, const struct cl_result *r, bool json)
{
    char a[32], b[32];
    for (size_t k = 0; k < r->n_ord; k++) {
        const struct cl_order *o = &r->ord[k];
        utc_format(o->placed_s, a, sizeof(a));
        if (o->arrive_s > 0)
            utc_format(o->arrive_s, b, sizeof(b));
        else
            snprintf(b, sizeof(b), "never");
        if (json)
            printf("%s{\"item\":\"%s\",\"placed\":\"%s\",\"arrives\":\"%s\","
                   "\"packs\":%u,\"reason\":\"%s\",\"state\":\"%s\"}",
                   k ? "," : "", cfg->items[o->item].id, a, b, o->packs,
                   o->predicted ? "predicted" : "manual", o->state);
        else
            printf("  %-16s ordered %s, %u pack%s, arrives %s  (%s)\n",
                   cfg->items[o->item].id, a, o->packs, o->packs == 1 ? "" : "s", b,
                   o->state);
    }
}

int
simulate_main(int argc, char **argv)
{
    static struct agent_config cfg;
    struct sim_args a = {0};
    struct cfg_errors errs;
    struct cl_item items[CFG_MAX_ITEMS] = {{0}};
    struct cl_use *uses[CFG_MAX_ITEMS] = {0};
    char err[512];
    int ret = 1, r = parse_args(argc, argv, &a);

    if (r != 0)
        return r > 0 ? 0 : 2;
    if (cfg_load(a.config, &cfg, &errs) < 0) {
        for (size_t i = 0; i < errs.count; i++)
            fprintf(stderr, "%s\n", errs.msg[i]);
        return 1;
    }
    int64_t last;
    if (hh_load_demands(&cfg, a.demand, a.n_demand, HH_EPOCH_S, items, uses, &last, err,
                        sizeof(err)) < 0) {
        fprintf(stderr, "pantry-forecast simulate: --demand %s\n", err);
        goto out;
    }
    for (size_t i = 0; i < cfg.n_items; i++)
        items[i].start_mg = cfg.items[i].pack_mg * a.start_packs_milli / 1000;
    a.c.end_s = a.days > 0 ? HH_EPOCH_S + a.days * MODELS_DAY_S : last + MODELS_DAY_S;

    bool first = true;
    if (a.json)
        printf("{\"scores\":[");
    else
        printf("%-16s %-14s %9s %7s %9s %14s %7s\n", "item", "policy", "demand_g",
               "lost_%", "stockouts", "excess_packdays", "orders");
    struct cl_result res;
    if (cl_run(&cfg, items, &a.c, CL_AGENT, 0, &res, err, sizeof(err)) < 0) {
        fprintf(stderr, "pantry-forecast simulate: %s\n", err);
        goto out;
    }
    print_metrics(&cfg, &res, "agent", a.json, &first);
    struct cl_result agent = res;
    for (size_t k = 0; k <= a.n_thresholds; k++) {
        char name[24];
        enum cl_policy p = k < a.n_thresholds ? CL_THRESHOLD : CL_ORACLE;
        if (cl_run(&cfg, items, &a.c, p, k < a.n_thresholds ? a.thresholds[k] : 0, &res,
                   err, sizeof(err)) < 0) {
            fprintf(stderr, "pantry-forecast simulate: %s\n", err);
            cl_result_fini(&agent);
            goto out;
        }
        if (p == CL_THRESHOLD)
            snprintf(name, sizeof(name), "threshold-%u%%", a.thresholds[k]);
        else
            snprintf(name, sizeof(name), "oracle");
        print_metrics(&cfg, &res, name, a.json, &first);
        cl_result_fini(&res);
    }
    if (a.json) {
        printf("],\"agent_orders\":[");
        print_orders(&cfg, &agent, true);
        printf("]}\n");
    } else if (!a.quiet) {
        printf("\nThe agent's orders:\n");
        print_orders(&cfg, &agent, false);
    }
    cl_result_fini(&agent);
    ret = 0;
out:
    for (size_t i = 0; i < CFG_MAX_ITEMS; i++)
        free(uses[i]);
    return ret;
}
