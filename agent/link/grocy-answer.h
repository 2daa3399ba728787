/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What Grocy answered, judged (grocy.h has what follows from it): the body of
 * a 200 to a stock call against Grocy 4.6's API description, and the
 * error_message of a refusal. Bodies come from the network through the Grocy
 * sender: untrusted, at most GROCY_ANSWER_MAX bytes (tests/agent/fuzz-grocy.c).
 */
#ifndef PANTRY_AGENT_GROCY_ANSWER_H
#define PANTRY_AGENT_GROCY_ANSWER_H

#include <stddef.h>
#include <stdint.h>

#include "agent/store/store-grocy.h"

/*
 * The body (len bytes) of a 200 to a stock call op of product: an array of
 * StockLogEntry objects whose known members have their types (unknown ones
 * pass: Grocy's stock log has more columns than the description), product_id,
 * when given, product's. At least one entry, but for an inventory that changed
 * nothing. Returns NULL, or what is wrong.
 */
const char *grocy_answer_stock(const char *text, size_t len, enum store_grocy_op op,
                               int64_t product);

/* The error_message of a refusal's body (len bytes), its first 200
 * characters, printable ASCII only (others become '?'), into buf; "no error
 * message" when there is none. buflen >= 1. */
void grocy_answer_error(const char *text, size_t len, char *buf, size_t buflen);

#endif
