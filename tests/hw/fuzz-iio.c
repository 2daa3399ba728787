/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of iio_parse_int and iio_parse_nano: never crash, never read past
 * len, and agree with an independent reading of the same text by strtoll on a
 * NUL-terminated copy (accepted exactly when the text is an optional sign,
 * digits and at most one trailing newline, with the same value).
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz.h"
#include "sensors/hw/iio.h"

static bool
well_formed(const char *s, size_t len)
{
    size_t i = 0, digits = 0;

    if (len > 0 && s[len - 1] == '\n')
        len--;
    if (i < len && (s[i] == '+' || s[i] == '-'))
        i++;
    for (; i < len; i++, digits++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return digits > 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char copy[128];
    int64_t v = 0, nano = 0, small = 0;

    /* An exact-size heap copy, so ASan catches any read past len. */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    int r = iio_parse_int(text, size, INT64_MIN, INT64_MAX, &v);
    int rs = iio_parse_int(text, size, -1000, 1000, &small);
    int rn = iio_parse_nano(text, size, &nano);
    FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -ERANGE);
    FUZZ_ASSERT(rn == 0 || rn == -EINVAL || rn == -ERANGE);
    FUZZ_ASSERT((r != -EINVAL) == well_formed(text, size));
    if (r == 0 && v >= -1000 && v <= 1000)
        FUZZ_ASSERT(rs == 0 && small == v);
    else
        FUZZ_ASSERT(rs != 0);
    if (r == 0 && v >= -9000000000 && v <= 9000000000)
        FUZZ_ASSERT(rn == 0 && nano == v * 1000000000);
    if (r != -EINVAL && size < sizeof(copy)) {
        char *end;
        memcpy(copy, text, size);
        copy[size] = '\0';
        errno = 0;
        long long ref = strtoll(copy, &end, 10);
        if (r == 0)
            FUZZ_ASSERT(errno == 0 && ref == v);
        else
            FUZZ_ASSERT(errno == ERANGE);
    }
    free(text);
    return 0;
}
