/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One runner of append-only schema steps for every SQLite file the project
 * keeps: the agent's store (agent/store/store-schema.c) and the retailer's ledger
 * (retailer/retailer-state.c). A file's PRAGMA user_version is the number of
 * steps it has; steps[k] takes it from version k to k + 1. Each step and its new
 * version commit in one IMMEDIATE transaction, so processes that open the file
 * together serialise, and a crash or a failed step leaves it at the last version
 * it reached, from which the next open continues.
 *
 * Needs only SQLite and the C library, so that both programs can link it.
 */
#ifndef PANTRY_DB_SQL_MIGRATE_H
#define PANTRY_DB_SQL_MIGRATE_H

#include <stddef.h>

#include <sqlite3.h>

/*
 * The SQLite result code rc as a negative errno; 0 for SQLITE_OK, _ROW and
 * _DONE. sys_errno (sqlite3_system_errno) names why a file could not be opened.
 */
int sql_errno(int rc, int sys_errno);

/*
 * Bring db up to version n by steps[version .. n - 1]. 0; or a negative errno,
 * with why in err: -EPROTO for a file of a newer version than n, which program
 * (its name, for the message) cannot read, or of a negative one; the errno of
 * the statement that failed otherwise.
 */
int sql_migrate(sqlite3 *db, const char *const *steps, int n, const char *program,
                char *err, size_t errlen);

#endif
