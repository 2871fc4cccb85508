/*
 * testdir.h - the one runner for tests that walk a folder of cases (header only): the
 * golden tests (NAME.EXT compared with NAME.ref) and the fuzz corpus replay. Cases run
 * in strcmp order of their names, so the TAP output is the same on every machine.
 */
#ifndef POLICYD_TESTDIR_H
#define POLICYD_TESTDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "testutil.h"

/* Sort helper for case names. */
static int __attribute__((unused)) testdir_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Whether name ends in one of the suffixes (NULL: any name not starting with a dot). */
static int __attribute__((unused)) testdir_wanted(const char *name, const char *const *suffixes)
{
    size_t len = strlen(name), i, slen;

    if (name[0] == '.')
        return 0;
    if (suffixes == NULL)
        return 1;
    for (i = 0; suffixes[i] != NULL; i++) {
        slen = strlen(suffixes[i]);
        if (len > slen && strcmp(name + len - slen, suffixes[i]) == 0)
            return 1;
    }
    return 0;
}

/*
 * Call fn(dir, name, arg) for every entry of dir that testdir_wanted accepts, sorted
 * by name. Returns how many it ran, or -1 (with a failed TAP point) when dir cannot
 * be read.
 */
static long __attribute__((unused))
testdir_each(const char *dir, const char *const *suffixes,
             void (*fn)(const char *dir, const char *name, void *arg), void *arg)
{
    char **names = NULL, **grown;
    size_t n = 0, i;
    struct dirent *e;
    DIR *d = opendir(dir);

    if (!ok(d != NULL, "open %s", dir))
        return -1;
    while ((e = readdir(d)) != NULL) {
        if (!testdir_wanted(e->d_name, suffixes))
            continue;
        grown = realloc(names, (n + 1) * sizeof(*names));
        if (grown == NULL || (grown[n] = strdup(e->d_name)) == NULL) {
            names = grown ? grown : names;
            ok(0, "list %s: out of memory", dir);
            break;
        }
        names = grown;
        n++;
    }
    closedir(d);
    if (n > 0)
        qsort(names, n, sizeof(*names), testdir_cmp);
    for (i = 0; i < n; i++) {
        fn(dir, names[i], arg);
        free(names[i]);
    }
    free(names);
    return (long)n;
}

/* Print text as TAP comment lines under a heading. */
static void __attribute__((unused)) testdir_show(const char *what, const char *text)
{
    const char *p = text, *nl;

    printf("# %s:\n", what);
    for (; *p != '\0'; p = nl + 1) {
        nl = strchr(p, '\n');
        if (nl == NULL)
            nl = p + strlen(p) - 1;
        printf("#   %.*s\n", (int)(nl - p + (*nl != '\n')), p);
    }
}

/*
 * One golden case: got is what case NAME.EXT produced; compare it with NAME.ref in
 * the current folder (one TAP point, both shown on a mismatch), or write NAME.ref
 * when GOLDEN_UPDATE=1 is in the environment (then review the diff).
 */
static void __attribute__((unused)) testdir_golden(const char *name, const char *got)
{
    static char want[65536];
    const char *update = getenv("GOLDEN_UPDATE");
    const char *dot = strrchr(name, '.');
    char ref[1024];
    FILE *f;
    int written;

    snprintf(ref, sizeof(ref), "%.*s.ref", (int)(dot ? dot - name : (long)strlen(name)), name);
    if (update != NULL && strcmp(update, "1") == 0) {
        f = fopen(ref, "w");
        written = f != NULL && fputs(got, f) >= 0;
        if (f != NULL && fclose(f) != 0)
            written = 0;
        ok(written, "wrote %s", ref);
        return;
    }
    if (!ok(test_read_file(ref, want, sizeof(want)) >= 0 && strcmp(got, want) == 0, "%s", name)) {
        testdir_show("got", got);
        testdir_show(ref, want);
    }
}

#endif
