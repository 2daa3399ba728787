/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the sample trace parser. Input is split into lines and parsed;
 * whatever it accepts must satisfy the format's invariants (declared, in-range
 * indexes, time never going backwards, raw within 24 bits, an error message for
 * every rejection), and what it accepts must be written back identically by the
 * recorder. The same bytes as a file go through the replay source: it opens
 * exactly when every line parses and the file ends with a newline, refuses it
 * otherwise with "name:line: ..." (so a replay never returns a record of a
 * trace it refuses), and an opened trace replays every record without error.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "sensors/cond/trace.h"

/* The input as a file through the replay source (see the comment at the top). */
static void
replay_whole(const uint8_t *data, size_t size, bool good, uint64_t records)
{
    struct sample_source *src = NULL;
    struct sample s[64];
    struct button_edge e[64];
    char err[600];
    uint64_t got = 0;
    FILE *f = fmemopen((void *)data, size, "r");

    if (f == NULL) /* size 0 on an older libc */
        return;
    int r = trace_replay_open_file(f, "fuzz.trace", &src, err, sizeof(err));
    FUZZ_ASSERT((r == 0) == good);
    if (r < 0) {
        FUZZ_ASSERT(src == NULL && strncmp(err, "fuzz.trace:", 11) == 0);
        return;
    }
    FUZZ_ASSERT(trace_replay_checked(src)->samples + trace_replay_checked(src)->edges ==
                records);
    for (int64_t now = 0; (now = src->ops->next_due_ms(src, now)) != INT64_MAX;) {
        int ns = src->ops->read_samples(src, now, s, 64);
        int ne = src->ops->read_edges(src, now, e, 64);
        FUZZ_ASSERT(ns >= 0 && ne >= 0);
        got += (uint64_t)ns + (uint64_t)ne;
    }
    FUZZ_ASSERT(got == records);
    FUZZ_ASSERT(trace_replay_error(src)[0] == '\0');
    sample_source_free(src);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct trace_reader r;
    struct trace_record rec;
    struct trace_writer w;
    char err[256], *out = NULL;
    size_t out_size = 0, pos = 0;
    int64_t last = -1;
    bool all_ok = true;
    uint64_t records = 0;
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
            all_ok = false;
            break;
        }
        records += rec.kind == TRACE_REC_SAMPLE || rec.kind == TRACE_REC_EDGE;
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
    replay_whole(data, size, all_ok && size > 0 && data[size - 1] == '\n', records);
    return 0;
}
