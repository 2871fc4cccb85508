/*
 * conn.c - client connections: an explicit state machine from bytes to answers.
 *
 * One module owns the list of connections (struct conn_set): conn_new adds a
 * connection, conn_free removes it, and nothing else touches the list. Each
 * connection gets what it needs from the daemon once, in struct conn_ctx.
 *
 * Every decoded request takes a struct conn_req from the connection's queue, in
 * arrival order. An answer decided at once for the oldest request goes straight
 * into the output buffer (no copy); an answer for a later request, while an
 * earlier one waits, is held in its request and moved to the output when every
 * earlier one is answered. Choices left open by SPEC: at most CONN_QUEUE_MAX
 * requests in flight per connection (reading pauses beyond that, like it does
 * while the peer does not read its answers); after the peer closes, the requests
 * it sent are still answered (waiting ones included) before the connection closes.
 * request_timeout runs from the moment part of a request waits for the rest until
 * the request is complete: time between requests, and time we do not read because
 * the peer does not read its answers or every queue slot waits, does not count.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/queue.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "cfg.h"
#include "conn.h"
#include "decide.h"
#include "log.h"
#include "monotime.h"
#include "netstring.h"
#include "policy.h"
#include "snapshot.h"
#include "sockmap.h"
#include "stats.h"

/* Stop decoding more requests while this much output waits for the peer. */
#define CONN_OUT_HIGH (256 * 1024)
/* Bytes read per read(2). */
#define CONN_READ_CHUNK 16384
/* Requests in flight per connection: decoded, not yet moved to the output. */
#define CONN_QUEUE_MAX 32
/* The longest a closing connection reads and drops input after its last answer. */
#define CONN_LINGER_MS 2000
/* Reads per callback while lingering, so a flooding peer cannot hold the loop. */
#define CONN_LINGER_READS 16

enum conn_proto {
    CONN_PROTO_UNKNOWN, /* nothing received yet: the first byte decides */
    CONN_PROTO_SOCKETMAP,
    CONN_PROTO_POLICY,
};

enum conn_state {
    CONN_READING, /* decoding requests, answering as they complete */
    CONN_CLOSING, /* no more input: answer what is queued, write it, then linger */
    CONN_LINGER,  /* all written, our side shut: drop input until the peer closes, then close */
};

/* Why decoding stopped. */
enum conn_progress {
    CONN_NEED_INPUT, /* every complete request is taken: read more */
    CONN_OUT_FULL,   /* the output is high: write first, then decode more */
    CONN_QUEUE_FULL, /* CONN_QUEUE_MAX requests in flight: wait for an answer */
    CONN_STOPPED,    /* closing: decode nothing more */
};

/*
 * A request's life: DECIDING while its decision is made in the same callback it
 * was decoded in; WAITING after the decide hook kept it (conn_req_done follows);
 * ANSWERED when its answer is held in `ans` behind an earlier request. The oldest
 * request leaves the queue as soon as it is answered, its bytes in the output.
 */
enum conn_req_state { CONN_REQ_DECIDING, CONN_REQ_WAITING, CONN_REQ_ANSWERED };

enum conn_req_kind { CONN_REQ_TRANSPORT, CONN_REQ_EXPLAIN, CONN_REQ_POLICY };

struct conn_buf {
    char *data;
    size_t off; /* first unconsumed byte */
    size_t len; /* end of valid bytes */
    size_t cap;
};

struct conn_req {
    TAILQ_ENTRY(conn_req) link; /* the queue or the spares of conn, or the set's detached list */
    struct conn *conn;          /* NULL once detached: the connection has gone */
    struct conn_set *set;       /* NULL once the set has gone too */
    enum conn_req_state state;
    enum conn_req_kind kind;
    struct snapshot *snap; /* borrowed while deciding; a reference while waiting */
    struct addr key;       /* points into norm */
    const char *raw;       /* the key as received, for log_lookups: input or rawcopy */
    size_t raw_len;
    struct conn_buf norm;    /* the normalised key's bytes: the request's scratch buffer */
    struct conn_buf rawcopy; /* the key as received, kept while the request waits */
    struct conn_buf ans;     /* the answer, held while an earlier request is unanswered */
    uint64_t t0;             /* when it was decoded (monotime_ns) */
};

TAILQ_HEAD(conn_req_list, conn_req);

struct conn {
    TAILQ_ENTRY(conn) link; /* in set->conns */
    struct conn_set *set;
    struct event *ev_read;
    struct event *ev_write;
    struct event *ev_request; /* request_timeout, while a request is partly received */
    int fd;
    enum conn_proto proto;
    enum conn_state state;
    int write_wait; /* output blocked: reading is paused until it drains */
    int reading;    /* the read event (with the idle timeout) is armed */
    int eof;        /* the peer closed, or we are shutting down: no more input */
    int hup;        /* the peer closed (or failed): its kernel buffer holds nothing unread */
    int timing;     /* ev_request is armed */
    int took;       /* a request was taken from the input since the timer was armed */
    size_t scanned; /* policy: pending bytes known to hold no end of request */
    struct conn_buf in;
    struct conn_buf out;
    struct conn_req_list queue; /* requests in arrival order */
    struct conn_req_list spare; /* answered requests kept for reuse */
    unsigned nqueue;
    unsigned long requests;
    char peer[176];
};

struct conn_set {
    TAILQ_HEAD(, conn) conns;
    struct conn_req_list detached; /* waiting requests whose connection has gone */
    unsigned count;
    unsigned long waiting;
    struct conn_ctx ctx;
    const struct timeval *idle_tv;    /* libevent common timeout for idle connections */
    const struct timeval *request_tv; /* the same for request_timeout; NULL: no limit */
    const struct timeval *linger_tv;  /* the same for CONN_LINGER_MS */
    struct log_limit timeout_limit;   /* "request not complete" lines */
    int draining;
    void (*drained)(void *arg);
    void *drained_arg;
};

static void conn_read_cb(evutil_socket_t fd, short what, void *arg);
static void conn_write_cb(evutil_socket_t fd, short what, void *arg);
static int conn_pump(struct conn *c);

/* Make room for `need` more bytes at the end of b; 0 or -1 (allocation failure). */
static int conn_buf_reserve(struct conn_buf *b, size_t need)
{
    size_t cap;
    char *data;

    if (b->off > 0 && b->off == b->len)
        b->off = b->len = 0;
    if (b->cap - b->len >= need)
        return 0;
    if (b->off > 0) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
        if (b->cap - b->len >= need)
            return 0;
    }
    if (need > SIZE_MAX / 2 - b->len)
        return -1;
    cap = b->cap ? b->cap : 512;
    while (cap - b->len < need)
        cap *= 2;
    data = realloc(b->data, cap);
    if (data == NULL)
        return -1;
    b->data = data;
    b->cap = cap;
    return 0;
}

/* The current snapshot, as the daemon has it now. */
static struct snapshot *conn_snapshot(const struct conn *c)
{
    return c->set->ctx.snapshot(c->set->ctx.arg);
}

/* Free a request's memory (it is in no list any more). */
static void conn_req_free(struct conn_req *r)
{
    free(r->norm.data);
    free(r->rawcopy.data);
    free(r->ans.data);
    free(r);
}

/* A request for the next decoded message, at the tail of the queue; NULL when out of memory. */
static struct conn_req *conn_req_new(struct conn *c)
{
    struct conn_req *r = TAILQ_FIRST(&c->spare);

    if (r != NULL) {
        TAILQ_REMOVE(&c->spare, r, link);
    } else if ((r = calloc(1, sizeof(*r))) == NULL) {
        return NULL;
    }
    r->conn = c;
    r->set = c->set;
    r->state = CONN_REQ_DECIDING;
    r->snap = NULL;
    r->raw = NULL;
    r->raw_len = 0;
    r->ans.off = r->ans.len = 0;
    r->t0 = monotime_ns();
    TAILQ_INSERT_TAIL(&c->queue, r, link);
    c->nqueue++;
    return r;
}

/* Where the answer of r goes: the output when r is the oldest request, else r's own buffer. */
static struct conn_buf *conn_req_dst(struct conn_req *r)
{
    return TAILQ_FIRST(&r->conn->queue) == r ? &r->conn->out : &r->ans;
}

/*
 * r's answer is encoded: when r is the oldest request, it leaves the queue and
 * so do the answered ones behind it, their held answers appended in order.
 */
static int conn_req_answered(struct conn_req *r)
{
    struct conn *c = r->conn;
    int rc = 0;

    r->state = CONN_REQ_ANSWERED;
    while ((r = TAILQ_FIRST(&c->queue)) != NULL && r->state == CONN_REQ_ANSWERED) {
        if (r->ans.len > 0 && rc == 0) {
            rc = conn_buf_reserve(&c->out, r->ans.len);
            if (rc == 0) {
                memcpy(c->out.data + c->out.len, r->ans.data, r->ans.len);
                c->out.len += r->ans.len;
            }
        }
        r->ans.len = 0;
        TAILQ_REMOVE(&c->queue, r, link);
        c->nqueue--;
        TAILQ_INSERT_HEAD(&c->spare, r, link);
    }
    return rc;
}

/* Answer r with one socketmap reply "STATUS DATA"; 0, or -1 when out of memory. */
static int conn_req_reply(struct conn_req *r, enum sockmap_status st, const char *data, size_t dlen)
{
    struct conn_buf *b = conn_req_dst(r);
    size_t need = sockmap_reply_encode(NULL, 0, st, data, dlen);
    int rc = conn_buf_reserve(b, need);

    if (rc == 0)
        b->len += sockmap_reply_encode(b->data + b->len, need, st, data, dlen);
    return conn_req_answered(r) < 0 ? -1 : rc;
}

/* Answer r with "action=VERB[ TEXT]" LF LF; 0, or -1 when out of memory. */
static int conn_req_action(struct conn_req *r, const struct policy_action *a)
{
    struct conn_buf *b = conn_req_dst(r);
    size_t need = policy_reply_encode(NULL, 0, a);
    int rc = conn_buf_reserve(b, need);

    if (rc == 0)
        b->len += policy_reply_encode(b->data + b->len, need, a);
    return conn_req_answered(r) < 0 ? -1 : rc;
}

/* Answer r with an action that has no text. */
static int conn_req_verb(struct conn_req *r, const char *verb)
{
    struct policy_action a = {verb, "", 0};

    return conn_req_action(r, &a);
}

/* Log one answered lookup when log_lookups is on. */
static void conn_log_lookup(const struct conn *c, const char *map, const char *key, size_t klen,
                            const char *answer, size_t alen)
{
    char ekey[512], eans[512];

    log_info("lookup %s: map=%s key=%s answer=%s", c->peer, map,
             log_escape(ekey, sizeof(ekey), key, klen),
             log_escape(eans, sizeof(eans), answer, alen));
}

/* The explanation of dec into line[0..size) (size > 0), the daemon's additions included: its length. */
static size_t conn_explain(const struct conn_req *r, const struct decision *dec, char *line,
                           size_t size)
{
    const struct conn_ctx *ctx = &r->set->ctx;
    size_t n = decide_explain(dec, ctx->redis_prefix, line, size);

    if (n >= size)
        return size - 1;
    if (ctx->explain_more != NULL)
        n += ctx->explain_more(ctx->arg, dec, line + n, size - n);
    return n < size ? n : size - 1;
}

/* Answer r from its decision (SPEC 5.1 and 5.2) and log it; 0, or -1 when out of memory. */
static int conn_req_decided(struct conn_req *r, const struct decision *dec)
{
    static const char *const maps[] = {"transport", "explain", "policy"};
    static const enum stats_map smaps[] = {STATS_MAP_TRANSPORT, STATS_MAP_EXPLAIN,
                                           STATS_MAP_POLICY};
    struct policy_action act;
    char line[4096];
    size_t n;
    int rc;

    if (r->kind == CONN_REQ_EXPLAIN) {
        n = conn_explain(r, dec, line, sizeof(line));
        rc = conn_req_reply(r, SOCKMAP_OK, line, n);
    } else if (r->kind == CONN_REQ_POLICY && dec->answer == DECIDE_FOUND) {
        policy_action_for_result(dec->result, dec->result_len, &act);
        rc = conn_req_action(r, &act);
    } else if (r->kind == CONN_REQ_POLICY) {
        rc = conn_req_verb(r, dec->answer == DECIDE_NOTFOUND ? "DUNNO"
                              : dec->answer == DECIDE_TEMP
                                  ? "DEFER_IF_PERMIT 4.3.0 routing data temporarily unavailable"
                              : dec->answer == DECIDE_DNS_TEMP
                                  ? "DEFER_IF_PERMIT 4.4.3 MX lookup of the recipient domain failed"
                                  : "DEFER_IF_PERMIT 4.3.0 rule matching failed");
    } else if (dec->answer == DECIDE_FOUND) {
        rc = conn_req_reply(r, SOCKMAP_OK, dec->result, dec->result_len);
    } else if (dec->answer == DECIDE_NOTFOUND) {
        rc = conn_req_reply(r, SOCKMAP_NOTFOUND, "", 0);
    } else if (dec->answer == DECIDE_TEMP) {
        rc = conn_req_reply(r, SOCKMAP_TEMP, "routing overrides not loaded from Redis yet", 43);
    } else if (dec->answer == DECIDE_DNS_TEMP) {
        n = (size_t)snprintf(line, sizeof(line), "MX lookup of the recipient domain failed: %s",
                             dec->mx.status ? dec->mx.status : "?");
        rc = conn_req_reply(r, SOCKMAP_TEMP, line, n < sizeof(line) ? n : sizeof(line) - 1);
    } else {
        rc = conn_req_reply(r, SOCKMAP_TEMP, "rule matching failed", 20);
    }
    stats_lookup(smaps[r->kind], dec, r->t0);
    if (snapshot_cfg(r->snap)->log_lookups) {
        n = conn_explain(r, dec, line, sizeof(line));
        conn_log_lookup(r->conn, maps[r->kind], r->raw, r->raw_len, line, n);
    }
    return rc;
}

/*
 * r's key is parsed: decide now, or let the decide hook keep r for later (then
 * keep what r needs while it waits). 0, or -1 when out of memory.
 */
static int conn_req_decide(struct conn_req *r)
{
    const struct conn_ctx *ctx = &r->set->ctx;
    struct decision dec;

    if (ctx->decide == NULL) {
        decide(r->snap, ctx->ov, &r->key, monotime_ms(), &dec);
        return conn_req_decided(r, &dec);
    }
    if (ctx->decide(ctx->arg, r, &dec) == 0)
        return conn_req_decided(r, &dec);
    if (r->raw_len > 0) {
        r->rawcopy.off = r->rawcopy.len = 0;
        if (conn_buf_reserve(&r->rawcopy, r->raw_len) == 0)
            memcpy(r->rawcopy.data, r->raw, r->raw_len);
        else
            r->raw_len = 0; /* the log line loses its key, the answer stays right */
        r->raw = r->rawcopy.data;
    }
    r->snap = snapshot_ref(r->snap);
    r->state = CONN_REQ_WAITING;
    r->set->waiting++;
    return 0;
}

/*
 * Parse the key key[0..klen) of a new request of the given kind into its own
 * buffer. 1 parsed, 0 not a recipient address, -1 out of memory.
 */
static int conn_req_key_parse(struct conn_req *r, enum conn_req_kind kind, const char *key,
                              size_t klen)
{
    r->kind = kind;
    r->snap = conn_snapshot(r->conn);
    r->raw = key;
    r->raw_len = klen;
    r->norm.off = r->norm.len = 0;
    if (conn_buf_reserve(&r->norm, klen + 1) < 0)
        return -1;
    return addr_parse(key, klen, r->norm.data, klen + 1, &r->key) < 0 ? 0 : 1;
}

/* Answer a transport or explain request for key[0..klen). */
static int conn_socketmap_lookup(struct conn_req *r, enum conn_req_kind kind, const char *key,
                                 size_t klen)
{
    int explain = kind == CONN_REQ_EXPLAIN;
    int rc = conn_req_key_parse(r, kind, key, klen);

    if (rc < 0) /* never "not found" for a failure: that would misroute */
        return conn_req_reply(r, SOCKMAP_TEMP, "out of memory", 13);
    if (rc == 0) {
        stats_lookup(explain ? STATS_MAP_EXPLAIN : STATS_MAP_TRANSPORT, NULL, r->t0);
        rc = explain ? conn_req_reply(r, SOCKMAP_OK, "NOTFOUND (not a recipient address)", 34)
                     : conn_req_reply(r, SOCKMAP_NOTFOUND, "", 0);
        if (snapshot_cfg(r->snap)->log_lookups)
            conn_log_lookup(r->conn, explain ? "explain" : "transport", key, klen, "NOTFOUND", 8);
        return rc;
    }
    return conn_req_decide(r);
}

/* Answer a dsn request (a delivery status) at once: "OK DATA" or "NOTFOUND ", never an error. */
static int conn_dsn_request(struct conn_req *r, const char *key, size_t klen)
{
    const struct conn_ctx *ctx = &r->set->ctx;
    const char *data = NULL;
    size_t dlen = 0;
    int found, rc;

    r->snap = conn_snapshot(r->conn);
    found = ctx->dsn != NULL && ctx->dsn(ctx->arg, r->snap, key, klen, &data, &dlen) == 1 &&
            dlen > 0;
    if (found)
        rc = conn_req_reply(r, SOCKMAP_OK, data, dlen);
    else
        rc = conn_req_reply(r, SOCKMAP_NOTFOUND, "", 0);
    stats_dsn(found, r->t0);
    if (snapshot_cfg(r->snap)->log_lookups)
        conn_log_lookup(r->conn, "dsn", key, klen, found ? data : "NOTFOUND", found ? dlen : 8);
    return rc;
}

/* Answer one socketmap request "NAME KEY". */
static int conn_socketmap_request(struct conn_req *r, const char *p, size_t len)
{
    struct sockmap_request req;
    char text[12 + 128];

    if (sockmap_request_parse(p, len, &req) < 0)
        return conn_req_reply(r, SOCKMAP_PERM, "malformed request: expected \"NAME KEY\"", 38);
    if (req.map == SOCKMAP_MAP_DSN)
        return conn_dsn_request(r, req.key, req.key_len);
    if (req.map != SOCKMAP_MAP_OTHER)
        return conn_socketmap_lookup(
            r, req.map == SOCKMAP_MAP_EXPLAIN ? CONN_REQ_EXPLAIN : CONN_REQ_TRANSPORT, req.key,
            req.key_len);
    memcpy(text, "unknown map ", 12);
    log_escape(text + 12, sizeof(text) - 12, req.name, req.name_len);
    return conn_req_reply(r, SOCKMAP_PERM, text, strlen(text));
}

/* Stop reading and close once the queued answers are written. */
static void conn_close_after_write(struct conn *c)
{
    c->state = CONN_CLOSING;
    if (c->reading) {
        event_del(c->ev_read);
        c->reading = 0;
    }
}

/* Whether decoding must wait: for the peer to read, or for an answer. */
static enum conn_progress conn_blocked(const struct conn *c)
{
    if (c->out.len >= CONN_OUT_HIGH)
        return CONN_OUT_FULL;
    if (c->nqueue >= CONN_QUEUE_MAX)
        return CONN_QUEUE_FULL;
    return CONN_NEED_INPUT;
}

/* Decode and answer socketmap requests until input, output or queue room runs out. */
static enum conn_progress conn_socketmap_process(struct conn *c)
{
    const struct cfg *cfg = snapshot_cfg(conn_snapshot(c));
    const char *payload, *why;
    struct conn_req *r;
    size_t plen, used;
    enum conn_progress p;
    int rc;

    while (c->in.off < c->in.len) {
        if ((p = conn_blocked(c)) != CONN_NEED_INPUT)
            return p;
        rc = netstring_decode(c->in.data + c->in.off, c->in.len - c->in.off, cfg->max_request_size,
                              &payload, &plen, &used, &why);
        if (rc == NETSTRING_NEED_MORE)
            return CONN_NEED_INPUT;
        r = conn_req_new(c);
        if (rc == NETSTRING_ERROR) {
            log_warn("%s: bad socketmap request: %s; closing", c->peer, why);
            if (r != NULL)
                conn_req_reply(r, SOCKMAP_PERM, why, strlen(why));
            conn_close_after_write(c);
            return CONN_STOPPED;
        }
        c->in.off += used;
        c->requests++;
        c->took = 1;
        if (r == NULL || conn_socketmap_request(r, payload, plen) < 0) {
            log_err("%s: out of memory; closing", c->peer);
            conn_close_after_write(c);
            return CONN_STOPPED;
        }
    }
    return CONN_NEED_INPUT;
}

/* Answer one decoded policy request. */
static int conn_policy_request(struct conn_req *r, const struct policy_request *req)
{
    int rc;

    if (req->protocol_state_len != 4 || memcmp(req->protocol_state, "RCPT", 4) != 0 ||
        req->recipient_len == 0)
        return stats_lookup(STATS_MAP_POLICY, NULL, r->t0), conn_req_verb(r, "DUNNO");
    rc = conn_req_key_parse(r, CONN_REQ_POLICY, req->recipient, req->recipient_len);
    if (rc < 0)
        return -1;
    if (rc == 0)
        return stats_lookup(STATS_MAP_POLICY, NULL, r->t0), conn_req_verb(r, "DUNNO");
    return conn_req_decide(r);
}

/*
 * Whether the pending input may hold a whole policy request: an empty line, or
 * enough bytes for the decoder to rule on the size. Scans only bytes not seen
 * before, so a request that arrives a byte at a time costs linear time.
 */
static int conn_policy_ready(struct conn *c)
{
    const char *p = c->in.data + c->in.off;
    size_t len = c->in.len - c->in.off;
    size_t from = c->scanned > 2 ? c->scanned - 2 : 0;

    if (len >= POLICY_MAX_SIZE || (len > 0 && p[0] == '\n') ||
        (len > 1 && p[0] == '\r' && p[1] == '\n') ||
        memmem(p + from, len - from, "\n\n", 2) != NULL ||
        memmem(p + from, len - from, "\n\r\n", 3) != NULL || memchr(p + from, '\0', len - from))
        return 1;
    c->scanned = len;
    return 0;
}

/* Decode and answer policy requests until input, output or queue room runs out. */
static enum conn_progress conn_policy_process(struct conn *c)
{
    struct policy_request req;
    struct conn_req *r;
    const char *why;
    size_t used;
    enum conn_progress p;
    int rc;

    while (c->in.off < c->in.len) {
        if ((p = conn_blocked(c)) != CONN_NEED_INPUT)
            return p;
        if (!conn_policy_ready(c))
            return CONN_NEED_INPUT;
        rc = policy_decode(c->in.data + c->in.off, c->in.len - c->in.off, POLICY_MAX_SIZE, &req,
                           &used, &why);
        if (rc == 0)
            return CONN_NEED_INPUT;
        if (rc < 0) {
            /* Never answer garbage with an action: Postfix retries or uses its default. */
            log_warn("%s: bad policy request: %s; closing", c->peer, why);
            conn_close_after_write(c);
            return CONN_STOPPED;
        }
        c->in.off += used;
        c->scanned = 0;
        c->requests++;
        c->took = 1;
        r = conn_req_new(c);
        if (r == NULL || conn_policy_request(r, &req) < 0) {
            log_err("%s: out of memory; closing", c->peer);
            conn_close_after_write(c);
            return CONN_STOPPED;
        }
    }
    return CONN_NEED_INPUT;
}

/* Decide the protocol from the first byte, then answer what is complete. */
static enum conn_progress conn_process(struct conn *c)
{
    if (c->state != CONN_READING)
        return CONN_STOPPED;
    if (c->proto == CONN_PROTO_UNKNOWN && c->in.off < c->in.len) {
        unsigned char first = (unsigned char)c->in.data[c->in.off];

        if (first >= '0' && first <= '9') {
            c->proto = CONN_PROTO_SOCKETMAP;
        } else if ((first | 0x20) >= 'a' && (first | 0x20) <= 'z') {
            c->proto = CONN_PROTO_POLICY;
        } else {
            log_warn("%s: unknown protocol (first byte 0x%02x); closing", c->peer, first);
            conn_close_after_write(c);
            return CONN_STOPPED;
        }
    }
    if (c->proto == CONN_PROTO_SOCKETMAP)
        return conn_socketmap_process(c);
    if (c->proto == CONN_PROTO_POLICY)
        return conn_policy_process(c);
    return CONN_NEED_INPUT;
}

/* The most input one connection may buffer: one whole request plus a read's worth. */
static size_t conn_in_limit(const struct conn *c)
{
    if (c->proto == CONN_PROTO_POLICY)
        return POLICY_MAX_SIZE + CONN_READ_CHUNK;
    return snapshot_cfg(conn_snapshot(c))->max_request_size + 32 + CONN_READ_CHUNK;
}

/* Read what the socket has; returns 0, or -1 when the peer is gone (EOF or error). */
static int conn_read(struct conn *c)
{
    size_t room, used, limit = conn_in_limit(c);
    ssize_t n;

    if (conn_buf_reserve(&c->in, CONN_READ_CHUNK) < 0)
        return -1;
    used = c->in.len - c->in.off;
    room = c->in.cap - c->in.len;
    if (used >= limit)
        return 0; /* the caller sees no progress and closes */
    if (used + room > limit)
        room = limit - used;
    n = read(c->fd, c->in.data + c->in.len, room);
    if (n > 0) {
        c->in.len += (size_t)n;
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    c->hup = 1;
    return -1;
}

/* Lingering: drop what the peer sends; close when it closes, fails or the linger time is over. */
static void conn_linger_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    char drop[CONN_READ_CHUNK];
    ssize_t n = 1;
    int i;

    for (i = 0; i < CONN_LINGER_READS; i++) { /* at the end too: less left to reset */
        n = read(c->fd, drop, sizeof(drop));
        if (n <= 0)
            break;
    }
    if ((what & EV_TIMEOUT) || n == 0 ||
        (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        if (what & EV_TIMEOUT)
            log_debug(2, "%s: peer did not close within %d ms; closing", c->peer, CONN_LINGER_MS);
        conn_free(c);
    }
}

/*
 * Everything is written: end our side (the peer reads EOF after the last answer)
 * and drop its input until it closes, for CONN_LINGER_MS at most. Closing with
 * unread input would reset the connection, and the peer's kernel would throw away
 * answers it holds but has not read. Returns -1 when c was freed.
 */
static int conn_linger(struct conn *c)
{
    if (c->hup || shutdown(c->fd, SHUT_WR) < 0) {
        conn_free(c);
        return -1;
    }
    c->state = CONN_LINGER;
    event_del(c->ev_read);
    event_del(c->ev_write);
    event_del(c->ev_request);
    c->reading = c->write_wait = c->timing = 0;
    event_assign(c->ev_read, c->set->ctx.base, c->fd, EV_READ | EV_PERSIST, conn_linger_cb, c);
    event_assign(c->ev_request, c->set->ctx.base, -1, 0, conn_linger_cb, c);
    if (event_add(c->ev_read, NULL) < 0 || event_add(c->ev_request, c->set->linger_tv) < 0) {
        conn_free(c);
        return -1;
    }
    return 0;
}

/* Readable or idle: read what came, then make all the progress we can. */
static void conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    if (what & EV_TIMEOUT) {
        log_debug(1, "%s: idle timeout; closing", c->peer);
        conn_free(c);
        return;
    }
    if (conn_read(c) < 0)
        c->eof = 1; /* peer closed (or failed): answer what it sent, then close */
    conn_pump(c);
}

/* Writable again (or the peer stopped reading for idle_timeout). */
static void conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;

    if (what & EV_TIMEOUT) {
        log_debug(1, "%s: peer does not read its answers; closing", c->peer);
        conn_free(c);
        return;
    }
    conn_pump(c);
}

/* Send pending output: 1 all sent, 0 blocked (wait for writable), -1 failed. */
static int conn_write(struct conn *c)
{
    ssize_t n;

    while (c->out.off < c->out.len) {
        n = send(c->fd, c->out.data + c->out.off, c->out.len - c->out.off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        if (n <= 0)
            return -1;
        c->out.off += (size_t)n;
    }
    c->out.off = c->out.len = 0;
    return 1;
}

/*
 * Time the request the peer is sending: armed when part of a request waits for
 * the rest while we read, re-armed when a new request has begun since, disarmed
 * when none is partly received or we are not reading.
 */
static void conn_time_request(struct conn *c)
{
    int partial = c->reading && c->in.off < c->in.len;

    if (c->set->request_tv == NULL)
        return;
    if (partial && (!c->timing || c->took)) {
        event_add(c->ev_request, c->set->request_tv);
        c->timing = 1;
    } else if (!partial && c->timing) {
        event_del(c->ev_request);
        c->timing = 0;
    }
    c->took = 0;
}

/* A request was not complete within request_timeout: close (logged, rate-limited). */
static void conn_request_cb(evutil_socket_t fd, short what, void *arg)
{
    struct conn *c = arg;
    unsigned long quiet;

    c->timing = 0;
    if (log_limit_pass(&c->set->timeout_limit, time(NULL), &quiet)) {
        if (quiet)
            log_warn("%s: request not complete within request_timeout; closing (and %lu more "
                     "closed in the last second)",
                     c->peer, quiet);
        else
            log_warn("%s: request not complete within request_timeout; closing", c->peer);
    }
    conn_close_after_write(c);
    conn_pump(c);
}

/*
 * The one place that moves a connection on: answer complete requests, write the
 * answers, and leave at most one event armed (read with the idle timeout, or
 * write while the peer is not reading; none while every queue slot waits for a
 * decision), or free the connection when it is done. Returns -1 when c was freed.
 */
static int conn_pump(struct conn *c)
{
    enum conn_progress p;
    int rc;

    do {
        p = conn_process(c);
        if (p == CONN_NEED_INPUT) {
            if (c->eof) {
                conn_close_after_write(c);
            } else if (c->in.len - c->in.off >= conn_in_limit(c)) {
                log_warn("%s: request over the size limit; closing", c->peer);
                conn_close_after_write(c);
            }
        }
        rc = conn_write(c);
        if (rc < 0) {
            conn_free(c);
            return -1;
        }
        if (rc == 0) {
            if (!c->write_wait) {
                c->write_wait = 1;
                if (c->reading) {
                    event_del(c->ev_read);
                    c->reading = 0;
                }
                event_add(c->ev_write, c->set->idle_tv);
                conn_time_request(c);
            }
            return 0;
        }
    } while (p == CONN_OUT_FULL);
    if (c->state == CONN_CLOSING && c->nqueue == 0)
        return conn_linger(c);
    if (c->write_wait) {
        c->write_wait = 0;
        event_del(c->ev_write);
    }
    if (c->state == CONN_READING && !c->eof && p != CONN_QUEUE_FULL) {
        if (!c->reading) {
            event_add(c->ev_read, c->set->idle_tv);
            c->reading = 1;
        }
    } else if (c->reading) {
        event_del(c->ev_read);
        c->reading = 0;
    }
    conn_time_request(c);
    return 0;
}

/* The normalised key of a request. */
const struct addr *conn_req_key(const struct conn_req *req)
{
    return &req->key;
}

/* The snapshot a request started with. */
struct snapshot *conn_req_snapshot(const struct conn_req *req)
{
    return req->snap;
}

/* Finish a waiting request: answer in order, or free it when its connection has gone. */
void conn_req_done(struct conn_req *req, const struct decision *dec)
{
    struct snapshot *snap = req->snap;
    struct conn *c = req->conn;

    if (req->set != NULL)
        req->set->waiting--;
    if (c == NULL) {
        if (req->set != NULL)
            TAILQ_REMOVE(&req->set->detached, req, link);
        conn_req_free(req);
        snapshot_unref(snap);
        return;
    }
    req->state = CONN_REQ_DECIDING;
    if (conn_req_decided(req, dec) < 0) {
        log_err("%s: out of memory; closing", c->peer);
        conn_close_after_write(c);
    }
    snapshot_unref(snap);
    conn_pump(c);
}

/* A new, empty set of connections. */
struct conn_set *conn_set_new(const struct conn_ctx *ctx)
{
    struct conn_set *s = calloc(1, sizeof(*s));
    struct timeval idle;

    if (s == NULL)
        return NULL;
    TAILQ_INIT(&s->conns);
    TAILQ_INIT(&s->detached);
    s->ctx = *ctx;
    idle = monotime_tv(ctx->idle_timeout_ms);
    s->idle_tv = event_base_init_common_timeout(ctx->base, &idle);
    if (ctx->request_timeout_ms > 0) {
        idle = monotime_tv(ctx->request_timeout_ms);
        s->request_tv = event_base_init_common_timeout(ctx->base, &idle);
    }
    idle = monotime_tv(CONN_LINGER_MS);
    s->linger_tv = event_base_init_common_timeout(ctx->base, &idle);
    if (s->idle_tv == NULL || s->linger_tv == NULL ||
        (ctx->request_timeout_ms > 0 && s->request_tv == NULL)) {
        free(s);
        return NULL;
    }
    return s;
}

/* Close every connection and free the set. */
void conn_set_free(struct conn_set *s)
{
    struct conn_req *r;

    if (s == NULL)
        return;
    s->drained = NULL;
    while (!TAILQ_EMPTY(&s->conns))
        conn_free(TAILQ_FIRST(&s->conns));
    /* Waiting requests outlive the set: conn_req_done frees them without it. */
    while ((r = TAILQ_FIRST(&s->detached)) != NULL) {
        TAILQ_REMOVE(&s->detached, r, link);
        r->set = NULL;
    }
    free(s);
}

/* Open connections. */
unsigned conn_set_count(const struct conn_set *s)
{
    return s->count;
}

/* Requests waiting for conn_req_done. */
unsigned long conn_set_waiting(const struct conn_set *s)
{
    return s->waiting;
}

/* Shutting down: answer what was received (one last read), write it, then close. */
static void conn_drain(struct conn *c)
{
    if (c->state == CONN_LINGER)
        return; /* done already: it closes within CONN_LINGER_MS */
    if (c->state == CONN_READING && !c->write_wait && !c->eof)
        conn_read(c);
    c->eof = 1;
    conn_pump(c);
}

/* Let every connection finish; done(arg) when the last is gone. */
void conn_set_drain(struct conn_set *s, void (*done)(void *arg), void *arg)
{
    struct conn *c, *next;

    s->draining = 1;
    if (TAILQ_EMPTY(&s->conns)) {
        done(arg);
        return;
    }
    s->drained = done;
    s->drained_arg = arg;
    for (c = TAILQ_FIRST(&s->conns); c != NULL; c = next) {
        next = TAILQ_NEXT(c, link);
        conn_drain(c);
    }
}

/* Take over a connected socket and add it to the set. */
struct conn *conn_new(struct conn_set *s, int fd, const char *peer)
{
    struct conn *c = s->draining ? NULL : calloc(1, sizeof(*c));

    if (c == NULL)
        goto fail;
    c->set = s;
    c->fd = fd;
    TAILQ_INIT(&c->queue);
    TAILQ_INIT(&c->spare);
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->ev_read = event_new(s->ctx.base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
    c->ev_write = event_new(s->ctx.base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
    c->ev_request = evtimer_new(s->ctx.base, conn_request_cb, c);
    if (c->ev_read == NULL || c->ev_write == NULL || c->ev_request == NULL)
        goto fail;
    event_add(c->ev_read, s->idle_tv);
    c->reading = 1;
    TAILQ_INSERT_HEAD(&s->conns, c, link);
    s->count++;
    return c;
fail:
    if (c != NULL) {
        if (c->ev_read)
            event_free(c->ev_read);
        if (c->ev_write)
            event_free(c->ev_write);
        if (c->ev_request)
            event_free(c->ev_request);
        free(c);
    }
    close(fd);
    return NULL;
}

/* Close and free a connection; it leaves the set, waiting requests are detached. */
void conn_free(struct conn *c)
{
    struct conn_set *s;
    struct conn_req *r;

    if (c == NULL)
        return;
    s = c->set;
    log_debug(2, "%s: closed after %lu requests", c->peer, c->requests);
    event_free(c->ev_read);
    event_free(c->ev_write);
    event_free(c->ev_request);
    close(c->fd);
    free(c->in.data);
    free(c->out.data);
    while ((r = TAILQ_FIRST(&c->queue)) != NULL) {
        TAILQ_REMOVE(&c->queue, r, link);
        if (r->state == CONN_REQ_WAITING) {
            r->conn = NULL;
            TAILQ_INSERT_TAIL(&s->detached, r, link);
        } else {
            conn_req_free(r);
        }
    }
    while ((r = TAILQ_FIRST(&c->spare)) != NULL) {
        TAILQ_REMOVE(&c->spare, r, link);
        conn_req_free(r);
    }
    TAILQ_REMOVE(&s->conns, c, link);
    s->count--;
    free(c);
    if (s->draining && TAILQ_EMPTY(&s->conns) && s->drained != NULL) {
        void (*done)(void *) = s->drained;

        s->drained = NULL;
        done(s->drained_arg);
    }
}
