#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-agent live with a scale and a button on the home broker only
(agent/mqttfeed.c): nothing to probe, no hardware touched, so the daemon
starts on a machine without load cells, says which topics it reads, answers
on its control socket and stops cleanly; the item on the grams feed needs no
calibration in the configuration. (The home broker's link, which hands the
registry its messages, is another part of issue 15.)

usage: test-feed-daemon.py AGENT
"""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done, put, wait_for  # noqa: E402

AGENT = sys.argv[1]

CONF = """device_id = "test-pi";
store_path = "{d}/pantry.db";
key_path = "{d}/device.key";
control_socket = "{d}/control.sock";
channels = ( {{ name = "shelf2";
  mqtt = {{ topic = "esphome-pantry/sensor/rice_scale/state"; }}; }} );
items = ( {{ id = "rice"; channel = "shelf2"; pack = 1000; }} );
buttons = ( {{ item = "rice";
  zigbee2mqtt = {{ topic = "zigbee2mqtt/pantry_button"; }}; }} );
"""

with tempfile.TemporaryDirectory() as d:
    conf = os.path.join(d, "pantry-agent.conf")
    put(conf, CONF.format(d=d))
    # No sysfs, no gpiochip: a tree without devices, so a probe would fail.
    env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.join(d, "no-sys"))
    logpath = os.path.join(d, "daemon.log")
    log = open(logpath, "w")
    daemon = subprocess.Popen([AGENT, "--config", conf, "--foreground"], env=env,
                              stdout=log, stderr=log)
    try:
        up = wait_for(lambda: daemon.poll() is not None or
                      os.path.exists(os.path.join(d, "control.sock")), 30)
        check(up and daemon.poll() is None, "the daemon runs with feeds only")
        r = subprocess.run([AGENT, "--check-config", conf], env=env,
                           capture_output=True, text=True, timeout=60)
        check(r.returncode == 0, "--check-config: " + r.stderr)
    finally:
        daemon.terminate()
        daemon.wait(timeout=30)
        log.close()
    text = open(logpath).read()
    check(daemon.returncode == 0, "stopped cleanly: %d\n%s" % (daemon.returncode,
                                                              text[-2000:]))
    check("home broker: 2 scale and button topics to read" in text,
          "the log names the feed's topics:\n" + text[-2000:])
    check("iio" not in text and "gpiochip" not in text,
          "no hardware was opened:\n" + text[-2000:])
done()
