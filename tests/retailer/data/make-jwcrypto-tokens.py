#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes jwcrypto-tokens.txt: a device key and a scenario of tokens made by
python3-jwcrypto (and by hand for the hostile ones), each line with the
verdict and reason the contract gives it, judged in order at
2026-10-01T12:00:00Z with the default window (7d old, 5m ahead). test-check.c
replays it through the C verifier. The expected verdicts are this file's
design, written before the C code judged them; regenerate only to change the
scenario (keys are new each time).

usage: make-jwcrypto-tokens.py > jwcrypto-tokens.txt
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import jose  # noqa: E402

NOW = 1790856000  # 2026-10-01T12:00:00Z
pi = jose.Device("pi")
other = jose.Device("other")      # not in the trust store
out = ["jwk pi " + pi.public_jwk()]


def line(verdict, reason, token):
    out.append("%s %s %s" % (verdict, reason, token))


def oid(n):
    return "rice-20261001T120000Z-%08x" % n


first = pi.sign(jose.reorder("pi", 1, NOW, oid(1)))
line("accepted", "-", first)
line("duplicate", "-", first)
line("accepted", "-", pi.sign(jose.reorder("pi", 3, NOW, oid(2))))
line("rejected", "sequence", pi.sign(jose.reorder("pi", 3, NOW, oid(3))))
line("rejected", "sequence", pi.sign(jose.reorder("pi", 2, NOW, oid(4))))
line("rejected", "signature",
     pi.sign(jose.reorder("pi", 9, NOW, oid(5)), key=other.key))  # pi's kid, other key
line("rejected", "signature", jose.alter(pi.sign(jose.reorder("pi", 9, NOW, oid(6)))))
line("rejected", "alg", jose.alg_none(jose.reorder("pi", 9, NOW, oid(7)), pi.kid))
x = jose.unb64(jose.json.loads(pi.public_jwk())["x"])
line("rejected", "alg", jose.hs256(jose.reorder("pi", 9, NOW, oid(8)), pi.kid, x))
line("rejected", "alg",
     jose.hs256(jose.reorder("pi", 9, NOW, oid(9)), pi.kid, pi.public_jwk().encode()))
line("rejected", "unknown-kid", other.sign(jose.reorder("pi", 9, NOW, oid(10))))
line("rejected", "unknown-device", other.sign(jose.reorder("other", 9, NOW, oid(11))))
line("rejected", "typ", pi.sign(jose.reorder("pi", 9, NOW, oid(12)), typ="JWT"))
line("rejected", "schema", pi.sign(jose.reorder("pi", 9, NOW, oid(13), v=3)))
bad = jose.reorder("pi", 9, NOW, oid(14))
bad["quantity"]["packs"] = 0
line("rejected", "payload", pi.sign(bad))
line("rejected", "device-mismatch", pi.sign(jose.reorder("pj", 9, NOW, oid(15))))
line("rejected", "stale", pi.sign(jose.reorder("pi", 9, NOW - 7 * 86400 - 1, oid(16))))
line("accepted", "-", pi.sign(jose.reorder("pi", 10, NOW - 7 * 86400, oid(17))))
line("rejected", "future", pi.sign(jose.reorder("pi", 11, NOW + 301, oid(18))))
line("accepted", "-", pi.sign(jose.reorder("pi", 12, NOW + 300, oid(19))))
line("accepted", "-", pi.sign(jose.cancel("pi", 13, NOW, oid(1)), typ=jose.TYP_CANCEL))
line("duplicate", "-", pi.sign(jose.cancel("pi", 13, NOW, oid(1)), typ=jose.TYP_CANCEL))
# A re-send of a rejected message is a duplicate too, not judged again.
line("duplicate", "-", pi.sign(jose.reorder("pi", 3, NOW, oid(3))))
line("rejected", "malformed", "not-a-token")
line("accepted", "-", pi.sign(jose.reorder("pi", 14, NOW, oid(20)), alg="EdDSA"))
# Schema version 2: the household's wishes; and one without them is malformed.
line("accepted", "-", pi.sign(jose.reorder2("pi", 15, NOW, oid(21))))
line("rejected", "payload", pi.sign(jose.reorder("pi", 16, NOW, oid(22), v=2)))
print("\n".join(out))
