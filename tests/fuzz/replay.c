/*
 * replay.c - replays a fuzz target's seed corpus on any compiler, as TAP.
 * Linked with one fuzz_*.c file; FUZZ_CORPUS names the corpus folder. Each seed runs
 * in a child process, so that one TAP point per seed says whether the target's own
 * checks passed on it: an abort() from a failed check, a crash or a sanitizer report
 * (a non-zero exit) fails that point, and the other seeds still run.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "testdir.h"

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

/* Run the target on one seed in a child; one TAP point for how the child ended. */
static void replay_seed(const char *dir, const char *name, void *arg)
{
    char path[4096];
    size_t len = 0;
    unsigned char *buf;
    pid_t pid;
    int st = 0;

    (void)arg;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    buf = replay_read(path, &len);
    if (buf == NULL) {
        ok(0, "%s: cannot read it", name);
        return;
    }
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        LLVMFuzzerTestOneInput(buf, len);
        free(buf);
        exit(0); /* exit, not _exit: LeakSanitizer checks at exit */
    }
    free(buf);
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        ok(0, "%s: fork/wait failed", name);
        return;
    }
    if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "%s (%zu bytes): every check passed", name,
            len)) {
        if (WIFSIGNALED(st))
            printf("#   killed by signal %d%s\n", WTERMSIG(st),
                   WTERMSIG(st) == 6 ? " (abort: a check of the target failed)" : "");
        else
            printf("#   exit status %d (a sanitizer report?)\n", WEXITSTATUS(st));
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : FUZZ_CORPUS;
    long n = testdir_each(dir, NULL, replay_seed, NULL);

    ok(n > 0, "corpus %s has %ld seeds", dir, n);
    return done_testing();
}
