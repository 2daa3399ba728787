/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The listener's device keys beyond the trust store (listen-keys.h): the
 * look-up of a message's key in the key table and the pins, and the key
 * topic's messages under the enrolment rule or trust on first use. Split
 * from listen.c, which keeps the MQTT client and the message flow.
 */
#include "retailer/listen-keys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "retailer/keytab.h"
#include "retailer/logmsg.h"

int
listen_key_lookup(void *arg, const char *device, const char *kid, int64_t now_s,
                  uint8_t pk[KEYS_PK_BYTES], char *why, size_t whylen)
{
    const struct listen_config *c = arg;
    int r = keytab_lookup(c->state, device, kid, now_s, pk, why, whylen);

    if (r == 0 && why[0] == '\0' && c->tofu)
        return state_pin_get(c->state, device, pk);
    return r == KEYTAB_OTHER_KID ? CHECK_KEY_OTHER_KID : r;
}

/* A key under the enrolment rule (--enrol): 1 done, 0 retry it. */
static int
enrol_key(const struct listen_config *c, const char *device,
          const uint8_t pk[KEYS_PK_BYTES], const char *kid, int64_t now_s)
{
    char why[256];
    int r = keytab_offer(c->state, device, pk, c->overlap_s, now_s, why, sizeof(why));

    if (r == 0)
        logmsg("enrolled the key of %s from its key topic: kid %s", device, kid);
    else if (r == KEYTAB_ROTATED)
        logmsg("rotated the key of %s from its key topic: kid %s, the old key(s) "
               "valid for %lld s more",
               device, kid, (long long)c->overlap_s);
    else if (r == -EPERM)
        logmsg("WARNING: REFUSED the key of device %s (kid %s): %s", device, kid, why);
    else if (r < 0)
        logmsg("cannot enrol the key of %s: %s (will retry)", device,
               state_error(c->state));
    return r == -EBUSY || r == -EIO ? 0 : 1;
}

int
listen_key_message(const struct listen_config *c, const char *device, const char *data,
                   size_t len, int64_t now_s)
{
    const struct trust_entry *e = trust_find_device(c->check.trust, device);
    char why[256], kid[KEYS_B64_PK_LEN + 1];
    uint8_t pk[KEYS_PK_BYTES];
    int r;

    if (len == 0)
        return 1; /* a retained key cleared */
    if (keys_jwk_parse(data, len, pk, why, sizeof(why)) < 0) {
        logmsg("key message of %s ignored: %s", device, why);
        return 1;
    }
    keys_thumbprint(pk, kid);
    if (e != NULL) {
        if (memcmp(e->pk, pk, KEYS_PK_BYTES) != 0)
            logmsg("key message of %s ignored: kid %s is not the trust store's %s "
                   "(the trust store wins)",
                   device, kid, e->kid);
        return 1;
    }
    if (c->enrol)
        return enrol_key(c, device, pk, kid, now_s);
    r = state_pin_put(c->state, device, pk, now_s);
    if (r == 0)
        logmsg("pinned the key of %s on first use: kid %s", device, kid);
    else if (r == -EEXIST)
        logmsg("WARNING: REFUSED a different key for device %s (kid %s): the key "
               "pinned first stays; if the device really has a new key, remove its "
               "pin from the database",
               device, kid);
    else if (r < 0)
        logmsg("cannot pin the key of %s: %s (will retry)", device,
               state_error(c->state));
    return r == -EBUSY || r == -EIO ? 0 : 1;
}
