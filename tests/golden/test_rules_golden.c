/*
 * test_rules_golden.c - golden diagnostics of rule files. For every NAME.rules in
 * GOLDEN_DIR the file is loaded (by its name, from inside that folder, so the
 * output is stable) and every diagnostic plus a summary line is compared with
 * NAME.ref. A NAME.glob file holds one rules_add_files pattern per line instead.
 * With GOLDEN_UPDATE=1 in the environment the .ref files are (re)written.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rules.h"
#include "tap.h"
#include "testdir.h"
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

/* One golden case: load it and compare with its .ref. */
static void golden_case(const char *dir, const char *name, void *arg)
{
    static char got[GOLDEN_OUT_MAX];

    (void)dir;
    golden_run(name, arg, got, sizeof(got));
    testdir_golden(name, got);
}

int main(void)
{
    static const char *const suffixes[] = {".rules", ".glob", NULL};
    struct routes *rt = routes_new();
    char err[256];
    long n;

    if (!ok(chdir(GOLDEN_DIR) == 0, "chdir %s", GOLDEN_DIR))
        return done_testing();
    ok(rt != NULL &&
           routes_define(rt, "smarthost", "smtp:[relay.example]:587", err, sizeof(err)) == 0,
       "route smarthost");
    n = testdir_each(".", suffixes, golden_case, rt);
    ok(n >= 10, "%ld golden cases", n);
    routes_free(rt);
    return done_testing();
}
