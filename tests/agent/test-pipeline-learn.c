/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline learning from corrections (agent/pipeline/learn.h), on a real store in a
 * temp folder, fed raw samples as the daemon feeds them. A household of 100 g
 * of rice a day (1 kg packs, no cooldown) after four days of learning its rate:
 *
 *  - an order by hand at 1000 g, days before the plan's reorder point, moves
 *    the point earlier by half that gap; it is saved with the model (a
 *    restarted daemon keeps it) and the audit trail says why;
 *  - a predicted order cancelled moves the point half a day later; the third in a
 *    row makes the next predicted order wait for confirmation;
 *  - a manual order cancelled, or one at the reorder point, teaches nothing;
 *  - an empty shelf refilled (a stockout) moves the point half a day earlier and
 *    orders 10 % more; the retailer's rejection counts towards asking first
 *    and moves nothing;
 *  - a reset forgets it all, and says so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/pipeline/learn.h"
#include "agent/pipeline/pipeline.h"
#include "tests/agent/rice-rig.h"
#include "agent/store/store.h"

static char dir[256];

/* The empty container's grams ("0": none), as the configuration writes it. */
static const char *container = "0";

/* Ordering on, no cooldown, the container's grams. */
static void
open_rice(struct rig *r, const char *name)
{
    char item[128];
    snprintf(item, sizeof(item), "mode = \"auto\"; cooldown = \"0s\"; container = %s;",
             container);
    rig_open(r, dir, name, "", item);
}

static int
count_cb(const struct store_order *o, void *ctx)
{
    (void)o;
    ++*(int *)ctx;
    return 0;
}

static int
orders(struct store *db)
{
    int n = 0;
    CHECK_EQ_I64(store_orders_since(db, "rice", 0, count_cb, &n), 0);
    return n;
}

static void
test_manual_order_moves_earlier(void)
{
    static struct rig r;
    struct pl_view v;
    char msg[512], id[STORE_ID_MAX];

    open_rice(&r, "manual");
    warm_up(&r);
    CHECK_EQ_I64(orders(r.db), 0);
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, 0);
    pipeline_view(&r.pl, 0, r.now, &v);
    /* Days before the reorder point: (stock - point) / rate, by hand. */
    CHECK(v.stock_mg > v.reorder_point_mg + 100000);
    int64_t gap = (v.stock_mg - v.reorder_point_mg) * 86400000 / v.rate_ugpd;
    CHECK_MSG(gap > 86400 / 2, "stock %" PRId64 " point %" PRId64 " rate %" PRId64,
              v.stock_mg, v.reorder_point_mg, v.rate_ugpd);
    CHECK_EQ_I64(pipeline_order(&r.pl, 0, "manual", r.now, msg, sizeof(msg)), 0);
    int64_t want = gap / 2 < 7 * 86400 ? gap / 2 : 7 * 86400;
    /* adjust_gap_s() rounds where this truncates: a second at most. */
    CHECK_NEAR(r.pl.items[0].model.adj.shift_s, want, 1);
    CHECK(history_has(r.db, "learn: manual"));
    /* The next plan's point lies a shift's use (100 g/day) higher. */
    struct pl_view w;
    pipeline_view(&r.pl, 0, r.now, &w);
    CHECK(w.reorder_point_mg >= v.reorder_point_mg + want * 100000 / 86400 - 1000);
    char line[200];
    CHECK(learn_status_line(&r.pl.items[0].model.adj, line, sizeof(line)) > 0);
    CHECK_MSG(strstr(line, "earlier since you ordered by hand on 5 October") != NULL,
              "%s", line);
    /* Cancelled, a manual order teaches nothing more. */
    int64_t s = r.pl.items[0].model.adj.shift_s;
    open_order(&r, id);
    CHECK_EQ_I64(pipeline_cancel(&r.pl, 0, "button", r.now, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, s);
    rig_close(&r);
    /* A restarted daemon keeps what was learnt. */
    open_rice(&r, "manual");
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, s);
    CHECK_EQ_I64(learn_reset(&r.pl, &r.pl.items[0], r.now), 0);
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, 0);
    CHECK(history_has(r.db, "learn: reset by the household"));
    rig_close(&r);
    open_rice(&r, "manual");
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, 0);
    CHECK_EQ_I64(r.pl.items[0].model.adj.events, 0);
    rig_close(&r);
}

static void
test_cancels_move_later_then_ask(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];

    open_rice(&r, "cancels");
    warm_up(&r);
    /* Down to 100 g: the plan orders at each review; the household cancels each
     * predicted order at once (in the cancel window). */
    for (int k = 0; k < 3; k++) {
        id[0] = '\0';
        for (int64_t end = r.now + 2 * DAY; id[0] == '\0' && r.now < end;) {
            feed(&r, r.now + 10 * MIN, 100);
            open_order(&r, id);
        }
        CHECK_MSG(id[0] != '\0', "no predicted order %d", k);
        CHECK_EQ_I64(state_of(r.db, id), ORDER_QUEUED);
        /* "Later" is a ceiling, half a day below the plan's horizon (lead +
         * review) and then below itself. */
        const struct pl_item *it = &r.pl.items[0];
        int64_t in_use =
            k == 0 ? it->view.lead_s + it->cfg->review_s : it->model.adj.ceil_s;
        CHECK_EQ_I64(pipeline_cancel(&r.pl, 0, "button", r.now, msg, sizeof(msg)), 0);
        CHECK_EQ_I64(it->model.adj.ceil_s, in_use - 43200);
        CHECK_EQ_I64(it->model.adj.last_delta_s, -43200);
        CHECK_EQ_I64(it->model.adj.shift_s, 0);
        CHECK_EQ_I64(it->model.adj.ask_first, k == 2);
    }
    CHECK(history_has(r.db, "learn: cancel"));
    CHECK(history_has(r.db, "predicted orders now wait for confirmation"));
    id[0] = '\0';
    for (int64_t end = r.now + 2 * DAY; id[0] == '\0' && r.now < end;) {
        feed(&r, r.now + 10 * MIN, 100);
        open_order(&r, id);
    }
    CHECK(id[0] != '\0');
    CHECK_EQ_I64(state_of(r.db, id), ORDER_PLANNED);
    CHECK(history_has(r.db, "(learnt after repeated cancels)"));
    rig_close(&r);
}

/* Feed 100 g until a predicted order is open; its id into id. */
static void
await_order(struct rig *r, char *id)
{
    id[0] = '\0';
    for (int64_t end = r->now + 2 * DAY; id[0] == '\0' && r->now < end;) {
        feed(r, r->now + 10 * MIN, 100);
        open_order(r, id);
    }
    CHECK_MSG(id[0] != '\0', "no predicted order by %" PRId64, r->now);
}

static void
test_kept_order_raises_the_ceiling(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];

    open_rice(&r, "kept");
    warm_up(&r);
    await_order(&r, id);
    CHECK_EQ_I64(pipeline_cancel(&r.pl, 0, "button", r.now, msg, sizeof(msg)), 0);
    int64_t ceil = r.pl.items[0].model.adj.ceil_s;
    CHECK(ceil > 0);
    CHECK(!history_has(r.db, "learn: kept"));
    /* The next predicted order goes out and comes with 100 g still there. */
    await_order(&r, id);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_QUEUED);
    CHECK_EQ_I64(pipeline_published(&r.pl, STORE_MSG_REORDER, id, r.now), 0);
    feed(&r, r.now + HOUR, 1100);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_FULFILLED);
    CHECK_EQ_I64(r.pl.items[0].model.adj.ceil_s, ceil + DAY / 1000 / 4);
    CHECK_EQ_U64(r.pl.items[0].model.adj.events, 1); /* no correction */
    CHECK(history_has(r.db, "learn: kept"));
    CHECK(history_has(r.db, "days of use left"));
    rig_close(&r);
    /* A restarted daemon keeps the ceiling. */
    open_rice(&r, "kept");
    CHECK_EQ_I64(r.pl.items[0].model.adj.ceil_s, ceil + DAY / 1000 / 4);
    rig_close(&r);
}

static void
test_stockout_moves_earlier_and_larger(void)
{
    static struct rig r;

    /* A 400 g jar: an empty one still weighs (an empty platform would read as
     * the jar taken away). */
    container = "400";
    open_rice(&r, "stockout");
    container = "0";
    r.cfg.items[0].mode = CFG_MODE_OFF; /* nothing ordered: the shelf runs empty */
    warm_up(&r);                        /* 1000 g gross: 600 g of rice */
    for (int64_t g = 900; g >= 400; g -= 100) {
        feed(&r, r.now + 10 * MIN, g);
        feed_code(&r, r.now + 4 * HOUR, g, -1, 10000);
    }
    CHECK_EQ_I64(r.pl.items[0].view.stock_mg / 1000, 0);
    CHECK_EQ_I64(r.pl.items[0].model.adj.events, 0);
    /* The household brings a pack from the shop. */
    feed(&r, r.now + 60 * MIN, 1400);
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, 43200);
    CHECK_EQ_U64(r.pl.items[0].model.adj.size_bp, 11000);
    CHECK(history_has(r.db, "learn: stockout"));
    rig_close(&r);
}

static void
test_rejection_counts_towards_asking(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];
    struct message_ack a;
    struct store_order o;

    open_rice(&r, "rejected");
    warm_up(&r);
    CHECK_EQ_I64(pipeline_order(&r.pl, 0, "manual", r.now, msg, sizeof(msg)), 0);
    int64_t shift = r.pl.items[0].model.adj.shift_s; /* the manual order's */
    open_order(&r, id);
    CHECK_EQ_I64(pipeline_published(&r.pl, STORE_MSG_REORDER, id, r.now + 1000), 0);
    memset(&a, 0, sizeof(a));
    snprintf(a.order_id, sizeof(a.order_id), "%s", id);
    snprintf(a.device, sizeof(a.device), "kitchen");
    CHECK_EQ_I64(store_order_get(r.db, id, &o), 0);
    a.seq = o.seq;
    store_order_fini(&o);
    a.status = ACK_REJECTED;
    CHECK_EQ_I64(pipeline_ack(&r.pl, &a, r.now + 2000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_REJECTED);
    /* No timing learnt from it; one towards asking first. */
    CHECK_EQ_I64(r.pl.items[0].model.adj.shift_s, shift);
    CHECK_EQ_U64(r.pl.items[0].model.adj.streak, 1);
    CHECK_EQ_U64(r.pl.items[0].model.adj.last_kind, ADJUST_REJECTED);
    CHECK(history_has(r.db, "learn: rejected"));
    rig_close(&r);
}

static void
test_nothing_learnt_while_warming_up(void)
{
    static struct rig r;
    char msg[512];

    open_rice(&r, "young");
    feed(&r, T0 + 10 * MIN, 1400);
    CHECK_EQ_I64(pipeline_order(&r.pl, 0, "manual", r.now, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(r.pl.items[0].model.adj.events, 0);
    CHECK(!history_has(r.db, "learn:"));
    rig_close(&r);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/pl-learn-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("TZ", "UTC", 1);
    RUN(test_manual_order_moves_earlier);
    RUN(test_cancels_move_later_then_ask);
    RUN(test_kept_order_raises_the_ceiling);
    RUN(test_stockout_moves_earlier_and_larger);
    RUN(test_rejection_counts_towards_asking);
    RUN(test_nothing_learnt_while_warming_up);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return th_done();
}
