/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Order states, their transitions and the over-order guard (see orders.h).
 * Pure: the table below is the whole state machine.
 *
 *   from \ event | confirm | puback    | accepted/shipped | rejected | refill    | cancel     | expire
 *   -------------+---------+-----------+------------------+----------+-----------+------------+--------
 *   planned      | queued  | EPERM     | EPERM            | EPERM    | EPERM     | cancelled  | expired*
 *   queued       | EPERM   | published | acknowledged     | rejected | fulfilled | cancelled+ | expired*
 *   published    | EPERM   | EALREADY  | acknowledged     | rejected | fulfilled | cancelled+ | expired*
 *   acknowledged | EPERM   | EALREADY  | EALREADY         | rejected | fulfilled | cancelled+ | expired*
 *   final        | EPERM   | EPERM     | EPERM            | EPERM    | EPERM     | EPERM      | EPERM
 *
 *   * when old enough (EAGAIN before)   + inside the cancel window (ETIME after)
 */
#include "agent/pipeline/orders.h"

#include <errno.h>

#include "agent/msg/utc.h"
#include "models/units.h"

const char *
order_event_to_str(enum order_event e)
{
    static const char *const names[] = {
        "confirm",  "puback", "accepted", "shipped",
        "rejected", "refill", "cancel",   "expire",
    };
    return (unsigned)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}

int
orders_step(enum store_order_state from, enum order_event ev, int64_t created_ms,
            int64_t queued_ms, int64_t now_ms, int64_t cancel_window_ms,
            int64_t expiry_ms, enum store_order_state *to)
{
    bool sent =
        from == ORDER_QUEUED || from == ORDER_PUBLISHED || from == ORDER_ACKNOWLEDGED;

    /* Final states (fulfilled and after) and anything out of range. */
    if ((unsigned)from >= ORDER_FULFILLED)
        return -EPERM;
    switch (ev) {
    case ORDER_EV_CONFIRM:
        if (from != ORDER_PLANNED)
            return -EPERM;
        *to = ORDER_QUEUED;
        return 0;
    case ORDER_EV_PUBACK:
        if (from == ORDER_PLANNED)
            return -EPERM;
        if (from != ORDER_QUEUED)
            return -EALREADY;
        *to = ORDER_PUBLISHED;
        return 0;
    case ORDER_EV_ACCEPTED:
    case ORDER_EV_SHIPPED:
        if (from == ORDER_PLANNED)
            return -EPERM;
        if (from == ORDER_ACKNOWLEDGED)
            return -EALREADY;
        *to = ORDER_ACKNOWLEDGED;
        return 0;
    case ORDER_EV_REJECTED:
        if (!sent)
            return -EPERM;
        *to = ORDER_REJECTED;
        return 0;
    case ORDER_EV_REFILL:
        if (!sent)
            return -EPERM;
        *to = ORDER_FULFILLED;
        return 0;
    case ORDER_EV_CANCEL:
        /* Saturating: a clock set back gives a negative age, which is inside. */
        if (sent && now_ms - queued_ms > cancel_window_ms)
            return -ETIME;
        *to = ORDER_CANCELLED;
        return 0;
    case ORDER_EV_EXPIRE:
        if (now_ms - (from == ORDER_PLANNED ? created_ms : queued_ms) < expiry_ms)
            return -EAGAIN;
        *to = ORDER_EXPIRED;
        return 0;
    }
    return -EPERM;
}

const char *
order_verdict_to_str(enum order_verdict v)
{
    static const char *const names[] = {
        "go", "not-needed", "mode-off", "open", "cooldown", "cap", "budget", "no-data",
    };
    return (unsigned)v < sizeof(names) / sizeof(names[0]) ? names[v] : "?";
}

static bool
over_budget(int64_t spent, int64_t cost, int64_t budget)
{
    return budget > 0 && spent + cost > budget;
}

enum order_verdict
orders_guard(const struct order_guard_in *in)
{
    if (in->mode_off)
        return ORDER_MODE_OFF;
    if (!in->manual && !in->data_ok)
        return ORDER_NO_DATA;
    if (!in->manual && !in->need)
        return ORDER_NOT_NEEDED;
    if (in->open_order)
        return ORDER_OPEN;
    if (!in->manual && in->last_order_ms != INT64_MIN &&
        in->now_ms - in->last_order_ms < in->cooldown_ms)
        return ORDER_COOLDOWN;
    if (in->orders_30d >= in->max_orders_30d)
        return ORDER_CAP;
    if (over_budget(in->item_spent_cents, in->cost_cents, in->item_budget_cents) ||
        over_budget(in->household_spent_cents, in->cost_cents,
                    in->household_budget_cents))
        return ORDER_BUDGET;
    return ORDER_GO;
}

int64_t
orders_month_start_ms(int64_t t_ms)
{
    /* The agent never runs before 1970: a negative time is the epoch's month. */
    if (t_ms < 0)
        return 0;
    int64_t days = t_ms / 1000 / MODELS_DAY_S, y, m, d;
    utc_civil_from_days(days, &y, &m, &d);
    return (days - (d - 1)) * MODELS_DAY_S * 1000;
}
