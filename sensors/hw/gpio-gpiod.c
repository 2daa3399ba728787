/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GPIO seam over libgpiod v1 (see gpio-gpiod.h): each operation is one
 * libgpiod call, and libgpiod's -1/errno results become negative errnos here
 * and nowhere else.
 */
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensors/hw/gpio-gpiod.h"

struct gpiod_seam {
    struct gpiod_chip *chip;
    char consumer[32];
    int64_t (*now_us)(void *clock_ctx);
    void *clock_ctx;
};

static int
neg_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

static struct gpiod_line *
line_of(void *ctx, unsigned line)
{
    return gpiod_chip_get_line(((struct gpiod_seam *)ctx)->chip, line);
}

static int
g_request_input(void *ctx, unsigned line)
{
    struct gpiod_line *l = line_of(ctx, line);

    if (l == NULL)
        return neg_errno();
    return gpiod_line_request_input(l, ((struct gpiod_seam *)ctx)->consumer) < 0
               ? neg_errno()
               : 0;
}

static int
g_request_output(void *ctx, unsigned line, int value)
{
    struct gpiod_line *l = line_of(ctx, line);

    if (l == NULL)
        return neg_errno();
    return gpiod_line_request_output(l, ((struct gpiod_seam *)ctx)->consumer, value) < 0
               ? neg_errno()
               : 0;
}

static int
g_request_edges(void *ctx, unsigned line, enum gpio_bias bias)
{
    struct gpiod_line *l = line_of(ctx, line);
    int flags = 0;

    if (l == NULL)
        return neg_errno();
    /* The bias flags are libgpiod 1.5's (the kernel's since 5.5). */
    if (bias == GPIO_BIAS_PULL_UP)
        flags = GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_UP;
    else if (bias == GPIO_BIAS_PULL_DOWN)
        flags = GPIOD_LINE_REQUEST_FLAG_BIAS_PULL_DOWN;
    else if (bias != GPIO_BIAS_AS_IS)
        return -EINVAL;
    return gpiod_line_request_both_edges_events_flags(
               l, ((struct gpiod_seam *)ctx)->consumer, flags) < 0
               ? neg_errno()
               : 0;
}

static int
g_get_value(void *ctx, unsigned line)
{
    struct gpiod_line *l = line_of(ctx, line);
    int v;

    if (l == NULL)
        return neg_errno();
    v = gpiod_line_get_value(l);
    return v < 0 ? neg_errno() : v != 0;
}

static int
g_set_value(void *ctx, unsigned line, int value)
{
    struct gpiod_line *l = line_of(ctx, line);

    if (l == NULL)
        return neg_errno();
    return gpiod_line_set_value(l, value) < 0 ? neg_errno() : 0;
}

static int
g_read_event(void *ctx, unsigned line, bool *rising, int64_t *t_us)
{
    const struct timespec zero = {0, 0};
    struct gpiod_line *l = line_of(ctx, line);
    struct gpiod_line_event ev;
    int r;

    if (l == NULL)
        return neg_errno();
    r = gpiod_line_event_wait(l, &zero);
    if (r <= 0)
        return r < 0 ? neg_errno() : 0;
    if (gpiod_line_event_read(l, &ev) < 0)
        return neg_errno();
    *rising = ev.event_type == GPIOD_LINE_EVENT_RISING_EDGE;
    *t_us = (int64_t)ev.ts.tv_sec * 1000000 + ev.ts.tv_nsec / 1000;
    return 1;
}

static int
g_event_fd(void *ctx, unsigned line)
{
    struct gpiod_line *l = line_of(ctx, line);
    int fd;

    if (l == NULL)
        return -1;
    fd = gpiod_line_event_get_fd(l);
    return fd < 0 ? -1 : fd;
}

static int64_t
g_now_us(void *ctx)
{
    struct gpiod_seam *g = ctx;
    return g->now_us(g->clock_ctx);
}

static void
g_release(void *ctx)
{
    struct gpiod_seam *g = ctx;

    if (g == NULL)
        return;
    gpiod_chip_close(g->chip); /* releases every requested line */
    free(g);
}

static const struct gpio_seam_ops gpiod_seam_ops = {
    .request_input = g_request_input,
    .request_output = g_request_output,
    .request_edges = g_request_edges,
    .get_value = g_get_value,
    .set_value = g_set_value,
    .read_event = g_read_event,
    .event_fd = g_event_fd,
    .now_us = g_now_us,
    .release = g_release,
};

int
gpio_seam_gpiod_open(const char *chip, const char *consumer,
                     int64_t (*now_us)(void *clock_ctx), void *clock_ctx,
                     struct gpio_seam *seam, char *err, size_t errlen)
{
    struct gpiod_seam *g;
    int r;

    if (chip == NULL || consumer == NULL || now_us == NULL || seam == NULL)
        return -EINVAL;
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return -ENOMEM;
    g->chip = gpiod_chip_open_lookup(chip);
    if (g->chip == NULL) {
        r = neg_errno();
        if (err != NULL && errlen > 0)
            snprintf(err, errlen,
                     "GPIO chip '%s': %s (see `gpiodetect`; may the "
                     "agent's user open /dev/gpiochip*, e.g. in group gpio?)",
                     chip, strerror(-r));
        free(g);
        return r;
    }
    snprintf(g->consumer, sizeof(g->consumer), "%s", consumer);
    g->now_us = now_us;
    g->clock_ctx = clock_ctx;
    *seam = (struct gpio_seam){.ops = &gpiod_seam_ops, .ctx = g};
    return 0;
}
