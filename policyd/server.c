/* server.c - listeners, allow list, connection limits and the current snapshot. */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "conn.h"
#include "diag.h"
#include "dns.h"
#include "endpoint.h"
#include "learn.h"
#include "log.h"
#include "monotime.h"
#include "mxdecide.h"
#include "server.h"
#include "stats.h"

/* Accepts per listener event, so one busy listener cannot starve the rest. */
#define SERVER_ACCEPT_BATCH 64
/* Descriptors besides connections and listeners: Redis (2), logging, signals, the
 * reload thread's files and pipe, notify, and room for what comes. */
#define SERVER_FD_MARGIN 64

struct server_listener {
    struct server *srv;
    int fd;
    int is_unix;
    struct event *ev;
    char name[160];
    char *path; /* unix: the socket file, removed at exit (when we still may) */
};

struct server_net {
    int family;
    unsigned char addr[16];
    unsigned prefix;
};

struct server {
    struct snapshot *snap;
    struct cfg *boot; /* the restart-only settings started with (cfg_restart_copy) */
    struct overrides *ov;
    struct event_base *base;
    struct server_listener *ls;
    size_t nls;
    struct server_net *allow;
    size_t nallow;
    struct conn_set *conns; /* created by server_start */
    struct dns *dns;        /* MX lookups (created by server_start) */
    struct mxdecide *mx;    /* the decision step that waits for DNS */
    struct learn *learn;    /* the dsn map; NULL without a view */
    int memory;             /* no Redis: the view is this daemon's own (expired by ev_tick) */
    struct event *ev_tick;  /* once a second: expiry of what was learned */
    char *redis_prefix;
    int draining;
    struct event *ev_resume; /* re-enables accepting after running out of descriptors */
    /* for "refused" and "too many" log lines */
    struct log_limit refused_limit;
    struct log_limit emfile_limit; /* "accept: Too many open files" */
};

/* Parse the snapshot's allow list into binary networks (validated by cfg already). */
static int server_load_allow(struct server *srv, const struct cfg *cfg)
{
    struct server_net *nets = calloc(cfg->nallow ? cfg->nallow : 1, sizeof(*nets));
    size_t i;
    int hostbits; /* cfg warned about them already */

    if (nets == NULL)
        return -1;
    for (i = 0; i < cfg->nallow; i++) {
        if (endpoint_parse_cidr(cfg->allow[i], &nets[i].family, nets[i].addr, &nets[i].prefix,
                                &hostbits) < 0) {
            free(nets);
            return -1;
        }
    }
    free(srv->allow);
    srv->allow = nets;
    srv->nallow = cfg->nallow;
    return 0;
}

/* Returns a new server holding snap (taken over on success only). */
struct server *server_new(struct snapshot *snap, struct overrides *ov)
{
    struct server *srv = calloc(1, sizeof(*srv));
    const struct cfg *cfg = snapshot_cfg(snap);

    if (srv == NULL)
        return NULL;
    srv->snap = snap;
    srv->ov = ov;
    /* A reload is compared with what really runs, never with a file read again. */
    srv->boot = cfg_restart_copy(cfg);
    srv->redis_prefix = strdup(cfg->redis && cfg->redis_prefix ? cfg->redis_prefix : "");
    srv->memory = cfg->redis == NULL;
    if (ov != NULL)
        srv->learn = learn_new(ov, NULL);
    if (srv->boot == NULL || srv->redis_prefix == NULL || (ov != NULL && srv->learn == NULL) ||
        server_load_allow(srv, cfg) < 0) {
        srv->snap = NULL; /* on failure the caller keeps its reference */
        server_free(srv);
        return NULL;
    }
    return srv;
}

/* Close listeners and connections, drop the snapshot. */
void server_free(struct server *srv)
{
    size_t i;

    if (srv == NULL)
        return;
    conn_set_free(srv->conns);
    dns_free(srv->dns); /* answers the lookups still waiting: their requests are freed */
    mxdecide_free(srv->mx);
    for (i = 0; i < srv->nls; i++) {
        if (srv->ls[i].ev)
            event_free(srv->ls[i].ev);
        if (srv->ls[i].fd >= 0)
            close(srv->ls[i].fd);
        if (srv->ls[i].path != NULL) {
            unlink(srv->ls[i].path); /* may fail after dropping root: then it stays, stale */
            free(srv->ls[i].path);
        }
    }
    if (srv->ev_resume)
        event_free(srv->ev_resume);
    if (srv->ev_tick)
        event_free(srv->ev_tick);
    learn_free(srv->learn);
    free(srv->ls);
    free(srv->allow);
    free(srv->redis_prefix);
    cfg_free(srv->boot);
    snapshot_unref(srv->snap);
    free(srv);
}

/* Remember one listening socket. */
static int server_add_listener(struct server *srv, int fd, int is_unix, const char *name)
{
    struct server_listener *ls = realloc(srv->ls, (srv->nls + 1) * sizeof(*ls));

    if (ls == NULL)
        return -1;
    srv->ls = ls;
    memset(&ls[srv->nls], 0, sizeof(ls[0]));
    ls[srv->nls].srv = srv;
    ls[srv->nls].fd = fd;
    ls[srv->nls].is_unix = is_unix;
    snprintf(ls[srv->nls].name, sizeof(ls[0].name), "%s", name);
    srv->nls++;
    return 0;
}

/*
 * Set the owner, group and mode of a unix socket as configured. The owner and
 * group default to `user` and `group` (the account policyd drops to), else they stay
 * as created.
 */
static int server_unix_perms(const struct cfg *cfg, const char *path, char *err, size_t errsize)
{
    const char *owner = cfg->unix_owner ? cfg->unix_owner : cfg->user;
    const char *group = cfg->unix_group ? cfg->unix_group : cfg->group;
    uid_t uid = (uid_t)-1;
    gid_t gid = (gid_t)-1;
    struct passwd *pw;
    struct group *gr;

    if (owner) {
        if ((pw = getpwnam(owner)) == NULL) {
            snprintf(err, errsize, "unix socket owner %s: no such user", owner);
            return -1;
        }
        uid = pw->pw_uid;
        if (group == NULL)
            gid = pw->pw_gid;
    }
    if (group) {
        if ((gr = getgrnam(group)) == NULL) {
            snprintf(err, errsize, "unix socket group %s: no such group", group);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if ((uid != (uid_t)-1 || gid != (gid_t)-1) && chown(path, uid, gid) < 0) {
        snprintf(err, errsize, "chown %s: %s", path, strerror(errno));
        return -1;
    }
    if (chmod(path, cfg->unix_mode) < 0) {
        snprintf(err, errsize, "chmod %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* Bind a unix socket at path, replacing a stale socket (never any other kind of file). */
static int server_bind_unix(struct server *srv, const struct cfg *cfg, const char *path, char *err,
                            size_t errsize)
{
    struct sockaddr_un sun;
    struct stat st;
    char name[160];
    int fd;

    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            snprintf(err, errsize, "%s exists and is not a socket", path);
            return -1;
        }
        /* A socket somebody still answers on is theirs; only a stale one is replaced. */
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
            close(fd);
            snprintf(err, errsize, "unix:%s: in use by another process", path);
            return -1;
        }
        if (fd >= 0)
            close(fd);
        unlink(path);
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 || listen(fd, 1024) < 0) {
        snprintf(err, errsize, "unix:%s: %s", path, strerror(errno));
        goto fail;
    }
    if (server_unix_perms(cfg, path, err, errsize) < 0)
        goto fail;
    snprintf(name, sizeof(name), "unix:%s", path);
    if (server_add_listener(srv, fd, 1, name) < 0)
        goto fail;
    srv->ls[srv->nls - 1].path = strdup(path);
    return 0;
fail:
    if (fd >= 0)
        close(fd);
    return -1;
}

/* Bind every address host:port resolves to (numeric or a name like localhost). */
static int server_bind_inet(struct server *srv, const char *host, unsigned port, char *err,
                            size_t errsize)
{
    struct addrinfo hints, *res = NULL, *ai;
    char service[8], name[160], numeric[INET6_ADDRSTRLEN];
    int one = 1, fd = -1, rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    snprintf(service, sizeof(service), "%u", port);
    rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0) {
        snprintf(err, errsize, "inet:%s:%u: %s", host, port, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai != NULL; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0)
            goto fail;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (ai->ai_family == AF_INET6)
            setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0)
            goto fail;
        getnameinfo(ai->ai_addr, ai->ai_addrlen, numeric, sizeof(numeric), NULL, 0, NI_NUMERICHOST);
        snprintf(name, sizeof(name), ai->ai_family == AF_INET6 ? "inet:[%s]:%u" : "inet:%s:%u",
                 numeric, port);
        if (server_add_listener(srv, fd, 0, name) < 0)
            goto fail;
        fd = -1;
    }
    freeaddrinfo(res);
    return 0;
fail:
    snprintf(err, errsize, "inet:%s:%u: %s", host, port, strerror(errno));
    if (fd >= 0)
        close(fd);
    freeaddrinfo(res);
    return -1;
}

/* Bind every configured endpoint. */
int server_bind(struct server *srv, char *err, size_t errsize)
{
    const struct cfg *cfg = snapshot_cfg(srv->snap);
    struct endpoint ep;
    size_t i;

    for (i = 0; i < cfg->nlisten; i++) {
        if (endpoint_parse(cfg->listen[i], "inet", &ep, err, errsize) < 0)
            return -1;
        if (ep.is_unix ? server_bind_unix(srv, cfg, ep.path, err, errsize)
                       : server_bind_inet(srv, ep.host, ep.port, err, errsize))
            return -1;
    }
    return 0;
}

/* Whether the first `prefix` bits of a and b agree. */
static int server_prefix_eq(const unsigned char *a, const unsigned char *b, unsigned prefix)
{
    unsigned bytes = prefix / 8, bits = prefix % 8;

    if (memcmp(a, b, bytes) != 0)
        return 0;
    if (bits == 0)
        return 1;
    return ((a[bytes] ^ b[bytes]) & (0xff << (8 - bits))) == 0;
}

/* Whether a TCP peer is on the allow list (IPv4-mapped IPv6 peers count as IPv4). */
static int server_allowed(const struct server *srv, const struct sockaddr_storage *ss)
{
    const unsigned char *addr;
    int family = ss->ss_family;
    size_t i;

    if (family == AF_UNIX)
        return 1;
    if (family == AF_INET) {
        addr = (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
    } else if (family == AF_INET6) {
        const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

        addr = a6->s6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a6)) {
            family = AF_INET;
            addr += 12;
        }
    } else {
        return 0;
    }
    for (i = 0; i < srv->nallow; i++) {
        if (srv->allow[i].family == family &&
            server_prefix_eq(addr, srv->allow[i].addr, srv->allow[i].prefix))
            return 1;
    }
    return 0;
}

/* Whether a peer of another module's listener (metrics) may connect: the allow list. */
int server_peer_allowed(const struct server *srv, const struct sockaddr *sa)
{
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    if (sa->sa_family == AF_INET)
        memcpy(&ss, sa, sizeof(struct sockaddr_in));
    else if (sa->sa_family == AF_INET6)
        memcpy(&ss, sa, sizeof(struct sockaddr_in6));
    else
        return 0;
    return server_allowed(srv, &ss);
}

/* A printable name for a peer, for logs. */
static void server_peer_name(const struct sockaddr_storage *ss, socklen_t len,
                             const struct server_listener *l, char *buf, size_t size)
{
    char host[INET6_ADDRSTRLEN], port[8];

    if (ss->ss_family == AF_UNIX ||
        getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host), port, sizeof(port),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        snprintf(buf, size, "%s", l->name);
        return;
    }
    snprintf(buf, size, ss->ss_family == AF_INET6 ? "[%s]:%s" : "%s:%s", host, port);
}

/* Log a refused connection, at most once a second (with a count of the quiet ones). */
static void server_log_refused(struct server *srv, const char *peer, const char *why)
{
    unsigned long quiet;

    if (!log_limit_pass(&srv->refused_limit, time(NULL), &quiet))
        return;
    if (quiet)
        log_warn("%s: connection refused: %s (and %lu more refused in the last second)", peer, why,
                 quiet);
    else
        log_warn("%s: connection refused: %s", peer, why);
}

/* Re-enable accepting after a pause for EMFILE/ENFILE. */
static void server_resume_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    size_t i;

    for (i = 0; i < srv->nls && !srv->draining; i++)
        event_add(srv->ls[i].ev, NULL);
}

/* Out of descriptors: stop accepting for 100 ms instead of spinning. */
static void server_pause_accept(struct server *srv)
{
    struct timeval tv = {0, 100000};
    size_t i;

    unsigned long quiet;

    if (log_limit_pass(&srv->emfile_limit, time(NULL), &quiet)) {
        if (quiet)
            log_err("accept: %s; pausing for 100 ms (and %lu more pauses in the last second)",
                    strerror(errno), quiet);
        else
            log_err("accept: %s; pausing for 100 ms", strerror(errno));
    }
    for (i = 0; i < srv->nls; i++)
        event_del(srv->ls[i].ev);
    event_add(srv->ev_resume, &tv);
}

/* Accept one connection from l; returns 0 to go on, -1 to stop this batch. */
static int server_accept_one(struct server_listener *l)
{
    struct server *srv = l->srv;
    const struct cfg *cfg = snapshot_cfg(srv->snap);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    char peer[176];
    int fd;

    fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
            server_pause_accept(srv);
        return -1;
    }
    if (l->is_unix)
        ss.ss_family = AF_UNIX;
    server_peer_name(&ss, len, l, peer, sizeof(peer));
    if (!server_allowed(srv, &ss)) {
        server_log_refused(srv, peer, "not in allow");
        stats_refused(STATS_REFUSED_ALLOW);
        close(fd);
        return 0;
    }
    if (conn_set_count(srv->conns) >= cfg->max_connections) {
        server_log_refused(srv, peer, "max_connections reached");
        stats_refused(STATS_REFUSED_LIMIT);
        close(fd);
        return 0;
    }
    if (!l->is_unix) {
        int one = 1;

        /* Answers are whole and written at once: never hold one back for Nagle. */
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (conn_new(srv->conns, fd, peer) == NULL) {
        log_err("%s: out of memory; connection closed", peer);
        return 0;
    }
    stats_accepted();
    log_debug(2, "%s: connected on %s", peer, l->name);
    return 0;
}

/* A listener is readable: accept a batch of connections. */
static void server_accept_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server_listener *l = arg;
    int i;

    for (i = 0; i < SERVER_ACCEPT_BATCH; i++) {
        if (server_accept_one(l) < 0)
            break;
    }
}

/*
 * Raise the soft limit on open files to what max_connections needs (one descriptor
 * per connection, the listeners and SERVER_FD_MARGIN), never above the hard limit
 * and never lower than it is; warn when the hard limit is too low for it.
 */
static void server_raise_nofile(const struct server *srv, const struct cfg *cfg)
{
    rlim_t need = (rlim_t)cfg->max_connections + srv->nls + SERVER_FD_MARGIN;
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
        rlim_t old = rl.rlim_cur;

        rl.rlim_cur = rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need ? rl.rlim_max : need;
        if (rl.rlim_cur > old && setrlimit(RLIMIT_NOFILE, &rl) < 0)
            log_warn("cannot raise the open files limit from %llu to %llu: %s",
                     (unsigned long long)old, (unsigned long long)rl.rlim_cur, strerror(errno));
        else if (rl.rlim_cur > old)
            log_debug(1, "open files limit raised from %llu to %llu", (unsigned long long)old,
                      (unsigned long long)rl.rlim_cur);
    }
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
        log_warn("max_connections = %u needs %llu open files, but the hard limit is %llu: "
                 "connections beyond about %llu will wait (raise LimitNOFILE= or ulimit -Hn)",
                 cfg->max_connections, (unsigned long long)need, (unsigned long long)rl.rlim_max,
                 rl.rlim_max > need - cfg->max_connections
                     ? (unsigned long long)(rl.rlim_max - (need - cfg->max_connections))
                     : 0ULL);
}

/* The current snapshot, for connections (struct conn_ctx). */
static struct snapshot *server_current(void *arg)
{
    struct server *srv = arg;

    return srv->snap;
}

/* A lookup that waited for DNS is decided: hand the decision to its request. */
static void server_req_done(void *arg, const struct decision *dec)
{
    conn_req_done(arg, dec);
}

/* The decide hook of connections: decide, waiting for DNS when an MX pattern needs it. */
static int server_decide(void *arg, struct conn_req *req, struct decision *dec)
{
    struct server *srv = arg;

    return mxdecide_decide(srv->mx, conn_req_snapshot(req), conn_req_key(req), dec, server_req_done,
                           req);
}

/* The dsn map hook of connections: learn from a delivery status, answer at once. */
static int server_dsn(void *arg, struct snapshot *snap, const char *key, size_t klen,
                      const char **data, size_t *len)
{
    struct server *srv = arg;

    if (srv->learn == NULL)
        return 0;
    return learn_dsn(srv->learn, snap, key, klen, monotime_ms(), (int64_t)time(NULL), data, len);
}

/* The explain hook of connections: what taught a learned route. */
static size_t server_explain_more(void *arg, const struct decision *dec, char *buf, size_t size)
{
    struct server *srv = arg;

    return learn_explain(srv->learn, dec, monotime_ms(), buf, size);
}

/* Once a second: forget what expired (the view too, when it is ours: no Redis client does it). */
static void server_tick_cb(evutil_socket_t fd, short what, void *arg)
{
    struct server *srv = arg;
    uint64_t now = monotime_ms();

    if (srv->memory && srv->ov != NULL)
        overrides_expire(srv->ov, now);
    if (srv->learn != NULL)
        learn_expire(srv->learn, now);
}

/* The Redis client learned routes are written through (borrowed; NULL: memory mode). */
void server_set_redis(struct server *srv, struct redis_client *rc)
{
    if (srv->learn != NULL)
        learn_set_redis(srv->learn, rc);
}

/* Create the resolver and the decision step from the settings started with. */
static int server_start_dns(struct server *srv, struct event_base *base)
{
    const struct cfg *cfg = snapshot_cfg(srv->snap);
    struct dns_options o;
    char err[512];

    memset(&o, 0, sizeof(o));
    o.resolver = cfg->dns_resolver;
    o.timeout_ms = cfg->dns_timeout_ms;
    o.min_ttl = cfg->dns_min_ttl_ms / 1000;
    o.max_ttl = cfg->dns_max_ttl_ms / 1000;
    o.error_ttl = cfg->dns_error_ttl_ms / 1000;
    o.cache_size = cfg->dns_cache_size;
    o.dnssec = cfg->dnssec;
    o.trust_anchor = cfg->dnssec_trust_anchor;
    srv->dns = dns_new(base, &o, err, sizeof(err));
    if (srv->dns == NULL) {
        log_err("DNS resolver: %s", err);
        return -1;
    }
    srv->mx = mxdecide_new(srv->dns, srv->ov);
    return srv->mx == NULL ? -1 : 0;
}

/* Start accepting on base. */
int server_start(struct server *srv, struct event_base *base)
{
    struct timeval tick = {1, 0};
    struct conn_ctx ctx;
    size_t i;

    if (server_start_dns(srv, base) < 0)
        return -1;
    memset(&ctx, 0, sizeof(ctx));
    ctx.base = base;
    ctx.idle_timeout_ms = snapshot_cfg(srv->snap)->idle_timeout_ms;
    ctx.request_timeout_ms = snapshot_cfg(srv->snap)->request_timeout_ms;
    ctx.redis_prefix = srv->memory ? NULL : srv->redis_prefix;
    ctx.ov = srv->ov;
    ctx.snapshot = server_current;
    ctx.decide = server_decide;
    ctx.dsn = server_dsn;
    ctx.explain_more = server_explain_more;
    ctx.arg = srv;
    srv->base = base;
    server_raise_nofile(srv, snapshot_cfg(srv->snap));
    srv->conns = conn_set_new(&ctx);
    srv->ev_resume = evtimer_new(base, server_resume_cb, srv);
    srv->ev_tick = event_new(base, -1, EV_PERSIST, server_tick_cb, srv);
    if (srv->conns == NULL || srv->ev_resume == NULL || srv->ev_tick == NULL ||
        event_add(srv->ev_tick, &tick) < 0)
        return -1;
    for (i = 0; i < srv->nls; i++) {
        srv->ls[i].ev =
            event_new(base, srv->ls[i].fd, EV_READ | EV_PERSIST, server_accept_cb, &srv->ls[i]);
        if (srv->ls[i].ev == NULL || event_add(srv->ls[i].ev, NULL) < 0)
            return -1;
        log_info("listening on %s", srv->ls[i].name);
    }
    return 0;
}

/* Log each setting whose change only takes effect after a restart. */
static void server_log_restart_only(const struct cfg *boot, const struct cfg *n)
{
    const char *changed[64];
    size_t k, i;

    k = cfg_restart_changed(boot, n, changed, sizeof(changed) / sizeof(changed[0]));
    for (i = 0; i < k && i < sizeof(changed) / sizeof(changed[0]); i++)
        log_warn("reload: %s changed in %s: needs a restart, not applied", changed[i], n->path);
}

/* Switch to a new snapshot. */
void server_swap(struct server *srv, struct snapshot *snap)
{
    const struct cfg *cfg = snapshot_cfg(snap);

    server_log_restart_only(srv->boot, cfg);
    if (server_load_allow(srv, cfg) < 0)
        log_err("reload: out of memory; keeping the old allow list");
    if (cfg->max_connections != snapshot_cfg(srv->snap)->max_connections)
        server_raise_nofile(srv, cfg);
    snapshot_unref(srv->snap);
    srv->snap = snap;
}

/* Stop accepting and let connections finish. */
void server_shutdown(struct server *srv, void (*done)(void *arg), void *arg)
{
    size_t i;

    srv->draining = 1;
    for (i = 0; i < srv->nls; i++) {
        if (srv->ls[i].ev)
            event_del(srv->ls[i].ev);
        close(srv->ls[i].fd);
        srv->ls[i].fd = -1;
    }
    if (srv->conns == NULL) {
        done(arg);
        return;
    }
    conn_set_drain(srv->conns, done, arg);
}

/* The current snapshot (for metrics). */
struct snapshot *server_snapshot(const struct server *srv)
{
    return srv->snap;
}

/* The MX resolver, for its counters. */
const struct dns *server_dns(const struct server *srv)
{
    return srv->dns;
}

/* Client connections open now. */
unsigned server_connections(const struct server *srv)
{
    return srv->conns ? conn_set_count(srv->conns) : 0;
}
