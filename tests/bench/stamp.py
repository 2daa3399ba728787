#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Run one benchmark and state in its document what it measured (issue 17).

    stamp.py --doc DOC --target NAME --buildtype BT --compiler CC -- COMMAND...

Every bench run_target goes through this script, so no document states its
setup by hand. Before the run it takes the commit (`git rev-parse --short=10 HEAD`;
"with uncommitted code changes" when a tracked file other than a *.md differs,
since the documents the run itself rewrites must not make the tree look
changed), the machine (arch, CPUs, load average) and the date; it exports the
commit as BENCH_COMMIT for the scripts that name it in their own text, runs
COMMAND, and only when COMMAND succeeds writes one line under DOC's title:

    Setup of `NAME`: commit ..., buildtype ..., compiler ..., machine ...,
    load average ... at the start, date; regenerate: `ninja -C BUILD NAME`.

A document written by two targets (tests/agent/BENCH.md) carries one line per
target: the lines of other targets are kept across the run, whatever COMMAND
does to the rest of the file.
"""
import argparse
import datetime
import os
import platform
import subprocess
import sys

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PREFIX = "Setup of `"


def git(*args):
    try:
        r = subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True,
                           text=True, timeout=60)
    except OSError:
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def commit():
    rev = os.environ.get("BENCH_COMMIT")
    if rev:
        return rev
    rev = git("rev-parse", "--short=10", "HEAD")
    if not rev:
        return "unknown (not a git checkout)"
    changed = git("status", "--porcelain", "--untracked-files=no", "--", ".",
                  ":(exclude)*.md")
    return rev + (" with uncommitted code changes" if changed else "")


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True)
    ap.add_argument("--target", required=True)
    ap.add_argument("--buildtype", required=True)
    ap.add_argument("--compiler", required=True)
    ap.add_argument("--note", default="", help="how the setup differs from the default")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        sys.exit("stamp.py: no command after --")

    rev = commit()
    load = os.getloadavg()[0]
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    keep = []
    if os.path.exists(a.doc):
        with open(a.doc) as f:
            keep = [ln for ln in f.read().split("\n")
                    if ln.startswith(PREFIX) and not ln.startswith(PREFIX + a.target + "`")]

    env = dict(os.environ, BENCH_COMMIT=rev)
    rc = subprocess.run(cmd, env=env).returncode
    if rc != 0:
        sys.exit("stamp.py: %s failed (exit %d); %s keeps its old setup line" %
                 (a.target, rc, a.doc))

    line = ("%s%s`: commit %s, buildtype %s, compiler %s, %s %s with %d CPUs (shared with "
            "other work), load average %.2f at the start, %s%s; regenerate: "
            "`ninja -C BUILD %s`." %
            (PREFIX, a.target, rev, a.buildtype, a.compiler, platform.machine(),
             cpu_model(), os.cpu_count() or 0, load, date,
             ("; " + a.note) if a.note else "", a.target))
    with open(a.doc) as f:
        lines = f.read().split("\n")
    # Another target's line written while this one ran (two targets of one
    # document run at once) is newer than the one taken at the start.
    now = [ln for ln in lines
           if ln.startswith(PREFIX) and not ln.startswith(PREFIX + a.target + "`")]
    names = {ln.split("`")[1] for ln in now}
    keep = now + [ln for ln in keep if ln.split("`")[1] not in names]
    lines = [ln for ln in lines if not ln.startswith(PREFIX)]
    # Under the title: "# Title", a blank line, the setup lines, a blank line.
    head = 1 if lines and lines[0].startswith("# ") else 0
    while head < len(lines) and lines[head] == "":
        head += 1
    stamps = sorted(keep + [line])
    new = lines[:1] + [""] + stamps + [""] + lines[head:] if head else stamps + [""] + lines
    with open(a.doc + ".tmp", "w") as f:
        f.write("\n".join(new))
    os.replace(a.doc + ".tmp", a.doc)
    print("stamp.py: %s rewrote %s (commit %s)" % (a.target, os.path.relpath(a.doc, ROOT), rev))


if __name__ == "__main__":
    main()
