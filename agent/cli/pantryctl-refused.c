/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantryctl refused: the household refused the delivery of an item's open
 * order at the door, told to the daemon over its control socket (the daemon
 * closes the order, tells the retailer and learns from it: pipeline.h,
 * pipeline_refused()). --reason is checked here first, so a mistake is named
 * by its option; the daemon checks again.
 */
#include <stdio.h>
#include <string.h>

#include "agent/control/control.h"
#include "agent/cli/pantryctl.h"

/* What the daemon takes as a reason: text, no control characters, bounded. */
static int
reason_of(const char *s, char *out, size_t len)
{
    size_t n = strlen(s);

    if (n == 0 || n >= len)
        return cli_usage_error("--reason: expected 1 to %zu bytes of text, found %zu",
                               len - 1, n);
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return cli_usage_error("--reason: control character 0x%02x at byte %zu",
                                   (unsigned char)s[i], i + 1);
    memcpy(out, s, n + 1);
    return 0;
}

int
cmd_refused(const struct command *cmd, struct opts *o)
{
    struct control_request req;
    int rc;

    memset(&req, 0, sizeof(req));
    req.cmd = CONTROL_REFUSED;
    int i = find_item(o->item);
    if (i < 0)
        return EXIT_USAGE;
    snprintf(req.item, sizeof(req.item), "%s", pctl_cfg.items[i].id);
    if (o->reason != NULL &&
        (rc = reason_of(o->reason, req.reason, sizeof(req.reason))))
        return rc;
    return item_call(cmd, o, &req, true);
}
