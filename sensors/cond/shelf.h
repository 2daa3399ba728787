/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Conditioning, the shelf half: the platforms of one shelf judged as a whole.
 * Each platform's channel (cond.h) reports an episode only once it has settled;
 * the shelf decides what the net changes mean, and keeps a ledger of what
 * stands where:
 *
 *  - a drop on one platform matched by a near-equal rise on another (episodes
 *    opened within the move window) is a move, not a take and a refill; what
 *    the rise lacks is what was taken; a jar straddling two platforms is read
 *    from their sum;
 *  - a rise on two platforms at once (a cat, a tray), or one too large to be a
 *    refill, is a foreign load: never stock, and when it leaves, never a take;
 *  - a load set down and taken away again within the memory (a phone, a mug, a
 *    parked jar, a pack's packaging) is no event either way;
 *  - a refill counts only once it has stood for the refill hold;
 *  - a whole item lifted off its platform is in hand: away after a while, back
 *    when a rise on any platform fits it, used up after empty_after;
 *  - after a fault, a level that comes back to where it was is no change.
 *
 * Stock events come out per item (the channel of the item's own platform), at
 * the time they were judged. An item's stock is its weight on its own platform,
 * plus its jar on another, plus its jar in hand; it is not *settled* while an
 * episode is open on a platform that holds any of it.
 *
 * No heap, no clock, no floating point. Time in ms since the epoch, mass in mg.
 */
#ifndef PANTRY_SENSORS_SHELF_H
#define PANTRY_SENSORS_SHELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/cond/cond.h"
#include "sensors/sensor.h"

#define SHELF_LOADS 4 /* loads remembered per platform */
/* Events one call can return, at most (the caller's buffer must be this large). */
#define SHELF_MAX_EVENTS (4 * SENSOR_MAX_CHANNELS)

/* A load on a platform that may be taken away again without being used. */
enum shelf_load_kind {
    SHELF_LOAD_NONE,
    SHELF_LOAD_SMALL,   /* a rise too small for a refill: counted as stock */
    SHELF_LOAD_REFILL,  /* a refill waiting for its hold: counted as stock */
    SHELF_LOAD_DONE,    /* a refill that counted: taken away again, no take */
    SHELF_LOAD_EXTRA,   /* a refill's grams beyond whole packs (packaging) */
    SHELF_LOAD_FOREIGN, /* a foreign load: not stock */
};

struct shelf_load {
    int64_t mg;          /* what was set down (and would be taken away) */
    int64_t contents_mg; /* REFILL: the grams of the item it brings */
    int64_t since_ms;
    int64_t open_ms; /* when the episode that set it down opened */
    int64_t back_mg; /* REFILL that came with an item in hand: its weight then */
    uint8_t kind;    /* enum shelf_load_kind */
};

/* One platform and the item whose own it is. */
struct shelf_place {
    struct cond_channel ch;
    bool used;
    bool first;            /* the first level is known */
    bool waiting;          /* an episode settled and waits for related ones */
    bool away_said;        /* AWAY was reported for the item in hand */
    int16_t guest_owner;   /* the item (channel) of guest_mg, -1: none */
    int64_t base_mg;       /* the ledger's level of the platform */
    int64_t guest_mg;      /* another item's jar standing here */
    int64_t foreign_mg;    /* foreign loads standing here */
    struct cond_note cand; /* the settled episode that waits */
    int64_t wait_ms;       /* since when it waits */
    /* the item of this platform, lifted off any platform and not back */
    int64_t inhand_mg;
    int64_t inhand_since_ms;
    int64_t expect_mg; /* a delivery on its way, net (shelf_expect()), 0: none */
    struct shelf_load load[SHELF_LOADS];
};

struct shelf {
    struct shelf_place p[SENSOR_MAX_CHANNELS];
    /*
     * The earliest timer, kept so that asking costs nothing per sample: waits,
     * holds and items in hand exactly, the no-data timers as of the last scan
     * (samples since only push them later, so it is never late).
     */
    int64_t due_ms;
    /* When the last episode judged a foreign load opened (INT64_MIN: none): a
     * rise that opened with it is the same load, judged later. */
    int64_t foreign_open_ms;
};

/* An empty shelf. */
void shelf_init(struct shelf *s);

/*
 * A delivery of mg (net, an order's packs) may come to channel's item: a rise up
 * to it, a tenth more and the container, can be its refill even beyond
 * refill_max (an order of more packs than a cat weighs in packs); 0 when none
 * is on its way. The agent says so when an order leaves and when a refill came.
 */
void shelf_expect(struct shelf *s, uint16_t channel, int64_t mg);

/*
 * Add the platform of channel with its configuration (which must outlive the
 * shelf and pass cond_config_check()) and calibration, at now_ms. Returns 0,
 * -EINVAL (channel out of range, a bad calibration), -EEXIST (added before).
 */
int shelf_add(struct shelf *s, uint16_t channel, const struct cond_config *cfg,
              const struct cond_cal *cal, int64_t now_ms);

/*
 * A new calibration for the platform of channel, at now_ms: its channel starts
 * again (the level must settle anew); foreign loads, guests and remembered loads
 * on it are forgotten, an item in hand stays in hand. 0, -ENOENT (not added),
 * -EINVAL (a bad calibration: nothing changed).
 */
int shelf_recalibrate(struct shelf *s, uint16_t channel, const struct cond_cal *cal,
                      int64_t now_ms);

/* The channel of a platform (its zero, its calibration), or NULL if not added. */
struct cond_channel *shelf_channel(struct shelf *s, uint16_t channel);

/*
 * One sample (of any channel; channels not added are ignored; older samples
 * than a channel's last are ignored). Writes up to SHELF_MAX_EVENTS events to
 * out and returns how many.
 */
int shelf_sample(struct shelf *s, const struct sample *smp, struct stock_event *out);

/* Timers due at now_ms (no data, waits, refill holds, away, empty); as above. */
int shelf_tick(struct shelf *s, int64_t now_ms, struct stock_event *out);

/* When shelf_tick() has something to do at the earliest (INT64_MAX: nothing). */
int64_t shelf_next_due_ms(const struct shelf *s);

/*
 * The stock of the item of channel: its gross weight in mg (container
 * included) and the uncertainty. Returns 0 (settled), -EAGAIN before the first
 * level (outputs 0), -EIO while its platform is in fault (the last trusted
 * weight), -EBUSY while an episode is open on a platform holding part of it (the
 * weight before the episode), -ENOENT for a channel not added.
 */
int shelf_stock(const struct shelf *s, uint16_t channel, int64_t now_ms, int64_t *mg,
                int64_t *uncertainty_mg);

#endif
