/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The trust store: which Ed25519 public key speaks for which device. A folder
 * of files named <device-id>.jwk, each one public JWK (keys_jwk_parse), read
 * once at start into a table sorted by device id, with an index by kid (the
 * key's RFC 7638 thumbprint) for tokens whose device is not known from a topic
 * (`verify`). Keys pinned on first use live in the database (retailer-state.h), not
 * here: the files are what a person configured, and they win.
 */
#ifndef PANTRY_RETAILER_TRUST_H
#define PANTRY_RETAILER_TRUST_H

#include <stddef.h>
#include <stdint.h>

#include "agent/msg/keys.h"
#include "agent/msg/message.h"

#define TRUST_MAX_DEVICES 100000

struct trust_entry {
    char device[MESSAGE_ID_MAX];
    char kid[KEYS_B64_PK_LEN + 1];
    uint8_t pk[KEYS_PK_BYTES];
};

struct trust;

/*
 * Read every <device-id>.jwk in dir (other names are ignored; a .jwk file
 * whose name is not a device id, or that is not a public Ed25519 JWK, is an
 * error: a trust store must not be half read). dir NULL gives an empty store.
 * Returns 0 with *out (free with trust_free), or -errno with a message in err.
 */
int trust_load(const char *dir, struct trust **out, char *err, size_t errlen);

/* An empty store with room for the caller's entries, for tests and benchmarks. */
int trust_new(struct trust **out);

/* Add (or replace) a device's key. Returns 0, -EINVAL (bad id), -ENOMEM. */
int trust_add(struct trust *t, const char *device, const uint8_t pk[KEYS_PK_BYTES]);

/* The entry of device, or NULL. Valid until the next trust_add or trust_free. */
const struct trust_entry *trust_find_device(const struct trust *t, const char *device);

/* The first entry (by device id) whose kid is kid, or NULL. Same validity. */
const struct trust_entry *trust_find_kid(const struct trust *t, const char *kid);

size_t trust_count(const struct trust *t);

/* Entry i (0 .. trust_count - 1, by device id), or NULL past the end. */
const struct trust_entry *trust_at(const struct trust *t, size_t i);

/* t may be NULL. */
void trust_free(struct trust *t);

#endif
