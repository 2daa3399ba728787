/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the store's other files (store-away.c) need of store.c's handle and
 * nobody else may use: the SQLite connection, the one translation of SQLite
 * result codes, and whether the store was opened read-only. Not part of the
 * store's API (store.h).
 */
#ifndef PANTRY_AGENT_STORE_INT_H
#define PANTRY_AGENT_STORE_INT_H

#include <sqlite3.h>
#include <stdbool.h>

#include "store.h"

/* The connection of db (never NULL for an open store). */
sqlite3 *store_sql_(struct store *db);

/* rc (a SQLite result code) as a negative errno, its message kept for
 * store_errmsg(). */
int store_fail_(struct store *db, int rc);

/* Prepare sql (not cached: for the store's side files); NULL with the
 * negative errno of store_fail_() in *e. */
sqlite3_stmt *store_prepare_(struct store *db, const char *sql, int *e);

/* Whether db was opened with STORE_RDONLY. */
bool store_rdonly_(const struct store *db);

#endif
