/* lines.h - the one reader of the text files policyd loads: the config, rule files (signatures
 * next). */
#ifndef POLICYD_LINES_H
#define POLICYD_LINES_H

#include <stddef.h>

/*
 * Read the whole file at path into a new buffer (*buf, free with free(); *len bytes,
 * NUL-terminated). Only a regular file of at most max bytes is read: a FIFO, socket,
 * device or directory is refused without ever blocking on it, so nothing a file
 * system holds can stall a reload or `policyd -t`. 0, or -1 with the reason in err
 * ("cannot open: ...", "not a regular file (a FIFO)", "file larger than N bytes").
 */
int lines_read_file(const char *path, size_t max, char **buf, size_t *len, char *err,
                    size_t errsize);

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
