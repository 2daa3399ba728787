/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A plain main() for fuzz targets built without libFuzzer (dav1d's fallback):
 * every file named on the command line, or found in a folder named there, is
 * passed to LLVMFuzzerTestOneInput once. Exit 0 if all ran, 1 if a file could not
 * be read; a crash or failed invariant aborts.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tests/fuzz/fuzz.h"

#define FUZZ_MAX_INPUT (1 << 20)

static int
run_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        perror(path);
        return -1;
    }
    uint8_t *buf = malloc(FUZZ_MAX_INPUT);
    if (buf == NULL) {
        fclose(f);
        return -1;
    }
    size_t n = fread(buf, 1, FUZZ_MAX_INPUT, f);
    fclose(f);
    LLVMFuzzerTestOneInput(buf, n);
    free(buf);
    return 0;
}

int
main(int argc, char **argv)
{
    int files = 0, bad = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            DIR *d = opendir(argv[i]);
            struct dirent *e;
            while (d != NULL && (e = readdir(d)) != NULL) {
                char path[4096];
                if (e->d_name[0] == '.')
                    continue;
                snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
                bad += run_file(path) < 0;
                files++;
            }
            if (d != NULL)
                closedir(d);
        } else {
            bad += run_file(argv[i]) < 0;
            files++;
        }
    }
    printf("# %d inputs replayed, %d unreadable\n", files, bad);
    return bad == 0 && files > 0 ? 0 : 1;
}
