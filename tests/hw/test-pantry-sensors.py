#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-sensors against a fake IIO sysfs tree: probe, read, record and the
guided calibration, driven through its stdin like a person would. Expected
numbers are worked out here from the values written to the fake files (the
hx711 driver reports offset binary: 8388608 is zero)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import VALGRIND_CMD, check, done, failures, put, valgrind_wanted, wait_for  # noqa

TOOL = sys.argv[1]
# Plain builds also run a few commands under valgrind (meson's valgrind setup
# would wrap python, not the tool); sanitizer builds cannot run under it.
VALGRIND = len(sys.argv) > 2 and valgrind_wanted(sys.argv[2])
ZERO = 8388608




def run(args, **kw):
    return subprocess.run([TOOL] + args, capture_output=True, text=True, timeout=60, **kw)


with tempfile.TemporaryDirectory() as root:
    dev = os.path.join(root, "iio:device0")
    os.mkdir(dev)
    put(os.path.join(dev, "name"), "hx711\n")
    put(os.path.join(dev, "label"), "shelf-left\n")
    raw0 = os.path.join(dev, "in_voltage0_raw")
    put(raw0, "%d\n" % (ZERO + 1000))
    put(os.path.join(dev, "in_voltage1_raw"), "%d\n" % (ZERO - 5))
    put(os.path.join(dev, "in_voltage_scale"), "0.000298\n")
    other = os.path.join(root, "iio:device1")
    os.mkdir(other)
    put(os.path.join(other, "name"), "bme280\n")
    base = ["--sysfs-root", root]

    # --help tells the truth about the commands; bad usage exits 2.
    r = run(["--help"])
    check(r.returncode == 0 and all(c in r.stdout for c in
          ("probe", "read", "record", "calibrate", "--iio", "--hx711", "--weight")),
          "help lists commands and options")
    check(run([]).returncode == 2, "no command: exit 2")
    check(run(["frobnicate"]).returncode == 2, "unknown command: exit 2")
    r = run(["read", "--period-ms", "5", "--iio", "shelf-left"] + base)
    check(r.returncode == 2 and "10..60000" in r.stderr, "period range: " + r.stderr)
    r = run(["read", "--hx711", "5:5", "--count", "1"])
    check(r.returncode == 2 and "two different lines" in r.stderr, "hx711 lines")
    r = run(["read", "--count", "1"] + base)
    check(r.returncode == 1 and "--iio DEVICE" in r.stderr, "no source named")

    # probe: both devices, names, label, and readings in counts, the space of
    # read and calibration.zero (issue 12: it printed the driver's offset
    # binary, 8389608 where read said 1000), labelled as such.
    r = run(["probe"] + base)
    check(r.returncode == 0, "probe exit")
    check("iio:device0  name=hx711  label=shelf-left" in r.stdout, "probe: " + r.stdout)
    check("in_voltage0_raw: 1000 counts\n" in r.stdout, "probe counts0: " + r.stdout)
    check("in_voltage1_raw: -5 counts\n" in r.stdout, "probe counts1: " + r.stdout)
    check(str(ZERO + 1000) not in r.stdout, "probe: no offset binary: " + r.stdout)
    check("counts: signed ADC counts" in r.stdout and "calibration.zero" in r.stdout,
          "probe says what counts are: " + r.stdout)
    check("iio:device1  name=bme280" in r.stdout, "probe other device")
    j = json.loads(run(["probe", "--json"] + base).stdout)
    check(j[0]["label"] == "shelf-left" and j[0]["inputs"][0] == {"input": 0,
          "counts": 1000} and j[0]["inputs"][1] == {"input": 1, "counts": -5},
          "probe json: %r" % j)
    put(os.path.join(dev, "in_voltage1_raw"), "16777215\n")
    j = json.loads(run(["probe", "--json"] + base).stdout)
    check(j[0]["inputs"][1] == {"input": 1, "status": "saturated"},
          "probe json, the rail code: %r" % j)
    put(os.path.join(dev, "in_voltage1_raw"), "%d\n" % (ZERO - 5))
    h = run(["--help"]).stdout
    check("signed ADC counts" in h and "8388608" in h, "help says what counts are")
    r = run(["probe", "--sysfs-root", os.path.join(root, "nope")])
    check(r.returncode == 1 and "hx711 overlay" in r.stderr, "probe missing root")

    # read: two inputs, signed counts, grams with a calibration
    # (1000 counts zero, 420000 counts per 1000 g: 1000 counts -> 0 g, -5 -> -2.392 g).
    r = run(["read", "--iio", "shelf-left", "--input", "0", "--input", "1",
             "--period-ms", "10", "--count", "3", "--cal", "-5:420000:1000"] + base)
    check(r.returncode == 0, "read exit: " + r.stderr)
    lines = r.stdout.splitlines()
    check(len(lines) == 6, "read: 3 rounds of 2 channels, got %d" % len(lines))
    check(all(re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\.\d{3} ch[01] ", l)
              for l in lines), "read line format")
    check(any(re.search(r"ch0 +1000 counts  2\.392 g$", l) for l in lines),
          "read ch0 grams, the counts probe printed: %r" % lines[:2])
    check(any(re.search(r"ch1 +-5 counts  0\.000 g$", l) for l in lines), "read ch1")
    put(os.path.join(dev, "in_voltage1_raw"), "junk\n")
    r = run(["read", "--iio", "shelf-left", "--input", "1", "--period-ms", "10",
             "--count", "1"] + base)
    check(r.stdout.rstrip().endswith("ch0 invalid"), "read fault: " + r.stdout)

    # calibrate: a person presses Enter twice; between the steps the "weight" is
    # put on (500 g = 210000 counts more).
    def calibrate(weight, tare_raw, known_raw, jitter=0, extra=()):
        put(raw0, "%d\n" % tare_raw)
        p = subprocess.Popen([TOOL, "calibrate", "--iio", "shelf-left", "--period-ms",
                              "10", "--samples", "20", "--weight", weight] +
                             list(extra) + base, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        stop = threading.Event()

        def shake(value):
            flip = 0
            while not stop.is_set():
                put(raw0, "%d\n" % (value + flip))
                flip = jitter - flip
                time.sleep(0.003)
        p.stdin.write("\n")
        p.stdin.flush()
        # Step 1 has read its 20 samples when it says so; only then the weight.
        said = ""
        while "readings" not in said:
            line = p.stderr.readline()
            if not line:
                break
            said += line
        put(raw0, "%d\n" % known_raw)
        t = None
        if jitter:
            t = threading.Thread(target=shake, args=(known_raw,))
            t.start()
        p.stdin.write("\n")
        p.stdin.close()
        p.wait(timeout=30)
        out, err = p.stdout.read(), said + p.stderr.read()
        stop.set()
        if t:
            t.join()
        return p.returncode, out, err

    rc, out, err = calibrate("500", ZERO + 1000, ZERO + 211000)
    check(rc == 0, "calibrate exit: " + err)
    check("calibration = { zero = 1000; span_raw = 210000; span = 500.000; };" in out,
          "calibrate result: " + out)
    check("# noise while still: 0 mg" in out, "calibrate noise: " + out)
    check("Step 1 of 2" in err and "Step 2 of 2" in err and "500.000 g" in err,
          "calibrate prompts: " + err)
    rc, out, err = calibrate("499.5", ZERO - 300, ZERO - 300 - 200000, extra=["--json"])
    check(rc == 0 and json.loads(out) == {"zero": -300, "span_raw": -200000,
                                          "span_mg": 499500, "spread_mg": 0},
          "calibrate inverted json: " + out + err)
    # Readings jumping by 5000 counts (about 11.9 g) while "still": refused.
    rc, out, err = calibrate("500", ZERO + 1000, ZERO + 211000, jitter=5000)
    check(rc == 1 and "something moved" in err and out == "",
          "calibrate shaking: rc=%d %s" % (rc, err))
    rc, out, err = calibrate("500", ZERO + 1000, ZERO + 1050)
    check(rc == 1 and "by only 50 counts" in err, "calibrate no span: " + err)
    p = subprocess.run([TOOL, "calibrate", "--iio", "shelf-left", "--weight", "500"]
                       + base, input="", capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "abandoned" in p.stderr, "calibrate EOF")
    check(run(["calibrate", "--iio", "shelf-left"] + base).returncode == 2,
          "calibrate without --weight")

    # record: a valid v1 trace, readings of both inputs, never overwritten.
    put(raw0, "%d\n" % (ZERO + 1234))
    put(os.path.join(dev, "in_voltage1_raw"), "%d\n" % ZERO)
    out = os.path.join(root, "shelf.trace")
    r = run(["record", "--iio", "shelf-left", "--input", "0", "--input", "1",
             "--period-ms", "20", "--seconds", "1", "--output", out,
             "--note", "bug 42: flour jumps"] + base)
    check(r.returncode == 0, "record exit: " + r.stderr)
    text = open(out).read().splitlines()
    check(text[0] == "# pantry-samples v1", "record header")
    check(text[1:3] == ["channel 0 cell0", "channel 1 cell1"], "record channels")
    check(any(l.endswith(" bug 42: flour jumps") and l.startswith("a ") for l in text),
          "record note")
    s0 = [l for l in text if re.match(r"^s \d+ 0 ok 1234$", l)]
    s1 = [l for l in text if re.match(r"^s \d+ 1 ok 0$", l)]
    # At most 51 rounds in 1 s at 20 ms (no busy loop); fewer on a loaded machine.
    check(5 <= len(s0) <= 51 and len(s1) == len(s0),
          "record: up to 51 rounds in 1 s at 20 ms: %d/%d" % (len(s0), len(s1)))
    times = [int(l.split()[1]) for l in text if l.startswith(("s ", "e ", "a "))]
    check(times == sorted(times), "record time order")
    r = run(["record", "--iio", "shelf-left", "--seconds", "1", "--output", out] + base)
    check(r.returncode == 1 and "not overwritten" in r.stderr, "record no overwrite")

    if VALGRIND:
        vg = VALGRIND_CMD
        for args in (["probe", "--json"], ["read", "--iio", "shelf-left", "--count",
                     "2", "--period-ms", "10"], ["record", "--iio", "shelf-left",
                     "--seconds", "1", "--output", out + ".vg"],
                     ["calibrate", "--iio", "shelf-left", "--weight", "1"]):
            r = subprocess.run(vg + [TOOL] + args + base, input="", capture_output=True,
                               text=True, timeout=120)
            check(r.returncode != 99, "valgrind %s: %s" % (args[0], r.stderr))

done()
