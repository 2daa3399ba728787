/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-agent's command line (daemon.h): the options into struct agent, their
 * checks (the household's go together, and not with --replay), --help, and
 * --check-config, which loads a configuration, checks the files it names, and
 * prints every error without starting anything.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent/config/agent-config.h"
#include "agent/daemon/daemon.h"
#include "agent/logging.h"
#include "agent/msg/utc.h"
#include "sensors/text.h"

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

void
daemon_print_errors(const struct cfg_errors *e, bool to_log)
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

const char *
daemon_counts(const struct agent_config *c, char *buf, size_t len)
{
    snprintf(buf, len, "%zu item%s, %zu channel%s, %zu button%s", c->n_items,
             c->n_items == 1 ? "" : "s", c->n_channels, c->n_channels == 1 ? "" : "s",
             c->n_buttons, c->n_buttons == 1 ? "" : "s");
    return buf;
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
        daemon_print_errors(e, false);
    } else {
        printf("%s: ok (%s)\n", path, daemon_counts(c, n, sizeof(n)));
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

/* One option of the command line into a (check_path, settings_only: those of
 * --check-config); -1 to go on, else the exit status after a message, or of
 * --help and --version. */
static int
parse_option(int c, struct agent *a, const char **check_path, bool *settings_only)
{
    int64_t linger_s = 0;

    switch (c) {
    case 'c':
        a->config_path = optarg;
        break;
    case 'C':
        *check_path = optarg;
        break;
    case 'O':
        *settings_only = true;
        break;
    case 'r':
        a->replay_path = optarg;
        break;
    case 'L':
        if (!text_parse_uint(optarg, 4, false, &linger_s) || linger_s > 3600) {
            fprintf(stderr,
                    "pantry-agent: --linger: expected seconds from 0 to "
                    "3600, found '%s'\n",
                    optarg);
            return 2;
        }
        a->linger_ms = linger_s * 1000;
        break;
    case 'H':
        if (a->hh.n_demand == CFG_MAX_ITEMS) {
            fprintf(stderr, "pantry-agent: --household: at most %d, one per item\n",
                    CFG_MAX_ITEMS);
            return 2;
        }
        a->household[a->hh.n_demand++] = optarg;
        break;
    case 'S':
        if (utc_parse(optarg, &a->hh.start_s) < 0) {
            fprintf(stderr,
                    "pantry-agent: --household-start: expected a UTC time "
                    "like 2026-10-22T00:00:00Z, found '%s'\n",
                    optarg);
            return 2;
        }
        break;
    case 'D':
        if (!text_parse_uint(optarg, 4, false, &a->hh.days) || a->hh.days < 1 ||
            a->hh.days > 3660) {
            fprintf(stderr,
                    "pantry-agent: --household-days: expected 1 to 3660, "
                    "found '%s'\n",
                    optarg);
            return 2;
        }
        break;
    case 'P':
        if (!text_parse_uint(optarg, 6, false, &a->hh.period_ms) ||
            a->hh.period_ms < 100 || a->hh.period_ms > 600000) {
            fprintf(stderr,
                    "pantry-agent: --household-period: expected "
                    "milliseconds from 100 to 600000, found '%s'\n",
                    optarg);
            return 2;
        }
        break;
    case 'N':
        a->hh_live = true;
        break;
    case 'f':
        a->foreground = true;
        break;
    case 'v':
        a->verbose = true;
        break;
    case 'h':
        fputs(usage_text, stdout);
        return 0;
    case 'V':
        printf("pantry-agent %s\n", PANTRY_VERSION);
        return 0;
    default:
        fputs("Try 'pantry-agent --help'.\n", stderr);
        return 2;
    }
    return -1;
}

/* The household's options, which go together (and not with --replay); -1 to
 * go on, else the exit status after a message. */
static int
check_household_args(const struct agent *a)
{
    if (a->hh.n_demand > 0 && a->replay_path != NULL) {
        fprintf(stderr, "pantry-agent: --household and --replay: one or the other\n");
        return 2;
    }
    if (a->hh.n_demand == 0 && (a->hh.start_s != HH_EPOCH_S || a->hh.days != 0 ||
                                a->hh.period_ms != 0 || a->hh_live)) {
        fprintf(stderr, "pantry-agent: --household-start, --household-days, "
                        "--household-period and --household-live need --household\n");
        return 2;
    }
    if (a->hh_live && a->hh.start_s != HH_EPOCH_S) {
        fprintf(stderr, "pantry-agent: --household-live starts now: no "
                        "--household-start\n");
        return 2;
    }
    return -1;
}

/* The command line into a: -1 to run the daemon, else the exit status (a
 * usage error, --help, --version, or --check-config done). */
int
daemon_parse_args(int argc, char **argv, struct agent *a)
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
    const char *check_path = NULL;
    bool settings_only = false;
    int c, r;

    while ((c = getopt_long(argc, argv, "c:fvhV", opts, NULL)) != -1)
        if ((r = parse_option(c, a, &check_path, &settings_only)) >= 0)
            return r;
    if (check_path != NULL && optind == argc)
        return check_config(check_path, !settings_only);
    if (settings_only && optind == argc) {
        fprintf(stderr, "pantry-agent: --settings-only needs --check-config\n");
        return 2;
    }
    if (optind != argc) {
        fprintf(stderr,
                "pantry-agent: unexpected argument '%s'\nTry 'pantry-agent "
                "--help'.\n",
                argv[optind]);
        return 2;
    }
    return check_household_args(a);
}
