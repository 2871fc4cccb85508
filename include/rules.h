/* rules.h - rule files (SPEC section 3): parse, compile, match. */
#ifndef POLICYD_RULES_H
#define POLICYD_RULES_H

#include <stddef.h>

#include "addr.h"
#include "diag.h"
#include "routes.h"

struct rules;

/* What matched: valid as long as the rules object lives. */
struct rule_hit {
    const char *result; /* transport(5) result; NULL when the rule says DUNNO */
    size_t result_len;
    const char *file;
    unsigned line;
    const char *pattern; /* as written in the file (IDN domains in A-label form) */
    const char *
        mx_host; /* the MX host an mx: rule matched (borrowed from the rules_mx given), else NULL */
};

/* The selected MX hosts of a key's domain (lowercase A-label, no trailing dot). */
struct rules_mx {
    const char *const *hosts;
    size_t count; /* 0: null MX or NXDOMAIN, no mx: rule matches */
};

/* rules_match_mx's answer when an mx: rule must be tried and the MX is not known. */
#define RULES_NEED_MX 2

/* Returns a new, empty rule set (NULL on allocation failure). */
struct rules *rules_new(void);
/* Accepts NULL. */
void rules_free(struct rules *r);

/*
 * Add the rules of every file named by `pattern` (a path, or a glob expanded in
 * lexical order). Route names are resolved against routes (may be NULL). Every
 * problem goes to d as FILE:LINE; returns 0, or -1 when any error was added.
 * A glob that matches nothing is a warning, a missing plain path an error.
 */
int rules_add_files(struct rules *r, const char *pattern, const struct routes *routes,
                    struct diag *d);

/* Add the rules in text[0..len) as if read from file `name` (tests, fuzzing). */
int rules_add_buffer(struct rules *r, const char *name, const char *text, size_t len,
                     const struct routes *routes, struct diag *d);

/* Compile what was added (PCRE2 JIT). After this no more rules may be added. 0 or -1. */
int rules_finish(struct rules *r, struct diag *d);

size_t rules_count(const struct rules *r);
size_t rules_file_count(const struct rules *r);

/*
 * First matching rule for key, in rule order. Returns 1 (found, *hit filled), 0 (no
 * rule matches) or -1 (matching failed, e.g. a PCRE2 resource limit). Not thread
 * safe: one rules object is matched from one thread at a time.
 */
int rules_match(const struct rules *r, const struct addr *key, struct rule_hit *hit);

/*
 * The same with mx: rules (mx:HOST, mx:.SUFFIX, mx:/REGEX/FLAGS) matched against the
 * hosts in mx. With mx NULL (not known yet) it returns RULES_NEED_MX when an mx: rule
 * comes before every other matching rule, so a key that an earlier rule decides
 * never waits for DNS; call again with the hosts. rules_match is this with mx NULL.
 */
int rules_match_mx(const struct rules *r, const struct addr *key, const struct rules_mx *mx,
                   struct rule_hit *hit);

/* Whether the set has any mx: rule. */
int rules_have_mx(const struct rules *r);

#endif
