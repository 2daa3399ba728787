/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Stock event traces: strict parsing of every field, a message for every kind of
 * bad line, and times checked against libc's timegm/gmtime_r.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "agent/cli/evtrace.h"
#include "tests/harness.h"
#include "sensors/text.h"
#include "models/units.h"
#include "agent/msg/utc.h"

static int
parse_all(struct evtrace *t, const char *const *lines, size_t n, char *err,
          size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        int r = evtrace_parse_line(t, lines[i], strlen(lines[i]), (unsigned)i + 1, err,
                                   errlen);
        if (r < 0)
            return r;
    }
    return 0;
}

static void
test_good_trace(void)
{
    static const char *const lines[] = {
        "# pantry-events v1",
        "# a comment",
        "",
        "item coffee pack=1000 name=\"Coffee beans\" lead=2d service=95 method=ses",
        ("item rice pack=2000.5 method=tsb half-life=21d max-packs=3 review=12h "
         "overdue-decay=yes"),
        "2026-10-01T07:30:00Z coffee refill 1000",
        "2026-10-01T08:02:10Z coffee consume 14.5",
        "2026-10-01T08:02:10Z rice stock 0.001\r",
    };
    struct evtrace t;
    char err[256] = "";
    evtrace_init(&t);
    CHECK_EQ_I64(parse_all(&t, lines, 8, err, sizeof(err)), 0);
    CHECK_MSG(err[0] == '\0', "%s", err);
    CHECK_EQ_I64(t.n_items, 2);
    CHECK_EQ_I64(t.n_events, 3);
    CHECK(strcmp(t.items[0].name, "Coffee beans") == 0);
    CHECK(strcmp(t.items[1].name, "rice") == 0);
    CHECK_EQ_I64(t.items[0].pack_mg, 1000000);
    CHECK_EQ_I64(t.items[1].pack_mg, 2000500);
    CHECK_EQ_I64(t.items[0].lead_s, 2 * 86400);
    CHECK_EQ_I64(t.items[0].service_bp, 9500);
    CHECK_EQ_I64(t.items[1].fc.method, FC_TSB);
    CHECK_EQ_I64(t.items[1].fc.half_life_s, 21 * 86400);
    CHECK_EQ_I64(t.items[1].max_packs, 3);
    CHECK_EQ_I64(t.items[1].review_s, 12 * 3600);
    CHECK(!t.items[0].fc.overdue_decay);
    CHECK(t.items[1].fc.overdue_decay);
    CHECK_EQ_I64(t.events[1].mg, 14500);
    CHECK_EQ_I64(t.events[1].kind, EVTRACE_CONSUME);
    CHECK_EQ_I64(t.events[2].mg, 1);
    CHECK_EQ_I64(t.events[2].item, 1);
    /* 2026-10-01T07:30:00Z = 1790839800 (date -u -d ... +%s) */
    CHECK_EQ_I64(t.events[0].t_s, 1790839800);
    evtrace_fini(&t);
    evtrace_fini(NULL);
}

struct bad {
    const char *line;
    const char *message; /* a part of the expected message */
};

/* Each line follows a valid header and a valid item line for "coffee". */
static const struct bad bad_lines[] = {
    {"item", "expected 'item ID pack=GRAMS"},
    {"item tea", "expected 'item ID pack=GRAMS"},
    {"item Tea pack=1", "item id 'Tea'"},
    {"item tea name=\"x\"", "pack=GRAMS is required"},
    {"item coffee pack=1", "declared twice"},
    {"item tea pack=0", "pack: expected grams > 0"},
    {"item tea pack=-1", "pack: expected grams"},
    {"item tea pack=1.2345", "pack: expected grams"},
    {"item tea pack=1e3", "pack: expected grams"},
    {"item tea pack=1000001", "pack: expected grams"},
    {"item tea pack=1 pack=2", "given twice"},
    {"item tea pack=1 colour=red", "unknown item setting 'colour'"},
    {"item tea pack=1 lead", "expected key=value"},
    {"item tea pack=1 lead=2", "lead: expected a duration"},
    {"item tea pack=1 lead=2w", "lead: expected a duration"},
    {"item tea pack=1 lead=1500d", "at most 4 years"},
    {"item tea pack=1 half-life=0d", "half-life: must be more than 0"},
    {"item tea pack=1 service=100", "service: expected a percentage"},
    {"item tea pack=1 service=49", "service: expected a percentage"},
    {"item tea pack=1 max-packs=0", "max-packs: expected 1 to 100"},
    {"item tea pack=1 method=arima", "method: expected ses, holt"},
    {"item tea pack=1 overdue-decay=maybe", "overdue-decay: expected yes or no"},
    {"item tea pack=1 name=\"unterminated", "unterminated quote"},
    {"item tea pack=1 name=\"a\\b\"", "backslashes are not allowed"},
    {"item tea pack=1 name=noquotes", "name: expected \"text\""},
    {"2026-10-01T07:30:00Z coffee consume", "expected 'TIME ITEM"},
    {"2026-10-01 07:30:00 coffee consume 5", "expected 'TIME ITEM"},
    {"2026-10-01T07:30:00 coffee consume 5", "time: expected YYYY-MM-DDTHH:MM:SSZ"},
    {"2026-02-29T07:30:00Z coffee consume 5", "time: expected"},
    {"2026-13-01T07:30:00Z coffee consume 5", "time: expected"},
    {"1969-12-31T23:59:59Z coffee consume 5", "time: expected"},
    {"2026-10-01T24:00:00Z coffee consume 5", "time: expected"},
    {"2026-10-01T07:30:00Z tea consume 5",
     "unknown item 'tea': expected an item declared by an item line above"},
    {"2026-10-01T07:30:00Z coffee eat 5", "expected consume, refill or stock"},
    {"2026-10-01T07:30:00Z coffee consume -5", "grams: expected"},
    {"2026-10-01T07:30:00Z coffee consume 5.", "grams: expected"},
    {"2026-10-01T07:30:00Z coffee consume .5", "grams: expected"},
    {"2026-10-01T07:30:00Z coffee consume 99999999", "grams: expected"},
    {"2026-09-30T07:30:00Z coffee consume 5",
     "time: expected 2026-09-30T08:00:00Z or later (the previous event's time; time "
     "never goes backwards), found '2026-09-30T07:30:00Z'"},
    {"a b c d e f g h i j k l m n o p q", "more than 16 fields"},
};

static void
test_bad_lines(void)
{
    static const char *const prefix[] = {
        "# pantry-events v1",
        "item coffee pack=1000",
        "2026-09-30T08:00:00Z coffee stock 500",
    };
    for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
        struct evtrace t;
        char err[256] = "";
        evtrace_init(&t);
        /* item lines must come first: test them without the event line */
        size_t np = strncmp(bad_lines[i].line, "item", 4) == 0 ? 2 : 3;
        CHECK_EQ_I64(parse_all(&t, prefix, np, err, sizeof(err)), 0);
        int r = evtrace_parse_line(&t, bad_lines[i].line, strlen(bad_lines[i].line), 4,
                                   err, sizeof(err));
        CHECK_MSG(r == -EINVAL, "'%s' accepted", bad_lines[i].line);
        CHECK_MSG(strstr(err, bad_lines[i].message) != NULL, "'%s': message '%s'",
                  bad_lines[i].line, err);
        evtrace_fini(&t);
    }
    printf("# %zu bad lines rejected with their messages\n",
           sizeof(bad_lines) / sizeof(bad_lines[0]));
}

static void
test_header_and_limits(void)
{
    struct evtrace t;
    char err[256];
    char line[EVTRACE_MAX_LINE + 8];
    evtrace_init(&t);
    CHECK_EQ_I64(evtrace_parse_line(&t, "# pantry-events v2", 18, 1, err, sizeof(err)),
                 -EINVAL);
    CHECK(strcmp(err,
                 "expected the header '# pantry-events v1', found '# pantry-events "
                 "v2'") == 0);
    memset(line, 'a', sizeof(line));
    CHECK_EQ_I64(
        evtrace_parse_line(&t, line, EVTRACE_MAX_LINE + 1, 2, err, sizeof(err)),
        -EINVAL);
    CHECK(strcmp(err, "expected a line of at most 1024 bytes, found a longer one") ==
          0);
    CHECK_EQ_I64(evtrace_parse_line(&t, "item a\0b pack=1", 15, 2, err, sizeof(err)),
                 -EINVAL);
    CHECK(strstr(err, "NUL") != NULL);
    for (int i = 0; i < EVTRACE_MAX_ITEMS; i++) {
        snprintf(line, sizeof(line), "item i%d pack=1", i);
        CHECK_EQ_I64(evtrace_parse_line(&t, line, strlen(line), 2, err, sizeof(err)),
                     0);
    }
    CHECK_EQ_I64(evtrace_parse_line(&t, "item x pack=1", 13, 2, err, sizeof(err)),
                 -EINVAL);
    CHECK(strstr(err, "more than 64 items") != NULL);
    evtrace_fini(&t);
}

/* Load text (len bytes) as a file named "x.events"; the message in err. */
static int
load_text(struct evtrace *t, const char *text, size_t len, char *err, size_t errlen)
{
    FILE *f = tmpfile();
    fwrite(text, 1, len, f);
    rewind(f);
    int r = evtrace_load_file(t, f, "x.events", err, errlen);
    fclose(f);
    return r;
}

static void
test_load_errors(void)
{
    struct evtrace t;
    char err[512];
    char path[] = "/tmp/pantry-evtrace-XXXXXX";
    evtrace_init(&t);
    CHECK(evtrace_load(&t, "/nonexistent/trace", err, sizeof(err)) == -ENOENT);
    CHECK(strstr(err, "/nonexistent/trace") != NULL);
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("# pantry-events v1\nitem coffee pack=1000\n2026-10-01T07:30:00Z coffee eat "
          "5\n",
          f);
    fclose(f);
    CHECK_EQ_I64(evtrace_load(&t, path, err, sizeof(err)), -EINVAL);
    /* file, line and what was expected */
    char want[128];
    snprintf(want, sizeof(want), "%s:3: event: expected consume", path);
    CHECK_MSG(strstr(err, want) != NULL, "%s", err);
    evtrace_fini(&t);
    remove(path);

    /* Whole-file cases: the exact message, and nothing kept of a refused trace. */
    static const struct {
        const char *text;
        size_t len; /* 0: strlen */
        const char *want;
    } cases[] = {
        {"", 0, "x.events:1: empty file: expected the header '# pantry-events v1'"},
        {"# pantry-events v1\nitem coffee pack=1000\n"
         "2026-10-01T07:30:00Z coffee refill 1000\n2026-10-01T08:30:00Z coffee consume "
         "1",
         0,
         "x.events:4: expected a newline at the end of the last line (is the file cut "
         "short?)"},
        {"# pantry-events v1\nitem coffee pack=1000\n"
         "2026-10-01T07:30:00Z coffee refill 1000\n2026-10-01T07:29:59Z coffee consume "
         "1\n",
         0,
         "x.events:4: time: expected 2026-10-01T07:30:00Z or later (the previous "
         "event's time; time never goes backwards), found '2026-10-01T07:29:59Z'"},
        {"# pantry-events v1\nitem coffee pack=1000\n"
         "2026-10-01T07:30:00Z coffee refill 10\0"
         "00\n",
         82, "x.events:3: NUL byte in line"},
        {"\x1f\x8b\x08\x00\x00\n", 6,
         "x.events:1: expected the header '# pantry-events v1', found a line that is "
         "not "
         "text (is this a stock event trace?)"},
        {"# pantry-samples v1\n", 0,
         "x.events:1: expected the header '# pantry-events v1', found '# "
         "pantry-samples "
         "v1'"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].text);
        evtrace_init(&t);
        CHECK_EQ_I64(load_text(&t, cases[i].text, len, err, sizeof(err)), -EINVAL);
        CHECK_MSG(strcmp(err, cases[i].want) == 0, "case %zu: got '%s', want '%s'", i,
                  err, cases[i].want);
        CHECK_EQ_I64(t.n_events, 0);
        CHECK_EQ_I64(t.n_items, 0);
        evtrace_fini(&t);
    }

    /* Another kind of file, with no newline in its first bytes: the header says. */
    char gz[2000];
    for (size_t i = 0; i < sizeof(gz); i++)
        gz[i] = (char)(0x80 + i % 100);
    evtrace_init(&t);
    CHECK_EQ_I64(load_text(&t, gz, sizeof(gz), err, sizeof(err)), -EINVAL);
    CHECK_MSG(strcmp(err,
                     "x.events:1: expected the header '# pantry-events v1', found "
                     "a line that is not text (is this a stock event trace?)") == 0,
              "got '%s'", err);
    CHECK_EQ_I64(load_text(&t, "# pantry-events v1", 18, err, sizeof(err)), -EINVAL);
    CHECK_MSG(strcmp(err, "x.events:1: expected a newline at the end of the last line "
                          "(is the file cut short?)") == 0,
              "got '%s'", err);
    evtrace_fini(&t);

    /* A line over the limit, in a file, is named by its number. */
    char big[EVTRACE_MAX_LINE + 64];
    int n = snprintf(big, sizeof(big), "# pantry-events v1\n# ");
    memset(big + n, 'x', sizeof(big) - (size_t)n - 1);
    big[sizeof(big) - 2] = '\n';
    big[sizeof(big) - 1] = '\0';
    evtrace_init(&t);
    CHECK_EQ_I64(load_text(&t, big, strlen(big), err, sizeof(err)), -EINVAL);
    CHECK_MSG(strcmp(err, "x.events:2: expected a line of at most 1024 bytes, found a "
                          "longer one") == 0,
              "got '%s'", err);
    /* Exactly at the limit passes. */
    memset(big + n, 'x', EVTRACE_MAX_LINE - 2);
    big[n + EVTRACE_MAX_LINE - 2] = '\n';
    big[n + EVTRACE_MAX_LINE - 1] = '\0';
    CHECK_EQ_I64(load_text(&t, big, strlen(big), err, sizeof(err)), 0);
    evtrace_fini(&t);
}

/*
 * Times against libc over random seconds from 1970 to 9999, or to 2038 where
 * time_t has 32 bits (Debian 12 armhf): libc cannot be the oracle past that.
 * evtrace's own calendar has no such limit (it never uses time_t).
 */
static void
test_time_against_libc(void)
{
    uint64_t rng = th_seed(7);
    uint64_t span = sizeof(time_t) >= 8 ? UINT64_C(253402300800) : UINT64_C(0x7fffffff);
    for (int i = 0; i < 100000; i++) {
        int64_t t = (int64_t)(th_rand(&rng) % span);
        char buf[32], libc[32];
        struct tm tm;
        time_t tt = (time_t)t;
        gmtime_r(&tt, &tm);
        strftime(libc, sizeof(libc), "%Y-%m-%dT%H:%M:%SZ", &tm);
        utc_format(t, buf, sizeof(buf));
        CHECK_MSG(strcmp(buf, libc) == 0, "%s vs %s", buf, libc);
        int64_t back;
        CHECK_EQ_I64(utc_parse(libc, &back), 0);
        CHECK_EQ_I64(back, (int64_t)timegm(&tm));
        if (th_failures > 10)
            return;
    }
    int64_t s;
    CHECK_EQ_I64(utc_parse("2024-02-29T00:00:00Z", &s), 0);
    CHECK_EQ_I64(utc_parse("2100-02-29T00:00:00Z", &s), -EINVAL);
    CHECK_EQ_I64(utc_parse("2000-02-29T00:00:00Z", &s), 0);
}

static void
test_numbers(void)
{
    int64_t v;
    CHECK_EQ_I64(text_parse_grams("0", &v), 0);
    CHECK_EQ_I64(v, 0);
    CHECK_EQ_I64(text_parse_grams("1000000", &v), 0);
    CHECK_EQ_I64(v, MODELS_MASS_MAX_MG);
    CHECK_EQ_I64(text_parse_grams("1000000.001", &v), -EINVAL);
    CHECK_EQ_I64(text_parse_grams("12.05", &v), 0);
    CHECK_EQ_I64(v, 12050);
    CHECK_EQ_I64(text_parse_grams("", &v), -EINVAL);
    CHECK_EQ_I64(text_parse_grams("+5", &v), -EINVAL);
    CHECK_EQ_I64(utc_parse_duration("90s", MODELS_DT_MAX_S, &v), 0);
    CHECK_EQ_I64(v, 90);
    CHECK_EQ_I64(utc_parse_duration("1461d", MODELS_DT_MAX_S, &v), 0);
    CHECK_EQ_I64(v, MODELS_DT_MAX_S);
    CHECK_EQ_I64(utc_parse_duration("1462d", MODELS_DT_MAX_S, &v), -EINVAL);
    CHECK_EQ_I64(utc_parse_duration("s", MODELS_DT_MAX_S, &v), -EINVAL);
    CHECK_EQ_I64(utc_parse_duration("99999999999999d", MODELS_DT_MAX_S, &v), -EINVAL);
}

int
main(void)
{
    RUN(test_good_trace);
    RUN(test_bad_lines);
    RUN(test_header_and_limits);
    RUN(test_load_errors);
    RUN(test_time_against_libc);
    RUN(test_numbers);
    return th_done();
}
