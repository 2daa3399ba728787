/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl's arguments: the global options and each command's, their values
 * checked (a bad one named with what was expected), then the command, `help
 * [COMMAND]`, the options it takes and needs, and its ITEM. Every message is a
 * usage error (exit status 2).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "agent/control/control.h"
#include "agent/cli/pantryctl.h"
#include "sensors/text.h"
#include "agent/msg/utc.h"

#ifndef PANTRY_VERSION
#define PANTRY_VERSION "unknown"
#endif

static const char *const opt_names[] = {
    "--days",   "--width",     "--height",  "--ascii", "--limit",
    "--weight", "--settle-ms", "--seconds", "--force", "--from",
    "--until",  "--arrive",    "--remove",  "--reason"};

/* getopt_long's values of the long options. */
enum {
    O_CONFIG = 256,
    O_JSON,
    O_TIMEOUT,
    O_NOW,
    O_DAYS,
    O_WIDTH,
    O_HEIGHT,
    O_ASCII,
    O_LIMIT,
    O_WEIGHT,
    O_SETTLE,
    O_SECONDS,
    O_FORCE,
    O_FROM,
    O_UNTIL,
    O_ARRIVE,
    O_REMOVE,
    O_REASON,
};

static const struct option lopts[] = {
    {"config", required_argument, NULL, O_CONFIG},
    {"json", no_argument, NULL, O_JSON},
    {"timeout-ms", required_argument, NULL, O_TIMEOUT},
    {"now", required_argument, NULL, O_NOW},
    {"days", required_argument, NULL, O_DAYS},
    {"width", required_argument, NULL, O_WIDTH},
    {"height", required_argument, NULL, O_HEIGHT},
    {"ascii", no_argument, NULL, O_ASCII},
    {"limit", required_argument, NULL, O_LIMIT},
    {"weight", required_argument, NULL, O_WEIGHT},
    {"settle-ms", required_argument, NULL, O_SETTLE},
    {"seconds", required_argument, NULL, O_SECONDS},
    {"force", no_argument, NULL, O_FORCE},
    {"from", required_argument, NULL, O_FROM},
    {"until", required_argument, NULL, O_UNTIL},
    {"arrive", required_argument, NULL, O_ARRIVE},
    {"remove", required_argument, NULL, O_REMOVE},
    {"reason", required_argument, NULL, O_REASON},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* The options that take a plain number: its range, its field of struct opts,
 * its OPT_* bit (0 for a global option). */
static const struct num_opt {
    int id;
    const char *name;
    int64_t min, max;
    size_t off;
    unsigned bit;
} num_opts[] = {
    {O_TIMEOUT, "--timeout-ms", 100, 600000, offsetof(struct opts, timeout_ms), 0},
    {O_DAYS, "--days", 1, 400, offsetof(struct opts, days), OPT_DAYS},
    {O_WIDTH, "--width", 40, 400, offsetof(struct opts, width), OPT_WIDTH},
    {O_HEIGHT, "--height", 4, 100, offsetof(struct opts, height), OPT_HEIGHT},
    {O_LIMIT, "--limit", 1, 100000, offsetof(struct opts, limit), OPT_LIMIT},
    {O_SETTLE, "--settle-ms", 0, 60000, offsetof(struct opts, settle_ms), OPT_SETTLE},
    {O_SECONDS, "--seconds", CONTROL_RECORD_MIN_S, CONTROL_RECORD_MAX_S,
     offsetof(struct opts, seconds), OPT_SECONDS},
};

static int
parse_num_option(const struct num_opt *n, const char *arg, struct opts *o)
{
    int64_t *field = (int64_t *)(void *)((char *)o + n->off);

    if (!cli_parse_num(arg, n->min, n->max, field))
        return cli_usage_error("%s: expected %" PRId64 "..%" PRId64 ", found '%s'",
                               n->name, n->min, n->max, arg);
    if (n->id == O_TIMEOUT)
        o->timeout_given = true;
    o->given |= n->bit;
    return 0;
}

/* One option c with its value arg: 0, an exit status after a message, or -1
 * for an option pantryctl does not have. */
static int
parse_option(int c, const char *arg, struct opts *o, bool *help)
{
    int64_t t_s;

    for (size_t i = 0; i < sizeof(num_opts) / sizeof(num_opts[0]); i++)
        if (num_opts[i].id == c)
            return parse_num_option(&num_opts[i], arg, o);
    switch (c) {
    case 'h':
        *help = true;
        return 0;
    case 'V':
        printf("pantryctl %s\n", PANTRY_VERSION);
        exit(0);
    case O_CONFIG:
        o->config = arg;
        return 0;
    case O_JSON:
        o->json = true;
        return 0;
    case O_NOW:
        if (utc_parse(arg, &t_s) < 0)
            return cli_usage_error("--now: expected YYYY-MM-DDTHH:MM:SSZ, found '%s'",
                                   arg);
        o->now_ms = t_s * 1000;
        return 0;
    case O_ASCII:
        o->ascii = true;
        o->given |= OPT_ASCII;
        return 0;
    case O_WEIGHT:
        if (text_parse_grams(arg, &o->weight_mg) < 0 ||
            o->weight_mg < CONTROL_SPAN_MIN_MG || o->weight_mg > CONTROL_SPAN_MAX_MG)
            return cli_usage_error("--weight: expected grams from 0.001 to 1000000 "
                                   "such as 500 or 499.5, found '%s'",
                                   arg);
        o->given |= OPT_WEIGHT;
        return 0;
    case O_FORCE:
        o->force = true;
        o->given |= OPT_FORCE;
        return 0;
    case O_FROM:
        o->from = arg;
        o->given |= OPT_FROM;
        return 0;
    case O_UNTIL:
        o->until = arg;
        o->given |= OPT_UNTIL;
        return 0;
    case O_ARRIVE:
        o->arrive = arg;
        o->given |= OPT_ARRIVE;
        return 0;
    case O_REMOVE:
        if (!cli_parse_num(arg, 1, CONTROL_AWAY_ID_MAX, &o->remove))
            return cli_usage_error("--remove: expected an id of pantryctl away, 1 or "
                                   "more, found '%s'",
                                   arg);
        o->given |= OPT_REMOVE;
        return 0;
    case O_REASON:
        o->reason = arg;
        o->given |= OPT_REASON;
        return 0;
    default:
        return -1;
    }
}

/* After the options: `help [COMMAND]`, or the command, its options and its
 * ITEM checked. 0 with *cmd, or an exit status after a message. */
static int
parse_command(int argc, char **argv, struct opts *o, bool help,
              const struct command **cmd)
{
    if (optind >= argc) {
        if (help) {
            usage();
            exit(0);
        }
        return cli_usage_error("expected a command");
    }
    const char *name = argv[optind++];
    if (strcmp(name, "help") == 0) {
        const struct command *h = optind < argc ? find_command(argv[optind]) : NULL;
        if (optind < argc && h == NULL)
            return cli_usage_error("help: unknown command '%s'", argv[optind]);
        if (h != NULL)
            command_usage(h);
        else
            usage();
        exit(0);
    }
    if ((*cmd = find_command(name)) == NULL)
        return cli_usage_error("unknown command '%s'", name);
    if (help) {
        command_usage(*cmd);
        exit(0);
    }
    for (unsigned k = 0; k < sizeof(opt_names) / sizeof(opt_names[0]); k++) {
        unsigned bit = 1u << k;
        if ((o->given & bit) && !((*cmd)->opts & bit))
            return cli_usage_error("%s takes no %s", name, opt_names[k]);
        if (((*cmd)->required & bit) && !(o->given & bit))
            return cli_usage_error("%s needs %s", name, opt_names[k]);
    }
    int left = argc - optind;
    const char *args = (*cmd)->args;
    if (strcmp(args, "ITEM") == 0 && left != 1)
        return cli_usage_error("%s: expected one ITEM", name);
    if (strcmp(args, "[ITEM]") == 0 && left > 1)
        return cli_usage_error("%s: expected at most one ITEM", name);
    if (args[0] == '\0' && left != 0)
        return cli_usage_error("%s takes no arguments, found '%s'", name, argv[optind]);
    if (left == 1)
        o->item = argv[optind];
    return 0;
}

int
parse_args(int argc, char **argv, struct opts *o, const struct command **cmd)
{
    bool help = false;
    int c, r;

    *o = (struct opts){.config = CFG_DEFAULT_PATH,
                       .now_ms = -1,
                       .timeout_ms = 5000,
                       .days = 14,
                       .width = 78,
                       .height = 16,
                       .limit = 20,
                       .settle_ms = 3000};
    *cmd = NULL;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hV", lopts, NULL)) != -1) {
        if (c == ':')
            return cli_usage_error("%s needs a value", argv[optind - 1]);
        r = parse_option(c, optarg, o, &help);
        if (r < 0)
            return cli_usage_error("unknown option '%s'", argv[optind - 1]);
        if (r > 0)
            return r;
    }
    return parse_command(argc, argv, o, help, cmd);
}
