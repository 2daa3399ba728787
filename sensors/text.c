/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Strict text helpers shared by the trace readers (see text.h).
 */
#include "sensors/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool
text_parse_uint(const char *s, size_t max_digits, bool leading_zeros, int64_t *out)
{
    int64_t v = 0;
    size_t n = 0;
    if (max_digits > 18)
        max_digits = 18;
    for (; s[n] != '\0'; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= max_digits)
            return false;
        v = v * 10 + (s[n] - '0');
    }
    if (n == 0 || (!leading_zeros && n > 1 && s[0] == '0'))
        return false;
    *out = v;
    return true;
}

bool
text_parse_int(const char *s, size_t max_digits, int64_t *out)
{
    bool neg = s[0] == '-';
    int64_t v;
    if (!text_parse_uint(s + neg, max_digits, false, &v) || (neg && v == 0))
        return false;
    *out = neg ? -v : v;
    return true;
}

/* 1..max_len-1 characters of a-z (and A-Z when upper), 0-9, '_' and '-'. */
static bool
id_chars(const char *s, size_t max_len, bool upper)
{
    size_t n = strlen(s);
    if (n == 0 || n >= max_len)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (upper && c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return true;
}

bool
text_is_id(const char *s, size_t max_len)
{
    return id_chars(s, max_len, false);
}

bool
text_is_name(const char *s, size_t max_len)
{
    return id_chars(s, max_len, true);
}

enum text_line
text_read_line(FILE *f, char *buf, size_t max, size_t *len)
{
    size_t n = 0;
    int c;

    /* getc, not fgets: a NUL byte must not hide the bytes after it. */
    while ((c = getc_unlocked(f)) != EOF && c != '\n') {
        if (n == max) {
            ungetc(c, f);
            break;
        }
        buf[n++] = (char)c;
    }
    buf[n] = '\0';
    *len = n;
    if (c == '\n')
        return TEXT_LINE_OK;
    if (c != EOF)
        return TEXT_LINE_LONG;
    if (ferror(f))
        return TEXT_LINE_ERROR;
    return n > 0 ? TEXT_LINE_UNENDED : TEXT_LINE_EOF;
}

int
text_line_error(enum text_line what, size_t max, char *err, size_t errlen)
{
    switch (what) {
    case TEXT_LINE_LONG:
        return text_error(err, errlen,
                          "expected a line of at most %zu bytes, found a longer one",
                          max);
    case TEXT_LINE_UNENDED:
        return text_error(err, errlen,
                          "expected a newline at the end of the last line (is the "
                          "file cut short?)");
    case TEXT_LINE_ERROR:
        text_error(err, errlen, "read error: %s", strerror(errno));
        return -EIO;
    default:
        return text_error(err, errlen, "expected a line");
    }
}

int
text_error(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    text_verror(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

void
text_verror(char *err, size_t errlen, const char *fmt, va_list ap)
{
    if (err != NULL && errlen > 0)
        vsnprintf(err, errlen, fmt, ap);
}

int
text_utf8_next(const char *s, size_t left, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned c, need;
    uint32_t v, min;

    if (left == 0)
        return -1;
    c = p[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        need = 1, v = c & 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        need = 2, v = c & 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        need = 3, v = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    if (left <= need)
        return -1;
    for (unsigned k = 1; k <= need; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return -1;
        v = (v << 6) | (p[k] & 0x3f);
    }
    if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff))
        return -1;
    *cp = v;
    return (int)need + 1;
}

long
text_utf8_count(const char *s, size_t len)
{
    long count = 0;
    size_t i = 0;
    uint32_t cp;

    while (i < len) {
        int n;
        /* ASCII, nearly every byte of a token or a payload, needs no
         * decoding: a call per byte cost the retailer 16,000 instructions
         * a token (tests/retailer/BENCH.md). */
        if ((unsigned char)s[i] < 0x80) {
            i++;
            count++;
            continue;
        }
        n = text_utf8_next(s + i, len - i, &cp);
        if (n < 0)
            return -1;
        i += (size_t)n;
        count++;
    }
    return count;
}

/* 1,000 kg: the models' MODELS_MASS_MAX_MG. */
#define TEXT_GRAMS_MAX INT64_C(1000000)

int
text_parse_grams(const char *s, int64_t *mg)
{
    char whole[16], frac[4] = "000";
    const char *dot = strchr(s, '.');
    size_t wn = dot ? (size_t)(dot - s) : strlen(s);
    int64_t w, f;
    if (wn == 0 || wn >= sizeof(whole))
        return -EINVAL;
    memcpy(whole, s, wn);
    whole[wn] = '\0';
    if (!text_parse_uint(whole, 7, true, &w))
        return -EINVAL;
    if (dot != NULL) {
        size_t fn = strlen(dot + 1);
        if (fn == 0 || fn > 3)
            return -EINVAL;
        memcpy(frac, dot + 1, fn);
        if (!text_parse_uint(frac, 3, true, &f))
            return -EINVAL;
    } else {
        f = 0;
    }
    if (w > TEXT_GRAMS_MAX || (w == TEXT_GRAMS_MAX && f > 0))
        return -EINVAL;
    *mg = w * 1000 + f;
    return 0;
}
