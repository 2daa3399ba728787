/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The backends against real hardware, where there is some (suite 'hardware'):
 * an IIO hx711 (PANTRY_TEST_IIO_DEVICE, a label or name, default "hx711"), a
 * GPIO chip through libgpiod (PANTRY_TEST_GPIOCHIP, default "gpiochip0") and an
 * evdev device (PANTRY_TEST_EVDEV, a path, with PANTRY_TEST_EVDEV_KEY). Each
 * part is skipped when its device is absent; with none present the test exits
 * 77. Nothing is pressed or loaded: it checks that what comes back is well
 * formed, not what it is.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sensors/hw/evdev.h"
#include "tests/harness.h"
#include "sensors/hw/iio.h"
#ifdef PANTRY_HAVE_GPIOD
#include "sensors/hw/gpio-gpiod.h"
#endif

static int exercised;

static const char *
env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

static void
test_iio(void)
{
    struct iio_config cfg = {.device = env_or("PANTRY_TEST_IIO_DEVICE", "hx711"),
                             .n_channels = 1,
                             .channels = {0},
                             .period_ms = 100};
    struct sample_source *s = NULL;
    struct sample out[1];
    char err[300] = "";
    int r = iio_new(&cfg, &s, err, sizeof(err));

    if (r == -ENOENT) {
        printf("# no IIO device '%s': %s\n", cfg.device, err);
        return;
    }
    exercised++;
    CHECK_MSG(r == 0, "%d %s", r, err);
    if (s == NULL)
        return;
    /* The driver may take up to ~1 s for a conversion. */
    CHECK_EQ_I64(s->ops->read_samples(s, 0, out, 1), 1);
    printf("# %s channel 0: %s %d\n", cfg.device, sample_status_to_str(out[0].status),
           out[0].raw);
    CHECK(out[0].status <= SAMPLE_INVALID);
    CHECK(out[0].raw >= -8388608 && out[0].raw <= 8388607);
    sample_source_free(s);
}

#ifdef PANTRY_HAVE_GPIOD
static int64_t
mono_us(void *ctx)
{
    struct timespec ts;

    (void)ctx;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
#endif

static void
test_gpiochip(void)
{
#ifdef PANTRY_HAVE_GPIOD
    const char *chip = env_or("PANTRY_TEST_GPIOCHIP", "gpiochip0");
    struct gpio_seam seam;
    char err[300] = "";
    int r = gpio_seam_gpiod_open(chip, "pantry-test", mono_us, NULL, &seam, err,
                                 sizeof(err));

    if (r == -ENOENT || r == -ENODEV) {
        printf("# no GPIO chip '%s': %s\n", chip, err);
        return;
    }
    exercised++;
    CHECK_MSG(r == 0, "%d %s", r, err);
    if (r == 0) {
        CHECK(seam.ops->now_us(seam.ctx) > 0);
        seam.ops->release(seam.ctx);
    }
#else
    printf("# built without libgpiod\n");
#endif
}

static void
test_evdev(void)
{
    const char *path = getenv("PANTRY_TEST_EVDEV");
    struct evdev_config cfg = {.path = path, .n_keys = 1};
    struct sample_source *s = NULL;
    struct button_edge out[SENSOR_MAX_BUTTONS];
    char err[300] = "";

    if (path == NULL || path[0] == '\0') {
        printf("# PANTRY_TEST_EVDEV not set\n");
        return;
    }
    exercised++;
    cfg.keycodes[0] = (uint16_t)atoi(env_or("PANTRY_TEST_EVDEV_KEY", "59"));
    CHECK_MSG(evdev_new(&cfg, &s, err, sizeof(err)) == 0, "%s", err);
    if (s == NULL)
        return;
    CHECK(s->ops->read_edges(s, 0, out, SENSOR_MAX_BUTTONS) >= 0);
    sample_source_free(s);
}

int
main(void)
{
    RUN(test_iio);
    RUN(test_gpiochip);
    RUN(test_evdev);
    if (exercised == 0 && th_failures == 0) {
        printf("# no hardware here: skipped\n");
        return 77;
    }
    return th_done();
}
