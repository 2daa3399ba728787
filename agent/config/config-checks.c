/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration's checks across the file (see config-read.h), run once
 * every channel, item and button is read: unique names, indices and GPIO
 * lines, the channel of every item and the item of every button resolved,
 * and the actions a button may take.
 */
#include "agent/config/config-read.h"

#include <stdio.h>
#include <string.h>

#include "sensors/text.h"

/* ------------------------------------------------------------------------ */
/* References across the file */

/* "gpiochip0" for "gpiochip0", "/dev/gpiochip0" and "0"; labels stay as they are. */
static void
chip_key(const char *chip, char *buf, size_t len)
{
    if (strncmp(chip, "/dev/", 5) == 0)
        chip += 5;
    int64_t n;
    if (text_parse_uint(chip, 4, false, &n))
        snprintf(buf, len, "gpiochip%lld", (long long)n);
    else
        snprintf(buf, len, "%s", chip);
}

struct line_use {
    char chip[CFG_NAME_MAX];
    unsigned line;
    config_setting_t *s; /* the setting that names the line */
};

static void
claim_line(struct cfg_ctx *x, struct line_use *uses, size_t *n, const char *chip,
           unsigned line, config_setting_t *s)
{
    char key[CFG_NAME_MAX], first[PATH_LEN];

    if (s == NULL)
        return;
    chip_key(chip, key, sizeof(key));
    for (size_t i = 0; i < *n; i++)
        if (uses[i].line == line && strcmp(uses[i].chip, key) == 0) {
            cfg_path_of(uses[i].s, first, sizeof(first));
            cfg_setting_error(x, s,
                              "expected a GPIO line nothing else uses, found %u of %s "
                              "again (%s, line %u)",
                              line, key, first, cfg_line_of(uses[i].s));
            return;
        }
    snprintf(uses[*n].chip, sizeof(uses[*n].chip), "%s", key);
    uses[*n].line = line;
    uses[(*n)++].s = s;
}

/* The member of a nested group, or NULL: "hx711" then "dout". */
static config_setting_t *
nested(config_setting_t *s, const char *group, const char *name)
{
    config_setting_t *g = cfg_member(s, group);
    return g != NULL && config_setting_is_group(g) ? cfg_member(g, name) : NULL;
}

void
cfg_check_channels(struct cfg_ctx *x)
{
    struct agent_config *c = x->c;
    char first[PATH_LEN];

    for (size_t j = 0; j < c->n_channels; j++) {
        struct cfg_channel *b = &c->channels[j];
        config_setting_t *sj = x->chan_set[j];
        for (size_t i = 0; i < j; i++) {
            struct cfg_channel *a = &c->channels[i];
            config_setting_t *si = x->chan_set[i];
            cfg_path_of(si, first, sizeof(first));
            if (a->name[0] != '\0' && strcmp(a->name, b->name) == 0)
                cfg_setting_error(x, cfg_member(sj, "name"),
                                  "expected a name no other channel has, found \"%s\" "
                                  "again (%s, line %u)",
                                  b->name, first, cfg_line_of(si));
            if (a->index == b->index) {
                config_setting_t *ix = cfg_member(sj, "index");
                if (ix == NULL)
                    ix = cfg_member(si, "index");
                cfg_setting_error(x, ix != NULL ? ix : sj,
                                  "expected an index no other channel has, found %u "
                                  "again (%s, line %u)",
                                  b->index, first, cfg_line_of(si));
            }
            if (a->source == CFG_SRC_IIO && b->source == CFG_SRC_IIO &&
                a->device[0] != '\0' && strcmp(a->device, b->device) == 0 &&
                a->input == b->input) {
                config_setting_t *in = nested(sj, "iio", "input");
                cfg_setting_error(x, in != NULL ? in : nested(sj, "iio", "device"),
                                  "expected an input no other channel reads, found "
                                  "input %u of \"%s\" again (%s, line %u)",
                                  b->input, b->device, first, cfg_line_of(si));
            }
        }
    }
}

void
cfg_check_gpio_lines(struct cfg_ctx *x)
{
    struct agent_config *c = x->c;
    struct line_use uses[2 * CFG_MAX_CHANNELS + CFG_MAX_BUTTONS];
    size_t n = 0;

    for (size_t i = 0; i < c->n_channels; i++) {
        const struct cfg_channel *ch = &c->channels[i];
        if (ch->source != CFG_SRC_HX711)
            continue;
        config_setting_t *d = nested(x->chan_set[i], "hx711", "dout");
        config_setting_t *k = nested(x->chan_set[i], "hx711", "sck");
        claim_line(x, uses, &n, ch->chip, ch->dout, d);
        if (ch->sck != ch->dout)
            claim_line(x, uses, &n, ch->chip, ch->sck, k);
    }
    for (size_t i = 0; i < c->n_buttons; i++) {
        const struct cfg_button *b = &c->buttons[i];
        if (b->source == CFG_BTN_GPIO)
            claim_line(x, uses, &n, b->device, b->line,
                       nested(x->btn_set[i], "gpio", "line"));
    }
}

void
cfg_check_items(struct cfg_ctx *x)
{
    struct agent_config *c = x->c;
    const char *names[CFG_MAX_CHANNELS + 1];
    char first[PATH_LEN], note[80];
    int owner[CFG_MAX_CHANNELS];

    for (size_t i = 0; i < c->n_channels; i++) {
        names[i] = c->channels[i].name;
        owner[i] = -1;
    }
    for (size_t j = 0; j < c->n_items; j++) {
        struct cfg_item *it = &c->items[j];
        for (size_t i = 0; i < j; i++)
            if (it->id[0] != '\0' && strcmp(c->items[i].id, it->id) == 0) {
                cfg_path_of(x->item_set[i], first, sizeof(first));
                cfg_setting_error(
                    x, cfg_member(x->item_set[j], "id"),
                    "expected an id no other item has, found \"%s\" again "
                    "(%s, line %u)",
                    it->id, first, cfg_line_of(x->item_set[i]));
                break;
            }
        config_setting_t *cs = x->item_chan[j];
        if (cs == NULL)
            continue;
        const char *name = config_setting_get_string(cs);
        int ch = cfg_find_channel(c, name);
        if (ch < 0) {
            cfg_did_you_mean(name, names, c->n_channels, '"', note, sizeof(note));
            cfg_value_error(x, cs, "the name of a channel", note);
            continue;
        }
        if (owner[ch] >= 0) {
            cfg_path_of(x->item_set[owner[ch]], first, sizeof(first));
            cfg_setting_error(x, cs,
                              "expected a channel no other item is on, found \"%s\" "
                              "again (%s, line %u)",
                              name, first, cfg_line_of(x->item_set[owner[ch]]));
            continue;
        }
        owner[ch] = (int)j;
        it->channel = ch;
    }
}

static bool
needs_item(enum cfg_action a)
{
    return a == CFG_ACT_ORDER || a == CFG_ACT_CANCEL;
}

void
cfg_check_buttons(struct cfg_ctx *x)
{
    struct agent_config *c = x->c;
    const char *ids[CFG_MAX_ITEMS + 1];
    char first[PATH_LEN], note[80];

    for (size_t i = 0; i < c->n_items; i++)
        ids[i] = c->items[i].id;
    for (size_t j = 0; j < c->n_buttons; j++) {
        struct cfg_button *b = &c->buttons[j];
        config_setting_t *sj = x->btn_set[j];
        if (b->source == CFG_BTN_EVDEV)
            for (size_t i = 0; i < j; i++) {
                const struct cfg_button *a = &c->buttons[i];
                if (a->source != CFG_BTN_EVDEV || a->key != b->key || b->key == 0 ||
                    strcmp(a->device, b->device) != 0)
                    continue;
                cfg_path_of(x->btn_set[i], first, sizeof(first));
                cfg_setting_error(x, nested(sj, "evdev", "key"),
                                  "expected a key no other button uses, found %u of %s "
                                  "again (%s, line %u)",
                                  b->key, b->device, first, cfg_line_of(x->btn_set[i]));
                break;
            }
        config_setting_t *is = x->btn_item[j];
        if (is != NULL) {
            const char *id = config_setting_get_string(is);
            b->item = cfg_find_item(c, id);
            if (b->item < 0) {
                cfg_did_you_mean(id, ids, c->n_items, '"', note, sizeof(note));
                cfg_value_error(x, is, "the id of an item", note);
            }
            continue;
        }
        if (cfg_member(sj, "item") != NULL)
            continue; /* not a string: reported already */
        /* Without an item, order and cancel have nothing to act on. */
        static const char *const which[] = {"short", "long", "double"};
        enum cfg_action acts[] = {b->on_short, b->on_long, b->on_double};
        bool reported = false;
        for (size_t k = 0; k < 3; k++) {
            config_setting_t *as = cfg_member(sj, which[k]);
            if (!needs_item(acts[k]))
                continue;
            if (as != NULL) {
                cfg_value_error(
                    x, as, "\"none\" or \"confirm\" on a button without item", NULL);
            } else if (!reported) {
                cfg_missing_error(x, sj, "item",
                                  "the id of an item (short = \"order\" and long = "
                                  "\"cancel\" by default)");
                reported = true;
            }
        }
    }
}
