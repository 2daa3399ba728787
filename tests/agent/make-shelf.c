/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * make-shelf: a simulated shelf for the daemon's replays (the demo and the
 * end-to-end tests). Runs the household simulator (sensors/cond/sim.h) and
 * writes the sample trace, its true stock events, and a configuration for
 * pantry-agent whose channels, items and calibrations match the simulated
 * shelf, so `pantry-agent --config CONF --replay TRACE` replays it.
 *
 *   make-shelf --seed N --days D --channels C --dir DIR [--mode auto|confirm]
 *              [--lead 2d] [--uses U (default 1 a day)] [--idle-ms 2000]
 *              [--start YYYY-MM-DD (default 2026-10-01)]
 *
 * writes DIR/shelf.trace, DIR/shelf.truth and DIR/pantry-agent.conf (store and
 * control socket inside DIR).
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sensors/cond/sim.h"
#include "sensors/text.h"
#include "agent/msg/utc.h"

static const char *const names[] = {
    "rice", "coffee", "flour",     "sugar", "oats",   "lentils", "pasta",  "tea",
    "salt", "beans",  "detergent", "cocoa", "muesli", "polenta", "quinoa", "couscous",
};

int
main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"seed", required_argument, NULL, 's'},
        {"days", required_argument, NULL, 'd'},
        {"channels", required_argument, NULL, 'c'},
        {"dir", required_argument, NULL, 'o'},
        {"mode", required_argument, NULL, 'm'},
        {"lead", required_argument, NULL, 'l'},
        {"uses", required_argument, NULL, 'u'},
        {"idle-ms", required_argument, NULL, 'i'},
        {"start", required_argument, NULL, 'S'},
        {NULL, 0, NULL, 0},
    };
    int64_t seed = 1, days = 30, channels = 4, uses = 0, idle = 2000;
    /* Midnight UTC, 2026-10-01, so dates in the tests are readable. */
    int64_t start_s = INT64_C(1790812800);
    char day[32];
    const char *dir = NULL, *mode = "auto", *lead = "2d";
    struct sim_config sc;
    char path[1024];
    int c;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        bool ok = true;
        switch (c) {
        case 's':
            ok = text_parse_uint(optarg, 18, false, &seed);
            break;
        case 'd':
            ok = text_parse_uint(optarg, 6, false, &days) && days >= 1;
            break;
        case 'c':
            ok = text_parse_uint(optarg, 2, false, &channels) && channels >= 1 &&
                 channels <= 16;
            break;
        case 'o':
            dir = optarg;
            break;
        case 'm':
            mode = optarg;
            break;
        case 'l':
            lead = optarg;
            break;
        case 'u':
            ok = text_parse_uint(optarg, 3, false, &uses) && uses >= 1;
            break;
        case 'i':
            ok = text_parse_uint(optarg, 6, false, &idle);
            break;
        case 'S':
            ok = strlen(optarg) == 10 &&
                 snprintf(day, sizeof(day), "%sT00:00:00Z", optarg) > 0 &&
                 utc_parse(day, &start_s) == 0;
            break;
        default:
            ok = false;
        }
        if (!ok) {
            fprintf(stderr, "make-shelf: bad option (see the comment at the top of "
                            "tests/agent/make-shelf.c)\n");
            return 2;
        }
    }
    if (dir == NULL) {
        fprintf(stderr, "make-shelf: --dir is required\n");
        return 2;
    }
    sim_config_default(&sc, (uint64_t)seed, days, (unsigned)channels);
    sc.start_ms = start_s * 1000;
    sc.idle_period_ms = idle;
    /* A 1 kg pack used about once a day lasts two weeks: a household's pace. */
    sc.pack_mg = 1000000;
    sc.uses_per_day = uses > 0 ? uses : 1;
    snprintf(path, sizeof(path), "%s/shelf.trace", dir);
    FILE *trace = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/shelf.truth", dir);
    FILE *truth = fopen(path, "w");
    snprintf(path, sizeof(path), "%s/pantry-agent.conf", dir);
    FILE *conf = fopen(path, "w");
    if (trace == NULL || truth == NULL || conf == NULL) {
        fprintf(stderr, "make-shelf: %s: %s\n", dir, strerror(errno));
        return 1;
    }
    if (sim_write(&sc, trace, truth) < 0) {
        fprintf(stderr, "make-shelf: the simulation failed\n");
        return 1;
    }
    struct sim *s;
    if (sim_new(&sc, &s) < 0)
        return 1;
    fprintf(conf,
            "# A simulated shelf (tests/agent/make-shelf.c, seed %" PRId64 ", %" PRId64
            " days)\n"
            "device_id = \"demo-pi\";\n"
            "store_path = \"%s/pantry.db\";\n"
            "key_path = \"%s/device.key\";\n"
            "control_socket = \"%s/control.sock\";\n"
            "cancel_window = \"15m\";\n"
            "# The simulated household refills on its own schedule, not when a\n"
            "# delivery comes: give orders a month before they expire.\n"
            "order_expiry = \"30d\";\n"
            "channels = (\n",
            seed, days, dir, dir, dir);
    for (int64_t i = 0; i < channels; i++)
        fprintf(conf,
                "  { name = \"%s\"; index = %" PRId64 "; iio = { device = "
                "\"shelf-%s\"; input = 0; }; }%s\n",
                names[i], i, names[i], i + 1 < channels ? "," : "");
    fprintf(conf, ");\nitems = (\n");
    for (int64_t i = 0; i < channels; i++) {
        struct cond_cal cal;
        sim_cal(s, (unsigned)i, &cal);
        fprintf(conf,
                "  { id = \"%s\"; channel = \"%s\"; pack = %" PRId64 ".%03" PRId64
                "; container = %" PRId64 ".%03" PRId64 "; mode = \"%s\"; lead = \"%s\";"
                " price = 3.49;\n"
                "    calibration = { zero = %" PRId32 "; span_raw = %" PRId32
                "; span = %" PRId64 ".%03" PRId64 "; };\n"
                "    conditioning = { nodata = \"%" PRId64 "ms\"; }; }%s\n",
                names[i], names[i], sc.pack_mg / 1000, sc.pack_mg % 1000,
                sc.container_mg / 1000, sc.container_mg % 1000, mode, lead,
                cal.raw_zero, cal.span_raw, cal.span_mg / 1000, cal.span_mg % 1000,
                (idle > 5000 ? idle : 5000) + 3000, i + 1 < channels ? "," : "");
    }
    fprintf(conf, ");\n");
    sim_free(s);
    if (fclose(trace) != 0 || fclose(truth) != 0 || fclose(conf) != 0) {
        fprintf(stderr, "make-shelf: write failed\n");
        return 1;
    }
    return 0;
}
