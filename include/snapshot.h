/* snapshot.h - one immutable configuration + routes + rules + signatures, refcounted; the reload
 * builder. */
#ifndef POLICYD_SNAPSHOT_H
#define POLICYD_SNAPSHOT_H

#include <stdio.h>

#include "cfg.h"
#include "diag.h"
#include "rules.h"
#include "sig.h"

struct snapshot;

/*
 * Build a complete snapshot from the configuration file at path and every rule and
 * signature file it names (a learn_route that is not defined is a warning). All problems go to d. Returns a new reference, or NULL when d got any
 * error (nothing half-built is ever returned). Safe to call from a worker thread.
 */
struct snapshot *snapshot_build(const char *path, struct diag *d);

/* Take another reference; returns s. */
struct snapshot *snapshot_ref(struct snapshot *s);
/* Drop a reference (accepts NULL); the last one frees everything. Loop thread only. */
void snapshot_unref(struct snapshot *s);

/* Borrowed views, valid while the caller holds a reference. */
const struct cfg *snapshot_cfg(const struct snapshot *s);
const struct rules *snapshot_rules(const struct snapshot *s);
/* The signatures (SPEC 8): never NULL in a built snapshot, empty when no file matched. */
const struct sigs *snapshot_sigs(const struct snapshot *s);

/* The one-line summary "N rules from M files, K routes" into buf (like snprintf). */
void snapshot_summary(const struct snapshot *s, char *buf, size_t size);
/* The signatures' line "S signatures from F files" into buf (like snprintf). */
void snapshot_sig_summary(const struct snapshot *s, char *buf, size_t size);

/*
 * Check the configuration at path and every rule file it names, as policyd -t and
 * policyctl check do: each problem (and a warning for a `user` or `group` that does
 * not exist) to err as FILE:LINE: message, the two summary lines to out (rules, then
 * signatures). 0 usable, 1 not.
 * Loop thread or a program's main only (it looks up accounts).
 */
int snapshot_check(const char *path, FILE *out, FILE *err);

#endif
