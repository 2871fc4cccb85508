/* test_netstring.c - netstring codec: decode statuses, limits, pipelining, encode. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "netstring.h"
#include "tap.h"

/* One decode case: input bytes (explicit length, may hold NUL), limit, expectation. */
struct decode_case {
    const char *name;
    const char *in;
    size_t in_len;
    size_t max;
    int rc;
    const char *payload; /* on COMPLETE */
    size_t payload_len;
    size_t consumed; /* on COMPLETE */
};

#define S(lit) lit, sizeof(lit) - 1

static const struct decode_case decode_cases[] = {
    {"complete", S("5:hello,"), 100, NETSTRING_COMPLETE, S("hello"), 8},
    {"complete, exactly max", S("5:hello,"), 5, NETSTRING_COMPLETE, S("hello"), 8},
    {"empty payload", S("0:,"), 100, NETSTRING_COMPLETE, S(""), 3},
    {"empty payload, max 0", S("0:,"), 0, NETSTRING_COMPLETE, S(""), 3},
    {"payload with space", S("34:transport User+Ext@Sub.Example.COM,"), 10000, NETSTRING_COMPLETE,
     S("transport User+Ext@Sub.Example.COM"), 38},
    {"payload with NUL, colon, comma", S("5:a\0:,b,"), 100, NETSTRING_COMPLETE, S("a\0:,b"), 8},
    {"two digits", S("10:0123456789,"), 100, NETSTRING_COMPLETE, S("0123456789"), 14},
    {"trailing bytes ignored", S("1:x,garbage"), 100, NETSTRING_COMPLETE, S("x"), 4},
    {"empty buffer", S(""), 100, NETSTRING_NEED_MORE, NULL, 0, 0},
    {"lone zero", S("0"), 100, NETSTRING_NEED_MORE, NULL, 0, 0},
    {"header only", S("5:"), 100, NETSTRING_NEED_MORE, NULL, 0, 0},
    {"header at max", S("5:"), 5, NETSTRING_NEED_MORE, NULL, 0, 0},
    {"leading zero", S("05:hello,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"leading zero, prefix", S("00"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"empty length", S(":,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"non-digit first", S("a:hello,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"non-digit inside", S("1a:x,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"sign", S("+1:x,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"space before colon", S("1 :x,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"missing comma", S("5:hello;"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"payload longer than length", S("4:hello,"), 100, NETSTRING_ERROR, NULL, 0, 0},
    {"oversize at header", S("6:"), 5, NETSTRING_ERROR, NULL, 0, 0},
    {"oversize before colon", S("6"), 5, NETSTRING_ERROR, NULL, 0, 0},
    {"oversize, max 0", S("1:x,"), 0, NETSTRING_ERROR, NULL, 0, 0},
    {"oversize, 10001 of 10000", S("10001:"), 10000, NETSTRING_ERROR, NULL, 0, 0},
    {"more digits than max needs", S("100000"), 10000, NETSTRING_ERROR, NULL, 0, 0},
    {"20+ digits", S("99999999999999999999999:"), SIZE_MAX, NETSTRING_ERROR, NULL, 0, 0},
};

/* Run the decode table. */
static void test_decode_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
        const struct decode_case *c = &decode_cases[i];
        const char *payload = NULL, *why = NULL;
        size_t payload_len = 0, consumed = 0;
        int rc =
            netstring_decode(c->in, c->in_len, c->max, &payload, &payload_len, &consumed, &why);
        char name[160];

        snprintf(name, sizeof(name), "decode %s: status", c->name);
        is_int(rc, c->rc, name);
        if (c->rc == NETSTRING_COMPLETE) {
            snprintf(name, sizeof(name), "decode %s: payload", c->name);
            ok(payload == c->in + (consumed - 1 - c->payload_len) &&
                   payload_len == c->payload_len &&
                   memcmp(payload, c->payload, c->payload_len) == 0,
               "%s", name);
            snprintf(name, sizeof(name), "decode %s: consumed", c->name);
            is_int((long long)consumed, (long long)c->consumed, name);
        } else if (c->rc == NETSTRING_ERROR) {
            ok(why != NULL && why[0] != '\0', "decode %s: reason given (%s)", c->name,
               why ? why : "none");
        }
    }
}

/* Every proper prefix of every complete case is NEED_MORE. */
static void test_prefixes(void)
{
    size_t i, n;

    for (i = 0; i < sizeof(decode_cases) / sizeof(decode_cases[0]); i++) {
        const struct decode_case *c = &decode_cases[i];
        int bad = 0;

        if (c->rc != NETSTRING_COMPLETE)
            continue;
        for (n = 0; n < c->consumed; n++) {
            const char *payload = NULL, *why = NULL;
            size_t payload_len = 0, consumed = 0;

            if (netstring_decode(c->in, n, c->max, &payload, &payload_len, &consumed, &why) !=
                NETSTRING_NEED_MORE)
                bad++;
        }
        is_int(bad, 0, c->name);
    }
}

/* Two netstrings in one buffer come out one after the other. */
static void test_pipelined(void)
{
    static const char in[] = "5:hello,0:,5:world,3:ab";
    static const char *const want[] = {"hello", "", "world"};
    const char *p = in, *payload = NULL, *why = NULL;
    size_t left = sizeof(in) - 1, payload_len = 0, consumed = 0, i;

    for (i = 0; i < 3; i++) {
        is_int(netstring_decode(p, left, 100, &payload, &payload_len, &consumed, &why),
               NETSTRING_COMPLETE, "pipelined: complete");
        is_mem(payload, payload_len, want[i], "pipelined: payload");
        p += consumed;
        left -= consumed;
    }
    is_int(netstring_decode(p, left, 100, &payload, &payload_len, &consumed, &why),
           NETSTRING_NEED_MORE, "pipelined: partial third is NEED_MORE");
}

/* The largest length size_t holds is a valid header; one more overflows and is an error. */
static void test_size_max(void)
{
    char hdr[48];
    const char *payload = NULL, *why = NULL;
    size_t payload_len = 0, consumed = 0, n;

    n = (size_t)snprintf(hdr, sizeof(hdr), "%zu:", (size_t)SIZE_MAX);
    is_int(netstring_decode(hdr, n, SIZE_MAX, &payload, &payload_len, &consumed, &why),
           NETSTRING_NEED_MORE, "SIZE_MAX length with max SIZE_MAX: NEED_MORE");
    hdr[n - 2]++; /* SIZE_MAX ends in 5 for 16, 32 and 64 bits: now SIZE_MAX + 1 */
    is_int(netstring_decode(hdr, n, SIZE_MAX, &payload, &payload_len, &consumed, &why),
           NETSTRING_ERROR, "SIZE_MAX + 1 length: ERROR, no wrap");
    is_int(netstring_decode(hdr, n - 1, SIZE_MAX, &payload, &payload_len, &consumed, &why),
           NETSTRING_ERROR, "SIZE_MAX + 1 length: ERROR before the colon");
}

/* One encode case: data, then the exact netstring expected. */
struct encode_case {
    const char *data;
    size_t data_len;
    const char *want;
};

static const struct encode_case encode_cases[] = {
    {S("hello"), "5:hello,"},
    {S(""), "0:,"},
    {S("OK smtp:[relay.example]:587"), "27:OK smtp:[relay.example]:587,"},
    {S("0123456789"), "10:0123456789,"},
};

/* encode2: the payload cut in two at every point gives the same bytes as encode. */
static void test_encode2_splits(const struct encode_case *c, size_t want_len)
{
    char dst[64];
    size_t cut, need;
    int same = 1;

    for (cut = 0; cut <= c->data_len; cut++) {
        memset(dst, '#', sizeof(dst));
        need = netstring_encode2(dst, sizeof(dst), c->data, cut, c->data + cut, c->data_len - cut);
        if (need != want_len || memcmp(dst, c->want, want_len) != 0 || dst[want_len] != '#')
            same = 0;
        if (netstring_encode2(dst, want_len - 1, c->data, cut, c->data + cut,
                              c->data_len - cut) != want_len)
            same = 0;
    }
    ok(same, "encode2 \"%s\": same bytes for every cut of the payload", c->want);
    is_int((long long)netstring_encode2(dst, sizeof(dst), NULL, 0, NULL, 0), 3,
           "encode2: two empty parts");
    is_int((long long)netstring_encode2(NULL, 0, "x", SIZE_MAX, "y", 1), (long long)SIZE_MAX,
           "encode2: parts whose sum overflows give SIZE_MAX");
}

/* Encode: exact bytes, size returned, nothing written when it does not fit. */
static void test_encode(void)
{
    size_t i;

    for (i = 0; i < sizeof(encode_cases) / sizeof(encode_cases[0]); i++) {
        const struct encode_case *c = &encode_cases[i];
        size_t want_len = strlen(c->want);
        char dst[64], small[64];
        size_t need;

        need = netstring_encode(dst, sizeof(dst), c->data, c->data_len);
        is_int((long long)need, (long long)want_len, "encode: size");
        is_mem(dst, need, c->want, "encode: bytes");
        is_int((long long)netstring_encode(NULL, 0, c->data, c->data_len), (long long)want_len,
               "encode: size query with NULL, 0");
        memset(small, '#', sizeof(small));
        need = netstring_encode(small, want_len - 1, c->data, c->data_len);
        is_int((long long)need, (long long)want_len, "encode: size when too small");
        ok(small[0] == '#' && small[want_len - 2] == '#', "encode: nothing written when too small");
        memset(small, '#', sizeof(small));
        need = netstring_encode(small, want_len, c->data, c->data_len);
        ok(need == want_len && small[want_len] == '#', "encode: exact fit, no NUL after it");
        test_encode2_splits(c, want_len);
    }
}

/* A 1000-byte payload survives encode then decode. */
static void test_round_trip(void)
{
    char data[1000], enc[1100];
    const char *payload = NULL, *why = NULL;
    size_t payload_len = 0, consumed = 0, need, i;

    for (i = 0; i < sizeof(data); i++)
        data[i] = (char)(i * 7);
    need = netstring_encode(enc, sizeof(enc), data, sizeof(data));
    is_int((long long)need, 1006, "round trip: encoded size");
    is_int(netstring_decode(enc, need, sizeof(data), &payload, &payload_len, &consumed, &why),
           NETSTRING_COMPLETE, "round trip: decodes");
    ok(payload_len == sizeof(data) && memcmp(payload, data, sizeof(data)) == 0 && consumed == need,
       "round trip: same bytes");
}

int main(void)
{
    test_decode_table();
    test_prefixes();
    test_pipelined();
    test_size_max();
    test_encode();
    test_round_trip();
    return done_testing();
}
