#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-retailer listen against a real mosquitto on a free loopback port
(tests/broker.py), tokens made by python3-jwcrypto, messages published with
mosquitto_pub and acks read with mosquitto_sub:

1. one listener with a retailer key: an accepted reorder is one line on stdout
   and two acks (accepted, shipped) that jwcrypto verifies with nothing but
   the JWK `pantry-retailer jwk` prints; a re-sent order gets its acks again
   and no second line, also after a restart; a lower sequence number, a
   stale iat and a payload naming another device get "rejected" acks; alg
   none, a forgery and HS256 get no ack at all; a cancel gets "cancelled";
   a message published while the listener is down waits in its session;
2. trust on first use: the first key on <prefix>/<device>/key is pinned, a
   different later one refused loudly;
3. TLS with the test PKI: the right CA connects, an unrelated CA is refused;
4. three listeners in one share group and one database: 60 orders of 6
   devices, each published twice, are accepted exactly once across the
   three outputs, and each listener accepted some.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-listen.py PANTRY_RETAILER
"""
import json
import os
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker, make_pki  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
need("openssl", programs=["openssl"])
import jose  # noqa: E402
from listenlib import Acks, Listener, oid, pub  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000


def ack_payload(token, retailer_jwk):
    payload, header = jose.verify_ack(token, retailer_jwk)
    return payload, header


def part_one(d, broker):
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    pi = jose.Device("pi-1")
    pi.write_trust(trust)
    stranger = jose.Device("stranger")
    key = os.path.join(d, "retailer.key")
    subprocess.run([RETAILER, "keygen", "--key", key], check=True, capture_output=True)
    rjwk = subprocess.run([RETAILER, "jwk", "--key", key], check=True,
                          capture_output=True, text=True).stdout
    acks = Acks(d, broker)
    args = ["--trust", trust, "--key", key, "--retailer-id", "shop-1", "--ship-eta",
            "2d", "--now", NOW_TEXT, "--client-id", "one", "--db", "one.db"]
    lis = Listener(RETAILER, d, "one", broker.url, *args)
    check(lis.subscribed(), "the listener subscribes: %s" % lis.log())
    topic = "pantry/v1/pi-1/reorder"

    first = pi.sign(jose.reorder("pi-1", 5, NOW, oid(1)))
    pub(broker, topic, first)
    check(wait_for(lambda: len(lis.lines()) == 1 and len(acks.all()) == 2),
          "one accepted line and two acks (%s, %s)" % (lis.lines(), acks.all()))
    line = lis.lines()[0] if lis.lines() else {}
    check(line.get("accepted") == "reorder" and line.get("device") == "pi-1" and
          line.get("order_id") == oid(1) and line.get("seq") == 5 and
          line.get("kid") == pi.kid and line.get("jws") == first and
          line.get("received") == NOW_TEXT and
          line.get("payload") == jose.reorder("pi-1", 5, NOW, oid(1)),
          "the accepted line: %s" % line)
    got = acks.all()
    if len(got) == 2:
        (t1, a1), (t2, a2) = got
        p1, h1 = ack_payload(a1, rjwk)
        p2, h2 = ack_payload(a2, rjwk)
        check(t1 == t2 == "pantry/v1/pi-1/ack", "acks on the device's ack topic")
        check(h1.get("typ") == "pantry-ack+jws" and h1.get("alg") == "EdDSA" and
              h1.get("kid") == json.loads(rjwk)["kid"], "signed ack header %s" % h1)
        check(p1 == {"v": 1, "type": "ack", "order_id": oid(1), "device": "pi-1",
                     "seq": 5, "iat": NOW, "status": "accepted", "retailer": "shop-1"},
              "accepted ack %s" % p1)
        check(p2.get("status") == "shipped" and p2.get("eta") == "2026-10-03T12:00:00Z",
              "shipped ack, eta now + 2 d: %s" % p2)

    # The agent re-sends after a reconnect: acks again, no second line.
    pub(broker, topic, first)
    check(wait_for(lambda: len(acks.all()) == 4), "a re-send is acknowledged again")
    check(acks.all()[2:] == acks.all()[:2], "with the same acks, byte for byte")
    check(len(lis.lines()) == 1, "and no second accepted line")

    def rejected(token, reason, topic=topic):
        n = len(acks.all())
        pub(broker, topic, token)
        ok = wait_for(lambda: len(acks.all()) == n + 1)
        p = ack_payload(acks.all()[-1][1], rjwk)[0] if ok else {}
        check(p.get("status") == "rejected" and
              p.get("reason", "").startswith(reason + ":"),
              "rejected (%s) ack: %s" % (reason, p))

    rejected(pi.sign(jose.reorder("pi-1", 4, NOW, oid(2))), "sequence")
    rejected(pi.sign(jose.reorder("pi-1", 9, NOW - 8 * 86400, oid(3))), "stale")
    rejected(pi.sign(jose.reorder("pi-2", 9, NOW, oid(4))), "device-mismatch")
    rejected(pi.sign(jose.reorder("pi-1", 9, NOW, oid(5)), typ=jose.TYP_CANCEL), "typ")

    # Not verified: nothing answered, only logged.
    n = len(acks.all())
    x = jose.unb64(json.loads(pi.public_jwk())["x"])
    for token, what in (
            (jose.alg_none(jose.reorder("pi-1", 20, NOW, oid(6)), pi.kid), "alg"),
            (pi.sign(jose.reorder("pi-1", 21, NOW, oid(7)), key=stranger.key),
             "signature"),
            (jose.hs256(jose.reorder("pi-1", 22, NOW, oid(8)), pi.kid, x), "alg"),
            (stranger.sign(jose.reorder("stranger", 1, NOW, oid(9))),
             "unknown-device")):
        dev = "stranger" if what == "unknown-device" else "pi-1"
        before = lis.log().count("dropped, not answered (%s)" % what)
        pub(broker, "pantry/v1/%s/reorder" % dev, token)
        check(wait_for(lambda: lis.log().count("dropped, not answered (%s)" % what) >
                       before), "%s logged" % what)
    check(len(acks.all()) == n, "no ack for messages that did not verify")

    cancel = pi.sign(jose.cancel("pi-1", 6, NOW, oid(1)), typ=jose.TYP_CANCEL)
    pub(broker, "pantry/v1/pi-1/cancel", cancel)
    check(wait_for(lambda: len(lis.lines()) == 2 and len(acks.all()) == n + 1),
          "the cancel is accepted and acknowledged")
    p = ack_payload(acks.all()[-1][1], rjwk)[0] if acks.all() else {}
    check(p.get("status") == "cancelled" and p.get("seq") == 6 and
          p.get("order_id") == oid(1), "cancelled ack %s" % p)
    check(lis.lines()[-1].get("accepted") == "cancel", "an accepted cancel line")
    check(lis.stop() == 0, "SIGTERM stops the listener with status 0")

    # While it is down, an order waits in its session (clean start false).
    waiting = pi.sign(jose.reorder("pi-1", 7, NOW, oid(10)))
    pub(broker, topic, waiting)
    lis = Listener(RETAILER, d, "one", broker.url, *(args + ["--count", "1"]))
    check(wait_for(lambda: lis.proc.poll() is not None, 30) and
          lis.proc.returncode == 0,
          "restarted, it takes the order that waited and stops at --count 1")
    check(len(lis.lines()) == 3 and lis.lines()[-1].get("order_id") == oid(10),
          "the waiting order is accepted after the restart")
    # After a restart the database still knows the first order.
    n = len(acks.all())
    lis = Listener(RETAILER, d, "one", broker.url, *(args + ["--exit-idle", "1"]))
    check(lis.subscribed(), "restarted again")
    pub(broker, topic, first)
    check(wait_for(lambda: len(acks.all()) == n + 2), "the first order's acks again")
    check(wait_for(lambda: lis.proc.poll() is not None) and lis.proc.returncode == 0,
          "--exit-idle 1 stops it after a second without messages")
    check(len(lis.lines()) == 3, "no new accepted line after the restart")
    acks.stop()


def part_tofu(d, broker):
    dev = jose.Device("pi-tofu")
    later = jose.Device("pi-tofu")
    acks = Acks(d, broker)
    # Each part has its own share group: a stopped listener's session (clean
    # start false) keeps its share of the group's messages until it expires.
    lis = Listener(RETAILER, d, "tofu", broker.url, "--tofu", "--now", NOW_TEXT, "--db",
                   "tofu.db", "--client-id", "tofu", "--group", "tofu")
    check(lis.subscribed(), "tofu listener subscribes: %s" % lis.log())
    pub(broker, "pantry/v1/pi-tofu/key", dev.public_jwk(), retain=True)
    check(wait_for(lambda: "pinned the key of pi-tofu" in lis.log()),
          "the key is pinned")
    pub(broker, "pantry/v1/pi-tofu/reorder", dev.sign(jose.reorder("pi-tofu", 1, NOW,
                                                                   oid(1))))
    check(wait_for(lambda: len(lis.lines()) == 1),
          "an order signed by the pinned key: %s" % lis.log())
    pub(broker, "pantry/v1/pi-tofu/key", later.public_jwk(), retain=True)
    check(wait_for(lambda: "REFUSED a different key for device pi-tofu" in lis.log()),
          "a different later key is refused loudly")
    pub(broker, "pantry/v1/pi-tofu/reorder",
        later.sign(jose.reorder("pi-tofu", 2, NOW, oid(2))))
    check(wait_for(lambda: "dropped, not answered (unknown-kid)" in lis.log()),
          "an order signed by the refused key is not taken")
    check(len(lis.lines()) == 1, "still one accepted line")
    lis.stop()
    # A listener without --tofu does not use the pins.
    os.makedirs(os.path.join(d, "trust"), exist_ok=True)
    lis = Listener(RETAILER, d, "notofu", broker.url, "--trust", os.path.join(d, "trust"),
                   "--now", NOW_TEXT, "--db", "tofu.db", "--client-id", "notofu",
                   "--group", "notofu")
    check(lis.subscribed(), "a listener without --tofu")
    pub(broker, "pantry/v1/pi-tofu/reorder", dev.sign(jose.reorder("pi-tofu", 3, NOW,
                                                                   oid(3))))
    check(wait_for(lambda: "dropped, not answered (unknown-device)" in lis.log()),
          "without --tofu an unknown device is rejected: %s" % lis.log())
    lis.stop()
    pub(broker, "pantry/v1/pi-tofu/key", "", retain=True)
    acks.stop()


def part_tls(d):
    pki = make_pki(os.path.join(d, "pki"))
    broker = Broker(os.path.join(d, "tls-broker"),
                    tls={"cafile": pki["ca"], "certfile": pki["server_cert"],
                         "keyfile": pki["server_key"]}).start()
    try:
        trust = os.path.join(d, "trust")
        os.makedirs(trust, exist_ok=True)
        dev = jose.Device("pi-tls")
        dev.write_trust(trust)
        tls = ["--cafile", pki["ca"]]
        lis = Listener(RETAILER, d, "tls", broker.url, "--trust", trust, "--now", NOW_TEXT,
                       "--db", "tls.db", "--ca-file", pki["ca"], "--client-id", "tls")
        check(lis.subscribed(), "TLS with the right CA: %s" % lis.log())
        pub(broker, "pantry/v1/pi-tls/reorder",
            dev.sign(jose.reorder("pi-tls", 1, NOW, oid(1))), tls)
        check(wait_for(lambda: len(lis.lines()) == 1), "an order over TLS")
        lis.stop()
        bad = Listener(RETAILER, d, "tls-bad", broker.url, "--trust", trust, "--now", NOW_TEXT,
                       "--db", "tls.db", "--ca-file", pki["other_ca"], "--client-id",
                       "tls-bad")
        check(wait_for(lambda: "cannot connect" in bad.log()),
              "an unrelated CA: the connection is refused (%s)" % bad.log())
        check("subscribed" not in bad.log(), "and nothing is subscribed")
        check(bad.stop() == 0, "SIGTERM stops a listener that waits to reconnect")
    finally:
        broker.stop()


def part_group(d, broker):
    trust = os.path.join(d, "group-trust")
    os.mkdir(trust)
    devices = [jose.Device("pi-g%d" % i) for i in range(6)]
    for dev in devices:
        dev.write_trust(trust)
    rounds = 10
    tokens = [[dev.sign(jose.reorder(dev.name, r + 1, NOW, oid(r + 1, "g")))
               for r in range(rounds)] for dev in devices]
    acks = Acks(d, broker)
    group = [Listener(RETAILER, d, "g%d" % i, broker.url, "--trust", trust, "--now", NOW_TEXT,
                      "--db", "group.db", "--group", "shop", "--client-id", "g%d" % i)
             for i in range(3)]
    check(all(g.subscribed() for g in group),
          "three listeners subscribe: %s" % [g.log() for g in group])

    def accepted_acks():
        return sum(1 for _, a in acks.all() if '"status":"accepted"' in a)

    # Round r: order r of every device, each published twice at once (an agent
    # re-sending), then wait for the round's acks: like an agent, a device has
    # one order in flight, so its sequence numbers reach the group in order.
    for r in range(rounds):
        procs = []
        for i, dev in enumerate(devices):
            procs.append(subprocess.Popen(
                ["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1", "-q", "1",
                 "-t", "pantry/v1/%s/reorder" % dev.name, "-l"],
                stdin=subprocess.PIPE))
            procs[-1].stdin.write((tokens[i][r] + "\n" + tokens[i][r] + "\n").encode())
            procs[-1].stdin.close()
        for p in procs:
            p.wait(timeout=20)
        want = (r + 1) * len(devices)
        if not check(wait_for(lambda: accepted_acks() >= want),
                     "round %d: %d accepted acks (%d)" % (r, want, accepted_acks())):
            break
    total = len(devices) * rounds
    check(wait_for(lambda: sum(len(g.lines()) for g in group) >= total),
          "%d accepted lines" % total)
    for g in group:
        check(g.stop() == 0, "a group listener stops cleanly")
    seen = [(x["device"], x["order_id"]) for g in group for x in g.lines()]
    check(len(seen) == total and len(set(seen)) == total,
          "every order accepted exactly once: %d lines, %d distinct, %d orders" %
          (len(seen), len(set(seen)), total))
    counts = [len(g.lines()) for g in group]
    check(all(c >= 1 for c in counts), "the load is shared: %s" % counts)
    print("# accepted per listener: %s" % counts)
    rejected = sum(g.log().count("rejected") for g in group)
    check(rejected == 0, "no order rejected (%d)" % rejected)
    acks.stop()


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    try:
        for name, part in (("one", part_one), ("tofu", part_tofu),
                           ("group", part_group)):
            t0 = time.monotonic()
            part(d, broker)
            print("# %s: %.1f s" % (name, time.monotonic() - t0))
    finally:
        broker.stop()
    t0 = time.monotonic()
    part_tls(d)
    print("# tls: %.1f s" % (time.monotonic() - t0))

done()
