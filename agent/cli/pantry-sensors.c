/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pantry-sensors: bring up the shelf's hardware before (or beside) the daemon.
 * `probe` lists the IIO load-cell devices the kernel shows; `read` prints live
 * readings; `record` writes a sample trace (sensors/cond/README.md) from live
 * load cells and buttons, for a bug report or a test; `calibrate` walks a person
 * through the two-point calibration and prints the setting for the
 * configuration. It reads the hardware directly, so stop the daemon first when
 * both would want the same GPIO lines.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <time.h>
#include <unistd.h>

#include "sensors/cond/calib.h"
#include "agent/cli/cli-util.h"
#include "sensors/clock.h"
#include "sensors/hw/evdev.h"
#include "sensors/hw/gpio.h"
#include "sensors/hw/hx711.h"
#include "sensors/hw/iio.h"
#include "sensors/sensor.h"
#include "sensors/text.h"
#include "sensors/cond/trace.h"
#include "agent/msg/utc.h"
#ifdef PANTRY_HAVE_GPIOD
#include "sensors/hw/gpio-gpiod.h"
#endif

#ifndef PANTRY_VERSION
#define PANTRY_VERSION "unknown"
#endif

#define ERRLEN 512

static const char usage_text[] =
    "Usage: pantry-sensors COMMAND [OPTIONS]\n"
    "\n"
    "Bring up a pantry shelf's load cells and buttons.\n"
    "\n"
    "Commands:\n"
    "  probe                 list IIO devices (the kernel hx711 driver) and their\n"
    "                        current readings, in counts\n"
    "  read                  print live readings of the load cells, in counts\n"
    "  record                write a sample trace of load cells and buttons\n"
    "  calibrate             two-point calibration of one load cell, guided\n"
    "\n"
    "Load cells (read, record, calibrate):\n"
    "  --iio DEVICE          an IIO device: its label, name or iio:deviceN\n"
    "  --input N             read in_voltageN_raw (repeatable; default 0)\n"
    "  --hx711 DOUT:SCK[:GAIN]  an HX711 on two GPIO lines (BCM numbers), gain\n"
    "                        128 (default), 64 or 32; repeatable, one per chip\n"
    "  --chip NAME           GPIO chip for --hx711 and --button-line\n"
    "                        (default gpiochip0)\n"
    "  --period-ms N         time between readings, 10..60000 (default 100)\n"
    "  --sysfs-root DIR      IIO devices folder (default /sys/bus/iio/devices)\n"
    "\n"
    "Buttons (record):\n"
    "  --evdev PATH          an input device (gpio-key overlay)\n"
    "  --key CODE            a key code of --evdev (repeatable; never 116)\n"
    "  --button-line N       a button on GPIO line N, to ground; its internal\n"
    "                        pull-up is turned on (repeatable)\n"
    "\n"
    "Other options:\n"
    "  --count N             read: stop after N rounds (default: until Ctrl-C)\n"
    "  --cal ZERO:SPAN_RAW:GRAMS  read: also print grams with this calibration\n"
    "  --output FILE         record: the trace file (required)\n"
    "  --seconds N           record: stop after N seconds (default: until Ctrl-C)\n"
    "  --note TEXT           record: an annotation at the start of the trace\n"
    "  --weight GRAMS        calibrate: the known weight (required), e.g. 500\n"
    "  --samples N           calibrate: readings per step, 5..10000 (default 50)\n"
    "  --max-spread GRAMS    calibrate: how much readings may vary while still\n"
    "                        (default 2)\n"
    "  --json                probe, calibrate: print JSON\n"
    "  -h, --help            show this help\n"
    "  -V, --version         show the version\n"
    "\n"
    "Counts are signed ADC counts, the same in probe, read and calibrate, and what\n"
    "calibration.zero and span_raw take (the hx711 driver's sysfs value 8388608\n"
    "is 0 counts).\n"
    "\n"
    "Exit status: 0 success, 1 a failure (a message says which), 2 bad usage.\n";

struct opts {
    const char *cmd;
    const char *iio_device;
    unsigned inputs[SENSOR_MAX_CHANNELS];
    size_t n_inputs;
    struct hx711_chip chips[SENSOR_MAX_CHANNELS];
    size_t n_chips;
    const char *chip;
    int64_t period_ms;
    const char *sysfs_root;
    const char *evdev;
    uint16_t keys[SENSOR_MAX_BUTTONS];
    size_t n_keys;
    unsigned lines[SENSOR_MAX_BUTTONS];
    size_t n_lines;
    int64_t count;
    bool have_cal;
    struct cond_cal cal;
    const char *output;
    int64_t seconds;
    const char *note;
    int64_t weight_mg;
    int64_t samples;
    int64_t max_spread_mg;
    bool json;
};

static volatile sig_atomic_t stop_requested;

static void
on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

/* "DOUT:SCK[:GAIN]" */
static bool
parse_hx711(const char *s, struct hx711_chip *c)
{
    char buf[32], *f[3] = {buf, NULL, NULL};
    int64_t dout, sck, gain = 128;
    size_t n = 1;

    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    for (char *p = buf; *p != '\0'; p++)
        if (*p == ':') {
            if (n == 3)
                return false;
            *p = '\0';
            f[n++] = p + 1;
        }
    if (n < 2 || !cli_parse_num(f[0], 0, 511, &dout) ||
        !cli_parse_num(f[1], 0, 511, &sck) || dout == sck ||
        (n == 3 && !cli_parse_num(f[2], 32, 128, &gain)) ||
        hx711_gain_pulses((unsigned)gain) < 0)
        return false;
    *c = (struct hx711_chip){(unsigned)dout, (unsigned)sck, (unsigned)gain};
    return true;
}

/* "ZERO:SPAN_RAW:GRAMS" */
static bool
parse_cal(const char *s, struct cond_cal *cal)
{
    char buf[64], *a, *b;
    int64_t zero, span, mg;

    if (strlen(s) >= sizeof(buf))
        return false;
    strcpy(buf, s);
    if ((a = strchr(buf, ':')) == NULL || (b = strchr(a + 1, ':')) == NULL)
        return false;
    *a++ = '\0';
    *b++ = '\0';
    if (!text_parse_int(buf, 8, &zero) || !text_parse_int(a, 9, &span) ||
        text_parse_grams(b, &mg) < 0 || zero < -8388608 || zero > 8388607)
        return false;
    return cond_cal_two_point(cal, (int32_t)zero, (int32_t)(zero + span), mg) == 0 &&
           span > -16777216 && span < 16777216;
}

enum {
    O_IIO = 256,
    O_INPUT,
    O_HX711,
    O_CHIP,
    O_PERIOD,
    O_SYSFS,
    O_EVDEV,
    O_KEY,
    O_LINE,
    O_COUNT,
    O_CAL,
    O_OUTPUT,
    O_SECONDS,
    O_NOTE,
    O_WEIGHT,
    O_SAMPLES,
    O_SPREAD,
    O_JSON,
};

static const struct option lopts[] = {
    {"iio", required_argument, NULL, O_IIO},
    {"input", required_argument, NULL, O_INPUT},
    {"hx711", required_argument, NULL, O_HX711},
    {"chip", required_argument, NULL, O_CHIP},
    {"period-ms", required_argument, NULL, O_PERIOD},
    {"sysfs-root", required_argument, NULL, O_SYSFS},
    {"evdev", required_argument, NULL, O_EVDEV},
    {"key", required_argument, NULL, O_KEY},
    {"button-line", required_argument, NULL, O_LINE},
    {"count", required_argument, NULL, O_COUNT},
    {"cal", required_argument, NULL, O_CAL},
    {"output", required_argument, NULL, O_OUTPUT},
    {"seconds", required_argument, NULL, O_SECONDS},
    {"note", required_argument, NULL, O_NOTE},
    {"weight", required_argument, NULL, O_WEIGHT},
    {"samples", required_argument, NULL, O_SAMPLES},
    {"max-spread", required_argument, NULL, O_SPREAD},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {NULL, 0, NULL, 0},
};

/* A load-cell or button option (those before O_COUNT): 0, or the exit status
 * after a message. */
static int
parse_hw_option(int c, struct opts *o)
{
    int64_t v;

    switch (c) {
    case O_IIO:
        if (o->iio_device != NULL)
            return cli_usage_error("%s: only one --iio device at a time", optarg);
        o->iio_device = optarg;
        return 0;
    case O_INPUT:
        if (o->n_inputs == SENSOR_MAX_CHANNELS || !cli_parse_num(optarg, 0, 255, &v))
            return cli_usage_error("--input: expected 0..255 (at most 16), found '%s'",
                                   optarg);
        o->inputs[o->n_inputs++] = (unsigned)v;
        return 0;
    case O_HX711:
        if (o->n_chips == SENSOR_MAX_CHANNELS ||
            !parse_hx711(optarg, &o->chips[o->n_chips]))
            return cli_usage_error("--hx711: expected DOUT:SCK[:GAIN] with two "
                                   "different lines and gain 128, 64 or 32, found '%s'",
                                   optarg);
        o->n_chips++;
        return 0;
    case O_CHIP:
        o->chip = optarg;
        return 0;
    case O_PERIOD:
        if (!cli_parse_num(optarg, 10, 60000, &o->period_ms))
            return cli_usage_error("--period-ms: expected 10..60000, found '%s'",
                                   optarg);
        return 0;
    case O_SYSFS:
        o->sysfs_root = optarg;
        return 0;
    case O_EVDEV:
        o->evdev = optarg;
        return 0;
    case O_KEY:
        if (o->n_keys == SENSOR_MAX_BUTTONS || !cli_parse_num(optarg, 1, 767, &v))
            return cli_usage_error("--key: expected a key code 1..767 (at most 16), "
                                   "found '%s'",
                                   optarg);
        o->keys[o->n_keys++] = (uint16_t)v;
        return 0;
    case O_LINE:
        if (o->n_lines == SENSOR_MAX_BUTTONS || !cli_parse_num(optarg, 0, 511, &v))
            return cli_usage_error("--button-line: expected a line 0..511 (at most "
                                   "16), found '%s'",
                                   optarg);
        o->lines[o->n_lines++] = (unsigned)v;
        return 0;
    default:
        return 2;
    }
}

/* An option of one command (O_COUNT on): 0, or the exit status after a message. */
static int
parse_run_option(int c, struct opts *o)
{
    switch (c) {
    case O_COUNT:
        if (!cli_parse_num(optarg, 1, INT64_C(1000000000), &o->count))
            return cli_usage_error("--count: expected a positive number, found '%s'",
                                   optarg);
        return 0;
    case O_CAL:
        if (!parse_cal(optarg, &o->cal))
            return cli_usage_error("--cal: expected ZERO:SPAN_RAW:GRAMS (counts, "
                                   "non-zero counts, grams), found '%s'",
                                   optarg);
        o->have_cal = true;
        return 0;
    case O_OUTPUT:
        o->output = optarg;
        return 0;
    case O_SECONDS:
        if (!cli_parse_num(optarg, 1, INT64_C(31536000), &o->seconds))
            return cli_usage_error("--seconds: expected 1..31536000, found '%s'",
                                   optarg);
        return 0;
    case O_NOTE:
        o->note = optarg;
        return 0;
    case O_WEIGHT:
        if (text_parse_grams(optarg, &o->weight_mg) < 0 || o->weight_mg == 0)
            return cli_usage_error("--weight: expected grams such as 500 or 499.5, "
                                   "found '%s'",
                                   optarg);
        return 0;
    case O_SAMPLES:
        if (!cli_parse_num(optarg, 5, 10000, &o->samples))
            return cli_usage_error("--samples: expected 5..10000, found '%s'", optarg);
        return 0;
    case O_SPREAD:
        if (text_parse_grams(optarg, &o->max_spread_mg) < 0)
            return cli_usage_error("--max-spread: expected grams, found '%s'", optarg);
        return 0;
    case O_JSON:
        o->json = true;
        return 0;
    default:
        return 2;
    }
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
    int c, r;

    *o = (struct opts){.chip = "gpiochip0",
                       .period_ms = 100,
                       .count = -1,
                       .seconds = -1,
                       .samples = 50,
                       .max_spread_mg = 2000};
    while ((c = getopt_long(argc, argv, "hV", lopts, NULL)) != -1) {
        if (c == 'h') {
            fputs(usage_text, stdout);
            exit(0);
        }
        if (c == 'V') {
            printf("pantry-sensors %s\n", PANTRY_VERSION);
            exit(0);
        }
        r = c < O_COUNT ? parse_hw_option(c, o) : parse_run_option(c, o);
        if (r != 0)
            return r;
    }
    if (optind != argc - 1)
        return cli_usage_error("%s", optind >= argc ? "expected a command"
                                                    : "expected one command");
    o->cmd = argv[optind];
    return 0;
}

/* ---- sources ---- */

static int
open_cells(const struct opts *o, struct sample_source **out)
{
    char err[ERRLEN];
    int r;

    *out = NULL;
    if ((o->iio_device != NULL) == (o->n_chips > 0)) {
        fprintf(stderr, "pantry-sensors: give the load cells as --iio DEVICE or as "
                        "--hx711 DOUT:SCK (one kind)\n");
        return -EINVAL;
    }
    if (o->iio_device != NULL) {
        struct iio_config c = {.sysfs_root = o->sysfs_root,
                               .device = o->iio_device,
                               .n_channels = o->n_inputs ? o->n_inputs : 1,
                               .period_ms = o->period_ms};
        memcpy(c.channels, o->inputs, sizeof(c.channels));
        r = iio_new(&c, out, err, sizeof(err));
    } else {
#ifdef PANTRY_HAVE_GPIOD
        struct hx711_config c = {.n_chips = o->n_chips,
                                 .period_ms = o->period_ms,
                                 .timeout_ms = 1000,
                                 .max_tries = 3};
        struct gpio_seam seam;
        memcpy(c.chips, o->chips, sizeof(c.chips));
        r = gpio_seam_gpiod_open(o->chip, "pantry-sensors", clock_mono_us_cb, NULL,
                                 &seam, err, sizeof(err));
        if (r == 0)
            r = hx711_new(&c, seam, out, err, sizeof(err));
#else
        r = text_error(err, sizeof(err),
                       "--hx711 needs libgpiod, and this build has "
                       "none (rebuild with -Dgpiod=enabled)");
#endif
    }
    if (r < 0)
        fprintf(stderr, "pantry-sensors: %s\n", err);
    return r;
}

static int
open_buttons(const struct opts *o, struct sample_source **out)
{
    char err[ERRLEN];
    int r = 0;

    *out = NULL;
    if (o->evdev != NULL && o->n_lines > 0) {
        fprintf(stderr, "pantry-sensors: give buttons as --evdev or as --button-line, "
                        "not both\n");
        return -EINVAL;
    }
    if ((o->evdev != NULL) != (o->n_keys > 0)) {
        fprintf(stderr, "pantry-sensors: --evdev needs at least one --key, and --key "
                        "needs --evdev\n");
        return -EINVAL;
    }
    if (o->evdev != NULL) {
        struct evdev_config c = {.path = o->evdev, .n_keys = o->n_keys};
        memcpy(c.keycodes, o->keys, sizeof(c.keycodes));
        r = evdev_new(&c, out, err, sizeof(err));
    } else if (o->n_lines > 0) {
#ifdef PANTRY_HAVE_GPIOD
        struct gpio_buttons_config c = {
            .n_lines = o->n_lines, .active_low = true, .poll_ms = 10};
        struct gpio_seam seam;
        memcpy(c.lines, o->lines, sizeof(c.lines));
        r = gpio_seam_gpiod_open(o->chip, "pantry-sensors", clock_mono_us_cb, NULL,
                                 &seam, err, sizeof(err));
        if (r == 0)
            r = gpio_buttons_new(&c, seam, out, err, sizeof(err));
#else
        r = text_error(err, sizeof(err),
                       "--button-line needs libgpiod, and this build "
                       "has none (rebuild with -Dgpiod=enabled)");
#endif
    }
    if (r < 0)
        fprintf(stderr, "pantry-sensors: %s\n", err);
    return r;
}

/*
 * Sleep until the earliest due time of the sources, or until one of their fds is
 * readable, or a signal. Times are wall-clock ms (what samples are dated with);
 * the wait itself is poll()'s relative timeout.
 */
static void
wait_due(struct sample_source *const *srcs, size_t n, int64_t now_ms)
{
    struct pollfd pfd[2];
    int64_t due = INT64_MAX;
    nfds_t nfd = 0;

    for (size_t i = 0; i < n; i++) {
        if (srcs[i] == NULL)
            continue;
        if (srcs[i]->ops->next_due_ms != NULL) {
            int64_t d = srcs[i]->ops->next_due_ms(srcs[i], now_ms);
            if (d < due)
                due = d;
        }
        if (srcs[i]->ops->poll_fd != NULL && srcs[i]->ops->poll_fd(srcs[i]) >= 0)
            pfd[nfd++] =
                (struct pollfd){.fd = srcs[i]->ops->poll_fd(srcs[i]), .events = POLLIN};
    }
    int64_t wait = due == INT64_MAX ? 1000 : due - now_ms;
    if (wait < 0)
        wait = 0;
    if (wait > 1000)
        wait = 1000;
    poll(pfd, nfd, (int)wait);
}

/* ---- probe ---- */

static bool
read_attr(const char *dir, const char *attr, char *buf, size_t len)
{
    char path[1024];
    FILE *f;
    size_t n;

    snprintf(path, sizeof(path), "%s/%s", dir, attr);
    if ((f = fopen(path, "r")) == NULL)
        return false;
    n = fread(buf, 1, len - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
        buf[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (buf[i] < 0x20 || buf[i] > 0x7e)
            buf[i] = '?';
    return true;
}

/* What probe's and read's numbers are, printed after them. */
static const char counts_note[] =
    "counts: signed ADC counts, the numbers read prints and calibration.zero and\n"
    "span_raw are in (the hx711 driver's sysfs value 8388608 is 0 counts)\n";

static int
cmd_probe(const struct opts *o)
{
    const char *root = o->sysfs_root ? o->sysfs_root : IIO_SYSFS_ROOT;
    struct dirent **ents;
    int n = scandir(root, &ents, NULL, alphasort), found = 0;

    if (n < 0) {
        fprintf(stderr,
                "pantry-sensors: %s: %s (no IIO devices: is the hx711 "
                "overlay loaded? see sensors/WIRING.md)\n",
                root, strerror(errno));
        return 1;
    }
    if (o->json)
        printf("[");
    for (int i = 0; i < n; i++) {
        char dir[1024], name[64] = "", label[64] = "";
        if (strncmp(ents[i]->d_name, "iio:device", 10) != 0)
            continue;
        snprintf(dir, sizeof(dir), "%s/%s", root, ents[i]->d_name);
        read_attr(dir, "name", name, sizeof(name));
        read_attr(dir, "label", label, sizeof(label));
        if (o->json)
            printf("%s{\"device\":\"%s\",\"name\":\"%s\",\"label\":\"%s\",\"inputs\":[",
                   found ? "," : "", ents[i]->d_name, name, label);
        else
            printf("%s  name=%s%s%s\n", ents[i]->d_name, name[0] ? name : "?",
                   label[0] ? "  label=" : "", label);
        /* Counts as the daemon's samples carry them (iio_counts()), not the
         * sysfs text: the hx711 driver's offset binary would be a second space
         * of numbers beside those of read and calibration.zero. */
        bool offset_binary = strcmp(name, IIO_HX711_NAME) == 0;
        for (unsigned in = 0, k = 0; in < 8; in++) {
            char attr[32], text[64];
            int32_t counts = 0;
            snprintf(attr, sizeof(attr), "in_voltage%u_raw", in);
            if (!read_attr(dir, attr, text, sizeof(text)))
                continue;
            enum sample_status st =
                iio_counts(text, strlen(text), offset_binary, &counts);
            if (o->json && st == SAMPLE_OK)
                printf("%s{\"input\":%u,\"counts\":%" PRId32 "}", k++ ? "," : "", in,
                       counts);
            else if (o->json)
                printf("%s{\"input\":%u,\"status\":\"%s\"}", k++ ? "," : "", in,
                       sample_status_to_str(st));
            else if (st == SAMPLE_OK)
                printf("  in_voltage%u_raw: %" PRId32 " counts\n", in, counts);
            else
                printf("  in_voltage%u_raw: %s\n", in, sample_status_to_str(st));
        }
        if (o->json)
            printf("]}");
        found++;
    }
    for (int i = 0; i < n; i++)
        free(ents[i]);
    free(ents);
    if (o->json)
        printf("]\n");
    else if (found == 0)
        printf("no IIO devices under %s: is the hx711 overlay loaded? "
               "(see sensors/WIRING.md)\n",
               root);
    else
        printf("%s", counts_note);
    return 0;
}

/* ---- read ---- */

static void
print_sample(const struct opts *o, const struct sample *s)
{
    char t[32];
    utc_format(s->t_ms / 1000, t, sizeof(t));
    printf("%s.%03d ch%u ", t, (int)(s->t_ms % 1000), s->channel);
    if (s->status != SAMPLE_OK) {
        printf("%s\n", sample_status_to_str(s->status));
        return;
    }
    printf("%8" PRId32 " counts", s->raw);
    if (o->have_cal) {
        int64_t mg = cond_cal_mg(&o->cal, s->raw);
        printf("  %s%" PRId64 ".%03" PRId64 " g", mg < 0 ? "-" : "",
               (mg < 0 ? -mg : mg) / 1000, (mg < 0 ? -mg : mg) % 1000);
    }
    printf("\n");
}

static int
cmd_read(const struct opts *o)
{
    struct sample_source *cells;
    struct sample s[SENSOR_MAX_CHANNELS];
    int64_t rounds = 0;
    int rc = 0;

    if (open_cells(o, &cells) < 0)
        return 1;
    while (!stop_requested && (o->count < 0 || rounds < o->count)) {
        int64_t now = clock_wall_ms();
        int n = cells->ops->read_samples(cells, now, s, SENSOR_MAX_CHANNELS);
        if (n < 0) {
            fprintf(stderr, "pantry-sensors: reading failed: %s\n", strerror(-n));
            rc = 1;
            break;
        }
        for (int i = 0; i < n; i++)
            print_sample(o, &s[i]);
        if (n > 0) {
            rounds++;
            fflush(stdout);
        }
        wait_due(&cells, 1, clock_wall_ms());
    }
    sample_source_free(cells);
    return rc;
}

/* ---- record ---- */

/*
 * Buttons and load cells are two sources on two clocks (event timestamps and
 * read times), so an edge can be dated a few ms before a sample already
 * written. The trace must not go back in time: such an edge is written at the
 * last written time, and the file says so in its header notes.
 */
static int
record_edges(struct trace_writer *w, struct sample_source *b, int64_t now)
{
    struct button_edge e[64];
    int n = b->ops->read_edges(b, now, e, 64);

    for (int i = 0; i < n; i++) {
        if (e[i].t_ms < w->state.last_t_ms)
            e[i].t_ms = w->state.last_t_ms;
        if (trace_write_edge(w, &e[i]) < 0)
            return -EIO;
    }
    return n;
}

static int
cmd_record(const struct opts *o)
{
    struct sample_source *src[2] = {NULL, NULL};
    struct trace_writer w;
    FILE *f = NULL;
    char name[32];
    int rc = 1, r;
    int64_t start, last_flush;

    if (o->output == NULL)
        return cli_usage_error("%s", "record: --output FILE is required");
    if (open_cells(o, &src[0]) < 0 || open_buttons(o, &src[1]) < 0)
        goto out;
    if ((f = fopen(o->output, "wx")) == NULL) {
        fprintf(stderr, "pantry-sensors: %s: %s%s\n", o->output, strerror(errno),
                errno == EEXIST ? " (not overwritten: choose another name)" : "");
        goto out;
    }
    start = last_flush = clock_wall_ms();
    trace_writer_init(&w, f);
    size_t nch = o->iio_device ? (o->n_inputs ? o->n_inputs : 1) : o->n_chips;
    for (size_t i = 0; i < nch; i++) {
        snprintf(name, sizeof(name), "cell%zu", i);
        trace_write_channel(&w, (unsigned)i, name);
    }
    for (size_t i = 0; i < (o->evdev ? o->n_keys : o->n_lines); i++) {
        snprintf(name, sizeof(name), "button%zu", i);
        trace_write_button(&w, (unsigned)i, name);
    }
    trace_write_note(&w, start, "recorded by pantry-sensors " PANTRY_VERSION);
    if (src[1] != NULL)
        trace_write_note(&w, start,
                         "button edges are never dated before the last "
                         "sample written");
    if (o->note != NULL && trace_write_note(&w, start, o->note) < 0) {
        fprintf(stderr, "pantry-sensors: --note: 1..200 printable ASCII characters\n");
        goto out;
    }
    fprintf(stderr, "recording to %s; Ctrl-C stops\n", o->output);
    while (!stop_requested &&
           (o->seconds < 0 || clock_wall_ms() - start < o->seconds * 1000)) {
        int64_t now = clock_wall_ms();
        if (src[1] != NULL && (r = record_edges(&w, src[1], now)) < 0)
            break;
        if ((r = trace_record_due(&w, src[0], now)) < 0) {
            fprintf(stderr, "pantry-sensors: recording failed: %s\n", strerror(-r));
            goto out;
        }
        /* At most a second of readings is lost if the Pi loses power. */
        if (now - last_flush >= 1000) {
            trace_writer_flush(&w);
            last_flush = now;
        }
        wait_due(src, 2, clock_wall_ms());
    }
    if (trace_writer_flush(&w) < 0 || fsync(fileno(f)) < 0) {
        fprintf(stderr, "pantry-sensors: %s: write failed\n", o->output);
        goto out;
    }
    fprintf(stderr, "%s: %lld lines\n", o->output, (long long)w.state.line_no);
    rc = 0;
out:
    if (f != NULL && fclose(f) != 0)
        rc = 1;
    sample_source_free(src[0]);
    sample_source_free(src[1]);
    return rc;
}

/* ---- calibrate ---- */

static bool
prompt(const char *text)
{
    char line[256];

    fputs(text, stderr);
    fflush(stderr);
    return fgets(line, sizeof(line), stdin) != NULL;
}

static int
collect(struct sample_source *cells, int64_t samples, struct calib_avg *a)
{
    struct sample s[SENSOR_MAX_CHANNELS];

    calib_avg_init(a);
    while (!stop_requested && (int64_t)a->n + a->bad < samples) {
        int n =
            cells->ops->read_samples(cells, clock_wall_ms(), s, SENSOR_MAX_CHANNELS);
        if (n < 0)
            return n;
        for (int i = 0; i < n; i++)
            if (s[i].channel == 0)
                calib_avg_add(a, &s[i]);
        wait_due(&cells, 1, clock_wall_ms());
    }
    return stop_requested ? -EINTR : 0;
}

static int
cmd_calibrate(const struct opts *o)
{
    struct sample_source *cells = NULL;
    struct calib_avg tare, known;
    struct cond_cal cal;
    int64_t spread;
    char err[ERRLEN], line[160];
    int rc = 1, r;

    if (o->weight_mg == 0)
        return cli_usage_error("%s", "calibrate: --weight GRAMS is required");
    if ((o->iio_device && o->n_inputs > 1) || o->n_chips > 1)
        return cli_usage_error("%s", "calibrate: one load cell at a time");
    if (open_cells(o, &cells) < 0)
        goto out;
    snprintf(line, sizeof(line),
             "Step 1 of 2: take everything off the platform (leave it as it will "
             "be used), keep still, and press Enter. ");
    if (!prompt(line))
        goto eof;
    if ((r = collect(cells, o->samples, &tare)) < 0)
        goto failed;
    fprintf(stderr, "  %u readings, %u faulty\n", tare.n, tare.bad);
    snprintf(line, sizeof(line),
             "Step 2 of 2: put the known weight of %" PRId64 ".%03" PRId64
             " g in the middle of the platform, let go, and press Enter. ",
             o->weight_mg / 1000, o->weight_mg % 1000);
    if (!prompt(line))
        goto eof;
    if ((r = collect(cells, o->samples, &known)) < 0)
        goto failed;
    fprintf(stderr, "  %u readings, %u faulty\n", known.n, known.bad);
    if (calib_finish(&tare, &known, o->weight_mg, o->max_spread_mg, &cal, &spread, err,
                     sizeof(err)) < 0) {
        fprintf(stderr, "pantry-sensors: calibration failed: %s\n", err);
        goto out;
    }
    if (o->json)
        printf("{\"zero\":%" PRId32 ",\"span_raw\":%" PRId32 ",\"span_mg\":%" PRId64
               ",\"spread_mg\":%" PRId64 "}\n",
               cal.raw_zero, cal.span_raw, cal.span_mg, spread);
    else
        printf("# noise while still: %" PRId64 " mg (max - min)\n"
               "calibration = { zero = %" PRId32 "; span_raw = %" PRId32
               "; span = %" PRId64 ".%03" PRId64 "; };\n",
               spread, cal.raw_zero, cal.span_raw, cal.span_mg / 1000,
               cal.span_mg % 1000);
    rc = 0;
    goto out;
failed:
    fprintf(stderr, "pantry-sensors: %s\n", r == -EINTR ? "interrupted" : strerror(-r));
    goto out;
eof:
    fprintf(stderr, "\npantry-sensors: calibration abandoned (end of input)\n");
out:
    sample_source_free(cells);
    return rc;
}

int
main(int argc, char **argv)
{
    struct opts o;
    struct sigaction sa = {.sa_handler = on_signal};
    int r;

    cli_set_prog("pantry-sensors");
    r = parse_args(argc, argv, &o);
    if (r != 0)
        return r;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (strcmp(o.cmd, "probe") == 0)
        return cmd_probe(&o);
    if (strcmp(o.cmd, "read") == 0)
        return cmd_read(&o);
    if (strcmp(o.cmd, "record") == 0)
        return cmd_record(&o);
    if (strcmp(o.cmd, "calibrate") == 0)
        return cmd_calibrate(&o);
    return cli_usage_error("unknown command '%s'", o.cmd);
}
