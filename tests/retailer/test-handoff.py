#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""How pantry-retailer listen hands accepted orders off on stdout, and how it
recovers, against a real mosquitto on a free loopback port (tests/broker.py),
tokens made by python3-jwcrypto, the database read with python's sqlite3:

1. stdout a pipe whose reader has gone: the order is recorded but neither
   acknowledged nor marked handed off, and the listener stops with status 1
   and an error naming it; restarted (same client id) with a working stdout,
   it prints the order again before anything else, marks it and publishes its
   ack; the agent's re-send is acknowledged again, with no second line;
2. `export --since` prints the accepted orders byte for byte as listen did,
   only from TIME on, and needs an existing database;
3. the payload on the line is the signed payload's own text (500.0 stays
   500.0, 9007199254740993 keeps its digits; a pretty-printed payload only
   loses the whitespace between its tokens, so the line stays one line);
4. the default client id is stable: a listener stopped and a new one started
   (neither with --client-id) in one share group get all 60 messages
   published after the restart, none is parked in a dead session; a second
   listener on the host with the same client id and broker refuses to start
   (the two would throw each other out for ever);
5. arguments are checked before anything is touched (`--url http://x` makes
   no database), and --exit-idle exits 1 when the broker was never reached;
6. a database of schema version 1 is upgraded: its accepted orders count as
   handed off (a listener offers nothing again) and export still prints them.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-handoff.py PANTRY_RETAILER
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker, free_port  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
import jose  # noqa: E402
from listenlib import Acks, Listener, oid, pub  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000


def pub_many(broker, topic, payloads):
    p = subprocess.Popen(["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1",
                          "-q", "1", "-t", topic, "-l"], stdin=subprocess.PIPE)
    p.stdin.write("".join(x + "\n" for x in payloads).encode())
    p.stdin.close()
    p.wait(timeout=30)


def export(d, *args):
    return subprocess.run([RETAILER, "export"] + list(args), cwd=d,
                          capture_output=True, timeout=30)


def db_rows(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def part_pipe(d, broker, trust, dev):
    acks = Acks(d, broker)
    args = ["--trust", trust, "--now", NOW_TEXT, "--client-id", "pipe", "--group",
            "pipe", "--db", "pipe.db"]
    r, w = os.pipe()
    lis = Listener(RETAILER, d, "pipe-dead", broker.url, *args, stdout=w)
    os.close(w)
    check(lis.subscribed(), "the listener subscribes: %s" % lis.log())
    os.close(r)  # the reader goes away
    token = dev.sign(jose.reorder(dev.name, 1, NOW, oid(1)))
    pub(broker, "pantry/v1/%s/reorder" % dev.name, token)
    check(lis.exited() and lis.proc.returncode == 1,
          "a failed hand-off stops the listener with status 1 (%s)" %
          lis.proc.returncode)
    check("cannot hand off reorder %s of %s: writing stdout: Broken pipe" %
          (oid(1), dev.name) in lis.log(), "and says why: %s" % lis.log()[-600:])
    check(acks.lines() == [], "the order is not acknowledged: %s" % acks.lines())
    rows = db_rows(os.path.join(d, "pipe.db"),
                   "SELECT verdict, handed_off FROM message WHERE order_id = '%s'" %
                   oid(1))
    check(rows == [("accepted", None)], "recorded, not handed off: %s" % rows)

    lis = Listener(RETAILER, d, "pipe", broker.url, *args)
    check(wait_for(lambda: len(acks.lines()) == 1),
          "restarted, it acknowledges the order: %s" % lis.log())
    check("offered again 1 accepted message(s)" in lis.log(),
          "the restart offers the order again: %s" % lis.log())
    lines = lis.lines()
    check(len(lines) == 1 and lines[0].get("order_id") == oid(1) and
          lines[0].get("jws") == token, "one line, the order: %s" % lines)
    check('"status":"accepted"' in (acks.lines() or [""])[0], "an accepted ack")
    check(lis.subscribed(), "and listens")
    pub(broker, "pantry/v1/%s/reorder" % dev.name, token)  # the agent re-sends
    check(wait_for(lambda: len(acks.lines()) == 2) and acks.lines()[1] == acks.lines()[0],
          "the re-send gets the same ack again: %s" % acks.lines())
    rows = db_rows(os.path.join(d, "pipe.db"),
                   "SELECT handed_off FROM message WHERE order_id = '%s'" % oid(1))
    check(rows == [(NOW,)], "marked handed off: %s" % rows)
    check(lis.stop() == 0, "it stops cleanly")
    lis = Listener(RETAILER, d, "pipe", broker.url, *(args + ["--exit-idle", "1"]))
    check(lis.exited() and lis.proc.returncode == 0, "started again: %s" % lis.log())
    check(len(lis.lines()) == 1, "nothing is offered twice: %s" % lis.lines())
    acks.stop()
    return lis.raw()


def part_export(d, listened):
    p = export(d, "--db", "pipe.db", "--since", "2026-10-01T00:00:00Z")
    check(p.returncode == 0 and p.stdout.decode() == listened,
          "export prints the line as listen did: %r %r vs %r" %
          (p.returncode, p.stdout, listened))
    p = export(d, "--db", "pipe.db", "--since", "2026-10-01T12:00:01Z")
    check(p.returncode == 0 and p.stdout == b"", "nothing received since later")
    p = export(d, "--db", "nothing.db", "--since", NOW_TEXT)
    check(p.returncode == 1 and not os.path.exists(os.path.join(d, "nothing.db")),
          "export of a missing database fails and creates nothing: %s" % p.stderr)
    p = export(d, "--db", "pipe.db", "--since", "yesterday")
    check(p.returncode == 2 and b"--since" in p.stderr, "a bad --since: %s" % p.stderr)
    p = export(d, "--help")
    check(p.returncode == 0 and b"--since TIME" in p.stdout, "export --help")


def part_payload(d, broker, trust, dev):
    lis = Listener(RETAILER, d, "payload", broker.url, "--trust", trust, "--now", NOW_TEXT,
                   "--client-id", "payload", "--group", "payload", "--db", "pl.db")
    check(lis.subscribed(), "subscribed: %s" % lis.log())
    p = jose.reorder(dev.name, 20, NOW, oid(20))
    p["forecast"]["stock_g"] = 9007199254740993
    p["quantity"]["pack_g"] = 500.0
    p["item"]["name"] = 'Basmati  "rice" \\ 1\tkg, {x: [1, 2]}'
    pretty = json.dumps(p, indent=2).encode()
    plain = json.dumps(p, separators=(",", ":"))
    check(b"\n" in pretty and "500.0" in plain and "9007199254740993" in plain and
          '"Basmati  \\"rice\\" \\\\ 1\\tkg, {x: [1, 2]}"' in plain,
          "the payloads tested: %s" % plain)
    pub(broker, "pantry/v1/%s/reorder" % dev.name, dev.sign(pretty))
    check(wait_for(lambda: len(lis.raw().splitlines()) == 1), "one line")
    raw = lis.raw()
    check(('"payload":%s,"jws":' % plain) in raw,
          "the payload's own text on the line: %s" % raw[:700])
    check(len(raw.splitlines()) == 1 and raw.endswith("}\n"), "one whole line")
    lis.stop()
    q = export(d, "--db", "pl.db", "--since", NOW_TEXT)
    check(q.stdout.decode() == raw, "and export prints the same")


def part_client_id(d, broker, trust, devices):
    args = ["--trust", trust, "--now", NOW_TEXT, "--group", "stable", "--db",
            "stable.db"]
    first = Listener(RETAILER, d, "stable-1", broker.url, *args)
    check(first.subscribed(), "a listener with the default client id")
    check(first.stop() == 0, "stopped")
    second = Listener(RETAILER, d, "stable-2", broker.url, *args)
    check(second.subscribed(), "a new one")
    total = 0
    for i, dev in enumerate(devices):
        toks = [dev.sign(jose.reorder(dev.name, 100 + n, NOW, oid(100 + n, "s")))
                for n in range(20)]
        pub_many(broker, "pantry/v1/%s/reorder" % dev.name, toks)
        total += len(toks)
    check(wait_for(lambda: len(second.lines()) >= total),
          "all %d messages reach the new listener (%d)" % (total, len(second.lines())))
    print("# after a restart with the default client id: %d of %d" %
          (len(second.lines()), total))
    check(second.stop() == 0, "it stops")
    check(first.lines() == [], "nothing went to the stopped one")

    # Two listeners with one client id on one host: the second refuses to start.
    one = Listener(RETAILER, d, "same-1", broker.url, "--trust", trust, "--client-id", "same",
                   "--group", "same", "--db", "same.db")
    check(one.subscribed(), "a listener with client id same")
    two = Listener(RETAILER, d, "same-2", broker.url, "--trust", trust, "--client-id", "same",
                   "--group", "same", "--db", "same.db")
    check(two.exited() and two.proc.returncode == 1 and
          "already uses client id same" in two.log(),
          "a second one with the same client id stops: %s" % two.log()[-400:])
    check(one.proc.poll() is None and one.log().count("connected to") == 1,
          "the first goes on, undisturbed: %s" % one.log())
    check(one.stop() == 0, "and stops cleanly")


def part_args(d, trust):
    sub = os.path.join(d, "args")
    os.mkdir(sub)
    for url in ("http://x", "mqtt://", "x"):
        p = subprocess.run([RETAILER, "listen", "--url", url, "--trust", trust],
                           cwd=sub, capture_output=True, timeout=30)
        check(p.returncode == 2 and b"--url" in p.stderr,
              "--url %s refused: %s" % (url, p.stderr[:200]))
    p = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:1", "--trust",
                        trust, "--ca-file", os.path.join(d, "no-such-ca.pem")],
                       cwd=sub, capture_output=True, timeout=30)
    check(p.returncode == 2 and b"--ca-file" in p.stderr, "a missing --ca-file")
    check(os.listdir(sub) == [], "no file made: %s" % os.listdir(sub))
    p = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:%d" %
                        free_port(), "--trust", trust, "--exit-idle", "1"],
                       cwd=sub, capture_output=True, timeout=60)
    check(p.returncode == 1 and b"never reached" in p.stderr,
          "--exit-idle without a broker: status %d, %s" % (p.returncode,
                                                           p.stderr[-300:]))
    p = subprocess.run([RETAILER, "listen", "--help"], capture_output=True)
    check(b"G-HOST" in p.stdout and b"--session-expiry 0s" in p.stdout,
          "--help says how client ids and sessions behave")


V1 = """
CREATE TABLE device (device TEXT PRIMARY KEY, last_seq INTEGER NOT NULL);
CREATE TABLE pin (device TEXT PRIMARY KEY, jwk TEXT NOT NULL, kid TEXT NOT NULL,
 pinned INTEGER NOT NULL);
CREATE TABLE message (device TEXT NOT NULL,
 kind TEXT NOT NULL CHECK (kind IN ('reorder', 'cancel')), order_id TEXT NOT NULL,
 seq INTEGER NOT NULL,
 verdict TEXT NOT NULL CHECK (verdict IN ('accepted', 'rejected')), reason TEXT,
 detail TEXT, acks TEXT, token TEXT NOT NULL, received INTEGER NOT NULL,
 listener TEXT, resent INTEGER NOT NULL DEFAULT 0, last_resent INTEGER,
 PRIMARY KEY (device, kind, order_id));
PRAGMA user_version = 1;
"""


def part_migrate(d, broker, trust, dev):
    path = os.path.join(d, "v1.db")
    token = dev.sign(jose.reorder(dev.name, 50, NOW, oid(50)))
    con = sqlite3.connect(path)
    con.executescript(V1)
    con.execute("INSERT INTO message (device, kind, order_id, seq, verdict, token, "
                "received, listener) VALUES (?, 'reorder', ?, 50, 'accepted', ?, ?, "
                "'old')", (dev.name, oid(50), token, NOW))
    con.commit()
    con.close()
    lis = Listener(RETAILER, d, "v1", broker.url, "--trust", trust, "--db", "v1.db",
                   "--client-id", "old", "--group", "v1", "--exit-idle", "1")
    check(lis.exited() and lis.proc.returncode == 0, "a version-1 file opens")
    check(lis.lines() == [] and "offered again" not in lis.log(),
          "its orders count as handed off: %s" % lis.lines())
    check(db_rows(path, "PRAGMA user_version") == [(4,)] and
          db_rows(path, "SELECT handed_off FROM message") == [(NOW,)],
          "upgraded to the current version, handed off when received")
    p = export(d, "--db", "v1.db", "--since", NOW_TEXT)
    got = [json.loads(x) for x in p.stdout.decode().splitlines()]
    check(p.returncode == 0 and len(got) == 1 and got[0]["jws"] == token and
          got[0]["order_id"] == oid(50) and got[0]["seq"] == 50 and
          got[0]["kid"] == dev.kid and got[0]["received"] == NOW_TEXT,
          "export prints it: %s" % got)


with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    devices = [jose.Device("pi-%d" % i) for i in range(3)]
    for dev in devices:
        dev.write_trust(trust)
    broker = Broker(os.path.join(d, "broker")).start()
    try:
        listened = part_pipe(d, broker, trust, devices[0])
        part_export(d, listened)
        part_payload(d, broker, trust, devices[1])
        part_client_id(d, broker, trust, devices)
        part_args(d, trust)
        part_migrate(d, broker, trust, devices[2])
    finally:
        broker.stop()

done()
