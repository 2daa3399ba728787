#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks what the packaging installs (tests/check.sh, stage "package"):
#   deb DIR RELEASE ARCH
#                  the .deb files packaging/build-deb.sh left in DIR for the
#                  Debian release RELEASE (bookworm, trixie) and ARCH: each file
#                  a hobbyist needs is in pantry-agent (daemon, pantryctl,
#                  pantry-sensors, unit, sysusers.d, tmpfiles.d, the sample
#                  configuration as a conffile, man pages, the documents the man
#                  pages name) and pantry-retailer (its unit, sysusers.d,
#                  tmpfiles.d, sample configuration as a conffile, man pages,
#                  the packaged listener taking that configuration); the
#                  maintainer scripts make
#                  the user before the state directory and enable nothing; the
#                  packaged unit passes `systemd-analyze verify` and security
#                  (check-unit.py) and its man pages render without warnings;
#                  the packaged daemon accepts the packaged configuration (run
#                  under qemu-user with the release's sysroot when it is not
#                  the machine's); the packages carry the project's version
#                  (meson.build) with the release's suffix (+deb12, +deb13) and
#                  the .changes the release as distribution; Depends names the
#                  release's library packages (libgpiod2 and libconfig9 on
#                  bookworm, libgpiod3 and libconfig11 on trixie), each bound
#                  met by the release's own version (the sysroot's packages, or
#                  the machine's for its own release); the programs are built
#                  with dpkg-buildflags' hardening (BIND_NOW) and debug
#                  information (a -dbgsym package), and on trixie armhf with a
#                  64-bit time_t (no 32-bit clock_gettime and the like).
#   unit DIR ARCH ROOT
#                  the unit of DIR's pantry-agent package for ARCH through
#                  `systemd-analyze verify` and `security` of another release,
#                  ROOT's (check-unit.py; trixie's systemd 257 from the trixie
#                  amd64 sysroot); exit 77 (skipped, with the reason) when ROOT
#                  has no systemd-analyze that runs here.
#   install BUILD  `meson install --destdir` of the build BUILD: everything lands
#                  under DESTDIR/PREFIX, the units run PREFIX's daemon and
#                  retailer with PREFIX's configuration, and the man pages are
#                  there.
import glob
import os
import re
import subprocess
import sys
import tempfile

here = os.path.dirname(os.path.abspath(__file__))
failures = 0


def fail(msg):
    global failures
    failures += 1
    print(f"FAIL: {msg}")


def run(*cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, **kw)


AGENT_FILES = [
    "usr/sbin/pantry-agent",
    "usr/bin/pantryctl",
    "usr/bin/pantry-sensors",
    "usr/bin/pantry-forecast",
    "lib/systemd/system/pantry-agent.service",
    "usr/lib/sysusers.d/pantry-agent.conf",
    "usr/lib/tmpfiles.d/pantry-agent.conf",
    "etc/pantry-agent/pantry-agent.conf",
    "usr/share/man/man8/pantry-agent.8.gz",
    "usr/share/man/man1/pantryctl.1.gz",
    "usr/share/man/man1/pantry-sensors.1.gz",
    "usr/share/man/man1/pantry-forecast.1.gz",
    "usr/share/man/man5/pantry-agent.conf.5.gz",
    "usr/share/doc/pantry-agent/copyright",
]
RETAILER_FILES = [
    "usr/bin/pantry-retailer",
    "lib/systemd/system/pantry-retailer.service",
    "usr/lib/sysusers.d/pantry-retailer.conf",
    "usr/lib/tmpfiles.d/pantry-retailer.conf",
    "etc/pantry-retailer/pantry-retailer.conf",
    "usr/share/man/man1/pantry-retailer.1.gz",
    "usr/share/man/man5/pantry-retailer.conf.5.gz",
]


# Per release: the version suffix, and the library packages each package must
# depend on (the sonames differ: libgpiod v1 and v2, libconfig 1.5 and 1.7).
# A name of the other release's list must not appear.
RELEASES = {
    "bookworm": ("+deb12", {
        "pantry-agent": ["libc6", "libcjson1", "libconfig9", "libcurl4", "libgpiod2",
                         "libpaho-mqtt1.3", "libsodium23", "libsqlite3-0"],
        "pantry-retailer": ["libc6", "libcjson1", "libconfig9", "libcurl4",
                            "libmicrohttpd12", "libpaho-mqtt1.3", "libpq5",
                            "libsodium23", "libsqlite3-0"]}),
    "trixie": ("+deb13", {
        "pantry-agent": ["libc6", "libcjson1", "libconfig11", "libcurl4t64",
                         "libgpiod3", "libpaho-mqtt1.3", "libsodium23", "libsqlite3-0"],
        "pantry-retailer": ["libc6", "libcjson1", "libconfig11", "libcurl4t64",
                            "libmicrohttpd12t64", "libpaho-mqtt1.3", "libpq5",
                            "libsodium23", "libsqlite3-0"]}),
}
QEMU = {"amd64": ["qemu-x86_64"], "arm64": ["qemu-aarch64", "-cpu", "cortex-a53"],
        "armhf": ["qemu-arm", "-cpu", "cortex-a7"]}


def machine():
    """(release codename, architecture) of this machine."""
    codename = ""
    for line in open("/etc/os-release"):
        if line.startswith("VERSION_CODENAME="):
            codename = line.split("=", 1)[1].strip().strip('"')
    return codename, run("dpkg", "--print-architecture").stdout.strip()


def release_versions(release, arch):
    """{package: version} of the release's libraries: the sysroot's packages
    (packaging/cross-sysroot.sh lists them in .sysroot), or the machine's."""
    if (release, arch) == machine():
        r = run("dpkg-query", "-W", "-f", "${Package} ${Version}\n")
        return dict(line.split(" ", 1) for line in r.stdout.splitlines())
    marker = os.path.join(here, "..", "_build", "sysroot", f"{release}-{arch}",
                          ".sysroot")
    out = {}
    for line in open(marker):
        m = re.match(r"package: ([^_]+)_([^_]+)_[^_]+\.deb$", line.strip())
        if m:
            out[m.group(1)] = m.group(2).replace("%3a", ":")
    return out


def check_depends(pkg, control, release, arch):
    """Depends names the release's libraries, with bounds the release meets."""
    want = RELEASES[release][1][pkg]
    others = {n for r, (_, p) in RELEASES.items() if r != release for n in p[pkg]}
    m = re.search(r"^Depends: (.*)$", control, re.M)
    deps = {}
    for alt in (m.group(1) if m else "").split(","):
        for d in alt.split("|"):
            dm = re.match(r"\s*([a-z0-9.+-]+)(?::\S+)?\s*(?:\(\s*(\S+)\s*(\S+)\s*\))?",
                          d)
            if dm:
                deps[dm.group(1)] = (dm.group(2), dm.group(3))
    print(f"# {pkg} {release} {arch} Depends: {m.group(1) if m else ''}")
    have = release_versions(release, arch)
    for name in want:
        if name not in deps:
            fail(f"{pkg} for {release} does not depend on {name}")
    for name, (op, ver) in deps.items():
        if name in others and name not in want:
            fail(f"{pkg} for {release} depends on {name}, a library of another release")
        if op and name in want:
            if name not in have:
                fail(f"{pkg} for {release} depends on {name} ({op} {ver}), "
                     f"which {release} {arch} does not have")
            elif run("dpkg", "--compare-versions", have[name], op.replace(">=", "ge"),
                     ver).returncode != 0:
                fail(f"{pkg} for {release} depends on {name} ({op} {ver}), "
                     f"but {release} has {have[name]}")


def check_elf(x, pkg):
    """The programs were built with dpkg-buildflags (-Wl,-z,now of the
    hardening, -g for the -dbgsym package), which meson's cross files could
    otherwise replace."""
    for d in ("usr/bin", "usr/sbin"):
        for f in glob.glob(os.path.join(x, d, "*")):
            r = run("readelf", "-d", f)
            if not re.search(r"\(FLAGS\).*BIND_NOW|\(BIND_NOW\)", r.stdout):
                fail(f"{pkg}: /{os.path.relpath(f, x)} is not linked with -z now "
                     "(dpkg-buildflags' hardening)")


def check_time64(x, pkg, release, arch):
    """trixie's armhf is built with a 64-bit time_t, as its libraries are
    (the sysroot's abi_args): a program calls glibc's 64-bit time functions
    (__clock_gettime64), never the 32-bit clock_gettime, which fails in 2038."""
    if (release, arch) != ("trixie", "armhf"):
        return
    for d in ("usr/bin", "usr/sbin"):
        for f in glob.glob(os.path.join(x, d, "*")):
            syms = run("readelf", "--dyn-syms", "-W", f).stdout
            if re.search(r"\s(clock_gettime|time|localtime_r|gmtime_r)@", syms):
                fail(f"{pkg}: /{os.path.relpath(f, x)} uses a 32-bit time_t call")


def deb(outdir, release, arch):
    suffix = RELEASES[release][0]
    # debian/changelog's version follows the project's (meson.build).
    project = re.search(r"version:\s*'([^']+)'",
                        open(os.path.join(here, "..", "meson.build")).read())
    changes = glob.glob(os.path.join(outdir, f"pantry-agent_*_{arch}.changes"))
    if len(changes) != 1:
        fail(f"{len(changes)} .changes for {arch} in {outdir}, want 1")
    elif not re.search(rf"^Distribution: {release}$", open(changes[0]).read(), re.M):
        fail(f"{os.path.basename(changes[0])}: the distribution is not {release}")
    for pkg, files in (("pantry-agent", AGENT_FILES),
                       ("pantry-retailer", RETAILER_FILES)):
        debs = glob.glob(os.path.join(outdir, f"{pkg}_*_{arch}.deb"))
        if len(debs) != 1:
            fail(f"{len(debs)} {pkg} packages for {arch} in {outdir}, want 1")
            continue
        if not glob.glob(os.path.join(outdir, f"{pkg}-dbgsym_*_{arch}.deb")):
            fail(f"no {pkg}-dbgsym package: built without debug information")
        with tempfile.TemporaryDirectory() as x:
            r = run("dpkg-deb", "-R", debs[0], x)
            if r.returncode != 0:
                fail(f"dpkg-deb -R {debs[0]}: {r.stdout}")
                continue
            for f in files:
                if not os.path.exists(os.path.join(x, f)):
                    fail(f"{pkg} lacks /{f}")
            version = run("dpkg-deb", "-f", debs[0], "Version").stdout.strip()
            if not project or version != project.group(1) + suffix:
                fail(f"{pkg} is version {version}, want the project's (meson.build) "
                     f"{project.group(1) if project else '?'} with {suffix}")
            control = open(os.path.join(x, "DEBIAN", "control")).read()
            check_depends(pkg, control, release, arch)
            check_elf(x, pkg)
            check_time64(x, pkg, release, arch)
            if pkg == "pantry-agent":
                agent_deb(x, release, arch)
            else:
                retailer_deb(x, release, arch)
            print(f"# {os.path.basename(debs[0])}: {os.path.getsize(debs[0])} bytes")


def agent_deb(x, release, arch):
    ctl = os.path.join(x, "DEBIAN")
    conffiles = open(os.path.join(ctl, "conffiles")).read().split()
    if "/etc/pantry-agent/pantry-agent.conf" not in conffiles:
        fail("the sample configuration is not a conffile")
    postinst = open(os.path.join(ctl, "postinst")).read()
    su, tf = postinst.find("systemd-sysusers"), postinst.find("systemd-tmpfiles")
    if su < 0 or tf < 0 or su > tf:
        fail("postinst does not run systemd-sysusers before systemd-tmpfiles")
    if re.search(r"^\s*deb-systemd-helper enable", postinst, re.M) and \
            "was-enabled" not in postinst:
        fail("postinst enables the service on installation")
    control = open(os.path.join(ctl, "control")).read()
    if not re.search(r"^Depends:.*systemd-sysusers", control, re.M):
        fail("Depends has no systemd-sysusers provider (postinst runs it)")
    # Paho is dlopen()ed by soname (agent/link/mqtt.c): no shlibs dependency finds it.
    if not re.search(r"^Depends:.*\blibpaho-mqtt", control, re.M):
        fail("Depends lacks Paho's library package, which the daemon dlopen()s")
    postrm = open(os.path.join(ctl, "postrm")).read()
    if "rm -rf /var/lib/pantry-agent" not in postrm:
        fail("postrm does not remove /var/lib/pantry-agent on purge")

    # The documents the man pages point at are in the package.
    mans = glob.glob(os.path.join(x, "usr/share/man/man*/*.gz"))
    for page in mans:
        text = run("zcat", page).stdout.replace("\\-", "-")
        for doc in set(re.findall(r"/usr/share/doc/pantry-agent/[\w.]+", text)):
            if not os.path.exists(x + doc):
                fail(f"{os.path.basename(page)} names {doc}, not in the package")
        env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8")
        r = subprocess.run(["man", "--warnings", "-E", "UTF-8", "-l", page], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        if r.returncode != 0 or r.stderr:
            fail(f"{os.path.basename(page)}: {r.stderr.strip()}")

    # The packaged unit as installed, against the packaged daemon.
    unit = os.path.join(x, "lib/systemd/system/pantry-agent.service")
    agent = os.path.join(x, "usr/sbin/pantry-agent")
    check_unit = os.path.join(here, "check-unit.py")
    for args in (["verify", unit, "/usr/sbin", agent, os.path.join(here, "man")],
                 ["security", unit, "1.5"]):
        r = run(sys.executable, check_unit, *args)
        print(r.stdout, end="")
        if r.returncode != 0:
            fail(f"check-unit.py {args[0]} on the packaged unit")
    conf = os.path.join(x, "etc/pantry-agent/pantry-agent.conf")
    wrapper = []
    if (release, arch) != machine():
        sysroot = os.path.join(here, "..", "_build", "sysroot", f"{release}-{arch}")
        wrapper = QEMU[arch] + ["-L", os.path.abspath(sysroot)]
    r = run(*wrapper, agent, "--check-config", conf, "--settings-only")
    if r.returncode != 0:
        fail(f"the packaged daemon refuses the packaged configuration:\n{r.stdout}")


def retailer_deb(x, release, arch):
    """The retailer's service as packaged: a conffile, the user made before
    its state directory, nothing enabled, the unit checked as installed, and
    the packaged listener taking the packaged configuration (its paths moved
    to a temporary folder, its broker a closed port: exit 1, never reached)."""
    ctl = os.path.join(x, "DEBIAN")
    conffiles = open(os.path.join(ctl, "conffiles")).read().split()
    if "/etc/pantry-retailer/pantry-retailer.conf" not in conffiles:
        fail("pantry-retailer: the sample configuration is not a conffile")
    postinst = open(os.path.join(ctl, "postinst")).read()
    su, tf = postinst.find("systemd-sysusers"), postinst.find("systemd-tmpfiles")
    if su < 0 or tf < 0 or su > tf:
        fail("pantry-retailer: postinst does not run systemd-sysusers before "
             "systemd-tmpfiles")
    if re.search(r"^\s*deb-systemd-helper enable", postinst, re.M) and \
            "was-enabled" not in postinst:
        fail("pantry-retailer: postinst enables the service on installation")
    control = open(os.path.join(ctl, "control")).read()
    if not re.search(r"^Depends:.*systemd-sysusers", control, re.M):
        fail("pantry-retailer: Depends has no systemd-sysusers provider")
    unit = os.path.join(x, "lib/systemd/system/pantry-retailer.service")
    prog = os.path.join(x, "usr/bin/pantry-retailer")
    check_unit = os.path.join(here, "check-unit.py")
    for args in (["verify", unit, "/usr/bin", prog, os.path.join(here, "man"),
                  os.path.join(here, "..", "retailer")],
                 ["security", unit, "1.5"]):
        r = run(sys.executable, check_unit, *args)
        print(r.stdout, end="")
        if r.returncode != 0:
            fail(f"check-unit.py {args[0]} on the packaged pantry-retailer.service")
    wrapper = []
    if (release, arch) != machine():
        sysroot = os.path.join(here, "..", "_build", "sysroot", f"{release}-{arch}")
        wrapper = QEMU[arch] + ["-L", os.path.abspath(sysroot)]
    with tempfile.TemporaryDirectory() as d:
        conf = os.path.join(d, "pantry-retailer.conf")
        with open(conf, "w") as f:
            f.write(open(os.path.join(x, "etc/pantry-retailer/pantry-retailer.conf"))
                    .read())
        os.chmod(conf, 0o644)
        os.mkdir(os.path.join(d, "devices"))
        key = os.path.join(d, "ack.key")
        run(*wrapper, prog, "keygen", "--key", key)
        with open(os.path.join(d, "devices", "dev-1.jwk"), "w") as f:
            f.write(run(*wrapper, prog, "jwk", "--key", key).stdout)
        r = run(*wrapper, prog, "listen", "--config", conf, "--url", "mqtt://127.0.0.1:9",
                "--trust", os.path.join(d, "devices"), "--key", key,
                "--db", os.path.join(d, "x.db"), "--exit-idle", "1", timeout=120)
        if r.returncode != 1 or "never reached" not in r.stdout:
            fail(f"the packaged listener refuses the packaged configuration:\n{r.stdout}")


def unit(outdir, arch, root):
    debs = glob.glob(os.path.join(outdir, f"pantry-agent_*_{arch}.deb"))
    if len(debs) != 1:
        fail(f"{len(debs)} pantry-agent packages for {arch} in {outdir}, want 1")
        return
    with tempfile.TemporaryDirectory() as x:
        r = run("dpkg-deb", "-x", debs[0], x)
        if r.returncode != 0:
            fail(f"dpkg-deb -x {debs[0]}: {r.stdout}")
            return
        unit = os.path.join(x, "lib/systemd/system/pantry-agent.service")
        agent = os.path.join(x, "usr/sbin/pantry-agent")
        check_unit = os.path.join(here, "check-unit.py")
        for args in (["verify", unit, "/usr/sbin", agent, os.path.join(here, "man"),
                      "--root", root], ["security", unit, "1.5", root]):
            r = run(sys.executable, check_unit, *args)
            print(r.stdout, end="")
            if r.returncode == 77:
                sys.exit(77)
            if r.returncode != 0:
                fail(f"check-unit.py {args[0]} with {root}'s systemd-analyze")


def install(build):
    prefix = None
    for line in run("meson", "configure", build).stdout.splitlines():
        m = re.match(r"\s*prefix\s+(\S+)", line)
        if m:
            prefix = m.group(1)
    if not prefix:
        fail(f"no prefix in meson configure {build}")
        return
    with tempfile.TemporaryDirectory() as dest:
        r = run("meson", "install", "-C", build, "--no-rebuild", "--destdir", dest)
        if r.returncode != 0:
            fail(f"meson install failed:\n{r.stdout}")
            return
        found = sorted(os.path.relpath(os.path.join(d, f), dest)
                       for d, _, fs in os.walk(dest) for f in fs)
        root = prefix.strip("/")
        for f in found:
            if not f.startswith(root + "/"):
                fail(f"/{f} is outside the prefix {prefix}")
        etc = "etc" if prefix == "/usr" else f"{root}/etc"
        want = [f"{root}/sbin/pantry-agent", f"{root}/bin/pantryctl",
                f"{root}/bin/pantry-sensors", f"{root}/bin/pantry-forecast",
                f"{etc}/pantry-agent/pantry-agent.conf",
                f"{root}/share/man/man8/pantry-agent.8",
                f"{root}/share/man/man1/pantryctl.1",
                f"{root}/share/man/man1/pantry-sensors.1",
                f"{root}/share/man/man1/pantry-forecast.1",
                f"{root}/share/man/man5/pantry-agent.conf.5",
                f"{root}/bin/pantry-retailer",
                f"{etc}/pantry-retailer/pantry-retailer.conf",
                f"{root}/share/man/man1/pantry-retailer.1",
                f"{root}/share/man/man5/pantry-retailer.conf.5"]
        units = [f for f in found if f.endswith("systemd/system/pantry-agent.service")]
        if len(units) != 1:
            fail(f"{len(units)} units installed, want 1")
        else:
            text = open(os.path.join(dest, units[0])).read()
            start = (f"ExecStart={prefix}/sbin/pantry-agent "
                     f"--config /{etc}/pantry-agent/")
            if start not in text:
                fail(f"the installed unit does not start {prefix}/sbin/pantry-agent "
                     f"with /{etc}/pantry-agent/pantry-agent.conf")
        units = [f for f in found
                 if f.endswith("systemd/system/pantry-retailer.service")]
        if len(units) != 1:
            fail(f"{len(units)} retailer units installed, want 1")
        elif (f"ExecStart={prefix}/bin/pantry-retailer listen --config "
              f"/{etc}/pantry-retailer/pantry-retailer.conf\n"
              not in open(os.path.join(dest, units[0])).read()):
            fail(f"the installed pantry-retailer.service does not start "
                 f"{prefix}/bin/pantry-retailer with /{etc}/pantry-retailer/")
        for kind in ("sysusers.d", "tmpfiles.d"):
            for name in ("pantry-agent", "pantry-retailer"):
                if not any(f.endswith(f"{kind}/{name}.conf") for f in found):
                    fail(f"no {kind}/{name}.conf installed")
        for f in want:
            if f not in found:
                fail(f"meson install made no /{f}")
        print(f"# meson install, prefix {prefix}: {len(found)} files under "
              f"DESTDIR{prefix}")


def main():
    {"deb": deb, "unit": unit, "install": install}[sys.argv[1]](*sys.argv[2:])
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
