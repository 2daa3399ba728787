/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's ledger on a PostgreSQL server (libpq), for listeners on many
 * machines sharing one database: the functions of retailer-state.h, to which retailer-state.c
 * hands a state opened with a connection string (state_db_is_pg). The same
 * tables and migrations as the SQLite file, the version in a schema_version
 * table; each message judged in one transaction that locks the device's row
 * first (an INSERT ... ON CONFLICT DO UPDATE), with the unique key (device,
 * kind, order_id) behind it. Serialization failures, deadlocks, a unique-key
 * race and a lost connection (the server restarted) are retried, reconnecting,
 * for up to STATE_BUSY_TIMEOUT_MS; then -EBUSY, and nothing is recorded.
 */
#ifndef PANTRY_RETAILER_STATE_PG_H
#define PANTRY_RETAILER_STATE_PG_H

#include "retailer/retailer-state.h"

struct state_pg;

/*
 * Connect to conninfo (a libpq URI or key=value string) and create or migrate
 * the schema; with existing, a database without the schema is refused
 * (-ENOENT). Returns 0 with *out, or -EPROTO (a newer schema version), -EIO,
 * -ENOMEM, with a message in err that never holds the password.
 */
int state_pg_open(const char *conninfo, bool existing, struct state_pg **out, char *err,
                  size_t errlen);
void state_pg_close(struct state_pg *p);
const char *state_pg_error(const struct state_pg *p);

int state_pg_judge(struct state_pg *p, struct check_result *res, const char *token,
                   int64_t now_s, const char *listener, state_acks_fn *make_acks,
                   void *arg, char **acks, int *same, int *pending);
int state_pg_handed_off(struct state_pg *p, enum payload_kind kind, const char *device,
                        const char *order_id, int64_t now_s);
int state_pg_accepted_each(struct state_pg *p, const struct state_filter *f,
                           state_order_fn *fn, void *arg);
int state_pg_pending_others(struct state_pg *p, const char *listener, long *n);
int state_pg_pin_get(struct state_pg *p, const char *device, uint8_t pk[KEYS_PK_BYTES]);
int state_pg_pin_put(struct state_pg *p, const char *device,
                     const uint8_t pk[KEYS_PK_BYTES], int64_t now_s);

int state_pg_refuse(struct state_pg *p, enum payload_kind kind, const char *device,
                    const char *order_id, const char *detail,
                    state_refuse_acks_fn *make_acks, void *arg, char **acks);
int state_pg_pending_first(struct state_pg *p, const char *listener, state_order_fn *fn,
                           void *arg);

/* state_query and state_tx (retailer-state.h): body(arg) runs in the transaction. */
int state_pg_query(struct state_pg *p, const char *sql, int n, const char *const *v,
                   state_row_fn *fn, void *arg);
int state_pg_tx(struct state_pg *p, int (*body)(void *arg), void *arg);

#endif
