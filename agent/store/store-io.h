/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What the store costs the SD card, counted inside the daemon (issue 17): the
 * transactions committed, the bytes SQLite hands to write(), the distinct
 * 4 KiB file pages each commit dirties, and the fsyncs. A thin VFS around
 * SQLite's default one counts the writes and syncs; a commit hook on the
 * store's connection counts the commits. The counts are process-wide (the
 * daemon has one writer connection) and never reset.
 */
#ifndef PANTRY_STORE_IO_H
#define PANTRY_STORE_IO_H

#include <stdint.h>

struct store_io {
    uint64_t commits;     /* write transactions committed, migrations included */
    uint64_t writes;      /* write() calls on the database and its WAL */
    uint64_t write_bytes; /* bytes of those calls */
    /*
     * Distinct 4 KiB pages of the database and WAL files written between one
     * commit and the next (a checkpoint's pages go with the commit after it),
     * summed: on a device idle for minutes between commits the kernel writes
     * each commit's pages back on their own, so this is what reaches the card.
     */
    uint64_t pages_4k;
    uint64_t syncs; /* syncs SQLite asks of the database or the WAL (xSync) */
};

/*
 * Make the counting VFS SQLite's default, for every connection opened after
 * it (the daemon calls it before store_open()). Idempotent. Returns 0, or
 * -ENOSYS when SQLite has no default VFS to wrap.
 */
int store_io_install(void);

/* The counts so far (all zero without store_io_install()). */
void store_io_get(struct store_io *out);

/*
 * For store.c's commit hook: a commit is starting; the pages written since the
 * previous one are now on their own way to disk. Returns 0 (the commit goes on).
 */
int store_io_commit_hook(void *unused);

#endif
