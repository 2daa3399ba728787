/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning of one load-cell channel (see cond.h). Every good sample is
 * calibrated, zero-corrected and passed through a median of COND_MEDIAN; the
 * filtered value feeds a plateau tracker (a run of values whose recent mean
 * stays within noise_band_mg of the run's own mean; it counts once it has 3
 * values and has lasted long enough), and the state machine below turns plateaus into notes for the shelf.
 * Bad samples (a status other than ok, the ADC's rail codes, readings beyond
 * max_mg, a raw code repeated for stuck_ms) never reach the filter.
 *
 * State machine (B: base, the settled level; f: the filtered value; P: the mean
 * of the current plateau; "held T": the plateau has 3 values, lasted T, and the
 * last values are not off it (see plateau_add()):
 *
 *  state   | input                             | note            | next
 *  --------+-----------------------------------+-----------------+---------
 *  START   | plateau held settle               | FIRST P         | QUIET (B=P)
 *  QUIET   | |f - B| >= min_step               | OPEN            | EPISODE
 *  QUIET   | plateau held plateau_ms           | - (B=P follows  | QUIET
 *          |                                   |  drift; zero    |
 *          |                                   |  tracking if    |
 *          |                                   |  empty)         |
 *  QUIET   | B sank by slow_budget within      | SLOW (the loss) | QUIET
 *          |  slow_window (or a leak ended)    |                 |
 *  EPISODE | plateau held settle               | SETTLED P, from | QUIET (B=P)
 *          |                                   |  B, lo, hi      |
 *  any but | bad samples for bad_ms, one raw   | FAULT (why)     | FAULT
 *   FAULT  |  code for stuck_ms, or no sample  |                 |
 *          |  for nodata_ms                    |                 |
 *  FAULT   | good samples for recover_ms, and  | FAULT_END P     | QUIET (B=P)
 *          |  plateau held settle              |  from B         |
 *
 * An episode is never cut short: a cat that shifts its weight every minute, a
 * bag leaning on a jar, hands at work keep it open, and nothing is reported
 * until the platform has held one level for the settle period. Several takes in
 * quick succession are one episode: their grams are its net change.
 */
#include "sensors/cond/cond.h"

#include <assert.h>
#include <errno.h>

#define PL_MIN_N 3
/*
 * Beyond 64 values the plateau mean forgets its oldest share (about an average of
 * the last 64), so a long plateau follows zero wander and creep instead of
 * lagging them: this took the consumption attributed in the 1,000-day simulation
 * from 99.5 % to 99.8 %.
 */
#define PL_CAP_N 64
/* Values in a row off a plateau that make a new level (see plateau_add()). */
#define COND_OFF_N (2 * COND_RECENT)
#define COND_OFF_BANDS 6
#define MS_PER_H INT64_C(3600000)
#define YEAR_MS (INT64_C(366) * 24 * MS_PER_H)
#define RAW_SAT_HI 8388607
#define RAW_SAT_LO (-8388608)

int
cond_cal_two_point(struct cond_cal *c, int32_t raw_tare, int32_t raw_known,
                   int64_t known_mg)
{
    int64_t span = (int64_t)raw_known - raw_tare;
    if (span == 0 || span > INT32_MAX || span < -INT32_MAX || known_mg < 1 ||
        known_mg > COND_MG_LIMIT)
        return -EINVAL;
    c->raw_zero = raw_tare;
    c->span_raw = (int32_t)span;
    c->span_mg = known_mg;
    return 0;
}

int64_t
cond_cal_mg(const struct cond_cal *c, int32_t raw)
{
    /* |raw - zero| < 2^33 and span_mg <= 2^30: the product fits in 63 bits. */
    int64_t mg = ((int64_t)raw - c->raw_zero) * c->span_mg / c->span_raw;
    return mg > COND_MG_LIMIT    ? COND_MG_LIMIT
           : mg < -COND_MG_LIMIT ? -COND_MG_LIMIT
                                 : mg;
}

void
cond_config_default(struct cond_config *c, int64_t pack_mg)
{
    *c = (struct cond_config){
        .noise_band_mg = 2000,
        .min_step_mg = 3000,
        .empty_mg = 15000,
        .zero_band_mg = 5000,
        .move_mg = 20000,
        .pack_mg = pack_mg,
        .container_mg = 0,
        .refill_pct = 50,
        .refill_max_mg = 0,
        .refill_hold_ms = 30 * 60000,
        .memory_ms = 24 * MS_PER_H,
        .plateau_ms = 1500,
        .settle_ms = 120000,
        .move_window_ms = 10000,
        .away_ms = 120000,
        .empty_after_ms = 3 * 24 * MS_PER_H,
        .nodata_ms = 5 * 60000,
        .bad_ms = 3000,
        .stuck_ms = 3000,
        .recover_ms = 5000,
        .zero_every_ms = 60000,
        .drift_mg_per_h = 500,
        .slow_budget_mg = 20000,
        .slow_window_ms = MS_PER_H,
        .max_mg = 10000000,
    };
}

int
cond_config_check(const struct cond_config *c)
{
    if (c->noise_band_mg < 1 || c->noise_band_mg > 1000000 || c->min_step_mg < 1 ||
        c->empty_mg < 0 || c->zero_band_mg < 0 || c->zero_band_mg > c->empty_mg ||
        c->move_mg < 1 || c->pack_mg < 1 || c->pack_mg > COND_MG_LIMIT ||
        c->container_mg < 0 || c->container_mg > c->max_mg || c->refill_pct < 1 ||
        c->refill_pct > 100 || c->refill_max_mg < 0 || c->refill_max_mg > c->max_mg ||
        c->refill_hold_ms < 0 || c->memory_ms < 0 || c->plateau_ms < 0 ||
        c->settle_ms < c->plateau_ms || c->move_window_ms < 0 || c->away_ms < 0 ||
        c->empty_after_ms < c->away_ms || c->nodata_ms < 1 || c->bad_ms < 0 ||
        c->stuck_ms < 0 || c->recover_ms < 0 || c->zero_every_ms < 0 ||
        c->drift_mg_per_h < 0 || c->drift_mg_per_h > 1000000 || c->slow_budget_mg < 0 ||
        c->slow_window_ms < COND_SLOW_SLOTS || c->max_mg < 1 ||
        c->max_mg > INT32_MAX / 2)
        return -EINVAL;
    return 0;
}

static int64_t
at_least(int64_t v, int64_t floor)
{
    return v > floor ? v : floor;
}

void
cond_config_feed(struct cond_config *c, int64_t interval_ms, int64_t stale_ms)
{
    c->settle_ms = at_least(3 * interval_ms, c->settle_ms);
    c->away_ms = at_least(3 * interval_ms, c->away_ms);
    if (c->empty_after_ms < c->away_ms)
        c->empty_after_ms = c->away_ms;
    c->move_window_ms = at_least(2 * interval_ms, c->move_window_ms);
    c->recover_ms = at_least(2 * interval_ms, c->recover_ms);
    c->bad_ms = at_least(interval_ms, c->bad_ms);
    c->nodata_ms = at_least(stale_ms + 2 * interval_ms, c->nodata_ms);
    c->stuck_ms = 0;
}

int64_t
cond_refill_max_mg(const struct cond_config *c)
{
    if (c->refill_max_mg > 0)
        return c->refill_max_mg;
    /* 3 packs and a tenth for packaging and labels that understate. pack_mg <=
     * 1 t and container <= max_mg: no overflow. */
    return 3 * c->pack_mg * 11 / 10 + c->container_mg;
}

const char *
cond_state_to_str(enum cond_state s)
{
    static const char *const names[] = {"start", "quiet", "episode", "fault"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static void
reset_filters(struct cond_channel *ch)
{
    ch->win_n = 0;
    ch->win_pos = 0;
    ch->pl_n = 0;
}

/* Forget the slow-loss history: the loss counts from level from t on. */
static void
slow_reset(struct cond_channel *ch, int64_t t, int64_t level)
{
    for (int i = 0; i < COND_SLOW_SLOTS; i++)
        ch->slow_max[i] = (int32_t)level;
    ch->slow_pos = 0;
    ch->slow_slot_ms = t;
    ch->slow_ref_mg = level;
}

int
cond_init(struct cond_channel *ch, uint16_t channel, const struct cond_config *cfg,
          const struct cond_cal *cal, int64_t now_ms)
{
    assert(cond_config_check(cfg) == 0);
    if (cal->span_raw == 0 || cal->span_mg < 1 || cal->span_mg > COND_MG_LIMIT)
        return -EINVAL;
    *ch = (struct cond_channel){
        .cfg = cfg,
        .cal = *cal,
        .zero_at_ms = now_ms,
        .last_ms = INT64_MIN,
        .bad_since_ms = -1,
        .good_since_ms = -1,
        .slow_last_ms = -1,
        .state = COND_START,
        .channel = channel,
    };
    reset_filters(ch);
    slow_reset(ch, now_ms, 0);
    return 0;
}

/*
 * Median of the last COND_MEDIAN values (of fewer at the start: the upper
 * middle). The window is kept sorted beside the ring: the oldest value leaves
 * it and the new one is inserted, a handful of moves instead of a sort.
 */
static int32_t
median_push(struct cond_channel *ch, int32_t v)
{
    int32_t *s = ch->srt;
    int n = ch->win_n, j;

    if (n == COND_MEDIAN) {
        int32_t old = ch->win[ch->win_pos];
        for (j = 0; s[j] != old; j++)
            ;
        for (n--; j < n; j++)
            s[j] = s[j + 1];
    }
    for (j = n; j > 0 && s[j - 1] > v; j--)
        s[j] = s[j - 1];
    s[j] = v;
    ch->win[ch->win_pos] = v;
    ch->win_pos = (uint8_t)(ch->win_pos + 1 == COND_MEDIAN ? 0 : ch->win_pos + 1);
    if (ch->win_n < COND_MEDIAN)
        ch->win_n++;
    return s[ch->win_n / 2];
}

static void
plateau_start(struct cond_channel *ch, int64_t t, int32_t v)
{
    ch->pl_start_ms = t;
    ch->pl_sum = v;
    ch->pl_n = 1;
    ch->pl_recent[0] = v;
    ch->pl_n_recent = 1;
    ch->pl_pos = 1;
    ch->pl_off_n = 0;
}

/*
 * Add v to the plateau; true when it did not fit and a new plateau started.
 * A plateau is left when the mean of its last COND_RECENT values is more than
 * the noise band from its own mean: a step shows at once (a few grams move
 * that mean past the band at the first value of the new level), while noise,
 * averaged, never reaches it, however long the plateau lasts (the band of a
 * whole plateau's max - min, used before, grows with its length: at 80 Hz a
 * 2 g band held for minutes was rare). Slow drift moves the mean along.
 */
static int
plateau_add(struct cond_channel *ch, int64_t t, int32_t v)
{
    if (ch->pl_n == 0) {
        plateau_start(ch, t, v);
        return 0;
    }
    ch->pl_recent[ch->pl_pos] = v;
    ch->pl_pos = (uint8_t)(ch->pl_pos + 1 == COND_RECENT ? 0 : ch->pl_pos + 1);
    if (ch->pl_n_recent < COND_RECENT)
        ch->pl_n_recent++;
    int64_t recent = 0;
    for (int i = 0; i < ch->pl_n_recent; i++)
        recent += ch->pl_recent[i];
    /* |recent / k - sum / n| > band, in integers: |recent n - sum k| > band k n. */
    int64_t k = ch->pl_n_recent, n = ch->pl_n;
    int64_t dev = recent * n - ch->pl_sum * k;
    int64_t lim = cond_band_mg(ch) * k * n;
    if (dev > lim || dev < -lim) {
        /*
         * Off the plateau: a new level once it is off by more than
         * COND_OFF_BANDS bands, or has stayed off for COND_OFF_N values; the
         * new plateau starts at the first value off. A shorter, smaller
         * burst, which passed the median, was the plateau's own noise: it
         * joins the plateau and does not start it (and the settle time)
         * again. While off, the plateau does not count as held.
         */
        if (ch->pl_off_n == 0) {
            ch->pl_off_ms = t;
            ch->pl_off_sum = 0;
        }
        ch->pl_off_n++;
        ch->pl_off_sum += v;
        if (ch->pl_off_n < COND_OFF_N && dev <= COND_OFF_BANDS * lim &&
            dev >= -COND_OFF_BANDS * lim)
            return 0;
        /* The new level began with the first value off: its values (the
         * newest COND_RECENT of them at most) are the new plateau's. */
        int m = ch->pl_off_n < COND_RECENT ? ch->pl_off_n : COND_RECENT;
        /* m >= 1 (pl_off_n was just counted); gcc -O3 cannot see it. */
        int32_t last[COND_RECENT] = {0};
        for (int i = 0; i < m; i++)
            last[i] = ch->pl_recent[(ch->pl_pos + COND_RECENT - m + i) % COND_RECENT];
        plateau_start(ch, ch->pl_off_ms, last[0]);
        for (int i = 1; i < m; i++) {
            ch->pl_recent[i] = last[i];
            ch->pl_sum += last[i];
        }
        ch->pl_n = m;
        ch->pl_n_recent = (uint8_t)m;
        ch->pl_pos = (uint8_t)(m % COND_RECENT);
        return 1;
    }
    if (ch->pl_off_n > 0) {
        ch->pl_sum += ch->pl_off_sum;
        ch->pl_n += ch->pl_off_n;
        ch->pl_off_n = 0;
    }
    if (ch->state == COND_QUIET && n >= 8) {
        /* The noise of a quiet level: the mean |dev| / (k n), weight 1/256. */
        int64_t a = (dev < 0 ? -dev : dev) * 256 / (k * n);
        ch->noise_q8 += (a - ch->noise_q8) / 256;
    }
    ch->pl_sum += v;
    ch->pl_n++;
    if (ch->pl_n > PL_CAP_N) {
        ch->pl_sum -= ch->pl_sum / ch->pl_n;
        ch->pl_n--;
    }
    return 0;
}

static int64_t
plateau_mean(const struct cond_channel *ch)
{
    int64_t s = ch->pl_sum, n = ch->pl_n;
    /* Rounded half away from zero, so hand calculations agree. */
    return s >= 0 ? (s + n / 2) / n : -((-s + n / 2) / n);
}

/* The plateau has 3 values and has lasted ms. */
static int
held(const struct cond_channel *ch, int64_t t, int64_t ms)
{
    return ch->pl_n >= PL_MIN_N && ch->pl_off_n == 0 && t - ch->pl_start_ms >= ms;
}

static int
note(struct cond_note *out, int n, enum cond_note_kind kind, int64_t t, int64_t level,
     int64_t before)
{
    out[n] = (struct cond_note){
        .t_ms = t, .level_mg = level, .before_mg = before, .kind = (uint8_t)kind};
    return n + 1;
}

static int
enter_fault(struct cond_channel *ch, int64_t t, enum cond_fault why,
            struct cond_note *out, int n)
{
    n = note(out, n, COND_NOTE_FAULT, t, ch->base_mg, ch->base_mg);
    out[n - 1].why = (uint8_t)why;
    ch->state = COND_FAULT;
    ch->why = (uint8_t)why;
    ch->fault_ms = t;
    ch->good_since_ms = -1;
    ch->slow_last_ms = -1;
    reset_filters(ch);
    return n;
}

static void
track_zero(struct cond_channel *ch, int64_t t, int64_t p)
{
    const struct cond_config *c = ch->cfg;
    if (!ch->empty || p > c->zero_band_mg || p < -c->zero_band_mg ||
        t - ch->zero_at_ms < c->zero_every_ms)
        return;
    /* Shift everything already filtered, so the plateau carries on unbroken. */
    int32_t s = (int32_t)p;
    ch->zero_mg += p;
    for (int i = 0; i < ch->win_n; i++) {
        ch->win[i] -= s;
        ch->srt[i] -= s;
    }
    ch->pl_sum -= p * ch->pl_n;
    for (int i = 0; i < ch->pl_n_recent; i++)
        ch->pl_recent[i] -= s;
    ch->base_mg = 0;
    ch->zero_at_ms = t;
}

/*
 * The slow-loss budget, after the quiet level moved to b at t. Each of the
 * COND_SLOW_SLOTS slots of the window keeps the highest level seen in it; a
 * level slow_budget below the highest of the window has sunk faster than
 * thermal drift does (a few grams an hour) and is reported. After a report the
 * count starts again from the new level, and once a window passes without a
 * new report, what was lost since the last one is reported too (a leak's tail).
 */
static int
slow_check(struct cond_channel *ch, int64_t t, int64_t b, struct cond_note *out, int n)
{
    const struct cond_config *c = ch->cfg;
    int64_t slot = c->slow_window_ms / COND_SLOW_SLOTS;

    if (c->slow_budget_mg == 0 || ch->empty ||
        t - ch->slow_slot_ms >= c->slow_window_ms) {
        slow_reset(ch, t, b);
        return n;
    }
    if (t - ch->slow_slot_ms >= slot) {
        /* A new slot: the window's highest level is looked up again. */
        while (t - ch->slow_slot_ms >= slot) {
            ch->slow_pos = (uint8_t)((ch->slow_pos + 1) % COND_SLOW_SLOTS);
            ch->slow_max[ch->slow_pos] = (int32_t)b;
            ch->slow_slot_ms += slot;
        }
        ch->slow_ref_mg = b;
        for (int i = 0; i < COND_SLOW_SLOTS; i++)
            if (ch->slow_max[i] > ch->slow_ref_mg)
                ch->slow_ref_mg = ch->slow_max[i];
    }
    if (b > ch->slow_max[ch->slow_pos]) {
        ch->slow_max[ch->slow_pos] = (int32_t)b;
        if (b > ch->slow_ref_mg)
            ch->slow_ref_mg = b;
    }
    int64_t lost = ch->slow_ref_mg - b;
    bool tail = ch->slow_last_ms >= 0 && t - ch->slow_last_ms >= c->slow_window_ms;
    if (tail)
        lost = ch->slow_tail_mg - b; /* since the last report, however slow */
    if (lost >= c->slow_budget_mg || (tail && lost >= c->min_step_mg)) {
        n = note(out, n, COND_NOTE_SLOW, t, lost, b + lost);
        ch->slow_last_ms = tail ? -1 : t;
        ch->slow_tail_mg = b;
        slow_reset(ch, t, b);
    } else if (tail) {
        ch->slow_last_ms = -1;
    }
    return n;
}

static int
step(struct cond_channel *ch, int64_t t, int32_t f, struct cond_note *out, int n)
{
    const struct cond_config *c = ch->cfg;
    int64_t dev;

    plateau_add(ch, t, f);
    switch ((enum cond_state)ch->state) {
    case COND_START:
        if (held(ch, t, c->settle_ms)) {
            ch->base_mg = plateau_mean(ch);
            ch->state = COND_QUIET;
            slow_reset(ch, t, ch->base_mg);
            n = note(out, n, COND_NOTE_FIRST, t, ch->base_mg, ch->base_mg);
        }
        break;
    case COND_QUIET:
        dev = f - ch->base_mg;
        int64_t step = cond_step_mg(ch);
        if (dev >= step || dev <= -step) {
            ch->state = COND_EPISODE;
            ch->ep_open_ms = t;
            ch->ep_lo_mg = ch->ep_hi_mg = f;
            n = note(out, n, COND_NOTE_OPEN, t, f, ch->base_mg);
        } else if (held(ch, t, c->plateau_ms)) {
            int64_t p = plateau_mean(ch);
            track_zero(ch, t, p);
            /* A leak in progress is watched for its end even on a still level. */
            if ((p != ch->base_mg || ch->slow_last_ms >= 0) && ch->zero_at_ms != t) {
                ch->base_mg = p;
                n = slow_check(ch, t, ch->base_mg, out, n);
            }
        }
        break;
    case COND_EPISODE:
        if (f < ch->ep_lo_mg)
            ch->ep_lo_mg = f;
        if (f > ch->ep_hi_mg)
            ch->ep_hi_mg = f;
        if (held(ch, t, c->settle_ms)) {
            int64_t p = plateau_mean(ch);
            n = note(out, n, COND_NOTE_SETTLED, t, p, ch->base_mg);
            out[n - 1].lo_mg = ch->ep_lo_mg;
            out[n - 1].hi_mg = ch->ep_hi_mg;
            out[n - 1].open_ms = ch->ep_open_ms;
            out[n - 1].last_ms = ch->pl_start_ms;
            ch->base_mg = p;
            ch->state = COND_QUIET;
            ch->slow_last_ms = -1;
            slow_reset(ch, t, p);
        }
        break;
    case COND_FAULT:
        if (ch->good_since_ms >= 0 && t - ch->good_since_ms >= c->recover_ms &&
            held(ch, t, c->settle_ms)) {
            int64_t p = plateau_mean(ch);
            n = note(out, n, COND_NOTE_FAULT_END, t, p, ch->base_mg);
            ch->base_mg = p;
            ch->state = COND_QUIET;
            slow_reset(ch, t, p);
        }
        break;
    }
    return n;
}

static int
timers(struct cond_channel *ch, int64_t now, struct cond_note *out, int n)
{
    if (ch->state != COND_FAULT && ch->last_ms != INT64_MIN &&
        now - ch->last_ms >= ch->cfg->nodata_ms)
        n = enter_fault(ch, now, COND_FAULT_NODATA, out, n);
    return n;
}

/* A run of one raw code longer than a live ADC's noise allows. */
static int
stuck(struct cond_channel *ch, int64_t t, int32_t raw)
{
    if (raw != ch->stuck_raw || ch->stuck_n == 0) {
        ch->stuck_raw = raw;
        ch->stuck_n = 1;
        ch->stuck_since_ms = t;
        return 0;
    }
    if (ch->stuck_n < INT32_MAX)
        ch->stuck_n++;
    return ch->cfg->stuck_ms > 0 && ch->stuck_n >= COND_STUCK_MIN_N &&
           t - ch->stuck_since_ms >= ch->cfg->stuck_ms;
}

int
cond_sample(struct cond_channel *ch, const struct sample *s,
            struct cond_note out[COND_MAX_NOTES])
{
    const struct cond_config *c = ch->cfg;
    int64_t t = s->t_ms, mg = 0;
    int n = 0;
    if (ch->last_ms != INT64_MIN && t < ch->last_ms)
        return 0;
    n = timers(ch, t, out, n);
    ch->last_ms = t;

    int good = s->status == SAMPLE_OK && s->raw != RAW_SAT_HI && s->raw != RAW_SAT_LO;
    enum cond_fault why = COND_FAULT_BAD;
    if (good) {
        mg = cond_cal_mg(&ch->cal, s->raw) - ch->zero_mg;
        good = mg >= -c->max_mg && mg <= c->max_mg;
        if (stuck(ch, t, s->raw)) {
            good = 0;
            why = COND_FAULT_STUCK;
        }
    } else {
        ch->stuck_n = 0;
    }
    if (!good) {
        if (ch->bad_since_ms < 0)
            ch->bad_since_ms = t;
        ch->good_since_ms = -1;
        if (ch->state != COND_FAULT &&
            (why == COND_FAULT_STUCK || t - ch->bad_since_ms >= c->bad_ms))
            n = enter_fault(ch, t, why, out, n);
        return n;
    }
    ch->bad_since_ms = -1;
    if (ch->state == COND_FAULT && ch->good_since_ms < 0)
        ch->good_since_ms = t;
    return step(ch, t, median_push(ch, (int32_t)mg), out, n);
}

int
cond_tick(struct cond_channel *ch, int64_t now_ms, struct cond_note *out)
{
    return timers(ch, now_ms, out, 0);
}

int64_t
cond_next_due_ms(const struct cond_channel *ch)
{
    if (ch->state == COND_FAULT || ch->last_ms == INT64_MIN ||
        ch->last_ms >= INT64_MAX - ch->cfg->nodata_ms)
        return INT64_MAX;
    return ch->last_ms + ch->cfg->nodata_ms;
}

int64_t
cond_uncertainty_mg(const struct cond_channel *ch, int64_t now_ms)
{
    int64_t dt = now_ms - ch->zero_at_ms;
    dt = dt < 0 ? 0 : dt > YEAR_MS ? YEAR_MS : dt;
    /*
     * Half the band for the plateau, plus the drift since the zero was tracked.
     * Drift does not grow for ever: a load cell's zero wanders with temperature
     * within a bounded range, so the drift term stops at COND_DRIFT_CAP_BANDS
     * noise bands (20 g with the defaults) on a platform that is never empty.
     */
    int64_t drift = ch->cfg->drift_mg_per_h * dt / MS_PER_H;
    int64_t cap = ch->cfg->noise_band_mg * COND_DRIFT_CAP_BANDS;
    return ch->cfg->noise_band_mg / 2 + (drift < cap ? drift : cap);
}

int64_t
cond_band_mg(const struct cond_channel *ch)
{
    int64_t b = ch->noise_q8 * 7 / 256;
    return b > ch->cfg->noise_band_mg ? b : ch->cfg->noise_band_mg;
}

int64_t
cond_step_mg(const struct cond_channel *ch)
{
    int64_t s = ch->noise_q8 * 11 / 256;
    return s > ch->cfg->min_step_mg ? s : ch->cfg->min_step_mg;
}

int64_t
cond_reading_mg(const struct cond_channel *ch, int32_t raw)
{
    return cond_cal_mg(&ch->cal, raw) - ch->zero_mg;
}
