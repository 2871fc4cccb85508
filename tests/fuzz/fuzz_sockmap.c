/*
 * fuzz_sockmap.c - fuzz target for the socketmap codec. The input is split as a
 * request "NAME KEY" and framed as the data of every reply status; aborts when an
 * invariant breaks: name and key cover the payload around its first space, the map
 * is told from the exact name, every reply decodes as one netstring of at most
 * SOCKMAP_REPLY_MAX bytes starting with its status word, OK is never empty, and
 * the data is the input's start.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "sockmap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check the split of p[0..len) against what a plain scan finds. */
static void fuzz_sockmap_split(const char *p, size_t len)
{
    const char *sp = memchr(p, ' ', len);
    struct sockmap_request r;
    enum sockmap_map want = SOCKMAP_MAP_OTHER;

    if (sockmap_request_parse(p, len, &r) != (sp ? 0 : -1))
        abort();
    if (sp == NULL)
        return;
    if (r.name != p || r.name_len != (size_t)(sp - p) || r.key != sp + 1 ||
        r.name_len + 1 + r.key_len != len || memchr(r.name, ' ', r.name_len) != NULL)
        abort();
    if (r.name_len == 9 && memcmp(p, "transport", 9) == 0)
        want = SOCKMAP_MAP_TRANSPORT;
    else if (r.name_len == 7 && memcmp(p, "explain", 7) == 0)
        want = SOCKMAP_MAP_EXPLAIN;
    else if (r.name_len == 3 && memcmp(p, "dsn", 3) == 0)
        want = SOCKMAP_MAP_DSN;
    if (r.map != want)
        abort();
}

/* Frame p[0..len) as the data of a reply with status st and check the netstring. */
static void fuzz_sockmap_reply(enum sockmap_status st, const char *p, size_t len)
{
    static const char *const words[] = {"OK ", "NOTFOUND ", "TEMP ", "PERM "};
    static char out[SOCKMAP_REPLY_MAX + 16];
    const char *payload, *why;
    size_t need, plen, used, wlen, dlen;

    need = sockmap_reply_encode(NULL, 0, st, p, len);
    if (need > sizeof(out) || sockmap_reply_encode(out, sizeof(out), st, p, len) != need)
        abort();
    if (netstring_decode(out, need, SOCKMAP_REPLY_MAX, &payload, &plen, &used, &why) !=
            NETSTRING_COMPLETE ||
        used != need)
        abort();
    if (st == SOCKMAP_OK && len == 0) {
        if (plen != 17 || memcmp(payload, "TEMP empty answer", 17) != 0)
            abort();
        return;
    }
    wlen = strlen(words[st]);
    if (plen < wlen || memcmp(payload, words[st], wlen) != 0 || (st == SOCKMAP_OK && plen == wlen))
        abort();
    dlen = st == SOCKMAP_NOTFOUND           ? 0
           : len < SOCKMAP_REPLY_MAX - wlen ? len
                                            : SOCKMAP_REPLY_MAX - wlen;
    if (plen != wlen + dlen || memcmp(payload + wlen, p, dlen) != 0)
        abort();
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data;

    fuzz_sockmap_split(p, size);
    fuzz_sockmap_reply(SOCKMAP_OK, p, size);
    fuzz_sockmap_reply(SOCKMAP_NOTFOUND, p, size);
    fuzz_sockmap_reply(SOCKMAP_TEMP, p, size);
    fuzz_sockmap_reply(SOCKMAP_PERM, p, size);
    return 0;
}
