/* snapshot.c - PLACEHOLDER. */
#include "config.h"
#include "snapshot.h"
struct snapshot *snapshot_build(const char *path, struct diag *d) { return NULL; }
struct snapshot *snapshot_ref(struct snapshot *s) { return s; }
void snapshot_unref(struct snapshot *s) { }
const struct cfg *snapshot_cfg(const struct snapshot *s) { return NULL; }
const struct rules *snapshot_rules(const struct snapshot *s) { return NULL; }
