/*
 * rxlit.c - the literal text every match of a regex must contain, for the rules'
 * prefilter: a domain without that text cannot match, so PCRE2 is not asked.
 *
 * A small tokenizer, not a regex parser: it splits the pattern into atoms and gives
 * up (no prefilter, which is always correct) on anything it does not understand for
 * certain. Decisions:
 *  - A top-level '|', a (?...) group or inline option, a (*VERB), \Q...\E, and
 *    escapes that take an argument (\x2e, \cA, \pL, \g1, \k<n>, \0, \12) give up.
 *  - A literal is a top-level character that is not syntax, or an escaped
 *    punctuation character (\.), and is not followed by a quantifier (*, +, ?, or a
 *    {n}, {n,}, {n,m}; a '{' that starts none of these is an ordinary character).
 *  - Everything inside a group or a character class is not a literal; classes are
 *    skipped with their [:name:], [.x.] and [=x=] parts and a leading ']'.
 *  - Literals are lowercased: rules are caseless and keys are lowercase.
 *  - Extended (x) patterns are not given to it: white space and comments would read
 *    as literals (the caller checks).
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rxlit.h"

/* One atom of a regex, as far as the prefilter needs to know. */
struct rxlit_atom {
    char ch;          /* the literal character (lowercased), or the syntax character */
    unsigned lit : 1; /* a literal at the top level, not quantified */
    unsigned end : 1; /* an unescaped '$' at the top level */
};

/* Skip a character class starting at re[i] == '['; the index just past its ']'. */
static size_t rxlit_skip_class(const char *re, size_t len, size_t i)
{
    i++;
    if (i < len && re[i] == '^')
        i++;
    if (i < len && re[i] == ']')
        i++; /* a ']' first is literal */
    while (i < len && re[i] != ']') {
        if (re[i] == '[' && i + 1 < len && strchr(":.=", re[i + 1]) != NULL) {
            /* [:alpha:], [.x.], [=x=]: skip to the matching ":]" (or ".]", "=]") */
            const char *end = memmem(re + i + 2, len - i - 2, (char[]){re[i + 1], ']'}, 2);

            if (end == NULL)
                return 0;
            i = (size_t)(end - re) + 2;
            continue;
        }
        i += re[i] == '\\' ? 2 : 1;
    }
    return i < len ? i + 1 : 0;
}

/* Whether re[i..len) starts a {n}, {n,} or {n,m} quantifier; its length, or 0. */
static size_t rxlit_braces(const char *re, size_t len, size_t i)
{
    size_t j = i + 1, digits = 0;

    while (j < len && isdigit((unsigned char)re[j]))
        j++, digits++;
    if (j < len && re[j] == ',') {
        j++;
        while (j < len && isdigit((unsigned char)re[j]))
            j++, digits++;
    }
    return digits > 0 && j < len && re[j] == '}' ? j + 1 - i : 0;
}

/*
 * Split re into atoms (at most len). Returns their number, or 0 when nothing can be
 * said for certain: a top-level '|', a (?...) group or inline option, \Q...\E.
 */
static size_t rxlit_atoms(const char *re, size_t len, struct rxlit_atom *at)
{
    size_t i = 0, n = 0, depth = 0;

    if (memmem(re, len, "(?", 2) || memmem(re, len, "(*", 2) || memmem(re, len, "\\Q", 2) ||
        memmem(re, len, "\\E", 2))
        return 0; /* options, verbs, quoting: not worth understanding here */
    while (i < len) {
        struct rxlit_atom a = {re[i], 0, 0};
        size_t next = i + 1;

        if (re[i] == '\\' && i + 1 < len) {
            /* Letter escapes that take an argument (\x2e, \cA, \pL, \g1, \k<n>, \0, \12)
             * would need parsing: only escapes that stand alone are understood. */
            if (isalnum((unsigned char)re[i + 1]) &&
                !strchr("dDwWsShHvVRNXbBAzZGKaefnrt", re[i + 1]))
                return 0;
            a.ch = re[i + 1];
            a.lit = depth == 0 && !isalnum((unsigned char)re[i + 1]);
            next = i + 2;
        } else if (re[i] == '[') {
            if ((next = rxlit_skip_class(re, len, i)) == 0)
                return 0;
        } else if (re[i] == '{') {
            size_t q = rxlit_braces(re, len, i); /* else a literal '{', kept as syntax */

            next = i + (q ? q : 1);
        } else if (re[i] == '(') {
            depth++;
        } else if (re[i] == ')') {
            depth -= depth > 0;
        } else if (re[i] == '|' && depth == 0) {
            return 0;
        } else if (re[i] == '$') {
            a.end = depth == 0;
        } else {
            a.lit = depth == 0 && strchr(".^*+?}]", re[i]) == NULL;
        }
        /* A quantified atom is not fixed. */
        if (next < len && strchr("*+?{", re[next]) != NULL)
            a.lit = 0;
        a.ch = (char)tolower((unsigned char)a.ch);
        at[n++] = a;
        i = next;
    }
    return n;
}

/* The literal text every match of re must contain (see rxlit.h). */
void rxlit_find(const char *re, size_t len, char *buf, struct rxlit *out)
{
    struct rxlit_atom *at;
    size_t n, i, j, k;

    memset(out, 0, sizeof(*out));
    if (len == 0 || (at = malloc(len * sizeof(*at))) == NULL)
        return; /* no prefilter is always correct */
    if ((n = rxlit_atoms(re, len, at)) == 0) {
        free(at);
        return;
    }
    for (i = 0; i < n; i++)
        buf[i] = at[i].ch;
    for (i = 0; i < n; i = j + 1) {
        for (j = i; j < n && at[j].lit; j++)
            ;
        if (j - i > out->infix_len) {
            out->infix = buf + i;
            out->infix_len = j - i;
        }
    }
    if (re[0] == '^') {
        for (k = 1; k < n && at[k].lit; k++)
            ;
        out->prefix = buf + 1;
        out->prefix_len = k - 1;
    }
    if (at[n - 1].end) {
        for (k = n - 1; k > 0 && at[k - 1].lit; k--)
            ;
        out->suffix = buf + k;
        out->suffix_len = n - 1 - k;
    }
    free(at);
}
