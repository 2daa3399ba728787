#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The policy plans against the household's delivery windows (issue 14): one
simulated shelf (make-shelf, the daemon's real pipeline in --replay) is
replayed twice, as is and with deliveries allowed only on Sunday mornings.
Until an item's first order the two runs see the same stock and forecast; a
window after the runout stretches the lead the policy plans with (the wait
for the next window), so with the window every item's first predicted order
goes out no later than without, and at least one goes out earlier. Each order
made under the window carries it in its wishes. A third replay has no window
but an away period (household configuration) from half a day after the first
order of the plain run for a fortnight: no delivery can come inside it, so
that first order goes out earlier, none later, and the orders made before the
period ends carry it in their wishes. A fourth replay asks for deliveries
before the period (arrive = "before", planned as if it began a review period
earlier): no first order later than with "after", and its orders say
"before". (On this shelf the first orders come at the same times: the test
does not show the earlier planning, only that it does no harm.)

usage: test-plan-windows.py AGENT MAKE_SHELF
"""
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done, jws_parts  # noqa: E402

AGENT, MAKE_SHELF = sys.argv[1], sys.argv[2]
WINDOW = 'delivery = { windows = ( "sun 10:00-11:00" ); };\n'


def replay(d, extra):
    conf = os.path.join(d, "pantry-agent.conf")
    if extra:
        with open(conf) as f:
            text = f.read()
        with open(conf, "w") as f:
            f.write(extra + text)
    r = subprocess.run([AGENT, "--config", conf, "--replay",
                        os.path.join(d, "shelf.trace")],
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, TZ="UTC"))
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
    plain, windowed = os.path.join(tmp, "plain"), os.path.join(tmp, "windowed")
    os.mkdir(plain)
    subprocess.run([MAKE_SHELF, "--seed", "8", "--days", "40", "--channels", "3",
                    "--dir", plain, "--idle-ms", "30000"], check=True, timeout=300)
    shutil.copytree(plain, windowed)
    # make-shelf writes its own folder into the configuration: point it here.
    conf = os.path.join(windowed, "pantry-agent.conf")
    with open(conf) as f:
        text = f.read().replace(plain, windowed)
    with open(conf, "w") as f:
        f.write(text)
    away = os.path.join(tmp, "away")
    shutil.copytree(plain, away)
    conf = os.path.join(away, "pantry-agent.conf")
    with open(conf) as f:
        text = f.read().replace(plain, away)
    with open(conf, "w") as f:
        f.write(text)
    before = os.path.join(tmp, "before")
    shutil.copytree(plain, before)
    conf = os.path.join(before, "pantry-agent.conf")
    with open(conf) as f:
        text = f.read().replace(plain, before)
    with open(conf, "w") as f:
        f.write(text)
    _, a = replay(plain, "")
    orders_b, b = replay(windowed, WINDOW)
    t_first = min(o["iat"] for o in a.values())
    away_from = (t_first + 43200) // 60 * 60
    away_until = away_from + 14 * 86400

    def local(t):
        return time.strftime("%Y-%m-%d %H:%M", time.gmtime(t))  # TZ=UTC
    orders_c, c = replay(away, 'away = ( { from = "%s"; until = "%s"; } );\n'
                         % (local(away_from), local(away_until)))
    orders_d, d = replay(before, 'away = ( { from = "%s"; until = "%s"; arrive = '
                         '"before"; } );\n' % (local(away_from), local(away_until)))

check(len(a) >= 2 and set(a) == set(b), "first orders of the same items: %s %s"
      % (sorted(a), sorted(b)))
earlier = 0
for item in sorted(a):
    if item not in b:
        continue
    ta, tb = a[item]["iat"], b[item]["iat"]
    check(tb <= ta, "%s: the window never delays the first order (%d > %d)"
          % (item, tb, ta))
    earlier += tb < ta
    print("# %s: first order at %d without the window, %d with it (%+.1f h)"
          % (item, ta, tb, (tb - ta) / 3600))
check(earlier >= 1, "a window after the runout makes some order go out earlier")
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
for item in sorted(a):
    if item in c and item in d:
        check(d[item]["iat"] <= c[item]["iat"], "%s: arrive = before never orders "
              "later than after" % item)
        print("# %s: first order %+.1f h with arrive = before, against after"
              % (item, (d[item]["iat"] - c[item]["iat"]) / 3600))
for o in orders_d:
    check(all(x["arrive"] == "before" for x in o["wishes"]["delivery"]["away"]),
          "arrive = before is carried: %s" % o["wishes"]["delivery"])
stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(away_from))
for o in orders_c:
    want = [] if o["iat"] >= away_until else [
        {"from": stamp,
         "until": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(away_until)),
         "arrive": "after"}]
    check(o["wishes"]["delivery"]["away"] == want,
          "the order carries the away period: %s" % o["wishes"]["delivery"])
for o in orders_b:
    check(o["wishes"]["delivery"]["windows"] == [
        {"days": ["sun"], "from": "10:00", "until": "11:00"}],
        "the order carries the window: %s" % o["wishes"]["delivery"])
done()
