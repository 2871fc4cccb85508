/*
 * nullmap.c - the do-nothing responder: the floor for a serial client.
 *
 * A single-threaded libevent server that reads socketmap netstrings and answers
 * "NOTFOUND " to each (policy requests, told by a leading letter, get "action=DUNNO").
 * It decides nothing, so the time a client spends against it is the round trip alone.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>

#include "bproto.h"

#define NULLMAP_REQ_MAX 10000 /* socketmap request payload limit, as policyd's default */
#define NULLMAP_IN_MAX 65536  /* read buffer: a whole policy request */
#define NULLMAP_OUT_MAX 65536 /* replies not yet written; more means a client not reading */

static const char nullmap_sm_reply[] = "9:NOTFOUND ,";
static const char nullmap_policy_reply[] = "action=DUNNO\n\n";

enum nullmap_proto { NULLMAP_UNKNOWN, NULLMAP_SOCKETMAP, NULLMAP_POLICY };

/* One client connection and its buffers. */
struct nullmap_conn {
    int fd;
    enum nullmap_proto proto;
    struct event *rev;
    struct event *wev;
    char in[NULLMAP_IN_MAX];
    size_t inlen;
    char out[NULLMAP_OUT_MAX];
    size_t outlen;
};

/* Close and free a connection (NULL is fine). */
static void nullmap_conn_free(struct nullmap_conn *c)
{
    if (c == NULL)
        return;
    if (c->rev)
        event_free(c->rev);
    if (c->wev)
        event_free(c->wev);
    if (c->fd >= 0)
        close(c->fd);
    free(c);
}

/* Queue one reply; -1 when the client has let too many pile up. */
static int nullmap_queue(struct nullmap_conn *c, const char *s, size_t len)
{
    if (len > sizeof(c->out) - c->outlen)
        return -1;
    memcpy(c->out + c->outlen, s, len);
    c->outlen += len;
    return 0;
}

/* Write queued replies; arm the write event for the rest. -1 when the peer is gone. */
static int nullmap_flush(struct nullmap_conn *c)
{
    size_t off = 0;

    while (off < c->outlen) {
        ssize_t n = write(c->fd, c->out + off, c->outlen - off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            break;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    memmove(c->out, c->out + off, c->outlen - off);
    c->outlen -= off;
    if (c->outlen > 0)
        event_add(c->wev, NULL);
    return 0;
}

/*
 * Answer every whole request in the input buffer, keep a partial one. Returns the bytes
 * used, or -1 for a malformed request (the connection is closed).
 */
static long nullmap_answer(struct nullmap_conn *c)
{
    size_t off = 0;

    if (c->proto == NULLMAP_UNKNOWN && c->inlen > 0) {
        unsigned char ch = (unsigned char)c->in[0];

        if (ch >= '0' && ch <= '9')
            c->proto = NULLMAP_SOCKETMAP;
        else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'z')
            c->proto = NULLMAP_POLICY;
        else
            return -1;
    }
    while (off < c->inlen) {
        const char *p;
        size_t plen, used = 0;
        int rc;

        if (c->proto == NULLMAP_SOCKETMAP) {
            rc = bproto_netstring_decode(c->in + off, c->inlen - off, NULLMAP_REQ_MAX, &p, &plen,
                                         &used);
            if (rc == BPROTO_COMPLETE &&
                nullmap_queue(c, nullmap_sm_reply, sizeof(nullmap_sm_reply) - 1) < 0)
                return -1;
        } else {
            const char *end = memmem(c->in + off, c->inlen - off, "\n\n", 2);

            rc = end ? BPROTO_COMPLETE : BPROTO_NEED_MORE;
            if (end) {
                used = (size_t)(end - (c->in + off)) + 2;
                if (nullmap_queue(c, nullmap_policy_reply, sizeof(nullmap_policy_reply) - 1) < 0)
                    return -1;
            }
        }
        if (rc == BPROTO_ERROR)
            return -1;
        if (rc == BPROTO_NEED_MORE)
            break;
        off += used;
    }
    return (long)off;
}

/* Read callback: read, answer what is complete, write the answers. */
static void nullmap_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct nullmap_conn *c = arg;
    ssize_t n;
    long used;

    if (c->inlen == sizeof(c->in))
        goto close; /* a request over the limit */
    n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0)
        goto close;
    c->inlen += (size_t)n;
    used = nullmap_answer(c);
    if (used < 0)
        goto close;
    memmove(c->in, c->in + used, c->inlen - (size_t)used);
    c->inlen -= (size_t)used;
    if (nullmap_flush(c) < 0)
        goto close;
    return;
close:
    nullmap_conn_free(c);
}

/* Write callback: the socket drained, write the rest. */
static void nullmap_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct nullmap_conn *c = arg;

    if (nullmap_flush(c) < 0)
        nullmap_conn_free(c);
}

/* Accept callback: take every pending connection. */
static void nullmap_accept_cb(evutil_socket_t lfd, short what, void *arg)
{
    struct event_base *base = arg;
    int one = 1;

    for (;;) {
        struct nullmap_conn *c;
        int fd = accept(lfd, NULL, NULL);

        if (fd < 0)
            return;
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        c = calloc(1, sizeof(*c));
        if (c == NULL || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
            free(c);
            close(fd);
            continue;
        }
        c->fd = fd;
        c->rev = event_new(base, fd, EV_READ | EV_PERSIST, nullmap_read_cb, c);
        c->wev = event_new(base, fd, EV_WRITE, nullmap_write_cb, c);
        if (c->rev == NULL || c->wev == NULL || event_add(c->rev, NULL) < 0)
            nullmap_conn_free(c);
    }
}

/* Create the listening socket on 127.0.0.1:port or a unix path; the fd or -1. */
static int nullmap_listen(int port, const char *path)
{
    struct sockaddr_in in4;
    struct sockaddr_un un;
    int one = 1, fd;

    fd = socket(path ? AF_UNIX : AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    if (path) {
        memset(&un, 0, sizeof(un));
        un.sun_family = AF_UNIX;
        if (strlen(path) >= sizeof(un.sun_path))
            goto fail;
        memcpy(un.sun_path, path, strlen(path) + 1);
        unlink(path);
        if (bind(fd, (struct sockaddr *)&un, sizeof(un)) < 0)
            goto fail;
    } else {
        memset(&in4, 0, sizeof(in4));
        in4.sin_family = AF_INET;
        in4.sin_port = htons((uint16_t)port);
        in4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&in4, sizeof(in4)) < 0)
            goto fail;
    }
    if (listen(fd, 1024) < 0 || fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

/* Signal callback: stop the loop on SIGTERM or SIGINT. */
static void nullmap_signal_cb(evutil_socket_t sig, short what, void *arg)
{
    event_base_loopbreak(arg);
}

/* Parse --port/--unix, listen, serve until SIGTERM or SIGINT. */
int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"port", 1, NULL, 'p'}, {"unix", 1, NULL, 'u'}, {NULL, 0, NULL, 0}};
    struct event_base *base;
    struct event *lev, *sterm, *sint;
    const char *path = NULL;
    long port = 0;
    char *end;
    int ch, fd;

    while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        if (ch == 'p') {
            port = strtol(optarg, &end, 10);
            if (*end != '\0' || port <= 0 || port > 65535)
                port = -1;
        } else if (ch == 'u') {
            path = optarg;
        } else {
            port = -1;
        }
    }
    if (optind != argc || port < 0 || (port == 0) == (path == NULL)) {
        fprintf(stderr, "usage: nullmap --port PORT | --unix PATH\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    fd = nullmap_listen((int)port, path);
    if (fd < 0) {
        fprintf(stderr, "nullmap: cannot listen: %s\n", strerror(errno));
        return 1;
    }
    base = event_base_new();
    if (base == NULL)
        return 1;
    lev = event_new(base, fd, EV_READ | EV_PERSIST, nullmap_accept_cb, base);
    sterm = evsignal_new(base, SIGTERM, nullmap_signal_cb, base);
    sint = evsignal_new(base, SIGINT, nullmap_signal_cb, base);
    if (lev == NULL || sterm == NULL || sint == NULL || event_add(lev, NULL) < 0 ||
        event_add(sterm, NULL) < 0 || event_add(sint, NULL) < 0)
        return 1;
    event_base_dispatch(base);
    event_free(lev);
    event_free(sterm);
    event_free(sint);
    event_base_free(base);
    close(fd);
    if (path)
        unlink(path);
    return 0;
}
