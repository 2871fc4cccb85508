/* sig.h - signature files (SPEC section 8): "/REGEX/FLAGS CLASS" lines matched against replies. */
#ifndef POLICYD_SIG_H
#define POLICYD_SIG_H

#include <stddef.h>

#include "diag.h"

/* Longest CLASS word, in bytes. */
#define SIGS_CLASS_MAX 32

struct sigs;

/* What matched: valid as long as the sigs object lives. */
struct sig_hit {
    const char *cls;  /* the CLASS word (borrowed from sigs) */
    const char *file; /* FILE and LINE it was written at */
    unsigned line;
    const char *pattern; /* "/REGEX/FLAGS" as written */
};

/*
 * Whether w[0..n) is a CLASS word: 1..SIGS_CLASS_MAX bytes of [a-z0-9_-] (signature
 * files and the `learn` setting say classes the same way). 1 or 0.
 */
int sigs_class_ok(const char *w, size_t n);

/* Returns a new, empty set (NULL on allocation failure). */
struct sigs *sigs_new(void);
/* Accepts NULL. */
void sigs_free(struct sigs *s);

/*
 * Add the signatures of every file named by pattern (a path, or a glob expanded in
 * lexical order), like rules: a glob that matches nothing is a warning, a missing
 * plain path an error. Every problem goes to d as FILE:LINE; 0, or -1 on any error.
 */
int sigs_add_files(struct sigs *s, const char *pattern, struct diag *d);

/* Add the signatures in text[0..len) as if read from file `name` (tests, fuzzing). */
int sigs_add_buffer(struct sigs *s, const char *name, const char *text, size_t len,
                    struct diag *d);

/* Compile what was added (PCRE2 JIT). After this no more may be added. 0 or -1. */
int sigs_finish(struct sigs *s, struct diag *d);

size_t sigs_count(const struct sigs *s);
size_t sigs_file_count(const struct sigs *s);

/*
 * First signature matching reply[0..len), in file order: 1 (hit filled), 0 none, -1
 * matching failed (a PCRE2 resource limit). One thread at a time per set.
 */
int sigs_match(const struct sigs *s, const char *reply, size_t len, struct sig_hit *hit);

#endif
