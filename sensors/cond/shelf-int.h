/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the shelf (shelf.c, shelf-wait.c): the events a call emits, small
 * helpers, and the judgement of a group of settled episodes.
 */
#ifndef PANTRY_SENSORS_SHELF_INT_H
#define PANTRY_SENSORS_SHELF_INT_H

#include "sensors/cond/shelf.h"

struct out {
    struct stock_event *ev;
    int n;
};

static inline void
emit(struct out *o, int64_t t, unsigned ch, enum stock_kind k, int64_t mg,
     unsigned flags)
{
    if (o->n < SHELF_MAX_EVENTS)
        o->ev[o->n++] = (struct stock_event){.t_ms = t,
                                             .mg = mg,
                                             .channel = (uint16_t)ch,
                                             .kind = (uint8_t)k,
                                             .flags = (uint8_t)flags};
}

static inline int64_t
max64(int64_t a, int64_t b)
{
    return a > b ? a : b;
}

static inline int64_t
abs64(int64_t a)
{
    return a < 0 ? -a : a;
}

static inline const struct cond_config *
cfg_of(const struct shelf_place *p)
{
    return p->ch.cfg;
}

/* How far two weights of about mg may differ and still be the same thing. */
static inline int64_t
tol(const struct shelf_place *p, int64_t mg)
{
    return max64(max64(cond_step_mg(&p->ch), 2 * cond_band_mg(&p->ch)), abs64(mg) / 50);
}

/*
 * How long a settled episode waits for a related one: that one changed at most
 * the move window after it, so it settles then, plus the plateau's own slack.
 */
static inline int64_t
wait_max(const struct shelf_place *p)
{
    const struct cond_config *c = cfg_of(p);
    return c->move_window_ms + c->plateau_ms + 2000;
}

/*
 * Judge the settled episodes of the places g[0..ng) together (shelf.c, the
 * table at its top), emitting their events into o.
 */
void shelf_judge(struct shelf *s, const unsigned *g, int ng, int64_t now,
                 struct out *o);

/*
 * Judge what waits and may be judged (shelf-wait.c); with force >= 0, the
 * group of that place at once. Returns how many groups were judged (0: the
 * shelf is as it was).
 */
int shelf_try_judge(struct shelf *s, int64_t now, int force, struct out *o);

#endif
