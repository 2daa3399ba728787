/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Away periods configured and set with pantryctl away, merged for planning
 * (away.h). The store keeps the ones set at run time; the configured ones
 * come first in agent_config.away and are never written to the store, so a
 * reload that changes them takes effect and removing one is editing the
 * configuration.
 */
#include "agent/pipeline/away.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/store/store-away.h"
#include "agent/msg/utc.h"

int
away_merge(struct agent_config *c, struct store *db)
{
    struct store_away st[DELIVERY_MAX_AWAY * 2];
    size_t n = 0, left_out = 0;
    int e;

    c->n_away = c->n_away_conf;
    e = store_away_list(db, st, sizeof(st) / sizeof(st[0]), &n);
    if (e < 0 && e != -E2BIG)
        return e;
    for (size_t i = 0; i < n; i++) {
        if (c->n_away == DELIVERY_MAX_AWAY) {
            left_out++;
            continue;
        }
        c->away[c->n_away].from_s = st[i].from_ms / 1000;
        c->away[c->n_away].until_s = st[i].until_ms / 1000;
        c->away[c->n_away].before = st[i].before;
        c->n_away++;
    }
    return (int)left_out + (e == -E2BIG);
}

static cJSON *
period_json(int64_t id, int64_t from_s, int64_t until_s, bool before)
{
    char a[UTC_TEXT_LEN], b[UTC_TEXT_LEN];
    cJSON *p = cJSON_CreateObject();

    if (p == NULL)
        return NULL;
    utc_format(from_s, a, sizeof(a));
    utc_format(until_s, b, sizeof(b));
    if (id > 0)
        cJSON_AddNumberToObject(p, "id", (double)id);
    else
        cJSON_AddNullToObject(p, "id");
    cJSON_AddStringToObject(p, "from", a);
    cJSON_AddStringToObject(p, "until", b);
    cJSON_AddStringToObject(p, "arrive", before ? "before" : "after");
    cJSON_AddBoolToObject(p, "configured", id <= 0);
    return p;
}

static int
list(const struct agent_config *c, struct store *db, char *msg, size_t len,
     cJSON **data)
{
    struct store_away st[DELIVERY_MAX_AWAY];
    size_t n = 0;
    int e = store_away_list(db, st, DELIVERY_MAX_AWAY, &n);
    cJSON *arr;

    if (e < 0 && e != -E2BIG)
        return snprintf(msg, len, "cannot read the store: %s", store_errmsg(db)), e;
    if ((arr = cJSON_CreateArray()) == NULL)
        return snprintf(msg, len, "out of memory"), -ENOMEM;
    for (size_t i = 0; i < c->n_away_conf; i++)
        cJSON_AddItemToArray(arr, period_json(0, c->away[i].from_s, c->away[i].until_s,
                                              c->away[i].before));
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, period_json(st[i].id, st[i].from_ms / 1000,
                                              st[i].until_ms / 1000, st[i].before));
    *data = arr;
    snprintf(msg, len, "%zu away periods (%zu configured)", c->n_away_conf + n,
             c->n_away_conf);
    return 0;
}

int
away_request(struct agent_config *c, struct store *db,
             const struct control_request *req, int64_t now_ms, char *msg, size_t len,
             cJSON **data)
{
    char a[UTC_TEXT_LEN], b[UTC_TEXT_LEN];
    int64_t id = 0;
    int e;

    if (req->remove != 0) {
        if ((e = store_away_remove(db, req->remove)) == -ENOENT)
            return snprintf(msg, len,
                            "no away period %lld set with pantryctl away (configured "
                            "ones are removed from the configuration)",
                            (long long)req->remove),
                   e;
        if (e < 0)
            return snprintf(msg, len, "cannot write the store: %s", store_errmsg(db)),
                   e;
        away_merge(c, db);
        return snprintf(msg, len, "away period %lld removed", (long long)req->remove),
               0;
    }
    if (req->from_s == 0 && req->until_s == 0)
        return list(c, db, msg, len, data);
    utc_format(req->from_s, a, sizeof(a));
    utc_format(req->until_s, b, sizeof(b));
    if (req->until_s * 1000 <= now_ms)
        return snprintf(msg, len,
                        "until: %s has passed; an away period must not have "
                        "ended",
                        b),
               -EINVAL;
    /* Stored periods that have ended no longer count: they go with this add. */
    size_t n = c->n_away_conf;
    for (size_t i = c->n_away_conf; i < c->n_away; i++)
        n += c->away[i].until_s * 1000 > now_ms;
    if (n >= DELIVERY_MAX_AWAY)
        return snprintf(msg, len,
                        "already %d away periods, configured and set: remove one first",
                        DELIVERY_MAX_AWAY),
               -ENOSPC;
    struct store_away p = {.from_ms = req->from_s * 1000,
                           .until_ms = req->until_s * 1000,
                           .before = req->before,
                           .created_ms = now_ms};
    if ((e = store_begin(db)) < 0 || (e = store_away_prune(db, now_ms)) < 0 ||
        (e = store_away_add(db, &p, &id)) < 0 || (e = store_commit(db)) < 0) {
        snprintf(msg, len, "cannot write the store: %s", store_errmsg(db));
        store_rollback(db);
        return e;
    }
    away_merge(c, db);
    return snprintf(msg, len, "away period %lld: %s until %s, deliveries %s it",
                    (long long)id, a, b, req->before ? "before" : "after"),
           0;
}
