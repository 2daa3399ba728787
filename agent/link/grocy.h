/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's link to the household's Grocy (CONFIG.md "Grocy", STORE.md
 * "Grocy"): sends the store's queue of Grocy calls (store-grocy.h) one at a
 * time, oldest first, over HTTP(S) with libcurl. The transfer runs on a worker
 * thread that does nothing but HTTP; it hands each answer to the loop through
 * an eventfd, and everything else (the store, the rules below, the logs) is
 * the loop's, on its own thread.
 *
 * What happens to a call, by the answer it got:
 *
 *   answer                              stock call (consume/add)   shopping/inventory
 *   ----------------------------------- -------------------------- -------------------
 *   2xx and the body the API promises   done                       done
 *   401, 403, 404, 405, 408, 429        retried as it is, backoff  retried, backoff
 *   (the key, the URL: the link's fault, not the call's)
 *   any other 4xx                       failed (kept, not retried) failed
 *                                       + an inventory of the
 *                                       newest stock, queued last
 *   5xx; cannot connect or resolve      retried as it is, backoff  retried, backoff
 *   no answer after sending (timeout,   becomes an /inventory of   inventory: retried;
 *   cut), a 2xx with a bad body, or the the stock after its event, shopping: failed
 *   row found 'sending' at start        retried with backoff       (never added twice)
 *
 * A row is written 'sending' (committed) before its POST, so a crash between
 * the POST and its "done" is seen at the next start; an absolute /inventory is
 * right whether or not the first POST landed, so nothing is counted twice.
 */
#ifndef PANTRY_AGENT_GROCY_H
#define PANTRY_AGENT_GROCY_H

#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/pipeline/pipeline.h"
#include "agent/store/store.h"

struct grocy;

/*
 * Start the link for cfg->grocy (mode not off) on store db: read the API key
 * file (config-grocy.h: refused when group or others may read it), start the
 * worker. 0 with *out, or a negative errno with the reason in err (never the
 * key). db and cfg outlive the link.
 */
int grocy_new(const struct agent_config *cfg, struct store *db, struct grocy **out,
              char *err, size_t errlen);

/* The eventfd that becomes readable when the worker has an answer. */
int grocy_fd(const struct grocy *g);

/*
 * Do what is due at now_ms (wall clock): take an answer in, send the next row
 * when its time has come. pl's open batch is committed first (the queue's
 * rows are written on their own). Returns the milliseconds until it wants to
 * be called again (INT64_MAX: only when its fd is readable).
 */
int64_t grocy_work(struct grocy *g, struct pipeline *pl, int64_t now_ms);

/* Stop the worker (a transfer under way is aborted: its row stays 'sending')
 * and free g. NULL is fine. */
void grocy_free(struct grocy *g);

#endif
