/*
 * rx.c - the /REGEX/FLAGS token that rule files (SPEC 3) and signature files (SPEC 8)
 * share, written once: where the regex ends, which flags exist, how it is compiled
 * and matched, and how a bad one is reported (with PCRE2's error offset).
 *
 * Decisions:
 *  - every regex is caseless (the SPEC says so for both formats), never UTF or UCP
 *    (keys and replies are bytes), and \C is refused;
 *  - the first unknown flag is reported; a regex runs to the next '/' not escaped by
 *    '\', so it may hold blanks.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "rx.h"

#define RX_QUOTE_MAX 80 /* bytes of a pattern quoted in a message */

/* Length of the regex at s through its closing '/', or 0 when unclosed. */
size_t rx_span(const char *s, size_t len)
{
    size_t i;

    if (len == 0 || s[0] != '/')
        return 0;
    for (i = 1; i < len && s[i] != '/'; i++)
        if (s[i] == '\\' && i + 1 < len)
            i++;
    return i < len ? i + 1 : 0;
}

/* Compile /REGEX/FLAGS; NULL with the reason in err. */
pcre2_code *rx_compile(const char *tok, size_t len, const char *show, size_t showlen,
                       size_t *relen, int *extended, char *err, size_t errsize)
{
    uint32_t opts = PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C;
    size_t span = rx_span(tok, len), i;
    char quoted[RX_QUOTE_MAX + 4], msg[256];
    pcre2_code *code;
    PCRE2_SIZE off;
    int ec;

    if (span == 0) {
        snprintf(err, errsize, "regex %s has no closing '/'",
                 log_escape_file(quoted, sizeof(quoted), show, showlen));
        return NULL;
    }
    for (i = span; i < len; i++) {
        if (tok[i] == 'x') {
            opts |= PCRE2_EXTENDED;
        } else if (tok[i] != 'i') {
            if ((unsigned char)tok[i] >= 0x20 && (unsigned char)tok[i] < 0x7f)
                snprintf(err, errsize, "unknown regex flag '%c' (known: i, x)", tok[i]);
            else
                snprintf(err, errsize, "unknown regex flag 0x%02x (known: i, x)",
                         (unsigned char)tok[i]);
            return NULL;
        }
    }
    *relen = span - 2;
    code = pcre2_compile((PCRE2_SPTR)(tok + 1), *relen, opts, &ec, &off, NULL);
    if (code == NULL) {
        if (pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg)) < 0)
            snprintf(msg, sizeof(msg), "error %d", ec);
        snprintf(err, errsize, "bad regex %s: %s at offset %zu",
                 log_escape_file(quoted, sizeof(quoted), show, showlen), msg, (size_t)off);
        return NULL;
    }
    *extended = (opts & PCRE2_EXTENDED) != 0;
    return code;
}

/* JIT-compile code; 1 when JIT code exists. */
int rx_jit(pcre2_code *code)
{
    size_t size = 0;

    return pcre2_jit_compile(code, PCRE2_JIT_COMPLETE) == 0 &&
           pcre2_pattern_info(code, PCRE2_INFO_JITSIZE, &size) == 0 && size > 0;
}

/* Create the match state with the match limit. */
int rx_state_new(pcre2_match_data **md, pcre2_match_context **mctx)
{
    *md = pcre2_match_data_create(1, NULL);
    *mctx = pcre2_match_context_create(NULL);
    if (*md == NULL || *mctx == NULL)
        return -1;
    pcre2_set_match_limit(*mctx, RX_MATCH_LIMIT);
    return 0;
}

/* Free the match state. */
void rx_state_free(pcre2_match_data *md, pcre2_match_context *mctx)
{
    pcre2_match_data_free(md);
    pcre2_match_context_free(mctx);
}

/* Match code against s[0..len): 1, 0 or -1. */
int rx_match(const pcre2_code *code, int jit, const char *s, size_t len, pcre2_match_data *md,
             pcre2_match_context *mctx)
{
    int rc;

    if (md == NULL)
        return -1; /* not finished */
    if (jit)
        rc = pcre2_jit_match(code, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, md, mctx);
    else
        rc = pcre2_match(code, (PCRE2_SPTR)(s ? s : ""), len, 0, 0, md, mctx);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}
