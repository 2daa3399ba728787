#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The payload validator agrees with python3-jsonschema (Draft 2020-12) on the
schemas themselves (agent/msg/schemas/reorder.schema.json, its version 2
reorder-v2.schema.json, chosen by the payload's "v", and cancel.schema.json):
thousands of payloads, each a valid one with one to
three random mutations (a member removed, added, or given a value from a list
of edge values of every JSON type), are judged by both; valid for one must be
valid for the other. The two deliberate differences (payload.h) are applied
to jsonschema's verdict before comparing: integers above 2^53 - 1, a
cancel's order id outside [A-Za-z0-9_-], and a reorder v2's packs outside its
wishes' packs_min..packs_max, or a delivery window or away period that does
not end after it starts. Seeded: TEST_SEED=N replays a run.

usage: test-schema-agree.py PAYLOAD_CHECK SCHEMA_DIR
"""
import copy
import json
import os
import random
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from checks import check, done, need  # noqa: E402
need("python3-jwcrypto", modules=["jwcrypto"])
need("python3-jsonschema", modules=["jsonschema"])
import jose  # noqa: E402
from jsonschema import Draft202012Validator  # noqa: E402

CHECKER, SCHEMAS = sys.argv[1], sys.argv[2]
N = 3000
seed = int(os.environ.get("TEST_SEED", random.randrange(1 << 32)))
print("# seed %d" % seed)
rnd = random.Random(seed)

schema = {k: Draft202012Validator(
    json.load(open(os.path.join(SCHEMAS, k + ".schema.json"))))
    for k in ("reorder", "reorder-v2", "cancel")}


def schema_of(kind, p):
    """A reorder's schema by its version: 2 has its own, anything else is
    judged by version 1's (whose "v" is const 1)."""
    v = p.get("v")
    if kind == "reorder" and type(v) in (int, float) and v == 2:
        return schema["reorder-v2"]
    return schema[kind]

EDGES = [None, True, False, 0, 1, -1, 0.5, 0.999, 1.5, 2, 100, 101, 100000, 100000.5,
         9007199254740991, 1e-3, -0.0, "", "a", "A", "a b", "rice", "pi-1", "EUR",
         "eur",
         "12345678", "1234567890123", "123456789", "2026-10-01T07:30:00Z",
         "2026-10-01 07:30:00Z", "rice-20261001T120000Z-0a1b2c3d",
         "rice-20261001T120000Z-0a1b2c3d-7", "Rice-20261001T120000Z-0a1b2c3d",
         "x" * 31, "x" * 32, "x" * 63, "x" * 64, "\u00e9" * 63, "\u00e9" * 64,
         "predicted", "button", "manual", "expired", "refilled", "refused", "reorder",
         "cancel",
         [], [1], {}, {"a": 1}]


def paths(obj, prefix=()):
    """Every member path in obj, into objects and the objects in arrays (a
    reorder v2's products)."""
    for k, v in obj.items():
        yield prefix + (k,)
        if isinstance(v, dict):
            yield from paths(v, prefix + (k,))
        elif isinstance(v, list):
            for i, e in enumerate(v):
                if isinstance(e, dict):
                    yield from paths(e, prefix + (k, i))


def mutate(p):
    p = copy.deepcopy(p)
    for _ in range(rnd.randint(1, 3)):
        ps = list(paths(p))
        target = rnd.choice(ps)
        parent = p
        for k in target[:-1]:
            parent = parent[k]
        if not isinstance(parent, dict):
            continue
        op = rnd.random()
        old = parent.get(target[-1])
        if op < 0.45 and isinstance(old, (int, float)) and not isinstance(old, bool):
            # near the value: edges of ranges are where validators differ
            parent[target[-1]] = rnd.choice([old, old + 1, old - 1, old * 10, -old,
                                             old + 0.001, old - 0.001, float(old),
                                             int(old)])
        elif op < 0.45 and isinstance(old, str):
            parent[target[-1]] = rnd.choice([old, old[:-1], old + "0", old + "a",
                                             old.upper(), old[1:], old + "-1"])
        elif op < 0.55:
            parent.pop(target[-1], None)
        elif op < 0.62:
            parent[rnd.choice(["extra", "note", "v2"])] = rnd.choice(EDGES)
        else:
            parent[target[-1]] = copy.deepcopy(rnd.choice(EDGES))
    return p


def deviates(kind, p):
    """The validator's documented, stricter rules (payload.h)."""
    def big(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool) and \
            abs(v) > 9007199254740991
    # Only members C reads as integers stop at 2^53 - 1; numbers (price,
    # stock_g, ...) have no such bound on either side.
    for path in paths(p):
        v = p
        for k in path:
            v = v[k]
        if path[-1] in ("v", "seq", "iat", "packs", "packs_min", "packs_max") and \
                big(v):
            return True
    q, w = p.get("quantity"), p.get("wishes")
    if kind == "reorder" and isinstance(q, dict) and isinstance(w, dict):
        packs, lo, hi = q.get("packs"), w.get("packs_min"), w.get("packs_max")
        if all(type(x) in (int, float) for x in (packs, lo, hi)) and \
                not lo <= packs <= hi:
            return True
    if kind == "reorder" and isinstance(w, dict) and \
            isinstance(w.get("delivery"), dict) and \
            isinstance(w["delivery"].get("windows"), list):
        spans = list(w["delivery"]["windows"])
        if isinstance(w["delivery"].get("away"), list):
            spans += w["delivery"]["away"]
        for win in spans:
            if isinstance(win, dict) and isinstance(win.get("from"), str) and \
                    isinstance(win.get("until"), str) and win["from"] >= win["until"]:
                return True
    oid = p.get("order_id")
    return kind == "cancel" and isinstance(oid, str) and \
        not re.fullmatch(r"[A-Za-z0-9_-]{1,63}", oid)


bases = {
    "reorder": [jose.reorder("pi-1", 5, 1790856000, "rice-20261001T120000Z-0a1b2c3d"),
                {**jose.reorder("pi-1", 5, 1790856000,
                                "rice-20261001T120000Z-0a1b2c3d"),
                 "quantity": {"packs": 1, "pack_g": 250}},
                jose.reorder2("pi-1", 5, 1790856000, "rice-20261001T120000Z-0a1b2c3d"),
                {**jose.reorder2("pi-1", 5, 1790856000,
                                 "rice-20261001T120000Z-0a1b2c3d"),
                 "wishes": {"products": [], "retailer_chooses": True, "packs_min": 2,
                            "packs_max": 2,
                            "delivery": {"place": "p", "windows": [],
                                         "utc_offset": "-05:30", "not_before": None,
                                         "away": []}}}],
    "cancel": [jose.cancel("pi-1", 6, 1790856000, "rice-20261001T120000Z-0a1b2c3d")],
}
cases = []
for i in range(N):
    kind = "reorder" if i % 3 else "cancel"
    p = rnd.choice(bases[kind]) if i < 10 else mutate(rnd.choice(bases[kind]))
    cases.append((kind, p))

text = "".join("%s %s\n" % (k, json.dumps(p, separators=(",", ":"), ensure_ascii=False))
               for k, p in cases)
r = subprocess.run([CHECKER], input=text.encode(), capture_output=True, timeout=120)
got = r.stdout.decode().splitlines()
check(r.returncode == 0 and len(got) == N,
      "the checker judged %d of %d" % (len(got), N))
mismatch = valid = 0
for (kind, p), line in zip(cases, got):
    c_ok = line.split(" ", 1)[0] == "0"
    s_ok = schema_of(kind, p).is_valid(p) and not deviates(kind, p)
    valid += s_ok
    if c_ok != s_ok:
        mismatch += 1
        if mismatch <= 5:
            check(False, "%s: C says %s, jsonschema %s: %s" % (kind, line, s_ok,
                                                               json.dumps(p)))
check(mismatch == 0, "%d of %d disagree" % (mismatch, N))
check(valid >= N // 20, "enough valid payloads among the mutations (%d)" % valid)
print("# %d payloads, %d valid" % (N, valid))
done()
