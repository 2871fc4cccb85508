/*
 * stats.c - the daemon's counters and lookup-duration histogram.
 *
 * Plain integers, written and read on the event loop only: no locks, no atomics.
 * Counting a lookup costs two clock reads and a few increments. Every label value is
 * a fixed word from a table here, so no recipient, domain or address can reach a label.
 *
 * Families of counters are rows of one table (stats_families): a new family is an
 * array of counters, its label words, a row, and a function that counts. Export only
 * what the daemon really does (a feature that is not built has no row, not zeros).
 *
 * Decisions where the SPEC is silent:
 *  - result is what was decided (found, notfound, temp, error, dns_temp), also for the
 *    explain map, whose reply is always OK; temp: overrides needed but never loaded;
 *    error: matching failed; dns_temp: an MX rule needed DNS and DNS failed. All three
 *    are answered TEMP (socketmap) or DEFER_IF_PERMIT (policy).
 *  - A key that is not a recipient address, and a policy request at another state
 *    than RCPT, count as a lookup answered notfound and decided by nothing ("none").
 *  - The duration runs from the decoded request to the answer in the output buffer.
 *  - A dsn lookup is found when the status was replaced (OK), else notfound; it is decided
 *    by no override or rule, so policyd_decisions_total does not count it.
 */
#include "config.h"

#include <string.h>

#include "monotime.h"
#include "stats.h"

/* Decision results and sources as label words; sources are indexed by enum decide_source. */
enum stats_result {
    STATS_R_NOTFOUND,
    STATS_R_FOUND,
    STATS_R_TEMP,
    STATS_R_ERROR,
    STATS_R_DNS_TEMP,
    STATS_NRESULTS
};
#define STATS_NSOURCES (DECIDE_SRC_MX_OVERRIDE + 1)

static const char *const stats_map_names[] = {"transport", "explain", "policy", "dsn", NULL};
static const char *const stats_result_names[] = {"notfound", "found",    "temp",
                                                 "error",    "dns_temp", NULL};
static const char *const stats_source_names[] = {
    [DECIDE_SRC_NONE] = "none", [DECIDE_SRC_OVERRIDE] = "override",
    [DECIDE_SRC_RULE] = "rule", [DECIDE_SRC_DEFAULT] = "default",
    [DECIDE_SRC_IDN] = "idn",   [DECIDE_SRC_MX_OVERRIDE] = "mx_override",
    [STATS_NSOURCES] = NULL,
};
static const char *const stats_refused_names[] = {"allow", "max_connections", NULL};
static const char *const stats_reload_names[] = {"ok", "failed", NULL};
static const char *const stats_class_names[] = {"ptr", "reputation", "blocklist", "ratelimit",
                                                "other", NULL};

_Static_assert(sizeof(stats_map_names) / sizeof(stats_map_names[0]) == STATS_NMAPS + 1,
               "a name for every map");
_Static_assert(sizeof(stats_result_names) / sizeof(stats_result_names[0]) == STATS_NRESULTS + 1,
               "a name for every result");
_Static_assert(sizeof(stats_refused_names) / sizeof(stats_refused_names[0]) == STATS_NREFUSED + 1,
               "a name for every refusal");
_Static_assert(sizeof(stats_class_names) / sizeof(stats_class_names[0]) == STATS_NCLASSES + 1,
               "a name for every class");

/* Upper bounds of the duration buckets in ns: 10 us .. 1 s, then +Inf. */
static const uint64_t stats_le_ns[STATS_NBUCKETS - 1] = {
    10000,   25000,    50000,    100000,   250000,    500000,    1000000,    2500000,
    5000000, 10000000, 25000000, 50000000, 100000000, 500000000, 1000000000,
};

static struct {
    uint64_t lookups[STATS_NMAPS][STATS_NRESULTS];
    uint64_t decisions[STATS_NSOURCES];
    uint64_t accepted;
    uint64_t refused[STATS_NREFUSED];
    uint64_t reloads[2]; /* ok, failed */
    uint64_t learned[STATS_NCLASSES];
    uint64_t buckets[STATS_NBUCKETS];
    uint64_t sum_ns;
    int64_t loaded_at;
} stats;

static const struct stats_family stats_families[] = {
    {"policyd_lookups_total",
     "Lookups answered, by map and by what was decided.",
     {"map", "result"},
     {stats_map_names, stats_result_names},
     &stats.lookups[0][0]},
    {"policyd_decisions_total",
     "Lookups by what decided them.",
     {"source", NULL},
     {stats_source_names, NULL},
     stats.decisions},
    {"policyd_connections_total",
     "Client connections accepted.",
     {NULL, NULL},
     {NULL, NULL},
     &stats.accepted},
    {"policyd_connections_refused_total",
     "Client connections closed at once, by reason.",
     {"reason", NULL},
     {stats_refused_names, NULL},
     stats.refused},
    {"policyd_reloads_total",
     "Reloads (SIGHUP), by result.",
     {"result", NULL},
     {stats_reload_names, NULL},
     stats.reloads},
    {"policyd_learned_total",
     "Routes learned from delivery results (the dsn map), by signature class.",
     {"class", NULL},
     {stats_class_names, NULL},
     stats.learned},
};

/* The result word of an answer: what the client was told, in short. */
static enum stats_result stats_result_of(enum decide_answer a)
{
    switch (a) {
    case DECIDE_NOTFOUND:
        return STATS_R_NOTFOUND;
    case DECIDE_FOUND:
        return STATS_R_FOUND;
    case DECIDE_TEMP:
        return STATS_R_TEMP;
    case DECIDE_DNS_TEMP:
        return STATS_R_DNS_TEMP;
    default: /* DECIDE_ERROR; DECIDE_NEED_MX is never an answer */
        return STATS_R_ERROR;
    }
}

/* Count a lookup's duration in the histogram. */
static void stats_duration(uint64_t t0)
{
    uint64_t ns = monotime_ns() - t0;
    size_t b = 0;

    while (b < STATS_NBUCKETS - 1 && ns > stats_le_ns[b])
        b++;
    stats.buckets[b]++;
    stats.sum_ns += ns;
}

/* Count one answered lookup. */
void stats_lookup(enum stats_map map, const struct decision *dec, uint64_t t0)
{
    enum stats_result answer = dec ? stats_result_of(dec->answer) : STATS_R_NOTFOUND;
    unsigned source = dec ? (unsigned)dec->source : DECIDE_SRC_NONE;

    if (source < STATS_NSOURCES)
        stats.decisions[source]++;
    if ((unsigned)map < STATS_NMAPS)
        stats.lookups[map][answer]++;
    stats_duration(t0);
}

/* Count one answered dsn lookup. */
void stats_dsn(int found, uint64_t t0)
{
    stats.lookups[STATS_MAP_DSN][found ? STATS_R_FOUND : STATS_R_NOTFOUND]++;
    stats_duration(t0);
}

/* Count one learned route by its class word. */
void stats_learned(const char *cls)
{
    size_t i;

    for (i = 0; i < STATS_CLASS_OTHER; i++)
        if (strcmp(cls, stats_class_names[i]) == 0)
            break;
    stats.learned[i]++;
}

/* A client connection was accepted. */
void stats_accepted(void)
{
    stats.accepted++;
}

/* A connection was refused. */
void stats_refused(enum stats_refused why)
{
    if ((unsigned)why < STATS_NREFUSED)
        stats.refused[why]++;
}

/* A reload finished. */
void stats_reload(int ok, int64_t now)
{
    stats.reloads[ok ? 0 : 1]++;
    if (ok)
        stats.loaded_at = now;
}

/* The rules were loaded at start. */
void stats_started(int64_t now)
{
    stats.loaded_at = now;
}

/* When the running rules were loaded. */
int64_t stats_loaded_at(void)
{
    return stats.loaded_at;
}

/* The i-th family of counters. */
const struct stats_family *stats_family(size_t i)
{
    return i < sizeof(stats_families) / sizeof(stats_families[0]) ? &stats_families[i] : NULL;
}

/* The histogram's bounds and counts. */
void stats_histogram(struct stats_histogram *h)
{
    h->le_ns = stats_le_ns;
    h->count = stats.buckets;
    h->sum_ns = stats.sum_ns;
}

/* Zero every counter. */
void stats_reset(void)
{
    memset(&stats, 0, sizeof(stats));
}
