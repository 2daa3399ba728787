#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Bad input to the trace readers users run (issue 10), through the real
programs:

- pantry-agent --replay on a corrupt sample trace (a bad raw value, time going
  backwards, a last line cut short, a line over the length limit, binary
  garbage, an empty file, an undeclared channel, a pipe) exits 1 and names the
  file, the line and what was expected, in exactly the words below; into a
  fresh folder it makes neither a store nor a key, and into a store that holds
  an earlier replay it changes nothing (every row of every table, compared with
  python's sqlite3);
- pantry-forecast on a corrupt stock event trace exits 1 with one line, the
  same kind of message, and prints nothing on stdout;
- pantry-eval --trace on a corrupt evaluation trace says the same;
- pantry-agent --help says a file is checked whole before it is used, and
  that a pipe is replayed as it comes (a bad line in it stops the replay there,
  named, and the log says up to when the store keeps the input).

The expected messages are written out here by hand, not taken from the code.

usage: test-bad-input.py AGENT MAKE_SHELF FORECAST EVAL [sanitize-option]
"""
import gzip
import os
import sqlite3
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import VALGRIND_CMD, check, done, valgrind_wanted  # noqa: E402

AGENT, MAKE_SHELF, FORECAST, EVAL = (os.path.abspath(p) for p in sys.argv[1:5])
VALGRIND = len(sys.argv) > 5 and valgrind_wanted(sys.argv[5])
RAW = "expected an integer from -8388608 to 8388607"


def shelf(tmp):
    """A simulated shelf of two channels: its configuration and trace lines."""
    subprocess.run([MAKE_SHELF, "--seed", "7", "--days", "2", "--channels", "2",
                    "--dir", tmp, "--idle-ms", "30000"], check=True, timeout=300)
    with open(os.path.join(tmp, "shelf.trace"), "rb") as f:
        lines = f.read().split(b"\n")[:-1]
    head = [x for x in lines[:20] if not x.startswith(b"s ")]
    samples = [x for x in lines if x.startswith(b"s ")]
    # The header, two channel declarations and two notes: samples from line 6.
    check(len(head) == 5 and head[0] == b"# pantry-samples v1", "make-shelf's header")
    return os.path.join(tmp, "pantry-agent.conf"), head, samples


def sample_time(line):
    return int(line.split(b" ")[1])


def bad_traces(head, samples):
    """(name, bytes, message) of each corrupt trace; lines count from 1."""
    h = b"\n".join(head) + b"\n"
    n = len(head)
    s = samples[:200]
    body = b"\n".join(s) + b"\n"
    t = [sample_time(x) for x in s]

    def with_line(i, line):
        """The 200 samples with sample i replaced by line (file line n + 1 + i)."""
        return h + b"\n".join(s[:i] + [line] + s[i + 1:]) + b"\n"

    bad_raw = b" ".join(s[150].split(b" ")[:4] + [b"x"])
    back = b"s %d 0 ok 1000" % (t[150] - 1)
    cut = h + body + samples[200][:-3]
    return [
        ("a bad raw value", with_line(150, bad_raw),
         "shelf.trace:%d: raw: %s, found 'x'" % (n + 151, RAW)),
        ("time going backwards", with_line(151, back),
         "shelf.trace:%d: time: expected %d or later (time never goes backwards), "
         "found '%d'" % (n + 152, t[150], t[150] - 1)),
        ("a last line cut short", cut,
         "shelf.trace:%d: expected a newline at the end of the last line (is the "
         "file cut short?)" % (n + 201)),
        ("a line over the length limit", with_line(20, b"# " + b"x" * 300),
         "shelf.trace:%d: expected a line of at most 256 bytes, found a longer one"
         % (n + 21)),
        ("binary garbage in the middle",
         with_line(100, b"\x00\x9c\xff\x01garbage"),
         "shelf.trace:%d: NUL byte in line" % (n + 101)),
        ("a gzipped trace", gzip.compress(h + body, mtime=0),
         "shelf.trace:1: expected the header '# pantry-samples v1', found a line "
         "that is not text (is this a sample trace?)"),
        ("an empty file", b"",
         "shelf.trace:1: empty file: expected the header '# pantry-samples v1'"),
        ("an undeclared channel", with_line(199, b"s %d 5 ok 12" % t[199]),
         "shelf.trace:%d: channel 5 is not declared: expected a declared channel "
         "(declared: 0 1), or a line 'channel 5 NAME' before the first record"
         % (n + 200)),
    ]


def replay(conf, cwd, trace="shelf.trace", stdin=None, valgrind=False):
    cmd = [AGENT, "--config", conf, "--replay", trace, "--foreground"]
    if valgrind:
        cmd = VALGRIND_CMD + cmd
    return subprocess.run(cmd, cwd=cwd, input=stdin, capture_output=True,
                          timeout=600)


def errors(stderr):
    """The text after 'error: ' of each error line of the log."""
    out = []
    for line in stderr.decode(errors="replace").splitlines():
        if " error: " in line:
            out.append(line.split(" error: ", 1)[1])
    return out


def refused(name, r, message, trace="shelf.trace"):
    errs = errors(r.stderr)
    check(r.returncode == 1, "%s: exit %d (want 1)" % (name, r.returncode))
    check(errs == ["replay: " + message,
                   "replay: %s refused: nothing of it was replayed or stored" % trace],
          "%s: the log says %r, want %r" % (name, errs, message))


def dump(db):
    """Every row of every table, in a fixed order."""
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return list(c.iterdump())
    finally:
        c.close()


def count(db, table):
    c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        return c.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
    finally:
        c.close()


def test_replay(tmp):
    conf, head, samples = shelf(tmp)
    cases = bad_traces(head, samples)
    db = os.path.join(tmp, "pantry.db")
    key = os.path.join(tmp, "device.key")
    trace = os.path.join(tmp, "shelf.trace")

    # A fresh folder: a refused trace leaves neither a store nor a key.
    for name, data, message in cases:
        with open(trace, "wb") as f:
            f.write(data)
        r = replay(conf, tmp)
        refused(name, r, message)
        check(not os.path.exists(db) and not os.path.exists(key),
              "%s: a store or key was made for a refused trace" % name)
    # A pipe cannot be checked before it is used: it is replayed as it comes, a
    # bad line stops it there, named, and the log says what the store keeps.
    t_last = int(samples[9].split()[1])
    bad_line = b"s %d 0 ok x" % (t_last + 100)
    r = replay(conf, tmp, "/dev/stdin",
               stdin=b"\n".join(head + samples[:10] + [bad_line] + samples[10:20]) + b"\n")
    errs = errors(r.stderr)
    check(r.returncode == 1, "a pipe with a bad line: exit %d (want 1)" % r.returncode)
    check(len(errs) == 2 and errs[0].startswith("replay: /dev/stdin:%d: " % (len(head) + 11))
          and "stopped; the store keeps the input of /dev/stdin up to" in errs[1]
          and errs[1].endswith("(%d ms), and a replay into it goes on after that"
                               % t_last),
          "a pipe with a bad line: the log says %r" % errs)
    for name in ("pantry.db", "pantry.db-wal", "pantry.db-shm", "device.key"):
        if os.path.exists(os.path.join(tmp, name)):
            os.unlink(os.path.join(tmp, name))

    # A store that holds the first 2000 samples: a refused trace of what comes
    # next changes no row of it.
    with open(trace, "wb") as f:
        f.write(b"\n".join(head + samples[:2000]) + b"\n")
    r = replay(conf, tmp)
    check(r.returncode == 0, "the good first part: exit %d: %s"
          % (r.returncode, r.stderr.decode()[-2000:]))
    check(count(db, "readings") > 0, "the good first part left readings")
    before = dump(db)
    rest = samples[2000:4000]
    for name, data, message in bad_traces(head, rest):
        with open(trace, "wb") as f:
            f.write(data)
        r = replay(conf, tmp)
        refused(name + " (after a replay)", r, message)
        after = dump(db)
        check(after == before, "%s: the store changed: %d rows before, %d after"
              % (name, len(before), len(after)))

    # The same trace, fixed, is replayed from where the store stopped.
    with open(trace, "wb") as f:
        f.write(b"\n".join(head + samples[:4000]) + b"\n")
    r = replay(conf, tmp)
    check(r.returncode == 0 and b"going on from there" in r.stderr,
          "the fixed trace resumes: %s" % r.stderr.decode()[-2000:])
    check(dump(db) != before, "the fixed trace was replayed")

    if VALGRIND:
        name, data, message = cases[0]
        with open(trace, "wb") as f:
            f.write(data)
        r = replay(conf, tmp, valgrind=True)
        refused(name + " under valgrind", r, message)


def forecast_refuses(tmp, name, data, message):
    path = os.path.join(tmp, "x.events")
    with open(path, "wb") as f:
        f.write(data)
    r = subprocess.run([FORECAST, "x.events"], cwd=tmp, capture_output=True,
                       timeout=60)
    check(r.returncode == 1, "forecast, %s: exit %d" % (name, r.returncode))
    check(r.stdout == b"", "forecast, %s: printed %r" % (name, r.stdout[:200]))
    want = "pantry-forecast: x.events:%s\n" % message
    check(r.stderr.decode(errors="replace") == want,
          "forecast, %s: said %r, want %r" % (name, r.stderr, want))


def test_forecast(tmp):
    h = b"# pantry-events v1\nitem coffee pack=1000 name=\"Coffee beans\"\n"
    ev = [b"2026-10-01T07:30:00Z coffee refill 1000",
          b"2026-10-01T08:02:10Z coffee consume 14.5",
          b"2026-10-02T08:02:10Z coffee consume 15",
          b"2026-10-03T08:02:10Z coffee consume 12.5"]

    def t(lines):
        return h + b"\n".join(lines) + b"\n"

    good = t(ev)
    path = os.path.join(tmp, "x.events")
    with open(path, "wb") as f:
        f.write(good)
    r = subprocess.run([FORECAST, "--json", "x.events"], cwd=tmp, capture_output=True,
                       timeout=60)
    check(r.returncode == 0 and b'"item":"coffee"' in r.stdout,
          "forecast of the good trace: %r" % r.stderr)
    cases = [
        ("a bad amount", t(ev[:2] + [b"2026-10-02T08:02:10Z coffee consume x"] + ev[3:]),
         "5: grams: expected 0 to 1000000 with at most 3 decimals, found 'x'"),
        ("time going backwards",
         t(ev[:2] + [b"2026-10-01T08:02:09Z coffee consume 15"] + ev[3:]),
         "5: time: expected 2026-10-01T08:02:10Z or later (the previous event's time; "
         "time never goes backwards), found '2026-10-01T08:02:09Z'"),
        ("a last line cut short", good[:-4],
         "6: expected a newline at the end of the last line (is the file cut short?)"),
        ("a line over the length limit", t(ev[:2] + [b"# " + b"y" * 1100] + ev[2:]),
         "5: expected a line of at most 1024 bytes, found a longer one"),
        ("binary garbage", t(ev[:3] + [b"\x00\xff\xfe"]), "6: NUL byte in line"),
        ("an empty file", b"",
         "1: empty file: expected the header '# pantry-events v1'"),
        ("an undeclared item", t(ev + [b"2026-10-04T08:00:00Z tea consume 5"]),
         "7: unknown item 'tea': expected an item declared by an item line above"),
        ("a sample trace", b"# pantry-samples v1\nchannel 0 a\n",
         "1: expected the header '# pantry-events v1', found '# pantry-samples v1'"),
    ]
    for name, data, message in cases:
        forecast_refuses(tmp, name, data, message)


def test_eval(tmp):
    path = os.path.join(tmp, "x.trace")
    good = b"pantry-trace 1\nstart 0\nend 864000\nrefill 0 500000\nuse 3600 12000\n"
    cases = [
        ("a last line cut short", good[:-4],
         "x.trace:5: expected a newline at the end of the last line (is the file cut "
         "short?)"),
        ("binary garbage", good + b"use 7200 1\x00\x01\n",
         "x.trace:6: NUL byte in line"),
        ("time going backwards", good + b"use 3599 1\n",
         "x.trace:6: use: expected a time of 3600 or later (the previous event's; "
         "time never goes backwards), found 3599"),
    ]
    for name, data, message in cases:
        with open(path, "wb") as f:
            f.write(data)
        r = subprocess.run([EVAL, "--trace", "x.trace", "--no-carparts",
                            "--no-sensitivity"], cwd=tmp, capture_output=True,
                           timeout=120)
        want = "pantry-eval: bad trace: %s\n" % message
        check(r.returncode != 0 and r.stdout == b"", "eval, %s: exit %d, printed %r"
              % (name, r.returncode, r.stdout[:200]))
        check(r.stderr.decode(errors="replace") == want,
              "eval, %s: said %r, want %r" % (name, r.stderr, want))


def test_help():
    r = subprocess.run([AGENT, "--help"], capture_output=True, text=True)
    text = " ".join(r.stdout.split())
    check(r.returncode == 0 and "A file is checked whole first" in text and
          "nothing of the trace is replayed or stored" in text and
          "A pipe is replayed as it comes: a bad line stops it there" in text,
          "--help says a file is checked whole and a pipe is not")


with tempfile.TemporaryDirectory() as d:
    test_help()
    os.mkdir(os.path.join(d, "agent"))
    test_replay(os.path.join(d, "agent"))
    test_forecast(d)
    test_eval(d)
done()
