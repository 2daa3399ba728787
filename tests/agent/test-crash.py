#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""kill -9 of pantry-agent at random points while it replays, 200 times.

A replay into a store that has seen part of the trace goes on after the last
input it committed, so each restart continues the same household. After every
kill the store is opened with Python's sqlite3 (not our code) and must:
- pass PRAGMA integrity_check;
- never show the sequence counter or the highest order seq going back;
- still hold every order seen before, in the same or a later state (states
  only move forward), with its seq and message unchanged once queued;
- hold no two open orders of one item and no seq twice.
When a replay reaches the end, the store is removed and a new household
starts (another epoch), so the kills keep landing in the middle of work.

usage: test-crash.py AGENT MAKE_SHELF      (TEST_SEED=n to replay a run)
"""
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import VALGRIND_CMD, check, done, failures, put, valgrind_wanted, wait_for  # noqa

AGENT, MAKE_SHELF = sys.argv[1], sys.argv[2]
KILLS = int(os.environ.get("TEST_KILLS", "200"))
seed = int(os.environ.get("TEST_SEED", str(int(time.time()) % 100000)))
print("# seed %d (replay with TEST_SEED=%d)" % (seed, seed))
rng = random.Random(seed)
RANK = {"planned": 0, "queued": 1, "published": 2, "acknowledged": 3,
        "fulfilled": 4, "cancelled": 4, "rejected": 4, "expired": 4}



def snapshot(path):
    # Read-write: a kill in the middle of a transaction leaves a hot journal,
    # which only a writer may roll back (the agent's next start does the same);
    # a read-only connection then fails with "attempt to write a readonly
    # database". Nothing else is written.
    db = sqlite3.connect(path, timeout=10)
    try:
        ok = db.execute("PRAGMA integrity_check").fetchone()[0]
        if db.execute("PRAGMA user_version").fetchone()[0] == 0:
            # Killed before the schema's first transaction committed: an empty
            # store (a later check fails if orders seen before are gone).
            return ok, {}, 0
        orders = {r[0]: r[1:] for r in db.execute(
            "SELECT order_id, item, state, seq, message FROM orders")}
        counter = db.execute("SELECT COALESCE(MAX(last), 0) FROM sequence").fetchone()[0]
    finally:
        db.close()
    return ok, orders, counter


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([MAKE_SHELF, "--seed", str(seed % 1000 + 1), "--days", "40",
                    "--channels", "4", "--dir", tmp, "--idle-ms", "30000"],
                   check=True, timeout=300)
    conf = os.path.join(tmp, "pantry-agent.conf")
    trace = os.path.join(tmp, "shelf.trace")
    store = os.path.join(tmp, "pantry.db")
    # How long one whole replay takes on this machine and build: the kills land
    # at random points inside that span, so they hit work in progress however
    # fast or slow the build is (a fixed span let fast builds finish first).
    scratch = os.path.join(tmp, "scratch")
    os.mkdir(scratch)
    with open(conf) as f:
        scratch_conf = f.read().replace(tmp + "/", scratch + "/")
    put(os.path.join(scratch, "pantry-agent.conf"), scratch_conf)
    t0 = time.monotonic()
    subprocess.run([AGENT, "--config", os.path.join(scratch, "pantry-agent.conf"),
                    "--replay", trace, "--foreground"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=300)
    span = time.monotonic() - t0
    print("# a whole replay takes %.3f s; kills within 0.9 of that" % span)
    seen, counter, epochs, finished, killed = {}, 0, 1, 0, 0
    k = 0
    # Runs until KILLS kills (a run that finishes first does not count), with a
    # bound on the runs so a broken agent cannot loop for ever.
    while killed < KILLS and k < 4 * KILLS:
        k += 1
        p = subprocess.Popen([AGENT, "--config", conf, "--replay", trace,
                              "--foreground"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            p.wait(timeout=rng.uniform(0.005, 0.9 * span))
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed += 1
        err = p.stderr.read()
        p.stderr.close()
        if p.returncode not in (0, -signal.SIGKILL):
            check(False, "run %d exited %d: %s" % (k, p.returncode, err[-500:]))
        if not os.path.exists(store):
            continue
        ok, orders, ctr = snapshot(store)
        check(ok == "ok", "run %d: integrity_check: %s" % (k, ok))
        check(ctr >= counter, "run %d: sequence went back %d -> %d" % (k, counter, ctr))
        counter = ctr
        for oid, (item, state, seq, msg) in seen.items():
            now = orders.get(oid)
            check(now is not None, "run %d: order %s lost" % (k, oid))
            if now is None:
                continue
            check(RANK[now[1]] >= RANK[state], "run %d: %s went back %s -> %s" %
                  (k, oid, state, now[1]))
            if seq is not None:
                check(now[2] == seq and now[3] == msg,
                      "run %d: %s changed its seq or message" % (k, oid))
        seqs = [v[2] for v in orders.values() if v[2] is not None]
        check(len(seqs) == len(set(seqs)), "run %d: a seq used twice" % k)
        check(not seqs or max(seqs) <= ctr, "run %d: seq above the counter" % k)
        open_items = [v[0] for v in orders.values() if RANK[v[1]] < 4]
        check(len(open_items) == len(set(open_items)),
              "run %d: two open orders of one item" % k)
        seen = orders
        if p.returncode == 0:
            # The household is done: start another one.
            finished += 1
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(store + suffix):
                    os.remove(store + suffix)
            seen, counter, epochs = {}, 0, epochs + 1

print("# %d runs, %d killed, %d replays finished, %d households, %d orders in the "
      "last" % (k, killed, finished, epochs, len(seen)))
check(killed == KILLS, "%d runs killed mid-way, wanted %d" % (killed, KILLS))
done()
