/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Internal to pantryctl (pantryctl.c and the pantryctl-*.c files: the
 * arguments, one file per command or two): its options and commands, the
 * configuration it read, and the helpers they share to read the store and
 * print for people. Messages and exit statuses go through cli-util.h.
 */
#ifndef PANTRY_AGENT_PANTRYCTL_H
#define PANTRY_AGENT_PANTRYCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "agent/cli/cli-util.h"
#include "agent/config/agent-config.h"
#include "agent/store/store.h"
#include "models/units.h"

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

/* Options; each command accepts the global ones and those in its mask. */
enum {
    OPT_DAYS = 1u << 0,
    OPT_WIDTH = 1u << 1,
    OPT_HEIGHT = 1u << 2,
    OPT_ASCII = 1u << 3,
    OPT_LIMIT = 1u << 4,
    OPT_WEIGHT = 1u << 5,
    OPT_SETTLE = 1u << 6,
    OPT_SECONDS = 1u << 7,
    OPT_FORCE = 1u << 8,
    OPT_FROM = 1u << 9,
    OPT_UNTIL = 1u << 10,
    OPT_ARRIVE = 1u << 11,
    OPT_REMOVE = 1u << 12,
    OPT_REASON = 1u << 13,
};

struct opts {
    const char *config;
    bool json;
    int64_t now_ms;     /* --now, else the wall clock */
    int64_t timeout_ms; /* control socket calls */
    bool timeout_given; /* --timeout-ms was given */
    unsigned given;     /* OPT_* seen */
    int64_t days, width, height, limit, weight_mg, settle_ms, seconds;
    bool ascii, force;
    const char *from, *until, *arrive; /* away: as given */
    int64_t remove;                    /* away: 0 for none */
    const char *reason;                /* refused: as given, NULL for none */
    const char *item;                  /* the positional argument, if any */
};

struct command {
    const char *name;
    const char *args;  /* "ITEM", "[ITEM]", "" */
    unsigned opts;     /* OPT_* allowed */
    unsigned required; /* OPT_* required */
    int (*run)(const struct command *cmd, struct opts *o);
    const char *summary;
    const char *help; /* the command's own options and details */
};

extern struct agent_config pctl_cfg; /* the configuration read (--config) */

/* Print s without its control characters (shown as ?). */
void put_clean(FILE *f, const char *s);
/* Print s cleaned and cut to at most cols characters. */
void put_cut(const char *s, int cols);
/* Print a cJSON object as one line and free it; 0, or 1 when out of memory. */
int print_json(cJSON *o);
/* Grams, a time and a day for people, into buf. */
const char *fmt_g(int64_t mg, char *buf, size_t len);
const char *fmt_time(int64_t ms, char *buf, size_t len);
const char *fmt_day(int64_t ms, char *buf, size_t len);
/* A runout time of the models (s, MODELS_NEVER) in ms; -1 for never or none (0). */
int64_t runout_ms(int64_t s);
/* The index of item id in the configuration, or -1 after a usage error. */
int find_item(const char *id);
/* The daemon's store, read-only; 0, or EXIT_REFUSED after a message. */
int open_store(struct store **db);
/* The item's view; 1 when there is one, 0 when none yet, -errno after a message. */
int get_view(struct store *db, const char *item, struct store_view *v);
cJSON *view_json(const struct cfg_item *it, const struct store_view *v, int64_t now_ms);

/* The command named name, or NULL (pantryctl.c). */
const struct command *find_command(const char *name);
/* pantryctl --help, and one command's help, on stdout (pantryctl.c). */
void usage(void);
void command_usage(const struct command *c);
/*
 * The options and the command (pantryctl-args.c): 0 with *o and *cmd, or an
 * exit status after a message; --version and help print and exit 0.
 */
int parse_args(int argc, char **argv, struct opts *o, const struct command **cmd);

/* history [ITEM]: the store's history (pantryctl-history.c). */
int cmd_history(const struct command *cmd, struct opts *o);
/* calibrate ITEM --weight GRAMS: tare, then span (pantryctl-calibrate.c). */
int cmd_calibrate(const struct command *cmd, struct opts *o);

/* A number of the daemon's answer (key of o) scaled to an integer: 1 known
 * with *out, 0 null (*out -1), -1 bad (pantryctl-status.c). */
int pctl_json_num(const cJSON *o, const char *key, double scale, int64_t *out);
/*
 * The daemon's "link" and "home" objects checked, and when print, printed for
 * people (root NULL) or copied into root; 0, or -EPROTO naming the bad key in
 * *bad, nothing printed (pantryctl-links.c).
 */
int show_link(const cJSON *link, bool print, cJSON *root, const char **bad);
int show_home(const cJSON *home, bool print, cJSON *root, const char **bad);

/* status [ITEM]: live from the daemon, else saved (pantryctl-status.c). */
int cmd_status(const struct command *cmd, struct opts *o);
/* policy [ITEM]: what was learnt from corrections (pantryctl-learn.c). */
int cmd_policy(const struct command *cmd, struct opts *o);

/* forecast ITEM: the chart (pantryctl-chart.c). */
int cmd_forecast(const struct command *cmd, struct opts *o);
/* pubkey: the device's public JWK and kid (pantryctl-pubkey.c). */
int cmd_pubkey(const struct command *cmd, struct opts *o);

struct control_request;
struct control_response;
/* Send req; 0 with *resp, or the exit status after a message (*resp empty). */
int call(const struct opts *o, const struct control_request *req,
         struct control_response *resp);
/* The answer of a call as JSON: ok, error, message (data is added by callers). */
cJSON *response_json(const struct control_response *resp);
/* Print a refusal (text mode) and give its exit status. */
int refused(const char *what, const struct control_response *resp);
/*
 * Send req (an item's request, or none: req->item "") and print the answer:
 * its message, or refused(); with --json the answer with "command", "item"
 * (null when none) and, with_reason, "reason" (null when none). The exit code.
 */
int item_call(const struct command *cmd, struct opts *o,
              const struct control_request *req, bool with_reason);

/* away: list, add or remove away periods over the daemon (pantryctl-away.c). */
int cmd_away(const struct command *cmd, struct opts *o);

/* refused ITEM [--reason TEXT]: a delivery refused at the door
 * (pantryctl-refused.c). */
int cmd_refused(const struct command *cmd, struct opts *o);

/* wishes [ITEM]: products, delivery and away periods (pantryctl-wishes.c). */
int cmd_wishes(const struct command *cmd, struct opts *o);

#endif
