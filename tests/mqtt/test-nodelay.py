#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The agent's connection to the broker has Nagle's algorithm off (issue 12:
with it on, a reorder sent right after an answer waited for the broker's
delayed ACK, 30-47 ms instead of 3-6 ms). Checked on the live daemon from
outside: the test takes a duplicate of each of the agent's TCP sockets to the
broker's port with pidfd_getfd(2) (the agent is its child, so the kernel lets
it) and reads TCP_NODELAY with getsockopt, which is not the agent's code.

- mqtt://: after the first connect, and after the broker was killed and came
  back (Paho makes a new socket for every connection);
- mqtts://: TLS runs over the same kind of TCP socket.

Skipped (77) where the kernel or a seccomp filter refuses pidfd_getfd.

usage: test-nodelay.py AGENT PANTRYCTL
"""
import ctypes
import errno
import os
import socket
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker, make_pki  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("openssl", programs=["openssl"])
from mqttlib import Shelf  # noqa: E402

AGENT, PANTRYCTL = sys.argv[1:3]
SYS_PIDFD_GETFD = 438  # one number on every architecture (the unified table)
libc = ctypes.CDLL(None, use_errno=True)


def broker_sockets(pid, port):
    """[TCP_NODELAY value] of each of pid's TCP sockets whose peer port is port."""
    pidfd = os.pidfd_open(pid)
    out = []
    try:
        for name in os.listdir("/proc/%d/fd" % pid):
            try:
                if not os.readlink("/proc/%d/fd/%s" % (pid, name)).startswith("socket:"):
                    continue
            except OSError:
                continue  # closed meanwhile
            fd = libc.syscall(SYS_PIDFD_GETFD, pidfd, int(name), 0)
            if fd < 0:
                e = ctypes.get_errno()
                if e in (errno.EPERM, errno.ENOSYS, errno.EACCES):
                    print("SKIP: pidfd_getfd refused here (%s)" % os.strerror(e))
                    sys.exit(77)
                continue
            s = socket.socket(fileno=fd)
            try:
                if s.type == socket.SOCK_STREAM and s.family in (socket.AF_INET,
                                                                socket.AF_INET6):
                    try:
                        peer = s.getpeername()
                    except OSError:
                        peer = None
                    if peer is not None and peer[1] == port:
                        out.append(s.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            finally:
                s.close()
    finally:
        os.close(pidfd)
    return out


def connects(shelf):
    return shelf.log_text().count("notice: connected to ")


with tempfile.TemporaryDirectory() as d:
    broker = Broker(os.path.join(d, "broker")).start()
    shelf = Shelf(os.path.join(d, "plain"), AGENT, broker, n=1)
    os.makedirs(shelf.d, exist_ok=True)
    shelf.keygen(PANTRYCTL)
    shelf.start()
    check(wait_for(lambda: connects(shelf) == 1), "connected:\n" + shelf.tail())
    s = broker_sockets(shelf.proc.pid, broker.port)
    check(len(s) == 1, "one socket to the broker: %r" % s)
    check(s and all(v != 0 for v in s), "TCP_NODELAY on mqtt://: %r" % s)
    check("TCP_NODELAY not set" not in shelf.log_text(), "no warning")

    # A new connection, a new socket: set again.
    broker.kill()
    broker.start()
    check(wait_for(lambda: connects(shelf) == 2, 60), "reconnected:\n" + shelf.tail())
    s = broker_sockets(shelf.proc.pid, broker.port)
    check(len(s) == 1 and s[0] != 0, "TCP_NODELAY after a reconnect: %r" % s)
    check(shelf.stop() == 0, "stops")
    broker.stop()

    pki = make_pki(os.path.join(d, "pki"))
    tls = Broker(os.path.join(d, "tls"), tls={"cafile": pki["ca"],
                                               "certfile": pki["server_cert"],
                                               "keyfile": pki["server_key"]}).start()
    shelf = Shelf(os.path.join(d, "tls-shelf"), AGENT, tls, n=1,
                  extra_broker='ca_file = "%s";' % pki["ca"])
    os.makedirs(shelf.d, exist_ok=True)
    shelf.keygen(PANTRYCTL)
    shelf.start()
    check(wait_for(lambda: connects(shelf) == 1), "connected over TLS:\n" + shelf.tail())
    s = broker_sockets(shelf.proc.pid, tls.port)
    check(len(s) == 1 and s[0] != 0, "TCP_NODELAY on mqtts://: %r" % s)
    check(shelf.stop() == 0, "stops")
    tls.stop()
done()
