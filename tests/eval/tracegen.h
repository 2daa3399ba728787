/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Household consumption traces for the evaluation: an in-memory event list, a
 * seeded generator for six documented scenarios (tests/eval/README.md gives each
 * one's generative model and parameters), and a small text format to write a
 * trace to a file and read it back, so that any trace, generated or recorded,
 * can be replayed by pantry-eval. A trace is what a shelf would see: items
 * taken (use) and full packs put on the shelf (refill), in time order.
 */
#ifndef PANTRY_TESTS_EVAL_TRACEGEN_H
#define PANTRY_TESTS_EVAL_TRACEGEN_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* 2024-01-01T00:00:00Z, a Monday: day 0 of every generated trace. */
#define TG_EPOCH_S INT64_C(1704067200)

enum trace_kind {
    TRACE_USE,    /* mg taken from the shelf */
    TRACE_REFILL, /* a full pack of mg put on the shelf */
};

struct trace_event {
    int64_t t_s; /* Unix seconds */
    int64_t mg;  /* > 0 */
    enum trace_kind kind;
};

struct trace {
    char name[32];          /* scenario name or "file" */
    uint64_t seed;          /* generator seed, 0 for a recorded trace */
    int64_t start_s;        /* observation starts (the forecaster's fc_init time) */
    int64_t end_s;          /* observation ends, > start_s */
    struct trace_event *ev; /* owned; sorted by t_s, ties in file order */
    size_t n;
    size_t cap;
};

enum tg_scenario {
    TG_STEADY,
    TG_LAUNDRY,
    TG_HOLIDAY,
    TG_GUESTS,
    TG_GROWING,
    TG_PACK,
};
#define TG_SCENARIO_COUNT 6

/* "steady", "laundry", "holiday", "guests", "growing", "pack"; "?" otherwise. */
const char *tg_scenario_to_str(enum tg_scenario s);

/* One-line description for tables. */
const char *tg_scenario_describe(enum tg_scenario s);

/* Name to scenario: 0, or -EINVAL for an unknown name. */
int tg_scenario_from_str(const char *name, enum tg_scenario *out);

/* Empty trace; trace_fini() frees it (and accepts NULL). */
void trace_init(struct trace *t);
void trace_fini(struct trace *t);

/* Append an event (the caller keeps time order): 0 or -ENOMEM. */
int trace_push(struct trace *t, enum trace_kind kind, int64_t t_s, int64_t mg);

/*
 * Generate `days` days (30 .. 3660; the holiday, guest and pack scenarios need
 * at least 90) of scenario s from seed into t, which must be empty. The
 * household is open loop: the first pack is put on the shelf at TG_EPOCH_S and
 * a new one the moment the last gram of the previous one is used, so every
 * refill follows a use that empties the shelf. Returns 0, -EINVAL for bad days
 * or scenario, -ENOMEM. Deterministic: the same arguments give the same trace
 * on every platform with IEEE-754 doubles (only +, -, *, / and comparisons).
 */
int tg_generate(struct trace *t, enum tg_scenario s, uint64_t seed, int days);

/* Write t in the text format of README.md: 0, or -errno from the stream. */
int trace_write(const struct trace *t, FILE *f);

/*
 * Read a trace in that format from f into the empty t. On failure returns
 * -EINVAL (or -ENOMEM) and writes "NAME:LINE: what is wrong" into err; t is
 * then left empty. Checks: the header, known keywords, integer fields in
 * range, times inside [start, end] and not going back, and that a use never
 * takes more than is on the shelf.
 */
int trace_read(struct trace *t, FILE *f, const char *name, char *err, size_t err_len);

#endif
