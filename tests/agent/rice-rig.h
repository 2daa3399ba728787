/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline tests' rig: one item, "rice" (1 kg packs, 400 counts per gram,
 * zero at 0 counts), on one fake channel, with the daemon's pipeline on a real
 * store in a temp folder, fed raw samples as pantry-agent's replay loop feeds
 * them, and the few reads of the store those tests share.
 */
#ifndef PANTRY_TESTS_RICE_RIG_H
#define PANTRY_TESTS_RICE_RIG_H

#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"

#define T0 INT64_C(1790812800000) /* 2026-10-01T00:00:00Z */
#define MIN INT64_C(60000)
#define HOUR (60 * MIN)
#define DAY (24 * HOUR)

struct rig {
    struct agent_config cfg;
    struct pipeline pl;
    struct store *db;
    int64_t now;
    unsigned k; /* dither phase */
};

/*
 * The store dir/pantry-NAME.db and the pipeline at T0 (a store already there
 * is opened again, as a restarted daemon does). top: more top-level settings,
 * item: the item's settings (its mode, cooldown, ...); "" for none.
 */
void rig_open(struct rig *r, const char *dir, const char *name, const char *top,
              const char *item);
void rig_close(struct rig *r);

/* Samples of weight g (grams; raw code given when code >= 0) every period_ms
 * until `until`, each with a dither of a count, the pipeline's timers fired
 * when due. */
void feed_code(struct rig *r, int64_t until, int64_t g, int32_t code,
               int64_t period_ms);
void feed_every(struct rig *r, int64_t until, int64_t g, int64_t period_ms);
void feed(struct rig *r, int64_t until, int64_t g); /* every 100 ms */

/* Four days of 100 g a day, 1400 g down to 1000 g. */
void warm_up(struct rig *r);

/* The item's open order's id into id ("" for none). */
void open_order(struct rig *r, char *id);

/* The state of order id (ORDER_STATE_COUNT when there is none). */
enum store_order_state state_of(struct store *db, const char *id);

/* How many notes of the item's last 200 lines of history have text in them. */
int history_has(struct store *db, const char *text);

#endif
