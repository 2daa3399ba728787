# SPDX-License-Identifier: GPL-2.0-or-later
"""A stand-in for Grocy, for the tests of pantry-agent's Grocy link: an HTTP
server on loopback that takes each request against Grocy 4.6.0's own API
description (tests/data/grocy/grocy.openapi.json): the operation is resolved
by path template and method, the GROCY-API-KEY header and the JSON content
type are required, path parameters must be integers, and the body is
validated with python3-jsonschema against the operation's requestBody schema.
A request that passes is counted and applied to a stock per product (consume
subtracts, add adds, inventory sets; the shopping list sums), and answered
with what the description says the response is (a StockLogEntry array, or
204), itself validated against the response schema. A request that fails is
answered 400 and kept in `errors`, which a test checks is empty; one with
another API key is answered 401 and counted in `unauthorized`.

`mode` makes it misbehave on purpose for the next requests: "ok", "reject"
(400 with an error_message; "reject-once": the next request only), "fail" (500), "junk", "huge", "wrongtypes" (a 200
whose body is not what the description says; the call is applied first, as a
Grocy that answered badly after doing it would), "hold" (applied, then no
answer until `release` is set). With `tls` (an ssl.SSLContext) it serves
HTTPS."""
import json
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jsonschema

SPEC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data",
                         "grocy", "grocy.openapi.json")


class FakeGrocy:
    def __init__(self, key, base="/api", port=0, stock=None, tls=None):
        with open(SPEC_PATH) as f:
            self.spec = json.load(f)
        self.key, self.base = key, base
        self.calls, self.errors = [], []
        self.unauthorized = 0
        self.stock = dict(stock or {})
        self.shopping = {}
        self.mode = "ok"
        self.release = threading.Event()
        self.lock = threading.Lock()
        self.ops = []
        for path, item in self.spec["paths"].items():
            rx = "^" + re.sub(r"\\\{([^}]+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)) + "$"
            self.ops.append((re.compile(rx), path, item))
        self.port = port
        self.tls = tls  # an ssl.SSLContext: serve HTTPS
        self.server = None

    def start(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                fake.handle(self, "get")

            def do_POST(self):
                fake.handle(self, "post")

            def do_PUT(self):
                fake.handle(self, "put")

            def do_DELETE(self):
                fake.handle(self, "delete")

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        if self.tls is not None:
            # A refused handshake is what a TLS test expects: not an error here.
            self.server.handle_error = lambda *args: None
            self.server.socket = self.tls.wrap_socket(self.server.socket,
                                                      server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    @property
    def url(self):
        return "%s://127.0.0.1:%d%s" % ("https" if self.tls else "http", self.port,
                                          self.base)

    def validator(self, schema):
        # OpenAPI 3.1 schemas are JSON Schema 2020-12; their $refs point into
        # the document's components, carried along as the root's sibling.
        root = dict(schema, components=self.spec["components"])
        return jsonschema.Draft202012Validator(root)

    def refuse(self, h, why):
        with self.lock:
            self.errors.append(why)
        self.answer(h, 400, {"error_message": why})

    def answer(self, h, code, obj=None, raw=None):
        data = raw if raw is not None else (b"" if obj is None else json.dumps(obj).encode())
        try:
            h.send_response(code)
            if data:
                h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(data)))
            h.end_headers()
            h.wfile.write(data)
        except OSError:
            pass

    def handle(self, h, method):
        n = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(n) if n else b""
        if not h.path.startswith(self.base + "/"):
            return self.refuse(h, "path %s is not under %s" % (h.path, self.base))
        path = h.path[len(self.base):]
        found = [(m, p, item) for rx, p, item in self.ops if (m := rx.match(path))]
        if not found:
            return self.refuse(h, "no operation for path %s" % path)
        m, template, item = found[0]
        op = item.get(method)
        if op is None:
            return self.refuse(h, "%s has no %s" % (template, method.upper()))
        if h.headers.get("GROCY-API-KEY") != self.key:
            if h.headers.get("GROCY-API-KEY"):
                # Grocy's answer to a key it does not know.
                with self.lock:
                    self.unauthorized += 1
                return self.answer(h, 401, {"error_message": "Unauthorized"})
            return self.refuse(h, "GROCY-API-KEY missing")
        params = {}
        for p in op.get("parameters", []) + item.get("parameters", []):
            if p["in"] == "path":
                v = m.group(p["name"])
                if p["schema"].get("type") == "integer" and not re.fullmatch(r"[0-9]+", v):
                    return self.refuse(h, "path parameter %s=%r" % (p["name"], v))
                params[p["name"]] = int(v)
        body = None
        rb = op.get("requestBody")
        if rb is not None:
            if not (h.headers.get("Content-Type") or "").startswith("application/json"):
                return self.refuse(h, "Content-Type %r" % h.headers.get("Content-Type"))
            try:
                body = json.loads(raw)
            except ValueError:
                return self.refuse(h, "body is not JSON: %r" % raw[:80])
            schema = rb["content"]["application/json"]["schema"]
            errs = list(self.validator(schema).iter_errors(body))
            if errs:
                return self.refuse(h, "%s: %s" % (template, errs[0].message))
        with self.lock:
            mode = self.mode
            self.calls.append({"method": method.upper(), "template": template,
                               "params": params, "body": body, "mode": mode})
        if mode == "reject-once":
            with self.lock:
                self.mode = "ok"
        if mode in ("reject", "reject-once"):
            err = {"error_message": "Product does not exist or is inactive"}
            self.validator(op["responses"]["400"]["content"]["application/json"]
                           ["schema"]).validate(err)
            return self.answer(h, 400, err)
        if mode == "fail":
            return self.answer(h, 500, {"error_message": "database is locked"})
        entries = self.apply(template, params, body)
        if mode == "hold":
            self.release.wait(60)
        if mode == "junk":
            return self.answer(h, 200, raw=b"<html>Grocy is updating</html>")
        if mode == "huge":
            return self.answer(h, 200, raw=b"[" + b"{\"id\": 1}, " * 20000 + b"{}]")
        if mode == "wrongtypes":
            return self.answer(h, 200, [{"id": "seven", "product_id": "12",
                                         "amount": "100"}])
        responses = op["responses"]
        if "204" in responses:
            return self.answer(h, 204)
        schema = responses["200"]["content"]["application/json"]["schema"]
        self.validator(schema).validate(entries)
        return self.answer(h, 200, entries)

    def apply(self, template, params, body):
        with self.lock:
            pid = params.get("productId")
            if template.endswith("/consume"):
                self.stock[pid] = self.stock.get(pid, 0) - body["amount"]
                kind, amount = "consume", -body["amount"]
            elif template.endswith("/add"):
                self.stock[pid] = self.stock.get(pid, 0) + body["amount"]
                kind, amount = "purchase", body["amount"]
            elif template.endswith("/inventory"):
                amount = body["new_amount"] - self.stock.get(pid, 0)
                self.stock[pid] = body["new_amount"]
                kind = "inventory-correction"
            elif template == "/stock/shoppinglist/add-product":
                p = body["product_id"]
                self.shopping[p] = self.shopping.get(p, 0) + body.get("product_amount", 1)
                return None
            else:
                return []
            n = len(self.calls)
            return [{"id": n, "product_id": pid, "amount": amount,
                     "transaction_type": kind, "spoiled": False,
                     "stock_id": "s%d" % n, "transaction_id": "t%d" % n,
                     "row_created_timestamp": "2026-12-07 01:00:00"}]

    def of(self, template_end):
        with self.lock:
            return [c for c in self.calls if c["template"].endswith(template_end)]
