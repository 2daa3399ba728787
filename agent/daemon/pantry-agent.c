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
#include <inttypes.h>
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

#include "agent/pipeline/away.h"
#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "agent/control/control.h"
#include "agent/daemon/daemon.h"
#include "agent/link/grocy-wire.h"
#include "agent/link/home.h"
#include "agent/msg/keys.h"
#include "agent/logging.h"
#include "agent/daemon/memtrim.h"
#include "sensors/notify.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/resume.h"
#include "agent/pipeline/status.h"
#include "agent/store/store-io.h"
#include "agent/store/store.h"
#include "sensors/text.h"
#include "sensors/cond/trace.h"
#include "agent/link/uplink.h"
#include "agent/msg/utc.h"

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

/* ---- start, reload, stop ---- */

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
        utc_format(o.queued_ms / 1000, t, sizeof(t));
        log_notice("order %s queued at %s: %d pack%s of %s (%s), sequence number "
                   "%" PRId64,
                   o.order_id, t, o.packs, o.packs == 1 ? "" : "s", o.item, o.reason,
                   o.seq);
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
                    "%d in all",
                    r, DELIVERY_MAX_AWAY);
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
    int r, home_r = daemon_home_start(a), grocy_r = daemon_grocy_start(a);

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

void
daemon_stop_uplink(struct agent *a, int64_t now)
{
    daemon_home_stop(a, now);
    daemon_grocy_stop(a);
    if (a->up == NULL)
        return;
    uplink_stop(a->up, now, GOODBYE_MS);
    if (a->epfd >= 0)
        epoll_ctl(a->epfd, EPOLL_CTL_DEL, uplink_fd(a->up), NULL);
    uplink_free(a->up);
    a->up = NULL;
}

/* "1 item, 2 channels, 0 buttons": what a configuration has, for the log. */
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
        daemon_print_errors(errs, true);
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
    daemon_stop_recording(a);
    /* The link holds the running configuration: it says goodbye and comes back
     * with the new one (a reconnect; the outbox re-sends what is unanswered). */
    daemon_stop_uplink(a, now);
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
    log_notice("configuration reloaded: %s", daemon_counts(a->cfg, n, sizeof(n)));
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
        (a->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) <
            0 ||
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

/* A relative wait (ms, INT64_MAX: none) as a wall-clock deadline. */
static int64_t
due_after(int64_t now, int64_t wait_ms)
{
    return wait_ms == INT64_MAX || wait_ms > INT64_MAX - now ? INT64_MAX
                                                             : now + wait_ms;
}

static void
run_pipeline(struct agent *a, int64_t now)
{
    pipeline_tick(a->pl, now);
}

static int64_t
due_pipeline(struct agent *a, int64_t now)
{
    (void)now;
    return pipeline_next_due_ms(a->pl);
}

static void
run_recording(struct agent *a, int64_t now)
{
    if (a->rec != NULL && now >= a->rec_until_ms)
        daemon_stop_recording(a);
}

static int64_t
due_recording(struct agent *a, int64_t now)
{
    (void)now;
    return a->rec != NULL ? a->rec_until_ms : INT64_MAX;
}

static void
run_maintenance(struct agent *a, int64_t now)
{
    if (now >= a->next_maint_ms)
        maintain(a, now);
}

static int64_t
due_maintenance(struct agent *a, int64_t now)
{
    (void)now;
    return a->next_maint_ms;
}

static void
run_watchdog(struct agent *a, int64_t now)
{
    if (a->wd_ms > 0 && now >= a->next_wd_ms) {
        /* Only a loop that gets here is healthy: the ping proves it. */
        notify_send("WATCHDOG=1");
        a->next_wd_ms = now + a->wd_ms / 2;
    }
}

static int64_t
due_watchdog(struct agent *a, int64_t now)
{
    (void)now;
    return a->wd_ms > 0 ? a->next_wd_ms : INT64_MAX;
}

static void
run_uplink(struct agent *a, int64_t now)
{
    a->up_due_ms = a->up
                       ? due_after(now, uplink_work(a->up, clock_mono_us() / 1000, now))
                       : INT64_MAX;
}

static int64_t
due_uplink(struct agent *a, int64_t now)
{
    (void)now;
    return a->up_due_ms;
}

static void
run_home(struct agent *a, int64_t now)
{
    a->home_due_ms = due_after(now, daemon_home_work(a, now));
}

static int64_t
due_home(struct agent *a, int64_t now)
{
    (void)now;
    return a->home_due_ms;
}

static void
run_grocy(struct agent *a, int64_t now)
{
    a->grocy_due_ms = due_after(now, daemon_grocy_due(a, now));
}

static int64_t
due_grocy(struct agent *a, int64_t now)
{
    (void)now;
    return a->grocy_due_ms;
}

/* Memory the daemon mapped but no longer uses handed back (memtrim.h): 5 s
 * after start, 2 s after a broker link comes up (the TLS handshake maps
 * most of libcrypto), then every minute. */
static void
run_trim(struct agent *a, int64_t now)
{
    struct memtrim_stats ts;
    bool linked = (a->up != NULL && uplink_connected(a->up)) ||
                  (a->home != NULL && home_connected(a->home));
    if (linked && !a->was_linked && a->next_trim_ms > now + TRIM_AFTER_CONNECT_MS)
        a->next_trim_ms = now + TRIM_AFTER_CONNECT_MS;
    a->was_linked = linked;
    int tr = memtrim_due(now, &a->next_trim_ms, TRIM_MS, &ts);
    if (tr < 0)
        log_debug("memtrim: cannot read /proc/self/smaps: %s", strerror(-tr));
    else if (tr > 0 && ts.disagreed)
        log_debug("memtrim: /proc/self/maps and smaps differ (an emulator, or a "
                  "mapping made meanwhile): no page dropped, malloc trimmed");
    else if (tr > 0)
        log_debug("memtrim: %u mappings (%zu kB) dropped, %u kept", ts.mappings,
                  ts.bytes / 1024, ts.skipped);
}

static int64_t
due_trim(struct agent *a, int64_t now)
{
    (void)now;
    return a->next_trim_ms;
}

/* A line for systemctl status once a minute, when the loop wakes anyway: it
 * sets no deadline of its own. */
static void
run_status(struct agent *a, int64_t now)
{
    char status[128];

    if (now < a->next_status_ms)
        return;
    snprintf(status, sizeof(status),
             "STATUS=%" PRIu64 " samples, %" PRIu64 " events, %" PRIu64 " orders",
             a->pl->samples, a->pl->events, a->pl->orders_created);
    notify_send(status);
    a->next_status_ms = now + 60000;
}

static int64_t
due_sources(struct agent *a, int64_t now)
{
    return sources_due(a, now);
}

/*
 * What the live loop does at each wake-up, in this order, once the sources
 * were read: each job's run() does what is due at now, and once all have run,
 * the loop sleeps until the earliest due() (wall-clock ms; INT64_MAX: only an
 * event wakes it for this job). A new link or timer is one line here.
 */
static const struct job {
    void (*run)(struct agent *a, int64_t now);    /* NULL: nothing to run */
    int64_t (*due)(struct agent *a, int64_t now); /* NULL: no deadline */
} jobs[] = {
    {run_pipeline, NULL},
    {run_recording, due_recording},
    {run_maintenance, due_maintenance},
    {run_watchdog, due_watchdog},
    {run_uplink, due_uplink},
    {run_home, due_home},
    {run_grocy, due_grocy},
    {run_trim, due_trim},
    {run_status, NULL},
    {NULL, due_sources},
    {NULL, due_pipeline},
};

/* The earliest deadline of the jobs, INT64_MAX when none has one. */
static int64_t
next_deadline(struct agent *a, int64_t now)
{
    int64_t due = INT64_MAX;

    for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
        if (jobs[i].due != NULL) {
            int64_t d = jobs[i].due(a, now);
            if (d < due)
                due = d;
        }
    return due;
}

static int
run_live(struct agent *a)
{
    char cnt[96];
    struct epoll_event evs[16];

    a->wd_ms = notify_watchdog_usec() / 1000;
    a->next_wd_ms = 0;
    a->next_maint_ms = clock_wall_ms() + 60000;
    a->next_status_ms = 0;
    a->next_trim_ms = clock_wall_ms() + TRIM_FIRST_MS;
    notify_send("READY=1");
    log_notice("pantry-agent %s running: %s", PANTRY_VERSION,
               daemon_counts(a->cfg, cnt, sizeof(cnt)));
    while (!a->stop) {
        int64_t now = clock_wall_ms();
        if (sources_read(a, now) < 0 && a->replay_path != NULL)
            return 1;
        for (size_t i = 0; i < sizeof(jobs) / sizeof(jobs[0]); i++)
            if (jobs[i].run != NULL)
                jobs[i].run(a, now);
        int64_t due = next_deadline(a, now);
        arm(a, due == INT64_MAX ? 60000 : due - clock_wall_ms());
        int n = epoll_wait(a->epfd, evs, 16, -1);
        for (int i = 0; i < n; i++) {
            int fd = evs[i].data.fd;
            uint64_t x;
            if (fd == a->sigfd)
                on_signals(a);
            else if (fd == a->ctlfd)
                while (control_serve(a->ctlfd, daemon_control_request, a, 500) > 0)
                    ;
            else if (fd == a->timerfd || fd == a->wakefd)
                (void)!read(fd, &x, sizeof(x));
            /* source fds and the MQTT client's: read at the top of the loop */
        }
    }
    notify_send("STOPPING=1");
    daemon_stop_uplink(a, clock_wall_ms());
    return 0;
}

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

/*
 * The store locked (one writer per store: a replay into the store of a running
 * daemon, or a second daemon, is refused before anything is written), the key
 * read, the store opened, the live inputs opened (a trace or a household was
 * opened and checked before) and the fds watched. 0, or -1 after the reason
 * was logged.
 */
static int
open_store_and_inputs(struct agent *a)
{
    char err[ERRLEN];

    if (store_lock(a->cfg->store_path, &a->lockfd, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (load_key(a->cfg, &a->key) < 0)
        return -1;
    /* The store's writes counted from here on (store-io.h); without it the
     * store works the same, and the counts stay 0. */
    if (store_io_install() < 0)
        log_warning("store: cannot count its writes (no SQLite VFS to wrap)");
    if (store_open(a->cfg->store_path, 0, &a->db, err, sizeof(err)) < 0) {
        log_error("%s", err);
        return -1;
    }
    if (a->replay_path == NULL && !a->hh_live && sources_open(a) < 0)
        return -1;
    if (a->hh.n_demand > 0)
        hh_source_use_store(a->srcs[0].s, a->db);
    return setup_fds(a) < 0 ? -1 : 0;
}

/* Everything main() started, stopped and freed (what was not started is
 * skipped); the store's write counts since the start logged. */
static void
close_all(struct agent *a)
{
    home_free(a->home); /* stopped with the uplink, or never connected */
    daemon_grocy_stop(a);
    uplink_free(a->up);
    sources_close(a);
    if (a->db != NULL) {
        store_close(a->db); /* its last checkpoint counted too */
        daemon_log_store_io(CFG_LOG_NOTICE, "since the start, ");
    }
    if (a->ctlfd >= 0) {
        unlink(a->cfg->control_socket);
        close(a->ctlfd);
    }
    int fds[] = {a->epfd, a->sigfd, a->timerfd, a->wakefd, a->lockfd};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
        if (fds[i] >= 0)
            close(fds[i]);
    keys_wipe(&a->key);
    free(a->cfg);
    free(a->pl);
}

int
main(int argc, char **argv)
{
    struct agent a = {
        .config_path = CFG_DEFAULT_PATH,
        .epfd = -1,
        .sigfd = -1,
        .timerfd = -1,
        .ctlfd = -1,
        .wakefd = -1,
        .lockfd = -1,
        .linger_ms = LINGER_MS,
        .hh = {.start_s = HH_EPOCH_S, .start_packs_milli = 1000, .seed = 1}};
    struct cfg_errors *errs = NULL;
    int rc = 1;

    /* The daemon's own Grocy sender, started by grocy.c (grocy-wire.h). */
    if (argc == 2 && strcmp(argv[1], GROCY_SENDER_ARG) == 0)
        return grocy_sender_main();
    if ((rc = daemon_parse_args(argc, argv, &a)) >= 0)
        return rc;
    rc = 1;
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
        daemon_print_errors(errs, true);
        goto out;
    }
    log_setup(a.verbose ? CFG_LOG_DEBUG : a.cfg->log_level, journal);
    /* A trace is checked whole, and a household read, before the key or the
     * store is touched. */
    a.replayed_ms = INT64_MIN;
    if ((a.replay_path != NULL || a.hh_live) && sources_open(&a) < 0)
        goto out;
    if (open_store_and_inputs(&a) < 0)
        goto out;
    int64_t start = a.replay_path ? 0 : clock_wall_ms();
    a.resume_ms = INT64_MIN;
    if (a.replay_path != NULL && daemon_replay_start(&a, &start) < 0)
        goto out;
    if (start_pipeline(&a, start) < 0)
        goto out;
    if (a.replay_path != NULL && a.hh.n_demand == 0)
        daemon_resume_replay(&a);
    if (start_uplink(&a) < 0)
        goto out;
    rc = a.replay_path ? daemon_run_replay(&a) : run_live(&a);
    daemon_stop_recording(&a);
    if (pipeline_fini(a.pl) < 0) {
        log_error("store: the last writes failed: %s", store_errmsg(a.db));
        rc = 1;
    }
out:
    close_all(&a);
    free(errs);
    return rc;
}
