/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Buttons as Linux input events: the Raspberry Pi `gpio-key` overlay turns a
 * GPIO line into a key on /dev/input/eventN (debounced in the kernel by
 * gpio-keys). This source reads struct input_event from a device path, maps
 * the configured key codes to button indexes and reports press and release
 * edges dated by the kernel's timestamps. It refuses KEY_POWER (116), the
 * overlay's default, because systemd-logind shuts the Pi down on it.
 */
#ifndef PANTRY_SENSORS_HW_EVDEV_H
#define PANTRY_SENSORS_HW_EVDEV_H

#include <stddef.h>
#include <stdint.h>

#include "sensors/sensor.h"

/* KEY_POWER in <linux/input-event-codes.h>; never accepted. */
#define EVDEV_KEY_POWER 116

struct evdev_config {
    const char *path; /* e.g. /dev/input/by-path/platform-button@11-event */
    size_t n_keys;    /* 1..SENSOR_MAX_BUTTONS */
    /* Button i is the key with code keycodes[i] (1..KEY_MAX, not 116, unique). */
    uint16_t keycodes[SENSOR_MAX_BUTTONS];
};

/*
 * Check a configuration: 0, or -EINVAL with a message in err (may be NULL)
 * that names the bad key code and what to use instead.
 */
int evdev_config_check(const struct evdev_config *cfg, char *err, size_t errlen);

/*
 * Open the device non-blocking. On success *out owns the source (free with
 * sample_source_free) and 0 is returned; otherwise a negative errno (the
 * configuration's, or open()'s), *out is NULL and err says what to fix.
 *
 * read_edges reads what is queued: key events (value 1 press, 0 release; 2,
 * autorepeat, is ignored) of configured codes become edges with t_ms from the
 * event's timestamp (CLOCK_REALTIME, the evdev default: ms since the epoch).
 * Other events are skipped. After SYN_DROPPED (the kernel's buffer overflowed)
 * events up to the next SYN_REPORT are dropped and the key state is read back
 * with EVIOCGKEY: a key found in another state than last reported gives an
 * edge dated at that SYN_REPORT. max must be at least n_keys (else -ENOBUFS);
 * events beyond what fits stay queued. Returns the number of edges, 0 when
 * nothing is queued, or a negative errno when the device failed (-ENODEV: unplugged).
 * poll_fd is the device's fd; next_due_ms is INT64_MAX.
 */
int evdev_new(const struct evdev_config *cfg, struct sample_source **out, char *err,
              size_t errlen);

#endif
