/* test_idn.c - UTF-8 domains to A-labels, table-driven. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "idn.h"
#include "tap.h"

/* One domain and its A-label form (NULL: refused, with err containing `why`). */
struct idn_case {
    const char *in;
    const char *want;
    const char *why;
};

static const struct idn_case idn_cases[] = {
    {"b\xc3\xbc"
     "cher.de",
     "xn--bcher-kva.de", NULL},
    {"B\xc3\x9c"
     "CHER.DE",
     "xn--bcher-kva.de", NULL}, /* UTS #46 maps case */
    {"bu\xcc\x88"
     "cher.de",
     "xn--bcher-kva.de", NULL},                                 /* NFC input */
    {"fa\xc3\x9f.de", "xn--fa-hia.de", NULL},                   /* non-transitional */
    {"m\xc3\xbcnchen.Example", "xn--mnchen-3ya.example", NULL}, /* ASCII labels lowercased */
    {"a_b.\xc3\xbc.de", "a_b.xn--tda.de", NULL},
    {"a..\xc3\xbc.de", NULL, "empty label"},
    {".\xc3\xbc.de", NULL, "empty label"},
    {"\xc3\xbc.de.", NULL, "empty label"},
    {"\xff.de", NULL, "encoding"},            /* invalid UTF-8 */
    {"\xe2\x98\x83.net", NULL, "disallowed"}, /* a snowman */
    {"\xc3\xbc \xc3\xbc.de", NULL, ""},       /* a space */
};

/* Run the table. */
static void test_cases(void)
{
    size_t i, n;
    char out[IDN_DOMAIN_MAX + 1], err[256];

    for (i = 0; i < sizeof(idn_cases) / sizeof(idn_cases[0]); i++) {
        const struct idn_case *c = &idn_cases[i];
        int rc;

        err[0] = '\0';
        rc = idn_to_alabel(c->in, strlen(c->in), out, sizeof(out), &n, err, sizeof(err));
        if (c->want != NULL) {
            if (is_int(rc, 0, "case converts"))
                is_mem(out, n, c->want, "A-label form");
        } else {
            is_int(rc, -1, "case refused");
            ok(strstr(err, c->why) != NULL, "case %zu: error '%s' says '%s'", i, err, c->why);
        }
    }
}

/* Limits: a label over 63 bytes once encoded, a name over 253, ASCII detection. */
static void test_limits(void)
{
    char in[1200], out[IDN_DOMAIN_MAX + 1], err[256];
    size_t n, i, len = 0;

    for (i = 0; i < 60; i++) {
        memcpy(in + len, "\xc3\xbc", 2);
        len += 2;
    }
    memcpy(in + len, ".de", 3);
    len += 3;
    is_int(idn_to_alabel(in, len, out, sizeof(out), &n, err, sizeof(err)), -1,
           "a label of 60 u-umlauts is too long once encoded");
    len = 0;
    for (i = 0; i < 60; i++) {
        memcpy(in + len,
               "\xc3\xbc"
               "a.",
               4);
        len += 4;
    }
    memcpy(in + len, "de", 2);
    len += 2;
    is_int(idn_to_alabel(in, len, out, sizeof(out), &n, err, sizeof(err)), -1,
           "a name over 253 bytes once encoded is refused");
    is_int(idn_to_alabel("\xc3\xbc.de", 5, out, 5, &n, err, sizeof(err)), -1,
           "an output buffer too small is refused");
    is_int(idn_is_ascii("Example.COM", 11), 1, "ASCII name needs no conversion");
    is_int(idn_is_ascii("b\xc3\xbc"
                        "cher.de",
                        9),
           0, "UTF-8 name needs conversion");
}

/* Run the tests. */
int main(void)
{
    test_cases();
    test_limits();
    return done_testing();
}
