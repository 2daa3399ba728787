/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl away: the household's away periods, over the daemon's control
 * socket (the daemon keeps those set here in its store, agent/pipeline/away.h). Alone
 * it lists them; --from and --until (local time, as the configuration writes
 * them) add one; --remove ID removes one. The arguments are checked here
 * first, so a mistake is named by its option; the daemon checks again.
 */
#include <stdio.h>
#include <string.h>

#include "agent/config/config-wishes.h"
#include "agent/control/control.h"
#include "agent/cli/pantryctl.h"
#include "agent/msg/utc.h"

/* Fill req from the options; 0, or EXIT_USAGE after a message. */
static int
away_request_of(const struct opts *o, struct control_request *req)
{
    static const char when[] = "YYYY-MM-DD or \"YYYY-MM-DD HH:MM\" (local time)";

    req->cmd = CONTROL_AWAY;
    if (o->given & OPT_REMOVE) {
        if (o->given & (OPT_FROM | OPT_UNTIL | OPT_ARRIVE))
            return cli_usage_error(
                "away: --remove takes no --from, --until or --arrive");
        req->remove = o->remove;
        return 0;
    }
    if (!(o->given & (OPT_FROM | OPT_UNTIL | OPT_ARRIVE)))
        return 0; /* list */
    if (!(o->given & OPT_FROM))
        return cli_usage_error("away: --until needs --from");
    if (!(o->given & OPT_UNTIL))
        return cli_usage_error("away: --from needs --until");
    if (!cfg_parse_local(o->from, &req->from_s))
        return cli_usage_error("--from: expected %s, found '%s'", when, o->from);
    if (!cfg_parse_local(o->until, &req->until_s))
        return cli_usage_error("--until: expected %s, found '%s'", when, o->until);
    if (req->until_s <= req->from_s)
        return cli_usage_error(
            "--until: expected a time after --from ('%s'), found '%s'", o->from,
            o->until);
    if (req->until_s * 1000 <= o->now_ms)
        return cli_usage_error("--until: '%s' has passed; an away period must not have "
                               "ended",
                               o->until);
    if (o->arrive != NULL) {
        if (strcmp(o->arrive, "after") != 0 && strcmp(o->arrive, "before") != 0)
            return cli_usage_error("--arrive: expected after or before, found '%s'",
                                   o->arrive);
        req->before = o->arrive[0] == 'b';
    }
    return 0;
}

/* The daemon's list (agent/pipeline/away.h) for people. */
static void
print_list(const cJSON *data)
{
    const cJSON *p;

    if (cJSON_GetArraySize(data) == 0)
        printf("away: none\n");
    cJSON_ArrayForEach(p, data)
    {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(p, "id");
        const char *from = cJSON_GetStringValue(cJSON_GetObjectItem(p, "from"));
        const char *until = cJSON_GetStringValue(cJSON_GetObjectItem(p, "until"));
        const char *arrive = cJSON_GetStringValue(cJSON_GetObjectItem(p, "arrive"));
        if (cJSON_IsNumber(id))
            printf("%-4.0f ", id->valuedouble);
        else
            printf("%-4s ", "-");
        put_clean(stdout, from != NULL ? from : "?");
        printf(" until ");
        put_clean(stdout, until != NULL ? until : "?");
        printf(", deliveries ");
        put_clean(stdout, arrive != NULL ? arrive : "?");
        printf(cJSON_IsNumber(id) ? "\n" : " (configured)\n");
    }
}

int
cmd_away(const struct command *cmd, struct opts *o)
{
    struct control_request req;
    struct control_response resp;
    int rc;

    memset(&req, 0, sizeof(req));
    if ((rc = away_request_of(o, &req)) != 0)
        return rc;
    if ((rc = call(o, &req, &resp)) != 0)
        return rc;
    rc = resp.ok ? 0 : EXIT_REFUSED;
    if (o->json) {
        cJSON *j = response_json(&resp);
        cJSON_AddStringToObject(j, "command", cmd->name);
        if (resp.ok && resp.data != NULL && cJSON_IsArray(resp.data)) {
            cJSON_AddItemToObject(j, "away", resp.data);
            resp.data = NULL;
        }
        if (print_json(j) != 0)
            rc = EXIT_REFUSED;
    } else if (!resp.ok) {
        refused(cmd->name, &resp);
    } else if (req.from_s == 0 && req.remove == 0) {
        if (!cJSON_IsArray(resp.data))
            rc = cli_fail("away: the daemon's answer holds no list");
        else
            print_list(resp.data);
    } else {
        put_clean(stdout, resp.message);
        putchar('\n');
    }
    control_response_fini(&resp);
    return rc;
}
