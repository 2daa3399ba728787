/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Button press classification (see button.h): software debounce of raw edges,
 * then short, long and double presses, as a pure function of (state, edge or
 * tick, now_ms).
 *
 * Debounce waits for quiet: a run of raw edges (a burst) changes the debounced
 * level only once no edge has come for debounce_ms, and only if the line then
 * differs from the debounced level; the change is dated at the burst's first
 * edge, when the contact really moved. A burst that ends where it began is
 * noise and changes nothing.
 *
 * The classifier runs on debounced changes (press, release, at their dates) and
 * on timeouts:
 *
 *   phase     | press at t          | release at t        | timeout
 *   ----------+---------------------+---------------------+-----------------------
 *   IDLE      | DOWN,               | -                   | -
 *             |   down = first = t  |                     |
 *   DOWN      | -                   | WAIT, up = t        | at down + long:
 *             |                     |                     |   LONG(down), LONG_HELD
 *   WAIT      | DOWN2, down = t     | -                   | at up + double:
 *             |                     |                     |   SHORT(first), IDLE
 *   DOWN2     | -                   | DOUBLE(first), IDLE | at down + long:
 *             |                     |                     |   SHORT(first),
 *             |                     |                     |   LONG(down), LONG_HELD
 *   LONG_HELD | -                   | IDLE                | -
 *
 * A press is long when held >= long_ms; two presses make a double when the
 * second begins less than double_ms after the first ends. Debouncing delays a
 * change's decision by debounce_ms but not its date, so a timeout that falls
 * after the first edge of a burst still in progress waits for the burst to
 * settle: a release whose contact opened before long_ms is a short press even
 * if it was only debounced afterwards.
 */
#include <assert.h>
#include <errno.h>

#include "sensors/hw/button.h"

const char *
button_phase_to_str(enum button_phase p)
{
    static const char *const names[] = {"idle", "down", "wait", "down2", "long-held"};
    return (unsigned)p < sizeof(names) / sizeof(names[0]) ? names[p] : "?";
}

int
button_config_check(const struct button_config *cfg)
{
    if (cfg == NULL || cfg->debounce_ms < 0 || cfg->debounce_ms > 1000 ||
        cfg->long_ms <= cfg->debounce_ms || cfg->long_ms > 60000 ||
        cfg->double_ms < 0 || cfg->double_ms > 10000)
        return -EINVAL;
    return 0;
}

void
button_init(struct button_state *b, uint16_t button)
{
    *b = (struct button_state){.button = button, .phase = BUTTON_IDLE};
}

/* The deadline of the current phase's timeout, INT64_MAX when it has none. */
static int64_t
timeout_ms(const struct button_state *b, const struct button_config *cfg)
{
    switch (b->phase) {
    case BUTTON_DOWN:
    case BUTTON_DOWN2:
        return b->down_ms + cfg->long_ms;
    case BUTTON_WAIT:
        return b->up_ms + cfg->double_ms;
    default:
        return INT64_MAX;
    }
}

static void
emit(const struct button_state *b, int64_t t_ms, enum press_kind kind,
     struct press *out, int *n)
{
    /*
     * One step decides at most a timeout, a settled burst, a second timeout and,
     * with no debounce, the new edge: at most three presses (see the table).
     */
    assert(*n < BUTTON_MAX_PRESSES);
    out[(*n)++] =
        (struct press){.t_ms = t_ms, .button = b->button, .kind = (uint8_t)kind};
}

static void
on_timeout(struct button_state *b, struct press *out, int *n)
{
    switch (b->phase) {
    case BUTTON_DOWN:
        emit(b, b->down_ms, PRESS_LONG, out, n);
        b->phase = BUTTON_LONG_HELD;
        break;
    case BUTTON_WAIT:
        emit(b, b->first_ms, PRESS_SHORT, out, n);
        b->phase = BUTTON_IDLE;
        break;
    case BUTTON_DOWN2:
        emit(b, b->first_ms, PRESS_SHORT, out, n);
        emit(b, b->down_ms, PRESS_LONG, out, n);
        b->phase = BUTTON_LONG_HELD;
        break;
    default:
        break;
    }
}

/* The debounced level changed to b->stable at t_ms. */
static void
on_change(struct button_state *b, int64_t t_ms, struct press *out, int *n)
{
    switch (b->phase) {
    case BUTTON_IDLE:
        b->phase = BUTTON_DOWN;
        b->down_ms = b->first_ms = t_ms;
        break;
    case BUTTON_DOWN:
        b->phase = BUTTON_WAIT;
        b->up_ms = t_ms;
        break;
    case BUTTON_WAIT:
        b->phase = BUTTON_DOWN2;
        b->down_ms = t_ms;
        break;
    case BUTTON_DOWN2:
        emit(b, b->first_ms, PRESS_DOUBLE, out, n);
        b->phase = BUTTON_IDLE;
        break;
    default: /* BUTTON_LONG_HELD */
        b->phase = BUTTON_IDLE;
        break;
    }
}

/* Apply every timeout and debounce decision due by now_ms, in date order. */
static void
advance(struct button_state *b, const struct button_config *cfg, int64_t now_ms,
        struct press *out, int *n)
{
    for (;;) {
        int64_t deadline = timeout_ms(b, cfg);

        if (deadline <= now_ms && !(b->in_burst && b->burst_ms < deadline)) {
            on_timeout(b, out, n);
        } else if (b->in_burst && now_ms - b->edge_ms >= cfg->debounce_ms) {
            b->in_burst = false;
            if (b->raw != b->stable) {
                b->stable = b->raw;
                on_change(b, b->burst_ms, out, n);
            }
        } else {
            return;
        }
    }
}

static int
step(struct button_state *b, const struct button_config *cfg, int edge, int64_t now_ms,
     struct press *out, size_t max)
{
    int n = 0;

    if (b == NULL || out == NULL || button_config_check(cfg) < 0)
        return -EINVAL;
    if (max < BUTTON_MAX_PRESSES)
        return -ENOBUFS;
    if (now_ms < b->last_ms)
        now_ms = b->last_ms;
    b->last_ms = now_ms;
    advance(b, cfg, now_ms, out, &n);
    if (edge >= 0) {
        if (!b->in_burst) {
            b->in_burst = true;
            b->burst_ms = now_ms;
        }
        b->raw = edge != 0;
        b->edge_ms = now_ms;
        advance(b, cfg, now_ms, out, &n);
    }
    return n;
}

int
button_edge(struct button_state *b, const struct button_config *cfg, bool pressed,
            int64_t now_ms, struct press *out, size_t max)
{
    return step(b, cfg, pressed ? 1 : 0, now_ms, out, max);
}

int
button_tick(struct button_state *b, const struct button_config *cfg, int64_t now_ms,
            struct press *out, size_t max)
{
    return step(b, cfg, -1, now_ms, out, max);
}

int64_t
button_next_due_ms(const struct button_state *b, const struct button_config *cfg)
{
    int64_t due = timeout_ms(b, cfg);

    if (b->in_burst) {
        int64_t settle = b->edge_ms + cfg->debounce_ms;
        if (b->burst_ms < due || settle < due)
            due = settle;
    }
    return due;
}
