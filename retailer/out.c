/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The JSON lines of out.h. Verdicts are built with cJSON, which escapes every
 * string. An accepted line is written by hand around the payload's own bytes
 * (a cJSON round trip would print numbers as doubles, 9.00719925474099e+15):
 * its strings are escaped here, and the payload, valid JSON by then, only
 * loses the whitespace between its tokens, so a line never holds a raw
 * newline whatever the payload carried.
 */
#include "retailer/out.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "agent/msg/jws.h"
#include "sensors/text.h"
#include "agent/msg/utc.h"

/* A buffer sized once for the worst case, so appends never fail. */
struct buf {
    char *p;
    size_t n, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
    if (b->n + n >= b->cap)
        n = b->cap - b->n - 1; /* never reached: the caller sized the buffer */
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void
put_str(struct buf *b, const char *s)
{
    put(b, s, strlen(s));
}

/* s as a JSON string: at most 6 bytes an input byte, plus the quotes. */
static void
put_json_str(struct buf *b, const char *s, size_t n)
{
    size_t run = 0; /* s[run..i) needs no escape: copied in one put() */

    put(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];

        if (c != '"' && c != '\\' && c >= 0x20)
            continue;
        put(b, s + run, i - run);
        run = i + 1;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            put(b, esc, 2);
        } else {
            snprintf(esc, sizeof(esc), "\\u%04x", c);
            put(b, esc, 6);
        }
    }
    put(b, s + run, n - run);
    put(b, "\"", 1);
}

/* Valid JSON text without the whitespace between its tokens (RFC 8259 §2). */
static void
put_json_compact(struct buf *b, const char *s, size_t n)
{
    bool in_str = false, esc = false;

    for (size_t i = 0; i < n; i++) {
        char c = s[i];

        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            continue;
        } else if (c == '"') {
            in_str = true;
        }
        put(b, &c, 1);
    }
}

static int
finish(cJSON *root, bool ok, char **line)
{
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;

    cJSON_Delete(root);
    if (text == NULL)
        return -ENOMEM;
    *line = text;
    return 0;
}

int
out_accepted(enum payload_kind kind, const char *token, size_t len, int64_t received_s,
             char **line, char *err, size_t errlen)
{
    char when[UTC_TEXT_LEN], why[256], seq[24];
    struct jws j = {0};
    struct payload p;
    struct buf b = {0};
    int r;

    *line = NULL;
    if ((r = jws_decode_unverified(token, len, &j, why, sizeof(why))) < 0)
        return r == -ENOMEM ? r : text_error(err, errlen, "token: %s", why);
    if ((r = payload_parse(j.payload, j.payload_len, kind, &p, why, sizeof(why))) < 0) {
        jws_fini(&j);
        return r == -ENOMEM ? r : text_error(err, errlen, "payload: %s", why);
    }
    utc_format(received_s, when, sizeof(when));
    snprintf(seq, sizeof(seq), "%" PRId64, p.seq);
    b.cap = 256 + j.payload_len +
            6 * (len + strlen(p.device) + strlen(p.order_id) + strlen(j.kid));
    if ((b.p = malloc(b.cap)) == NULL) {
        r = -ENOMEM;
        goto out;
    }
    put_str(&b, "{\"accepted\":\"");
    put_str(&b, payload_kind_to_str(kind));
    put_str(&b, "\",\"device\":");
    put_json_str(&b, p.device, strlen(p.device));
    put_str(&b, ",\"order_id\":");
    put_json_str(&b, p.order_id, strlen(p.order_id));
    put_str(&b, ",\"seq\":");
    put_str(&b, seq);
    put_str(&b, ",\"kid\":");
    put_json_str(&b, j.kid, strlen(j.kid));
    put_str(&b, ",\"received\":");
    put_json_str(&b, when, strlen(when));
    put_str(&b, ",\"payload\":");
    put_json_compact(&b, j.payload, j.payload_len);
    put_str(&b, ",\"jws\":");
    put_json_str(&b, token, len);
    put_str(&b, "}");
    *line = b.p;
    r = 0;
out:
    payload_fini(&p);
    jws_fini(&j);
    return r;
}

int
out_write(FILE *f, const char *line)
{
    errno = 0;
    if (fputs(line, f) == EOF || putc('\n', f) == EOF || fflush(f) == EOF ||
        ferror(f)) {
        int e = errno != 0 ? errno : EIO;
        clearerr(f);
        return -e;
    }
    return 0;
}

/* The household's wishes of an accepted reorder v2, as signed (validated). */
static bool
add_wishes(cJSON *root, const struct check_result *res)
{
    const cJSON *w = cJSON_GetObjectItemCaseSensitive(res->p.json, "wishes");
    cJSON *copy;

    if (res->p.json == NULL || w == NULL)
        return true;
    if ((copy = cJSON_Duplicate(w, true)) == NULL)
        return false;
    if (!cJSON_AddItemToObject(root, "wishes", copy)) {
        cJSON_Delete(copy);
        return false;
    }
    return true;
}

int
out_verdict(long line_no, enum ledger_verdict v, const struct check_result *res,
            char **line)
{
    cJSON *root = cJSON_CreateObject();
    bool ok;

    if (root == NULL)
        return -ENOMEM;
    ok = cJSON_AddNumberToObject(root, "line", (double)line_no) &&
         cJSON_AddStringToObject(root, "verdict", ledger_verdict_to_str(v)) &&
         (v != LEDGER_REJECTED ||
          cJSON_AddStringToObject(root, "reason", check_reason_to_str(res->reason))) &&
         cJSON_AddStringToObject(root, "detail",
                                 v == LEDGER_REJECTED    ? res->detail
                                 : v == LEDGER_DUPLICATE ? "seen before"
                                                         : "ok") &&
         (res->device[0] == '\0' ||
          cJSON_AddStringToObject(root, "device", res->device)) &&
         (res->p.order_id[0] == '\0' ||
          cJSON_AddStringToObject(root, "order_id", res->p.order_id)) &&
         (res->p.seq == 0 || cJSON_AddNumberToObject(root, "seq", (double)res->p.seq));
    /* the household's wishes of an accepted reorder v2 */
    ok = ok && (v != LEDGER_ACCEPTED || add_wishes(root, res));
    return finish(root, ok, line);
}
