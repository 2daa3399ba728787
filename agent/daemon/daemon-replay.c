/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's replay loop (--replay TRACE, --household): the inputs fed to
 * the pipeline on their own clock as fast as they come, the broker's answers
 * waited for (--linger) when an order is queued and at the end, memory and the
 * store's writes logged per simulated day for the benchmarks, and a replay
 * into a store that has seen part of it resumed where it stopped (resume.h).
 */
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "agent/daemon/daemon.h"
#include "agent/sim/hhsource.h"
#include "agent/logging.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/resume.h"
#include "agent/store/store-io.h"
#include "agent/store/store.h"
#include "agent/link/uplink.h"
#include "agent/msg/utc.h"
#include "models/units.h"

/*
 * The store's writes since the start (store-io.h), cumulative: the store
 * benchmark (tests/store/bench-daemon.py) reads these lines, a day's figures
 * being the difference of two.
 */
void
daemon_log_store_io(enum cfg_log priority, const char *when)
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
                            "every unanswered message)",
                            target, a->linger_ms / 1000);
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
    utc_format(a->replayed_ms / 1000, t, sizeof(t));
    log_error("replay: stopped; the store keeps the input of %s up to %s (%" PRId64
              " ms), and a replay into it goes on after that",
              a->replay_path, t, a->replayed_ms);
}

/* Memory and the store's writes after simulated day `day`: the RSS and the
 * store benchmarks read these lines. */
static void
log_day(int64_t day)
{
    char when[48];

    log_debug("replay: day %" PRId64 ", VmRSS %lld kB, written %lld bytes", day,
              proc_value("/proc/self/status", "VmRSS"),
              proc_value("/proc/self/io", "wchar"));
    snprintf(when, sizeof(when), "day %" PRId64 ", ", day);
    daemon_log_store_io(CFG_LOG_DEBUG, when);
}

/* Replay: the trace's clock, as fast as it can be read; signals still stop it. */
int
daemon_run_replay(struct agent *a)
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
            if (next_day != INT64_MIN)
                log_day(++day);
            next_day = now + MODELS_DAY_MS;
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
               " orders created, %" PRIu64 " queued",
               a->pl->samples, a->pl->events, a->pl->orders_created,
               a->pl->orders_queued);
    if (a->hh.n_demand > 0)
        log_notice("household: %u deliveries poured in",
                   hh_source_delivered(a->srcs[0].s));
    if (a->up != NULL) {
        if (a->linger_ms > 0 && uplink_pending_max_seq(a->up) > 0) {
            log_notice("replay: waiting up to %" PRId64 " s for the outbox to be "
                       "answered",
                       a->linger_ms / 1000);
            replay_wait(a, now, true);
        }
        int64_t left = uplink_pending_max_seq(a->up);
        if (left > 0)
            log_warning("replay: messages up to sequence number %" PRId64 " are still "
                        "unanswered; they stay in the outbox for the next run",
                        left);
    }
    daemon_stop_uplink(a, now); /* the home broker's goodbye too */
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
/*
 * Where a replay starts (*start): at its first input, or where an earlier run
 * into the same store stopped (a->resume_ms, else INT64_MIN). 0, or -1 after
 * the reason was logged: a simulated household needs a store of its own.
 */
int
daemon_replay_start(struct agent *a, int64_t *start)
{
    int64_t first = sources_due(a, 0);

    *start = first == INT64_MAX ? 0 : first;
    /* A replay into a store that has seen part of it goes on from there. */
    bool seen = store_meta_get(a->db, PL_META_PROCESSED, &a->resume_ms) == 0;
    if (seen && a->hh.n_demand > 0) {
        log_error("household: the store %s has seen a replay already: a simulated "
                  "household needs a store of its own",
                  a->cfg->store_path);
        return -1;
    }
    if (seen) {
        char t[32];
        utc_format(a->resume_ms / 1000, t, sizeof(t));
        log_notice("replay: the store has processed the trace up to %s; going on "
                   "from there",
                   t);
        if (a->resume_ms > *start)
            *start = a->resume_ms;
    } else {
        a->resume_ms = INT64_MIN;
    }
    return 0;
}

void
daemon_resume_replay(struct agent *a)
{
    char err[ERRLEN], t[32];

    a->resume_n = UINT32_MAX;
    if (a->resume_ms != INT64_MIN) {
        utc_format(a->resume_ms / 1000, t, sizeof(t));
        if (resume_load(a->pl, a->resume_ms, err, sizeof(err)) == 0) {
            a->resume_n = a->pl->in_t_ms == a->resume_ms ? a->pl->in_n : 0;
            log_info("replay: the state of %s restored: going on as if never "
                     "stopped",
                     t);
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
