/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The situations scorer (tests/situations/README.md): one run of a scene
 * (sensors/cond/scene.h) through the daemon's real pipeline with its shipped
 * defaults and through a threshold-scale baseline, side by side on the same
 * samples, and the scores of what each detected against the scene's truth.
 *
 *   run.c       the configuration a user would write, the store, the replay
 *               loop of pantry-agent --replay, the household's orders, a
 *               simulated broker and retailer; the baseline fed alongside
 *   baseline.c  a plain kitchen smart scale with a reorder threshold
 *   score.c     attributed grams, false events, false and wrongly closed
 *               orders, missed deliveries, latency
 *
 * Units: mg, ms since the epoch. Everything here is test code: it aborts on
 * out-of-memory rather than threading -ENOMEM through.
 */
#ifndef PANTRY_TESTS_SITU_H
#define PANTRY_TESTS_SITU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensors/cond/scene.h"
#include "sensors/sensor.h"

#define SITU_ID_MAX 64
#define SITU_MAX_HOUSEHOLD 4 /* household orders per scene, at most */
#define SITU_LATE_MS 2000    /* a take is late after its settle time and this */

/* A detected consumption or refill (kind: STOCK_CONSUME or STOCK_REFILL). */
struct situ_event {
    int64_t t_ms;
    int64_t mg;
    unsigned channel;
    int kind;
};

struct situ_order {
    char id[SITU_ID_MAX];
    unsigned channel;
    bool predicted; /* placed by the detector itself ("predicted") */
    int64_t created_ms;
    int64_t fulfilled_ms; /* 0: never fulfilled */
    char detail[160];     /* the agent's forecast behind it (its JSON), or "" */
};

/* What one detector did in one run. */
struct situ_result {
    struct situ_event *ev;
    size_t n_ev, cap_ev;
    struct situ_order *ord;
    size_t n_ord, cap_ord;
    /* The order that stands for household order k (placed then, or already
     * open then), index into ord; -1 when none could be placed. */
    int household[SITU_MAX_HOUSEHOLD];
};

void situ_result_init(struct situ_result *r);
void situ_result_fini(struct situ_result *r);
void situ_add_event(struct situ_result *r, int64_t t_ms, int64_t mg, unsigned channel,
                    int kind);
/* Index of the new order. */
int situ_add_order(struct situ_result *r, const char *id, unsigned channel,
                   bool predicted, int64_t created_ms);

/* The reorder policy's settings of an item, as the agent's configuration has
 * them (the oracle decides with these). */
struct situ_policy {
    int64_t lead_s, review_s, cover_s;
    uint32_t service_bp, packs_per_order;
    int64_t settle_ms; /* the item's conditioning settle time */
    int64_t close_ms;  /* how long after a delivery its order may close: settle,
                          move window and refill hold, and 2 minutes */
};

/* Everything one run gives the scorer. */
struct situ_run {
    struct scene *scene;
    struct situ_result agent, base;
    struct situ_policy policy[SCENE_MAX_PLATFORMS];
    /* Per true record: */
    int64_t *seen_ms;       /* the first sample of its channel at or after it
                               (INT64_MAX: none) */
    int64_t *quiet_ms;      /* when its platforms were quiet from, for the
                               settle time of its item (scene_quiet_from()) */
    int64_t *ready_ms;      /* that + the settle time */
    int64_t *ready_seen_ms; /* the first sample of its channel at or after
                               ready_ms + SITU_LATE_MS (INT64_MAX: none) */
    long samples;
    char error[640]; /* why the run failed, "" if it did not */
};

/*
 * Run the scene of config c through the agent's pipeline (store in dir) and
 * the baseline. Returns 0, or -1 with the reason in run->error. run is the
 * caller's: situ_run_fini() whatever the result.
 */
int situ_run(const struct scene_config *c, const char *dir, struct situ_run *run);
void situ_run_fini(struct situ_run *run);

/*
 * The configuration a household would write for the scene's shelf: device id,
 * store path in dir, an iio channel per platform, per item its id, channel,
 * pack, container, calibration, mode "auto" and a price; nothing else, so
 * every other setting is the shipped default. With daemon, also the key and
 * the control socket in dir (a real daemon makes and opens them). Returns the
 * length written or -1 when len was too small.
 */
int situ_config_text(const struct scene *s, const char *dir, bool daemon, char *buf,
                     size_t len);

/* ---- the baseline ---- */

#define SITU_BASE_RING 4096 /* medians in 15 s at 80 Hz fit, with room */

struct situ_base_chan {
    struct cond_cal cal;
    int64_t container_mg, pack_mg;
    int32_t win[5];
    int win_n, win_pos;
    int64_t t[SITU_BASE_RING], v[SITU_BASE_RING]; /* medians, by sequence number */
    uint64_t head, tail;                          /* [head, tail) in the window */
    uint64_t maxq[SITU_BASE_RING], minq[SITU_BASE_RING];
    uint64_t max_h, max_t, min_h, min_t; /* monotonic deques */
    int64_t sum;                         /* of the window */
    int64_t first_t, last_t;             /* of the current stretch */
    bool have_ref;
    int64_t ref_mg;      /* the last logged stable reading */
    int64_t below_since; /* stable net below 20 % of a pack since, or INT64_MIN */
    int open;            /* index of its open order, -1: none */
};

struct situ_base {
    unsigned n;
    struct situ_base_chan ch[SCENE_MAX_PLATFORMS];
    struct situ_result *out;
};

/* A scale per channel of s with the calibration handed out. */
void situ_base_init(struct situ_base *b, const struct scene *s,
                    struct situ_result *out);
void situ_base_sample(struct situ_base *b, const struct sample *m);
/* The household orders channel's item now (household order k). */
void situ_base_household(struct situ_base *b, unsigned channel, int64_t t_ms, int k);

/* ---- scores ---- */

struct situ_score {
    long runs;
    long takes;      /* true observable takes (slow ones included) */
    int64_t true_mg; /* their grams */
    int64_t attributed_mg;
    long false_consumes;
    int64_t false_consume_mg;
    long false_refills;
    long orders; /* placed by the detector itself */
    long false_orders;
    long false_orders_clean; /* of those, on a record without a conditioning
                                error of the item before it: the forecast's doing */
    double clean_early_max;  /* the most days of true use one of those came
                                before the oracle's */
    long wrongly_closed;
    long deliveries, deliveries_missed;
    long late;       /* detections later than settle + 2 s after the take */
    int64_t *lat_ms; /* latency of each detection that covered a take */
    size_t n_lat, cap_lat;
};

/* Score one detector's result of run into sc (adding to what is there). */
void situ_score(const struct situ_run *run, const struct situ_result *r,
                struct situ_score *sc);
/* Truth and detections of r side by side, per channel, for a person. */
void situ_dump(const struct situ_run *run, const struct situ_result *r, const char *who,
               FILE *f);
/* a += b (latencies appended). */
void situ_score_add(struct situ_score *a, const struct situ_score *b);
void situ_score_fini(struct situ_score *sc);
/* False events: false consumes, false refills, false orders, wrongly closed. */
long situ_score_false(const struct situ_score *sc);
/* The latency at per-mille pm of the detections (500: the median); -1: none. */
int64_t situ_score_latency(const struct situ_score *sc, int pm);

#endif
