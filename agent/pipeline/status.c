/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's side of `pantryctl status` (status.h): the learning period of
 * an item, and the "status" answer of the control socket, built from the
 * pipeline's views refreshed at the time of the request and from what the
 * links to the retailer's broker and to the home broker report. Values that
 * are not known (yet) go out as JSON null, so that no reader takes a 0 for a
 * stock or an epoch for a date.
 */
#include "agent/pipeline/status.h"

#include <errno.h>

#include "models/units.h"

void
status_learning_of(const struct pl_model *m, int64_t now_ms,
                   struct status_learning *out)
{
    int64_t since =
        m->started_ms > 0 && now_ms > m->started_ms ? now_ms - m->started_ms : 0;

    out->uses = fc_events(&m->fc);
    out->uses_needed = PL_WARMUP_EVENTS;
    out->days = since / MODELS_DAY_MS;
    out->days_needed = PL_WARMUP_MS / MODELS_DAY_MS;
    out->done =
        m->started_ms > 0 && out->uses >= PL_WARMUP_EVENTS && since >= PL_WARMUP_MS;
}

cJSON *
status_learning_json(const struct status_learning *l)
{
    cJSON *o;

    if (l->done)
        return cJSON_CreateNull();
    if ((o = cJSON_CreateObject()) == NULL)
        return NULL;
    cJSON_AddNumberToObject(o, "uses", l->uses);
    cJSON_AddNumberToObject(o, "uses_needed", l->uses_needed);
    cJSON_AddNumberToObject(o, "days", (double)l->days);
    cJSON_AddNumberToObject(o, "days_needed", (double)l->days_needed);
    return o;
}

/* A time of the models (s since the epoch, MODELS_NEVER) as ms, or null. */
static void
add_time(cJSON *o, const char *key, bool known, int64_t s)
{
    if (known && s > 0 && s != MODELS_NEVER && s <= INT64_MAX / 1000)
        cJSON_AddNumberToObject(o, key, (double)(s * 1000));
    else
        cJSON_AddNullToObject(o, key);
}

void
status_add_g(cJSON *o, const char *key, bool known, int64_t mg)
{
    if (known)
        cJSON_AddNumberToObject(o, key, (double)mg / 1000.0);
    else
        cJSON_AddNullToObject(o, key);
}

void
status_add_ms(cJSON *o, const char *key, int64_t ms)
{
    if (ms > 0)
        cJSON_AddNumberToObject(o, key, (double)ms);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *
item_json(struct pipeline *pl, size_t i, int64_t now_ms)
{
    const struct pl_item *it = &pl->items[i];
    struct status_learning l;
    struct pl_view v;
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    pipeline_view(pl, i, now_ms, &v);
    status_learning_of(&it->model, now_ms, &l);
    /* While learning, a rate from a handful of pours can be anything: none. */
    /* Before the first settled level the shelf has no weight to give: none. */
    int64_t w, u;
    int r = shelf_stock(&pl->shelf, it->channel, now_ms, &w, &u);
    bool stock = r == 0 || r == -EBUSY || r == -EIO;
    bool rate = l.done, runout = l.done && stock && !it->fault;
    cJSON_AddStringToObject(o, "item", it->cfg->id);
    cJSON_AddNumberToObject(o, "t_ms", (double)v.t_ms);
    status_add_g(o, "stock_g", stock, v.stock_mg);
    status_add_g(o, "uncertainty_g", stock, v.uncertainty_mg);
    if (rate) {
        cJSON_AddNumberToObject(o, "rate_g_per_day", (double)v.rate_ugpd / 1e6);
        cJSON_AddNumberToObject(o, "sigma_g_per_day", (double)v.sigma_ugpd / 1e6);
    } else {
        cJSON_AddNullToObject(o, "rate_g_per_day");
        cJSON_AddNullToObject(o, "sigma_g_per_day");
    }
    add_time(o, "runout_ms", runout, v.runout_s);
    add_time(o, "runout_early_ms", runout, v.runout_lo_s);
    add_time(o, "runout_late_ms", runout, v.runout_hi_s);
    cJSON_AddNumberToObject(o, "lead_s", (double)v.lead_s);
    status_add_g(o, "reorder_point_g", rate, v.reorder_point_mg);
    cJSON_AddStringToObject(o, "verdict", order_verdict_to_str(v.verdict));
    cJSON_AddBoolToObject(o, "fault", it->fault);
    cJSON_AddItemToObject(o, "learning", status_learning_json(&l));
    return o;
}

/* A link's "last_error": {message, t_ms}, or null when message is "". */
static void
add_last_error(cJSON *o, const char *message, int64_t t_ms)
{
    if (message[0] != '\0') {
        cJSON *e = cJSON_AddObjectToObject(o, "last_error");
        cJSON_AddStringToObject(e, "message", message);
        cJSON_AddNumberToObject(e, "t_ms", (double)t_ms);
    } else {
        cJSON_AddNullToObject(o, "last_error");
    }
}

static cJSON *
link_json(const struct status_link *k)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddBoolToObject(o, "connected", k->connected);
    status_add_ms(o, "since_ms", k->since_ms);
    if (k->outbox >= 0)
        cJSON_AddNumberToObject(o, "outbox", (double)k->outbox);
    else
        cJSON_AddNullToObject(o, "outbox");
    if (k->last_answer[0] != '\0') {
        cJSON *a = cJSON_AddObjectToObject(o, "last_answer");
        cJSON_AddStringToObject(a, "status", k->last_answer);
        cJSON_AddStringToObject(a, "order", k->last_answer_order);
        cJSON_AddNumberToObject(a, "t_ms", (double)k->last_answer_ms);
    } else {
        cJSON_AddNullToObject(o, "last_answer");
    }
    add_last_error(o, k->last_error, k->last_error_ms);
    return o;
}

static cJSON *
home_json(const struct status_home *k)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "url", k->url);
    cJSON_AddBoolToObject(o, "connected", k->connected);
    status_add_ms(o, "since_ms", k->since_ms);
    add_last_error(o, k->last_error, k->last_error_ms);
    return o;
}

cJSON *
status_answer(struct pipeline *pl, int64_t now_ms, const struct status_link *link,
              const struct status_home *home)
{
    cJSON *root = cJSON_CreateObject(), *arr;

    if (root == NULL || (arr = cJSON_AddArrayToObject(root, "items")) == NULL)
        goto nomem;
    for (size_t i = 0; i < pl->n_items; i++) {
        cJSON *o = item_json(pl, i, now_ms);
        if (o == NULL)
            goto nomem;
        cJSON_AddItemToArray(arr, o);
    }
    if (link == NULL || !link->configured)
        cJSON_AddNullToObject(root, "link");
    else
        cJSON_AddItemToObject(root, "link", link_json(link));
    if (home == NULL || !home->configured)
        cJSON_AddNullToObject(root, "home");
    else
        cJSON_AddItemToObject(root, "home", home_json(home));
    return root;
nomem:
    cJSON_Delete(root);
    return NULL;
}
