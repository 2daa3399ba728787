#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The demo's household (tests/demo.sh): what it wants of four items over DAYS
days, as the demand files pantry-agent --household reads ('seconds,grams'
lines from the start), and the configuration of the shelf that weighs them
(each item on its own load cell, with the calibration an HX711 board would have
been given). Seeded: the same seed writes the same files.

  rice    weekday dinners of 60-100 g, weekend cooking of 150-350 g; 1 kg packs
  coffee  2-4 cups a day of 7-11 g; 500 g packs
  flour   baking twice a week, 200-400 g; 1 kg packs
  sugar   1-3 spoons a day of 5-15 g; 1 kg packs

usage: demo-household.py DIR DAYS SEED
"""
import os
import random
import sys

DAY = 86400
# id: pack g, container g, calibration zero (counts at 0 g), counts per kg
ITEMS = {
    "rice": (1000, 250, 205443, 206326),
    "coffee": (500, 300, 287499, 211430),
    "flour": (1000, 400, -101828, 416888),
    "sugar": (1000, 250, 137077, 351461),
}


def demand(days, rnd):
    uses = {k: [] for k in ITEMS}
    for d in range(days):
        t0 = d * DAY
        weekend = d % 7 >= 5
        uses["rice"].append((t0 + 66600 + rnd.randrange(3600),
                             rnd.uniform(150, 350) if weekend else rnd.uniform(60, 100)))
        for c in range(rnd.randint(2, 4)):
            uses["coffee"].append((t0 + 25200 + c * 14400 + rnd.randrange(1800),
                                   rnd.uniform(7, 11)))
        if d % 7 in (2, 5):
            uses["flour"].append((t0 + 54000 + rnd.randrange(7200), rnd.uniform(200, 400)))
        for c in range(rnd.randint(1, 3)):
            uses["sugar"].append((t0 + 28800 + c * 18000 + rnd.randrange(3600),
                                  rnd.uniform(5, 15)))
    return uses


def config(d):
    chans = ",\n".join('  {{ name = "{0}"; index = {1}; iio = {{ device = "shelf-{0}"; }}; }}'
                       .format(k, i) for i, k in enumerate(ITEMS))
    items = ",\n".join(
        '  {{ id = "{0}"; channel = "{0}"; pack = {1}; container = {2}; mode = "auto";\n'
        '    price = 2.49; calibration = {{ zero = {3}; span_raw = {4}; span = 1000; }}; }}'
        .format(k, *v) for k, v in ITEMS.items())
    return ("# The demo's shelf (tests/demo-household.py): the shipped defaults, but\n"
            "# for mode = \"auto\" (orders go out without a button press).\n"
            'device_id = "demo-pi";\nstore_path = "{d}/pantry.db";\n'
            'key_path = "{d}/device.key";\ncontrol_socket = "{d}/control.sock";\n'
            "channels = (\n{c}\n);\nitems = (\n{i}\n);\n").format(d=d, c=chans, i=items)


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__.strip().splitlines()[-1])
    d, days, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rnd = random.Random(seed)
    for k, us in demand(days, rnd).items():
        with open(os.path.join(d, k + ".demand"), "w") as f:
            f.write("# %s: seconds from the start, grams (seed %d)\n" % (k, seed))
            f.writelines("%d,%.1f\n" % (t, g) for t, g in sorted(us))
    with open(os.path.join(d, "pantry-agent.conf"), "w") as f:
        f.write(config(d))


if __name__ == "__main__":
    main()
