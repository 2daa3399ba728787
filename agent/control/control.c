/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket (control.h): the strict parser and the formatter of request
 * lines, the server side the daemon polls (one bounded accept-read-answer-close
 * per call, never blocking past its deadline), and the client side pantryctl
 * calls. Requests are untrusted: they are checked byte by byte (length, control
 * characters, nesting) before cJSON sees them, then key by key. Timeouts use
 * the monotonic clock of sensors/clock.h, the one place that reads it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cJSON.h>

#include "agent/control/control.h"
#include "agent/msg/jsonread.h"
#include "sensors/clock.h"
#include "sensors/text.h"

static const char *const cmd_names[CONTROL_CMD_COUNT] = {
    [CONTROL_PING] = "ping",
    [CONTROL_STATUS] = "status",
    [CONTROL_ORDER] = "order",
    [CONTROL_CONFIRM] = "confirm",
    [CONTROL_CANCEL] = "cancel",
    [CONTROL_TARE] = "tare",
    [CONTROL_SPAN] = "span",
    [CONTROL_RECORD] = "record",
    [CONTROL_RESET_LEARNING] = "reset-learning",
    [CONTROL_AWAY] = "away",
    [CONTROL_REFUSED] = "refused",
};

/* Which keys besides "cmd" each command takes: all of them are required. */
enum {
    KEY_ITEM = 1,
    KEY_GRAMS = 2,
    KEY_SECONDS = 4,
    KEY_FROM = 8,
    KEY_UNTIL = 16,
    KEY_ARRIVE = 32,
    KEY_REMOVE = 64,
    KEY_REASON = 128,
};
#define KEY_COUNT 8
/* Keys a command may have (away's combinations: check_away()). */
static const unsigned cmd_optional[CONTROL_CMD_COUNT] = {
    [CONTROL_AWAY] = KEY_FROM | KEY_UNTIL | KEY_ARRIVE | KEY_REMOVE,
    [CONTROL_REFUSED] = KEY_REASON,
};
static const unsigned cmd_keys[CONTROL_CMD_COUNT] = {
    [CONTROL_PING] = 0,
    [CONTROL_STATUS] = 0,
    [CONTROL_ORDER] = KEY_ITEM,
    [CONTROL_CONFIRM] = KEY_ITEM,
    [CONTROL_CANCEL] = KEY_ITEM,
    [CONTROL_TARE] = KEY_ITEM,
    [CONTROL_SPAN] = KEY_ITEM | KEY_GRAMS,
    [CONTROL_RECORD] = KEY_SECONDS,
    [CONTROL_RESET_LEARNING] = KEY_ITEM,
    [CONTROL_AWAY] = 0,
    [CONTROL_REFUSED] = KEY_ITEM,
};

static const struct {
    int err;
    const char *name;
} err_names[] = {
    {EPERM, "EPERM"},       {ENOENT, "ENOENT"},   {EIO, "EIO"},
    {E2BIG, "E2BIG"},       {EAGAIN, "EAGAIN"},   {ENOMEM, "ENOMEM"},
    {EACCES, "EACCES"},     {EBUSY, "EBUSY"},     {EEXIST, "EEXIST"},
    {EINVAL, "EINVAL"},     {ENOSPC, "ENOSPC"},   {EROFS, "EROFS"},
    {ERANGE, "ERANGE"},     {ENODATA, "ENODATA"}, {ETIME, "ETIME"},
    {EPROTO, "EPROTO"},     {ENOTSUP, "ENOTSUP"}, {ETIMEDOUT, "ETIMEDOUT"},
    {EALREADY, "EALREADY"}, {ESTALE, "ESTALE"},   {ECANCELED, "ECANCELED"},
    {EMSGSIZE, "EMSGSIZE"},
};

const char *
control_cmd_to_str(enum control_cmd c)
{
    return (unsigned)c < CONTROL_CMD_COUNT ? cmd_names[c] : "?";
}

const char *
control_error_name(int err)
{
    for (size_t i = 0; i < sizeof(err_names) / sizeof(err_names[0]); i++)
        if (err_names[i].err == -err)
            return err_names[i].name;
    return "EIO";
}

int
control_error_from_name(const char *name)
{
    for (size_t i = 0; name != NULL && i < sizeof(err_names) / sizeof(err_names[0]);
         i++)
        if (strcmp(err_names[i].name, name) == 0)
            return -err_names[i].err;
    return -EIO;
}

/*
 * Untrusted text quoted in a message: printable ASCII, anything else as '?',
 * at most 40 bytes (with "..." when cut).
 */
static const char *
quote(const char *s, char *buf, size_t len)
{
    size_t i, n = 0;

    for (i = 0; s[i] != '\0' && n + 4 < len && i < 40; i++)
        buf[n++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    if (s[i] != '\0')
        for (int k = 0; k < 3 && n + 1 < len; k++)
            buf[n++] = '.';
    buf[n] = '\0';
    return buf;
}

/* The command names, ", " between them, for a message; returns buf. */
static const char *
cmd_list(char *buf, size_t len)
{
    size_t n = 0;

    buf[0] = '\0';
    for (int c = 0; c < CONTROL_CMD_COUNT && n < len; c++)
        n +=
            (size_t)snprintf(buf + n, len - n, "%s%s", c > 0 ? ", " : "", cmd_names[c]);
    return buf;
}

/*
 * What jr_parse() lets through but a request line must not have: a newline
 * (one request per connection) and control characters outside strings other
 * than tabs (a stray CR; inside strings jr_parse() names them itself).
 */
static int
scan_line(const char *s, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') {
            text_error(err, errlen, "more than one line: one request per connection");
            return -EINVAL;
        }
        if (c < 0x20 && c != '\t') {
            text_error(err, errlen, "control character 0x%02x at byte %zu", c, i + 1);
            return -EINVAL;
        }
    }
    return 0;
}

static const char *
json_type(const cJSON *v)
{
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "something else";
}

/* A whole number from min to max in v ("name" for the message). */
static int
whole(const cJSON *v, const char *name, int64_t min, int64_t max, int64_t *out,
      char *err, size_t errlen)
{
    double d = cJSON_IsNumber(v) ? v->valuedouble : 0;

    if (!cJSON_IsNumber(v)) {
        text_error(err, errlen, "\"%s\" must be a number, found %s", name,
                   json_type(v));
        return -EINVAL;
    }
    if (!(d >= (double)min && d <= (double)max) || d != (double)(int64_t)d) {
        text_error(err, errlen,
                   "\"%s\" must be a whole number from %lld to %lld, found %g", name,
                   (long long)min, (long long)max, d);
        return -EINVAL;
    }
    *out = (int64_t)d;
    return 0;
}

/* refused's reason: 1 .. CONTROL_REASON_MAX - 1 bytes, no control characters. */
static bool
reason_ok(const char *s)
{
    size_t n = 0;

    for (; s[n] != '\0'; n++)
        if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
            return false;
    return n >= 1 && n < CONTROL_REASON_MAX;
}

/* away: from and until together (arrive optional), or remove alone, or none. */
static int
check_away(const cJSON *from, const cJSON *until, const cJSON *arrive,
           const cJSON *remove, struct control_request *out, char *err, size_t errlen)
{
    if (remove != NULL && (from != NULL || until != NULL || arrive != NULL)) {
        text_error(err, errlen,
                   "away takes \"remove\" alone, or \"from\" and \"until\"");
        return -EINVAL;
    }
    if (remove != NULL)
        return whole(remove, "remove", 1, CONTROL_AWAY_ID_MAX, &out->remove, err,
                     errlen);
    if (from == NULL && until == NULL && arrive == NULL)
        return 0;
    if (from == NULL || until == NULL) {
        text_error(err, errlen, "away needs \"from\" and \"until\" together");
        return -EINVAL;
    }
    if (whole(from, "from", 0, CONTROL_TIME_MAX_S, &out->from_s, err, errlen) < 0 ||
        whole(until, "until", 0, CONTROL_TIME_MAX_S, &out->until_s, err, errlen) < 0)
        return -EINVAL;
    if (out->until_s <= out->from_s) {
        text_error(err, errlen, "\"until\" must be after \"from\"");
        return -EINVAL;
    }
    if (arrive != NULL) {
        if (!cJSON_IsString(arrive) || (strcmp(arrive->valuestring, "after") != 0 &&
                                        strcmp(arrive->valuestring, "before") != 0)) {
            text_error(err, errlen, "\"arrive\" must be \"after\" or \"before\"");
            return -EINVAL;
        }
        out->before = arrive->valuestring[0] == 'b';
    }
    return 0;
}

static int
parse_object(const cJSON *root, struct control_request *out, char *err, size_t errlen)
{
    const cJSON *cmd = NULL, *item = NULL, *grams = NULL, *seconds = NULL, *v;
    const cJSON *from = NULL, *until = NULL, *arrive = NULL, *remove = NULL;
    const cJSON *reason = NULL;
    char q[48], names[128];
    unsigned have = 0;
    int c;

    if (!cJSON_IsObject(root)) {
        text_error(err, errlen,
                   "expected a JSON object such as {\"cmd\":\"ping\"}, "
                   "found %s",
                   json_type(root));
        return -EINVAL;
    }
    cJSON_ArrayForEach(v, root)
    {
        const cJSON **slot;
        unsigned bit = 0;
        if (strcmp(v->string, "cmd") == 0) {
            slot = &cmd;
        } else if (strcmp(v->string, "item") == 0) {
            slot = &item;
            bit = KEY_ITEM;
        } else if (strcmp(v->string, "grams") == 0) {
            slot = &grams;
            bit = KEY_GRAMS;
        } else if (strcmp(v->string, "seconds") == 0) {
            slot = &seconds;
            bit = KEY_SECONDS;
        } else if (strcmp(v->string, "from") == 0) {
            slot = &from;
            bit = KEY_FROM;
        } else if (strcmp(v->string, "until") == 0) {
            slot = &until;
            bit = KEY_UNTIL;
        } else if (strcmp(v->string, "arrive") == 0) {
            slot = &arrive;
            bit = KEY_ARRIVE;
        } else if (strcmp(v->string, "remove") == 0) {
            slot = &remove;
            bit = KEY_REMOVE;
        } else if (strcmp(v->string, "reason") == 0) {
            slot = &reason;
            bit = KEY_REASON;
        } else {
            text_error(err, errlen,
                       "unknown key \"%s\" (known: cmd, item, grams, seconds, from, "
                       "until, arrive, remove, reason)",
                       quote(v->string, q, sizeof(q)));
            return -EINVAL;
        }
        if (*slot != NULL) {
            text_error(err, errlen, "key \"%s\" given twice", v->string);
            return -EINVAL;
        }
        *slot = v;
        have |= bit;
    }
    if (cmd == NULL) {
        text_error(err, errlen, "no \"cmd\": expected one of %s",
                   cmd_list(names, sizeof(names)));
        return -EINVAL;
    }
    if (!cJSON_IsString(cmd)) {
        text_error(err, errlen, "\"cmd\" must be a string, found %s", json_type(cmd));
        return -EINVAL;
    }
    for (c = 0; c < CONTROL_CMD_COUNT; c++)
        if (strcmp(cmd->valuestring, cmd_names[c]) == 0)
            break;
    if (c == CONTROL_CMD_COUNT) {
        text_error(err, errlen, "unknown command \"%s\" (known: %s)",
                   quote(cmd->valuestring, q, sizeof(q)),
                   cmd_list(names, sizeof(names)));
        return -EINVAL;
    }
    out->cmd = (enum control_cmd)c;
    static const char *const key_names[KEY_COUNT] = {
        "item", "grams", "seconds", "from", "until", "arrive", "remove", "reason"};
    for (unsigned k = 0; k < KEY_COUNT; k++) {
        unsigned bit = 1u << k;
        if ((have & bit) && !((cmd_keys[c] | cmd_optional[c]) & bit)) {
            text_error(err, errlen, "%s takes no \"%s\"", cmd_names[c], key_names[k]);
            return -EINVAL;
        }
        if (!(have & bit) && (cmd_keys[c] & bit)) {
            text_error(err, errlen, "%s needs \"%s\"", cmd_names[c], key_names[k]);
            return -EINVAL;
        }
    }
    if (item != NULL) {
        if (!cJSON_IsString(item)) {
            text_error(err, errlen, "\"item\" must be a string, found %s",
                       json_type(item));
            return -EINVAL;
        }
        if (!text_is_id(item->valuestring, CONTROL_ITEM_MAX)) {
            text_error(err, errlen,
                       "\"item\" must be 1 to 31 characters of a-z, 0-9, _ "
                       "and -, found \"%s\"",
                       quote(item->valuestring, q, sizeof(q)));
            return -EINVAL;
        }
        strcpy(out->item, item->valuestring);
    }
    if (grams != NULL) {
        double g = cJSON_IsNumber(grams) ? grams->valuedouble : 0;
        if (!cJSON_IsNumber(grams)) {
            text_error(err, errlen, "\"grams\" must be a number, found %s",
                       json_type(grams));
            return -EINVAL;
        }
        /* Written as !(in range) so that NaN is refused too. */
        if (!(g >= 0.001 && g <= 1000000.0)) {
            text_error(err, errlen, "\"grams\" must be from 0.001 to 1000000, found %g",
                       g);
            return -EINVAL;
        }
        out->known_mg = (int64_t)(g * 1000.0 + 0.5);
        if (out->known_mg < CONTROL_SPAN_MIN_MG)
            out->known_mg = CONTROL_SPAN_MIN_MG;
        if (out->known_mg > CONTROL_SPAN_MAX_MG)
            out->known_mg = CONTROL_SPAN_MAX_MG;
    }
    if (seconds != NULL) {
        double s = cJSON_IsNumber(seconds) ? seconds->valuedouble : 0;
        if (!cJSON_IsNumber(seconds)) {
            text_error(err, errlen, "\"seconds\" must be a number, found %s",
                       json_type(seconds));
            return -EINVAL;
        }
        if (!(s >= CONTROL_RECORD_MIN_S && s <= CONTROL_RECORD_MAX_S) ||
            s != (double)(int64_t)s) {
            text_error(err, errlen,
                       "\"seconds\" must be a whole number from %d to %d, "
                       "found %g",
                       CONTROL_RECORD_MIN_S, CONTROL_RECORD_MAX_S, s);
            return -EINVAL;
        }
        out->seconds = (int64_t)s;
    }
    if (reason != NULL && !cJSON_IsString(reason)) {
        text_error(err, errlen, "\"reason\" must be a string, found %s",
                   json_type(reason));
        return -EINVAL;
    }
    if (reason != NULL && (reason->valuestring[0] == '\0' ||
                           strlen(reason->valuestring) >= CONTROL_REASON_MAX)) {
        text_error(err, errlen, "\"reason\" must be 1 to %d bytes of text, found %zu",
                   CONTROL_REASON_MAX - 1, strlen(reason->valuestring));
        return -EINVAL;
    }
    /* jr_parse() let through well-formed UTF-8 only, but an escape such as
     * "\u0007" is a control character all the same. */
    if (reason != NULL && !reason_ok(reason->valuestring)) {
        text_error(err, errlen, "\"reason\" must be text without control characters");
        return -EINVAL;
    }
    if (reason != NULL)
        strcpy(out->reason, reason->valuestring);
    return c == CONTROL_AWAY ? check_away(from, until, arrive, remove, out, err, errlen)
                             : 0;
}

int
control_parse_request(const char *line, size_t len, struct control_request *out,
                      char *err, size_t errlen)
{
    char buf[CONTROL_LINE_MAX + 1];
    cJSON *root = NULL;
    int r;

    memset(out, 0, sizeof(*out));
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    if (len > 0 && line[len - 1] == '\n')
        len--;
    if (len > 0 && line[len - 1] == '\r')
        len--;
    if (len > CONTROL_LINE_MAX) {
        text_error(err, errlen, "request longer than %d bytes", CONTROL_LINE_MAX);
        return -E2BIG;
    }
    r = scan_line(line, len, err, errlen);
    if (r < 0)
        return r;
    memcpy(buf, line, len);
    buf[len] = '\0';
    size_t skip = strspn(buf, " \t");
    if (skip == len) {
        text_error(err, errlen,
                   "empty request: expected a JSON object such as "
                   "{\"cmd\":\"ping\"}");
        return -EINVAL;
    }
    if ((root = jr_parse(buf, len, CONTROL_LINE_MAX, CONTROL_DEPTH_MAX, "request", err,
                         errlen)) == NULL)
        return -EINVAL;
    r = parse_object(root, out, err, errlen);
    cJSON_Delete(root);
    if (r < 0)
        memset(out, 0, sizeof(*out));
    return r;
}

/* refused with a reason (checked), its quotes and backslashes escaped; as
 * snprintf. */
static int
format_refused(const struct control_request *r, char *buf, size_t len)
{
    char esc[2 * CONTROL_REASON_MAX];
    size_t k = 0;

    for (const char *s = r->reason; *s != '\0'; s++) {
        if (*s == '"' || *s == '\\')
            esc[k++] = '\\';
        esc[k++] = *s;
    }
    esc[k] = '\0';
    return snprintf(buf, len,
                    "{\"cmd\":\"refused\",\"item\":\"%s\",\"reason\":\"%s\"}\n",
                    r->item, esc);
}

int
control_format_request(const struct control_request *r, char *buf, size_t len)
{
    unsigned keys;
    int n;

    if ((unsigned)r->cmd >= CONTROL_CMD_COUNT)
        return -EINVAL;
    keys = cmd_keys[r->cmd];
    if ((keys & KEY_ITEM) && (memchr(r->item, '\0', sizeof(r->item)) == NULL ||
                              !text_is_id(r->item, CONTROL_ITEM_MAX)))
        return -EINVAL;
    if ((keys & KEY_GRAMS) &&
        (r->known_mg < CONTROL_SPAN_MIN_MG || r->known_mg > CONTROL_SPAN_MAX_MG))
        return -EINVAL;
    if ((keys & KEY_SECONDS) &&
        (r->seconds < CONTROL_RECORD_MIN_S || r->seconds > CONTROL_RECORD_MAX_S))
        return -EINVAL;
    if (r->cmd == CONTROL_REFUSED && r->reason[0] != '\0')
        n = memchr(r->reason, '\0', sizeof(r->reason)) == NULL || !reason_ok(r->reason)
                ? -1
                : format_refused(r, buf, len);
    else if (r->cmd == CONTROL_AWAY && r->remove != 0)
        n = r->remove < 1 || r->remove > CONTROL_AWAY_ID_MAX
                ? -1
                : snprintf(buf, len, "{\"cmd\":\"away\",\"remove\":%lld}\n",
                           (long long)r->remove);
    else if (r->cmd == CONTROL_AWAY && (r->from_s != 0 || r->until_s != 0))
        n = r->from_s < 0 || r->until_s <= r->from_s || r->until_s > CONTROL_TIME_MAX_S
                ? -1
                : snprintf(buf, len,
                           "{\"cmd\":\"away\",\"from\":%lld,\"until\":%lld,"
                           "\"arrive\":\"%s\"}\n",
                           (long long)r->from_s, (long long)r->until_s,
                           r->before ? "before" : "after");
    else if (keys == 0)
        n = snprintf(buf, len, "{\"cmd\":\"%s\"}\n", cmd_names[r->cmd]);
    else if (keys == KEY_ITEM)
        n = snprintf(buf, len, "{\"cmd\":\"%s\",\"item\":\"%s\"}\n", cmd_names[r->cmd],
                     r->item);
    else if (keys == (KEY_ITEM | KEY_GRAMS))
        n = snprintf(buf, len,
                     "{\"cmd\":\"%s\",\"item\":\"%s\",\"grams\":%lld.%03lld}\n",
                     cmd_names[r->cmd], r->item, (long long)(r->known_mg / 1000),
                     (long long)(r->known_mg % 1000));
    else
        n = snprintf(buf, len, "{\"cmd\":\"%s\",\"seconds\":%lld}\n", cmd_names[r->cmd],
                     (long long)r->seconds);
    if (n < 0)
        return -EINVAL;
    if ((size_t)n >= len)
        return -ENOSPC;
    return n;
}

/* ---- I/O with a deadline ---- */

/* Milliseconds left until deadline_us (monotonic), 0 when past. */
static int
left_ms(int64_t deadline_us)
{
    int64_t left = deadline_us - clock_mono_us();

    if (left <= 0)
        return 0;
    left = (left + 999) / 1000;
    return left > 0x7fffffff ? 0x7fffffff : (int)left;
}

/* Wait for events on fd until the deadline: 1 ready, 0 timed out, -errno. */
static int
wait_fd(int fd, short events, int64_t deadline_us)
{
    for (;;) {
        struct pollfd p = {.fd = fd, .events = events};
        int ms = left_ms(deadline_us);
        if (ms == 0)
            return 0;
        int r = poll(&p, 1, ms);
        if (r > 0)
            return 1;
        if (r == 0)
            continue; /* left_ms() decides: poll may wake a little early */
        if (errno != EINTR)
            return -errno;
    }
}

/* Write all of buf on a non-blocking socket by the deadline. */
static int
write_all(int fd, const char *buf, size_t len, int64_t deadline_us)
{
    while (len > 0) {
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int r = wait_fd(fd, POLLOUT, deadline_us);
            if (r <= 0)
                return r == 0 ? -ETIMEDOUT : r;
            continue;
        }
        return n < 0 ? -errno : -EIO;
    }
    return 0;
}

/*
 * Read up to max bytes into buf until a "\n" arrives, the peer closes or the
 * deadline passes. Returns the bytes read (*nl set when a "\n" is among them),
 * -ETIMEDOUT (*got holds what came), or -errno.
 */
static ssize_t
read_line(int fd, char *buf, size_t max, int64_t deadline_us, bool *nl, size_t *got)
{
    size_t n = 0;

    *nl = false;
    *got = 0;
    while (n < max) {
        ssize_t k = recv(fd, buf + n, max - n, 0);
        if (k > 0) {
            bool found = memchr(buf + n, '\n', (size_t)k) != NULL;
            n += (size_t)k;
            *got = n;
            if (found) {
                *nl = true;
                break;
            }
            continue;
        }
        if (k == 0)
            break;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int r = wait_fd(fd, POLLIN, deadline_us);
            if (r < 0)
                return r;
            if (r == 0)
                return -ETIMEDOUT;
            continue;
        }
        return n > 0 && errno == ECONNRESET ? (ssize_t)n : -errno;
    }
    return (ssize_t)n;
}

/* ---- server ---- */

int
control_listen(const char *path, int *fd_out, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct stat st;
    int fd = -1, r;

    *fd_out = -1;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        text_error(err, errlen, "%s: control socket path longer than %zu bytes", path,
                   sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            text_error(err, errlen,
                       "%s exists and is not a socket: not removed; move it "
                       "away or set control_socket elsewhere",
                       path);
            return -EEXIST;
        }
        /* A socket nobody answers on is what a crashed daemon leaves behind. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            r = -errno;
            text_error(err, errlen, "socket: %s", strerror(errno));
            return r;
        }
        r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
        int e = errno;
        close(fd);
        fd = -1;
        if (r == 0) {
            text_error(err, errlen, "%s: another pantry-agent is listening on it",
                       path);
            return -EADDRINUSE;
        }
        if (e != ECONNREFUSED) {
            text_error(err, errlen, "%s: cannot check the old socket: %s", path,
                       strerror(e));
            return -e;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            r = -errno;
            text_error(err, errlen, "%s: cannot remove the stale socket: %s", path,
                       strerror(errno));
            return r;
        }
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r = -errno;
        text_error(err, errlen, "socket: %s", strerror(errno));
        return r;
    }
    /* The socket's mode is the access control: rw for owner and group only. */
    mode_t old = umask(0117);
    r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    int e = errno;
    umask(old);
    if (r < 0) {
        r = -e;
        if (e == ENOENT)
            text_error(err, errlen,
                       "%s: its directory does not exist (systemd creates "
                       "it with RuntimeDirectory=)",
                       path);
        else
            text_error(err, errlen, "%s: cannot bind: %s", path, strerror(e));
        goto error;
    }
    if (listen(fd, 16) < 0) {
        r = -errno;
        text_error(err, errlen, "%s: cannot listen: %s", path, strerror(errno));
        unlink(path);
        goto error;
    }
    *fd_out = fd;
    return 0;
error:
    close(fd);
    return r;
}

/* The answer line, "\n" included, from malloc(); NULL when out of memory. */
static char *
make_answer(int status, const char *msg, cJSON **data, size_t *len)
{
    cJSON *o = cJSON_CreateObject();
    char *text = NULL, *line = NULL;

    if (o == NULL)
        goto out;
    if (cJSON_AddBoolToObject(o, "ok", status >= 0) == NULL)
        goto out;
    if (status < 0 &&
        cJSON_AddStringToObject(o, "error", control_error_name(status)) == NULL)
        goto out;
    if (msg[0] == '\0')
        msg = status >= 0 ? "done" : strerror(-status);
    if (cJSON_AddStringToObject(o, "message", msg) == NULL)
        goto out;
    if (status >= 0 && data != NULL && *data != NULL) {
        cJSON_AddItemToObject(o, "data", *data);
        *data = NULL; /* o owns it now */
    }
    text = cJSON_PrintUnformatted(o);
    if (text == NULL)
        goto out;
    *len = strlen(text);
    line = malloc(*len + 2);
    if (line != NULL) {
        memcpy(line, text, *len);
        line[(*len)++] = '\n';
        line[*len] = '\0';
    }
out:
    cJSON_free(text);
    cJSON_Delete(o);
    return line;
}

static void
answer(int fd, int status, const char *msg, cJSON **data, int64_t deadline_us)
{
    size_t len = 0;
    char *line = make_answer(status, msg, data, &len);

    if (line != NULL && len > CONTROL_RESPONSE_MAX) {
        free(line);
        line = make_answer(-EMSGSIZE, "the answer is too long for the protocol", NULL,
                           &len);
    }
    if (line != NULL)
        write_all(fd, line, len, deadline_us);
    free(line);
}

int
control_serve(int listen_fd, control_handler_fn fn, void *ctx, int timeout_ms)
{
    char buf[CONTROL_LINE_MAX + 2];
    char msg[CONTROL_MSG_MAX] = "";
    struct control_request req;
    cJSON *data = NULL;
    bool nl;
    size_t got;
    int fd;

    fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ||
            errno == ECONNABORTED)
            return 0;
        return -errno;
    }
    int64_t deadline_us =
        clock_mono_us() + (int64_t)(timeout_ms > 0 ? timeout_ms : 1) * 1000;
    ssize_t n = read_line(fd, buf, sizeof(buf), deadline_us, &nl, &got);
    if (n == -ETIMEDOUT) {
        /* Best effort, never waiting: the client may still be reading. */
        snprintf(msg, sizeof(msg), "no complete request line within %d ms", timeout_ms);
        answer(fd, -ETIMEDOUT, msg, NULL, 0);
        goto out;
    }
    if (n <= 0)
        goto out; /* an error, or a peer that connected and closed at once */
    if (!nl && (size_t)n == sizeof(buf)) {
        snprintf(msg, sizeof(msg), "request longer than %d bytes", CONTROL_LINE_MAX);
        answer(fd, -E2BIG, msg, NULL, deadline_us);
        goto out;
    }
    /* No "\n" but the peer closed: the bytes it sent are the request. */
    size_t linelen = (size_t)n;
    if (nl) {
        linelen = (size_t)((char *)memchr(buf, '\n', (size_t)n) - buf) + 1;
        if (linelen != (size_t)n) {
            answer(fd, -EINVAL,
                   "bytes after the request line: one request per "
                   "connection",
                   NULL, deadline_us);
            goto out;
        }
    }
    int r = control_parse_request(buf, linelen, &req, msg, sizeof(msg));
    if (r < 0) {
        answer(fd, r, msg, NULL, deadline_us);
        goto out;
    }
    r = fn(ctx, &req, msg, sizeof(msg), &data);
    msg[sizeof(msg) - 1] = '\0';
    answer(fd, r, msg, &data, deadline_us);
out:
    cJSON_Delete(data);
    close(fd);
    return 1;
}

/* ---- client ---- */

static int
copy_str(const cJSON *o, const char *key, char *dst, size_t len, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

    if (v == NULL)
        return required ? -EPROTO : 0;
    if (!cJSON_IsString(v))
        return -EPROTO;
    snprintf(dst, len, "%s", v->valuestring);
    return 0;
}

static int
parse_response(const char *text, size_t len, struct control_response *resp, char *err,
               size_t errlen)
{
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, false);
    const cJSON *ok;
    int r = -EPROTO;

    if (root == NULL || !cJSON_IsObject(root)) {
        text_error(err, errlen, "the daemon's answer is not a JSON object");
        goto out;
    }
    ok = cJSON_GetObjectItemCaseSensitive(root, "ok");
    if (!cJSON_IsBool(ok)) {
        text_error(err, errlen, "the daemon's answer has no \"ok\"");
        goto out;
    }
    resp->ok = cJSON_IsTrue(ok);
    if (copy_str(root, "message", resp->message, sizeof(resp->message), true) < 0 ||
        copy_str(root, "error", resp->error, sizeof(resp->error), !resp->ok) < 0) {
        text_error(err, errlen, "the daemon's answer lacks a \"message\" or \"error\"");
        goto out;
    }
    /* Keys this client does not know are ignored: newer daemons may add some. */
    resp->data = cJSON_DetachItemFromObjectCaseSensitive(root, "data");
    r = 0;
out:
    cJSON_Delete(root);
    return r;
}

int
control_call(const char *path, const struct control_request *req,
             struct control_response *resp, int timeout_ms, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    char line[CONTROL_LINE_MAX + 2];
    char *in = NULL;
    int fd = -1, r;
    bool nl;
    size_t got;

    memset(resp, 0, sizeof(*resp));
    if (timeout_ms < 1)
        timeout_ms = 1;
    int64_t deadline_us = clock_mono_us() + (int64_t)timeout_ms * 1000;
    r = control_format_request(req, line, sizeof(line));
    if (r < 0) {
        text_error(err, errlen, "invalid request");
        return -EINVAL;
    }
    size_t linelen = (size_t)r;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        text_error(err, errlen, "%s: control socket path longer than %zu bytes", path,
                   sizeof(sa.sun_path) - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        r = -errno;
        text_error(err, errlen, "socket: %s", strerror(errno));
        return r;
    }
    /* A full backlog makes a blocking connect() wait; SO_SNDTIMEO bounds it. */
    struct timeval tv = {.tv_sec = timeout_ms / 1000,
                         .tv_usec = (timeout_ms % 1000) * 1000};
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        r = errno == EAGAIN || errno == EINPROGRESS ? -ETIMEDOUT : -errno;
        text_error(err, errlen, "cannot connect to %s: %s", path, strerror(-r));
        goto out;
    }
    if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
        r = -errno;
        text_error(err, errlen, "fcntl: %s", strerror(errno));
        goto out;
    }
    r = write_all(fd, line, linelen, deadline_us);
    if (r == -ETIMEDOUT) {
        text_error(err, errlen, "%s: the daemon did not take the request within %d ms",
                   path, timeout_ms);
        goto out;
    }
    /* Another error (EPIPE): the daemon may have answered why; read it. */
    in = malloc(CONTROL_RESPONSE_MAX + 1);
    if (in == NULL) {
        r = -ENOMEM;
        text_error(err, errlen, "out of memory");
        goto out;
    }
    ssize_t n = read_line(fd, in, CONTROL_RESPONSE_MAX + 1, deadline_us, &nl, &got);
    if (n == -ETIMEDOUT) {
        r = -ETIMEDOUT;
        text_error(err, errlen, "%s: no answer from the daemon within %d ms", path,
                   timeout_ms);
        goto out;
    }
    if (n < 0) {
        r = (int)n;
        text_error(err, errlen, "%s: %s", path, strerror((int)-n));
        goto out;
    }
    if (n == 0) {
        r = -EPROTO;
        text_error(err, errlen,
                   "%s: the daemon closed the connection without an answer", path);
        goto out;
    }
    if (!nl) {
        r = -EPROTO;
        text_error(err, errlen, "%s: the daemon's answer is %s", path,
                   (size_t)n > CONTROL_RESPONSE_MAX ? "too long" : "cut short");
        goto out;
    }
    size_t len = (size_t)((char *)memchr(in, '\n', (size_t)n) - in);
    r = parse_response(in, len, resp, err, errlen);
out:
    free(in);
    if (fd >= 0)
        close(fd);
    if (r < 0)
        control_response_fini(resp);
    return r;
}

void
control_response_fini(struct control_response *r)
{
    if (r == NULL)
        return;
    cJSON_Delete(r->data);
    memset(r, 0, sizeof(*r));
}
