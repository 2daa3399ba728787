/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The order state machine and the over-order protection, as pure functions of
 * (state, input, now): no clock, no store, no I/O. The pipeline asks
 * orders_decide() whether an item should be ordered, and orders_step() whether
 * an event may move an order from one state to the next; the store records the
 * transition it allows.
 *
 *     planned --confirm/auto--> queued --puback--> published --ack--> acknowledged
 *        |                        |                   |                   |
 *        |                        +-------------------+--- refill --------+--> fulfilled
 *        +--cancel--> cancelled <---- cancel (inside the cancel window) --+
 *        +--expire--> expired   <---- expire (no refill in time) ---------+
 *                     rejected  <---- a retailer's reject ----------------+
 *
 * Time is milliseconds since the epoch; money in cents; mass in mg.
 */
#ifndef PANTRY_AGENT_ORDERS_H
#define PANTRY_AGENT_ORDERS_H

#include <stdbool.h>
#include <stdint.h>

#include "agent/store/store.h"

/*
 * The states are the store's (enum store_order_state in store.h: the names as
 * stored, store_order_state_to_str(), store_order_state_final()).
 */

enum order_event {
    ORDER_EV_CONFIRM,  /* a double press or pantryctl confirm; auto mode at once */
    ORDER_EV_PUBACK,   /* the broker acknowledged the publish */
    ORDER_EV_ACCEPTED, /* the retailer accepted it */
    ORDER_EV_SHIPPED,  /* the retailer shipped it (an ETA) */
    ORDER_EV_REJECTED, /* the retailer rejected it */
    ORDER_EV_REFILL,   /* a refill of the item arrived */
    ORDER_EV_CANCEL,   /* a long press or pantryctl cancel */
    ORDER_EV_EXPIRE,   /* the expiry timer */
};

/* "confirm", "puback", ...; "?" otherwise. */
const char *order_event_to_str(enum order_event e);

/*
 * Where ev takes an order in state `from`, created at created_ms (planned) and
 * queued at queued_ms (0 if never):
 * - confirm: planned -> queued;
 * - puback: queued -> published (a re-sent order already past that: -EALREADY);
 * - accepted, shipped: queued/published -> acknowledged (the ack can overtake the
 *   PUBACK); acknowledged + shipped: -EALREADY (nothing changes but the ETA);
 * - rejected: queued/published/acknowledged -> rejected;
 * - refill: queued/published/acknowledged -> fulfilled (a planned order is not
 *   fulfilled by a refill nobody ordered: the caller cancels it instead);
 * - cancel: planned -> cancelled at any time; queued/published/acknowledged ->
 *   cancelled while now_ms - queued_ms <= cancel_window_ms, else -ETIME;
 * - expire: planned -> expired when now_ms - created_ms >= expiry_ms; queued,
 *   published or acknowledged -> expired when now_ms - queued_ms >= expiry_ms
 *   (a delivery that never came must not block the item for ever); else -EAGAIN.
 * Returns 0 with *to, or -EPERM when ev means nothing in `from` (final states
 * included), or the codes above.
 */
int orders_step(enum store_order_state from, enum order_event ev, int64_t created_ms,
                int64_t queued_ms, int64_t now_ms, int64_t cancel_window_ms,
                int64_t expiry_ms, enum store_order_state *to);

/* Why an item is or is not ordered now. */
enum order_verdict {
    ORDER_GO,         /* order `packs` now */
    ORDER_NOT_NEEDED, /* the forecast says the stock lasts */
    ORDER_MODE_OFF,   /* ordering is off for this item */
    ORDER_OPEN,       /* an order is already open (one per item) */
    ORDER_COOLDOWN,   /* too soon after the last order */
    ORDER_CAP,        /* max orders in 30 days reached */
    ORDER_BUDGET,     /* the item's or the household's monthly budget */
    ORDER_NO_DATA,    /* no settled weight yet, or the sensor is faulty */
};

/* "go", "not-needed", "mode-off", "open", "cooldown", "cap", "budget", "no-data". */
const char *order_verdict_to_str(enum order_verdict v);

struct order_guard_in {
    bool need;       /* the policy wants an order (or a button asked) */
    bool manual;     /* a person asked (button, pantryctl order) */
    bool mode_off;   /* the item's mode is off (manual orders too) */
    bool data_ok;    /* settled weight, no sensor fault */
    bool open_order; /* an order of the item is not final */
    int64_t now_ms;
    int64_t last_order_ms; /* creation of the item's last order, INT64_MIN: none */
    int64_t cooldown_ms;
    uint32_t orders_30d; /* orders of the item created in the last 30 days */
    uint32_t max_orders_30d;
    int64_t cost_cents;        /* of this order: packs * price, 0 if price unknown */
    int64_t item_spent_cents;  /* this calendar month (UTC), orders not cancelled */
    int64_t item_budget_cents; /* 0: none */
    int64_t household_spent_cents;  /* this month, every item */
    int64_t household_budget_cents; /* 0: none */
};

/*
 * The over-order protection around a policy decision, checked in the order of
 * the enum (mode, data, open order, cooldown, cap, budget), so the verdict names
 * the first reason. A manual order (a person asked) skips `need`, the sensor
 * data and the cooldown; nothing skips mode off, the open order, the cap and the
 * budgets.
 */
enum order_verdict orders_guard(const struct order_guard_in *in);

/*
 * Start of the UTC calendar month holding t_ms, in ms since the epoch (budgets
 * are per month); 0 for a negative t_ms. Any t_ms >= 0 has its answer.
 */
int64_t orders_month_start_ms(int64_t t_ms);

#endif
