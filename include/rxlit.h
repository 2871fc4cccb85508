/* rxlit.h - the literal text every match of a regex must contain (the rules' prefilter). */
#ifndef POLICYD_RXLIT_H
#define POLICYD_RXLIT_H

#include <stddef.h>

/* Literal runs, lowercased; the pointers are into the caller's buffer, lengths 0 when none. */
struct rxlit {
    const char *prefix, *suffix, *infix;
    size_t prefix_len, suffix_len, infix_len;
};

/*
 * The literal text every match of the regex re[0..len) must contain: the run right
 * after a leading ^ (prefix), the run right before a trailing $ (suffix), and the
 * longest run anywhere (infix). A run is consecutive top-level literal atoms none of
 * which is quantified. buf holds at least len bytes. When nothing can be said for
 * certain (or memory is short) *out is all empty: no prefilter is always correct.
 */
void rxlit_find(const char *re, size_t len, char *buf, struct rxlit *out);

#endif
