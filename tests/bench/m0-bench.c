/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The update workload of bench-models.c built for a Cortex-M0 (count-m0.sh):
 * the same household events (the same generator, seed and sequence), N of them
 * generated first, then fed to fc_consume() inside measure(), whose
 * instructions count-m0.sh counts under qemu-arm. No C library: the program
 * starts at _start, and leaves with the Linux exit system call that qemu-arm's
 * user mode serves. The generator may use libgcc (its 64-bit multiply and
 * division); models/ must not, and does not (tests/check-models-purity.sh).
 *
 * Built with -DBENCH_METHOD=FC_SES (or another method) -DBENCH_N=events.
 */
#include <stddef.h>
#include <stdint.h>

#include "models/forecast.h"

#define DAY INT64_C(86400)

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void _start(void) __attribute__((noreturn));
void measure_m0_update(struct fc *f, const struct fc_params *p, size_t n);

/* What gcc may call for struct copies; not measured (models/ does not use them). */
void *
memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    while (n--)
        *d++ = *s++;
    return dst;
}

void *
memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    while (n--)
        *d++ = (unsigned char)c;
    return dst;
}

/* tests/harness.c's th_rand (splitmix64), so the events are bench-models.c's. */
static uint64_t
rand64(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

static int64_t t_s[BENCH_N];
static int64_t mass_mg[BENCH_N];

__attribute__((noinline)) void
measure_m0_update(struct fc *f, const struct fc_params *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        fc_consume(f, p, t_s[i], mass_mg[i]);
}

void
_start(void)
{
    uint64_t rng = 42;
    int64_t t = 1790000000;
    for (size_t i = 0; i < BENCH_N; i++) {
        t += 60 + (int64_t)(rand64(&rng) % (uint64_t)(2 * DAY));
        t_s[i] = t;
        mass_mg[i] = 1000 + (int64_t)(rand64(&rng) % 300000);
        (void)rand64(&rng); /* bench-models.c's stock, unused here */
    }
    struct fc_params p = {
        .method = BENCH_METHOD,
        .half_life_s = 14 * DAY,
        .trend_half_life_s = 28 * DAY,
        .damp_half_life_s = 30 * DAY,
        .overdue_decay = true,
    };
    struct fc f;
    fc_init(&f, 1790000000);
    measure_m0_update(&f, &p, BENCH_N);
    /* exit(0): r7 = __NR_exit, r0 = status, svc 0 (EABI). */
    __asm__ volatile("movs r0, #0\n\tmovs r7, #1\n\tsvc 0\n" ::: "r0", "r7", "memory");
    for (;;) {
    }
}
