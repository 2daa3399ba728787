/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to the pipeline (pipeline.c, pipeline-acks.c): a store failure
 * noted for the logs, and the audit log.
 */
#ifndef PANTRY_AGENT_PIPELINE_INT_H
#define PANTRY_AGENT_PIPELINE_INT_H

#include <stdint.h>

#include "pipeline.h"

/* r, and when it is < 0 the store's failure counted and kept (last_error). */
int pl_note_err(struct pipeline *p, int r);

/* A line of the audit log about item it (NULL: the device), in the open batch. */
int pl_audit(struct pipeline *p, const struct pl_item *it, int64_t now_ms,
             const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Save item it's model (modelstate.h) in the open batch. */
int pl_save_model(struct pipeline *p, struct pl_item *it, int64_t now_ms);

#endif
