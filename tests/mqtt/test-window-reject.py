#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A retailer that cannot meet the household's delivery windows says so, and
the household sees why (issue 14). A live pantry-agent (fake sysfs tree)
whose delivery windows are weekday mornings orders over a real mosquitto from
pantry-retailer listen --windows "sun 10:00-11:00": the retailer rejects the
reorder with reason "window" and a readable message in its ack; the agent
records the order as rejected with that reason, and pantryctl status (text
and --json) and history show it. The same order to a retailer whose windows
meet the household's is acknowledged.

usage: test-window-reject.py AGENT PANTRYCTL RETAILER
"""
import atexit
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
from mqttlib import DEVICE, Retailer, Shelf, emulated  # noqa: E402

AGENT, PANTRYCTL, RETAILER = emulated(*sys.argv[1:4])
os.environ["TZ"] = "UTC"


def states(shelf, item):
    return [st for (it, st, _, _) in shelf.orders().values() if it == item]


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    atexit.register(broker.stop)  # whatever happens below: no broker left running
    shelf = Shelf(os.path.join(d, "shelf"), AGENT, broker, n=2)
    os.makedirs(shelf.d, exist_ok=True)
    with open(shelf.conf, "a") as f:
        f.write('delivery = { windows = ( "mon-fri 07:00-09:00" ); };\n')
    device_jwk = shelf.keygen(PANTRYCTL)
    trust = os.path.join(d, "trust")
    os.makedirs(trust)
    with open(os.path.join(trust, DEVICE + ".jwk"), "w") as f:
        f.write(device_jwk)
    shop = Retailer(d, RETAILER, broker, trust,
                    ["--retailer-id", "shop-1", "--windows", "sun 10:00-11:00"]).start()
    shelf.start()

    r = shelf.order("item0")
    check(r["ok"], "order item0: %r" % r)
    check(wait_for(lambda: "rejected" in states(shelf, "item0")),
          "item0 rejected: %r\n%s" % (states(shelf, "item0"), shelf.tail()))
    st = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status", "item0"],
                        capture_output=True, text=True)
    check(st.returncode == 0 and "was rejected" in st.stdout and
          "rejected by shop-1: window: no delivery window of the order "
          "(mon-fri 07:00-09:00, UTC+00:00) meets ours (sun 10:00-11:00, "
          "UTC+00:00)" in st.stdout, "pantryctl status says why:\n%s" % st.stdout)
    st = subprocess.run([PANTRYCTL, "--config", shelf.conf, "--json", "status", "item0"],
                        capture_output=True, text=True)
    j = json.loads(st.stdout) if st.returncode == 0 else {}
    rj = (j.get("items") or [{}])[0].get("rejected") or {}
    check(rj.get("note", "").startswith("rejected by shop-1: window: "),
          "status --json: %s" % st.stdout)
    h = subprocess.run([PANTRYCTL, "--config", shelf.conf, "history", "item0"],
                       capture_output=True, text=True)
    check("window: no delivery window" in h.stdout, "history:\n%s" % h.stdout)
    check(shop.stop() == 0, "the retailer stops")

    shop = Retailer(d, RETAILER, broker, trust,
                    ["--retailer-id", "shop-1", "--windows", "mon-fri 08:00-18:00"],
                    name="r2").start()
    r = shelf.order("item1")
    check(r["ok"], "order item1: %r" % r)
    check(wait_for(lambda: "acknowledged" in states(shelf, "item1")),
          "item1 acknowledged where the windows meet: %r" % states(shelf, "item1"))
    check(shop.stop() == 0, "the retailer stops")
    check(shelf.stop() == 0, "the agent stops")
done()
