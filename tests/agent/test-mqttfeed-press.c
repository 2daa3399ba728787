/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A zigbee2mqtt button through the daemon's pipeline (pipeline_press()): its
 * messages go through the feed registry as the home broker's link hands them
 * over, its presses come out of the registry's source as sources.c reads
 * them, and the rice rig's real store shows what they did: a retained
 * "single" orders nothing, a live one orders the item, "hold" cancels it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/harness.h"
#include "agent/link/mqttfeed.h"
#include "tests/agent/rice-rig.h"

#define BUTTON "zigbee2mqtt/pantry_button"

static char dir[256];

/* One message, and its presses into the pipeline as sources_read() does. */
static void
message(struct rig *r, struct mqttfeed *f, const char *json, bool retained)
{
    struct sample_source *s = mqttfeed_source(f);
    struct press p[8];
    char why[400];

    mqttfeed_message(f, BUTTON, json, strlen(json), retained, r->now, why, sizeof(why));
    int n = s->ops->read_presses(s, r->now, p, 8);
    for (int k = 0; k < n; k++)
        pipeline_press(&r->pl, &p[k]);
    pipeline_flush(&r->pl);
}

static void
test_z2m_orders_and_cancels(void)
{
    static struct rig r;
    struct mqttfeed *f = NULL;
    char id[STORE_ID_MAX];

    rig_open(&r, dir, "z2m",
             "home = { url = \"mqtt://127.0.0.1\"; };\n"
             "buttons = ( { item = \"rice\"; zigbee2mqtt = { topic = \"" BUTTON
             "\"; }; } );",
             "");
    CHECK_EQ_I64(mqttfeed_new(&r.cfg, r.now, &f), 0);
    warm_up(&r);
    message(&r, f, "{\"action\":\"single\",\"battery\":90}", true);
    open_order(&r, id);
    CHECK_MSG(id[0] == '\0', "a retained message ordered %s", id);
    message(&r, f, "{\"action\":\"single\",\"battery\":90}", false);
    open_order(&r, id);
    CHECK(id[0] != '\0');
    CHECK(history_has(r.db, "short press") > 0);
    enum store_order_state st = state_of(r.db, id);
    CHECK_MSG(st != ORDER_CANCELLED && st != ORDER_STATE_COUNT, "state %d", st);
    r.now += 1000;
    message(&r, f, "{\"action\":\"hold\"}", false);
    CHECK_EQ_I64(state_of(r.db, id), ORDER_CANCELLED);
    mqttfeed_free(f);
    rig_close(&r);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/mqttfeed-press-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    RUN(test_z2m_orders_and_cancels);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return th_done();
}
