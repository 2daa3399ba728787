#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""What the home broker (issue 15) costs a replay, and how many states it
publishes: a simulated household (one item, 40 g three times a day for N
days) replayed by pantry-agent --household, REPS times without and with
`home = { ... }` on a private mosquitto; the wall time of each run from start
to "replay finished" (the connect excluded: it is logged), and the states the
broker got. Writes the results file given.

usage: bench-home.py AGENT OUT.md [DAYS] [REPS]
"""
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker  # noqa: E402
from mqttlib import Capture, Shelf  # noqa: E402

AGENT, OUT = sys.argv[1:3]
DAYS = int(sys.argv[3]) if len(sys.argv) > 3 else 30
REPS = int(sys.argv[4]) if len(sys.argv) > 4 else 5


def run(d, home, tag):
    shelf = Shelf(d, AGENT, None, n=1, mode="auto")
    if home is not None:
        with open(shelf.conf, "a") as f:
            f.write('home = { url = "%s"; prefix = "%s"; };\n' % (home.url, tag))
    demand = os.path.join(d, "item0.demand")
    with open(demand, "w") as f:
        f.writelines("%d,40\n" % (6 * 3600 + day * 86400 + k * 5 * 3600)
                     for day in range(DAYS) for k in range(3))
    t0 = time.monotonic()
    p = subprocess.Popen([AGENT, "--config", shelf.conf, "--household",
                          "item0=" + demand, "--household-days", str(DAYS),
                          "--foreground"], stderr=subprocess.PIPE, text=True)
    start, end = t0, None
    for line in p.stderr:
        if "home: connected" in line:
            start = time.monotonic()
        if "replay finished" in line:
            end = time.monotonic()
    if p.wait() != 0 or end is None:
        sys.exit("bench-home: the replay failed")
    return end - start


with tempfile.TemporaryDirectory() as d:
    home = Broker(os.path.join(d, "home")).start()
    cap = Capture(home, topic="#")
    off, on = [], []
    for i in range(REPS):
        off.append(run(os.path.join(d, "off%d" % i), None, ""))
        on.append(run(os.path.join(d, "on%d" % i), home, "b%d" % i))
    time.sleep(1)
    cap.stop()
    states = [sum(1 for m in cap.msgs if m[1] == "b%d/kitchen-pi/item0/state" % i)
              for i in range(REPS)]
    home.stop()

load = os.getloadavg()[0]
with open(OUT, "w") as f:
    f.write("# The home broker: what it costs a replay\n\n")
    f.write("`tests/mqtt/bench-home.py` (`meson compile -C BUILD bench-home`), %s, %s, "
            "%d CPUs, load average %.1f at the end. Regenerate with the command; "
            "nothing here is written by hand.\n\n"
            % (time.strftime("%Y-%m-%d"), platform.machine(), os.cpu_count(), load))
    f.write("A household of one item (40 g three times a day) for %d days, replayed "
            "by `pantry-agent --household`, %d times each; wall time from the start "
            "(with the home broker: from its connect) to \"replay finished\".\n\n"
            % (DAYS, REPS))
    f.write("| | median | min | max |\n|---|---|---|---|\n")
    for name, v in (("no home broker", off), ("home broker", on)):
        f.write("| %s | %.3f s | %.3f s | %.3f s |\n"
                % (name, statistics.median(v), min(v), max(v)))
    f.write("\nStates published per replay (each differs from the one before): %s, "
            "that is %.1f a day.\n" % (", ".join(map(str, states)),
                                        statistics.median(states) / DAYS))
print(open(OUT).read())
