/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Load cells through Linux IIO sysfs (see iio.h): device lookup by label or
 * name, strict parsing of sysfs text, and a timer-driven source that turns each
 * read of in_voltageN_raw into a sample or a fault sample.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensors/hw/iio.h"
#include "sensors/text.h"

#define IIO_PATH_MAX 512
#define IIO_TEXT_MAX 64

struct iio_source {
    struct sample_source base; /* first */
    size_t n_channels;
    char raw_path[SENSOR_MAX_CHANNELS][IIO_PATH_MAX];
    int64_t scale_nano[SENSOR_MAX_CHANNELS]; /* 0: none */
    bool offset_binary;                      /* the hx711 driver's encoding */
    int64_t period_ms;
    int64_t next_due_ms; /* INT64_MIN: due at once */
};

int
iio_parse_int(const char *text, size_t len, int64_t min, int64_t max, int64_t *out)
{
    uint64_t mag = 0;
    bool neg = false, range = false;
    size_t i = 0, digits = 0;

    if (text == NULL || out == NULL)
        return -EINVAL;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    if (i < len && (text[i] == '-' || text[i] == '+'))
        neg = text[i++] == '-';
    for (; i < len; i++, digits++) {
        unsigned d = (unsigned char)text[i] - (unsigned)'0';
        if (d > 9)
            return -EINVAL;
        /* Keep parsing after an overflow: syntax errors win over range errors. */
        if (mag > (UINT64_C(1) << 63) / 10 || mag * 10 + d > (UINT64_C(1) << 63))
            range = true;
        else
            mag = mag * 10 + d;
    }
    if (digits == 0)
        return -EINVAL;
    if (range || (!neg && mag > (uint64_t)INT64_MAX))
        return -ERANGE;
    int64_t v =
        neg ? (mag == (UINT64_C(1) << 63) ? INT64_MIN : -(int64_t)mag) : (int64_t)mag;
    if (v < min || v > max)
        return -ERANGE;
    *out = v;
    return 0;
}

int
iio_parse_nano(const char *text, size_t len, int64_t *out_nano)
{
    const int64_t limit = INT64_C(9000000000000000000); /* 9e9 in billionths */
    size_t dot;
    int64_t whole, frac = 0;
    int r;

    if (text == NULL || out_nano == NULL)
        return -EINVAL;
    if (len > 0 && text[len - 1] == '\n')
        len--;
    for (dot = 0; dot < len && text[dot] != '.'; dot++)
        ;
    /* The whole part alone, then the fraction: both plain digit strings. */
    r = iio_parse_int(text, dot, -9000000000, 9000000000, &whole);
    if (r < 0)
        return r;
    if (dot < len) {
        size_t nf = len - dot - 1;
        if (nf == 0 || nf > 9 || text[dot + 1] == '-' || text[dot + 1] == '+')
            return -EINVAL;
        r = iio_parse_int(text + dot + 1, nf, 0, 999999999, &frac);
        if (r < 0)
            return -EINVAL;
        for (size_t k = nf; k < 9; k++)
            frac *= 10;
    }
    bool neg = text[0] == '-';
    int64_t v = whole * 1000000000 + (neg ? -frac : frac);
    if (v > limit || v < -limit)
        return -ERANGE;
    *out_nano = v;
    return 0;
}

/*
 * Read a small sysfs attribute into buf (NUL-terminated). Returns the length,
 * or a negative errno: the open() or read() error, or -EINVAL for something
 * that is not a regular file (sysfs attributes are; a FIFO would block or lie).
 */
static int
read_text(const char *path, char *buf, size_t size)
{
    struct stat st;
    ssize_t n;
    int fd, r;

    fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        goto out;
    }
    do
        n = read(fd, buf, size - 1);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        r = -errno;
        goto out;
    }
    buf[n] = '\0';
    r = (int)n;
out:
    close(fd);
    return r;
}

/* Read an optional text attribute without its trailing newline; "" if absent. */
static int
read_attr(const char *dir, const char *attr, char *buf, size_t size)
{
    char path[IIO_PATH_MAX];
    int n;

    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, attr) >= sizeof(path))
        return -ENAMETOOLONG;
    n = read_text(path, buf, size);
    if (n == -ENOENT) {
        buf[0] = '\0';
        return 0;
    }
    if (n < 0)
        return n;
    if (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return n;
}

int
iio_find_device(const char *root, const char *want, char *path, size_t pathlen,
                char *err, size_t errlen)
{
    char by_label[IIO_PATH_MAX] = "", by_name[IIO_PATH_MAX] = "";
    int n_label = 0, n_name = 0, r = 0;
    struct dirent *e;
    DIR *d;

    if (root == NULL)
        root = IIO_SYSFS_ROOT;
    if (want == NULL || want[0] == '\0' || path == NULL) {
        (void)text_error(err, errlen,
                         "no IIO device named: set the device's label or name");
        return -EINVAL;
    }
    d = opendir(root);
    if (d == NULL) {
        r = -errno;
        (void)text_error(err, errlen,
                         "%s: %s (is the IIO subsystem there, and the hx711 "
                         "overlay loaded?)",
                         root, strerror(-r));
        return r;
    }
    while ((e = readdir(d)) != NULL) {
        char dir[IIO_PATH_MAX], label[IIO_TEXT_MAX], name[IIO_TEXT_MAX];

        if (strncmp(e->d_name, "iio:device", 10) != 0)
            continue;
        if ((size_t)snprintf(dir, sizeof(dir), "%s/%s", root, e->d_name) >= sizeof(dir))
            continue;
        if (strcmp(e->d_name, want) == 0) {
            snprintf(by_label, sizeof(by_label), "%s", dir);
            n_label = 1;
            n_name = 0;
            break;
        }
        if (read_attr(dir, "label", label, sizeof(label)) < 0)
            label[0] = '\0';
        if (read_attr(dir, "name", name, sizeof(name)) < 0)
            name[0] = '\0';
        if (label[0] != '\0' && strcmp(label, want) == 0) {
            if (n_label++ == 0)
                snprintf(by_label, sizeof(by_label), "%s", dir);
        } else if (strcmp(name, want) == 0) {
            if (n_name++ == 0)
                snprintf(by_name, sizeof(by_name), "%s", dir);
        }
    }
    closedir(d);

    if (n_label > 1) {
        (void)text_error(err, errlen,
                         "%d IIO devices under %s have the label '%s': give "
                         "each a unique label in the device tree",
                         n_label, root, want);
        return -EEXIST;
    }
    if (n_label == 0 && n_name > 1) {
        (void)text_error(err, errlen,
                         "%d IIO devices under %s are named '%s': give each a "
                         "label in the device tree and configure the label",
                         n_name, root, want);
        return -EEXIST;
    }
    if (n_label == 0 && n_name == 0) {
        (void)text_error(err, errlen,
                         "no IIO device with label or name '%s' under %s (is the "
                         "hx711 overlay loaded? see `ls %s`)",
                         want, root, root);
        return -ENOENT;
    }
    if ((size_t)snprintf(path, pathlen, "%s", n_label ? by_label : by_name) >= pathlen)
        return -ENAMETOOLONG;
    return 0;
}

enum sample_status
iio_status_from_errno(int err)
{
    switch (err) {
    case ETIMEDOUT:
    case EAGAIN:
    case EBUSY:
        return SAMPLE_TIMEOUT;
    case EINVAL:
        return SAMPLE_INVALID;
    default:
        return SAMPLE_EIO;
    }
}

enum sample_status
iio_counts(const char *text, size_t len, bool offset_binary, int32_t *counts)
{
    int64_t v;

    if (offset_binary) {
        if (iio_parse_int(text, len, 0, 0xFFFFFF, &v) < 0)
            return SAMPLE_INVALID;
        if (v == 0 || v == 0xFFFFFF)
            /* The chip's 0x800000 and 0x7FFFFF after the driver's XOR. */
            return SAMPLE_SATURATED;
        *counts = (int32_t)(v - 0x800000);
        return SAMPLE_OK;
    }
    if (iio_parse_int(text, len, INT32_MIN, INT32_MAX, &v) < 0)
        return SAMPLE_INVALID;
    *counts = (int32_t)v;
    return SAMPLE_OK;
}

static int
iio_read_samples(struct sample_source *s, int64_t now_ms, struct sample *out,
                 size_t max)
{
    struct iio_source *src = (struct iio_source *)s;

    if (now_ms < src->next_due_ms)
        return 0;
    if (max < src->n_channels)
        return -ENOBUFS;
    for (size_t i = 0; i < src->n_channels; i++) {
        char text[IIO_TEXT_MAX];
        int n = read_text(src->raw_path[i], text, sizeof(text));

        out[i] = (struct sample){.t_ms = now_ms, .channel = (uint16_t)i};
        if (n < 0)
            out[i].status = (uint8_t)iio_status_from_errno(-n);
        else
            out[i].status =
                (uint8_t)iio_counts(text, (size_t)n, src->offset_binary, &out[i].raw);
    }
    if (src->next_due_ms == INT64_MIN || src->next_due_ms + src->period_ms <= now_ms)
        src->next_due_ms = now_ms + src->period_ms;
    else
        src->next_due_ms += src->period_ms;
    return (int)src->n_channels;
}

static int
iio_poll_fd(const struct sample_source *s)
{
    (void)s;
    return -1;
}

static int64_t
iio_next_due_ms(const struct sample_source *s, int64_t now_ms)
{
    const struct iio_source *src = (const struct iio_source *)s;
    return src->next_due_ms == INT64_MIN ? now_ms : src->next_due_ms;
}

static void
iio_free(struct sample_source *s)
{
    free(s);
}

static const struct sample_source_ops iio_ops = {
    .name = "iio",
    .read_samples = iio_read_samples,
    .poll_fd = iio_poll_fd,
    .next_due_ms = iio_next_due_ms,
    .free = iio_free,
};

/* The scale of channel c: in_voltageC_scale, else the shared in_voltage_scale. */
static int
read_scale(const char *dir, unsigned c, int64_t *nano, char *err, size_t errlen)
{
    char attr[64], text[IIO_TEXT_MAX];
    int n;

    snprintf(attr, sizeof(attr), "in_voltage%u_scale", c);
    n = read_attr(dir, attr, text, sizeof(text));
    if (n == 0) {
        snprintf(attr, sizeof(attr), "in_voltage_scale");
        n = read_attr(dir, attr, text, sizeof(text));
    }
    if (n < 0) {
        (void)text_error(err, errlen, "%s/%s: %s", dir, attr, strerror(-n));
        return n;
    }
    *nano = 0;
    if (n > 0 && (n = iio_parse_nano(text, (size_t)n, nano)) < 0) {
        (void)text_error(err, errlen, "%s/%s: '%s' is not a decimal scale", dir, attr,
                         text);
        return n;
    }
    return 0;
}

int
iio_new(const struct iio_config *cfg, struct sample_source **out, char *err,
        size_t errlen)
{
    struct iio_source *src = NULL;
    char dir[IIO_PATH_MAX], name[IIO_TEXT_MAX];
    int r;

    if (out == NULL)
        return -EINVAL;
    *out = NULL;
    if (cfg == NULL || cfg->n_channels == 0 || cfg->n_channels > SENSOR_MAX_CHANNELS) {
        (void)text_error(err, errlen, "iio: configure 1 to %d channels",
                         SENSOR_MAX_CHANNELS);
        return -EINVAL;
    }
    if (cfg->period_ms < 10 || cfg->period_ms > 60000) {
        (void)text_error(err, errlen, "iio: period %lld ms: expected 10 to 60000 ms",
                         (long long)cfg->period_ms);
        return -EINVAL;
    }
    r = iio_find_device(cfg->sysfs_root, cfg->device, dir, sizeof(dir), err, errlen);
    if (r < 0)
        return r;
    src = calloc(1, sizeof(*src));
    if (src == NULL)
        return -ENOMEM;
    src->base.ops = &iio_ops;
    src->n_channels = cfg->n_channels;
    src->period_ms = cfg->period_ms;
    src->next_due_ms = INT64_MIN;
    r = read_attr(dir, "name", name, sizeof(name));
    src->offset_binary = r > 0 && strcmp(name, IIO_HX711_NAME) == 0;
    for (size_t i = 0; i < cfg->n_channels; i++) {
        unsigned c = cfg->channels[i];
        struct stat st;

        if (c > 255) {
            (void)text_error(err, errlen, "iio: channel %u: expected 0 to 255", c);
            r = -EINVAL;
            goto out;
        }
        if ((size_t)snprintf(src->raw_path[i], sizeof(src->raw_path[i]),
                             "%s/in_voltage%u_raw", dir,
                             c) >= sizeof(src->raw_path[i])) {
            r = -ENAMETOOLONG;
            goto out;
        }
        if (stat(src->raw_path[i], &st) < 0) {
            r = -errno;
            (void)text_error(err, errlen,
                             "%s: %s (the hx711 has channels 0 (A, gain 128 or "
                             "64) and 1 (B, gain 32))",
                             src->raw_path[i], strerror(-r));
            goto out;
        }
        r = read_scale(dir, c, &src->scale_nano[i], err, errlen);
        if (r < 0)
            goto out;
    }
    *out = &src->base;
    src = NULL;
    r = 0;
out:
    free(src);
    return r;
}

int
iio_scale_nano(const struct sample_source *s, size_t ch, int64_t *out_nano)
{
    const struct iio_source *src = (const struct iio_source *)s;

    if (s == NULL || s->ops != &iio_ops || ch >= src->n_channels || out_nano == NULL)
        return -EINVAL;
    if (src->scale_nano[ch] == 0)
        return -ENODATA;
    *out_nano = src->scale_nano[ch];
    return 0;
}
