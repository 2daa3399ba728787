# SPDX-License-Identifier: GPL-2.0-or-later
"""A private PostgreSQL for the tests and the load test: Debian's `initdb`
into a temporary folder, `pg_ctl` to start, restart and stop it, listening
only on a Unix socket in that folder (no TCP port), trust authentication for
the user `pantry`. initdb refuses to run as root: as root, the cluster is
the user `postgres`'s (made by Debian's postgresql package), run through
runuser. Nothing sleeps a fixed time: pg_ctl -w waits for the server.
"""
import glob
import os
import pwd
import shutil
import subprocess
import tempfile


def pg_bindir():
    """The folder of initdb and pg_ctl, or None."""
    try:
        d = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True,
                           timeout=20).stdout.strip()
        if os.path.exists(os.path.join(d, "initdb")):
            return d
    except OSError:
        pass
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(found[-1]) if found else None


def why_not():
    """Why a private cluster cannot run here (a skip's reason), or None."""
    if pg_bindir() is None:
        return ("initdb not found: the Debian package postgresql is not installed "
                "(packaging/install-deps.sh test)")
    if os.getuid() == 0 and (shutil.which("runuser") is None or
                             not any(p.pw_name == "postgres" for p in pwd.getpwall())):
        return "run as root without runuser or a postgres user to run initdb as"
    return None


class Postgres:
    """A private cluster in its own directory, on a Unix socket only. fsync
    off for the tests (a crash of the machine is not what they test); on for
    the load test, whose figures must be those of a real server."""

    def __init__(self, bindir=None, fsync=False):
        self.bindir = bindir or pg_bindir()
        self.fsync = fsync
        self.base = tempfile.mkdtemp(prefix="pantry-pg-")
        self.data = os.path.join(self.base, "data")
        self.sock = os.path.join(self.base, "sock")
        os.mkdir(self.sock)
        self.prefix = []
        if os.getuid() == 0:  # initdb refuses root: the cluster is postgres's
            pw = pwd.getpwnam("postgres")
            for p in (self.base, self.sock):
                os.chown(p, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self.log = os.path.join(self.base, "log")
        self.running = False

    def run(self, tool, *args):
        return subprocess.run(self.prefix + [os.path.join(self.bindir, tool)] +
                              list(args), capture_output=True, text=True, timeout=120)

    def ctl(self, *args):
        p = self.run("pg_ctl", "-D", self.data, "-l", self.log,
                     "-o", "-k %s -c listen_addresses='' -c fsync=%s" %
                     (self.sock, "on" if self.fsync else "off"),
                     "-w", *args)
        if p.returncode != 0:
            raise RuntimeError("pg_ctl %s: %s %s" % (args, p.stdout, p.stderr))

    def start(self):
        p = self.run("initdb", "-D", self.data, "--auth=trust", "-U", "pantry")
        if p.returncode != 0:
            raise RuntimeError("initdb: %s" % p.stderr)
        self.ctl("start")
        self.running = True
        return self

    def restart(self):
        """pg_ctl restart -m fast: every connection is cut."""
        self.ctl("restart", "-m", "fast")

    def stop(self):
        if self.running:
            self.ctl("stop", "-m", "fast")
            self.running = False

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.base, ignore_errors=True)

    def conninfo(self, db):
        return "host=%s dbname=%s user=pantry" % (self.sock, db)

    def sql(self, db, query):
        """Rows as lists of strings ('' for NULL)."""
        p = subprocess.run(["psql", "-X", "-A", "-t", "-z", "-R", "\x1e", "-v",
                            "ON_ERROR_STOP=1", "-d", self.conninfo(db), "-c", query],
                           capture_output=True, text=True, timeout=60)
        if p.returncode != 0:
            raise RuntimeError("psql %s: %s" % (query, p.stderr))
        out = p.stdout[:-1] if p.stdout.endswith("\n") else p.stdout
        return [r.split("\0") for r in out.split("\x1e") if r]

    def createdb(self, name):
        self.sql("postgres", "CREATE DATABASE %s" % name)
