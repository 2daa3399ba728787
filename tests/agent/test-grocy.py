#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-agent's Grocy link (agent/link/grocy.h), live on a fake IIO shelf, against
a stand-in Grocy (grocyfake.py: every request checked against Grocy 4.6.0's
API description, counted, applied to a stock per product):

- a consume and a refill reach Grocy as /consume and /add of the item's
  product, in the product's unit (grocy_unit_g = 10: 100 g is 10 units);
- Grocy down, two consumes, Grocy up: each delivered once, in order;
- a 401 (a key Grocy does not know) keeps the call waiting, retried;
- a 400 fails the row at once: kept as 'failed' with Grocy's message, never
  sent again; an /inventory of the shelf's stock follows to correct Grocy,
  and the queue goes on;
- a 500 is retried, the same call;
- bad answers to a 200 (junk, more than 64 KiB, wrong types) are logged and
  the call becomes an /inventory of the stock after it, so nothing is counted
  twice whether or not the first one landed;
- no answer within the timeout (Grocy applied it): an /inventory follows,
  not a second /consume;
- the Grocy sender (the child process that does the HTTP) killed while a POST
  waits: the same, an /inventory follows; with the queue quiet the sender
  ends (the daemon has no child);
- kill -9 while a POST waits for its answer (Grocy applied it): the sender
  goes with the daemon; after the restart the row goes as an /inventory,
  never a second /consume;
- at the end, Grocy's stock is the shelf's, to the gram;
- SIGHUP with another Grocy URL: the next call goes to the new one only;
- a change made while the daemon is stopped (no stock event sees it) goes to
  Grocy as an inventory of the first settled stock at the next start; a
  restart without one sends nothing;
- an API key file others may read is refused (--check-config and the daemon).
Without the stand-in's python3-jsonschema the test is skipped.

A real Grocy is tried too when GROCY_URL and GROCY_API_KEY (and GROCY_PRODUCT,
default 1) are given: one consume of 1 unit is posted and must come back done.

TLS: against an HTTPS stand-in with a self-signed certificate the call is not
sent (certificates are always verified) and waits in the queue; with the
certificate as grocy.ca_file it goes, once.

Shopping-list mode: a simulated shelf of 40 days (make-shelf, mode auto) is
replayed with grocy mode "shopping_list": no order is made (none in the store,
nothing in the outbox), each predicted need is one shopping-list row, never a
second before the refill that answers it; then the live daemon sends each row
once (add-product of the product, packs in the product's unit).

TEST_VALGRIND=1 runs the live daemon of the first part under valgrind.
pantryctl status shows the queue: calls waiting, failed, the last refusal.

usage: test-grocy.py AGENT MAKE_SHELF PANTRYCTL
"""
import json
import os
import signal
import ssl
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import children, VALGRIND_CMD, call, check, done, need, put, wait_for  # noqa: E402

need("python3-jsonschema", modules=["jsonschema"])
from grocyfake import FakeGrocy  # noqa: E402

AGENT, MAKE_SHELF, PANTRYCTL = sys.argv[1], sys.argv[2], sys.argv[3]
ZERO = 8388608
KEY = "grocy-test-key-0123456789abcdefghijklmnopqrstuvwx"
PRODUCT = 12
# TEST_VALGRIND=1: the live daemon under memcheck (its exit status 99 on an
# error or a leak fails "stops cleanly").
WRAP = VALGRIND_CMD if os.environ.get("TEST_VALGRIND") == "1" else []

CONFIG = """device_id = "grocy-pi";
store_path = "{d}/pantry.db";
control_socket = "{d}/control.sock";
key_path = "{d}/device.key";
channels = ( {{ name = "rice"; iio = {{ device = "shelf-rice"; input = 0; }}; period = "50ms"; }} );
items = ( {{ id = "rice"; channel = "rice"; pack = 1000; mode = "off";
            calibration = {{ zero = 0; span_raw = 400000; span = 1000.0; }};
            conditioning = {{ settle = "2s"; refill_hold = "1s"; }};
            grocy_product = {product}; grocy_unit_g = {unit}; }} );
grocy = {{ url = "{url}"; api_key_file = "{d}/grocy.key"; timeout = "{timeout}"; {extra}}};
"""


def code(g):
    return ZERO + int(g * 400)


def rows(d):
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "pantry.db"), uri=True)
    try:
        return db.execute("SELECT id, op, amount_mg, stock_mg, state, tries, detail "
                          "FROM grocy_calls ORDER BY id").fetchall()
    finally:
        db.close()


class Shelf:
    def __init__(self, d, url, unit=10, timeout="5s", product=PRODUCT, extra=""):
        self.d = d
        dev = os.path.join(d, "sys", "iio:device0")
        os.makedirs(dev, exist_ok=True)
        put(os.path.join(dev, "name"), "hx711\n")
        put(os.path.join(dev, "label"), "shelf-rice\n")
        self.raw = os.path.join(dev, "in_voltage0_raw")
        self.level = code(750)
        put(self.raw, "%d\n" % self.level)
        self.stop_noise = threading.Event()
        threading.Thread(target=self.noise, daemon=True).start()
        self.conf = os.path.join(d, "pantry-agent.conf")
        with open(self.conf, "w") as f:
            f.write(CONFIG.format(d=d, url=url, unit=unit, timeout=timeout,
                                  product=product, extra=extra))
        self.sock = os.path.join(d, "control.sock")
        self.proc = None
        self.log = os.path.join(d, "agent.log")

    def noise(self):
        k = 0
        while not self.stop_noise.is_set():
            put(self.raw, "%d\n" % (self.level + (k % 3) - 1))
            k += 1
            self.stop_noise.wait(0.02)

    def weigh(self, g):
        self.level = code(g)
        put(self.raw, "%d\n" % self.level)

    def start(self):
        env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.join(self.d, "sys"))
        with open(self.log, "a") as log:
            self.proc = subprocess.Popen(WRAP + [AGENT, "--config", self.conf, "--foreground",
                                          "--verbose"], env=env, stdout=log, stderr=log)
        ok = wait_for(lambda: self.proc.poll() is not None or self.ping(), 30)
        return ok and self.proc.poll() is None

    def ping(self):
        try:
            return call(self.sock, {"cmd": "ping"})["ok"]
        except OSError:
            return False

    def stock(self):
        try:
            r = call(self.sock, {"cmd": "status"})
        except OSError:
            return None
        return r["data"]["items"][0]["stock_g"] if r["ok"] and r.get("data") else None

    def stop(self, sig=signal.SIGTERM):
        self.proc.send_signal(sig)
        rc = self.proc.wait(timeout=20)
        self.proc = None
        return rc

    def text(self):
        with open(self.log) as f:
            return f.read()


def senders(pid):
    """The children of pid that are Grocy senders."""
    return children(pid, b"--grocy-sender")


def alive(pid):
    """pid runs (a zombie waiting for its reaper does not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def near(a, b, tol=0.5):
    return a is not None and b is not None and abs(a - b) <= tol


def test_fake(d):
    key = os.path.join(d, "grocy.key")
    put(key, KEY + "\n")
    os.chmod(key, 0o600)
    # A key Grocy does not know (401): the call waits and is retried, it does
    # not fail (every call after it would fail too).
    grocy = FakeGrocy("another-key").start()
    shelf = Shelf(d, grocy.url)
    check(shelf.start(), "the agent starts: " + shelf.text()[-2000:])
    check(wait_for(lambda: shelf.stock() == 750.0), "stock 750 g: %r" % shelf.stock())
    shelf.weigh(700)
    check(wait_for(lambda: grocy.unauthorized >= 1 and rows(d) and
                   rows(d)[0][5] >= 1 and rows(d)[0][4] == "pending"),
          "401: the call waits: %r" % rows(d))
    check("the API key is refused" in shelf.text(), "401 logged")
    check(shelf.stop() == 0, "stops")
    shelf.stop_noise.set()
    grocy.stop()
    for f in os.listdir(d):  # a new store: the queue starts empty
        if f.startswith("pantry.db"):
            os.unlink(os.path.join(d, f))

    grocy = FakeGrocy(KEY, stock={PRODUCT: 75.0}).start()
    shelf = Shelf(d, grocy.url)
    check(shelf.start(), "the agent starts: " + shelf.text()[-2000:])
    check(wait_for(lambda: shelf.stock() == 750.0), "stock 750 g: %r" % shelf.stock())

    # A consume of 100 g: 10 units of 10 g.
    shelf.weigh(650)
    check(wait_for(lambda: len(grocy.of("/consume")) == 1), "consume posted")
    c = grocy.of("/consume")[:1]
    check(c and c[0]["params"] == {"productId": PRODUCT} and
          near(c[0]["body"]["amount"], 10.0, 0.01),
          "consume of 10 units of product 12: %r" % c)
    # A refill of 1000 g: 100 units.
    shelf.weigh(1650)
    check(wait_for(lambda: len(grocy.of("/add")) == 1), "add posted")
    a = grocy.of("/add")[:1]
    check(a and a[0]["params"] == {"productId": PRODUCT} and
          near(a[0]["body"]["amount"], 100.0, 0.01), "add of 100 units: %r" % a)
    check(wait_for(lambda: all(r[4] == "done" for r in rows(d))),
          "rows done: %r" % rows(d))

    # Grocy down: two consumes wait; Grocy up (same port): each once.
    port = grocy.port
    grocy.stop()
    shelf.weigh(1450)
    check(wait_for(lambda: shelf.stock() == 1450.0), "1450 g")
    shelf.weigh(1300)
    check(wait_for(lambda: shelf.stock() == 1300.0), "1300 g")
    check(wait_for(lambda: any(r[5] >= 1 and r[4] == "pending" for r in rows(d))),
          "a try failed while Grocy was down: %r" % rows(d))
    n_before = len(grocy.calls)
    grocy2 = FakeGrocy(KEY, port=port, stock=grocy.stock).start()
    check(wait_for(lambda: len(grocy2.of("/consume")) == 2, 40),
          "both consumes after Grocy came back: %r" % grocy2.calls)
    amounts = [round(x["body"]["amount"], 1) for x in grocy2.of("/consume")]
    check(amounts == [20.0, 15.0], "each once, in order: %r" % amounts)
    check(len(grocy.calls) == n_before, "nothing reached the stopped server")
    grocy = grocy2

    # 400: failed, kept, not sent again; an inventory of the shelf's stock
    # follows to correct Grocy; the queue goes on.
    grocy.mode = "reject-once"
    n = len(grocy.calls)
    shelf.weigh(1200)
    check(wait_for(lambda: any(r[4] == "failed" for r in rows(d))),
          "a 400 fails the row: %r" % rows(d))
    failed = [r for r in rows(d) if r[4] == "failed"]
    check(failed and "HTTP 400" in failed[0][6] and
          "Product does not exist" in failed[0][6] and failed[0][5] == 1,
          "Grocy's message kept, one try: %r" % failed)
    check(wait_for(lambda: len(grocy.calls) == n + 2 and
                   all(r[4] != "pending" for r in rows(d))),
          "an inventory follows: %r" % grocy.calls[n:])
    after = [(c["template"].split("/")[-1], c["mode"]) for c in grocy.calls[n:]]
    check(after == [("consume", "reject-once"), ("inventory", "ok")] and
          near(grocy.calls[-1]["body"].get("new_amount"), 120.0, 0.05),
          "the refused consume, then the inventory of 1200 g: %r" % grocy.calls[n:])
    shelf.weigh(1100)
    check(wait_for(lambda: len(grocy.calls) == n + 3), "the queue goes on")
    check(grocy.calls[-1]["template"].endswith("/consume") and
          near(grocy.calls[-1]["body"]["amount"], 10.0, 0.01),
          "the next consume, not the failed one again: %r" % grocy.calls[-1])

    # 500: the same call again, after a backoff.
    grocy.mode = "fail"
    shelf.weigh(1000)
    check(wait_for(lambda: any(c["mode"] == "fail" for c in grocy.calls)), "a 500")
    grocy.mode = "ok"
    check(wait_for(lambda: grocy.calls[-1]["mode"] == "ok" and
                   grocy.calls[-1]["template"].endswith("/consume"), 30),
          "the 500's consume sent again as it was: %r" % grocy.calls[-2:])

    # Bad answers to a 200: logged, and the stock after the event goes instead.
    for mode, g in (("junk", 900), ("huge", 800), ("wrongtypes", 700)):
        grocy.mode = mode
        n = len(grocy.calls)
        shelf.weigh(g)
        check(wait_for(lambda: len(grocy.calls) > n), "%s: posted" % mode)
        grocy.mode = "ok"
        check(wait_for(lambda: grocy.calls[-1]["template"].endswith("/inventory"), 30),
              "%s: an inventory follows: %r" % (mode, grocy.calls[-2:]))
        inv = grocy.calls[-1]["body"]["new_amount"]
        check(near(inv, g / 10, 0.05), "%s: new_amount %r = %d g" % (mode, inv, g))
        check(wait_for(lambda: all(r[4] != "sending" for r in rows(d))), "%s: settled" % mode)
    log = shelf.text()
    check("not JSON" in log and "more than 65536 bytes" in log and
          "not an integer" in log, "each bad answer logged")
    check(KEY not in log, "the API key is never logged")

    # No answer within the timeout (5 s here; Grocy applied the consume): in
    # doubt, so the stock after it goes as an inventory, not a second consume.
    grocy.mode = "hold"
    grocy.release.clear()
    n = len(grocy.calls)
    shelf.weigh(650)
    check(wait_for(lambda: len(grocy.calls) > n), "the consume reached Grocy")
    grocy.mode = "ok"
    check(wait_for(lambda: len(grocy.calls) > n + 1, 30), "sent again after the timeout")
    grocy.release.set()
    after = [c["template"].split("/")[-1] for c in grocy.calls[n:]]
    check(after == ["consume", "inventory"] and
          near(grocy.calls[-1]["body"].get("new_amount"), 65.0, 0.05),
          "a timeout: one consume, then the inventory of 650 g: %r" % grocy.calls[n:])
    check(wait_for(lambda: "no answer: Timeout was reached" in shelf.text()),
          "the timeout logged")
    check(wait_for(lambda: all(r[4] != "sending" for r in rows(d))), "timeout: settled")

    # The sender killed while the POST waits (Grocy applied it): in doubt too.
    grocy.mode = "hold"
    grocy.release.clear()
    n = len(grocy.calls)
    shelf.weigh(625)
    check(wait_for(lambda: len(grocy.calls) > n), "the consume reached Grocy")
    kids = senders(shelf.proc.pid)
    check(len(kids) == 1, "one sender while a call goes: %r" % kids)
    if kids:
        os.kill(kids[0], signal.SIGKILL)
    grocy.mode = "ok"
    check(wait_for(lambda: len(grocy.calls) > n + 1, 30), "sent again after the kill")
    grocy.release.set()
    after = [c["template"].split("/")[-1] for c in grocy.calls[n:]]
    check(after == ["consume", "inventory"] and
          near(grocy.calls[-1]["body"].get("new_amount"), 62.5, 0.05),
          "a killed sender: one consume, then the inventory of 625 g: %r" % grocy.calls[n:])
    check("the Grocy sender was killed by signal 9" in shelf.text(), "the kill logged")
    check(wait_for(lambda: all(r[4] != "sending" for r in rows(d))), "kill: settled")
    # Quiet: the sender ends (SENDER_IDLE_MS, 5 s), and libcurl with it.
    check(wait_for(lambda: senders(shelf.proc.pid) == [], 20),
          "no sender once the queue is quiet: %r" % senders(shelf.proc.pid))

    # kill -9 while the POST waits for its answer (Grocy applied it).
    grocy.mode = "hold"
    grocy.release.clear()
    n = len(grocy.calls)
    shelf.weigh(600)
    check(wait_for(lambda: len(grocy.calls) > n), "the held consume reached Grocy")
    check(wait_for(lambda: any(r[4] == "sending" for r in rows(d)), 2), "sending")
    kids = senders(shelf.proc.pid)
    shelf.stop(signal.SIGKILL)
    check(len(kids) == 1 and wait_for(lambda: not alive(kids[0]), 10),
          "the sender goes with the daemon: %r" % kids)
    grocy.mode = "ok"
    grocy.release.set()
    check(shelf.start(), "restarted")
    check(wait_for(lambda: len(grocy.calls) > n + 1 and
                   all(r[4] in ("done", "failed") for r in rows(d)), 30),
          "the row settled after the restart: %r" % rows(d))
    after = [c["template"].split("/")[-1] for c in grocy.calls[n:]]
    check(after == ["consume", "inventory"], "no second consume: %r" % after)
    check(near(grocy.calls[-1]["body"].get("new_amount"), 60.0, 0.05),
          "the inventory says 600 g: %r" % grocy.calls[-1])
    check(wait_for(lambda: near(shelf.stock(), 600.0, 0.01)), "shelf 600 g")
    check(near(grocy.stock[PRODUCT], 60.0, 0.05),
          "Grocy's stock is the shelf's: %r units" % grocy.stock[PRODUCT])
    check(grocy.errors == [], "every request matched the API: %r" % grocy.errors)

    # SIGHUP with another Grocy URL: the next call goes there, none to the old.
    moved = FakeGrocy(KEY, stock=dict(grocy.stock)).start()
    with open(shelf.conf, "w") as f:
        f.write(CONFIG.format(d=d, url=moved.url, unit=10, timeout="5s",
                              product=PRODUCT, extra=""))
    n = len(grocy.calls)
    shelf.proc.send_signal(signal.SIGHUP)
    check(wait_for(lambda: "configuration reloaded" in shelf.text()), "reloaded")
    # The reloaded pipeline reads the shelf again before it is told of a change.
    check(wait_for(lambda: near(shelf.stock(), 600.0, 0.01)), "600 g after the reload")
    time.sleep(3)
    shelf.weigh(580)
    check(wait_for(lambda: len(moved.of("/consume")) == 1, 30),
          "after the reload the consume goes to the new URL: %r" % moved.calls)
    check(len(grocy.calls) == n, "nothing more to the old URL: %r" % grocy.calls[n:])
    check(near(moved.stock[PRODUCT], 58.0, 0.05),
          "the new Grocy's stock is the shelf's: %r" % moved.stock[PRODUCT])

    # Taken while the daemon was stopped: no stock event saw it, so at the
    # next start the settled stock goes to Grocy as an inventory.
    check(wait_for(lambda: all(r[4] == "done" for r in rows(d)[-1:])), "settled")
    check(shelf.stop() == 0, "stops")
    shelf.weigh(540)
    check(shelf.start(), "starts again")
    check(wait_for(lambda: len(moved.of("/inventory")) == 1, 30),
          "the change made while stopped reaches Grocy: %r" % moved.calls)
    check(near(moved.calls[-1]["body"].get("new_amount"), 54.0, 0.05) and
          near(moved.stock[PRODUCT], 54.0, 0.05),
          "as an inventory of 540 g: %r" % moved.calls[-1])
    check("Grocy was last told 580 g" in shelf.text(), "logged")
    # Grocy has the call once it answers; the daemon records the answer just
    # after: stopping before that would leave the row "sending" (waiting).
    check(wait_for(lambda: all(r[4] in ("done", "failed") for r in rows(d)), 30),
          "the inventory's answer recorded: %r" % rows(d))
    check(shelf.stop() == 0, "stops cleanly")
    shelf.stop_noise.set()
    grocy.stop()
    moved.stop()

    # pantryctl status: the queue, from the store.
    r = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 0 and "grocy     0 calls waiting, 1 failed; the last: Grocy "
          "refused it: HTTP 400: Product does not exist or is inactive" in r.stdout,
          "pantryctl status: %r" % (r,))
    r = subprocess.run([PANTRYCTL, "--config", shelf.conf, "--json", "status"],
                       capture_output=True, text=True, timeout=60)
    js = json.loads(r.stdout) if r.returncode == 0 else {}
    check(js.get("grocy", {}).get("pending") == 0 and js["grocy"]["failed"] == 1 and
          "HTTP 400" in js["grocy"]["last_failure"], "status --json: %r" % (r,))

    # The sender's mode by hand: refused, with why.
    r = subprocess.run([AGENT, "--grocy-sender"], capture_output=True, text=True,
                       timeout=60, stdin=subprocess.DEVNULL)
    check(r.returncode == 2 and "not for use by hand" in r.stderr,
          "--grocy-sender by hand: %r" % (r,))

    # A key file others may read: refused by --check-config and the daemon.
    os.chmod(key, 0o644)
    r = subprocess.run([AGENT, "--check-config", shelf.conf], capture_output=True,
                       text=True, timeout=60)
    check(r.returncode != 0 and "grocy.api_key_file" in r.stderr + r.stdout and
          "0644" in r.stderr + r.stdout, "--check-config refuses 0644: %r" % (r,))
    env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.join(d, "sys"))
    r = subprocess.run([AGENT, "--config", shelf.conf, "--foreground"], env=env,
                       capture_output=True, text=True, timeout=60)
    check(r.returncode != 0 and key in r.stderr and "chmod 600" in r.stderr and
          KEY not in r.stderr, "the daemon refuses 0644: %r" % (r,))


def test_shopping(d):
    subprocess.run([MAKE_SHELF, "--seed", "3", "--days", "40", "--channels", "1",
                    "--dir", d, "--mode", "auto"], check=True, stdout=subprocess.DEVNULL)
    key = os.path.join(d, "grocy.key")
    put(key, KEY + "\n")
    os.chmod(key, 0o600)
    grocy = FakeGrocy(KEY).start()
    conf = os.path.join(d, "pantry-agent.conf")
    with open(conf) as f:
        text = f.read()
    check('mode = "auto";' in text, "make-shelf's item orders on its own")
    text = text.replace('mode = "auto";', 'mode = "auto"; grocy_product = 7; '
                        'grocy_unit_g = 10;')
    text += ('grocy = { url = "%s"; api_key_file = "%s"; mode = "shopping_list"; };\n'
             % (grocy.url, key))
    with open(conf, "w") as f:
        f.write(text)
    r = subprocess.run([AGENT, "--config", conf, "--replay", os.path.join(d, "shelf.trace")],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0, "replay: %r" % r.stderr[-2000:])
    db = sqlite3.connect("file:%s?mode=ro" % os.path.join(d, "pantry.db"), uri=True)
    orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    listed = db.execute("SELECT created_ms, amount_mg FROM grocy_calls "
                        "WHERE op = 'shopping' ORDER BY id").fetchall()
    refills = [t for (t,) in db.execute(
        "SELECT t_ms FROM events WHERE kind = 'refill' ORDER BY t_ms")]
    audit = db.execute("SELECT count(*) FROM audit WHERE what LIKE "
                       "'%shopping list%nothing sent to a retailer'").fetchone()[0]
    db.close()
    check(orders == 0, "no order in shopping-list mode: %d" % orders)
    check(len(listed) >= 2 and audit == len(listed),
          "needs listed, each said in the audit log: %r, %d" % (listed, audit))
    for a, b in zip(listed, listed[1:]):
        check(any(a[0] <= t <= b[0] for t in refills),
              "a refill between two entries: %r %r %r" % (a, b, refills))
    check(grocy.calls == [], "a replay sends nothing")
    # Live: the rows go to Grocy, each once.
    dev = os.path.join(d, "sys", "iio:device0")
    os.makedirs(dev)
    put(os.path.join(dev, "name"), "hx711\n")
    put(os.path.join(dev, "label"), "shelf-rice\n")
    put(os.path.join(dev, "in_voltage0_raw"), "%d\n" % ZERO)
    env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.join(d, "sys"))
    with open(os.path.join(d, "live.log"), "w") as log:
        p = subprocess.Popen([AGENT, "--config", conf, "--foreground"], env=env,
                             stdout=log, stderr=log)
        check(wait_for(lambda: len(grocy.of("/add-product")) >= len(listed), 60),
              "the entries reach Grocy: %r" % grocy.of("/add-product"))
        check(wait_for(lambda: rows(d) and all(r[4] == "done" for r in rows(d)), 30),
              "every row done")
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    sent = grocy.of("/add-product")
    check([(c["body"]["product_id"], c["body"]["product_amount"]) for c in sent] ==
          [(7, mg / 10000) for _, mg in listed], "each entry once, in packs' units: %r"
          % [c["body"] for c in sent])
    check(grocy.errors == [], "every request matched the API: %r" % grocy.errors)
    grocy.stop()


def test_tls(d):
    """A self-signed certificate is refused: nothing reaches the server."""
    cert, pkey = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    r = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", pkey, "-out", cert], capture_output=True, timeout=60)
    if r.returncode != 0:
        print("# TLS part skipped: openssl cannot make a certificate: %r" % r.stderr)
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, pkey)
    key = os.path.join(d, "grocy.key")
    put(key, KEY + "\n")
    os.chmod(key, 0o600)
    grocy = FakeGrocy(KEY, tls=ctx).start()
    shelf = Shelf(d, grocy.url)
    check(shelf.start(), "the agent starts (https)")
    check(wait_for(lambda: shelf.stock() == 750.0), "750 g")
    shelf.weigh(650)
    check(wait_for(lambda: "not sent: SSL peer certificate" in shelf.text(), 30),
          "a self-signed certificate is refused: %s" % shelf.text()[-1500:])
    check(grocy.calls == [] and rows(d) and rows(d)[0][4] == "pending",
          "nothing sent; the call waits: %r" % rows(d))
    check(shelf.stop() == 0, "stops cleanly")
    shelf.stop_noise.set()
    # With that certificate as ca_file (a household's own CA), the call goes.
    shelf = Shelf(d, grocy.url, extra='ca_file = "%s"; ' % cert)
    shelf.weigh(650)  # as it was left: no change while stopped to tell Grocy
    check(shelf.start(), "the agent starts with ca_file")
    check(wait_for(lambda: len(grocy.calls) == 1 and rows(d)[0][4] == "done", 30),
          "sent once with ca_file: %r %r" % (grocy.calls, rows(d)))
    check(shelf.stop() == 0, "stops cleanly")
    shelf.stop_noise.set()
    grocy.stop()


def test_real(d):
    url, api_key = os.environ.get("GROCY_URL"), os.environ.get("GROCY_API_KEY")
    if not url or not api_key:
        print("# real Grocy skipped: GROCY_URL and GROCY_API_KEY are not set")
        return
    product = int(os.environ.get("GROCY_PRODUCT", "1"))
    key = os.path.join(d, "grocy.key")
    put(key, api_key + "\n")
    os.chmod(key, 0o600)
    shelf = Shelf(d, url, unit=100, timeout="30s", product=product)
    check(shelf.start(), "the agent starts against %s" % url)
    check(wait_for(lambda: shelf.stock() == 750.0), "750 g")
    shelf.weigh(650)
    check(wait_for(lambda: rows(d) and rows(d)[-1][4] in ("done", "failed"), 60),
          "real Grocy answered: %r" % rows(d))
    check(rows(d)[-1][4] == "done", "real Grocy took the consume: %r" % rows(d))
    shelf.stop()
    shelf.stop_noise.set()


with tempfile.TemporaryDirectory() as d:
    test_fake(d)
with tempfile.TemporaryDirectory() as d:
    test_shopping(d)
with tempfile.TemporaryDirectory() as d:
    test_tls(d)
with tempfile.TemporaryDirectory() as d:
    test_real(d)
done()
