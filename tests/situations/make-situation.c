/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make-situation: one situation of sensors/cond/scene.h as files, so a person
 * can replay it with the real daemon and look at it with pantryctl:
 *
 *   make-situation --kind KIND --seed N --dir DIR [--idle-ms MS] [--platforms P]
 *   pantry-agent --config DIR/pantry-agent.conf --replay DIR/situation.trace
 *   pantryctl --config DIR/pantry-agent.conf history
 *
 * writes DIR/situation.trace (the samples, with the truth as annotations),
 * DIR/situation.truth (sensors/cond/scene.md) and DIR/pantry-agent.conf
 * (what test-situations runs: the shipped defaults; store, key and control
 * socket in DIR). --idle-ms is the fast mode's period where nothing changes,
 * 3000 by default (0: every sample, about 30 MB a day); the full rate lasts
 * the configured settle time and 20 s after every change. The household's
 * orders of delivery and shop-refill are in the truth file: a replay does not
 * place them (pantryctl order does, on a live daemon).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "tests/situations/situ.h"
#include "sensors/text.h"

static int
usage(void)
{
    fprintf(stderr, "usage: make-situation --kind KIND --seed N --dir DIR "
                    "[--idle-ms MS] [--platforms P]\n(see the comment at the top of "
                    "tests/situations/make-situation.c)\n");
    return 2;
}

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"kind", required_argument, NULL, 'k'},
        {"seed", required_argument, NULL, 's'},
        {"dir", required_argument, NULL, 'd'},
        {"idle-ms", required_argument, NULL, 'i'},
        {"platforms", required_argument, NULL, 'p'},
        {NULL, 0, NULL, 0},
    };
    static char text[8192];
    static struct agent_config cfg;
    struct cfg_errors errs;
    struct scene_config c;
    struct scene *s;
    int64_t seed = 1, idle = 3000, platforms = 0;
    int kind = -1, o;
    const char *dir = NULL;
    char path[1024];

    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        bool ok = true;
        switch (o) {
        case 'k':
            ok = (kind = scene_kind_from_str(optarg)) >= 0;
            break;
        case 's':
            ok = text_parse_uint(optarg, 18, false, &seed);
            break;
        case 'd':
            dir = optarg;
            break;
        case 'i':
            ok = text_parse_uint(optarg, 4, false, &idle);
            break;
        case 'p':
            ok = text_parse_uint(optarg, 1, false, &platforms);
            break;
        default:
            ok = false;
        }
        if (!ok)
            return usage();
    }
    if (dir == NULL || kind < 0)
        return usage();
    scene_config_default(&c, (enum scene_kind)kind, (uint64_t)seed);
    c.idle_period_ms = idle;
    c.platforms = (unsigned)platforms;
    if (scene_new(&c, &s) < 0) {
        fprintf(stderr,
                "make-situation: the scene refuses --idle-ms %lld or "
                "--platforms %lld (300..4500 or 0; 2..4 or 0)\n",
                (long long)idle, (long long)platforms);
        return 2;
    }
    int n = situ_config_text(s, dir, true, text, sizeof(text));
    scene_free(s);
    if (n < 0 || cfg_load_string(text, "pantry-agent.conf", &cfg, &errs) < 0) {
        fprintf(stderr, "make-situation: the configuration does not load: %s\n",
                errs.count > 0 ? errs.msg[0] : "too long");
        return 1;
    }
    c.busy_after_ms = cfg.items[0].cond.settle_ms + 20000;
    if (c.busy_after_ms > 30 * 60000)
        c.busy_after_ms = 30 * 60000;
    snprintf(path, sizeof(path), "%s/situation.trace", dir);
    FILE *trace = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/situation.truth", dir);
    FILE *truth = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/pantry-agent.conf", dir);
    FILE *conf = fopen(path, "w");
    if (trace == NULL || truth == NULL || conf == NULL) {
        fprintf(stderr, "make-situation: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    int r = scene_write(&c, trace, truth);
    if (r == 0 && fputs(text, conf) == EOF)
        r = -EIO;
    if (fclose(trace) != 0 || fclose(truth) != 0 || fclose(conf) != 0 || r < 0) {
        fprintf(stderr, "make-situation: writing into %s failed\n", dir);
        return 1;
    }
    return 0;
}
