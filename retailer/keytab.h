/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of device keys in the ledger, for a retailer with more devices
 * than a folder of files serves well: each key of a device by its kid (the
 * RFC 7638 thumbprint), enrolled or revoked, valid from a time and, once
 * rotated out, until a time (the overlap in which a device's old and new
 * keys both count, the token's kid choosing), and how it came (the
 * operator's `pantry-retailer keys`, the key topic, or an imported trust
 * folder). Beside it the enrolments: the devices the operator registered
 * before they publish a key, each with an optional expected kid and an
 * optional expiry. A key from the key topic is taken only under one of those
 * (keytab_offer): the topic delivers key material, the operator decides who
 * may enrol.
 *
 * A key is valid at now when it is enrolled, valid_from <= now, and
 * valid_until is NULL or > now. Nothing is cached: every message's key is
 * read from the database (keytab_lookup), so a revocation made on one machine
 * counts for every listener from its next message on.
 *
 * The SQL is written once for both drivers through state_query/state_tx.
 */
#ifndef PANTRY_RETAILER_KEYTAB_H
#define PANTRY_RETAILER_KEYTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/msg/keys.h"
#include "retailer/retailer-state.h"

/* keytab_lookup: the device has a valid key, but none with this kid. */
#define KEYTAB_OTHER_KID 2
/* keytab_offer: the key was taken as a rotation (the old one now ends). */
#define KEYTAB_ROTATED 2

#define KEYTAB_OVERLAP_DEFAULT_S (7 * 86400)
/* More keys than this for one device's look-up is a damaged table. */
#define KEYTAB_DEVICE_KEYS_MAX 32

enum keytab_source {
    KEYTAB_OPERATOR,
    KEYTAB_KEY_TOPIC,
    KEYTAB_IMPORTED,
};

/* "operator", "key-topic", "imported"; "?" for anything else. */
const char *keytab_source_to_str(enum keytab_source src);

/*
 * The key of device with kid, valid at now_s: 1 with pk; KEYTAB_OTHER_KID
 * when the device has a valid key but not this one; 0 when it has none. For
 * 0 and KEYTAB_OTHER_KID, why (whylen > 0) gets what was wrong when the
 * table knows (the kid was revoked, or rotated out and expired, or the
 * device's keys all are), else "". Returns -EBUSY, -EIO or -ENOMEM on a
 * database failure.
 */
int keytab_lookup(struct state *s, const char *device, const char *kid, int64_t now_s,
                  uint8_t pk[KEYS_PK_BYTES], char *why, size_t whylen);

struct keytab_key {
    const char *device; /* a message id (checked by the caller) */
    uint8_t pk[KEYS_PK_BYTES];
};

/*
 * Enrol n keys directly (operator or imported), in one transaction: all or
 * none. A key already enrolled for its device counts as done. Returns how
 * many were added, or -EEXIST (a device has another valid key: rotate
 * instead), -EPERM (the key was revoked: a revocation is final), with why,
 * or a database errno; nothing is changed on an error.
 */
int keytab_add(struct state *s, const struct keytab_key *keys, size_t n,
               enum keytab_source src, int64_t now_s, char *why, size_t whylen);

/*
 * Register device for enrolment from the key topic (replacing an earlier
 * registration): kid NULL takes its first key whatever it is, else only the
 * key with that kid; expires_s 0 never expires, else the registration ends
 * then. Returns 0 or a database errno.
 */
int keytab_expect(struct state *s, const char *device, const char *kid,
                  int64_t expires_s, int64_t now_s);

/*
 * Revoke the key kid of device at now_s. Returns 0, 1 when it was revoked
 * already, -ENOENT when the device has no such key, or a database errno.
 */
int keytab_revoke(struct state *s, const char *device, const char *kid, int64_t now_s);

/*
 * Give device the new key pk: its keys valid now end at now_s + overlap_s
 * (or earlier, if they end earlier already), and pk is valid from now_s.
 * Returns 0, -ENOENT (the device has no valid key: add it), -EEXIST (pk is
 * in the table already), -EPERM (pk was revoked), with why, or a database
 * errno; nothing changed on an error.
 */
int keytab_rotate(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
                  int64_t overlap_s, int64_t now_s, char *why, size_t whylen);

/*
 * A key published on device's key topic, taken only under the enrolment
 * rule: the device is registered (keytab_expect), its registration has not
 * expired, and kid is the expected one when one was set; a device with a
 * valid key already needs its new kid registered, and that makes it a
 * rotation (the old keys end at now + overlap). The registration is used up
 * once its key is in. Returns 0 (enrolled), KEYTAB_ROTATED, 1 (the key is
 * the device's valid key already: a retained message seen again), -EPERM
 * (refused, why says why; nothing changed) or a database errno.
 */
int keytab_offer(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
                 int64_t overlap_s, int64_t now_s, char *why, size_t whylen);

/* A row of keytab_each: a key, or (expected) a registration. */
struct keytab_row {
    const char *device;
    const char *kid;   /* NULL: a registration for any kid */
    const char *state; /* valid, rotating, expired, revoked, pending; expected */
    int64_t valid_from_s, valid_until_s; /* -1: none (open, or a registration) */
    const char *source;                  /* for a registration: "operator" */
    int64_t added_s;
};

typedef int keytab_row_fn(void *arg, const struct keytab_row *row);

/*
 * Call fn for every key, ordered by device, valid_from and kid, each device's
 * registration (if any) after its keys, the state as at now_s: "valid"
 * (open-ended), "rotating" (valid until valid_until), "expired" (rotated out
 * and past it), "revoked", "pending" (valid_from later than now), and
 * "expected" for a registration. Returns 0, fn's error or a database errno.
 */
int keytab_each(struct state *s, int64_t now_s, keytab_row_fn *fn, void *arg);

#endif
