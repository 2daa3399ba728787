/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The situations of the generator (scene.h; what each is and why it is fair:
 * sensors/cond/scene.md). Each kind has a draw, which picks the platforms,
 * the times of its steps, the windows in which the background household keeps
 * away from the items it touches, and every parameter that decides a time; and
 * steps, which the planner runs at their times with the items as they are then,
 * writing ramps, sensor effects and true records. A step may move a later
 * step's time, never past the drawn end. Nothing drawn may depend on an item's
 * contents (scene-act.c plays the plan twice).
 *
 * Ranges are from the world: cats weigh 3 to 6 kg and breathe 17 to 33 times
 * a minute; a phone is 150 to 250 g; a radio's burst lasts seconds; an HX711
 * whose data line sticks low reads code 0 as a valid sample.
 */
#include "sensors/cond/scene-int.h"

#define P(k) (st->par[k])

static void
block(struct sc_sit *st, unsigned item, int64_t t0, int64_t t1)
{
    if (st->n_blocks == SC_MAX_BLOCKS)
        return;
    st->block[st->n_blocks] = (struct sc_ival){t0 - 10 * SC_MIN, t1 + 10 * SC_MIN};
    st->block_item[st->n_blocks++] = item;
}

static void
done(struct sc_sit *st, int64_t t)
{
    if (t > st->last)
        st->last = t;
}

static int64_t
sign(uint64_t *r)
{
    return sc_chance(r, 50) ? 1 : -1;
}

/*
 * Something foreign standing on p and q: from (*on_p, *on_q) to total mg with
 * share_pm of it on p, over dur. Tracking both parts keeps every gram: what
 * goes on comes off again exactly.
 */
static void
split_to(struct sc_plan *pl, unsigned p, unsigned q, int64_t *on_p, int64_t *on_q,
         int64_t total, int64_t share_pm, int64_t t, int64_t dur)
{
    int64_t np = total * share_pm / 1000, nq = total - np;
    sc_ramp(pl, p, SC_OWNER_FOREIGN, t, dur, np - *on_p);
    sc_ramp(pl, q, SC_OWNER_FOREIGN, t, dur, nq - *on_q);
    *on_p = np;
    *on_q = nq;
}

/* The item's mean use times pct %: a use like the household's own. */
static int64_t
usual(const struct sc_plan *pl, unsigned item, int64_t pct)
{
    const struct scene_item *it = &pl->s->item[item];
    return it->rate_mg_per_day / it->uses_per_day * pct / 100;
}

/* A shop's pack of another size than the ordered one: 60-75 % or 135-180 %. */
static int64_t
shop_pack(struct sc_plan *pl, unsigned item)
{
    int64_t pm = sc_chance(&pl->rng, 50) ? sc_uni(&pl->rng, 600, 750)
                                         : sc_uni(&pl->rng, 1350, 1800);
    return pl->s->item[item].pack_mg * pm / 1000 / (10 * SC_G) * (10 * SC_G);
}

/* A pack set down beside the jar (hands off returned); a refill of mg. */
static int64_t
set_pack(struct sc_plan *pl, unsigned i, int64_t t, int64_t mg, int64_t pkg_mg)
{
    struct sc_item_state *it = &pl->it[i];
    int64_t r = sc_uni(&pl->rng, 200, 500), hold = sc_uni(&pl->rng, 300, 1500);
    sc_item_ramp(pl, i, i, t, r, mg + pkg_mg);
    it->contents += mg;
    it->gross += mg + pkg_mg;
    sc_hand(pl, i, t, r + hold, sc_uni(&pl->rng, 50, 300) * SC_G);
    return t + r + hold + 120;
}

/* The jar lifted, mg poured into it, set back (hands off returned). */
static int64_t
decant_into(struct sc_plan *pl, unsigned i, int64_t t, int64_t mg)
{
    int64_t air = sc_uni(&pl->rng, 10, 40) * SC_SEC;
    int64_t t1 = sc_lift(pl, i, t);
    pl->it[i].contents += mg;
    pl->it[i].gross += mg;
    return sc_place(pl, i, i, i, 1000, t1 + air);
}

/* ---- draws ---- */

static void
pick(struct sc_plan *pl, int64_t t_min)
{
    struct sc_sit *st = &pl->sit;
    unsigned n = pl->s->n;
    st->p = (unsigned)sc_uni(&pl->rng, 0, n - 1);
    st->q = st->p + 1 < n && (st->p == 0 || sc_chance(&pl->rng, 50)) ? st->p + 1
                                                                     : st->p - 1;
    st->plats = 1u << st->p;
    st->begin = t_min + sc_uni(&pl->rng, 0, 8 * SC_DAY / 10);
    st->n_steps = 1;
    st->step_t[0] = st->begin;
}

static void
draw_kind(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    struct scene *s = pl->s;
    int64_t b = st->begin;

    switch (s->cfg.kind) {
    case SCENE_NONE:
        st->end = b;
        break;
    case SCENE_CAT:
        P(0) = sc_uni(r, 3000, 6000) * SC_G;                  /* weight */
        P(1) = sc_chance(r, 25) ? 1000 : sc_uni(r, 250, 750); /* share on p, pm */
        P(2) = sc_uni(r, 1, 30) * SC_MIN;                     /* sitting */
        st->end = b + P(2) + 2 * SC_SEC;
        st->plats |= 1u << st->q;
        block(st, st->p, b, st->end);
        block(st, st->q, b, st->end);
        break;
    case SCENE_SET_DOWN:
        P(0) = sc_uni(r, 0, 3); /* phone, mug, keys, bag */
        P(1) = P(0) == 0   ? sc_uni(r, 150, 250) * SC_G
               : P(0) == 1 ? sc_uni(r, 300, 450) * SC_G
               : P(0) == 2 ? sc_uni(r, 30, 120) * SC_G
                           : sc_uni(r, 1000, 3000) * SC_G;
        P(2) = sc_logu(r, 2 * SC_SEC, 20 * SC_MIN); /* how long */
        st->end = b + P(2) + 5 * SC_SEC;
        block(st, st->p, b, st->end);
        break;
    case SCENE_STRADDLE:
        P(0) = sc_uni(r, 20, 80) * SC_G;  /* poured */
        P(1) = sc_uni(r, 5, 30) * SC_SEC; /* pouring */
        P(2) = sc_uni(r, 300, 700);       /* share on p */
        P(3) = sc_chance(r, 75) ? sc_uni(r, 1, 10) * SC_SEC : sc_uni(r, 1, 5) * SC_MIN;
        st->end = b + P(1) + P(3) + 10 * SC_SEC;
        st->plats |= 1u << st->q;
        block(st, st->p, b, st->end);
        block(st, st->q, b, st->end);
        break;
    case SCENE_PARK:
        P(0) = sc_chance(r, 60) ? sc_uni(r, 10, 80) * SC_G : 0;
        P(1) = P(0) ? sc_uni(r, 3, 30) * SC_SEC : sc_uni(r, 1, 4) * SC_SEC;
        P(2) = sc_logu(r, 10 * SC_SEC, 2 * SC_HOUR); /* parked */
        st->n_steps = 2;
        st->step_t[1] = b + P(1) + P(2) + 3 * SC_SEC; /* moved by step 0 */
        st->end = b + P(1) + P(2) + 30 * SC_SEC;      /* lifts, carries, hands */
        st->plats |= 1u << st->q;
        block(st, st->p, b, st->end);
        block(st, st->q, b, st->end);
        break;
    case SCENE_DECANT:
        P(0) = shop_pack(pl, st->p);
        P(1) = sc_uni(r, 5, 40) * SC_G;              /* packaging */
        P(2) = sc_logu(r, 10 * SC_MIN, 3 * SC_HOUR); /* until decanted */
        st->n_steps = 2;
        st->step_t[1] = b + 3 * SC_SEC + P(2);
        st->end = st->step_t[1] + 2 * SC_MIN;
        block(st, st->p, b, st->end);
        break;
    case SCENE_STUCK:
        P(0) = sc_uni(r, 0, 99); /* mode */
        P(0) = P(0) < 30   ? SC_FX_ZERO
               : P(0) < 45 ? SC_FX_RAIL_HI
               : P(0) < 60 ? SC_FX_RAIL_LO
                           : SC_FX_FROZEN;
        P(1) = sc_logu(r, SC_MIN, 6 * SC_HOUR);        /* stuck */
        P(2) = sc_uni(r, 2, 20) * SC_SEC;              /* unplugged */
        P(3) = sc_uni(r, 0, 300);                      /* garbage on plugging in */
        P(4) = P(1) >= 3 * SC_MIN && sc_chance(r, 40); /* a use meanwhile */
        P(5) = sc_uni(r, 60, 140);                     /* % of a usual use */
        if (P(4)) {
            st->n_steps = 2;
            st->step_t[1] = b + sc_uni(r, 30 * SC_SEC, P(1) - 2 * SC_MIN);
        }
        st->end = b + P(1) + P(2) + P(3) + SC_SEC;
        block(st, st->p, b, st->end);
        break;
    case SCENE_WIGGLE:
        P(0) = sc_uni(r, 2, 10) * SC_MIN;
        st->end = b + P(0) + 5 * SC_SEC;
        block(st, st->p, b, st->end);
        break;
    case SCENE_AWAY_DRIFT:
        P(0) = sc_logu(r, SC_HOUR, 8 * SC_HOUR); /* away */
        P(1) = sc_uni(r, 100, 300);              /* used elsewhere: 1-3 usual uses, % */
        st->n_steps = 2;
        st->step_t[1] = b + P(0);
        st->end = st->step_t[1] + 5 * SC_SEC;
        /* The sun is on the shelf while the item is away, peaking inside it. */
        s->sun_len = sc_uni(r, 4, 7) * SC_HOUR;
        s->sun_t0 = b + P(0) / 2 - s->sun_len / 2;
        s->plat[st->p].sunny_mg = sc_uni(r, 10, 20) * SC_G * sign(r);
        block(st, st->p, b, st->end);
        break;
    case SCENE_LEAK:
        P(0) = sc_uni(r, 500, 5000); /* mg a minute */
        P(1) = sc_uni(r, 30, 180) * SC_MIN;
        P(2) = sc_chance(r, 50); /* fixed by a hand */
        st->end = b + P(1) + 2 * SC_MIN;
        /* Rice trickles from a torn bag: the item is a bag. */
        s->item[st->p].container_mg = 0;
        pl->it[st->p].style = SC_STYLE_BAG;
        block(st, st->p, b, st->end);
        break;
    case SCENE_GAP:
        P(0) = sc_chance(r, 60); /* a pour inside */
        P(1) = P(0) ? sc_uni(r, 3, 60) * SC_SEC : sc_logu(r, SC_MIN, 10 * SC_MIN);
        P(2) = sc_chance(r, 70);   /* every channel */
        P(3) = sc_uni(r, 60, 140); /* the pour, % of a usual use */
        st->end = b + P(1) + SC_SEC;
        for (unsigned i = 0; i < s->n; i++)
            if (P(2) || i == st->p)
                block(st, i, b, st->end);
        if (P(2))
            st->plats = (1u << s->n) - 1;
        break;
    case SCENE_EMI:
        P(0) = sc_uni(r, 0, 99); /* which channels */
        P(1) = sc_uni(r, 1, 20) * SC_MIN;
        P(2) = sc_uni(r, 5000, 30000); /* spikes, ppm */
        for (unsigned i = 0; i < s->n; i++)
            if (i == st->p || (P(0) >= 40 && i == st->q) || P(0) >= 70)
                st->plats |= 1u << i;
        st->end = b + P(1) + SC_SEC;
        for (unsigned i = 0; i < s->n; i++)
            if (st->plats & 1u << i)
                block(st, i, b, st->end);
        break;
    case SCENE_LEAN:
        P(0) = sc_uni(r, 100, 800) * SC_G;
        P(1) = sc_logu(r, 10 * SC_SEC, 5 * SC_MIN);
        st->end = b + P(1) + 5 * SC_SEC;
        block(st, st->p, b, st->end);
        break;
    case SCENE_SCOOPS:
        st->end = b + 45 * SC_SEC;
        /* A jar one scoops from. */
        if (pl->it[st->p].style == SC_STYLE_DISPENSER)
            pl->it[st->p].style = SC_STYLE_JAR;
        if (s->item[st->p].container_mg == 0) {
            s->item[st->p].container_mg = 250 * SC_G;
            pl->it[st->p].style = SC_STYLE_JAR;
        }
        P(0) = sc_chance(r, 50); /* the lid held in the other hand */
        block(st, st->p, b, st->end);
        break;
    case SCENE_DELIVERY:
    case SCENE_SHOP_REFILL:
        P(0) = sc_uni(r, 1, 5) * SC_DAY + sc_uni(r, 0, SC_DAY / 2); /* delivery */
        P(1) = sc_chance(r, 50); /* put beside, or decanted */
        P(2) = sc_uni(r, 5, 40) * SC_G;
        P(3) = sc_uni(r, SC_HOUR, SC_DAY); /* the shop */
        P(4) = sc_chance(r, 50);
        P(5) = shop_pack(pl, st->p);
        if (s->cfg.kind == SCENE_SHOP_REFILL && P(0) < P(3) + 12 * SC_HOUR)
            P(0) = P(3) + 12 * SC_HOUR;
        st->n_steps = s->cfg.kind == SCENE_DELIVERY ? 2 : 3;
        st->step_t[st->n_steps - 1] = b + P(0);
        if (st->n_steps == 3) {
            st->step_t[1] = b + P(3);
            block(st, st->p, st->step_t[1], st->step_t[1] + 2 * SC_MIN);
        }
        st->end = b + P(0) + 2 * SC_MIN;
        block(st, st->p, b + P(0), st->end);
        break;
    case SCENE_HAND:
        P(0) = sc_chance(r, 40); /* on the edge between two */
        P(1) = sc_uni(r, 300, 3000) * SC_G;
        P(2) = sc_uni(r, 5, 90) * SC_SEC;
        st->end = b + P(2) + 5 * SC_SEC;
        if (P(0))
            st->plats |= 1u << st->q;
        block(st, st->p, b, st->end);
        block(st, st->q, b, st->end);
        break;
    case SCENE_KNOCK:
        P(0) = sc_chance(r, 30) ? sc_uni(r, 500, 850) : 1000;  /* share on p lying */
        P(1) = sc_chance(r, 60) ? sc_uni(r, 3, 40) * SC_G : 0; /* spilled off */
        P(2) = sc_uni(r, 3, 60) * SC_SEC;                      /* lying */
        st->end = b + P(2) + 15 * SC_SEC;
        if (P(0) < 1000)
            st->plats |= 1u << st->q;
        block(st, st->p, b, st->end);
        block(st, st->q, b, st->end);
        break;
    case SCENE_KIND_COUNT:
        break;
    }
}

void
sc_sit_draw(struct sc_plan *pl, int64_t t_min)
{
    pick(pl, t_min);
    draw_kind(pl);
}

/* ---- steps ---- */

static void
cat(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned p = st->p, q = st->q;
    int64_t m = P(0), share = P(1), t = st->begin, off = st->begin + P(2);
    int64_t impact = m * sc_uni(r, 150, 250) / 100, on_p = 0, on_q = 0;

    /* Landing: more than its weight for a moment, then its weight. */
    split_to(pl, p, q, &on_p, &on_q, impact, share, t, 100);
    split_to(pl, p, q, &on_p, &on_q, m, share, t + 100, 300);
    /* It breathes (its weight on both), shifts now and then, sometimes grooms. */
    int64_t amp = sc_uni(r, 2, 8) * SC_G, period = sc_uni(r, 1800, 3500);
    sc_wobble(pl, p, t + 400, off, share == 1000 ? amp : amp / 2, period);
    if (share < 1000)
        sc_wobble(pl, q, t + 400, off, amp / 2, period);
    for (int64_t u = t + 400 + sc_uni(r, SC_MIN, 5 * SC_MIN); u < off - 10 * SC_SEC;
         u += sc_uni(r, SC_MIN, 5 * SC_MIN)) {
        int64_t d = sc_uni(r, 500, 3000), to = sc_uni(r, 100, 900);
        if (share < 1000) {
            share = to;
            split_to(pl, p, q, &on_p, &on_q, m, share, u, d);
        }
        /* Grooming: its weight moves about (on one platform: it bounces). */
        int64_t f = sc_uni(r, 50, 300) * SC_G * sign(r), fd = sc_uni(r, 5, 30) * SC_SEC;
        if (sc_chance(r, 30) && u + d + fd < off - 5 * SC_SEC) {
            int64_t s2 = share < 1000 ? share + f * 1000 / m : share;
            int64_t m2 = share < 1000 ? m : m + f / 4;
            split_to(pl, p, q, &on_p, &on_q, m2,
                     s2 < 50                    ? 50
                     : s2 > 950 && share < 1000 ? 950
                                                : s2,
                     u + d, 400);
            split_to(pl, p, q, &on_p, &on_q, m, share, u + d + fd, 400);
        }
    }
    /* Jumping off: a push, then nothing. */
    int64_t push = m * sc_uni(r, 30, 100) / 100;
    split_to(pl, p, q, &on_p, &on_q, m + push, share, off, 100);
    split_to(pl, p, q, &on_p, &on_q, 0, share, off + 100, 150);
    done(st, off + 250);
}

static void
set_down(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned p = st->p;
    int64_t m = P(1), t = st->begin, dur = P(2), ramp = sc_uni(r, 200, 500);

    sc_ramp(pl, p, SC_OWNER_FOREIGN, t, ramp, m);
    sc_hand(pl, p, t, ramp + sc_uni(r, 200, 1000), sc_uni(r, 50, 200) * SC_G);
    /* A mug: a sip or two, each a lift and a lighter mug back; only where a lift
     * of the mug cannot pass for a lift of the jar. All drawn whatever happens. */
    int64_t sips = sc_uni(r, 1, 2), at[2], sip[2], away[2];
    for (int k = 0; k < 2; k++) {
        at[k] = t + dur * sc_uni(r, 20 + 40 * k, 40 + 40 * k) / 100;
        sip[k] = sc_uni(r, 10, 40) * SC_G;
        away[k] = sc_uni(r, 5, 30) * SC_SEC;
    }
    bool sipping = sc_chance(r, 30);
    int64_t jar = pl->it[p].gross, diff = jar > m ? jar - m : m - jar;
    if (P(0) == 1 && sipping && dur > 3 * SC_MIN && diff > 100 * SC_G) {
        for (int k = 0; k < sips; k++) {
            sc_ramp(pl, p, SC_OWNER_FOREIGN, at[k], 300, -m);
            m -= sip[k];
            sc_ramp(pl, p, SC_OWNER_FOREIGN, at[k] + away[k], 300, m);
        }
    }
    sc_hand(pl, p, t + dur - 300, 300, sc_uni(r, 30, 100) * SC_G);
    sc_ramp(pl, p, SC_OWNER_FOREIGN, t + dur, ramp, -m);
    done(st, t + dur + ramp);
}

static void
straddle(struct sc_plan *pl, int k)
{
    struct sc_sit *st = &pl->sit;
    unsigned i = st->p;
    if (k != 0)
        return;
    int64_t t1 = sc_lift(pl, i, st->begin);
    pl->it[i].contents -= P(0);
    pl->it[i].gross -= P(0);
    int64_t t2 = sc_place(pl, i, i, st->q, P(2), t1 + P(1));
    sc_truth(pl, t2, SCENE_T_CONSUME, i, P(0), st->plats, 0);
    int64_t t3 = sc_lift(pl, i, t2 + P(3));
    done(st, sc_place(pl, i, i, i, 1000, t3 + sc_uni(&pl->rng, 300, 1500)));
}

static void
park(struct sc_plan *pl, int k)
{
    struct sc_sit *st = &pl->sit;
    unsigned i = st->p;
    if (k == 0) {
        int64_t t1 = sc_lift(pl, i, st->begin);
        pl->it[i].contents -= P(0);
        pl->it[i].gross -= P(0);
        int64_t t2 = sc_place(pl, i, st->q, st->q, 1000, t1 + P(1));
        if (P(0) > 0)
            sc_truth(pl, t2, SCENE_T_CONSUME, i, P(0), st->plats, 0);
        st->step_t[1] = t2 + P(2);
        done(st, t2);
        return;
    }
    int64_t t3 = sc_lift(pl, i, st->step_t[1]);
    done(st, sc_place(pl, i, i, i, 1000, t3 + sc_uni(&pl->rng, 1, 4) * SC_SEC));
}

static void
decant(struct sc_plan *pl, int k)
{
    struct sc_sit *st = &pl->sit;
    unsigned i = st->p;
    struct sc_item_state *it = &pl->it[i];
    uint64_t *r = &pl->rng;
    if (k == 0) {
        int64_t t1 = set_pack(pl, i, st->begin, P(0), P(1));
        sc_truth(pl, t1, SCENE_T_REFILL, i, P(0), st->plats, 0);
        st->step_t[1] = t1 + P(2);
        done(st, t1);
        return;
    }
    /* The jar up, the pack up, the pack emptied into the jar, the jar back, the
     * packaging in the bin. */
    int64_t t = st->step_t[1], pack = P(0) + P(1), jar = it->on[i] - pack;
    int64_t r1 = sc_uni(r, 200, 500), r2 = sc_uni(r, 200, 500);
    sc_hand(pl, i, t, r1 + 200, sc_uni(r, 30, 150) * SC_G);
    sc_ramp(pl, i, i, t + 200, r1, -jar);
    int64_t t2 = t + 200 + r1 + sc_uni(r, 2, 8) * SC_SEC;
    sc_ramp(pl, i, i, t2, r2, -pack);
    it->on[i] = 0;
    it->gross -= P(1);
    int64_t end = sc_place(pl, i, i, i, 1000, t2 + r2 + sc_uni(r, 10, 40) * SC_SEC);
    sc_truth(pl, end, SCENE_T_GROSS, i, -P(1), st->plats, 0);
    done(st, end);
}

static void
stuck(struct sc_plan *pl, int k)
{
    struct sc_sit *st = &pl->sit;
    unsigned p = st->p;
    if (k == 1) {
        /* A use nobody could see: the sensor shows the same code throughout. */
        sc_pour_use(pl, p, st->step_t[1], usual(pl, p, P(5)), st->plats,
                    SCENE_TF_UNOBSERVABLE);
        return;
    }
    int64_t t = st->begin, t1 = t + P(1), t2 = t1 + P(2), t3 = t2 + P(3);
    sc_fx(pl, p, (enum sc_fx_kind)P(0), t, t1, 0);
    sc_gap(pl, p, t1, t2);
    if (P(3) > 0)
        sc_fx(pl, p, SC_FX_GARBAGE, t2, t3, 0);
    sc_truth(pl, t, SCENE_T_FAULT, p, 0, st->plats, 0);
    sc_truth(pl, t3, SCENE_T_FAULT_END, p, 0, st->plats, 0);
    done(st, t3);
}

static void
wiggle(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    int64_t t = st->begin, end = t + P(0);
    while (t < end) {
        int64_t len = sc_uni(r, 200, 3000);
        sc_fx(pl, st->p, SC_FX_WIGGLE, t, t + len, 0);
        done(st, t + len);
        t += len + sc_uni(r, 5, 40) * SC_SEC;
    }
}

static void
away_drift(struct sc_plan *pl, int k)
{
    struct sc_sit *st = &pl->sit;
    unsigned i = st->p;
    if (k == 0) {
        done(st, sc_lift(pl, i, st->begin));
        return;
    }
    /* Used elsewhere, brought back lighter. */
    int64_t mg = usual(pl, i, P(1));
    pl->it[i].contents -= mg;
    pl->it[i].gross -= mg;
    int64_t end = sc_place(pl, i, i, i, 1000, st->step_t[1]);
    sc_truth(pl, end, SCENE_T_CONSUME, i, mg, st->plats, 0);
    done(st, end);
}

static void
leak(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned i = st->p;
    int64_t t = st->begin, end = t + P(1), total = 0;
    /* Grains trickle at a rate that wanders, now and then a little avalanche. */
    while (t < end) {
        int64_t len = sc_uni(r, 15, 45) * SC_SEC;
        if (t + len > end)
            len = end - t;
        int64_t mg = P(0) * sc_uni(r, 60, 140) / 100 * len / SC_MIN;
        sc_item_ramp(pl, i, i, t, len, -mg);
        total += mg;
        if (sc_chance(r, 10)) {
            int64_t a = sc_uni(r, 500, 2000);
            sc_item_ramp(pl, i, i, t + len / 2, sc_uni(r, 200, 500), -a);
            total += a;
        }
        t += len;
    }
    pl->it[i].contents -= total;
    pl->it[i].gross -= total;
    struct scene_truth *rec =
        sc_truth(pl, end, SCENE_T_CONSUME, i, total, st->plats, SCENE_TF_SLOW);
    if (rec != NULL)
        rec->start_ms = st->begin;
    if (P(2))
        sc_hand(pl, i, end + sc_uni(r, 5, 60) * SC_SEC, sc_uni(r, 2, 5) * SC_SEC,
                sc_uni(r, 100, 500) * SC_G);
    done(st, end);
}

static void
gap(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned i = st->p;
    int64_t t = st->begin, len = P(1);
    for (unsigned c = 0; c < pl->s->n; c++)
        if (P(2) || c == i)
            sc_gap(pl, c, t, t + len);
    done(st, t + len);
    if (!P(0))
        return;
    /* A quick pour, all of it inside the gap: grip, up, pour, down, let go. */
    int64_t pre = sc_uni(r, 100, 500), post = sc_uni(r, 200, 2000);
    if (post > len - pre - 1450)
        post = len - pre - 1450;
    int64_t air = len - pre - post - 950, u = t + pre;
    int64_t h = sc_uni(r, 30, 150) * SC_G, h2 = sc_uni(r, 50, 300) * SC_G;
    struct sc_item_state *it = &pl->it[i];
    sc_ramp(pl, i, SC_OWNER_FOREIGN, u, 100, h);
    sc_ramp(pl, i, i, u + 150, 200, -it->on[i]);
    sc_ramp(pl, i, SC_OWNER_FOREIGN, u + 150, 200, -h);
    int64_t mg = usual(pl, i, P(3));
    it->contents -= mg;
    it->gross -= mg;
    sc_ramp(pl, i, i, u + 350 + air, 200, it->gross);
    it->on[i] = it->gross;
    sc_ramp(pl, i, SC_OWNER_FOREIGN, u + 350 + air, 200, h2);
    sc_ramp(pl, i, SC_OWNER_FOREIGN, u + 850 + air, 100, -h2);
    sc_truth(pl, u + 950 + air, SCENE_T_CONSUME, i, mg, 1u << i, 0);
}

static void
emi(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    int64_t t = st->begin, end = t + P(1);
    for (unsigned c = 0; c < pl->s->n; c++)
        if (st->plats & 1u << c)
            sc_fx(pl, c, SC_FX_EMI, t, end, P(2));
    /* Offset bursts while the radio transmits: the same times on every channel
     * it reaches, its own offset on each. */
    for (int64_t u = t + sc_uni(r, 5, 60) * SC_SEC; u < end;
         u += sc_uni(r, 20, 180) * SC_SEC) {
        int64_t len = sc_uni(r, 1, 10) * SC_SEC;
        for (unsigned c = 0; c < pl->s->n; c++)
            if (st->plats & 1u << c) {
                int64_t o = sc_uni(r, 10, 50) * SC_G;
                sc_ramp(pl, c, SC_OWNER_SENSOR, u, 20, o);
                sc_ramp(pl, c, SC_OWNER_SENSOR, u + len, 20, -o);
            }
    }
    done(st, end);
}

static void
lean(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned p = st->p;
    int64_t t = st->begin, end = t + P(1), load = P(0), on = sc_uni(r, 500, 2000);
    sc_ramp(pl, p, SC_OWNER_FOREIGN, t, on, load);
    /* The bag settles and slips; its share on the platform wanders. */
    for (int64_t u = t + on + sc_uni(r, 3, 20) * SC_SEC; u < end - 2 * SC_SEC;
         u += sc_uni(r, 3, 20) * SC_SEC) {
        bool slip = sc_chance(r, 20);
        int64_t to = P(0) * sc_uni(r, slip ? 70 : 80, slip ? 130 : 120) / 100;
        sc_ramp(pl, p, SC_OWNER_FOREIGN, u, slip ? 100 : sc_uni(r, 1000, 3000),
                to - load);
        load = to;
    }
    int64_t off = sc_uni(r, 300, 1000);
    sc_ramp(pl, p, SC_OWNER_FOREIGN, end, off, -load);
    done(st, end + off);
}

static void
scoops(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned i = st->p;
    struct sc_item_state *it = &pl->it[i];
    int64_t t = st->begin;
    int64_t lid = pl->s->item[i].container_mg * sc_uni(r, 20, 30) / 100;
    if (P(0)) {
        /* The lid comes off and stays in the other hand. */
        sc_hand(pl, i, t, 500, sc_uni(r, 30, 100) * SC_G);
        sc_item_ramp(pl, i, i, t + 300, 300, -lid);
        t += sc_uni(r, 1000, 3000);
    }
    for (int k = 0; k < 3; k++) {
        int64_t mg = sc_uni(r, 5, 30) * SC_G, h = sc_uni(r, 30, 200) * SC_G;
        int64_t d = sc_uni(r, 700, 2000);
        sc_ramp(pl, i, SC_OWNER_FOREIGN, t, 150, h);
        sc_item_ramp(pl, i, i, t + d / 2, 300, -mg);
        it->contents -= mg;
        it->gross -= mg;
        sc_ramp(pl, i, SC_OWNER_FOREIGN, t + d, 150, -h);
        sc_truth(pl, t + d + 150, SCENE_T_CONSUME, i, mg, st->plats, 0);
        t += d + 150 + sc_uni(r, 2000, 8000);
    }
    if (P(0)) {
        sc_item_ramp(pl, i, i, t, 300, lid);
        sc_hand(pl, i, t, 800, sc_uni(r, 100, 400) * SC_G);
        t += 920;
    }
    done(st, t);
}

static void
refill(struct sc_plan *pl, int64_t t, int64_t mg, bool beside, int32_t order)
{
    struct sc_sit *st = &pl->sit;
    unsigned i = st->p;
    int64_t end = beside ? set_pack(pl, i, t, mg, P(2)) : decant_into(pl, i, t, mg);
    struct scene_truth *rec = sc_truth(pl, end, SCENE_T_REFILL, i, mg, st->plats,
                                       order >= 0 ? SCENE_TF_DELIVERY : 0);
    if (rec != NULL)
        rec->order = order;
    done(st, end);
}

static void
delivery(struct sc_plan *pl, int k)
{
    struct sc_sit *st = &pl->sit;
    if (k == 0) {
        struct scene_truth *rec =
            sc_truth(pl, st->begin, SCENE_T_ORDER, st->p, 0, st->plats, 0);
        if (rec != NULL)
            rec->order = st->orders;
        st->orders++;
    } else if (k == st->n_steps - 1) {
        /* The ordered pack (the agent orders one pack at a time by default). */
        refill(pl, st->step_t[k], pl->s->item[st->p].pack_mg, P(1), 0);
    } else {
        refill(pl, st->step_t[k], P(5), P(4), -1);
    }
}

static void
hand(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned p = st->p, q = st->q;
    int64_t t = st->begin, end = t + P(2), on_p = 0, on_q = 0;
    int64_t share = P(0) ? sc_uni(r, 300, 700) : 1000;
    split_to(pl, p, q, &on_p, &on_q, P(1), share, t, sc_uni(r, 200, 600));
    /* Leaning harder and less hard while reaching to the back. */
    for (int64_t u = t + sc_uni(r, 1, 5) * SC_SEC; u < end - SC_SEC;
         u += sc_uni(r, 1, 5) * SC_SEC)
        split_to(pl, p, q, &on_p, &on_q, P(1) * sc_uni(r, 70, 130) / 100, share, u,
                 sc_uni(r, 300, 1000));
    split_to(pl, p, q, &on_p, &on_q, 0, share, end, 300);
    done(st, end + 300);
}

static void
knock(struct sc_plan *pl)
{
    struct sc_sit *st = &pl->sit;
    uint64_t *r = &pl->rng;
    unsigned i = st->p, q = st->q;
    struct sc_item_state *it = &pl->it[i];
    int64_t t = st->begin;
    /* The knock: a jolt, then the jar on its side, maybe partly on the neighbour. */
    int64_t jolt = sc_uni(r, 100, 400) * SC_G * sign(r), d = sc_uni(r, 50, 150);
    sc_ramp(pl, i, SC_OWNER_FOREIGN, t, d / 2, jolt);
    sc_ramp(pl, i, SC_OWNER_FOREIGN, t + d / 2, d / 2, -jolt);
    int64_t moved = it->gross - it->gross * P(0) / 1000;
    sc_item_ramp(pl, i, i, t + d, 300, -moved);
    sc_item_ramp(pl, i, q, t + d, 300, moved);
    int64_t fall = sc_uni(r, 1, 4) * SC_SEC;
    if (P(1) > 0) {
        /* Spilled over the edge, and gone. */
        sc_item_ramp(pl, i, i, t + d + 300, fall, -P(1));
        it->contents -= P(1);
        it->gross -= P(1);
    }
    int64_t t1 = sc_lift(pl, i, t + d + 300 + fall + P(2));
    int64_t end = sc_place(pl, i, i, i, 1000, t1 + sc_uni(r, 300, 1500));
    if (P(1) > 0)
        sc_truth(pl, end, SCENE_T_CONSUME, i, P(1), st->plats, 0);
    done(st, end);
}

void
sc_sit_step(struct sc_plan *pl, int k)
{
    switch (pl->s->cfg.kind) {
    case SCENE_NONE:
        break;
    case SCENE_CAT:
        cat(pl);
        break;
    case SCENE_SET_DOWN:
        set_down(pl);
        break;
    case SCENE_STRADDLE:
        straddle(pl, k);
        break;
    case SCENE_PARK:
        park(pl, k);
        break;
    case SCENE_DECANT:
        decant(pl, k);
        break;
    case SCENE_STUCK:
        stuck(pl, k);
        break;
    case SCENE_WIGGLE:
        wiggle(pl);
        break;
    case SCENE_AWAY_DRIFT:
        away_drift(pl, k);
        break;
    case SCENE_LEAK:
        leak(pl);
        break;
    case SCENE_GAP:
        gap(pl);
        break;
    case SCENE_EMI:
        emi(pl);
        break;
    case SCENE_LEAN:
        lean(pl);
        break;
    case SCENE_SCOOPS:
        scoops(pl);
        break;
    case SCENE_DELIVERY:
    case SCENE_SHOP_REFILL:
        delivery(pl, k);
        break;
    case SCENE_HAND:
        hand(pl);
        break;
    case SCENE_KNOCK:
        knock(pl);
        break;
    case SCENE_KIND_COUNT:
        break;
    }
}
