/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl pubkey: the device's public key, read from the configuration's
 * key_path, printed as the JWK the daemon publishes retained on
 * <prefix>/<device>/key (RFC 8037 members, its RFC 7638 thumbprint as "kid",
 * "alg":"EdDSA", "use":"sig"), which is what a retailer needs to verify the
 * device's signed reorders and cancels. The private key is read (the public
 * key is derived from its seed) and wiped at once; it is never printed. The
 * key file is the service's, mode 0600: run this as the service's user.
 */
#include <errno.h>
#include <stdio.h>

#include <cJSON.h>

#include "agent/msg/keys.h"
#include "agent/cli/pantryctl.h"

int
cmd_pubkey(const struct command *cmd, struct opts *o)
{
    struct keys k;
    char err[512], jwk[KEYS_JWK_PUBLISHED_MAX], kid[KEYS_B64_PK_LEN + 1];
    int r;

    (void)cmd;
    if ((r = keys_load(pctl_cfg.key_path, &k, err, sizeof(err))) < 0)
        return cli_fail("pubkey: %s%s", err,
                        r == -EACCES
                            ? " (the key is the service's: run pantryctl pubkey "
                              "as its user, e.g. sudo -u pantry-agent)"
                        : r == -ENOENT ? " (pantry-agent makes it at its first start; "
                                         "or run pantryctl keygen)"
                                       : "");
    keys_jwk_published(k.pk, jwk);
    keys_thumbprint(k.pk, kid);
    keys_wipe(&k);
    if (o->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "command", "pubkey");
        cJSON_AddStringToObject(j, "path", pctl_cfg.key_path);
        cJSON_AddStringToObject(j, "kid", kid);
        cJSON_AddItemToObject(j, "jwk", cJSON_Parse(jwk));
        return print_json(j) != 0 ? EXIT_REFUSED : 0;
    }
    printf("kid %s\njwk %s\n", kid, jwk);
    return 0;
}
