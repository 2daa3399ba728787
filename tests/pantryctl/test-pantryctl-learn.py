#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantryctl policy and reset-learning (agent/pipeline/learn.h) against a real store.

make-store writes a model state whose adj.* fields (what the policy learnt
from corrections) and audit lines ("learn: ...") are chosen here; `policy`
must show them, in words and in --json, with the numbers worked out here. A
model saved before learning existed (no adj.* fields) reads as nothing learnt;
an item configured with learn = false says so.
`reset-learning ITEM` must send exactly {"cmd":"reset-learning","item":ITEM}
to the daemon's socket (a fake one here) and print its answer; an unknown item
is a usage error, and nothing listening is exit 3.

Usage: test-pantryctl-learn.py PANTRYCTL MAKE_STORE
"""
import calendar
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done  # noqa

TOOL, MAKE_STORE = sys.argv[1], sys.argv[2]
WRAP = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
ENV = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
NOW_TEXT = "2024-05-14T12:00:00Z"
NOW_MS = calendar.timegm(time.strptime(NOW_TEXT, "%Y-%m-%dT%H:%M:%SZ")) * 1000
DAY_S = 86400
# rice: ordered by hand on 3 May 2024 12:00 UTC, 3.6 days before the plan's point
# (half of it learnt: +1.8 days), after a stockout (+0.5 day, +10 % size).
LAST_S = calendar.timegm((2024, 5, 3, 12, 0, 0))
SHIFT_S = DAY_S // 2 + 155520  # 0.5 + 1.8 days = 198720 s = 2.3 days
MODEL = ("pantry-model 2|adj.shift_s=%d|adj.size_bp=11000|adj.streak=0|adj.ask_first=0"
         "|adj.events=2|adj.last_t_s=%d|adj.last_kind=3|adj.last_delta_s=155520"
         % (SHIFT_S, LAST_S))

# oats: three predicted orders cancelled, the last on 3 May: orders with at most
# 6 days of use left (a ceiling, models/adjust.h), one of them in a row.
OATS = ("pantry-model 2|adj.ceil_s=%d|adj.streak=1|adj.events=3|adj.last_t_s=%d"
        "|adj.last_kind=0|adj.last_delta_s=-43200" % (6 * DAY_S, LAST_S))

tmp = tempfile.mkdtemp(prefix="pctl-learn-")
try:
    STORE = os.path.join(tmp, "pantry.db")
    SOCK = os.path.join(tmp, "ctl.sock")
    CONF = os.path.join(tmp, "pantry.conf")
    commands = [
        "item rice 0 Basmati rice",
        "item coffee 1 Coffee beans",
        "item oats 2 Rolled oats",
        "modeltext oats %d %s" % (NOW_MS - 3600000, OATS),
        "modeltext rice %d %s" % (NOW_MS - 3600000, MODEL),
        # coffee: a model saved before learning existed
        "modeltext coffee %d pantry-model 2|lead.n=2" % (NOW_MS - 3600000),
        "audit %d rice learn: stockout: reorder point +0.5 days (now +0.5 days), "
        "order size 110 %%" % (NOW_MS - 20 * DAY_S * 1000),
        "audit %d rice learn: manual rice-42: reorder point +1.8 days (now +2.3 days), "
        "order size 110 %%" % (LAST_S * 1000),
        "audit %d rice order rice-42 queued" % (LAST_S * 1000 + 1),
    ]
    r = subprocess.run(WRAP + [MAKE_STORE, STORE], input="\n".join(commands) + "\n",
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        print("make-store failed:", r.stderr, file=sys.stderr)
        sys.exit(1)
    with open(CONF, "w") as f:
        f.write("""device_id = "test-shelf";
store_path = "%s";
control_socket = "%s";
key_path = "%s";
channels = (
    { name = "a"; iio = { device = "iio:device0"; input = 0; }; },
    { name = "b"; iio = { device = "iio:device0"; input = 1; }; },
    { name = "c"; iio = { device = "iio:device0"; input = 2; }; }
);
items = (
    { id = "rice"; name = "Basmati rice"; channel = "a"; pack = 2000; },
    { id = "coffee"; name = "Coffee beans"; channel = "b"; pack = 1000; learn = false; },
    { id = "oats"; name = "Rolled oats"; channel = "c"; pack = 500; }
);
""" % (STORE, SOCK, os.path.join(tmp, "device.key")))

    def run(args):
        return subprocess.run(WRAP + [TOOL, "--config", CONF, "--now", NOW_TEXT] + args,
                              capture_output=True, text=True, timeout=60, env=ENV)

    # ---- policy, in words ----
    r = run(["policy"])
    check(r.returncode == 0, "policy: %r" % r.stderr)
    out = r.stdout
    check("rice\n  ordering about 2 days earlier and 10 % more since you ordered by "
          "hand on 3 May\n" in out, "policy: the reason line: %r" % out)
    check("reorder point +2.3 days, order size 110 %, predicted orders go as "
          "configured, 2 correction(s)" in out, "policy: the numbers: %r" % out)
    check("oats\n  ordering with at most about 6 days of use left since you cancelled "
          "an order on 3 May\n  reorder point +0.0 days (orders with at most 6.0 days "
          "of use left), order size 100 %" in out, "policy: a ceiling: %r" % out)
    # the trail: learn lines only, newest first, without the prefix
    i = out.find("2024-05-03 12:00  manual rice-42")
    j = out.find("2024-04-24 12:00  stockout:")
    check(0 < i < j, "policy: the trail, newest first: %r" % out)
    check("order rice-42 queued" not in out, "policy: other audit lines left out")
    check("coffee\n  nothing learnt from corrections\n  learning off for this item "
          "(configuration)\n" in out, "policy: an older model learnt nothing, and "
          "coffee's learn = false is said: %r" % out)
    check(out.count("learning off") == 1, "policy: rice learns: %r" % out)
    # ---- status says the same in one line (the store: no daemon runs) ----
    r = run(["status"])
    check(r.returncode == 0 and "\n  learnt    ordering about 2 days earlier and 10 % "
          "more since you ordered by hand on 3 May\n" in r.stdout,
          "status: the learnt line: %r" % r.stdout)
    check("coffee" in r.stdout and r.stdout.count("  learnt    ") == 2 and
          "\n  learnt    ordering with at most about 6 days of use left since you "
          "cancelled an order on 3 May\n" in r.stdout,
          "status: no learnt line for coffee, oats' ceiling: %r" % r.stdout)
    r = run(["status", "--json"])
    try:
        items = {i["id"]: i for i in json.loads(r.stdout)["items"]}
        check(items["rice"]["learnt"].startswith("ordering about 2 days earlier") and
              items["coffee"]["learnt"] is None, "status --json learnt: %r" % items)
    except (ValueError, KeyError, TypeError, AttributeError) as e:
        check(False, "status --json: %r (%s)" % (r.stdout, e))
    r = run(["policy", "rice", "--limit", "1"])
    check(r.returncode == 0 and "manual rice-42" in r.stdout and
          "stockout:" not in r.stdout, "policy --limit 1: %r" % r.stdout)
    r = run(["policy", "tea"])
    check(r.returncode == 2 and "tea" in r.stderr, "policy: unknown item: %r" % r.stderr)

    # ---- policy --json ----
    r = run(["policy", "--json"])
    check(r.returncode == 0, "policy --json: %r" % r.stderr)
    try:
        j = json.loads(r.stdout)
    except ValueError:
        check(False, "policy --json: not JSON: %r" % r.stdout)
        sys.exit(done())
    rice, coffee, oats = j["items"]
    check(oats["ceiling_s"] == 6 * DAY_S and oats["shift_s"] == 0 and
          oats["last"]["delta_s"] == -43200, "policy --json: oats %r" % oats)
    check(rice["ceiling_s"] is None, "policy --json: no ceiling for rice %r" % rice)
    check(rice["item"] == "rice" and rice["shift_s"] == SHIFT_S and
          rice["size_pct"] == 110 and rice["ask_first"] is False and
          rice["corrections"] == 2, "policy --json: rice %r" % rice)
    check(rice["last"] == {"kind": "manual", "t_ms": LAST_S * 1000, "delta_s": 155520},
          "policy --json: last %r" % rice["last"])
    check(rice["reason"].startswith("ordering about 2 days earlier"), "json reason")
    check([e["t_ms"] for e in rice["trail"]] == [LAST_S * 1000, NOW_MS - 20 * DAY_S * 1000]
          and rice["trail"][0]["what"].startswith("manual rice-42"),
          "policy --json: trail %r" % rice["trail"])
    check(rice["learn"] is True and coffee["learn"] is False,
          "policy --json: learn %r %r" % (rice.get("learn"), coffee.get("learn")))
    check(coffee["shift_s"] == 0 and coffee["last"] is None and coffee["reason"] is None
          and coffee["trail"] == [], "policy --json: coffee %r" % coffee)

    # ---- reset-learning, through the daemon ----
    r = run(["reset-learning", "rice"])
    check(r.returncode == 3, "reset-learning with no daemon: exit 3, not %d" % r.returncode)
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(SOCK)
    srv.listen(1)
    got = []

    def serve():
        c, _ = srv.accept()
        got.append(c.makefile("rb").readline())
        c.sendall(b'{"ok":true,"message":"rice: what its policy learnt from '
                  b'corrections is forgotten"}\n')
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    r = run(["reset-learning", "rice"])
    t.join(10)
    check(got == [b'{"cmd":"reset-learning","item":"rice"}\n'], "request: %r" % got)
    check(r.returncode == 0 and "forgotten" in r.stdout, "reset-learning: %r" % r.stdout)
    r = run(["reset-learning", "tea"])
    check(r.returncode == 2, "reset-learning: unknown item")
    srv.close()
finally:
    shutil.rmtree(tmp)
done()
