/*
 * dns.h - MX lookups on policyd's event loop: libunbound, a bounded LRU cache, one
 * query shared by every lookup of a domain, and our own timeout.
 */
#ifndef POLICYD_DNS_H
#define POLICYD_DNS_H

#include <stddef.h>
#include <stdint.h>

struct event_base;

/* Settings; the strings are copied by dns_new. */
struct dns_options {
    const char *resolver;      /* "system", or IP[@PORT] forwarders separated by commas/spaces */
    unsigned timeout_ms;       /* a query not answered by then fails as a timeout */
    unsigned min_ttl, max_ttl; /* seconds: clamp of answers' (and negative answers') TTLs */
    unsigned error_ttl;        /* seconds a failure (SERVFAIL, timeout, bogus) is cached */
    size_t cache_size;         /* domains kept at most (least recently used go first) */
    int dnssec;                /* validate with trust_anchor */
    const char *trust_anchor;  /* file of DS/DNSKEY records (zone file format) */
};

/* What the DNS said about a domain's mail. */
enum dns_status {
    DNS_MX,       /* MX records */
    DNS_IMPLICIT, /* no MX records (NODATA): the domain is its own MX */
    DNS_NULLMX,   /* null MX (RFC 7505): mx: patterns do not match */
    DNS_NXDOMAIN, /* no such domain: mx: patterns do not match */
    DNS_SERVFAIL, /* the resolver failed (SERVFAIL or another RCODE): temporary */
    DNS_TIMEOUT,  /* no answer within timeout_ms: temporary */
    DNS_BOGUS,    /* DNSSEC validation failed: temporary */
    DNS_ERROR     /* anything else (malformed answer, out of memory): temporary */
};
#define DNS_STATUS_COUNT 8

/* An answer: immutable; borrowed by the callers (see dns_lookup). */
struct dns_answer;

enum dns_status dns_answer_status(const struct dns_answer *a);
/* 1 when the answer must not decide a route (SERVFAIL, timeout, bogus, error). */
int dns_answer_failed(const struct dns_answer *a);
/*
 * The selected MX hosts (lowercase, no trailing dot; the domain itself for
 * DNS_IMPLICIT, none for the other statuses): the lowest-preference ones, or all of
 * them in preference order when `any`. Returns how many; *hosts is borrowed.
 */
size_t dns_answer_hosts(const struct dns_answer *a, int any, const char *const **hosts);
/* Seconds the cache keeps it from now (0 when already expired). */
uint32_t dns_answer_ttl_left(const struct dns_answer *a, uint64_t now_ms);
/* Was it answered from the cache (1) or by a query that this lookup waited for (0)? */
int dns_answer_cached(const struct dns_answer *a);
/* Short text for logs and explain: "MX", "timeout after 5000 ms", "SERVFAIL", ... */
const char *dns_answer_text(const struct dns_answer *a);
/* Name of a status: "MX", "implicit MX", "null MX", "NXDOMAIN", "SERVFAIL", ... */
const char *dns_status_name(enum dns_status s);

struct dns;
struct dns_wait;

/*
 * Called once per waiting lookup with the answer (borrowed: valid during the call
 * only). Never called from inside dns_lookup.
 */
typedef void (*dns_callback)(void *arg, const struct dns_answer *answer);

/*
 * Check the syntax of a dns_resolver value: 0, or -1 with a message in err.
 * "system" or IPv4/IPv6 addresses, each with an optional @PORT (1-65535).
 */
int dns_resolver_check(const char *resolver, char *err, size_t errlen);

/* A resolver on base. Returns NULL with a message in err on failure. */
struct dns *dns_new(struct event_base *base, const struct dns_options *o, char *err, size_t errlen);

/*
 * Look up the MX of domain[0..len) (lowercase A-label form, no trailing dot).
 * Returns 1 with *answer set (borrowed until the next call into this module) when the
 * cache holds a live answer; 0 when the lookup waits: cb(arg, answer) is called once,
 * later, and *wait (when wait is not NULL) may cancel it until then; -1 on an error
 * (bad name, out of memory) with a message in err.
 */
int dns_lookup(struct dns *d, const char *domain, size_t len, const struct dns_answer **answer,
               dns_callback cb, void *arg, struct dns_wait **wait, char *err, size_t errlen);

/* Cancel a waiting lookup: its callback is never called. */
void dns_cancel(struct dns_wait *w);

/* Counters for the metrics. */
struct dns_stats {
    uint64_t lookups;                   /* dns_lookup calls that reached the cache */
    uint64_t hits;                      /* answered from the cache */
    uint64_t shared;                    /* waited for a query already in flight */
    uint64_t queries;                   /* queries sent */
    uint64_t answers[DNS_STATUS_COUNT]; /* queries' outcomes by dns_status */
    uint64_t evictions;                 /* entries dropped to respect cache_size */
    size_t entries;                     /* domains in the cache now (pending included) */
    size_t pending;                     /* queries in flight now */
};
void dns_stats(const struct dns *d, struct dns_stats *out);

/*
 * Free the resolver. Lookups still waiting get their callback with a DNS_ERROR
 * answer first ("resolver shut down"). Accepts NULL.
 */
void dns_free(struct dns *d);

#endif
