# SPDX-License-Identifier: GPL-2.0-or-later
"""What the python-driven tests share: counted checks that report and go on,
the closing summary line, a wait that polls a condition with a deadline (never
a fixed sleep), an atomic file write for fake sysfs trees, the valgrind
command line the plain builds run our programs under, one request on the
daemon's control socket, and a skip (exit 77, with its reason) when a tool of
the test group's packages is missing."""
import importlib.util
import os
import shutil
import sys
import threading
import time

_count = {"checks": 0, "failures": 0}

VALGRIND_CMD = ["valgrind", "--quiet", "--error-exitcode=99", "--leak-check=full",
                "--errors-for-leak-kinds=definite,indirect"]


def need(package, programs=(), modules=(), paths=()):
    """Skip the test, with exit status 77 (meson counts it as skipped) and one
    line that says why, when a program, python module or file of the Debian
    package `package` is missing. tests/check.sh prints that line as the
    reason of the skip. packaging/install-deps.sh test installs them all."""
    gone = [p for p in programs
            if shutil.which(p) is None and not os.path.exists(os.path.join("/usr/sbin", p))]
    gone += [m for m in modules if importlib.util.find_spec(m) is None]
    gone += [f for f in paths if not os.path.exists(f)]
    if gone:
        print("SKIP: %s not found: the Debian package %s is not installed "
              "(packaging/install-deps.sh test)" % (", ".join(gone), package))
        sys.exit(77)


def check(cond, what):
    """Count one check; print what failed, and go on."""
    _count["checks"] += 1
    if not cond:
        _count["failures"] += 1
        print("FAIL:", what, file=sys.stderr)
    return bool(cond)


def failures():
    return _count["failures"]


def done():
    """Print the summary and exit 1 if anything failed."""
    print("# %d checks, %d failed" % (_count["checks"], _count["failures"]))
    sys.exit(1 if _count["failures"] else 0)


def wait_for(cond, timeout=20.0):
    """Poll cond() every 20 ms until it is true or the deadline passes."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.02)
    return cond()


def put(path, text):
    """Write text to path atomically (a reader never sees half of it). The
    temporary file is the writing thread's own: two threads writing one path
    (a noise thread and a step) must not move each other's file away."""
    tmp = "%s.tmp.%d.%d" % (path, os.getpid(), threading.get_ident())
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def valgrind_wanted(sanitize):
    """Plain builds run some programs under valgrind themselves (meson's
    valgrind setup would wrap python); sanitizer builds cannot."""
    return sanitize == "none" and shutil.which("valgrind") is not None


def children(pid, arg):
    """The pids of the running processes whose parent is pid and whose
    command line has the word arg (bytes), from /proc."""
    out = []
    for e in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % e) as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            with open("/proc/%s/cmdline" % e, "rb") as f:
                argv = f.read().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid and arg in argv:
            out.append(int(e))
    return out


def read_line(sock):
    """Bytes from a stream socket up to and with a newline (or until EOF)."""
    data = b""
    while not data.endswith(b"\n"):
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def call(sock_path, req, timeout=10):
    """One request (a dict) on pantry-agent's control socket; its answer."""
    import json
    import socket
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall((json.dumps(req) + "\n").encode())
    data = read_line(s)
    s.close()
    return json.loads(data)


def jws_parts(token):
    """The protected header and the payload of a JWS compact token, both parsed
    as JSON (the signature is checked by the C tests and, from issue 5, by a
    standard JOSE library)."""
    import base64
    import json

    def b64(s):
        return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))
    h, p, _ = token.split(".")
    return json.loads(b64(h)), json.loads(b64(p))
