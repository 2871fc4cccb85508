/* test_sockmap.c - socketmap codec: "NAME KEY" splitting and reply framing. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netstring.h"
#include "sockmap.h"
#include "tap.h"

#define S(lit) lit, sizeof(lit) - 1

/* One split case: payload, expected result, map, name and key. */
struct split_case {
    const char *in;
    size_t in_len;
    int rc;
    enum sockmap_map map;
    const char *name;
    const char *key;
};

static const struct split_case split_cases[] = {
    {S("transport user@example.com"), 0, SOCKMAP_MAP_TRANSPORT, "transport", "user@example.com"},
    {S("explain user@example.com"), 0, SOCKMAP_MAP_EXPLAIN, "explain", "user@example.com"},
    {S("dsn 5.7.25 host a[1.2.3.4] said: x"), 0, SOCKMAP_MAP_DSN, "dsn",
     "5.7.25 host a[1.2.3.4] said: x"},
    {S("Dsn x"), 0, SOCKMAP_MAP_OTHER, "Dsn", "x"},
    {S("dsnx x"), 0, SOCKMAP_MAP_OTHER, "dsnx", "x"},
    {S("transport *"), 0, SOCKMAP_MAP_TRANSPORT, "transport", "*"},
    {S("transport "), 0, SOCKMAP_MAP_TRANSPORT, "transport", ""},
    {S("transport a b  c"), 0, SOCKMAP_MAP_TRANSPORT, "transport", "a b  c"},
    {S("transport  x"), 0, SOCKMAP_MAP_TRANSPORT, "transport", " x"},
    {S(" x"), 0, SOCKMAP_MAP_OTHER, "", "x"},
    {S("Transport x"), 0, SOCKMAP_MAP_OTHER, "Transport", "x"},
    {S("transports x"), 0, SOCKMAP_MAP_OTHER, "transports", "x"},
    {S("transpor x"), 0, SOCKMAP_MAP_OTHER, "transpor", "x"},
    {S("virtual x"), 0, SOCKMAP_MAP_OTHER, "virtual", "x"},
    {S("tr\0nsport x"), 0, SOCKMAP_MAP_OTHER, NULL, "x"},
    {S("transport"), -1, 0, NULL, NULL},
    {S("transport\tx"), -1, 0, NULL, NULL},
    {S(""), -1, 0, NULL, NULL},
};

/* Run the split table: pointers into the payload, the map told from the name. */
static void test_split(void)
{
    size_t i;

    for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
        const struct split_case *c = &split_cases[i];
        struct sockmap_request r;
        char name[96];
        int rc;

        memset(&r, 0x5a, sizeof(r));
        rc = sockmap_request_parse(c->in, c->in_len, &r);
        snprintf(name, sizeof(name), "split #%zu: result", i);
        is_int(rc, c->rc, name);
        if (c->rc < 0)
            continue;
        ok(r.name == c->in && r.key == c->in + r.name_len + 1 &&
               r.name_len + 1 + r.key_len == c->in_len,
           "split #%zu: name and key cover the payload around one space", i);
        snprintf(name, sizeof(name), "split #%zu: map", i);
        is_int(r.map, c->map, name);
        if (c->name != NULL) {
            snprintf(name, sizeof(name), "split #%zu: name", i);
            is_mem(r.name, r.name_len, c->name, name);
        }
        snprintf(name, sizeof(name), "split #%zu: key", i);
        is_mem(r.key, r.key_len, c->key, name);
    }
}

/* One reply case: status, data, the exact netstring. */
struct reply_case {
    enum sockmap_status st;
    const char *data;
    const char *want;
};

static const struct reply_case reply_cases[] = {
    {SOCKMAP_OK, "smtp:[relay.example]:587", "27:OK smtp:[relay.example]:587,"},
    {SOCKMAP_NOTFOUND, "", "9:NOTFOUND ,"},
    {SOCKMAP_NOTFOUND, "ignored", "9:NOTFOUND ,"},
    {SOCKMAP_TEMP, "routing overrides not loaded from Redis yet",
     "48:TEMP routing overrides not loaded from Redis yet,"},
    {SOCKMAP_PERM, "unknown map x", "18:PERM unknown map x,"},
    {SOCKMAP_PERM, "", "5:PERM ,"},
    /* OK is never empty: Postfix reads "OK " alone as a lookup failure. */
    {SOCKMAP_OK, "", "17:TEMP empty answer,"},
};

/* Run the reply table: exact bytes, size queries, nothing written when short. */
static void test_reply(void)
{
    size_t i;

    for (i = 0; i < sizeof(reply_cases) / sizeof(reply_cases[0]); i++) {
        const struct reply_case *c = &reply_cases[i];
        size_t want = strlen(c->want), need;
        char out[128], name[96];

        memset(out, '#', sizeof(out));
        need = sockmap_reply_encode(out, sizeof(out), c->st, c->data, strlen(c->data));
        snprintf(name, sizeof(name), "reply #%zu: bytes", i);
        is_mem(out, need, c->want, name);
        ok(out[need] == '#', "reply #%zu: nothing written past it", i);
        is_int((long long)sockmap_reply_encode(NULL, 0, c->st, c->data, strlen(c->data)),
               (long long)want, "reply: size query with NULL, 0");
        memset(out, '#', sizeof(out));
        ok(sockmap_reply_encode(out, want - 1, c->st, c->data, strlen(c->data)) == want &&
               out[0] == '#',
           "reply #%zu: nothing written when one byte short", i);
    }
}

/* Data longer than Postfix accepts is cut so that the payload is exactly the maximum. */
static void test_reply_cap(void)
{
    static const size_t sizes[] = {SOCKMAP_REPLY_MAX - 3, SOCKMAP_REPLY_MAX - 2,
                                   SOCKMAP_REPLY_MAX + 5, 3 * SOCKMAP_REPLY_MAX};
    size_t len = 3 * SOCKMAP_REPLY_MAX, i;
    char *data = malloc(len), *out = malloc(len + 32);
    const char *payload, *why;
    size_t plen, used, need;

    memset(data, 'x', len);
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        size_t want = sizes[i] + 3 > SOCKMAP_REPLY_MAX ? SOCKMAP_REPLY_MAX : sizes[i] + 3;

        need = sockmap_reply_encode(out, len + 32, SOCKMAP_OK, data, sizes[i]);
        ok(netstring_decode(out, need, SOCKMAP_REPLY_MAX, &payload, &plen, &used, &why) ==
                   NETSTRING_COMPLETE &&
               used == need,
           "cap: %zu bytes of data give one netstring within the limit", sizes[i]);
        is_int((long long)plen, (long long)want, "cap: payload length");
        ok(memcmp(payload, "OK x", 4) == 0, "cap: still an OK with the data's start");
    }
    need = sockmap_reply_encode(out, len + 32, SOCKMAP_PERM, data, len);
    ok(need == 6 + 1 + SOCKMAP_REPLY_MAX + 1 && memcmp(out, "100000:PERM x", 13) == 0,
       "cap: PERM cut the same way");
    free(data);
    free(out);
}

int main(void)
{
    test_split();
    test_reply();
    test_reply_cap();
    return done_testing();
}
