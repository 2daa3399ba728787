/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * sd_notify(3) by hand (see notify.h). The socket path may be abstract ("@" for
 * the leading NUL), as systemd uses.
 */
#include "sensors/notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sensors/text.h"

int
notify_send(const char *state)
{
    const char *path = getenv("NOTIFY_SOCKET");
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    size_t n;
    int fd, r = 0;

    if (path == NULL || path[0] == '\0')
        return 0;
    n = strlen(path);
    if ((path[0] != '/' && path[0] != '@') || n >= sizeof(sa.sun_path))
        return -EINVAL;
    memcpy(sa.sun_path, path, n);
    if (path[0] == '@')
        sa.sun_path[0] = '\0';
    if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
        return -errno;
    if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa,
               (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)) < 0)
        r = -errno;
    close(fd);
    return r;
}

int64_t
notify_watchdog_usec(void)
{
    const char *us = getenv("WATCHDOG_USEC"), *pid = getenv("WATCHDOG_PID");
    int64_t v, p;

    if (us == NULL || !text_parse_uint(us, 15, false, &v) || v <= 0)
        return 0;
    if (pid != NULL && (!text_parse_uint(pid, 10, false, &p) || p != getpid()))
        return 0;
    return v;
}
