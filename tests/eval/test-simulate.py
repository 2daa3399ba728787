"""pantry-forecast simulate, the household's what-if command, as a user runs it:

- steady use of 25 g of coffee a day for 120 days, 500 g packs, a shop that
  takes exactly 2 days: every policy sees the same 3,000 g of demand; the
  agent, told nothing but its configuration, never runs dry, places no more
  orders than the oracle plus one, and every order arrives 2 days after it was
  placed; the table and --json say the same;
- a second item's demand file routed by ITEM=FILE;
- bad input is refused with the file, the line and what was expected (a time
  going backwards, grams that are not grams, an unknown item), exit 1; bad
  usage exits 2; --help tells every option.

Expected values come from the demand written here, not from the program.

usage: test-simulate.py PANTRY-FORECAST
"""
import datetime
import json
import os
import shlex
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done  # noqa

# In a cross build meson names the emulator (qemu-aarch64 -L SYSROOT ...) that
# runs the program; a script test has to put it in front itself.
PROG = shlex.split(os.environ.get("MESON_EXE_WRAPPER", "")) + [sys.argv[1]]
DAY = 86400

CONF = """device_id = "sim";
channels = ( { name = "a"; iio = { device = "a"; }; },
             { name = "b"; iio = { device = "b"; }; } );
items = ( { id = "coffee"; channel = "a"; pack = 500; container = 300; mode = "auto";
            calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; },
          { id = "rice"; channel = "b"; pack = 1000; container = 400; mode = "auto";
            calibration = { zero = 0; span_raw = 400000; span = 1000.0; }; } );
"""


def run(*args):
    return subprocess.run([*PROG, "simulate", *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True)


def when(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def main():
    tmp = tempfile.mkdtemp(prefix="test-simulate-")
    conf = os.path.join(tmp, "pantry-agent.conf")
    with open(conf, "w") as f:
        f.write(CONF)
    coffee = os.path.join(tmp, "coffee.csv")
    with open(coffee, "w") as f:
        f.write("# 25 g every morning at 08:00 for 120 days\n")
        for d in range(120):
            f.write(f"{d * DAY + 8 * 3600},25\n")
    rice = os.path.join(tmp, "rice.csv")
    with open(rice, "w") as f:
        for d in range(120):
            f.write(f"{d * DAY + 19 * 3600},{300 if d % 7 in (5, 6) else 80}\n")

    base = ["--config", conf, "--demand", f"coffee={coffee}", "--demand", f"rice={rice}",
            "--lead", "2d", "--lead-factor", "100,100", "--seed", "3"]
    r = run(*base, "--json")
    check(r.returncode == 0, f"simulate --json exited {r.returncode}: {r.stderr}")
    d = json.loads(r.stdout)
    scores = {(s["item"], s["policy"]): s for s in d["scores"]}
    rice_g = sum(300 if k % 7 in (5, 6) else 80 for k in range(120))
    for (item, policy), s in scores.items():
        want = 3000.0 if item == "coffee" else float(rice_g)
        check(abs(s["demand_g"] - want) < 0.05,
              f"{item} {policy}: demand {s['demand_g']} g, the files say {want}")
    check(set(p for _, p in scores) == {"agent", "threshold-20%", "threshold-30%",
                                          "oracle"}, f"policies {sorted(scores)}")
    check(scores[("coffee", "agent")]["stockout_days"] == 0,
          "coffee, used the same every day, never runs dry")
    for item in ("coffee", "rice"):
        a, o = scores[(item, "agent")], scores[(item, "oracle")]
        check(o["stockout_days"] == 0 and o["lost_pct"] == 0,
              f"{item}: the oracle ran dry: {o}")
        # Before the first delivery the agent has seen days of use, not a
        # weekend; after it, the same week repeats and the shop takes 2 days.
        check(a["stockout_days_after_first_delivery"] == 0, f"{item}: the agent ran "
              f"dry on {a['stockout_days_after_first_delivery']} days after its first "
              "delivery with a 2-day shop")
        check(a["delivered"] == 0 or abs(a["delivered_packs"] - round(a["delivered_packs"]))
              < 1e-6, f"{item}: {a['delivered_packs']} packs delivered, not whole packs")
        check(a["orders"] <= o["orders"] + 1,
              f"{item}: the agent placed {a['orders']} orders, the oracle {o['orders']}")
        check(a["orders"] >= 1, f"{item}: no order in 120 days")
    orders = d["agent_orders"]
    check(len(orders) == scores[("coffee", "agent")]["orders"] +
          scores[("rice", "agent")]["orders"], "agent_orders lists every order")
    for o in orders:
        if o["arrives"] != "never":
            lead = when(o["arrives"]) - when(o["placed"])
            check(lead == 2 * DAY, f"order of {o['item']} placed {o['placed']} arrives "
                  f"{o['arrives']}: {lead / DAY:.3f} days, not 2")
        check(o["packs"] >= 1 and o["reason"] == "predicted", f"order {o}")

    # The table says what the JSON says.
    r = run(*base)
    check(r.returncode == 0, f"simulate exited {r.returncode}")
    rows = [ln.split() for ln in r.stdout.splitlines()
            if ln.startswith("coffee ") or ln.startswith("rice ")]
    table = [ln for ln in rows if ln[1] in ("agent", "oracle") or ln[1].startswith("thr")]
    check(len(table) == 8, f"8 score rows, got {len(table)}")
    for ln in table:
        s = scores[(ln[0], ln[1])]
        check(float(ln[2]) == s["demand_g"] and int(ln[4]) == s["stockout_days"] and
              int(ln[6]) == s["orders"], f"table row {ln} against {s}")
    check("The agent's orders:" in r.stdout, "the orders are listed")
    r = run(*base, "--quiet")
    check("The agent's orders:" not in r.stdout, "--quiet lists no orders")

    # Bad input: file, line, what was expected; nothing else printed.
    bad = os.path.join(tmp, "bad.csv")
    for text, want in [
        ("100,5\n50,5\n", "bad.csv:2: seconds: expected 100 or later (time never goes "
                          "backwards), found '50'"),
        ("100,5\n200,five\n", "bad.csv:2: grams: expected grams from 0.001 to 100000, "
                              "found 'five'"),
        ("100;5\n", "bad.csv:1: expected 'seconds,grams', found '100;5'"),
        ("-3,5\n", "bad.csv:1: seconds: expected a whole number of seconds from the "
                   "start, found '-3'"),
    ]:
        with open(bad, "w") as f:
            f.write(text)
        r = run("--config", conf, "--demand", f"coffee={bad}")
        check(r.returncode == 1 and want in r.stderr and r.stdout == "",
              f"{text!r}: exit {r.returncode}, stderr {r.stderr!r}, want {want!r}")
    r = run("--config", conf, "--demand", f"tea={coffee}")
    check(r.returncode == 1 and "tea" in r.stderr, f"unknown item: {r.stderr!r}")
    r = run("--config", conf, "--demand", coffee)
    check(r.returncode != 0, "a bare demand file with two items is refused")
    r = run("--demand", coffee)
    check(r.returncode == 2 and "--config" in r.stderr, f"no --config: {r.returncode}")
    r = run("--config", conf, "--demand", f"coffee={coffee}", "--lead-factor", "150,80")
    check(r.returncode == 2, f"--lead-factor 150,80 exited {r.returncode}")
    r = run("--help")
    check(r.returncode == 0, "--help exits 0")
    for opt in ("--config", "--demand", "--lead", "--lead-factor", "--seed", "--days",
                "--start-packs", "--threshold", "--json", "--quiet", "--help"):
        check(opt in r.stdout, f"--help names {opt}")
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)
    done()


main()
