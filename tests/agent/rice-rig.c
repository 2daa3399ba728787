/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline tests' rig (rice-rig.h).
 */
#include "tests/agent/rice-rig.h"

#include <stdio.h>
#include <string.h>

#include "tests/harness.h"

static const char conf_fmt[] =
    "device_id = \"kitchen\";\n"
    "store_path = \"%s/pantry-%s.db\";\n"
    "key_path = \"%s/device.key\";\n"
    "control_socket = \"%s/control.sock\";\n"
    "%s\n"
    "channels = ( { name = \"rice\"; iio = { device = \"shelf-rice\"; }; } );\n"
    "items = ( { id = \"rice\"; channel = \"rice\"; pack = 1000; %s\n"
    "            calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n";

void
rig_open(struct rig *r, const char *dir, const char *name, const char *top,
         const char *item)
{
    struct cfg_errors errs;
    char text[4096], err[512];

    snprintf(text, sizeof(text), conf_fmt, dir, name, dir, dir, top, item);
    CHECK_EQ_I64(cfg_load_string(text, "test.conf", &r->cfg, &errs), 0);
    CHECK_EQ_I64(store_open(r->cfg.store_path, 0, &r->db, err, sizeof(err)), 0);
    CHECK_EQ_I64(pipeline_init(&r->pl, &r->cfg, r->db, T0, err, sizeof(err)), 0);
    r->now = T0;
}

void
rig_close(struct rig *r)
{
    pipeline_fini(&r->pl);
    store_close(r->db);
}

void
feed_code(struct rig *r, int64_t until, int64_t g, int32_t code, int64_t period_ms)
{
    for (; r->now < until; r->now += period_ms) {
        int64_t due;
        while ((due = pipeline_next_due_ms(&r->pl)) <= r->now)
            pipeline_tick(&r->pl, due);
        struct sample s = {.t_ms = r->now, .channel = 0, .status = SAMPLE_OK};
        s.raw = code >= 0 ? code : (int32_t)(g * 400) + (int32_t)(r->k++ % 3) - 1;
        pipeline_sample(&r->pl, &s);
    }
    pipeline_tick(&r->pl, r->now);
    pipeline_flush(&r->pl);
}

void
feed_every(struct rig *r, int64_t until, int64_t g, int64_t period_ms)
{
    feed_code(r, until, g, -1, period_ms);
}

void
feed(struct rig *r, int64_t until, int64_t g)
{
    feed_code(r, until, g, -1, 100);
}

void
warm_up(struct rig *r)
{
    int64_t g = 1400;
    feed_every(r, T0 + 12 * HOUR, g, 10000);
    for (int d = 0; d < 4; d++) {
        g -= 100;
        feed(r, T0 + d * DAY + 12 * HOUR + 5 * MIN, g);
        feed_every(r, T0 + (d + 1) * DAY + 12 * HOUR, g, 10000);
    }
}

static int
newest_cb(const struct store_order *o, void *ctx)
{
    snprintf(ctx, STORE_ID_MAX, "%s", o->order_id);
    return 0;
}

void
open_order(struct rig *r, char *id)
{
    id[0] = '\0';
    CHECK_EQ_I64(store_orders_open(r->db, "rice", newest_cb, id), 0);
}

enum store_order_state
state_of(struct store *db, const char *id)
{
    struct store_order o;
    enum store_order_state s = ORDER_STATE_COUNT;
    if (store_order_get(db, id, &o) == 0)
        s = o.state;
    store_order_fini(&o);
    return s;
}

struct find {
    const char *text;
    int found;
};

static int
history_cb(const struct store_history *h, void *ctx)
{
    struct find *f = ctx;
    f->found += h->note != NULL && strstr(h->note, f->text) != NULL;
    return 0;
}

int
history_has(struct store *db, const char *text)
{
    struct find f = {text, 0};
    CHECK_EQ_I64(store_history(db, "rice", 200, history_cb, &f), 0);
    return f.found;
}
