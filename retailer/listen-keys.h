/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What a listener does with device keys beyond the trust store: the key of a
 * message's device looked up in the ledger's key table (then, with --tofu,
 * its pin), and a message on <prefix>/<device>/key taken under the
 * enrolment rule (--enrol, keytab_offer) or pinned on first use (--tofu).
 */
#ifndef PANTRY_RETAILER_LISTEN_KEYS_H
#define PANTRY_RETAILER_LISTEN_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "retailer/message-check.h"
#include "retailer/listen.h"

/*
 * check_pin_fn for check_config.pin, arg the listen_config: the device's key
 * with kid valid at now_s in the key table, read from the database for each
 * message (a revocation counts from the next one); with c->tofu, the pin of a
 * device the table knows nothing of.
 */
int listen_key_lookup(void *arg, const char *device, const char *kid, int64_t now_s,
                      uint8_t pk[KEYS_PK_BYTES], char *why, size_t whylen);

/*
 * A message of len bytes (untrusted) on device's key topic: ignored when the
 * trust store has the device, else offered to the key table (c->enrol) or
 * pinned (c->tofu); every outcome logged, a refusal as a warning naming the
 * device and the kid. Returns 1 when done, 0 to be retried (the database was
 * busy or failed).
 */
int listen_key_message(const struct listen_config *c, const char *device,
                       const char *data, size_t len, int64_t now_s);

#endif
