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

Resume never moves time backwards: after each run, no row it added (an event,
an order transition, an audit line) is dated before the time the store had
reached when the run began. And a resumed replay is the uninterrupted one:
every household that reaches the end of the trace, however often it was
killed on the way, holds the same consumes and refills, to the milligram, as
one replay of the trace that was never stopped. A resume state that does not
parse is said in the log and not used.

Before the kills, one resume with a broker (a private mosquitto): a replay
of a 150-day shelf cut short without a broker while an order waits in the
outbox, then the whole trace with one. What the broker takes (a reorder's
"published", a cancel's published_ms) must be dated at the resume or later,
never at the skipped samples' times (skipped when mosquitto is missing).

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
from checks import check, done, put  # noqa: E402
from broker import MOSQUITTO, Broker  # noqa: E402

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


TIMED = (("events", "t_ms"), ("order_transitions", "t_ms"), ("audit", "t_ms"))


def processed(path):
    """The time the store says its input was taken in up to (ms), or None."""
    if not os.path.exists(path):
        return None
    db = sqlite3.connect(path, timeout=10)
    try:
        r = db.execute("SELECT value FROM meta WHERE key = 'processed_ms'").fetchone()
    except sqlite3.OperationalError:
        r = None
    finally:
        db.close()
    return r[0] if r else None


def rows_after(path, marks):
    """Per table, the largest rowid (marks None) or the times of the rows after
    the marks: [(table, t_ms, the row)]."""
    db = sqlite3.connect(path, timeout=10)
    out = {} if marks is None else []
    try:
        for table, col in TIMED:
            try:
                if marks is None:
                    out[table] = db.execute("SELECT COALESCE(MAX(rowid), 0) FROM %s" %
                                            table).fetchone()[0]
                else:
                    out += [(table, r[0], r) for r in db.execute(
                        "SELECT %s, * FROM %s WHERE rowid > ?" % (col, table),
                        (marks.get(table, 0),))]
            except sqlite3.OperationalError:  # not made yet
                if marks is None:
                    out[table] = 0
    finally:
        db.close()
    return out


def stock_events(path):
    db = sqlite3.connect(path, timeout=10)
    try:
        return db.execute("SELECT item, t_ms, kind, mg FROM events WHERE kind IN "
                          "('consume', 'refill') ORDER BY t_ms, item").fetchall()
    finally:
        db.close()


def check_forward(k, path, before_ms, marks):
    """No row the run added is dated before the time the store had reached."""
    if before_ms is None or marks is None:
        return
    back = [r for r in rows_after(path, marks) if r[1] < before_ms]
    check(not back, "run %d: %d rows dated before the store's %d ms, the first: %r" %
          (k, len(back), before_ms, back[:1]))


def resume_with_broker(tmp):
    """An order queued by a replay cut short after it, published by the resumed
    one, on a shelf of its own: 150 days, so the skip outlasts the connection."""
    d = os.path.join(tmp, "broker-resume")
    os.mkdir(d)
    subprocess.run([MAKE_SHELF, "--seed", str(seed % 1000 + 1), "--days", "150",
                    "--channels", "2", "--dir", d, "--idle-ms", "30000"],
                   check=True, timeout=300)
    trace = os.path.join(d, "shelf.trace")
    with open(os.path.join(d, "pantry-agent.conf")) as f:
        text = f.read()
    os.mkdir(os.path.join(d, "whole"))
    whole_conf = os.path.join(d, "whole", "pantry-agent.conf")
    put(whole_conf, text.replace(d + "/", d + "/whole/"))
    subprocess.run([AGENT, "--config", whole_conf, "--replay", trace, "--foreground"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=300)
    whole_store = os.path.join(d, "whole", "pantry.db")
    # The last order the whole replay queued that stayed queued for over two
    # minutes: the trace is cut a minute before it left that state, so it waits
    # in the outbox, and most of the trace lies before the resume (a broker
    # that answered during the skip dated its PUBACK at a skipped sample).
    db = sqlite3.connect(whole_store)
    cut = None
    for oid, queued in db.execute("SELECT order_id, t_ms FROM order_transitions "
                                  "WHERE to_state = 'queued' ORDER BY t_ms DESC"
                                  ).fetchall():
        after = db.execute("SELECT MIN(t_ms) FROM order_transitions WHERE order_id = "
                           "? AND t_ms > ?", (oid, queued)).fetchone()[0]
        if after is None or after - queued > 120000:
            cut = after - 60000 if after else queued + 60000
            break
    db.close()
    check(cut is not None, "broker resume: the whole replay queued an order")
    half = os.path.join(d, "half.trace")
    with open(trace) as f, open(half, "w") as out:
        for line in f:
            w = line.split()
            if len(w) > 1 and w[0] in ("s", "e", "a") and int(w[1]) > cut:
                break
            out.write(line)
    store = os.path.join(d, "pantry.db")
    put(os.path.join(d, "no-broker.conf"), text)
    subprocess.run([AGENT, "--config", os.path.join(d, "no-broker.conf"), "--replay",
                    half, "--foreground"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, check=True, timeout=300)
    db = sqlite3.connect(store)
    waiting = db.execute("SELECT COUNT(*) FROM orders WHERE state = 'queued'").fetchone()[0]
    db.close()
    check(waiting > 0, "broker resume: an order waits in the outbox after the cut")
    before, marks = processed(store), rows_after(store, None)
    with Broker(os.path.join(d, "mosquitto")) as b:
        put(os.path.join(d, "broker.conf"),
            text + 'broker = { url = "%s"; };\n' % b.url)
        r = subprocess.run([AGENT, "--config", os.path.join(d, "broker.conf"),
                            "--replay", trace, "--foreground", "--linger", "2"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True, timeout=300)
    check(r.returncode == 0, "broker resume: exit %d: %s" % (r.returncode,
                                                            r.stderr[-500:]))
    # What the broker took: reorders (a transition to published) and cancels
    # (their published_ms); cancels of withdrawn orders come first, by their
    # sequence numbers.
    db = sqlite3.connect(store)
    pub = db.execute("SELECT order_id, t_ms, 'reorder' FROM order_transitions WHERE "
                     "to_state = 'published' UNION ALL SELECT order_id, published_ms, "
                     "'cancel' FROM cancels WHERE published_ms IS NOT NULL").fetchall()
    db.close()
    check(pub, "broker resume: the broker took messages: " + r.stderr[-1500:])
    late = [p for p in pub if p[1] < before]
    check(not late, "broker resume: taken by the broker before the resume (%d ms): "
          "%r" % (before, late[:3]))
    check_forward(0, store, before, marks)


def damaged_resume(tmp, conf_text, trace):
    """A resume row that does not parse (a damaged store, another version) is
    not used: the log says so, conditioning starts afresh, the replay runs."""
    d = os.path.join(tmp, "damaged")
    os.mkdir(d)
    conf = os.path.join(d, "pantry-agent.conf")
    put(conf, conf_text.replace(tmp + "/", d + "/"))
    with open(trace) as f:
        lines = f.readlines()
    half = os.path.join(d, "half.trace")
    with open(half, "w") as f:
        f.writelines(lines[:len(lines) // 3])
    subprocess.run([AGENT, "--config", conf, "--replay", half], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    store = os.path.join(d, "pantry.db")
    for bad, why in (("cond 0 ", "cond 0 x"), ("\nend\n", "\n")):
        db = sqlite3.connect(store)
        db.execute("UPDATE resume SET state = replace(state, ?, ?)", (bad, why))
        db.commit()
        db.close()
        r = subprocess.run([AGENT, "--config", conf, "--replay", half],
                           capture_output=True, text=True, timeout=300)
        check(r.returncode == 0 and "conditioning starts afresh" in r.stderr,
              "a damaged resume state (%r) is said and not used: %d %s" %
              (why, r.returncode, r.stderr[-800:]))


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
    whole = stock_events(os.path.join(scratch, "pantry.db"))
    damaged_resume(tmp, scratch_conf.replace(scratch + "/", tmp + "/"), trace)
    if os.path.exists(MOSQUITTO):
        resume_with_broker(tmp)
    else:
        print("# mosquitto not found: the resume with a broker is skipped")
    seen, counter, epochs, finished, killed = {}, 0, 1, 0, 0
    epoch_kills, resumed = 0, 0
    k = 0
    # Runs until KILLS kills (a run that finishes first does not count), with a
    # bound on the runs so a broken agent cannot loop for ever.
    while killed < KILLS and k < 4 * KILLS:
        k += 1
        before = processed(store)
        marks = rows_after(store, None) if before is not None else None
        p = subprocess.Popen([AGENT, "--config", conf, "--replay", trace,
                              "--foreground"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        try:
            p.wait(timeout=rng.uniform(0.005, 0.9 * span))
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
            p.wait()
            killed += 1
            epoch_kills += 1
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
        check_forward(k, store, before, marks)
        if p.returncode == 0:
            # The household is done: start another one.
            finished += 1
            if epoch_kills > 0:
                resumed += 1
                got = stock_events(store)
                diff = sorted(set(got) ^ set(whole))
                check(got == whole, "run %d: a replay resumed %d times differs from "
                      "the uninterrupted one in %d consumes/refills, the first: %r" %
                      (k, epoch_kills, len(diff), diff[:4]))
            epoch_kills = 0
            for suffix in ("", "-wal", "-shm"):
                if os.path.exists(store + suffix):
                    os.remove(store + suffix)
            seen, counter, epochs = {}, 0, epochs + 1

print("# %d runs, %d killed, %d replays finished (%d of them resumed), %d "
      "households, %d orders in the last" % (k, killed, finished, resumed, epochs,
                                             len(seen)))
check(resumed > 0, "no resumed replay reached the end: nothing compared")
check(killed == KILLS, "%d runs killed mid-way, wanted %d" % (killed, KILLS))
done()
