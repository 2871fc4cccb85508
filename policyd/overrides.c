/* overrides.c - the in-memory override view: an open-addressing hash of pattern -> route. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "idn.h"
#include "overrides.h"

/* Smallest table; always a power of two. */
#define OVERRIDES_MIN_CAP 16

/* One override: pattern NUL value NUL, in one allocation. */
struct overrides_entry {
    uint64_t expire_at; /* 0: never */
    uint32_t pattern_len;
    uint32_t value_len;
    uint32_t mark; /* see overrides_sweep */
    char data[];
};

/* A slot: empty (e == NULL), deleted (e == OVERRIDES_TOMB) or in use. */
struct overrides_slot {
    uint64_t hash;
    struct overrides_entry *e;
};

/* The table proper; kept apart so two views can exchange contents. */
struct overrides_table {
    struct overrides_slot *slots;
    size_t cap;   /* power of two, or 0 before the first insert */
    size_t count; /* live entries */
    size_t used;  /* live entries + tombstones */
    size_t mx;    /* live entries whose pattern is an MX pattern ("mx:...") */
    uint64_t seed;
};

struct overrides {
    struct overrides_table t;
    int loaded;
};

static struct overrides_entry overrides_tomb_entry;
#define OVERRIDES_TOMB (&overrides_tomb_entry)

/* Is p[0..len) an MX pattern ("mx:HOST" or "mx:.SUFFIX")? */
static int overrides_is_mx(const char *p, size_t len)
{
    return len > 3 && memcmp(p, "mx:", 3) == 0;
}

/* A per-table random seed so hash collisions cannot be planned from outside. */
static uint64_t overrides_seed(void)
{
    uint64_t seed = 0;
    struct timespec ts;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) == (ssize_t)sizeof(seed))
        return seed;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ((uint64_t)ts.tv_sec << 32) ^ (uint64_t)ts.tv_nsec ^ (uint64_t)(uintptr_t)&seed;
}

/* Seeded FNV-1a with a final avalanche (splitmix64 finaliser). */
static uint64_t overrides_hash(uint64_t seed, const char *p, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    size_t i;

    for (i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;
    return h;
}

/* Returns a new, empty, not yet loaded view. */
struct overrides *overrides_new(void)
{
    struct overrides *o = calloc(1, sizeof(*o));

    if (o == NULL)
        return NULL;
    o->t.seed = overrides_seed();
    return o;
}

/* Free every entry of a table and its slot array. */
static void overrides_table_free(struct overrides_table *t)
{
    size_t i;

    for (i = 0; i < t->cap; i++)
        if (t->slots[i].e != NULL && t->slots[i].e != OVERRIDES_TOMB)
            free(t->slots[i].e);
    free(t->slots);
    t->slots = NULL;
    t->cap = t->count = t->used = t->mx = 0;
}

/* Free the view; accepts NULL. */
void overrides_free(struct overrides *o)
{
    if (o == NULL)
        return;
    overrides_table_free(&o->t);
    free(o);
}

/* Slot index holding pattern, or -1. */
static long overrides_find(const struct overrides_table *t, uint64_t h, const char *p, size_t len)
{
    size_t mask, i, n;

    if (t->cap == 0)
        return -1;
    mask = t->cap - 1;
    for (i = h & mask, n = 0; n < t->cap; i = (i + 1) & mask, n++) {
        const struct overrides_entry *e = t->slots[i].e;

        if (e == NULL)
            return -1;
        if (e != OVERRIDES_TOMB && t->slots[i].hash == h && e->pattern_len == len &&
            memcmp(e->data, p, len) == 0)
            return (long)i;
    }
    return -1;
}

/* Put an entry into the first free slot of its probe sequence (the key is known absent). */
static void overrides_place(struct overrides_table *t, uint64_t h, struct overrides_entry *e)
{
    size_t mask = t->cap - 1;
    size_t i = h & mask;

    while (t->slots[i].e != NULL && t->slots[i].e != OVERRIDES_TOMB)
        i = (i + 1) & mask;
    if (t->slots[i].e == NULL)
        t->used++;
    t->slots[i].hash = h;
    t->slots[i].e = e;
    t->count++;
    t->mx += overrides_is_mx(e->data, e->pattern_len);
}

/* Rebuild the table with room for at least one more entry: 0, or -1 on allocation failure. */
static int overrides_grow(struct overrides_table *t)
{
    struct overrides_table n = {0};
    size_t cap = t->cap ? t->cap : OVERRIDES_MIN_CAP;
    size_t i;

    /* at most half full after the rebuild (tombstones are dropped by it) */
    while ((t->count + 1) * 2 > cap) {
        if (cap > SIZE_MAX / 2 / sizeof(struct overrides_slot))
            return -1;
        cap *= 2;
    }
    n.slots = calloc(cap, sizeof(struct overrides_slot));
    if (n.slots == NULL)
        return -1;
    n.cap = cap;
    n.seed = t->seed;
    for (i = 0; i < t->cap; i++)
        if (t->slots[i].e != NULL && t->slots[i].e != OVERRIDES_TOMB)
            overrides_place(&n, t->slots[i].hash, t->slots[i].e);
    free(t->slots);
    *t = n;
    return 0;
}

/* Set pattern -> value with an absolute expiry (0 = none); replaces an existing entry. */
int overrides_set(struct overrides *o, const char *pattern, size_t pattern_len, const char *value,
                  size_t value_len, uint64_t expire_at_ms)
{
    return overrides_set_marked(o, pattern, pattern_len, value, value_len, expire_at_ms, 0);
}

/* overrides_set with a mark; an unchanged value is updated in place (a re-load's usual case). */
int overrides_set_marked(struct overrides *o, const char *pattern, size_t pattern_len,
                         const char *value, size_t value_len, uint64_t expire_at_ms, uint32_t mark)
{
    struct overrides_table *t = &o->t;
    struct overrides_entry *e;
    char buf[OVERRIDES_PATTERN_MAX + IDN_DOMAIN_MAX + 1], err[8];
    uint64_t h;
    long at;

    if (idn_pattern(pattern, pattern_len, buf, sizeof(buf), &pattern, &pattern_len, err,
                    sizeof(err)) < 0)
        return -1;
    if (pattern_len > OVERRIDES_PATTERN_MAX || value_len > OVERRIDES_VALUE_MAX)
        return -1;
    h = overrides_hash(t->seed, pattern, pattern_len);
    at = overrides_find(t, h, pattern, pattern_len);
    if (at >= 0 && (e = t->slots[at].e)->value_len == value_len &&
        memcmp(e->data + pattern_len + 1, value, value_len) == 0) {
        e->expire_at = expire_at_ms;
        e->mark = mark;
        return 0;
    }
    e = malloc(sizeof(*e) + pattern_len + value_len + 2);
    if (e == NULL)
        return -1;
    e->expire_at = expire_at_ms;
    e->pattern_len = (uint32_t)pattern_len;
    e->value_len = (uint32_t)value_len;
    e->mark = mark;
    memcpy(e->data, pattern, pattern_len);
    e->data[pattern_len] = '\0';
    memcpy(e->data + pattern_len + 1, value, value_len);
    e->data[pattern_len + 1 + value_len] = '\0';

    if (at >= 0) {
        free(t->slots[at].e);
        t->slots[at].e = e;
        return 0;
    }
    if ((t->used + 1) * 4 >= t->cap * 3 && overrides_grow(t) < 0) {
        free(e);
        return -1;
    }
    overrides_place(t, h, e);
    return 0;
}

/* Turn slot i into a tombstone (or an empty slot when nothing probes past it). */
static void overrides_remove_at(struct overrides_table *t, size_t i)
{
    t->mx -= overrides_is_mx(t->slots[i].e->data, t->slots[i].e->pattern_len);
    free(t->slots[i].e);
    t->count--;
    if (t->slots[(i + 1) & (t->cap - 1)].e == NULL) {
        t->slots[i].e = NULL;
        t->used--;
    } else {
        t->slots[i].e = OVERRIDES_TOMB;
    }
}

/* Remove pattern if present. */
void overrides_del(struct overrides *o, const char *pattern, size_t pattern_len)
{
    struct overrides_table *t = &o->t;
    char buf[OVERRIDES_PATTERN_MAX + IDN_DOMAIN_MAX + 1], err[8];
    long at;

    if (idn_pattern(pattern, pattern_len, buf, sizeof(buf), &pattern, &pattern_len, err,
                    sizeof(err)) < 0)
        return;
    at = overrides_find(t, overrides_hash(t->seed, pattern, pattern_len), pattern, pattern_len);

    if (at >= 0)
        overrides_remove_at(t, (size_t)at);
}

/* Remove every entry; the loaded flag stays. */
void overrides_clear(struct overrides *o)
{
    overrides_table_free(&o->t);
}

/* Mark the view as loaded from Redis (or not). */
void overrides_set_loaded(struct overrides *o, int loaded)
{
    o->loaded = loaded != 0;
}

/* Whether the view was loaded from Redis at least once. */
int overrides_loaded(const struct overrides *o)
{
    return o->loaded;
}

/* Number of entries (expired ones not yet purged included). */
size_t overrides_count(const struct overrides *o)
{
    return o->t.count;
}

/* Try one candidate pattern: 1 when it is live and accepted (hit filled), else 0. */
static int overrides_try(const struct overrides *o, const char *p, size_t len, uint64_t now_ms,
                         int (*accept)(const char *value, size_t len, void *arg), void *arg,
                         struct override_hit *hit)
{
    const struct overrides_table *t = &o->t;
    const struct overrides_entry *e;
    long at;

    if (len == 0 || len > OVERRIDES_PATTERN_MAX)
        return 0;
    at = overrides_find(t, overrides_hash(t->seed, p, len), p, len);
    if (at < 0)
        return 0;
    e = t->slots[at].e;
    if (e->expire_at != 0 && e->expire_at <= now_ms)
        return 0;
    if (accept != NULL && !accept(e->data + e->pattern_len + 1, e->value_len, arg))
        return 0;
    hit->pattern = e->data;
    hit->pattern_len = e->pattern_len;
    hit->value = e->data + e->pattern_len + 1;
    hit->value_len = e->value_len;
    hit->ttl_ms = e->expire_at == 0 ? -1 : (int64_t)(e->expire_at - now_ms);
    hit->mx_host = NULL;
    return 1;
}

/* Most specific live, accepted override: address, exact domain, then longest ".parent". */
int overrides_lookup(const struct overrides *o, const struct addr *key, uint64_t now_ms,
                     int (*accept)(const char *value, size_t len, void *arg), void *arg,
                     struct override_hit *hit)
{
    size_t i;

    if (key->wildcard || o->t.count == 0)
        return 0;
    /* A key can never name an MX pattern: "u@mx:x" is no MX override's key. */
    if (key->domain != NULL && overrides_is_mx(key->domain, key->domain_len))
        return 0;
    if (key->address != NULL &&
        overrides_try(o, key->address, key->address_len, now_ms, accept, arg, hit))
        return 1;
    if (key->domain == NULL)
        return 0;
    if (overrides_try(o, key->domain, key->domain_len, now_ms, accept, arg, hit))
        return 1;
    /* ".parent" patterns are suffixes of the domain starting at a dot: no copy needed */
    for (i = 0; i < key->domain_len; i++)
        if (key->domain[i] == '.' &&
            overrides_try(o, key->domain + i, key->domain_len - i, now_ms, accept, arg, hit))
            return 1;
    return 0;
}

/* Look up the MX overrides for hosts; see overrides.h. */
int overrides_lookup_mx(const struct overrides *o, const char *const *hosts, size_t n,
                        uint64_t now_ms, int (*accept)(const char *value, size_t len, void *arg),
                        void *arg, struct override_hit *hit)
{
    char buf[3 + OVERRIDES_PATTERN_MAX];
    struct override_hit h;
    size_t i, j, len, best = 0;

    if (o->t.mx == 0)
        return 0;
    memcpy(buf, "mx:", 3);
    for (i = 0; i < n; i++) { /* exact hosts first, in their order */
        len = strlen(hosts[i]);
        if (len > OVERRIDES_PATTERN_MAX - 3)
            continue;
        memcpy(buf + 3, hosts[i], len);
        if (overrides_try(o, buf, 3 + len, now_ms, accept, arg, hit)) {
            hit->mx_host = hosts[i];
            return 1;
        }
    }
    for (i = 0; i < n; i++) { /* then the longest ".suffix" of any host */
        len = strlen(hosts[i]);
        if (len > OVERRIDES_PATTERN_MAX - 3)
            continue;
        for (j = 1; j < len && len - j > best; j++) {
            if (hosts[i][j] != '.')
                continue;
            memcpy(buf + 3, hosts[i] + j, len - j);
            if (overrides_try(o, buf, 3 + len - j, now_ms, accept, arg, &h)) {
                best = len - j;
                *hit = h;
                hit->mx_host = hosts[i];
                break;
            }
        }
    }
    return best > 0;
}

/* Whether the view holds any MX override (expired ones not yet purged included). */
int overrides_have_mx(const struct overrides *o)
{
    return o->t.mx > 0;
}

/* Check a domain (no leading dot): labels of printable, non-space, lowercase bytes. */
static int overrides_check_domain(const char *d, size_t len, char *err, size_t errsize)
{
    size_t i;

    if (len == 0) {
        snprintf(err, errsize, "empty domain");
        return -1;
    }
    if (d[0] == '.' || d[len - 1] == '.') {
        snprintf(err, errsize, "domain starts or ends with a dot");
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)d[i];

        if (c <= 0x20 || c == 0x7f || c == '@') {
            snprintf(err, errsize, "invalid character in domain");
            return -1;
        }
        if (c >= 'A' && c <= 'Z') {
            snprintf(err, errsize, "pattern must be lowercase");
            return -1;
        }
        if (c == '.' && d[i + 1] == '.') {
            snprintf(err, errsize, "empty label in domain");
            return -1;
        }
    }
    return 0;
}

/* The syntax of a pattern as written: domain, .domain or local@domain. */
static int overrides_check_written(const char *p, size_t len, char *err, size_t errsize)
{
    const char *at = NULL;
    size_t i;

    if (len == 0) {
        snprintf(err, errsize, "empty pattern");
        return -1;
    }
    if (len > OVERRIDES_PATTERN_MAX) {
        snprintf(err, errsize, "pattern longer than %d bytes", OVERRIDES_PATTERN_MAX);
        return -1;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];

        if (c < 0x20 || c == 0x7f) {
            snprintf(err, errsize, "control character in pattern");
            return -1;
        }
        if (c >= 'A' && c <= 'Z') {
            snprintf(err, errsize, "pattern must be lowercase");
            return -1;
        }
        if (c == '@')
            at = p + i;
    }
    if (at != NULL) {
        if (at == p) {
            snprintf(err, errsize, "empty local part");
            return -1;
        }
        return overrides_check_domain(at + 1, len - (size_t)(at + 1 - p), err, errsize);
    }
    if (p[0] == '.')
        return overrides_check_domain(p + 1, len - 1, err, errsize);
    return overrides_check_domain(p, len, err, errsize);
}

/* Validate an override pattern: domain, .domain or local@domain. */
int overrides_check_pattern(const char *p, size_t len, char *err, size_t errsize)
{
    char buf[OVERRIDES_PATTERN_MAX + IDN_DOMAIN_MAX + 1], why[128];
    const char *conv;
    size_t conv_len;

    if (overrides_is_mx(p, len)) {
        if (p[3] == '/') {
            snprintf(err, errsize, "an MX regex is for rule files only: use mx:HOST or mx:.SUFFIX");
            return -1;
        }
        if (memchr(p, '@', len) != NULL) {
            snprintf(err, errsize, "invalid character in domain");
            return -1;
        }
        p += 3, len -= 3; /* the rest is checked as a domain or .domain */
    }
    if (overrides_check_written(p, len, err, errsize) < 0)
        return -1;
    if (idn_pattern(p, len, buf, sizeof(buf), &conv, &conv_len, why, sizeof(why)) < 0) {
        snprintf(err, errsize, "domain cannot be converted to its A-label form: %s", why);
        return -1;
    }
    return 0;
}

/* The entry stored for exactly this pattern. */
int overrides_get(const struct overrides *o, const char *pattern, size_t pattern_len,
                  const char **value, size_t *value_len, uint64_t *expire_at_ms)
{
    const struct overrides_table *t = &o->t;
    const struct overrides_entry *e;
    char buf[OVERRIDES_PATTERN_MAX + IDN_DOMAIN_MAX + 1], err[8];
    long at;

    if (idn_pattern(pattern, pattern_len, buf, sizeof(buf), &pattern, &pattern_len, err,
                    sizeof(err)) < 0)
        return 0;
    at = overrides_find(t, overrides_hash(t->seed, pattern, pattern_len), pattern, pattern_len);
    if (at < 0)
        return 0;
    e = t->slots[at].e;
    *value = e->data + e->pattern_len + 1;
    *value_len = e->value_len;
    *expire_at_ms = e->expire_at;
    return 1;
}

/*
 * Remove every entry for which gone(entry, arg) is true; the table is rebuilt afterwards
 * so tombstones do not pile up. Returns how many were removed.
 */
static size_t overrides_remove_if(struct overrides *o,
                                  int (*gone)(const struct overrides_entry *e, uint64_t arg),
                                  uint64_t arg)
{
    struct overrides_table *t = &o->t;
    size_t i, removed = 0;

    for (i = 0; i < t->cap; i++) {
        struct overrides_entry *e = t->slots[i].e;

        if (e == NULL || e == OVERRIDES_TOMB || !gone(e, arg))
            continue;
        t->mx -= overrides_is_mx(e->data, e->pattern_len);
        free(e);
        t->slots[i].e = OVERRIDES_TOMB;
        t->count--;
        removed++;
    }
    /* a failed rebuild only leaves tombstones behind, which stay correct */
    if (removed > 0)
        (void)overrides_grow(t);
    return removed;
}

/* Whether an entry has expired at now_ms (overrides_remove_if callback). */
static int overrides_expired(const struct overrides_entry *e, uint64_t now_ms)
{
    return e->expire_at != 0 && e->expire_at <= now_ms;
}

/* Purge expired entries. */
size_t overrides_expire(struct overrides *o, uint64_t now_ms)
{
    return overrides_remove_if(o, overrides_expired, now_ms);
}

/* Whether an entry carries another mark (overrides_remove_if callback). */
static int overrides_unmarked(const struct overrides_entry *e, uint64_t mark)
{
    return e->mark != (uint32_t)mark;
}

/* Remove the entries a full load did not see. */
size_t overrides_sweep(struct overrides *o, uint32_t mark)
{
    return overrides_remove_if(o, overrides_unmarked, mark);
}

/* Visit every entry. */
int overrides_foreach(const struct overrides *o,
                      int (*fn)(const char *pattern, size_t pattern_len, const char *value,
                                size_t value_len, uint64_t expire_at_ms, void *arg),
                      void *arg)
{
    const struct overrides_table *t = &o->t;
    size_t i;
    int r;

    for (i = 0; i < t->cap; i++) {
        const struct overrides_entry *e = t->slots[i].e;

        if (e == NULL || e == OVERRIDES_TOMB)
            continue;
        r = fn(e->data, e->pattern_len, e->data + e->pattern_len + 1, e->value_len, e->expire_at,
               arg);
        if (r != 0)
            return r;
    }
    return 0;
}
