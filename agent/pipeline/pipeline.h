/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pipeline from sample to decision, per item: raw samples go through
 * conditioning (sensors/cond) into stock events; consumption feeds the
 * forecaster (models/), refills close orders and teach the lead time; after
 * every event and every review period the reorder policy and the over-order
 * guard (orders.h) decide, and an order is created in the store (planned in
 * confirm mode, queued with its sequence number and message in auto mode).
 * Button presses order, cancel and confirm. Everything that must survive a
 * crash goes to the store (store.h); what was learnt is saved after every
 * change, so a restart continues where it stopped.
 *
 * No clock, no sockets: the caller passes every sample and edge with its time
 * and calls pipeline_tick() at pipeline_next_due_ms(), on the real clock or on a
 * replayed trace's virtual one. Writes are batched in one store transaction
 * until pipeline_flush().
 */
#ifndef PANTRY_AGENT_PIPELINE_H
#define PANTRY_AGENT_PIPELINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/hw/button.h"
#include "sensors/cond/calib.h"
#include "sensors/cond/cond.h"
#include "sensors/cond/shelf.h"
#include "models/adjust.h"
#include "agent/config/agent-config.h"
#include "models/dayuse.h"
#include "models/forecast.h"
#include "agent/msg/keys.h"
#include "models/lead.h"
#include "models/units.h"
#include "agent/msg/message.h"
#include "agent/pipeline/orders.h"
#include "sensors/sensor.h"
#include "agent/store/store.h"

/*
 * Learning period of a new item: no predicted order before this long after
 * observation began and this many uses (a person can still order).
 */
#define PL_WARMUP_MS (3 * MODELS_DAY_MS)
#define PL_WARMUP_EVENTS 4

/* The store's meta key holding the time of the last committed batch. */
#define PL_META_PROCESSED "processed_ms"

/*
 * A refill closes an open order when it is the ordered packs' grams: at most
 * 5 % or PL_MATCH_UNDER_MG under, at most 10 % and PL_MATCH_PACKAGING_MG over
 * (pipeline.c, grams_match()).
 */
#define PL_MATCH_UNDER_MG INT64_C(10000)
#define PL_MATCH_PACKAGING_MG INT64_C(40000)

/* Raw readings kept per channel for tare and calibration requests. */
#define PL_RAW_RING 64

/* What is saved in the store per item, field by field (modelstate.h). */
struct pl_model {
    struct fc fc;
    struct lead lead;
    struct dayuse days; /* use per day: the peak over a lead time */
    int64_t zero_mg;    /* conditioning's zero tracking */
    int64_t zero_at_ms;
    int64_t started_ms; /* observation began (fc_init) */
    int64_t expired_ms; /* a sent order expired then (0: none since the last refill):
                           the next predicted order waits for confirmation */
    struct adjust adj;  /* learnt from corrections (learn.h) */
};

/* The forecast and decision of one item at its last review. */
struct pl_view {
    int64_t t_ms;     /* of the review, 0: none yet */
    int64_t stock_mg; /* net of the container, >= 0 */
    int64_t uncertainty_mg;
    int64_t rate_ugpd, sigma_ugpd;
    int64_t runout_s, runout_lo_s, runout_hi_s; /* MODELS_NEVER: never */
    int64_t lead_s;                             /* planned lead time */
    int64_t reorder_point_mg;
    enum order_verdict verdict;
};

struct pl_item {
    const struct cfg_item *cfg;
    uint16_t channel; /* its platform on the shelf */
    struct pl_model model;
    struct pl_view view;
    bool fault;      /* between FAULT and FAULT_END */
    bool have_stock; /* a settled weight was seen */
    bool review_due; /* a review waits for the shelf to settle */
    bool
        grocy_checked; /* its settled stock was held against Grocy's (pl_grocy_settled) */
    int64_t next_review_ms;
    /* readings of the current aggregation interval */
    int64_t agg_start_ms, agg_n, agg_min, agg_max, agg_sum;
    /* the last raw readings (tare, calibration) */
    int32_t raw[PL_RAW_RING];
    int64_t raw_t[PL_RAW_RING];
    uint8_t raw_status[PL_RAW_RING];
    unsigned raw_pos;
};

struct pl_button {
    const struct cfg_button *cfg;
    struct button_config bcfg;
    struct button_state st;
};

/*
 * Called for each message put in the outbox (after its transaction
 * committed): an order's reorder when it is queued, its cancel when it is
 * withdrawn after it may have left the device; so the MQTT side can send it.
 * May be NULL.
 */
typedef void (*pl_queued_fn)(void *ctx, const char *order_id);

struct pipeline {
    const struct agent_config *cfg; /* the caller's, outlives the pipeline */
    struct store *db;               /* the caller's */
    struct shelf shelf;             /* conditioning of every platform */
    struct pl_item items[CFG_MAX_ITEMS];
    size_t n_items;
    int channel_item[SENSOR_MAX_CHANNELS]; /* sample channel -> item, -1: none */
    struct pl_button buttons[CFG_MAX_BUTTONS];
    size_t n_buttons;
    bool in_batch;
    unsigned reviews_due; /* items whose review waits for the shelf to settle */
    int64_t batch_ms;     /* when the open batch began */
    int64_t now_ms;       /* latest time seen */
    /* Readings of intervals that began before this are written (0: none yet). */
    int64_t agg_closed_ms;
    /* The device key: queued payloads are stored as JWS signed with it (issue 5);
     * NULL stores the bare JSON payload. The caller's; outlives the pipeline. */
    const struct keys *key;
    pl_queued_fn queued;
    void *queued_ctx;
    /*
     * A replay's resume (resume.h): when resumable, every commit also saves the
     * in-memory state, and in_t_ms/in_n say how far the input was taken in:
     * inputs (samples and edges, in the order given) of time in_t_ms, in_n of
     * them. A commit in the middle of an input (an order's own transaction) is
     * followed by one at its end (flush_due), so a resumed replay goes on from a
     * whole input.
     */
    bool resumable, in_input, flush_due;
    int64_t in_t_ms;
    uint32_t in_n;
    bool no_learning; /* corrections teach nothing (the closed loop's baseline) */
    /* counters for logs and tests */
    uint64_t samples, events, orders_created, orders_queued, store_errors;
    char last_error[STORE_ERR_MAX + 32]; /* of the last store failure */
};

/*
 * Set up every configured item and button at now_ms: registers the items in
 * the store, loads their model states (a state of another format is dropped:
 * learning starts afresh, and the audit log says so) and calibrations (the
 * store's latest wins over the configuration's; an item with neither cannot
 * weigh and gets -EINVAL). p is large (about 40 KB): keep it static or on the
 * heap. Returns 0, or a negative errno with a message in err.
 */
int pipeline_init(struct pipeline *p, const struct agent_config *cfg, struct store *db,
                  int64_t now_ms, char *err, size_t errlen);

/* Commit the open batch, if any. Call at least once a second of real time. */
int pipeline_flush(struct pipeline *p);

/* Flush, and save every item's model and partial readings. p is unusable after. */
int pipeline_fini(struct pipeline *p);

/*
 * One sample (t_ms must not go back; older ones are ignored). Channels without
 * an item are ignored. Returns 0, or a negative errno from the store (the
 * pipeline goes on: the caller logs it).
 */
int pipeline_sample(struct pipeline *p, const struct sample *s);

/* One button edge (button = index into cfg->buttons). */
int pipeline_edge(struct pipeline *p, const struct button_edge *e);
/* One press a device classified itself (button = index into cfg->buttons),
 * acted on as the button's press of that kind. */
int pipeline_press(struct pipeline *p, const struct press *pr);

/* Timers due at now_ms: conditioning, buttons, reviews, order expiry. */
int pipeline_tick(struct pipeline *p, int64_t now_ms);

/* The earliest time pipeline_tick() has something to do (INT64_MAX: none). */
int64_t pipeline_next_due_ms(const struct pipeline *p);

/*
 * What a person asked for (a button, pantryctl): order the item now, confirm
 * its planned order, cancel its open order. Return 0 with a sentence for the
 * person in msg, or a negative errno with the reason in msg: -EPERM (the guard
 * said no: mode off, cap, budget; or nothing to confirm/cancel), -ETIME (the
 * cancel window closed), -EEXIST (an order is already open).
 */
int pipeline_order(struct pipeline *p, size_t item, const char *reason, int64_t now_ms,
                   char *msg, size_t len);
int pipeline_confirm(struct pipeline *p, size_t item, int64_t now_ms, char *msg,
                     size_t len);
int pipeline_cancel(struct pipeline *p, size_t item, const char *reason, int64_t now_ms,
                    char *msg, size_t len);

/*
 * The household refused the delivery of item's open order at the door
 * (pipeline-refused.c); why is its reason (NULL or "": none given), kept in
 * the order's history. A sent order (published, acknowledged) becomes
 * cancelled, the retailer gets a signed cancel with reason "refused", and a
 * predicted order teaches the policy (learn.h, ADJUST_REFUSED). Returns 0 with
 * a sentence in msg, or -EPERM (no open order; one not sent yet: cancel it
 * instead) or a store error, with the reason in msg.
 */
int pipeline_refused(struct pipeline *p, size_t item, const char *why, int64_t now_ms,
                     char *msg, size_t len);

/*
 * The broker took the outbox message of order_id (its reorder, or its cancel):
 * a queued reorder becomes published. A PUBACK of a message that is further
 * on (a re-send) changes nothing. 0 or a negative errno from the store.
 */
int pipeline_published(struct pipeline *p, enum store_msg_kind kind,
                       const char *order_id, int64_t now_ms);

/*
 * A retailer's ack (parsed, and authenticated when a retailer key is
 * configured). For the reorder's sequence number: accepted or shipped ->
 * acknowledged (shipped also stores the ETA), rejected -> rejected. For the
 * cancel's: cancelled or rejected is recorded (a refused cancel in the audit
 * log: the order may still come). Returns 0 with what changed in msg, or a
 * negative errno with why nothing did: -EINVAL (another device, a status that
 * does not fit), -ENOENT (unknown order), -ESTALE (a sequence number that is
 * neither of the order's messages), -EALREADY (nothing new: a repeated answer,
 * or an order no longer open). A shipped ack with a new ETA for an order already
 * acknowledged is 0: the ETA is stored.
 */
int pipeline_ack(struct pipeline *p, const struct message_ack *a, int64_t now_ms,
                 char *msg, size_t len);

/*
 * Calibration from the readings of the last window_ms: tare (the platform as it
 * is now, e.g. the empty container, becomes zero) or span (known_mg is on the
 * platform now; the zero is the last tare or calibration). Stored in the store
 * and used at once. -EAGAIN: not enough readings yet; -ERANGE: the platform
 * moved; message in msg either way.
 */
int pipeline_tare(struct pipeline *p, size_t item, int64_t now_ms, int64_t window_ms,
                  char *msg, size_t len);
int pipeline_span(struct pipeline *p, size_t item, int64_t known_mg, int64_t now_ms,
                  int64_t window_ms, char *msg, size_t len);

/* The item's view, refreshed now (a review without deciding). */
void pipeline_view(struct pipeline *p, size_t item, int64_t now_ms,
                   struct pl_view *out);

#endif
