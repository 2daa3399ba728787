/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl calibrate ITEM --weight GRAMS: the two-point calibration walked
 * through with a person over the daemon's control socket: the platform
 * emptied and tared, then the known weight put on and the span set, each step
 * confirmed with Enter and given --settle-ms to keep still.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "agent/config/agent-config.h"
#include "agent/control/control.h"
#include "agent/cli/pantryctl.h"

static bool
wait_enter(const char *text, const struct opts *o)
{
    char line[256];

    (void)o;
    fputs(text, stderr);
    fflush(stderr);
    return fgets(line, sizeof(line), stdin) != NULL;
}

/* The daemon weighs the last 3 s: the person must keep still that long first. */
static void
settle(const struct opts *o)
{
    if (o->settle_ms <= 0)
        return;
    fprintf(stderr, "  Keep still for %g s ...\n", (double)o->settle_ms / 1000.0);
    struct timespec ts = {.tv_sec = (time_t)(o->settle_ms / 1000),
                          .tv_nsec = (long)(o->settle_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Grams as they were given: 500, 499.5, 0.25 (no trailing zeros). */
static void
grams_as_given(int64_t mg, char *g, size_t len)
{
    snprintf(g, len, "%" PRId64 ".%03" PRId64, mg / 1000, mg % 1000);
    for (size_t n = strlen(g); g[n - 1] == '0' || g[n - 1] == '.'; n--) {
        bool dot = g[n - 1] == '.';
        g[n - 1] = '\0';
        if (dot)
            break;
    }
}

/* --json: the outcome (rc), the weight and both answers (span null when the
 * daemon was not asked); 0, or 1 when out of memory. */
static int
print_result(const struct opts *o, const struct cfg_item *it, int rc,
             const struct control_response *tare, const struct control_response *span)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddBoolToObject(j, "ok", rc == 0);
    cJSON_AddStringToObject(j, "command", "calibrate");
    cJSON_AddStringToObject(j, "item", it->id);
    cJSON_AddNumberToObject(j, "weight_g", (double)o->weight_mg / 1000.0);
    cJSON_AddItemToObject(j, "tare", response_json(tare));
    if (span->message[0] != '\0' || span->error[0] != '\0')
        cJSON_AddItemToObject(j, "span", response_json(span));
    else
        cJSON_AddNullToObject(j, "span");
    return print_json(j);
}

int
cmd_calibrate(const struct command *cmd, struct opts *o)
{
    struct control_request req = {0};
    struct control_response tare = {0}, span = {0};
    char line[256], g[32];
    int rc, idx;

    (void)cmd;
    if ((idx = find_item(o->item)) < 0)
        return EXIT_USAGE;
    const struct cfg_item *it = &pctl_cfg.items[idx];
    snprintf(req.item, sizeof(req.item), "%s", it->id);

    /* Is the daemon there at all? Better to know before the first step. */
    req.cmd = CONTROL_PING;
    if ((rc = call(o, &req, &tare)) != 0)
        return rc;
    control_response_fini(&tare);

    snprintf(line, sizeof(line),
             "Step 1 of 2: empty the platform of %s (take everything off it), then "
             "press Enter. ",
             it->id);
    if (!wait_enter(line, o))
        goto eof;
    settle(o);
    req.cmd = CONTROL_TARE;
    if ((rc = call(o, &req, &tare)) != 0)
        return rc;
    if (!tare.ok) {
        rc = EXIT_REFUSED;
        if (!o->json)
            refused("tare", &tare);
        goto done;
    }
    if (!o->json) {
        fputs("  ", stderr);
        put_clean(stderr, tare.message);
        fputc('\n', stderr);
    }
    grams_as_given(o->weight_mg, g, sizeof(g));
    snprintf(line, sizeof(line),
             "Step 2 of 2: put %s g on the platform of %s, let go, then press "
             "Enter. ",
             g, it->id);
    if (!wait_enter(line, o))
        goto eof;
    settle(o);
    req.cmd = CONTROL_SPAN;
    req.known_mg = o->weight_mg;
    if ((rc = call(o, &req, &span)) != 0) {
        control_response_fini(&tare);
        return rc;
    }
    rc = span.ok ? 0 : EXIT_REFUSED;
    if (!o->json) {
        if (span.ok) {
            put_clean(stdout, span.message);
            putchar('\n');
        } else {
            refused("span", &span);
        }
    }
done:
    if (o->json && print_result(o, it, rc, &tare, &span) != 0)
        rc = EXIT_REFUSED;
    control_response_fini(&tare);
    control_response_fini(&span);
    return rc;
eof:
    control_response_fini(&tare);
    return cli_fail("calibration abandoned (end of input): nothing was changed%s",
                    req.cmd == CONTROL_TARE ? " but the tare" : "");
}
