/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two-point calibration from averaged readings (see calib.h). The spread check
 * converts counts to milligrams with the calibration just found, so it speaks
 * the user's unit whatever the cell's sensitivity and the bridge's polarity.
 */
#include "sensors/cond/calib.h"

#include <errno.h>
#include <stdio.h>

#include "sensors/text.h"

#define RAW_SAT_HIGH 0x7FFFFF

/* mg as grams for people, without trailing zeros: "0.047 g", "2 g", "499.5 g". */
static const char *
grams(int64_t mg, char *buf, size_t len)
{
    unsigned long long a =
        mg < 0 ? 0ULL - (unsigned long long)mg : (unsigned long long)mg;
    char frac[8];
    int n = snprintf(frac, sizeof(frac), "%03llu", a % 1000);

    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, len, "%s%llu%s%s g", mg < 0 ? "-" : "", a / 1000, n > 0 ? "." : "",
             frac);
    return buf;
}

#define RAW_SAT_LOW (-0x800000)

void
calib_avg_init(struct calib_avg *a)
{
    *a = (struct calib_avg){.min = INT32_MAX, .max = INT32_MIN};
}

void
calib_avg_add(struct calib_avg *a, const struct sample *s)
{
    if (s->status != SAMPLE_OK || s->raw >= RAW_SAT_HIGH || s->raw <= RAW_SAT_LOW) {
        if (a->bad < UINT32_MAX)
            a->bad++;
        return;
    }
    if (a->n == UINT32_MAX)
        return;
    a->n++;
    a->sum += s->raw;
    if (s->raw < a->min)
        a->min = s->raw;
    if (s->raw > a->max)
        a->max = s->raw;
}

int
calib_avg_mean(const struct calib_avg *a, int32_t *mean)
{
    int64_t n = a->n, q;

    if (n == 0)
        return -ENODATA;
    /* Round half away from zero; |sum| < 2^23 * 2^32 fits in int64_t. */
    q = a->sum >= 0 ? (a->sum + n / 2) / n : -((-a->sum + n / 2) / n);
    *mean = (int32_t)q;
    return 0;
}

int64_t
calib_spread_mg(const struct calib_avg *a, const struct cond_cal *cal)
{
    /* A spread is a difference of counts: calibrate it against a zero of 0. */
    struct cond_cal c = {0, cal->span_raw, cal->span_mg};
    int64_t mg = a->n > 0 ? cond_cal_mg(&c, a->max - a->min) : 0;

    return mg < 0 ? -mg : mg;
}

static int
check_step(const struct calib_avg *a, const char *what, char *err, size_t errlen)
{
    if (a->n == 0) {
        text_error(err, errlen,
                   "no good reading %s (%u faulty): check the wiring and "
                   "that the sensor is configured right",
                   what, a->bad);
        return -ENODATA;
    }
    if (a->bad > a->n) {
        text_error(err, errlen,
                   "%u of %u readings %s were faulty: check the load "
                   "cell and its wiring",
                   a->bad, a->bad + a->n, what);
        return -EIO;
    }
    return 0;
}

int
calib_finish(const struct calib_avg *tare, const struct calib_avg *known,
             int64_t known_mg, int64_t max_spread_mg, struct cond_cal *cal,
             int64_t *spread_mg, char *err, size_t errlen)
{
    struct cond_cal c;
    int32_t t, k;
    int64_t s_tare, s_known;
    int r;

    if ((r = check_step(tare, "with the platform empty", err, errlen)) < 0 ||
        (r = check_step(known, "with the known weight", err, errlen)) < 0)
        return r;
    calib_avg_mean(tare, &t);
    calib_avg_mean(known, &k);
    if ((int64_t)k - t < CALIB_MIN_SPAN_RAW && (int64_t)t - k < CALIB_MIN_SPAN_RAW) {
        text_error(err, errlen,
                   "the known weight changed the reading by only %lld "
                   "counts (at least %d expected): is the weight on the platform, and "
                   "are the cell's signal wires (A+/A-) connected?",
                   (long long)k - t, CALIB_MIN_SPAN_RAW);
        return -EINVAL;
    }
    if (cond_cal_two_point(&c, t, k, known_mg) < 0) {
        char g[32];
        text_error(err, errlen, "the known weight must be 0.001 g to 1000000 g, not %s",
                   grams(known_mg, g, sizeof(g)));
        return -EINVAL;
    }
    s_tare = calib_spread_mg(tare, &c);
    s_known = calib_spread_mg(known, &c);
    if (s_tare > max_spread_mg || s_known > max_spread_mg) {
        char g[32], h[32];
        text_error(err, errlen,
                   "the readings %s spread over %s (at most %s "
                   "allowed): something moved or touched the platform; do it again",
                   s_tare > max_spread_mg ? "with the platform empty"
                                          : "with the known weight",
                   grams(s_tare > max_spread_mg ? s_tare : s_known, g, sizeof(g)),
                   grams(max_spread_mg, h, sizeof(h)));
        return -ERANGE;
    }
    *cal = c;
    *spread_mg = s_tare > s_known ? s_tare : s_known;
    return 0;
}
