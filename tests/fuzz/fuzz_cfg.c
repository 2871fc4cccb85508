/*
 * fuzz_cfg.c - fuzz target of the configuration parser. Invariants: cfg_parse
 * returns NULL exactly when it added errors; a returned configuration is complete
 * (lists NULL-terminated, every listen and allow entry re-parses, default_result
 * set exactly when default_route is); nothing leaks (ASan). The input, cut at its
 * first NUL, also goes through the pure helpers.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfg.h"
#include "endpoint.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check that a parsed configuration is whole; abort() otherwise. */
static void fuzz_cfg_check(const struct cfg *c)
{
    struct endpoint ep;
    unsigned char addr[16];
    unsigned prefix;
    int family, hostbits;
    char err[256];
    size_t i;

    if (c->nlisten == 0 || c->listen[c->nlisten] != NULL || c->allow[c->nallow] != NULL ||
        c->rules[c->nrules] != NULL || c->redis_prefix == NULL || c->pidfile == NULL ||
        c->routes == NULL || c->path == NULL)
        abort();
    for (i = 0; i < c->nlisten; i++)
        if (endpoint_parse(c->listen[i], "inet", &ep, err, sizeof(err)) < 0)
            abort();
    for (i = 0; i < c->nallow; i++)
        if (endpoint_parse_cidr(c->allow[i], &family, addr, &prefix, &hostbits) < 0)
            abort();
    if (c->redis != NULL && endpoint_parse(c->redis, "tcp", &ep, err, sizeof(err)) < 0)
        abort();
    if ((c->default_route == NULL) != (c->default_result == NULL))
        abort();
    if (c->max_connections < 1 || c->max_request_size < 16 || c->redis_timeout_ms < 1 ||
        c->idle_timeout_ms < 1000 || c->unix_mode > 0777 || c->redis_db < 0)
        abort();
}

/* One input: the whole parser, then the helpers on a NUL-terminated copy. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct diag *d = diag_new();
    struct cfg *c;
    struct endpoint ep;
    unsigned long long ms;
    unsigned char addr[16];
    unsigned prefix;
    int family, hostbits;
    char err[256];
    char *s;

    if (d == NULL)
        return 0;
    c = cfg_parse("fuzz.conf", (const char *)data, size, d);
    if ((c == NULL) != (diag_errors(d) > 0))
        abort();
    if (c != NULL)
        fuzz_cfg_check(c);
    cfg_free(c);
    diag_free(d);

    if ((s = malloc(size + 1)) == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    cfg_parse_duration(s, &ms);
    endpoint_parse_cidr(s, &family, addr, &prefix, &hostbits);
    endpoint_parse(s, "inet", &ep, err, sizeof(err));
    endpoint_parse(s, "tcp", &ep, err, sizeof(err));
    free(s);
    return 0;
}
