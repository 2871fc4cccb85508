/* test_decide.c - the decision engine: overrides, then rules, then default_route; explain. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "decide.h"
#include "diag.h"
#include "overrides.h"
#include "snapshot.h"
#include "tap.h"

static char test_dir[] = "/tmp/test_decide.XXXXXX";

/* Write text to test_dir/name; returns the path in a static buffer. */
static const char *test_write(const char *name, const char *text)
{
    static char path[256];
    FILE *f;

    snprintf(path, sizeof(path), "%s/%s", test_dir, name);
    f = fopen(path, "w");
    if (f == NULL)
        abort();
    fputs(text, f);
    fclose(f);
    return path;
}

/* Build a snapshot from the config text; abort when it has errors. */
static struct snapshot *test_snapshot(const char *conf)
{
    struct diag *d = diag_new();
    struct snapshot *s = snapshot_build(test_write("policyd.conf", conf), d);

    if (s == NULL) {
        diag_print(d, stdout);
        abort();
    }
    diag_free(d);
    return s;
}

/* Decide key and return "ANSWER RESULT" / "NOTFOUND" / "TEMP" / "ERROR" in a static buffer. */
static const char *test_decide(const struct snapshot *s, const struct overrides *ov,
                               const char *key, uint64_t now, struct decision *dec)
{
    static char out[512];
    char buf[512];
    struct addr a;

    if (addr_parse(key, strlen(key), buf, sizeof(buf), &a) < 0)
        return "BADKEY";
    decide(s, ov, &a, now, dec);
    switch (dec->answer) {
    case DECIDE_FOUND:
        snprintf(out, sizeof(out), "%.*s", (int)dec->result_len, dec->result);
        return out;
    case DECIDE_NOTFOUND:
        return "NOTFOUND";
    case DECIDE_TEMP:
        return "TEMP";
    default:
        return "ERROR";
    }
}

static const char *const conf_common = "rules = a.rules, b.rules\n"
                                       "route.smarthost = smtp:[relay.example]:587\n"
                                       "route.direct = smtp:\n";

/* Precedence without overrides: rules across files in order, DUNNO, default_route. */
static void test_rules_and_default(void)
{
    static const struct {
        const char *key, *want;
        int source;
    } cases[] = {
        {"User+x@AOL.com", "smtp:[relay.example]:587", DECIDE_SRC_RULE},
        {"x@sub.gmx.de", "smtp:[relay.example]:587", DECIDE_SRC_RULE}, /* b.rules regex */
        {"x@yahoo.co.jp", "NOTFOUND", DECIDE_SRC_RULE},                /* DUNNO, no default */
        {"x@example.org", "smtp:", DECIDE_SRC_DEFAULT},
        {"*", "smtp:", DECIDE_SRC_DEFAULT},
        {"boss@aol.com", "relay:[10.1.1.1]", DECIDE_SRC_RULE}, /* the first rule in file order */
    };
    struct snapshot *s;
    struct decision dec;
    char conf[1024];
    size_t i;

    test_write("a.rules", "boss@aol.com relay:[10.1.1.1]\n"
                          "aol.com smarthost\n"
                          "yahoo.co.jp DUNNO\n");
    test_write("b.rules", "/(^|\\.)gmx\\.de$/ smarthost\n"
                          "/^yahoo\\./ smarthost\n");
    snprintf(conf, sizeof(conf), "%sdefault_route = direct\n", conf_common);
    s = test_snapshot(conf);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        is_str(test_decide(s, NULL, cases[i].key, 0, &dec), cases[i].want, cases[i].key);
        is_int(dec.source, cases[i].source, "  source");
    }
    snapshot_unref(s);
}

/* Overrides come first; most specific wins; invalid values are skipped; TTLs honoured. */
static void test_overrides(void)
{
    struct overrides *ov = overrides_new();
    struct snapshot *s;
    struct decision dec;
    char conf[1024], line[512];
    size_t n;

    test_write("a.rules", "aol.com smarthost\n");
    test_write("b.rules", "# empty\n");
    snprintf(conf, sizeof(conf), "%sredis = tcp:127.0.0.1:6379\n", conf_common);
    s = test_snapshot(conf);

    is_str(test_decide(s, ov, "x@aol.com", 1000, &dec), "TEMP", "never loaded: tempfail");
    is_str(test_decide(s, ov, "*", 1000, &dec), "NOTFOUND", "never loaded: '*' is still not found");
    overrides_set_loaded(ov, 1);
    is_str(test_decide(s, ov, "x@aol.com", 1000, &dec), "smtp:[relay.example]:587",
           "loaded, no override: the rule");

    overrides_set(ov, "aol.com", 7, "direct", 6, 0);
    is_str(test_decide(s, ov, "x@aol.com", 1000, &dec),
           "smtp:", "exact-domain override beats rule");
    is_int(dec.source, DECIDE_SRC_OVERRIDE, "  source override");
    n = decide_explain(&dec, "policyd:", line, sizeof(line));
    ok(n < sizeof(line) && strstr(line, "policyd:route:aol.com") != NULL, "explain names the key");
    ok(strstr(line, "no ttl") != NULL, "explain says no ttl");

    overrides_set(ov, "x@aol.com", 9, "smtp:[10.9.9.9]", 15, 0);
    is_str(test_decide(s, ov, "X+tag@AOL.com", 1000, &dec), "smtp:[10.9.9.9]",
           "address override beats domain override");
    overrides_set(ov, ".aol.com", 8, "smarthost", 9, 0);
    overrides_set(ov, ".b.aol.com", 10, "DUNNO", 5, 0);
    is_str(test_decide(s, ov, "y@a.aol.com", 1000, &dec), "smtp:[relay.example]:587",
           "parent override for a subdomain");
    is_str(test_decide(s, ov, "y@a.b.aol.com", 1000, &dec), "NOTFOUND",
           "longest parent wins, DUNNO stops");

    overrides_set(ov, "gmx.de", 6, "nosuchroute", 11, 0);
    overrides_set(ov, ".de", 3, "direct", 6, 0);
    is_str(test_decide(s, ov, "y@gmx.de", 1000, &dec),
           "smtp:", "invalid value skipped, next less specific applies");

    overrides_set(ov, "web.de", 6, "smarthost", 9, 5000);
    is_str(test_decide(s, ov, "y@web.de", 4000, &dec), "smtp:[relay.example]:587",
           "override with time left applies");
    n = decide_explain(&dec, "policyd:", line, sizeof(line));
    ok(strstr(line, "ttl=1s") != NULL, "explain shows the remaining ttl (%s)", line);
    is_str(test_decide(s, ov, "y@web.de", 5000, &dec),
           "smtp:", "expired override no longer applies (.de applies)");
    snapshot_unref(s);

    snprintf(conf, sizeof(conf), "%sredis = tcp:127.0.0.1:6379\nredis_unavailable = rules\n",
             conf_common);
    s = test_snapshot(conf);
    overrides_set_loaded(ov, 0);
    is_str(test_decide(s, ov, "x@aol.com", 1000, &dec), "smtp:[relay.example]:587",
           "never loaded, redis_unavailable = rules: the rule");
    snapshot_unref(s);
    overrides_free(ov);
}

/* Explanations for rules, DUNNO and the default. */
static void test_explain(void)
{
    struct snapshot *s;
    struct decision dec;
    char conf[1024], line[512];

    test_write("a.rules", "aol.com smarthost\nyahoo.co.jp DUNNO\n");
    test_write("b.rules", "");
    s = test_snapshot(conf_common);
    test_decide(s, NULL, "x@aol.com", 0, &dec);
    decide_explain(&dec, "", line, sizeof(line));
    ok(strstr(line, "a.rules:1: aol.com") != NULL && strncmp(line, "smtp:[relay", 11) == 0,
       "explain rule: %s", line);
    test_decide(s, NULL, "x@yahoo.co.jp", 0, &dec);
    decide_explain(&dec, "", line, sizeof(line));
    ok(strstr(line, "a.rules:2") != NULL && strstr(line, "DUNNO") != NULL, "explain DUNNO: %s",
       line);
    test_decide(s, NULL, "x@example.org", 0, &dec);
    decide_explain(&dec, "", line, sizeof(line));
    ok(strncmp(line, "NOTFOUND", 8) == 0, "explain nothing: %s", line);
    snapshot_unref(s);
    snprintf(conf, sizeof(conf), "%sdefault_route = smtp:[fallback.example]\n", conf_common);
    s = test_snapshot(conf);
    test_decide(s, NULL, "x@example.org", 0, &dec);
    decide_explain(&dec, "", line, sizeof(line));
    is_str(line, "smtp:[fallback.example] (default_route)", "explain default");
    snapshot_unref(s);
}

/* IDN: keys and patterns in UTF-8 or A-label form meet in A-label form (SPEC 7). */
static void test_idn(void)
{
    static const struct {
        const char *key, *want;
    } cases[] = {
        {"x@B\xc3\x9c"
         "CHER.de",
         "smtp:[utf8-pattern]"},                       /* UTF-8 key, UTF-8 pattern */
        {"x@xn--bcher-kva.de", "smtp:[utf8-pattern]"}, /* A-label key, UTF-8 pattern */
        {"x@m\xc3\xbc"
         "nchen.example",
         "smtp:[alabel-pattern]"},                /* UTF-8 key, A-label pattern */
        {"x@sub.fa\xc3\x9f.de", "smtp:[parent]"}, /* non-transitional: not fass.de */
        {"boss@b\xc3\xbc"
         "cher.de",
         "smtp:[address]"},
        {"x@\xe2\x98\x83.net", "NOTFOUND"}, /* no A-label form */
        {"x@a..\xc3\xbc.de", "NOTFOUND"},   /* empty label */
    };
    struct overrides *ov = overrides_new();
    struct snapshot *s;
    struct decision dec;
    char line[512];
    size_t i;

    test_write("a.rules", "boss@b\xc3\xbc"
                          "cher.de smtp:[address]\n"
                          "b\xc3\xbc"
                          "cher.de smtp:[utf8-pattern]\n"
                          "xn--mnchen-3ya.example smtp:[alabel-pattern]\n"
                          ".fa\xc3\x9f.de. smtp:[parent]\n"
                          "fass.de smtp:[transitional]\n"
                          "/\\.net$/ smtp:[regex]\n");
    test_write("b.rules", "# empty\n");
    s = test_snapshot(conf_common);
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_str(test_decide(s, NULL, cases[i].key, 0, &dec), cases[i].want, cases[i].key);
    test_decide(s, NULL, "x@\xe2\x98\x83.net", 0, &dec);
    is_int(dec.source, DECIDE_SRC_IDN, "an unconvertible key is decided by IDN, not by the regex");
    decide_explain(&dec, "", line, sizeof(line));
    ok(strncmp(line, "NOTFOUND (the domain has no A-label form: ", 42) == 0 &&
           strstr(line, "disallowed") != NULL,
       "explain says why: %s", line);
    snapshot_unref(s);

    test_write("a.rules", "# empty\n");
    s = test_snapshot(conf_common);
    overrides_set_loaded(ov, 1);
    overrides_set(ov,
                  "b\xc3\xbc"
                  "cher.de",
                  10, "smtp:[ov-utf8]", 14, 0);
    overrides_set(ov, ".xn--mnchen-3ya.example", 23, "smtp:[ov-alabel]", 16, 0);
    is_str(test_decide(s, ov, "x@xn--bcher-kva.de", 0, &dec), "smtp:[ov-utf8]",
           "an override written in UTF-8 matches the A-label key");
    is_str(test_decide(s, ov,
                       "x@a.M\xc3\x9c"
                       "nchen.example",
                       0, &dec),
           "smtp:[ov-alabel]", "an override written as A-label matches the UTF-8 key");
    overrides_del(ov, "xn--bcher-kva.de", 16);
    is_str(test_decide(s, ov,
                       "x@b\xc3\xbc"
                       "cher.de",
                       0, &dec),
           "NOTFOUND", "deleting either spelling removes the override");
    snapshot_unref(s);
    overrides_free(ov);
}

/* Decide key with the MX given (NULL: not known); returns the answer as test_decide does. */
static const char *test_decide_mx(const struct snapshot *s, const struct overrides *ov,
                                  const char *key, const struct decide_mx *mx, struct decision *dec)
{
    static char buf[512];
    struct addr a;

    if (addr_parse(key, strlen(key), buf, sizeof(buf), &a) < 0)
        return "BADKEY";
    decide_mx(s, ov, &a, 1000, mx, dec);
    switch (dec->answer) {
    case DECIDE_NEED_MX:
        return "NEED_MX";
    case DECIDE_DNS_TEMP:
        return "DNS_TEMP";
    case DECIDE_FOUND:
        snprintf(buf, sizeof(buf), "%.*s", (int)dec->result_len, dec->result);
        return buf;
    case DECIDE_NOTFOUND:
        return "NOTFOUND";
    default:
        return "OTHER";
    }
}

/* MX patterns: lazy DNS, precedence (SPEC 7), failures, explain. */
static void test_mx(void)
{
    static const char *const google[] = {"aspmx.l.google.com"};
    static const struct decide_mx mx_google = {0, google, 1, "MX", 1, 300};
    static const struct decide_mx mx_none = {0, NULL, 0, "null MX", 0, 60};
    static const struct decide_mx mx_fail = {1, NULL, 0, "SERVFAIL", 0, 5};
    struct overrides *ov = overrides_new();
    struct snapshot *s;
    struct decision dec;
    char line[512];

    test_write("a.rules", "literal.example smtp:[lit]\n"
                          "mx:.google.com smtp:[google]\n"
                          "after.example smtp:[after]\n");
    test_write("b.rules", "# empty\n");
    s = test_snapshot(conf_common);
    is_str(test_decide_mx(s, NULL, "x@literal.example", NULL, &dec), "smtp:[lit]",
           "a literal rule before the mx: rule needs no DNS");
    is_str(test_decide_mx(s, NULL, "x@other.example", NULL, &dec), "NEED_MX",
           "reaching the mx: rule needs the MX");
    is_str(dec.mx_domain, "other.example", "  of the key's domain");
    is_str(test_decide_mx(s, NULL, "x@after.example", NULL, &dec), "NEED_MX",
           "a literal rule after the mx: rule waits for DNS too");
    is_str(test_decide_mx(s, NULL,
                          "x@B\xc3\xbc"
                          "cher.de",
                          NULL, &dec),
           "NEED_MX", "an IDN key");
    is_str(dec.mx_domain, "xn--bcher-kva.de", "  asks DNS for the A-label form");
    is_str(test_decide_mx(s, NULL, "x@other.example", &mx_google, &dec), "smtp:[google]",
           "the MX matches the mx: rule");
    decide_explain(&dec, "", line, sizeof(line));
    ok(strncmp(line, "smtp:[google] (rule ", 20) == 0, "explain starts with the answer");
    ok(strstr(line, ": mx:.google.com via MX aspmx.l.google.com)") != NULL &&
           strstr(line, "[MX of other.example: MX, cached, ttl=300s]") != NULL,
       "explain names the MX host and the DNS outcome: %s", line);
    is_str(test_decide_mx(s, NULL, "x@after.example", &mx_none, &dec), "smtp:[after]",
           "null MX: the mx: rule does not match, evaluation goes on");
    is_str(test_decide_mx(s, NULL, "x@after.example", &mx_fail, &dec), "DNS_TEMP",
           "DNS failure where the MX is needed: temporary");
    decide_explain(&dec, "", line, sizeof(line));
    is_str(line, "TEMP (MX lookup of after.example failed: SERVFAIL)", "explain of the failure");
    is_str(test_decide_mx(s, NULL, "x@literal.example", &mx_fail, &dec), "smtp:[lit]",
           "a DNS failure does not matter where the MX is not needed");

    overrides_set_loaded(ov, 1);
    overrides_set(ov, "literal.example", 15, "smtp:[recipient-ov]", 19, 0);
    is_str(test_decide_mx(s, ov, "x@literal.example", NULL, &dec), "smtp:[recipient-ov]",
           "a recipient override needs no DNS");
    overrides_set(ov, "mx:.l.google.com", 16, "smtp:[mx-ov]", 12, 0);
    is_str(test_decide_mx(s, ov, "x@literal.example", NULL, &dec), "smtp:[recipient-ov]",
           "a recipient override beats MX overrides, without DNS");
    is_str(test_decide_mx(s, ov, "x@other.example", NULL, &dec), "NEED_MX",
           "once MX overrides exist, a key needs its MX before the rules");
    overrides_del(ov, "literal.example", 15);
    is_str(test_decide_mx(s, ov, "x@literal.example", NULL, &dec), "NEED_MX",
           "  even one a literal rule would decide");
    is_str(test_decide_mx(s, ov, "x@literal.example", &mx_google, &dec), "smtp:[mx-ov]",
           "an MX override beats the rules");
    decide_explain(&dec, "policyd:", line, sizeof(line));
    ok(strstr(line, "override policyd:route:mx:.l.google.com") != NULL &&
           strstr(line, "via MX aspmx.l.google.com") != NULL,
       "explain names the MX override and host: %s", line);
    is_str(test_decide_mx(s, ov, "x@literal.example", &mx_none, &dec), "smtp:[lit]",
           "no MX override matches: the rules");
    snapshot_unref(s);
    overrides_free(ov);
}

int main(void)
{
    if (mkdtemp(test_dir) == NULL)
        return 1;
    test_mx();
    test_rules_and_default();
    test_overrides();
    test_explain();
    test_idn();
    unlink(test_write("a.rules", ""));
    unlink(test_write("b.rules", ""));
    unlink(test_write("policyd.conf", ""));
    rmdir(test_dir);
    return done_testing();
}
