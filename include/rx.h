/* rx.h - the /REGEX/FLAGS token that rule and signature files share: span, flags, compile, match. */
#ifndef POLICYD_RX_H
#define POLICYD_RX_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif

#include <pcre2.h>
#include <stddef.h>

/* Match limit of every regex policyd runs (a hostile text cannot make one match slow). */
#define RX_MATCH_LIMIT 100000

/*
 * Length of the regex at s[0..len) (s[0] == '/') through its closing '/', a '\' escaping
 * the next byte; 0 when it is not closed. The flags follow it.
 */
size_t rx_span(const char *s, size_t len);

/*
 * Compile tok[0..len) = /REGEX/FLAGS (closed: rx_span(tok, len) > 0): caseless always,
 * FLAGS from i and x, never UTF. show[0..showlen) is the pattern as quoted in messages.
 * The code (sets *relen, the REGEX's length, and *extended), or NULL with the reason in
 * err: "unknown regex flag 'g' (known: i, x)" or "bad regex /a(b/: missing closing
 * parenthesis at offset 3".
 */
pcre2_code *rx_compile(const char *tok, size_t len, const char *show, size_t showlen,
                       size_t *relen, int *extended, char *err, size_t errsize);

/* JIT-compile code; 1 when JIT code exists ((*NO_JIT) compiles "fine" to none), else 0. */
int rx_jit(pcre2_code *code);

/*
 * Create the state a set of regexes is matched with, one thread at a time: match data
 * and a match context limited to RX_MATCH_LIMIT. 0, or -1 (out of memory; free what
 * was made with rx_state_free all the same).
 */
int rx_state_new(pcre2_match_data **md, pcre2_match_context **mctx);
/* Free the state (either may be NULL). */
void rx_state_free(pcre2_match_data *md, pcre2_match_context *mctx);

/* Match code (jit: JIT-compiled) against s[0..len): 1, 0, or -1 (a resource limit). */
int rx_match(const pcre2_code *code, int jit, const char *s, size_t len, pcre2_match_data *md,
             pcre2_match_context *mctx);

#endif
