/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Calibration of an item's platform (pipeline.h): a tare or a span from the
 * good raw readings of the last window, the new calibration in the store and
 * on the shelf, and what it did, told in grams: the answer to the person who
 * asked (pantryctl tare, pantryctl calibrate) and a line of the item's history
 * (the audit log). A tare is meant for the empty platform: one made with a
 * load on it (more than the item's `empty` threshold by the calibration it
 * replaces) makes that load count as nothing, so the answer warns and says
 * what to do. A span says how much the new calibration changes every reading:
 * what the previous one read for the known weight.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>

#include "agent/pipeline/pipeline-int.h"
#include "sensors/text.h"

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

/* ---- tare and span ---- */

/* Good raw readings of the last window_ms into a. */
static void
recent(const struct pl_item *it, int64_t now_ms, int64_t window_ms, struct calib_avg *a)
{
    calib_avg_init(a);
    for (unsigned k = 0; k < PL_RAW_RING; k++)
        if (it->raw_t[k] > 0 && it->raw_t[k] > now_ms - window_ms &&
            it->raw_t[k] <= now_ms) {
            struct sample s = {
                .t_ms = it->raw_t[k], .raw = it->raw[k], .status = it->raw_status[k]};
            calib_avg_add(a, &s);
        }
}

static int
set_cal(struct pipeline *p, struct pl_item *it, const struct cond_cal *cal,
        int64_t now_ms, char *msg, size_t len)
{
    int r;

    if ((r = pipeline_flush(p)) < 0 ||
        (r = pl_note_err(p, store_cal_add(p->db, it->cfg->id, now_ms, cal))) < 0)
        return pl_store_failed(p, it, msg, len, r);
    /* A new zero: conditioning settles again from the new calibration. */
    shelf_recalibrate(&p->shelf, it->channel, cal, now_ms);
    it->model.zero_mg = 0;
    it->model.zero_at_ms = now_ms;
    pl_save_model(p, it, now_ms);
    if (it->fault) {
        /* The fresh channel has no fault to end: the old one's ends here (a
         * wrong zero corrected), in the history too. Still faulty, it is
         * found again within the stuck time. */
        struct stock_event ev = {
            .t_ms = now_ms, .channel = it->channel, .kind = STOCK_FAULT_END};
        it->fault = false;
        if (pl_batch(p, now_ms) == 0)
            pl_note_err(p, store_event_add(p->db, it->cfg->id, &ev));
        pl_audit(p, it, now_ms, "sensor fault ended by the new calibration");
        it->view.t_ms = now_ms;
        pl_save_view(p, it);
    }
    return 0;
}

int
pipeline_tare(struct pipeline *p, size_t item, int64_t now_ms, int64_t window_ms,
              char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct calib_avg a;
    struct cond_cal cal = chan(p, it)->cal;
    int32_t mean;

    recent(it, now_ms, window_ms, &a);
    if (a.n < 5 || a.bad > a.n)
        return text_error(msg, len,
                          "%s: not enough good readings in the last %" PRId64
                          " ms (%u good, %u faulty)",
                          it->cfg->id, window_ms, a.n, a.bad),
               -EAGAIN;
    int64_t spread = calib_spread_mg(&a, &cal);
    char g[32];
    if (spread > it->cfg->cond.noise_band_mg)
        return text_error(msg, len,
                          "%s: the platform moved (readings spread over %s): "
                          "keep still and try again",
                          it->cfg->id, pl_cal_grams(spread, g, sizeof(g))),
               -ERANGE;
    calib_avg_mean(&a, &mean);
    /* What the platform read before: a loaded one gets a warning. */
    int64_t before_mg = cond_cal_mg(&cal, mean) - chan(p, it)->zero_mg;
    cal.raw_zero = mean;
    int r = set_cal(p, it, &cal, now_ms, msg, len);
    if (r == 0) {
        pl_cal_tare_told(p, it, before_mg, now_ms, msg, len);
        pipeline_flush(p); /* the audit line; a failure is noted, the tare stands */
    }
    return r;
}

int
pipeline_span(struct pipeline *p, size_t item, int64_t known_mg, int64_t now_ms,
              int64_t window_ms, char *msg, size_t len)
{
    struct pl_item *it = &p->items[item];
    struct calib_avg tare, known;
    struct cond_cal cal;
    int64_t spread;
    int r;

    /* The zero is the current one: a tare of exactly the calibrated zero. */
    calib_avg_init(&tare);
    struct sample z = {.raw = chan(p, it)->cal.raw_zero, .status = SAMPLE_OK};
    calib_avg_add(&tare, &z);
    recent(it, now_ms, window_ms, &known);
    if (known.n < 5)
        return text_error(msg, len,
                          "%s: not enough good readings in the last %" PRId64 " ms",
                          it->cfg->id, window_ms),
               -EAGAIN;
    if ((r = calib_finish(&tare, &known, known_mg, it->cfg->cond.noise_band_mg, &cal,
                          &spread, msg, len)) < 0)
        return r;
    struct cond_cal old = chan(p, it)->cal;
    if ((r = set_cal(p, it, &cal, now_ms, msg, len)) == 0) {
        pl_cal_span_told(p, it, &old, &cal, spread, now_ms, msg, len);
        pipeline_flush(p);
    }
    return r;
}
