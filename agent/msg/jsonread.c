/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Exact JSON objects (see jsonread.h). The text is first walked by a small
 * recursive-descent checker of RFC 8259's grammar that knows where it is, so
 * every refusal names its byte; only text it accepts goes to cJSON, whose tree
 * is then searched for names given twice.
 */
#include "agent/msg/jsonread.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "sensors/text.h"

struct lex {
    const unsigned char *s;
    size_t n, i;
    int max_depth;
    const char *what;
    char *err;
    size_t errlen;
};

/* "<what>: <message> at byte <i + 1>"; returns -1. */
__attribute__((format(printf, 2, 3))) static int
bad_at(struct lex *l, const char *fmt, ...)
{
    char msg[160];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (l->i >= l->n)
        text_error(l->err, l->errlen, "%s: %s, at the end of the text", l->what, msg);
    else
        text_error(l->err, l->errlen, "%s: %s at byte %zu", l->what, msg, l->i + 1);
    return -1;
}

/*
 * name as messages quote it: at most 40 bytes, printable ASCII, anything else
 * '?' (a name may hold any character, and messages go to logs and sockets).
 */
static const char *
quoted(const char *name, char *buf, size_t len)
{
    size_t i = 0;

    for (; name[i] != '\0' && i + 1 < len && i < 40; i++)
        buf[i] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
    buf[i] = '\0';
    return buf;
}

static void
skip_ws(struct lex *l)
{
    while (l->i < l->n && (l->s[l->i] == ' ' || l->s[l->i] == '\t' ||
                           l->s[l->i] == '\n' || l->s[l->i] == '\r'))
        l->i++;
}

static bool
is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool
is_hex(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int
string(struct lex *l)
{
    l->i++; /* the opening quote */
    for (;;) {
        if (l->i >= l->n)
            return bad_at(l, "a string without its closing quote");
        unsigned char c = l->s[l->i];
        if (c == '"') {
            l->i++;
            return 0;
        }
        if (c < 0x20)
            return bad_at(l, "control character 0x%02x in a string (escape it)", c);
        if (c != '\\') {
            l->i++;
            continue;
        }
        if (l->i + 1 >= l->n)
            return bad_at(l, "a string without its closing quote");
        c = l->s[l->i + 1];
        if (c == 'u') {
            if (l->n - l->i < 6 || !is_hex(l->s[l->i + 2]) || !is_hex(l->s[l->i + 3]) ||
                !is_hex(l->s[l->i + 4]) || !is_hex(l->s[l->i + 5]))
                return bad_at(l, "\\u without four hex digits");
            if (memcmp(l->s + l->i + 2, "0000", 4) == 0)
                return bad_at(l, "\\u0000 in a string (a NUL is not accepted)");
            l->i += 6;
        } else if (strchr("\"\\/bfnrt", c) != NULL && c != '\0') {
            l->i += 2;
        } else {
            return bad_at(l, "unknown escape \\%c", c >= 0x20 && c < 0x7f ? c : '?');
        }
    }
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int
number(struct lex *l)
{
    size_t start = l->i;

    if (l->s[l->i] == '-')
        l->i++;
    if (l->i < l->n && l->s[l->i] == '0') {
        l->i++;
    } else if (l->i < l->n && is_digit(l->s[l->i])) {
        while (l->i < l->n && is_digit(l->s[l->i]))
            l->i++;
    } else {
        l->i = start;
        return bad_at(l, "a number without digits");
    }
    if (l->i < l->n && l->s[l->i] == '.') {
        l->i++;
        if (l->i >= l->n || !is_digit(l->s[l->i]))
            return bad_at(l, "a number without digits after its point");
        while (l->i < l->n && is_digit(l->s[l->i]))
            l->i++;
    }
    if (l->i < l->n && (l->s[l->i] == 'e' || l->s[l->i] == 'E')) {
        l->i++;
        if (l->i < l->n && (l->s[l->i] == '+' || l->s[l->i] == '-'))
            l->i++;
        if (l->i >= l->n || !is_digit(l->s[l->i]))
            return bad_at(l, "a number without digits in its exponent");
        while (l->i < l->n && is_digit(l->s[l->i]))
            l->i++;
    }
    if (l->i < l->n && (is_digit(l->s[l->i]) || l->s[l->i] == '.'))
        return bad_at(l, "not a JSON number (a leading zero?)");
    return 0;
}

static int value(struct lex *l, int depth);

/* An object or an array (close is '}' or ']'), at depth. */
static int
container(struct lex *l, int depth, unsigned char close)
{
    if (depth > l->max_depth)
        return bad_at(l, "nested deeper than %d levels", l->max_depth);
    l->i++;
    skip_ws(l);
    if (l->i < l->n && l->s[l->i] == close) {
        l->i++;
        return 0;
    }
    for (;;) {
        skip_ws(l);
        if (close == '}') {
            if (l->i >= l->n || l->s[l->i] != '"')
                return bad_at(l, "expected a member name in quotes");
            if (string(l) < 0)
                return -1;
            skip_ws(l);
            if (l->i >= l->n || l->s[l->i] != ':')
                return bad_at(l, "expected ':' after a member name");
            l->i++;
        }
        if (value(l, depth) < 0)
            return -1;
        skip_ws(l);
        if (l->i < l->n && l->s[l->i] == ',') {
            l->i++;
            continue;
        }
        if (l->i < l->n && l->s[l->i] == close) {
            l->i++;
            return 0;
        }
        return bad_at(l, "expected ',' or '%c'", close);
    }
}

static int
literal(struct lex *l, const char *word)
{
    size_t k = strlen(word);

    if (l->n - l->i < k || memcmp(l->s + l->i, word, k) != 0)
        return bad_at(l, "expected a value");
    l->i += k;
    return 0;
}

static int
value(struct lex *l, int depth)
{
    skip_ws(l);
    if (l->i >= l->n)
        return bad_at(l, "expected a value");
    unsigned char c = l->s[l->i];
    if (c == '{')
        return container(l, depth + 1, '}');
    if (c == '[')
        return container(l, depth + 1, ']');
    if (c == '"')
        return string(l);
    if (c == '-' || is_digit(c))
        return number(l);
    if (c == 't')
        return literal(l, "true");
    if (c == 'f')
        return literal(l, "false");
    if (c == 'n')
        return literal(l, "null");
    return bad_at(l, "expected a value");
}

/* What the value at l->i looks like, for "expected an object, found ...". */
static const char *
found(const struct lex *l)
{
    if (l->i >= l->n)
        return "nothing";
    switch (l->s[l->i]) {
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "true or false";
    case 'n':
        return "null";
    default:
        return l->s[l->i] == '-' || is_digit(l->s[l->i]) ? "a number"
                                                         : "text that is not JSON";
    }
}

/* The first name given twice in o or any object inside it, or NULL. */
static const char *
twice(const cJSON *o)
{
    for (const cJSON *c = o->child; c != NULL; c = c->next) {
        if (cJSON_IsObject(o))
            for (const cJSON *d = c->next; d != NULL; d = d->next)
                if (strcmp(c->string, d->string) == 0)
                    return c->string;
        if (cJSON_IsObject(c) || cJSON_IsArray(c)) {
            const char *t = twice(c);
            if (t != NULL)
                return t;
        }
    }
    return NULL;
}

cJSON *
jr_parse(const char *text, size_t len, size_t max_len, int max_depth, const char *what,
         char *err, size_t errlen)
{
    struct lex l = {(const unsigned char *)text, len, 0, max_depth, what, err, errlen};
    const char *nul, *dup;
    cJSON *root;

    if (len == 0 || len > max_len)
        return text_error(err, errlen, "%s: expected 1 to %zu bytes of JSON, got %zu",
                          what, max_len, len),
               NULL;
    if ((nul = memchr(text, '\0', len)) != NULL)
        return text_error(err, errlen, "%s: a NUL byte at byte %zu", what,
                          (size_t)(nul - text) + 1),
               NULL;
    if (text_utf8_count(text, len) < 0)
        return text_error(err, errlen, "%s: not UTF-8 (RFC 8259, section 8.1)", what),
               NULL;
    skip_ws(&l);
    if (l.i >= l.n || l.s[l.i] != '{')
        return bad_at(&l, "expected a JSON object, found %s", found(&l)), NULL;
    if (container(&l, 1, '}') < 0)
        return NULL;
    skip_ws(&l);
    if (l.i != l.n)
        return bad_at(&l, "text after the object"), NULL;
    /* The grammar holds: cJSON fails only for memory or a lone UTF-16 surrogate. */
    if ((root = cJSON_ParseWithLength(text, len)) == NULL)
        return text_error(err, errlen,
                          "%s: an escape that is not a character (a lone "
                          "UTF-16 surrogate?), or out of memory",
                          what),
               NULL;
    if ((dup = twice(root)) != NULL) {
        char q[41];
        text_error(err, errlen, "%s: member \"%s\" given twice", what,
                   quoted(dup, q, sizeof(q)));
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static unsigned
type_of(const cJSON *v)
{
    if (cJSON_IsString(v))
        return JR_STRING;
    if (cJSON_IsNumber(v))
        return JR_NUMBER;
    if (cJSON_IsObject(v))
        return JR_OBJECT;
    if (cJSON_IsArray(v))
        return JR_ARRAY;
    if (cJSON_IsBool(v))
        return JR_BOOL;
    return JR_NULL;
}

const char *
jr_types_text(unsigned types, char *buf, size_t len)
{
    static const char *const names[] = {"a string", "a number",      "an object",
                                        "an array", "true or false", "null"};
    size_t at = 0;
    unsigned left = types & 0x3fu;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    for (unsigned k = 0; k < 6; k++) {
        if (!(left & (1u << k)))
            continue;
        left &= ~(1u << k);
        int w = snprintf(buf + at, len - at, "%s%s",
                         at == 0 ? ""
                         : left  ? ", "
                                 : " or ",
                         names[k]);
        if (w < 0 || (size_t)w >= len - at)
            break;
        at += (size_t)w;
    }
    return buf;
}

int
jr_members(const cJSON *o, const char *where, const struct jr_member *table, size_t n,
           char *err, size_t errlen)
{
    char want[80], q[41];

    if (!cJSON_IsObject(o))
        return text_error(err, errlen, "%s: expected an object", where);
    for (const cJSON *c = o->child; c != NULL; c = c->next) {
        size_t k = 0;
        while (k < n && table[k].name != NULL && strcmp(c->string, table[k].name) != 0)
            k++;
        if (k == n) {
            char known[200];
            size_t at = 0;
            for (size_t j = 0; j < n && at < sizeof(known); j++) {
                int w = snprintf(known + at, sizeof(known) - at, "%s%s", j ? ", " : "",
                                 table[j].name);
                if (w < 0)
                    break;
                at += (size_t)w;
            }
            return text_error(err, errlen, "%s: unknown member \"%s\" (known: %s)",
                              where, quoted(c->string, q, sizeof(q)), known);
        }
        if (!(type_of(c) & table[k].types))
            return text_error(err, errlen, "%s.%s: expected %s", where,
                              quoted(c->string, q, sizeof(q)),
                              jr_types_text(table[k].types, want, sizeof(want)));
    }
    for (size_t k = 0; k < n && table[k].name != NULL; k++)
        if (table[k].required &&
            cJSON_GetObjectItemCaseSensitive(o, table[k].name) == NULL)
            return text_error(err, errlen, "%s: member \"%s\" is missing%s%s%s", where,
                              table[k].name, table[k].expect ? " (" : "",
                              table[k].expect ? table[k].expect : "",
                              table[k].expect ? ")" : "");
    return 0;
}
