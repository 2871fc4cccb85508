/* overrides.c - PLACEHOLDER, replaced by the overrides work. */
#include "config.h"
#include <stdlib.h>
#include <time.h>
#include "overrides.h"
struct overrides { int loaded; };
struct overrides *overrides_new(void) { return calloc(1, sizeof(struct overrides)); }
void overrides_free(struct overrides *o) { free(o); }
int overrides_set(struct overrides *o, const char *pattern, size_t pattern_len, const char *value, size_t value_len, uint64_t expire_at_ms) { return -1; }
void overrides_del(struct overrides *o, const char *pattern, size_t pattern_len) { }
void overrides_clear(struct overrides *o) { }
void overrides_set_loaded(struct overrides *o, int loaded) { o->loaded = loaded; }
int overrides_loaded(const struct overrides *o) { return o->loaded; }
size_t overrides_count(const struct overrides *o) { return 0; }
int overrides_lookup(const struct overrides *o, const struct addr *key, uint64_t now_ms, int (*accept)(const char *value, size_t len, void *arg), void *arg, struct override_hit *hit) { return 0; }
uint64_t overrides_now_ms(void) { struct timespec ts; clock_gettime(CLOCK_MONOTONIC, &ts); return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000; }
