#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The retailer's load test: tests/bench/load-retailer's simulated devices
publish signed reorders to a private mosquitto; LISTENERS `pantry-retailer
listen` processes in one share group record them in one private PostgreSQL
and hand them to a webhook served here, which counts every call by its
Idempotency-Key and checks its signature.

Three runs:
  steady  nothing goes wrong, every device publishes at once: orders answered
          per second, and the listeners' CPU time per order against the bare
          Ed25519 verify of the same tokens on one core;
  paced   the same at half the steady rate: publish-to-ack latency (p50,
          p90, p99) without the wait behind a backlog;
  chaos   the same load while one listener is killed (SIGKILL) and started
          again, and PostgreSQL is restarted: every order answered, accepted
          exactly once in the database, and handed to the webhook under its
          own key (calls per key counted: a listener killed between the
          webhook's answer and its commit calls again with the same key).

With --check (the test in the suite, small numbers) it exits 1 when a rule
fails; otherwise it prints the figures and, with --out, rewrites that file.
Exit 77 when PostgreSQL or mosquitto is not installed.

usage: run-load.py PANTRY_RETAILER LOAD_RETAILER [--devices N] [--orders K]
       [--listeners L] [--timeout S] [--runs steady,paced,chaos] [--check]
       [--out FILE] [--keep]
"""
import argparse
import hashlib
import hmac
import http.server
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
from pglib import Postgres, why_not  # noqa: E402
import listenlib  # noqa: E402

need("mosquitto", programs=["mosquitto"])
if why_not() is not None:
    print("SKIP: " + why_not())
    sys.exit(77)


# Each order's acks are signed (--key) and its webhook call carries an Ed25519
# signature header made with the same key: two signs per order.
SIGNS_PER_ORDER = 2

PROFILE_HEADING = "## Where a listener's CPU goes"


class Orders(http.server.BaseHTTPRequestHandler):
    """The retailer's order system: counts calls by Idempotency-Key. HTTP/1.1,
    so the listener's one curl handle keeps its connection as it would with a
    real order system (http.server's default, HTTP/1.0, closes each one: a TCP
    connection per order, which is the test's cost, not the listener's)."""
    protocol_version = "HTTP/1.1"
    calls = {}
    bad_signatures = 0
    secret = b""
    lock = threading.Lock()

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if 0 < n <= 1 << 20 else b""
        if n > 1 << 20:
            self.close_connection = True  # its body is left unread
        key = self.headers.get("Idempotency-Key", "")
        good = verify_signature(self.headers, body, Orders.secret)
        with Orders.lock:
            Orders.calls[key] = Orders.calls.get(key, 0) + 1
            if not good:
                Orders.bad_signatures += 1
        self.send_response(200 if good else 400)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def verify_signature(headers, body, secret):
    """The HMAC of the body as retailer/README.md says ("t=UNIX,v1=HEX" over
    "t.body")."""
    sig = headers.get("Pantry-Signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False
    mac = hmac.new(secret, parts["t"].encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest(mac.hexdigest(), parts["v1"])


def commit():
    """The source's commit, "+changes" when the tree differs from it."""
    if os.environ.get("BENCH_COMMIT"):  # taken by tests/bench/stamp.py
        return os.environ["BENCH_COMMIT"]
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        rev = subprocess.run(["git", "-C", here, "rev-parse", "--short=10", "HEAD"],
                             capture_output=True, text=True, timeout=30).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, timeout=30).stdout.strip()
    except OSError:
        return "unknown"
    return (rev or "unknown") + (" +changes" if dirty else "")


def build_type(retailer):
    """The meson buildtype of the build dir the retailer binary is in."""
    d = os.path.dirname(os.path.abspath(retailer))
    while d != "/" and not os.path.exists(os.path.join(d, "meson-info")):
        d = os.path.dirname(d)
    try:
        with open(os.path.join(d, "meson-info", "intro-buildoptions.json")) as f:
            opts = json.load(f)
        return "buildtype " + next(o["value"] for o in opts if o["name"] == "buildtype")
    except (OSError, ValueError, StopIteration):
        return "(build type unknown)"


def cpu_seconds(pid):
    """(utime, stime) of a process from /proc, seconds ((0, 0) once it is
    gone)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        tck = os.sysconf("SC_CLK_TCK")
        return int(fields[11]) / tck, int(fields[12]) / tck
    except OSError:
        return 0.0, 0.0


class Run:
    def __init__(self, args, d, name):
        self.args, self.d, self.name = args, os.path.join(d, name), name
        os.makedirs(self.d)
        self.broker = Broker(os.path.join(self.d, "broker")).start()
        self.pg = Postgres(fsync=True).start()
        self.pg.createdb("pantry")
        self.listeners = [None] * args.listeners
        self.cpu = [(0.0, 0.0)] * args.listeners
        Orders.calls = {}
        Orders.bad_signatures = 0
        self.http = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Orders)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def listener_args(self, i):
        a = self.args
        return ["--trust", a.trust, "--key", a.ack_key, "--db", self.pg.conninfo("pantry"),
                "--client-id", "load-%d" % i, "--group", "load",
                "--webhook", "http://127.0.0.1:%d/orders" % self.http.server_port,
                "--webhook-secret", a.secret_file]

    def start_listener(self, i):
        # The log is appended to: a restarted listener's subscription is the
        # next one in it.
        before = listenlib.read(os.path.join(self.d, "listener-%d.err" % i))
        self.listeners[i] = listenlib.Listener(
            self.args.retailer, self.d, "listener-%d" % i, self.broker.url,
            *self.listener_args(i))
        check(self.listeners[i].subscribed(before.count("subscribed to") + 1),
              "%s: listener %d subscribed" % (self.name, i))

    def kill_listener(self, i):
        p = self.listeners[i].proc
        u, k = cpu_seconds(p.pid)
        self.cpu[i] = (self.cpu[i][0] + u, self.cpu[i][1] + k)
        p.kill()
        p.wait()

    def listener_cpu(self):
        """(user, system) CPU seconds of the listeners, the killed ones too."""
        now = [cpu_seconds(x.proc.pid) for x in self.listeners if x.proc.poll() is None]
        return (sum(c[0] for c in self.cpu + now), sum(c[1] for c in self.cpu + now))

    def load(self, chaos, rate=0):
        a = self.args
        n = a.devices * a.orders
        for i in range(a.listeners):
            self.start_listener(i)
        cpu0 = self.listener_cpu()
        gen = subprocess.Popen(
            [a.load, "run", "--url", self.broker.url, "--devices", str(a.devices),
             "--orders", str(a.orders), "--timeout", str(a.timeout),
             "--resend", "15"] + (["--rate", str(rate)] if rate else []),
            stdout=subprocess.PIPE, stderr=open(os.path.join(self.d, "load.err"), "w"),
            text=True)
        events = []
        if chaos:
            def handed_off():
                return len(Orders.calls)
            wait_for(lambda: handed_off() >= n // 3 or gen.poll() is not None,
                     a.timeout)
            self.kill_listener(1)
            events.append("listener 1 killed at %d orders" % handed_off())
            time.sleep(1)
            self.start_listener(1)
            wait_for(lambda: handed_off() >= 2 * n // 3 or gen.poll() is not None,
                     a.timeout)
            self.pg.restart()
            events.append("PostgreSQL restarted at %d orders" % handed_off())
        out, _ = gen.communicate(timeout=a.timeout + 60)
        cpu1 = self.listener_cpu()
        user, system = cpu1[0] - cpu0[0], cpu1[1] - cpu0[1]
        cpu = user + system
        result = json.loads(out) if out.strip() else {}
        # The listeners keep handing off for a moment after the last ack.
        wait_for(lambda: len(Orders.calls) >= n, 30)
        for x in self.listeners:
            check(x.stop() == 0, "%s: a listener stops cleanly" % self.name)
        rows = self.pg.sql("pantry", "SELECT count(*), count(DISTINCT order_id) FROM "
                           "message WHERE verdict = 'accepted'")
        result.update({
            "listener_cpu_s": round(cpu, 2),
            "listener_user_s": round(user, 2),
            "listener_system_s": round(system, 2),
            "accepted_rows": int(rows[0][0]),
            "distinct_accepted": int(rows[0][1]),
            "webhook_keys": len(Orders.calls),
            "webhook_calls": sum(Orders.calls.values()),
            "webhook_max_calls_per_key": max(Orders.calls.values(), default=0),
            "bad_signatures": Orders.bad_signatures,
            "events": events,
            "rate": rate,
        })
        if cpu > 0:
            per_s = n / cpu
            result["orders_per_listener_cpu_s"] = round(per_s, 1)
            result["ratio_to_raw_verify"] = round(
                per_s / result.get("raw_verify_per_s_one_core", 1e9), 3)
            # The Ed25519 work an order needs by design: one verify, and one
            # sign for each of its ack (--key) and its webhook call's
            # Pantry-Signature-Ed25519 header (--key with --webhook), at the
            # rates load-retailer measured with the same libsodium.
            verify, sign = result.get("raw_verify_per_s_one_core"), result.get("sign_per_s")
            if verify and sign:
                need_s = 1 / verify + SIGNS_PER_ORDER / sign
                result["signs_per_order"] = SIGNS_PER_ORDER
                result["ed25519_orders_per_core_s"] = round(1 / need_s, 1)
                result["ratio_to_ed25519_work"] = round(per_s * need_s, 3)
        self.check(result, n)
        return result

    def check(self, r, n):
        what = self.name + ": "
        check(r.get("answered") == n, what + "every order answered (%s of %d)" %
              (r.get("answered"), n))
        check(r.get("accepted") == n, what + "every order accepted")
        check(r["accepted_rows"] == n and r["distinct_accepted"] == n,
              what + "each order accepted exactly once in PostgreSQL (%d rows)" %
              r["accepted_rows"])
        check(r["webhook_keys"] == n, what + "the webhook got every order (%d keys)"
              % r["webhook_keys"])
        check(r["bad_signatures"] == 0, what + "every webhook call signed")

    def stop(self):
        for x in self.listeners:
            if x is not None:
                x.stop()
        self.http.shutdown()
        self.pg.cleanup()
        self.broker.stop()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("retailer")
    p.add_argument("load")
    p.add_argument("--devices", type=int, default=10000)
    p.add_argument("--orders", type=int, default=1)
    p.add_argument("--listeners", type=int, default=3)
    p.add_argument("--timeout", type=int, default=900)
    p.add_argument("--check", action="store_true")
    p.add_argument("--out")
    p.add_argument("--runs", default="steady,paced,chaos",
                   help="which runs, of steady, paced and chaos")
    p.add_argument("--keep", action="store_true",
                   help="keep the folder of logs (its name is printed)")
    a = p.parse_args()
    a.retailer, a.load = os.path.abspath(a.retailer), os.path.abspath(a.load)
    tmp = tempfile.TemporaryDirectory(prefix="pantry-load-")
    d = tmp.name
    if a.keep:
        d = tempfile.mkdtemp(prefix="pantry-load-")
        print("logs in", d, flush=True)
    with tmp:
        a.trust = os.path.join(d, "trust")
        subprocess.run([a.load, "keys", a.trust, str(a.devices)], check=True)
        a.ack_key = os.path.join(d, "ack.key")
        subprocess.run([a.retailer, "keygen", "--key", a.ack_key], check=True,
                       capture_output=True)
        a.secret_file = os.path.join(d, "webhook.secret")
        Orders.secret = os.urandom(32).hex().encode()
        fd = os.open(a.secret_file, os.O_WRONLY | os.O_CREAT, 0o600)
        os.write(fd, Orders.secret + b"\n")
        os.close(fd)
        results = {}
        for name in ("steady", "paced", "chaos"):
            if name not in a.runs.split(","):
                continue
            # paced: half of what the steady run answered a second, so that
            # the latency is the system's, not the wait behind a backlog.
            rate = 0
            if name == "paced":
                rate = max(1, int(results.get("steady", {}).get("answered_per_s", 600) / 2))
            run = Run(a, d, name)
            try:
                results[name] = run.load(name == "chaos", rate)
            finally:
                run.stop()
            print(name, json.dumps(results[name]), flush=True)
    if a.out:
        write_results(a, results)
    if a.check:
        done()


def write_results(a, results):
    rows = [("orders answered", "answered", "%d"),
            ("accepted, rows in PostgreSQL (distinct)", None, None),
            ("webhook: order keys, calls (most for one key)", None, None),
            ("re-sent by devices (unanswered 15 s)", "resends", "%d"),
            ("publish rate asked (orders/s; 0: all at once)", "rate", "%d"),
            ("orders answered per second (first publish to last ack)",
             "answered_per_s", "%.0f"),
            ("publish to ack, p50 / p90 / p99 / max (ms)", None, None),
            ("listeners' CPU time (s, all three)", "listener_cpu_s", "%.2f"),
            ("of which in the kernel (system time, s)", "listener_system_s", "%.2f"),
            ("orders per listener CPU second", "orders_per_listener_cpu_s", "%.0f"),
            ("bare Ed25519 verifies per second, one core, same tokens",
             "raw_verify_per_s_one_core", "%.0f"),
            ("ratio of the two (the issue's ratio; goal 0.85)",
             "ratio_to_raw_verify", "%.3f"),
            ("orders per core second if Ed25519 were all (1 verify + 2 signs)",
             "ed25519_orders_per_core_s", "%.0f"),
            ("ratio to that (the Ed25519 work an order needs by design)",
             "ratio_to_ed25519_work", "%.3f")]
    names = list(results)
    # The profile below the figures is written by hand (profile-listener.py's
    # counts): kept as it is when the figures are written again.
    kept = ""
    try:
        with open(a.out) as f:
            old = f.read()
        if PROFILE_HEADING in old:
            kept = old[old.index(PROFILE_HEADING):]
    except OSError:
        pass
    rev = commit()  # before the file is rewritten: it is in the tree
    with open(a.out, "w") as f:
        f.write("# The retailer under load\n\n")
        f.write("Written by `meson compile -C BUILD bench-retailer-load` "
                "(tests/retailer/run-load.py, tests/bench/load-retailer.c) on %s, "
                "commit %s, the retailer built %s: "
                "%d devices, %d signed reorder(s) each, published at QoS 1 by 4 "
                "connections to a private mosquitto 2.0 (default receive maximum "
                "20); %d `pantry-retailer listen` in one share group with signed "
                "acks, one private PostgreSQL 15 (fsync on, Unix socket), and a "
                "webhook (POSTs signed with HMAC and Ed25519) served by the "
                "script's Python http.server (HTTP/1.1), all on one machine (%d cores). steady: all published "
                "at once; paced: at half the steady rate; chaos: all at once, one "
                "listener killed (SIGKILL) at a third and started again, "
                "PostgreSQL restarted (pg_ctl restart -m fast) at two thirds. A "
                "device has one order in flight, as an agent does.\n\n" %
                (time.strftime("%Y-%m-%d"), rev, build_type(a.retailer),
                 a.devices, a.orders, a.listeners, os.cpu_count()))
        f.write("| | %s |\n|---|%s\n" % (" | ".join(names), "---|" * len(names)))
        for label, key, fmt in rows:
            cells = []
            for n in names:
                r = results[n]
                if key is not None:
                    cells.append(fmt % r.get(key, 0))
                elif label.startswith("accepted"):
                    cells.append("%d, %d (%d)" % (r["accepted"], r["accepted_rows"],
                                                  r["distinct_accepted"]))
                elif label.startswith("webhook"):
                    cells.append("%d, %d (%d)" % (r["webhook_keys"], r["webhook_calls"],
                                                  r["webhook_max_calls_per_key"]))
                else:
                    cells.append("%.0f / %.0f / %.0f / %.0f" %
                                 (r["p50_ms"], r["p90_ms"], r["p99_ms"], r["max_ms"]))
            f.write("| %s | %s |\n" % (label, " | ".join(cells)))
        for n in names:
            if results[n]["events"]:
                f.write("\n%s: %s.\n" % (n, "; ".join(results[n]["events"])))
        f.write("\nThe raw figures:\n\n```\n")
        for n in names:
            f.write("%s %s\n" % (n, json.dumps(results[n])))
        f.write("```\n")
        if kept:
            f.write("\n" + kept)


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    main()
