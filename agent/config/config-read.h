/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration loader's own toolkit, shared by its files and by nothing
 * else: the load's context (where messages go and the settings kept for the
 * checks across the file), the tables of known settings, and the functions
 * that read and check one value or group and report what is wrong in the
 * house form. config.c drives a load; config-values.c reads values and
 * tables, config-messages.c words the messages, config-links.c,
 * config-items.c and config-checks.c hold the sections' readers and the checks
 * across the file. Not a public header: use agent-config.h.
 */
#ifndef PANTRY_AGENT_CONFIG_READ_H
#define PANTRY_AGENT_CONFIG_READ_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/agent-config.h"
#include "agent/config/config-scan.h"
#include "models/units.h"

#define MIN_S INT64_C(60)
#define HOUR_S INT64_C(3600)
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

/* config.c: the names of enumerated settings, in enum order, NULL-terminated
 * (KENUM tables take them). */
extern const char *const cfg_mode_names[];
extern const char *const cfg_action_names[];
extern const char *const cfg_method_names[];

/*
 * config-messages.c. Every problem is counted in x->n_errors; the first
 * CFG_ERR_MAX are kept in x->errs (when not NULL), later ones only counted as
 * dropped. Messages are cut to CFG_ERR_LEN - 1 bytes.
 */

/* A message as it stands (the caller writes "FILE:LINE: ..."). */
void cfg_add_message(struct cfg_ctx *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "items.[1].pack": names joined by dots, list and array elements as [i];
 * "" for the root. */
void cfg_path_of(const config_setting_t *s, char *buf, size_t len);

/* The line of s, 1 for the root (which has none of its own). */
unsigned cfg_line_of(const config_setting_t *s);

/* "FILE:LINE: PATH: " and the rest, about setting s. */
void cfg_setting_error(struct cfg_ctx *x, const config_setting_t *s, const char *fmt,
                       ...) __attribute__((format(printf, 3, 4)));

/* "FILE:LINE: G.NAME: expected EXPECTED, found nothing": a required setting
 * absent from group g. */
void cfg_missing_error(struct cfg_ctx *x, const config_setting_t *g, const char *name,
                       const char *expected);

/* The literal the pre-pass found too large at s's path, or NULL. */
const struct cfg_overflow *cfg_find_overflow(const struct cfg_ctx *x,
                                             const config_setting_t *s);

/* "expected EXPECTED, found <what s holds, as written>" and note (may be NULL). */
void cfg_value_error(struct cfg_ctx *x, const config_setting_t *s, const char *expected,
                     const char *note);

/* " (did you mean 'x'?)" with quote q, for the closest of n candidates within
 * two edits, or "" when none is that close. */
void cfg_did_you_mean(const char *word, const char *const *cands, size_t n, char q,
                      char *buf, size_t len);

/*
 * config-values.c. A get_ function stores into *out only a value in range and
 * returns true; otherwise it reports "expected ..., found ..." about s and
 * returns false (or NULL).
 */

/* Whether s is an integer setting (32 or 64 bits). */
bool cfg_is_int(const config_setting_t *s);

/* An integer from min to max; expected is the message's "expected" text. */
bool cfg_get_int(struct cfg_ctx *x, const config_setting_t *s, int64_t min, int64_t max,
                 const char *expected, int64_t *out);

/* The string of s (owned by libconfig, valid until config_destroy), or NULL. */
const char *cfg_get_str(struct cfg_ctx *x, const config_setting_t *s,
                        const char *expected);

/* d ms as a message writes it: "90s" when whole seconds, else "250ms". */
void cfg_format_duration_ms(int64_t d, char *buf, size_t len);

/* A duration string: a whole number and "ms" (when ms), "s", "m", "h" or "d";
 * *out in ms when ms, else s. False for anything else. */
bool cfg_parse_duration(const char *v, bool ms, int64_t *out);

/* v in units of 1/scale (1000, 100 or 10000) as a decimal without trailing
 * zeros: "2.5" for 2500 at 1000, "4.99" for 499 at 100. */
void cfg_format_fixed(int64_t v, int64_t scale, char *buf, size_t len);

/* Whether s is only a-z, 0-9 (A-Z too when upper) and characters of extra. */
bool cfg_ascii_in(const char *s, const char *extra, bool upper);

/* UTF-8 without overlong forms or surrogates, and without control characters
 * (C0, DEL, C1) unless controls. */
bool cfg_utf8_ok(const char *s, bool controls);

/* Copy v into dst of cap bytes (checked to fit before; cut if not). */
void cfg_put_str(char *dst, size_t cap, const char *v);

/*
 * Read group g against keys (at most 32) into obj: unknown settings are
 * reported (with a near miss), known ones applied in file order, required ones
 * that are missing reported last. Returns the set of keys seen (bit i:
 * keys[i]).
 */
uint32_t cfg_read_group(struct cfg_ctx *x, config_setting_t *g,
                        const struct cfg_key *keys, size_t n, void *obj);

/* s must be a group { WHAT }: otherwise a message, and false. */
bool cfg_want_group(struct cfg_ctx *x, const config_setting_t *s, const char *what);

/* The member name of group g, or NULL. */
config_setting_t *cfg_member(config_setting_t *g, const char *name);

/*
 * config-links.c: K_FN readers of the top-level settings with rules of their
 * own and of the two brokers' groups. Each reads s into obj (the struct the
 * table is about) and reports what is wrong.
 */
void cfg_fn_top_device_id(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_topic_prefix(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_currency(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_broker(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_fn_home(struct cfg_ctx *x, config_setting_t *s, void *obj);

/*
 * config-items.c: one element of channels, items or buttons read whole from
 * its group s into the struct, and a delivery group (a K_FN reader, obj a
 * struct cfg_delivery). References between elements are checked later, by
 * config-checks.c, on the groups config.c keeps in x.
 */
void cfg_read_channel(struct cfg_ctx *x, config_setting_t *s, struct cfg_channel *ch);
void cfg_fn_delivery(struct cfg_ctx *x, config_setting_t *s, void *obj);
void cfg_read_item(struct cfg_ctx *x, config_setting_t *s, struct cfg_item *it);
void cfg_read_button(struct cfg_ctx *x, config_setting_t *s, struct cfg_button *b);

/*
 * config-checks.c: the checks across the file, once every channel, item and
 * button is read: names and indices unique, GPIO lines not shared, every
 * item's channel and every button's item resolved, each action allowed.
 */
void cfg_check_channels(struct cfg_ctx *x);
void cfg_check_gpio_lines(struct cfg_ctx *x);
void cfg_check_items(struct cfg_ctx *x);
void cfg_check_buttons(struct cfg_ctx *x);

#endif
