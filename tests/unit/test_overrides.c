/* test_overrides.c - the in-memory override view: precedence, expiry, accept, clear, scale. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overrides.h"
#include "tap.h"
#include "testutil.h"

/* Accept callback: refuse values starting with "bad". */
static int test_accept(const char *value, size_t len, void *arg)
{
    int *calls = arg;

    (*calls)++;
    return !(len >= 3 && memcmp(value, "bad", 3) == 0);
}

struct test_entry {
    const char *pattern;
    const char *value;
    int64_t expire_in; /* ms from "now"; 0 = none; negative = already expired */
};

struct test_case {
    const char *key;
    const char *want_pattern; /* NULL: not found */
    int use_accept;
};

static const struct test_entry test_entries[] = {
    {"user@a.example.com", "addr", 0},      {"a.example.com", "exact", 0},
    {".example.com", "parent", 0},          {".com", "tld", 0},
    {".b.example.com", "longer-parent", 0}, {"old.example.org", "gone", -1},
    {".example.org", "org-parent", 0},      {"ttl.example.net", "ttl", 5000},
    {"bad.example.net", "bad-value", 0},    {".example.net", "net-parent", 0},
    {"x@bad.example.net", "bad-too", 0},    {"expired@c.example.com", "old", -10},
};

static const struct test_case test_cases[] = {
    {"user@a.example.com", "user@a.example.com", 0},
    {"other@a.example.com", "a.example.com", 0},
    {"a.example.com", "a.example.com", 0},
    {"example.com", ".com", 0}, /* ".example.com" is not example.com itself */
    {"z.example.com", ".example.com", 0},
    {"x.b.example.com", ".b.example.com", 0}, /* longest parent first */
    {"b.example.com", ".example.com", 0},
    {"deep.x.y.example.com", ".example.com", 0},
    {"expired@c.example.com", ".example.com", 0}, /* expired address falls through */
    {"old.example.org", ".example.org", 0},
    {"example.org", NULL, 0},
    {"ttl.example.net", "ttl.example.net", 0},
    {"bad.example.net", "bad.example.net", 0},
    {"bad.example.net", ".example.net", 1}, /* accept refuses, next less specific */
    {"x@bad.example.net", ".example.net", 1},
    {"nothing.invalid", NULL, 0},
    {"*", NULL, 0},
    {"user@nothing.invalid", NULL, 0},
};

/* Table-driven precedence and expiry checks. */
static void test_precedence(void)
{
    struct overrides *o = overrides_new();
    uint64_t now = 1000000;
    size_t i;

    ok(o != NULL, "overrides_new");
    ok(!overrides_loaded(o), "new view is not loaded");
    for (i = 0; i < sizeof(test_entries) / sizeof(test_entries[0]); i++) {
        const struct test_entry *e = &test_entries[i];
        uint64_t at = e->expire_in == 0 ? 0 : (uint64_t)((int64_t)now + e->expire_in);

        ok(overrides_set(o, e->pattern, strlen(e->pattern), e->value, strlen(e->value), at) == 0,
           "set %s", e->pattern);
    }
    is_int((long long)overrides_count(o), sizeof(test_entries) / sizeof(test_entries[0]), "count");
    for (i = 0; i < sizeof(test_cases) / sizeof(test_cases[0]); i++) {
        const struct test_case *c = &test_cases[i];
        struct override_hit hit;
        struct addr a;
        int calls = 0;
        int r;

        test_key(c->key, &a);
        r = overrides_lookup(o, &a, now, c->use_accept ? test_accept : NULL, &calls, &hit);
        if (c->want_pattern == NULL) {
            is_int(r, 0, c->key);
            continue;
        }
        if (!is_int(r, 1, c->key))
            continue;
        is_mem(hit.pattern, hit.pattern_len, c->want_pattern, "pattern");
        if (c->use_accept)
            ok(calls >= 2, "accept was consulted for %s", c->key);
    }
    overrides_free(o);
}

/* Values, TTL reporting, replacement, deletion, clear and expiry sweeps. */
static void test_changes(void)
{
    struct overrides *o = overrides_new();
    struct override_hit hit;
    struct addr a;
    const char *v;
    size_t vlen;
    uint64_t at;

    overrides_set(o, "aol.com", 7, "smarthost", 9, 0);
    test_key("aol.com", &a);
    ok(overrides_lookup(o, &a, 5, NULL, NULL, &hit) == 1, "found");
    is_mem(hit.value, hit.value_len, "smarthost", "value");
    is_int(hit.ttl_ms, -1, "no ttl");
    overrides_set(o, "aol.com", 7, "direct", 6, 2005);
    is_int((long long)overrides_count(o), 1, "replace keeps one entry");
    ok(overrides_lookup(o, &a, 5, NULL, NULL, &hit) == 1, "found after replace");
    is_mem(hit.value, hit.value_len, "direct", "replaced value");
    is_int(hit.ttl_ms, 2000, "ttl remaining");
    ok(overrides_lookup(o, &a, 2004, NULL, NULL, &hit) == 1, "live 1 ms before expiry");
    ok(overrides_lookup(o, &a, 2005, NULL, NULL, &hit) == 0, "gone at expiry");
    ok(overrides_get(o, "aol.com", 7, &v, &vlen, &at) == 1, "get sees expired entry");
    is_int((long long)at, 2005, "get expiry");
    is_int((long long)overrides_expire(o, 2004), 0, "sweep before expiry removes nothing");
    is_int((long long)overrides_expire(o, 2005), 1, "sweep at expiry removes it");
    ok(overrides_get(o, "aol.com", 7, &v, &vlen, &at) == 0, "purged");

    overrides_set(o, "gmx.de", 6, "smarthost", 9, 0);
    overrides_set(o, ".gmx.de", 7, "smarthost", 9, 0);
    overrides_del(o, "gmx.de", 6);
    overrides_del(o, "never.set", 9);
    is_int((long long)overrides_count(o), 1, "del removes one");
    test_key("gmx.de", &a);
    ok(overrides_lookup(o, &a, 5, NULL, NULL, &hit) == 0, "deleted exact domain");
    test_key("mx.gmx.de", &a);
    ok(overrides_lookup(o, &a, 5, NULL, NULL, &hit) == 1, "parent survives del");
    overrides_set_loaded(o, 1);
    overrides_clear(o);
    is_int((long long)overrides_count(o), 0, "clear empties");
    ok(overrides_loaded(o), "clear keeps loaded");
    ok(overrides_lookup(o, &a, 5, NULL, NULL, &hit) == 0, "nothing after clear");
    ok(overrides_set(o, "x.de", 4, "v", 1, 0) == 0, "set after clear");
    overrides_free(o);
    overrides_free(NULL);
}

/* A sweep removes what the last load did not mark; an unchanged value keeps its entry. */
static void test_sweep(void)
{
    struct overrides *o = overrides_new();
    const char *v;
    size_t vlen;
    uint64_t at;

    overrides_set_marked(o, "old.com", 7, "a", 1, 0, 1);
    overrides_set_marked(o, "kept.com", 8, "a", 1, 0, 1);
    overrides_set_marked(o, "changed.com", 11, "a", 1, 0, 1);
    overrides_set_marked(o, "kept.com", 8, "a", 1, 500, 2);
    overrides_set_marked(o, "changed.com", 11, "bb", 2, 0, 2);
    overrides_set_marked(o, "new.com", 7, "b", 1, 0, 2);
    is_int((long long)overrides_sweep(o, 2), 1, "sweep: one entry unmarked");
    is_int((long long)overrides_count(o), 3, "sweep: three left");
    ok(overrides_get(o, "old.com", 7, &v, &vlen, &at) == 0, "sweep: the unmarked one is gone");
    ok(overrides_get(o, "kept.com", 8, &v, &vlen, &at) == 1 && at == 500 && vlen == 1,
       "sweep: an unchanged value got the new expiry");
    ok(overrides_get(o, "changed.com", 11, &v, &vlen, &at) == 1 && vlen == 2 &&
           memcmp(v, "bb", 2) == 0,
       "sweep: a changed value is the new one");
    is_int((long long)overrides_sweep(o, 2), 0, "sweep: nothing more to remove");
    overrides_free(o);
}

struct test_pattern {
    const char *p;
    int ok;
};

static const struct test_pattern test_patterns[] = {
    {"example.com", 0},
    {".example.com", 0},
    {"user@example.com", 0},
    {"a b@example.com", 0},
    {"", -1},
    {"Example.com", -1},
    {"example.com.", -1},
    {"..example.com", -1},
    {"a..b", -1},
    {"@example.com", -1},
    {"user@", -1},
    {"user@.example.com", -1},
    {"exa mple.com", -1},
    {"a\tb.com", -1},
    {".", -1},
    {"x@y@example.com", 0},
    {"b\xc3\xbc"
     "cher.de",
     0}, /* UTF-8, converted to its A-label form */
    {".m\xc3\x9c"
     "nchen.de",
     0},                      /* a UTF-8 capital: UTS #46 lowercases it */
    {"\xe2\x98\x83.net", -1}, /* no A-label form */
    {"x@\xff.de", -1},        /* not UTF-8 */
};

/* Pattern validation, table-driven. */
static void test_check_pattern(void)
{
    char err[128];
    size_t i;

    for (i = 0; i < sizeof(test_patterns) / sizeof(test_patterns[0]); i++)
        is_int(overrides_check_pattern(test_patterns[i].p, strlen(test_patterns[i].p), err,
                                       sizeof(err)),
               test_patterns[i].ok, test_patterns[i].p);
}

/* MX overrides: exact host first, then the longest suffix; keys never reach them. */
static void test_mx(void)
{
    static const char *const hosts[] = {"a.mx.example.net", "b.mail.protection.outlook.com"};
    struct overrides *o = overrides_new();
    struct override_hit hit;
    struct addr key;

    is_int(overrides_have_mx(o), 0, "no MX override yet");
    overrides_set(o, "mx:.outlook.com", 15, "short", 5, 0);
    overrides_set(o, "mx:.protection.outlook.com", 26, "long", 4, 0);
    is_int(overrides_have_mx(o), 1, "an MX override is known");
    ok(overrides_lookup_mx(o, hosts, 2, 0, NULL, NULL, &hit) == 1 && hit.value_len == 4 &&
           memcmp(hit.value, "long", 4) == 0,
       "the longest suffix of any host wins");
    overrides_set(o, "mx:a.mx.example.net", 19, "exact", 5, 0);
    ok(overrides_lookup_mx(o, hosts, 2, 0, NULL, NULL, &hit) == 1 && hit.value_len == 5 &&
           memcmp(hit.value, "exact", 5) == 0,
       "an exact host beats every suffix");
    is_int(overrides_lookup_mx(o, hosts, 0, 0, NULL, NULL, &hit), 0, "no hosts (null MX): none");
    overrides_set(o, "mx:.expired.example", 19, "old", 3, 500);
    {
        static const char *const h2[] = {"x.expired.example"};
        is_int(overrides_lookup_mx(o, h2, 1, 1000, NULL, NULL, &hit), 0, "expired: none");
    }
    memset(&key, 0, sizeof(key));
    key.domain = "mx:a.mx.example.net";
    key.domain_len = strlen(key.domain);
    is_int(overrides_lookup(o, &key, 0, NULL, NULL, &hit), 0, "a key never hits an MX override");
    overrides_del(o, "mx:a.mx.example.net", 19);
    overrides_del(o, "mx:.outlook.com", 15);
    overrides_del(o, "mx:.protection.outlook.com", 26);
    is_int(overrides_have_mx(o), 1, "the expired one still counts until purged");
    overrides_expire(o, 1000);
    is_int(overrides_have_mx(o), 0, "all MX overrides gone");
    overrides_free(o);
}

/* Count entries through foreach. */
static int test_count_cb(const char *p, size_t plen, const char *v, size_t vlen, uint64_t at,
                         void *arg)
{
    (*(size_t *)arg)++;
    return 0;
}

/* 200,000 keys: set, find each, delete half, sweep the rest through TTLs. */
static void test_many(void)
{
    enum { N = 200000 };
    struct overrides *o = overrides_new();
    char key[64];
    size_t i, found = 0, seen = 0, missing = 0;
    int failed = 0;

    for (i = 0; i < N; i++) {
        int n = snprintf(key, sizeof(key), "host%zu.example%zu.com", i, i % 97);

        if (overrides_set(o, key, (size_t)n, "r", 1, i % 2 ? 100 : 0) < 0)
            failed++;
    }
    is_int(failed, 0, "200000 sets");
    is_int((long long)overrides_count(o), N, "200000 entries");
    for (i = 0; i < N; i++) {
        struct override_hit hit;
        struct addr a;
        int n = snprintf(key, sizeof(key), "u@host%zu.example%zu.com", i, i % 97);

        (void)n;
        test_key(key, &a);
        found += (size_t)overrides_lookup(o, &a, 50, NULL, NULL, &hit);
    }
    is_int((long long)found, N, "every key found");
    overrides_foreach(o, test_count_cb, &seen);
    is_int((long long)seen, N, "foreach visits every entry");
    for (i = 0; i < N; i += 4) {
        int n = snprintf(key, sizeof(key), "host%zu.example%zu.com", i, i % 97);

        overrides_del(o, key, (size_t)n);
    }
    is_int((long long)overrides_count(o), N - N / 4, "a quarter deleted");
    is_int((long long)overrides_expire(o, 100), N / 2, "half expired");
    is_int((long long)overrides_count(o), N / 4, "a quarter left");
    for (i = 0; i < N; i++) {
        const char *v;
        size_t vlen;
        uint64_t at;
        int n = snprintf(key, sizeof(key), "host%zu.example%zu.com", i, i % 97);
        int want = (i % 2 == 0) && (i % 4 != 0);

        if (overrides_get(o, key, (size_t)n, &v, &vlen, &at) != want)
            missing++;
    }
    is_int((long long)missing, 0, "exactly the right keys survive");
    overrides_free(o);
}

int main(void)
{
    test_precedence();
    test_changes();
    test_sweep();
    test_check_pattern();
    test_mx();
    test_many();
    return done_testing();
}
