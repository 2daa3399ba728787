/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What --db names (state_db_is_pg), against the rule the man page states, and
 * the name logs give a connection string (state_db_name): its database, host,
 * port and user, never its password, and nothing of a string libpq cannot
 * parse. The expected values are written out by hand from the man page.
 */
#include <stdio.h>
#include <string.h>

#include "tests/harness.h"
#include "retailer/retailer-state.h"

static void
test_is_pg(void)
{
    static const char *const pg[] = {
        "postgresql://db.example/pantry",
        "postgres://u@h/x",
        "host=db.example dbname=pantry",
        "dbname=pantry",
        "  service = pantry",
        "user=retailer host=/run/postgresql",
        "sslmode=verify-full host=h",
        "password=x host=h",
    };
    static const char *const file[] = {
        "pantry-retailer.db",
        "/var/lib/pantry/state.db",
        "./host=x",
        "hostile=1.db",
        "Host=x",
        "postgresql:/x",
        "=x",
        "",
        "host",
        "data/host=x",
        "postgresql.db",
    };

    for (size_t i = 0; i < sizeof(pg) / sizeof(pg[0]); i++)
        CHECK_MSG(state_db_is_pg(pg[i]), "'%s' names PostgreSQL", pg[i]);
    for (size_t i = 0; i < sizeof(file) / sizeof(file[0]); i++)
        CHECK_MSG(!state_db_is_pg(file[i]), "'%s' names a file", file[i]);
}

static void
test_name(void)
{
    char buf[200];

    state_db_name("orders.db", buf, sizeof(buf));
    CHECK_MSG(strcmp(buf, "orders.db") == 0, "a file as it is: %s", buf);
#ifdef RETAILER_HAVE_LIBPQ
    state_db_name("host=db.example port=5433 dbname=pantry user=r password=s3cret", buf,
                  sizeof(buf));
    CHECK_MSG(strcmp(buf, "postgresql database pantry on db.example port 5433 as r") ==
                  0,
              "key=value: %s", buf);
    state_db_name("postgresql://r:s3cret@db.example/pantry", buf, sizeof(buf));
    CHECK_MSG(strcmp(buf, "postgresql database pantry on db.example as r") == 0,
              "a URI: %s", buf);
#endif
    state_db_name("host=x password=s3cret 'unended", buf, sizeof(buf));
    CHECK_MSG(strstr(buf, "s3cret") == NULL && strstr(buf, "postgresql") == buf,
              "an unparsable string: %s", buf);
    state_db_name("dbname=pantry", buf, 12);
    CHECK_MSG(strlen(buf) == 11, "truncated to the buffer: %s", buf);
}

int
main(void)
{
    RUN(test_is_pg);
    RUN(test_name);
    return th_done();
}
