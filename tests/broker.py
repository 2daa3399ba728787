# SPDX-License-Identifier: GPL-2.0-or-later
"""A private mosquitto for the tests that talk MQTT: started for real on a
free loopback port with its own configuration, persistence and log in a
temporary folder, stopped (or killed, to test a crash) by the test, and
restarted on the same port with the same persistence. Also makes a test PKI
with openssl (a CA, a server certificate for 127.0.0.1, a client certificate,
and a second CA that signed none of them) for the TLS tests.

Nothing here sleeps for a fixed time: start() polls the port until the broker
accepts connections, with a deadline.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port():
    """A loopback TCP port nobody listens on right now."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Broker:
    """mosquitto on 127.0.0.1:port (a TLS listener when tls is a dict with
    cafile, certfile, keyfile and optionally require_certificate)."""

    def __init__(self, workdir, tls=None, port=None, extra="", passwords=None):
        self.dir = workdir
        os.makedirs(workdir, exist_ok=True)
        self.tls = tls
        self.port = port or free_port()
        self.extra = extra
        self.passwords = passwords  # {user: password}: no anonymous clients
        self.proc = None
        self.conf = os.path.join(workdir, "mosquitto.conf")
        self.log = os.path.join(workdir, "mosquitto.log")

    @property
    def url(self):
        return "%s://127.0.0.1:%d" % ("mqtts" if self.tls else "mqtt", self.port)

    def _write_conf(self):
        lines = [
            "listener %d 127.0.0.1" % self.port,
            "allow_anonymous %s" % ("false" if self.passwords else "true"),
            "persistence true",
            "persistence_location %s/" % self.dir,
            "log_dest file %s" % self.log,
            "log_type error",
            "log_type warning",
            "log_type notice",
            "log_type information",
            "connection_messages true",
            "max_queued_messages 10000",
        ]
        if self.passwords:
            pw = os.path.join(self.dir, "passwords")
            open(pw, "w").close()
            for user, password in self.passwords.items():
                subprocess.run([shutil.which("mosquitto_passwd") or
                                "/usr/bin/mosquitto_passwd", "-b", pw, user, password],
                               check=True)
            lines.append("password_file %s" % pw)
        if os.geteuid() == 0:
            # As root, mosquitto would switch to the user "mosquitto", which
            # cannot read the test's private folder.
            lines.append("user root")
        if self.tls:
            lines += ["cafile %s" % self.tls["cafile"],
                      "certfile %s" % self.tls["certfile"],
                      "keyfile %s" % self.tls["keyfile"],
                      "require_certificate %s" %
                      ("true" if self.tls.get("require_certificate") else "false"),
                      "tls_version tlsv1.2"]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n" + self.extra)

    def start(self, timeout=20.0):
        """Start (or restart on the same port) and wait until it accepts."""
        self._write_conf()
        errlog = open(os.path.join(self.dir, "mosquitto.stderr"), "a")
        self.proc = subprocess.Popen([MOSQUITTO, "-c", self.conf],
                                     stdout=errlog, stderr=errlog)
        errlog.close()
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                raise RuntimeError("mosquitto exited %d: %s" %
                                   (self.proc.returncode, self.tail()))
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                return self
            except OSError:
                time.sleep(0.02)
        raise RuntimeError("mosquitto did not listen on %d: %s" %
                           (self.port, self.tail()))

    def stop(self):
        """SIGTERM: mosquitto saves its persistence and exits."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def kill(self):
        """SIGKILL: a crash; what was not saved is gone."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc = None

    def tail(self, n=2000):
        try:
            with open(self.log) as f:
                return f.read()[-n:]
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _openssl(*args, cwd):
    subprocess.run(["openssl"] + list(args), cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def make_pki(d):
    """A CA, a server certificate for IP 127.0.0.1 and localhost, a client
    certificate, and an unrelated CA, made with openssl in folder d. Returns a
    dict of paths: ca, server_cert, server_key, client_cert, client_key,
    other_ca."""
    os.makedirs(d, exist_ok=True)

    def ca(name):
        _openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-days", "2", "-subj", "/CN=pantry test %s" % name,
                 "-keyout", name + ".key", "-out", name + ".crt", cwd=d)

    def leaf(name, cn, ext):
        with open(os.path.join(d, name + ".ext"), "w") as f:
            f.write(ext)
        _openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                 "-subj", "/CN=%s" % cn, "-keyout", name + ".key", "-out",
                 name + ".csr", cwd=d)
        _openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.crt", "-CAkey",
                 "ca.key", "-CAcreateserial", "-days", "2", "-extfile", name + ".ext",
                 "-out", name + ".crt", cwd=d)

    ca("ca")
    ca("other-ca")
    leaf("server", "127.0.0.1",
         "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
         "extendedKeyUsage=serverAuth\n")
    leaf("client", "pantry-test-client", "extendedKeyUsage=clientAuth\n")
    for name in ("server.key", "client.key", "ca.key", "other-ca.key"):
        os.chmod(os.path.join(d, name), 0o600)
    j = lambda n: os.path.join(d, n)  # noqa: E731
    return {"ca": j("ca.crt"), "server_cert": j("server.crt"),
            "server_key": j("server.key"), "client_cert": j("client.crt"),
            "client_key": j("client.key"), "other_ca": j("other-ca.crt")}
