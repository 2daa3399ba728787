#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Every #include "..." of the product's C goes downward, as the folders'
READMEs say (agent/README.md has the picture). A room is a folder of the tree
(agent/ itself holds only logging, the ground floor of the agent's rooms). A
file may include its own room and the rooms that ROOMS lists for it; anything
else, an include upward or sideways, is named with its file and line.

Usage: check-layers.py SOURCE_ROOT
"""
import os
import re
import sys

# room -> the rooms it may include besides itself. Keep in step with the
# READMEs of agent/ and of its folders, and with retailer/README.md.
BASE = ["models", "sensors"]
ROOMS = {
    "models": [],
    "sensors": ["models"],
    "agent/msg": BASE,
    "agent/db": BASE,
    "agent": BASE + ["agent/msg"],
    "agent/config": BASE + ["agent/msg", "agent"],
    "agent/control": BASE + ["agent/msg", "agent"],
    "agent/store": BASE + ["agent/msg", "agent/db", "agent"],
    "agent/pipeline": BASE + ["agent/msg", "agent", "agent/config", "agent/control",
                              "agent/store"],
    "agent/sim": BASE + ["agent/msg", "agent", "agent/config", "agent/control",
                         "agent/store", "agent/pipeline"],
    "agent/link": BASE + ["agent/msg", "agent", "agent/config", "agent/control",
                          "agent/store", "agent/pipeline"],
    "agent/daemon": BASE + ["agent/msg", "agent/db", "agent", "agent/config",
                            "agent/control", "agent/store", "agent/pipeline",
                            "agent/sim", "agent/link"],
    "agent/cli": BASE + ["agent/msg", "agent", "agent/config", "agent/control",
                         "agent/store", "agent/pipeline", "agent/sim"],
    "retailer": BASE + ["agent/msg", "agent/db"],
}
INCLUDE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


def room(path):
    """The room of a path from the root: its folder, sensors/ and models/ whole."""
    top = path.split("/")[0]
    if top in ("models", "sensors", "retailer"):
        return top
    parts = path.split("/")
    if top == "agent":
        return "agent/" + parts[1] if len(parts) > 2 else "agent"
    return None


def main():
    root = sys.argv[1]
    bad = n = 0
    unknown = set()
    for top in ("models", "sensors", "agent", "retailer"):
        for d, _, names in os.walk(os.path.join(root, top)):
            for name in sorted(names):
                if not name.endswith((".c", ".h")):
                    continue
                path = os.path.relpath(os.path.join(d, name), root)
                mine = room(path)
                if mine not in ROOMS:
                    unknown.add(mine)
                    continue
                text = open(os.path.join(root, path), encoding="utf-8").read()
                for m in INCLUDE.finditer(text):
                    n += 1
                    theirs = room(m.group(1))
                    if theirs == mine or theirs in ROOMS[mine]:
                        continue
                    line = text.count("\n", 0, m.start()) + 1
                    print(f"FAIL: {path}:{line}: includes \"{m.group(1)}\": "
                          f"{mine}/ may include only {', '.join(ROOMS[mine]) or 'itself'}")
                    bad += 1
    for u in sorted(unknown):
        print(f"FAIL: {u}/ is a folder no rule names: add it to ROOMS and say in "
              f"its README what it may include")
        bad += 1
    print(f"{n} includes checked, {bad} against the layers")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
