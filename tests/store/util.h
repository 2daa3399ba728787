/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers shared by the store's tests and benchmark: a scratch directory under
 * the build directory, raw SQL on a store file (to build old versions, read what
 * the API does not show, or break things), and a message builder for
 * store_order_queue().
 */
#ifndef PANTRY_TESTS_STORE_UTIL_H
#define PANTRY_TESTS_STORE_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

/*
 * A fresh directory "<base>/<name>-XXXXXX" (base: argv[1], or "." when absent);
 * its path in dir[cap]. Exits the test with status 1 when it cannot be made.
 */
void su_mkdtemp(const char *base, const char *name, char *dir, size_t cap);

/* Remove dir and the files in it (not recursive). */
void su_rmdir(const char *dir);

/* "<dir>/<file>" into a static buffer of the given slot (0..3). */
const char *su_path(int slot, const char *dir, const char *file);

/* A raw connection to path (read-write, no create); aborts on failure. */
sqlite3 *su_raw(const char *path);

/* Execute sql on raw; returns the SQLite result code, errors to stderr. */
int su_exec(sqlite3 *raw, const char *sql);

/* First column of the first row of sql as an integer (INT64_MIN: none, error). */
int64_t su_int(sqlite3 *raw, const char *sql);

/* First column of the first row as text into buf (""; returns -1 on error). */
int su_text(sqlite3 *raw, const char *sql, char *buf, size_t cap);

/* The schema as text: every sqlite_master row, sorted; malloc()ed. */
char *su_schema(sqlite3 *raw);

/* store_build_fn: "msg-<seq>-<ctx string>" (ctx may be NULL). */
int su_build(int64_t seq, void *ctx, char **message);

/* store_build_fn that fails with -EPIPE without a message. */
int su_build_fail(int64_t seq, void *ctx, char **message);

#endif
