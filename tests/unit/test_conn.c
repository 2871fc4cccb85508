/*
 * test_conn.c - connections whose decisions wait: answers leave in arrival order
 * whatever order the decisions come in, reading pauses while the queue is full,
 * a connection that goes away detaches its waiting requests (each freed exactly
 * once, by conn_req_done), and the set counts its connections. Real sockets
 * (socketpair) and a real event loop; the decide hook is the test's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "conn.h"
#include "decide.h"
#include "log.h"
#include "snapshot.h"
#include "tap.h"
#include "testutil.h"

static struct event_base *base;
static struct snapshot *snap;
static struct conn_req *held[64]; /* requests the hook keeps, in the order it was asked */
static size_t nheld;

/* The snapshot for connections. */
static struct snapshot *test_snapshot(void *arg)
{
    return snap;
}

/* Keep every request for a domain starting with "wait"; decide the others at once. */
static int test_decide(void *arg, struct conn_req *req, struct decision *dec)
{
    const struct addr *a = conn_req_key(req);

    if (a->domain_len >= 4 && memcmp(a->domain, "wait", 4) == 0 && nheld < 64) {
        held[nheld++] = req;
        return 1;
    }
    decide(conn_req_snapshot(req), NULL, a, 0, dec);
    return 0;
}

/* Finish held request i with the route result `result`. */
static void test_finish(size_t i, const char *result)
{
    struct decision dec;

    memset(&dec, 0, sizeof(dec));
    dec.answer = DECIDE_FOUND;
    dec.source = DECIDE_SRC_DEFAULT;
    dec.result = result;
    dec.result_len = strlen(result);
    conn_req_done(held[i], &dec);
    held[i] = NULL;
}

/* Build the snapshot once: one rule, one route. */
static void test_init(void)
{
    snap = test_snapshot_build("aol.com smarthost\n",
                               "route.smarthost = smtp:[relay.example]:587\nlog_target = stderr\n");
    log_set_verbosity(-1);
    base = event_base_new();
}

/* A new set with the test's decide hook and the given dsn and explain hooks (may be NULL). */
static struct conn_set *test_set_hooks(int (*dsn)(void *, struct snapshot *, const char *, size_t,
                                                  const char **, size_t *),
                                       size_t (*more)(void *, const struct decision *, char *,
                                                      size_t))
{
    struct conn_ctx ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.base = base;
    ctx.idle_timeout_ms = 300000;
    ctx.redis_prefix = "";
    ctx.snapshot = test_snapshot;
    ctx.decide = test_decide;
    ctx.dsn = dsn;
    ctx.explain_more = more;
    return conn_set_new(&ctx);
}

/* A new set with the test's decide hook only. */
static struct conn_set *test_set(void)
{
    return test_set_hooks(NULL, NULL);
}

/* Let the loop run until nothing is ready. */
static void test_spin(void)
{
    int i;

    for (i = 0; i < 8; i++)
        event_base_loop(base, EVLOOP_NONBLOCK);
}

/* Everything the connection has written so far (non-blocking); -1 at EOF with nothing. */
static long test_read(int fd, char *buf, size_t size)
{
    size_t len = 0;
    ssize_t n;

    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    if (len == 0 && n == 0)
        return -1;
    return (long)len;
}

/* A connection of set on one end of a socketpair; the other end in *peer. */
static struct conn *test_conn(struct conn_set *set, int *peer)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    *peer = sv[1];
    return conn_new(set, sv[0], "test");
}

/* Write all of s to fd. */
static void test_send(int fd, const char *s)
{
    if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
        abort();
}

/* The dsn hook: a key starting with "5." is replaced by a deferral, anything else is not. */
static int test_dsn(void *arg, struct snapshot *s, const char *key, size_t klen,
                    const char **data, size_t *len)
{
    if (klen < 2 || memcmp(key, "5.", 2) != 0)
        return 0;
    *data = "4.7.25 deferred";
    *len = 15;
    return 1;
}

/* The explain hook: a word after every explanation. */
static size_t test_explain_more(void *arg, const struct decision *dec, char *buf, size_t size)
{
    return (size_t)snprintf(buf, size, "; more");
}

/* dsn requests are answered at once, in order behind one that waits; explain gets more. */
static void test_dsn_in_order(void)
{
    static const char head[] = "19:OK smtp:[a.example],18:OK 4.7.25 deferred,9:NOTFOUND ,";
    struct conn_set *set = test_set_hooks(test_dsn, test_explain_more), *plain;
    char out[4096];
    int peer;

    nheld = 0;
    test_conn(set, &peer);
    test_send(peer, "24:transport a@wait.example,"
                    "10:dsn 5.7.25,"
                    "14:dsn 2.0.0 Ok x,"
                    "17:explain b@aol.com,");
    test_spin();
    is_int((long long)nheld, 1, "dsn: the transport request waits, the dsn requests do not");
    is_int(test_read(peer, out, sizeof(out)), 0, "dsn: their answers are held behind it");
    test_finish(0, "smtp:[a.example]");
    test_spin();
    test_read(peer, out, sizeof(out));
    ok(strncmp(out, head, strlen(head)) == 0, "dsn: OK DATA and NOTFOUND in arrival order");
    ok(strlen(out) > strlen(head) + 7 &&
           strstr(out + strlen(head), ":OK smtp:[relay.example]:587 (rule ") != NULL &&
           strcmp(out + strlen(out) - 7, "; more,") == 0,
       "dsn: then explain, with the hook's words appended");
    close(peer);
    test_spin();
    conn_set_free(set);

    plain = test_set();
    test_conn(plain, &peer);
    test_send(peer, "10:dsn 5.7.25,");
    test_spin();
    test_read(peer, out, sizeof(out));
    is_str(out, "9:NOTFOUND ,", "dsn without a hook: NOTFOUND");
    close(peer);
    test_spin();
    conn_set_free(plain);
}

/* Socketmap: the third answer is ready first, then the second, then the first. */
static void test_socketmap_out_of_order(void)
{
    struct conn_set *set = test_set();
    char out[4096];
    int peer;

    nheld = 0;
    ok(test_conn(set, &peer) != NULL && conn_set_count(set) == 1, "socketmap: connection counted");
    test_send(peer, "24:transport a@wait.example,"
                    "19:transport b@aol.com,"
                    "24:transport c@wait.example,"
                    "24:transport d@wait.example,");
    test_spin();
    is_int((long long)nheld, 3, "socketmap: three requests wait");
    is_int((long long)conn_set_waiting(set), 3, "socketmap: the set counts them");
    is_int(test_read(peer, out, sizeof(out)), 0,
           "socketmap: nothing written while the first waits");
    test_finish(2, "smtp:[d.example]");
    test_finish(1, "smtp:[c.example]");
    test_spin();
    is_int(test_read(peer, out, sizeof(out)), 0,
           "socketmap: later answers held back while the first waits");
    test_finish(0, "smtp:[a.example]");
    test_spin();
    test_read(peer, out, sizeof(out));
    is_str(out,
           "19:OK smtp:[a.example],"
           "27:OK smtp:[relay.example]:587,"
           "19:OK smtp:[c.example],"
           "19:OK smtp:[d.example],",
           "socketmap: all four answers, in arrival order");
    is_int((long long)conn_set_waiting(set), 0, "socketmap: nothing waits any more");
    close(peer);
    test_spin();
    is_int((long long)conn_set_count(set), 0, "socketmap: the closed connection left the set");
    conn_set_free(set);
}

/* Policy: a waiting RCPT, a DUNNO for another state, a decided RCPT, in order. */
static void test_policy_out_of_order(void)
{
    struct conn_set *set = test_set();
    char out[4096];
    int peer;

    nheld = 0;
    test_conn(set, &peer);
    test_send(peer, "request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=x@wait.example\n\n"
                    "protocol_state=DATA\nrecipient=y@aol.com\n\n"
                    "protocol_state=RCPT\nrecipient=z@aol.com\n\n"
                    "protocol_state=RCPT\nrecipient=w@wait.example\n\n");
    test_spin();
    is_int((long long)nheld, 2, "policy: two requests wait");
    is_int(test_read(peer, out, sizeof(out)), 0, "policy: nothing written while the first waits");
    test_finish(1, "smtp:");
    test_spin();
    is_int(test_read(peer, out, sizeof(out)), 0, "policy: still nothing");
    test_finish(0, "error:5.7.1 go away");
    test_spin();
    test_read(peer, out, sizeof(out));
    is_str(out,
           "action=REJECT 5.7.1 go away\n\n"
           "action=DUNNO\n\n"
           "action=FILTER smtp:[relay.example]:587\n\n"
           "action=DUNNO\n\n",
           "policy: all four actions, in arrival order");
    close(peer);
    test_spin();
    conn_set_free(set);
}

/* More waiting requests than the queue holds: reading pauses, then resumes. */
static void test_queue_full(void)
{
    struct conn_set *set = test_set();
    char out[8192], want[8192], name[64];
    size_t i, n, wlen = 0, total = 40, done = 0;
    int peer;

    nheld = 0;
    test_conn(set, &peer);
    for (i = 0; i < total; i++)
        test_send(peer, "24:transport q@wait.example,");
    test_spin();
    n = nheld;
    ok(n > 0 && n < total, "queue: %zu of %zu pipelined requests taken while all wait", n, total);
    /* Answer newest first, a batch at a time; the loop decodes the rest as room appears. */
    while (done < total) {
        for (i = nheld; i-- > 0;) {
            if (held[i] != NULL) {
                snprintf(name, sizeof(name), "smtp:[n%zu]", i);
                test_finish(i, name);
                done++;
            }
        }
        test_spin();
        if (nheld == done && done < total)
            break; /* nothing new was taken: reading did not resume */
    }
    is_int((long long)done, (long long)total, "queue: every request was taken in the end");
    for (i = 0; i < total; i++) {
        snprintf(name, sizeof(name), "smtp:[n%zu]", i);
        wlen += (size_t)snprintf(want + wlen, sizeof(want) - wlen, "%zu:OK %s,", 3 + strlen(name),
                                 name);
    }
    test_read(peer, out, sizeof(out));
    is_str(out, want, "queue: every answer, in arrival order");
    close(peer);
    test_spin();
    conn_set_free(set);
}

/* The connection goes away while a request waits: the request is freed by conn_req_done. */
static void test_detach(void)
{
    struct conn_set *set = test_set();
    struct conn *c;
    char out[256];
    int peer;

    nheld = 0;
    c = test_conn(set, &peer);
    test_send(peer, "24:transport a@wait.example,19:transport b@aol.com,");
    test_spin();
    is_int((long long)nheld, 1, "detach: one request waits");
    conn_free(c); /* as an idle timeout or a failed write would */
    is_int((long long)conn_set_count(set), 0, "detach: the connection left the set");
    is_int((long long)conn_set_waiting(set), 1, "detach: its request still waits");
    is_int(test_read(peer, out, sizeof(out)), -1, "detach: the peer sees the close, no answer");
    test_finish(0, "smtp:[late.example]");
    is_int((long long)conn_set_waiting(set), 0, "detach: conn_req_done freed it");
    close(peer);

    /* The whole set goes (daemon exit) while a request waits: conn_req_done still works. */
    nheld = 0;
    test_conn(set, &peer);
    test_send(peer, "24:transport a@wait.example,");
    test_spin();
    is_int((long long)nheld, 1, "detach: a request waits when the set is freed");
    conn_set_free(set);
    test_finish(0, "smtp:[late.example]");
    ok(1, "detach: conn_req_done after conn_set_free (a sanitizer build checks the memory)");
    close(peer);
}

static int drained;

/* conn_set_drain's callback. */
static void test_drained(void *arg)
{
    drained++;
}

/* Shutting down, or the peer closing, waits for the waiting answer, then closes. */
static void test_drain(void)
{
    struct conn_set *set = test_set();
    char out[256];
    int peer, peer2;

    nheld = 0;
    drained = 0;
    test_conn(set, &peer);
    test_conn(set, &peer2);
    test_send(peer, "24:transport a@wait.example,");
    test_send(peer2, "24:transport b@wait.example,");
    shutdown(peer2, SHUT_WR); /* this peer is done sending */
    test_spin();
    is_int((long long)nheld, 2, "drain: two requests wait");
    is_int((long long)conn_set_count(set), 2, "drain: the half-closed peer's connection stays");
    test_finish(1, "smtp:[b.example]");
    test_spin();
    test_read(peer2, out, sizeof(out));
    is_str(out, "19:OK smtp:[b.example],", "drain: the half-closed peer gets its answer");
    is_int(test_read(peer2, out, sizeof(out)), -1, "drain: and then the close");
    conn_set_drain(set, test_drained, NULL);
    test_spin();
    is_int(drained, 0, "drain: not done while a request waits");
    test_finish(0, "smtp:[a.example]");
    test_spin();
    test_read(peer, out, sizeof(out));
    is_str(out, "19:OK smtp:[a.example],", "drain: the waiting answer is written");
    is_int(test_read(peer, out, sizeof(out)), -1, "drain: then the end of the stream");
    /* Lingering: input is read and dropped (never answered) until the peer closes. */
    test_send(peer, "24:transport c@wait.example,");
    test_spin();
    is_int((long long)nheld, 2, "drain: input after the last answer is not decoded");
    is_int(drained, 0, "drain: the connection lingers while the peer has not closed");
    is_int((long long)conn_set_count(set), 1, "drain: and counts as open meanwhile");
    close(peer);
    test_spin();
    is_int(drained, 1, "drain: done once the last connection closed");
    is_int((long long)conn_set_count(set), 0, "drain: no connection left");
    close(peer2);
    conn_set_free(set);
}

/* A peer that never closes after its answers is closed when the linger time is over. */
static void test_linger_bound(void)
{
    struct conn_set *set = test_set();
    char out[256];
    int i, peer;

    nheld = 0;
    drained = 0;
    test_conn(set, &peer);
    test_send(peer, "3:bad;"); /* a bad netstring: a PERM answer, then the close */
    test_spin();
    test_read(peer, out, sizeof(out));
    ok(strstr(out, ":PERM ") != NULL, "linger: the malformed request is answered (%s)", out);
    is_int(test_read(peer, out, sizeof(out)), -1, "linger: then the end of the stream");
    is_int((long long)conn_set_count(set), 1, "linger: the connection waits for the peer");
    conn_set_drain(set, test_drained, NULL);
    for (i = 0; i < 100 && !drained; i++) /* blocks until the linger timer fires */
        event_base_loop(base, EVLOOP_ONCE);
    is_int(drained, 1, "linger: closed when the linger time is over, the peer still open");
    is_int((long long)conn_set_count(set), 0, "linger: no connection left");
    close(peer);
    conn_set_free(set);
}

int main(void)
{
    test_init();
    test_socketmap_out_of_order();
    test_policy_out_of_order();
    test_dsn_in_order();
    test_queue_full();
    test_detach();
    test_drain();
    test_linger_bound();
    snapshot_unref(snap);
    event_base_free(base);
    return done_testing();
}
