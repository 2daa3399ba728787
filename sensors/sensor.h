/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The types every part of sensors/ shares: raw load-cell samples and button
 * edges as sources produce them, button presses as the classifier reports them,
 * stock events as conditioning reports them, and the small ops struct behind
 * which every source sits (Linux IIO, HX711 over libgpiod, GPIO buttons, evdev
 * keys, replay of a recorded trace).
 *
 * Time is milliseconds since the Unix epoch (int64_t) everywhere in sensors/:
 * samples come at 10 to 80 Hz. Sources never read the clock: the caller passes
 * now_ms, from the real clock or from a trace's virtual clock.
 */
#ifndef PANTRY_SENSORS_SENSOR_H
#define PANTRY_SENSORS_SENSOR_H

#include <stddef.h>
#include <stdint.h>

#define SENSOR_MAX_CHANNELS 16
#define SENSOR_MAX_BUTTONS 16

/* What a source could say about one reading. Only SAMPLE_OK carries a value. */
enum sample_status {
    SAMPLE_OK,        /* raw is a valid reading */
    SAMPLE_EIO,       /* the driver or bus reported an I/O error */
    SAMPLE_TIMEOUT,   /* no conversion in time (the hx711 driver's ~1 s timeout) */
    SAMPLE_SATURATED, /* the ADC's saturation code (0x7FFFFF / 0x800000) */
    SAMPLE_INVALID,   /* unparsable or impossible value */
};

/* "ok", "eio", "timeout", "saturated", "invalid"; "?" otherwise. */
const char *sample_status_to_str(enum sample_status s);

struct sample {
    int64_t t_ms;     /* when it was taken */
    int32_t raw;      /* signed 24-bit ADC counts, valid when status is SAMPLE_OK */
    uint16_t channel; /* < SENSOR_MAX_CHANNELS */
    uint8_t status;   /* enum sample_status */
};

struct button_edge {
    int64_t t_ms;
    uint16_t button; /* < SENSOR_MAX_BUTTONS */
    uint8_t pressed; /* 1 pressed, 0 released (after inverting active-low lines) */
};

enum press_kind {
    PRESS_SHORT,  /* order this item now */
    PRESS_LONG,   /* cancel its open order */
    PRESS_DOUBLE, /* confirm a planned order */
};

/* "short", "long", "double"; "?" otherwise. */
const char *press_kind_to_str(enum press_kind k);

struct press {
    int64_t t_ms;
    uint16_t button;
    uint8_t kind; /* enum press_kind */
};

/* What conditioning makes of a channel's settled weight. */
enum stock_kind {
    STOCK_CONSUME,   /* mg used (a step down, or the difference across a lift) */
    STOCK_REFILL,    /* mg added, at least the configured share of a pack */
    STOCK_AWAY,      /* the item was lifted and is not back yet */
    STOCK_BACK,      /* it came back (a STOCK_CONSUME may follow) */
    STOCK_EMPTY,     /* away for longer than allowed: taken as used up */
    STOCK_MOVED,     /* a transient: bumped or moved, no change in stock */
    STOCK_FAULT,     /* the channel stopped giving trustworthy readings */
    STOCK_FAULT_END, /* trustworthy again */
};

/* "consume", "refill", "away", "back", "empty", "moved", "fault", "fault-end". */
const char *stock_kind_to_str(enum stock_kind k);

/* What more an event says (stock_event.flags), for the history and the logs. */
enum stock_flag {
    STOCK_F_SLOW = 1 << 0,    /* CONSUME: a slow loss (a leak), not one take */
    STOCK_F_STUCK = 1 << 1,   /* FAULT: the ADC repeats one raw code */
    STOCK_F_NODATA = 1 << 2,  /* FAULT: no sample at all for too long */
    STOCK_F_FOREIGN = 1 << 3, /* MOVED: a load that is not the item came or went */
    STOCK_F_SHIFT = 1 << 4,   /* MOVED: weight moved between platforms */
    STOCK_F_LEFT = 1 << 5,    /* MOVED: a load set down earlier was taken away */
};

/*
 * The names of the flags set in flags, ", "-separated ("slow", "stuck", "no data",
 * "foreign load", "shifted", "taken away"), into buf (always terminated).
 */
void stock_flags_to_str(unsigned flags, char *buf, size_t len);

struct stock_event {
    int64_t t_ms;
    int64_t mg;       /* amount for CONSUME/REFILL; settled net weight otherwise */
    uint16_t channel; /* the item's channel (its weight may stand on another) */
    uint8_t kind;     /* enum stock_kind */
    uint8_t flags;    /* enum stock_flag */
};

/*
 * A source of samples and/or button edges. A backend embeds struct
 * sample_source first in its own state and fills in ops. Every function may be
 * NULL when the source has nothing of that kind.
 */
struct sample_source;

struct sample_source_ops {
    const char *name;
    /*
     * Non-blocking: up to max samples or edges available at now_ms. Returns the
     * number written (0: nothing now), or a negative errno for a failure of the
     * source itself (a bad reading is a sample with a status, not an error).
     */
    int (*read_samples)(struct sample_source *s, int64_t now_ms, struct sample *out,
                        size_t max);
    int (*read_edges)(struct sample_source *s, int64_t now_ms, struct button_edge *out,
                      size_t max);
    /* A file descriptor to poll for input, or -1 if the source is read on a timer. */
    int (*poll_fd)(const struct sample_source *s);
    /* When to call again if nothing wakes the caller earlier (INT64_MAX: never). */
    int64_t (*next_due_ms)(const struct sample_source *s, int64_t now_ms);
    /* Release everything; s may not be used afterwards. */
    void (*free)(struct sample_source *s);
    /* Presses a device classified itself (a zigbee2mqtt button says "single"
     * or "hold"), as read_edges: they bypass the edge classifier. */
    int (*read_presses)(struct sample_source *s, int64_t now_ms, struct press *out,
                        size_t max);
};

struct sample_source {
    const struct sample_source_ops *ops;
};

/* Free a source through its ops; NULL is fine. */
void sample_source_free(struct sample_source *s);

#endif
