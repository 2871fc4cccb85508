/*
 * test_rules_golden.c - golden diagnostics of rule files. For every NAME.rules in
 * GOLDEN_DIR the file is loaded (by its name, from inside that folder, so the
 * output is stable) and every diagnostic plus a summary line is compared with
 * NAME.ref. A NAME.glob file holds one rules_add_files pattern per line instead.
 * With GOLDEN_UPDATE=1 in the environment the .ref files are (re)written.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "tap.h"
#include "testutil.h"

#define GOLDEN_OUT_MAX 65536

/* Load one case; write its diagnostics and a summary into out. */
static void golden_run(const char *file, const struct routes *rt, char *out, size_t size)
{
    struct rules *r = rules_new();
    struct diag *d = diag_new();
    size_t i, o = 0, n = strlen(file);
    char list[4096], *line, *save = NULL;
    int rc = 0;

    if (n > 5 && strcmp(file + n - 5, ".glob") == 0) {
        if (test_read_file(file, list, sizeof(list)) < 0)
            rc = -2;
        for (line = strtok_r(list, "\n", &save); rc != -2 && line != NULL;
             line = strtok_r(NULL, "\n", &save))
            rc |= rules_add_files(r, line, rt, d);
    } else {
        rc = rules_add_files(r, file, rt, d);
    }
    if (rc == 0)
        rc = rules_finish(r, d);
    for (i = 0; i < diag_count(d) && o < size; i++)
        o += (size_t)snprintf(out + o, size - o, "%s\n", diag_text(d, i));
    if (o < size)
        snprintf(out + o, size - o, "-- %d: %zu rules from %zu files, %zu errors, %zu warnings\n",
                 rc, rules_count(r), rules_file_count(r), diag_errors(d), diag_warnings(d));
    rules_free(r);
    diag_free(d);
}

/* Print text as TAP comment lines under a heading. */
static void golden_show(const char *what, const char *text)
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

/* Sort helper for directory entries. */
static int golden_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    static char got[GOLDEN_OUT_MAX], want[GOLDEN_OUT_MAX];
    struct routes *rt = routes_new();
    const char *update = getenv("GOLDEN_UPDATE");
    char err[256], **names = NULL, ref[1024];
    size_t n = 0, i, len;
    struct dirent *e;
    DIR *dir;

    if (!ok(chdir(GOLDEN_DIR) == 0 && (dir = opendir(".")) != NULL, "open %s", GOLDEN_DIR))
        return done_testing();
    ok(rt != NULL &&
           routes_define(rt, "smarthost", "smtp:[relay.example]:587", err, sizeof(err)) == 0,
       "route smarthost");
    while ((e = readdir(dir)) != NULL) {
        len = strlen(e->d_name);
        if ((len > 6 && strcmp(e->d_name + len - 6, ".rules") == 0) ||
            (len > 5 && strcmp(e->d_name + len - 5, ".glob") == 0)) {
            names = realloc(names, (n + 1) * sizeof(*names));
            names[n++] = strdup(e->d_name);
        }
    }
    closedir(dir);
    qsort(names, n, sizeof(*names), golden_cmp);
    ok(n >= 10, "%zu golden cases", n);
    for (i = 0; i < n; i++) {
        snprintf(ref, sizeof(ref), "%.*s.ref", (int)(strrchr(names[i], '.') - names[i]), names[i]);
        golden_run(names[i], rt, got, sizeof(got));
        if (update != NULL && strcmp(update, "1") == 0) {
            FILE *f = fopen(ref, "w");

            ok(f != NULL && fputs(got, f) >= 0 && fclose(f) == 0, "wrote %s", ref);
        } else if (!ok(test_read_file(ref, want, sizeof(want)) >= 0 && strcmp(got, want) == 0, "%s",
                       names[i])) {
            golden_show("got", got);
            golden_show(ref, want);
        }
        free(names[i]);
    }
    free(names);
    routes_free(rt);
    return done_testing();
}
