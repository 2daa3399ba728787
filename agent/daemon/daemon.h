/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's state, shared by pantry-agent.c (options, the live event
 * loop, start, reload and stop), daemon-control.c (the control socket's
 * requests), daemon-replay.c (the replay loop), daemon-home.c (the home
 * broker) and sources.c (its inputs: load cells and buttons, a recorded trace,
 * or a simulated household). Internal to pantry-agent.
 */
#ifndef PANTRY_AGENT_DAEMON_H
#define PANTRY_AGENT_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "agent/config/agent-config.h"
#include "agent/sim/hhsource.h"
#include "agent/msg/keys.h"
#include "agent/link/mqttfeed.h"
#include "agent/pipeline/pipeline.h"
#include "sensors/sensor.h"
#include "agent/pipeline/status.h"
#include "agent/store/store.h"
#include "sensors/cond/trace.h"
#include "agent/link/uplink.h"

#define ERRLEN 512

/* A source and where its channels and buttons go in the configuration. */
struct src {
    struct sample_source *s;
    uint16_t chan[SENSOR_MAX_CHANNELS];
    uint16_t btn[SENSOR_MAX_BUTTONS];
    const char *what; /* for logs */
};

struct agent {
    const char *config_path;
    const char *replay_path; /* the trace, or "the household": on a virtual clock */
    bool
        hh_live; /* --household-live: the household on the real clock, replay_path NULL */
    const char *household[CFG_MAX_ITEMS]; /* --household arguments */
    struct hh_spec hh;
    bool foreground, verbose;
    struct agent_config *cfg;
    struct store *db;
    struct pipeline *pl;
    struct src srcs[CFG_MAX_CHANNELS + CFG_MAX_BUTTONS];
    size_t n_srcs;
    int epfd, sigfd, timerfd, ctlfd, wakefd;
    int lockfd; /* the store's writer lock (store_lock()), held until exit */
    bool stop;
    int64_t wd_ms, next_wd_ms, next_maint_ms;
    /* When the links want the loop again (wall ms; INT64_MAX: only on an
     * event), from their last work: run_live()'s job table. */
    int64_t up_due_ms, home_due_ms, grocy_due_ms;
    int64_t next_status_ms; /* the next STATUS= line for systemd */
    int64_t next_trim_ms;   /* memtrim_due(): when to hand back unused pages */
    bool was_linked;        /* a broker link was up at the last turn of the loop */
    FILE *rec;
    struct trace_writer recw;
    int64_t rec_until_ms;
    int64_t resume_ms;   /* replay: input up to this was committed by an earlier run */
    uint32_t resume_n;   /* and of the inputs of resume_ms itself, this many */
    int64_t replayed_ms; /* replay: time of the last input given to the pipeline */
    struct keys key;     /* the device key; wiped at exit */
    struct uplink *up;   /* NULL without a broker */
    struct home *home;   /* NULL without a home broker (daemon-home.c) */
    /* Why a configured home link could not be made, and when (wall ms), for
     * pantryctl status; "" when it was made. */
    char home_error[256];
    int64_t home_error_ms;
    bool queued; /* the outbox got a message since the last look */
    int64_t linger_ms;
    bool linger_spent; /* replay: the retailer did not answer once: stop waiting */
    /* The scales and buttons on the home broker, or NULL; one of srcs. */
    struct mqttfeed *feed;
    struct grocy *grocy; /* NULL without grocy = { ... } or in a replay */
};

/*
 * Open the inputs: the configured load cells and buttons, or with replay_path
 * the trace (checked whole first) or the household (hh). 0, or a negative
 * errno after the reason was logged.
 */
int sources_open(struct agent *a);
/* Close them all. */
void sources_close(struct agent *a);
/* Everything due at now from every source, into the pipeline (and a recording). */
int sources_read(struct agent *a, int64_t now);
/* When a source is due next (INT64_MAX: none ever). */
int64_t sources_due(const struct agent *a, int64_t now);
/*
 * A message of the home broker for the scales and buttons on it (ctx: the
 * agent), for the home link's callback: it goes to a->feed as it is now, so
 * the callback stays right across a reload that reopens the sources; nothing
 * happens without a feed. The topics to subscribe are a->feed's
 * (mqttfeed_n_topics(), mqttfeed_topic()).
 */
void sources_feed_message(void *ctx, const char *topic, const char *payload, size_t len,
                          bool retained, int64_t now_ms);

/*
 * A request of pantryctl on the control socket (daemon-control.c), the
 * control_handler of control_serve() with ctx the agent: 0 or a negative
 * errno, msg the answer for people, *data what --json adds (NULL for none).
 */
struct control_request;
struct cJSON;
/* The command line into a (daemon-args.c): -1 to run the daemon, else the
 * exit status (a usage error, --help, --version, or --check-config done). */
int daemon_parse_args(int argc, char **argv, struct agent *a);
/* A configuration's errors, on stderr or (to_log) in the log. */
void daemon_print_errors(const struct cfg_errors *e, bool to_log);
/* "N items, N channels, N buttons" of c into buf. */
const char *daemon_counts(const struct agent_config *c, char *buf, size_t len);

int daemon_control_request(void *ctx, const struct control_request *req, char *msg,
                           size_t len, struct cJSON **data);
/* End a recording started over the control socket, flushed and synced;
 * nothing without one. */
void daemon_stop_recording(struct agent *a);

/* The uplink and the home broker stopped, with their goodbyes; Grocy stopped
 * (pantry-agent.c). */
void daemon_stop_uplink(struct agent *a, int64_t now);

/*
 * The replay (daemon-replay.c). daemon_replay_start(): where it starts (*start:
 * its first input, or where an earlier run into the store stopped, kept in
 * a->resume_ms); 0, or -1 after the reason was logged (a household needs a
 * store of its own). daemon_resume_replay(): the pipeline's state of that run
 * read back (resume.h). daemon_run_replay(): the loop to the end of the
 * inputs or a stop signal; the exit status. daemon_log_store_io(): the
 * store's writes since the start at priority, after when ("day 3, ").
 */
int daemon_replay_start(struct agent *a, int64_t *start);
void daemon_resume_replay(struct agent *a);
int daemon_run_replay(struct agent *a);
void daemon_log_store_io(enum cfg_log priority, const char *when);

/* The home broker (daemon-home.c, home.h): made and watched when configured
 * (0, or a negative errno after the reason was logged); its work, returning
 * the ms until it needs to run again; its goodbye and free. */
int daemon_home_start(struct agent *a);
int64_t daemon_home_work(struct agent *a, int64_t now);
void daemon_home_stop(struct agent *a, int64_t now);
/* What pantryctl status shows of the home link: home_status(), or when the
 * configured link could not be made, not connected with the reason. */
void daemon_home_status(const struct agent *a, struct status_home *out);

/*
 * The household's Grocy (grocy.c, daemon-grocy.c): started in live mode when configured, with
 * its eventfd watched; 0, or a negative errno after the reason was logged
 * (a key file others may read is refused). Stopped (NULL is fine).
 */
int daemon_grocy_start(struct agent *a);
void daemon_grocy_stop(struct agent *a);
/* Its work at now (wall ms); how long it may wait (ms, INT64_MAX: no timer). */
int64_t daemon_grocy_due(struct agent *a, int64_t now);

#endif
