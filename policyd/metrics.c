/*
 * metrics.c - HTTP GET /metrics and /healthz on metrics_listen, with libevent's evhttp.
 *
 * Everything is read on the event loop at the time of the scrape: the counters of
 * stats.c, the MX resolver's counters (dns_stats), and gauges taken from the server
 * (connections, rules, routes) and the Redis client (up, overrides in the view). Nothing is cached
 * between scrapes.
 *
 * Decisions where the SPEC is silent:
 *  - metrics_listen takes one numeric address (inet:127.0.0.1:9127,
 *    inet:[::1]:9127): the listener is one socket, and a host name could stand for
 *    several addresses. It is bound as root with the other listeners.
 *  - The allow list is checked on each request (libevent 2.1 offers no hook at accept):
 *    a peer outside it gets 403 and the connection is closed. Only GET and HEAD are
 *    served; requests are at most 8 KiB of headers and no body; an HTTP connection
 *    idle for 10 s is closed.
 *  - Families that belong to features policyd does not have are not exported at all
 *    (no zeros for what cannot happen); the Redis gauges appear only with `redis`.
 *  - policyd_dns_queries_total counts each query sent once, when its outcome is known
 *    (a query still in flight is in none of the rows), however many lookups waited for
 *    it. A cache miss is an MX lookup that had to wait, for a new query or one already
 *    in flight; hits + misses are the MX lookups of valid domain names. The resolver
 *    always exists, so the DNS families are always exported.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "dns.h"
#include "endpoint.h"
#include "log.h"
#include "metrics.h"
#include "monotime.h"
#include "overrides.h"
#include "redis.h"
#include "routes.h"
#include "rules.h"
#include "server.h"
#include "snapshot.h"
#include "stats.h"

#define METRICS_HEADERS_MAX 8192
#define METRICS_TIMEOUT_S 10
#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

struct metrics {
    int fd; /* until metrics_start hands it to evhttp */
    char name[160];
    struct evhttp *http;
    struct server *srv;
    const struct overrides *ov; /* the view: Redis's, or the learned routes in memory */
    const struct redis_client *rc;
};

/* Bind and listen on metrics_listen. */
int metrics_new(const struct cfg *cfg, struct metrics **out, char *err, size_t errsize)
{
    struct sockaddr_storage ss;
    struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
    struct endpoint ep;
    struct metrics *m;
    socklen_t len;
    int one = 1;

    *out = NULL;
    if (cfg->metrics_listen == NULL)
        return 0;
    if (endpoint_parse(cfg->metrics_listen, "inet", &ep, err, errsize) < 0)
        return -1;
    memset(&ss, 0, sizeof(ss));
    if (inet_pton(AF_INET, ep.host, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons((uint16_t)ep.port);
        len = sizeof(*sin);
    } else if (inet_pton(AF_INET6, ep.host, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons((uint16_t)ep.port);
        len = sizeof(*sin6);
    } else {
        snprintf(err, errsize, "metrics_listen %s: not a numeric address", cfg->metrics_listen);
        return -1;
    }
    if ((m = calloc(1, sizeof(*m))) == NULL) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    snprintf(m->name, sizeof(m->name), "%s", cfg->metrics_listen);
    m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (m->fd >= 0) {
        setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ss.ss_family == AF_INET6)
            setsockopt(m->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    }
    if (m->fd < 0 || bind(m->fd, (struct sockaddr *)&ss, len) < 0 || listen(m->fd, 64) < 0) {
        snprintf(err, errsize, "metrics_listen %s: %s", cfg->metrics_listen, strerror(errno));
        metrics_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

/* Close everything. */
void metrics_free(struct metrics *m)
{
    if (m == NULL)
        return;
    if (m->http != NULL)
        evhttp_free(m->http); /* closes the listening socket once it owns it */
    if (m->fd >= 0)
        close(m->fd);
    free(m);
}

/* "# HELP" and "# TYPE" lines of one family. */
static void metrics_head(struct evbuffer *out, const char *name, const char *type, const char *help)
{
    evbuffer_add_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One gauge without labels. */
static void metrics_gauge(struct evbuffer *out, const char *name, const char *help, uint64_t v)
{
    metrics_head(out, name, "gauge", help);
    evbuffer_add_printf(out, "%s %" PRIu64 "\n", name, v);
}

/* One family of counters from stats.c, every combination of its label values. */
static void metrics_counters(struct evbuffer *out, const struct stats_family *f)
{
    size_t i, j, n1 = 0;

    metrics_head(out, f->name, "counter", f->help);
    if (f->label[0] == NULL) {
        evbuffer_add_printf(out, "%s %" PRIu64 "\n", f->name, f->v[0]);
        return;
    }
    if (f->label[1] != NULL)
        while (f->values[1][n1] != NULL)
            n1++;
    for (i = 0; f->values[0][i] != NULL; i++) {
        if (f->label[1] == NULL) {
            evbuffer_add_printf(out, "%s{%s=\"%s\"} %" PRIu64 "\n", f->name, f->label[0],
                                f->values[0][i], f->v[i]);
            continue;
        }
        for (j = 0; j < n1; j++)
            evbuffer_add_printf(out, "%s{%s=\"%s\",%s=\"%s\"} %" PRIu64 "\n", f->name, f->label[0],
                                f->values[0][i], f->label[1], f->values[1][j], f->v[i * n1 + j]);
    }
}

/* The lookup-duration histogram, in seconds, with cumulative buckets. */
static void metrics_histogram(struct evbuffer *out)
{
    const char *name = "policyd_lookup_duration_seconds";
    struct stats_histogram h;
    uint64_t cum = 0;
    size_t b;

    stats_histogram(&h);
    metrics_head(out, name, "histogram", "Time from a decoded request to its answer, in seconds.");
    for (b = 0; b < STATS_NBUCKETS; b++) {
        cum += h.count[b];
        if (b < STATS_NBUCKETS - 1)
            evbuffer_add_printf(out, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name,
                                (double)h.le_ns[b] / 1e9, cum);
        else
            evbuffer_add_printf(out, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, cum);
    }
    evbuffer_add_printf(out, "%s_sum %.9f\n%s_count %" PRIu64 "\n", name, (double)h.sum_ns / 1e9,
                        name, cum);
}

/* Outcomes of DNS queries as label words, indexed by enum dns_status. */
static const char *const metrics_dns_results[] = {
    [DNS_MX] = "mx",
    [DNS_IMPLICIT] = "nodata",
    [DNS_NULLMX] = "null_mx",
    [DNS_NXDOMAIN] = "nxdomain",
    [DNS_SERVFAIL] = "servfail",
    [DNS_TIMEOUT] = "timeout",
    [DNS_BOGUS] = "bogus",
    [DNS_ERROR] = "error",
    [DNS_STATUS_COUNT] = NULL,
};
_Static_assert(sizeof(metrics_dns_results) / sizeof(metrics_dns_results[0]) == DNS_STATUS_COUNT + 1,
               "a word for every DNS status");

/* The MX resolver's counters: queries by outcome, cache size, hits and misses. */
static void metrics_dns(struct evbuffer *out, const struct metrics *m)
{
    const struct dns *d = server_dns(m->srv);
    struct dns_stats st;
    struct stats_family f = {"policyd_dns_queries_total",
                             "DNS MX queries answered, by outcome.",
                             {"result", NULL},
                             {metrics_dns_results, NULL},
                             NULL};
    uint64_t hits[1], misses[1];
    struct stats_family fh = {"policyd_dns_cache_hits_total",
                              "MX lookups answered from the DNS cache.",
                              {NULL, NULL},
                              {NULL, NULL},
                              hits};
    struct stats_family fm = {
        "policyd_dns_cache_misses_total",
        "MX lookups that waited for a DNS query (a new one or one in flight).",
        {NULL, NULL},
        {NULL, NULL},
        misses};

    if (d == NULL)
        return;
    dns_stats(d, &st);
    f.v = st.answers;
    hits[0] = st.hits;
    misses[0] = st.lookups - st.hits;
    metrics_counters(out, &f);
    metrics_counters(out, &fh);
    metrics_counters(out, &fm);
    metrics_gauge(out, "policyd_dns_cache_entries",
                  "Domains in the DNS cache, queries in flight included.", st.entries);
}

/* Gauges of the running state: rules, routes, connections, Redis. */
static void metrics_state(struct evbuffer *out, const struct metrics *m)
{
    struct snapshot *snap = server_snapshot(m->srv);
    const struct overrides *ov = m->ov;
    int64_t age;

    metrics_gauge(out, "policyd_connections", "Client connections open.",
                  server_connections(m->srv));
    metrics_gauge(out, "policyd_rules", "Rules loaded.", rules_count(snapshot_rules(snap)));
    metrics_gauge(out, "policyd_rule_files", "Rule files loaded.",
                  rules_file_count(snapshot_rules(snap)));
    metrics_gauge(out, "policyd_routes", "Named routes defined.",
                  routes_count(snapshot_cfg(snap)->routes));
    metrics_head(out, "policyd_last_reload_success_timestamp_seconds", "gauge",
                 "When the running configuration and rules were loaded (start or reload).");
    evbuffer_add_printf(out, "policyd_last_reload_success_timestamp_seconds %" PRId64 "\n",
                        stats_loaded_at());
    if (ov == NULL)
        return;
    if (m->rc == NULL) { /* memory mode: the routes the dsn map learned */
        metrics_gauge(out, "policyd_overrides", "Overrides in the daemon's own memory (learned).",
                      overrides_count(ov));
        return;
    }
    metrics_gauge(out, "policyd_redis_up",
                  "1 when connected to Redis and the override view is in sync.",
                  (uint64_t)redis_client_synced(m->rc));
    metrics_gauge(out, "policyd_overrides", "Overrides in the local view of Redis.",
                  overrides_count(ov));
    age = redis_client_view_age_ms(m->rc, monotime_ms());
    metrics_head(out, "policyd_redis_view_age_seconds", "gauge",
                 "0 while the view is in sync with Redis, else seconds since it was; +Inf "
                 "before it was ever loaded.");
    if (age < 0)
        evbuffer_add_printf(out, "policyd_redis_view_age_seconds +Inf\n");
    else
        evbuffer_add_printf(out, "policyd_redis_view_age_seconds %.3f\n", (double)age / 1000);
}

/* The whole exposition. */
static void metrics_write(struct evbuffer *out, const struct metrics *m)
{
    const struct stats_family *f;
    size_t i;

    metrics_head(out, "policyd_build_info", "gauge", "Always 1; the version is a label.");
    evbuffer_add_printf(out, "policyd_build_info{version=\"%s\"} 1\n", PACKAGE_VERSION);
    for (i = 0; (f = stats_family(i)) != NULL; i++)
        metrics_counters(out, f);
    metrics_histogram(out);
    metrics_dns(out, m);
    metrics_state(out, m);
}

/* Whether policyd is healthy; else why not. */
static int metrics_healthy(const struct metrics *m, const char **why)
{
    const struct overrides *ov = m->ov;

    if (server_snapshot(m->srv) == NULL) {
        *why = "rules not loaded";
        return 0;
    }
    if (ov != NULL && !overrides_loaded(ov)) {
        *why = "overrides not loaded from Redis yet";
        return 0;
    }
    return 1;
}

/* Whether the peer of req may ask (the allow list). */
static int metrics_allowed(struct metrics *m, struct evhttp_request *req)
{
    struct evhttp_connection *evcon = evhttp_request_get_connection(req);
    const struct sockaddr *sa = evcon ? evhttp_connection_get_addr(evcon) : NULL;

    return sa != NULL && server_peer_allowed(m->srv, sa);
}

/* Send a short text reply. */
static void metrics_reply(struct evhttp_request *req, int code, const char *reason,
                          const char *text)
{
    struct evbuffer *body = evbuffer_new();

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    if (body == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    evbuffer_add_printf(body, "%s\n", text);
    evhttp_send_reply(req, code, reason, body);
    evbuffer_free(body);
}

/* Every request: check the peer, then /metrics, /healthz or 404. */
static void metrics_request_cb(struct evhttp_request *req, void *arg)
{
    struct metrics *m = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    const char *why;
    struct evbuffer *body;

    if (!metrics_allowed(m, req)) {
        log_debug(1, "metrics: request refused: peer not in allow");
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        metrics_reply(req, 403, "Forbidden", "forbidden");
        return;
    }
    if (path != NULL && strcmp(path, "/healthz") == 0) {
        if (metrics_healthy(m, &why))
            metrics_reply(req, HTTP_OK, "OK", "ok");
        else
            metrics_reply(req, 503, "Service Unavailable", why);
        return;
    }
    if (path == NULL || strcmp(path, "/metrics") != 0) {
        metrics_reply(req, HTTP_NOTFOUND, "Not Found", "not found: try /metrics or /healthz");
        return;
    }
    if ((body = evbuffer_new()) == NULL) {
        evhttp_send_error(req, HTTP_INTERNAL, NULL);
        return;
    }
    metrics_write(body, m);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", METRICS_CONTENT_TYPE);
    evhttp_send_reply(req, HTTP_OK, "OK", body);
    evbuffer_free(body);
}

/* Serve HTTP on base from now on. */
int metrics_start(struct metrics *m, struct event_base *base, struct server *srv,
                  const struct overrides *ov, const struct redis_client *rc)
{
    if (m == NULL)
        return 0;
    m->srv = srv;
    m->ov = ov;
    m->rc = rc;
    if ((m->http = evhttp_new(base)) == NULL)
        goto fail;
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_max_headers_size(m->http, METRICS_HEADERS_MAX);
    evhttp_set_max_body_size(m->http, 0);
    evhttp_set_timeout(m->http, METRICS_TIMEOUT_S);
    evhttp_set_gencb(m->http, metrics_request_cb, m);
    if (evhttp_accept_socket_with_handle(m->http, m->fd) == NULL)
        goto fail;
    m->fd = -1; /* evhttp owns it now */
    log_info("metrics on %s (/metrics, /healthz)", m->name);
    return 0;
fail:
    log_err("metrics_listen %s: cannot start the HTTP server", m->name);
    return -1;
}
