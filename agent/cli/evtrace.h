/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stock event traces: a versioned text file of items and their consumption and
 * refill events, the input of pantry-forecast (and, later, of tests that replay a
 * household without sensors). The format is documented in agent/README.md:
 *
 *     # pantry-events v1
 *     item coffee pack=1000 name="Coffee beans" lead=2d service=95 method=ses
 *     2026-10-01T07:30:00Z coffee refill 1000
 *     2026-10-01T08:02:10Z coffee consume 14.5
 *
 * The file is untrusted input: every line is bounded, validated and ends with a
 * newline (the last one too: a file cut short is refused, not read as a smaller
 * number), and an error names the file, the line and what was expected. A trace
 * with a bad line is refused whole: nothing of it is used.
 */
#ifndef PANTRY_AGENT_EVTRACE_H
#define PANTRY_AGENT_EVTRACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "models/forecast.h"

#define EVTRACE_MAX_ITEMS 64
#define EVTRACE_MAX_EVENTS 20000000
#define EVTRACE_MAX_LINE 1024
#define EVTRACE_ID_MAX 32
#define EVTRACE_NAME_MAX 64

struct evtrace_item {
    char id[EVTRACE_ID_MAX];     /* [a-z0-9_-], 1..31 characters */
    char name[EVTRACE_NAME_MAX]; /* display name: no quotes, backslashes or controls */
    int64_t pack_mg;             /* net content of one pack, > 0 */
    int64_t lead_s;              /* default lead time */
    int64_t review_s;            /* review period */
    int64_t cover_s;             /* extra time an order should cover */
    uint32_t service_bp;         /* service level, basis points */
    uint32_t max_packs;          /* packs per order at most */
    struct fc_params fc;         /* forecaster */
};

enum evtrace_kind {
    EVTRACE_CONSUME, /* mg taken */
    EVTRACE_REFILL,  /* mg added (a new pack) */
    EVTRACE_STOCK,   /* stock set to mg (a count, or the first weighing) */
};

struct evtrace_event {
    int64_t t_s;
    int64_t mg;
    uint16_t item; /* index into items */
    uint8_t kind;  /* enum evtrace_kind */
};

struct evtrace {
    struct evtrace_item items[EVTRACE_MAX_ITEMS];
    size_t n_items;
    struct evtrace_event *events; /* owned; time order, non-decreasing */
    size_t n_events;
    size_t cap_events;
};

/* Empty trace. */
void evtrace_init(struct evtrace *t);

/* Frees the events; t may be NULL. The trace is empty afterwards. */
void evtrace_fini(struct evtrace *t);

/*
 * Parse one line (without its newline; at most EVTRACE_MAX_LINE bytes) into t.
 * line_no 1 must be the header. Returns 0, or -EINVAL with a message for the user
 * in err (what was expected and what was found), or -ENOMEM.
 */
int evtrace_parse_line(struct evtrace *t, const char *line, size_t len,
                       unsigned line_no, char *err, size_t errlen);

/*
 * Read a whole trace from path into the empty t. Returns 0, or a negative errno
 * (-errno of fopen, -EINVAL for a bad line, an empty file, a line over
 * EVTRACE_MAX_LINE bytes or a last line without its newline, -EIO, -ENOMEM)
 * with "path:line: what was expected" in err. On failure t is empty: nothing of
 * a refused trace is kept. The caller calls evtrace_fini() either way.
 */
int evtrace_load(struct evtrace *t, const char *path, char *err, size_t errlen);

/* The same from f's position to its end (f stays the caller's); name for errors. */
int evtrace_load_file(struct evtrace *t, FILE *f, const char *name, char *err,
                      size_t errlen);

/* Item index by id, or -1. */
int evtrace_find_item(const struct evtrace *t, const char *id);

/* "consume", "refill", "stock". */
const char *evtrace_kind_to_str(enum evtrace_kind k);

#endif
