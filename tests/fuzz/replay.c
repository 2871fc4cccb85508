/*
 * replay.c - replays a fuzz target's seed corpus on any compiler, as TAP.
 * Linked with one fuzz_*.c file; FUZZ_CORPUS names the corpus folder. A crash,
 * a sanitizer report or an abort() from the target's own checks fails the test.
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Read a whole file into a new buffer; NULL on failure. */
static unsigned char *replay_read(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (f == NULL)
        return NULL;
    do {
        if (n == cap) {
            unsigned char *nb = realloc(buf, cap = cap ? cap * 2 : 4096);
            if (nb == NULL) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    fclose(f);
    *len = n;
    return buf;
}

/* Sort helper for directory entries. */
static int replay_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
    char **names = NULL;
    size_t n = 0, i;
    struct dirent *e;
    DIR *d = opendir(dir);

    if (!ok(d != NULL, "open corpus %s", dir))
        return done_testing();
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (n + 1) * sizeof(*names));
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof(*names), replay_cmp);
    ok(n > 0, "corpus %s has %zu seeds", dir, n);
    for (i = 0; i < n; i++) {
        char path[4096];
        size_t len = 0;
        unsigned char *buf;

        snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
        buf = replay_read(path, &len);
        if (ok(buf != NULL || len == 0, "read %s", names[i])) {
            LLVMFuzzerTestOneInput(buf ? buf : (const unsigned char *)"", len);
            ok(1, "replayed %s (%zu bytes)", names[i], len);
        }
        free(buf);
        free(names[i]);
    }
    free(names);
    return done_testing();
}
