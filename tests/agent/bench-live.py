# SPDX-License-Identifier: GPL-2.0-or-later
"""The daemon as a household runs it (issue 17): pantry-agent --household-live
runs the simulated household on the real clock through the daemon's live loop
(epoll, timerfd, control socket), 8 items, and this script measures the process
from /proc while it runs:

  idle     the household's load cells read every 600 s (--household-period
           600000) and nobody takes anything: the loop wakes for its own timers
           and the broker's keep-alive only;
  10 Hz    every cell read every 100 ms (--household-period 100, the
           hardware's rate) and one item in turn loses 15 g every 20 s, so
           conditioning, stock events and the store's batches happen;

each with no broker, with mqtt:// and with mqtts:// to a private mosquitto
(TLS 1.2, the test PKI of tests/broker.py). For comparison, mosquitto_sub
subscribed over the same TLS listener is measured the same way in the same run.

After a warm-up the process is sampled every second for the window: RSS
(VmRSS), RssFile, Pss (/proc/PID/smaps_rollup), the CPU time (utime + stime of
/proc/PID/stat) and the context switches of all its threads (voluntary and
involuntary: its wake-ups). Nothing is timed against a threshold. Writes the
Markdown table as the "## Live:" section at the end of OUT (the rest of OUT,
bench-rss.sh's, is kept) and prints it.

usage: bench-live.py AGENT OUT.md [SECONDS]
BENCH_SETUPS="none-idle mqtts-10hz ..." measures only those; BENCH_KEEP=1 keeps
the folder; BENCH_SMAPS=1 prints the largest mappings (smaps) of each run.
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
from checks import call, put, wait_for  # noqa: E402
from procmem import proc_status  # noqa: E402

AGENT, OUT = sys.argv[1], sys.argv[2]
SECONDS = int(sys.argv[3]) if len(sys.argv) > 3 else 60
WARMUP = 10
ITEMS = 8
HZ = os.sysconf("SC_CLK_TCK")
ALL = ("none-idle none-10hz mqtt-idle mqtt-10hz mqtts-idle mqtts-10hz "
       "mosquitto_sub-tls").split()


def config(d, broker, ca):
    chans = ",\n  ".join('{ name = "c%d"; iio = { device = "shelf-%d"; input = 0; }; '
                         'period = "100ms"; }' % (k, k) for k in range(ITEMS))
    items = ",\n  ".join(
        '{ id = "item%d"; channel = "c%d"; pack = 1000; container = 250; '
        'mode = "confirm"; calibration = { zero = 0; span_raw = 400000; '
        'span = 1000.0; }; }' % (k, k) for k in range(ITEMS))
    text = ('device_id = "bench-pi";\nstore_path = "%s/pantry.db";\n'
            'control_socket = "%s/control.sock";\nkey_path = "%s/device.key";\n'
            'channels = (\n  %s\n);\nitems = (\n  %s\n);\n') % (d, d, d, chans, items)
    if broker:
        text += 'broker = { url = "%s";%s };\n' % (
            broker.url, ' ca_file = "%s";' % ca if ca else "")
    path = os.path.join(d, "pantry-agent.conf")
    put(path, text)
    return path


def demand(d, busy, seconds):
    """One file per item: with busy, item k takes 15 g at 20 s * j for every
    j = k modulo 8 within the run; else nothing."""
    args = []
    for k in range(ITEMS):
        path = os.path.join(d, "use-%d.csv" % k)
        lines = ["# seconds,grams"]
        if busy:
            lines += ["%d,15" % (20 * j) for j in range(1, seconds // 20 + 2)
                      if j % ITEMS == k]
        put(path, "\n".join(lines) + "\n")
        args += ["--household", "item%d=%s" % (k, path)]
    return args


def sample(pid):
    st = proc_status(pid)
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    switches = run_ns = 0
    for t in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, t)) as f:
                for line in f:
                    if line.startswith(("voluntary_ctxt_switches",
                                        "nonvoluntary_ctxt_switches")):
                        switches += int(line.split()[1])
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                run_ns += int(f.read().split()[0])
        except OSError:
            pass
    return {"rss": int(st["VmRSS"][0]), "file": int(st["RssFile"][0]),
            "anon": int(st["RssAnon"][0]), "pss": int(st["smaps_Pss"][0]),
            "cpu": int(fields[11]) + int(fields[12]), "run_ns": run_ns,
            "switches": switches,
            "threads": int(st["Threads"][0])}


def smaps(pid):
    """{mapping: [kB Rss, Pss, Private_Dirty, Shared_Clean]}, a mapping named by
    its file or [heap], [anon]..., all its segments together."""
    fields = ("Rss:", "Pss:", "Private_Dirty:", "Shared_Clean:")
    maps, cur = {}, None
    with open("/proc/%d/smaps" % pid) as f:
        for line in f:
            parts = line.split()
            if "-" in parts[0] and len(parts) >= 5:
                cur = parts[5] if len(parts) > 5 else "[anon]"
                maps.setdefault(cur, [0, 0, 0, 0])
            elif parts[0] in fields:
                maps[cur][fields.index(parts[0])] += int(parts[1])
    return maps


def top(maps, n=12):
    return "\n".join("  %6d %6d %6d %6d %s" % (v[0], v[1], v[2], v[3], k)
                      for k, v in sorted(maps.items(), key=lambda x: -x[1][0])[:n])


def measure(name, proc, ready):
    try:
        if not wait_for(lambda: proc.poll() is not None or ready(), 30) or \
                proc.poll() is not None:
            raise RuntimeError("%s: did not start" % name)
        time.sleep(WARMUP)
        samples = [sample(proc.pid)]
        for _ in range(SECONDS):
            time.sleep(1)
            samples.append(sample(proc.pid))
        maps = smaps(proc.pid)
        if os.environ.get("BENCH_SMAPS") == "1":
            sys.stderr.write("%s: Rss Pss Private_Dirty Shared_Clean kB by mapping\n%s\n" % (name, top(maps)))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    first, last = samples[0], samples[-1]
    return {"name": name, "rss_max": max(s["rss"] for s in samples),
            "rss": last["rss"], "file": last["file"], "anon": last["anon"],
            "pss": last["pss"], "threads": last["threads"],
            "cpu_pct": 100.0 * (last["cpu"] - first["cpu"]) / HZ / SECONDS,
            "run_pct": 100.0 * (last["run_ns"] - first["run_ns"]) / 1e9 / SECONDS,
            "wakeups": (last["switches"] - first["switches"]) / SECONDS,
            "code": proc.returncode, "maps": maps}


def run(name, root, pki):
    d = os.path.join(root, name)
    os.makedirs(d)
    kind, load = name.split("-")
    tls = None
    if kind in ("mqtts", "mosquitto_sub"):
        tls = {"cafile": pki["ca"], "certfile": pki["server_cert"],
               "keyfile": pki["server_key"]}
    broker = Broker(os.path.join(d, "broker"), tls=tls).start() if kind != "none" else None
    log = open(os.path.join(d, "log"), "w")
    try:
        if kind == "mosquitto_sub":
            proc = subprocess.Popen(
                [shutil.which("mosquitto_sub") or "/usr/bin/mosquitto_sub", "-h",
                 "127.0.0.1", "-p", str(broker.port), "--cafile", pki["ca"],
                 "--tls-version", "tlsv1.2", "-t", "pantry/#", "-v"],
                stdout=log, stderr=log)
            r = measure(name, proc, lambda: "New client connected" in broker.tail())
            r["code"] = 0  # ended by SIGTERM, as meant
        else:
            conf = config(d, broker, pki["ca"] if tls else None)
            args = [AGENT, "--config", conf, "--foreground", "--household-live",
                    "--household-period", "100" if load == "10hz" else "600000"]
            args += demand(d, load == "10hz", WARMUP + SECONDS + 30)
            proc = subprocess.Popen(args, stdout=log, stderr=log)
            sock = os.path.join(d, "control.sock")

            def up():
                try:
                    return call(sock, {"cmd": "ping"})["ok"] and (
                        broker is None or "connected to " in open(log.name).read())
                except OSError:
                    return False
            r = measure(name, proc, up)
    finally:
        log.close()
        if broker:
            broker.stop()
    if r["code"] != 0:
        raise RuntimeError("%s: exited %d:\n%s" % (name, r["code"],
                                                   open(log.name).read()[-2000:]))
    st = open(log.name).read()
    if kind not in ("none", "mosquitto_sub") and "connected to " not in st:
        raise RuntimeError("%s: never connected to the broker:\n%s" % (name, st[-2000:]))
    return r


def main():
    # The commit measured: the binary is the one built when the run starts.
    # BENCH_COMMIT: taken by tests/bench/stamp.py before the run, when a
    # document an earlier benchmark rewrote does not count as a change of code.
    rev = os.environ.get("BENCH_COMMIT") or subprocess.run(
        ["git", "-C", HERE, "describe", "--always", "--dirty"],
        capture_output=True, text=True).stdout.strip() or "?"
    root = tempfile.mkdtemp(prefix="pantry-live.")
    setups = os.environ.get("BENCH_SETUPS", " ".join(ALL)).split()
    try:
        pki = make_pki(os.path.join(root, "pki"))
        rows = [run(n, root, pki) for n in setups]
    finally:
        if os.environ.get("BENCH_KEEP") != "1":
            shutil.rmtree(root, ignore_errors=True)
    what = {"none": "no broker", "mqtt": "mqtt://", "mqtts": "mqtts://",
            "mosquitto_sub": "mosquitto_sub, TLS (for comparison)"}
    out = [
        "## Live: the daemon as a household runs it",
        "",
        "`tests/agent/bench-live.py` (`ninja -C BUILD bench-live`), commit %s, %s, "
        "%d cores shared with other work: `pantry-agent --household-live` (the "
        "simulated household on the real clock, through the daemon's live loop), "
        "8 items; idle: each load cell read every 600 s and nothing taken; 10 Hz: "
        "every cell read every 100 ms and 15 g taken from one item in turn every "
        "20 s. Brokers: a private mosquitto on loopback, TLS 1.2 with the test PKI "
        "for mqtts://. After %d s of warm-up the process is sampled every second "
        "for %d s: RSS and PSS in kB (VmRSS, RssFile, RssAnon of /proc/PID/status; "
        "Pss of /proc/PID/smaps_rollup) at the end, RSS max over the window, CPU %% "
        "of one core (utime + stime, in clock ticks of 10 ms; and the time on a CPU of "
        "all its threads from /proc/PID/task/*/schedstat, in ns), wake-ups per second (voluntary and involuntary "
        "context switches of all its threads). Goal (issue 17): RSS <= 6144 kB, and "
        "with TLS below mosquitto_sub with TLS."
        % (rev, platform.machine(), os.cpu_count(), WARMUP, SECONDS),
        "",
        "| setup | load | RSS max | RSS | of it files | of it anonymous | PSS | threads "
        "| CPU % (ticks) | CPU % (schedstat) | wake-ups/s |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        kind, load = r["name"].split("-")
        out.append("| %s | %s | %d | %d | %d | %d | %d | %d | %.2f | %.3f | %.1f |" % (
            what[kind], {"idle": "idle", "10hz": "8 x 10 Hz", "tls": "subscribed"}[load],
            r["rss_max"], r["rss"], r["file"], r["anon"], r["pss"], r["threads"],
            r["cpu_pct"], r["run_pct"], r["wakeups"]))
    # Where the memory is with TLS: the libraries, the daemon's and
    # mosquitto_sub's, from the last sample's /proc/PID/smaps.
    by = {r["name"]: r["maps"] for r in rows}
    tls = [n for n in ("mqtts-10hz", "mqtts-idle") if n in by]
    if tls and "mosquitto_sub-tls" in by:
        a, b = by[tls[0]], by["mosquitto_sub-tls"]
        names = sorted(set(a) | set(b), key=lambda k: -max(a.get(k, [0])[0],
                                                              b.get(k, [0])[0]))
        out += ["", "Where the resident memory is with TLS (/proc/PID/smaps at the end, "
                "kB; a library's Rss counts every page of it mapped in the process, "
                "shared or not; Pss divides each page by the processes that map it):",
                "", "| mapping | pantry-agent %s Rss | Pss | Private_Dirty | Shared_Clean "
                "| mosquitto_sub Rss | Pss | Private_Dirty | Shared_Clean |"
                % tls[0].split("-")[1].replace("10hz", "8 x 10 Hz"),
                "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for k in names:
            ra, rb = a.get(k, [0, 0, 0, 0]), b.get(k, [0, 0, 0, 0])
            if max(ra[0], rb[0]) >= 100:
                out.append("| %s | %d | %d | %d | %d | %d | %d | %d | %d |" % (
                    os.path.basename(k) if k.startswith("/") else k,
                    ra[0], ra[1], ra[2], ra[3], rb[0], rb[1], rb[2], rb[3]))
        r_a = next(r for r in rows if r["name"] == tls[0])
        r_b = next(r for r in rows if r["name"] == "mosquitto_sub-tls")
        ssl_a = sum(v[0] for k, v in a.items() if "/libssl" in k or "/libcrypto" in k)
        ssl_b = sum(v[0] for k, v in b.items() if "/libssl" in k or "/libcrypto" in k)
        own = sorted(((v[0] - b.get(k, [0])[0], k) for k, v in a.items()), reverse=True)
        out += ["", "Reading: with TLS the daemon's RSS is at most %d kB over the window "
                "(%d kB at the end), %d kB %s mosquitto_sub's %d kB (goal: below it), "
                "and %s the 6144 kB budget; its PSS is %d kB against mosquitto_sub's "
                "%d kB. OpenSSL (libcrypto and libssl) is %d kB of the daemon's RSS and "
                "%d kB of mosquitto_sub's. The kernel maps a library's pages that are in "
                "the page cache around each page fault (16 at a time), so a TLS "
                "handshake alone maps most of libcrypto; the daemon hands back the pages "
                "it no longer runs after start-up, after each connect and every minute "
                "(agent/daemon/memtrim.c), so its RSS is what it ran since the last trim: read "
                "RSS max, not the RSS at the end. Where the daemon has more than "
                "mosquitto_sub: %s." % (
                    r_a["rss_max"], r_a["rss"], abs(r_a["rss_max"] - r_b["rss_max"]),
                    "above" if r_a["rss_max"] > r_b["rss_max"] else "below", r_b["rss_max"],
                    "over" if r_a["rss_max"] > 6144 else "within", r_a["pss"], r_b["pss"],
                    ssl_a, ssl_b,
                    ", ".join("%s %d kB" % (os.path.basename(k) if k.startswith("/")
                                            else k, d) for d, k in own[:6] if d > 0))]
    text = "\n".join(out) + "\n"
    # OUT's own section: what comes before it (bench-rss.sh's) is kept.
    try:
        with open(OUT) as f:
            old = f.read()
    except FileNotFoundError:
        old = ""
    head = old.split("## Live:", 1)[0]
    with open(OUT, "w") as f:
        f.write(head + ("" if head.endswith("\n\n") or not head else "\n") + text)
    sys.stdout.write(text)


main()
