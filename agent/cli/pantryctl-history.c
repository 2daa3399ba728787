/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl history [ITEM]: the store's history read-only, newest first (order
 * transitions, stock events, audit lines), as lines for people or with --json
 * one object with the array "history".
 */
#include <stdio.h>

#include <cJSON.h>

#include "agent/config/agent-config.h"
#include "agent/store/store.h"
#include "sensors/text.h"
#include "agent/cli/pantryctl.h"

struct history_ctx {
    const struct opts *o;
    cJSON *arr;
};

/* One line of the history as a JSON object. */
static cJSON *
history_json(const struct store_history *h)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddNumberToObject(j, "t_ms", (double)h->t_ms);
    if (h->item != NULL)
        cJSON_AddStringToObject(j, "item", h->item);
    else
        cJSON_AddNullToObject(j, "item");
    switch (h->kind) {
    case HISTORY_TRANSITION:
        cJSON_AddStringToObject(j, "kind", "order");
        cJSON_AddStringToObject(j, "order_id", h->order_id ? h->order_id : "");
        if (h->from >= 0 && h->from < ORDER_STATE_COUNT)
            cJSON_AddStringToObject(
                j, "from", store_order_state_to_str((enum store_order_state)h->from));
        else
            cJSON_AddNullToObject(j, "from");
        cJSON_AddStringToObject(
            j, "to", store_order_state_to_str((enum store_order_state)h->to));
        break;
    case HISTORY_EVENT: {
        cJSON *fl = cJSON_AddArrayToObject(j, "flags");
        cJSON_AddStringToObject(j, "kind", "event");
        cJSON_AddStringToObject(j, "event",
                                stock_kind_to_str((enum stock_kind)h->ev.kind));
        cJSON_AddNumberToObject(j, "g", (double)h->ev.mg / 1000.0);
        for (unsigned f = 1; f <= STOCK_F_LEFT && fl != NULL; f <<= 1)
            if (h->ev.flags & f) {
                char name[32];
                stock_flags_to_str(f, name, sizeof(name));
                cJSON_AddItemToArray(fl, cJSON_CreateString(name));
            }
        break;
    }
    default:
        cJSON_AddStringToObject(j, "kind", "audit");
    }
    if (h->note != NULL)
        cJSON_AddStringToObject(j, "note", h->note);
    else
        cJSON_AddNullToObject(j, "note");
    return j;
}

/* One line of the history for people. */
static void
history_print(const struct store_history *h)
{
    char a[32], b[32];

    printf("%s  %-12s  ", fmt_time(h->t_ms, a, 32), h->item != NULL ? h->item : "-");
    switch (h->kind) {
    case HISTORY_TRANSITION:
        printf("order %s ", h->order_id ? h->order_id : "?");
        if (h->from >= 0 && h->from < ORDER_STATE_COUNT)
            printf("%s -> %s",
                   store_order_state_to_str((enum store_order_state)h->from),
                   store_order_state_to_str((enum store_order_state)h->to));
        else
            printf("created, %s",
                   store_order_state_to_str((enum store_order_state)h->to));
        break;
    case HISTORY_EVENT: {
        enum stock_kind k = (enum stock_kind)h->ev.kind;
        printf("%s", stock_kind_to_str(k));
        if (k == STOCK_CONSUME || k == STOCK_REFILL)
            printf(" %s", fmt_g(h->ev.mg, b, 32));
        else if (k != STOCK_FAULT && k != STOCK_FAULT_END)
            printf(" (stock %s)", fmt_g(h->ev.mg, b, 32));
        if (h->ev.flags != 0) {
            stock_flags_to_str(h->ev.flags, b, sizeof(b));
            printf(" [%s]", b);
        }
        break;
    }
    default:
        break;
    }
    if (h->note != NULL && h->note[0] != '\0') {
        fputs(h->kind == HISTORY_AUDIT ? "" : ": ", stdout);
        put_clean(stdout, h->note);
    }
    putchar('\n');
}

static int
history_cb(const struct store_history *h, void *ctx)
{
    struct history_ctx *hc = ctx;

    if (hc->arr != NULL)
        cJSON_AddItemToArray(hc->arr, history_json(h));
    else
        history_print(h);
    return 0;
}

int
cmd_history(const struct command *cmd, struct opts *o)
{
    struct store *db = NULL;
    struct history_ctx hc = {o, NULL};
    cJSON *root = NULL;
    int rc = EXIT_REFUSED;

    (void)cmd;
    /* Items no longer configured may still have a history: any valid id goes. */
    if (o->item != NULL && !text_is_id(o->item, CFG_ID_MAX))
        return cli_usage_error(
            "history: expected an item id (a-z, 0-9, _ and -), found "
            "'%s'",
            o->item);
    if (open_store(&db) != 0)
        return EXIT_REFUSED;
    if (o->json) {
        root = cJSON_CreateObject();
        hc.arr = cJSON_AddArrayToObject(root, "history");
    }
    int r = store_history(db, o->item, (int)o->limit, history_cb, &hc);
    if (r < 0) {
        cli_fail("reading the history: %s", store_errmsg(db));
        goto out;
    }
    rc = 0;
    if (o->json) {
        rc = print_json(root);
        root = NULL;
    }
out:
    cJSON_Delete(root);
    store_close(db);
    return rc;
}
