/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's queue of calls to the household's Grocy (the grocy_calls table,
 * STORE.md "Grocy"): a consume, a refill or a shopping-list entry, added in
 * the transaction of what causes it, then sent one at a time in id order by
 * grocy.c. A row is 'pending', 'sending' (written and committed before its
 * POST), 'done' or 'failed' (Grocy refused it: kept for pantryctl, never
 * retried). Amounts are milligrams; unit_mg converts them to the product's
 * stock quantity unit.
 */
#ifndef PANTRY_AGENT_STORE_GROCY_H
#define PANTRY_AGENT_STORE_GROCY_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/store/store.h"

enum store_grocy_op {
    GROCY_OP_CONSUME,   /* POST /stock/products/{id}/consume {amount} */
    GROCY_OP_ADD,       /* POST /stock/products/{id}/add {amount} */
    GROCY_OP_INVENTORY, /* POST /stock/products/{id}/inventory {new_amount} */
    GROCY_OP_SHOPPING,  /* POST /stock/shoppinglist/add-product {product_id, ...} */
};

enum store_grocy_state {
    GROCY_PENDING,
    GROCY_SENDING,
    GROCY_DONE,
    GROCY_FAILED,
};

struct store_grocy_call {
    int64_t id; /* set by the store */
    char item[32];
    int64_t product; /* Grocy's product id, > 0 */
    enum store_grocy_op op;
    int64_t amount_mg; /* consume, add, shopping: how much; >= 0 */
    int64_t stock_mg;  /* the item's stock after the event (inventory's new amount) */
    int64_t unit_mg;   /* grams of one unit of the product's stock unit, > 0 */
    enum store_grocy_state state;
    int64_t tries;
    int64_t next_ms; /* not sent before this (backoff) */
    int64_t created_ms;
    char detail[320]; /* the last failure, for people */
};

const char *store_grocy_op_to_str(enum store_grocy_op op);
const char *store_grocy_state_to_str(enum store_grocy_state s);

/* Add c (state pending, tries 0) in the caller's transaction; 0 or a negative
 * errno (-EINVAL for a bad row). */
int store_grocy_add(struct store *db, const struct store_grocy_call *c);

/* The oldest row that is pending or sending into *out: 0, -ENOENT when there is
 * none, or a negative errno. */
int store_grocy_next(struct store *db, struct store_grocy_call *out);

/* Row id's op, state, tries, next_ms and detail as in c, at now_ms, committed
 * on its own (outside any batch); 0 or a negative errno. */
int store_grocy_update(struct store *db, const struct store_grocy_call *c,
                       int64_t now_ms);

/* Whether item has a shopping-list row (in any state) created at or after its
 * last stock event of kind refill_kind (stock_kind_to_str(STOCK_REFILL)), or
 * ever when it has none: *listed. 0 or a negative errno. */
int store_grocy_listed(struct store *db, const char *item, const char *refill_kind,
                       bool *listed);

/* Queue, at the end, an inventory of item's newest known stock (the stock_mg
 * of its newest stock row), at now_ms: what corrects Grocy after a consume or
 * add it refused. 0 (nothing when the item has no stock row) or a negative
 * errno. */
int store_grocy_correct(struct store *db, const char *item, int64_t now_ms);

/* The stock Grocy was last told for item: the stock_mg of its newest row that
 * is not a shopping-list one, into *stock_mg. 0, -ENOENT when it has none, or
 * a negative errno. */
int store_grocy_told(struct store *db, const char *item, int64_t *stock_mg);

/* A number that changes whenever a row of the store may have been written on
 * this connection (the queue's or any other): the queue need not be read
 * again while it stays the same and nothing it holds has come due. */
int64_t store_grocy_writes(struct store *db);

/* Delete the rows done before before_ms (failed ones stay for pantryctl);
 * *deleted how many (may be NULL). 0 or a negative errno. */
int store_grocy_prune(struct store *db, int64_t before_ms, int64_t *deleted);

/* How many rows are pending or sending, and failed; and the newest failure's
 * detail into last (len bytes, "" when none). 0 or a negative errno. */
int store_grocy_counts(struct store *db, int64_t *pending, int64_t *failed, char *last,
                       size_t len);

#endif
