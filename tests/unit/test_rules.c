/* test_rules.c - rule files: matching order, pattern forms, files and globs, limits, 1M rules. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules.h"
#include "tap.h"
#include "testutil.h"

#define NBUF 3
#define NQ 8

/* One lookup: key, expected rc, result ("" for DUNNO), "FILE:LINE" and pattern of the hit. */
struct query {
    const char *key;
    int rc;
    const char *result;
    const char *where;
    const char *pattern;
};

/* One case: up to NBUF buffers (named a.rules, b.rules, c.rules) and the lookups. */
struct match_case {
    const char *name;
    const char *buf[NBUF];
    struct query q[NQ];
};

static const struct match_case cases[] = {
    {"exact domain",
     {"example.com relay:e\n"},
     {{"example.com", 1, "relay:e", "a.rules:1", "example.com"},
      {"user@example.com", 1, "relay:e", "a.rules:1", "example.com"},
      {"sub.example.com", 0, NULL, NULL, NULL},
      {"example.org", 0, NULL, NULL, NULL},
      {"xexample.com", 0, NULL, NULL, NULL}}},
    {"subdomains, not the parent itself",
     {"# comment\n\n.example.com relay:sub\n"},
     {{"a.example.com", 1, "relay:sub", "a.rules:3", ".example.com"},
      {"x@a.b.example.com", 1, "relay:sub", "a.rules:3", ".example.com"},
      {"example.com", 0, NULL, NULL, NULL},
      {"badexample.com", 0, NULL, NULL, NULL},
      {"com", 0, NULL, NULL, NULL}}},
    {"address, extension already stripped",
     {"User@Example.COM relay:u\n"},
     {{"user@example.com", 1, "relay:u", "a.rules:1", "User@Example.COM"},
      {"other@example.com", 0, NULL, NULL, NULL},
      {"example.com", 0, NULL, NULL, NULL}}},
    {"regex anchored and unanchored",
     {"/^mail\\./ relay:m\n/aol/i relay:a\n"},
     {{"mail.example.com", 1, "relay:m", "a.rules:1", "/^mail\\./"},
      {"x.mail.example.com", 0, NULL, NULL, NULL},
      {"foo.aol.com", 1, "relay:a", "a.rules:2", "/aol/i"},
      {"user@aolx.net", 1, "relay:a", "a.rules:2", "/aol/i"},
      {"example.com", 0, NULL, NULL, NULL}}},
    {"regex is caseless, against the domain only",
     {"/^AOL\\.COM$/ relay:a\n/^user/ relay:u\n"},
     {{"aol.com", 1, "relay:a", "a.rules:1", "/^AOL\\.COM$/"},
      {"user@example.com", 0, NULL, NULL, NULL}}},
    {"regex with the x flag, a blank and an escaped slash",
     {"/^ya hoo \\. (com|de) $/x relay:y\n/^a\\/b$/ relay:s\n"},
     {{"yahoo.com", 1, "relay:y", "a.rules:1", "/^ya hoo \\. (com|de) $/x"},
      {"yahoo.de", 1, "relay:y", "a.rules:1", NULL},
      {"yahoo.fr", 0, NULL, NULL, NULL},
      {"a/b", 1, "relay:s", "a.rules:2", "/^a\\/b$/"}}},
    {"star matches everything else",
     {"example.com relay:e\n* relay:all\n"},
     {{"example.com", 1, "relay:e", "a.rules:1", NULL},
      {"foo.net", 1, "relay:all", "a.rules:2", "*"},
      {"u@foo.net", 1, "relay:all", "a.rules:2", "*"},
      {"*", 0, NULL, NULL, NULL}}},
    {"DUNNO stops the search",
     {"example.com DUNNO\n.example.com dunno\n* relay:all\n"},
     {{"example.com", 1, "", "a.rules:1", "example.com"},
      {"a.example.com", 1, "", "a.rules:2", ".example.com"},
      {"other.com", 1, "relay:all", "a.rules:3", "*"}}},
    {"regex before literal wins",
     {"/example/ relay:re\nexample.com relay:lit\n"},
     {{"example.com", 1, "relay:re", "a.rules:1", NULL}}},
    {"literal before regex wins",
     {"example.com relay:lit\n/example/ relay:re\n"},
     {{"example.com", 1, "relay:lit", "a.rules:1", NULL},
      {"example.net", 1, "relay:re", "a.rules:2", NULL}}},
    {"first match wins among literal kinds",
     {".org relay:org\n.example.com relay:ex\nexample.com relay:d\nuser@example.com relay:u\n"},
     {{"a.example.com", 1, "relay:ex", "a.rules:2", ".example.com"},
      {"user@example.com", 1, "relay:d", "a.rules:3", "example.com"},
      {"a.example.org", 1, "relay:org", "a.rules:1", ".org"},
      {"example.com", 1, "relay:d", "a.rules:3", NULL}}},
    {"a shorter parent listed first wins",
     {".com relay:com\n.example.com relay:ex\n"},
     {{"a.b.example.com", 1, "relay:com", "a.rules:1", ".com"},
      {"example.com", 1, "relay:com", "a.rules:1", NULL}}},
    {"address before domain wins",
     {"user@example.com relay:u\n.example.com relay:s\nexample.com relay:d\n"},
     {{"user@example.com", 1, "relay:u", "a.rules:1", NULL},
      {"other@example.com", 1, "relay:d", "a.rules:3", NULL},
      {"user@a.example.com", 1, "relay:s", "a.rules:2", NULL}}},
    {"across files in the order added",
     {"/\\.de$/ relay:a\n", "web.de relay:b\n.net relay:bn\n", "* relay:c\n/net/ relay:cn\n"},
     {{"web.de", 1, "relay:a", "a.rules:1", NULL},
      {"x.net", 1, "relay:bn", "b.rules:2", NULL},
      {"network.org", 1, "relay:c", "c.rules:1", NULL}}},
    {"duplicate literal keeps the first",
     {"example.com relay:first\n", "EXAMPLE.COM relay:second\n"},
     {{"example.com", 1, "relay:first", "a.rules:1", NULL}}},
    {"trailing dot in patterns",
     {"Example.com. relay:t\n.example.org. relay:p\nu@example.net. relay:u\n"},
     {{"example.com", 1, "relay:t", "a.rules:1", "Example.com."},
      {"a.example.org", 1, "relay:p", "a.rules:2", ".example.org."},
      {"u@example.net", 1, "relay:u", "a.rules:3", NULL}}},
    {"named routes and literal texts",
     {"example.com smarthost\nexample.net   error:5.7.1 no mail for you  # why\r\n"
      "example.org\tdirect\t\n"},
     {{"example.com", 1, "smtp:[relay.example]:587", "a.rules:1", NULL},
      {"example.net", 1, "error:5.7.1 no mail for you", "a.rules:2", NULL},
      {"example.org", 1, "smtp:", "a.rules:3", NULL}}},
    {"last line without newline, leading blanks",
     {"  \t example.com relay:x"},
     {{"example.com", 1, "relay:x", "a.rules:1", "example.com"}}},
};

/* The routes every test uses. */
static struct routes *test_routes(void)
{
    struct routes *rt = routes_new();
    char err[256];

    ok(rt != NULL &&
           routes_define(rt, "smarthost", "smtp:[relay.example]:587", err, sizeof(err)) == 0 &&
           routes_define(rt, "direct", "smtp:", err, sizeof(err)) == 0,
       "routes defined");
    return rt;
}

/* Run one lookup and compare everything the hit says. */
static void test_query(const struct rules *r, const char *cname, const struct query *q)
{
    struct rule_hit hit;
    struct addr key;
    char where[512], name[512];
    int rc;

    test_key(q->key, &key);
    memset(&hit, 0, sizeof(hit));
    rc = rules_match(r, &key, &hit);
    snprintf(name, sizeof(name), "%s: %s", cname, q->key);
    if (!is_int(rc, q->rc, name) || rc != 1)
        return;
    if (q->result[0] == '\0')
        ok(hit.result == NULL, "%s: DUNNO has no result", name);
    else
        is_mem(hit.result, hit.result_len, q->result, name);
    snprintf(where, sizeof(where), "%s:%u", hit.file ? hit.file : "(null)", hit.line);
    is_str(where, q->where, name);
    if (q->pattern != NULL)
        is_str(hit.pattern, q->pattern, name);
}

/* The table of matching cases. */
static void test_cases(const struct routes *rt)
{
    static const char *const names[NBUF] = {"a.rules", "b.rules", "c.rules"};
    size_t i, j;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const struct match_case *c = &cases[i];
        struct rules *r = rules_new();
        struct diag *d = diag_new();
        int rc = 0;

        for (j = 0; j < NBUF && c->buf[j] != NULL; j++)
            rc |= rules_add_buffer(r, names[j], c->buf[j], strlen(c->buf[j]), rt, d);
        if (!ok(rc == 0 && rules_finish(r, d) == 0 && diag_errors(d) == 0, "%s: loads", c->name))
            diag_print(d, stdout);
        is_int((long long)rules_file_count(r), (long long)j, c->name);
        for (j = 0; j < NQ && c->q[j].key != NULL; j++)
            test_query(r, c->name, &c->q[j]);
        rules_free(r);
        diag_free(d);
    }
}

/* Whether some diagnostic contains needle. */
static int test_diag_has(const struct diag *d, const char *needle)
{
    size_t i;

    for (i = 0; i < diag_count(d); i++)
        if (strstr(diag_text(d, i), needle) != NULL)
            return 1;
    return 0;
}

/* Counts, warnings, adding after finish, NULL free, the regex resource limit. */
static void test_misc(const struct routes *rt)
{
    static const char text[] = "example.com relay:a\nexample.com relay:b\n/x@y/ relay:c\n"
                               "/^(a+)+$/ relay:slow\n";
    struct rules *r = rules_new();
    struct diag *d = diag_new();
    struct rule_hit hit;
    struct addr key;

    rules_free(NULL);
    is_int(rules_add_buffer(r, "m.rules", text, strlen(text), rt, d), 0, "warnings only: 0");
    is_int((long long)rules_count(r), 3, "duplicate not counted as a rule");
    is_int((long long)diag_warnings(d), 2, "two warnings");
    ok(test_diag_has(d, "m.rules:2: warning: duplicate pattern 'example.com' (first at m.rules:1)"),
       "duplicate names the first line");
    ok(test_diag_has(d, "m.rules:3: warning: regex contains '@'"), "regex with @ warned");
    test_key("example.com", &key);
    is_int(rules_match(r, &key, &hit), 1, "literal matches before rules_finish");
    is_int(rules_finish(r, d), 0, "finish");
    is_int(rules_add_buffer(r, "late.rules", "x.com relay:x\n", 14, rt, d), -1,
           "no rules after finish");
    test_key("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!", &key);
    is_int(rules_match(r, &key, &hit), -1, "catastrophic regex hits the match limit: -1");
    test_key("aaaa", &key);
    is_int(rules_match(r, &key, &hit), 1, "the same regex still matches a short key");
    rules_free(r);
    diag_free(d);
}

/* Write text to dir/name. */
static void test_write(const char *dir, const char *name, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    ok(f != NULL && fputs(text, f) >= 0 && fclose(f) == 0, "write %s", name);
}

/* Files and globs: lexical order, no match, missing path, directory. */
static void test_files(const struct routes *rt)
{
    char dir[] = "/tmp/test_rules.XXXXXX", pat[512], path[512];
    struct rules *r = rules_new();
    struct diag *d = diag_new();
    struct rule_hit hit;
    struct addr key;

    if (!ok(mkdtemp(dir) != NULL, "temp dir"))
        return;
    test_write(dir, "b.rules", "example.com relay:b\nb.com relay:b\n");
    test_write(dir, "a.rules", "example.com relay:a\n");
    test_write(dir, "c.txt", "* relay:c\n");
    snprintf(pat, sizeof(pat), "%s/*.rules", dir);
    is_int(rules_add_files(r, pat, rt, d), 0, "glob loads");
    is_int((long long)rules_file_count(r), 2, "glob matched two files");
    test_key("example.com", &key);
    snprintf(path, sizeof(path), "%s/a.rules", dir);
    ok(rules_match(r, &key, &hit) == 1 && strcmp(hit.file, path) == 0 && hit.line == 1,
       "a.rules comes first");
    ok(test_diag_has(d, "b.rules:1: warning: duplicate pattern"), "b.rules duplicate warned");
    snprintf(pat, sizeof(pat), "%s/*.none", dir);
    is_int(rules_add_files(r, pat, rt, d), 0, "glob without match: 0");
    ok(test_diag_has(d, "*.none: warning: no file matches"), "glob without match warned");
    snprintf(pat, sizeof(pat), "%s/missing.rules", dir);
    is_int(rules_add_files(r, pat, rt, d), -1, "missing path: -1");
    ok(test_diag_has(d, "missing.rules: cannot open: No such file or directory"),
       "missing path reported");
    is_int(rules_add_files(r, dir, rt, d), -1, "directory: -1");
    ok(test_diag_has(d, "cannot open: Is a directory"), "directory reported");
    is_int((long long)diag_errors(d), 2, "two errors");
    rules_free(r);
    diag_free(d);
    unlink(path);
    snprintf(path, sizeof(path), "%s/b.rules", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/c.txt", dir);
    unlink(path);
    snprintf(path, sizeof(path), "%s/a.rules", dir);
    unlink(path);
    rmdir(dir);
}

/*
 * One million literal domains load, all of them counted, and sample keys hit exactly
 * the rules they name. How fast and how big is for `make bench` (tests/bench/rulesperf).
 */
static void test_large(const struct routes *rt)
{
    static const char *const tld[] = {"com", "net", "org", "de", "co.uk", "fr"};
    const size_t big = 1000000, nkeys = 1000;
    char *text = malloc(big * 40), *keybuf = malloc(nkeys * 40);
    struct addr *keys = calloc(nkeys, sizeof(*keys));
    struct rules *small = rules_new(), *large = rules_new();
    struct diag *d = diag_new();
    struct rule_hit hit;
    size_t len = 0, slen, i, hs = 0, hl = 0, want_hs = 0, want_hl = 0;

    if (!ok(text && keybuf && keys && small && large && d, "large: allocations"))
        return;
    for (i = 0; i < big; i++)
        len += (size_t)sprintf(text + len, "h%zx-%zu.example.%s smarthost\n", i * 2654435761u % big,
                               i, tld[i % 6]);
    slen = 0;
    for (i = 0; i < 10; i++) /* the first ten lines of the big list */
        slen = (size_t)((char *)memchr(text + slen, '\n', len - slen) - text) + 1;
    ok(rules_add_buffer(large, "big.rules", text, len, rt, d) == 0 && rules_finish(large, d) == 0,
       "large: 1000000 rules load");
    is_int((long long)rules_count(large), (long long)big, "large: all rules counted");
    ok(rules_add_buffer(small, "small.rules", text, slen, rt, d) == 0 &&
           rules_finish(small, d) == 0 && rules_count(small) == 10,
       "large: the first 10 of them load alone");
    /* Keys: a quarter hit the first ten rules, a quarter (addresses) hit other rules of the
     * big list, half miss (domains and addresses numbered past its end). */
    for (i = 0; i < nkeys; i++) {
        char *k = keybuf + i * 40;
        size_t line = i % 4 == 0 ? i % 10 : i % 4 == 1 ? (i * 7919) % big : big + i;

        if (i % 2 == 1)
            sprintf(k, "u%zu@h%zx-%zu.example.%s", i, line * 2654435761u % big, line,
                    tld[line % 6]);
        else
            sprintf(k, "h%zx-%zu.example.%s", line * 2654435761u % big, line, tld[line % 6]);
        test_key(k, &keys[i]);
        want_hs += line < 10;
        want_hl += line < big;
        hs += rules_match(small, &keys[i], &hit) == 1;
        hl += rules_match(large, &keys[i], &hit) == 1;
    }
    is_int((long long)hs, (long long)want_hs,
           "large: keys of the first ten rules hit the 10-rule set");
    is_int((long long)hl, (long long)want_hl, "large: every listed key hits the 1000000-rule set");
    rules_free(small);
    rules_free(large);
    diag_free(d);
    free(text);
    free(keybuf);
    free(keys);
}

/*
 * The literal prefix/suffix prefilter must never change an answer: every regex below
 * is also matched by PCRE2 directly, and the first match in rule order must agree.
 */
static void test_prefilter(const struct routes *rt)
{
    static const char *const regexes[] = {
        "/(^|\\.)gmx\\.net$/",
        "/^yahoo\\.(co\\.)?[a-z]{2}$/",
        "/^hotmail\\.(com|de)$/",
        "/\\.mail\\.icloud\\.com$/",
        "/^mx-ha\\d+\\.web\\.de$/",
        "/ab+c$/",
        "/^ab?c/",
        "/^a{2}b/",
        "/x\\\\$/",
        "/\\\\.com$/",
        "/foo|bar\\.com$/",
        "/(?i)^ZZ\\.example$/",
        "/^ zz \\. test $/x",
        "/[.]org$/",
        "/o\\.org\\$/",
        "/^\\Qq.q\\E/",
        "/^.example$/",
        "/-dash\\-$/",
        "/^UPPER\\.case$/",
        "/e$/",
        "/^$/",
        /* from the review: escapes with arguments, verbs, classes, braces, \E */
        "/a\\x2eb/",
        "/a\\056b/",
        "/\\101/",
        "/\\c1/",
        "/a\\c-b/",
        "/\\pLx/",
        "/(a)\\g1/",
        "/(a)\\g{-1}/",
        "/a(*ACCEPT)bc/",
        "/[[:digit:]x]y/",
        "/xy{|z/",
        "/a\\E?b/",
        "/(*CR)ab$/",
        "/a{x}b/",
        "/a{2}b$/",
        "/(*NO_JIT)zzz/",
        "/[\\]]q$/",
        "/[^]a]r$/",
    };
    static const char *const domains[] = {
        "gmx.net",
        "notgmx.net",
        "mx.gmx.net",
        "yahoo.de",
        "yahoo.co.uk",
        "yahoo.co.jp",
        "hotmail.com",
        "hotmail.de",
        "x.mail.icloud.com",
        "mx-ha02.web.de",
        "abbbc",
        "ac",
        "abc",
        "aab",
        "aaab",
        "x\\",
        "a.com",
        "foo.example",
        "bar.com",
        "zz.example",
        "zz.test",
        "a.org",
        ".org",
        "o.org$",
        "q.q",
        "qxq",
        "xexample",
        "a-dash-",
        "upper.case",
        "e",
        "",
        "xe",
        "gmx.net.evil",
        "yahoo.com.br",
        "a.b",
        "a",
        "q",
        "amb",
        "ax",
        "1x",
        "aa",
        "1y",
        "z",
        "b",
        "ab\r",
        "zzz",
        "a{x}b",
        "aab",
        "]q",
        "zr",
        "ar",
    };
    size_t nre = sizeof(regexes) / sizeof(regexes[0]);
    size_t nd = sizeof(domains) / sizeof(domains[0]);
    pcre2_code *code[sizeof(regexes) / sizeof(regexes[0])];
    pcre2_match_data *md = pcre2_match_data_create(1, NULL);
    struct rules *r = rules_new();
    struct diag *d = diag_new();
    char text[8192] = "", line[256];
    size_t i, j, bad = 0;

    for (i = 0; i < nre; i++) {
        const char *re = regexes[i] + 1, *end = strrchr(regexes[i], '/');
        uint32_t opts = PCRE2_CASELESS | PCRE2_NEVER_UTF | PCRE2_NEVER_UCP;
        int ec;
        PCRE2_SIZE off;

        if (strchr(end, 'x'))
            opts |= PCRE2_EXTENDED;
        code[i] = pcre2_compile((PCRE2_SPTR)re, (size_t)(end - re), opts, &ec, &off, NULL);
        if (code[i] == NULL)
            abort();
        snprintf(line, sizeof(line), "%s relay:[r%zu]\n", regexes[i], i);
        strcat(text, line);
    }
    ok(rules_add_buffer(r, "pf.rules", text, strlen(text), rt, d) == 0 && rules_finish(r, d) == 0,
       "prefilter rules load");
    for (j = 0; j < nd + 20000; j++) {
        struct rule_hit hit;
        struct addr key;
        char want[32] = "none", got[32] = "none", rnd[16];
        const char *dom = j < nd ? domains[j] : rnd;
        int rc;

        if (j >= nd) { /* random strings over the characters the regexes care about */
            static const char alphabet[] = "abcegmnoqrtxyz.-\\$12{}|]\r";
            size_t k, n = (size_t)rand() % sizeof(rnd);

            for (k = 0; k < n; k++)
                rnd[k] = alphabet[(size_t)rand() % (sizeof(alphabet) - 1)];
            rnd[n] = '\0';
        }

        for (i = 0; i < nre; i++) {
            if (pcre2_match(code[i], (PCRE2_SPTR)dom, strlen(dom), 0, 0, md, NULL) >= 0) {
                snprintf(want, sizeof(want), "relay:[r%zu]", i);
                break;
            }
        }
        test_key(dom, &key);
        rc = rules_match(r, &key, &hit);
        if (rc == 1)
            snprintf(got, sizeof(got), "%.*s", (int)hit.result_len, hit.result);
        if (strcmp(got, want) != 0) {
            bad++;
            if (bad <= 10)
                printf("# '%s': rules_match %s, pcre2 %s\n", dom, got, want);
        }
    }
    is_int((long long)bad, 0,
           "prefilter: every domain (and 20,000 random ones) gets PCRE2's answer");
    for (i = 0; i < nre; i++)
        pcre2_code_free(code[i]);
    pcre2_match_data_free(md);
    rules_free(r);
    diag_free(d);
}

/* mx: rules: file order with the others, lazy DNS, host/suffix/regex, IDN, errors. */
static void test_mx(const struct routes *rt)
{
    static const char text[] = "early.example relay:[early]\n"
                               "mx:MX1.Example.NET. relay:[host]\n"
                               "mx:.mail.protection.outlook.com relay:[suffix]\n"
                               "mx:/^alt[0-9]\\.aspmx\\.l\\.google\\.com$/ relay:[regex]\n"
                               "mx:.b\xc3\xbc"
                               "cher-mx.de relay:[idn]\n"
                               "late.example relay:[late]\n"
                               "* relay:[star]\n";
    static const char *const outlook[] = {"tenant.mail.protection.outlook.com"};
    static const char *const google[] = {"aspmx.l.google.com", "alt1.aspmx.l.google.com"};
    static const char *const both[] = {"x.mail.protection.outlook.com", "mx1.example.net"};
    static const char *const idn[] = {"a.xn--bcher-mx-65a.de"};
    static const char *const suffix_only[] = {"mail.protection.outlook.com"};
    static const struct {
        const char *key;
        const char *const *hosts; /* NULL: MX not known */
        size_t n;
        int rc;
        const char *result, *mx_host;
    } q[] = {
        {"u@early.example", NULL, 0, 1, "relay:[early]", NULL},  /* an earlier rule: no DNS */
        {"u@other.example", NULL, 0, RULES_NEED_MX, NULL, NULL}, /* an mx: rule comes first */
        {"u@late.example", NULL, 0, RULES_NEED_MX, NULL, NULL},
        {"u@other.example", outlook, 1, 1, "relay:[suffix]", outlook[0]},
        {"u@other.example", suffix_only, 1, 1, "relay:[star]", NULL}, /* .SUFFIX needs a label */
        {"u@other.example", google, 2, 1, "relay:[regex]", google[1]},
        {"u@other.example", both, 2, 1, "relay:[host]", both[1]}, /* first rule wins */
        {"u@other.example", idn, 1, 1, "relay:[idn]", idn[0]},
        {"u@late.example", google, 1, 1, "relay:[late]", NULL}, /* aspmx only: no mx: rule */
        {"u@late.example", NULL, 0, RULES_NEED_MX, NULL, NULL},
        {"u@other.example", outlook, 0, 1, "relay:[star]", NULL}, /* null MX: none matches */
    };
    struct rules *r = rules_new(), *plain = rules_new();
    struct diag *d = diag_new();
    struct rule_hit hit;
    struct addr key;
    size_t i;

    ok(rules_add_buffer(r, "mx.rules", text, sizeof(text) - 1, rt, d) == 0 &&
           rules_finish(r, d) == 0,
       "mx: rules load");
    diag_print(d, stdout);
    is_int(rules_have_mx(r), 1, "the set has mx: rules");
    for (i = 0; i < sizeof(q) / sizeof(q[0]); i++) {
        struct rules_mx mx = {q[i].hosts, q[i].n};
        int rc;

        test_key(q[i].key, &key);
        memset(&hit, 0, sizeof(hit));
        rc = rules_match_mx(r, &key, q[i].hosts ? &mx : NULL, &hit);
        if (!is_int(rc, q[i].rc, q[i].key) || rc != 1)
            continue;
        is_mem(hit.result, hit.result_len, q[i].result, "  result");
        ok(hit.mx_host == q[i].mx_host, "  MX host named: %s", hit.mx_host ? hit.mx_host : "none");
    }
    test_key("u@other.example", &key);
    {
        struct rules_mx mx = {idn, 1};
        rules_match_mx(r, &key, &mx, &hit);
        is_str(hit.pattern, "mx:.xn--bcher-mx-65a.de",
               "an IDN mx: pattern is kept in A-label form");
    }
    ok(rules_add_buffer(plain, "p.rules", "aol.com smarthost\n", 18, rt, d) == 0 &&
           rules_finish(plain, d) == 0 && rules_have_mx(plain) == 0,
       "a set without mx: rules says so");
    rules_free(plain);
    rules_free(r);
    diag_free(d);

    /* Errors, each at its line. */
    {
        static const char bad[] = "mx: smarthost\n"
                                  "mx:. smarthost\n"
                                  "mx:a..b smarthost\n"
                                  "mx:/(/ smarthost\n"
                                  "mx:/a/q smarthost\n"
                                  "mx:\xe2\x98\x83.net smarthost\n"
                                  "mx:ok.example nosuchroute\n";
        size_t n;

        r = rules_new();
        d = diag_new();
        rules_add_buffer(r, "bad.rules", bad, sizeof(bad) - 1, rt, d);
        n = diag_errors(d);
        is_int((long long)n, 7, "every bad mx: line is an error");
        for (i = 0; i < diag_count(d); i++)
            printf("#   %s\n", diag_text(d, i));
        rules_free(r);
        diag_free(d);
    }
}

int main(void)
{
    struct routes *rt = test_routes();

    test_cases(rt);
    test_mx(rt);
    test_misc(rt);
    test_files(rt);
    test_prefilter(rt);
    test_large(rt);
    routes_free(rt);
    return done_testing();
}
