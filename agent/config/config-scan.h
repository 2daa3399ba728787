/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The pass over a configuration's text before libconfig 1.5 parses it, for
 * what libconfig does not do itself: name the setting of every integer literal
 * that does not fit where libconfig stores it (it wraps 3000000000 to
 * -1294967296 without a word, and on armhf saturates it), refuse @include (a
 * configuration is always one file that names its own lines) and more than
 * CFG_LINES_MAX lines, and find the string libconfig would leak as the token of
 * a syntax error. It follows the text's structure as libconfig's grammar does
 * (names, { } ( ) [ ], commas; strings and comments skipped), and knows
 * nothing of the settings themselves: config.c turns what it finds into
 * messages.
 */
#ifndef PANTRY_AGENT_CONFIG_SCAN_H
#define PANTRY_AGENT_CONFIG_SCAN_H

#include <stdbool.h>
#include <stddef.h>

/* libconfig keeps a setting's line in an unsigned short. */
#define CFG_LINES_MAX 65535

#define CFG_SCAN_PATH_LEN 160 /* a setting's path, as libconfig's path_of() */
#define CFG_SCAN_OVERFLOWS 16 /* literals remembered; more are not named */

/* A literal too large for libconfig, and the path of the setting it is in
 * ("items.[2].capacity"); the text is cut to fit with "..." after it. */
struct cfg_overflow {
    char path[CFG_SCAN_PATH_LEN];
    char text[32];
};

struct cfg_scan {
    struct cfg_overflow ov[CFG_SCAN_OVERFLOWS];
    size_t n_ov;
    /*
     * The first string where no value may start, or NULL: libconfig 1.5 leaks
     * a string that is the token of a syntax error (its grammar has no
     * %destructor), so the caller hands it a copy with " 0 " there instead,
     * which is the same syntax error on the same line without the leak. Points
     * into the scanned text, bad_string_len bytes with both quotes.
     */
    const char *bad_string;
    size_t bad_string_len;
};

/*
 * Scan text (NUL-terminated, untrusted) into *out, which the caller zeroed.
 * Each problem that makes the text unusable is passed to report with its line
 * and what to say after "FILE:LINE: " ("@include: expected every setting in
 * this one file, found an @include"). Returns false when the text cannot be
 * used at all (an @include, more than CFG_LINES_MAX lines), else true.
 */
bool cfg_scan(const char *text, struct cfg_scan *out,
              void (*report)(void *arg, unsigned line, const char *what), void *arg);

/* The characters of a setting's name in libconfig's grammar: the first one,
 * and the others. */
bool cfg_scan_name_start(char ch);
bool cfg_scan_name_char(char ch);

#endif
