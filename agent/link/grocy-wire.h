/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the daemon and its Grocy sender say to each other (grocy.c,
 * grocy-sender.c). The sender is the daemon's own executable started again
 * with GROCY_SENDER_ARG, the other end of a SOCK_SEQPACKET pair on
 * GROCY_SENDER_FD: one message is one datagram, so there is no framing to get
 * wrong, and a message longer than its reader's buffer is seen (MSG_TRUNC).
 *
 *   sender -> daemon   a hello (libcurl loaded, or why not), once, first
 *   daemon -> sender   a request: a POST of body to url with the API key
 *   sender -> daemon   its answer: HTTP status, libcurl's code and text, the
 *                      body (at most GROCY_ANSWER_MAX bytes kept)
 *
 * Both ends come from one build; a version mismatch (the package upgraded
 * under a running daemon) is refused in the hello.
 */
#ifndef PANTRY_AGENT_GROCY_WIRE_H
#define PANTRY_AGENT_GROCY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/config/config-grocy.h"
#include "agent/config/agent-config.h"

#define GROCY_SENDER_ARG "--grocy-sender"
#define GROCY_SENDER_FD 3
#define GROCY_WIRE_VERSION 0x67720001u /* "gr", 1 */
#define GROCY_ANSWER_MAX 65536 /* bytes of an answer kept; more is a bad answer */

/* The longest request body (grocy.c builds them). */
#define GROCY_BODY_MAX 256

struct grocy_wire_req {
    uint32_t version;
    uint32_t timeout_ms;
    uint16_t url_len, body_len, key_len, ca_len;
    /* then url, body, key and ca_file ("" for the system's CAs), without
     * their NULs, in that order */
};

#define GROCY_REQ_MAX                                                                  \
    (sizeof(struct grocy_wire_req) + CFG_GROCY_URL_MAX + 64 + GROCY_BODY_MAX +         \
     CFG_GROCY_KEY_MAX + CFG_PATH_MAX)

enum grocy_wire_kind {
    GROCY_WIRE_HELLO = 1,  /* text: "" when ready, else why it cannot send */
    GROCY_WIRE_ANSWER = 2, /* http, cc, too_big, text: libcurl's for cc */
};

struct grocy_wire_ans {
    uint32_t version;
    uint32_t kind;
    int32_t http;     /* the status, 0 when none came */
    int32_t cc;       /* libcurl's CURLcode */
    uint32_t too_big; /* the body was cut at GROCY_ANSWER_MAX */
    char text[160];   /* NUL-terminated */
    /* then the answer's body */
};

#define GROCY_ANS_MAX (sizeof(struct grocy_wire_ans) + GROCY_ANSWER_MAX)

/* A request, as its two ends hold it. */
struct grocy_req {
    uint32_t timeout_ms; /* 1 .. 600000 */
    char url[CFG_GROCY_URL_MAX + 64];
    char body[GROCY_BODY_MAX];
    char key[CFG_GROCY_KEY_MAX + 1];
    char ca_file[CFG_PATH_MAX]; /* "": the system's CAs */
};

/* r as a message into msg (GROCY_REQ_MAX bytes): its length, 0 when r is not
 * one grocy_wire_req_read() takes back. */
size_t grocy_wire_req_write(const struct grocy_req *r, unsigned char *msg);

/* The request in the len bytes of msg, exactly as grocy_wire_req_write()
 * writes one; false for anything else (out then holds no key). */
bool grocy_wire_req_read(const unsigned char *msg, size_t len, struct grocy_req *out);

/* The sender's message of len bytes (its length as recv() with MSG_TRUNC
 * tells it): its kind, or 0 with why when no sender of this build says it. */
uint32_t grocy_wire_ans_check(const unsigned char *msg, size_t len, char *why,
                              size_t whylen);

/* The sender's main (grocy-sender.c): the process exits with it. */
int grocy_sender_main(void);

#endif
