/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration loader: libconfig parses the text, and the loader checks
 * every setting against tables of known keys (type, unit, range, default), then
 * the references between channels, items and buttons. This file drives a load
 * (the defaults, the top-level table, the lists, the messages sorted by line);
 * the rest is by concern: config-scan.c the pass over the text,
 * config-values.c values and tables, config-messages.c the messages,
 * config-links.c the brokers, config-items.c channels, items and buttons,
 * config-checks.c the checks across the file (their toolkit: config-read.h),
 * and config-wishes.c, config-feeds.c, config-grocy.c and config-home.c the
 * groups with readers of their own. The file is untrusted:
 * nothing is taken from it unchecked, every problem is collected (not only the
 * first) and each message names the file, the line, the setting's path, what was
 * expected and what was found. agent/CONFIG.md is the user's reference.
 *
 * Two things libconfig 1.5 does not do are done in a pass over the text before
 * it parses (config-scan.c): integer literals that do not fit are found
 * (libconfig wraps 3000000000 to -1294967296 without a word, and on armhf
 * saturates it), and @include is refused, so a configuration is always one
 * file that names its own lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "agent/config/agent-config.h"
#include "agent/config/config-wishes.h"
#include "agent/config/config-feeds.h"
#include "agent/config/config-home.h"
#include "agent/config/config-grocy.h"
#include "agent/config/config-read.h"
#include "agent/config/config-scan.h"

/* A file bigger than this is not a configuration (32 items take about 30 KB). */
#define CFG_FILE_MAX (1024 * 1024)

/* ------------------------------------------------------------------------ */
/* Names */

const char *const cfg_mode_names[] = {"auto", "confirm", "off", NULL};
static const char *const source_names[] = {"iio", "hx711", "mqtt", NULL};
static const char *const button_source_names[] = {"gpio", "evdev", "zigbee2mqtt", NULL};
const char *const cfg_action_names[] = {"none", "order", "cancel", "confirm", NULL};
const char *const cfg_method_names[] = {"ses", "holt", "croston", "sba", "tsb", NULL};

static const char *
name_of(const char *const *names, size_t n, int v)
{
    return v >= 0 && (size_t)v < n && names[v] != NULL ? names[v] : "?";
}

const char *
cfg_mode_to_str(enum cfg_mode m)
{
    return name_of(cfg_mode_names, CFG_MODE_COUNT, (int)m);
}

const char *
cfg_source_to_str(enum cfg_source s)
{
    return name_of(source_names, CFG_SOURCE_COUNT, (int)s);
}

const char *
cfg_button_source_to_str(enum cfg_button_source s)
{
    return name_of(button_source_names, CFG_BUTTON_SOURCE_COUNT, (int)s);
}

const char *
cfg_action_to_str(enum cfg_action a)
{
    return name_of(cfg_action_names, CFG_ACTION_COUNT, (int)a);
}

const char *
cfg_log_to_str(enum cfg_log l)
{
    return log_level_to_str(l);
}

/* ------------------------------------------------------------------------ */
/* Defaults */

void
cfg_errors_init(struct cfg_errors *e)
{
    e->count = 0;
    e->dropped = 0;
    e->msg[0][0] = '\0';
}

void
cfg_item_defaults(struct cfg_item *it, int64_t pack_mg)
{
    *it = (struct cfg_item){
        .channel = -1,
        .pack_mg = pack_mg,
        .packs_per_order = 4,
        .packs_min = 1,
        .lead_s = 2 * MODELS_DAY_S,
        .lead_spread_s = -1, /* the lead's own, once it is known */
        .review_s = MODELS_DAY_S,
        .cover_s = 0,
        .service_bp = 9500,
        .mode = CFG_MODE_CONFIRM,
        .cooldown_s = MODELS_DAY_S,
        .max_orders_30d = 2,
        .learn = true,
        /* The forecaster's defaults are those of stock event traces (evtrace.c). */
        .fc = {.method = FC_SES,
               .half_life_s = 14 * MODELS_DAY_S,
               .trend_half_life_s = 28 * MODELS_DAY_S,
               .damp_half_life_s = 0,
               .overdue_decay = false},
    };
    cond_config_default(&it->cond, pack_mg);
}

void
cfg_button_defaults(struct cfg_button *b)
{
    *b = (struct cfg_button){
        .source = CFG_BTN_GPIO,
        .device = "gpiochip0",
        .active_low = true,
        .item = -1,
        .on_short = CFG_ACT_ORDER,
        .on_long = CFG_ACT_CANCEL,
        .on_double = CFG_ACT_CONFIRM,
        /* sensors/hw/button.h's BUTTON_CONFIG_DEFAULT */
        .debounce_ms = 20,
        .long_ms = 800,
        .double_ms = 400,
    };
}

static void
channel_defaults(struct cfg_channel *ch, size_t pos)
{
    *ch = (struct cfg_channel){
        .index = (uint16_t)pos,
        .source = CFG_SRC_IIO,
        .chip = "gpiochip0",
        .gain = 128,
        .period_ms = 100,
    };
}

void
cfg_defaults(struct agent_config *c)
{
    memset(c, 0, sizeof(*c));
    snprintf(c->topic_prefix, sizeof(c->topic_prefix), "pantry/v1");
    snprintf(c->store_path, sizeof(c->store_path), "/var/lib/pantry-agent/pantry.db");
    snprintf(c->key_path, sizeof(c->key_path), "/var/lib/pantry-agent/device.key");
    snprintf(c->control_socket, sizeof(c->control_socket),
             "/run/pantry-agent/control.sock");
    c->log_level = CFG_LOG_INFO;
    c->broker.verify = true;
    c->broker.keepalive_s = 60;
    c->broker.ack_wait_s = 600;
    c->broker.resend_s = 60;
    c->broker.session_expiry_s = 7 * MODELS_DAY_S;
    snprintf(c->currency, sizeof(c->currency), "EUR");
    snprintf(c->delivery.place, sizeof(c->delivery.place), "home");
    c->cancel_window_s = 15 * MIN_S;
    c->order_expiry_s = 7 * MODELS_DAY_S;
    c->aggregate_s = 15 * MIN_S;
    c->retention_s = 400 * MODELS_DAY_S;
    cfg_home_defaults(&c->home);
}

int
cfg_find_item(const struct agent_config *c, const char *id)
{
    for (size_t i = 0; i < c->n_items; i++)
        if (strcmp(c->items[i].id, id) == 0)
            return (int)i;
    return -1;
}

int
cfg_find_channel(const struct agent_config *c, const char *name)
{
    for (size_t i = 0; i < c->n_channels; i++)
        if (strcmp(c->channels[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* ------------------------------------------------------------------------ */
/* Lists */

static void
fn_channels(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct agent_config *c = obj;
    int n = config_setting_length(s);

    if (config_setting_is_list(s) && n == 0) {
        cfg_setting_error(x, s,
                          "expected at least one channel in the list, found none");
        return;
    }
    if (!config_setting_is_list(s)) {
        cfg_value_error(x, s, "a list ( { name = ...; iio = { ... }; }, ... )", NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((size_t)i == CFG_MAX_CHANNELS) {
            cfg_setting_error(x, e, "expected at most %d channels, found %d",
                              CFG_MAX_CHANNELS, n);
            break;
        }
        if (!cfg_want_group(x, e, "name = ...; iio = { ... };"))
            continue;
        channel_defaults(&c->channels[c->n_channels], (size_t)i);
        x->chan_set[c->n_channels] = e;
        cfg_read_channel(x, e, &c->channels[c->n_channels]);
        c->n_channels++;
    }
}

static void
fn_items(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct agent_config *c = obj;
    int n = config_setting_length(s);

    if (config_setting_is_list(s) && n == 0) {
        cfg_setting_error(x, s, "expected at least one item in the list, found none");
        return;
    }
    if (!config_setting_is_list(s)) {
        cfg_value_error(
            x, s, "a list ( { id = ...; channel = ...; pack = ...; }, ... )", NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((size_t)i == CFG_MAX_ITEMS) {
            cfg_setting_error(x, e, "expected at most %d items, found %d",
                              CFG_MAX_ITEMS, n);
            break;
        }
        if (!cfg_want_group(x, e, "id = ...; channel = ...; pack = ...;"))
            continue;
        x->item_set[c->n_items] = e;
        x->item_chan[c->n_items] = NULL;
        cfg_read_item(x, e, &c->items[c->n_items]);
        c->n_items++;
    }
}

static void
fn_buttons(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    struct agent_config *c = obj;
    int n = config_setting_length(s);

    if (!config_setting_is_list(s)) {
        cfg_value_error(x, s, "a list ( { gpio = { ... }; item = ...; }, ... )", NULL);
        return;
    }
    for (int i = 0; i < n; i++) {
        config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if ((size_t)i == CFG_MAX_BUTTONS) {
            cfg_setting_error(x, e, "expected at most %d buttons, found %d",
                              CFG_MAX_BUTTONS, n);
            break;
        }
        if (!cfg_want_group(x, e, "gpio = { ... }; item = ...;"))
            continue;
        x->btn_set[c->n_buttons] = e;
        x->btn_item[c->n_buttons] = NULL;
        cfg_read_button(x, e, &c->buttons[c->n_buttons]);
        c->n_buttons++;
    }
}

static void
fn_away(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_wishes_away(s, obj, &where, err, sizeof(err)) < 0)
        cfg_setting_error(x, where, "%s", err);
}

static void
fn_top_delivery(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    cfg_fn_delivery(x, s, &((struct agent_config *)obj)->delivery);
}

/* grocy = { url; api_key_file; mode; timeout; } (config-grocy.h) */
static void
fn_grocy(struct cfg_ctx *x, config_setting_t *s, void *obj)
{
    const config_setting_t *where = s;
    char err[CFG_ERR_LEN - 64];

    if (cfg_grocy_read(s, &((struct agent_config *)obj)->grocy, &where, err,
                       sizeof(err)) < 0)
        cfg_setting_error(x, where, "%s", err);
}

static const struct cfg_key top_keys[] = {
    KFN("device_id", true, cfg_fn_top_device_id,
        "1 to 63 characters of A-Z, a-z, 0-9, _ and - (an MQTT topic level)"),
    KFN("topic_prefix", false, cfg_fn_topic_prefix, NULL),
    KEY("store_path", K_PATH, false, struct agent_config, store_path, 1, 0),
    KEY("key_path", K_PATH, false, struct agent_config, key_path, 1, 0),
    /* sockaddr_un.sun_path holds 108 bytes with the NUL. */
    {.name = "control_socket",
     .kind = K_PATH,
     .off = offsetof(struct agent_config, control_socket),
     .size = 108,
     .min = 1},
    KENUM("log_level", struct agent_config, log_level, log_level_names),
    KEY("monthly_budget", K_MONEY, false, struct agent_config, monthly_budget_cents, 0,
        100000000),
    KFN("currency", false, cfg_fn_currency, NULL),
    KFN("delivery", false, fn_top_delivery, NULL),
    KFN("away", false, fn_away, NULL),
    KEY("cancel_window", K_DUR_S, false, struct agent_config, cancel_window_s, 0,
        MODELS_DAY_S),
    KEY("order_expiry", K_DUR_S, false, struct agent_config, order_expiry_s, HOUR_S,
        60 * MODELS_DAY_S),
    KEY("aggregate", K_DUR_S, false, struct agent_config, aggregate_s, MIN_S,
        MODELS_DAY_S),
    KEY("retention", K_DUR_S, false, struct agent_config, retention_s, MODELS_DAY_S,
        DUR_MAX_S / MODELS_DAY_S * MODELS_DAY_S),
    KFN("broker", false, cfg_fn_broker, NULL),
    KFN("channels", true, fn_channels,
        "a list ( { name = ...; iio = { ... }; }, ... )"),
    KFN("items", true, fn_items,
        "a list ( { id = ...; channel = ...; pack = ...; }, ... )"),
    KFN("buttons", false, fn_buttons, NULL),
    KFN("home", false, cfg_fn_home, NULL),
    KFN("grocy", false, fn_grocy, NULL),
};

/* ------------------------------------------------------------------------ */
/* Loading */

/* The name a libconfig duplicate error is about: the last "name =" on its line. */
static void
duplicate_name(const char *text, unsigned line, char *buf, size_t len)
{
    const char *p = text;

    buf[0] = '\0';
    for (unsigned l = 1; l < line && p != NULL; l++)
        if ((p = strchr(p, '\n')) != NULL)
            p++;
    if (p == NULL)
        return;
    while (*p != '\0' && *p != '\n') {
        if (!cfg_scan_name_start(*p)) {
            p++;
            continue;
        }
        const char *start = p;
        while (cfg_scan_name_char(*p))
            p++;
        const char *q = p;
        while (*q == ' ' || *q == '\t')
            q++;
        if (*q == '=' || *q == ':')
            snprintf(buf, len, "%.*s", (int)(p - start) < 60 ? (int)(p - start) : 60,
                     start);
    }
}

static void
syntax_error(struct cfg_ctx *x, const config_t *cf, const char *text)
{
    const char *what = config_error_text(cf);
    unsigned line = (unsigned)config_error_line(cf);
    char name[64];

    if (what == NULL)
        what = "unknown error";
    if (line == 0)
        line = 1;
    if (strcmp(what, "duplicate setting name") == 0) {
        duplicate_name(text, line, name, sizeof(name));
        if (name[0] != '\0') {
            cfg_add_message(x,
                            "%s:%u: %s: expected each setting once in its group, found "
                            "'%s' again",
                            x->file, line, name, name);
            return;
        }
    }
    if (strcmp(what, "syntax error") == 0)
        cfg_add_message(x,
                        "%s:%u: syntax error: expected settings like name = value; "
                        "with text in \"double quotes\", groups in { }, lists in ( )",
                        x->file, line);
    else
        cfg_add_message(x, "%s:%u: syntax error: %s", x->file, line, what);
}

/* The line of a stored message ("FILE:LINE: ..."), 0 when it has none. */
static unsigned long
message_line(const struct cfg_ctx *x, const char *msg)
{
    size_t n = strlen(x->file);

    if (strncmp(msg, x->file, n) != 0 || msg[n] != ':' || msg[n + 1] < '0' ||
        msg[n + 1] > '9')
        return 0;
    return strtoul(msg + n + 1, NULL, 10);
}

/*
 * Messages come in the order of the checks (the settings, then the references
 * between them); the user reads them best in the order of the file. A stable
 * insertion sort: at most CFG_ERR_MAX messages.
 */
static void
sort_messages(const struct cfg_ctx *x)
{
    struct cfg_errors *e = x->errs;
    char tmp[CFG_ERR_LEN];

    if (e == NULL)
        return;
    for (size_t i = 1; i < e->count; i++) {
        unsigned long line = message_line(x, e->msg[i]);
        size_t j = i;
        while (j > 0 && message_line(x, e->msg[j - 1]) > line)
            j--;
        if (j == i)
            continue;
        memcpy(tmp, e->msg[i], CFG_ERR_LEN);
        memmove(e->msg[j + 1], e->msg[j], (i - j) * CFG_ERR_LEN);
        memcpy(e->msg[j], tmp, CFG_ERR_LEN);
    }
}

/* A problem the pre-pass found, as "FILE:LINE: what". */
static void
scan_problem(void *arg, unsigned line, const char *what)
{
    struct cfg_ctx *x = arg;

    cfg_add_message(x, "%s:%u: %s", x->file, line, what);
}

/* text with x->scan.bad_string replaced by " 0 " and the newlines it held. */
static char *
without_bad_string(const struct cfg_ctx *x, const char *text)
{
    size_t len = strlen(text), head = (size_t)(x->scan.bad_string - text);
    char *copy = malloc(len + 4);

    if (copy == NULL)
        return NULL;
    memcpy(copy, text, head);
    size_t o = head;
    copy[o++] = ' ';
    copy[o++] = '0';
    copy[o++] = ' ';
    /* k newlines in a string of at least k + 1 bytes: 3 + k <= its length + 2 */
    for (size_t i = 0; i < x->scan.bad_string_len; i++)
        if (x->scan.bad_string[i] == '\n')
            copy[o++] = '\n';
    size_t tail = head + x->scan.bad_string_len;
    memcpy(copy + o, text + tail, len - tail + 1);
    return copy;
}

static int
load_text(const char *text, const char *name, struct agent_config *out,
          struct cfg_errors *errs)
{
    /* On the heap: the context is a few KB, and the caller's stack may be small. */
    struct cfg_ctx *x = calloc(1, sizeof(*x));
    config_t cf;
    int r = -EINVAL;
    char *copy = NULL;
    const char *parsed = text;

    cfg_defaults(out);
    if (x == NULL) {
        if (errs != NULL && errs->count < CFG_ERR_MAX)
            snprintf(errs->msg[errs->count++], CFG_ERR_LEN, "%s: out of memory", name);
        return -ENOMEM;
    }
    x->file = name;
    x->errs = errs;
    x->c = out;
    config_init(&cf);
    config_set_auto_convert(&cf, 0);
    if (!cfg_scan(text, &x->scan, scan_problem, x))
        goto out;
    if (x->scan.bad_string != NULL) {
        /* See config-scan.h: the same syntax error, without libconfig's leak. */
        if ((copy = without_bad_string(x, text)) == NULL) {
            r = -ENOMEM;
            goto out;
        }
        parsed = copy;
    }
    if (config_read_string(&cf, parsed) != CONFIG_TRUE) {
        syntax_error(x, &cf, parsed);
        goto out;
    }
    config_setting_t *root = config_root_setting(&cf);
    cfg_read_group(x, root, top_keys, ARRAY_SIZE(top_keys), out);
    cfg_check_channels(x);
    cfg_check_gpio_lines(x);
    cfg_check_items(x);
    cfg_check_buttons(x);
    if (x->n_errors == 0) {
        const config_setting_t *where = root;
        char err[CFG_ERR_LEN - 64];
        if (cfg_feeds_check(out, x->chan_set, x->item_set, x->btn_set, &where, err,
                            sizeof(err)) < 0)
            cfg_setting_error(x, where, "%s", err);
    }
    if (out->broker.client_id[0] == '\0')
        cfg_put_str(out->broker.client_id, sizeof(out->broker.client_id),
                    out->device_id);
    cfg_home_finish(&out->home, out->device_id);
    r = x->n_errors == 0 ? 0 : -EINVAL;
    sort_messages(x);
out:
    config_destroy(&cf);
    free(copy);
    free(x);
    return r;
}

int
cfg_load_string(const char *text, const char *name, struct agent_config *out,
                struct cfg_errors *errs)
{
    if (errs != NULL)
        cfg_errors_init(errs);
    return load_text(text, name != NULL ? name : "<string>", out, errs);
}

/* The whole file into a NUL-terminated buffer (the caller frees it). */
static int
read_file(const char *path, char **text, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int r = 0;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0) {
        r = -errno;
        goto out;
    }
    if (S_ISDIR(st.st_mode)) {
        r = -EISDIR;
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        r = -EINVAL;
        goto out;
    }
    if (st.st_size > CFG_FILE_MAX) {
        r = -EFBIG;
        goto out;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        r = -ENOMEM;
        goto out;
    }
    /* Read to the end, not st_size: the file may change while it is read. */
    for (;;) {
        ssize_t got = read(fd, buf + n, (size_t)st.st_size + 1 - n);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            r = -errno;
            goto out;
        }
        if (got == 0)
            break;
        n += (size_t)got;
        if (n > (size_t)st.st_size) {
            r = -EFBIG;
            goto out;
        }
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    buf = NULL;
out:
    free(buf);
    close(fd);
    return r;
}

int
cfg_load(const char *path, struct agent_config *out, struct cfg_errors *errs)
{
    struct cfg_ctx x = {.file = path, .errs = errs};
    char *text = NULL;
    size_t len = 0;
    int r;

    if (errs != NULL)
        cfg_errors_init(errs);
    cfg_defaults(out);
    r = read_file(path, &text, &len);
    if (r == -EFBIG) {
        cfg_add_message(&x, "%s: cannot read: expected at most %d bytes, found more",
                        path, CFG_FILE_MAX);
        return r;
    }
    if (r == -EINVAL) {
        cfg_add_message(
            &x, "%s: cannot read: expected a regular file, found another kind", path);
        return r;
    }
    if (r < 0) {
        cfg_add_message(&x, "%s: cannot read: %s", path, strerror(-r));
        return r;
    }
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        unsigned line = 1;
        for (const char *p = text; p < nul; p++)
            line += *p == '\n';
        cfg_add_message(&x, "%s:%u: expected text, found a NUL byte", path, line);
        free(text);
        return -EINVAL;
    }
    r = load_text(text, path, out, errs);
    free(text);
    return r;
}
