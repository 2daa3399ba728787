/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handing back resident memory the daemon mapped but no longer uses: the
 * pages of its libraries' code and read-only data that the kernel mapped
 * around the faults of start-up and of a TLS handshake, and the free memory
 * of malloc's heaps. Nothing is lost: the pages stay in the page cache and a
 * later use faults them back in. See memtrim.c for why this is safe.
 */
#ifndef PANTRY_MEMTRIM_H
#define PANTRY_MEMTRIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one memtrim_run() did. */
struct memtrim_stats {
    unsigned mappings; /* read-only file mappings whose pages were dropped */
    size_t bytes;      /* their length, bytes (mapped or not) */
    unsigned skipped;  /* read-only file mappings kept: they hold copied pages */
    bool disagreed;    /* /proc/self/maps and smaps differ: nothing dropped */
};

/*
 * Drop the page-table entries of the process's read-only, private file
 * mappings that hold no copied (anonymous) page, and give malloc's free
 * memory back (malloc_trim). Call it from one thread while no other thread
 * loads a library (dlopen). Returns 0, or -errno when /proc/self/smaps cannot
 * be read (nothing was dropped then). st may be NULL.
 */
int memtrim_run(struct memtrim_stats *st);

/*
 * memtrim_run() at most once per period: when now_ms (the agent's clock) is at
 * or past *next_ms; sets *next_ms = now_ms + period_ms. Returns 1 when it ran,
 * 0 when it was not due, -errno as memtrim_run().
 */
int memtrim_due(int64_t now_ms, int64_t *next_ms, int64_t period_ms,
                struct memtrim_stats *st);

#endif
