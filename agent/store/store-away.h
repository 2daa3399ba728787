/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's away periods set at run time (pantryctl away), kept in the
 * store's away table (agent/STORE.md, schema version 8) so they survive a
 * restart. The daemon merges them with the configured ones (agent/pipeline/away.h);
 * the checks of a period (from before until, not ended, the total limit) are
 * the caller's: the store keeps what it is given and refuses only what its
 * table's CHECKs refuse.
 */
#ifndef PANTRY_AGENT_STORE_AWAY_H
#define PANTRY_AGENT_STORE_AWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/store/store.h"

struct store_away {
    int64_t id;                /* > 0, given by store_away_add() */
    int64_t from_ms, until_ms; /* [from, until), 0 <= from < until, UTC */
    bool before;               /* the delivery should come before it */
    int64_t created_ms;
};

/*
 * Add a (its id ignored) and return its new id in *id (may be NULL). 0, or
 * -EINVAL (from < 0 or until <= from: nothing written), -EROFS on a read-only
 * store, or another negative errno with store_errmsg().
 */
int store_away_add(struct store *db, const struct store_away *a, int64_t *id);

/* Remove period id. 0, -ENOENT when there is none, or a negative errno. */
int store_away_remove(struct store *db, int64_t id);

/* Remove the periods that ended at or before now_ms (until_ms <= now_ms). 0,
 * -EROFS, or a negative errno. */
int store_away_prune(struct store *db, int64_t now_ms);

/*
 * The stored periods by from_ms, then id, into out (cap of them), their number
 * in *n. 0, -E2BIG when there are more than cap (the first cap are in out), or
 * a negative errno.
 */
int store_away_list(struct store *db, struct store_away *out, size_t cap, size_t *n);

#endif
