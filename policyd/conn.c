/* conn.c - one client connection: an explicit state machine from bytes to answers. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addr.h"
#include "cfg.h"
#include "conn.h"
#include "decide.h"
#include "log.h"
#include "netstring.h"
#include "policy.h"
#include "server.h"
#include "sockmap.h"

/* Stop decoding more requests while this much output waits for the peer. */
#define CONN_OUT_HIGH (256 * 1024)
/* Bytes read per read(2). */
#define CONN_READ_CHUNK 16384

enum conn_proto {
    CONN_PROTO_UNKNOWN, /* nothing received yet: the first byte decides */
    CONN_PROTO_SOCKETMAP,
    CONN_PROTO_POLICY,
};

enum conn_state {
    CONN_READING, /* decoding requests, answering as they complete */
    CONN_CLOSING, /* no more input: write what is pending, then close */
};

struct conn_buf {
    char *data;
    size_t off; /* first unconsumed byte */
    size_t len; /* end of valid bytes */
    size_t cap;
};

struct conn {
    struct server *srv;
    struct event *ev_read;
    struct event *ev_write;
    int fd;
    enum conn_proto proto;
    enum conn_state state;
    int write_wait; /* output blocked: reading is paused until it drains */
    int reading;    /* the read event (with the idle timeout) is armed */
    int eof;        /* the peer closed, or we are shutting down: no more input */
    size_t scanned; /* policy: pending bytes known to hold no end of request */
    struct conn_buf in;
    struct conn_buf out;
    unsigned long requests;
    struct conn *next, *prev;
    char peer[176];
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

/* Append one socketmap reply "STATUS DATA" to the output. */
static int conn_reply(struct conn *c, enum sockmap_status st, const char *data, size_t dlen)
{
    size_t need = sockmap_reply_encode(NULL, 0, st, data, dlen);

    if (conn_buf_reserve(&c->out, need) < 0)
        return -1;
    c->out.len += sockmap_reply_encode(c->out.data + c->out.len, need, st, data, dlen);
    return 0;
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

/* Answer a transport or explain request for key[0..klen). */
static int conn_socketmap_lookup(struct conn *c, int explain, const char *key, size_t klen)
{
    struct snapshot *snap = server_snapshot(c->srv);
    const struct cfg *cfg = snapshot_cfg(snap);
    char line[4096];
    struct decision dec;
    struct addr a;
    char *buf = server_scratch(c->srv, klen + 1);
    size_t n;
    int rc;

    if (buf == NULL) /* never "not found" for a failure: that would misroute */
        return conn_reply(c, SOCKMAP_TEMP, "out of memory", 13);
    if (addr_parse(key, klen, buf, klen + 1, &a) < 0) {
        rc = explain ? conn_reply(c, SOCKMAP_OK, "NOTFOUND (not a recipient address)", 35)
                     : conn_reply(c, SOCKMAP_NOTFOUND, "", 0);
        if (cfg->log_lookups)
            conn_log_lookup(c, explain ? "explain" : "transport", key, klen, "NOTFOUND", 8);
        return rc;
    }
    decide(snap, server_overrides(c->srv), &a, overrides_now_ms(), &dec);
    if (explain) {
        n = decide_explain(&dec, server_redis_prefix(c->srv), line, sizeof(line));
        if (n >= sizeof(line))
            n = sizeof(line) - 1;
        rc = conn_reply(c, SOCKMAP_OK, line, n);
    } else if (dec.answer == DECIDE_FOUND) {
        rc = conn_reply(c, SOCKMAP_OK, dec.result, dec.result_len);
    } else if (dec.answer == DECIDE_NOTFOUND) {
        rc = conn_reply(c, SOCKMAP_NOTFOUND, "", 0);
    } else if (dec.answer == DECIDE_TEMP) {
        rc = conn_reply(c, SOCKMAP_TEMP, "routing overrides not loaded from Redis yet", 43);
    } else {
        rc = conn_reply(c, SOCKMAP_TEMP, "rule matching failed", 20);
    }
    if (cfg->log_lookups) {
        n = decide_explain(&dec, server_redis_prefix(c->srv), line, sizeof(line));
        conn_log_lookup(c, explain ? "explain" : "transport", key, klen, line,
                        n < sizeof(line) ? n : sizeof(line) - 1);
    }
    return rc;
}

/* Answer one socketmap request "NAME KEY". */
static int conn_socketmap_request(struct conn *c, const char *p, size_t len)
{
    struct sockmap_request req;
    char text[12 + 128];

    if (sockmap_request_parse(p, len, &req) < 0)
        return conn_reply(c, SOCKMAP_PERM, "malformed request: expected \"NAME KEY\"", 38);
    if (req.map != SOCKMAP_MAP_OTHER)
        return conn_socketmap_lookup(c, req.map == SOCKMAP_MAP_EXPLAIN, req.key, req.key_len);
    memcpy(text, "unknown map ", 12);
    log_escape(text + 12, sizeof(text) - 12, req.name, req.name_len);
    return conn_reply(c, SOCKMAP_PERM, text, strlen(text));
}

/* Stop reading and close once the pending output is written. */
static void conn_close_after_write(struct conn *c)
{
    c->state = CONN_CLOSING;
    if (c->reading) {
        event_del(c->ev_read);
        c->reading = 0;
    }
}

/* Decode and answer socketmap requests; 1 when it stopped only because output is high. */
static int conn_socketmap_process(struct conn *c)
{
    const struct cfg *cfg = snapshot_cfg(server_snapshot(c->srv));
    const char *payload, *why;
    size_t plen, used;
    int rc;

    while (c->state == CONN_READING && c->in.off < c->in.len && c->out.len < CONN_OUT_HIGH) {
        rc = netstring_decode(c->in.data + c->in.off, c->in.len - c->in.off, cfg->max_request_size,
                              &payload, &plen, &used, &why);
        if (rc == NETSTRING_NEED_MORE)
            return 0;
        if (rc == NETSTRING_ERROR) {
            log_warn("%s: bad socketmap request: %s; closing", c->peer, why);
            conn_reply(c, SOCKMAP_PERM, why, strlen(why));
            conn_close_after_write(c);
            return 0;
        }
        c->in.off += used;
        c->requests++;
        if (conn_socketmap_request(c, payload, plen) < 0) {
            log_err("%s: out of memory; closing", c->peer);
            conn_close_after_write(c);
            return 0;
        }
    }
    return c->state == CONN_READING && c->in.off < c->in.len;
}

/* Append "action=VERB[ TEXT]" LF LF to the output. */
static int conn_policy_action(struct conn *c, const struct policy_action *a)
{
    size_t need = policy_reply_encode(NULL, 0, a);

    if (conn_buf_reserve(&c->out, need) < 0)
        return -1;
    c->out.len += policy_reply_encode(c->out.data + c->out.len, need, a);
    return 0;
}

/* Append an action without text. */
static int conn_policy_reply(struct conn *c, const char *verb)
{
    struct policy_action a = {verb, "", 0};

    return conn_policy_action(c, &a);
}

/* Answer one decoded policy request. */
static int conn_policy_request(struct conn *c, const struct policy_request *req)
{
    struct snapshot *snap = server_snapshot(c->srv);
    struct policy_action act;
    struct decision dec;
    struct addr a;
    char *buf;
    char line[4096];
    size_t n;
    int rc;

    if (req->protocol_state_len != 4 || memcmp(req->protocol_state, "RCPT", 4) != 0 ||
        req->recipient_len == 0)
        return conn_policy_reply(c, "DUNNO");
    buf = server_scratch(c->srv, req->recipient_len + 1);
    if (buf == NULL)
        return -1;
    if (addr_parse(req->recipient, req->recipient_len, buf, req->recipient_len + 1, &a) < 0)
        return conn_policy_reply(c, "DUNNO");
    decide(snap, server_overrides(c->srv), &a, overrides_now_ms(), &dec);
    if (dec.answer == DECIDE_FOUND) {
        policy_action_for_result(dec.result, dec.result_len, &act);
        rc = conn_policy_action(c, &act);
    }
    else if (dec.answer == DECIDE_NOTFOUND)
        rc = conn_policy_reply(c, "DUNNO");
    else if (dec.answer == DECIDE_TEMP)
        rc = conn_policy_reply(c, "DEFER_IF_PERMIT 4.3.0 routing data temporarily unavailable");
    else
        rc = conn_policy_reply(c, "DEFER_IF_PERMIT 4.3.0 rule matching failed");
    if (snapshot_cfg(snap)->log_lookups) {
        n = decide_explain(&dec, server_redis_prefix(c->srv), line, sizeof(line));
        conn_log_lookup(c, "policy", req->recipient, req->recipient_len, line,
                        n < sizeof(line) ? n : sizeof(line) - 1);
    }
    return rc;
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

/* Decode and answer policy requests; 1 when it stopped only because output is high. */
static int conn_policy_process(struct conn *c)
{
    struct policy_request req;
    const char *why;
    size_t used;
    int rc;

    while (c->state == CONN_READING && c->in.off < c->in.len && c->out.len < CONN_OUT_HIGH) {
        if (!conn_policy_ready(c))
            return 0;
        rc = policy_decode(c->in.data + c->in.off, c->in.len - c->in.off, POLICY_MAX_SIZE, &req,
                           &used, &why);
        if (rc == 0)
            return 0;
        if (rc < 0) {
            /* Never answer garbage with an action: Postfix retries or uses its default. */
            log_warn("%s: bad policy request: %s; closing", c->peer, why);
            conn_close_after_write(c);
            return 0;
        }
        c->in.off += used;
        c->scanned = 0;
        c->requests++;
        if (conn_policy_request(c, &req) < 0) {
            log_err("%s: out of memory; closing", c->peer);
            conn_close_after_write(c);
            return 0;
        }
    }
    return c->state == CONN_READING && c->in.off < c->in.len;
}

/* Decide the protocol from the first byte, then answer what is complete (1: output high). */
static int conn_process(struct conn *c)
{
    if (c->proto == CONN_PROTO_UNKNOWN && c->in.off < c->in.len) {
        unsigned char first = (unsigned char)c->in.data[c->in.off];

        if (first >= '0' && first <= '9') {
            c->proto = CONN_PROTO_SOCKETMAP;
        } else if ((first | 0x20) >= 'a' && (first | 0x20) <= 'z') {
            c->proto = CONN_PROTO_POLICY;
        } else {
            log_warn("%s: unknown protocol (first byte 0x%02x); closing", c->peer, first);
            conn_close_after_write(c);
            return 0;
        }
    }
    if (c->proto == CONN_PROTO_SOCKETMAP)
        return conn_socketmap_process(c);
    if (c->proto == CONN_PROTO_POLICY)
        return conn_policy_process(c);
    return 0;
}

/* The most input one connection may buffer: one whole request plus a read's worth. */
static size_t conn_in_limit(const struct conn *c)
{
    const struct cfg *cfg = snapshot_cfg(server_snapshot(c->srv));

    if (c->proto == CONN_PROTO_POLICY)
        return POLICY_MAX_SIZE + CONN_READ_CHUNK;
    return cfg->max_request_size + 32 + CONN_READ_CHUNK;
}

/* Read what the socket has; returns 0, or -1 when the peer is gone (EOF or error). */
static int conn_read(struct conn *c)
{
    size_t room, used;
    ssize_t n;

    if (conn_buf_reserve(&c->in, CONN_READ_CHUNK) < 0)
        return -1;
    used = c->in.len - c->in.off;
    room = c->in.cap - c->in.len;
    if (used >= conn_in_limit(c))
        return 0; /* the caller sees no progress and closes */
    if (used + room > conn_in_limit(c))
        room = conn_in_limit(c) - used;
    n = read(c->fd, c->in.data + c->in.len, room);
    if (n > 0) {
        c->in.len += (size_t)n;
        return 0;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    return -1;
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
 * The one place that moves a connection on: answer complete requests, write the
 * answers, and leave exactly one event armed (read with the idle timeout, or
 * write while the peer is not reading), or free the connection when it is done.
 * Returns -1 when c was freed.
 */
static int conn_pump(struct conn *c)
{
    int more, rc;

    do {
        more = c->state == CONN_READING ? conn_process(c) : 0;
        if (!more && c->state == CONN_READING) {
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
                server_conn_arm(c->srv, c->ev_write);
            }
            return 0;
        }
    } while (more);
    if (c->state == CONN_CLOSING) {
        conn_free(c);
        return -1;
    }
    if (c->write_wait) {
        c->write_wait = 0;
        event_del(c->ev_write);
    }
    if (!c->reading) {
        server_conn_arm(c->srv, c->ev_read);
        c->reading = 1;
    }
    return 0;
}

/* Take over a connected socket. */
struct conn *conn_new(struct server *srv, struct event_base *base, int fd, const char *peer)
{
    struct conn *c = calloc(1, sizeof(*c));

    if (c == NULL)
        goto fail;
    c->srv = srv;
    c->fd = fd;
    snprintf(c->peer, sizeof(c->peer), "%s", peer);
    c->ev_read = event_new(base, fd, EV_READ | EV_PERSIST, conn_read_cb, c);
    c->ev_write = event_new(base, fd, EV_WRITE | EV_PERSIST, conn_write_cb, c);
    if (c->ev_read == NULL || c->ev_write == NULL)
        goto fail;
    server_conn_arm(srv, c->ev_read);
    c->reading = 1;
    return c;
fail:
    if (c != NULL) {
        if (c->ev_read)
            event_free(c->ev_read);
        if (c->ev_write)
            event_free(c->ev_write);
        free(c);
    }
    close(fd);
    return NULL;
}

/* Close and free a connection; the server forgets it. */
void conn_free(struct conn *c)
{
    if (c == NULL)
        return;
    log_debug(2, "%s: closed after %lu requests", c->peer, c->requests);
    event_free(c->ev_read);
    event_free(c->ev_write);
    close(c->fd);
    free(c->in.data);
    free(c->out.data);
    server_conn_gone(c->srv, c);
    free(c);
}

/* Shutting down: answer what was received (one last read), write it, then close. */
void conn_drain(struct conn *c)
{
    if (c->state == CONN_READING && !c->write_wait && !c->eof)
        conn_read(c);
    c->eof = 1;
    conn_pump(c);
}

/* Next connection in the server's list. */
struct conn *conn_next(const struct conn *c)
{
    return c->next;
}

/* Insert c at the head of a list. */
void conn_link(struct conn *c, struct conn **head)
{
    c->prev = NULL;
    c->next = *head;
    if (*head)
        (*head)->prev = c;
    *head = c;
}

/* Remove c from a list. */
void conn_unlink(struct conn *c, struct conn **head)
{
    if (c->prev)
        c->prev->next = c->next;
    else
        *head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    c->next = c->prev = NULL;
}
