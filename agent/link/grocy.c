/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link to the household's Grocy (grocy.h). The HTTP goes through a child
 * process, the Grocy sender (grocy-sender.c, grocy-wire.h): started when a
 * call is due, one request at a time, ended when the queue has been quiet for
 * SENDER_IDLE_MS. The store, the logs and every decision stay here, on the
 * loop's thread; the sender only posts and answers.
 *
 * libcurl and its 30 libraries are loaded in the sender only: in the daemon
 * they stayed mapped for good and took a shelf with Grocy from 5.4 MB to
 * 13.8 MB RSS (tests/agent/BENCH-rss-home.md). The package depends on it all
 * the same (debian/rules, curl:Depends).
 *
 * The loop watches one epoll fd of ours (grocy_fd), which holds the sender's
 * socket while there is a sender: the loop's own registration never changes.
 */
#include "agent/link/grocy.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h> /* CURLcode's values only: the sender loads libcurl */

#include "agent/config/config-grocy.h"
#include "agent/link/grocy-answer.h"
#include "agent/link/grocy-wire.h"
#include "agent/logging.h"
#include "agent/store/store-grocy.h"

#define BACKOFF_FIRST_MS 5000
#define BACKOFF_MAX_MS (10 * 60000)
#define SENDER_IDLE_MS 5000   /* a sender with nothing to send ends after this */
#define SENDER_HELLO_MS 10000 /* the first sender has this long to say it is ready */
#define SENDER_GRACE_MS 30000 /* past the call's timeout, a silent sender is ended */

extern char **environ;

struct grocy {
    const struct cfg_grocy *cfg;
    int64_t retention_ms; /* done rows are kept this long (the configuration's) */
    int64_t next_prune_ms;
    struct store *db;
    int efd;            /* our epoll fd: the sender's socket while it runs */
    char exe[PATH_MAX]; /* the daemon's executable, started as the sender */
    /* the sender */
    pid_t pid;           /* -1: none */
    bool reaped;         /* it exited and was waited for; its socket is still open */
    int sock;            /* our end of its socket pair */
    bool hello;          /* it said it is ready */
    int64_t idle_end_ms; /* it is ended at this time when nothing is due (0: unset) */
    int64_t busy_end_ms; /* a sender silent past this is ended */
    /* the queue: read again only when the store was written or a row is due */
    int64_t seen_writes; /* store_grocy_writes() when it was last read */
    int64_t next_row_ms; /* its next row's time then (0: read it now) */
    /* the call under way */
    bool busy;
    struct store_grocy_call cur;
    struct grocy_req req; /* its POST, and the API key (wiped in grocy_free()) */
    union {
        struct grocy_wire_ans head;
        unsigned char bytes[GROCY_ANS_MAX + 1];
    } * ans;
};

/* ---- the sender ---- */

static int
sender_start(struct grocy *g, char *err, size_t errlen)
{
    char *const argv[] = {(char *)"pantry-agent", (char *)GROCY_SENDER_ARG, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dfl;
    int sv[2], e;

    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        e = -errno;
        snprintf(err, errlen, "socketpair: %s", strerror(-e));
        return e;
    }
    if (sv[1] == GROCY_SENDER_FD) {
        /* dup2() onto itself would keep its close-on-exec flag. */
        int fd = fcntl(sv[1], F_DUPFD_CLOEXEC, GROCY_SENDER_FD + 1);
        close(sv[1]);
        sv[1] = fd;
    }
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGHUP);
    sigaddset(&dfl, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&at);
    posix_spawn_file_actions_adddup2(&fa, sv[1], GROCY_SENDER_FD);
    /* The loop's signals are blocked for its signalfd: not in the sender. */
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dfl);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    e = sv[1] < 0 ? errno : posix_spawn(&g->pid, g->exe, &fa, &at, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    if (sv[1] >= 0)
        close(sv[1]);
    if (e != 0) {
        close(sv[0]);
        g->pid = -1;
        snprintf(err, errlen, "cannot start the Grocy sender %s: %s", g->exe,
                 strerror(e));
        return -e;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[0]};
    epoll_ctl(g->efd, EPOLL_CTL_ADD, sv[0], &ev);
    g->sock = sv[0];
    g->hello = false;
    g->idle_end_ms = 0;
    return 0;
}

/* End the sender (it may be sending: then what it sent is in doubt). */
static void
sender_end(struct grocy *g)
{
    int st;

    if (g->pid < 0)
        return;
    epoll_ctl(g->efd, EPOLL_CTL_DEL, g->sock, NULL);
    close(g->sock);
    g->sock = -1;
    if (!g->reaped) {
        kill(g->pid, SIGKILL);
        while (waitpid(g->pid, &st, 0) < 0 && errno == EINTR)
            ;
    }
    g->pid = -1;
    g->reaped = false;
}

/*
 * One message from the sender, into g->ans: its length, 0 when there is none
 * yet, or -1 when the sender is gone or said something no sender says (the
 * reason in why).
 */
static ssize_t
sender_read(struct grocy *g, char *why, size_t whylen)
{
    ssize_t n;

    do
        n = recv(g->sock, g->ans->bytes, sizeof(g->ans->bytes),
                 MSG_DONTWAIT | MSG_TRUNC);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return 0;
    if (n <= 0) {
        /* Its end closes only as it exits: wait for its status. */
        int st = 0;
        pid_t p;
        while ((p = waitpid(g->pid, &st, 0)) < 0 && errno == EINTR)
            ;
        g->reaped = p == g->pid; /* sender_end() then only closes the socket */
        if (g->reaped && WIFSIGNALED(st))
            snprintf(why, whylen, "the Grocy sender was killed by signal %d",
                     WTERMSIG(st));
        else
            snprintf(why, whylen, "the Grocy sender stopped");
        return -1;
    }
    const struct grocy_wire_ans *a = &g->ans->head;
    uint32_t kind = grocy_wire_ans_check(g->ans->bytes, (size_t)n, why, whylen);
    if (kind == 0)
        return -1;
    if (kind == GROCY_WIRE_ANSWER && !g->busy) {
        snprintf(why, whylen, "the Grocy sender answered what was not asked");
        return -1;
    }
    if (a->kind == GROCY_WIRE_HELLO && (g->hello || a->text[0] != '\0')) {
        snprintf(why, whylen, "%s",
                 a->text[0] != '\0' ? a->text : "the Grocy sender said hello twice");
        return -1;
    }
    return n;
}

/* Post g->req through the sender; 0, or -1 with why. */
static int
sender_send(struct grocy *g, char *why, size_t whylen)
{
    unsigned char msg[GROCY_REQ_MAX];
    size_t len = grocy_wire_req_write(&g->req, msg);
    ssize_t sent = len > 0 ? send(g->sock, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) : -1;
    int e = errno;

    explicit_bzero(msg, sizeof(msg));
    if (len > 0 && sent == (ssize_t)len)
        return 0;
    snprintf(why, whylen, "the Grocy sender cannot be reached: %s",
             len == 0   ? "a request too long"
             : sent < 0 ? strerror(e)
                        : "a short write");
    return -1;
}

/* ---- the loop's side ---- */

int
grocy_new(const struct agent_config *cfg, struct store *db, struct grocy **out,
          char *err, size_t errlen)
{
    struct grocy *g;
    ssize_t n;
    int e;

    *out = NULL;
    if ((g = calloc(1, sizeof(*g))) == NULL ||
        (g->ans = malloc(sizeof(*g->ans))) == NULL) {
        free(g);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    g->cfg = &cfg->grocy;
    g->retention_ms = cfg->retention_s * 1000;
    g->db = db;
    g->pid = -1;
    g->sock = -1;
    if ((e = cfg_grocy_key_load(cfg->grocy.api_key_file, g->req.key, err, errlen)) < 0)
        goto fail;
    g->req.timeout_ms = (uint32_t)cfg->grocy.timeout_ms;
    snprintf(g->req.ca_file, sizeof(g->req.ca_file), "%s", cfg->grocy.ca_file);
    if ((g->efd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
        e = -errno;
        snprintf(err, errlen, "epoll_create1: %s", strerror(-e));
        goto fail;
    }
    /* Under valgrind /proc/self/exe is the tool; its readlink() is ours. */
    if ((n = readlink("/proc/self/exe", g->exe, sizeof(g->exe) - 1)) <= 0) {
        e = -errno;
        snprintf(err, errlen, "cannot find the daemon's executable: %s", strerror(-e));
        goto fail;
    }
    g->exe[n] = '\0';
    /* The first sender at start: a missing libcurl is said now, not at the
     * first call. It stays for the calls the queue may hold. */
    if ((e = sender_start(g, err, errlen)) < 0)
        goto fail;
    struct pollfd p = {.fd = g->sock, .events = POLLIN};
    if ((e = poll(&p, 1, SENDER_HELLO_MS)) <= 0) {
        snprintf(err, errlen, "the Grocy sender did not start within %d s",
                 SENDER_HELLO_MS / 1000);
        e = -ETIMEDOUT;
        goto fail;
    }
    if (sender_read(g, err, errlen) <= 0) {
        e = -ENOENT;
        goto fail;
    }
    g->hello = true;
    *out = g;
    return 0;
fail:
    grocy_free(g);
    return e;
}

int
grocy_fd(const struct grocy *g)
{
    return g->efd;
}

void
grocy_free(struct grocy *g)
{
    if (g == NULL)
        return;
    sender_end(g);
    explicit_bzero(&g->req, sizeof(g->req));
    if (g->efd > 0)
        close(g->efd);
    free(g->ans);
    free(g);
}

/* amount_mg in units of unit_mg as a JSON number: up to six decimals, no
 * trailing zeros ("250", "0.5", "1.333333"). */
static void
amount_json(int64_t amount_mg, int64_t unit_mg, char *buf, size_t len)
{
    int64_t q = amount_mg / unit_mg, frac = amount_mg % unit_mg * 1000000 / unit_mg;
    int n = snprintf(buf, len, "%" PRId64 ".%06" PRId64, q, frac);

    while (n > 0 && buf[n - 1] == '0')
        buf[--n] = '\0';
    if (n > 0 && buf[n - 1] == '.')
        buf[--n] = '\0';
}

/* The POST of call c, into g->req. */
static void
request(struct grocy *g, const struct store_grocy_call *c)
{
    char amount[48];

    switch (c->op) {
    case GROCY_OP_CONSUME:
    case GROCY_OP_ADD:
        amount_json(c->amount_mg, c->unit_mg, amount, sizeof(amount));
        snprintf(g->req.url, sizeof(g->req.url), "%s/stock/products/%" PRId64 "/%s",
                 g->cfg->url, c->product, store_grocy_op_to_str(c->op));
        snprintf(g->req.body, sizeof(g->req.body),
                 c->op == GROCY_OP_CONSUME
                     ? "{\"amount\":%s,\"transaction_type\":\"consume\","
                       "\"spoiled\":false}"
                     : "{\"amount\":%s,\"transaction_type\":\"purchase\"}",
                 amount);
        break;
    case GROCY_OP_INVENTORY:
        amount_json(c->stock_mg, c->unit_mg, amount, sizeof(amount));
        snprintf(g->req.url, sizeof(g->req.url),
                 "%s/stock/products/%" PRId64 "/inventory", g->cfg->url, c->product);
        snprintf(g->req.body, sizeof(g->req.body), "{\"new_amount\":%s}", amount);
        break;
    case GROCY_OP_SHOPPING:
        amount_json(c->amount_mg, c->unit_mg, amount, sizeof(amount));
        snprintf(g->req.url, sizeof(g->req.url), "%s/stock/shoppinglist/add-product",
                 g->cfg->url);
        snprintf(g->req.body, sizeof(g->req.body),
                 "{\"product_id\":%" PRId64 ",\"product_amount\":%s,"
                 "\"note\":\"pantry-agent: %s\"}",
                 c->product, amount, c->item);
        break;
    }
}

static int64_t
backoff_ms(int64_t tries)
{
    int64_t ms = BACKOFF_FIRST_MS;

    for (int64_t i = 1; i < tries && ms < BACKOFF_MAX_MS; i++)
        ms *= 2;
    return ms < BACKOFF_MAX_MS ? ms : BACKOFF_MAX_MS;
}

static void
save(struct grocy *g, struct store_grocy_call *c, int64_t now_ms)
{
    int e = store_grocy_update(g->db, c, now_ms);

    if (e < 0)
        log_error("grocy: call %" PRId64 ": the store failed: %s (%s)", c->id,
                  store_errmsg(g->db), strerror(-e));
}

/*
 * The call may have reached Grocy without us knowing: a stock call becomes the
 * absolute stock after its event (right whether it landed or not); a shopping
 * list entry is given up, never added twice.
 */
static void
in_doubt(struct grocy *g, struct store_grocy_call *c, const char *why, int64_t now_ms)
{
    if (c->op == GROCY_OP_SHOPPING) {
        c->state = GROCY_FAILED;
        snprintf(c->detail, sizeof(c->detail),
                 "%s; it may have been added: not sent again (check the list)", why);
        log_warning("grocy: call %" PRId64 " (shopping list, %s): %s", c->id, c->item,
                    c->detail);
    } else {
        if (c->op != GROCY_OP_INVENTORY)
            log_warning("grocy: call %" PRId64 " (%s of %s) %s: it may have reached "
                        "Grocy, so the stock after it (an inventory) goes instead",
                        c->id, store_grocy_op_to_str(c->op), c->item, why);
        else
            log_warning("grocy: call %" PRId64 " (inventory of %s): %s; sent again",
                        c->id, c->item, why);
        c->op = GROCY_OP_INVENTORY;
        c->state = GROCY_PENDING;
        snprintf(c->detail, sizeof(c->detail), "%s", why);
        c->next_ms = now_ms + backoff_ms(c->tries);
    }
    save(g, c, now_ms);
}

static void
retry(struct grocy *g, struct store_grocy_call *c, const char *why, int64_t now_ms)
{
    c->state = GROCY_PENDING;
    c->next_ms = now_ms + backoff_ms(c->tries);
    snprintf(c->detail, sizeof(c->detail), "%s", why);
    log_warning("grocy: call %" PRId64 " (%s of %s): %s; again in %" PRId64 " s", c->id,
                store_grocy_op_to_str(c->op), c->item, why,
                (c->next_ms - now_ms) / 1000);
    save(g, c, now_ms);
}

/* The sender's answer to g->cur: the message of n bytes in g->ans. */
static void
answered(struct grocy *g, size_t n, int64_t now_ms)
{
    struct store_grocy_call *c = &g->cur;
    const struct grocy_wire_ans *a = &g->ans->head;
    long http = a->http;
    CURLcode cc = (CURLcode)a->cc;
    bool too_big = a->too_big != 0;
    size_t len = n - sizeof(*a);
    char *answer = (char *)g->ans->bytes + sizeof(*a), why[200];
    const char *bad;

    answer[len] = '\0';
    g->busy = false;

    if (http == 401 || http == 403 || http == 404 || http == 405 || http == 408 ||
        http == 429) {
        /* Not this call's fault but the link's (a wrong key or URL, a busy
         * server): failing it would fail every call after it too. */
        snprintf(why, sizeof(why), "Grocy answered HTTP %ld (%s)", http,
                 http == 401 || http == 403   ? "the API key is refused: check "
                                                "api_key_file"
                 : http == 404 || http == 405 ? "is url Grocy's API?"
                                              : "busy");
        retry(g, c, why, now_ms);
    } else if (http >= 400 && http < 500) {
        grocy_answer_error(answer, too_big ? 0 : len, why, 120);
        c->state = GROCY_FAILED;
        snprintf(c->detail, sizeof(c->detail), "Grocy refused it: HTTP %ld: %s", http,
                 why);
        log_error("grocy: call %" PRId64 " (%s of %s, product %" PRId64 "): %s; not "
                  "sent again",
                  c->id, store_grocy_op_to_str(c->op), c->item, c->product, c->detail);
        save(g, c, now_ms);
        /* Grocy's count is off from the shelf's now (a consume of more than it
         * has, say): the shelf's newest stock, after whatever is queued. */
        if (c->op == GROCY_OP_CONSUME || c->op == GROCY_OP_ADD) {
            int e = store_grocy_correct(g->db, c->item, now_ms);
            if (e < 0)
                log_error("grocy: the store failed: %s (%s)", store_errmsg(g->db),
                          strerror(-e));
            else
                log_notice("grocy: an inventory of %s follows, to correct Grocy's "
                           "stock",
                           c->item);
        }
    } else if (http >= 500 && http < 600) {
        snprintf(why, sizeof(why), "Grocy answered HTTP %ld", http);
        retry(g, c, why, now_ms);
    } else if (cc == CURLE_COULDNT_CONNECT || cc == CURLE_COULDNT_RESOLVE_HOST ||
               cc == CURLE_COULDNT_RESOLVE_PROXY || cc == CURLE_UNSUPPORTED_PROTOCOL ||
               (http == 0 && cc == CURLE_SSL_CONNECT_ERROR) ||
               cc == CURLE_PEER_FAILED_VERIFICATION) {
        /* Nothing was sent: the same call again. */
        snprintf(why, sizeof(why), "not sent: %s", a->text);
        retry(g, c, why, now_ms);
    } else if (too_big) {
        snprintf(why, sizeof(why), "an answer (HTTP %ld) of more than %d bytes", http,
                 GROCY_ANSWER_MAX);
        in_doubt(g, c, why, now_ms);
    } else if (cc != CURLE_OK) {
        snprintf(why, sizeof(why), "no answer: %s", a->text);
        in_doubt(g, c, why, now_ms);
    } else if (c->op == GROCY_OP_SHOPPING ? http != 204 || len != 0 : http != 200) {
        snprintf(why, sizeof(why), "an unexpected answer: HTTP %ld with %zu bytes",
                 http, len);
        in_doubt(g, c, why, now_ms);
    } else if (c->op != GROCY_OP_SHOPPING &&
               (bad = grocy_answer_stock(answer, len, c->op, c->product)) != NULL) {
        snprintf(why, sizeof(why), "a bad answer (HTTP 200): %s", bad);
        in_doubt(g, c, why, now_ms);
    } else {
        c->state = GROCY_DONE;
        c->detail[0] = '\0';
        log_info("grocy: call %" PRId64 " done: %s of %s (product %" PRId64 ")", c->id,
                 store_grocy_op_to_str(c->op), c->item, c->product);
        save(g, c, now_ms);
    }
}

/*
 * The sender is gone, or said something no sender says: ended. A call it held
 * is in doubt once it had said hello (it may have posted it); before that it
 * never read it, and the same call goes again.
 */
static void
lost(struct grocy *g, const char *why, int64_t now_ms)
{
    bool started = g->hello;

    sender_end(g);
    if (!g->busy) {
        log_warning("grocy: %s", why);
        return;
    }
    g->busy = false;
    if (started)
        in_doubt(g, &g->cur, why, now_ms);
    else
        retry(g, &g->cur, why, now_ms);
}

/* Nothing to send for wait ms: a sender quiet for SENDER_IDLE_MS is ended. */
static int64_t
idle(struct grocy *g, int64_t now_ms, int64_t wait)
{
    if (g->pid < 0)
        return wait;
    if (g->idle_end_ms == 0 || g->idle_end_ms > now_ms + SENDER_IDLE_MS)
        g->idle_end_ms = now_ms + SENDER_IDLE_MS;
    if (now_ms >= g->idle_end_ms) {
        sender_end(g);
        return wait;
    }
    return wait < g->idle_end_ms - now_ms ? wait : g->idle_end_ms - now_ms;
}

int64_t
grocy_work(struct grocy *g, struct pipeline *pl, int64_t now_ms)
{
    char why[200];
    ssize_t n;
    int e;

    while (g->pid >= 0 && (n = sender_read(g, why, sizeof(why))) != 0) {
        pipeline_flush(pl);
        g->next_row_ms = 0;
        if (n < 0) {
            lost(g, why, now_ms);
        } else if (g->ans->head.kind == GROCY_WIRE_HELLO) {
            g->hello = true;
        } else {
            answered(g, (size_t)n, now_ms);
            g->idle_end_ms = now_ms + SENDER_IDLE_MS;
        }
    }
    if (g->busy && now_ms < g->busy_end_ms)
        return g->busy_end_ms - now_ms;
    if (g->busy) {
        pipeline_flush(pl);
        lost(g, "the Grocy sender gave no answer, past the timeout", now_ms);
        g->next_row_ms = 0;
    }
    /* Called on every turn of the loop: no SELECT unless something moved. */
    int64_t writes = store_grocy_writes(g->db);
    if (writes == g->seen_writes && g->next_row_ms != 0 && now_ms < g->next_row_ms &&
        now_ms < g->next_prune_ms)
        return idle(g, now_ms,
                    g->next_row_ms == INT64_MAX ? INT64_MAX : g->next_row_ms - now_ms);
    if (now_ms >= g->next_prune_ms) {
        /* Done rows go after the retention, like events; hourly is enough. */
        int64_t pruned = 0;
        pipeline_flush(pl);
        if ((e = store_grocy_prune(g->db, now_ms - g->retention_ms, &pruned)) < 0)
            log_error("grocy: pruning the queue: %s (%s)", store_errmsg(g->db),
                      strerror(-e));
        else if (pruned > 0)
            log_info("grocy: %" PRId64 " calls done before the retention pruned",
                     pruned);
        g->next_prune_ms = now_ms + 3600 * 1000;
    }
    for (;;) {
        struct store_grocy_call *c = &g->cur;
        g->seen_writes = store_grocy_writes(g->db);
        g->next_row_ms = 0;
        if ((e = store_grocy_next(g->db, c)) == -ENOENT) {
            g->next_row_ms = INT64_MAX;
            return idle(g, now_ms, INT64_MAX);
        }
        if (e < 0) {
            log_error("grocy: the store failed: %s (%s)", store_errmsg(g->db),
                      strerror(-e));
            return 60000;
        }
        /* The rows written below are committed on their own: the pipeline's
         * open batch (which may hold this row) first. */
        if (c->state == GROCY_SENDING || c->next_ms <= now_ms)
            pipeline_flush(pl);
        if (c->state == GROCY_SENDING) {
            /* Only a crash leaves a row 'sending': its POST may have landed. */
            in_doubt(g, c, "was being sent when the daemon stopped", now_ms);
            continue;
        }
        if (c->next_ms > now_ms) {
            g->next_row_ms = c->next_ms;
            return idle(g, now_ms, c->next_ms - now_ms);
        }
        c->tries++;
        if (g->pid < 0 && sender_start(g, why, sizeof(why)) < 0) {
            retry(g, c, why, now_ms); /* nothing was sent */
            continue;
        }
        c->state = GROCY_SENDING;
        if ((e = store_grocy_update(g->db, c, now_ms)) < 0) {
            log_error("grocy: call %" PRId64 ": the store failed: %s (%s)", c->id,
                      store_errmsg(g->db), strerror(-e));
            return 60000;
        }
        request(g, c);
        if (sender_send(g, why, sizeof(why)) < 0) {
            sender_end(g);
            retry(g, c, why, now_ms); /* it never had it */
            continue;
        }
        g->busy = true;
        g->busy_end_ms = now_ms + g->cfg->timeout_ms + SENDER_GRACE_MS;
        return g->busy_end_ms - now_ms;
    }
}
