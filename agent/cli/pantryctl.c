/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl: the household's command line. `status` asks the running daemon
 * and falls back to the store (pantryctl-status.c); `forecast` and `history`
 * read the daemon's store read-only (the latest forecast of each item, its
 * readings, open orders and history), so they work whether the daemon runs or
 * not; `order`, `confirm`, `cancel`, `tare`, `calibrate`, `record` and `ping`
 * ask the running daemon over its control socket (control.h) and print what it
 * answers. Every command takes --json and prints one JSON object instead. The
 * commands, their options, the JSON keys and the exit statuses are documented
 * in agent/PANTRYCTL.md; this file and the other pantryctl-*.c files (one
 * per command or concern: the arguments, the chart, status, history,
 * calibrate, ...) are the only places that print them.
 *
 * Exit status: 0 done, 1 refused or failed, 2 bad usage, 3 the daemon is not
 * reachable.
 */
#include <ctype.h>
#include <errno.h>
#include <unistd.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cJSON.h>

#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "agent/control/control.h"
#include "agent/msg/keys.h"
#include "agent/pipeline/modelstate.h"
#include "agent/store/store.h"
#include "agent/pipeline/status.h"
#include "sensors/text.h"
#include "agent/cli/pantryctl.h"

#ifndef PANTRY_VERSION
#define PANTRY_VERSION "unknown"
#endif

struct agent_config pctl_cfg; /* about 30 KB: not on the stack */

/* Text from the store or the daemon, printed without its control characters. */
void
put_clean(FILE *f, const char *s)
{
    for (; s != NULL && *s != '\0'; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* Print s cleaned and cut to at most cols characters (UTF-8 sequences count one). */
void
put_cut(const char *s, int cols)
{
    for (int n = 0; *s != '\0'; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch & 0xc0) != 0x80 && n++ == cols)
            break;
        putchar(ch < 0x20 || ch == 0x7f ? '?' : ch);
    }
}

/* Print a cJSON object as one line and free it; 0, or 1 when out of memory. */
int
print_json(cJSON *o)
{
    char *s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;
    int rc = 0;

    if (s == NULL)
        rc = cli_fail("out of memory");
    else
        printf("%s\n", s);
    cJSON_free(s);
    cJSON_Delete(o);
    return rc;
}

/* ---- numbers and times for people ---- */

/* Grams: whole grams from 100 g up, one decimal below. */
const char *
fmt_g(int64_t mg, char *buf, size_t len)
{
    double g = (double)mg / 1000.0;

    snprintf(buf, len, fabs(g) >= 100.0 ? "%.0f g" : "%.1f g", g);
    return buf;
}

/* ms (floored to the second) as local time: the date and time, or with
 * day_only "MM-DD"; "?" when it cannot be shown. The formats are literals so
 * the compiler checks them. */
static const char *
fmt_local(int64_t ms, bool day_only, char *buf, size_t len)
{
    time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    struct tm tm;

    if (localtime_r(&t, &tm) == NULL ||
        (day_only ? strftime(buf, len, "%m-%d", &tm)
                  : strftime(buf, len, "%Y-%m-%d %H:%M", &tm)) == 0)
        snprintf(buf, len, "?");
    return buf;
}

/* Local time "YYYY-MM-DD HH:MM". */
const char *
fmt_time(int64_t ms, char *buf, size_t len)
{
    return fmt_local(ms, false, buf, len);
}

/* Local date "MM-DD". */
const char *
fmt_day(int64_t ms, char *buf, size_t len)
{
    return fmt_local(ms, true, buf, len);
}

/* An absolute runout time in s (INT64_MAX: never) as ms, or -1 for never. */
int64_t
runout_ms(int64_t s)
{
    /* 0 is no time at all (a view saved before any forecast), not 1970. */
    if (s == INT64_MAX || s > INT64_MAX / 1000 || s <= 0)
        return -1;
    return s * 1000;
}

/* ---- configuration, store ---- */

static int
load_config(const struct opts *o)
{
    static struct cfg_errors errs;

    if (cfg_load(o->config, &pctl_cfg, &errs) == 0)
        return 0;
    for (size_t i = 0; i < errs.count; i++)
        fprintf(stderr, "pantryctl: %s\n", errs.msg[i]);
    if (errs.dropped > 0)
        fprintf(stderr, "pantryctl: ... and %zu more errors\n", errs.dropped);
    return EXIT_REFUSED;
}

/* The configured item named by the command line, or -1 after a message. */
int
find_item(const char *id)
{
    int i = cfg_find_item(&pctl_cfg, id);

    if (i < 0) {
        fputs("pantryctl: no item '", stderr);
        put_clean(stderr, id);
        fputs("' in the configuration; configured:", stderr);
        for (size_t k = 0; k < pctl_cfg.n_items; k++)
            fprintf(stderr, " %s", pctl_cfg.items[k].id);
        fputs("\n", stderr);
    }
    return i;
}

int
open_store(struct store **db)
{
    char err[512];
    int r = store_open(pctl_cfg.store_path, STORE_RDONLY, db, err, sizeof(err));

    if (r == -EACCES ||
        (r < 0 && access(pctl_cfg.store_path, R_OK) < 0 && errno == EACCES))
        return cli_fail(
            "%s\n(the store is the daemon's; its group may read it: ask an "
            "administrator to add you, e.g. sudo adduser $USER pantry-agent, "
            "then log in again)",
            err);
    if (r < 0)
        return cli_fail("%s", err);
    return 0;
}

/* The item's view; 1 when there is one, 0 when none yet, -errno after a message. */
int
get_view(struct store *db, const char *item, struct store_view *v)
{
    int r = store_view_get(db, item, v);

    if (r == -ENOENT)
        return 0;
    if (r < 0) {
        cli_fail("%s: reading its forecast: %s", item, store_errmsg(db));
        return r;
    }
    return 1;
}

cJSON *
view_json(const struct cfg_item *it, const struct store_view *v, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();
    int64_t ro = runout_ms(v->runout_s);

    cJSON_AddNumberToObject(o, "t_ms", (double)v->t_ms);
    cJSON_AddNumberToObject(o, "stock_g", (double)v->stock_mg / 1000.0);
    cJSON_AddNumberToObject(o, "uncertainty_g", (double)v->uncertainty_mg / 1000.0);
    cJSON_AddNumberToObject(o, "pack_pct",
                            round((double)v->stock_mg * 1000.0 / (double)it->pack_mg) /
                                10.0);
    cJSON_AddNumberToObject(o, "rate_g_per_day", (double)v->rate_ugpd / 1e6);
    cJSON_AddNumberToObject(o, "sigma_g_per_day", (double)v->sigma_ugpd / 1e6);
    if (ro < 0)
        cJSON_AddNullToObject(o, "days_left");
    else
        cJSON_AddNumberToObject(
            o, "days_left",
            round((double)(ro - now_ms) / (double)MODELS_DAY_MS * 10.0) / 10.0);
    status_add_ms(o, "runout_ms", ro);
    status_add_ms(o, "runout_early_ms", runout_ms(v->runout_lo_s));
    status_add_ms(o, "runout_late_ms", runout_ms(v->runout_hi_s));
    cJSON_AddNumberToObject(o, "lead_s", (double)v->lead_s);
    cJSON_AddNumberToObject(o, "reorder_point_g", (double)v->reorder_point_mg / 1000.0);
    cJSON_AddStringToObject(o, "verdict", v->verdict);
    cJSON_AddBoolToObject(o, "fault", v->fault);
    return o;
}

/* ---- commands over the control socket ---- */

/* Exit status of a failed control_call(), with the message printed. */
static int
call_failed(int r, const char *err, bool json)
{
    bool down = r == -ENOENT || r == -ECONNREFUSED || r == -ETIMEDOUT || r == -EACCES ||
                r == -ENAMETOOLONG || r == -ENOTDIR;
    char msg[768];

    if (r == -EACCES)
        snprintf(msg, sizeof(msg),
                 "%s: not allowed to use the control socket; "
                 "are you in the pantry-agent's group?",
                 err);
    else if (down)
        snprintf(msg, sizeof(msg), "%s: is pantry-agent running?", err);
    else
        snprintf(msg, sizeof(msg), "%s", err);
    if (json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "ok", false);
        cJSON_AddStringToObject(o, "error", control_error_name(r));
        cJSON_AddStringToObject(o, "message", msg);
        cJSON_AddBoolToObject(o, "reachable", !down);
        print_json(o);
    } else {
        fprintf(stderr, "pantryctl: %s\n", msg);
    }
    return down ? EXIT_UNREACHABLE : EXIT_REFUSED;
}

/* The answer of a call as JSON: ok, error, message (data is added by callers). */
cJSON *
response_json(const struct control_response *resp)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddBoolToObject(o, "ok", resp->ok);
    if (resp->ok)
        cJSON_AddNullToObject(o, "error");
    else
        cJSON_AddStringToObject(o, "error", resp->error);
    cJSON_AddStringToObject(o, "message", resp->message);
    return o;
}

/* Send req; 0 with *resp, or the exit status after a message (*resp empty). */
int
call(const struct opts *o, const struct control_request *req,
     struct control_response *resp)
{
    char err[512];
    int r = control_call(pctl_cfg.control_socket, req, resp, (int)o->timeout_ms, err,
                         sizeof(err));

    return r < 0 ? call_failed(r, err, o->json) : 0;
}

/* Print a refusal (text mode) and give its exit status. */
int
refused(const char *what, const struct control_response *resp)
{
    fprintf(stderr, "pantryctl: %s refused (%s): ", what, resp->error);
    put_clean(stderr, resp->message);
    fputc('\n', stderr);
    return EXIT_REFUSED;
}

int
item_call(const struct command *cmd, struct opts *o, const struct control_request *req,
          bool with_reason)
{
    struct control_response resp;
    int rc;

    if ((rc = call(o, req, &resp)) != 0)
        return rc;
    rc = resp.ok ? 0 : EXIT_REFUSED;
    if (o->json) {
        cJSON *j = response_json(&resp);
        cJSON_AddStringToObject(j, "command", cmd->name);
        if (req->item[0] != '\0')
            cJSON_AddStringToObject(j, "item", req->item);
        else
            cJSON_AddNullToObject(j, "item");
        if (with_reason && req->reason[0] != '\0')
            cJSON_AddStringToObject(j, "reason", req->reason);
        else if (with_reason)
            cJSON_AddNullToObject(j, "reason");
        if (print_json(j) != 0)
            rc = EXIT_REFUSED;
    } else if (resp.ok) {
        put_clean(stdout, resp.message);
        putchar('\n');
    } else {
        refused(cmd->name, &resp);
    }
    control_response_fini(&resp);
    return rc;
}

static int
cmd_item_request(const struct command *cmd, struct opts *o)
{
    struct control_request req = {0};

    if (strcmp(cmd->name, "ping") != 0) {
        int i = find_item(o->item);
        if (i < 0)
            return EXIT_USAGE;
        snprintf(req.item, sizeof(req.item), "%s", pctl_cfg.items[i].id);
    }
    if (strcmp(cmd->name, "ping") == 0)
        req.cmd = CONTROL_PING;
    else if (strcmp(cmd->name, "order") == 0)
        req.cmd = CONTROL_ORDER;
    else if (strcmp(cmd->name, "confirm") == 0)
        req.cmd = CONTROL_CONFIRM;
    else if (strcmp(cmd->name, "cancel") == 0)
        req.cmd = CONTROL_CANCEL;
    else if (strcmp(cmd->name, "reset-learning") == 0)
        req.cmd = CONTROL_RESET_LEARNING;
    else
        req.cmd = CONTROL_TARE;
    return item_call(cmd, o, &req, false);
}

static int
cmd_record(const struct command *cmd, struct opts *o)
{
    struct control_request req = {.cmd = CONTROL_RECORD, .seconds = o->seconds};
    struct control_response resp;
    const char *path = NULL;
    int rc;

    (void)cmd;
    if ((rc = call(o, &req, &resp)) != 0)
        return rc;
    path = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(resp.data, "path"));
    rc = resp.ok ? 0 : EXIT_REFUSED;
    if (o->json) {
        cJSON *j = response_json(&resp);
        cJSON_AddStringToObject(j, "command", "record");
        cJSON_AddNumberToObject(j, "seconds", (double)o->seconds);
        if (path != NULL)
            cJSON_AddStringToObject(j, "path", path);
        else
            cJSON_AddNullToObject(j, "path");
        if (print_json(j) != 0)
            rc = EXIT_REFUSED;
    } else if (!resp.ok) {
        refused("record", &resp);
    } else if (path == NULL) {
        rc = cli_fail("the daemon did not say where it records: %s", resp.message);
    } else {
        put_clean(stderr, resp.message);
        fputc('\n', stderr);
        put_clean(stdout, path);
        putchar('\n');
    }
    control_response_fini(&resp);
    return rc;
}

/* ---- keygen ---- */

/*
 * The device key pair, in the configured key_path (keys.h). Prints the public
 * JWK and its kid, never the private key.
 */
static int
cmd_keygen(const struct command *cmd, struct opts *o)
{
    struct keys k;
    char err[512], jwk[KEYS_JWK_MAX], kid[KEYS_B64_PK_LEN + 1];

    (void)cmd;
    if (keys_generate(pctl_cfg.key_path, o->force, &k, err, sizeof(err)) < 0)
        return cli_fail("keygen: %s", err);
    keys_jwk(k.pk, jwk);
    keys_thumbprint(k.pk, kid);
    keys_wipe(&k);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "command", "keygen");
        cJSON_AddStringToObject(j, "path", pctl_cfg.key_path);
        cJSON_AddStringToObject(j, "kid", kid);
        cJSON_AddItemToObject(j, "jwk", cJSON_Parse(jwk));
        return print_json(j) != 0 ? EXIT_REFUSED : 0;
    }
    printf("private key %s (mode 0600, never shown)\nkid %s\njwk %s\n",
           pctl_cfg.key_path, kid, jwk);
    return 0;
}

/* ---- the command table, usage, arguments ---- */

static const struct command commands[] = {
    {"status", "[ITEM]", 0, 0, cmd_status,
     "stock, use, runout and open order of every item (or ITEM)",
     "Asks the running daemon (1 s, or --timeout-ms) for each item's stock,\n"
     "use per day, runout with its early..late interval and order decision;\n"
     "when no daemon answers, shows what it saved in the store, and says\n"
     "which. Adds the open order. While an item is learning (4 uses, 3 days)\n"
     "no rate or runout is shown.\n"},
    {"forecast", "ITEM", OPT_DAYS | OPT_WIDTH | OPT_HEIGHT | OPT_ASCII, 0, cmd_forecast,
     "a chart of ITEM's stock history and its runout forecast",
     "Options:\n"
     "  --days N              history shown, 1..400 days (default 14)\n"
     "  --width N             chart width in columns, 40..400 (default 78)\n"
     "  --height N            chart height in rows, 4..100 (default 16)\n"
     "  --ascii               plain ASCII instead of Unicode braille\n"},
    {"history", "[ITEM]", OPT_LIMIT, 0, cmd_history,
     "order transitions, stock events and the audit log, newest first",
     "Options:\n"
     "  --limit N             lines at most, 1..100000 (default 20)\n"},
    {"wishes", "[ITEM]", 0, 0, cmd_wishes,
     "what orders say the household wants: products, delivery, away",
     "Reads the configuration: each item's ranked products (or that the\n"
     "retailer chooses), pack bounds, price ceiling, delivery place and windows,\n"
     "and the household's away periods, as every reorder carries them (with\n"
     "those set with pantryctl away, when the store can be read).\n"},
    {"order", "ITEM", 0, 0, cmd_item_request, "order ITEM now (asks the daemon)",
     "Asks the daemon to order ITEM now; it checks the mode, the open order,\n"
     "the caps and the budget, and says what it did.\n"},
    {"confirm", "ITEM", 0, 0, cmd_item_request,
     "confirm ITEM's planned order (confirm mode)",
     "Asks the daemon to send ITEM's planned order (items in confirm mode).\n"},
    {"cancel", "ITEM", 0, 0, cmd_item_request,
     "cancel ITEM's open order while the cancel window is open",
     "Asks the daemon to cancel ITEM's open order. After the retailer's cancel\n"
     "window it refuses (ETIME).\n"},
    {"tare", "ITEM", 0, 0, cmd_item_request,
     "make ITEM's platform as it is now read zero",
     "Asks the daemon to take its readings of the last 3 s as ITEM's zero. It\n"
     "says in grams what the platform read before, and warns when it was not\n"
     "empty (a tare is for the empty platform).\n"},
    {"calibrate", "ITEM", OPT_WEIGHT | OPT_SETTLE, OPT_WEIGHT, cmd_calibrate,
     "guided two-point calibration of ITEM's load cell",
     "Guides you (on stderr; Enter on stdin) through a tare of the empty\n"
     "platform and a span with a known weight; the daemon weighs each step from\n"
     "its readings of the last 3 s, so keep still after pressing Enter.\n"
     "Options:\n"
     "  --weight GRAMS        the known weight, e.g. 500 or 499.5 (required)\n"
     "  --settle-ms MS        wait after Enter, 0..60000 (default 3000)\n"},
    {"record", "", OPT_SECONDS, OPT_SECONDS, cmd_record,
     "ask the daemon to record a sample trace; prints its path",
     "Asks the daemon to record its samples and button edges for N seconds\n"
     "(for a bug report); prints the trace's path.\n"
     "Options:\n"
     "  --seconds N           how long, 1..86400 (required)\n"},
    {"keygen", "", OPT_FORCE, 0, cmd_keygen,
     "make the device's Ed25519 key pair (key_path); prints its public JWK",
     "Makes a new key pair with libsodium in the configuration's key_path, mode\n"
     "0600, and prints the public key as a JWK with its RFC 7638 thumbprint (the\n"
     "kid of signed messages). An existing key is never replaced without --force;\n"
     "after a replacement, retailers must be given the new public key. Run it as\n"
     "the service's user. (pantry-agent also makes one on its first start.)\n"
     "Options:\n"
     "  --force               replace an existing key\n"},
    {"pubkey", "", 0, 0, cmd_pubkey,
     "print the device's public key (JWK) and its kid, from key_path",
     "Prints the public key of the configuration's key_path as the JWK the\n"
     "daemon publishes (retained, on <topic_prefix>/<device_id>/key) for the\n"
     "retailer, and its RFC 7638 thumbprint (the kid of signed messages). The\n"
     "key file is the service's (mode 0600): run it as the service's user.\n"},
    {"policy", "[ITEM]", OPT_LIMIT, 0, cmd_policy,
     "what the policy learnt from your corrections, and its audit trail",
     "Reads the daemon's store read-only: for every item (or ITEM) why and how\n"
     "its orders moved (earlier after orders by hand and stockouts, later after\n"
     "cancelled predicted orders, in whole packs more or less), whether predicted\n"
     "orders wait for confirmation (after 3 cancels in a row), and each\n"
     "correction, newest first. pantryctl reset-learning ITEM forgets it.\n"
     "Options:\n"
     "  --limit N             trail lines per item at most, 1..100000 (default 20)\n"},
    {"reset-learning", "ITEM", 0, 0, cmd_item_request,
     "forget what ITEM's policy learnt from corrections (asks the daemon)",
     "Asks the daemon to forget ITEM's learnt shift, order size and \"ask me\n"
     "first\": its orders go back to the configuration. The audit trail keeps\n"
     "the reset.\n"},
    {"away", "", OPT_FROM | OPT_UNTIL | OPT_ARRIVE | OPT_REMOVE, 0, cmd_away,
     "list, add or remove the household's away periods (asks the daemon)",
     "Without options, lists the away periods the daemon plans with: the\n"
     "configured ones and those set here, with their ids. With --from and\n"
     "--until, adds one: no delivery is planned inside it, and every reorder\n"
     "carries it. The daemon keeps it in its store across restarts. At most 8\n"
     "in all; it must not have ended. Configured ones are removed from the\n"
     "configuration, not here.\n"
     "Options:\n"
     "  --from TIME           start: YYYY-MM-DD (local midnight) or\n"
     "                        \"YYYY-MM-DD HH:MM\" in local time\n"
     "  --until TIME          end, after --from (same forms)\n"
     "  --arrive WHEN         after (default) or before: when the delivery\n"
     "                        should come\n"
     "  --remove ID           remove the period ID set with pantryctl away\n"},
    {"refused", "ITEM", OPT_REASON, 0, cmd_refused,
     "ITEM's delivery was refused at the door (asks the daemon)",
     "Tells the daemon that the household refused the delivery of ITEM's open\n"
     "order at the door (wrong product, damaged, not wanted). The order is closed\n"
     "as cancelled (refused) in the history, the retailer gets a signed cancel\n"
     "saying so, and a predicted order teaches the policy to order later and\n"
     "less (pantryctl policy). An order not sent yet cannot have come: cancel it\n"
     "instead.\n"
     "Options:\n"
     "  --reason TEXT         why, kept in the history: 1..120 bytes of text\n"},
    {"ping", "", 0, 0, cmd_item_request, "is the daemon running?",
     "Asks the daemon for its version.\n"},
};
#define N_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static const char global_help[] =
    "Global options (any command):\n"
    "  --config FILE         configuration (default " CFG_DEFAULT_PATH ")\n"
    "  --json                print one JSON object (keys: agent/PANTRYCTL.md)\n"
    "  --timeout-ms MS       wait for the daemon, 100..600000 (default 5000;\n"
    "                        status: 1000, then the saved state)\n"
    "  --now TIME            take TIME (YYYY-MM-DDTHH:MM:SSZ) as now\n"
    "  -h, --help            show help (of a command: pantryctl COMMAND --help)\n"
    "  -V, --version         show the version\n"
    "\n"
    "Exit status: 0 done, 1 refused or failed, 2 bad usage, 3 the daemon is not\n"
    "reachable.\n";

void
usage(void)
{
    printf("Usage: pantryctl [OPTIONS] COMMAND [ARGS]\n\n"
           "The household's view of pantry-agent: what is in stock, when it runs\n"
           "out, what is on order; order, confirm, cancel and calibrate.\n\n"
           "Commands:\n");
    for (size_t i = 0; i < N_COMMANDS; i++) {
        char head[32];
        snprintf(head, sizeof(head), "%s %s", commands[i].name, commands[i].args);
        printf("  %-20s  %s\n", head, commands[i].summary);
    }
    printf("\n%s", global_help);
}

void
command_usage(const struct command *c)
{
    printf("Usage: pantryctl [OPTIONS] %s%s%s\n\n%c%s.\n\n%s\n%s", c->name,
           c->args[0] ? " " : "", c->args, toupper((unsigned char)c->summary[0]),
           c->summary + 1, c->help, global_help);
}

const struct command *
find_command(const char *name)
{
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0)
            return &commands[i];
    return NULL;
}

int
main(int argc, char **argv)
{
    const struct command *cmd;
    struct opts o;
    int r;

    cli_set_prog("pantryctl");
    r = parse_args(argc, argv, &o, &cmd);
    if (r != 0)
        return r;
    if (o.now_ms < 0)
        o.now_ms = clock_wall_ms();
    if (load_config(&o) != 0)
        return EXIT_REFUSED;
    return cmd->run(cmd, &o);
}
