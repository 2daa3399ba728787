/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The MQTT client of a configured broker, the retailer's (uplink.c) or the
 * household's (home.c): the credentials file read (keys.h: mode 0600, the
 * password wiped once the client has it) and struct mqtt_options filled from
 * a struct cfg_broker, so both links make their client the same way.
 */
#ifndef PANTRY_AGENT_BROKER_H
#define PANTRY_AGENT_BROKER_H

#include <stddef.h>

#include "agent/config/agent-config.h"
#include "agent/link/mqtt.h"

/*
 * A client for b with client_id and a retained last will (will_topic,
 * will_payload; NULL topic: none). Returns 0 with *out, or a negative errno
 * with a message in err (the credentials file's problem, or the client's).
 */
int broker_client_new(const struct cfg_broker *b, const char *client_id,
                      const char *will_topic, const char *will_payload,
                      struct mqtt **out, char *err, size_t errlen);

#endif
