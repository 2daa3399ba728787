/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The messages between the daemon and its Grocy sender (grocy-wire.h),
 * written and checked. Each side takes only what the other side of the same
 * build writes: lengths within their fields, no NUL inside a string, nothing
 * after the last one (tests/agent/fuzz-grocy.c).
 */
#include "agent/link/grocy-wire.h"

#include <stdio.h>
#include <string.h>

#define PARTS 4

static void
parts(const struct grocy_req *r, const char *p[PARTS])
{
    p[0] = r->url;
    p[1] = r->body;
    p[2] = r->key;
    p[3] = r->ca_file;
}

size_t
grocy_wire_req_write(const struct grocy_req *r, unsigned char *msg)
{
    const char *p[PARTS];
    size_t n[PARTS], len = sizeof(struct grocy_wire_req);

    parts(r, p);
    for (size_t i = 0; i < PARTS; i++)
        n[i] = strlen(p[i]);
    if (r->timeout_ms == 0 || r->timeout_ms > 10 * 60000 || n[0] == 0 ||
        n[0] >= sizeof(r->url) || n[1] >= sizeof(r->body) || n[2] >= sizeof(r->key) ||
        n[3] >= sizeof(r->ca_file))
        return 0;
    struct grocy_wire_req h = {
        .version = GROCY_WIRE_VERSION,
        .timeout_ms = r->timeout_ms,
        .url_len = (uint16_t)n[0],
        .body_len = (uint16_t)n[1],
        .key_len = (uint16_t)n[2],
        .ca_len = (uint16_t)n[3],
    };
    memcpy(msg, &h, sizeof(h));
    for (size_t i = 0; i < PARTS; i++) {
        memcpy(msg + len, p[i], n[i]);
        len += n[i];
    }
    return len;
}

bool
grocy_wire_req_read(const unsigned char *msg, size_t len, struct grocy_req *out)
{
    struct grocy_wire_req h;
    size_t at = sizeof(h);
    char *dst[PARTS] = {out->url, out->body, out->key, out->ca_file};
    const size_t cap[PARTS] = {sizeof(out->url), sizeof(out->body), sizeof(out->key),
                               sizeof(out->ca_file)};

    memset(out, 0, sizeof(*out));
    if (len < sizeof(h) || len > GROCY_REQ_MAX)
        return false;
    memcpy(&h, msg, sizeof(h));
    const size_t n[PARTS] = {h.url_len, h.body_len, h.key_len, h.ca_len};
    if (h.version != GROCY_WIRE_VERSION || h.timeout_ms == 0 ||
        h.timeout_ms > 10 * 60000 || n[0] == 0)
        return false;
    for (size_t i = 0; i < PARTS; i++) {
        if (n[i] >= cap[i] || n[i] > len - at || memchr(msg + at, '\0', n[i]) != NULL) {
            explicit_bzero(out, sizeof(*out));
            return false;
        }
        memcpy(dst[i], msg + at, n[i]);
        at += n[i];
    }
    if (at != len) {
        explicit_bzero(out, sizeof(*out));
        return false;
    }
    out->timeout_ms = h.timeout_ms;
    return true;
}

uint32_t
grocy_wire_ans_check(const unsigned char *msg, size_t len, char *why, size_t whylen)
{
    struct grocy_wire_ans h;

    if (len >= sizeof(h))
        memcpy(&h, msg, sizeof(h));
    if (len < sizeof(h) || len > GROCY_ANS_MAX || h.version != GROCY_WIRE_VERSION ||
        (h.kind != GROCY_WIRE_HELLO && h.kind != GROCY_WIRE_ANSWER) ||
        memchr(h.text, '\0', sizeof(h.text)) == NULL ||
        (h.kind == GROCY_WIRE_HELLO && len != sizeof(h)) || h.too_big > 1) {
        snprintf(why, whylen,
                 "the Grocy sender said something it should not (another "
                 "version? restart pantry-agent)");
        return 0;
    }
    return h.kind;
}
