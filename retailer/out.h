/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The lines the retailer writes on stdout, one JSON object each (JSON Lines),
 * for the retailer's own systems to read:
 *
 * listen, per accepted message:
 *   {"accepted":"reorder"|"cancel","device":..,"order_id":..,"seq":..,"kid":..,
 *    "received":"<RFC 3339>","payload":{..},"jws":"<the compact token>"}
 * verify, per input line:
 *   {"line":N,"verdict":"accepted"|"duplicate"|"rejected","reason":<code>,
 *    "detail":..,"device":..,"order_id":..,"seq":..}
 * where reason is absent unless rejected, and device, order_id and seq are
 * absent when they could not be read (or, for device, trusted).
 */
#ifndef PANTRY_RETAILER_OUT_H
#define PANTRY_RETAILER_OUT_H

#include <stdint.h>

#include "ledger.h"

/*
 * The accepted line for res (verdict accepted, res->p.json set) of token,
 * received at received_s. *line gets malloc'd text without the newline.
 * Returns 0 or -ENOMEM.
 */
int out_accepted(const struct check_result *res, const char *token, int64_t received_s,
                 char **line);

/* The verdict line of input line line_no. Same returns. */
int out_verdict(long line_no, enum ledger_verdict v, const struct check_result *res,
                char **line);

#endif
