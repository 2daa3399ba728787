/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The control socket over a real UNIX socket in a temporary directory:
 * control_listen() (mode 0660, stale and live sockets, things that are not
 * sockets), control_serve() driven by raw clients in the same thread (answers
 * compared with lines written out here; an over-long line, bytes after the
 * line, a client that sends nothing or half a line and is dropped within the
 * timeout), and control_call() against a server thread running a test handler,
 * against a listener that never answers, against garbage, and against nothing.
 * Nothing sleeps: the only waits are the timeouts under test, whose bounds are
 * checked on the monotonic clock.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cJSON.h>

#include "sensors/clock.h"
#include "agent/control/control.h"
#include "tests/harness.h"

#define CHECK_STR(a, b)                                                                \
    CHECK_MSG(strcmp((a), (b)) == 0, "%s == %s: \"%s\" != \"%s\"", #a, #b, (a), (b))

static char dir[64];
static char sock_path[128];
/* Slack on timing bounds: generous, and more under valgrind. */
static int64_t slack_ms = 1500;

/* ---- the test handler ---- */

struct handler_log {
    int calls;
    struct control_request last;
    size_t big; /* status: answer with an array this many strings long */
};

static int
handler(void *ctx, const struct control_request *req, char *msg, size_t msglen,
        cJSON **data)
{
    struct handler_log *log = ctx;

    log->calls++;
    log->last = *req;
    switch (req->cmd) {
    case CONTROL_PING:
        snprintf(msg, msglen, "pong");
        return 0;
    case CONTROL_STATUS: {
        cJSON *a = cJSON_CreateArray();
        if (log->big > 0) {
            static char s[1001];
            memset(s, 'x', 1000);
            for (size_t i = 0; i < log->big; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(s));
        } else {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "item", "rice");
            cJSON_AddNumberToObject(o, "stock_g", 812.5);
            cJSON_AddItemToArray(a, o);
        }
        *data = a;
        msg[0] = '\0'; /* the server says "done" */
        return 0;
    }
    case CONTROL_ORDER:
        /* data on a refusal is freed, not sent (valgrind sees a leak otherwise) */
        *data = cJSON_CreateString("never sent");
        snprintf(msg, msglen, "ordering %s is off", req->item);
        return -EPERM;
    case CONTROL_CANCEL:
        snprintf(msg, msglen, "the cancel window of %s closed \"10 min\" ago",
                 req->item);
        return -ETIME;
    case CONTROL_CONFIRM:
        msg[0] = '\0';
        return -EXDEV; /* a code without a name: EIO, and strerror as message */
    case CONTROL_SPAN:
        snprintf(msg, msglen, "span of %s: %lld mg", req->item,
                 (long long)req->known_mg);
        return 0;
    case CONTROL_RECORD: {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", "/var/lib/pantry-agent/traces/x.trace");
        *data = o;
        snprintf(msg, msglen, "recording %lld s", (long long)req->seconds);
        return 0;
    }
    default:
        /* a message longer than the buffer is cut by the handler's snprintf */
        memset(msg, 'm', msglen);
        msg[msglen - 1] = '\0';
        return 0;
    }
}

/* ---- raw clients ---- */

static int
raw_connect(void)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    strcpy(sa.sun_path, sock_path);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("raw_connect");
        exit(1);
    }
    return fd;
}

static void
raw_send(int fd, const char *text, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, text, len, MSG_NOSIGNAL);
        if (n <= 0) {
            perror("raw_send");
            exit(1);
        }
        text += n;
        len -= (size_t)n;
    }
}

/* Everything the server wrote until it closed (it has: it served us). */
static char *
raw_read_all(int fd)
{
    static char buf[CONTROL_RESPONSE_MAX + 64];
    size_t n = 0;

    for (;;) {
        ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
        if (k <= 0)
            break; /* EOF, or ECONNRESET after unread bytes: the answer came first */
        n += (size_t)k;
    }
    buf[n] = '\0';
    close(fd);
    return buf;
}

/* One request through a raw client and control_serve(); the answer line. */
static char *
exchange(int lfd, struct handler_log *log, const char *text, size_t len)
{
    int fd = raw_connect();

    raw_send(fd, text, len);
    CHECK_EQ_I64(control_serve(lfd, handler, log, 2000), 1);
    return raw_read_all(fd);
}

static char *
exchange_str(int lfd, struct handler_log *log, const char *line)
{
    return exchange(lfd, log, line, strlen(line));
}

static void
test_listen(void)
{
    char err[256];
    struct stat st;
    int fd, fd2;

    CHECK_EQ_I64(control_listen(sock_path, &fd, err, sizeof(err)), 0);
    CHECK(lstat(sock_path, &st) == 0 && S_ISSOCK(st.st_mode));
    CHECK_EQ_I64(st.st_mode & 07777, 0660);
    CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    /* nobody there: 0 at once */
    int64_t t0 = clock_mono_us();
    CHECK_EQ_I64(control_serve(fd, handler, NULL, 5000), 0);
    CHECK((clock_mono_us() - t0) / 1000 < slack_ms);

    /* a live socket is not taken over */
    CHECK_EQ_I64(control_listen(sock_path, &fd2, err, sizeof(err)), -EADDRINUSE);
    CHECK(strstr(err, "another pantry-agent is listening") != NULL);
    CHECK_EQ_I64(fd2, -1);
    /* the probe connection of that attempt is served as "connected and closed" */
    CHECK_EQ_I64(control_serve(fd, handler, NULL, 1000), 1);
    CHECK_EQ_I64(control_serve(fd, handler, NULL, 1000), 0);

    /* a stale one (the daemon died without unlinking) is replaced */
    close(fd);
    CHECK(lstat(sock_path, &st) == 0);
    CHECK_EQ_I64(control_listen(sock_path, &fd, err, sizeof(err)), 0);
    close(fd);
    unlink(sock_path);

    /* a file that is not a socket stays */
    FILE *f = fopen(sock_path, "w");
    fputs("precious\n", f);
    fclose(f);
    CHECK_EQ_I64(control_listen(sock_path, &fd, err, sizeof(err)), -EEXIST);
    CHECK(strstr(err, "is not a socket: not removed") != NULL);
    CHECK(lstat(sock_path, &st) == 0 && S_ISREG(st.st_mode));
    unlink(sock_path);

    /* no directory; too long a path */
    char path[300];
    snprintf(path, sizeof(path), "%s/missing/control.sock", dir);
    CHECK_EQ_I64(control_listen(path, &fd, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "its directory does not exist") != NULL);
    memset(path, 'a', 200);
    path[0] = '/';
    path[200] = '\0';
    CHECK_EQ_I64(control_listen(path, &fd, err, sizeof(err)), -ENAMETOOLONG);
    CHECK_EQ_I64(fd, -1);
}

static void
test_serve(void)
{
    struct handler_log log = {0};
    char err[256], *a;
    int lfd;

    CHECK_EQ_I64(control_listen(sock_path, &lfd, err, sizeof(err)), 0);

    a = exchange_str(lfd, &log, "{\"cmd\":\"ping\"}\n");
    CHECK_STR(a, "{\"ok\":true,\"message\":\"pong\"}\n");
    CHECK_EQ_I64(log.calls, 1);

    a = exchange_str(lfd, &log, "{\"cmd\":\"status\"}\n");
    CHECK_STR(a, "{\"ok\":true,\"message\":\"done\","
                 "\"data\":[{\"item\":\"rice\",\"stock_g\":812.5}]}\n");

    a = exchange_str(lfd, &log, "{\"cmd\":\"order\",\"item\":\"rice\"}\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"EPERM\","
                 "\"message\":\"ordering rice is off\"}\n");
    CHECK_STR(log.last.item, "rice");

    a = exchange_str(lfd, &log, "{\"cmd\":\"cancel\",\"item\":\"tea\"}\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"ETIME\",\"message\":"
                 "\"the cancel window of tea closed \\\"10 min\\\" ago\"}\n");

    a = exchange_str(lfd, &log, "{\"cmd\":\"confirm\",\"item\":\"tea\"}\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"EIO\","
                 "\"message\":\"Invalid cross-device link\"}\n");

    a = exchange_str(lfd, &log, "{\"cmd\":\"span\",\"item\":\"rice\",\"grams\":500}\n");
    CHECK_STR(a, "{\"ok\":true,\"message\":\"span of rice: 500000 mg\"}\n");
    CHECK_EQ_I64(log.last.known_mg, 500000);

    a = exchange_str(lfd, &log, "{\"cmd\":\"record\",\"seconds\":60}\n");
    CHECK_STR(a, "{\"ok\":true,\"message\":\"recording 60 s\",\"data\":"
                 "{\"path\":\"/var/lib/pantry-agent/traces/x.trace\"}}\n");

    /* a handler that fills its whole message buffer */
    a = exchange_str(lfd, &log, "{\"cmd\":\"tare\",\"item\":\"rice\"}\n");
    CHECK_EQ_I64(strlen(a),
                 strlen("{\"ok\":true,\"message\":\"\"}\n") + CONTROL_MSG_MAX - 1);

    /* parse errors never reach the handler */
    int calls = log.calls;
    a = exchange_str(lfd, &log, "{\"cmd\":\"order\",\"item\":\"Rice\"}\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"EINVAL\",\"message\":\"\\\"item\\\" must "
                 "be 1 to 31 characters of a-z, 0-9, _ and -, found \\\"Rice\\\"\"}\n");
    a = exchange_str(lfd, &log, "{\"cmd\":\"ping\"}\n{\"cmd\":\"ping\"}\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"EINVAL\",\"message\":\"bytes after the "
                 "request line: one request per connection\"}\n");
    a = exchange_str(lfd, &log, "\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"EINVAL\",\"message\":\"empty request: "
                 "expected a JSON object such as {\\\"cmd\\\":\\\"ping\\\"}\"}\n");

    /* over-long: 5000 bytes and no newline yet; answered at 4098 bytes read */
    static char big[5000];
    memset(big, ' ', sizeof(big));
    a = exchange(lfd, &log, big, sizeof(big));
    CHECK_STR(a, "{\"ok\":false,\"error\":\"E2BIG\","
                 "\"message\":\"request longer than 4096 bytes\"}\n");
    /* exactly 4096 bytes and "\n" is fine */
    memcpy(big, "{\"cmd\":\"ping\"}", 14);
    big[CONTROL_LINE_MAX] = '\n';
    a = exchange(lfd, &log, big, CONTROL_LINE_MAX + 1);
    CHECK_STR(a, "{\"ok\":true,\"message\":\"pong\"}\n");
    CHECK_EQ_I64(log.calls, calls + 1);

    /* no newline, but the client shut its side: that is the request */
    int fd = raw_connect();
    raw_send(fd, "{\"cmd\":\"ping\"}", 14);
    shutdown(fd, SHUT_WR);
    CHECK_EQ_I64(control_serve(lfd, handler, &log, 2000), 1);
    CHECK_STR(raw_read_all(fd), "{\"ok\":true,\"message\":\"pong\"}\n");

    /* connected and gone */
    fd = raw_connect();
    close(fd);
    CHECK_EQ_I64(control_serve(lfd, handler, &log, 2000), 1);

    /* an answer over CONTROL_RESPONSE_MAX (70 strings of 1000) is refused */
    log.big = 70;
    a = exchange_str(lfd, &log, "{\"cmd\":\"status\"}\n");
    CHECK_STR(a, "{\"ok\":false,\"error\":\"EMSGSIZE\",\"message\":"
                 "\"the answer is too long for the protocol\"}\n");
    /* 60 fit */
    log.big = 60;
    a = exchange_str(lfd, &log, "{\"cmd\":\"status\"}\n");
    CHECK(strlen(a) > 60000 && strncmp(a, "{\"ok\":true,", 11) == 0);
    log.big = 0;
    CHECK_EQ_I64(control_serve(lfd, handler, &log, 100), 0);
    close(lfd);
    unlink(sock_path);
}

/* A client that sends nothing, or half a line: dropped within the timeout. */
static void
test_serve_timeouts(void)
{
    struct handler_log log = {0};
    char err[256];
    int lfd;

    CHECK_EQ_I64(control_listen(sock_path, &lfd, err, sizeof(err)), 0);
    static const char *const sends[] = {"", "{\"cmd\":\"pi"};
    for (int i = 0; i < 2; i++) {
        int fd = raw_connect();
        raw_send(fd, sends[i], strlen(sends[i]));
        int64_t t0 = clock_mono_us();
        CHECK_EQ_I64(control_serve(lfd, handler, &log, 200), 1);
        int64_t ms = (clock_mono_us() - t0) / 1000;
        CHECK_MSG(ms >= 199 && ms < 200 + slack_ms, "served in %lld ms", (long long)ms);
        CHECK_STR(raw_read_all(fd), "{\"ok\":false,\"error\":\"ETIMEDOUT\",\"message\":"
                                    "\"no complete request line within 200 ms\"}\n");
    }
    CHECK_EQ_I64(log.calls, 0);
    close(lfd);
    unlink(sock_path);
}

/* ---- a server thread for control_call() ---- */

struct server {
    pthread_t thread;
    int lfd;
    int stop[2]; /* a pipe: written to stop */
    struct handler_log log;
    const char *canned; /* if set: answer this raw text instead of serving */
};

static void *
server_main(void *arg)
{
    struct server *s = arg;

    for (;;) {
        struct pollfd p[2] = {{.fd = s->lfd, .events = POLLIN},
                              {.fd = s->stop[0], .events = POLLIN}};
        if (poll(p, 2, -1) < 0)
            continue;
        if (p[1].revents)
            break;
        if (s->canned == NULL) {
            control_serve(s->lfd, handler, &s->log, 2000);
            continue;
        }
        int fd = accept(s->lfd, NULL, NULL);
        if (fd < 0)
            continue;
        char buf[256];
        (void)!recv(fd, buf, sizeof(buf), 0);
        (void)!send(fd, s->canned, strlen(s->canned), MSG_NOSIGNAL);
        close(fd);
    }
    return NULL;
}

static void
server_start(struct server *s, const char *canned)
{
    char err[256];

    memset(s, 0, sizeof(*s));
    s->canned = canned;
    if (control_listen(sock_path, &s->lfd, err, sizeof(err)) < 0 || pipe(s->stop) < 0) {
        fprintf(stderr, "server_start: %s\n", err);
        exit(1);
    }
    pthread_create(&s->thread, NULL, server_main, s);
}

static void
server_stop(struct server *s)
{
    (void)!write(s->stop[1], "x", 1);
    pthread_join(s->thread, NULL);
    close(s->stop[0]);
    close(s->stop[1]);
    close(s->lfd);
    unlink(sock_path);
}

static int
call(struct control_request *req, struct control_response *resp, int timeout_ms,
     char *err)
{
    return control_call(sock_path, req, resp, timeout_ms, err, 256);
}

static void
test_call(void)
{
    struct server s;
    struct control_response resp;
    struct control_request req = {.cmd = CONTROL_PING};
    char err[256];

    server_start(&s, NULL);
    CHECK_EQ_I64(call(&req, &resp, 5000, err), 0);
    CHECK(resp.ok);
    CHECK_STR(resp.message, "pong");
    CHECK_STR(resp.error, "");
    CHECK(resp.data == NULL);
    control_response_fini(&resp);

    req.cmd = CONTROL_STATUS;
    CHECK_EQ_I64(call(&req, &resp, 5000, err), 0);
    CHECK(resp.ok && cJSON_IsArray(resp.data) && cJSON_GetArraySize(resp.data) == 1);
    cJSON *it = cJSON_GetArrayItem(resp.data, 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(it, "item")), "rice");
    CHECK_NEAR(cJSON_GetNumberValue(cJSON_GetObjectItem(it, "stock_g")), 812.5, 0);
    control_response_fini(&resp);
    CHECK(resp.data == NULL);

    req.cmd = CONTROL_ORDER;
    strcpy(req.item, "flour");
    CHECK_EQ_I64(call(&req, &resp, 5000, err), 0);
    CHECK(!resp.ok);
    CHECK_STR(resp.error, "EPERM");
    CHECK_STR(resp.message, "ordering flour is off");
    CHECK(resp.data == NULL);
    CHECK_EQ_I64(control_error_from_name(resp.error), -EPERM);
    control_response_fini(&resp);

    req.cmd = CONTROL_SPAN;
    req.known_mg = 1234567;
    CHECK_EQ_I64(call(&req, &resp, 5000, err), 0);
    CHECK_STR(resp.message, "span of flour: 1234567 mg");
    control_response_fini(&resp);

    memset(&req, 0, sizeof(req));
    req.cmd = CONTROL_RECORD;
    req.seconds = 60;
    CHECK_EQ_I64(call(&req, &resp, 5000, err), 0);
    CHECK_STR(cJSON_GetStringValue(cJSON_GetObjectItem(resp.data, "path")),
              "/var/lib/pantry-agent/traces/x.trace");
    control_response_fini(&resp);

    /* a request the parser would refuse is not sent */
    req.seconds = 0;
    int calls = s.log.calls;
    CHECK_EQ_I64(call(&req, &resp, 5000, err), -EINVAL);
    CHECK_EQ_I64(s.log.calls, calls);
    control_response_fini(NULL);
    server_stop(&s);
    CHECK_EQ_I64(s.log.calls, 5);
}

/* control_call() of a ping in a child running as uid:gid; its result. */
static int
call_as(uid_t uid, gid_t gid)
{
    int status;
    pid_t pid = fork();

    if (pid == 0) {
        struct control_request req = {.cmd = CONTROL_PING};
        struct control_response resp;
        char err[256];
        if (setgroups(0, NULL) < 0 || setgid(gid) < 0 || setuid(uid) < 0)
            _exit(100);
        int r = control_call(sock_path, &req, &resp, 1000, err, sizeof(err));
        control_response_fini(&resp);
        _exit(r == 0 ? 0 : r == -EACCES ? 1 : 2);
    }
    if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return -EIO;
    switch (WEXITSTATUS(status)) {
    case 0:
        return 0;
    case 1:
        return -EACCES;
    default:
        return -EIO;
    }
}

static void
test_call_failures(void)
{
    struct control_request req = {.cmd = CONTROL_PING};
    struct control_response resp;
    struct server s;
    char err[256];
    int lfd;

    /* nothing there */
    CHECK_EQ_I64(call(&req, &resp, 1000, err), -ENOENT);
    CHECK(strstr(err, "cannot connect to") != NULL);
    CHECK(!resp.ok && resp.data == NULL && resp.message[0] == '\0');

    /* a socket nobody listens on (what a killed daemon leaves) */
    CHECK_EQ_I64(control_listen(sock_path, &lfd, err, sizeof(err)), 0);
    close(lfd);
    CHECK_EQ_I64(call(&req, &resp, 1000, err), -ECONNREFUSED);
    unlink(sock_path);

    /* a daemon that accepts nothing: no answer within the timeout */
    CHECK_EQ_I64(control_listen(sock_path, &lfd, err, sizeof(err)), 0);
    int64_t t0 = clock_mono_us();
    CHECK_EQ_I64(call(&req, &resp, 300, err), -ETIMEDOUT);
    int64_t ms = (clock_mono_us() - t0) / 1000;
    CHECK_MSG(ms >= 299 && ms < 300 + slack_ms, "timed out after %lld ms",
              (long long)ms);
    CHECK(strstr(err, "no answer from the daemon within 300 ms") != NULL);
    close(lfd);
    unlink(sock_path);

    /* not allowed to use the socket (meaningless as root) */
    if (geteuid() != 0) {
        server_start(&s, NULL);
        chmod(sock_path, 0);
        CHECK_EQ_I64(call(&req, &resp, 1000, err), -EACCES);
        server_stop(&s);
    } else {
        /* As root: the socket is root:root 0660. Another user outside the group
         * is refused; the same user in the group gets in. */
        server_start(&s, NULL);
        chmod(dir, 0711);
        CHECK_EQ_I64(call_as(65534, 65534), -EACCES);
        CHECK_EQ_I64(call_as(65534, 0), 0);
        chmod(dir, 0700);
        server_stop(&s);
    }

    /* answers that are not the protocol */
    static const char *const bad[] = {
        "",                                   /* closed without a word */
        "{\"ok\":true,\"message\":\"cut",     /* no newline */
        "hello\n",                            /* not JSON */
        "[1]\n",                              /* not an object */
        "{\"message\":\"no ok\"}\n",          /* no ok */
        "{\"ok\":1,\"message\":\"x\"}\n",     /* ok not a boolean */
        "{\"ok\":true}\n",                    /* no message */
        "{\"ok\":false,\"message\":\"x\"}\n", /* refused without an error name */
        "{\"ok\":true,\"message\":5}\n",      /* message not a string */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        server_start(&s, bad[i]);
        CHECK_MSG(call(&req, &resp, 2000, err) == -EPROTO, "answer %zu: %s", i, err);
        CHECK(resp.data == NULL);
        server_stop(&s);
    }

    /* unknown keys are ignored; long messages and error names are cut */
    static char longer[1200];
    snprintf(longer, sizeof(longer),
             "{\"ok\":false,\"error\":\"E%040d\",\"message\":\"%0800d\",\"v\":2}\n", 0,
             0);
    server_start(&s, longer);
    CHECK_EQ_I64(call(&req, &resp, 2000, err), 0);
    CHECK(!resp.ok);
    CHECK_EQ_I64(strlen(resp.error), sizeof(resp.error) - 1);
    CHECK_EQ_I64(strlen(resp.message), CONTROL_MSG_MAX - 1);
    server_stop(&s);

    /* too long a path */
    char path[200];
    memset(path, 'a', sizeof(path) - 1);
    path[sizeof(path) - 1] = '\0';
    CHECK_EQ_I64(control_call(path, &req, &resp, 100, err, sizeof(err)), -ENAMETOOLONG);
}

int
main(void)
{
    if (getenv("TEST_UNDER_VALGRIND") != NULL)
        slack_ms = 10000;
    snprintf(dir, sizeof(dir), "/tmp/pantryctl-test-XXXXXX");
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(sock_path, sizeof(sock_path), "%s/control.sock", dir);

    RUN(test_listen);
    RUN(test_serve);
    RUN(test_serve_timeouts);
    RUN(test_call);
    RUN(test_call_failures);

    unlink(sock_path);
    rmdir(dir);
    return th_done();
}
