/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline's side of the MQTT exchange, on a real store in a temp folder:
 * a manual order is queued signed; its PUBACK publishes it; acks move it as
 * the contract says (accepted, shipped with an ETA, rejected), and are refused
 * for another device, an unknown order or a sequence number that is neither
 * the reorder's nor the cancel's; cancelling a published order puts a signed
 * cancel with the next number in the outbox, which the retailer's answer
 * closes. Expected states and numbers are worked out by hand from the rules
 * in orders.h and store.h; signatures are checked with the device's public key.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/msg/jws.h"
#include "agent/msg/keys.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"

#define T0 INT64_C(1790812800000) /* 2026-10-01T00:00:00Z */

static char dir[256];

static const char conf_fmt[] =
    "device_id = \"kitchen\";\n"
    "store_path = \"%s/pantry.db\";\n"
    "key_path = \"%s/device.key\";\n"
    "control_socket = \"%s/control.sock\";\n"
    "cancel_window = \"15m\";\n"
    "channels = ( { name = \"rice\"; iio = { device = \"shelf-rice\"; }; } );\n"
    "items = ( { id = \"rice\"; channel = \"rice\"; pack = 1000; mode = \"auto\";\n"
    "            calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n";

struct pend {
    int n;
    int64_t seq[8];
    int kind[8];
    char text[8][1024];
};

static int
pend_cb(const struct store_outmsg *m, void *ctx)
{
    struct pend *p = ctx;
    if (p->n < 8) {
        p->seq[p->n] = m->seq;
        p->kind[p->n] = (int)m->kind;
        snprintf(p->text[p->n], sizeof(p->text[0]), "%s", m->message);
        p->n++;
    }
    return 0;
}

static struct message_ack
ack(const char *order_id, int64_t seq, enum message_ack_status st)
{
    struct message_ack a;
    memset(&a, 0, sizeof(a));
    snprintf(a.order_id, sizeof(a.order_id), "%s", order_id);
    snprintf(a.device, sizeof(a.device), "kitchen");
    a.seq = seq;
    a.iat_s = T0 / 1000;
    a.status = st;
    return a;
}

static enum store_order_state
state_of(struct store *db, const char *id)
{
    struct store_order o;
    enum store_order_state s = ORDER_STATE_COUNT;
    if (store_order_get(db, id, &o) == 0)
        s = o.state;
    store_order_fini(&o);
    return s;
}

/* The newest open order of an item: its id into ctx. */
static int
newest_cb(const struct store_order *o, void *ctx)
{
    snprintf(ctx, STORE_ID_MAX, "%s", o->order_id);
    return 0;
}

static void
test_acks(void)
{
    static struct agent_config cfg;
    static struct pipeline pl;
    struct cfg_errors errs;
    struct store *db = NULL;
    struct keys key;
    struct message_ack a;
    struct jws j;
    struct pend p;
    char text[2048], path[512], err[512], msg[512], id[STORE_ID_MAX] = "";

    snprintf(text, sizeof(text), conf_fmt, dir, dir, dir);
    CHECK_EQ_I64(cfg_load_string(text, "test.conf", &cfg, &errs), 0);
    snprintf(path, sizeof(path), "%s/device.key", dir);
    CHECK_EQ_I64(keys_generate(path, false, &key, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_open(cfg.store_path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(pipeline_init(&pl, &cfg, db, T0, err, sizeof(err)), 0);
    pl.key = &key;

    /* A person orders: queued with sequence number 1, signed by the device. */
    CHECK_EQ_I64(pipeline_order(&pl, 0, "manual", T0 + 1000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(store_orders_open(db, "rice", newest_cb, id), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_QUEUED);
    memset(&p, 0, sizeof(p));
    CHECK_EQ_I64(store_outbox_pending(db, pend_cb, &p), 0);
    CHECK(p.n == 1 && p.seq[0] == 1 && p.kind[0] == STORE_MSG_REORDER);
    CHECK_EQ_I64(jws_verify(p.text[0], strlen(p.text[0]), key.pk, &j, err, sizeof(err)),
                 0);
    CHECK(strcmp(j.typ, "pantry-reorder+jws") == 0 && strstr(j.payload, id) != NULL);
    jws_fini(&j);

    /* Acks that must change nothing. */
    a = ack(id, 1, ACK_ACCEPTED);
    snprintf(a.device, sizeof(a.device), "other");
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 2000, msg, sizeof(msg)), -EINVAL);
    a = ack("rice-19990101T000000Z-00000000", 1, ACK_ACCEPTED);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 2000, msg, sizeof(msg)), -ENOENT);
    a = ack(id, 7, ACK_ACCEPTED);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 2000, msg, sizeof(msg)), -ESTALE);
    a = ack(id, 1, ACK_CANCELLED);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 2000, msg, sizeof(msg)), -EINVAL);
    CHECK_EQ_I64(state_of(db, id), ORDER_QUEUED);

    /* PUBACK: published; a second one (a re-send) changes nothing. */
    CHECK_EQ_I64(pipeline_published(&pl, STORE_MSG_REORDER, id, T0 + 3000), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_PUBLISHED);
    CHECK_EQ_I64(pipeline_published(&pl, STORE_MSG_REORDER, id, T0 + 3500), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_PUBLISHED);
    /* Accepted: acknowledged, and the outbox is empty. */
    a = ack(id, 1, ACK_ACCEPTED);
    snprintf(a.retailer, sizeof(a.retailer), "shop-1");
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 4000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_ACKNOWLEDGED);
    CHECK(strstr(msg, "shop-1") != NULL);
    memset(&p, 0, sizeof(p));
    CHECK_EQ_I64(store_outbox_pending(db, pend_cb, &p), 0);
    CHECK_EQ_I64(p.n, 0);
    /* The same answer again: nothing new. */
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 4500, msg, sizeof(msg)), -EALREADY);
    /* Shipped after accepted: the state stays, the ETA is kept (once). */
    a = ack(id, 1, ACK_SHIPPED);
    a.eta_s = T0 / 1000 + 2 * 86400;
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 5000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 5001, msg, sizeof(msg)), -EALREADY);
    struct store_order o;
    CHECK_EQ_I64(store_order_get(db, id, &o), 0);
    CHECK_EQ_I64(o.eta_ms, T0 + 2 * 86400 * INT64_C(1000));
    CHECK_EQ_I64(o.state, ORDER_ACKNOWLEDGED);
    store_order_fini(&o);

    /* Cancelled by the household inside the window: a signed cancel with the
     * next number waits in the outbox. */
    CHECK_EQ_I64(pipeline_cancel(&pl, 0, "manual", T0 + 6000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_CANCELLED);
    memset(&p, 0, sizeof(p));
    CHECK_EQ_I64(store_outbox_pending(db, pend_cb, &p), 0);
    CHECK(p.n == 1 && p.seq[0] == 2 && p.kind[0] == STORE_MSG_CANCEL);
    CHECK_EQ_I64(jws_verify(p.text[0], strlen(p.text[0]), key.pk, &j, err, sizeof(err)),
                 0);
    CHECK(strcmp(j.typ, "pantry-cancel+jws") == 0 &&
          strstr(j.payload, "\"reason\":\"manual\"") != NULL &&
          strstr(j.payload, "\"seq\":2") != NULL);
    jws_fini(&j);
    /* The retailer's answer to the cancel closes it; a second is nothing new. */
    CHECK_EQ_I64(pipeline_published(&pl, STORE_MSG_CANCEL, id, T0 + 6500), 0);
    a = ack(id, 2, ACK_CANCELLED);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 7000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 7001, msg, sizeof(msg)), -EALREADY);
    a = ack(id, 2, ACK_ACCEPTED); /* accepted means nothing for a cancel */
    CHECK_EQ_I64(pipeline_ack(&pl, &a, T0 + 7002, msg, sizeof(msg)), -EINVAL);
    struct store_cancel c;
    CHECK_EQ_I64(store_cancel_get(db, id, &c), 0);
    CHECK(c.answered && c.cancelled && c.published_ms == T0 + 6500);
    memset(&p, 0, sizeof(p));
    CHECK_EQ_I64(store_outbox_pending(db, pend_cb, &p), 0);
    CHECK_EQ_I64(p.n, 0);

    /* A second order (after the cooldown): rejected by the retailer. */
    int64_t t = T0 + 2 * 86400 * INT64_C(1000);
    CHECK_EQ_I64(pipeline_order(&pl, 0, "manual", t, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(store_orders_open(db, "rice", newest_cb, id), 0);
    a = ack(id, 3, ACK_REJECTED);
    snprintf(a.reason, sizeof(a.reason), "out of stock");
    CHECK_EQ_I64(pipeline_ack(&pl, &a, t + 1000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_REJECTED);
    /* A refused cancel is recorded and said: a third order, shipped, then a
     * cancel the retailer refuses. */
    t += 2 * 86400 * INT64_C(1000);
    CHECK_EQ_I64(pipeline_order(&pl, 0, "button", t, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(store_orders_open(db, "rice", newest_cb, id), 0);
    a = ack(id, 4, ACK_SHIPPED);
    CHECK_EQ_I64(pipeline_ack(&pl, &a, t + 1000, msg, sizeof(msg)), 0);
    CHECK_EQ_I64(state_of(db, id), ORDER_ACKNOWLEDGED);
    CHECK_EQ_I64(pipeline_cancel(&pl, 0, "button", t + 2000, msg, sizeof(msg)), 0);
    a = ack(id, 5, ACK_REJECTED);
    snprintf(a.reason, sizeof(a.reason), "already shipped");
    CHECK_EQ_I64(pipeline_ack(&pl, &a, t + 3000, msg, sizeof(msg)), 0);
    CHECK(strstr(msg, "refused") != NULL && strstr(msg, "already shipped") != NULL);
    CHECK_EQ_I64(store_cancel_get(db, id, &c), 0);
    CHECK(c.answered && !c.cancelled);
    int64_t last = 0;
    CHECK_EQ_I64(store_seq_last(db, "kitchen", &last), 0);
    CHECK_EQ_I64(last, 5);

    pipeline_fini(&pl);
    store_close(db);
    keys_wipe(&key);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/pantry-acks-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    RUN(test_acks);
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return th_done();
}
