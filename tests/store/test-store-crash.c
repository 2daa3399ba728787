/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Crash test of the store: a child opens the store and loops creating and
 * queueing orders, adding stock events, readings and model states in batches,
 * publishing some orders and checkpointing now and then; after each queue
 * commits it writes "order_id seq" to a pipe. The parent SIGKILLs it at a
 * random point (after a random number of reports and a random spin, seeded:
 * TEST_SEED replays a run), 200 times, the first kill often landing while the
 * file is still being created. After each kill it reopens the store and checks:
 * PRAGMA integrity_check is ok, the sequence never went back and covers every
 * reported number, every reported order exists exactly once with its number,
 * no number is used twice. Nothing sleeps: the parent waits on the pipe.
 */
#include "tests/harness.h"
#include "tests/store/util.h"

#include "agent/store/store.h"

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define DEVICE "crash-dev"
#define T0 INT64_C(1790000000000)

/* ---- the child ---- */

static int
build_seq(int64_t seq, void *ctx, char **message)
{
    *(int64_t *)ctx = seq;
    return su_build(seq, "crash", message);
}

static void
die(int fd, const char *what, int e, struct store *db)
{
    char line[512];
    int n = snprintf(line, sizeof(line), "E %s: %d %s\n", what, e, store_errmsg(db));
    if (write(fd, line, (size_t)n) < 0)
        _exit(3);
    _exit(2);
}

/* Loop until killed. Every write of ours is checked: a failure ends the child. */
static void
child(const char *path, int fd, int round, uint64_t rng)
{
    struct store *db = NULL;
    char err[256];
    int e = store_open(path, 0, &db, err, sizeof(err));
    if (e < 0) {
        char line[400];
        int n = snprintf(line, sizeof(line), "E open: %d %s\n", e, err);
        if (write(fd, line, (size_t)n) < 0)
            _exit(3);
        _exit(2);
    }
    if ((e = store_set_device(db, DEVICE)) < 0)
        die(fd, "device", e, db);
    static const char *const items[] = {"coffee", "tea", "rice", "oats"};
    for (int i = 0; i < 4; i++) {
        struct store_item it = {.channel = i};
        snprintf(it.id, sizeof(it.id), "%s", items[i]);
        snprintf(it.name, sizeof(it.name), "%s", items[i]);
        if ((e = store_item_put(db, &it)) < 0)
            die(fd, "item", e, db);
    }
    int64_t t = T0 + (int64_t)round * 86400000;
    uint8_t model[600];
    for (int i = 0;; i++) {
        const char *item = items[th_rand(&rng) % 4];
        struct store_order o;
        memset(&o, 0, sizeof(o));
        snprintf(o.order_id, sizeof(o.order_id), "r%d-%d", round, i);
        snprintf(o.item, sizeof(o.item), "%s", item);
        snprintf(o.reason, sizeof(o.reason), "predicted");
        o.packs = 1;
        o.price_cents = 100;
        if ((e = store_order_create(db, &o, t)) < 0)
            die(fd, "create", e, db);
        int64_t seq = 0;
        if ((e = store_order_queue(db, o.order_id, t + 1, build_seq, &seq)) < 0)
            die(fd, "queue", e, db);
        char line[128];
        int n = snprintf(line, sizeof(line), "%s %lld\n", o.order_id, (long long)seq);
        if (write(fd, line, (size_t)n) != n)
            _exit(3);

        /* A second of activity: events, a reading, the model state. */
        if ((e = store_begin(db)) < 0)
            die(fd, "begin", e, db);
        int events = 1 + (int)(th_rand(&rng) % 5);
        for (int k = 0; k < events; k++) {
            struct stock_event ev = {
                .t_ms = t + k, .mg = 1000 + k, .kind = (uint8_t)(k % 2)};
            if ((e = store_event_add(db, item, &ev)) < 0)
                die(fd, "event", e, db);
        }
        struct store_reading r = {.start_ms = t,
                                  .n = 9000,
                                  .min_mg = 1,
                                  .max_mg = 9,
                                  .mean_mg = 5,
                                  .uncertainty_mg = 1};
        if ((e = store_reading_put(db, item, &r)) < 0)
            die(fd, "reading", e, db);
        memset(model, i & 0xff, sizeof(model));
        if ((e = store_model_put(db, item, t, 1, model, sizeof(model))) < 0)
            die(fd, "model", e, db);
        if ((e = store_commit(db)) < 0)
            die(fd, "commit", e, db);

        if (i % 3 == 1 &&
            (e = store_order_transition(db, o.order_id, ORDER_QUEUED, ORDER_PUBLISHED,
                                        t + 2, "puback")) < 0)
            die(fd, "publish", e, db);
        if (i % 5 == 4 && (e = store_checkpoint(db)) < 0 && e != -EBUSY)
            die(fd, "checkpoint", e, db);
        t += 1000;
    }
}

/* ---- the parent ---- */

struct reported {
    char id[32];
    int64_t seq;
};

static struct reported *rep;
static size_t n_rep, cap_rep;

/* Parse the lines in buf[*len]; keep a partial last line. */
static void
take_lines(char *buf, size_t *len, int *lines, bool *child_error)
{
    char *start = buf, *nl;
    while ((nl = memchr(start, '\n', (size_t)(buf + *len - start))) != NULL) {
        *nl = '\0';
        if (start[0] == 'E') {
            fprintf(stderr, "# child: %s\n", start);
            *child_error = true;
        } else {
            struct reported r;
            long long seq;
            if (sscanf(start, "%31s %lld", r.id, &seq) == 2) {
                r.seq = seq;
                if (n_rep == cap_rep) {
                    cap_rep = cap_rep ? 2 * cap_rep : 256;
                    rep = realloc(rep, cap_rep * sizeof(*rep));
                }
                rep[n_rep++] = r;
                (*lines)++;
            }
        }
        start = nl + 1;
    }
    *len = (size_t)(buf + *len - start);
    memmove(buf, start, *len);
}

static void
check_store(const char *path, size_t from, int64_t *prev_last)
{
    struct store *db = NULL;
    char err[256];
    int e = store_open(path, 0, &db, err, sizeof(err));
    CHECK_MSG(e == 0, "reopen after kill: %d %s", e, err);
    if (db == NULL)
        return;
    int64_t last = -1;
    CHECK_EQ_I64(store_seq_last(db, DEVICE, &last), 0);
    CHECK_MSG(last >= *prev_last, "sequence went back: %lld after %lld",
              (long long)last, (long long)*prev_last);
    *prev_last = last;
    for (size_t i = from; i < n_rep; i++) {
        struct store_order o;
        e = store_order_get(db, rep[i].id, &o);
        CHECK_MSG(e == 0, "reported order %s lost: %d", rep[i].id, e);
        if (e == 0) {
            CHECK_MSG(o.seq == rep[i].seq, "order %s: seq %lld, reported %lld",
                      rep[i].id, (long long)o.seq, (long long)rep[i].seq);
            CHECK(o.state == ORDER_QUEUED || o.state == ORDER_PUBLISHED);
            CHECK(o.seq <= last);
        }
        store_order_fini(&o);
    }
    store_close(db);

    sqlite3 *raw = su_raw(path);
    char ok[256];
    su_text(raw, "PRAGMA integrity_check", ok, sizeof(ok));
    CHECK_MSG(strcmp(ok, "ok") == 0, "integrity_check: %s", ok);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) - count(DISTINCT seq) FROM orders "
                             "WHERE seq IS NOT NULL"),
                 0);
    CHECK_EQ_I64(su_int(raw, "SELECT count(*) - count(DISTINCT order_id) FROM orders"),
                 0);
    int64_t max_seq = su_int(raw, "SELECT coalesce(max(seq), 0) FROM orders");
    CHECK_MSG(max_seq <= last, "an order has seq %lld beyond the sequence %lld",
              (long long)max_seq, (long long)last);
    /* Every queued order has its transition, every order its creation row. */
    CHECK_EQ_I64(su_int(raw,
                        "SELECT count(*) FROM orders AS o WHERE seq IS NOT NULL "
                        "AND NOT EXISTS (SELECT 1 FROM order_transitions AS t "
                        "WHERE t.order_id = o.order_id AND t.to_state = 'queued')"),
                 0);
    CHECK_EQ_I64(su_int(raw,
                        "SELECT count(*) FROM orders AS o WHERE NOT EXISTS "
                        "(SELECT 1 FROM order_transitions AS t "
                        "WHERE t.order_id = o.order_id AND t.to_state = 'planned')"),
                 0);
    sqlite3_close(raw);
}

int
main(int argc, char **argv)
{
    char dir[4096];
    uint64_t rng = th_seed(UINT64_C(0x5eed5701e));
    const char *valgrind = getenv("TEST_UNDER_VALGRIND");
    int rounds = valgrind != NULL && *valgrind != '\0' ? 8 : 200;
    const char *env_rounds = getenv("STORE_CRASH_ROUNDS");
    if (env_rounds != NULL && atoi(env_rounds) > 0)
        rounds = atoi(env_rounds);

    su_mkdtemp(argc > 1 ? argv[1] : ".", "crash", dir, sizeof(dir));
    const char *path = su_path(0, dir, "crash.db");
    int64_t prev_last = 0;
    int signalled = 0, max_wait = 0;

    for (int round = 0; round < rounds && th_failures == 0; round++) {
        int fds[2];
        if (pipe(fds) < 0) {
            perror("pipe");
            return 1;
        }
        /* Kill after 0..5 reports, then after a spin of up to ~10 ms. */
        int wait_lines = (int)(th_rand(&rng) % 6);
        uint64_t spin = th_rand(&rng) % 10000000;
        uint64_t child_rng = th_rand(&rng);
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            return 1;
        }
        if (pid == 0) {
            close(fds[0]);
            child(path, fds[1], round, child_rng);
            _exit(4);
        }
        close(fds[1]);

        char buf[8192];
        size_t len = 0;
        int lines = 0;
        bool child_error = false, eof = false;
        size_t from = n_rep;
        while (lines < wait_lines && !eof && !child_error) {
            ssize_t n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
            if (n <= 0) {
                eof = n == 0 || errno != EINTR;
                continue;
            }
            len += (size_t)n;
            take_lines(buf, &len, &lines, &child_error);
        }
        for (volatile uint64_t s = 0; s < spin; s++)
            ;
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        /* Whatever the child wrote before it died was committed. */
        for (;;) {
            ssize_t n = read(fds[0], buf + len, sizeof(buf) - 1 - len);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            len += (size_t)n;
            take_lines(buf, &len, &lines, &child_error);
        }
        close(fds[0]);
        CHECK_MSG(!child_error, "round %d: the child failed", round);
        CHECK_MSG(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "round %d: the child ended by itself (status %d)", round, status);
        signalled += WIFSIGNALED(status);
        if (lines > max_wait)
            max_wait = lines;
        check_store(path, from, &prev_last);
    }
    /* Where the kills landed, as far as the file tells. */
    sqlite3 *raw = su_raw(path);
    int64_t planned = su_int(raw, "SELECT count(*) FROM orders WHERE seq IS NULL");
    sqlite3_close(raw);
    printf("# %d rounds, %d kills, %zu orders reported, last seq %lld, at most %d "
           "orders in a round; killed between create and queue: %lld, between "
           "queue and report: %lld\n",
           rounds, signalled, n_rep, (long long)prev_last, max_wait, (long long)planned,
           (long long)(prev_last - (int64_t)n_rep));
    free(rep);
    if (th_failures == 0)
        su_rmdir(dir);
    else
        printf("# files kept in %s\n", dir);
    return th_done();
}
