/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Tests of sample traces: the recorder's output read back record for record
 * (fixed and random records), a table of bad lines with the exact message each
 * must give, and the replay source on its virtual clock (what is due when, edges
 * interleaved with samples, errors with file:line), and that a replay refuses a
 * bad trace whole, before it returns a single record.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/harness.h"
#include "sensors/cond/trace.h"

static uint64_t seed;

/* Parse a whole text; returns the first error (with its line) or 0. */
static int
parse_text(const char *text, struct trace_record *recs, size_t max, size_t *n,
           char *err, size_t errlen)
{
    struct trace_reader r;
    trace_reader_init(&r);
    *n = 0;
    for (const char *p = text; *p != '\0';) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        struct trace_record rec;
        char msg[256];
        if (trace_parse_line(&r, p, len, &rec, msg, sizeof(msg)) < 0) {
            snprintf(err, errlen, "%u: %s", r.line_no, msg);
            return -EINVAL;
        }
        if (rec.kind != TRACE_REC_NONE && *n < max)
            recs[(*n)++] = rec;
        p += len + (nl != NULL);
    }
    return 0;
}

static void
test_write_exact(void)
{
    char *buf = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&buf, &size);
    struct trace_writer w;
    CHECK(f != NULL);
    CHECK_EQ_I64(trace_writer_init(&w, f), 0);
    CHECK_EQ_I64(trace_write_channel(&w, 0, "flour"), 0);
    CHECK_EQ_I64(trace_write_channel(&w, 15, "rice-2"), 0);
    CHECK_EQ_I64(trace_write_button(&w, 3, "b_3"), 0);
    struct sample s0 = {
        .t_ms = 1000, .raw = -8388608, .channel = 0, .status = SAMPLE_OK};
    struct sample s1 = {
        .t_ms = 1000, .raw = 77, .channel = 15, .status = SAMPLE_TIMEOUT};
    struct button_edge e = {.t_ms = 1100, .button = 3, .pressed = 1};
    CHECK_EQ_I64(trace_write_sample(&w, &s0), 0);
    CHECK_EQ_I64(trace_write_sample(&w, &s1), 0);
    CHECK_EQ_I64(trace_write_edge(&w, &e), 0);
    CHECK_EQ_I64(trace_write_note(&w, 1200, "poured  rice, 50 g"), 0);
    /* What the parser would reject, the writer refuses. */
    CHECK_EQ_I64(trace_write_channel(&w, 1, "late"), -EINVAL);
    s0.t_ms = 999;
    CHECK_EQ_I64(trace_write_sample(&w, &s0), -EINVAL);
    s0.t_ms = 1300;
    s0.channel = 1;
    CHECK_EQ_I64(trace_write_sample(&w, &s0), -EINVAL);
    s0.channel = 0;
    s0.raw = 8388608;
    CHECK_EQ_I64(trace_write_sample(&w, &s0), -EINVAL);
    CHECK_EQ_I64(trace_write_note(&w, 1300, "tab\there"), -EINVAL);
    CHECK_EQ_I64(trace_writer_flush(&w), 0);
    fclose(f);
    const char *want = "# pantry-samples v1\n"
                       "channel 0 flour\n"
                       "channel 15 rice-2\n"
                       "button 3 b_3\n"
                       "s 1000 0 ok -8388608\n"
                       "s 1000 15 timeout\n"
                       "e 1100 3 down\n"
                       "a 1200 poured  rice, 50 g\n";
    CHECK_MSG(strcmp(buf, want) == 0, "writer output:\n%s", buf);
    free(buf);
}

static void
test_round_trip_random(void)
{
    enum { N = 5000 };
    static struct sample in[N];
    static struct trace_record out[N];
    uint64_t st = seed;
    char *buf = NULL;
    size_t size = 0, n = 0;
    char err[300];
    FILE *f = open_memstream(&buf, &size);
    struct trace_writer w;
    trace_writer_init(&w, f);
    for (unsigned c = 0; c < SENSOR_MAX_CHANNELS; c++) {
        char name[8];
        snprintf(name, sizeof(name), "c%u", c);
        CHECK_EQ_I64(trace_write_channel(&w, c, name), 0);
    }
    int64_t t = 1764072000000;
    for (size_t i = 0; i < N; i++) {
        uint64_t r = th_rand(&st);
        t += (int64_t)(r % 3) * 50; /* equal times are allowed */
        in[i].t_ms = t;
        in[i].channel = (uint16_t)((r >> 8) % SENSOR_MAX_CHANNELS);
        in[i].status = (uint8_t)((r >> 16) % 8 < 3 ? (r >> 20) % 5 : SAMPLE_OK);
        in[i].raw = in[i].status == SAMPLE_OK
                        ? (int32_t)((int64_t)((r >> 32) % 16777216) - 8388608)
                        : 0;
        CHECK_EQ_I64(trace_write_sample(&w, &in[i]), 0);
    }
    fclose(f);
    CHECK_EQ_I64(parse_text(buf, out, N, &n, err, sizeof(err)), 0);
    CHECK_EQ_U64(n, N);
    for (size_t i = 0; i < n && i < N; i++) {
        CHECK(out[i].kind == TRACE_REC_SAMPLE);
        if (out[i].sample.t_ms != in[i].t_ms || out[i].sample.raw != in[i].raw ||
            out[i].sample.channel != in[i].channel ||
            out[i].sample.status != in[i].status) {
            TH_FAIL("record %zu differs", i);
            break;
        }
    }
    free(buf);
}

static FILE *
text_file(const char *text)
{
    FILE *f = tmpfile();
    fputs(text, f);
    rewind(f);
    return f;
}

struct bad_case {
    const char *text;
    const char *want; /* "LINE: message" */
};

static void
test_bad_lines(void)
{
    static const struct bad_case cases[] = {
        {"# pantry-samples v2\n",
         "1: expected the header '# pantry-samples v1', found '# pantry-samples v2'"},
        {"", "1: empty file: expected the header '# pantry-samples v1'"},
        {"\x7f"
         "ELF\x02\x01\x01\n",
         "1: expected the header '# pantry-samples v1', found a line that is not text "
         "(is this a sample trace?)"},
        {"# pantry-events v1\nitem rice pack=1000\n",
         "1: expected the header '# pantry-samples v1', found '# pantry-events v1'"},
        {"# pantry-samples v1\r\n",
         "1: carriage return at the end of the line (use \\n only)"},
        {"# pantry-samples v1\nchannel 16 x\n",
         "2: channel: expected an index from 0 to 15, found '16'"},
        {"# pantry-samples v1\nchannel 01 x\n",
         "2: channel: expected an index from 0 to 15, found '01'"},
        {"# pantry-samples v1\nchannel 0 Flour\n",
         "2: channel name: expected 1 to 31 characters of a-z, 0-9, _ and -, found "
         "'Flour'"},
        {"# pantry-samples v1\nchannel 0 a\nchannel 0 b\n",
         "3: channel 0 is declared twice"},
        {"# pantry-samples v1\nchannel 0\n",
         "2: expected 'channel INDEX NAME', found 2 fields"},
        {"# pantry-samples v1\nbutton 16 x\n",
         "2: button: expected an index from 0 to 15, found '16'"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 ok 1\nchannel 1 b\n",
         "4: channel declared after the first record"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 1 ok 1\n",
         "3: channel 1 is not declared: expected a declared channel (declared: 0), or "
         "a line 'channel 1 NAME' before the first record"},
        {"# pantry-samples v1\ns 5 1 ok 1\n",
         "2: channel 1 is not declared: expected a declared channel (none declared), "
         "or a line 'channel 1 NAME' before the first record"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 ok 8388608\n",
         "3: raw: expected an integer from -8388608 to 8388607, found '8388608'"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 ok -0\n",
         "3: raw: expected an integer from -8388608 to 8388607, found '-0'"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 ok\n",
         "3: a sample with status ok needs its raw value: expected "
         "'s TIME CHANNEL ok RAW'"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 eio 12\n",
         "3: a sample with status eio has no raw value: expected 's TIME CHANNEL eio'"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 fine 12\n",
         "3: status: expected ok, eio, timeout, saturated or invalid, found 'fine'"},
        {"# pantry-samples v1\nchannel 0 a\ns 10 0 eio\ns 9 0 eio\n",
         "4: time: expected 10 or later (time never goes backwards), found '9'"},
        {"# pantry-samples v1\nchannel 0 a\ns 10 0 ok 1\na 9 note\n",
         "4: time: expected 10 or later (time never goes backwards), found '9'"},
        {"# pantry-samples v1\nchannel 0 a\ns 1e3 0 eio\n",
         "3: time: expected milliseconds since 1970 (1 to 15 digits), found '1e3'"},
        {"# pantry-samples v1\nchannel 0 a\ns 1000000000000000 0 eio\n",
         "3: time: expected milliseconds since 1970 (1 to 15 digits), found "
         "'1000000000000000'"},
        {"# pantry-samples v1\nchannel 0 a\ns 5  0 eio\n",
         "3: empty field (fields are separated by one space)"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0 eio \n",
         "3: empty field (fields are separated by one space)"},
        {"# pantry-samples v1\nchannel 0 a\ns 5 0\n",
         "3: expected 's TIME CHANNEL ok RAW' or 's TIME CHANNEL "
         "eio|timeout|saturated|invalid', found 3 fields"},
        {"# pantry-samples v1\nbutton 2 a\ne 5 2 pressed\n",
         "3: edge: expected down or up, found 'pressed'"},
        {"# pantry-samples v1\nbutton 2 a\ne 5 3 up\n",
         "3: button 3 is not declared: expected a declared button (declared: 2), or a "
         "line 'button 3 NAME' before the first record"},
        {"# pantry-samples v1\na 5\n", "2: expected 'a TIME TEXT'"},
        {"# pantry-samples v1\na 5 caf\xc3\xa9\n",
         "2: annotation: expected 1 to 200 bytes of printable ASCII"},
        {"# pantry-samples v1\nsample 5 0 ok 1\n",
         "2: unknown line 'sample': expected channel, button, s, e, a or # comment"},
        {"# pantry-samples v1\nchannel 0 a\ts\n",
         "2: control or non-ASCII byte 0x09 in line"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct trace_record recs[4];
        struct sample_source *src = NULL;
        size_t n;
        char err[300] = "", want[320];
        /* An empty text has no line 1: only a file can be empty. */
        if (cases[i].text[0] != '\0') {
            CHECK_EQ_I64(parse_text(cases[i].text, recs, 4, &n, err, sizeof(err)),
                         -EINVAL);
            CHECK_MSG(strcmp(err, cases[i].want) == 0, "case %zu: got '%s', want '%s'",
                      i, err, cases[i].want);
        }
        /* The replay refuses the same file at open, with its name and the line. */
        snprintf(want, sizeof(want), "bad.trace:%s", cases[i].want);
        CHECK_EQ_I64(trace_replay_open_file(text_file(cases[i].text), "bad.trace", &src,
                                            err, sizeof(err)),
                     -EINVAL);
        CHECK_MSG(strcmp(err, want) == 0, "case %zu at open: got '%s', want '%s'", i,
                  err, want);
        CHECK(src == NULL);
    }

    /* Length cap: 256 bytes pass the length check, 257 do not. */
    char line[300];
    struct trace_reader r;
    struct trace_record rec;
    char err[300];
    trace_reader_init(&r);
    CHECK_EQ_I64(trace_parse_line(&r, TRACE_HEADER, strlen(TRACE_HEADER), &rec, err,
                                  sizeof(err)),
                 0);
    memset(line, '#', sizeof(line));
    CHECK_EQ_I64(trace_parse_line(&r, line, 256, &rec, err, sizeof(err)), 0);
    CHECK_EQ_I64(trace_parse_line(&r, line, 257, &rec, err, sizeof(err)), -EINVAL);
    CHECK_MSG(strcmp(err, "expected a line of at most 256 bytes, found a longer one") ==
                  0,
              "got '%s'", err);
    CHECK_EQ_I64(trace_parse_line(&r, "s\0 1", 4, &rec, err, sizeof(err)), -EINVAL);
    CHECK(strcmp(err, "NUL byte in line") == 0);
}

static void
test_replay(void)
{
    const char *text = "# pantry-samples v1\n"
                       "# recorded by hand\n"
                       "channel 0 flour\n"
                       "channel 3 rice\n"
                       "button 1 flour\n"
                       "s 1000 0 ok 10\n"
                       "s 1000 3 ok 30\n"
                       "e 1050 1 down\n"
                       "a 1060 pressed the flour button\n"
                       "s 1100 0 eio\n"
                       "e 1150 1 up\n"
                       "s 1200 0 ok -5\n";
    struct sample_source *src = NULL;
    char err[300];
    struct sample s[8];
    struct button_edge e[8];
    CHECK_EQ_I64(
        trace_replay_open_file(text_file(text), "t.trace", &src, err, sizeof(err)), 0);
    if (src == NULL)
        return;
    const struct trace_reader *rd = trace_replay_reader(src);
    CHECK_EQ_U64(rd->channel_mask, 0x9);
    CHECK_EQ_U64(rd->button_mask, 0x2);
    CHECK(strcmp(rd->channel_names[3], "rice") == 0);
    CHECK_EQ_I64(src->ops->poll_fd(src), -1);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 0), 1000);
    CHECK_EQ_I64(src->ops->read_samples(src, 999, s, 8), 0);
    CHECK_EQ_I64(src->ops->read_samples(src, 1000, s, 1), 1);
    CHECK_EQ_I64(s[0].raw, 10);
    CHECK_EQ_I64(src->ops->read_samples(src, 1000, s, 8), 1);
    CHECK_EQ_I64(s[0].channel, 3);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 1000), 1050);
    /* Samples up to 1100 pass over the edge at 1050, which stays queued. */
    CHECK_EQ_I64(src->ops->read_samples(src, 1120, s, 8), 1);
    CHECK_EQ_I64(s[0].status, SAMPLE_EIO);
    CHECK_EQ_I64(s[0].t_ms, 1100);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 1120), 1050);
    CHECK_EQ_I64(src->ops->read_edges(src, 1120, e, 8), 1);
    CHECK_EQ_I64(e[0].t_ms, 1050);
    CHECK_EQ_I64(e[0].pressed, 1);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 1120), 1150);
    /* Edges up to 1300 pass over the sample at 1200, which stays queued. */
    CHECK_EQ_I64(src->ops->read_edges(src, 1300, e, 8), 1);
    CHECK_EQ_I64(e[0].pressed, 0);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 1300), 1200);
    CHECK_EQ_I64(src->ops->read_samples(src, 1300, s, 8), 1);
    CHECK_EQ_I64(s[0].raw, -5);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 1300), INT64_MAX);
    CHECK_EQ_I64(src->ops->read_samples(src, INT64_MAX, s, 8), 0);
    CHECK(strcmp(trace_replay_error(src), "") == 0);
    sample_source_free(src);
    sample_source_free(NULL);

    /* A bad line anywhere is refused at open: nothing of the trace is returned. */
    text = "# pantry-samples v1\nchannel 0 a\ns 1 0 ok 1\ns 2 0 ok 2\ns 3 0 ok x\n";
    CHECK_EQ_I64(
        trace_replay_open_file(text_file(text), "bad.trace", &src, err, sizeof(err)),
        -EINVAL);
    CHECK_MSG(strcmp(err, "bad.trace:5: raw: expected an integer from "
                          "-8388608 to 8388607, found 'x'") == 0,
              "got '%s'", err);
    CHECK(src == NULL);

    /* A last line without its newline may be a number cut short: refused. */
    text = "# pantry-samples v1\nchannel 0 a\ns 1 0 ok 1\ns 2 0 ok 84";
    CHECK_EQ_I64(
        trace_replay_open_file(text_file(text), "cut.trace", &src, err, sizeof(err)),
        -EINVAL);
    CHECK_MSG(strcmp(err, "cut.trace:4: expected a newline at the end of the last line "
                          "(is the file cut short?)") == 0,
              "got '%s'", err);

    /* Binary garbage: a NUL byte does not hide what follows it. */
    static const char garbage[] =
        "# pantry-samples v1\nchannel 0 a\ns 1 0 ok 1\0\xff\n";
    FILE *g = tmpfile();
    fwrite(garbage, 1, sizeof(garbage) - 1, g);
    rewind(g);
    CHECK_EQ_I64(trace_replay_open_file(g, "bin.trace", &src, err, sizeof(err)),
                 -EINVAL);
    CHECK_MSG(strcmp(err, "bin.trace:3: NUL byte in line") == 0, "got '%s'", err);

    /* Another kind of file, with no newline in its first bytes: the header says. */
    g = tmpfile();
    for (int i = 0; i < 1000; i++)
        fputc(0x80 + i % 100, g);
    rewind(g);
    CHECK_EQ_I64(trace_replay_open_file(g, "gz.trace", &src, err, sizeof(err)),
                 -EINVAL);
    CHECK_MSG(strcmp(err, "gz.trace:1: expected the header '# pantry-samples v1', "
                          "found a line that is not text (is this a sample "
                          "trace?)") == 0,
              "got '%s'", err);
    /* The header alone without its newline is a file cut short. */
    CHECK_EQ_I64(trace_replay_open_file(text_file(TRACE_HEADER), "h.trace", &src, err,
                                        sizeof(err)),
                 -EINVAL);
    CHECK_MSG(strcmp(err, "h.trace:1: expected a newline at the end of the last line "
                          "(is the file cut short?)") == 0,
              "got '%s'", err);

    /* A pipe cannot be read twice: replayed as it comes, unchecked, up to its
     * first bad line, which is named. */
    int fds[2];
    static const char piped[] = "# pantry-samples v1\nchannel 0 a\n"
                                "s 1000 0 ok 5\ns 2000 0 ok 6\ns 1500 0 ok 7\n"
                                "s 3000 0 ok 8\n";
    CHECK_EQ_I64(pipe(fds), 0);
    CHECK(write(fds[1], piped, sizeof(piped) - 1) == (ssize_t)(sizeof(piped) - 1));
    close(fds[1]);
    CHECK_EQ_I64(trace_replay_open_file(fdopen(fds[0], "r"), "pipe.trace", &src, err,
                                        sizeof(err)),
                 0);
    CHECK(trace_replay_checked(src) == NULL);
    struct sample piped_out[8];
    CHECK_EQ_I64(src->ops->read_samples(src, 10000, piped_out, 8), 2);
    CHECK_EQ_I64(piped_out[0].raw, 5);
    CHECK_EQ_I64(piped_out[1].t_ms, 2000);
    CHECK_EQ_I64(src->ops->read_samples(src, 10000, piped_out, 8), -EINVAL);
    CHECK_MSG(strcmp(trace_replay_error(src),
                     "pipe.trace:5: time: expected 2000 or "
                     "later (time never goes backwards), found '1500'") == 0,
              "got '%s'", trace_replay_error(src));
    sample_source_free(src);
    /* An empty pipe has no header. */
    CHECK_EQ_I64(pipe(fds), 0);
    close(fds[1]);
    CHECK_EQ_I64(trace_replay_open_file(fdopen(fds[0], "r"), "empty.trace", &src, err,
                                        sizeof(err)),
                 -EINVAL);
    CHECK_MSG(strcmp(err, "empty.trace:1: expected \"# pantry-samples v1\", found "
                          "nothing") == 0,
              "got '%s'", err);

    /* Bad declarations fail at open. */
    text = "# pantry-samples v1\nchannel 0 a\nchannel 0 a\n";
    CHECK_EQ_I64(
        trace_replay_open_file(text_file(text), "d.trace", &src, err, sizeof(err)),
        -EINVAL);
    CHECK(strcmp(err, "d.trace:3: channel 0 is declared twice") == 0);
    CHECK(src == NULL);
    CHECK_EQ_I64(trace_replay_open("/nonexistent/x.trace", &src, err, sizeof(err)),
                 -ENOENT);

    /* An over-long line in a file is reported with its line number. */
    FILE *f = tmpfile();
    fputs("# pantry-samples v1\nchannel 0 a\n", f);
    for (int i = 0; i < 300; i++)
        fputc('#', f);
    fputs("\ns 1 0 ok 1\n", f);
    rewind(f);
    CHECK_EQ_I64(trace_replay_open_file(f, "long.trace", &src, err, sizeof(err)),
                 -EINVAL);
    CHECK_MSG(strcmp(err, "long.trace:3: expected a line of at most 256 bytes, found a "
                          "longer one") == 0,
              "got '%s'", err);

    /*
     * Checked, then changed in place before the replay reads it: the replay stops
     * at the first line that differs and says why. Lines appended after the check
     * are not replayed.
     */
    f = tmpfile();
    fputs("# pantry-samples v1\nchannel 0 a\n", f);
    long at = 0; /* where the sample at 9000 starts: far past stdio's buffer */
    for (int t = 1; t <= 10000; t++) {
        if (t == 9000)
            at = ftell(f);
        fprintf(f, "s %d 0 ok 1\n", t);
    }
    rewind(f);
    CHECK_EQ_I64(trace_replay_open_file(f, "moved.trace", &src, err, sizeof(err)), 0);
    if (src == NULL)
        return;
    CHECK_EQ_I64(trace_replay_checked(src)->samples, 10000);
    CHECK_EQ_I64(trace_replay_checked(src)->first_t_ms, 1);
    CHECK_EQ_I64(trace_replay_checked(src)->last_t_ms, 10000);
    CHECK_EQ_I64(trace_replay_checked(src)->lines, 10002);
    CHECK_EQ_I64(pwrite(fileno(f), "s 0000", 6, at), 6);
    int got = 0, k;
    while ((k = src->ops->read_samples(src, 20000, s, 8)) > 0)
        got += k;
    CHECK_EQ_I64(got, 8999);
    CHECK_EQ_I64(k, -EINVAL);
    CHECK_MSG(
        strcmp(trace_replay_error(src),
               "moved.trace:9002: time: expected milliseconds since 1970 (1 to 15 "
               "digits), found '0000' (the file changed after it was "
               "checked)") == 0,
        "got '%s'", trace_replay_error(src));
    sample_source_free(src);

    f = tmpfile();
    fputs("# pantry-samples v1\nchannel 0 a\ns 1 0 ok 1\n", f);
    rewind(f);
    CHECK_EQ_I64(trace_replay_open_file(f, "grown.trace", &src, err, sizeof(err)), 0);
    if (src == NULL)
        return;
    CHECK_EQ_I64(pwrite(fileno(f), "s 2 0 ok 2\n", 11, 44), 11);
    CHECK_EQ_I64(src->ops->read_samples(src, 10, s, 8), 1);
    CHECK_EQ_I64(src->ops->read_samples(src, 10, s, 8), 0);
    CHECK_EQ_I64(src->ops->next_due_ms(src, 10), INT64_MAX);
    sample_source_free(src);
}

/*
 * Record a replay back through the recorder: the same text comes out, also when
 * an edge is due before a sample in the same batch (edge at 140, sample at 205,
 * both due at 300) and several records share a time.
 */
static void
test_replay_records_back(void)
{
    const char *text = "# pantry-samples v1\n"
                       "channel 2 sugar\n"
                       "button 0 sugar\n"
                       "s 5 2 ok 123\n"
                       "e 5 0 down\n"
                       "s 105 2 saturated\n"
                       "e 140 0 up\n"
                       "s 205 2 invalid\n"
                       "s 205 2 ok -1\n"
                       "e 260 0 down\n"
                       "s 299 2 ok 7\n"
                       "s 450 2 timeout\n";
    static const int64_t steps[] = {0, 5, 120, 300, 1000};
    static const int want_n[] = {0, 2, 1, 5, 1};
    struct sample_source *src = NULL;
    char err[300], *buf = NULL;
    size_t size = 0;
    CHECK_EQ_I64(
        trace_replay_open_file(text_file(text), "r.trace", &src, err, sizeof(err)), 0);
    if (src == NULL)
        return;
    FILE *f = open_memstream(&buf, &size);
    struct trace_writer w;
    trace_writer_init(&w, f);
    trace_write_channel(&w, 2, trace_replay_reader(src)->channel_names[2]);
    trace_write_button(&w, 0, trace_replay_reader(src)->button_names[0]);
    for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++)
        CHECK_EQ_I64(trace_record_due(&w, src, steps[i]), want_n[i]);
    fclose(f);
    CHECK_MSG(strcmp(buf, text) == 0, "recorded:\n%s", buf);
    free(buf);
    sample_source_free(src);
}

int
main(void)
{
    seed = th_seed(20261125);
    RUN(test_write_exact);
    RUN(test_round_trip_random);
    RUN(test_bad_lines);
    RUN(test_replay);
    RUN(test_replay_records_back);
    return th_done();
}
