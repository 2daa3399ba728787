/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning, the per-platform half: one load-cell channel's raw samples in,
 * observations of its settled level out. A pure state machine of (state, sample,
 * now_ms): two-point calibration from raw counts to milligrams, bad samples kept
 * out (statuses, the ADC's rail codes, impossible values, and one raw code
 * repeated for longer than a live ADC's noise allows), spike rejection (median
 * of COND_MEDIAN), plateaus (a run within the noise band), and *episodes*: the
 * level leaves its settled value, and the episode stays open until the platform
 * has held one level for the settle period. Only then is the net change
 * reported, once, with the extremes seen on the way. What the change means
 * (a take, a refill, a jar moved to the neighbour, a cat) is the shelf's to
 * judge (shelf.h), across platforms.
 *
 * Also here: zero tracking on a platform the shelf says is empty, the fault
 * rules (bad samples, stuck codes, no data at all), and the slow-loss budget
 * (a level that sinks steadily in small steps, a torn bag, is reported once the
 * loss exceeds a budget that thermal drift does not reach).
 *
 * Units: mass in milligrams (int64_t; calibrated readings are clamped to
 * +-COND_MG_LIMIT), time in milliseconds since the epoch. No heap, no clock, no
 * floating point: the caller passes every sample and, between samples, calls
 * cond_tick() so the no-data timer fires on time.
 */
#ifndef PANTRY_SENSORS_COND_H
#define PANTRY_SENSORS_COND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/sensor.h"

#define COND_MEDIAN 5                     /* samples in the spike filter */
#define COND_MG_LIMIT INT64_C(1000000000) /* 1 t: any reading beyond is impossible */
#define COND_DRIFT_CAP_BANDS 10 /* the drift uncertainty stops at this many bands */
#define COND_SLOW_SLOTS 12      /* the slow-loss window in slots */
#define COND_STUCK_MIN_N 8      /* a stuck code needs at least this many repeats */
#define COND_RECENT 4           /* values averaged to tell a plateau was left */

/* raw counts -> mg: mg = (raw - raw_zero) * span_mg / span_raw, rounded toward 0. */
struct cond_cal {
    int32_t raw_zero; /* counts with the platform empty (tare) */
    int32_t span_raw; /* counts added by span_mg, non-zero */
    int64_t span_mg;  /* the known weight, 1 mg to 1 t */
};

/*
 * Two-point calibration from a tare reading and a reading with known_mg on the
 * platform. Returns 0, or -EINVAL when the readings are equal or known_mg is
 * outside 1 mg..1 t (c is then unchanged).
 */
int cond_cal_two_point(struct cond_cal *c, int32_t raw_tare, int32_t raw_known,
                       int64_t known_mg);

/* Calibrated mg of a raw reading (no zero tracking), clamped to +-COND_MG_LIMIT. */
int64_t cond_cal_mg(const struct cond_cal *c, int32_t raw);

/*
 * Thresholds of one platform and its item; never copied (channels point at it).
 * The shelf-level rules (moves, loads set down, refills held) read theirs from
 * the configuration of the platform concerned.
 */
struct cond_config {
    int64_t noise_band_mg; /* a plateau's recent mean stays this close to its mean */
    int64_t min_step_mg;   /* changes below this are drift: no episode, no event */
    int64_t empty_mg;      /* a platform at or below this carries nothing */
    int64_t zero_band_mg;  /* zero tracking corrects at most this much at once */
    int64_t move_mg;       /* an excursion this large that comes back: MOVED */
    int64_t pack_mg;       /* one pack of the item, > 0 */
    int64_t container_mg;  /* the item's container (its tare), 0..max_mg */
    int64_t refill_pct;    /* a rise of at least this % of a pack: REFILL (1..100) */
    int64_t
        refill_max_mg; /* a larger rise is a foreign load; 0: 3.3 packs + container */
    int64_t refill_hold_ms; /* a refill set down must stay this long to count */
    int64_t memory_ms;      /* a load set down and taken away within this: no event */
    int64_t plateau_ms;     /* a plateau counts after this long (and 3 values) */
    int64_t settle_ms;      /* an episode ends after one level held this long */
    int64_t move_window_ms; /* changes this close on two platforms: their episodes
                               are judged together (a straddle, a cat) */
    int64_t away_ms;        /* lifted and not back after this: AWAY */
    int64_t empty_after_ms; /* away for this long: EMPTY */
    int64_t nodata_ms;      /* no sample at all for this long: FAULT */
    int64_t bad_ms;         /* nothing but bad samples for this long: FAULT */
    int64_t stuck_ms;       /* one raw code repeated this long: FAULT; 0: never */
    int64_t recover_ms;     /* good samples for this long (and settled): FAULT_END */
    int64_t zero_every_ms;  /* zero tracking at most this often */
    int64_t drift_mg_per_h; /* zero wander, 0..1e6: how fast the uncertainty grows */
    int64_t slow_budget_mg; /* a loss in small steps beyond this within slow_window:
                               a slow CONSUME; 0: never */
    int64_t slow_window_ms; /* the window of the slow-loss budget */
    int64_t max_mg;         /* calibrated readings beyond +-max_mg are impossible */
};

/*
 * Defaults for a 5 kg cell at 10 Hz: band 2 g, step 3 g, empty 15 g, zero band
 * 5 g, move 20 g, no container, refill 50 % of pack_mg, refill max 3.3 packs plus
 * the container, refill hold 30 min, memory 24 h, plateau 1.5 s, settle 2 min,
 * move window 10 s, away 2 min, empty after 3 days, no data 5 min, bad 3 s,
 * stuck 3 s, recover 5 s, zero every 60 s, drift 0.5 g/h, slow budget 20 g in
 * 1 h, max 10 kg.
 */
void cond_config_default(struct cond_config *c, int64_t pack_mg);

/* 0, or -EINVAL when a value is out of its range (see the fields). */
int cond_config_check(const struct cond_config *c);

/*
 * The timing of c for a platform read every interval_ms (1 s..1 h), a scale
 * that publishes over MQTT, rather than the 10 Hz a local ADC gives; the
 * feed reports itself silent (a SAMPLE_TIMEOUT sample, then one every
 * interval) stale_ms (>= interval_ms) after its last message. Windows that
 * count in time, not in samples, stretch so they still hold a few samples:
 * settle, away, move window and recover to 3, 3, 2 and 2 intervals (never
 * less than the defaults); bad samples count after one interval (two in a row
 * make a fault, and a silent feed's fault comes at stale_ms + interval_ms); no
 * data only after the feed's own rule had its say; and no stuck-code rule,
 * since a scale that rounds and filters repeats its value while nothing moves.
 * The median of COND_MEDIAN samples stays: at one a minute it delays a step
 * by two samples and keeps out a load that stays for fewer than three.
 */
void cond_config_feed(struct cond_config *c, int64_t interval_ms, int64_t stale_ms);

/* The largest rise that can be a refill: refill_max_mg, or its default. */
int64_t cond_refill_max_mg(const struct cond_config *c);

enum cond_state {
    COND_START,   /* no settled level yet */
    COND_QUIET,   /* settled at base_mg; small drift is followed */
    COND_EPISODE, /* the level left base_mg; waiting for it to settle */
    COND_FAULT,   /* readings are not trusted */
};

/* "start", "quiet", "episode", "fault"; "?" otherwise. */
const char *cond_state_to_str(enum cond_state s);

/* Why a channel is in fault (enum stock_flag values, 0: bad samples). */
enum cond_fault {
    COND_FAULT_BAD = 0,
    COND_FAULT_STUCK = STOCK_F_STUCK,
    COND_FAULT_NODATA = STOCK_F_NODATA,
};

/* What a sample (or the no-data timer) did to a channel, for the shelf. */
enum cond_note_kind {
    COND_NOTE_FIRST,     /* the first level settled: level_mg */
    COND_NOTE_OPEN,      /* an episode opened (before_mg: the level it left) */
    COND_NOTE_SETTLED,   /* the episode ended: level_mg from before_mg, lo/hi */
    COND_NOTE_SLOW,      /* quiet, but lost level_mg in small steps (a leak) */
    COND_NOTE_FAULT,     /* readings stopped being trusted (why) */
    COND_NOTE_FAULT_END, /* trusted again, settled at level_mg */
};

struct cond_note {
    int64_t t_ms;
    int64_t level_mg;  /* see the kinds */
    int64_t before_mg; /* the settled level before the episode or the fault */
    int64_t lo_mg;     /* SETTLED: the lowest and highest filtered value seen */
    int64_t hi_mg;
    int64_t open_ms; /* SETTLED: when the episode opened */
    int64_t last_ms; /* SETTLED: when its last level began (its last change) */
    uint8_t kind;    /* enum cond_note_kind */
    uint8_t why;     /* FAULT: enum cond_fault */
};

#define COND_MAX_NOTES 2 /* notes one call can return, at most */

/* One channel's state. Plain data: copy it to snapshot, no cleanup needed. */
struct cond_channel {
    const struct cond_config *cfg;
    struct cond_cal cal;
    int64_t zero_mg;        /* zero tracking's correction, subtracted */
    int64_t zero_at_ms;     /* when the zero was last tracked (or calibrated) */
    int64_t base_mg;        /* the settled level (quiet) or the one left (episode) */
    int64_t last_ms;        /* last sample of any status, INT64_MIN: none */
    int64_t bad_since_ms;   /* first bad sample of the current streak, or -1 */
    int64_t good_since_ms;  /* first good sample after a fault, or -1 */
    int64_t fault_ms;       /* when the fault began */
    int64_t stuck_since_ms; /* first sample of the current run of one raw code */
    int64_t ep_open_ms;     /* episode: when it opened */
    int64_t ep_lo_mg, ep_hi_mg;
    int64_t pl_start_ms; /* plateau candidate: start, sum, count, range */
    int64_t pl_sum;
    int32_t pl_n;
    int32_t pl_recent[COND_RECENT]; /* the plateau's last values, newest at
                                       pl_n_recent - 1 modulo COND_RECENT */
    uint8_t pl_n_recent;            /* values in pl_recent, <= COND_RECENT */
    uint8_t pl_pos;
    uint8_t pl_off_n;   /* values in a row the recent mean was off the plateau */
    int64_t pl_off_ms;  /* the first of them */
    int64_t pl_off_sum; /* and their sum */
    int64_t noise_q8;   /* mean |recent mean - level| on a quiet level, mg Q24.8 */
    int32_t win[COND_MEDIAN]; /* the median's window: the ring, and sorted */
    int32_t srt[COND_MEDIAN];
    int32_t stuck_raw; /* the raw code of the current run, and its length */
    int32_t stuck_n;
    /* slow loss: the highest quiet level per slot of slow_window / SLOTS */
    int64_t slow_ref_mg;  /* the highest of slow_max[] */
    int64_t slow_slot_ms; /* start of the newest slot */
    int64_t slow_last_ms; /* when the last slow note was given, or -1 */
    int64_t slow_tail_mg; /* the level right after it */
    int32_t slow_max[COND_SLOW_SLOTS];
    uint8_t slow_pos;
    uint8_t win_n, win_pos;
    uint8_t state; /* enum cond_state */
    uint8_t why;   /* enum cond_fault, in COND_FAULT */
    bool empty;    /* set by the shelf: nothing should stand here (zero tracking) */
    uint16_t channel;
};

/*
 * Start a channel at now_ms. cfg must outlive ch and pass cond_config_check()
 * (an assert, not an error: it is our configuration). Returns 0, or -EINVAL for
 * a bad calibration (span_raw 0, span_mg out of range).
 */
int cond_init(struct cond_channel *ch, uint16_t channel, const struct cond_config *cfg,
              const struct cond_cal *cal, int64_t now_ms);

/*
 * Feed one sample of this channel (s->channel is not checked; s->t_ms is the
 * time: an older sample than the last one is ignored). Writes up to
 * COND_MAX_NOTES notes to out and returns how many (0: nothing to tell).
 */
int cond_sample(struct cond_channel *ch, const struct sample *s,
                struct cond_note out[COND_MAX_NOTES]);

/* The no-data timer at now_ms: 1 and a FAULT note, or 0. */
int cond_tick(struct cond_channel *ch, int64_t now_ms, struct cond_note *out);

/* When cond_tick() has something to do at the earliest (INT64_MAX: nothing). */
int64_t cond_next_due_ms(const struct cond_channel *ch);

/*
 * The uncertainty of the settled level at now_ms, mg: half the noise band plus
 * the zero's drift since it was last tracked, capped (see README.md).
 */
int64_t cond_uncertainty_mg(const struct cond_channel *ch, int64_t now_ms);

/*
 * The band and the step this channel uses: the configured ones, or more when
 * its noise is larger (an HX711 at 80 Hz): 7 and 11 times the mean deviation of
 * its smoothed readings from their level, measured while it is quiet.
 */
int64_t cond_band_mg(const struct cond_channel *ch);
int64_t cond_step_mg(const struct cond_channel *ch);

/* The calibrated, zero-corrected mg of a raw reading of this channel. */
int64_t cond_reading_mg(const struct cond_channel *ch, int32_t raw);

#endif
