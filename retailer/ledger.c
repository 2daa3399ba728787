/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ledger's rules (see ledger.h) and its in-memory form: two open-addressing
 * hash tables (FNV-1a, linear probing, grown at half full), one of the message
 * triples seen, one of each device's last sequence number. Keys are copied;
 * ids never contain '/', so "kind/device/order_id" is unambiguous.
 */
#include "retailer/ledger.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const verdict_names[] = {"accepted", "duplicate", "rejected"};

const char *
ledger_verdict_to_str(enum ledger_verdict v)
{
    if ((unsigned)v > LEDGER_REJECTED)
        return "?";
    return verdict_names[v];
}

bool
ledger_identified(const struct check_result *res)
{
    return res->signer_known && res->kind_known && res->p.order_id[0] != '\0' &&
           res->p.seq > 0;
}

enum ledger_verdict
ledger_decide(struct check_result *res, bool seen, int64_t last_seq)
{
    if (seen)
        return LEDGER_DUPLICATE;
    if (res->reason != CHECK_OK)
        return LEDGER_REJECTED;
    if (res->p.seq <= last_seq) {
        res->reason = CHECK_SEQUENCE;
        snprintf(res->detail, sizeof(res->detail),
                 "new order id %s with sequence "
                 "number %lld, not above %lld, the last seen from %s",
                 res->p.order_id, (long long)res->p.seq, (long long)last_seq,
                 res->device);
        payload_fini(&res->p);
        return LEDGER_REJECTED;
    }
    return LEDGER_ACCEPTED;
}

struct slot {
    char *key;
    int64_t val;
};

struct table {
    struct slot *s;
    size_t cap, n; /* cap a power of two */
};

struct ledger {
    struct table seen, last;
};

static uint64_t
fnv1a(const char *s)
{
    uint64_t h = UINT64_C(14695981039346656037);

    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * UINT64_C(1099511628211);
    return h;
}

static struct slot *
find(const struct table *t, const char *key)
{
    size_t i = (size_t)fnv1a(key) & (t->cap - 1);

    while (t->s[i].key != NULL && strcmp(t->s[i].key, key) != 0)
        i = (i + 1) & (t->cap - 1);
    return &t->s[i];
}

static int
grow(struct table *t)
{
    struct table bigger = {calloc(t->cap * 2, sizeof(struct slot)), t->cap * 2, t->n};

    if (bigger.s == NULL)
        return -ENOMEM;
    for (size_t i = 0; i < t->cap; i++)
        if (t->s[i].key != NULL)
            *find(&bigger, t->s[i].key) = t->s[i];
    free(t->s);
    *t = bigger;
    return 0;
}

/* The slot of key, added (value 0) when absent. NULL: out of memory. */
static struct slot *
upsert(struct table *t, const char *key, bool *added)
{
    struct slot *s;

    if ((t->n + 1) * 2 > t->cap && grow(t) < 0)
        return NULL;
    s = find(t, key);
    *added = s->key == NULL;
    if (*added) {
        if ((s->key = strdup(key)) == NULL)
            return NULL;
        s->val = 0;
        t->n++;
    }
    return s;
}

static int
table_init(struct table *t)
{
    t->cap = 64;
    t->n = 0;
    t->s = calloc(t->cap, sizeof(struct slot));
    return t->s == NULL ? -ENOMEM : 0;
}

static void
table_fini(struct table *t)
{
    for (size_t i = 0; t->s != NULL && i < t->cap; i++)
        free(t->s[i].key);
    free(t->s);
}

int
ledger_new(struct ledger **out)
{
    struct ledger *l = calloc(1, sizeof(*l));

    *out = NULL;
    if (l == NULL || table_init(&l->seen) < 0 || table_init(&l->last) < 0) {
        ledger_free(l);
        return -ENOMEM;
    }
    *out = l;
    return 0;
}

void
ledger_free(struct ledger *l)
{
    if (l == NULL)
        return;
    table_fini(&l->seen);
    table_fini(&l->last);
    free(l);
}

int
ledger_apply(struct ledger *l, struct check_result *res)
{
    char key[2 * MESSAGE_ID_MAX + 16];
    struct slot *seen, *last;
    bool added_seen, added_last;
    enum ledger_verdict v;

    if (!ledger_identified(res))
        return LEDGER_REJECTED;
    snprintf(key, sizeof(key), "%s/%s/%s", payload_kind_to_str(res->kind), res->device,
             res->p.order_id);
    /* A device added with 0 is as good as absent: a failure here leaves nothing
     * that changes a later verdict. */
    if ((last = upsert(&l->last, res->device, &added_last)) == NULL ||
        (seen = upsert(&l->seen, key, &added_seen)) == NULL)
        return -ENOMEM;
    v = ledger_decide(res, !added_seen, last->val);
    if (v == LEDGER_ACCEPTED)
        last->val = res->p.seq;
    return (int)v;
}
