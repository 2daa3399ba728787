/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's glue to the household's Grocy (daemon.h): made when a live
 * daemon has a grocy group, its fd watched by the loop, its work run when due.
 * The link itself is grocy.c; this file is the daemon's side, as
 * daemon-home.c is for the home broker.
 */
#include "agent/daemon/daemon.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>

#include "agent/link/grocy.h"
#include "agent/logging.h"

int
daemon_grocy_start(struct agent *a)
{
    char err[ERRLEN];
    int r;

    /* A replay queues its calls in the store; a live daemon sends them. */
    if (a->grocy != NULL || a->cfg->grocy.mode == CFG_GROCY_OFF ||
        a->replay_path != NULL || a->epfd < 0)
        return 0;
    if ((r = grocy_new(a->cfg, a->db, &a->grocy, err, sizeof(err))) < 0) {
        log_error("grocy: %s", err);
        return r;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = grocy_fd(a->grocy)};
    if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
        r = -errno;
        log_error("grocy: cannot watch its eventfd: %s", strerror(-r));
        grocy_free(a->grocy);
        a->grocy = NULL;
        return r;
    }
    log_info("grocy: %s, %s", a->cfg->grocy.url,
             a->cfg->grocy.mode == CFG_GROCY_SHOPPING ? "shopping list mode"
                                                      : "stock mode");
    return 0;
}

void
daemon_grocy_stop(struct agent *a)
{
    if (a->grocy == NULL)
        return;
    epoll_ctl(a->epfd, EPOLL_CTL_DEL, grocy_fd(a->grocy), NULL);
    grocy_free(a->grocy);
    a->grocy = NULL;
}

int64_t
daemon_grocy_due(struct agent *a, int64_t now)
{
    return a->grocy != NULL ? grocy_work(a->grocy, a->pl, now) : INT64_MAX;
}
