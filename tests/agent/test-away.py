#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantryctl away (issue 14): an away period set at run time through the
daemon's control socket is kept in the store and planned with. A simulated
shelf (make-shelf, starting tomorrow, so the period lies ahead) is copied
twice. In both copies the daemon runs live for a moment on a fake sysfs tree
(the same start for both); in one, pantryctl away adds a period from half a
day after the plain copy's first predicted order, for a fortnight, and the
daemon is restarted: the period is still listed (pantryctl away, pantryctl
wishes). Then both copies replay the shelf's trace into their store: with the
period, no first order goes out later, at least one earlier, and the orders
made before it ends carry it in their wishes, as with a configured period
(test-plan-windows). Bad arguments are refused naming the argument (exit 2),
a refusal of the daemon is exit 1, and neither changes the stored periods;
the ninth period in all is refused, though a stored one that has ended
does not count (it goes with the next add); --remove removes one.

usage: test-away.py AGENT PANTRYCTL MAKE_SHELF
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import call, check, done, jws_parts, put, wait_for  # noqa: E402

AGENT, PANTRYCTL, MAKE_SHELF = sys.argv[1], sys.argv[2], sys.argv[3]
CHANNELS = ("rice", "coffee", "flour")


def local(t):
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))  # TZ=UTC


def copy_shelf(src, dst):
    shutil.copytree(src, dst)
    conf = os.path.join(dst, "pantry-agent.conf")
    with open(conf) as f:
        text = f.read().replace(src, dst)
    with open(conf, "w") as f:
        f.write(text)
    for ch in CHANNELS:
        dev = os.path.join(dst, "sys", "iio:device%d" % CHANNELS.index(ch))
        os.makedirs(dev)
        put(os.path.join(dev, "name"), "hx711\n")
        put(os.path.join(dev, "label"), "shelf-%s\n" % ch)
        put(os.path.join(dev, "in_voltage0_raw"), "300000\n")
    return conf


def env_of(d):
    return dict(os.environ, TZ="UTC",
                PANTRY_IIO_SYSFS_ROOT=os.path.join(d, "sys"))


class Daemon:
    def __init__(self, d):
        self.d = d
        self.log = open(os.path.join(d, "daemon.log"), "a")
        self.p = subprocess.Popen([AGENT, "--config",
                                   os.path.join(d, "pantry-agent.conf"),
                                   "--foreground"], env=env_of(d),
                                  stdout=self.log, stderr=self.log)
        sock = os.path.join(d, "control.sock")
        up = wait_for(lambda: self.p.poll() is not None or os.path.exists(sock), 30)
        check(up and self.p.poll() is None, "the daemon runs live in %s" % d)

    def stop(self):
        self.p.terminate()
        self.p.wait(timeout=30)
        self.log.close()
        check(self.p.returncode == 0, "the daemon stopped: %d" % self.p.returncode)


def ctl(d, *args):
    return subprocess.run([PANTRYCTL, "--config", os.path.join(d, "pantry-agent.conf")]
                          + list(args), capture_output=True, text=True, timeout=60,
                          env=env_of(d))


def stored(d):
    db = sqlite3.connect(os.path.join(d, "pantry.db"))
    rows = db.execute("SELECT from_ms, until_ms, before FROM away ORDER BY id").fetchall()
    db.close()
    return rows


def replay(d):
    r = subprocess.run([AGENT, "--config", os.path.join(d, "pantry-agent.conf"),
                        "--replay", os.path.join(d, "shelf.trace")],
                       capture_output=True, text=True, timeout=600, env=env_of(d))
    check(r.returncode == 0, "replay: " + r.stderr[-500:])
    db = sqlite3.connect(os.path.join(d, "pantry.db"))
    orders = [jws_parts(m)[1] for (m,) in db.execute(
        "SELECT message FROM orders WHERE message IS NOT NULL ORDER BY seq")]
    db.close()
    first = {}
    for o in orders:
        if o["reason"] == "predicted":
            first.setdefault(o["item"]["id"], o)
    return orders, first


with tempfile.TemporaryDirectory() as tmp:
    shelf = os.path.join(tmp, "shelf")
    os.mkdir(shelf)
    start = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 86400))
    subprocess.run([MAKE_SHELF, "--seed", "8", "--days", "40", "--channels", "3",
                    "--dir", shelf, "--idle-ms", "30000", "--start", start],
                   check=True, timeout=300)
    plain, away = os.path.join(tmp, "plain"), os.path.join(tmp, "away")
    copy_shelf(shelf, plain)
    copy_shelf(shelf, away)

    Daemon(plain).stop()
    _, a = replay(plain)
    check(len(a) >= 2, "the plain replay orders: %s" % sorted(a))
    t_first = min(o["iat"] for o in a.values())
    away_from = (t_first + 43200) // 60 * 60
    away_until = away_from + 14 * 86400

    d = Daemon(away)
    r = ctl(away, "away")
    check(r.returncode == 0 and r.stdout == "away: none\n", "no period yet: %r %s"
          % (r.stdout, r.stderr))
    bad = [
        (("--from", "2027-13-01", "--until", local(away_until)), "--from: expected"),
        (("--from", local(away_from), "--until", "tomorrow"), "--until: expected"),
        (("--from", local(away_from), "--until", local(away_from)),
         "--until: expected a time after --from"),
        (("--from", "2020-01-01", "--until", "2020-01-02"), "--until: '2020-01-02' "
         "has passed"),
        (("--from", local(away_from)), "--from needs --until"),
        (("--until", local(away_until)), "--until needs --from"),
        (("--from", local(away_from), "--until", local(away_until), "--arrive",
          "soon"), "--arrive: expected after or before, found 'soon'"),
        (("--remove", "1", "--from", local(away_from)), "--remove takes no"),
        (("--remove", "x"), "--remove: expected"),
    ]
    for args, msg in bad:
        r = ctl(away, "away", *args)
        check(r.returncode == 2 and msg in r.stderr, "away %s: exit %d %r"
              % (" ".join(args), r.returncode, r.stderr))
    # pantryctl refused goes to the same daemon: no order is open yet (exit 1,
    # the daemon's reason); a bad --reason never leaves pantryctl (exit 2).
    r = ctl(away, "refused", "rice", "--reason", "wrong brand")
    check(r.returncode == 1 and "refused refused (EPERM): rice: no open order" in
          r.stderr, "refused, nothing open: %d %r" % (r.returncode, r.stderr))
    r = ctl(away, "--json", "refused", "rice")
    j = json.loads(r.stdout) if r.stdout else {}
    check(r.returncode == 1 and j.get("ok") is False and j.get("error") == "EPERM" and
          j.get("command") == "refused" and j.get("item") == "rice" and
          j.get("reason") is None, "refused --json: %d %r" % (r.returncode, r.stdout))
    for args, msg in ((("--reason", ""), "--reason: expected 1 to 120 bytes"),
                      (("--reason", "x" * 121), "--reason: expected 1 to 120 bytes"),
                      (("--reason", "a\tb"), "--reason: control character 0x09"),
                      (("--remove", "1"), "refused takes no --remove")):
        r = ctl(away, "refused", "rice", *args)
        check(r.returncode == 2 and msg in r.stderr, "refused %s: %d %r"
              % (args, r.returncode, r.stderr))
    # The daemon checks too: a period that has ended, straight on the socket.
    ans = call(os.path.join(away, "control.sock"),
               {"cmd": "away", "from": 1000, "until": 2000})
    check(not ans["ok"] and ans["error"] == "EINVAL" and "has passed" in ans["message"],
          "the daemon refuses an ended period: %s" % ans)
    ans = call(os.path.join(away, "control.sock"),
               {"cmd": "away", "from": 1000, "until": 2000, "place": "x"})
    check(not ans["ok"] and ans["error"] == "EINVAL" and "unknown key" in ans["message"],
          "the daemon refuses an unknown key: %s" % ans)
    r = ctl(away, "away", "--remove", "99")
    check(r.returncode == 1 and "ENOENT" in r.stderr, "removing no period: %d %r"
          % (r.returncode, r.stderr))
    check(stored(away) == [], "the refusals stored nothing: %s" % stored(away))

    r = ctl(away, "away", "--from", local(away_from), "--until", local(away_until))
    check(r.returncode == 0 and r.stdout.startswith("away period 1: "),
          "away adds: %d %r %r" % (r.returncode, r.stdout, r.stderr))
    # Up to 8 in all: 7 more fit, the ninth is refused.
    for k in range(7):
        r = ctl(away, "away", "--from", local(away_until + 86400 * (k + 1)),
                "--until", local(away_until + 86400 * (k + 1) + 3600),
                "--arrive", "before")
        check(r.returncode == 0, "period %d: %r" % (k + 2, r.stderr))
    r = ctl(away, "away", "--from", local(away_until + 86400 * 9),
            "--until", local(away_until + 86400 * 10))
    check(r.returncode == 1 and "ENOSPC" in r.stderr, "the ninth is refused: %d %r"
          % (r.returncode, r.stderr))
    check(len(stored(away)) == 8, "8 stored: %s" % stored(away))
    for k in range(7):
        r = ctl(away, "away", "--remove", str(k + 2))
        check(r.returncode == 0 and "removed" in r.stdout, "remove %d: %r"
              % (k + 2, r.stderr))
    check(stored(away) == [(away_from * 1000, away_until * 1000, 0)],
          "one left, as given: %s" % stored(away))
    d.stop()

    # A stored period that has ended does not count against the 8, and goes
    # with the next add.
    db = sqlite3.connect(os.path.join(away, "pantry.db"))
    db.execute("INSERT INTO away (from_ms, until_ms, before, created_ms) "
               "VALUES (1577836800000, 1577923200000, 0, 0)")
    db.commit()
    db.close()
    d = Daemon(away)
    ids = []
    for k in range(7):
        r = ctl(away, "away", "--from", local(away_until + 86400 * (k + 1)),
                "--until", local(away_until + 86400 * (k + 1) + 3600))
        check(r.returncode == 0 and r.stdout.startswith("away period "),
              "with an ended one stored, period %d: %r" % (k + 2, r.stderr))
        if r.returncode == 0:
            ids.append(r.stdout.split()[2].rstrip(":"))
    check(len(stored(away)) == 8 and
          all(u > 1577923200000 for (_, u, _) in stored(away)),
          "the ended one went with the add: %s" % stored(away))
    for i in ids:
        r = ctl(away, "away", "--remove", i)
        check(r.returncode == 0, "remove %s: %r" % (i, r.stderr))
    d.stop()

    d = Daemon(away)
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(away_from))
    stamp_until = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(away_until))
    r = ctl(away, "--json", "away")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    check(j.get("away") == [{"id": 1, "from": stamp, "until": stamp_until,
                             "arrive": "after", "configured": False}],
          "kept across a restart: %r %r" % (r.stdout, r.stderr))
    r = ctl(away, "away")
    check(r.stdout == "1    %s until %s, deliveries after\n" % (stamp, stamp_until),
          "listed: %r" % r.stdout)
    d.stop()
    r = ctl(away, "--json", "wishes")
    j = json.loads(r.stdout) if r.returncode == 0 else {}
    check(j.get("away") == [{"from": stamp, "until": stamp_until}],
          "pantryctl wishes shows it: %r %r" % (r.stdout, r.stderr))

    orders_c, c = replay(away)

earlier = 0
for item in sorted(a):
    if item not in c:
        continue
    check(c[item]["iat"] <= a[item]["iat"], "%s: the away period never delays the "
          "first order" % item)
    earlier += c[item]["iat"] < a[item]["iat"]
    print("# %s: first order %+.1f h with the away period"
          % (item, (c[item]["iat"] - a[item]["iat"]) / 3600))
check(earlier >= 1, "an away period over the runout makes an order go out earlier")
for o in orders_c:
    want = [] if o["iat"] >= away_until else [
        {"from": stamp, "until": stamp_until, "arrive": "after"}]
    check(o["wishes"]["delivery"]["away"] == want,
          "the order carries the away period: %s" % o["wishes"]["delivery"])
done()
