#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The JSON Schemas of the agent's messages (agent/msg/schemas/) against real
messages: every reorder payload a replayed shelf queued (signed, as the
outbox holds it) validates with
python3-jsonschema (Draft 2020-12), and payloads altered in the ways a retailer
must notice (a field missing or added, a wrong type, seq 0, an unknown reason,
a price without its currency) do not. The cancel schema is checked against
written-out examples until the agent sends cancels (issue 5).

usage: test-schemas.py AGENT MAKE_SHELF SCHEMA_DIR
"""
import copy
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done, jws_parts, need  # noqa
need("python3-jsonschema", modules=["jsonschema"])
import jsonschema  # noqa: E402

AGENT, MAKE_SHELF, SCHEMAS = sys.argv[1], sys.argv[2], sys.argv[3]


def validator(name):
    with open(os.path.join(SCHEMAS, name + ".schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


reorder, cancel = validator("reorder"), validator("cancel")

with tempfile.TemporaryDirectory() as tmp:
    subprocess.run([MAKE_SHELF, "--seed", "8", "--days", "40", "--channels", "3",
                    "--dir", tmp, "--idle-ms", "30000"], check=True, timeout=300)
    r = subprocess.run([AGENT, "--config", os.path.join(tmp, "pantry-agent.conf"),
                        "--replay", os.path.join(tmp, "shelf.trace")],
                       capture_output=True, text=True, timeout=600)
    check(r.returncode == 0, "replay: " + r.stderr[-500:])
    db = sqlite3.connect(os.path.join(tmp, "pantry.db"))
    msgs = [jws_parts(m)[1] for (m,) in db.execute(
        "SELECT message FROM orders WHERE message IS NOT NULL ORDER BY seq")]
    db.close()

check(len(msgs) >= 3, "the replay queued orders: %d" % len(msgs))
for m in msgs:
    errs = [e.message for e in reorder.iter_errors(m)]
    check(not errs, "reorder %s: %s" % (m.get("order_id"), errs))

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
    b["v"] = 2
    bad.append(("schema version 2", b))
    b = copy.deepcopy(good)
    b["quantity"].pop("currency", None)
    b["quantity"]["price"] = 3.49
    bad.append(("a price without currency", b))
    b = copy.deepcopy(good)
    b["forecast"]["runout"] = "2026-10-01 12:00:00"
    bad.append(("a runout not in RFC 3339", b))
    for what, b in bad:
        check(not reorder.is_valid(b), "reorder with %s must be invalid" % what)

ok_cancel = {"v": 1, "type": "cancel", "order_id": "rice-20261001T120000Z-d8a771be",
             "device": "kitchen-pi", "seq": 12, "iat": 1790856000, "reason": "button"}
check(cancel.is_valid(ok_cancel), "cancel example valid")
for key, value in (("reason", "bored"), ("seq", -1), ("type", "reorder"),
                   ("device", "a/b")):
    b = dict(ok_cancel, **{key: value})
    check(not cancel.is_valid(b), "cancel with %s=%r must be invalid" % (key, value))

done()
