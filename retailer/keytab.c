/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The table of device keys and the enrolments (keytab.h), over the generic
 * seam of retailer-state.h: one text of SQL for SQLite and PostgreSQL, numbers passed
 * as text and cast, each change one transaction that reads what it decides
 * on inside it. A device's keys are read into a small array and the rules
 * applied in C, where they can be read in one place.
 */
#include "retailer/keytab.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/text.h"

const char *
keytab_source_to_str(enum keytab_source src)
{
    switch (src) {
    case KEYTAB_OPERATOR:
        return "operator";
    case KEYTAB_KEY_TOPIC:
        return "key-topic";
    case KEYTAB_IMPORTED:
        return "imported";
    }
    return "?";
}

/* One key of a device as read from the table. */
struct dev_key {
    char kid[KEYS_B64_PK_LEN + 1];
    char jwk[KEYS_JWK_MAX];
    bool revoked;
    int64_t from_s, until_s; /* until_s -1: open */
};

/* A device's keys: the one with the kid asked for, and those valid now. */
struct dev_keys {
    int n;
    bool too_many;
    struct dev_key k[KEYTAB_DEVICE_KEYS_MAX];
};

#define SQL_DEVICE_KEYS                                                                \
    "SELECT kid, jwk, state, valid_from, valid_until FROM device_key WHERE "           \
    "device = $1 AND (kid = $2 OR (state = 'enrolled' AND valid_from <= "              \
    "CAST($3 AS BIGINT) AND (valid_until IS NULL OR valid_until > "                    \
    "CAST($3 AS BIGINT)))) ORDER BY valid_from, kid"

static int64_t
num(const char *v)
{
    return v == NULL ? -1 : strtoll(v, NULL, 10);
}

static int
collect(void *arg, int ncols, const char *const *c)
{
    struct dev_keys *d = arg;
    struct dev_key *k;

    if (ncols != 5 || c[0] == NULL || c[1] == NULL || c[2] == NULL || c[3] == NULL)
        return -EIO;
    if (d->n == KEYTAB_DEVICE_KEYS_MAX) {
        d->too_many = true;
        return 0;
    }
    k = &d->k[d->n++];
    snprintf(k->kid, sizeof(k->kid), "%s", c[0]);
    snprintf(k->jwk, sizeof(k->jwk), "%s", c[1]);
    k->revoked = strcmp(c[2], "revoked") == 0;
    k->from_s = num(c[3]);
    k->until_s = num(c[4]);
    return 0;
}

static bool
valid_at(const struct dev_key *k, int64_t now_s)
{
    return !k->revoked && k->from_s <= now_s && (k->until_s < 0 || k->until_s > now_s);
}

/* The keys of device that have kid or are valid at now_s. */
static int
read_keys(struct state *s, const char *device, const char *kid, int64_t now_s,
          struct dev_keys *d)
{
    char now[24];
    const char *v[3] = {device, kid, now};
    int r;

    memset(d, 0, sizeof(*d));
    snprintf(now, sizeof(now), "%lld", (long long)now_s);
    if ((r = state_query(s, SQL_DEVICE_KEYS, 3, v, collect, d)) < 0)
        return r;
    return d->too_many ? -EIO : 0;
}

static const struct dev_key *
find_kid(const struct dev_keys *d, const char *kid)
{
    for (int i = 0; i < d->n; i++)
        if (strcmp(d->k[i].kid, kid) == 0)
            return &d->k[i];
    return NULL;
}

static int
count_valid(const struct dev_keys *d, int64_t now_s)
{
    int n = 0;

    for (int i = 0; i < d->n; i++)
        n += valid_at(&d->k[i], now_s);
    return n;
}

/* Why key k (not valid at now_s) does not count. */
static void
why_not(const struct dev_key *k, const char *device, int64_t now_s, char *why,
        size_t whylen)
{
    if (k->revoked)
        text_error(why, whylen, "key %s of device %s was revoked", k->kid, device);
    else if (k->from_s > now_s)
        text_error(why, whylen, "key %s of device %s is valid only from %lld", k->kid,
                   device, (long long)k->from_s);
    else
        text_error(why, whylen, "key %s of device %s expired at %lld (rotated out)",
                   k->kid, device, (long long)k->until_s);
}

/* Whether kid has the form of a thumbprint: 43 characters of base64url. */
static bool
kid_form(const char *kid)
{
    size_t n = strspn(kid, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                           "0123456789-_");

    return n == KEYS_B64_PK_LEN && kid[n] == '\0';
}

int
keytab_lookup(struct state *s, const char *device, const char *kid, int64_t now_s,
              uint8_t pk[KEYS_PK_BYTES], char *why, size_t whylen)
{
    const struct dev_key *k;
    struct dev_keys d;
    int r;

    if (whylen > 0)
        why[0] = '\0';
    /* The header's kid is untrusted: one that cannot be a thumbprint (bytes
     * the database's encoding may refuse, too) matches no key, and is not
     * sent to the database at all. */
    if (!kid_form(kid))
        kid = "";
    if ((r = read_keys(s, device, kid, now_s, &d)) < 0)
        return r;
    k = find_kid(&d, kid);
    if (k != NULL && valid_at(k, now_s)) {
        /* Written from a parsed key: a bad one is a damaged row. */
        if (keys_jwk_parse(k->jwk, strlen(k->jwk), pk, NULL, 0) < 0)
            return -EIO;
        return 1;
    }
    if (k != NULL)
        why_not(k, device, now_s, why, whylen);
    if (count_valid(&d, now_s) > 0) {
        if (k == NULL && kid[0] != '\0')
            text_error(why, whylen, "kid \"%s\" is not a key of device %s", kid,
                       device);
        return KEYTAB_OTHER_KID;
    }
    return 0;
}

/* ---- changes, each one transaction ---- */

struct change {
    const char *device;
    const uint8_t *pk;
    const struct keytab_key *keys;
    size_t n;
    enum keytab_source src;
    const char *kid; /* revoke, expect */
    int64_t now_s, overlap_s, expires_s;
    char *why;
    size_t whylen;
};

static int
insert_key(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
           enum keytab_source src, int64_t now_s)
{
    char jwk[KEYS_JWK_MAX], kid[KEYS_B64_PK_LEN + 1], now[24];
    const char *v[5] = {device, kid, jwk, now, keytab_source_to_str(src)};

    keys_jwk(pk, jwk);
    keys_thumbprint(pk, kid);
    snprintf(now, sizeof(now), "%lld", (long long)now_s);
    return state_query(s,
                       "INSERT INTO device_key (device, kid, jwk, state, valid_from, "
                       "valid_until, source, added) VALUES ($1, $2, $3, 'enrolled', "
                       "CAST($4 AS BIGINT), NULL, $5, CAST($4 AS BIGINT))",
                       5, v, NULL, NULL);
}

/* End device's keys valid at now at now + overlap (or their earlier end). */
static int
end_keys(struct state *s, const char *device, int64_t now_s, int64_t overlap_s)
{
    char now[24], end[24];
    const char *v[3] = {device, now, end};

    snprintf(now, sizeof(now), "%lld", (long long)now_s);
    snprintf(end, sizeof(end), "%lld", (long long)(now_s + overlap_s));
    return state_query(s,
                       "UPDATE device_key SET valid_until = CAST($3 AS BIGINT) WHERE "
                       "device = $1 AND state = 'enrolled' AND valid_from <= "
                       "CAST($2 AS BIGINT) AND (valid_until IS NULL OR valid_until > "
                       "CAST($3 AS BIGINT))",
                       3, v, NULL, NULL);
}

static int
add_body(struct state *s, void *arg)
{
    struct change *c = arg;
    int added = 0, r;

    for (size_t i = 0; i < c->n; i++) {
        const char *device = c->keys[i].device;
        char kid[KEYS_B64_PK_LEN + 1];
        const struct dev_key *k;
        struct dev_keys d;

        keys_thumbprint(c->keys[i].pk, kid);
        if ((r = read_keys(s, device, kid, c->now_s, &d)) < 0)
            return r;
        if ((k = find_kid(&d, kid)) != NULL && k->revoked) {
            text_error(c->why, c->whylen,
                       "key %s of device %s was revoked; a revocation is final", kid,
                       device);
            return -EPERM;
        }
        if (k != NULL)
            continue; /* there already */
        if (count_valid(&d, c->now_s) > 0) {
            text_error(c->why, c->whylen,
                       "device %s has a valid key already (%s): use `keys rotate` to "
                       "replace it",
                       device, d.k[0].kid);
            return -EEXIST;
        }
        if ((r = insert_key(s, device, c->keys[i].pk, c->src, c->now_s)) < 0)
            return r;
        added++;
    }
    return added;
}

int
keytab_add(struct state *s, const struct keytab_key *keys, size_t n,
           enum keytab_source src, int64_t now_s, char *why, size_t whylen)
{
    struct change c = {
        .keys = keys, .n = n, .src = src, .now_s = now_s, .why = why, .whylen = whylen};

    return state_tx(s, add_body, &c);
}

static int
expect_body(struct state *s, void *arg)
{
    struct change *c = arg;
    char now[24], exp[24];
    const char *v[4] = {c->device, c->kid, c->expires_s > 0 ? exp : NULL, now};
    int r;

    snprintf(now, sizeof(now), "%lld", (long long)c->now_s);
    snprintf(exp, sizeof(exp), "%lld", (long long)c->expires_s);
    if ((r = state_query(s, "DELETE FROM enrolment WHERE device = $1", 1, v, NULL,
                         NULL)) < 0)
        return r;
    return state_query(s,
                       "INSERT INTO enrolment (device, kid, expires, added) VALUES "
                       "($1, $2, CAST($3 AS BIGINT), CAST($4 AS BIGINT))",
                       4, v, NULL, NULL);
}

int
keytab_expect(struct state *s, const char *device, const char *kid, int64_t expires_s,
              int64_t now_s)
{
    struct change c = {
        .device = device, .kid = kid, .expires_s = expires_s, .now_s = now_s};

    return state_tx(s, expect_body, &c);
}

static int
revoke_body(struct state *s, void *arg)
{
    struct change *c = arg;
    char now[24];
    const char *v[3] = {c->device, c->kid, now};
    const struct dev_key *k;
    struct dev_keys d;
    int r;

    if ((r = read_keys(s, c->device, c->kid, c->now_s, &d)) < 0)
        return r;
    if ((k = find_kid(&d, c->kid)) == NULL)
        return -ENOENT;
    if (k->revoked)
        return 1;
    snprintf(now, sizeof(now), "%lld", (long long)c->now_s);
    return state_query(s,
                       "UPDATE device_key SET state = 'revoked', revoked = "
                       "CAST($3 AS BIGINT) WHERE device = $1 AND kid = $2",
                       3, v, NULL, NULL);
}

int
keytab_revoke(struct state *s, const char *device, const char *kid, int64_t now_s)
{
    struct change c = {.device = device, .kid = kid, .now_s = now_s};

    return state_tx(s, revoke_body, &c);
}

static int
rotate_body(struct state *s, void *arg)
{
    struct change *c = arg;
    char kid[KEYS_B64_PK_LEN + 1];
    const struct dev_key *k;
    struct dev_keys d;
    int r;

    keys_thumbprint(c->pk, kid);
    if ((r = read_keys(s, c->device, kid, c->now_s, &d)) < 0)
        return r;
    if ((k = find_kid(&d, kid)) != NULL) {
        text_error(c->why, c->whylen, "key %s of device %s is in the table already%s",
                   kid, c->device, k->revoked ? " (revoked)" : "");
        return k->revoked ? -EPERM : -EEXIST;
    }
    if (count_valid(&d, c->now_s) == 0) {
        text_error(c->why, c->whylen,
                   "device %s has no valid key to rotate: use `keys add`", c->device);
        return -ENOENT;
    }
    if ((r = end_keys(s, c->device, c->now_s, c->overlap_s)) < 0)
        return r;
    return insert_key(s, c->device, c->pk, c->src, c->now_s);
}

int
keytab_rotate(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
              int64_t overlap_s, int64_t now_s, char *why, size_t whylen)
{
    struct change c = {.device = device,
                       .pk = pk,
                       .src = KEYTAB_OPERATOR,
                       .now_s = now_s,
                       .overlap_s = overlap_s,
                       .why = why,
                       .whylen = whylen};

    return state_tx(s, rotate_body, &c);
}

/* The device's registration: 1 with its kid ("" for any) and expiry, or 0. */
struct enrolment {
    bool found;
    char kid[KEYS_B64_PK_LEN + 1];
    int64_t expires_s; /* -1: never */
};

static int
enrolment_row(void *arg, int ncols, const char *const *c)
{
    struct enrolment *e = arg;

    if (ncols != 2)
        return -EIO;
    e->found = true;
    snprintf(e->kid, sizeof(e->kid), "%s", c[0] != NULL ? c[0] : "");
    e->expires_s = num(c[1]);
    return 0;
}

static int refuse(struct change *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* A key offered on the key topic and not taken: -EPERM, and why. */
static int
refuse(struct change *c, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    text_verror(c->why, c->whylen, fmt, ap);
    va_end(ap);
    return -EPERM;
}

static int
offer_body(struct state *s, void *arg)
{
    struct change *c = arg;
    char kid[KEYS_B64_PK_LEN + 1];
    const char *v[1] = {c->device};
    const struct dev_key *k;
    struct enrolment e = {0};
    struct dev_keys d;
    int r, valid;

    keys_thumbprint(c->pk, kid);
    if ((r = read_keys(s, c->device, kid, c->now_s, &d)) < 0)
        return r;
    if ((k = find_kid(&d, kid)) != NULL) {
        if (valid_at(k, c->now_s))
            return 1;
        why_not(k, c->device, c->now_s, c->why, c->whylen);
        return -EPERM;
    }
    if ((r = state_query(s, "SELECT kid, expires FROM enrolment WHERE device = $1", 1,
                         v, enrolment_row, &e)) < 0)
        return r;
    valid = count_valid(&d, c->now_s);
    if (!e.found)
        return refuse(c,
                      "device %s is not registered for enrolment (pantry-retailer "
                      "keys expect)",
                      c->device);
    if (e.expires_s >= 0 && e.expires_s <= c->now_s)
        return refuse(c, "the registration of device %s expired at %lld", c->device,
                      (long long)e.expires_s);
    if (e.kid[0] != '\0' && strcmp(e.kid, kid) != 0)
        return refuse(c, "device %s is registered for kid %s, not this one", c->device,
                      e.kid);
    if (valid > 0 && e.kid[0] == '\0')
        return refuse(c,
                      "device %s has a valid key already; a new one is taken only "
                      "when its kid was registered (keys expect DEVICE KID)",
                      c->device);
    if (valid > 0 && (r = end_keys(s, c->device, c->now_s, c->overlap_s)) < 0)
        return r;
    if ((r = insert_key(s, c->device, c->pk, KEYTAB_KEY_TOPIC, c->now_s)) < 0 ||
        (r = state_query(s, "DELETE FROM enrolment WHERE device = $1", 1, v, NULL,
                         NULL)) < 0)
        return r;
    return valid > 0 ? KEYTAB_ROTATED : 0;
}

int
keytab_offer(struct state *s, const char *device, const uint8_t pk[KEYS_PK_BYTES],
             int64_t overlap_s, int64_t now_s, char *why, size_t whylen)
{
    struct change c = {.device = device,
                       .pk = pk,
                       .now_s = now_s,
                       .overlap_s = overlap_s,
                       .why = why,
                       .whylen = whylen};

    if (whylen > 0)
        why[0] = '\0';
    return state_tx(s, offer_body, &c);
}

/* ---- listing ---- */

struct each {
    int64_t now_s;
    keytab_row_fn *fn;
    void *arg;
};

/* (device, kid, state, valid_from, valid_until, source, added, is_enrolment) */
static int
each_row(void *arg, int ncols, const char *const *c)
{
    struct each *x = arg;
    struct keytab_row row;

    if (ncols != 8 || c[0] == NULL || c[2] == NULL || c[5] == NULL || c[6] == NULL)
        return -EIO;
    row = (struct keytab_row){
        .device = c[0],
        .kid = c[1],
        .valid_from_s = num(c[3]),
        .valid_until_s = num(c[4]),
        .source = c[5],
        .added_s = num(c[6]),
    };
    if (strcmp(c[7], "1") == 0)
        row.state = "expected";
    else if (strcmp(c[2], "revoked") == 0)
        row.state = "revoked";
    else if (row.valid_from_s > x->now_s)
        row.state = "pending";
    else if (row.valid_until_s < 0)
        row.state = "valid";
    else
        row.state = row.valid_until_s > x->now_s ? "rotating" : "expired";
    return x->fn(x->arg, &row);
}

int
keytab_each(struct state *s, int64_t now_s, keytab_row_fn *fn, void *arg)
{
    struct each x = {now_s, fn, arg};

    return state_query(s,
                       "SELECT device, kid, state, valid_from, valid_until, source, "
                       "added, 0 AS e FROM device_key UNION ALL SELECT device, kid, "
                       "'expected', NULL, expires, 'operator', added, 1 FROM enrolment "
                       "ORDER BY 1, 8, 4, 2",
                       0, NULL, each_row, &x);
}
