/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What `pantryctl status` shows, shared by the daemon and pantryctl: the
 * learning period of an item (its one definition, which the pipeline also
 * uses to hold back predicted orders), and the daemon's answer to the control
 * socket's "status" request, a JSON object {"items": [...], "link": {...},
 * "home": {...}} (agent/PANTRYCTL.md, "The control socket"). Unknown values
 * are JSON null, never 0 or the epoch: the stock before a settled weight was
 * seen, the rate, runout and reorder point while learning, the runout during
 * a sensor fault.
 */
#ifndef PANTRY_AGENT_STATUS_H
#define PANTRY_AGENT_STATUS_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "agent/config/agent-config.h"
#include "agent/pipeline/pipeline.h"

/* Where an item is in its learning period (PL_WARMUP_EVENTS, PL_WARMUP_MS). */
struct status_learning {
    bool done;            /* both counts reached: forecasts are shown and acted on */
    uint32_t uses;        /* consumptions seen since observation began */
    uint32_t uses_needed; /* PL_WARMUP_EVENTS */
    int64_t days;         /* whole days since observation began, >= 0 */
    int64_t days_needed;  /* PL_WARMUP_MS in whole days */
};

/* The learning period of model m at now_ms (ms since the epoch). */
void status_learning_of(const struct pl_model *m, int64_t now_ms,
                        struct status_learning *out);

/* The link to the retailer's broker, as the daemon knows it now. */
struct status_link {
    bool configured;      /* a broker is configured */
    bool connected;       /* connected now */
    int64_t since_ms;     /* connected, or lost, at (wall clock ms); 0: never was */
    int64_t outbox;       /* messages waiting to go or for an answer; -1: unknown */
    char last_answer[32]; /* the retailer's last ack status, "" none yet */
    char last_answer_order[64]; /* its order id */
    int64_t last_answer_ms;     /* when it came; 0: none */
    char last_error[256];       /* the last failure on the link, "" none */
    int64_t last_error_ms;      /* when; 0: none */
};

/*
 * The link to the household's own broker (home = { ... }, home.h), as the
 * daemon knows it now. The URL is the configured one, scheme://host[:port]
 * (the configuration takes nothing else: no user or password in it); the
 * credentials stay in their file and are never shown.
 */
struct status_home {
    bool configured;        /* a home broker is configured */
    bool connected;         /* connected now */
    int64_t since_ms;       /* connected, or lost, at (wall clock ms); 0: never was */
    char url[CFG_PATH_MAX]; /* the broker's URL */
    char last_error[256];   /* the last failure on the link, "" none */
    int64_t last_error_ms;  /* when; 0: none */
};

/* {"learning": ...}'s value: null when done, else its counts. NULL: no memory. */
/*
 * Grams (mg / 1000) under key in o when known, else null; a time in ms when
 * it is one (> 0), else null. The JSON of both the socket and pantryctl.
 */
void status_add_g(cJSON *o, const char *key, bool known, int64_t mg);
void status_add_ms(cJSON *o, const char *key, int64_t ms);

cJSON *status_learning_json(const struct status_learning *l);

/*
 * The daemon's answer to "status" at now_ms: every item's view refreshed now
 * (pipeline_view()), with its learning period, the link to the retailer and
 * the link to the home broker (NULL or not configured: JSON null). Returns a
 * new object owned by the caller, or NULL when out of memory.
 */
cJSON *status_answer(struct pipeline *pl, int64_t now_ms,
                     const struct status_link *link, const struct status_home *home);

#endif
