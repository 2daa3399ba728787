/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The fake GPIO chip's interposers for 32-bit code built with 64-bit time_t
 * (Debian 13's armhf, libgpiod included): there glibc's headers redirect
 * stat, lstat and ioctl to __stat64_time64, __lstat64_time64 and
 * __ioctl_time64, with a struct stat of glibc's own 64-bit layout. Compiled
 * here with _TIME_BITS=64, the definitions below get those names and that
 * struct; they answer through fake-gpiochip.c. Empty on 64-bit machines and
 * before glibc 2.34, where those names do not exist.
 */
#undef _FORTIFY_SOURCE
#undef _FILE_OFFSET_BITS
#define _FILE_OFFSET_BITS 64
#define _TIME_BITS 64

#include <features.h>

#if !defined(__LP64__) && defined(__GLIBC__) && __GLIBC_PREREQ(2, 34)

#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "tests/hw/fake-gpiochip.h"

static int
fill(const char *path, struct stat *st, const char *next)
{
    dev_t rdev;
    int r = fake_gpiochip_path_rdev(path, &rdev);

    if (r == 0)
        return ((int (*)(const char *, struct stat *))fake_gpiochip_real(next))(path,
                                                                                st);
    if (r < 0)
        return -1;
    memset(st, 0, sizeof(*st));
    st->st_mode = S_IFCHR | 0660;
    st->st_rdev = rdev;
    st->st_nlink = 1;
    return 0;
}

/* The symbol is __stat64_time64: the headers' redirect names the definition. */
int
stat(const char *path, struct stat *st)
{
    return fill(path, st, "__stat64_time64");
}

int
lstat(const char *path, struct stat *st)
{
    return fill(path, st, "__lstat64_time64");
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
    if (fake_gpiochip_ioctl(fd, req, arg, &r))
        return r;
    return ((int (*)(int, unsigned long, ...))fake_gpiochip_real("__ioctl_time64"))(
        fd, req, arg);
}

#else
/* Nothing to interpose: keep the translation unit non-empty for ISO C. */
typedef int fake_gpiochip_t64_unused;
#endif
