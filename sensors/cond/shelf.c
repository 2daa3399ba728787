/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shelf (see shelf.h): the platforms' settled episodes judged together, and
 * the ledger of what stands where. Per platform the ledger knows its level
 * (base), another item's jar standing on it (guest, with its owner), foreign
 * loads (cats, bags), and a few recent loads that may still be taken away; the
 * platform's own item is what remains: own = base - guest - foreign. An item
 * lifted off every platform is in hand, with the weight it had.
 *
 * An episode that settles waits (at most move_window) for episodes on other
 * platforms opened within move_window of it, then the group is judged:
 *
 *  step | what                                   | outcome
 *  -----+----------------------------------------+-----------------------------
 *   1   | net change under min_step              | nothing (MOVED if it went
 *       |                                        |  far and came back)
 *       |  own jar lifted alone, back lighter by | CONSUME it (a pinch)
 *       |   half the band or more                |
 *   2   | a rise R on b, a drop D >= R - tol on a | a move of R from a to b; the
 *       |                                        |  owner of what left a lost
 *       |                                        |  D - R (CONSUME if >= step)
 *   3   | drops left: several, each on loads not | those loads left (however
 *       |  yet stock (foreign, small, held), sums|  their weight was shared)
 *       |  agree                                 |
 *       | one drop D: a remembered load of D     | it left: no event
 *       |  foreign load >= D                     | it (or part) left
 *       |  the guest jar                         | its item is in hand
 *       |  the whole own item                    | in hand (AWAY, EMPTY later)
 *       |  a load not yet stock (small, held     | the load is lighter by D
 *       |   refill) lifted and set back lighter  |  (a sip from a mug)
 *       |  otherwise                             | CONSUME D
 *   4   | rises left: several                    | foreign loads
 *       | one rise R: fits an item in hand       | BACK; CONSUME what it lacks
 *       |  its own jar back heavier              | BACK; refill held (a new
 *       |                                        |  pack in its place: EMPTY
 *       |                                        |  for the old one)
 *       |  R > refill max, a foreign load on b,  | foreign load; a refill held
 *       |   or opened with a foreign rise        |  elsewhere that opened with
 *       |                                        |  it is foreign too
 *       |  own item lifted and back heavier in   | REFILL R now
 *       |   the same episode                     |
 *       |  R >= refill share                     | refill held: REFILL after
 *       |                                        |  refill_hold if still there
 *       |  otherwise                             | a small load (stock)
 *
 * A fault on a platform drops its waiting episode; at its end a level within
 * tolerance of the one before changes nothing, another resets the platform's
 * ledger to the new level (FAULT_END), never a take or a refill.
 */
#include "sensors/cond/shelf.h"

#include <errno.h>
#include <string.h>

#include "sensors/cond/shelf-int.h"

/* The platform's own item on it. */
static int64_t
own(const struct shelf_place *p)
{
    return max64(0, p->base_mg - p->guest_mg - p->foreign_mg);
}

/* Below this much of the own item left on the platform, the item is off it. */
static int64_t
off_left(const struct shelf_place *p)
{
    const struct cond_config *c = cfg_of(p);
    return max64(c->empty_mg, c->container_mg / 2);
}

/* The largest rise that can be a refill: refill_max, or a delivery on its way. */
static int64_t
refill_max(const struct shelf_place *p)
{
    const struct cond_config *c = cfg_of(p);
    int64_t m = cond_refill_max_mg(c);
    /* expect_mg <= COND_MG_LIMIT (shelf_expect()): no overflow. */
    int64_t e =
        p->expect_mg > 0 ? p->expect_mg + p->expect_mg / 10 + c->container_mg : 0;
    return e > m ? e : m;
}

static bool
refill_size(const struct shelf_place *p, int64_t mg)
{
    const struct cond_config *c = cfg_of(p);
    /* mg * 100 with mg <= 2 * COND_MG_LIMIT cannot overflow. */
    return mg * 100 >= c->refill_pct * c->pack_mg && mg <= refill_max(p);
}

/* A rise of about whole packs (and a little packaging): what a delivery looks like. */
static bool
whole_packs(const struct shelf_place *p, int64_t mg)
{
    int64_t pack = cfg_of(p)->pack_mg;
    int64_t k = (mg + pack / 2) / pack;
    return k >= 1 && refill_size(p, mg) && abs64(mg - k * pack) <= pack / 10 + 60000;
}

/* How far mg is from the nearest whole number of packs (at least one). */
static int64_t
off_packs(const struct shelf_place *p, int64_t mg)
{
    int64_t pack = cfg_of(p)->pack_mg;
    int64_t k = (mg + pack / 2) / pack;
    return abs64(mg - (k < 1 ? 1 : k) * pack);
}

static void
update_empty(struct shelf_place *p)
{
    int64_t limit = p->inhand_mg > 0 ? off_left(p) : cfg_of(p)->empty_mg;
    p->ch.empty = p->guest_mg == 0 && p->foreign_mg == 0 && own(p) <= limit;
}

static void
load_add(struct shelf_place *p, enum shelf_load_kind kind, int64_t mg, int64_t contents,
         int64_t since, int64_t back)
{
    int k = 0;
    for (int i = 0; i < SHELF_LOADS; i++) {
        if (p->load[i].kind == SHELF_LOAD_NONE) {
            k = i;
            break;
        }
        if (p->load[i].since_ms < p->load[k].since_ms)
            k = i;
    }
    p->load[k] = (struct shelf_load){.mg = mg,
                                     .contents_mg = contents,
                                     .since_ms = since,
                                     .open_ms = p->cand.open_ms,
                                     .back_mg = back,
                                     .kind = (uint8_t)kind};
}

/*
 * The grams of a refill of rise mg beyond whole packs, when they look like its
 * packaging (under a tenth of a pack and 60 g): remembered, so that throwing
 * the packaging away is no take.
 */
static void
remember_extra(struct shelf_place *p, int64_t mg, int64_t now)
{
    int64_t pack = cfg_of(p)->pack_mg;
    int64_t packs = mg / pack, extra = mg - packs * pack;
    if (packs >= 1 && extra >= cfg_of(p)->min_step_mg && extra <= pack / 10 &&
        extra <= 60000)
        load_add(p, SHELF_LOAD_EXTRA, extra, 0, now, 0);
}

static void refresh_due(struct shelf *s);

void
shelf_init(struct shelf *s)
{
    memset(s, 0, sizeof(*s));
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
        s->p[i].guest_owner = -1;
    s->due_ms = INT64_MAX;
    s->foreign_open_ms = INT64_MIN;
}

void
shelf_expect(struct shelf *s, uint16_t channel, int64_t mg)
{
    if (channel < SENSOR_MAX_CHANNELS)
        s->p[channel].expect_mg = mg < 0 ? 0 : mg > COND_MG_LIMIT ? COND_MG_LIMIT : mg;
}

int
shelf_add(struct shelf *s, uint16_t channel, const struct cond_config *cfg,
          const struct cond_cal *cal, int64_t now_ms)
{
    struct shelf_place *p;
    int r;

    if (channel >= SENSOR_MAX_CHANNELS)
        return -EINVAL;
    p = &s->p[channel];
    if (p->used)
        return -EEXIST;
    if ((r = cond_init(&p->ch, channel, cfg, cal, now_ms)) < 0)
        return r;
    p->used = true;
    refresh_due(s);
    return 0;
}

int
shelf_recalibrate(struct shelf *s, uint16_t channel, const struct cond_cal *cal,
                  int64_t now_ms)
{
    struct shelf_place *p;
    struct cond_channel ch;
    int r;

    if (channel >= SENSOR_MAX_CHANNELS || !(p = &s->p[channel])->used)
        return -ENOENT;
    if ((r = cond_init(&ch, channel, p->ch.cfg, cal, now_ms)) < 0)
        return r;
    p->ch = ch;
    p->first = false;
    p->waiting = false;
    p->guest_mg = 0;
    p->guest_owner = -1;
    p->foreign_mg = 0;
    memset(p->load, 0, sizeof(p->load));
    refresh_due(s);
    return 0;
}

struct cond_channel *
shelf_channel(struct shelf *s, uint16_t channel)
{
    return channel < SENSOR_MAX_CHANNELS && s->p[channel].used ? &s->p[channel].ch
                                                               : NULL;
}

/* ---- the judgement of settled episodes ---- */

/* Put R of item o's weight on platform b (its own, or as a guest). */
static void
place_weight(struct shelf *s, unsigned o, unsigned b, int64_t r)
{
    struct shelf_place *pb = &s->p[b];
    if (b == o)
        return; /* own = base - guest - foreign grows with the base */
    if (pb->guest_mg == 0 || pb->guest_owner == (int16_t)o) {
        pb->guest_mg += r;
        pb->guest_owner = (int16_t)o;
    } else {
        pb->foreign_mg += r; /* two guests on one platform: their owner is lost */
    }
}

/* Take up to mg off platform a's guest; its owner is lost once nothing is left. */
static void
guest_take(struct shelf_place *a, int64_t mg)
{
    a->guest_mg -= mg < a->guest_mg ? mg : a->guest_mg;
    if (a->guest_mg <= tol(a, 0)) {
        a->guest_mg = 0;
        a->guest_owner = -1;
    }
}

static void
foreign_take(struct shelf_place *a, int64_t mg)
{
    a->foreign_mg -= mg < a->foreign_mg ? mg : a->foreign_mg;
    if (a->foreign_mg > tol(a, 0))
        return;
    /* Nothing foreign is left: no load of it may be taken away any more. */
    a->foreign_mg = 0;
    for (int i = 0; i < SHELF_LOADS; i++)
        if (a->load[i].kind == SHELF_LOAD_FOREIGN)
            a->load[i].kind = SHELF_LOAD_NONE;
}

/* A load that is not stock: a small one, or a rise held as a refill (not a jar). */
static bool
is_transient(const struct shelf_load *l)
{
    return l->kind == SHELF_LOAD_SMALL ||
           (l->kind == SHELF_LOAD_REFILL && l->back_mg == 0);
}

/* What stands on a platform that is not stock: foreign and transient loads. */
static int64_t
transient(const struct shelf_place *p)
{
    int64_t t = p->foreign_mg;
    for (int i = 0; i < SHELF_LOADS; i++)
        if (is_transient(&p->load[i]))
            t += p->load[i].mg;
    return t;
}

/* Step 2: d_a (a drop of D) on a and d_b (a rise of R) on b are one move. */
static void
move(struct shelf *s, unsigned a, unsigned b, int64_t d, int64_t r, int64_t now,
     struct out *o)
{
    struct shelf_place *pa = &s->p[a], *pb = &s->p[b];
    int64_t t = tol(pa, d);
    unsigned owner = a;

    int64_t held = transient(pa) - pa->foreign_mg;
    if (held > 0 && d <= held + t) {
        /*
         * Part of a load not yet stock moved to another platform: packs put
         * away do not walk, so it is something alive (a cat that sat down
         * across two platforms shifting its weight). What is held on both
         * becomes foreign, never a refill.
         */
        for (unsigned k = 0; k < 2; k++) {
            struct shelf_place *q = k == 0 ? pa : pb;
            for (int i = 0; i < SHELF_LOADS; i++)
                if (is_transient(&q->load[i])) {
                    q->foreign_mg += q->load[i].mg;
                    q->load[i].kind = SHELF_LOAD_NONE;
                }
        }
    }
    if (pa->foreign_mg > 0 && d <= pa->foreign_mg + t) {
        /* A foreign load shifting its weight (a cat): still foreign. */
        foreign_take(pa, d);
        pb->foreign_mg += r;
        emit(o, now, a, STOCK_MOVED, pa->cand.level_mg,
             STOCK_F_FOREIGN | STOCK_F_SHIFT);
        emit(o, now, b, STOCK_MOVED, pb->cand.level_mg,
             STOCK_F_FOREIGN | STOCK_F_SHIFT);
        return;
    }
    if (pa->guest_mg > 0 && d <= pa->guest_mg + t) {
        owner = (unsigned)pa->guest_owner;
        guest_take(pa, d);
    }
    place_weight(s, owner, b, r);
    if (d - r >= cfg_of(&s->p[owner])->min_step_mg)
        emit(o, now, owner, STOCK_CONSUME, d - r, 0);
    emit(o, now, owner, STOCK_MOVED, r, STOCK_F_SHIFT);
}

/* The remembered load on p that weighs about mg, or -1. */
static int
load_match(const struct shelf_place *p, int64_t mg)
{
    int best = -1;
    for (int i = 0; i < SHELF_LOADS; i++) {
        const struct shelf_load *l = &p->load[i];
        if (l->kind == SHELF_LOAD_NONE || abs64(mg - l->mg) > tol(p, l->mg))
            continue;
        if (best < 0 || abs64(mg - l->mg) < abs64(mg - p->load[best].mg))
            best = i;
    }
    return best;
}

/*
 * A load not yet stock (a small one, a held refill) heavier than d that this
 * episode lifted off: the level dipped by about its weight, closer to it than
 * to the own item's. Its index, or -1.
 */
static int
lifted_load(const struct shelf_place *p, int64_t d, int64_t own)
{
    int64_t dip = p->base_mg - p->cand.lo_mg;
    for (int k = 0; k < SHELF_LOADS; k++) {
        const struct shelf_load *l = &p->load[k];
        if ((l->kind != SHELF_LOAD_SMALL && l->kind != SHELF_LOAD_REFILL) || l->mg <= d)
            continue;
        int64_t off = abs64(dip - l->mg);
        if (off <= tol(p, l->mg) && off < abs64(dip - own))
            return k;
    }
    return -1;
}

/* Step 3 for one drop of d on platform a whose own item weighed own_a before. */
static void
drop(struct shelf *s, unsigned a, int64_t d, int64_t own_a, int64_t open_ms,
     int64_t now, struct out *o)
{
    struct shelf_place *pa = &s->p[a];
    int64_t t = tol(pa, d);
    int k = load_match(pa, d);
    bool whole = own_a > off_left(pa) && d >= own_a - off_left(pa);

    if (k >= 0 && whole &&
        (pa->load[k].kind == SHELF_LOAD_DONE ||
         pa->load[k].kind == SHELF_LOAD_REFILL)) {
        /* The jar that came as a refill is lifted: the item is in hand. */
        if (pa->load[k].kind == SHELF_LOAD_DONE)
            pa->load[k].kind = SHELF_LOAD_NONE;
        k = -1;
    }
    if (k >= 0) {
        struct shelf_load *l = &pa->load[k];
        if (l->kind == SHELF_LOAD_FOREIGN)
            foreign_take(pa, l->mg);
        if (l->kind == SHELF_LOAD_REFILL && l->back_mg > 0) {
            /* What came "back" was not the jar: it is still in hand. */
            pa->inhand_mg = l->back_mg;
            pa->inhand_since_ms = l->since_ms;
        }
        l->kind = SHELF_LOAD_NONE;
        emit(o, now, a, STOCK_MOVED, pa->cand.level_mg, STOCK_F_LEFT);
        return;
    }
    if (pa->foreign_mg > 0 && d <= pa->foreign_mg + t) {
        /*
         * Part of a foreign load may leave (a cat stepping off one paw at a
         * time): never a take. The weight stays right either way.
         */
        foreign_take(pa, d);
        emit(o, now, a, STOCK_MOVED, pa->cand.level_mg, STOCK_F_FOREIGN | STOCK_F_LEFT);
        return;
    }
    if (pa->guest_mg > 0 && abs64(d - pa->guest_mg) <= t) {
        struct shelf_place *po = &s->p[pa->guest_owner];
        po->inhand_mg += pa->guest_mg;
        po->inhand_since_ms = open_ms;
        po->away_said = false;
        guest_take(pa, pa->guest_mg);
        return;
    }
    if (whole) {
        pa->inhand_mg += own_a;
        pa->inhand_since_ms = open_ms;
        pa->away_said = false;
        return;
    }
    if ((k = lifted_load(pa, d, own_a)) >= 0) {
        /* A load standing on it was lifted and set back lighter (a mug, a sip
         * taken): its weight changed, not the item's. */
        struct shelf_load *l = &pa->load[k];
        l->mg -= d;
        l->contents_mg = l->contents_mg > d ? l->contents_mg - d : 0;
        emit(o, now, a, STOCK_MOVED, pa->cand.level_mg, 0);
        return;
    }
    emit(o, now, a, STOCK_CONSUME, d < own_a || own_a == 0 ? d : own_a, 0);
}

/* An item in hand that a rise of r on platform b can be (its own first), or -1. */
static int
inhand_match(const struct shelf *s, unsigned b, int64_t r)
{
    int best = -1;
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++) {
        const struct shelf_place *p = &s->p[i];
        const struct cond_config *c = p->used ? cfg_of(p) : NULL;
        if (c == NULL || p->inhand_mg == 0)
            continue;
        int64_t lo = c->container_mg - max64(3 * c->min_step_mg, c->container_mg / 5);
        if (r < lo || r > p->inhand_mg + tol(p, p->inhand_mg))
            continue;
        if (i == b)
            return (int)i;
        if (best < 0 || abs64(r - p->inhand_mg) < abs64(r - s->p[best].inhand_mg))
            best = (int)i;
    }
    return best;
}

/* A rise of r on platform b is a load that is not stock (MOVED, foreign). */
static void
foreign_rise(struct shelf *s, unsigned b, int64_t r, int64_t now, struct out *o)
{
    struct shelf_place *pb = &s->p[b];
    pb->foreign_mg += r;
    load_add(pb, SHELF_LOAD_FOREIGN, r, 0, now, 0);
    emit(o, now, b, STOCK_MOVED, pb->cand.level_mg, STOCK_F_FOREIGN);
    s->foreign_open_ms = pb->cand.open_ms;
    /* A rise held as a refill on another platform that came with it is the
     * same load (a cat that landed on two platforms, one settling first). */
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++) {
        struct shelf_place *q = &s->p[i];
        for (int k = 0; q->used && i != b && k < SHELF_LOADS; k++) {
            struct shelf_load *l = &q->load[k];
            if (l->kind != SHELF_LOAD_REFILL || l->back_mg != 0 ||
                abs64(l->open_ms - pb->cand.open_ms) > cfg_of(pb)->move_window_ms)
                continue;
            l->kind = SHELF_LOAD_FOREIGN;
            l->contents_mg = 0;
            q->foreign_mg += l->mg;
            emit(o, now, i, STOCK_MOVED, q->base_mg, STOCK_F_FOREIGN);
        }
    }
}

/* The rise on b opened with one already judged foreign (a cat landing on two
 * platforms, one of which settled long after the other). */
static bool
with_foreign(const struct shelf *s, const struct shelf_place *pb)
{
    return s->foreign_open_ms != INT64_MIN &&
           abs64(pb->cand.open_ms - s->foreign_open_ms) <= cfg_of(pb)->move_window_ms;
}

/* Step 4 for one rise of r on platform b; lifted: its own item was off meanwhile. */
static void
rise(struct shelf *s, unsigned b, int64_t r, int64_t own_b, bool lifted, int64_t now,
     struct out *o)
{
    struct shelf_place *pb = &s->p[b];
    int i = inhand_match(s, b, r);

    if (i >= 0) {
        struct shelf_place *pi = &s->p[i];
        int64_t was = pi->inhand_mg;
        pi->inhand_mg = 0;
        place_weight(s, (unsigned)i, b, r);
        if (pi->away_said)
            emit(o, now, (unsigned)i, STOCK_BACK, r, 0);
        pi->away_said = false;
        if (was - r >= cfg_of(pi)->min_step_mg)
            emit(o, now, (unsigned)i, STOCK_CONSUME, was - r, 0);
        return;
    }
    if (pb->inhand_mg > 0 && r > pb->inhand_mg && refill_size(pb, r - pb->inhand_mg)) {
        /* Its own jar back heavier (topped up while away), or something else
         * set down in its place: a refill held until it has stood long enough. */
        if (pb->away_said)
            emit(o, now, b, STOCK_BACK, r, 0);
        pb->away_said = false;
        int64_t c = cfg_of(pb)->container_mg, was = pb->inhand_mg - c;
        if (was > 0 && off_packs(pb, r - c) < off_packs(pb, r - pb->inhand_mg)) {
            /* A new pack in the old one's place (a bottle finished and thrown
             * away): the old one is empty (what it held was used up, as after
             * empty_after), the new one is the refill. */
            emit(o, now, b, STOCK_EMPTY, pb->inhand_mg, 0);
            load_add(pb, SHELF_LOAD_REFILL, r, r - c, now, pb->inhand_mg);
        } else {
            load_add(pb, SHELF_LOAD_REFILL, r, r - pb->inhand_mg, now, pb->inhand_mg);
        }
        pb->inhand_mg = 0;
        return;
    }
    if (r > refill_max(pb) || pb->foreign_mg > 0 || (!lifted && with_foreign(s, pb))) {
        /* Too much for a refill, more of what stands here and is not stock (a
         * cat shifting its weight onto this platform: nobody pours a refill
         * under a cat), or the part of a foreign load that settled late. */
        foreign_rise(s, b, r, now, o);
        return;
    }
    if (lifted && refill_size(pb, r)) {
        /* Lifted and back heavier in one episode: a top-up, nothing transient. */
        emit(o, now, b, STOCK_REFILL, r, 0);
        remember_extra(pb, r, now);
        return;
    }
    if (refill_size(pb, r)) {
        /* A new container on an empty platform brings its own tare. */
        int64_t c = cfg_of(pb)->container_mg;
        load_add(pb, SHELF_LOAD_REFILL, r, own_b <= off_left(pb) && r > c ? r - c : r,
                 now, 0);
        return;
    }
    load_add(pb, SHELF_LOAD_SMALL, r, 0, now, 0);
    emit(o, now, b, STOCK_MOVED, pb->cand.level_mg, 0);
}

struct member {
    unsigned i;
    int64_t d, own;
    bool lifted, done;
};

void
shelf_judge(struct shelf *s, const unsigned *g, int ng, int64_t now, struct out *o)
{
    struct member m[SENSOR_MAX_CHANNELS];
    int drops = 0, rises = 0;

    (void)rises;
    for (int k = 0; k < ng; k++) {
        struct shelf_place *p = &s->p[g[k]];
        const struct cond_config *c = cfg_of(p);
        int64_t ex = max64(p->cand.hi_mg - p->base_mg, p->base_mg - p->cand.lo_mg);
        m[k] = (struct member){.i = g[k], .d = p->cand.level_mg - p->base_mg};
        m[k].own = own(p);
        m[k].lifted = m[k].own > off_left(p) &&
                      p->cand.lo_mg <= p->base_mg - m[k].own + off_left(p);
        if (abs64(m[k].d) < cond_step_mg(&p->ch)) {
            m[k].done = true;
            /*
             * Its own jar lifted alone and set back lighter: a take smaller than
             * a step (a pinch of spice). Both levels held a plateau, so half the
             * band tells it from noise.
             */
            if (ng == 1 && m[k].lifted &&
                -m[k].d >= max64(cond_band_mg(&p->ch) / 2, 1000))
                emit(o, now, g[k], STOCK_CONSUME, -m[k].d, 0);
            else if (ex >= c->move_mg)
                emit(o, now, g[k], STOCK_MOVED, p->cand.level_mg, 0);
        } else {
            drops += m[k].d < 0;
            rises += m[k].d > 0;
        }
    }
    /* Step 2: the largest rise first, with the closest drop that can hold it. */
    while (drops > 0 && rises > 0) {
        int b = -1, a = -1;
        for (int k = 0; k < ng; k++)
            if (!m[k].done && m[k].d > 0 && (b < 0 || m[k].d > m[b].d))
                b = k;
        for (int k = 0; k < ng; k++)
            if (!m[k].done && m[k].d < 0 &&
                -m[k].d + tol(&s->p[m[k].i], m[k].d) >= m[b].d &&
                (a < 0 || -m[k].d < -m[a].d))
                a = k;
        if (a < 0)
            break;
        move(s, m[a].i, m[b].i, -m[a].d, m[b].d, now, o);
        m[a].done = m[b].done = true;
        drops--;
        rises--;
    }
    /*
     * Step 3: drops. Several at once that add up to the loads not yet stock on
     * their platforms (foreign loads, small loads, rises held as refills): those
     * left, however their weight was shared out when they came (a cat that
     * shifted its weight while it sat).
     */
    int64_t sum_d = 0, sum_f = 0;
    int left = 0, foreign = 0;
    for (int k = 0; k < ng; k++)
        if (!m[k].done && m[k].d < 0) {
            int64_t t = transient(&s->p[m[k].i]);
            left++;
            foreign += t > 0;
            sum_d -= m[k].d;
            sum_f += t;
        }
    bool all_foreign =
        left >= 2 && foreign == left && abs64(sum_d - sum_f) <= tol(&s->p[g[0]], sum_f);
    for (int k = 0; k < ng; k++) {
        if (m[k].done || m[k].d >= 0)
            continue;
        struct shelf_place *p = &s->p[m[k].i];
        if (all_foreign) {
            unsigned fl = p->foreign_mg > 0 ? STOCK_F_FOREIGN : 0;
            foreign_take(p, p->foreign_mg);
            for (int i = 0; i < SHELF_LOADS; i++)
                if (is_transient(&p->load[i]))
                    p->load[i].kind = SHELF_LOAD_NONE;
            emit(o, now, m[k].i, STOCK_MOVED, p->cand.level_mg, fl | STOCK_F_LEFT);
        } else {
            drop(s, m[k].i, -m[k].d, m[k].own, p->cand.open_ms, now, o);
        }
        m[k].done = true;
    }
    /*
     * Step 4: rises. Several at once are one foreign load across platforms (a
     * cat, a tray), unless each is its item's whole packs (groceries put away)
     * or came with its jar lifted (a top-up).
     */
    int many = 0;
    bool packs = true;
    for (int k = 0; k < ng; k++)
        if (!m[k].done && !m[k].lifted) {
            many++;
            packs = packs && whole_packs(&s->p[m[k].i], m[k].d);
        }
    for (int k = 0; k < ng; k++) {
        if (m[k].done)
            continue;
        if (many >= 2 && !packs && !m[k].lifted) {
            foreign_rise(s, m[k].i, m[k].d, now, o);
        } else {
            rise(s, m[k].i, m[k].d, m[k].own, m[k].lifted, now, o);
        }
    }
    for (int k = 0; k < ng; k++) {
        struct shelf_place *p = &s->p[g[k]];
        p->base_mg = p->cand.level_mg;
        p->waiting = false;
    }
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
        if (s->p[i].used)
            update_empty(&s->p[i]);
}

/* ---- notes from the channels, timers ---- */

static void
on_note(struct shelf *s, unsigned i, const struct cond_note *n, struct out *o)
{
    struct shelf_place *p = &s->p[i];

    switch ((enum cond_note_kind)n->kind) {
    case COND_NOTE_FIRST:
        p->base_mg = n->level_mg;
        p->first = true;
        update_empty(p);
        break;
    case COND_NOTE_OPEN:
        if (p->waiting)
            shelf_try_judge(s, n->t_ms, (int)i, o);
        break;
    case COND_NOTE_SETTLED:
        p->cand = *n;
        p->waiting = true;
        p->wait_ms = n->t_ms;
        break;
    case COND_NOTE_SLOW:
        if (own(p) > off_left(p))
            emit(o, n->t_ms, i, STOCK_CONSUME, n->level_mg, STOCK_F_SLOW);
        break;
    case COND_NOTE_FAULT:
        p->waiting = false;
        emit(o, n->t_ms, i, STOCK_FAULT, own(p) + p->inhand_mg, n->why);
        break;
    case COND_NOTE_FAULT_END:
        if (abs64(n->level_mg - p->base_mg) > tol(p, p->base_mg)) {
            /* What changed during the fault is unknown: the platform starts over. */
            guest_take(p, p->guest_mg);
            p->foreign_mg = 0;
            memset(p->load, 0, sizeof(p->load));
            p->base_mg = n->level_mg;
        }
        emit(o, n->t_ms, i, STOCK_FAULT_END, own(p) + p->inhand_mg, 0);
        update_empty(p);
        break;
    }
}

/* Refill holds, loads forgotten, items in hand away or used up. */
static void
place_timers(struct shelf *s, unsigned i, int64_t now, struct out *o)
{
    struct shelf_place *p = &s->p[i];
    const struct cond_config *c = cfg_of(p);

    for (int k = 0; k < SHELF_LOADS; k++) {
        struct shelf_load *l = &p->load[k];
        if (l->kind == SHELF_LOAD_REFILL && now - l->since_ms >= c->refill_hold_ms) {
            int64_t contents = l->contents_mg;
            emit(o, now, i, STOCK_REFILL, contents, 0);
            *l = (struct shelf_load){
                .mg = l->mg, .since_ms = now, .kind = SHELF_LOAD_DONE};
            remember_extra(p, contents, now);
        } else if (l->kind != SHELF_LOAD_NONE && l->kind != SHELF_LOAD_FOREIGN &&
                   l->kind != SHELF_LOAD_REFILL && now - l->since_ms >= c->memory_ms) {
            l->kind = SHELF_LOAD_NONE;
        }
    }
    if (p->inhand_mg > 0 && !p->away_said && now - p->inhand_since_ms >= c->away_ms) {
        emit(o, now, i, STOCK_AWAY, p->inhand_mg, 0);
        p->away_said = true;
    }
    if (p->inhand_mg > 0 && now - p->inhand_since_ms >= c->empty_after_ms) {
        emit(o, now, i, STOCK_EMPTY, p->inhand_mg, 0);
        p->inhand_mg = 0;
        p->away_said = false;
        update_empty(p);
    }
}

static int64_t
place_due(const struct shelf_place *p)
{
    const struct cond_config *c = cfg_of(p);
    int64_t due = cond_next_due_ms(&p->ch);

    if (p->waiting)
        due = due < p->wait_ms + wait_max(p) ? due : p->wait_ms + wait_max(p);
    for (int k = 0; k < SHELF_LOADS; k++) {
        const struct shelf_load *l = &p->load[k];
        int64_t t = l->kind == SHELF_LOAD_REFILL ? c->refill_hold_ms
                    : l->kind == SHELF_LOAD_NONE || l->kind == SHELF_LOAD_FOREIGN
                        ? -1
                        : c->memory_ms;
        if (t >= 0 && l->since_ms + t < due)
            due = l->since_ms + t;
    }
    if (p->inhand_mg > 0) {
        int64_t t =
            p->inhand_since_ms + (p->away_said ? c->empty_after_ms : c->away_ms);
        if (t < due)
            due = t;
    }
    return due;
}

static void
refresh_due(struct shelf *s)
{
    int64_t due = INT64_MAX;
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
        if (s->p[i].used) {
            int64_t d = place_due(&s->p[i]);
            if (d < due)
                due = d;
        }
    s->due_ms = due;
}

/*
 * Everything due at now, after the notes of a sample (if any). A judgement can
 * make a timer due at once (an item lifted longer ago than away_ms): a second
 * round fires it.
 *
 * A round in which no place was due and nothing was judged changed nothing:
 * the deadlines it computed are the places' deadlines now, so the next round
 * (which would find the same) is skipped and the shelf's deadline is their
 * minimum, without computing them again. That is the common case, timers run
 * after a sample's notes with nothing due: one place_due() per place instead
 * of three.
 */
static void
timers(struct shelf *s, int64_t now, struct out *o)
{
    struct cond_note n;

    for (int round = 0; round < 2; round++) {
        int64_t due = INT64_MAX;
        bool fired = false;
        for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++) {
            struct shelf_place *p = &s->p[i];
            if (!p->used)
                continue;
            int64_t d = place_due(p);
            if (d > now) {
                due = d < due ? d : due;
                continue;
            }
            fired = true;
            if (cond_next_due_ms(&p->ch) <= now && cond_tick(&p->ch, now, &n) == 1)
                on_note(s, i, &n, o);
            place_timers(s, i, now, o);
        }
        if (shelf_try_judge(s, now, -1, o) == 0 && !fired) {
            s->due_ms = due;
            return;
        }
    }
    refresh_due(s);
}

int
shelf_sample(struct shelf *s, const struct sample *smp, struct stock_event *out)
{
    struct cond_note n[COND_MAX_NOTES];
    struct out o = {out, 0};
    struct shelf_place *p;
    int k;

    if (smp->channel >= SENSOR_MAX_CHANNELS || !(p = &s->p[smp->channel])->used)
        return 0;
    bool counted = p->ch.state != COND_FAULT && p->ch.last_ms != INT64_MIN;
    k = cond_sample(&p->ch, smp, n);
    for (int j = 0; j < k; j++)
        on_note(s, smp->channel, &n[j], &o);
    if (p->ch.state == COND_QUIET && !p->waiting)
        p->base_mg = p->ch.base_mg; /* drift and zero tracking, followed */
    if (k > 0 || s->due_ms <= smp->t_ms)
        timers(s, smp->t_ms, &o);
    else if (!counted && p->ch.state != COND_FAULT)
        refresh_due(s); /* its no-data timer starts */
    return o.n;
}

int
shelf_tick(struct shelf *s, int64_t now_ms, struct stock_event *out)
{
    struct out o = {out, 0};
    timers(s, now_ms, &o);
    return o.n;
}

int64_t
shelf_next_due_ms(const struct shelf *s)
{
    return s->due_ms;
}

static bool
busy(const struct shelf_place *p)
{
    return p->waiting || p->ch.state == COND_EPISODE;
}

int
shelf_stock(const struct shelf *s, uint16_t channel, int64_t now_ms, int64_t *mg,
            int64_t *uncertainty_mg)
{
    const struct shelf_place *p;
    bool moving;

    *mg = 0;
    *uncertainty_mg = 0;
    if (channel >= SENSOR_MAX_CHANNELS || !(p = &s->p[channel])->used)
        return -ENOENT;
    if (!p->first)
        return -EAGAIN;
    *mg = own(p) + p->inhand_mg;
    moving = busy(p);
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
        if (s->p[i].used && s->p[i].guest_owner == (int16_t)channel) {
            *mg += s->p[i].guest_mg;
            moving = moving || busy(&s->p[i]);
        }
    *uncertainty_mg = cond_uncertainty_mg(&p->ch, now_ms);
    if (p->ch.state == COND_FAULT)
        return -EIO;
    return moving ? -EBUSY : 0;
}
