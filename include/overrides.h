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
    int64_t ttl_ms;      /* remaining time to live, -1 when the key has none */
    const char *mx_host; /* overrides_lookup_mx: the MX host that matched (borrowed), else NULL */
};

/* Returns a new, empty, not yet loaded view (NULL on allocation failure). */
struct overrides *overrides_new(void);
/* Accepts NULL. */
void overrides_free(struct overrides *o);

/* Longest value kept (a route name or transport(5) result is far shorter). */
#define OVERRIDES_VALUE_MAX 65536

/*
 * Set pattern -> value (both copied; value at most OVERRIDES_VALUE_MAX bytes). expire_at_ms is an
 * absolute time on the monotonic clock in ms, 0 for no expiry. 0, or -1 on allocation failure (or a
 * pattern or value over its limit).
 */
int overrides_set(struct overrides *o, const char *pattern, size_t pattern_len, const char *value,
                  size_t value_len, uint64_t expire_at_ms);
/*
 * overrides_set, and the entry carries `mark` (overrides_set uses 0). A full load marks
 * every entry it reads, then sweeps the others away.
 */
int overrides_set_marked(struct overrides *o, const char *pattern, size_t pattern_len,
                         const char *value, size_t value_len, uint64_t expire_at_ms, uint32_t mark);
/* Remove every entry whose mark is not `mark`; returns how many were removed. */
size_t overrides_sweep(struct overrides *o, uint32_t mark);
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

/*
 * MX overrides ("mx:HOST", "mx:.SUFFIX") for the selected MX hosts of a domain: an
 * exact host first (in the hosts' order), then the longest ".suffix" of any host.
 * 1 (found, *hit filled) or 0; accept as for overrides_lookup.
 */
int overrides_lookup_mx(const struct overrides *o, const char *const *hosts, size_t n,
                        uint64_t now_ms, int (*accept)(const char *value, size_t len, void *arg),
                        void *arg, struct override_hit *hit);

/* Whether the view holds any MX override: then every key needs its MX (SPEC 7). */
int overrides_have_mx(const struct overrides *o);

/*
 * Check that p[0..len) is a valid override PATTERN (SPEC sections 4 and 7):
 * "example.com", ".example.com", "user@example.com", "mx:host.example" or
 * "mx:.example.com", already lowercase, at most
 * OVERRIDES_PATTERN_MAX bytes, no control characters, no white space in the domain,
 * a domain in UTF-8 convertible to its A-label form (the view stores and finds
 * patterns in that form: overrides_set, _del and _get accept either spelling).
 * Returns 0, or -1 with a reason in err.
 */
#define OVERRIDES_PATTERN_MAX 1024
int overrides_check_pattern(const char *p, size_t len, char *err, size_t errsize);

/*
 * The entry stored for exactly this pattern, live or not: 1 (found; *value and
 * *expire_at_ms filled, value borrowed until the view changes) or 0.
 */
int overrides_get(const struct overrides *o, const char *pattern, size_t pattern_len,
                  const char **value, size_t *value_len, uint64_t *expire_at_ms);

/* Remove every entry whose expiry is <= now_ms; returns how many were removed. */
size_t overrides_expire(struct overrides *o, uint64_t now_ms);

/*
 * Call fn for every entry (expired ones too), in no particular order. fn must not
 * change the view. Stops early when fn returns non-zero, and returns that value.
 */
int overrides_foreach(const struct overrides *o,
                      int (*fn)(const char *pattern, size_t pattern_len, const char *value,
                                size_t value_len, uint64_t expire_at_ms, void *arg),
                      void *arg);

#endif
