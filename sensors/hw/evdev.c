/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Buttons from an evdev device (see evdev.h): read whole struct input_event
 * records, keep a partial one for the next call, map key codes to buttons and
 * resynchronise after the kernel dropped events.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "sensors/hw/evdev.h"
#include "sensors/text.h"

struct evdev_source {
    struct sample_source base; /* first */
    int fd;
    size_t n_keys;
    uint16_t keycodes[SENSOR_MAX_BUTTONS];
    uint8_t pressed[SENSOR_MAX_BUTTONS]; /* last reported level */
    bool dropping;                       /* after SYN_DROPPED, until SYN_REPORT */
    size_t partial;                      /* bytes of an incomplete event in buf */
    unsigned char buf[sizeof(struct input_event)];
};

int
evdev_config_check(const struct evdev_config *cfg, char *err, size_t errlen)
{
    if (cfg == NULL || cfg->path == NULL || cfg->path[0] == '\0') {
        (void)text_error(err, errlen, "evdev: no device path (e.g. /dev/input/event0)");
        return -EINVAL;
    }
    if (cfg->n_keys == 0 || cfg->n_keys > SENSOR_MAX_BUTTONS) {
        (void)text_error(err, errlen, "evdev: configure 1 to %d key codes",
                         SENSOR_MAX_BUTTONS);
        return -EINVAL;
    }
    for (size_t i = 0; i < cfg->n_keys; i++) {
        unsigned code = cfg->keycodes[i];

        if (code == EVDEV_KEY_POWER) {
            (void)text_error(
                err, errlen,
                "evdev: button %zu: key code 116 (KEY_POWER) shuts "
                "the Raspberry Pi down when pressed; give the gpio-key overlay "
                "another code, e.g. keycode=59 (KEY_F1) and up",
                i);
            return -EINVAL;
        }
        if (code == 0 || code > KEY_MAX) {
            (void)text_error(err, errlen,
                             "evdev: button %zu: key code %u: expected 1 to %d", i,
                             code, KEY_MAX);
            return -EINVAL;
        }
        for (size_t j = 0; j < i; j++) {
            if (cfg->keycodes[j] == code) {
                (void)text_error(err, errlen,
                                 "evdev: key code %u is configured for buttons "
                                 "%zu and %zu",
                                 code, j, i);
                return -EINVAL;
            }
        }
    }
    return 0;
}

static int
button_of(const struct evdev_source *src, unsigned code)
{
    for (size_t i = 0; i < src->n_keys; i++)
        if (src->keycodes[i] == code)
            return (int)i;
    return -1;
}

static int64_t
event_ms(const struct input_event *ev)
{
    return (int64_t)ev->input_event_sec * 1000 + (int64_t)ev->input_event_usec / 1000;
}

/* After a drop: ask the kernel which keys are down; a FIFO cannot say. */
static size_t
resync(struct evdev_source *src, int64_t t_ms, struct button_edge *out, size_t n,
       size_t max)
{
    unsigned char keys[KEY_MAX / 8 + 1];

    memset(keys, 0, sizeof(keys));
    if (ioctl(src->fd, EVIOCGKEY(sizeof(keys)), keys) < 0)
        return n;
    for (size_t i = 0; i < src->n_keys && n < max; i++) {
        unsigned code = src->keycodes[i];
        uint8_t down = (keys[code / 8] >> (code % 8)) & 1;
        if (down != src->pressed[i]) {
            src->pressed[i] = down;
            out[n++] = (struct button_edge){
                .t_ms = t_ms, .button = (uint16_t)i, .pressed = down};
        }
    }
    return n;
}

static int
evdev_read_edges(struct sample_source *s, int64_t now_ms, struct button_edge *out,
                 size_t max)
{
    struct evdev_source *src = (struct evdev_source *)s;
    size_t n = 0;

    (void)now_ms;
    if (max < src->n_keys)
        return -ENOBUFS;
    /* While dropping, keep room for a full resync, so no edge is ever lost. */
    while (n < max && (!src->dropping || n + src->n_keys <= max)) {
        struct input_event ev;
        ssize_t got =
            read(src->fd, src->buf + src->partial, sizeof(src->buf) - src->partial);

        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno == EAGAIN)
            break;
        if (got < 0)
            return n > 0 ? (int)n : -errno;
        if (got == 0) /* a FIFO without a writer; a device never says so */
            break;
        src->partial += (size_t)got;
        if (src->partial < sizeof(src->buf))
            continue;
        src->partial = 0;
        memcpy(&ev, src->buf, sizeof(ev));
        if (ev.type == EV_SYN && ev.code == SYN_DROPPED) {
            src->dropping = true;
        } else if (ev.type == EV_SYN && ev.code == SYN_REPORT && src->dropping) {
            src->dropping = false;
            n = resync(src, event_ms(&ev), out, n, max);
        } else if (!src->dropping && ev.type == EV_KEY && ev.value != 2) {
            int b = button_of(src, ev.code);
            if (b < 0 || (ev.value != 0 && ev.value != 1))
                continue;
            src->pressed[b] = (uint8_t)ev.value;
            out[n++] = (struct button_edge){.t_ms = event_ms(&ev),
                                            .button = (uint16_t)b,
                                            .pressed = (uint8_t)ev.value};
        }
    }
    return (int)n;
}

static int
evdev_poll_fd(const struct sample_source *s)
{
    return ((const struct evdev_source *)s)->fd;
}

static int64_t
evdev_next_due_ms(const struct sample_source *s, int64_t now_ms)
{
    (void)s;
    (void)now_ms;
    return INT64_MAX;
}

static void
evdev_free(struct sample_source *s)
{
    struct evdev_source *src = (struct evdev_source *)s;

    if (src == NULL)
        return;
    if (src->fd >= 0)
        close(src->fd);
    free(src);
}

static const struct sample_source_ops evdev_ops = {
    .name = "evdev",
    .read_edges = evdev_read_edges,
    .poll_fd = evdev_poll_fd,
    .next_due_ms = evdev_next_due_ms,
    .free = evdev_free,
};

int
evdev_new(const struct evdev_config *cfg, struct sample_source **out, char *err,
          size_t errlen)
{
    struct evdev_source *src = NULL;
    int r;

    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    r = evdev_config_check(cfg, err, errlen);
    if (r < 0)
        return r;
    src = calloc(1, sizeof(*src));
    if (src == NULL)
        return -ENOMEM;
    src->base.ops = &evdev_ops;
    src->n_keys = cfg->n_keys;
    memcpy(src->keycodes, cfg->keycodes, sizeof(src->keycodes));
    src->fd = open(cfg->path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (src->fd < 0) {
        r = -errno;
        (void)text_error(err, errlen,
                         "%s: %s (is the gpio-key overlay loaded, and may the "
                         "agent's user read it, e.g. as a member of group input?)",
                         cfg->path, strerror(-r));
        goto out;
    }
    *out = &src->base;
    src = NULL;
    r = 0;
out:
    evdev_free(src ? &src->base : NULL);
    return r;
}
