/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-agent, the daemon: reads the configuration, opens the store, starts the
 * sensors (or replays a recorded trace on its virtual clock), and runs one
 * thread that waits in epoll for sensor input, its timers (a timerfd armed for
 * the earliest due time), signals (a signalfd: SIGTERM/SIGINT stop, SIGHUP
 * reloads), the control socket of pantryctl, and the eventfd where the MQTT
 * client's callbacks hand over their results (uplink.h). Nothing busy-waits
 * and nothing sleeps in a loop. Under systemd it reports READY, STATUS and
 * WATCHDOG itself; the watchdog is pinged only from this loop, so a hung loop is
 * restarted.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "away.h"
#include "clock.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "evtrace.h"
#include "grocy-wire.h"
#include "home.h"
#include "keys.h"
#include "log.h"
#include "memtrim.h"
#include "notify.h"
#include "learn.h"
#include "pipeline.h"
#include "resume.h"
#include "status.h"
#include "store.h"
#include "store-io.h"
#include "text.h"
#include "trace.h"
#include "uplink.h"
#include "utc.h"

#ifndef PANTRY_VERSION
#define PANTRY_VERSION "unknown"
#endif

#define MAINT_MS (INT64_C(6) * 3600 * 1000) /* prune and checkpoint this often */
/* Hand back the library pages the loop no longer runs (memtrim.h): after
 * start-up, after each connection to a broker (a TLS handshake maps most of
 * libcrypto), and every minute, since each page used again maps its 15
 * neighbours back in; a trim costs about 0.3 ms of CPU (tests/agent/BENCH.md). */
#define TRIM_FIRST_MS 5000
#define TRIM_AFTER_CONNECT_MS 2000
#define TRIM_MS 60000
#define STOP_GRACE_MS 2000
#define GOODBYE_MS 1000 /* of the stop's 2 s: the broker hears "offline" */
#define LINGER_MS 10000 /* replay: waiting for the retailer's answers, at most */

static const char usage_text[] =
    "Usage: pantry-agent [OPTIONS]\n"
    "\n"
    "The pantry shelf daemon: weighs items, learns how fast each is used, and\n"
    "orders before one runs out.\n"
    "\n"
    "  -c, --config FILE        configuration (default " CFG_DEFAULT_PATH ")\n"
    "      --check-config FILE  check FILE, print every error, exit 0 if it is good:\n"
    "                           its settings, and the files it names (the key and\n"
    "                           its folder, the store's folder, the broker's\n"
    "                           credentials, retailer_key and TLS files, the home\n"
    "                           broker's credentials and TLS files: there,\n"
    "                           readable, secrets mode 0600), as this user.\n"
    "                           Hardware is not probed (pantry-sensors probe)\n"
    "      --settings-only      with --check-config: the settings alone, not the\n"
    "                           files (a configuration for another machine)\n"
    "      --replay TRACE       read samples and button edges from a recorded trace\n"
    "                           (# pantry-samples v1) on its own clock, as fast as\n"
    "                           possible, instead of the hardware; exit at its end.\n"
    "                           A file is checked whole first: a bad line is\n"
    "                           reported as TRACE:LINE: what was expected, and\n"
    "                           nothing of the trace is replayed or stored (exit 1).\n"
    "                           A pipe is replayed as it comes: a bad line stops it\n"
    "                           there, and the store keeps what came before (exit 1).\n"
    "                           A store that has seen part of the trace goes on\n"
    "                           after the last input it committed, from the state\n"
    "                           it had then, as if never stopped. With a broker\n"
    "                           configured, each message queued is sent at once and\n"
    "                           the replay waits for the retailer's answer\n"
    "      --linger SECONDS     replay: how long to wait for an answer, 0..3600\n"
    "                           (default 10); after one wait in vain it stops\n"
    "                           waiting, except once more at the end\n"
    "      --household [ITEM=]FILE\n"
    "                           instead of the hardware, a simulated household\n"
    "                           takes what FILE says ('seconds,grams' lines, from\n"
    "                           the start) from ITEM, each on its load cell (the\n"
    "                           item's calibration), a pack on the shelf at first;\n"
    "                           replayed like --replay, on a virtual clock, closed\n"
    "                           loop: every order a retailer ships arrives at its\n"
    "                           ETA and is poured in. Repeat for each item; needs a\n"
    "                           store that has seen no replay\n"
    "      --household-start TIME\n"
    "                           when the demand's seconds count from (UTC, like\n"
    "                           2026-10-22T00:00:00Z; default 2026-01-01)\n"
    "      --household-days N   days simulated, 1..3660 (default: until a day after\n"
    "                           the last use)\n"
    "      --household-period MS\n"
    "                           the household's load cells read every MS while\n"
    "                           nothing changes, 100..600000 (default 30000; 100\n"
    "                           is the hardware's 10 Hz); every 100 ms around a\n"
    "                           take or a delivery\n"
    "      --household-live     the household on the real clock, starting now, as\n"
    "                           a household runs the daemon: the live loop, the\n"
    "                           control socket, no --household-start; after its\n"
    "                           last day it runs on without samples until stopped\n"
    "  -f, --foreground         log for a terminal (time stamps) even under systemd\n"
    "  -v, --verbose            log at debug level (overrides log_level)\n"
    "  -h, --help               show this help\n"
    "  -V, --version            show the version\n"
    "\n"
    "Environment: PANTRY_IIO_SYSFS_ROOT replaces /sys/bus/iio/devices (for tests\n"
    "with a fake sysfs tree); NOTIFY_SOCKET and WATCHDOG_USEC come from systemd.\n"
    "\n"
    "Signals: SIGTERM or SIGINT stop (within 2 s), SIGHUP reloads the configuration\n"
    "(a bad one is logged and the running one kept).\n"
    "Exit status: 0 stopped cleanly, 1 failed to start or run, 2 bad usage.\n";

/* ---- the control socket ---- */

static void
stop_recording(struct agent *a)
{
    if (a->rec == NULL)
        return;
    if (trace_writer_flush(&a->recw) < 0 || fsync(fileno(a->rec)) < 0)
        log_error("recording: write failed");
    fclose(a->rec);
    a->rec = NULL;
    log_notice("recording finished");
}

static int
start_recording(struct agent *a, int64_t now, int64_t seconds, char *path, size_t len,
                char *msg, size_t msglen)
{
    char dir[CFG_PATH_MAX], t[32], name[32];

    if (a->rec != NULL)
        return snprintf(msg, msglen, "a recording is already running"), -EBUSY;
    snprintf(dir, sizeof(dir), "%s", a->cfg->store_path);
    evtrace_format_time(now / 1000, t, sizeof(t));
    snprintf(path, len, "%s/trace-%s.trace", dirname(dir), t);
    if ((a->rec = fopen(path, "wx")) == NULL)
        return snprintf(msg, msglen, "%s: %s", path, strerror(errno)), -errno;
    trace_writer_init(&a->recw, a->rec);
    for (size_t i = 0; i < a->cfg->n_channels; i++)
        trace_write_channel(&a->recw, a->cfg->channels[i].index,
                            a->cfg->channels[i].name);
    for (size_t i = 0; i < a->cfg->n_buttons; i++) {
        snprintf(name, sizeof(name), "button%zu", i);
        trace_write_button(&a->recw, (unsigned)i, name);
    }
    trace_write_note(&a->recw, now, "recorded by pantry-agent " PANTRY_VERSION);
    a->rec_until_ms = now + seconds * 1000;
    snprintf(msg, msglen, "recording %" PRId64 " s to %s", seconds, path);
    log_notice("%s", msg);
    return 0;
}

static int
on_request(void *ctx, const struct control_request *req, char *msg, size_t len,
           cJSON **data)
{
    struct agent *a = ctx;
    int64_t now = clock_wall_ms();
    int item = -1, r;

    if (req->cmd == CONTROL_PING) {
        snprintf(msg, len, "pantry-agent %s", PANTRY_VERSION);
        return 0;
    }
    if (req->cmd == CONTROL_STATUS) {
        struct status_link link;
        struct status_home home;
        if (a->up != NULL)
            uplink_status(a->up, &link);
        daemon_home_status(a, &home);
        *data = status_answer(a->pl, now, a->up != NULL ? &link : NULL, &home);
        snprintf(msg, len, "%zu items", a->pl->n_items);
        return 0;
    }
    if (req->cmd == CONTROL_RECORD) {
        char path[CFG_PATH_MAX + 64];
        if (a->replay_path != NULL)
            return snprintf(msg, len, "replaying a trace: nothing to record"), -EPERM;
        r = start_recording(a, now, req->seconds, path, sizeof(path), msg, len);
        if (r == 0 && (*data = cJSON_CreateObject()) != NULL)
            cJSON_AddStringToObject(*data, "path", path);
        return r;
    }
    if (req->cmd == CONTROL_AWAY) {
        /* Written at once, outside the pipeline's batch: pantryctl is told
         * only what is on disk. */
        if ((r = pipeline_flush(a->pl)) < 0)
            return snprintf(msg, len, "store: %s", store_errmsg(a->db)), r;
        r = away_request(a->cfg, a->db, req, now, msg, len, data);
        if (req->from_s != 0 || req->remove != 0)
            log_notice("pantryctl away: %s", msg);
        return r;
    }
    if ((item = cfg_find_item(a->cfg, req->item)) < 0)
        return snprintf(msg, len, "no item '%s' in the configuration", req->item),
               -ENOENT;
    switch (req->cmd) {
    case CONTROL_ORDER:
        r = pipeline_order(a->pl, (size_t)item, "manual", now, msg, len);
        break;
    case CONTROL_CONFIRM:
        r = pipeline_confirm(a->pl, (size_t)item, now, msg, len);
        break;
    case CONTROL_CANCEL:
        r = pipeline_cancel(a->pl, (size_t)item, "manual", now, msg, len);
        break;
    case CONTROL_TARE:
        r = pipeline_tare(a->pl, (size_t)item, now, 3000, msg, len);
        break;
    case CONTROL_RESET_LEARNING:
        r = learn_reset_request(a->pl, (size_t)item, now, msg, len);
        break;
    case CONTROL_REFUSED:
        r = pipeline_refused(a->pl, (size_t)item, req->reason, now, msg, len);
        break;
    case CONTROL_SPAN:
        r = pipeline_span(a->pl, (size_t)item, req->known_mg, now, 3000, msg, len);
        break;
    default:
        return snprintf(msg, len, "unsupported command"), -EINVAL;
    }
    log_notice("pantryctl %s %s: %s", control_cmd_to_str(req->cmd), req->item, msg);
    return r;
}

/* ---- start, reload, stop ---- */

static void
print_errors(const struct cfg_errors *e, bool to_log)
{
    for (size_t i = 0; i < e->count; i++) {
        if (to_log)
            log_error("%s", e->msg[i]);
        else
            fprintf(stderr, "%s\n", e->msg[i]);
    }
    if (e->dropped > 0) {
        if (to_log)
            log_error("... and %zu more errors", e->dropped);
        else
            fprintf(stderr, "... and %zu more errors\n", e->dropped);
    }
}

/* Each message put in the outbox: the link is told, and the order is logged. */
static void
on_queued(void *ctx, const char *order_id)
{
    struct agent *a = ctx;
    struct store_order o;
    char t[32];

    /* The link learns of it first: the log below may fail to read it back. */
    a->queued = true;
    if (a->up != NULL)
        uplink_kick(a->up);
    if (a->home != NULL)
        home_kick(a->home);
    if (store_order_get(a->db, order_id, &o) < 0) {
        log_warning("order %s queued, but cannot be read back: %s", order_id,
                    store_errmsg(a->db));
        return;
    }
    if (o.state != ORDER_QUEUED) {
        /* A withdrawn order: its signed cancel went into the outbox. */
        log_notice("order %s %s: a signed cancel waits in the outbox", o.order_id,
                   store_order_state_to_str(o.state));
    } else {
        evtrace_format_time(o.queued_ms / 1000, t, sizeof(t));
        log_notice("order %s queued at %s: %d pack%s of %s (%s), sequence number "
                   "%" PRId64, o.order_id, t, o.packs, o.packs == 1 ? "" : "s", o.item,
                   o.reason, o.seq);
        log_debug("order %s message: %s", o.order_id, o.message ? o.message : "");
    }
    store_order_fini(&o);
}

static int
start_pipeline(struct agent *a, int64_t now)
{
    char err[ERRLEN];
    int r;

    /* The configured away periods, then those set with pantryctl away. */
    if ((r = away_merge(a->cfg, a->db)) < 0)
        log_error("away periods set with pantryctl away cannot be read: %s",
                  store_errmsg(a->db));
    else if (r > 0)
        log_warning("%d away periods set with pantryctl away are left out: at most "
                    "%d in all", r, DELIVERY_MAX_AWAY);
    if ((r = pipeline_init(a->pl, a->cfg, a->db, now, err, sizeof(err))) < 0) {
        log_error("%s", err);
        return r;
    }
    a->pl->queued = on_queued;
    a->pl->queued_ctx = a;
    a->pl->key = &a->key;
    return 0;
}

static int
watch(struct agent *a, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = fd};

    return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* The link to the broker, when one is configured; and its watch in live mode. */
static int
start_uplink(struct agent *a)
{
    char err[ERRLEN];
    /* The home broker and Grocy first (each says why it failed); their
     * failure keeps no order from the retailer's link, and is returned at the
     * end. Grocy's calls wait in the store meanwhile. */
    int r, home_r = daemon_home_start(a), grocy_r = grocy_start(a);

    if (home_r == 0)
        home_r = grocy_r;
    if (a->cfg->broker.url[0] == '\0') {
        log_info("no broker configured: orders wait in the store's outbox");
        return home_r;
    }
    if ((r = uplink_new(a->cfg, &a->key, a->db, a->pl, PANTRY_VERSION, &a->up, err,
                        sizeof(err))) < 0) {
        log_error("broker: %s", err);
        return r;
    }
    if (a->epfd >= 0 && (r = watch(a, uplink_fd(a->up))) < 0) {
        log_error("cannot watch the MQTT client: %s", strerror(-r));
        return r;
    }
    return home_r;
}

static void
stop_uplink(struct agent *a, int64_t now)
{
    daemon_home_stop(a, now);
    grocy_stop(a);
    if (a->up == NULL)
        return;
    uplink_stop(a->up, now, GOODBYE_MS);
    if (a->epfd >= 0)
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, uplink_fd(a->up), NULL);
    uplink_free(a->up);
    a->up = NULL;
}

/* "1 item, 2 channels, 0 buttons": what a configuration has, for the log. */
static const char *
counts(const struct agent_config *c, char *buf, size_t len)
{
    snprintf(buf, len, "%zu item%s, %zu channel%s, %zu button%s", c->n_items,
             c->n_items == 1 ? "" : "s", c->n_channels, c->n_channels == 1 ? "" : "s",
             c->n_buttons, c->n_buttons == 1 ? "" : "s");
    return buf;
}

/* SIGHUP: a good new configuration replaces the running one, a bad one is logged. */
static void
reload(struct agent *a)
{
    char n[96];
    struct agent_config *next = malloc(sizeof(*next));
    struct cfg_errors *errs = malloc(sizeof(*errs));
    int64_t now = clock_wall_ms();

    if (next == NULL || errs == NULL) {
        log_error("reload: out of memory; keeping the running configuration");
        goto out;
    }
    if (cfg_load(a->config_path, next, errs) < 0) {
        print_errors(errs, true);
        log_error("reload: %s has errors; keeping the running configuration",
                  a->config_path);
        goto out;
    }
    if (strcmp(next->store_path, a->cfg->store_path) != 0 ||
        strcmp(next->control_socket, a->cfg->control_socket) != 0) {
        log_error("reload: store and control_socket cannot change without a restart; "
                  "keeping the running configuration");
        goto out;
    }
    stop_recording(a);
    /* The link holds the running configuration: it says goodbye and comes back
     * with the new one (a reconnect; the outbox re-sends what is unanswered). */
    stop_uplink(a, now);
    pipeline_fini(a->pl);
    sources_close(a);
    struct agent_config *old = a->cfg;
    a->cfg = next;
    next = NULL;
    if (sources_open(a) < 0 || start_pipeline(a, now) < 0) {
        log_error("reload: the new configuration cannot start; going back");
        sources_close(a);
        next = a->cfg;
        a->cfg = old;
        if (sources_open(a) < 0 || start_pipeline(a, now) < 0 || start_uplink(a) < 0) {
            log_error("reload: the old configuration cannot start either: stopping");
            a->stop = true;
        }
        free(next);
        next = NULL;
        goto out;
    }
    if (start_uplink(a) < 0)
        log_error("reload: the broker or home settings cannot work (above); without "
                  "a link to the retailer orders wait in the outbox until fixed");
    free(old);
    log_setup(a->verbose ? CFG_LOG_DEBUG : a->cfg->log_level,
              !a->foreground && log_stderr_is_journal());
    log_notice("configuration reloaded: %s", counts(a->cfg, n, sizeof(n)));
out:
    free(next);
    free(errs);
}

static void
maintain(struct agent *a, int64_t now)
{
    int64_t deleted = 0;
    int64_t keep = a->cfg->retention_s * 1000;

    pipeline_flush(a->pl);
    if (keep < STORE_KEEP_MIN_MS)
        keep = STORE_KEEP_MIN_MS;
    if (store_prune(a->db, now, keep, &deleted) < 0)
        log_warning("store: pruning failed: %s", store_errmsg(a->db));
    else if (deleted > 0)
        log_info("store: pruned %" PRId64 " old rows", deleted);
    if (store_checkpoint(a->db) < 0)
        log_debug("store: checkpoint postponed: %s", store_errmsg(a->db));
    a->next_maint_ms = now + MAINT_MS;
}

static int
setup_fds(struct agent *a)
{
    sigset_t set;
    char err[ERRLEN];
    int r;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if ((a->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
        (a->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK)) < 0 ||
        (a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
        (a->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        log_error("cannot set up the event loop: %s", strerror(errno));
        return -errno;
    }
    if ((r = watch(a, a->sigfd)) < 0 || (r = watch(a, a->timerfd)) < 0 ||
        (r = watch(a, a->wakefd)) < 0)
        return r;
    if (a->replay_path == NULL) {
        if ((r = control_listen(a->cfg->control_socket, &a->ctlfd, err, sizeof(err))) <
            0) {
            log_error("control socket: %s", err);
            return r;
        }
        if ((r = watch(a, a->ctlfd)) < 0)
            return r;
        for (size_t i = 0; i < a->n_srcs; i++) {
            const struct sample_source *s = a->srcs[i].s;
            int fd = s->ops->poll_fd ? s->ops->poll_fd(s) : -1;
            if (fd >= 0 && (r = watch(a, fd)) < 0)
                return r;
        }
    }
    return 0;
}

static void
arm(struct agent *a, int64_t wait_ms)
{
    struct itimerspec its = {0};

    if (wait_ms < 1)
        wait_ms = 1; /* 0 would disarm */
    if (wait_ms > 60000)
        wait_ms = 60000;
    its.it_value.tv_sec = wait_ms / 1000;
    its.it_value.tv_nsec = (long)(wait_ms % 1000) * 1000000;
    timerfd_settime(a->timerfd, 0, &its, NULL);
}

static void
on_signals(struct agent *a)
{
    struct signalfd_siginfo si;

    while (read(a->sigfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
        if (si.ssi_signo == SIGHUP) {
            log_notice("SIGHUP: reloading %s", a->config_path);
            notify_send("RELOADING=1");
            reload(a);
            notify_send("READY=1");
        } else {
            log_notice("%s: stopping", strsignal((int)si.ssi_signo));
            a->stop = true;
        }
    }
}

static int
run_live(struct agent *a)
{
    char cnt[96];
    struct epoll_event evs[16];
    char status[128];
    int64_t last_status = 0;

    a->wd_ms = notify_watchdog_usec() / 1000;
    a->next_wd_ms = 0;
    a->next_maint_ms = clock_wall_ms() + 60000;
    a->next_trim_ms = clock_wall_ms() + TRIM_FIRST_MS;
    notify_send("READY=1");
    log_notice("pantry-agent %s running: %s", PANTRY_VERSION,
               counts(a->cfg, cnt, sizeof(cnt)));
    while (!a->stop) {
        int64_t now = clock_wall_ms();
        if (sources_read(a, now) < 0 && a->replay_path != NULL)
            return 1;
        pipeline_tick(a->pl, now);
        if (a->rec != NULL && now >= a->rec_until_ms)
            stop_recording(a);
        if (now >= a->next_maint_ms)
            maintain(a, now);
        struct memtrim_stats ts;
        int tr = memtrim_due(now, &a->next_trim_ms, TRIM_MS, &ts);
        if (tr < 0)
            log_debug("memtrim: cannot read /proc/self/smaps: %s", strerror(-tr));
        else if (tr > 0)
            log_debug("memtrim: %u mappings (%zu kB) dropped, %u kept", ts.mappings,
                      ts.bytes / 1024, ts.skipped);
        if (a->wd_ms > 0 && now >= a->next_wd_ms) {
            /* Only a loop that gets here is healthy: the ping proves it. */
            notify_send("WATCHDOG=1");
            a->next_wd_ms = now + a->wd_ms / 2;
        }
        int64_t up_wait = a->up ? uplink_work(a->up, clock_mono_us() / 1000, now)
                                : INT64_MAX;
        int64_t home_wait = daemon_home_work(a, now);
        bool linked = (a->up != NULL && uplink_connected(a->up)) ||
                      (a->home != NULL && home_connected(a->home));
        if (linked && !a->was_linked && a->next_trim_ms > now + TRIM_AFTER_CONNECT_MS)
            a->next_trim_ms = now + TRIM_AFTER_CONNECT_MS;
        a->was_linked = linked;
        if (home_wait < up_wait)
            up_wait = home_wait;
        int64_t g_wait = grocy_due(a, now);
        if (g_wait < up_wait)
            up_wait = g_wait;
        if (now - last_status >= 60000) {
            snprintf(status, sizeof(status),
                     "STATUS=%" PRIu64 " samples, %" PRIu64 " events, %" PRIu64
                     " orders", a->pl->samples, a->pl->events, a->pl->orders_created);
            notify_send(status);
            last_status = now;
        }
        int64_t due = sources_due(a, now), d = pipeline_next_due_ms(a->pl);
        if (d < due)
            due = d;
        if (a->wd_ms > 0 && a->next_wd_ms < due)
            due = a->next_wd_ms;
        if (a->next_maint_ms < due)
            due = a->next_maint_ms;
        if (a->next_trim_ms < due)
            due = a->next_trim_ms;
        if (a->rec != NULL && a->rec_until_ms < due)
            due = a->rec_until_ms;
        /* No sum that could overflow: compare the waits. */
        if (up_wait != INT64_MAX && (due == INT64_MAX || up_wait < due - now))
            due = now + up_wait;
        arm(a, due == INT64_MAX ? 60000 : due - clock_wall_ms());
        int n = epoll_wait(a->epfd, evs, 16, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint64_t x;
            if (fd == a->sigfd)
                on_signals(a);
            else if (fd == a->ctlfd)
                while (control_serve(a->ctlfd, on_request, a, 500) > 0)
                    ;
            else if (fd == a->timerfd || fd == a->wakefd)
                (void)!read(fd, &x, sizeof(x));
            /* source fds and the MQTT client's: read at the top of the loop */
        }
    }
    notify_send("STOPPING=1");
    stop_uplink(a, clock_wall_ms());
    return 0;
}

/*
 * The store's writes since the start (store-io.h), cumulative: the store
 * benchmark (tests/store/bench-daemon.py) reads these lines, a day's figures
 * being the difference of two.
 */
static void
log_store_io(enum cfg_log priority, const char *when)
{
    struct store_io io;
    store_io_get(&io);
    log_msg(priority,
            "store: %s%" PRIu64 " commits, %" PRIu64 " pages of 4 KiB dirtied, %" PRIu64
            " bytes in %" PRIu64 " writes, %" PRIu64 " syncs",
            when, io.commits, io.pages_4k, io.write_bytes, io.writes, io.syncs);
}

/*
 * The number after "key:" in a /proc file such as /proc/self/status (VmRSS,
 * kB) or /proc/self/io (wchar: bytes handed to write()); -1 if unknown.
 */
static long long
proc_value(const char *path, const char *key)
{
    char line[128];
    size_t n = strlen(key);
    long long v = -1;
    FILE *f = fopen(path, "r");

    while (f != NULL && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, key, n) == 0 && line[n] == ':' &&
            sscanf(line + n + 1, "%lld", &v) == 1)
            break;
    if (f != NULL)
        fclose(f);
    return v;
}

/*
 * Replay with a broker: wait (real time, at most the linger) until the retailer
 * has answered everything up to the newest message in the outbox, so a replay
 * sees the answers at the virtual time the orders were made, as a live shelf
 * would. Returns false when a signal asked to stop.
 */
static bool
replay_wait(struct agent *a, int64_t now, bool at_end)
{
    struct signalfd_siginfo si;
    int64_t target = uplink_pending_max_seq(a->up);
    int64_t end = clock_mono_us() / 1000 + a->linger_ms;

    for (;;) {
        int64_t mono = clock_mono_us() / 1000;
        int64_t wait = uplink_work(a->up, mono, now);
        int64_t pending = uplink_pending_max_seq(a->up);
        if (pending == 0 || (!at_end && pending < target))
            return true;
        if (mono >= end || (a->linger_spent && !at_end)) {
            if (!a->linger_spent && !at_end)
                log_warning("replay: no answer to sequence number %" PRId64 " within "
                            "%" PRId64 " s; going on without waiting (the outbox keeps "
                            "every unanswered message)", target, a->linger_ms / 1000);
            a->linger_spent = true;
            return true;
        }
        if (wait > end - mono)
            wait = end - mono;
        struct pollfd pfd[2] = {{.fd = uplink_fd(a->up), .events = POLLIN},
                                {.fd = a->sigfd, .events = POLLIN}};
        if (poll(pfd, 2, (int)(wait > 1000 ? 1000 : wait)) > 0 &&
            (pfd[1].revents & POLLIN) && read(a->sigfd, &si, sizeof(si)) > 0 &&
            si.ssi_signo != SIGHUP)
            return false;
    }
}

/*
 * A bad line in a pipe (or a file changed during the replay, which was checked
 * whole at the open): say exactly what the store keeps, and how to go on.
 */
static void
replay_stopped(const struct agent *a)
{
    char t[32];

    if (a->replayed_ms == INT64_MIN) {
        log_error("replay: stopped before any input of %s was used", a->replay_path);
        return;
    }
    evtrace_format_time(a->replayed_ms / 1000, t, sizeof(t));
    log_error("replay: stopped; the store keeps the input of %s up to %s (%" PRId64
              " ms), and a replay into it goes on after that",
              a->replay_path, t, a->replayed_ms);
}

/* Replay: the trace's clock, as fast as it can be read; signals still stop it. */
static int
run_replay(struct agent *a)
{
    struct signalfd_siginfo si;
    /* A resumed replay starts at the time its store reached, never before: the
     * input up to it is skipped, and nothing (a PUBACK of a message queued
     * before the kill, an expiry) may be dated at the skipped samples' times. */
    int64_t now = a->resume_ms, checked = 0, next_day = INT64_MIN, day = 0;

    for (;;) {
        int64_t due = sources_due(a, now == INT64_MIN ? 0 : now);
        if (due == INT64_MAX)
            break;
        int64_t d = pipeline_next_due_ms(a->pl);
        if (now != INT64_MIN && d < due)
            due = d;
        if (due > now)
            now = due;
        if (sources_read(a, now) < 0) {
            replay_stopped(a);
            return 1;
        }
        pipeline_tick(a->pl, now);
        daemon_home_work(a, now);
        if (a->up != NULL && (a->queued || checked % 1024 == 0)) {
            bool go_on = true;
            if (a->queued && a->linger_ms > 0)
                go_on = replay_wait(a, now, false);
            else
                uplink_work(a->up, clock_mono_us() / 1000, now);
            a->queued = false;
            if (!go_on) {
                log_notice("stopped during the replay");
                break;
            }
        }
        if (now >= next_day) {
            /* Memory per simulated day: the RSS benchmark reads these lines. */
            if (next_day != INT64_MIN)
                log_debug("replay: day %" PRId64 ", VmRSS %lld kB, written %lld bytes",
                          ++day, proc_value("/proc/self/status", "VmRSS"),
                          proc_value("/proc/self/io", "wchar"));
            if (next_day != INT64_MIN) {
                char when[48];
                snprintf(when, sizeof(when), "day %" PRId64 ", ", day);
                log_store_io(CFG_LOG_DEBUG, when);
            }
            next_day = now + 86400000;
        }
        if (++checked % 4096 == 0 && read(a->sigfd, &si, sizeof(si)) > 0 &&
            si.ssi_signo != SIGHUP) {
            log_notice("stopped during the replay");
            break;
        }
    }
    if (now != INT64_MIN)
        pipeline_tick(a->pl, now);
    log_notice("replay finished: %" PRIu64 " samples, %" PRIu64 " events, %" PRIu64
               " orders created, %" PRIu64 " queued", a->pl->samples, a->pl->events,
               a->pl->orders_created, a->pl->orders_queued);
    if (a->hh.n_demand > 0)
        log_notice("household: %u deliveries poured in", hh_source_delivered(a->srcs[0].s));
    if (a->up != NULL) {
        if (a->linger_ms > 0 && uplink_pending_max_seq(a->up) > 0) {
            log_notice("replay: waiting up to %" PRId64 " s for the outbox to be "
                       "answered", a->linger_ms / 1000);
            replay_wait(a, now, true);
        }
        int64_t left = uplink_pending_max_seq(a->up);
        if (left > 0)
            log_warning("replay: messages up to sequence number %" PRId64 " are still "
                        "unanswered; they stay in the outbox for the next run", left);
    }
    stop_uplink(a, now); /* the home broker's goodbye too */
    if (a->pl->store_errors > 0)
        log_error("%" PRIu64 " store operations failed, the last: %s",
                  a->pl->store_errors, a->pl->last_error);
    return a->pl->store_errors > 0 ? 1 : 0;
}

/*
 * A trace replay saves the pipeline's state with every commit; one that
 * resumes takes it back, so it goes on exactly where the last commit was (the
 * same events as a replay never stopped), and skips only the inputs that
 * commit had taken in. Without a usable state (an older store, another
 * configuration) conditioning starts afresh after every input up to resume_ms.
 */
static void
resume_replay(struct agent *a)
{
    char err[ERRLEN], t[32];

    a->resume_n = UINT32_MAX;
    if (a->resume_ms != INT64_MIN) {
        evtrace_format_time(a->resume_ms / 1000, t, sizeof(t));
        if (resume_load(a->pl, a->resume_ms, err, sizeof(err)) == 0) {
            a->resume_n = a->pl->in_t_ms == a->resume_ms ? a->pl->in_n : 0;
            log_info("replay: the state of %s restored: going on as if never "
                     "stopped", t);
        } else {
            log_warning("replay: %s; conditioning starts afresh after %s, and the "
                        "first events may differ from a replay never stopped",
                        err, t);
        }
    }
    a->pl->resumable = true;
}

/*
 * The device key: made on the first start if missing (0600), refused when
 * group or others may read it; it signs every queued order. Only its public
 * thumbprint is ever logged.
 */
static int
load_key(const struct agent_config *cfg, struct keys *out)
{
    struct keys k;
    char err[ERRLEN], kid[KEYS_B64_PK_LEN + 1];
    int r = keys_load(cfg->key_path, &k, err, sizeof(err));

    if (r == -ENOENT) {
        if ((r = keys_generate(cfg->key_path, false, &k, err, sizeof(err))) < 0) {
            log_error("device key: %s", err);
            return r;
        }
        keys_thumbprint(k.pk, kid);
        log_notice("made a new device key %s (kid %s)", cfg->key_path, kid);
    } else if (r < 0) {
        log_error("device key: %s", err);
        return r;
    } else {
        keys_thumbprint(k.pk, kid);
        log_info("device key %s (kid %s)", cfg->key_path, kid);
    }
    *out = k;
    keys_wipe(&k);
    return 0;
}

static int
check_config(const char *path, bool files)
{
    char n[96];
    struct agent_config *c = malloc(sizeof(*c));
    struct cfg_errors *e = malloc(sizeof(*e));
    int r = 1;

    if (c == NULL || e == NULL) {
        fprintf(stderr, "pantry-agent: out of memory\n");
    } else if (cfg_load(path, c, e) < 0 || (files && cfg_check_files(path, c, e) > 0)) {
        print_errors(e, false);
    } else {
        printf("%s: ok (%s)\n", path, counts(c, n, sizeof(n)));
        if (files)
            printf("files: the key, the store%s%s are as pantry-agent needs them at "
                   "start, for this user\n",
                   c->broker.url[0] ? " and the broker's files" : "",
                   c->home.broker.url[0] ? " and the home broker's files" : "");
        else
            printf("files: not checked (--settings-only)\n");
        printf("hardware: not probed: load cells and buttons are checked as settings "
               "only (pantry-sensors probe reads them)\n");
        r = 0;
    }
    free(c);
    free(e);
    return r;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", required_argument, NULL, 'C'},
        {"settings-only", no_argument, NULL, 'O'},
        {"replay", required_argument, NULL, 'r'},
        {"linger", required_argument, NULL, 'L'},
        {"household", required_argument, NULL, 'H'},
        {"household-start", required_argument, NULL, 'S'},
        {"household-days", required_argument, NULL, 'D'},
        {"household-period", required_argument, NULL, 'P'},
        {"household-live", no_argument, NULL, 'N'},
        {"foreground", no_argument, NULL, 'f'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {NULL, 0, NULL, 0},
    };
    struct agent a = {.config_path = CFG_DEFAULT_PATH, .epfd = -1, .sigfd = -1,
                      .timerfd = -1, .ctlfd = -1, .wakefd = -1, .lockfd = -1,
                      .linger_ms = LINGER_MS,
                      .hh = {.start_s = HH_EPOCH_S, .start_packs_milli = 1000, .seed = 1}};
    int64_t linger_s = 0;
    const char *check_path = NULL;
    bool settings_only = false;
    struct cfg_errors *errs = NULL;
    char err[ERRLEN];
    int c, rc = 1;

    /* The daemon's own Grocy sender, started by grocy.c (grocy-wire.h). */
    if (argc == 2 && strcmp(argv[1], GROCY_SENDER_ARG) == 0)
        return grocy_sender_main();
    while ((c = getopt_long(argc, argv, "c:fvhV", opts, NULL)) != -1) {
        switch (c) {
        case 'c': a.config_path = optarg; break;
        case 'C': check_path = optarg; break;
        case 'O': settings_only = true; break;
        case 'r': a.replay_path = optarg; break;
        case 'L':
            if (!text_parse_uint(optarg, 4, false, &linger_s) || linger_s > 3600) {
                fprintf(stderr, "pantry-agent: --linger: expected seconds from 0 to "
                                "3600, found '%s'\n", optarg);
                return 2;
            }
            a.linger_ms = linger_s * 1000;
            break;
        case 'H':
            if (a.hh.n_demand == CFG_MAX_ITEMS) {
                fprintf(stderr, "pantry-agent: --household: at most %d, one per item\n",
                        CFG_MAX_ITEMS);
                return 2;
            }
            a.household[a.hh.n_demand++] = optarg;
            break;
        case 'S':
            if (utc_parse(optarg, &a.hh.start_s) < 0) {
                fprintf(stderr, "pantry-agent: --household-start: expected a UTC time "
                                "like 2026-10-22T00:00:00Z, found '%s'\n", optarg);
                return 2;
            }
            break;
        case 'D':
            if (!text_parse_uint(optarg, 4, false, &a.hh.days) || a.hh.days < 1 ||
                a.hh.days > 3660) {
                fprintf(stderr, "pantry-agent: --household-days: expected 1 to 3660, "
                                "found '%s'\n", optarg);
                return 2;
            }
            break;
        case 'P':
            if (!text_parse_uint(optarg, 6, false, &a.hh.period_ms) ||
                a.hh.period_ms < 100 || a.hh.period_ms > 600000) {
                fprintf(stderr, "pantry-agent: --household-period: expected "
                                "milliseconds from 100 to 600000, found '%s'\n", optarg);
                return 2;
            }
            break;
        case 'N': a.hh_live = true; break;
        case 'f': a.foreground = true; break;
        case 'v': a.verbose = true; break;
        case 'h': fputs(usage_text, stdout); return 0;
        case 'V': printf("pantry-agent %s\n", PANTRY_VERSION); return 0;
        default: fputs("Try 'pantry-agent --help'.\n", stderr); return 2;
        }
    }
    if (check_path != NULL && optind == argc)
        return check_config(check_path, !settings_only);
    if (settings_only && optind == argc) {
        fprintf(stderr, "pantry-agent: --settings-only needs --check-config\n");
        return 2;
    }
    if (optind != argc) {
        fprintf(stderr, "pantry-agent: unexpected argument '%s'\nTry 'pantry-agent "
                        "--help'.\n", argv[optind]);
        return 2;
    }
    if (a.hh.n_demand > 0 && a.replay_path != NULL) {
        fprintf(stderr, "pantry-agent: --household and --replay: one or the other\n");
        return 2;
    }
    if (a.hh.n_demand == 0 && (a.hh.start_s != HH_EPOCH_S || a.hh.days != 0 ||
                               a.hh.period_ms != 0 || a.hh_live)) {
        fprintf(stderr, "pantry-agent: --household-start, --household-days, "
                        "--household-period and --household-live need --household\n");
        return 2;
    }
    if (a.hh_live && a.hh.start_s != HH_EPOCH_S) {
        fprintf(stderr, "pantry-agent: --household-live starts now: no "
                        "--household-start\n");
        return 2;
    }
    a.hh.demand = a.household;
    if (a.hh_live) /* the next whole second, so the first sample is not late */
        a.hh.start_s = clock_wall_ms() / 1000 + 1;
    else if (a.hh.n_demand > 0)
        a.replay_path = "the household";
    bool journal = !a.foreground && log_stderr_is_journal();
    log_setup(a.verbose ? CFG_LOG_DEBUG : CFG_LOG_INFO, journal);
    a.cfg = malloc(sizeof(*a.cfg));
    a.pl = malloc(sizeof(*a.pl));
    errs = malloc(sizeof(*errs));
    if (a.cfg == NULL || a.pl == NULL || errs == NULL) {
        log_error("out of memory");
        goto out;
    }
    /* The files it names, as --check-config checks them: a missing key folder
     * or an unreadable credentials file is said here, by name and setting. */
    if (cfg_load(a.config_path, a.cfg, errs) < 0 ||
        cfg_check_files(a.config_path, a.cfg, errs) > 0) {
        print_errors(errs, true);
        goto out;
    }
    log_setup(a.verbose ? CFG_LOG_DEBUG : a.cfg->log_level, journal);
    /* A trace is checked whole, and a household read, before the key or the
     * store is touched. */
    a.replayed_ms = INT64_MIN;
    if ((a.replay_path != NULL || a.hh_live) && sources_open(&a) < 0)
        goto out;
    /* One writer per store: a replay into the store of a running daemon (or a
     * second daemon) is refused before anything is written. */
    if (store_lock(a.cfg->store_path, &a.lockfd, err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto out;
    }
    if (load_key(a.cfg, &a.key) < 0)
        goto out;
    /* The store's writes counted from here on (store-io.h); without it the
     * store works the same, and the counts stay 0. */
    if (store_io_install() < 0)
        log_warning("store: cannot count its writes (no SQLite VFS to wrap)");
    if (store_open(a.cfg->store_path, 0, &a.db, err, sizeof(err)) < 0) {
        log_error("%s", err);
        goto out;
    }
    if (a.replay_path == NULL && !a.hh_live && sources_open(&a) < 0)
        goto out;
    if (a.hh.n_demand > 0)
        hh_source_use_store(a.srcs[0].s, a.db);
    if (setup_fds(&a) < 0)
        goto out;
    int64_t start = a.replay_path ? 0 : clock_wall_ms();
    a.resume_ms = INT64_MIN;
    if (a.replay_path != NULL) {
        int64_t first = sources_due(&a, 0);
        start = first == INT64_MAX ? 0 : first;
        /* A replay into a store that has seen part of it goes on from there. */
        bool seen = store_meta_get(a.db, PL_META_PROCESSED, &a.resume_ms) == 0;
        if (seen && a.hh.n_demand > 0) {
            log_error("household: the store %s has seen a replay already: a simulated "
                      "household needs a store of its own", a.cfg->store_path);
            goto out;
        }
        if (seen) {
            char t[32];
            evtrace_format_time(a.resume_ms / 1000, t, sizeof(t));
            log_notice("replay: the store has processed the trace up to %s; going on "
                       "from there", t);
            if (a.resume_ms > start)
                start = a.resume_ms;
        } else {
            a.resume_ms = INT64_MIN;
        }
    }
    if (start_pipeline(&a, start) < 0)
        goto out;
    if (a.replay_path != NULL && a.hh.n_demand == 0)
        resume_replay(&a);
    if (start_uplink(&a) < 0)
        goto out;
    rc = a.replay_path ? run_replay(&a) : run_live(&a);
    stop_recording(&a);
    if (pipeline_fini(a.pl) < 0) {
        log_error("store: the last writes failed: %s", store_errmsg(a.db));
        rc = 1;
    }
out:
    home_free(a.home); /* stopped with the uplink, or never connected */
    grocy_stop(&a);
    uplink_free(a.up);
    sources_close(&a);
    if (a.db != NULL) {
        store_close(a.db); /* its last checkpoint counted too */
        log_store_io(CFG_LOG_NOTICE, "since the start, ");
    }
    if (a.ctlfd >= 0) {
        unlink(a.cfg->control_socket);
        close(a.ctlfd);
    }
    int fds[] = {a.epfd, a.sigfd, a.timerfd, a.wakefd, a.lockfd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    keys_wipe(&a.key);
    free(a.cfg);
    free(a.pl);
    free(errs);
    return rc;
}
