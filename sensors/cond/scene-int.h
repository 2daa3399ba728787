/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internals of the situation generator (scene.h), shared by its three files:
 * scene.c (the API, the sampler: loads, sensor effects and noise into counts),
 * scene-act.c (the planner: the shelf, the household and the action library)
 * and scene-sit.c (the situations). Not installed, not for other modules; the
 * prefix is sc_.
 *
 * A plan is data: per platform, ramps of mass (owner, t0, t1, mg: the load
 * changes linearly by mg from t0 to t1), oscillations, sensor effects (stuck
 * codes, garbage, a radio), silences (no samples at all); and the true
 * records. The planner writes it once in scene_new(); the sampler reads it.
 */
#ifndef PANTRY_SENSORS_SCENE_INT_H
#define PANTRY_SENSORS_SCENE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/cond/scene.h"

#define SC_SEC INT64_C(1000)
#define SC_MIN (60 * SC_SEC)
#define SC_HOUR (60 * SC_MIN)
#define SC_DAY (24 * SC_HOUR)
#define SC_G INT64_C(1000) /* one gram in mg */

#define SC_OWNER_FOREIGN 8 /* ramp owners: 0..3 items, then these */
#define SC_OWNER_SENSOR 9  /* an electrical offset, not a mass */

/* A growable array of elements of one size. */
struct sc_vec {
    void *p;
    size_t n, cap;
};

/* A slot for one more element of size sz (zeroed), or NULL when out of memory. */
void *sc_push(struct sc_vec *v, size_t sz);
void sc_vec_free(struct sc_vec *v);

struct sc_ramp {
    int64_t t0, t1; /* t1 > t0 */
    int64_t mg;     /* change of load over [t0, t1], linear */
    uint8_t owner;
};

struct sc_wob { /* a cat's breathing: amp * sin(2 pi (t - t0) / period) */
    int64_t t0, t1, amp_mg, period_ms;
};

enum sc_fx_kind {
    SC_FX_ZERO,    /* raw code 0, status ok (DOUT stuck low, bit-banged) */
    SC_FX_RAIL_HI, /* 0x7FFFFF, status ok */
    SC_FX_RAIL_LO, /* -0x800000, status ok */
    SC_FX_FROZEN,  /* the last raw code again and again */
    SC_FX_WIGGLE,  /* EIO samples, garbage codes and dropped samples */
    SC_FX_GARBAGE, /* random codes, status ok (a connector plugged back) */
    SC_FX_EMI,     /* single-sample spikes, ppm of samples in a */
};

struct sc_fx {
    int64_t t0, t1;
    int64_t a;
    uint8_t kind;
};

struct sc_ival {
    int64_t t0, t1;
};

struct sc_plat {
    struct sc_vec ramp, wob, fx, gap; /* sc_ramp, sc_wob, sc_fx, sc_ival */
    struct sc_vec act, busy;          /* sc_ival, built at the end of planning */
    int32_t zero, cpk;                /* true calibration: counts, counts per kg */
    struct cond_cal cal;              /* handed out */
    int64_t noise_mg;                 /* sd of the noise */
    int64_t outlier_ppm;              /* heavy noise: share of 5-20 g outliers */
    int64_t garbage_ppm;              /* random codes and timeouts, any time */
    int64_t creep_ppm, creep_tau_ms;
    int64_t daily_mg, sunny_mg; /* thermal: daily amplitude, sunny swing */
    int64_t wander_mg[2], wander_period_ms[2], wander_phase_ms[2];
};

/* One channel while sampling. */
struct sc_rt {
    uint64_t rng;
    int64_t next_t, last_t;
    size_t ramp_i, wob_i, fx_i, gap_i, busy_i;
    int64_t base_phys, base_sensor; /* ramps that are over */
    size_t active[32];              /* ramps under way */
    size_t n_active;
    int64_t lag_mg;            /* creep: the load, lagging by creep_tau_ms */
    int64_t therm_t, therm_mg; /* thermal offset, recomputed every second */
    int32_t last_raw, frozen_raw;
    bool frozen_set;
    int64_t drop_until; /* a wiggle's dropped samples */
    unsigned tick;      /* 80 Hz: 12 or 13 ms */
};

struct scene {
    struct scene_config cfg;
    unsigned n; /* platforms = channels = items */
    enum scene_noise noise;
    enum scene_sampling sampling;
    bool wrong_cal;
    int64_t start_ms, end_ms;
    int64_t daily_phase_ms;
    int64_t sun_t0, sun_len; /* a sunny afternoon, sun_len 0: none */
    struct sc_plat plat[SCENE_MAX_PLATFORMS];
    struct scene_item item[SCENE_MAX_PLATFORMS];
    struct sc_vec truth; /* struct scene_truth */
    struct sc_rt rt[SCENE_MAX_PLATFORMS];
    char desc[320];
    int error;
};

/* ---- random numbers (splitmix64) ---- */

uint64_t sc_rnd(uint64_t *s);
int64_t sc_uni(uint64_t *s, int64_t lo, int64_t hi);  /* uniform in [lo, hi] */
int64_t sc_logu(uint64_t *s, int64_t lo, int64_t hi); /* about log-uniform */
bool sc_chance(uint64_t *s, int64_t percent);
/* sin(2 pi * num / den) in Q16 (65536 = 1), from a quarter-wave table. */
int64_t sc_sin_q16(int64_t num, int64_t den);

/* ---- the planner (scene-act.c) ---- */

enum sc_style {
    SC_STYLE_JAR,       /* pours with a lift, scoops */
    SC_STYLE_BAG,       /* no container: pours with a lift */
    SC_STYLE_DISPENSER, /* a lever: dispensing without a lift */
};

struct sc_item_state {
    int64_t contents, gross;         /* gross: container, contents, packaging */
    int64_t on[SCENE_MAX_PLATFORMS]; /* its mass on each platform */
    enum sc_style style;
};

/* The situation being planned (scene-sit.c fills it, the planner runs it). */
#define SC_MAX_STEPS 6
#define SC_MAX_BLOCKS 6
struct sc_sit {
    unsigned p, q;                /* the platform (its item) and a neighbour */
    uint32_t plats;               /* platforms it touches */
    int64_t step_t[SC_MAX_STEPS]; /* when each step begins */
    int n_steps, next_step;
    struct sc_ival block[SC_MAX_BLOCKS]; /* no background use of block_item */
    unsigned block_item[SC_MAX_BLOCKS];
    int n_blocks;
    int64_t begin;   /* SITUATION */
    int64_t end;     /* drawn: no step ends later (the run's end
                        follows from it) */
    int64_t last;    /* played: SITUATION_END, the last hands off */
    int64_t par[16]; /* the kind's parameters */
    int32_t orders;  /* ORDER records so far */
};

struct sc_plan {
    struct scene *s;
    uint64_t rng;
    struct sc_item_state it[SCENE_MAX_PLATFORMS];
    struct sc_sit sit;
};

/* Draw the shelf and models and plan everything into s (scene_new's work). */
int sc_plan(struct scene *s);

/* Actions (scene-act.c), used by the situations. Times are when they begin;
 * each returns when it ended (hands off), or the time in the air for lift. */
void sc_ramp(struct sc_plan *pl, unsigned plat, unsigned owner, int64_t t0, int64_t dur,
             int64_t mg);
/* A ramp of the item's own mass, which it then has on that platform. */
void sc_item_ramp(struct sc_plan *pl, unsigned item, unsigned plat, int64_t t0,
                  int64_t dur, int64_t mg);
void sc_hand(struct sc_plan *pl, unsigned plat, int64_t t0, int64_t dur, int64_t mg);
int64_t sc_lift(struct sc_plan *pl, unsigned item, int64_t t);
int64_t sc_place(struct sc_plan *pl, unsigned item, unsigned p, unsigned q,
                 int64_t share_pm, int64_t t);
int64_t sc_pour_use(struct sc_plan *pl, unsigned item, int64_t t, int64_t mg,
                    uint32_t plats, uint8_t flags);
struct scene_truth *sc_truth(struct sc_plan *pl, int64_t t, enum scene_truth_kind kind,
                             unsigned item, int64_t mg, uint32_t plats, uint8_t flags);
void sc_fx(struct sc_plan *pl, unsigned plat, enum sc_fx_kind kind, int64_t t0,
           int64_t t1, int64_t a);
void sc_gap(struct sc_plan *pl, unsigned plat, int64_t t0, int64_t t1);
void sc_wobble(struct sc_plan *pl, unsigned plat, int64_t t0, int64_t t1, int64_t amp,
               int64_t period);

/* ---- the situations (scene-sit.c) ---- */

/* Draw the situation's platforms, times and parameters; at >= t_min. */
void sc_sit_draw(struct sc_plan *pl, int64_t t_min);
/* Run step k (at pl->sit.step_t[k]) with the items as they are then. */
void sc_sit_step(struct sc_plan *pl, int k);

#endif
