#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The home broker (issue 15): a live agent with the retailer's broker and the
household's own broker, two mosquittos, read with mosquitto_sub as Home
Assistant would:

- the status "online" retained, the retailer link's state, and per-item
  states retained, valid against agent/home-state.schema.json, published
  again only when a value as a person reads it changes;
- Home Assistant discovery configs checked field by field against its
  documented conventions (topic shape, device, unique_id, availability, the
  device classes), each value_template rendered with jinja2 (as Home
  Assistant does) against the state;
- Home Assistant's birth "online" makes the agent send its configs again;
- commands on: "order" orders; junk, a huge payload, a wrong item and a
  retained command change nothing in the store and are logged;
- commands off: no buttons, and an "order" changes nothing;
- an item removed from the configuration: its configs emptied at the restart;
- no consumption data on the retailer's broker; "offline" retained at stop;
- pantryctl status (text and --json) shows the home link: connected to its
  URL while the home mosquitto runs, not connected with the last error once
  it is stopped, connected again when it is back, and not connected with the
  reason after a reload whose home link cannot be made; never a credential.

usage: test-home.py AGENT SCHEMA PANTRYCTL
"""
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker  # noqa: E402
from checks import check, done, failures, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_pub", "mosquitto_sub"])
need("python3-jinja2", modules=["jinja2"])
need("python3-jsonschema", modules=["jsonschema"])
import jinja2  # noqa: E402
import jsonschema  # noqa: E402
from mqttlib import DEVICE, Capture, Shelf  # noqa: E402

AGENT, SCHEMA, PANTRYCTL = sys.argv[1:4]
HP = "pantry/%s" % DEVICE  # the home prefix's device root
DISCO = "homeassistant"
with open(SCHEMA) as f:
    STATE_SCHEMA = json.load(f)
jsonschema.Draft202012Validator.check_schema(STATE_SCHEMA)
VALIDATOR = jsonschema.Draft202012Validator(STATE_SCHEMA)
# Home Assistant's MQTT discovery: <discovery_prefix>/<component>/[<node_id>/]
# <object_id>/config, node_id and object_id of [a-zA-Z0-9_-].
COMPONENTS = {"sensor", "binary_sensor", "button"}
ID_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
# The home broker takes only this user (as a household's mosquitto would): the
# agent reads them from its credentials file, and status must never show them.
HOME_USER, HOME_PW = "hass-pantry", "Wh1sk-pw-7731"
AUTH = ["-u", HOME_USER, "-P", HOME_PW]
CRED = None  # the credentials file, written below


def retained_all(broker, topic):
    """{topic: payload} retained now under the filter topic."""
    r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
                        "-t", topic, "-v", "-W", "1", "--retained-only"] + AUTH,
                       capture_output=True, text=True)
    out = {}
    for line in r.stdout.splitlines():
        t, _, p = line.partition(" ")
        out[t] = p
    return out


def pub(broker, topic, payload, retain=False):
    cmd = ["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-q", "1",
           "-t", topic] + (["-s"] if payload else ["-n"]) + (["-r"] if retain else [])
    cmd += AUTH
    subprocess.run(cmd, input=payload, check=True, timeout=20)


def orders(store):
    db = sqlite3.connect("file:%s?mode=ro" % store, uri=True, timeout=10)
    try:
        return sorted(db.execute("SELECT order_id, item, state, reason FROM orders"))
    finally:
        db.close()


def render(template, state):
    """A value_template as Home Assistant renders it: value_json the payload."""
    return jinja2.Environment().from_string(template).render(value_json=state)


def add_home(shelf, home, extra=""):
    if "credentials_file" not in extra:
        extra += ' credentials_file = "%s";' % CRED
    with open(shelf.conf, "a") as f:
        f.write('home = { url = "%s"; keepalive = "5s"; %s };\n' % (home.url, extra))


def home_status(shelf):
    """pantryctl status's home line(s) and --json "home" of the live agent."""
    env = dict(os.environ, TZ="UTC", LC_ALL="C.UTF-8")
    r = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status"],
                       capture_output=True, text=True, timeout=60, env=env)
    rj = subprocess.run([PANTRYCTL, "--config", shelf.conf, "status", "--json"],
                        capture_output=True, text=True, timeout=60, env=env)
    check(r.returncode == 0 and rj.returncode == 0 and
          r.stdout.startswith("live from the daemon"),
          "status: %r %r" % (r.stdout[:200], r.stderr + rj.stderr))
    lines = r.stdout.splitlines()
    text = "\n".join(next(([x] + [y for y in lines[i + 1:i + 2]
                                   if y.startswith("          ")]
                            for i, x in enumerate(lines) if x.startswith("home  ")),
                           []))
    try:
        j = json.loads(rj.stdout)
    except ValueError:
        j = {}
    check("home" in j, "json home: %r" % rj.stdout[:300])
    out = r.stdout + rj.stdout
    check(HOME_PW not in out and HOME_USER not in out, "a credential shown:\n" + out)
    return text, j.get("home"), out


def check_configs(configs, states, items, commands):
    uids = set()
    want = {"sensor": ["stock", "runout", "order"], "binary_sensor": ["fault"],
            "button": ["order_now", "confirm"] if commands else []}
    for item in items:
        for comp, whats in want.items():
            for what in whats:
                t = "%s/%s/%s/%s_%s/config" % (DISCO, comp, DEVICE, item, what)
                check(t in configs, "config %s announced: %r" % (t, sorted(configs)))
    for t, text in configs.items():
        parts = t.split("/")
        check(len(parts) == 5 and parts[0] == DISCO and parts[1] in COMPONENTS and
              parts[2] == DEVICE and set(parts[3]) <= ID_CHARS and parts[4] == "config",
              "topic shape: %s" % t)
        c = json.loads(text)
        uid = c.get("unique_id")
        check(isinstance(uid, str) and uid and uid not in uids, "unique_id %r" % uid)
        uids.add(uid)
        dev = c.get("device", {})
        check(dev.get("identifiers") == ["pantry_%s" % DEVICE] and dev.get("name") and
              dev.get("manufacturer") and dev.get("model") and dev.get("sw_version"),
              "device of %s: %r" % (t, dev))
        check(c.get("availability_topic") == HP + "/status" and
              c.get("payload_available") == "online" and
              c.get("payload_not_available") == "offline", "availability of %s" % t)
        check(isinstance(c.get("name"), str) and c["name"], "name of %s" % t)
        obj = parts[3]
        if obj == "retailer_link":
            check(parts[1] == "binary_sensor" and c.get("device_class") == "connectivity"
                  and c.get("state_topic") == HP + "/link", "link config %r" % c)
            continue
        item, what = next((i, obj[len(i) + 1:]) for i in items if obj.startswith(i + "_"))
        st = states.get(item)
        if parts[1] == "button":
            check(c.get("command_topic") == "%s/%s/command" % (HP, item) and
                  c.get("payload_press") == {"order_now": "order",
                                             "confirm": "confirm"}[what],
                  "button %s: %r" % (t, c))
            check(commands, "a button announced with commands off: %s" % t)
            continue
        check(c.get("state_topic") == "%s/%s/state" % (HP, item), "state_topic of %s" % t)
        v = render(c.get("value_template", ""), st)
        if what == "stock":
            check(c.get("device_class") == "weight" and
                  c.get("unit_of_measurement") == "g" and
                  c.get("state_class") == "measurement", "stock config %r" % c)
            check(v == str(st["stock_g"]), "stock renders %r from %r" % (v, st))
        elif what == "runout":
            check(c.get("device_class") == "timestamp", "runout config %r" % c)
            check(v == str(st["runout"]), "runout renders %r" % v)
        elif what == "fault":
            check(parts[1] == "binary_sensor" and c.get("device_class") == "problem",
                  "fault config %r" % c)
            check(v == c.get("payload_on" if st["fault"] else "payload_off"),
                  "fault renders %r from %r" % (v, st))
        elif what == "order":
            opts = c.get("options")
            check(c.get("device_class") == "enum" and isinstance(opts, list) and
                  "none" in opts and "acknowledged" in opts, "order config %r" % c)
            check(v in opts, "order renders %r, not in %r" % (v, opts))


with tempfile.TemporaryDirectory() as d:
    retail = Broker(os.path.join(d, "retail")).start()
    home = Broker(os.path.join(d, "home"), passwords={HOME_USER: HOME_PW}).start()
    CRED = os.path.join(d, "home.cred")
    with open(CRED, "w") as f:
        f.write("%s\n%s\n" % (HOME_USER, HOME_PW))
    os.chmod(CRED, 0o600)
    rcap = Capture(retail, topic="#")
    hcap = Capture(home, topic="#", extra=AUTH)
    sd = os.path.join(d, "shelf")
    shelf = Shelf(sd, AGENT, retail, n=2)
    add_home(shelf, home, "commands = true;")
    shelf.start()
    try:
        items = shelf.items
        check(wait_for(lambda: retained_all(home, HP + "/+/state").keys() ==
                       {"%s/%s/state" % (HP, i) for i in items}, 30),
              "states retained:\n" + shelf.tail())
        check(retained_all(home, HP + "/status").get(HP + "/status") == "online",
              "online retained")
        check(wait_for(lambda: retained_all(home, HP + "/link").get(HP + "/link") ==
                       "connected"), "the retailer link: connected")
        # pantryctl status: the home link beside the retailer's, connected.
        text, hj, _ = home_status(shelf)
        check(text.startswith("home      connected to %s since " % home.url),
              "status home connected: %r" % text)
        check(isinstance(hj, dict) and hj.get("url") == home.url and
              hj.get("connected") is True and
              isinstance(hj.get("since_ms"), (int, float)) and hj["since_ms"] > 0 and
              "last_error" in hj and hj["last_error"] is None,
              "json home connected: %r" % hj)
        states = {t.split("/")[2]: json.loads(p)
                  for t, p in retained_all(home, HP + "/+/state").items()}
        for item, st in states.items():
            errs = [e.message for e in VALIDATOR.iter_errors(st)]
            check(not errs, "state of %s against the schema: %r %r" % (item, errs, st))
        configs = retained_all(home, DISCO + "/#")
        check_configs(configs, states, items, True)

        # Nothing changes on the shelf: no state is published again.
        n0 = len([m for m in hcap.msgs if m[1].endswith("/state")])
        check(wait_for(lambda: "notice: connected to" in shelf.log_text()), "retail up")
        seen = wait_for(lambda: len([m for m in hcap.msgs if m[1].endswith("/state")])
                        > n0, 3)
        check(not seen, "a state published again with nothing changed: %r" %
              [m for m in hcap.msgs if m[1].endswith("/state")])

        # Home Assistant's birth message: every config again.
        nconf = len([m for m in hcap.msgs if m[1].startswith(DISCO + "/")])
        pub(home, DISCO + "/status", b"online")
        check(wait_for(lambda: len([m for m in hcap.msgs if m[1].startswith(DISCO + "/")
                                    and m[1].endswith("/config")]) >= nconf + len(configs)),
              "configs sent again after Home Assistant's birth")

        # Bad commands: logged, nothing changes.
        before = orders(shelf.store)
        bad = [("%s/item0/command" % HP, b"ORDER", "neither"),
               ("%s/item0/command" % HP, b" order", "neither"),
               ("%s/item0/command" % HP, b"order" * 20000, "more than the 16"),
               ("%s/nope/command" % HP, b"order", "no item 'nope'")]
        for t, p, why in bad:
            pub(home, t, p)
            check(wait_for(lambda: why in shelf.log_text()), "logged: %s\n%s" %
                  (why, shelf.tail()))
        check(orders(shelf.store) == before, "bad commands changed the store")

        # A good one orders (as pantryctl order does), and the state says so.
        pub(home, "%s/item0/command" % HP, b"order")
        check(wait_for(lambda: any(o[1] == "item0" for o in orders(shelf.store))),
              "order command: an order of item0\n" + shelf.tail())
        check(wait_for(lambda: (json.loads(retained_all(home, HP + "/item0/state").get(
            HP + "/item0/state", "{}")).get("order") or {}).get("state") in
            ("queued", "published")), "the state shows the order")

        # A retained command (one that would act again at every connect).
        pub(home, "%s/item1/command" % HP, b"order", retain=True)
        check(shelf.stop() == 0, "stopped cleanly")
        check(retained_all(home, HP + "/status").get(HP + "/status") == "offline",
              "offline retained at stop")
        check(retained_all(home, HP + "/link").get(HP + "/link") == "disconnected",
              "the retailer link disconnected at stop")
        before = orders(shelf.store)
        shelf.start()
        check(wait_for(lambda: "a retained message" in shelf.log_text()),
              "retained command logged\n" + shelf.tail())
        check(orders(shelf.store) == before, "a retained command changed the store")
        pub(home, "%s/item1/command" % HP, b"", retain=True)
        check(shelf.stop() == 0, "stopped cleanly")

        # Commands off and item1 gone: buttons and item1's configs removed, and
        # an order command does nothing.
        shelf = Shelf(sd, AGENT, retail, n=1)
        add_home(shelf, home)
        shelf.start()
        check(wait_for(lambda: "removing the discovery config" in shelf.log_text()),
              "configs removed\n" + shelf.tail())
        check(wait_for(lambda: not [t for t in retained_all(home, DISCO + "/#")
                                    if "item1_" in t or "/button/" in t]),
              "item1's configs and the buttons emptied")
        configs = retained_all(home, DISCO + "/#")
        states = {"item0": json.loads(retained_all(home, HP + "/item0/state")[
            HP + "/item0/state"])}
        check_configs(configs, states, ["item0"], False)
        before = orders(shelf.store)
        pub(home, "%s/item0/command" % HP, b"confirm")
        pub(home, "%s/item0/command" % HP, b"order")
        check(not wait_for(lambda: orders(shelf.store) != before, 2),
              "commands off, and the store changed")

        # The home broker goes away: pantryctl status says so, and when it is
        # back, connected again (its retained messages kept on disk).
        hcap.stop()
        home.stop()
        check(wait_for(lambda: "home: lost the connection to" in shelf.log_text(), 30),
              "the agent saw the home broker go\n" + shelf.tail())
        gone = ("lost the connection to %s" % home.url,
                "cannot connect to %s" % home.url)
        text, hj, _ = home_status(shelf)
        check(text.startswith("home      not connected to %s since " % home.url) and
              any("\n          last error: " + g in text for g in gone),
              "status home lost: %r" % text)
        check(isinstance(hj, dict) and hj.get("connected") is False and
              hj.get("since_ms", 0) > 0 and
              (hj.get("last_error") or {}).get("message", "").startswith(gone) and
              (hj.get("last_error") or {}).get("t_ms", 0) > 0,
              "json home lost: %r" % hj)
        home.start()
        hcap = Capture(home, topic="#", extra=AUTH)
        check(wait_for(lambda: (home_status(shelf)[1] or {}).get("connected") is True,
                       30), "json home connected again\n" + shelf.tail())
        text, hj, _ = home_status(shelf)
        check(text.startswith("home      connected to %s since " % home.url) and
              "last error: lost the connection to" in text,
              "status home back, the last error kept: %r" % text)

        # A reload whose home broker cannot work (its credentials file is
        # gone) keeps the link to the retailer.
        ups = shelf.log_text().count("notice: connected to")
        with open(shelf.conf) as f:
            kept = [x for x in f if not x.startswith("home = ")]
        with open(shelf.conf, "w") as f:
            f.writelines(kept)
        add_home(shelf, home, 'credentials_file = "%s/gone";' % d)
        shelf.proc.send_signal(signal.SIGHUP)
        check(wait_for(lambda: "error: home broker: credentials" in shelf.log_text()),
              "the bad home link logged\n" + shelf.tail())
        check(wait_for(lambda: shelf.log_text().count("notice: connected to") > ups),
              "the retailer's link back after the reload\n" + shelf.tail())
        # The home link configured but not made: not connected, and why.
        text, hj, _ = home_status(shelf)
        check(text.startswith("home      not connected to %s\n" % home.url) and
              "last error: credentials %s/gone: " % d in text,
              "status home not made: %r" % text)
        check(isinstance(hj, dict) and hj.get("connected") is False and
              hj.get("since_ms") is None and "/gone" in
              (hj.get("last_error") or {}).get("message", ""),
              "json home not made: %r" % hj)
        shelf.stop()

        # A replay of 30 days of a household: states only when they change.
        hd = os.path.join(d, "replay")
        shelf = Shelf(hd, AGENT, None, n=1, mode="auto")
        add_home(shelf, home, 'prefix = "replay";')
        demand = os.path.join(hd, "item0.demand")
        with open(demand, "w") as f:
            f.writelines("%d,40\n" % (6 * 3600 + day * 86400 + k * 5 * 3600)
                         for day in range(30) for k in range(3))
        n_before = len(hcap.msgs)
        r = subprocess.run([AGENT, "--config", shelf.conf, "--foreground",
                            "--household", "item0=" + demand, "--household-days", "30"],
                           capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "replay: %d %s" % (r.returncode, r.stderr[-3000:]))
        t = "replay/%s/item0/state" % DEVICE
        check(wait_for(lambda: retained_all(home, t).get(t) is not None), "replay state")
        got = [m[2] for m in hcap.msgs[n_before:] if m[1] == t]
        check(got and got[-1] == retained_all(home, t).get(t),
              "the last state is the retained one")
        check(all(a != b for a, b in zip(got, got[1:])),
              "a state published again unchanged: %r" %
              [a for a, b in zip(got, got[1:]) if a == b][:3])
        # Each state differs from the one before (above); and far fewer than
        # the 43200 minutes replayed: what moves is a review's runout, to the
        # minute, and the uncertainty, to the gram.
        check(90 <= len(got) <= 43200 // 10, "%d states over the replay" % len(got))
        for p in got:
            errs = [e.message for e in VALIDATOR.iter_errors(json.loads(p))]
            check(not errs, "replay state against the schema: %r %s" % (errs, p))
        check(any(json.loads(p)["decision"] in ("ordering", "ordered") for p in got),
              "the replay's states show an order")
        t = "replay/%s/status" % DEVICE
        check(retained_all(home, t).get(t) == "offline", "offline after the replay")
    finally:
        shelf.stop()
        if failures():
            print(shelf.tail(6000), file=sys.stderr)
        rcap.stop()
        hcap.stop()
        # The retailer's broker never sees consumption data.
        leaked = [m for m in rcap.msgs if "/state" in m[1] or "stock_g" in m[2] or
                  m[1].startswith(DISCO)]
        check(not leaked, "consumption data on the retailer's broker: %r" % leaked[:3])
        check(not [m for m in hcap.msgs if "/reorder" in m[1] or "/key" in m[1]],
              "retailer messages on the home broker")
        retail.stop()
        home.stop()

done()
