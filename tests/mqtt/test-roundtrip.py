#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The whole exchange with a real mosquitto on a free loopback port, a live
pantry-agent (fake sysfs tree) and pantry-retailer listen:

- the agent announces itself: retained status "online" and its key as a JWK
  whose kid is its RFC 7638 thumbprint;
- a manual order is signed, published, verified and printed by the retailer
  (the line carries the exact token the agent stored), acknowledged with a
  signed "shipped" ack; the store says acknowledged with the ETA, and so does
  pantryctl status;
- a cancel inside the window is signed, accepted, answered "cancelled"; so is
  the cancel of reason "refused" of pantryctl refused (a delivery refused at
  the door);
- with the retailer away, a published order waits; an unsigned ack and one
  signed by another key are ignored (the agent has the retailer's key); the
  retailer comes back and the order is acknowledged once;
- every reorder and cancel that went over the broker verifies with
  python3-jwcrypto and with node's jose given only the retained JWK; every
  message validates against its JSON Schema;
- SIGTERM leaves the retained status "offline" (said by the agent); a kill -9
  leaves it "offline" too (the broker's last will).

usage: test-roundtrip.py AGENT PANTRYCTL RETAILER NODE SCHEMA_DIR
"""
import base64
import json
import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
need("python3-jsonschema", modules=["jsonschema"])
need("node-jose", programs=[sys.argv[4]], paths=["/usr/share/nodejs/jose"])
from mqttlib import (DEVICE, PREFIX, Capture, Retailer, Shelf,  # noqa: E402
                     emulated, jwcrypto_verify, retained)

AGENT, PANTRYCTL, RETAILER = emulated(*sys.argv[1:4])
NODE, SCHEMAS = sys.argv[4:6]
try:
    import jsonschema
    from jwcrypto import jwk as jwk_mod, jws as jws_mod
except ImportError as e:
    print("missing a Debian package (packaging/install-deps.sh test): %s" % e,
          file=sys.stderr)
    sys.exit(1)


def validator(name):
    with open(os.path.join(SCHEMAS, name + ".schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def state(shelf, item):
    for oid, (it, st, seq, msg) in shelf.orders().items():
        if it == item and st not in ("fulfilled", "cancelled", "rejected", "expired"):
            return oid, st, seq, msg
    return None


def pub(broker, topic, payload):
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
                    "-t", topic, "-m", payload], check=True)


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    cap = Capture(broker)
    rkey, rjwk_path = os.path.join(d, "retailer.key"), os.path.join(d, "retailer.jwk")
    subprocess.run([RETAILER, "keygen", "--key", rkey], check=True,
                   stdout=subprocess.DEVNULL)
    r = subprocess.run([RETAILER, "jwk", "--key", rkey], capture_output=True, text=True,
                       check=True)
    rjwk = r.stdout.strip()
    with open(rjwk_path, "w") as f:
        f.write(rjwk + "\n")
    shelf = Shelf(os.path.join(d, "shelf"), AGENT, broker, n=3,
                  extra_broker='retailer_key = "%s";' % rjwk_path)
    os.makedirs(shelf.d, exist_ok=True)
    device_jwk = shelf.keygen(PANTRYCTL)
    trust = os.path.join(d, "trust")
    os.makedirs(trust)
    with open(os.path.join(trust, DEVICE + ".jwk"), "w") as f:
        f.write(device_jwk)
    rargs = ["--key", rkey, "--retailer-id", "shop-1", "--ship-eta", "2d"]
    shop = Retailer(d, RETAILER, broker, trust, rargs).start()
    shelf.start()

    # Announced: retained online status and the key.
    topic = "%s/%s/" % (PREFIX, DEVICE)
    status = wait_for(lambda: retained(broker, topic + "status", 2))
    check(status is not None and json.loads(status)["state"] == "online",
          "retained online: %r" % status)
    key_text = retained(broker, topic + "key")
    key = json.loads(key_text or "{}")
    check(key.get("x") == json.loads(device_jwk)["x"] and
          key.get("kid") == jwk_mod.JWK.from_json(device_jwk).thumbprint(),
          "retained key is the device's, kid its RFC 7638 thumbprint: %r" % key)

    # 1. A round trip.
    r = shelf.order("item0")
    check(r["ok"], "order item0: %r" % r)
    check(wait_for(lambda: (state(shelf, "item0") or (0, ""))[1] == "acknowledged"),
          "item0 acknowledged: %r\n%s" % (state(shelf, "item0"), shelf.tail()))
    oid, _, seq0, msg0 = state(shelf, "item0")
    lines = shop.accepted("reorder")
    check(len(lines) == 1 and lines[0]["order_id"] == oid and lines[0]["jws"] == msg0 and
          lines[0]["seq"] == seq0 and lines[0]["device"] == DEVICE,
          "the retailer printed the order with the stored token: %r" % lines)
    db = shelf.orders()
    import sqlite3

    def eta_of():
        con = sqlite3.connect("file:%s?mode=ro" % shelf.store, uri=True)
        try:
            return con.execute("SELECT eta_ms FROM orders WHERE order_id = ?",
                               (oid,)).fetchone()
        finally:
            con.close()

    # The ETA comes with the retailer's second ack ("shipped"), which may land
    # after the first made the order acknowledged (slow under qemu).
    wait_for(lambda: (eta_of() or (None,))[0] is not None)
    eta = eta_of()
    con = sqlite3.connect("file:%s?mode=ro" % shelf.store, uri=True)
    trans = [t[0] for t in con.execute("SELECT to_state FROM order_transitions WHERE "
                                       "order_id = ? ORDER BY rowid", (oid,))]
    con.close()
    check(eta is not None and eta[0] is not None and eta[0] > 0, "ETA stored: %r" % eta)
    check(trans[:3] == ["planned", "queued", "published"] and "acknowledged" in trans,
          "transitions: %r" % trans)
    st = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status", "item0"],
                        capture_output=True, text=True)
    check(st.returncode == 0 and oid + " acknowledged" in st.stdout and
          "delivery  expected" in st.stdout, "pantryctl status:\n%s" % st.stdout)

    # pantryctl pubkey (issue 14) prints, from the key file, the very JWK the
    # daemon publishes retained, and a signed reorder verifies with it alone.
    pk = subprocess.run([PANTRYCTL, "--config", shelf.conf, "pubkey", "--json"],
                        capture_output=True, text=True)
    pj = json.loads(pk.stdout or "{}")
    check(pk.returncode == 0 and pj.get("jwk") == key and pj.get("kid") == key["kid"],
          "pantryctl pubkey is the retained key: %r %r" % (pj, pk.stderr))
    check(pj.get("jwk") is not None and
          jwcrypto_verify(json.dumps(pj["jwk"]), msg0) is not None,
          "the reorder verifies with pantryctl pubkey's JWK (jwcrypto)")
    pk = subprocess.run([PANTRYCTL, "--config", shelf.conf, "pubkey"],
                        capture_output=True, text=True)
    check(pk.returncode == 0 and pk.stdout == "kid %s\njwk %s\n" % (key["kid"], key_text),
          "pantryctl pubkey, text: %r" % pk.stdout)

    # 2. A cancel inside the window.
    r = shelf.cancel("item0")
    check(r["ok"] and "retailer is told" in r["message"], "cancel: %r" % r)
    check(wait_for(lambda: shelf.cancels().get(oid, (0, 0, 0, None))[3] ==
                   "cancelled"), "cancel answered: %r" % shelf.cancels())
    cl = shop.accepted("cancel")
    check(len(cl) == 1 and cl[0]["order_id"] == oid and cl[0]["seq"] == seq0 + 1,
          "the retailer printed the cancel: %r" % cl)

    # 3. Retailer away: the order waits published; forged acks change nothing.
    check(shop.stop() == 0, "retailer stops cleanly")
    r = shelf.order("item1")
    check(r["ok"], "order item1: %r" % r)
    check(wait_for(lambda: (state(shelf, "item1") or (0, ""))[1] == "published"),
          "item1 published: %r" % (state(shelf, "item1"),))
    oid1, _, seq1, _ = state(shelf, "item1")
    forged = {"v": 1, "type": "ack", "order_id": oid1, "device": DEVICE, "seq": seq1,
              "iat": 1, "status": "rejected", "reason": "forged"}
    pub(broker, topic + "ack", json.dumps(forged))
    other = jwk_mod.JWK.generate(kty="OKP", crv="Ed25519")
    t = jws_mod.JWS(json.dumps(forged).encode())
    t.add_signature(other, None, json.dumps({"alg": "EdDSA", "kid": other.thumbprint(),
                                             "typ": "pantry-ack+jws"}))
    forged_tokens = {json.dumps(forged), t.serialize(compact=True)}
    pub(broker, topic + "ack", t.serialize(compact=True))
    check(wait_for(lambda: shelf.log_text().count("ack dropped") >= 2),
          "both forged acks dropped:\n%s" % shelf.tail())
    check(state(shelf, "item1")[1] == "published", "item1 still published")
    shop = Retailer(d, RETAILER, broker, trust, rargs, name="r2").start()
    check(wait_for(lambda: (state(shelf, "item1") or (0, ""))[1] == "acknowledged"),
          "item1 acknowledged once the retailer is back")
    check(wait_for(lambda: len(shop.accepted("reorder")) >= 1) and
          [x["order_id"] for x in shop.accepted("reorder")] == [oid1],
          "accepted once: %r" % shop.accepted("reorder"))

    # 4. Interoperability and schemas, on what went over the broker.
    r = shelf.order("item2")
    check(wait_for(lambda: (state(shelf, "item2") or (0, ""))[1] == "acknowledged"),
          "item2 acknowledged")
    # Its delivery refused at the door (pantryctl refused), long after the
    # order: cancelled, and the retailer told with a signed cancel of reason
    # "refused", which it accepts and answers (checked below with the others).
    oid2 = state(shelf, "item2")[0]
    r = subprocess.run([PANTRYCTL, "--config", shelf.conf, "refused", "item2",
                        "--reason", "damaged bag"], capture_output=True, text=True)
    check(r.returncode == 0 and "closed as refused at the door" in r.stdout,
          "pantryctl refused: %d %r %r" % (r.returncode, r.stdout, r.stderr))
    check(wait_for(lambda: shelf.cancels().get(oid2, (0, 0, 0, None))[3] ==
                   "cancelled"), "the refusal's cancel answered: %r" % shelf.cancels())
    check(oid2 in [x["order_id"] for x in shop.accepted("cancel")],
          "the retailer printed the refusal's cancel: %r" % shop.accepted("cancel"))
    check(wait_for(lambda: len(cap.on("ack")) >= 7), "acks captured")
    tokens = [(m[1].rsplit("/", 1)[1], m[2]) for m in cap.msgs
              if m[1].endswith("/reorder") or m[1].endswith("/cancel")]
    check(len(tokens) >= 4, "tokens captured: %d" % len(tokens))
    vr, vc = validator("reorder-v2"), validator("cancel")  # the agent sends v2
    refused_sent = 0
    for kind, tok in tokens:
        got = jwcrypto_verify(key_text, tok)
        check(got is not None, "jwcrypto verifies %s %s" % (kind, tok[:40]))
        if got is None:
            continue
        header, payload = got
        check(header == {"alg": "EdDSA", "kid": key["kid"],
                         "typ": "pantry-%s+jws" % kind}, "header: %r" % header)
        errs = list((vr if kind == "reorder" else vc).iter_errors(payload))
        check(not errs, "%s payload valid: %s" % (kind, errs[:1]))
        refused_sent += kind == "cancel" and payload.get("reason") == "refused"
    check(refused_sent >= 1, "the cancel of reason refused went out: %d" % refused_sent)
    keyfile = os.path.join(d, "published.jwk")
    with open(keyfile, "w") as f:
        f.write(key_text)
    env = dict(os.environ, NODE_PATH="/usr/share/nodejs")
    jr = subprocess.run([NODE, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                            "jose-verify.js"), keyfile],
                        input="\n".join(t for _, t in tokens) + "\n", capture_output=True,
                        text=True, env=env)
    out = jr.stdout.splitlines()
    check(jr.returncode == 0 and len(out) == len(tokens) and
          all(line.startswith("ok pantry-") for line in out),
          "node jose verifies every token: %s %s" % (jr.stdout[-400:], jr.stderr[-400:]))
    # The retailer's acks: signed with its key (jwcrypto, its public JWK only).
    va = validator("ack")
    for _, _, payload in cap.on("ack"):
        if payload in forged_tokens:
            continue
        got = jwcrypto_verify(rjwk, payload)
        check(got is not None and got[0]["typ"] == "pantry-ack+jws",
              "ack signed by the retailer: %s" % payload[:60])
        if got:
            errs = list(va.iter_errors(got[1]))
            check(not errs, "ack valid: %s %r" % (errs[:1], got[1]))
    for name, suffix in (("status", "status"), ("key", "key")):
        v = validator(name)
        for _, _, payload in cap.on(suffix):
            errs = list(v.iter_errors(json.loads(payload)))
            check(not errs, "%s valid: %s" % (name, errs[:1]))

    # 5. SIGTERM: offline, said by the agent, within 2 s.
    import time
    t0 = time.monotonic()
    rc = shelf.stop(signal.SIGTERM)
    check(rc == 0 and time.monotonic() - t0 < 2.0, "SIGTERM: exit %r in %.2f s" %
          (rc, time.monotonic() - t0))
    check(json.loads(retained(broker, topic + "status") or "{}").get("state") ==
          "offline", "retained offline after a stop")

    # 6. kill -9: the broker's last will says offline.
    shelf.start()
    check(wait_for(lambda: json.loads(retained(broker, topic + "status", 2) or "{}")
                   .get("state") == "online"), "online again")
    shelf.stop(signal.SIGKILL)
    check(wait_for(lambda: json.loads(retained(broker, topic + "status", 2) or "{}")
                   .get("state") == "offline"), "the will says offline after kill -9")

    check(shop.stop() == 0, "retailer stops cleanly")
    cap.stop()
    broker.stop()
done()
