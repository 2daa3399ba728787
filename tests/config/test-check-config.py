#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""pantry-agent --check-config checks the files a configuration names, as the
daemon uses them at start (issue 12: it passed configurations whose key
folder, credentials file or retailer_key did not exist, and the daemon then
failed at start naming a temporary file):

- the key: a key there must be mode 0600 (refused when group or others may
  read it); a missing one needs its folder, where the first start makes it;
- the store's folder;
- with a broker: the credentials file (there, mode 0600, its format), the
  retailer's key (there, a public JWK), the TLS files;
- each problem is one line naming the file, the setting and the path, exit 1;
  the daemon refuses to start with the same line (and no temporary file's
  name); --settings-only checks the settings alone;
- the output, --help and the man page say plainly that hardware is not probed.

The expected messages are written out here by hand, not taken from the code.

usage: test-check-config.py AGENT MAN_PAGE
"""
import os
import subprocess
import sys
import tempfile
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from checks import check, done, put  # noqa: E402

AGENT, MAN = sys.argv[1], sys.argv[2]
# RFC 8037 A.2: an Ed25519 public key as a JWK.
JWK = ('{"kty":"OKP","crv":"Ed25519",'
       '"x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}\n')

BASE = """device_id = "test-pi";
store_path = "{store}";
key_path = "{key}";
control_socket = "{d}/control.sock";
channels = ( {{ name = "rice"; iio = {{ device = "shelf-rice"; }}; }} );
items = ( {{ id = "rice"; channel = "rice"; pack = 1000;
            calibration = {{ zero = 0; span_raw = 400000; span = 1000.0; }}; }} );
{broker}
"""


def conf(d, name, store=None, key=None, broker=""):
    path = os.path.join(d, name + ".conf")
    put(path, BASE.format(d=d, store=store or os.path.join(d, "pantry.db"),
                          key=key or os.path.join(d, "device.key"), broker=broker))
    return path


def check_config(path, *extra):
    return subprocess.run([AGENT, "--check-config", path] + list(extra),
                          capture_output=True, text=True, timeout=60)


def refused(path, line, what):
    """--check-config and the daemon's start both refuse path with line."""
    r = check_config(path)
    check(r.returncode == 1 and line in r.stderr and r.stdout == "",
          "%s: --check-config says %r: %d %r" % (what, line, r.returncode, r.stderr))
    r = subprocess.run([AGENT, "--config", path, "--foreground"],
                       capture_output=True, text=True, timeout=60)
    check(r.returncode == 1 and line in r.stderr and ".new" not in r.stderr,
          "%s: the daemon refuses to start: %d %r" % (what, r.returncode, r.stderr))
    r = check_config(path, "--settings-only")
    check(r.returncode == 0 and "files: not checked" in r.stdout,
          "%s: --settings-only passes: %r" % (what, r.stdout + r.stderr))


with tempfile.TemporaryDirectory() as d:
    # Good: the key and the store are made at the first start, in folders that
    # exist; the output says what was and was not checked.
    good = conf(d, "good")
    r = check_config(good)
    check(r.returncode == 0, "good: exit 0: " + r.stderr)
    check(r.stdout.startswith(good + ": ok (1 item, 1 channel, 0 buttons)\n"),
          "good: ok line: " + r.stdout)
    check("hardware: not probed" in r.stdout and "pantry-sensors probe" in r.stdout,
          "good: says the hardware is not probed: " + r.stdout)
    check(not os.path.exists(os.path.join(d, "device.key")) and
          not os.path.exists(os.path.join(d, "pantry.db")),
          "good: --check-config makes neither key nor store")

    # The key's folder does not exist.
    nokeys = os.path.join(d, "nokeys")
    refused(conf(d, "nokeys", key=os.path.join(nokeys, "device.key")),
            "nokeys.conf: key_path %s/device.key: its folder %s: No such file or "
            "directory (a new key is made there at the first start): create it"
            % (nokeys, nokeys), "missing key folder")

    # The store's folder does not exist.
    nostore = os.path.join(d, "nostore")
    refused(conf(d, "nostore", store=os.path.join(nostore, "pantry.db")),
            "nostore.conf: store_path %s/pantry.db: its folder %s: No such file or "
            "directory (the store is made there at the first start): create it"
            % (nostore, nostore), "missing store folder")

    # A key that others may read: refused as the daemon refuses it.
    open_key = os.path.join(d, "open.key")
    empty = os.path.join(d, "empty.trace")
    put(empty, "# pantry-samples v1\n")
    r = subprocess.run([AGENT, "--config", conf(d, "mkkey", key=open_key),
                        "--replay", empty], capture_output=True, text=True, timeout=60)
    check(os.path.exists(open_key), "a replay of nothing made a key: " + r.stderr)
    os.chmod(open_key, 0o644)
    refused(conf(d, "openkey", key=open_key),
            "openkey.conf: key_path: %s: group or others may access the private "
            "key (mode 644): chmod 600 it" % open_key, "key readable by others")

    # The broker's credentials file: missing, readable by others, malformed.
    creds = os.path.join(d, "mqtt-credentials")
    broker = ('broker = { url = "mqtt://127.0.0.1:1"; credentials_file = "%s"; };'
              % creds)
    path = conf(d, "creds", broker=broker)
    refused(path, "creds.conf: broker.credentials_file: credentials %s: No such "
            "file or directory" % creds, "missing credentials")
    put(creds, "pantry\nsecret\n")
    os.chmod(creds, 0o640)
    refused(path, "creds.conf: broker.credentials_file: credentials %s: group or "
            "others may read it (mode 640): chmod 600 it" % creds,
            "credentials readable by the group")
    os.chmod(creds, 0o600)
    r = check_config(path)
    check(r.returncode == 0 and "the broker's files" in r.stdout,
          "good credentials pass: " + r.stdout + r.stderr)
    put(creds, "pantry")
    os.chmod(creds, 0o600)
    r = check_config(path)
    check(r.returncode == 1 and "creds.conf: broker.credentials_file: credentials: "
          "expected the user name on the first line" in r.stderr,
          "malformed credentials: " + r.stderr)

    # The home broker's credentials (issue 15): the same 0600 rule, named as
    # the home group's.
    hcreds = os.path.join(d, "home-credentials")
    put(hcreds, "ha\nsecret\n")
    os.chmod(hcreds, 0o644)
    path = conf(d, "home", broker='home = { url = "mqtt://127.0.0.1:1"; '
                'credentials_file = "%s"; };' % hcreds)
    refused(path, "home.conf: home.credentials_file: credentials %s: group or "
            "others may read it (mode 644): chmod 600 it" % hcreds,
            "home credentials readable by others")
    os.chmod(hcreds, 0o600)
    r = check_config(path)
    check(r.returncode == 0 and "the home broker's files" in r.stdout,
          "good home credentials pass: " + r.stdout + r.stderr)

    # The retailer's key: missing, not a JWK, good.
    rk = os.path.join(d, "retailer.jwk")
    broker = 'broker = { url = "mqtt://127.0.0.1:1"; retailer_key = "%s"; };' % rk
    path = conf(d, "rk", broker=broker)
    refused(path, "rk.conf: broker.retailer_key %s: No such file or directory" % rk,
            "missing retailer_key")
    put(rk, "not a key\n")
    r = check_config(path)
    check(r.returncode == 1 and "rk.conf: broker.retailer_key %s: " % rk in r.stderr,
          "retailer_key not a JWK: " + r.stderr)
    put(rk, JWK)
    r = check_config(path)
    check(r.returncode == 0, "a good retailer_key passes: " + r.stderr)

    # TLS files that are not there.
    ca = os.path.join(d, "no-ca.crt")
    path = conf(d, "tls", broker='broker = { url = "mqtts://127.0.0.1:1"; '
                'ca_file = "%s"; };' % ca)
    refused(path, "tls.conf: broker.ca_file %s: No such file or directory" % ca,
            "missing ca_file")

    # Every problem at once, one line each.
    path = conf(d, "all", key=os.path.join(nokeys, "k"),
                store=os.path.join(nostore, "s"),
                broker='broker = { url = "mqtt://127.0.0.1:1"; credentials_file = '
                '"%s/none"; retailer_key = "%s/none.jwk"; };' % (d, d))
    r = check_config(path)
    check(r.returncode == 1 and len(r.stderr.splitlines()) == 4,
          "four problems, four lines: %r" % r.stderr)

    # Issue 14: counts in words ("1 item", not "1 items"), and a button the
    # daemon cannot open is named as the configuration names it (buttons.[1] is
    # the second), not counted from 1. The load cell is a fake sysfs tree.
    dev = os.path.join(d, "sys", "iio:device0")
    os.makedirs(dev)
    put(os.path.join(dev, "name"), "hx711\n")
    put(os.path.join(dev, "label"), "shelf-rice\n")
    put(os.path.join(dev, "in_voltage0_raw"), "8388608\n")
    path = conf(d, "buttons", broker="buttons = ( { evdev = { device = \"%s/b0\"; "
                "key = 59; }; item = \"rice\"; }, "
                "{ evdev = { device = \"%s/b1\"; key = 60; }; item = \"rice\"; } );"
                % (d, d))
    os.mkfifo(os.path.join(d, "b0"))
    r = check_config(path)
    check(r.returncode == 0 and
          r.stdout.startswith(path + ": ok (1 item, 1 channel, 2 buttons)\n"),
          "counts in words: %r" % r.stdout)
    r = subprocess.run([AGENT, "--config", path, "--foreground"], capture_output=True,
                       text=True, timeout=60,
                       env=dict(os.environ, PANTRY_IIO_SYSFS_ROOT=os.path.dirname(dev)))
    check(r.returncode == 1 and "error: buttons.[1]: %s/b1: No such file" % d
          in r.stderr, "the second button is buttons.[1]: %r" % r.stderr)

r = subprocess.run([AGENT, "--help"], capture_output=True, text=True)
check("Hardware is not probed" in r.stdout and "--settings-only" in r.stdout and
      "secrets mode 0600" in r.stdout, "--help says what is checked: " + r.stdout)
with open(MAN) as f:
    man = f.read()
check("not probed" in man and "settings\\-only" in man and "0600" in man,
      "the man page says what --check-config checks")
# Issue 14: the sample configuration said to restart after a change, where
# the README and the man page say reload (SIGHUP keeps the running file when
# the new one is bad); a restart is only for the store and socket paths.
sample = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                      "packaging", "pantry-agent.conf")
with open(sample) as f:
    head = " ".join(line.lstrip("# ").strip() for line in f.readlines()[:12])
check("reload the agent (`systemctl reload pantry-agent`)" in head and
      "Only store_path and control_socket need a restart" in head and
      "systemctl reload pantry-agent" in man.replace("\\-", "-"),
      "the sample configuration says reload, as the man page does: %r" % head)
r = subprocess.run([AGENT, "--settings-only"], capture_output=True, text=True)
check(r.returncode == 2, "--settings-only alone: bad usage")
done()
