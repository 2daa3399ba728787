/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MQTT client of a configured broker (see broker.h).
 */
#include "agent/link/broker.h"

#include <sodium.h>
#include <stdbool.h>

#include "agent/msg/keys.h"

int
broker_client_new(const struct cfg_broker *b, const char *client_id,
                  const char *will_topic, const char *will_payload, struct mqtt **out,
                  char *err, size_t errlen)
{
    char user[KEYS_CRED_MAX], pass[KEYS_CRED_MAX];
    bool creds = false;
    int r;

    *out = NULL;
    if (b->credentials_file[0] != '\0') {
        if ((r = keys_read_credentials(b->credentials_file, user, pass, err, errlen)) <
            0) {
            sodium_memzero(pass, sizeof(pass));
            return r;
        }
        creds = true;
    }
    struct mqtt_options mo = {
        .url = b->url,
        .client_id = client_id,
        .ca_file = b->ca_file,
        .ca_path = b->ca_path,
        .cert_file = b->cert_file,
        .key_file = b->cert_key_file,
        .verify = b->verify,
        .username = creds ? user : NULL,
        .password = creds ? pass : NULL,
        .keepalive_s = b->keepalive_s,
        .session_expiry_s = b->session_expiry_s,
        .will_topic = will_topic,
        .will_payload = will_payload,
    };
    r = mqtt_new(&mo, out, err, errlen);
    sodium_memzero(pass, sizeof(pass));
    return r;
}
