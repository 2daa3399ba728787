#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The documentation of pantryctl against the program itself (issue 14: DESIGN-era
commands documented but absent). The commands and options that
agent/PANTRYCTL.md and packaging/man/pantryctl.1 describe are read from the
documents' own structure, and compared with `pantryctl --help` and `pantryctl
COMMAND --help`, both ways:

- every command of --help has its section (PANTRYCTL.md: a `###` heading under
  `## Commands`; the man page: an entry of COMMANDS), and every section is a
  command of --help;
- every option a command's section names (`--x`) is one its --help lists (its
  own or a global one), and every option of its own that its --help lists is
  named in its section;
- the global options of --help are those of PANTRYCTL.md's `## Global options`
  table and of the man page's OPTIONS.

usage: check-docs.py PANTRYCTL PANTRYCTL.md pantryctl.1
"""
import os
import re
import subprocess
import sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done  # noqa: E402

TOOL, MD, MAN = sys.argv[1:4]
OPT = re.compile(r"(?<![\w-])(--[a-z][a-z-]*[a-z])")


def run(*args):
    r = subprocess.run([TOOL] + list(args), capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "pantryctl %s: exit %d" % (" ".join(args), r.returncode))
    return r.stdout


def help_options(text):
    """Options listed in a help text's option lines (two blanks, then -x/--x)."""
    return {m.group(2) for m in re.finditer(r"^  (-\w, )?(--[a-z][a-z-]*)", text, re.M)}


# What the program says.
top = run("--help")
commands = re.findall(r"^  ([a-z][a-z-]*)(?: [^ ].*?)?  ", top.split("Commands:\n")[1]
                      .split("\n\n")[0], re.M)
glob = help_options(top.split("Global options")[1])
own = {}
for c in commands:
    text = run(c, "--help")
    own[c] = help_options(text.split("Global options")[0])
check(len(commands) >= 10 and "--json" in glob, "--help parsed: %r %r" % (commands, glob))


def compare(doc, sections, globals_doc):
    """sections: {command: text of its section}; globals_doc: options."""
    check(sorted(sections) == sorted(commands),
          "%s documents the commands of --help: documented but absent %r, "
          "present but undocumented %r" %
          (doc, sorted(set(sections) - set(commands)),
           sorted(set(commands) - set(sections))))
    for c, text in sections.items():
        named = set(OPT.findall(text))
        if c in own:
            check(named <= own[c] | glob,
                  "%s, %s: options documented but absent: %r" %
                  (doc, c, sorted(named - own[c] - glob)))
            check(own[c] <= named, "%s, %s: options of --help undocumented: %r" %
                  (doc, c, sorted(own[c] - named)))
    check(globals_doc == glob, "%s: global options %r, --help has %r" %
          (doc, sorted(globals_doc), sorted(glob)))


# agent/PANTRYCTL.md: "### a ITEM, b ITEM, c" headings under "## Commands".
md = open(MD).read()
body = md.split("\n## Commands\n")[1].split("\n## ")[0]
sections = {}
for part in re.split(r"^### ", body, flags=re.M)[1:]:
    head, _, text = part.partition("\n")
    for name in re.findall(r"(?:^|, )([a-z][a-z-]*)", head):
        sections[name] = head + "\n" + text
gtable = md.split("\n## Global options\n")[1].split("\n## ")[0]
rows = "\n".join(line for line in gtable.splitlines() if line.startswith("| `"))
compare("PANTRYCTL.md", sections, set(OPT.findall(rows)))


def man_sections(src):
    out, cur = {}, None
    for line in src.splitlines():
        if line.startswith(".SH "):
            cur = line[4:].strip('"')
            out[cur] = []
        elif cur is not None:
            out[cur].append(line)
    return out


def unescape(s):
    return re.sub(r"\\f[BIRP]", "", s).replace("\\-", "-")


man = man_sections(open(MAN).read())
sections, cur, depth, tp = {}, None, 0, False
for line in man["COMMANDS"]:
    if line.startswith(".RS"):
        depth += 1
    elif line.startswith(".RE"):
        depth -= 1
    elif line.startswith(".TP"):
        tp = depth == 0
        continue
    elif tp and depth == 0:
        words = unescape(line).split(None, 1)
        name = words[1].strip('"').split()[0] if len(words) > 1 else ""
        cur = name
        sections[cur] = ""
    if cur is not None:
        sections[cur] += unescape(line) + "\n"
    tp = False
gman = set(OPT.findall(unescape("\n".join(man["OPTIONS"]))))
compare("pantryctl.1", sections, gman)
done()
