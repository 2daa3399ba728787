/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Two-point calibration from averaged readings, against hand calculations:
 * means rounded half away from zero, bad and saturated samples counted apart,
 * an inverted bridge, the spread check in milligrams, and every refusal.
 */
#include <errno.h>
#include <string.h>

#include "sensors/cond/calib.h"
#include "tests/harness.h"

static void
feed(struct calib_avg *a, const int32_t *raw, size_t n)
{
    calib_avg_init(a);
    for (size_t i = 0; i < n; i++) {
        struct sample s = {
            .t_ms = (int64_t)i * 100, .raw = raw[i], .status = SAMPLE_OK};
        calib_avg_add(a, &s);
    }
}

static void
test_mean(void)
{
    struct calib_avg a;
    int32_t m = 7;
    static const int32_t up[] = {10, 11}, down[] = {-10, -11}, odd[] = {1, 2, 2};

    calib_avg_init(&a);
    CHECK_EQ_I64(calib_avg_mean(&a, &m), -ENODATA);
    CHECK_EQ_I64(m, 7);
    feed(&a, up, 2); /* 10.5 -> 11 */
    CHECK_EQ_I64(calib_avg_mean(&a, &m), 0);
    CHECK_EQ_I64(m, 11);
    feed(&a, down, 2); /* -10.5 -> -11 */
    calib_avg_mean(&a, &m);
    CHECK_EQ_I64(m, -11);
    feed(&a, odd, 3); /* 5/3 = 1.67 -> 2 */
    calib_avg_mean(&a, &m);
    CHECK_EQ_I64(m, 2);
    CHECK_EQ_I64(a.min, 1);
    CHECK_EQ_I64(a.max, 2);

    /* Faults and the ADC's saturation codes are bad, never averaged. */
    struct sample s = {.raw = 0x7FFFFF, .status = SAMPLE_OK};
    calib_avg_add(&a, &s);
    s.raw = -0x800000;
    calib_avg_add(&a, &s);
    s.raw = 5;
    s.status = SAMPLE_EIO;
    calib_avg_add(&a, &s);
    CHECK_EQ_I64(a.n, 3);
    CHECK_EQ_I64(a.bad, 3);
    calib_avg_mean(&a, &m);
    CHECK_EQ_I64(m, 2);
}

static void
test_finish(void)
{
    /* Tare 1000 +- 20 counts; 500 g adds 210000 counts (420 counts per gram). */
    static const int32_t tare_raw[] = {990, 1000, 1010, 1000};
    static const int32_t known_raw[] = {211000, 210990, 211010, 211000};
    struct calib_avg tare, known;
    struct cond_cal cal = {0};
    int64_t spread = -1;
    char err[256];

    feed(&tare, tare_raw, 4);
    feed(&known, known_raw, 4);
    CHECK_EQ_I64(
        calib_finish(&tare, &known, 500000, 2000, &cal, &spread, err, sizeof(err)), 0);
    CHECK_EQ_I64(cal.raw_zero, 1000);
    CHECK_EQ_I64(cal.span_raw, 210000);
    CHECK_EQ_I64(cal.span_mg, 500000);
    /* 20 counts * 500000 / 210000 = 47.6 -> 47 mg */
    CHECK_EQ_I64(spread, 47);
    CHECK_EQ_I64(cond_cal_mg(&cal, 211000), 500000);

    /* Bridge wired the other way: counts fall with weight. */
    static const int32_t inv_raw[] = {-209000, -209000};
    feed(&known, inv_raw, 2);
    CHECK_EQ_I64(
        calib_finish(&tare, &known, 500000, 2000, &cal, &spread, err, sizeof(err)), 0);
    CHECK_EQ_I64(cal.span_raw, -210000);
    CHECK_EQ_I64(cond_cal_mg(&cal, -104000), 250000);
    CHECK_EQ_I64(spread, 47); /* the tare's spread, sign removed */

    /* Spread over the limit: 20 counts are 47 mg, allow 40. */
    cal = (struct cond_cal){0};
    CHECK_EQ_I64(
        calib_finish(&tare, &known, 500000, 40, &cal, &spread, err, sizeof(err)),
        -ERANGE);
    CHECK(strstr(err, "with the platform empty spread over 0.047 g (at most 0.04 g "
                      "allowed)") != NULL);
    CHECK_EQ_I64(cal.span_raw, 0); /* unchanged */

    /* The weight barely moved the reading: 99 counts. */
    static const int32_t weak_raw[] = {1099};
    feed(&known, weak_raw, 1);
    CHECK_EQ_I64(
        calib_finish(&tare, &known, 500000, 2000, &cal, &spread, err, sizeof(err)),
        -EINVAL);
    CHECK(strstr(err, "by only 99 counts") != NULL);
    static const int32_t ok_raw[] = {1100}; /* exactly CALIB_MIN_SPAN_RAW */
    feed(&known, ok_raw, 1);
    CHECK_EQ_I64(
        calib_finish(&tare, &known, 500000, INT64_MAX, &cal, &spread, err, sizeof(err)),
        0);
    CHECK_EQ_I64(calib_finish(&tare, &known, 0, 2000, &cal, &spread, err, sizeof(err)),
                 -EINVAL);
    CHECK(strstr(err, "must be 0.001 g to 1000000 g, not 0 g") != NULL);

    /* No good reading; more bad than good. */
    struct calib_avg empty;
    calib_avg_init(&empty);
    CHECK_EQ_I64(
        calib_finish(&empty, &known, 500000, 2000, &cal, &spread, err, sizeof(err)),
        -ENODATA);
    CHECK(strstr(err, "no good reading with the platform empty") != NULL);
    struct sample bad = {.status = SAMPLE_TIMEOUT};
    calib_avg_add(&known, &bad);
    calib_avg_add(&known, &bad);
    CHECK_EQ_I64(
        calib_finish(&tare, &known, 500000, 2000, &cal, &spread, err, sizeof(err)),
        -EIO);
    CHECK(strstr(err, "2 of 3 readings with the known weight") != NULL);
}

int
main(void)
{
    test_mean();
    test_finish();
    return th_done();
}
