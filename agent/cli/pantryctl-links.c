/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl status: the links as the running daemon reports them, the one to
 * the retailer's broker and the one to the household's own (home = { ... }):
 * connected or not and since when, the last error with its time, each value
 * checked before anything is printed (a bad one is named by its key).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cJSON.h>

#include "agent/cli/pantryctl.h"

/* A time of the daemon's link object: 1 with *ms, 0 null or absent, -1 bad. */
static int
link_time(const cJSON *o, const char *key, int64_t *ms)
{
    const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, key);

    if (j == NULL || cJSON_IsNull(j))
        return 0;
    return pctl_json_num(o, key, 1, ms) == 1 && *ms > 0 ? 1 : -1;
}

/* A link's "last_error": null, or {message: text, t_ms: a time}. */
static bool
last_error_ok(const cJSON *err)
{
    int64_t t;

    return cJSON_IsNull(err) ||
           (cJSON_IsObject(err) &&
            cJSON_IsString(cJSON_GetObjectItemCaseSensitive(err, "message")) &&
            link_time(err, "t_ms", &t) == 1);
}

/* A link's checked "last_error", under its line (nothing when null). */
static void
print_last_error(const cJSON *err)
{
    int64_t t = 0;
    char a[32];

    if (cJSON_IsNull(err))
        return;
    link_time(err, "t_ms", &t);
    printf("          last error: ");
    put_clean(stdout, cJSON_GetObjectItemCaseSensitive(err, "message")->valuestring);
    printf(" at %s\n", fmt_time(t, a, 32));
}

/*
 * The daemon's "link" (null: no broker configured) checked, and when print,
 * printed for people (root NULL) or copied into root. 0, or -EPROTO naming the
 * bad key in *bad (nothing printed).
 */
int
show_link(const cJSON *link, bool print, cJSON *root, const char **bad)
{
    const cJSON *conn, *ans, *err, *st, *ord;
    int64_t since = 0, outbox = -1, t = 0;
    char a[32];
    int k;

    if (cJSON_IsNull(link)) {
        if (!print)
            return 0;
        if (root != NULL)
            cJSON_AddNullToObject(root, "link");
        else
            printf("link      no broker configured: orders wait in the outbox\n");
        return 0;
    }
    conn = cJSON_GetObjectItemCaseSensitive(link, "connected");
    ans = cJSON_GetObjectItemCaseSensitive(link, "last_answer");
    err = cJSON_GetObjectItemCaseSensitive(link, "last_error");
    if (!cJSON_IsBool(conn))
        return *bad = "link.connected", -EPROTO;
    if ((k = link_time(link, "since_ms", &since)) < 0)
        return *bad = "link.since_ms", -EPROTO;
    if (pctl_json_num(link, "outbox", 1, &outbox) < 0 || outbox < -1)
        return *bad = "link.outbox", -EPROTO;
    if (!cJSON_IsNull(ans)) {
        st = cJSON_GetObjectItemCaseSensitive(ans, "status");
        ord = cJSON_GetObjectItemCaseSensitive(ans, "order");
        if (!cJSON_IsObject(ans) || !cJSON_IsString(st) || !cJSON_IsString(ord) ||
            link_time(ans, "t_ms", &t) != 1)
            return *bad = "link.last_answer", -EPROTO;
    }
    if (!last_error_ok(err))
        return *bad = "link.last_error", -EPROTO;
    if (!print)
        return 0;
    if (root != NULL) {
        cJSON_AddItemToObject(root, "link", cJSON_Duplicate(link, true));
        return 0;
    }
    printf("link      %s", cJSON_IsTrue(conn) ? "connected" : "not connected");
    if (k == 1)
        printf(" since %s", fmt_time(since, a, 32));
    if (outbox >= 0)
        printf("; %" PRId64 " message%s in the outbox", outbox, outbox == 1 ? "" : "s");
    printf("\n");
    if (!cJSON_IsNull(ans)) {
        link_time(ans, "t_ms", &t);
        printf("          last answer: ");
        put_clean(stdout, cJSON_GetObjectItemCaseSensitive(ans, "status")->valuestring);
        printf(" for ");
        put_clean(stdout, cJSON_GetObjectItemCaseSensitive(ans, "order")->valuestring);
        printf(" at %s\n", fmt_time(t, a, 32));
    } else {
        printf("          last answer: none yet\n");
    }
    print_last_error(err);
    return 0;
}

/*
 * The daemon's "home" (null: no home broker configured; absent: a daemon that
 * does not tell) checked, and when print, printed for people (root NULL, with
 * the blank line that ends the links' block) or copied into root. 0, or
 * -EPROTO naming the bad key in *bad (nothing printed). Its url is the
 * configured scheme://host[:port], which holds no credentials.
 */
int
show_home(const cJSON *home, bool print, cJSON *root, const char **bad)
{
    const cJSON *conn, *url, *err;
    int64_t since = 0;
    char a[32];
    int k;

    if (home == NULL || cJSON_IsNull(home)) {
        if (!print)
            return 0;
        if (root != NULL)
            cJSON_AddNullToObject(root, "home");
        else if (home != NULL)
            printf("home      not configured\n\n");
        else
            printf("\n");
        return 0;
    }
    conn = cJSON_GetObjectItemCaseSensitive(home, "connected");
    url = cJSON_GetObjectItemCaseSensitive(home, "url");
    err = cJSON_GetObjectItemCaseSensitive(home, "last_error");
    if (!cJSON_IsObject(home))
        return *bad = "home", -EPROTO;
    if (!cJSON_IsBool(conn))
        return *bad = "home.connected", -EPROTO;
    if (!cJSON_IsString(url))
        return *bad = "home.url", -EPROTO;
    if ((k = link_time(home, "since_ms", &since)) < 0)
        return *bad = "home.since_ms", -EPROTO;
    if (!last_error_ok(err))
        return *bad = "home.last_error", -EPROTO;
    if (!print)
        return 0;
    if (root != NULL) {
        cJSON_AddItemToObject(root, "home", cJSON_Duplicate(home, true));
        return 0;
    }
    printf("home      %s to ", cJSON_IsTrue(conn) ? "connected" : "not connected");
    put_clean(stdout, url->valuestring);
    if (k == 1)
        printf(" since %s", fmt_time(since, a, 32));
    printf("\n");
    print_last_error(err);
    printf("\n");
    return 0;
}
