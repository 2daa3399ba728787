/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GPIO seam (gpio.h) over libgpiod v1, built only when the build found
 * libgpiod (meson's gpiod option). Lines are requested from one chip with the
 * given consumer name, which `gpioinfo` shows. Edge timestamps are those of
 * the kernel's GPIO uAPI v1: CLOCK_MONOTONIC since Linux 5.7, so the caller's
 * now_us must read CLOCK_MONOTONIC too.
 */
#ifndef PANTRY_SENSORS_HW_GPIO_GPIOD_H
#define PANTRY_SENSORS_HW_GPIO_GPIOD_H

#include <stddef.h>
#include <stdint.h>

#include "gpio.h"

/*
 * Open chip (a name such as "gpiochip0", a path, a label or a number, as
 * gpiod_chip_open_lookup takes) and fill *seam; now_us(clock_ctx) is the
 * monotonic clock in microseconds. Returns 0, or a negative errno with a
 * message in err (may be NULL). The seam's release closes the chip.
 */
int gpio_seam_gpiod_open(const char *chip, const char *consumer,
                         int64_t (*now_us)(void *clock_ctx), void *clock_ctx,
                         struct gpio_seam *seam, char *err, size_t errlen);

#endif
