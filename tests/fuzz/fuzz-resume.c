/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: a replay's resume state (agent/pipeline/resume.h) as resume_load() hands
 * it to resume_decode(), into a pipeline set up as a replay sets it up: the
 * configuration a household would write for a scene's shelf (two platforms,
 * an item on each, sensors/cond/scene.h) and a button per item, a real store
 * in a temporary folder, pipeline_init(). A refused state says why and leaves
 * the pipeline as it was (its encoding and its bytes); an accepted one is
 * exactly what resume_encode() writes of the result, and that decodes again to
 * the same encoding.
 *
 * With PANTRY_FUZZ_RESUME_SEED=FILE set, the target first runs another such
 * pipeline on the scene's samples (a cat on the shelf, a button held) and
 * writes its state to FILE: corpus/resume/cat.state was made so.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/config/agent-config.h"
#include "tests/fuzz/fuzz.h"
#include "agent/pipeline/pipeline.h"
#include "agent/pipeline/resume.h"
#include "sensors/cond/scene.h"
#include "agent/store/store.h"

#define SCENE_SEED 11

static struct agent_config cfg;
static struct scene *scene;
static char dir[64];
static int64_t t0;

/* The situations' configuration (tests/situations/run.c) with two buttons. */
static void
config_text(const char *store, char *buf, size_t len)
{
    size_t k = 0;
    int w;
#define PUT(...)                                                                       \
    do {                                                                               \
        w = snprintf(buf + k, len - k, __VA_ARGS__);                                   \
        FUZZ_ASSERT(w >= 0 && (size_t)w < len - k);                                    \
        k += (size_t)w;                                                                \
    } while (0)
    PUT("device_id = \"fuzz\";\nstore_path = \"%s/%s.db\";\nchannels = (\n", dir,
        store);
    for (unsigned i = 0; i < 2; i++)
        PUT("  { name = \"%s\"; index = %u; iio = { device = \"shelf-%s\"; }; }%s\n",
            scene_item(scene, i)->id, i, scene_item(scene, i)->id, i == 0 ? "," : "");
    PUT(");\nitems = (\n");
    for (unsigned i = 0; i < 2; i++) {
        const struct scene_item *it = scene_item(scene, i);
        struct cond_cal cal;
        scene_cal(scene, i, &cal);
        PUT("  { id = \"%s\"; channel = \"%s\"; pack = %" PRId64 ".%03" PRId64
            "; container = %" PRId64 ".%03" PRId64 "; mode = \"auto\"; price = 3.49;\n"
            "    calibration = { zero = %" PRId32 "; span_raw = %" PRId32
            "; span = %" PRId64 ".%03" PRId64 "; }; }%s\n",
            it->id, it->id, it->pack_mg / 1000, it->pack_mg % 1000,
            it->container_mg / 1000, it->container_mg % 1000, cal.raw_zero,
            cal.span_raw, cal.span_mg / 1000, cal.span_mg % 1000, i == 0 ? "," : "");
    }
    PUT(");\nbuttons = (\n");
    for (unsigned i = 0; i < 2; i++)
        PUT("  { gpio = { line = %u; }; item = \"%s\"; }%s\n", 17 + i,
            scene_item(scene, i)->id, i == 0 ? "," : "");
    PUT(");\n");
#undef PUT
}

static void
open_pipeline(const char *store, struct agent_config *c, struct store **db,
              struct pipeline *p)
{
    char text[4096], err[512];
    struct cfg_errors errs;

    config_text(store, text, sizeof(text));
    FUZZ_ASSERT(cfg_load_string(text, "fuzz.conf", c, &errs) == 0);
    FUZZ_ASSERT(store_open(c->store_path, 0, db, err, sizeof(err)) == 0);
    FUZZ_ASSERT(pipeline_init(p, c, *db, t0, err, sizeof(err)) == 0);
}

/*
 * The scene's samples into a resumable pipeline, as run_replay() feeds them,
 * until a minute into the cat's visit; button 0 pressed (and held) 5 s before.
 */
static void
write_seed(const char *path)
{
    static char text[STORE_RESUME_MAX];
    struct agent_config c;
    struct store *db;
    struct pipeline *p = malloc(sizeof(*p));
    struct sample m;
    size_t n;
    int64_t until = INT64_MAX;

    FUZZ_ASSERT(p != NULL);
    const struct scene_truth *t = scene_truth(scene, &n);
    for (size_t i = 0; i < n && until == INT64_MAX; i++)
        if (t[i].kind == SCENE_T_SITUATION)
            until = t[i].t_ms + 60000;
    open_pipeline("seed", &c, &db, p);
    p->resumable = true;
    bool pressed = false;
    while (scene_next(scene, &m) == 1 && m.t_ms < until) {
        int64_t due;
        while ((due = pipeline_next_due_ms(p)) <= m.t_ms)
            pipeline_tick(p, due);
        if (!pressed && m.t_ms >= until - 5000) {
            struct button_edge e = {.t_ms = m.t_ms, .button = 0, .pressed = 1};
            pipeline_edge(p, &e);
            pressed = true;
        }
        pipeline_sample(p, &m);
    }
    int len = resume_encode(p, text, sizeof(text));
    FUZZ_ASSERT(len > 0);
    FILE *f = fopen(path, "w");
    FUZZ_ASSERT(f != NULL && fwrite(text, 1, (size_t)len, f) == (size_t)len);
    FUZZ_ASSERT(fclose(f) == 0);
    pipeline_fini(p);
    store_close(db);
    free(p);
}

static struct pipeline *pl;
static struct store *pl_db;

static void
cleanup(void)
{
    static const char *const stores[] = {"fuzz", "seed"};
    static const char *const tails[] = {".db", ".db-wal", ".db-shm", ".db-journal"};
    char path[128];

    pipeline_fini(pl);
    store_close(pl_db);
    free(pl);
    scene_free(scene);
    for (size_t i = 0; i < 2; i++)
        for (size_t k = 0; k < 4; k++) {
            snprintf(path, sizeof(path), "%s/%s%s", dir, stores[i], tails[k]);
            unlink(path);
        }
    rmdir(dir);
}

static void
setup(void)
{
    struct scene_config sc;
    const char *tmp = getenv("TMPDIR");

    snprintf(dir, sizeof(dir), "%s/fuzz-resume-XXXXXX",
             tmp != NULL && strlen(tmp) < 32 ? tmp : "/tmp");
    FUZZ_ASSERT(mkdtemp(dir) != NULL);
    scene_config_default(&sc, SCENE_CAT, SCENE_SEED);
    sc.platforms = 2;
    sc.idle_period_ms = 2000;
    FUZZ_ASSERT(scene_new(&sc, &scene) == 0);
    t0 = sc.start_ms;
    pl = malloc(sizeof(*pl));
    FUZZ_ASSERT(pl != NULL);
    open_pipeline("fuzz", &cfg, &pl_db, pl);
    atexit(cleanup);
    const char *seed = getenv("PANTRY_FUZZ_RESUME_SEED");
    if (seed != NULL)
        write_seed(seed);
}

/* What resume_decode() may change, to compare byte for byte. */
struct snap {
    struct shelf shelf;
    struct pl_item items[sizeof(pl->items) / sizeof(pl->items[0])];
    struct pl_button buttons[sizeof(pl->buttons) / sizeof(pl->buttons[0])];
    unsigned reviews_due;
    int64_t in_t_ms;
    uint32_t in_n;
};

static void
snap(const struct pipeline *p, struct snap *s)
{
    memcpy(&s->shelf, &p->shelf, sizeof(s->shelf));
    memcpy(s->items, p->items, sizeof(s->items));
    memcpy(s->buttons, p->buttons, sizeof(s->buttons));
    s->reviews_due = p->reviews_due;
    s->in_t_ms = p->in_t_ms;
    s->in_n = p->in_n;
}

/* A bool's byte, 0 or 1 (anything else is undefined behaviour to read). */
static bool
flag(const bool *b)
{
    uint8_t v;
    memcpy(&v, b, 1);
    return v <= 1;
}

/* Every place of the configuration still used, and every bool a bool. */
static void
check_state(const struct pipeline *p, const struct snap *fresh)
{
    for (unsigned c = 0; c < SENSOR_MAX_CHANNELS; c++) {
        const struct shelf_place *sp = &p->shelf.p[c];
        FUZZ_ASSERT(flag(&sp->used) && flag(&sp->first) && flag(&sp->waiting) &&
                    flag(&sp->away_said) && flag(&sp->ch.empty));
        FUZZ_ASSERT(memcmp(&sp->used, &fresh->shelf.p[c].used, 1) == 0);
    }
    for (size_t i = 0; i < p->n_items; i++)
        FUZZ_ASSERT(flag(&p->items[i].fault) && flag(&p->items[i].have_stock) &&
                    flag(&p->items[i].review_due));
    for (size_t i = 0; i < p->n_buttons; i++)
        FUZZ_ASSERT(flag(&p->buttons[i].st.stable) && flag(&p->buttons[i].st.raw) &&
                    flag(&p->buttons[i].st.in_burst));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char fresh[STORE_RESUME_MAX], before[STORE_RESUME_MAX];
    static char after[STORE_RESUME_MAX], again[STORE_RESUME_MAX];
    static struct snap s0, s1, sf;
    static int n_fresh;
    char err[256];

    if (pl == NULL) {
        setup();
        n_fresh = resume_encode(pl, fresh, sizeof(fresh));
        FUZZ_ASSERT(n_fresh > 0);
        snap(pl, &sf);
    }
    if (size >= STORE_RESUME_MAX)
        return 0; /* the store's bound: resume_load() reads no more */
    char *text = malloc(size + 1);
    FUZZ_ASSERT(text != NULL);
    memcpy(text, data, size);
    text[size] = '\0';

    int nb = resume_encode(pl, before, sizeof(before));
    FUZZ_ASSERT(nb == n_fresh && memcmp(before, fresh, (size_t)nb) == 0);
    snap(pl, &s0);
    err[0] = '\0';
    int r = resume_decode(pl, text, err, sizeof(err));
    if (r < 0) {
        FUZZ_ASSERT(r == -EINVAL && err[0] != '\0');
        FUZZ_ASSERT(resume_encode(pl, after, sizeof(after)) == nb);
        FUZZ_ASSERT(memcmp(after, before, (size_t)nb) == 0);
        snap(pl, &s1);
        FUZZ_ASSERT(memcmp(&s0, &s1, sizeof(s0)) == 0);
    } else {
        FUZZ_ASSERT(r == 0);
        int na = resume_encode(pl, after, sizeof(after));
        FUZZ_ASSERT(na > 0);
        check_state(pl, &sf);
        /* Strict: what was accepted is exactly what is written back. */
        FUZZ_ASSERT(strcmp(after, text) == 0);
        FUZZ_ASSERT(resume_decode(pl, after, err, sizeof(err)) == 0);
        FUZZ_ASSERT(resume_encode(pl, again, sizeof(again)) == na);
        FUZZ_ASSERT(memcmp(after, again, (size_t)na) == 0);
        /* Back to the fresh pipeline, so that every input meets the same one. */
        FUZZ_ASSERT(resume_decode(pl, fresh, err, sizeof(err)) == 0);
    }
    free(text);
    return 0;
}
