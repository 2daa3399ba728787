/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The household as an input (see hhsource.h): demand files, and the shelf of
 * household.h as a sample source fed by the retailer's shipments.
 */
#include "agent/sim/hhsource.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/sim/household.h"
#include "sensors/text.h"
#include "models/units.h"

#define DEMAND_LINE_MAX 128
#define POLL_MS INT64_C(600000) /* how often the store is asked for shipments */
#define SHIPPED_MAX 256         /* orders remembered as poured */

int
hh_read_demand(const char *path, int64_t epoch_s, struct cl_use **out, size_t *n,
               char *err, size_t errlen)
{
    char line[DEMAND_LINE_MAX + 1], what[160];
    size_t len, cap = 0, ln = 0;
    struct cl_use *u = NULL;
    enum text_line st;
    int e = 0;
    FILE *f = fopen(path, "r");

    *out = NULL;
    *n = 0;
    if (f == NULL)
        return text_error(err, errlen, "%s: %s", path, strerror(errno)), -errno;
    while ((st = text_read_line(f, line, DEMAND_LINE_MAX, &len)) != TEXT_LINE_EOF) {
        ln++;
        if (st != TEXT_LINE_OK) {
            e = text_line_error(st, DEMAND_LINE_MAX, what, sizeof(what));
            text_error(err, errlen, "%s:%zu: %s", path, ln, what);
            goto out;
        }
        if (strlen(line) != len) {
            e = text_error(err, errlen, "%s:%zu: NUL byte in line", path, ln);
            goto out;
        }
        if (len == 0 || line[0] == '#')
            continue;
        char *comma = strchr(line, ',');
        int64_t t, mg;
        if (comma == NULL) {
            e = text_error(err, errlen, "%s:%zu: expected 'seconds,grams', found '%s'",
                           path, ln, line);
            goto out;
        }
        *comma = '\0';
        if (!text_parse_uint(line, 12, false, &t)) {
            e = text_error(err, errlen,
                           "%s:%zu: seconds: expected a whole number of "
                           "seconds from the start, found '%s'",
                           path, ln, line);
            goto out;
        }
        if (*n > 0 && t < u[*n - 1].t_s - epoch_s) {
            e = text_error(err, errlen,
                           "%s:%zu: seconds: expected %" PRId64
                           " or later (time never goes backwards), found '%s'",
                           path, ln, u[*n - 1].t_s - epoch_s, line);
            goto out;
        }
        if (text_parse_grams(comma + 1, &mg) < 0 || mg <= 0 || mg > 100000000) {
            e = text_error(err, errlen,
                           "%s:%zu: grams: expected grams from 0.001 to "
                           "100000, found '%s'",
                           path, ln, comma + 1);
            goto out;
        }
        if (*n == HH_USES_MAX) {
            e = text_error(err, errlen, "%s:%zu: more than %d uses", path, ln,
                           HH_USES_MAX);
            goto out;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 256;
            struct cl_use *p = realloc(u, cap * sizeof(*u));
            if (p == NULL) {
                e = text_error(err, errlen, "out of memory");
                goto out;
            }
            u = p;
        }
        u[(*n)++] = (struct cl_use){epoch_s + t, mg};
    }
out:
    fclose(f);
    if (e < 0) {
        free(u);
        *n = 0;
        return e;
    }
    *out = u;
    return 0;
}

int
hh_load_demands(const struct agent_config *cfg, const char *const *spec, size_t n,
                int64_t epoch_s, struct cl_item *items, struct cl_use **uses,
                int64_t *last_s, char *err, size_t errlen)
{
    char id[CFG_ID_MAX + 1];

    *last_s = epoch_s;
    for (size_t k = 0; k < n; k++) {
        const char *eq = strchr(spec[k], '='), *path = eq ? eq + 1 : spec[k];
        int i;
        if (eq != NULL) {
            if ((size_t)(eq - spec[k]) >= sizeof(id))
                return text_error(err, errlen, "%s: no such item in the configuration",
                                  spec[k]),
                       -EINVAL;
            memcpy(id, spec[k], (size_t)(eq - spec[k]));
            id[eq - spec[k]] = '\0';
            i = cfg_find_item(cfg, id);
        } else {
            i = cfg->n_items == 1 ? 0 : -1;
        }
        if (i < 0)
            return text_error(err, errlen, "%s: %s", spec[k],
                              eq ? "no such item in the configuration"
                                 : "say which item: ITEM=FILE"),
                   -EINVAL;
        if (uses[i] != NULL)
            return text_error(err, errlen, "%s: item %s has two demand files", spec[k],
                              cfg->items[i].id),
                   -EINVAL;
        int e = hh_read_demand(path, epoch_s, &uses[i], &items[i].n_use, err, errlen);
        if (e < 0)
            return e;
        items[i].use = uses[i];
        if (items[i].n_use > 0 && items[i].use[items[i].n_use - 1].t_s > *last_s)
            *last_s = items[i].use[items[i].n_use - 1].t_s;
    }
    return 0;
}

/* ---- the source ---- */

struct hh_source {
    struct sample_source base;
    const struct agent_config *cfg;
    struct store *db;
    struct cl_config c;
    struct cl_item items[CFG_MAX_ITEMS];
    struct cl_use *uses[CFG_MAX_ITEMS];
    struct cl_metrics m[CFG_MAX_ITEMS];
    struct hh_shelf shelf;
    int64_t next_poll_ms;
    char shipped[SHIPPED_MAX][STORE_ID_MAX]; /* poured, or to be */
    unsigned n_shipped;
    struct sample pending[CFG_MAX_ITEMS]; /* made, not read yet */
    size_t n_pending, pos_pending;
};

struct poll {
    struct hh_source *h;
    unsigned item;
    int64_t now;
};

static int
poll_cb(const struct store_order *o, void *ctx)
{
    struct poll *p = ctx;
    struct hh_source *h = p->h;
    if (o->eta_ms <= 0 || h->n_shipped == SHIPPED_MAX)
        return 0;
    for (unsigned k = 0; k < h->n_shipped; k++)
        if (strcmp(h->shipped[k], o->order_id) == 0)
            return 0;
    int64_t at = o->eta_ms > p->now ? o->eta_ms : p->now;
    if (hh_shelf_deliver(&h->shelf, p->item, at,
                         (int64_t)o->packs * h->cfg->items[p->item].pack_mg) == 0)
        snprintf(h->shipped[h->n_shipped++], STORE_ID_MAX, "%s", o->order_id);
    return 0;
}

/* The orders shipped since the last look, each to be poured at its ETA. */
static int
poll_shipments(struct hh_source *h, int64_t now)
{
    if (now < h->next_poll_ms || h->db == NULL)
        return 0;
    h->next_poll_ms = now + POLL_MS;
    for (size_t i = 0; i < h->cfg->n_items; i++) {
        struct poll p = {h, (unsigned)i, now};
        int e = store_orders_open(h->db, h->cfg->items[i].id, poll_cb, &p);
        if (e < 0)
            return e;
    }
    return 0;
}

static int
hh_read_samples(struct sample_source *s, int64_t now_ms, struct sample *out, size_t max)
{
    struct hh_source *h = (struct hh_source *)s;
    size_t n = 0;
    for (;;) {
        while (n < max && h->pos_pending < h->n_pending)
            out[n++] = h->pending[h->pos_pending++];
        if (n == max)
            return (int)n;
        int64_t due = hh_shelf_due(&h->shelf);
        if (due > now_ms || due >= h->c.end_s * 1000)
            return (int)n;
        int e = poll_shipments(h, due);
        if (e < 0)
            return e;
        hh_shelf_actions(&h->shelf, due);
        h->n_pending = hh_shelf_samples(&h->shelf, due, h->pending);
        h->pos_pending = 0;
    }
}

static int64_t
hh_next_due(const struct sample_source *s, int64_t now_ms)
{
    const struct hh_source *h = (const struct hh_source *)s;
    (void)now_ms;
    if (h->pos_pending < h->n_pending)
        return h->pending[h->pos_pending].t_ms;
    int64_t due = hh_shelf_due(&h->shelf);
    return due >= h->c.end_s * 1000 ? INT64_MAX : due;
}

static void
hh_free(struct sample_source *s)
{
    struct hh_source *h = (struct hh_source *)s;
    if (h == NULL)
        return;
    hh_shelf_fini(&h->shelf, h->c.end_s);
    for (size_t i = 0; i < CFG_MAX_ITEMS; i++)
        free(h->uses[i]);
    free(h);
}

static const struct sample_source_ops hh_ops = {
    .name = "household",
    .read_samples = hh_read_samples,
    .next_due_ms = hh_next_due,
    .free = hh_free,
};

int
hh_source_open(const struct hh_spec *spec, const struct agent_config *cfg,
               struct sample_source **out, char *err, size_t errlen)
{
    struct hh_source *h = calloc(1, sizeof(*h));
    int64_t last;
    int e;

    *out = NULL;
    if (h == NULL)
        return text_error(err, errlen, "out of memory"), -ENOMEM;
    h->base.ops = &hh_ops;
    h->cfg = cfg;
    if ((e = hh_load_demands(cfg, spec->demand, spec->n_demand, spec->start_s, h->items,
                             h->uses, &last, err, errlen)) < 0)
        goto fail;
    cl_config_default(&h->c, spec->start_s,
                      spec->days > 0 ? spec->start_s + spec->days * MODELS_DAY_S
                                     : last + MODELS_DAY_S);
    h->c.seed = spec->seed;
    if (spec->period_ms > 0)
        h->c.idle_ms = spec->period_ms;
    for (size_t i = 0; i < cfg->n_items; i++)
        h->items[i].start_mg = cfg->items[i].pack_mg * spec->start_packs_milli / 1000;
    if ((e = hh_shelf_init(&h->shelf, cfg, h->items, &h->c, h->m, err, errlen)) < 0)
        goto fail;
    h->next_poll_ms = INT64_MIN;
    *out = &h->base;
    return 0;
fail:
    hh_free(&h->base);
    return e;
}

void
hh_source_use_store(struct sample_source *s, struct store *db)
{
    ((struct hh_source *)s)->db = db;
}

unsigned
hh_source_delivered(const struct sample_source *s)
{
    const struct hh_source *h = (const struct hh_source *)s;
    unsigned n = 0;
    for (size_t i = 0; i < h->shelf.n; i++)
        n += (unsigned)h->m[i].delivered;
    return n;
}
