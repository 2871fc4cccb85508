/* testutil.h - small helpers shared by the C tests and fuzz targets (header only). */
#ifndef POLICYD_TESTUTIL_H
#define POLICYD_TESTUTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "diag.h"
#include "snapshot.h"

/* Fill an addr over the NUL-terminated key s, already normalised by hand, as addr.c would. */
static void __attribute__((unused)) test_key(const char *s, struct addr *a)
{
    const char *at = strrchr(s, '@');

    memset(a, 0, sizeof(*a));
    if (strcmp(s, "*") == 0) {
        a->wildcard = 1;
        return;
    }
    if (at != NULL) {
        a->address = s;
        a->address_len = strlen(s);
        a->local = s;
        a->local_len = (size_t)(at - s);
        a->domain = at + 1;
    } else {
        a->domain = s;
    }
    a->domain_len = strlen(a->domain);
}

/* Read a whole small file into buf (NUL-terminated); its length, or -1. */
static long __attribute__((unused)) test_read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

/*
 * Build a snapshot from the rule file text `rules` and the configuration lines
 * `conf` (the rules line is added), in a temporary folder removed again. Returns a
 * new reference; aborts when it cannot be built (a test fixture, not a test).
 */
static __attribute__((unused)) struct snapshot *test_snapshot_build(const char *rules,
                                                                    const char *conf)
{
    char dir[] = "/tmp/policyd-unit.XXXXXX", rpath[64], cpath[64];
    struct diag *d = diag_new();
    struct snapshot *snap;
    FILE *f;

    if (d == NULL || mkdtemp(dir) == NULL)
        abort();
    snprintf(rpath, sizeof(rpath), "%s/r.rules", dir);
    snprintf(cpath, sizeof(cpath), "%s/p.conf", dir);
    if ((f = fopen(rpath, "w")) == NULL)
        abort();
    fputs(rules, f);
    fclose(f);
    if ((f = fopen(cpath, "w")) == NULL)
        abort();
    fprintf(f, "rules = %s\n%s", rpath, conf);
    fclose(f);
    snap = snapshot_build(cpath, d);
    if (snap == NULL) {
        diag_print(d, stderr);
        abort();
    }
    diag_free(d);
    unlink(rpath);
    unlink(cpath);
    rmdir(dir);
    return snap;
}

/* Remove the temporary folder dir and the files in it (one level, as the tests make them). */
static void __attribute__((unused)) test_rmdir_files(const char *dir)
{
    char path[4096];
    struct dirent *e;
    DIR *dh = opendir(dir);

    while (dh != NULL && (e = readdir(dh)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        unlink(path);
    }
    if (dh != NULL)
        closedir(dh);
    rmdir(dir);
}

#endif
