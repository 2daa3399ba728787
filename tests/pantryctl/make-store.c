/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A test helper: fill a store file through the store API (agent/store/store.h) from
 * commands on stdin, one per line, so the pantryctl test can build the exact
 * store it then reads back. Numbers are integers in the store's units (ms, mg,
 * ug/day, s); "never" stands for INT64_MAX; TEXT runs to the end of the line.
 *
 *   item ID CHANNEL NAME...
 *   reading ITEM START_MS N MIN_MG MAX_MG MEAN_MG UNCERTAINTY_MG
 *   view ITEM T_MS STOCK_MG UNC_MG RATE_UGPD SIGMA_UGPD RUNOUT_S LO_S HI_S LEAD_S
 *        REORDER_POINT_MG VERDICT FAULT(0|1)                       (one line)
 *   model ITEM STARTED_MS USES          (what was learnt: the learning period)
 *   modeltext ITEM T_MS LINE|LINE|...   (a model state of format 2, as saved)
 *   event ITEM KIND T_MS MG [FLAGS]
 *   device ID
 *   order ID ITEM PACKS PRICE_CENTS REASON T_MS
 *   queue ID T_MS
 *   transition ID FROM TO T_MS [NOTE...]
 *   eta ID ETA_MS
 *   audit T_MS ITEM|- TEXT...
 *
 * Usage: make-store STORE < commands. Exit 0, or 1 with the failing line.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/pipeline/modelstate.h"
#include "sensors/sensor.h"
#include "agent/store/store.h"

#define MAX_FIELDS 16

/* Copy s into dst of len bytes, cut if longer. */
static void
copy(char *dst, size_t len, const char *s)
{
    size_t n = strnlen(s, len - 1);

    memcpy(dst, s, n);
    dst[n] = '\0';
}

static int
num(const char *s, int64_t *out)
{
    char *end;

    if (strcmp(s, "never") == 0) {
        *out = INT64_MAX;
        return 0;
    }
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0')
        return -EINVAL;
    *out = v;
    return 0;
}

/* Split off up to max fields; the rest of the line (or NULL) in *rest. */
static int
split(char *line, char **f, int max, char **rest)
{
    int n = 0;
    char *p = line;

    *rest = NULL;
    while (*p != '\0' && n < max) {
        while (*p == ' ')
            p++;
        if (*p == '\0')
            break;
        f[n++] = p;
        while (*p != '\0' && *p != ' ')
            p++;
        if (*p == ' ')
            *p++ = '\0';
    }
    while (*p == ' ')
        p++;
    if (*p != '\0')
        *rest = p;
    return n;
}

static int
build(int64_t seq, void *ctx, char **message)
{
    (void)ctx;
    char buf[64];
    snprintf(buf, sizeof(buf), "{\"test\":true,\"seq\":%" PRId64 "}", seq);
    *message = strdup(buf);
    return *message != NULL ? 0 : -ENOMEM;
}

static int
kind_of(const char *s)
{
    for (int k = 0; k <= STOCK_FAULT_END; k++)
        if (strcmp(stock_kind_to_str((enum stock_kind)k), s) == 0)
            return k;
    return -1;
}

static int
run(struct store *db, char *line)
{
    char *f[MAX_FIELDS], *rest;
    int64_t v[MAX_FIELDS];
    int n;

    if (line[0] == '\0' || line[0] == '#')
        return 0;
    if (strncmp(line, "item ", 5) == 0 || strncmp(line, "audit ", 6) == 0 ||
        strncmp(line, "modeltext ", 10) == 0)
        n = split(line, f, 3, &rest);
    else if (strncmp(line, "transition ", 11) == 0)
        n = split(line, f, 5, &rest);
    else
        n = split(line, f, MAX_FIELDS, &rest);
    for (int i = 0; i < n; i++)
        if (num(f[i], &v[i]) < 0)
            v[i] = 0;

    if (strcmp(f[0], "item") == 0 && n == 3) {
        struct store_item it = {0};
        copy(it.id, sizeof(it.id), f[1]);
        it.channel = (int32_t)v[2];
        copy(it.name, sizeof(it.name), rest ? rest : f[1]);
        return store_item_put(db, &it);
    }
    if (strcmp(f[0], "reading") == 0 && n == 8) {
        struct store_reading r = {v[2], v[3], v[4], v[5], v[6], v[7]};
        return store_reading_put(db, f[1], &r);
    }
    if (strcmp(f[0], "view") == 0 && n == 14) {
        struct store_view w = {
            .t_ms = v[2],
            .stock_mg = v[3],
            .uncertainty_mg = v[4],
            .rate_ugpd = v[5],
            .sigma_ugpd = v[6],
            .runout_s = v[7],
            .runout_lo_s = v[8],
            .runout_hi_s = v[9],
            .lead_s = v[10],
            .reorder_point_mg = v[11],
            .fault = v[13] != 0,
        };
        copy(w.verdict, sizeof(w.verdict), f[12]);
        return store_view_put(db, f[1], &w);
    }
    if (strcmp(f[0], "model") == 0 && n == 4) {
        /* What was learnt: observation began at v[2], v[3] uses seen; the
         * lead is the configuration's default prior (2 days, spread 2 days). */
        static struct pl_model m;
        struct cfg_item c = {.lead_s = 2 * 86400, .lead_spread_s = 2 * 86400};
        char text[MS_TEXT_MAX];
        ms_fresh(&m, &c, v[2]);
        m.fc.cr.size.n = (uint32_t)v[3];
        int len = ms_encode(&m, text, sizeof(text));
        if (len < 0)
            return len;
        return store_model_put(db, f[1], v[2], MS_FORMAT, text, (size_t)len);
    }
    if (strcmp(f[0], "event") == 0 && (n == 5 || (n == 6 && v[5] < 256))) {
        struct stock_event ev = {.t_ms = v[3], .mg = v[4]};
        ev.flags = n == 6 ? (uint8_t)v[5] : 0;
        int k = kind_of(f[2]);
        if (k < 0)
            return -EINVAL;
        ev.kind = (uint8_t)k;
        return store_event_add(db, f[1], &ev);
    }
    if (strcmp(f[0], "device") == 0 && n == 2)
        return store_set_device(db, f[1]);
    if (strcmp(f[0], "order") == 0 && n == 7) {
        struct store_order o = {0};
        copy(o.order_id, sizeof(o.order_id), f[1]);
        copy(o.item, sizeof(o.item), f[2]);
        o.packs = (int32_t)v[3];
        o.price_cents = v[4];
        copy(o.reason, sizeof(o.reason), f[5]);
        return store_order_create(db, &o, v[6]);
    }
    if (strcmp(f[0], "queue") == 0 && n == 3)
        return store_order_queue(db, f[1], v[2], build, NULL);
    if (strcmp(f[0], "transition") == 0 && n == 5) {
        int from = store_order_state_from_str(f[2]),
            to = store_order_state_from_str(f[3]);
        if (from < 0 || to < 0)
            return -EINVAL;
        return store_order_transition(db, f[1], (enum store_order_state)from,
                                      (enum store_order_state)to, v[4], rest);
    }
    if (strcmp(f[0], "eta") == 0 && n == 3)
        return store_order_set_eta(db, f[1], v[2]);
    /* modeltext ITEM T_MS: a model state of format 2 whose lines follow, "\n" as
     * "|" (ms_decode() checks them when the daemon or pantryctl reads it) */
    if (strcmp(f[0], "modeltext") == 0 && n == 3 && rest != NULL) {
        char text[4096];
        size_t len = strlen(rest);
        if (len + 2 > sizeof(text))
            return -EINVAL;
        for (size_t k = 0; k < len; k++)
            text[k] = rest[k] == '|' ? '\n' : rest[k];
        text[len] = '\n';
        return store_model_put(db, f[1], v[2], 2, text, len + 1);
    }
    if (strcmp(f[0], "audit") == 0 && n == 3)
        return store_audit(db, v[1], strcmp(f[2], "-") == 0 ? NULL : f[2],
                           rest ? rest : "");
    return -EINVAL;
}

int
main(int argc, char **argv)
{
    struct store *db = NULL;
    char err[512], line[1024];
    unsigned no = 0;
    int r;

    if (argc != 2) {
        fprintf(stderr, "usage: make-store STORE < commands\n");
        return 2;
    }
    if ((r = store_open(argv[1], 0, &db, err, sizeof(err))) < 0) {
        fprintf(stderr, "make-store: %s\n", err);
        return 1;
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        no++;
        line[strcspn(line, "\n")] = '\0';
        char saved[1024];
        copy(saved, sizeof(saved), line);
        if ((r = run(db, line)) < 0) {
            fprintf(stderr, "make-store: line %u: %s: %s (%s)\n", no, saved,
                    strerror(-r), store_errmsg(db));
            store_close(db);
            return 1;
        }
    }
    store_close(db);
    return 0;
}
