/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The strict validator of the two signed payloads a retailer receives, a
 * reorder and a cancel (agent/msg/schemas/reorder.schema.json and
 * cancel.schema.json, schema version 1; a reorder may also be version 2,
 * reorder-v2.schema.json, which adds the household's wishes). Every member is checked
 * for its type and range as the schemas say, unknown members are refused, and so are a
 * few things the schemas cannot say but a parser must: bytes that are not UTF-8,
 * duplicate keys (cJSON keeps both, other parsers keep the last), non-finite
 * numbers, trailing bytes after the object, and nesting deeper than the
 * schema's (checked before cJSON sees the text). The payload is untrusted
 * until the caller has verified its signature; this code never trusts it.
 *
 * Three deliberate differences from the schemas, all stricter: integers stop
 * at MESSAGE_INT_MAX (2^53 - 1, exact in a double), a cancel's order_id must
 * be [A-Za-z0-9_-]{1,63}, because the ack that answers it must carry the id
 * and ack.schema.json allows nothing else, and a reorder v2's wishes must
 * bound its packs (packs_min <= quantity.packs <= packs_max) and each delivery
 * window and away period must end after it starts, which JSON Schema cannot
 * say.
 */
#ifndef PANTRY_RETAILER_PAYLOAD_H
#define PANTRY_RETAILER_PAYLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "agent/msg/message.h"

#define PAYLOAD_MAX 8192 /* bytes of a payload; the agent's are under 1 KiB */

enum payload_kind {
    PAYLOAD_REORDER,
    PAYLOAD_CANCEL,
};

/* "reorder", "cancel"; "?" for anything else. */
const char *payload_kind_to_str(enum payload_kind k);

struct payload {
    enum payload_kind kind;
    char order_id[MESSAGE_ID_MAX]; /* "" until read and valid */
    char device[MESSAGE_ID_MAX];   /* "" until read and valid */
    int64_t seq;                   /* 0 until read and valid */
    int64_t iat_s;                 /* -1 until read and valid */
    int version;                   /* schema version, on success only */
    cJSON *json;                   /* the parsed object, on success only */
};

/*
 * Validate text (len bytes, not necessarily NUL-terminated) as a payload of
 * kind. On success returns 0 and *out holds the ids, seq, iat and the parsed
 * object (freed by payload_fini). On failure returns -EPROTO when the schema
 * version `v` is an integer other than MESSAGE_SCHEMA_VERSION (or, for a
 * reorder, MESSAGE_REORDER_V2; checked first: a later version may have other
 * members), -EBADR when `type` names the other
 * kind, -EINVAL for anything else, with a message in err; out->json is NULL
 * then, but order_id, device, seq and iat keep whatever was read and valid
 * before the failure (so a rejection can still be acknowledged).
 */
int payload_parse(const char *text, size_t len, enum payload_kind kind,
                  struct payload *out, char *err, size_t errlen);

/* Free the parsed object; p may be NULL. */
void payload_fini(struct payload *p);

#endif
