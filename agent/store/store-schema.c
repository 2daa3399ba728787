/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's schema: the migration steps (STORE.md has the decisions), run by
 * the runner the retailer's ledger uses too (agent/db/sql-migrate.h). Migrations
 * are an ordered array of SQL steps; step k takes
 * user_version k - 1 to k inside its own transaction, so a crash during an
 * upgrade leaves a database at a version this code knows, and the next open
 * continues from there. A fresh file is made by the same steps, so a migrated
 * schema and a fresh one cannot drift apart.
 */
#include "agent/store/store.h"
#include "agent/store/store-int.h"
#include "agent/db/sql-migrate.h"

#include <sqlite3.h>

/* ---- schema ---- */

/*
 * Never edit a step that has shipped: add a new one. A step that rebuilds a
 * table must follow SQLite's twelve-step ALTER TABLE recipe (STORE.md).
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
    /* 1: the core tables: items, calibrations, stock events, orders. */
    "CREATE TABLE items (\n"
    "  id TEXT PRIMARY KEY NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  sku TEXT NOT NULL DEFAULT '',\n"
    "  gtin TEXT NOT NULL DEFAULT '',\n"
    "  channel INTEGER NOT NULL DEFAULT -1\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE calibrations (\n"
    "  item TEXT NOT NULL REFERENCES items (id),\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  zero INTEGER NOT NULL,\n"
    "  span_raw INTEGER NOT NULL CHECK (span_raw <> 0),\n"
    "  span_mg INTEGER NOT NULL CHECK (span_mg > 0)\n"
    ");\n"
    "CREATE INDEX calibrations_item ON calibrations (item, t_ms);\n"
    "CREATE TABLE events (\n"
    "  item TEXT NOT NULL REFERENCES items (id),\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  kind TEXT NOT NULL,\n"
    "  mg INTEGER NOT NULL,\n"
    "  channel INTEGER NOT NULL\n"
    ");\n"
    "CREATE INDEX events_item ON events (item, t_ms);\n"
    "CREATE TABLE orders (\n"
    "  order_id TEXT NOT NULL UNIQUE,\n"
    "  item TEXT NOT NULL REFERENCES items (id),\n"
    "  state TEXT NOT NULL CHECK (state IN ('planned', 'queued', 'published',\n"
    "    'acknowledged', 'fulfilled', 'cancelled', 'rejected', 'expired')),\n"
    "  packs INTEGER NOT NULL CHECK (packs >= 1),\n"
    "  price_cents INTEGER NOT NULL DEFAULT 0 CHECK (price_cents >= 0),\n"
    "  reason TEXT NOT NULL,\n"
    "  created_ms INTEGER NOT NULL,\n"
    "  updated_ms INTEGER NOT NULL,\n"
    "  seq INTEGER UNIQUE CHECK (seq IS NULL OR seq > 0),\n"
    "  message TEXT,\n"
    "  detail TEXT CHECK (detail IS NULL OR json_valid(detail)),\n"
    "  CHECK ((seq IS NULL) = (message IS NULL))\n"
    ");\n"
    "CREATE INDEX orders_item ON orders (item, created_ms);\n"
    "CREATE TABLE order_transitions (\n"
    "  order_id TEXT NOT NULL REFERENCES orders (order_id) ON DELETE CASCADE,\n"
    "  from_state TEXT,\n"
    "  to_state TEXT NOT NULL,\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  note TEXT\n"
    ");\n"
    "CREATE INDEX order_transitions_order ON order_transitions (order_id, t_ms);\n"
    "CREATE TABLE sequence (\n"
    "  device TEXT PRIMARY KEY NOT NULL,\n"
    "  last INTEGER NOT NULL CHECK (last >= 0)\n"
    ");\n"
    "CREATE TRIGGER sequence_grows BEFORE UPDATE ON sequence\n"
    "  WHEN NEW.last <= OLD.last OR NEW.device IS NOT OLD.device\n"
    "BEGIN SELECT RAISE(ABORT, 'sequence numbers only grow'); END;\n"
    "CREATE TRIGGER sequence_kept BEFORE DELETE ON sequence\n"
    "BEGIN SELECT RAISE(ABORT, 'sequence numbers are never forgotten'); END;\n",

    /* 2: aggregated readings and learnt model states. */
    "CREATE TABLE readings (\n"
    "  start_ms INTEGER NOT NULL,\n"
    "  item TEXT NOT NULL REFERENCES items (id),\n"
    "  n INTEGER NOT NULL CHECK (n >= 1),\n"
    "  min_mg INTEGER NOT NULL,\n"
    "  max_mg INTEGER NOT NULL CHECK (max_mg >= min_mg),\n"
    "  mean_mg INTEGER NOT NULL,\n"
    "  uncertainty_mg INTEGER NOT NULL CHECK (uncertainty_mg >= 0),\n"
    "  PRIMARY KEY (start_ms, item)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE model_states (\n"
    "  item TEXT PRIMARY KEY NOT NULL REFERENCES items (id),\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  format INTEGER NOT NULL,\n"
    "  size INTEGER NOT NULL,\n"
    "  state BLOB NOT NULL\n"
    ") WITHOUT ROWID;\n",

    /*
     * 3: the audit log, and indexes by time for retention and history. Events are
     * re-indexed by time alone: new events then touch one index page (the last)
     * instead of one per item, and prune and history read in index order.
     */
    "CREATE TABLE audit (\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  item TEXT,\n"
    "  what TEXT NOT NULL\n"
    ");\n"
    "CREATE INDEX audit_t ON audit (t_ms);\n"
    "DROP INDEX events_item;\n"
    "CREATE INDEX events_t ON events (t_ms);\n"
    "CREATE INDEX orders_state ON orders (state, updated_ms);\n"
    "CREATE INDEX order_transitions_t ON order_transitions (t_ms);\n",
    /* 4: the daemon's latest view of each item (pantryctl status reads it), and
     * small named counters such as how far a replay has been processed. */
    "CREATE TABLE item_views (\n"
    "  item TEXT PRIMARY KEY NOT NULL REFERENCES items (id) ON DELETE CASCADE,\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  stock_mg INTEGER NOT NULL CHECK (stock_mg >= 0),\n"
    "  uncertainty_mg INTEGER NOT NULL CHECK (uncertainty_mg >= 0),\n"
    "  rate_ugpd INTEGER NOT NULL,\n"
    "  sigma_ugpd INTEGER NOT NULL,\n"
    "  runout_s INTEGER,\n"
    "  runout_lo_s INTEGER,\n"
    "  runout_hi_s INTEGER,\n"
    "  lead_s INTEGER NOT NULL,\n"
    "  reorder_point_mg INTEGER NOT NULL,\n"
    "  verdict TEXT NOT NULL,\n"
    "  fault INTEGER NOT NULL CHECK (fault IN (0, 1))\n"
    ");\n"
    "CREATE TABLE meta (\n"
    "  key TEXT PRIMARY KEY NOT NULL,\n"
    "  value INTEGER NOT NULL\n"
    ");\n",
    /*
     * 5: signed cancels wait in an outbox of their own until the retailer answers
     * (an order that left the device and was then cancelled or expired), and a
     * shipped order's ETA. A rowid table: a row holds a ~600-byte JWS.
     */
    "CREATE TABLE cancels (\n"
    "  order_id TEXT NOT NULL UNIQUE REFERENCES orders (order_id) ON DELETE CASCADE,\n"
    "  seq INTEGER NOT NULL UNIQUE CHECK (seq > 0),\n"
    "  message TEXT NOT NULL,\n"
    "  created_ms INTEGER NOT NULL,\n"
    "  published_ms INTEGER,\n"
    "  answered_ms INTEGER,\n"
    "  answer TEXT CHECK (answer IS NULL OR answer IN ('cancelled', 'rejected')),\n"
    "  CHECK ((answered_ms IS NULL) = (answer IS NULL))\n"
    ");\n"
    "ALTER TABLE orders ADD COLUMN eta_ms INTEGER;\n",
    /*
     * 6: what more a stock event says (enum stock_flag in sensors/sensor.h: a
     * slow loss, why a fault began, a load that came or went).
     */
    ("ALTER TABLE events ADD COLUMN flags INTEGER NOT NULL DEFAULT 0 "
     "CHECK (flags BETWEEN 0 AND 255);\n"),
    /*
     * 7: a replay's state that the other tables do not hold (conditioning of
     * every platform, items' timers and open aggregates), as of processed_ms,
     * written in the same transaction, so a killed replay resumes exactly
     * (agent/pipeline/resume.h). One row.
     */
    "CREATE TABLE resume (\n"
    "  id INTEGER PRIMARY KEY CHECK (id = 1),\n"
    "  t_ms INTEGER NOT NULL,\n"
    "  format INTEGER NOT NULL,\n"
    "  state TEXT NOT NULL\n"
    ");\n",
    /*
     * 8: the household's away periods set with pantryctl away (store-away.c),
     * merged with the configured ones for planning. [from_ms, until_ms).
     */
    "CREATE TABLE away (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  from_ms INTEGER NOT NULL CHECK (from_ms >= 0),\n"
    "  until_ms INTEGER NOT NULL CHECK (until_ms > from_ms),\n"
    "  before INTEGER NOT NULL CHECK (before IN (0, 1)),\n"
    "  created_ms INTEGER NOT NULL\n"
    ");\n",
    /*
     * 9: the calls to the household's Grocy (store-grocy.c), one row each, added
     * in the transaction of the stock event (or order) that causes it, sent in
     * id order; state 'sending' is written before the POST (STORE.md, "Grocy").
     */
    "CREATE TABLE grocy_calls (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  item TEXT NOT NULL,\n"
    "  product INTEGER NOT NULL CHECK (product > 0),\n"
    "  op TEXT NOT NULL CHECK (op IN ('consume', 'add', 'inventory', 'shopping')),\n"
    "  amount_mg INTEGER NOT NULL CHECK (amount_mg >= 0),\n"
    "  stock_mg INTEGER NOT NULL CHECK (stock_mg >= 0),\n"
    "  unit_mg INTEGER NOT NULL CHECK (unit_mg > 0),\n"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'done', 'failed')),\n"
    "  tries INTEGER NOT NULL DEFAULT 0,\n"
    "  next_ms INTEGER NOT NULL DEFAULT 0,\n"
    "  created_ms INTEGER NOT NULL,\n"
    "  updated_ms INTEGER NOT NULL,\n"
    "  detail TEXT NOT NULL DEFAULT ''\n"
    ");\n"
    "CREATE INDEX grocy_calls_state ON grocy_calls (state, id);\n",
};

const char *
store_migration_sql(int version)
{
    if (version < 1 || version > STORE_SCHEMA_VERSION)
        return NULL;
    return migrations[version - 1];
}

/* Apply the steps after the file's version, each in its own transaction. */
int
store_migrate_(struct store *db)
{
    return sql_migrate(store_sql_(db), migrations, STORE_SCHEMA_VERSION, "pantry-agent",
                       db->err, sizeof(db->err));
}

int
store_schema_version(struct store *db)
{
    int64_t v;
    int e = store_query_int_(db, "PRAGMA user_version", &v);
    return e < 0 ? e : (int)v;
}
