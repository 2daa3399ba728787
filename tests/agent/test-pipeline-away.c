/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Issue 14: "the forecast does not read the silence [of an away period] as
 * slower use". Through the pipeline, on a real store in a temp folder, fed raw
 * samples as the daemon feeds them: an item used at a true 100 g a day (one
 * 100 g take at noon) for 4 weeks, then 11 days of no use, then 100 g a day
 * again. The forecast rate one day and one week after the return must stay
 * within 90..115 g/day, with the 11 days declared as an away period (the
 * household `away` setting) and without: the away setting plans deliveries
 * only, and it is the forecaster's own rule (models/forecast.h: once 4 events
 * are seen, a silence longer than 4 typical intervals counts as one interval)
 * that keeps the rate, declared or not. Without that rule the return's 100 g
 * over 11.5 days pulls the rate to 59.8 g/day (70.1 a week later) and this
 * test fails.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/config/agent-config.h"
#include "tests/harness.h"
#include "agent/pipeline/pipeline.h"
#include "tests/agent/rice-rig.h"
#include "agent/store/store.h"

static char dir[256];

/* Days day0 .. day1 - 1: a 100 g take at noon of each when use, *g falling. */
static void
days(struct rig *r, int day0, int day1, bool use, int64_t *g)
{
    for (int d = day0; d < day1; d++) {
        feed_every(r, T0 + d * DAY + 12 * HOUR, *g, 10000);
        if (use)
            *g -= 100;
        feed_every(r, T0 + d * DAY + 12 * HOUR + 5 * MIN, *g, 100);
    }
}

static int64_t
rate_g_per_day_x10(struct rig *r)
{
    struct pl_view v;
    pipeline_view(&r->pl, 0, r->now, &v);
    return v.rate_ugpd / 100000; /* tenths of g/day */
}

/* The rates (tenths of g/day) 1 and 7 days after the return. */
static void
run(const char *name, const char *extra, int64_t out[3])
{
    static struct rig r;
    int64_t g = 5000;

    rig_open(&r, dir, name, extra, "mode = \"off\";"); /* the stock only falls */
    CHECK_EQ_U64(r.cfg.n_away, extra[0] != '\0');
    days(&r, 0, 28, true, &g);
    out[0] = rate_g_per_day_x10(&r);
    days(&r, 28, 39, false, &g); /* away: 2026-10-29 .. 2026-11-09 */
    days(&r, 39, 40, true, &g);
    feed_every(&r, T0 + 40 * DAY, g, 10000);
    out[1] = rate_g_per_day_x10(&r);
    days(&r, 40, 46, true, &g);
    feed_every(&r, T0 + 46 * DAY, g, 10000);
    out[2] = rate_g_per_day_x10(&r);
    rig_close(&r);
}

static void
test_away_silence(void)
{
    int64_t with[3], without[3];

    run("away", "away = ( { from = \"2026-10-29\"; until = \"2026-11-09\"; } );", with);
    run("plain", "", without);
    printf("# rate g/day before, +1 d, +7 d: away declared %.1f %.1f %.1f; "
           "not declared %.1f %.1f %.1f\n",
           with[0] / 10.0, with[1] / 10.0, with[2] / 10.0, without[0] / 10.0,
           without[1] / 10.0, without[2] / 10.0);
    for (int k = 1; k < 3; k++) {
        CHECK_MSG(with[k] >= 900 && with[k] <= 1150, "declared, %s: %.1f g/day",
                  k == 1 ? "+1 d" : "+7 d", with[k] / 10.0);
        CHECK_MSG(without[k] >= 900 && without[k] <= 1150, "undeclared, %s: %.1f g/day",
                  k == 1 ? "+1 d" : "+7 d", without[k] / 10.0);
    }
    /* the use before: the measurement itself is sound */
    CHECK_MSG(with[0] >= 950 && with[0] <= 1050, "before: %.1f g/day", with[0] / 10.0);
}

int
main(void)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/pl-away-XXXXXX", tmp ? tmp : "/tmp");
    if (mkdtemp(dir) == NULL)
        return 1;
    setenv("TZ", "UTC", 1);
    RUN(test_away_silence);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        return 1;
    return th_done();
}
