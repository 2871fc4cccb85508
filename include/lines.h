/* lines.h - the one reader of the text files policyd loads: the config, rule files and
 * signature files. */
#ifndef POLICYD_LINES_H
#define POLICYD_LINES_H

#include <stddef.h>

#include "diag.h"

/*
 * Read the whole file at path into a new buffer (*buf, free with free(); *len bytes,
 * NUL-terminated). Only a regular file of at most max bytes is read: a FIFO, socket,
 * device or directory is refused without ever blocking on it, so nothing a file
 * system holds can stall a reload or `policyd -t`. 0, or -1 with the reason in err
 * ("cannot open: ...", "not a regular file (a FIFO)", "file larger than N bytes").
 */
int lines_read_file(const char *path, size_t max, char **buf, size_t *len, char *err,
                    size_t errsize);

/*
 * Call fn(arg, path, d) for every file that pattern names: a plain path as it is, a
 * glob (holding *, ? or [) for each match in byte order, whatever the locale. A glob
 * that matches nothing is a warning to d, one that cannot be expanded an error. 0, or
 * -1 on that error or when any fn returned -1 (every file is still tried).
 */
int lines_each_file(const char *pattern, int (*fn)(void *arg, const char *path, struct diag *d),
                    void *arg, struct diag *d);

/* A walk over the lines of a text; fields are private to lines.c. */
struct lines {
    const char *p, *end;
    size_t line_max;
    unsigned line; /* the number of the line last returned (from 1) */
};

/* Start walking text[0..len); lines longer than line_max bytes (without the LF) are errors. */
void lines_init(struct lines *l, const char *text, size_t len, size_t line_max);

/*
 * The next line that is neither blank nor a whole-line comment (a '#' as its first
 * non-blank): *s and *n without the LF and one CR before it. Returns 1, 0 at the end
 * of the text, or -1 for a line longer than line_max or holding a NUL byte (the
 * reason in err; the next call goes on after that line). l->line is the line's number
 * for FILE:LINE diagnostics. Comments after text are the format's own business.
 */
int lines_next(struct lines *l, const char **s, size_t *n, char *err, size_t errsize);

#endif
