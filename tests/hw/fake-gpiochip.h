/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A fake GPIO chip at the kernel boundary, for tests that run the real
 * libgpiod (v1 or v2) with no GPIO hardware. Linked into a test executable,
 * fake-gpiochip.c interposes the libc calls libgpiod makes to reach
 * /dev/gpiochipN (open, close, ioctl, stat, lstat, access, realpath, scandir)
 * and answers the GPIO character device uAPI v1 and v2 for the chips a test
 * added; everything else goes to the real libc. Inside such an executable
 * the real /dev/gpiochip* are hidden. Requests are real pipes, so poll and
 * read work on them: queued edges are struct gpioevent_data (v1) or struct
 * gpio_v2_line_event (v2) written into the pipe. Input values follow the
 * test's hooks; the values the code sets are handed to them. Each line has a
 * pin with a pull resistor: what a request's bias asked for, else what it had
 * (set by the test, as a Pi's firmware sets it); an input nothing drives (a
 * released button) reads what its pull pulls it to. Not thread safe.
 */
#ifndef PANTRY_TESTS_HW_FAKE_GPIOCHIP_H
#define PANTRY_TESTS_HW_FAKE_GPIOCHIP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#define FAKE_GPIOCHIP_MAX_CHIPS 4
#define FAKE_GPIOCHIP_MAX_LINES 32
/* The character device major the fake chips claim (the kernel's is dynamic). */
#define FAKE_GPIOCHIP_MAJOR 254

/* How the code has a line: as the fake chip saw its requests. */
enum fake_gpiochip_use {
    FAKE_GPIO_FREE = 0,
    FAKE_GPIO_INPUT,
    FAKE_GPIO_OUTPUT,
    FAKE_GPIO_EDGES, /* input with events on both edges */
};

/* A request's bias as the fake chip saw it, and a pin's pull resistor. */
enum fake_gpiochip_bias {
    FAKE_GPIO_BIAS_NONE = 0, /* request: none asked (as-is); pin: no resistor */
    FAKE_GPIO_PULL_UP,
    FAKE_GPIO_PULL_DOWN,
    FAKE_GPIO_BIAS_DISABLED, /* request: bias off asked explicitly */
};

struct fake_gpiochip_hooks {
    /* The code set an output line (also its initial value when requested). */
    void (*set)(void *ctx, unsigned chip, unsigned line, int value);
    /* The value of an input line the code reads; NULL: the fake's own value. */
    int (*get)(void *ctx, unsigned chip, unsigned line);
    void *ctx;
};

/* Forget every chip (closing nothing: call it with no request open). */
void fake_gpiochip_reset(void);

/* Add /dev/gpiochip<index> with a label and 1..FAKE_GPIOCHIP_MAX_LINES lines. */
void fake_gpiochip_add(unsigned index, const char *label, unsigned n_lines);

void fake_gpiochip_set_hooks(const struct fake_gpiochip_hooks *hooks);

/* Set an input's own value, driven from outside from then on (no edge is
 * queued). */
void fake_gpiochip_set_input(unsigned chip, unsigned line, int value);

/*
 * The pin's pull before a request asks one: what a Raspberry Pi's firmware
 * leaves (BCM 0..8 up, 9..27 down). A line added has none. A request asking
 * pull-up, pull-down or bias off sets the pin's pull, which stays after the
 * line is released, as on a Pi.
 */
void fake_gpiochip_set_pull(unsigned chip, unsigned line, enum fake_gpiochip_bias pull);

/* The bias the line's request asked for (FAKE_GPIO_BIAS_NONE when free). */
enum fake_gpiochip_bias fake_gpiochip_bias(unsigned chip, unsigned line);

/*
 * Drive an input from outside to value 0 or 1 (a pressed button), or with
 * value -1 stop driving it (a released button): its level then follows the
 * pin's pull (with none it stays where it was: a floating pin). A level change
 * on a line requested with edges queues that edge at ts_ns, as
 * fake_gpiochip_edge. Returns 0, -ENOENT for no such line, -EBUSY for a line
 * the code has as an output.
 */
int fake_gpiochip_drive(unsigned chip, unsigned line, int value, uint64_t ts_ns);

/* The value last driven on an output line. */
int fake_gpiochip_output(unsigned chip, unsigned line);

enum fake_gpiochip_use fake_gpiochip_use(unsigned chip, unsigned line);

/* The consumer name of the line's request ("" when free). */
const char *fake_gpiochip_consumer(unsigned chip, unsigned line);

/* True when the line's v2 request named the monotonic clock or none (v1). */
bool fake_gpiochip_monotonic(unsigned chip, unsigned line);

/*
 * Queue an edge on a line requested with edges, at ts_ns on CLOCK_MONOTONIC
 * (the kernel's stamp is converted to the clock the request asked for) and set
 * the line's value. Returns 0, or -ENOENT when the line has no edge request.
 */
int fake_gpiochip_edge(unsigned chip, unsigned line, bool rising, uint64_t ts_ns);

/* Open fds of the fake chips and their requests: 0 after a full release. */
int fake_gpiochip_open_fds(void);

/*
 * For the interposers of fake-gpiochip-t64.c, which see other struct types:
 * path_rdev gives 1 with the device number of a fake /dev/gpiochipN, -1 with
 * errno for a /dev/gpiochip* that is not there, 0 for other paths; ioctl
 * gives 1 with the result in *ret for an fd of the fake, else 0.
 */
int fake_gpiochip_path_rdev(const char *path, dev_t *rdev);

/* The C library's own definition of name (dlsym RTLD_NEXT); aborts if none. */
void *fake_gpiochip_real(const char *name);
int fake_gpiochip_ioctl(int fd, unsigned long req, void *arg, int *ret);

#endif
