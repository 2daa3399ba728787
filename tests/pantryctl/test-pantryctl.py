#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantryctl against a real store file and a fake daemon.

make-store fills a store through the store API with items, readings, forecast
views, orders and history whose numbers are chosen here; a configuration points
pantryctl at it. status, forecast and history are checked against values and
chart geometry worked out in this file from those numbers (the formulas of
agent/PANTRYCTL.md), not against a snapshot of pantryctl's output. The commands
that talk to the daemon run against a small UNIX socket server written here,
which checks each request line byte for byte and answers per the protocol;
with nothing listening pantryctl must exit 3.

Usage: test-pantryctl.py PANTRYCTL MAKE_STORE [B_SANITIZE]
PANTRYCTL_TEST_NOW (YYYY-MM-DDTHH:MM:SSZ) moves "now", and every time in the
store with it (the dates past 2038, for the Raspberry Pi builds under qemu);
MESON_EXE_WRAPPER, which meson sets in a cross build, runs the programs.
"""
import base64
import calendar
import hashlib
import json
import math
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import VALGRIND_CMD, check, done, read_line, valgrind_wanted  # noqa

TOOL, MAKE_STORE = sys.argv[1], sys.argv[2]
# In a cross build meson names the emulator (qemu-arm -L SYSROOT ...).
WRAP = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
# Plain builds also run a few commands under valgrind (meson's valgrind setup
# would wrap python, not the tool); sanitizer builds cannot run under it.
VALGRIND = len(sys.argv) > 3 and valgrind_wanted(sys.argv[3])


ENV = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
NOW_TEXT = os.environ.get("PANTRYCTL_TEST_NOW", "2024-05-14T12:00:00Z")
NOW_S = calendar.timegm(time.strptime(NOW_TEXT, "%Y-%m-%dT%H:%M:%SZ"))
NOW_MS = NOW_S * 1000
if NOW_S >= 2**31 and os.environ.get("TEST_TIME_T_BITS", "64") != "64":
    print("# skip: this build has a %s-bit time_t (Debian 12 armhf's ABI): it cannot"
          " show dates past 2038-01-19T03:14:07Z" % os.environ["TEST_TIME_T_BITS"])
    sys.exit(77)
DAY_S = 86400
DAY_MS = DAY_S * 1000


def utc(ms, fmt="%Y-%m-%d %H:%M"):
    return time.strftime(fmt, time.gmtime(ms // 1000))


def run(args, stdin="", timeout=60, now=True):
    base = WRAP + [TOOL, "--config", CONF] + (["--now", NOW_TEXT] if now else [])
    return subprocess.run(base + args, input=stdin, capture_output=True, text=True,
                          timeout=timeout, env=ENV)


def run_json(args, **kw):
    r = run(args + ["--json"], **kw)
    try:
        return r, json.loads(r.stdout)
    except ValueError:
        check(False, "%s --json: not JSON: %r %r" % (args, r.stdout, r.stderr))
        return r, None


# ---- the store: numbers in store units ----

# rice: readings every 6 h over the last 13 days, falling 50 g/day from 1400 g.
READ_T0 = NOW_MS - 13 * DAY_MS
READINGS = []
for k in range(13 * 4):
    t = READ_T0 + k * 6 * 3600 * 1000
    mean = 1400000 - (t - READ_T0) * 50000 // DAY_MS
    READINGS.append((t, mean))
VIEW_T_MS = NOW_MS - 600 * 1000
STOCK_MG = 760000
RATE_UGPD = 50 * 1000 * 1000
RUNOUT_S = VIEW_T_MS // 1000 + STOCK_MG * DAY_S // 50000      # 15.2 days later
RUNOUT_LO_S = VIEW_T_MS // 1000 + 12 * DAY_S
RUNOUT_HI_S = VIEW_T_MS // 1000 + 19 * DAY_S

commands = [
    "item rice 0 Basmati rice",
    "item coffee 1 Coffee beans",
    "item flour 2 Flour",
]
for t, mean in READINGS:
    commands.append("reading rice %d 90 %d %d %d 2000" % (t, mean - 3000, mean + 3000,
                                                           mean))
commands += [
    "view rice %d %d 3000 %d 5000000 %d %d %d 172800 300000 not-needed 0"
    % (VIEW_T_MS, STOCK_MG, RATE_UGPD, RUNOUT_S, RUNOUT_LO_S, RUNOUT_HI_S),
    # coffee: a faulty sensor, no use seen: runout never
    "view coffee %d 412400 1000 0 0 never never never 259200 150000 no-data 1"
    % (NOW_MS - 60000),
    # rice learnt long ago (30 uses in 20 days); coffee is learning (2 uses, 1 day)
    "model rice %d 30" % (NOW_MS - 20 * DAY_MS),
    "model coffee %d 2" % (NOW_MS - DAY_MS - 3600 * 1000),
    "device test-shelf",
    # rice: an order planned, then cancelled (final: history only)
    "order r-1 rice 1 499 predicted %d" % (NOW_MS - 3 * DAY_MS),
    "transition r-1 planned cancelled %d by pantryctl" % (NOW_MS - 3 * DAY_MS + 60000),
    # coffee: an open order, published
    "order c-7 coffee 2 1299 manual %d" % (NOW_MS - 2 * 3600 * 1000),
    "queue c-7 %d" % (NOW_MS - 3600 * 1000),
    "transition c-7 queued published %d puback" % (NOW_MS - 1800 * 1000),
    "eta c-7 %d" % (NOW_MS + 2 * 86400 * 1000),
    "event rice consume %d 45000" % (NOW_MS - 3 * 3600 * 1000),
    "event rice refill %d 2000000" % (NOW_MS - 4 * DAY_MS),
    # a cat came and went: two records, flags foreign load (8) and taken away (32)
    "event flour moved %d 6150000 8" % (NOW_MS - 6 * 3600 * 1000),
    "event flour moved %d 1850000 40" % (NOW_MS - 19800000),
    "audit %d - daemon started" % (NOW_MS - 5 * 3600 * 1000),
]

tmp = tempfile.mkdtemp(prefix="pctl-")
try:
    STORE = os.path.join(tmp, "pantry.db")
    SOCK = os.path.join(tmp, "ctl.sock")
    CONF = os.path.join(tmp, "pantry.conf")
    r = subprocess.run(WRAP + [MAKE_STORE, STORE], input="\n".join(commands) + "\n",
                       capture_output=True, text=True, timeout=60)
    if r.returncode != 0:
        print("make-store failed:", r.stderr, file=sys.stderr)
        sys.exit(1)
    with open(CONF, "w") as f:
        f.write("""device_id = "test-shelf";
store_path = "%s";
control_socket = "%s";
key_path = "%s";
channels = (
    { name = "a"; iio = { device = "iio:device0"; input = 0; }; },
    { name = "b"; iio = { device = "iio:device0"; input = 1; }; },
    { name = "c"; iio = { device = "iio:device0"; input = 2; }; }
);
items = (
    { id = "rice"; name = "Basmati rice"; channel = "a"; pack = 2000; },
    { id = "coffee"; name = "Coffee beans"; channel = "b"; pack = 1000;
      mode = "auto"; },
    { id = "flour"; name = "Flour"; channel = "c"; pack = 1000; mode = "off"; }
);
""" % (STORE, SOCK, os.path.join(tmp, "device.key")))

    # ---- usage ----
    r = run(["--help"])
    check(r.returncode == 0 and all(c in r.stdout for c in (
        "status", "forecast", "history", "order", "confirm", "cancel", "tare",
        "calibrate", "record", "--config", "--json", "Exit status")),
        "help lists commands: " + r.stdout)
    r = run(["forecast", "--help"])
    check(r.returncode == 0 and "--days" in r.stdout and "--ascii" in r.stdout,
          "forecast --help")
    r = run(["help", "calibrate"])
    check(r.returncode == 0 and "--settle-ms" in r.stdout, "help calibrate")
    r = run(["--version"])
    check(r.returncode == 0 and r.stdout.startswith("pantryctl "), "version")
    for args, text in ((["frobnicate"], "unknown command 'frobnicate'"),
                       ([], "expected a command"),
                       (["status", "--weight", "5"], "status takes no --weight"),
                       (["calibrate", "rice"], "calibrate needs --weight"),
                       (["forecast"], "forecast: expected one ITEM"),
                       (["forecast", "rice", "--days", "0"], "--days: expected 1..400"),
                       (["record", "--seconds", "86401"], "--seconds: expected"),
                       (["order", "rice", "flour"], "expected one ITEM"),
                       (["ping", "x"], "ping takes no arguments"),
                       (["--bogus", "status"], "unknown option '--bogus'"),
                       (["history", "Rice"], "expected an item id")):
        r = run(args)
        check(r.returncode == 2 and text in r.stderr,
              "usage %s: %d %s" % (args, r.returncode, r.stderr))
    r = run(["order", "tea"])
    check(r.returncode == 2 and "no item 'tea'" in r.stderr and
          "rice coffee flour" in r.stderr, "unknown item: " + r.stderr)

    # ---- status ----
    r = run(["status"])
    check(r.returncode == 0, "status exit: " + r.stderr)
    out = r.stdout
    days_left = (RUNOUT_S - NOW_S) / DAY_S   # 15.19: "15.2"
    check(out.startswith("saved at %s, the daemon is not running\n" % utc(NOW_MS - 60000)),
          "status says the state is saved, the newest view's time:\n" + out)
    expect = [
        "rice  Basmati rice  (mode confirm)",
        "  stock     760 g ± 3.0 g, 38%% of a 2000 g pack (at %s)" % utc(VIEW_T_MS),
        "  use       50.0 g/day ± 5.0",
        "  runs out  in %.1f days, %s (%s .. %s)" % (
            days_left, utc(RUNOUT_S * 1000), utc(RUNOUT_LO_S * 1000),
            utc(RUNOUT_HI_S * 1000)),
        "  decision  not-needed; reorder point 300 g, lead time 2.0 days",
        "  lead      2.0 days ± 2.0, the configured prior: no delivery measured yet",
        "  order     none open",
        "coffee  Coffee beans  (mode auto)",
        "  stock     412 g ± 1.0 g, 41%% of a 1000 g pack (at %s)"
        % utc(NOW_MS - 60000),
        "  sensor    FAULT",
        "  learning: 2 of 4 uses, day 1 of 3; no rate or runout until then",
        "  runs out  not foreseen yet",
        "  decision  no-data; lead time 3.0 days",
        "  order     c-7 published since %s (2 packs, manual)" % utc(NOW_MS - 1800000),
        "  delivery  expected %s (the retailer shipped it)" % utc(NOW_MS + 2 * 86400000),
        "flour  Flour  (mode off)",
        "  no forecast yet",
    ]
    for e in expect:
        check(e in out, "status line %r in:\n%s" % (e, out))
    check(days_left > 15.15 and days_left < 15.2, "test arithmetic")
    r = run(["status", "coffee"])
    check(r.returncode == 0 and "coffee" in r.stdout and "rice" not in r.stdout,
          "status ITEM")

    r, j = run_json(["status"])
    if j is not None:
        items = {i["id"]: i for i in j["items"]}
        check(j["now_ms"] == NOW_MS, "json now")
        check([i["id"] for i in j["items"]] == ["rice", "coffee", "flour"],
              "json order")
        v = items["rice"]["view"]
        check(v == {
            "t_ms": VIEW_T_MS, "stock_g": 760, "uncertainty_g": 3, "pack_pct": 38,
            "rate_g_per_day": 50, "sigma_g_per_day": 5,
            "days_left": round(days_left, 1), "runout_ms": RUNOUT_S * 1000,
            "runout_early_ms": RUNOUT_LO_S * 1000, "runout_late_ms": RUNOUT_HI_S * 1000,
            "lead_s": 172800, "reorder_point_g": 300, "verdict": "not-needed",
            "fault": False, "learning": None}, "json rice view: %r" % v)
        check(j["source"] == "store" and "the daemon is not running" in j["daemon_error"],
              "json source: %r" % j)
        check(items["rice"]["order"] is None and items["rice"]["pack_g"] == 2000 and
              items["rice"]["name"] == "Basmati rice" and
              items["rice"]["mode"] == "confirm", "json rice")
        c = items["coffee"]
        check(c["view"]["runout_ms"] is None and c["view"]["days_left"] is None and
              c["view"]["fault"] is True and c["view"]["stock_g"] == 412.4 and
              c["view"]["rate_g_per_day"] is None and
              c["view"]["reorder_point_g"] is None and
              c["view"]["learning"] == {"uses": 2, "uses_needed": 4, "days": 1,
                                        "days_needed": 3},
              "json coffee view: %r" % c["view"])
        check(c["order"] == {"id": "c-7", "state": "published", "packs": 2,
                             "reason": "manual", "created_ms": NOW_MS - 7200000,
                             "updated_ms": NOW_MS - 1800000, "seq": 1,
                             "eta_ms": NOW_MS + 2 * 86400000},
              "json coffee order: %r" % c["order"])
        check(items["flour"]["view"] is None and items["flour"]["order"] is None,
              "json flour")
        check(items["rice"]["lead"] == {"mean_s": 172800, "sd_s": 172800,
                                        "deliveries": 0},
              "json rice lead, the prior: %r" % items["rice"].get("lead"))

    # ---- forecast: geometry recomputed from PANTRYCTL.md's formulas ----
    def geometry(width, height, days):
        t0 = NOW_MS - days * DAY_MS
        top = max([m for t, m in READINGS if t >= t0] + [STOCK_MG])
        ymax = next(s * p for p in (10 ** e for e in range(4, 13)) for s in (1, 2, 5)
                    if s * p >= top)
        future = min(max(RUNOUT_HI_S * 1000 - NOW_MS, DAY_MS), 4 * days * DAY_MS)
        t1 = NOW_MS + future
        lw = len("%d g" % (ymax // 1000))
        pw = width - lw - 2
        X, Y = 2 * pw, 4 * height

        def col(t):
            return math.floor((t - t0) * (X - 1) / (t1 - t0) + 0.5) // 2

        def row(mg):
            y = math.floor(mg * (Y - 1) / ymax + 0.5)
            return (Y - 1 - y) // 4
        return dict(t0=t0, t1=t1, ymax=ymax, lw=lw, pw=pw, col=col, row=row)

    def check_chart(args, width, height, days, ascii_):
        r = run(["forecast", "rice"] + args)
        check(r.returncode == 0, "forecast %s: %s" % (args, r.stderr))
        lines = r.stdout.split("\n")[:-1]
        g = geometry(width, height, days)
        check(len(lines) == height + 5, "forecast lines: %d" % len(lines))
        check(all(len(l) <= width for l in lines),
              "forecast width %d: %r" % (width, [len(l) for l in lines]))
        check(lines[0] == "rice  Basmati rice: 760 g, 50.0 g/day", "header " + lines[0])
        plot = lines[1:1 + height]
        left = g["lw"] + 2
        ytick, ybar = ("+", "|") if ascii_ else ("┤", "│")
        check(plot[0].startswith("%d g %s" % (g["ymax"] // 1000, ytick)),
              "top label: " + plot[0])
        check(plot[-1].startswith("%*s %s" % (g["lw"], "0 g", ytick)),
              "bottom label: " + plot[-1])
        half_row = g["row"](g["ymax"] // 2)
        check(plot[half_row].startswith("%*d g %s" % (g["lw"] - 2, g["ymax"] // 2000,
                                                      ytick)),
              "half label on row %d: %r" % (half_row, plot[half_row]))
        axis = lines[1 + height]
        mark = "^" if ascii_ else "▲"
        want = g["col"](RUNOUT_S * 1000)
        check(axis.find(mark) - left == want,
              "runout column %d, expected %d: %r"
              % (axis.find(mark) - left, want, axis))
        now_mark = "|" if ascii_ else "┴"
        check(axis.find(now_mark) - left == g["col"](NOW_MS), "now column: " + axis)
        # every reading is a history dot in its cell; nothing is drawn left of t0
        hist = "#" if ascii_ else None
        for t, mean in READINGS:
            if t < g["t0"]:
                continue
            cell = plot[g["row"](mean)][left + g["col"](t)]
            if ascii_:
                check(cell == hist, "reading at %s %d mg: %r" % (utc(t), mean, cell))
            else:
                check(0x2800 < ord(cell) <= 0x28ff,
                      "braille at %s: %r" % (utc(t), cell))
        # the expected line reaches zero at the runout, on the bottom row
        cell = plot[height - 1][left + want]
        check(cell == "*" if ascii_ else 0x2800 < ord(cell) <= 0x28ff,
              "expected line at the runout: %r" % cell)
        # the interval is filled after now only
        fill = "." if ascii_ else "░"
        cols = [i - left for l in plot for i, ch in enumerate(l) if ch == fill]
        check((cols or height < 16) and min(cols + [999]) >= g["col"](VIEW_T_MS) - 1,
              "interval after now: %r" % cols[:5])
        # dates: the runout's, under its mark, and "now"
        labels = lines[2 + height]
        day = utc(RUNOUT_S * 1000, "%m-%d")
        at = labels.find(day) - left
        check(at >= 0 and abs(at + 2 - want) <= 2, "runout date under the mark: %r"
              % labels)
        check("now" in labels, "now label: " + labels)
        check("interval" in lines[3 + height], "legend: " + lines[3 + height])
        check(lines[4 + height] == "%s runout %s (%s..%s)" % (
            mark, utc(RUNOUT_S * 1000), utc(RUNOUT_LO_S * 1000, "%m-%d"),
            utc(RUNOUT_HI_S * 1000, "%m-%d")), "runout line: " + lines[4 + height])
        return lines

    check_chart(["--ascii"], 78, 16, 14, True)
    check_chart([], 78, 16, 14, False)
    check_chart(["--ascii", "--width", "60", "--height", "8", "--days", "7"], 60, 8, 7,
                True)
    lines = check_chart(["--width", "120", "--height", "24", "--days", "30"], 120, 24,
                        30, False)

    r, j = run_json(["forecast", "rice", "--days", "7"])
    if j is not None:
        g = geometry(78, 16, 7)
        check(j["item"] == "rice" and j["now_ms"] == NOW_MS and
              j["from_ms"] == g["t0"] and j["to_ms"] == g["t1"] and
              j["ymax_g"] == g["ymax"] / 1000, "forecast json: %r" % {
                  k: j[k] for k in ("from_ms", "to_ms", "ymax_g")})
        want = [(t, m) for t, m in READINGS if t >= g["t0"]]
        check([(p["t_ms"], round(p["mean_g"] * 1000)) for p in j["readings"]] == want,
              "forecast json readings")
        check(j["view"]["runout_ms"] == RUNOUT_S * 1000, "forecast json view")
    r = run(["forecast", "flour"])
    check(r.returncode == 0 and "Nothing to draw yet" in r.stdout, "forecast no data")
    r = run(["forecast", "coffee", "--ascii"])
    check(r.returncode == 0 and "^ runout not foreseen\n" in r.stdout,
          "forecast never: " + r.stdout)

    # ---- history: newest first ----
    r = run(["history"])
    lines = r.stdout.splitlines()
    check(r.returncode == 0 and len(lines) == 10, "history: %r" % lines)
    want = [
        "%s  coffee        order c-7 queued -> published: puback"
        % utc(NOW_MS - 1800000),
        "%s  coffee        order c-7 planned -> queued" % utc(NOW_MS - 3600000),
        "%s  coffee        order c-7 created, planned" % utc(NOW_MS - 7200000),
        "%s  rice          consume 45.0 g" % utc(NOW_MS - 3 * 3600000),
        "%s  -             daemon started" % utc(NOW_MS - 5 * 3600000),
        "%s  rice          order r-1 planned -> cancelled: by pantryctl"
        % utc(NOW_MS - 3 * DAY_MS + 60000),
        "%s  rice          order r-1 created, planned" % utc(NOW_MS - 3 * DAY_MS),
        "%s  rice          refill 2000 g" % utc(NOW_MS - 4 * DAY_MS),
        "%s  flour         moved (stock 6150 g) [foreign load]"
        % utc(NOW_MS - 6 * 3600000),
        "%s  flour         moved (stock 1850 g) [foreign load, taken away]"
        % utc(NOW_MS - 19800000),
    ]
    for w in want:
        check(any(l.startswith(w) for l in lines), "history line %r in %r" % (w, lines))
    check([l[:16] for l in lines] == sorted([l[:16] for l in lines], reverse=True),
          "history newest first")
    r, j = run_json(["history", "flour"])
    if j is not None:
        check([(h["event"], h["g"], h["flags"]) for h in j["history"]] ==
              [("moved", 1850.0, ["foreign load", "taken away"]),
               ("moved", 6150.0, ["foreign load"])], "history flags json: %r" % j)
    r = run(["history", "--limit", "3"])
    check(len(r.stdout.splitlines()) == 3, "history --limit")
    r = run(["history", "rice"])
    check(r.returncode == 0 and r.stdout and
          all(" rice " in l for l in r.stdout.splitlines()), "history rice")
    r, j = run_json(["history", "coffee", "--limit", "2"])
    if j is not None:
        check(j["history"] == [
            {"t_ms": NOW_MS - 1800000, "item": "coffee", "kind": "order",
             "order_id": "c-7", "from": "queued", "to": "published", "note": "puback"},
            {"t_ms": NOW_MS - 3600000, "item": "coffee", "kind": "order",
             "order_id": "c-7", "from": "planned", "to": "queued",
             "note": j["history"][1]["note"]}], "history json: %r" % j)

    # ---- the daemon is not there ----
    r = run(["order", "rice"])
    check(r.returncode == 3 and "is pantry-agent running?" in r.stderr,
          "no daemon: %d %s" % (r.returncode, r.stderr))
    r, j = run_json(["cancel", "rice"])
    check(r.returncode == 3 and j is not None and j["ok"] is False and
          j["reachable"] is False and j["error"] == "ENOENT", "no daemon json: %r" % j)
    r = run(["calibrate", "rice", "--weight", "500", "--settle-ms", "0"], stdin="\n\n")
    check(r.returncode == 3 and "Step 1" not in r.stderr,
          "calibrate without daemon stops before the steps: " + r.stderr)

    # ---- a fake daemon ----
    class Fake:
        def __init__(self, answers, silent=False):
            self.answers, self.silent, self.seen = answers, silent, []
            self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            self.sock.bind(SOCK)
            self.sock.listen(8)
            self.held = []
            self.thread = threading.Thread(target=self.serve, daemon=True)
            self.thread.start()

        def serve(self):
            while True:
                try:
                    c, _ = self.sock.accept()
                except OSError:
                    return
                if self.silent:
                    self.held.append(c)
                    continue
                line = read_line(c).decode()
                self.seen.append(line)
                ans = self.answers.get(line.rstrip("\n"))
                if ans is None:
                    ans = {"ok": False, "error": "EINVAL",
                           "message": "unexpected request " + line.strip()}
                c.sendall((json.dumps(ans) + "\n").encode())
                c.close()

        def stop(self):
            # Wake the accept() of serve() and wait for it before closing: a
            # thread still inside accept() on a closed descriptor number would
            # take the next fake's connections (the number is reused) and
            # answer them with this fake's answers.
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.thread.join(30)
            self.sock.close()
            for c in self.held:
                c.close()
            os.unlink(SOCK)

    def req(**kw):
        return json.dumps(kw, separators=(",", ":"))

    fake = Fake({
        req(cmd="ping"): {"ok": True, "message": "pantry-agent 0.1.0"},
        req(cmd="order", item="rice"): {"ok": True,
                                        "message": "ordered 1 pack of rice"},
        req(cmd="confirm", item="rice"): {"ok": True, "message": "confirmed r-2"},
        req(cmd="cancel", item="rice"): {"ok": False, "error": "ETIME",
                                         "message": "the cancel window closed"},
        req(cmd="tare", item="rice"): {"ok": True, "message": "zero set"},
        '{"cmd":"span","item":"rice","grams":500.000}':
            {"ok": True, "message": "calibrated: 421.0 counts/g", "extra": 1},
        '{"cmd":"span","item":"rice","grams":0.250}':
            {"ok": False, "error": "ERANGE", "message": "the platform moved"},
        req(cmd="record", seconds=60): {"ok": True, "message": "recording 60 s",
                                        "data": {"path": "/var/lib/x/t.trace"}},
        req(cmd="record", seconds=5): {"ok": False, "error": "EBUSY",
                                       "message": "a recording is already running"},
    })
    try:
        r = run(["ping"])
        check(r.returncode == 0 and r.stdout == "pantry-agent 0.1.0\n", "ping")
        r = run(["order", "rice"])
        check(r.returncode == 0 and r.stdout == "ordered 1 pack of rice\n",
              "order: %d %r %r" % (r.returncode, r.stdout, r.stderr))
        r = run(["confirm", "rice"])
        check(r.returncode == 0 and "confirmed r-2" in r.stdout, "confirm")
        r = run(["cancel", "rice"])
        check(r.returncode == 1 and r.stdout == "" and
              "cancel refused (ETIME): the cancel window closed" in r.stderr,
              "cancel refused: %d %r" % (r.returncode, r.stderr))
        r, j = run_json(["cancel", "rice"])
        check(r.returncode == 1 and j == {"ok": False, "error": "ETIME",
                                          "message": "the cancel window closed",
                                          "command": "cancel", "item": "rice"},
              "cancel json: %r" % j)
        r, j = run_json(["order", "rice"])
        check(r.returncode == 0 and j == {"ok": True, "error": None,
                                          "message": "ordered 1 pack of rice",
                                          "command": "order", "item": "rice"},
              "order json: %r" % j)
        r = run(["tare", "rice"])
        check(r.returncode == 0 and r.stdout == "zero set\n", "tare")
        r = run(["record", "--seconds", "60"])
        check(r.returncode == 0 and r.stdout == "/var/lib/x/t.trace\n" and
              "recording 60 s" in r.stderr, "record: %r %r" % (r.stdout, r.stderr))
        r, j = run_json(["record", "--seconds", "60"])
        check(j is not None and j["path"] == "/var/lib/x/t.trace" and j["ok"] is True,
              "record json")
        r = run(["record", "--seconds", "5"])
        check(r.returncode == 1 and "EBUSY" in r.stderr, "record refused")

        n = len(fake.seen)
        r = run(["calibrate", "rice", "--weight", "500", "--settle-ms", "0"],
                stdin="\n\n")
        check(r.returncode == 0 and r.stdout == "calibrated: 421.0 counts/g\n",
              "calibrate: %d %r %r" % (r.returncode, r.stdout, r.stderr))
        check("Step 1 of 2: empty the platform" in r.stderr and
              "Step 2 of 2: put 500 g on the platform" in r.stderr and
              "zero set" in r.stderr, "calibrate prompts: " + r.stderr)
        check(fake.seen[n:] == [req(cmd="ping") + "\n",
                                req(cmd="tare", item="rice") + "\n",
                                '{"cmd":"span","item":"rice","grams":500.000}\n'],
              "calibrate requests: %r" % fake.seen[n:])
        r, j = run_json(["calibrate", "rice", "--weight", "0.25", "--settle-ms", "0"],
                        stdin="\n\n")
        check("Step 2 of 2: put 0.25 g on the platform" in r.stderr,
              "calibrate prompt in grams: %r" % r.stderr)
        check(r.returncode == 1 and j["ok"] is False and j["weight_g"] == 0.25 and
              j["tare"]["ok"] is True and j["span"]["error"] == "ERANGE",
              "calibrate refused json: %r" % j)
        n = len(fake.seen)
        r = run(["calibrate", "rice", "--weight", "500", "--settle-ms", "0"],
                stdin="\n")
        check(r.returncode == 1 and "abandoned" in r.stderr and
              fake.seen[n:] == [req(cmd="ping") + "\n", req(cmd="tare", item="rice")
                                + "\n"], "calibrate EOF: %r" % r.stderr)
        check(run(["calibrate", "rice", "--weight", "0"]).returncode == 2,
              "calibrate --weight 0")

        if VALGRIND:
            vg = VALGRIND_CMD
            for args, stdin in ((["status", "--json"], ""), (["status"], ""),
                                (["forecast", "rice"], ""),
                                (["forecast", "rice", "--json"], ""),
                                (["history", "--json"], ""), (["history"], ""),
                                (["cancel", "rice"], ""),
                                (["record", "--seconds", "60", "--json"], ""),
                                (["calibrate", "rice", "--weight", "500",
                                  "--settle-ms", "0"], "\n\n")):
                r = subprocess.run(vg + WRAP + [TOOL, "--config", CONF, "--now", NOW_TEXT,
                                         "--timeout-ms", "20000"] + args,
                                   input=stdin, capture_output=True, text=True,
                                   timeout=300, env=ENV)
                check(r.returncode != 99, "valgrind %s: %s" % (args, r.stderr))
    finally:
        fake.stop()

    # a daemon that takes the connection and never answers: exit 3 after the timeout
    fake = Fake({}, silent=True)
    try:
        t = time.monotonic()
        r = run(["order", "rice", "--timeout-ms", "300"])
        check(r.returncode == 3 and "no answer from the daemon within 300 ms" in
              r.stderr and time.monotonic() - t < 10, "silent daemon: " + r.stderr)
    finally:
        fake.stop()

    # ---- status live from the daemon: its answer shown, a bad one not trusted ----
    LIVE_RICE = {"item": "rice", "t_ms": NOW_MS - 1000, "stock_g": 747.5,
                 "uncertainty_g": 1.5, "rate_g_per_day": 40, "sigma_g_per_day": 4,
                 "runout_ms": NOW_MS + 10 * DAY_MS,
                 "runout_early_ms": NOW_MS + 8 * DAY_MS,
                 "runout_late_ms": NOW_MS + 12 * DAY_MS, "lead_s": 86400,
                 "reorder_point_g": 200, "verdict": "not-needed", "fault": False,
                 "learning": None}
    LIVE_COFFEE = {"item": "coffee", "t_ms": NOW_MS - 1000, "stock_g": None,
                   "uncertainty_g": None, "rate_g_per_day": None,
                   "sigma_g_per_day": None, "runout_ms": None, "runout_early_ms": None,
                   "runout_late_ms": None, "lead_s": 259200, "reorder_point_g": None,
                   "verdict": "no-data", "fault": True,
                   "learning": {"uses": 1, "uses_needed": 4, "days": 0,
                                "days_needed": 3}}
    LINK = {"connected": True, "since_ms": NOW_MS - 3600000, "outbox": 2,
            "last_answer": {"status": "shipped", "order": "c-7",
                            "t_ms": NOW_MS - 600000},
            "last_error": None}
    HOME = {"url": "mqtt://homebroker:1883", "connected": False,
            "since_ms": NOW_MS - 120000,
            "last_error": {"message": "lost the connection to mqtt://homebroker:1883: "
                           "gone\n\x1b[2J", "t_ms": NOW_MS - 120000}}

    def status_fake(items, link, home=None):
        data = {"items": items, "link": link}
        if home != "absent":
            data["home"] = home
        return Fake({req(cmd="status"): {"ok": True, "message": "2 items",
                                         "data": data}})
    fake = status_fake([LIVE_RICE, LIVE_COFFEE], LINK, HOME)  # flour: not in it
    try:
        r = run(["status"])
        out = r.stdout
        check(r.returncode == 0 and out.startswith(
            "live from the daemon at %s\n\nlink      connected since %s; 2 messages "
            "in the outbox\n          last answer: shipped for c-7 at %s\n"
            "home      not connected to mqtt://homebroker:1883 since %s\n"
            "          last error: lost the connection to mqtt://homebroker:1883: "
            "gone??[2J at %s\n\nrice  "
            % (utc(NOW_MS), utc(NOW_MS - 3600000), utc(NOW_MS - 600000),
               utc(NOW_MS - 120000), utc(NOW_MS - 120000))),
            "live status, link and home:\n" + out + r.stderr)
        for e in [
            "  stock     748 g ± 1.5 g, 37%% of a 2000 g pack (at %s)" % utc(NOW_MS - 1000),
            "  use       40.0 g/day ± 4.0",
            "  runs out  in 10.0 days, %s (%s .. %s)" % (
                utc(NOW_MS + 10 * DAY_MS), utc(NOW_MS + 8 * DAY_MS),
                utc(NOW_MS + 12 * DAY_MS)),
            "  decision  not-needed; reorder point 200 g, lead time 1.0 days",
            "  stock     not known yet: no settled weight seen\n  sensor    FAULT",
            "  learning: 1 of 4 uses, day 0 of 3; no rate or runout until then\n"
            "  runs out  not foreseen yet\n  decision  no-data; lead time 3.0 days",
            "  order     c-7 published since",
            "flour  Flour  (mode off)\n  not known to the running daemon",
        ]:
            check(e in out, "live status line %r in:\n%s" % (e, out))
        r, j = run_json(["status"])
        if j is not None:
            items = {i["id"]: i for i in j["items"]}
            check(j["source"] == "daemon" and j["daemon_error"] is None and
                  j["link"] == LINK and j["home"] == HOME, "json live: %r" % j)
            v = items["rice"]["view"]
            check(v["stock_g"] == 747.5 and v["days_left"] == 10.0 and
                  v["pack_pct"] == 37.4 and v["learning"] is None and
                  v["reorder_point_g"] == 200, "json live rice: %r" % v)
            v = items["coffee"]["view"]
            check(v["stock_g"] is None and v["pack_pct"] is None and
                  v["rate_g_per_day"] is None and v["fault"] is True and
                  v["learning"] == LIVE_COFFEE["learning"], "json live coffee: %r" % v)
            check(items["flour"]["view"] is None, "json live flour")
    finally:
        fake.stop()
    # No home broker configured (null), and a daemon that does not say (absent).
    for home, line in ((None, "home      not configured\n\n"), ("absent", "\n")):
        fake = status_fake([LIVE_RICE], None, home)
        try:
            r = run(["status"])
            check(r.returncode == 0 and "\nlink      no broker configured: orders "
                  "wait in the outbox\n%srice  " % line in r.stdout and
                  r.stdout.count("home  ") == (home is None),
                  "home %r:\n%s%s" % (home, r.stdout, r.stderr))
            r, j = run_json(["status"])
            check(j is not None and j["source"] == "daemon" and "home" in j and
                  j["home"] is None, "json home %r: %r" % (home, j))
        finally:
            fake.stop()
    # What is not the protocol is not shown: the saved state, saying why.
    for items, link, why in (
            ([dict(LIVE_RICE, stock_g="747")], None, '"stock_g" of item rice'),
            ([dict(LIVE_RICE, learning={"uses": -1})], None,
             '"learning.uses" of item rice'),
            ([LIVE_RICE], dict(LINK, outbox=-5), '"link.outbox"'),
            ([LIVE_RICE], dict(LINK, last_answer={"status": 1}), '"link.last_answer"'),
            ([LIVE_RICE], (LINK, dict(HOME, connected="yes")), '"home.connected"'),
            ([LIVE_RICE], (LINK, dict(HOME, url=None)), '"home.url"'),
            ([LIVE_RICE], (LINK, dict(HOME, since_ms=0)), '"home.since_ms"'),
            ([LIVE_RICE], (LINK, dict(HOME, last_error={"message": "x"})),
             '"home.last_error"'),
            ([LIVE_RICE], (LINK, "up"), '"home"'),
            ({"rice": 1}, None, '"items"')):
        fake = status_fake(items, *(link if isinstance(link, tuple) else (link,)))
        try:
            r = run(["status"])
            check(r.returncode == 0 and r.stdout.startswith("saved at ") and
                  "the daemon's answer is not understood (%s)" % why in
                  r.stdout.splitlines()[0] and "747" not in r.stdout,
                  "bad answer %s: %r %r" % (why, r.stdout[:300], r.stderr))
            r, j = run_json(["status"])
            check(j is not None and j["source"] == "store" and why in j["daemon_error"],
                  "json bad answer %s: %r" % (why, j))
        finally:
            fake.stop()

    # ---- keygen: 0600, never overwritten without --force, public JWK only ----
    key = os.path.join(tmp, "device.key")
    # pubkey before there is a key: says where and what makes one.
    r = run(["pubkey"])
    check(r.returncode == 1 and key in r.stderr and "pantryctl keygen" in r.stderr and
          r.stdout == "", "pubkey without a key: %r" % r.stderr)
    _, j = run_json(["keygen"])
    check(j.get("path") == key and oct(os.stat(key).st_mode & 0o777) == "0o600",
          "keygen made the key 0600: %r" % j)
    jwk = j.get("jwk", {})
    check(jwk.get("kty") == "OKP" and jwk.get("crv") == "Ed25519" and
          len(jwk.get("x", "")) == 43 and set(jwk) == {"kty", "crv", "x"},
          "keygen JWK: %r" % jwk)
    # The kid is the RFC 7638 thumbprint, recomputed here with hashlib.
    canon = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % jwk.get("x", "")
    kid = base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest())
    check(j.get("kid") == kid.decode().rstrip("="), "kid is the thumbprint: %r" % j)
    seed = open(key).read()[8:51]
    before = open(key).read()
    r = run(["keygen"])
    check(r.returncode == 1 and "--force" in r.stderr and open(key).read() == before,
          "keygen does not overwrite: " + r.stderr)
    check(seed not in r.stdout + r.stderr, "no key material printed")
    r = run(["keygen", "--force"])
    check(r.returncode == 0 and open(key).read() != before and seed not in r.stdout,
          "keygen --force replaces: " + r.stdout)
    # pubkey: the new key's published JWK (RFC 7638 members, kid, alg, use),
    # never the seed; a key others may read is refused, with what to do.
    _, p = run_json(["pubkey"])
    seed = open(key).read()[8:51]
    canon = '{"crv":"Ed25519","kty":"OKP","x":"%s"}' % p.get("jwk", {}).get("x", "")
    kid = base64.urlsafe_b64encode(hashlib.sha256(canon.encode()).digest())
    check(p.get("kid") == kid.decode().rstrip("=") and
          p.get("jwk") == {"crv": "Ed25519", "kty": "OKP", "x": p["jwk"]["x"],
                           "kid": p["kid"], "alg": "EdDSA", "use": "sig"} and
          p["jwk"]["x"] != jwk.get("x") and seed not in json.dumps(p),
          "pubkey after --force: %r" % p)
    if VALGRIND:
        for args in (["pubkey"], ["pubkey", "--json"]):
            r = subprocess.run(VALGRIND_CMD + WRAP + [TOOL, "--config", CONF] + args,
                               capture_output=True, text=True, timeout=300, env=ENV)
            check(r.returncode == 0, "valgrind %s: %s" % (args, r.stderr))
    os.chmod(key, 0o644)
    r = run(["pubkey"])
    check(r.returncode == 1 and key in r.stderr and r.stdout == "",
          "pubkey of a key others may read: %r" % r.stderr)
    os.chmod(key, 0o600)

    # ---- failures of the setting ----
    os.rename(STORE, STORE + ".away")
    r = run(["status"])
    check(r.returncode == 1 and STORE in r.stderr, "no store: " + r.stderr)
    os.rename(STORE + ".away", STORE)
    with open(CONF + ".bad", "w") as f:
        f.write('device_id = "x";\nstore_path = 5;\n')
    r = subprocess.run(WRAP + [TOOL, "--config", CONF + ".bad", "status"], capture_output=True,
                       text=True, timeout=60, env=ENV)
    check(r.returncode == 1 and CONF + ".bad:2" in r.stderr, "bad config: " + r.stderr)
    r = subprocess.run(WRAP + [TOOL, "--config", os.path.join(tmp, "none.conf"), "status"],
                       capture_output=True, text=True, timeout=60, env=ENV)
    check(r.returncode == 1 and "none.conf" in r.stderr, "no config: " + r.stderr)
finally:
    shutil.rmtree(tmp)

done()
