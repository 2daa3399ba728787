/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the store (agent/store/store.h) on real SQLite files in a scratch directory
 * under the build directory: every function, the error paths the API promises,
 * and migrations from every earlier schema version, each built by applying only
 * the first k steps to a raw file with rows in it. Expected values are written
 * out by hand or read back with raw SQL, never through the function under test.
 */
#include "tests/harness.h"
#include "tests/store/util.h"

#include "sensors/cond/cond.h"
#include "models/forecast.h"
#include "models/lead.h"
#include "agent/store/store.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DAY_MS (INT64_C(86400) * 1000)
#define T0 INT64_C(1790000000000) /* 2026-09-21, any fixed time */

static char dir[4096];
static int file_no;

/* A new file name in the scratch directory. */
static const char *
fresh(void)
{
    char name[32];
    snprintf(name, sizeof(name), "t%d.db", file_no++);
    return su_path(0, dir, name);
}

static struct store *
open_new(char *path, size_t cap)
{
    struct store *db = NULL;
    char err[256];
    snprintf(path, cap, "%s", fresh());
    int e = store_open(path, 0, &db, err, sizeof(err));
    CHECK_MSG(e == 0, "store_open %s: %d %s", path, e, err);
    return db;
}

static void
item(struct store *db, const char *id, int channel)
{
    struct store_item it = {.channel = channel};
    snprintf(it.id, sizeof(it.id), "%s", id);
    snprintf(it.name, sizeof(it.name), "Name of %s", id);
    CHECK_EQ_I64(store_item_put(db, &it), 0);
}

static struct store_order
order(const char *id, const char *item_id, int packs, int64_t price)
{
    struct store_order o;
    memset(&o, 0, sizeof(o));
    snprintf(o.order_id, sizeof(o.order_id), "%s", id);
    snprintf(o.item, sizeof(o.item), "%s", item_id);
    snprintf(o.reason, sizeof(o.reason), "predicted");
    o.packs = packs;
    o.price_cents = price;
    return o;
}

/* ---- open, flags, refusals ---- */

static void
test_open(void)
{
    char path[4096], err[256];
    struct store *db = open_new(path, sizeof(path)), *ro = NULL;
    struct stat sb;

    CHECK(db != NULL);
    CHECK_EQ_I64(stat(path, &sb), 0);
    CHECK_EQ_U64(sb.st_mode & 0777, 0640);
    CHECK_EQ_I64(store_schema_version(db), STORE_SCHEMA_VERSION);
    CHECK_EQ_I64(strcmp(store_errmsg(db), ""), 0);
    item(db, "flour", 0);
    store_close(db);

    sqlite3 *raw = su_raw(path);
    char mode[16];
    su_text(raw, "PRAGMA journal_mode", mode, sizeof(mode));
    CHECK_EQ_I64(strcmp(mode, "wal"), 0);
    CHECK_EQ_I64(su_int(raw, "PRAGMA user_version"), STORE_SCHEMA_VERSION);
    CHECK_EQ_I64(su_int(raw, "PRAGMA page_size"), 1024); /* see STORE.md */
    sqlite3_close(raw);

    /* Read-only: reads work, writes are refused, nothing is migrated. */
    CHECK_EQ_I64(store_open(path, STORE_RDONLY, &ro, err, sizeof(err)), 0);
    struct store_item it;
    CHECK_EQ_I64(store_item_get(ro, "flour", &it), 0);
    CHECK_EQ_I64(strcmp(it.name, "Name of flour"), 0);
    CHECK_EQ_I64(store_item_put(ro, &it), -EROFS);
    CHECK(strlen(store_errmsg(ro)) > 0);
    store_close(ro);

    /* A read-only open of a missing file does not create it. */
    const char *missing = su_path(1, dir, "missing.db");
    ro = (struct store *)&it; /* must be reset to NULL */
    CHECK_EQ_I64(store_open(missing, STORE_RDONLY, &ro, err, sizeof(err)), -ENOENT);
    CHECK(ro == NULL);
    CHECK(strstr(err, missing) != NULL);
    CHECK(access(missing, F_OK) != 0);

    CHECK_EQ_I64(store_open(path, 0x80, &ro, err, sizeof(err)), -EINVAL);
    CHECK_EQ_I64(store_open(NULL, 0, &ro, err, sizeof(err)), -EINVAL);
    store_close(NULL);
    CHECK(strlen(store_errmsg(NULL)) > 0);
}

static void
test_refuse_newer(void)
{
    char path[4096], err[256];
    struct store *db = open_new(path, sizeof(path));
    store_close(db);
    sqlite3 *raw = su_raw(path);
    char newer[64];
    snprintf(newer, sizeof(newer), "PRAGMA user_version = %d",
             STORE_SCHEMA_VERSION + 1);
    su_exec(raw, newer);
    sqlite3_close(raw);

    db = NULL;
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), -EPROTO);
    CHECK(db == NULL);
    CHECK_MSG(strstr(err, "newer") != NULL && strstr(err, path) != NULL, "%s", err);
    CHECK_EQ_I64(store_open(path, STORE_RDONLY, &db, err, sizeof(err)), -EPROTO);
    CHECK_MSG(strstr(err, "newer") != NULL, "%s", err);

    /* Nothing was touched: still the newer version. */
    raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "PRAGMA user_version"), STORE_SCHEMA_VERSION + 1);
    sqlite3_close(raw);

    /* Read-only refuses an older schema instead of migrating it. */
    const char *old = su_path(1, dir, "old.db");
    raw = NULL;
    CHECK_EQ_I64(sqlite3_open(old, &raw), SQLITE_OK);
    su_exec(raw, store_migration_sql(1));
    su_exec(raw, "PRAGMA user_version = 1");
    sqlite3_close(raw);
    CHECK_EQ_I64(store_open(old, STORE_RDONLY, &db, err, sizeof(err)), -EPROTO);
    CHECK_MSG(strstr(err, "migrate") != NULL, "%s", err);
    raw = su_raw(old);
    CHECK_EQ_I64(su_int(raw, "PRAGMA user_version"), 1);
    sqlite3_close(raw);
    CHECK(store_migration_sql(0) == NULL);
    CHECK(store_migration_sql(STORE_SCHEMA_VERSION + 1) == NULL);
}

static void
test_not_a_database(void)
{
    char err[256];
    struct store *db = NULL;
    const char *path = fresh();
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 512; i++)
        fputs("this is not SQLite ", f);
    fclose(f);
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), -EIO);
    CHECK(db == NULL);
    CHECK_MSG(strstr(err, "not a") != NULL, "%s", err);
    CHECK_EQ_I64(store_open(path, STORE_RDONLY, &db, err, sizeof(err)), -EIO);
}

/* quick_check at open finds a damaged index page. */
static void
test_corrupt(void)
{
    char path[4096], err[256];
    struct store *db = open_new(path, sizeof(path));
    item(db, "rice", 1);
    CHECK_EQ_I64(store_begin(db), 0);
    for (int i = 0; i < 2000; i++) {
        struct stock_event ev = {.t_ms = T0 + i, .mg = 1000 + i, .kind = STOCK_CONSUME};
        CHECK_EQ_I64(store_event_add(db, "rice", &ev), 0);
    }
    CHECK_EQ_I64(store_commit(db), 0);
    CHECK_EQ_I64(store_checkpoint(db), 0);
    store_close(db);

    /* Find the root page of the events index and scribble over its header. */
    sqlite3 *raw = su_raw(path);
    int64_t page = su_int(raw, "SELECT rootpage FROM sqlite_master "
                               "WHERE name = 'events_t'");
    int64_t size = su_int(raw, "PRAGMA page_size");
    sqlite3_close(raw);
    CHECK(page > 1);
    FILE *f = fopen(path, "r+b");
    fseek(f, (long)((page - 1) * size), SEEK_SET);
    for (int i = 0; i < 12; i++)
        fputc(0x5a, f);
    fclose(f);

    db = NULL;
    int e = store_open(path, 0, &db, err, sizeof(err));
    CHECK_EQ_I64(e, -EIO);
    CHECK(db == NULL);
    CHECK_MSG(strstr(err, path) != NULL, "%s", err);
    printf("# corrupt file: %s\n", err);
}

/* ---- items, calibrations ---- */

static int
count_items(const struct store_item *it, void *ctx)
{
    char *seen = ctx;
    strcat(seen, it->id);
    strcat(seen, ",");
    return 0;
}

static void
test_items(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    struct store_item it = {.id = "oats",
                            .name = "Oats",
                            .sku = "SKU-1",
                            .gtin = "4006381333931",
                            .channel = 2};
    CHECK_EQ_I64(store_item_put(db, &it), 0);
    item(db, "coffee", 0);
    struct store_item got;
    CHECK_EQ_I64(store_item_get(db, "oats", &got), 0);
    CHECK_EQ_I64(strcmp(got.sku, "SKU-1"), 0);
    CHECK_EQ_I64(strcmp(got.gtin, "4006381333931"), 0);
    CHECK_EQ_I64(got.channel, 2);

    /* Update by id. */
    snprintf(it.name, sizeof(it.name), "Rolled oats");
    it.channel = -1;
    CHECK_EQ_I64(store_item_put(db, &it), 0);
    CHECK_EQ_I64(store_item_get(db, "oats", &got), 0);
    CHECK_EQ_I64(strcmp(got.name, "Rolled oats"), 0);
    CHECK_EQ_I64(got.channel, -1);

    char seen[256] = "";
    CHECK_EQ_I64(store_items(db, count_items, seen), 0);
    CHECK_MSG(strcmp(seen, "coffee,oats,") == 0, "%s", seen);

    CHECK_EQ_I64(store_item_get(db, "tea", &got), -ENOENT);
    CHECK(strstr(store_errmsg(db), "tea") != NULL);
    CHECK_EQ_I64(store_item_get(db, "", &got), -EINVAL);
    struct store_item bad = {.id = ""};
    CHECK_EQ_I64(store_item_put(db, &bad), -EINVAL);
    memset(bad.id, 'x', sizeof(bad.id)); /* no NUL */
    CHECK_EQ_I64(store_item_put(db, &bad), -EINVAL);
    snprintf(bad.id, sizeof(bad.id), "ok");
    memset(bad.name, 'n', sizeof(bad.name));
    CHECK_EQ_I64(store_item_put(db, &bad), -EINVAL);
    store_close(db);
}

static void
test_calibrations(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "sugar", 3);
    struct cond_cal c1 = {.raw_zero = -1200, .span_raw = 84000, .span_mg = 1000000};
    struct cond_cal c2 = {.raw_zero = 900, .span_raw = -42000, .span_mg = 500000};
    struct cond_cal c3 = {.raw_zero = 7, .span_raw = 1, .span_mg = 1};
    struct cond_cal got;
    int64_t t = 0;

    CHECK_EQ_I64(store_cal_latest(db, "sugar", &got, &t), -ENOENT);
    CHECK_EQ_I64(store_cal_add(db, "sugar", T0, &c1), 0);
    CHECK_EQ_I64(store_cal_add(db, "sugar", T0 + 5000, &c2), 0);
    CHECK_EQ_I64(store_cal_add(db, "sugar", T0 + 1000, &c3), 0); /* older time */
    CHECK_EQ_I64(store_cal_latest(db, "sugar", &got, &t), 0);
    CHECK_EQ_I64(got.raw_zero, 900);
    CHECK_EQ_I64(got.span_raw, -42000);
    CHECK_EQ_I64(got.span_mg, 500000);
    CHECK_EQ_I64(t, T0 + 5000);
    /* Same time: the later write wins. */
    CHECK_EQ_I64(store_cal_add(db, "sugar", T0 + 5000, &c3), 0);
    CHECK_EQ_I64(store_cal_latest(db, "sugar", &got, NULL), 0);
    CHECK_EQ_I64(got.raw_zero, 7);

    CHECK_EQ_I64(store_cal_add(db, "salt", T0, &c1), -ENOENT);
    struct cond_cal bad = {.raw_zero = 0, .span_raw = 0, .span_mg = 1000};
    CHECK_EQ_I64(store_cal_add(db, "sugar", T0, &bad), -EINVAL);
    bad.span_raw = 10;
    bad.span_mg = 0;
    CHECK_EQ_I64(store_cal_add(db, "sugar", T0, &bad), -EINVAL);
    store_close(db);
}

/* ---- events and readings ---- */

struct ev_list {
    int n;
    struct stock_event ev[64];
    char items[64][16];
    int stop_at;
};

static int
collect_events(const struct store_event *e, void *ctx)
{
    struct ev_list *l = ctx;
    if (l->n < 64) {
        l->ev[l->n] = e->ev;
        snprintf(l->items[l->n], sizeof(l->items[0]), "%s", e->item);
    }
    l->n++;
    return l->stop_at > 0 && l->n == l->stop_at ? 42 : 0;
}

static void
test_events(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "milk", 0);
    item(db, "tea", 1);
    for (int k = 0; k <= STOCK_FAULT_END; k++) {
        struct stock_event ev = {.t_ms = T0 + k * 1000,
                                 .mg = -5000 + k * 1111,
                                 .channel = (uint16_t)(k % 2),
                                 .kind = (uint8_t)k};
        CHECK_EQ_I64(store_event_add(db, k % 2 ? "tea" : "milk", &ev), 0);
    }
    struct ev_list l = {0};
    CHECK_EQ_I64(store_events(db, NULL, T0, T0 + 8000, collect_events, &l), 0);
    CHECK_EQ_I64(l.n, 8);
    for (int k = 0; k < 8 && k < l.n; k++) {
        CHECK_EQ_I64(l.ev[k].t_ms, T0 + k * 1000);
        CHECK_EQ_I64(l.ev[k].kind, k);
        CHECK_EQ_I64(l.ev[k].mg, -5000 + k * 1111);
        CHECK_EQ_I64(l.ev[k].channel, k % 2);
        CHECK_EQ_I64(strcmp(l.items[k], k % 2 ? "tea" : "milk"), 0);
    }
    /* Half-open range, one item. */
    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_events(db, "tea", T0 + 1000, T0 + 5000, collect_events, &l), 0);
    CHECK_EQ_I64(l.n, 2);
    CHECK_EQ_I64(l.ev[0].t_ms, T0 + 1000);
    CHECK_EQ_I64(l.ev[1].t_ms, T0 + 3000);
    /* A callback's non-zero return stops the listing and is returned. */
    memset(&l, 0, sizeof(l));
    l.stop_at = 3;
    CHECK_EQ_I64(store_events(db, NULL, T0, T0 + 8000, collect_events, &l), 42);
    CHECK_EQ_I64(l.n, 3);

    struct stock_event bad = {.t_ms = T0, .kind = 99};
    CHECK_EQ_I64(store_event_add(db, "milk", &bad), -EINVAL);
    bad.kind = STOCK_CONSUME;
    CHECK_EQ_I64(store_event_add(db, "juice", &bad), -ENOENT);
    CHECK_EQ_I64(store_event_add(db, NULL, &bad), -EINVAL);

    /* A kind this program does not know (a newer writer, a hand edit): -EIO. */
    store_close(db);
    sqlite3 *raw = su_raw(path);
    su_exec(raw, "INSERT INTO events (item, t_ms, kind, mg, channel) "
                 "VALUES ('milk', 1790000100000, 'teleported', 0, 0)");
    sqlite3_close(raw);
    char err[256];
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_events(db, NULL, T0, T0 + 8000, collect_events, &l), 0);
    CHECK_EQ_I64(store_events(db, NULL, T0, INT64_MAX, collect_events, &l), -EIO);
    CHECK(strstr(store_errmsg(db), "teleported") != NULL);
    store_close(db);
}

struct rd_list {
    int n;
    struct store_reading r[16];
};

static int
collect_readings(const struct store_reading *r, void *ctx)
{
    struct rd_list *l = ctx;
    if (l->n < 16)
        l->r[l->n] = *r;
    l->n++;
    return 0;
}

static void
test_readings(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "beans", 0);
    item(db, "pasta", 1);
    int64_t q = 15 * 60 * 1000;
    for (int i = 0; i < 6; i++) {
        struct store_reading r = {.start_ms = T0 + i * q,
                                  .n = 9000,
                                  .min_mg = 100 * i,
                                  .max_mg = 100 * i + 50,
                                  .mean_mg = 100 * i + 20,
                                  .uncertainty_mg = 3};
        CHECK_EQ_I64(store_reading_put(db, "beans", &r), 0);
        r.mean_mg = -1;
        r.min_mg = r.max_mg = -1;
        CHECK_EQ_I64(store_reading_put(db, "pasta", &r), 0);
    }
    /* A second write of an interval replaces it: one row per item per interval. */
    struct store_reading r2 = {.start_ms = T0 + 2 * q,
                               .n = 4500,
                               .min_mg = 1,
                               .max_mg = 2,
                               .mean_mg = 1,
                               .uncertainty_mg = 0};
    CHECK_EQ_I64(store_reading_put(db, "beans", &r2), 0);

    struct rd_list l = {0};
    CHECK_EQ_I64(store_readings(db, "beans", T0 + q, T0 + 4 * q, collect_readings, &l),
                 0);
    CHECK_EQ_I64(l.n, 3);
    CHECK_EQ_I64(l.r[0].start_ms, T0 + q);
    CHECK_EQ_I64(l.r[0].n, 9000);
    CHECK_EQ_I64(l.r[0].min_mg, 100);
    CHECK_EQ_I64(l.r[0].max_mg, 150);
    CHECK_EQ_I64(l.r[0].mean_mg, 120);
    CHECK_EQ_I64(l.r[0].uncertainty_mg, 3);
    CHECK_EQ_I64(l.r[1].n, 4500);
    CHECK_EQ_I64(l.r[1].mean_mg, 1);
    CHECK_EQ_I64(l.r[2].start_ms, T0 + 3 * q);

    store_close(db);
    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM readings"), 12);
    sqlite3_close(raw);
    char err[256];
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);

    struct store_reading bad = r2;
    bad.n = 0;
    CHECK_EQ_I64(store_reading_put(db, "beans", &bad), -EINVAL);
    bad = r2;
    bad.min_mg = 10;
    CHECK_EQ_I64(store_reading_put(db, "beans", &bad), -EINVAL);
    bad = r2;
    bad.uncertainty_mg = -1;
    CHECK_EQ_I64(store_reading_put(db, "beans", &bad), -EINVAL);
    CHECK_EQ_I64(store_reading_put(db, "rice", &r2), -ENOENT);
    CHECK_EQ_I64(store_readings(db, NULL, 0, 1, collect_readings, &l), -EINVAL);
    store_close(db);
}

/* ---- model states ---- */

struct learnt {
    struct fc fc;
    struct lead lead;
    int64_t stock_mg;
};

static void
test_model(void)
{
    char path[4096], err[256];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);

    struct learnt a, b;
    struct fc_params p = {
        .method = FC_SES, .half_life_s = 14 * 86400, .trend_half_life_s = 28 * 86400};
    memset(&a, 0, sizeof(a));
    fc_init(&a.fc, T0 / 1000);
    for (int i = 1; i <= 20; i++)
        fc_consume(&a.fc, &p, T0 / 1000 + i * 86400, 14000 + 100 * i);
    lead_init(&a.lead, 2 * 86400, 2 * 86400);
    lead_observe(&a.lead, 3 * 86400, UINT64_C(1) << 31);
    a.stock_mg = 512345;

    CHECK_EQ_I64(store_model_get(db, "coffee", 1, &b, sizeof(b), NULL), -ENOENT);
    CHECK_EQ_I64(store_model_put(db, "coffee", T0 + 99, 1, &a, sizeof(a)), 0);
    store_close(db);

    /* A reboot keeps what was learnt, bit for bit. */
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    int64_t t = 0;
    memset(&b, 0xee, sizeof(b));
    CHECK_EQ_I64(store_model_get(db, "coffee", 1, &b, sizeof(b), &t), 0);
    CHECK_EQ_I64(memcmp(&a, &b, sizeof(a)), 0);
    CHECK_EQ_I64(t, T0 + 99);
    CHECK_EQ_I64(fc_events(&b.fc), 20);

    /* Another format or size: -ESTALE, buf untouched; the caller starts afresh. */
    memset(&b, 0, sizeof(b));
    CHECK_EQ_I64(store_model_get(db, "coffee", 2, &b, sizeof(b), &t), -ESTALE);
    CHECK_EQ_I64(store_model_get(db, "coffee", 1, &b, sizeof(b) - 8, &t), -ESTALE);
    CHECK_EQ_I64(b.stock_mg, 0);
    CHECK_EQ_I64(store_model_put(db, "coffee", T0 + 100, 2, &a, 16), 0);
    CHECK_EQ_I64(store_model_get(db, "coffee", 2, &b, 16, &t), 0);
    CHECK_EQ_I64(t, T0 + 100);

    CHECK_EQ_I64(store_model_put(db, "tea", T0, 1, &a, sizeof(a)), -ENOENT);
    CHECK_EQ_I64(store_model_put(db, "coffee", T0, 1, &a, 0), -EINVAL);
    CHECK_EQ_I64(store_model_put(db, "coffee", T0, 1, NULL, 4), -EINVAL);
    store_close(db);
}

/* ---- orders ---- */

struct ord_list {
    int n;
    char ids[32][STORE_ID_MAX];
    int64_t seq[32];
    int state[32];
    char msg[32][64];
};

static int
collect_orders(const struct store_order *o, void *ctx)
{
    struct ord_list *l = ctx;
    if (l->n < 32) {
        snprintf(l->ids[l->n], sizeof(l->ids[0]), "%s", o->order_id);
        l->seq[l->n] = o->seq;
        l->state[l->n] = (int)o->state;
        snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s",
                 o->message != NULL ? o->message : "(null)");
    }
    l->n++;
    return 0;
}

static int64_t
transitions(sqlite3 *raw, const char *order_id)
{
    char sql[256];
    snprintf(sql, sizeof(sql),
             "SELECT count(*) FROM order_transitions WHERE order_id = '%s'", order_id);
    return su_int(raw, sql);
}

static void
test_order_states(void)
{
    CHECK_EQ_I64(strcmp(store_order_state_to_str(ORDER_ACKNOWLEDGED), "acknowledged"),
                 0);
    CHECK_EQ_I64(strcmp(store_order_state_to_str((enum store_order_state)8), "?"), 0);
    for (int s = 0; s < ORDER_STATE_COUNT; s++)
        CHECK_EQ_I64(store_order_state_from_str(
                         store_order_state_to_str((enum store_order_state)s)),
                     s);
    CHECK_EQ_I64(store_order_state_from_str("shipped"), -EINVAL);
    CHECK_EQ_I64(store_order_state_from_str(NULL), -EINVAL);
    CHECK(!store_order_state_final(ORDER_PLANNED));
    CHECK(!store_order_state_final(ORDER_ACKNOWLEDGED));
    CHECK(store_order_state_final(ORDER_FULFILLED));
    CHECK(store_order_state_final(ORDER_EXPIRED));
}

static void
test_orders(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    item(db, "tea", 1);

    struct store_order o = order("o-1", "coffee", 2, 899);
    o.detail_json = "{\"stock_mg\": 120000, \"runout\": [1, 2]}";
    CHECK_EQ_I64(store_order_create(db, &o, T0), 0);
    CHECK_EQ_I64(store_order_create(db, &o, T0), -EEXIST);
    struct store_order bad = order("o-x", "juice", 1, 0);
    CHECK_EQ_I64(store_order_create(db, &bad, T0), -ENOENT);
    bad = order("o-x", "tea", 0, 0);
    CHECK_EQ_I64(store_order_create(db, &bad, T0), -EINVAL);
    bad = order("o-x", "tea", 1, -5);
    CHECK_EQ_I64(store_order_create(db, &bad, T0), -EINVAL);
    bad = order("o-x", "tea", 1, 5);
    bad.detail_json = "{not json";
    CHECK_EQ_I64(store_order_create(db, &bad, T0), -EINVAL);
    CHECK(strstr(store_errmsg(db), "JSON") != NULL);
    bad = order("", "tea", 1, 5);
    CHECK_EQ_I64(store_order_create(db, &bad, T0), -EINVAL);

    struct store_order got;
    CHECK_EQ_I64(store_order_get(db, "o-1", &got), 0);
    CHECK_EQ_I64(got.state, ORDER_PLANNED);
    CHECK_EQ_I64(got.packs, 2);
    CHECK_EQ_I64(got.price_cents, 899);
    CHECK_EQ_I64(got.created_ms, T0);
    CHECK_EQ_I64(got.updated_ms, T0);
    CHECK_EQ_I64(got.seq, 0);
    CHECK_EQ_I64(got.queued_ms, 0);
    CHECK(got.message == NULL);
    CHECK(got.detail_json != NULL && strcmp(got.detail_json, o.detail_json) == 0);
    CHECK_EQ_I64(strcmp(got.reason, "predicted"), 0);
    store_order_fini(&got);
    store_order_fini(&got);
    store_order_fini(NULL);
    CHECK_EQ_I64(store_order_get(db, "o-404", &got), -ENOENT);
    CHECK(got.message == NULL && got.detail_json == NULL);

    /* Queue: needs a device; takes seq 1, stores the message. */
    CHECK_EQ_I64(store_order_queue(db, "o-1", T0 + 10, su_build, "a"), -EINVAL);
    CHECK_EQ_I64(store_set_device(db, ""), -EINVAL);
    CHECK_EQ_I64(store_set_device(db, "pantry-kitchen"), 0);
    int64_t last = -1;
    CHECK_EQ_I64(store_seq_last(db, "pantry-kitchen", &last), 0);
    CHECK_EQ_I64(last, 0);

    /* A failing build changes nothing: state, sequence, transitions. */
    CHECK_EQ_I64(store_order_queue(db, "o-1", T0 + 10, su_build_fail, NULL), -EPIPE);
    CHECK(strstr(store_errmsg(db), "o-1") != NULL);
    CHECK_EQ_I64(store_seq_last(db, "pantry-kitchen", &last), 0);
    CHECK_EQ_I64(last, 0);
    CHECK_EQ_I64(store_order_get(db, "o-1", &got), 0);
    CHECK_EQ_I64(got.state, ORDER_PLANNED);
    CHECK_EQ_I64(got.seq, 0);
    CHECK(got.message == NULL);
    store_order_fini(&got);

    CHECK_EQ_I64(store_order_queue(db, "o-1", T0 + 10, su_build, "a"), 0);
    CHECK_EQ_I64(store_seq_last(db, "pantry-kitchen", &last), 0);
    CHECK_EQ_I64(last, 1);
    CHECK_EQ_I64(store_order_get(db, "o-1", &got), 0);
    CHECK_EQ_I64(got.state, ORDER_QUEUED);
    CHECK_EQ_I64(got.seq, 1);
    CHECK_EQ_I64(got.updated_ms, T0 + 10);
    CHECK_EQ_I64(got.queued_ms, T0 + 10);
    CHECK(got.message != NULL && strcmp(got.message, "msg-1-a") == 0);
    store_order_fini(&got);
    /* Not planned any more: -ESTALE, and no number is used up. */
    CHECK_EQ_I64(store_order_queue(db, "o-1", T0 + 11, su_build, "a"), -ESTALE);
    CHECK_EQ_I64(store_order_queue(db, "o-404", T0 + 11, su_build, "a"), -ENOENT);
    CHECK_EQ_I64(store_seq_last(db, "pantry-kitchen", &last), 0);
    CHECK_EQ_I64(last, 1);

    /* Transitions: from the wrong state, forbidden, unknown, right. */
    CHECK_EQ_I64(store_order_transition(db, "o-1", ORDER_PUBLISHED, ORDER_ACKNOWLEDGED,
                                        T0 + 20, NULL),
                 -ESTALE);
    CHECK(strstr(store_errmsg(db), "queued") != NULL);
    CHECK_EQ_I64(
        store_order_transition(db, "o-1", ORDER_QUEUED, ORDER_PLANNED, T0 + 20, NULL),
        -EINVAL);
    CHECK_EQ_I64(
        store_order_transition(db, "o-1", ORDER_PLANNED, ORDER_QUEUED, T0 + 20, NULL),
        -EINVAL);
    CHECK_EQ_I64(
        store_order_transition(db, "o-1", ORDER_PUBLISHED, ORDER_QUEUED, T0 + 20, NULL),
        -EINVAL);
    CHECK_EQ_I64(
        store_order_transition(db, "o-9", ORDER_QUEUED, ORDER_PUBLISHED, T0 + 20, NULL),
        -ENOENT);
    CHECK_EQ_I64(store_order_transition(db, "o-1", ORDER_QUEUED, ORDER_PUBLISHED,
                                        T0 + 20, "puback"),
                 0);
    CHECK_EQ_I64(store_order_transition(db, "o-1", ORDER_QUEUED, ORDER_PUBLISHED,
                                        T0 + 21, "again"),
                 -ESTALE);
    CHECK_EQ_I64(store_order_transition(db, "o-1", ORDER_PUBLISHED, ORDER_ACKNOWLEDGED,
                                        T0 + 30, "accepted"),
                 0);
    CHECK_EQ_I64(store_order_transition(db, "o-1", ORDER_ACKNOWLEDGED, ORDER_FULFILLED,
                                        T0 + 40, "refill 1000 g"),
                 0);
    /* Final: nothing leaves it. */
    for (int to = 0; to < ORDER_STATE_COUNT; to++)
        CHECK_EQ_I64(store_order_transition(db, "o-1", ORDER_FULFILLED,
                                            (enum store_order_state)to, T0 + 50, NULL),
                     -EINVAL);
    /* The planned row: only cancel or expire. */
    struct store_order o2 = order("o-2", "tea", 1, 450);
    CHECK_EQ_I64(store_order_create(db, &o2, T0 + 100), 0);
    for (int to = ORDER_PUBLISHED; to <= ORDER_REJECTED; to++)
        if (to != ORDER_CANCELLED)
            CHECK_EQ_I64(store_order_transition(db, "o-2", ORDER_PLANNED,
                                                (enum store_order_state)to, T0 + 101,
                                                NULL),
                         -EINVAL);
    CHECK_EQ_I64(store_order_transition(db, "o-2", ORDER_PLANNED, ORDER_CANCELLED,
                                        T0 + 102, "long press"),
                 0);

    /* Every transition is a row, with from and to. */
    store_close(db);
    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(transitions(raw, "o-1"), 5);
    CHECK_EQ_I64(transitions(raw, "o-2"), 2);
    char buf[256];
    su_text(raw,
            "SELECT coalesce(from_state, '-') || '>' || to_state || ':' || "
            "coalesce(note, '') FROM order_transitions WHERE order_id = 'o-1' "
            "ORDER BY t_ms DESC LIMIT 1",
            buf, sizeof(buf));
    CHECK_MSG(strcmp(buf, "acknowledged>fulfilled:refill 1000 g") == 0, "%s", buf);
    su_text(raw,
            "SELECT coalesce(from_state, '-') || '>' || to_state FROM "
            "order_transitions WHERE order_id = 'o-2' ORDER BY t_ms LIMIT 1",
            buf, sizeof(buf));
    CHECK_MSG(strcmp(buf, "->planned") == 0, "%s", buf);
    /* The sequence only grows, even for raw SQL. */
    CHECK(su_exec(raw, "UPDATE sequence SET last = 0") != SQLITE_OK);
    CHECK(su_exec(raw, "DELETE FROM sequence") != SQLITE_OK);
    sqlite3_close(raw);
    store_close(NULL);
}

/* Queries: open, since, counted, outbox; a second device. */
struct pend_list {
    int n;
    int kind[16];
    char ids[16][STORE_ID_MAX];
    int64_t seq[16];
    char msg[16][32];
    bool published[16];
};

static int
collect_pending(const struct store_outmsg *m, void *ctx)
{
    struct pend_list *l = ctx;
    if (l->n >= 16)
        return 1;
    l->kind[l->n] = (int)m->kind;
    snprintf(l->ids[l->n], STORE_ID_MAX, "%s", m->order_id);
    snprintf(l->msg[l->n], sizeof(l->msg[0]), "%s", m->message);
    l->seq[l->n] = m->seq;
    l->published[l->n] = m->published;
    l->n++;
    return 0;
}

static void
test_order_queries(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    item(db, "tea", 1);
    CHECK_EQ_I64(store_set_device(db, "dev-a"), 0);

    /*
     * id     item    packs price  created  fate
     * c1     coffee  1     1000   T0       queued -> published -> acknowledged
     * c2     coffee  2     1000   T0+1d    queued
     * c3     coffee  1     1000   T0+2d    cancelled (from planned)
     * c4     coffee  3      500   T0+3d    expired (from planned): never sent
     * c5     coffee  1      700   T0+4d    queued -> expired: counted
     * t1     tea     2      300   T0+1d    queued -> rejected
     * t2     tea     1      300   T0+5d    planned
     */
    const struct {
        const char *id, *item;
        int packs;
        int64_t price;
        int64_t day;
    } rows[] = {
        {"c1", "coffee", 1, 1000, 0}, {"c2", "coffee", 2, 1000, 1},
        {"c3", "coffee", 1, 1000, 2}, {"c4", "coffee", 3, 500, 3},
        {"c5", "coffee", 1, 700, 4},  {"t1", "tea", 2, 300, 1},
        {"t2", "tea", 1, 300, 5},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct store_order o =
            order(rows[i].id, rows[i].item, rows[i].packs, rows[i].price);
        CHECK_EQ_I64(store_order_create(db, &o, T0 + rows[i].day * DAY_MS), 0);
    }
    int64_t t = T0 + 6 * DAY_MS;
    CHECK_EQ_I64(store_order_queue(db, "t1", t, su_build, NULL), 0); /* seq 1 */
    CHECK_EQ_I64(store_order_queue(db, "c2", t, su_build, NULL), 0); /* seq 2 */
    CHECK_EQ_I64(store_order_queue(db, "c1", t, su_build, NULL), 0); /* seq 3 */
    CHECK_EQ_I64(store_order_queue(db, "c5", t, su_build, NULL), 0); /* seq 4 */
    CHECK_EQ_I64(
        store_order_transition(db, "c1", ORDER_QUEUED, ORDER_PUBLISHED, t, NULL), 0);
    CHECK_EQ_I64(
        store_order_transition(db, "c1", ORDER_PUBLISHED, ORDER_ACKNOWLEDGED, t, NULL),
        0);
    CHECK_EQ_I64(
        store_order_transition(db, "c3", ORDER_PLANNED, ORDER_CANCELLED, t, NULL), 0);
    CHECK_EQ_I64(
        store_order_transition(db, "c4", ORDER_PLANNED, ORDER_EXPIRED, t, NULL), 0);
    CHECK_EQ_I64(store_order_transition(db, "c5", ORDER_QUEUED, ORDER_EXPIRED, t, NULL),
                 0);
    CHECK_EQ_I64(
        store_order_transition(db, "t1", ORDER_QUEUED, ORDER_REJECTED, t, NULL), 0);

    struct ord_list l = {0};
    CHECK_EQ_I64(store_orders_open(db, "coffee", collect_orders, &l), 0);
    CHECK_EQ_I64(l.n, 2);
    CHECK_EQ_I64(strcmp(l.ids[0], "c1"), 0);
    CHECK_EQ_I64(l.state[0], ORDER_ACKNOWLEDGED);
    CHECK_EQ_I64(strcmp(l.ids[1], "c2"), 0);
    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_orders_open(db, NULL, collect_orders, &l), 0);
    CHECK_EQ_I64(l.n, 3); /* c1, c2, t2 */
    CHECK_EQ_I64(strcmp(l.ids[2], "t2"), 0);
    CHECK_EQ_I64(strcmp(l.msg[2], "(null)"), 0);

    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_orders_since(db, "coffee", T0 + 2 * DAY_MS, collect_orders, &l),
                 0);
    CHECK_EQ_I64(l.n, 3); /* c3, c4, c5 */
    CHECK_EQ_I64(strcmp(l.ids[0], "c3"), 0);
    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_orders_since(db, NULL, T0 + DAY_MS, collect_orders, &l), 0);
    CHECK_EQ_I64(l.n, 6);

    /* Counted: c1 (1000), c2 (2000), c5 (700); t2 (300). By hand: */
    int64_t n = -1, cents = -1;
    CHECK_EQ_I64(store_orders_counted(db, "coffee", T0, &n, &cents), 0);
    CHECK_EQ_I64(n, 3);
    CHECK_EQ_I64(cents, 1000 + 2000 + 700);
    CHECK_EQ_I64(store_orders_counted(db, NULL, T0, &n, &cents), 0);
    CHECK_EQ_I64(n, 4);
    CHECK_EQ_I64(cents, 3700 + 300);
    CHECK_EQ_I64(store_orders_counted(db, "coffee", T0 + DAY_MS, &n, NULL), 0);
    CHECK_EQ_I64(n, 2);
    CHECK_EQ_I64(store_orders_counted(db, "tea", T0 + 6 * DAY_MS, NULL, &cents), 0);
    CHECK_EQ_I64(cents, 0);

    /* The outbox: queued and published reorders, by seq. */
    struct store_order o = order("c6", "coffee", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, t), 0);
    CHECK_EQ_I64(store_order_queue(db, "c6", t, su_build, "x"), 0); /* seq 5 */
    CHECK_EQ_I64(store_order_queue(db, "t2", t, su_build, "y"), 0); /* seq 6 */
    struct pend_list pl = {0};
    CHECK_EQ_I64(store_outbox_pending(db, collect_pending, &pl), 0);
    CHECK_EQ_I64(pl.n, 3);
    CHECK_EQ_I64(strcmp(pl.ids[0], "c2"), 0);
    CHECK_EQ_I64(pl.seq[0], 2);
    CHECK_EQ_I64(strcmp(pl.ids[1], "c6"), 0);
    CHECK_EQ_I64(pl.seq[1], 5);
    CHECK_EQ_I64(strcmp(pl.msg[1], "msg-5-x"), 0);
    CHECK_EQ_I64(strcmp(pl.ids[2], "t2"), 0);
    CHECK_EQ_I64(pl.seq[2], 6);

    /* A new device id continues from the store's highest number. */
    CHECK_EQ_I64(store_set_device(db, "dev-b"), 0);
    o = order("c7", "coffee", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, t), 0);
    CHECK_EQ_I64(store_order_queue(db, "c7", t, su_build, NULL), 0);
    int64_t last = 0;
    CHECK_EQ_I64(store_seq_last(db, "dev-b", &last), 0);
    CHECK_EQ_I64(last, 7);
    CHECK_EQ_I64(store_seq_last(db, "dev-a", &last), 0);
    CHECK_EQ_I64(last, 6);
    CHECK_EQ_I64(store_seq_last(db, "dev-c", &last), 0);
    CHECK_EQ_I64(last, 0);
    store_close(db);
}

/* ---- history and audit ---- */

struct hist_list {
    int n;
    struct {
        int kind, from, to;
        int64_t t_ms;
        char item[16], note[64], order_id[16];
        uint8_t ev_kind;
        int64_t mg;
    } h[32];
};

static int
collect_history(const struct store_history *h, void *ctx)
{
    struct hist_list *l = ctx;
    if (l->n < 32) {
        l->h[l->n].kind = (int)h->kind;
        l->h[l->n].from = h->from;
        l->h[l->n].to = h->to;
        l->h[l->n].t_ms = h->t_ms;
        snprintf(l->h[l->n].item, 16, "%s", h->item != NULL ? h->item : "(null)");
        snprintf(l->h[l->n].note, 64, "%s", h->note != NULL ? h->note : "(null)");
        snprintf(l->h[l->n].order_id, 16, "%s",
                 h->order_id != NULL ? h->order_id : "(null)");
        l->h[l->n].ev_kind = h->ev.kind;
        l->h[l->n].mg = h->ev.mg;
    }
    l->n++;
    return 0;
}

static void
test_history(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    item(db, "tea", 1);
    struct stock_event ev = {.t_ms = T0 + 1, .mg = 14000, .kind = STOCK_CONSUME};
    CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
    struct store_order o = order("h1", "coffee", 1, 100);
    CHECK_EQ_I64(store_order_create(db, &o, T0 + 2), 0);
    CHECK_EQ_I64(store_audit(db, T0 + 3, NULL, "started"), 0);
    CHECK_EQ_I64(store_audit(db, T0 + 4, "tea", "calibrated"), 0);
    ev.t_ms = T0 + 5;
    ev.kind = STOCK_REFILL;
    ev.mg = 250000;
    CHECK_EQ_I64(store_event_add(db, "tea", &ev), 0);
    CHECK_EQ_I64(store_order_transition(db, "h1", ORDER_PLANNED, ORDER_CANCELLED,
                                        T0 + 6, "user"),
                 0);
    char long_text[1000];
    memset(long_text, 'w', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    CHECK_EQ_I64(store_audit(db, T0 + 7, "coffee", long_text), 0);
    CHECK_EQ_I64(store_audit(db, T0, NULL, NULL), -EINVAL);
    CHECK_EQ_I64(store_audit(db, T0, "", "x"), -EINVAL);

    struct hist_list l = {0};
    CHECK_EQ_I64(store_history(db, NULL, 100, collect_history, &l), 0);
    CHECK_EQ_I64(l.n, 7);
    /* Newest first. */
    CHECK_EQ_I64(l.h[0].kind, HISTORY_AUDIT);
    CHECK_EQ_I64(strlen(l.h[0].note), 63); /* our copy is 64 bytes */
    CHECK_EQ_I64(l.h[1].kind, HISTORY_TRANSITION);
    CHECK_EQ_I64(l.h[1].from, ORDER_PLANNED);
    CHECK_EQ_I64(l.h[1].to, ORDER_CANCELLED);
    CHECK_EQ_I64(strcmp(l.h[1].note, "user"), 0);
    CHECK_EQ_I64(strcmp(l.h[1].order_id, "h1"), 0);
    CHECK_EQ_I64(strcmp(l.h[1].item, "coffee"), 0);
    CHECK_EQ_I64(l.h[2].kind, HISTORY_EVENT);
    CHECK_EQ_I64(l.h[2].ev_kind, STOCK_REFILL);
    CHECK_EQ_I64(l.h[2].mg, 250000);
    CHECK_EQ_I64(strcmp(l.h[2].item, "tea"), 0);
    CHECK_EQ_I64(l.h[3].kind, HISTORY_AUDIT);
    CHECK_EQ_I64(strcmp(l.h[3].note, "calibrated"), 0);
    CHECK_EQ_I64(l.h[4].kind, HISTORY_AUDIT);
    CHECK_EQ_I64(strcmp(l.h[4].item, "(null)"), 0);
    CHECK_EQ_I64(l.h[5].kind, HISTORY_TRANSITION);
    CHECK_EQ_I64(l.h[5].from, ORDER_STATE_COUNT); /* none: the creation */
    CHECK_EQ_I64(l.h[5].to, ORDER_PLANNED);
    CHECK_EQ_I64(l.h[6].kind, HISTORY_EVENT);
    CHECK_EQ_I64(l.h[6].t_ms, T0 + 1);

    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_history(db, "coffee", 3, collect_history, &l), 0);
    CHECK_EQ_I64(l.n, 3);
    CHECK_EQ_I64(l.h[0].t_ms, T0 + 7);
    CHECK_EQ_I64(l.h[1].t_ms, T0 + 6);
    CHECK_EQ_I64(l.h[2].t_ms, T0 + 2);
    CHECK_EQ_I64(store_history(db, NULL, -1, collect_history, &l), -EINVAL);

    store_close(db);
    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT max(length(what)) FROM audit"),
                 STORE_NOTE_MAX - 1);
    sqlite3_close(raw);
}

/* ---- the daemon's views and counters ---- */

static void
test_views_meta(void)
{
    char path[4096], err[256];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    struct store_view v = {.t_ms = T0,
                           .stock_mg = 412000,
                           .uncertainty_mg = 800,
                           .rate_ugpd = 14000000,
                           .sigma_ugpd = 2500000,
                           .runout_s = T0 / 1000 + 86400,
                           .runout_lo_s = INT64_MAX,
                           .runout_hi_s = T0 / 1000 + 2 * 86400,
                           .lead_s = 172800,
                           .reorder_point_mg = 60000,
                           .verdict = "not-needed"};
    struct store_view got;
    CHECK_EQ_I64(store_view_get(db, "coffee", &got), -ENOENT);
    CHECK_EQ_I64(store_view_put(db, "coffee", &v), 0);
    v.t_ms = T0 + 1000;
    v.fault = true;
    snprintf(v.verdict, sizeof(v.verdict), "no-data");
    CHECK_EQ_I64(store_view_put(db, "coffee", &v), 0); /* replaces */
    store_close(db);
    CHECK_EQ_I64(store_open(path, STORE_RDONLY, &db, err, sizeof(err)), 0);
    memset(&got, 0, sizeof(got));
    CHECK_EQ_I64(store_view_get(db, "coffee", &got), 0);
    CHECK_EQ_I64(got.t_ms, T0 + 1000);
    CHECK_EQ_I64(got.stock_mg, 412000);
    CHECK_EQ_I64(got.uncertainty_mg, 800);
    CHECK_EQ_I64(got.rate_ugpd, 14000000);
    CHECK_EQ_I64(got.sigma_ugpd, 2500000);
    CHECK_EQ_I64(got.runout_s, T0 / 1000 + 86400);
    CHECK_EQ_I64(got.runout_lo_s, INT64_MAX); /* never: stored as NULL */
    CHECK_EQ_I64(got.runout_hi_s, T0 / 1000 + 2 * 86400);
    CHECK_EQ_I64(got.lead_s, 172800);
    CHECK_EQ_I64(got.reorder_point_mg, 60000);
    CHECK_EQ_I64(strcmp(got.verdict, "no-data"), 0);
    CHECK(got.fault);
    store_close(db);
    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM item_views"), 1);
    CHECK_EQ_I64(
        su_int(raw, "SELECT count(*) FROM item_views WHERE runout_lo_s IS NULL"), 1);
    sqlite3_close(raw);

    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_view_put(db, "tea", &v), -ENOENT);
    struct store_view bad = v;
    bad.stock_mg = -1;
    CHECK_EQ_I64(store_view_put(db, "coffee", &bad), -EINVAL);
    bad = v;
    bad.verdict[0] = '\0';
    CHECK_EQ_I64(store_view_put(db, "coffee", &bad), -EINVAL);

    int64_t value = 0;
    CHECK_EQ_I64(store_meta_get(db, "processed_ms", &value), -ENOENT);
    CHECK_EQ_I64(store_meta_put(db, "processed_ms", T0), 0);
    CHECK_EQ_I64(store_meta_put(db, "processed_ms", T0 + 5), 0);
    CHECK_EQ_I64(store_meta_put(db, "other", -7), 0);
    CHECK_EQ_I64(store_meta_get(db, "processed_ms", &value), 0);
    CHECK_EQ_I64(value, T0 + 5);
    CHECK_EQ_I64(store_meta_get(db, "other", &value), 0);
    CHECK_EQ_I64(value, -7);
    CHECK_EQ_I64(store_meta_put(db, "", 1), -EINVAL);
    CHECK_EQ_I64(store_meta_get(db, NULL, &value), -EINVAL);
    /* In a batch, rolled back with it. */
    CHECK_EQ_I64(store_begin(db), 0);
    CHECK_EQ_I64(store_meta_put(db, "other", 99), 0);
    CHECK_EQ_I64(store_rollback(db), 0);
    CHECK_EQ_I64(store_meta_get(db, "other", &value), 0);
    CHECK_EQ_I64(value, -7);

    /* The resume state: one row, replaced; too large a buffer refused. */
    char buf[16];
    size_t len = 0;
    int32_t format = 0;
    CHECK_EQ_I64(store_resume_get(db, &value, &format, buf, sizeof(buf), &len),
                 -ENOENT);
    CHECK_EQ_I64(store_resume_put(db, T0, 1, "first", 5), 0);
    CHECK_EQ_I64(store_resume_put(db, T0 + 5, 2, "second state", 12), 0);
    CHECK_EQ_I64(store_resume_get(db, &value, &format, buf, sizeof(buf), &len), 0);
    CHECK(value == T0 + 5 && format == 2 && len == 12 &&
          strcmp(buf, "second state") == 0);
    CHECK_EQ_I64(store_resume_get(db, &value, &format, buf, 12, &len), -E2BIG);
    CHECK_EQ_I64(store_resume_put(db, T0, 1, "x", 0), -EINVAL);
    store_close(db);
}

/* ---- batches ---- */

static int
count_cb(const struct store_event *e, void *ctx)
{
    (void)e;
    (*(int *)ctx)++;
    return 0;
}

static void
test_batch(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    CHECK_EQ_I64(store_set_device(db, "d"), 0);
    struct stock_event ev = {.t_ms = T0, .mg = 1, .kind = STOCK_CONSUME};
    CHECK_EQ_I64(store_rollback(db), 0); /* no batch: no-op */
    CHECK_EQ_I64(store_commit(db), -EIO);

    CHECK_EQ_I64(store_begin(db), 0);
    CHECK_EQ_I64(store_begin(db), -EINVAL);
    CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
    struct store_reading r = {.start_ms = T0, .n = 1, .uncertainty_mg = 0};
    CHECK_EQ_I64(store_reading_put(db, "coffee", &r), 0);
    /* Order functions run their own transactions: not inside a batch. */
    struct store_order o = order("b1", "coffee", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, T0), -EINVAL);
    CHECK_EQ_I64(store_prune(db, T0, STORE_KEEP_MIN_MS, NULL), -EINVAL);
    /* A failing write inside the batch leaves the batch usable. */
    CHECK_EQ_I64(store_event_add(db, "tea", &ev), -ENOENT);
    CHECK_EQ_I64(store_rollback(db), 0);
    int n = 0;
    CHECK_EQ_I64(store_events(db, NULL, 0, INT64_MAX, count_cb, &n), 0);
    CHECK_EQ_I64(n, 0);

    CHECK_EQ_I64(store_begin(db), 0);
    for (int i = 0; i < 10; i++) {
        ev.t_ms = T0 + i;
        CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
    }
    CHECK_EQ_I64(store_event_add(db, "tea", &ev), -ENOENT);
    CHECK_EQ_I64(store_commit(db), 0);
    CHECK_EQ_I64(store_order_create(db, &o, T0), 0);
    store_close(db);

    /* A batch left open at close is rolled back, not committed. */
    char err[256];
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    CHECK_EQ_I64(store_begin(db), 0);
    CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
    store_close(db);
    CHECK_EQ_I64(store_open(path, STORE_RDONLY, &db, err, sizeof(err)), 0);
    n = 0;
    CHECK_EQ_I64(store_events(db, NULL, 0, INT64_MAX, count_cb, &n), 0);
    CHECK_EQ_I64(n, 10);
    store_close(db);
}

/* A writer elsewhere holds the lock past the busy timeout: -EBUSY. */
static void
test_busy(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(su_exec(raw, "BEGIN IMMEDIATE"), SQLITE_OK);
    struct stock_event ev = {.t_ms = T0, .mg = 1, .kind = STOCK_CONSUME};
    CHECK_EQ_I64(store_event_add(db, "coffee", &ev), -EBUSY);
    CHECK(strlen(store_errmsg(db)) > 0);
    su_exec(raw, "ROLLBACK");
    sqlite3_close(raw);
    CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
    store_close(db);
}

/* ---- retention ---- */

static void
test_prune(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    item(db, "tea", 1);
    CHECK_EQ_I64(store_set_device(db, "d"), 0);
    int64_t keep = 40 * DAY_MS, now = T0 + 100 * DAY_MS, cut = now - keep;

    /* Per day 0..99: one event, one reading, one audit row, one calibration. */
    CHECK_EQ_I64(store_begin(db), 0);
    for (int d = 0; d < 100; d++) {
        int64_t t = T0 + d * DAY_MS;
        struct stock_event ev = {.t_ms = t, .mg = d, .kind = STOCK_CONSUME};
        struct store_reading r = {.start_ms = t, .n = 1, .min_mg = 0, .max_mg = 0};
        struct cond_cal c = {.raw_zero = d, .span_raw = 100, .span_mg = 1000};
        CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
        CHECK_EQ_I64(store_reading_put(db, "coffee", &r), 0);
        CHECK_EQ_I64(store_audit(db, t, NULL, "tick"), 0);
        CHECK_EQ_I64(store_cal_add(db, "coffee", t, &c), 0);
    }
    struct cond_cal tea_cal = {.raw_zero = 5, .span_raw = 100, .span_mg = 1000};
    CHECK_EQ_I64(store_cal_add(db, "tea", T0, &tea_cal), 0); /* old, but its latest */
    CHECK_EQ_I64(store_commit(db), 0);

    /*
     * Orders: old-final (gone), old-open (kept, however old), old-final but
     * updated recently (kept), new-final (kept).
     */
    struct store_order o;
    o = order("old-final", "coffee", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, T0), 0);
    CHECK_EQ_I64(store_order_transition(db, "old-final", ORDER_PLANNED, ORDER_CANCELLED,
                                        T0 + DAY_MS, NULL),
                 0);
    o = order("old-open", "coffee", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, T0), 0);
    CHECK_EQ_I64(store_order_queue(db, "old-open", T0 + 1, su_build, NULL), 0);
    CHECK_EQ_I64(store_order_transition(db, "old-open", ORDER_QUEUED, ORDER_PUBLISHED,
                                        T0 + 2, NULL),
                 0);
    o = order("old-late", "tea", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, T0), 0);
    CHECK_EQ_I64(store_order_transition(db, "old-late", ORDER_PLANNED, ORDER_EXPIRED,
                                        cut + 1, NULL),
                 0);
    o = order("new-final", "tea", 1, 1);
    CHECK_EQ_I64(store_order_create(db, &o, now - DAY_MS), 0);
    CHECK_EQ_I64(store_order_transition(db, "new-final", ORDER_PLANNED, ORDER_CANCELLED,
                                        now, NULL),
                 0);

    CHECK_EQ_I64(store_prune(db, now, STORE_KEEP_MIN_MS - 1, NULL), -EINVAL);
    int64_t deleted = -1;
    CHECK_EQ_I64(store_prune(db, now, keep, &deleted), 0);
    /* Days 0..59 are older than the cut (day 60): 60 each of 4 kinds; 1 order, 2
     * transitions. */
    CHECK_EQ_I64(deleted, 60 * 4 + 1 + 2);
    store_close(db);

    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM events"), 40);
    CHECK_EQ_I64(su_int(raw, "SELECT min(t_ms) FROM events"), cut);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM readings"), 40);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM audit"), 40);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM calibrations"), 41);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM calibrations WHERE item = 'tea'"),
                 1);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM orders"), 3);
    CHECK_EQ_I64(
        su_int(raw, "SELECT count(*) FROM orders WHERE order_id = 'old-final'"), 0);
    CHECK_EQ_I64(transitions(raw, "old-final"), 0);
    CHECK_EQ_I64(transitions(raw, "old-open"), 3);
    CHECK_EQ_I64(transitions(raw, "old-late"), 2);
    CHECK_EQ_I64(su_int(raw, "PRAGMA foreign_key_check"), INT64_MIN); /* no rows */
    sqlite3_close(raw);

    /* Row caps, oldest first; never an open order; each item's latest calibration. */
    char err[256];
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    struct store_caps caps = {
        .readings = 5, .events = 6, .audit = 7, .calibrations = 2, .final_orders = 1};
    struct store_caps zero = caps;
    zero.audit = 0;
    CHECK_EQ_I64(store_set_caps(db, &zero), -EINVAL);
    CHECK_EQ_I64(store_set_caps(db, &caps), 0);
    CHECK_EQ_I64(store_prune(db, now, keep, &deleted), 0);
    CHECK_EQ_I64(deleted, 35 + 34 + 33 + 37 + 1 + 2);
    store_close(db);
    raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM readings"), 5);
    CHECK_EQ_I64(su_int(raw, "SELECT min(start_ms) FROM readings"), T0 + 95 * DAY_MS);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM events"), 6);
    CHECK_EQ_I64(su_int(raw, "SELECT min(t_ms) FROM events"), T0 + 94 * DAY_MS);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM audit"), 7);
    /* Coffee keeps day 99 (its latest) and the two newest others; tea its one. */
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM calibrations"), 4);
    CHECK_EQ_I64(su_int(raw, "SELECT min(t_ms) FROM calibrations WHERE item = "
                             "'coffee'"),
                 T0 + 97 * DAY_MS);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM orders"), 2);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM orders WHERE order_id IN "
                             "('old-open', 'new-final')"),
                 2);
    CHECK_EQ_I64(transitions(raw, "old-late"), 0);
    sqlite3_close(raw);
}

static void
test_checkpoint(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    CHECK_EQ_I64(store_begin(db), 0);
    for (int i = 0; i < 500; i++) {
        struct stock_event ev = {.t_ms = T0 + i, .mg = i, .kind = STOCK_CONSUME};
        CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
    }
    CHECK_EQ_I64(store_commit(db), 0);
    struct stat sb;
    char walpath[4200];
    snprintf(walpath, sizeof(walpath), "%s-wal", path);
    CHECK_EQ_I64(stat(walpath, &sb), 0);
    CHECK(sb.st_size > 0);
    CHECK_EQ_U64(sb.st_mode & 0777, 0640); /* SQLite copies the database's mode */
    CHECK_EQ_I64(store_checkpoint(db), 0);
    CHECK_EQ_I64(stat(walpath, &sb), 0);
    CHECK_EQ_I64(sb.st_size, 0);
    store_close(db);
}

/* ---- withdrawn orders, signed cancels and the pending outbox ---- */

static void
test_cancels(void)
{
    char path[4096];
    struct store *db = open_new(path, sizeof(path));
    item(db, "coffee", 0);
    item(db, "tea", 1);
    CHECK_EQ_I64(store_set_device(db, "dev"), 0);
    const char *ids[] = {"w1", "w2", "w3", "w4", "w5"};
    for (int i = 0; i < 5; i++) {
        struct store_order o = order(ids[i], i % 2 ? "tea" : "coffee", 1, 100);
        CHECK_EQ_I64(store_order_create(db, &o, T0 + i), 0);
    }
    /* w1..w4 queued: seq 1..4; w5 stays planned. */
    for (int i = 0; i < 4; i++)
        CHECK_EQ_I64(store_order_queue(db, ids[i], T0 + 10, su_build, "r"), 0);
    CHECK_EQ_I64(store_order_transition(db, "w2", ORDER_QUEUED, ORDER_PUBLISHED,
                                        T0 + 20, "puback"),
                 0);
    CHECK_EQ_I64(store_order_transition(db, "w3", ORDER_QUEUED, ORDER_ACKNOWLEDGED,
                                        T0 + 20, "accepted"),
                 0);

    /* Pending: every reorder the retailer has not answered, by seq. */
    struct pend_list l = {0};
    CHECK_EQ_I64(store_outbox_pending(db, collect_pending, &l), 0);
    CHECK_EQ_I64(l.n, 3);
    CHECK(strcmp(l.ids[0], "w1") == 0 && l.seq[0] == 1 && !l.published[0]);
    CHECK(strcmp(l.ids[1], "w2") == 0 && l.seq[1] == 2 && l.published[1]);
    CHECK(strcmp(l.ids[2], "w4") == 0 && l.seq[2] == 4);
    CHECK_EQ_I64(strcmp(l.msg[0], "msg-1-r"), 0);

    /* Withdrawing a published order signs a cancel with the next number, in the
     * same transaction as the transition. */
    int64_t cseq = -1;
    CHECK_EQ_I64(store_order_withdraw(db, "w2", ORDER_PUBLISHED, ORDER_CANCELLED,
                                      T0 + 30, "by hand", su_build, "c", &cseq),
                 0);
    CHECK_EQ_I64(cseq, 5);
    struct store_order got;
    CHECK_EQ_I64(store_order_get(db, "w2", &got), 0);
    CHECK_EQ_I64(got.state, ORDER_CANCELLED);
    CHECK_EQ_I64(got.seq, 2); /* the reorder keeps its own number */
    store_order_fini(&got);
    int64_t last = 0;
    CHECK_EQ_I64(store_seq_last(db, "dev", &last), 0);
    CHECK_EQ_I64(last, 5);
    struct store_cancel c;
    CHECK_EQ_I64(store_cancel_get(db, "w2", &c), 0);
    CHECK(c.seq == 5 && c.published_ms == 0 && !c.answered);
    CHECK_EQ_I64(store_cancel_get(db, "w1", &c), -ENOENT);

    /* A planned order never left the device: no cancel, no number. */
    CHECK_EQ_I64(store_order_withdraw(db, "w5", ORDER_PLANNED, ORDER_CANCELLED, T0 + 31,
                                      NULL, su_build, "c", &cseq),
                 0);
    CHECK_EQ_I64(cseq, 0);
    CHECK_EQ_I64(store_cancel_get(db, "w5", &c), -ENOENT);
    CHECK_EQ_I64(store_seq_last(db, "dev", &last), 0);
    CHECK_EQ_I64(last, 5);

    /* A failing build changes nothing: state, number and outbox stay. */
    CHECK_EQ_I64(store_order_withdraw(db, "w4", ORDER_QUEUED, ORDER_EXPIRED, T0 + 32,
                                      NULL, su_build_fail, NULL, &cseq),
                 -EPIPE);
    CHECK_EQ_I64(cseq, 0);
    CHECK_EQ_I64(store_order_get(db, "w4", &got), 0);
    CHECK_EQ_I64(got.state, ORDER_QUEUED);
    store_order_fini(&got);
    CHECK_EQ_I64(store_seq_last(db, "dev", &last), 0);
    CHECK_EQ_I64(last, 5);
    /* Expiry of a queued order: a cancel too (it may have gone out). */
    CHECK_EQ_I64(store_order_withdraw(db, "w4", ORDER_QUEUED, ORDER_EXPIRED, T0 + 33,
                                      "no refill", su_build, "e", &cseq),
                 0);
    CHECK_EQ_I64(cseq, 6);
    /* Refusals: a stale state, a state that is not a withdrawal, no such order. */
    CHECK_EQ_I64(store_order_withdraw(db, "w4", ORDER_QUEUED, ORDER_CANCELLED, T0 + 34,
                                      NULL, su_build, "x", &cseq),
                 -ESTALE);
    CHECK_EQ_I64(store_order_withdraw(db, "w1", ORDER_QUEUED, ORDER_FULFILLED, T0 + 34,
                                      NULL, su_build, "x", &cseq),
                 -EINVAL);
    CHECK_EQ_I64(store_order_withdraw(db, "nope", ORDER_QUEUED, ORDER_CANCELLED,
                                      T0 + 34, NULL, su_build, "x", &cseq),
                 -ENOENT);
    /* Without a build function (an acknowledged order expiring): no cancel. */
    CHECK_EQ_I64(store_order_withdraw(db, "w3", ORDER_ACKNOWLEDGED, ORDER_EXPIRED,
                                      T0 + 35, NULL, NULL, NULL, &cseq),
                 0);
    CHECK_EQ_I64(cseq, 0);

    /* Made and queued in one transaction: all of it, or nothing. */
    struct store_order nq = order("w6", "tea", 2, 100);
    CHECK_EQ_I64(store_order_create_queued(db, &nq, T0 + 36, su_build_fail, NULL),
                 -EPIPE);
    CHECK_EQ_I64(store_order_get(db, "w6", &got), -ENOENT);
    CHECK_EQ_I64(store_seq_last(db, "dev", &last), 0);
    CHECK_EQ_I64(last, 6);
    CHECK_EQ_I64(store_order_create_queued(db, &nq, T0 + 37, su_build, "q"), 0);
    CHECK_EQ_I64(store_order_get(db, "w6", &got), 0);
    CHECK(got.state == ORDER_QUEUED && got.seq == 7 && got.queued_ms == T0 + 37 &&
          got.message != NULL && strcmp(got.message, "msg-7-q") == 0);
    store_order_fini(&got);
    CHECK_EQ_I64(store_order_create_queued(db, &nq, T0 + 38, su_build, "q"), -EEXIST);
    CHECK_EQ_I64(store_seq_last(db, "dev", &last), 0);
    CHECK_EQ_I64(last, 7);
    CHECK_EQ_I64(store_order_withdraw(db, "w6", ORDER_QUEUED, ORDER_CANCELLED, T0 + 39,
                                      NULL, NULL, NULL, &cseq),
                 0);

    /* Pending now: w1's reorder (1), the cancels of w2 (5) and w4 (6). */
    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_outbox_pending(db, collect_pending, &l), 0);
    CHECK_EQ_I64(l.n, 3);
    CHECK(strcmp(l.ids[0], "w1") == 0 && l.kind[0] == STORE_MSG_REORDER);
    CHECK(strcmp(l.ids[1], "w2") == 0 && l.kind[1] == STORE_MSG_CANCEL &&
          l.seq[1] == 5);
    CHECK_EQ_I64(strcmp(l.msg[1], "msg-5-c"), 0);
    CHECK(strcmp(l.ids[2], "w4") == 0 && l.kind[2] == STORE_MSG_CANCEL &&
          l.seq[2] == 6);

    /* PUBACK and the retailer's answer; each only once. */
    CHECK_EQ_I64(store_cancel_published(db, "w2", T0 + 40), 0);
    CHECK_EQ_I64(store_cancel_published(db, "w2", T0 + 41), -ENOENT);
    CHECK_EQ_I64(store_cancel_get(db, "w2", &c), 0);
    CHECK_EQ_I64(c.published_ms, T0 + 40);
    CHECK_EQ_I64(store_cancel_answered(db, "w2", T0 + 50, true), 0);
    CHECK_EQ_I64(store_cancel_answered(db, "w2", T0 + 51, false), -ENOENT);
    CHECK_EQ_I64(store_cancel_get(db, "w2", &c), 0);
    CHECK(c.answered && c.cancelled && c.answered_ms == T0 + 50);
    /* An answer without a PUBACK seen (lost on a reconnect) also marks it sent. */
    CHECK_EQ_I64(store_cancel_answered(db, "w4", T0 + 52, false), 0);
    CHECK_EQ_I64(store_cancel_get(db, "w4", &c), 0);
    CHECK(c.answered && !c.cancelled && c.published_ms == T0 + 52);
    memset(&l, 0, sizeof(l));
    CHECK_EQ_I64(store_outbox_pending(db, collect_pending, &l), 0);
    CHECK_EQ_I64(l.n, 1);

    /* The ETA of a shipped order. */
    CHECK_EQ_I64(store_order_set_eta(db, "w1", T0 + DAY_MS), 0);
    CHECK_EQ_I64(store_order_get(db, "w1", &got), 0);
    CHECK_EQ_I64(got.eta_ms, T0 + DAY_MS);
    store_order_fini(&got);
    CHECK_EQ_I64(store_order_set_eta(db, "nope", 1), -ENOENT);
    CHECK_EQ_I64(store_order_set_eta(db, "w1", -1), -EINVAL);
    store_close(db);

    /* What the store wrote, read back with raw SQL: */
    sqlite3 *raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM cancels"), 2);
    CHECK_EQ_I64(su_int(raw, "SELECT seq FROM cancels WHERE order_id = 'w4'"), 6);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM order_transitions WHERE "
                             "order_id = 'w4' AND to_state = 'expired'"),
                 1);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM order_transitions WHERE "
                             "order_id = 'w6'"),
                 3); /* planned, queued, cancelled */
    /* Pruning an old final order takes its cancel with it. */
    sqlite3_close(raw);
    char err[256];
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), 0);
    int64_t deleted = 0;
    CHECK_EQ_I64(store_prune(db, T0 + 100 * DAY_MS, STORE_KEEP_MIN_MS, &deleted), 0);
    store_close(db);
    raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM cancels"), 0);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM orders WHERE order_id = 'w1'"), 1);
    sqlite3_close(raw);
}

/* ---- migrations ---- */

/* Rows a database of version v can hold (v >= 1). */
static void
fill(sqlite3 *raw, int v)
{
    CHECK_EQ_I64(su_exec(raw,
                         "INSERT INTO items VALUES ('coffee', 'Coffee', 'S1', '', 0);"
                         "INSERT INTO calibrations VALUES "
                         "  ('coffee', 1790000000000, -100, 8400, 1000000);"
                         "INSERT INTO events (item, t_ms, kind, mg, channel) VALUES "
                         "  ('coffee', 1790000001000, 'consume', 14000, 0),"
                         "  ('coffee', 1790000002000, 'refill', 500000, 0);"
                         "INSERT INTO orders (order_id, item, state, packs, "
                         "  price_cents, reason, created_ms, updated_ms, seq, "
                         "  message, detail) VALUES "
                         "  ('m1', 'coffee', 'published', 2, 999, 'button', "
                         "   1790000003000, 1790000004000, 7, 'jws-7', '{}'),"
                         "  ('m2', 'coffee', 'planned', 1, 999, 'predicted', "
                         "   1790000005000, 1790000005000, NULL, NULL, NULL);"
                         "INSERT INTO order_transitions VALUES "
                         "  ('m1', NULL, 'planned', 1790000003000, NULL),"
                         "  ('m1', 'planned', 'queued', 1790000003500, NULL),"
                         "  ('m1', 'queued', 'published', 1790000004000, 'puback'),"
                         "  ('m2', NULL, 'planned', 1790000005000, NULL);"
                         "INSERT INTO sequence VALUES ('dev', 7);"),
                 SQLITE_OK);
    if (v >= 2)
        CHECK_EQ_I64(su_exec(raw, "INSERT INTO readings VALUES "
                                  "  (1790000000000, 'coffee', 9000, 1, 3, 2, 1);"
                                  "INSERT INTO model_states VALUES "
                                  "  ('coffee', 1790000002000, 5, 4, x'01020304');"),
                     SQLITE_OK);
    if (v >= 3)
        CHECK_EQ_I64(su_exec(raw, "INSERT INTO audit VALUES "
                                  "  (1790000000500, NULL, 'created at v3');"),
                     SQLITE_OK);
    if (v >= 4)
        CHECK_EQ_I64(su_exec(raw, "INSERT INTO meta VALUES ('processed_ms', 42);"),
                     SQLITE_OK);
    if (v >= 5)
        CHECK_EQ_I64(su_exec(raw,
                             "INSERT INTO cancels (order_id, seq, message, "
                             "  created_ms) VALUES ('m1', 8, 'jws-8', 1);"
                             "UPDATE orders SET eta_ms = 5 WHERE order_id = 'm1';"),
                     SQLITE_OK);
    if (v >= 7)
        CHECK_EQ_I64(su_exec(raw, "INSERT INTO resume VALUES (1, 42, 1, 'state');"),
                     SQLITE_OK);
    if (v >= 9)
        CHECK_EQ_I64(su_exec(raw, "INSERT INTO grocy_calls (item, product, op, "
                                  "  amount_mg, stock_mg, unit_mg, state, created_ms, "
                                  "  updated_ms) VALUES ('coffee', 12, 'consume', "
                                  "  14000, 486000, 1000, 'sending', 1, 1);"),
                     SQLITE_OK);
}

static int
noop_order(const struct store_order *o, void *ctx)
{
    (void)o;
    (*(int *)ctx)++;
    return 0;
}

static void
test_migrations(void)
{
    char fresh_path[4096], err[256];
    struct store *db = open_new(fresh_path, sizeof(fresh_path));
    store_close(db);
    sqlite3 *raw = su_raw(fresh_path);
    char *want = su_schema(raw);
    sqlite3_close(raw);
    CHECK(strstr(want, "CREATE TABLE audit") != NULL);

    for (int k = 0; k < STORE_SCHEMA_VERSION; k++) {
        const char *path = fresh();
        raw = NULL;
        CHECK_EQ_I64(sqlite3_open(path, &raw), SQLITE_OK);
        su_exec(raw, "PRAGMA foreign_keys = ON");
        for (int v = 1; v <= k; v++) {
            char sql[64];
            CHECK_EQ_I64(su_exec(raw, "BEGIN"), SQLITE_OK);
            CHECK_EQ_I64(su_exec(raw, store_migration_sql(v)), SQLITE_OK);
            snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", v);
            CHECK_EQ_I64(su_exec(raw, sql), SQLITE_OK);
            CHECK_EQ_I64(su_exec(raw, "COMMIT"), SQLITE_OK);
        }
        if (k >= 1)
            fill(raw, k);
        sqlite3_close(raw);

        db = NULL;
        int e = store_open(path, 0, &db, err, sizeof(err));
        CHECK_MSG(e == 0, "from version %d: %d %s", k, e, err);
        if (db == NULL)
            continue;
        CHECK_EQ_I64(store_schema_version(db), STORE_SCHEMA_VERSION);
        if (k >= 1) {
            /* The data survived, and works with the current code. */
            struct store_item it;
            CHECK_EQ_I64(store_item_get(db, "coffee", &it), 0);
            CHECK_EQ_I64(strcmp(it.sku, "S1"), 0);
            struct cond_cal c;
            CHECK_EQ_I64(store_cal_latest(db, "coffee", &c, NULL), 0);
            CHECK_EQ_I64(c.span_raw, 8400);
            int n = 0;
            CHECK_EQ_I64(store_events(db, "coffee", 0, INT64_MAX, count_cb, &n), 0);
            CHECK_EQ_I64(n, 2);
            struct store_order o;
            CHECK_EQ_I64(store_order_get(db, "m1", &o), 0);
            CHECK_EQ_I64(o.seq, 7);
            CHECK_EQ_I64(o.state, ORDER_PUBLISHED);
            CHECK(o.message != NULL && strcmp(o.message, "jws-7") == 0);
            store_order_fini(&o);
            n = 0;
            CHECK_EQ_I64(store_orders_open(db, "coffee", noop_order, &n), 0);
            CHECK_EQ_I64(n, 2);
            CHECK_EQ_I64(store_set_device(db, "dev"), 0);
            CHECK_EQ_I64(store_order_queue(db, "m2", T0, su_build, NULL), 0);
            CHECK_EQ_I64(store_order_get(db, "m2", &o), 0);
            CHECK_EQ_I64(o.seq, 8);
            store_order_fini(&o);
            struct stock_event ev = {.t_ms = T0, .mg = 5, .kind = STOCK_BACK};
            CHECK_EQ_I64(store_event_add(db, "coffee", &ev), 0);
            CHECK_EQ_I64(store_audit(db, T0, "coffee", "migrated"), 0);
        }
        if (k >= 2) {
            uint8_t b[4];
            CHECK_EQ_I64(store_model_get(db, "coffee", 5, b, 4, NULL), 0);
            CHECK_EQ_I64(b[3], 4);
            struct rd_list l = {0};
            CHECK_EQ_I64(
                store_readings(db, "coffee", 0, INT64_MAX, collect_readings, &l), 0);
            CHECK_EQ_I64(l.n, 1);
            CHECK_EQ_I64(l.r[0].n, 9000);
        }
        store_close(db);

        raw = su_raw(path);
        char *got = su_schema(raw);
        CHECK_MSG(strcmp(got, want) == 0, "schema from version %d differs:\n%s\n--\n%s",
                  k, got, want);
        free(got);
        char ok[64];
        su_text(raw, "PRAGMA integrity_check", ok, sizeof(ok));
        CHECK_EQ_I64(strcmp(ok, "ok"), 0);
        CHECK_EQ_I64(su_int(raw, "PRAGMA foreign_key_check"), INT64_MIN);
        sqlite3_close(raw);
        printf("# migrated from version %d\n", k);
    }
    free(want);
}

/* A migration step that fails leaves the database at the version before it. */
static void
test_migration_failure(void)
{
    const char *path = fresh();
    char err[256];
    sqlite3 *raw = NULL;
    CHECK_EQ_I64(sqlite3_open(path, &raw), SQLITE_OK);
    su_exec(raw, store_migration_sql(1));
    su_exec(raw, "PRAGMA user_version = 1");
    /* Step 2 creates readings: a table of that name makes it fail. */
    su_exec(raw, "CREATE TABLE readings (x)");
    sqlite3_close(raw);
    struct store *db = NULL;
    CHECK_EQ_I64(store_open(path, 0, &db, err, sizeof(err)), -EIO);
    CHECK_MSG(strstr(err, "version 2") != NULL, "%s", err);
    raw = su_raw(path);
    CHECK_EQ_I64(su_int(raw, "PRAGMA user_version"), 1);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) FROM sqlite_master WHERE name = "
                             "'model_states'"),
                 0);
    sqlite3_close(raw);
}

int
main(int argc, char **argv)
{
    su_mkdtemp(argc > 1 ? argv[1] : ".", "store", dir, sizeof(dir));
    RUN(test_open);
    RUN(test_refuse_newer);
    RUN(test_not_a_database);
    RUN(test_corrupt);
    RUN(test_items);
    RUN(test_calibrations);
    RUN(test_events);
    RUN(test_readings);
    RUN(test_model);
    RUN(test_order_states);
    RUN(test_orders);
    RUN(test_order_queries);
    RUN(test_history);
    RUN(test_views_meta);
    RUN(test_batch);
    RUN(test_busy);
    RUN(test_prune);
    RUN(test_cancels);
    RUN(test_checkpoint);
    RUN(test_migrations);
    RUN(test_migration_failure);
    if (th_failures == 0)
        su_rmdir(dir);
    else
        printf("# files kept in %s\n", dir);
    return th_done();
}
