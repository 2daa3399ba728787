/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The metrics module (retailer/metrics.h) on its own: label escaping against
 * the exposition format's rules worked out by hand, histogram buckets at
 * their edges (le is "less than or equal"), the cumulative counts and sums in
 * the text, the acks pending, reconnects, and the health line in each state.
 * Expected lines are written out here, not produced by the module.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "retailer/metrics.h"

static void
test_escape(void)
{
    char out[32];

    CHECK_EQ_I64(metrics_escape("a\"b\\c\nd", out, sizeof(out)), 0);
    CHECK_MSG(strcmp(out, "a\\\"b\\\\c\\nd") == 0, "escaped: %s", out);
    CHECK_EQ_I64(metrics_escape("plain 1.0", out, sizeof(out)), 0);
    CHECK(strcmp(out, "plain 1.0") == 0);
    /* "\\\\" needs 4 bytes and the NUL a fifth. */
    CHECK_EQ_I64(metrics_escape("\\\\", out, 4), -ENOSPC);
    CHECK(out[0] == '\0');
    CHECK_EQ_I64(metrics_escape("\\\\", out, 5), 0);
    CHECK(strcmp(out, "\\\\\\\\") == 0);
}

/* Whether the rendered text has exactly this line. */
static int
has_line(const char *text, const char *line)
{
    size_t n = strlen(line);

    for (const char *p = text; (p = strstr(p, line)) != NULL; p++)
        if ((p == text || p[-1] == '\n') && p[n] == '\n')
            return 1;
    return 0;
}

static void
test_render(void)
{
    static const char *const want[] = {
        ("# HELP pantry_retailer_verify_seconds Time to verify one token "
         "(check_token: key, signature, payload)."),
        "# TYPE pantry_retailer_verify_seconds histogram",
        /* 0 (from -1), 0.0001 (on the edge) */
        "pantry_retailer_verify_seconds_bucket{le=\"0.0001\"} 2",
        /* + 0.00010001 */
        "pantry_retailer_verify_seconds_bucket{le=\"0.00025\"} 3",
        "pantry_retailer_verify_seconds_bucket{le=\"5\"} 3",
        /* + 10 on the edge */
        "pantry_retailer_verify_seconds_bucket{le=\"10\"} 4",
        /* + 2e6, counted as 1e6 */
        "pantry_retailer_verify_seconds_bucket{le=\"+Inf\"} 5",
        "pantry_retailer_verify_seconds_count 5",
        /* 0 + 0.0001 + 0.00010001 + 10 + 1e6 */
        "pantry_retailer_verify_seconds_sum 1000010.000200010",
        "pantry_retailer_judge_seconds_count 0",
        "pantry_retailer_judge_seconds_bucket{le=\"+Inf\"} 0",
        "pantry_retailer_messages_total{verdict=\"accepted\",reason=\"ok\"} 2",
        "pantry_retailer_messages_total{verdict=\"duplicate\",reason=\"ok\"} 1",
        "pantry_retailer_messages_total{verdict=\"rejected\",reason=\"sequence\"} 1",
        "pantry_retailer_messages_total{verdict=\"dropped\",reason=\"malformed\"} 1",
        "pantry_retailer_messages_total{verdict=\"dropped\",reason=\"signature\"} 0",
        "pantry_retailer_acks_published_total 1",
        "pantry_retailer_acks_failed_total 1",
        "pantry_retailer_acks_pending 1",
        "pantry_retailer_db_errors_total{kind=\"busy\"} 1",
        "pantry_retailer_db_errors_total{kind=\"io\"} 1",
        "pantry_retailer_db_errors_total{kind=\"other\"} 1",
        "pantry_retailer_broker_connected 1",
        "pantry_retailer_broker_reconnects_total 1",
        "pantry_retailer_handoff_queue_depth 7",
        "pantry_retailer_start_time_seconds 1790856000.250",
        "# TYPE pantry_retailer_build_info gauge",
        "pantry_retailer_build_info{version=\"1.0 \\\"x\\\"\"} 1",
    };
    struct check_result res = {.reason = CHECK_SEQUENCE};
    char *text;
    size_t len;

    metrics_init("1.0 \"x\"", 1790856000250LL);
    metrics_verify(-1);
    metrics_verify(0.0001);
    metrics_verify(0.00010001);
    metrics_verify(10);
    metrics_verify(2e6);
    metrics_judged(LEDGER_ACCEPTED, &res);
    metrics_judged(LEDGER_ACCEPTED, &res);
    metrics_judged(LEDGER_DUPLICATE, &res);
    metrics_judged(LEDGER_REJECTED, &res);
    metrics_message(METRICS_DROPPED, (enum check_reason)99); /* out of range */
    metrics_message(METRICS_DROPPED, CHECK_OK);              /* no such series */
    for (int i = 0; i < 3; i++)
        metrics_ack_queued();
    metrics_ack_done(true);
    metrics_ack_done(false);
    metrics_db_error(-EBUSY);
    metrics_db_error(-EIO);
    metrics_db_error(-ENOMEM);
    metrics_db_ok();
    metrics_broker(true);
    metrics_broker(false);
    metrics_broker(true);
    metrics_queue_depth(7);
    CHECK_EQ_I64(metrics_render(&text, &len), 0);
    CHECK_EQ_U64(len, strlen(text));
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
        CHECK_MSG(has_line(text, want[i]), "missing line: %s", want[i]);
    CHECK_MSG(strstr(text, "verdict=\"dropped\",reason=\"ok\"") == NULL &&
                  strstr(text, "verdict=\"accepted\",reason=\"signature\"") == NULL,
              "a verdict with a reason it never has");
    CHECK(len > 0 && text[len - 1] == '\n');
    free(text);
}

static void
test_health(void)
{
    char why[128];

    /* This process's metrics after test_render: connected, database fine. */
    CHECK_EQ_I64(metrics_healthy(why, sizeof(why)), 1);
    CHECK(strcmp(why, "ok") == 0);
    metrics_db_error(-EBUSY);
    CHECK_EQ_I64(metrics_healthy(why, sizeof(why)), 0);
    CHECK_MSG(strcmp(why, "database: the last transaction failed (busy)") == 0, "%s",
              why);
    metrics_broker(false);
    CHECK_EQ_I64(metrics_healthy(why, sizeof(why)), 0);
    CHECK_MSG(strcmp(why, "broker: not connected") == 0, "%s", why);
    metrics_broker(true);
    metrics_db_ok();
    CHECK_EQ_I64(metrics_healthy(why, sizeof(why)), 1);
}

static void
test_never_connected(void)
{
    char why[128];

    /* Run first: nothing has connected in this process yet. */
    CHECK_EQ_I64(metrics_healthy(why, sizeof(why)), 0);
    CHECK_MSG(strcmp(why, "broker: not connected yet") == 0, "%s", why);
}

int
main(void)
{
    RUN(test_never_connected);
    RUN(test_escape);
    RUN(test_render);
    RUN(test_health);
    return th_done();
}
