# SPDX-License-Identifier: GPL-2.0-or-later
"""Tokens for the retailer's tests, made independently of the code under test:
python3-jwcrypto (a JOSE implementation of its own) signs and verifies; the
hostile tokens (alg none, HMAC confusion, altered payloads) are put together
by hand with the standard library, as an attacker would.
"""
import base64
import hashlib
import hmac
import json
import os

from jwcrypto import jwk, jws
from jwcrypto.common import json_encode

TYP_REORDER = "pantry-reorder+jws"
TYP_CANCEL = "pantry-cancel+jws"


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Device:
    """A device with its own Ed25519 key (made by jwcrypto)."""

    def __init__(self, name):
        self.name = name
        self.key = jwk.JWK.generate(kty="OKP", crv="Ed25519")
        self.kid = self.key.thumbprint()
        self.seq = 0

    def public_jwk(self):
        return self.key.export_public()

    def write_trust(self, trust_dir, name=None):
        with open(os.path.join(trust_dir, (name or self.name) + ".jwk"), "w") as f:
            f.write(self.public_jwk())

    def sign(self, payload, typ=TYP_REORDER, kid=None, alg="EdDSA", key=None):
        """A compact JWS of payload (a dict or bytes), header alg/kid/typ."""
        data = payload if isinstance(payload, bytes) else json.dumps(
            payload, separators=(",", ":")).encode()
        header = {"alg": alg, "kid": self.kid if kid is None else kid, "typ": typ}
        t = jws.JWS(data)
        t.add_signature(key or self.key, None, json_encode(header))
        return t.serialize(compact=True)


def reorder(device, seq, iat, order_id=None, v=1, **extra):
    """A schema-valid reorder payload (reorder.schema.json)."""
    p = {
        "v": v, "type": "reorder",
        "order_id": order_id or "rice-20261001T120000Z-%08x" % seq,
        "device": device, "seq": seq, "iat": iat,
        "item": {"id": "rice", "name": "Basmati rice", "sku": "R-1",
                 "gtin": "4006381333931"},
        "quantity": {"packs": 2, "pack_g": 500.0, "price": 3.49, "currency": "EUR"},
        "reason": "predicted",
        "forecast": {"stock_g": 120.5, "rate_g_per_day": 80.25,
                     "runout": "2026-10-03T07:00:00Z",
                     "runout_early": "2026-10-02T20:00:00Z",
                     "runout_late": None, "service_level": 0.95},
    }
    p.update(extra)
    return p


def reorder2(device, seq, iat, order_id=None, **extra):
    """A schema-valid reorder v2 payload (reorder-v2.schema.json): v1 and the
    household's wishes (two ranked products, pack bounds, a price ceiling)."""
    p = reorder(device, seq, iat, order_id, v=2)
    p["wishes"] = {"products": [{"sku": "R-1", "gtin": "4006381333931"},
                                {"sku": "", "gtin": "12345678"}],
                   "retailer_chooses": False, "packs_min": 1, "packs_max": 4,
                   "price_max": 3.99, "currency": "EUR",
                   "delivery": {"place": "home",
                                "windows": [{"days": ["mon", "tue", "wed", "thu", "fri"],
                                             "from": "07:00", "until": "09:00"},
                                            {"days": ["sat"], "from": "10:00",
                                             "until": "24:00"}],
                                "utc_offset": "+02:00",
                                "not_before": "2026-10-02T00:00:00Z",
                                "away": [{"from": "2026-10-10T00:00:00Z",
                                          "until": "2026-10-17T18:00:00Z",
                                          "arrive": "after"}]}}
    p.update(extra)
    return p


def cancel(device, seq, iat, order_id, reason="button"):
    return {"v": 1, "type": "cancel", "order_id": order_id, "device": device,
            "seq": seq, "iat": iat, "reason": reason}


def alg_none(payload, kid):
    """{"alg":"none"} and an empty signature (RFC 7519 §6's unsecured JWS)."""
    h = b64(json.dumps({"alg": "none", "kid": kid, "typ": TYP_REORDER}).encode())
    return "%s.%s." % (h, b64(json.dumps(payload).encode()))


def hs256(payload, kid, secret):
    """HMAC-SHA256 over the signing input keyed with secret: the classic
    confusion where a verifier uses a public key as an HMAC secret."""
    h = b64(json.dumps({"alg": "HS256", "kid": kid, "typ": TYP_REORDER}).encode())
    p = b64(json.dumps(payload).encode())
    mac = hmac.new(secret, ("%s.%s" % (h, p)).encode(), hashlib.sha256).digest()
    return "%s.%s.%s" % (h, p, b64(mac))


def alter(token):
    """One byte of the payload changed, re-encoded, the signature kept."""
    h, p, s = token.split(".")
    data = bytearray(unb64(p))
    i = data.index(b'"packs":') + len(b'"packs":')
    data[i] = ord("9") if data[i] != ord("9") else ord("8")
    return "%s.%s.%s" % (h, b64(bytes(data)), s)


def verify_ack(token, public_jwk_text):
    """The payload of a signed ack verified with jwcrypto and nothing but the
    retailer's public JWK; raises if it does not verify."""
    key = jwk.JWK.from_json(public_jwk_text)
    t = jws.JWS()
    t.deserialize(token)
    t.verify(key, alg="EdDSA")
    return json.loads(t.payload), t.jose_header
