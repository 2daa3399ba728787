/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration loader's own toolkit, shared by its files and by nothing
 * else: the load's context (where messages go and the settings kept for the
 * checks across the file), the tables of known settings, and the functions
 * that read and check one value or group and report what is wrong in the
 * house form. config.c drives a load; config-values.c reads values and
 * tables, config-messages.c words the messages, config-links.c,
 * config-items.c and config-checks.c hold the sections' readers and the checks
 * across the file. Not a public header: use config.h.
 */
#ifndef PANTRY_AGENT_CONFIG_READ_H
#define PANTRY_AGENT_CONFIG_READ_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "config-scan.h"

#define MIN_S INT64_C(60)
#define HOUR_S INT64_C(3600)
#define DAY_S INT64_C(86400)
#define DUR_MAX_S INT64_C(126230400) /* evtrace_parse_duration's 4 years */

#define PATH_LEN CFG_SCAN_PATH_LEN /* a setting's path in messages */
#define FOUND_LEN 200  /* what was found: SHOWN_CHARS bytes, each escaped at worst */
#define SHOWN_CHARS 40 /* characters of a string shown in a message */

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct cfg_ctx {
    const char *file;
    struct cfg_errors *errs;
    size_t n_errors; /* all of them, stored or not */
    struct agent_config *c;
    struct cfg_scan scan; /* what the pre-pass found (config-scan.h) */
    /* Settings kept for the checks across the file (valid until config_destroy). */
    config_setting_t *chan_set[CFG_MAX_CHANNELS];
    config_setting_t *item_set[CFG_MAX_ITEMS];
    config_setting_t *item_chan[CFG_MAX_ITEMS]; /* items.[i].channel */
    config_setting_t *btn_set[CFG_MAX_BUTTONS];
    config_setting_t *btn_item[CFG_MAX_BUTTONS]; /* buttons.[i].item */
};

enum cfg_key_kind {
    K_INT,    /* integer, min..max */
    K_GRAMS,  /* number of grams -> mg, min..max in mg */
    K_MONEY,  /* number in currency units -> cents, min..max in cents */
    K_BP,     /* number 0..1 -> basis points, min..max in bp */
    K_DUR_S,  /* duration string -> s */
    K_DUR_MS, /* duration string -> ms */
    K_BOOL,
    K_ENUM, /* one of names, stored as int */
    K_ID,   /* [a-z0-9_-], 1..size-1 */
    K_TEXT, /* UTF-8 text, min..size-1 bytes */
    K_PATH, /* absolute path, at most size-1 bytes, "" allowed when min is 0 */
    K_FN,   /* fn() does everything */
};

struct cfg_key {
    const char *name;
    enum cfg_key_kind kind;
    bool required;
    size_t off, size; /* the field in obj */
    int64_t min, max;
    const char *const *names;                                      /* K_ENUM */
    void (*fn)(struct cfg_ctx *x, config_setting_t *s, void *obj); /* K_FN */
    const char *what; /* expected text, instead of one made from the kind */
};

/* Table entries: a field of obj, a function, an enumeration. */
#define KEY(n, kind_, req, type, member, min_, max_)                                   \
    {                                                                                  \
        .name = n, .kind = kind_, .required = req, FIELD(type, member), .min = min_,   \
        .max = max_                                                                    \
    }
#define KEYW(n, kind_, req, type, member, min_, max_, what_)                           \
    {                                                                                  \
        .name = n, .kind = kind_, .required = req, FIELD(type, member), .min = min_,   \
        .max = max_, .what = what_                                                     \
    }
#define KFN(n, req, fn_, what_)                                                        \
    {                                                                                  \
        .name = n, .kind = K_FN, .required = req, .fn = fn_, .what = what_             \
    }
#define KENUM(n, type, member, names_)                                                 \
    {                                                                                  \
        .name = n, .kind = K_ENUM, FIELD(type, member), .names = names_                \
    }
#define FIELD(type, member)                                                            \
    .off = offsetof(type, member), .size = sizeof(((type *)0)->member)

/* config.c: the names of enumerated settings, NULL-terminated. */
extern const char *const cfg_mode_names[];
extern const char *const cfg_action_names[];
extern const char *const cfg_method_names[];

/*
 * config-messages.c: messages, each "FILE:LINE: PATH: expected ..., found ...",
 * collected in x (all counted, the first CFG_ERR_MAX kept), and near misses.
 */
void cfg_add_message(struct cfg_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void cfg_path_of(const config_setting_t *s, char *buf, size_t len);
unsigned cfg_line_of(const config_setting_t *s);
void cfg_setting_error(struct cfg_ctx *x, const config_setting_t *s, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));
void cfg_missing_error(struct cfg_ctx *x, const config_setting_t *g, const char *name,
                       const char *expected);
const struct cfg_overflow *cfg_find_overflow(const struct cfg_ctx *x,
                                             const config_setting_t *s);
void cfg_value_error(struct cfg_ctx *x, const config_setting_t *s, const char *expected,
                     const char *note);
void cfg_did_you_mean(const char *word, const char *const *cands, size_t n, char q,
                      char *buf, size_t len);

/*
 * config-values.c: values of each kind, checked against their range, and the
 * tables of known settings read into a struct. Each get_ function reports
 * what is wrong and returns false (or NULL).
 */
bool cfg_is_int(const config_setting_t *s);
bool cfg_get_int(struct cfg_ctx *x, const config_setting_t *s, int64_t min, int64_t max,
                 const char *expected, int64_t *out);
const char *cfg_get_str(struct cfg_ctx *x, const config_setting_t *s,
                        const char *expected);
void cfg_format_duration_ms(int64_t d, char *buf, size_t len);
bool cfg_parse_duration(const char *v, bool ms, int64_t *out);
void cfg_format_fixed(int64_t v, int64_t scale, char *buf, size_t len);
bool cfg_ascii_in(const char *s, const char *extra, bool upper);
bool cfg_utf8_ok(const char *s, bool controls);
void cfg_put_str(char *dst, size_t cap, const char *v);
uint32_t cfg_read_group(struct cfg_ctx *x, config_setting_t *g,
                        const struct cfg_key *keys, size_t n, void *obj);
bool cfg_want_group(struct cfg_ctx *x, const config_setting_t *s, const char *what);
config_setting_t *cfg_member(config_setting_t *g, const char *name);

/* config-links.c: the top-level settings with rules of their own, and the
 * retailer's and the home broker's groups. */
void cfg_fn_top_device_id(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_topic_prefix(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_currency(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_broker(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_home(struct cfg_ctx *x, config_setting_t *s, void *obj);

/* config-items.c: one channel, item or button, each read whole; the
 * references between them are checked later, in config-checks.c. */
void cfg_read_channel(struct cfg_ctx *x, config_setting_t *s, struct cfg_channel *ch);
void cfg_fn_delivery(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_read_item(struct cfg_ctx *x, config_setting_t *s, struct cfg_item *it);
void cfg_read_button(struct cfg_ctx *x, config_setting_t *s, struct cfg_button *b);

/* config-checks.c: the checks across the file, once every channel, item and
 * button is read (names unique, references resolved, lines not shared). */
void cfg_check_channels(struct cfg_ctx *x);
void cfg_check_gpio_lines(struct cfg_ctx *x);
void cfg_check_items(struct cfg_ctx *x);
void cfg_check_buttons(struct cfg_ctx *x);

#endif
