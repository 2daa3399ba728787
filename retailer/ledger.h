/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The rules that need memory of earlier messages, and a memory for `verify`.
 *
 * A message is identified by (device, kind, order id): the agent re-sends an
 * unacknowledged message after every reconnect with the same id, sequence
 * number and bytes, so a second sight of the same triple is a duplicate, never
 * judged again (its stored answer is sent again). Reorders and cancels share
 * the device's one sequence counter, which only grows:
 *
 *   signer known  ids read  seen before  check   seq > last  verdict
 *   ------------  --------  -----------  ------  ----------  ------------------
 *   no            -         -            -       -           rejected (no record)
 *   yes           no        -            -       -           rejected (no record)
 *   yes           yes       yes          -       -           duplicate
 *   yes           yes       no           failed  -           rejected (recorded)
 *   yes           yes       no           ok      no          rejected, sequence
 *   yes           yes       no           ok      yes         accepted, last = seq
 *
 * "Recorded" rejections are remembered like accepted messages, so their re-sends
 * are duplicates too; they never move the device's last sequence number. The
 * listener keeps the same memory in SQLite (retailer-state.h) and uses ledger_decide.
 */
#ifndef PANTRY_RETAILER_LEDGER_H
#define PANTRY_RETAILER_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "retailer/message-check.h"

enum ledger_verdict {
    LEDGER_ACCEPTED,
    LEDGER_DUPLICATE,
    LEDGER_REJECTED,
};

/* "accepted", "duplicate", "rejected"; "?" otherwise. */
const char *ledger_verdict_to_str(enum ledger_verdict v);

/* True when a result can be looked up and recorded: signer known, ids read. */
bool ledger_identified(const struct check_result *res);

/*
 * The table above for an identified result: seen is whether its triple was
 * recorded before, last_seq the device's last accepted sequence number (0 for
 * none). Sets res->reason to CHECK_SEQUENCE (with a detail) when that is the
 * verdict. Pure: no state is read or written.
 */
enum ledger_verdict ledger_decide(struct check_result *res, bool seen,
                                  int64_t last_seq);

struct ledger;

/* An empty in-memory ledger. Returns 0 or -ENOMEM. */
int ledger_new(struct ledger **out);

/* ledger may be NULL. */
void ledger_free(struct ledger *l);

/*
 * Judge res (from check_token) against the ledger and record it: the whole
 * table above. Returns the verdict, or -ENOMEM (nothing recorded then).
 */
int ledger_apply(struct ledger *l, struct check_result *res);

#endif
