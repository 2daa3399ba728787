# SPDX-License-Identifier: GPL-2.0-or-later
"""What the MQTT tests share: a live shelf (pantry-agent running as systemd
would start it, on a fake IIO sysfs tree, asked to order through its control
socket), a retailer (pantry-retailer listen, its accepted lines read as they
come), a capture of everything on the broker (mosquitto_sub), reading the
agent's store with Python's sqlite3 (not our code), and verifying tokens with
python3-jwcrypto. Every wait polls with a deadline; nothing sleeps blindly.
In a cross build (meson sets MESON_EXE_WRAPPER: qemu-user with the release's
sysroot) the programs run under the emulator: emulated(), below."""
import atexit
import json
import os
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import call, put, wait_for  # noqa: E402

ZERO = 8388608  # the hx711 driver's offset binary zero


def emulated(*programs):
    """The programs as paths to run: in a cross build, each becomes a script
    (in a directory removed at exit) that runs it under MESON_EXE_WRAPPER, so
    every command line of a test (and the agent's own, as systemd would start
    it) stays as it is."""
    wrap = shlex.split(os.environ.get("MESON_EXE_WRAPPER", ""))
    if not wrap:
        return programs if len(programs) != 1 else programs[0]
    d = tempfile.mkdtemp(prefix="emulated-")
    atexit.register(shutil.rmtree, d, True)
    out = []
    for p in programs:
        path = os.path.join(d, os.path.basename(p))
        with open(path, "w") as f:
            f.write("#!/bin/sh\nexec %s \"$@\"\n" % " ".join(map(shlex.quote, wrap + [p])))
        os.chmod(path, 0o755)
        out.append(path)
    return out if len(out) != 1 else out[0]
DEVICE = "kitchen-pi"
PREFIX = "pantry/v1"


class Shelf:
    """A live pantry-agent with n items on fake load cells (750 g each)."""

    def __init__(self, d, agent, broker, n=2, extra_broker="", mode="confirm",
                 device=DEVICE, wrapper=None):
        self.d, self.agent, self.n, self.device = d, agent, n, device
        self.items = ["item%d" % i for i in range(n)]
        self.sysfs = os.path.join(d, "sys")
        self.conf = os.path.join(d, "pantry-agent.conf")
        self.sock = os.path.join(d, "control.sock")
        self.store = os.path.join(d, "pantry.db")
        self.log_path = os.path.join(d, "agent.log")
        self.wrapper = wrapper or []
        self.proc = None
        chans, items = [], []
        for i, it in enumerate(self.items):
            dev = os.path.join(self.sysfs, "iio:device%d" % i)
            os.makedirs(dev, exist_ok=True)
            put(os.path.join(dev, "name"), "hx711\n")
            put(os.path.join(dev, "label"), "shelf-%s\n" % it)
            put(os.path.join(dev, "in_voltage0_raw"), "%d\n" % (ZERO + 300000))
            chans.append('{ name = "%s"; iio = { device = "shelf-%s"; }; '
                         'period = "200ms"; }' % (it, it))
            items.append('{ id = "%s"; name = "Item %d"; sku = "SKU-%d"; '
                         'gtin = "4006381333931"; channel = "%s"; pack = 1000; '
                         'mode = "%s"; price = 2.50; max_orders_30d = 30; '
                         'calibration = { zero = 0; span_raw = 400000; '
                         'span = 1000.0; }; }' % (it, i, i, it, mode))
        broker_url = broker.url if broker is not None else ""
        with open(self.conf, "w") as f:
            f.write('device_id = "%s";\n' % device)
            f.write('store_path = "%s";\nkey_path = "%s/device.key";\n'
                    % (self.store, d))
            f.write('control_socket = "%s";\ncancel_window = "15m";\n' % self.sock)
            f.write('broker = { url = "%s"; keepalive = "5s"; ack_wait = "60s"; '
                    'resend = "2s"; %s };\n' % (broker_url, extra_broker))
            f.write("channels = ( %s );\n" % ",\n  ".join(chans))
            f.write("items = ( %s );\n" % ",\n  ".join(items))

    def start(self):
        env = dict(os.environ, PANTRY_IIO_SYSFS_ROOT=self.sysfs)
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(self.wrapper + [self.agent, "--config", self.conf,
                                                     "--foreground", "--verbose"],
                                     env=env, stdout=self.log, stderr=self.log)
        wait_for(lambda: self.proc.poll() is not None or
                 (os.path.exists(self.sock) and self.ping()), 30)
        if self.proc.poll() is not None or not self.ping():
            raise RuntimeError("the agent did not start:\n" + self.tail())
        return self

    def ping(self):
        try:
            return call(self.sock, {"cmd": "ping"})["ok"]
        except OSError:
            return False

    def order(self, item):
        return call(self.sock, {"cmd": "order", "item": item})

    def cancel(self, item):
        return call(self.sock, {"cmd": "cancel", "item": item})

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None:
            return None
        self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.log.close()
        return rc

    def tail(self, n=3000):
        try:
            with open(self.log_path) as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def log_text(self):
        with open(self.log_path) as f:
            return f.read()

    def orders(self):
        """order_id -> (item, state, seq, message) read with Python's sqlite3."""
        if not os.path.exists(self.store):
            return {}
        db = sqlite3.connect("file:%s?mode=ro" % self.store, uri=True, timeout=10)
        try:
            return {r[0]: r[1:] for r in db.execute(
                "SELECT order_id, item, state, seq, message FROM orders")}
        finally:
            db.close()

    def cancels(self):
        db = sqlite3.connect("file:%s?mode=ro" % self.store, uri=True, timeout=10)
        try:
            return {r[0]: r[1:] for r in db.execute(
                "SELECT order_id, seq, message, published_ms, answer FROM cancels")}
        finally:
            db.close()

    def keygen(self, pantryctl):
        """Make the device key with pantryctl keygen (as a household would) and
        return its public JWK text, for the retailer's trust store."""
        r = subprocess.run([pantryctl, "--config", self.conf, "--json", "keygen"],
                           capture_output=True, text=True, check=True)
        return json.dumps(json.loads(r.stdout)["jwk"])


class Retailer:
    """pantry-retailer listen; accepted lines collected by a reader thread."""

    def __init__(self, d, binary, broker, trust, args=(), name="r"):
        self.d, self.binary = d, binary
        self.lines, self.proc = [], None
        self.subscribed = 0
        self.db = os.path.join(d, "retailer.db")
        self.err_path = os.path.join(d, "retailer-%s.log" % name)
        self.cmd = [binary, "listen", "--url", broker.url, "--trust", trust,
                    "--db", self.db, "--client-id", "test-%s-%d" % (name, os.getpid())]
        self.cmd += list(args)

    def start(self):
        self.err = open(self.err_path, "a")
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True)
        threading.Thread(target=self._read, daemon=True).start()
        # A share group drops what is published before a member subscribed.
        if not wait_for(lambda: self.proc.poll() is not None or
                        self.log_text().count("subscribed to") > self.subscribed, 20):
            raise RuntimeError("the retailer did not subscribe:\n" + self.log_text())
        self.subscribed = self.log_text().count("subscribed to")
        return self

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(json.loads(line))

    def accepted(self, kind="reorder"):
        return [x for x in self.lines if x.get("accepted") == kind]

    def stop(self):
        if self.proc is None:
            return None
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc = None
        self.err.close()
        return rc

    def log_text(self):
        try:
            with open(self.err_path) as f:
                return f.read()
        except OSError:
            return ""


class Capture:
    """Everything published under the prefix, as (retained, topic, payload)."""

    def __init__(self, broker, topic=PREFIX + "/#", extra=()):
        self.msgs = []
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), "-V", "mqttv5",
             "-q", "1", "-t", topic, "-F", "%r %t %p"] + list(extra),
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            retained, topic, payload = line.rstrip("\n").split(" ", 2)
            self.msgs.append((retained == "1", topic, payload))

    def on(self, suffix):
        return [m for m in self.msgs if m[1].endswith("/" + suffix)]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def retained(broker, topic, timeout=5):
    """The retained message of topic now (None if none), via mosquitto_sub."""
    r = subprocess.run(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port),
                        "-t", topic, "-C", "1", "-W", str(timeout), "--retained-only"],
                       capture_output=True, text=True)
    return r.stdout.strip() or None


def jwcrypto_verify(jwk_text, token):
    """(header, payload) of token verified by python3-jwcrypto with only the
    public JWK, or None when it does not verify."""
    from jwcrypto import jwk, jws
    key = jwk.JWK.from_json(jwk_text)
    t = jws.JWS()
    try:
        t.deserialize(token)
        t.verify(key, alg="EdDSA")
    except Exception:  # jwcrypto raises several kinds; any is a failure
        return None
    return json.loads(t.jose_header if isinstance(t.jose_header, str)
                      else json.dumps(t.jose_header)), json.loads(t.payload)
