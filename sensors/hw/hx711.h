/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * HX711 load-cell ADCs bit-banged over GPIO lines, the fallback when the kernel
 * hx711 driver (iio.h) is not available. DOUT low means a conversion is ready;
 * 24 PD_SCK pulses shift it out MSB first as 24-bit two's complement, and 1, 2
 * or 3 more pulses choose channel and gain of the next conversion (A/128,
 * B/32, A/64). PD_SCK high for more than 60 us powers the chip down, so a
 * read whose clock may have stayed high that long (the process was preempted)
 * is discarded and the chip reset; the read is retried a bounded number of
 * times. Codes 0x7FFFFF and 0x800000 mean the input is out of range.
 */
#ifndef PANTRY_SENSORS_HW_HX711_H
#define PANTRY_SENSORS_HW_HX711_H

#include <stddef.h>
#include <stdint.h>

#include "sensors/hw/gpio.h"
#include "sensors/sensor.h"

/* PD_SCK high for longer powers the chip down (datasheet: > 60 us). */
#define HX711_POWER_DOWN_US 60

/* While a chip is not ready, look again this often. */
#define HX711_NOT_READY_POLL_MS 5

struct hx711_chip {
    unsigned dout_line;
    unsigned sck_line;
    unsigned gain; /* 128 or 64 (channel A), 32 (channel B) */
};

struct hx711_config {
    size_t n_chips; /* 1..SENSOR_MAX_CHANNELS; chip i gives sample channel i */
    struct hx711_chip chips[SENSOR_MAX_CHANNELS];
    int64_t period_ms;  /* between reads, 10..60000 (the chip gives 10 or 80 SPS) */
    int64_t timeout_ms; /* not ready this long: a SAMPLE_TIMEOUT sample, 100..10000 */
    unsigned max_tries; /* over-long clock pulses in a row before SAMPLE_EIO, 1..10 */
};

/* Extra PD_SCK pulses after the 24 data bits for a gain: 1, 3, 2, or -EINVAL. */
int hx711_gain_pulses(unsigned gain);

/* The signed value of a 24-bit two's complement code (bits above 23 ignored). */
int32_t hx711_sign_extend(uint32_t code);

/*
 * One conversion from chip through seam, if DOUT says one is ready. Returns
 * SAMPLE_OK with *raw, SAMPLE_SATURATED, SAMPLE_INVALID when DOUT was still low
 * at the 25th clock pulse (which pulls it high on a live chip: the data line
 * is stuck low); -EAGAIN when not ready; -ETIME when a
 * clock pulse may have lasted HX711_POWER_DOWN_US or more (the result is
 * garbage; reset the chip); or a line operation's error.
 */
int hx711_read_once(const struct gpio_seam *seam, const struct hx711_chip *chip,
                    int32_t *raw);

/*
 * Power the chip down and up again (PD_SCK high for HX711_POWER_DOWN_US and
 * more, timed by spinning on the seam's clock), so it restarts at channel A,
 * gain 128. Returns 0, -EIO when the clock does not advance, or a line error.
 */
int hx711_reset(const struct gpio_seam *seam, const struct hx711_chip *chip);

/*
 * Create the source over seam, which it owns from then on, also on failure.
 * Requests SCK as output (low) and DOUT as input for every chip. Returns 0
 * with *out, or a negative errno with *out NULL and a message in err.
 *
 * read_samples, when due, reads every chip once and returns a sample per chip
 * that has something to say: SAMPLE_OK or SAMPLE_SATURATED; SAMPLE_EIO after
 * max_tries discarded reads in a row or a failed line operation; SAMPLE_TIMEOUT
 * when the chip was not ready for timeout_ms. The first conversion after a
 * reset was made at gain 128; with another gain it is dropped silently. max
 * must be at least n_chips (else -ENOBUFS). poll_fd is -1; next_due_ms is the
 * period grid, or HX711_NOT_READY_POLL_MS while a chip is not ready.
 */
int hx711_new(const struct hx711_config *cfg, struct gpio_seam seam,
              struct sample_source **out, char *err, size_t errlen);

#endif
