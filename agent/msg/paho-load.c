/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Loading Paho's asynchronous library for a URL's scheme (paho-load.h). The
 * one copy the agent and the retailer share: which library, which symbols, and
 * the message when it cannot be loaded.
 */
#include "agent/msg/paho-load.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static struct paho_api paho_tls = {.soname = "libpaho-mqtt3as.so.1"},
                       paho_plain = {.soname = "libpaho-mqtt3a.so.1"};
static pthread_mutex_t paho_lock = PTHREAD_MUTEX_INITIALIZER;

bool
paho_url_tls(const char *url)
{
    return strncmp(url, "mqtts://", 8) == 0 || strncmp(url, "ssl://", 6) == 0 ||
           strncmp(url, "wss://", 6) == 0;
}

int
paho_load(bool tls, const struct paho_api **api, char *err, size_t errlen)
{
    struct paho_api *a = tls ? &paho_tls : &paho_plain;
    void *h;
    int r = 0;

    pthread_mutex_lock(&paho_lock);
    if (a->loaded)
        goto out;
    if ((h = dlopen(a->soname, RTLD_NOW | RTLD_LOCAL)) == NULL) {
        snprintf(err, errlen,
                 "%s cannot be loaded (%s): install Debian's "
                 "libpaho-mqtt1.3",
                 a->soname, dlerror());
        r = -ENOENT;
        goto out;
    }
    /* POSIX lets a void * from dlsym() become a function pointer; the
     * assertion checks the field's type against Paho's header. */
#define SYM(field, fn)                                                                 \
    _Static_assert(                                                                    \
        __builtin_types_compatible_p(__typeof__(&fn), __typeof__(a->field)), #fn);     \
    if (r == 0 && (*(void **)&a->field = dlsym(h, #fn)) == NULL) {                     \
        snprintf(err, errlen, "%s has no %s: not Paho MQTT C 1.3", a->soname, #fn);    \
        r = -ENOENT;                                                                   \
    }
    SYM(createWithOptions, MQTTAsync_createWithOptions)
    SYM(setCallbacks, MQTTAsync_setCallbacks)
    SYM(setConnected, MQTTAsync_setConnected)
    SYM(setDisconnected, MQTTAsync_setDisconnected)
    SYM(connect, MQTTAsync_connect)
    SYM(isConnected, MQTTAsync_isConnected)
    SYM(sendMessage, MQTTAsync_sendMessage)
    SYM(subscribe, MQTTAsync_subscribe)
    SYM(subscribeMany, MQTTAsync_subscribeMany)
    SYM(disconnect, MQTTAsync_disconnect)
    SYM(destroy, MQTTAsync_destroy)
    SYM(freeMessage, MQTTAsync_freeMessage)
    SYM(free, MQTTAsync_free)
    SYM(strerror, MQTTAsync_strerror)
    SYM(propertiesAdd, MQTTProperties_add)
    SYM(propertiesFree, MQTTProperties_free)
    SYM(propertiesHas, MQTTProperties_hasProperty)
    SYM(propertiesGetNumeric, MQTTProperties_getNumericValue)
    SYM(reasonString, MQTTReasonCode_toString)
#undef SYM
    a->loaded = r == 0;
out:
    pthread_mutex_unlock(&paho_lock);
    if (r == 0)
        *api = a;
    return r;
}
