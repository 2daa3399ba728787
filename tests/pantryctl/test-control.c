/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Unit test of the control protocol's request lines (agent/control/control.h): good
 * requests with the fields written out by hand, bad ones with the message a
 * sender must get, the formatter's lines checked character for character, a
 * format-then-parse round trip of every command, and the errno names.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "agent/control/control.h"
#include "tests/harness.h"

#define CHECK_STR(a, b)                                                                \
    CHECK_MSG(strcmp((a), (b)) == 0, "%s == %s: \"%s\" != \"%s\"", #a, #b, (a), (b))

static int
parse(const char *line, struct control_request *r, char *err, size_t errlen)
{
    return control_parse_request(line, strlen(line), r, err, errlen);
}

struct good {
    const char *line;
    enum control_cmd cmd;
    const char *item;
    int64_t known_mg, seconds;
};

static void
test_good(void)
{
    static const struct good cases[] = {
        {"{\"cmd\":\"ping\"}", CONTROL_PING, "", 0, 0},
        {"{\"cmd\":\"ping\"}\n", CONTROL_PING, "", 0, 0},
        {"{\"cmd\":\"ping\"}\r\n", CONTROL_PING, "", 0, 0},
        {"  { \"cmd\" : \"status\" }\t", CONTROL_STATUS, "", 0, 0},
        {"{\"cmd\":\"order\",\"item\":\"rice\"}", CONTROL_ORDER, "rice", 0, 0},
        {"{\"item\":\"rice\",\"cmd\":\"confirm\"}", CONTROL_CONFIRM, "rice", 0, 0},
        {"{\"cmd\":\"cancel\",\"item\":\"dish-tabs_2\"}", CONTROL_CANCEL, "dish-tabs_2",
         0, 0},
        {"{\"cmd\":\"tare\",\"item\":\"a\"}", CONTROL_TARE, "a", 0, 0},
        /* 31 characters, the longest id */
        {"{\"cmd\":\"tare\",\"item\":\"abcdefghijklmnopqrstuvwxyz01234\"}",
         CONTROL_TARE, "abcdefghijklmnopqrstuvwxyz01234", 0, 0},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":500.0}", CONTROL_SPAN, "rice",
         500000, 0},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":500}", CONTROL_SPAN, "rice",
         500000, 0},
        /* 0.001 g is 1 mg; 1234.5675 g rounds to 1234568 mg (half up) */
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":0.001}", CONTROL_SPAN, "rice",
         1, 0},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":1234.5676}", CONTROL_SPAN,
         "rice", 1234568, 0},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":1e6}", CONTROL_SPAN, "rice",
         1000000000, 0},
        {"{\"cmd\":\"span\",\"grams\":2.5E2,\"item\":\"x\"}", CONTROL_SPAN, "x", 250000,
         0},
        {"{\"cmd\":\"record\",\"seconds\":60}", CONTROL_RECORD, "", 0, 60},
        {"{\"cmd\":\"record\",\"seconds\":1}", CONTROL_RECORD, "", 0, 1},
        {"{\"cmd\":\"record\",\"seconds\":86400}", CONTROL_RECORD, "", 0, 86400},
        {"{\"cmd\":\"record\",\"seconds\":60.0}", CONTROL_RECORD, "", 0, 60},
        /* a string with escapes the scanner must step over */
        {"{\"cmd\":\"p\\u0069ng\"}", CONTROL_PING, "", 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct control_request r;
        char err[256] = "unchanged";
        int rc = parse(cases[i].line, &r, err, sizeof(err));
        CHECK_MSG(rc == 0, "%s: %d %s", cases[i].line, rc, err);
        CHECK_STR(err, "");
        CHECK_EQ_I64(r.cmd, cases[i].cmd);
        CHECK_STR(r.item, cases[i].item);
        CHECK_EQ_I64(r.known_mg, cases[i].known_mg);
        CHECK_EQ_I64(r.seconds, cases[i].seconds);
    }
}

struct bad {
    const char *line;
    int rc;
    const char *msg;
};

static void
test_bad(void)
{
    static const struct bad cases[] = {
        {"", -EINVAL,
         "empty request: expected a JSON object such as {\"cmd\":\"ping\"}"},
        {"\n", -EINVAL,
         "empty request: expected a JSON object such as {\"cmd\":\"ping\"}"},
        {"   ", -EINVAL,
         "empty request: expected a JSON object such as {\"cmd\":\"ping\"}"},
        {"ping", -EINVAL,
         "request: expected a JSON object, found text that is not JSON at byte 1"},
        /* a text that ends early: cJSON points at its last byte */
        {"{\"cmd\":\"ping\"", -EINVAL,
         "request: expected ',' or '}', at the end of the text"},
        {"{\"cmd\":\"ping\",}", -EINVAL,
         "request: expected a member name in quotes at byte 15"},
        {"{\"cmd\":\'ping\'}", -EINVAL, "request: expected a value at byte 8"},
        {"{\"cmd\":\"ping\"} x", -EINVAL, "request: text after the object at byte 16"},
        {"{\"cmd\":\"ping\"}{}", -EINVAL, "request: text after the object at byte 15"},
        {"[\"ping\"]", -EINVAL,
         "request: expected a JSON object, found an array at byte 1"},
        {"\"ping\"", -EINVAL,
         "request: expected a JSON object, found a string at byte 1"},
        {"42", -EINVAL, "request: expected a JSON object, found a number at byte 1"},
        {"{}", -EINVAL,
         "no \"cmd\": expected one of ping, status, order, confirm, cancel, tare, "
         "span, record, reset-learning, away, refused"},
        {"{\"cmd\":1}", -EINVAL, "\"cmd\" must be a string, found a number"},
        {"{\"cmd\":null}", -EINVAL, "\"cmd\" must be a string, found null"},
        {"{\"cmd\":\"PING\"}", -EINVAL,
         "unknown command \"PING\" (known: ping, status, order, confirm, cancel, tare, "
         "span, record, reset-learning, away, refused)"},
        {"{\"cmd\":\"ping\",\"verbose\":true}", -EINVAL,
         "unknown key \"verbose\" (known: cmd, item, grams, seconds, from, until, "
         "arrive, remove, reason)"},
        {"{\"Cmd\":\"ping\"}", -EINVAL,
         "unknown key \"Cmd\" (known: cmd, item, grams, seconds, from, until, "
         "arrive, remove, reason)"},
        {"{\"cmd\":\"ping\",\"cmd\":\"status\"}", -EINVAL,
         "request: member \"cmd\" given twice"},
        {"{\"cmd\":\"order\",\"item\":\"a\",\"item\":\"b\"}", -EINVAL,
         "request: member \"item\" given twice"},
        {"{\"cmd\":\"ping\",\"item\":\"rice\"}", -EINVAL, "ping takes no \"item\""},
        {"{\"cmd\":\"order\",\"item\":\"rice\",\"grams\":5}", -EINVAL,
         "order takes no \"grams\""},
        {"{\"cmd\":\"status\",\"seconds\":5}", -EINVAL, "status takes no \"seconds\""},
        {"{\"cmd\":\"order\"}", -EINVAL, "order needs \"item\""},
        {"{\"cmd\":\"span\",\"item\":\"rice\"}", -EINVAL, "span needs \"grams\""},
        {"{\"cmd\":\"span\",\"grams\":5}", -EINVAL, "span needs \"item\""},
        {"{\"cmd\":\"record\"}", -EINVAL, "record needs \"seconds\""},
        {"{\"cmd\":\"order\",\"item\":5}", -EINVAL,
         "\"item\" must be a string, found a number"},
        {"{\"cmd\":\"order\",\"item\":[\"rice\"]}", -EINVAL,
         "\"item\" must be a string, found an array"},
        {"{\"cmd\":\"order\",\"item\":\"\"}", -EINVAL,
         "\"item\" must be 1 to 31 characters of a-z, 0-9, _ and -, found \"\""},
        {"{\"cmd\":\"order\",\"item\":\"Rice\"}", -EINVAL,
         "\"item\" must be 1 to 31 characters of a-z, 0-9, _ and -, found \"Rice\""},
        {"{\"cmd\":\"order\",\"item\":\"../etc\"}", -EINVAL,
         "\"item\" must be 1 to 31 characters of a-z, 0-9, _ and -, found \"../etc\""},
        {"{\"cmd\":\"order\",\"item\":\"ri ce\"}", -EINVAL,
         "\"item\" must be 1 to 31 characters of a-z, 0-9, _ and -, found \"ri ce\""},
        /* 32 characters: one too many */
        {"{\"cmd\":\"order\",\"item\":\"abcdefghijklmnopqrstuvwxyz012345\"}", -EINVAL,
         "\"item\" must be 1 to 31 characters of a-z, 0-9, _ and -, found "
         "\"abcdefghijklmnopqrstuvwxyz012345\""},
        /* non-ASCII bytes are shown as '?' */
        {"{\"cmd\":\"order\",\"item\":\"caf\xc3\xa9\"}", -EINVAL,
         "\"item\" must be 1 to 31 characters of a-z, 0-9, _ and -, found \"caf??\""},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":\"500\"}", -EINVAL,
         "\"grams\" must be a number, found a string"},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":true}", -EINVAL,
         "\"grams\" must be a number, found a boolean"},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":0}", -EINVAL,
         "\"grams\" must be from 0.001 to 1000000, found 0"},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":0.0009}", -EINVAL,
         "\"grams\" must be from 0.001 to 1000000, found 0.0009"},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":-5}", -EINVAL,
         "\"grams\" must be from 0.001 to 1000000, found -5"},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":1000000.5}", -EINVAL,
         "\"grams\" must be from 0.001 to 1000000, found 1e+06"},
        {"{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":1e999}", -EINVAL,
         "\"grams\" must be from 0.001 to 1000000, found inf"},
        {"{\"cmd\":\"record\",\"seconds\":0}", -EINVAL,
         "\"seconds\" must be a whole number from 1 to 86400, found 0"},
        {"{\"cmd\":\"record\",\"seconds\":86401}", -EINVAL,
         "\"seconds\" must be a whole number from 1 to 86400, found 86401"},
        {"{\"cmd\":\"record\",\"seconds\":1.5}", -EINVAL,
         "\"seconds\" must be a whole number from 1 to 86400, found 1.5"},
        {"{\"cmd\":\"record\",\"seconds\":\"60\"}", -EINVAL,
         "\"seconds\" must be a number, found a string"},
        {"{\"cmd\":\"record\",\"seconds\":{}}", -EINVAL,
         "\"seconds\" must be a number, found an object"},
        /* depth: the object is level 1; level 4 parses (and is refused by type) */
        {"{\"cmd\":[[[1]]]}", -EINVAL, "\"cmd\" must be a string, found an array"},
        {"{\"cmd\":[[[[1]]]]}", -EINVAL,
         "request: nested deeper than 4 levels at byte 11"},
        {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", -EINVAL,
         "request: expected a JSON object, found an array at byte 1"},
        /* brackets inside strings do not count */
        {"{\"cmd\":\"[[[[[[\"}", -EINVAL,
         "unknown command \"[[[[[[\" (known: ping, status, order, confirm, cancel, "
         "tare, span, record, reset-learning, away, refused)"},
        /* away: from and until together, or remove alone */
        {"{\"cmd\":\"away\",\"from\":10}", -EINVAL,
         "away needs \"from\" and \"until\" together"},
        {"{\"cmd\":\"away\",\"arrive\":\"after\"}", -EINVAL,
         "away needs \"from\" and \"until\" together"},
        {"{\"cmd\":\"away\",\"from\":10,\"until\":10}", -EINVAL,
         "\"until\" must be after \"from\""},
        {"{\"cmd\":\"away\",\"from\":-1,\"until\":10}", -EINVAL,
         "\"from\" must be a whole number from 0 to 253402300799, found -1"},
        {"{\"cmd\":\"away\",\"from\":1,\"until\":2.5}", -EINVAL,
         "\"until\" must be a whole number from 0 to 253402300799, found 2.5"},
        {"{\"cmd\":\"away\",\"from\":\"1\",\"until\":2}", -EINVAL,
         "\"from\" must be a number, found a string"},
        {"{\"cmd\":\"away\",\"from\":1,\"until\":2,\"arrive\":\"soon\"}", -EINVAL,
         "\"arrive\" must be \"after\" or \"before\""},
        {"{\"cmd\":\"away\",\"remove\":0}", -EINVAL,
         "\"remove\" must be a whole number from 1 to 9007199254740991, found 0"},
        {"{\"cmd\":\"away\",\"remove\":1,\"from\":1,\"until\":2}", -EINVAL,
         "away takes \"remove\" alone, or \"from\" and \"until\""},
        {"{\"cmd\":\"status\",\"remove\":1}", -EINVAL, "status takes no \"remove\""},
        /* refused: item required, reason optional text */
        {"{\"cmd\":\"refused\"}", -EINVAL, "refused needs \"item\""},
        {"{\"cmd\":\"cancel\",\"item\":\"rice\",\"reason\":\"x\"}", -EINVAL,
         "cancel takes no \"reason\""},
        {"{\"cmd\":\"refused\",\"item\":\"rice\",\"reason\":7}", -EINVAL,
         "\"reason\" must be a string, found a number"},
        {"{\"cmd\":\"refused\",\"item\":\"rice\",\"reason\":\"\"}", -EINVAL,
         "\"reason\" must be 1 to 120 bytes of text, found 0"},
        {"{\"cmd\":\"refused\",\"item\":\"rice\",\"reason\":\"bad\\u0007\"}", -EINVAL,
         "\"reason\" must be text without control characters"},
        {"{\"cmd\":\"refused\",\"item\":\"rice\",\"reason\":\"x\\u007f\"}", -EINVAL,
         "\"reason\" must be text without control characters"},
        {"{\"cmd\":\"refused\",\"item\":\"rice\",\"reason\":\""
         "1234567890123456789012345678901234567890123456789012345678901234567890"
         "123456789012345678901234567890123456789012345678901\"}",
         -EINVAL, "\"reason\" must be 1 to 120 bytes of text, found 121"},
        {"{\"cmd\":\"pi\tng\"}", -EINVAL,
         "request: control character 0x09 in a string (escape it) at byte 11"},
        {"{\"cmd\":\"ping\"}\n{\"cmd\":\"ping\"}", -EINVAL,
         "more than one line: one request per connection"},
        {"{\"cmd\":\"ping\\u0000\"}", -EINVAL,
         "request: \\u0000 in a string (a NUL is not accepted) at byte 13"},
        {"{\"cmd\":\"ping\"}\r\r\n", -EINVAL, "control character 0x0d at byte 15"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct control_request r;
        char err[256] = "unchanged";
        memset(&r, 0x55, sizeof(r));
        int rc = parse(cases[i].line, &r, err, sizeof(err));
        CHECK_MSG(rc == cases[i].rc, "%s: rc %d", cases[i].line, rc);
        CHECK_STR(err, cases[i].msg);
        CHECK_EQ_I64(r.cmd, 0);
        CHECK_STR(r.item, "");
        CHECK_EQ_I64(r.known_mg, 0);
        CHECK_EQ_I64(r.seconds, 0);
    }
}

static void
test_nul_and_length(void)
{
    static char big[CONTROL_LINE_MAX + 8];
    struct control_request r;
    char err[128];

    /* A NUL byte inside the line (len counts past it). */
    static const char nul[] = "{\"cmd\":\"ping\"\0}";
    CHECK_EQ_I64(control_parse_request(nul, sizeof(nul) - 1, &r, err, sizeof(err)),
                 -EINVAL);
    CHECK_STR(err, "control character 0x00 at byte 14");

    /* Exactly CONTROL_LINE_MAX bytes of a valid request (padded with blanks),
     * with and without its newline, then one byte more. */
    memset(big, ' ', sizeof(big));
    memcpy(big, "{\"cmd\":\"ping\"}", 14);
    CHECK_EQ_I64(control_parse_request(big, CONTROL_LINE_MAX, &r, err, sizeof(err)), 0);
    big[CONTROL_LINE_MAX] = '\n';
    CHECK_EQ_I64(control_parse_request(big, CONTROL_LINE_MAX + 1, &r, err, sizeof(err)),
                 0);
    big[CONTROL_LINE_MAX] = ' ';
    CHECK_EQ_I64(control_parse_request(big, CONTROL_LINE_MAX + 1, &r, err, sizeof(err)),
                 -E2BIG);
    CHECK_STR(err, "request longer than 4096 bytes");

    /* err may be NULL with errlen 0; a short err is cut, NUL-terminated. */
    CHECK_EQ_I64(parse("{}", &r, NULL, 0), -EINVAL);
    char small[8];
    CHECK_EQ_I64(parse("{}", &r, small, sizeof(small)), -EINVAL);
    CHECK_STR(small, "no \"cmd");
}

static void
test_format(void)
{
    char buf[CONTROL_LINE_MAX + 2];
    struct control_request r;

    memset(&r, 0, sizeof(r));
    r.cmd = CONTROL_PING;
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), 15);
    CHECK_STR(buf, "{\"cmd\":\"ping\"}\n");
    r.cmd = CONTROL_STATUS;
    control_format_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"status\"}\n");
    r.cmd = CONTROL_CANCEL;
    strcpy(r.item, "rice");
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), 31);
    CHECK_STR(buf, "{\"cmd\":\"cancel\",\"item\":\"rice\"}\n");
    r.cmd = CONTROL_SPAN;
    r.known_mg = 500000;
    control_format_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":500.000}\n");
    r.known_mg = 1;
    control_format_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":0.001}\n");
    r.known_mg = 1234567;
    control_format_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":1234.567}\n");
    memset(&r, 0, sizeof(r));
    r.cmd = CONTROL_RECORD;
    r.seconds = 3600;
    control_format_request(&r, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"record\",\"seconds\":3600}\n");

    /* refused: what the parser would refuse, and a buffer too small */
    r.seconds = 0;
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.seconds = 86401;
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.cmd = CONTROL_SPAN;
    strcpy(r.item, "rice");
    r.known_mg = 0;
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.known_mg = 1000000001;
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.cmd = CONTROL_ORDER;
    strcpy(r.item, "Rice");
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.item[0] = '\0';
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    memset(r.item, 'a', sizeof(r.item)); /* no NUL */
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.cmd = (enum control_cmd)CONTROL_CMD_COUNT;
    CHECK_EQ_I64(control_format_request(&r, buf, sizeof(buf)), -EINVAL);
    r.cmd = CONTROL_PING;
    CHECK_EQ_I64(control_format_request(&r, buf, 15), -ENOSPC);
    CHECK_EQ_I64(control_format_request(&r, buf, 16), 15);
}

/* Every command through the formatter and back through the parser. */
static void
test_round_trip(void)
{
    char buf[CONTROL_LINE_MAX + 2], err[256];

    for (int c = 0; c < CONTROL_CMD_COUNT; c++) {
        struct control_request in, out;
        memset(&in, 0, sizeof(in));
        in.cmd = (enum control_cmd)c;
        if ((c >= CONTROL_ORDER && c <= CONTROL_SPAN) || c == CONTROL_RESET_LEARNING ||
            c == CONTROL_REFUSED)
            strcpy(in.item, "olive-oil_1");
        if (c == CONTROL_SPAN)
            in.known_mg = 999999999;
        if (c == CONTROL_RECORD)
            in.seconds = 86400;
        if (c == CONTROL_AWAY) {
            in.from_s = 1798156800;
            in.until_s = 1799366400;
            in.before = true;
        }
        int n = control_format_request(&in, buf, sizeof(buf));
        CHECK(n > 0);
        CHECK_EQ_I64(control_parse_request(buf, (size_t)n, &out, err, sizeof(err)), 0);
        CHECK(memcmp(&in, &out, sizeof(in)) == 0);
    }
    /* away's other two forms: remove one, list them */
    struct control_request in, out;
    memset(&in, 0, sizeof(in));
    in.cmd = CONTROL_AWAY;
    in.remove = 7;
    int n = control_format_request(&in, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"away\",\"remove\":7}\n");
    CHECK_EQ_I64(control_parse_request(buf, (size_t)n, &out, err, sizeof(err)), 0);
    CHECK(memcmp(&in, &out, sizeof(in)) == 0);
    in.remove = 0;
    n = control_format_request(&in, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"away\"}\n");
    CHECK_EQ_I64(control_parse_request(buf, (size_t)n, &out, err, sizeof(err)), 0);
    CHECK(memcmp(&in, &out, sizeof(in)) == 0);
    in.from_s = 5;
    in.until_s = 5;
    CHECK_EQ_I64(control_format_request(&in, buf, sizeof(buf)), -EINVAL);
    /* refused with a reason: quotes and backslashes escaped, UTF-8 kept */
    memset(&in, 0, sizeof(in));
    in.cmd = CONTROL_REFUSED;
    strcpy(in.item, "rice");
    strcpy(in.reason, "the \"wrong\" brand \\ cr\xc3\xa8me");
    n = control_format_request(&in, buf, sizeof(buf));
    CHECK_STR(buf, "{\"cmd\":\"refused\",\"item\":\"rice\",\"reason\":"
                   "\"the \\\"wrong\\\" brand \\\\ cr\xc3\xa8me\"}\n");
    CHECK_EQ_I64(control_parse_request(buf, (size_t)n, &out, err, sizeof(err)), 0);
    CHECK(memcmp(&in, &out, sizeof(in)) == 0);
    memset(in.reason, 'x', CONTROL_REASON_MAX - 1); /* 120 bytes: the most */
    n = control_format_request(&in, buf, sizeof(buf));
    CHECK(n > 0);
    CHECK_EQ_I64(control_parse_request(buf, (size_t)n, &out, err, sizeof(err)), 0);
    CHECK(memcmp(&in, &out, sizeof(in)) == 0);
    memset(in.reason, 'x', sizeof(in.reason)); /* no NUL */
    CHECK_EQ_I64(control_format_request(&in, buf, sizeof(buf)), -EINVAL);
    strcpy(in.reason, "bad\x01");
    CHECK_EQ_I64(control_format_request(&in, buf, sizeof(buf)), -EINVAL);
}

static void
test_names(void)
{
    static const char *const cmds[] = {"ping",           "status", "order",  "confirm",
                                       "cancel",         "tare",   "span",   "record",
                                       "reset-learning", "away",   "refused"};
    for (int c = 0; c < CONTROL_CMD_COUNT; c++)
        CHECK_STR(control_cmd_to_str((enum control_cmd)c), cmds[c]);
    CHECK_STR(control_cmd_to_str((enum control_cmd)CONTROL_CMD_COUNT), "?");
    CHECK_STR(control_cmd_to_str((enum control_cmd) - 1), "?");

    static const struct {
        int err;
        const char *name;
    } names[] = {{-EPERM, "EPERM"},   {-ETIME, "ETIME"},   {-EEXIST, "EEXIST"},
                 {-EAGAIN, "EAGAIN"}, {-ERANGE, "ERANGE"}, {-ENOENT, "ENOENT"},
                 {-EINVAL, "EINVAL"}, {-EBUSY, "EBUSY"},   {-ETIMEDOUT, "ETIMEDOUT"},
                 {-E2BIG, "E2BIG"},   {-EIO, "EIO"}};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        CHECK_STR(control_error_name(names[i].err), names[i].name);
        CHECK_EQ_I64(control_error_from_name(names[i].name), names[i].err);
    }
    CHECK_STR(control_error_name(-EXDEV), "EIO");
    CHECK_STR(control_error_name(0), "EIO");
    CHECK_EQ_I64(control_error_from_name("EWHATEVER"), -EIO);
    CHECK_EQ_I64(control_error_from_name(NULL), -EIO);
}

int
main(void)
{
    RUN(test_good);
    RUN(test_bad);
    RUN(test_nul_and_length);
    RUN(test_format);
    RUN(test_round_trip);
    RUN(test_names);
    return th_done();
}
