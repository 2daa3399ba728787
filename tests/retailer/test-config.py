#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-retailer listen's configuration file (--config,
pantry-retailer.conf(5)) against a real mosquitto on a free loopback port
(tests/broker.py), tokens made by python3-jwcrypto:

1. a file setting every kind of option (texts, whole numbers, true, a list of
   --windows) behaves as the same options on the command line: the same
   lines on stdout and the same acks, byte for byte (a reorder rejected for
   its delivery windows, one accepted, signed acks and a "shipped" ack);
2. the command line wins: its --windows replace the file's list (an order
   the file's window accepts is rejected), its --url and --db the file's;
3. mistakes are refused with status 2, the file and line in the message, and
   no database made: an unknown key (with a hint for _), wrong types, a value
   the option refuses, a file writable by group or others, an @include, a
   syntax error, a missing file, a file that is a folder;
4. packaging/pantry-retailer.conf, the sample the package installs, is read
   without an error (its settings are all listen's).
5. under systemd (Type=notify) the listener sends READY=1 to $NOTIFY_SOCKET
   (a datagram socket of the test's) once the file and the database are good,
   and nothing when the file is refused.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-config.py PANTRY_RETAILER SAMPLE_CONF
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, ".."))
sys.path.insert(0, here)
from broker import Broker, free_port  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
import jose  # noqa: E402
from listenlib import Acks, Listener, oid, pub  # noqa: E402

RETAILER = os.path.abspath(sys.argv[1])
SAMPLE = os.path.abspath(sys.argv[2])
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000
# The retailer's --windows are in its local time.
os.environ["TZ"] = "UTC"


def write_conf(path, text, mode=0o644):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)
    return path


def run(cwd, *args):
    return subprocess.run([RETAILER, "listen"] + list(args), cwd=cwd,
                          capture_output=True, timeout=60)


# The settings of part 1, and the same as options.
SETTINGS = """# every kind of value
trust = "trust";
prefix = "pantry/v1";
group = "cfg";
client-id = "cfg-1";
session-expiry = "10m";
db = "orders.db";
key = "ack.key";
retailer-id = "shop";
ship-eta = "2d";
max-age = "7d";
max-skew = "5m";
now = "%s";
windows = ["sun 10:00-11:00", "sun 12:00-13:00"];
tofu = false;
eta-from-order = true;
count = 1;
""" % NOW_TEXT
OPTIONS = ["--trust", "trust", "--prefix", "pantry/v1", "--group", "cfg",
           "--client-id", "cfg-1", "--session-expiry", "10m", "--db", "orders.db",
           "--key", "ack.key", "--retailer-id", "shop", "--ship-eta", "2d",
           "--max-age", "7d", "--max-skew", "5m", "--now", NOW_TEXT,
           "--windows", "sun 10:00-11:00", "--windows", "sun 12:00-13:00",
           "--eta-from-order", "--count", "1"]


def workdir(d, name, dev):
    w = os.path.join(d, name)
    os.makedirs(os.path.join(w, "trust"))
    dev.write_trust(os.path.join(w, "trust"))
    shutil.copy(os.path.join(d, "ack.key"), os.path.join(w, "ack.key"))
    os.chmod(os.path.join(w, "ack.key"), 0o600)
    return w


def one_run(d, broker, dev, name, args, extra=()):
    """A listener in its own folder; a v2 reorder whose windows miss the
    file's, then a v1 reorder; returns (stdout, the acks)."""
    w = workdir(d, name, dev)
    acks = Acks(d, broker)
    lis = Listener(RETAILER, w, name, broker.url, *args, *extra)
    check(lis.subscribed(), "%s subscribes: %s" % (name, lis.log()))
    topic = "pantry/v1/%s/reorder" % dev.name
    pub(broker, topic, dev.sign(jose.reorder2(dev.name, 1, NOW, oid(1))))
    pub(broker, topic, dev.sign(jose.reorder(dev.name, 2, NOW, oid(2))))
    check(lis.exited() and lis.proc.returncode == 0,
          "%s exits after --count 1: %s" % (name, lis.log()[-500:]))
    check(wait_for(lambda: len(acks.lines()) >= 3),
          "%s: three acks (rejected, accepted, shipped): %s" % (name, acks.lines()))
    acks.stop()
    return lis.raw(), acks.lines()


def part_same(d, broker, dev):
    w = os.path.join(d, "conf-file")
    write_conf(os.path.join(d, "listen.conf"), SETTINGS)
    by_file = one_run(d, broker, dev, "conf-file",
                      ["--config", os.path.join(d, "listen.conf")])
    by_args = one_run(d, broker, dev, "conf-args", OPTIONS)
    out, signed = by_file
    acks = [json.loads(jose.unb64(a.split(" ", 1)[1].split(".")[1])) for a in signed]
    check(out.count("\n") == 1 and oid(2) in out and oid(1) not in out,
          "the file's listener accepts the v1 order only: %r" % out)
    check(len(acks) == 3 and acks[0]["status"] == "rejected" and
          "meets ours (sun 10:00-11:00, " in acks[0]["reason"],
          "the file's two windows reject the v2 order: %s" % acks[:1])
    check([a["status"] for a in acks[1:]] == ["accepted", "shipped"] and
          acks[2]["eta"] == "2026-10-03T12:00:00Z" and
          all(a.get("retailer") == "shop" for a in acks),
          "ship-eta and retailer-id from the file: %s" % acks)
    check(os.path.exists(os.path.join(w, "orders.db")), "db from the file")
    check(by_file == by_args,
          "the file and the command line give the same lines and acks:\n%s\n%s" %
          (by_file, by_args))


def part_wins(d, broker, dev):
    # The file's window meets the v2 order's (Saturday 10:00-24:00 at UTC+02:00
    # meets Saturday 08:00-12:00 UTC); the command line's replaces it, and
    # does not: added to the file's instead, the order would be accepted.
    conf = write_conf(os.path.join(d, "wins.conf"),
                      SETTINGS.replace('db = "orders.db"', 'db = "file.db"').replace(
                          '["sun 10:00-11:00", "sun 12:00-13:00"]',
                          '["sat 08:00-12:00"]'))
    w = workdir(d, "wins", dev)
    acks = Acks(d, broker)
    lis = Listener(RETAILER, w, "wins", broker.url, "--config", conf,
                   "--windows", "sun 10:00-11:00", "--db", "args.db")
    check(lis.subscribed(), "subscribes: %s" % lis.log())
    topic = "pantry/v1/%s/reorder" % dev.name
    pub(broker, topic, dev.sign(jose.reorder2(dev.name, 1, NOW, oid(1))))
    pub(broker, topic, dev.sign(jose.reorder(dev.name, 2, NOW, oid(2))))
    check(lis.exited() and lis.proc.returncode == 0, "exits: %s" % lis.log())
    check(wait_for(lambda: len(acks.lines()) >= 1), "an ack")
    first = json.loads(jose.unb64(acks.lines()[0].split(" ", 1)[1].split(".")[1]))
    check(first["status"] == "rejected" and
          first["reason"].endswith("meets ours (sun 10:00-11:00, UTC+00:00)") and
          oid(1) not in lis.raw(),
          "the command line's --windows replace the file's: %s" % first)
    check(os.path.exists(os.path.join(w, "args.db")) and
          not os.path.exists(os.path.join(w, "file.db")),
          "the command line's --db wins: %s" % os.listdir(w))
    acks.stop()
    port = free_port()
    p = run(w, "--config", conf, "--url", "mqtt://127.0.0.1:%d" % port,
            "--exit-idle", "1", "--db", "args.db")
    check(p.returncode == 1 and b"127.0.0.1:%d was never reached" % port in p.stderr,
          "the command line's --url and --exit-idle: %s" % p.stderr[-300:])


def part_errors(d, dev):
    w = workdir(d, "errors", dev)
    good = 'url = "mqtt://127.0.0.1:1";\ntrust = "trust";\n'
    cases = [
        ("unknown", good + "colour = \"red\";\n", 0o644, ":3: colour: not a setting"),
        ("underscore", good + "client_id = \"x\";\n", 0o644,
         ":3: client_id: not a setting of pantry-retailer listen (names use -, "),
        ("config", good + "config = \"x.conf\";\n", 0o644, ":3: config: not a setting"),
        ("bool-text", good + "tofu = \"yes\";\n", 0o644,
         ":3: tofu: expected true or false, found a text"),
        ("float", good + "count = 1.5;\n", 0o644,
         ":3: count: expected a text or a whole number, found a decimal number"),
        ("group", good + "db = { path = \"x\"; };\n", 0o644,
         ":3: db: expected a text or a whole number, found a group"),
        ("list", good + "prefix = [\"a\", \"b\"];\n", 0o644,
         ":3: prefix: expected a text or a whole number, found an array"),
        ("list-num", good + "windows = [1, 2];\n", 0o644,
         ":3: windows.[0]: expected a text, found a whole number"),
        ("value", good + "\ncount = 0;\n", 0o644,
         ":4: --count: '0' is not a whole number"),
        ("window-value", good + "windows = (\"mon-fri 08:00-18:00\",\n \"someday\");\n",
         0o644, ":3: --windows: 'someday' is not days"),
        # libconfig 1.5 reads a literal past 64 bits as -1: refused all the same.
        ("huge", good + "count = 99999999999999999999;\n", 0o644, ":3: --count: "),
        ("world", good, 0o646, "writable by group or others (mode 0646)"),
        ("group-w", good, 0o664, "writable by group or others (mode 0664)"),
        ("include", good + "@include \"/etc/passwd\"\n", 0o644,
         ":3: @include: every setting must be in this one file"),
        ("syntax", good + "count = ;\n", 0o644, ":3: syntax error"),
        # A text where libconfig 1.5 leaks it (its parser's error token): the
        # sanitizer build's leak check would turn status 2 into 1.
        ("syntax-text", good + "# \"a\"\nprefix \"x\" /* \"y\" */;\n", 0o644,
         ":4: syntax error"),
        ("dup", good + "url = \"mqtt://x:1\";\n", 0o644, ":3: duplicate setting"),
    ]
    for name, text, mode, want in cases:
        conf = write_conf(os.path.join(w, name + ".conf"), text, mode)
        p = run(w, "--config", conf)
        err = p.stderr.decode()
        check(p.returncode == 2 and (conf + want) in err if want.startswith(":")
              else p.returncode == 2 and want in err and conf in err,
              "%s: status 2 and %r: %d %s" % (name, want, p.returncode, err[:300]))
    p = run(w, "--config", os.path.join(w, "missing.conf"))
    check(p.returncode == 2 and b"missing.conf: No such file" in p.stderr,
          "a missing --config: %s" % p.stderr)
    p = run(w, "--config", "", "--url", "mqtt://127.0.0.1:%d" % free_port(),
            "--trust", "trust", "--exit-idle", "1", "--db", "empty.db")
    check(p.returncode == 1 and b"never reached" in p.stderr and
          os.path.exists(os.path.join(w, "empty.db")),
          "--config '' reads no file: %s" % p.stderr[-300:])
    os.unlink(os.path.join(w, "empty.db"))
    p = run(w, "--config", w)
    check(p.returncode == 2 and b"not a regular file" in p.stderr,
          "a folder as --config: %s" % p.stderr)
    check(not [f for f in os.listdir(w) if f.endswith(".db")],
          "no database made: %s" % os.listdir(w))


def part_sample(d, dev):
    w = workdir(d, "sample", dev)
    conf = os.path.join(w, "pantry-retailer.conf")
    shutil.copy(SAMPLE, conf)
    os.chmod(conf, 0o644)
    port = free_port()
    # The sample's paths are /etc's and /var/lib's: the command line moves them.
    p = run(w, "--config", conf, "--url", "mqtt://127.0.0.1:%d" % port,
            "--trust", "trust", "--db", "sample.db", "--key", "ack.key",
            "--exit-idle", "1")
    check(p.returncode == 1 and b"never reached" in p.stderr,
          "the sample is read: %d %s" % (p.returncode, p.stderr[-400:]))


def part_notify(d, dev):
    w = workdir(d, "notify", dev)
    conf = write_conf(os.path.join(w, "n.conf"),
                      'url = "mqtt://127.0.0.1:%d";\ntrust = "trust";\nexit-idle = 1;\n'
                      % free_port())
    bad = write_conf(os.path.join(w, "bad.conf"), 'url = 1.5;\n')
    for path, want in ((bad, 2), (conf, 1)):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(os.path.join(w, "notify.sock"))
        try:
            p = subprocess.run([RETAILER, "listen", "--config", path], cwd=w,
                               capture_output=True, timeout=60,
                               env=dict(os.environ,
                                        NOTIFY_SOCKET=os.path.join(w, "notify.sock")))
            sock.setblocking(False)
            got = []
            while True:
                try:
                    got.append(sock.recv(4096))
                except BlockingIOError:
                    break
        finally:
            sock.close()
            os.unlink(os.path.join(w, "notify.sock"))
        check(p.returncode == want and
              got == ([b"READY=1"] if want == 1 else []),
              "%s: status %d, notified %s: %s" % (os.path.basename(path), p.returncode,
                                                 got, p.stderr[-300:]))


with tempfile.TemporaryDirectory() as d:
    dev = jose.Device("pi-cfg")
    k = subprocess.run([RETAILER, "keygen", "--key", os.path.join(d, "ack.key")],
                       capture_output=True, timeout=30)
    check(k.returncode == 0, "keygen: %s" % k.stderr)
    part_errors(d, dev)
    part_sample(d, dev)
    part_notify(d, dev)
    broker = Broker(os.path.join(d, "broker")).start()
    try:
        part_same(d, broker, dev)
        part_wins(d, broker, dev)
    finally:
        broker.stop()

done()
