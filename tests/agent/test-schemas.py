#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The JSON Schemas of the agent's messages (agent/msg/schemas/) against real
messages: every reorder a replayed shelf queued (signed, as the outbox holds
it) verifies with python3-jwcrypto given only the device's public JWK (from
pantryctl keygen), is schema version 2 and validates with python3-jsonschema
(Draft 2020-12) against reorder-v2.schema.json: the first item, configured
with a sku, substitutes, packs_min, price_max and a delivery of its own,
carries them ranked as its wishes; the others name no product, say the
retailer chooses, and carry the household's delivery place and windows; the
earliest setting gives not_before (the runout less 5 days, never before the
order). Payloads
altered in the ways a retailer must notice (a field missing or added, a wrong
type, seq 0, an unknown reason, a price without its currency, wishes without
products that do not let the retailer choose, schema version 1 with wishes)
do not validate. The cancel schema is checked against written-out examples.

usage: test-schemas.py AGENT MAKE_SHELF SCHEMA_DIR PANTRYCTL
"""
import calendar
import copy
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done, need  # noqa
need("python3-jsonschema", modules=["jsonschema"])
need("python3-jwcrypto", modules=["jwcrypto"])
import jsonschema  # noqa: E402
from jwcrypto import jwk, jws  # noqa: E402

AGENT, MAKE_SHELF, SCHEMAS, PANTRYCTL = sys.argv[1:5]


def validator(name):
    with open(os.path.join(SCHEMAS, name + ".schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


reorder1, reorder, cancel = (validator("reorder"), validator("reorder-v2"),
                             validator("cancel"))

# The first item's wishes, as a household writes them (agent/CONFIG.md).
WISHES = ('sku = "R-1"; gtin = "4006381333931"; packs_min = 1; price_max = 3.99;\n'
          '    substitutes = ( { gtin = "96385074"; }, { sku = "R-2"; } );\n'
          '    delivery = { place = "office"; windows = ( "mon-fri 09:00-17:00" ); };\n    ')
HOUSEHOLD = ('delivery = { place = "parcel-locker"; earliest = "5d";\n'
             '             windows = ( "sat,sun 10:00-12:00", "wed 18:00-24:00" ); };\n')
WANT_PRODUCTS = [{"sku": "R-1", "gtin": "4006381333931"},
                 {"sku": "", "gtin": "96385074"}, {"sku": "R-2", "gtin": ""}]


def utc(text):
    return calendar.timegm(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ"))


def verified(key, token):
    """The payload of token, verified by jwcrypto with the public JWK only."""
    t = jws.JWS()
    t.deserialize(token)
    t.verify(key, alg="EdDSA")
    h = t.jose_header
    h = json.loads(h) if isinstance(h, str) else h
    check(h["typ"] == "pantry-reorder+jws", "typ %s" % h["typ"])
    return json.loads(t.payload)


with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([MAKE_SHELF, "--seed", "8", "--days", "40", "--channels", "3",
                    "--dir", tmp, "--idle-ms", "30000"], check=True, timeout=300)
    conf = os.path.join(tmp, "pantry-agent.conf")
    with open(conf) as f:
        text = f.read()
    first = text.index("  { id = ") + len("  { ")
    with open(conf, "w") as f:
        f.write(HOUSEHOLD + text[:first] + WISHES + text[first:])
    first_item = text[first:].split('"')[1]
    r = subprocess.run([PANTRYCTL, "--config", conf, "--json", "keygen"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "keygen: " + r.stderr[-500:])
    key = jwk.JWK.from_json(json.dumps(json.loads(r.stdout)["jwk"]))
    r = subprocess.run([AGENT, "--config", os.path.join(tmp, "pantry-agent.conf"),
                        "--replay", os.path.join(tmp, "shelf.trace")],
                       capture_output=True, text=True, timeout=600,
                       env=dict(os.environ, TZ="UTC"))
    check(r.returncode == 0, "replay: " + r.stderr[-500:])
    db = sqlite3.connect(os.path.join(tmp, "pantry.db"))
    msgs = [verified(key, m) for (m,) in db.execute(
        "SELECT message FROM orders WHERE message IS NOT NULL ORDER BY seq")]
    db.close()

check(len(msgs) >= 3, "the replay queued orders: %d" % len(msgs))
for m in msgs:
    errs = [e.message for e in reorder.iter_errors(m)]
    check(not errs, "reorder %s: %s" % (m.get("order_id"), errs))
    w = m.get("wishes", {})
    if m["item"]["id"] == first_item:
        check(w.get("products") == WANT_PRODUCTS and not w["retailer_chooses"] and
              w.get("price_max") == 3.99 and w.get("currency") == "EUR" and
              m["item"]["sku"] == "R-1", "%s's wishes: %s" % (first_item, w))
    else:
        check(w.get("products") == [] and w.get("retailer_chooses") is True and
              m["item"]["sku"] == "" and m["item"]["gtin"] == "" and
              "price_max" not in w, "no product named: %s" % w)
    check(w.get("packs_min", 0) <= m["quantity"]["packs"] <= w.get("packs_max", 0),
          "packs within the bounds: %s" % m)
    dl = w.get("delivery", {})
    # The replay runs with TZ=UTC (below): the offset is +00:00.
    if m["item"]["id"] == first_item:
        check(dl.get("place") == "office" and dl.get("windows") == [
            {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00",
             "until": "17:00"}] and dl.get("utc_offset") == "+00:00",
            "the item's own delivery: %s" % dl)
    else:
        check(dl.get("place") == "parcel-locker" and dl.get("windows") == [
            {"days": ["sat", "sun"], "from": "10:00", "until": "12:00"},
            {"days": ["wed"], "from": "18:00", "until": "24:00"}],
            "the household's delivery: %s" % dl)
    # earliest (the household's 5 days, the item keeps it): not before the
    # runout less 5 days, and never before the order.
    runout = m["forecast"]["runout"]
    if runout is not None and dl.get("not_before") is not None:
        nb, ro = utc(dl["not_before"]), utc(runout)
        check(nb == max(m["iat"], ro - 5 * 86400),
              "not_before %s for runout %s at %d" % (dl["not_before"], runout,
                                                      m["iat"]))
    else:
        check(runout is None and dl.get("not_before") is None,
              "not_before null only without a runout: %s" % dl)
check(any(m["item"]["id"] == first_item for m in msgs) and
      any(m["item"]["id"] != first_item for m in msgs), "orders of both kinds")

if msgs:
    good = msgs[0]
    bad = []
    for key in ("seq", "order_id", "forecast"):
        b = copy.deepcopy(good)
        del b[key]
        bad.append(("without " + key, b))
    b = copy.deepcopy(good)
    b["extra"] = 1
    bad.append(("an unknown field", b))
    b = copy.deepcopy(good)
    b["seq"] = 0
    bad.append(("seq 0", b))
    b = copy.deepcopy(good)
    b["seq"] = "5"
    bad.append(("seq as a string", b))
    b = copy.deepcopy(good)
    b["reason"] = "whim"
    bad.append(("an unknown reason", b))
    b = copy.deepcopy(good)
    b["v"] = 1
    bad.append(("schema version 1", b))
    b = copy.deepcopy(good)
    del b["wishes"]
    bad.append(("no wishes", b))
    b = copy.deepcopy(good)
    b["wishes"]["products"] = []
    b["wishes"]["retailer_chooses"] = False
    bad.append(("no products and the retailer may not choose", b))
    b = copy.deepcopy(good)
    b["wishes"]["products"] = [{"sku": "", "gtin": ""}]
    b["wishes"]["retailer_chooses"] = False
    bad.append(("a product without a code", b))
    b = copy.deepcopy(good)
    b["wishes"]["price_max"] = 2.5
    b["wishes"].pop("currency", None)
    bad.append(("a price ceiling without currency", b))
    b = copy.deepcopy(good)
    b["quantity"].pop("currency", None)
    b["quantity"]["price"] = 3.49
    bad.append(("a price without currency", b))
    b = copy.deepcopy(good)
    b["forecast"]["runout"] = "2026-10-01 12:00:00"
    bad.append(("a runout not in RFC 3339", b))
    for what, b in bad:
        check(not reorder.is_valid(b), "reorder with %s must be invalid" % what)
    # Version 1 is version 2 without the wishes: retailers still accept it.
    b = copy.deepcopy(good)
    b["v"] = 1
    del b["wishes"]
    check(reorder1.is_valid(b), "the same reorder as version 1 is valid there")

ok_cancel = {"v": 1, "type": "cancel", "order_id": "rice-20261001T120000Z-d8a771be",
             "device": "kitchen-pi", "seq": 12, "iat": 1790856000, "reason": "button"}
check(cancel.is_valid(ok_cancel), "cancel example valid")
for key, value in (("reason", "bored"), ("seq", -1), ("type", "reorder"),
                   ("device", "a/b")):
    b = dict(ok_cancel, **{key: value})
    check(not cancel.is_valid(b), "cancel with %s=%r must be invalid" % (key, value))

done()
