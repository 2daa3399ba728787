/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration: /etc/pantry-agent/pantry-agent.conf (libconfig syntax) read into
 * one plain struct agent_config that the rest of the agent codes against. The
 * file is untrusted input: every setting is type-, range- and character-checked,
 * unknown settings are rejected at every level (with a "did you mean" for near
 * misses), and cross references are checked (items on channels, buttons on items,
 * no id, channel, GPIO line or key used twice). Every problem is reported, not
 * only the first, each as
 *
 *     FILE:LINE: SETTING.PATH: expected WHAT, found WHAT
 *
 * e.g. "pantry.conf:14: items.[1].pack: expected grams from 1 to 100000, found
 * -5". The syntax, every setting, its unit, range and default are documented in
 * agent/CONFIG.md; packaging/pantry-agent.conf is a commented sample.
 *
 * Units in the struct: mass in milligrams, money in cents (1/100 of the
 * currency), durations in seconds (_s) or milliseconds (_ms), service levels in
 * basis points. Numbers in the file are in user units (grams, currency, 0.95)
 * and are rounded to the nearest integer unit.
 */
#ifndef PANTRY_AGENT_CONFIG_H
#define PANTRY_AGENT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sensors/cond/cond.h"
#include "models/delivery.h"
#include "agent/logging.h" /* enum cfg_log, the log_level setting */
#include "models/forecast.h"

#define CFG_MAX_ITEMS 32
#define CFG_MAX_CHANNELS 16 /* = SENSOR_MAX_CHANNELS */
#define CFG_MAX_BUTTONS 16  /* = SENSOR_MAX_BUTTONS */
#define CFG_ID_MAX 32       /* ids: [a-z0-9_-], 1..31 chars, like evtrace */
#define CFG_NAME_MAX 64
#define CFG_PATH_MAX 256
#define CFG_GTIN_MAX 15 /* 14 digits and the NUL */

/* The default location of the configuration file. */
#define CFG_DEFAULT_PATH "/etc/pantry-agent/pantry-agent.conf"

enum cfg_mode {
    CFG_MODE_AUTO,    /* publish an order at once */
    CFG_MODE_CONFIRM, /* plan it, wait for a button press or pantryctl */
    CFG_MODE_OFF,     /* never order */
};
#define CFG_MODE_COUNT 3

enum cfg_source {
    CFG_SRC_IIO,   /* Linux IIO (kernel hx711 driver), sensors/hw/iio.h */
    CFG_SRC_HX711, /* HX711 bit-banged over libgpiod, sensors/hw/hx711.h */
    CFG_SRC_MQTT,  /* a scale's state topic on the home broker, mqttfeed.h */
};
#define CFG_SOURCE_COUNT 3

enum cfg_button_source {
    CFG_BTN_GPIO,  /* a GPIO line over libgpiod, sensors/hw/gpio.h */
    CFG_BTN_EVDEV, /* a key of an input device (gpio-key overlay), evdev.h */
    CFG_BTN_Z2M,   /* a zigbee2mqtt device on the home broker, mqttfeed.h */
};
#define CFG_BUTTON_SOURCE_COUNT 3

enum cfg_action {
    CFG_ACT_NONE,    /* ignore the press */
    CFG_ACT_ORDER,   /* order the button's item now */
    CFG_ACT_CANCEL,  /* cancel the item's open order (in the cancel window) */
    CFG_ACT_CONFIRM, /* confirm the item's planned order (no item: every one) */
};
#define CFG_ACTION_COUNT 4

struct cfg_broker {
    /* mqtt://, mqtts://, tcp://, ssl:// host[:port]; "" = no broker (orders wait
     * in the outbox). mqtts:// and ssl:// use TLS. */
    char url[CFG_PATH_MAX];
    /* Absolute paths, "" = unset; the credentials file holds "user\npassword\n". */
    char ca_file[CFG_PATH_MAX], ca_path[CFG_PATH_MAX], cert_file[CFG_PATH_MAX],
        cert_key_file[CFG_PATH_MAX], credentials_file[CFG_PATH_MAX];
    bool verify;         /* TLS server verification, default true */
    int32_t keepalive_s; /* 5..3600, default 60 */
    int32_t ack_wait_s;  /* 1..86400, default 600: no retailer known: the next goes */
    int32_t resend_s;    /* 1..86400, default 60: unanswered messages go again */
    int64_t session_expiry_s;        /* 0..2^32-1 (2^32-1: never), default 7 days */
    char client_id[CFG_NAME_MAX];    /* default: the device id */
    char retailer_key[CFG_PATH_MAX]; /* JWK file; when set, acks must be signed by it */
};

/* A scale that publishes over MQTT: mqtt = { topic = ...; format = "grams";
 * interval = "60s"; } in a channel (config-feeds.h, mqttfeed.h). */
#define CFG_FEED_TOPIC_MAX 128
enum cfg_feed_format {
    CFG_FEED_GRAMS, /* the number is grams (ESPHome's calibrated sensor) */
    CFG_FEED_RAW,   /* the number is ADC counts, calibrated like an hx711's */
};
struct cfg_feed {
    char topic[CFG_FEED_TOPIC_MAX]; /* no wildcard, no empty level */
    enum cfg_feed_format format;    /* default grams */
    int32_t interval_ms;            /* the scale's update interval, 1 s..1 h, 60 s */
};

/*
 * The household's own broker (issue 15, CONFIG.md "Home broker"): home = {
 * url = ...; ... }, the TLS and credential settings of broker (ack_wait,
 * resend and retailer_key are not taken), and what goes there.
 */
#define CFG_HOME_PREFIX_MAX 128
struct cfg_home {
    struct cfg_broker broker;         /* url "" (the default): no home broker */
    char prefix[CFG_HOME_PREFIX_MAX]; /* default "pantry": state topics' root */
    char discovery_prefix[CFG_HOME_PREFIX_MAX]; /* default "homeassistant" */
    bool discovery;                             /* default true */
    bool commands;                              /* default false */
};

struct cfg_channel {
    char name[CFG_ID_MAX]; /* [a-z0-9_-], what items refer to */
    uint16_t index;        /* sample channel 0..15, default its position in the list */
    enum cfg_source source;
    /* iio: device label, name or iio:deviceN; reads in_voltage<input>_raw (0..255) */
    char device[CFG_NAME_MAX];
    uint16_t input;
    /* hx711: gpiochip (name, label, number or /dev path, default "gpiochip0"), BCM
     * lines 0..53 of DOUT and PD_SCK, gain 128 | 64 (channel A) | 32 (B) */
    char chip[CFG_PATH_MAX];
    uint16_t dout, sck;
    uint16_t gain;
    int32_t period_ms; /* between reads, 10..60000, default 100 */
    /* mqtt: topic, format, interval (config-feeds.h) */
    struct cfg_feed feed;
};

/*
 * Where and when deliveries may come: delivery = { place = "home"; windows =
 * ( "mon-fri 07:00-09:00", ... ); earliest = "3d"; } for the household, and
 * the same group in an item overrides the settings it gives (config-wishes.h).
 */
#define CFG_PLACE_MAX 32
struct cfg_delivery {
    char place[CFG_PLACE_MAX]; /* a label the retailer maps: [a-z0-9_-], 1..31 */
    struct delivery_window windows[DELIVERY_MAX_WINDOWS]; /* local time */
    size_t n_windows;                                     /* 0: any time */
    int64_t earliest_s; /* at most this long before the runout, 0..60 d; 0: any */
    bool has_place, has_windows, has_earliest; /* given (an item's override) */
};

/* A substitute product of an item: an article number and/or a GTIN. */
#define CFG_MAX_SUBSTITUTES 7 /* with the item's own code, 8 ranked products */
struct cfg_product {
    char sku[CFG_ID_MAX];    /* as cfg_item.sku, or "" */
    char gtin[CFG_GTIN_MAX]; /* as cfg_item.gtin, or ""; not both "" */
};

struct cfg_item {
    char id[CFG_ID_MAX];     /* [a-z0-9_-], 1..31: the item in topics and the store */
    char name[CFG_NAME_MAX]; /* display name, default the id; no control characters */
    char sku[CFG_ID_MAX];    /* retailer's article number, printable ASCII, or "" */
    /* 8, 12, 13 or 14 digits with a valid check digit (GS1), or "" */
    char gtin[CFG_GTIN_MAX];
    int channel; /* index into agent_config.channels */
    /* calibration = { zero = <counts>; span_raw = <counts>; span = <grams>; }
     * optional: pantryctl calibrate stores one in the store, which wins */
    bool has_cal;
    struct cond_cal cal;
    int64_t pack_mg;          /* pack net weight 1 g..100 kg */
    int64_t container_mg;     /* container tare 0..100 kg, default 0 */
    uint32_t packs_per_order; /* at most, 1..100, default 4 */
    uint32_t packs_min;       /* the retailer may send fewer, down to this: 1..
                                 packs_per_order, default 1 (config-wishes.h) */
    /* accepted in rank order after sku/gtin (which must be set to have any) */
    struct cfg_product substitutes[CFG_MAX_SUBSTITUTES];
    size_t n_substitutes;
    int64_t price_max_cents;      /* ceiling per pack, 0..1000000, 0 = none (default) */
    struct cfg_delivery delivery; /* the settings given override the household's */
    int64_t lead_s;               /* default lead time, 1 h .. 60 d, default 2 d */
    int64_t lead_spread_s;   /* its uncertainty (one sd), 0 .. 60 d, default lead_s */
    int64_t review_s;        /* policy review period 1 h .. 60 d, default 1 d */
    int64_t cover_s;         /* extra cover 0 .. 365 d, default 7 d */
    uint32_t service_bp;     /* service_level 0.5..0.999 -> 5000..9990, default 9500 */
    enum cfg_mode mode;      /* default confirm */
    int64_t cooldown_s;      /* no new order this long after one, 0..60 d, def. 1 d */
    uint32_t max_orders_30d; /* 1..30, default 2 */
    int64_t price_cents;  /* price = 4.99 -> 499; 0..1000000; 0 = unknown (default) */
    int64_t budget_cents; /* per-item monthly budget 0..10000000, 0 = none (default) */
    bool learn;           /* corrections teach the policy (learn.h), default true */
    /* forecast = { method = "ses"; half_life = "14d"; trend_half_life = "28d";
     * damp_half_life = "off"; overdue_decay = false; } optional; these defaults
     * are evtrace's (agent/cli/evtrace.c) */
    struct fc_params fc;
    /* conditioning = { noise_band = 2.0; ... } optional, grams and durations;
     * starts from cond_config_default(&cond, pack_mg) and passes
     * cond_config_check(). cond.pack_mg == pack_mg. */
    struct cond_config cond;
    /* Grocy (config-grocy.h): grocy_product = 12; the product id, 0 = none (default);
     * grocy_unit_g = 1.0; grams per unit of the product's stock quantity unit,
     * 0.001 g .. 100 kg, 0 = 1 g (default) */
    int64_t grocy_product;
    int64_t grocy_unit_mg;
};

/* A zigbee2mqtt button: zigbee2mqtt = { topic = ...; actions = { single =
 * "order"; ... }; } in a button (config-feeds.h, mqttfeed.h). */
#define CFG_Z2M_ACTIONS 8
#define CFG_Z2M_ACTION_MAX 32
struct cfg_z2m {
    char topic[CFG_FEED_TOPIC_MAX];
    char names[CFG_Z2M_ACTIONS][CFG_Z2M_ACTION_MAX]; /* z2m's action values */
    enum cfg_action actions[CFG_Z2M_ACTIONS];        /* what each one does */
    size_t n_actions; /* default single order, double confirm, hold cancel */
};

struct cfg_button {
    enum cfg_button_source source;
    /* evdev: /dev/input/... (absolute); gpio: gpiochip (default "gpiochip0") */
    char device[CFG_PATH_MAX];
    uint16_t line;   /* gpio: BCM line 0..53 */
    uint16_t key;    /* evdev: key code 1..767, not 116 (KEY_POWER shuts the Pi down) */
    bool active_low; /* gpio: pressed pulls the line low, default true */
    int item;        /* index into items, -1 = none (only none/confirm actions) */
    enum cfg_action on_short, on_long, on_double; /* default order, cancel, confirm */
    /* defaults 20, 800, 400 (sensors/hw/button.h): debounce 0..1000,
     * debounce < long <= 60000, double 0..10000 (0: no double presses) */
    int32_t debounce_ms, long_ms, double_ms;
    /* zigbee2mqtt: topic, actions (config-feeds.h) */
    struct cfg_z2m z2m;
};

/* grocy = { ... } in the household: the stock kept in Grocy (config-grocy.h) */
enum cfg_grocy_mode {
    CFG_GROCY_OFF,      /* no grocy group */
    CFG_GROCY_STOCK,    /* consumes and refills posted to the product's stock */
    CFG_GROCY_SHOPPING, /* besides, predicted orders go to the shopping list only */
};
#define CFG_GROCY_URL_MAX 256
struct cfg_grocy {
    enum cfg_grocy_mode mode;
    char url
        [CFG_GROCY_URL_MAX]; /* http(s)://host[:port]/path of the API, no '/' at end */
    char
        api_key_file[CFG_PATH_MAX]; /* absolute; the key on its first line, mode 0600 */
    int64_t timeout_ms;             /* one request, 1 s .. 5 min, default 30 s */
    char ca_file[CFG_PATH_MAX];     /* absolute, or "": the system's CAs (default) */
};

struct agent_config {
    /* required; [A-Za-z0-9_-], 1..63 characters: an MQTT topic level */
    char device_id[CFG_NAME_MAX];
    /* default "pantry/v1": levels of [A-Za-z0-9_.-], no + # or empty level */
    char topic_prefix[128];
    char store_path[CFG_PATH_MAX];     /* default /var/lib/pantry-agent/pantry.db */
    char key_path[CFG_PATH_MAX];       /* default /var/lib/pantry-agent/device.key */
    char control_socket[CFG_PATH_MAX]; /* default /run/pantry-agent/control.sock */
    enum cfg_log log_level;            /* default info */
    struct cfg_broker broker;
    int64_t monthly_budget_cents; /* household budget = 120.00 -> 12000, 0 = none */
    char currency[4];             /* ISO 4217: three letters A-Z, default "EUR" */
    struct cfg_delivery delivery; /* default place "home", any time, no earliest */
    /* away = ( { from = "2026-12-20"; until = "2027-01-03 18:00"; arrive =
     * "before"; }, ... ): local dates (midnight) or date and time, as UTC
     * [from, until), from < until; arrive "after" (default) or "before" */
    struct delivery_away away[DELIVERY_MAX_AWAY];
    size_t n_away;
    size_t n_away_conf;      /* of them the configuration's; the daemon appends those
                           set with pantryctl away (agent/pipeline/away.h) */
    int64_t cancel_window_s; /* 0 .. 1 d, default 15 min */
    int64_t order_expiry_s;  /* unconfirmed or unfulfilled orders expire, 1 h..60 d,
                                     default 7 d */
    int64_t aggregate_s;     /* readings aggregated per interval, 1 min..1 d,
                                     default 15 min */
    int64_t retention_s;     /* older readings and events are pruned, 1 d..4 y,
                                     default 400 d */
    struct cfg_channel channels[CFG_MAX_CHANNELS]; /* at least one */
    size_t n_channels;
    struct cfg_item items[CFG_MAX_ITEMS]; /* at least one */
    size_t n_items;
    struct cfg_button buttons[CFG_MAX_BUTTONS];
    size_t n_buttons;
    struct cfg_home home;   /* the household's broker, optional (config-home.h) */
    struct cfg_grocy grocy; /* grocy = { url; api_key_file; mode; } (config-grocy.h) */
};

/*
 * The messages of one load, sorted by line. A syntax error stops libconfig's
 * parse, so it comes alone; every other problem is reported.
 */
#define CFG_ERR_MAX 64
#define CFG_ERR_LEN 256
struct cfg_errors {
    char msg[CFG_ERR_MAX][CFG_ERR_LEN]; /* "FILE:LINE: PATH: expected X, found Y" */
    size_t count;                       /* messages in msg, <= CFG_ERR_MAX */
    size_t dropped;                     /* further errors not stored */
};

/* Empty error list. */
void cfg_errors_init(struct cfg_errors *e);

/*
 * Every default, no channels, items or buttons, device_id "". Not loadable as
 * is: a configuration needs a device id, a channel and an item.
 */
void cfg_defaults(struct agent_config *c);

/* Defaults of one item of pack_mg (what cfg_load starts each item from). */
void cfg_item_defaults(struct cfg_item *it, int64_t pack_mg);

/* Defaults of one button (gpio on gpiochip0, active low, no item). */
void cfg_button_defaults(struct cfg_button *b);

/*
 * Read and check the file at path. The struct is large (about 30 KB): callers
 * keep it static or on the heap. errs may be NULL; otherwise it is reset and
 * receives every message (also on success it is empty). Returns 0 with *out
 * filled, -EINVAL for a bad configuration, or -ENOENT, -EACCES, ... when the
 * file cannot be read ("FILE: cannot read: REASON"). On failure *out holds
 * defaults and whatever was parsed; do not use it.
 */
int cfg_load(const char *path, struct agent_config *out, struct cfg_errors *errs);

/*
 * The same for text in memory (NUL-terminated), name standing for FILE in
 * messages. @include directives are refused in both.
 */
int cfg_load_string(const char *text, const char *name, struct agent_config *out,
                    struct cfg_errors *errs);

/*
 * The files c names, checked as pantry-agent uses them at start
 * (config-files.c), by the user running this: key_path (a key there must load:
 * a regular file of mode 0600, refused when group or others may read it; a
 * missing one needs a writable folder, where the first start makes it),
 * store_path (the file read and writable, or its folder writable), and with a
 * broker: credentials_file (mode 0600, its format), retailer_key (a public
 * JWK), ca_file, ca_path, cert_file, cert_key_file (there and readable).
 * Hardware (channels, buttons) is not probed. Appends "FILE: SETTING PATH:
 * what is wrong" to e and returns the number of problems (0: all good).
 */
int cfg_check_files(const char *file, const struct agent_config *c,
                    struct cfg_errors *e);

/* Index of the item / channel by id / name, or -1. */
int cfg_find_item(const struct agent_config *c, const char *id);
int cfg_find_channel(const struct agent_config *c, const char *name);

/* Names as written in the file; "?" for anything else. */
const char *cfg_mode_to_str(enum cfg_mode m);                   /* auto confirm off */
const char *cfg_source_to_str(enum cfg_source s);               /* iio hx711 */
const char *cfg_button_source_to_str(enum cfg_button_source s); /* gpio evdev */
const char *cfg_action_to_str(enum cfg_action a); /* none order cancel confirm */
const char *cfg_log_to_str(enum cfg_log l);       /* error warning notice info debug */

#endif
