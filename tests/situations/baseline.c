/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The baseline: a plain kitchen smart scale per platform, what a weight-
 * triggered shelf without conditioning does, to hold the agent against.
 *
 * - It reads every sample with status ok (it knows no fault rules: a stuck
 *   code or a rail code counts), skips the others, and takes the median of the
 *   last 5 through the calibration handed out.
 * - A stable reading: the medians of the last 15 s stay within a 2 g band (and
 *   the readings have gone on for 15 s, 3 medians at least); its value is their
 *   mean.
 * - A stable reading 3 g or more below the last logged one is a CONSUME of the
 *   difference; one at least half a pack above it a REFILL; anything else just
 *   becomes the new reference.
 * - It orders one pack when the stable net weight (minus the container) has
 *   been below 20 % of a pack for 15 minutes with no order of its own open; its
 *   next REFILL closes that order. A household's order is placed the same way
 *   (or is the one already open).
 */
#include <string.h>

#include "tests/situations/situ.h"

#define WINDOW_MS 15000
#define BAND_MG 2000
#define STEP_MG 3000
#define LOW_MS (15 * 60000)
#define MASK (SITU_BASE_RING - 1)

void
situ_base_init(struct situ_base *b, const struct scene *s, struct situ_result *out)
{
    memset(b, 0, sizeof(*b));
    b->n = scene_channels(s);
    b->out = out;
    for (unsigned i = 0; i < b->n; i++) {
        struct situ_base_chan *c = &b->ch[i];
        scene_cal(s, i, &c->cal);
        c->container_mg = scene_item(s, i)->container_mg;
        c->pack_mg = scene_item(s, i)->pack_mg;
        c->first_t = INT64_MIN;
        c->last_t = INT64_MIN;
        c->below_since = INT64_MIN;
        c->open = -1;
    }
}

static int64_t
grams(const struct cond_cal *cal, int32_t raw)
{
    /* The calibration's own formula, rounded toward zero. */
    return ((int64_t)raw - cal->raw_zero) * cal->span_mg / cal->span_raw;
}

static int64_t
median5(struct situ_base_chan *c, int64_t mg)
{
    int64_t s[5];
    c->win[c->win_pos] = (int32_t)(mg > INT32_MAX   ? INT32_MAX
                                   : mg < INT32_MIN ? INT32_MIN
                                                    : mg);
    c->win_pos = (c->win_pos + 1) % 5;
    if (c->win_n < 5)
        c->win_n++;
    for (int i = 0; i < c->win_n; i++) {
        int64_t x = c->win[i];
        int j = i;
        for (; j > 0 && s[j - 1] > x; j--)
            s[j] = s[j - 1];
        s[j] = x;
    }
    return s[c->win_n / 2];
}

/* Add a median at t; drop those older than the window. */
static void
window_push(struct situ_base_chan *c, int64_t t, int64_t v)
{
    uint64_t q = c->tail++;
    c->t[q & MASK] = t;
    c->v[q & MASK] = v;
    c->sum += v;
    while (c->max_t > c->max_h && c->v[c->maxq[(c->max_t - 1) & MASK] & MASK] <= v)
        c->max_t--;
    c->maxq[c->max_t++ & MASK] = q;
    while (c->min_t > c->min_h && c->v[c->minq[(c->min_t - 1) & MASK] & MASK] >= v)
        c->min_t--;
    c->minq[c->min_t++ & MASK] = q;
    while (c->head < c->tail && (c->t[c->head & MASK] < t - WINDOW_MS ||
                                 c->tail - c->head > SITU_BASE_RING - 1)) {
        c->sum -= c->v[c->head & MASK];
        c->head++;
    }
    while (c->max_h < c->max_t && c->maxq[c->max_h & MASK] < c->head)
        c->max_h++;
    while (c->min_h < c->min_t && c->minq[c->min_h & MASK] < c->head)
        c->min_h++;
}

static void
order(struct situ_base *b, unsigned ch, int64_t t, bool predicted)
{
    char id[SITU_ID_MAX];
    snprintf(id, sizeof(id), "scale-%u-%lld", ch, (long long)t);
    b->ch[ch].open = situ_add_order(b->out, id, ch, predicted, t);
}

static void
stable(struct situ_base *b, unsigned ch, int64_t t, int64_t r)
{
    struct situ_base_chan *c = &b->ch[ch];
    if (!c->have_ref) {
        c->have_ref = true;
    } else if (r <= c->ref_mg - STEP_MG) {
        situ_add_event(b->out, t, c->ref_mg - r, ch, STOCK_CONSUME);
    } else if ((r - c->ref_mg) * 2 >= c->pack_mg) {
        situ_add_event(b->out, t, r - c->ref_mg, ch, STOCK_REFILL);
        if (c->open >= 0) {
            b->out->ord[c->open].fulfilled_ms = t;
            c->open = -1;
        }
    }
    c->ref_mg = r;
    if ((r - c->container_mg) * 5 < c->pack_mg) {
        if (c->below_since == INT64_MIN)
            c->below_since = t;
        if (t - c->below_since >= LOW_MS && c->open < 0)
            order(b, ch, t, true);
    } else {
        c->below_since = INT64_MIN;
    }
}

void
situ_base_sample(struct situ_base *b, const struct sample *m)
{
    if (m->channel >= b->n || m->status != SAMPLE_OK)
        return;
    struct situ_base_chan *c = &b->ch[m->channel];
    int64_t t = m->t_ms;
    /* After a silence longer than the window the scale starts over. */
    if (c->last_t == INT64_MIN || t - c->last_t > WINDOW_MS) {
        c->first_t = t;
        c->head = c->tail;
        c->max_h = c->max_t;
        c->min_h = c->min_t;
        c->sum = 0;
    }
    c->last_t = t;
    window_push(c, t, median5(c, grams(&c->cal, m->raw)));
    uint64_t n = c->tail - c->head;
    if (n < 3 || t - c->first_t < WINDOW_MS)
        return;
    int64_t hi = c->v[c->maxq[c->max_h & MASK] & MASK];
    int64_t lo = c->v[c->minq[c->min_h & MASK] & MASK];
    if (hi - lo <= BAND_MG)
        stable(b, m->channel, t, c->sum / (int64_t)n);
}

void
situ_base_household(struct situ_base *b, unsigned channel, int64_t t_ms, int k)
{
    if (channel >= b->n || k < 0 || k >= SITU_MAX_HOUSEHOLD)
        return;
    if (b->ch[channel].open < 0)
        order(b, channel, t_ms, false);
    b->out->household[k] = b->ch[channel].open;
}
