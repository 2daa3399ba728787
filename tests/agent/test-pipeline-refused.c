/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A delivery refused at the door (pipeline_refused(), agent/pipeline/pipeline-refused.c)
 * on a real store in a temp folder, fed raw samples as the daemon feeds them: a
 * household of 100 g of rice a day (1 kg packs, no cooldown) after four days of
 * learning its rate.
 *
 *  - a predicted order, sent and acknowledged, refused a day later (long after
 *    the cancel window): it is cancelled with the household's reason in its
 *    history, the retailer's signed cancel (reason "refused") waits in the
 *    outbox, and the policy learns (adjust.h: size - 10 %, half a day later,
 *    one in the streak);
 *  - an order by hand refused is closed the same way and teaches nothing;
 *  - no open order, or one not sent yet, is refused with a clear message and
 *    nothing changes;
 *  - an item configured with learn = false learns from no correction: a
 *    predicted order cancelled, or refused at the door, moves nothing.
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

/* Ordering on, no cooldown; extra: more settings of the item ("" for none). */
static void
open_rice(struct rig *r, const char *name, const char *extra)
{
    char item[256];
    snprintf(item, sizeof(item), "mode = \"auto\"; cooldown = \"0s\";%s", extra);
    rig_open(r, dir, name, "", item);
}

struct outbox_find {
    const char *order_id;
    char message[4096]; /* its cancel, "" for none */
};

static int
outbox_cb(const struct store_outmsg *m, void *ctx)
{
    struct outbox_find *f = ctx;
    if (m->kind == STORE_MSG_CANCEL && strcmp(m->order_id, f->order_id) == 0)
        snprintf(f->message, sizeof(f->message), "%s", m->message);
    return 0;
}

/* The broker took order id, and the retailer accepted it. */
static void
sent_and_accepted(struct rig *r, const char *id)
{
    struct message_ack a;
    struct store_order o;
    char msg[512];

    CHECK_EQ_I64(pipeline_published(&r->pl, STORE_MSG_REORDER, id, r->now + 1000), 0);
    memset(&a, 0, sizeof(a));
    snprintf(a.order_id, sizeof(a.order_id), "%s", id);
    snprintf(a.device, sizeof(a.device), "kitchen");
    CHECK_EQ_I64(store_order_get(r->db, id, &o), 0);
    a.seq = o.seq;
    store_order_fini(&o);
    a.status = ACK_ACCEPTED;
    CHECK_EQ_I64(pipeline_ack(&r->pl, &a, r->now + 2000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(r->db, id), ORDER_ACKNOWLEDGED);
}

/* Feed 100 g until the policy queues a predicted order; its id into id. */
static void
until_predicted(struct rig *r, char *id)
{
    id[0] = '\0';
    for (int64_t end = r->now + 2 * DAY; id[0] == '\0' && r->now < end;) {
        feed(r, r->now + 10 * MIN, 100);
        open_order(r, id);
    }
    CHECK_MSG(id[0] != '\0', "no predicted order");
}

static void
test_refused_predicted_order(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];

    open_rice(&r, "predicted", "");
    warm_up(&r);
    until_predicted(&r, id);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_QUEUED);
    sent_and_accepted(&r, id);
    CHECK_EQ_U64(r.pl.items[0].model.adj.size_bp, 10000);
    CHECK_EQ_U64(r.pl.items[0].model.adj.streak, 0);
    /* A day later the courier is at the door: too late to cancel. */
    feed_every(&r, r.now + DAY, 100, 10000);
    CHECK_EQ_I64(pipeline_cancel(&r.pl, 0, "manual", r.now, msg, sizeof(msg)), -ETIME);
    CHECK_EQ_I64(pipeline_refused(&r.pl, 0, "damaged bag", r.now, msg, sizeof(msg)), 0);
    CHECK_MSG(strstr(msg, "closed as refused at the door") != NULL, "%s", msg);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_CANCELLED);
    CHECK_EQ_I64(history_has(r.db, "refused at the door: damaged bag"), 1);
    /* The retailer is told: the signed cancel of the order, reason "refused". */
    struct outbox_find f = {.order_id = id};
    CHECK_EQ_I64(store_outbox_pending(r.db, outbox_cb, &f), 0);
    CHECK_MSG(strstr(f.message, "\"reason\":\"refused\"") != NULL, "cancel: %s",
              f.message);
    /* Learnt (models/adjust.h): 10 % smaller, half a day later, one refusal. */
    const struct adjust *a = &r.pl.items[0].model.adj;
    CHECK_EQ_U64(a->size_bp, 9000);
    CHECK_EQ_I64(a->shift_s, 0);
    CHECK_EQ_I64(a->ceil_s,
                 r.pl.items[0].view.lead_s + r.pl.items[0].cfg->review_s - 43200);
    CHECK_EQ_I64(a->last_delta_s, -43200);
    CHECK_EQ_U64(a->streak, 1);
    CHECK_EQ_U64(a->events, 1);
    CHECK_EQ_U64(a->last_kind, ADJUST_REFUSED);
    CHECK_EQ_I64(history_has(r.db, "learn: refused"), 1);
    char line[200];
    CHECK(learn_status_line(a, line, sizeof(line)) > 0);
    CHECK_MSG(strstr(line, "10 % less since you refused a delivery") != NULL, "%s",
              line);
    /* Nothing left to refuse; and the refusal was saved with the model. */
    CHECK_EQ_I64(pipeline_refused(&r.pl, 0, NULL, r.now, msg, sizeof(msg)), -EPERM);
    rig_close(&r);
    open_rice(&r, "predicted", "");
    CHECK_EQ_U64(r.pl.items[0].model.adj.size_bp, 9000);
    CHECK_EQ_U64(r.pl.items[0].model.adj.streak, 1);
    rig_close(&r);
}

static void
test_refused_manual_order_teaches_nothing(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];

    open_rice(&r, "manual", "");
    warm_up(&r);
    CHECK_EQ_I64(pipeline_order(&r.pl, 0, "manual", r.now, msg, sizeof(msg)), 0);
    open_order(&r, id);
    sent_and_accepted(&r, id);
    struct adjust before = r.pl.items[0].model.adj; /* the manual order's lesson */
    CHECK_EQ_I64(pipeline_refused(&r.pl, 0, "", r.now + HOUR, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_CANCELLED);
    CHECK_EQ_I64(history_has(r.db, "refused at the door"), 1);
    CHECK_EQ_I64(history_has(r.db, "learn: refused"), 0);
    CHECK(memcmp(&before, &r.pl.items[0].model.adj, sizeof(before)) == 0);
    rig_close(&r);
}

static void
test_refusals_that_change_nothing(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];

    open_rice(&r, "errors", "");
    warm_up(&r);
    CHECK_EQ_I64(pipeline_refused(&r.pl, 0, "x", r.now, msg, sizeof(msg)), -EPERM);
    CHECK_MSG(strcmp(msg, "rice: no open order: nothing was on its way") == 0, "%s",
              msg);
    /* Queued (in the outbox, the broker has not taken it): not sent yet. */
    until_predicted(&r, id);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_QUEUED);
    CHECK_EQ_I64(pipeline_refused(&r.pl, 0, "x", r.now, msg, sizeof(msg)), -EPERM);
    CHECK_MSG(strstr(msg, "was not sent yet, so it cannot have come: cancel it instead "
                          "(pantryctl cancel rice)") != NULL,
              "%s", msg);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_QUEUED);
    CHECK_EQ_U64(r.pl.items[0].model.adj.events, 0);
    CHECK_EQ_I64(history_has(r.db, "refused"), 0);
    rig_close(&r);
}

static void
test_learn_off(void)
{
    static struct rig r;
    char msg[512], id[STORE_ID_MAX];
    struct adjust none;

    adjust_init(&none);
    open_rice(&r, "nolearn", " learn = false;");
    CHECK(!r.cfg.items[0].learn);
    warm_up(&r);
    until_predicted(&r, id);
    CHECK_EQ_I64(pipeline_cancel(&r.pl, 0, "button", r.now, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_CANCELLED);
    CHECK(memcmp(&none, &r.pl.items[0].model.adj, sizeof(none)) == 0);
    until_predicted(&r, id);
    sent_and_accepted(&r, id);
    CHECK_EQ_I64(pipeline_refused(&r.pl, 0, NULL, r.now + DAY, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_CANCELLED);
    CHECK(memcmp(&none, &r.pl.items[0].model.adj, sizeof(none)) == 0);
    CHECK_EQ_I64(history_has(r.db, "learn:"), 0);
    rig_close(&r);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/pl-refused-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("TZ", "UTC", 1);
    RUN(test_refused_predicted_order);
    RUN(test_refused_manual_order_teaches_nothing);
    RUN(test_refusals_that_change_nothing);
    RUN(test_learn_off);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return th_done();
}
