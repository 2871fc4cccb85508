/*
 * test_cfg_golden.c - golden-file tests of the configuration parser: every
 * tests/golden/cfg/NAME.conf is loaded with cfg_load and its diagnostics, one per
 * line, then "-- ok" and every value of the parsed configuration, or "-- refused",
 * must equal NAME.ref byte for byte. The compiled-in SYSCONFDIR prints as
 * "SYSCONFDIR" so the references do not depend on the configure prefix.
 * Set GOLDEN_UPDATE=1 to rewrite the .ref files (then review the diff).
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cfg.h"
#include "routes.h"
#include "tap.h"
#include "testdir.h"
#include "testutil.h"

#define GOLDEN_MAX 65536

/* Append to out[*used..size) like snprintf. */
static void __attribute__((format(printf, 4, 5)))
test_golden_add(char *out, size_t size, size_t *used, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (*used >= size)
        return;
    va_start(ap, fmt);
    n = vsnprintf(out + *used, size - *used, fmt, ap);
    va_end(ap);
    if (n > 0)
        *used += (size_t)n;
}

/* Append a list as "name = a, b, c" with SYSCONFDIR replaced by its name. */
static void test_golden_list(char *out, size_t size, size_t *used, const char *name, char *const *v,
                             size_t n)
{
    size_t i, plen = strlen(SYSCONFDIR);

    test_golden_add(out, size, used, "%s =", name);
    for (i = 0; i < n; i++) {
        if (strncmp(v[i], SYSCONFDIR "/", plen + 1) == 0)
            test_golden_add(out, size, used, "%s SYSCONFDIR%s", i ? "," : "", v[i] + plen);
        else
            test_golden_add(out, size, used, "%s %s", i ? "," : "", v[i]);
    }
    test_golden_add(out, size, used, "\n");
}

/* Append every value of c, one "name = value" per line. */
static void test_golden_dump(const struct cfg *c, char *out, size_t size, size_t *used)
{
#define S(x) ((x) ? (x) : "(none)")
    test_golden_list(out, size, used, "listen", c->listen, c->nlisten);
    test_golden_add(out, size, used, "unix_mode = %04o\nunix_owner = %s\nunix_group = %s\n",
                    (unsigned)c->unix_mode, S(c->unix_owner), S(c->unix_group));
    test_golden_list(out, size, used, "allow", c->allow, c->nallow);
    test_golden_list(out, size, used, "rules", c->rules, c->nrules);
    test_golden_add(out, size, used, "routes = %zu\n", routes_count(c->routes));
    test_golden_add(out, size, used, "default_route = %s -> %.*s\n", S(c->default_route),
                    c->default_result ? (int)c->default_result_len : 6, S(c->default_result));
    test_golden_add(out, size, used,
                    "redis = %s\nredis_db = %d\nredis_username = %s\nredis_password_file = %s\n"
                    "redis_prefix = %s\nredis_timeout = %ums\nredis_unavailable = %s\n",
                    S(c->redis), c->redis_db, S(c->redis_username), S(c->redis_password_file),
                    S(c->redis_prefix), c->redis_timeout_ms,
                    c->redis_unavailable == CFG_UNAVAILABLE_RULES ? "rules" : "tempfail");
    test_golden_add(out, size, used,
                    "max_connections = %u\nmax_request_size = %zu\nidle_timeout = %ums\n"
                    "user = %s\ngroup = %s\npidfile = %s\n",
                    c->max_connections, c->max_request_size, c->idle_timeout_ms, S(c->user),
                    S(c->group), S(c->pidfile));
    test_golden_add(out, size, used, "log_target = %s\nlog_facility = %d\nlog_lookups = %s\n",
                    c->log_syslog ? "syslog" : "stderr", c->log_facility,
                    c->log_lookups ? "yes" : "no");
#undef S
}

/* What the parser says about file: every diagnostic, then the verdict and values. */
static void test_golden_run(const char *file, char *out, size_t size)
{
    struct diag *d = diag_new();
    struct cfg *c = cfg_load(file, d);
    size_t i, used = 0;

    out[0] = '\0';
    for (i = 0; i < diag_count(d); i++)
        test_golden_add(out, size, &used, "%s\n", diag_text(d, i));
    test_golden_add(out, size, &used, "-- %s\n", c ? "ok" : "refused");
    if (c != NULL)
        test_golden_dump(c, out, size, &used);
    cfg_free(c);
    diag_free(d);
}

/* One golden case: load it and compare with its .ref. */
static void test_golden_case(const char *dir, const char *name, void *arg)
{
    static char got[GOLDEN_MAX];

    (void)dir;
    (void)arg;
    test_golden_run(name, got, sizeof(got));
    testdir_golden(name, got);
}

int main(void)
{
    static const char *const suffixes[] = {".conf", NULL};
    long n;

    if (!ok(chdir(GOLDEN_DIR) == 0, "chdir %s", GOLDEN_DIR))
        return done_testing();
    n = testdir_each(".", suffixes, test_golden_case, NULL);
    ok(n >= 10, "%ld golden cases", n);
    return done_testing();
}
