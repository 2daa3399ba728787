/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Test harness helpers (see harness.h).
 */
#include "tests/harness.h"

#include <string.h>

int th_failures;
int th_checks;
int th_tests;
static int th_reported_failures; /* failures inside RUN(), already reported */

uint64_t
th_seed(uint64_t fallback)
{
    const char *s = getenv("TEST_SEED");
    uint64_t seed = fallback;
    if (s != NULL && *s != '\0')
        seed = strtoull(s, NULL, 0);
    printf("# seed %" PRIu64 " (replay with TEST_SEED=%" PRIu64 ")\n", seed, seed);
    return seed;
}

uint64_t
th_rand(uint64_t *state)
{
    uint64_t z = (*state += UINT64_C(0x9E3779B97F4A7C15));
    z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
    return z ^ (z >> 31);
}

double
th_unit(uint64_t *state)
{
    return (double)(th_rand(state) >> 11) * (1.0 / 9007199254740992.0);
}

void
th_report(const char *name, int failed)
{
    th_reported_failures += failed;
    printf("%s %d - %s\n", failed == 0 ? "ok" : "not ok", ++th_tests, name);
    fflush(stdout);
}

int
th_skip(const char *reason)
{
    printf("1..0 # SKIP %s\n", reason);
    fprintf(stderr, "skipped: %s\n", reason);
    return 0;
}

int
th_done(void)
{
    int outside = th_failures - th_reported_failures;

    if (th_tests == 0 || outside > 0)
        th_report(th_tests == 0 ? "checks" : "checks outside a named test", outside);
    printf("# %d checks, %d failed\n", th_checks, th_failures);
    printf("1..%d\n", th_tests);
    return th_failures == 0 ? 0 : 1;
}

const char *
th_data(const char *name)
{
    static char path[4096];
    const char *dir = getenv("TEST_DATA_DIR");
    if (dir == NULL)
        dir = "tests/data";
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}
