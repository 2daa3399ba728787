/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The project's tiny test harness: checks that report file, line and both values,
 * count failures, and TAP output (version 12) that meson's `protocol: 'tap'`
 * counts: "ok N - name" for each test function run, the plan "1..N" at the end,
 * and "1..0 # SKIP reason" for a program that cannot run here. Anything else on
 * stdout starts with "# ". A test program exits 0 when every check passed and
 * 1 otherwise. Randomised tests take their seed from TEST_SEED when set and
 * always print the seed they used.
 */
#ifndef PANTRY_TESTS_HARNESS_H
#define PANTRY_TESTS_HARNESS_H

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

extern int th_failures;
extern int th_checks;
extern int th_tests;

#define TH_FAIL(...)                                                                   \
    do {                                                                               \
        th_failures++;                                                                 \
        fprintf(stderr, "%s:%d: FAIL: ", __FILE__, __LINE__);                          \
        fprintf(stderr, __VA_ARGS__);                                                  \
        fputc('\n', stderr);                                                           \
    } while (0)

#define CHECK(cond)                                                                    \
    do {                                                                               \
        th_checks++;                                                                   \
        if (!(cond))                                                                   \
            TH_FAIL("%s", #cond);                                                      \
    } while (0)

#define CHECK_MSG(cond, ...)                                                           \
    do {                                                                               \
        th_checks++;                                                                   \
        if (!(cond))                                                                   \
            TH_FAIL(__VA_ARGS__);                                                      \
    } while (0)

#define CHECK_EQ_I64(a, b)                                                             \
    do {                                                                               \
        int64_t th_a = (int64_t)(a), th_b = (int64_t)(b);                              \
        th_checks++;                                                                   \
        if (th_a != th_b)                                                              \
            TH_FAIL("%s == %s: %" PRId64 " != %" PRId64, #a, #b, th_a, th_b);          \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                             \
    do {                                                                               \
        uint64_t th_a = (uint64_t)(a), th_b = (uint64_t)(b);                           \
        th_checks++;                                                                   \
        if (th_a != th_b)                                                              \
            TH_FAIL("%s == %s: %" PRIu64 " != %" PRIu64, #a, #b, th_a, th_b);          \
    } while (0)

#define CHECK_NEAR(a, b, tol)                                                          \
    do {                                                                               \
        double th_a = (double)(a), th_b = (double)(b), th_t = (double)(tol);           \
        th_checks++;                                                                   \
        if (!(th_a - th_b <= th_t && th_b - th_a <= th_t))                             \
            TH_FAIL("|%s - %s| <= %g: %.9g vs %.9g", #a, #b, th_t, th_a, th_b);        \
    } while (0)

/* Run one named test function and report it as one TAP test point. */
#define RUN(fn)                                                                        \
    do {                                                                               \
        int th_before = th_failures;                                                   \
        fn();                                                                          \
        th_report(#fn, th_failures - th_before);                                       \
    } while (0)

/* One TAP test point: "ok N - name", or "not ok" when failed is not 0. */
void th_report(const char *name, int failed);

/* The whole program cannot run here: prints the TAP skip plan with the reason
 * and returns the exit status to return from main (0, as TAP wants). */
int th_skip(const char *reason);

/* Seed from TEST_SEED or the default, printed so a failure can be replayed. */
uint64_t th_seed(uint64_t fallback);

/* splitmix64: a small, well-mixed generator with a documented algorithm. */
uint64_t th_rand(uint64_t *state);
/* Uniform double in [0, 1). */
double th_unit(uint64_t *state);

/* Reports checks made outside any RUN() as a test point of their own (or as
 * the only one when there was no RUN()), prints the plan, and returns the exit
 * status: 0 when every check passed, 1 otherwise. */
int th_done(void);

/* Path of a file under tests/data (TEST_DATA_DIR set by meson). */
const char *th_data(const char *name);

#endif
