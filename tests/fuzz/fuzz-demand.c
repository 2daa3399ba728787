/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: a demand file (agent/sim/hhsource.h), as pantry-forecast simulate
 * and pantry-agent --household read it. A refused file names the file and a
 * line, and gives back nothing; an accepted one holds a use per line that is
 * neither empty nor a comment, in time order, with grams in range.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tests/fuzz/fuzz.h"
#include "agent/sim/hhsource.h"

#define EPOCH_S INT64_C(1767225600)

/* Lines a reader must take as uses: neither empty nor a comment. */
static size_t
use_lines(const uint8_t *data, size_t size)
{
    size_t n = 0, start = 0;
    for (size_t i = 0; i <= size; i++)
        if (i == size || data[i] == '\n') {
            if (i > start && data[start] != '#')
                n++;
            start = i + 1;
        }
    return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64], err[512];
    struct cl_use *u = (struct cl_use *)1;
    size_t n = 99;
    int fd = memfd_create("demand", 0);

    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    err[0] = '\0';
    int r = hh_read_demand(path, EPOCH_S, &u, &n, err, sizeof(err));
    if (r < 0) {
        FUZZ_ASSERT(u == NULL && n == 0);
        FUZZ_ASSERT(strncmp(err, path, strlen(path)) == 0 && err[strlen(path)] == ':');
    } else {
        FUZZ_ASSERT(r == 0 && n == use_lines(data, size));
        for (size_t i = 0; i < n; i++) {
            FUZZ_ASSERT(u[i].t_s >= EPOCH_S && u[i].mg >= 1 && u[i].mg <= 100000000);
            FUZZ_ASSERT(i == 0 || u[i].t_s >= u[i - 1].t_s);
        }
        free(u);
    }
    close(fd);
    return 0;
}
