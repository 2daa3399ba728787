/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Button press classification: a pure state machine per button that takes raw
 * edges (which may bounce: libgpiod 1.6 has no kernel debounce) and ticks, each
 * with now_ms, and reports short, long and double presses. It never reads the
 * clock; the caller asks button_next_due_ms() when to tick next.
 */
#ifndef PANTRY_SENSORS_HW_BUTTON_H
#define PANTRY_SENSORS_HW_BUTTON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/sensor.h"

/* The most presses one call can report: two timeouts, each with two presses. */
#define BUTTON_MAX_PRESSES 4

struct button_config {
    /* A level counts once the line has been quiet this long, 0..1000 ms. */
    int64_t debounce_ms;
    /* Held at least this long is a long press, debounce_ms < long_ms <= 60000. */
    int64_t long_ms;
    /*
     * A second short press starting less than this after the first one's
     * release makes a double press, 0..10000 ms (0: no double presses; a short
     * press is then reported on release).
     */
    int64_t double_ms;
};

/* Typical values: 20 ms debounce, 800 ms long press, 400 ms double press. */
#define BUTTON_CONFIG_DEFAULT                                                          \
    {                                                                                  \
        .debounce_ms = 20, .long_ms = 800, .double_ms = 400                            \
    }

enum button_phase {
    BUTTON_IDLE,      /* up */
    BUTTON_DOWN,      /* first press held */
    BUTTON_WAIT,      /* released after a short press; a second may follow */
    BUTTON_DOWN2,     /* second press held */
    BUTTON_LONG_HELD, /* long press reported; waiting for release */
};

/* "idle", "down", "wait", "down2", "long-held"; "?" otherwise. */
const char *button_phase_to_str(enum button_phase p);

/* One button's state; fields are private to button.c. */
struct button_state {
    uint16_t button;
    uint8_t phase;    /* enum button_phase */
    bool stable;      /* debounced level: true when pressed */
    bool raw;         /* last raw level seen */
    bool in_burst;    /* raw edges seen since the line was last quiet */
    int64_t burst_ms; /* first edge of the burst: when the change really began */
    int64_t edge_ms;  /* last raw edge */
    int64_t down_ms;  /* the current press began */
    int64_t up_ms;    /* the first press ended (BUTTON_WAIT) */
    int64_t first_ms; /* the first press of a possible double began */
    int64_t last_ms;  /* latest now_ms seen: time never goes back */
};

/* Check a configuration; 0 or -EINVAL. */
int button_config_check(const struct button_config *cfg);

/* Start a button, released and idle, at time 0. */
void button_init(struct button_state *b, uint16_t button);

/*
 * A raw edge: pressed (after inverting active-low lines) at now_ms. Repeated
 * levels are fine (they count as bounce). A now_ms earlier than one already
 * seen is taken as that time. Writes the presses decided up to now_ms to out
 * (max at least BUTTON_MAX_PRESSES) and returns their number, or -EINVAL (bad
 * config or arguments) or -ENOBUFS.
 *
 * A press's t_ms is when it began: the first raw edge of the press, and for a
 * double press, of its first press. Presses come out in the order they
 * happened, decided by a release, a timeout or both.
 */
int button_edge(struct button_state *b, const struct button_config *cfg, bool pressed,
                int64_t now_ms, struct press *out, size_t max);

/* Time passes to now_ms with no edge; same results as button_edge. */
int button_tick(struct button_state *b, const struct button_config *cfg, int64_t now_ms,
                struct press *out, size_t max);

/* When a tick could next decide something; INT64_MAX when only an edge can. */
int64_t button_next_due_ms(const struct button_state *b,
                           const struct button_config *cfg);

#endif
