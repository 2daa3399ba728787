/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark of conditioning for callgrind (tests/cond/run-bench.sh): a simulated
 * shelf at 10 or 80 Hz (every sample, default household: takes, refills, lifts,
 * bumps) is generated first, then measure_shelf() feeds the samples through the
 * shelf exactly as the daemon's pipeline does: the shelf's timers when they are
 * due (shelf_next_due_ms, shelf_tick), then shelf_sample. Instructions counted
 * inside measure_* are conditioning alone (plus a loop of a few instructions per
 * sample), stock events included. Usage: bench-cond 10|80 CHANNELS N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/shelf.h"
#include "sensors/cond/sim.h"

long measure_shelf(struct shelf *sh, const struct sample *s, size_t n);

/* Returns the number of events, so the work cannot be optimised away. */
__attribute__((noinline)) long
measure_shelf(struct shelf *sh, const struct sample *s, size_t n)
{
    struct stock_event ev[SHELF_MAX_EVENTS];
    long events = 0;
    for (size_t i = 0; i < n; i++) {
        int64_t due = shelf_next_due_ms(sh);
        if (due <= s[i].t_ms)
            events += shelf_tick(sh, due, ev);
        events += shelf_sample(sh, &s[i], ev);
    }
    return events;
}

int
main(int argc, char **argv)
{
    static struct shelf sh;
    struct sim_config sc;
    struct cond_config cc;
    struct sim *sim;
    if (argc != 4 || (strcmp(argv[1], "10") != 0 && strcmp(argv[1], "80") != 0)) {
        fprintf(stderr, "usage: bench-cond 10|80 CHANNELS N\n");
        return 2;
    }
    unsigned channels = (unsigned)strtoul(argv[2], NULL, 10);
    size_t n = strtoul(argv[3], NULL, 10), got = 0;
    if (channels < 1 || channels > SENSOR_MAX_CHANNELS)
        return 2;
    sim_config_default(&sc, 20261125, 2, channels);
    sc.unplug_every_days = 0;
    if (argv[1][0] == '8') {
        sc.period_ms = 12;
        sc.noise_mg = 900;
    }
    struct sample *s = malloc((n ? n : 1) * sizeof(*s));
    if (s == NULL || sim_new(&sc, &sim) < 0)
        return 1;
    while (got < n && sim_next(sim, &s[got]) == 1)
        got++;
    cond_config_default(&cc, sc.pack_mg);
    cc.container_mg = sc.container_mg;
    if (argv[1][0] == '8') {
        cc.noise_band_mg = 5000;
        cc.min_step_mg = 6000;
    }
    shelf_init(&sh);
    for (unsigned i = 0; i < channels; i++) {
        struct cond_cal cal;
        sim_cal(sim, i, &cal);
        if (shelf_add(&sh, (uint16_t)i, &cc, &cal, sc.start_ms) < 0)
            return 1;
    }
    long events = measure_shelf(&sh, s, got);
    printf("samples=%zu events=%ld hours=%.1f sizeof(struct shelf_place)=%zu "
           "sizeof(struct cond_channel)=%zu\n",
           got, events, got ? (double)(s[got - 1].t_ms - s[0].t_ms) / 3.6e6 : 0.0,
           sizeof(struct shelf_place), sizeof(struct cond_channel));
    sim_free(sim);
    free(s);
    return 0;
}
