/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load cells through Linux IIO: the kernel hx711 driver (device tree compatible
 * "avia,hx711") exposes each HX711 as /sys/bus/iio/devices/iio:deviceN with
 * `name` ("hx711"), an optional `label`, in_voltage0_raw (channel A) and
 * in_voltage1_raw (channel B), and in_voltage_scale. This source finds the
 * device by label or name, reads the configured channels on a timer and turns
 * every read into a struct sample: a value, or a status when the read failed
 * (the driver reports its ~1 s conversion timeout as EIO). The sysfs root is a
 * parameter so tests run against a fake tree. iio_parse_int() is the strict
 * parser of sysfs integers, exported for the fuzzer.
 */
#ifndef PANTRY_SENSORS_HW_IIO_H
#define PANTRY_SENSORS_HW_IIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/sensor.h"

#define IIO_SYSFS_ROOT "/sys/bus/iio/devices"

/* The hx711 driver reports 24-bit offset binary: 0x800000 is zero. */
#define IIO_HX711_NAME "hx711"

struct iio_config {
    const char *sysfs_root; /* NULL: IIO_SYSFS_ROOT */
    /* A label (preferred), a name, or a directory name such as "iio:device0". */
    const char *device;
    size_t n_channels; /* 1..SENSOR_MAX_CHANNELS */
    /* Sample channel i reads in_voltage<channels[i]>_raw (0..255). */
    unsigned channels[SENSOR_MAX_CHANNELS];
    int64_t period_ms; /* time between reads, 10..60000 */
};

/*
 * Parse the text of a sysfs integer: an optional '-' or '+', one or more
 * decimal digits, and at most one trailing '\n'; nothing else (no spaces, no
 * NUL, no hex). len is the number of bytes in text, which need not be
 * NUL-terminated. Stores the value in *out and returns 0 when it lies in
 * [min, max]; returns -EINVAL for bad syntax and -ERANGE for a well-formed
 * number outside [min, max] (also beyond int64_t). *out is untouched on error.
 */
int iio_parse_int(const char *text, size_t len, int64_t min, int64_t max, int64_t *out);

/*
 * Parse an IIO fixed-point value such as "0.000152590\n" (optional sign,
 * digits, optionally '.' and 1 to 9 digits, optional '\n') into billionths.
 * Returns 0, -EINVAL for bad syntax or -ERANGE beyond +-9e9.
 */
int iio_parse_nano(const char *text, size_t len, int64_t *out_nano);

/*
 * Find the device directory under root (NULL: IIO_SYSFS_ROOT) whose `label`,
 * or else `name`, equals want, or whose directory name is want. A label match
 * wins over name matches. Writes the directory path to path. Returns 0;
 * -ENOENT when nothing matches; -EEXIST when two devices carry the same label
 * or, without a label match, the same name (give each a label in the device
 * tree); -ENAMETOOLONG; or the errno of opening root. err (may be NULL) gets a
 * message for the user.
 */
int iio_find_device(const char *root, const char *want, char *path, size_t pathlen,
                    char *err, size_t errlen);

/*
 * Create the source. Checks the configuration, finds the device and checks that
 * every configured in_voltageN_raw exists; reads the scale when present. On
 * success *out owns the source (free with sample_source_free) and 0 is
 * returned; on failure a negative errno, *out is NULL and err (may be NULL)
 * says what to fix.
 *
 * read_samples: when now_ms has reached the next due time, reads every channel
 * once and returns n_channels samples (max must be at least n_channels, else
 * -ENOBUFS); before that, 0. A failed read is a sample with status SAMPLE_EIO
 * (read failed with EIO: the hx711 driver's conversion timeout, or a bus
 * error), SAMPLE_TIMEOUT (ETIMEDOUT, EAGAIN, EBUSY) or SAMPLE_INVALID (not a
 * regular file, empty, unparsable or out of range), never a value. For the
 * hx711 the driver's offset binary is converted to signed counts, and its
 * saturation codes (raw 0 and 0xFFFFFF) become SAMPLE_SATURATED.
 * Each read() blocks in the kernel until the chip has a conversion (the hx711
 * driver waits for DOUT and gives up with EIO after its timeout): at 10 SPS
 * that is up to ~100 ms per read, twice that when it switches between channels
 * A and B, so a caller with latency limits reads this source from a thread of
 * its own.
 * poll_fd is -1; next_due_ms is the next multiple of period_ms after the last
 * read (or now + period_ms when the caller fell behind).
 */
int iio_new(const struct iio_config *cfg, struct sample_source **out, char *err,
            size_t errlen);

/*
 * The scale of sample channel ch in billionths of a millivolt per count, from
 * in_voltageN_scale or in_voltage_scale when the device had one. Returns 0,
 * -ENODATA when it had none, -EINVAL for a bad ch or a source not from iio_new.
 */
int iio_scale_nano(const struct sample_source *s, size_t ch, int64_t *out_nano);

/*
 * The text of an in_voltageN_raw as samples carry it: signed ADC counts, the
 * numbers a calibration's zero and span_raw are in. offset_binary for the
 * hx711 driver (a device named IIO_HX711_NAME): 0..0xFFFFFF, 0x800000 is 0
 * counts, and its rail codes 0 and 0xFFFFFF are SAMPLE_SATURATED; otherwise a
 * signed 32-bit integer. Returns SAMPLE_OK with *counts set, or
 * SAMPLE_SATURATED or SAMPLE_INVALID (bad text, out of range) with *counts
 * untouched.
 */
enum sample_status iio_counts(const char *text, size_t len, bool offset_binary,
                              int32_t *counts);

/* The sample status for a read() or open() errno (positive). */
enum sample_status iio_status_from_errno(int err);

#endif
