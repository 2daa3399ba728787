/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Situations: a seeded, deterministic generator of a short run of a shelf of 2
 * to 4 load-cell platforms (a few days), one item on each, with the ground
 * truth of what happened. A background household uses every item at a steady,
 * known rate from the first hour, and once after the warm-up (3.6 to 4.4 days
 * in) one named situation happens: a cat on the shelf, an object set down, a
 * jar parked on the neighbour's platform, a stuck HX711, a torn bag, a
 * delivery... (enum scene_kind, sensors/cond/scene.md). The situations are
 * written from what cats, people, load cells and HX711 boards do, not from what
 * conditioning assumes, but each stays distinguishable in principle: an ideal
 * observer with every sample and the item configuration could tell what
 * happened.
 *
 * Under the samples lie the true loads: every platform carries the sum of
 * ramps (linear changes of mass over a few hundred ms, or longer), owned by an
 * item, by something foreign (a cat, a hand, a phone) or by the electronics (a
 * radio's offset), and oscillations (a cat's breathing). The readings add
 * creep after load changes, a daily thermal cycle, a sunny afternoon's swing,
 * slow zero wander, noise of one of several models, and the sensor's own
 * faults; grams become 24-bit counts with each platform's calibration, which
 * may differ slightly from the calibration handed to the agent.
 *
 * Units: mass in milligrams (int64_t), time in milliseconds since the Unix
 * epoch. No floating point, no global state: the same configuration gives the
 * same samples on every machine.
 */
#ifndef PANTRY_SENSORS_SCENE_H
#define PANTRY_SENSORS_SCENE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensors/cond/cond.h"
#include "sensors/sensor.h"

#define SCENE_MAX_PLATFORMS 4
#define SCENE_ID_MAX 16 /* item ids: [a-z], at most 15 characters */

/* What happens once after the warm-up (scene.md has the details of each). */
enum scene_kind {
    SCENE_NONE,        /* the background household alone (the control) */
    SCENE_CAT,         /* a 3-6 kg cat sits on one or two platforms, breathing */
    SCENE_SET_DOWN,    /* a phone, mug, keys or a shopping bag set down, then taken */
    SCENE_STRADDLE,    /* poured from, set down across two platforms, put back */
    SCENE_PARK,        /* a jar parked beside its neighbour, then put back */
    SCENE_DECANT,      /* a new pack set beside the jar, later emptied into it */
    SCENE_STUCK,       /* the HX711 stuck at code 0, a rail code, or frozen */
    SCENE_WIGGLE,      /* a loose connector: EIO, garbage codes, short gaps */
    SCENE_AWAY_DRIFT,  /* an item away for hours on a sunny afternoon's drift */
    SCENE_LEAK,        /* rice trickling from a torn bag, 0.5-5 g/min */
    SCENE_GAP,         /* no samples for seconds (a pour inside) or minutes */
    SCENE_EMI,         /* a radio: single-sample spikes and offset bursts */
    SCENE_LEAN,        /* a shopping bag leaned against the jar */
    SCENE_SCOOPS,      /* three scoops within 30 s */
    SCENE_DELIVERY,    /* the household orders; days later the packs arrive */
    SCENE_SHOP_REFILL, /* an order is open; a pack of another size from a shop */
    SCENE_HAND,        /* a hand resting on the shelf edge, pressing */
    SCENE_KNOCK,       /* a jar knocked over, some spilled off, set upright */
    SCENE_KIND_COUNT,
};

/* "none", "cat", "set-down", ...; "?" otherwise. */
const char *scene_kind_to_str(enum scene_kind k);

/* The kind named s, or -EINVAL. */
int scene_kind_from_str(const char *s);

/* Noise models of the readings. */
enum scene_noise {
    SCENE_NOISE_NORMAL, /* near-normal (a sum of four uniforms), sd 0.15-0.5 g */
    SCENE_NOISE_HEAVY,  /* Laplace-like, and outliers of 5-20 g in 0.2-1 % */
    SCENE_NOISE_80HZ,   /* three times the noise: the HX711's 80 Hz rate */
    SCENE_NOISE_COUNT,
};

/* Sampling models of the source. */
enum scene_sampling {
    SCENE_SAMPLING_10HZ,      /* every 100 ms, +-8 ms of jitter */
    SCENE_SAMPLING_IRREGULAR, /* every 70-260 ms (a busy poller) */
    SCENE_SAMPLING_GAPPY,     /* 10 Hz with gaps of 0.5-4 s a few times an hour */
    SCENE_SAMPLING_80HZ,      /* every 12-13 ms, with the 80 Hz noise */
    SCENE_SAMPLING_COUNT,
};

/* "normal", "heavy", "80hz"; "10hz", "irregular", "gappy", "80hz"; "?" else. */
const char *scene_noise_to_str(enum scene_noise n);
const char *scene_sampling_to_str(enum scene_sampling s);

struct scene_config {
    uint64_t seed;
    enum scene_kind kind;
    int64_t start_ms;   /* the first sample comes within a second of this, >= 0 */
    unsigned platforms; /* 2..SCENE_MAX_PLATFORMS; 0: drawn from the seed (2-4) */
    int noise;          /* enum scene_noise; -1: drawn from the seed */
    int sampling;       /* enum scene_sampling; -1: drawn from the seed */
    int wrong_cal;      /* 1: the calibration handed out is a little off (a few
                           hundred counts in zero, up to 0.3 % in span); 0: exact;
                           -1: drawn (a third of the seeds) */
    /*
     * Fast mode. 0: every sample at the sampling model's rate. Otherwise, where
     * nothing changes, a sample every idle_period_ms (+-1/6 of it, 300..4500 ms);
     * at the full rate from busy_before_ms before any change of load or of the
     * sensor's behaviour to busy_after_ms after it, and throughout oscillations,
     * leaks and sensor trouble.
     */
    int64_t idle_period_ms;
    int64_t busy_before_ms; /* 1 s..60 s, default 5 s */
    int64_t busy_after_ms;  /* 1 s..30 min, default 20 s */
};

/* Defaults: start 2026-10-01T00:00:00Z, everything else drawn, no fast mode. */
void scene_config_default(struct scene_config *c, enum scene_kind kind, uint64_t seed);

/* One item of the shelf: on channel (= platform) `channel`, for the scene's whole run.
 */
struct scene_item {
    char id[SCENE_ID_MAX]; /* "rice", "coffee", ... unique in the scene */
    unsigned channel;
    int64_t pack_mg;      /* net contents of the packs it is ordered in */
    int64_t container_mg; /* the jar, tin or dispenser; 0: a bag */
    int64_t contents_mg;  /* at the start */
    /* The background household: uses_per_day uses, a mean interval_s apart
     * (each gap uniform in [0.5, 1.5] times it), each of uniform size in
     * [0.6, 1.4] times the mean use: the true rate and the standard deviation of
     * one observed rate (a use over its interval), as models/policy.h means it. */
    int64_t uses_per_day;
    int64_t interval_s;
    int64_t rate_mg_per_day;
    int64_t sigma_mg_per_day;
};

/* Kinds of true records. */
enum scene_truth_kind {
    SCENE_T_CONSUME,   /* mg of contents used; t_ms: the take ended (contents final,
                          hands off); slow ones began at start_ms */
    SCENE_T_REFILL,    /* mg of contents added (hands off the new pack) */
    SCENE_T_FAULT,     /* the channel's readings stop meaning anything */
    SCENE_T_FAULT_END, /* they mean something again */
    SCENE_T_GROSS,     /* the gross weight changed, not the contents (packaging
                          thrown away); mg: the change, signed */
    SCENE_T_ORDER,     /* the household orders the item now (a manual order) */
    SCENE_T_SITUATION, /* the situation begins; plats: the platforms it touches */
    SCENE_T_SITUATION_END,
    SCENE_T_KIND_COUNT,
};

/* "consume", "refill", "fault", "fault-end", "gross", "order", "situation",
 * "situation-end"; "?" otherwise. */
const char *scene_truth_kind_to_str(enum scene_truth_kind k);

#define SCENE_TF_SLOW 0x1         /* consumption over [start_ms, t_ms] (a leak) */
#define SCENE_TF_UNOBSERVABLE 0x2 /* inside a true fault: no sensor could see it */
#define SCENE_TF_DELIVERY 0x4     /* a refill that is the delivery of order `order` */

struct scene_truth {
    int64_t t_ms;
    int64_t start_ms;    /* SCENE_TF_SLOW: when it began; otherwise t_ms */
    int64_t mg;          /* the amount, >= 0 (GROSS: signed) */
    int64_t contents_mg; /* the item's true contents after this record */
    int64_t gross_mg;    /* its container + contents + unopened packaging after it */
    uint32_t plats;      /* platforms the episode touched, bit per channel */
    int32_t order;       /* DELIVERY: index of the ORDER record it delivers; else -1 */
    uint16_t channel;    /* the item's channel (any for SITUATION records: the first) */
    uint8_t kind;        /* enum scene_truth_kind */
    uint8_t flags;       /* SCENE_TF_* */
};

struct scene;

/*
 * Plan a scene: the shelf, the household, the situation and every true record
 * (nothing is sampled yet). Returns 0 and *out (the caller's, scene_free()),
 * -EINVAL for a configuration out of range (*out NULL), -ENOMEM.
 */
int scene_new(const struct scene_config *c, struct scene **out);
void scene_free(struct scene *s);

/*
 * The next sample over all channels in time order (ties: the lower channel
 * first): 1 and *out, or 0 after the last one (at scene_end_ms()).
 */
int scene_next(struct scene *s, struct sample *out);

/* Every true record, sorted by t_ms (owned by s, valid until scene_free). */
const struct scene_truth *scene_truth(const struct scene *s, size_t *n);

unsigned scene_channels(const struct scene *s);
const struct scene_item *scene_item(const struct scene *s, unsigned channel);
int64_t scene_start_ms(const struct scene *s);
int64_t scene_end_ms(const struct scene *s);

/* The situation and the models drawn, in one line of printable ASCII. */
const char *scene_describe(const struct scene *s);

/*
 * The calibration of a channel as the household's last calibration left it
 * (to hand to the agent: maybe a little off), and as it really is (for tests).
 * Both are counts at zero load and counts per kg (span_mg 1,000,000).
 */
void scene_cal(const struct scene *s, unsigned channel, struct cond_cal *out);
void scene_true_cal(const struct scene *s, unsigned channel, struct cond_cal *out);

/* Owners of loads, for scene_load_mg(): bit i is item i (= channel i). */
#define SCENE_OWNER_FOREIGN 0x100u /* cats, hands, objects, other things */
#define SCENE_OWNER_ITEMS 0xffu

/* The true mass on platform plat at t_ms, of the owners in mask (not sampled:
 * what a perfect balance would show), without oscillations. */
int64_t scene_load_mg(const struct scene *s, unsigned plat, int64_t t_ms,
                      unsigned owners);

/*
 * The earliest time t >= t_ms from which the true loads on the platforms in
 * plats stay unchanged for quiet_ms (when an episode that ended at t_ms can be
 * judged by a conditioning that waits quiet_ms for stillness).
 */
int64_t scene_quiet_from(const struct scene *s, uint32_t plats, int64_t t_ms,
                         int64_t quiet_ms);

/*
 * Run a whole scene into a '# pantry-samples v1' trace (channels named after
 * the items, the calibration handed out and the situation as annotations) and
 * its truth into truth: '# pantry-scene-truth v1', then comment lines
 * describing the scene, then one line per item
 *     item CHANNEL ID PACK_MG CONTAINER_MG CONTENTS_MG RATE_MG_PER_DAY
 *          SIGMA_MG_PER_DAY INTERVAL_S
 * and one per record
 *     T_MS CHANNEL KIND MG CONTENTS_MG GROSS_MG PLATS [slow START_MS]
 *          [unobservable] [delivery ORDER]
 * Returns 0, -EIO when a write failed, or an error of scene_new().
 */
int scene_write(const struct scene_config *c, FILE *trace, FILE *truth);

#endif
