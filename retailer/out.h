/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lines the retailer writes on stdout, one JSON object each (JSON Lines),
 * for the retailer's own systems to read:
 *
 * listen (and export), per accepted message:
 *   {"accepted":"reorder"|"cancel","device":..,"order_id":..,"seq":..,"kid":..,
 *    "received":"<RFC 3339>","payload":{..},"jws":"<the compact token>"}
 * where payload is the JWS payload as it was signed, byte for byte (numbers
 * keep their digits: no float round trip), less any whitespace between its
 * JSON tokens (a pretty-printed payload must not break the line);
 * verify, per input line:
 *   {"line":N,"verdict":"accepted"|"duplicate"|"rejected","reason":<code>,
 *    "detail":..,"device":..,"order_id":..,"seq":..}
 *    and, for an accepted reorder of schema version 2, "wishes":{..} (its
 *    products, pack bounds and price ceiling, as signed)
 * where reason is absent unless rejected, and device, order_id and seq are
 * absent when they could not be read (or, for device, trusted).
 */
#ifndef PANTRY_RETAILER_OUT_H
#define PANTRY_RETAILER_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "retailer/ledger.h"

/*
 * The accepted line of token (len bytes, accepted before, as recorded) of
 * kind, received at received_s. Everything is read from the token itself:
 * device, order id and seq from its payload (validated again with
 * payload_parse, so a damaged database cannot make a line that is not JSON),
 * kid from its header; the signature is not checked again. *line gets
 * malloc'd text without the newline. Returns 0, -ENOMEM, or -EINVAL with a
 * message in err (a token or payload that does not parse).
 */
int out_accepted(enum payload_kind kind, const char *token, size_t len,
                 int64_t received_s, char **line, char *err, size_t errlen);

/*
 * Write line and a newline to f and flush it: the hand-off. Returns 0, or a
 * negative errno (-EPIPE when the reader has gone, -ENOSPC, -EIO); part of
 * the line may have been written then.
 */
int out_write(FILE *f, const char *line);

/* The verdict line of input line line_no. Same returns. */
int out_verdict(long line_no, enum ledger_verdict v, const struct check_result *res,
                char **line);

#endif
