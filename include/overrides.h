/* overrides.h - the local, in-memory view of the Redis override keys (SPEC section 4). */
#ifndef POLICYD_OVERRIDES_H
#define POLICYD_OVERRIDES_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

struct overrides;

/* What decided: valid until the view is next changed. */
struct override_hit {
    const char *pattern; /* "aol.com", ".aol.com" or "user@aol.com" (no prefix) */
    size_t pattern_len;
    const char *value; /* the ROUTE as stored in Redis */
    size_t value_len;
    int64_t ttl_ms; /* remaining time to live, -1 when the key has none */
};

/* Returns a new, empty, not yet loaded view (NULL on allocation failure). */
struct overrides *overrides_new(void);
/* Accepts NULL. */
void overrides_free(struct overrides *o);

/*
 * Set pattern -> value (both copied). expire_at_ms is an absolute time on the
 * monotonic clock in ms, 0 for no expiry. 0, or -1 on allocation failure.
 */
int overrides_set(struct overrides *o, const char *pattern, size_t pattern_len,
                  const char *value, size_t value_len, uint64_t expire_at_ms);
/* Remove pattern if present. */
void overrides_del(struct overrides *o, const char *pattern, size_t pattern_len);
/* Remove everything (the view stays loaded). */
void overrides_clear(struct overrides *o);
/* Mark the view as loaded (or not) from Redis. */
void overrides_set_loaded(struct overrides *o, int loaded);
int overrides_loaded(const struct overrides *o);
size_t overrides_count(const struct overrides *o);

/*
 * The most specific live override for key: address, then exact domain, then the
 * longest ".parent". Entries whose expiry is <= now_ms are ignored. Returns 1 (found)
 * or 0. `accept` (may be NULL) lets the caller skip entries with an unusable value:
 * when it returns 0 the search continues with the next less specific pattern.
 */
int overrides_lookup(const struct overrides *o, const struct addr *key, uint64_t now_ms,
                     int (*accept)(const char *value, size_t len, void *arg), void *arg,
                     struct override_hit *hit);

/* Current time on the monotonic clock, in ms (the clock expiries use). */
uint64_t overrides_now_ms(void);

#endif
