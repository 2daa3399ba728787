/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Helpers of the store's tests (see util.h).
 */
#include "tests/store/util.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void
su_mkdtemp(const char *base, const char *name, char *dir, size_t cap)
{
    snprintf(dir, cap, "%s/%s-XXXXXX", base != NULL ? base : ".", name);
    if (mkdtemp(dir) == NULL) {
        fprintf(stderr, "mkdtemp %s: %s\n", dir, strerror(errno));
        exit(1);
    }
}

void
su_rmdir(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        char p[4096];
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
        unlink(p);
    }
    closedir(d);
    rmdir(dir);
}

const char *
su_path(int slot, const char *dir, const char *file)
{
    static char paths[4][4096];
    snprintf(paths[slot & 3], sizeof(paths[0]), "%s/%s", dir, file);
    return paths[slot & 3];
}

sqlite3 *
su_raw(const char *path)
{
    sqlite3 *raw = NULL;
    if (sqlite3_open_v2(path, &raw, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw open %s: %s\n", path, sqlite3_errmsg(raw));
        abort();
    }
    sqlite3_exec(raw, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    return raw;
}

int
su_exec(sqlite3 *raw, const char *sql)
{
    char *msg = NULL;
    int rc = sqlite3_exec(raw, sql, NULL, NULL, &msg);
    if (rc != SQLITE_OK)
        fprintf(stderr, "# sql (%d) %s: %s\n", rc, msg != NULL ? msg : "?", sql);
    sqlite3_free(msg);
    return rc;
}

int64_t
su_int(sqlite3 *raw, const char *sql)
{
    sqlite3_stmt *st = NULL;
    int64_t v = INT64_MIN;
    if (sqlite3_prepare_v2(raw, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    else if (sqlite3_errcode(raw) != SQLITE_OK && sqlite3_errcode(raw) != SQLITE_ROW &&
             sqlite3_errcode(raw) != SQLITE_DONE)
        fprintf(stderr, "# sql: %s: %s\n", sqlite3_errmsg(raw), sql);
    sqlite3_finalize(st);
    return v;
}

int
su_text(sqlite3 *raw, const char *sql, char *buf, size_t cap)
{
    sqlite3_stmt *st = NULL;
    int r = -1;
    buf[0] = '\0';
    if (sqlite3_prepare_v2(raw, sql, -1, &st, NULL) == SQLITE_OK) {
        int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char *t = sqlite3_column_text(st, 0);
            snprintf(buf, cap, "%s", t != NULL ? (const char *)t : "");
            r = 0;
        } else if (rc == SQLITE_DONE) {
            r = 0;
        }
    }
    sqlite3_finalize(st);
    return r;
}

char *
su_schema(sqlite3 *raw)
{
    sqlite3_stmt *st = NULL;
    size_t len = 0, cap = 4096;
    char *out = malloc(cap);
    out[0] = '\0';
    if (sqlite3_prepare_v2(raw,
                           "SELECT type, name, tbl_name, coalesce(sql, '') "
                           "FROM sqlite_master ORDER BY type, name",
                           -1, &st, NULL) != SQLITE_OK)
        return out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char row[8192];
        int n = snprintf(row, sizeof(row), "%s|%s|%s|%s\n",
                         (const char *)sqlite3_column_text(st, 0),
                         (const char *)sqlite3_column_text(st, 1),
                         (const char *)sqlite3_column_text(st, 2),
                         (const char *)sqlite3_column_text(st, 3));
        if (n < 0)
            continue;
        while (len + (size_t)n + 1 > cap)
            out = realloc(out, cap *= 2);
        memcpy(out + len, row, (size_t)n + 1);
        len += (size_t)n;
    }
    sqlite3_finalize(st);
    return out;
}

int
su_build(int64_t seq, void *ctx, char **message)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "msg-%lld-%s", (long long)seq,
             ctx != NULL ? (const char *)ctx : "");
    *message = strdup(buf);
    return *message != NULL ? 0 : -ENOMEM;
}

int
su_build_fail(int64_t seq, void *ctx, char **message)
{
    (void)seq;
    (void)ctx;
    *message = NULL;
    return -EPIPE;
}
