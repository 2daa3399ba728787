/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The one reader of JSON objects for everything the project takes in as JSON:
 * the JWS header, JWKs, reorders, cancels, acks and control-socket requests.
 *
 * cJSON is lenient where a signed message must not be: it decodes "\u0000"
 * into a NUL byte (every check after it then sees a shorter string than was
 * signed), keeps a member given twice (the first wins where JOSE libraries
 * take the last), takes "01", "1." and raw control characters, and stops after
 * the first value. jr_parse() refuses all of these before cJSON sees the text,
 * so what a check reads is what the sender wrote; jr_members() holds an object
 * to a table of its members and their types.
 */
#ifndef PANTRY_MSG_JSONREAD_H
#define PANTRY_MSG_JSONREAD_H

#include <stdbool.h>
#include <stddef.h>

struct cJSON;

/* The types a member may have (a set). */
#define JR_STRING 0x01u
#define JR_NUMBER 0x02u
#define JR_OBJECT 0x04u
#define JR_ARRAY 0x08u
#define JR_BOOL 0x10u
#define JR_NULL 0x20u
#define JR_SCALAR (JR_STRING | JR_NUMBER | JR_BOOL | JR_NULL)

/*
 * One member of an object: its name, the types it may have, whether it must
 * be there, and what it is (for the message when it is missing; may be NULL).
 * A last entry with name NULL lets any other member through, of its types.
 */
struct jr_member {
    const char *name;
    unsigned types;
    bool required;
    const char *expect;
};

/*
 * Parse len bytes (untrusted) as exactly one JSON object (RFC 8259):
 *   - 1..max_len bytes of well-formed UTF-8, no NUL byte;
 *   - strings without raw control characters, with valid escapes only, and
 *     no "\u0000" (C strings cannot hold it);
 *   - numbers in JSON's grammar (no "01", "1.", "+1", ".5");
 *   - arrays and objects nested at most max_depth deep (the object itself
 *     is depth 1);
 *   - nothing after the object but white space;
 *   - no object, at any depth, with a member name twice (after unescaping:
 *     "a" and "\u0061" are one name; RFC 7515 §5.2, RFC 8259 §4).
 * what names the text in messages ("ack", "header"). Returns the tree (free it
 * with cJSON_Delete()) or NULL with a message in err saying what and where
 * (the byte, counted from 1).
 */
struct cJSON *jr_parse(const char *text, size_t len, size_t max_len, int max_depth,
                       const char *what, char *err, size_t errlen);

/*
 * Hold object o to table (n entries): every member is in the table (unless
 * the table ends with a NULL name) and of one of its types, every required
 * one is there. where names o in messages ("reorder", "quantity").
 * Duplicates were refused by jr_parse(). Returns 0 or -EINVAL with a message.
 */
int jr_members(const struct cJSON *o, const char *where, const struct jr_member *table,
               size_t n, char *err, size_t errlen);

/* "a string", "a number or null", ...: what types expects (for messages). */
const char *jr_types_text(unsigned types, char *buf, size_t len);

#endif
