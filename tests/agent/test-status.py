#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantryctl status against the real pantry-agent, running live on a fake IIO
sysfs tree (PANTRY_IIO_SYSFS_ROOT, as test-live.py), checked on what a user
reads, in text and --json (issue 14, "status"):

- live vs saved: with 747.5 g steady on the scale status shows the daemon's
  live stock ("live from the daemon", source "daemon") from the first minute;
  once the daemon stopped, the saved state, saying so ("saved at TIME, the
  daemon is not running", source "store");
- unknowns and faults: a sensor stuck from the start is a fault before any
  forecast; the saved view then has no runout (null, "not foreseen yet",
  never 1970); when the readings move again the fault ends, live and saved,
  and the history shows it ending; a new zero (a wrong one, then corrected)
  while the fault lasts ends it too, where it used to stay for good;
- the learning period: one 50 g pour minutes after the first start shows
  "learning: 1 of 4 uses, day 0 of 3" and no rate, runout or reorder point.

A second configuration with a control socket nobody listens on reads the
store while the daemon runs (what status shows when no daemon answers).
Waits poll for a condition with a deadline; the one sleep gives a tare the
3 s of still readings it takes, as test-live.py does.

usage: test-status.py AGENT PANTRYCTL
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import call, check, done, failures, put, wait_for  # noqa

AGENT, PANTRYCTL = sys.argv[1], sys.argv[2]
ZERO = 8388608  # the hx711 driver's offset binary zero
G = 400  # counts per gram (span_raw 400000 for 1000 g)

CONFIG = """device_id = "status-pi";
store_path = "{d}/pantry.db";
control_socket = "{d}/{sock}";
key_path = "{d}/device.key";
channels = ( {{ name = "rice"; iio = {{ device = "shelf-rice"; input = 0; }}; period = "50ms"; }} );
items = ( {{ id = "rice"; channel = "rice"; pack = 1000; container = 0; mode = "confirm";
            calibration = {{ zero = 0; span_raw = 400000; span = 1000.0; }};
            conditioning = {{ settle = "2s"; }}; }} );
"""


class Shelf:
    """The fake IIO tree and the daemon on it."""

    def __init__(self, d, grams, noisy=True):
        self.d = d
        dev = os.path.join(d, "sys", "iio:device0")
        os.makedirs(dev)
        put(os.path.join(dev, "name"), "hx711\n")
        put(os.path.join(dev, "label"), "shelf-rice\n")
        self.raw = os.path.join(dev, "in_voltage0_raw")
        self.level = ZERO + int(grams * G)
        self.noisy = threading.Event()
        if noisy:
            self.noisy.set()
        self.stop = threading.Event()
        put(self.raw, "%d\n" % self.level)
        threading.Thread(target=self.noise, daemon=True).start()
        self.conf = os.path.join(d, "pantry-agent.conf")
        self.store_conf = os.path.join(d, "store-only.conf")
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(d=d, sock="control.sock"))
        with open(self.store_conf, "w") as f:
            f.write(CONFIG.format(d=d, sock="nobody.sock"))
        self.sock = os.path.join(d, "control.sock")
        self.log = open(os.path.join(d, "agent.log"), "w+")
        env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.join(d, "sys"))
        self.p = subprocess.Popen([AGENT, "--config", self.conf, "--foreground"],
                                  env=env, stdout=self.log, stderr=self.log)
        check(wait_for(self.ping), "daemon answers")

    def noise(self):
        # 1 count is 2.5 mg: inside the noise band, and never a stuck code.
        k = 0
        while not self.stop.is_set():
            d = (k % 3) - 1 if self.noisy.is_set() else 0
            put(self.raw, "%d\n" % (self.level + d))
            k += 1
            self.stop.wait(0.02)

    def weigh(self, grams):
        self.level = ZERO + int(grams * G)
        put(self.raw, "%d\n" % self.level)

    def ping(self):
        try:
            return call(self.sock, {"cmd": "ping"})["ok"]
        except OSError:
            return False

    def live_stock(self):
        r = call(self.sock, {"cmd": "status"})
        return r["data"]["items"][0]["stock_g"] if r["ok"] else None

    def events(self):
        db = sqlite3.connect("file:%s?mode=ro" % os.path.join(self.d, "pantry.db"),
                             uri=True)
        rows = [k for (k,) in db.execute("SELECT kind FROM events ORDER BY rowid")]
        db.close()
        return rows

    def ctl(self, *args, store=False):
        conf = self.store_conf if store else self.conf
        r = subprocess.run([PANTRYCTL, "--config", conf] + list(args),
                           capture_output=True, text=True, timeout=60,
                           env=dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8"))
        check(r.returncode == 0, "pantryctl %s: exit %d %s" % (args, r.returncode,
                                                               r.stderr))
        return r.stdout

    def status(self, store=False):
        text = self.ctl("status", store=store)
        try:
            j = json.loads(self.ctl("status", "--json", store=store))
        except ValueError:
            j = {}
        return text, j

    def halt(self):
        self.p.send_signal(signal.SIGTERM)
        check(self.p.wait(timeout=30) == 0, "daemon stopped cleanly")

    def close(self):
        self.stop.set()
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()
        if failures():
            self.log.seek(0)
            sys.stderr.write(self.log.read()[-3000:])
        self.log.close()


def view(j):
    items = j.get("items") or [{}]
    return items[0].get("view") or {}


# ---- live vs saved, and the learning period ----
with tempfile.TemporaryDirectory() as d:
    s = Shelf(d, 747.5)
    try:
        check(wait_for(lambda: s.live_stock() == 747.5), "daemon weighs 747.5 g")
        text, j = s.status()
        check(text.startswith("live from the daemon at "), "live header:\n" + text)
        check("  stock     748 g ± " in text and "75% of a 1000 g pack" in text,
              "live stock shown:\n" + text)
        check("no forecast yet" not in text, "no 'no forecast yet' while the daemon "
              "knows the stock:\n" + text)
        check(j.get("source") == "daemon" and j.get("daemon_error") is None,
              "json source daemon: %r" % j)
        v = view(j)
        check(v.get("stock_g") == 747.5 and v.get("fault") is False,
              "json live: %r" % v)
        check(v.get("learning") == {"uses": 0, "uses_needed": 4, "days": 0,
                                    "days_needed": 3}, "json learning: %r" % v)

        # One 50 g pour: the learning period, no rate from a single use.
        s.weigh(697.5)
        check(wait_for(lambda: "consume" in s.events()), "the pour is a use")
        check(wait_for(lambda: s.live_stock() == 697.5), "daemon weighs 697.5 g")
        text, j = s.status()
        check("  learning: 1 of 4 uses, day 0 of 3" in text, "learning shown:\n" + text)
        check("g/day" not in text and "reorder point" not in text and
              "  runs out  not foreseen yet" in text, "no rate, runout or reorder "
              "point while learning:\n" + text)
        v = view(j)
        check(v.get("learning") == {"uses": 1, "uses_needed": 4, "days": 0,
                                    "days_needed": 3}, "json learning 1: %r" % v)
        check(all(k in v and v[k] is None for k in (
            "rate_g_per_day", "sigma_g_per_day", "runout_ms", "runout_early_ms",
            "runout_late_ms", "days_left", "reorder_point_g")),
            "json nulls while learning: %r" % v)
        check(v.get("stock_g") == 697.5, "json stock after the pour: %r" % v)

        # Stopped: the saved state, and saying so.
        s.halt()
        text, j = s.status()
        check(text.startswith("saved at ") and
              "the daemon is not running" in text.splitlines()[0],
              "saved header:\n" + text)
        check("  stock     698 g ± " in text and "  learning: 1 of 4 uses" in text and
              "g/day" not in text, "saved stock and learning:\n" + text)
        v = view(j)
        check(j.get("source") == "store" and
              "not running" in (j.get("daemon_error") or ""),
              "json source store: %r" % j)
        check(v.get("stock_g") == 697.5 and v.get("rate_g_per_day", 0) is None and
              v.get("learning", {}).get("uses") == 1, "json saved view: %r" % v)
    finally:
        s.close()

# ---- a fault before any forecast, and its end ----
with tempfile.TemporaryDirectory() as d:
    s = Shelf(d, 750, noisy=False)
    try:
        check(wait_for(lambda: "fault" in s.events()), "a stuck code is a fault")
        text, j = s.status(store=True)
        check("1970" not in text and "overdue" not in text and
              "  runs out  not foreseen yet" in text,
              "saved fault view without a runout:\n" + text)
        v = view(j)
        check(v.get("runout_ms", 0) is None and v.get("days_left", 0) is None and
              v.get("runout_early_ms", 0) is None and
              v.get("runout_late_ms", 0) is None,
              "json runout null, not the epoch: %r" % v)
        check("  sensor    FAULT" in text and v.get("fault") is True,
              "the fault is shown:\n" + text)
        text, j = s.status()
        check("  sensor    FAULT" in text and view(j).get("fault") is True,
              "live fault:\n" + text)

        s.noisy.set()
        check(wait_for(lambda: "fault-end" in s.events()), "the fault ends")
        text, j = s.status(store=True)
        check("FAULT" not in text and view(j).get("fault") is False and
              "1970" not in text, "saved view: the fault ended:\n" + text)
        text, j = s.status()
        check("FAULT" not in text and view(j).get("fault") is False,
              "live: the fault ended:\n" + text)
        hist = s.ctl("history", "rice")
        check("fault-end" in hist and "sensor recovered" in hist,
              "history shows the fault ending:\n" + hist)
        s.halt()
    finally:
        s.close()

# ---- a wrong zero corrected during a fault ends the fault ----
with tempfile.TemporaryDirectory() as d:
    s = Shelf(d, 750, noisy=False)
    try:
        check(wait_for(lambda: "fault" in s.events()), "a stuck code is a fault")
        # The readings move again; before the conditioning ends the fault of
        # its own, a tare (750 g on the platform: a wrong zero) restarts it.
        # The tare takes the last 3 s of readings, which must all be still.
        s.noisy.set()
        time.sleep(3.2)
        check("fault-end" not in s.events(), "the fault has not ended yet")
        r = call(s.sock, {"cmd": "tare", "item": "rice"})
        check(r["ok"] and "tared" in r["message"], "tare: %r" % r)
        check(wait_for(lambda: "fault-end" in s.events()),
              "the new calibration ends the fault: %r" % s.events())
        text, j = s.status()
        check("FAULT" not in text and view(j).get("fault") is False,
              "live: no fault after the new zero:\n" + text)
        text, j = s.status(store=True)
        check("FAULT" not in text and view(j).get("fault") is False and
              "1970" not in text, "saved: no fault after the new zero:\n" + text)
        hist = s.ctl("history", "rice")
        check("fault-end" in hist and "fault ended by the new calibration" in hist,
              "history shows the fault ending:\n" + hist)
        s.halt()
    finally:
        s.close()

done()
