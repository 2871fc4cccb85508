/* decide.c - the decision engine: overrides, then rule files, then default_route. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decide.h"
#include "idn.h"

/* overrides_lookup filter: skip stored values that are not a valid ROUTE under these routes. */
static int decide_accept(const char *value, size_t len, void *arg)
{
    const struct routes *routes = arg;
    const char *result;
    size_t result_len;
    char err[8];

    return routes_resolve(routes, value, len, &result, &result_len, err, sizeof(err)) >= 0;
}

/* Fill out for a route token that is known to resolve (0 = DUNNO, 1 = result). */
static void decide_set_result(struct decision *out, const struct routes *routes, const char *token,
                              size_t len)
{
    char err[8];

    if (routes_resolve(routes, token, len, &out->result, &out->result_len, err, sizeof(err)) == 1)
        out->answer = DECIDE_FOUND;
    else
        out->answer = DECIDE_NOTFOUND;
}

/* Decide from the overrides view; returns 1 when an override (or its absence under tempfail)
 * decided. */
static int decide_overrides(const struct cfg *cfg, const struct overrides *ov,
                            const struct addr *key, uint64_t now_ms, struct decision *out)
{
    if (ov == NULL) /* overrides not configured at start */
        return 0;
    if (!overrides_loaded(ov)) {
        if (cfg->redis_unavailable != CFG_UNAVAILABLE_TEMPFAIL)
            return 0;
        out->answer = DECIDE_TEMP;
        return 1;
    }
    if (overrides_lookup(ov, key, now_ms, decide_accept, cfg->routes, &out->override) != 1)
        return 0;
    out->source = DECIDE_SRC_OVERRIDE;
    decide_set_result(out, cfg->routes, out->override.value, out->override.value_len);
    return 1;
}

/* Nothing else decided: default_route, when there is one. */
static void decide_default(const struct cfg *cfg, struct decision *out)
{
    if (cfg->default_result == NULL)
        return;
    out->answer = DECIDE_FOUND;
    out->source = DECIDE_SRC_DEFAULT;
    out->result = cfg->default_result;
    out->result_len = cfg->default_result_len;
}

/*
 * Fill *conv with key, its domain in A-label form, in buf (size >= local part + 1 +
 * IDN_DOMAIN_MAX + 1). 0, or -1 with the reason in out->idn_error.
 */
static int decide_alabel(const struct addr *key, char *buf, struct addr *conv, struct decision *out)
{
    size_t head = key->address ? key->local_len + 1 : 0, dlen;

    if (idn_to_alabel(key->domain, key->domain_len, buf + head, IDN_DOMAIN_MAX + 1, &dlen,
                      out->idn_error, sizeof(out->idn_error)) < 0)
        return -1;
    *conv = *key;
    conv->domain = buf + head;
    conv->domain_len = dlen;
    if (key->address) {
        memcpy(buf, key->local, key->local_len);
        buf[key->local_len] = '@';
        conv->address = conv->local = buf;
        conv->address_len = head + dlen;
    }
    return 0;
}

/* Decide the route for an ASCII key: overrides, rules, default_route. */
static void decide_ascii(const struct snapshot *snap, const struct overrides *ov,
                         const struct addr *key, uint64_t now_ms, struct decision *out)
{
    const struct cfg *cfg = snapshot_cfg(snap);
    int rc;

    if (decide_overrides(cfg, ov, key, now_ms, out))
        return;
    rc = rules_match(snapshot_rules(snap), key, &out->rule);
    if (rc < 0) {
        out->answer = DECIDE_ERROR;
        return;
    }
    if (rc > 0) {
        out->source = DECIDE_SRC_RULE;
        if (out->rule.result != NULL) {
            out->answer = DECIDE_FOUND;
            out->result = out->rule.result;
            out->result_len = out->rule.result_len;
        }
        return;
    }
    decide_default(cfg, out);
}

/* Decide the route for key: the A-label form of its domain, then decide_ascii. */
void decide(const struct snapshot *snap, const struct overrides *ov, const struct addr *key,
            uint64_t now_ms, struct decision *out)
{
    struct addr conv;
    char small[256 + IDN_DOMAIN_MAX + 1], *buf = small;

    memset(out, 0, sizeof(*out));
    out->answer = DECIDE_NOTFOUND;
    if (key->wildcard) {
        /* Postfix's "*" probe: only a default_route answers it, never a rule or override. */
        decide_default(snapshot_cfg(snap), out);
        return;
    }
    if (idn_is_ascii(key->domain, key->domain_len)) {
        decide_ascii(snap, ov, key, now_ms, out);
        return;
    }
    if (key->local_len > 256 && (buf = malloc(key->local_len + 1 + IDN_DOMAIN_MAX + 1)) == NULL) {
        out->answer = DECIDE_ERROR;
        return;
    }
    if (decide_alabel(key, buf, &conv, out) < 0)
        out->source = DECIDE_SRC_IDN;
    else
        decide_ascii(snap, ov, &conv, now_ms, out);
    if (buf != small)
        free(buf);
}

/* Describe where an override came from, with its remaining TTL. */
static int decide_explain_override(const struct decision *dec, const char *prefix, char *buf,
                                   size_t size, const char *answer, int answer_len)
{
    const struct override_hit *o = &dec->override;
    char ttl[48];

    if (o->ttl_ms >= 0)
        snprintf(ttl, sizeof(ttl), "ttl=%" PRId64 "s", (o->ttl_ms + 999) / 1000);
    else
        snprintf(ttl, sizeof(ttl), "no ttl");
    return snprintf(buf, size, "%.*s (override %sroute:%.*s, %s)", answer_len, answer,
                    prefix ? prefix : "", (int)o->pattern_len, o->pattern, ttl);
}

/* One line: the answer the transport map gives and why. */
size_t decide_explain(const struct decision *dec, const char *redis_prefix, char *buf, size_t size)
{
    const char *answer = "NOTFOUND";
    int alen = 8;
    int n;

    if (dec->answer == DECIDE_FOUND) {
        answer = dec->result;
        alen = (int)dec->result_len;
    }
    switch (dec->answer == DECIDE_TEMP || dec->answer == DECIDE_ERROR ? DECIDE_SRC_NONE
                                                                      : dec->source) {
    case DECIDE_SRC_OVERRIDE:
        n = decide_explain_override(dec, redis_prefix, buf, size, answer, alen);
        break;
    case DECIDE_SRC_RULE:
        n = snprintf(buf, size, "%.*s (rule %s:%u: %s%s)", alen, answer, dec->rule.file,
                     dec->rule.line, dec->rule.pattern, dec->rule.result ? "" : " says DUNNO");
        break;
    case DECIDE_SRC_DEFAULT:
        n = snprintf(buf, size, "%.*s (default_route)", alen, answer);
        break;
    case DECIDE_SRC_IDN:
        n = snprintf(buf, size, "NOTFOUND (the domain has no A-label form: %s)", dec->idn_error);
        break;
    default:
        if (dec->answer == DECIDE_TEMP)
            n = snprintf(buf, size,
                         "TEMP (overrides not loaded from Redis yet; "
                         "redis_unavailable = tempfail)");
        else if (dec->answer == DECIDE_ERROR)
            n = snprintf(buf, size, "TEMP (rule matching failed)");
        else
            n = snprintf(buf, size, "NOTFOUND (no override or rule matches; no default_route)");
        break;
    }
    return n < 0 ? 0 : (size_t)n;
}
