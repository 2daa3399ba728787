/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Device keys against RFC 8037 Appendix A (the Ed25519 key, its public x and,
 * A.3, its RFC 7638 thumbprint), file modes and refusals, and keygen's
 * never-overwrite rule, in a temporary folder.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/harness.h"
#include "agent/msg/keys.h"

static char dir[256];

static void
write_file(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    CHECK(fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text));
    close(fd);
    chmod(path, mode);
}

static void
test_rfc8037(void)
{
    char path[512], err[256], jwk[KEYS_JWK_MAX], kid[KEYS_B64_PK_LEN + 1];
    struct keys k;

    snprintf(path, sizeof(path), "%s/rfc.key", dir);
    /* RFC 8037 A.1: d (the seed) of the example key. */
    write_file(path, "ed25519:nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n", 0600);
    CHECK_EQ_I64(keys_load(path, &k, err, sizeof(err)), 0);
    keys_jwk(k.pk, jwk);
    /* A.2: its public key. */
    CHECK_MSG(strcmp(jwk, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":"
                          "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}") == 0,
              "%s", jwk);
    /* A.3: its thumbprint. */
    keys_thumbprint(k.pk, kid);
    CHECK_MSG(strcmp(kid, "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k") == 0, "%s",
              kid);
    keys_wipe(&k);
    for (size_t i = 0; i < sizeof(k.sk); i++)
        CHECK(k.sk[i] == 0);

    /* Readable by group or others: refused, and the message carries no key. */
    chmod(path, 0640);
    CHECK_EQ_I64(keys_load(path, &k, err, sizeof(err)), -EACCES);
    CHECK(strstr(err, "chmod 600") != NULL && strstr(err, "nWGx") == NULL);
    chmod(path, 0604);
    CHECK_EQ_I64(keys_load(path, &k, err, sizeof(err)), -EACCES);

    /* Anything but the one line. */
    static const char *const bad[] = {
        "ed25519:nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A",    /* no newline */
        "ed25519:nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2\n",   /* short */
        "ed25519:nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=\n", /* padding */
        "ed25519:nWGxne+9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n",  /* not url-safe */
        "ed448:nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\n",
        "ed25519:nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\nx",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i], 0600);
        CHECK_MSG(keys_load(path, &k, err, sizeof(err)) == -EINVAL, "bad key %zu", i);
    }
    snprintf(path, sizeof(path), "%s/none.key", dir);
    CHECK_EQ_I64(keys_load(path, &k, err, sizeof(err)), -ENOENT);
    CHECK(strstr(err, "pantryctl keygen") != NULL);
}

static void
test_generate(void)
{
    char path[512], err[256];
    struct keys a, b, c;
    struct stat st;

    snprintf(path, sizeof(path), "%s/device.key", dir);
    CHECK_EQ_I64(keys_generate(path, false, &a, err, sizeof(err)), 0);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600 && st.st_size == 52);
    CHECK_EQ_I64(keys_load(path, &b, err, sizeof(err)), 0);
    CHECK(memcmp(a.pk, b.pk, sizeof(a.pk)) == 0 &&
          memcmp(a.sk, b.sk, sizeof(a.sk)) == 0);
    /* Never overwritten without force; replaced with it. */
    CHECK_EQ_I64(keys_generate(path, false, &c, err, sizeof(err)), -EEXIST);
    CHECK(strstr(err, "--force") != NULL);
    CHECK_EQ_I64(keys_load(path, &b, err, sizeof(err)), 0);
    CHECK(memcmp(a.pk, b.pk, sizeof(a.pk)) == 0);
    CHECK_EQ_I64(keys_generate(path, true, &c, err, sizeof(err)), 0);
    CHECK(memcmp(a.pk, c.pk, sizeof(a.pk)) != 0);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_I64(keys_load(path, &b, err, sizeof(err)), 0);
    CHECK(memcmp(c.pk, b.pk, sizeof(c.pk)) == 0);
    snprintf(path, sizeof(path), "%s/no/such/dir.key", dir);
    CHECK_EQ_I64(keys_generate(path, false, &c, err, sizeof(err)), -ENOENT);
}

#define RFC_X "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"
#define RFC_KID "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"

/* Public JWKs read from trust stores and messages: RFC 8037 A.2's key, and
 * refusals written by hand. */
static void
test_jwk_parse(void)
{
    static const struct {
        const char *text;
        const char *why; /* "" accepted */
    } cases[] = {
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\"}", ""},
        {"{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" RFC_X "\",\"kid\":\"" RFC_KID
         "\",\"alg\":\"EdDSA\",\"use\":\"sig\",\"note\":[1]}",
         ""},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\",\"d\":"
         "\"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A\"}",
         "private key"},
        {"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" RFC_X "\"}", "kty"},
        {"{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"" RFC_X "\"}", "kty"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\"}", "x:"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg\"}",
         "x:"},
        /* the last character with a stray low bit: the same key, another text */
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":"
         "\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURp\"}",
         "x:"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\",\"kid\":\"k\"}",
         "thumbprint"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\",\"alg\":"
         "\"HS256\"}",
         "alg"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\",\"use\":"
         "\"enc\"}",
         "use"},
        {"{\"kty\":1,\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\"}", "strings"},
        {"[\"" RFC_X "\"]", "JSON object"},
        {"{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" RFC_X "\"}{}",
         "text after the object"},
        {"", "bytes"},
    };
    uint8_t pk[KEYS_PK_BYTES];
    char err[256], kid[KEYS_B64_PK_LEN + 1], pub[KEYS_JWK_PUBLISHED_MAX];

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        err[0] = '\0';
        int r =
            keys_jwk_parse(cases[i].text, strlen(cases[i].text), pk, err, sizeof(err));
        if (cases[i].why[0] == '\0') {
            CHECK_MSG(r == 0, "case %zu: %s", i, err);
            keys_thumbprint(pk, kid);
            CHECK_MSG(strcmp(kid, RFC_KID) == 0, "case %zu: kid %s", i, kid);
        } else {
            CHECK_MSG(r == -EINVAL && strstr(err, cases[i].why) != NULL,
                      "case %zu: got %d '%s', want '%s'", i, r, err, cases[i].why);
        }
    }
    /* The published form reads back as the same key. */
    CHECK_EQ_I64(
        keys_jwk_parse(cases[0].text, strlen(cases[0].text), pk, err, sizeof(err)), 0);
    keys_jwk_published(pk, pub);
    CHECK_MSG(strcmp(pub, "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"" RFC_X
                          "\",\"kid\":\"" RFC_KID "\",\"alg\":\"EdDSA\",\"use\":"
                          "\"sig\"}") == 0,
              "%s", pub);
    uint8_t again[KEYS_PK_BYTES];
    CHECK_EQ_I64(keys_jwk_parse(pub, strlen(pub), again, err, sizeof(err)), 0);
    CHECK(memcmp(pk, again, sizeof(pk)) == 0);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/pantry-keys-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    test_rfc8037();
    test_generate();
    test_jwk_parse();
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return th_done();
}
