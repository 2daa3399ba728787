# SPDX-License-Identifier: GPL-2.0-or-later
"""The resident memory of an idle `pantry-retailer listen` (issue 17): one
listener subscribed to a private mosquitto on loopback, no message, over
mqtt:// and over mqtts:// (TLS 1.2, the test PKI of tests/broker.py). After it
subscribed and WARMUP seconds more, reads VmRSS, RssFile, RssAnon
(/proc/PID/status) and Pss (/proc/PID/smaps_rollup), and whether
libpaho-mqtt3as, libpaho-mqtt3a and libssl are mapped (/proc/PID/maps). Nothing
is timed against a threshold. Writes the "## Memory of an idle listener"
section at the end of OUT (run-bench.py keeps it when it rewrites the rest)
and prints it; with more than one program (a comparison by hand), only
prints.

usage: bench-rss.py OUT.md RETAILER [RETAILER ...]   (a row per program and scheme)
"""
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
from broker import Broker, make_pki  # noqa: E402
from checks import wait_for  # noqa: E402
from procmem import proc_status  # noqa: E402

WARMUP = 10


def status(pid):
    st = proc_status(pid)
    with open("/proc/%d/maps" % pid) as f:
        maps = f.read()
    libs = [n for n in ("libpaho-mqtt3as", "libpaho-mqtt3a.", "libssl")
            if "/" + n in maps]
    return (int(st["VmRSS"][0]), int(st["RssFile"][0]), int(st["RssAnon"][0]),
            int(st["smaps_Pss"][0]), ", ".join(x.rstrip(".") for x in libs) or "-")


def measure(retailer, d, broker, ca):
    err = os.path.join(d, "err")
    args = [retailer, "listen", "--url", broker.url, "--tofu", "--db",
            os.path.join(d, "bench.db"), "--client-id", "bench-rss"]
    if ca:
        args += ["--ca-file", ca]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=open(err, "w"))
    try:
        if not wait_for(lambda: "subscribed to" in open(err).read() or
                        proc.poll() is not None, 30) or proc.poll() is not None:
            raise RuntimeError("listener did not subscribe:\n" + open(err).read())
        time.sleep(WARMUP)
        return status(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main():
    out_path, programs = sys.argv[1], sys.argv[2:]
    # The commit stamp.py took (bench-all, ninja bench-retailer-rss), else git's.
    rev = os.environ.get("BENCH_COMMIT") or subprocess.run(
        ["git", "-C", HERE, "describe", "--always", "--dirty"],
        capture_output=True, text=True).stdout.strip() or "?"
    root = tempfile.mkdtemp(prefix="pantry-retailer-rss.")
    rows = []
    try:
        pki = make_pki(os.path.join(root, "pki"))
        tls = {"cafile": pki["ca"], "certfile": pki["server_cert"],
               "keyfile": pki["server_key"]}
        for n, retailer in enumerate(programs):
            for scheme in ("mqtt", "mqtts"):
                d = os.path.join(root, "%d-%s" % (n, scheme))
                os.makedirs(d)
                broker = Broker(os.path.join(d, "broker"),
                                tls=tls if scheme == "mqtts" else None).start()
                try:
                    r = measure(retailer, d, broker, pki["ca"] if scheme == "mqtts" else None)
                finally:
                    broker.stop()
                rows.append((retailer if len(programs) > 1 else "pantry-retailer listen",
                             scheme + "://") + r)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    out = ["## Memory of an idle listener", "",
           "`tests/retailer/bench-rss.py` (`ninja -C BUILD bench-retailer-rss`), commit "
           "%s, %s: one `pantry-retailer listen --tofu` subscribed to a private mosquitto "
           "on loopback (TLS 1.2 with the test PKI for mqtts://), no message; %d s after "
           "it subscribed: RSS (VmRSS, RssFile, RssAnon of /proc/PID/status) and PSS "
           "(/proc/PID/smaps_rollup) in kB, and which of Paho's libraries and libssl "
           "are mapped. Paho is loaded for the URL's scheme (agent/msg/paho-load.c); "
           "libssl and libcrypto stay mapped for mqtt:// because libcurl (`--webhook`) "
           "and libpq link them. Before commit 16bac77 the listener linked "
           "libpaho-mqtt3as whatever the scheme: for mqtt:// this script measured "
           "12476 kB RSS and 4273 kB PSS at commit 9569a63, against 10516 kB and "
           "3923 kB at commit 4a0da25 in the same run (release builds, "
           "x86_64; a run to the next moves by about 150 kB)."
           % (rev, platform.machine(), WARMUP), "",
           "| program | broker | RSS | of it files | of it anonymous | PSS | mapped |",
           "|---|---|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append("| %s | %s | %d | %d | %d | %d | %s |" % r)
    text = "\n".join(out) + "\n"
    if len(programs) == 1:
        try:
            with open(out_path) as f:
                old = f.read()
        except FileNotFoundError:
            old = ""
        head = old.split("## Memory of an idle listener", 1)[0].rstrip("\n")
        with open(out_path, "w") as f:
            f.write((head + "\n\n" if head else "") + text)
    sys.stdout.write(text)


main()
