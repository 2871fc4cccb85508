/* conn.h - client connections: protocol detection, framing, answers in order, limits. */
#ifndef POLICYD_CONN_H
#define POLICYD_CONN_H

#include <event2/event.h>

struct addr;
struct decision;
struct overrides;
struct snapshot;

struct conn_set; /* every open connection: the one owner of the list */
struct conn;     /* one client connection */
struct conn_req; /* one decoded request of a connection, until its answer is queued */

/*
 * What connections need from the daemon, given once to conn_set_new (copied). No
 * connection reaches into the server: this is all they see of it.
 */
struct conn_ctx {
    struct event_base *base;
    unsigned idle_timeout_ms;    /* close a connection that sent nothing for this long */
    unsigned request_timeout_ms; /* a request once begun must be complete in this; 0: no limit */
    const char *redis_prefix;   /* for explanations, NULL without Redis; borrowed, outlives the set */
    const struct overrides *ov; /* may be NULL; borrowed, outlives the set */
    /* The current snapshot, borrowed for one callback; asked once per request. */
    struct snapshot *(*snapshot)(void *arg);
    /*
     * Optional decision step (see "Requests that wait" below). NULL: every request
     * is decided at once with decide(). Returns 0 when *dec holds the decision now,
     * or 1 when req waits and will be finished later with conn_req_done.
     */
    int (*decide)(void *arg, struct conn_req *req, struct decision *dec);
    /*
     * The dsn map (NULL: every key answers "NOTFOUND "), synchronous: never waits.
     * snap is the request's snapshot (borrowed). Returns 1 when data[0..*len) (borrowed
     * until the next call) replaces the status ("OK DATA"), else 0 ("NOTFOUND ").
     */
    int (*dsn)(void *arg, struct snapshot *snap, const char *key, size_t klen, const char **data,
               size_t *len);
    /* Optional: more words for an explanation of dec (what taught a learned route), like
     * snprintf into buf[0..size); 0 for nothing. */
    size_t (*explain_more)(void *arg, const struct decision *dec, char *buf, size_t size);
    void *arg;
};

/* A new, empty set of connections on ctx->base; NULL on allocation failure. */
struct conn_set *conn_set_new(const struct conn_ctx *ctx);
/* Close every connection (waiting requests are detached, see below); accepts NULL. */
void conn_set_free(struct conn_set *s);
/* Open connections. */
unsigned conn_set_count(const struct conn_set *s);
/* Requests waiting for conn_req_done, detached ones included. */
unsigned long conn_set_waiting(const struct conn_set *s);
/*
 * Shutting down: each connection answers what it has received (one last read),
 * writes it and closes; done(arg) runs once when the last one is gone (at once
 * when there is none). Later conn_new calls are refused.
 */
void conn_set_drain(struct conn_set *s, void (*done)(void *arg), void *arg);

/*
 * Take over the connected, non-blocking socket fd from peer (a printable name for
 * logs) and add it to s. Returns the connection, or NULL (fd closed) on allocation
 * failure or while draining. It removes itself from s when it closes.
 */
struct conn *conn_new(struct conn_set *s, int fd, const char *peer);
/* Close now, whatever is pending, and leave the set; accepts NULL. */
void conn_free(struct conn *c);

/*
 * Requests that wait.
 *
 * Every decoded request gets a struct conn_req, queued on its connection in
 * arrival order (at most a small fixed number per connection; reading pauses
 * while the queue is full). Its answer is written when it and every earlier
 * request are answered, so answers leave strictly in arrival order whatever order
 * the decisions come in. The objects are kept for reuse: the hot path allocates
 * nothing once a connection has answered its first request.
 *
 * A decision may wait (for DNS, say). The ctx->decide hook is asked for every
 * request that needs a decision. To answer later it keeps req and returns 1; from
 * then on req is WAITING: it holds a reference to the snapshot it started with
 * and a copy of its key, and the hook's owner must call conn_req_done(req, dec)
 * exactly once, from the loop thread, from a later callback (never from inside
 * the hook: to answer at once, fill *dec and return 0).
 *
 * A connection that closes while a request waits (the peer went away, a timeout,
 * conn_set_free) detaches the request instead of freeing it: conn_req_done then
 * frees it without writing anything. Each request is freed exactly once, either
 * with its connection or by conn_req_done.
 */

/* The normalised key (borrowed from req; valid until conn_req_done). */
const struct addr *conn_req_key(const struct conn_req *req);
/* The snapshot the request started with (borrowed; a reference is held while it waits). */
struct snapshot *conn_req_snapshot(const struct conn_req *req);
/*
 * Finish a waiting request with its decision (borrowed for this call only): its
 * answer is queued and written in order, or dropped when the connection is gone.
 * Frees nothing the caller owns; req must not be used afterwards.
 */
void conn_req_done(struct conn_req *req, const struct decision *dec);

#endif
