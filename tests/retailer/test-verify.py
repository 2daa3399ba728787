#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-retailer verify, keygen and jwk from the command line, with tokens
made by python3-jwcrypto from keys it generates (their public JWKs in the
trust folder) and hostile tokens put together by hand (jose.py):

- a good reorder and a good cancel are accepted; the same line again is a
  duplicate (not accepted twice, not a rejection);
- forged (another key, the device's kid), altered (one payload byte), a lower
  sequence number with a new order id, alg none, HS256 keyed with the public
  key's bytes and with its JWK text, an unknown kid, an unknown device, a
  wrong typ, iat too old and in the future, schema version 3: each rejected
  with its reason code;
- a reorder of schema version 2 is accepted and its verdict line prints the
  household's wishes as signed; a version 2 without wishes is rejected;
- a line is read whole: one holding a NUL byte is refused (malformed), with
  an error naming the line;
- exit status 0 when nothing was rejected, 1 when something was, 2 on bad
  usage; --help and --version;
- keygen writes a 0600 key and prints its public JWK; jwk prints the same
  JWK again, which jwcrypto reads and whose thumbprint is the printed kid; a
  key that others may read is refused.

usage: test-verify.py PANTRY_RETAILER
"""
import json
import os
import stat
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from checks import check, done, need  # noqa: E402
need("python3-jwcrypto", modules=["jwcrypto"])
import jose  # noqa: E402
from jwcrypto import jwk  # noqa: E402

RETAILER = sys.argv[1]
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000


def verify(trust, lines, *extra):
    p = subprocess.run([RETAILER, "verify", "--trust", trust, "--now", NOW_TEXT] +
                       list(extra), input="\n".join(lines) + "\n",
                       capture_output=True, text=True, timeout=60)
    out = [json.loads(x) for x in p.stdout.splitlines()]
    return p.returncode, out, p.stderr


def oid(n):
    return "rice-20261001T120000Z-%08x" % n


with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    pi = jose.Device("pi-kitchen")
    pi.write_trust(trust)
    other = jose.Device("stranger")
    x = jose.unb64(json.loads(pi.public_jwk())["x"])

    # Each case: name, token, verdict and reason wanted. Judged in this order.
    good = pi.sign(jose.reorder(pi.name, 5, NOW, oid(1)))
    cases = [
        ("good reorder", good, "accepted", None),
        ("replayed", good, "duplicate", None),
        ("good cancel", pi.sign(jose.cancel(pi.name, 6, NOW, oid(1)),
                                typ=jose.TYP_CANCEL), "accepted", None),
        ("lower sequence, new order id",
         pi.sign(jose.reorder(pi.name, 4, NOW, oid(2))), "rejected", "sequence"),
        ("equal sequence, new order id",
         pi.sign(jose.reorder(pi.name, 6, NOW, oid(3))), "rejected", "sequence"),
        ("forged", pi.sign(jose.reorder(pi.name, 7, NOW, oid(4)), key=other.key),
         "rejected", "signature"),
        ("altered", jose.alter(pi.sign(jose.reorder(pi.name, 8, NOW, oid(5)))),
         "rejected", "signature"),
        ("alg none", jose.alg_none(jose.reorder(pi.name, 9, NOW, oid(6)), pi.kid),
         "rejected", "alg"),
        ("HS256 keyed with the public key bytes",
         jose.hs256(jose.reorder(pi.name, 10, NOW, oid(7)), pi.kid, x),
         "rejected", "alg"),
        ("HS256 keyed with the JWK text",
         jose.hs256(jose.reorder(pi.name, 11, NOW, oid(8)), pi.kid,
                    pi.public_jwk().encode()), "rejected", "alg"),
        ("unknown kid", other.sign(jose.reorder(pi.name, 12, NOW, oid(9))),
         "rejected", "unknown-kid"),
        ("unknown device", other.sign(jose.reorder(other.name, 1, NOW, oid(10))),
         "rejected", "unknown-device"),
        ("wrong typ", pi.sign(jose.reorder(pi.name, 13, NOW, oid(11)), typ="JWT"),
         "rejected", "typ"),
        ("too old", pi.sign(jose.reorder(pi.name, 14, NOW - 7 * 86400 - 1, oid(12))),
         "rejected", "stale"),
        ("in the future", pi.sign(jose.reorder(pi.name, 15, NOW + 301, oid(13))),
         "rejected", "future"),
        ("schema version 3", pi.sign(jose.reorder(pi.name, 16, NOW, oid(14), v=3)),
         "rejected", "schema"),
        ("after all that, a new order", pi.sign(jose.reorder(pi.name, 7, NOW, oid(15))),
         "accepted", None),
        ("schema version 2, with wishes", pi.sign(jose.reorder2(pi.name, 17, NOW,
                                                                oid(16))),
         "accepted", None),
        ("schema version 2 without wishes",
         pi.sign(jose.reorder(pi.name, 18, NOW, oid(17), v=2)), "rejected", "payload"),
    ]
    rc, out, err = verify(trust, [c[1] for c in cases])
    check(rc == 1, "exit status 1 when something was rejected (got %d: %s)" % (rc, err))
    check(len(out) == len(cases),
          "one verdict per line (%d for %d)" % (len(out), len(cases)))
    for i, (name, _, verdict, reason) in enumerate(cases):
        if i >= len(out):
            break
        v = out[i]
        check(v["line"] == i + 1, "%s: line number %s" % (name, v.get("line")))
        check(v["verdict"] == verdict and v.get("reason") == reason,
              "%s: got %s/%s (%s), want %s/%s" % (name, v["verdict"], v.get("reason"),
                                                 v.get("detail"), verdict, reason))
        if verdict != "rejected":
            check("reason" not in v, "%s: no reason unless rejected" % name)
    check(out[0].get("device") == pi.name and out[0].get("order_id") == oid(1) and
          out[0].get("seq") == 5, "the verdict names device, order id and seq")
    # The household's wishes are printed with an accepted v2, as signed.
    check(len(out) == len(cases) and
          out[-2].get("wishes") == jose.reorder2(pi.name, 17, NOW)["wishes"],
          "the wishes of a reorder v2: %s" % (out[-2:],))
    check("wishes" not in out[0], "no wishes in a version 1 verdict")

    # --windows: a reorder v2 none of whose windows (mon-fri 07:00-09:00 and
    # sat 10:00-24:00 at +02:00, i.e. 05:00-07:00 and sat 08:00-22:00 UTC)
    # meets the retailer's, in its own local time, is rejected with "window";
    # a version 1 reorder says no windows and is accepted.
    v2 = pi.sign(jose.reorder2(pi.name, 17, NOW, oid(16)))
    v1 = pi.sign(jose.reorder(pi.name, 18, NOW, oid(17)))
    for spec, tz, verdict in [
            (["mon-fri 08:00-18:00"], "UTC", "rejected"),
            (["mon-fri 06:00-18:00"], "UTC", "accepted"),
            (["mon-fri 07:00-08:00"], "UTC", "rejected"),  # [07, 08) after [05, 07)
            (["mon-fri 07:00-08:00"], "Etc/GMT-2", "accepted"),  # 05:00 UTC
            (["sun 00:00-24:00", "sat 21:00-22:00"], "UTC", "accepted"),
            (["sun 00:00-24:00"], "UTC", "rejected")]:
        args = []
        for w in spec:
            args += ["--windows", w]
        os.environ["TZ"] = tz
        rc, out, err = verify(trust, [v2, v1], *args)
        check(len(out) == 2 and out[0]["verdict"] == verdict and
              out[1]["verdict"] == "accepted",
              "%s in %s: %s, want %s (%s)" % (spec, tz, out, verdict, err))
        if verdict == "rejected" and len(out) == 2:
            check(out[0].get("reason") == "window" and
                  "no delivery window of the order (mon-fri 07:00-09:00, ..., "
                  "UTC+02:00) meets ours (%s" % spec[0] in out[0].get("detail", ""),
                  "the window rejection says why: %s" % out[0])
    os.environ["TZ"] = "UTC"
    for bad in ["mon-fri 8:00-18:00", "weekdays 08:00-18:00", "mon 18:00-08:00"]:
        p = subprocess.run([RETAILER, "verify", "--trust", trust, "--windows", bad],
                           input="", capture_output=True, text=True, timeout=60)
        check(p.returncode == 2 and "--windows: '%s'" % bad in p.stderr,
              "bad --windows %r: %d %s" % (bad, p.returncode, p.stderr))
    p = subprocess.run([RETAILER, "verify", "--trust", trust] +
                       ["--windows", "daily 08:00-09:00"] * 9,
                       input="", capture_output=True, text=True, timeout=60)
    check(p.returncode == 2 and "--windows: at most 8" in p.stderr,
          "nine --windows: %d %s" % (p.returncode, p.stderr))

    # Only good lines and duplicates: exit status 0. An empty line is no input.
    rc, out, _ = verify(trust, [good, "", good])
    check(rc == 0, "exit 0 without rejections (got %d)" % rc)
    check([v["verdict"] for v in out] == ["accepted", "duplicate"] and
          [v["line"] for v in out] == [1, 3], "empty lines skipped, still counted")

    # The window options move the edges: 1 h old is stale with --max-age 30m.
    rc, out, _ = verify(trust, [pi.sign(jose.reorder(pi.name, 1, NOW - 3600, oid(1)))],
                        "--max-age", "30m")
    check(rc == 1 and out[0].get("reason") == "stale", "--max-age 30m")
    rc, out, _ = verify(trust, [pi.sign(jose.reorder(pi.name, 1, NOW + 3600, oid(1)))],
                        "--max-skew", "2h")
    check(rc == 0 and out[0]["verdict"] == "accepted", "--max-skew 2h")

    # A line too long for a token is one rejection, and the next line is read.
    rc, out, _ = verify(trust, ["A" * 20000, good])
    check(rc == 1 and [v["verdict"] for v in out] == ["rejected", "accepted"] and
          out[0]["reason"] == "malformed", "an overlong line")

    # A line is judged whole: a token, a NUL and garbage is refused, naming the
    # line, not judged as the token before the NUL.
    nul = good.encode() + b"\0GARBAGE\n"
    p = subprocess.run([RETAILER, "verify", "--trust", trust, "--now", NOW_TEXT],
                       input=b"\n" + nul + good.encode() + b"\n", capture_output=True,
                       timeout=60)
    out = [json.loads(x) for x in p.stdout.decode().splitlines()]
    check(p.returncode == 1 and [v["verdict"] for v in out] == ["rejected", "accepted"]
          and out[0]["reason"] == "malformed" and out[0]["line"] == 2 and
          "NUL" in out[0]["detail"], "a line with a NUL byte is refused: %s" % out)
    check(b"line 2" in p.stderr and b"NUL" in p.stderr,
          "and the error names the line: %s" % p.stderr)

    # Bad usage: exit status 2 and a message.
    for args in (["verify"], ["verify", "--trust", trust, "--max-age", "7x"],
                 ["verify", "--trust", trust, "--now", "2026-13-01T00:00:00Z"],
                 ["verify", "--trust", os.path.join(d, "missing")], ["frobnicate"], []):
        p = subprocess.run([RETAILER] + args, capture_output=True, text=True, input="")
        check(p.returncode == 2 and "pantry-retailer:" in p.stderr,
              "usage error %s: exit %d, %r" % (args, p.returncode, p.stderr[:80]))
    bad_trust = os.path.join(d, "bad-trust")
    os.mkdir(bad_trust)
    with open(os.path.join(bad_trust, "pi.jwk"), "w") as f:
        f.write('{"kty":"OKP","crv":"Ed25519","x":"short"}')
    p = subprocess.run([RETAILER, "verify", "--trust", bad_trust], input="",
                       capture_output=True, text=True)
    check(p.returncode == 2 and "pi.jwk" in p.stderr, "a bad trust file is named")
    for cmd in ("listen", "verify", "export", "keygen", "jwk"):
        p = subprocess.run([RETAILER, cmd, "--help"], capture_output=True, text=True)
        check(p.returncode == 0 and
              p.stdout.startswith("usage: pantry-retailer " + cmd),
              "%s --help" % cmd)
    p = subprocess.run([RETAILER, "--version"], capture_output=True, text=True)
    check(p.returncode == 0 and p.stdout.startswith("pantry-retailer "), "--version")

    # keygen and jwk.
    key = os.path.join(d, "retailer.key")
    p = subprocess.run([RETAILER, "keygen", "--key", key], capture_output=True,
                       text=True)
    check(p.returncode == 0, "keygen: %s" % p.stderr)
    check(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "keygen makes a 0600 file")
    pub = jwk.JWK.from_json(p.stdout)
    check(not pub.has_private, "keygen prints a public JWK only")
    check(pub.thumbprint() in p.stderr, "keygen prints the kid, the JWK's thumbprint")
    j = subprocess.run([RETAILER, "jwk", "--key", key], capture_output=True, text=True)
    check(j.returncode == 0 and j.stdout == p.stdout, "jwk prints the same JWK")
    p2 = subprocess.run([RETAILER, "keygen", "--key", key], capture_output=True,
                        text=True)
    check(p2.returncode != 0, "keygen keeps an existing key without --force")
    p2 = subprocess.run([RETAILER, "keygen", "--key", key, "--force"],
                        capture_output=True, text=True)
    check(p2.returncode == 0 and p2.stdout != p.stdout,
          "keygen --force makes a new key")
    os.chmod(key, 0o644)
    j = subprocess.run([RETAILER, "jwk", "--key", key], capture_output=True, text=True)
    check(j.returncode != 0 and j.stdout == "", "a key others may read is refused")

done()
