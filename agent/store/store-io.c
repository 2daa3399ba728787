/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The store's writes counted from inside the daemon (store-io.h): a VFS that
 * is SQLite's default one with every write() and sync counted, and the 4 KiB
 * file pages each commit dirties. Everything else goes straight through. The
 * same counting as tests/store/bench-store.c, so the daemon's figures and the
 * benchmark's can be read side by side.
 */
#include "agent/store/store-io.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <sqlite3.h>

static struct store_io cnt;

/*
 * The 4 KiB file pages written since the last commit began. A commit of the
 * daemon changes a few dozen 1 KiB pages; a checkpoint up to SQLite's 1,000:
 * past the table's end a page is counted each time it is written (an
 * overcount, never an undercount).
 */
#define MAX_DIRTY 1024
static struct {
    bool wal;
    int64_t page;
} dirty[MAX_DIRTY];
static size_t n_dirty;

static void
touch(bool wal, int64_t page)
{
    for (size_t i = 0; i < n_dirty; i++)
        if (dirty[i].wal == wal && dirty[i].page == page)
            return;
    if (n_dirty < MAX_DIRTY) {
        dirty[n_dirty].wal = wal;
        dirty[n_dirty++].page = page;
    }
    cnt.pages_4k++;
}

int
store_io_commit_hook(void *unused)
{
    (void)unused;
    cnt.commits++;
    n_dirty = 0;
    return 0;
}

void
store_io_get(struct store_io *out)
{
    *out = cnt;
}

/* ---- the VFS ---- */

struct cfile {
    sqlite3_file base;
    sqlite3_file *real;
    bool counted, wal; /* the database or its WAL; journals and temp files not */
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
    struct cfile *c = (struct cfile *)f;
    if (c->counted && n > 0) {
        cnt.writes++;
        cnt.write_bytes += (uint64_t)n;
        for (int64_t p = off / 4096; p <= (off + n - 1) / 4096; p++)
            touch(c->wal, p);
    }
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
    if (((struct cfile *)f)->counted)
        cnt.syncs++;
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
    c->wal = (flags & SQLITE_OPEN_WAL) != 0;
    c->counted = c->wal || (flags & SQLITE_OPEN_MAIN_DB) != 0;
    int rc = real_vfs->xOpen(real_vfs, name, c->real, flags, out);
    /* A failed open leaves pMethods NULL, so SQLite never calls xClose. */
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

int
store_io_install(void)
{
    if (real_vfs != NULL)
        return 0;
    if (sqlite3_initialize() != SQLITE_OK ||
        (real_vfs = sqlite3_vfs_find(NULL)) == NULL)
        return -ENOSYS;
    count_vfs = *real_vfs;
    count_vfs.zName = "pantry-count";
    count_vfs.szOsFile = (int)sizeof(struct cfile) + real_vfs->szOsFile;
    count_vfs.pNext = NULL;
    count_vfs.xOpen = c_open;
    count_vfs.xDelete = c_delete;
    count_vfs.xAccess = c_access;
    count_vfs.xFullPathname = c_fullpath;
    /* Version 3 methods, as the unix VFS's: WAL needs the shm ones. */
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
    if (sqlite3_vfs_register(&count_vfs, 1) != SQLITE_OK) {
        real_vfs = NULL;
        return -ENOSYS;
    }
    return 0;
}
