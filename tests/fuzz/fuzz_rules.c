/*
 * fuzz_rules.c - fuzz target for rule-file parsing and matching: the input is one
 * rule file; it is parsed, compiled and matched against a few fixed keys. Any
 * broken invariant of a hit calls abort().
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rules.h"
#include "testutil.h"

/* Check a hit's invariants: it names the fuzz file, a real line and a pattern. */
static void fuzz_rules_check(const struct rules *r, const struct rule_hit *h)
{
    if (h->file == NULL || strcmp(h->file, "fuzz.rules") != 0 || h->line == 0 ||
        h->pattern == NULL || h->pattern[0] == '\0' || rules_count(r) == 0)
        abort();
    if (h->result != NULL && (h->result_len == 0 || memchr(h->result, ':', h->result_len) == NULL))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One input: a whole rule file. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const keys[] = {
        "user@example.com",
        "example.com",
        "a.b.example.com",
        "x@mail.aol.com",
        "yahoo.co.uk",
        "*",
        "a",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!",
        "postmaster@[192.0.2.1]",
    };
    struct routes *routes = routes_new();
    struct rules *r = rules_new();
    struct diag *d = diag_new();
    struct rule_hit hit;
    struct addr key;
    char err[256];
    size_t i;

    if (routes == NULL || r == NULL || d == NULL)
        abort();
    (void)routes_define(routes, "smarthost", "smtp:[relay.example]:587", err, sizeof(err));
    (void)routes_define(routes, "direct", "smtp:", err, sizeof(err));
    if (rules_add_buffer(r, "fuzz.rules", (const char *)data, size, routes, d) == 0 &&
        rules_finish(r, d) == 0) {
        if (diag_errors(d) != 0)
            abort();
        for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
            test_key(keys[i], &key);
            memset(&hit, 0, sizeof(hit));
            if (rules_match(r, &key, &hit) == 1)
                fuzz_rules_check(r, &hit);
        }
    } else if (diag_errors(d) == 0) {
        abort(); /* a failure must say why */
    }
    rules_free(r);
    routes_free(routes);
    diag_free(d);
    return 0;
}
