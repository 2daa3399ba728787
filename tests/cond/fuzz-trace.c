/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the sample trace parser. Input is split into lines and parsed;
 * whatever it accepts must satisfy the format's invariants (declared, in-range
 * indexes, time never going backwards, raw within 24 bits, an error message for
 * every rejection), and what it accepts must be written back identically by the
 * recorder.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "trace.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace_reader r;
    struct trace_record rec;
    struct trace_writer w;
    char err[256], *out = NULL;
    size_t out_size = 0, pos = 0;
    int64_t last = -1;
    FILE *f = open_memstream(&out, &out_size);
    FUZZ_ASSERT(f != NULL);
    trace_reader_init(&r);
    trace_writer_init(&w, f);
    while (pos < size) {
        const uint8_t *nl = memchr(data + pos, '\n', size - pos);
        size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;
        uint32_t ch = r.channel_mask, bt = r.button_mask;
        err[0] = '\0';
        if (trace_parse_line(&r, (const char *)data + pos, len, &rec, err,
                             sizeof(err)) < 0) {
            FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0');
            break;
        }
        /* Mirror declarations into the writer, records too. */
        for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
            if ((r.channel_mask & ~ch) & (UINT32_C(1) << i))
                FUZZ_ASSERT(trace_write_channel(&w, i, r.channel_names[i]) == 0);
        for (unsigned i = 0; i < SENSOR_MAX_BUTTONS; i++)
            if ((r.button_mask & ~bt) & (UINT32_C(1) << i))
                FUZZ_ASSERT(trace_write_button(&w, i, r.button_names[i]) == 0);
        if (rec.kind != TRACE_REC_NONE) {
            FUZZ_ASSERT(rec.t_ms >= last && rec.t_ms <= TRACE_T_MAX_MS);
            last = rec.t_ms;
        }
        if (rec.kind == TRACE_REC_SAMPLE) {
            FUZZ_ASSERT(rec.sample.channel < SENSOR_MAX_CHANNELS);
            FUZZ_ASSERT(r.channel_mask & (UINT32_C(1) << rec.sample.channel));
            FUZZ_ASSERT(rec.sample.status <= SAMPLE_INVALID);
            FUZZ_ASSERT(rec.sample.raw >= TRACE_RAW_MIN &&
                        rec.sample.raw <= TRACE_RAW_MAX);
            FUZZ_ASSERT(trace_write_sample(&w, &rec.sample) == 0);
        } else if (rec.kind == TRACE_REC_EDGE) {
            FUZZ_ASSERT(rec.edge.button < SENSOR_MAX_BUTTONS);
            FUZZ_ASSERT(r.button_mask & (UINT32_C(1) << rec.edge.button));
            FUZZ_ASSERT(trace_write_edge(&w, &rec.edge) == 0);
        } else if (rec.kind == TRACE_REC_NOTE) {
            FUZZ_ASSERT(trace_write_note(&w, rec.t_ms, rec.note) == 0);
        }
        pos += len + 1;
    }
    fclose(f);
    /* The recorder's output parses without error. */
    trace_reader_init(&r);
    for (char *p = out; *p != '\0';) {
        char *nl = strchr(p, '\n');
        FUZZ_ASSERT(nl != NULL);
        FUZZ_ASSERT(trace_parse_line(&r, p, (size_t)(nl - p), &rec, err, sizeof(err)) ==
                    0);
        p = nl + 1;
    }
    free(out);
    return 0;
}
