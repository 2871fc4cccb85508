/*
 * test_dsn_nopsl.c - when the public suffix list cannot be loaded, dsn_init fails once
 * and is never retried: later lookups refuse a domain-scope pattern at once, without a
 * second load (a blocking file read on the request path). libpsl's two loaders are
 * replaced here by ones that fail and count their calls.
 */
#include "config.h"

#include <libpsl.h>
#include <stdio.h>
#include <string.h>

#include "dsn.h"
#include "tap.h"

static int test_latest_calls, test_builtin_calls;

/* Stands in for libpsl's psl_latest: no list, counted. */
psl_ctx_t *psl_latest(const char *fname)
{
    (void)fname;
    test_latest_calls++;
    return NULL;
}

/* Stands in for libpsl's psl_builtin: no list either, counted. */
const psl_ctx_t *psl_builtin(void)
{
    test_builtin_calls++;
    return NULL;
}

/* The first failure is remembered: no loader runs again, every answer says why. */
int main(void)
{
    char err[256] = "", err2[256] = "", out[DSN_PATTERN_MAX + 1];
    int i, refused = 0;

    ok(dsn_init(err, sizeof(err)) == -1, "dsn_init fails when no list loads: %s", err);
    ok(strstr(err, "public suffix list") != NULL, "  the reason names the list");
    is_int(test_latest_calls + test_builtin_calls, 2, "  both loaders were tried once");
    for (i = 0; i < 5; i++)
        refused += dsn_learn_pattern("aspmx.l.google.com", 18, 0, out, sizeof(out), err2,
                                     sizeof(err2)) == -1;
    is_int(refused, 5, "domain-scope patterns are refused");
    is_str(err2, err, "  with the first reason");
    is_int(test_latest_calls + test_builtin_calls, 2, "  and no loader ran again");
    ok(dsn_init(err, sizeof(err)) == -1 && test_latest_calls + test_builtin_calls == 2,
       "a second dsn_init fails at once, loading nothing");
    ok(dsn_learn_pattern("aspmx.l.google.com", 18, 1, out, sizeof(out), err, sizeof(err)) == 0 &&
           strcmp(out, "mx:aspmx.l.google.com") == 0,
       "scope host needs no list: %s", out);
    return done_testing();
}
