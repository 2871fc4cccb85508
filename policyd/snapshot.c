/* snapshot.c - one immutable configuration + rules + signatures, refcounted; built whole or not
 * at all. */
#include "config.h"

#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>

#include "redis.h"
#include "sig.h"
#include "snapshot.h"

struct snapshot {
    unsigned refs;
    struct cfg *cfg;
    struct rules *rules;
    struct sigs *sigs; /* never NULL once built: empty when no file matched */
};

/* Free a snapshot's parts; accepts NULL. */
static void snapshot_free(struct snapshot *s)
{
    if (s == NULL)
        return;
    rules_free(s->rules);
    sigs_free(s->sigs);
    cfg_free(s->cfg);
    free(s);
}

/* Load every rule and signature file the configuration names, in order. */
static int snapshot_load_files(struct snapshot *s, struct diag *d)
{
    const struct cfg *c = s->cfg;
    size_t i;
    int rc = 0;

    s->rules = rules_new();
    s->sigs = sigs_new();
    if (s->rules == NULL || s->sigs == NULL) {
        diag_error(d, c->path, 0, "out of memory");
        return -1;
    }
    for (i = 0; i < c->nrules; i++)
        if (rules_add_files(s->rules, c->rules[i], c->routes, d) < 0)
            rc = -1;
    for (i = 0; i < c->nsignatures; i++)
        if (sigs_add_files(s->sigs, c->signatures[i], d) < 0)
            rc = -1;
    if (rules_finish(s->rules, d) < 0 || sigs_finish(s->sigs, d) < 0)
        rc = -1;
    return rc;
}

/*
 * Warn that learning is off because learn_route names no route (not an error: see
 * cfg.c); only where something could be learned (classes and signatures exist).
 */
static void snapshot_check_learn(const struct snapshot *s, struct diag *d)
{
    const struct cfg *cfg = s->cfg;

    if (cfg->nlearn > 0 && sigs_count(s->sigs) > 0 && cfg->learn_result == NULL)
        diag_warning(d, cfg->path, 0, "learn_route %s is not a defined route: the dsn map learns nothing",
                     cfg->learn_route);
}

/* Build a complete snapshot or nothing. */
struct snapshot *snapshot_build(const char *path, struct diag *d)
{
    struct snapshot *s = calloc(1, sizeof(*s));

    if (s == NULL) {
        diag_error(d, path, 0, "out of memory");
        return NULL;
    }
    s->refs = 1;
    s->cfg = cfg_load(path, d);
    if (s->cfg == NULL)
        goto fail;
    if (snapshot_load_files(s, d) < 0)
        goto fail;
    if (diag_errors(d) > 0)
        goto fail;
    snapshot_check_learn(s, d);
    return s;
fail:
    snapshot_free(s);
    return NULL;
}

/* Take another reference. */
struct snapshot *snapshot_ref(struct snapshot *s)
{
    s->refs++;
    return s;
}

/* Drop a reference; the last frees. */
void snapshot_unref(struct snapshot *s)
{
    if (s != NULL && --s->refs == 0)
        snapshot_free(s);
}

/* The configuration (borrowed). */
const struct cfg *snapshot_cfg(const struct snapshot *s)
{
    return s->cfg;
}

/* The rule set (borrowed). */
const struct rules *snapshot_rules(const struct snapshot *s)
{
    return s->rules;
}

/* The signature set (borrowed; never NULL). */
const struct sigs *snapshot_sigs(const struct snapshot *s)
{
    return s->sigs;
}

/* The one-line summary: "N rules from M files, K routes". */
void snapshot_summary(const struct snapshot *s, char *buf, size_t size)
{
    snprintf(buf, size, "%zu rules from %zu files, %zu routes", rules_count(s->rules),
             rules_file_count(s->rules), routes_count(s->cfg->routes));
}

/* The signatures' summary line: "S signatures from F files". */
void snapshot_sig_summary(const struct snapshot *s, char *buf, size_t size)
{
    snprintf(buf, size, "%zu signatures from %zu files", sigs_count(s->sigs),
             sigs_file_count(s->sigs));
}

/* Warn about an account that does not exist: policyd would not start with it. */
static void snapshot_check_account(const struct cfg *cfg, struct diag *d, const char *setting,
                                   const char *name, int group)
{
    if (name != NULL && (group ? (void *)getgrnam(name) : (void *)getpwnam(name)) == NULL)
        diag_warning(d, cfg->path, 0, "%s %s: no such %s; policyd will not start with it", setting,
                     name, group ? "group" : "user");
}

/* Check the accounts the daemon looks up when it starts. */
static void snapshot_check_accounts(const struct cfg *cfg, struct diag *d)
{
    snapshot_check_account(cfg, d, "user", cfg->user, 0);
    snapshot_check_account(cfg, d, "group", cfg->group, 1);
    snapshot_check_account(cfg, d, "unix_owner", cfg->unix_owner, 0);
    snapshot_check_account(cfg, d, "unix_group", cfg->unix_group, 1);
}

/* Warn about a Redis password file that others than its owner may read. */
static void snapshot_check_password(const struct cfg *cfg, struct diag *d)
{
    char warn[4608]; /* a path of at most 4096 bytes, and the reason */

    if (cfg->redis_password_file != NULL &&
        redis_password_too_open(cfg->redis_password_file, warn, sizeof(warn)))
        diag_warning(d, cfg->path, 0, "redis_password_file %s", warn);
}

/* policyd -t and policyctl check: every problem to err, the summary to out; 0 or 1. */
int snapshot_check(const char *path, FILE *out, FILE *err)
{
    struct diag *d = diag_new();
    struct snapshot *s = snapshot_build(path, d);
    char summary[128];

    if (s != NULL) {
        snapshot_check_accounts(s->cfg, d);
        snapshot_check_password(s->cfg, d);
    }
    diag_print(d, err);
    if (s != NULL) {
        snapshot_summary(s, summary, sizeof(summary));
        fprintf(out, "%s\n", summary);
        snapshot_sig_summary(s, summary, sizeof(summary));
        fprintf(out, "%s\n", summary);
    }
    diag_free(d);
    if (s == NULL)
        return 1;
    snapshot_unref(s);
    return 0;
}
