/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a tare or a span did, told in grams (pipeline.h): the answer to the
 * person who asked (pantryctl tare, pantryctl calibrate) and a line of the
 * item's history (the audit log). A tare is meant for the empty platform: one
 * made with a load on it (more than the item's `empty` threshold by the
 * calibration it replaces) makes that load count as nothing, so the answer
 * warns and says what to do. A span says how much the new calibration changes
 * every reading: what the previous one read for the known weight.
 */
#include <inttypes.h>
#include <stdio.h>

#include "agent/pipeline-int.h"

static int64_t
mag(int64_t v)
{
    return v < 0 ? -v : v; /* masses here are far from INT64_MIN */
}

const char *
pl_cal_grams(int64_t mg, char *buf, size_t len)
{
    int64_t a = mag(mg), tenths = (a + 50) / 100;
    const char *sign = mg < 0 && tenths > 0 ? "-" : "";

    if (a >= 100000)
        snprintf(buf, len, "%s%" PRId64 " g", sign, (a + 500) / 1000);
    else
        snprintf(buf, len, "%s%" PRId64 ".%" PRId64 " g", sign, tenths / 10,
                 tenths % 10);
    return buf;
}

/* A known weight as it was given: "500 g", "499.5 g", "0.25 g". */
static const char *
exact_grams(int64_t mg, char *buf, size_t len)
{
    int64_t a = mag(mg);
    char frac[8];
    int n = snprintf(frac, sizeof(frac), "%03" PRId64, a % 1000);

    while (n > 0 && frac[n - 1] == '0')
        frac[--n] = '\0';
    snprintf(buf, len, "%s%" PRId64 "%s%s g", mg < 0 ? "-" : "", a / 1000,
             n > 0 ? "." : "", frac);
    return buf;
}

void
pl_cal_tare_told(struct pipeline *p, const struct pl_item *it, int64_t before_mg,
                 int64_t now_ms, char *msg, size_t len)
{
    const char *id = it->cfg->id;
    char g[32];

    pl_cal_grams(before_mg, g, sizeof(g));
    if (before_mg > it->cfg->cond.empty_mg) {
        snprintf(
            msg, len,
            "%s: tared with %s on the platform, which now reads 0 g. "
            "Warning: a tare is for the empty platform; the %s on it now count as "
            "nothing, so %s reads that much too little. Unless that was meant, take "
            "everything off and tare again",
            id, g, g, id);
        pl_audit(p, it, now_ms,
                 "tare with %s on the platform (warned: not empty): it "
                 "now reads 0 g",
                 g);
    } else {
        snprintf(msg, len, "%s: tared: the empty platform read %s and now reads 0 g",
                 id, g);
        pl_audit(p, it, now_ms, "tare: the empty platform read %s, now 0 g", g);
    }
}

void
pl_cal_span_told(struct pipeline *p, const struct pl_item *it,
                 const struct cond_cal *old, const struct cond_cal *cal,
                 int64_t noise_mg, int64_t now_ms, char *msg, size_t len)
{
    /* The same counts above the same zero, through the calibration replaced
     * (|span_raw| < 2^31 times span_mg <= 10^9 fits in 64 bits). */
    int64_t num = (int64_t)cal->span_raw * old->span_mg;
    int64_t was_mg =
        (num + (num < 0 ? -1 : 1) * mag(old->span_raw) / 2) / old->span_raw;
    char known[32], was[32], noise[32] = "under 0.1 g", change[64] = "";

    exact_grams(cal->span_mg, known, sizeof(known));
    pl_cal_grams(was_mg, was, sizeof(was));
    if (noise_mg >= 50) /* else it would read "0.0 g" */
        pl_cal_grams(noise_mg, noise, sizeof(noise));
    if (was_mg > 0) {
        /* Every reading is multiplied by span_mg / was_mg: tenths of a percent. */
        int64_t permille = (cal->span_mg * 1000 + was_mg / 2) / was_mg - 1000;
        snprintf(change, sizeof(change), ": readings now %" PRId64 ".%" PRId64 " %% %s",
                 mag(permille) / 10, mag(permille) % 10,
                 permille >= 0 ? "higher" : "lower");
    }
    snprintf(msg, len,
             "%s: calibrated with %s, which the previous calibration read as "
             "%s%s (noise %s)",
             it->cfg->id, known, was, change, noise);
    pl_audit(p, it, now_ms,
             "calibrated with %s, which the previous calibration read as "
             "%s%s",
             known, was, change);
}
