/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Acks (see ack.h), built with the shared message code and signed with jws_sign.
 */
#include "retailer/ack.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/msg/jws.h"
#include "agent/msg/message.h"

/*
 * "<code>: <detail>" cut to what an ack's reason holds, at a UTF-8 character
 * boundary, with control characters (a payload's member names may carry
 * them) replaced: ack readers refuse them.
 */
static void
reason_text(const struct check_result *res, char out[MESSAGE_REASON_MAX])
{
    size_t n;

    size_t code = strlen(check_reason_to_str(res->reason));

    /* Cut on purpose: an ack's reason is short, the log has the whole detail. */
    memcpy(out, check_reason_to_str(res->reason), code);
    snprintf(out + code, MESSAGE_REASON_MAX - code, ": %.*s",
             (int)(MESSAGE_REASON_MAX - code - 3), res->detail);
    n = strlen(out);
    if (n > 0) {
        /* The last character: whole, or cut by snprintf and dropped. */
        size_t i = n - 1, need = 1;
        while (i > 0 && ((unsigned char)out[i] & 0xc0) == 0x80)
            i--;
        unsigned char lead = (unsigned char)out[i];
        if (lead >= 0xf0)
            need = 4;
        else if (lead >= 0xe0)
            need = 3;
        else if (lead >= 0xc0)
            need = 2;
        if (i + need > n)
            out[n = i] = '\0';
    }
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
            out[i] = '?';
}

/* Append one ack (JSON, or signed) and a newline to the text at *buf. */
static int
append(const struct ack_config *c, const struct message_ack *a, char **buf)
{
    char *json = NULL, *tok = NULL, *text, *grown;
    size_t old = *buf ? strlen(*buf) : 0, n;
    int r;

    if ((r = message_ack_json(a, &json)) < 0)
        return r;
    text = json;
    if (c->key != NULL) {
        if ((r = jws_sign(c->key, MESSAGE_TYP_ACK, json, strlen(json), &tok)) < 0)
            goto out;
        text = tok;
    }
    n = strlen(text);
    if ((grown = realloc(*buf, old + n + 2)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    memcpy(grown + old, text, n);
    memcpy(grown + old + n, "\n", 2);
    *buf = grown;
out:
    free(json);
    free(tok);
    return r;
}

/*
 * How long after the order it is delivered: ship_eta_s, or with a larger
 * ship_eta_max_s a time between the two drawn from the order id (FNV-1a), so a
 * duplicate gets the same eta.
 */
static int64_t
ship_after(const struct ack_config *c, const char *order_id)
{
    if (c->ship_eta_max_s <= c->ship_eta_s)
        return c->ship_eta_s;
    uint64_t h = UINT64_C(14695981039346656037);
    for (const char *p = order_id; *p != '\0'; p++)
        h = (h ^ (uint8_t)*p) * UINT64_C(1099511628211);
    return c->ship_eta_s +
           (int64_t)(h % (uint64_t)(c->ship_eta_max_s - c->ship_eta_s + 1));
}

int
ack_make(const struct ack_config *c, const struct check_result *res,
         enum ledger_verdict v, char **acks)
{
    struct message_ack a;
    int r = 0;

    *acks = NULL;
    if (v == LEDGER_DUPLICATE || !ledger_identified(res))
        return 0;
    memset(&a, 0, sizeof(a));
    snprintf(a.order_id, sizeof(a.order_id), "%s", res->p.order_id);
    snprintf(a.device, sizeof(a.device), "%s", res->device);
    snprintf(a.retailer, sizeof(a.retailer), "%s", c->retailer ? c->retailer : "");
    a.seq = res->p.seq;
    a.iat_s = c->now_s;
    if (v == LEDGER_REJECTED) {
        a.status = ACK_REJECTED;
        reason_text(res, a.reason);
    } else {
        a.status = res->kind == PAYLOAD_REORDER ? ACK_ACCEPTED : ACK_CANCELLED;
    }
    r = append(c, &a, acks);
    if (r == 0 && v == LEDGER_ACCEPTED && res->kind == PAYLOAD_REORDER &&
        c->ship_eta_s > 0) {
        a.status = ACK_SHIPPED;
        a.eta_s =
            (c->eta_from_order ? res->p.iat_s : c->now_s) + ship_after(c, a.order_id);
        r = append(c, &a, acks);
    }
    if (r < 0) {
        free(*acks);
        *acks = NULL;
    }
    return r;
}

int
ack_refused(const struct ack_config *c, const char *device, const char *order_id,
            int64_t seq, const char *reason, char **acks)
{
    struct message_ack a;
    int r;

    *acks = NULL;
    memset(&a, 0, sizeof(a));
    snprintf(a.order_id, sizeof(a.order_id), "%s", order_id);
    snprintf(a.device, sizeof(a.device), "%s", device);
    snprintf(a.retailer, sizeof(a.retailer), "%s", c->retailer ? c->retailer : "");
    a.seq = seq;
    a.iat_s = c->now_s;
    a.status = ACK_REJECTED;
    snprintf(a.reason, sizeof(a.reason), "refused: %s", reason);
    for (char *p = a.reason; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
    if ((r = append(c, &a, acks)) < 0) {
        free(*acks);
        *acks = NULL;
    }
    return r;
}
