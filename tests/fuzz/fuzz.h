/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz targets: each defines LLVMFuzzerTestOneInput. Built with clang's libFuzzer
 * (-Dfuzzing=true, CC=clang), or with fuzz-main.c, a plain main() that feeds the
 * files and folders it is given, so the corpus is replayed by every build.
 */
#ifndef PANTRY_TESTS_FUZZ_H
#define PANTRY_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed invariant: print and abort, so both libFuzzer and the tests see it. */
#define FUZZ_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond))                                                                   \
            fuzz_fail(__FILE__, __LINE__, #cond);                                      \
    } while (0)

void fuzz_fail(const char *file, int line, const char *what);

#endif
