#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmarks of the MQTT side (issues 5 and 12), written to tests/mqtt/BENCH.md:

- latency on loopback, through the daemon's own pipeline, store and link
  (bench-puback drives uplink_work as the daemon's loop does) against a
  private mosquitto and the real pantry-retailer listen: decision -> PUBACK
  and decision -> the retailer's answer in the store, p50/p99/max, for
  - idle: no retailer, each order on an idle link (decision -> PUBACK only);
  - back-to-back: the retailer up all the time, each order made right after
    the answer to the one before;
  - retailer restarted: the same, with the retailer stopped and started again
    at four points of the run (what was sent meanwhile waits for it);
  - TLS: back-to-back over mqtts://;
  each with TCP_NODELAY as the agent sets it now and with Nagle's algorithm
  on again (bench-puback --nagle: the link as it was before issue 12);
- memory: VmRSS and VmHWM of pantry-agent (live, 8 items on a fake sysfs tree)
  without a broker, with a plain and with a TLS one, of pantry-retailer
  listen, and of mosquitto_sub with TLS as a yardstick, read from /proc.

Wall-clock numbers are measured here and reported, never asserted in a test.

usage: bench-mqtt.py BENCH_PUBACK AGENT PANTRYCTL RETAILER OUT_MD [N [N_ANSWERED]]
"""
import os
import platform
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker, make_pki  # noqa: E402
from checks import wait_for  # noqa: E402
from mqttlib import Retailer, Shelf  # noqa: E402

BENCH, AGENT, PANTRYCTL, RETAILER, OUT = sys.argv[1:6]
N = int(sys.argv[6]) if len(sys.argv) > 6 else 1000
N_ANSWERED = int(sys.argv[7]) if len(sys.argv) > 7 else 240  # as in issue 12
RESTARTS = 4
# The orders are dated on a virtual clock, a month apart (the 30-day cap
# never bites): the retailer is told to take any issue time.
RETAILER_ARGS = ["--max-age", "36500d", "--max-skew", "36500d"]
RESEND_S = 5  # the agent's resend (60 s by default): a lost message goes again


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, len(xs) * q // 100)] / 1000.0


def bench(d, name, broker, n, answered, nagle, ca=None, restarts=0, rargs=()):
    """Run bench-puback once; (puback_us list, answer_us list)."""
    run = os.path.join(d, name)
    os.makedirs(os.path.join(run, "trust"))
    cmd = [BENCH] + (["--answered"] if answered else []) + (["--nagle"] if nagle else [])
    cmd += (["--ca-file", ca] if ca else []) + ["--resend", str(RESEND_S)]
    cmd += [broker.url, run, str(n)]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    jwk = p.stdout.readline().split(" ", 2)[2]
    shop = None
    if answered:
        with open(os.path.join(run, "trust", "bench-pi.jwk"), "w") as f:
            f.write(jwk)
        # A group per run: the session of the last run's listener, stopped,
        # stays in its share group at the broker and would take every other
        # message (they wait there for it until its session expires).
        shop = Retailer(run, RETAILER, broker, os.path.join(run, "trust"),
                        RETAILER_ARGS + ["--group", name] + list(rargs) +
                        (["--ca-file", ca] if ca else []),
                        name=name).start()
        p.stdin.write("go\n")
        p.stdin.flush()
    pub, ans = [], []
    at = {n * (k + 1) // (restarts + 1) for k in range(restarts)}
    for line in p.stdout:
        if line.startswith("#"):
            print(name, line.strip())
            continue
        x, y = (int(v) for v in line.split())
        pub.append(x)
        ans.append(y)
        if len(pub) in at:
            shop.stop()
            shop.start()
    if p.wait() != 0:
        raise RuntimeError("bench-puback %s failed" % name)
    if shop is not None:
        shop.stop()
    return pub, ans


def proc_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


load = [os.getloadavg()[0]]  # the machine is shared: say how busy it was
with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
    broker = Broker(os.path.join(d, "broker")).start()
    pki = make_pki(os.path.join(d, "pki"))
    tls = Broker(os.path.join(d, "tls"), tls={"cafile": pki["ca"],
                                               "certfile": pki["server_cert"],
                                               "keyfile": pki["server_key"]}).start()
    # The same broker with its own Nagle off (mosquitto's set_tcp_nodelay): what
    # is left of the answer's time once neither end of the agent's link waits.
    quick = Broker(os.path.join(d, "quick"), extra="set_tcp_nodelay true\n").start()
    fs = subprocess.run(["stat", "-f", "-c", "%T", d], capture_output=True,
                        text=True).stdout.strip()
    lat = []
    for case, b, n, answered, restarts, rargs in (
            ("idle", broker, N, False, 0, ()),
            ("back-to-back", broker, N_ANSWERED, True, 0, ()),
            ("retailer restarted x%d" % RESTARTS, broker, N_ANSWERED, True, RESTARTS, ()),
            ("retailer restarted x%d, session lost" % RESTARTS, broker, N_ANSWERED, True,
             RESTARTS, ("--session-expiry", "0s")),
            ("back-to-back, mqtts://", tls, N_ANSWERED, True, 0, ()),
            ("back-to-back, broker set_tcp_nodelay", quick, N_ANSWERED, True, 0, ())):
        for nagle in (True, False):
            name = "%s-%s" % (case.split()[0].strip(","), "nagle" if nagle else "nodelay")
            name += {tls: "-tls", quick: "-quick"}.get(b, "")
            name += "-lost" if rargs else ""
            pub, ans = bench(d, name, b, n, answered, nagle,
                             pki["ca"] if b is tls else None, restarts, rargs)
            lat.append((case, "off (before)" if nagle else "on", n, pub,
                        ans if answered else None))

    # Memory, after eight orders went through (or, without a broker, after
    # the same time): the agent with no broker, a plain one and a TLS one;
    # the retailer; and mosquitto_sub with TLS as a yardstick on this machine.
    trust = os.path.join(d, "trust")
    os.makedirs(trust)
    mem = {}
    for name, b, extra in (("no broker", None, ""), ("mqtt://", broker, ""),
                           ("mqtts://", tls, 'ca_file = "%s";' % pki["ca"])):
        shelf = Shelf(os.path.join(d, "shelf-%d" % len(mem)), AGENT, b, n=8,
                      device="bench-%d" % len(mem), extra_broker=extra)
        os.makedirs(shelf.d, exist_ok=True)
        with open(os.path.join(trust, shelf.device + ".jwk"), "w") as f:
            f.write(shelf.keygen(PANTRYCTL))
        shop = None
        if b is not None:
            args = ["--ca-file", pki["ca"]] if b is tls else []
            shop = Retailer(d, RETAILER, b, trust, args, name=str(len(mem))).start()
        shelf.start()
        for i in range(8):
            shelf.order("item%d" % i)
        want = "acknowledged" if b is not None else "queued"
        wait_for(lambda: [v[1] for v in shelf.orders().values()].count(want) == 8, 60)
        time.sleep(1)  # let it settle after the last answer (a measurement only)
        mem["pantry-agent, " + name] = (proc_kb(shelf.proc.pid, "VmRSS"),
                                        proc_kb(shelf.proc.pid, "VmHWM"))
        if shop is not None and b is broker:
            mem["pantry-retailer listen, mqtt://"] = (proc_kb(shop.proc.pid, "VmRSS"),
                                                      proc_kb(shop.proc.pid, "VmHWM"))
        shelf.stop()
        if shop is not None:
            shop.stop()
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(tls.port),
                            "--cafile", pki["ca"], "-t", "x", "-q", "1"])
    time.sleep(2)
    mem["mosquitto_sub, mqtts:// (yardstick)"] = (proc_kb(sub.pid, "VmRSS"),
                                                  proc_kb(sub.pid, "VmHWM"))
    sub.terminate()
    sub.wait()
    tls.stop()
    quick.stop()
    broker.stop()

load.append(os.getloadavg()[0])
rows = "\n".join("| %s | %d kB | %d kB |" % (k, v[0], v[1]) for k, v in mem.items())


def ms(xs, q):
    return "%.2f ms" % pct(xs, q) if xs else "-"


lat_rows = "\n".join(
    "| %s | %s | %d | %s | %s | %s | %s | %s | %s |" % (
        case, nd, n, ms(pub, 50), ms(pub, 99), "%.2f ms" % (max(pub) / 1000.0),
        ms(ans, 50), ms(ans, 99), "%.2f ms" % (max(ans) / 1000.0) if ans else "-")
    for case, nd, n, pub, ans in lat)
mosq = subprocess.run(["mosquitto", "-h"], capture_output=True,
                      text=True).stdout.splitlines()[0:1]
text = """# MQTT: latency and memory

`tests/mqtt/bench-mqtt.py` (`meson compile -C BUILD bench-mqtt`), {date},
{machine}, {cpu} CPUs shared with other work, {mosq} on loopback (a private
instance, default settings), the stores on {fs}; the build type of the
binaries measured (`meson compile` builds them); load average {l0:.1f} at the
start, {l1:.1f} at the end. Regenerate with the command; nothing here is
written by hand.

## Decision -> PUBACK, decision -> answer

`bench-puback`: orders, each from `pipeline_order()` (the guard, the order
id, the store transaction with synchronous=FULL and its fsync, the payload, the
Ed25519 signature) through the outbox and Paho's publish (`uplink_work()`
driven as the daemon's loop drives it) to the broker's PUBACK seen by the loop
and stored as "published" (decision -> PUBACK), and to the retailer's answer
stored as "acknowledged" (decision -> answer). The retailer is the real
`pantry-retailer listen` (SQLite ledger, stdout hand-off, unsigned acks),
on the same broker.

- idle: no retailer; each order is closed once published, so the next goes
  on an idle link (the case measured before issue 12).
- back-to-back: the retailer up all the time; each order is made right after
  the answer to the one before: a message right after an answer.
- retailer restarted x{restarts}: the same, with the retailer stopped (SIGTERM)
  and started again after {restarts} evenly spaced orders; its session stays
  at the broker, which keeps what is sent meanwhile until it is back.
- retailer restarted x{restarts}, session lost: the same with the retailer's
  `--session-expiry 0s`: what was sent to it while it was away is lost, and
  the agent sends it again after `resend` ({resend} s here, 60 s by default).
- back-to-back, mqtts://: the same over TLS (a CA made by openssl at run time).
- back-to-back, broker set_tcp_nodelay: the same with mosquitto's own Nagle
  off too (its `set_tcp_nodelay true`): what is left once the broker does
  not wait either.

TCP_NODELAY "on" is the agent as it is; "off (before)" is bench-puback
--nagle, which turns Nagle's algorithm on again on the connection once it is
up: the agent before issue 12. Goal: PUBACK p99 <= 20 ms.

| case | TCP_NODELAY | orders | PUBACK p50 | PUBACK p99 | PUBACK max | answer p50 | answer p99 | answer max |
|---|---|---:|---:|---:|---:|---:|---:|---:|
{lat_rows}

## Memory

pantry-agent live with 8 items on a fake sysfs tree (8 channels read every
200 ms), after eight orders went through (acknowledged by pantry-retailer
listen; queued in the outbox without a broker). The agent loads Paho with
dlopen(): nothing without a broker, libpaho-mqtt3a (no OpenSSL) for mqtt://,
libpaho-mqtt3as for mqtts://. OpenSSL 3's libcrypto alone is about 4 MB
resident once a TLS connection is up, as mosquitto_sub's line shows.

| process | VmRSS | VmHWM |
|---|---:|---:|
{rows}
""".format(date=time.strftime("%Y-%m-%d", time.gmtime()), machine=platform.machine(),
           cpu=os.cpu_count(), fs=fs, mosq=(mosq[0] if mosq else "mosquitto").strip(),
           restarts=RESTARTS, resend=RESEND_S, lat_rows=lat_rows, rows=rows,
           l0=load[0], l1=load[1])
with open(OUT, "w") as f:
    f.write(text)
print(text)
