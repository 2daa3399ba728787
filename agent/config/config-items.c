/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration's things on the shelf (see config-read.h): a channel (an
 * iio or hx711 load cell, or a feed on the home broker), an item (codes,
 * delivery, calibration, forecast, conditioning) and a button, each read whole
 * from its group. References between them are resolved by config-checks.c.
 */
#include "agent/config/config-read.h"

#include <string.h>

#include "agent/config/config-wishes.h"
#include "agent/config/config-feeds.h"

/* ------------------------------------------------------------------------ */
/* Channels */

/* A gpiochip: a name or label like "gpiochip0", a number, or a /dev path. */
static void
chip_value(struct cfg_ctx *x, config_setting_t *s, char *dst, size_t cap)
{
    static const char expected[] =
        "a gpiochip name, label or number, or /dev/gpiochipN";
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    if (n == 0 || n >= cap || n >= CFG_NAME_MAX ||
        !cfg_ascii_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-/", true) ||
        (strchr(v, '/') != NULL && strncmp(v, "/dev/", 5) != 0))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(dst, cap, v);
}

static void
fn_hx711_chip(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_channel *ch = obj;
    chip_value(x, s, ch->chip, sizeof(ch->chip));
}

static void
fn_iio_device(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "an IIO device label, name or iio:deviceN of 1 to 63 characters A-Z, a-z, "
        "0-9, _ . : and -";
    struct cfg_channel *ch = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    if (n == 0 || n >= sizeof(ch->device) ||
        !cfg_ascii_in(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_.:-", true))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(ch->device, sizeof(ch->device), v);
}

static void
fn_gain(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "128, 64 (channel A) or 32 (channel B)";
    struct cfg_channel *ch = obj;
    int64_t v;

    if (!cfg_get_int(x, s, 32, 128, expected, &v))
        return;
    if (v != 128 && v != 64 && v != 32)
        cfg_value_error(x, s, expected, NULL);
    else
        ch->gain = (uint16_t)v;
}

static const struct cfg_key iio_keys[] = {
    KFN("device", true, fn_iio_device, "an IIO device label, name or iio:deviceN"),
    KEY("input", K_INT, false, struct cfg_channel, input, 0, 255),
};

static const struct cfg_key hx711_keys[] = {
    KFN("chip", false, fn_hx711_chip, NULL),
    KEY("dout", K_INT, true, struct cfg_channel, dout, 0, 53),
    KEY("sck", K_INT, true, struct cfg_channel, sck, 0, 53),
    KFN("gain", false, fn_gain, NULL),
};

static void
fn_iio(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_channel *ch = obj;

    ch->source = CFG_SRC_IIO;
    if (cfg_want_group(x, s, "device = ...; input = ...;"))
        cfg_read_group(x, s, iio_keys, ARRAY_SIZE(iio_keys), obj);
}

static void
fn_hx711(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_channel *ch = obj;

    ch->source = CFG_SRC_HX711;
    if (!cfg_want_group(x, s, "dout = ...; sck = ...;"))
        return;
    cfg_read_group(x, s, hx711_keys, ARRAY_SIZE(hx711_keys), obj);
    /* Only when both were read (else the field holds a default). */
    config_setting_t *dout = cfg_member(s, "dout"), *sck = cfg_member(s, "sck");
    if (dout != NULL && sck != NULL && cfg_is_int(dout) && cfg_is_int(sck) &&
        config_setting_get_int64(dout) == ch->dout &&
        config_setting_get_int64(sck) == ch->sck && ch->dout == ch->sck)
        cfg_setting_error(x, sck, "expected a line other than dout's, found %u again",
                          ch->sck);
}

/* mqtt = { topic; format; interval; }: a scale on the home broker */
static void
fn_mqtt(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_feeds_channel(s, obj, &where, err, sizeof(err)) < 0)
        cfg_setting_error(x, where, "%s", err);
}

static const struct cfg_key channel_keys[] = {
    KEY("name", K_ID, true, struct cfg_channel, name, 0, 0),
    KEY("index", K_INT, false, struct cfg_channel, index, 0, CFG_MAX_CHANNELS - 1),
    KFN("iio", false, fn_iio, NULL),
    KFN("hx711", false, fn_hx711, NULL),
    KFN("mqtt", false, fn_mqtt, NULL),
    KEY("period", K_DUR_MS, false, struct cfg_channel, period_ms, 10, 60000),
};

void
cfg_read_channel(struct cfg_ctx *x, config_setting_t *s, struct cfg_channel *ch)
{
    config_setting_t *iio = cfg_member(s, "iio"), *hx = cfg_member(s, "hx711");
    config_setting_t *mq = cfg_member(s, "mqtt");
    config_setting_t *two = NULL;

    if (iio == NULL && hx == NULL && mq == NULL)
        cfg_setting_error(x, s,
                          "expected one of iio = { ... }, hx711 = { ... } or mqtt = "
                          "{ ... }, found neither");
    if (iio != NULL && hx != NULL)
        cfg_setting_error(
            x, config_setting_index(iio) > config_setting_index(hx) ? iio : hx,
            "expected one of iio or hx711, found both");
    else if (mq != NULL && (iio != NULL || hx != NULL))
        two = mq;
    if (two != NULL)
        cfg_setting_error(x, two, "expected one of iio, hx711 or mqtt, found two");
    cfg_read_group(x, s, channel_keys, ARRAY_SIZE(channel_keys), ch);
}

/* ------------------------------------------------------------------------ */
/* Items */

static void
fn_gtin(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "a GTIN of 8, 12, 13 or 14 digits with a valid check digit";
    struct cfg_item *it = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    if (v[0] != '\0' && !cfg_gtin_ok(v))
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(it->gtin, sizeof(it->gtin), v);
}

static void
fn_sku(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "1 to 31 printable ASCII characters without quotes or backslashes";
    struct cfg_item *it = obj;
    const char *v = cfg_get_str(x, s, expected);

    if (v == NULL)
        return;
    size_t n = strlen(v);
    bool ok = n < sizeof(it->sku);
    for (size_t i = 0; ok && i < n; i++)
        ok = v[i] > 0x20 && v[i] < 0x7f && v[i] != '"' && v[i] != '\\';
    if (!ok)
        cfg_value_error(x, s, expected, NULL);
    else
        cfg_put_str(it->sku, sizeof(it->sku), v);
}

static void
fn_substitutes(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_wishes_substitutes(s, obj, &where, err, sizeof(err)) < 0)
        cfg_setting_error(x, where, "%s", err);
}

/* delivery = { place; windows; earliest; }, the household's or an item's */
static void
fn_windows(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_wishes_windows(s, obj, &where, err, sizeof(err)) < 0)
        cfg_setting_error(x, where, "%s", err);
}

static const struct cfg_key delivery_keys[] = {
    KEY("place", K_ID, false, struct cfg_delivery, place, 0, 0),
    KFN("windows", false, fn_windows, NULL),
    KEY("earliest", K_DUR_S, false, struct cfg_delivery, earliest_s, 0,
        60 * MODELS_DAY_S),
};

void
cfg_fn_delivery(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_delivery *d = obj;

    if (!cfg_want_group(x, s, "place = ...; windows = ( ... ); earliest = ...;"))
        return;
    cfg_read_group(x, s, delivery_keys, ARRAY_SIZE(delivery_keys), d);
    d->has_place = cfg_member(s, "place") != NULL;
    d->has_windows = cfg_member(s, "windows") != NULL;
    d->has_earliest = cfg_member(s, "earliest") != NULL;
}

static void
fn_item_delivery(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    cfg_fn_delivery(x, s, &((struct cfg_item *)obj)->delivery);
}

/* Resolved once every channel is known (check_references). */
static void
fn_item_channel(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    (void)obj;
    if (cfg_get_str(x, s, "the name of a channel") != NULL)
        x->item_chan[x->c->n_items] = s;
}

static void
fn_span_raw(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "the counts the span weight adds, non-zero, from -2147483647 to 2147483647";
    struct cfg_item *it = obj;
    int64_t v;

    if (!cfg_get_int(x, s, -INT32_MAX, INT32_MAX, expected, &v))
        return;
    if (v == 0)
        cfg_value_error(x, s, expected, NULL);
    else
        it->cal.span_raw = (int32_t)v;
}

static const struct cfg_key calibration_keys[] = {
    KEYW("zero", K_INT, true, struct cfg_item, cal.raw_zero, INT32_MIN, INT32_MAX,
         "counts with the platform empty, from -2147483648 to 2147483647"),
    KFN("span_raw", true, fn_span_raw, "the counts the span weight adds, non-zero"),
    KEY("span", K_GRAMS, true, struct cfg_item, cal.span_mg, 1, 1000000000),
};

static void
fn_calibration(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_item *it = obj;

    if (!cfg_want_group(x, s, "zero = ...; span_raw = ...; span = ...;"))
        return;
    it->has_cal = true;
    it->cal.span_raw = 1;
    cfg_read_group(x, s, calibration_keys, ARRAY_SIZE(calibration_keys), obj);
}

static void
fn_damp(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] = "\"off\" or a duration from 1h to 730d (like "
                                   "\"60d\")";
    struct cfg_item *it = obj;
    const char *v = cfg_get_str(x, s, expected);
    int64_t d;

    if (v == NULL)
        return;
    if (strcmp(v, "off") == 0)
        it->fc.damp_half_life_s = 0;
    else if (cfg_parse_duration(v, false, &d) && d >= HOUR_S && d <= 730 * MODELS_DAY_S)
        it->fc.damp_half_life_s = d;
    else
        cfg_value_error(x, s, expected, NULL);
}

static const struct cfg_key forecast_keys[] = {
    KENUM("method", struct cfg_item, fc.method, cfg_method_names),
    KEY("half_life", K_DUR_S, false, struct cfg_item, fc.half_life_s, HOUR_S,
        730 * MODELS_DAY_S),
    KEY("trend_half_life", K_DUR_S, false, struct cfg_item, fc.trend_half_life_s,
        HOUR_S, 730 * MODELS_DAY_S),
    KFN("damp_half_life", false, fn_damp, NULL),
    KEY("overdue_decay", K_BOOL, false, struct cfg_item, fc.overdue_decay, 0, 0),
};

static void
fn_forecast(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    if (cfg_want_group(x, s, "method = ...; half_life = ...;"))
        cfg_read_group(x, s, forecast_keys, ARRAY_SIZE(forecast_keys), obj);
}

#define COND(member) FIELD(struct cfg_item, cond.member)
static const struct cfg_key conditioning_keys[] = {
    KEY("noise_band", K_GRAMS, false, struct cfg_item, cond.noise_band_mg, 1, 1000000),
    KEY("min_step", K_GRAMS, false, struct cfg_item, cond.min_step_mg, 1, 100000000),
    KEY("empty", K_GRAMS, false, struct cfg_item, cond.empty_mg, 0, 100000000),
    KEY("zero_band", K_GRAMS, false, struct cfg_item, cond.zero_band_mg, 0, 100000000),
    KEY("move", K_GRAMS, false, struct cfg_item, cond.move_mg, 1, 100000000),
    KEY("refill_pct", K_INT, false, struct cfg_item, cond.refill_pct, 1, 100),
    KEY("refill_max", K_GRAMS, false, struct cfg_item, cond.refill_max_mg, 0,
        100000000),
    KEY("refill_hold", K_DUR_MS, false, struct cfg_item, cond.refill_hold_ms, 0,
        MODELS_DAY_S * 1000),
    KEY("memory", K_DUR_MS, false, struct cfg_item, cond.memory_ms, 0,
        7 * MODELS_DAY_S * 1000),
    KEY("plateau", K_DUR_MS, false, struct cfg_item, cond.plateau_ms, 0, 60000),
    KEY("settle", K_DUR_MS, false, struct cfg_item, cond.settle_ms, 0, HOUR_S * 1000),
    KEY("move_window", K_DUR_MS, false, struct cfg_item, cond.move_window_ms, 0,
        HOUR_S * 1000),
    KEY("away", K_DUR_MS, false, struct cfg_item, cond.away_ms, 0, MODELS_DAY_S * 1000),
    KEY("empty_after", K_DUR_MS, false, struct cfg_item, cond.empty_after_ms, 0,
        60 * MODELS_DAY_S * 1000),
    KEY("nodata", K_DUR_MS, false, struct cfg_item, cond.nodata_ms, 1, HOUR_S * 1000),
    KEY("bad", K_DUR_MS, false, struct cfg_item, cond.bad_ms, 0, HOUR_S * 1000),
    KEY("stuck", K_DUR_MS, false, struct cfg_item, cond.stuck_ms, 0, HOUR_S * 1000),
    KEY("recover", K_DUR_MS, false, struct cfg_item, cond.recover_ms, 0, HOUR_S * 1000),
    KEY("zero_every", K_DUR_MS, false, struct cfg_item, cond.zero_every_ms, 0,
        MODELS_DAY_S * 1000),
    KEYW("drift", K_GRAMS, false, struct cfg_item, cond.drift_mg_per_h, 0, 1000000,
         "grams per hour from 0 to 1000"),
    KEY("slow_budget", K_GRAMS, false, struct cfg_item, cond.slow_budget_mg, 0,
        10000000),
    KEY("slow_window", K_DUR_MS, false, struct cfg_item, cond.slow_window_ms, 60000,
        MODELS_DAY_S * 1000),
    KEY("max", K_GRAMS, false, struct cfg_item, cond.max_mg, 1, INT32_MAX / 2),
};
#undef COND

static void
fn_conditioning(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_item *it = obj;
    char a[48], b[48];

    if (!cfg_want_group(x, s, "noise_band = ...; ..."))
        return;
    size_t before = x->n_errors;
    cfg_read_group(x, s, conditioning_keys, ARRAY_SIZE(conditioning_keys), obj);
    if (x->n_errors != before)
        return; /* a value that was not read is still its default */
    /*
     * The two rules of cond_config_check() that relate settings to each other,
     * reported at the setting the user wrote (the other one may be a default).
     */
    config_setting_t *z = cfg_member(s, "zero_band"), *e = cfg_member(s, "empty");
    if (it->cond.zero_band_mg > it->cond.empty_mg) {
        cfg_format_fixed(it->cond.empty_mg, 1000, a, sizeof(a));
        cfg_format_fixed(it->cond.zero_band_mg, 1000, b, sizeof(b));
        if (z != NULL)
            cfg_setting_error(x, z, "expected grams from 0 to empty (%s%s), found %s",
                              a, e != NULL ? "" : ", its default", b);
        else
            cfg_setting_error(x, e,
                              "expected grams of at least zero_band (%s, its "
                              "default), found %s",
                              b, a);
    }
    config_setting_t *pl = cfg_member(s, "plateau"), *st = cfg_member(s, "settle");
    if (it->cond.settle_ms < it->cond.plateau_ms) {
        cfg_format_duration_ms(it->cond.plateau_ms, a, sizeof(a));
        cfg_format_duration_ms(it->cond.settle_ms, b, sizeof(b));
        if (st != NULL)
            cfg_setting_error(x, st,
                              "expected a duration of at least plateau (%s%s), found "
                              "\"%s\"",
                              a, pl != NULL ? "" : ", its default", b);
        else
            cfg_setting_error(x, pl,
                              "expected a duration of at most settle (%s, its "
                              "default), found \"%s\"",
                              b, a);
    }
    config_setting_t *w = cfg_member(s, "away"), *ea = cfg_member(s, "empty_after");
    if (it->cond.empty_after_ms < it->cond.away_ms) {
        cfg_format_duration_ms(it->cond.away_ms, a, sizeof(a));
        cfg_format_duration_ms(it->cond.empty_after_ms, b, sizeof(b));
        if (ea != NULL)
            cfg_setting_error(x, ea,
                              "expected a duration of at least away (%s%s), found "
                              "\"%s\"",
                              a, w != NULL ? "" : ", its default", b);
        else
            cfg_setting_error(x, w,
                              "expected a duration of at most empty_after (%s, its "
                              "default), found \"%s\"",
                              b, a);
    }
}

static const struct cfg_key item_keys[] = {
    KEY("id", K_ID, true, struct cfg_item, id, 0, 0),
    KEY("name", K_TEXT, false, struct cfg_item, name, 1, 0),
    KFN("sku", false, fn_sku, NULL),
    KFN("gtin", false, fn_gtin, NULL),
    KFN("channel", true, fn_item_channel, "the name of a channel"),
    KEY("pack", K_GRAMS, true, struct cfg_item, pack_mg, 1000, 100000000),
    KEY("container", K_GRAMS, false, struct cfg_item, container_mg, 0, 100000000),
    KEY("packs_per_order", K_INT, false, struct cfg_item, packs_per_order, 1, 100),
    KEY("packs_min", K_INT, false, struct cfg_item, packs_min, 1, 100),
    KFN("substitutes", false, fn_substitutes, NULL),
    KEY("price_max", K_MONEY, false, struct cfg_item, price_max_cents, 0, 1000000),
    KFN("delivery", false, fn_item_delivery, NULL),
    KEY("lead", K_DUR_S, false, struct cfg_item, lead_s, HOUR_S, 60 * MODELS_DAY_S),
    KEY("lead_spread", K_DUR_S, false, struct cfg_item, lead_spread_s, 0,
        60 * MODELS_DAY_S),
    KEY("review", K_DUR_S, false, struct cfg_item, review_s, HOUR_S, 60 * MODELS_DAY_S),
    KEY("cover", K_DUR_S, false, struct cfg_item, cover_s, 0, 365 * MODELS_DAY_S),
    KEY("service_level", K_BP, false, struct cfg_item, service_bp, 5000, 9990),
    KENUM("mode", struct cfg_item, mode, cfg_mode_names),
    KEY("cooldown", K_DUR_S, false, struct cfg_item, cooldown_s, 0, 60 * MODELS_DAY_S),
    KEY("max_orders_30d", K_INT, false, struct cfg_item, max_orders_30d, 1, 30),
    KEY("price", K_MONEY, false, struct cfg_item, price_cents, 0, 1000000),
    KEY("budget", K_MONEY, false, struct cfg_item, budget_cents, 0, 10000000),
    KEY("learn", K_BOOL, false, struct cfg_item, learn, 0, 0),
    KFN("calibration", false, fn_calibration, NULL),
    KFN("forecast", false, fn_forecast, NULL),
    KFN("conditioning", false, fn_conditioning, NULL),
    KEY("grocy_product", K_INT, false, struct cfg_item, grocy_product, 1, INT32_MAX),
    KEY("grocy_unit_g", K_GRAMS, false, struct cfg_item, grocy_unit_mg, 1, 100000000),
};

void
cfg_read_item(struct cfg_ctx *x, config_setting_t *s, struct cfg_item *it)
{
    char a[48], b[48];

    /* pack is not known yet: conditioning starts from the defaults either way. */
    cfg_item_defaults(it, 1);
    it->pack_mg = 0;
    size_t before = x->n_errors;
    cfg_read_group(x, s, item_keys, ARRAY_SIZE(item_keys), it);
    it->cond.pack_mg = it->pack_mg;
    it->cond.container_mg = it->container_mg;
    if (it->lead_spread_s < 0)
        it->lead_spread_s = it->lead_s; /* wide: a new device orders early */
    if (it->name[0] == '\0')
        cfg_put_str(it->name, sizeof(it->name), it->id);
    if (x->n_errors != before)
        return;
    if (it->packs_min > it->packs_per_order)
        cfg_setting_error(x, cfg_member(s, "packs_min"),
                          "expected at most packs_per_order (%u), "
                          "found %u",
                          it->packs_per_order, it->packs_min);
    if (it->n_substitutes > 0 && it->sku[0] == '\0' && it->gtin[0] == '\0')
        cfg_setting_error(x, cfg_member(s, "substitutes"),
                          "expected the item's own sku or gtin (the preferred product) "
                          "beside substitutes, found neither");
    /* A full container must be a reading conditioning believes possible. */
    if (it->pack_mg + it->container_mg > it->cond.max_mg) {
        cfg_format_fixed(it->cond.max_mg, 1000, a, sizeof(a));
        cfg_format_fixed(it->pack_mg + it->container_mg, 1000, b, sizeof(b));
        cfg_setting_error(x, cfg_member(s, "pack"),
                          "expected pack + container within conditioning.max (%s g), "
                          "found %s g",
                          a, b);
    }
    /* Guards the rules above; a failure here is a gap in this file's tables. */
    if (cond_config_check(&it->cond) < 0)
        cfg_setting_error(x, s,
                          "expected conditioning settings that agree, found some "
                          "that do not");
}

/* ------------------------------------------------------------------------ */
/* Buttons */

static void
fn_button_chip(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_button *b = obj;
    chip_value(x, s, b->device, sizeof(b->device));
}

static void
fn_key(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    static const char expected[] =
        "a key code from 1 to 767 other than 116 (KEY_POWER shuts the Pi down)";
    struct cfg_button *b = obj;
    int64_t v;

    if (!cfg_get_int(x, s, 1, 767, expected, &v))
        return;
    if (v == 116)
        cfg_value_error(x, s, expected, NULL);
    else
        b->key = (uint16_t)v;
}

static const struct cfg_key gpio_keys[] = {
    KFN("chip", false, fn_button_chip, NULL),
    KEY("line", K_INT, true, struct cfg_button, line, 0, 53),
    KEY("active_low", K_BOOL, false, struct cfg_button, active_low, 0, 0),
};

static const struct cfg_key evdev_keys[] = {
    KEYW("device", K_PATH, true, struct cfg_button, device, 1, 0,
         "an absolute path like /dev/input/by-path/platform-gpio-keys-event"),
    KFN("key", true, fn_key, "a key code from 1 to 767"),
};

static void
fn_gpio(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_button *b = obj;

    b->source = CFG_BTN_GPIO;
    if (cfg_want_group(x, s, "line = ...;"))
        cfg_read_group(x, s, gpio_keys, ARRAY_SIZE(gpio_keys), obj);
}

static void
fn_evdev(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct cfg_button *b = obj;

    b->source = CFG_BTN_EVDEV;
    b->device[0] = '\0';
    if (cfg_want_group(x, s, "device = ...; key = ...;"))
        cfg_read_group(x, s, evdev_keys, ARRAY_SIZE(evdev_keys), obj);
}

static void
fn_button_item(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    (void)obj;
    if (cfg_get_str(x, s, "the id of an item") != NULL)
        x->btn_item[x->c->n_buttons] = s;
}

/* zigbee2mqtt = { topic; actions; }: a button on the home broker */
static void
fn_zigbee2mqtt(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_feeds_button(s, obj, &where, err, sizeof(err)) < 0)
        cfg_setting_error(x, where, "%s", err);
}

static const struct cfg_key button_keys[] = {
    KFN("gpio", false, fn_gpio, NULL),
    KFN("evdev", false, fn_evdev, NULL),
    KFN("zigbee2mqtt", false, fn_zigbee2mqtt, NULL),
    KFN("item", false, fn_button_item, NULL),
    KENUM("short", struct cfg_button, on_short, cfg_action_names),
    KENUM("long", struct cfg_button, on_long, cfg_action_names),
    KENUM("double", struct cfg_button, on_double, cfg_action_names),
    KEY("debounce", K_DUR_MS, false, struct cfg_button, debounce_ms, 0, 1000),
    KEY("long_after", K_DUR_MS, false, struct cfg_button, long_ms, 1, 60000),
    KEY("double_within", K_DUR_MS, false, struct cfg_button, double_ms, 0, 10000),
};

void
cfg_read_button(struct cfg_ctx *x, config_setting_t *s, struct cfg_button *b)
{
    config_setting_t *g = cfg_member(s, "gpio"), *e = cfg_member(s, "evdev");
    config_setting_t *z = cfg_member(s, "zigbee2mqtt"), *two = NULL;

    cfg_button_defaults(b);
    if (g == NULL && e == NULL && z == NULL)
        cfg_setting_error(x, s,
                          "expected one of gpio = { ... }, evdev = { ... } or "
                          "zigbee2mqtt = { ... }, found neither");
    if (g != NULL && e != NULL)
        cfg_setting_error(x, config_setting_index(g) > config_setting_index(e) ? g : e,
                          "expected one of gpio or evdev, found both");
    else if (z != NULL && (g != NULL || e != NULL))
        two = z;
    if (two != NULL)
        cfg_setting_error(x, two,
                          "expected one of gpio, evdev or zigbee2mqtt, found two");
    size_t before = x->n_errors;
    cfg_read_group(x, s, button_keys, ARRAY_SIZE(button_keys), b);
    if (x->n_errors == before && b->long_ms <= b->debounce_ms) {
        config_setting_t *l = cfg_member(s, "long_after");
        char a[48], f[48];
        cfg_format_duration_ms(b->debounce_ms, a, sizeof(a));
        cfg_format_duration_ms(b->long_ms, f, sizeof(f));
        cfg_setting_error(x, l != NULL ? l : cfg_member(s, "debounce"),
                          "expected long_after longer than debounce (%s), found \"%s\"",
                          a, f);
    }
}
