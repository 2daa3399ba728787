/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a replay needs to go on exactly where a killed one stopped, beyond what
 * the store's tables hold: the conditioning of every platform (sensors/cond:
 * levels, open episodes, filters, loads, items in hand), each item's timers,
 * open aggregate and last view, and the buttons' state machines. Saved, when
 * the pipeline is resumable, in every batch's transaction beside processed_ms
 * (store_resume_put()), so the two always agree; read back by a replay that
 * resumes from processed_ms, so that its events are those of a replay never
 * interrupted. Live, nothing is saved: after a restart the shelf has moved on,
 * and conditioning starts afresh.
 *
 * The text is versioned (RESUME_FORMAT) and written field by field, by name
 * tables in resume.c: a line per record ("cond 3 v v v ..."), values in the
 * order of the tables. A state of another format, another shelf or items, or
 * that does not parse, is not used (the caller says so and starts afresh).
 */
#ifndef PANTRY_AGENT_RESUME_H
#define PANTRY_AGENT_RESUME_H

#include <stddef.h>
#include <stdint.h>

#include "agent/pipeline/pipeline.h"

/* Bump when a table in resume.c changes. */
#define RESUME_FORMAT 1

/*
 * Write p's state as text into buf (cap bytes, NUL-terminated). Returns its
 * length, or -ENOSPC when cap is too small.
 */
int resume_encode(const struct pipeline *p, char *buf, size_t cap);

/*
 * Read a state made by resume_encode() into p, which pipeline_init() set up
 * with the same configuration: all of it, or nothing (p unchanged). 0, or
 * -EINVAL with the reason in err (another shelf, items or buttons; a line that
 * does not parse).
 */
int resume_decode(struct pipeline *p, const char *text, char *err, size_t errlen);

/* The state into the store (in the open batch), as of p->now_ms. 0 or -errno. */
int resume_save(struct pipeline *p);

/*
 * The store's state into p when it was saved at t_ms (the store's
 * processed_ms). 0; -ENOENT (none, or of another time); -EPROTO (another
 * format); -EINVAL (unusable); or the store's errno. err says which.
 */
int resume_load(struct pipeline *p, int64_t t_ms, char *err, size_t errlen);

#endif
