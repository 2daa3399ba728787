/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's counters, gauges and histograms, and their text in the
 * Prometheus exposition format 0.0.4 (what `listen --metrics` serves, see
 * metrics-http.h). There is one set per process, as there is one listener:
 * the calls below are made where things happen (listen.c, the hand-off) and
 * take no handle, so a caller adds one line and no plumbing.
 *
 * Every value is a C11 atomic updated with relaxed order: the Paho callback
 * thread never takes a lock to count, and the HTTP thread reads while it
 * counts. A scrape is therefore not a snapshot of one instant; a histogram's
 * _count is the sum of its buckets as read, so its +Inf bucket always equals
 * _count, and its _sum may lag them by the observation being made.
 *
 * Metrics (prefix pantry_retailer_):
 *
 *   name                              type       labels
 *   --------------------------------  ---------  ---------------------------
 *   messages_total                    counter    verdict, reason
 *   verify_seconds                    histogram  (check_token)
 *   judge_seconds                     histogram  (the database transaction)
 *   handoff_seconds                   histogram  (stdout or the webhook)
 *   handoff_queue_depth               gauge
 *   acks_published_total              counter    (PUBACK from the broker)
 *   acks_failed_total                 counter
 *   acks_pending                      gauge      (queued, not answered)
 *   db_errors_total                   counter    kind=busy|io|other
 *   broker_connected                  gauge      1 or 0
 *   broker_reconnects_total           counter
 *   start_time_seconds                gauge      (Unix time)
 *   build_info                        gauge      version; always 1
 */
#ifndef PANTRY_RETAILER_METRICS_H
#define PANTRY_RETAILER_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "retailer/message-check.h"
#include "retailer/ledger.h"

enum metrics_verdict {
    METRICS_ACCEPTED,  /* a new reorder or cancel, recorded and handed off */
    METRICS_DUPLICATE, /* seen before under its order id */
    METRICS_REJECTED,  /* answered "rejected" with a reason */
    METRICS_DROPPED,   /* not answered: its signer is not known (message-check.h) */
};
#define METRICS_VERDICT_COUNT 4

/* "accepted", "duplicate", "rejected", "dropped"; "?" for anything else. */
const char *metrics_verdict_to_str(enum metrics_verdict v);

/*
 * Start the process's metrics: the version for build_info (copied, at most
 * 63 bytes kept) and the start time, wall_ms in ms since 1970. Counters are
 * zero until then and count from the first call of any function below, so
 * calling them without metrics_init (listen without --metrics) is harmless.
 */
void metrics_init(const char *version, long long wall_ms);

/* One message judged: its verdict and reason (CHECK_OK for accepted and
 * duplicate; a reason out of range counts as "malformed"). */
void metrics_message(enum metrics_verdict v, enum check_reason reason);

/* A message the ledger judged (ledger.h): accepted, duplicate or rejected
 * with res->reason. */
void metrics_judged(enum ledger_verdict v, const struct check_result *res);

/* Durations in seconds (negative counts as 0, beyond 1e6 s as 1e6 s). */
void metrics_verify(double seconds);
void metrics_judge(double seconds);
void metrics_handoff(double seconds);

/* Orders waiting for their hand-off (a webhook's queue; stdout has none). */
void metrics_queue_depth(long depth);

/* An ack queued for the broker, then answered (ok: PUBACK) or not. */
void metrics_ack_queued(void);
void metrics_ack_done(bool ok);

/* A database transaction failed with err (-EBUSY: busy, -EIO: io, else
 * other), or one succeeded: /health says the database is usable until the
 * next failure, and not usable until the next success. */
void metrics_db_error(int err);
void metrics_db_ok(void);

/* The broker connection came up (counted a reconnect after the first) or
 * went down. */
void metrics_broker(bool up);

/*
 * The text of every metric in the exposition format 0.0.4, malloc'd, NUL
 * terminated, into *text (the caller frees it) and its length in *len.
 * Returns 0 or -ENOMEM.
 */
int metrics_render(char **text, size_t *len);

/*
 * Whether the listener can take orders: 1 when the broker is connected and
 * the database's last transaction succeeded (or none failed yet), else 0
 * with a one-line reason (no newline) in why.
 */
int metrics_healthy(char *why, size_t whylen);

/*
 * A label value escaped for the exposition format (backslash, double quote
 * and line feed as \\, \" and \n) into out; returns 0, or -ENOSPC when it
 * does not fit (out is then "").
 */
int metrics_escape(const char *value, char *out, size_t outlen);

#endif
