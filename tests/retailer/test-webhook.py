#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The hand-off by webhook (`listen --webhook`), against a real mosquitto on
a free loopback port (tests/broker.py), tokens made by python3-jwcrypto, a
real HTTP server in this process (http.server in a thread) that records every
request and checks its signature with python's own hmac, and the database read
with python's sqlite3:

1. an order is POSTed once, with Idempotency-Key <device>.reorder.<order id>,
   Content-Type application/json, a Pantry-Signature that verifies, and the
   body of the stdout line (the token, the payload); nothing on stdout; while
   the server holds its answer the device has no ack; after the 2xx it gets
   the accepted ack and the order is marked handed off;
2. 503 twice then 200: three POSTs with one key, exactly one accepted ack;
3. 422 with {"reason": ...}: a rejected ack "refused: <reason>" (control
   characters replaced), the record rejected with reason refused; the
   device's re-send gets the same ack and makes no second POST; the same on
   a private PostgreSQL (pglib.py) when its binaries are installed;
4. no server at first: the listener retries, and delivers once one listens
   (its 200 has a 10,000-byte body: not read, and the 2xx still counts);
5. killed (-9) while the server holds a request: restarted, the order is
   POSTed again with the same key, and the server counts one distinct key per
   order; both orders acknowledged once delivered; a queued order whose
   stored token was damaged is refused with that reason, not retried for
   ever, and the order behind it delivered;
6. over https, a server certificate of another CA than --webhook-ca's is
   refused (retried, logged), and the right CA delivers after a restart;
7. SIGTERM while a POST is held aborts it: exit 0, no ack, still queued;
8. a secret file others may read (0644) is refused with an error naming it,
   before any database is made.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-webhook.py PANTRY_RETAILER
"""
import base64
import hashlib
import hmac
import http.server
import json
import os
import re
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import urllib.request

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker, free_port, make_pki  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("openssl", programs=["openssl"])
need("python3-jwcrypto", modules=["jwcrypto"])
need("python3-cryptography", modules=["cryptography"])
from cryptography.hazmat.primitives.asymmetric.ed25519 import \
    Ed25519PublicKey  # noqa: E402
import jose  # noqa: E402
from listenlib import Acks, Listener, oid, pub  # noqa: E402
from pglib import Postgres, why_not  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000
SECRET = b"s3cret-of-the-order-system-0123456789"


class Hook:
    """The order system: records every POST (headers, body, whether its
    signature verified), answers from a script of (status, body) (then 200),
    and holds its answer while hold is set."""

    def __init__(self, port=None, tls=None):
        self.port = port or free_port()
        self.tls = tls  # (certificate, key): https
        self.requests = []
        self.script = []
        self.hold = threading.Event()   # set: answers wait for release
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.server = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d/pantry" % ("https" if self.tls else "http", self.port)

    def start(self):
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with hook.lock:
                    hook.requests.append({"headers": dict(self.headers), "body": body,
                                          "signed": verify(self.headers, body)})
                    status, answer = hook.script.pop(0) if hook.script else (200, b"")
                if hook.hold.is_set():
                    hook.release.wait(60)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(answer)))
                    self.end_headers()
                    self.wfile.write(answer)
                except OSError:
                    pass  # the listener died meanwhile

        class Server(http.server.ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, address):
                pass  # a refused handshake: the listener's log says why

        self.server = Server(("127.0.0.1", self.port), Handler)
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*self.tls)
            self.server.socket = ctx.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.release.set()
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def keys(self):
        with self.lock:
            return [r["headers"].get("Idempotency-Key") for r in self.requests]


def verify(headers, body):
    """Pantry-Signature: t=T,v1=HEX with HEX = HMAC-SHA256(secret, "T." + body)."""
    sig = headers.get("Pantry-Signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False
    mac = hmac.new(SECRET, parts["t"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(mac, parts["v1"]) and parts["t"] == str(NOW)


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_ed25519(headers, body, jwk_text):
    """Pantry-Signature-Ed25519: t=T,kid=KID,sig=B64URL of "T." + body, checked
    with python3-cryptography against the retailer's public JWK."""
    sig = headers.get("Pantry-Signature-Ed25519", "")
    parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
    jwk_ = json.loads(jwk_text)
    if parts.get("t") != str(NOW) or parts.get("kid") != jwk_.get("kid"):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(unb64(jwk_["x"])).verify(
            unb64(parts["sig"]), parts["t"].encode() + b"." + body)
        return True
    except Exception:
        return False


def db_rows(path, sql):
    con = sqlite3.connect(path)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def listener(d, broker, trust, name, hook_url, *extra, db=None):
    return Listener(RETAILER, d, name, broker.url, "--trust", trust, "--now", NOW_TEXT,
                    "--client-id", name, "--group", name, "--db", db or name + ".db",
                    "--webhook", hook_url, "--webhook-secret",
                    os.path.join(d, "secret"), *extra)


def texts(acks):
    """Each ack's JSON text ("topic json"), a signed one's payload decoded."""
    out = []
    for line in acks.lines():
        topic, _, payload = line.partition(" ")
        if not payload.startswith("{") and payload.count(".") == 2:
            payload = unb64(payload.split(".")[1]).decode()
        out.append(topic + " " + payload)
    return out


def quiet(acks):
    """A probe's round trip through the broker to the ack subscriber: what
    has arrived by then (used where the listener is dead: nothing more can
    come; barrier() is the ordered check while it lives)."""
    acks._probe()
    return True


def barrier(broker, acks, dev, n, before):
    """A new order of dev with an old sequence number n: rejected at once
    (sequence) without the webhook, so its ack is published after any the
    listener published before it, on the same connection, in order. Returns
    the acks once it has come; `before` acks were expected before it."""
    pub(broker, "pantry/v1/%s/reorder" % dev.name,
        dev.sign(jose.reorder(dev.name, n, NOW, oid(900 + n, "barrier"))))
    wait_for(lambda: any("barrier" in x for x in texts(acks)))
    lines = texts(acks)
    check(len(lines) == before + 1 and "barrier" in lines[-1] and
          '"status":"rejected"' in lines[-1], "the barrier's ack: %s" % lines)
    return lines[:before]


def part_basic(d, broker, trust, dev):
    hook = Hook().start()
    acks = Acks(d, broker)
    key = os.path.join(d, "ack.key")
    subprocess.run([RETAILER, "keygen", "--key", key], check=True, capture_output=True)
    jwk_text = subprocess.run([RETAILER, "jwk", "--key", key], check=True,
                              capture_output=True).stdout.decode()
    lis = listener(d, broker, trust, "basic", hook.url, "--key", key)
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        hook.hold.set()
        token = dev.sign(jose.reorder(dev.name, 1, NOW, oid(1)))
        pub(broker, "pantry/v1/%s/reorder" % dev.name, token)
        check(wait_for(lambda: len(hook.requests) == 1), "the order is POSTed: %s" %
              lis.log())
        r = hook.requests[0]
        key = "%s.reorder.%s" % (dev.name, oid(1))
        check(r["headers"].get("Idempotency-Key") == key,
              "Idempotency-Key %s: %s" % (key, r["headers"]))
        check(r["headers"].get("Content-Type") == "application/json",
              "Content-Type: %s" % r["headers"])
        check(r["signed"], "the signature verifies: %s" % r["headers"])
        check(verify_ed25519(r["headers"], r["body"], jwk_text),
              "the Ed25519 signature verifies with the retailer's JWK: %s / %s" %
              (r["headers"], jwk_text))
        check(not verify_ed25519(r["headers"], r["body"] + b" ", jwk_text),
              "and not for other bytes")
        body = json.loads(r["body"])
        check(body.get("accepted") == "reorder" and body.get("jws") == token and
              body.get("order_id") == oid(1) and body.get("device") == dev.name and
              body.get("payload", {}).get("seq") == 1, "the body: %s" % body)
        check(barrier(broker, acks, dev, 1, 0) == [],
              "no ack while the order system holds its answer: %s" % texts(acks))
        hook.release.set()
        check(wait_for(lambda: len(texts(acks)) == 2), "then the ack: %s" % lis.log())
        check('"status":"accepted"' in (texts(acks) + ["", ""])[1] and
              oid(1) in (texts(acks) + ["", ""])[1], "accepted: %s" % texts(acks))
        check(wait_for(lambda: db_rows(os.path.join(d, "basic.db"),
                                       "SELECT handed_off FROM message WHERE verdict "
                                       "= 'accepted'") == [(NOW,)]),
              "marked handed off")
        check(lis.stop() == 0, "stops cleanly: %s" % lis.log()[-500:])
        check(lis.raw() == "", "nothing on stdout: %r" % lis.raw())
        check(len(hook.requests) == 1, "one POST: %s" % hook.keys())
        check(SECRET.decode() not in lis.log(), "the secret is not logged")
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_retry(d, broker, trust, dev):
    hook = Hook().start()
    hook.script = [(503, b"busy"), (503, b"")]
    acks = Acks(d, broker)
    lis = listener(d, broker, trust, "retry", hook.url, "--count", "2")
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 1, NOW, oid(2))))
        check(wait_for(lambda: len(texts(acks)) == 1, 60),
              "acknowledged after the 200: %s" % lis.log())
        key = "%s.reorder.%s" % (dev.name, oid(2))
        check(hook.keys() == [key] * 3, "three POSTs, one key: %s" % hook.keys())
        check(lis.proc.poll() is None, "--count 2: one delivered, still running")
        pub(broker, "pantry/v1/%s/cancel" % dev.name,
            dev.sign(jose.cancel(dev.name, 2, NOW, oid(2)), typ=jose.TYP_CANCEL))
        check(lis.exited() and lis.proc.returncode == 0,
              "--count counts orders delivered: the cancel is the second (%s)" %
              lis.log()[-400:])
        check(hook.keys()[3:] == ["%s.cancel.%s" % (dev.name, oid(2))],
              "the cancel POSTed with its own key: %s" % hook.keys())
        check(json.loads(hook.requests[-1]["body"]).get("accepted") == "cancel",
              "as a cancel")
        check(wait_for(lambda: len(texts(acks)) == 2) and
              '"status":"cancelled"' in texts(acks)[1], "and cancelled: %s" %
              texts(acks))
        check(all(r["signed"] for r in hook.requests), "each signed")
        check(lis.log().count("HTTP status 503") == 2, "two retries logged: %s" %
              lis.log())
        check(quiet(acks) and len(texts(acks)) == 2 and
              '"status":"accepted"' in texts(acks)[0],
              "exactly one accepted ack: %s" % texts(acks))
        check(db_rows(os.path.join(d, "retry.db"), "SELECT handed_off FROM message")
              == [(NOW,), (NOW,)], "both handed off")
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_refuse(d, broker, trust, dev, pg=None):
    """On SQLite, or with pg (a started pglib.Postgres) on PostgreSQL."""
    name = "refuse" if pg is None else "refusepg"
    if pg is None:
        db = name + ".db"

        def rows_of(query):
            return db_rows(os.path.join(d, db), query)
    else:
        pg.createdb(name)
        db = pg.conninfo(name)

        def rows_of(query):
            return [tuple(None if v == "" else v for v in r) for r in pg.sql(name, query)]
    hook = Hook().start()
    hook.script = [(422, json.dumps({"reason": "no rice\u0001 left", "code": 7}).encode())]
    acks = Acks(d, broker)
    lis = listener(d, broker, trust, name, hook.url, db=db)
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        token = dev.sign(jose.reorder(dev.name, 1, NOW, oid(3)))
        pub(broker, "pantry/v1/%s/reorder" % dev.name, token)
        check(wait_for(lambda: len(texts(acks)) == 1), "answered: %s" % lis.log())
        ack = json.loads(texts(acks)[0].split(" ", 1)[1]) if texts(acks) else {}
        check(ack.get("status") == "rejected" and
              ack.get("reason") == "refused: no rice? left",
              "a rejected ack with the order system's reason: %s" % ack)
        rows = rows_of("SELECT verdict, reason, detail, handed_off FROM message")
        check(rows == [("rejected", "refused", "no rice? left", None)],
              "recorded rejected, not accepted: %s" % rows)
        pub(broker, "pantry/v1/%s/reorder" % dev.name, token)  # the device re-sends
        check(wait_for(lambda: len(texts(acks)) == 2) and
              texts(acks)[1] == texts(acks)[0], "the re-send gets the same ack: %s" %
              texts(acks))
        check(len(hook.requests) == 1, "and no second POST: %s" % hook.keys())
        p = subprocess.run([RETAILER, "export", "--db", db, "--since", NOW_TEXT],
                           cwd=d, capture_output=True, timeout=30)
        check(p.returncode == 0 and p.stdout == b"", "export has no refused order: %s" %
              p.stdout)
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def queue_depth(port):
    """The listener's handoff_queue_depth gauge, from its /metrics (None
    when it does not answer)."""
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port,
                                    timeout=10) as r:
            text = r.read().decode()
    except OSError:
        return None
    m = re.search(r"^pantry_retailer_handoff_queue_depth (\d+)$", text, re.M)
    return int(m.group(1)) if m else None


def part_down(d, broker, trust, dev):
    hook = Hook()  # not started: nothing listens on its port
    hook.script = [(200, b"x" * 10000)]  # a 2xx with an answer too long to read
    acks = Acks(d, broker)
    mport = free_port()
    lis = listener(d, broker, trust, "down", hook.url, "--metrics",
                   "127.0.0.1:%d" % mport)
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        check(queue_depth(mport) == 0, "queue depth 0 at first")
        for seq in (1, 2):
            pub(broker, "pantry/v1/%s/reorder" % dev.name,
                dev.sign(jose.reorder(dev.name, seq, NOW, oid(3 + seq))))
        check(wait_for(lambda: "not delivered" in lis.log()),
              "the POST fails: %s" % lis.log())
        check(barrier(broker, acks, dev, 1, 0) == [], "no ack: %s" % texts(acks))
        check(queue_depth(mport) == 2, "queue depth 2: %s" % queue_depth(mport))
        # The queue is the ledger's: a restart counts it again.
        check(lis.stop() == 0, "stops: %s" % lis.log()[-300:])
        lis = listener(d, broker, trust, "down", hook.url, "--metrics",
                       "127.0.0.1:%d" % mport)
        check(lis.subscribed(2), "subscribed again: %s" % lis.log())
        check(queue_depth(mport) == 2, "queue depth 2 after a restart: %s %s" %
              (queue_depth(mport), lis.log()))
        hook.start()
        check(wait_for(lambda: len(texts(acks)) == 3, 60),
              "delivered once the order system is up: %s" % lis.log())
        check(hook.keys() == ["%s.reorder.%s" % (dev.name, oid(s)) for s in (4, 5)],
              "one POST of each reached it: %s" % hook.keys())
        check(wait_for(lambda: queue_depth(mport) == 0), "queue depth 0 again: %s" %
              queue_depth(mport))
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_damaged(d, broker, trust, dev):
    """A queued order whose stored token was damaged in the database: refused
    with the reason, and the order behind it still delivered."""
    hook = Hook()  # not started yet
    acks = Acks(d, broker)
    lis = listener(d, broker, trust, "damaged", hook.url)
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 1, NOW, oid(7))))
        check(wait_for(lambda: "not delivered" in lis.log()),
              "the POST fails: %s" % lis.log())
        check(lis.stop() == 0, "stops: %s" % lis.log()[-300:])
        con = sqlite3.connect(os.path.join(d, "damaged.db"))
        with con:
            con.execute("UPDATE message SET token = 'e30.e30.e30'")
        con.close()
        hook.start()
        lis = listener(d, broker, trust, "damaged", hook.url)
        check(lis.subscribed(2), "subscribed again: %s" % lis.log())
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 2, NOW, oid(8))))
        check(wait_for(lambda: len(texts(acks)) == 2), "both answered: %s" % lis.log())
        by_id = {}
        for line in texts(acks):
            a = json.loads(line.split(" ", 1)[1])
            by_id[a.get("order_id")] = (a.get("status"), a.get("reason"))
        check(by_id.get(oid(7)) == ("rejected", "refused: its stored copy is damaged"),
              "the damaged one rejected with the reason: %s" % by_id)
        check(by_id.get(oid(8), ("",))[0] == "accepted",
              "the one behind it accepted: %s" % by_id)
        check(hook.keys() == ["%s.reorder.%s" % (dev.name, oid(8))],
              "only the readable one POSTed: %s" % hook.keys())
        check("stored copy is damaged" in lis.log() and
              "refused by the order system" not in lis.log(),
              "logged as damaged, not as the order system's refusal: %s" % lis.log())
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_kill(d, broker, trust, dev):
    hook = Hook().start()
    acks = Acks(d, broker)
    lis = listener(d, broker, trust, "kill", hook.url)
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        hook.hold.set()
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 1, NOW, oid(5))))
        check(wait_for(lambda: len(hook.requests) == 1), "POSTed: %s" % lis.log())
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 2, NOW, oid(6))))
        check(wait_for(lambda: len(db_rows(os.path.join(d, "kill.db"),
                                           "SELECT 1 FROM message")) == 2),
              "the second order is recorded meanwhile")
        lis.proc.kill()
        lis.proc.wait()
        hook.hold.clear()
        hook.release.set()
        check(quiet(acks) and texts(acks) == [], "nothing acknowledged: %s" %
              texts(acks))
        lis = listener(d, broker, trust, "kill", hook.url)
        check(wait_for(lambda: len(texts(acks)) == 2),
              "restarted, it delivers and acknowledges both: %s" % lis.log())
        keys = hook.keys()
        k5 = "%s.reorder.%s" % (dev.name, oid(5))
        k6 = "%s.reorder.%s" % (dev.name, oid(6))
        check(keys[:2] == [k5, k5] and keys[2:] == [k6],
              "the held order POSTed again with its key, then the next: %s" % keys)
        check(len(set(keys)) == 2, "distinct keys = orders: %s" % keys)
        rows = db_rows(os.path.join(d, "kill.db"),
                       "SELECT count(*) FROM message WHERE handed_off IS NOT NULL")
        check(wait_for(lambda: db_rows(os.path.join(d, "kill.db"),
                                       "SELECT count(*) FROM message WHERE handed_off "
                                       "IS NOT NULL") == [(2,)]),
              "both handed off: %s" % rows)
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_tls(d, broker, trust, dev):
    pki = make_pki(os.path.join(d, "pki"))
    hook = Hook(tls=(pki["server_cert"], pki["server_key"])).start()
    acks = Acks(d, broker)
    lis = listener(d, broker, trust, "tls", hook.url, "--webhook-ca", pki["other_ca"])
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 1, NOW, oid(7))))
        check(wait_for(lambda: "not delivered" in lis.log()),
              "a certificate of another CA is refused: %s" % lis.log())
        check("certificate" in lis.log(), "and the log says so: %s" % lis.log())
        check(hook.requests == [], "no request got through")
        check(lis.stop() == 0, "stops while it backs off: %s" % lis.log()[-300:])
        lis = listener(d, broker, trust, "tls", hook.url, "--webhook-ca", pki["ca"])
        check(wait_for(lambda: len(texts(acks)) == 1),
              "with the right CA it delivers at its next start: %s" % lis.log())
        check(hook.keys() == ["%s.reorder.%s" % (dev.name, oid(7))] and
              hook.requests[0]["signed"], "over https, signed: %s" % hook.keys())
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_term(d, broker, trust, dev):
    hook = Hook().start()
    hook.hold.set()
    acks = Acks(d, broker)
    lis = listener(d, broker, trust, "term", hook.url)
    try:
        check(lis.subscribed(), "subscribed: %s" % lis.log())
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 1, NOW, oid(8))))
        check(wait_for(lambda: len(hook.requests) == 1), "POSTed: %s" % lis.log())
        check(lis.stop() == 0, "SIGTERM during a held POST: it aborts the POST and "
              "exits 0: %s" % lis.log()[-400:])
        check(quiet(acks) and texts(acks) == [], "unanswered: %s" % texts(acks))
        check(db_rows(os.path.join(d, "term.db"), "SELECT verdict, handed_off FROM "
                      "message") == [("accepted", None)], "still queued")
    finally:
        lis.stop()
        acks.stop()
        hook.stop()


def part_secret(d, trust):
    bad = os.path.join(d, "secret-public")
    with open(bad, "wb") as f:
        f.write(SECRET)
    os.chmod(bad, 0o644)
    p = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:1", "--trust",
                        trust, "--db", "never.db", "--webhook", "http://127.0.0.1:1/x",
                        "--webhook-secret", bad], cwd=d, capture_output=True, timeout=30)
    err = p.stderr.decode()
    check(p.returncode == 2 and "--webhook-secret" in err and bad in err and
          "chmod 600" in err, "a secret others may read is refused: %d %s" %
          (p.returncode, err))
    check(SECRET.decode() not in err, "without printing it")
    check(not os.path.exists(os.path.join(d, "never.db")), "before any database")
    short = os.path.join(d, "secret-short")
    with open(short, "wb") as f:
        f.write(b"short\n")
    os.chmod(short, 0o600)
    p = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:1", "--trust",
                        trust, "--db", "never.db", "--webhook", "http://127.0.0.1:1/x",
                        "--webhook-secret", short], cwd=d, capture_output=True, timeout=30)
    check(p.returncode == 2 and b"16 to 1024 bytes" in p.stderr,
          "a short secret is refused: %s" % p.stderr)
    p = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:1", "--trust",
                        trust, "--db", "never.db", "--webhook", "ftp://x/y"], cwd=d,
                       capture_output=True, timeout=30)
    check(p.returncode == 2 and b"--webhook: 'ftp://x/y'" in p.stderr,
          "a webhook URL that is not http(s) is refused: %s" % p.stderr)


with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    devices = [jose.Device("pi-%d" % i) for i in range(8)]
    for dev in devices:
        dev.write_trust(trust)
    with open(os.path.join(d, "secret"), "wb") as f:
        f.write(SECRET + b"\n")
    os.chmod(os.path.join(d, "secret"), 0o600)
    broker = Broker(os.path.join(d, "broker")).start()
    try:
        part_secret(d, trust)
        part_basic(d, broker, trust, devices[0])
        part_retry(d, broker, trust, devices[1])
        part_refuse(d, broker, trust, devices[2])
        if why_not() is None:
            pg = Postgres().start()
            try:
                part_refuse(d, broker, trust, devices[2], pg)
            finally:
                pg.cleanup()
        else:
            print("# the refusal on PostgreSQL not checked: %s" % why_not())
        part_down(d, broker, trust, devices[3])
        part_kill(d, broker, trust, devices[4])
        part_damaged(d, broker, trust, devices[7])
        part_tls(d, broker, trust, devices[5])
        part_term(d, broker, trust, devices[6])
    finally:
        broker.stop()
    logs = "".join(open(os.path.join(d, f), errors="replace").read()
                   for f in sorted(os.listdir(d)) if f.endswith(".err"))
    check("Sanitizer" not in logs and "runtime error" not in logs,
          "no listener reported a sanitizer error: %s" % logs[-2000:])
    check(SECRET.decode() not in logs, "no log holds the secret")
done()
