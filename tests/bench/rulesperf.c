/*
 * rulesperf.c - in-process speed and size of the rule matcher, for tests/bench/run:
 *
 *   rulesperf BIG.rules SMALL.rules KEYS
 *
 * loads both rule files (routes: smarthost), then times rules_match over the first
 * RULESPERF_KEYS recipients of KEYS (one per line, parsed by addr_parse) in each set:
 * the median over rounds of the nanoseconds per lookup. A hash lookup must not get
 * slower with the size of the list. Prints one line:
 *
 *   load_s=S rss_growth_mb=M small_ns=N large_ns=N hits_small=H hits_large=H
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "addr.h"
#include "diag.h"
#include "routes.h"
#include "rules.h"

/*
 * Distinct keys per round: a hot set, as real mail traffic has. Far larger sets
 * measure the machine's cache misses rather than the lookup.
 */
#define RULESPERF_KEYS 1000
#define RULESPERF_ROUNDS 15
#define RULESPERF_KEY_MAX 256

/* Monotonic time in nanoseconds. */
static double rulesperf_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Peak RSS of this process in MB. */
static double rulesperf_rss_mb(void)
{
    struct rusage ru;

    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_maxrss / 1024.0;
}

/* Sort helper for doubles. */
static int rulesperf_dcmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return x < y ? -1 : x > y;
}

/* Median over rounds of the nanoseconds per lookup of keys[0..n); hits of one round. */
static double rulesperf_time(const struct rules *r, const struct addr *keys, size_t n, size_t *hits)
{
    double t[RULESPERF_ROUNDS];
    struct rule_hit hit;
    size_t i, k, h = 0;

    for (k = 0; k < RULESPERF_ROUNDS; k++) {
        double t0 = rulesperf_now();

        h = 0;
        for (i = 0; i < n; i++)
            h += rules_match(r, &keys[i], &hit) == 1;
        t[k] = (rulesperf_now() - t0) / (double)n;
    }
    qsort(t, RULESPERF_ROUNDS, sizeof(t[0]), rulesperf_dcmp);
    *hits = h;
    return t[RULESPERF_ROUNDS / 2];
}

/* Load one rule file into a new rule set; NULL (diagnostics printed) on errors. */
static struct rules *rulesperf_load(const char *path, const struct routes *rt)
{
    struct rules *r = rules_new();
    struct diag *d = diag_new();
    size_t i;

    if (r == NULL || d == NULL || rules_add_files(r, path, rt, d) < 0 || rules_finish(r, d) < 0) {
        for (i = 0; d != NULL && i < diag_count(d); i++)
            fprintf(stderr, "rulesperf: %s\n", diag_text(d, i));
        rules_free(r);
        r = NULL;
    }
    diag_free(d);
    return r;
}

/* Read up to RULESPERF_KEYS keys from path into keys (their bytes in buf); how many. */
static size_t rulesperf_keys(const char *path, char *buf, struct addr *keys)
{
    char line[RULESPERF_KEY_MAX];
    size_t n = 0, len;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return 0;
    while (n < RULESPERF_KEYS && fgets(line, sizeof(line), f) != NULL) {
        len = strcspn(line, "\n");
        if (len > 0 &&
            addr_parse(line, len, buf + n * RULESPERF_KEY_MAX, RULESPERF_KEY_MAX, &keys[n]) == 0)
            n++;
    }
    fclose(f);
    return n;
}

int main(int argc, char **argv)
{
    static char keybuf[RULESPERF_KEYS * RULESPERF_KEY_MAX];
    static struct addr keys[RULESPERF_KEYS];
    struct routes *rt = routes_new();
    struct rules *small = NULL, *large = NULL;
    char err[256];
    double t0, load, rss0, rss1, ts, tl;
    size_t n, hs, hl;
    int rc = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: rulesperf BIG.rules SMALL.rules KEYS\n");
        return 2;
    }
    if (rt == NULL || routes_define(rt, "smarthost", "smtp:[127.0.0.1]:2525", err, sizeof(err)) < 0)
        goto fail;
    rss0 = rulesperf_rss_mb();
    t0 = rulesperf_now();
    large = rulesperf_load(argv[1], rt);
    load = (rulesperf_now() - t0) / 1e9;
    rss1 = rulesperf_rss_mb();
    small = rulesperf_load(argv[2], rt);
    n = rulesperf_keys(argv[3], keybuf, keys);
    if (large == NULL || small == NULL || n == 0) {
        fprintf(stderr, "rulesperf: cannot load the rules or the keys\n");
        goto fail;
    }
    ts = rulesperf_time(small, keys, n, &hs);
    tl = rulesperf_time(large, keys, n, &hl);
    printf("load_s=%.3f rss_growth_mb=%.0f small_ns=%.1f large_ns=%.1f hits_small=%zu "
           "hits_large=%zu keys=%zu\n",
           load, rss1 - rss0, ts, tl, hs, hl, n);
    rc = 0;
fail:
    rules_free(small);
    rules_free(large);
    routes_free(rt);
    return rc;
}
