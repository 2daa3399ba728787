/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A filter for test-schema-agree.py: reads lines "reorder PAYLOAD" or
 * "cancel PAYLOAD" (compact JSON) and prints, for each, the return of
 * payload_parse (0, or the negative errno) and its message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "retailer/payload.h"

int
main(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    while ((n = getline(&line, &cap, stdin)) > 0) {
        enum payload_kind kind =
            strncmp(line, "cancel ", 7) == 0 ? PAYLOAD_CANCEL : PAYLOAD_REORDER;
        char *text = strchr(line, ' '), err[256] = "";
        struct payload p;
        int r;

        if (text == NULL) {
            fputs("bad input line\n", stderr);
            free(line);
            return 2;
        }
        text++;
        n -= text - line;
        if (n > 0 && text[n - 1] == '\n')
            n--;
        r = payload_parse(text, (size_t)n, kind, &p, err, sizeof(err));
        printf("%d %s\n", r, err);
        payload_fini(&p);
    }
    free(line);
    return 0;
}
