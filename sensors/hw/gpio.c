/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Buttons as GPIO line edge events through the seam (see gpio.h), each line
 * with the bias that holds a released button off: one epoll fd over the
 * lines' event fds for the caller's poll loop, edges of all lines merged
 * oldest first and dated on the caller's clock.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "sensors/hw/gpio.h"
#include "sensors/hw/gpio-source.h"
#include "sensors/text.h"

struct gpio_buttons {
    struct sample_source base; /* first */
    struct gpio_seam seam;
    struct gpio_buttons_config cfg;
    int epoll_fd; /* -1: the seam has no event fds; read every poll_ms */
};

const char *
gpio_bias_to_str(enum gpio_bias bias)
{
    switch (bias) {
    case GPIO_BIAS_AS_IS:
        return "as-is";
    case GPIO_BIAS_PULL_UP:
        return "pull-up";
    case GPIO_BIAS_PULL_DOWN:
        return "pull-down";
    }
    return "?";
}

static int
gpio_read_edges(struct sample_source *s, int64_t now_ms, struct button_edge *out,
                size_t max)
{
    struct gpio_buttons *src = (struct gpio_buttons *)s;
    const struct gpio_seam_ops *ops = src->seam.ops;
    int64_t now_us;
    size_t n = 0;

    if (max < src->cfg.n_lines)
        return -ENOBUFS;
    now_us = ops->now_us(src->seam.ctx);
    /* Round-robin over the lines, one event each, so a chattering line cannot
     * starve the others when out is small. */
    for (bool more = true; more && n < max;) {
        more = false;
        for (size_t i = 0; i < src->cfg.n_lines && n < max; i++) {
            bool rising = false;
            int64_t t_us = 0;
            int r = ops->read_event(src->seam.ctx, src->cfg.lines[i], &rising, &t_us);

            if (r < 0)
                return n > 0 ? (int)n : r;
            if (r == 0)
                continue;
            more = true;
            /* Age on the monotonic clock, so a wall-clock step cannot skew it. */
            int64_t age_ms = now_us > t_us ? (now_us - t_us) / 1000 : 0;
            struct button_edge e = {.t_ms = now_ms - age_ms,
                                    .button = (uint16_t)i,
                                    .pressed =
                                        (uint8_t)(rising != src->cfg.active_low)};
            /* Insertion by time keeps the merged edges oldest first. */
            size_t k = n++;
            while (k > 0 && out[k - 1].t_ms > e.t_ms) {
                out[k] = out[k - 1];
                k--;
            }
            out[k] = e;
        }
    }
    return (int)n;
}

static int
gpio_poll_fd(const struct sample_source *s)
{
    return ((const struct gpio_buttons *)s)->epoll_fd;
}

static int64_t
gpio_next_due_ms(const struct sample_source *s, int64_t now_ms)
{
    const struct gpio_buttons *src = (const struct gpio_buttons *)s;
    return src->epoll_fd >= 0 ? INT64_MAX : now_ms + src->cfg.poll_ms;
}

static void
gpio_free(struct sample_source *s)
{
    struct gpio_buttons *src = (struct gpio_buttons *)s;

    if (src == NULL)
        return;
    if (src->epoll_fd >= 0)
        close(src->epoll_fd);
    if (src->seam.ops != NULL && src->seam.ops->release != NULL)
        src->seam.ops->release(src->seam.ctx);
    free(src);
}

static const struct sample_source_ops gpio_ops = {
    .name = "gpio-buttons",
    .read_edges = gpio_read_edges,
    .poll_fd = gpio_poll_fd,
    .next_due_ms = gpio_next_due_ms,
    .free = gpio_free,
};

static int
check_config(const void *cfg_v, char *err, size_t errlen)
{
    const struct gpio_buttons_config *cfg = cfg_v;

    if (cfg == NULL || cfg->n_lines == 0 || cfg->n_lines > SENSOR_MAX_BUTTONS) {
        (void)text_error(err, errlen, "gpio buttons: configure 1 to %d lines",
                         SENSOR_MAX_BUTTONS);
        return -EINVAL;
    }
    if (cfg->poll_ms < 1 || cfg->poll_ms > 100) {
        (void)text_error(err, errlen,
                         "gpio buttons: poll %lld ms: expected 1 to 100 ms",
                         (long long)cfg->poll_ms);
        return -EINVAL;
    }
    for (size_t i = 0; i < cfg->n_lines; i++)
        for (size_t j = 0; j < i; j++)
            if (cfg->lines[i] == cfg->lines[j]) {
                (void)text_error(err, errlen,
                                 "gpio buttons %zu and %zu: both on line %u", j, i,
                                 cfg->lines[i]);
                return -EINVAL;
            }
    return 0;
}

/* The lines requested with their bias, their event fds in one epoll set. */
static int
setup(struct sample_source *s, const void *cfg_v, char *err, size_t errlen)
{
    struct gpio_buttons *src = (struct gpio_buttons *)s;
    const struct gpio_buttons_config *cfg = cfg_v;
    struct gpio_seam seam = src->seam;
    enum gpio_bias bias;
    int r;

    src->cfg = *cfg;
    src->epoll_fd = -1;
    /* The bias holds a released button at its inactive level: the pin's own
     * (a Pi's BCM 9..27 pull down at reset) would read a button to ground as
     * pressed for good. */
    bias = cfg->active_low ? GPIO_BIAS_PULL_UP : GPIO_BIAS_PULL_DOWN;
    for (size_t i = 0; i < cfg->n_lines; i++) {
        int fd;

        r = seam.ops->request_edges(seam.ctx, cfg->lines[i], bias);
        if (r < 0) {
            (void)text_error(err, errlen,
                             "gpio button %zu: line %u with %s: %s (in use, no such "
                             "line, or a kernel before 5.5 without bias?)",
                             i, cfg->lines[i], gpio_bias_to_str(bias), strerror(-r));
            return r;
        }
        fd = seam.ops->event_fd(seam.ctx, cfg->lines[i]);
        if (fd < 0)
            continue;
        if (src->epoll_fd < 0) {
            src->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
            if (src->epoll_fd < 0) {
                r = -errno;
                (void)text_error(err, errlen, "gpio buttons: epoll: %s", strerror(-r));
                return r;
            }
        }
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(src->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            r = -errno;
            (void)text_error(err, errlen, "gpio buttons: epoll: %s", strerror(-r));
            return r;
        }
    }
    return 0;
}

static const struct gpio_source_kind gpio_kind = {
    .size = sizeof(struct gpio_buttons),
    .seam_offset = offsetof(struct gpio_buttons, seam),
    .ops = &gpio_ops,
    .check = check_config,
    .setup = setup,
};

int
gpio_buttons_new(const struct gpio_buttons_config *cfg, struct gpio_seam seam,
                 struct sample_source **out, char *err, size_t errlen)
{
    return gpio_source_new(&gpio_kind, cfg, seam, out, err, errlen);
}
