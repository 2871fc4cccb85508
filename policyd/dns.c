/*
 * dns.c - MX lookups on policyd's event loop: libunbound, a bounded LRU cache, one
 * query shared by every lookup of a domain, and our own timeout.
 *
 * Choices the specification left open:
 *  - libunbound runs on our event_base (ub_ctx_create_event); it never gets its own
 *    thread or process. Its answer packet is read by dnswire.c, not by libunbound's
 *    own parser, so NODATA, NXDOMAIN, the SOA minimum and null MX are told apart the
 *    same way whatever libunbound's version.
 *  - dns_timeout is a timer of ours. When it fires, every waiting lookup gets a
 *    DNS_TIMEOUT answer; the libunbound query is left to finish (ub_cancel is not
 *    used with event contexts) and its late answer is dropped: the query object stays
 *    on a list until libunbound calls back, or until dns_free.
 *  - libunbound's own cache is capped at dns_max_ttl (cache-max-ttl and
 *    cache-max-negative-ttl), so a changed record is seen once our entry expires.
 *  - An expired entry is asked again on its next lookup, not refreshed ahead of time.
 *  - Only answered entries are evictable; a domain whose query is in flight stays
 *    (the cache may exceed cache_size by the queries in flight).
 *  - Failures are logged (warning) once per query, naming SERVFAIL, timeout or bogus.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <unbound-event.h>
#include <unbound.h>

#include "dns.h"
#include "dnswire.h"
#include "log.h"
#include "monotime.h"

#define DNS_TYPE_MX 15
#define DNS_CLASS_IN 1
#define DNS_NAME_MAX 253
#define DNS_SEC_BOGUS 1

struct dns_answer {
    unsigned refs;
    enum dns_status status;
    uint64_t expires_ms;
    size_t count;  /* hosts, in preference order */
    size_t lowest; /* how many share the lowest preference */
    const char **hosts;
    char *text;
};

struct dns_wait {
    struct dns_wait *prev, *next;
    struct dns_entry *entry;
    dns_callback cb;
    void *arg;
};

/* One libunbound query in flight. entry is NULL once it timed out: the answer is dropped. */
struct dns_query {
    struct dns *d;
    struct dns_entry *entry;
    struct event *timer;
    struct dns_query *prev, *next;
};

struct dns_entry {
    struct dns_entry *hnext;         /* hash chain */
    struct dns_entry *lprev, *lnext; /* LRU list, answered entries only */
    int in_lru;
    uint32_t hash;
    struct dns_answer *answer; /* NULL while the query runs */
    struct dns_query *query;
    struct dns_wait *whead, *wtail;
    size_t len;
    char name[];
};

struct dns {
    struct event_base *base;
    struct ub_ctx *ctx;
    struct dns_options o;
    char *resolver, *trust_anchor;
    struct dns_entry **table;
    size_t mask;
    struct dns_entry *lru_head, *lru_tail;
    struct dns_query *queries;
    int closing;
    struct dns_stats st;
};

/* Status names, indexed by enum dns_status. */
static const char *const dns_status_names[DNS_STATUS_COUNT] = {
    "MX", "implicit MX", "null MX", "NXDOMAIN", "SERVFAIL", "timeout", "DNSSEC bogus", "error"};

/* Name of a status. */
const char *dns_status_name(enum dns_status s)
{
    return (unsigned)s < DNS_STATUS_COUNT ? dns_status_names[s] : "?";
}

/* The status of an answer. */
enum dns_status dns_answer_status(const struct dns_answer *a)
{
    return a->status;
}

/* 1 for the answers that must not decide a route. */
int dns_answer_failed(const struct dns_answer *a)
{
    return a->status >= DNS_SERVFAIL;
}

/* The selected hosts; see dns.h. */
size_t dns_answer_hosts(const struct dns_answer *a, int any, const char *const **hosts)
{
    *hosts = a->hosts;
    return any ? a->count : a->lowest;
}

/* Seconds left in the cache. */
uint32_t dns_answer_ttl_left(const struct dns_answer *a, uint64_t now_ms)
{
    return a->expires_ms > now_ms ? (uint32_t)((a->expires_ms - now_ms + 999) / 1000) : 0;
}

/* Text for logs and explain. */
const char *dns_answer_text(const struct dns_answer *a)
{
    return a->text;
}

/* Drop a reference; the last one frees the answer. Accepts NULL. */
static void dns_answer_unref(struct dns_answer *a)
{
    if (a != NULL && --a->refs == 0)
        free(a);
}

/*
 * A new answer (one reference) holding n hosts copied from names[] (in that order; the
 * first `lowest` share the lowest preference) and text; one allocation. NULL on ENOMEM.
 */
static struct dns_answer *dns_answer_new(enum dns_status status, const char *const *names, size_t n,
                                         size_t lowest, const char *text)
{
    size_t size = sizeof(struct dns_answer) + (n + 1) * sizeof(char *) + strlen(text) + 1, i;
    struct dns_answer *a;
    char *p;

    for (i = 0; i < n; i++)
        size += strlen(names[i]) + 1;
    a = calloc(1, size);
    if (a == NULL)
        return NULL;
    a->refs = 1;
    a->status = status;
    a->count = n;
    a->lowest = lowest;
    a->hosts = (const char **)(a + 1);
    p = (char *)(a->hosts + n + 1);
    for (i = 0; i < n; i++) {
        size_t l = strlen(names[i]) + 1;

        memcpy(p, names[i], l);
        a->hosts[i] = p;
        p += l;
    }
    a->text = p;
    memcpy(p, text, strlen(text) + 1);
    return a;
}

/*
 * qsort order of MX hosts: by preference, then by name, so that explain and the logs
 * name the same host whatever order (round robin) the server sent them in.
 */
static int dns_mx_cmp(const void *x, const void *y)
{
    const struct dnswire_host *const *a = x, *const *b = y;

    if ((*a)->pref != (*b)->pref)
        return (*a)->pref < (*b)->pref ? -1 : 1;
    return strcmp((*a)->name, (*b)->name);
}

/* An answer from a parsed MX set: hosts in preference order. NULL on ENOMEM. */
static struct dns_answer *dns_answer_mx(const struct dnswire_answer *w)
{
    const struct dnswire_host *sorted[DNSWIRE_MAX_MX];
    const char *names[DNSWIRE_MAX_MX];
    size_t i, lowest = 0;

    for (i = 0; i < w->count; i++)
        sorted[i] = &w->hosts[i];
    qsort(sorted, w->count, sizeof(sorted[0]), dns_mx_cmp);
    for (i = 0; i < w->count; i++) {
        names[i] = sorted[i]->name;
        if (sorted[i]->pref == sorted[0]->pref)
            lowest++;
    }
    return dns_answer_new(DNS_MX, names, w->count, lowest, "MX");
}

/* A TTL (seconds) clamped to [min_ttl, max_ttl]. */
static uint32_t dns_clamp(const struct dns *d, uint32_t ttl)
{
    if (ttl < d->o.min_ttl)
        ttl = d->o.min_ttl;
    if (ttl > d->o.max_ttl)
        ttl = d->o.max_ttl;
    return ttl;
}

/* FNV-1a of s[0..len). */
static uint32_t dns_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    size_t i;

    for (i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

/* The entry for name[0..len) with hash h, or NULL. */
static struct dns_entry *dns_find(const struct dns *d, const char *name, size_t len, uint32_t h)
{
    struct dns_entry *e;

    for (e = d->table[h & d->mask]; e != NULL; e = e->hnext)
        if (e->hash == h && e->len == len && memcmp(e->name, name, len) == 0)
            return e;
    return NULL;
}

/* Take e off the LRU list (when it is on it). */
static void dns_lru_unlink(struct dns *d, struct dns_entry *e)
{
    if (!e->in_lru)
        return;
    if (e->lprev)
        e->lprev->lnext = e->lnext;
    else
        d->lru_head = e->lnext;
    if (e->lnext)
        e->lnext->lprev = e->lprev;
    else
        d->lru_tail = e->lprev;
    e->lprev = e->lnext = NULL;
    e->in_lru = 0;
}

/* Put e at the most recently used end of the LRU list. */
static void dns_lru_touch(struct dns *d, struct dns_entry *e)
{
    dns_lru_unlink(d, e);
    e->lnext = d->lru_head;
    if (d->lru_head)
        d->lru_head->lprev = e;
    d->lru_head = e;
    if (d->lru_tail == NULL)
        d->lru_tail = e;
    e->in_lru = 1;
}

/* Remove e from the table and free it (it has no query and no waiters). */
static void dns_entry_free(struct dns *d, struct dns_entry *e)
{
    struct dns_entry **pp = &d->table[e->hash & d->mask];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    dns_lru_unlink(d, e);
    dns_answer_unref(e->answer);
    free(e);
    d->st.entries--;
}

/* Make room for one more entry: drop least recently used answered entries. */
static void dns_evict(struct dns *d)
{
    while (d->st.entries >= d->o.cache_size && d->lru_tail != NULL) {
        dns_entry_free(d, d->lru_tail);
        d->st.evictions++;
    }
}

/* Unlink and free a query (its entry no longer points to it). */
static void dns_query_free(struct dns_query *q)
{
    struct dns *d = q->d;

    if (q->prev)
        q->prev->next = q->next;
    else
        d->queries = q->next;
    if (q->next)
        q->next->prev = q->prev;
    if (q->timer)
        event_free(q->timer);
    free(q);
}

/*
 * Store the answer in e (taking over the reference) and call every waiter. e is off
 * the LRU list while waiters run, so nothing they do can evict it.
 */
static void dns_finish(struct dns *d, struct dns_entry *e, struct dns_answer *a)
{
    struct dns_wait *w;

    dns_answer_unref(e->answer);
    e->answer = a;
    e->query = NULL;
    d->st.pending--;
    d->st.answers[a->status]++;
    a->refs++;
    while ((w = e->whead) != NULL) {
        dns_callback cb = w->cb;
        void *arg = w->arg;

        e->whead = w->next;
        if (e->whead)
            e->whead->prev = NULL;
        else
            e->wtail = NULL;
        free(w);
        cb(arg, a);
    }
    dns_answer_unref(a);
    if (!d->closing)
        dns_lru_touch(d, e);
}

/* Log a failed lookup: which domain, what went wrong. */
static void dns_log_failure(const struct dns_entry *e, const struct dns_answer *a)
{
    char name[DNS_NAME_MAX * 4 + 8];

    log_escape(name, sizeof(name), e->name, e->len);
    log_warn("dns: MX lookup of %s failed: %s", name, a->text);
}

/* A failure answer with this status and text, cached for dns_error_ttl. NULL on ENOMEM. */
static struct dns_answer *dns_answer_failure(struct dns *d, enum dns_status status,
                                             const char *text)
{
    struct dns_answer *a = dns_answer_new(status, NULL, 0, 0, text);

    if (a != NULL)
        a->expires_ms = monotime_ms() + (uint64_t)d->o.error_ttl * 1000;
    return a;
}

/* Turn libunbound's result into an answer for entry e. NULL on ENOMEM. */
static struct dns_answer *dns_answer_from(struct dns *d, const struct dns_entry *e, int rcode,
                                          const void *packet, int packet_len, int sec,
                                          const char *why_bogus)
{
    static struct dnswire_answer w; /* 64 KiB: not on the stack; one loop thread */
    char text[512], werr[128], name[DNS_NAME_MAX + 1];
    const char *self = name;
    struct dns_answer *a;
    uint32_t ttl;

    if (sec == DNS_SEC_BOGUS && d->o.dnssec) {
        char why[400];

        log_escape(why, sizeof(why), why_bogus ? why_bogus : "", why_bogus ? strlen(why_bogus) : 0);
        snprintf(text, sizeof(text), "DNSSEC bogus: %s", why);
        return dns_answer_failure(d, DNS_BOGUS, text);
    }
    if (packet == NULL || packet_len <= 0 || (rcode != 0 && rcode != 3)) {
        snprintf(text, sizeof(text), rcode == 2 || rcode == 0 ? "SERVFAIL" : "RCODE %d", rcode);
        return dns_answer_failure(d, DNS_SERVFAIL, text);
    }
    if (dnswire_parse_mx(packet, (size_t)packet_len, &w, werr, sizeof(werr)) < 0) {
        snprintf(text, sizeof(text), "unusable answer: %s", werr);
        return dns_answer_failure(d, DNS_ERROR, text);
    }
    if (w.kind == DNSWIRE_ERROR) {
        snprintf(text, sizeof(text), w.rcode == 2 ? "SERVFAIL" : "RCODE %d", w.rcode);
        return dns_answer_failure(d, DNS_SERVFAIL, text);
    }
    ttl = dns_clamp(d, w.has_ttl ? w.ttl : 0);
    memcpy(name, e->name, e->len);
    name[e->len] = '\0';
    if (w.kind == DNSWIRE_MX)
        a = dns_answer_mx(&w);
    else if (w.kind == DNSWIRE_NODATA)
        a = dns_answer_new(DNS_IMPLICIT, &self, 1, 1, "implicit MX");
    else
        a = dns_answer_new(w.kind == DNSWIRE_NULLMX ? DNS_NULLMX : DNS_NXDOMAIN, NULL, 0, 0,
                           w.kind == DNSWIRE_NULLMX ? "null MX" : "NXDOMAIN");
    if (a != NULL)
        a->expires_ms = monotime_ms() + (uint64_t)ttl * 1000;
    return a;
}

/* libunbound's callback: answer the entry, or drop a late or shut-down answer. */
static void dns_on_result(void *arg, int rcode, void *packet, int packet_len, int sec,
                          char *why_bogus, int was_ratelimited)
{
    struct dns_query *q = arg;
    struct dns *d = q->d;
    struct dns_entry *e = q->entry;
    struct dns_answer *a;

    (void)was_ratelimited;
    dns_query_free(q);
    if (e == NULL || d->closing)
        return;
    a = dns_answer_from(d, e, rcode, packet, packet_len, sec, why_bogus);
    if (a == NULL)
        a = dns_answer_failure(d, DNS_ERROR, "out of memory");
    if (a == NULL) {
        /* Nothing to hand out: the waiters stay until dns_free; never happens in practice. */
        log_err("dns: out of memory answering a lookup");
        return;
    }
    if (dns_answer_failed(a))
        dns_log_failure(e, a);
    dns_finish(d, e, a);
}

/* Our timeout: answer the waiters with DNS_TIMEOUT; the query's late answer is dropped. */
static void dns_on_timeout(evutil_socket_t fd, short what, void *arg)
{
    struct dns_query *q = arg;
    struct dns *d = q->d;
    struct dns_entry *e = q->entry;
    struct dns_answer *a;
    char text[64];

    (void)fd;
    (void)what;
    snprintf(text, sizeof(text), "timeout after %u ms", d->o.timeout_ms);
    a = dns_answer_failure(d, DNS_TIMEOUT, text);
    if (a == NULL)
        return; /* the query's own answer will come */
    q->entry = NULL;
    dns_log_failure(e, a);
    dns_finish(d, e, a);
}

/* Start the query for entry e. 0, or -1 with err (e untouched). */
static int dns_start(struct dns *d, struct dns_entry *e, char *err, size_t errlen)
{
    struct dns_query *q = calloc(1, sizeof(*q));
    struct timeval tv = monotime_tv(d->o.timeout_ms);
    char name[DNS_NAME_MAX + 2];
    int rc, id = 0;

    if (q == NULL || (q->timer = evtimer_new(d->base, dns_on_timeout, q)) == NULL) {
        free(q);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    q->d = d;
    q->entry = e;
    q->next = d->queries;
    if (d->queries)
        d->queries->prev = q;
    d->queries = q;
    e->query = q;
    d->st.pending++;
    d->st.queries++;
    evtimer_add(q->timer, &tv);
    memcpy(name, e->name, e->len);
    name[e->len] = '\0';
    /* The callback may run inside this call (local data): then e is answered on return. */
    rc = ub_resolve_event(d->ctx, name, DNS_TYPE_MX, DNS_CLASS_IN, q, dns_on_result, &id);
    if (rc != 0) {
        snprintf(err, errlen, "cannot start a DNS query: %s", ub_strerror(rc));
        e->query = NULL;
        d->st.pending--;
        dns_query_free(q);
        return -1;
    }
    return 0;
}

/* Is name[0..len) a name we may ask for: 1..253 bytes, no empty label, no NUL? */
static int dns_name_ok(const char *name, size_t len)
{
    size_t i, label = 0;

    if (len == 0 || len > DNS_NAME_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        if (name[i] == '\0')
            return 0;
        if (name[i] == '.') {
            if (label == 0)
                return 0;
            label = 0;
        } else if (++label > 63) {
            return 0;
        }
    }
    return label > 0;
}

/* Look up the MX of a domain; see dns.h. */
int dns_lookup(struct dns *d, const char *domain, size_t len, const struct dns_answer **answer,
               dns_callback cb, void *arg, struct dns_wait **wait, char *err, size_t errlen)
{
    uint32_t h = dns_hash(domain, len);
    struct dns_entry *e;
    struct dns_wait *w;
    uint64_t now = monotime_ms();

    if (wait)
        *wait = NULL;
    if (d->closing) {
        snprintf(err, errlen, "resolver shut down");
        return -1;
    }
    if (!dns_name_ok(domain, len)) {
        snprintf(err, errlen, "not a domain name that DNS can ask for");
        return -1;
    }
    d->st.lookups++;
    e = dns_find(d, domain, len, h);
    if (e != NULL && e->answer != NULL && e->answer->expires_ms > now) {
        d->st.hits++;
        if (e->in_lru)
            dns_lru_touch(d, e);
        *answer = e->answer;
        return 1;
    }
    if (e == NULL) {
        dns_evict(d);
        e = calloc(1, sizeof(*e) + len);
        if (e == NULL) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        e->hash = h;
        e->len = len;
        memcpy(e->name, domain, len);
        e->hnext = d->table[h & d->mask];
        d->table[h & d->mask] = e;
        d->st.entries++;
    }
    if (e->query != NULL) {
        d->st.shared++;
    } else {
        dns_lru_unlink(d, e);
        dns_answer_unref(e->answer);
        e->answer = NULL;
        if (dns_start(d, e, err, errlen) < 0) {
            dns_entry_free(d, e);
            return -1;
        }
        if (e->answer != NULL) { /* answered at once (local data) */
            *answer = e->answer;
            return 1;
        }
    }
    w = calloc(1, sizeof(*w));
    if (w == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    w->entry = e;
    w->cb = cb;
    w->arg = arg;
    w->prev = e->wtail;
    if (e->wtail)
        e->wtail->next = w;
    else
        e->whead = w;
    e->wtail = w;
    if (wait)
        *wait = w;
    return 0;
}

/* Cancel a waiting lookup. */
void dns_cancel(struct dns_wait *w)
{
    struct dns_entry *e;

    if (w == NULL)
        return;
    e = w->entry;
    if (w->prev)
        w->prev->next = w->next;
    else
        e->whead = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        e->wtail = w->prev;
    free(w);
}

/* Check one forwarder "IP[@PORT]" (len bytes). 0 or -1. */
static int dns_forwarder_check(const char *s, size_t len, char *err, size_t errlen)
{
    char buf[INET6_ADDRSTRLEN + 8], addr[16];
    char *at, *end;
    unsigned long port;

    if (len >= sizeof(buf)) {
        snprintf(err, errlen, "forwarder too long: expected IP[@PORT]");
        return -1;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    at = strchr(buf, '@');
    if (at != NULL) {
        *at = '\0';
        errno = 0;
        port = strtoul(at + 1, &end, 10);
        if (at[1] < '0' || at[1] > '9' || *end != '\0' || errno || port == 0 || port > 65535) {
            snprintf(err, errlen, "bad port in forwarder '%s': expected 1-65535", at + 1);
            return -1;
        }
    }
    if (inet_pton(AF_INET, buf, addr) != 1 && inet_pton(AF_INET6, buf, addr) != 1) {
        snprintf(err, errlen, "forwarder '%s' is not an IP address", buf);
        return -1;
    }
    return 0;
}

/*
 * Call fn on each forwarder token of resolver (separated by commas or spaces). Stops
 * at the first that fails. 0 or -1.
 */
static int dns_forwarders_each(const char *resolver, int (*fn)(const char *, size_t, void *),
                               void *arg)
{
    const char *p = resolver;
    int n = 0;

    for (;;) {
        size_t l;

        p += strspn(p, ", \t");
        if (*p == '\0')
            break;
        l = strcspn(p, ", \t");
        if (fn(p, l, arg) < 0)
            return -1;
        n++;
        p += l;
    }
    return n;
}

/* Where dns_resolver_check's per-token callback leaves its message. */
struct dns_check_ctx {
    char *err;
    size_t errlen;
};

/* dns_forwarders_each callback of dns_resolver_check. */
static int dns_check_one(const char *s, size_t len, void *arg)
{
    struct dns_check_ctx *c = arg;

    return dns_forwarder_check(s, len, c->err, c->errlen);
}

/* Check a dns_resolver value; see dns.h. */
int dns_resolver_check(const char *resolver, char *err, size_t errlen)
{
    struct dns_check_ctx c = {err, errlen};
    int n;

    if (strcmp(resolver, "system") == 0)
        return 0;
    n = dns_forwarders_each(resolver, dns_check_one, &c);
    if (n == 0)
        snprintf(err, errlen, "expected 'system' or IP[@PORT] forwarders");
    return n > 0 ? 0 : -1;
}

/* dns_forwarders_each callback of dns_new: hand the forwarder to libunbound. */
static int dns_add_forwarder(const char *s, size_t len, void *arg)
{
    struct ub_ctx *ctx = arg;
    char buf[INET6_ADDRSTRLEN + 8];

    memcpy(buf, s, len); /* dns_resolver_check bounded it */
    buf[len] = '\0';
    return ub_ctx_set_fwd(ctx, buf) == 0 ? 0 : -1;
}

/* Set one libunbound option from a number. 0 or -1. */
static int dns_set_num(struct ub_ctx *ctx, const char *opt, unsigned v)
{
    char num[16];

    snprintf(num, sizeof(num), "%u", v);
    return ub_ctx_set_option(ctx, opt, num);
}

/* Configure the libunbound context from d->o. 0, or -1 with err. */
static int dns_setup(struct dns *d, char *err, size_t errlen)
{
    int rc;

    if (strcmp(d->o.resolver, "system") == 0) {
        rc = ub_ctx_resolvconf(d->ctx, NULL);
        if (rc == 0)
            rc = ub_ctx_hosts(d->ctx, NULL);
        if (rc != 0) {
            snprintf(err, errlen, "reading the system's resolver settings: %s", ub_strerror(rc));
            return -1;
        }
    } else if (dns_forwarders_each(d->o.resolver, dns_add_forwarder, d->ctx) < 0) {
        snprintf(err, errlen, "cannot use the forwarders '%s'", d->o.resolver);
        return -1;
    }
    if (dns_set_num(d->ctx, "cache-max-ttl:", d->o.max_ttl) != 0 ||
        dns_set_num(d->ctx, "cache-max-negative-ttl:", d->o.max_ttl) != 0) {
        snprintf(err, errlen, "cannot set libunbound's cache limits");
        return -1;
    }
    if (!d->o.dnssec) {
        rc = ub_ctx_set_option(d->ctx, "module-config:", "iterator");
    } else {
        rc = ub_ctx_add_ta_file(d->ctx, d->o.trust_anchor);
        if (rc != 0) {
            snprintf(err, errlen, "dnssec_trust_anchor %s: %s", d->o.trust_anchor, ub_strerror(rc));
            return -1;
        }
    }
    if (rc != 0) {
        snprintf(err, errlen, "cannot configure libunbound: %s", ub_strerror(rc));
        return -1;
    }
    return 0;
}

/* A resolver on base; see dns.h. */
struct dns *dns_new(struct event_base *base, const struct dns_options *o, char *err, size_t errlen)
{
    struct dns *d;
    size_t buckets = 16;

    if (dns_resolver_check(o->resolver, err, errlen) < 0)
        return NULL;
    if (o->cache_size == 0 || o->min_ttl > o->max_ttl || o->timeout_ms == 0) {
        snprintf(err, errlen,
                 "bad DNS settings (cache size 0, min TTL over max TTL or no timeout)");
        return NULL;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    while (buckets < o->cache_size && buckets < ((size_t)1 << 24))
        buckets <<= 1;
    d->base = base;
    d->o = *o;
    d->resolver = strdup(o->resolver);
    d->trust_anchor = strdup(o->trust_anchor ? o->trust_anchor : "");
    d->o.resolver = d->resolver;
    d->o.trust_anchor = d->trust_anchor;
    d->table = calloc(buckets, sizeof(*d->table));
    d->mask = buckets - 1;
    if (d->resolver == NULL || d->trust_anchor == NULL || d->table == NULL) {
        snprintf(err, errlen, "out of memory");
        goto fail;
    }
    d->ctx = ub_ctx_create_event(base);
    if (d->ctx == NULL) {
        snprintf(err, errlen, "cannot create a libunbound context on the event loop");
        goto fail;
    }
    if (dns_setup(d, err, errlen) < 0)
        goto fail;
    return d;
fail:
    dns_free(d);
    return NULL;
}

/* Counters for the metrics. */
void dns_stats(const struct dns *d, struct dns_stats *out)
{
    *out = d->st;
}

/* Free the resolver; see dns.h. */
void dns_free(struct dns *d)
{
    size_t i;

    if (d == NULL)
        return;
    d->closing = 1;
    if (d->table != NULL) {
        for (i = 0; i <= d->mask; i++) {
            struct dns_entry *e;

            for (e = d->table[i]; e != NULL; e = e->hnext) {
                struct dns_answer *a;

                if (e->whead == NULL)
                    continue;
                a = dns_answer_failure(d, DNS_ERROR, "resolver shut down");
                if (a != NULL)
                    dns_finish(d, e, a);
            }
        }
    }
    if (d->ctx != NULL)
        ub_ctx_delete(d->ctx);
    while (d->queries != NULL)
        dns_query_free(d->queries);
    if (d->table != NULL) {
        for (i = 0; i <= d->mask; i++) {
            while (d->table[i] != NULL) {
                struct dns_entry *e = d->table[i];

                while (e->whead != NULL)
                    dns_cancel(e->whead);
                dns_entry_free(d, e);
            }
        }
    }
    free(d->table);
    free(d->resolver);
    free(d->trust_anchor);
    free(d);
}
