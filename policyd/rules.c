/*
 * rules.c - rule files (SPEC section 3): parse, compile, match.
 *
 * Design: every rule gets its global index (its order across all files). Literal
 * patterns live in three open-addressing hash tables (exact domain, .parent,
 * address) keyed by the lowercased pattern and holding the lowest rule index with
 * that key; a `*` rule is one remembered index; regexes are an array in rule order.
 * A lookup takes the lowest index among the literal hits, then tries only the
 * regexes that come before it, so a million literal rules cost what ten do.
 * Strings live in an arena of large chunks (arena.c), never one allocation per rule.
 *
 * Syntax decisions where SPEC section 3 is silent:
 *  - a comment is a '#' that is the first non-blank character of a line or that
 *    follows a blank (space or tab); so `aol.com smarthost # AOL` works, and a
 *    ROUTE text cannot contain " #";
 *  - one CR before the LF is ignored (files edited on Windows);
 *  - lines are limited to RULES_LINE_MAX bytes; NUL bytes are an error; files are
 *    read by lines.c (shared with the configuration): anything but a regular file
 *    (a FIFO, a device) is refused without blocking;
 *  - a literal pattern whose domain is written in UTF-8 is converted to its
 *    A-label form at load (idn.c), as keys are before matching; after that a pattern
 *    is printable ASCII only; domain labels are [A-Za-z0-9_-], non-empty; a regex
 *    is matched against the A-label form of the domain (write xn-- in it);
 *  - a regex runs from '/' to the next '/' not escaped by '\', so it may contain
 *    blanks; flags follow at once;
 *  - an address pattern whose local part has a '+' after its first character can
 *    never match (keys lose their extension): a warning;
 *  - a rule that says DUNNO is a hit with a NULL result: the caller answers
 *    "not found" and can still say which rule stopped the search;
 *  - the wildcard key `*` matches no rule (SPEC 5.1); the caller applies
 *    default_route;
 *  - after RULES_DIAG_MAX errors in one file the rest of it is not read, and
 *    warnings past that number are counted, not listed.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "idn.h"
#include "lines.h"
#include "log.h"
#include "rules.h"
#include "rx.h"
#include "rxlit.h"

#define RULES_LINE_MAX 4096
#define RULES_DOMAIN_MAX 255
#define RULES_DIAG_MAX 100
#define RULES_FILE_SIZE_MAX ((size_t)1 << 30)
#define RULES_NONE UINT32_MAX
#define RULES_COUNT_MAX ((size_t)UINT32_MAX - 1)
#define RULES_QUOTE_MAX 80 /* bytes of a pattern or route quoted in a message */

/* A hash slot: key (NUL-terminated, in the arena), its hash, lowest rule index. */
struct rules_slot {
    const char *key;
    uint32_t hash;
    uint32_t index;
};

struct rules_table {
    struct rules_slot *slot;
    size_t mask; /* capacity - 1; capacity is a power of two, 0 when empty */
    size_t count;
    size_t max_len; /* longest key: longer lookups skip the table */
};

struct rules_rule {
    const char *pattern; /* as written */
    const char *result;  /* NULL for DUNNO */
    uint32_t result_len;
    uint32_t file;
    uint32_t line;
};

struct rules_regex {
    pcre2_code *code;
    uint32_t index;
    int jit; /* JIT-compiled: matched with pcre2_jit_match, skipping the generic entry */
    /* Literal text every match must start (^abc) or end (abc$) with, or contain,
     * lowercased: a domain without it cannot match, so PCRE2 is not asked. */
    const char *prefix, *suffix, *infix; /* infix: anywhere in the domain */
    uint16_t prefix_len, suffix_len, infix_len;
};

/* An mx: rule: host, .suffix (text as compared, lowercase A-label) or regex. */
struct rules_mxrule {
    uint32_t index;
    int kind; /* RULES_MX_HOST, RULES_MX_SUFFIX (text starts with '.'), RULES_MX_REGEX */
    const char *text;
    size_t len;
    struct rules_regex re; /* RULES_MX_REGEX */
};

struct rules {
    struct arena *arena; /* every string: patterns, keys, results, file names */
    struct rules_rule *rule;
    size_t nrules, caprules;
    const char **file;
    size_t nfiles, capfiles;
    struct rules_table exact, parent, address;
    struct rules_regex *regex;
    size_t nregex, capregex;
    uint32_t star;           /* lowest index of a `*` rule, or RULES_NONE */
    struct rules_mxrule *mx; /* mx: rules in rule order */
    size_t nmx, capmx;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    int finished;
    const char *last_result; /* the most recent result copied, shared by equal ones */
    size_t last_result_len;
};

/* Parsing state of one file or buffer. */
struct rules_ctx {
    struct rules *r;
    const char *name; /* arena copy */
    uint32_t file;
    const struct routes *routes;
    struct diag *d;
    unsigned line;
    size_t errors, warnings, suppressed;
};

enum rules_kind {
    RULES_EXACT,
    RULES_PARENT,
    RULES_ADDRESS,
    RULES_REGEX,
    RULES_STAR,
    RULES_MX_HOST,
    RULES_MX_SUFFIX,
    RULES_MX_REGEX
};

/* Length of the "mx:" prefix when s[0..len) starts with it, else 0. */
static size_t rules_mx_prefix(const char *s, size_t len)
{
    return len > 3 && memcmp(s, "mx:", 3) == 0 ? 3 : 0;
}

/* Returns a new, empty rule set. */
struct rules *rules_new(void)
{
    struct rules *r = calloc(1, sizeof(*r));

    if (r == NULL)
        return NULL;
    if ((r->arena = arena_new()) == NULL) {
        free(r);
        return NULL;
    }
    r->star = RULES_NONE;
    return r;
}


/* Double the rule array, huge pages when big (a hit reads a random entry); 0 or -1. */
static int rules_grow_rules(struct rules *r)
{
    size_t cap = r->caprules ? r->caprules * 2 : 64;
    struct rules_rule *v;

    if (cap > SIZE_MAX / sizeof(*v) || (v = arena_big_alloc(cap * sizeof(*v))) == NULL)
        return -1;
    if (r->nrules > 0)
        memcpy(v, r->rule, r->nrules * sizeof(*v));
    arena_big_free(r->rule, r->caprules * sizeof(*v));
    r->rule = v;
    r->caprules = cap;
    return 0;
}

/* One FNV-1a step; keys are hashed from their last byte to their first. */
static inline uint32_t rules_hash_step(uint32_t h, unsigned char c)
{
    return (h ^ c) * 16777619u;
}

/* FNV-1a of s[0..len) taken backwards, so every suffix's hash falls out of one pass. */
static uint32_t rules_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;

    while (len > 0)
        h = rules_hash_step(h, (unsigned char)s[--len]);
    return h;
}

/* Spread the FNV bits before masking (murmur3's finaliser). */
static inline size_t rules_hash_mix(uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* The slot holding key s[0..len) with hash h, or the empty slot where it would go. */
static size_t rules_table_find(const struct rules_table *t, const char *s, size_t len, uint32_t h)
{
    size_t i;

    for (i = rules_hash_mix(h) & t->mask; t->slot[i].key != NULL; i = (i + 1) & t->mask) {
        const struct rules_slot *sl = &t->slot[i];

        if (sl->hash == h && memcmp(sl->key, s, len) == 0 && sl->key[len] == '\0')
            break;
    }
    return i;
}

/* The lowest rule index stored under key s[0..len) with hash h, or RULES_NONE. */
static uint32_t rules_table_get(const struct rules_table *t, const char *s, size_t len, uint32_t h)
{
    size_t i;

    if (t->count == 0 || len > t->max_len)
        return RULES_NONE;
    i = rules_table_find(t, s, len, h);
    return t->slot[i].key != NULL ? t->slot[i].index : RULES_NONE;
}

/* Put a slot into a table known to have room and not to hold its key. */
static void rules_table_place(struct rules_slot *slot, size_t mask, const struct rules_slot *s)
{
    size_t i;

    for (i = rules_hash_mix(s->hash) & mask; slot[i].key != NULL; i = (i + 1) & mask)
        ;
    slot[i] = *s;
}

/* Free a table's slots. */
static void rules_table_free(struct rules_table *t)
{
    if (t->slot != NULL)
        arena_big_free(t->slot, (t->mask + 1) * sizeof(*t->slot));
}

/* Double the table (or create it); 0 or -1. */
static int rules_table_grow(struct rules_table *t)
{
    size_t cap = t->slot ? (t->mask + 1) * 2 : 64, i;
    struct rules_slot *slot;

    if (cap > SIZE_MAX / sizeof(*slot))
        return -1;
    slot = arena_big_alloc(cap * sizeof(*slot));
    if (slot == NULL)
        return -1;
    for (i = 0; t->slot && i <= t->mask; i++)
        if (t->slot[i].key != NULL)
            rules_table_place(slot, cap - 1, &t->slot[i]);
    rules_table_free(t);
    t->slot = slot;
    t->mask = cap - 1;
    return 0;
}

/* Report an error at the current line (counted for the per-file cap). */
#define rules_err(ctx, ...)                                                                        \
    do {                                                                                           \
        (ctx)->errors++;                                                                           \
        diag_error((ctx)->d, (ctx)->name, (ctx)->line, __VA_ARGS__);                               \
    } while (0)

/* Report a warning at the current line, or count it once past the cap. */
#define rules_warn(ctx, ...)                                                                       \
    do {                                                                                           \
        if ((ctx)->warnings++ < RULES_DIAG_MAX)                                                    \
            diag_warning((ctx)->d, (ctx)->name, (ctx)->line, __VA_ARGS__);                         \
        else                                                                                       \
            (ctx)->suppressed++;                                                                   \
    } while (0)

/* Whether c separates pattern and ROUTE. */
static inline int rules_is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Check a domain pattern (labels of [A-Za-z0-9_-]); 0, or -1 with a reason in err. */
static int rules_check_domain(const char *s, size_t len, char *err, size_t errsize)
{
    size_t i, label = 0;

    if (len == 0) {
        snprintf(err, errsize, "empty domain");
        return -1;
    }
    if (len > RULES_DOMAIN_MAX) {
        snprintf(err, errsize, "domain longer than %d bytes", RULES_DOMAIN_MAX);
        return -1;
    }
    for (i = 0; i < len; i++) {
        char c = s[i];

        if (c == '.') {
            if (label == 0) {
                snprintf(err, errsize, "empty label in domain");
                return -1;
            }
            label = 0;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '-' || c == '_') {
            label++;
        } else {
            snprintf(err, errsize, "bad character '%c' in domain", c);
            return -1;
        }
    }
    if (label == 0) {
        snprintf(err, errsize, "empty label in domain");
        return -1;
    }
    return 0;
}

/* Check a literal pattern's syntax and find its kind; 0, or -1 with a reason in err. */
static int rules_check_literal(struct rules_ctx *ctx, const char *s, size_t len,
                               enum rules_kind *kind, char *err, size_t errsize)
{
    const char *at = memchr(s, '@', len);

    if (len == 1 && s[0] == '*') {
        *kind = RULES_STAR;
        return 0;
    }
    if (len > 1 && s[len - 1] == '.')
        len--; /* one trailing dot is ignored */
    if (at == NULL) {
        *kind = s[0] == '.' ? RULES_PARENT : RULES_EXACT;
        if (*kind == RULES_PARENT)
            s++, len--;
        return rules_check_domain(s, len, err, errsize);
    }
    *kind = RULES_ADDRESS;
    if (at == s) {
        snprintf(err, errsize, "empty local part in address");
        return -1;
    }
    if (memchr(at + 1, '@', len - (size_t)(at + 1 - s)) != NULL) {
        snprintf(err, errsize, "more than one '@'");
        return -1;
    }
    if (rules_check_domain(at + 1, len - (size_t)(at + 1 - s), err, errsize) < 0)
        return -1;
    if (memchr(s + 1, '+', (size_t)(at - s) - 1) != NULL)
        rules_warn(ctx, "address pattern has an extension ('+'): keys lose their extension "
                        "before matching, so this rule can never match");
    return 0;
}

/* Length of the pattern token at s (a regex may hold blanks); 0 when a regex is unclosed. */
static size_t rules_pattern_span(const char *s, size_t len)
{
    size_t i = rules_mx_prefix(s, len), re;

    if (s[i] == '/') {
        if ((re = rx_span(s + i, len - i)) == 0)
            return 0;
        i += re;
    }
    while (i < len && !rules_is_blank(s[i]))
        i++;
    return i;
}

/* The copy of a result, shared with the previous rule's when equal; NULL on failure. */
static const char *rules_result_copy(struct rules *r, const char *s, size_t len)
{
    char *p;

    if (r->last_result != NULL && r->last_result_len == len && memcmp(r->last_result, s, len) == 0)
        return r->last_result;
    p = arena_copy(r->arena, s, len);
    if (p != NULL) {
        r->last_result = p;
        r->last_result_len = len;
    }
    return p;
}

/* Append a rule entry; its index, or RULES_NONE on failure (reported). */
static uint32_t rules_append(struct rules_ctx *ctx, const char *pattern, size_t plen,
                             const char *result, size_t rlen, const char **copy)
{
    struct rules *r = ctx->r;
    struct rules_rule *ru;

    if (r->nrules >= RULES_COUNT_MAX) {
        rules_err(ctx, "too many rules");
        return RULES_NONE;
    }
    if (r->nrules == r->caprules && rules_grow_rules(r) < 0)
        goto fail;
    ru = &r->rule[r->nrules];
    ru->pattern = *copy = arena_copy(r->arena, pattern, plen);
    ru->result = result ? rules_result_copy(r, result, rlen) : NULL;
    if (ru->pattern == NULL || (result != NULL && ru->result == NULL))
        goto fail;
    ru->result_len = (uint32_t)rlen;
    ru->file = ctx->file;
    ru->line = ctx->line;
    return (uint32_t)r->nrules++;
fail:
    rules_err(ctx, "out of memory");
    return RULES_NONE;
}

/* Warn that rule index duplicates the earlier rule first. */
static void rules_warn_duplicate(struct rules_ctx *ctx, uint32_t first)
{
    const struct rules_rule *ru = &ctx->r->rule[first];

    rules_warn(ctx, "duplicate pattern '%s' (first at %s:%u): this rule can never match",
               ru->pattern, ctx->r->file[ru->file], ru->line);
}

/* Add a literal rule: key is the lowercased pattern without '.' prefix and trailing dot. */
static void rules_add_literal(struct rules_ctx *ctx, enum rules_kind kind, const char *pat,
                              size_t plen, const char *result, size_t rlen)
{
    struct rules *r = ctx->r;
    struct rules_table *t = kind == RULES_ADDRESS  ? &r->address
                            : kind == RULES_PARENT ? &r->parent
                                                   : &r->exact;
    char key[RULES_LINE_MAX];
    const char *copy, *kp = pat, *stored;
    size_t klen = plen, i;
    uint32_t index, h = 0;
    size_t pos = 0;

    if (klen > 1 && kp[klen - 1] == '.')
        klen--;
    if (kind == RULES_PARENT)
        kp++, klen--;
    for (i = 0; i < klen; i++)
        key[i] = (kp[i] >= 'A' && kp[i] <= 'Z') ? (char)(kp[i] + 32) : kp[i];
    if (kind == RULES_STAR) {
        if (r->star != RULES_NONE) {
            rules_warn_duplicate(ctx, r->star);
            return;
        }
    } else {
        /* One probe finds a duplicate or the slot to fill: loading stays one miss a rule. */
        if ((t->slot == NULL || (t->count + 1) * 2 > t->mask + 1) && rules_table_grow(t) < 0) {
            rules_err(ctx, "out of memory");
            return;
        }
        h = rules_hash(key, klen);
        pos = rules_table_find(t, key, klen, h);
        if (t->slot[pos].key != NULL) {
            rules_warn_duplicate(ctx, t->slot[pos].index);
            return;
        }
    }
    index = rules_append(ctx, pat, plen, result, rlen, &copy);
    if (index == RULES_NONE)
        return;
    if (kind == RULES_STAR) {
        r->star = index;
        return;
    }
    /* Share the written pattern when it already is the key. */
    stored = copy + (kp - pat);
    if (klen != (size_t)(plen - (size_t)(kp - pat)) || memcmp(stored, key, klen) != 0)
        stored = arena_copy(r->arena, key, klen);
    if (stored == NULL) {
        rules_err(ctx, "out of memory");
        return;
    }
    t->slot[pos].key = stored;
    t->slot[pos].hash = h;
    t->slot[pos].index = index;
    t->count++;
    if (klen > t->max_len)
        t->max_len = klen;
}

/* Fill re's literal prefilter for the regex text re_text[0..len); 0 or -1 (memory). */
static int rules_regex_prefilter(struct rules *r, struct rules_regex *re, const char *re_text,
                                 size_t len, int extended)
{
    char buf[RULES_LINE_MAX];
    struct rxlit l;

    memset(re, 0, sizeof(*re));
    if (extended || len > sizeof(buf))
        return 0; /* white space and comments would read as literals */
    rxlit_find(re_text, len, buf, &l);
    if (l.prefix_len > 0 && (re->prefix = arena_copy(r->arena, l.prefix, l.prefix_len)) == NULL)
        return -1;
    if (l.suffix_len > 0 && (re->suffix = arena_copy(r->arena, l.suffix, l.suffix_len)) == NULL)
        return -1;
    /* The infix only helps when it says more than the prefix or suffix already does. */
    if (l.infix_len > l.prefix_len && l.infix_len > l.suffix_len &&
        (re->infix = arena_copy(r->arena, l.infix, l.infix_len)) == NULL)
        return -1;
    re->prefix_len = (uint16_t)l.prefix_len;
    re->suffix_len = (uint16_t)l.suffix_len;
    re->infix_len = re->infix ? (uint16_t)l.infix_len : 0;
    return 0;
}

/*
 * Compile re[0..len) = /REGEX/FLAGS (shown as pat[0..plen) in messages); the code,
 * with *relen and *extended set, or NULL when an error was reported.
 */
static pcre2_code *rules_compile(struct rules_ctx *ctx, const char *re, size_t len, const char *pat,
                                 size_t plen, size_t *relen, int *extended)
{
    char err[512];
    pcre2_code *code = rx_compile(re, len, pat, plen, relen, extended, err, sizeof(err));

    if (code == NULL)
        rules_err(ctx, "%s", err);
    return code;
}

/* Compile and add a regex rule written as pat[0..plen) = /REGEX/FLAGS. */
static void rules_add_regex(struct rules_ctx *ctx, const char *pat, size_t plen, const char *result,
                            size_t rlen)
{
    struct rules *r = ctx->r;
    const char *copy;
    pcre2_code *code;
    size_t relen;
    uint32_t index;
    int extended;

    code = rules_compile(ctx, pat, plen, pat, plen, &relen, &extended);
    if (code == NULL)
        return;
    if (memchr(pat + 1, '@', relen) != NULL)
        rules_warn(ctx, "regex contains '@' but is matched against the domain, not the address");
    if (arena_grow((void **)&r->regex, &r->capregex, r->nregex, sizeof(*r->regex)) < 0)
        goto fail;
    index = rules_append(ctx, pat, plen, result, rlen, &copy);
    if (index == RULES_NONE) {
        pcre2_code_free(code);
        return;
    }
    if (rules_regex_prefilter(r, &r->regex[r->nregex], pat + 1, relen, extended) < 0)
        goto fail;
    r->regex[r->nregex].code = code;
    r->regex[r->nregex].index = index;
    r->nregex++;
    return;
fail:
    pcre2_code_free(code);
    rules_err(ctx, "out of memory");
}

/*
 * Add an mx: rule written as pat[0..plen): mx:HOST, mx:.SUFFIX (checked as domains
 * by rules_check_pattern) or mx:/REGEX/FLAGS, matched against MX host names.
 */
static void rules_add_mx(struct rules_ctx *ctx, enum rules_kind kind, const char *pat, size_t plen,
                         const char *result, size_t rlen)
{
    struct rules *r = ctx->r;
    struct rules_mxrule *m;
    const char *copy, *text = pat + 3;
    size_t len = plen - 3, relen = 0, i;
    pcre2_code *code = NULL;
    char *lower = NULL;
    int extended = 0;

    if (kind == RULES_MX_REGEX) {
        code = rules_compile(ctx, text, len, pat, plen, &relen, &extended);
        if (code == NULL)
            return;
    } else {
        if (len > 1 && text[len - 1] == '.')
            len--; /* one trailing dot is ignored */
        if ((lower = arena_copy(r->arena, text, len)) == NULL)
            goto fail;
        for (i = 0; i < len; i++)
            if (lower[i] >= 'A' && lower[i] <= 'Z')
                lower[i] = (char)(lower[i] + 32);
    }
    if (arena_grow((void **)&r->mx, &r->capmx, r->nmx, sizeof(*r->mx)) < 0)
        goto fail;
    m = &r->mx[r->nmx];
    memset(m, 0, sizeof(*m));
    m->index = rules_append(ctx, pat, plen, result, rlen, &copy);
    if (m->index == RULES_NONE) {
        pcre2_code_free(code);
        return;
    }
    m->kind = kind;
    m->text = lower;
    m->len = len;
    if (code != NULL && rules_regex_prefilter(r, &m->re, text + 1, relen, extended) < 0)
        goto fail;
    m->re.code = code;
    m->re.index = m->index;
    r->nmx++;
    return;
fail:
    pcre2_code_free(code);
    rules_err(ctx, "out of memory");
}

/* Check the pattern token; its kind, or -1 when an error was reported. */
static int rules_check_pattern(struct rules_ctx *ctx, const char *pat, size_t plen,
                               enum rules_kind *kind)
{
    char err[128], quoted[RULES_QUOTE_MAX + 4];
    size_t i;

    for (i = 0; i < plen; i++) {
        unsigned char c = (unsigned char)pat[i];

        if (c < 0x20 || c >= 0x7f) {
            rules_err(ctx, "byte 0x%02x in pattern %s: patterns are printable ASCII", c,
                      log_escape_file(quoted, sizeof(quoted), pat, plen));
            return -1;
        }
    }
    if (pat[0] == '/') {
        *kind = RULES_REGEX;
        return 0;
    }
    if (rules_mx_prefix(pat, plen)) {
        const char *h = pat + 3;
        size_t hlen = plen - 3;

        *kind = h[0] == '/' ? RULES_MX_REGEX : h[0] == '.' ? RULES_MX_SUFFIX : RULES_MX_HOST;
        if (*kind == RULES_MX_REGEX)
            return 0;
        if (hlen > 1 && h[hlen - 1] == '.')
            hlen--;
        if (*kind == RULES_MX_SUFFIX)
            h++, hlen--;
        if (rules_check_domain(h, hlen, err, sizeof(err)) == 0)
            return 0;
    } else if (rules_check_literal(ctx, pat, plen, kind, err, sizeof(err)) == 0) {
        return 0;
    }
    rules_err(ctx, "bad pattern %s: %s", log_escape_file(quoted, sizeof(quoted), pat, plen), err);
    return -1;
}

/*
 * Whether a literal ROUTE has a blank before its first ':'. Transport names never
 * do, so `exa mple.com relay:x` (a blank inside a pattern) is caught here.
 */
static int rules_blank_before_colon(const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);

    for (; colon != NULL && s < colon; s++)
        if (rules_is_blank(*s))
            return 1;
    return 0;
}

/*
 * The literal pattern s[0..len) with a UTF-8 domain in A-label form (in buf), or s
 * itself; 0, or -1 (reported) when the domain cannot be converted.
 */
static int rules_idn_pattern(struct rules_ctx *ctx, const char *s, size_t len, char *buf,
                             size_t size, const char **pat, size_t *plen)
{
    char err[128], quoted[RULES_QUOTE_MAX + 4];

    *pat = s;
    *plen = len;
    if (s[rules_mx_prefix(s, len)] == '/' ||
        idn_pattern(s, len, buf, size, pat, plen, err, sizeof(err)) == 0)
        return 0;
    rules_err(ctx, "bad pattern %s: the domain cannot be converted to its A-label form: %s",
              log_escape_file(quoted, sizeof(quoted), s, len), err);
    return -1;
}

/* Parse one line (no LF, no NUL) and add its rule. */
static void rules_parse_line(struct rules_ctx *ctx, const char *s, size_t len)
{
    char err[256], quoted[RULES_QUOTE_MAX + 4], alabel[RULES_LINE_MAX + IDN_DOMAIN_MAX];
    const char *route, *result = NULL, *pat;
    size_t plen, rlen, result_len = 0, i, patlen;
    enum rules_kind kind = RULES_EXACT;
    int pat_ok, rc;

    while (len > 0 && rules_is_blank(*s))
        s++, len--;
    if (len == 0 || *s == '#')
        return;
    plen = rules_pattern_span(s, len);
    if (plen == 0) {
        rules_err(ctx, "regex %s has no closing '/' (write '/' inside as '\\/')",
                  log_escape_file(quoted, sizeof(quoted), s, len));
        return;
    }
    pat_ok = rules_idn_pattern(ctx, s, plen, alabel, sizeof(alabel), &pat, &patlen) == 0 &&
             rules_check_pattern(ctx, pat, patlen, &kind) == 0;
    route = s + plen;
    rlen = len - plen;
    while (rlen > 0 && rules_is_blank(*route))
        route++, rlen--;
    for (i = 0; i < rlen; i++) /* a comment starts at a '#' after a blank */
        if (route[i] == '#' && (i == 0 || rules_is_blank(route[i - 1])))
            break;
    rlen = i;
    while (rlen > 0 && rules_is_blank(route[rlen - 1]))
        rlen--;
    if (rlen == 0) {
        rules_err(ctx, "missing ROUTE after pattern %s",
                  log_escape_file(quoted, sizeof(quoted), s, plen));
        return;
    }
    err[0] = '\0';
    rc = routes_resolve(ctx->routes, route, rlen, &result, &result_len, err, sizeof(err));
    if (rc < 0) {
        rules_err(ctx, "bad ROUTE: %s", err);
        return;
    }
    if (rc == 0)
        result = NULL;
    if (rc == 1 && rules_blank_before_colon(route, rlen)) {
        rules_err(ctx, "bad ROUTE %s: blank in the transport name (patterns cannot hold blanks)",
                  log_escape_file(quoted, sizeof(quoted), route, rlen));
        return;
    }
    if (!pat_ok)
        return;
    if (kind == RULES_REGEX)
        rules_add_regex(ctx, pat, patlen, result, result_len);
    else if (kind >= RULES_MX_HOST)
        rules_add_mx(ctx, kind, pat, patlen, result, result_len);
    else
        rules_add_literal(ctx, kind, pat, patlen, result, result_len);
}

/* Free everything; accepts NULL. */
void rules_free(struct rules *r)
{
    size_t i;

    if (r == NULL)
        return;
    arena_free(r->arena);
    for (i = 0; i < r->nregex; i++)
        pcre2_code_free(r->regex[i].code);
    for (i = 0; i < r->nmx; i++)
        pcre2_code_free(r->mx[i].re.code);
    free(r->mx);
    rx_state_free(r->md, r->mctx);
    free(r->regex);
    rules_table_free(&r->exact);
    rules_table_free(&r->parent);
    rules_table_free(&r->address);
    arena_big_free(r->rule, r->caprules * sizeof(*r->rule));
    free(r->file);
    free(r);
}

/* Record a file name; its index, or RULES_NONE on allocation failure. */
static uint32_t rules_add_name(struct rules *r, const char *name, const char **copy)
{
    if (r->nfiles >= RULES_COUNT_MAX ||
        arena_grow((void **)&r->file, &r->capfiles, r->nfiles, sizeof(*r->file)) < 0)
        return RULES_NONE;
    *copy = arena_copy(r->arena, name, strlen(name));
    if (*copy == NULL)
        return RULES_NONE;
    r->file[r->nfiles] = *copy;
    return (uint32_t)r->nfiles++;
}

/* Add the rules in text[0..len) as if read from file `name`. */
int rules_add_buffer(struct rules *r, const char *name, const char *text, size_t len,
                     const struct routes *routes, struct diag *d)
{
    struct rules_ctx ctx = {.r = r, .routes = routes, .d = d};
    size_t before = diag_errors(d), n;
    struct lines lines;
    const char *line;
    char err[64];
    int rc;

    if (r->finished) {
        diag_error(d, name, 0, "rules added after the rule set was finished");
        return -1;
    }
    ctx.file = rules_add_name(r, name, &ctx.name);
    if (ctx.file == RULES_NONE) {
        diag_error(d, name, 0, "out of memory");
        return -1;
    }
    lines_init(&lines, text, len, RULES_LINE_MAX);
    while ((rc = lines_next(&lines, &line, &n, err, sizeof(err))) != 0) {
        ctx.line = lines.line;
        if (rc < 0)
            rules_err(&ctx, "%s", err);
        else
            rules_parse_line(&ctx, line, n);
        if (ctx.errors >= RULES_DIAG_MAX && lines.p < lines.end) {
            diag_error(d, ctx.name, ctx.line, "too many errors, rest of file not read");
            break;
        }
    }
    if (ctx.suppressed > 0)
        diag_warning(d, ctx.name, 0, "%zu more warnings not shown", ctx.suppressed);
    return ctx.errors > 0 || diag_errors(d) > before ? -1 : 0;
}

/* What rules_add_files hands to each file. */
struct rules_files {
    struct rules *r;
    const struct routes *routes;
};

/* Add the rules of one file. */
static int rules_add_file(struct rules *r, const char *path, const struct routes *routes,
                          struct diag *d)
{
    char err[256], *buf = NULL;
    size_t len = 0;
    int rc;

    if (lines_read_file(path, RULES_FILE_SIZE_MAX, &buf, &len, err, sizeof(err)) < 0) {
        diag_error(d, path, 0, "%s", err);
        return -1;
    }
    rc = rules_add_buffer(r, path, buf, len, routes, d);
    free(buf);
    return rc;
}

/* lines_each_file callback: add the rules of one file (arg is the rules_files). */
static int rules_add_file_cb(void *arg, const char *path, struct diag *d)
{
    const struct rules_files *f = arg;

    return rules_add_file(f->r, path, f->routes, d);
}

/* Add the rules of every file named by pattern (a path or a glob). */
int rules_add_files(struct rules *r, const char *pattern, const struct routes *routes,
                    struct diag *d)
{
    struct rules_files f = {r, routes};

    return lines_each_file(pattern, rules_add_file_cb, &f, d);
}

/* JIT-compile the regexes and create the match state; no more rules after this. */
int rules_finish(struct rules *r, struct diag *d)
{
    size_t i;

    if (r->finished)
        return 0;
    for (i = 0; i < r->nregex; i++) /* else interpreted */
        r->regex[i].jit = rx_jit(r->regex[i].code);
    for (i = 0; i < r->nmx; i++)
        if (r->mx[i].re.code != NULL)
            r->mx[i].re.jit = rx_jit(r->mx[i].re.code);
    if (rx_state_new(&r->md, &r->mctx) < 0) {
        diag_error(d, "rules", 0, "out of memory");
        return -1;
    }
    r->finished = 1;
    return 0;
}

/* Number of rules added. */
size_t rules_count(const struct rules *r)
{
    return r->nrules;
}

/* Number of files (or buffers) added. */
size_t rules_file_count(const struct rules *r)
{
    return r->nfiles;
}

/* Lowest index among the literal hits for key and the `*` rule; RULES_NONE if none. */
static uint32_t rules_match_literal(const struct rules *r, const struct addr *key)
{
    const char *dom = key->domain;
    size_t len = key->domain_len, i;
    uint32_t best = r->star, h = 2166136261u, idx;

    if (key->address != NULL && r->address.count > 0) {
        idx = rules_table_get(&r->address, key->address, key->address_len,
                              rules_hash(key->address, key->address_len));
        if (idx < best)
            best = idx;
    }
    if (dom == NULL || len == 0)
        return best;
    for (i = len; i > 0; i--) {
        if (dom[i - 1] == '.' && i < len && r->parent.count > 0) {
            idx = rules_table_get(&r->parent, dom + i, len - i, h);
            if (idx < best)
                best = idx;
        }
        h = rules_hash_step(h, (unsigned char)dom[i - 1]);
    }
    idx = rules_table_get(&r->exact, dom, len, h);
    return idx < best ? idx : best;
}

/* Whether the domain has the literal prefix and suffix every match of re needs. */
static int rules_regex_may_match(const struct rules_regex *re, const char *dom, size_t len)
{
    if (re->prefix_len > 0 && (len < re->prefix_len || memcmp(dom, re->prefix, re->prefix_len)))
        return 0;
    if (re->suffix_len > 0) {
        if (len == 0)
            return 0;
        /* '$' also matches before a final newline: then the suffix test proves nothing. */
        if (dom[len - 1] != '\n' && (len < re->suffix_len || memcmp(dom + len - re->suffix_len,
                                                                    re->suffix, re->suffix_len)))
            return 0;
    }
    if (re->infix_len > 0 && (len < re->infix_len || !memmem(dom, len, re->infix, re->infix_len)))
        return 0;
    return 1;
}

/* Match re against s[0..len): 1, 0, or -1 (resource limit). */
static int rules_regex_run(const struct rules *r, const struct rules_regex *re, const char *s,
                           size_t len)
{
    if (r->md == NULL)
        return -1; /* rules_finish was not called */
    if (!rules_regex_may_match(re, s, len))
        return 0;
    return rx_match(re->code, re->jit, s, len, r->md, r->mctx);
}

/* Does the mx: rule m match the MX host h (NUL-terminated)? 1, 0 or -1. */
static int rules_mx_host_matches(const struct rules *r, const struct rules_mxrule *m, const char *h)
{
    size_t len = strlen(h);

    if (m->kind == RULES_MX_HOST)
        return len == m->len && memcmp(h, m->text, len) == 0;
    if (m->kind == RULES_MX_SUFFIX)
        return len > m->len && memcmp(h + len - m->len, m->text, m->len) == 0;
    return rules_regex_run(r, &m->re, h, len);
}

/*
 * The first mx: rule before index `best` that matches one of the hosts (in their
 * order); its index and *host, or best when none does. -1 on a regex failure.
 */
static int64_t rules_match_mxrules(const struct rules *r, const struct rules_mx *mx, uint32_t best,
                                   const char **host)
{
    size_t i, j;

    for (i = 0; i < r->nmx && r->mx[i].index < best; i++) {
        for (j = 0; j < mx->count; j++) {
            int rc = rules_mx_host_matches(r, &r->mx[i], mx->hosts[j]);

            if (rc < 0)
                return -1;
            if (rc > 0) {
                *host = mx->hosts[j];
                return r->mx[i].index;
            }
        }
    }
    return best;
}

/* First matching rule for key, in rule order; see rules.h. */
int rules_match_mx(const struct rules *r, const struct addr *key, const struct rules_mx *mx,
                   struct rule_hit *hit)
{
    const struct rules_rule *ru;
    const char *host = NULL;
    uint32_t best;
    int64_t m;
    size_t i;

    if (key->wildcard)
        return 0;
    best = rules_match_literal(r, key);
    for (i = 0; i < r->nregex && r->regex[i].index < best; i++) {
        int rc = rules_regex_run(r, &r->regex[i], key->domain, key->domain_len);

        if (rc < 0)
            return -1;
        if (rc > 0) {
            best = r->regex[i].index;
            break;
        }
    }
    if (r->nmx > 0 && r->mx[0].index < best) {
        if (mx == NULL)
            return RULES_NEED_MX;
        m = rules_match_mxrules(r, mx, best, &host);
        if (m < 0)
            return -1;
        best = (uint32_t)m;
    }
    if (best == RULES_NONE)
        return 0;
    ru = &r->rule[best];
    hit->result = ru->result;
    hit->result_len = ru->result_len;
    hit->file = r->file[ru->file];
    hit->line = ru->line;
    hit->pattern = ru->pattern;
    hit->mx_host = host;
    return 1;
}

/* First matching rule for key, in rule order, without MX hosts; see rules.h. */
int rules_match(const struct rules *r, const struct addr *key, struct rule_hit *hit)
{
    return rules_match_mx(r, key, NULL, hit);
}

/* Whether any mx: rule exists. */
int rules_have_mx(const struct rules *r)
{
    return r->nmx > 0;
}
