/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's glue to the home broker (home.h): made and connected with the
 * link to the retailer (start_uplink() calls daemon_home_start(), so start,
 * reload and fallback all pass here), said goodbye to with it, and worked
 * from the live loop and the replay. A replay waits (real time, at most
 * HOME_CONNECT_WAIT_MS) for the first connection, so the states of a replay
 * that takes less than a connect still reach the broker. Its state goes to
 * pantryctl status, also when the configured link could not be made.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>

#include "sensors/clock.h"
#include "agent/daemon/daemon.h"
#include "agent/link/home.h"
#include "agent/logging.h"
#include "agent/link/uplink.h"

#ifndef PANTRY_VERSION
#define PANTRY_VERSION "unknown"
#endif

#define HOME_CONNECT_WAIT_MS 5000
#define HOME_GOODBYE_MS 1000
#define HOME_REPLAY_GOODBYE_MS 5000 /* a replay's states may still be in flight */

int
daemon_home_start(struct agent *a)
{
    char err[256];
    int r;

    a->home_error[0] = '\0';
    if (a->cfg->home.broker.url[0] == '\0')
        return 0;
    if ((r = home_new(a->cfg, a->pl, PANTRY_VERSION, &a->home, err, sizeof(err))) < 0) {
        log_error("home broker: %s", err);
        /* err names files and settings, never a credential (keys.h). */
        snprintf(a->home_error, sizeof(a->home_error), "%s", err);
        a->home_error_ms = clock_wall_ms();
        return r;
    }
    /* The scales and buttons on the home broker (mqttfeed.h): their topics,
     * at every start and reload (a reload makes a new link, after the sources
     * were opened again). */
    home_set_feed(a->home, sources_feed_message, a);
    for (size_t i = 0; a->feed != NULL && i < mqttfeed_n_topics(a->feed); i++)
        if ((r = home_subscribe(a->home, mqttfeed_topic(a->feed, i))) < 0) {
            log_error("home broker: cannot subscribe to %s: %s",
                      mqttfeed_topic(a->feed, i), strerror(-r));
            return r;
        }
    if (a->epfd >= 0 && a->replay_path == NULL) {
        struct epoll_event ev = {.events = EPOLLIN, .data.fd = home_fd(a->home)};
        if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
            r = -errno;
            log_error("cannot watch the home MQTT client: %s", strerror(-r));
            return r;
        }
    }
    if (a->replay_path != NULL) {
        int64_t end = clock_mono_us() / 1000 + HOME_CONNECT_WAIT_MS;
        for (;;) {
            int64_t mono = clock_mono_us() / 1000;
            home_work(a->home, mono, 0, false);
            if (home_connected(a->home) || mono >= end)
                break;
            struct pollfd pfd = {.fd = home_fd(a->home), .events = POLLIN};
            poll(&pfd, 1, (int)(end - mono));
        }
        if (!home_connected(a->home))
            log_warning("home: not connected after %d s; the replay goes on, and its "
                        "states go when the link comes",
                        HOME_CONNECT_WAIT_MS / 1000);
    }
    return 0;
}

int64_t
daemon_home_work(struct agent *a, int64_t now)
{
    if (a->home == NULL)
        return INT64_MAX;
    return home_work(a->home, clock_mono_us() / 1000, now,
                     a->up != NULL && uplink_connected(a->up));
}

void
daemon_home_status(const struct agent *a, struct status_home *out)
{
    if (a->home != NULL) {
        home_status(a->home, out);
        return;
    }
    memset(out, 0, sizeof(*out));
    out->configured = a->cfg->home.broker.url[0] != '\0';
    snprintf(out->url, sizeof(out->url), "%s", a->cfg->home.broker.url);
    snprintf(out->last_error, sizeof(out->last_error), "%s", a->home_error);
    out->last_error_ms = a->home_error_ms;
}

void
daemon_home_stop(struct agent *a, int64_t now)
{
    if (a->home == NULL)
        return;
    home_stop(a->home, now,
              a->replay_path != NULL ? HOME_REPLAY_GOODBYE_MS : HOME_GOODBYE_MS);
    if (a->epfd >= 0 && a->replay_path == NULL)
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, home_fd(a->home), NULL);
    home_free(a->home);
    a->home = NULL;
}
