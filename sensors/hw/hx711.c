/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HX711 bit-banged over the GPIO seam (see hx711.h): the 24+1..3 pulse read
 * with its 60 us guard, reset by power-down, and a timer-driven source that
 * reports one sample per chip and read.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/hw/gpio-source.h"
#include "sensors/hw/hx711.h"
#include "sensors/text.h"

/* Reset: hold PD_SCK high this long, well past the 60 us power-down time. */
#define HX711_RESET_US 100
/* Reset: give up when the clock has not moved after this many readings. */
#define HX711_RESET_SPIN_MAX 1000000

struct hx711_state {
    int64_t wait_since_ms; /* first not-ready look since the last conversion */
    unsigned tries;        /* discarded reads in a row */
    bool stale;            /* the next conversion was made at the wrong gain */
};

struct hx711_source {
    struct sample_source base; /* first */
    struct gpio_seam seam;
    struct hx711_config cfg;
    struct hx711_state st[SENSOR_MAX_CHANNELS];
    int64_t next_due_ms; /* INT64_MIN: due at once */
};

int
hx711_gain_pulses(unsigned gain)
{
    switch (gain) {
    case 128:
        return 1;
    case 32:
        return 2;
    case 64:
        return 3;
    default:
        return -EINVAL;
    }
}

int32_t
hx711_sign_extend(uint32_t code)
{
    code &= 0xFFFFFF;
    return (int32_t)code - (int32_t)((code & 0x800000) << 1);
}

int
hx711_read_once(const struct gpio_seam *seam, const struct hx711_chip *chip,
                int32_t *raw)
{
    const struct gpio_seam_ops *ops = seam->ops;
    int pulses = hx711_gain_pulses(chip->gain);
    uint32_t code = 0;
    int dout_high = 0;
    int r;

    if (pulses < 0)
        return pulses;
    r = ops->get_value(seam->ctx, chip->dout_line);
    if (r < 0)
        return r;
    if (r != 0)
        return -EAGAIN; /* DOUT high: no conversion ready */
    for (int i = 0; i < 24 + pulses; i++) {
        int64_t t0 = ops->now_us(seam->ctx);
        int bit = 0;

        r = ops->set_value(seam->ctx, chip->sck_line, 1);
        /*
         * The data bit is valid 0.1 us after the rising edge: read it while high.
         * The 25th rising edge pulls DOUT high until the next conversion is
         * ready; a DOUT still low there is a line stuck low, which would read as
         * code 0 for ever (a plausible weight) and a ready chip at every look.
         */
        if (r == 0 && i < 24)
            bit = ops->get_value(seam->ctx, chip->dout_line);
        else if (r == 0 && i == 24 &&
                 (bit = ops->get_value(seam->ctx, chip->dout_line)) >= 0)
            dout_high = bit, bit = 0;
        int r2 = ops->set_value(seam->ctx, chip->sck_line, 0);
        int64_t t1 = ops->now_us(seam->ctx);
        if (r < 0 || bit < 0 || r2 < 0)
            return r < 0 ? r : bit < 0 ? bit : r2;
        /*
         * t1 - t0 bounds the time PD_SCK was high from above: if it reached the
         * power-down time, the chip may have powered down mid-read.
         */
        if (t1 - t0 >= HX711_POWER_DOWN_US)
            return -ETIME;
        if (i < 24)
            code = code << 1 | (uint32_t)bit;
    }
    if (!dout_high)
        return SAMPLE_INVALID;
    if (code == 0x7FFFFF || code == 0x800000)
        return SAMPLE_SATURATED;
    *raw = hx711_sign_extend(code);
    return SAMPLE_OK;
}

int
hx711_reset(const struct gpio_seam *seam, const struct hx711_chip *chip)
{
    const struct gpio_seam_ops *ops = seam->ops;
    int r = ops->set_value(seam->ctx, chip->sck_line, 1);
    int64_t t0 = ops->now_us(seam->ctx);
    long spins = 0;

    if (r < 0)
        return r;
    /* A busy wait of ~100 us: the chip needs it, and nothing here may sleep. */
    while (ops->now_us(seam->ctx) - t0 < HX711_RESET_US &&
           ++spins < HX711_RESET_SPIN_MAX)
        ;
    r = ops->set_value(seam->ctx, chip->sck_line, 0);
    if (r < 0)
        return r;
    return spins >= HX711_RESET_SPIN_MAX ? -EIO : 0;
}

static void
emit(struct sample *out, size_t *n, int64_t t_ms, size_t ch, enum sample_status st,
     int32_t raw)
{
    out[(*n)++] = (struct sample){.t_ms = t_ms,
                                  .raw = st == SAMPLE_OK ? raw : 0,
                                  .channel = (uint16_t)ch,
                                  .status = (uint8_t)st};
}

/* Read chip i: append at most one sample. Returns true while it is not ready. */
static bool
read_chip(struct hx711_source *src, size_t i, int64_t now_ms, struct sample *out,
          size_t *n)
{
    const struct hx711_chip *chip = &src->cfg.chips[i];
    struct hx711_state *st = &src->st[i];

    for (;;) {
        int32_t raw = 0;
        int r = hx711_read_once(&src->seam, chip, &raw);

        if (r == -EAGAIN) {
            if (st->wait_since_ms == INT64_MIN)
                st->wait_since_ms = now_ms;
            if (now_ms - st->wait_since_ms < src->cfg.timeout_ms)
                return true;
            emit(out, n, now_ms, i, SAMPLE_TIMEOUT, 0);
            st->wait_since_ms = now_ms;
            return false;
        }
        st->wait_since_ms = INT64_MIN;
        if (r == -ETIME) {
            int rr = hx711_reset(&src->seam, chip);
            st->stale = chip->gain != 128;
            if (rr < 0 || ++st->tries >= src->cfg.max_tries) {
                emit(out, n, now_ms, i, SAMPLE_EIO, 0);
                st->tries = 0;
                return false;
            }
            continue; /* again, if the chip is ready again */
        }
        if (r < 0) {
            emit(out, n, now_ms, i, SAMPLE_EIO, 0);
            return false;
        }
        st->tries = 0;
        if (st->stale) {
            /* Converted before our gain pulses took effect; this read set them. */
            st->stale = false;
            continue;
        }
        emit(out, n, now_ms, i, (enum sample_status)r, raw);
        return false;
    }
}

static int
hx711_read_samples(struct sample_source *s, int64_t now_ms, struct sample *out,
                   size_t max)
{
    struct hx711_source *src = (struct hx711_source *)s;
    bool waiting = false;
    size_t n = 0;

    if (now_ms < src->next_due_ms)
        return 0;
    if (max < src->cfg.n_chips)
        return -ENOBUFS;
    for (size_t i = 0; i < src->cfg.n_chips; i++)
        waiting |= read_chip(src, i, now_ms, out, &n);
    if (waiting)
        src->next_due_ms = now_ms + HX711_NOT_READY_POLL_MS;
    else if (src->next_due_ms == INT64_MIN ||
             src->next_due_ms + src->cfg.period_ms <= now_ms)
        src->next_due_ms = now_ms + src->cfg.period_ms;
    else
        src->next_due_ms += src->cfg.period_ms;
    return (int)n;
}

static int
hx711_poll_fd(const struct sample_source *s)
{
    (void)s;
    return -1;
}

static int64_t
hx711_next_due_ms(const struct sample_source *s, int64_t now_ms)
{
    const struct hx711_source *src = (const struct hx711_source *)s;
    return src->next_due_ms == INT64_MIN ? now_ms : src->next_due_ms;
}

static void
hx711_free(struct sample_source *s)
{
    struct hx711_source *src = (struct hx711_source *)s;

    if (src == NULL)
        return;
    if (src->seam.ops != NULL && src->seam.ops->release != NULL)
        src->seam.ops->release(src->seam.ctx);
    free(src);
}

static const struct sample_source_ops hx711_ops = {
    .name = "hx711",
    .read_samples = hx711_read_samples,
    .poll_fd = hx711_poll_fd,
    .next_due_ms = hx711_next_due_ms,
    .free = hx711_free,
};

static int
check_config(const void *cfg_v, char *err, size_t errlen)
{
    const struct hx711_config *cfg = cfg_v;

    if (cfg == NULL || cfg->n_chips == 0 || cfg->n_chips > SENSOR_MAX_CHANNELS) {
        (void)text_error(err, errlen, "hx711: configure 1 to %d chips",
                         SENSOR_MAX_CHANNELS);
        return -EINVAL;
    }
    if (cfg->period_ms < 10 || cfg->period_ms > 60000 || cfg->timeout_ms < 100 ||
        cfg->timeout_ms > 10000 || cfg->max_tries < 1 || cfg->max_tries > 10) {
        (void)text_error(err, errlen,
                         "hx711: expected period 10..60000 ms, timeout 100..10000 "
                         "ms and 1..10 tries");
        return -EINVAL;
    }
    for (size_t i = 0; i < cfg->n_chips; i++) {
        const struct hx711_chip *c = &cfg->chips[i];

        if (hx711_gain_pulses(c->gain) < 0) {
            (void)text_error(err, errlen,
                             "hx711 %zu: gain %u: expected 128 or 64 (channel A) "
                             "or 32 (channel B)",
                             i, c->gain);
            return -EINVAL;
        }
        if (c->dout_line == c->sck_line) {
            (void)text_error(err, errlen,
                             "hx711 %zu: DOUT and PD_SCK on the same line %u", i,
                             c->dout_line);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++) {
            const struct hx711_chip *d = &cfg->chips[j];
            if (c->dout_line == d->dout_line || c->dout_line == d->sck_line ||
                c->sck_line == d->dout_line || c->sck_line == d->sck_line) {
                (void)text_error(err, errlen,
                                 "hx711 %zu and %zu share a line: give each chip "
                                 "its own DOUT and PD_SCK",
                                 j, i);
                return -EINVAL;
            }
        }
    }
    return 0;
}

/* Each chip's PD_SCK an output held low (powered up), its DOUT an input. */
static int
setup(struct sample_source *s, const void *cfg_v, char *err, size_t errlen)
{
    struct hx711_source *src = (struct hx711_source *)s;
    const struct hx711_config *cfg = cfg_v;
    struct gpio_seam seam = src->seam;
    int r;

    src->cfg = *cfg;
    src->next_due_ms = INT64_MIN;
    for (size_t i = 0; i < cfg->n_chips; i++) {
        const struct hx711_chip *c = &cfg->chips[i];

        /* Whatever gain the chip kept from before, the first read sets ours. */
        src->st[i] = (struct hx711_state){.wait_since_ms = INT64_MIN, .stale = true};
        r = seam.ops->request_output(seam.ctx, c->sck_line, 0);
        if (r < 0) {
            (void)text_error(err, errlen,
                             "hx711 %zu: PD_SCK line %u: %s (in use, or no such "
                             "line?)",
                             i, c->sck_line, strerror(-r));
            return r;
        }
        r = seam.ops->request_input(seam.ctx, c->dout_line);
        if (r < 0) {
            (void)text_error(err, errlen,
                             "hx711 %zu: DOUT line %u: %s (in use, or no such "
                             "line?)",
                             i, c->dout_line, strerror(-r));
            return r;
        }
    }
    return 0;
}

static const struct gpio_source_kind hx711_kind = {
    .size = sizeof(struct hx711_source),
    .seam_offset = offsetof(struct hx711_source, seam),
    .ops = &hx711_ops,
    .check = check_config,
    .setup = setup,
};

int
hx711_new(const struct hx711_config *cfg, struct gpio_seam seam,
          struct sample_source **out, char *err, size_t errlen)
{
    return gpio_source_new(&hx711_kind, cfg, seam, out, err, errlen);
}
