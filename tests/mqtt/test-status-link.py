#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantryctl status shows the link to the retailer (issue 14): a live agent
on a private mosquitto, orders asked through its control socket, acks
published with mosquitto_pub, and pantryctl status read as a user would
(text and --json):

- connected since when, with an empty outbox and no answer yet;
- an order published and unanswered: one message in the outbox;
- the retailer's "accepted": the last answer, its order and time, the outbox
  empty again;
- an ack that is not one: the last error says it was dropped;
- the broker gone: not connected since then, the last error says so;
- no home = { ... } group: the home link "not configured" (null in JSON).

usage: test-status-link.py AGENT PANTRYCTL
"""
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
need("mosquitto-clients", programs=["mosquitto_pub"])
from mqttlib import DEVICE, PREFIX, Shelf  # noqa: E402

AGENT, PANTRYCTL = sys.argv[1:3]
TOPIC = "%s/%s/ack" % (PREFIX, DEVICE)


def pub(broker, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q",
                    "1", "-t", TOPIC, "-s"], input=payload.encode(), check=True)


def status(shelf):
    env = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
    r = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status"],
                       capture_output=True, text=True, timeout=60, env=env)
    check(r.returncode == 0, "status: %d %s" % (r.returncode, r.stderr))
    rj = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status", "--json"],
                        capture_output=True, text=True, timeout=60, env=env)
    try:
        j = json.loads(rj.stdout)
        link = j.get("link") or {}
        check("home" in j and j["home"] is None, "json home without a home group: %r"
              % j.get("home", "absent"))
    except ValueError:
        check(False, "status --json: %r %r" % (rj.stdout, rj.stderr))
        link = {}
    check("\nhome      not configured\n" in r.stdout,
          "home not configured:\n" + r.stdout)
    return r.stdout, link


def order_state(shelf, item):
    for oid, (it, st, seq, _) in shelf.orders().items():
        if it == item:
            return oid, st, seq
    return None, None, None


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    shelf = Shelf(os.path.join(d, "shelf"), AGENT, broker, n=1).start()
    try:
        check(wait_for(lambda: "notice: connected to" in shelf.log_text()), "connected")
        text, link = status(shelf)
        check("link      connected since " in text and
              "; 0 messages in the outbox" in text and
              "last answer: none yet" in text, "connected, nothing waiting:\n" + text)
        check(link.get("connected") is True and link.get("outbox") == 0 and
              isinstance(link.get("since_ms"), (int, float)) and
              "last_answer" in link and link["last_answer"] is None and
              "last_error" in link and link["last_error"] is None,
              "json link: %r" % link)

        check(shelf.order("item0")["ok"], "order item0")
        check(wait_for(lambda: order_state(shelf, "item0")[1] == "published"),
              "published")
        oid, _, seq = order_state(shelf, "item0")
        text, link = status(shelf)
        check("; 1 message in the outbox" in text and link.get("outbox") == 1,
              "one message waits for its answer:\n" + text)

        pub(broker, json.dumps({"v": 1, "type": "ack", "order_id": oid,
                                "device": DEVICE, "seq": seq, "iat": 1,
                                "status": "accepted"}))
        check(wait_for(lambda: order_state(shelf, "item0")[1] == "acknowledged"),
              "acknowledged:\n" + shelf.tail())
        text, link = status(shelf)
        check("last answer: accepted for %s at " % oid in text and
              "; 0 messages in the outbox" in text, "the answer shown:\n" + text)
        ans = link.get("last_answer") or {}
        check(ans.get("status") == "accepted" and ans.get("order") == oid and
              ans.get("t_ms", 0) > 0 and link.get("outbox") == 0,
              "json last answer: %r" % link)

        pub(broker, "hello")
        check(wait_for(lambda: "ack dropped (5 bytes)" in shelf.log_text()),
              "bad ack dropped")
        text, link = status(shelf)
        check("last error: an ack was dropped: " in text, "the error shown:\n" + text)
        err = link.get("last_error") or {}
        check(err.get("message", "").startswith("an ack was dropped") and
              err.get("t_ms", 0) > 0, "json last error: %r" % link)

        broker.stop()
        check(wait_for(lambda: "lost the connection to" in shelf.log_text(), 30),
              "the agent saw the broker go")
        # By the time status asks, a reconnect may have failed too.
        gone = ("lost the connection to ", "cannot connect to ")
        text, link = status(shelf)
        check("link      not connected since " in text and
              any("last error: " + g in text for g in gone),
              "the lost link shown:\n" + text)
        check(link.get("connected") is False and
              (link.get("last_error") or {}).get("message", "").startswith(gone),
              "json lost link: %r" % link)
    finally:
        shelf.stop()
        broker.stop()

done()
