/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The constructor the sources on the GPIO seam share (the HX711 bit-bang,
 * hx711.c, and the GPIO buttons, gpio.c): the arguments and the settings
 * checked, the source allocated and its lines requested, and on any failure
 * everything given back, the seam included. Internal to sensors/hw/.
 */
#ifndef PANTRY_SENSORS_HW_GPIO_SOURCE_H
#define PANTRY_SENSORS_HW_GPIO_SOURCE_H

#include <stddef.h>

#include "sensors/hw/gpio.h"
#include "sensors/sensor.h"

/* What one kind of GPIO source brings to gpio_source_new(). */
struct gpio_source_kind {
    size_t size;        /* of its struct, a struct sample_source first */
    size_t seam_offset; /* offsetof() its struct gpio_seam */
    /* Its ops; free() releases the seam it holds and frees the struct. */
    const struct sample_source_ops *ops;
    /* Check cfg; 0, or -EINVAL with the reason in err. */
    int (*check)(const void *cfg, char *err, size_t errlen);
    /*
     * Fill the new source (zeroed, ops and seam set) from cfg and request its
     * lines; 0, or a negative errno with the reason in err.
     */
    int (*setup)(struct sample_source *s, const void *cfg, char *err, size_t errlen);
};

/*
 * Make a source of kind over seam. 0 with *out (the caller's, to free with
 * sample_source_free()); else a negative errno (-EINVAL for a NULL out or a
 * seam without ops, or bad settings; -ENOMEM) with *out NULL, err filled where
 * the settings or the lines were at fault, and the seam released: the seam is
 * the source's from the call on, whatever its result.
 */
int gpio_source_new(const struct gpio_source_kind *kind, const void *cfg,
                    struct gpio_seam seam, struct sample_source **out, char *err,
                    size_t errlen);

#endif
