/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The shared constructor of the sources on the GPIO seam (gpio-source.h),
 * written once for the HX711 and the GPIO buttons: who owns the seam when a
 * check, the allocation or a line request fails is decided here only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/hw/gpio-source.h"

int
gpio_source_new(const struct gpio_source_kind *kind, const void *cfg,
                struct gpio_seam seam, struct sample_source **out, char *err,
                size_t errlen)
{
    struct sample_source *src = NULL;
    int r;

    if (out != NULL)
        *out = NULL;
    if (out == NULL || seam.ops == NULL) {
        r = -EINVAL;
        goto out;
    }
    r = kind->check(cfg, err, errlen);
    if (r < 0)
        goto out;
    src = calloc(1, kind->size);
    if (src == NULL) {
        r = -ENOMEM;
        goto out;
    }
    src->ops = kind->ops;
    /* From here the source holds the seam: its free() releases it. */
    memcpy((char *)src + kind->seam_offset, &seam, sizeof(seam));
    r = kind->setup(src, cfg, err, errlen);
    if (r < 0)
        goto out;
    *out = src;
    return 0;
out:
    if (src != NULL)
        src->ops->free(src);
    else if (seam.ops != NULL && seam.ops->release != NULL)
        seam.ops->release(seam.ctx);
    return r;
}
