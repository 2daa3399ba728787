#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-retailer listen --metrics against a real mosquitto on a free
loopback port (tests/broker.py), tokens made by python3-jwcrypto, the
endpoints read with urllib and http.client:

1. a port in use is an error at start, exit status 1, naming the address,
   and nothing is created (no database); a bad address is bad usage (2);
2. /health says 503 "broker: not connected yet" while the broker is not up,
   200 "ok" once the listener is connected;
3. after 3 accepted reorders, 1 duplicate, 1 rejected (sequence) and 1
   forged (signature, dropped), /metrics parsed strictly here (every sample
   a name, optional labels with escapes, a number; every family with HELP and
   TYPE before its samples; histogram buckets cumulative, +Inf == _count)
   counts exactly those, and the acks published (and python3-prometheus-client,
   when installed, reads the same samples);
4. 404 for another path, 405 (with Allow) for POST, HEAD without a body;
   at most 16 connections (the 17th closed at once), an idle one closed by
   the server, a POST body not read; [::1]:PORT when IPv6 is there;
5. the broker stopped: /health 503 "broker: not connected" and
   broker_connected 0; started again: 200, and one reconnect counted;
6. the database locked by another writer: /health 503 with the reason and a
   busy error counted; unlocked: the order accepted, /health 200.
Waits poll with deadlines; nothing sleeps a fixed time.

usage: test-metrics.py PANTRY_RETAILER
"""
import http.client
import math
import os
import re
import socket
import sqlite3
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request

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
NOW_TEXT = "2026-10-01T12:00:00Z"
NOW = 1790856000
PREFIX = "pantry_retailer_"

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(r"^(%s)(?:\{((?:%s)(?:,%s)*)?,?\})? (\S+)(?: (-?\d+))?$" %
                    (NAME, LABEL, LABEL))
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")


def unescape(v):
    return re.sub(r"\\(.)", lambda m: "\n" if m.group(1) == "n" else m.group(1), v)


def number(text):
    if text in ("+Inf", "Inf"):
        return math.inf
    if text == "-Inf":
        return -math.inf
    if text == "NaN":
        return math.nan
    if not re.fullmatch(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        raise ValueError("not a number: %r" % text)
    return float(text)


def family_of(name, types):
    """The family a sample name belongs to (histograms: _bucket/_sum/_count)."""
    if name in types:
        return name
    for suffix in ("_bucket", "_sum", "_count"):
        base = name[:-len(suffix)]
        if name.endswith(suffix) and types.get(base) in ("histogram", "summary"):
            return base
    return None


def parse(text):
    """Parse the exposition format 0.0.4 strictly: a list of problems and
    {(name, frozenset(labels.items())): value}."""
    problems, samples, helps, types, seen = [], {}, {}, {}, set()
    if not text.endswith("\n"):
        problems.append("the text does not end with a line feed")
    for n, line in enumerate(text.split("\n")[:-1], 1):
        if line.startswith("#"):
            m = re.match(r"^# (HELP|TYPE) (%s) (.*)$" % NAME, line)
            if m is None:
                continue  # a plain comment
            kind, name, rest = m.groups()
            table = helps if kind == "HELP" else types
            if name in table:
                problems.append("line %d: a second %s of %s" % (n, kind, name))
            if name in seen:
                problems.append("line %d: %s of %s after its samples" % (n, kind, name))
            if kind == "TYPE" and rest not in TYPES:
                problems.append("line %d: type %r" % (n, rest))
            table[name] = rest
            continue
        m = SAMPLE.match(line)
        if m is None:
            problems.append("line %d is not a sample: %r" % (n, line))
            continue
        name, labels_text, value = m.group(1), m.group(2) or "", m.group(7)
        labels = dict((k, unescape(v)) for k, v in re.findall(LABEL, labels_text))
        if len(labels) != len(re.findall(LABEL, labels_text)):
            problems.append("line %d: a label twice" % n)
        try:
            v = number(value)
        except ValueError as e:
            problems.append("line %d: %s" % (n, e))
            continue
        fam = family_of(name, types)
        if fam is None or fam not in helps:
            problems.append("line %d: %s without HELP and TYPE before it" % (n, name))
        seen.add(fam)
        key = (name, frozenset(labels.items()))
        if key in samples:
            problems.append("line %d: the sample %s twice" % (n, line))
        samples[key] = v
    for name, t in types.items():
        if t == "histogram":
            problems += check_histogram(name, samples)
    missing = set(helps) ^ set(types)
    if missing:
        problems.append("HELP without TYPE or the reverse: %s" % sorted(missing))
    return problems, samples, types


def check_histogram(name, samples):
    """Buckets (of one label set here) ascending in le, cumulative, +Inf last
    and equal to _count; _sum there."""
    problems = []
    buckets = sorted((number(dict(k)["le"]), v) for (n, k), v in samples.items()
                     if n == name + "_bucket")
    count = samples.get((name + "_count", frozenset()))
    if not buckets or buckets[-1][0] != math.inf:
        return ["%s: no +Inf bucket" % name]
    if any(b[1] > a[1] for b, a in zip(buckets, buckets[1:])):
        problems.append("%s: buckets not cumulative: %s" % (name, buckets))
    if count is None or buckets[-1][1] != count:
        problems.append("%s: +Inf %s != _count %s" % (name, buckets[-1][1], count))
    if (name + "_sum", frozenset()) not in samples:
        problems.append("%s: no _sum" % name)
    return problems


def get(port, path, method="GET"):
    """(status, headers, body) of one request."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read()
    finally:
        c.close()


def scrape(port):
    """The parsed /metrics, fetched with urllib."""
    with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=10) as r:
        ctype = r.headers.get("Content-Type")
        text = r.read().decode("utf-8")
    check(ctype.startswith("text/plain; version=0.0.4"), "content type %s" % ctype)
    problems, samples, types = parse(text)
    check(problems == [], "the text parses strictly: %s\n%s" % (problems, text))
    check_with_client(text, samples)
    return samples, types


def check_with_client(text, samples):
    """When python3-prometheus-client is installed (not needed): its parser
    reads the same families and samples as ours."""
    try:
        from prometheus_client.parser import text_string_to_metric_families
    except ImportError:
        return
    theirs = {}
    try:
        for fam in text_string_to_metric_families(text):
            for smp in fam.samples:
                theirs[(smp.name, frozenset(smp.labels.items()))] = smp.value
    except ValueError as e:
        check(False, "prometheus_client parses the text: %s" % e)
        return
    check(theirs == samples, "prometheus_client reads what we read: %s" %
          (set(theirs.items()) ^ set(samples.items())))


def value(samples, name, **labels):
    return samples.get((PREFIX + name, frozenset(labels.items())))


def health(port):
    try:
        with urllib.request.urlopen("http://127.0.0.1:%d/health" % port,
                                    timeout=10) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except urllib.error.URLError:
        return None, ""  # not listening yet
    except ConnectionError:
        # Reset: the server was still at its 16 connections when this one came
        # (the client's closes reach it a moment later); wait_for asks again.
        return None, ""


def part_args(d, trust):
    """A port in use, a bad address: errors before anything is touched."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen()
    port = s.getsockname()[1]
    try:
        r = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:1",
                            "--trust", trust, "--db", "busy.db", "--metrics",
                            "127.0.0.1:%d" % port], cwd=d, capture_output=True,
                           text=True, timeout=30)
    finally:
        s.close()
    check(r.returncode == 1, "a port in use: status 1 (%d)" % r.returncode)
    check("--metrics 127.0.0.1:%d: cannot listen there: Address already in use" % port
          in r.stderr, "and says so: %s" % r.stderr)
    check(not os.path.exists(os.path.join(d, "busy.db")), "and creates no database")
    for bad in ("127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:80", "[::1]80",
                "localhost:80", "127.0.0.1: 80", "127.0.0.1:+80", "[::1]:", "[::1",
                "[::1]:99999999"):
        r = subprocess.run([RETAILER, "listen", "--url", "mqtt://127.0.0.1:1",
                            "--trust", trust, "--db", "bad.db", "--metrics", bad],
                           cwd=d, capture_output=True, text=True, timeout=30)
        check(r.returncode == 2 and "is not ADDR:PORT" in r.stderr,
              "--metrics %r is bad usage: %d %s" % (bad, r.returncode, r.stderr[:200]))
    check(not os.path.exists(os.path.join(d, "bad.db")), "and creates no database")


def closed_by_server(sock, timeout=30):
    """Whether the server closes sock (read gives EOF or a reset) in time."""
    sock.settimeout(timeout)
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def part_bounds(mport):
    """16 connections at most (the 17th is closed at once, while the 16 stay
    open), an idle one closed by the server (10 s), a request body unread."""
    idle = [socket.create_connection(("127.0.0.1", mport)) for _ in range(16)]
    try:
        extra = socket.create_connection(("127.0.0.1", mport))
        check(closed_by_server(extra), "the 17th connection is closed")
        extra.close()
        for s in idle[1:]:
            s.settimeout(0)
            try:
                gone = s.recv(1) == b""
            except BlockingIOError:
                gone = False
            except ConnectionResetError:
                gone = True
            check(not gone, "the 16 others are still open")
        check(closed_by_server(idle[0]), "an idle connection is closed by the server")
    finally:
        for s in idle:
            s.close()
    check(wait_for(lambda: health(mport)[0] == 200), "and it answers again")
    # A POST with a body it must not read: 405 at once, the body unread.
    c = http.client.HTTPConnection("127.0.0.1", mport, timeout=10)
    try:
        c.request("POST", "/metrics", body=b"x" * 100000)
        status = c.getresponse().status
    except (ConnectionResetError, BrokenPipeError):
        status = "reset"
    finally:
        c.close()
    check(status in (405, "reset"), "a POST body is not read: %s" % status)


def part_ipv6(d, trust):
    """--metrics [::1]:PORT, when this machine has IPv6 on loopback."""
    try:
        s = socket.socket(socket.AF_INET6)
        s.bind(("::1", 0))
        port = s.getsockname()[1]
        s.close()
    except OSError as e:
        print("# IPv6 part skipped: %s" % e)
        return
    lis = Listener(RETAILER, d, "v6", "mqtt://127.0.0.1:1", "--trust", trust,
                   "--db", "v6.db", "--metrics", "[::1]:%d" % port)
    try:
        def status():
            try:
                return get_host("::1", port, "/health")[0]
            except OSError:
                return None
        check(wait_for(lambda: status() == 503), "[::1]: /health 503, no broker")
        # SIGTERM is the listener's to handle once it tries the broker (before,
        # it ends the process as it did before --metrics).
        check(wait_for(lambda: "cannot connect" in lis.log()), "it tries the broker")
    finally:
        check(lis.stop() == 0, "and it stops at SIGTERM with status 0")


def get_host(host, port, path):
    c = http.client.HTTPConnection(host, port, timeout=10)
    try:
        c.request("GET", path)
        r = c.getresponse()
        return r.status, r.read()
    finally:
        c.close()


def part_db_busy(d, broker, mport, dev, acks, lis):
    """The database locked by another writer past the listener's busy timeout
    (10 s): /health 503 with the reason and a busy error counted; the lock
    released, the message (retried by Paho) is accepted and /health is 200."""
    con = sqlite3.connect(os.path.join(d, "m.db"), isolation_level=None, timeout=30)
    try:
        con.execute("BEGIN IMMEDIATE")
        pub(broker, "pantry/v1/%s/reorder" % dev.name,
            dev.sign(jose.reorder(dev.name, 4, NOW, oid(4))))
        check(wait_for(lambda: health(mport)[0] == 503, 60),
              "/health 503 while the database is locked: %s" % lis.log()[-300:])
        check(health(mport) == (503, "database: the last transaction failed (busy)\n"),
              "and says why: %s" % (health(mport),))
    finally:
        con.execute("ROLLBACK")
        con.close()
    check(wait_for(lambda: len(acks.lines()) == 6, 60), "the order is accepted after")
    check(wait_for(lambda: health(mport)[0] == 200), "/health 200 again")
    samples = scrape(mport)[0]
    check(value(samples, "db_errors_total", kind="busy") >= 1, "a busy error counted")
    check("cannot record reorder %s" % oid(4) in lis.log(), "logged: %s" % lis.log()[-300:])
    check(value(samples, "messages_total", verdict="accepted", reason="ok") == 4,
          "4 accepted")


def part_serve(d, trust, dev):
    broker = Broker(os.path.join(d, "broker"))
    mport = free_port()
    lis = Listener(RETAILER, d, "m", broker.url, "--trust", trust, "--now", NOW_TEXT,
                   "--client-id", "m", "--db", "m.db", "--metrics",
                   "127.0.0.1:%d" % mport)
    try:
        check(wait_for(lambda: health(mport)[0] == 503),
              "/health answers 503 before the broker is up: %s" % lis.log())
        check(health(mport) == (503, "broker: not connected yet\n"),
              "and says why: %s" % (health(mport),))
        broker.start()
        check(lis.subscribed(), "the listener subscribes: %s" % lis.log())
        check(health(mport) == (200, "ok\n"), "/health 200 ok: %s" % (health(mport),))
        acks = Acks(d, broker)
        topic = "pantry/v1/%s/reorder" % dev.name
        tokens = [dev.sign(jose.reorder(dev.name, s, NOW, oid(s))) for s in (1, 2, 3)]
        for t in tokens:
            pub(broker, topic, t)
        pub(broker, topic, tokens[0])  # a duplicate
        pub(broker, topic, dev.sign(jose.reorder(dev.name, 2, NOW, oid(9))))  # seq
        pub(broker, topic, jose.alter(tokens[1]))  # forged: dropped
        check(wait_for(lambda: len(acks.lines()) == 5), "5 acks: %s" % acks.lines())
        check(wait_for(lambda: "dropped, not answered (signature)" in lis.log()),
              "the forged one is dropped: %s" % lis.log())
        check(wait_for(lambda: value(scrape(mport)[0], "acks_published_total") == 5),
              "5 acks published")
        samples, types = scrape(mport)
        want = {("accepted", "ok"): 3, ("duplicate", "ok"): 1,
                ("rejected", "sequence"): 1, ("dropped", "signature"): 1}
        got = dict(((dict(k)["verdict"], dict(k)["reason"]), v)
                   for (n, k), v in samples.items()
                   if n == PREFIX + "messages_total")
        check(all(got.get(k) == v for k, v in want.items()) and
              all(v == 0 for k, v in got.items() if k not in want),
              "messages by verdict and reason: %s" % got)
        check(("rejected", "malformed") in got and ("dropped", "future") in got,
              "every reason is a series, zero or not: %s" % sorted(got))
        check(types.get(PREFIX + "messages_total") == "counter", "a counter")
        for name, n in (("verify_seconds", 6), ("judge_seconds", 5),
                        ("handoff_seconds", 3)):
            check(types.get(PREFIX + name) == "histogram", "%s a histogram" % name)
            check(value(samples, name + "_count") == n,
                  "%s counts %d: %s" % (name, n, value(samples, name + "_count")))
            check(value(samples, name + "_sum") > 0, "%s has a sum" % name)
        check(value(samples, "acks_pending") == 0, "no ack pending")
        check(value(samples, "acks_failed_total") == 0, "no ack failed")
        check(value(samples, "handoff_queue_depth") == 0, "stdout has no queue")
        check(all(value(samples, "db_errors_total", kind=k) == 0
                  for k in ("busy", "io", "other")), "no database error")
        check(value(samples, "broker_connected") == 1, "connected")
        check(value(samples, "broker_reconnects_total") == 0, "no reconnect yet")
        check(value(samples, "start_time_seconds") > 1.7e9, "a start time")
        builds = [dict(k) for (n, k), v in samples.items()
                  if n == PREFIX + "build_info" and v == 1]
        check(len(builds) == 1 and re.fullmatch(r"\d+\.\d+.*", builds[0]["version"]),
              "build info with the version: %s" % builds)

        status, headers, body = get(mport, "/nothing")
        check(status == 404, "404 for /nothing: %d" % status)
        status, headers, body = get(mport, "/metrics", "POST")
        check(status == 405 and headers.get("allow") == "GET, HEAD",
              "405 for POST, with Allow: %d %s" % (status, headers))
        status, headers, body = get(mport, "/metrics", "HEAD")
        check(status == 200 and body == b"", "HEAD: 200, no body: %d %r" %
              (status, body[:40]))
        part_bounds(mport)

        broker.stop()
        check(wait_for(lambda: health(mport)[0] == 503),
              "/health 503 once the broker is gone")
        check(health(mport) == (503, "broker: not connected\n"),
              "and says why: %s" % (health(mport),))
        check(value(scrape(mport)[0], "broker_connected") == 0, "connected 0")
        broker.start()
        check(wait_for(lambda: health(mport)[0] == 200, 60),
              "/health 200 again with the broker back: %s" % (health(mport),))
        samples = scrape(mport)[0]
        check(value(samples, "broker_connected") == 1 and
              value(samples, "broker_reconnects_total") == 1, "one reconnect counted")
        part_db_busy(d, broker, mport, dev, acks, lis)
        acks.stop()
        check(lis.stop() == 0, "the listener stops cleanly: %s" % lis.log()[-300:])
    finally:
        lis.stop()
        broker.stop()


with tempfile.TemporaryDirectory() as d:
    trust = os.path.join(d, "trust")
    os.mkdir(trust)
    dev = jose.Device("pi-1")
    dev.write_trust(trust)
    part_args(d, trust)
    part_ipv6(d, trust)
    part_serve(d, trust, dev)

done()
