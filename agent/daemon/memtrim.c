/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Handing back resident memory the daemon mapped but no longer uses.
 *
 * Why: most of the daemon's resident set is its shared libraries' code
 * (libcrypto alone 4 MB with mqtts://, tests/agent/BENCH.md). The kernel maps
 * a library's pages that are in the page cache around each page fault (16
 * pages at a time), so start-up, reading the configuration and above all a TLS
 * handshake leave megabytes of code mapped that the daemon's steady loop never
 * runs again. Dropping those mappings costs nothing that matters: the pages
 * stay in the page cache, shared with other processes, and a page the daemon
 * does use again is faulted back in (with its neighbours). What it gains: an
 * RSS that is what the daemon uses, and pages the kernel can reclaim without
 * first unmapping them from us.
 *
 * Why it is safe: MADV_DONTNEED on a private file mapping throws away the
 * process's copies of its pages and maps the file's contents again on the next
 * access. For code and read-only data never written that is the same bytes.
 * It would not be for a page written once and then made read-only (the GOT
 * after relocation, "RELRO"): such a page is an anonymous copy, so a mapping
 * with any anonymous page ("Anonymous:" in smaps) is left alone. A read-only
 * mapping cannot gain a copy without mprotect(), which only the dynamic loader
 * does while it loads a library: hence "no dlopen() meanwhile" in memtrim.h.
 */
#include "agent/daemon/memtrim.h"

#include <errno.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

/* One mapping of /proc/self/smaps as read so far. */
struct vma {
    uintptr_t start, end;
    bool candidate; /* private, read-only, backed by a regular file */
    bool copied;    /* it holds anonymous pages: leave it alone */
};

/* Drop v's pages if it may be: see the file's comment. */
static void
settle(const struct vma *v, struct memtrim_stats *st)
{
    if (!v->candidate)
        return;
    if (v->copied) {
        st->skipped++;
        return;
    }
    if (madvise((void *)v->start, v->end - v->start, MADV_DONTNEED) == 0) {
        st->mappings++;
        st->bytes += v->end - v->start;
    }
}

/* A mapping's first line: "start-end perms offset dev inode [path]". */
static bool
parse_header(const char *line, struct vma *v)
{
    char perms[8], path[16];
    unsigned long long inode;
    uintptr_t start, end;
    int n;

    n = sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*x %*s %llu %15s", &start, &end,
               perms, &inode, path);
    if (n < 4)
        return false;
    v->start = start;
    v->end = end;
    v->copied = false;
    /* r-?p: not writable, private; a regular file (not /dev, not anonymous). */
    v->candidate = n == 5 && strlen(perms) == 4 && perms[0] == 'r' && perms[1] == '-' &&
                   perms[3] == 'p' && inode != 0 && path[0] == '/' &&
                   strncmp(path, "/dev/", 5) != 0 && end > start;
    return true;
}

/* The next line of f into buf, the rest of an over-long line skipped. */
static bool
next_line(FILE *f, char *buf, int size)
{
    if (fgets(buf, size, f) == NULL)
        return false;
    if (strchr(buf, '\n') == NULL) {
        int c;
        while ((c = getc(f)) != EOF && c != '\n')
            ;
    }
    return true;
}

/* The length of a mapping line's first two fields, "start-end perms". */
static size_t
head_len(const char *line)
{
    const char *sp = strchr(line, ' ');
    if (sp == NULL || (sp = strchr(sp + 1, ' ')) == NULL)
        return 0;
    return (size_t)(sp - line);
}

/*
 * Whether /proc/self/smaps lists the mappings of /proc/self/maps, range and
 * permissions, in the same order. On Linux they are two views of one list.
 * Under an emulator they may not be: qemu-user 7.2 answers maps with its
 * guest's mappings but smaps with its own, the host's, whose ranges and
 * permissions differ (guest code is read-only data to the host); dropping
 * pages by that list dropped a guest's relocated data, and it crashed. So
 * nothing is dropped unless the two agree (a mapping made between the two
 * reads also makes them differ: that round drops nothing).
 */
static bool
views_agree(void)
{
    FILE *m = fopen("/proc/self/maps", "re"), *s = fopen("/proc/self/smaps", "re");
    char a[512], b[512];
    bool agree = m != NULL && s != NULL;

    while (agree && next_line(s, b, sizeof(b))) {
        size_t n = head_len(b);
        if (b[0] >= 'A' && b[0] <= 'Z')
            continue; /* a field line of the mapping above */
        agree = n > 0 && next_line(m, a, sizeof(a)) && head_len(a) == n &&
                memcmp(a, b, n) == 0;
    }
    if (agree)
        agree = !next_line(m, a, sizeof(a)); /* and no mapping more in maps */
    if (m != NULL)
        fclose(m);
    if (s != NULL)
        fclose(s);
    return agree;
}

int
memtrim_run(struct memtrim_stats *out)
{
    struct memtrim_stats st = {0};
    struct vma v = {0};
    char line[512];
    bool have = false, whole = true;
    unsigned long long kb;
    FILE *f;

    if (!views_agree()) {
        st.disagreed = true;
        malloc_trim(0);
        if (out != NULL)
            *out = st;
        return 0;
    }
    if ((f = fopen("/proc/self/smaps", "re")) == NULL)
        return -errno;
    while (fgets(line, sizeof(line), f) != NULL) {
        bool complete = strchr(line, '\n') != NULL;

        if (!whole) { /* the rest of an over-long line (a long path) */
            whole = complete;
            continue;
        }
        whole = complete;
        if (sscanf(line, "Anonymous: %llu kB", &kb) == 1) {
            if (have && kb > 0)
                v.copied = true;
            continue;
        }
        /* Field lines start with a capital; a mapping's with a hex digit. */
        if (line[0] >= 'A' && line[0] <= 'Z')
            continue;
        if (have)
            settle(&v, &st);
        have = parse_header(line, &v);
    }
    if (have)
        settle(&v, &st);
    fclose(f);
    malloc_trim(0);
    if (out != NULL)
        *out = st;
    return 0;
}

int
memtrim_due(int64_t now_ms, int64_t *next_ms, int64_t period_ms,
            struct memtrim_stats *st)
{
    int r;

    if (now_ms < *next_ms)
        return 0;
    *next_ms = now_ms + period_ms;
    r = memtrim_run(st);
    return r < 0 ? r : 1;
}
