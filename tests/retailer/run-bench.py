#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes tests/retailer/BENCH.md: the retailer's offline verify rate against
the bare Ed25519 check (bench-retailer.c, timed on CPU 0, best of 5), the
same ratio in instructions (callgrind, immune to a busy machine), the rate
of `pantry-retailer verify` end to end on a file of tokens, and the RSS of
`pantry-retailer listen` after some thousands of messages through a real
mosquitto, with the time until the last accepted line and until the last ack
reached a subscriber (the device's view). A benchmark, never a test: nothing here passes or fails.

usage: run-bench.py BENCH_RETAILER PANTRY_RETAILER [BENCH.md]
"""
import os
import re
import signal
import subprocess
import sys
import tempfile
import textwrap
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
from broker import Broker  # noqa: E402
from checks import wait_for  # noqa: E402

BENCH, RETAILER = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
OUT = sys.argv[3] if len(sys.argv) > 3 else None
N = 20000
N_LISTEN = 5000
NOW_TEXT = "2026-10-01T12:00:00Z"


def fields(text):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([0-9.]+)", text)}


def callgrind_ratio(d):
    """Instructions of the full path over those of the bare check, n = 500."""
    out = os.path.join(d, "cg.out")
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                    BENCH, "500"], check=True, capture_output=True)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                          out],
                         capture_output=True, text=True).stdout
    counts = {}
    for name in ("crypto_sign_verify_detached", "check_token", "jws_verify",
                 "payload_parse", "ledger_apply", "jws_b64url_decode"):
        m = re.search(r"^\s*([0-9,]+) \([^)]*\)\s+\S*%s \[" % re.escape(name), ann,
                      re.M)
        counts[name] = int(m.group(1).replace(",", "")) if m else 0
    return counts


def callgrind_verify(d):
    """Ed25519's share of all instructions of `pantry-retailer verify` on the
    first 500 tokens (reading, judging, printing, start-up included)."""
    out = os.path.join(d, "cg-verify.out")
    with open(os.path.join(d, "tokens.txt")) as f:
        tokens = f.read().splitlines()[:500]
    subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out,
                    RETAILER, "verify", "--trust", os.path.join(d, "trust"), "--now",
                    NOW_TEXT], input="\n".join(tokens) + "\n", text=True, check=True,
                   capture_output=True)
    ann = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--threshold=100",
                          out], capture_output=True, text=True).stdout
    total = int(re.search(r"([0-9,]+) \([^)]*\)\s+PROGRAM TOTALS", ann).group(1)
                .replace(",", ""))
    ed = int(re.search(r"^\s*([0-9,]+) \([^)]*\)\s+\S*crypto_sign_verify_detached \[",
                       ann, re.M).group(1).replace(",", ""))
    return ed / total


def count_acks(path):
    """The lines of mosquitto_sub that are not the probe."""
    with open(path) as f:
        return sum(1 for line in f if line.strip() != "x")


def listen_rss(d):
    broker = Broker(os.path.join(d, "broker")).start()
    try:
        out = os.path.join(d, "listen.out")
        acks = os.path.join(d, "acks.txt")
        sub = subprocess.Popen(["mosquitto_sub", "-p", str(broker.port), "-h",
                                "127.0.0.1", "-q", "1", "-t", "pantry/v1/+/ack", "-t",
                                "probe"], stdout=open(acks, "w"))
        while not wait_for(lambda: "x" in open(acks).read(), 0.5):
            subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-h",
                            "127.0.0.1", "-t", "probe", "-m", "x"], check=True)
        lis = subprocess.Popen([RETAILER, "listen", "--url", broker.url, "--trust",
                                os.path.join(d, "trust"), "--now", NOW_TEXT, "--db",
                                os.path.join(d, "bench.db"), "--client-id", "bench"],
                               stdout=open(out, "w"), stderr=open(out + ".err", "w"))
        wait_for(lambda: "subscribed" in open(out + ".err").read())
        with open(os.path.join(d, "tokens.txt")) as f:
            tokens = f.read().splitlines()[:N_LISTEN]
        t0 = time.monotonic()
        subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1",
                        "-q", "1", "-t", "pantry/v1/pi-kitchen/reorder", "-l"],
                       input="\n".join(tokens) + "\n", text=True, check=True)
        # An ack is one line: it has no newline, JSON or a compact JWS.
        wait_for(lambda: sum(1 for _ in open(out)) >= N_LISTEN, 600)
        elapsed = time.monotonic() - t0
        wait_for(lambda: count_acks(acks) >= N_LISTEN, 600)
        acked = time.monotonic() - t0
        n_acks = count_acks(acks)
        status = open("/proc/%d/status" % lis.pid).read()
        hwm = int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
        rss = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
        lines = sum(1 for _ in open(out))
        lis.send_signal(signal.SIGTERM)
        lis.wait(timeout=30)
        sub.terminate()
        sub.wait()
        return hwm, rss, lines, elapsed, n_acks, acked
    finally:
        broker.stop()


with tempfile.TemporaryDirectory() as d:
    # Each run: the C benchmark (raw and full, same run), then `verify` end to
    # end on the same tokens, compared with that run's raw rate. Medians of 3.
    runs, e2e = [], []
    for _ in range(3):
        r = fields(subprocess.run(["taskset", "-c", "0", BENCH, str(N), "write", d],
                                  check=True, capture_output=True, text=True).stdout)
        t0 = time.monotonic()
        with open(os.path.join(d, "tokens.txt")) as f:
            p = subprocess.run(["taskset", "-c", "0", RETAILER, "verify", "--trust",
                                os.path.join(d, "trust"), "--now", NOW_TEXT],
                               stdin=f, stdout=subprocess.DEVNULL)
        assert p.returncode == 0, "verify rejected a benchmark token"
        rate = N / (time.monotonic() - t0)
        runs.append(r)
        e2e.append((rate / r["raw_per_s"], rate))
    runs.sort(key=lambda r: r["ratio"])
    best = runs[1]
    e2e.sort()
    e2e_ratio, e2e_rate = e2e[1]
    cg = callgrind_ratio(d)
    e2e_instr = callgrind_verify(d)
    hwm, rss, lines, elapsed, n_acks, acked = listen_rss(d)

per = {k: v / 3500 for k, v in cg.items()}  # 500 tokens x 7 rounds
ed = per["crypto_sign_verify_detached"] / 2  # raw loop and inside jws_verify
full = per["check_token"] + per["ledger_apply"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                     capture_output=True, text=True).stdout.strip()
text = """# Retailer benchmark

Offline verification of signed reorders (828-byte compact tokens of one
device, made with `jws_sign`) on one core (CPU 0) of this machine
(%s),
measured by `tests/retailer/run-bench.py` (reproduce: `meson compile -C BUILD
bench-retailer`, which rewrites this file). Raw and full are timed in the same
run, 7 interleaved rounds of %d tokens: the best rate of each, and the median
of the per-round ratios; `verify` end to end is compared with the raw rate of
its own run; each figure is the median of 3 runs. Timings on a shared machine
move by 10 %%; the instruction counts (callgrind, 500 tokens) do not.

| path | tokens/s | ratio to raw |
|---|---:|---:|
| raw `crypto_sign_verify_detached` over the signing inputs | %.0f | 1 |
| full offline path: `check_token` + `ledger_apply` | %.0f | **%.3f** |
| `pantry-retailer verify` end to end (read, judge, print) | %.0f | %.3f |

In instructions, `verify` end to end spends %.3f of its work in Ed25519.

Instructions per token: Ed25519 verification %.0f; the full path %.0f
(ratio %.3f), of which `jws_verify`'s parsing (sizes, base64url of header,
payload and signature, the header JSON) %.0f, the payload validation
(`payload_parse`, mostly cJSON parsing and freeing) %.0f, choosing the key by
kid %.0f, the ledger %.0f.

`pantry-retailer listen`, one listener, %d reorders published with
mosquitto_pub through a local mosquitto (its defaults: a receive maximum of
20): %d accepted in %.1f s (%.0f/s: every message is a `synchronous=FULL`
SQLite transaction, an fsync, before its ack), and %d acks reached a
subscriber in %.1f s from the first publish (%.0f/s; retailer/README.md, "Acks
keep up"); VmHWM %d kB, VmRSS %d kB after them.

## Against the goal (issue 5: ratio >= 0.85)

%s
""" % (cpu, N, best["raw_per_s"], best["full_per_s"], best["ratio"], e2e_rate,
       e2e_ratio, e2e_instr, ed, full, ed / full, per["jws_verify"] - ed,
       per["payload_parse"],
       per["check_token"] - per["jws_verify"] - per["payload_parse"],
       per["ledger_apply"], N_LISTEN, lines, elapsed, lines / elapsed, n_acks, acked,
       n_acks / acked, hwm, rss,
       "GOAL_TEXT")
b64 = per["jws_b64url_decode"]
chars = 1100  # base64url characters decoded per token: header, payload, signature
goal = ("Met: %.2f timed, %.2f in instructions. Base64url decoding costs %.0f "
        "instructions a token (about %.1f a character, a table in agent/msg/jws.c; "
        "libsodium's constant-time decoder took about 68 a character and held the "
        "ratio at 0.82)." % (best["ratio"], ed / full, b64, b64 / chars)
        if best["ratio"] >= 0.85 and ed / full >= 0.85 else
        "Not met: %.2f timed, %.2f in instructions (the timed figure is the noisier "
        "one). Where the time goes, from the counts above: besides Ed25519 itself, "
        "cJSON's parse and free of the payload (an allocation per member), the key "
        "lookup, and base64url decoding (%.0f instructions a token)."
        % (best["ratio"], ed / full, b64))
goal = "\n".join(textwrap.wrap(goal, 80))
text = text.replace("GOAL_TEXT", goal)
if OUT:
    # bench-rss.py's section at the end is kept.
    try:
        with open(OUT) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    if "## Memory of an idle listener" in old:
        text += "\n## Memory of an idle listener" + \
            old.split("## Memory of an idle listener", 1)[1]
    with open(OUT, "w") as f:
        f.write(text)
    print("wrote", OUT)
print(text)
