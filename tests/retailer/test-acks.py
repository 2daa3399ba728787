#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-retailer listen's acks keep up and are all sent before it exits,
against a real mosquitto with its default receive maximum (20 in flight),
tokens of 30 devices made by python3-jwcrypto, the database read with
python's sqlite3:

1. --count 300: 300 reorders published back to back; a subscriber on the ack
   topics, started before, has every one of the 300 acks once the listener
   exited (a probe published after the exit arrives after them);
2. SIGTERM while the reorders arrive: every message the listener recorded in
   its database has its ack on the broker, and the listener logs no ack left
   unsent;
3. --exit-idle: the same for a listener that stops when messages stop.

Paho C 1.3 refills its window of 20 only once a second: the old listener
sent about 20 acks a second and exited with most of them still queued.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-acks.py PANTRY_RETAILER
       test-acks.py PANTRY_RETAILER --measure N   (seconds from the first
       publish to the last ack of N reorders, printed; no checks)
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
import jose  # noqa: E402
from listenlib import Acks, Listener, oid, pub  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000
DEVICES = 30


def tokens(devices, per_device, item):
    """{device: [token, ...]} with rising sequence numbers per device."""
    out = {}
    for i, dev in enumerate(devices):
        out[dev.name] = []
        for _ in range(per_device):
            dev.seq += 1
            n = i * 100000 + dev.seq
            out[dev.name].append(dev.sign(jose.reorder(dev.name, dev.seq, NOW,
                                                       oid(n, item))))
    return out


def publish_all(broker, toks):
    """One mosquitto_pub per device, all at once: back to back, in order per
    device (the sequence rule)."""
    procs = []
    for name, lst in toks.items():
        p = subprocess.Popen(["mosquitto_pub", "-p", str(broker.port), "-h",
                              "127.0.0.1", "-q", "1", "-t",
                              "pantry/v1/%s/reorder" % name, "-l"],
                             stdin=subprocess.PIPE)
        p.stdin.write("".join(t + "\n" for t in lst).encode())
        p.stdin.close()
        procs.append(p)
    return procs


def flushed(acks, broker, tag):
    """Once a probe published now reached the subscriber: the broker forwards
    in order, so every ack it had before is in the file by then."""
    pub(broker, "probe", tag)
    return wait_for(lambda: ("probe " + tag) in open(acks.path).read())


def ack_ids(acks):
    ids = []
    for topic, payload in acks.all():
        try:
            ids.append(json.loads(payload)["order_id"])
        except (ValueError, KeyError):
            ids.append("(not an ack: %s)" % payload[:80])
    return ids


def db_ids(path):
    con = sqlite3.connect(path)
    try:
        return [r[0] for r in con.execute("SELECT order_id FROM message")]
    finally:
        con.close()


def part_count(d, broker, trust, devices):
    acks = Acks(d, broker)
    toks = tokens(devices, 10, "count")
    lis = Listener(RETAILER, d, "count", broker.url, "--trust", trust, "--now",
                   NOW_TEXT, "--db", "count.db", "--client-id", "count", "--group",
                   "count", "--count", "300")
    check(lis.subscribed(), "the listener subscribes: %s" % lis.log())
    for p in publish_all(broker, toks):
        p.wait(timeout=60)
    check(lis.exited(120) and lis.proc.returncode == 0,
          "--count 300: it exits, status 0 (%s): %s" % (lis.proc.returncode,
                                                        lis.log()[-600:]))
    check(flushed(acks, broker, "count"), "the probe after its exit arrives")
    ids = ack_ids(acks)
    want = sorted(oid(i * 100000 + s, "count") for i in range(DEVICES)
                  for s in range(1, 11))
    check(len(lis.lines()) == 300, "300 accepted lines: %d" % len(lis.lines()))
    check(sorted(ids) == want, "every one of the 300 acks is on the broker when it "
          "exited: %d, %d missing" % (len(ids), len(set(want) - set(ids))))
    check("not delivered" not in lis.log(), "no ack left unsent: %s" % lis.log()[-600:])
    acks.stop()


def part_sigterm(d, broker, trust, devices):
    acks = Acks(d, broker)
    toks = tokens(devices, 10, "term")
    lis = Listener(RETAILER, d, "term", broker.url, "--trust", trust, "--now",
                   NOW_TEXT, "--db", "term.db", "--client-id", "term", "--group", "term")
    check(lis.subscribed(), "the listener subscribes: %s" % lis.log())
    procs = publish_all(broker, toks)
    check(wait_for(lambda: len(lis.raw().splitlines()) >= 50, 60),
          "it accepts the first 50")
    code = lis.stop()
    for p in procs:
        p.wait(timeout=60)
    check(code == 0, "SIGTERM mid-stream: it stops, status 0 (%s)" % code)
    check(flushed(acks, broker, "term"), "the probe after its exit arrives")
    recorded = db_ids(os.path.join(d, "term.db"))
    ids = set(ack_ids(acks))
    missing = [x for x in recorded if x not in ids]
    check(len(recorded) >= 50 and missing == [],
          "each of the %d recorded messages has its ack on the broker: %d missing "
          "(%d acks): %s" % (len(recorded), len(missing), len(ids), lis.log()[-600:]))
    check("not delivered" not in lis.log(), "no ack left unsent: %s" % lis.log()[-600:])
    acks.stop()


def part_idle(d, broker, trust, devices):
    acks = Acks(d, broker)
    toks = tokens(devices, 5, "idle")
    lis = Listener(RETAILER, d, "idle", broker.url, "--trust", trust, "--now",
                   NOW_TEXT, "--db", "idle.db", "--client-id", "idle", "--group", "idle",
                   "--exit-idle", "5")
    check(lis.subscribed(), "the listener subscribes: %s" % lis.log())
    for p in publish_all(broker, toks):
        p.wait(timeout=60)
    check(lis.exited(120) and lis.proc.returncode == 0,
          "--exit-idle: it exits, status 0 (%s)" % lis.proc.returncode)
    check(flushed(acks, broker, "idle"), "the probe after its exit arrives")
    recorded = sorted(db_ids(os.path.join(d, "idle.db")))
    check(len(recorded) == 150 and sorted(ack_ids(acks)) == recorded,
          "--exit-idle: all 150 acks on the broker when it exited: %d of %d" %
          (len(ack_ids(acks)), len(recorded)))
    acks.stop()


def measure(d, broker, trust, devices, n):
    """Seconds from the first publish to the last of n acks, seen by a
    subscriber."""
    acks = Acks(d, broker)
    per = -(-n // len(devices))
    toks = tokens(devices, per, "bench")
    left = n
    for name in toks:
        toks[name] = toks[name][:min(per, left)]
        left -= len(toks[name])
    lis = Listener(RETAILER, d, "bench", broker.url, "--trust", trust, "--now",
                   NOW_TEXT, "--db", "bench.db", "--client-id", "bench", "--group",
                   "bench")
    check(lis.subscribed(), "the listener subscribes")
    t0 = time.monotonic()
    publish_all(broker, toks)
    wait_for(lambda: len(acks.lines()) >= n, 600)
    t1 = time.monotonic()
    got = len(acks.lines())
    lis.stop()
    acks.stop()
    print("%d reorders of %d devices: %d acks in %.2f s (%.0f/s)" %
          (n, len(devices), got, t1 - t0, got / (t1 - t0)))


with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    devices = [jose.Device("pi-%02d" % i) for i in range(DEVICES)]
    for dev in devices:
        dev.write_trust(trust)
    broker = Broker(os.path.join(d, "broker")).start()
    try:
        if len(sys.argv) > 3 and sys.argv[2] == "--measure":
            measure(d, broker, trust, devices, int(sys.argv[3]))
            sys.exit(0)
        part_count(d, broker, trust, devices)
        part_sigterm(d, broker, trust, devices)
        part_idle(d, broker, trust, devices)
    finally:
        broker.stop()
done()
