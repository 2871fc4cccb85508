/* snapshot.h - one immutable configuration + routes + rules, refcounted; the reload builder. */
#ifndef POLICYD_SNAPSHOT_H
#define POLICYD_SNAPSHOT_H

#include "cfg.h"
#include "diag.h"
#include "rules.h"

struct snapshot;

/*
 * Build a complete snapshot from the configuration file at path and every rule file
 * it names. All problems go to d. Returns a new reference, or NULL when d got any
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

#endif
