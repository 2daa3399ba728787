/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Learning from corrections in the daemon (see learn.h): the adjustment moved,
 * saved with the model, and written to the audit trail.
 */
#include "agent/pipeline/learn.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "models/forecast.h"
#include "agent/pipeline/pipeline-int.h"
#include "models/units.h"

/* Signed days with one decimal, "+1.5", "-2.0", for the audit. */
static void
days_text(int64_t s, char *buf, size_t len)
{
    int64_t tenths =
        (s < 0 ? s - MODELS_DAY_S / 20 : s + MODELS_DAY_S / 20) / (MODELS_DAY_S / 10);
    int64_t a = tenths < 0 ? -tenths : tenths;
    snprintf(buf, len, "%c%" PRId64 ".%" PRId64, s < 0 ? '-' : '+', a / 10, a % 10);
}

/* What the policy does now, for the audit: "orders with at most 8.5 days of use
 * left", "orders +1.5 days earlier", "orders as planned". */
static void
state_text(const struct adjust *a, char *buf, size_t len)
{
    char d[24];
    if (a->ceil_s > 0) {
        days_text(a->ceil_s, d, sizeof(d));
        snprintf(buf, len, "orders with at most %s days of use left", d + 1);
    } else if (a->shift_s != 0) {
        days_text(a->shift_s, d, sizeof(d));
        snprintf(buf, len, "orders %s days %s", d + 1,
                 a->shift_s > 0 ? "earlier" : "later");
    } else {
        snprintf(buf, len, "orders as planned");
    }
}

/* The plan's horizon before any adjustment, as forecast() last saw it. */
static int64_t
plan_horizon_s(const struct pl_item *it)
{
    return it->view.lead_s + it->cfg->review_s;
}

bool
learn_made_later(const struct pl_item *it)
{
    const struct adjust *a = &it->model.adj;
    return a->shift_s < 0 || (a->ceil_s > 0 && a->ceil_s < plan_horizon_s(it));
}

int
learn_correct(struct pipeline *p, struct pl_item *it, enum adjust_kind k, int64_t gap_s,
              int64_t now_ms, const char *why)
{
    struct adjust_cfg c;
    char d[24], s[96];

    if (p->no_learning || !it->cfg->learn ||
        fc_events(&it->model.fc) < PL_WARMUP_EVENTS)
        return 0;
    adjust_cfg_default(&c);
    uint32_t asked = it->model.adj.ask_first;
    adjust_event(&it->model.adj, &c, k, gap_s, plan_horizon_s(it), now_ms / 1000);
    const struct adjust *a = &it->model.adj;
    int r = pl_save_model(p, it, now_ms);
    days_text(a->last_delta_s, d, sizeof(d));
    state_text(a, s, sizeof(s));
    int r2 = pl_audit(p, it, now_ms,
                      LEARN_AUDIT_PREFIX "%s%s%s: reorder point %s days (now %s), "
                                         "order size %" PRIu32 " %%%s",
                      adjust_kind_to_str((uint32_t)k), why ? " " : "", why ? why : "",
                      d, s, a->size_bp / 100,
                      a->ask_first && !asked ? "; predicted orders now wait for "
                                               "confirmation"
                                             : "");
    return r < 0 ? r : r2;
}

int
learn_kept(struct pipeline *p, struct pl_item *it, int64_t now_ms, const char *why)
{
    struct adjust_cfg c;
    char d[24], s[96];

    if (p->no_learning || fc_events(&it->model.fc) < PL_WARMUP_EVENTS)
        return 0;
    adjust_cfg_default(&c);
    uint32_t streak = it->model.adj.streak;
    int64_t moved = adjust_kept(&it->model.adj, &c, plan_horizon_s(it));
    if (moved == 0 && streak == it->model.adj.streak)
        return 0;
    int r = pl_save_model(p, it, now_ms);
    if (moved == 0)
        return r;
    days_text(moved, d, sizeof(d));
    state_text(&it->model.adj, s, sizeof(s));
    int r2 = pl_audit(p, it, now_ms,
                      LEARN_AUDIT_PREFIX "kept %s: reorder point %s days (now %s)",
                      why ? why : "an order", d, s);
    return r < 0 ? r : r2;
}

int
learn_reset(struct pipeline *p, struct pl_item *it, int64_t now_ms)
{
    adjust_init(&it->model.adj);
    int r = pl_save_model(p, it, now_ms);
    int r2 = pl_audit(p, it, now_ms, LEARN_AUDIT_PREFIX "reset by the household");
    return r < 0 ? r : r2;
}

int
learn_reset_request(struct pipeline *p, size_t item, int64_t now_ms, char *msg,
                    size_t len)
{
    struct pl_item *it = &p->items[item];
    bool had = it->model.adj.events > 0;
    int r = learn_reset(p, it, now_ms);
    if (r < 0)
        return pl_store_failed(p, it, msg, len, r);
    snprintf(msg, len, "%s: %s", it->cfg->id,
             had ? "what its policy learnt from corrections is forgotten"
                 : "nothing was learnt; nothing to forget");
    return 0;
}

static const char *const because[ADJUST_KINDS] = {
    [ADJUST_CANCEL] = "you cancelled an order",
    [ADJUST_REFUSED] = "you refused a delivery",
    [ADJUST_REJECTED] = "the retailer rejected an order",
    [ADJUST_MANUAL] = "you ordered by hand",
    [ADJUST_STOCKOUT] = "it ran out",
};

int
learn_status_line(const struct adjust *a, char *buf, size_t len)
{
    char when[64] = "", days[64] = "", size[48] = "";
    bool moved = a->shift_s != 0 || a->ceil_s > 0 || a->size_bp != 10000;

    if (len > 0)
        buf[0] = '\0';
    if (a->events == 0 || (!moved && !a->ask_first))
        return 0;
    time_t t = (time_t)a->last_t_s;
    struct tm tm;
    if (localtime_r(&t, &tm) != NULL)
        strftime(when, sizeof(when), " on %e %B", &tm);
    /* "%e" pads single-digit days with a space: " on  3 March" -> " on 3 March" */
    if (when[4] == ' ')
        memmove(when + 4, when + 5, strlen(when + 5) + 1);
    int64_t abs_s = a->shift_s < 0 ? -a->shift_s : a->shift_s;
    int64_t nd = (abs_s + MODELS_DAY_S / 2) / MODELS_DAY_S;
    if (a->ceil_s > 0) {
        int64_t cd = (a->ceil_s + MODELS_DAY_S / 2) / MODELS_DAY_S;
        if (cd == 0)
            snprintf(days, sizeof(days), "with less than a day of use left");
        else
            snprintf(days, sizeof(days),
                     "with at most about %" PRId64 " day%s of use left", cd,
                     cd == 1 ? "" : "s");
    } else if (a->shift_s != 0 && nd == 0)
        snprintf(days, sizeof(days), "a little %s",
                 a->shift_s > 0 ? "earlier" : "later");
    else if (a->shift_s != 0)
        snprintf(days, sizeof(days), "about %" PRId64 " day%s %s", nd,
                 nd == 1 ? "" : "s", a->shift_s > 0 ? "earlier" : "later");
    if (a->size_bp != 10000)
        snprintf(size, sizeof(size), "%" PRIu32 " %% %s",
                 a->size_bp > 10000 ? (a->size_bp - 10000) / 100
                                    : (10000 - a->size_bp) / 100,
                 a->size_bp > 10000 ? "more" : "less");
    const char *why =
        a->last_kind < ADJUST_KINDS ? because[a->last_kind] : "of corrections";
    if (!moved)
        return snprintf(buf, len, "asks before ordering since %s%s", why, when);
    return snprintf(buf, len, "ordering %s%s%s since %s%s%s", days,
                    days[0] && size[0] ? " and " : "", size, why, when,
                    a->ask_first ? "; asks first" : "");
}
