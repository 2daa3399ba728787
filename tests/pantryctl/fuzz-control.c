/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of control_parse_request, the daemon's parser of what arrives on
 * its control socket: never crash, never read past len, and keep the contract.
 * Accepted requests hold only what the protocol allows (an item id checked here
 * independently against [a-z0-9_-]{1,31}, the ranges of grams and seconds,
 * unused fields zero) and survive a format-and-parse round trip unchanged;
 * refused ones leave *out zeroed and a printable message; -E2BIG exactly when
 * the line without its "\n" or "\r\n" is longer than CONTROL_LINE_MAX.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "agent/control/control.h"
#include "tests/fuzz/fuzz.h"

static bool
id_ok(const char *s)
{
    size_t n = strnlen(s, CONTROL_ITEM_MAX);

    if (n < 1 || n > 31)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_' || s[i] == '-'))
            return false;
    return true;
}

static bool
all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;

    for (size_t i = 0; i < n; i++)
        if (b[i] != 0)
            return false;
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct control_request r, again;
    char err[256], line[CONTROL_LINE_MAX + 2];

    /* An exact-size heap copy, so ASan catches any read past len. */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    memset(err, 0x7f, sizeof(err));
    int rc = control_parse_request(text, size, &r, err, sizeof(err));

    size_t body = size;
    if (body > 0 && text[body - 1] == '\n')
        body--;
    if (body > 0 && text[body - 1] == '\r')
        body--;
    FUZZ_ASSERT(rc == 0 || rc == -EINVAL || rc == -E2BIG);
    FUZZ_ASSERT((rc == -E2BIG) == (body > CONTROL_LINE_MAX));
    FUZZ_ASSERT(memchr(err, '\0', sizeof(err)) != NULL);

    if (rc == 0) {
        FUZZ_ASSERT(err[0] == '\0');
        FUZZ_ASSERT((unsigned)r.cmd < CONTROL_CMD_COUNT);
        bool has_item = (r.cmd >= CONTROL_ORDER && r.cmd <= CONTROL_SPAN) ||
                        r.cmd == CONTROL_RESET_LEARNING || r.cmd == CONTROL_REFUSED;
        if (has_item)
            FUZZ_ASSERT(id_ok(r.item));
        else
            FUZZ_ASSERT(all_zero(r.item, sizeof(r.item)));
        if (r.cmd == CONTROL_SPAN)
            FUZZ_ASSERT(r.known_mg >= 1 && r.known_mg <= 1000000000);
        else
            FUZZ_ASSERT(r.known_mg == 0);
        if (r.cmd == CONTROL_RECORD)
            FUZZ_ASSERT(r.seconds >= 1 && r.seconds <= 86400);
        else
            FUZZ_ASSERT(r.seconds == 0);
        /* refused's reason: "" or text without control characters, bounded */
        FUZZ_ASSERT(memchr(r.reason, '\0', sizeof(r.reason)) != NULL);
        if (r.cmd != CONTROL_REFUSED)
            FUZZ_ASSERT(all_zero(r.reason, sizeof(r.reason)));
        for (const char *p = r.reason; *p != '\0'; p++)
            FUZZ_ASSERT((unsigned char)*p >= 0x20 && *p != 0x7f);
        /* the accepted request always has a line, which parses back to it */
        int n = control_format_request(&r, line, sizeof(line));
        FUZZ_ASSERT(n > 0 && (size_t)n == strlen(line) && line[n - 1] == '\n');
        FUZZ_ASSERT(control_parse_request(line, (size_t)n, &again, NULL, 0) == 0);
        FUZZ_ASSERT(again.cmd == r.cmd && strcmp(again.item, r.item) == 0 &&
                    again.known_mg == r.known_mg && again.seconds == r.seconds &&
                    strcmp(again.reason, r.reason) == 0);
    } else {
        FUZZ_ASSERT(all_zero(&r, sizeof(r)));
        FUZZ_ASSERT(err[0] != '\0');
        /* messages quote input only in sanitised form: printable ASCII */
        for (const char *p = err; *p != '\0'; p++)
            FUZZ_ASSERT(*p >= 0x20 && *p < 0x7f);
    }
    free(text);
    return 0;
}
