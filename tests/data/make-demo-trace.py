#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes tests/data/demo-pantry.events, the household the README demo replays.

A seeded (seed 2026) 45-day household of four items, each with a use pattern one
of the forecasting methods is meant for:

  coffee     1 kg packs, two 14-16 g doses a day (morning, afternoon)      ses
  rice       2 kg packs, 150-320 g every 2-4 days at dinner                sba
  detergent  3 kg packs, one 75 g dose per wash, about 3 washes a week     tsb
  oil        750 ml-ish packs (680 g), use growing from 10 to 25 g/day     holt (damped)

The household refills an item 1-3 days after it drops below 10% of a pack, as
people do without the agent; the trace ends with some items low, so the replay
shows the orders the agent would place. Run: python3 make-demo-trace.py > FILE
"""
import datetime
import random

rng = random.Random(2026)
start = datetime.datetime(2026, 10, 1, tzinfo=datetime.timezone.utc)
days = 45

items = {
    "coffee": dict(pack=1000.0, line='item coffee pack=1000 name="Coffee beans" '
                   'lead=2d service=95 method=ses half-life=14d max-packs=2'),
    "rice": dict(pack=2000.0, line='item rice pack=2000 name="Basmati rice" '
                 'lead=3d service=90 method=sba half-life=21d'),
    "detergent": dict(pack=3000.0, line='item detergent pack=3000 name="Laundry powder" '
                      'lead=3d service=95 method=tsb half-life=21d'),
    "oil": dict(pack=680.0, line='item oil pack=680 name="Olive oil" lead=2d '
                'service=95 method=holt half-life=10d trend-half-life=20d damping=30d'),
}

events = []


def at(day, hour, minute=0, second=0):
    return start + datetime.timedelta(days=day, hours=hour, minutes=minute, seconds=second)


def use(name, t, grams):
    events.append((t, name, "consume", grams))


for d in range(days):
    # coffee: two doses a day
    use("coffee", at(d, 7, rng.randint(0, 50), rng.randint(0, 59)), rng.uniform(14, 16))
    if rng.random() < 0.85:
        use("coffee", at(d, 14, rng.randint(0, 59), rng.randint(0, 59)), rng.uniform(14, 16))
    # oil: growing use, a few pours a day
    target = 10 + 15 * d / days
    for k in range(rng.randint(1, 3)):
        use("oil", at(d, 12 + 6 * k, rng.randint(0, 59), rng.randint(0, 59)),
            max(1.0, rng.gauss(target / 2, target / 6)))

d = 0.5
while d < days:
    use("rice", at(int(d), 19, rng.randint(0, 40), rng.randint(0, 59)), rng.uniform(150, 320))
    d += rng.choice([2, 3, 3, 4])
d = 1
while d < days:
    use("detergent", at(int(d), 10, rng.randint(0, 59), rng.randint(0, 59)), rng.gauss(75, 4))
    d += rng.choice([1, 2, 2, 3, 3])

events.sort()

# The household's own refills: a new pack 1-3 days after dropping below 10%.
stock = {n: items[n]["pack"] for n in items}
pending = {}
out = []
for t, name, kind, grams in events:
    for n, due in list(pending.items()):
        if due <= t:
            out.append((due, n, "refill", items[n]["pack"]))
            stock[n] += items[n]["pack"]
            del pending[n]
    grams = min(grams, stock[name])
    if grams <= 0:
        continue
    stock[name] -= grams
    out.append((t, name, "consume", grams))
    if stock[name] < 0.1 * items[name]["pack"] and name not in pending:
        pending[name] = t + datetime.timedelta(hours=rng.randint(24, 72))

print("# pantry-events v1")
print("# Demo household, 45 days from 2026-10-01, written by make-demo-trace.py (seed 2026).")
for n in items:
    print(items[n]["line"])
first = start - datetime.timedelta(hours=1)
for n in items:
    print(f"{first:%Y-%m-%dT%H:%M:%SZ} {n} stock {items[n]['pack']:.0f}")
for t, name, kind, grams in sorted(out):
    print(f"{t:%Y-%m-%dT%H:%M:%SZ} {name} {kind} {grams:.1f}")
