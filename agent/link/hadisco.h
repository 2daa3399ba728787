/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon says on the household's broker, as text: the per-item
 * state (one JSON object, agent/home-state.schema.json) and the Home
 * Assistant MQTT discovery configurations of its entities. Pure functions of
 * their arguments (no clock, no I/O), so tests check them alone; home.c
 * publishes them.
 *
 * Topics, P the home prefix, D the device id, H the discovery prefix:
 *
 *   P/D/status                  retained  online / offline (and the will)
 *   P/D/link                    retained  connected / disconnected: the retailer's
 *   P/D/<item>/state            retained  the item's state (JSON)
 *   P/D/<item>/command          in        "order" or "confirm" (commands = true)
 *   H/<component>/D/<item>_<what>/config  retained  discovery (node id D)
 *
 * Home Assistant's conventions (its MQTT integration, "Discovery"): one
 * device per pantry (identifiers pantry_D), each entity's unique_id
 * pantry_D_<item>_<what>, availability from P/D/status. An empty retained
 * payload on a config topic removes the entity.
 */
#ifndef PANTRY_AGENT_HADISCO_H
#define PANTRY_AGENT_HADISCO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HADISCO_TOPIC_MAX 256

/* An item's state as a person reads it: already rounded. */
struct hadisco_state {
    bool stock_known; /* a settled weight was seen */
    int64_t stock_g, uncertainty_g;
    bool percent_known;
    int64_t percent;         /* of one pack, whole, >= 0 */
    bool rate_known;         /* learning is done */
    int64_t rate_dg_per_day; /* tenths of a gram per day */
    bool runout_known;
    int64_t runout_s, runout_earliest_s, runout_latest_s; /* whole minutes, UTC */
    const char *decision; /* "learning", "not_needed", "ordering", "ordered" */
    bool fault;
    bool order; /* an open order: */
    char order_id[64];
    const char *order_state; /* "planned", "queued", "published", "acknowledged" */
    int64_t order_eta_s;     /* 0: none yet */
};

/*
 * The state as one JSON object, NUL-terminated, into *out (malloc'd: the
 * caller frees it). Unknown values are null. Returns 0 or -ENOMEM.
 */
int hadisco_state_json(const struct hadisco_state *s, char **out);

/* The entities of an item (and one of the device: the retailer link). */
enum hadisco_entity {
    HADISCO_STOCK,          /* sensor, device_class weight, g */
    HADISCO_RUNOUT,         /* sensor, device_class timestamp */
    HADISCO_FAULT,          /* binary_sensor, device_class problem */
    HADISCO_ORDER,          /* sensor, device_class enum: the open order's state */
    HADISCO_ORDER_BUTTON,   /* button "order" (commands only) */
    HADISCO_CONFIRM_BUTTON, /* button "confirm" (commands only) */
    HADISCO_ENTITY_COUNT,
};

struct hadisco_device {
    const char *device_id;        /* D */
    const char *prefix;           /* P */
    const char *discovery_prefix; /* H */
    const char *sw_version;
    bool commands; /* announce the buttons */
};

/*
 * Entity e of item (item_id as in topics, item_name for people): its config
 * topic into topic (HADISCO_TOPIC_MAX bytes) and its config JSON into *json
 * (malloc'd, the caller frees; NULL when e is a button and commands are off:
 * that entity is not announced). With item_id NULL: the device's link entity
 * (a binary_sensor of device_class connectivity), e ignored. Returns 0,
 * -ENAMETOOLONG (a topic over HADISCO_TOPIC_MAX - 1 bytes) or -ENOMEM.
 */
int hadisco_config(const struct hadisco_device *d, const char *item_id,
                   const char *item_name, enum hadisco_entity e,
                   char topic[HADISCO_TOPIC_MAX], char **json);

/*
 * Whether topic is a discovery config of device d (H/<component>/D/<x>/config):
 * those the daemon finds retained at connect and no longer announces get an
 * empty retained payload.
 */
bool hadisco_is_device_config(const struct hadisco_device *d, const char *topic);

/* The order states a HADISCO_ORDER entity may show, "none" first. */
extern const char *const hadisco_order_states[];
#define HADISCO_ORDER_STATES 5

#endif
