#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every ack the agent drops is logged exactly once, with why (issue 12: one
dropped for its size was only counted). A live agent with a retailer key,
a private mosquitto, and acks published with mosquitto_pub, signed with
python3-jwcrypto (an independent JOSE library) where they need to be:

too large, signed by another key, unsigned, not a token, another typ, no
kid, not JSON inside, another schema version, another device, an unknown
order, a sequence number that is neither the reorder's nor the cancel's,
and "cancelled" for a reorder; then, the same client id with another device
id, an ack on the old device's topic, which the broker's session still
delivers.

After each bad ack comes a good repeated ack of an order already
acknowledged, which the agent notes ("ack noted"): messages are taken in
order, so the log lines between two notes are those of the bad ack. There
must be exactly one, a warning, naming the drop and why.

usage: test-ack-drops.py AGENT PANTRYCTL
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
need("python3-jwcrypto", modules=["jwcrypto"])
from jwcrypto import jwk, jws  # noqa: E402
from mqttlib import DEVICE, PREFIX, Shelf  # noqa: E402

AGENT, PANTRYCTL = sys.argv[1:3]
TOPIC = "%s/%s/ack" % (PREFIX, DEVICE)


def pub(broker, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q",
                    "1", "-t", TOPIC, "-s"], input=payload.encode(), check=True)


def sign(key, payload, typ="pantry-ack+jws", kid=True):
    header = {"alg": "EdDSA", "typ": typ}
    if kid:
        header["kid"] = key.thumbprint()
    t = jws.JWS(payload.encode())
    t.add_signature(key, None, json.dumps(header))
    return t.serialize(compact=True)


def state(shelf, item):
    for oid, (it, st, seq, _) in shelf.orders().items():
        if it == item:
            return oid, st, seq
    return None, None, None


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    shop = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    other = jwk.JWK.generate(kty="OKP", crv="Ed25519")
    rjwk = os.path.join(d, "retailer.jwk")
    with open(rjwk, "w") as f:
        f.write(shop.export_public() + "\n")
    shelf = Shelf(os.path.join(d, "shelf"), AGENT, broker, n=2,
                  extra_broker='retailer_key = "%s";' % rjwk)
    os.makedirs(shelf.d, exist_ok=True)
    shelf.keygen(PANTRYCTL)
    shelf.start()
    check(wait_for(lambda: "notice: connected to" in shelf.log_text()), "connected")

    # One order acknowledged (the note after each case repeats its ack), one
    # published and waiting (the cases name it).
    check(shelf.order("item0")["ok"], "order item0")
    check(wait_for(lambda: state(shelf, "item0")[1] == "published"), "item0 published")
    oid0, _, seq0 = state(shelf, "item0")

    def ack(oid, seq, status="accepted", device=DEVICE, v=1):
        return json.dumps({"v": v, "type": "ack", "order_id": oid, "device": device,
                           "seq": seq, "iat": 1, "status": status})
    good = sign(shop, ack(oid0, seq0))
    pub(broker, good)
    check(wait_for(lambda: state(shelf, "item0")[1] == "acknowledged"),
          "item0 acknowledged:\n" + shelf.tail())
    check(shelf.order("item1")["ok"], "order item1")
    check(wait_for(lambda: state(shelf, "item1")[1] == "published"), "item1 published")
    oid1, _, seq1 = state(shelf, "item1")

    big = sign(shop, ack(oid1, seq1)[:-1] + ', "x": "%s"}' % ("a" * 20000))
    cases = [
        ("too large", big, "larger than the 16384 bytes"),
        ("another key", sign(other, ack(oid1, seq1)), "not signed by the configured"),
        ("unsigned", ack(oid1, seq1), "unsigned"),
        ("not a token", "hello", "ack dropped (5 bytes)"),
        ("another typ", sign(shop, ack(oid1, seq1), typ="pantry-reorder+jws"), "typ"),
        ("no kid", sign(shop, ack(oid1, seq1), kid=False), "kid"),
        ("not JSON", sign(shop, "[1, 2"), "ack dropped"),
        ("schema v2", sign(shop, ack(oid1, seq1, v=2)), "version"),
        ("another device", sign(shop, ack(oid1, seq1, device="other-pi")), "other-pi"),
        ("unknown order", sign(shop, ack("nope-1", 1)), "does not know"),
        ("wrong seq", sign(shop, ack(oid1, seq1 + 7)), "neither its reorder"),
        ("cancelled", sign(shop, ack(oid1, seq1, status="cancelled")),
         "answers a cancel"),
    ]
    notes = shelf.log_text().count("ack noted")
    for name, payload, why in cases:
        before = len(shelf.log_text().splitlines())
        pub(broker, payload)
        pub(broker, good)
        notes += 1
        check(wait_for(lambda: shelf.log_text().count("ack noted") >= notes),
              "%s: the note after it:\n%s" % (name, shelf.tail()))
        lines = shelf.log_text().splitlines()[before:]
        lines = lines[:[i for i, x in enumerate(lines) if "ack noted" in x][0]]
        check(len(lines) == 1, "%s: one line, not %d: %r" % (name, len(lines), lines))
        check(lines and "warning: ack dropped" in lines[0] and why in lines[0],
              "%s: says it dropped it, and why (%r): %r" % (name, why, lines))
    check(state(shelf, "item1")[1] == "published", "item1 still waits")
    check(shelf.stop() == 0, "stops")

    # The same client id with another device id: the broker's session still
    # holds the old subscription and delivers an ack for the old device.
    moved = Shelf(os.path.join(d, "moved"), AGENT, broker, n=1, device="moved-pi",
                  extra_broker='client_id = "%s";' % DEVICE)
    os.makedirs(moved.d, exist_ok=True)
    moved.keygen(PANTRYCTL)
    moved.start()
    check(wait_for(lambda: "notice: connected to" in moved.log_text()), "moved: up")
    before = len(moved.log_text().splitlines())
    pub(broker, ack(oid1, seq1))
    check(wait_for(lambda: "dropped" in moved.log_text()), "moved: the old ack")
    lines = [x for x in moved.log_text().splitlines()[before:] if "ack" in x]
    check(len(lines) == 1 and "warning: message on %s dropped" % TOPIC in lines[0] and
          "takes only %s/moved-pi/ack" % PREFIX in lines[0],
          "moved: one line, naming the topic and why: %r" % lines)
    check(moved.stop() == 0, "moved: stops")
    broker.stop()
done()
