/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Reorder and cancel payloads as JSON (see message.h). cJSON prints numbers with
 * up to 17 significant digits and checks the round trip, so a mass of whole
 * milligrams divided by 1000 prints as exactly its three decimals.
 */
#include "message.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "evtrace.h"
#include "units.h"

static bool
add_str(cJSON *o, const char *key, const char *v)
{
    return v != NULL && cJSON_AddStringToObject(o, key, v) != NULL;
}

static bool
add_num(cJSON *o, const char *key, double v)
{
    return cJSON_AddNumberToObject(o, key, v) != NULL;
}

static bool
add_time(cJSON *o, const char *key, int64_t t_s)
{
    char buf[32];

    if (t_s == MODELS_NEVER)
        return cJSON_AddNullToObject(o, key) != NULL;
    evtrace_format_time(t_s, buf, sizeof(buf));
    return cJSON_AddStringToObject(o, key, buf) != NULL;
}

static int
finish(cJSON *root, bool ok, char **out)
{
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    if (!ok)
        return -EINVAL;
    if (text == NULL)
        return -ENOMEM;
    *out = text;
    return 0;
}

int
message_reorder_json(const struct message_reorder *m, char **out)
{
    cJSON *root, *item, *qty, *fc;
    bool ok;

    if (m->seq < 1 || m->packs < 1 || m->pack_mg < 1 || m->stock_mg < 0 ||
        m->price_cents < 0 || m->iat_s < 0)
        return -EINVAL;
    if ((root = cJSON_CreateObject()) == NULL)
        return -ENOMEM;
    ok = add_num(root, "v", MESSAGE_SCHEMA_VERSION) &&
         add_str(root, "type", "reorder") && add_str(root, "order_id", m->order_id) &&
         add_str(root, "device", m->device_id) && add_num(root, "seq", (double)m->seq) &&
         add_num(root, "iat", (double)m->iat_s) &&
         (item = cJSON_AddObjectToObject(root, "item")) != NULL &&
         add_str(item, "id", m->item_id) && add_str(item, "name", m->item_name) &&
         add_str(item, "sku", m->sku) && add_str(item, "gtin", m->gtin) &&
         (qty = cJSON_AddObjectToObject(root, "quantity")) != NULL &&
         add_num(qty, "packs", m->packs) &&
         add_num(qty, "pack_g", (double)m->pack_mg / 1000.0) &&
         (m->price_cents == 0 ||
          (add_num(qty, "price", (double)m->price_cents / 100.0) &&
           add_str(qty, "currency", m->currency))) &&
         add_str(root, "reason", m->reason) &&
         (fc = cJSON_AddObjectToObject(root, "forecast")) != NULL &&
         add_num(fc, "stock_g", (double)m->stock_mg / 1000.0) &&
         add_num(fc, "rate_g_per_day", (double)m->rate_ugpd / 1e6) &&
         add_time(fc, "runout", m->runout_s) &&
         add_time(fc, "runout_early", m->runout_lo_s) &&
         add_time(fc, "runout_late", m->runout_hi_s) &&
         add_num(fc, "service_level", m->service_bp / 10000.0);
    return finish(root, ok, out);
}

int
message_cancel_json(const struct message_cancel *m, char **out)
{
    cJSON *root;
    bool ok;

    if (m->seq < 1 || m->iat_s < 0)
        return -EINVAL;
    if ((root = cJSON_CreateObject()) == NULL)
        return -ENOMEM;
    ok = add_num(root, "v", MESSAGE_SCHEMA_VERSION) &&
         add_str(root, "type", "cancel") && add_str(root, "order_id", m->order_id) &&
         add_str(root, "device", m->device_id) && add_num(root, "seq", (double)m->seq) &&
         add_num(root, "iat", (double)m->iat_s) && add_str(root, "reason", m->reason);
    return finish(root, ok, out);
}
