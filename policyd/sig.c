/*
 * sig.c - signature files (SPEC section 8): one "/REGEX/FLAGS CLASS" a line, matched
 * against the reply a remote server gave (the text after "said:" or "refused to talk
 * to me:"); the first match in file order wins.
 *
 * The /REGEX/FLAGS token is rule files' (rx.c): the same span, flags, caseless
 * compile and PCRE2 error offset. Files are read by lines.c, globs expanded by it.
 *
 * Decisions where SPEC section 8 is silent:
 *  - a comment is a whole line starting with '#', or a '#' after a blank following
 *    the CLASS (as in rule files); anything else after the CLASS is an error;
 *  - CLASS is [a-z0-9_-]+, at most SIGS_CLASS_MAX bytes (metrics map words of one's
 *    own to "other", so any such word is accepted here);
 *  - patterns are printable ASCII (write other bytes as \xNN), lines at most
 *    SIGS_LINE_MAX bytes; after SIGS_DIAG_MAX errors the rest of a file is not read;
 *  - the same regex written twice is not an error (the second can only be reached by
 *    nothing, but classes may be tried out that way): no warning either.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "lines.h"
#include "log.h"
#include "rx.h"
#include "sig.h"

#define SIGS_LINE_MAX 4096
#define SIGS_DIAG_MAX 100
#define SIGS_FILE_SIZE_MAX ((size_t)16 << 20)
#define SIGS_COUNT_MAX 100000
#define SIGS_QUOTE_MAX 80 /* bytes of a pattern or word quoted in a message */

struct sigs_sig {
    pcre2_code *code;
    int jit;
    const char *cls;
    const char *pattern; /* "/REGEX/FLAGS" as written */
    const char *file;
    unsigned line;
};

struct sigs {
    struct arena *arena; /* patterns, classes, file names */
    struct sigs_sig *sig;
    size_t nsigs, capsigs;
    size_t nfiles;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    int finished;
};

/* Parsing state of one file or buffer. */
struct sigs_ctx {
    struct sigs *s;
    const char *name; /* arena copy */
    struct diag *d;
    unsigned line;
    size_t errors;
};

/* Report an error at the current line (counted for the per-file cap). */
#define sigs_err(ctx, ...)                                                                         \
    do {                                                                                           \
        (ctx)->errors++;                                                                           \
        diag_error((ctx)->d, (ctx)->name, (ctx)->line, __VA_ARGS__);                               \
    } while (0)

/* A new, empty set. */
struct sigs *sigs_new(void)
{
    struct sigs *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    if ((s->arena = arena_new()) == NULL) {
        free(s);
        return NULL;
    }
    return s;
}

/* Free everything; accepts NULL. */
void sigs_free(struct sigs *s)
{
    size_t i;

    if (s == NULL)
        return;
    for (i = 0; i < s->nsigs; i++)
        pcre2_code_free(s->sig[i].code);
    free(s->sig);
    rx_state_free(s->md, s->mctx);
    arena_free(s->arena);
    free(s);
}

/* Whether c is a blank within a line. */
static int sigs_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Length of the CLASS word at w[0..len): up to the next blank. */
static size_t sigs_word(const char *w, size_t len)
{
    size_t n = 0;

    while (n < len && !sigs_is_blank(w[n]))
        n++;
    return n;
}

/* Whether w[0..n) is a CLASS word. */
int sigs_class_ok(const char *w, size_t n)
{
    size_t i = 0;

    while (i < n && ((w[i] >= 'a' && w[i] <= 'z') || (w[i] >= '0' && w[i] <= '9') ||
                     w[i] == '_' || w[i] == '-'))
        i++;
    return n > 0 && n <= SIGS_CLASS_MAX && i == n;
}

/* Check a CLASS word; 0, or -1 (reported). */
static int sigs_check_class(struct sigs_ctx *ctx, const char *w, size_t n)
{
    char quoted[SIGS_QUOTE_MAX + 4];

    if (sigs_class_ok(w, n))
        return 0;
    sigs_err(ctx, "bad CLASS \"%s\": a class is [a-z0-9_-]+, at most %d bytes",
             log_escape_file(quoted, sizeof(quoted), w, n), SIGS_CLASS_MAX);
    return -1;
}

/* Check that the token is printable ASCII; 0, or -1 (reported). */
static int sigs_check_bytes(struct sigs_ctx *ctx, const char *t, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)t[i];

        if (c < 0x20 || c >= 0x7f) {
            sigs_err(ctx, "byte 0x%02x in the pattern: patterns are printable ASCII (write \\xNN)",
                     c);
            return -1;
        }
    }
    return 0;
}

/* Compile and append one signature pat[0..plen) of class cls[0..clen); reported on failure. */
static void sigs_append(struct sigs_ctx *ctx, const char *pat, size_t plen, const char *cls,
                        size_t clen)
{
    struct sigs *s = ctx->s;
    struct sigs_sig *g;
    char err[512];
    size_t relen;
    int extended;
    pcre2_code *code = rx_compile(pat, plen, pat, plen, &relen, &extended, err, sizeof(err));

    if (code == NULL) {
        sigs_err(ctx, "%s", err);
        return;
    }
    if (s->nsigs >= SIGS_COUNT_MAX) {
        pcre2_code_free(code);
        sigs_err(ctx, "more than %d signatures", SIGS_COUNT_MAX);
        return;
    }
    if (arena_grow((void **)&s->sig, &s->capsigs, s->nsigs, sizeof(*s->sig)) < 0)
        goto oom;
    g = &s->sig[s->nsigs];
    memset(g, 0, sizeof(*g));
    g->pattern = arena_copy(s->arena, pat, plen);
    g->cls = arena_copy(s->arena, cls, clen);
    if (g->pattern == NULL || g->cls == NULL)
        goto oom;
    g->code = code;
    g->file = ctx->name;
    g->line = ctx->line;
    s->nsigs++;
    return;
oom:
    pcre2_code_free(code);
    sigs_err(ctx, "out of memory");
}

/* Parse one line (no LF, no NUL; not blank, not a whole-line comment) and add it. */
static void sigs_parse_line(struct sigs_ctx *ctx, const char *p, size_t len)
{
    char quoted[SIGS_QUOTE_MAX + 4];
    size_t span, plen, clen;
    const char *cls, *rest;

    while (len > 0 && sigs_is_blank(*p))
        p++, len--;
    if (len == 0 || p[0] != '/') {
        sigs_err(ctx, "expected /REGEX/FLAGS CLASS, not %s",
                 log_escape_file(quoted, sizeof(quoted), p, len));
        return;
    }
    if ((span = rx_span(p, len)) == 0) {
        sigs_err(ctx, "regex %s has no closing '/' (write '/' inside as '\\/')",
                 log_escape_file(quoted, sizeof(quoted), p, len));
        return;
    }
    plen = span + sigs_word(p + span, len - span);
    if (sigs_check_bytes(ctx, p, plen) < 0)
        return;
    cls = p + plen;
    while (cls < p + len && sigs_is_blank(*cls))
        cls++;
    clen = sigs_word(cls, (size_t)(p + len - cls));
    if (clen == 0 || *cls == '#') {
        sigs_err(ctx, "missing CLASS after %s", log_escape_file(quoted, sizeof(quoted), p, plen));
        return;
    }
    rest = cls + clen;
    while (rest < p + len && sigs_is_blank(*rest))
        rest++;
    if (rest < p + len && *rest != '#') {
        sigs_err(ctx, "unexpected %s after the CLASS (one CLASS a line; a comment starts with '#')",
                 log_escape_file(quoted, sizeof(quoted), rest, (size_t)(p + len - rest)));
        return;
    }
    if (sigs_check_class(ctx, cls, clen) < 0)
        return;
    sigs_append(ctx, p, plen, cls, clen);
}

/* Add the signatures in text[0..len) as if read from file `name`. */
int sigs_add_buffer(struct sigs *s, const char *name, const char *text, size_t len,
                    struct diag *d)
{
    struct sigs_ctx ctx = {.s = s, .d = d};
    struct lines lines;
    const char *line;
    char err[64];
    size_t n;
    int rc;

    if (s->finished) {
        diag_error(d, name, 0, "signatures added after the set was finished");
        return -1;
    }
    if ((ctx.name = arena_copy(s->arena, name, strlen(name))) == NULL) {
        diag_error(d, name, 0, "out of memory");
        return -1;
    }
    s->nfiles++;
    lines_init(&lines, text, len, SIGS_LINE_MAX);
    while ((rc = lines_next(&lines, &line, &n, err, sizeof(err))) != 0) {
        ctx.line = lines.line;
        if (rc < 0)
            sigs_err(&ctx, "%s", err);
        else
            sigs_parse_line(&ctx, line, n);
        if (ctx.errors >= SIGS_DIAG_MAX && lines.p < lines.end) {
            diag_error(d, ctx.name, ctx.line, "too many errors, rest of file not read");
            break;
        }
    }
    return ctx.errors > 0 ? -1 : 0;
}

/* lines_each_file callback: add the signatures of one file (arg is the set). */
static int sigs_add_file(void *arg, const char *path, struct diag *d)
{
    char err[256], *buf = NULL;
    size_t len = 0;
    int rc;

    if (lines_read_file(path, SIGS_FILE_SIZE_MAX, &buf, &len, err, sizeof(err)) < 0) {
        diag_error(d, path, 0, "%s", err);
        return -1;
    }
    rc = sigs_add_buffer(arg, path, buf, len, d);
    free(buf);
    return rc;
}

/* Add the signatures of every file named by pattern (a path or a glob). */
int sigs_add_files(struct sigs *s, const char *pattern, struct diag *d)
{
    return lines_each_file(pattern, sigs_add_file, s, d);
}

/* JIT-compile and create the match state; no more signatures after this. */
int sigs_finish(struct sigs *s, struct diag *d)
{
    size_t i;

    if (s->finished)
        return 0;
    for (i = 0; i < s->nsigs; i++) /* else interpreted */
        s->sig[i].jit = rx_jit(s->sig[i].code);
    if (rx_state_new(&s->md, &s->mctx) < 0) {
        diag_error(d, "signatures", 0, "out of memory");
        return -1;
    }
    s->finished = 1;
    return 0;
}

/* Number of signatures added. */
size_t sigs_count(const struct sigs *s)
{
    return s->nsigs;
}

/* Number of files (and buffers) read. */
size_t sigs_file_count(const struct sigs *s)
{
    return s->nfiles;
}

/* First signature matching reply[0..len): 1, 0 or -1. */
int sigs_match(const struct sigs *s, const char *reply, size_t len, struct sig_hit *hit)
{
    size_t i;

    for (i = 0; i < s->nsigs; i++) {
        const struct sigs_sig *g = &s->sig[i];
        int rc = rx_match(g->code, g->jit, reply, len, s->md, s->mctx);

        if (rc == 0)
            continue;
        if (rc < 0)
            return -1;
        hit->cls = g->cls;
        hit->file = g->file;
        hit->line = g->line;
        hit->pattern = g->pattern;
        return 1;
    }
    return 0;
}
