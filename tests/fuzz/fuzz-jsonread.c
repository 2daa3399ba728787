/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the exact JSON reader (agent/msg/jsonread.h) every message goes
 * through. A refusal says what and where; an accepted text is one object of
 * bounded depth without a name given twice, and cJSON's printing of it reads
 * back through the same reader (nothing it accepts is something it cannot
 * hold, such as a NUL inside a string).
 */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "agent/msg/jsonread.h"

#define MAX_LEN 4096
#define MAX_DEPTH 4

/* Depth of v, the object itself 1. */
static int
depth(const cJSON *v)
{
    int d = 0;
    for (const cJSON *c = v->child; c != NULL; c = c->next) {
        int k = depth(c);
        d = k > d ? k : d;
    }
    return cJSON_IsObject(v) || cJSON_IsArray(v) ? d + 1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];

    err[0] = '\0';
    cJSON *j =
        jr_parse((const char *)data, size, MAX_LEN, MAX_DEPTH, "fz", err, sizeof(err));
    if (j == NULL) {
        FUZZ_ASSERT(strncmp(err, "fz: ", 4) == 0);
        return 0;
    }
    FUZZ_ASSERT(size >= 2 && size <= MAX_LEN && memchr(data, '\0', size) == NULL);
    FUZZ_ASSERT(cJSON_IsObject(j) && depth(j) <= MAX_DEPTH);
    char *again = cJSON_PrintUnformatted(j);
    if (again != NULL) {
        /* cJSON may print a number longer than it read: allow for it. */
        cJSON *k = jr_parse(again, strlen(again), 4 * MAX_LEN, MAX_DEPTH, "again", err,
                            sizeof(err));
        FUZZ_ASSERT(k != NULL);
        cJSON_Delete(k);
        free(again);
    }
    cJSON_Delete(j);
    return 0;
}
