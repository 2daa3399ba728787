/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the configuration loader (agent/config/agent-config.c). Bad files in bad/ each
 * come with the exact messages expected for them (bad/NAME.expect, written by
 * hand from CONFIG.md's rules, not copied from the loader); good files are
 * checked value by value against numbers worked out in the comments here; the
 * defaults against CONFIG.md's table; and the commented sample in packaging/
 * must load without a single message.
 *
 * Usage: test-config SOURCE_DIR (the folder of this file).
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "agent/config/agent-config.h"
#include "agent/config/config-wishes.h"
#include "tests/harness.h"

static const char *src_dir;

/* Both are large: one of each, reused. */
static struct agent_config cfg;
static struct cfg_errors errs;

static void
print_errors(const struct cfg_errors *e)
{
    for (size_t i = 0; i < e->count; i++)
        fprintf(stderr, "    | %s\n", e->msg[i]);
}

/* Load text that must be valid; report its messages otherwise. */
static int
load_good(const char *text)
{
    int r = cfg_load_string(text, "good.conf", &cfg, &errs);
    CHECK_EQ_I64(r, 0);
    CHECK_EQ_U64(errs.count, 0);
    if (r != 0)
        print_errors(&errs);
    return r;
}

/* Load text that must fail with exactly one message, equal to want. */
static void
load_bad(const char *text, const char *want)
{
    int r = cfg_load_string(text, "bad.conf", &cfg, &errs);
    CHECK_EQ_I64(r, -EINVAL);
    CHECK_EQ_U64(errs.count, 1);
    CHECK_MSG(errs.count >= 1 && strcmp(errs.msg[0], want) == 0,
              "message\n  got:  %s\n  want: %s", errs.count ? errs.msg[0] : "(none)",
              want);
    if (errs.count > 1)
        print_errors(&errs);
}

static char *
read_text(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = malloc(1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    fclose(f);
    if (buf != NULL)
        buf[n] = '\0';
    return buf;
}

static int
cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Every bad/NAME.conf, loaded from the file (so NUL bytes and the file path in
 * messages are covered), gives -EINVAL and exactly the lines of NAME.expect.
 */
static void
test_bad_files(void)
{
    char dir[4096], cwd[4096];
    char *names[256];
    size_t n = 0;

    snprintf(dir, sizeof(dir), "%s/bad", src_dir);
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < 256) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".conf") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(names[0]), cmp_names);
    CHECK_MSG(n >= 35, "only %zu bad files", n);
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK(chdir(dir) == 0);
    for (size_t i = 0; i < n; i++) {
        char expect_path[300];
        snprintf(expect_path, sizeof(expect_path), "%.*s.expect",
                 (int)(strlen(names[i]) - 5), names[i]);
        char *expect = read_text(expect_path);
        CHECK_MSG(expect != NULL, "%s: no %s", names[i], expect_path);
        int r = cfg_load(names[i], &cfg, &errs);
        CHECK_MSG(r == -EINVAL, "%s: returned %d", names[i], r);
        /* Compare message by message with the lines of the .expect file. */
        size_t k = 0;
        bool same = expect != NULL;
        char *save = NULL;
        for (char *line = expect ? strtok_r(expect, "\n", &save) : NULL; line != NULL;
             line = strtok_r(NULL, "\n", &save), k++) {
            if (k >= errs.count || strcmp(errs.msg[k], line) != 0) {
                TH_FAIL("%s: message %zu\n  got:  %s\n  want: %s", names[i], k + 1,
                        k < errs.count ? errs.msg[k] : "(none)", line);
                same = false;
            }
        }
        th_checks++;
        if (k != errs.count) {
            TH_FAIL("%s: %zu messages, %zu expected", names[i], errs.count, k);
            print_errors(&errs);
        } else if (!same) {
            print_errors(&errs);
        }
        free(expect);
        free(names[i]);
    }
    CHECK(chdir(cwd) == 0);
    printf("# %zu bad files\n", n);
}

/* CONFIG.md's defaults, worked out: 15 min = 900 s, 7 d = 604800 s, ... */
static void
test_defaults(void)
{
    cfg_defaults(&cfg);
    CHECK(strcmp(cfg.device_id, "") == 0);
    CHECK(strcmp(cfg.topic_prefix, "pantry/v1") == 0);
    CHECK(strcmp(cfg.store_path, "/var/lib/pantry-agent/pantry.db") == 0);
    CHECK(strcmp(cfg.key_path, "/var/lib/pantry-agent/device.key") == 0);
    CHECK(strcmp(cfg.control_socket, "/run/pantry-agent/control.sock") == 0);
    CHECK_EQ_I64(cfg.log_level, CFG_LOG_INFO);
    CHECK(strcmp(cfg.broker.url, "") == 0);
    CHECK(strcmp(cfg.broker.ca_file, "") == 0);
    CHECK(cfg.broker.verify);
    CHECK_EQ_I64(cfg.broker.keepalive_s, 60);
    CHECK_EQ_I64(cfg.broker.ack_wait_s, 600);
    CHECK_EQ_I64(cfg.broker.resend_s, 60);
    CHECK_EQ_I64(cfg.broker.session_expiry_s, 604800);
    CHECK_EQ_I64(cfg.monthly_budget_cents, 0);
    CHECK(strcmp(cfg.currency, "EUR") == 0);
    CHECK(strcmp(cfg.delivery.place, "home") == 0);
    CHECK_EQ_U64(cfg.delivery.n_windows, 0);
    CHECK_EQ_I64(cfg.delivery.earliest_s, 0);
    CHECK_EQ_U64(cfg.n_away, 0);
    CHECK_EQ_I64(cfg.cancel_window_s, 900);
    CHECK_EQ_I64(cfg.order_expiry_s, 604800);
    CHECK_EQ_I64(cfg.aggregate_s, 900);
    CHECK_EQ_I64(cfg.retention_s, 400 * 86400);
    CHECK_EQ_U64(cfg.n_channels + cfg.n_items + cfg.n_buttons, 0);
    /* No home broker; its defaults as CONFIG.md "Home broker" says. */
    CHECK(strcmp(cfg.home.broker.url, "") == 0);
    CHECK(strcmp(cfg.home.prefix, "pantry") == 0);
    CHECK(strcmp(cfg.home.discovery_prefix, "homeassistant") == 0);
    CHECK(cfg.home.discovery);
    CHECK(!cfg.home.commands);
    CHECK(cfg.home.broker.verify);
    CHECK_EQ_I64(cfg.home.broker.keepalive_s, 60);
    CHECK_EQ_I64(cfg.home.broker.session_expiry_s, 0);

    /* The smallest valid file: everything else takes its default. */
    if (load_good("device_id = \"d\";\n"
                  "channels = ( { name = \"c\"; hx711 = { dout = 2; sck = 3; }; } );\n"
                  "items = ( { id = \"i\"; channel = \"c\"; pack = 500; } );\n") != 0)
        return;
    CHECK(strcmp(cfg.broker.client_id, "d") == 0); /* the device id */
    CHECK(strcmp(cfg.home.broker.client_id, "d-home") == 0);
    CHECK_EQ_U64(cfg.n_channels, 1);
    const struct cfg_channel *ch = &cfg.channels[0];
    CHECK_EQ_I64(ch->index, 0);
    CHECK_EQ_I64(ch->source, CFG_SRC_HX711);
    CHECK(strcmp(ch->chip, "gpiochip0") == 0);
    CHECK_EQ_I64(ch->gain, 128);
    CHECK_EQ_I64(ch->period_ms, 100);
    const struct cfg_item *it = &cfg.items[0];
    CHECK(strcmp(it->name, "i") == 0); /* the id */
    CHECK(strcmp(it->sku, "") == 0 && strcmp(it->gtin, "") == 0);
    CHECK_EQ_I64(it->channel, 0);
    CHECK(!it->has_cal);
    CHECK_EQ_I64(it->pack_mg, 500000);
    CHECK_EQ_I64(it->container_mg, 0);
    CHECK_EQ_U64(it->packs_per_order, 4);
    CHECK_EQ_U64(it->packs_min, 1);
    CHECK_EQ_I64(it->price_max_cents, 0);
    CHECK_EQ_U64(it->n_substitutes, 0);
    CHECK_EQ_I64(it->lead_s, 172800);   /* 2 d */
    CHECK_EQ_I64(it->review_s, 86400);  /* 1 d */
    CHECK_EQ_I64(it->cover_s, 0);       /* the cap's spacing covers */
    CHECK_EQ_U64(it->service_bp, 9500); /* 0.95 */
    CHECK_EQ_I64(it->mode, CFG_MODE_CONFIRM);
    CHECK_EQ_I64(it->cooldown_s, 86400);
    CHECK_EQ_U64(it->max_orders_30d, 2);
    CHECK_EQ_I64(it->price_cents, 0);
    CHECK_EQ_I64(it->budget_cents, 0);
    CHECK(it->learn);
    /* evtrace's forecaster defaults: SES, 14 d, 28 d, undamped, no decay */
    CHECK_EQ_I64(it->fc.method, FC_SES);
    CHECK_EQ_I64(it->fc.half_life_s, 1209600);
    CHECK_EQ_I64(it->fc.trend_half_life_s, 2419200);
    CHECK_EQ_I64(it->fc.damp_half_life_s, 0);
    CHECK(!it->fc.overdue_decay);
    /* cond_config_default() (cond.h): 2 g, 3 g, 15 g, 5 g, 20 g, 50 %, refill max
     * 0 (3 packs and a tenth and the container), hold 30 min,
     * memory 24 h, plateau 1.5 s, settle 2 min, move window 10 s, away 2 min, 3 d, no data 5 min, bad 3 s,
     * stuck 3 s, recover 5 s, 60 s, 0.5 g/h, slow 20 g in 1 h, 10 kg */
    CHECK_EQ_I64(it->cond.noise_band_mg, 2000);
    CHECK_EQ_I64(it->cond.min_step_mg, 3000);
    CHECK_EQ_I64(it->cond.empty_mg, 15000);
    CHECK_EQ_I64(it->cond.zero_band_mg, 5000);
    CHECK_EQ_I64(it->cond.move_mg, 20000);
    CHECK_EQ_I64(it->cond.pack_mg, 500000);
    CHECK_EQ_I64(it->cond.refill_pct, 50);
    CHECK_EQ_I64(it->cond.refill_max_mg, 0);
    CHECK_EQ_I64(it->cond.refill_hold_ms, 1800000);
    CHECK_EQ_I64(it->cond.memory_ms, 86400000);
    CHECK_EQ_I64(it->cond.plateau_ms, 1500);
    CHECK_EQ_I64(it->cond.settle_ms, 120000);
    CHECK_EQ_I64(it->cond.move_window_ms, 10000);
    CHECK_EQ_I64(it->cond.away_ms, 120000);
    CHECK_EQ_I64(it->cond.empty_after_ms, 259200000);
    CHECK_EQ_I64(it->cond.nodata_ms, 300000);
    CHECK_EQ_I64(it->cond.bad_ms, 3000);
    CHECK_EQ_I64(it->cond.stuck_ms, 3000);
    CHECK_EQ_I64(it->cond.slow_budget_mg, 20000);
    CHECK_EQ_I64(it->cond.slow_window_ms, 3600000);
    CHECK_EQ_I64(it->cond.recover_ms, 5000);
    CHECK_EQ_I64(it->cond.zero_every_ms, 60000);
    CHECK_EQ_I64(it->cond.drift_mg_per_h, 500);
    CHECK_EQ_I64(it->cond.max_mg, 10000000);

    struct cfg_button b;
    cfg_button_defaults(&b);
    CHECK_EQ_I64(b.source, CFG_BTN_GPIO);
    CHECK(strcmp(b.device, "gpiochip0") == 0);
    CHECK(b.active_low);
    CHECK_EQ_I64(b.item, -1);
    CHECK_EQ_I64(b.on_short, CFG_ACT_ORDER);
    CHECK_EQ_I64(b.on_long, CFG_ACT_CANCEL);
    CHECK_EQ_I64(b.on_double, CFG_ACT_CONFIRM);
    CHECK_EQ_I64(b.debounce_ms, 20);
    CHECK_EQ_I64(b.long_ms, 800);
    CHECK_EQ_I64(b.double_ms, 400);
}

/* good/full.conf sets every setting; each value below is worked out by hand. */
static void
test_full(void)
{
    char path[4096];

    snprintf(path, sizeof(path), "%s/good/full.conf", src_dir);
    int r = cfg_load(path, &cfg, &errs);
    CHECK_EQ_I64(r, 0);
    if (r != 0) {
        print_errors(&errs);
        return;
    }
    CHECK(strcmp(cfg.device_id, "Pantry_2-B") == 0);
    CHECK(strcmp(cfg.topic_prefix, "home/pantry.v2/x-1") == 0);
    CHECK(strcmp(cfg.store_path, "/srv/pantry/p.db") == 0);
    CHECK(strcmp(cfg.key_path, "/srv/pantry/k.key") == 0);
    CHECK(strcmp(cfg.control_socket, "/run/p/c.sock") == 0);
    CHECK_EQ_I64(cfg.log_level, CFG_LOG_DEBUG);
    CHECK_EQ_I64(cfg.monthly_budget_cents, 12050); /* 120.5 */
    CHECK(strcmp(cfg.currency, "CHF") == 0);
    CHECK(strcmp(cfg.delivery.place, "parcel-locker") == 0);
    CHECK_EQ_I64(cfg.delivery.earliest_s, 3 * 86400);
    CHECK_EQ_U64(cfg.delivery.n_windows, 3);
    CHECK_EQ_U64(cfg.delivery.windows[0].days, 0x1f); /* mon..fri */
    CHECK_EQ_U64(cfg.delivery.windows[0].from_min, 420);
    CHECK_EQ_U64(cfg.delivery.windows[0].until_min, 540);
    CHECK_EQ_U64(cfg.delivery.windows[1].days, 0x71); /* fri, sat, sun, mon */
    CHECK_EQ_U64(cfg.delivery.windows[1].from_min, 1110);
    CHECK_EQ_U64(cfg.delivery.windows[1].until_min, 1440);
    CHECK_EQ_U64(cfg.delivery.windows[2].days, 0x7f);
    CHECK_EQ_U64(cfg.n_away, 2);
    CHECK_EQ_I64(cfg.away[0].from_s, INT64_C(1797724800));  /* 2026-12-20T00:00Z */
    CHECK_EQ_I64(cfg.away[0].until_s, INT64_C(1798999200)); /* 2027-01-03T18:00Z */
    CHECK_EQ_I64(cfg.away[1].until_s - cfg.away[1].from_s, 3600);
    CHECK(!cfg.away[0].before && cfg.away[1].before);
    CHECK_EQ_I64(cfg.cancel_window_s, 600);   /* 10 m */
    CHECK_EQ_I64(cfg.order_expiry_s, 129600); /* 36 h */
    CHECK_EQ_I64(cfg.aggregate_s, 300);       /* 5 m */
    CHECK_EQ_I64(cfg.retention_s, 2592000);   /* 30 d */

    const struct cfg_broker *b = &cfg.broker;
    CHECK(strcmp(b->url, "ssl://[fd00::1]:8883") == 0);
    CHECK(strcmp(b->ca_file, "/etc/ca.pem") == 0);
    CHECK(strcmp(b->ca_path, "/etc/ssl/certs") == 0);
    CHECK(strcmp(b->cert_file, "/etc/c.pem") == 0);
    CHECK(strcmp(b->cert_key_file, "/etc/c.key") == 0);
    CHECK(strcmp(b->credentials_file, "/etc/cred") == 0);
    CHECK(!b->verify);
    CHECK_EQ_I64(b->keepalive_s, 90);
    CHECK_EQ_I64(b->ack_wait_s, 30);
    CHECK_EQ_I64(b->resend_s, 300);
    CHECK_EQ_I64(b->session_expiry_s, 4294967295); /* never: 2^32 - 1 */
    CHECK(strcmp(b->client_id, "client-9") == 0);
    CHECK(strcmp(b->retailer_key, "/etc/r.jwk") == 0);

    CHECK_EQ_U64(cfg.n_channels, 2);
    const struct cfg_channel *l = &cfg.channels[0], *rc = &cfg.channels[1];
    CHECK(strcmp(l->name, "left") == 0);
    CHECK_EQ_I64(l->index, 3);
    CHECK_EQ_I64(l->source, CFG_SRC_IIO);
    CHECK(strcmp(l->device, "iio:device1") == 0);
    CHECK_EQ_I64(l->input, 2);
    CHECK_EQ_I64(l->period_ms, 250);
    CHECK(strcmp(rc->name, "right") == 0);
    CHECK_EQ_I64(rc->index, 1); /* its position */
    CHECK_EQ_I64(rc->source, CFG_SRC_HX711);
    CHECK(strcmp(rc->chip, "/dev/gpiochip4") == 0);
    CHECK_EQ_I64(rc->dout, 23);
    CHECK_EQ_I64(rc->sck, 24);
    CHECK_EQ_I64(rc->gain, 32);
    CHECK_EQ_I64(rc->period_ms, 1000);

    CHECK_EQ_U64(cfg.n_items, 2);
    const struct cfg_item *it = &cfg.items[0];
    CHECK(strcmp(it->id, "coffee_beans") == 0);
    CHECK(strcmp(it->name, "Caf\xc3\xa9 cr\xc3\xa8me 1 kg") == 0);
    CHECK(strcmp(it->sku, "ABC-1/2") == 0);
    CHECK(strcmp(it->gtin, "96385074") == 0);
    CHECK_EQ_I64(it->channel, 1);
    CHECK_EQ_I64(it->pack_mg, 2500);        /* 2.5 g */
    CHECK_EQ_I64(it->container_mg, 350250); /* 350.25 g */
    CHECK_EQ_U64(it->packs_per_order, 3);
    CHECK_EQ_U64(it->packs_min, 2);
    {
        struct cfg_delivery d;
        char text[48];
        cfg_delivery_of(&cfg, it, &d);
        CHECK(strcmp(d.place, "office") == 0);
        CHECK_EQ_I64(d.earliest_s, 3 * 86400); /* the household's */
        CHECK_EQ_U64(d.n_windows, 1);
        CHECK_EQ_U64(d.windows[0].days, 0x0a); /* tue, thu */
        cfg_window_format(&d.windows[0], text, sizeof(text));
        CHECK(strcmp(text, "tue,thu 10:00-11:00") == 0);
        cfg_delivery_of(&cfg, &cfg.items[1], &d);
        CHECK(strcmp(d.place, "parcel-locker") == 0 && d.n_windows == 3);
        cfg_window_format(&d.windows[1], text, sizeof(text));
        CHECK(strcmp(text, "mon,fri-sun 18:30-24:00") == 0);
        cfg_window_format(&d.windows[0], text, sizeof(text));
        CHECK(strcmp(text, "mon-fri 07:00-09:00") == 0);
    }
    CHECK_EQ_I64(it->price_max_cents, 35);
    CHECK_EQ_U64(it->n_substitutes, 2);
    CHECK(strcmp(it->substitutes[0].sku, "ABC-3") == 0 &&
          it->substitutes[0].gtin[0] == 0);
    CHECK(strcmp(it->substitutes[1].sku, "X") == 0 &&
          strcmp(it->substitutes[1].gtin, "4006381333931") == 0);
    CHECK_EQ_I64(it->lead_s, 129600);   /* 36 h */
    CHECK_EQ_I64(it->review_s, 43200);  /* 12 h */
    CHECK_EQ_I64(it->cover_s, 1209600); /* 14 d */
    /* 0.57 is 0.569999... in binary: rounding, not truncation, gives 5700 */
    CHECK_EQ_U64(it->service_bp, 5700);
    CHECK_EQ_I64(it->mode, CFG_MODE_AUTO);
    CHECK_EQ_I64(it->cooldown_s, 0);
    CHECK_EQ_U64(it->max_orders_30d, 30);
    CHECK_EQ_I64(it->price_cents, 29);    /* 0.29 * 100 = 28.999999999999996 */
    CHECK_EQ_I64(it->budget_cents, 4000); /* 40 */
    CHECK(!it->learn);
    CHECK(it->has_cal);
    CHECK_EQ_I64(it->cal.raw_zero, -8388);
    CHECK_EQ_I64(it->cal.span_raw, -421000);
    CHECK_EQ_I64(it->cal.span_mg, 999500); /* 999.5 g */
    CHECK_EQ_I64(it->fc.method, FC_HOLT);
    CHECK_EQ_I64(it->fc.half_life_s, 864000);        /* 10 d */
    CHECK_EQ_I64(it->fc.trend_half_life_s, 3888000); /* 45 d */
    CHECK_EQ_I64(it->fc.damp_half_life_s, 7776000);  /* 90 d */
    CHECK(it->fc.overdue_decay);
    CHECK_EQ_I64(it->cond.noise_band_mg, 1500);
    CHECK_EQ_I64(it->cond.min_step_mg, 2000);
    CHECK_EQ_I64(it->cond.empty_mg, 12250);
    CHECK_EQ_I64(it->cond.zero_band_mg, 4000);
    CHECK_EQ_I64(it->cond.move_mg, 25000);
    CHECK_EQ_I64(it->cond.pack_mg, 2500);
    CHECK_EQ_I64(it->cond.refill_pct, 40);
    CHECK_EQ_I64(it->cond.refill_max_mg, 3000000);
    CHECK_EQ_I64(it->cond.refill_hold_ms, 600000);
    CHECK_EQ_I64(it->cond.memory_ms, 43200000);
    CHECK_EQ_I64(it->cond.plateau_ms, 1000);
    CHECK_EQ_I64(it->cond.settle_ms, 2000);
    CHECK_EQ_I64(it->cond.move_window_ms, 90000);
    CHECK_EQ_I64(it->cond.away_ms, 180000);           /* 3 m */
    CHECK_EQ_I64(it->cond.empty_after_ms, 172800000); /* 2 d */
    CHECK_EQ_I64(it->cond.nodata_ms, 8000);
    CHECK_EQ_I64(it->cond.bad_ms, 4000);
    CHECK_EQ_I64(it->cond.stuck_ms, 5000);
    CHECK_EQ_I64(it->cond.recover_ms, 6000);
    CHECK_EQ_I64(it->cond.zero_every_ms, 120000);
    CHECK_EQ_I64(it->cond.drift_mg_per_h, 250);
    CHECK_EQ_I64(it->cond.slow_budget_mg, 30000);
    CHECK_EQ_I64(it->cond.slow_window_ms, 7200000);
    CHECK_EQ_I64(it->cond.max_mg, 20000000);
    CHECK_EQ_I64(it->cond.container_mg, it->container_mg);
    CHECK_EQ_I64(cond_config_check(&it->cond), 0);

    const struct cfg_item *rice = &cfg.items[1];
    CHECK_EQ_I64(rice->channel, 0);
    CHECK_EQ_I64(rice->mode, CFG_MODE_OFF);
    CHECK_EQ_I64(rice->fc.method, FC_TSB);
    CHECK_EQ_I64(rice->fc.damp_half_life_s, 0);
    CHECK(!rice->has_cal);

    CHECK_EQ_U64(cfg.n_buttons, 3);
    const struct cfg_button *b0 = &cfg.buttons[0], *b1 = &cfg.buttons[1];
    const struct cfg_button *b2 = &cfg.buttons[2];
    CHECK_EQ_I64(b0->source, CFG_BTN_GPIO);
    CHECK(strcmp(b0->device, "gpiochip1") == 0);
    CHECK_EQ_I64(b0->line, 17);
    CHECK(!b0->active_low);
    CHECK_EQ_I64(b0->item, 1);
    CHECK_EQ_I64(b0->on_short, CFG_ACT_CONFIRM);
    CHECK_EQ_I64(b0->on_long, CFG_ACT_NONE);
    CHECK_EQ_I64(b0->on_double, CFG_ACT_ORDER);
    CHECK_EQ_I64(b0->debounce_ms, 5);
    CHECK_EQ_I64(b0->long_ms, 1500);
    CHECK_EQ_I64(b0->double_ms, 0);
    CHECK_EQ_I64(b1->source, CFG_BTN_EVDEV);
    CHECK(strcmp(b1->device, "/dev/input/by-path/platform-gpio-keys-event") == 0);
    CHECK_EQ_I64(b1->key, 28);
    CHECK_EQ_I64(b1->item, 0);
    CHECK_EQ_I64(b1->on_short, CFG_ACT_ORDER);
    CHECK_EQ_I64(b2->item, -1);
    CHECK(strcmp(b2->device, "gpiochip0") == 0);
    CHECK_EQ_I64(b2->line, 17);

    CHECK_EQ_I64(cfg_find_item(&cfg, "rice"), 1);
    CHECK_EQ_I64(cfg_find_item(&cfg, "pasta"), -1);
    CHECK_EQ_I64(cfg_find_channel(&cfg, "right"), 1);
    CHECK_EQ_I64(cfg_find_channel(&cfg, "middle"), -1);
}

/* The sample a household starts from loads without a message. */
static void
test_sample(void)
{
    char path[4096];
    const char *root = getenv("TEST_SOURCE_ROOT");

    if (root != NULL)
        snprintf(path, sizeof(path), "%s/packaging/pantry-agent.conf", root);
    else
        snprintf(path, sizeof(path), "%s/../../packaging/pantry-agent.conf", src_dir);
    int r = cfg_load(path, &cfg, &errs);
    CHECK_EQ_I64(r, 0);
    CHECK_EQ_U64(errs.count, 0);
    print_errors(&errs);
    if (r != 0)
        return;
    CHECK(strcmp(cfg.device_id, "kitchen-shelf") == 0);
    CHECK_EQ_U64(cfg.n_channels, 2);
    CHECK_EQ_U64(cfg.n_items, 2);
    CHECK_EQ_U64(cfg.n_buttons, 2);
    CHECK_EQ_I64(cfg.monthly_budget_cents, 12000);
    CHECK_EQ_I64(cfg.items[1].price_cents, 499); /* 4.99 */
    CHECK_EQ_U64(cfg.items[0].service_bp, 9500); /* 0.95 */
    CHECK_EQ_I64(cfg.items[0].lead_s, 172800);   /* "2d" */
    CHECK_EQ_I64(cfg.items[0].container_mg, 350000);
    CHECK_EQ_I64(cfg.buttons[1].long_ms, 1000);
}

/* Numbers: integers and floats where a number is asked, rounded to the unit. */
static void
test_numbers(void)
{
    static const struct {
        const char *text; /* the item's pack and price */
        int64_t pack_mg, price_cents;
    } cases[] = {
        {"pack = 1; price = 0;", 1000, 0},
        {"pack = 1.0; price = 4.99;", 1000, 499},
        {"pack = 0.9995; price = 0.005;", 1000, 1}, /* 999.5 mg and 0.5 c round up */
        {"pack = 100000; price = 10000; conditioning = { max = 100000; };", 100000000,
         1000000},
        {"pack = 1e2; price = 1.1;", 100000, 110}, /* 1.1 * 100 = 110.00000000000001 */
        {"pack = 2.675; price = 0.07;", 2675, 7},  /* 0.07 * 100 = 7.000000000000001 */
        {"pack = 1000L; price = 12L;", 1000000, 1200},
        {"pack = 0x10; price = 0.1;", 16000, 10},
    };
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        snprintf(text, sizeof(text),
                 "device_id = \"d\";\n"
                 "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n"
                 "items = ( { id = \"i\"; channel = \"c\"; %s } );\n",
                 cases[i].text);
        if (load_good(text) != 0)
            continue;
        CHECK_EQ_I64(cfg.items[0].pack_mg, cases[i].pack_mg);
        CHECK_EQ_I64(cfg.items[0].price_cents, cases[i].price_cents);
    }
}

/* Durations, as strings with a unit, at their edges. */
static void
test_durations(void)
{
    static const struct {
        const char *setting;
        int64_t want; /* broker.keepalive_s, items[0].lead_s or buttons[0].*_ms */
        int which;
    } cases[] = {
        {"keepalive = \"5s\";", 5, 0},
        {"keepalive = \"1h\";", 3600, 0},
        {"keepalive = \"2m\";", 120, 0},
        {"lead = \"1h\";", 3600, 1},
        {"lead = \"60d\";", 5184000, 1},
        {"lead = \"90m\";", 5400, 1},
        {"lead = \"0002h\";", 7200, 1},
        {"debounce = \"0ms\";", 0, 2},
        {"debounce = \"1s\"; long_after = \"2s\";", 1000, 2},
        {"long_after = \"60000ms\";", 60000, 3},
        {"long_after = \"1m\";", 60000, 3},
    };
    char text[512];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int w = cases[i].which;
        snprintf(text, sizeof(text),
                 "device_id = \"d\";\nbroker = { %s };\n"
                 "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n"
                 "items = ( { id = \"i\"; channel = \"c\"; pack = 1; %s } );\n"
                 "buttons = ( { gpio = { line = 1; }; item = \"i\"; %s } );\n",
                 w == 0 ? cases[i].setting : "", w == 1 ? cases[i].setting : "",
                 w >= 2 ? cases[i].setting : "");
        if (load_good(text) != 0)
            continue;
        int64_t got = w == 0   ? cfg.broker.keepalive_s
                      : w == 1 ? cfg.items[0].lead_s
                      : w == 2 ? cfg.buttons[0].debounce_ms
                               : cfg.buttons[0].long_ms;
        CHECK_EQ_I64(got, cases[i].want);
    }
}

/* The pre-pass that catches literals libconfig 1.5 would wrap. */
static void
test_overflow(void)
{
    /* 4294967301 wraps to 5 in libconfig: it must not become sck = 5. */
    load_bad("device_id = \"d\";\n"
             "channels = ( { name = \"c\";\n"
             "  hx711 = { dout = 6; sck = 4294967301; }; } );\n"
             "items = ( { id = \"i\"; channel = \"c\"; pack = 1; } );\n",
             "bad.conf:3: channels.[0].hx711.sck: expected an integer from 0 to 53, "
             "found 4294967301");
    /* Under a list of items, the second element, after strings with commas. */
    load_bad(
        "device_id = \"d\";\n"
        "channels = ( { name = \"c\"; iio = { device = \"x\"; input = 0; }; },\n"
        "  { name = \"e\"; iio = { device = \"x\"; input = 1; }; } );\n"
        "items = ( { id = \"i\"; name = \"a, b ( [ {\"; channel = \"c\"; pack = 1; },\n"
        "  # a comment, with ( a comma\n"
        "  { id = \"j\"; channel = \"e\"; /* , */ pack = -99999999999; } );\n",
        "bad.conf:6: items.[1].pack: expected grams from 1 to 100000, found "
        "-99999999999");
    /* 64-bit literals that do not fit even with L. */
    load_bad(
        "device_id = \"d\";\n"
        "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n"
        "items = ( { id = \"i\"; channel = \"c\"; pack = 99999999999999999999L; } );\n",
        "bad.conf:3: items.[0].pack: expected grams from 1 to 100000, found "
        "99999999999999999999L");
    /* An @include inside a comment is no @include. */
    load_good("device_id = \"d\";\n/*\n@include \"x.conf\"\n*/\n"
              "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n"
              "items = ( { id = \"i\"; channel = \"c\"; pack = 1; } );\n");
}

/* A file that cannot be read: its own errno and one message without a line. */
static void
test_unreadable(void)
{
    char path[4096];

    int r = cfg_load("/nonexistent/pantry-agent.conf", &cfg, &errs);
    CHECK_EQ_I64(r, -ENOENT);
    CHECK_EQ_U64(errs.count, 1);
    CHECK(strcmp(errs.msg[0], "/nonexistent/pantry-agent.conf: cannot read: No such "
                              "file or directory") == 0);
    r = cfg_load(src_dir, &cfg, &errs);
    CHECK_EQ_I64(r, -EISDIR);
    CHECK_EQ_U64(errs.count, 1);
    r = cfg_load("/dev/null", &cfg, &errs);
    CHECK_EQ_I64(r, -EINVAL);
    CHECK(strcmp(errs.msg[0], "/dev/null: cannot read: expected a regular file, found "
                              "another kind") == 0);

    /* Mode 000: unreadable, unless we are root (who reads anything). */
    snprintf(path, sizeof(path), "/tmp/test-config-%ld.conf", (long)getpid());
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (f == NULL)
        return;
    fclose(f);
    CHECK(chmod(path, 0) == 0);
    r = cfg_load(path, &cfg, &errs);
    if (geteuid() != 0) {
        CHECK_EQ_I64(r, -EACCES);
        CHECK_EQ_U64(errs.count, 1);
        CHECK(strstr(errs.msg[0], ": cannot read: Permission denied") != NULL);
    }
    unlink(path);

    /* errs may be NULL: the result alone. */
    CHECK_EQ_I64(cfg_load("/nonexistent/x.conf", &cfg, NULL), -ENOENT);
    CHECK_EQ_I64(cfg_load_string("device_id = 5;", "x", &cfg, NULL), -EINVAL);
}

/* At most CFG_ERR_MAX messages are kept; the rest are counted. */
static void
test_many_errors(void)
{
    static char text[16384];
    size_t o = 0;

    o += (size_t)snprintf(
        text + o, sizeof(text) - o,
        "device_id = \"d\";\n"
        "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n"
        "items = ( { id = \"i\"; channel = \"c\"; pack = 1;\n");
    for (int i = 0; i < 100; i++)
        o += (size_t)snprintf(text + o, sizeof(text) - o, "  unknown%d = 1;\n", i);
    snprintf(text + o, sizeof(text) - o, "} );\n");
    int r = cfg_load_string(text, "many.conf", &cfg, &errs);
    CHECK_EQ_I64(r, -EINVAL);
    CHECK_EQ_U64(errs.count, CFG_ERR_MAX);
    CHECK_EQ_U64(errs.dropped, 100 - CFG_ERR_MAX);
    CHECK(strcmp(errs.msg[0], "many.conf:4: items.[0].unknown0: unknown setting "
                              "'unknown0'") == 0);
    CHECK(strcmp(errs.msg[CFG_ERR_MAX - 1], "many.conf:67: items.[0].unknown63: "
                                            "unknown setting 'unknown63'") == 0);

    /* 17 channels: one too many. */
    o = (size_t)snprintf(text, sizeof(text), "device_id = \"d\";\nchannels = (\n");
    for (int i = 0; i < 17; i++)
        o += (size_t)snprintf(
            text + o, sizeof(text) - o,
            "  { name = \"c%d\"; iio = { device = \"x\"; input = %d; }; }%s\n", i, i,
            i < 16 ? "," : "");
    snprintf(text + o, sizeof(text) - o,
             ");\nitems = ( { id = \"i\"; channel = \"c0\"; pack = 1; } );\n");
    load_bad(text,
             "bad.conf:19: channels.[16]: expected at most 16 channels, found 17");
}

/* Other messages that are not worth a file of their own. */
static void
test_messages(void)
{
    static const char base[] =
        "device_id = \"d\";\n"
        "channels = ( { name = \"c\"; iio = { device = \"x\"; }; } );\n";
    char text[1024];

    snprintf(text, sizeof(text), "%sitems = ();\n", base);
    load_bad(text, "bad.conf:3: items: expected at least one item in the list, found "
                   "none");
    snprintf(text, sizeof(text),
             "%sitems = ( { id = \"i\"; channel = \"c\"; pack = 1; } );\n"
             "broker = { url = \"mqtts://h\"; keepalive = \"5\"; };\n",
             base);
    load_bad(text, "bad.conf:4: broker.keepalive: expected a duration from 5s to 1h "
                   "(like \"90s\", \"30m\", \"48h\", \"2d\"), found \"5\"");
    snprintf(text, sizeof(text),
             "%sitems = ( { id = \"i\"; channel = \"c\"; pack = 1;\n"
             "  forecast = { damp_half_life = \"0d\"; }; } );\n",
             base);
    load_bad(text, "bad.conf:4: items.[0].forecast.damp_half_life: expected \"off\" or "
                   "a duration from 1h to 730d (like \"60d\"), found \"0d\"");
    snprintf(text, sizeof(text),
             "%sitems = ( { id = \"i\"; channel = \"c\"; pack = 1;\n"
             "  name = \"\\x80\"; } );\n",
             base);
    load_bad(text, "bad.conf:4: items.[0].name: expected text of 1 to 63 bytes without "
                   "control characters, found \"\\x80\"");
    snprintf(text, sizeof(text),
             "%sitems = ( { id = \"i\"; channel = \"c\"; pack = 1; } );\n"
             "buttons = ( { gpio = { line = 1; }; evdev = { device = \"/dev/input/e\"; "
             "key = 1; }; item = \"i\"; } );\n",
             base);
    load_bad(text,
             "bad.conf:4: buttons.[0].evdev: expected one of gpio or evdev, found "
             "both");
    /* A NULL name stands for a string without a file. */
    int r = cfg_load_string("device_id = 1;", NULL, &cfg, &errs);
    CHECK_EQ_I64(r, -EINVAL);
    CHECK(errs.count > 0 && strncmp(errs.msg[0], "<string>:1: device_id: ", 23) == 0);
}

/* home = { ... } with every setting: values worked out from CONFIG.md. */
static void
test_home(void)
{
    if (load_good("device_id = \"abcdefghij0123456789abcdefghij0123456789"
                  "abcdefghij0123456789abc\";\n"
                  "channels = ( { name = \"c\"; hx711 = { dout = 2; sck = 3; }; } );\n"
                  "items = ( { id = \"i\"; channel = \"c\"; pack = 500; } );\n"
                  "home = { url = \"mqtts://ha.lan:8884\";\n"
                  "  ca_file = \"/etc/ha-ca.pem\";\n"
                  "  credentials_file = \"/etc/pantry-agent/home-credentials\";\n"
                  "  verify = false; keepalive = \"30s\"; session_expiry = \"1h\";\n"
                  "  prefix = \"house/pantry\"; discovery_prefix = \"ha\";\n"
                  "  discovery = false; commands = true; };\n") != 0)
        return;
    const struct cfg_home *h = &cfg.home;
    CHECK(strcmp(h->broker.url, "mqtts://ha.lan:8884") == 0);
    CHECK(strcmp(h->broker.ca_file, "/etc/ha-ca.pem") == 0);
    CHECK(strcmp(h->broker.credentials_file, "/etc/pantry-agent/home-credentials") ==
          0);
    CHECK(!h->broker.verify);
    CHECK_EQ_I64(h->broker.keepalive_s, 30);
    CHECK_EQ_I64(h->broker.session_expiry_s, 3600);
    CHECK(strcmp(h->prefix, "house/pantry") == 0);
    CHECK(strcmp(h->discovery_prefix, "ha") == 0);
    CHECK(!h->discovery);
    CHECK(h->commands);
    /* The 63-byte device id cut to 58, and "-home": 63 bytes. */
    CHECK(strcmp(h->broker.client_id,
                 "abcdefghij0123456789abcdefghij0123456789abcdefghij01234567-home") ==
          0);
    /* The retailer's broker is untouched by it. */
    CHECK(strcmp(cfg.broker.url, "") == 0);
}

static void
test_to_str(void)
{
    CHECK(strcmp(cfg_mode_to_str(CFG_MODE_AUTO), "auto") == 0);
    CHECK(strcmp(cfg_mode_to_str(CFG_MODE_CONFIRM), "confirm") == 0);
    CHECK(strcmp(cfg_mode_to_str(CFG_MODE_OFF), "off") == 0);
    CHECK(strcmp(cfg_mode_to_str((enum cfg_mode)3), "?") == 0);
    CHECK(strcmp(cfg_source_to_str(CFG_SRC_IIO), "iio") == 0);
    CHECK(strcmp(cfg_source_to_str(CFG_SRC_HX711), "hx711") == 0);
    CHECK(strcmp(cfg_source_to_str((enum cfg_source) - 1), "?") == 0);
    CHECK(strcmp(cfg_button_source_to_str(CFG_BTN_GPIO), "gpio") == 0);
    CHECK(strcmp(cfg_button_source_to_str(CFG_BTN_EVDEV), "evdev") == 0);
    CHECK(strcmp(cfg_source_to_str(CFG_SRC_MQTT), "mqtt") == 0);
    CHECK(strcmp(cfg_button_source_to_str(CFG_BTN_Z2M), "zigbee2mqtt") == 0);
    CHECK(strcmp(cfg_button_source_to_str((enum cfg_button_source)3), "?") == 0);
    CHECK(strcmp(cfg_action_to_str(CFG_ACT_NONE), "none") == 0);
    CHECK(strcmp(cfg_action_to_str(CFG_ACT_ORDER), "order") == 0);
    CHECK(strcmp(cfg_action_to_str(CFG_ACT_CANCEL), "cancel") == 0);
    CHECK(strcmp(cfg_action_to_str(CFG_ACT_CONFIRM), "confirm") == 0);
    CHECK(strcmp(cfg_action_to_str((enum cfg_action)4), "?") == 0);
    CHECK(strcmp(cfg_log_to_str(CFG_LOG_ERROR), "error") == 0);
    CHECK(strcmp(cfg_log_to_str(CFG_LOG_WARNING), "warning") == 0);
    CHECK(strcmp(cfg_log_to_str(CFG_LOG_NOTICE), "notice") == 0);
    CHECK(strcmp(cfg_log_to_str(CFG_LOG_INFO), "info") == 0);
    CHECK(strcmp(cfg_log_to_str(CFG_LOG_DEBUG), "debug") == 0);
    CHECK(strcmp(cfg_log_to_str((enum cfg_log)5), "?") == 0);
}

int
main(int argc, char **argv)
{
    src_dir = argc > 1 ? argv[1] : ".";
    /* away dates are local time: the expected seconds are UTC's */
    setenv("TZ", "UTC", 1);
    tzset();
    RUN(test_defaults);
    RUN(test_full);
    RUN(test_sample);
    RUN(test_numbers);
    RUN(test_durations);
    RUN(test_overflow);
    RUN(test_unreadable);
    RUN(test_many_errors);
    RUN(test_messages);
    RUN(test_to_str);
    RUN(test_home);
    RUN(test_bad_files);
    return th_done();
}
