# SPDX-License-Identifier: GPL-2.0-or-later
"""What the tests of `pantry-retailer listen` share: a listener with its
output in files, a subscriber to the acks, mosquitto_pub, order ids, and the
cleanup of every process they start (a failed test must not leave one
holding its pipes).
"""
import atexit
import json
import os
import signal
import subprocess

from checks import check, wait_for

_procs = []


@atexit.register
def _kill_all():
    for p in _procs:
        if p.poll() is None:
            p.kill()
            p.wait()


def oid(n, item="rice"):
    return "%s-20261001T120000Z-%08x" % (item, n)


def read(path):
    """The text of path ("" while it does not exist)."""
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def pub(broker, topic, payload, tls=(), retain=False):
    subprocess.run(["mosquitto_pub", "-p", str(broker.port), "-h", "127.0.0.1",
                    "-q", "1", "-t", topic, "-m", payload] + list(tls) +
                   (["-r"] if retain else []), check=True, timeout=20)


class Listener:
    """pantry-retailer (the program given) listen, stderr in a file, stdout in
    a file or the fd given."""

    def __init__(self, retailer, d, name, url, *args, stdout=None):
        self.out = os.path.join(d, name + ".out")
        self.err = os.path.join(d, name + ".err")
        self.proc = subprocess.Popen(
            [retailer, "listen", "--url", url] + list(args),
            stdout=stdout if stdout is not None else open(self.out, "ab"),
            stderr=open(self.err, "ab"), cwd=d)
        _procs.append(self.proc)

    def raw(self):
        return read(self.out)

    def lines(self):
        return [json.loads(x) for x in self.raw().splitlines()]

    def log(self):
        return read(self.err)

    def subscribed(self, n=1):
        """Once it has subscribed n times (False if it exits first)."""
        return wait_for(lambda: self.log().count("subscribed to") >= n or
                        self.proc.poll() is not None) and \
            self.log().count("subscribed to") >= n

    def exited(self, timeout=30):
        return wait_for(lambda: self.proc.poll() is not None, timeout)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


class Acks:
    """mosquitto_sub on <prefix>/+/ack, and a probe topic to know it listens."""

    def __init__(self, d, broker, tls_args=()):
        self.path = os.path.join(d, "acks-%d-%d.txt" % (broker.port, len(_procs)))
        self.broker = broker
        self.tls = list(tls_args)
        self.proc = subprocess.Popen(
            ["mosquitto_sub", "-p", str(broker.port), "-h", "127.0.0.1", "-q", "1",
             "-v", "-t", "pantry/v1/+/ack", "-t", "probe"] + self.tls,
            stdout=open(self.path, "w"))
        _procs.append(self.proc)
        check(wait_for(self._probe), "mosquitto_sub listens")

    def _probe(self):
        pub(self.broker, "probe", "x", self.tls)
        return "probe x" in read(self.path)

    def lines(self):
        """Every ack as mosquitto_sub printed it: "topic payload"."""
        return [line for line in read(self.path).splitlines()
                if not line.startswith("probe ")]

    def all(self):
        """Every ack as (topic, payload)."""
        return [tuple(line.split(" ", 1)) for line in self.lines()]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
