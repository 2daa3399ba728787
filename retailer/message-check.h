/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Everything a retailer decides about one signed message without its memory
 * of earlier messages: the token (jws_verify: sizes, base64url, header, alg),
 * whose key it is (the trust store or a pin, and the kid), the signature, the
 * typ against the topic, the payload (payload.h), the device against the
 * topic and the key, and the issued-at window. What is left, the duplicate
 * and sequence rules, needs the ledger (ledger.h) or the database (retailer-state.h).
 *
 * The order of the checks decides which reason a message gets, and whether
 * the retailer may answer it at all:
 *
 *   step                         fails with                  signer known?
 *   ---------------------------  --------------------------  -------------
 *   token form, header           malformed                   no
 *   alg (only EdDSA/Ed25519)     alg                         no
 *   device's key                 unknown-device              no
 *   kid = thumbprint of that key unknown-kid                 no
 *   Ed25519 signature            signature                   no
 *   typ of topic (or a known one) typ                        yes
 *   payload v                    schema                      yes
 *   payload type = typ           typ                         yes
 *   payload members              payload                     yes
 *   payload device = key's       device-mismatch             yes
 *   iat >= now - max_age         stale                       yes
 *   iat <= now + max_skew        future                      yes
 *   a reorder v2's delivery      window                      yes
 *   windows meet the retailer's
 *   (when it has windows)
 *
 * Only a message whose signer is known can be acknowledged (a rejection
 * included); the others are logged and dropped, since anyone could have sent
 * them.
 */
#ifndef PANTRY_RETAILER_CHECK_H
#define PANTRY_RETAILER_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/msg/jws.h"
#include "retailer/payload.h"
#include "retailer/trust.h"
#include "agent/msg/window.h"

/* Stable reason codes: printed, stored and documented; never renumber text. */
enum check_reason {
    CHECK_OK,
    CHECK_MALFORMED,
    CHECK_ALG,
    CHECK_SIGNATURE,
    CHECK_UNKNOWN_DEVICE,
    CHECK_UNKNOWN_KID,
    CHECK_TYP,
    CHECK_SCHEMA,
    CHECK_PAYLOAD,
    CHECK_DEVICE_MISMATCH,
    CHECK_SEQUENCE, /* decided by the ledger, not here */
    CHECK_STALE,
    CHECK_FUTURE,
    CHECK_WINDOW, /* a reorder none of whose delivery windows meets ours */
};
#define CHECK_REASON_COUNT 14

/* "ok", "malformed", "alg", ... "future"; "?" for anything else. */
const char *check_reason_to_str(enum check_reason r);

/*
 * A key for a device the trust store does not have (the ledger's key table,
 * keytab.h, then a key pinned on first use), chosen by the kid of the
 * token's header (unverified: only a choice, the signature decides): returns
 * 1 with pk filled; 0 when the device has no key; CHECK_KEY_OTHER_KID when
 * it has one but not with this kid (a revoked or rotated-out one, say); or a
 * negative errno. For 0 and CHECK_KEY_OTHER_KID, why (whylen bytes) may get
 * a detail for the rejection ("" for the usual one).
 */
#define CHECK_KEY_OTHER_KID 2
typedef int check_pin_fn(void *arg, const char *device, const char *kid, int64_t now_s,
                         uint8_t pk[KEYS_PK_BYTES], char *why, size_t whylen);

struct check_config {
    const struct trust *trust;
    check_pin_fn *pin; /* NULL: no pins */
    void *pin_arg;
    int64_t now_s;      /* the time to judge iat against */
    int64_t max_age_s;  /* iat older than now - max_age is stale */
    int64_t max_skew_s; /* iat later than now + max_skew is in the future */
    /* The retailer's delivery windows in its local time (TZ), n_windows 0..8
     * (0: it delivers any time): a reorder v2 none of whose windows meets
     * one of these, at the order's iat, is rejected with "window". */
    const struct delivery_window *windows;
    size_t n_windows;
};

#define CHECK_DETAIL_MAX 256

struct check_result {
    enum check_reason reason;
    bool signer_known; /* the signature verified with the device's key */
    bool kind_known;   /* kind below is meaningful */
    enum payload_kind kind;
    char device[MESSAGE_ID_MAX]; /* the device whose key signed, "" if none */
    char kid[JWS_FIELD_MAX];
    struct payload p; /* ids and times as far as read; p.json when OK */
    char detail[CHECK_DETAIL_MAX];
};

/*
 * Judge token (len bytes, untrusted) received on the topic of topic_device
 * and topic_kind (listen), or with topic_device NULL (verify: the device is
 * the one whose trusted key has the token's kid, the kind is the typ's).
 * Returns 0 with *res filled (free with check_result_fini) whatever the
 * verdict, or -ENOMEM, or the pin callback's error.
 */
int check_token(const struct check_config *c, const char *token, size_t len,
                const char *topic_device, enum payload_kind topic_kind,
                struct check_result *res);

/* res may be NULL. */
void check_result_fini(struct check_result *res);

#endif
