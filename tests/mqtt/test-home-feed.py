#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""test-home-feed (the home link's feed and subscriptions, issue 15) against a
private mosquitto on a free loopback port.

usage: test-home-feed.py TEST_HOME_FEED
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from broker import Broker  # noqa: E402
from checks import need  # noqa: E402
need("mosquitto", programs=["mosquitto"])

with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    rc = subprocess.run([sys.argv[1], broker.url]).returncode
    broker.stop()
sys.exit(rc)
