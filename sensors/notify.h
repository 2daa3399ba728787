/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * systemd's readiness protocol without libsystemd: datagrams to the socket in
 * $NOTIFY_SOCKET ("READY=1", "STATUS=...", "WATCHDOG=1", "STOPPING=1"). Without
 * NOTIFY_SOCKET (not started by systemd) every call does nothing and succeeds.
 */
#ifndef PANTRY_NOTIFY_H
#define PANTRY_NOTIFY_H

#include <stdint.h>

/* Send state (one or more "KEY=value" lines). 0, or a negative errno. */
int notify_send(const char *state);

/*
 * The watchdog interval systemd asks for in microseconds ($WATCHDOG_USEC, when
 * $WATCHDOG_PID is unset or ours), or 0 when there is no watchdog.
 */
int64_t notify_watchdog_usec(void);

#endif
