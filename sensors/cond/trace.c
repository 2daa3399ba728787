/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Sample traces (see trace.h): the strict line parser, the recorder and the
 * streaming replay source. A line is split at single spaces into a closed set of
 * fields; each field is checked against its grammar, so a typo is an error and
 * never a silently different reading.
 */
#include "sensors/cond/trace.h"

#include "sensors/text.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#define MAX_FIELDS 6
#define EDGE_QUEUE 64
#define SAMPLE_QUEUE 256

void
trace_reader_init(struct trace_reader *r)
{
    memset(r, 0, sizeof(*r));
    r->last_t_ms = -1;
}

static bool
valid_note(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TRACE_NOTE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return false;
    return true;
}

int
trace_parse_status(const char *s, enum sample_status *out)
{
    for (int i = SAMPLE_OK; i <= SAMPLE_INVALID; i++)
        if (strcmp(s, sample_status_to_str((enum sample_status)i)) == 0) {
            *out = (enum sample_status)i;
            return 0;
        }
    return -EINVAL;
}

static int
parse_time(struct trace_reader *r, const char *s, int64_t *t, char *err, size_t errlen)
{
    if (!text_parse_uint(s, 15, false, t))
        return text_error(
            err, errlen,
            "time: expected milliseconds since 1970 (1 to 15 digits), found '%s'", s);
    if (*t < r->last_t_ms)
        return text_error(err, errlen,
                          "time: expected %lld or later (time never goes backwards), "
                          "found '%s'",
                          (long long)r->last_t_ms, s);
    return 0;
}

static int
parse_index(const char *what, const char *s, unsigned max, unsigned *out, char *err,
            size_t errlen)
{
    int64_t v;
    if (!text_parse_uint(s, 3, false, &v) || v >= max)
        return text_error(err, errlen, "%s: expected an index from 0 to %u, found '%s'",
                          what, max - 1, s);
    *out = (unsigned)v;
    return 0;
}

/* A record on an index the header did not declare: say which ones it did. */
static int
undeclared(const char *what, unsigned idx, uint32_t mask, char *err, size_t errlen)
{
    char list[64] = "";
    size_t n = 0;
    for (unsigned i = 0; i < 32 && n < sizeof(list); i++)
        if (mask & (UINT32_C(1) << i))
            n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", n ? " " : "", i);
    return text_error(err, errlen,
                      "%s %u is not declared: expected a declared %s (%s%s), or a line "
                      "'%s %u NAME' before the first record",
                      what, idx, what, mask ? "declared: " : "none declared", list,
                      what, idx);
}

static int
parse_decl(struct trace_reader *r, char **f, size_t n, bool is_channel, char *err,
           size_t errlen)
{
    const char *what = is_channel ? "channel" : "button";
    unsigned max = is_channel ? SENSOR_MAX_CHANNELS : SENSOR_MAX_BUTTONS, idx = 0;
    uint32_t *mask = is_channel ? &r->channel_mask : &r->button_mask;
    if (n != 3)
        return text_error(err, errlen, "expected '%s INDEX NAME', found %zu fields",
                          what, n);
    if (r->records_started)
        return text_error(err, errlen, "%s declared after the first record", what);
    int ret = parse_index(what, f[1], max, &idx, err, errlen);
    if (ret < 0)
        return ret;
    if (*mask & (UINT32_C(1) << idx))
        return text_error(err, errlen, "%s %u is declared twice", what, idx);
    if (!text_is_id(f[2], TRACE_NAME_MAX))
        return text_error(
            err, errlen,
            "%s name: expected 1 to %d characters of a-z, 0-9, _ and -, found '%s'",
            what, TRACE_NAME_MAX - 1, f[2]);
    *mask |= UINT32_C(1) << idx;
    snprintf(is_channel ? r->channel_names[idx] : r->button_names[idx], TRACE_NAME_MAX,
             "%s", f[2]);
    return 0;
}

static int
parse_sample(struct trace_reader *r, char **f, size_t n, struct trace_record *rec,
             char *err, size_t errlen)
{
    enum sample_status st;
    unsigned ch = 0;
    int64_t t, raw = 0;
    int ret;
    if (n < 4 || n > 5)
        return text_error(err, errlen,
                          "expected 's TIME CHANNEL ok RAW' or 's TIME CHANNEL "
                          "eio|timeout|saturated|invalid', found %zu fields",
                          n);
    if ((ret = parse_time(r, f[1], &t, err, errlen)) < 0)
        return ret;
    if ((ret = parse_index("channel", f[2], SENSOR_MAX_CHANNELS, &ch, err, errlen)) < 0)
        return ret;
    if (!(r->channel_mask & (UINT32_C(1) << ch)))
        return undeclared("channel", ch, r->channel_mask, err, errlen);
    if (trace_parse_status(f[3], &st) < 0)
        return text_error(
            err, errlen,
            "status: expected ok, eio, timeout, saturated or invalid, found '%s'",
            f[3]);
    if (st == SAMPLE_OK && n != 5)
        return text_error(err, errlen,
                          "a sample with status ok needs its raw value: expected "
                          "'s TIME CHANNEL ok RAW'");
    if (st != SAMPLE_OK && n != 4)
        return text_error(err, errlen,
                          "a sample with status %s has no raw value: expected "
                          "'s TIME CHANNEL %s'",
                          f[3], f[3]);
    if (st == SAMPLE_OK &&
        (!text_parse_int(f[4], 7, &raw) || raw < TRACE_RAW_MIN || raw > TRACE_RAW_MAX))
        return text_error(err, errlen,
                          "raw: expected an integer from %d to %d, found '%s'",
                          TRACE_RAW_MIN, TRACE_RAW_MAX, f[4]);
    rec->kind = TRACE_REC_SAMPLE;
    rec->t_ms = t;
    rec->sample = (struct sample){
        .t_ms = t, .raw = (int32_t)raw, .channel = (uint16_t)ch, .status = (uint8_t)st};
    return 0;
}

static int
parse_edge(struct trace_reader *r, char **f, size_t n, struct trace_record *rec,
           char *err, size_t errlen)
{
    unsigned b = 0;
    int64_t t;
    int ret;
    if (n != 4)
        return text_error(err, errlen,
                          "expected 'e TIME BUTTON down|up', found %zu fields", n);
    if ((ret = parse_time(r, f[1], &t, err, errlen)) < 0)
        return ret;
    if ((ret = parse_index("button", f[2], SENSOR_MAX_BUTTONS, &b, err, errlen)) < 0)
        return ret;
    if (!(r->button_mask & (UINT32_C(1) << b)))
        return undeclared("button", b, r->button_mask, err, errlen);
    if (strcmp(f[3], "down") != 0 && strcmp(f[3], "up") != 0)
        return text_error(err, errlen, "edge: expected down or up, found '%s'", f[3]);
    rec->kind = TRACE_REC_EDGE;
    rec->t_ms = t;
    rec->edge = (struct button_edge){
        .t_ms = t, .button = (uint16_t)b, .pressed = f[3][0] == 'd'};
    return 0;
}

/* A first line that is not even text: another kind of file. */
static int
not_header(char *err, size_t errlen)
{
    return text_error(err, errlen,
                      "expected the header '%s', found a line that is not text (is "
                      "this a sample trace?)",
                      TRACE_HEADER);
}

int
trace_parse_line(struct trace_reader *r, const char *line, size_t len,
                 struct trace_record *rec, char *err, size_t errlen)
{
    char buf[TRACE_LINE_MAX + 1];
    char *f[MAX_FIELDS];
    size_t n = 0;
    int ret;

    rec->kind = TRACE_REC_NONE;
    r->line_no++;
    if (len > TRACE_LINE_MAX)
        return text_line_error(TEXT_LINE_LONG, TRACE_LINE_MAX, err, errlen);
    if (memchr(line, '\0', len) != NULL)
        return r->line_no == 1 ? not_header(err, errlen)
                               : text_error(err, errlen, "NUL byte in line");
    memcpy(buf, line, len);
    buf[len] = '\0';
    if (len > 0 && buf[len - 1] == '\r')
        return text_error(err, errlen,
                          "carriage return at the end of the line (use \\n only)");
    if (r->line_no == 1) {
        if (strcmp(buf, TRACE_HEADER) == 0)
            return 0;
        for (size_t i = 0; i < len; i++)
            if ((unsigned char)buf[i] < 0x20 || (unsigned char)buf[i] > 0x7e)
                return not_header(err, errlen);
        return text_error(err, errlen, "expected the header '%s', found '%.40s%s'",
                          TRACE_HEADER, buf, len > 40 ? "..." : "");
    }
    if (len == 0 || buf[0] == '#')
        return 0;

    /* Annotations keep their spaces: "a TIME text ...". */
    if (buf[0] == 'a' && buf[1] == ' ') {
        char *sp = strchr(buf + 2, ' ');
        int64_t t;
        if (sp == NULL)
            return text_error(err, errlen, "expected 'a TIME TEXT'");
        *sp = '\0';
        if ((ret = parse_time(r, buf + 2, &t, err, errlen)) < 0)
            return ret;
        if (!valid_note(sp + 1))
            return text_error(err, errlen,
                              "annotation: expected 1 to %d bytes of printable ASCII",
                              TRACE_NOTE_MAX);
        rec->kind = TRACE_REC_NOTE;
        rec->t_ms = t;
        snprintf(rec->note, sizeof(rec->note), "%s", sp + 1);
        goto record;
    }

    for (char *p = buf;;) {
        if (*p == ' ' || *p == '\0')
            return text_error(err, errlen,
                              "empty field (fields are separated by one space)");
        if (n == MAX_FIELDS)
            return text_error(err, errlen, "more than %d fields", MAX_FIELDS);
        f[n++] = p;
        p = strchr(p, ' ');
        if (p == NULL)
            break;
        *p++ = '\0';
    }
    for (char *p = buf; p < buf + len; p++)
        if (*p != '\0' && ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e))
            return text_error(err, errlen, "control or non-ASCII byte 0x%02x in line",
                              (unsigned char)*p);

    if (strcmp(f[0], "channel") == 0)
        return parse_decl(r, f, n, true, err, errlen);
    if (strcmp(f[0], "button") == 0)
        return parse_decl(r, f, n, false, err, errlen);
    if (strcmp(f[0], "s") == 0)
        ret = parse_sample(r, f, n, rec, err, errlen);
    else if (strcmp(f[0], "e") == 0)
        ret = parse_edge(r, f, n, rec, err, errlen);
    else
        return text_error(
            err, errlen,
            "unknown line '%.20s': expected channel, button, s, e, a or # comment",
            f[0]);
    if (ret < 0)
        return ret;
record:
    r->records_started = true;
    r->last_t_ms = rec->t_ms;
    return 0;
}

/* ---- the recorder ---- */

static int put(struct trace_writer *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
put(struct trace_writer *w, const char *fmt, ...)
{
    va_list ap;
    if (w->error < 0)
        return w->error;
    va_start(ap, fmt);
    int n = vfprintf(w->f, fmt, ap);
    va_end(ap);
    if (n < 0)
        w->error = -EIO;
    return w->error;
}

int
trace_writer_init(struct trace_writer *w, FILE *f)
{
    w->f = f;
    w->error = 0;
    trace_reader_init(&w->state);
    w->state.line_no = 1;
    return put(w, "%s\n", TRACE_HEADER);
}

static int
write_decl(struct trace_writer *w, unsigned idx, const char *name, bool is_channel)
{
    unsigned max = is_channel ? SENSOR_MAX_CHANNELS : SENSOR_MAX_BUTTONS;
    uint32_t *mask = is_channel ? &w->state.channel_mask : &w->state.button_mask;
    if (w->error < 0)
        return w->error;
    if (idx >= max || (*mask & (UINT32_C(1) << idx)) ||
        !text_is_id(name, TRACE_NAME_MAX) || w->state.records_started)
        return -EINVAL;
    *mask |= UINT32_C(1) << idx;
    snprintf(is_channel ? w->state.channel_names[idx] : w->state.button_names[idx],
             TRACE_NAME_MAX, "%s", name);
    return put(w, "%s %u %s\n", is_channel ? "channel" : "button", idx, name);
}

int
trace_write_channel(struct trace_writer *w, unsigned channel, const char *name)
{
    return write_decl(w, channel, name, true);
}

int
trace_write_button(struct trace_writer *w, unsigned button, const char *name)
{
    return write_decl(w, button, name, false);
}

static int
check_time(struct trace_writer *w, int64_t t_ms)
{
    if (w->error < 0)
        return w->error;
    if (t_ms < 0 || t_ms > TRACE_T_MAX_MS || t_ms < w->state.last_t_ms)
        return -EINVAL;
    return 0;
}

static void
advance(struct trace_writer *w, int64_t t_ms)
{
    w->state.records_started = true;
    w->state.last_t_ms = t_ms;
}

int
trace_write_sample(struct trace_writer *w, const struct sample *s)
{
    int r = check_time(w, s->t_ms);
    if (r < 0)
        return r;
    if (s->channel >= SENSOR_MAX_CHANNELS ||
        !(w->state.channel_mask & (UINT32_C(1) << s->channel)) ||
        s->status > SAMPLE_INVALID ||
        (s->status == SAMPLE_OK && (s->raw < TRACE_RAW_MIN || s->raw > TRACE_RAW_MAX)))
        return -EINVAL;
    advance(w, s->t_ms);
    if (s->status == SAMPLE_OK)
        return put(w, "s %lld %u ok %ld\n", (long long)s->t_ms, s->channel,
                   (long)s->raw);
    return put(w, "s %lld %u %s\n", (long long)s->t_ms, s->channel,
               sample_status_to_str((enum sample_status)s->status));
}

int
trace_write_edge(struct trace_writer *w, const struct button_edge *e)
{
    int r = check_time(w, e->t_ms);
    if (r < 0)
        return r;
    if (e->button >= SENSOR_MAX_BUTTONS ||
        !(w->state.button_mask & (UINT32_C(1) << e->button)) || e->pressed > 1)
        return -EINVAL;
    advance(w, e->t_ms);
    return put(w, "e %lld %u %s\n", (long long)e->t_ms, e->button,
               e->pressed ? "down" : "up");
}

int
trace_write_note(struct trace_writer *w, int64_t t_ms, const char *text)
{
    int r = check_time(w, t_ms);
    if (r < 0)
        return r;
    if (!valid_note(text))
        return -EINVAL;
    advance(w, t_ms);
    return put(w, "a %lld %s\n", (long long)t_ms, text);
}

int
trace_record_due(struct trace_writer *w, struct sample_source *src, int64_t now_ms)
{
    struct sample s[TRACE_RECORD_BATCH];
    struct button_edge e[TRACE_RECORD_BATCH];
    int total = 0;
    for (;;) {
        int ns = 0, ne = 0, r;
        if (src->ops->read_samples != NULL &&
            (ns = src->ops->read_samples(src, now_ms, s, TRACE_RECORD_BATCH)) < 0)
            return ns;
        if (src->ops->read_edges != NULL &&
            (ne = src->ops->read_edges(src, now_ms, e, TRACE_RECORD_BATCH)) < 0)
            return ne;
        if (ns == 0 && ne == 0)
            return total;
        /* Each batch is sorted by time (stable); merge them, samples first on ties. */
        for (int i = 1; i < ns; i++)
            for (int j = i; j > 0 && s[j - 1].t_ms > s[j].t_ms; j--) {
                struct sample x = s[j];
                s[j] = s[j - 1];
                s[j - 1] = x;
            }
        for (int i = 1; i < ne; i++)
            for (int j = i; j > 0 && e[j - 1].t_ms > e[j].t_ms; j--) {
                struct button_edge x = e[j];
                e[j] = e[j - 1];
                e[j - 1] = x;
            }
        for (int i = 0, j = 0; i < ns || j < ne; total++) {
            if (j == ne || (i < ns && s[i].t_ms <= e[j].t_ms))
                r = trace_write_sample(w, &s[i++]);
            else
                r = trace_write_edge(w, &e[j++]);
            if (r < 0)
                return r;
        }
    }
}

int
trace_writer_flush(struct trace_writer *w)
{
    if (w->error == 0 && fflush(w->f) != 0)
        w->error = -EIO;
    return w->error;
}

/* ---- checking a whole trace ---- */

int
trace_check_file(FILE *f, const char *name, struct trace_summary *sum, char *err,
                 size_t errlen)
{
    char line[TRACE_LINE_MAX + 1], msg[256];
    struct trace_reader r;
    struct trace_record rec;
    enum text_line got;
    size_t len;
    int ret = 0;

    trace_reader_init(&r);
    *sum = (struct trace_summary){.first_t_ms = -1, .last_t_ms = -1};
    while ((got = text_read_line(f, line, TRACE_LINE_MAX, &len)) == TEXT_LINE_OK) {
        if (trace_parse_line(&r, line, len, &rec, msg, sizeof(msg)) < 0) {
            ret = -EINVAL;
            goto out;
        }
        sum->bytes += (int64_t)len + 1;
        if (rec.kind == TRACE_REC_SAMPLE)
            sum->samples++;
        else if (rec.kind == TRACE_REC_EDGE)
            sum->edges++;
        if (rec.kind != TRACE_REC_NONE) {
            if (sum->first_t_ms < 0)
                sum->first_t_ms = rec.t_ms;
            sum->last_t_ms = rec.t_ms;
        }
    }
    if (got == TEXT_LINE_EOF && r.line_no == 0) {
        r.line_no = 1;
        ret = text_error(msg, sizeof(msg), "empty file: expected the header '%s'",
                         TRACE_HEADER);
    } else if (got != TEXT_LINE_EOF) {
        /* A first line that is not the header says so: another kind of file
         * (binary, compressed) rarely has a newline in its first bytes. */
        bool first = r.line_no == 0;
        if (first && got != TEXT_LINE_ERROR &&
            trace_parse_line(&r, line, len, &rec, msg, sizeof(msg)) < 0) {
            ret = -EINVAL;
        } else {
            r.line_no = first ? 1 : r.line_no + 1;
            ret = text_line_error(got, TRACE_LINE_MAX, msg, sizeof(msg));
        }
    }
out:
    sum->lines = r.line_no;
    if (ret < 0 && errlen > 0)
        snprintf(err, errlen, "%s:%u: %s", name, r.line_no, msg);
    return ret;
}

/* ---- replay ---- */

struct replay {
    struct sample_source base; /* first */
    FILE *f;
    char name[128];
    struct trace_summary checked; /* the first pass, over what is replayed */
    bool streaming;               /* a pipe: read once, as it comes, unchecked */
    int64_t pos;                  /* bytes read by the second pass */
    struct trace_reader reader;
    struct trace_record next; /* lookahead record, valid when have_next */
    bool have_next;
    bool eof;
    int error;
    char errmsg[512];
    struct button_edge edges[EDGE_QUEUE]; /* edges passed over by read_samples */
    size_t edge_head, edge_n;
    struct sample samples[SAMPLE_QUEUE]; /* samples passed over by read_edges */
    size_t sample_head, sample_n;
};

/*
 * Load the next sample or edge into r->next; notes and declarations are skipped.
 * Only the bytes the first pass checked are read: a line appended since is not
 * replayed. An error here means the file changed after it was checked.
 */
static int
fill(struct replay *r)
{
    char line[TRACE_LINE_MAX + 1], msg[256];
    size_t len;
    while (!r->have_next && !r->eof && r->error == 0) {
        if (!r->streaming && r->pos >= r->checked.bytes) {
            r->eof = true;
            break;
        }
        enum text_line got = text_read_line(r->f, line, TRACE_LINE_MAX, &len);
        if (got == TEXT_LINE_EOF && r->streaming && r->reader.line_no > 0) {
            r->eof = true;
            break;
        }
        if (got == TEXT_LINE_OK) {
            r->pos += (int64_t)len + 1;
            r->error =
                trace_parse_line(&r->reader, line, len, &r->next, msg, sizeof(msg));
        } else {
            r->reader.line_no++;
            r->error = got == TEXT_LINE_EOF
                           ? text_error(msg, sizeof(msg), "%s",
                                        r->streaming ? "expected \"" TRACE_HEADER
                                                       "\", found nothing"
                                                     : "the file got shorter")
                           : text_line_error(got, TRACE_LINE_MAX, msg, sizeof(msg));
        }
        if (r->error < 0) {
            snprintf(r->errmsg, sizeof(r->errmsg), "%s:%u: %s%s", r->name,
                     r->reader.line_no, msg,
                     r->streaming ? "" : " (the file changed after it was checked)");
            break;
        }
        r->have_next =
            r->next.kind == TRACE_REC_SAMPLE || r->next.kind == TRACE_REC_EDGE;
    }
    if (r->error < 0 && !r->have_next)
        return r->error;
    return 0;
}
static int
replay_read_samples(struct sample_source *s, int64_t now_ms, struct sample *out,
                    size_t max)
{
    struct replay *r = (struct replay *)s;
    size_t n = 0;
    while (n < max && r->sample_n > 0 && r->samples[r->sample_head].t_ms <= now_ms) {
        out[n++] = r->samples[r->sample_head];
        r->sample_head = (r->sample_head + 1) % SAMPLE_QUEUE;
        r->sample_n--;
    }
    while (n < max && r->sample_n == 0) {
        int ret = fill(r);
        if (ret < 0)
            return n > 0 ? (int)n : ret;
        if (!r->have_next || r->next.t_ms > now_ms)
            break;
        if (r->next.kind == TRACE_REC_SAMPLE) {
            out[n++] = r->next.sample;
        } else {
            if (r->edge_n == EDGE_QUEUE)
                break;
            r->edges[(r->edge_head + r->edge_n++) % EDGE_QUEUE] = r->next.edge;
        }
        r->have_next = false;
    }
    return (int)n;
}

static int
replay_read_edges(struct sample_source *s, int64_t now_ms, struct button_edge *out,
                  size_t max)
{
    struct replay *r = (struct replay *)s;
    size_t n = 0;
    while (n < max && r->edge_n > 0 && r->edges[r->edge_head].t_ms <= now_ms) {
        out[n++] = r->edges[r->edge_head];
        r->edge_head = (r->edge_head + 1) % EDGE_QUEUE;
        r->edge_n--;
    }
    while (n < max && r->edge_n == 0) {
        int ret = fill(r);
        if (ret < 0)
            return n > 0 ? (int)n : ret;
        if (!r->have_next || r->next.t_ms > now_ms)
            break;
        if (r->next.kind == TRACE_REC_EDGE) {
            out[n++] = r->next.edge;
        } else {
            if (r->sample_n == SAMPLE_QUEUE)
                break;
            r->samples[(r->sample_head + r->sample_n++) % SAMPLE_QUEUE] =
                r->next.sample;
        }
        r->have_next = false;
    }
    return (int)n;
}

static int
replay_poll_fd(const struct sample_source *s)
{
    (void)s;
    return -1;
}

static int64_t
replay_next_due_ms(const struct sample_source *s, int64_t now_ms)
{
    /* Loading the lookahead does not change what the source will return. */
    struct replay *r = (struct replay *)(uintptr_t)s;
    int64_t t = INT64_MAX;
    (void)now_ms;
    if (r->sample_n > 0)
        t = r->samples[r->sample_head].t_ms;
    if (r->edge_n > 0 && r->edges[r->edge_head].t_ms < t)
        t = r->edges[r->edge_head].t_ms;
    if (fill(r) < 0)
        return t; /* the error is reported by the next read */
    if (r->have_next && r->next.t_ms < t)
        t = r->next.t_ms;
    return t;
}

static void
replay_free(struct sample_source *s)
{
    struct replay *r = (struct replay *)s;
    if (r->f != NULL)
        fclose(r->f);
    free(r);
}

static const struct sample_source_ops replay_ops = {
    .name = "replay",
    .read_samples = replay_read_samples,
    .read_edges = replay_read_edges,
    .poll_fd = replay_poll_fd,
    .next_due_ms = replay_next_due_ms,
    .free = replay_free,
};

int
trace_replay_open_file(FILE *f, const char *name, struct sample_source **out, char *err,
                       size_t errlen)
{
    struct replay *r = calloc(1, sizeof(*r));
    off_t start = ftello(f);
    int ret;

    *out = NULL;
    if (r == NULL) {
        fclose(f);
        return -ENOMEM;
    }
    r->base.ops = &replay_ops;
    r->f = f;
    snprintf(r->name, sizeof(r->name), "%s", name);
    trace_reader_init(&r->reader);
    /*
     * Check the whole trace before any of it is replayed, so that a bad line
     * anywhere is refused before a sample reaches the caller: two passes over
     * the file with the same parser, never more than a line in memory. A pipe
     * cannot be read twice: it is replayed as it comes, and a bad line stops it
     * there (trace_replay_checked() says NULL).
     */
    if (start < 0 || fseeko(f, start, SEEK_SET) < 0) {
        if (errno != ESPIPE) {
            ret = -errno;
            snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s", r->name, strerror(errno));
            goto out;
        }
        r->streaming = true;
        ret = fill(r);
        goto out;
    }
    if ((ret = trace_check_file(f, r->name, &r->checked, r->errmsg,
                                sizeof(r->errmsg))) < 0)
        goto out;
    clearerr(f);
    if (fseeko(f, start, SEEK_SET) < 0) {
        ret = -errno;
        snprintf(r->errmsg, sizeof(r->errmsg), "%s: %s", r->name, strerror(errno));
        goto out;
    }
    /* Read the header and declarations now, so the caller sees them. */
    ret = fill(r);
out:
    if (ret < 0) {
        if (errlen > 0)
            snprintf(err, errlen, "%s", r->errmsg);
        replay_free(&r->base);
        return ret;
    }
    *out = &r->base;
    return 0;
}

int
trace_replay_open(const char *path, struct sample_source **out, char *err,
                  size_t errlen)
{
    FILE *f = fopen(path, "r");
    *out = NULL;
    if (f == NULL) {
        int e = errno;
        if (errlen > 0)
            snprintf(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    return trace_replay_open_file(f, path, out, err, errlen);
}

const char *
trace_replay_error(const struct sample_source *s)
{
    return ((const struct replay *)s)->errmsg;
}

const struct trace_reader *
trace_replay_reader(const struct sample_source *s)
{
    return &((const struct replay *)s)->reader;
}

const struct trace_summary *
trace_replay_checked(const struct sample_source *s)
{
    const struct replay *r = (const struct replay *)s;
    return r->streaming ? NULL : &r->checked;
}
