#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks one manual page of packaging/man/ (a meson test, suite 'packaging'):
# man-db renders it without a single groff warning (`man --warnings`, as
# lintian does), its NAME line is a whatis entry, its version is the project's,
# and it describes what independent sources say exists: every option and
# command of the program's own --help output (of each pantryctl command too),
# every setting in agent/CONFIG.md's tables; and the configuration example in
# pantry-agent.conf(5) passes `pantry-agent --check-config`. For
# pantry-retailer.conf(5) (--listen-of): every long option of `pantry-retailer
# listen --help` but --config and --help is a setting with an entry, and
# listen takes the EXAMPLE (its paths moved to a temporary folder by the
# command line, its broker a closed port): exit 1 for the broker never
# reached, not 2 for a refused file.
#
# Usage: check-man.py PAGE --version V [--help-of PROG] [--commands]
#                         [--config-md CONFIG.md --agent PANTRY-AGENT]
#                         [--listen-of PANTRY-RETAILER]
#                         [--subcommands A,B,...: the options of PROG A --help...]
import argparse
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile

failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def unescape(roff):
    """The text of roff source as far as names go: \\- is -, fonts dropped."""
    s = re.sub(r"\\f[BIRP]", "", roff)
    s = s.replace("\\-", "-").replace('\\(dq', '"').replace("\\e", "\\")
    return s


def sections(src):
    """{'NAME': [lines], ...} of the roff source."""
    out, cur = {}, None
    for line in src.splitlines():
        m = re.match(r'\.SH\s+"?([^"]+)"?\s*$', line)
        if m:
            cur = unescape(m.group(1)).strip()
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def tags(lines):
    """The first word of each .TP tag (the line after .TP), unescaped."""
    words = []
    for i, line in enumerate(lines[:-1]):
        if line.strip() == ".TP":
            tag = unescape(lines[i + 1])
            tag = re.sub(r"^\.(B|I|BI|BR|IR|RB)\s+", "", tag).strip().strip('"')
            if tag:
                words.append(tag.split()[0].strip('"'))
    return words


def render_warnings(page):
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
    r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page], env=env,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if r.returncode != 0:
        fail(f"man -l {page} exited {r.returncode}")
    for line in r.stderr.splitlines():
        fail(f"groff: {line}")


def help_text(prog, *args):
    r = subprocess.run([prog, *args, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    if r.returncode != 0:
        fail(f"{prog} {' '.join(args)} --help exited {r.returncode}")
    return r.stdout


def options_of(help_out):
    """Options in an option column: lines that start with blanks and a dash."""
    opts = set()
    for line in help_out.splitlines():
        m = re.match(r"\s+(-[^ ].*?)(\s{2,}|$)", line)
        if not m:
            continue
        for o in re.findall(r"(?<![\w-])(--?[A-Za-z][\w-]*)", m.group(1)):
            opts.add(o)
    return opts


def commands_of(help_out):
    """Command names in the 'Commands:' block of a --help output."""
    cmds, inside = [], False
    for line in help_out.splitlines():
        if line.strip() == "Commands:":
            inside = True
        elif inside and re.match(r"\s{2}[a-z]", line):
            cmds.append(line.split()[0])
        elif inside and line.strip() == "":
            inside = False
    return cmds


def config_settings(config_md):
    """Setting names from the first column of agent/CONFIG.md's tables."""
    names = set()
    for line in open(config_md, encoding="utf-8"):
        m = re.match(r"\|\s*`([a-z_0-9]+)`\s*\|", line)
        if m:
            names.add(m.group(1))
    return names


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listen_settings(prog, src, secs):
    """pantry-retailer.conf(5) against `PROG listen --help` and PROG itself."""
    checked = 0
    opts = {o[2:] for o in options_of(help_text(prog, "listen"))
            if o.startswith("--")} - {"help", "config"}
    if len(opts) < 20:
        fail(f"only {len(opts)} options found in {prog} listen --help")
    described = set()
    for lines in secs.values():
        described |= set(tags(lines))
    for o in sorted(opts):
        checked += 1
        if o not in described:
            fail(f"setting {o} (listen --{o}) has no entry")
    for t in sorted(set(tags(secs.get("SETTINGS", []))) - opts):
        fail(f"entry {t} is no option of listen")
    ex = re.search(r"^\.SH EXAMPLE\n(?:.*\n)*?\.EX\n((?:.*\n)*?)\.EE", src, re.M)
    if not ex:
        fail("no .EX block under EXAMPLE")
        return checked
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "example.conf")
        with open(conf, "w") as f:
            f.write(unescape(ex.group(1)))
        os.chmod(conf, 0o644)
        os.mkdir(os.path.join(d, "devices"))
        key = os.path.join(d, "ack.key")
        subprocess.run([prog, "keygen", "--key", key], capture_output=True)
        # One device (the key's public half): an empty trust store is legal,
        # but qsort(NULL, 0) in trust.c trips UBSan in the sanitizer build.
        with open(os.path.join(d, "devices", "dev-1.jwk"), "w") as f:
            subprocess.run([prog, "jwk", "--key", key], stdout=f)
        port = free_port()
        r = subprocess.run([prog, "listen", "--config", conf, "--url",
                            f"mqtt://127.0.0.1:{port}", "--ca-file", conf,
                            "--trust", os.path.join(d, "devices"), "--key", key,
                            "--db", os.path.join(d, "x.db"), "--exit-idle", "1"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=60)
        checked += 1
        if r.returncode != 1 or "never reached" not in r.stdout:
            fail(f"listen does not take the EXAMPLE (exit {r.returncode}):\n{r.stdout}")
    return checked


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("page")
    ap.add_argument("--version", required=True)
    ap.add_argument("--help-of")
    ap.add_argument("--commands", action="store_true")
    ap.add_argument("--config-md")
    ap.add_argument("--agent")
    ap.add_argument("--listen-of")
    ap.add_argument("--subcommands")
    a = ap.parse_args()

    src = open(a.page, encoding="utf-8").read()
    text = unescape(src)
    secs = sections(src)
    name = os.path.basename(a.page)
    title, _, section = name.rpartition(".")

    if shutil.which("man") is None:
        # Skipped (77, which meson counts as such) with the reason check.sh prints.
        print("SKIP: man not found: the Debian package man-db is not installed "
              "(packaging/install-deps.sh test)")
        sys.exit(77)
    render_warnings(a.page)

    th = re.search(r'^\.TH\s+(\S+)\s+(\S+)\s+\S+\s+"([^"]*)"', src, re.M)
    if not th:
        fail(".TH line missing or malformed")
    else:
        if unescape(th.group(1)) != title.upper() or th.group(2) != section:
            fail(f".TH says {unescape(th.group(1))}({th.group(2)}), file is {name}")
        if th.group(3) != f"pantry-agent {a.version}":
            fail(f'.TH source is "{th.group(3)}", want "pantry-agent {a.version}"')
    whatis = " ".join(unescape(line) for line in secs.get("NAME", []))
    if not whatis.startswith(f"{title} - "):
        fail(f'NAME is "{whatis}", want "{title} - description"')

    checked = 0
    if a.help_of:
        out = help_text(a.help_of)
        opts = options_of(out)
        if a.commands:
            cmds = commands_of(out)
            if not cmds:
                fail("no commands found in --help")
            described = set(tags(secs.get("COMMANDS", [])))
            for c in cmds:
                checked += 1
                if c not in described:
                    fail(f"command {c} has no entry in COMMANDS")
                if os.path.basename(a.help_of) in ("pantryctl", "pantry-forecast"):
                    opts |= options_of(help_text(a.help_of, c))
        for c in (a.subcommands or "").split(","):
            if c:
                checked += 1
                if c not in set(tags(secs.get("COMMANDS", []))):
                    fail(f"command {c} has no entry in COMMANDS")
                opts |= options_of(help_text(a.help_of, c))
        if not opts:
            fail("no options found in --help")
        for o in sorted(opts):
            checked += 1
            if not re.search(r"(?<![\w-])" + re.escape(o) + r"(?![\w-])", text):
                fail(f"option {o} of {os.path.basename(a.help_of)} is not described")

    if a.config_md:
        settings = config_settings(a.config_md)
        if len(settings) < 50:
            fail(f"only {len(settings)} settings found in {a.config_md}")
        described = set()
        for lines in secs.values():
            described |= set(tags(lines))
        for s in sorted(settings):
            checked += 1
            if s not in described:
                fail(f"setting {s} (agent/CONFIG.md) has no entry")
        ex = re.search(r"^\.SH EXAMPLE\n(?:.*\n)*?\.EX\n((?:.*\n)*?)\.EE", src, re.M)
        if not ex:
            fail("no .EX block under EXAMPLE")
        elif a.agent:
            with tempfile.NamedTemporaryFile("w", suffix=".conf") as f:
                f.write(unescape(ex.group(1)))
                f.flush()
                r = subprocess.run([a.agent, "--check-config", f.name,
                                    "--settings-only"],
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
                checked += 1
                if r.returncode != 0:
                    fail(f"the EXAMPLE does not pass --check-config:\n{r.stdout}")

    if a.listen_of:
        checked += listen_settings(a.listen_of, src, secs)

    print(f"# {name}: {checked} names checked, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
