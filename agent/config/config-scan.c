/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pre-pass over a configuration's text (see config-scan.h): a small lexer
 * that keeps a stack of the groups and lists it is in, so that a literal that
 * does not fit can be named by its setting's path, and the kind of each open
 * bracket, so that it knows where a value may start.
 */
#include "agent/config/config-scan.h"

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

/* Where the scan stands in the text. */
struct scanner {
    const char *p;
    unsigned line;
    bool line_start; /* only blanks since the last newline */
    struct frame f[MAX_FRAMES];
    size_t depth, extra; /* frames beyond MAX_FRAMES are only counted */
    enum frame_kind kinds[MAX_KINDS];
    size_t nest; /* open brackets of any depth */
    enum prev_token prev;
    struct cfg_scan *out;
    void (*report)(void *arg, unsigned line, const char *what);
    void *arg;
};

/*
 * Skip one newline, blank or comment at s->p. Returns 1 when it did, 0 when
 * s->p is at a token, -1 past CFG_LINES_MAX lines (reported).
 */
static int
skip_space(struct scanner *s)
{
    const char *p = s->p;

    if (*p == '\n') {
        if (++s->line > CFG_LINES_MAX) {
            char what[64];
            snprintf(what, sizeof(what), "expected at most %d lines, found more",
                     CFG_LINES_MAX);
            s->report(s->arg, s->line, what);
            return -1;
        }
        s->line_start = true;
        s->p++;
        return 1;
    }
    if (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\f') {
        s->p++;
        return 1;
    }
    if (*p == '#' || (*p == '/' && p[1] == '/')) {
        while (*p != '\0' && *p != '\n')
            p++;
    } else if (*p == '/' && p[1] == '*') {
        for (p += 2; *p != '\0' && !(p[0] == '*' && p[1] == '/'); p++)
            s->line += *p == '\n';
        p += *p != '\0' ? 2 : 0;
    } else {
        return 0;
    }
    s->line_start = false;
    s->p = p;
    return 1;
}

/* A string; the first one where no value may start is remembered. */
static enum prev_token
scan_string(struct scanner *s)
{
    const char *start = s->p, *p = s->p;

    for (p++; *p != '\0' && *p != '"'; p++) {
        if (*p == '\\' && p[1] != '\0')
            p++;
        s->line += *p == '\n';
    }
    p += *p != '\0';
    if (s->prev != PREV_VALUE_START && s->prev != PREV_STRING &&
        s->out->bad_string == NULL) {
        s->out->bad_string = start;
        s->out->bad_string_len = (size_t)(p - start);
    }
    s->p = p;
    return PREV_STRING;
}

/* A name; before = or : in a group it names the setting being read. */
static enum prev_token
scan_name(struct scanner *s)
{
    const char *start = s->p, *p = s->p;

    while (cfg_scan_name_char(*p))
        p++;
    const char *q = p;
    while (*q == ' ' || *q == '\t')
        q++;
    struct frame *top = &s->f[s->depth - 1];
    if ((*q == '=' || *q == ':') && s->extra == 0 && top->kind == FRAME_GROUP) {
        size_t n = (size_t)(p - start);
        if (n >= sizeof(top->name))
            n = sizeof(top->name) - 1;
        memcpy(top->name, start, n);
        top->name[n] = '\0';
    }
    s->p = p;
    return PREV_OTHER;
}

static bool
number_start(const char *p)
{
    return is_digit(p[0]) || ((p[0] == '-' || p[0] == '+' || p[0] == '.') &&
                              (is_digit(p[1]) || p[1] == '.'));
}

/* A numeric literal; one that does not fit is remembered with its path. */
static enum prev_token
scan_number(struct scanner *s)
{
    const char *start = s->p, *p = s->p + 1;

    while (cfg_scan_name_char(*p) || *p == '.' ||
           ((*p == '+' || *p == '-') && (p[-1] == 'e' || p[-1] == 'E')))
        p++;
    s->p = p;
    if (literal_fits(start, (size_t)(p - start)) || s->extra != 0 ||
        s->out->n_ov >= CFG_SCAN_OVERFLOWS)
        return PREV_OTHER;
    struct cfg_overflow *o = &s->out->ov[s->out->n_ov++];
    frames_path(s->f, s->depth, o->path, sizeof(o->path));
    size_t n = (size_t)(p - start);
    if (n >= sizeof(o->text))
        n = sizeof(o->text) - 4;
    snprintf(o->text, sizeof(o->text), "%.*s%s", (int)n, start,
             n < (size_t)(p - start) ? "..." : "");
    return PREV_OTHER;
}

/* { ( or [: a group, or a list where a value may start. */
static enum prev_token
open_bracket(struct scanner *s, char ch)
{
    enum frame_kind kind = ch == '{' ? FRAME_GROUP : FRAME_LIST;

    if (s->nest < MAX_KINDS)
        s->kinds[s->nest] = kind;
    s->nest++;
    if (s->depth < MAX_FRAMES && s->extra == 0)
        s->f[s->depth++] = (struct frame){.kind = kind};
    else
        s->extra++;
    s->p++;
    return ch == '{' ? PREV_OTHER : PREV_VALUE_START;
}

static enum prev_token
close_bracket(struct scanner *s)
{
    s->nest -= s->nest > 0;
    if (s->extra > 0)
        s->extra--;
    else if (s->depth > 1)
        s->depth--;
    s->p++;
    return PREV_OTHER;
}

/* A comma: the next element of a list, where a value may start. */
static enum prev_token
comma(struct scanner *s)
{
    enum prev_token next = PREV_OTHER;

    if (s->extra == 0 && s->f[s->depth - 1].kind == FRAME_LIST)
        s->f[s->depth - 1].index++;
    /* Unsure (nested too deep): say a value may follow, never flag. */
    if (s->nest == 0 || s->nest > MAX_KINDS || s->kinds[s->nest - 1] == FRAME_LIST)
        next = s->nest == 0 ? PREV_OTHER : PREV_VALUE_START;
    s->p++;
    return next;
}

/* Any other character: = and : are where a value may start. */
static enum prev_token
other_char(struct scanner *s, enum prev_token next)
{
    s->p++;
    return next;
}

/* One token at s->p; returns false at an @include (reported). */
static bool
scan_token(struct scanner *s, bool at_start)
{
    char ch = *s->p;

    if (ch == '@') {
        bool include = at_start && strncmp(s->p, "@include", 8) == 0;
        if (include)
            s->report(s->arg, s->line,
                      "@include: expected every setting in this one file, found "
                      "an @include");
        s->p++;
        s->prev = PREV_OTHER;
        return !include;
    }
    if (ch == '"')
        s->prev = scan_string(s);
    else if (cfg_scan_name_start(ch))
        s->prev = scan_name(s);
    else if (number_start(s->p))
        s->prev = scan_number(s);
    else if (ch == '{' || ch == '(' || ch == '[')
        s->prev = open_bracket(s, ch);
    else if (ch == '}' || ch == ')' || ch == ']')
        s->prev = close_bracket(s);
    else if (ch == ',')
        s->prev = comma(s);
    else
        s->prev = other_char(s, ch == '=' || ch == ':' ? PREV_VALUE_START : PREV_OTHER);
    return true;
}

/*
 * Follow the text's structure as libconfig's grammar does (names, { } ( ) [ ],
 * commas; strings and comments skipped) far enough to
 *  - name the setting of every numeric literal that does not fit (out->ov),
 *  - find @include lines,
 *  - find the first string where no value may start (out->bad_string).
 * Every @include is reported, so the scan goes on after one.
 */
bool
cfg_scan(const char *text, struct cfg_scan *out,
         void (*report)(void *arg, unsigned line, const char *what), void *arg)
{
    struct scanner s = {
        .p = text,
        .line = 1,
        .line_start = true,
        .depth = 1,
        .prev = PREV_NONE,
        .out = out,
        .report = report,
        .arg = arg,
    };
    bool ok = true;

    s.f[0] = (struct frame){.kind = FRAME_GROUP};
    while (*s.p != '\0') {
        bool at_start = s.line_start;
        int r = skip_space(&s);
        if (r < 0)
            return false;
        if (r > 0)
            continue;
        s.line_start = false;
        ok = scan_token(&s, at_start) && ok;
    }
    return ok;
}
