/*
 * test_rxlit.c - the regex literal finder behind the rules' prefilter, from a table:
 * for each regex the prefix (after ^), suffix (before $) and longest infix it reports.
 * "" means none; a regex it cannot be sure about reports nothing at all. The rules
 * tests check the same prefilter differentially against PCRE2 (test_prefilter).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxlit.h"
#include "tap.h"

static const struct {
    const char *re, *prefix, *suffix, *infix;
} test_cases[] = {
    /* plain runs */
    {"abc", "", "", "abc"},
    {"^abc", "abc", "", "abc"},
    {"abc$", "", "abc", "abc"},
    {"^abc$", "abc", "abc", "abc"},
    {"^ABC\\.De$", "abc.de", "abc.de", "abc.de"},
    {"", "", "", ""},
    {"^$", "", "", ""},
    /* escapes: punctuation is literal, classes are not, arguments give up */
    {"a\\.b", "", "", "a.b"},
    {"\\.mail\\.icloud\\.com$", "", ".mail.icloud.com", ".mail.icloud.com"},
    {"^mx\\d+\\.web\\.de$", "mx", ".web.de", ".web.de"},
    {"a\\sb", "", "", "a"},
    {"a\\x2eb", "", "", ""},
    {"a\\056b", "", "", ""},
    {"\\101", "", "", ""},
    {"\\c1", "", "", ""},
    {"\\pLx", "", "", ""},
    {"(a)\\g1", "", "", ""},
    {"x\\\\$", "", "x\\", "x\\"},
    {"o\\.org\\$", "", "", "o.org$"},
    {"-dash\\-$", "", "-dash-", "-dash-"},
    /* quantifiers make their atom not fixed */
    {"ab+c$", "", "c", "a"},
    {"^ab?c", "a", "", "a"},
    {"^a{2}b", "", "", "b"},
    {"a{2}b$", "", "b", "b"},
    {"a{x}b", "", "", "x"}, /* an atom before any { counts as quantified */
    {"xy{|z", "", "", ""},
    {"^a*", "", "", ""},
    {"^.example$", "", "example", "example"},
    /* groups and classes are not literals; a top-level | gives up */
    {"(^|\\.)gmx\\.net$", "", "gmx.net", "gmx.net"},
    {"^yahoo\\.(co\\.)?[a-z]{2}$", "yahoo.", "", "yahoo."},
    {"^hotmail\\.(com|de)$", "hotmail.", "", "hotmail."},
    {"foo|bar\\.com$", "", "", ""},
    {"[.]org$", "", "org", "org"},
    {"[[:digit:]x]y", "", "", "y"},
    {"[\\]]q$", "", "q", "q"},
    {"[^]a]r$", "", "r", "r"},
    {"[abc", "", "", ""},
    {"[[:alpha]x", "", "", ""},
    /* options, verbs and quoting give up */
    {"(?i)^zz\\.example$", "", "", ""},
    {"a(*ACCEPT)bc", "", "", ""},
    {"(*NO_JIT)zzz", "", "", ""},
    {"^\\Qq.q\\E", "", "", ""},
    {"a\\E?b", "", "", ""},
};

/* The text of a run, or "" when there is none. */
static const char *test_run(const char *p, size_t len, char *buf, size_t size)
{
    snprintf(buf, size, "%.*s", p ? (int)len : 0, p ? p : "");
    return buf;
}

int main(void)
{
    char buf[256], text[256], name[300];
    size_t i;

    for (i = 0; i < sizeof(test_cases) / sizeof(test_cases[0]); i++) {
        const char *re = test_cases[i].re;
        struct rxlit l;

        rxlit_find(re, strlen(re), buf, &l);
        snprintf(name, sizeof(name), "/%s/ prefix", re);
        is_str(test_run(l.prefix, l.prefix_len, text, sizeof(text)), test_cases[i].prefix, name);
        snprintf(name, sizeof(name), "/%s/ suffix", re);
        is_str(test_run(l.suffix, l.suffix_len, text, sizeof(text)), test_cases[i].suffix, name);
        snprintf(name, sizeof(name), "/%s/ infix", re);
        is_str(test_run(l.infix, l.infix_len, text, sizeof(text)), test_cases[i].infix, name);
    }
    return done_testing();
}
