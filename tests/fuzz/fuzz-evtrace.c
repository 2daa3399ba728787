/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the stock event trace reader. Input is split into lines and parsed
 * as a trace; whatever it accepts must satisfy the trace invariants (ids valid,
 * events in time order, masses in range).
 */
#include <string.h>

#include "evtrace.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct evtrace t;
    char err[256];
    unsigned line_no = 0;
    size_t pos = 0;
    evtrace_init(&t);
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        int r = evtrace_parse_line(&t, (const char *)data + pos, len, ++line_no, err,
                                   sizeof(err));
        if (r < 0) {
            FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
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
    evtrace_fini(&t);
    return 0;
}
