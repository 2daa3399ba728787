#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""MQTT 3.1.1 where the broker speaks nothing newer: Debian 12's RabbitMQ 3.10,
whose MQTT plugin refuses MQTT 5 (a real broker, started by the test on free
loopback ports in a temp folder, and stopped).

- the agent's first attempt (MQTT 5) is refused; it falls back to 3.1.1,
  connects, and says so;
- a manual order is published (PUBACK -> published) and a retained "online"
  status is left on the broker;
- an ack published with MQTT 3.1.1 (mosquitto_pub -V mqttv311) reaches it
  through its subscription, and the order is acknowledged;
- a reconnect after the broker restarts stays on 3.1.1.

Skipped (77) only when rabbitmq-server is not installed (packaging/install-deps.sh
test installs it).

usage: test-mqtt311.py AGENT
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import free_port  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
from mqttlib import DEVICE, PREFIX, Shelf  # noqa: E402

AGENT = sys.argv[1]
SERVER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
need("rabbitmq-server", paths=[SERVER])
need("mosquitto-clients", programs=["mosquitto_pub"])


class Rabbit:
    """RabbitMQ with only its MQTT listener, everything in folder d."""

    def __init__(self, d):
        self.d = d
        self.port = free_port()
        self.url = "mqtt://127.0.0.1:%d" % self.port
        with open(os.path.join(d, "rabbitmq.conf"), "w") as f:
            f.write("listeners.tcp = none\n"
                    "mqtt.listeners.tcp.default = 127.0.0.1:%d\n"
                    "mqtt.allow_anonymous = true\n"
                    "loopback_users = none\n"
                    "log.console = true\nlog.console.level = warning\n"
                    "log.file = false\n" % self.port)
        with open(os.path.join(d, "enabled_plugins"), "w") as f:
            f.write("[rabbitmq_mqtt].\n")
        self.env = dict(os.environ, HOME=d,
                        RABBITMQ_NODENAME="pantry%d@localhost" % os.getpid(),
                        RABBITMQ_CONFIG_FILE=os.path.join(d, "rabbitmq.conf"),
                        RABBITMQ_ENABLED_PLUGINS_FILE=os.path.join(d, "enabled_plugins"),
                        RABBITMQ_MNESIA_BASE=os.path.join(d, "mnesia"),
                        RABBITMQ_LOG_BASE=os.path.join(d, "log"),
                        RABBITMQ_PID_FILE=os.path.join(d, "pid"),
                        RABBITMQ_DIST_PORT=str(free_port()),
                        ERL_EPMD_PORT=str(free_port()))
        self.proc = None

    def start(self):
        self.log = open(os.path.join(self.d, "rabbit.log"), "a")
        self.proc = subprocess.Popen([SERVER], env=self.env, stdout=self.log,
                                     stderr=self.log, start_new_session=True)

        def up():
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return True
            except OSError:
                return False
        if not wait_for(up, 90):
            raise RuntimeError("rabbitmq did not start")
        return self

    def stop(self):
        # The whole session: the Erlang VM, and the epmd it started.
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        # epmd daemonizes out of the session: ask the one on our port to go.
        epmd = shutil.which("epmd") or "/usr/bin/epmd"
        subprocess.run([epmd, "-kill"], env=self.env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        self.log.close()


def mqtt311(port, *args):
    return subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port),
                           "-V", "mqttv311", "-q", "1"] + list(args),
                          capture_output=True, text=True)


with tempfile.TemporaryDirectory() as d:
    rabbit = Rabbit(d).start()
    # The broker itself: 3.1.1 in, 5 out.
    check(mqtt311(rabbit.port, "-t", "probe", "-m", "x").returncode == 0,
          "rabbitmq takes MQTT 3.1.1")
    v5 = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(rabbit.port),
                         "-V", "mqttv5", "-t", "probe", "-m", "x"], capture_output=True)
    check(v5.returncode != 0, "rabbitmq 3.10 refuses MQTT 5")

    shelf = Shelf(os.path.join(d, "shelf"), AGENT, rabbit, n=1)
    shelf.start()
    check(wait_for(lambda: "(MQTT 3.1.1" in shelf.log_text(), 30),
          "fell back to 3.1.1:\n%s" % shelf.tail())
    log = shelf.log_text()
    check("the next attempt tries 3.1.1" in log, "the log says why it falls back")
    r = shelf.order("item0")
    check(r["ok"], "order: %r" % r)

    def state():
        return [v[1] for v in shelf.orders().values()]
    check(wait_for(lambda: state() == ["published"], 20), "published: %r" % state())
    oid, (_, _, seq, _) = next(iter(shelf.orders().items()))
    ack = {"v": 1, "type": "ack", "order_id": oid, "device": DEVICE, "seq": seq,
           "iat": 1, "status": "accepted", "retailer": "rabbit-shop"}
    topic = "%s/%s/" % (PREFIX, DEVICE)
    r = mqtt311(rabbit.port, "-t", topic + "ack", "-m", json.dumps(ack))
    check(r.returncode == 0, "ack published with 3.1.1: %s" % r.stderr)
    check(wait_for(lambda: state() == ["acknowledged"], 20),
          "acknowledged through a 3.1.1 subscription: %r\n%s" % (state(), shelf.tail()))
    got = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(rabbit.port),
                          "-V", "mqttv311", "-t", topic + "status", "-C", "1", "-W", "5"],
                         capture_output=True, text=True)
    check('"state":"online"' in got.stdout, "retained online status: %r" % got.stdout)

    # The broker restarts: the reconnect keeps 3.1.1, with no MQTT 5 attempt.
    before = shelf.log_text().count("the next attempt tries")
    rabbit.stop()
    rabbit.start()
    check(wait_for(lambda: shelf.log_text().count("(MQTT 3.1.1") >= 2, 60),
          "reconnected with 3.1.1:\n%s" % shelf.tail())
    check(shelf.log_text().count("the next attempt tries") == before,
          "no version hunting after the first connection")
    check(shelf.stop() == 0, "stop")
    rabbit.stop()
done()
