/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The evdev source reading struct input_event from a FIFO the test writes to:
 * key mapping, autorepeat and foreign events ignored, timestamps from the
 * events, a record split across writes, a SYN_DROPPED burst, and the
 * configuration checks (KEY_POWER refused).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sensors/hw/evdev.h"
#include "tests/harness.h"

static char dir[256], fifo[300];

static struct input_event
ev(int64_t sec, int64_t usec, unsigned type, unsigned code, int value)
{
    struct input_event e;

    memset(&e, 0, sizeof(e));
    e.input_event_sec = sec;
    e.input_event_usec = usec;
    e.type = (uint16_t)type;
    e.code = (uint16_t)code;
    e.value = value;
    return e;
}

static void
write_all(int fd, const void *p, size_t n)
{
    CHECK_EQ_I64(write(fd, p, n), (int64_t)n);
}

static void
test_fifo(void)
{
    struct evdev_config cfg = {.path = fifo, .n_keys = 2, .keycodes = {59, 60}};
    struct sample_source *s = NULL;
    struct button_edge out[SENSOR_MAX_BUTTONS];
    char err[256] = "";
    int wfd;

    CHECK_MSG(evdev_new(&cfg, &s, err, sizeof(err)) == 0, "%s", err);
    if (s == NULL)
        return;
    wfd = open(fifo, O_WRONLY | O_NONBLOCK);
    CHECK(wfd >= 0);
    CHECK(strcmp(s->ops->name, "evdev") == 0);
    CHECK(s->ops->poll_fd(s) >= 0);
    CHECK(fcntl(s->ops->poll_fd(s), F_GETFL) & O_NONBLOCK);
    CHECK_EQ_I64(s->ops->next_due_ms(s, 5), INT64_MAX);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 0); /* nothing queued */

    const struct input_event seq[] = {
        ev(1700000000, 250000, EV_KEY, 59, 1),
        ev(1700000000, 250000, EV_SYN, SYN_REPORT, 0),
        ev(1700000000, 750000, EV_KEY, 59, 2), /* autorepeat */
        ev(1700000000, 800000, EV_MSC, MSC_SCAN, 59),
        ev(1700000000, 800000, EV_KEY, 30, 1), /* KEY_A: not ours */
        ev(1700000001, 1999, EV_KEY, 60, 1),
        ev(1700000001, 999999, EV_KEY, 59, 0),
        ev(1700000001, 999999, EV_SYN, SYN_REPORT, 0),
    };
    write_all(wfd, seq, sizeof(seq));
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 1), -ENOBUFS);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 3);
    CHECK_EQ_I64(out[0].t_ms, INT64_C(1700000000250));
    CHECK_EQ_I64(out[0].button, 0);
    CHECK_EQ_I64(out[0].pressed, 1);
    CHECK_EQ_I64(out[1].t_ms, INT64_C(1700000001001)); /* 1999 us: 1 ms */
    CHECK_EQ_I64(out[1].button, 1);
    CHECK_EQ_I64(out[1].pressed, 1);
    CHECK_EQ_I64(out[2].t_ms, INT64_C(1700000001999));
    CHECK_EQ_I64(out[2].button, 0);
    CHECK_EQ_I64(out[2].pressed, 0);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 0);

    /* Only 2 fit (max >= n_keys): the rest stays queued for the next call. */
    const struct input_event four[] = {
        ev(10, 0, EV_KEY, 59, 1),
        ev(11, 0, EV_KEY, 59, 0),
        ev(12, 0, EV_KEY, 60, 0),
        ev(13, 0, EV_KEY, 60, 1),
    };
    write_all(wfd, four, sizeof(four));
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 2), 2);
    CHECK_EQ_I64(out[1].t_ms, 11000);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 2), 2);
    CHECK_EQ_I64(out[0].t_ms, 12000);
    CHECK_EQ_I64(out[1].pressed, 1);

    /* One record in two writes. */
    struct input_event split = ev(20, 500000, EV_KEY, 60, 0);
    write_all(wfd, &split, 5);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 0);
    write_all(wfd, (const char *)&split + 5, sizeof(split) - 5);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 1);
    CHECK_EQ_I64(out[0].t_ms, 20500);
    CHECK_EQ_I64(out[0].pressed, 0);

    /* After SYN_DROPPED, events up to SYN_REPORT are not to be trusted. */
    const struct input_event drop[] = {
        ev(30, 0, EV_SYN, SYN_DROPPED, 0),
        ev(30, 1000, EV_KEY, 59, 1),
        ev(30, 2000, EV_SYN, SYN_REPORT, 0),
        ev(31, 0, EV_KEY, 60, 1),
    };
    write_all(wfd, drop, sizeof(drop));
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 1);
    CHECK_EQ_I64(out[0].t_ms, 31000);
    CHECK_EQ_I64(out[0].button, 1);

    /* The writer goes away: no error, nothing to read. */
    close(wfd);
    CHECK_EQ_I64(s->ops->read_edges(s, 0, out, 16), 0);
    sample_source_free(s);
}

static void
test_config(void)
{
    struct evdev_config cfg = {.path = fifo, .n_keys = 3, .keycodes = {59, 116, 60}};
    struct sample_source *s = (struct sample_source *)1;
    char err[256] = "";

    CHECK_EQ_I64(evdev_new(&cfg, &s, err, sizeof(err)), -EINVAL);
    CHECK(s == NULL);
    CHECK_MSG(strstr(err, "116") && strstr(err, "KEY_POWER") && strstr(err, "button 1"),
              "%s", err);
    cfg.keycodes[1] = 59;
    CHECK_EQ_I64(evdev_config_check(&cfg, err, sizeof(err)), -EINVAL);
    CHECK_MSG(strstr(err, "59") != NULL, "%s", err);
    cfg.keycodes[1] = 0;
    CHECK_EQ_I64(evdev_config_check(&cfg, err, sizeof(err)), -EINVAL);
    cfg.keycodes[1] = KEY_MAX + 1;
    CHECK_EQ_I64(evdev_config_check(&cfg, err, sizeof(err)), -EINVAL);
    cfg.keycodes[1] = KEY_MAX;
    CHECK_EQ_I64(evdev_config_check(&cfg, err, sizeof(err)), 0);
    cfg.n_keys = 0;
    CHECK_EQ_I64(evdev_config_check(&cfg, err, sizeof(err)), -EINVAL);
    cfg.n_keys = SENSOR_MAX_BUTTONS + 1;
    CHECK_EQ_I64(evdev_config_check(&cfg, err, sizeof(err)), -EINVAL);
    cfg.n_keys = 1;
    cfg.path = "";
    CHECK_EQ_I64(evdev_config_check(&cfg, NULL, 0), -EINVAL);
    cfg.path = "/nonexistent/event0";
    CHECK_EQ_I64(evdev_new(&cfg, &s, err, sizeof(err)), -ENOENT);
    CHECK(s == NULL);
    CHECK_MSG(strstr(err, "/nonexistent/event0") != NULL, "%s", err);
    CHECK_EQ_I64(evdev_new(&cfg, NULL, err, sizeof(err)), -EINVAL);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/test-evdev-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL) {
        perror(dir);
        return 1;
    }
    snprintf(fifo, sizeof(fifo), "%s/event0", dir);
    if (mkfifo(fifo, 0600) < 0) {
        perror(fifo);
        return 1;
    }
    RUN(test_fifo);
    RUN(test_config);
    unlink(fifo);
    rmdir(dir);
    return th_done();
}
