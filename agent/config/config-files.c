/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The files a configuration names, checked as the daemon will use them at
 * start (agent-config.h, cfg_check_files()): the device key (a key there must load:
 * a regular file of mode 0600 in the key format; a missing one is made on the
 * first start, so its folder must exist and be writable), the store (its
 * folder, or the file itself), and with a broker the credentials file (mode
 * 0600, "user\npassword\n"), the retailer's public key (a JWK), the TLS files
 * and folder. What cfg_load() checks is the text of the settings; this is
 * whether the files behind them are there. Hardware is not probed here: that
 * is pantry-sensors' job.
 */
#include "agent/config/agent-config.h"
#include "agent/config/config-grocy.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent/msg/keys.h"

static void add(struct cfg_errors *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
add(struct cfg_errors *e, const char *fmt, ...)
{
    va_list ap;

    if (e->count == CFG_ERR_MAX) {
        e->dropped++;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(e->msg[e->count++], CFG_ERR_LEN, fmt, ap);
    va_end(ap);
}

/* The folder a file named by setting goes in must exist and take new files. */
static void
folder(const char *file, const char *setting, const char *path, const char *what,
       struct cfg_errors *e)
{
    char dir[CFG_PATH_MAX];
    struct stat st;

    snprintf(dir, sizeof(dir), "%s", path);
    dirname(dir);
    if (stat(dir, &st) < 0)
        add(e, "%s: %s %s: its folder %s: %s (%s): create it", file, setting, path, dir,
            strerror(errno), what);
    else if (!S_ISDIR(st.st_mode))
        add(e, "%s: %s %s: %s is not a folder", file, setting, path, dir);
    else if (access(dir, W_OK | X_OK) < 0)
        add(e, "%s: %s %s: its folder %s: %s for this user (%s)", file, setting, path,
            dir, strerror(errno), what);
}

/* A file that must be there and readable: a regular file (or a folder, dir). */
static void
readable(const char *file, const char *setting, const char *path, bool dir,
         struct cfg_errors *e)
{
    struct stat st;

    if (path[0] == '\0')
        return;
    if (stat(path, &st) < 0)
        add(e, "%s: %s %s: %s", file, setting, path, strerror(errno));
    else if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
        add(e, "%s: %s %s: not a %s", file, setting, path,
            dir ? "folder" : "regular file");
    else if (access(path, dir ? R_OK | X_OK : R_OK) < 0)
        add(e, "%s: %s %s: %s for this user", file, setting, path, strerror(errno));
}

static void
check_key(const char *file, const struct agent_config *c, struct cfg_errors *e)
{
    struct keys k;
    char err[CFG_ERR_LEN];
    int r = keys_load(c->key_path, &k, err, sizeof(err));

    if (r == 0)
        keys_wipe(&k);
    else if (r == -ENOENT)
        folder(file, "key_path", c->key_path,
               "a new key is made there at the "
               "first start",
               e);
    else
        add(e, "%s: key_path: %s", file, err);
}

static void
check_store(const char *file, const struct agent_config *c, struct cfg_errors *e)
{
    struct stat st;

    if (stat(c->store_path, &st) < 0) {
        if (errno == ENOENT)
            folder(file, "store_path", c->store_path,
                   "the store is made there at the first start", e);
        else
            add(e, "%s: store_path %s: %s", file, c->store_path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        add(e, "%s: store_path %s: not a regular file", file, c->store_path);
    } else if (access(c->store_path, R_OK | W_OK) < 0) {
        add(e, "%s: store_path %s: %s for this user", file, c->store_path,
            strerror(errno));
    }
}

static void
check_broker(const char *file, const char *g, const struct cfg_broker *b,
             struct cfg_errors *e)
{
    char err[CFG_ERR_LEN], user[KEYS_CRED_MAX], pass[KEYS_CRED_MAX];
    char jwk[KEYS_JWK_TEXT_MAX + 1];
    uint8_t pk[KEYS_PK_BYTES];
    size_t len;

    if (b->credentials_file[0] != '\0' &&
        keys_read_credentials(b->credentials_file, user, pass, err, sizeof(err)) < 0)
        add(e, "%s: %s.credentials_file: %s", file, g, err);
    sodium_memzero(pass, sizeof(pass));
    if (b->retailer_key[0] != '\0') {
        int fd = open(b->retailer_key, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, jwk, sizeof(jwk)) : -1;
        if (n < 0)
            add(e, "%s: broker.retailer_key %s: %s", file, b->retailer_key,
                strerror(errno));
        if (fd >= 0)
            close(fd);
        for (len = n > 0 ? (size_t)n : 0;
             len > 0 && (jwk[len - 1] == '\n' || jwk[len - 1] == ' ');)
            len--;
        if (n >= 0 && keys_jwk_parse(jwk, len, pk, err, sizeof(err)) < 0)
            add(e, "%s: broker.retailer_key %s: %s", file, b->retailer_key, err);
    }
    char what[32];
    snprintf(what, sizeof(what), "%s.ca_file", g);
    readable(file, what, b->ca_file, false, e);
    snprintf(what, sizeof(what), "%s.ca_path", g);
    readable(file, what, b->ca_path, true, e);
    snprintf(what, sizeof(what), "%s.cert_file", g);
    readable(file, what, b->cert_file, false, e);
    snprintf(what, sizeof(what), "%s.cert_key_file", g);
    readable(file, what, b->cert_key_file, false, e);
}

int
cfg_check_files(const char *file, const struct agent_config *c, struct cfg_errors *e)
{
    size_t before = e->count + e->dropped;

    check_key(file, c, e);
    check_store(file, c, e);
    if (c->broker.url[0] != '\0')
        check_broker(file, "broker", &c->broker, e);
    if (c->home.broker.url[0] != '\0')
        check_broker(file, "home", &c->home.broker, e);
    if (c->grocy.mode != CFG_GROCY_OFF) {
        char key[CFG_GROCY_KEY_MAX + 1], err[200];
        if (cfg_grocy_key_load(c->grocy.api_key_file, key, err, sizeof(err)) < 0)
            add(e, "%s: grocy.api_key_file: %s", file, err);
        sodium_memzero(key, sizeof(key));
        if (c->grocy.ca_file[0] != '\0' && access(c->grocy.ca_file, R_OK) < 0)
            add(e, "%s: grocy.ca_file %s: %s", file, c->grocy.ca_file, strerror(errno));
    }
    return (int)(e->count + e->dropped - before);
}
