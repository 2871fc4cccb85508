/* test_addr.c - lookup key normalisation, table-driven. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "tap.h"

/* One key and what addr_parse must make of it; NULL expectations mean "absent". */
struct addr_case {
    const char *key;
    size_t key_len;
    int rc;
    const char *address;
    const char *local;
    const char *domain;
    int wildcard;
};

#define S(lit) lit, sizeof(lit) - 1

static const struct addr_case addr_cases[] = {
    /* case folding and extension removal */
    {S("User+Tag@Sub.AOL.COM"), 0, "user@sub.aol.com", "user", "sub.aol.com", 0},
    {S("user@aol.com"), 0, "user@aol.com", "user", "aol.com", 0},
    {S("USER@AOL.COM"), 0, "user@aol.com", "user", "aol.com", 0},
    {S("u+a+b@x.org"), 0, "u@x.org", "u", "x.org", 0},
    {S("u+@x.org"), 0, "u@x.org", "u", "x.org", 0},
    {S("+Tag@x.org"), 0, "+tag@x.org", "+tag", "x.org", 0},
    {S("+a+b@x.org"), 0, "+a+b@x.org", "+a+b", "x.org", 0},
    {S("u-tag@x.org"), 0, "u-tag@x.org", "u-tag", "x.org", 0},
    /* trailing dot */
    {S("x@aol.com."), 0, "x@aol.com", "x", "aol.com", 0},
    {S("x@aol.com.."), 0, "x@aol.com.", "x", "aol.com.", 0},
    /* quoted local part: external and internal form agree */
    {S("\"x y\"@Example.NET"), 0, "x y@example.net", "x y", "example.net", 0},
    {S("x y@Example.NET"), 0, "x y@example.net", "x y", "example.net", 0},
    {S("\"X+Y z\"@Example.NET"), 0, "x@example.net", "x", "example.net", 0},
    {S("\"a\\\"b\"@x.org"), 0, "a\"b@x.org", "a\"b", "x.org", 0},
    {S("a\"b@x.org"), 0, "a\"b@x.org", "a\"b", "x.org", 0},
    {S("\"a\\\\b\"@x.org"), 0, "a\\b@x.org", "a\\b", "x.org", 0},
    {S("\"a@b\"@x.org"), 0, "a@b@x.org", "a@b", "x.org", 0},
    {S("\"unterminated@x.org"), 0, "\"unterminated@x.org", "\"unterminated", "x.org", 0},
    {S("\"a\"b\"@x.org"), 0, "\"a\"b\"@x.org", "\"a\"b\"", "x.org", 0},
    {S("\"ab\\\"@x.org"), 0, "\"ab\\\"@x.org", "\"ab\\\"", "x.org", 0},
    /* spaces are kept */
    {S(" u @ x.org "), 0, " u @ x.org ", " u ", " x.org ", 0},
    /* wildcard probe */
    {S("*"), 0, NULL, NULL, NULL, 1},
    {S("*@x.org"), 0, "*@x.org", "*", "x.org", 0},
    {S("**"), 0, NULL, NULL, "**", 0},
    /* bare domains and empty local parts */
    {S("AOL.COM."), 0, NULL, NULL, "aol.com", 0},
    {S("aol.com"), 0, NULL, NULL, "aol.com", 0},
    {S("@aol.com"), 0, NULL, NULL, "aol.com", 0},
    {S("\"\"@AOL.com"), 0, NULL, NULL, "aol.com", 0},
    /* 8-bit bytes pass unchanged */
    {S("J\xc3\x9cRGEN@M\xc3\x9cNCHEN.DE"), 0, "j\xc3\x9crgen@m\xc3\x9cnchen.de", "j\xc3\x9crgen",
     "m\xc3\x9cnchen.de", 0},
    /* not a recipient */
    {S(""), -1, NULL, NULL, NULL, 0},
    {S("user@"), -1, NULL, NULL, NULL, 0},
    {S("user@."), -1, NULL, NULL, NULL, 0},
    {S("@"), -1, NULL, NULL, NULL, 0},
    {S("."), -1, NULL, NULL, NULL, 0},
    {S("us\0er@aol.com"), -1, NULL, NULL, NULL, 0},
    {S("user@aol.com\0"), -1, NULL, NULL, NULL, 0},
};

/* Check one optional output: absent must be NULL/0, present must match exactly. */
static void addr_check_field(const char *got, size_t got_len, const char *want, const char *what,
                             const char *key)
{
    char name[200];

    snprintf(name, sizeof(name), "%s of '%s'", what, key);
    if (want == NULL)
        ok(got == NULL && got_len == 0, "%s is absent", name);
    else
        is_mem(got, got_len, want, name);
}

/* Run the table with a buffer of exactly len + 1 bytes. */
static void test_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
        const struct addr_case *c = &addr_cases[i];
        char buf[128], name[200];
        struct addr a;
        int rc;

        memset(&a, 0x5a, sizeof(a));
        rc = addr_parse(c->key, c->key_len, buf, c->key_len + 1, &a);
        snprintf(name, sizeof(name), "rc of '%s'", c->key);
        is_int(rc, c->rc, name);
        addr_check_field(a.address, a.address_len, c->address, "address", c->key);
        addr_check_field(a.local, a.local_len, c->local, "local", c->key);
        addr_check_field(a.domain, a.domain_len, c->domain, "domain", c->key);
        snprintf(name, sizeof(name), "wildcard of '%s'", c->key);
        is_int(a.wildcard, c->wildcard, name);
        if (rc == 0 && a.address != NULL)
            ok(a.local == a.address && a.domain == a.address + a.local_len + 1 &&
                   a.address[a.local_len] == '@',
               "'%s': local and domain lie inside address", c->key);
    }
}

/* A buffer one byte short of len + 1 is refused, whatever the key. */
static void test_small_buffer(void)
{
    size_t i;

    for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
        const struct addr_case *c = &addr_cases[i];
        char buf[128];
        struct addr a;

        is_int(addr_parse(c->key, c->key_len, buf, c->key_len, &a), -1, "buffer too small");
    }
}

/* Nothing is written past the normalised key, and nothing before buf. */
static void test_no_overrun(void)
{
    static const char key[] = "\"Very Long+Ext\"@Example.COM.";
    char buf[64];
    struct addr a;

    memset(buf, '#', sizeof(buf));
    is_int(addr_parse(key, sizeof(key) - 1, buf + 1, sizeof(key), &a), 0, "overrun: parsed");
    is_mem(a.address, a.address_len, "very long@example.com", "overrun: address");
    ok(buf[0] == '#' && buf[sizeof(key) + 1] == '#', "overrun: guard bytes intact");
}

int main(void)
{
    test_table();
    test_small_buffer();
    test_no_overrun();
    return done_testing();
}
