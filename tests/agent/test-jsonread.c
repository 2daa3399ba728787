/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * agent/msg/jsonread.c: the exact reader of JSON objects. Each case is text
 * cJSON alone takes (or reads differently from a JOSE library) and what the
 * reader must say about it, written from RFC 8259 and RFC 7515 §5.2.
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <string.h>

#include "tests/harness.h"
#include "agent/msg/jsonread.h"

static void
test_parse(void)
{
    static const struct {
        const char *text;
        const char *why; /* "" when accepted, else a part of the message */
    } cases[] = {
        {"{}", ""},
        {" \t\r\n{\"a\":[1,-0.5e+3,true,false,null,\"x\"]} \n", ""},
        {"{\"a\":\"\\u00e9\\ud83d\\ude00\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", ""},
        {"{\"a\":\"caf\xc3\xa9\"}", ""},
        /* what cJSON alone takes */
        {"{\"a\":\"x\\u0000y\"}",
         "\\u0000 in a string (a NUL is not accepted) at byte 8"},
        {"{\"a\\u0000b\":1}", "\\u0000 in a string"},
        {"{\"a\":01}", "not a JSON number (a leading zero?) at byte 7"},
        {"{\"a\":1.}", "without digits after its point at byte 8"},
        {"{\"a\":.5}", "expected a value at byte 6"},
        {"{\"a\":+1}", "expected a value at byte 6"},
        {"{\"a\":1e}", "without digits in its exponent at byte 8"},
        {"{\"a\":-}", "a number without digits"},
        {"{\"a\":\"x\ty\"}",
         "control character 0x09 in a string (escape it) at byte 8"},
        {"{\"a\":\"\\x\"}", "unknown escape \\x at byte 7"},
        {"{\"a\":\"\\u12g4\"}", "\\u without four hex digits"},
        {"{\"a\":1}x", "text after the object at byte 8"},
        {"{\"a\":1}{}", "text after the object at byte 8"},
        {"{\"a\":1,}", "expected a member name in quotes at byte 8"},
        {"{\"a\" 1}", "expected ':' after a member name at byte 6"},
        {"{\"a\":1", "expected ',' or '}', at the end of the text"},
        {"{\"a\":\"x", "a string without its closing quote, at the end of the text"},
        {"{\"a\":tru}", "expected a value at byte 6"},
        {"[1]", "expected a JSON object, found an array at byte 1"},
        {"\"x\"", "found a string"},
        {"", "expected 1 to 64 bytes of JSON, got 0"},
        /* UTF-8 (RFC 3629): overlong, a surrogate, a cut sequence */
        {"{\"a\":\"\xc0\xaf\"}", "not UTF-8"},
        {"{\"a\":\"\xed\xa0\x80\"}", "not UTF-8"},
        {"{\"a\":\"\xe2\x82\"}", "not UTF-8"},
        {"{\"a\":\"\\ud800\"}", "lone"},
        /* names twice, at any depth, however spelled */
        {"{\"a\":1,\"a\":1}", "member \"a\" given twice"},
        {"{\"a\":1,\"\\u0061\":2}", "member \"a\" given twice"},
        {"{\"o\":{\"b\":1,\"b\":2}}", "member \"b\" given twice"},
        {"{\"l\":[{\"c\":1,\"c\":2}]}", "member \"c\" given twice"},
        {"{\"a\":1,\"A\":2}", ""},
        /* names are quoted as printable ASCII only */
        {"{\"\\u0001\xc3\xa9\":1,\"\\u0001\xc3\xa9\":2}", "member \"???\" given twice"},
        {"{\"a\":\"\xff\"}", "t: not UTF-8 (RFC 8259, section 8.1)"},
        /* depth: the object is 1 */
        {"{\"a\":{\"b\":[1]}}", ""},
        {"{\"a\":{\"b\":[[1]]}}", "nested deeper than 3 levels at byte 12"},
    };
    char err[200];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        cJSON *j = jr_parse(cases[i].text, strlen(cases[i].text), 64, 3, "t", err,
                            sizeof(err));
        if (cases[i].why[0] == '\0')
            CHECK_MSG(j != NULL, "case %zu %s: refused: %s", i, cases[i].text, err);
        else
            CHECK_MSG(j == NULL && strncmp(err, "t: ", 3) == 0 &&
                          strstr(err, cases[i].why) != NULL,
                      "case %zu %s: got '%s', want '%s'", i, cases[i].text, err,
                      cases[i].why);
        cJSON_Delete(j);
    }
    /* A NUL byte, and one byte over the bound. */
    CHECK(jr_parse("{\"a\":\"\0\"}", 9, 64, 3, "t", err, sizeof(err)) == NULL &&
          strcmp(err, "t: a NUL byte at byte 7") == 0);
    CHECK(jr_parse("{ }", 3, 2, 3, "t", err, sizeof(err)) == NULL &&
          strcmp(err, "t: expected 1 to 2 bytes of JSON, got 3") == 0);
    /* The string read is the string written: a decoded escape stays whole. */
    cJSON *j = jr_parse("{\"a\":\"x\\u0001y\"}", 16, 64, 3, "t", err, sizeof(err));
    CHECK(j != NULL && strcmp(cJSON_GetObjectItem(j, "a")->valuestring, "x\001y") == 0);
    cJSON_Delete(j);
}

static void
test_members(void)
{
    static const struct jr_member table[] = {
        {"id", JR_STRING, true, "the id"},
        {"n", JR_NUMBER, false, NULL},
        {"t", JR_STRING | JR_NULL, true, NULL},
    };
    static const struct jr_member open_table[] = {
        {"id", JR_STRING, true, NULL},
        {NULL, JR_SCALAR, false, NULL},
    };
    static const struct {
        const char *text;
        const struct jr_member *table;
        size_t n;
        const char *why;
    } cases[] = {
        {"{\"id\":\"x\",\"t\":null}", table, 3, ""},
        {"{\"id\":\"x\",\"t\":\"y\",\"n\":2}", table, 3, ""},
        {"{\"id\":\"x\",\"t\":null,\"z\":1}", table, 3,
         "o: unknown member \"z\" (known: id, n, t)"},
        {"{\"id\":1,\"t\":null}", table, 3, "o.id: expected a string"},
        {"{\"id\":\"x\",\"t\":1}", table, 3, "o.t: expected a string or null"},
        {"{\"id\":\"x\",\"t\":null,\"n\":[]}", table, 3, "o.n: expected a number"},
        {"{\"t\":null}", table, 3, "o: member \"id\" is missing (the id)"},
        {"{\"id\":\"x\"}", table, 3, "o: member \"t\" is missing"},
        {"{\"id\":\"x\",\"other\":true}", open_table, 2, ""},
        {"{\"id\":\"x\",\"other\":{}}", open_table, 2,
         "o.other: expected a string, a number, true or false or null"},
    };
    char err[200];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        cJSON *j = jr_parse(cases[i].text, strlen(cases[i].text), 200, 2, "o", err,
                            sizeof(err));
        CHECK_MSG(j != NULL, "case %zu: %s", i, err);
        err[0] = '\0';
        int r = jr_members(j, "o", cases[i].table, cases[i].n, err, sizeof(err));
        if (cases[i].why[0] == '\0')
            CHECK_MSG(r == 0, "case %zu: %s", i, err);
        else
            CHECK_MSG(r == -EINVAL && strcmp(err, cases[i].why) == 0,
                      "case %zu: got %d '%s', want '%s'", i, r, err, cases[i].why);
        cJSON_Delete(j);
    }
}

int
main(void)
{
    test_parse();
    test_members();
    return th_done();
}
