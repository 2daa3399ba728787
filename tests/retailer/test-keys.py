#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The key table of the ledger (retailer/keytab.h) through the real binary, on a
SQLite file (DRIVER sqlite) or a private PostgreSQL (DRIVER pg; skipped with
exit 77 when its binaries are absent), keys made by python3-jwcrypto:

1. `pantry-retailer keys`: add, expect, rotate, revoke, import; `list` output
   compared whole with the lines expected from the keys' own thumbprints and
   the times given with --now; refusals exit 1, bad arguments exit 2, and
   neither changes the ledger (a dump of its tables before and after); a
   ledger of schema version 3 migrated with its rows, a newer one refused;
2. a listener with --enrol on a private mosquitto: a registered device's
   retained key is taken and its order accepted; an unregistered device's key
   refused (a warning naming device and kid) and its order dropped as
   unknown-device; a key of another kid than the registered one refused; an
   expired registration refused; a second key without a registered kid
   refused; a revocation made by `keys revoke` while the listener runs drops
   the next order; a rotation (the new kid registered, the new key published):
   both keys' orders accepted during the overlap, and on the listener's fixed
   clock after it the old key's order dropped with "expired";
3. the --trust files win: a filed device's key in the table is not used, a
   device without a file is served by the table; --rotate-overlap without
   --enrol is bad usage;
4. two listeners on one ledger: a revocation made by the command line counts
   for the next order either of them judges.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-keys.py PANTRY_RETAILER sqlite|pg
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
from checks import check, done, need  # noqa: E402
from checks import wait_for as wait_briefly  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
DRIVER = sys.argv[2]
if DRIVER == "pg":
    need("postgresql-client", programs=["psql"])
import jose  # noqa: E402
from listenlib import Listener, oid, pub  # noqa: E402
from pglib import Postgres, why_not  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000
LATER_TEXT = "2026-10-01T14:00:00Z"  # NOW + 2 h: past a 1 h overlap
LATER = NOW + 7200
EARLY_TEXT = "2026-10-01T11:00:00Z"  # NOW - 1 h
EARLY = NOW - 3600

TABLES = ("SELECT device, kid, jwk, state, valid_from, valid_until, source, added, "
          "revoked FROM device_key ORDER BY device, kid",
          "SELECT device, kid, expires, added FROM enrolment ORDER BY device")


class Ledger:
    """The --db text of a fresh ledger, and a dump of its key tables."""

    def __init__(self, d, name, pg):
        self.pg = pg
        if pg is not None:
            pg.createdb(name)
            self.db = pg.conninfo(name)
            self.name = name
        else:
            self.db = os.path.join(d, name + ".db")

    def dump(self):
        if self.pg is not None:
            return [self.pg.sql(self.name, q) for q in TABLES]
        con = sqlite3.connect(self.db)
        try:
            return [[["" if v is None else str(v) for v in row]
                     for row in con.execute(q)] for q in TABLES]
        finally:
            con.close()


def wait_for(cond):
    """A deadline long enough for a loaded machine (a sanitizer build beside
    other tests); it returns as soon as cond holds."""
    return wait_briefly(cond, 60.0)


def keys(ledger, *args, now=NOW_TEXT):
    return subprocess.run([RETAILER, "keys", "--db", ledger.db, "--now", now] +
                          list(args), capture_output=True, text=True, timeout=60)


def listing(ledger, now=NOW_TEXT):
    p = keys(ledger, "list", now=now)
    check(p.returncode == 0, "keys list: %s" % p.stderr)
    return p.stdout


def jwk_file(d, dev, name=None):
    path = os.path.join(d, (name or dev.kid) + ".jwk")
    with open(path, "w") as f:
        f.write(dev.public_jwk())
    return path


def part_cli(d, ledger):
    print("# the %s ledger: %s" % (DRIVER, ledger.db))
    a1, a2, b = jose.Device("pi-a"), jose.Device("pi-a"), jose.Device("pi-b")
    p = keys(ledger, "add", "pi-a", jwk_file(d, a1))
    check(p.returncode == 0 and "enrolled" in p.stderr, "keys add: %s" % p.stderr)
    p = keys(ledger, "expect", "pi-b", b.kid, "--until", str(NOW + 86400))
    check(p.returncode == 0, "keys expect with a kid and --until: %s" % p.stderr)
    p = keys(ledger, "expect", "pi-c")
    check(p.returncode == 0, "keys expect without a kid: %s" % p.stderr)
    want = ("pi-a\t%s\tvalid\t%d\t-\toperator\t%d\n"
            "pi-b\t%s\texpected\t-\t%d\toperator\t%d\n"
            "pi-c\t-\texpected\t-\t-\toperator\t%d\n" %
            (a1.kid, NOW, NOW, b.kid, NOW + 86400, NOW, NOW))
    got = listing(ledger)
    check(got == want, "keys list after add and expect:\n%s\nwant\n%s" % (got, want))

    # Rotation: the old key counts for the overlap, then is expired.
    p = keys(ledger, "rotate", "pi-a", jwk_file(d, a2), "--overlap", "600",
             now=LATER_TEXT)
    check(p.returncode == 0, "keys rotate: %s" % p.stderr)

    def pi_a(old_state):
        return ("pi-a\t%s\t%s\t%d\t%d\toperator\t%d\n"
                "pi-a\t%s\tvalid\t%d\t-\toperator\t%d\n" %
                (a1.kid, old_state, NOW, LATER + 600, NOW, a2.kid, LATER, LATER))
    tail = ("pi-b\t%s\texpected\t-\t%d\toperator\t%d\n"
            "pi-c\t-\texpected\t-\t-\toperator\t%d\n" % (b.kid, NOW + 86400, NOW, NOW))
    got = listing(ledger, now=LATER_TEXT)
    check(got == pi_a("rotating") + tail, "during the overlap:\n%s" % got)
    got = listing(ledger, now="2026-10-01T14:10:00Z")
    check(got == pi_a("expired") + tail, "after the overlap:\n%s" % got)

    # Revocation; a revoked key is never taken back.
    p = keys(ledger, "revoke", "pi-a", a2.kid, now=LATER_TEXT)
    check(p.returncode == 0 and "revoked" in p.stderr, "keys revoke: %s" % p.stderr)
    got = listing(ledger, now=LATER_TEXT)
    check(("pi-a\t%s\trevoked\t%d\t-\toperator\t%d\n" % (a2.kid, LATER, LATER)) in got,
          "the revoked key is listed so:\n%s" % got)

    # A kid (base64url) or a device id may start with "-": not an option. A
    # word starting with "--" is one (the usage says: none after "--"), so a
    # kid such as "--D8M..." (one in 64 of these) is checked after "--" below.
    dash = jose.Device("-pi-dash")
    while not dash.kid.startswith("-") or dash.kid.startswith("--"):
        dash = jose.Device("-pi-dash")
    p = keys(ledger, "add", "-pi-dash", jwk_file(d, dash))
    check(p.returncode == 0, "keys add of a device id starting with '-': %s" % p.stderr)
    p = keys(ledger, "revoke", "-pi-dash", dash.kid)
    check(p.returncode == 0, "keys revoke of a kid starting with '-' (%s): %s" %
          (dash.kid, p.stderr))
    got = listing(ledger)
    check(got.startswith("-pi-dash\t%s\trevoked\t%d\t-\toperator\t%d\n" %
                         (dash.kid, NOW, NOW)), "listed first, revoked:\n%s" % got)
    # A word starting with "--" is an option, and after "--" no word is: how a
    # kid or a device id such as "--pi-dd" is given. Refused, it changes nothing.
    dd = jose.Device("--pi-dd")
    before = ledger.dump()
    p = keys(ledger, "add", "--pi-dd", jwk_file(d, dd))
    check(p.returncode == 2 and "unknown option '--pi-dd'" in p.stderr and
          ledger.dump() == before,
          "a word starting with -- before --: bad usage (exit 2): %d %s" %
          (p.returncode, p.stderr))
    p = keys(ledger, "add", "--", "--pi-dd", jwk_file(d, dd))
    check(p.returncode == 0, "keys add -- --pi-dd: %s" % p.stderr)
    p = keys(ledger, "revoke", "--", "--pi-dd", dd.kid)
    check(p.returncode == 0 and "--pi-dd\t%s\trevoked" % dd.kid in listing(ledger),
          "keys revoke -- --pi-dd KID: %s" % p.stderr)

    # Import of a trust folder: all or none.
    trust = os.path.join(d, "trust-" + os.path.basename(ledger.db)[-8:])
    os.mkdir(trust)
    t1, t2 = jose.Device("pi-t1"), jose.Device("pi-t2")
    t1.write_trust(trust)
    t2.write_trust(trust)
    jwk_file(trust, a2, "pi-a")  # revoked: the whole import is refused
    before = ledger.dump()
    p = keys(ledger, "import", trust)
    check(p.returncode == 1 and "revoked" in p.stderr,
          "an import with a revoked key is refused (exit 1): %d %s" %
          (p.returncode, p.stderr))
    check(ledger.dump() == before, "and nothing of it is taken")
    os.unlink(os.path.join(trust, "pi-a.jwk"))
    p = keys(ledger, "import", trust)
    check(p.returncode == 0 and "imported 2 key(s)" in p.stderr,
          "keys import: %s" % p.stderr)
    got = listing(ledger)
    for dev in (t1, t2):
        check(("%s\t%s\tvalid\t%d\t-\timported\t%d\n" % (dev.name, dev.kid, NOW, NOW))
              in got, "%s imported:\n%s" % (dev.name, got))

    # Refusals (exit 1) and bad usage (exit 2) change nothing.
    bad_jwk = os.path.join(d, "bad.jwk")
    with open(bad_jwk, "w") as f:
        f.write('{"kty":"OKP","crv":"Ed25519","x":"short"}')
    private = os.path.join(d, "private.jwk")
    with open(private, "w") as f:
        f.write(a1.key.export_private())
    before = ledger.dump()
    for args, status, words in (
            (["add", "pi-t1", jwk_file(d, jose.Device("x"))], 1, "has a valid key"),
            (["add", "pi-a", jwk_file(d, a2)], 1, "revoked"),
            (["revoke", "pi-a", b.kid], 1, "has no key"),
            (["rotate", "pi-zz", jwk_file(d, b)], 1, "no valid key"),
            (["add", "bad id", jwk_file(d, b)], 2, "DEVICE"),
            (["add", "x" * 64, jwk_file(d, b)], 2, "DEVICE"),
            (["add", "pi-q", bad_jwk], 2, "JWKFILE"),
            (["add", "pi-q", private], 2, "JWKFILE"),
            (["add", "pi-q", os.path.join(d, "missing.jwk")], 2, "JWKFILE"),
            (["add", "pi-q"], 2, "DEVICE JWKFILE"),
            (["revoke", "pi-a", "short"], 2, "KID"),
            (["revoke", "pi-a", a1.kid + "A"], 2, "KID"),
            (["revoke", "pi-a", a1.kid[:-1] + "="], 2, "KID"),
            (["expect", "pi-q", "--until", "12x"], 2, "--until"),
            (["expect", "pi-q", "--until", str(NOW - 1)], 2, "--until"),
            (["expect", "pi-q", "--until", "-5"], 2, "--until"),
            (["revoke", "pi-a", a1.kid, "--until", str(NOW + 5)], 2, "--until"),
            (["rotate", "pi-a", jwk_file(d, b), "--overlap", "1d"], 2, "--overlap"),
            (["frobnicate"], 2, "unknown command"),
            ([], 2, "a command is needed"),
            (["list", "extra"], 2, "no arguments"),
            (["import", os.path.join(d, "no-such-dir")], 2, "DIR")):
        p = keys(ledger, *args)
        check(p.returncode == status and words in p.stderr,
              "keys %s: exit %d (want %d), %r" % (args, p.returncode, status,
                                                   p.stderr[:300]))
    check(ledger.dump() == before, "refusals and bad arguments change nothing")


def part_migrate(d, ledger):
    """A ledger of schema version 3 (the version before the key table) keeps
    its rows and gains the tables; a newer version is refused."""
    dev = jose.Device("pi-m")
    p = keys(ledger, "expect", "pi-m")  # makes the ledger at the current version
    check(p.returncode == 0, "a new ledger: %s" % p.stderr)
    to_v3 = ["DROP TABLE device_key", "DROP TABLE enrolment",
             "INSERT INTO pin (device, jwk, kid, pinned) VALUES ('pi-m', '%s', '%s', %d)"
             % (dev.public_jwk(), dev.kid, NOW),
             "INSERT INTO device (device, last_seq) VALUES ('pi-m', 7)"]
    if ledger.pg is not None:
        for q in to_v3 + ["UPDATE schema_version SET version = 3"]:
            ledger.pg.sql(ledger.name, q)
    else:
        con = sqlite3.connect(ledger.db)
        for q in to_v3 + ["PRAGMA user_version = 3"]:
            con.execute(q)
        con.commit()
        con.close()
    got = listing(ledger)
    check(got == "", "a version-3 ledger lists no keys: %r" % got)
    if ledger.pg is not None:
        version = ledger.pg.sql(ledger.name, "SELECT version FROM schema_version")
        kept = ledger.pg.sql(ledger.name, "SELECT device, kid FROM pin") + \
            ledger.pg.sql(ledger.name, "SELECT device, last_seq FROM device")
        version = int(version[0][0])
    else:
        con = sqlite3.connect(ledger.db)
        version = con.execute("PRAGMA user_version").fetchone()[0]
        kept = [list(map(str, r)) for r in con.execute("SELECT device, kid FROM pin")]
        kept += [list(map(str, r)) for r in
                 con.execute("SELECT device, last_seq FROM device")]
        con.close()
    check(version == 4, "migrated to version 4: %s" % version)
    check(kept == [["pi-m", dev.kid], ["pi-m", "7"]], "its rows kept: %s" % kept)
    check(ledger.dump() == [[], []], "and the key tables are there, empty")
    if ledger.pg is not None:
        ledger.pg.sql(ledger.name, "UPDATE schema_version SET version = 5")
    else:
        con = sqlite3.connect(ledger.db)
        con.execute("PRAGMA user_version = 5")
        con.commit()
        con.close()
    p = keys(ledger, "add", "pi-m", jwk_file(d, dev))
    check(p.returncode == 1 and "schema version 5 was made by a newer" in p.stderr,
          "a ledger of a newer version is refused: %d %s" % (p.returncode, p.stderr))


def order(broker, dev, seq, iat):
    pub(broker, "pantry/v1/%s/reorder" % dev.name,
        dev.sign(jose.reorder(dev.name, seq, iat, oid(seq, dev.name))))


def accepted(lis, dev, seq):
    return any(x.get("device") == dev.name and x.get("order_id") == oid(seq, dev.name)
               for x in lis.lines())


def part_enrol(d, broker, ledger):
    e1, x, e2, wrong, e3, e3b, late, extra = (
        jose.Device("pi-e1"), jose.Device("pi-x"), jose.Device("pi-e2"),
        jose.Device("pi-e2"), jose.Device("pi-e3"), jose.Device("pi-e3"),
        jose.Device("pi-late"), jose.Device("pi-e1"))
    for args, now in ((["pi-e1"], NOW_TEXT), (["pi-e2", e2.kid], NOW_TEXT),
                      (["pi-e3"], NOW_TEXT),
                      (["pi-late", "--until", str(NOW - 60)], EARLY_TEXT)):
        p = keys(ledger, "expect", *args, now=now)
        check(p.returncode == 0, "register %s: %s" % (args, p.stderr))
    p = subprocess.run([RETAILER, "listen", "--url", broker.url, "--enrol", "--tofu",
                        "--db", ledger.db], capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "exclude each other" in p.stderr,
          "--enrol with --tofu is bad usage: %d %s" % (p.returncode, p.stderr))
    lis = Listener(RETAILER, d, "enrol-" + DRIVER, broker.url, "--enrol",
                   "--rotate-overlap", "1h", "--now", NOW_TEXT, "--db", ledger.db,
                   "--client-id", "enrol", "--group", "enrol-" + DRIVER)
    check(lis.subscribed(), "the --enrol listener subscribes: %s" % lis.log())
    check("(and +/key)" in lis.log(), "and subscribes to the key topic")

    pub(broker, "pantry/v1/pi-e1/key", e1.public_jwk(), retain=True)
    check(wait_for(lambda: "enrolled the key of pi-e1 from its key topic: kid %s" %
                   e1.kid in lis.log()), "a registered device's key is taken")
    order(broker, e1, 1, NOW)
    check(wait_for(lambda: accepted(lis, e1, 1)), "its order is accepted: %s" % lis.log())

    pub(broker, "pantry/v1/pi-x/key", x.public_jwk(), retain=True)
    check(wait_for(lambda: "REFUSED the key of device pi-x (kid %s): device pi-x is "
                   "not registered" % x.kid in lis.log()),
          "an unregistered device's key is refused, naming device and kid")
    order(broker, x, 1, NOW)
    check(wait_for(lambda: "reorder of pi-x dropped, not answered (unknown-device)"
                   in lis.log()), "and its order is unknown-device")

    pub(broker, "pantry/v1/pi-e2/key", wrong.public_jwk(), retain=True)
    check(wait_for(lambda: "REFUSED the key of device pi-e2 (kid %s): device pi-e2 is "
                   "registered for kid %s" % (wrong.kid, e2.kid) in lis.log()),
          "a key of another kid than the registered one is refused")
    order(broker, wrong, 1, NOW)
    check(wait_for(lambda: "reorder of pi-e2 dropped, not answered (unknown-device)"
                   in lis.log()), "and its order is unknown-device")

    pub(broker, "pantry/v1/pi-late/key", late.public_jwk(), retain=True)
    check(wait_for(lambda: "REFUSED the key of device pi-late (kid %s): the "
                   "registration of device pi-late expired" % late.kid in lis.log()),
          "an expired registration is refused")

    # A second key for an enrolled device, its kid not registered: refused.
    pub(broker, "pantry/v1/pi-e1/key", extra.public_jwk(), retain=True)
    check(wait_for(lambda: "REFUSED the key of device pi-e1 (kid %s): device pi-e1 is "
                   "not registered" % extra.kid in lis.log()),
          "a new key of an enrolled device without a registration is refused: %s" %
          lis.log())
    dump = ledger.dump()
    check(not any(r[0] in ("pi-x", "pi-late") or r[1] in (wrong.kid, extra.kid)
                  for r in dump[0]), "no refused key is in the table: %s" % dump[0])

    # A revocation made while the listener runs counts from the next order.
    p = keys(ledger, "revoke", "pi-e1", e1.kid)
    check(p.returncode == 0, "keys revoke while listening: %s" % p.stderr)
    order(broker, e1, 2, NOW)
    check(wait_for(lambda: "reorder of pi-e1 dropped, not answered (unknown-device): "
                   "key %s of device pi-e1 was revoked" % e1.kid in lis.log()),
          "the revoked key's next order is dropped, saying so: %s" % lis.log())
    check(not accepted(lis, e1, 2), "and not accepted")

    # Rotation through the key topic: the new kid registered first.
    pub(broker, "pantry/v1/pi-e3/key", e3.public_jwk(), retain=True)
    check(wait_for(lambda: "enrolled the key of pi-e3" in lis.log()), "pi-e3 enrolled")
    check(keys(ledger, "expect", "pi-e3", e3b.kid).returncode == 0,
          "register pi-e3's new kid")
    pub(broker, "pantry/v1/pi-e3/key", e3b.public_jwk(), retain=True)
    check(wait_for(lambda: "rotated the key of pi-e3 from its key topic: kid %s" %
                   e3b.kid in lis.log()), "the registered new key is a rotation")
    order(broker, e3, 1, NOW)
    check(wait_for(lambda: accepted(lis, e3, 1)), "the old key counts in the overlap")
    order(broker, e3b, 2, NOW)
    check(wait_for(lambda: accepted(lis, e3b, 2)), "and the new one too")
    lis.stop()

    # After the overlap (the listener's fixed clock 2 h on): the old key is out.
    lis = Listener(RETAILER, d, "enrol-later-" + DRIVER, broker.url, "--enrol",
                   "--now", LATER_TEXT, "--db", ledger.db, "--client-id", "enrol-later",
                   "--group", "enrol-later-" + DRIVER)
    check(lis.subscribed(), "a listener 2 h later")
    order(broker, e3, 3, LATER)
    check(wait_for(lambda: "reorder of pi-e3 dropped, not answered (unknown-kid): key "
                   "%s of device pi-e3 expired at %d (rotated out)" % (e3.kid, NOW + 3600)
                   in lis.log()), "after the overlap the old key's order is dropped: %s"
          % lis.log())
    order(broker, e3b, 4, LATER)
    check(wait_for(lambda: accepted(lis, e3b, 4)), "the new key's order is accepted")
    check(not accepted(lis, e3, 3), "the old key's is not")
    lis.stop()
    for dev in ("pi-e1", "pi-x", "pi-e2", "pi-late", "pi-e3"):
        pub(broker, "pantry/v1/%s/key" % dev, "", retain=True)


def part_files(d, broker, ledger):
    """A device with a --trust file is judged by the file alone, whatever the
    key table holds for it; the table serves the devices the files do not
    name."""
    trust = os.path.join(d, "files-" + DRIVER)
    os.mkdir(trust)
    filed, tabled, other = (jose.Device("pi-f"), jose.Device("pi-f"),
                            jose.Device("pi-g"))
    filed.write_trust(trust)
    check(keys(ledger, "add", "pi-f", jwk_file(d, tabled)).returncode == 0, "add pi-f")
    check(keys(ledger, "add", "pi-g", jwk_file(d, other)).returncode == 0, "add pi-g")
    p = subprocess.run([RETAILER, "listen", "--url", broker.url, "--rotate-overlap",
                        "1h", "--db", ledger.db], capture_output=True, text=True,
                       timeout=60)
    check(p.returncode == 2 and "--rotate-overlap needs --enrol" in p.stderr,
          "--rotate-overlap without --enrol is bad usage: %s" % p.stderr)
    lis = Listener(RETAILER, d, "files-" + DRIVER, broker.url, "--trust", trust,
                   "--now", NOW_TEXT, "--db", ledger.db, "--client-id", "files",
                   "--group", "files-" + DRIVER)
    check(lis.subscribed(), "a listener with --trust")
    order(broker, tabled, 1, NOW)
    check(wait_for(lambda: "reorder of pi-f dropped, not answered (unknown-kid)" in
                   lis.log()), "the table's key of a filed device is not used: %s" %
          lis.log())
    order(broker, filed, 2, NOW)
    check(wait_for(lambda: accepted(lis, filed, 2)), "the file's key is")
    order(broker, other, 1, NOW)
    check(wait_for(lambda: accepted(lis, other, 1)),
          "the table serves a device without a file")
    # A header kid that cannot be a thumbprint matches no key (and is not sent
    # to the database: a text its encoding refuses would stall the message).
    pub(broker, "pantry/v1/pi-g/reorder",
        other.sign(jose.reorder("pi-g", 2, NOW, oid(2, "pi-g")), kid="k\u00e9y\u2603"))
    check(wait_for(lambda: "reorder of pi-g dropped, not answered (unknown-kid): kid "
                   "\"k\u00e9y\u2603\" is not a key of device pi-g" in lis.log()),
          "a kid of another form is unknown-kid: %s" % lis.log())
    check(not accepted(lis, tabled, 1), "the table's pi-f order was not accepted")
    lis.stop()


def part_two(d, broker, ledger):
    """Two listeners, one ledger, one share group: a revocation by the command
    line counts for whichever judges the next order."""
    dev = jose.Device("pi-two")
    check(keys(ledger, "add", "pi-two", jwk_file(d, dev)).returncode == 0, "add pi-two")
    group = [Listener(RETAILER, d, "two%d-%s" % (i, DRIVER), broker.url, "--now",
                      NOW_TEXT, "--db", ledger.db, "--client-id", "two%d" % i,
                      "--group", "two-" + DRIVER) for i in range(2)]
    check(all(g.subscribed() for g in group), "two listeners subscribe")
    for s in range(1, 5):
        order(broker, dev, s, NOW)
        check(wait_for(lambda: any(accepted(g, dev, s) for g in group)),
              "order %d accepted by one of the two" % s)
    p = keys(ledger, "revoke", "pi-two", dev.kid)
    check(p.returncode == 0, "revoke pi-two: %s" % p.stderr)
    for s in range(5, 9):
        order(broker, dev, s, NOW)
    check(wait_for(lambda: sum(g.log().count("reorder of pi-two dropped, not answered "
                                             "(unknown-device): key %s of device "
                                             "pi-two was revoked" % dev.kid)
                               for g in group) == 4),
          "all 4 orders after the revocation dropped by the two: %s" %
          [g.log() for g in group])
    check(not any(accepted(g, dev, s) for g in group for s in range(5, 9)),
          "none of them accepted")
    print("# dropped after the revocation, by listener: %s" %
          [g.log().count("reorder of pi-two dropped") for g in group])
    for g in group:
        check(g.stop() == 0, "a listener stops cleanly")


with tempfile.TemporaryDirectory() as d:
    pg = None
    if DRIVER == "pg":
        why = why_not()
        if why is not None:
            print("SKIP: %s" % why)
            sys.exit(77)
        pg = Postgres()
    broker = None
    try:
        if pg is not None:
            pg.start()
        broker = Broker(os.path.join(d, "broker")).start()
        part_cli(d, Ledger(d, "cli", pg))
        part_migrate(d, Ledger(d, "migrate", pg))
        part_enrol(d, broker, Ledger(d, "enrol", pg))
        part_files(d, broker, Ledger(d, "files", pg))
        part_two(d, broker, Ledger(d, "two", pg))
    finally:
        if broker is not None:
            broker.stop()
        if pg is not None:
            pg.cleanup()

done()
