/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The daemon's answers on the control socket (control.h reads and writes the
 * protocol; this file decides): ping, status, a recording of the live inputs
 * as a sample trace beside the store, away periods, and the item commands
 * (order, confirm, cancel, tare, calibrate, reset-learning, refused) handed to
 * the pipeline. Each command that changes something is logged with its answer.
 */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent/pipeline/away.h"
#include "sensors/clock.h"
#include "agent/config/agent-config.h"
#include "agent/control/control.h"
#include "agent/daemon/daemon.h"
#include "agent/pipeline/learn.h"
#include "agent/logging.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/status.h"
#include "agent/store/store.h"
#include "sensors/cond/trace.h"
#include "agent/link/uplink.h"
#include "agent/msg/utc.h"

#ifndef PANTRY_VERSION
#define PANTRY_VERSION "unknown"
#endif

void
daemon_stop_recording(struct agent *a)
{
    if (a->rec == NULL)
        return;
    if (trace_writer_flush(&a->recw) < 0 || fsync(fileno(a->rec)) < 0)
        log_error("recording: write failed");
    fclose(a->rec);
    a->rec = NULL;
    log_notice("recording finished");
}

static int
start_recording(struct agent *a, int64_t now, int64_t seconds, char *path, size_t len,
                char *msg, size_t msglen)
{
    char dir[CFG_PATH_MAX], t[32], name[32];

    if (a->rec != NULL)
        return snprintf(msg, msglen, "a recording is already running"), -EBUSY;
    snprintf(dir, sizeof(dir), "%s", a->cfg->store_path);
    utc_format(now / 1000, t, sizeof(t));
    snprintf(path, len, "%s/trace-%s.trace", dirname(dir), t);
    if ((a->rec = fopen(path, "wx")) == NULL)
        return snprintf(msg, msglen, "%s: %s", path, strerror(errno)), -errno;
    trace_writer_init(&a->recw, a->rec);
    for (size_t i = 0; i < a->cfg->n_channels; i++)
        trace_write_channel(&a->recw, a->cfg->channels[i].index,
                            a->cfg->channels[i].name);
    for (size_t i = 0; i < a->cfg->n_buttons; i++) {
        snprintf(name, sizeof(name), "button%zu", i);
        trace_write_button(&a->recw, (unsigned)i, name);
    }
    trace_write_note(&a->recw, now, "recorded by pantry-agent " PANTRY_VERSION);
    a->rec_until_ms = now + seconds * 1000;
    snprintf(msg, msglen, "recording %" PRId64 " s to %s", seconds, path);
    log_notice("%s", msg);
    return 0;
}

int
daemon_control_request(void *ctx, const struct control_request *req, char *msg,
                       size_t len, cJSON **data)
{
    struct agent *a = ctx;
    int64_t now = clock_wall_ms();
    int item = -1, r;

    if (req->cmd == CONTROL_PING) {
        snprintf(msg, len, "pantry-agent %s", PANTRY_VERSION);
        return 0;
    }
    if (req->cmd == CONTROL_STATUS) {
        struct status_link link;
        struct status_home home;
        if (a->up != NULL)
            uplink_status(a->up, &link);
        daemon_home_status(a, &home);
        *data = status_answer(a->pl, now, a->up != NULL ? &link : NULL, &home);
        snprintf(msg, len, "%zu items", a->pl->n_items);
        return 0;
    }
    if (req->cmd == CONTROL_RECORD) {
        char path[CFG_PATH_MAX + 64];
        if (a->replay_path != NULL)
            return snprintf(msg, len, "replaying a trace: nothing to record"), -EPERM;
        r = start_recording(a, now, req->seconds, path, sizeof(path), msg, len);
        if (r == 0 && (*data = cJSON_CreateObject()) != NULL)
            cJSON_AddStringToObject(*data, "path", path);
        return r;
    }
    if (req->cmd == CONTROL_AWAY) {
        /* Written at once, outside the pipeline's batch: pantryctl is told
         * only what is on disk. */
        if ((r = pipeline_flush(a->pl)) < 0)
            return snprintf(msg, len, "store: %s", store_errmsg(a->db)), r;
        r = away_request(a->cfg, a->db, req, now, msg, len, data);
        if (req->from_s != 0 || req->remove != 0)
            log_notice("pantryctl away: %s", msg);
        return r;
    }
    if ((item = cfg_find_item(a->cfg, req->item)) < 0)
        return snprintf(msg, len, "no item '%s' in the configuration", req->item),
               -ENOENT;
    switch (req->cmd) {
    case CONTROL_ORDER:
        r = pipeline_order(a->pl, (size_t)item, "manual", now, msg, len);
        break;
    case CONTROL_CONFIRM:
        r = pipeline_confirm(a->pl, (size_t)item, now, msg, len);
        break;
    case CONTROL_CANCEL:
        r = pipeline_cancel(a->pl, (size_t)item, "manual", now, msg, len);
        break;
    case CONTROL_TARE:
        r = pipeline_tare(a->pl, (size_t)item, now, 3000, msg, len);
        break;
    case CONTROL_RESET_LEARNING:
        r = learn_reset_request(a->pl, (size_t)item, now, msg, len);
        break;
    case CONTROL_REFUSED:
        r = pipeline_refused(a->pl, (size_t)item, req->reason, now, msg, len);
        break;
    case CONTROL_SPAN:
        r = pipeline_span(a->pl, (size_t)item, req->known_mg, now, 3000, msg, len);
        break;
    default:
        return snprintf(msg, len, "unsupported command"), -EINVAL;
    }
    log_notice("pantryctl %s %s: %s", control_cmd_to_str(req->cmd), req->item, msg);
    return r;
}
