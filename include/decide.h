/* decide.h - the decision engine: overrides, then rules, then default_route (pure). */
#ifndef POLICYD_DECIDE_H
#define POLICYD_DECIDE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "overrides.h"
#include "rules.h"
#include "snapshot.h"

enum decide_answer {
    DECIDE_NOTFOUND, /* nothing matched, DUNNO, or the key "*" */
    DECIDE_FOUND,    /* result/result_len hold the transport(5) result */
    DECIDE_TEMP,     /* overrides needed but never loaded (redis_unavailable = tempfail) */
    DECIDE_ERROR,    /* matching failed (e.g. a PCRE2 limit): answer a temporary error */
};

enum decide_source {
    DECIDE_SRC_NONE,
    DECIDE_SRC_OVERRIDE,
    DECIDE_SRC_RULE,
    DECIDE_SRC_DEFAULT,
    DECIDE_SRC_IDN /* NOTFOUND: the key's UTF-8 domain has no A-label form (idn_error says why) */
};

struct decision {
    enum decide_answer answer;
    enum decide_source source;
    const char *result; /* DECIDE_FOUND only; borrowed */
    size_t result_len;
    struct rule_hit rule;         /* DECIDE_SRC_RULE */
    struct override_hit override; /* DECIDE_SRC_OVERRIDE */
    char idn_error[128];          /* DECIDE_SRC_IDN: libidn2's reason, for the log */
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
 * One line saying what the transport map answers and why (the explain map), e.g.
 * "smtp:[relay]:587 (rule /etc/policyd/rules/a.rules:3: aol.com)". Like snprintf.
 */
size_t decide_explain(const struct decision *dec, const char *redis_prefix, char *buf, size_t size);

#endif
