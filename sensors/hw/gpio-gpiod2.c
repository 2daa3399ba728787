/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The GPIO seam over libgpiod v2 (see gpio-gpiod.h; Debian 13 ships 2.2.1):
 * the same contract as gpio-gpiod.c over v2's line requests. Each line the
 * seam requests is a request of its own (the seam requests lines one by one),
 * with its own one-event edge buffer. v2 has no gpiod_chip_open_lookup, so
 * the chip argument is resolved here as v1 did it: a number, a path, a name
 * under /dev, else a label of one of /dev/gpiochip*. Edge events are asked
 * for on CLOCK_MONOTONIC explicitly; libgpiod's -1/errno results become
 * negative errnos here and nowhere else.
 */
#include <dirent.h>
#include <errno.h>
#include <gpiod.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/hw/gpio-gpiod.h"

/* More lines than any HX711 and button configuration asks for. */
#define GPIOD2_MAX_LINES 64

struct gpiod2_line {
    unsigned offset;
    struct gpiod_line_request *req;
    struct gpiod_edge_event_buffer *events; /* edge requests only */
};

struct gpiod2_seam {
    struct gpiod_chip *chip;
    char consumer[32];
    int64_t (*now_us)(void *clock_ctx);
    void *clock_ctx;
    size_t n_lines;
    struct gpiod2_line lines[GPIOD2_MAX_LINES];
};

static int
neg_errno(void)
{
    return errno > 0 ? -errno : -EIO;
}

static struct gpiod2_line *
find_line(struct gpiod2_seam *g, unsigned offset)
{
    for (size_t i = 0; i < g->n_lines; i++)
        if (g->lines[i].offset == offset)
            return &g->lines[i];
    return NULL;
}

/*
 * Request one line with settings filled by the caller's direction, edge, bias
 * and output value; -EBUSY when this seam holds the line already.
 */
static int
request_line(struct gpiod2_seam *g, unsigned offset, enum gpiod_line_direction dir,
             enum gpiod_line_edge edge, enum gpiod_line_bias bias, int value)
{
    struct gpiod_line_settings *ls = NULL;
    struct gpiod_line_config *lc = NULL;
    struct gpiod_request_config *rc = NULL;
    struct gpiod_line_request *req = NULL;
    struct gpiod_edge_event_buffer *events = NULL;
    int r = 0;

    if (find_line(g, offset) != NULL)
        return -EBUSY;
    if (g->n_lines == GPIOD2_MAX_LINES)
        return -ENOSPC;
    ls = gpiod_line_settings_new();
    lc = gpiod_line_config_new();
    rc = gpiod_request_config_new();
    if (ls == NULL || lc == NULL || rc == NULL) {
        r = -ENOMEM;
        goto out;
    }
    if (gpiod_line_settings_set_direction(ls, dir) < 0 ||
        (dir == GPIOD_LINE_DIRECTION_OUTPUT &&
         gpiod_line_settings_set_output_value(
             ls, value ? GPIOD_LINE_VALUE_ACTIVE : GPIOD_LINE_VALUE_INACTIVE) < 0) ||
        gpiod_line_settings_set_edge_detection(ls, edge) < 0 ||
        gpiod_line_settings_set_bias(ls, bias) < 0 ||
        (edge != GPIOD_LINE_EDGE_NONE &&
         gpiod_line_settings_set_event_clock(ls, GPIOD_LINE_CLOCK_MONOTONIC) < 0) ||
        gpiod_line_config_add_line_settings(lc, &offset, 1, ls) < 0) {
        r = neg_errno();
        goto out;
    }
    gpiod_request_config_set_consumer(rc, g->consumer);
    if (edge != GPIOD_LINE_EDGE_NONE) {
        events = gpiod_edge_event_buffer_new(1);
        if (events == NULL) {
            r = -ENOMEM;
            goto out;
        }
    }
    req = gpiod_chip_request_lines(g->chip, rc, lc);
    if (req == NULL) {
        r = neg_errno();
        goto out;
    }
    g->lines[g->n_lines++] =
        (struct gpiod2_line){.offset = offset, .req = req, .events = events};
    events = NULL;
out:
    gpiod_edge_event_buffer_free(events);
    gpiod_request_config_free(rc);
    gpiod_line_config_free(lc);
    gpiod_line_settings_free(ls);
    return r;
}

static int
g_request_input(void *ctx, unsigned line)
{
    return request_line(ctx, line, GPIOD_LINE_DIRECTION_INPUT, GPIOD_LINE_EDGE_NONE,
                        GPIOD_LINE_BIAS_AS_IS, 0);
}

static int
g_request_output(void *ctx, unsigned line, int value)
{
    return request_line(ctx, line, GPIOD_LINE_DIRECTION_OUTPUT, GPIOD_LINE_EDGE_NONE,
                        GPIOD_LINE_BIAS_AS_IS, value);
}

static int
g_request_edges(void *ctx, unsigned line, enum gpio_bias bias)
{
    enum gpiod_line_bias b;

    if (bias == GPIO_BIAS_PULL_UP)
        b = GPIOD_LINE_BIAS_PULL_UP;
    else if (bias == GPIO_BIAS_PULL_DOWN)
        b = GPIOD_LINE_BIAS_PULL_DOWN;
    else if (bias == GPIO_BIAS_AS_IS)
        b = GPIOD_LINE_BIAS_AS_IS;
    else
        return -EINVAL;
    return request_line(ctx, line, GPIOD_LINE_DIRECTION_INPUT, GPIOD_LINE_EDGE_BOTH, b,
                        0);
}

static int
g_get_value(void *ctx, unsigned line)
{
    struct gpiod2_line *l = find_line(ctx, line);
    enum gpiod_line_value v;

    if (l == NULL)
        return -EPERM; /* not requested, as v1's line_bulk_all_requested */
    v = gpiod_line_request_get_value(l->req, line);
    return v == GPIOD_LINE_VALUE_ERROR ? neg_errno() : v == GPIOD_LINE_VALUE_ACTIVE;
}

static int
g_set_value(void *ctx, unsigned line, int value)
{
    struct gpiod2_line *l = find_line(ctx, line);

    if (l == NULL)
        return -EPERM;
    return gpiod_line_request_set_value(l->req, line,
                                        value ? GPIOD_LINE_VALUE_ACTIVE
                                              : GPIOD_LINE_VALUE_INACTIVE) < 0
               ? neg_errno()
               : 0;
}

static int
g_read_event(void *ctx, unsigned line, bool *rising, int64_t *t_us)
{
    struct gpiod2_line *l = find_line(ctx, line);
    struct gpiod_edge_event *ev;
    int r;

    if (l == NULL)
        return -EPERM;
    if (l->events == NULL)
        return -EINVAL; /* not requested with edges */
    r = gpiod_line_request_wait_edge_events(l->req, 0);
    if (r <= 0)
        return r < 0 ? neg_errno() : 0;
    r = gpiod_line_request_read_edge_events(l->req, l->events, 1);
    if (r < 0)
        return neg_errno();
    if (r == 0)
        return 0;
    ev = gpiod_edge_event_buffer_get_event(l->events, 0);
    if (ev == NULL)
        return -EIO;
    *rising = gpiod_edge_event_get_event_type(ev) == GPIOD_EDGE_EVENT_RISING_EDGE;
    *t_us = (int64_t)(gpiod_edge_event_get_timestamp_ns(ev) / 1000);
    return 1;
}

static int
g_event_fd(void *ctx, unsigned line)
{
    struct gpiod2_line *l = find_line(ctx, line);
    int fd;

    if (l == NULL || l->events == NULL)
        return -1;
    fd = gpiod_line_request_get_fd(l->req);
    return fd < 0 ? -1 : fd;
}

static int64_t
g_now_us(void *ctx)
{
    struct gpiod2_seam *g = ctx;
    return g->now_us(g->clock_ctx);
}

static void
g_release(void *ctx)
{
    struct gpiod2_seam *g = ctx;

    if (g == NULL)
        return;
    for (size_t i = 0; i < g->n_lines; i++) {
        gpiod_line_request_release(g->lines[i].req);
        gpiod_edge_event_buffer_free(g->lines[i].events);
    }
    gpiod_chip_close(g->chip);
    free(g);
}

static const struct gpio_seam_ops gpiod2_seam_ops = {
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

static bool
all_digits(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

static int
gpiochip_entry(const struct dirent *d)
{
    return strncmp(d->d_name, "gpiochip", 8) == 0;
}

/* The chip of /dev/gpiochip* whose label is label, or NULL with errno. */
static struct gpiod_chip *
open_by_label(const char *label)
{
    struct dirent **names = NULL;
    struct gpiod_chip *found = NULL;
    int n = scandir("/dev", &names, gpiochip_entry, alphasort);
    int first_err = ENOENT;

    if (n < 0)
        return NULL;
    for (int i = 0; i < n; i++) {
        char path[300];
        struct gpiod_chip *c;
        struct gpiod_chip_info *info;

        if (found == NULL) {
            snprintf(path, sizeof(path), "/dev/%s", names[i]->d_name);
            c = gpiod_chip_open(path);
            info = c != NULL ? gpiod_chip_get_info(c) : NULL;
            if (info != NULL && strcmp(gpiod_chip_info_get_label(info), label) == 0)
                found = c;
            else if (c != NULL)
                gpiod_chip_close(c);
            else if (first_err == ENOENT && errno != 0)
                first_err = errno; /* e.g. EACCES: say so rather than ENOENT */
            gpiod_chip_info_free(info);
        }
        free(names[i]);
    }
    free(names);
    if (found == NULL)
        errno = first_err;
    return found;
}

int
gpio_seam_gpiod_open(const char *chip, const char *consumer,
                     int64_t (*now_us)(void *clock_ctx), void *clock_ctx,
                     struct gpio_seam *seam, char *err, size_t errlen)
{
    struct gpiod2_seam *g;
    char path[300];
    const char *tried;
    int r;

    if (chip == NULL || consumer == NULL || now_us == NULL || seam == NULL)
        return -EINVAL;
    if (strlen(chip) > 200) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "GPIO chip name too long (%zu bytes, at most 200)",
                     strlen(chip));
        return -ENAMETOOLONG;
    }
    g = calloc(1, sizeof(*g));
    if (g == NULL)
        return -ENOMEM;
    errno = 0;
    if (all_digits(chip)) {
        snprintf(path, sizeof(path), "/dev/gpiochip%s", chip);
        tried = "as a number: ";
        g->chip = gpiod_chip_open(path);
    } else if (strchr(chip, '/') != NULL) {
        snprintf(path, sizeof(path), "%s", chip);
        tried = "as a path: ";
        g->chip = gpiod_chip_open(path);
    } else {
        snprintf(path, sizeof(path), "/dev/%s", chip);
        tried = "as a name: ";
        if (gpiod_is_gpiochip_device(path)) {
            g->chip = gpiod_chip_open(path);
        } else {
            tried = "as a label of /dev/gpiochip*, and as a name: ";
            g->chip = open_by_label(chip);
        }
    }
    if (g->chip == NULL) {
        r = neg_errno();
        if (err != NULL && errlen > 0)
            snprintf(err, errlen,
                     "GPIO chip '%s' (tried %s%s): %s (see `gpiodetect`; may the "
                     "agent's user open /dev/gpiochip*, e.g. in group gpio?)",
                     chip, tried, path, strerror(-r));
        free(g);
        return r;
    }
    snprintf(g->consumer, sizeof(g->consumer), "%s", consumer);
    g->now_us = now_us;
    g->clock_ctx = clock_ctx;
    *seam = (struct gpio_seam){.ops = &gpiod2_seam_ops, .ctx = g};
    return 0;
}
