/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the stock event trace reader. Input is split into lines and parsed
 * as a trace; whatever it accepts must satisfy the trace invariants (ids valid,
 * events in time order, masses in range). The same bytes as a file go through
 * evtrace_load_file(): it accepts exactly when every line parses and the file
 * ends with a newline, then with the same items and events; a refused file
 * leaves the trace empty and names "name:line:".
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "agent/cli/evtrace.h"
#include "tests/fuzz/fuzz.h"

/* The input as a file (see the comment at the top); lines is what they gave. */
static void
load_whole(const uint8_t *data, size_t size, bool good, const struct evtrace *lines)
{
    struct evtrace t;
    char err[600];
    FILE *f = fmemopen((void *)data, size, "r");

    if (f == NULL) /* size 0 on an older libc */
        return;
    evtrace_init(&t);
    int r = evtrace_load_file(&t, f, "fuzz.events", err, sizeof(err));
    fclose(f);
    FUZZ_ASSERT((r == 0) == good);
    if (r < 0) {
        FUZZ_ASSERT(strncmp(err, "fuzz.events:", 12) == 0);
        FUZZ_ASSERT(t.n_events == 0 && t.n_items == 0);
    } else {
        FUZZ_ASSERT(t.n_items == lines->n_items && t.n_events == lines->n_events);
        for (size_t i = 0; i < t.n_events; i++) {
            const struct evtrace_event *a = &t.events[i], *b = &lines->events[i];
            FUZZ_ASSERT(a->t_s == b->t_s && a->mg == b->mg && a->item == b->item &&
                        a->kind == b->kind);
        }
    }
    evtrace_fini(&t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct evtrace t;
    char err[256];
    unsigned line_no = 0;
    size_t pos = 0;
    bool all_ok = true;
    evtrace_init(&t);
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        int r = evtrace_parse_line(&t, (const char *)data + pos, len, ++line_no, err,
                                   sizeof(err));
        if (r < 0) {
            FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
            all_ok = false;
            break;
        }
        pos += len + 1;
    }
    for (size_t i = 0; i < t.n_items; i++) {
        FUZZ_ASSERT(t.items[i].pack_mg > 0 && t.items[i].pack_mg <= MODELS_MASS_MAX_MG);
        FUZZ_ASSERT(strlen(t.items[i].id) > 0);
        FUZZ_ASSERT(t.items[i].service_bp >= 5000 && t.items[i].service_bp <= 9900);
    }
    for (size_t i = 0; i < t.n_events; i++) {
        FUZZ_ASSERT(t.events[i].item < t.n_items);
        FUZZ_ASSERT(t.events[i].mg >= 0 && t.events[i].mg <= MODELS_MASS_MAX_MG);
        FUZZ_ASSERT(i == 0 || t.events[i].t_s >= t.events[i - 1].t_s);
    }
    load_whole(data, size, all_ok && size > 0 && data[size - 1] == '\n', &t);
    evtrace_fini(&t);
    return 0;
}
