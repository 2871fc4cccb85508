/*
 * learn.c - the dsn map (SPEC section 8): a delivery status in, a learned route and an
 * answer out, decided at once on the loop thread.
 *
 * Choices where the SPEC is silent:
 *  - "Stored" means written to the view and, with Redis, queued on the in-sync connection
 *    (redis_client_learn): the answer cannot wait for Redis. Should Redis then refuse (a
 *    replica, a missing ACL grant), redis.c logs it and reads the key again, so the view
 *    drops the route within the round trip; that one status was already deferred. From
 *    then on the client is unconfirmed: the next learned routes are still sent (so the
 *    recovery is noticed) but neither put in the view nor deferred by, until one learned
 *    SET has come back stored. A write sent while unconfirmed counts in the hourly bound.
 *  - The hourly bound is a sliding window over the writes of this daemon (an existing
 *    override found in the view is no write and does not count).
 *  - The record of what taught a route (for explain) is kept for the routes this daemon
 *    learned; routes learned by another daemon of the fleet are explained from Redis by
 *    policyctl, not by explain.
 *  - A learned class of the user's own counts as "other" in policyd_learned_total.
 *  - "In force" is judged for the rejecting host alone, not for the recipient (a backup
 *    MX under another domain, a recipient override, a transport_maps entry before
 *    policyd may still send that recipient direct). So a route in force defers only
 *    while it is new to this daemon: this lookup stored it, or this daemon answered its
 *    first deferral for the pattern less than learn_defer_window ago. Later rejections
 *    under it are left unchanged: the route evidently does not apply to that recipient,
 *    and the normal bounce is right (a message must never be deferred forever). The
 *    first deferrals are kept per pattern until the route expires.
 *  - Both are one entry per pattern, at most LEARN_ENTRIES_MAX (the oldest go first; a
 *    pattern that lost its entry gets a new window and explain no longer names its
 *    teacher).
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arena.h"
#include "dsn.h"
#include "learn.h"
#include "log.h"
#include "routes.h"
#include "sig.h"
#include "sockmap.h"
#include "stats.h"

/* Patterns this daemon keeps an entry for (first deferral, what taught it). */
#define LEARN_ENTRIES_MAX 1024
/* Bytes of the status text kept per record. */
#define LEARN_TEXT_MAX 1024
/* The window of learn_max_per_hour, in ms. */
#define LEARN_WINDOW_MS (3600 * 1000ULL)
/* Longest host name (DNS) and address kept. */
#define LEARN_HOST_MAX 255
#define LEARN_ADDR_MAX 63

/*
 * What this daemon knows of one learned pattern: when it first deferred by the route
 * (learn_defer_window) and, for a route it learned itself, what taught it (explain).
 */
struct learn_entry {
    char pattern[DSN_PATTERN_MAX + 1];
    uint64_t first_ms;  /* the store or the first deferral by the route */
    uint64_t expire_ms; /* when the route expires (UINT64_MAX: no TTL) */
    char *text;         /* the status that taught it; NULL: not learned by this daemon */
    size_t text_len;
    char route[ROUTES_NAME_MAX + 1];
    char host[LEARN_HOST_MAX + 1];
    char addr[LEARN_ADDR_MAX + 1];
    char cls[64];
};

struct learn {
    struct overrides *view;
    struct redis_client *rc;
    uint64_t *window; /* when the learned writes of the last hour were made, oldest first */
    size_t nwindow, capwindow;
    struct learn_entry *entries; /* oldest first */
    size_t nentries;
    char *answer; /* the last "OK" data, SOCKMAP_REPLY_MAX bytes */
    struct log_limit bound_limit, pattern_limit, store_limit, match_limit;
};

/* A new learner (see learn.h). */
struct learn *learn_new(struct overrides *view, struct redis_client *rc)
{
    struct learn *l = calloc(1, sizeof(*l));

    if (l == NULL)
        return NULL;
    l->view = view;
    l->rc = rc;
    l->answer = malloc(SOCKMAP_REPLY_MAX);
    l->entries = calloc(LEARN_ENTRIES_MAX, sizeof(*l->entries));
    if (l->answer == NULL || l->entries == NULL) {
        learn_free(l);
        return NULL;
    }
    return l;
}

/* Free a learner; accepts NULL. */
void learn_free(struct learn *l)
{
    size_t i;

    if (l == NULL)
        return;
    for (i = 0; i < l->nentries; i++)
        free(l->entries[i].text);
    free(l->entries);
    free(l->window);
    free(l->answer);
    free(l);
}

/* The Redis client to write through. */
void learn_set_redis(struct learn *l, struct redis_client *rc)
{
    l->rc = rc;
}

/* Log a rate-limited warning "what: why" (at most one a second, the rest counted). */
static void learn_log_limited(struct log_limit *lim, const char *what, const char *why)
{
    unsigned long quiet;

    if (!log_limit_pass(lim, time(NULL), &quiet))
        return;
    if (quiet)
        log_warn("dsn: %s: %s (and %lu more like it not logged)", what, why, quiet);
    else
        log_warn("dsn: %s: %s", what, why);
}

/* Whether class cls is one of the classes that change routes (cfg->learn). */
static int learn_class_on(const struct cfg *cfg, const char *cls)
{
    size_t i;

    for (i = 0; i < cfg->nlearn; i++)
        if (strcmp(cfg->learn[i], cls) == 0)
            return 1;
    return 0;
}

/* Length of s[0..len) without one trailing dot. */
static size_t learn_nodot(const char *s, size_t len)
{
    return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

/* Whether a[0..alen) and b[0..blen) are the same IP address (both literals), 1 or 0. */
static int learn_same_ip(const char *a, size_t alen, const char *b, size_t blen)
{
    char sa[INET6_ADDRSTRLEN + 1], sb[INET6_ADDRSTRLEN + 1];
    unsigned char ba[16], bb[16];
    int fa, fb;

    if (alen == 0 || blen == 0 || alen >= sizeof(sa) || blen >= sizeof(sb))
        return 0;
    memcpy(sa, a, alen);
    sa[alen] = '\0';
    memcpy(sb, b, blen);
    sb[blen] = '\0';
    fa = inet_pton(AF_INET, sa, ba) == 1 ? AF_INET : inet_pton(AF_INET6, sa, ba) == 1 ? AF_INET6 : 0;
    fb = inet_pton(AF_INET, sb, bb) == 1 ? AF_INET : inet_pton(AF_INET6, sb, bb) == 1 ? AF_INET6 : 0;
    return fa != 0 && fa == fb && memcmp(ba, bb, fa == AF_INET ? 4 : 16) == 0;
}

/* Whether host names a[0..alen) and b[0..blen) have the same registrable domain, 1 or 0. */
static int learn_same_domain(const char *a, size_t alen, const char *b, size_t blen)
{
    char pa[DSN_PATTERN_MAX + 1], pb[DSN_PATTERN_MAX + 1], err[8];

    return dsn_learn_pattern(a, alen, 0, pa, sizeof(pa), err, sizeof(err)) == 0 &&
           dsn_learn_pattern(b, blen, 0, pb, sizeof(pb), err, sizeof(err)) == 0 &&
           strcmp(pa, pb) == 0;
}

/* Whether the rejecting host is the nexthop of result (see learn.h). */
int learn_is_nexthop(const char *result, const char *name, size_t name_len, const char *addr,
                     size_t addr_len)
{
    const char *nh = strchr(result, ':'), *end;
    size_t len;
    int mx = 0; /* no brackets: Postfix looks up the nexthop's MX hosts */

    if (nh == NULL)
        return 0;
    nh++;
    if (*nh == '[') {
        nh++;
        if ((end = strchr(nh, ']')) == NULL)
            return 0;
        if (end - nh > 5 && strncasecmp(nh, "ipv6:", 5) == 0)
            nh += 5;
    } else {
        end = nh + strcspn(nh, ":, \t");
        mx = 1;
    }
    len = learn_nodot(nh, (size_t)(end - nh));
    name_len = learn_nodot(name, name_len);
    if (len == 0)
        return 0;
    if (len == name_len && strncasecmp(nh, name, len) == 0)
        return 1;
    if (learn_same_ip(nh, len, addr, addr_len))
        return 1;
    return mx && learn_same_domain(nh, len, name, name_len);
}

/* Drop the window's writes older than an hour; 1 when one more is allowed under max. */
static int learn_window_room(struct learn *l, uint64_t now_ms, unsigned max)
{
    size_t old = 0;

    while (old < l->nwindow && l->window[old] + LEARN_WINDOW_MS <= now_ms)
        old++;
    if (old > 0) {
        memmove(l->window, l->window + old, (l->nwindow - old) * sizeof(*l->window));
        l->nwindow -= old;
    }
    return l->nwindow < max;
}

/* Count a write in the window (it is under the bound: learn_window_room said so). */
static void learn_window_add(struct learn *l, uint64_t now_ms)
{
    /* out of memory: not counted; the bound is kept loosely rather than failing the lookup */
    if (arena_grow((void **)&l->window, &l->capwindow, l->nwindow, sizeof(*l->window)) < 0)
        return;
    l->window[l->nwindow++] = now_ms;
}

/* Copy s[0..len) into dst[0..size) as a cut, NUL-terminated string. */
static void learn_copy(char *dst, size_t size, const char *s, size_t len)
{
    if (len >= size)
        len = size - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
}

/* The entry of pattern[0..len), or NULL. */
static struct learn_entry *learn_entry_find(const struct learn *l, const char *pattern, size_t len)
{
    size_t i;

    for (i = 0; i < l->nentries; i++)
        if (strlen(l->entries[i].pattern) == len &&
            memcmp(l->entries[i].pattern, pattern, len) == 0)
            return &l->entries[i];
    return NULL;
}

/* The entry of pattern, a new (zeroed) one when it has none; the oldest goes when full. */
static struct learn_entry *learn_entry_get(struct learn *l, const char *pattern)
{
    struct learn_entry *e = learn_entry_find(l, pattern, strlen(pattern));

    if (e != NULL)
        return e;
    if (l->nentries == LEARN_ENTRIES_MAX) {
        free(l->entries[0].text);
        memmove(&l->entries[0], &l->entries[1], (l->nentries - 1) * sizeof(*e));
        l->nentries--;
    }
    e = &l->entries[l->nentries++];
    memset(e, 0, sizeof(*e));
    learn_copy(e->pattern, sizeof(e->pattern), pattern, strlen(pattern));
    return e;
}

/* Remember what taught pattern (for explain). */
static void learn_remember(struct learn *l, const char *pattern, const char *route,
                           const struct dsn_key *k, const char *cls, uint64_t expire_ms)
{
    struct learn_entry *e = learn_entry_get(l, pattern);
    size_t tlen = k->text_len < LEARN_TEXT_MAX ? k->text_len : LEARN_TEXT_MAX;

    free(e->text);
    e->text_len = 0;
    e->expire_ms = expire_ms;
    if ((e->text = malloc(tlen + 1)) == NULL)
        return;
    memcpy(e->text, k->text, tlen);
    e->text[tlen] = '\0';
    e->text_len = tlen;
    learn_copy(e->route, sizeof(e->route), route, strlen(route));
    learn_copy(e->host, sizeof(e->host), k->host, k->host_len);
    learn_copy(e->addr, sizeof(e->addr), k->addr, k->addr_len);
    learn_copy(e->cls, sizeof(e->cls), cls, strlen(cls));
}

/* Forget the entries of routes expired by now_ms. */
void learn_expire(struct learn *l, uint64_t now_ms)
{
    size_t i, o = 0;

    for (i = 0; i < l->nentries; i++) {
        if (l->entries[i].expire_ms <= now_ms)
            free(l->entries[i].text);
        else
            l->entries[o++] = l->entries[i];
    }
    l->nentries = o;
}

/*
 * Whether the route in force for pattern is still new enough to defer by (see the top):
 * stored (1: this lookup stored it, the window starts again) or first deferred by less
 * than window_ms ago. The route expires at expire_ms.
 */
static int learn_defer_new(struct learn *l, const char *pattern, int stored, uint64_t window_ms,
                           uint64_t expire_ms, uint64_t now_ms)
{
    struct learn_entry *e = learn_entry_get(l, pattern);

    if (e->first_ms != 0 && e->expire_ms > now_ms && !stored)
        return now_ms - e->first_ms < window_ms;
    e->first_ms = now_ms;
    e->expire_ms = expire_ms;
    return stored || window_ms > 0;
}

/* Whether the view holds a live override for exactly pattern; *expire_ms: when it expires. */
static int learn_exists(const struct learn *l, const char *pattern, uint64_t now_ms,
                        uint64_t *expire_ms)
{
    const char *value;
    size_t vlen;
    uint64_t at;

    if (!overrides_get(l->view, pattern, strlen(pattern), &value, &vlen, &at) ||
        (at != 0 && at <= now_ms))
        return 0;
    *expire_ms = at == 0 ? UINT64_MAX : at;
    return 1;
}

/*
 * Store the learned route: Redis (queued, in sync only) and the view at once, or the view
 * alone in memory mode. 0, or -1 (logged, rate-limited): nothing stored.
 */
static int learn_store(struct learn *l, const struct cfg *cfg, const char *pattern,
                       const struct dsn_key *k, const char *cls, uint64_t now_ms, int64_t now_s)
{
    struct redis_learned rl;
    uint64_t expire = now_ms + (uint64_t)cfg->learn_ttl_s * 1000;
    char err[512], what[DSN_PATTERN_MAX + 64];
    int sent;

    snprintf(what, sizeof(what), "route for %s not learned", pattern);
    if (l->rc != NULL) {
        memset(&rl, 0, sizeof(rl));
        rl.pattern = pattern;
        rl.pattern_len = strlen(pattern);
        rl.route = cfg->learn_route;
        rl.ttl_s = cfg->learn_ttl_s;
        rl.text = k->text;
        rl.text_len = k->text_len;
        rl.host = k->host;
        rl.host_len = k->host_len;
        rl.cls = cls;
        rl.time = now_s;
        if ((sent = redis_client_learn(l->rc, &rl, err, sizeof(err))) < 0) {
            learn_log_limited(&l->store_limit, what, err);
            return -1;
        }
        if (sent == 1) { /* unconfirmed: not in force until Redis says it is */
            learn_window_add(l, now_ms);
            learn_log_limited(&l->store_limit, what, err);
            return -1;
        }
    }
    /* in force now: the invalidation that follows the SET brings Redis's TTL */
    if (overrides_set(l->view, pattern, strlen(pattern), cfg->learn_route,
                      strlen(cfg->learn_route), expire) < 0) {
        learn_log_limited(&l->store_limit, what, "out of memory");
        return -1;
    }
    learn_remember(l, pattern, cfg->learn_route, k, cls, expire);
    return 0;
}

/* Log the one line of a learned route (everything from the peer escaped). */
static void learn_log(const struct cfg *cfg, const char *pattern, const struct dsn_key *k,
                      const char *cls)
{
    char host[LEARN_HOST_MAX * 4 + 8], addr[LEARN_ADDR_MAX * 4 + 8], ecls[256], text[2048];

    log_escape(host, sizeof(host), k->host, k->host_len);
    log_escape(addr, sizeof(addr), k->addr, k->addr_len);
    log_escape(ecls, sizeof(ecls), cls, strlen(cls));
    log_escape(text, sizeof(text), k->text, k->text_len);
    log_info("learned route %s for %s from %s[%s] (class %s): %s", cfg->learn_route, pattern, host,
             addr, ecls, text);
}

/* overrides_lookup_mx filter: only values that are a usable route under these routes. */
static int learn_accept(const char *value, size_t len, void *arg)
{
    const char *result;
    size_t rlen;
    char err[8];

    return routes_resolve(arg, value, len, &result, &rlen, err, sizeof(err)) >= 0;
}

/* Whether the MX overrides, evaluated now for the rejecting host, give learn_route. */
static int learn_in_force(const struct learn *l, const struct cfg *cfg, const struct dsn_key *k,
                          uint64_t now_ms)
{
    char host[LEARN_HOST_MAX + 1], err[8];
    const char *hosts[1] = {host}, *result;
    struct override_hit hit;
    size_t i, n = learn_nodot(k->host, k->host_len), rlen;

    if (n > LEARN_HOST_MAX)
        return 0;
    for (i = 0; i < n; i++)
        host[i] = (char)(k->host[i] >= 'A' && k->host[i] <= 'Z' ? k->host[i] + 32 : k->host[i]);
    host[n] = '\0';
    if (overrides_lookup_mx(l->view, hosts, 1, now_ms, learn_accept, cfg->routes, &hit) != 1)
        return 0;
    if (routes_resolve(cfg->routes, hit.value, hit.value_len, &result, &rlen, err, sizeof(err)) !=
        1)
        return 0;
    return rlen == strlen(cfg->learn_result) && memcmp(result, cfg->learn_result, rlen) == 0;
}

/*
 * The learning part of the dsn map: 2 when the route for the rejecting host is learned
 * now, 1 when it was already there (pattern filled, *expire_ms when the route expires),
 * 0 when it is not (the status stays).
 */
static int learn_route(struct learn *l, const struct snapshot *snap, const struct dsn_key *k,
                       uint64_t now_ms, int64_t now_s, char *pattern, size_t psize,
                       uint64_t *expire_ms)
{
    const struct cfg *cfg = snapshot_cfg(snap);
    struct sig_hit hit;
    char err[256], what[LEARN_HOST_MAX * 4 + 64], esc[LEARN_HOST_MAX * 4 + 8];
    int rc;

    if (cfg->learn_result == NULL || cfg->nlearn == 0)
        return 0;
    rc = sigs_match(snapshot_sigs(snap), k->reply, k->reply_len, &hit);
    if (rc < 0)
        learn_log_limited(&l->match_limit, "signature matching failed", "status left unchanged");
    if (rc != 1 || !learn_class_on(cfg, hit.cls))
        return 0;
    if (learn_is_nexthop(cfg->learn_result, k->host, k->host_len, k->addr, k->addr_len))
        return 0; /* the smarthost itself refused: routing to it again cannot help */
    log_escape(esc, sizeof(esc), k->host, k->host_len);
    if (dsn_learn_pattern(k->host, k->host_len, cfg->learn_scope_host, pattern, psize, err,
                          sizeof(err)) < 0) {
        snprintf(what, sizeof(what), "no route learned from host %s", esc);
        learn_log_limited(&l->pattern_limit, what, err);
        return 0;
    }
    if (learn_exists(l, pattern, now_ms, expire_ms))
        return 1; /* never overwritten; whether it is ours is for learn_in_force */
    if (!learn_window_room(l, now_ms, cfg->learn_max_per_hour)) {
        snprintf(what, sizeof(what), "route for %s not learned", pattern);
        learn_log_limited(&l->bound_limit, what, "learn_max_per_hour reached");
        return 0;
    }
    if (learn_store(l, cfg, pattern, k, hit.cls, now_ms, now_s) < 0)
        return 0;
    learn_window_add(l, now_ms);
    learn_log(cfg, pattern, k, hit.cls);
    stats_learned(hit.cls);
    *expire_ms = now_ms + (uint64_t)cfg->learn_ttl_s * 1000;
    return 2;
}

/* The dsn map (see learn.h). */
int learn_dsn(struct learn *l, const struct snapshot *snap, const char *key, size_t klen,
              uint64_t now_ms, int64_t now_s, const char **data, size_t *len)
{
    const struct cfg *cfg = snapshot_cfg(snap);
    char pattern[DSN_PATTERN_MAX + 1];
    struct dsn_key k;
    uint64_t expire_ms = 0;
    size_t n;
    int got;

    if (dsn_key_parse(key, klen, &k) < 0)
        return 0;
    if ((got = learn_route(l, snap, &k, now_ms, now_s, pattern, sizeof(pattern), &expire_ms)) == 0)
        return 0;
    if (got == 2) /* stored anew: its window starts now */
        learn_defer_new(l, pattern, 1, 0, expire_ms, now_ms);
    if (k.status_len == 0 || k.status[0] != '5' || !learn_in_force(l, cfg, &k, now_ms))
        return 0;
    if (got == 1 && !learn_defer_new(l, pattern, 0, (uint64_t)cfg->learn_defer_window_s * 1000,
                                     expire_ms, now_ms)) {
        log_debug(1, "dsn: route for %s in force for over learn_defer_window: status unchanged",
                  pattern);
        return 0;
    }
    n = dsn_defer_text(&k, cfg->learn_route, pattern, l->answer, SOCKMAP_REPLY_MAX);
    if (n == 0)
        return 0;
    *data = l->answer;
    *len = n < SOCKMAP_REPLY_MAX ? n : SOCKMAP_REPLY_MAX - 1;
    return 1;
}

/* What taught the learned route that decided dec (see learn.h). */
size_t learn_explain(const struct learn *l, const struct decision *dec, uint64_t now_ms, char *buf,
                     size_t size)
{
    const struct override_hit *o = &dec->override;
    const struct learn_entry *r;
    char text[512], cls[128], host[LEARN_HOST_MAX * 4 + 8], addr[LEARN_ADDR_MAX * 4 + 8];
    int n;

    if (l == NULL || dec->source != DECIDE_SRC_MX_OVERRIDE || dec->answer != DECIDE_FOUND)
        return 0;
    r = learn_entry_find(l, o->pattern, o->pattern_len);
    if (r == NULL || r->text == NULL || r->expire_ms <= now_ms ||
        strlen(r->route) != o->value_len || memcmp(r->route, o->value, o->value_len) != 0)
        return 0;
    log_escape(text, sizeof(text), r->text, r->text_len);
    log_escape(cls, sizeof(cls), r->cls, strlen(r->cls));
    log_escape(host, sizeof(host), r->host, strlen(r->host));
    log_escape(addr, sizeof(addr), r->addr, strlen(r->addr));
    n = snprintf(buf, size, "; learned from %s[%s] (class %s): %s", host, addr, cls, text);
    return n < 0 ? 0 : (size_t)n;
}
