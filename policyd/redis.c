/* redis.c - async hiredis client keeping the override view in sync (full load + tracking). */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>
#include <hiredis/adapters/libevent.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "endpoint.h"
#include "lines.h"
#include "log.h"
#include "monotime.h"
#include "overrides.h"
#include "redis.h"
#include "routes.h"

/* Reconnect backoff: first retry, and the cap (under 1 s so a restarted Redis is re-synced in 1 s).
 */
#define REDIS_BACKOFF_MIN_MS 100
#define REDIS_BACKOFF_MAX_MS 500
/* Keys per SCAN round. */
#define REDIS_SCAN_COUNT "1000"
/* Longest wait for a reply while connecting (with the backoff cap: a try a second). */
#define REDIS_SETUP_MAX_MS 400
/* Health check and expiry sweep period. */
#define REDIS_TICK_MS 1000
/* The password file: its first line is the password. */
#define REDIS_PASSWORD_FILE_MAX 65536
#define REDIS_PASSWORD_LINE_MAX 1023

enum redis_kind {
    REDIS_REQ_AUTH,
    REDIS_REQ_SELECT,
    REDIS_REQ_CLIENT_ID,
    REDIS_REQ_SUBSCRIBE,
    REDIS_REQ_TRACKING,
    REDIS_REQ_PING,
    REDIS_REQ_SCAN,
    REDIS_REQ_LEARN_RECORD, /* HSET or EXPIRE of a learned: record */
};

/*
 * Where the client is (one state, as Redis's repl_state). The legal transitions, checked by
 * redis_state_set:
 *
 *   RETRY      -> CONNECTING  the retry timer fires (and at start): both connections open
 *   CONNECTING -> TRACKING    both are set up (AUTH, SELECT; AUTH, CLIENT ID, SUBSCRIBE):
 *                             CLIENT TRACKING is sent
 *   TRACKING   -> SCANNING    tracking is on: a full load starts (SCAN)
 *   SCANNING   -> FETCHING    the last SCAN page arrived; values are still due
 *   FETCHING   -> SYNCED      every value arrived: the load is complete
 *   SCANNING, FETCHING, SYNCED -> SCANNING
 *                             the load starts again (a flush of the data set)
 *   any        -> RETRY       an error, a timeout or a lost connection (redis_fail)
 *
 * Beside the state: whether an outage was logged and has not ended (one log line per
 * outage, across many retries), and, in the view, whether it was ever loaded.
 */
enum redis_state {
    REDIS_ST_RETRY,
    REDIS_ST_CONNECTING,
    REDIS_ST_TRACKING,
    REDIS_ST_SCANNING,
    REDIS_ST_FETCHING,
    REDIS_ST_SYNCED,
};

struct redis_client;

/*
 * One pending command. hiredis calls its callback once (a subscription: once per message),
 * with a NULL reply on disconnect; the last call frees it.
 */
struct redis_req {
    struct redis_client *rc;
    unsigned gen;     /* connection generation it was sent on */
    unsigned load_id; /* REDIS_REQ_SCAN: the full load it belongs to */
    enum redis_kind kind;
};

/* One key of a fetch batch: where its name is in the batch's buffer. */
struct redis_batch_key {
    size_t off, len;
};

/*
 * Keys fetched together: one SCAN page of a full load, or the keys of one invalidation
 * message. Each key is asked PTTL then GET (the value is used inside the GET's callback,
 * with the TTL already known: nothing is copied). hiredis calls back once per command, in
 * order, with NULL replies on disconnect: `calls` tells which key a reply is for, and the
 * last call frees the batch.
 */
struct redis_batch {
    struct redis_client *rc;
    unsigned gen;
    unsigned load_id; /* the load in force when sent: the mark the entries get */
    int load;         /* part of the full load load_id (else: re-reads after invalidations) */
    size_t nkeys;
    size_t sent;    /* commands queued (2 per key); SIZE_MAX while sending */
    size_t calls;   /* callbacks so far */
    long long pttl; /* the PTTL reply of the key whose GET comes next */
    struct redis_batch_key *keys;
    char *names;
};

struct redis_client {
    struct event_base *base;
    struct overrides *view;
    const struct routes *routes;
    struct log_limit invalid_limit; /* for "override ... ignored" lines */
    struct log_limit learn_limit;   /* for "cannot store learned route" lines */
    int learn_unconfirmed;          /* Redis refused the last learned write (see redis_on_learn) */
    char learn_refused[320];        /* and why (escaped) */

    char *endpoint; /* as configured, for log lines */
    char *host;     /* host, or unix path */
    int port;       /* 0: unix */
    int db;
    char *username;
    char *password;
    char *key_prefix; /* "PREFIXroute:" */
    size_t key_prefix_len;
    char *match; /* "PREFIXroute:*" */
    unsigned timeout_ms;

    redisAsyncContext *main; /* commands, tracking on */
    redisAsyncContext *sub;  /* SUBSCRIBEd to __redis__:invalidate */
    unsigned gen;
    enum redis_state state;
    unsigned setup_left; /* CONNECTING: connections whose setup has not finished */
    long long sub_id;
    unsigned waiting;      /* replies still expected on this generation */
    int outage;            /* an outage was logged and has not ended */
    uint64_t sync_lost_ms; /* when SYNCED was last left (0: never synced) */
    unsigned backoff_ms;
    struct event *watchdog;
    struct event *retry;
    struct event *tick;

    /* full load (SCANNING, FETCHING); load_id also marks what it read (overrides_sweep) */
    unsigned load_id;
    size_t load_pending; /* keys whose value has not arrived yet */
    uint64_t load_started;
};

static void redis_connect(struct redis_client *rc);
static void redis_on_reply(redisAsyncContext *ac, void *r, void *privdata);
static void redis_on_message(redisAsyncContext *ac, void *r, void *privdata);

/* Copy at most n bytes into a new NUL-terminated string (NULL on allocation failure). */
static char *redis_strndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);

    if (p == NULL)
        return NULL;
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Move to state `to`; an illegal transition (see enum redis_state) is a bug, logged. */
static void redis_state_set(struct redis_client *rc, enum redis_state to)
{
    static const unsigned legal[] = {
        [REDIS_ST_RETRY] = 1u << REDIS_ST_CONNECTING,
        [REDIS_ST_CONNECTING] = 1u << REDIS_ST_TRACKING,
        [REDIS_ST_TRACKING] = 1u << REDIS_ST_SCANNING,
        [REDIS_ST_SCANNING] = 1u << REDIS_ST_FETCHING | 1u << REDIS_ST_SCANNING,
        [REDIS_ST_FETCHING] = 1u << REDIS_ST_SYNCED | 1u << REDIS_ST_SCANNING,
        [REDIS_ST_SYNCED] = 1u << REDIS_ST_SCANNING,
    };

    if (to != REDIS_ST_RETRY && !(legal[rc->state] & 1u << to))
        log_err("redis %s: internal error: state %d -> %d", rc->endpoint, (int)rc->state, (int)to);
    if (rc->state == REDIS_ST_SYNCED && to != REDIS_ST_SYNCED)
        rc->sync_lost_ms = monotime_ms();
    rc->state = to;
}

/* The SCAN MATCH pattern of every key "PREFIX KIND...": the prefix's glob characters escaped. */
char *redis_match_kind(const char *prefix, const char *kind)
{
    size_t len = strlen(prefix), klen = strlen(kind), i, o = 0;
    char *m = malloc(2 * len + klen + 2);

    if (m == NULL)
        return NULL;
    for (i = 0; i < len; i++) {
        if (strchr("*?[]\\", prefix[i]) != NULL)
            m[o++] = '\\';
        m[o++] = prefix[i];
    }
    memcpy(m + o, kind, klen);
    memcpy(m + o + klen, "*", 2);
    return m;
}

/* The SCAN MATCH pattern for every override key. */
char *redis_match_pattern(const char *prefix)
{
    return redis_match_kind(prefix, "route:");
}

/*
 * Replace a host name by its first address, once, at start: hiredis 0.14 resolves
 * names synchronously on every connect, which would stall all lookups while a
 * resolver is slow. Both connections then reach the same server, too. 0 or -1.
 */
static int redis_resolve(char **host, char *err, size_t errsize)
{
    static const int families[] = {AF_INET, AF_INET6}; /* hiredis's own order */
    struct addrinfo hints, *res = NULL;
    char numeric[NI_MAXHOST];
    unsigned char buf[sizeof(struct in6_addr)];
    char *copy;
    int rc;

    if (inet_pton(AF_INET, *host, buf) == 1 || inet_pton(AF_INET6, *host, buf) == 1)
        return 0;
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    for (size_t f = 0; f < 2; f++) {
        hints.ai_family = families[f];
        if ((rc = getaddrinfo(*host, NULL, &hints, &res)) == 0)
            break;
    }
    if (rc == 0)
        rc = getnameinfo(res->ai_addr, res->ai_addrlen, numeric, sizeof(numeric), NULL, 0,
                         NI_NUMERICHOST);
    if (res != NULL)
        freeaddrinfo(res);
    if (rc != 0) {
        snprintf(err, errsize, "cannot resolve %s: %s", *host, gai_strerror(rc));
        return -1;
    }
    if ((copy = strdup(numeric)) == NULL) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    log_info("redis: %s resolved to %s (once, at start)", *host, copy);
    free(*host);
    *host = copy;
    return 0;
}

/* Parse "tcp:HOST:PORT" (HOST may be [V6]) or "unix:PATH". */
int redis_parse_endpoint(const char *ep, char **host, int *port, char *err, size_t errsize)
{
    struct endpoint e;

    if (endpoint_parse(ep, "tcp", &e, err, errsize) < 0)
        return -1;
    *port = e.is_unix ? 0 : (int)e.port;
    *host = strdup(e.is_unix ? e.path : e.host);
    if (*host == NULL) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    return 0;
}

/* Read the first line of a password file (a regular file only). */
int redis_read_password(const char *path, char **password, char *err, size_t errsize)
{
    char *buf = NULL, why[256];
    size_t len = 0, n;

    /* The shared reader: a FIFO or a device is refused, never waited on. */
    if (lines_read_file(path, REDIS_PASSWORD_FILE_MAX, &buf, &len, why, sizeof(why)) < 0) {
        snprintf(err, errsize, "%s: %s", path, why);
        return -1;
    }
    n = strcspn(buf, "\r\n");
    if (n >= REDIS_PASSWORD_LINE_MAX) {
        snprintf(err, errsize, "%s: password line too long", path);
        *password = NULL;
    } else if ((*password = redis_strndup(buf, n)) == NULL) {
        snprintf(err, errsize, "out of memory");
    }
    memset(buf, 0, len);
    free(buf);
    return *password == NULL ? -1 : 0;
}

/* Whether group or others may access the password file (ssh's rule for secrets). */
int redis_password_too_open(const char *path, char *warn, size_t warnsize)
{
    struct stat st;

    if (stat(path, &st) < 0 || (st.st_mode & (S_IRWXG | S_IRWXO)) == 0)
        return 0;
    snprintf(warn, warnsize,
             "%s: permissions %04o are too open: only its owner (the user policyd runs as) "
             "should read it (chmod 600)",
             path, (unsigned)(st.st_mode & 07777));
    return 1;
}

/* A new request (NULL on allocation failure). */
static struct redis_req *redis_req_new(struct redis_client *rc, enum redis_kind kind)
{
    struct redis_req *req = calloc(1, sizeof(*req));

    if (req == NULL)
        return NULL;
    req->rc = rc;
    req->gen = rc->gen;
    req->load_id = rc->load_id;
    req->kind = kind;
    return req;
}

/*
 * How long to wait for the next reply: redis_timeout, but at most REDIS_SETUP_MAX_MS
 * while connecting, so that a server that never answers is retried at least once a
 * second (SPEC 4) whatever redis_timeout says.
 */
static struct timeval redis_wait_tv(const struct redis_client *rc)
{
    unsigned ms = rc->timeout_ms;

    if (rc->state == REDIS_ST_CONNECTING && ms > REDIS_SETUP_MAX_MS)
        ms = REDIS_SETUP_MAX_MS;
    return monotime_tv(ms);
}

/* Count one more expected reply and make sure the watchdog runs. */
static void redis_expect(struct redis_client *rc)
{
    struct timeval tv = redis_wait_tv(rc);

    if (rc->waiting++ == 0)
        evtimer_add(rc->watchdog, &tv);
}

/* One expected reply arrived: progress, so the watchdog starts over. */
static void redis_progress(struct redis_client *rc)
{
    struct timeval tv = redis_wait_tv(rc);

    if (rc->waiting > 0 && --rc->waiting > 0)
        evtimer_add(rc->watchdog, &tv);
    else
        evtimer_del(rc->watchdog);
}

/* Send req on ac; on failure it is freed. 0 or -1. */
static int redis_send(struct redis_client *rc, redisAsyncContext *ac, struct redis_req *req,
                      redisCallbackFn *fn, int argc, const char **argv, const size_t *argvlen)
{
    if (ac == NULL || redisAsyncCommandArgv(ac, fn, req, argc, argv, argvlen) != REDIS_OK) {
        free(req);
        return -1;
    }
    if (fn == redis_on_reply)
        redis_expect(rc);
    return 0;
}

/* Send a command without a key on ac (strings are NUL-terminated): 0 or -1. */
static int redis_command(struct redis_client *rc, redisAsyncContext *ac, enum redis_kind kind,
                         int argc, const char **argv)
{
    size_t lens[8];
    struct redis_req *req;
    int i;

    for (i = 0; i < argc && i < 8; i++)
        lens[i] = strlen(argv[i]);
    req = redis_req_new(rc, kind);
    if (req == NULL)
        return -1;
    return redis_send(rc, ac, req, redis_on_reply, argc, argv, lens);
}

/* Forget the full load in progress: replies still due for it are ignored. */
static void redis_load_abort(struct redis_client *rc)
{
    rc->load_id++;
    rc->load_pending = 0;
}

/*
 * Give up on both connections (an error, a timeout or a lost connection) and retry
 * later. The view is kept. The outage is logged once; retries only at debug level.
 */
static void redis_fail(struct redis_client *rc, const char *why)
{
    redisAsyncContext *m = rc->main, *s = rc->sub;
    struct timeval tv;

    rc->main = rc->sub = NULL;
    rc->gen++;
    rc->waiting = 0;
    redis_state_set(rc, REDIS_ST_RETRY);
    evtimer_del(rc->watchdog);
    redis_load_abort(rc);
    if (!rc->outage) {
        log_err("redis %s: %s; %s", rc->endpoint, why,
                overrides_loaded(rc->view) ? "answering from the last known overrides, reconnecting"
                                           : "overrides not loaded yet, retrying");
        rc->outage = 1;
    } else {
        log_debug(1, "redis %s: %s", rc->endpoint, why);
    }
    /* frees call the pending callbacks with NULL replies; the new gen makes them inert */
    if (m != NULL)
        redisAsyncFree(m);
    if (s != NULL)
        redisAsyncFree(s);
    tv = monotime_tv(rc->backoff_ms);
    evtimer_add(rc->retry, &tv);
    rc->backoff_ms *= 2;
    if (rc->backoff_ms > REDIS_BACKOFF_MAX_MS)
        rc->backoff_ms = REDIS_BACKOFF_MAX_MS;
}

/* Fail with a reason that quotes text from Redis (escaped). */
static void redis_fail_reply(struct redis_client *rc, const char *what, const redisReply *reply)
{
    char esc[256], why[400];

    if (reply != NULL && (reply->type == REDIS_REPLY_ERROR || reply->type == REDIS_REPLY_STATUS))
        log_escape(esc, sizeof(esc), reply->str, reply->len);
    else
        snprintf(esc, sizeof(esc), "unexpected reply type %d", reply ? reply->type : -1);
    snprintf(why, sizeof(why), "%s failed: %s", what, esc);
    redis_fail(rc, why);
}

/* Which of our connections ac is: 1 main, 2 sub, 0 neither (an old one being freed). */
static int redis_which(const struct redis_client *rc, const redisAsyncContext *ac)
{
    if (ac == rc->main)
        return 1;
    if (ac == rc->sub)
        return 2;
    return 0;
}

/* hiredis: a connect attempt finished; on failure hiredis frees ac itself after this. */
static void redis_on_connect(const redisAsyncContext *ac, int status)
{
    struct redis_client *rc = ac->data;
    char why[300];
    int which = redis_which(rc, ac);

    if (status == REDIS_OK || which == 0)
        return;
    if (which == 1)
        rc->main = NULL;
    else
        rc->sub = NULL;
    snprintf(why, sizeof(why), "cannot connect: %s", ac->errstr);
    redis_fail(rc, why);
}

/* hiredis: a connection was lost; hiredis frees ac after this. */
static void redis_on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_client *rc = ac->data;
    char why[300], errstr[200];
    int which = redis_which(rc, ac);

    if (which == 0)
        return;
    if (which == 1)
        rc->main = NULL;
    else
        rc->sub = NULL;

    log_escape(errstr, sizeof(errstr), ac->errstr, strlen(ac->errstr));
    snprintf(why, sizeof(why), "connection lost: %s",
             status == REDIS_OK || ac->errstr[0] == '\0' ? "closed by the server" : errstr);
    redis_fail(rc, why);
}

/* Whether a connection has bytes waiting to be read (replies not processed yet). */
static int redis_readable(const redisAsyncContext *ac)
{
    struct pollfd p;

    if (ac == NULL || ac->c.fd < 0)
        return 0;
    p.fd = ac->c.fd;
    p.events = POLLIN;
    p.revents = 0;
    return poll(&p, 1, 0) > 0 && (p.revents & POLLIN) != 0;
}

/*
 * Timer: no expected reply arrived within redis_timeout. Replies already in a socket
 * count as arrived: the loop was busy (a big load on a busy machine), not Redis.
 */
static void redis_on_watchdog(evutil_socket_t fd, short what, void *arg)
{
    struct redis_client *rc = arg;
    struct timeval tv = redis_wait_tv(rc);
    char why[100];

    /* after setup every expected reply comes on main (sub only carries invalidations) */
    if (redis_readable(rc->main) || (rc->state == REDIS_ST_CONNECTING && redis_readable(rc->sub))) {
        evtimer_add(rc->watchdog, &tv);
        return;
    }
    snprintf(why, sizeof(why), "no reply within %ld ms",
             (long)tv.tv_sec * 1000 + (long)tv.tv_usec / 1000);
    redis_fail(rc, why);
}

/* Timer: try to connect again. */
static void redis_on_retry(evutil_socket_t fd, short what, void *arg)
{
    redis_connect(arg);
}

/* Timer: purge expired overrides, log the count of quiet lines, check that Redis answers. */
static void redis_on_tick(evutil_socket_t fd, short what, void *arg)
{
    struct redis_client *rc = arg;
    const char *ping[] = {"PING"};
    unsigned long quiet;

    overrides_expire(rc->view, monotime_ms());
    if ((quiet = log_limit_flush(&rc->invalid_limit, time(NULL))) > 0)
        log_warn("redis %s: %lu more overrides ignored (invalid; not logged one by one)",
                 rc->endpoint, quiet);
    if (rc->state == REDIS_ST_SYNCED && rc->waiting == 0)
        redis_command(rc, rc->main, REDIS_REQ_PING, 1, ping);
}

/* Whether value[0..len) is a usable ROUTE under the current routes (err filled if not). */
static int redis_value_ok(const struct redis_client *rc, const char *value, size_t len, char *err,
                          size_t errsize)
{
    const char *res;
    size_t rlen;

    if (rc->routes == NULL)
        return 1;
    return routes_resolve(rc->routes, value, len, &res, &rlen, err, errsize) >= 0;
}

/*
 * Log an override (PREFIXroute:pattern) that cannot be used, at most one line a second:
 * the others are counted, and the count is logged with the next line or by the tick.
 */
static void redis_log_invalid(struct redis_client *rc, const char *pattern, size_t plen,
                              const char *what, const char *why)
{
    char esc[300];
    unsigned long quiet;

    if (!log_limit_pass(&rc->invalid_limit, time(NULL), &quiet))
        return;
    log_escape(esc, sizeof(esc), pattern, plen);
    if (quiet)
        log_warn("redis %s: override %s%s ignored: %s: %s (and %lu more ignored overrides not "
                 "logged)",
                 rc->endpoint, rc->key_prefix, esc, what, why, quiet);
    else
        log_warn("redis %s: override %s%s ignored: %s: %s", rc->endpoint, rc->key_prefix, esc, what,
                 why);
}

/*
 * Store what PTTL+GET said about a key into the view, marked with the batch's load id.
 * Problems are logged when the key changed: always after an invalidation; during a full
 * load only when the view does not already hold the same value, so a re-sync does not
 * repeat old complaints (a value never stored, a bad pattern or one too long, is logged by
 * the first load only).
 */
static void redis_apply(struct redis_client *rc, const struct redis_batch *b, const char *key,
                        size_t klen, const redisReply *reply, long long pttl)
{
    const char *pattern = key + rc->key_prefix_len, *old;
    size_t plen = klen - rc->key_prefix_len, olen;
    int again = b->load && overrides_loaded(rc->view);
    uint64_t at;
    char err[256];

    if (klen <= rc->key_prefix_len || memcmp(key, rc->key_prefix, rc->key_prefix_len) != 0)
        return;
    if (reply->type != REDIS_REPLY_STRING || pttl == -2) {
        /* gone, or a key of another type: not an override */
        overrides_del(rc->view, pattern, plen);
        return;
    }
    if (overrides_check_pattern(pattern, plen, err, sizeof(err)) < 0) {
        if (!again)
            redis_log_invalid(rc, pattern, plen, "bad pattern", err);
        overrides_del(rc->view, pattern, plen);
        return;
    }
    if (reply->len > OVERRIDES_VALUE_MAX) {
        snprintf(err, sizeof(err), "%zu bytes, at most %d", reply->len, OVERRIDES_VALUE_MAX);
        if (!again)
            redis_log_invalid(rc, pattern, plen, "value too long", err);
        overrides_del(rc->view, pattern, plen);
        return;
    }
    if (!redis_value_ok(rc, reply->str, reply->len, err, sizeof(err)) &&
        !(b->load && overrides_get(rc->view, pattern, plen, &old, &olen, &at) &&
          olen == reply->len && memcmp(old, reply->str, olen) == 0))
        redis_log_invalid(rc, pattern, plen, "bad route", err);
    if (overrides_set_marked(rc->view, pattern, plen, reply->str, reply->len,
                             pttl >= 0 ? monotime_ms() + (uint64_t)pttl : 0, b->load_id) < 0) {
        redis_log_invalid(rc, pattern, plen, "cannot store", "out of memory");
        overrides_del(rc->view, pattern, plen);
    }
}

static void redis_on_batch(redisAsyncContext *ac, void *r, void *privdata);

/*
 * Fetch the keys named by the string elements of an array reply (a SCAN page, or an
 * invalidation message) as one batch: PTTL and GET of each, pipelined on the main
 * connection. load: part of the current full load. The number of keys asked for, or -1
 * (the caller gives the connection up; what was sent is answered with NULL replies).
 *
 * Why invalidations go straight to the live view while a full load runs, and the load
 * still cannot leave a stale value behind:
 *  - Every GET, of the load and of a re-read alike, goes over the main connection, whose
 *    replies come back in the order Redis executed the commands, and each is applied as it
 *    arrives: for any key the view ends with the value of the last GET Redis executed.
 *  - Tracking (BCAST) is on before the first SCAN is sent, so every write after that is
 *    followed by an invalidation, sent by Redis after the write. The re-read is sent when
 *    the invalidation arrives, so Redis executes it after the write. A load GET that read
 *    the key before the write was sent earlier on the same connection, so it is applied
 *    before the re-read, which overwrites it; a load GET executed after the write read the
 *    new value. Invalidations arrive on the other connection, in no fixed order with the
 *    main connection's replies; nothing here depends on that order.
 *  - A key deleted while we were away is not in the SCAN. Each entry carries the id of the
 *    load in force when its GET was sent; when the load completes, entries with another id
 *    are swept away. SCAN returns every key that exists for the whole scan; a key created or
 *    deleted during it is invalidated, and its re-read, sent during the load, carries the
 *    new id (or deletes it). A re-read sent before the load carries the old id: if its key
 *    still exists, the load reads it again after it.
 *  - A flush (nil invalidation) starts the load again with a new id. Replies of the old
 *    load are ignored; a re-read executed before the flush keeps an old id and is swept
 *    unless the new load reads the key again.
 */
static long redis_fetch(struct redis_client *rc, int load, const redisReply *names)
{
    size_t i, n = 0, bytes = 0, off = 0, sent = 0, lens[2];
    const char *argv[2];
    struct redis_batch *b;
    int failed = 0;

    for (i = 0; i < names->elements; i++)
        if (names->element[i]->type == REDIS_REPLY_STRING) {
            n++;
            bytes += names->element[i]->len;
        }
    if (n == 0)
        return 0;
    b = malloc(sizeof(*b) + n * sizeof(struct redis_batch_key) + bytes);
    if (b == NULL)
        return -1;
    b->rc = rc;
    b->gen = rc->gen;
    b->load_id = rc->load_id;
    b->load = load;
    b->nkeys = n;
    b->sent = SIZE_MAX; /* no callback can come before we return to the loop */
    b->calls = 0;
    b->pttl = -2;
    b->keys = (struct redis_batch_key *)(b + 1);
    b->names = (char *)(b->keys + n);
    for (i = 0, n = 0; i < names->elements; i++) {
        const redisReply *e = names->element[i];

        if (e->type != REDIS_REPLY_STRING)
            continue;
        memcpy(b->names + off, e->str, e->len);
        b->keys[n].off = off;
        b->keys[n++].len = e->len;
        off += e->len;
    }
    for (i = 0; i < 2 * b->nkeys && !failed; i++) {
        argv[0] = i % 2 ? "GET" : "PTTL";
        lens[0] = i % 2 ? 3 : 4;
        argv[1] = b->names + b->keys[i / 2].off;
        lens[1] = b->keys[i / 2].len;
        if (rc->main == NULL ||
            redisAsyncCommandArgv(rc->main, redis_on_batch, b, 2, argv, lens) != REDIS_OK)
            failed = 1;
        else {
            sent++;
            redis_expect(rc);
        }
    }
    b->sent = sent;
    if (sent == 0)
        free(b);
    return failed ? -1 : (long)b->nkeys;
}

/* Ask for the next SCAN page: 0 or -1. */
static int redis_scan(struct redis_client *rc, const char *cursor, size_t len)
{
    const char *argv[] = {"SCAN", cursor, "MATCH", rc->match, "COUNT", REDIS_SCAN_COUNT};
    size_t lens[] = {4, len, 5, strlen(rc->match), 5, strlen(REDIS_SCAN_COUNT)};
    struct redis_req *req = redis_req_new(rc, REDIS_REQ_SCAN);

    if (req == NULL)
        return -1;
    return redis_send(rc, rc->main, req, redis_on_reply, 6, argv, lens);
}

/* Start a full load (again): its GETs go straight into the live view. */
static void redis_load_start(struct redis_client *rc)
{
    redis_load_abort(rc);
    if (rc->main == NULL)
        return;
    redis_state_set(rc, REDIS_ST_SCANNING);
    rc->load_started = monotime_ms();
    if (redis_scan(rc, "0", 1) < 0)
        redis_fail(rc, "cannot send SCAN");
}

/* The full load is complete when SCAN is done and every value arrived: sweep, in sync. */
static void redis_load_check(struct redis_client *rc)
{
    size_t gone;

    if (rc->state != REDIS_ST_FETCHING || rc->load_pending > 0)
        return;
    gone = overrides_sweep(rc->view, rc->load_id);
    redis_state_set(rc, REDIS_ST_SYNCED);
    rc->backoff_ms = REDIS_BACKOFF_MIN_MS;
    if (rc->outage || !overrides_loaded(rc->view))
        log_info("redis %s: %zu overrides loaded in %llu ms", rc->endpoint,
                 overrides_count(rc->view),
                 (unsigned long long)(monotime_ms() - rc->load_started));
    if (gone > 0)
        log_debug(1, "redis %s: %zu overrides no longer in Redis removed", rc->endpoint, gone);
    overrides_set_loaded(rc->view, 1);
    rc->outage = 0;
}

/* One connection is set up; once both are, turn tracking on (then everything is loaded). */
static void redis_ready(struct redis_client *rc)
{
    char id[32];
    const char *argv[] = {"CLIENT", "TRACKING", "on",     "REDIRECT",
                          id,       "BCAST",    "PREFIX", rc->key_prefix};

    if (--rc->setup_left > 0)
        return;
    redis_state_set(rc, REDIS_ST_TRACKING);
    snprintf(id, sizeof(id), "%lld", rc->sub_id);
    if (redis_command(rc, rc->main, REDIS_REQ_TRACKING, 8, argv) < 0)
        redis_fail(rc, "cannot send CLIENT TRACKING");
}

/* A SCAN page: ask for the next page first (Redis finds it meanwhile), then fetch its keys. */
static void redis_on_scan(struct redis_client *rc, const redisReply *reply)
{
    const redisReply *cursor;
    long n;
    int last;

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY) {
        redis_fail_reply(rc, "SCAN", reply);
        return;
    }
    cursor = reply->element[0];
    last = cursor->len == 1 && cursor->str[0] == '0';
    if (!last && redis_scan(rc, cursor->str, cursor->len) < 0) {
        redis_fail(rc, "cannot send SCAN");
        return;
    }
    if ((n = redis_fetch(rc, 1, reply->element[1])) < 0) {
        redis_fail(rc, "cannot send GET");
        return;
    }
    rc->load_pending += (size_t)n;
    if (last)
        redis_state_set(rc, REDIS_ST_FETCHING);
    redis_load_check(rc);
}

/* A value of a batch arrived (PTTL known): apply it; count it when it is the load's. */
static void redis_batch_got(struct redis_client *rc, const struct redis_batch *b, size_t k,
                            const redisReply *reply)
{
    int current = b->load && b->load_id == rc->load_id &&
                  (rc->state == REDIS_ST_SCANNING || rc->state == REDIS_ST_FETCHING);

    if (b->load && !current)
        return; /* a load given up (a flush started it again): the new one reads it */
    redis_apply(rc, b, b->names + b->keys[k].off, b->keys[k].len, reply, b->pttl);
    if (current) {
        rc->load_pending--;
        redis_load_check(rc);
    }
}

/* hiredis: a PTTL or GET reply of a batch, in order (NULL on disconnect); the last frees it. */
static void redis_on_batch(redisAsyncContext *ac, void *r, void *privdata)
{
    struct redis_batch *b = privdata;
    struct redis_client *rc = b->rc;
    const redisReply *reply = r;
    size_t k = b->calls / 2;
    int is_get = b->calls % 2;

    b->calls++;
    if (reply != NULL && b->gen == rc->gen) {
        redis_progress(rc);
        if (!is_get)
            b->pttl = reply->type == REDIS_REPLY_INTEGER ? reply->integer : -2;
        else
            redis_batch_got(rc, b, k, reply);
    }
    if (b->calls == b->sent)
        free(b);
}

/* Subscribe the second connection to invalidation messages. */
static void redis_subscribe(struct redis_client *rc)
{
    const char *argv[] = {"SUBSCRIBE", "__redis__:invalidate"};
    size_t lens[] = {9, 20};
    struct redis_req *req = redis_req_new(rc, REDIS_REQ_SUBSCRIBE);

    if (req == NULL || redis_send(rc, rc->sub, req, redis_on_message, 2, argv, lens) < 0) {
        redis_fail(rc, "cannot send SUBSCRIBE");
        return;
    }
    redis_expect(rc); /* the subscribe confirmation */
}

/* A setup step answered; move on to the next one. */
static void redis_on_setup(struct redis_client *rc, struct redis_req *req, const redisReply *reply)
{
    switch (req->kind) {
    case REDIS_REQ_AUTH:
        if (reply->type == REDIS_REPLY_ERROR)
            redis_fail_reply(rc, rc->username ? "AUTH (with redis_username)" : "AUTH", reply);
        return;
    case REDIS_REQ_SELECT:
        if (reply->type == REDIS_REPLY_ERROR) {
            redis_fail_reply(rc, "SELECT", reply);
            return;
        }
        redis_ready(rc);
        return;
    case REDIS_REQ_CLIENT_ID:
        if (reply->type != REDIS_REPLY_INTEGER) {
            redis_fail_reply(rc, "CLIENT ID", reply);
            return;
        }
        rc->sub_id = reply->integer;
        redis_subscribe(rc);
        return;
    case REDIS_REQ_TRACKING:
        if (reply->type == REDIS_REPLY_ERROR) {
            redis_fail_reply(rc, "CLIENT TRACKING", reply);
            return;
        }
        redis_load_start(rc);
        return;
    default:
        return;
    }
}

/* A learned: record was refused (HSET or EXPIRE): logged, at most one line a second. */
static void redis_log_record_error(struct redis_client *rc, const redisReply *reply)
{
    char esc[256];
    unsigned long quiet;

    if (!log_limit_pass(&rc->learn_limit, time(NULL), &quiet))
        return;
    log_escape(esc, sizeof(esc), reply->str, reply->len);
    log_warn("redis %s: the learned: record of a learned override not stored: %s", rc->endpoint,
             esc);
}

/* hiredis: a reply (or NULL on disconnect) to a regular command. */
static void redis_on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    struct redis_req *req = privdata;
    struct redis_client *rc = req->rc;
    const redisReply *reply = r;

    if (reply == NULL || req->gen != rc->gen) {
        free(req);
        return;
    }
    redis_progress(rc);
    switch (req->kind) {
    case REDIS_REQ_SCAN:
        if (rc->state == REDIS_ST_SCANNING && req->load_id == rc->load_id)
            redis_on_scan(rc, reply);
        break;
    case REDIS_REQ_PING:
        if (reply->type == REDIS_REPLY_ERROR)
            redis_fail_reply(rc, "PING", reply);
        break;
    case REDIS_REQ_LEARN_RECORD:
        if (reply->type == REDIS_REPLY_ERROR)
            redis_log_record_error(rc, reply);
        break;
    default:
        redis_on_setup(rc, req, reply);
        break;
    }
    free(req);
}

/* An invalidation: re-read its keys (during a full load too); nil means everything. */
static void redis_on_invalidate(struct redis_client *rc, const redisReply *payload)
{
    if (payload->type == REDIS_REPLY_NIL) {
        /* Sent for a flush of any database: never empty the live view for it; the full
         * load that follows sweeps away what our database no longer holds. */
        log_debug(1, "redis %s: flush: loading everything again", rc->endpoint);
        redis_load_start(rc);
        return;
    }
    if (payload->type == REDIS_REPLY_ARRAY && redis_fetch(rc, 0, payload) < 0)
        redis_fail(rc, "cannot send GET");
}

/* The string element i of an array reply, or NULL. */
static const redisReply *redis_str_elem(const redisReply *reply, size_t i)
{
    if (reply->type != REDIS_REPLY_ARRAY || i >= reply->elements ||
        reply->element[i]->type != REDIS_REPLY_STRING)
        return NULL;
    return reply->element[i];
}

/*
 * hiredis: the subscription callback: the subscribe confirmation, then one call per
 * message, NULL at the end (which frees the request).
 *
 * No heartbeat runs on this connection: hiredis 0.14 keeps the callback of every
 * command sent while subscribed until the connection ends, so a periodic PING here
 * would grow without bound. TCP keepalive (see redis_open) notices a connection that
 * died silently; the main connection's PING covers a hung server.
 */
static void redis_on_message(redisAsyncContext *ac, void *r, void *privdata)
{
    struct redis_req *req = privdata;
    struct redis_client *rc = req->rc;
    const redisReply *reply = r;
    const redisReply *type;

    if (reply != NULL && req->gen == rc->gen) {
        type = redis_str_elem(reply, 0);
        if (type == NULL || reply->elements < 3) {
            redis_fail_reply(rc, "SUBSCRIBE", reply);
        } else if (type->len == 9 && memcmp(type->str, "subscribe", 9) == 0) {
            redis_progress(rc);
            redis_ready(rc);
        } else if (type->len == 7 && memcmp(type->str, "message", 7) == 0) {
            redis_on_invalidate(rc, reply->element[2]);
        } else {
            /* an unsubscribe nobody asked for: invalidations would stop silently; hiredis
             * forgets the channel's callback, so this is the request's last call */
            redis_fail(rc, "the subscription to invalidations ended");
            free(req);
            return;
        }
    }
    if (reply == NULL)
        free(req);
}

/* Open one connection and attach it to the loop: the context, or NULL (why filled). */
static redisAsyncContext *redis_open(struct redis_client *rc, char *why, size_t whysize)
{
    redisAsyncContext *ac =
        rc->port == 0 ? redisAsyncConnectUnix(rc->host) : redisAsyncConnect(rc->host, rc->port);

    if (ac == NULL) {
        snprintf(why, whysize, "cannot connect: out of memory");
        return NULL;
    }
    if (ac->err) {
        snprintf(why, whysize, "cannot connect: %s", ac->errstr);
        redisAsyncFree(ac);
        return NULL;
    }
    ac->data = rc;
    /* A TCP connection that dies silently (a NAT or firewall forgetting it) is noticed
     * in about half a minute instead of never; a unix socket cannot die that way. */
    if (rc->port != 0)
        redisEnableKeepAlive(&ac->c);
    if (redisLibeventAttach(ac, rc->base) != REDIS_OK) {
        snprintf(why, whysize, "cannot attach to the event loop");
        redisAsyncFree(ac);
        return NULL;
    }
    redisAsyncSetConnectCallback(ac, redis_on_connect);
    redisAsyncSetDisconnectCallback(ac, redis_on_disconnect);
    return ac;
}

/* Queue AUTH on a fresh connection (nothing without a password): 0 or -1. */
static int redis_auth(struct redis_client *rc, redisAsyncContext *ac)
{
    const char *argv[3] = {"AUTH", rc->username, rc->password};

    if (rc->password == NULL)
        return 0;
    if (rc->username == NULL) {
        argv[1] = rc->password;
        return redis_command(rc, ac, REDIS_REQ_AUTH, 2, argv);
    }
    return redis_command(rc, ac, REDIS_REQ_AUTH, 3, argv);
}

/* Open both connections and queue their setup commands (sent once connected). */
static void redis_connect(struct redis_client *rc)
{
    char why[300], db[16];
    const char *select_argv[] = {"SELECT", db};
    const char *id_argv[] = {"CLIENT", "ID"};

    rc->gen++;
    redis_state_set(rc, REDIS_ST_CONNECTING);
    rc->setup_left = 2;
    rc->main = redis_open(rc, why, sizeof(why));
    if (rc->main == NULL) {
        redis_fail(rc, why);
        return;
    }
    rc->sub = redis_open(rc, why, sizeof(why));
    if (rc->sub == NULL) {
        redis_fail(rc, why);
        return;
    }
    snprintf(db, sizeof(db), "%d", rc->db);
    if (redis_auth(rc, rc->main) < 0 ||
        redis_command(rc, rc->main, REDIS_REQ_SELECT, 2, select_argv) < 0 ||
        redis_auth(rc, rc->sub) < 0 ||
        redis_command(rc, rc->sub, REDIS_REQ_CLIENT_ID, 2, id_argv) < 0)
        redis_fail(rc, "cannot queue the setup commands");
}

/*
 * A learned override on its way: SET NX EX first; when that stored it, the learned: record
 * (HSET, EXPIRE). Strings in data: the route key, the record key, the route, text, host,
 * class, each with its length. hiredis calls back once (NULL on disconnect), which frees it.
 */
struct redis_learn_req {
    struct redis_client *rc;
    unsigned gen;
    unsigned ttl_s;
    long long time;
    const char *s[6];
    size_t len[6];
    char data[];
};

enum { REDIS_L_KEY, REDIS_L_RECORD, REDIS_L_ROUTE, REDIS_L_TEXT, REDIS_L_HOST, REDIS_L_CLASS };

/* Log that a learned override was not written (escaped, at most one line a second). */
static void redis_learn_log(struct redis_client *rc, const struct redis_learn_req *lr,
                            const char *why)
{
    char key[300];
    unsigned long quiet;

    if (!log_limit_pass(&rc->learn_limit, time(NULL), &quiet))
        return;
    log_escape(key, sizeof(key), lr->s[REDIS_L_KEY], lr->len[REDIS_L_KEY]);
    if (quiet)
        log_warn("redis %s: learned override %s not stored: %s (and %lu more not logged)",
                 rc->endpoint, key, why, quiet);
    else
        log_warn("redis %s: learned override %s not stored: %s", rc->endpoint, key, why);
}

/* Read the route key again, so the view holds what Redis holds (a refused or lost SET). */
static void redis_learn_reread(struct redis_client *rc, const struct redis_learn_req *lr)
{
    redisReply key, *keys[1] = {&key}, names;

    memset(&key, 0, sizeof(key));
    memset(&names, 0, sizeof(names));
    key.type = REDIS_REPLY_STRING;
    key.str = (char *)lr->s[REDIS_L_KEY];
    key.len = lr->len[REDIS_L_KEY];
    names.type = REDIS_REPLY_ARRAY;
    names.elements = 1;
    names.element = keys;
    if (redis_fetch(rc, 0, &names) < 0)
        redis_fail(rc, "cannot send GET");
}

/* The route was stored: write its record (HSET, then EXPIRE with the same TTL), pipelined. */
static void redis_learn_record(struct redis_client *rc, const struct redis_learn_req *lr)
{
    char ttl[16], when[24];
    const char *hset[] = {"HSET", lr->s[REDIS_L_RECORD], "text", lr->s[REDIS_L_TEXT], "host",
                          lr->s[REDIS_L_HOST],         "class", lr->s[REDIS_L_CLASS], "time", when};
    size_t hlen[] = {4, lr->len[REDIS_L_RECORD], 4, lr->len[REDIS_L_TEXT], 4,
                     lr->len[REDIS_L_HOST],      5, lr->len[REDIS_L_CLASS], 4, 0};
    const char *exp[] = {"EXPIRE", lr->s[REDIS_L_RECORD], ttl};
    size_t elen[] = {6, lr->len[REDIS_L_RECORD], 0};
    struct redis_req *a = redis_req_new(rc, REDIS_REQ_LEARN_RECORD);
    struct redis_req *b = redis_req_new(rc, REDIS_REQ_LEARN_RECORD);

    hlen[9] = (size_t)snprintf(when, sizeof(when), "%lld", lr->time);
    elen[2] = (size_t)snprintf(ttl, sizeof(ttl), "%u", lr->ttl_s);
    if (a == NULL || b == NULL) {
        free(a);
        free(b);
        redis_learn_log(rc, lr, "its learned: record: out of memory");
        return;
    }
    if (redis_send(rc, rc->main, a, redis_on_reply, 10, hset, hlen) < 0) {
        free(b);
        redis_learn_log(rc, lr, "its learned: record: cannot send HSET");
        return;
    }
    if (redis_send(rc, rc->main, b, redis_on_reply, 3, exp, elen) < 0)
        redis_learn_log(rc, lr, "its learned: record: cannot send EXPIRE");
}

/* hiredis: the reply to SET NX EX of a learned override (NULL on disconnect). */
static void redis_on_learn(redisAsyncContext *ac, void *r, void *privdata)
{
    struct redis_learn_req *lr = privdata;
    struct redis_client *rc = lr->rc;
    const redisReply *reply = r;
    char esc[256], why[300];

    if (reply == NULL || lr->gen != rc->gen) {
        redis_learn_log(rc, lr, "the connection to Redis was lost before it answered");
        free(lr);
        return;
    }
    redis_progress(rc);
    if ((reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_NIL) &&
        rc->learn_unconfirmed) {
        /* a SET went through (stored, or refused by NX only): Redis takes writes again */
        rc->learn_unconfirmed = 0;
        log_info("redis %s: learned writes are stored again (the last one was refused: %s)",
                 rc->endpoint, rc->learn_refused);
    }
    if (reply->type == REDIS_REPLY_STATUS) {
        redis_learn_record(rc, lr);
    } else if (reply->type == REDIS_REPLY_NIL) {
        /* another writer was first (the view had not seen it yet): read what it wrote */
        log_debug(1, "redis %s: a learned override existed already; reading it", rc->endpoint);
        redis_learn_reread(rc, lr);
    } else {
        if (reply->type == REDIS_REPLY_ERROR)
            log_escape(esc, sizeof(esc), reply->str, reply->len);
        else
            snprintf(esc, sizeof(esc), "unexpected reply type %d", reply->type);
        snprintf(why, sizeof(why), "SET failed: %s", esc);
        redis_learn_log(rc, lr, why);
        /* A refusal (ACL, read-only replica) would refuse the next write too; each learned
         * route answers a deferral, so a message could be deferred again and again by a
         * route that never exists: until a learned SET comes back stored, the writes go on
         * (to notice the recovery) but the caller does not defer by them. */
        rc->learn_unconfirmed = 1;
        snprintf(rc->learn_refused, sizeof(rc->learn_refused), "%s", why);
        redis_learn_reread(rc, lr); /* the view drops what Redis refused */
    }
    free(lr);
}

/* Copy the strings of a learned override into one request (NULL on allocation failure). */
static struct redis_learn_req *redis_learn_req_new(struct redis_client *rc,
                                                   const struct redis_learned *l)
{
    size_t plen = rc->key_prefix_len - 6; /* PREFIX without "route:" */
    size_t lens[6] = {rc->key_prefix_len + l->pattern_len, plen + 8 + l->pattern_len,
                      strlen(l->route), l->text_len, l->host_len, strlen(l->cls)};
    struct redis_learn_req *lr;
    size_t total = 0, i;
    char *p;

    for (i = 0; i < 6; i++)
        total += lens[i] + 1;
    if ((lr = calloc(1, sizeof(*lr) + total)) == NULL)
        return NULL;
    p = lr->data;
    for (i = 0; i < 6; i++) {
        lr->s[i] = p;
        lr->len[i] = lens[i];
        p += lens[i] + 1;
    }
    p = lr->data;
    memcpy(p, rc->key_prefix, rc->key_prefix_len);
    memcpy(p + rc->key_prefix_len, l->pattern, l->pattern_len);
    p = (char *)lr->s[REDIS_L_RECORD];
    memcpy(p, rc->key_prefix, plen);
    memcpy(p + plen, "learned:", 8);
    memcpy(p + plen + 8, l->pattern, l->pattern_len);
    memcpy((char *)lr->s[REDIS_L_ROUTE], l->route, lens[REDIS_L_ROUTE]);
    memcpy((char *)lr->s[REDIS_L_TEXT], l->text, l->text_len);
    memcpy((char *)lr->s[REDIS_L_HOST], l->host, l->host_len);
    memcpy((char *)lr->s[REDIS_L_CLASS], l->cls, lens[REDIS_L_CLASS]);
    lr->rc = rc;
    lr->gen = rc->gen;
    lr->ttl_s = l->ttl_s;
    lr->time = (long long)l->time;
    return lr;
}

/* Write a learned override without waiting (see redis.h). */
int redis_client_learn(struct redis_client *rc, const struct redis_learned *l, char *err,
                       size_t errsize)
{
    struct redis_learn_req *lr;
    char ttl[16];
    const char *argv[6] = {"SET", NULL, NULL, "NX", "EX", ttl};
    size_t lens[6] = {3, 0, 0, 2, 2, 0};

    if (!redis_client_synced(rc) || rc->main == NULL) {
        snprintf(err, errsize, "Redis is not connected and in sync");
        return -1;
    }
    if (l->ttl_s == 0) {
        snprintf(err, errsize, "a TTL of 0 s");
        return -1;
    }
    if ((lr = redis_learn_req_new(rc, l)) == NULL) {
        snprintf(err, errsize, "out of memory");
        return -1;
    }
    lens[5] = (size_t)snprintf(ttl, sizeof(ttl), "%u", l->ttl_s);
    argv[1] = lr->s[REDIS_L_KEY];
    lens[1] = lr->len[REDIS_L_KEY];
    argv[2] = lr->s[REDIS_L_ROUTE];
    lens[2] = lr->len[REDIS_L_ROUTE];
    if (redisAsyncCommandArgv(rc->main, redis_on_learn, lr, 6, argv, lens) != REDIS_OK) {
        free(lr);
        snprintf(err, errsize, "cannot send SET");
        return -1;
    }
    redis_expect(rc);
    if (rc->learn_unconfirmed) {
        snprintf(err, errsize, "Redis refused the last learned write (%s); written again",
                 rc->learn_refused);
        return 1;
    }
    return 0;
}

/* Start the client (see redis.h). */
struct redis_client *redis_client_new(struct event_base *base, const struct cfg *cfg,
                                      struct overrides *view)
{
    struct redis_client *rc;
    char err[512];
    struct timeval tick = {REDIS_TICK_MS / 1000, (REDIS_TICK_MS % 1000) * 1000};
    size_t plen;

    if (cfg->redis == NULL)
        return NULL;
    rc = calloc(1, sizeof(*rc));
    if (rc == NULL)
        goto nomem;
    rc->base = base;
    rc->view = view;
    rc->db = cfg->redis_db;
    rc->timeout_ms = cfg->redis_timeout_ms ? cfg->redis_timeout_ms : 500;
    rc->backoff_ms = REDIS_BACKOFF_MIN_MS;
    rc->endpoint = strdup(cfg->redis);
    if (rc->endpoint == NULL)
        goto nomem;
    if (redis_parse_endpoint(cfg->redis, &rc->host, &rc->port, err, sizeof(err)) < 0 ||
        (rc->port != 0 && redis_resolve(&rc->host, err, sizeof(err)) < 0)) {
        log_err("redis %s: %s", cfg->redis, err);
        goto fail;
    }
    if (cfg->redis_password_file != NULL &&
        redis_read_password(cfg->redis_password_file, &rc->password, err, sizeof(err)) < 0) {
        log_err("redis_password_file %s", err);
        goto fail;
    }
    if (cfg->redis_password_file != NULL &&
        redis_password_too_open(cfg->redis_password_file, err, sizeof(err)))
        log_warn("redis_password_file %s", err);
    if (cfg->redis_username != NULL && (rc->username = strdup(cfg->redis_username)) == NULL)
        goto nomem;
    if (cfg->redis_username != NULL && rc->password == NULL) {
        log_err("redis: redis_username needs redis_password_file");
        goto fail;
    }
    plen = strlen(cfg->redis_prefix ? cfg->redis_prefix : "");
    rc->key_prefix_len = plen + 6;
    rc->key_prefix = malloc(plen + 8);
    rc->match = redis_match_pattern(cfg->redis_prefix ? cfg->redis_prefix : "");
    if (rc->key_prefix == NULL || rc->match == NULL)
        goto nomem;
    snprintf(rc->key_prefix, plen + 8, "%sroute:", cfg->redis_prefix ? cfg->redis_prefix : "");
    rc->watchdog = evtimer_new(base, redis_on_watchdog, rc);
    rc->retry = evtimer_new(base, redis_on_retry, rc);
    rc->tick = event_new(base, -1, EV_PERSIST, redis_on_tick, rc);
    if (rc->watchdog == NULL || rc->retry == NULL || rc->tick == NULL)
        goto nomem;
    evtimer_add(rc->tick, &tick);
    redis_connect(rc);
    return rc;

nomem:
    log_err("redis: out of memory");
fail:
    redis_client_free(rc);
    return NULL;
}

/* Log one invalid value of the live view (overrides_foreach callback). */
static int redis_check_entry(const char *pattern, size_t plen, const char *value, size_t vlen,
                             uint64_t at, void *arg)
{
    struct redis_client *rc = arg;
    char err[256];

    if (!redis_value_ok(rc, value, vlen, err, sizeof(err)))
        redis_log_invalid(rc, pattern, plen, "bad route", err);
    return 0;
}

/* Set the routes values are checked against; log what they make invalid. */
void redis_client_set_routes(struct redis_client *rc, const struct routes *routes)
{
    if (rc == NULL)
        return;
    rc->routes = routes;
    if (routes != NULL)
        overrides_foreach(rc->view, redis_check_entry, rc);
}

/* Whether the view is currently in sync. */
int redis_client_synced(const struct redis_client *rc)
{
    return rc != NULL && rc->state == REDIS_ST_SYNCED;
}

/* How far the view may be behind Redis, in ms. */
int64_t redis_client_view_age_ms(const struct redis_client *rc, uint64_t now_ms)
{
    if (rc == NULL || !overrides_loaded(rc->view))
        return -1;
    if (rc->state == REDIS_ST_SYNCED)
        return 0;
    return now_ms > rc->sync_lost_ms ? (int64_t)(now_ms - rc->sync_lost_ms) : 0;
}

/* Disconnect, free everything; accepts NULL. */
void redis_client_free(struct redis_client *rc)
{
    redisAsyncContext *m, *s;

    if (rc == NULL)
        return;
    m = rc->main;
    s = rc->sub;
    rc->main = rc->sub = NULL;
    rc->gen++;
    if (m != NULL)
        redisAsyncFree(m);
    if (s != NULL)
        redisAsyncFree(s);
    redis_load_abort(rc);
    if (rc->watchdog != NULL)
        event_free(rc->watchdog);
    if (rc->retry != NULL)
        event_free(rc->retry);
    if (rc->tick != NULL)
        event_free(rc->tick);
    free(rc->endpoint);
    free(rc->host);
    free(rc->username);
    if (rc->password != NULL)
        memset(rc->password, 0, strlen(rc->password));
    free(rc->password);
    free(rc->key_prefix);
    free(rc->match);
    free(rc);
}
