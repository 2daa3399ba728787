/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Delivery windows of people (window.h): the parser the agent's configuration
 * and the retailer's --windows both use, its formatter, and the test of two
 * sets of windows against each other on the week, in minutes of UTC.
 */
#include "agent/msg/window.h"

#include <stdio.h>
#include <string.h>

static const char *const day_names[] = {"mon", "tue", "wed", "thu",
                                        "fri", "sat", "sun"};

static int
day_of(const char *s, size_t n)
{
    for (int i = 0; i < 7; i++)
        if (n == 3 && memcmp(s, day_names[i], 3) == 0)
            return i;
    return -1;
}

/* "HH:MM" of 00:00..24:00 at s (5 bytes) in minutes, or -1. */
static int
minutes_of(const char *s)
{
    int h, m;

    if (!(s[0] >= '0' && s[0] <= '9' && s[1] >= '0' && s[1] <= '9' && s[2] == ':' &&
          s[3] >= '0' && s[3] <= '5' && s[4] >= '0' && s[4] <= '9'))
        return -1;
    h = (s[0] - '0') * 10 + (s[1] - '0');
    m = (s[3] - '0') * 10 + (s[4] - '0');
    if (h > 24 || (h == 24 && m != 0))
        return -1;
    return h * 60 + m;
}

/* "DAYS HH:MM-HH:MM" into *w; false when it is not one. */
bool
window_parse(const char *v, struct delivery_window *w)
{
    const char *sp = strchr(v, ' ');
    const char *p = v;
    unsigned days = 0;
    int from, until;

    if (sp == NULL || strlen(sp + 1) != 11 || sp[6] != '-')
        return false;
    if ((size_t)(sp - v) == 5 && memcmp(v, "daily", 5) == 0) {
        days = DELIVERY_DAYS_ALL;
    } else {
        while (p < sp) {
            const char *end = memchr(p, ',', (size_t)(sp - p));
            const char *dash;
            int a, b;

            if (end == NULL)
                end = sp;
            dash = memchr(p, '-', (size_t)(end - p));
            a = day_of(p, (size_t)((dash ? dash : end) - p));
            b = dash ? day_of(dash + 1, (size_t)(end - dash - 1)) : a;
            if (a < 0 || b < 0)
                return false;
            for (int d = a;; d = (d + 1) % 7) { /* "fri-mon" wraps the week */
                days |= 1u << d;
                if (d == b)
                    break;
            }
            p = end == sp ? sp : end + 1;
            if (end != sp && p == sp)
                return false; /* a trailing comma */
        }
    }
    from = minutes_of(sp + 1);
    until = minutes_of(sp + 7);
    if (days == 0 || from < 0 || until < 0 || from >= until || from >= 1440)
        return false;
    *w = (struct delivery_window){(uint8_t)days, (uint16_t)from, (uint16_t)until};
    return true;
}

void
window_format(const struct delivery_window *w, char *buf, size_t len)
{
    char days[40] = "";
    size_t at = 0;

    if ((w->days & DELIVERY_DAYS_ALL) == DELIVERY_DAYS_ALL)
        snprintf(days, sizeof(days), "daily");
    else
        for (int i = 0; i < 7; i++) {
            int j = i;
            if (!(w->days & (1u << i)))
                continue;
            while (j + 1 < 7 && (w->days & (1u << (j + 1))))
                j++;
            /* three days or more in a row as a range: "mon-fri" */
            if (j - i >= 2)
                at += (size_t)snprintf(days + at, sizeof(days) - at, "%s%s-%s",
                                       at ? "," : "", day_names[i], day_names[j]);
            else
                at += (size_t)snprintf(days + at, sizeof(days) - at, "%s%s",
                                       at ? "," : "", day_names[i]);
            if (j - i >= 2)
                i = j;
        }
    snprintf(buf, len, "%s %02u:%02u-%02u:%02u", days, w->from_min / 60u,
             w->from_min % 60u, w->until_min / 60u, w->until_min % 60u);
}

#define WEEK_MIN (7 * 1440)

/* Whether [a, a + la) and [b, b + lb) overlap on the week's circle (minutes;
 * a and b in 0..WEEK_MIN-1, lengths up to a day). */
static bool
overlap(int a, int la, int b, int lb)
{
    for (int shift = -WEEK_MIN; shift <= WEEK_MIN; shift += WEEK_MIN)
        if (a < b + shift + lb && b + shift < a + la)
            return true;
    return false;
}

bool
window_meets(const struct delivery_window *a, size_t na, int32_t off_a_s,
             const struct delivery_window *b, size_t nb, int32_t off_b_s)
{
    if (na == 0 || nb == 0)
        return true;
    for (size_t i = 0; i < na; i++)
        for (int da = 0; da < 7; da++) {
            if (!(a[i].days & (1u << da)))
                continue;
            /* the window's start in UTC minutes of the week */
            int sa =
                ((da * 1440 + a[i].from_min - off_a_s / 60) % WEEK_MIN + WEEK_MIN) %
                WEEK_MIN;
            int la = a[i].until_min - a[i].from_min;
            for (size_t j = 0; j < nb; j++)
                for (int db = 0; db < 7; db++) {
                    if (!(b[j].days & (1u << db)))
                        continue;
                    int sb = ((db * 1440 + b[j].from_min - off_b_s / 60) % WEEK_MIN +
                              WEEK_MIN) %
                             WEEK_MIN;
                    if (overlap(sa, la, sb, b[j].until_min - b[j].from_min))
                        return true;
                }
        }
    return false;
}
