/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GPIO seam (gpio.h) over libgpiod, built only when the build found it
 * (meson's gpiod option): gpio-gpiod.c over v1 (1.6), or gpio-gpiod2.c over v2
 * (2.x), by the version found. Lines are requested from one chip with the
 * given consumer name, which `gpioinfo` shows, each line on its own; edge
 * requests carry the bias asked (the kernel's uAPI has it since Linux 5.5). Edge
 * timestamps are on CLOCK_MONOTONIC (v1: the kernel's uAPI v1 default since
 * Linux 5.7; v2: requested explicitly), so the caller's now_us must read
 * CLOCK_MONOTONIC too.
 */
#ifndef PANTRY_SENSORS_HW_GPIO_GPIOD_H
#define PANTRY_SENSORS_HW_GPIO_GPIOD_H

#include <stddef.h>
#include <stdint.h>

#include "sensors/hw/gpio.h"

/*
 * Open chip (a name such as "gpiochip0", a path, a label or a number, as v1's
 * gpiod_chip_open_lookup takes it; the v2 glue resolves it the same way: a
 * number N is /dev/gpiochipN, text with a '/' a path, a NAME /dev/NAME if that
 * is a GPIO chip, else the label of one of /dev/gpiochip*) and fill *seam; now_us(clock_ctx) is the
 * monotonic clock in microseconds. Returns 0, or a negative errno with a
 * message in err (may be NULL). The seam's release closes the chip.
 */
int gpio_seam_gpiod_open(const char *chip, const char *consumer,
                         int64_t (*now_us)(void *clock_ctx), void *clock_ctx,
                         struct gpio_seam *seam, char *err, size_t errlen);

#endif
