/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of what the home broker hands the feed registry
 * (mqttfeed_message): the first byte picks the topic (0 a grams scale, 1 a
 * raw scale, 2 a zigbee2mqtt button) and, in bit 2, whether the message is
 * retained; the rest is the payload. Invariants: only the documented returns;
 * a refusal names the topic and queues nothing; a taken message queues
 * exactly one sample (its value within the 24 bits, OK or INVALID) or one
 * press (a known kind, the button's index); never both.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "tests/fuzz/fuzz.h"
#include "agent/link/mqttfeed.h"

static const char conf_text[] =
    "device_id = \"fuzz\";\n"
    "home = { url = \"mqtt://127.0.0.1\"; };\n"
    "channels = ( { name = \"g\"; mqtt = { topic = \"esphome/sensor/g/state\"; }; },\n"
    "  { name = \"r\"; mqtt = { topic = \"esphome/sensor/r/state\"; format = \"raw\"; "
    "}; } );\n"
    "items = ( { id = \"g\"; channel = \"g\"; pack = 1000; },\n"
    "  { id = \"r\"; channel = \"r\"; pack = 1000;\n"
    "    calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );\n"
    "buttons = ( { item = \"g\"; zigbee2mqtt = { topic = \"zigbee2mqtt/b\";\n"
    "  actions = { single = \"order\"; hold = \"cancel\"; release = \"none\"; }; }; "
    "} );\n";

static const char *const topics[] = {"esphome/sensor/g/state", "esphome/sensor/r/state",
                                     "zigbee2mqtt/b"};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct agent_config cfg;
    static bool loaded;
    static int64_t now = INT64_C(1764072000000);
    struct cfg_errors errs;
    struct mqttfeed *f = NULL;
    struct sample s[MQTTFEED_QUEUE];
    struct press p[MQTTFEED_QUEUE];
    char why[400];

    if (!loaded) {
        FUZZ_ASSERT(cfg_load_string(conf_text, "fuzz.conf", &cfg, &errs) == 0);
        loaded = true;
    }
    if (size < 1 || mqttfeed_new(&cfg, now, &f) < 0)
        return 0;
    struct sample_source *src = mqttfeed_source(f);
    unsigned which = (data[0] & 3u) % 3u;
    const char *topic = topics[which];
    bool retained = (data[0] & 4) != 0;
    /* An exact-size copy: a read past the end is caught by ASan. */
    char *text = malloc(size - 1 ? size - 1 : 1);
    if (text == NULL) {
        mqttfeed_free(f);
        return 0;
    }
    memcpy(text, data + 1, size - 1);
    int r =
        mqttfeed_message(f, topic, text, size - 1, retained, now + 1, why, sizeof(why));
    FUZZ_ASSERT(r == 1 || r == 0 || r == -EMSGSIZE || r == -EINVAL || r == -ERANGE);
    FUZZ_ASSERT(memchr(why, '\0', sizeof(why)) != NULL);
    if (r < 0)
        FUZZ_ASSERT(strncmp(why, topic, strlen(topic)) == 0);
    /* Read before anything goes silent (120 s after the start). */
    int ns = src->ops->read_samples(src, now + 1, s, MQTTFEED_QUEUE);
    int np = src->ops->read_presses(src, now + 1, p, MQTTFEED_QUEUE);
    FUZZ_ASSERT(ns + np == (r == 1));
    if (ns == 1) {
        FUZZ_ASSERT(s[0].status == SAMPLE_OK || s[0].status == SAMPLE_INVALID);
        FUZZ_ASSERT(s[0].raw >= -8388608 && s[0].raw <= 8388607);
        FUZZ_ASSERT(s[0].channel == which && s[0].t_ms == now + 1);
    }
    if (np == 1)
        FUZZ_ASSERT(p[0].button == 0 && !retained &&
                    (p[0].kind == PRESS_SHORT || p[0].kind == PRESS_LONG));
    free(text);
    mqttfeed_free(f);
    return 0;
}
