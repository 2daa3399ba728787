/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GPIO seam and GPIO buttons. The seam is a small struct of function
 * pointers over the line operations the HX711 and button backends need
 * (request input, output or edge events; get and set a value; read an edge
 * event) and the caller's monotonic microsecond clock. gpio-gpiod.c (libgpiod
 * v1) or gpio-gpiod2.c (v2) fills it when the build has libgpiod; tests fill
 * it with a fake, so the logic is tested on any machine. Buttons come as edge
 * events of input lines, with no debounce in the kernel: see button.h.
 */
#ifndef PANTRY_SENSORS_HW_GPIO_H
#define PANTRY_SENSORS_HW_GPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/sensor.h"

/*
 * The internal bias resistor asked for an input line. An input that nothing
 * drives (an open button) reads what the bias pulls it to; as-is leaves the
 * pin with whatever it had: on a Raspberry Pi, what the firmware set (BCM 0..8
 * pull up, 9..27 pull down at reset) or the last request left.
 */
enum gpio_bias {
    GPIO_BIAS_AS_IS = 0, /* none requested */
    GPIO_BIAS_PULL_UP,
    GPIO_BIAS_PULL_DOWN,
};

/* "as-is", "pull-up" or "pull-down"; "?" for no enum gpio_bias. */
const char *gpio_bias_to_str(enum gpio_bias bias);

/*
 * Line offsets are the chip's (BCM numbers on a Raspberry Pi's gpiochip0).
 * Every function returns 0 (get_value: the value 0 or 1) or a negative errno.
 */
struct gpio_seam_ops {
    /* Input with no bias requested (HX711's DOUT: the chip drives it). */
    int (*request_input)(void *ctx, unsigned line);
    int (*request_output)(void *ctx, unsigned line, int value);
    /* Input with events on both edges and the given bias. A chip without
     * bias support takes the request and ignores the bias (as the kernel). */
    int (*request_edges)(void *ctx, unsigned line, enum gpio_bias bias);
    int (*get_value)(void *ctx, unsigned line);
    int (*set_value)(void *ctx, unsigned line, int value);
    /*
     * The next queued edge of a line requested with request_edges, without
     * blocking: 1 with *rising and *t_us (when it happened, on the now_us
     * clock), 0 when none is queued, or a negative errno.
     */
    int (*read_event)(void *ctx, unsigned line, bool *rising, int64_t *t_us);
    /* An fd that polls readable when the line has events; -1 if none. */
    int (*event_fd)(void *ctx, unsigned line);
    /* Monotonic time in microseconds: the caller's clock. */
    int64_t (*now_us)(void *ctx);
    /* Release every line and ctx itself. */
    void (*release)(void *ctx);
};

struct gpio_seam {
    const struct gpio_seam_ops *ops;
    void *ctx;
};

struct gpio_buttons_config {
    size_t n_lines;                     /* 1..SENSOR_MAX_BUTTONS */
    unsigned lines[SENSOR_MAX_BUTTONS]; /* button i is line lines[i] */
    bool active_low; /* pressed pulls low: buttons to ground (else to 3V3) */
    int64_t poll_ms; /* when the seam has no event fds: 1..100 ms between reads */
};

/*
 * Create a button source over seam, which it owns from then on, also on
 * failure (it is released then). Requests every line with edge events and the
 * internal bias that holds a released button off: pull-up when active_low (a
 * button to ground), pull-down when not (a button to 3V3). Returns 0 with
 * *out, or a negative errno with *out NULL and a message in err.
 *
 * read_edges returns the queued edges of all lines, oldest first, pressed
 * after active_low is applied, dated now_ms minus their age on the seam's
 * clock. max must be at least n_lines (else -ENOBUFS). poll_fd is an epoll fd
 * over the lines' event fds, or -1 when the seam has none; next_due_ms is then
 * now + poll_ms, else INT64_MAX.
 */
int gpio_buttons_new(const struct gpio_buttons_config *cfg, struct gpio_seam seam,
                     struct sample_source **out, char *err, size_t errlen);

#endif
