#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantryctl wishes against tests/config/good/full.conf, read with TZ=UTC:
the human lines and the --json object say each item's ranked products (the
item's own code preferred, then its substitutes; none: the retailer chooses),
pack bounds, price ceiling, delivery place, windows (an item's own replacing
the household's) and earliest, and the household's away periods in UTC; an
unknown item is a usage error (exit 2). Expected values are the file's, read
by hand.

usage: test-pantryctl-wishes.py PANTRYCTL SOURCE_ROOT
"""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done  # noqa: E402

PANTRYCTL, ROOT = sys.argv[1], sys.argv[2]
CONF = os.path.join(ROOT, "tests", "config", "good", "full.conf")
ENV = dict(os.environ, TZ="UTC")


def run(*args):
    return subprocess.run([PANTRYCTL, "--config", CONF] + list(args),
                          capture_output=True, text=True, timeout=60, env=ENV)


r = run("--json", "wishes")
check(r.returncode == 0, "wishes --json: " + r.stderr)
j = json.loads(r.stdout)
check(j["away"] == [{"from": "2026-12-20T00:00:00Z", "until": "2027-01-03T18:00:00Z"},
                    {"from": "2027-02-01T09:00:00Z", "until": "2027-02-01T10:00:00Z"}],
      "away periods in UTC: %s" % j["away"])
items = {i["id"]: i for i in j["items"]}
c = items.get("coffee_beans", {})
check(c.get("products") == [{"sku": "ABC-1/2", "gtin": "96385074"},
                            {"sku": "ABC-3", "gtin": ""},
                            {"sku": "X", "gtin": "4006381333931"}] and
      c.get("retailer_chooses") is False, "coffee's ranked products: %s" % c)
check(c.get("packs_min") == 2 and c.get("packs_max") == 3 and
      c.get("price_max") == 0.35 and c.get("currency") == "CHF", "bounds: %s" % c)
check(c.get("delivery") == {"place": "office", "windows": ["tue,thu 10:00-11:00"],
                            "earliest_s": 3 * 86400}, "coffee's delivery: %s" % c)
rice = items.get("rice", {})
check(rice.get("products") == [] and rice.get("retailer_chooses") is True and
      rice.get("price_max") is None, "rice names no product: %s" % rice)
check(rice.get("delivery", {}).get("windows") == [
    "mon-fri 07:00-09:00", "mon,fri-sun 18:30-24:00", "daily 12:00-13:00"] and
    rice["delivery"]["place"] == "parcel-locker", "the household's delivery: %s" % rice)

r = run("wishes", "coffee_beans")
check(r.returncode == 0 and r.stdout.startswith("coffee_beans\n") and
      "ABC-1/2 / 96385074 (preferred), then ABC-3, X / 4006381333931" in r.stdout and
      "packs: 2 to 3, at most 0.35 CHF a pack" in r.stdout and
      "delivery: office, tue,thu 10:00-11:00 (local time)" in r.stdout and
      "\nrice" not in r.stdout and
      "away: 2026-12-20T00:00:00Z until 2027-01-03T18:00:00Z" in r.stdout,
      "human lines: " + r.stdout)
r = run("wishes", "bread")
check(r.returncode == 2 and "bread" in r.stderr, "an unknown item: %d %s"
      % (r.returncode, r.stderr))
done()
