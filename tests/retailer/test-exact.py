#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Validly signed tokens whose JSON says one thing to a lenient reader and
another to an exact one (issue 12), made by python3-jwcrypto, an independent
JOSE implementation, and judged by `pantry-retailer verify`:

- "\\u0000" inside the device, the order id or the item id: cJSON decodes it
  to a NUL, and a C check after it would see "pi-kitchen" where
  "pi-kitchen\\0evil" was signed. Refused, with "\\u0000" named, and never
  printed as accepted;
- a header with alg, typ or kid twice (jwcrypto signs the header text as
  given and reads the last member; RFC 7515 §5.2 says refuse): refused as
  "given twice", and so is a name spelled twice with an escape ("\\u0061lg");
- numbers outside JSON's grammar (a leading zero) and raw control characters
  in a signed payload: refused;
- beside them, the same tokens without the trap are accepted, so the
  refusals are the traps' doing.

usage: test-exact.py PANTRY_RETAILER
"""
import json
import os
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from checks import check, done, need  # noqa: E402
need("python3-jwcrypto", modules=["jwcrypto"])
import jose  # noqa: E402
from jwcrypto import jws  # noqa: E402

RETAILER = sys.argv[1]
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000


def verify(trust, token):
    """The verdict of one token: (exit status, the output object or None,
    stderr)."""
    p = subprocess.run([RETAILER, "verify", "--trust", trust, "--now", NOW_TEXT],
                       input=token + "\n", capture_output=True, text=True,
                       timeout=60)
    lines = p.stdout.splitlines()
    return p.returncode, json.loads(lines[0]) if lines else None, p.stderr


def sign_raw(device, payload_text, header_text):
    """payload_text signed under header_text, both exactly as given."""
    t = jws.JWS(payload_text.encode())
    t.add_signature(device.key, None, header_text)
    return t.serialize(compact=True)


def sign_by_hand(device, payload_text, header_text):
    """The same, signed with the key's Ed25519 primitive: for a header that
    jwcrypto will not sign because the member it reads last is not EdDSA."""
    h = jose.b64(header_text.encode())
    p = jose.b64(payload_text.encode())
    sig = device.key.get_op_key("sign").sign(("%s.%s" % (h, p)).encode())
    return "%s.%s.%s" % (h, p, jose.b64(sig))


def oid(n):
    return "rice-20261001T120000Z-%08x" % n


def header(device, typ=jose.TYP_REORDER):
    return '{"alg":"EdDSA","kid":"%s","typ":"%s"' % (device.kid, typ)


with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    pi = jose.Device("pi-kitchen")
    pi.write_trust(trust)
    seq = 0

    def judge(name, token, accepted, why=None):
        rc, out, err = verify(trust, token)
        verdict = out.get("verdict") if out else None
        text = json.dumps(out) + err
        if accepted:
            check(verdict == "accepted", "%s: accepted (got %s %s)" % (name, verdict,
                                                                       text[:300]))
        else:
            check(verdict != "accepted" and rc != 0,
                  "%s: refused (got %s, exit %d)" % (name, verdict, rc))
            check(why is None or why in text, "%s: the refusal says %r (got %s)" %
                  (name, why, text[:300]))

    def reorder_text(**kw):
        global seq
        seq += 1
        p = jose.reorder(pi.name, seq, NOW, oid(seq))
        p.update(kw)
        return json.dumps(p, separators=(",", ":"))

    # The NUL traps: json.dumps writes a NUL character as \u0000.
    judge("plain reorder", pi.sign(json.loads(reorder_text())), True)
    judge("device with \\u0000", sign_raw(pi, reorder_text(device="pi-kitchen\0evil"),
                                           header(pi) + "}"), False, "\\\\u0000")
    judge("order_id with \\u0000", sign_raw(pi, reorder_text(order_id=oid(99) + "\0x"),
                                             header(pi) + "}"), False, "\\\\u0000")
    item = jose.reorder(pi.name, 1, NOW)["item"]
    item["id"] = "rice\0salt"
    judge("item id with \\u0000", sign_raw(pi, reorder_text(item=item), header(pi) + "}"),
          False, "\\\\u0000")

    # Members twice in the header: jwcrypto reads the last one (and will not
    # sign when that alg is not EdDSA: those are signed by hand).
    for name, extra, by_hand in [("alg twice", ',"alg":"none"}', True),
                                 ("typ twice", ',"typ":"JWT"}', False),
                                 ("kid twice", ',"kid":"someone-else"}', False),
                                 ("typ twice, escaped", ',"\\u0074yp":"JWT"}', False),
                                 ("alg twice, escaped", ',"\\u0061lg":"HS256"}', True)]:
        tok = (sign_by_hand if by_hand else sign_raw)(pi, reorder_text(),
                                                      header(pi) + extra)
        check(jose.unb64(tok.split(".")[0]).decode().endswith(extra),
              "%s: jwcrypto's token carries the member twice" % name)
        judge(name, tok, False, "given twice")
    judge("header written by hand, once each", sign_raw(pi, reorder_text(),
                                                         header(pi) + "}"), True)

    # Outside JSON's grammar, though cJSON would take it.
    text = reorder_text()
    judge("seq with a leading zero", sign_raw(
        pi, text.replace('"seq":%d,' % seq, '"seq":0%d,' % seq), header(pi) + "}"),
        False, "leading zero")
    judge("raw tab in a string", sign_raw(
        pi, reorder_text().replace("Basmati rice", "Basmati\trice"), header(pi) + "}"),
        False, "control character 0x09")
    judge("after all that, a plain reorder", pi.sign(json.loads(reorder_text())), True)

done()
