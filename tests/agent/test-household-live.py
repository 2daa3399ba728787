# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-agent --household-live (issue 17): the simulated household on the
real clock through the daemon's live loop.

- its options are checked: --household-live and --household-period need
  --household, --household-live refuses --household-start, a period out of
  100..600000 is refused (exit 2, the option named);
- one item read at 10 Hz (--household-period 100) starts at a pack on the shelf
  (1000 g): the control socket answers while it runs (the live loop, which a
  replay does not have), the stock settles at 1000 g, and the take of 150 g that
  the demand file puts 4 s after the start is seen: the stock comes down to
  850 g and the store holds the consume event, of 150 g (all within 1 g: the
  simulated load cell has noise);
- SIGTERM stops it, exit 0.

usage: test-household-live.py AGENT
"""
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import call, check, done, put, wait_for  # noqa: E402

AGENT = sys.argv[1]


def conf(d):
    path = os.path.join(d, "agent.conf")
    put(path, 'device_id = "live-pi";\nstore_path = "%s/pantry.db";\n'
        'control_socket = "%s/control.sock";\nkey_path = "%s/device.key";\n'
        'channels = ({ name = "c0"; iio = { device = "shelf-0"; input = 0; }; '
        'period = "100ms"; });\n'
        'items = ({ id = "rice"; channel = "c0"; pack = 1000; container = 250; '
        'mode = "confirm"; calibration = { zero = 0; span_raw = 400000; '
        'span = 1000.0; }; conditioning = { settle = "2s"; }; });\n' % (d, d, d))
    return path


def usage(d, c, use):
    for args, what in (
            (["--household-live"], "--household-live without --household"),
            (["--household-period", "100"], "--household-period without --household"),
            (["--household", "rice=" + use, "--household-live", "--household-start",
              "2026-10-22T00:00:00Z"], "--household-live with --household-start"),
            (["--household", "rice=" + use, "--household-period", "99"],
             "a period of 99 ms"),
            (["--household", "rice=" + use, "--household-period", "600001"],
             "a period of 600001 ms")):
        r = subprocess.run([AGENT, "--config", c] + args, capture_output=True, text=True)
        check(r.returncode == 2 and "--household" in r.stderr,
              "%s: exit 2 naming the option, got %d: %s" % (what, r.returncode, r.stderr))


def main():
    d = tempfile.mkdtemp(prefix="pantry-hh-live.")
    c = conf(d)
    use = os.path.join(d, "use.csv")
    put(use, "# seconds,grams\n4,150\n")
    usage(d, c, use)
    log = open(os.path.join(d, "agent.log"), "w")
    proc = subprocess.Popen([AGENT, "--config", c, "--foreground", "--household",
                             "rice=" + use, "--household-live", "--household-period",
                             "100"], stdout=log, stderr=log)
    sock = os.path.join(d, "control.sock")

    def stock():
        try:
            r = call(sock, {"cmd": "status"})
        except OSError:
            return None
        return r["data"]["items"][0]["stock_g"] if r["ok"] and r.get("data") else None
    try:
        # Within 1 g: the simulated load cell has noise.
        near = lambda g: (lambda: stock() is not None and abs(stock() - g) < 1)  # noqa: E731
        check(wait_for(near(1000), 30),
              "the live household's stock settles at 1000 g: %r" % stock())
        check(wait_for(near(850), 30),
              "the take of 150 g is seen on the real clock: %r" % stock())
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    check(proc.returncode == 0, "SIGTERM: exit 0, got %d" % proc.returncode)
    db = sqlite3.connect(os.path.join(d, "pantry.db"))
    ev = db.execute("SELECT kind, mg FROM events WHERE item = 'rice'").fetchall()
    db.close()
    check([k for k, _ in ev] == ["consume"] and abs(ev[0][1] - 150000) < 1000,
          "the store has one consume of 150 g: %r" % ev)
    if not check(not any(k == "fault" for k, _ in ev), "no fault: %r" % ev):
        print(open(os.path.join(d, "agent.log")).read()[-3000:], file=sys.stderr)
    done()


main()
