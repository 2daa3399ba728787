/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-retailer: what a retailer runs to take signed reorders from pantry
 * agents. `listen` subscribes in an MQTT 5 share group, judges, records,
 * hands off (prints) and acknowledges; `export` prints again what the
 * database accepted; `verify` makes the same judgement offline on tokens
 * read from stdin; `keygen` and `jwk` manage the retailer's own
 * signing key for acks. This file is only the command line: options, their
 * checks and messages, and the top of each call chain (the only place that
 * prints errors). See pantry-retailer(1).
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "retailer/ack.h"
#include "retailer/message-check.h"
#include "sensors/clock.h"
#include "retailer/retailer-config.h"
#include "retailer/keys-cmd.h"
#include "agent/msg/keys.h"
#include "retailer/keytab.h"
#include "retailer/ledger.h"
#include "retailer/listen.h"
#include "agent/msg/message.h"
#include "retailer/metrics-http.h"
#include "retailer/metrics.h"
#include "sensors/notify.h"
#include "retailer/out.h"
#include "retailer/retailer-state.h"
#include "sensors/text.h"
#include "retailer/trust.h"
#include "agent/msg/utc.h"
#include "retailer/webhook.h"
#include "agent/msg/window.h"

#ifndef RETAILER_VERSION
#define RETAILER_VERSION "unknown"
#endif

#define EXIT_USAGE 2
#define DEFAULT_MAX_AGE_S (7 * 86400)
#define DEFAULT_MAX_SKEW_S (5 * 60)
/* The longest duration an option takes: a hundred years. */
#define DURATION_MAX_S (INT64_C(100) * 366 * 86400)

static const char usage_main[] =
    "usage: pantry-retailer COMMAND [OPTIONS]\n"
    "\n"
    "Take signed reorders from pantry agents over MQTT.\n"
    "\n"
    "commands:\n"
    "  listen   subscribe in an MQTT 5 share group, verify, record, print, ack\n"
    "  export   print again the accepted messages of the database since a time\n"
    "  verify   verify compact JWS lines from stdin offline, one verdict per line\n"
    "  keygen   make the retailer's Ed25519 key for signing acks\n"
    "  jwk      print the public JWK of the retailer's key\n"
    "  keys     list, add, register, revoke and rotate device keys in the database\n"
    "\n"
    "`pantry-retailer COMMAND --help` describes each; --version prints the version.\n"
    "See pantry-retailer(1).\n";

static const char usage_listen[] =
    "usage: pantry-retailer listen --url URL [--trust DIR] [--enrol | --tofu]\n"
    "       [OPTIONS]\n"
    "\n"
    "  --url URL              broker: mqtt://HOST:PORT or mqtts://HOST:PORT\n"
    "  --trust DIR            trust store: DIR/<device-id>.jwk, public JWKs (wins\n"
    "                         over the database's key table, pantry-retailer keys)\n"
    "  --enrol                take keys from <prefix>/<device>/key into the key\n"
    "                         table, for devices registered with `keys expect`\n"
    "  --rotate-overlap DUR   --enrol: how long a rotated-out key still counts\n"
    "                         (default 7d)\n"
    "  --tofu                 also pin a device's first key from "
    "<prefix>/<device>/key\n"
    "                         (a development aid; not with --enrol)\n"
    "  --prefix P             topic prefix (default pantry/v1)\n"
    "  --group G              share group (default pantry-retailer)\n"
    "  --client-id ID         MQTT client id, one per listener, the same across\n"
    "                         restarts (default G-HOST: one listener per group\n"
    "                         and host; give each of several its own)\n"
    "  --session-expiry DUR   how long the broker keeps the session (default 1h)\n"
    "  --db FILE|CONNINFO     SQLite state, shared by the group (default\n"
    "                         pantry-retailer.db), or a PostgreSQL database:\n"
    "                         postgresql://... or host=... dbname=... (no\n"
    "                         password here: use ~/.pgpass)\n"
    "  --key FILE             sign acks with this key (pantry-retailer keygen)\n"
    "  --retailer-id ID       name the retailer in acks\n"
    "  --ship-eta DUR         also publish a \"shipped\" ack, eta now + DUR\n"
    "  --ship-eta-max DUR     each order's eta now + a time drawn between\n"
    "                         --ship-eta and DUR, from its order id\n"
    "  --eta-from-order       count the eta from the order's issue time, not now\n"
    "                         (an agent replaying on a virtual clock)\n"
    "  --max-age DUR          reject iat older than this (default 7d)\n"
    "  --max-skew DUR         reject iat further in the future (default 5m)\n"
    "  --windows \"DAYS HH:MM-HH:MM\"  when we deliver, local time (up to 8 times;\n"
    "                         default any time): reject (window) a reorder none\n"
    "                         of whose delivery windows meets one of these\n"
    "  --now TIME             use TIME (YYYY-MM-DDTHH:MM:SSZ) as the clock (tests)\n"
    "  --ca-file FILE, --ca-path DIR   CAs for the broker's certificate\n"
    "  --cert FILE, --cert-key FILE    client certificate and its key\n"
    "  --credentials FILE     user name and password, one per line (mode 0600)\n"
    "  --count N              exit after N accepted messages (with --webhook:\n"
    "                         delivered)\n"
    "  --exit-idle SECONDS    exit after that long without a message\n"
    "  --metrics ADDR:PORT    serve /metrics (Prometheus) and /health there, e.g.\n"
    "                         127.0.0.1:9464 or [::1]:9464 (default: off)\n"
    "  --config FILE          read these options from FILE first, the command line\n"
    "                         winning (default " CONFIG_DEFAULT_PATH ",\n"
    "                         when it exists; '' for none); see\n"
    "                         pantry-retailer.conf(5)\n"
    "  --webhook URL          hand orders off by POST to http(s)://HOST/PATH\n"
    "                         instead of stdout\n"
    "  --webhook-ca FILE      CAs for the webhook's certificate (default: the\n"
    "                         system's)\n"
    "  --webhook-secret FILE  sign each POST: Pantry-Signature, HMAC-SHA256 with\n"
    "                         the file's secret (mode 0600, 16 to 1024 bytes)\n"
    "  --webhook-timeout DUR  give up on one POST after this (default 30s)\n"
    "\n"
    "Accepted orders are JSON lines on stdout, each written and flushed before the\n"
    "order is acknowledged; if stdout fails (its reader went away), the listener\n"
    "stops with status 1 and the order, recorded but unacknowledged, is printed\n"
    "again at the next start with the same --client-id. With --webhook, each is\n"
    "POSTed instead, retried (1 s to 5 min apart) until the order system answers\n"
    "2xx (then acknowledged) or 409/422 (then rejected, \"refused: REASON\").\n"
    "The log is on stderr.\n"
    "\n"
    "The session (and the messages the broker keeps for it) belongs to the client\n"
    "id, and lasts --session-expiry after a disconnect. A stopped listener stays in\n"
    "the share group until then, and the broker keeps its share of the group's\n"
    "messages for it: restart it with the same client id to take them, or stop it\n"
    "for good with --session-expiry 0s once. Exit status: 0 at a signal, --count\n"
    "or --exit-idle; 1 on a failure, or with --exit-idle when the broker was never\n"
    "reached; 2 on bad usage.\n"
    "DUR is a number and a unit: 30s, 15m, 2h, 7d.\n";

static const char usage_export[] =
    "usage: pantry-retailer export --since TIME [--db FILE|CONNINFO]\n"
    "\n"
    "Prints the messages the listeners accepted (reorders and cancels) that were\n"
    "received at or after TIME (YYYY-MM-DDTHH:MM:SSZ), oldest first, one JSON line\n"
    "each, as listen printed them, handed off or not: to recover what a reader of\n"
    "listen's stdout lost. Marks nothing as handed off.\n"
    "\n"
    "  --since TIME           the first time of reception to print\n"
    "  --db FILE|CONNINFO     the listeners' SQLite state (default\n"
    "                         pantry-retailer.db) or PostgreSQL database; it\n"
    "                         must exist\n";

static const char usage_verify[] =
    "usage: pantry-retailer verify --trust DIR [OPTIONS] < TOKENS\n"
    "\n"
    "Reads one compact JWS per line, prints one verdict (JSON) per line, and exits\n"
    "1 if any was rejected, 2 on bad usage, 0 otherwise. A repeated order id is a\n"
    "duplicate; a new one must have a higher sequence number than the device's last.\n"
    "\n"
    "  --trust DIR            trust store: DIR/<device-id>.jwk, public JWKs\n"
    "  --max-age DUR          reject iat older than this (default 7d)\n"
    "  --max-skew DUR         reject iat further in the future (default 5m)\n"
    "  --windows \"DAYS HH:MM-HH:MM\"  when we deliver, local time (up to 8 times;\n"
    "                         default any time): reject (window) a reorder none\n"
    "                         of whose delivery windows meets one of these\n"
    "  --now TIME             judge as if it were TIME (YYYY-MM-DDTHH:MM:SSZ)\n";

static const char usage_keygen[] =
    "usage: pantry-retailer keygen --key FILE [--force]\n"
    "\n"
    "Makes an Ed25519 key for signing acks (mode 0600; an existing file is kept\n"
    "unless --force) and prints its public JWK, for the household's agent\n"
    "configuration (broker.retailer_key), and its kid.\n";

static const char usage_jwk[] = "usage: pantry-retailer jwk --key FILE\n"
                                "\n"
                                "Prints the public JWK of the retailer's key.\n";

static void die_usage(const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* listen's configuration file, so that die_usage() can name the line of an
 * option the file set (retailer-config.h). */
static struct config_args listen_conf;
static const struct option *listen_opts;

static void
die_usage(const char *usage, const char *fmt, ...)
{
    char msg[1024], name[64], where[PATH_MAX + 16];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fputs("pantry-retailer: ", stderr);
    /* "--NAME: ..." about an option the file set: say where. */
    if (listen_opts != NULL && strncmp(msg, "--", 2) == 0 &&
        sscanf(msg + 2, "%63[a-z0-9-]", name) == 1 &&
        config_args_where(&listen_conf, listen_opts, name, where, sizeof(where)) !=
            NULL)
        fprintf(stderr, "%s: ", where);
    fputs(msg, stderr);
    fputs("\n\n", stderr);
    fputs(usage, stderr);
    exit(EXIT_USAGE);
}

static int64_t
duration_arg(const char *usage, const char *opt, const char *v)
{
    int64_t s;

    if (utc_parse_duration(v, DURATION_MAX_S, &s) < 0)
        die_usage(usage, "%s: '%s' is not a duration such as 30s, 15m, 2h or 7d", opt,
                  v);
    return s;
}

static long
count_arg(const char *usage, const char *opt, const char *v, long max)
{
    char *end;
    long n;

    errno = 0;
    n = strtol(v, &end, 10);
    if (errno != 0 || end == v || *end != '\0' || n < 1 || n > max)
        die_usage(usage, "%s: '%s' is not a whole number from 1 to %ld", opt, v, max);
    return n;
}

static int64_t
time_arg(const char *usage, const char *opt, const char *v)
{
    int64_t t;

    if (utc_parse(v, &t) < 0)
        die_usage(usage, "%s: '%s' is not a UTC time YYYY-MM-DDTHH:MM:SSZ", opt, v);
    return t;
}

/* Options both listen and verify take (window_opt says whether opt was one). */
struct window {
    int64_t max_age_s, max_skew_s, now_s;
    const char *trust;
    struct delivery_window windows[DELIVERY_MAX_WINDOWS]; /* --windows */
    size_t n_windows;
};

enum {
    OPT_TRUST = 256,
    OPT_MAX_AGE,
    OPT_MAX_SKEW,
    OPT_NOW,
    OPT_URL,
    OPT_TOFU,
    OPT_PREFIX,
    OPT_GROUP,
    OPT_CLIENT_ID,
    OPT_SESSION_EXPIRY,
    OPT_DB,
    OPT_KEY,
    OPT_RETAILER_ID,
    OPT_SHIP_ETA,
    OPT_SHIP_ETA_MAX,
    OPT_ETA_FROM_ORDER,
    OPT_CA_FILE,
    OPT_CA_PATH,
    OPT_CERT,
    OPT_CERT_KEY,
    OPT_CREDENTIALS,
    OPT_COUNT,
    OPT_EXIT_IDLE,
    OPT_METRICS,
    OPT_WEBHOOK,
    OPT_WEBHOOK_CA,
    OPT_WEBHOOK_SECRET,
    OPT_WEBHOOK_TIMEOUT,
    OPT_FORCE,
    OPT_SINCE,
    OPT_HELP,
    OPT_WINDOWS,
    OPT_CONFIG,
    OPT_ENROL,
    OPT_ROTATE_OVERLAP,
};

/* The options of struct window, in both commands' tables. */
/* clang-format off */
#define WINDOW_OPTIONS                                   \
    {"trust", required_argument, NULL, OPT_TRUST},       \
    {"max-age", required_argument, NULL, OPT_MAX_AGE},   \
    {"max-skew", required_argument, NULL, OPT_MAX_SKEW}, \
    {"now", required_argument, NULL, OPT_NOW},           \
    {"windows", required_argument, NULL, OPT_WINDOWS}
/* clang-format on */

static bool
window_opt(const char *usage, int opt, struct window *w)
{
    switch (opt) {
    case OPT_TRUST:
        w->trust = optarg;
        return true;
    case OPT_MAX_AGE:
        w->max_age_s = duration_arg(usage, "--max-age", optarg);
        return true;
    case OPT_MAX_SKEW:
        w->max_skew_s = duration_arg(usage, "--max-skew", optarg);
        return true;
    case OPT_NOW:
        w->now_s = time_arg(usage, "--now", optarg);
        return true;
    case OPT_WINDOWS:
        if (w->n_windows == DELIVERY_MAX_WINDOWS)
            die_usage(usage, "--windows: at most %d", DELIVERY_MAX_WINDOWS);
        if (!window_parse(optarg, &w->windows[w->n_windows]))
            die_usage(usage,
                      "--windows: '%s' is not days and local hours like "
                      "\"mon-fri 08:00-18:00\" (days: daily, or mon..sun, "
                      "comma-separated, ranges like sat-sun)",
                      optarg);
        w->n_windows++;
        return true;
    }
    return false;
}

static struct trust *
load_trust(const char *dir)
{
    struct trust *t;
    char err[512];

    if (trust_load(dir, &t, err, sizeof(err)) < 0) {
        fprintf(stderr, "pantry-retailer: %s\n", err);
        exit(EXIT_USAGE);
    }
    return t;
}

/* ---- verify ---- */

/*
 * One line of input into buf (JWS_MAX_LEN + 1 bytes), without "\n" or "\r\n",
 * read whole (getc: a NUL byte does not end it). Returns false at EOF or on a
 * read error; *long_line when it was longer than a token may be (the rest is
 * skipped), *nul when it holds a NUL byte (judged by no one: refused).
 */
static bool
read_line(FILE *in, char *buf, size_t *len, bool *long_line, bool *nul)
{
    enum text_line t = text_read_line(in, buf, JWS_MAX_LEN, len);
    int ch;

    *long_line = t == TEXT_LINE_LONG;
    if (t == TEXT_LINE_EOF || t == TEXT_LINE_ERROR)
        return false;
    if (*long_line)
        while ((ch = getc(in)) != EOF && ch != '\n')
            ;
    *nul = memchr(buf, '\0', *len) != NULL;
    while (*len > 0 && buf[*len - 1] == '\r')
        buf[--*len] = '\0';
    return true;
}

static int
cmd_verify(int argc, char **argv)
{
    static const struct option opts[] = {
        WINDOW_OPTIONS,
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct window w = {.max_age_s = DEFAULT_MAX_AGE_S,
                       .max_skew_s = DEFAULT_MAX_SKEW_S};
    struct trust *t;
    struct ledger *l = NULL;
    char *buf = NULL, *line = NULL;
    long no = 0, rejected = 0;
    int opt, r = EXIT_USAGE;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == OPT_HELP) {
            fputs(usage_verify, stdout);
            return 0;
        }
        if (!window_opt(usage_verify, opt, &w))
            die_usage(usage_verify, "unknown option");
    }
    if (optind != argc)
        die_usage(usage_verify, "unexpected argument '%s'", argv[optind]);
    if (w.trust == NULL)
        die_usage(usage_verify, "--trust DIR is needed");
    t = load_trust(w.trust);
    struct check_config cc = {
        .trust = t,
        .now_s = w.now_s > 0 ? w.now_s : clock_wall_ms() / 1000,
        .max_age_s = w.max_age_s,
        .max_skew_s = w.max_skew_s,
        .windows = w.windows,
        .n_windows = w.n_windows,
    };
    if (ledger_new(&l) < 0 || (buf = malloc(JWS_MAX_LEN + 1)) == NULL)
        goto oom;
    for (;;) {
        struct check_result res;
        size_t n;
        bool long_line, nul;
        int v;

        if (!read_line(stdin, buf, &n, &long_line, &nul))
            break;
        no++;
        if (n == 0 && !long_line)
            continue; /* an empty line is no input */
        if (long_line || nul) {
            memset(&res, 0, sizeof(res));
            res.reason = CHECK_MALFORMED;
            if (long_line)
                snprintf(res.detail, sizeof(res.detail), "token: longer than %d bytes",
                         JWS_MAX_LEN);
            else
                snprintf(res.detail, sizeof(res.detail),
                         "token: a NUL byte at byte %zu (a token is text)",
                         (size_t)((char *)memchr(buf, '\0', n) - buf) + 1);
            if (nul)
                fprintf(stderr, "pantry-retailer: stdin line %ld: %s (rejected)\n", no,
                        res.detail);
            v = LEDGER_REJECTED;
        } else {
            if (check_token(&cc, buf, n, NULL, PAYLOAD_REORDER, &res) < 0)
                goto oom;
            if ((v = ledger_apply(l, &res)) < 0) {
                check_result_fini(&res);
                goto oom;
            }
        }
        rejected += v == LEDGER_REJECTED;
        int o = out_verdict(no, (enum ledger_verdict)v, &res, &line);
        check_result_fini(&res);
        if (o < 0)
            goto oom;
        fputs(line, stdout);
        fputc('\n', stdout);
        free(line);
        line = NULL;
    }
    if (ferror(stdin)) {
        perror("pantry-retailer: reading stdin");
        goto out;
    }
    r = rejected > 0 ? 1 : 0;
    goto out;
oom:
    fputs("pantry-retailer: out of memory\n", stderr);
out:
    if (fflush(stdout) != 0) {
        perror("pantry-retailer: writing stdout");
        r = EXIT_USAGE;
    }
    free(buf);
    ledger_free(l);
    trust_free(t);
    return r;
}

/* ---- listen ---- */

/* A URL Paho takes: SCHEME://HOST[:PORT][/PATH], a scheme it knows. */
static bool
url_ok(const char *url)
{
    static const char *const schemes[] = {"mqtt://", "mqtts://", "tcp://",
                                          "ssl://",  "ws://",    "wss://"};

    for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
        size_t n = strlen(schemes[i]);
        if (strncmp(url, schemes[i], n) != 0)
            continue;
        url += n;
        if (*url == '\0' || *url == ':' || *url == '/')
            return false; /* no host */
        for (; *url != '\0'; url++)
            if ((unsigned char)*url <= ' ' || (unsigned char)*url >= 0x7f)
                return false;
        return true;
    }
    return false;
}

static bool
client_id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > 127)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)id[i] <= ' ' || (unsigned char)id[i] >= 0x7f)
            return false;
    return true;
}

/* A file (or folder) an option names must be there to read, before anything
 * is touched; Paho would only say so at the first connection. */
static void
need_file(const char *usage, const char *opt, const char *path)
{
    if (path != NULL && access(path, R_OK) != 0)
        die_usage(usage, "%s: cannot read %s: %s", opt, path, strerror(errno));
}

/*
 * --credentials FILE: the agent's format (keys_read_credentials(): two lines,
 * user and password), refused when group or others may read it, like a key:
 * it is a secret.
 */
static void
read_credentials(const char *path, char *user, char *password)
{
    char err[512];

    if (keys_read_credentials(path, user, password, err, sizeof(err)) < 0) {
        fprintf(stderr, "pantry-retailer: --credentials: %s\n", err);
        exit(EXIT_USAGE);
    }
}

static int
cmd_listen(int argc, char **argv)
{
    static const struct option opts[] = {
        {"url", required_argument, NULL, OPT_URL},
        WINDOW_OPTIONS,
        {"tofu", no_argument, NULL, OPT_TOFU},
        {"enrol", no_argument, NULL, OPT_ENROL},
        {"rotate-overlap", required_argument, NULL, OPT_ROTATE_OVERLAP},
        {"prefix", required_argument, NULL, OPT_PREFIX},
        {"group", required_argument, NULL, OPT_GROUP},
        {"client-id", required_argument, NULL, OPT_CLIENT_ID},
        {"session-expiry", required_argument, NULL, OPT_SESSION_EXPIRY},
        {"db", required_argument, NULL, OPT_DB},
        {"key", required_argument, NULL, OPT_KEY},
        {"retailer-id", required_argument, NULL, OPT_RETAILER_ID},
        {"ship-eta", required_argument, NULL, OPT_SHIP_ETA},
        {"ship-eta-max", required_argument, NULL, OPT_SHIP_ETA_MAX},
        {"eta-from-order", no_argument, NULL, OPT_ETA_FROM_ORDER},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"ca-path", required_argument, NULL, OPT_CA_PATH},
        {"cert", required_argument, NULL, OPT_CERT},
        {"cert-key", required_argument, NULL, OPT_CERT_KEY},
        {"credentials", required_argument, NULL, OPT_CREDENTIALS},
        {"count", required_argument, NULL, OPT_COUNT},
        {"exit-idle", required_argument, NULL, OPT_EXIT_IDLE},
        {"metrics", required_argument, NULL, OPT_METRICS},
        {"config", required_argument, NULL, OPT_CONFIG},
        {"webhook", required_argument, NULL, OPT_WEBHOOK},
        {"webhook-ca", required_argument, NULL, OPT_WEBHOOK_CA},
        {"webhook-secret", required_argument, NULL, OPT_WEBHOOK_SECRET},
        {"webhook-timeout", required_argument, NULL, OPT_WEBHOOK_TIMEOUT},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    struct webhook_config wc = {.timeout_s = 30};
    struct webhook *wh = NULL;
    struct window w = {.max_age_s = DEFAULT_MAX_AGE_S,
                       .max_skew_s = DEFAULT_MAX_SKEW_S};
    struct listen_config c = {
        .prefix = "pantry/v1",
        .group = "pantry-retailer",
        .session_expiry_s = 3600,
        .overlap_s = KEYTAB_OVERLAP_DEFAULT_S,
        .out = stdout,
    };
    const char *db = "pantry-retailer.db", *key_path = NULL, *cred = NULL;
    const char *metrics_addr = NULL;
    struct metrics_http *mh = NULL;
    char db_name[256];
    char client_id[128], host[64], user[KEYS_CRED_MAX], password[KEYS_CRED_MAX];
    char err[512];
    struct keys key;
    struct trust *t = NULL;
    struct state *s = NULL;
    int opt, r;

    /* The configuration file's settings become options before argv's. */
    if ((r = config_args_make(opts, argc, argv, &listen_conf, err, sizeof(err))) < 0) {
        fprintf(stderr, "pantry-retailer: %s\n", err);
        config_args_fini(&listen_conf);
        return EXIT_USAGE;
    }
    listen_opts = opts;
    argc = listen_conf.argc;
    argv = listen_conf.argv;
    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (window_opt(usage_listen, opt, &w))
            continue;
        switch (opt) {
        case OPT_HELP:
            fputs(usage_listen, stdout);
            return 0;
        case OPT_URL:
            c.url = optarg;
            break;
        case OPT_TOFU:
            c.tofu = true;
            break;
        case OPT_ENROL:
            c.enrol = true;
            break;
        case OPT_ROTATE_OVERLAP:
            c.overlap_s = duration_arg(usage_listen, "--rotate-overlap", optarg);
            break;
        case OPT_PREFIX:
            c.prefix = optarg;
            break;
        case OPT_GROUP:
            c.group = optarg;
            break;
        case OPT_CLIENT_ID:
            c.client_id = optarg;
            break;
        case OPT_SESSION_EXPIRY:
            c.session_expiry_s = duration_arg(usage_listen, "--session-expiry", optarg);
            break;
        case OPT_DB:
            db = optarg;
            break;
        case OPT_KEY:
            key_path = optarg;
            break;
        case OPT_RETAILER_ID:
            if (!text_is_name(optarg, MESSAGE_ID_MAX))
                die_usage(usage_listen, "--retailer-id: 1 to 63 of A-Z a-z 0-9 _ -");
            c.ack.retailer = optarg;
            break;
        case OPT_SHIP_ETA:
            c.ack.ship_eta_s = duration_arg(usage_listen, "--ship-eta", optarg);
            break;
        case OPT_SHIP_ETA_MAX:
            c.ack.ship_eta_max_s = duration_arg(usage_listen, "--ship-eta-max", optarg);
            break;
        case OPT_ETA_FROM_ORDER:
            c.ack.eta_from_order = true;
            break;
        case OPT_CA_FILE:
            c.ca_file = optarg;
            break;
        case OPT_CA_PATH:
            c.ca_path = optarg;
            break;
        case OPT_CERT:
            c.cert = optarg;
            break;
        case OPT_CERT_KEY:
            c.cert_key = optarg;
            break;
        case OPT_CREDENTIALS:
            cred = optarg;
            break;
        case OPT_COUNT:
            c.count = count_arg(usage_listen, "--count", optarg, LONG_MAX);
            break;
        case OPT_EXIT_IDLE:
            c.exit_idle_s = count_arg(usage_listen, "--exit-idle", optarg, 86400 * 365);
            break;
        case OPT_METRICS:
            if (metrics_http_check(optarg, err, sizeof(err)) < 0)
                die_usage(usage_listen, "%s", err);
            metrics_addr = optarg;
            break;
        case OPT_CONFIG:
            break; /* read by config_args_make() */
        case OPT_WEBHOOK:
            wc.url = optarg;
            break;
        case OPT_WEBHOOK_CA:
            wc.ca_file = optarg;
            break;
        case OPT_WEBHOOK_SECRET:
            wc.secret_path = optarg;
            break;
        case OPT_WEBHOOK_TIMEOUT:
            wc.timeout_s = duration_arg(usage_listen, "--webhook-timeout", optarg);
            if (wc.timeout_s < 1 || wc.timeout_s > 3600)
                die_usage(usage_listen, "--webhook-timeout: 1s to 1h");
            break;
        default:
            die_usage(usage_listen, "unknown option");
        }
    }
    if (optind != argc)
        die_usage(usage_listen, "unexpected argument '%s'", argv[optind]);
    if (c.url == NULL)
        die_usage(usage_listen, "--url is needed");
    if (!url_ok(c.url))
        die_usage(usage_listen,
                  "--url: '%s' is not mqtt://HOST:PORT, mqtts://HOST:PORT (or tcp://, "
                  "ssl://, ws://, wss://)",
                  c.url);
    /* Enrolment is a rule the operator sets; trust on first use takes any
     * first key. Both at once would make the rule mean nothing. */
    if (c.tofu && c.enrol)
        die_usage(usage_listen,
                  "--tofu and --enrol exclude each other: --enrol takes "
                  "keys only for registered devices, --tofu any first key");
    if (c.prefix[0] == '\0' || strpbrk(c.prefix, "+#") != NULL ||
        strlen(c.prefix) > 200 || c.prefix[strlen(c.prefix) - 1] == '/')
        die_usage(usage_listen, "--prefix: a topic without wildcards or a final '/'");
    if (!text_is_name(c.group, MESSAGE_ID_MAX))
        die_usage(usage_listen, "--group: 1 to 63 of A-Z a-z 0-9 _ -");
    if (c.session_expiry_s > UINT32_MAX - 1)
        die_usage(usage_listen, "--session-expiry: at most 4294967294 s");
    if ((c.cert == NULL) != (c.cert_key == NULL) && c.cert_key != NULL)
        die_usage(usage_listen, "--cert-key needs --cert");
    need_file(usage_listen, "--ca-file", c.ca_file);
    need_file(usage_listen, "--ca-path", c.ca_path);
    need_file(usage_listen, "--cert", c.cert);
    need_file(usage_listen, "--cert-key", c.cert_key);
    if (c.client_id == NULL) {
        /* Stable across restarts, so a restarted listener takes up its session. */
        if (gethostname(host, sizeof(host)) < 0)
            snprintf(host, sizeof(host), "host");
        host[sizeof(host) - 1] = '\0';
        snprintf(client_id, sizeof(client_id), "%s-%s", c.group, host);
        c.client_id = client_id;
    }
    if (!client_id_ok(c.client_id))
        die_usage(usage_listen,
                  "--client-id: 1 to 127 bytes of printable ASCII without spaces");
    if (c.overlap_s != KEYTAB_OVERLAP_DEFAULT_S && !c.enrol)
        die_usage(usage_listen, "--rotate-overlap needs --enrol");
    if (wc.url == NULL && (wc.ca_file || wc.secret_path))
        die_usage(usage_listen, "--webhook-ca and --webhook-secret need --webhook");
    if (cred != NULL) {
        read_credentials(cred, user, password);
        c.user = user;
        c.password = password;
    }
    if (key_path != NULL) {
        if (keys_load(key_path, &key, err, sizeof(err)) < 0) {
            fprintf(stderr, "pantry-retailer: %s\n", err);
            return EXIT_USAGE;
        }
        c.ack.key = &key;
    }
    if (wc.url != NULL) {
        /* Checked (and the secret read) before the database is opened. */
        wc.key = c.ack.key;
        if (webhook_new(&wc, &wh, err, sizeof(err)) < 0) {
            fprintf(stderr, "pantry-retailer: %s\n", err);
            r = EXIT_USAGE;
            goto out;
        }
        c.webhook = wh;
        c.db_path = db;
    }
    /* Before the server's thread reads it; and the server before the
     * database: a port in use must change nothing. */
    metrics_init(RETAILER_VERSION, clock_wall_ms());
    if (metrics_addr != NULL &&
        metrics_http_start(metrics_addr, &mh, err, sizeof(err)) < 0) {
        fprintf(stderr, "pantry-retailer: %s\n", err);
        r = 1;
        goto out;
    }
    t = load_trust(w.trust);
    state_db_name(db, db_name, sizeof(db_name));
    if ((r = state_open(db, &s, err, sizeof(err))) < 0) {
        /* A database server that did not answer is not bad usage: a failure,
         * which systemd's Restart= tries again. */
        fprintf(stderr, "pantry-retailer: %s%s\n", err,
                r == -ENOTCONN ? " (no answer for 10 s; exit status 1)" : "");
        r = r == -ENOTCONN ? 1 : EXIT_USAGE;
        goto out;
    }
    c.check.trust = t;
    c.check.max_age_s = w.max_age_s;
    c.check.max_skew_s = w.max_skew_s;
    c.check.windows = w.windows;
    c.check.n_windows = w.n_windows;
    c.fixed_now_s = w.now_s;
    c.state = s;
    fprintf(
        stderr,
        "pantry-retailer: %zu trusted device key(s) in files, then the key table%s, "
        "database %s\n",
        trust_count(t),
        c.tofu    ? " and trust on first use"
        : c.enrol ? " and enrolment"
                  : "",
        db_name);
    /* Under systemd (Type=notify): every option, file and the database are
     * good; the broker is reached, and retried, from here on, as the agent's
     * READY=1 does not wait for its broker either. */
    if (notify_send("READY=1") < 0)
        fprintf(stderr, "pantry-retailer: NOTIFY_SOCKET: cannot tell systemd we are "
                        "ready\n");
    r = listen_run(&c, err, sizeof(err));
    if (r < 0)
        fprintf(stderr, "pantry-retailer: %s\n", err);
    r = r < 0 ? 1 : 0;
out:
    state_close(s);
    webhook_free(wh);
    trust_free(t);
    metrics_http_stop(mh);
    if (key_path != NULL)
        keys_wipe(&key);
    sodium_memzero(password, sizeof(password));
    config_args_fini(&listen_conf);
    return r;
}

/* ---- export ---- */

struct export
{
    bool damaged;  /* a row was skipped */
    int write_err; /* out_write's error */
};

static int
print_order(void *arg, const struct state_order *o)
{
    struct export *x = arg;
    char *line, err[256];
    int r = out_accepted(o->kind, o->token, o->token_len, o->received_s, &line, err,
                         sizeof(err));

    if (r == -EINVAL) {
        /* A damaged row must not hide the others. */
        fprintf(stderr, "pantry-retailer: %s %s of %s skipped: %s\n",
                payload_kind_to_str(o->kind), o->order_id, o->device, err);
        x->damaged = true;
        return 0;
    }
    if (r < 0)
        return r;
    x->write_err = out_write(stdout, line);
    free(line);
    return x->write_err;
}

static int
cmd_export(int argc, char **argv)
{
    static const struct option opts[] = {
        {"since", required_argument, NULL, OPT_SINCE},
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *db = "pantry-retailer.db";
    char db_name[256];
    struct state_filter f = {0};
    struct state *s;
    struct export x = {0};
    bool since = false;
    char err[512];
    int opt, r;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_HELP:
            fputs(usage_export, stdout);
            return 0;
        case OPT_SINCE:
            f.since_s = time_arg(usage_export, "--since", optarg);
            since = true;
            break;
        case OPT_DB:
            db = optarg;
            break;
        default:
            die_usage(usage_export, "unknown option");
        }
    }
    if (optind != argc)
        die_usage(usage_export, "unexpected argument '%s'", argv[optind]);
    if (!since)
        die_usage(usage_export, "--since TIME is needed");
    state_db_name(db, db_name, sizeof(db_name));
    if (state_open_existing(db, &s, err, sizeof(err)) < 0) {
        fprintf(stderr, "pantry-retailer: %s\n", err);
        return 1;
    }
    signal(SIGPIPE, SIG_IGN);
    r = state_accepted_each(s, &f, print_order, &x);
    if (x.write_err < 0)
        fprintf(stderr, "pantry-retailer: writing stdout: %s\n",
                strerror(-x.write_err));
    else if (r < 0)
        fprintf(stderr, "pantry-retailer: database %s: %s\n", db_name,
                r == -ENOMEM ? strerror(ENOMEM) : state_error(s));
    state_close(s);
    return r < 0 || x.damaged ? 1 : 0;
}

/* ---- keygen, jwk ---- */

static int
cmd_key(int argc, char **argv, bool generate)
{
    static const struct option opts[] = {
        {"key", required_argument, NULL, OPT_KEY},
        {"force", no_argument, NULL, OPT_FORCE},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    const char *usage = generate ? usage_keygen : usage_jwk;
    const char *path = NULL;
    bool force = false;
    char err[512], jwk[KEYS_JWK_PUBLISHED_MAX], kid[KEYS_B64_PK_LEN + 1];
    struct keys k;
    int opt, r;

    while ((opt = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (opt == OPT_HELP) {
            fputs(usage, stdout);
            return 0;
        }
        if (opt == OPT_KEY)
            path = optarg;
        else if (opt == OPT_FORCE && generate)
            force = true;
        else
            die_usage(usage, "unknown option");
    }
    if (optind != argc)
        die_usage(usage, "unexpected argument '%s'", argv[optind]);
    if (path == NULL)
        die_usage(usage, "--key FILE is needed");
    r = generate ? keys_generate(path, force, &k, err, sizeof(err))
                 : keys_load(path, &k, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "pantry-retailer: %s\n", err);
        return 1;
    }
    keys_jwk_published(k.pk, jwk);
    keys_thumbprint(k.pk, kid);
    keys_wipe(&k);
    puts(jwk);
    if (generate)
        fprintf(stderr, "pantry-retailer: wrote %s (mode 0600), kid %s\n", path, kid);
    return fflush(stdout) == 0 ? 0 : 1;
}

int
main(int argc, char **argv)
{
    const char *cmd = argc > 1 ? argv[1] : NULL;

    if (sodium_init() < 0) {
        fputs("pantry-retailer: libsodium failed to start\n", stderr);
        return 1;
    }
    if (cmd == NULL)
        die_usage(usage_main, "a command is needed");
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 ||
        strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("pantry-retailer %s\n", RETAILER_VERSION);
        return 0;
    }
    argv[1] = argv[0];
    argc--;
    argv++;
    if (strcmp(cmd, "listen") == 0)
        return cmd_listen(argc, argv);
    if (strcmp(cmd, "verify") == 0)
        return cmd_verify(argc, argv);
    if (strcmp(cmd, "export") == 0)
        return cmd_export(argc, argv);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_key(argc, argv, true);
    if (strcmp(cmd, "jwk") == 0)
        return cmd_key(argc, argv, false);
    if (strcmp(cmd, "keys") == 0)
        return keys_cmd(argc, argv);
    die_usage(usage_main, "unknown command '%s'", cmd);
    return EXIT_USAGE;
}
