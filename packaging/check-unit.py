#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks the systemd files of packaging/systemd/ offline (meson tests, suite
# 'packaging'; systemd need not run as PID 1):
#   verify    `systemd-analyze verify` has nothing to say about the unit as meson
#             configured it, with ExecStart= pointing at the built daemon (verify
#             checks that it is executable) and the man pages of Documentation=
#             found in the source tree (verify runs man for each);
#   security  `systemd-analyze security --offline=yes` rates the unit's exposure
#             at most MAX (1.5), and prints the rating;
# verify and security use the machine's systemd-analyze (systemd 252 on Debian
# 12), or with ROOT another release's, run from that root with its own dynamic
# loader and libraries: the trixie amd64 sysroot of packaging/cross-sysroot.sh
# holds trixie's systemd (257), the release's unit checker; without it in ROOT
# the check is skipped (exit 77) with the reason;
#   accounts  systemd-sysusers and systemd-tmpfiles, run on an empty root, make
#             the user, its groups and the state directory the unit expects, and
#             the unit's directories are those of the daemon's default paths as
#             agent/CONFIG.md documents them, or (pantry-retailer) those of the
#             paths in the sample configuration the package installs.
# The same checks serve both units: pantry-agent.service and
# pantry-retailer.service; PROGRAM is the built program ExecStart= runs from
# BINDIR once installed.
#
# Usage: check-unit.py verify UNIT BINDIR PROGRAM MANDIR... [--root ROOT]
#        check-unit.py security UNIT MAX [ROOT]
#        check-unit.py accounts UNIT SYSUSERS TMPFILES CONFIG.md|SAMPLE.conf
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile

failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def need(prog):
    """The path of prog; without it the check is skipped (exit 77, which meson
    counts as skipped), with the reason tests/check.sh prints."""
    path = shutil.which(prog)
    if path is None:
        print(f"SKIP: {prog} not found: the Debian package systemd is not installed "
              "(packaging/install-deps.sh test)")
        sys.exit(77)
    return path


def analyze_cmd(root):
    """The command that runs systemd-analyze: the machine's, or ROOT's through
    ROOT's dynamic loader with ROOT's libraries (systemd's private ones too), so
    nothing of the machine's C library mixes in. Prints its version."""
    if root is None:
        cmd = [need("systemd-analyze")]
    else:
        root = os.path.abspath(root)
        loader = os.path.join(root, "lib64/ld-linux-x86-64.so.2")
        prog = os.path.join(root, "usr/bin/systemd-analyze")
        for f in (loader, prog):
            if not os.path.exists(f):
                print(f"SKIP: {f} is missing: no systemd in {root} "
                      "(packaging/cross-sysroot.sh trixie amd64)")
                sys.exit(77)
        libs = os.path.join(root, "usr/lib/x86_64-linux-gnu")
        cmd = [loader, "--library-path", f"{libs}:{libs}/systemd", prog]
    r = subprocess.run(cmd + ["--version"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    first = r.stdout.splitlines()[0] if r.stdout else ""
    if r.returncode != 0 or not first.startswith("systemd "):
        if root is None:
            fail(f"systemd-analyze --version: {r.stdout.strip()}")
            sys.exit(1)
        print(f"SKIP: {root}'s systemd-analyze does not run here: "
              f"{r.stdout.strip() or 'exit %d' % r.returncode}")
        sys.exit(77)
    print(f"# {first} ({'the machine' if root is None else root})")
    return cmd


def unit_settings(path):
    """{key: [values]} of the [Service] and [Unit] sections (comments dropped)."""
    out = {}
    for line in open(path, encoding="utf-8"):
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        k, _, v = line.partition("=")
        out.setdefault(k.strip(), []).append(v.strip())
    return out


def one(settings, key):
    v = settings.get(key, [])
    if len(v) != 1:
        fail(f"{key}= is set {len(v)} times, want once")
        return ""
    return v[0]


def verify(unit, sbin, agent, *mandirs):
    mandirs, root = list(mandirs), None
    if "--root" in mandirs:
        root = mandirs[mandirs.index("--root") + 1]
        mandirs = mandirs[:mandirs.index("--root")]
    analyze = analyze_cmd(root)
    with tempfile.TemporaryDirectory() as tmp:
        src = open(unit, encoding="utf-8").read()
        installed = os.path.join(sbin, os.path.basename(agent))
        new, n = re.subn(r"^ExecStart=" + re.escape(installed) + r"(\s)",
                         lambda m: "ExecStart=" + os.path.abspath(agent) + m.group(1),
                         src, flags=re.M)
        if n != 1:
            fail(f"ExecStart= does not run {installed} (the install path) once")
        copy = os.path.join(tmp, os.path.basename(unit))
        with open(copy, "w", encoding="utf-8") as f:
            f.write(new)
        # man looks pages up in MANPATH's manN/ folders.
        manroot = os.path.join(tmp, "man")
        for mandir in mandirs:
            for page in os.listdir(mandir):
                sec = page.rpartition(".")[2]
                if not re.fullmatch(r"[1-8]", sec):
                    continue
                os.makedirs(os.path.join(manroot, "man" + sec), exist_ok=True)
                os.symlink(os.path.abspath(os.path.join(mandir, page)),
                           os.path.join(manroot, "man" + sec, page))
        env = dict(os.environ, MANPATH=manroot, SYSTEMD_LOG_LEVEL="notice")
        r = subprocess.run(analyze + ["verify", "--man=yes", copy], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for line in r.stdout.splitlines():
            fail(f"systemd-analyze verify: {line}")
        if r.returncode != 0:
            fail(f"systemd-analyze verify exited {r.returncode}")
    print(f"# systemd-analyze verify {os.path.basename(unit)}: "
          f"{'clean' if failures == 0 else 'problems'}")


def security(unit, limit, root=None):
    analyze = analyze_cmd(root)
    tenths = round(float(limit) * 10)
    r = subprocess.run(analyze + ["security", "--offline=yes", f"--threshold={tenths}",
                                  "--no-pager", unit],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    m = re.search(r"Overall exposure level for \S+: (\d+\.\d)", r.stdout)
    if not m:
        fail(f"no exposure level in systemd-analyze security's output:\n{r.stdout}")
        return
    print(f"# exposure {m.group(1)} (at most {limit}); what is left open:")
    for line in r.stdout.splitlines():
        if line.startswith("\u2717"):
            print("#   " + " ".join(line[1:].split()))
    if float(m.group(1)) > float(limit) or r.returncode != 0:
        fail(f"exposure {m.group(1)} is above {limit} (exit {r.returncode})")


def config_defaults(config_md):
    """{setting: default} of agent/CONFIG.md's top-level table (path defaults)."""
    out = {}
    for line in open(config_md, encoding="utf-8"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 4 and re.fullmatch(r"`[a-z_]+`", cells[0]):
            d = re.fullmatch(r"`(/[^`]+)`", cells[3])
            if d:
                out[cells[0].strip("`")] = d.group(1)
    return out


def sample_paths(conf):
    """{setting: "/path"} of a sample libconfig file's uncommented settings."""
    out = {}
    for line in open(conf, encoding="utf-8"):
        m = re.match(r'\s*([a-z][a-z0-9_-]*)\s*=\s*"(/[^"]*)"\s*;', line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def accounts(unit, sysusers, tmpfiles, config_md):
    s = unit_settings(unit)
    user, group = one(s, "User"), one(s, "Group")
    retailer = config_md.endswith(".conf")
    state = one(s, "StateDirectory")
    runtime = None if retailer else one(s, "RuntimeDirectory")
    confdir = one(s, "ConfigurationDirectory")
    state_mode = one(s, "StateDirectoryMode")

    if retailer:
        # The sample's database and ack key in the state directory (the one
        # place the sandbox lets it write), its trust store in /etc's.
        d = sample_paths(config_md)
        checks = (("db", "/var/lib", state), ("key", "/var/lib", state),
                  ("trust", "/etc", confdir))
        conf_name = "pantry-retailer.conf"
    else:
        d = config_defaults(config_md)
        checks = (("store_path", "/var/lib", state), ("key_path", "/var/lib", state),
                  ("control_socket", "/run", runtime))
        conf_name = "pantry-agent.conf"
    for key, base, want in checks:
        path = d.get(key)
        if path is None:
            fail(f"no {key} in {config_md}")
        elif not (path + "/").startswith(os.path.join(base, want) + "/"):
            fail(f"{key} is {path}, outside {base}/{want} of the unit")
    m = re.search(r"--config (\S+)", one(s, "ExecStart"))
    if not m or not m.group(1).endswith(f"/{confdir}/{conf_name}"):
        fail(f"ExecStart= reads no {conf_name} in a folder {confdir}/")

    with tempfile.TemporaryDirectory() as root:
        os.makedirs(os.path.join(root, "etc"))
        # Absolute paths: the tools would look for relative ones in the root.
        sysusers, tmpfiles = os.path.abspath(sysusers), os.path.abspath(tmpfiles)
        for prog, args in (("systemd-sysusers", [sysusers]),
                           ("systemd-tmpfiles", ["--create", tmpfiles])):
            r = subprocess.run([need(prog), f"--root={root}", *args],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
            if r.returncode != 0:
                fail(f"{prog} failed: {r.stdout}")
        if not os.path.exists(os.path.join(root, "etc/passwd")):
            fail("systemd-sysusers made no /etc/passwd")
            return
        passwd = {l.split(":")[0]: l.rstrip("\n").split(":")
                  for l in open(os.path.join(root, "etc/passwd"))}
        groups = {l.split(":")[0]: l.rstrip("\n").split(":")
                  for l in open(os.path.join(root, "etc/group"))}
        pw = passwd.get(user)
        if pw is None:
            fail(f"sysusers makes no user {user}")
            return
        if groups.get(group, [None, None, None])[2] != pw[3]:
            fail(f"the primary group of {user} is not {group}")
        if pw[5] != os.path.join("/var/lib", state):
            fail(f"{user}'s home is {pw[5]}, not /var/lib/{state}")
        if not pw[6].endswith("nologin"):
            fail(f"{user} has a login shell: {pw[6]}")
        # Each supplementary group is ours or one of systemd's own (basic.conf).
        basic = ""
        for p in ("/usr/lib/sysusers.d/basic.conf", "/lib/sysusers.d/basic.conf"):
            if os.path.exists(p):
                basic = open(p).read()
        for g in " ".join(s.get("SupplementaryGroups", [])).split():
            made = re.search(rf"^g\s+{re.escape(g)}\s", basic, re.M)
            if g not in groups and not made:
                fail(f"nothing creates the supplementary group {g}: the unit would "
                     "fail with status 216/GROUP")
        st = os.stat(os.path.join(root, "var/lib", state))
        if str(st.st_uid) != pw[2] or str(st.st_gid) != pw[3]:
            fail(f"/var/lib/{state} is not owned by {user}:{group}")
        if f"{stat.S_IMODE(st.st_mode):04o}" != state_mode:
            fail(f"/var/lib/{state} has mode {stat.S_IMODE(st.st_mode):04o}, "
                 f"StateDirectoryMode= is {state_mode}")
    run = f", /run/{runtime}" if runtime else ""
    print(f"# {user}:{group}, /var/lib/{state} {state_mode}{run}, "
          f"/etc/{confdir}: consistent")


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    {"verify": verify, "security": security, "accounts": accounts}[cmd](*args)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
