/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-agent's inputs (daemon.h): each configured load cell (the kernel's
 * hx711 IIO driver, or an HX711 clocked over GPIO) and button (a GPIO line or
 * an input device), or instead a recorded trace or a simulated household on a
 * virtual clock; read when due, into the pipeline and a recording.
 */
#include "agent/daemon/daemon.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/clock.h"
#include "sensors/hw/evdev.h"
#include "sensors/hw/gpio.h"
#include "sensors/hw/hx711.h"
#include "sensors/hw/iio.h"
#include "agent/logging.h"
#include "agent/link/mqttfeed.h"
#include "agent/msg/utc.h"
#ifdef PANTRY_HAVE_GPIOD
#include "sensors/hw/gpio-gpiod.h"
#endif

#define BATCH 64

void
sources_close(struct agent *a)
{
    for (size_t i = 0; i < a->n_srcs; i++)
        sample_source_free(a->srcs[i].s);
    a->n_srcs = 0;
    a->feed = NULL; /* it was one of them */
}

#ifdef PANTRY_HAVE_GPIOD
static int
open_seam(const char *chip, struct gpio_seam *seam, char *err, size_t errlen)
{
    return gpio_seam_gpiod_open(chip[0] ? chip : "gpiochip0", "pantry-agent",
                                clock_mono_us_cb, NULL, seam, err, errlen);
}
#endif

static int
open_channel(const struct cfg_channel *c, struct src *s, char *err, size_t errlen)
{
    s->chan[0] = c->index;
    s->what = c->name;
    if (c->source == CFG_SRC_IIO) {
        /* PANTRY_IIO_SYSFS_ROOT: a fake sysfs tree, for tests (see --help). */
        struct iio_config ic = {.sysfs_root = getenv("PANTRY_IIO_SYSFS_ROOT"),
                                .device = c->device,
                                .n_channels = 1,
                                .channels = {c->input},
                                .period_ms = c->period_ms};
        return iio_new(&ic, &s->s, err, errlen);
    }
#ifdef PANTRY_HAVE_GPIOD
    struct hx711_config hc = {.n_chips = 1,
                              .chips = {{c->dout, c->sck, c->gain}},
                              .period_ms = c->period_ms,
                              .timeout_ms = 1000,
                              .max_tries = 3};
    struct gpio_seam seam;
    int r = open_seam(c->chip, &seam, err, errlen);
    return r < 0 ? r : hx711_new(&hc, seam, &s->s, err, errlen);
#else
    snprintf(err, errlen, "channel %s: hx711 needs libgpiod, and this build has none",
             c->name);
    return -ENOTSUP;
#endif
}

static int
open_button(const struct cfg_button *b, uint16_t index, struct src *s, char *err,
            size_t errlen)
{
    s->btn[0] = index;
    s->what = b->device;
    if (b->source == CFG_BTN_EVDEV) {
        struct evdev_config ec = {.path = b->device, .n_keys = 1, .keycodes = {b->key}};
        return evdev_new(&ec, &s->s, err, errlen);
    }
#ifdef PANTRY_HAVE_GPIOD
    struct gpio_buttons_config gc = {
        .n_lines = 1, .lines = {b->line}, .active_low = b->active_low, .poll_ms = 10};
    struct gpio_seam seam;
    int r = open_seam(b->device, &seam, err, errlen);
    return r < 0 ? r : gpio_buttons_new(&gc, seam, &s->s, err, errlen);
#else
    snprintf(err, errlen, "button on line %u needs libgpiod, and this build has none",
             b->line);
    return -ENOTSUP;
#endif
}

/*
 * A checked trace: what it holds, and whether its channels and buttons are the
 * configuration's. A mismatch is no error (a bug report's trace may be replayed
 * against a configuration of one item), but the samples nobody takes are named.
 */
static void
replay_checked(const struct agent *a, const struct sample_source *src)
{
    const struct trace_summary *sum = trace_replay_checked(src);
    const struct trace_reader *rd = trace_replay_reader(src);
    char t0[32], t1[32];
    uint32_t configured = 0;

    if (sum == NULL) {
        log_info("replay: %s is a pipe: it is replayed as it is read, and a bad "
                 "line stops the replay there (the store keeps what came before)",
                 a->replay_path);
    } else {
        utc_format(sum->first_t_ms / 1000, t0, sizeof(t0));
        utc_format(sum->last_t_ms / 1000, t1, sizeof(t1));
        log_info("replay: %s checked: %u lines, %" PRIu64 " samples, %" PRIu64
                 " button edges%s%s%s%s",
                 a->replay_path, sum->lines, sum->samples, sum->edges,
                 sum->first_t_ms >= 0 ? ", " : "", sum->first_t_ms >= 0 ? t0 : "",
                 sum->first_t_ms >= 0 ? " to " : "", sum->first_t_ms >= 0 ? t1 : "");
    }
    for (size_t i = 0; i < a->cfg->n_channels; i++) {
        unsigned idx = a->cfg->channels[i].index;
        configured |= UINT32_C(1) << idx;
        if (!(rd->channel_mask & (UINT32_C(1) << idx)))
            log_warning("replay: %s has no channel %u, which the configuration calls "
                        "%s: it gets no samples",
                        a->replay_path, idx, a->cfg->channels[i].name);
    }
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
        if ((rd->channel_mask & ~configured) & (UINT32_C(1) << i))
            log_warning("replay: %s: channel %u (%s) is not in the configuration: its "
                        "samples are not used",
                        a->replay_path, i, rd->channel_names[i]);
    for (unsigned i = (unsigned)a->cfg->n_buttons; i < SENSOR_MAX_BUTTONS; i++)
        if (rd->button_mask & (UINT32_C(1) << i))
            log_warning("replay: %s: button %u (%s) is not in the configuration (it "
                        "has %zu buttons): its presses are not used",
                        a->replay_path, i, rd->button_names[i], a->cfg->n_buttons);
}

/*
 * The scales and buttons on the home broker: one source for all of them,
 * touching no hardware; its samples and presses carry the configuration's
 * channel and button indexes already. The home broker's link hands it its
 * messages (mqttfeed_on_message(a->feed, ...)) and subscribes its topics.
 */
static int
open_feed(struct agent *a)
{
    struct mqttfeed *f;
    int r;

    if ((r = mqttfeed_new(a->cfg, clock_wall_ms(), &f)) < 0) {
        log_error("scales and buttons on MQTT: %s", strerror(-r));
        return r;
    }
    if (f == NULL)
        return 0;
    struct src *s = &a->srcs[a->n_srcs++];
    for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
        s->chan[i] = (uint16_t)i;
    for (unsigned i = 0; i < SENSOR_MAX_BUTTONS; i++)
        s->btn[i] = (uint16_t)i;
    s->s = mqttfeed_source(f);
    s->what = "the home broker";
    a->feed = f;
    log_info("home broker: %zu scale and button topics to read", mqttfeed_n_topics(f));
    return 0;
}

int
sources_open(struct agent *a)
{
    char err[ERRLEN];
    int r;

    if (a->replay_path != NULL || a->hh.n_demand > 0) {
        struct src *s = &a->srcs[a->n_srcs];
        for (unsigned i = 0; i < SENSOR_MAX_CHANNELS; i++)
            s->chan[i] = (uint16_t)i;
        for (unsigned i = 0; i < SENSOR_MAX_BUTTONS; i++)
            s->btn[i] = (uint16_t)i;
        s->what = a->hh.n_demand > 0 ? "the household" : a->replay_path;
        if (a->hh.n_demand > 0) {
            if ((r = hh_source_open(&a->hh, a->cfg, &s->s, err, sizeof(err))) < 0) {
                log_error("household: %s", err);
                return r;
            }
            a->n_srcs++;
            return 0;
        }
        if ((r = trace_replay_open(a->replay_path, &s->s, err, sizeof(err))) < 0) {
            log_error("replay: %s", err);
            log_error("replay: %s refused: nothing of it was replayed or stored",
                      a->replay_path);
            return r;
        }
        a->n_srcs++;
        replay_checked(a, s->s);
        return 0;
    }
    for (size_t i = 0; i < a->cfg->n_channels; i++) {
        struct src *s = &a->srcs[a->n_srcs];
        if (a->cfg->channels[i].source == CFG_SRC_MQTT)
            continue; /* the feed's, below */
        if ((r = open_channel(&a->cfg->channels[i], s, err, sizeof(err))) < 0) {
            log_error("channel %s: %s", a->cfg->channels[i].name, err);
            return r;
        }
        a->n_srcs++;
    }
    for (size_t i = 0; i < a->cfg->n_buttons; i++) {
        struct src *s = &a->srcs[a->n_srcs];
        if (a->cfg->buttons[i].source == CFG_BTN_Z2M)
            continue;
        if ((r = open_button(&a->cfg->buttons[i], (uint16_t)i, s, err, sizeof(err))) <
            0) {
            /* Named as the configuration names it: buttons.[0] is the first. */
            log_error("buttons.[%zu]: %s", i, err);
            return r;
        }
        a->n_srcs++;
    }
    return open_feed(a);
}

static void
source_error(const struct agent *a, const struct src *s, int err)
{
    if (err == -ENODEV)
        log_error("%s: the input device went away", s->what);
    else if (a->replay_path != NULL && a->hh.n_demand == 0 &&
             trace_replay_error(s->s)[0] != '\0')
        log_error("replay: %s", trace_replay_error(s->s));
    else
        log_error("%s: %s", s->what, strerror(-err));
}

/*
 * Replay: an input an earlier run took in, skipped: those before resume_ms, and
 * the first resume_n of resume_ms itself (the pipeline counts them the same
 * way, resume.h).
 */
static bool
seen_before(struct agent *a, int64_t t_ms)
{
    if (t_ms < a->resume_ms)
        return true;
    if (t_ms == a->resume_ms && a->resume_n > 0) {
        a->resume_n--;
        return true;
    }
    return false;
}

/* Everything due at now from every source, into the pipeline (and a recording). */
int
sources_read(struct agent *a, int64_t now)
{
    struct sample sm[BATCH];
    struct button_edge ed[BATCH];

    for (size_t i = 0; i < a->n_srcs; i++) {
        struct src *s = &a->srcs[i];
        const struct sample_source_ops *ops = s->s->ops;
        int n;
        do {
            n = ops->read_samples ? ops->read_samples(s->s, now, sm, BATCH) : 0;
            if (n < 0) {
                source_error(a, s, n);
                return n;
            }
            for (int k = 0; k < n; k++) {
                if (sm[k].channel >= SENSOR_MAX_CHANNELS || seen_before(a, sm[k].t_ms))
                    continue;
                sm[k].channel = s->chan[sm[k].channel];
                a->replayed_ms = sm[k].t_ms;
                if (a->rec != NULL)
                    trace_write_sample(&a->recw, &sm[k]);
                pipeline_sample(a->pl, &sm[k]);
            }
        } while (n == BATCH);
        do {
            n = ops->read_edges ? ops->read_edges(s->s, now, ed, BATCH) : 0;
            if (n < 0) {
                /* Live, only a device gone is worth a line each round. */
                if (n == -ENODEV || a->replay_path != NULL)
                    source_error(a, s, n);
                return n;
            }
            for (int k = 0; k < n; k++) {
                if (ed[k].button >= SENSOR_MAX_BUTTONS || seen_before(a, ed[k].t_ms))
                    continue;
                ed[k].button = s->btn[ed[k].button];
                a->replayed_ms = ed[k].t_ms;
                if (a->rec != NULL) {
                    if (ed[k].t_ms < a->recw.state.last_t_ms)
                        ed[k].t_ms = a->recw.state.last_t_ms;
                    trace_write_edge(&a->recw, &ed[k]);
                }
                pipeline_edge(a->pl, &ed[k]);
            }
        } while (n == BATCH);
        struct press pr[BATCH];
        do {
            n = ops->read_presses ? ops->read_presses(s->s, now, pr, BATCH) : 0;
            for (int k = 0; k < n; k++)
                if (pr[k].button < SENSOR_MAX_BUTTONS)
                    pipeline_press(a->pl, &pr[k]);
        } while (n == BATCH);
    }
    return 0;
}

int64_t
sources_due(const struct agent *a, int64_t now)
{
    int64_t due = INT64_MAX;

    for (size_t i = 0; i < a->n_srcs; i++) {
        const struct sample_source *s = a->srcs[i].s;
        if (s->ops->next_due_ms != NULL) {
            int64_t d = s->ops->next_due_ms(s, now);
            if (d < due)
                due = d;
        }
    }
    return due;
}

void
sources_feed_message(void *ctx, const char *topic, const char *payload, size_t len,
                     bool retained, int64_t now_ms)
{
    struct agent *a = ctx;

    if (a->feed != NULL)
        mqttfeed_on_message(a->feed, topic, payload, len, retained, now_ms);
}
