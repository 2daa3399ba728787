/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Benchmark of conditioning for callgrind (tests/cond/run-bench.sh): a day of a
 * simulated shelf at 10 or 80 Hz (every sample, default household) is generated
 * first, then measure_cond() feeds the first N samples through cond_sample(), so
 * instructions counted inside measure_* are conditioning alone (plus a loop of a
 * few instructions per sample). Usage: bench-cond 10|80 N.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cond.h"
#include "sim.h"

long measure_cond(struct cond_channel *ch, const struct sample *s, size_t n);

/* Returns the number of events, so the work cannot be optimised away. */
__attribute__((noinline)) long
measure_cond(struct cond_channel *ch, const struct sample *s, size_t n)
{
    struct stock_event ev[COND_MAX_EVENTS];
    long events = 0;
    for (size_t i = 0; i < n; i++)
        events += cond_sample(ch, &s[i], ev, COND_MAX_EVENTS);
    return events;
}

int
main(int argc, char **argv)
{
    struct sim_config sc;
    struct cond_config cc;
    struct cond_channel ch;
    struct cond_cal cal;
    struct sim *sim;
    if (argc != 3 || (strcmp(argv[1], "10") != 0 && strcmp(argv[1], "80") != 0)) {
        fprintf(stderr, "usage: bench-cond 10|80 N\n");
        return 2;
    }
    size_t n = strtoul(argv[2], NULL, 10), got = 0;
    sim_config_default(&sc, 20261125, 1, 1);
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
    if (argv[1][0] == '8') {
        cc.noise_band_mg = 5000;
        cc.min_step_mg = 6000;
    }
    sim_cal(sim, 0, &cal);
    if (cond_init(&ch, 0, &cc, &cal, sc.start_ms) < 0)
        return 1;
    long events = measure_cond(&ch, s, got);
    printf("samples=%zu events=%ld sizeof(struct cond_channel)=%zu\n", got, events,
           sizeof(struct cond_channel));
    sim_free(sim);
    free(s);
    return 0;
}
