/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household's away periods as the daemon plans with them: the configured
 * ones (agent_config.away, CONFIG.md "away") followed by those set at run time
 * with pantryctl away and kept in the store (store-away.h), so they survive a
 * restart. The same limits hold for both together: at most DELIVERY_MAX_AWAY,
 * each ending after it starts; one added here must not have ended. This file
 * also answers the control socket's away command for the daemon.
 */
#ifndef PANTRY_AGENT_AWAY_H
#define PANTRY_AGENT_AWAY_H

#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/control/control.h"
#include "agent/store/store.h"

struct cJSON;

/*
 * Set c->away to its first c->n_away_conf periods (the configured ones), then
 * db's stored periods, by their start. Stored periods that do not fit in
 * DELIVERY_MAX_AWAY are left out. Returns how many were left out (>= 0), or
 * a negative errno with store_errmsg() (c->away then holds the configured
 * ones alone).
 */
int away_merge(struct agent_config *c, struct store *db);

/*
 * The daemon's answer to req (CONTROL_AWAY) at now_ms: add the period (refused
 * with -EINVAL when it has ended, -ENOSPC when c already holds
 * DELIVERY_MAX_AWAY configured ones and stored ones not ended; stored ones
 * that have ended are removed with the add), remove one (-ENOENT: no such stored
 * period; configured ones are the configuration's) or list them all in *data as
 * [{"id":N|null,"from":"...Z","until":"...Z","arrive":"after","configured":b}]
 * (id null for configured ones). After a change c->away is merged again.
 * A sentence for the person in msg either way; nothing changed on failure.
 */
int away_request(struct agent_config *c, struct store *db,
                 const struct control_request *req, int64_t now_ms, char *msg,
                 size_t len, struct cJSON **data);

#endif
