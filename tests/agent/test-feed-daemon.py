#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-agent live with a scale and a button on the home broker only
(agent/link/mqttfeed.c, agent/link/home.c), end to end on a real mosquitto driven with
mosquitto_pub, as an ESPHome scale and a zigbee2mqtt button would:

- nothing to probe, no hardware touched: the daemon starts on a machine
  without load cells, says which topics it reads and passes --check-config;
- the scale's state topic ("812.4" grams, once a second) becomes the item's
  stock, seen on the control socket and in the item's retained state on the
  same broker; the item on the grams feed needs no calibration;
- bad payloads ("12abc", "1e999", 100 KB) get a log line naming the topic and
  change nothing;
- a retained {"action":"single"} (what the broker keeps from before) orders
  nothing; a live one orders the button's item; a second "single" while that
  order is open is refused like a second pantryctl order; a message without
  an action is not a press.

usage: test-feed-daemon.py AGENT
"""
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from broker import Broker  # noqa: E402
from checks import call, check, done, need, put, wait_for  # noqa: E402

need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_pub", "mosquitto_sub"])
AGENT = sys.argv[1]
SCALE = "esphome-pantry/sensor/rice_scale/state"
BUTTON = "zigbee2mqtt/pantry_button"

CONF = """device_id = "test-pi";
store_path = "{d}/pantry.db";
key_path = "{d}/device.key";
control_socket = "{d}/control.sock";
home = {{ url = "{url}"; }};
channels = ( {{ name = "shelf2";
  mqtt = {{ topic = "{scale}"; interval = "1s"; }}; }} );
items = ( {{ id = "rice"; channel = "shelf2"; pack = 1000; mode = "confirm";
            conditioning = {{ settle = "3s"; }}; }} );
buttons = ( {{ item = "rice";
  zigbee2mqtt = {{ topic = "{button}"; }}; }} );
"""


def pub(broker, topic, payload, retain=False):
    args = [shutil.which("mosquitto_pub"), "-h", "127.0.0.1", "-p", str(broker.port),
            "-q", "1", "-t", topic, "-s"]
    if retain:
        args.append("-r")
    subprocess.run(args, input=payload.encode() if isinstance(payload, str) else payload,
                   check=True, timeout=20)


def retained(broker, topic):
    r = subprocess.run([shutil.which("mosquitto_sub"), "-h", "127.0.0.1", "-p",
                        str(broker.port), "-t", topic, "-C", "1", "-W", "5"],
                       capture_output=True, text=True, timeout=20)
    return r.stdout.strip()


def orders(d):
    db = sqlite3.connect(os.path.join(d, "pantry.db"))
    try:
        return db.execute("SELECT order_id, state FROM orders").fetchall()
    finally:
        db.close()


def stock(sock):
    try:
        r = call(sock, {"cmd": "status"})
    except OSError:
        return None
    return r["data"]["items"][0]["stock_g"] if r["ok"] and r.get("data") else None


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "home")).start()
    # What the broker kept from before the daemon started: a press is not retained
    # by zigbee2mqtt, but a misconfigured bridge may; it must not order.
    pub(broker, BUTTON, '{"action":"single","battery":90}', retain=True)
    conf = os.path.join(d, "pantry-agent.conf")
    put(conf, CONF.format(d=d, url=broker.url, scale=SCALE, button=BUTTON))
    sock = os.path.join(d, "control.sock")
    # No sysfs, no gpiochip: a tree without devices, so a probe would fail.
    env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.join(d, "no-sys"))
    logpath = os.path.join(d, "daemon.log")
    log = open(logpath, "w")
    daemon = subprocess.Popen([AGENT, "--config", conf, "--foreground", "--verbose"],
                              env=env, stdout=log, stderr=log)
    try:
        up = wait_for(lambda: daemon.poll() is not None or os.path.exists(sock), 30)
        check(up and daemon.poll() is None, "the daemon runs with feeds only")
        r = subprocess.run([AGENT, "--check-config", conf], env=env,
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "--check-config: " + r.stderr)
        check(wait_for(lambda: "home: connected to" in open(logpath).read(), 20),
              "the home link connects:\n" + open(logpath).read()[-2000:])

        # The scale, once a second, until the shelf has settled on its weight.
        def weighed():
            pub(broker, SCALE, "812.4")
            time.sleep(1)
            s = stock(sock)
            return s is not None and abs(s - 812.4) <= 1
        check(wait_for(weighed, 40), "the feed's grams are the stock: %r" % stock(sock))
        state = retained(broker, "pantry/test-pi/rice/state")
        try:
            sj = json.loads(state)
        except ValueError:
            sj = {}
        check(sj.get("stock_g") == 812, "the retained state has the stock: %r" % state)

        # Bad payloads: a log line naming the topic each, the stock unchanged.
        for bad in ("12abc", "1e999", "7" * 100000):
            pub(broker, SCALE, bad)
        check(wait_for(lambda: open(logpath).read().count(SCALE) >= 3, 20),
              "each bad payload is logged with its topic:\n" + open(logpath).read()[-3000:])
        s = stock(sock)
        check(s is not None and abs(s - 812.4) <= 1, "bad payloads change nothing: %r" % s)

        check(orders(d) == [], "the retained press ordered nothing: %r" % orders(d))
        pub(broker, BUTTON, '{"battery":90,"linkquality":120}')
        pub(broker, BUTTON, '{"action":"","battery":90}')
        pub(broker, BUTTON, '{"action":"single","battery":90}')
        check(wait_for(lambda: len(orders(d)) == 1, 20),
              "a live single press orders rice: %r" % orders(d))
        pub(broker, BUTTON, '{"action":"single","battery":90}')
        time.sleep(2)
        check(len(orders(d)) == 1, "a second press while it is open orders nothing more: %r"
              % orders(d))
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()
        broker.stop()
    text = open(logpath).read()
    check(daemon.returncode == 0, "stopped cleanly: %d\n%s" % (daemon.returncode,
                                                              text[-2000:]))
    check("home broker: 2 scale and button topics to read" in text,
          "the log names the feed's topics:\n" + text[-2000:])
    check("iio" not in text and "gpiochip" not in text,
          "no hardware was opened:\n" + text[-2000:])
done()
