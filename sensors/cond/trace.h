/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sample traces: a versioned text format for raw load-cell samples, button edges
 * and free-text annotations, a strict line parser for it, a writer (the recorder
 * any live source can be piped through, so a user can attach a trace to a bug
 * report) and a replay source that implements struct sample_source_ops on the
 * trace's own virtual clock, so a month of samples replays in seconds. The
 * format is documented in sensors/cond/README.md:
 *
 *     # pantry-samples v1
 *     channel 0 flour
 *     button 0 flour
 *     s 1764072000000 0 ok 84213
 *     s 1764072000100 0 eio
 *     e 1764072000150 0 down
 *     a 1764072000200 lifted the flour jar
 *
 * A trace is untrusted input: lines are at most TRACE_LINE_MAX bytes and end
 * with a newline (the last one too: a file cut short is refused, not read as a
 * shorter number), indexes are below SENSOR_MAX_CHANNELS / SENSOR_MAX_BUTTONS
 * and declared, time never goes backwards, and every error names the file, the
 * line and what was expected. A replay checks the whole file before it returns
 * a single sample, so a trace with a bad line anywhere has no effect at all.
 */
#ifndef PANTRY_SENSORS_TRACE_H
#define PANTRY_SENSORS_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "sensors/sensor.h"

#define TRACE_HEADER "# pantry-samples v1"
#define TRACE_LINE_MAX 256 /* bytes of one line, without its newline */
#define TRACE_NAME_MAX 32  /* a channel or button name: [a-z0-9_-], 1..31 bytes */
#define TRACE_NOTE_MAX 200 /* bytes of annotation text, printable ASCII */
#define TRACE_T_MAX_MS INT64_C(999999999999999) /* 15 digits: year 33658 */
#define TRACE_RAW_MIN (-8388608)                /* signed 24-bit ADC counts */
#define TRACE_RAW_MAX 8388607

enum trace_rec_kind {
    TRACE_REC_NONE,   /* the line declared something or was a comment */
    TRACE_REC_SAMPLE, /* rec.sample is set */
    TRACE_REC_EDGE,   /* rec.edge is set */
    TRACE_REC_NOTE,   /* rec.t_ms and rec.note are set */
};

struct trace_record {
    uint8_t kind; /* enum trace_rec_kind */
    int64_t t_ms; /* of the sample, edge or note */
    struct sample sample;
    struct button_edge edge;
    char note[TRACE_NOTE_MAX + 1];
};

/* What the parser has seen so far: declarations and the time of the last record. */
struct trace_reader {
    unsigned line_no;      /* lines parsed so far */
    bool records_started;  /* a record was seen: no more declarations */
    int64_t last_t_ms;     /* time of the last record, -1 before the first */
    uint32_t channel_mask; /* declared channels */
    uint32_t button_mask;  /* declared buttons */
    char channel_names[SENSOR_MAX_CHANNELS][TRACE_NAME_MAX];
    char button_names[SENSOR_MAX_BUTTONS][TRACE_NAME_MAX];
};

/* A reader before line 1. */
void trace_reader_init(struct trace_reader *r);

/*
 * Parse the next line (without its newline; len bytes, which may hold NULs: they
 * are rejected). The first line must be TRACE_HEADER. Returns 0 and fills rec, or
 * -EINVAL with a message for the user in err (what was expected, what was found;
 * no file or line prefix: callers add "file:line: ").
 */
int trace_parse_line(struct trace_reader *r, const char *line, size_t len,
                     struct trace_record *rec, char *err, size_t errlen);

/* "ok", "eio", ...: the status names the format uses (sample_status_to_str). */
int trace_parse_status(const char *s, enum sample_status *out);

/*
 * The recorder. Writes TRACE_HEADER at init, then declarations, then records in
 * time order, in exactly the format trace_parse_line() reads. Every function
 * returns 0, -EINVAL for something the parser would reject (undeclared index,
 * bad name, time going backwards, declaration after a record, raw out of range,
 * note with control characters or too long), or -EIO once a write failed (then
 * every later call returns -EIO too). The FILE is the caller's.
 */
struct trace_writer {
    FILE *f;
    struct trace_reader state; /* what a reader of the output has seen */
    int error;                 /* sticky -EIO */
};

int trace_writer_init(struct trace_writer *w, FILE *f);
int trace_write_channel(struct trace_writer *w, unsigned channel, const char *name);
int trace_write_button(struct trace_writer *w, unsigned button, const char *name);
int trace_write_sample(struct trace_writer *w, const struct sample *s);
int trace_write_edge(struct trace_writer *w, const struct button_edge *e);
int trace_write_note(struct trace_writer *w, int64_t t_ms, const char *text);
/*
 * Record what src has due at now_ms: every sample and edge it returns, merged
 * into time order (a stable sort of the batch), until it has nothing more due.
 * Returns the number of records written, the source's negative errno, or
 * -EINVAL when a record is older than one already written (a source whose
 * samples and edges are more than TRACE_RECORD_BATCH apart in time order must
 * be recorded more often).
 */
#define TRACE_RECORD_BATCH 256
struct sample_source;
int trace_record_due(struct trace_writer *w, struct sample_source *src, int64_t now_ms);

/* fflush; -EIO if anything failed. */
int trace_writer_flush(struct trace_writer *w);

/* What trace_check_file() read. */
struct trace_summary {
    unsigned lines;     /* lines read (up to and with the bad one on failure) */
    int64_t bytes;      /* bytes of the lines checked, newlines included */
    uint64_t samples;   /* sample records */
    uint64_t edges;     /* button edge records */
    int64_t first_t_ms; /* time of the first record, -1 without records */
    int64_t last_t_ms;  /* time of the last record, -1 without records */
};

/*
 * Check a whole trace from f's position to its end, with trace_parse_line() a
 * line at a time (memory does not grow with the file). Returns 0, -EINVAL with
 * "name:line: what was expected" in err for the first bad line (also an empty
 * file, a line over TRACE_LINE_MAX bytes, a last line without its newline), or
 * -EIO for a read error. f is left at the end or after the bad line; sum is
 * filled either way.
 */
int trace_check_file(FILE *f, const char *name, struct trace_summary *sum, char *err,
                     size_t errlen);

/*
 * Replay source. Streams the trace (a month at 80 Hz never sits in memory):
 * read_samples(now_ms) returns the samples with t_ms <= now_ms, read_edges the
 * edges, both in file order; next_due_ms() is the time of the next record not yet
 * returned (INT64_MAX at the end), so a caller loops now = next_due_ms() on the
 * trace's virtual clock. Annotations are skipped. poll_fd is -1.
 *
 * The open checks the whole trace first (trace_check_file()) and refuses it for
 * any bad line, so a source never returns a record of a trace it would later
 * find bad; the replay then reads only the bytes that were checked. Should the
 * file change between the two passes, read_samples/read_edges return -EINVAL
 * from the first line that differs, with "name:line: message (the file changed
 * after it was checked)" from trace_replay_error(). A pipe (a recorder feeding
 * the replay, a trace too large for the disk) cannot be read twice: it is
 * replayed as it comes, unchecked, and a bad line returns -EINVAL there with
 * "name:line: message"; the caller says how far it got.
 */

/*
 * Open path for replay. On success *out is the caller's (sample_source_free()).
 * Returns 0, -errno of fopen or fseeko, -EINVAL for a bad line anywhere in the
 * file (of a pipe: in its header and declarations), -EIO for a read error (message in err as
 * "path:line: ..."), or -ENOMEM.
 */
int trace_replay_open(const char *path, struct sample_source **out, char *err,
                      size_t errlen);

/*
 * The same over an open FILE, from its current position, which the source owns
 * from now on, even on failure.
 */
int trace_replay_open_file(FILE *f, const char *name, struct sample_source **out,
                           char *err, size_t errlen);

/* The last error of a replay source ("" if none). s must be a replay source. */
const char *trace_replay_error(const struct sample_source *s);

/* Declarations read so far (names, masks). s must be a replay source. */
const struct trace_reader *trace_replay_reader(const struct sample_source *s);

/*
 * What the open's check found in the whole trace; NULL for a pipe, which is not
 * checked. s must be a replay source.
 */
const struct trace_summary *trace_replay_checked(const struct sample_source *s);

#endif
