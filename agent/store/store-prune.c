/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Retention (see store.h): what the store forgets and when. store_prune()
 * deletes rows older than the cut-off, then whatever is over each table's cap,
 * oldest first, in one transaction; an item's latest calibration and orders
 * not yet final are never deleted.
 */
#include "agent/store/store.h"
#include "agent/store/store-int.h"
#include "models/units.h"

#include <errno.h>

#include <sqlite3.h>

/* ---- retention ---- */

/*
 * Each statement binds ?1 = the cut-off time and ?2 = the cap. Transitions go
 * before their orders with the same selection (ordered with a tie-break, so both
 * statements pick the same rows). Calibrations keep each item's latest.
 */
#define VICTIM_ORDERS_AGE                                                              \
    "SELECT order_id FROM orders WHERE state IN " FINAL_STATES " AND updated_ms < ?1"
#define VICTIM_ORDERS_CAP                                                              \
    "SELECT order_id FROM orders WHERE state IN " FINAL_STATES                         \
    " ORDER BY updated_ms, order_id LIMIT max(0, (SELECT count(*) FROM orders "        \
    "WHERE state IN " FINAL_STATES ") - ?2)"
#define LATEST_CALS                                                                    \
    "SELECT (SELECT c2.rowid FROM calibrations AS c2 WHERE c2.item = i.id "            \
    "ORDER BY c2.t_ms DESC, c2.rowid DESC LIMIT 1) FROM items AS i"

enum prune_cap { NO_CAP, CAP_READINGS, CAP_EVENTS, CAP_AUDIT, CAP_CALS, CAP_ORDERS };

static const struct {
    const char *sql;
    enum prune_cap cap;
} prune_steps[] = {
    {"DELETE FROM readings WHERE start_ms < ?1", 0},
    {"DELETE FROM events WHERE t_ms < ?1", 0},
    {"DELETE FROM audit WHERE t_ms < ?1", 0},
    {"DELETE FROM calibrations WHERE t_ms < ?1 AND rowid NOT IN (" LATEST_CALS ")", 0},
    {"DELETE FROM order_transitions WHERE order_id IN (" VICTIM_ORDERS_AGE ")", 0},
    {"DELETE FROM cancels WHERE order_id IN (" VICTIM_ORDERS_AGE ")", 0},
    {"DELETE FROM orders WHERE order_id IN (" VICTIM_ORDERS_AGE ")", 0},
    {"DELETE FROM readings WHERE (start_ms, item) IN (SELECT start_ms, item FROM "
     "readings ORDER BY start_ms LIMIT max(0, (SELECT count(*) FROM readings) - ?2))",
     CAP_READINGS},
    {"DELETE FROM events WHERE rowid IN (SELECT rowid FROM events ORDER BY t_ms, "
     "rowid LIMIT max(0, (SELECT count(*) FROM events) - ?2))",
     CAP_EVENTS},
    {"DELETE FROM audit WHERE rowid IN (SELECT rowid FROM audit ORDER BY t_ms, "
     "rowid LIMIT max(0, (SELECT count(*) FROM audit) - ?2))",
     CAP_AUDIT},
    {"DELETE FROM calibrations WHERE rowid IN (SELECT rowid FROM calibrations "
     "WHERE rowid NOT IN (" LATEST_CALS ") ORDER BY t_ms, rowid LIMIT max(0, "
     "(SELECT count(*) FROM calibrations WHERE rowid NOT IN (" LATEST_CALS ")) - ?2))",
     CAP_CALS},
    {"DELETE FROM order_transitions WHERE order_id IN (" VICTIM_ORDERS_CAP ")",
     CAP_ORDERS},
    {"DELETE FROM cancels WHERE order_id IN (" VICTIM_ORDERS_CAP ")", CAP_ORDERS},
    {"DELETE FROM orders WHERE order_id IN (" VICTIM_ORDERS_CAP ")", CAP_ORDERS},
};

int
store_set_caps(struct store *db, const struct store_caps *caps)
{
    if (caps->readings < 1 || caps->events < 1 || caps->audit < 1 ||
        caps->calibrations < 1 || caps->final_orders < 1)
        return store_failf_(db, -EINVAL, "every row cap must be at least 1");
    db->caps = *caps;
    return 0;
}

static int64_t
cap_of(const struct store *db, enum prune_cap c)
{
    switch (c) {
    case CAP_READINGS:
        return db->caps.readings;
    case CAP_EVENTS:
        return db->caps.events;
    case CAP_AUDIT:
        return db->caps.audit;
    case CAP_CALS:
        return db->caps.calibrations;
    case CAP_ORDERS:
        return db->caps.final_orders;
    case NO_CAP:
        break;
    }
    return 0;
}

int
store_prune(struct store *db, int64_t now_ms, int64_t keep_ms, int64_t *deleted)
{
    int e = 0;
    int64_t n = 0;
    if (keep_ms < STORE_KEEP_MIN_MS || now_ms < INT64_MIN + keep_ms)
        return store_failf_(db, -EINVAL, "keep at least %lld days, not %lld ms",
                            (long long)(STORE_KEEP_MIN_MS / MODELS_DAY_MS),
                            (long long)keep_ms);
    if ((e = store_tx_begin_(db, false)) < 0)
        return e;
    for (size_t i = 0; i < sizeof(prune_steps) / sizeof(prune_steps[0]); i++) {
        sqlite3_stmt *st = NULL;
        /* Run once a day or so: not worth a cached statement each. */
        int rc = sqlite3_prepare_v2(db->sql, prune_steps[i].sql, -1, &st, NULL);
        if (rc != SQLITE_OK) {
            e = store_fail_(db, rc);
            break;
        }
        sqlite3_bind_int64(st, 1, now_ms - keep_ms);
        if (prune_steps[i].cap != NO_CAP)
            sqlite3_bind_int64(st, 2, cap_of(db, prune_steps[i].cap));
        rc = sqlite3_step(st);
        if (rc != SQLITE_DONE)
            e = store_fail_(db, rc);
        else
            n += sqlite3_changes(db->sql);
        sqlite3_finalize(st);
        if (e < 0)
            break;
    }
    e = store_tx_end_(db, e, false);
    if (e == 0 && deleted != NULL)
        *deleted = n;
    return e;
}
