/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-forecast: replays a stock event trace through the forecaster and the
 * reorder policy on the trace's own (virtual) clock, and reports per item the
 * stock, the learnt rate, the predicted runout with its interval, and the moments
 * the agent would have ordered. It is the first half of the README's demo and a
 * tool for trying half-lives and service levels on a recorded household.
 *
 * The replay is the agent's decision loop without I/O: the policy is reviewed
 * every review period and after every event; an order puts its packs "on order"
 * until the next refill of the item, which also measures the lead time.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/cli/evtrace.h"
#include "models/forecast.h"
#include "models/lead.h"
#include "models/policy.h"
#include "models/quantile.h"
#include "agent/cli/simulate.h"
#include "agent/msg/utc.h"

#define MAX_ORDERS 8
#define HOUR INT64_C(3600)

struct order {
    int64_t t_s;
    uint32_t packs;
    int64_t arrived_s; /* 0 while open */
};

struct item_state {
    struct fc fc;
    struct lead lead;
    int64_t stock_mg;
    int64_t on_order_mg;
    int64_t last_review_s;
    bool started;
    struct order orders[MAX_ORDERS];
    size_t n_orders;
    size_t n_orders_total;
};

static void
usage(FILE *out)
{
    fprintf(
        out,
        "Usage: pantry-forecast [OPTIONS] TRACE\n"
        "       pantry-forecast COMMAND [OPTIONS] (pantry-forecast COMMAND --help)\n"
        "Replay a stock event trace (format: agent/README.md) through the forecast\n"
        "and the reorder policy, and report each item; or run a command.\n"
        "\n"
        "  -j, --json       one JSON object per item instead of the table\n"
        "  -q, --quiet      no per-order lines\n"
        "  -h, --help       this help\n"
        "  -V, --version    the version\n"
        "\n"
        "Commands:\n"
        "  simulate   try a configuration on a household's demand: the daemon's\n"
        "             pipeline closed loop on a simulated shelf and shop\n"
        "\n"
        "A trace with a bad line anywhere is refused whole, with TRACE:LINE: what\n"
        "was expected.\n"
        "\n"
        "Exit status: 0 on success, 1 if the trace cannot be read, 2 for bad usage.\n");
}

/* The forecast of item it at now (r) and what the policy says of it (out). */
static void
decide(const struct evtrace_item *it, const struct item_state *s, int64_t now,
       struct fc_rate *r_out, struct policy_out *out)
{
    struct fc_rate r;
    int32_t z = quant_normal_q16(it->service_bp);
    int64_t lead = lead_plan_s(&s->lead, z);
    fc_rate(&s->fc, &it->fc, now, lead + it->review_s, &r);
    struct policy_in in = {
        .stock_mg = s->stock_mg,
        .on_order_mg = s->on_order_mg,
        .rate_ugpd = r.rate_ugpd,
        .sigma_ugpd = r.sigma_ugpd,
        .interval_s = r.interval_s,
        .lead_time_s = lead,
        .review_s = it->review_s,
        .cover_s = it->cover_s,
        .service_bp = it->service_bp,
        .pack_mg = it->pack_mg,
        .max_packs = it->max_packs,
    };
    policy_decide(&in, out);
    *r_out = r;
}

static void
review(const struct evtrace_item *it, struct item_state *s, int64_t now, bool quiet,
       bool json)
{
    struct fc_rate r;
    struct policy_out out;
    s->last_review_s = now;
    /* One open order per item; no decision before the first events are seen. */
    if (s->on_order_mg > 0 || fc_events(&s->fc) < 2)
        return;
    decide(it, s, now, &r, &out);
    if (!out.order)
        return;
    s->on_order_mg = (int64_t)out.packs * it->pack_mg;
    if (s->n_orders < MAX_ORDERS)
        s->orders[s->n_orders++] = (struct order){.t_s = now, .packs = out.packs};
    s->n_orders_total++;
    if (!quiet && !json) {
        char when[32];
        utc_format(now, when, sizeof(when));
        printf("%s  order %-12s %u x %.0f g  (stock %.0f g, reorder point %.0f g, "
               "rate %.1f g/day)\n",
               when, it->id, out.packs, it->pack_mg / 1000.0, s->stock_mg / 1000.0,
               out.reorder_point_mg / 1000.0, r.rate_ugpd / 1e6);
    }
}

static void
apply(const struct evtrace_item *it, struct item_state *s,
      const struct evtrace_event *e)
{
    if (!s->started) {
        fc_init(&s->fc, e->t_s);
        s->started = true;
    }
    if (e->kind == EVTRACE_CONSUME) {
        fc_consume(&s->fc, &it->fc, e->t_s, e->mg);
        s->stock_mg = s->stock_mg > e->mg ? s->stock_mg - e->mg : 0;
    } else if (e->kind == EVTRACE_REFILL) {
        s->stock_mg += e->mg;
        if (s->on_order_mg > 0 && s->n_orders > 0) {
            /* The refill that follows an order closes it and measures the lead. */
            struct order *o = &s->orders[s->n_orders - 1];
            o->arrived_s = e->t_s;
            lead_observe(&s->lead, e->t_s - o->t_s, UINT64_C(1) << 30);
        }
        s->on_order_mg = 0;
    } else {
        s->stock_mg = e->mg;
    }
}

static void
fmt_time(int64_t t, char *buf, size_t len)
{
    if (t == MODELS_NEVER)
        snprintf(buf, len, "never");
    else
        utc_format(t, buf, len);
}

/*
 * When the policy would order next if use goes on at the forecast rate: the
 * inventory position falls to the reorder point after (position - ROP) / rate.
 * "now" if it already has; MODELS_NEVER with an open order or no use.
 */
static int64_t
next_order(const struct evtrace_item *it, const struct item_state *s, int64_t now)
{
    struct fc_rate r;
    struct policy_out out;
    decide(it, s, now, &r, &out);
    if (s->on_order_mg > 0 || r.rate_ugpd <= 0)
        return MODELS_NEVER;
    if (out.order)
        return now;
    double days =
        (double)(out.position_mg - out.reorder_point_mg) * 1000.0 / (double)r.rate_ugpd;
    return days > 3650 ? MODELS_NEVER : now + (int64_t)(days * 86400.0);
}

static void
report(const struct evtrace_item *it, const struct item_state *s, int64_t now,
       bool json)
{
    struct fc_rate r;
    struct runout ro;
    char mid[32], lo[32], hi[32], next[32];
    fmt_time(next_order(it, s, now), next, sizeof(next));
    fc_rate(&s->fc, &it->fc, now, 0, &r);
    fc_runout(&s->fc, &it->fc, s->stock_mg, it->service_bp, now, &ro);
    fmt_time(ro.t_mid_s, mid, sizeof(mid));
    fmt_time(ro.t_lo_s, lo, sizeof(lo));
    fmt_time(ro.t_hi_s, hi, sizeof(hi));
    double pct = 100.0 * (double)s->stock_mg / (double)it->pack_mg;
    if (json) {
        printf("{\"item\":\"%s\",\"name\":\"%s\",\"method\":\"%s\",\"stock_g\":%.3f,"
               "\"pack_pct\":%.1f,\"rate_g_per_day\":%.3f,\"sigma_g_per_day\":%.3f,"
               "\"runout\":\"%s\",\"runout_early\":\"%s\",\"runout_late\":\"%s\","
               "\"service_level\":%.2f,\"orders\":%zu,\"on_order_g\":%.3f,"
               "\"lead_time_days\":%.2f,\"next_order\":\"%s\"}\n",
               it->id, it->name, fc_method_to_str(it->fc.method), s->stock_mg / 1000.0,
               pct, r.rate_ugpd / 1e6, r.sigma_ugpd / 1e6, mid, lo, hi,
               it->service_bp / 10000.0, s->n_orders_total, s->on_order_mg / 1000.0,
               s->lead.mean_s / 86400.0, next);
        return;
    }
    printf("\n%s (%s, %s)\n", it->name, it->id, fc_method_to_str(it->fc.method));
    printf("  stock      %.0f g, %.0f%% of a %.0f g pack%s\n", s->stock_mg / 1000.0,
           pct, it->pack_mg / 1000.0, s->on_order_mg > 0 ? ", an order is open" : "");
    printf("  rate       %.1f g/day (sd of one observation %.1f g/day, every %.1f h)\n",
           r.rate_ugpd / 1e6, r.sigma_ugpd / 1e6, r.interval_s / 3600.0);
    printf("  runout     %s, %.0f%% interval %s .. %s\n", mid, it->service_bp / 100.0,
           lo, hi);
    printf("  lead time  %.1f days (%u refills after orders measured)\n",
           s->lead.mean_s / 86400.0, s->lead.n);
    for (size_t i = 0; i < s->n_orders; i++) {
        char when[32], got[32];
        utc_format(s->orders[i].t_s, when, sizeof(when));
        if (s->orders[i].arrived_s)
            utc_format(s->orders[i].arrived_s, got, sizeof(got));
        else
            snprintf(got, sizeof(got), "open");
        printf("  ordered    %s, %u pack(s), refilled %s\n", when, s->orders[i].packs,
               got);
    }
    if (s->n_orders == 0)
        printf("  ordered    never: the stock stayed above the reorder point\n");
    if (s->on_order_mg > 0)
        printf("  next order after the open one is refilled\n");
    else
        printf("  next order %s (at this rate, when stock meets the reorder point)\n",
               next);
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"json", no_argument, NULL, 'j'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    bool json = false, quiet = false;
    int c;
    if (argc > 1 && strcmp(argv[1], "simulate") == 0)
        return simulate_main(argc - 1, argv + 1);
    while ((c = getopt_long(argc, argv, "jqhV", opts, NULL)) != -1) {
        switch (c) {
        case 'j':
            json = true;
            break;
        case 'q':
            quiet = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            printf("pantry-forecast %s\n", PANTRY_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc - 1) {
        usage(stderr);
        return 2;
    }

    struct evtrace t;
    char err[512];
    int ret = 1;
    struct item_state *st = NULL;
    evtrace_init(&t);
    if (evtrace_load(&t, argv[optind], err, sizeof(err)) < 0) {
        fprintf(stderr, "pantry-forecast: %s\n", err);
        goto out;
    }
    if (t.n_events == 0) {
        fprintf(stderr, "pantry-forecast: %s: no events to replay\n", argv[optind]);
        goto out;
    }
    st = calloc(t.n_items, sizeof(*st));
    if (st == NULL) {
        fprintf(stderr, "pantry-forecast: out of memory\n");
        goto out;
    }
    for (size_t i = 0; i < t.n_items; i++)
        lead_init(&st[i].lead, t.items[i].lead_s, t.items[i].lead_s);

    /* Virtual clock: events in order, reviews every review period in between. */
    for (size_t k = 0; k < t.n_events; k++) {
        const struct evtrace_event *e = &t.events[k];
        for (size_t i = 0; i < t.n_items; i++) {
            struct item_state *s = &st[i];
            while (s->started && s->last_review_s + t.items[i].review_s < e->t_s)
                review(&t.items[i], s, s->last_review_s + t.items[i].review_s, quiet,
                       json);
        }
        apply(&t.items[e->item], &st[e->item], e);
        review(&t.items[e->item], &st[e->item], e->t_s, quiet, json);
    }
    int64_t end = t.events[t.n_events - 1].t_s;
    if (!json) {
        char when[32];
        utc_format(end, when, sizeof(when));
        printf("\nAt the end of the trace, %s:\n", when);
    }
    for (size_t i = 0; i < t.n_items; i++)
        report(&t.items[i], &st[i], end, json);
    ret = 0;
out:
    free(st);
    evtrace_fini(&t);
    return ret;
}
