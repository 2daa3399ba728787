/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Shared helper of the fuzz targets (see fuzz.h).
 */
#include <stdio.h>
#include <stdlib.h>

#include "tests/fuzz/fuzz.h"

void
fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
    abort();
}
