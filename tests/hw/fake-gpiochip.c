/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake GPIO chip of fake-gpiochip.h: libc calls interposed inside the test
 * executable (which exports them: see tests/hw/meson.build), answering for
 * /dev/gpiochipN, the sysfs files libgpiod checks to accept it as a GPIO chip
 * (v1: access and read /sys/bus/gpio/devices/gpiochipN/dev; v2: realpath of
 * /sys/dev/char/MAJ:MIN/subsystem) and the uAPI ioctls on the chip and request
 * fds, like drivers/gpio/gpiolib-cdev.c would for a chip of plain lines. All
 * else goes to the next definition (dlsym RTLD_NEXT: libc, or a sanitizer's
 * interceptor). State is static: no allocation, nothing to free.
 */
#undef _FORTIFY_SOURCE /* open() is ours here, not fortify's inline wrapper */
/* The plain names, not the headers' redirects of them to open64, stat64...:
 * both are defined below, whichever a library calls. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/gpio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "tests/hw/fake-gpiochip.h"

#define MAX_FDS 64

struct fline {
    enum fake_gpiochip_use use;
    int value;
    bool driven;                  /* from outside: value does not follow pull */
    enum fake_gpiochip_bias pull; /* the pin's resistor (never _DISABLED) */
    enum fake_gpiochip_bias bias; /* what the request holding it asked */
    char consumer[GPIO_MAX_NAME_SIZE];
    uint64_t v2_flags; /* 0 for v1 requests */
    int req;           /* index in fds[] of the request holding it, or -1 */
};

struct fchip {
    bool present;
    char label[GPIO_MAX_NAME_SIZE];
    unsigned n_lines;
    struct fline lines[FAKE_GPIOCHIP_MAX_LINES];
};

enum ftype { F_NONE, F_CHIP, F_HANDLE_V1, F_EVENT_V1, F_REQUEST_V2 };

struct ffd {
    enum ftype type;
    int fd;       /* what the code holds: the read end for requests */
    int write_fd; /* requests: where edges are queued */
    unsigned chip;
    unsigned n;
    unsigned offsets[FAKE_GPIOCHIP_MAX_LINES];
    uint64_t seqno;
};

static struct fchip chips[FAKE_GPIOCHIP_MAX_CHIPS];
static struct ffd fds[MAX_FDS];
static struct fake_gpiochip_hooks hooks;
static uint64_t global_seqno;

#define REAL(name) ((__typeof__(&name))fake_gpiochip_real(#name))

void *
fake_gpiochip_real(const char *name)
{
    void *f = dlsym(RTLD_NEXT, name);
    if (f == NULL) {
        fprintf(stderr, "fake-gpiochip: no next definition of %s\n", name);
        abort();
    }
    return f;
}

/* The chip index of "/dev/gpiochipN" (any N, present or not), else -1. */
static int
dev_index(const char *path, bool *is_dev)
{
    const char *p = path;
    char *end;
    unsigned long n;

    *is_dev = false;
    if (path == NULL || strncmp(p, "/dev/gpiochip", 13) != 0)
        return -1;
    *is_dev = true;
    p += 13;
    if (*p < '0' || *p > '9')
        return -1;
    n = strtoul(p, &end, 10);
    if (*end != '\0' || n >= FAKE_GPIOCHIP_MAX_CHIPS || !chips[n].present)
        return -1;
    return (int)n;
}

/* "/sys/bus/gpio/devices/gpiochipN/dev" of a present chip: N, else -1. */
static int
sysfs_dev_index(const char *path)
{
    unsigned n;
    int len = 0;

    if (path == NULL ||
        sscanf(path, "/sys/bus/gpio/devices/gpiochip%u/dev%n", &n, &len) != 1 ||
        path[len] != '\0' || n >= FAKE_GPIOCHIP_MAX_CHIPS || !chips[n].present)
        return -1;
    return (int)n;
}

static struct ffd *
ffd_of(int fd)
{
    for (int i = 0; i < MAX_FDS; i++)
        if (fds[i].type != F_NONE && fds[i].fd == fd)
            return &fds[i];
    return NULL;
}

static struct ffd *
ffd_new(void)
{
    for (int i = 0; i < MAX_FDS; i++)
        if (fds[i].type == F_NONE)
            return &fds[i];
    return NULL;
}

void
fake_gpiochip_reset(void)
{
    memset(chips, 0, sizeof(chips));
    memset(&hooks, 0, sizeof(hooks));
    global_seqno = 0;
}

void
fake_gpiochip_add(unsigned index, const char *label, unsigned n_lines)
{
    struct fchip *c = &chips[index];

    if (index >= FAKE_GPIOCHIP_MAX_CHIPS || n_lines == 0 ||
        n_lines > FAKE_GPIOCHIP_MAX_LINES)
        abort();
    memset(c, 0, sizeof(*c));
    c->present = true;
    snprintf(c->label, sizeof(c->label), "%s", label);
    c->n_lines = n_lines;
    for (unsigned i = 0; i < n_lines; i++)
        c->lines[i].req = -1;
}

void
fake_gpiochip_set_hooks(const struct fake_gpiochip_hooks *h)
{
    hooks = *h;
}

void
fake_gpiochip_set_input(unsigned chip, unsigned line, int value)
{
    chips[chip].lines[line].value = value != 0;
    chips[chip].lines[line].driven = true;
}

/* The level of a line nothing drives: its pull's, else the one it had. */
static int
pulled_level(const struct fline *l)
{
    if (l->pull == FAKE_GPIO_PULL_UP)
        return 1;
    if (l->pull == FAKE_GPIO_PULL_DOWN)
        return 0;
    return l->value;
}

void
fake_gpiochip_set_pull(unsigned chip, unsigned line, enum fake_gpiochip_bias pull)
{
    struct fline *l = &chips[chip].lines[line];

    l->pull = pull == FAKE_GPIO_BIAS_DISABLED ? FAKE_GPIO_BIAS_NONE : pull;
    if (!l->driven && l->use != FAKE_GPIO_OUTPUT)
        l->value = pulled_level(l);
}

enum fake_gpiochip_bias
fake_gpiochip_bias(unsigned chip, unsigned line)
{
    return chips[chip].lines[line].bias;
}

int
fake_gpiochip_output(unsigned chip, unsigned line)
{
    return chips[chip].lines[line].value;
}

enum fake_gpiochip_use
fake_gpiochip_use(unsigned chip, unsigned line)
{
    return chips[chip].lines[line].use;
}

const char *
fake_gpiochip_consumer(unsigned chip, unsigned line)
{
    return chips[chip].lines[line].consumer;
}

bool
fake_gpiochip_monotonic(unsigned chip, unsigned line)
{
    return (chips[chip].lines[line].v2_flags & (GPIO_V2_LINE_FLAG_EVENT_CLOCK_REALTIME |
                                                GPIO_V2_LINE_FLAG_EVENT_CLOCK_HTE)) ==
           0;
}

int
fake_gpiochip_open_fds(void)
{
    int n = 0;
    for (int i = 0; i < MAX_FDS; i++)
        n += fds[i].type != F_NONE;
    return n;
}

static int
read_line(unsigned chip, unsigned line)
{
    struct fline *l = &chips[chip].lines[line];

    if (l->use != FAKE_GPIO_OUTPUT && hooks.get != NULL)
        l->value = hooks.get(hooks.ctx, chip, line) != 0;
    return l->value;
}

static void
drive_line(unsigned chip, unsigned line, int value)
{
    chips[chip].lines[line].value = value != 0;
    if (hooks.set != NULL)
        hooks.set(hooks.ctx, chip, line, value != 0);
}

int
fake_gpiochip_edge(unsigned chip, unsigned line, bool rising, uint64_t ts_ns)
{
    struct fline *l;
    struct ffd *f;
    ssize_t w;

    if (chip >= FAKE_GPIOCHIP_MAX_CHIPS || line >= chips[chip].n_lines)
        return -ENOENT;
    l = &chips[chip].lines[line];
    if (l->use != FAKE_GPIO_EDGES || l->req < 0)
        return -ENOENT;
    f = &fds[l->req];
    l->value = rising;
    f->seqno++;
    global_seqno++;
    if (f->type == F_EVENT_V1) {
        struct gpioevent_data ev;
        memset(&ev, 0, sizeof(ev)); /* the padding too: it goes to the reader */
        ev.timestamp = ts_ns;
        ev.id = rising ? GPIOEVENT_EVENT_RISING_EDGE : GPIOEVENT_EVENT_FALLING_EDGE;
        w = write(f->write_fd, &ev, sizeof(ev));
        return w == (ssize_t)sizeof(ev) ? 0 : -EIO;
    } else {
        struct gpio_v2_line_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.timestamp_ns = ts_ns;
        ev.id =
            rising ? GPIO_V2_LINE_EVENT_RISING_EDGE : GPIO_V2_LINE_EVENT_FALLING_EDGE;
        ev.offset = line;
        ev.seqno = (uint32_t)global_seqno;
        ev.line_seqno = (uint32_t)f->seqno;
        if (!fake_gpiochip_monotonic(chip, line)) {
            /* What the kernel would stamp on the other clock: far from ts_ns. */
            struct timespec rt, mono;
            clock_gettime(CLOCK_REALTIME, &rt);
            clock_gettime(CLOCK_MONOTONIC, &mono);
            ev.timestamp_ns += (uint64_t)(rt.tv_sec - mono.tv_sec) * 1000000000u;
        }
        w = write(f->write_fd, &ev, sizeof(ev));
        return w == (ssize_t)sizeof(ev) ? 0 : -EIO;
    }
}

int
fake_gpiochip_drive(unsigned chip, unsigned line, int value, uint64_t ts_ns)
{
    struct fline *l;
    int level;

    if (chip >= FAKE_GPIOCHIP_MAX_CHIPS || line >= chips[chip].n_lines)
        return -ENOENT;
    l = &chips[chip].lines[line];
    if (l->use == FAKE_GPIO_OUTPUT)
        return -EBUSY;
    l->driven = value >= 0;
    level = l->driven ? value != 0 : pulled_level(l);
    if (level != l->value && l->use == FAKE_GPIO_EDGES)
        return fake_gpiochip_edge(chip, line, level, ts_ns);
    l->value = level;
    return 0;
}

/* ---- the interposed libc calls ---- */

static int
open_fake(const char *path, int flags, bool *handled)
{
    bool is_dev;
    int chip = dev_index(path, &is_dev);
    int s = sysfs_dev_index(path);
    struct ffd *f;

    *handled = is_dev || s >= 0;
    if (s >= 0) {
        /* The sysfs dev attribute, "MAJ:MIN\n", as a pipe holding it. */
        char text[32];
        int p[2];
        int n = snprintf(text, sizeof(text), "%u:%d\n", FAKE_GPIOCHIP_MAJOR, s);
        if (pipe2(p, O_CLOEXEC) < 0)
            return -1;
        if (write(p[1], text, (size_t)n) != n) {
            REAL(close)(p[0]);
            REAL(close)(p[1]);
            errno = EIO;
            return -1;
        }
        REAL(close)(p[1]);
        return p[0];
    }
    if (!is_dev)
        return -1;
    if (chip < 0) {
        errno = ENOENT;
        return -1;
    }
    f = ffd_new();
    if (f == NULL) {
        errno = EMFILE;
        return -1;
    }
    f->fd = eventfd(0, (flags & O_CLOEXEC) ? EFD_CLOEXEC : 0);
    if (f->fd < 0)
        return -1;
    f->type = F_CHIP;
    f->chip = (unsigned)chip;
    f->write_fd = -1;
    return f->fd;
}

int
open(const char *path, int flags, ...)
{
    mode_t mode = 0;
    bool handled;
    int fd;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    fd = open_fake(path, flags, &handled);
    return handled ? fd : REAL(open)(path, flags, mode);
}

int
open64(const char *path, int flags, ...)
{
    mode_t mode = 0;
    bool handled;
    int fd;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    fd = open_fake(path, flags, &handled);
    return handled ? fd : REAL(open64)(path, flags, mode);
}

int
openat(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    bool handled = false;
    int fd = -1;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (path[0] == '/')
        fd = open_fake(path, flags, &handled);
    return handled ? fd : REAL(openat)(dirfd, path, flags, mode);
}

int
openat64(int dirfd, const char *path, int flags, ...)
{
    mode_t mode = 0;
    bool handled = false;
    int fd = -1;

    if (flags & (O_CREAT | O_TMPFILE)) {
        va_list ap;
        va_start(ap, flags);
        mode = va_arg(ap, mode_t);
        va_end(ap);
    }
    if (path[0] == '/')
        fd = open_fake(path, flags, &handled);
    return handled ? fd : REAL(openat64)(dirfd, path, flags, mode);
}

static void
free_request(struct ffd *f)
{
    struct fchip *c = &chips[f->chip];

    for (unsigned i = 0; i < f->n; i++) {
        struct fline *l = &c->lines[f->offsets[i]];
        l->use = FAKE_GPIO_FREE;
        l->consumer[0] = '\0';
        l->v2_flags = 0;
        l->bias = FAKE_GPIO_BIAS_NONE; /* the pin keeps its pull */
        l->req = -1;
    }
    if (f->write_fd >= 0)
        REAL(close)(f->write_fd);
}

int
close(int fd)
{
    struct ffd *f = ffd_of(fd);

    if (f != NULL) {
        if (f->type != F_CHIP)
            free_request(f);
        memset(f, 0, sizeof(*f));
    }
    return REAL(close)(fd);
}

int
fake_gpiochip_path_rdev(const char *path, dev_t *rdev)
{
    bool is_dev;
    int chip = dev_index(path, &is_dev);

    if (!is_dev)
        return 0;
    if (chip < 0) {
        errno = ENOENT;
        return -1;
    }
    *rdev = makedev(FAKE_GPIOCHIP_MAJOR, (unsigned)chip);
    return 1;
}

/*
 * stat and lstat (a fake chip is no symbolic link) for one struct type: the
 * plain names, and the LFS ones (open64 and stat64 are what a library built
 * with _FILE_OFFSET_BITS=64 calls). fake-gpiochip-t64.c does the same for the
 * names 32-bit ARM code with 64-bit time_t calls.
 */
#define FAKE_STAT(fn, stat_t)                                                          \
    int fn(const char *path, stat_t *st)                                               \
    {                                                                                  \
        dev_t rdev;                                                                    \
        int r = fake_gpiochip_path_rdev(path, &rdev);                                  \
                                                                                       \
        if (r == 0)                                                                    \
            return REAL(fn)(path, st);                                                 \
        if (r < 0)                                                                     \
            return -1;                                                                 \
        memset(st, 0, sizeof(*st));                                                    \
        st->st_mode = S_IFCHR | 0660;                                                  \
        st->st_rdev = rdev;                                                            \
        st->st_nlink = 1;                                                              \
        return 0;                                                                      \
    }

FAKE_STAT(stat, struct stat)
FAKE_STAT(lstat, struct stat)
FAKE_STAT(stat64, struct stat64)
FAKE_STAT(lstat64, struct stat64)

int
access(const char *path, int mode)
{
    bool is_dev;
    int chip = dev_index(path, &is_dev);

    if (sysfs_dev_index(path) >= 0)
        return (mode & (W_OK | X_OK)) ? (errno = EACCES, -1) : 0;
    if (!is_dev)
        return REAL(access)(path, mode);
    if (chip < 0) {
        errno = ENOENT;
        return -1;
    }
    return 0;
}

char *
realpath(const char *path, char *resolved)
{
    const char *answer = NULL;
    unsigned maj, min;
    int len = 0;
    bool is_dev;
    int chip = dev_index(path, &is_dev);

    if (is_dev && chip >= 0)
        answer = path;
    else if (is_dev) {
        errno = ENOENT;
        return NULL;
    } else if (sscanf(path, "/sys/dev/char/%u:%u/subsystem%n", &maj, &min, &len) == 2 &&
               path[len] == '\0' && maj == FAKE_GPIOCHIP_MAJOR &&
               min < FAKE_GPIOCHIP_MAX_CHIPS && chips[min].present)
        answer = "/sys/bus/gpio";
    if (answer == NULL)
        return REAL(realpath)(path, resolved);
    if (resolved == NULL)
        return strdup(answer);
    snprintf(resolved, PATH_MAX, "%s", answer);
    return resolved;
}

/*
 * scandir of /dev lists only the fake chips (a real /dev is no business of
 * these tests); other directories are the real ones. For struct dirent and
 * struct dirent64 (scandir64: what LFS code calls).
 */
#define FAKE_SCANDIR(fn, dirent_t)                                                     \
    int fn(const char *dir, dirent_t ***names, int (*filter)(const dirent_t *),        \
           int (*compar)(const dirent_t **, const dirent_t **))                        \
    {                                                                                  \
        dirent_t **out;                                                                \
        int n = 0;                                                                     \
                                                                                       \
        if (strcmp(dir, "/dev") != 0)                                                  \
            return REAL(fn)(dir, names, filter, compar);                               \
        out = calloc(FAKE_GPIOCHIP_MAX_CHIPS, sizeof(*out));                           \
        if (out == NULL)                                                               \
            return -1;                                                                 \
        for (unsigned i = 0; i < FAKE_GPIOCHIP_MAX_CHIPS; i++) {                       \
            dirent_t *d;                                                               \
                                                                                       \
            if (!chips[i].present)                                                     \
                continue;                                                              \
            d = calloc(1, sizeof(*d));                                                 \
            if (d == NULL) {                                                           \
                while (n > 0)                                                          \
                    free(out[--n]);                                                    \
                free(out);                                                             \
                return -1;                                                             \
            }                                                                          \
            d->d_type = DT_CHR;                                                        \
            snprintf(d->d_name, sizeof(d->d_name), "gpiochip%u", i);                   \
            if (filter != NULL && !filter(d)) {                                        \
                free(d);                                                               \
                continue;                                                              \
            }                                                                          \
            out[n++] = d;                                                              \
        }                                                                              \
        /* Insertion sort: qsort's comparator type is not compar's. */                 \
        for (int i = 1; compar != NULL && i < n; i++)                                  \
            for (int j = i; j > 0 && compar((const dirent_t **)&out[j - 1],            \
                                            (const dirent_t **)&out[j]) > 0;           \
                 j--) {                                                                \
                dirent_t *t = out[j];                                                  \
                out[j] = out[j - 1];                                                   \
                out[j - 1] = t;                                                        \
            }                                                                          \
        *names = out;                                                                  \
        return n;                                                                      \
    }

FAKE_SCANDIR(scandir, struct dirent)
FAKE_SCANDIR(scandir64, struct dirent64)

/* ---- ioctls ---- */

/* The bias of a request's flags; -EINVAL for more than one, as the kernel. */
static int
bias_of(bool up, bool down, bool off, enum fake_gpiochip_bias *bias)
{
    if (up + down + off > 1)
        return -EINVAL;
    *bias = up     ? FAKE_GPIO_PULL_UP
            : down ? FAKE_GPIO_PULL_DOWN
            : off  ? FAKE_GPIO_BIAS_DISABLED
                   : FAKE_GPIO_BIAS_NONE;
    return 0;
}

static int
bias_of_v1(uint32_t handleflags, enum fake_gpiochip_bias *bias)
{
    return bias_of(handleflags & GPIOHANDLE_REQUEST_BIAS_PULL_UP,
                   handleflags & GPIOHANDLE_REQUEST_BIAS_PULL_DOWN,
                   handleflags & GPIOHANDLE_REQUEST_BIAS_DISABLE, bias);
}

/* The line info flags of a bias, v1's or v2's. */
static uint64_t
bias_flags(enum fake_gpiochip_bias bias, bool v2)
{
    switch (bias) {
    case FAKE_GPIO_PULL_UP:
        return v2 ? GPIO_V2_LINE_FLAG_BIAS_PULL_UP : GPIOLINE_FLAG_BIAS_PULL_UP;
    case FAKE_GPIO_PULL_DOWN:
        return v2 ? GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN : GPIOLINE_FLAG_BIAS_PULL_DOWN;
    case FAKE_GPIO_BIAS_DISABLED:
        return v2 ? GPIO_V2_LINE_FLAG_BIAS_DISABLED : GPIOLINE_FLAG_BIAS_DISABLE;
    default:
        return 0;
    }
}

/*
 * Take lines for a request at fds[] slot f; EBUSY/EINVAL as the kernel. A
 * bias asked sets the pin's pull before edges are detected (the kernel sets
 * the bias with the direction, then the edge interrupt), so an input nothing
 * drives moves to it with no edge.
 */
static int
claim(struct ffd *f, const char *consumer, enum fake_gpiochip_use use,
      uint64_t v2_flags, enum fake_gpiochip_bias bias)
{
    struct fchip *c = &chips[f->chip];

    if (f->n == 0 || f->n > FAKE_GPIOCHIP_MAX_LINES)
        return -EINVAL;
    for (unsigned i = 0; i < f->n; i++) {
        if (f->offsets[i] >= c->n_lines)
            return -EINVAL;
        if (c->lines[f->offsets[i]].use != FAKE_GPIO_FREE)
            return -EBUSY;
    }
    for (unsigned i = 0; i < f->n; i++) {
        struct fline *l = &c->lines[f->offsets[i]];
        l->use = use;
        l->v2_flags = v2_flags;
        l->bias = bias;
        if (bias != FAKE_GPIO_BIAS_NONE)
            fake_gpiochip_set_pull(f->chip, f->offsets[i], bias);
        l->req = (int)(f - fds);
        snprintf(l->consumer, sizeof(l->consumer), "%s", consumer);
    }
    return 0;
}

/* A request fd: a pipe; returns the read end, or -errno. */
static int
new_request(const struct ffd *chipf, enum ftype type, struct ffd **out)
{
    struct ffd *f = ffd_new();
    int p[2];

    if (f == NULL)
        return -EMFILE;
    if (pipe2(p, O_CLOEXEC) < 0)
        return -errno;
    *f = (struct ffd){.type = type, .fd = p[0], .write_fd = p[1], .chip = chipf->chip};
    *out = f;
    return 0;
}

static void
drop_request(struct ffd *f)
{
    REAL(close)(f->fd);
    REAL(close)(f->write_fd);
    memset(f, 0, sizeof(*f));
}

static int
chip_ioctl(struct ffd *cf, unsigned long req, void *arg)
{
    struct fchip *c = &chips[cf->chip];
    struct ffd *f;
    int r;

    switch (req) {
    case GPIO_GET_CHIPINFO_IOCTL: {
        struct gpiochip_info *info = arg;
        memset(info, 0, sizeof(*info));
        snprintf(info->name, sizeof(info->name), "gpiochip%u", cf->chip);
        snprintf(info->label, sizeof(info->label), "%s", c->label);
        info->lines = c->n_lines;
        return 0;
    }
    case GPIO_GET_LINEINFO_IOCTL: {
        struct gpioline_info *info = arg;
        struct fline *l;
        if (info->line_offset >= c->n_lines)
            return -EINVAL;
        l = &c->lines[info->line_offset];
        info->flags = (l->use != FAKE_GPIO_FREE ? GPIOLINE_FLAG_KERNEL : 0) |
                      (l->use == FAKE_GPIO_OUTPUT ? GPIOLINE_FLAG_IS_OUT : 0) |
                      (uint32_t)bias_flags(l->bias, false);
        memset(info->name, 0, sizeof(info->name));
        snprintf(info->consumer, sizeof(info->consumer), "%s", l->consumer);
        return 0;
    }
    case GPIO_V2_GET_LINEINFO_IOCTL: {
        struct gpio_v2_line_info *info = arg;
        unsigned off = info->offset;
        struct fline *l;
        if (off >= c->n_lines)
            return -EINVAL;
        l = &c->lines[off];
        memset(info, 0, sizeof(*info));
        info->offset = off;
        info->flags = l->v2_flags | bias_flags(l->bias, true) |
                      (l->use != FAKE_GPIO_FREE ? GPIO_V2_LINE_FLAG_USED : 0);
        if (l->use == FAKE_GPIO_FREE)
            info->flags |= GPIO_V2_LINE_FLAG_INPUT;
        snprintf(info->consumer, sizeof(info->consumer), "%s", l->consumer);
        return 0;
    }
    case GPIO_GET_LINEHANDLE_IOCTL: {
        struct gpiohandle_request *hr = arg;
        bool out = hr->flags & GPIOHANDLE_REQUEST_OUTPUT;
        enum fake_gpiochip_bias bias;
        if (out == !!(hr->flags & GPIOHANDLE_REQUEST_INPUT) ||
            hr->lines > FAKE_GPIOCHIP_MAX_LINES || bias_of_v1(hr->flags, &bias) < 0)
            return -EINVAL;
        r = new_request(cf, F_HANDLE_V1, &f);
        if (r < 0)
            return r;
        f->n = hr->lines;
        memcpy(f->offsets, hr->lineoffsets, f->n * sizeof(f->offsets[0]));
        r = claim(f, hr->consumer_label, out ? FAKE_GPIO_OUTPUT : FAKE_GPIO_INPUT, 0,
                  bias);
        if (r < 0) {
            drop_request(f);
            return r;
        }
        for (unsigned i = 0; out && i < f->n; i++)
            drive_line(f->chip, f->offsets[i], hr->default_values[i]);
        hr->fd = f->fd;
        return 0;
    }
    case GPIO_GET_LINEEVENT_IOCTL: {
        struct gpioevent_request *er = arg;
        enum fake_gpiochip_bias bias;
        if ((er->handleflags & GPIOHANDLE_REQUEST_OUTPUT) ||
            er->eventflags != GPIOEVENT_REQUEST_BOTH_EDGES)
            return -EINVAL; /* the seam only asks for both edges */
        if (bias_of_v1(er->handleflags, &bias) < 0)
            return -EINVAL;
        r = new_request(cf, F_EVENT_V1, &f);
        if (r < 0)
            return r;
        f->n = 1;
        f->offsets[0] = er->lineoffset;
        r = claim(f, er->consumer_label, FAKE_GPIO_EDGES, 0, bias);
        if (r < 0) {
            drop_request(f);
            return r;
        }
        er->fd = f->fd;
        return 0;
    }
    case GPIO_V2_GET_LINE_IOCTL: {
        struct gpio_v2_line_request *lr = arg;
        uint64_t flags = lr->config.flags;
        uint64_t values = 0, values_mask = 0;
        enum fake_gpiochip_use use;
        enum fake_gpiochip_bias bias;
        if (lr->num_lines == 0 || lr->num_lines > FAKE_GPIOCHIP_MAX_LINES ||
            lr->config.num_attrs > GPIO_V2_LINE_NUM_ATTRS_MAX)
            return -EINVAL;
        for (unsigned i = 0; i < lr->config.num_attrs; i++) {
            const struct gpio_v2_line_config_attribute *a = &lr->config.attrs[i];
            /* One line per request here: an attribute for line 0 is its own. */
            if (a->attr.id == GPIO_V2_LINE_ATTR_ID_FLAGS && (a->mask & 1))
                flags = a->attr.flags;
            else if (a->attr.id == GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES) {
                values = a->attr.values;
                values_mask = a->mask;
            }
        }
        if (!!(flags & GPIO_V2_LINE_FLAG_INPUT) == !!(flags & GPIO_V2_LINE_FLAG_OUTPUT))
            return -EINVAL;
        if (bias_of(flags & GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
                    flags & GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
                    flags & GPIO_V2_LINE_FLAG_BIAS_DISABLED, &bias) < 0)
            return -EINVAL;
        if ((flags & GPIO_V2_LINE_FLAG_OUTPUT) &&
            (flags & (GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING)))
            return -EINVAL;
        if (flags & GPIO_V2_LINE_FLAG_OUTPUT)
            use = FAKE_GPIO_OUTPUT;
        else if ((flags &
                  (GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING)) ==
                 (GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING))
            use = FAKE_GPIO_EDGES;
        else if (flags &
                 (GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING))
            return -EINVAL; /* the seam only asks for both edges */
        else
            use = FAKE_GPIO_INPUT;
        r = new_request(cf, F_REQUEST_V2, &f);
        if (r < 0)
            return r;
        f->n = lr->num_lines;
        memcpy(f->offsets, lr->offsets, f->n * sizeof(f->offsets[0]));
        r = claim(f, lr->consumer, use, flags, bias);
        if (r < 0) {
            drop_request(f);
            return r;
        }
        for (unsigned i = 0; use == FAKE_GPIO_OUTPUT && i < f->n; i++)
            drive_line(f->chip, f->offsets[i],
                       (values_mask >> i) & 1 ? (int)((values >> i) & 1) : 0);
        lr->fd = f->fd;
        return 0;
    }
    default:
        return -ENOTTY;
    }
}

static int
request_ioctl(struct ffd *f, unsigned long req, void *arg)
{
    bool out = chips[f->chip].lines[f->offsets[0]].use == FAKE_GPIO_OUTPUT;

    switch (req) {
    case GPIOHANDLE_GET_LINE_VALUES_IOCTL: {
        struct gpiohandle_data *d = arg;
        if (f->type == F_REQUEST_V2)
            return -ENOTTY;
        memset(d, 0, sizeof(*d));
        for (unsigned i = 0; i < f->n; i++)
            d->values[i] = (uint8_t)read_line(f->chip, f->offsets[i]);
        return 0;
    }
    case GPIOHANDLE_SET_LINE_VALUES_IOCTL: {
        const struct gpiohandle_data *d = arg;
        if (f->type != F_HANDLE_V1)
            return -ENOTTY;
        if (!out)
            return -EPERM;
        for (unsigned i = 0; i < f->n; i++)
            drive_line(f->chip, f->offsets[i], d->values[i]);
        return 0;
    }
    case GPIO_V2_LINE_GET_VALUES_IOCTL: {
        struct gpio_v2_line_values *v = arg;
        uint64_t bits = 0;
        if (f->type != F_REQUEST_V2 || v->mask == 0)
            return f->type != F_REQUEST_V2 ? -ENOTTY : -EINVAL;
        for (unsigned i = 0; i < f->n; i++)
            if (((v->mask >> i) & 1) && read_line(f->chip, f->offsets[i]))
                bits |= (uint64_t)1 << i;
        v->bits = bits;
        return 0;
    }
    case GPIO_V2_LINE_SET_VALUES_IOCTL: {
        const struct gpio_v2_line_values *v = arg;
        if (f->type != F_REQUEST_V2)
            return -ENOTTY;
        if (!out)
            return -EPERM;
        for (unsigned i = 0; i < f->n; i++)
            if ((v->mask >> i) & 1)
                drive_line(f->chip, f->offsets[i], (int)((v->bits >> i) & 1));
        return 0;
    }
    case GPIO_V2_LINE_SET_CONFIG_IOCTL:
        /* Reconfiguring is not a seam operation: refuse it loudly. */
        return -EOPNOTSUPP;
    default:
        return -ENOTTY;
    }
}

int
fake_gpiochip_ioctl(int fd, unsigned long req, void *arg, int *ret)
{
    struct ffd *f = ffd_of(fd);
    int r;

    if (f == NULL)
        return 0;
    r = f->type == F_CHIP ? chip_ioctl(f, req, arg) : request_ioctl(f, req, arg);
    if (r < 0) {
        errno = -r;
        *ret = -1;
    } else {
        *ret = 0;
    }
    return 1;
}

int
ioctl(int fd, unsigned long req, ...)
{
    va_list ap;
    void *arg;
    int r;

    va_start(ap, req);
    arg = va_arg(ap, void *);
    va_end(ap);
    return fake_gpiochip_ioctl(fd, req, arg, &r) ? r : REAL(ioctl)(fd, req, arg);
}
