/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's writer lock (store.h): one pantry-agent at a time writes a store,
 * the daemon or a replay, never both. An exclusive flock() on a lock file beside
 * the store, held for the process's life and released by the kernel when it
 * exits, even by kill -9; the holder writes its pid in it, so the one refused
 * can say who holds it. A lock file of its own, not the database file: SQLite
 * holds POSIX locks on that one, and closing any other descriptor of it would
 * drop them. The file is never removed (removing it would let a third process
 * lock a new file while the second still holds the old one).
 */
#include "agent/store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "sensors/text.h"

/* The pid written in the lock file, or 0 when it holds none. */
static long
holder_pid(int fd)
{
    char buf[24];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    int64_t pid;

    if (n <= 0)
        return 0;
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == '\n')
        buf[--n] = '\0';
    return text_parse_uint(buf, 10, false, &pid) && pid > 0 ? (long)pid : 0;
}

int
store_lock(const char *store_path, int *fd_out, char *err, size_t errlen)
{
    char path[STORE_LOCK_PATH_MAX], line[24];
    int fd, r, len;

    *fd_out = -1;
    if ((size_t)snprintf(path, sizeof(path), "%s.lock", store_path) >= sizeof(path))
        return text_error(err, errlen, "store %s: the path is too long", store_path),
               -ENAMETOOLONG;
    if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0640)) < 0) {
        r = -errno;
        return text_error(err, errlen, "store %s: cannot open its lock file %s: %s",
                          store_path, path, strerror(-r)),
               r;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        r = errno == EWOULDBLOCK ? -EBUSY : -errno;
        long pid = holder_pid(fd);
        close(fd);
        if (r != -EBUSY)
            return text_error(err, errlen, "store %s: cannot lock %s: %s", store_path,
                              path, strerror(-r)),
                   r;
        if (pid > 0)
            snprintf(line, sizeof(line), "pid %ld", pid);
        else
            snprintf(line, sizeof(line), "pid unknown");
        return text_error(err, errlen,
                          "store %s is in use by another pantry-agent "
                          "(%s, holding %s): stop it first, or give this one a store "
                          "of its own",
                          store_path, line, path),
               r;
    }
    len = snprintf(line, sizeof(line), "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len) {
        r = errno != 0 ? -errno : -EIO;
        close(fd);
        return text_error(err, errlen, "store %s: cannot write %s: %s", store_path,
                          path, strerror(-r)),
               r;
    }
    *fd_out = fd;
    return 0;
}
