/* stats.h - the daemon's counters and lookup-duration histogram (loop thread only). */
#ifndef POLICYD_STATS_H
#define POLICYD_STATS_H

#include <stddef.h>
#include <stdint.h>

#include "decide.h"

/* The map a lookup came through (a label value, never the key). */
enum stats_map {
    STATS_MAP_TRANSPORT,
    STATS_MAP_EXPLAIN,
    STATS_MAP_POLICY,
    STATS_MAP_DSN,
    STATS_NMAPS
};

/* The class of a learned route, as a label word (a class of the user's own is "other"). */
enum stats_class {
    STATS_CLASS_PTR,
    STATS_CLASS_REPUTATION,
    STATS_CLASS_BLOCKLIST,
    STATS_CLASS_RATELIMIT,
    STATS_CLASS_OTHER,
    STATS_NCLASSES
};

/* Why a connection was closed at once. */
enum stats_refused { STATS_REFUSED_ALLOW, STATS_REFUSED_LIMIT, STATS_NREFUSED };

/*
 * Count one answered lookup that started at t0 (monotime_ns): by map and answer, by
 * the source of the decision, and its duration. dec NULL: the key was not a recipient
 * address (answered as not found, decided by nothing).
 */
void stats_lookup(enum stats_map map, const struct decision *dec, uint64_t t0);

/*
 * Count one answered dsn lookup that started at t0 (monotime_ns): found (the status
 * replaced) or not. It is decided by no override or rule, so no source is counted.
 */
void stats_dsn(int found, uint64_t t0);

/* A route was learned from a rejection of signature class cls (any word; see stats_class). */
void stats_learned(const char *cls);

/* A client connection was accepted. */
void stats_accepted(void);
/* A connection was refused. */
void stats_refused(enum stats_refused why);
/* A reload finished: ok 1 (switched to the new state, at the time `now`) or 0 (failed). */
void stats_reload(int ok, int64_t now);
/* The rules were loaded at start, at `now` (seconds since the epoch). */
void stats_started(int64_t now);

/* When the running rules were loaded (start or the last good reload), seconds since the epoch. */
int64_t stats_loaded_at(void);

/*
 * One family of counters for the exposition: at most two labels, one value per
 * combination of label values, row-major (v[i * n1 + j] for values[0][i],
 * values[1][j]). Label values are fixed words of ours, never peer data.
 */
struct stats_family {
    const char *name; /* "policyd_..._total" */
    const char *help;
    const char *label[2];         /* NULL: no (second) label */
    const char *const *values[2]; /* each label's values, NULL-terminated */
    const uint64_t *v;
};

/* The i-th family of counters (borrowed, live values), NULL past the last. */
const struct stats_family *stats_family(size_t i);

/* The lookup-duration histogram: non-cumulative counts per bucket, the last is +Inf. */
#define STATS_NBUCKETS 16
struct stats_histogram {
    const uint64_t *le_ns; /* upper bounds of the first STATS_NBUCKETS - 1 buckets, in ns */
    const uint64_t *count; /* STATS_NBUCKETS counts */
    uint64_t sum_ns;
};

/* The histogram's bounds and live counts (borrowed). */
void stats_histogram(struct stats_histogram *h);

/* Zero every counter (tests). */
void stats_reset(void);

#endif
