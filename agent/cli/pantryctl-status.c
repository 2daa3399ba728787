/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl status: what is in stock, how fast it goes, when it runs out, what
 * is on order, the link to the retailer and the one to the household's own
 * broker (home = { ... }). The running daemon is asked first
 * (its "status" answer, status.h: the live stock of every item, refreshed at
 * the request); when no daemon answers, the views it saved in the store are
 * shown instead, and the output says which ("live from the daemon", "saved at
 * TIME, the daemon is not running"). Open orders and the lead time always come
 * from the store, which the daemon keeps up to date. Unknown values are JSON
 * null and "not foreseen yet" in text, never 0 g or 1970; while an item is in
 * its learning period no rate, runout or reorder point is shown, only how far
 * the learning got. Keys and texts: agent/PANTRYCTL.md.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "agent/control/control.h"
#include "agent/pipeline/learn.h"
#include "agent/pipeline/modelstate.h"
#include "agent/cli/pantryctl.h"
#include "agent/store/store-grocy.h"
#include "agent/pipeline/status.h"
#include "agent/store/store.h"

/* Without --timeout-ms, status waits this long for the daemon's answer. */
#define STATUS_TIMEOUT_MS 1000

/* One item's view as shown, from either source; -1 times are unknown. */
struct item_status {
    bool have; /* a view at all */
    int64_t t_ms;
    bool stock_known, rate_known, rp_known;
    int64_t stock_mg, uncertainty_mg, rate_ugpd, sigma_ugpd, reorder_point_mg;
    int64_t runout_ms, early_ms, late_ms, lead_s;
    char verdict[16];
    bool fault;
    struct status_learning learn;
};

struct open_order {
    bool found;
    struct store_order o; /* message and detail_json are NULL */
};

static int
open_order_cb(const struct store_order *o, void *ctx)
{
    struct open_order *oo = ctx;

    /* One open order per item; should there be more, the newest is shown. */
    oo->found = true;
    oo->o = *o;
    oo->o.message = NULL;
    oo->o.detail_json = NULL;
    return 0;
}

/* The item's latest order when the retailer rejected it, with the ack's note
 * ("rejected by R: window: ..."): what the household must know to act. */
struct rejected {
    bool found;
    char order_id[STORE_ID_MAX];
    int64_t t_ms;
    char note[STORE_NOTE_MAX];
};

static int
last_order_cb(const struct store_order *o, void *ctx)
{
    struct rejected *rj = ctx;

    rj->found = o->state == ORDER_REJECTED;
    snprintf(rj->order_id, sizeof(rj->order_id), "%s", o->order_id);
    rj->t_ms = o->updated_ms;
    return 0;
}

static int
rejection_note_cb(const struct store_history *h, void *ctx)
{
    struct rejected *rj = ctx;

    if (h->kind == HISTORY_TRANSITION && h->to == ORDER_REJECTED &&
        rj->note[0] == '\0' && strcmp(h->order_id, rj->order_id) == 0 &&
        h->note != NULL)
        snprintf(rj->note, sizeof(rj->note), "%s", h->note);
    return 0;
}

/* The latest order of item within 30 days, if rejected, into *rj. */
static int
last_rejected(struct store *db, const char *item, int64_t now_ms, struct rejected *rj)
{
    int r;

    memset(rj, 0, sizeof(*rj));
    r = store_orders_since(db, item, now_ms - 30 * MODELS_DAY_MS, last_order_cb, rj);
    if (r == 0 && rj->found)
        r = store_history(db, item, 1000, rejection_note_cb, rj);
    return r;
}

static cJSON *
order_json(const struct store_order *ord)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddStringToObject(o, "id", ord->order_id);
    cJSON_AddStringToObject(o, "state", store_order_state_to_str(ord->state));
    cJSON_AddNumberToObject(o, "packs", ord->packs);
    cJSON_AddStringToObject(o, "reason", ord->reason);
    cJSON_AddNumberToObject(o, "created_ms", (double)ord->created_ms);
    cJSON_AddNumberToObject(o, "updated_ms", (double)ord->updated_ms);
    cJSON_AddNumberToObject(o, "seq", (double)ord->seq);
    if (ord->eta_ms > 0)
        cJSON_AddNumberToObject(o, "eta_ms", (double)ord->eta_ms);
    else
        cJSON_AddNullToObject(o, "eta_ms");
    return o;
}

/*
 * What the daemon learnt of item c (its saved model, or a fresh one before one
 * is saved: no use seen yet). 0, or -errno after a message.
 */
static int
get_model(struct store *db, const struct cfg_item *c, int64_t now_ms,
          struct pl_model *m)
{
    char why[256];
    int32_t format;
    int r = ms_load(db, c, now_ms, m, &format, why, sizeof(why));

    if (r < 0) {
        cli_fail("%s: reading what was learnt: %s", c->id, store_errmsg(db));
        return r;
    }
    return 0;
}

static cJSON *
lead_json(const struct lead *l)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "mean_s", (double)l->mean_s);
    cJSON_AddNumberToObject(o, "sd_s", (double)lead_sd_s(l));
    cJSON_AddNumberToObject(o, "deliveries", (double)l->n);
    return o;
}

static void
print_lead(const struct lead *l)
{
    double mean = (double)l->mean_s / 86400.0, sd = (double)lead_sd_s(l) / 86400.0;

    if (l->n == 0)
        printf(
            "  lead      %.1f days ± %.1f, the configured prior: no delivery measured "
            "yet\n",
            mean, sd);
    else
        printf("  lead      %.1f days ± %.1f, learnt from %" PRIu32 " deliver%s\n",
               mean, sd, l->n, l->n == 1 ? "y" : "ies");
}

/* ---- the two sources ---- */

/* The saved view v of the store, with the learning period of model m. */
static void
from_store(const struct store_view *v, const struct status_learning *l,
           struct item_status *s)
{
    bool forecast = l->done && !v->fault;

    *s = (struct item_status){
        .have = true,
        .t_ms = v->t_ms,
        .stock_known = true,
        .stock_mg = v->stock_mg,
        .uncertainty_mg = v->uncertainty_mg,
        .rate_known = l->done,
        .rate_ugpd = v->rate_ugpd,
        .sigma_ugpd = v->sigma_ugpd,
        .rp_known = l->done,
        .reorder_point_mg = v->reorder_point_mg,
        .runout_ms = forecast ? runout_ms(v->runout_s) : -1,
        .early_ms = forecast ? runout_ms(v->runout_lo_s) : -1,
        .late_ms = forecast ? runout_ms(v->runout_hi_s) : -1,
        .lead_s = v->lead_s,
        .fault = v->fault,
        .learn = *l,
    };
    snprintf(s->verdict, sizeof(s->verdict), "%s", v->verdict);
}

int
pctl_json_num(const cJSON *o, const char *key, double scale, int64_t *out)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

    if (cJSON_IsNull(j))
        return *out = -1, 0;
    if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) ||
        fabs(j->valuedouble) > 9e15 || fabs(j->valuedouble * scale) > 9e18)
        return -1;
    *out = (int64_t)llround(j->valuedouble * scale);
    return 1;
}

/* Item o of the daemon's answer into *s; 0, or -EPROTO naming the bad key. */
static int
from_daemon(const cJSON *o, struct item_status *s, const char **bad)
{
    const cJSON *verdict = cJSON_GetObjectItemCaseSensitive(o, "verdict"),
                *fault = cJSON_GetObjectItemCaseSensitive(o, "fault"),
                *learn = cJSON_GetObjectItemCaseSensitive(o, "learning");
    int64_t n;
    int k;

    memset(s, 0, sizeof(*s));
    s->have = true;
#define NUM(key, scale, dst, known)                                                    \
    do {                                                                               \
        if ((k = pctl_json_num(o, key, scale, &(dst))) < 0)                            \
            return *bad = key, -EPROTO;                                                \
        known = k == 1;                                                                \
    } while (0)
    bool ignore;
    NUM("t_ms", 1, s->t_ms, ignore);
    NUM("stock_g", 1000, s->stock_mg, s->stock_known);
    NUM("uncertainty_g", 1000, s->uncertainty_mg, ignore);
    NUM("rate_g_per_day", 1e6, s->rate_ugpd, s->rate_known);
    NUM("sigma_g_per_day", 1e6, s->sigma_ugpd, ignore);
    NUM("runout_ms", 1, s->runout_ms, ignore);
    NUM("runout_early_ms", 1, s->early_ms, ignore);
    NUM("runout_late_ms", 1, s->late_ms, ignore);
    NUM("lead_s", 1, s->lead_s, ignore);
    NUM("reorder_point_g", 1000, s->reorder_point_mg, s->rp_known);
#undef NUM
    (void)ignore;
    if (!cJSON_IsString(verdict) || strlen(verdict->valuestring) >= sizeof(s->verdict))
        return *bad = "verdict", -EPROTO;
    snprintf(s->verdict, sizeof(s->verdict), "%s", verdict->valuestring);
    if (!cJSON_IsBool(fault))
        return *bad = "fault", -EPROTO;
    s->fault = cJSON_IsTrue(fault);
    s->learn.done = cJSON_IsNull(learn);
    if (!s->learn.done) {
        if (!cJSON_IsObject(learn))
            return *bad = "learning", -EPROTO;
        if (pctl_json_num(learn, "uses", 1, &n) != 1 || n < 0 || n > UINT32_MAX)
            return *bad = "learning.uses", -EPROTO;
        s->learn.uses = (uint32_t)n;
        if (pctl_json_num(learn, "uses_needed", 1, &n) != 1 || n < 0 || n > UINT32_MAX)
            return *bad = "learning.uses_needed", -EPROTO;
        s->learn.uses_needed = (uint32_t)n;
        if (pctl_json_num(learn, "days", 1, &s->learn.days) != 1 || s->learn.days < 0)
            return *bad = "learning.days", -EPROTO;
        if (pctl_json_num(learn, "days_needed", 1, &s->learn.days_needed) != 1)
            return *bad = "learning.days_needed", -EPROTO;
    }
    return 0;
}

/* The item id's entry in the daemon's items, or NULL. */
static const cJSON *
daemon_item(const cJSON *items, const char *id)
{
    const cJSON *o;

    cJSON_ArrayForEach(o, items)
    {
        const cJSON *k = cJSON_GetObjectItemCaseSensitive(o, "item");
        if (cJSON_IsString(k) && strcmp(k->valuestring, id) == 0)
            return o;
    }
    return NULL;
}

/* ---- printing ---- */

static cJSON *
status_view_json(const struct cfg_item *it, const struct item_status *s, int64_t now_ms)
{
    cJSON *o = cJSON_CreateObject();

    cJSON_AddNumberToObject(o, "t_ms", (double)s->t_ms);
    status_add_g(o, "stock_g", s->stock_known, s->stock_mg);
    status_add_g(o, "uncertainty_g", s->stock_known, s->uncertainty_mg);
    if (s->stock_known)
        cJSON_AddNumberToObject(
            o, "pack_pct",
            round((double)s->stock_mg * 1000.0 / (double)it->pack_mg) / 10.0);
    else
        cJSON_AddNullToObject(o, "pack_pct");
    if (s->rate_known) {
        cJSON_AddNumberToObject(o, "rate_g_per_day", (double)s->rate_ugpd / 1e6);
        cJSON_AddNumberToObject(o, "sigma_g_per_day", (double)s->sigma_ugpd / 1e6);
    } else {
        cJSON_AddNullToObject(o, "rate_g_per_day");
        cJSON_AddNullToObject(o, "sigma_g_per_day");
    }
    if (s->runout_ms < 0)
        cJSON_AddNullToObject(o, "days_left");
    else
        cJSON_AddNumberToObject(
            o, "days_left",
            round((double)(s->runout_ms - now_ms) / (double)MODELS_DAY_MS * 10.0) /
                10.0);
    status_add_ms(o, "runout_ms", s->runout_ms);
    status_add_ms(o, "runout_early_ms", s->early_ms);
    status_add_ms(o, "runout_late_ms", s->late_ms);
    cJSON_AddNumberToObject(o, "lead_s", (double)s->lead_s);
    status_add_g(o, "reorder_point_g", s->rp_known, s->reorder_point_mg);
    cJSON_AddStringToObject(o, "verdict", s->verdict);
    cJSON_AddBoolToObject(o, "fault", s->fault);
    cJSON_AddItemToObject(o, "learning", status_learning_json(&s->learn));
    return o;
}

static void
print_status_view(const struct cfg_item *it, const struct item_status *s,
                  int64_t now_ms)
{
    char a[32], b[32], c[32], d[32];

    if (s->stock_known)
        printf("  stock     %s ± %s, %.0f%% of a %s pack (at %s)\n",
               fmt_g(s->stock_mg, a, 32), fmt_g(s->uncertainty_mg, b, 32),
               (double)s->stock_mg * 100.0 / (double)it->pack_mg,
               fmt_g(it->pack_mg, c, 32), fmt_time(s->t_ms, d, 32));
    else
        printf("  stock     not known yet: no settled weight seen\n");
    if (s->fault)
        printf("  sensor    FAULT: its readings are not trusted; no order is made from "
               "them\n");
    if (!s->learn.done)
        printf("  learning: %" PRIu32 " of %" PRIu32 " uses, day %" PRId64
               " of %" PRId64 "; no rate or runout until then\n",
               s->learn.uses, s->learn.uses_needed, s->learn.days,
               s->learn.days_needed);
    if (s->rate_known)
        printf("  use       %.1f g/day ± %.1f\n", (double)s->rate_ugpd / 1e6,
               (double)s->sigma_ugpd / 1e6);
    if (s->runout_ms < 0) {
        printf("  runs out  not foreseen yet\n");
    } else {
        double days = (double)(s->runout_ms - now_ms) / (double)MODELS_DAY_MS;
        if (days >= 0)
            printf("  runs out  in %.1f days, %s", days, fmt_time(s->runout_ms, a, 32));
        else
            printf("  runs out  overdue since %s", fmt_time(s->runout_ms, a, 32));
        printf(" (%s .. %s)\n", s->early_ms >= 0 ? fmt_time(s->early_ms, b, 32) : "?",
               s->late_ms >= 0 ? fmt_time(s->late_ms, c, 32) : "never");
    }
    if (s->rp_known)
        printf("  decision  %s; reorder point %s, lead time %.1f days\n", s->verdict,
               fmt_g(s->reorder_point_mg, a, 32), (double)s->lead_s / 86400.0);
    else
        printf("  decision  %s; lead time %.1f days\n", s->verdict,
               (double)s->lead_s / 86400.0);
}

/* ---- the command ---- */

/*
 * Ask the daemon, and check its whole answer before anything is printed: 0
 * with the answer in *resp, each configured item's view in st[] and the links
 * in *link and *home; or -errno with why not in why (the daemon is not running, did not
 * answer, or answered what is not understood, naming the key), *resp empty.
 */
static int
ask_daemon(const struct opts *o, struct control_response *resp, struct item_status *st,
           const cJSON **link, const cJSON **home, char *why, size_t len)
{
    struct control_request req = {.cmd = CONTROL_STATUS};
    const char *bad = NULL, *id = NULL;
    const cJSON *items;
    char err[512];
    int timeout = o->timeout_given ? (int)o->timeout_ms : STATUS_TIMEOUT_MS;
    int r =
        control_call(pctl_cfg.control_socket, &req, resp, timeout, err, sizeof(err));

    if (r == -ENOENT || r == -ECONNREFUSED) {
        snprintf(why, len, "the daemon is not running");
        return r;
    }
    if (r < 0) {
        snprintf(why, len, "the daemon did not answer (%s)", err);
        return r;
    }
    items = cJSON_GetObjectItemCaseSensitive(resp->data, "items");
    *link = cJSON_GetObjectItemCaseSensitive(resp->data, "link");
    *home = cJSON_GetObjectItemCaseSensitive(resp->data, "home");
    if (!resp->ok)
        bad = resp->error;
    else if (!cJSON_IsArray(items))
        bad = "items";
    else if (!cJSON_IsNull(*link) && !cJSON_IsObject(*link))
        bad = "link";
    else if (show_link(*link, false, NULL, &bad) == 0)
        show_home(*home, false, NULL, &bad);
    for (size_t i = 0; bad == NULL && i < pctl_cfg.n_items; i++) {
        const cJSON *d = daemon_item(items, pctl_cfg.items[i].id);
        memset(&st[i], 0, sizeof(st[i]));
        if (d != NULL && from_daemon(d, &st[i], &bad) < 0)
            id = pctl_cfg.items[i].id;
    }
    if (bad != NULL) {
        snprintf(why, len, "the daemon's answer is not understood (\"%s\"%s%s)", bad,
                 id != NULL ? " of item " : "", id != NULL ? id : "");
        control_response_fini(resp);
        return -EPROTO;
    }
    return 0;
}

/* The Grocy queue (store-grocy.h), with grocy = { ... } configured: how many
 * calls wait, how many Grocy refused and the last refusal. 0 or -1 (said). */
static int
grocy_status(struct store *db, cJSON *root)
{
    int64_t pending = 0, failed = 0;
    char last[320];

    if (pctl_cfg.grocy.mode == CFG_GROCY_OFF)
        return 0;
    if (store_grocy_counts(db, &pending, &failed, last, sizeof(last)) < 0) {
        cli_fail("grocy: reading its queue: %s", store_errmsg(db));
        return -1;
    }
    if (root != NULL) {
        cJSON *g = cJSON_AddObjectToObject(root, "grocy");
        cJSON_AddNumberToObject(g, "pending", (double)pending);
        cJSON_AddNumberToObject(g, "failed", (double)failed);
        if (failed > 0)
            cJSON_AddStringToObject(g, "last_failure", last);
        else
            cJSON_AddNullToObject(g, "last_failure");
        return 0;
    }
    printf("\ngrocy     %" PRId64 " call%s waiting, %" PRId64 " failed", pending,
           pending == 1 ? "" : "s", failed);
    if (failed > 0) {
        printf("; the last: ");
        put_clean(stdout, last);
    }
    printf("\n");
    return 0;
}

/* What status shows of one item, gathered from the daemon or the store. */
struct item_facts {
    struct item_status s;
    struct open_order oo;
    struct rejected rj;
    char learnt[256]; /* what the policy learnt, "" for nothing */
};

/* Where the figures come from: the daemon (with its links), or the store and
 * why not the daemon; --json starts root with it and its *arr of items. */
static void
show_source(const struct opts *o, struct store *db, int only, bool live,
            const cJSON *link, const cJSON *home, const char *why, cJSON *root,
            cJSON **arr)
{
    int64_t saved_ms = 0;
    char a[32];

    if (o->json) {
        cJSON_AddNumberToObject(root, "now_ms", (double)o->now_ms);
        cJSON_AddStringToObject(root, "source", live ? "daemon" : "store");
        if (live)
            cJSON_AddNullToObject(root, "daemon_error");
        else
            cJSON_AddStringToObject(root, "daemon_error", why);
        *arr = cJSON_AddArrayToObject(root, "items");
    }
    if (live) {
        const char *bad = NULL;
        if (!o->json)
            printf("live from the daemon at %s\n\n", fmt_time(o->now_ms, a, 32));
        show_link(link, true, root, &bad); /* checked by ask_daemon() */
        show_home(home, true, root, &bad);
    } else if (o->json) {
        cJSON_AddNullToObject(root, "link");
        cJSON_AddNullToObject(root, "home");
    } else {
        for (size_t i = 0; i < pctl_cfg.n_items; i++) {
            struct store_view v;
            if ((only < 0 || (size_t)only == i) &&
                get_view(db, pctl_cfg.items[i].id, &v) == 1 && v.t_ms > saved_ms)
                saved_ms = v.t_ms;
        }
        if (saved_ms > 0)
            printf("saved at %s, %s\n\n", fmt_time(saved_ms, a, 32), why);
        else
            printf("nothing saved yet, %s\n\n", why);
    }
}

/* Item it's status (the daemon's live one, else from the store), its open or
 * last rejected order and what was learnt; 0, or -1 after a message. */
static int
gather_item(struct store *db, const struct cfg_item *it, const struct item_status *live,
            const struct pl_model *m, int64_t now_ms, struct item_facts *f)
{
    struct store_view v;
    int have;

    if (live != NULL) {
        f->s = *live;
    } else {
        if ((have = get_view(db, it->id, &v)) < 0)
            return -1;
        if (have) {
            struct status_learning l;
            status_learning_of(m, now_ms, &l);
            from_store(&v, &l, &f->s);
        }
    }
    if (store_orders_open(db, it->id, open_order_cb, &f->oo) < 0 ||
        (!f->oo.found && last_rejected(db, it->id, now_ms, &f->rj) < 0)) {
        cli_fail("%s: reading its orders: %s", it->id, store_errmsg(db));
        return -1;
    }
    /* What the policy learnt from the household's corrections (learn.h). */
    learn_status_line(&m->adj, f->learnt, sizeof(f->learnt));
    return 0;
}

static cJSON *
item_json(const struct cfg_item *it, const struct item_facts *f,
          const struct pl_model *m, int64_t now_ms)
{
    cJSON *j = cJSON_CreateObject();

    cJSON_AddStringToObject(j, "id", it->id);
    cJSON_AddStringToObject(j, "name", it->name);
    cJSON_AddNumberToObject(j, "pack_g", (double)it->pack_mg / 1000.0);
    cJSON_AddStringToObject(j, "mode", cfg_mode_to_str(it->mode));
    if (f->s.have)
        cJSON_AddItemToObject(j, "view", status_view_json(it, &f->s, now_ms));
    else
        cJSON_AddNullToObject(j, "view");
    if (f->oo.found)
        cJSON_AddItemToObject(j, "order", order_json(&f->oo.o));
    else
        cJSON_AddNullToObject(j, "order");
    if (f->rj.found) {
        cJSON *r = cJSON_AddObjectToObject(j, "rejected");
        cJSON_AddStringToObject(r, "id", f->rj.order_id);
        cJSON_AddNumberToObject(r, "t_ms", (double)f->rj.t_ms);
        cJSON_AddStringToObject(r, "note", f->rj.note);
    }
    cJSON_AddItemToObject(j, "lead", lead_json(&m->lead));
    if (f->learnt[0] != '\0')
        cJSON_AddStringToObject(j, "learnt", f->learnt);
    else
        cJSON_AddNullToObject(j, "learnt");
    return j;
}

/* The item's order line: the open order, else the last rejected one. */
static void
print_order(const struct item_facts *f)
{
    char a[32];

    if (f->oo.found) {
        printf("  order     %s %s since %s (%" PRId32 " pack%s, %s)\n",
               f->oo.o.order_id, store_order_state_to_str(f->oo.o.state),
               fmt_time(f->oo.o.updated_ms, a, 32), f->oo.o.packs,
               f->oo.o.packs == 1 ? "" : "s", f->oo.o.reason);
        if (f->oo.o.eta_ms > 0)
            printf("  delivery  expected %s (the retailer shipped it)\n",
                   fmt_time(f->oo.o.eta_ms, a, 32));
    } else if (f->rj.found) {
        printf("  order     none open; the last, %s, was rejected %s: ", f->rj.order_id,
               fmt_time(f->rj.t_ms, a, 32));
        put_clean(stdout, f->rj.note[0] ? f->rj.note : "no reason given");
        putchar('\n');
    } else
        printf("  order     none open\n");
}

/* The item for people; first: no blank line before it. */
static void
print_item(const struct cfg_item *it, const struct item_facts *f,
           const struct pl_model *m, bool first, bool live, int64_t now_ms)
{
    printf("%s%s  ", first ? "" : "\n", it->id);
    put_clean(stdout, it->name);
    printf("  (mode %s)\n", cfg_mode_to_str(it->mode));
    if (f->s.have)
        print_status_view(it, &f->s, now_ms);
    else if (live)
        printf("  not known to the running daemon (another configuration?)\n");
    else
        printf("  no forecast yet: the daemon has not reviewed this item\n");
    print_lead(&m->lead);
    if (f->learnt[0] != '\0') {
        printf("  learnt    ");
        put_clean(stdout, f->learnt);
        printf("\n");
    }
    print_order(f);
}

int
cmd_status(const struct command *cmd, struct opts *o)
{
    static struct pl_model m; /* about 1 KB: not on the stack */
    static struct item_status live_st[CFG_MAX_ITEMS];
    struct control_response resp = {0};
    const cJSON *link = NULL, *home = NULL;
    struct store *db = NULL;
    cJSON *root = NULL, *arr = NULL;
    int rc = EXIT_REFUSED, only = -1;
    char why[640];
    bool live;

    (void)cmd;
    if (o->item != NULL && (only = find_item(o->item)) < 0)
        return EXIT_USAGE;
    live = ask_daemon(o, &resp, live_st, &link, &home, why, sizeof(why)) == 0;
    if (open_store(&db) != 0)
        goto out;
    if (o->json)
        root = cJSON_CreateObject();
    show_source(o, db, only, live, link, home, why, root, &arr);
    for (size_t i = 0; i < pctl_cfg.n_items; i++) {
        const struct cfg_item *it = &pctl_cfg.items[i];
        struct item_facts f = {.rj = {.found = false}};

        if (only >= 0 && (size_t)only != i)
            continue;
        if (get_model(db, it, o->now_ms, &m) < 0 ||
            gather_item(db, it, live ? &live_st[i] : NULL, &m, o->now_ms, &f) < 0)
            goto out;
        if (o->json)
            cJSON_AddItemToArray(arr, item_json(it, &f, &m, o->now_ms));
        else
            print_item(it, &f, &m, i == 0 || only >= 0, live, o->now_ms);
    }
    if (grocy_status(db, root) < 0)
        goto out;
    rc = 0;
    if (o->json) {
        rc = print_json(root);
        root = NULL;
    }
out:
    cJSON_Delete(root);
    store_close(db);
    control_response_fini(&resp);
    return rc;
}
