/*
 * fuzz_conn.c - the whole connection handler: bytes in through a socketpair, the
 * event loop runs, and every answer that comes back must be well formed: netstrings
 * starting with OK/NOTFOUND/TEMP/PERM for socketmap, "action=..." LF LF for policy.
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
#include "diag.h"
#include "log.h"
#include "netstring.h"
#include "server.h"
#include "snapshot.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct event_base *fuzz_base;
static struct server *fuzz_srv;

/* Build one server with a small rule set, once. */
static void fuzz_init(void)
{
    char dir[] = "/tmp/fuzz_conn.XXXXXX", path[256];
    struct diag *d = diag_new();
    struct snapshot *snap;
    FILE *f;

    if (mkdtemp(dir) == NULL)
        abort();
    snprintf(path, sizeof(path), "%s/r.rules", dir);
    f = fopen(path, "w");
    fputs("aol.com smarthost\n.gmx.de direct\nu@web.de error:5.7.1 no\n"
          "/^yahoo\\./ retry:4.4.0 later\nx.example DUNNO\n",
          f);
    fclose(f);
    snprintf(path, sizeof(path), "%s/p.conf", dir);
    f = fopen(path, "w");
    fprintf(f,
            "rules = %s/r.rules\nroute.smarthost = smtp:[relay.example]:587\n"
            "route.direct = smtp:\nmax_request_size = 1000\nlog_target = stderr\n",
            dir);
    fclose(f);
    snap = snapshot_build(path, d);
    if (snap == NULL) {
        diag_print(d, stderr);
        abort();
    }
    diag_free(d);
    log_set_verbosity(-1);
    fuzz_base = event_base_new();
    fuzz_srv = server_new(snap, NULL);
    if (fuzz_base == NULL || fuzz_srv == NULL || server_start(fuzz_srv, fuzz_base) < 0)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char out[1 << 20];
    size_t olen = 0, off = 0;
    int sv[2], rounds;
    ssize_t n;

    if (fuzz_base == NULL)
        fuzz_init();
    if (size > 200000)
        return 0;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
        abort();
    if (conn_new(fuzz_srv, fuzz_base, sv[0], "fuzz") == NULL)
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
        n = read(sv[1], out + olen, sizeof(out) - olen);
        if (n == 0)
            break; /* the server closed: everything answered */
        if (n > 0)
            olen += (size_t)n;
        if (olen == sizeof(out))
            abort();
    }
    if (rounds == 100000)
        abort(); /* the connection never finished */
    close(sv[1]);
    if (size > 0 && data[0] >= '0' && data[0] <= '9')
        fuzz_check_socketmap(out, olen);
    else if (olen > 0)
        fuzz_check_policy(out, olen);
    return 0;
}
