/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the agent learnt about an item (struct pl_model), saved field by field.
 *
 * Format 2 is text: a first line "pantry-model 2", then one "name=value" line
 * per field, value a decimal integer (the model's own fixed-point units; an
 * array's values separated by commas).
 * Reading starts from a fresh model (the caller's) and sets each field named;
 * a field missing keeps its fresh value, so a version that adds a field reads
 * the older state, and a name it does not know (written by a newer version) is
 * skipped. A value out of the field's range, a line that is not name=value, a
 * field named twice, or a missing header is an error: nothing is changed.
 *
 * Format 1 was the raw bytes of the struct as 0.1.0 saved it (a smoothed rate
 * error where the spreads of sizes and intervals are now, a lead with no
 * spread); it is read once, migrated field by field (modelstate.c says how), and
 * saved again as format 2.
 *
 * Not pure: it formats text, and ms_load() reads the store. No allocation;
 * everything fits MS_TEXT_MAX bytes.
 */
#ifndef PANTRY_AGENT_MODELSTATE_H
#define PANTRY_AGENT_MODELSTATE_H

#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"

#define MS_FORMAT 2
#define MS_TEXT_MAX 4096

/* m as format 2 text into buf (cap bytes); returns its length, -ENOSPC. */
int ms_encode(const struct pl_model *m, char *buf, size_t cap);

/*
 * A saved state of format (1 or 2), len bytes at blob, over *m, which holds a
 * fresh model (the configured lead prior, fc_init(), ...). 0 with *m updated;
 * -EINVAL with a message in err naming the line or the reason, *m unchanged;
 * -ENOTSUP for another format.
 */
int ms_decode(int32_t format, const void *blob, size_t len, struct pl_model *m,
              char *err, size_t errlen);

/*
 * A fresh model of item c, observation starting at now_ms: the configured lead
 * prior, nothing learnt.
 */
void ms_fresh(struct pl_model *m, const struct cfg_item *c, int64_t now_ms);

/*
 * Item c's model as the store keeps it, over a fresh one (ms_fresh()): 0 read
 * (*format says in which format), 1 none saved, 2 one that cannot be ours or
 * cannot be read (why says which; *m is fresh); a negative errno when the
 * store fails.
 */
int ms_load(struct store *db, const struct cfg_item *c, int64_t now_ms,
            struct pl_model *m, int32_t *format, char *why, size_t whylen);

#endif
