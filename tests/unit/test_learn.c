/*
 * test_learn.c - the dsn map's pure parts: is the rejecting host the smarthost
 * (table-driven), by name, address, or, for a nexthop without brackets, domain.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "learn.h"
#include "tap.h"

/* learn_is_nexthop over nexthop forms, names, addresses and near misses. */
static void test_learn_nexthop(void)
{
    static const struct {
        const char *result, *name, *addr;
        int want;
    } cases[] = {
        {"smtp:[relay.example]:587", "relay.example", "192.0.2.1", 1},
        {"smtp:[relay.example]:587", "RELAY.Example.", "192.0.2.1", 1},
        {"smtp:[relay.example.]", "relay.example", "192.0.2.1", 1},
        {"smtp:relay.example:25", "relay.example", "192.0.2.1", 1},
        {"smtp:relay.example", "relay.example", "192.0.2.1", 1},
        {"relay:[relay.example]", "relay.example", "192.0.2.1", 1},
        {"smtp:[relay.example]:587", "mx.relay.example", "192.0.2.1", 0},
        {"smtp:[relay.example]:587", "relay.example.org", "192.0.2.1", 0},
        {"smtp:[relay.example]:587", "elay.example", "192.0.2.1", 0},
        {"smtp:[192.0.2.7]:587", "out.relay.example", "192.0.2.7", 1},
        {"smtp:[192.0.2.7]:587", "out.relay.example", "192.0.2.8", 0},
        {"smtp:[192.0.2.7]", "192.0.2.7", "192.0.2.7", 1},
        {"smtp:[ipv6:2001:db8::1]:25", "relay6.example", "2001:db8:0::1", 1},
        {"smtp:[ipv6:2001:db8::1]:25", "relay6.example", "2001:db8::2", 0},
        {"smtp:[2001:db8::1]", "relay6.example", "2001:DB8::1", 1},
        {"smtp:[192.0.2.7]", "x.example", "::ffff:192.0.2.8", 0},
        {"smtp:", "relay.example", "192.0.2.1", 0},
        {"smtp:[]", "relay.example", "192.0.2.1", 0},
        {"smtp:[relay.example", "relay.example", "192.0.2.1", 0},
        {"error:5.7.1 no", "relay.example", "192.0.2.1", 0},
        {"smtp:[relay.example]", "", "", 0},
        /* no brackets: the nexthop's MX hosts, by registrable domain (public suffix list) */
        {"smtp:relay.isp.example", "mx1.relay.isp.example", "192.0.2.9", 1},
        {"smtp:relay.isp.example:25", "MX2.isp.example.", "192.0.2.9", 1},
        {"smtp:relay.isp.example", "mx.other.example", "192.0.2.9", 0},
        {"smtp:[relay.isp.example]", "mx1.relay.isp.example", "192.0.2.9", 0},
        {"smtp:relay.isp.co.uk", "mx.isp.co.uk", "192.0.2.9", 1},
        {"smtp:relay.isp.co.uk", "mx.other.co.uk", "192.0.2.9", 0},
        {"smtp:co.uk", "mx.other.co.uk", "192.0.2.9", 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        is_int(learn_is_nexthop(cases[i].result, cases[i].name, strlen(cases[i].name),
                                cases[i].addr, strlen(cases[i].addr)),
               cases[i].want, cases[i].result);
}

int main(void)
{
    test_learn_nexthop();
    return done_testing();
}
