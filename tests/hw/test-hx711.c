/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The HX711 bit-bang and GPIO buttons through a fake GPIO seam. The fake HX711
 * follows the datasheet: DOUT low when a conversion is ready, each PD_SCK
 * rising edge shifts out the next bit MSB first, the pulses after the 24th set
 * the next gain (1: A/128, 2: B/32, 3: A/64), PD_SCK high for more than 60 us
 * powers it down and loses the conversion, and it wakes at A/128 with its next
 * conversion 1000 us later. Its clock advances 1 us per reading, plus
 * scripted stretches (a preempted process).
 * Expected raw values are the two's complement of the scripted codes, by hand.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sensors/hw/gpio.h"
#include "tests/harness.h"
#include "sensors/hw/hx711.h"

#define SCK 5
#define DOUT 6

struct fake_edge {
    int rising;
    int64_t t_us;
};

struct fake {
    int64_t t_us;
    int released;
    int fail_request; /* line whose request fails, or -1 */
    int fail_get;     /* errno to fail get_value with, or 0 */
    /* HX711 */
    uint32_t queue[16];
    int nq, head;
    int sck;
    int64_t high_since;
    int reading;     /* a conversion is being shifted out */
    int pulses;      /* in this read */
    int gain_pulses; /* set by the last read (1 after power-up) */
    int powerdowns;
    int64_t ready_at_us; /* after a power-down, the first conversion takes time */
    int dout_stuck_low;  /* the data line is shorted low: DOUT reads 0 always */
    int stretch_pulse;   /* stretch this pulse of each read (1-based), 0 none */
    int stretch_reads;   /* for this many reads */
    int64_t stretch_us;
    int read_pulses[32]; /* pulses of each completed read */
    int n_reads;
    /* buttons: per line a queue of edges */
    struct fake_edge ev[4][8];
    int nev[4], evhead[4];
    int event_fd[4];
    int bias[4]; /* as requested with edges; -1: not requested */
};

static int
f_request_input(void *ctx, unsigned line)
{
    struct fake *f = ctx;
    return (int)line == f->fail_request ? -EBUSY : 0;
}

static int
f_request_output(void *ctx, unsigned line, int value)
{
    struct fake *f = ctx;
    if ((int)line == f->fail_request)
        return -EBUSY;
    if (line == SCK)
        f->sck = value;
    return 0;
}

static int
f_request_edges(void *ctx, unsigned line, enum gpio_bias bias)
{
    struct fake *f = ctx;
    if ((int)line == f->fail_request)
        return -EBUSY;
    if (line < 4)
        f->bias[line] = (int)bias;
    return 0;
}

static int
ready(const struct fake *f)
{
    return f->head < f->nq && f->t_us >= f->ready_at_us;
}

static int
dout(const struct fake *f)
{
    if (f->dout_stuck_low)
        return 0;
    if (f->reading) {
        /* After the 24th bit DOUT stays low until the 25th pulse pulls it high. */
        if (f->pulses >= 1 && f->pulses <= 24)
            return (f->queue[f->head] >> (24 - f->pulses)) & 1;
        return f->pulses == 0 ? 0 : 1;
    }
    return ready(f) ? 0 : 1;
}

static void
finish_read(struct fake *f)
{
    if (!f->reading)
        return;
    f->reading = 0;
    f->read_pulses[f->n_reads++ % 32] = f->pulses;
    f->gain_pulses = f->pulses - 24;
    f->head++;
}

static int
f_get_value(void *ctx, unsigned line)
{
    struct fake *f = ctx;
    if (f->fail_get)
        return -f->fail_get;
    /* The host looks at DOUT with the clock low only for its next read: the last
     * one is over. (With the clock high at the 25th pulse it checks DOUT rose.) */
    if (f->reading && f->pulses >= 25 && !f->sck)
        finish_read(f);
    return line == DOUT ? dout(f) : f->sck;
}

static int
f_set_value(void *ctx, unsigned line, int value)
{
    struct fake *f = ctx;

    if (line != SCK)
        return -EINVAL;
    if (value && !f->sck) {
        if (!f->reading && ready(f)) {
            f->reading = 1;
            f->pulses = 0;
        }
        if (f->reading)
            f->pulses++;
        f->high_since = f->t_us;
        if (f->reading && f->pulses == f->stretch_pulse && f->stretch_reads > 0) {
            f->stretch_reads--;
            f->t_us += f->stretch_us; /* preempted while PD_SCK is high */
        }
    } else if (!value && f->sck) {
        if (f->t_us - f->high_since > HX711_POWER_DOWN_US) {
            /* Power-down: the conversion being read is lost; wakes at A/128. */
            if (f->reading) {
                f->reading = 0;
                f->head++;
            }
            f->powerdowns++;
            f->gain_pulses = 1;
            f->ready_at_us = f->t_us + 1000;
        }
    }
    f->sck = value;
    return 0;
}

static int
f_read_event(void *ctx, unsigned line, bool *rising, int64_t *t_us)
{
    struct fake *f = ctx;
    if (line >= 4 || f->evhead[line] >= f->nev[line])
        return 0;
    *rising = f->ev[line][f->evhead[line]].rising;
    *t_us = f->ev[line][f->evhead[line]++].t_us;
    return 1;
}

static int
f_event_fd(void *ctx, unsigned line)
{
    struct fake *f = ctx;
    return line < 4 ? f->event_fd[line] : -1;
}

static int64_t
f_now_us(void *ctx)
{
    struct fake *f = ctx;
    return ++f->t_us;
}

static void
f_release(void *ctx)
{
    struct fake *f = ctx;
    f->released++;
}

static const struct gpio_seam_ops fake_ops = {
    .request_input = f_request_input,
    .request_output = f_request_output,
    .request_edges = f_request_edges,
    .get_value = f_get_value,
    .set_value = f_set_value,
    .read_event = f_read_event,
    .event_fd = f_event_fd,
    .now_us = f_now_us,
    .release = f_release,
};

static void
fake_init(struct fake *f)
{
    memset(f, 0, sizeof(*f));
    f->fail_request = -1;
    f->gain_pulses = 1;
    for (int i = 0; i < 4; i++)
        f->bias[i] = -1;
    for (int i = 0; i < 4; i++)
        f->event_fd[i] = -1;
}

static void
push(struct fake *f, uint32_t code)
{
    f->queue[f->nq++] = code;
}

static struct gpio_seam
seam_of(struct fake *f)
{
    return (struct gpio_seam){.ops = &fake_ops, .ctx = f};
}

static void
settle(struct fake *f)
{
    if (f->reading && f->pulses >= 25)
        finish_read(f);
}

static void
test_codes(void)
{
    CHECK_EQ_I64(hx711_sign_extend(0x000000), 0);
    CHECK_EQ_I64(hx711_sign_extend(0x000001), 1);
    CHECK_EQ_I64(hx711_sign_extend(0x7FFFFE), 8388606);
    CHECK_EQ_I64(hx711_sign_extend(0xFFFFFF), -1);
    CHECK_EQ_I64(hx711_sign_extend(0x800001), -8388607);
    CHECK_EQ_I64(hx711_sign_extend(0x800000), -8388608);
    CHECK_EQ_I64(hx711_sign_extend(0xF00000), -1048576);
    CHECK_EQ_I64(hx711_sign_extend(0x1FFFFFF), -1); /* bits above 23 ignored */
    CHECK_EQ_I64(hx711_sign_extend(0x1000064), 100);
    CHECK_EQ_I64(hx711_gain_pulses(128), 1);
    CHECK_EQ_I64(hx711_gain_pulses(32), 2);
    CHECK_EQ_I64(hx711_gain_pulses(64), 3);
    CHECK_EQ_I64(hx711_gain_pulses(100), -EINVAL);
}

static void
test_read_once(void)
{
    static const struct {
        uint32_t code;
        int status;
        int32_t raw;
    } cases[] = {
        {0x123456, SAMPLE_OK, 1193046},
        {0xFFFF9C, SAMPLE_OK, -100},
        {0x000001, SAMPLE_OK, 1},
        {0xAAAAAA, SAMPLE_OK, -5592406}, /* 0xAAAAAA - 0x1000000 */
        {0x7FFFFE, SAMPLE_OK, 8388606},
        {0x7FFFFF, SAMPLE_SATURATED, 0},
        {0x800000, SAMPLE_SATURATED, 0},
        {0x800001, SAMPLE_OK, -8388607},
    };
    static const unsigned gains[] = {128, 32, 64};
    struct fake f;

    for (size_t g = 0; g < 3; g++) {
        struct hx711_chip chip = {.dout_line = DOUT, .sck_line = SCK, .gain = gains[g]};
        fake_init(&f);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
            push(&f, cases[i].code);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            int32_t raw = 12345;
            int r = hx711_read_once(&(struct gpio_seam){&fake_ops, &f}, &chip, &raw);
            CHECK_MSG(r == cases[i].status, "gain %u case %zu: %d", gains[g], i, r);
            if (cases[i].status == SAMPLE_OK)
                CHECK_MSG(raw == cases[i].raw, "case %zu: %d != %d", i, raw,
                          cases[i].raw);
            CHECK_EQ_I64(f.sck, 0);
            settle(&f);
            /* 24 data pulses and the gain pulses: 25, 26 or 27. */
            CHECK_EQ_I64(f.read_pulses[f.n_reads - 1],
                         24 + hx711_gain_pulses(gains[g]));
        }
        int32_t raw = 0;
        int before = f.n_reads;
        CHECK_EQ_I64(hx711_read_once(&(struct gpio_seam){&fake_ops, &f}, &chip, &raw),
                     -EAGAIN);
        CHECK_EQ_I64(f.n_reads, before);
        CHECK_EQ_I64(f.powerdowns, 0);
        /* DOUT shorted low: always "ready", every bit 0, and still low at the
         * 25th pulse: invalid, never a reading of code 0. */
        f.dout_stuck_low = 1;
        push(&f, 0x123456);
        for (int k = 0; k < 3; k++) {
            raw = 777;
            CHECK_EQ_I64(
                hx711_read_once(&(struct gpio_seam){&fake_ops, &f}, &chip, &raw),
                SAMPLE_INVALID);
            CHECK_EQ_I64(raw, 777);
            settle(&f);
        }
    }
}

static void
test_long_pulse_boundary(void)
{
    struct hx711_chip chip = {.dout_line = DOUT, .sck_line = SCK, .gain = 128};
    struct gpio_seam seam;
    struct fake f;
    int32_t raw = 0;

    /*
     * A pulse is timed from the reading before the rising edge to the one after
     * the falling edge: 1 us per reading in the fake, plus the stretch. 58 us
     * more gives 59: fine; 59 more gives 60: may have powered down.
     */
    fake_init(&f);
    seam = seam_of(&f);
    push(&f, 0x000064);
    push(&f, 0x000065);
    f.stretch_pulse = 10;
    f.stretch_reads = 1;
    f.stretch_us = 58;
    CHECK_EQ_I64(hx711_read_once(&seam, &chip, &raw), SAMPLE_OK);
    CHECK_EQ_I64(raw, 100);
    f.stretch_reads = 1;
    f.stretch_us = 59;
    CHECK_EQ_I64(hx711_read_once(&seam, &chip, &raw), -ETIME);
    CHECK_EQ_I64(f.sck, 0);
    CHECK_EQ_I64(f.pulses, 10); /* stopped clocking at once */
    CHECK_EQ_I64(hx711_reset(&seam, &chip), 0);
    CHECK_EQ_I64(f.powerdowns, 1);
    CHECK_EQ_I64(f.gain_pulses, 1);
    CHECK_EQ_I64(f.sck, 0);
}

static int
new_source(struct fake *f, unsigned gain, unsigned tries, struct sample_source **s)
{
    struct hx711_config cfg = {
        .n_chips = 1, .period_ms = 100, .timeout_ms = 1000, .max_tries = tries};
    char err[200] = "";
    int r;

    cfg.chips[0] =
        (struct hx711_chip){.dout_line = DOUT, .sck_line = SCK, .gain = gain};
    r = hx711_new(&cfg, seam_of(f), s, err, sizeof(err));
    CHECK_MSG(r == 0, "%d %s", r, err);
    return r;
}

static void
test_source(void)
{
    struct sample out[4];
    struct sample_source *s = NULL;
    struct fake f;

    fake_init(&f);
    push(&f, 0x000064); /* converted before we set the gain: dropped */
    push(&f, 0x7FFFFF);
    push(&f, 0xFFFF9C);
    if (new_source(&f, 128, 3, &s) < 0)
        return;
    CHECK(strcmp(s->ops->name, "hx711") == 0);
    CHECK_EQ_I64(s->ops->poll_fd(s), -1);
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 0), -ENOBUFS);
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 4), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_SATURATED);
    CHECK_EQ_I64(out[0].raw, 0);
    CHECK_EQ_I64(out[0].channel, 0);
    CHECK_EQ_I64(out[0].t_ms, 0);
    CHECK_EQ_I64(s->ops->next_due_ms(s, 0), 100);
    CHECK_EQ_I64(s->ops->read_samples(s, 99, out, 4), 0);
    CHECK_EQ_I64(s->ops->read_samples(s, 100, out, 4), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_OK);
    CHECK_EQ_I64(out[0].raw, -100);
    CHECK_EQ_I64(out[0].t_ms, 100);
    /* Nothing more: look again every 5 ms, and time out after 1000 ms. */
    CHECK_EQ_I64(s->ops->read_samples(s, 200, out, 4), 0);
    CHECK_EQ_I64(s->ops->next_due_ms(s, 200), 200 + HX711_NOT_READY_POLL_MS);
    CHECK_EQ_I64(s->ops->read_samples(s, 1199, out, 4), 0); /* 999 ms */
    CHECK_EQ_I64(s->ops->next_due_ms(s, 1199), 1204);
    CHECK_EQ_I64(s->ops->read_samples(s, 1204, out, 4), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_TIMEOUT);
    CHECK_EQ_I64(out[0].raw, 0);
    CHECK_EQ_I64(out[0].t_ms, 1204);
    CHECK_EQ_I64(s->ops->next_due_ms(s, 1204), 1304);
    /* Ready again: a value, on the grid. */
    push(&f, 0x000002);
    CHECK_EQ_I64(s->ops->read_samples(s, 1304, out, 4), 1);
    CHECK_EQ_I64(out[0].raw, 2);
    CHECK_EQ_I64(f.powerdowns, 0);
    sample_source_free(s);
    CHECK_EQ_I64(f.released, 1);
}

static void
test_source_retries(void)
{
    struct sample out[4];
    struct sample_source *s = NULL;
    struct fake f;

    /* Gain 128: one over-long pulse, the conversion is lost, the next is used. */
    fake_init(&f);
    push(&f, 0x000001); /* dropped: first conversion */
    push(&f, 0x000002); /* lost in the over-long read */
    push(&f, 0x000003);
    if (new_source(&f, 128, 3, &s) < 0)
        return;
    f.stretch_pulse = 3;
    f.stretch_reads = 0;
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 4), 1); /* drops 1, reads 2 */
    CHECK_EQ_I64(out[0].raw, 2);
    f.stretch_reads = 1;
    f.stretch_us = 200;
    push(&f, 0x000004);
    /* 3 is lost to the power-down; the chip is not ready again yet. */
    CHECK_EQ_I64(s->ops->read_samples(s, 100, out, 4), 0);
    CHECK_EQ_I64(f.powerdowns, 2); /* the long pulse, then the reset */
    CHECK_EQ_I64(s->ops->next_due_ms(s, 100), 105);
    f.t_us += 1000;
    CHECK_EQ_I64(s->ops->read_samples(s, 105, out, 4), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_OK);
    CHECK_EQ_I64(out[0].raw, 4);
    sample_source_free(s);

    /* Gain 64: after the reset the chip is at 128, so the next one is dropped. */
    fake_init(&f);
    for (uint32_t c = 1; c <= 5; c++)
        push(&f, c);
    if (new_source(&f, 64, 3, &s) < 0)
        return;
    f.stretch_pulse = 20;
    f.stretch_reads = 1;
    f.stretch_us = 100;
    /* 1: lost (long pulse); 2: dropped (made at A/128 after the reset); 3: used. */
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 4), 0);
    CHECK_EQ_I64(f.powerdowns, 2);
    f.t_us += 1000;
    CHECK_EQ_I64(s->ops->read_samples(s, 5, out, 4), 1);
    CHECK_EQ_I64(out[0].raw, 3);
    settle(&f);
    CHECK_EQ_I64(f.read_pulses[f.n_reads - 1], 27);
    sample_source_free(s);

    /* Every read too long: max_tries = 2 discards, then SAMPLE_EIO. */
    fake_init(&f);
    for (uint32_t c = 1; c <= 6; c++)
        push(&f, c);
    if (new_source(&f, 128, 2, &s) < 0)
        return;
    f.stretch_pulse = 1;
    f.stretch_reads = 100;
    f.stretch_us = 80;
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 4), 0); /* 1 discarded */
    f.t_us += 1000;
    CHECK_EQ_I64(s->ops->read_samples(s, 5, out, 4), 1); /* 2 discarded */
    CHECK_EQ_I64(out[0].status, SAMPLE_EIO);
    CHECK_EQ_I64(out[0].raw, 0);
    CHECK_EQ_I64(f.powerdowns, 4);
    sample_source_free(s);

    /* A line that fails to read: SAMPLE_EIO, not an error of the source. */
    fake_init(&f);
    push(&f, 1);
    if (new_source(&f, 128, 3, &s) < 0)
        return;
    f.fail_get = EIO;
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 4), 1);
    CHECK_EQ_I64(out[0].status, SAMPLE_EIO);
    sample_source_free(s);
}

static void
test_config(void)
{
    struct hx711_config cfg = {
        .n_chips = 2, .period_ms = 100, .timeout_ms = 1000, .max_tries = 3};
    struct sample_source *s = (struct sample_source *)1;
    char err[200] = "";
    struct fake f;

    cfg.chips[0] = (struct hx711_chip){.dout_line = 6, .sck_line = 5, .gain = 128};
    cfg.chips[1] = (struct hx711_chip){.dout_line = 13, .sck_line = 6, .gain = 128};
    fake_init(&f);
    CHECK_EQ_I64(hx711_new(&cfg, seam_of(&f), &s, err, sizeof(err)), -EINVAL);
    CHECK(s == NULL);
    CHECK_MSG(strstr(err, "share a line") != NULL, "%s", err);
    CHECK_EQ_I64(f.released, 1); /* the seam is released on failure too */
    cfg.chips[1] = (struct hx711_chip){.dout_line = 13, .sck_line = 19, .gain = 100};
    CHECK_EQ_I64(hx711_new(&cfg, seam_of(&f), &s, err, sizeof(err)), -EINVAL);
    CHECK_MSG(strstr(err, "gain 100") != NULL, "%s", err);
    cfg.chips[1].gain = 32;
    cfg.max_tries = 0;
    CHECK_EQ_I64(hx711_new(&cfg, seam_of(&f), &s, err, sizeof(err)), -EINVAL);
    cfg.max_tries = 3;
    f.fail_request = 13;
    CHECK_EQ_I64(hx711_new(&cfg, seam_of(&f), &s, err, sizeof(err)), -EBUSY);
    CHECK_MSG(strstr(err, "line 13") != NULL, "%s", err);
    CHECK_EQ_I64(f.released, 4);
    f.fail_request = -1;
    CHECK_EQ_I64(hx711_new(&cfg, seam_of(&f), &s, err, sizeof(err)), 0);
    sample_source_free(s);
    CHECK_EQ_I64(f.released, 5);
}

static void
test_buttons(void)
{
    struct gpio_buttons_config cfg = {
        .n_lines = 2, .lines = {2, 3}, .active_low = true, .poll_ms = 10};
    struct button_edge out[8];
    struct sample_source *s = NULL;
    char err[200] = "";
    struct fake f;

    fake_init(&f);
    CHECK_MSG(gpio_buttons_new(&cfg, seam_of(&f), &s, err, sizeof(err)) == 0, "%s",
              err);
    if (s == NULL)
        return;
    CHECK_EQ_I64(s->ops->poll_fd(s), -1);
    CHECK_EQ_I64(s->ops->next_due_ms(s, 1000), 1010);
    /* Buttons to ground: the pull-up holds a released one high. */
    CHECK_EQ_I64(f.bias[2], GPIO_BIAS_PULL_UP);
    CHECK_EQ_I64(f.bias[3], GPIO_BIAS_PULL_UP);
    CHECK_EQ_I64(f.bias[0], -1);
    /* Active low: falling is a press. The fake clock reads 1 us at the next call
     * (1 more than 0), so an edge at t_us is (1 - t_us) / 1000 ms old... */
    f.t_us = 9999999; /* ...and now_us returns 10000000: 10 s */
    f.ev[2][f.nev[2]++] = (struct fake_edge){0, 9000000}; /* 1000 ms ago */
    f.ev[2][f.nev[2]++] = (struct fake_edge){1, 9800000}; /* 200 ms ago */
    f.ev[3][f.nev[3]++] = (struct fake_edge){0, 9500000}; /* 500 ms ago */
    CHECK_EQ_I64(s->ops->read_edges(s, 50000, out, 1), -ENOBUFS);
    CHECK_EQ_I64(s->ops->read_edges(s, 50000, out, 8), 3);
    CHECK_EQ_I64(out[0].t_ms, 49000);
    CHECK_EQ_I64(out[0].button, 0);
    CHECK_EQ_I64(out[0].pressed, 1);
    CHECK_EQ_I64(out[1].t_ms, 49500);
    CHECK_EQ_I64(out[1].button, 1);
    CHECK_EQ_I64(out[1].pressed, 1);
    CHECK_EQ_I64(out[2].t_ms, 49800);
    CHECK_EQ_I64(out[2].button, 0);
    CHECK_EQ_I64(out[2].pressed, 0);
    CHECK_EQ_I64(s->ops->read_edges(s, 50000, out, 8), 0);
    sample_source_free(s);
    CHECK_EQ_I64(f.released, 1);

    /* Active high, with event fds: one epoll fd to poll. */
    int p[2];
    CHECK(pipe(p) == 0);
    fake_init(&f);
    f.event_fd[3] = p[0];
    cfg.active_low = false;
    CHECK(gpio_buttons_new(&cfg, seam_of(&f), &s, err, sizeof(err)) == 0);
    /* Buttons to 3V3: the pull-down holds a released one low. */
    CHECK_EQ_I64(f.bias[2], GPIO_BIAS_PULL_DOWN);
    CHECK_EQ_I64(f.bias[3], GPIO_BIAS_PULL_DOWN);
    if (s != NULL) {
        struct epoll_event ev;
        CHECK(s->ops->poll_fd(s) >= 0);
        CHECK_EQ_I64(s->ops->next_due_ms(s, 1000), INT64_MAX);
        CHECK_EQ_I64(epoll_wait(s->ops->poll_fd(s), &ev, 1, 0), 0);
        CHECK_EQ_I64(write(p[1], "x", 1), 1);
        CHECK_EQ_I64(epoll_wait(s->ops->poll_fd(s), &ev, 1, 0), 1);
        f.t_us = 1999;
        f.ev[3][f.nev[3]++] = (struct fake_edge){1, 2000};
        CHECK_EQ_I64(s->ops->read_edges(s, 7, out, 8), 1);
        CHECK_EQ_I64(out[0].pressed, 1);
        CHECK_EQ_I64(out[0].button, 1);
        CHECK_EQ_I64(out[0].t_ms, 7);
        sample_source_free(s);
    }
    close(p[0]);
    close(p[1]);

    cfg.lines[1] = 2;
    CHECK_EQ_I64(gpio_buttons_new(&cfg, seam_of(&f), &s, err, sizeof(err)), -EINVAL);
    CHECK_MSG(strstr(err, "line 2") != NULL, "%s", err);
    cfg.lines[1] = 3;
    f.fail_request = 3;
    CHECK_EQ_I64(gpio_buttons_new(&cfg, seam_of(&f), &s, err, sizeof(err)), -EBUSY);
    CHECK(s == NULL);
    /* The message names the line and the bias asked for it. */
    CHECK_MSG(strstr(err, "line 3 with pull-down") != NULL, "%s", err);
}

int
main(void)
{
    RUN(test_codes);
    RUN(test_read_once);
    RUN(test_long_pulse_boundary);
    RUN(test_source);
    RUN(test_source_retries);
    RUN(test_config);
    RUN(test_buttons);
    return th_done();
}
