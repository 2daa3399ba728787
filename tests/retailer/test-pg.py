#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-retailer listen with its ledger on PostgreSQL (--db CONNINFO): a
private PostgreSQL cluster started here (initdb, pg_ctl; as the postgres user
when run as root, since initdb refuses root), listening on a Unix socket in a
temporary directory only; a real mosquitto on a free loopback port; tokens made
by python3-jwcrypto; rows read with psql.

1. the same messages to a SQLite listener and a PostgreSQL listener (two share
   groups, so both get all): the same lines on stdout and the same rows
   (verdict, reason, acks) for accepted, duplicate, sequence, stale and a
   cancel;
2. three listeners in one share group on one database: 40 devices, one order
   each, each published three times at once: every order accepted exactly
   once across the three outputs, one row each;
3. the server stopped while orders flow (the listener logs that it cannot
   record, and retries), started again, and restarted (pg_ctl restart) in the
   middle of a later batch: all 200 orders of one device accepted, in order,
   each once;
4. keys pinned on first use, a different one refused; an order whose
   hand-off failed is counted by another client id and offered again by its
   own listener at its next start;
5. a database of a newer schema version is refused, with the version named;
6. connection strings that do not parse, or name no reachable server, are an
   error (status 2) before any broker is tried, and a password in them is
   never printed.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-pg.py PANTRY_RETAILER
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
need("postgresql-client", programs=["psql"])
import jose  # noqa: E402
from listenlib import Acks, Listener, oid, pub  # noqa: E402
from pglib import Postgres, why_not  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000


def pub_lines(broker, topic, payloads):
    p = subprocess.Popen(["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1",
                          "-q", "1", "-t", topic, "-l"], stdin=subprocess.PIPE)
    p.stdin.write("".join(x + "\n" for x in payloads).encode())
    p.stdin.close()
    return p


ROWS = ("SELECT device, kind, order_id, seq, verdict, coalesce(reason, ''), "
        "coalesce(detail, ''), coalesce(acks, ''), token, received, resent "
        "FROM message ORDER BY device, kind, order_id")


def part_same(d, broker, pg, trust, dev):
    """The verdicts of SQLite and PostgreSQL agree, message for message."""
    pg.createdb("same")
    common = ["--trust", trust, "--now", NOW_TEXT, "--ship-eta", "1d"]
    lsq = Listener(RETAILER, d, "same-sq", broker.url, *common, "--group", "sq",
                   "--client-id", "sq", "--db", "same.db")
    lpg = Listener(RETAILER, d, "same-pg", broker.url, *common, "--group", "pg",
                   "--client-id", "pg", "--db", pg.conninfo("same"))
    check(lsq.subscribed() and lpg.subscribed(),
          "both listeners subscribe: %s %s" % (lsq.log(), lpg.log()))
    check("database postgresql database same on %s as pantry" % pg.sock in lpg.log(),
          "the PostgreSQL listener names its database: %s" % lpg.log())
    topic = "pantry/v1/%s/reorder" % dev.name
    msgs = [(topic, dev.sign(jose.reorder(dev.name, 5, NOW, oid(1)))),
            (topic, dev.sign(jose.reorder(dev.name, 5, NOW, oid(1)))),  # duplicate
            (topic, dev.sign(jose.reorder(dev.name, 4, NOW, oid(2)))),  # sequence
            (topic, dev.sign(jose.reorder(dev.name, 9, NOW - 8 * 86400, oid(3)))),
            (topic, dev.sign(jose.reorder(dev.name, 7, NOW, oid(4)))),
            ("pantry/v1/%s/cancel" % dev.name,
             dev.sign(jose.cancel(dev.name, 8, NOW, oid(1)), typ=jose.TYP_CANCEL))]
    acks = Acks(d, broker)
    for t, m in msgs:
        pub(broker, t, m)
    # Each listener answers 5 messages: accepted + shipped twice for the first
    # (and its duplicate), rejected twice, accepted + shipped, cancelled.
    check(wait_for(lambda: len(acks.lines()) == 2 * 9),
          "both answer every message: %d acks" % len(acks.lines()))
    check(wait_for(lambda: len(lsq.lines()) == 3 and len(lpg.lines()) == 3),
          "three lines each: %s %s" % (lsq.lines(), lpg.lines()))
    check(lsq.raw() == lpg.raw(), "the same lines: %r %r" % (lsq.raw(), lpg.raw()))
    check(lsq.stop() == 0 and lpg.stop() == 0, "both stop cleanly")
    acks.stop()
    con = sqlite3.connect(os.path.join(d, "same.db"))
    want = [["" if v is None else str(v) for v in row] for row in con.execute(ROWS)]
    con.close()
    got = pg.sql("same", ROWS)
    check(len(want) == 5 and got == want,
          "the same rows in both:\n%s\n%s" % (want, got))
    verdicts = [(r[2], r[4], r[5]) for r in got]
    check(verdicts == [(oid(1), "accepted", ""), (oid(1), "accepted", ""),
                       (oid(2), "rejected", "sequence"), (oid(3), "rejected", "stale"),
                       (oid(4), "accepted", "")],
          "accepted, sequence, stale, accepted, the cancel: %s" % verdicts)
    check(pg.sql("same", "SELECT resent FROM message WHERE kind = 'reorder' AND "
                 "order_id = '%s'" % oid(1)) == [["1"]], "the duplicate counted")
    check(pg.sql("same", "SELECT version FROM schema_version") == [["4"]],
          "schema version 4 in schema_version")
    check(pg.sql("same", "SELECT to_regclass('message_pending') IS NOT NULL") ==
          [["t"]], "the webhook queue's index made by migration 3")
    p = subprocess.run([RETAILER, "export", "--db", pg.conninfo("same"), "--since",
                        NOW_TEXT], capture_output=True, text=True, timeout=30, cwd=d)
    check(p.returncode == 0 and p.stdout == lsq.raw(),
          "export from PostgreSQL prints the same lines: %r" % p.stdout)


def part_group(d, broker, pg):
    """Three listeners, one share group, one database: each order once."""
    pg.createdb("grp")
    trust = os.path.join(d, "grp-trust")
    os.mkdir(trust)
    devices = [jose.Device("pg-g%d" % i) for i in range(40)]
    for dev in devices:
        dev.write_trust(trust)
    group = [Listener(RETAILER, d, "grp%d" % i, broker.url, "--trust", trust, "--now",
                      NOW_TEXT, "--db", pg.conninfo("grp"), "--group", "grp",
                      "--client-id", "grp%d" % i) for i in range(3)]
    check(all(g.subscribed() for g in group),
          "three listeners subscribe: %s" % [g.log() for g in group])
    procs = []
    for i, dev in enumerate(devices):
        token = dev.sign(jose.reorder(dev.name, 1, NOW, oid(i, "grp")))
        procs.append(pub_lines(broker, "pantry/v1/%s/reorder" % dev.name,
                               [token] * 3))
    for p in procs:
        p.wait(timeout=30)
    n = len(devices)

    def answered():
        return sum(g.log().count("duplicate reorder") + g.log().count("accepted reorder")
                   for g in group)

    check(wait_for(lambda: sum(len(g.lines()) for g in group) >= n, 60),
          "%d accepted lines" % n)
    wait_for(lambda: answered() >= 3 * n, 60)
    for g in group:
        check(g.stop() == 0, "a group listener stops cleanly")
    seen = [(x["device"], x["order_id"]) for g in group for x in g.lines()]
    check(len(seen) == n and len(set(seen)) == n,
          "every order accepted exactly once: %d lines, %d distinct, %d orders" %
          (len(seen), len(set(seen)), n))
    rows = pg.sql("grp", "SELECT verdict, count(*), sum(resent) FROM message "
                  "GROUP BY verdict")
    check(rows == [["accepted", str(n), str(2 * n)]],
          "one accepted row per order, two re-sends each: %s" % rows)
    print("# accepted per listener: %s" % [len(g.lines()) for g in group])
    with open(pg.log, errors="replace") as f:
        races = f.read().count("duplicate key value violates unique constraint")
    print("# unique-key races lost and run again (server log): %d" % races)


def part_restart(d, broker, pg, trust, dev):
    """The server goes away and comes back while orders flow."""
    pg.createdb("rst")
    topic = "pantry/v1/%s/reorder" % dev.name
    tokens = [dev.sign(jose.reorder(dev.name, i + 1, NOW, oid(i, "rst")))
              for i in range(200)]
    lis = Listener(RETAILER, d, "rst", broker.url, "--trust", trust, "--now", NOW_TEXT,
                   "--db", pg.conninfo("rst"), "--group", "rst", "--client-id", "rst")
    check(lis.subscribed(), "subscribes: %s" % lis.log())
    pub_lines(broker, topic, tokens[:50]).wait(timeout=30)
    check(wait_for(lambda: len(lis.lines()) == 50), "50 accepted")
    pg.stop()
    pub_lines(broker, topic, tokens[50:100]).wait(timeout=30)
    check(wait_for(lambda: "cannot record" in lis.log(), 60),
          "with the server stopped it cannot record, and says so: %s" %
          lis.log()[-400:])
    check(len(lis.lines()) == 50, "and accepts nothing meanwhile")
    pg.ctl("start")
    pg.running = True
    check(wait_for(lambda: len(lis.lines()) == 100, 60),
          "the server back, the waiting orders are accepted (%d)" % len(lis.lines()))
    p = pub_lines(broker, topic, tokens[100:])
    wait_for(lambda: len(lis.lines()) >= 110, 60)
    pg.ctl("restart", "-m", "fast")
    p.wait(timeout=60)
    check(wait_for(lambda: len(lis.lines()) == 200, 60),
          "restarted in the middle of a batch: all 200 accepted (%d)" %
          len(lis.lines()))
    check(lis.stop() == 0, "it stops cleanly")
    got = [x["order_id"] for x in lis.lines()]
    check(got == [oid(i, "rst") for i in range(200)],
          "each once, in order: %d lines, %d distinct" % (len(got), len(set(got))))
    rows = pg.sql("rst", "SELECT verdict, count(*), count(handed_off) FROM message "
                  "GROUP BY verdict")
    check(rows == [["accepted", "200", "200"]], "200 accepted rows, handed off: %s" % rows)


def part_tofu_recovery(d, broker, pg):
    """Pins on first use, and the re-offer at start of an order never handed
    off, on PostgreSQL."""
    pg.createdb("tofu")
    db = pg.conninfo("tofu")
    dev, later = jose.Device("pg-tofu"), jose.Device("pg-tofu")
    args = ["--tofu", "--now", NOW_TEXT, "--db", db, "--client-id", "tofu", "--group",
            "tofu"]
    r, w = os.pipe()
    lis = Listener(RETAILER, d, "tofu-dead", broker.url, *args, stdout=w)
    os.close(w)
    check(lis.subscribed(), "tofu listener subscribes: %s" % lis.log())
    os.close(r)  # the reader of its stdout goes away
    pub(broker, "pantry/v1/pg-tofu/key", dev.public_jwk(), retain=True)
    check(wait_for(lambda: "pinned the key of pg-tofu" in lis.log()), "the key is pinned")
    pub(broker, "pantry/v1/pg-tofu/key", later.public_jwk(), retain=True)
    check(wait_for(lambda: "REFUSED a different key for device pg-tofu" in lis.log()),
          "a different later key is refused")
    pub(broker, "pantry/v1/pg-tofu/key", "", retain=True)
    token = dev.sign(jose.reorder("pg-tofu", 1, NOW, oid(1, "tofu")))
    pub(broker, "pantry/v1/pg-tofu/reorder", token)
    check(lis.exited() and lis.proc.returncode == 1,
          "a failed hand-off stops the listener: %s" % lis.log()[-300:])
    check(pg.sql("tofu", "SELECT verdict, handed_off IS NULL FROM message") ==
          [["accepted", "t"]], "recorded, not handed off")
    other = Listener(RETAILER, d, "tofu-other", broker.url, "--tofu", "--db", db,
                     "--client-id", "other", "--group", "other", "--exit-idle", "1")
    check(other.exited() and "1 accepted message(s)" in other.log() and
          other.lines() == [], "another client id counts it, offers nothing: %s" %
          other.log())
    lis = Listener(RETAILER, d, "tofu", broker.url, *(args + ["--exit-idle", "1"]))
    check(lis.exited() and lis.proc.returncode == 0 and
          "offered again 1 accepted message(s)" in lis.log() and
          [x["jws"] for x in lis.lines()] == [token],
          "restarted, it offers the order again: %s" % lis.log())
    check(pg.sql("tofu", "SELECT handed_off FROM message") == [[str(NOW)]],
          "and marks it handed off")


def part_refused(d, broker, pg, trust):
    """A newer schema, and connection strings that lead nowhere."""
    pg.createdb("newer")
    p = subprocess.run([RETAILER, "export", "--db", pg.conninfo("newer"), "--since",
                        NOW_TEXT], capture_output=True, text=True, timeout=30, cwd=d)
    check(p.returncode == 1 and "no pantry-retailer tables" in p.stderr and
          pg.sql("newer", "SELECT to_regclass('schema_version') IS NULL") == [["t"]],
          "export of an empty database fails and creates nothing: %s" % p.stderr)
    lis = Listener(RETAILER, d, "newer", broker.url, "--trust", trust, "--db",
                   pg.conninfo("newer"), "--client-id", "newer", "--exit-idle", "1")
    check(lis.exited() and lis.proc.returncode == 0, "a new database: %s" % lis.log())
    pg.sql("newer", "UPDATE schema_version SET version = 99")
    lis = Listener(RETAILER, d, "newer2", broker.url, "--trust", trust, "--db",
                   pg.conninfo("newer"), "--client-id", "newer")
    check(lis.exited() and lis.proc.returncode == 2 and
          "schema version 99 was made by a newer pantry-retailer (this one knows 4)"
          in lis.log(), "a newer schema is refused: %s" % lis.log())
    check(pg.sql("newer", "SELECT version FROM schema_version") == [["99"]],
          "and left as it was")

    secret = "s3cretPW"
    for db, why in (
            ("host=%s dbname=nothere user=pantry password=%s" % (pg.sock, secret),
             'database "nothere" does not exist'),
            ("host=/nonexistent dbname=x password=%s" % secret, "no answer for 10 s"),
            ("postgresql://pantry:%s@/x?host=/nonexistent" % secret,
             "no answer for 10 s"),
            ("host=/x password=%s 'unended" % secret,
             "not a valid PostgreSQL connection string"),
            ("dbname = x bogus=%s" % secret, "not a valid PostgreSQL connection")):
        lis = Listener(RETAILER, d, "bad", broker.url, "--trust", trust, "--db", db,
                       "--client-id", "bad")
        # A server that does not answer is a failure to try again (status 1,
        # systemd restarts it), not a mistake in the string (2).
        status = 1 if why == "no answer for 10 s" else 2
        check(lis.exited() and lis.proc.returncode == status,
              "%r: status %d" % (db, status))
        log = lis.log()
        check(why in log and secret not in log and "subscribed" not in log and
              str(broker.port) not in log,
              "%r: a clear error, no password, no broker: %s" % (db, log))
        os.unlink(lis.err)
    # What is not a connection string stays a file name.
    lis = Listener(RETAILER, d, "file", broker.url, "--trust", trust, "--db",
                   "hostile=1.db", "--client-id", "file", "--exit-idle", "1")
    check(lis.exited() and lis.proc.returncode == 0 and
          os.path.exists(os.path.join(d, "hostile=1.db")),
          "hostile=1.db is a SQLite file: %s" % lis.log())


p = subprocess.run([RETAILER, "export", "--db", "host=/nonexistent", "--since", NOW_TEXT],
                   capture_output=True, text=True, timeout=30)
if "built without PostgreSQL" in p.stderr:
    print("SKIP: pantry-retailer was built without PostgreSQL (-Dpostgresql=disabled "
          "or no libpq-dev)")
    sys.exit(77)
if why_not() is not None:
    print("SKIP: " + why_not())
    sys.exit(77)

with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    devices = [jose.Device("pg-%d" % i) for i in range(2)]
    for dev in devices:
        dev.write_trust(trust)
    pg = Postgres()
    broker = None
    try:
        pg.start()
        broker = Broker(os.path.join(d, "broker")).start()
        part_same(d, broker, pg, trust, devices[0])
        part_group(d, broker, pg)
        part_restart(d, broker, pg, trust, devices[1])
        part_tofu_recovery(d, broker, pg)
        part_refused(d, broker, pg, trust)
    finally:
        if broker is not None:
            broker.stop()
        pg.cleanup()

done()
