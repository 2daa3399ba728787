/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The link to the household's Grocy (grocy.h). A worker thread rather than
 * curl's multi interface in the loop: the loop stays as it is (one eventfd
 * more to watch), one transfer at a time is all the queue's order allows, and
 * the thread touches nothing but its request and answer, under one mutex. The
 * store, the logs and every decision stay on the loop's thread.
 *
 * libcurl is loaded with dlopen() when Grocy is configured, not linked, as
 * mqtt.c loads Paho: linked, its 30 libraries (OpenSSL, GnuTLS, Kerberos,
 * LDAP, ...) were mapped and relocated in every daemon, and the RSS of a shelf
 * with no Grocy went from 4.7 MB to 10.6 MB (tests/agent/BENCH-home.md). The
 * package depends on it all the same (debian/rules, curl:Depends).
 */
#include "grocy.h"

#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "config-grocy.h"
#include "daemon.h"
#include "log.h"
#include "store-grocy.h"

#define ANSWER_MAX 65536 /* bytes of an answer kept; more is a bad answer */
#define BACKOFF_FIRST_MS 5000
#define BACKOFF_MAX_MS (10 * 60000)

struct grocy {
    const struct cfg_grocy *cfg;
    int64_t retention_ms; /* done rows are kept this long (the configuration's) */
    int64_t next_prune_ms;
    struct store *db;
    int efd;
    pthread_t th;
    bool started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    atomic_bool stop;
    /* under mu: the request (have_req) and its answer (have_res) */
    bool have_req, have_res;
    char url[CFG_GROCY_URL_MAX + 64];
    char body[256];
    struct curl_slist *hdrs; /* the worker's; built once */
    long http;
    CURLcode cc;
    char *answer;
    size_t answer_len;
    bool too_big;
    /* the loop's */
    bool busy;
    struct store_grocy_call cur;
    bool checked_start; /* the 'sending' row of an earlier run looked at */
};

/* The libcurl functions we call, from libcurl.so.4 dlopen()ed once. */
static struct {
    bool loaded;
    CURL *(*easy_init)(void);
    void (*easy_reset)(CURL *);
    CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
    CURLcode (*easy_perform)(CURL *);
    CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
    void (*easy_cleanup)(CURL *);
    const char *(*easy_strerror)(CURLcode);
    struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
    void (*slist_free_all)(struct curl_slist *);
} curl;

/* Load libcurl once (only the loop's thread calls this); 0, or -ENOENT with
 * the reason in err. Never unloaded. */
static int
curl_load(char *err, size_t errlen)
{
    static const char soname[] = "libcurl.so.4";
    void *h;

    if (curl.loaded)
        return 0;
    if ((h = dlopen(soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        snprintf(err, errlen, "%s cannot be loaded (%s): install Debian's libcurl4",
                 soname, dlerror());
        return -ENOENT;
    }
    /* POSIX lets a void * from dlsym() become a function pointer. */
#define SYM(field, name)                                                               \
    if ((*(void **)&curl.field = dlsym(h, name)) == NULL) {                            \
        snprintf(err, errlen, "%s has no %s", soname, name);                           \
        return -ENOENT;                                                                \
    }
    SYM(easy_init, "curl_easy_init")
    SYM(easy_reset, "curl_easy_reset")
    SYM(easy_setopt, "curl_easy_setopt")
    SYM(easy_perform, "curl_easy_perform")
    SYM(easy_getinfo, "curl_easy_getinfo")
    SYM(easy_cleanup, "curl_easy_cleanup")
    SYM(easy_strerror, "curl_easy_strerror")
    SYM(slist_append, "curl_slist_append")
    SYM(slist_free_all, "curl_slist_free_all")
#undef SYM
    curl.loaded = true;
    return 0;
}

/* ---- the worker ---- */

static size_t
on_data(char *ptr, size_t size, size_t n, void *ctx)
{
    struct grocy *g = ctx;
    size_t len = size * n;

    if (g->answer_len + len > ANSWER_MAX) {
        g->too_big = true;
        return 0; /* curl stops with CURLE_WRITE_ERROR */
    }
    memcpy(g->answer + g->answer_len, ptr, len);
    g->answer_len += len;
    return len;
}

static int
on_progress(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    struct grocy *g = ctx;

    (void)a, (void)b, (void)c, (void)d;
    return atomic_load(&g->stop) ? 1 : 0;
}

static void *
worker(void *arg)
{
    struct grocy *g = arg;
    CURL *h = curl.easy_init();
    char url[sizeof(g->url)], body[sizeof(g->body)];
    uint64_t one = 1;

    pthread_mutex_lock(&g->mu);
    for (;;) {
        while (!g->have_req && !atomic_load(&g->stop))
            pthread_cond_wait(&g->cv, &g->mu);
        if (atomic_load(&g->stop))
            break;
        memcpy(url, g->url, sizeof(url));
        memcpy(body, g->body, sizeof(body));
        g->have_req = false;
        g->answer_len = 0;
        g->too_big = false;
        pthread_mutex_unlock(&g->mu);

        long http = 0;
        CURLcode cc = CURLE_FAILED_INIT;
        if (h != NULL) {
            curl.easy_reset(h);
            curl.easy_setopt(h, CURLOPT_URL, url);
            curl.easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
            curl.easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
            curl.easy_setopt(h, CURLOPT_POSTFIELDS, body);
            curl.easy_setopt(h, CURLOPT_HTTPHEADER, g->hdrs);
            curl.easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)g->cfg->timeout_ms);
            curl.easy_setopt(
                h, CURLOPT_CONNECTTIMEOUT_MS,
                (long)(g->cfg->timeout_ms < 10000 ? g->cfg->timeout_ms : 10000));
            /* TLS verified (the system's CAs, or ca_file), never switched off. */
            curl.easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
            curl.easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
            if (g->cfg->ca_file[0] != '\0')
                curl.easy_setopt(h, CURLOPT_CAINFO, g->cfg->ca_file);
            curl.easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
            curl.easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
            curl.easy_setopt(h, CURLOPT_WRITEDATA, g);
            curl.easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
            curl.easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
            curl.easy_setopt(h, CURLOPT_XFERINFODATA, g);
            cc = curl.easy_perform(h);
            curl.easy_getinfo(h, CURLINFO_RESPONSE_CODE, &http);
        }

        pthread_mutex_lock(&g->mu);
        g->http = http;
        g->cc = cc;
        g->have_res = true;
        (void)!write(g->efd, &one, sizeof(one));
    }
    pthread_mutex_unlock(&g->mu);
    curl.easy_cleanup(h);
    return NULL;
}

/* ---- the loop's side ---- */

int
grocy_new(const struct agent_config *cfg, struct store *db, struct grocy **out,
          char *err, size_t errlen)
{
    char key[CFG_GROCY_KEY_MAX + 1], hdr[CFG_GROCY_KEY_MAX + 32];
    struct grocy *g;
    int e;

    *out = NULL;
    if ((e = curl_load(err, errlen)) < 0 ||
        (e = cfg_grocy_key_load(cfg->grocy.api_key_file, key, err, errlen)) < 0)
        return e;
    if ((g = calloc(1, sizeof(*g))) == NULL ||
        (g->answer = malloc(ANSWER_MAX + 1)) == NULL) {
        free(g);
        explicit_bzero(key, sizeof(key));
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    g->cfg = &cfg->grocy;
    g->retention_ms = cfg->retention_s * 1000;
    g->db = db;
    snprintf(hdr, sizeof(hdr), "GROCY-API-KEY: %s", key);
    explicit_bzero(key, sizeof(key));
    struct curl_slist *l = curl.slist_append(NULL, "Content-Type: application/json");
    if (l != NULL)
        l = curl.slist_append(l, "Accept: application/json");
    struct curl_slist *l2 = l != NULL ? curl.slist_append(l, hdr) : NULL;
    explicit_bzero(hdr, sizeof(hdr));
    if (l2 == NULL) {
        curl.slist_free_all(l);
        e = -ENOMEM;
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    g->hdrs = l2;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if ((g->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0) {
        e = -errno;
        snprintf(err, errlen, "eventfd: %s", strerror(-e));
        goto fail;
    }
    if ((e = -pthread_create(&g->th, NULL, worker, g)) < 0) {
        snprintf(err, errlen, "cannot start the Grocy thread: %s", strerror(-e));
        goto fail;
    }
    g->started = true;
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
    if (g->started) {
        pthread_mutex_lock(&g->mu);
        atomic_store(&g->stop, true);
        pthread_cond_signal(&g->cv);
        pthread_mutex_unlock(&g->mu);
        pthread_join(g->th, NULL);
    }
    if (g->hdrs != NULL) {
        /* The key is in one of the header strings: wipe it before it goes. */
        for (struct curl_slist *s = g->hdrs; s != NULL; s = s->next)
            explicit_bzero(s->data, strlen(s->data));
        curl.slist_free_all(g->hdrs);
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
    }
    if (g->efd > 0)
        close(g->efd);
    free(g->answer);
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

static void
request(struct grocy *g, const struct store_grocy_call *c)
{
    char amount[48];

    pthread_mutex_lock(&g->mu);
    switch (c->op) {
    case GROCY_OP_CONSUME:
    case GROCY_OP_ADD:
        amount_json(c->amount_mg, c->unit_mg, amount, sizeof(amount));
        snprintf(g->url, sizeof(g->url), "%s/stock/products/%" PRId64 "/%s",
                 g->cfg->url, c->product, store_grocy_op_to_str(c->op));
        snprintf(g->body, sizeof(g->body),
                 c->op == GROCY_OP_CONSUME
                     ? "{\"amount\":%s,\"transaction_type\":\"consume\","
                       "\"spoiled\":false}"
                     : "{\"amount\":%s,\"transaction_type\":\"purchase\"}",
                 amount);
        break;
    case GROCY_OP_INVENTORY:
        amount_json(c->stock_mg, c->unit_mg, amount, sizeof(amount));
        snprintf(g->url, sizeof(g->url), "%s/stock/products/%" PRId64 "/inventory",
                 g->cfg->url, c->product);
        snprintf(g->body, sizeof(g->body), "{\"new_amount\":%s}", amount);
        break;
    case GROCY_OP_SHOPPING:
        amount_json(c->amount_mg, c->unit_mg, amount, sizeof(amount));
        snprintf(g->url, sizeof(g->url), "%s/stock/shoppinglist/add-product",
                 g->cfg->url);
        snprintf(g->body, sizeof(g->body),
                 "{\"product_id\":%" PRId64 ",\"product_amount\":%s,"
                 "\"note\":\"pantry-agent: %s\"}",
                 c->product, amount, c->item);
        break;
    }
    g->have_req = true;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
}

static bool
is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble >= -9007199254740991.0 &&
           v->valuedouble <= 9007199254740991.0 &&
           (double)(int64_t)v->valuedouble == v->valuedouble;
}

/*
 * The body of a 200 to a stock call as Grocy 4.6's API describes it: an array
 * of StockLogEntry objects whose known members have their types (unknown ones
 * pass: Grocy's stock log has more columns than the description), product_id,
 * when given, ours. At least one entry, but for an inventory that changed
 * nothing. Returns NULL, or what is wrong.
 */
static const char *
check_stock_answer(const char *text, size_t len, const struct store_grocy_call *c)
{
    static const char *const ints[] = {"id", "product_id"};
    static const char *const strs[] = {
        "best_before_date", "purchased_date",   "used_date", "stock_id",
        "transaction_id",   "transaction_type", "note",      "row_created_timestamp"};
    const char *why = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, NULL, false);
    const cJSON *e;

    if (root == NULL)
        return "not JSON";
    if (!cJSON_IsArray(root))
        why = "not a JSON array of stock log entries";
    else if (cJSON_GetArraySize(root) == 0 && c->op != GROCY_OP_INVENTORY)
        why = "no stock log entry";
    cJSON_ArrayForEach(e, root)
    {
        if (why != NULL)
            break;
        const cJSON *v;
        if (!cJSON_IsObject(e)) {
            why = "a stock log entry that is not an object";
            break;
        }
        for (size_t i = 0; why == NULL && i < 2; i++)
            if ((v = cJSON_GetObjectItemCaseSensitive(e, ints[i])) != NULL &&
                !is_int(v))
                why = "a stock log entry's id or product_id that is not an integer";
        for (size_t i = 0; why == NULL && i < 8; i++)
            if ((v = cJSON_GetObjectItemCaseSensitive(e, strs[i])) != NULL &&
                !cJSON_IsString(v) && !cJSON_IsNull(v))
                why = "a stock log entry's text member that is not a string";
        if (why == NULL &&
            (v = cJSON_GetObjectItemCaseSensitive(e, "amount")) != NULL &&
            !cJSON_IsNumber(v))
            why = "a stock log entry's amount that is not a number";
        if (why == NULL &&
            (v = cJSON_GetObjectItemCaseSensitive(e, "spoiled")) != NULL &&
            !cJSON_IsBool(v) && !is_int(v))
            why = "a stock log entry's spoiled that is not a boolean";
        if (why == NULL &&
            (v = cJSON_GetObjectItemCaseSensitive(e, "product_id")) != NULL &&
            (int64_t)v->valuedouble != c->product)
            why = "a stock log entry of another product";
        if (why != NULL)
            break;
    }
    cJSON_Delete(root);
    return why;
}

/* Grocy's error_message of a 4xx, printable ASCII only, into buf. */
static void
error_message(const char *text, size_t len, char *buf, size_t buflen)
{
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, NULL, false);
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(root, "error_message");
    const char *s = cJSON_IsString(m) ? m->valuestring : "no error message";
    size_t j = 0;

    for (size_t i = 0; s[i] != '\0' && j + 1 < buflen && i < 200; i++)
        buf[j++] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
    buf[j] = '\0';
    cJSON_Delete(root);
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

static void
answered(struct grocy *g, int64_t now_ms)
{
    struct store_grocy_call *c = &g->cur;
    char why[200];
    const char *bad;

    pthread_mutex_lock(&g->mu);
    long http = g->http;
    CURLcode cc = g->cc;
    bool too_big = g->too_big;
    size_t len = g->answer_len;
    g->answer[len] = '\0';
    g->have_res = false;
    pthread_mutex_unlock(&g->mu);
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
        error_message(g->answer, too_big ? 0 : len, why, 120);
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
        snprintf(why, sizeof(why), "not sent: %s", curl.easy_strerror(cc));
        retry(g, c, why, now_ms);
    } else if (too_big) {
        snprintf(why, sizeof(why), "an answer (HTTP %ld) of more than %d bytes", http,
                 ANSWER_MAX);
        in_doubt(g, c, why, now_ms);
    } else if (cc != CURLE_OK) {
        snprintf(why, sizeof(why), "no answer: %s", curl.easy_strerror(cc));
        in_doubt(g, c, why, now_ms);
    } else if (c->op == GROCY_OP_SHOPPING ? http != 204 || len != 0 : http != 200) {
        snprintf(why, sizeof(why), "an unexpected answer: HTTP %ld with %zu bytes",
                 http, len);
        in_doubt(g, c, why, now_ms);
    } else if (c->op != GROCY_OP_SHOPPING &&
               (bad = check_stock_answer(g->answer, len, c)) != NULL) {
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

int64_t
grocy_work(struct grocy *g, struct pipeline *pl, int64_t now_ms)
{
    uint64_t x;
    bool have;
    int e;

    (void)!read(g->efd, &x, sizeof(x));
    pthread_mutex_lock(&g->mu);
    have = g->have_res;
    pthread_mutex_unlock(&g->mu);
    if (g->busy && !have)
        return INT64_MAX;
    if (g->busy) {
        pipeline_flush(pl);
        answered(g, now_ms);
    }
    if (now_ms >= g->next_prune_ms) {
        /* Done rows go after the retention, like events; hourly is enough. */
        int64_t n = 0;
        pipeline_flush(pl);
        if ((e = store_grocy_prune(g->db, now_ms - g->retention_ms, &n)) < 0)
            log_error("grocy: pruning the queue: %s (%s)", store_errmsg(g->db),
                      strerror(-e));
        else if (n > 0)
            log_info("grocy: %" PRId64 " calls done before the retention pruned", n);
        g->next_prune_ms = now_ms + 3600 * 1000;
    }
    for (;;) {
        struct store_grocy_call *c = &g->cur;
        if ((e = store_grocy_next(g->db, c)) == -ENOENT)
            return INT64_MAX;
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
        if (c->next_ms > now_ms)
            return c->next_ms - now_ms;
        c->state = GROCY_SENDING;
        c->tries++;
        if ((e = store_grocy_update(g->db, c, now_ms)) < 0) {
            log_error("grocy: call %" PRId64 ": the store failed: %s (%s)", c->id,
                      store_errmsg(g->db), strerror(-e));
            return 60000;
        }
        request(g, c);
        g->busy = true;
        return INT64_MAX;
    }
}

/* ---- the daemon's glue (daemon.h) ---- */

int
grocy_start(struct agent *a)
{
    char err[ERRLEN];
    int r;

    /* A replay queues its calls in the store; a live daemon sends them. */
    if (a->grocy != NULL || a->cfg->grocy.mode == CFG_GROCY_OFF ||
        a->replay_path != NULL || a->epfd < 0)
        return 0;
    if ((r = grocy_new(a->cfg, a->db, &a->grocy, err, sizeof(err))) < 0) {
        log_error("grocy: %s", err);
        return r;
    }
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = grocy_fd(a->grocy)};
    if (epoll_ctl(a->epfd, EPOLL_CTL_ADD, ev.data.fd, &ev) < 0) {
        r = -errno;
        log_error("grocy: cannot watch its eventfd: %s", strerror(-r));
        grocy_free(a->grocy);
        a->grocy = NULL;
        return r;
    }
    log_info("grocy: %s, %s", a->cfg->grocy.url,
             a->cfg->grocy.mode == CFG_GROCY_SHOPPING ? "shopping list mode"
                                                      : "stock mode");
    return 0;
}

void
grocy_stop(struct agent *a)
{
    if (a->grocy == NULL)
        return;
    epoll_ctl(a->epfd, EPOLL_CTL_DEL, grocy_fd(a->grocy), NULL);
    grocy_free(a->grocy);
    a->grocy = NULL;
}

int64_t
grocy_due(struct agent *a, int64_t now)
{
    return a->grocy != NULL ? grocy_work(a->grocy, a->pl, now) : INT64_MAX;
}
