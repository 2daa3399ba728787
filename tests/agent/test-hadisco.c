/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of hadisco.c: the per-item state JSON (expected texts written by hand
 * from CONFIG.md's rules: null for unknowns, whole minutes in UTC), the Home
 * Assistant discovery configs (topics and the fields its MQTT discovery
 * documentation names, read back with cJSON), and which retained topics are
 * this device's configs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "agent/link/hadisco.h"
#include "tests/harness.h"

static const struct hadisco_device dev = {.device_id = "kitchen-pi",
                                          .prefix = "pantry",
                                          .discovery_prefix = "homeassistant",
                                          .sw_version = "1.2.3",
                                          .commands = true};

static void
test_state(void)
{
    struct hadisco_state s = {.decision = "learning"};
    char *j = NULL;

    CHECK(hadisco_state_json(&s, &j) == 0);
    CHECK_MSG(j != NULL && strcmp(j, "{\"stock_g\":null,\"uncertainty_g\":null,"
                                     "\"percent\":null,\"rate_g_per_day\":null,"
                                     "\"runout\":null,\"runout_earliest\":null,"
                                     "\"runout_latest\":null,\"decision\":\"learning\","
                                     "\"fault\":false,\"order\":null}") == 0,
              "%s", j);
    free(j);
    /* 2026-01-08T17:57:00Z is 1767895020 s (20461 days and 64620 s). */
    s = (struct hadisco_state){.stock_known = true,
                               .stock_g = 640,
                               .uncertainty_g = 21,
                               .percent_known = true,
                               .percent = 64,
                               .rate_known = true,
                               .rate_dg_per_day = 1348,
                               .runout_known = true,
                               .runout_s = 1767895020,
                               .runout_earliest_s = 1767895020 - 86400,
                               .runout_latest_s = 1767895020 + 60,
                               .decision = "ordered",
                               .fault = true,
                               .order = true,
                               .order_id = "rice-1",
                               .order_state = "acknowledged",
                               .order_eta_s = 1767895020 + 3600};
    CHECK(hadisco_state_json(&s, &j) == 0);
    CHECK_MSG(j != NULL &&
                  strcmp(j, "{\"stock_g\":640,\"uncertainty_g\":21,\"percent\":64,"
                            "\"rate_g_per_day\":134.8,"
                            "\"runout\":\"2026-01-08T17:57:00Z\","
                            "\"runout_earliest\":\"2026-01-07T17:57:00Z\","
                            "\"runout_latest\":\"2026-01-08T17:58:00Z\","
                            "\"decision\":\"ordered\",\"fault\":true,"
                            "\"order\":{\"id\":\"rice-1\",\"state\":\"acknowledged\","
                            "\"eta\":\"2026-01-08T18:57:00Z\"}}") == 0,
              "%s", j);
    free(j);
}

static const char *
str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static cJSON *
config(const struct hadisco_device *d, const char *item, enum hadisco_entity e,
       const char *want_topic)
{
    char t[HADISCO_TOPIC_MAX];
    char *j = NULL;

    CHECK(hadisco_config(d, item, "Basmati rice", e, t, &j) == 0);
    CHECK_MSG(strcmp(t, want_topic) == 0, "%s", t);
    cJSON *o = j != NULL ? cJSON_Parse(j) : NULL;
    free(j);
    return o;
}

static void
common(const cJSON *o, const char *uid)
{
    const cJSON *dev_ = cJSON_GetObjectItemCaseSensitive(o, "device");
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(dev_, "identifiers");

    CHECK_MSG(strcmp(str(o, "unique_id"), uid) == 0, "%s", str(o, "unique_id"));
    CHECK(strcmp(str(o, "availability_topic"), "pantry/kitchen-pi/status") == 0);
    CHECK(strcmp(str(o, "payload_available"), "online") == 0);
    CHECK(strcmp(str(o, "payload_not_available"), "offline") == 0);
    CHECK(cJSON_GetArraySize(ids) == 1 &&
          strcmp(cJSON_GetArrayItem(ids, 0)->valuestring, "pantry_kitchen-pi") == 0);
    CHECK(strcmp(str(dev_, "sw_version"), "1.2.3") == 0);
    CHECK(str(dev_, "name")[0] && str(dev_, "manufacturer")[0] &&
          str(dev_, "model")[0]);
}

static void
test_configs(void)
{
    cJSON *o = config(&dev, "rice", HADISCO_STOCK,
                      "homeassistant/sensor/kitchen-pi/rice_stock/config");
    common(o, "pantry_kitchen-pi_rice_stock");
    CHECK(strcmp(str(o, "name"), "Basmati rice stock") == 0);
    CHECK(strcmp(str(o, "state_topic"), "pantry/kitchen-pi/rice/state") == 0);
    CHECK(strcmp(str(o, "device_class"), "weight") == 0);
    CHECK(strcmp(str(o, "unit_of_measurement"), "g") == 0);
    CHECK(strcmp(str(o, "state_class"), "measurement") == 0);
    CHECK(strcmp(str(o, "value_template"), "{{ value_json.stock_g }}") == 0);
    cJSON_Delete(o);

    o = config(&dev, "rice", HADISCO_RUNOUT,
               "homeassistant/sensor/kitchen-pi/rice_runout/config");
    common(o, "pantry_kitchen-pi_rice_runout");
    CHECK(strcmp(str(o, "device_class"), "timestamp") == 0);
    cJSON_Delete(o);

    o = config(&dev, "rice", HADISCO_FAULT,
               "homeassistant/binary_sensor/kitchen-pi/rice_fault/config");
    common(o, "pantry_kitchen-pi_rice_fault");
    CHECK(strcmp(str(o, "device_class"), "problem") == 0);
    cJSON_Delete(o);

    o = config(&dev, "rice", HADISCO_ORDER,
               "homeassistant/sensor/kitchen-pi/rice_order/config");
    common(o, "pantry_kitchen-pi_rice_order");
    CHECK(strcmp(str(o, "device_class"), "enum") == 0);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(o, "options")) == 5);
    cJSON_Delete(o);

    o = config(&dev, "rice", HADISCO_ORDER_BUTTON,
               "homeassistant/button/kitchen-pi/rice_order_now/config");
    common(o, "pantry_kitchen-pi_rice_order_now");
    CHECK(strcmp(str(o, "command_topic"), "pantry/kitchen-pi/rice/command") == 0);
    CHECK(strcmp(str(o, "payload_press"), "order") == 0);
    cJSON_Delete(o);

    o = config(&dev, "rice", HADISCO_CONFIRM_BUTTON,
               "homeassistant/button/kitchen-pi/rice_confirm/config");
    CHECK(strcmp(str(o, "payload_press"), "confirm") == 0);
    cJSON_Delete(o);

    o = config(&dev, NULL, 0,
               "homeassistant/binary_sensor/kitchen-pi/retailer_link/config");
    common(o, "pantry_kitchen-pi_retailer_link");
    CHECK(strcmp(str(o, "device_class"), "connectivity") == 0);
    CHECK(strcmp(str(o, "state_topic"), "pantry/kitchen-pi/link") == 0);
    cJSON_Delete(o);

    /* Commands off: the buttons' topics, but nothing to announce. */
    struct hadisco_device off = dev;
    char t[HADISCO_TOPIC_MAX], *j = (char *)"x";
    off.commands = false;
    CHECK(hadisco_config(&off, "rice", "Rice", HADISCO_ORDER_BUTTON, t, &j) == 0 &&
          j == NULL);
    CHECK(strcmp(t, "homeassistant/button/kitchen-pi/rice_order_now/config") == 0);

    /* A topic that does not fit. */
    char longp[300];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    off.discovery_prefix = longp;
    CHECK(hadisco_config(&off, "rice", "Rice", HADISCO_STOCK, t, &j) == -ENAMETOOLONG);
}

static void
test_is_device_config(void)
{
    static const struct {
        const char *topic;
        bool want;
    } cases[] = {
        {"homeassistant/sensor/kitchen-pi/rice_stock/config", true},
        {"homeassistant/button/kitchen-pi/old_item_confirm/config", true},
        {"homeassistant/sensor/kitchen-pi2/rice_stock/config", false},
        {"homeassistant/sensor/kitchen/rice_stock/config", false},
        {"homeassistantx/sensor/kitchen-pi/rice_stock/config", false},
        {"homeassistant//kitchen-pi/rice_stock/config", false},
        {"homeassistant/sensor/kitchen-pi//config", false},
        {"homeassistant/sensor/kitchen-pi/rice_stock/config/x", false},
        {"homeassistant/sensor/kitchen-pi/rice_stock/state", false},
        {"homeassistant/status", false},
        {"pantry/kitchen-pi/rice/state", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        CHECK_MSG(hadisco_is_device_config(&dev, cases[i].topic) == cases[i].want, "%s",
                  cases[i].topic);
}

int
main(void)
{
    RUN(test_state);
    RUN(test_configs);
    RUN(test_is_device_config);
    return th_done();
}
