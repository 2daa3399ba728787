/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The libgpiod seam (gpio-gpiod.c over v1, gpio-gpiod2.c over v2: whichever
 * the build found) through the REAL libgpiod, against the fake GPIO chip of
 * fake-gpiochip.h at the kernel boundary: opening a chip by name, number,
 * path and label, and a missing one; requests, values, edges (order, kind,
 * timestamps on CLOCK_MONOTONIC in us) and their pollable fds; release
 * closing everything; the bias each request asked, as the kernel sees it.
 * Then the logic above the seam: an HX711 read whose DOUT answers the PD_SCK
 * pulses the source sets, GPIO buttons seeing a press, and buttons on a Pi's
 * pins whose reset pull is the wrong way for them, seen pressed and released
 * through the pull-up or pull-down they ask for. The same file passes with v1
 * and v2.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/hw/fake-gpiochip.h"
#include "sensors/hw/gpio-gpiod.h"
#include "tests/harness.h"
#include "sensors/hw/hx711.h"

/* The seam's clock: 1 us further at every reading, so no pulse looks long. */
static int64_t clock_us;

static int64_t
test_now_us(void *ctx)
{
    (void)ctx;
    return ++clock_us;
}

static uint64_t
mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
two_chips(void)
{
    fake_gpiochip_reset();
    fake_gpiochip_add(0, "pinctrl-bcm2835", 32);
    fake_gpiochip_add(1, "fake-expander", 8);
}

static int
open_chip(const char *chip, struct gpio_seam *seam, char *err, size_t errlen)
{
    err[0] = '\0';
    return gpio_seam_gpiod_open(chip, "pantry-test", test_now_us, NULL, seam, err,
                                errlen);
}

/* Which chip the seam opened: request line 7 and see which fake chip has it. */
static int
which_chip(struct gpio_seam *seam)
{
    int r = seam->ops->request_input(seam->ctx, 7);

    if (r < 0)
        return r;
    for (unsigned c = 0; c < 2; c++)
        if (fake_gpiochip_use(c, 7) == FAKE_GPIO_INPUT)
            return (int)c;
    return -1;
}

static void
test_open(void)
{
    const char *ways[][2] = {
        {"gpiochip1", "1"},       {"1", "1"},
        {"/dev/gpiochip1", "1"},  {"fake-expander", "1"},
        {"pinctrl-bcm2835", "0"}, {"0", "0"},
    };
    struct gpio_seam seam = {0};
    char err[300];

    two_chips();
    for (size_t i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        int r = open_chip(ways[i][0], &seam, err, sizeof(err));
        CHECK_MSG(r == 0, "open '%s': %d %s", ways[i][0], r, err);
        if (r != 0)
            continue;
        CHECK_MSG(which_chip(&seam) == ways[i][1][0] - '0',
                  "'%s' opened the wrong chip", ways[i][0]);
        seam.ops->release(seam.ctx);
        CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
    }

    /* Missing: by name, number, path and label; the message names the chip. */
    const char *missing[] = {"gpiochip3", "3", "/dev/gpiochip3", "no-such-label"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(missing[0]); i++) {
        int r = open_chip(missing[i], &seam, err, sizeof(err));
        CHECK_MSG(r == -ENOENT, "open '%s': %d, expected -ENOENT", missing[i], r);
        CHECK_MSG(strstr(err, missing[i]) != NULL && strstr(err, "gpiodetect") != NULL,
                  "error text: %s", err);
        CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
    }
    /* A file that is not a GPIO chip. */
    CHECK(open_chip("/dev/null", &seam, err, sizeof(err)) < 0);
    CHECK_MSG(strstr(err, "/dev/null") != NULL, "error text: %s", err);
    CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
}

static void
test_lines(void)
{
    struct gpio_seam seam = {0};
    char err[300];
    bool rising = false;
    int64_t t_us = 0;

    two_chips();
    CHECK_MSG(open_chip("gpiochip0", &seam, err, sizeof(err)) == 0, "%s", err);
    if (seam.ops == NULL)
        return;
    void *c = seam.ctx;
    const struct gpio_seam_ops *o = seam.ops;

    /* Output: the initial value and every set reach the chip. */
    CHECK_EQ_I64(o->request_output(c, 5, 1), 0);
    CHECK_EQ_I64(fake_gpiochip_use(0, 5), FAKE_GPIO_OUTPUT);
    CHECK(strcmp(fake_gpiochip_consumer(0, 5), "pantry-test") == 0);
    CHECK_EQ_I64(fake_gpiochip_output(0, 5), 1);
    CHECK_EQ_I64(o->set_value(c, 5, 0), 0);
    CHECK_EQ_I64(fake_gpiochip_output(0, 5), 0);
    CHECK_EQ_I64(o->set_value(c, 5, 1), 0);
    CHECK_EQ_I64(fake_gpiochip_output(0, 5), 1);
    CHECK_EQ_I64(o->get_value(c, 5), 1);

    /* Input: values follow the chip; setting an input is refused. */
    CHECK_EQ_I64(o->request_input(c, 6), 0);
    CHECK_EQ_I64(fake_gpiochip_use(0, 6), FAKE_GPIO_INPUT);
    CHECK_EQ_I64(fake_gpiochip_bias(0, 6), FAKE_GPIO_BIAS_NONE);
    fake_gpiochip_set_input(0, 6, 1);
    CHECK_EQ_I64(o->get_value(c, 6), 1);
    fake_gpiochip_set_input(0, 6, 0);
    CHECK_EQ_I64(o->get_value(c, 6), 0);
    CHECK(o->set_value(c, 6, 1) < 0);

    /* Line errors: beyond the chip, and taken twice. */
    CHECK(o->request_input(c, 32) < 0);
    CHECK(o->request_input(c, 6) < 0);

    /* Edges: none queued, then two in order, with monotonic timestamps. */
    CHECK_EQ_I64(o->request_edges(c, 17, GPIO_BIAS_PULL_UP), 0);
    CHECK_EQ_I64(fake_gpiochip_use(0, 17), FAKE_GPIO_EDGES);
    CHECK(fake_gpiochip_monotonic(0, 17));
    /* The bias each edge request asks reaches the kernel. */
    CHECK_EQ_I64(fake_gpiochip_bias(0, 17), FAKE_GPIO_PULL_UP);
    CHECK_EQ_I64(o->request_edges(c, 18, GPIO_BIAS_PULL_DOWN), 0);
    CHECK_EQ_I64(fake_gpiochip_bias(0, 18), FAKE_GPIO_PULL_DOWN);
    CHECK_EQ_I64(o->request_edges(c, 19, GPIO_BIAS_AS_IS), 0);
    CHECK_EQ_I64(fake_gpiochip_use(0, 19), FAKE_GPIO_EDGES);
    CHECK_EQ_I64(fake_gpiochip_bias(0, 19), FAKE_GPIO_BIAS_NONE);
    CHECK_EQ_I64(o->read_event(c, 17, &rising, &t_us), 0);
    int fd = o->event_fd(c, 17);
    CHECK(fd >= 0);
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ_I64(poll(&p, 1, 0), 0);

    uint64_t t0 = mono_ns();
    CHECK_EQ_I64(fake_gpiochip_edge(0, 17, true, t0), 0);
    CHECK_EQ_I64(fake_gpiochip_edge(0, 17, false, t0 + 2345678), 0);
    CHECK_EQ_I64(fake_gpiochip_edge(0, 6, true, t0), -ENOENT); /* no edge request */
    CHECK_EQ_I64(poll(&p, 1, 0), 1);
    CHECK(p.revents & POLLIN);
    CHECK_EQ_I64(o->get_value(c, 17), 0);
    CHECK_EQ_I64(o->read_event(c, 17, &rising, &t_us), 1);
    CHECK(rising);
    CHECK_EQ_I64(t_us, (int64_t)(t0 / 1000));
    CHECK_EQ_I64(o->read_event(c, 17, &rising, &t_us), 1);
    CHECK(!rising);
    CHECK_EQ_I64(t_us, (int64_t)((t0 + 2345678) / 1000));
    CHECK_EQ_I64(o->read_event(c, 17, &rising, &t_us), 0);
    p.revents = 0;
    CHECK_EQ_I64(poll(&p, 1, 0), 0);
    CHECK_EQ_I64(o->event_fd(c, 5), -1); /* an output has no events */

    /* Release closes the chip and every request, and frees the lines. */
    CHECK_EQ_I64(fake_gpiochip_open_fds(), 6);
    o->release(c);
    CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
    CHECK_EQ_I64(fake_gpiochip_use(0, 5), FAKE_GPIO_FREE);
    CHECK_EQ_I64(fake_gpiochip_use(0, 17), FAKE_GPIO_FREE);
    CHECK_EQ_I64(fake_gpiochip_bias(0, 17), FAKE_GPIO_BIAS_NONE);
}

/* An HX711 on lines DOUT 23, PD_SCK 24 of chip 0: DOUT answers the pulses. */
#define DOUT 23
#define SCK 24

struct hx711_model {
    uint32_t codes[4]; /* the conversions, in order */
    int n, head;       /* head < n: a conversion is ready */
    int sck;
    int pulses;       /* of the read under way */
    int total_pulses; /* of every read */
};

/* The datasheet's chip at A/128: each read is 24 bits and 1 gain pulse. */
static void
hx_set(void *ctx, unsigned chip, unsigned line, int value)
{
    struct hx711_model *m = ctx;

    if (chip != 0 || line != SCK)
        return;
    if (value && !m->sck && m->head < m->n) {
        m->pulses++;
        m->total_pulses++;
    }
    if (!value && m->sck && m->pulses == 25) {
        m->pulses = 0; /* this conversion is out: the next one is ready */
        m->head++;
    }
    m->sck = value;
}

static int
hx_get(void *ctx, unsigned chip, unsigned line)
{
    struct hx711_model *m = ctx;

    if (chip != 0 || line != DOUT || m->head >= m->n)
        return 1;
    if (m->pulses == 0)
        return 0; /* a conversion is ready */
    if (m->pulses <= 24)
        return (int)((m->codes[m->head] >> (24 - m->pulses)) & 1);
    return 1; /* the 25th pulse pulls DOUT high */
}

static void
test_hx711(void)
{
    /* The first conversion after start is dropped (its gain is unknown). */
    struct hx711_model m = {.codes = {0x111111, 0xFFF000, 0x012345}, .n = 3};
    struct fake_gpiochip_hooks h = {.set = hx_set, .get = hx_get, .ctx = &m};
    struct hx711_config cfg = {
        .n_chips = 1,
        .chips = {{.dout_line = DOUT, .sck_line = SCK, .gain = 128}},
        .period_ms = 100,
        .timeout_ms = 1000,
        .max_tries = 3,
    };
    struct sample_source *s = NULL;
    struct gpio_seam seam = {0};
    struct sample out[2];
    char err[300];

    two_chips();
    fake_gpiochip_set_hooks(&h);
    CHECK_MSG(open_chip("pinctrl-bcm2835", &seam, err, sizeof(err)) == 0, "%s", err);
    if (seam.ops == NULL)
        return;
    CHECK_MSG(hx711_new(&cfg, seam, &s, err, sizeof(err)) == 0, "%s", err);
    if (s == NULL)
        return;
    CHECK_EQ_I64(fake_gpiochip_use(0, SCK), FAKE_GPIO_OUTPUT);
    CHECK_EQ_I64(fake_gpiochip_use(0, DOUT), FAKE_GPIO_INPUT);
    CHECK_EQ_I64(fake_gpiochip_bias(0, DOUT), FAKE_GPIO_BIAS_NONE); /* chip-driven */
    CHECK_EQ_I64(s->ops->read_samples(s, 1000, out, 2), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_OK);
    CHECK_EQ_I64(out[0].raw, -4096);      /* 0xFFF000, two's complement */
    CHECK_EQ_I64(m.total_pulses, 2 * 25); /* 24 bits and 1 for A/128, twice */
    CHECK_EQ_I64(m.sck, 0);
    CHECK_EQ_I64(fake_gpiochip_output(0, SCK), 0);

    /* The next conversion, positive. */
    CHECK_EQ_I64(s->ops->read_samples(s, 1100, out, 2), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_OK);
    CHECK_EQ_I64(out[0].raw, 0x012345);
    CHECK_EQ_I64(m.total_pulses, 3 * 25);
    sample_source_free(s);
    CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
}

static void
test_buttons(void)
{
    struct gpio_buttons_config cfg = {
        .n_lines = 2, .lines = {2, 3}, .active_low = true, .poll_ms = 10};
    struct sample_source *s = NULL;
    struct button_edge out[8];
    struct gpio_seam seam = {0};
    char err[300];

    two_chips();
    CHECK_MSG(open_chip("gpiochip1", &seam, err, sizeof(err)) == 0, "%s", err);
    if (seam.ops == NULL)
        return;
    CHECK_MSG(gpio_buttons_new(&cfg, seam, &s, err, sizeof(err)) == 0, "%s", err);
    if (s == NULL)
        return;
    CHECK_EQ_I64(fake_gpiochip_use(1, 2), FAKE_GPIO_EDGES);
    CHECK_EQ_I64(fake_gpiochip_use(1, 3), FAKE_GPIO_EDGES);
    CHECK_EQ_I64(fake_gpiochip_bias(1, 2), FAKE_GPIO_PULL_UP); /* active low */
    CHECK_EQ_I64(fake_gpiochip_bias(1, 3), FAKE_GPIO_PULL_UP);
    CHECK(s->ops->poll_fd(s) >= 0); /* the event fds are real */

    /* A press on button 1 (falling: active low) 300 ms before now, released
     * 100 ms later; the seam's clock reads 10 s next. */
    clock_us = 9999999;
    CHECK_EQ_I64(fake_gpiochip_edge(1, 3, false, 9700000000u), 0);
    CHECK_EQ_I64(fake_gpiochip_edge(1, 3, true, 9800000000u), 0);
    struct pollfd p = {.fd = s->ops->poll_fd(s), .events = POLLIN};
    CHECK_EQ_I64(poll(&p, 1, 0), 1);
    CHECK_EQ_I64(s->ops->read_edges(s, 50000, out, 8), 2);
    CHECK_EQ_I64(out[0].button, 1);
    CHECK_EQ_I64(out[0].pressed, 1);
    CHECK_EQ_I64(out[0].t_ms, 49700);
    CHECK_EQ_I64(out[1].button, 1);
    CHECK_EQ_I64(out[1].pressed, 0);
    CHECK_EQ_I64(out[1].t_ms, 49800);
    CHECK_EQ_I64(s->ops->read_edges(s, 50000, out, 8), 0);
    sample_source_free(s);
    CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
}

/*
 * One button on a Pi's pin whose reset pull is the wrong way for it, pressed
 * at 9.7 s and released at 9.8 s, read at 10 s: with the bias the source asks,
 * the released button reads released and both edges come out; with the pin's
 * own pull it would read pressed for good and show no edge at all.
 */
static void
press_and_release(unsigned line, bool active_low, enum fake_gpiochip_bias reset_pull)
{
    struct gpio_buttons_config cfg = {
        .n_lines = 1, .lines = {line}, .active_low = active_low, .poll_ms = 10};
    struct sample_source *s = NULL;
    struct button_edge out[4] = {0};
    struct gpio_seam seam = {0};
    char err[300];
    int released = active_low ? 1 : 0;

    fake_gpiochip_reset();
    fake_gpiochip_add(0, "pinctrl-bcm2835", 32);
    fake_gpiochip_set_pull(0, line, reset_pull);
    CHECK_MSG(open_chip("gpiochip0", &seam, err, sizeof(err)) == 0, "%s", err);
    if (seam.ops == NULL)
        return;
    CHECK_MSG(gpio_buttons_new(&cfg, seam, &s, err, sizeof(err)) == 0, "%s", err);
    if (s == NULL)
        return;
    CHECK_EQ_I64(fake_gpiochip_bias(0, line),
                 active_low ? FAKE_GPIO_PULL_UP : FAKE_GPIO_PULL_DOWN);
    /* The source owns the seam; its ops still read the line's level. */
    CHECK_MSG(seam.ops->get_value(seam.ctx, line) == released,
              "line %u: a released button reads %s", line,
              released ? "low: pressed" : "high: pressed");

    clock_us = 9999999;
    CHECK_EQ_I64(fake_gpiochip_drive(0, line, !released, 9700000000u), 0);
    CHECK_EQ_I64(fake_gpiochip_drive(0, line, -1, 9800000000u), 0);
    CHECK_EQ_I64(s->ops->read_edges(s, 50000, out, 4), 2);
    CHECK_EQ_I64(out[0].pressed, 1);
    CHECK_EQ_I64(out[0].t_ms, 49700);
    CHECK_EQ_I64(out[1].pressed, 0);
    CHECK_EQ_I64(out[1].t_ms, 49800);
    CHECK_EQ_I64(seam.ops->get_value(seam.ctx, line), released);
    sample_source_free(s);
    CHECK_EQ_I64(fake_gpiochip_open_fds(), 0);
}

static void
test_button_pulls(void)
{
    /* A button to ground on GPIO 17, which resets to pull-down. */
    press_and_release(17, true, FAKE_GPIO_PULL_DOWN);
    /* A button to 3V3 on GPIO 4, which resets to pull-up. */
    press_and_release(4, false, FAKE_GPIO_PULL_UP);
}

int
main(void)
{
    RUN(test_open);
    RUN(test_lines);
    RUN(test_hx711);
    RUN(test_buttons);
    RUN(test_button_pulls);
    fake_gpiochip_reset();
    return th_done();
}
