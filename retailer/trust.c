/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trust store (see trust.h). Lookups are binary searches: by device over
 * the entries, by kid over an index of entry numbers. trust_load appends every
 * file and sorts once; trust_add sorts again after each addition, which is
 * fine for the few keys tests and benchmarks add one by one.
 */
#include "retailer/trust.h"

#include <dirent.h>
#include <stdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/msg/message.h"
#include "sensors/text.h"

struct trust {
    struct trust_entry *e; /* sorted by device */
    size_t *by_kid;        /* entry numbers sorted by kid, then device */
    size_t n, cap;
};

int
trust_new(struct trust **out)
{
    *out = calloc(1, sizeof(**out));
    return *out == NULL ? -ENOMEM : 0;
}

void
trust_free(struct trust *t)
{
    if (t == NULL)
        return;
    free(t->e);
    free(t->by_kid);
    free(t);
}

size_t
trust_count(const struct trust *t)
{
    return t->n;
}

const struct trust_entry *
trust_at(const struct trust *t, size_t i)
{
    return i < t->n ? &t->e[i] : NULL;
}

/* First position whose device is >= device. */
static size_t
lower_device(const struct trust *t, const char *device)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->e[mid].device, device) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static size_t
lower_kid(const struct trust *t, const char *kid)
{
    size_t lo = 0, hi = t->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(t->e[t->by_kid[mid]].kid, kid) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

const struct trust_entry *
trust_find_device(const struct trust *t, const char *device)
{
    size_t i = lower_device(t, device);

    return i < t->n && strcmp(t->e[i].device, device) == 0 ? &t->e[i] : NULL;
}

const struct trust_entry *
trust_find_kid(const struct trust *t, const char *kid)
{
    size_t i = lower_kid(t, kid);

    return i < t->n && strcmp(t->e[t->by_kid[i]].kid, kid) == 0 ? &t->e[t->by_kid[i]]
                                                                : NULL;
}

static int
cmp_device(const void *a, const void *b)
{
    return strcmp(((const struct trust_entry *)a)->device,
                  ((const struct trust_entry *)b)->device);
}

static int
cmp_kid(const void *a, const void *b, void *arg)
{
    const struct trust_entry *e = arg;
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(e[i].kid, e[j].kid);

    return c != 0 ? c : (i > j) - (i < j);
}

/* Sort the entries by device and rebuild the kid index: after appending. */
static void
sort_all(struct trust *t)
{
    if (t->n == 0)
        return; /* e and by_kid are NULL then: qsort's arguments must not be */
    qsort(t->e, t->n, sizeof(*t->e), cmp_device);
    for (size_t i = 0; i < t->n; i++)
        t->by_kid[i] = i;
    qsort_r(t->by_kid, t->n, sizeof(*t->by_kid), cmp_kid, t->e);
}

/* Append without sorting (the caller sorts once when done). */
static int
append(struct trust *t, const char *device, const uint8_t pk[KEYS_PK_BYTES])
{
    struct trust_entry *e;

    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        if ((e = realloc(t->e, cap * sizeof(*e))) == NULL)
            return -ENOMEM;
        t->e = e;
        size_t *k = realloc(t->by_kid, cap * sizeof(*k));
        if (k == NULL)
            return -ENOMEM;
        t->by_kid = k;
        t->cap = cap;
    }
    e = &t->e[t->n++];
    snprintf(e->device, sizeof(e->device), "%s", device);
    memcpy(e->pk, pk, KEYS_PK_BYTES);
    keys_thumbprint(pk, e->kid);
    return 0;
}

int
trust_add(struct trust *t, const char *device, const uint8_t pk[KEYS_PK_BYTES])
{
    size_t i;
    int r;

    if (!text_is_name(device, MESSAGE_ID_MAX))
        return -EINVAL;
    i = lower_device(t, device);
    if (i < t->n && strcmp(t->e[i].device, device) == 0) {
        memcpy(t->e[i].pk, pk, KEYS_PK_BYTES);
        keys_thumbprint(pk, t->e[i].kid);
    } else if ((r = append(t, device, pk)) < 0) {
        return r;
    }
    sort_all(t);
    return 0;
}

/* Read one JWK file: at most KEYS_JWK_TEXT_MAX bytes. */
static int
read_jwk(int dfd, const char *name, uint8_t pk[KEYS_PK_BYTES], char *err, size_t errlen)
{
    char buf[KEYS_JWK_TEXT_MAX + 1], why[160];
    size_t n = 0;
    ssize_t got;
    int fd, r = 0;

    if ((fd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
        return -errno;
    while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
        if (got < 0) {
            r = -errno;
            goto out;
        }
        n += (size_t)got;
    }
    if (n > KEYS_JWK_TEXT_MAX) {
        r = text_error(err, errlen, "%s: longer than %d bytes, not a JWK", name,
                       KEYS_JWK_TEXT_MAX);
        goto out;
    }
    if (keys_jwk_parse(buf, n, pk, why, sizeof(why)) < 0)
        r = text_error(err, errlen, "%s: %s", name, why);
out:
    close(fd);
    return r;
}

int
trust_load(const char *dir, struct trust **out, char *err, size_t errlen)
{
    struct trust *t = NULL;
    struct dirent *de;
    DIR *d = NULL;
    int r;

    if ((r = trust_new(&t)) < 0)
        goto out;
    if (dir == NULL)
        goto out;
    if ((d = opendir(dir)) == NULL) {
        r = -errno;
        text_error(err, errlen, "trust store %s: %s", dir, strerror(errno));
        goto out;
    }
    while ((de = readdir(d)) != NULL) {
        char device[MESSAGE_ID_MAX + 8];
        uint8_t pk[KEYS_PK_BYTES];
        size_t n = strlen(de->d_name);

        if (n < 5 || strcmp(de->d_name + n - 4, ".jwk") != 0 || de->d_name[0] == '.')
            continue;
        if (n - 4 >= sizeof(device) ||
            (memcpy(device, de->d_name, n - 4), device[n - 4] = '\0',
             !text_is_name(device, MESSAGE_ID_MAX))) {
            r = text_error(err, errlen,
                           "trust store %s: %s: the name is not "
                           "<device-id>.jwk with 1 to 63 of A-Z a-z 0-9 _ -",
                           dir, de->d_name);
            goto out;
        }
        if (t->n >= TRUST_MAX_DEVICES) {
            r = text_error(err, errlen, "trust store %s: more than %d devices", dir,
                           TRUST_MAX_DEVICES);
            goto out;
        }
        char why[256] = "";
        if ((r = read_jwk(dirfd(d), de->d_name, pk, why, sizeof(why))) < 0) {
            text_error(err, errlen, "trust store %s: %s", dir,
                       why[0] ? why : strerror(-r));
            goto out;
        }
        if ((r = append(t, device, pk)) < 0)
            goto out;
    }
    sort_all(t);
    r = 0;
out:
    if (d != NULL)
        closedir(d);
    if (r < 0) {
        trust_free(t);
        t = NULL;
    }
    *out = t;
    return r;
}
