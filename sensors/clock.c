/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * System clock readers (see clock.h). clock_gettime cannot fail for these clock
 * ids on Linux; a failure would be our bug, so it is asserted.
 */
#include "sensors/clock.h"

#include <assert.h>
#include <time.h>

static int64_t
read_clock(clockid_t id, int64_t div_ns)
{
    struct timespec ts;
    int r = clock_gettime(id, &ts);

    assert(r == 0);
    (void)r;
    return (int64_t)ts.tv_sec * (1000000000 / div_ns) + (int64_t)ts.tv_nsec / div_ns;
}

int64_t
clock_wall_ms(void)
{
    return read_clock(CLOCK_REALTIME, 1000000);
}

int64_t
clock_mono_us(void)
{
    return read_clock(CLOCK_MONOTONIC, 1000);
}

int64_t
clock_mono_us_cb(void *ctx)
{
    (void)ctx;
    return clock_mono_us();
}
