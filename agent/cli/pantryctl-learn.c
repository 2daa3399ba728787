/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl policy [ITEM]: what each item's policy learnt from the household's
 * corrections (agent/pipeline/learn.h), read from the daemon's store: the one-line
 * reason, the shift of the reorder point and the order size, whether predicted
 * orders wait for confirmation, and the audit trail (the audit rows beginning
 * "learn: "), newest first. `pantryctl reset-learning ITEM` goes through the
 * daemon (pantryctl.c's item requests) so that it is the daemon that forgets.
 */
#include <stdio.h>
#include <string.h>

#include "agent/pipeline/learn.h"
#include "agent/pipeline/modelstate.h"
#include "agent/cli/pantryctl.h"
#include "sensors/text.h"

#define TRAIL_SCAN 100000 /* history rows looked through for the trail */

struct trail_ctx {
    const struct opts *o;
    cJSON *arr;    /* --json */
    int64_t shown; /* lines printed or added */
};

static int
trail_cb(const struct store_history *h, void *ctx)
{
    struct trail_ctx *t = ctx;
    size_t pl = strlen(LEARN_AUDIT_PREFIX);
    char when[32];

    if (h->kind != HISTORY_AUDIT || h->note == NULL ||
        strncmp(h->note, LEARN_AUDIT_PREFIX, pl) != 0 || t->shown >= t->o->limit)
        return 0;
    t->shown++;
    if (t->arr != NULL) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddNumberToObject(e, "t_ms", (double)h->t_ms);
        cJSON_AddStringToObject(e, "what", h->note + pl);
        cJSON_AddItemToArray(t->arr, e);
        return 0;
    }
    printf("  %s  ", fmt_time(h->t_ms, when, sizeof(when)));
    put_cut(h->note + pl, 120);
    putchar('\n');
    return 0;
}

/* One item: its adjustment and trail, printed or added to arr. */
static int
show_item(struct store *db, const struct cfg_item *c, struct opts *o, cJSON *arr)
{
    struct pl_model m;
    int32_t format = 0;
    char why[256], line[256];

    int r = ms_load(db, c, o->now_ms, &m, &format, why, sizeof(why));
    if (r < 0)
        return cli_fail("%s: reading its model: %s", c->id, store_errmsg(db));
    const struct adjust *a = &m.adj;
    learn_status_line(a, line, sizeof(line));
    struct trail_ctx t = {o, NULL, 0};
    if (arr != NULL) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "item", c->id);
        cJSON_AddBoolToObject(j, "learn", c->learn);
        cJSON_AddNumberToObject(j, "shift_s", (double)a->shift_s);
        if (a->ceil_s > 0)
            cJSON_AddNumberToObject(j, "ceiling_s", (double)a->ceil_s);
        else
            cJSON_AddNullToObject(j, "ceiling_s");
        cJSON_AddNumberToObject(j, "size_pct",
                                (double)(a->size_bp ? a->size_bp : 10000) / 100);
        cJSON_AddBoolToObject(j, "ask_first", a->ask_first != 0);
        cJSON_AddNumberToObject(j, "corrections", (double)a->events);
        if (a->events > 0) {
            cJSON *l = cJSON_AddObjectToObject(j, "last");
            cJSON_AddStringToObject(l, "kind", adjust_kind_to_str(a->last_kind));
            cJSON_AddNumberToObject(l, "t_ms", (double)a->last_t_s * 1000);
            cJSON_AddNumberToObject(l, "delta_s", (double)a->last_delta_s);
        } else {
            cJSON_AddNullToObject(j, "last");
        }
        if (line[0] != '\0')
            cJSON_AddStringToObject(j, "reason", line);
        else
            cJSON_AddNullToObject(j, "reason");
        t.arr = cJSON_AddArrayToObject(j, "trail");
        cJSON_AddItemToArray(arr, j);
    } else {
        printf("%s\n  %s\n", c->id, line[0] ? line : "nothing learnt from corrections");
        if (!c->learn)
            printf("  learning off for this item (configuration)\n");
        char at_most[64] = "";
        if (a->ceil_s > 0)
            snprintf(at_most, sizeof(at_most),
                     " (orders with at most %.1f days of use left)",
                     (double)a->ceil_s / 86400);
        printf("  reorder point %+.1f days%s, order size %u %%, predicted orders %s, "
               "%u correction(s)\n",
               (double)a->shift_s / 86400, at_most,
               (unsigned)(a->size_bp ? a->size_bp : 10000) / 100,
               a->ask_first ? "wait for confirmation" : "go as configured",
               (unsigned)a->events);
    }
    if (store_history(db, c->id, TRAIL_SCAN, trail_cb, &t) < 0)
        return cli_fail("%s: reading its audit trail: %s", c->id, store_errmsg(db));
    return 0;
}

int
cmd_policy(const struct command *cmd, struct opts *o)
{
    struct store *db = NULL;
    cJSON *root = NULL, *arr = NULL;
    int rc = 0, one = -1;

    (void)cmd;
    if (o->item != NULL && (one = find_item(o->item)) < 0)
        return EXIT_USAGE;
    if (open_store(&db) != 0)
        return EXIT_REFUSED;
    if (o->json) {
        root = cJSON_CreateObject();
        arr = cJSON_AddArrayToObject(root, "items");
    }
    for (size_t i = 0; i < pctl_cfg.n_items && rc == 0; i++)
        if (one < 0 || (size_t)one == i)
            rc = show_item(db, &pctl_cfg.items[i], o, arr);
    if (rc == 0 && o->json) {
        rc = print_json(root);
        root = NULL;
    }
    cJSON_Delete(root);
    store_close(db);
    return rc;
}
