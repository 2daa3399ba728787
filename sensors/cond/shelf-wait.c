/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Which settled episodes of the shelf are judged together, and when (see
 * shelf.c): a settled episode waits, at most the move window and a little
 * more, for a related open episode on another platform that could still make
 * a move or a foreign load with it.
 */
#include "sensors/cond/shelf-int.h"

/*
 * When an episode changed the platform: it opened, and its last level began
 * (for one still open, the current level). False when none is open or waits.
 */
static bool
changes(const struct shelf_place *p, int64_t *first, int64_t *last)
{
    if (p->waiting) {
        *first = p->cand.open_ms;
        *last = p->cand.last_ms;
    } else if (p->ch.state == COND_EPISODE) {
        *first = p->ch.ep_open_ms;
        *last = p->ch.pl_off_n > 0 ? p->ch.pl_off_ms : p->ch.pl_start_ms;
    } else {
        return false;
    }
    return true;
}

/*
 * Two episodes are related when they changed their platforms together, within
 * the move window: a jar set down across two platforms, a cat landing, a cat
 * shifting its weight, a straddled jar put back. A take on one platform while
 * something else happens on the other is not: it waits for nothing.
 */
static bool
related(const struct shelf_place *p, const struct shelf_place *q)
{
    int64_t a1, b1, a2, b2, w = cfg_of(p)->move_window_ms;
    return changes(p, &a1, &b1) && changes(q, &a2, &b2) &&
           (abs64(a1 - a2) <= w || abs64(a1 - b2) <= w || abs64(b1 - a2) <= w ||
            abs64(b1 - b2) <= w);
}

/* How far an open episode has taken its platform from its base, now. */
static int64_t
open_change(const struct shelf_place *p)
{
    const struct cond_channel *ch = &p->ch;
    int64_t now = ch->pl_n > 0 ? ch->pl_sum / ch->pl_n : ch->base_mg;
    if (ch->pl_off_n > 0) {
        /* Leaving its plateau: where the last values are. */
        int64_t r = 0;
        for (int i = 0; i < ch->pl_n_recent; i++)
            r += ch->pl_recent[i];
        now = r / ch->pl_n_recent;
    }
    return now - ch->base_mg;
}

/* Where an open episode is heading now: +1 up, -1 down, 0 back near its base. */
static int
heading(const struct shelf_place *p)
{
    int64_t d = open_change(p), step = cond_step_mg(&p->ch);
    return d >= step ? 1 : -d >= step ? -1 : 0;
}

/*
 * Whether an open episode heading up may still pair with a group that has
 * drops only: it is still moving (its level began within the move window), or
 * one of the drops could hold its rise (judge()'s step 2). A rise larger than
 * every drop, that has held its level since, can make nothing with them: a
 * take beside a refill being poured elsewhere does not wait for it.
 */
static bool
may_pair(const struct shelf *s, const unsigned *g, int ng, const struct shelf_place *q,
         int64_t now)
{
    const struct cond_channel *ch = &q->ch;
    if (ch->pl_off_n > 0 || now - ch->pl_start_ms < cfg_of(q)->move_window_ms)
        return true;
    int64_t r = open_change(q);
    for (int k = 0; k < ng; k++) {
        const struct shelf_place *p = &s->p[g[k]];
        int64_t d = p->cand.level_mg - p->base_mg;
        if (d < 0 && -d + tol(p, d) >= r)
            return true;
    }
    return false;
}

/*
 * Judge what waits and may be judged. The group of a waiting place is every
 * waiting place related to one in the group. It waits (at most the move
 * window, after it settled) for an open related episode that
 * could still make a move or a foreign load with it: one heading up, while
 * the group has a rise, or drops only and it may still pair with one
 * (may_pair()); one heading down, while the group has a rise. Two takes at
 * once, on two platforms, never wait for each other. With force >= 0,
 * the group of that place is judged at once (its platform opens a new episode).
 */
int
shelf_try_judge(struct shelf *s, int64_t now, int force, struct out *o)
{
    int judged = 0;

    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++) {
        struct shelf_place *p = &s->p[i];
        if (!p->used || !p->waiting)
            continue;
        unsigned g[SENSOR_MAX_CHANNELS];
        bool in[SENSOR_MAX_CHANNELS] = {false}, rising[SENSOR_MAX_CHANNELS] = {false};
        int ng = 1, up = 0, down = 0;
        bool open_up = false, open_down = false;
        g[0] = i;
        in[i] = true;
        for (int k = 0; k < ng; k++) {
            const struct shelf_place *pk = &s->p[g[k]];
            int64_t d = pk->cand.level_mg - pk->base_mg;
            up += d >= cond_step_mg(&pk->ch);
            down += d <= -cond_step_mg(&pk->ch);
            for (unsigned j = 0; j < SENSOR_MAX_CHANNELS; j++) {
                const struct shelf_place *pj = &s->p[j];
                if (in[j] || !pj->used || !related(pk, pj))
                    continue;
                if (pj->waiting) {
                    in[j] = true;
                    g[ng++] = j;
                } else if (heading(pj) > 0) {
                    rising[j] = open_up = true;
                } else {
                    open_down = open_down || heading(pj) < 0;
                }
            }
        }
        if (open_up && up == 0) {
            open_up = false;
            for (unsigned j = 0; j < SENSOR_MAX_CHANNELS && !open_up; j++)
                open_up = rising[j] && may_pair(s, g, ng, &s->p[j], now);
        }
        bool busy = (open_up && up + down > 0) || (open_down && up > 0);
        if (busy && force != (int)i && now - p->wait_ms < wait_max(p))
            continue;
        shelf_judge(s, g, ng, now, o);
        judged++;
    }
    return judged;
}
