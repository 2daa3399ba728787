#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The closed-loop demo's engine: pantry-agent --household over a real
mosquitto, with pantry-retailer listen shipping every order 2 to 3 days after
its issue time (--eta-from-order, --ship-eta-max), on the replay's virtual
clock:

- every order the agent queued was verified and accepted by the retailer and
  shipped with an ETA 2 to 3 days after it was placed;
- every order whose ETA came before the end arrived then: a refill of its packs
  at most 10 minutes after the ETA (lift, pour, settle), and the order
  fulfilled by it; an order due after the end is still on its way;
- the household and shelf are the demo's (tests/demo-household.py, another
  seed): what the agent recorded agrees with an independent ledger written here from
  the demand file and those deliveries (the household takes what it wants while
  there is any): the grams consumed within 2 %, the stock at the end within
  25 g;
- the lead pantryctl status shows is learnt from every delivery, between the
  prior (2 days) and what they took;
- a second run into the same store is refused, and so are bad arguments, each
  with a message that names what is wrong, before a key or a store is made.

usage: test-household.py AGENT PANTRYCTL RETAILER
"""
import importlib.util
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker  # noqa: E402
from checks import check, done, need  # noqa: E402
need("mosquitto", programs=["mosquitto"])
from mqttlib import Retailer  # noqa: E402

AGENT, PANTRYCTL, RETAILER = sys.argv[1:4]
DAY = 86400
DAYS = 40
START = "2026-09-01T00:00:00Z"
START_S = 1788220800  # START as Unix seconds
# The demo's household and shelf (tests/demo-household.py), another seed.
_spec = importlib.util.spec_from_file_location(
    "demo_household", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                   "demo-household.py"))
demo = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo)
ITEMS = demo.ITEMS  # id: (pack g, container g, calibration zero, counts per kg)


def read_demand(path):
    with open(path) as f:
        return [(int(t), float(g)) for t, g in
                (line.split(",") for line in f if line[0].isdigit())]


def run_agent(conf, args):
    return subprocess.run([AGENT, "--config", conf, "--foreground"] + args,
                          capture_output=True, text=True, timeout=600)


def ledger(uses, deliveries, pack):
    """What the household got, and what is left at the end: a pack at the
    start, each delivery poured at its time, each use taking what is there."""
    events = [(t, 1, g) for t, g in deliveries] + [(START_S + t, 0, g) for t, g in uses]
    contents, got = float(pack), 0.0
    for _, kind, g in sorted(events):
        if kind:
            contents += g
        else:
            take = min(g, contents)
            contents -= take
            got += take
    return got, contents


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    rkey, rjwk = os.path.join(d, "retailer.key"), os.path.join(d, "retailer.jwk")
    subprocess.run([RETAILER, "keygen", "--key", rkey], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(rjwk, "w") as f:
        f.write(subprocess.run([RETAILER, "jwk", "--key", rkey], capture_output=True,
                               text=True, check=True).stdout)
    shelf = os.path.join(d, "shelf")
    os.makedirs(shelf)
    subprocess.run([sys.executable, demo.__file__, shelf, str(DAYS), "7"], check=True)
    conf = os.path.join(shelf, "pantry-agent.conf")
    with open(conf, "a") as f:
        f.write('broker = { url = "%s"; retailer_key = "%s"; resend = "2s"; };\n' %
                (broker.url, rjwk))
    uses, args = {}, []
    for k in ITEMS:
        path = os.path.join(shelf, k + ".demand")
        uses[k] = read_demand(path)
        args += ["--household", "%s=%s" % (k, path)]
    args += ["--household-start", START, "--household-days", str(DAYS)]

    # Bad arguments: refused before a key or a store is made.
    rice = os.path.join(shelf, "rice.demand")
    bad = [(["--household", "oats=" + rice], 1, "oats=%s: no such item" % rice),
           (["--household", rice], 1, "say which item"),
           (["--household", "rice=" + os.path.join(d, "none.demand")], 1,
            "none.demand: No such file"),
           (args + ["--household-start", "yesterday"], 2, "--household-start"),
           (args[:2] + ["--household-days", "0"], 2, "--household-days"),
           (["--household-days", "3"], 2, "need --household"),
           (args[:2] + ["--replay", "x.trace"], 2, "one or the other")]
    badfile = os.path.join(d, "bad.demand")
    with open(badfile, "w") as f:
        f.write("100,5\n50,5\n")
    bad.append((["--household", "rice=" + badfile], 1,
                "bad.demand:2: seconds: expected 100 or later"))
    for extra, rc, msg in bad:
        r = run_agent(conf, extra)
        check(r.returncode == rc and msg in r.stderr,
              "%s: exit %d (want %d), says %r:\n%s" % (extra, r.returncode, rc, msg,
                                                       r.stderr[-400:]))
    check(not os.path.exists(os.path.join(shelf, "pantry.db")) and
          not os.path.exists(os.path.join(shelf, "device.key")),
          "no store and no key made by refused arguments")

    key = subprocess.run([PANTRYCTL, "--config", conf, "--json", "keygen"],
                         capture_output=True, text=True, check=True)
    trust = os.path.join(d, "trust")
    os.makedirs(trust)
    with open(os.path.join(trust, "demo-pi.jwk"), "w") as f:
        f.write(json.dumps(json.loads(key.stdout)["jwk"]))
    shop = Retailer(d, RETAILER, broker, trust,
                    ["--key", rkey, "--retailer-id", "shop", "--ship-eta", "2d",
                     "--ship-eta-max", "3d", "--eta-from-order", "--max-age", "400d"]).start()
    r = run_agent(conf, args + ["--linger", "10"])
    check(r.returncode == 0, "the household run: exit %d\n%s" % (r.returncode, r.stderr[-2000:]))
    shop.stop()
    end_ms = (START_S + DAYS * DAY) * 1000

    con = sqlite3.connect("file:%s?mode=ro" % os.path.join(shelf, "pantry.db"), uri=True)
    orders = con.execute("SELECT order_id, item, state, packs, created_ms, eta_ms FROM "
                         "orders ORDER BY created_ms").fetchall()
    accepted = {x["order_id"] for x in shop.accepted("reorder")}
    # Sugar (a pack in 50 days) needs none in 40 days; the other three do.
    check(len(orders) >= 5 and {o[1] for o in orders} == {"rice", "coffee", "flour"},
          "orders of rice, coffee and flour: %r" % (orders,))
    deliveries = {k: [] for k in ITEMS}
    for oid, item, state, packs, created, eta in orders:
        check(oid in accepted, "%s verified and accepted by the retailer" % oid)
        check(eta is not None and 2 * DAY * 1000 <= eta - created <= 3 * DAY * 1000,
              "%s shipped for 2 to 3 days after it was placed: %r" % (oid, eta))
        if eta is None:
            continue
        grams = packs * ITEMS[item][0]
        if eta + 600000 > end_ms:
            check(state == "acknowledged", "%s, due after the end, is on its way: %s" %
                  (oid, state))
            continue
        ful = con.execute("SELECT t_ms FROM order_transitions WHERE order_id = ? AND "
                          "to_state = 'fulfilled'", (oid,)).fetchone()
        check(state == "fulfilled" and ful is not None and eta <= ful[0] <= eta + 600000,
              "%s fulfilled within 10 min after its ETA: %s %r (eta %d)" %
              (oid, state, ful, eta))
        refill = con.execute("SELECT t_ms, mg FROM events WHERE item = ? AND kind = "
                             "'refill' AND t_ms BETWEEN ? AND ?",
                             (item, eta, eta + 600000)).fetchall()
        check(len(refill) == 1 and abs(refill[0][1] - grams * 1000) <= grams * 20,
              "%s: one refill of %d g after its ETA: %r" % (oid, grams, refill))
        deliveries[item].append((eta // 1000, grams))
    for item, (pack, *_rest) in ITEMS.items():
        got, left = ledger(uses[item], deliveries[item], pack)
        used = con.execute("SELECT COALESCE(SUM(mg), 0) FROM events WHERE item = ? AND "
                           "kind = 'consume'", (item,)).fetchone()[0] / 1000
        check(abs(used - got) <= 0.02 * got,
              "%s: consumed %.1f g, the ledger says %.1f g" % (item, used, got))
        st = subprocess.run([PANTRYCTL, "--config", conf, "--json", "status", item],
                            capture_output=True, text=True)
        stock = json.loads(st.stdout)["items"][0]["view"]["stock_g"] if st.returncode == 0 else -1
        check(abs(stock - left) <= 25, "%s: stock %.1f g at the end, the ledger %.1f g" %
              (item, stock, left))
    # The lead learnt: the configured prior (2 days) and every delivery measured.
    st = subprocess.run([PANTRYCTL, "--config", conf, "--json", "status", "rice"],
                        capture_output=True, text=True)
    lead = json.loads(st.stdout)["items"][0]["lead"] if st.returncode == 0 else {}
    fulfilled = con.execute("SELECT COUNT(*) FROM orders WHERE item = 'rice' AND state = "
                            "'fulfilled'").fetchone()[0]
    check(lead.get("deliveries") == fulfilled >= 2 and
          2 * DAY <= lead.get("mean_s", 0) <= 3 * DAY + 600,
          "rice's lead learnt from its %d deliveries, 2 to 3 days: %r" % (fulfilled, lead))
    con.close()
    check("deliveries poured in" in r.stderr, "the agent says how many deliveries came")

    r = run_agent(conf, args)
    check(r.returncode == 1 and "has seen a replay already" in r.stderr,
          "a second run into the same store refused:\n%s" % r.stderr[-400:])
    broker.stop()
done()
