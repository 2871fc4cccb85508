/* diag.c - collected diagnostics, each "FILE:LINE: message". */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "log.h"

struct diag_entry {
    char *text;
    int error;
};

struct diag {
    struct diag_entry *v;
    size_t n, cap;
    size_t errors;
};

/* Returns a new, empty list. */
struct diag *diag_new(void)
{
    return calloc(1, sizeof(struct diag));
}

/* Free the list and its texts; accepts NULL. */
void diag_free(struct diag *d)
{
    size_t i;

    if (d == NULL)
        return;
    for (i = 0; i < d->n; i++)
        free(d->v[i].text);
    free(d->v);
    free(d);
}

/* Format and append one entry; on allocation failure the entry is dropped but still counted. */
static void diag_add(struct diag *d, int error, const char *file, unsigned line, const char *fmt,
                     va_list ap)
{
    char msg[1024];
    char *text;
    int n;

    if (d == NULL)
        return;
    if (error)
        d->errors++;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    if (line > 0)
        n = snprintf(NULL, 0, "%s:%u: %s%s", file, line, error ? "" : "warning: ", msg);
    else
        n = snprintf(NULL, 0, "%s: %s%s", file, error ? "" : "warning: ", msg);
    if (n < 0 || (text = malloc((size_t)n + 1)) == NULL)
        return;
    if (line > 0)
        snprintf(text, (size_t)n + 1, "%s:%u: %s%s", file, line, error ? "" : "warning: ", msg);
    else
        snprintf(text, (size_t)n + 1, "%s: %s%s", file, error ? "" : "warning: ", msg);
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 8;
        struct diag_entry *v = realloc(d->v, cap * sizeof(*v));

        if (v == NULL) {
            free(text);
            return;
        }
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n].text = text;
    d->v[d->n].error = error;
    d->n++;
}

/* Add an error. */
void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_add(d, 1, file, line, fmt, ap);
    va_end(ap);
}

/* Add a warning. */
void diag_warning(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_add(d, 0, file, line, fmt, ap);
    va_end(ap);
}

/* Number of errors added. */
size_t diag_errors(const struct diag *d)
{
    return d ? d->errors : 0;
}

/* Number of warnings stored. */
size_t diag_warnings(const struct diag *d)
{
    size_t i, w = 0;

    for (i = 0; d && i < d->n; i++)
        w += !d->v[i].error;
    return w;
}

/* Number of stored entries. */
size_t diag_count(const struct diag *d)
{
    return d ? d->n : 0;
}

/* Text of entry i. */
const char *diag_text(const struct diag *d, size_t i)
{
    return d->v[i].text;
}

/* Print all entries to f. */
void diag_print(const struct diag *d, FILE *f)
{
    size_t i;

    for (i = 0; d && i < d->n; i++)
        fprintf(f, "%s\n", d->v[i].text);
}

/* Log all entries. */
void diag_log(const struct diag *d)
{
    size_t i;

    for (i = 0; d && i < d->n; i++) {
        if (d->v[i].error)
            log_err("%s", d->v[i].text);
        else
            log_warn("%s", d->v[i].text);
    }
}
