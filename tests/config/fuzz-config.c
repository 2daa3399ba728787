/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of the configuration loader: any bytes, as a NUL-terminated
 * string, through cfg_load_string(). It must never crash or leak, return 0 or
 * -EINVAL, report at least one message exactly when it fails (each one
 * NUL-terminated, starting with the file's name), and whatever it accepts must
 * hold the invariants the agent relies on: references in range, ids and paths
 * that passed their checks, conditioning that cond_config_check() accepts.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "tests/fuzz/fuzz.h"

static struct agent_config cfg;
static struct cfg_errors errs;

static void
check_accepted(const struct agent_config *c)
{
    FUZZ_ASSERT(c->device_id[0] != '\0');
    FUZZ_ASSERT(c->broker.client_id[0] != '\0');
    FUZZ_ASSERT(c->n_channels >= 1 && c->n_channels <= CFG_MAX_CHANNELS);
    FUZZ_ASSERT(c->n_items >= 1 && c->n_items <= CFG_MAX_ITEMS);
    FUZZ_ASSERT(c->n_buttons <= CFG_MAX_BUTTONS);
    FUZZ_ASSERT(c->store_path[0] == '/' && c->key_path[0] == '/');
    FUZZ_ASSERT(c->control_socket[0] == '/' && strlen(c->control_socket) < 108);
    FUZZ_ASSERT(c->broker.keepalive_s >= 5 && c->broker.keepalive_s <= 3600);
    FUZZ_ASSERT(c->broker.session_expiry_s >= 0 &&
                c->broker.session_expiry_s <= 4294967295);
    FUZZ_ASSERT(c->aggregate_s >= 60 && c->retention_s >= 86400);
    for (size_t i = 0; i < c->n_channels; i++) {
        const struct cfg_channel *ch = &c->channels[i];
        FUZZ_ASSERT(ch->name[0] != '\0' && ch->index < CFG_MAX_CHANNELS);
        FUZZ_ASSERT(ch->period_ms >= 10 && ch->period_ms <= 60000);
        if (ch->source == CFG_SRC_HX711)
            FUZZ_ASSERT(ch->dout != ch->sck &&
                        (ch->gain == 128 || ch->gain == 64 || ch->gain == 32));
        else
            FUZZ_ASSERT(ch->source == CFG_SRC_IIO && ch->device[0] != '\0');
        for (size_t j = 0; j < i; j++)
            FUZZ_ASSERT(strcmp(c->channels[j].name, ch->name) != 0 &&
                        c->channels[j].index != ch->index);
    }
    for (size_t i = 0; i < c->n_items; i++) {
        const struct cfg_item *it = &c->items[i];
        FUZZ_ASSERT(it->id[0] != '\0' && it->name[0] != '\0');
        FUZZ_ASSERT(it->channel >= 0 && (size_t)it->channel < c->n_channels);
        FUZZ_ASSERT(it->pack_mg >= 1000 && it->pack_mg <= 100000000);
        FUZZ_ASSERT(it->service_bp >= 5000 && it->service_bp <= 9990);
        FUZZ_ASSERT(it->packs_per_order >= 1 && it->packs_per_order <= 100);
        FUZZ_ASSERT(it->fc.half_life_s > 0 && it->fc.trend_half_life_s > 0);
        FUZZ_ASSERT(it->cond.pack_mg == it->pack_mg);
        FUZZ_ASSERT(cond_config_check(&it->cond) == 0);
        FUZZ_ASSERT(!it->has_cal || (it->cal.span_raw != 0 && it->cal.span_mg >= 1));
        for (size_t j = 0; j < i; j++)
            FUZZ_ASSERT(strcmp(c->items[j].id, it->id) != 0 &&
                        c->items[j].channel != it->channel);
    }
    for (size_t i = 0; i < c->n_buttons; i++) {
        const struct cfg_button *b = &c->buttons[i];
        FUZZ_ASSERT(b->item >= -1 && b->item < (int)c->n_items);
        FUZZ_ASSERT(b->debounce_ms < b->long_ms);
        if (b->source == CFG_BTN_EVDEV)
            FUZZ_ASSERT(b->key >= 1 && b->key <= 767 && b->key != 116 &&
                        b->device[0] == '/');
        if (b->item < 0)
            FUZZ_ASSERT(b->on_short != CFG_ACT_ORDER && b->on_short != CFG_ACT_CANCEL &&
                        b->on_long != CFG_ACT_ORDER && b->on_long != CFG_ACT_CANCEL);
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    int r = cfg_load_string(text, "fuzz.conf", &cfg, &errs);
    FUZZ_ASSERT(r == 0 || r == -EINVAL);
    FUZZ_ASSERT((r == 0) == (errs.count == 0));
    FUZZ_ASSERT(errs.count <= CFG_ERR_MAX);
    FUZZ_ASSERT(errs.dropped == 0 || errs.count == CFG_ERR_MAX);
    for (size_t i = 0; i < errs.count; i++) {
        FUZZ_ASSERT(memchr(errs.msg[i], '\0', CFG_ERR_LEN) != NULL);
        FUZZ_ASSERT(strncmp(errs.msg[i], "fuzz.conf:", 10) == 0);
    }
    if (r == 0)
        check_accepted(&cfg);
    free(text);
    return 0;
}
