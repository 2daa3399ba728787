#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""test-situations drives the pipeline as pantry-agent --replay does; this
checks that it still does. For a few situations: make-situation writes the
files, the real daemon replays them, and the consumes and refills in its store
must be those test-situations saw, event for event (same item, time, grams).

Usage: test-replay.py PANTRY_AGENT MAKE_SITUATION TEST_SITUATIONS
"""
import os
import sqlite3
import subprocess
import sys
import tempfile

RUNS = [("park", 1013), ("stuck", 1013), ("cat", 1014), ("gap", 1011)]


def main():
    agent, make, situations = sys.argv[1:4]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for kind, seed in RUNS:
            d = os.path.join(tmp, "%s-%d" % (kind, seed))
            os.mkdir(d)
            subprocess.run([make, "--kind", kind, "--seed", str(seed), "--dir", d],
                           check=True)
            subprocess.run([agent, "--config", d + "/pantry-agent.conf", "--replay",
                            d + "/situation.trace"], check=True, capture_output=True)
            db = sqlite3.connect(d + "/pantry.db")
            daemon = sorted(
                "%s %s %d %d" % row for row in db.execute(
                    "SELECT item, kind, t_ms, mg FROM events "
                    "WHERE kind IN ('consume', 'refill')"))
            db.close()
            out = d + "/events.txt"
            env = dict(os.environ, TEST_SEED=str(seed), SITU_EVENTS=out)
            subprocess.run([situations, "1", kind], env=env, capture_output=True)
            with open(out) as f:
                scorer = sorted(line.strip() for line in f if line.strip())
            same = daemon == scorer
            print("%s %s seed %d: %d events from the daemon, %d in test-situations" %
                  ("ok" if same else "not ok", kind, seed, len(daemon), len(scorer)))
            if not same:
                failed += 1
                for line in sorted(set(daemon) ^ set(scorer))[:10]:
                    print("#   %s %s" % ("daemon" if line in daemon else "scorer", line))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
