/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON lines of out.h, built with cJSON, which escapes every string, so a
 * line never holds a raw newline whatever the payload carried.
 */
#include "out.h"

#include <cjson/cJSON.h>
#include <errno.h>

#include "utc.h"

static int
finish(cJSON *root, bool ok, char **line)
{
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    if (text == NULL)
        return -ENOMEM;
    *line = text;
    return 0;
}

int
out_accepted(const struct check_result *res, const char *token, int64_t received_s,
             char **line)
{
    char when[UTC_TEXT_LEN];
    cJSON *root = cJSON_CreateObject();
    bool ok;

    if (root == NULL)
        return -ENOMEM;
    utc_format(received_s, when, sizeof(when));
    ok = cJSON_AddStringToObject(root, "accepted", payload_kind_to_str(res->kind)) &&
         cJSON_AddStringToObject(root, "device", res->device) &&
         cJSON_AddStringToObject(root, "order_id", res->p.order_id) &&
         cJSON_AddNumberToObject(root, "seq", (double)res->p.seq) &&
         cJSON_AddStringToObject(root, "kid", res->kid) &&
         cJSON_AddStringToObject(root, "received", when) &&
         /* A reference: the object stays the result's, freed with it. */
         cJSON_AddItemReferenceToObject(root, "payload", res->p.json) &&
         cJSON_AddStringToObject(root, "jws", token);
    return finish(root, ok, line);
}

int
out_verdict(long line_no, enum ledger_verdict v, const struct check_result *res,
            char **line)
{
    cJSON *root = cJSON_CreateObject();
    bool ok;

    if (root == NULL)
        return -ENOMEM;
    ok = cJSON_AddNumberToObject(root, "line", (double)line_no) &&
         cJSON_AddStringToObject(root, "verdict", ledger_verdict_to_str(v)) &&
         (v != LEDGER_REJECTED ||
          cJSON_AddStringToObject(root, "reason", check_reason_to_str(res->reason))) &&
         cJSON_AddStringToObject(root, "detail",
                                 v == LEDGER_REJECTED    ? res->detail
                                 : v == LEDGER_DUPLICATE ? "seen before"
                                                         : "ok") &&
         (res->device[0] == '\0' ||
          cJSON_AddStringToObject(root, "device", res->device)) &&
         (res->p.order_id[0] == '\0' ||
          cJSON_AddStringToObject(root, "order_id", res->p.order_id)) &&
         (res->p.seq == 0 || cJSON_AddNumberToObject(root, "seq", (double)res->p.seq));
    return finish(root, ok, line);
}
