/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The configuration file of `pantry-retailer listen`, turned into option
 * arguments for listen's own parser (retailer-config.h). libconfig's result codes and
 * types are read here and nowhere else in the retailer. The file names
 * secrets by path (--key, --credentials, their own 0600 files) and holds
 * none, but it decides which broker to trust and which device keys: so it
 * must belong to root or the caller and be writable by no one else.
 */
#include "retailer/retailer-config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libconfig.h>

#include "sensors/text.h"

/* Options a file may give several values of, as a list of texts. */
static const char *const repeatable[] = {"windows"};

/* libconfig 1.5 saturates a literal beyond 64 bits at INT64_MAX; nothing of
 * listen counts that high, so a value this large is called a mistake. */
#define INT_LIMIT (INT64_C(1) << 62)

static bool
is_repeatable(const char *name)
{
    for (size_t i = 0; i < sizeof(repeatable) / sizeof(repeatable[0]); i++)
        if (strcmp(name, repeatable[i]) == 0)
            return true;
    return false;
}

static const char *
type_to_str(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP:
        return "a group { }";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "a whole number";
    case CONFIG_TYPE_FLOAT:
        return "a decimal number";
    case CONFIG_TYPE_STRING:
        return "a text";
    case CONFIG_TYPE_BOOL:
        return "true or false";
    case CONFIG_TYPE_ARRAY:
        return "an array [ ]";
    case CONFIG_TYPE_LIST:
        return "a list ( )";
    }
    return "something else";
}

/*
 * The whole file into a NUL-terminated buffer, after the checks of its kind,
 * owner, mode and size on the open file itself (no race with a rename).
 * -ENOENT when it is not there (err set), -EINVAL when it may not be used.
 */
static int
read_file(const char *path, char **text, char *err, size_t errlen)
{
    struct stat st;
    char *buf = NULL;
    size_t n = 0;
    int fd, r = -EINVAL;

    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        r = errno == ENOENT ? -ENOENT : -EINVAL;
        (void)text_error(err, errlen, "%s: %s", path, strerror(errno));
        return r;
    }
    if (fstat(fd, &st) < 0) {
        (void)text_error(err, errlen, "%s: %s", path, strerror(errno));
        goto out;
    }
    if (!S_ISREG(st.st_mode)) {
        (void)text_error(err, errlen, "%s: not a regular file", path);
        goto out;
    }
    if (st.st_uid != 0 && st.st_uid != geteuid()) {
        (void)text_error(
            err, errlen,
            "%s: owned by uid %u, neither root nor the user running this (uid %u): "
            "its owner could change what the listener trusts",
            path, (unsigned)st.st_uid, (unsigned)geteuid());
        goto out;
    }
    if (st.st_mode & (S_IWGRP | S_IWOTH)) {
        (void)text_error(
            err, errlen,
            "%s: writable by group or others (mode %04o): they could change what "
            "the listener trusts; chmod go-w %s",
            path, (unsigned)(st.st_mode & 07777), path);
        goto out;
    }
    if (st.st_size > CONFIG_FILE_MAX) {
        (void)text_error(err, errlen, "%s: %jd bytes, more than %d", path,
                         (intmax_t)st.st_size, CONFIG_FILE_MAX);
        goto out;
    }
    if ((buf = malloc(CONFIG_FILE_MAX + 2)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    /* Read to the end, not st_size bytes: the file may have grown. */
    for (;;) {
        ssize_t k = read(fd, buf + n, CONFIG_FILE_MAX + 1 - n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0) {
            (void)text_error(err, errlen, "%s: %s", path, strerror(errno));
            goto out;
        }
        if (k == 0)
            break;
        n += (size_t)k;
        if (n > CONFIG_FILE_MAX) {
            (void)text_error(err, errlen, "%s: more than %d bytes", path,
                             CONFIG_FILE_MAX);
            goto out;
        }
    }
    buf[n] = '\0';
    if (memchr(buf, '\0', n) != NULL) {
        (void)text_error(err, errlen, "%s: a NUL byte at byte %zu: not a text file",
                         path, (size_t)((char *)memchr(buf, '\0', n) - buf) + 1);
        goto out;
    }
    *text = buf;
    buf = NULL;
    r = 0;
out:
    free(buf);
    close(fd);
    return r;
}

/*
 * Two things libconfig 1.5 must not see, found by following its tokens
 * (comments and strings skipped, lines counted):
 *  - @include at the start of a line: it would read the named file with none
 *    of read_file()'s checks; refused;
 *  - a string where no value may start (after something other than = : [ ( ,
 *    or another string): its parser leaks the string that is the token of a
 *    syntax error (no %destructor in its grammar), so the string is replaced
 *    in place by " 0 " and spaces, newlines kept: the same syntax error on
 *    the same line, without the leak.
 */
static int
prescan(const char *path, char *text, char *err, size_t errlen)
{
    unsigned line = 1;
    bool line_start = true;
    char prev = '=';

    for (char *p = text; *p != '\0';) {
        char ch = *p;
        if (ch == '\n') {
            line++;
            line_start = true;
            p++;
            continue;
        }
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\f') {
            p++;
            continue;
        }
        bool at_start = line_start;
        line_start = false;
        if (ch == '#' || (ch == '/' && p[1] == '/')) {
            p += strcspn(p, "\n");
            continue;
        }
        if (ch == '/' && p[1] == '*') {
            for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            p += *p != '\0' ? 2 : 0;
            continue;
        }
        if (ch == '@' && at_start && strncmp(p, "@include", 8) == 0) {
            (void)text_error(err, errlen,
                             "%s:%u: @include: every setting must be in this one file",
                             path, line);
            return -EINVAL;
        }
        if (ch == '"') {
            char *start = p;
            for (p++; *p != '\0' && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                line += *p == '\n';
            }
            p += *p != '\0';
            if (strchr("=:[(,\"", prev) == NULL) {
                for (char *q = start; q < p; q++)
                    if (*q != '\n')
                        *q = ' ';
                start[0] = '0';
            }
            prev = '"';
            continue;
        }
        prev = ch;
        p++;
    }
    return 0;
}

static int
push(struct config_args *a, const char *name, const char *value)
{
    size_t n = strlen(name) + (value != NULL ? strlen(value) + 1 : 0) + 3;
    char *s = malloc(n), **o;

    if (s == NULL)
        return -ENOMEM;
    if (value != NULL)
        snprintf(s, n, "--%s=%s", name, value);
    else
        snprintf(s, n, "--%s", name);
    o = realloc(a->owned, (a->n_owned + 1) * sizeof(*o));
    if (o == NULL) {
        free(s);
        return -ENOMEM;
    }
    a->owned = o;
    a->owned[a->n_owned++] = s;
    return 0;
}

/* One value of an option with an argument: a text or a whole number. */
static int
push_value(struct config_args *a, const char *path, const char *name,
           const config_setting_t *v, char *err, size_t errlen)
{
    unsigned line = config_setting_source_line(v);
    char num[32];
    const char *s;

    switch (config_setting_type(v)) {
    case CONFIG_TYPE_STRING:
        s = config_setting_get_string(v);
        if (strlen(s) > CONFIG_VALUE_MAX) {
            (void)text_error(err, errlen,
                             "%s:%u: %s: expected at most %d bytes, found %zu", path,
                             line, name, CONFIG_VALUE_MAX, strlen(s));
            return -EINVAL;
        }
        return push(a, name, s);
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64: {
        long long i = config_setting_get_int64(v);
        if (i >= INT_LIMIT || i <= -INT_LIMIT) {
            (void)text_error(err, errlen, "%s:%u: %s: the number is too large", path,
                             line, name);
            return -EINVAL;
        }
        snprintf(num, sizeof(num), "%lld", i);
        return push(a, name, num);
    }
    }
    (void)text_error(err, errlen, "%s:%u: %s: expected a text%s, found %s", path, line,
                     name,
                     is_repeatable(name) ? " or a list of texts" : " or a whole number",
                     type_to_str(config_setting_type(v)));
    return -EINVAL;
}

/* The options of one setting of the file. */
static int
push_setting(struct config_args *a, const char *path, const struct option *o,
             const config_setting_t *s, char *err, size_t errlen)
{
    unsigned line = config_setting_source_line(s);
    int type = config_setting_type(s), r;

    if (o->has_arg == no_argument) {
        if (type != CONFIG_TYPE_BOOL) {
            (void)text_error(err, errlen, "%s:%u: %s: expected true or false, found %s",
                             path, line, o->name, type_to_str(type));
            return -EINVAL;
        }
        return config_setting_get_bool(s) ? push(a, o->name, NULL) : 0;
    }
    if ((type == CONFIG_TYPE_LIST || type == CONFIG_TYPE_ARRAY) &&
        is_repeatable(o->name)) {
        for (int i = 0; i < config_setting_length(s); i++) {
            const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
            if (config_setting_type(e) != CONFIG_TYPE_STRING) {
                (void)text_error(err, errlen,
                                 "%s:%u: %s.[%d]: expected a text, found %s", path,
                                 config_setting_source_line(e), o->name, i,
                                 type_to_str(config_setting_type(e)));
                return -EINVAL;
            }
            if ((r = push_value(a, path, o->name, e, err, errlen)) < 0)
                return r;
        }
        return 0;
    }
    return push_value(a, path, o->name, s, err, errlen);
}

/*
 * Which options argv gives (given[i] for opts[i]) and its --config: one quiet
 * pass of getopt_long; its complaints are the real parse's to make.
 */
static const char *
scan_argv(const struct option *opts, int argc, char **argv, bool *given)
{
    const char *path = NULL;
    int opt, idx, saved_opterr = opterr;

    opterr = 0;
    optind = 0; /* glibc: start over, with its state reset */
    idx = -1;
    while ((opt = getopt_long(argc, argv, "", opts, &idx)) != -1) {
        if (opt != '?' && opt != ':' && idx >= 0) {
            given[idx] = true;
            if (strcmp(opts[idx].name, "config") == 0)
                path = optarg;
        }
        idx = -1;
    }
    opterr = saved_opterr;
    optind = 0;
    return path;
}

int
config_args_make(const struct option *opts, int argc, char **argv,
                 struct config_args *out, char *err, size_t errlen)
{
    config_t cf;
    config_setting_t *root;
    bool *given = NULL;
    char *text = NULL;
    const char *path;
    size_t n_opts = 0;
    int r = 0;

    memset(out, 0, sizeof(*out));
    config_init(&cf);
    while (opts[n_opts].name != NULL)
        n_opts++;
    out->n_opts = n_opts;
    given = calloc(n_opts + 1, sizeof(*given));
    out->line = calloc(n_opts + 1, sizeof(*out->line));
    if (given == NULL || out->line == NULL) {
        r = -ENOMEM;
        goto out;
    }
    path = scan_argv(opts, argc, argv, given);
    if (path != NULL && path[0] == '\0')
        goto argv_only; /* --config '': no file, not even the default */
    if (path == NULL) {
        r = read_file(CONFIG_DEFAULT_PATH, &text, err, errlen);
        if (r == -ENOENT)
            r = 0; /* no default file: options from the command line only */
        if (r < 0 || text == NULL)
            goto argv_only;
        path = CONFIG_DEFAULT_PATH;
    } else if ((r = read_file(path, &text, err, errlen)) < 0) {
        r = r == -ENOMEM ? r : -EINVAL;
        goto out;
    }
    if ((out->file = strdup(path)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    if ((r = prescan(path, text, err, errlen)) < 0)
        goto out;
    if (config_read_string(&cf, text) != CONFIG_TRUE) {
        (void)text_error(err, errlen, "%s:%d: %s", path, config_error_line(&cf),
                         config_error_text(&cf));
        r = -EINVAL;
        goto out;
    }
    root = config_root_setting(&cf);
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *s = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(s);
        unsigned line = config_setting_source_line(s);
        size_t k;

        for (k = 0; k < n_opts; k++)
            if (strcmp(opts[k].name, name) == 0)
                break;
        if (k == n_opts || strcmp(name, "config") == 0 || strcmp(name, "help") == 0) {
            char hint[80] = "";
            if (strchr(name, '_') != NULL)
                snprintf(hint, sizeof(hint), " (names use -, not _)");
            (void)text_error(err, errlen,
                             "%s:%u: %s: not a setting of pantry-retailer listen%s",
                             path, line, name, hint);
            r = -EINVAL;
            goto out;
        }
        if (given[k])
            continue; /* the command line's wins */
        out->line[k] = line;
        if ((r = push_setting(out, path, &opts[k], s, err, errlen)) < 0)
            goto out;
    }
argv_only:
    if (r < 0)
        goto out;
    out->argv = calloc((size_t)argc + out->n_owned + 1, sizeof(*out->argv));
    if (out->argv == NULL) {
        r = -ENOMEM;
        goto out;
    }
    out->argv[0] = argv[0];
    for (size_t i = 0; i < out->n_owned; i++)
        out->argv[1 + i] = out->owned[i];
    for (int i = 1; i < argc; i++)
        out->argv[out->n_owned + (size_t)i] = argv[i];
    out->argc = argc + (int)out->n_owned;
    r = 0;
out:
    if (r == -ENOMEM)
        (void)text_error(err, errlen, "%s", strerror(ENOMEM));
    config_destroy(&cf);
    free(text);
    free(given);
    return r;
}

const char *
config_args_where(const struct config_args *a, const struct option *opts,
                  const char *name, char *buf, size_t len)
{
    if (a == NULL || a->file == NULL || a->line == NULL)
        return NULL;
    for (size_t k = 0; k < a->n_opts; k++)
        if (strcmp(opts[k].name, name) == 0 && a->line[k] > 0) {
            snprintf(buf, len, "%s:%u", a->file, a->line[k]);
            return buf;
        }
    return NULL;
}

void
config_args_fini(struct config_args *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i < a->n_owned; i++)
        free(a->owned[i]);
    free(a->owned);
    free(a->argv);
    free(a->file);
    free(a->line);
    memset(a, 0, sizeof(*a));
}
