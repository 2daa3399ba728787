/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * RFC 3339 UTC times (see utc.h). The field grammar is closed: exactly the
 * digits and separators of the one form, so a message or trace that says
 * another time zone, fractions or a leap second is refused, not reinterpreted.
 */
#include "agent/msg/utc.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define DAY INT64_C(86400)

int64_t
utc_days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int
days_in_month(int64_t y, int64_t m)
{
    static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : dim[m - 1];
}

int
utc_parse(const char *s, int64_t *t_s)
{
    static const size_t off[] = {0, 5, 8, 11, 14, 17}, len[] = {4, 2, 2, 2, 2, 2};
    static const char sep[] = "--T::Z";
    int64_t f[6];

    if (strlen(s) != 20)
        return -EINVAL;
    for (int i = 0; i < 6; i++) {
        f[i] = 0;
        for (size_t k = 0; k < len[i]; k++) {
            char c = s[off[i] + k];
            if (c < '0' || c > '9')
                return -EINVAL;
            f[i] = f[i] * 10 + (c - '0');
        }
        if (s[off[i] + len[i]] != sep[i])
            return -EINVAL;
    }
    if (f[0] < 1970 || f[1] < 1 || f[1] > 12 || f[2] < 1 ||
        f[2] > days_in_month(f[0], f[1]) || f[3] > 23 || f[4] > 59 || f[5] > 59)
        return -EINVAL;
    *t_s = utc_days_from_civil(f[0], f[1], f[2]) * DAY + f[3] * 3600 + f[4] * 60 + f[5];
    return 0;
}

int
utc_parse_duration(const char *s, int64_t max_s, int64_t *out_s)
{
    int64_t v = 0, unit;
    size_t n = 0;

    while (s[n] >= '0' && s[n] <= '9') {
        if (n == 9)
            return -EINVAL;
        v = v * 10 + (s[n++] - '0');
    }
    if (n == 0 || s[n] == '\0' || s[n + 1] != '\0')
        return -EINVAL;
    switch (s[n]) {
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = DAY;
        break;
    default:
        return -EINVAL;
    }
    if (v > max_s / unit)
        return -EINVAL;
    *out_s = v * unit;
    return 0;
}

void
utc_civil_from_days(int64_t days, int64_t *y, int64_t *m, int64_t *d)
{
    /* The inverse of utc_days_from_civil. */
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;

    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp + (mp < 10 ? 3 : -9);
    *y = yoe + era * 400 + (*m <= 2);
}

void
utc_format(int64_t t_s, char *buf, size_t len)
{
    int64_t days = t_s >= 0 ? t_s / DAY : (t_s - DAY + 1) / DAY;
    int64_t sod = t_s - days * DAY;
    int64_t y, m, d;

    utc_civil_from_days(days, &y, &m, &d);
    snprintf(buf, len, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ", (long long)y,
             (long long)m, (long long)d, (long long)(sod / 3600),
             (long long)(sod / 60 % 60), (long long)(sod % 60));
}
