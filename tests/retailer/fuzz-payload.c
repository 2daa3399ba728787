/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target of the retailer's payload parser (payload_parse): the first
 * byte picks the kind (even: reorder, odd: cancel), the rest is the payload,
 * in an exact-size heap copy so a read past its end is caught. Never crash;
 * return only the documented codes; an accepted payload has valid ids, seq
 * and iat, and the same object printed again by cJSON is accepted again with
 * the same ids (the validator judges values, not their spelling).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent/msg/message.h"
#include "retailer/payload.h"
#include "sensors/text.h"
#include "tests/fuzz/fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct payload p, again;
    enum payload_kind kind;
    char err[256], *text, *printed;
    int r;

    if (size == 0)
        return 0;
    kind = data[0] % 2 ? PAYLOAD_CANCEL : PAYLOAD_REORDER;
    if ((text = malloc(size - 1 ? size - 1 : 1)) == NULL)
        return 0;
    memcpy(text, data + 1, size - 1);
    err[0] = '\0';
    r = payload_parse(text, size - 1, kind, &p, err, sizeof(err));
    FUZZ_ASSERT(r == 0 || r == -EINVAL || r == -EPROTO || r == -EBADR);
    if (r != 0) {
        FUZZ_ASSERT(p.json == NULL && err[0] != '\0');
        goto out;
    }
    FUZZ_ASSERT(cJSON_IsObject(p.json));
    FUZZ_ASSERT(text_is_name(p.device, MESSAGE_ID_MAX));
    FUZZ_ASSERT(text_is_name(p.order_id, MESSAGE_ID_MAX));
    FUZZ_ASSERT(p.seq >= 1 && p.seq <= MESSAGE_INT_MAX);
    FUZZ_ASSERT(p.iat_s >= 0 && p.iat_s <= MESSAGE_INT_MAX);
    printed = cJSON_PrintUnformatted(p.json);
    if (printed != NULL) {
        int r2 =
            payload_parse(printed, strlen(printed), kind, &again, err, sizeof(err));
        FUZZ_ASSERT(r2 == 0);
        FUZZ_ASSERT(strcmp(again.order_id, p.order_id) == 0 && again.seq == p.seq &&
                    again.iat_s == p.iat_s && strcmp(again.device, p.device) == 0);
        payload_fini(&again);
        free(printed);
    }
    payload_fini(&p);
out:
    free(text);
    return 0;
}
