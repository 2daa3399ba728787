/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of what the Grocy link reads: the first byte picks which.
 *
 *   0  the body of a 200 to a stock call (grocy_answer_stock), the op from the
 *      second byte: accepted only if it is a JSON array, non-empty but for an
 *      inventory; and the error_message of a refusal (grocy_answer_error):
 *      printable ASCII only, at most 200 characters, always terminated;
 *   1  a message from the Grocy sender (grocy_wire_ans_check): taken only
 *      with this build's version, a known kind, its text terminated, a hello
 *      without a body, within GROCY_ANS_MAX;
 *   2  a request to the sender (grocy_wire_req_read): taken only if writing
 *      what was read gives the same bytes back, and each string is within
 *      its field; a refusal leaves no key behind.
 *
 * Each input is copied to a buffer of its exact size, so a read past its end
 * is caught by ASan.
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "agent/link/grocy-answer.h"
#include "agent/link/grocy-wire.h"

/* i past an optional UTF-8 byte order mark and what cJSON skips as blanks
 * (every byte up to 0x20, NUL included, within the length). */
static size_t
skip(const char *text, size_t len, size_t i)
{
    if (i == 0 && len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        i = 3;
    while (i < len && (unsigned char)text[i] <= 0x20)
        i++;
    return i;
}

static void
stock(const char *text, size_t len, unsigned op)
{
    static const enum store_grocy_op ops[] = {GROCY_OP_CONSUME, GROCY_OP_ADD,
                                              GROCY_OP_INVENTORY};
    char buf[64];
    const char *why = grocy_answer_stock(text, len, ops[op % 3], 12);

    if (why == NULL) {
        size_t i = skip(text, len, 0);
        FUZZ_ASSERT(i < len && text[i] == '[');
        if (ops[op % 3] != GROCY_OP_INVENTORY) {
            /* Not "[]" with blanks: an entry is there. */
            size_t j = skip(text, len, i + 1);
            FUZZ_ASSERT(j < len && text[j] != ']');
        }
    }
    grocy_answer_error(text, len, buf, sizeof(buf));
    size_t n = strnlen(buf, sizeof(buf));
    FUZZ_ASSERT(n < sizeof(buf));
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(buf[i] >= 0x20 && buf[i] < 0x7f);
    grocy_answer_error(text, len, buf, 1);
    FUZZ_ASSERT(buf[0] == '\0');
}

static void
answer(const unsigned char *msg, size_t len)
{
    char why[200];
    uint32_t kind = grocy_wire_ans_check(msg, len, why, sizeof(why));
    struct grocy_wire_ans h;

    if (kind == 0) {
        FUZZ_ASSERT(strstr(why, "Grocy sender") != NULL);
        return;
    }
    FUZZ_ASSERT(len >= sizeof(h) && len <= GROCY_ANS_MAX);
    memcpy(&h, msg, sizeof(h));
    FUZZ_ASSERT(h.version == GROCY_WIRE_VERSION && h.kind == kind);
    FUZZ_ASSERT(kind == GROCY_WIRE_ANSWER ||
                (kind == GROCY_WIRE_HELLO && len == sizeof(h)));
    FUZZ_ASSERT(memchr(h.text, '\0', sizeof(h.text)) != NULL && h.too_big <= 1);
}

static void
request(const unsigned char *msg, size_t len)
{
    static struct grocy_req r;
    static unsigned char again[GROCY_REQ_MAX];

    memset(&r, 0x5a, sizeof(r));
    if (!grocy_wire_req_read(msg, len, &r)) {
        for (size_t i = 0; i < sizeof(r.key); i++)
            FUZZ_ASSERT(r.key[i] == '\0');
        return;
    }
    FUZZ_ASSERT(r.url[0] != '\0' && r.timeout_ms >= 1 && r.timeout_ms <= 600000);
    FUZZ_ASSERT(strnlen(r.url, sizeof(r.url)) < sizeof(r.url) &&
                strnlen(r.body, sizeof(r.body)) < sizeof(r.body) &&
                strnlen(r.key, sizeof(r.key)) < sizeof(r.key) &&
                strnlen(r.ca_file, sizeof(r.ca_file)) < sizeof(r.ca_file));
    size_t n = grocy_wire_req_write(&r, again);
    FUZZ_ASSERT(n == len && memcmp(again, msg, len) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t len = size - 2;
    unsigned char *copy = malloc(len ? len : 1);

    if (copy == NULL)
        return 0;
    memcpy(copy, data + 2, len);
    switch (data[0] % 3) {
    case 0:
        stock((const char *)copy, len, data[1]);
        break;
    case 1:
        answer(copy, len);
        break;
    default:
        request(copy, len);
        break;
    }
    free(copy);
    return 0;
}
