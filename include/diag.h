/* diag.h - a list of diagnostics ("FILE:LINE: message"), filled deep, acted on at the edge. */
#ifndef POLICYD_DIAG_H
#define POLICYD_DIAG_H

#include <stddef.h>
#include <stdio.h>

struct diag;

/* Returns a new, empty list (NULL on allocation failure). */
struct diag *diag_new(void);
/* Accepts NULL. */
void diag_free(struct diag *d);

/* Add an error. line 0 means "no line" and prints as FILE: message. */
void diag_error(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Add a warning: printed, but does not make the result unusable. */
void diag_warning(struct diag *d, const char *file, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

size_t diag_errors(const struct diag *d);
size_t diag_warnings(const struct diag *d);
/* All entries in the order added; entry i as "FILE:LINE: message" or "FILE:LINE: warning: message".
 */
size_t diag_count(const struct diag *d);
const char *diag_text(const struct diag *d, size_t i);

/* Print every entry, one per line, to f. */
void diag_print(const struct diag *d, FILE *f);
/* Log every entry through log.h (errors with log_err, warnings with log_warn). */
void diag_log(const struct diag *d);

#endif
