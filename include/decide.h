/* decide.h - the decision engine: overrides, then rules, then default_route (pure). */
#ifndef POLICYD_DECIDE_H
#define POLICYD_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "idn.h"
#include "overrides.h"
#include "rules.h"
#include "snapshot.h"

enum decide_answer {
    DECIDE_NOTFOUND, /* nothing matched, DUNNO, or the key "*" */
    DECIDE_FOUND,    /* result/result_len hold the transport(5) result */
    DECIDE_TEMP,     /* overrides needed but never loaded (redis_unavailable = tempfail) */
    DECIDE_ERROR,    /* matching failed (e.g. a PCRE2 limit): answer a temporary error */
    DECIDE_NEED_MX,  /* the MX of mx_domain is needed: look it up, then decide_mx again */
    DECIDE_DNS_TEMP, /* the MX was needed and DNS failed: answer a temporary error */
};

enum decide_source {
    DECIDE_SRC_NONE,
    DECIDE_SRC_OVERRIDE,
    DECIDE_SRC_RULE,
    DECIDE_SRC_DEFAULT,
    DECIDE_SRC_IDN,        /* NOTFOUND: the key's UTF-8 domain has no A-label form (idn_error) */
    DECIDE_SRC_MX_OVERRIDE /* an MX override ("mx:HOST", "mx:.SUFFIX") matched; override says which
                            */
};

/* What DNS said about the key's domain, as decide_mx needs it (all borrowed). */
struct decide_mx {
    int failed; /* SERVFAIL, timeout, bogus, ...: an evaluation that needs the MX fails */
    const char *const
        *hosts;         /* the selected MX hosts (mx_match), the domain itself for implicit MX */
    size_t count;       /* 0 for null MX and NXDOMAIN: no MX pattern matches */
    const char *status; /* for explain and logs: "MX", "NXDOMAIN", "timeout after 5000 ms", ... */
    int cached;         /* answered from the cache (1) or by a query (0) */
    uint32_t ttl_left;  /* seconds the cache keeps it */
};

struct decision {
    enum decide_answer answer;
    enum decide_source source;
    const char *result; /* DECIDE_FOUND only; borrowed */
    size_t result_len;
    struct rule_hit rule;               /* DECIDE_SRC_RULE */
    struct override_hit override;       /* DECIDE_SRC_OVERRIDE */
    char idn_error[128];                /* DECIDE_SRC_IDN: libidn2's reason, for the log */
    int has_mx;                         /* the decision used the MX (or wanted it): mx is set */
    struct decide_mx mx;                /* a copy; its strings stay borrowed from the caller's */
    char mx_domain[IDN_DOMAIN_MAX + 1]; /* DECIDE_NEED_MX and with mx: the domain (A-label) */
};

/*
 * Decide the route for key. A key whose domain is not ASCII is matched in its A-label
 * form (idn.h); one that has none answers DECIDE_NOTFOUND from DECIDE_SRC_IDN, and
 * the caller logs it. ov may be NULL (overrides not configured). Everything
 * in *out is borrowed from snap and ov and valid until either changes.
 */
void decide(const struct snapshot *snap, const struct overrides *ov, const struct addr *key,
            uint64_t now_ms, struct decision *out);

/*
 * decide() with MX patterns (SPEC 7): recipient overrides, then MX overrides (when
 * any exists), then rules (mx: rules among them), then default_route. With mx NULL,
 * an evaluation that reaches an MX pattern stops with DECIDE_NEED_MX and the domain
 * in out->mx_domain: look its MX up and call again with it. With mx failed, such an
 * evaluation answers DECIDE_DNS_TEMP. A key decided before any MX pattern never
 * needs the MX. decide() is decide_mx() with mx NULL.
 */
void decide_mx(const struct snapshot *snap, const struct overrides *ov, const struct addr *key,
               uint64_t now_ms, const struct decide_mx *mx, struct decision *out);

/*
 * One line saying what the transport map answers and why (the explain map), e.g.
 * "smtp:[relay]:587 (rule /etc/policyd/rules/a.rules:3: aol.com)". Like snprintf.
 * redis_prefix NULL: no Redis, an override is one the dsn map learned "in memory".
 */
size_t decide_explain(const struct decision *dec, const char *redis_prefix, char *buf, size_t size);

#endif
