#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Where one listener's CPU goes, by callgrind: one `pantry-retailer listen`
under valgrind --tool=callgrind (instrumentation switched on once it has
subscribed), fed by tests/bench/load-retailer at a paced rate through a private
mosquitto, recording in a private PostgreSQL or an SQLite file, with or without
run-load.py's webhook and a signing key. Prints the inclusive instructions per
order of each part of the message path (callgrind_annotate --inclusive=yes).

A measuring tool, not a test (callgrind's counts are the measure, not wall
clock); tests/retailer/BENCH-load.md's "Where a listener's CPU goes" was made
with it.

usage: profile-listener.py PANTRY_RETAILER LOAD_RETAILER [--devices N]
       [--rate R] [--db pg|sqlite] [--webhook] [--key] [--strace]
       [--keep DIR]

--strace: instead of callgrind, strace -f -c attached to the listener once
it has subscribed (the system calls, which callgrind does not see).
"""
import argparse
import http.server
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import threading

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker  # noqa: E402
from checks import need, wait_for  # noqa: E402
from pglib import Postgres, why_not  # noqa: E402
import listenlib  # noqa: E402

spec = importlib.util.spec_from_file_location("run_load", os.path.join(here, "run-load.py"))
run_load = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run_load)

need("valgrind", programs=["valgrind", "vgdb", "callgrind_annotate"])

# The parts of the message path, by the function whose inclusive count is the
# part's (the first found of each list). Paho's own threads are not named (its
# library is stripped): they are in what is left of the whole process.
PARTS = [
    ("message callback (on_message: the next five and the rest)", ["on_message"]),
    ("  token check: JSON/JWS parse + Ed25519 verify", ["check_token"]),
    ("    of which the verify (crypto_sign_verify_detached)",
     ["crypto_sign_verify_detached"]),
    ("  ledger transaction incl. ack build (state_judge)", ["state_judge"]),
    ("    of which ack build + sign (make_acks)", ["make_acks"]),
    ("  ack publish to Paho (publish_acks)", ["publish_acks"]),
    ("  hand-off to stdout and its mark (hand_off, no webhook)", ["hand_off"]),
    ("  metrics (metrics_judged)", ["metrics_judged"]),
    ("webhook worker: queue read (state_pending_first)", ["state_pending_first"]),
    ("  of which the body built from the token (out_accepted)", ["out_accepted"]),
    ("webhook worker: POST (webhook_post)", ["webhook_post"]),
    ("  of which libcurl (curl_easy_perform)", ["curl_easy_perform"]),
    ("  of which HMAC-SHA256 header", ["signature"]),
    ("hand-off mark (state_handed_off; the worker's with a webhook)",
     ["state_handed_off"]),
    ("webhook worker: acks out (on_answered)", ["on_answered"]),
    ("all Ed25519 signs (crypto_sign_detached: ack, webhook header)",
     ["crypto_sign_detached"]),
    ("vfprintf (every snprintf and log line)", ["__vfprintf_internal"]),
]
# What the rest is: the whole less these (each counted once).
TOP = ["on_message", "state_pending_first", "webhook_post", "state_handed_off",
       "on_answered"]


def inclusive(outfile):
    """{function name: inclusive Ir} from callgrind_annotate."""
    text = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                           outfile], capture_output=True, text=True, check=True).stdout
    counts, total = {}, 0
    for line in text.splitlines():
        m = re.match(r"\s*([\d,]+)\s+(?:\([^)]*\)\s+)?\*?\s*(.*?)$", line)
        if not m:
            continue
        n = int(m.group(1).replace(",", ""))
        rest = m.group(2)
        if "PROGRAM TOTALS" in rest:
            total = n
            continue
        # "file:function [object]"
        fn = rest.split(":", 1)[1] if ":" in rest else rest
        fn = fn.split(" [", 1)[0].strip()
        counts[fn] = max(counts.get(fn, 0), n)
    return total, counts


def main():
    p = argparse.ArgumentParser()
    p.add_argument("retailer")
    p.add_argument("load")
    p.add_argument("--devices", type=int, default=200)
    p.add_argument("--rate", type=int, default=20)
    p.add_argument("--db", choices=["pg", "sqlite"], default="pg")
    p.add_argument("--webhook", action="store_true")
    p.add_argument("--key", action="store_true")
    p.add_argument("--strace", action="store_true",
                   help="count the system calls (strace -f -c) instead")
    p.add_argument("--keep", help="a folder to keep the callgrind file and logs in")
    a = p.parse_args()
    if a.db == "pg" and why_not() is not None:
        print("SKIP: " + why_not())
        sys.exit(77)
    a.retailer, a.load = os.path.abspath(a.retailer), os.path.abspath(a.load)
    tmp = tempfile.TemporaryDirectory(prefix="pantry-prof-")
    d = a.keep or tmp.name
    os.makedirs(d, exist_ok=True)
    for old in ("listener.err", "listener.out"):  # appended to by listenlib
        if os.path.exists(os.path.join(d, old)):
            os.unlink(os.path.join(d, old))
    trust = os.path.join(d, "trust")
    subprocess.run([a.load, "keys", trust, str(a.devices)], check=True)
    args = ["--trust", trust, "--client-id", "prof-0", "--group", "prof"]
    if a.key:
        key = os.path.join(d, "ack.key")
        if os.path.exists(key):
            os.unlink(key)
        subprocess.run([a.retailer, "keygen", "--key", key], check=True,
                       capture_output=True)
        args += ["--key", key]
    broker = Broker(os.path.join(d, "broker")).start()
    pg = server = listener = None
    out = os.path.join(d, "callgrind.out")
    try:
        if a.db == "pg":
            pg = Postgres(fsync=True).start()
            pg.createdb("pantry")
            args += ["--db", pg.conninfo("pantry")]
        else:
            db = os.path.join(d, "state.db")
            if os.path.exists(db):
                os.unlink(db)
            args += ["--db", db]
        if a.webhook:
            secret = os.path.join(d, "webhook.secret")
            run_load.Orders.secret = os.urandom(32).hex().encode()
            fd = os.open(secret, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.write(fd, run_load.Orders.secret + b"\n")
            os.close(fd)
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), run_load.Orders)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            args += ["--webhook", "http://127.0.0.1:%d/orders" % server.server_port,
                     "--webhook-secret", secret]
        wrap = os.path.join(d, "valgrind-retailer.sh")
        with open(wrap, "w") as f:
            if a.strace:
                f.write("#!/bin/sh\nexec %s \"$@\"\n" % a.retailer)
            else:
                f.write("#!/bin/sh\nexec valgrind --tool=callgrind --instr-atstart=no "
                        "--callgrind-out-file=%s %s \"$@\"\n" % (out, a.retailer))
        os.chmod(wrap, 0o755)
        listener = listenlib.Listener(wrap, d, "listener", broker.url, *args)
        if not listener.subscribed():
            sys.exit("the listener did not subscribe:\n" + listener.log())
        # vgdb itself: callgrind_control loses a process whose arguments
        # hold spaces (libpq's key=value string).
        tracer = None
        if a.strace:  # attached once it has subscribed; SIGINT detaches it
            tracer = subprocess.Popen(["strace", "-f", "-c", "-o", out, "-p",
                                       str(listener.proc.pid)], stderr=subprocess.DEVNULL)
            wait_for(lambda: os.path.exists(os.path.join(
                "/proc", str(listener.proc.pid), "status")) and "TracerPid:\t0" not in
                open(os.path.join("/proc", str(listener.proc.pid), "status")).read(), 10)
        vg = subprocess.run(["true"]) if a.strace else subprocess.run(["vgdb", "--pid=%d" % listener.proc.pid, "instrumentation",
                             "on"], capture_output=True, text=True)
        if vg.returncode != 0:
            sys.exit("vgdb: " + vg.stdout + vg.stderr)
        gen = subprocess.run(
            [a.load, "run", "--url", broker.url, "--devices", str(a.devices),
             "--orders", "1", "--timeout", "600", "--resend", "60",
             "--rate", str(a.rate)], capture_output=True, text=True)
        if gen.returncode != 0:
            sys.exit("load-retailer failed: " + gen.stderr)
        if a.webhook:
            wait_for(lambda: len(run_load.Orders.calls) >= a.devices, 120)
        if tracer is not None:
            tracer.send_signal(2)
            tracer.wait()
        else:
            subprocess.run(["vgdb", "--pid=%d" % listener.proc.pid, "instrumentation",
                            "off"], check=True, capture_output=True)
        listener.stop()
    finally:
        if listener is not None:
            listener.stop()
        if server is not None:
            server.shutdown()
        if pg is not None:
            pg.cleanup()
        broker.stop()
    if a.strace:
        with open(out) as f:
            print(f.read())
        return
    total, counts = inclusive(out)
    n = a.devices
    print("setup: %s, %s, %s; %d orders at %d/s; instructions per order "
          "(inclusive)" % ("PostgreSQL" if a.db == "pg" else "SQLite",
                           "webhook" if a.webhook else "no webhook",
                           "--key" if a.key else "no --key", n, a.rate))
    print("%-64s %10d" % ("whole process", total // n))
    for label, names in PARTS:
        for fn in names:
            if fn in counts:
                print("%-64s %10d" % (label, counts[fn] // n))
                break
    # Without a webhook the hand-off runs inside on_message.
    rest = total - sum(counts.get(fn, 0) for fn in (TOP if a.webhook else TOP[:1]))
    print("%-64s %10d" % ("the rest: Paho's threads, main loop, libc outside these",
                          rest // n))
    tmp.cleanup()


if __name__ == "__main__":
    main()
