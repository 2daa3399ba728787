/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What --db names: a SQLite file or a PostgreSQL connection string, decided
 * by the text alone (the rule is the man page's), and how it may be shown in
 * logs: a connection string may hold a password, so it is never printed as
 * given, only its host, port, database and user.
 */
#include "retailer/retailer-state.h"

#include <stdio.h>
#include <string.h>

#ifdef RETAILER_HAVE_LIBPQ
#include <libpq-fe.h>
#endif

/* The libpq parameters a key=value string may start with (libpq's docs,
 * "Parameter Key Words"; the common ones). */
static const char *const pg_keywords[] = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "service",
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "options",
    "channel_binding",
    "application_name",
    "connect_timeout",
    "target_session_attrs",
    "gssencmode",
};

bool
state_db_is_pg(const char *db)
{
    size_t n;

    if (strncmp(db, "postgresql://", 13) == 0 || strncmp(db, "postgres://", 11) == 0)
        return true;
    db += strspn(db, " \t");
    n = strspn(db, "abcdefghijklmnopqrstuvwxyz_");
    if (n == 0 || db[n + strspn(db + n, " \t")] != '=')
        return false;
    for (size_t i = 0; i < sizeof(pg_keywords) / sizeof(pg_keywords[0]); i++)
        if (strlen(pg_keywords[i]) == n && strncmp(db, pg_keywords[i], n) == 0)
            return true;
    return false;
}

void
state_db_name(const char *db, char *buf, size_t len)
{
    if (!state_db_is_pg(db)) {
        snprintf(buf, len, "%s", db);
        return;
    }
#ifdef RETAILER_HAVE_LIBPQ
    char *msg = NULL;
    PQconninfoOption *opts = PQconninfoParse(db, &msg);
    const char *host = NULL, *port = NULL, *dbname = NULL, *user = NULL;

    PQfreemem(msg);
    if (opts != NULL) {
        for (PQconninfoOption *o = opts; o->keyword != NULL; o++) {
            if (o->val == NULL || o->val[0] == '\0')
                continue;
            if (strcmp(o->keyword, "host") == 0)
                host = o->val;
            else if (strcmp(o->keyword, "port") == 0)
                port = o->val;
            else if (strcmp(o->keyword, "dbname") == 0)
                dbname = o->val;
            else if (strcmp(o->keyword, "user") == 0)
                user = o->val;
        }
        snprintf(buf, len, "postgresql database %s on %s%s%s%s%s",
                 dbname ? dbname : "(default)", host ? host : "(default host)",
                 port ? " port " : "", port ? port : "", user ? " as " : "",
                 user ? user : "");
        PQconninfoFree(opts);
        return;
    }
#endif
    snprintf(buf, len, "postgresql database (connection string not shown)");
}
