/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Bytes the store writes per simulated day, for 4 items on a shelf sampled at
 * 10 Hz as the daemon would store them: samples are aggregated, so one readings
 * row per item per 15 minutes; 36 stock events a day (9 per item, at random
 * seconds) each with a model-state and a view write; in every batch the
 * daemon's "processed up to" counter; two audit rows a day; six orders a
 * month, each created, queued with a ~900-byte signed message, published,
 * acknowledged and fulfilled over the following days; a prune once a day and a
 * WAL checkpoint every CHECKPOINT_H hours. Everything goes through the API in
 * one transaction per second of simulated activity (orders in their own).
 *
 * Writes are counted three ways: every byte SQLite hands to write() (a VFS
 * shim around the default one, per file); the distinct 4 KiB file pages each
 * commit dirties (what the kernel writes back when every commit is flushed on
 * its own, as on a device idle for minutes between commits: the figure the goal
 * is checked against); and /proc/self/io write_bytes (pages this process
 * dirtied, as the kernel accounts them). Plus the files' final sizes. Usage:
 * bench-store [DIR] [DAYS] [CHECKPOINT_H] (defaults ., 30, 6).
 */
#include "tests/harness.h"
#include "tests/store/util.h"

#include "models/forecast.h"
#include "models/lead.h"
#include "agent/store/store.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC INT64_C(1000)
#define DAY (INT64_C(86400) * SEC)
#define T0 INT64_C(1790000000000)
#define N_ITEMS 4
#define EVENTS_PER_DAY 36
#define ORDERS_PER_30D 6

/* ---- a counting VFS: the default one, with every write counted ---- */

enum { F_DB, F_WAL, F_OTHER, F_KINDS };
static const char *const kind_names[F_KINDS] = {"db", "wal", "other"};

static struct {
    uint64_t calls[F_KINDS], bytes[F_KINDS], pages[F_KINDS], syncs[F_KINDS];
} cnt;

/*
 * The 4 KiB file pages written since the last commit returned: the kernel writes
 * each of them back once (a device idle for minutes between commits flushes
 * every commit on its own), however many write() calls touched it.
 */
#define MAX_DIRTY 4096
static struct {
    int kind;
    int64_t page;
} dirty[MAX_DIRTY];
static size_t n_dirty;

static void
touch(int kind, int64_t page)
{
    for (size_t i = 0; i < n_dirty; i++)
        if (dirty[i].kind == kind && dirty[i].page == page)
            return;
    if (n_dirty < MAX_DIRTY) {
        dirty[n_dirty].kind = kind;
        dirty[n_dirty++].page = page;
    }
    cnt.pages[kind] += 4096;
}

/* A commit returned: its pages go to disk before the next one dirties them. */
static void
flushed(void)
{
    n_dirty = 0;
}

struct cfile {
    sqlite3_file base;
    sqlite3_file *real;
    int kind;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs count_vfs;
static sqlite3_io_methods count_io;

#define REAL(f) (((struct cfile *)(f))->real)

static int
c_close(sqlite3_file *f)
{
    return REAL(f)->pMethods->xClose(REAL(f));
}

static int
c_read(sqlite3_file *f, void *buf, int n, sqlite3_int64 off)
{
    return REAL(f)->pMethods->xRead(REAL(f), buf, n, off);
}

static int
c_write(sqlite3_file *f, const void *buf, int n, sqlite3_int64 off)
{
    int k = ((struct cfile *)f)->kind;
    cnt.calls[k]++;
    cnt.bytes[k] += (uint64_t)n;
    for (int64_t p = off / 4096; n > 0 && p <= (off + n - 1) / 4096; p++)
        touch(k, p);
    return REAL(f)->pMethods->xWrite(REAL(f), buf, n, off);
}

static int
c_truncate(sqlite3_file *f, sqlite3_int64 size)
{
    return REAL(f)->pMethods->xTruncate(REAL(f), size);
}

static int
c_sync(sqlite3_file *f, int flags)
{
    cnt.syncs[((struct cfile *)f)->kind]++;
    return REAL(f)->pMethods->xSync(REAL(f), flags);
}

static int
c_size(sqlite3_file *f, sqlite3_int64 *size)
{
    return REAL(f)->pMethods->xFileSize(REAL(f), size);
}

static int
c_lock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xLock(REAL(f), l);
}

static int
c_unlock(sqlite3_file *f, int l)
{
    return REAL(f)->pMethods->xUnlock(REAL(f), l);
}

static int
c_check(sqlite3_file *f, int *out)
{
    return REAL(f)->pMethods->xCheckReservedLock(REAL(f), out);
}

static int
c_fcntl(sqlite3_file *f, int op, void *arg)
{
    return REAL(f)->pMethods->xFileControl(REAL(f), op, arg);
}

static int
c_sector(sqlite3_file *f)
{
    return REAL(f)->pMethods->xSectorSize(REAL(f));
}

static int
c_chars(sqlite3_file *f)
{
    return REAL(f)->pMethods->xDeviceCharacteristics(REAL(f));
}

static int
c_shm_map(sqlite3_file *f, int pg, int sz, int extend, void volatile **p)
{
    return REAL(f)->pMethods->xShmMap(REAL(f), pg, sz, extend, p);
}

static int
c_shm_lock(sqlite3_file *f, int off, int n, int flags)
{
    return REAL(f)->pMethods->xShmLock(REAL(f), off, n, flags);
}

static void
c_shm_barrier(sqlite3_file *f)
{
    REAL(f)->pMethods->xShmBarrier(REAL(f));
}

static int
c_shm_unmap(sqlite3_file *f, int del)
{
    return REAL(f)->pMethods->xShmUnmap(REAL(f), del);
}

static int
c_fetch(sqlite3_file *f, sqlite3_int64 off, int n, void **pp)
{
    return REAL(f)->pMethods->xFetch(REAL(f), off, n, pp);
}

static int
c_unfetch(sqlite3_file *f, sqlite3_int64 off, void *p)
{
    return REAL(f)->pMethods->xUnfetch(REAL(f), off, p);
}

static int
c_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *f, int flags, int *out)
{
    struct cfile *c = (struct cfile *)f;
    (void)vfs;
    c->real = (sqlite3_file *)(c + 1);
    c->kind = flags & SQLITE_OPEN_MAIN_DB ? F_DB
              : flags & SQLITE_OPEN_WAL   ? F_WAL
                                          : F_OTHER;
    int rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out);
    c->base.pMethods = c->real->pMethods != NULL ? &count_io : NULL;
    return rc;
}

static int
c_delete(sqlite3_vfs *vfs, const char *name, int dirsync)
{
    (void)vfs;
    return real_vfs->xDelete(real_vfs, name, dirsync);
}

static int
c_access(sqlite3_vfs *vfs, const char *name, int flags, int *out)
{
    (void)vfs;
    return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int
c_fullpath(sqlite3_vfs *vfs, const char *name, int n, char *out)
{
    (void)vfs;
    return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void
vfs_install(void)
{
    real_vfs = sqlite3_vfs_find(NULL);
    count_vfs = *real_vfs;
    count_vfs.zName = "count";
    count_vfs.szOsFile = (int)sizeof(struct cfile) + real_vfs->szOsFile;
    count_vfs.pNext = NULL;
    count_vfs.xOpen = c_open;
    count_vfs.xDelete = c_delete;
    count_vfs.xAccess = c_access;
    count_vfs.xFullPathname = c_fullpath;
    count_io = (sqlite3_io_methods){
        .iVersion = 3,
        .xClose = c_close,
        .xRead = c_read,
        .xWrite = c_write,
        .xTruncate = c_truncate,
        .xSync = c_sync,
        .xFileSize = c_size,
        .xLock = c_lock,
        .xUnlock = c_unlock,
        .xCheckReservedLock = c_check,
        .xFileControl = c_fcntl,
        .xSectorSize = c_sector,
        .xDeviceCharacteristics = c_chars,
        .xShmMap = c_shm_map,
        .xShmLock = c_shm_lock,
        .xShmBarrier = c_shm_barrier,
        .xShmUnmap = c_shm_unmap,
        .xFetch = c_fetch,
        .xUnfetch = c_unfetch,
    };
    sqlite3_vfs_register(&count_vfs, 1);
}

/* ---- /proc/self/io ---- */

static void
proc_io(uint64_t *write_bytes, uint64_t *wchar)
{
    char line[128];
    FILE *f = fopen("/proc/self/io", "r");
    *write_bytes = *wchar = 0;
    if (f == NULL)
        return;
    while (fgets(line, sizeof(line), f) != NULL) {
        unsigned long long v;
        if (sscanf(line, "write_bytes: %llu", &v) == 1)
            *write_bytes = v;
        else if (sscanf(line, "wchar: %llu", &v) == 1)
            *wchar = v;
    }
    fclose(f);
}

/* ---- the simulated household ---- */

struct learnt {
    struct fc fc;
    struct lead lead;
    int64_t stock_mg, pack_mg, since_ms;
};

enum act { A_READINGS, A_EVENT, A_AUDIT, A_CHECKPOINT };

struct activity {
    int64_t t_ms;
    int act;
    int item;
};

static int
by_time(const void *a, const void *b)
{
    const struct activity *x = a, *y = b;
    return x->t_ms < y->t_ms ? -1 : x->t_ms > y->t_ms;
}

static int
jws(int64_t seq, void *ctx, char **message)
{
    /* A compact JWS of a reorder is ~900 bytes of base64url. */
    char *m = malloc(901);
    (void)ctx;
    if (m == NULL)
        return -1;
    int n = snprintf(m, 901, "eyJhbGciOiJFZERTQSJ9.%lld.", (long long)seq);
    memset(m + n, 'Q', (size_t)(900 - n));
    m[900] = '\0';
    *message = m;
    return 0;
}

#define TRY(x)                                                                         \
    do {                                                                               \
        int try_e = (x);                                                               \
        if (try_e < 0) {                                                               \
            fprintf(stderr, "%s:%d: %s: %d %s\n", __FILE__, __LINE__, #x, try_e,       \
                    store_errmsg(db));                                                 \
            exit(1);                                                                   \
        }                                                                              \
        flushed();                                                                     \
    } while (0)

static const char *const items[N_ITEMS] = {"coffee", "tea", "rice", "detergent"};

/* One order's life: created, queued, then moved on over the following days. */
static void
order_step(struct store *db, int n, int64_t t, int step)
{
    char id[32];
    snprintf(id, sizeof(id), "o-%d", n);
    static const enum store_order_state path[] = {ORDER_QUEUED, ORDER_PUBLISHED,
                                                  ORDER_ACKNOWLEDGED, ORDER_FULFILLED};
    if (step == 0) {
        struct store_order o;
        memset(&o, 0, sizeof(o));
        snprintf(o.order_id, sizeof(o.order_id), "%s", id);
        snprintf(o.item, sizeof(o.item), "%s", items[n % N_ITEMS]);
        snprintf(o.reason, sizeof(o.reason), "predicted");
        o.packs = 1;
        o.price_cents = 1299;
        o.detail_json = "{\"stock_mg\":120000,\"rate_mg_per_day\":14000,"
                        "\"runout_ms\":[1790500000000,1790900000000]}";
        TRY(store_order_create(db, &o, t));
        TRY(store_order_queue(db, id, t + 1, jws, NULL));
    } else {
        TRY(store_order_transition(db, id, path[step - 1], path[step], t, "bench"));
    }
}

int
main(int argc, char **argv)
{
    const char *base = argc > 1 ? argv[1] : ".";
    int days = argc > 2 ? atoi(argv[2]) : 30;
    int checkpoint_h = argc > 3 ? atoi(argv[3]) : 6;
    char dir[4096], err[256];
    uint64_t rng = th_seed(42);

    if (days < 1 || checkpoint_h < 0) {
        fprintf(stderr, "usage: bench-store [DIR] [DAYS >= 1] [CHECKPOINT_H >= 0]\n");
        return 2;
    }
    vfs_install();
    su_mkdtemp(base, "bench", dir, sizeof(dir));
    const char *path = su_path(0, dir, "pantry.db");

    uint64_t wb0, wc0;
    proc_io(&wb0, &wc0);
    struct store *db = NULL;
    if (store_open(path, 0, &db, err, sizeof(err)) < 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    TRY(store_set_device(db, "pantry-bench"));
    struct learnt model[N_ITEMS];
    for (int i = 0; i < N_ITEMS; i++) {
        struct store_item it = {.channel = i};
        snprintf(it.id, sizeof(it.id), "%s", items[i]);
        snprintf(it.name, sizeof(it.name), "The %s", items[i]);
        TRY(store_item_put(db, &it));
        memset(&model[i], 0, sizeof(model[i]));
        fc_init(&model[i].fc, T0 / 1000);
        lead_init(&model[i].lead, 2 * 86400, 2 * 86400);
    }
    struct fc_params fp = {
        .method = FC_SES, .half_life_s = 14 * 86400, .trend_half_life_s = 28 * 86400};

    size_t n_act = 96 + EVENTS_PER_DAY + 2 + 24;
    struct activity *act = calloc(n_act, sizeof(*act));
    int64_t n_rows = 0, n_tx = 0;
    int order_no = 0;
    for (int d = 0; d < days; d++) {
        int64_t day0 = T0 + d * DAY;
        size_t n = 0;
        for (int q = 0; q < 96; q++)
            act[n++] = (struct activity){day0 + q * 900 * SEC, A_READINGS, 0};
        for (int e = 0; e < EVENTS_PER_DAY; e++)
            act[n++] = (struct activity){day0 + (int64_t)(th_rand(&rng) % 86400) * SEC,
                                         A_EVENT, e % N_ITEMS};
        act[n++] = (struct activity){day0 + 3 * 3600 * SEC + 17 * SEC, A_AUDIT, -1};
        act[n++] = (struct activity){day0 + 15 * 3600 * SEC + 17 * SEC, A_AUDIT, 0};
        for (int h = 0; checkpoint_h > 0 && h < 24; h += checkpoint_h)
            act[n++] =
                (struct activity){day0 + h * 3600 * SEC + 30 * SEC, A_CHECKPOINT, -1};
        qsort(act, n, sizeof(*act), by_time);

        for (size_t i = 0; i < n;) {
            /* One transaction per second of activity. */
            int64_t sec = act[i].t_ms / SEC;
            bool checkpoint = false;
            TRY(store_begin(db));
            for (; i < n && act[i].t_ms / SEC == sec; i++) {
                int64_t t = act[i].t_ms;
                if (act[i].act == A_CHECKPOINT) {
                    checkpoint = true;
                } else if (act[i].act == A_READINGS) {
                    for (int k = 0; k < N_ITEMS; k++) {
                        struct store_reading r = {.start_ms = t - 900 * SEC,
                                                  .n = 9000,
                                                  .min_mg = 480000 - k,
                                                  .max_mg = 482000 + k,
                                                  .mean_mg = 481000,
                                                  .uncertainty_mg = 150};
                        TRY(store_reading_put(db, items[k], &r));
                        n_rows++;
                    }
                } else if (act[i].act == A_EVENT) {
                    int k = act[i].item;
                    struct stock_event ev = {.t_ms = t,
                                             .mg = 14000 + (t % 997),
                                             .channel = (uint16_t)k,
                                             .kind = STOCK_CONSUME};
                    TRY(store_event_add(db, items[k], &ev));
                    fc_consume(&model[k].fc, &fp, t / 1000, ev.mg);
                    model[k].stock_mg -= ev.mg;
                    TRY(store_model_put(db, items[k], t, 1, &model[k],
                                        sizeof(model[k])));
                    /* The review after the event: the daemon's view of the item. */
                    struct store_view v = {.t_ms = t,
                                           .stock_mg = 400000,
                                           .uncertainty_mg = 900,
                                           .rate_ugpd = 14000000,
                                           .sigma_ugpd = 3000000,
                                           .runout_s = t / 1000 + 28 * 86400,
                                           .runout_lo_s = t / 1000 + 20 * 86400,
                                           .runout_hi_s = t / 1000 + 40 * 86400,
                                           .lead_s = 2 * 86400,
                                           .reorder_point_mg = 60000,
                                           .verdict = "not-needed"};
                    TRY(store_view_put(db, items[k], &v));
                    n_rows += 3;
                } else {
                    TRY(store_audit(db, t, act[i].item < 0 ? NULL : items[act[i].item],
                                    act[i].item < 0 ? "pantry-agent 0.1.0 started"
                                                    : "tare coffee: zero -1204"));
                    n_rows++;
                }
            }
            /* As the daemon does: how far the input was taken, in every batch. */
            TRY(store_meta_put(db, "processed_ms", sec * SEC));
            TRY(store_commit(db));
            n_tx++;
            if (checkpoint)
                TRY(store_checkpoint(db));
        }

        /* Orders: ORDERS_PER_30D a month, each moving on over four days. */
        for (int o = 0; o < order_no; o++) {
            int age = d - o * 30 / ORDERS_PER_30D;
            if (age >= 1 && age <= 3) {
                order_step(db, o, day0 + 10 * 3600 * SEC, age);
                n_tx++;
            }
        }
        if (d * ORDERS_PER_30D / 30 >= order_no) {
            order_step(db, order_no++, day0 + 9 * 3600 * SEC, 0);
            n_tx += 2;
        }
        int64_t deleted;
        TRY(store_prune(db, day0 + DAY, 400 * DAY, &deleted));
        n_tx++;
    }
    store_close(db);

    uint64_t wb1, wc1;
    proc_io(&wb1, &wc1);
    struct stat sdb, swal;
    char walpath[4200];
    snprintf(walpath, sizeof(walpath), "%s-wal", path);
    if (stat(path, &sdb) < 0)
        sdb.st_size = 0;
    if (stat(walpath, &swal) < 0)
        swal.st_size = 0;

    uint64_t bytes = 0, pages = 0, calls = 0, syncs = 0;
    for (int k = 0; k < F_KINDS; k++) {
        bytes += cnt.bytes[k];
        pages += cnt.pages[k];
        calls += cnt.calls[k];
        syncs += cnt.syncs[k];
    }
    printf("# %d days, 4 items, checkpoint every %d h: %lld rows, %lld transactions\n",
           days, checkpoint_h, (long long)n_rows, (long long)n_tx);
    printf("%-28s %14s %14s\n", "", "total", "per day");
    for (int k = 0; k < F_KINDS; k++)
        printf("write() bytes, %-13s %14llu %14.0f\n", kind_names[k],
               (unsigned long long)cnt.bytes[k], (double)cnt.bytes[k] / days);
    printf("%-28s %14llu %14.0f\n", "write() bytes, all", (unsigned long long)bytes,
           (double)bytes / days);
    printf("%-28s %14llu %14.0f\n", "4 KiB pages touched, bytes",
           (unsigned long long)pages, (double)pages / days);
    printf("%-28s %14llu %14.0f\n", "write() calls", (unsigned long long)calls,
           (double)calls / days);
    printf("%-28s %14llu %14.0f\n", "fsync() calls", (unsigned long long)syncs,
           (double)syncs / days);
    printf("%-28s %14llu %14.0f\n", "/proc/self/io write_bytes",
           (unsigned long long)(wb1 - wb0), (double)(wb1 - wb0) / days);
    printf("%-28s %14llu %14.0f\n", "/proc/self/io wchar",
           (unsigned long long)(wc1 - wc0), (double)(wc1 - wc0) / days);
    printf("%-28s %14lld\n", "file size, db", (long long)sdb.st_size);
    printf("%-28s %14lld\n", "file size, wal", (long long)swal.st_size);
    printf("goal <= 2 MB/day (4 KiB pages touched): %s\n",
           pages / (uint64_t)days <= 2000000 ? "met" : "MISSED");
    free(act);
    su_rmdir(dir);
    return pages / (uint64_t)days <= 2000000 ? 0 : 1;
}
