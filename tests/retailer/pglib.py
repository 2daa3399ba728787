# SPDX-License-Identifier: GPL-2.0-or-later
"""A private PostgreSQL for the tests: Debian's `initdb` into a temporary
folder, `pg_ctl` to start, restart and stop it, listening only on a Unix
socket in that folder (no TCP port), trust authentication for the local
user `pantry`. PostgreSQL refuses to run as root: as root, the server runs as
the user `postgres` (made by Debian's postgresql package) and its folder is
given to that user. Nothing sleeps a fixed time: pg_ctl -w waits for the
server to accept connections.
"""
import glob
import os
import pwd
import shutil
import subprocess


class Postgres:
    def __init__(self, d):
        self.dir = d
        self.data = os.path.join(d, "data")
        self.sock = d
        self.log = os.path.join(d, "postgres.log")
        self.user = None
        if os.geteuid() == 0:
            self.user = pwd.getpwnam("postgres")

    @staticmethod
    def bindir():
        """The folder of initdb and pg_ctl, or None."""
        if shutil.which("pg_config"):
            b = subprocess.run(["pg_config", "--bindir"], capture_output=True,
                               text=True).stdout.strip()
            if os.path.exists(os.path.join(b, "initdb")):
                return b
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        return os.path.dirname(found[-1]) if found else None

    @property
    def url(self):
        """libpq's URI: the Unix socket's folder as host, database pantry."""
        return "postgresql:///pantry?host=%s&user=pantry" % self.sock

    def _run(self, *args, check=True):
        cmd = [os.path.join(self.bindir(), args[0])] + list(args[1:])
        if self.user:
            cmd = ["runuser", "-u", "postgres", "--"] + cmd
        return subprocess.run(cmd, check=check, capture_output=True, text=True,
                              timeout=120)

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        if self.user:
            os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
            # The test's own temporary folders above it must let postgres in.
            p = os.path.dirname(os.path.abspath(self.dir))
            while p != "/":
                os.chmod(p, os.stat(p).st_mode | 0o711)
                p = os.path.dirname(p)
        if not os.path.exists(self.data):
            self._run("initdb", "-D", self.data, "-U", "pantry", "--auth=trust",
                      "-E", "UTF8", "--no-sync")
            with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
                f.write("listen_addresses = ''\nunix_socket_directories = '%s'\n"
                        "fsync = on\n" % self.sock)
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-w", "start")
        if not self._databases().count("pantry"):
            self.psql("postgres", "CREATE DATABASE pantry")
        return self

    def _databases(self):
        return [r[0] for r in self.query("SELECT datname FROM pg_database",
                                         db="postgres")]

    def restart(self):
        self._run("pg_ctl", "-D", self.data, "-l", self.log, "-m", "fast", "-w",
                  "restart")

    def stop(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop",
                      check=False)

    def psql(self, db, sql):
        return subprocess.run(
            [os.path.join(self.bindir(), "psql"), "-h", self.sock, "-U", "pantry",
             "-d", db, "-v", "ON_ERROR_STOP=1", "-At", "-F", "\t", "-c", sql],
            check=True, capture_output=True, text=True, timeout=60).stdout

    def query(self, sql, db="pantry"):
        """The rows of sql, each a list of texts."""
        return [line.split("\t") for line in self.psql(db, sql).splitlines()]

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
