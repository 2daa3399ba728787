/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Eclipse Paho MQTT C's asynchronous API, loaded with dlopen() for the scheme
 * of a broker's URL: libpaho-mqtt3as (with OpenSSL) only for TLS, else
 * libpaho-mqtt3a, which does not pull OpenSSL in. The agent (agent/link/mqtt.c)
 * and the retailer (retailer/listen.c) call Paho through this table only, so
 * neither links Paho: a plain mqtt:// broker never maps OpenSSL, which is
 * 2 to 4 MB of resident memory once loaded (tests/agent/BENCH.md).
 */
#ifndef PANTRY_PAHO_LOAD_H
#define PANTRY_PAHO_LOAD_H

#include <MQTTAsync.h>
#include <stdbool.h>
#include <stddef.h>

/* The Paho functions either program calls, from the library of one scheme. */
struct paho_api {
    const char *soname;
    bool loaded;
    int (*createWithOptions)(MQTTAsync *, const char *, const char *, int, void *,
                             MQTTAsync_createOptions *);
    int (*setCallbacks)(MQTTAsync, void *, MQTTAsync_connectionLost *,
                        MQTTAsync_messageArrived *, MQTTAsync_deliveryComplete *);
    int (*setConnected)(MQTTAsync, void *, MQTTAsync_connected *);
    int (*setDisconnected)(MQTTAsync, void *, MQTTAsync_disconnected *);
    int (*connect)(MQTTAsync, const MQTTAsync_connectOptions *);
    int (*isConnected)(MQTTAsync);
    int (*sendMessage)(MQTTAsync, const char *, const MQTTAsync_message *,
                       MQTTAsync_responseOptions *);
    int (*subscribe)(MQTTAsync, const char *, int, MQTTAsync_responseOptions *);
    int (*subscribeMany)(MQTTAsync, int, char *const *, const int *,
                         MQTTAsync_responseOptions *);
    int (*disconnect)(MQTTAsync, const MQTTAsync_disconnectOptions *);
    void (*destroy)(MQTTAsync *);
    void (*freeMessage)(MQTTAsync_message **);
    void (*free)(void *);
    const char *(*strerror)(int);
    int (*propertiesAdd)(MQTTProperties *, const MQTTProperty *);
    void (*propertiesFree)(MQTTProperties *);
    /* Paho 1.3.14 (Debian 13) made these take a const and return int64_t:
     * the fields take the type of the header the build sees. */
    __typeof__(&MQTTProperties_hasProperty) propertiesHas;
    __typeof__(&MQTTProperties_getNumericValue) propertiesGetNumeric;
    const char *(*reasonString)(enum MQTTReasonCodes);
};

/*
 * Whether url's scheme is one of Paho's TLS ones: mqtts://, ssl:// or wss://
 * (case as Paho compares them).
 */
bool paho_url_tls(const char *url);

/*
 * The API of libpaho-mqtt3as (tls) or libpaho-mqtt3a, loaded on the first
 * call for it and kept loaded (Paho's threads may still run code in it). Safe
 * from any thread. Returns 0 and *api (static, never freed), or -ENOENT with
 * the reason in err (the library is missing, or is not Paho MQTT C 1.3).
 */
int paho_load(bool tls, const struct paho_api **api, char *err, size_t errlen);

#endif
