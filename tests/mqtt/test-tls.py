#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The broker's gates: TLS between the agent and mosquitto, with a CA and
certificates made by openssl at test time (tests/broker.py make_pki), and a
user name and password:

- the agent given the right CA connects, announces itself, and an order goes
  through to pantry-retailer (which also talks TLS with the same CA) and back;
- given another CA it is refused (the log says why) and never says online;
- with `verify = false` the same wrong CA connects (the documented way to
  switch verification off; the default is on);
- a broker that requires client certificates takes the agent with its
  certificate and key, and refuses it without;
- a broker with a password file takes the agent with the credentials file,
  refuses a wrong password, and the agent refuses a credentials file that
  others may read (and never logs the password).

usage: test-tls.py AGENT PANTRYCTL RETAILER
"""
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from broker import Broker, make_pki  # noqa: E402
from checks import check, done, need, wait_for  # noqa: E402
need("mosquitto", programs=["mosquitto"])
need("mosquitto-clients", programs=["mosquitto_sub", "mosquitto_pub"])
need("python3-jwcrypto", modules=["jwcrypto"])
need("openssl", programs=["openssl"])
from mqttlib import DEVICE, Retailer, Shelf, emulated  # noqa: E402

AGENT, PANTRYCTL, RETAILER = emulated(*sys.argv[1:4])


def connected(shelf):
    return "notice: connected to mqtts://" in shelf.log_text()


with tempfile.TemporaryDirectory() as d:
    pki = make_pki(os.path.join(d, "pki"))
    tls = {"cafile": pki["ca"], "certfile": pki["server_cert"],
           "keyfile": pki["server_key"]}
    broker = Broker(os.path.join(d, "broker"), tls=tls).start()
    check(broker.url.startswith("mqtts://127.0.0.1:"), "a TLS url: %s" % broker.url)

    # The right CA: connected, and an order goes through.
    shelf = Shelf(os.path.join(d, "good"), AGENT, broker, n=1,
                  extra_broker='ca_file = "%s";' % pki["ca"])
    os.makedirs(shelf.d, exist_ok=True)
    trust = os.path.join(d, "trust")
    os.makedirs(trust)
    with open(os.path.join(trust, DEVICE + ".jwk"), "w") as f:
        f.write(shelf.keygen(PANTRYCTL))
    shop = Retailer(d, RETAILER, broker, trust, ["--ca-file", pki["ca"]]).start()
    shelf.start()
    check(wait_for(lambda: connected(shelf)), "connected with the right CA:\n%s" %
          shelf.tail())
    r = shelf.order("item0")
    check(r["ok"], "order: %r" % r)

    def state():
        return [v[1] for v in shelf.orders().values()]
    check(wait_for(lambda: state() == ["acknowledged"], 30),
          "acknowledged over TLS: %r\n%s\n%s" % (state(), shelf.tail(),
                                                 shop.log_text()[-1500:]))
    check(len(shop.accepted("reorder")) == 1, "the retailer accepted it over TLS")
    check(shelf.stop() == 0, "stop")
    check(shop.stop() == 0, "retailer stops")

    # Another CA: refused, with the reason in the log; never online.
    bad = Shelf(os.path.join(d, "bad"), AGENT, broker, n=1, device="bad-pi",
                extra_broker='ca_file = "%s";' % pki["other_ca"])
    bad.start()
    check(wait_for(lambda: "cannot connect to mqtts://" in bad.log_text()),
          "refused with the wrong CA:\n%s" % bad.tail())
    log = bad.log_text()
    check(not connected(bad), "never connected with the wrong CA")
    check("certificate" in log.lower() or "ssl" in log.lower() or "tls" in log.lower(),
          "the log says it is about TLS:\n%s" % bad.tail(1500))
    print("# wrong CA: " + [line for line in log.splitlines()
                            if "cannot connect" in line][0])
    check(bad.stop() == 0, "stop")

    # verify = false: the same wrong CA connects (verification switched off).
    lax = Shelf(os.path.join(d, "lax"), AGENT, broker, n=1, device="lax-pi",
                extra_broker='ca_file = "%s"; verify = false;' % pki["other_ca"])
    lax.start()
    check(wait_for(lambda: connected(lax)), "verify = false connects:\n%s" % lax.tail())
    check(lax.stop() == 0, "stop")
    broker.stop()

    # Client certificates required.
    tls["require_certificate"] = True
    strict = Broker(os.path.join(d, "broker2"), tls=tls).start()
    withcert = Shelf(os.path.join(d, "withcert"), AGENT, strict, n=1, device="cert-pi",
                     extra_broker='ca_file = "%s"; cert_file = "%s"; cert_key_file = '
                     '"%s";' % (pki["ca"], pki["client_cert"], pki["client_key"]))
    withcert.start()
    check(wait_for(lambda: connected(withcert)), "the client certificate is taken:\n%s"
          % withcert.tail())
    check(withcert.stop() == 0, "stop")
    nocert = Shelf(os.path.join(d, "nocert"), AGENT, strict, n=1, device="nocert-pi",
                   extra_broker='ca_file = "%s";' % pki["ca"])
    nocert.start()
    check(wait_for(lambda: "cannot connect to" in nocert.log_text() or
                   "lost the connection" in nocert.log_text()),
          "refused without a client certificate:\n%s" % nocert.tail())
    check(not connected(nocert) or "lost the connection" in nocert.log_text(),
          "no lasting connection without a certificate")
    check(nocert.stop() == 0, "stop")
    strict.stop()

    # User name and password.
    locked = Broker(os.path.join(d, "broker3"),
                    passwords={"pantry": "s3cret pass"}).start()
    good, wrong = os.path.join(d, "good.cred"), os.path.join(d, "wrong.cred")
    for path, text in ((good, "pantry\ns3cret pass\n"), (wrong, "pantry\nnope\n")):
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o600)
    withpw = Shelf(os.path.join(d, "withpw"), AGENT, locked, n=1, device="pw-pi",
                   extra_broker='credentials_file = "%s";' % good)
    withpw.start()
    check(wait_for(lambda: "notice: connected to mqtt://" in withpw.log_text()),
          "connected with the password:\n%s" % withpw.tail())
    check("s3cret" not in withpw.log_text(), "the password is never logged")
    check(withpw.stop() == 0, "stop")
    wrongpw = Shelf(os.path.join(d, "wrongpw"), AGENT, locked, n=1, device="wpw-pi",
                    extra_broker='credentials_file = "%s";' % wrong)
    wrongpw.start()
    check(wait_for(lambda: "cannot connect to mqtt://" in wrongpw.log_text()),
          "refused with a wrong password:\n%s" % wrongpw.tail())
    check("connected to mqtt://" not in wrongpw.log_text().replace(
        "cannot connect to", ""), "never connected with a wrong password")
    check(wrongpw.stop() == 0, "stop")
    os.chmod(good, 0o644)
    readable = Shelf(os.path.join(d, "readable"), AGENT, locked, n=1, device="rd-pi",
                     extra_broker='credentials_file = "%s";' % good)
    try:
        readable.start()
        started = True
    except RuntimeError:
        started = False
    check(not started and "group or others may read it" in readable.log_text(),
          "a readable credentials file is refused:\n%s" % readable.tail())
    if started:
        readable.stop()
    locked.stop()
done()
