/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Recomputes the golden vectors and compares them with tests/golden/models.txt
 * line by line: the same inputs must give the same integers on every
 * architecture and with either arithmetic (native or Cortex-M0 soft).
 */
#include <string.h>

#include "tests/golden.h"
#include "tests/harness.h"

static char *
slurp(FILE *f, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap *= 2;
        }
    }
    *len = n;
    return buf;
}

static void
test_golden(void)
{
    char path[4096];
    const char *root = getenv("TEST_SOURCE_ROOT");
    snprintf(path, sizeof(path), "%s/tests/golden/models.txt", root ? root : ".");
    FILE *want_f = fopen(path, "r");
    CHECK_MSG(want_f != NULL, "cannot open %s", path);
    if (want_f == NULL)
        return;
    FILE *got_f = tmpfile();
    CHECK(got_f != NULL);
    if (got_f == NULL) {
        fclose(want_f);
        return;
    }
    golden_write(got_f);
    rewind(got_f);
    size_t wn = 0, gn = 0;
    char *want = slurp(want_f, &wn), *got = slurp(got_f, &gn);
    fclose(want_f);
    fclose(got_f);
    CHECK(want != NULL && got != NULL);
    if (want != NULL && got != NULL) {
        size_t line = 1, i = 0;
        while (i < wn && i < gn && want[i] == got[i]) {
            if (want[i] == '\n')
                line++;
            i++;
        }
        CHECK_MSG(wn == gn && i == wn, "golden vectors differ at line %zu of %s", line,
                  path);
        printf("# %zu golden lines compared\n", line - 1);
    }
    free(want);
    free(got);
}

int
main(void)
{
    RUN(test_golden);
    return th_done();
}
