/* decide.c - PLACEHOLDER. */
#include "config.h"
#include "decide.h"
void decide(const struct snapshot *snap, const struct overrides *ov, const struct addr *key, uint64_t now_ms, struct decision *out) { out->answer = DECIDE_NOTFOUND; }
size_t decide_explain(const struct decision *dec, const char *redis_prefix, char *buf, size_t size) { return 0; }
