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

/*
 * The MX is needed: 1 when it is known and usable; else 0 with out set to
 * DECIDE_NEED_MX (not known yet) or DECIDE_DNS_TEMP (DNS failed).
 */
static int decide_have_mx(const struct addr *key, const struct decide_mx *mx, struct decision *out)
{
    size_t n = key->domain_len < IDN_DOMAIN_MAX ? key->domain_len : IDN_DOMAIN_MAX;

    memcpy(out->mx_domain, key->domain, n);
    out->mx_domain[n] = '\0';
    if (mx != NULL) {
        out->has_mx = 1;
        out->mx = *mx;
    }
    if (mx != NULL && !mx->failed)
        return 1;
    out->answer = mx == NULL ? DECIDE_NEED_MX : DECIDE_DNS_TEMP;
    return 0;
}

/* MX overrides, once any exists: 1 when they decided (or the MX is missing). */
static int decide_mx_overrides(const struct cfg *cfg, const struct overrides *ov,
                               const struct addr *key, uint64_t now_ms, const struct decide_mx *mx,
                               struct decision *out)
{
    if (ov == NULL || !overrides_loaded(ov) || !overrides_have_mx(ov))
        return 0;
    if (!decide_have_mx(key, mx, out))
        return 1;
    if (overrides_lookup_mx(ov, mx->hosts, mx->count, now_ms, decide_accept, cfg->routes,
                            &out->override) != 1)
        return 0;
    out->source = DECIDE_SRC_MX_OVERRIDE;
    decide_set_result(out, cfg->routes, out->override.value, out->override.value_len);
    return 1;
}

/* Decide the route for an ASCII key: overrides, MX overrides, rules, default_route. */
static void decide_ascii(const struct snapshot *snap, const struct overrides *ov,
                         const struct addr *key, uint64_t now_ms, const struct decide_mx *mx,
                         struct decision *out)
{
    const struct cfg *cfg = snapshot_cfg(snap);
    struct rules_mx rmx;
    int rc;

    if (decide_overrides(cfg, ov, key, now_ms, out))
        return;
    if (decide_mx_overrides(cfg, ov, key, now_ms, mx, out))
        return;
    if (mx != NULL) {
        rmx.hosts = mx->hosts;
        rmx.count = mx->count;
    }
    rc = rules_match_mx(snapshot_rules(snap), key, mx && !mx->failed ? &rmx : NULL, &out->rule);
    if (rc < 0) {
        out->answer = DECIDE_ERROR;
        return;
    }
    if (rc == RULES_NEED_MX) {
        decide_have_mx(key, mx, out);
        return;
    }
    if (out->rule.mx_host != NULL)
        decide_have_mx(key, mx, out); /* records the MX used, for explain */
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

/* Decide the route for key without its MX; see decide.h. */
void decide(const struct snapshot *snap, const struct overrides *ov, const struct addr *key,
            uint64_t now_ms, struct decision *out)
{
    decide_mx(snap, ov, key, now_ms, NULL, out);
}

/* Decide the route for key: the A-label form of its domain, then decide_ascii. */
void decide_mx(const struct snapshot *snap, const struct overrides *ov, const struct addr *key,
               uint64_t now_ms, const struct decide_mx *mx, struct decision *out)
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
        decide_ascii(snap, ov, key, now_ms, mx, out);
        return;
    }
    if (key->local_len > 256 && (buf = malloc(key->local_len + 1 + IDN_DOMAIN_MAX + 1)) == NULL) {
        out->answer = DECIDE_ERROR;
        return;
    }
    if (decide_alabel(key, buf, &conv, out) < 0)
        out->source = DECIDE_SRC_IDN;
    else
        decide_ascii(snap, ov, &conv, now_ms, mx, out);
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
    if (prefix == NULL) /* memory mode: learned by the dsn map, no Redis key */
        return snprintf(buf, size, "%.*s (override %.*s in memory, %s)", answer_len, answer,
                        (int)o->pattern_len, o->pattern, ttl);
    return snprintf(buf, size, "%.*s (override %sroute:%.*s, %s)", answer_len, answer, prefix,
                    (int)o->pattern_len, o->pattern, ttl);
}

/* Append what DNS said (when the decision used the MX) to buf[n..size); the new n. */
static int decide_explain_mx(const struct decision *dec, char *buf, size_t size, int n)
{
    const struct decide_mx *mx = &dec->mx;
    int m;

    if (!dec->has_mx || n < 0 || (size_t)n >= size)
        return n;
    m = snprintf(buf + n, size - (size_t)n, " [MX of %s: %s, %s, ttl=%us]", dec->mx_domain,
                 mx->status ? mx->status : "?", mx->cached ? "cached" : "fresh", mx->ttl_left);
    return m < 0 ? n : n + m;
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
    switch (dec->answer >= DECIDE_TEMP ? DECIDE_SRC_NONE : dec->source) {
    case DECIDE_SRC_OVERRIDE:
        n = decide_explain_override(dec, redis_prefix, buf, size, answer, alen);
        break;
    case DECIDE_SRC_MX_OVERRIDE:
        n = decide_explain_override(dec, redis_prefix, buf, size, answer, alen);
        if (n > 0 && (size_t)n < size && dec->override.mx_host != NULL)
            n += snprintf(buf + n, size - (size_t)n, " via MX %s", dec->override.mx_host);
        break;
    case DECIDE_SRC_RULE:
        n = snprintf(buf, size, "%.*s (rule %s:%u: %s%s%s%s)", alen, answer, dec->rule.file,
                     dec->rule.line, dec->rule.pattern, dec->rule.mx_host ? " via MX " : "",
                     dec->rule.mx_host ? dec->rule.mx_host : "",
                     dec->rule.result ? "" : " says DUNNO");
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
        else if (dec->answer == DECIDE_DNS_TEMP)
            n = snprintf(buf, size, "TEMP (MX lookup of %s failed: %s)", dec->mx_domain,
                         dec->has_mx && dec->mx.status ? dec->mx.status : "?");
        else if (dec->answer == DECIDE_NEED_MX)
            n = snprintf(buf, size, "TEMP (the MX of %s was not looked up)", dec->mx_domain);
        else
            n = snprintf(buf, size, "NOTFOUND (no override or rule matches; no default_route)");
        break;
    }
    if (dec->answer != DECIDE_DNS_TEMP)
        n = decide_explain_mx(dec, buf, size, n);
    return n < 0 ? 0 : (size_t)n;
}
