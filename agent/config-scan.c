/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pre-pass over a configuration's text (see config-scan.h): a small lexer
 * that keeps a stack of the groups and lists it is in, so that a literal that
 * does not fit can be named by its setting's path, and the kind of each open
 * bracket, so that it knows where a value may start.
 */
#include "config-scan.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum frame_kind { FRAME_GROUP, FRAME_LIST };

struct frame {
    enum frame_kind kind;
    char name[48]; /* FRAME_GROUP: the setting being read */
    int index;     /* FRAME_LIST (lists and arrays): the element being read */
};

#define MAX_FRAMES 8

bool
cfg_scan_name_start(char ch)
{
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || ch == '*';
}

bool
cfg_scan_name_char(char ch)
{
    return cfg_scan_name_start(ch) || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_';
}

static bool
is_digit(char ch)
{
    return ch >= '0' && ch <= '9';
}

static void
frames_path(const struct frame *f, size_t depth, char *buf, size_t len)
{
    size_t o = 0;

    buf[0] = '\0';
    for (size_t i = 0; i < depth && o < len; i++) {
        const char *dot = i > 0 ? "." : "";
        int n;
        if (f[i].kind == FRAME_GROUP)
            n = snprintf(buf + o, len - o, "%s%s", dot, f[i].name);
        else
            n = snprintf(buf + o, len - o, "%s[%d]", dot, f[i].index);
        o += n > 0 ? (size_t)n : 0;
    }
}

/* Whether a numeric literal fits where libconfig 1.5 stores it. */
static bool
literal_fits(const char *t, size_t n)
{
    char buf[64];
    bool is_float = false, hex = false, is_long = false;

    if (n >= sizeof(buf))
        return false;
    memcpy(buf, t, n);
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == 'L') {
        buf[--n] = '\0';
        is_long = true;
    }
    const char *p = buf + (buf[0] == '+' || buf[0] == '-');
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
        hex = true;
    else
        is_float = strpbrk(buf, ".eE") != NULL;
    errno = 0;
    if (is_float) {
        double d = strtod(buf, NULL);
        return !(errno == ERANGE && (d > 1 || d < -1));
    }
    if (hex) {
        unsigned long long u = strtoull(p, NULL, 16);
        return errno == 0 && (is_long ? u <= INT64_MAX : u <= INT32_MAX);
    }
    long long v = strtoll(buf, NULL, 10);
    if (errno != 0)
        return false;
    return is_long || (v >= INT32_MIN && v <= INT32_MAX);
}

/* The previous token, as far as the pre-pass needs to know it. */
enum prev_token {
    PREV_NONE,
    PREV_VALUE_START, /* = : ( [ or a comma in a list: a value may follow */
    PREV_STRING,      /* a string: another one may follow (concatenation) */
    PREV_OTHER,       /* anything after which a string is a syntax error */
};

/* Open brackets whose kind is remembered, for commas; deeper ones count as lists. */
#define MAX_KINDS 256

/*
 * Follow the text's structure as libconfig's grammar does (names, { } ( ) [ ],
 * commas; strings and comments skipped) far enough to
 *  - name the setting of every numeric literal that does not fit (out->ov),
 *  - find @include lines,
 *  - find the first string where no value may start (out->bad_string): libconfig
 *    1.5 leaks a string that is the token of a syntax error (its grammar has
 *    no %destructor), so load_text() hands it a copy with " 0 " there instead,
 *    which is the same syntax error on the same line without the leak.
 * Returns false when the text cannot be used at all (an @include, too many
 * lines).
 */
bool
cfg_scan(const char *text, struct cfg_scan *out,
         void (*report)(void *arg, unsigned line, const char *what), void *arg)
{
    struct frame f[MAX_FRAMES];
    enum frame_kind kinds[MAX_KINDS];
    size_t depth = 1, extra = 0; /* frames beyond MAX_FRAMES are only counted */
    size_t nest = 0;             /* open brackets of any depth */
    enum prev_token prev = PREV_NONE;
    unsigned line = 1;
    bool line_start = true, ok = true;
    const char *p = text;

    f[0] = (struct frame){.kind = FRAME_GROUP};
    while (*p != '\0') {
        char ch = *p;
        if (ch == '\n') {
            if (++line > CFG_LINES_MAX) {
                char what[64];
                snprintf(what, sizeof(what), "expected at most %d lines, found more",
                         CFG_LINES_MAX);
                report(arg, line, what);
                return false;
            }
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
            while (*p != '\0' && *p != '\n')
                p++;
            continue;
        }
        if (ch == '/' && p[1] == '*') {
            for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
                line += *p == '\n';
            p += *p != '\0' ? 2 : 0;
            continue;
        }
        enum prev_token next = PREV_OTHER;
        if (ch == '@') {
            if (at_start && strncmp(p, "@include", 8) == 0) {
                report(arg, line,
                       "@include: expected every setting in this one file, found "
                       "an @include");
                ok = false;
            }
            p++;
        } else if (ch == '"') {
            const char *start = p;
            for (p++; *p != '\0' && *p != '"'; p++) {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                line += *p == '\n';
            }
            p += *p != '\0';
            if (prev != PREV_VALUE_START && prev != PREV_STRING &&
                out->bad_string == NULL) {
                out->bad_string = start;
                out->bad_string_len = (size_t)(p - start);
            }
            next = PREV_STRING;
        } else if (cfg_scan_name_start(ch)) {
            const char *start = p;
            while (cfg_scan_name_char(*p))
                p++;
            const char *q = p;
            while (*q == ' ' || *q == '\t')
                q++;
            if ((*q == '=' || *q == ':') && extra == 0 &&
                f[depth - 1].kind == FRAME_GROUP) {
                size_t n = (size_t)(p - start);
                if (n >= sizeof(f[0].name))
                    n = sizeof(f[0].name) - 1;
                memcpy(f[depth - 1].name, start, n);
                f[depth - 1].name[n] = '\0';
            }
        } else if (is_digit(ch) || ((ch == '-' || ch == '+' || ch == '.') &&
                                    (is_digit(p[1]) || p[1] == '.'))) {
            const char *start = p;
            p++;
            while (cfg_scan_name_char(*p) || *p == '.' ||
                   ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
                p++;
            if (!literal_fits(start, (size_t)(p - start)) && extra == 0 &&
                out->n_ov < CFG_SCAN_OVERFLOWS) {
                struct cfg_overflow *o = &out->ov[out->n_ov++];
                frames_path(f, depth, o->path, sizeof(o->path));
                size_t n = (size_t)(p - start);
                if (n >= sizeof(o->text))
                    n = sizeof(o->text) - 4;
                snprintf(o->text, sizeof(o->text), "%.*s%s", (int)n, start,
                         n < (size_t)(p - start) ? "..." : "");
            }
        } else if (ch == '{' || ch == '(' || ch == '[') {
            enum frame_kind kind = ch == '{' ? FRAME_GROUP : FRAME_LIST;
            if (nest < MAX_KINDS)
                kinds[nest] = kind;
            nest++;
            if (depth < MAX_FRAMES && extra == 0)
                f[depth++] = (struct frame){.kind = kind};
            else
                extra++;
            next = ch == '{' ? PREV_OTHER : PREV_VALUE_START;
            p++;
        } else if (ch == '}' || ch == ')' || ch == ']') {
            nest -= nest > 0;
            if (extra > 0)
                extra--;
            else if (depth > 1)
                depth--;
            p++;
        } else if (ch == ',') {
            if (extra == 0 && f[depth - 1].kind == FRAME_LIST)
                f[depth - 1].index++;
            /* Unsure (nested too deep): say a value may follow, never flag. */
            if (nest == 0 || nest > MAX_KINDS || kinds[nest - 1] == FRAME_LIST)
                next = nest == 0 ? PREV_OTHER : PREV_VALUE_START;
            p++;
        } else if (ch == '=' || ch == ':') {
            next = PREV_VALUE_START;
            p++;
        } else {
            p++;
        }
        prev = next;
    }
    return ok;
}
