/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state JSON and the Home Assistant discovery configs (hadisco.h), made
 * with cJSON. Keys follow Home Assistant's MQTT discovery documentation in
 * their long form (state_topic, not stat_t) so a person reading the retained
 * messages understands them.
 */
#include "agent/link/hadisco.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/msg/utc.h"

const char *const hadisco_order_states[HADISCO_ORDER_STATES] = {
    "none", "planned", "queued", "published", "acknowledged"};

static void
add_time(cJSON *o, const char *key, bool known, int64_t t_s)
{
    char t[32];

    if (!known || t_s <= 0) {
        cJSON_AddNullToObject(o, key);
        return;
    }
    utc_format(t_s, t, sizeof(t));
    cJSON_AddStringToObject(o, key, t);
}

static void
add_int(cJSON *o, const char *key, bool known, int64_t v)
{
    if (known)
        cJSON_AddNumberToObject(o, key, (double)v);
    else
        cJSON_AddNullToObject(o, key);
}

static int
print(cJSON *o, char **out)
{
    *out = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    return *out != NULL ? 0 : -ENOMEM;
}

int
hadisco_state_json(const struct hadisco_state *s, char **out)
{
    cJSON *o = cJSON_CreateObject();

    if (o == NULL)
        return *out = NULL, -ENOMEM;
    add_int(o, "stock_g", s->stock_known, s->stock_g);
    add_int(o, "uncertainty_g", s->stock_known, s->uncertainty_g);
    add_int(o, "percent", s->percent_known, s->percent);
    if (s->rate_known)
        cJSON_AddNumberToObject(o, "rate_g_per_day", (double)s->rate_dg_per_day / 10.0);
    else
        cJSON_AddNullToObject(o, "rate_g_per_day");
    add_time(o, "runout", s->runout_known, s->runout_s);
    add_time(o, "runout_earliest", s->runout_known, s->runout_earliest_s);
    add_time(o, "runout_latest", s->runout_known, s->runout_latest_s);
    cJSON_AddStringToObject(o, "decision", s->decision);
    cJSON_AddBoolToObject(o, "fault", s->fault);
    if (s->order) {
        cJSON *r = cJSON_AddObjectToObject(o, "order");
        if (r != NULL) {
            cJSON_AddStringToObject(r, "id", s->order_id);
            cJSON_AddStringToObject(r, "state", s->order_state);
            add_time(r, "eta", s->order_eta_s > 0, s->order_eta_s);
        }
    } else {
        cJSON_AddNullToObject(o, "order");
    }
    return print(o, out);
}

static const struct {
    const char *component, *what, *name;
} entities[HADISCO_ENTITY_COUNT] = {
    [HADISCO_STOCK] = {"sensor", "stock", "stock"},
    [HADISCO_RUNOUT] = {"sensor", "runout", "runout"},
    [HADISCO_FAULT] = {"binary_sensor", "fault", "sensor fault"},
    [HADISCO_ORDER] = {"sensor", "order", "order"},
    [HADISCO_ORDER_BUTTON] = {"button", "order_now", "order now"},
    [HADISCO_CONFIRM_BUTTON] = {"button", "confirm", "confirm order"},
};

static cJSON *
device_json(const struct hadisco_device *d)
{
    char buf[96];
    cJSON *dev = cJSON_CreateObject(), *ids;

    if (dev == NULL || (ids = cJSON_AddArrayToObject(dev, "identifiers")) == NULL)
        return cJSON_Delete(dev), NULL;
    snprintf(buf, sizeof(buf), "pantry_%s", d->device_id);
    cJSON_AddItemToArray(ids, cJSON_CreateString(buf));
    snprintf(buf, sizeof(buf), "Pantry %s", d->device_id);
    cJSON_AddStringToObject(dev, "name", buf);
    cJSON_AddStringToObject(dev, "manufacturer", "pantry-agent");
    cJSON_AddStringToObject(dev, "model", "pantry shelf");
    cJSON_AddStringToObject(dev, "sw_version", d->sw_version);
    return dev;
}

/* What every entity has: name, ids, device, origin, availability. */
static cJSON *
common(const struct hadisco_device *d, const char *uid, const char *name)
{
    char avail[HADISCO_TOPIC_MAX];
    cJSON *o = cJSON_CreateObject(), *org;

    if (o == NULL)
        return NULL;
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "unique_id", uid);
    cJSON_AddItemToObject(o, "device", device_json(d));
    if ((org = cJSON_AddObjectToObject(o, "origin")) != NULL) {
        cJSON_AddStringToObject(org, "name", "pantry-agent");
        cJSON_AddStringToObject(org, "sw_version", d->sw_version);
    }
    snprintf(avail, sizeof(avail), "%s/%s/status", d->prefix, d->device_id);
    cJSON_AddStringToObject(o, "availability_topic", avail);
    cJSON_AddStringToObject(o, "payload_available", "online");
    cJSON_AddStringToObject(o, "payload_not_available", "offline");
    return o;
}

static int
link_config(const struct hadisco_device *d, char *topic, char **json)
{
    char uid[128], t[HADISCO_TOPIC_MAX];
    int n;

    snprintf(uid, sizeof(uid), "pantry_%s_retailer_link", d->device_id);
    n = snprintf(topic, HADISCO_TOPIC_MAX, "%s/binary_sensor/%s/retailer_link/config",
                 d->discovery_prefix, d->device_id);
    if (n < 0 || n >= HADISCO_TOPIC_MAX)
        return -ENAMETOOLONG;
    cJSON *o = common(d, uid, "retailer link");
    if (o == NULL)
        return -ENOMEM;
    snprintf(t, sizeof(t), "%s/%s/link", d->prefix, d->device_id);
    cJSON_AddStringToObject(o, "state_topic", t);
    cJSON_AddStringToObject(o, "device_class", "connectivity");
    cJSON_AddStringToObject(o, "entity_category", "diagnostic");
    cJSON_AddStringToObject(o, "payload_on", "connected");
    cJSON_AddStringToObject(o, "payload_off", "disconnected");
    return print(o, json);
}

int
hadisco_config(const struct hadisco_device *d, const char *item_id,
               const char *item_name, enum hadisco_entity e,
               char topic[HADISCO_TOPIC_MAX], char **json)
{
    char uid[160], name[160], t[HADISCO_TOPIC_MAX];
    int n;

    *json = NULL;
    if (item_id == NULL)
        return link_config(d, topic, json);
    n = snprintf(topic, HADISCO_TOPIC_MAX, "%s/%s/%s/%s_%s/config", d->discovery_prefix,
                 entities[e].component, d->device_id, item_id, entities[e].what);
    if (n < 0 || n >= HADISCO_TOPIC_MAX)
        return -ENAMETOOLONG;
    bool button = e == HADISCO_ORDER_BUTTON || e == HADISCO_CONFIRM_BUTTON;
    if (button && !d->commands)
        return 0;
    snprintf(uid, sizeof(uid), "pantry_%s_%s_%s", d->device_id, item_id,
             entities[e].what);
    snprintf(name, sizeof(name), "%s %s", item_name, entities[e].name);
    cJSON *o = common(d, uid, name), *opts;
    if (o == NULL)
        return -ENOMEM;
    snprintf(t, sizeof(t), "%s/%s/%s/%s", d->prefix, d->device_id, item_id,
             button ? "command" : "state");
    cJSON_AddStringToObject(o, button ? "command_topic" : "state_topic", t);
    switch (e) {
    case HADISCO_STOCK:
        cJSON_AddStringToObject(o, "device_class", "weight");
        cJSON_AddStringToObject(o, "state_class", "measurement");
        cJSON_AddStringToObject(o, "unit_of_measurement", "g");
        cJSON_AddStringToObject(o, "value_template", "{{ value_json.stock_g }}");
        cJSON_AddStringToObject(o, "json_attributes_topic", t);
        break;
    case HADISCO_RUNOUT:
        cJSON_AddStringToObject(o, "device_class", "timestamp");
        cJSON_AddStringToObject(o, "value_template", "{{ value_json.runout }}");
        break;
    case HADISCO_FAULT:
        cJSON_AddStringToObject(o, "device_class", "problem");
        cJSON_AddStringToObject(o, "value_template",
                                "{{ 'ON' if value_json.fault else 'OFF' }}");
        cJSON_AddStringToObject(o, "payload_on", "ON");
        cJSON_AddStringToObject(o, "payload_off", "OFF");
        break;
    case HADISCO_ORDER:
        cJSON_AddStringToObject(o, "device_class", "enum");
        if ((opts = cJSON_AddArrayToObject(o, "options")) != NULL)
            for (size_t i = 0; i < HADISCO_ORDER_STATES; i++)
                cJSON_AddItemToArray(opts, cJSON_CreateString(hadisco_order_states[i]));
        cJSON_AddStringToObject(
            o, "value_template",
            "{{ value_json.order.state if value_json.order else 'none' }}");
        break;
    case HADISCO_ORDER_BUTTON:
        cJSON_AddStringToObject(o, "payload_press", "order");
        break;
    case HADISCO_CONFIRM_BUTTON:
        cJSON_AddStringToObject(o, "payload_press", "confirm");
        break;
    default:
        break;
    }
    return print(o, json);
}

bool
hadisco_is_device_config(const struct hadisco_device *d, const char *topic)
{
    size_t hl = strlen(d->discovery_prefix), dl = strlen(d->device_id);
    const char *p = topic, *slash;

    if (strncmp(p, d->discovery_prefix, hl) != 0 || p[hl] != '/')
        return false;
    p += hl + 1;
    if ((slash = strchr(p, '/')) == NULL || slash == p)
        return false; /* the component */
    p = slash + 1;
    if (strncmp(p, d->device_id, dl) != 0 || p[dl] != '/')
        return false;
    p += dl + 1;
    if ((slash = strchr(p, '/')) == NULL || slash == p)
        return false; /* the object id */
    return strcmp(slash, "/config") == 0;
}
