/*
 * loadgen.c - closed-loop load generator for the policyd benchmarks.
 *
 * C connections, each with exactly one request in flight (as Postfix's clients do), for a
 * bounded time and/or number of requests. Modes: socketmap, policy, redis (GET), plus
 * `probe` (wait until a server answers one request) and `settle` (how long a Redis SET
 * takes to show in the socketmap answer). One machine-readable line on stdout, a human
 * summary on stderr. Errors are counted, connections re-opened, nothing exits on a reply.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "bproto.h"

#define LG_KEY_MAX 4096       /* longest key accepted from the key file */
#define LG_WBUF_MAX 8192      /* one request: the policy request plus a key */
#define LG_SOCKMAP_MAX 100000 /* Postfix's socketmap reply limit */
#define LG_POLICY_MAX 65536   /* one policy reply */
#define LG_RESP_MAX 1048576   /* one Redis bulk reply */
#define LG_RBUF_MAX (LG_RESP_MAX + 64)
#define LG_ANSWER_KINDS 16 /* distinct answer words tracked; more count as "other" */
#define LG_ANSWER_NAME 32
#define LG_HIST_SUB 64 /* HDR-like: 64 sub-buckets per power of two (<1.6% error) */
#define LG_HIST_BUCKETS (2 * LG_HIST_SUB + 58 * LG_HIST_SUB)
#define LG_RETRY_MS 10 /* pause before re-opening a failed connection */
#define LG_MAX_CONNECTIONS 10000

enum lg_mode { LG_MODE_SOCKETMAP, LG_MODE_POLICY, LG_MODE_REDIS, LG_MODE_PROBE, LG_MODE_SETTLE };

enum lg_cstate { LG_C_CLOSED, LG_C_CONNECTING, LG_C_BUSY, LG_C_IDLE };

/* Latency histogram in nanoseconds with log-linear buckets. */
struct lg_hist {
    uint64_t count;
    uint64_t max;
    uint64_t bucket[LG_HIST_BUCKETS];
};

/* One answer word ("OK", "NOTFOUND", "FILTER", "BULK") and how often it came. */
struct lg_answer {
    char name[LG_ANSWER_NAME];
    uint64_t count;
};

struct lg;

/* One client connection: a socket, its one request in flight and the reply read so far. */
struct lg_conn {
    struct lg *lg;
    int fd;
    enum lg_cstate state;
    struct event *rev;
    struct event *wev;
    struct event *retry;
    char wbuf[LG_WBUF_MAX];
    size_t wlen;
    size_t woff;
    char *rbuf;
    size_t rlen;
    uint64_t t0;
    uint64_t served; /* requests answered on this socket */
    int resend;      /* re-open and send the same request again */
    int retried;     /* the request in flight was already re-sent once */
};

/* Options from the command line. */
struct lg_opts {
    enum lg_mode mode;
    enum lg_mode proto; /* what probe speaks */
    const char *host;
    int port;
    const char *unix_path;
    int connections;
    double duration;
    double warmup;
    double timeout;
    uint64_t requests;
    const char *keys_file;
    const char *map;
    const char *redis_host;
    int redis_port;
    const char *prefix;
    int iterations;
    const char *label;
};

/* The whole run: options, keys, the loop, the connections and the statistics. */
struct lg {
    struct lg_opts o;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    char *keydata;
    const char **keys;
    size_t *keylens;
    size_t nkeys;
    size_t nextkey;
    struct event_base *base;
    struct lg_conn *conns;
    int measuring;
    int stopping;
    uint64_t t_start;
    uint64_t t_end;
    uint64_t done;
    uint64_t errors;
    uint64_t err_connect;
    uint64_t err_closed;
    uint64_t err_parse;
    uint64_t err_timeout;
    uint64_t reconnects;
    uint64_t retries;
    struct lg_hist hist;
    struct lg_answer answers[LG_ANSWER_KINDS];
    uint64_t answers_other;
};

/* Monotonic clock in nanoseconds. */
static uint64_t lg_now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Bucket index of a latency value. */
static size_t lg_hist_index(uint64_t v)
{
    int msb, shift;

    if (v < 2 * LG_HIST_SUB)
        return (size_t)v;
    msb = 63 - __builtin_clzll(v);
    shift = msb - 6; /* v >> shift is in [64, 127] */
    return (size_t)(2 * LG_HIST_SUB + (shift - 1) * LG_HIST_SUB +
                    (int)((v >> shift) - LG_HIST_SUB));
}

/* The value a bucket stands for: the middle of its range. */
static uint64_t lg_hist_value(size_t idx)
{
    size_t shift;
    uint64_t low;

    if (idx < 2 * LG_HIST_SUB)
        return idx;
    shift = (idx - 2 * LG_HIST_SUB) / LG_HIST_SUB + 1;
    low = ((uint64_t)((idx - 2 * LG_HIST_SUB) % LG_HIST_SUB) + LG_HIST_SUB) << shift;
    return low + (((uint64_t)1 << shift) >> 1);
}

/* Count one latency. */
static void lg_hist_add(struct lg_hist *h, uint64_t v)
{
    h->bucket[lg_hist_index(v)]++;
    h->count++;
    if (v > h->max)
        h->max = v;
}

/* The latency at quantile q (0..1), exact to a bucket; the maximum for q = 1. */
static uint64_t lg_hist_quantile(const struct lg_hist *h, double q)
{
    uint64_t want, seen = 0;
    size_t i;
    uint64_t v;

    if (h->count == 0)
        return 0;
    want = (uint64_t)(q * (double)h->count + 0.999999);
    if (want < 1)
        want = 1;
    for (i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->bucket[i];
        if (seen >= want) {
            v = lg_hist_value(i);
            return v > h->max ? h->max : v;
        }
    }
    return h->max;
}

/* Count one answer by its first word, case kept as sent. */
static void lg_answer_count(struct lg *lg, const char *word, size_t len)
{
    size_t i;

    if (len >= LG_ANSWER_NAME)
        len = LG_ANSWER_NAME - 1;
    for (i = 0; i < LG_ANSWER_KINDS; i++) {
        struct lg_answer *a = &lg->answers[i];

        if (a->name[0] == '\0') {
            memcpy(a->name, word, len);
            a->name[len] = '\0';
            a->count = 1;
            return;
        }
        if (strlen(a->name) == len && memcmp(a->name, word, len) == 0) {
            a->count++;
            return;
        }
    }
    lg->answers_other++;
}

/* Length of the first word of s[0..len), made printable for the report. */
static size_t lg_first_word(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if (s[i] == ' ' || !isgraph((unsigned char)s[i]))
            break;
    return i;
}

/* Read the key file: one key per line, blank lines skipped, CR before LF dropped. */
static int lg_keys_load(struct lg *lg, const char *path)
{
    FILE *fp = fopen(path, "rb");
    long size;
    size_t n = 0, cap = 0, i, start;

    if (fp == NULL || fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
        fseek(fp, 0, SEEK_SET) != 0) {
        fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
        goto fail;
    }
    lg->keydata = malloc((size_t)size + 1);
    if (lg->keydata == NULL || fread(lg->keydata, 1, (size_t)size, fp) != (size_t)size) {
        fprintf(stderr, "loadgen: %s: cannot read\n", path);
        goto fail;
    }
    lg->keydata[size] = '\n';
    for (i = 0, start = 0; i <= (size_t)size; i++) {
        size_t len;

        if (lg->keydata[i] != '\n')
            continue;
        len = i - start;
        if (len > 0 && lg->keydata[start + len - 1] == '\r')
            len--;
        if (len > LG_KEY_MAX) {
            fprintf(stderr, "loadgen: %s: key of %zu bytes is over %d\n", path, len, LG_KEY_MAX);
            goto fail;
        }
        if (len > 0) {
            if (n == cap) {
                size_t ncap = cap ? cap * 2 : 1024;
                const char **k = realloc(lg->keys, ncap * sizeof(*k));
                size_t *l = k ? realloc(lg->keylens, ncap * sizeof(*l)) : NULL;

                if (k)
                    lg->keys = k;
                if (l == NULL) {
                    fprintf(stderr, "loadgen: out of memory\n");
                    goto fail;
                }
                lg->keylens = l;
                cap = ncap;
            }
            lg->keys[n] = lg->keydata + start;
            lg->keylens[n] = len;
            n++;
        }
        start = i + 1;
    }
    if (n == 0) {
        fprintf(stderr, "loadgen: %s: no keys\n", path);
        goto fail;
    }
    lg->nkeys = n;
    fclose(fp);
    return 0;
fail:
    if (fp)
        fclose(fp);
    return -1;
}

/* Append s to buf[*off..cap) when it fits; 0 or -1. */
static int lg_put(char *buf, size_t cap, size_t *off, const char *s, size_t len)
{
    if (len > cap - *off)
        return -1;
    memcpy(buf + *off, s, len);
    *off += len;
    return 0;
}

/*
 * Build one request for key into buf: a socketmap netstring, a policy request as
 * Postfix 3.7 sends at RCPT, or a RESP GET. Returns its length, 0 when it does not fit.
 */
static size_t lg_request_build(enum lg_mode mode, const char *map, const char *key, size_t klen,
                               uint64_t seq, char *buf, size_t cap)
{
    char tmp[LG_KEY_MAX + 128];
    size_t off = 0, mlen = strlen(map);
    int n;

    switch (mode) {
    case LG_MODE_SOCKETMAP:
        if (mlen + 1 + klen > sizeof(tmp))
            return 0;
        memcpy(tmp, map, mlen);
        tmp[mlen] = ' ';
        memcpy(tmp + mlen + 1, key, klen);
        off = bproto_netstring_encode(buf, cap, tmp, mlen + 1 + klen);
        return off <= cap ? off : 0;
    case LG_MODE_POLICY:
        n = snprintf(tmp, sizeof(tmp),
                     "request=smtpd_access_policy\nprotocol_state=RCPT\nprotocol_name=ESMTP\n"
                     "client_address=192.0.2.%u\nclient_name=mail%u.client.example\n"
                     "client_port=%u\nreverse_client_name=mail%u.client.example\n"
                     "server_address=127.0.0.1\nserver_port=25\n"
                     "helo_name=mail%u.client.example\nsender=sender%" PRIu64 "@client.example\n",
                     (unsigned)(seq % 250 + 1), (unsigned)(seq % 250 + 1),
                     (unsigned)(40000 + seq % 20000), (unsigned)(seq % 250 + 1),
                     (unsigned)(seq % 250 + 1), seq % 1000);
        if (n < 0 || lg_put(buf, cap, &off, tmp, (size_t)n) < 0)
            return 0;
        if (lg_put(buf, cap, &off, "recipient=", 10) < 0 || lg_put(buf, cap, &off, key, klen) < 0)
            return 0;
        n = snprintf(tmp, sizeof(tmp),
                     "\nrecipient_count=0\nqueue_id=\ninstance=%" PRIx64 ".%08" PRIx64
                     ".0\nsize=0\netrn_domain=\nstress=\nsasl_method=\nsasl_username=\n"
                     "sasl_sender=\nccert_subject=\nccert_issuer=\nccert_fingerprint=\n"
                     "ccert_pubkey_fingerprint=\nencryption_protocol=TLSv1.3\n"
                     "encryption_cipher=TLS_AES_256_GCM_SHA384\nencryption_keysize=256\n"
                     "policy_context=\n\n",
                     seq & 0xfff, seq);
        if (n < 0 || lg_put(buf, cap, &off, tmp, (size_t)n) < 0)
            return 0;
        return off;
    case LG_MODE_REDIS:
        n = snprintf(tmp, sizeof(tmp), "*2\r\n$3\r\nGET\r\n$%zu\r\n", klen);
        if (n < 0 || lg_put(buf, cap, &off, tmp, (size_t)n) < 0 ||
            lg_put(buf, cap, &off, key, klen) < 0 || lg_put(buf, cap, &off, "\r\n", 2) < 0)
            return 0;
        return off;
    default:
        return 0;
    }
}

/*
 * Decode the reply in buf for mode: COMPLETE with the answer word in *word and *wlen and the
 * bytes used in *consumed, NEED_MORE or ERROR.
 */
static int lg_reply_decode(enum lg_mode mode, const char *buf, size_t len, const char **word,
                           size_t *wlen, size_t *consumed)
{
    enum bproto_resp_kind kind;
    const char *p;
    size_t plen;
    int rc;
    static const char *const kinds[] = {"STATUS", "ERR", "INT", "BULK", "NIL"};

    switch (mode) {
    case LG_MODE_SOCKETMAP:
        rc = bproto_netstring_decode(buf, len, LG_SOCKMAP_MAX, &p, &plen, consumed);
        if (rc == BPROTO_COMPLETE) {
            *word = p;
            *wlen = lg_first_word(p, plen);
            if (*wlen == 0)
                return BPROTO_ERROR;
        }
        return rc;
    case LG_MODE_POLICY:
        rc = bproto_policy_reply_decode(buf, len, LG_POLICY_MAX, &p, &plen, consumed);
        if (rc == BPROTO_COMPLETE) {
            *word = p;
            *wlen = lg_first_word(p, plen);
            if (*wlen == 0)
                return BPROTO_ERROR;
        }
        return rc;
    case LG_MODE_REDIS:
        rc = bproto_resp_decode(buf, len, LG_RESP_MAX, &kind, &p, &plen, consumed);
        if (rc == BPROTO_COMPLETE) {
            *word = kinds[kind];
            *wlen = strlen(kinds[kind]);
        }
        return rc;
    default:
        return BPROTO_ERROR;
    }
}

/* Open a non-blocking socket and start connecting to the target: the fd or -1. */
static int lg_socket_connect(const struct lg *lg, int blocking)
{
    int fd = socket(lg->addr.ss_family, SOCK_STREAM, 0);
    int one = 1;

    if (fd < 0)
        return -1;
    if (lg->addr.ss_family != AF_UNIX)
        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (!blocking && fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
        goto fail;
    if (connect(fd, (const struct sockaddr *)&lg->addr, lg->addrlen) < 0 && errno != EINPROGRESS)
        goto fail;
    return fd;
fail:
    close(fd);
    return -1;
}

static void lg_conn_open(struct lg_conn *c);
static void lg_conn_send_next(struct lg_conn *c);

/* Close a connection's socket and events; it can be opened again. */
static void lg_conn_close(struct lg_conn *c)
{
    if (c->rev) {
        event_free(c->rev);
        c->rev = NULL;
    }
    if (c->wev) {
        event_free(c->wev);
        c->wev = NULL;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    c->state = LG_C_CLOSED;
    c->rlen = 0;
    c->served = 0;
}

/* Count an error on a connection, close it and re-open it a little later. */
static void lg_conn_fail(struct lg_conn *c, uint64_t *counter)
{
    struct timeval tv = {0, LG_RETRY_MS * 1000};

    c->lg->errors++;
    (*counter)++;
    c->resend = 0;
    lg_conn_close(c);
    if (!c->lg->stopping)
        evtimer_add(c->retry, &tv);
}

/* Timer callback: re-open a failed connection. */
static void lg_conn_retry_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg_conn *c = arg;

    c->lg->reconnects++;
    lg_conn_open(c);
}

/*
 * The server closed a connection before answering. Like Postfix's clients, re-send the
 * request once on a new connection when the old one had served requests (an idle or
 * max-use close by the server); anything else is an error.
 */
static void lg_conn_lost(struct lg_conn *c)
{
    if (c->state != LG_C_BUSY || c->served == 0 || c->retried || c->rlen > 0 || c->lg->stopping) {
        lg_conn_fail(c, &c->lg->err_closed);
        return;
    }
    c->lg->retries++;
    lg_conn_close(c);
    c->resend = 1;
    lg_conn_open(c);
}

/* Write what is left of the request; arm the write event when the socket is full. */
static void lg_conn_flush(struct lg_conn *c)
{
    while (c->woff < c->wlen) {
        ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            event_add(c->wev, NULL);
            return;
        }
        if (n <= 0) {
            lg_conn_lost(c);
            return;
        }
        c->woff += (size_t)n;
    }
}

/* Start the next request on an idle connection, from the next key in the cycle. */
static void lg_conn_send_next(struct lg_conn *c)
{
    struct lg *lg = c->lg;
    size_t k = lg->nextkey;

    lg->nextkey = (k + 1 == lg->nkeys) ? 0 : k + 1;
    c->wlen = lg_request_build(lg->o.mode, lg->o.map, lg->keys[k], lg->keylens[k],
                               lg->done + lg->errors + k, c->wbuf, sizeof(c->wbuf));
    if (c->wlen == 0) {
        fprintf(stderr, "loadgen: request for key %zu does not fit\n", k);
        lg_conn_fail(c, &lg->err_parse);
        return;
    }
    c->woff = 0;
    c->rlen = 0;
    c->retried = 0;
    c->state = LG_C_BUSY;
    c->t0 = lg_now();
    lg_conn_flush(c);
}

/* Record one completed request, then stop the run once the request bound is reached. */
static void lg_record(struct lg *lg, uint64_t latency, const char *word, size_t wlen)
{
    if (!lg->measuring)
        return;
    lg->done++;
    lg_hist_add(&lg->hist, latency);
    lg_answer_count(lg, word, wlen);
    if (lg->o.requests && lg->done >= lg->o.requests && !lg->stopping) {
        lg->stopping = 1;
        lg->t_end = lg_now();
        event_base_loopbreak(lg->base);
    }
}

/* Read callback: collect the reply, and when it is whole record it and send the next. */
static void lg_conn_read_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg_conn *c = arg;
    struct lg *lg = c->lg;
    const char *word;
    size_t wlen, consumed;
    ssize_t n;
    int rc;

    if (c->rlen == LG_RBUF_MAX) {
        lg_conn_fail(c, &lg->err_parse);
        return;
    }
    n = read(c->fd, c->rbuf + c->rlen, LG_RBUF_MAX - c->rlen);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    if (n <= 0) {
        lg_conn_lost(c);
        return;
    }
    c->rlen += (size_t)n;
    if (c->state != LG_C_BUSY) {
        lg_conn_fail(c, &lg->err_parse); /* bytes nobody asked for */
        return;
    }
    rc = lg_reply_decode(lg->o.mode, c->rbuf, c->rlen, &word, &wlen, &consumed);
    if (rc == BPROTO_NEED_MORE)
        return;
    if (rc == BPROTO_ERROR || consumed != c->rlen) {
        lg_conn_fail(c, &lg->err_parse);
        return;
    }
    lg_record(lg, lg_now() - c->t0, word, wlen);
    c->served++;
    c->state = LG_C_IDLE;
    c->rlen = 0;
    if (!lg->stopping)
        lg_conn_send_next(c);
}

/* Write callback: finish connecting, or continue a partly written request. */
static void lg_conn_write_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg_conn *c = arg;
    int err = 0;
    socklen_t len = sizeof(err);

    if (c->state == LG_C_CONNECTING) {
        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) {
            lg_conn_fail(c, &c->lg->err_connect);
            return;
        }
        if (c->resend) {
            c->resend = 0;
            c->retried = 1;
            c->woff = 0;
            c->state = LG_C_BUSY;
            lg_conn_flush(c);
            return;
        }
        c->state = LG_C_IDLE;
        lg_conn_send_next(c);
        return;
    }
    lg_conn_flush(c);
}

/* Open a connection and start its first request once connected. */
static void lg_conn_open(struct lg_conn *c)
{
    struct lg *lg = c->lg;

    c->fd = lg_socket_connect(lg, 0);
    if (c->fd < 0) {
        lg_conn_fail(c, &lg->err_connect);
        return;
    }
    c->rev = event_new(lg->base, c->fd, EV_READ | EV_PERSIST, lg_conn_read_cb, c);
    c->wev = event_new(lg->base, c->fd, EV_WRITE, lg_conn_write_cb, c);
    if (c->rev == NULL || c->wev == NULL) {
        lg_conn_fail(c, &lg->err_connect);
        return;
    }
    event_add(c->rev, NULL);
    c->state = LG_C_CONNECTING;
    event_add(c->wev, NULL);
}

/* Timer callback: the warm-up is over, start counting. */
static void lg_warmup_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg *lg = arg;

    lg->measuring = 1;
    lg->t_start = lg_now();
}

/* Timer callback: the duration bound is reached. */
static void lg_stop_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg *lg = arg;

    if (!lg->stopping) {
        lg->stopping = 1;
        lg->t_end = lg_now();
    }
    event_base_loopbreak(lg->base);
}

/* Timer callback, every 50 ms: fail requests older than the timeout. */
static void lg_sweep_cb(evutil_socket_t fd, short what, void *arg)
{
    struct lg *lg = arg;
    uint64_t now = lg_now(), limit = (uint64_t)(lg->o.timeout * 1e9);
    int i;

    for (i = 0; i < lg->o.connections; i++) {
        struct lg_conn *c = &lg->conns[i];

        if (c->state == LG_C_BUSY && now - c->t0 > limit)
            lg_conn_fail(c, &lg->err_timeout);
    }
}

/* Seconds as a timeval. */
static struct timeval lg_tv(double s)
{
    struct timeval tv;

    tv.tv_sec = (time_t)s;
    tv.tv_usec = (suseconds_t)((s - (double)tv.tv_sec) * 1e6);
    return tv;
}

/* Print the one machine-readable line and the human summary. */
static void lg_report(struct lg *lg)
{
    double secs = (double)(lg->t_end - lg->t_start) / 1e9;
    double rps = secs > 0 ? (double)lg->done / secs : 0;
    const char *names[] = {"socketmap", "policy", "redis", "probe", "settle"};
    int i;

    printf("mode=%s connections=%d seconds=%.3f requests=%" PRIu64 " rps=%.1f p50_us=%.1f "
           "p90_us=%.1f p99_us=%.1f p999_us=%.1f max_us=%.1f errors=%" PRIu64 " reconnects=%" PRIu64
           " retries=%" PRIu64 " answers=",
           names[lg->o.mode], lg->o.connections, secs, lg->done, rps,
           (double)lg_hist_quantile(&lg->hist, 0.50) / 1e3,
           (double)lg_hist_quantile(&lg->hist, 0.90) / 1e3,
           (double)lg_hist_quantile(&lg->hist, 0.99) / 1e3,
           (double)lg_hist_quantile(&lg->hist, 0.999) / 1e3, (double)lg->hist.max / 1e3, lg->errors,
           lg->reconnects, lg->retries);
    for (i = 0; i < LG_ANSWER_KINDS && lg->answers[i].name[0]; i++)
        printf("%s%s:%" PRIu64, i ? "," : "", lg->answers[i].name, lg->answers[i].count);
    if (lg->answers_other)
        printf("%sother:%" PRIu64, i ? "," : "", lg->answers_other);
    if (i == 0 && lg->answers_other == 0)
        printf("none");
    if (lg->o.label)
        printf(" label=%s", lg->o.label);
    printf("\n");
    fflush(stdout);
    fprintf(stderr,
            "loadgen %s: %d connections, %.2f s: %" PRIu64 " requests, %.0f/s; latency "
            "p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us; errors %" PRIu64
            " (connect %" PRIu64 ", closed %" PRIu64 ", bad reply %" PRIu64 ", timeout %" PRIu64
            ")\n",
            names[lg->o.mode], lg->o.connections, secs, lg->done, rps,
            (double)lg_hist_quantile(&lg->hist, 0.50) / 1e3,
            (double)lg_hist_quantile(&lg->hist, 0.99) / 1e3,
            (double)lg_hist_quantile(&lg->hist, 0.999) / 1e3, (double)lg->hist.max / 1e3,
            lg->errors, lg->err_connect, lg->err_closed, lg->err_parse, lg->err_timeout);
}

/* The closed-loop run: open every connection, run the loop until a bound, report. */
static int lg_run_load(struct lg *lg)
{
    struct event *warm = NULL, *stop = NULL, *sweep = NULL;
    struct timeval tv;
    int i, rc = -1;

    lg->base = event_base_new();
    lg->conns = calloc((size_t)lg->o.connections, sizeof(*lg->conns));
    if (lg->base == NULL || lg->conns == NULL)
        goto fail;
    for (i = 0; i < lg->o.connections; i++) {
        struct lg_conn *c = &lg->conns[i];

        c->lg = lg;
        c->fd = -1;
        c->rbuf = malloc(LG_RBUF_MAX);
        c->retry = evtimer_new(lg->base, lg_conn_retry_cb, c);
        if (c->rbuf == NULL || c->retry == NULL)
            goto fail;
    }
    warm = evtimer_new(lg->base, lg_warmup_cb, lg);
    stop = evtimer_new(lg->base, lg_stop_cb, lg);
    sweep = event_new(lg->base, -1, EV_PERSIST, lg_sweep_cb, lg);
    if (warm == NULL || stop == NULL || sweep == NULL)
        goto fail;
    if (lg->o.warmup > 0) {
        tv = lg_tv(lg->o.warmup);
        evtimer_add(warm, &tv);
    } else {
        lg->measuring = 1;
        lg->t_start = lg_now();
    }
    tv = lg_tv(lg->o.warmup + lg->o.duration);
    evtimer_add(stop, &tv);
    tv = lg_tv(0.05);
    event_add(sweep, &tv);
    for (i = 0; i < lg->o.connections; i++)
        lg_conn_open(&lg->conns[i]);
    event_base_dispatch(lg->base);
    if (!lg->stopping)
        lg->t_end = lg_now();
    if (!lg->measuring)
        lg->t_start = lg->t_end;
    lg_report(lg);
    rc = 0;
fail:
    for (i = 0; lg->conns && i < lg->o.connections; i++) {
        lg_conn_close(&lg->conns[i]);
        if (lg->conns[i].retry)
            event_free(lg->conns[i].retry);
        free(lg->conns[i].rbuf);
    }
    free(lg->conns);
    if (warm)
        event_free(warm);
    if (stop)
        event_free(stop);
    if (sweep)
        event_free(sweep);
    if (lg->base)
        event_base_free(lg->base);
    if (rc < 0)
        fprintf(stderr, "loadgen: out of memory\n");
    return rc;
}

/* Set send and receive timeouts of a blocking socket. */
static void lg_sync_timeouts(int fd, double secs)
{
    struct timeval tv = lg_tv(secs);

    (void)setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/*
 * One blocking round trip on fd: send req, read until a whole reply for mode. Copies the
 * reply payload word (socketmap: the whole payload) into out. 0 or -1.
 */
static int lg_sync_roundtrip(int fd, enum lg_mode mode, const char *req, size_t len, char *buf,
                             size_t cap, const char **payload, size_t *plen)
{
    size_t off = 0, rlen = 0, consumed, wlen;
    const char *word;
    ssize_t n;
    int rc;

    while (off < len) {
        n = write(fd, req + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        off += (size_t)n;
    }
    for (;;) {
        if (rlen == cap)
            return -1;
        n = read(fd, buf + rlen, cap - rlen);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        rlen += (size_t)n;
        if (mode == LG_MODE_SOCKETMAP) {
            rc = bproto_netstring_decode(buf, rlen, LG_SOCKMAP_MAX, payload, plen, &consumed);
        } else {
            rc = lg_reply_decode(mode, buf, rlen, &word, &wlen, &consumed);
            *payload = word;
            *plen = wlen;
        }
        if (rc == BPROTO_COMPLETE)
            return consumed == rlen ? 0 : -1;
        if (rc == BPROTO_ERROR)
            return -1;
    }
}

/* Probe: until the duration runs out, try to get one answer to one request; 0 on success. */
static int lg_run_probe(struct lg *lg)
{
    static const char key[] = "*";
    uint64_t deadline = lg_now() + (uint64_t)(lg->o.duration * 1e9);
    char req[LG_WBUF_MAX];
    char *buf = malloc(LG_RBUF_MAX);
    const char *p;
    size_t plen, len;
    struct timespec pause = {0, 20 * 1000 * 1000};
    int fd, rc = -1;

    len = lg_request_build(lg->o.proto, lg->o.map, key, 1, 0, req, sizeof(req));
    if (buf == NULL || len == 0)
        goto done;
    do {
        fd = lg_socket_connect(lg, 1);
        if (fd >= 0) {
            lg_sync_timeouts(fd, 1.0);
            rc = lg_sync_roundtrip(fd, lg->o.proto, req, len, buf, LG_RBUF_MAX, &p, &plen);
            close(fd);
            if (rc == 0)
                break;
        }
        nanosleep(&pause, NULL);
    } while (lg_now() < deadline);
done:
    free(buf);
    if (rc != 0)
        fprintf(stderr, "loadgen: probe: no answer within %.1f s\n", lg->o.duration);
    return rc;
}

/* Resolve host:port or a unix path into addr; 0 or -1. */
static int lg_resolve(const char *host, int port, const char *path, struct sockaddr_storage *addr,
                      socklen_t *addrlen)
{
    memset(addr, 0, sizeof(*addr));
    if (path) {
        struct sockaddr_un *un = (struct sockaddr_un *)addr;

        if (strlen(path) >= sizeof(un->sun_path))
            return -1;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, path, strlen(path) + 1);
        *addrlen = sizeof(*un);
        return 0;
    }
    if (port <= 0 || port > 65535)
        return -1;
    {
        struct sockaddr_in *in4 = (struct sockaddr_in *)addr;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)addr;

        if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
            in4->sin_family = AF_INET;
            in4->sin_port = htons((uint16_t)port);
            *addrlen = sizeof(*in4);
            return 0;
        }
        if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
            in6->sin6_family = AF_INET6;
            in6->sin6_port = htons((uint16_t)port);
            *addrlen = sizeof(*in6);
            return 0;
        }
    }
    return -1;
}

/* Build a RESP command from argv-like strings into buf; its length or 0. */
static size_t lg_resp_command(char *buf, size_t cap, int argc, const char *const *argv)
{
    char head[32];
    size_t off = 0;
    int i, n;

    n = snprintf(head, sizeof(head), "*%d\r\n", argc);
    if (lg_put(buf, cap, &off, head, (size_t)n) < 0)
        return 0;
    for (i = 0; i < argc; i++) {
        size_t len = strlen(argv[i]);

        n = snprintf(head, sizeof(head), "$%zu\r\n", len);
        if (lg_put(buf, cap, &off, head, (size_t)n) < 0 ||
            lg_put(buf, cap, &off, argv[i], len) < 0 || lg_put(buf, cap, &off, "\r\n", 2) < 0)
            return 0;
    }
    return off;
}

/* Ask the socketmap for key; 0 with the reply payload in out, or -1. */
static int lg_settle_query(int fd, const char *map, const char *key, char *buf, size_t cap,
                           char *out, size_t outcap)
{
    char req[LG_WBUF_MAX];
    const char *p;
    size_t plen, len;

    len = lg_request_build(LG_MODE_SOCKETMAP, map, key, strlen(key), 0, req, sizeof(req));
    if (len == 0 || lg_sync_roundtrip(fd, LG_MODE_SOCKETMAP, req, len, buf, cap, &p, &plen) < 0)
        return -1;
    if (plen >= outcap)
        plen = outcap - 1;
    memcpy(out, p, plen);
    out[plen] = '\0';
    return 0;
}

/* Send one Redis command and read its reply; 0 unless the reply is missing or an error. */
static int lg_settle_redis(int fd, int argc, const char *const *argv, char *buf, size_t cap)
{
    char req[LG_WBUF_MAX];
    const char *p;
    size_t plen, len = lg_resp_command(req, sizeof(req), argc, argv);

    if (len == 0 || lg_sync_roundtrip(fd, LG_MODE_REDIS, req, len, buf, cap, &p, &plen) < 0)
        return -1;
    return (plen == 3 && memcmp(p, "ERR", 3) == 0) ? -1 : 0;
}

/*
 * Settle: N times, write a new override for a fresh domain straight into Redis and poll
 * the socketmap every 0.5 ms until the answer shows it; report the delays.
 */
static int lg_run_settle(struct lg *lg)
{
    struct lg redis_target;
    char *buf = malloc(LG_RBUF_MAX);
    char domain[128], rkey[256], addr[160], value[64], want[80], got[256];
    struct timespec pause = {0, 500 * 1000};
    uint64_t t0, limit = (uint64_t)(lg->o.timeout * 1e9);
    int sfd = -1, rfd = -1, i, rc = -1;

    memset(&redis_target, 0, sizeof(redis_target));
    if (buf == NULL || lg_resolve(lg->o.redis_host, lg->o.redis_port, NULL, &redis_target.addr,
                                  &redis_target.addrlen) < 0) {
        fprintf(stderr, "loadgen: settle: bad --redis-host/--redis-port\n");
        goto done;
    }
    sfd = lg_socket_connect(lg, 1);
    rfd = lg_socket_connect(&redis_target, 1);
    if (sfd < 0 || rfd < 0) {
        fprintf(stderr, "loadgen: settle: cannot connect: %s\n", strerror(errno));
        lg->errors++;
        goto done;
    }
    lg_sync_timeouts(sfd, lg->o.timeout);
    lg_sync_timeouts(rfd, lg->o.timeout);
    lg->t_start = lg_now();
    lg->measuring = 1;
    for (i = 0; i < lg->o.iterations; i++) {
        const char *set[] = {"SET", rkey, value};
        const char *del[] = {"DEL", rkey};

        snprintf(domain, sizeof(domain), "settle%d-%ld.bench.example", i, (long)getpid());
        snprintf(rkey, sizeof(rkey), "%sroute:%s", lg->o.prefix, domain);
        snprintf(addr, sizeof(addr), "user@%s", domain);
        snprintf(value, sizeof(value), "smtp:[127.0.0.1]:%d", 10000 + i % 50000);
        snprintf(want, sizeof(want), "OK %s", value);
        if (lg_settle_query(sfd, lg->o.map, addr, buf, LG_RBUF_MAX, got, sizeof(got)) < 0 ||
            strcmp(got, want) == 0 || lg_settle_redis(rfd, 3, set, buf, LG_RBUF_MAX) < 0) {
            fprintf(stderr, "loadgen: settle: setup of iteration %d failed\n", i);
            lg->errors++;
            goto done;
        }
        t0 = lg_now();
        for (;;) {
            if (lg_settle_query(sfd, lg->o.map, addr, buf, LG_RBUF_MAX, got, sizeof(got)) < 0) {
                lg->errors++;
                goto done;
            }
            if (strcmp(got, want) == 0) {
                lg_hist_add(&lg->hist, lg_now() - t0);
                lg->done++;
                break;
            }
            if (lg_now() - t0 > limit) {
                lg->errors++;
                lg->err_timeout++;
                break;
            }
            nanosleep(&pause, NULL);
        }
        (void)lg_settle_redis(rfd, 2, del, buf, LG_RBUF_MAX);
        if (lg->err_timeout >= 3) {
            fprintf(stderr, "loadgen: settle: 3 changes never seen, giving up\n");
            break;
        }
    }
    rc = 0;
done:
    lg->t_end = lg_now();
    printf("mode=settle iterations=%" PRIu64 " p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%" PRIu64
           "\n",
           lg->done, (double)lg_hist_quantile(&lg->hist, 0.50) / 1e3,
           (double)lg_hist_quantile(&lg->hist, 0.99) / 1e3, (double)lg->hist.max / 1e3, lg->errors);
    fprintf(stderr,
            "loadgen settle: %" PRIu64 " changes seen, SET-to-answer p50 %.1f ms, p99 %.1f "
            "ms, max %.1f ms, %" PRIu64 " errors\n",
            lg->done, (double)lg_hist_quantile(&lg->hist, 0.50) / 1e6,
            (double)lg_hist_quantile(&lg->hist, 0.99) / 1e6, (double)lg->hist.max / 1e6,
            lg->errors);
    if (sfd >= 0)
        close(sfd);
    if (rfd >= 0)
        close(rfd);
    free(buf);
    return rc < 0 || lg->errors ? -1 : 0;
}

/* Print the usage text. */
static void lg_usage(FILE *fp)
{
    fputs("usage: loadgen --mode socketmap|policy|redis|probe|settle [options]\n"
          "  --host ADDR          target address (default 127.0.0.1)\n"
          "  --port PORT | --unix PATH   target endpoint\n"
          "  --connections C      concurrent connections, one request in flight each (1)\n"
          "  --duration SECONDS   hard bound of the measured run (10; probe: how long to try)\n"
          "  --requests N         stop after N measured requests (0 = duration only)\n"
          "  --warmup SECONDS     run this long before measuring (0)\n"
          "  --timeout SECONDS    a request older than this is an error (5)\n"
          "  --keys FILE          one key (recipient) per line, cycled\n"
          "  --map NAME           socketmap map name (transport)\n"
          "  --proto MODE         probe: socketmap, policy or redis (socketmap)\n"
          "  --redis-host ADDR, --redis-port PORT, --prefix P, --iterations N   settle\n"
          "  --label TEXT         appended to the report line\n",
          fp);
}

/* Parse a mode name; 0 or -1. */
static int lg_mode_parse(const char *s, enum lg_mode *mode)
{
    static const char *const names[] = {"socketmap", "policy", "redis", "probe", "settle"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(s, names[i]) == 0) {
            *mode = (enum lg_mode)i;
            return 0;
        }
    }
    return -1;
}

/* Parse a non-negative number with an upper bound; 0 or -1. */
static int lg_num(const char *s, double max, double *out)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !(v >= 0) || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Parse the command line into o; 0, or -1 after printing why. */
static int lg_opts_parse(int argc, char **argv, struct lg_opts *o)
{
    static const struct option longopts[] = {{"mode", 1, NULL, 'm'},
                                             {"host", 1, NULL, 'H'},
                                             {"port", 1, NULL, 'p'},
                                             {"unix", 1, NULL, 'u'},
                                             {"connections", 1, NULL, 'c'},
                                             {"duration", 1, NULL, 'd'},
                                             {"requests", 1, NULL, 'n'},
                                             {"keys", 1, NULL, 'k'},
                                             {"map", 1, NULL, 'M'},
                                             {"warmup", 1, NULL, 'w'},
                                             {"timeout", 1, NULL, 't'},
                                             {"proto", 1, NULL, 'P'},
                                             {"redis-host", 1, NULL, 'R'},
                                             {"redis-port", 1, NULL, 'r'},
                                             {"prefix", 1, NULL, 'x'},
                                             {"iterations", 1, NULL, 'i'},
                                             {"label", 1, NULL, 'l'},
                                             {"help", 0, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    double v;
    int ch;

    while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (ch) {
        case 'm':
            if (lg_mode_parse(optarg, &o->mode) < 0)
                goto bad;
            break;
        case 'P':
            if (lg_mode_parse(optarg, &o->proto) < 0 || o->proto > LG_MODE_REDIS)
                goto bad;
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'u':
            o->unix_path = optarg;
            break;
        case 'k':
            o->keys_file = optarg;
            break;
        case 'M':
            o->map = optarg;
            break;
        case 'R':
            o->redis_host = optarg;
            break;
        case 'x':
            o->prefix = optarg;
            break;
        case 'l':
            o->label = optarg;
            break;
        case 'p':
        case 'r':
        case 'c':
        case 'i':
            if (lg_num(optarg, ch == 'c' ? LG_MAX_CONNECTIONS : ch == 'i' ? 1e6 : 65535, &v) < 0)
                goto bad;
            if (ch == 'p')
                o->port = (int)v;
            else if (ch == 'r')
                o->redis_port = (int)v;
            else if (ch == 'c')
                o->connections = (int)v;
            else
                o->iterations = (int)v;
            break;
        case 'd':
        case 'w':
        case 't':
        case 'n':
            if (lg_num(optarg, ch == 'n' ? 1e15 : 86400, &v) < 0)
                goto bad;
            if (ch == 'd')
                o->duration = v;
            else if (ch == 'w')
                o->warmup = v;
            else if (ch == 't')
                o->timeout = v;
            else
                o->requests = (uint64_t)v;
            break;
        case 'h':
            lg_usage(stdout);
            exit(0);
        default:
            goto usage;
        }
    }
    if (optind != argc || o->connections < 1 || o->timeout <= 0)
        goto usage;
    if ((o->mode <= LG_MODE_REDIS) && o->keys_file == NULL) {
        fprintf(stderr, "loadgen: --keys FILE is required for this mode\n");
        return -1;
    }
    return 0;
bad:
    fprintf(stderr, "loadgen: bad value for option: %s\n", optarg);
usage:
    lg_usage(stderr);
    return -1;
}

/* Parse options, load keys, run the chosen mode. Exit 0 on success, 1 on failure. */
int main(int argc, char **argv)
{
    static struct lg lg; /* large: the histogram */
    int rc;

    lg.o.mode = LG_MODE_SOCKETMAP;
    lg.o.proto = LG_MODE_SOCKETMAP;
    lg.o.host = "127.0.0.1";
    lg.o.connections = 1;
    lg.o.duration = 10;
    lg.o.timeout = 5;
    lg.o.map = "transport";
    lg.o.redis_host = "127.0.0.1";
    lg.o.prefix = "policyd:";
    lg.o.iterations = 100;
    if (lg_opts_parse(argc, argv, &lg.o) < 0)
        return 2;
    signal(SIGPIPE, SIG_IGN);
    if (lg_resolve(lg.o.host, lg.o.port, lg.o.unix_path, &lg.addr, &lg.addrlen) < 0) {
        fprintf(stderr, "loadgen: need --port PORT (with a numeric --host) or --unix PATH\n");
        return 2;
    }
    if (lg.o.keys_file && lg_keys_load(&lg, lg.o.keys_file) < 0)
        return 2;
    switch (lg.o.mode) {
    case LG_MODE_PROBE:
        rc = lg_run_probe(&lg);
        break;
    case LG_MODE_SETTLE:
        rc = lg_run_settle(&lg);
        break;
    default:
        rc = lg_run_load(&lg);
        break;
    }
    free(lg.keys);
    free(lg.keylens);
    free(lg.keydata);
    return rc == 0 ? 0 : 1;
}
