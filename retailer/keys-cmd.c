/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `pantry-retailer keys`: list, add, expect, revoke, rotate and import the
 * device keys of the ledger's key table (keytab.h), on a SQLite file or a
 * PostgreSQL database alike. Every argument is checked before the database
 * is opened, and each change is one transaction: a command that fails
 * changes nothing. Exit status 0, 1 when the table refused the change or the
 * database failed, 2 for bad usage (an option, a device id, a kid, a file
 * that is not a public Ed25519 JWK).
 */
#include "retailer/keys-cmd.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/msg/keys.h"
#include "agent/msg/message.h"
#include "agent/msg/utc.h"
#include "retailer/keytab.h"
#include "retailer/retailer-state.h"
#include "retailer/trust.h"
#include "sensors/clock.h"
#include "sensors/text.h"

#define EXIT_USAGE 2
/* The largest time or duration an argument takes: 9999-12-31T23:59:59Z. */
#define KEYS_TIME_MAX INT64_C(253402300799)

static const char usage_keys[] =
    "usage: pantry-retailer keys [--db FILE|CONNINFO] [--now TIME] COMMAND ARGS\n"
    "\n"
    "The device keys of the database's key table, which listen trusts after the\n"
    "--trust folder (each message's key is read from the database: a change here\n"
    "counts for every listener from its next message on).\n"
    "\n"
    "  list                          every key and registration, tab-separated:\n"
    "                                device kid state valid_from valid_until\n"
    "                                source added (times in Unix seconds, - for\n"
    "                                none)\n"
    "  add DEVICE JWKFILE            enrol DEVICE's public key directly\n"
    "  expect DEVICE [KID] [--until UNIX_S]\n"
    "                                register DEVICE for enrolment from its key\n"
    "                                topic (listen --enrol): any first key, or only\n"
    "                                KID; a device with a key needs KID (a rotation)\n"
    "  revoke DEVICE KID             revoke a key at once\n"
    "  rotate DEVICE JWKFILE [--overlap SECONDS]\n"
    "                                a new key; the old one counts for SECONDS more\n"
    "                                (default 604800, 7 days)\n"
    "  import DIR                    every DIR/<device-id>.jwk (a --trust folder),\n"
    "                                all or none\n"
    "\n"
    "  --db FILE|CONNINFO            the ledger (default pantry-retailer.db)\n"
    "  --now TIME                    the clock, YYYY-MM-DDTHH:MM:SSZ (tests)\n"
    "\n"
    "Options may come anywhere; only words starting with -- are options (a kid\n"
    "may start with -), and none after --.\n"
    "Exit status: 0; 1 when the table refused the change or the database failed\n"
    "(nothing changed); 2 on bad usage (nothing changed).\n";

enum {
    OPT_DB = 256,
    OPT_NOW,
    OPT_UNTIL,
    OPT_OVERLAP,
    OPT_HELP,
};

static _Noreturn void die_usage(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static void
die_usage(const char *fmt, ...)
{
    va_list ap;

    fputs("pantry-retailer: keys: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n\n", stderr);
    fputs(usage_keys, stderr);
    exit(EXIT_USAGE);
}

/* A whole decimal number 0..KEYS_TIME_MAX, or a usage error naming opt. */
static int64_t
number_arg(const char *opt, const char *v)
{
    char *end;
    long long n = 0;

    errno = 0;
    if (v[0] < '0' || v[0] > '9' || (n = strtoll(v, &end, 10), errno != 0) ||
        *end != '\0' || n > KEYS_TIME_MAX)
        die_usage("%s: '%s' is not a whole number of seconds (0 to %" PRId64 ")", opt,
                  v, KEYS_TIME_MAX);
    return (int64_t)n;
}

static void
device_arg(const char *v)
{
    if (!text_is_name(v, MESSAGE_ID_MAX))
        die_usage("DEVICE: '%.80s' is not a device id (1 to 63 of A-Z a-z 0-9 _ -)", v);
}

/* A kid as keys_thumbprint makes it: 43 characters of base64url. */
static void
kid_arg(const char *v)
{
    size_t n =
        strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    if (n != KEYS_B64_PK_LEN || v[n] != '\0')
        die_usage("KID: '%.80s' is not a key id (the key's RFC 7638 thumbprint: %d "
                  "characters of A-Z a-z 0-9 - _)",
                  v, KEYS_B64_PK_LEN);
}

/* JWKFILE: one public Ed25519 JWK, read whole. */
static void
jwk_arg(const char *path, uint8_t pk[KEYS_PK_BYTES])
{
    char text[KEYS_JWK_TEXT_MAX + 1], err[256];
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        die_usage("JWKFILE: cannot read %s: %s", path, strerror(errno));
    n = fread(text, 1, sizeof(text), f);
    if (ferror(f)) {
        fclose(f);
        die_usage("JWKFILE: cannot read %s: %s", path, strerror(errno));
    }
    fclose(f);
    if (n > KEYS_JWK_TEXT_MAX)
        die_usage("JWKFILE: %s is longer than a JWK may be (%d bytes)", path,
                  KEYS_JWK_TEXT_MAX);
    if (keys_jwk_parse(text, n, pk, err, sizeof(err)) < 0)
        die_usage("JWKFILE: %s: %s", path, err);
}

static void
print_time(int64_t t_s, char end)
{
    if (t_s < 0)
        printf("-%c", end);
    else
        printf("%lld%c", (long long)t_s, end);
}

static int
print_row(void *arg, const struct keytab_row *r)
{
    (void)arg;
    printf("%s\t%s\t%s\t", r->device, r->kid != NULL ? r->kid : "-", r->state);
    print_time(r->valid_from_s, '\t');
    print_time(r->valid_until_s, '\t');
    printf("%s\t", r->source);
    print_time(r->added_s, '\n');
    return ferror(stdout) ? -EIO : 0;
}

/* What was asked, checked, before the database is opened. */
struct keys_args {
    const char *cmd, *device, *kid, *dir;
    uint8_t pk[KEYS_PK_BYTES];
    int64_t until_s, overlap_s, now_s;
    bool until, overlap;
};

/*
 * Options are read by hand, not by getopt: a kid (base64url) or a device id
 * may start with '-', and getopt would take "-Rx..." for short options.
 * Only a word starting with "--" is an option; after "--" none is.
 */
static void
parse_args(int argc, char **argv, struct keys_args *a, const char **db)
{
    static const char *const names[] = {"db", "now", "until", "overlap", "help"};
    char *pos[8], **arg = pos;
    bool only_pos = false;
    int n = 0;

    for (int i = 1; i < argc; i++) {
        const char *w = argv[i], *name = w + 2, *eq, *v = NULL;
        size_t len;
        int opt = -1;

        if (only_pos || strncmp(w, "--", 2) != 0) {
            if (n == (int)(sizeof(pos) / sizeof(pos[0])))
                die_usage("too many arguments");
            pos[n++] = argv[i];
            continue;
        }
        if (w[2] == '\0') {
            only_pos = true;
            continue;
        }
        eq = strchr(name, '=');
        len = eq != NULL ? (size_t)(eq - name) : strlen(name);
        for (int k = 0; k < (int)(sizeof(names) / sizeof(names[0])); k++)
            if (strlen(names[k]) == len && strncmp(names[k], name, len) == 0)
                opt = OPT_DB + k;
        if (opt == -1)
            die_usage("unknown option '%.80s'", w);
        if (opt == OPT_HELP) {
            fputs(usage_keys, stdout);
            exit(0);
        }
        if (eq != NULL)
            v = eq + 1;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            die_usage("--%s needs a value", names[opt - OPT_DB]);
        switch (opt) {
        case OPT_DB:
            *db = v;
            break;
        case OPT_NOW:
            if (utc_parse(v, &a->now_s) < 0)
                die_usage("--now: '%s' is not a UTC time YYYY-MM-DDTHH:MM:SSZ", v);
            break;
        case OPT_UNTIL:
            a->until_s = number_arg("--until", v);
            a->until = true;
            break;
        default:
            a->overlap_s = number_arg("--overlap", v);
            a->overlap = true;
            break;
        }
    }
    if (n == 0)
        die_usage("a command is needed: list, add, expect, revoke, rotate or import");
    a->cmd = arg[0];
    if (a->until && strcmp(a->cmd, "expect") != 0)
        die_usage("--until is for expect only");
    if (a->overlap && strcmp(a->cmd, "rotate") != 0)
        die_usage("--overlap is for rotate only");
    if (strcmp(a->cmd, "list") == 0) {
        if (n != 1)
            die_usage("list takes no arguments");
    } else if (strcmp(a->cmd, "add") == 0 || strcmp(a->cmd, "rotate") == 0) {
        if (n != 3)
            die_usage("%s takes DEVICE JWKFILE", a->cmd);
        device_arg(arg[1]);
        a->device = arg[1];
        jwk_arg(arg[2], a->pk);
    } else if (strcmp(a->cmd, "expect") == 0) {
        if (n != 2 && n != 3)
            die_usage("expect takes DEVICE [KID]");
        device_arg(arg[1]);
        a->device = arg[1];
        if (n == 3) {
            kid_arg(arg[2]);
            a->kid = arg[2];
        }
        if (a->until && a->until_s <= a->now_s)
            die_usage("--until: %lld is not later than now (%lld)",
                      (long long)a->until_s, (long long)a->now_s);
    } else if (strcmp(a->cmd, "revoke") == 0) {
        if (n != 3)
            die_usage("revoke takes DEVICE KID");
        device_arg(arg[1]);
        a->device = arg[1];
        kid_arg(arg[2]);
        a->kid = arg[2];
    } else if (strcmp(a->cmd, "import") == 0) {
        if (n != 2)
            die_usage("import takes DIR");
        a->dir = arg[1];
    } else {
        die_usage("unknown command '%.80s' (list, add, expect, revoke, rotate, import)",
                  a->cmd);
    }
}

/* The change asked for; prints its outcome. Returns the exit status. */
static int
run(struct state *s, struct keys_args *a, const char *db_name)
{
    char why[512] = "", kid[KEYS_B64_PK_LEN + 1];
    struct trust *t = NULL;
    struct keytab_key *keys = NULL;
    size_t n = 0;
    int r;

    keys_thumbprint(a->pk, kid);
    if (strcmp(a->cmd, "list") == 0) {
        r = keytab_each(s, a->now_s, print_row, NULL);
        if (r == 0 && fflush(stdout) != 0)
            r = -EIO;
    } else if (strcmp(a->cmd, "add") == 0) {
        struct keytab_key k = {.device = a->device};
        memcpy(k.pk, a->pk, KEYS_PK_BYTES);
        r = keytab_add(s, &k, 1, KEYTAB_OPERATOR, a->now_s, why, sizeof(why));
        if (r >= 0)
            fprintf(stderr, "pantry-retailer: key %s of %s %s\n", kid, a->device,
                    r == 0 ? "was enrolled already" : "enrolled");
    } else if (strcmp(a->cmd, "expect") == 0) {
        r = keytab_expect(s, a->device, a->kid, a->until ? a->until_s : 0, a->now_s);
        if (r == 0)
            fprintf(stderr, "pantry-retailer: %s registered for enrolment of %s%s\n",
                    a->device, a->kid != NULL ? "kid " : "its first key",
                    a->kid != NULL ? a->kid : "");
    } else if (strcmp(a->cmd, "revoke") == 0) {
        r = keytab_revoke(s, a->device, a->kid, a->now_s);
        if (r == -ENOENT)
            snprintf(why, sizeof(why), "device %s has no key %s", a->device, a->kid);
        else if (r >= 0)
            fprintf(stderr, "pantry-retailer: key %s of %s %s\n", a->kid, a->device,
                    r == 1 ? "was revoked already" : "revoked");
    } else if (strcmp(a->cmd, "rotate") == 0) {
        r = keytab_rotate(s, a->device, a->pk,
                          a->overlap ? a->overlap_s : KEYTAB_OVERLAP_DEFAULT_S,
                          a->now_s, why, sizeof(why));
        if (r == 0)
            fprintf(stderr,
                    "pantry-retailer: key %s of %s enrolled; the old key(s) "
                    "count for %lld s more\n",
                    kid, a->device,
                    (long long)(a->overlap ? a->overlap_s : KEYTAB_OVERLAP_DEFAULT_S));
    } else {
        /* import: trust_load checks every file (all or none), as listen does. */
        if ((r = trust_load(a->dir, &t, why, sizeof(why))) < 0) {
            fprintf(stderr, "pantry-retailer: keys: DIR: %s\n", why);
            return EXIT_USAGE;
        }
        n = trust_count(t);
        if (n > 0 && (keys = calloc(n, sizeof(*keys))) == NULL) {
            trust_free(t);
            fputs("pantry-retailer: out of memory\n", stderr);
            return 1;
        }
        for (size_t i = 0; i < n; i++) {
            keys[i].device = trust_at(t, i)->device;
            memcpy(keys[i].pk, trust_at(t, i)->pk, KEYS_PK_BYTES);
        }
        r = keytab_add(s, keys, n, KEYTAB_IMPORTED, a->now_s, why, sizeof(why));
        if (r >= 0)
            fprintf(stderr, "pantry-retailer: imported %d key(s), %zu there already\n",
                    r, n - (size_t)r);
        free(keys);
        trust_free(t);
    }
    if (r >= 0)
        return 0;
    if (why[0] != '\0')
        fprintf(stderr, "pantry-retailer: keys %s: %s (nothing changed)\n", a->cmd,
                why);
    else
        fprintf(stderr, "pantry-retailer: keys %s: database %s: %s\n", a->cmd, db_name,
                r == -EIO || r == -EBUSY ? state_error(s) : strerror(-r));
    return 1;
}

int
keys_cmd(int argc, char **argv)
{
    struct keys_args a = {0};
    const char *db = "pantry-retailer.db";
    char err[512], db_name[256];
    struct state *s = NULL;
    int r;

    a.now_s = clock_wall_ms() / 1000;
    parse_args(argc, argv, &a, &db);
    state_db_name(db, db_name, sizeof(db_name));
    /* list reads an existing ledger; a change may be the first thing in one. */
    r = strcmp(a.cmd, "list") == 0 ? state_open_existing(db, &s, err, sizeof(err))
                                   : state_open(db, &s, err, sizeof(err));
    if (r < 0) {
        fprintf(stderr, "pantry-retailer: keys: %s\n", err);
        return 1;
    }
    r = run(s, &a, db_name);
    state_close(s);
    return r;
}
