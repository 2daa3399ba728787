#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The store's writes as the daemon makes them (issue 17): pantry-agent
--household on the demo's shelf (tests/demo-household.py: 4 items, orders in
auto mode, no broker, so orders wait in the outbox), a real SQLite file.

Batching, from the daemon's own counts (the `store: day N, C commits, ...`
lines of --verbose, agent/store/store-io.h), for every whole simulated day:
- at least one commit per quarter hour that has readings rows (the counter
  counts: every window's rows were committed); the bytes counted agree with
  the kernel's wchar (/proc/self/io) less the log's own bytes;
- at most one commit per quarter hour for the readings of all four items,
  plus one for each row of anything else that day (events, order
  transitions, audit lines) and the four maintenance runs (every 6 h). One
  commit per item per quarter hour, as before issue 17, is 384 a day and
  fails it.

kill -9 mid-day, a few times at seeded random simulated days, each into a
store of its own (a household store is never resumed); after each, the file
opened with Python's sqlite3 (not our code), against an uninterrupted run of
the same household and key:
- PRAGMA integrity_check is ok;
- no order is lost: every order the log said was queued before the kill is
  in the file with its sequence number and message, and every order the
  uninterrupted run had created by the time the file says it had processed
  is there too;
- at most one window of readings is lost: every readings row of a quarter
  hour that ended 15 minutes or more before the time the file says it had
  processed (meta processed_ms, written with every batch) is there and
  equal to the uninterrupted run's; no row in the file differs from it (no
  half-aggregated row).

usage: test-store-daemon.py AGENT      (TEST_SEED=n to replay the kills)
"""
import importlib.util
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from checks import check, done  # noqa: E402

AGENT = sys.argv[1]
DAY = 86400000
WINDOW = 15 * 60000
DAYS = 14
KILLS = int(os.environ.get("TEST_KILLS", "4"))
START = "2026-09-01T00:00:00Z"
START_MS = 1788220800000
seed = int(os.environ.get("TEST_SEED", str(int(time.time()) % 100000)))
print("# seed %d (replay with TEST_SEED=%d)" % (seed, seed))
rng = random.Random(seed)

_spec = importlib.util.spec_from_file_location(
    "demo_household", os.path.join(HERE, "..", "demo-household.py"))
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)

DAY_LINE = re.compile(r"store: day (\d+), (\d+) commits, (\d+) pages of 4 KiB dirtied, "
                      r"(\d+) bytes in (\d+) writes, (\d+) syncs")
QUEUED = re.compile(r"order (\S+) queued at \S+: .*sequence number (\d+)")


def setup(d, shelf, key):
    """A run directory: the demo's configuration pointing into d, the shared
    device key (0600, as the daemon demands)."""
    os.makedirs(d)
    conf = os.path.join(d, "pantry-agent.conf")
    with open(conf, "w") as f:
        f.write(demo.config(d))
    if key is not None:
        shutil.copyfile(key, os.path.join(d, "device.key"))
        os.chmod(os.path.join(d, "device.key"), 0o600)
    args = [AGENT, "--config", conf, "--foreground", "--verbose"]
    for k in demo.ITEMS:
        args += ["--household", "%s=%s" % (k, os.path.join(shelf, k + ".demand"))]
    return args + ["--household-start", START, "--household-days", str(DAYS)]


def rows(path):
    con = sqlite3.connect(path, timeout=10)
    try:
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        readings = {(r[0], r[1]): r[2:] for r in con.execute(
            "SELECT start_ms, item, n, min_mg, max_mg, mean_mg, uncertainty_mg "
            "FROM readings")}
        orders = {r[0]: r[1:] for r in con.execute(
            "SELECT order_id, item, seq, message, created_ms FROM orders")}
        queued = {r[0]: r[1] for r in con.execute(
            "SELECT order_id, t_ms FROM order_transitions WHERE to_state = 'queued'")}
        got = con.execute("SELECT value FROM meta WHERE key = 'processed_ms'").fetchone()
        processed = got[0] if got else 0
        counts = {}
        for table, col in (("events", "t_ms"), ("order_transitions", "t_ms"),
                           ("audit", "t_ms")):
            counts[table] = [r[0] for r in con.execute("SELECT %s FROM %s" % (col, table))]
    finally:
        con.close()
    return ok, readings, orders, queued, counts, processed


with tempfile.TemporaryDirectory() as tmp:
    shelf = os.path.join(tmp, "shelf")
    os.makedirs(shelf)
    subprocess.run([sys.executable, demo.__file__, shelf, str(DAYS), "7"], check=True)

    # The uninterrupted run.
    ref_dir = os.path.join(tmp, "ref")
    r = subprocess.run(setup(ref_dir, shelf, None), capture_output=True, text=True,
                       timeout=300)
    check(r.returncode == 0, "the uninterrupted run: exit %d\n%s" %
          (r.returncode, r.stderr[-2000:]))
    check("store: since the start, " in r.stderr, "the exit line with the store's counts")
    days = {int(m.group(1)): [int(x) for x in m.groups()[1:]]
            for m in DAY_LINE.finditer(r.stderr)}
    ok, ref_readings, ref_orders, ref_queued, counts, _p = rows(
        os.path.join(ref_dir, "pantry.db"))
    check(ok == "ok", "the uninterrupted run's file: integrity %s" % ok)
    check(len(ref_orders) >= 2 and len(ref_queued) >= 1,
          "the household orders (%d created, %d queued)" % (len(ref_orders),
                                                            len(ref_queued)))
    check(len(days) >= DAYS - 2, "a store line per simulated day: %r" % sorted(days))
    # The "day N" line is logged when the replay reaches START + N days.
    for n in sorted(days):
        if n + 1 not in days:
            continue
        lo, hi = START_MS + n * DAY, START_MS + (n + 1) * DAY
        commits = days[n + 1][0] - days[n][0]
        windows = len({s for s, _ in ref_readings if lo <= s < hi})
        others = sum(1 for table in counts.values() for t in table if lo <= t < hi)
        check(windows <= commits <= windows + others + 4,
              "day %d: %d commits, for %d quarter hours of readings and %d other rows" %
              (n, commits, windows, others))
        print("# day %d: %d commits (%d quarter hours, %d other rows), %d pages of "
              "4 KiB, %d bytes, %d syncs" %
              (n, commits, windows, others, days[n + 1][1] - days[n][1],
               days[n + 1][2] - days[n][2], days[n + 1][4] - days[n][4]))

    # The VFS's byte count against the kernel's: wchar of /proc/self/io, logged
    # on the line before each day's store line, is every byte the daemon handed
    # to write(): the store's, the log's before that line, and the few of the
    # key and lock files at the start. So wchar - store bytes - log bytes is
    # the same every day.
    err = r.stderr.encode()
    rest, seen = set(), 0
    for m in re.finditer(rb"replay: day (\d+), VmRSS \d+ kB, written (\d+) bytes", err):
        n = int(m.group(1))
        if n in days:
            line_start = err.rfind(b"\n", 0, m.start()) + 1
            rest.add(int(m.group(2)) - days[n][2] - line_start)
            seen += 1
    check(len(rest) == 1 and seen >= DAYS - 2,
          "write() bytes: /proc/self/io's wchar less the store's count less the "
          "log's bytes, the same on each of %d days: %r" % (seen, sorted(rest)))

    key = os.path.join(ref_dir, "device.key")
    for k in range(KILLS):
        target = rng.randrange(2, DAYS - 1)
        d = os.path.join(tmp, "kill%d" % k)
        p = subprocess.Popen(setup(d, shelf, key), stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        queued, reached = {}, None
        try:
            for line in p.stderr:
                m = QUEUED.search(line)
                if m:
                    queued[m.group(1)] = int(m.group(2))
                m = DAY_LINE.search(line)
                if m and int(m.group(1)) == target:
                    p.send_signal(signal.SIGKILL)
                    reached = target
                    break
        finally:
            p.kill()
            p.wait()
            p.stderr.close()
        check(reached is not None, "kill %d: the run reached day %d" % (k, target))
        if reached is None:
            continue
        ok, readings, orders, _q, _c, processed = rows(os.path.join(d, "pantry.db"))
        check(ok == "ok", "kill %d at day %d: integrity %s" % (k, reached, ok))
        # The log runs behind the daemon (a pipe): the time its last commit
        # had reached is the later bound, and it cannot be before the day's
        # start by more than the batch open then.
        at = START_MS + reached * DAY
        check(processed >= at - WINDOW, "kill %d: the file says %d ms processed, the "
              "log day %d" % (k, processed, reached))
        at = max(at, processed)
        print("# kill %d: logged day %d, killed at %.3f days" %
              (k, reached, (processed - START_MS) / DAY))
        for oid, seq in queued.items():
            o = orders.get(oid)
            check(o is not None and o[1] == seq and o[2] == ref_orders[oid][2],
                  "kill %d: order %s, logged queued with seq %d, on disk: %r" %
                  (k, oid, seq, o and o[:2]))
        lost = [oid for oid, o in ref_orders.items() if o[3] <= at and oid not in orders]
        check(not lost, "kill %d at day %d: no order created before lost: %r" %
              (k, reached, lost))
        want = {key_: v for key_, v in ref_readings.items()
                if key_[0] + 2 * WINDOW <= at}
        missing = [key_ for key_ in want if key_ not in readings]
        check(not missing and len(want) >= 4 * 96 * (reached - 1),
              "kill %d at day %d: %d readings rows of the windows before, %d lost "
              "(first %r)" % (k, reached, len(want), len(missing), missing[:1]))
        differ = [key_ for key_, v in readings.items() if ref_readings.get(key_) != v]
        check(not differ, "kill %d: rows that differ from the uninterrupted run: %r" %
              (k, differ[:3]))
done()
