/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning: one load-cell channel's raw samples in, stock events out. A pure
 * state machine of (state, sample, now_ms): two-point calibration from raw counts
 * to milligrams, spike rejection (median of the last COND_MEDIAN samples), settle
 * detection (a plateau within the noise band for a minimum time), and the
 * classification of every settled change: consumption, refill, lift-and-return
 * (the difference across the lift), item away and empty, moved or bumped, sensor
 * fault and its end. Zero tracking runs only while the platform is empty and
 * stable; the settled weight carries an uncertainty that grows with the time
 * since the zero was last tracked.
 *
 * Units: mass in milligrams (int64_t; calibrated readings are clamped to
 * +-COND_MG_LIMIT), time in milliseconds since the epoch. No heap, no clock, no
 * floating point: the caller passes every sample and, between samples, calls
 * cond_tick() so timers (no data, away) fire on time.
 */
#ifndef PANTRY_SENSORS_COND_H
#define PANTRY_SENSORS_COND_H

#include <stddef.h>
#include <stdint.h>

#include "sensor.h"

#define COND_MEDIAN 5                     /* samples in the spike filter */
#define COND_MAX_EVENTS 4                 /* events one call can return, at most */
#define COND_MG_LIMIT INT64_C(1000000000) /* 1 t: any reading beyond is impossible */
#define COND_DRIFT_CAP_BANDS 10 /* the drift uncertainty stops at this many bands */

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

/* Thresholds of one channel; shared by channels of the same kind, never copied. */
struct cond_config {
    int64_t noise_band_mg;  /* a plateau's max - min stays within this */
    int64_t min_step_mg;    /* settled changes below this are drift: no event */
    int64_t empty_mg;       /* settled at or below this: nothing on the platform */
    int64_t zero_band_mg;   /* zero tracking corrects at most this much at once */
    int64_t move_mg;        /* an excursion this large that comes back: MOVED */
    int64_t pack_mg;        /* one pack of the item, > 0 */
    int64_t refill_pct;     /* a rise of at least this % of a pack: REFILL (1..100) */
    int64_t settle_ms;      /* a plateau must last this long to count */
    int64_t away_ms;        /* lifted and not back after this: AWAY */
    int64_t empty_after_ms; /* away for this long: EMPTY */
    int64_t nodata_ms;      /* no sample at all for this long: FAULT */
    int64_t bad_ms;         /* nothing but bad samples for this long: FAULT */
    int64_t recover_ms;     /* good samples for this long (and settled): FAULT_END */
    int64_t zero_every_ms;  /* zero tracking at most this often */
    int64_t drift_mg_per_h; /* zero wander, 0..1e6: how fast the uncertainty grows */
    int64_t max_mg;         /* calibrated readings beyond +-max_mg are impossible */
};

/*
 * Defaults for a 5 kg cell at 10 Hz: band 2 g, step 3 g, empty 15 g, zero band
 * 5 g, move 20 g, refill 50 % of pack_mg, settle 1.5 s, away 2 min, empty after
 * 3 days, no data 5 s, bad 3 s, recover 5 s, zero every 60 s, drift 0.5 g/h,
 * max 10 kg.
 */
void cond_config_default(struct cond_config *c, int64_t pack_mg);

/* 0, or -EINVAL when a value is out of its range (see the fields). */
int cond_config_check(const struct cond_config *c);

enum cond_state {
    COND_START,  /* no settled weight yet */
    COND_STABLE, /* settled at weight_mg */
    COND_MOVING, /* left the plateau; the baseline is weight_mg */
    COND_LIFTED, /* empty platform after a load: lifted, not announced yet */
    COND_AWAY,   /* lifted for longer than away_ms: AWAY was reported */
    COND_FAULT,  /* readings are not trusted */
};

/* "start", "stable", "moving", "lifted", "away", "fault"; "?" otherwise. */
const char *cond_state_to_str(enum cond_state s);

/* One channel's state. Plain data: copy it to snapshot, no cleanup needed. */
struct cond_channel {
    const struct cond_config *cfg;
    struct cond_cal cal;
    int64_t zero_mg;       /* zero tracking's correction, subtracted */
    int64_t zero_at_ms;    /* when the zero was last tracked (or calibrated) */
    int64_t weight_mg;     /* settled net weight (the baseline) */
    int64_t before_mg;     /* weight before a lift */
    int64_t since_ms;      /* start of the lift, of the fault */
    int64_t excursion_mg;  /* largest |reading - baseline| while moving */
    int64_t last_ms;       /* last sample of any status, INT64_MIN: none */
    int64_t bad_since_ms;  /* first bad sample of the current streak, or -1 */
    int64_t good_since_ms; /* first good sample after a fault, or -1 */
    int64_t pl_start_ms;   /* plateau candidate: start, sum, count, range */
    int64_t pl_sum;
    int32_t pl_n;
    int32_t pl_min, pl_max; /* mg, |reading| < 2^31 is checked by max_mg */
    int32_t win[COND_MEDIAN];
    uint8_t win_n, win_pos;
    uint8_t state; /* enum cond_state */
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
 * time: samples must not go back in time, an older one is ignored). Writes up to
 * COND_MAX_EVENTS events to out (max must be at least COND_MAX_EVENTS) and
 * returns how many, or -EINVAL if max is too small.
 */
int cond_sample(struct cond_channel *ch, const struct sample *s,
                struct stock_event *out, size_t max);

/* Fire timers due at now_ms (no data, away, empty). Same out/return as above. */
int cond_tick(struct cond_channel *ch, int64_t now_ms, struct stock_event *out,
              size_t max);

/*
 * When cond_tick() has something to do at the earliest, if no sample comes
 * first (INT64_MAX: nothing): the no-data, away and empty timers. An event loop
 * sleeps until the smallest of these over all channels.
 */
int64_t cond_next_due_ms(const struct cond_channel *ch);

/*
 * The channel's stock: settled net weight (the weight before the lift while the
 * item is away) and its uncertainty, both mg. Returns 0; -EAGAIN before the first
 * plateau (outputs 0); -EIO during a fault (outputs the last trusted weight and
 * its uncertainty).
 */
int cond_weight(const struct cond_channel *ch, int64_t now_ms, int64_t *mg,
                int64_t *uncertainty_mg);

#endif
