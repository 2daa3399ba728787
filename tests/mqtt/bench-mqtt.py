#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Benchmarks of the MQTT side (issue 5), written to tests/mqtt/BENCH.md:

- decision -> PUBACK latency on loopback: bench-puback (the daemon's own
  pipeline, store and link) against a private mosquitto, N orders, p50/p99;
- memory: VmRSS and VmHWM of pantry-agent (live, 8 items on a fake sysfs tree)
  without a broker, with a plain and with a TLS one, of pantry-retailer
  listen, and of mosquitto_sub with TLS as a yardstick, read from /proc.

Wall-clock numbers are measured here and reported, never asserted in a test.

usage: bench-mqtt.py BENCH_PUBACK AGENT PANTRYCTL RETAILER OUT_MD [N]
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
from mqttlib import DEVICE, Retailer, Shelf  # noqa: E402

BENCH, AGENT, PANTRYCTL, RETAILER, OUT = sys.argv[1:6]
N = int(sys.argv[6]) if len(sys.argv) > 6 else 1000


def proc_kb(pid, key):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return -1


with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as d:
    broker = Broker(os.path.join(d, "broker")).start()
    store_dir = os.path.join(d, "puback")
    os.makedirs(store_dir)
    r = subprocess.run([BENCH, broker.url, store_dir, str(N)], capture_output=True,
                       text=True, check=True)
    summary = [x for x in r.stdout.splitlines() if x.startswith("# ")][-1]
    lat = sorted(int(x) for x in r.stdout.splitlines() if not x.startswith("#"))
    p50, p90, p99 = (lat[len(lat) * q // 100] / 1000.0 for q in (50, 90, 99))
    fs = subprocess.run(["stat", "-f", "-c", "%T", store_dir], capture_output=True,
                        text=True).stdout.strip()
    print(summary)

    # Memory, after eight orders went through (or, without a broker, after
    # the same time): the agent with no broker, a plain one and a TLS one;
    # the retailer; and mosquitto_sub with TLS as a yardstick on this machine.
    pki = make_pki(os.path.join(d, "pki"))
    tls = Broker(os.path.join(d, "tls"), tls={"cafile": pki["ca"],
                                               "certfile": pki["server_cert"],
                                               "keyfile": pki["server_key"]}).start()
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
    broker.stop()

rows = "\n".join("| %s | %d kB | %d kB |" % (k, v[0], v[1]) for k, v in mem.items())
text = """# MQTT: latency and memory

`tests/mqtt/bench-mqtt.py` (`meson compile -C BUILD bench-mqtt`), {date},
{machine}, {cpu} CPUs, mosquitto on loopback, the store on {fs}; build type of
the binaries measured.

## Decision -> PUBACK

`bench-puback`: {n} orders, each from `pipeline_order()` (the guard, the order
id, the store transaction with synchronous=FULL and its fsync, the payload, the
Ed25519 signature) through the outbox and Paho's publish to the broker's PUBACK
seen by the loop and stored as "published".

| p50 | p90 | p99 | max | goal |
|---:|---:|---:|---:|---|
| {p50:.2f} ms | {p90:.2f} ms | {p99:.2f} ms | {mx:.2f} ms | p99 <= 20 ms |

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
           cpu=os.cpu_count(), fs=fs, n=N, p50=p50, p90=p90, p99=p99,
           mx=lat[-1] / 1000.0, rows=rows)
with open(OUT, "w") as f:
    f.write(text)
print(text)
