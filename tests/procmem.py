# SPDX-License-Identifier: GPL-2.0-or-later
"""The memory of a running process as /proc tells it, for the benchmarks
(tests/agent/bench-live.py, bench-rss-home.py, tests/retailer/bench-rss.py):
one reader, so that every document counts RSS and PSS the same way."""


def proc_status(pid):
    """/proc/PID/status as {field: [words]} (VmRSS, RssFile, RssAnon, VmHWM,
    Threads, ...), with smaps_Rss and smaps_Pss from /proc/PID/smaps_rollup
    (kB)."""
    st = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            st[k] = v.split()
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Rss", "Pss"):
                st["smaps_" + k] = v.split()
    return st
