#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-forecast on the demo household: every item is reported as valid JSON,
and the learnt rates match the generator's documented use (make-demo-trace.py),
computed here from that description, not from the program under test.

Usage: check-demo-trace.py PANTRY_FORECAST TRACE
"""
import json
import subprocess
import sys

exe, trace = sys.argv[1], sys.argv[2]
out = subprocess.run([exe, "--json", trace], capture_output=True, text=True, check=True)
items = {o["item"]: o for o in map(json.loads, out.stdout.splitlines())}
fails = 0


def check(cond, msg):
    global fails
    print(("ok " if cond else "not ok ") + msg)
    fails += not cond


check(sorted(items) == ["coffee", "detergent", "oil", "rice"], "four items reported")
# Documented use: coffee 15 g + 85% x 15 g a day; rice 235 g every 3 days on average;
# detergent 75 g every 2.2 days; oil growing to 25 g/day at the end.
expect = {"coffee": 15 + 0.85 * 15, "rice": 235 / 3.0, "detergent": 75 / 2.2, "oil": 25.0}
for name, rate in expect.items():
    got = items[name]["rate_g_per_day"]
    check(abs(got - rate) <= 0.25 * rate, f"{name}: rate {got:.1f} g/day near {rate:.1f}")
    o = items[name]
    check(o["runout_early"] <= o["runout"] <= o["runout_late"], f"{name}: interval ordered")
check(sum(o["orders"] for o in items.values()) >= 1, "at least one order placed")

# A bad trace is refused with file and line, and exit status 1.
bad = subprocess.run([exe, "/dev/null"], capture_output=True, text=True)
check(bad.returncode == 1 and "empty file" in bad.stderr, "empty trace refused")
usage = subprocess.run([exe], capture_output=True, text=True)
check(usage.returncode == 2 and "Usage:" in usage.stderr, "no argument: usage, status 2")
helpt = subprocess.run([exe, "--help"], capture_output=True, text=True)
check(helpt.returncode == 0 and "--json" in helpt.stdout, "--help lists --json")
sys.exit(1 if fails else 0)
