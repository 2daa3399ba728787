/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household simulator (see sim.h and README.md). Each channel is a small
 * script: the gross weight on the platform stays constant between actions, and
 * an action is a list of segments (the weight while it happens) ending in the
 * new settled weight. The planner picks the next action from the item's
 * contents and a splitmix64 stream seeded per channel, records the true events
 * at planning time, and keeps actions clear of unplug windows (10 minutes on
 * each side), so no truth is unobservable. Samples add the daily zero wander,
 * creep and approximately normal noise (a sum of four uniforms), then convert
 * grams to counts with the channel's calibration.
 */
#include "sensors/cond/sim.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/trace.h"
#include "models/units.h"

#define HOUR_MS INT64_C(3600000)
#define CREEP_MS (20 * INT64_C(60000))
#define MAX_SEG 4
#define WAKE_BEFORE_MS 5000 /* fast mode: full rate from 5 s before a change */
#define STAY_AFTER_MS 15000 /* ... until 15 s after it */
#define UNPLUG_MARGIN_MS (10 * INT64_C(60000))
#define U_SUM_SD 37837 /* sd of a sum of four uniforms on [0, 65536) */

enum act_kind { ACT_POUR, ACT_DISPENSE, ACT_TOPUP, ACT_FINISH, ACT_BUMP, ACT_MOVE };

struct seg {
    int64_t t_end;
    int64_t mg;
};

struct chan {
    uint64_t rng;
    int32_t raw_zero;
    int32_t counts_per_kg;
    int64_t phase_ms;
    int64_t content_mg;
    int64_t gross_mg;
    int64_t next_t;
    int64_t nb, pb; /* next and previous change of the script */
    /* the planned or running action */
    int64_t act_t;
    struct seg seg[MAX_SEG];
    int nseg, segi;
    int64_t final_mg, final_content_mg;
    /* creep after the last load change */
    int64_t load_change_ms, load_delta_mg;
    /* the planned or running unplug */
    int64_t unplug_start, unplug_end;
    int unplug_mode; /* 0: silence, 1: EIO samples, 2: timeout samples */
};

struct sim {
    struct sim_config cfg;
    int64_t end_ms;
    struct chan ch[SENSOR_MAX_CHANNELS];
    struct stock_event *truth;
    size_t n_truth, cap_truth;
    int error;
};

void
sim_config_default(struct sim_config *c, uint64_t seed, int64_t days, unsigned channels)
{
    *c = (struct sim_config){
        .seed = seed,
        .start_ms = INT64_C(1764028800000), /* 2025-11-25T00:00:00Z */
        .days = days,
        .channels = channels,
        .period_ms = 100,
        .idle_period_ms = 0,
        .noise_mg = 300,
        .pack_mg = 500000,
        .container_mg = 250000,
        .uses_per_day = 4,
        .min_use_mg = 10000,
        .max_use_mg = 120000,
        .wander_mg = 1000,
        .creep_ppm = 300,
        .spike_ppm = 100,
        .unplug_every_days = 200,
    };
}

static uint64_t
rnd(struct chan *c)
{
    /* splitmix64 (Steele, Lea, Flood 2014). */
    uint64_t z = (c->rng += UINT64_C(0x9e3779b97f4a7c15));
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static int64_t
uni(struct chan *c, int64_t lo, int64_t hi)
{
    return lo + (int64_t)(rnd(c) % (uint64_t)(hi - lo + 1));
}

static int
push_truth(struct sim *s, unsigned ch, int64_t t, enum stock_kind kind, int64_t mg)
{
    if (s->n_truth == s->cap_truth) {
        size_t cap = s->cap_truth ? 2 * s->cap_truth : 1024;
        struct stock_event *p = realloc(s->truth, cap * sizeof(*p));
        if (p == NULL) {
            s->error = -ENOMEM;
            return -ENOMEM;
        }
        s->truth = p;
        s->cap_truth = cap;
    }
    s->truth[s->n_truth++] = (struct stock_event){
        .t_ms = t, .mg = mg, .channel = (uint16_t)ch, .kind = (uint8_t)kind};
    return 0;
}

/* Segments of the action k at t0; returns its end (when the weight is final). */
static int64_t
build(struct sim *s, struct chan *c, enum act_kind k, int64_t t0, int64_t *x_out,
      int64_t *aux)
{
    const struct sim_config *cfg = &s->cfg;
    int64_t g = c->gross_mg, x = 0, t = t0, a;
    c->nseg = 0;
    c->segi = 0;
#define SEG(dt, v) (c->seg[c->nseg++] = (struct seg){t += (dt), (v)})
    switch (k) {
    case ACT_POUR:
        x = uni(c, cfg->min_use_mg, cfg->max_use_mg);
        if (x > c->content_mg)
            x = c->content_mg;
        a = uni(c, 5000, 60000);
        SEG(300, g / 2);
        SEG(a, 0);
        SEG(300, g - x + 150000); /* a hand still on the jar */
        c->final_mg = g - x;
        c->final_content_mg = c->content_mg - x;
        break;
    case ACT_DISPENSE:
        x = uni(c, cfg->min_use_mg, cfg->max_use_mg);
        if (x > c->content_mg)
            x = c->content_mg;
        SEG(500, g + 80000); /* pressing the lever */
        SEG(500, g - x / 2);
        c->final_mg = g - x;
        c->final_content_mg = c->content_mg - x;
        break;
    case ACT_TOPUP:
        x = cfg->pack_mg;
        a = uni(c, 10000, 60000);
        SEG(300, g / 2);
        SEG(a, 0);
        SEG(300, g + x + 150000);
        c->final_mg = g + x;
        c->final_content_mg = c->content_mg + x;
        break;
    case ACT_FINISH:
        /* Taken away and used up; a new pack in a new container 6 to 48 h later. */
        a = uni(c, 6 * HOUR_MS, 48 * HOUR_MS);
        SEG(300, g / 2);
        *aux = t;
        SEG(a, 0);
        x = cfg->container_mg + cfg->pack_mg;
        SEG(300, x / 2);
        c->final_mg = x;
        c->final_content_mg = cfg->pack_mg;
        break;
    case ACT_BUMP:
        a = uni(c, 50000, 400000);
        if (rnd(c) & 1 && a < g)
            a = -a;
        SEG(uni(c, 200, 600), g + a);
        c->final_mg = g;
        c->final_content_mg = c->content_mg;
        break;
    case ACT_MOVE:
        SEG(400, g * 6 / 10);
        SEG(400, g * 12 / 10);
        c->final_mg = g;
        c->final_content_mg = c->content_mg;
        break;
    }
#undef SEG
    *x_out = x;
    return t;
}

static void plan_unplug(struct sim *s, struct chan *c, int64_t after);

/* Plan the next action of channel i from time t (the end of the last one). */
static void
plan_action(struct sim *s, unsigned i, int64_t t)
{
    struct chan *c = &s->ch[i];
    const struct sim_config *cfg = &s->cfg;
    int64_t mean = MODELS_DAY_MS / cfg->uses_per_day, x = 0, aux = 0, end;
    enum act_kind k;
    uint64_t r = rnd(c) % 100;
    if (c->content_mg < cfg->pack_mg * 15 / 100 || c->content_mg < cfg->min_use_mg)
        k = r < 50 ? ACT_FINISH : ACT_TOPUP;
    else
        k = r < 45 ? ACT_POUR : r < 75 ? ACT_DISPENSE : r < 92 ? ACT_BUMP : ACT_MOVE;
    c->act_t = t + uni(c, mean / 5, mean * 9 / 5);
    for (;;) {
        end = build(s, c, k, c->act_t, &x, &aux);
        if (c->act_t - UNPLUG_MARGIN_MS >= c->unplug_end ||
            end + UNPLUG_MARGIN_MS <= c->unplug_start)
            break;
        c->act_t = c->unplug_end + UNPLUG_MARGIN_MS + uni(c, 0, mean);
    }
    switch (k) {
    case ACT_POUR:
    case ACT_DISPENSE:
        push_truth(s, i, end, STOCK_CONSUME, x);
        break;
    case ACT_TOPUP:
        push_truth(s, i, end, STOCK_REFILL, x);
        break;
    case ACT_FINISH:
        push_truth(s, i, aux, STOCK_AWAY, c->gross_mg);
        push_truth(s, i, aux, STOCK_EMPTY, c->gross_mg);
        push_truth(s, i, end, STOCK_REFILL, x);
        break;
    case ACT_BUMP:
    case ACT_MOVE:
        push_truth(s, i, end, STOCK_MOVED, c->gross_mg);
        break;
    }
}

static void
plan_unplug(struct sim *s, struct chan *c, int64_t after)
{
    const struct sim_config *cfg = &s->cfg;
    unsigned i = (unsigned)(c - s->ch);
    if (cfg->unplug_every_days == 0) {
        c->unplug_start = c->unplug_end = INT64_MAX;
        return;
    }
    int64_t mean = cfg->unplug_every_days * MODELS_DAY_MS;
    c->unplug_start = after + uni(c, mean / 2, mean * 3 / 2);
    c->unplug_end = c->unplug_start + uni(c, HOUR_MS, 6 * HOUR_MS);
    c->unplug_mode = (int)(rnd(c) % 3);
    push_truth(s, i, c->unplug_start, STOCK_FAULT, 0);
    push_truth(s, i, c->unplug_end, STOCK_FAULT_END, 0);
}

int
sim_new(const struct sim_config *c, struct sim **out)
{
    *out = NULL;
    if (c->days < 1 || c->days > 100000 || c->channels < 1 ||
        c->channels > SENSOR_MAX_CHANNELS || c->period_ms < 1 || c->period_ms > 1000 ||
        c->idle_period_ms < 0 || c->noise_mg < 0 || c->noise_mg > 1000000 ||
        c->pack_mg < 1000 || c->pack_mg > 2000000 || c->container_mg < 20000 ||
        c->container_mg > 2000000 || c->uses_per_day < 1 || c->uses_per_day > 100 ||
        c->min_use_mg < 1000 || c->max_use_mg < c->min_use_mg ||
        c->max_use_mg > c->pack_mg || c->wander_mg < 0 || c->wander_mg > 100000 ||
        c->creep_ppm < 0 || c->creep_ppm > 10000 || c->spike_ppm > 1000000 ||
        c->unplug_every_days < 0 || c->start_ms < 0)
        return -EINVAL;
    struct sim *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return -ENOMEM;
    s->cfg = *c;
    s->end_ms = c->start_ms + c->days * MODELS_DAY_MS;
    for (unsigned i = 0; i < c->channels; i++) {
        struct chan *ch = &s->ch[i];
        ch->rng = c->seed ^ (UINT64_C(0x5851f42d4c957f2d) * (i + 1));
        ch->raw_zero = (int32_t)uni(ch, -300000, 300000);
        ch->counts_per_kg = (int32_t)uni(ch, 200000, 450000);
        if (rnd(ch) & 1)
            ch->counts_per_kg = -ch->counts_per_kg; /* bridge wired the other way */
        ch->phase_ms = uni(ch, 0, MODELS_DAY_MS - 1);
        ch->content_mg = uni(ch, c->pack_mg / 2, c->pack_mg);
        ch->gross_mg = c->container_mg + ch->content_mg;
        ch->next_t = c->start_ms + uni(ch, 0, c->period_ms - 1);
        ch->pb = c->start_ms;
        ch->load_change_ms = c->start_ms - CREEP_MS;
        plan_unplug(s, ch, c->start_ms);
        plan_action(s, i, c->start_ms);
    }
    if (s->error < 0) {
        sim_free(s);
        return -ENOMEM;
    }
    *out = s;
    return 0;
}

void
sim_free(struct sim *s)
{
    if (s == NULL)
        return;
    free(s->truth);
    free(s);
}

/* True gross weight at t; finishes actions (and plans the next ones) on the way. */
static int64_t
gross_at(struct sim *s, unsigned i, int64_t t)
{
    struct chan *c = &s->ch[i];
    for (;;) {
        if (t < c->act_t)
            return c->gross_mg;
        while (c->segi < c->nseg && t >= c->seg[c->segi].t_end)
            c->segi++;
        if (c->segi < c->nseg)
            return c->seg[c->segi].mg;
        int64_t end = c->seg[c->nseg - 1].t_end;
        c->load_delta_mg = c->final_mg - c->gross_mg;
        c->load_change_ms = end;
        c->gross_mg = c->final_mg;
        c->content_mg = c->final_content_mg;
        plan_action(s, i, end);
    }
}

static int64_t
next_boundary(const struct chan *c, int64_t t)
{
    int64_t nb = INT64_MAX;
    if (t < c->act_t)
        nb = c->act_t;
    else
        for (int k = c->segi; k < c->nseg; k++)
            if (c->seg[k].t_end > t) {
                nb = c->seg[k].t_end;
                break;
            }
    if (c->unplug_start > t && c->unplug_start < nb)
        nb = c->unplug_start;
    if (c->unplug_end > t && c->unplug_end < nb)
        nb = c->unplug_end;
    return nb;
}

/* Approximately normal, sd 1 in units of U_SUM_SD. */
static int64_t
noise(struct chan *c, int64_t sd_mg)
{
    uint64_t r = rnd(c);
    int64_t sum = (int64_t)(r & 0xffff) + (int64_t)((r >> 16) & 0xffff) +
                  (int64_t)((r >> 32) & 0xffff) + (int64_t)(r >> 48) - 2 * 65536;
    return sum * sd_mg / U_SUM_SD;
}

/* One sample of channel i at c->next_t into out: 1, or 0 when none (silence). */
static int
sample_at(struct sim *s, unsigned i, struct sample *out)
{
    struct chan *c = &s->ch[i];
    const struct sim_config *cfg = &s->cfg;
    int64_t t = c->next_t;
    int64_t g = gross_at(s, i, t);
    int produced = 1;

    if (t >= c->nb)
        c->pb = c->nb;
    *out = (struct sample){.t_ms = t, .channel = (uint16_t)i, .status = SAMPLE_OK};
    if (t >= c->unplug_start && t < c->unplug_end) {
        if (c->unplug_mode != 0) {
            out->status = c->unplug_mode == 1 ? SAMPLE_EIO : SAMPLE_TIMEOUT;
        } else {
            produced = 0;
            c->next_t = c->unplug_end;
        }
    } else {
        int64_t ph = (t + c->phase_ms) % MODELS_DAY_MS, half = MODELS_DAY_MS / 2;
        int64_t tri = ph > half ? ph - half : half - ph; /* 0..half */
        int64_t wander = cfg->wander_mg * (2 * tri - half) / half;
        int64_t dt = t - c->load_change_ms;
        int64_t creep = c->load_delta_mg * cfg->creep_ppm / 1000000 *
                        (dt > CREEP_MS ? CREEP_MS : dt) / CREEP_MS;
        int64_t mg = g + wander + creep + noise(c, cfg->noise_mg);
        int64_t raw = c->raw_zero + mg * c->counts_per_kg / 1000000;
        if (raw >= TRACE_RAW_MAX || raw <= TRACE_RAW_MIN)
            out->status = SAMPLE_SATURATED;
        else
            out->raw = (int32_t)raw;
        if (rnd(c) % 1000000 < cfg->spike_ppm) {
            uint64_t r = rnd(c);
            switch (r % 4) {
            case 0:
                out->status = SAMPLE_OK;
                out->raw = (int32_t)((int64_t)((r >> 8) % 16777216) - 8388608);
                break;
            case 1:
                out->status = SAMPLE_SATURATED;
                break;
            case 2:
                out->status = SAMPLE_INVALID;
                break;
            default:
                out->status = SAMPLE_TIMEOUT;
                break;
            }
        }
    }
    if (produced) {
        int64_t nb = next_boundary(c, t), step = cfg->period_ms;
        if (cfg->idle_period_ms > cfg->period_ms && t - c->pb > STAY_AFTER_MS &&
            (nb == INT64_MAX || nb - t > WAKE_BEFORE_MS))
            step = cfg->idle_period_ms;
        int64_t nt = t + step;
        if (nb != INT64_MAX && nt > nb - WAKE_BEFORE_MS && t < nb - WAKE_BEFORE_MS)
            nt = nb - WAKE_BEFORE_MS;
        if (c->unplug_start > t && nt > c->unplug_start)
            nt = c->unplug_start;
        c->next_t = nt;
        c->nb = nb;
    } else {
        c->nb = next_boundary(c, t);
    }
    return produced;
}

int
sim_next(struct sim *s, struct sample *out)
{
    for (;;) {
        unsigned best = 0;
        for (unsigned i = 1; i < s->cfg.channels; i++)
            if (s->ch[i].next_t < s->ch[best].next_t)
                best = i;
        struct chan *c = &s->ch[best];
        if (c->next_t >= s->end_ms)
            return 0;
        if (c->next_t >= c->unplug_end) {
            /* The next unplug comes after the planned action, never across it. */
            int64_t after = c->seg[c->nseg - 1].t_end + UNPLUG_MARGIN_MS;
            plan_unplug(s, c, after > c->next_t ? after : c->next_t);
        }
        int r = sample_at(s, best, out);
        if (s->error < 0)
            return s->error;
        if (r)
            return 1;
    }
}

const struct stock_event *
sim_truth(const struct sim *s, size_t *n)
{
    *n = s->n_truth;
    return s->truth;
}

void
sim_cal(const struct sim *s, unsigned channel, struct cond_cal *out)
{
    const struct chan *c = &s->ch[channel < SENSOR_MAX_CHANNELS ? channel : 0];
    *out = (struct cond_cal){
        .raw_zero = c->raw_zero, .span_raw = c->counts_per_kg, .span_mg = 1000000};
}

static int
by_time(const void *a, const void *b)
{
    const struct stock_event *x = a, *y = b;
    if (x->t_ms != y->t_ms)
        return x->t_ms < y->t_ms ? -1 : 1;
    return (int)x->channel - (int)y->channel;
}

int
sim_write(const struct sim_config *c, FILE *trace, FILE *truth)
{
    struct sim *s;
    struct trace_writer w;
    struct sample smp;
    char note[TRACE_NOTE_MAX + 1];
    int r = sim_new(c, &s);
    if (r < 0)
        return r;
    trace_writer_init(&w, trace);
    for (unsigned i = 0; i < c->channels; i++) {
        snprintf(note, sizeof(note), "ch%u", i);
        trace_write_channel(&w, i, note);
    }
    for (unsigned i = 0; i < c->channels; i++) {
        snprintf(note, sizeof(note),
                 "calibration channel %u: %ld counts at 0 g, %ld counts per kg", i,
                 (long)s->ch[i].raw_zero, (long)s->ch[i].counts_per_kg);
        trace_write_note(&w, c->start_ms, note);
    }
    while ((r = sim_next(s, &smp)) == 1)
        if ((r = trace_write_sample(&w, &smp)) < 0)
            goto out;
    if (r < 0 || (r = trace_writer_flush(&w)) < 0)
        goto out;
    qsort(s->truth, s->n_truth, sizeof(*s->truth), by_time);
    if (fprintf(truth, "# pantry-truth v1\n") < 0)
        r = -EIO;
    for (size_t i = 0; i < s->n_truth && r == 0; i++)
        if (s->truth[i].t_ms < s->end_ms &&
            fprintf(truth, "%lld %u %s %lld\n", (long long)s->truth[i].t_ms,
                    s->truth[i].channel,
                    stock_kind_to_str((enum stock_kind)s->truth[i].kind),
                    (long long)s->truth[i].mg) < 0)
            r = -EIO;
    if (r == 0 && fflush(truth) != 0)
        r = -EIO;
out:
    sim_free(s);
    return r;
}
