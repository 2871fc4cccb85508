/*
 * fuzz_netstring.c - fuzz target for the netstring decoder. Decodes the input as
 * a stream of pipelined netstrings under several limits and aborts when an
 * invariant breaks: consumed within the input, payload inside it, exact round
 * trip through netstring_encode, shorter prefixes NEED_MORE, the limit enforced.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Check one COMPLETE result against the bytes it came from; abort on any mismatch. */
static void fuzz_netstring_check(const char *buf, size_t len, size_t max, const char *payload,
                                 size_t payload_len, size_t consumed)
{
    const char *p2 = NULL, *why = NULL;
    size_t l2 = 0, c2 = 0, need;
    char *enc;

    if (consumed > len || consumed < 3 || payload_len > max || payload < buf ||
        payload_len > consumed || payload + payload_len >= buf + consumed)
        abort();
    need = netstring_encode(NULL, 0, payload, payload_len);
    if (need != consumed)
        abort();
    enc = malloc(need);
    if (enc == NULL)
        abort();
    if (netstring_encode(enc, need, payload, payload_len) != need || memcmp(enc, buf, need) != 0)
        abort();
    free(enc);
    if (netstring_decode(buf, consumed - 1, max, &p2, &l2, &c2, &why) != NETSTRING_NEED_MORE)
        abort();
    if (payload_len > 0 &&
        netstring_decode(buf, consumed, payload_len - 1, &p2, &l2, &c2, &why) != NETSTRING_ERROR)
        abort();
}

/* Decode buf as pipelined netstrings until an error or a partial one. */
static void fuzz_netstring_stream(const char *buf, size_t len, size_t max)
{
    size_t pos = 0;

    while (pos <= len) {
        const char *payload = NULL, *why = NULL;
        size_t payload_len = 0, consumed = 0;
        int rc =
            netstring_decode(buf + pos, len - pos, max, &payload, &payload_len, &consumed, &why);

        if (rc == NETSTRING_ERROR && why == NULL)
            abort();
        if (rc != NETSTRING_COMPLETE)
            return;
        fuzz_netstring_check(buf + pos, len - pos, max, payload, payload_len, consumed);
        pos += consumed;
    }
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const size_t maxes[] = {10000, 0, 1, 9, 10, 100, SIZE_MAX};
    size_t i;

    for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++)
        fuzz_netstring_stream((const char *)data, size, maxes[i]);
    return 0;
}
