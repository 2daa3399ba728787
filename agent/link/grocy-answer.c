/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Grocy's answers, judged (grocy-answer.h). Apart from grocy.c so that the
 * fuzz target and the tests take them without a sender or a store.
 */
#include "agent/link/grocy-answer.h"

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

static bool
is_int(const cJSON *v)
{
    return cJSON_IsNumber(v) && v->valuedouble >= -9007199254740991.0 &&
           v->valuedouble <= 9007199254740991.0 &&
           (double)(int64_t)v->valuedouble == v->valuedouble;
}

const char *
grocy_answer_stock(const char *text, size_t len, enum store_grocy_op op,
                   int64_t product)
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
    else if (cJSON_GetArraySize(root) == 0 && op != GROCY_OP_INVENTORY)
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
            (int64_t)v->valuedouble != product)
            why = "a stock log entry of another product";
        if (why != NULL)
            break;
    }
    cJSON_Delete(root);
    return why;
}

void
grocy_answer_error(const char *text, size_t len, char *buf, size_t buflen)
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
