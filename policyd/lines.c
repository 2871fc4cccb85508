/*
 * lines.c - the one reader of the text files policyd loads: the configuration,
 * the rule files and the signature files. It owns what they share: refusing
 * anything but a regular file without blocking, the size limit, splitting lines
 * with their numbers for FILE:LINE diagnostics, the line limit, NUL bytes, one CR
 * before the LF, blank lines and whole-line comments.
 *
 * Decisions:
 *  - The path is stat()ed first, so a device is never even opened; the open itself
 *    is O_NONBLOCK (a FIFO swapped in between opens at once instead of waiting for
 *    a writer) and fstat() on the descriptor has the final word. O_NONBLOCK is
 *    cleared before reading. Symbolic links are followed: linking rule files from
 *    another directory is ordinary administration.
 *  - A file that grows while read is an error, not a silent cut.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lines.h"

/* The kind of a file that is not a regular one, for the message. */
static const char *lines_kind(mode_t mode)
{
    if (S_ISFIFO(mode))
        return "a FIFO";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "not a file";
}

/* Refuse st unless it is a regular file of at most max bytes; 0, or -1 with err. */
static int lines_check(const struct stat *st, size_t max, char *err, size_t errsize)
{
    if (S_ISDIR(st->st_mode)) {
        snprintf(err, errsize, "cannot open: %s", strerror(EISDIR));
        return -1;
    }
    if (!S_ISREG(st->st_mode)) {
        snprintf(err, errsize, "not a regular file (%s)", lines_kind(st->st_mode));
        return -1;
    }
    if ((uintmax_t)st->st_size > (uintmax_t)max) {
        snprintf(err, errsize, "file larger than %zu bytes", max);
        return -1;
    }
    return 0;
}

/* Open path for reading without blocking, and only if it is a regular file; fd or -1. */
static int lines_open(const char *path, size_t max, struct stat *st, char *err, size_t errsize)
{
    int fd, flags;

    if (stat(path, st) < 0) {
        snprintf(err, errsize, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (lines_check(st, max, err, errsize) < 0)
        return -1;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
        snprintf(err, errsize, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0) {
        snprintf(err, errsize, "cannot open: %s", strerror(errno));
        goto fail;
    }
    if (lines_check(st, max, err, errsize) < 0)
        goto fail;
    if ((flags = fcntl(fd, F_GETFL)) < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
        snprintf(err, errsize, "cannot open: %s", strerror(errno));
        goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

/* Read a whole regular file (see lines.h). */
int lines_read_file(const char *path, size_t max, char **buf, size_t *len, char *err,
                    size_t errsize)
{
    struct stat st;
    size_t cap, n = 0;
    ssize_t got;
    char *b = NULL;
    int fd = lines_open(path, max, &st, err, errsize);

    if (fd < 0)
        return -1;
    cap = (size_t)st.st_size + 1; /* one byte more: a file that grew fills it */
    if ((b = malloc(cap + 1)) == NULL) {
        snprintf(err, errsize, "out of memory");
        goto fail;
    }
    while ((got = read(fd, b + n, cap - n)) != 0) {
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            snprintf(err, errsize, "cannot read: %s", strerror(errno));
            goto fail;
        }
        n += (size_t)got;
        if (n == cap) {
            snprintf(err, errsize, "file changed while read");
            goto fail;
        }
    }
    close(fd);
    b[n] = '\0';
    *buf = b;
    *len = n;
    return 0;
fail:
    free(b);
    close(fd);
    return -1;
}

/* Start walking text[0..len). */
void lines_init(struct lines *l, const char *text, size_t len, size_t line_max)
{
    l->p = text;
    l->end = text + len;
    l->line_max = line_max;
    l->line = 0;
}

/* Whether s[0..n) is blank or a whole-line comment. */
static int lines_empty(const char *s, size_t n)
{
    size_t i = 0;

    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    return i == n || s[i] == '#';
}

/* The next line with content (see lines.h). */
int lines_next(struct lines *l, const char **s, size_t *n, char *err, size_t errsize)
{
    while (l->p < l->end) {
        const char *line = l->p, *nl = memchr(line, '\n', (size_t)(l->end - line));
        size_t len = nl ? (size_t)(nl - line) : (size_t)(l->end - line);

        l->p = line + len + (nl != NULL);
        l->line++;
        if (len > l->line_max) {
            snprintf(err, errsize, "line longer than %zu bytes", l->line_max);
            return -1;
        }
        if (memchr(line, '\0', len) != NULL) {
            snprintf(err, errsize, "NUL byte");
            return -1;
        }
        if (len > 0 && line[len - 1] == '\r')
            len--;
        if (lines_empty(line, len))
            continue;
        *s = line;
        *n = len;
        return 1;
    }
    return 0;
}

/* Sort helper: plain byte order, whatever the locale. */
static int lines_path_cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* glob's error callback: a directory that does not exist is no match; other errors stop it. */
static int lines_glob_error(const char *path, int err)
{
    (void)path;
    return err != ENOENT && err != ENOTDIR;
}

/* Call fn for every file pattern names (a path or a glob). */
int lines_each_file(const char *pattern, int (*fn)(void *arg, const char *path, struct diag *d),
                    void *arg, struct diag *d)
{
    glob_t g;
    size_t i;
    int rc = 0, grc;

    if (strpbrk(pattern, "*?[") == NULL)
        return fn(arg, pattern, d);
    memset(&g, 0, sizeof(g));
    grc = glob(pattern, 0, lines_glob_error, &g);
    if (grc == GLOB_NOMATCH) {
        diag_warning(d, pattern, 0, "no file matches");
        globfree(&g);
        return 0;
    }
    if (grc != 0) {
        diag_error(d, pattern, 0, "cannot expand: %s",
                   grc == GLOB_NOSPACE ? "out of memory" : strerror(errno));
        globfree(&g);
        return -1;
    }
    qsort(g.gl_pathv, g.gl_pathc, sizeof(*g.gl_pathv), lines_path_cmp);
    for (i = 0; i < g.gl_pathc; i++)
        if (fn(arg, g.gl_pathv[i], d) < 0)
            rc = -1;
    globfree(&g);
    return rc;
}
