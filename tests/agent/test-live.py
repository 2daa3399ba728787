#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-agent running live, as systemd would start it, against a fake IIO
sysfs tree (PANTRY_IIO_SYSFS_ROOT) and an evdev button on a FIFO of
struct input_event:

- READY=1 on NOTIFY_SOCKET once it runs, WATCHDOG=1 at about half of
  WATCHDOG_USEC, STOPPING=1 when it stops;
- the weight written to the fake in_voltage0_raw becomes the item's stock (a
  thread keeps the code moving by a count or two, as a live ADC's noise does:
  a code that never changes is a stuck sensor, and the agent says so);
- pantryctl-style requests on the control socket (order, a refused second
  order, cancel, a refused delivery of an order not sent) change the store as
  they say, or are refused with the reason;
- a short press on the button (key 59) orders; a long press cancels;
- SIGHUP with a broken configuration keeps the running one (and says why);
  SIGHUP with a good one reloads;
- SIGTERM stops it within 2 s with exit status 0 and removes the socket.
Waits poll for a condition with a deadline; nothing depends on a fixed sleep.
The item's settle period is 2 s instead of 2 minutes, so that a change of
weight is judged within the test's patience; everything else is the default.

usage: test-live.py AGENT
"""
import os
import re
import signal
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import (call, check, done, failures, put,
                    wait_for)

AGENT = sys.argv[1]
ZERO = 8388608  # the hx711 driver's offset binary zero





CONFIG = """device_id = "live-pi";
store_path = "{d}/pantry.db";
control_socket = "{d}/control.sock";
key_path = "{d}/device.key";
cancel_window = "15m";
channels = ( {{ name = "rice"; iio = {{ device = "shelf-rice"; input = 0; }}; period = "50ms"; }} );
items = ( {{ id = "rice"; channel = "rice"; pack = 1000; container = 0; mode = "confirm";
            calibration = {{ zero = 0; span_raw = 400000; span = 1000.0; }};
            conditioning = {{ settle = "2s"; }}; }} );
buttons = ( {{ evdev = {{ device = "{d}/button"; key = 59; }}; item = "rice"; }} );
{extra}
"""


def key_events(t, pressed):
    sec, usec = int(t), int((t % 1) * 1e6)
    return (struct.pack("qqHHi", sec, usec, 1, 59, 1 if pressed else 0) +
            struct.pack("qqHHi", sec, usec, 0, 0, 0))


with tempfile.TemporaryDirectory() as d:
    sysfs = os.path.join(d, "sys")
    dev = os.path.join(sysfs, "iio:device0")
    os.makedirs(dev)
    put(os.path.join(dev, "name"), "hx711\n")
    put(os.path.join(dev, "label"), "shelf-rice\n")
    raw = os.path.join(dev, "in_voltage0_raw")
    level = [ZERO + 300000]  # 750 g
    stop_noise = threading.Event()

    def noise():
        # 1 count is 2.5 mg here: far inside the noise band, never a stuck code.
        k = 0
        while not stop_noise.is_set():
            put(raw, "%d\n" % (level[0] + (k % 3) - 1))
            k += 1
            stop_noise.wait(0.02)
    def weigh(code):
        level[0] = code
        put(raw, "%d\n" % code)  # at once, not at the noise thread's next turn
    put(raw, "%d\n" % level[0])
    threading.Thread(target=noise, daemon=True).start()
    fifo = os.path.join(d, "button")
    os.mkfifo(fifo)
    conf = os.path.join(d, "pantry-agent.conf")
    with open(conf, "w") as f:
        f.write(CONFIG.format(d=d, extra=""))
    notify_path = os.path.join(d, "notify")
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(notify_path)
    notify.settimeout(0.2)
    msgs = []

    def listen():
        while True:
            try:
                m = notify.recv(4096).decode()
            except socket.timeout:
                continue
            except OSError:
                return
            msgs.append((time.monotonic(), m))
    threading.Thread(target=listen, daemon=True).start()

    env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=sysfs, NOTIFY_SOCKET=notify_path,
               WATCHDOG_USEC="400000")
    log = open(os.path.join(d, "agent.log"), "w+")
    p = subprocess.Popen([AGENT, "--config", conf, "--foreground"], env=env,
                         stdout=log, stderr=log)
    # The FIFO's writer: opened after the agent opened its end for reading.
    check(wait_for(lambda: any(m == "READY=1" for _, m in msgs)), "READY=1 sent")
    bw = open(fifo, "wb", buffering=0)
    sock = os.path.join(d, "control.sock")
    check(call(sock, {"cmd": "ping"})["ok"], "ping")
    check(oct(os.stat(sock).st_mode & 0o777) == "0o660", "socket mode 0660")

    def stock():
        r = call(sock, {"cmd": "status"})
        return r["data"]["items"][0]["stock_g"] if r["ok"] and r.get("data") else None
    check(wait_for(lambda: stock() == 750.0), "stock 750 g, got %r" % stock())

    # A manual order is queued at once (the person asked); a second is refused.
    r = call(sock, {"cmd": "order", "item": "rice"})
    check(r["ok"] and re.fullmatch(r"rice: order \S+ queued, (1 pack|\d+ packs)",
                                   r["message"]) is not None, "order: %r" % r)
    r = call(sock, {"cmd": "order", "item": "rice"})
    check(not r["ok"] and r["error"] == "EEXIST", "second order refused: %r" % r)
    # Refused at the door (pantryctl refused): a queued order was not sent (no
    # broker here), so it cannot have come; the daemon says to cancel it.
    r = call(sock, {"cmd": "refused", "item": "rice", "reason": "damaged"})
    check(not r["ok"] and r["error"] == "EPERM" and
          "was not sent yet, so it cannot have come: cancel it instead" in r["message"],
          "refused before sending: %r" % r)
    r = call(sock, {"cmd": "refused", "item": "rice", "reason": "x\u0007"})
    check(not r["ok"] and r["error"] == "EINVAL" and "\"reason\"" in r["message"],
          "refused with a control character: %r" % r)
    r = call(sock, {"cmd": "cancel", "item": "rice"})
    check(r["ok"] and "cancelled" in r["message"], "cancel: %r" % r)
    r = call(sock, {"cmd": "refused", "item": "rice"})
    check(not r["ok"] and r["error"] == "EPERM" and "no open order" in r["message"],
          "refused with no open order: %r" % r)
    r = call(sock, {"cmd": "order", "item": "nope"})
    check(not r["ok"] and r["error"] == "ENOENT", "unknown item: %r" % r)

    # Button: short press orders, long press (held 1 s) cancels.
    t = time.time()
    bw.write(key_events(t, True) + key_events(t + 0.1, False))

    def states():
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "pantry.db"), uri=True)
        rows = db.execute("SELECT state, reason FROM orders ORDER BY created_ms").fetchall()
        db.close()
        return rows
    check(wait_for(lambda: len(states()) == 2 and states()[1] == ("queued", "button")),
          "short press ordered: %r" % states())
    t = time.time()
    bw.write(key_events(t, True) + key_events(t + 1.0, False))
    check(wait_for(lambda: states()[-1][0] == "cancelled"),
          "long press cancelled: %r" % states())

    # The weight drops by 100 g and settles: one consumption of about 100 g.
    weigh(ZERO + 260000)  # 650 g
    check(wait_for(lambda: stock() == 650.0), "stock 650 g, got %r" % stock())

    # Recording: a v1 trace of the live samples, in the store's folder.
    r = call(sock, {"cmd": "record", "seconds": 1})
    path = r.get("data", {}).get("path", "") if r["ok"] else ""
    check(r["ok"] and path.startswith(d + "/trace-"), "record: %r" % r)

    def recorded():
        if not os.path.exists(path):
            return False
        text = open(path).read()
        return "recorded by pantry-agent" in text and text.count("\ns ") >= 10
    check(wait_for(recorded), "trace recorded")
    check(open(path).readline() == "# pantry-samples v1\n", "trace header")
    r = call(sock, {"cmd": "record", "seconds": 1})
    check(r["ok"] or r["error"] == "EBUSY", "second record: %r" % r)
    weigh(ZERO + 250000)  # 625 g: the window now moves
    # The daemon reads every 50 ms and shows no reading before it settles: give
    # it a few periods, so that its last 3 s hold both levels (as the 3.2 s
    # sleeps below give it a still window).
    time.sleep(0.3)
    r = call(sock, {"cmd": "tare", "item": "rice"})
    check(not r["ok"] and r["error"] == "ERANGE" and
          re.fullmatch(r"rice: the platform moved \(readings spread over \d+\.\d g\): keep "
                       r"still and try again", r["message"]) is not None,
          "tare while moving refused, in grams: %r" % r)

    # Calibration through the daemon: tare with the platform as it is (650 g
    # becomes 0), then 500 g more on it (raw 460000, 210000 counts above the
    # 625 g tare) gives a span of 210000 counts for 500 g. The daemon
    # uses the readings of the last 3 s, which must all be still (pantryctl
    # calibrate waits the same 3 s after Enter): first a refusal, then a tare.
    r = call(sock, {"cmd": "tare", "item": "rice"})
    check(not r["ok"] or "tared" in r["message"], "tare: %r" % r)
    time.sleep(3.2)
    r = call(sock, {"cmd": "tare", "item": "rice"})
    # 250000 counts at 400 counts/g: 625 g stood on the platform, and the answer
    # says so in grams, with a warning (a tare is for the empty platform).
    check(r["ok"] and r["message"].startswith(
        "rice: tared with 625 g on the platform, which now reads 0 g. Warning: "),
        "tare of a loaded platform warns: %r" % r)
    check(wait_for(lambda: stock() == 0.0), "stock 0 after tare: %r" % stock())
    weigh(ZERO + 460000)
    # Wait until the last 3 s hold only the new reading.
    check(wait_for(lambda: stock() not in (None, 0.0)), "weight seen")
    time.sleep(3.2)
    r = call(sock, {"cmd": "span", "item": "rice", "grams": 500.0})
    # The previous calibration read those 210000 counts as 525 g: every
    # reading is now 500/525 of what it was, 4.8 % lower.
    # (The noise is a count or two: 2.4 mg each.)
    check(r["ok"] and r["message"] ==
          "rice: calibrated with 500 g, which the previous calibration read as "
          "525 g: readings now 4.8 % lower (noise under 0.1 g)", "span in grams: %r" % r)
    check(wait_for(lambda: stock() == 500.0), "stock 500 g after span: %r" % stock())
    # Back to the tared platform: an empty one is tared without a warning.
    # (Taking it off is no use: the stock stays, as for a lift. As above, the
    # daemon sees the change within a few periods, then 3.2 s of stillness.)
    weigh(ZERO + 250000)
    time.sleep(0.3)
    r = call(sock, {"cmd": "tare", "item": "rice"})
    check(not r["ok"] and r["error"] == "ERANGE", "tare while moving: %r" % r)
    time.sleep(3.2)
    r = call(sock, {"cmd": "tare", "item": "rice"})
    check(r["ok"] and r["message"] ==
          "rice: tared: the empty platform read 0.0 g and now reads 0 g",
          "tare of the empty platform: %r" % r)
    weigh(ZERO + 260000)
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "pantry.db"), uri=True)
    cals = db.execute("SELECT zero, span_raw, span_mg FROM calibrations ORDER BY "
                      "t_ms, rowid").fetchall()
    # The history (pantryctl history) has each of them, in grams.
    audit = [a for (a,) in db.execute(
        "SELECT what FROM audit WHERE item = 'rice' AND (what LIKE 'tare%' OR "
        "what LIKE 'calibrated%') ORDER BY t_ms, rowid")]
    db.close()
    check(cals[:2] == [(250000, 400000, 1000000), (250000, 210000, 500000)],
          "calibrations stored: %r" % cals)
    check(audit == ["tare with 625 g on the platform (warned: not empty): it now "
                    "reads 0 g",
                    "calibrated with 500 g, which the previous calibration read as "
                    "525 g: readings now 4.8 % lower",
                    "tare: the empty platform read 0.0 g, now 0 g"],
          "tare and calibration in the history: %r" % audit)

    # SIGHUP: a broken file is refused, the agent goes on; a good one reloads.
    with open(conf, "w") as f:
        f.write(CONFIG.format(d=d, extra="servce_level = 0.9;"))
    p.send_signal(signal.SIGHUP)

    def logged(text):
        log.flush()
        return text in open(os.path.join(d, "agent.log")).read()
    check(wait_for(lambda: logged("keeping the running configuration")),
          "bad reload refused")
    check(logged("servce_level"), "bad reload says why")
    check(call(sock, {"cmd": "ping"})["ok"], "still serving after a bad reload")
    with open(conf, "w") as f:
        f.write(CONFIG.format(d=d, extra='log_level = "debug";'))
    p.send_signal(signal.SIGHUP)
    check(wait_for(lambda: logged("configuration reloaded")), "good reload")
    check(wait_for(lambda: stock() is not None), "stock after reload %r" % stock())

    # Watchdog pings every ~200 ms (half of 400 ms) while healthy.
    n0 = sum(1 for _, m in msgs if m == "WATCHDOG=1")
    time.sleep(1.0)
    n1 = sum(1 for _, m in msgs if m == "WATCHDOG=1")
    check(3 <= n1 - n0 <= 8, "watchdog pings in 1 s: %d" % (n1 - n0))

    stop_noise.set()
    t0 = time.monotonic()
    p.send_signal(signal.SIGTERM)
    rc = p.wait(timeout=10)
    check(rc == 0, "exit status %d" % rc)
    check(time.monotonic() - t0 < 2.0, "stopped within 2 s")
    check(any(m == "STOPPING=1" for _, m in msgs), "STOPPING=1")
    check(not os.path.exists(sock), "socket removed")
    bw.close()
    notify.close()
    # The device key was made at the first start, readable by its owner only;
    # a key others may read stops the agent before it starts anything.
    key = os.path.join(d, "device.key")
    check(oct(os.stat(key).st_mode & 0o777) == "0o600", "key made 0600")
    check(logged("made a new device key"), "key creation logged")
    check("ed25519:" + open(key).read()[8:20] not in open(os.path.join(
        d, "agent.log")).read(), "no key material in the log")
    os.chmod(key, 0o644)
    r = subprocess.run([AGENT, "--config", conf, "--foreground"], env=env,
                       capture_output=True, text=True, timeout=30)
    check(r.returncode == 1 and "chmod 600" in r.stderr, "readable key refused: %r" %
          r.stderr[-300:])
    os.chmod(key, 0o600)
    db = sqlite3.connect(os.path.join(d, "pantry.db"))
    check(db.execute("PRAGMA integrity_check").fetchone()[0] == "ok", "integrity")
    cons = db.execute("SELECT SUM(mg) FROM events WHERE kind='consume'").fetchone()[0]
    # 750 -> 650 -> 625 g before the tare: 125 g used.
    check(cons is not None and abs(cons - 125000) <= 1000, "consumed %r mg" % cons)
    db.close()
    if failures():
        log.seek(0)
        sys.stderr.write(log.read()[-3000:])

done()
