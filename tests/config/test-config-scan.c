/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of the pass over a configuration's text before libconfig parses it
 * (agent/config/config-scan.c), on its own: the paths it gives to literals too large
 * for libconfig, what it reports (an @include, too many lines) and on which
 * line, and the string libconfig would leak. Every expected value is worked out
 * by hand from libconfig 1.5's grammar and storage (32-bit int unless the
 * literal ends in L, 64-bit then), not taken from the scanner.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/config-scan.h"
#include "tests/harness.h"

struct seen {
    unsigned n;
    unsigned line[4];
    char what[4][128];
};

static void
report(void *arg, unsigned line, const char *what)
{
    struct seen *s = arg;

    if (s->n < 4) {
        s->line[s->n] = line;
        snprintf(s->what[s->n], sizeof(s->what[0]), "%s", what);
    }
    s->n++;
}

static bool
scan(const char *text, struct cfg_scan *out, struct seen *s)
{
    memset(out, 0, sizeof(*out));
    memset(s, 0, sizeof(*s));
    return cfg_scan(text, out, report, s);
}

/* Which literals do not fit, and the path each is given. */
static void
test_overflow_paths(void)
{
    struct cfg_scan o;
    struct seen s;

    /* 2^31 = 2147483648 does not fit an int; 2147483647 does; -2147483648
     * does; with L a 64-bit one fits; 0x80000000 is above INT32_MAX. */
    CHECK(scan("a = 2147483647;\nb = -2147483648;\nc = 2147483648;\n"
               "d = 2147483648L;\ne = 0x80000000;\nf = 0x7fffffff;\n",
               &o, &s));
    CHECK_EQ_U64(o.n_ov, 2);
    CHECK(strcmp(o.ov[0].path, "c") == 0 && strcmp(o.ov[0].text, "2147483648") == 0);
    CHECK(strcmp(o.ov[1].path, "e") == 0 && strcmp(o.ov[1].text, "0x80000000") == 0);
    CHECK_EQ_U64(s.n, 0);

    /* Groups by name, list elements by index counted at each comma. */
    CHECK(scan("g = { h = ( 1, \"x, y\", [ 5, 9999999999 ] ); };\n", &o, &s));
    CHECK_EQ_U64(o.n_ov, 1);
    CHECK(strcmp(o.ov[0].path, "g.h.[2].[1]") == 0);

    /* A float out of double's range; one that underflows is not reported. */
    CHECK(scan("x = 1e999;\ny = 1e-999;\n", &o, &s));
    CHECK_EQ_U64(o.n_ov, 1);
    CHECK(strcmp(o.ov[0].path, "x") == 0);

    /* Comments hide literals. */
    CHECK(scan("# 9999999999\n// 9999999999\n/* 9999999999 */ a = 1;\n", &o, &s));
    CHECK_EQ_U64(o.n_ov, 0);

    /* Deeper than the eight frames kept: not named rather than misnamed. */
    CHECK(scan("a = ((((((((( 9999999999 )))))))));\n", &o, &s));
    CHECK_EQ_U64(o.n_ov, 0);
}

/* @include at the start of a line is reported with its line, and the scan
 * goes on to find the next one. */
static void
test_include(void)
{
    struct cfg_scan o;
    struct seen s;

    CHECK(
        !scan("a = 1;\n/* two\nlines */\n  @include \"x\"\n@include \"y\"\n", &o, &s));
    CHECK_EQ_U64(s.n, 2);
    CHECK_EQ_U64(s.line[0], 4);
    CHECK_EQ_U64(s.line[1], 5);
    CHECK(strcmp(s.what[0], "@include: expected every setting in this one file, "
                            "found an @include") == 0);
    /* Not at the start of a line: libconfig's own syntax error, not ours. */
    CHECK(scan("a = 1; @include \"x\"\n", &o, &s));
    CHECK_EQ_U64(s.n, 0);
}

/* More lines than libconfig's unsigned short can number. */
static void
test_lines(void)
{
    struct cfg_scan o;
    struct seen s;
    char *t = malloc(65536);

    if (t == NULL) {
        TH_FAIL("out of memory");
        return;
    }
    /* 65534 newlines: the text ends on line 65535, the last one allowed. */
    memset(t, '\n', 65534);
    t[65534] = '\0';
    CHECK(scan(t, &o, &s));
    CHECK_EQ_U64(s.n, 0);
    /* One more newline starts line 65536. */
    t[65534] = '\n';
    t[65535] = '\0';
    CHECK(!scan(t, &o, &s));
    CHECK_EQ_U64(s.n, 1);
    CHECK_EQ_U64(s.line[0], 65536);
    CHECK(strcmp(s.what[0], "expected at most 65535 lines, found more") == 0);
    free(t);
}

/* The first string where no value may start, with both quotes. */
static void
test_bad_string(void)
{
    struct cfg_scan o;
    struct seen s;
    const char *t =
        "a = \"x\" \"y\";\nb = ( \"p\", \"q\" );\nc = 1 \"s\\\"t\";\nd = 2 \"u\";\n";

    CHECK(scan(t, &o, &s));
    CHECK(o.bad_string == strstr(t, "\"s\\\"t\""));
    CHECK_EQ_U64(o.bad_string_len, 6);
    /* A string as a value, in a list, or concatenated is fine. */
    CHECK(scan("a = \"x\"\n  \"y\";\nb = [ \"p\", \"q\" ];\n", &o, &s));
    CHECK(o.bad_string == NULL);
}

int
main(void)
{
    RUN(test_overflow_paths);
    RUN(test_include);
    RUN(test_lines);
    RUN(test_bad_string);
    return th_done();
}
