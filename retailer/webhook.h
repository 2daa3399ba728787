/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The webhook: one accepted order (the line of out.h) POSTed to the
 * retailer's order system with libcurl, signed, and the order system's answer
 * sorted into three outcomes:
 *
 *   answer                                   outcome    what follows
 *   ---------------------------------------  ---------  -----------------------
 *   2xx                                      delivered  handed off, acks sent
 *   409 or 422 (body {"reason": "..."})      refused    rejected, "refused: .."
 *   408, 429, 5xx, any other code, no        retry      backoff 1 s .. 5 min,
 *   answer (connect, TLS, timeout, reset)               the same key and body
 *
 * Other 4xx codes (400, 401, 403, 404, ...) are retried too: they say the
 * request or the configuration is wrong, not the order, and refusing orders
 * for a wrong URL or secret would throw them away. Redirects are not
 * followed (a 3xx is retried and logged).
 *
 * Each request carries Content-Type: application/json, Idempotency-Key:
 * <device>.<kind>.<order_id> (order ids are chosen by devices and only unique
 * per device and kind, as the ledger keys them), and with a secret
 * Pantry-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">;
 * with the retailer's key (--key, the one that signs acks)
 * Pantry-Signature-Ed25519: t=<t>,kid=<RFC 7638 thumbprint>,sig=<base64url,
 * unpadded, of the Ed25519 signature of "<t>.<body>">. The order system checks
 * t against its clock (a replay carries an old t) and the MAC or signature
 * over exactly the bytes it received.
 * The answer is untrusted: at most WEBHOOK_ANSWER_MAX bytes are read (the
 * status decides all the same; a longer refusal gives no reason), a refusal's
 * body is parsed strictly
 * (jr_parse) and its reason kept only as printable ASCII, cut at
 * WEBHOOK_REASON_MAX bytes.
 */
#ifndef PANTRY_RETAILER_WEBHOOK_H
#define PANTRY_RETAILER_WEBHOOK_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/msg/keys.h"

#define WEBHOOK_ANSWER_MAX 4096
#define WEBHOOK_REASON_MAX 100 /* "refused: " and this fit an ack's 127 bytes */
#define WEBHOOK_SECRET_MIN 16
#define WEBHOOK_SECRET_MAX 1024

struct webhook_config {
    const char *url;         /* http:// or https:// */
    const char *ca_file;     /* NULL: the system's CAs */
    const char *secret_path; /* NULL: unsigned; else 0600, 16..1024 bytes */
    long timeout_s;          /* whole request, > 0 */
    const struct keys *key;  /* NULL, or also sign with it; must outlive w */
};

enum webhook_outcome {
    WEBHOOK_DELIVERED,
    WEBHOOK_REFUSED,
    WEBHOOK_RETRY,
};

struct webhook;

/*
 * Check c (the URL's scheme and host, the CA file readable, the secret file
 * private and of a good length) and set up libcurl; call it before any other
 * thread starts (curl_global_init). Returns 0 with *out, or -EINVAL, -EACCES
 * (a secret group or others may read), -ENOMEM with a message in err naming
 * the option. The secret is never printed.
 */
int webhook_new(const struct webhook_config *c, struct webhook **out, char *err,
                size_t errlen);

/* w may be NULL. Wipes the secret. */
void webhook_free(struct webhook *w);

/*
 * POST body (JSON, NUL-terminated) with Idempotency-Key key, signed at now_s.
 * *stop, read during the transfer, aborts it when it becomes true. Returns the
 * outcome (>= 0): for WEBHOOK_REFUSED, reason gets the order system's reason
 * (printable ASCII, at most WEBHOOK_REASON_MAX bytes, "(none given)" when it
 * gave none); for WEBHOOK_RETRY, err says why (HTTP status or libcurl's
 * error). Returns -ENOMEM when nothing could be tried. One thread at a time.
 */
int webhook_post(struct webhook *w, const char *key, const char *body, int64_t now_s,
                 const atomic_bool *stop, char *reason, size_t reasonlen, char *err,
                 size_t errlen);

/* "delivered", "refused", "retry". */
const char *webhook_outcome_to_str(enum webhook_outcome o);

#endif
