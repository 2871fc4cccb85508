/* test_routes.c - named routes: names, results, define, get, resolve (table-driven). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "routes.h"
#include "tap.h"

/* A string of n copies of ch (caller frees). */
static char *test_routes_repeat(char ch, size_t n)
{
    char *s = malloc(n + 1);

    if (s == NULL)
        abort();
    memset(s, ch, n);
    s[n] = '\0';
    return s;
}

/* s escaped for a TAP label (labels must stay on one line). */
static const char *test_routes_esc(const char *s)
{
    static char buf[4][128];
    static unsigned next;
    char *b = buf[next++ % 4];

    return log_escape(b, sizeof(buf[0]), s, strlen(s));
}

/* routes_check_name over good and bad names. */
static void test_routes_names(void)
{
    static const struct {
        const char *name;
        int want;
    } cases[] = {
        {"smarthost", 0},   {"a", 0},           {"A-b_9", 0},      {"", -1},    {"smart host", -1},
        {"smart.host", -1}, {"smart:host", -1}, {"r\xc3\xa9", -1}, {"x\t", -1},
    };
    char err[256];
    char *max = test_routes_repeat('n', ROUTES_NAME_MAX);
    char *over = test_routes_repeat('n', ROUTES_NAME_MAX + 1);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char label[128];

        err[0] = '\0';
        snprintf(label, sizeof(label), "check_name \"%s\" = %d", test_routes_esc(cases[i].name),
                 cases[i].want);
        is_int(routes_check_name(cases[i].name, strlen(cases[i].name), err, sizeof(err)),
               cases[i].want, label);
        if (cases[i].want < 0)
            ok(err[0] != '\0', "check_name \"%s\" gives a reason (%s)",
               test_routes_esc(cases[i].name), err);
    }
    is_int(routes_check_name(max, strlen(max), err, sizeof(err)), 0, "name of max length");
    is_int(routes_check_name(over, strlen(over), err, sizeof(err)), -1, "name over max length");
    is_str(err, "route name longer than 64 bytes", "reason for a long name");
    is_int(routes_check_name("ab\0c", 4, err, sizeof(err)), -1, "name with a NUL byte");
    free(max);
    free(over);
}

/* routes_check_result over good and bad results. */
static void test_routes_results(void)
{
    static const struct {
        const char *result;
        int want;
        const char *reason; /* NULL: any */
    } cases[] = {
        {"smtp:", 0, NULL},
        {"smtp:[smtp.isp.example]:587", 0, NULL},
        {":[relay.example]", 0, NULL},
        {"relay:", 0, NULL},
        {"error:5.7.1 no mail for you", 0, NULL},
        {"retry:4.4.0 later", 0, NULL},
        {"smtp:[h\xc3\xa9]", 0, NULL},
        {"", -1, "empty result"},
        {"smarthost", -1, "result without a colon (transport:nexthop): \"smarthost\""},
        {" smtp:", -1, "result starts with white space"},
        {"\tsmtp:", -1, "result contains a control character"},
        {"smtp:\r", -1, "result contains a control character"},
        {"smtp:\x7f", -1, "result contains a control character"},
        {"error:a\nb", -1, "result contains a control character"},
    };
    char err[256];
    char *max = test_routes_repeat('x', ROUTES_RESULT_MAX);
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char label[128];

        err[0] = '\0';
        snprintf(label, sizeof(label), "check_result \"%s\" = %d", test_routes_esc(cases[i].result),
                 cases[i].want);
        is_int(routes_check_result(cases[i].result, strlen(cases[i].result), err, sizeof(err)),
               cases[i].want, label);
        if (cases[i].reason != NULL)
            is_str(err, cases[i].reason, "check_result reason");
    }
    max[3] = ':';
    is_int(routes_check_result(max, ROUTES_RESULT_MAX, err, sizeof(err)), 0,
           "result of max length");
    is_int(routes_check_result(max, ROUTES_RESULT_MAX + 0, err, 0), 0, "errsize 0 is fine");
    free(max);
    max = test_routes_repeat('x', ROUTES_RESULT_MAX + 1);
    max[3] = ':';
    is_int(routes_check_result(max, ROUTES_RESULT_MAX + 1, err, sizeof(err)), -1,
           "result over max length");
    is_str(err, "result longer than 1000 bytes", "reason for a long result");
    is_int(routes_check_result("smtp:\0x", 7, err, sizeof(err)), -1, "result with a NUL byte");
    free(max);
}

/* routes_define, routes_get and routes_count, including rejected definitions. */
static void test_routes_define(void)
{
    static const struct {
        const char *name, *result;
        int want;
        const char *reason;
    } cases[] = {
        {"smarthost", "smtp:[smtp.isp.example]:587", 0, NULL},
        {"direct", "smtp:", 0, NULL},
        {"reject", "error:5.7.1 go away", 0, NULL},
        {"a", "relay:", 0, NULL},
        {"zz", "retry:4.4.0 later", 0, NULL},
        {"Smarthost", "smtp:[other]", 0, NULL},
        {"smarthost", "smtp:", -1, "duplicate route \"smarthost\""},
        {"DUNNO", "smtp:", -1, "route name DUNNO is reserved"},
        {"dunno", "smtp:", -1, "route name DUNNO is reserved"},
        {"bad name", "smtp:", -1, "route name may hold only A-Z a-z 0-9 _ -, not \"bad name\""},
        {"", "smtp:", -1, "empty route name"},
        {"nocolon", "smarthost", -1, "result without a colon (transport:nexthop): \"smarthost\""},
        {"empty", "", -1, "empty result"},
    };
    struct routes *r = routes_new();
    char err[256];
    size_t i, defined = 0;

    ok(r != NULL, "routes_new");
    is_int((long long)routes_count(r), 0, "a new table is empty");
    is_int((long long)routes_count(NULL), 0, "routes_count(NULL)");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char label[128];

        err[0] = '\0';
        snprintf(label, sizeof(label), "define %s = %s: %d", test_routes_esc(cases[i].name),
                 test_routes_esc(cases[i].result), cases[i].want);
        is_int(routes_define(r, cases[i].name, cases[i].result, err, sizeof(err)), cases[i].want,
               label);
        if (cases[i].reason != NULL)
            is_str(err, cases[i].reason, "define reason");
        defined += cases[i].want == 0;
    }
    is_int((long long)routes_count(r), (long long)defined, "count after defines");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *got;

        if (cases[i].want < 0)
            continue;
        got = routes_get(r, cases[i].name, strlen(cases[i].name));
        is_str(got, cases[i].result, "routes_get after define");
    }
    ok(routes_get(r, "smarthos", 8) == NULL, "prefix of a name is not found");
    ok(routes_get(r, "smarthostx", 10) == NULL, "longer name is not found");
    ok(routes_get(r, "SMARTHOST", 9) == NULL, "names are case-sensitive");
    is_str(routes_get(r, "smarthost-and-more", 9), "smtp:[smtp.isp.example]:587",
           "routes_get uses the length, not a NUL");
    ok(routes_get(NULL, "a", 1) == NULL, "routes_get(NULL)");
    is_int(routes_define(NULL, "a", "smtp:", err, sizeof(err)), -1, "define into NULL table");
    routes_free(r);
    routes_free(NULL);
}

/* Many routes stay sorted and findable (exercises growth and binary search). */
static void test_routes_many(void)
{
    struct routes *r = routes_new();
    char name[32], result[64], err[256];
    unsigned i, bad = 0;

    /* insert in a scrambled order */
    for (i = 0; i < 1000; i++) {
        unsigned k = (i * 7919u) % 1000u;

        snprintf(name, sizeof(name), "r%u", k);
        snprintf(result, sizeof(result), "smtp:[h%u]", k);
        if (routes_define(r, name, result, err, sizeof(err)) < 0)
            bad++;
    }
    is_int(bad, 0, "1000 distinct routes defined");
    is_int((long long)routes_count(r), 1000, "count is 1000");
    bad = 0;
    for (i = 0; i < 1000; i++) {
        const char *got;

        snprintf(name, sizeof(name), "r%u", i);
        snprintf(result, sizeof(result), "smtp:[h%u]", i);
        got = routes_get(r, name, strlen(name));
        if (got == NULL || strcmp(got, result) != 0)
            bad++;
    }
    is_int(bad, 0, "every one of 1000 routes found with its result");
    ok(routes_get(r, "r1000", 5) == NULL, "an undefined one is not found");
    routes_free(r);
}

/* routes_resolve: DUNNO, literals, names, unknown names, bad literals. */
static void test_routes_resolve(void)
{
    static const struct {
        const char *token;
        int want;
        const char *result; /* want 1 */
        const char *reason; /* want -1 */
    } cases[] = {
        {"DUNNO", 0, NULL, NULL},
        {"dunno", 0, NULL, NULL},
        {"DuNnO", 0, NULL, NULL},
        {"smarthost", 1, "smtp:[smtp.isp.example]:587", NULL},
        {"direct", 1, "smtp:", NULL},
        {"smtp:[relay.example]:587", 1, "smtp:[relay.example]:587", NULL},
        {"error:5.7.1 no mail for you", 1, "error:5.7.1 no mail for you", NULL},
        {"relay:", 1, "relay:", NULL},
        {"smarthst", -1, NULL, "unknown route \"smarthst\""},
        {"SMARTHOST", -1, NULL, "unknown route \"SMARTHOST\""},
        {"DUNNOX", -1, NULL, "unknown route \"DUNNOX\""},
        {"bad\x01name", -1, NULL, "unknown route \"bad\\x01name\""},
        {"", -1, NULL, "empty route"},
        {"smtp:\x01", -1, NULL, "result contains a control character"},
        {" smtp:", -1, NULL, "result starts with white space"},
    };
    struct routes *r = routes_new();
    char err[256];
    size_t i;

    routes_define(r, "smarthost", "smtp:[smtp.isp.example]:587", err, sizeof(err));
    routes_define(r, "direct", "smtp:", err, sizeof(err));
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *res = NULL;
        size_t rlen = 0;
        int got;

        err[0] = '\0';
        got = routes_resolve(r, cases[i].token, strlen(cases[i].token), &res, &rlen, err,
                             sizeof(err));
        ok(got == cases[i].want, "resolve \"%s\" = %d (got %d)", test_routes_esc(cases[i].token),
           cases[i].want, got);
        if (cases[i].want == 1)
            is_mem(res, rlen, cases[i].result, "resolved result");
        if (cases[i].want == -1)
            is_str(err, cases[i].reason, "resolve reason");
    }
    /* a literal is borrowed from the caller's token; a name from the table */
    {
        const char *tok = "relay:x trailing", *res = NULL;
        size_t rlen = 0;

        is_int(routes_resolve(r, tok, 7, &res, &rlen, err, sizeof(err)), 1, "literal by length");
        ok(res == tok && rlen == 7, "literal result points into the token");
        is_int(routes_resolve(r, "directly", 6, &res, &rlen, err, sizeof(err)), 1,
               "name by length");
        is_mem(res, rlen, "smtp:", "name resolved by its length");
        is_int(routes_resolve(NULL, "direct", 6, &res, &rlen, err, sizeof(err)), -1,
               "no table: a name is unknown");
        is_int(routes_resolve(NULL, "smtp:", 5, &res, &rlen, err, sizeof(err)), 1,
               "no table: a literal still resolves");
        is_int(routes_resolve(NULL, "DUNNO", 5, &res, &rlen, err, sizeof(err)), 0,
               "no table: DUNNO still resolves");
    }
    routes_free(r);
}

int main(void)
{
    test_routes_names();
    test_routes_results();
    test_routes_define();
    test_routes_many();
    test_routes_resolve();
    return done_testing();
}
