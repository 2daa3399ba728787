#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Nothing lost, nothing twice, across a broker crash and an agent crash, with a
real mosquitto and pantry-retailer listen:

1. four orders go through while everything runs;
2. the broker is killed (SIGKILL: what it had not saved is gone) and four
   more orders are made while it is down: they wait in the agent's outbox;
   the broker comes back on the same port, the agent and the retailer
   reconnect by themselves, and the four are delivered;
3. the broker is stopped again, four more orders are made, and the agent is
   killed with -9 before it could send them; the broker and then the agent
   start again, and the agent sends them from its store.

At the end the retailer has accepted exactly the twelve orders the store
holds, each once, every one is acknowledged in the store, and the sequence
numbers are 1..12 in the order the orders were made.

usage: test-outage.py AGENT PANTRYCTL RETAILER
"""
import collections
import os
import signal
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
from mqttlib import DEVICE, Retailer, Shelf  # noqa: E402

AGENT, PANTRYCTL, RETAILER = sys.argv[1:4]
N = 12


def states(shelf):
    return {oid: st for oid, (_, st, _, _) in shelf.orders().items()}


def all_in(shelf, want, n):
    s = states(shelf)
    return len(s) == n and all(v == want for v in s.values())


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    shelf = Shelf(os.path.join(d, "shelf"), AGENT, broker, n=N)
    os.makedirs(shelf.d, exist_ok=True)
    trust = os.path.join(d, "trust")
    os.makedirs(trust)
    with open(os.path.join(trust, DEVICE + ".jwk"), "w") as f:
        f.write(shelf.keygen(PANTRYCTL))
    shop = Retailer(d, RETAILER, broker, trust).start()
    shelf.start()

    # 1. Everything up.
    for i in range(4):
        r = shelf.order("item%d" % i)
        check(r["ok"], "order item%d: %r" % (i, r))
    check(wait_for(lambda: all_in(shelf, "acknowledged", 4), 30),
          "4 acknowledged: %r\n%s" % (states(shelf), shelf.tail()))

    # 2. The broker crashes; orders are made meanwhile.
    broker.kill()
    for i in range(4, 8):
        r = shelf.order("item%d" % i)
        check(r["ok"], "order item%d while the broker is down: %r" % (i, r))
    s = states(shelf)
    check(sorted(s.values()).count("queued") == 4, "4 queued meanwhile: %r" % s)
    broker.start()
    check(wait_for(lambda: all_in(shelf, "acknowledged", 8), 60),
          "8 acknowledged after the broker came back: %r\n%s\n%s" %
          (states(shelf), shelf.tail(), shop.log_text()[-2000:]))

    # 3. The broker stops, orders are made, the agent is killed before sending.
    broker.stop()
    for i in range(8, 12):
        r = shelf.order("item%d" % i)
        check(r["ok"], "order item%d: %r" % (i, r))
    check(shelf.stop(signal.SIGKILL) == -signal.SIGKILL, "agent killed")
    s = states(shelf)
    check(sorted(s.values()).count("queued") == 4, "4 queued at the kill: %r" % s)
    broker.start()
    shelf.start()
    check(wait_for(lambda: all_in(shelf, "acknowledged", 12), 60),
          "12 acknowledged after the restarts: %r\n%s" % (states(shelf), shelf.tail()))

    # Exactly once, at the retailer, and in order at the device.
    check(wait_for(lambda: len(shop.accepted("reorder")) >= N, 10), "12 lines")
    counts = collections.Counter(x["order_id"] for x in shop.accepted("reorder"))
    held = shelf.orders()
    check(set(counts) == set(held) and all(c == 1 for c in counts.values()),
          "each stored order accepted exactly once: %r" % counts)
    by_seq = sorted(held.items(), key=lambda kv: kv[1][2])
    check([v[2] for _, v in by_seq] == list(range(1, N + 1)),
          "sequence numbers 1..12: %r" % [v[2] for _, v in by_seq])
    check([v[0] for _, v in by_seq] == ["item%d" % i for i in range(N)],
          "numbered in the order they were made")
    log = shelf.log_text()
    check("lost the connection" in log or "cannot connect" in log,
          "the agent saw the outage")
    check(shelf.stop() == 0, "agent stops cleanly")
    check(shop.stop() == 0, "retailer stops cleanly")
    broker.stop()
done()
