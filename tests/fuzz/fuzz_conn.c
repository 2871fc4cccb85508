/*
 * fuzz_conn.c - the whole connection handler: bytes in through a socketpair, the
 * event loop runs, and every answer that comes back must be well formed: netstrings
 * starting with OK/NOTFOUND/TEMP/PERM for socketmap, "action=..." LF LF for policy.
 * Each input runs twice: with every decision made at once, and with every other
 * decision deferred and finished later, newest first (as a DNS answer might come).
 * Both runs must give the same bytes: answers leave in arrival order (the dsn map, which
 * learns into a view of its own in the first run, answers the second the same: a route it
 * learned is in force). The set of
 * connections must count one while the connection is open, none after, and no
 * request may be left waiting.
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "decide.h"
#include "learn.h"
#include "log.h"
#include "netstring.h"
#include "snapshot.h"
#include "testutil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *fuzz_base;
static struct snapshot *fuzz_snap;
static struct conn_set *fuzz_now;   /* decides at once */
static struct conn_set *fuzz_later; /* defers every other decision */
static struct conn_req *fuzz_waiting[64];
static size_t fuzz_nwaiting;
static unsigned long fuzz_asked;
static struct overrides *fuzz_view; /* what the dsn map learns (memory mode) */
static struct learn *fuzz_learn;

/* The snapshot for connections. */
static struct snapshot *fuzz_snapshot(void *arg)
{
    return fuzz_snap;
}

/* Defer every other decision (while there is room to remember it). */
static int fuzz_decide(void *arg, struct conn_req *req, struct decision *dec)
{
    if (fuzz_asked++ % 2 == 0 || fuzz_nwaiting == sizeof(fuzz_waiting) / sizeof(fuzz_waiting[0])) {
        decide(conn_req_snapshot(req), NULL, conn_req_key(req), 0, dec);
        return 0;
    }
    fuzz_waiting[fuzz_nwaiting++] = req;
    return 1;
}

/* Finish the newest deferred decision, if any. */
static void fuzz_finish_one(void)
{
    struct decision dec;
    struct conn_req *req;

    if (fuzz_nwaiting == 0)
        return;
    req = fuzz_waiting[--fuzz_nwaiting];
    decide(conn_req_snapshot(req), NULL, conn_req_key(req), 0, &dec);
    conn_req_done(req, &dec);
}

/* The dsn map: learn into the fuzzer's own view, at a fixed time (both runs alike). */
static int fuzz_dsn(void *arg, struct snapshot *snap, const char *key, size_t klen,
                    const char **data, size_t *len)
{
    return learn_dsn(fuzz_learn, snap, key, klen, 1000000, 1000000, data, len);
}

/* Build the connection sets over a small rule set and two signatures, once. */
static void fuzz_init(void)
{
    struct conn_ctx ctx;

    char sig[] = "/tmp/policyd-fuzz-sig.XXXXXX", conf[512];
    int fd = mkstemp(sig);

    if (fd < 0 || write(fd, "/PTR record/ ptr\n/reputation/ reputation\n", 41) != 41)
        abort();
    close(fd);
    snprintf(conf, sizeof(conf),
             "route.smarthost = smtp:[relay.example]:587\n"
             "route.direct = smtp:\nmax_request_size = 1000\n"
             "log_target = stderr\nsignatures = %s\nlearn = ptr, reputation\n",
             sig);
    fuzz_snap = test_snapshot_build("aol.com smarthost\n.gmx.de direct\nu@web.de error:5.7.1 no\n"
                                    "/^yahoo\\./ retry:4.4.0 later\nx.example DUNNO\n",
                                    conf);
    unlink(sig);
    fuzz_view = overrides_new();
    if (fuzz_view == NULL || (fuzz_learn = learn_new(fuzz_view, NULL)) == NULL)
        abort();
    overrides_set_loaded(fuzz_view, 1);
    log_set_verbosity(-1);
    fuzz_base = event_base_new();
    if (fuzz_base == NULL)
        abort();
    memset(&ctx, 0, sizeof(ctx));
    ctx.base = fuzz_base;
    ctx.idle_timeout_ms = 300000;
    ctx.redis_prefix = "";
    ctx.snapshot = fuzz_snapshot;
    ctx.dsn = fuzz_dsn;
    fuzz_now = conn_set_new(&ctx);
    ctx.decide = fuzz_decide;
    fuzz_later = conn_set_new(&ctx);
    if (fuzz_now == NULL || fuzz_later == NULL)
        abort();
}

/* Check that out[0..len) is a sequence of well-formed socketmap replies. */
static void fuzz_check_socketmap(const char *out, size_t len)
{
    static const char *const ok[] = {"OK ", "NOTFOUND ", "TEMP ", "PERM "};
    const char *p, *why;
    size_t plen, used, i;

    while (len > 0) {
        if (netstring_decode(out, len, 100000, &p, &plen, &used, &why) != NETSTRING_COMPLETE)
            abort();
        for (i = 0; i < 4; i++) {
            if (plen >= strlen(ok[i]) && memcmp(p, ok[i], strlen(ok[i])) == 0)
                break;
        }
        if (i == 4 || (i == 0 && plen == 3))
            abort(); /* unknown status, or OK without data */
        out += used;
        len -= used;
    }
}

/* Check that out[0..len) is a sequence of "action=..." LF LF replies. */
static void fuzz_check_policy(const char *out, size_t len)
{
    const char *end;

    while (len > 0) {
        if (len < 9 || memcmp(out, "action=", 7) != 0)
            abort();
        end = memmem(out, len, "\n\n", 2);
        if (end == NULL || memchr(out, '\n', (size_t)(end - out)) != NULL)
            abort();
        len -= (size_t)(end + 2 - out);
        out = end + 2;
    }
}

/* Run one connection of set over data; its whole output goes to out (returns its length). */
static size_t fuzz_run(struct conn_set *set, const uint8_t *data, size_t size, char *out,
                       size_t outsize)
{
    size_t olen = 0, off = 0;
    int sv[2], rounds;
    ssize_t n;

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    if (conn_new(set, sv[0], "fuzz") == NULL || conn_set_count(set) != 1)
        abort();
    for (rounds = 0; rounds < 100000; rounds++) {
        if (off < size) {
            n = write(sv[1], data + off, size - off);
            if (n > 0)
                off += (size_t)n;
            if (off == size)
                shutdown(sv[1], SHUT_WR);
        } else if (size == 0 && rounds == 0) {
            shutdown(sv[1], SHUT_WR);
        }
        event_base_loop(fuzz_base, EVLOOP_NONBLOCK);
        fuzz_finish_one();
        n = read(sv[1], out + olen, outsize - olen);
        if (n == 0)
            break; /* the server closed: everything answered */
        if (n > 0)
            olen += (size_t)n;
        if (olen == outsize)
            abort();
    }
    if (rounds == 100000)
        abort(); /* the connection never finished */
    close(sv[1]);
    if (conn_set_count(set) != 0 || conn_set_waiting(set) != 0 || fuzz_nwaiting != 0)
        abort(); /* the set lost count, or a request was left waiting */
    return olen;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[1 << 20], later[1 << 20];
    size_t olen, llen;

    if (fuzz_base == NULL)
        fuzz_init();
    if (size > 200000)
        return 0;
    olen = fuzz_run(fuzz_now, data, size, out, sizeof(out));
    fuzz_asked = 0;
    llen = fuzz_run(fuzz_later, data, size, later, sizeof(later));
    if (llen != olen || memcmp(out, later, olen) != 0)
        abort(); /* a deferred decision changed the answers or their order */
    if (size > 0 && data[0] >= '0' && data[0] <= '9')
        fuzz_check_socketmap(out, olen);
    else if (olen > 0)
        fuzz_check_policy(out, olen);
    return 0;
}
