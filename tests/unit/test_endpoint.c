/*
 * test_endpoint.c - the shared endpoint and network syntax (endpoint.c) used by the
 * configuration, the server, the Redis client and policyctl: table-driven.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "endpoint.h"
#include "tap.h"

/* Networks: family, bytes, prefix, host bits cleared and reported. */
static void test_endpoint_cidr(void)
{
    static const struct {
        const char *s;
        int want, family;
        const char *addr; /* normalised by inet_ntop after parsing */
        unsigned prefix;
        int hostbits;
    } cases[] = {
        {"127.0.0.0/8", 0, AF_INET, "127.0.0.0", 8, 0},
        {"127.0.0.1/8", 0, AF_INET, "127.0.0.0", 8, 1},
        {"192.0.2.1", 0, AF_INET, "192.0.2.1", 32, 0},
        {"192.0.2.255/25", 0, AF_INET, "192.0.2.128", 25, 1},
        {"0.0.0.0/0", 0, AF_INET, "0.0.0.0", 0, 0},
        {"10.1.2.3/32", 0, AF_INET, "10.1.2.3", 32, 0},
        {"::1", 0, AF_INET6, "::1", 128, 0},
        {"[::1]/128", 0, AF_INET6, "::1", 128, 0},
        {"[2001:db8::1]", 0, AF_INET6, "2001:db8::1", 128, 0},
        {"2001:db8:ffff::/33", 0, AF_INET6, "2001:db8:8000::", 33, 1},
        {"::/0", 0, AF_INET6, "::", 0, 0},
        {"::ffff:10.0.0.1/128", 0, AF_INET6, "::ffff:10.0.0.1", 128, 0},
        {"", -1, 0, NULL, 0, 0},
        {"/8", -1, 0, NULL, 0, 0},
        {"10.0.0.0/33", -1, 0, NULL, 0, 0},
        {"10.0.0.0/-1", -1, 0, NULL, 0, 0},
        {"10.0.0.0/+8", -1, 0, NULL, 0, 0},
        {"10.0.0.0/08", -1, 0, NULL, 0, 0},
        {"10.0.0.0/8 ", -1, 0, NULL, 0, 0},
        {"10.0.0.0/1000", -1, 0, NULL, 0, 0},
        {"::/129", -1, 0, NULL, 0, 0},
        {"[10.0.0.1]", -1, 0, NULL, 0, 0},
        {"[::1", -1, 0, NULL, 0, 0},
        {"::1]", -1, 0, NULL, 0, 0},
        {"010.0.0.1", -1, 0, NULL, 0, 0},
        {"1.2.3", -1, 0, NULL, 0, 0},
        {"localhost", -1, 0, NULL, 0, 0},
        {"fe80::1%lo", -1, 0, NULL, 0, 0},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        unsigned char addr[16];
        unsigned prefix = 999;
        int family = -1, hostbits = -1;
        char text[INET6_ADDRSTRLEN], label[96];
        int r = endpoint_parse_cidr(cases[i].s, &family, addr, &prefix, &hostbits);

        snprintf(label, sizeof(label), "cidr \"%s\"", cases[i].s);
        is_int(r, cases[i].want, label);
        if (cases[i].want < 0)
            continue;
        is_int(family, cases[i].family, "family");
        is_int(prefix, cases[i].prefix, "prefix");
        inet_ntop(family, addr, text, sizeof(text));
        is_str(text, cases[i].addr, "address, host bits cleared");
        is_int(hostbits, cases[i].hostbits, "host bits past the prefix reported");
    }
    {
        unsigned char addr[16];
        unsigned prefix;
        int family, hostbits;

        is_int(endpoint_parse_cidr(NULL, &family, addr, &prefix, &hostbits), -1, "cidr NULL");
    }
}

/* Endpoints: the split fields, or a reason. */
static void test_endpoint_parse(void)
{
    static const struct {
        const char *s, *scheme;
        int want, is_unix;
        const char *host;
        unsigned port;
        const char *path;
    } cases[] = {
        {"inet:127.0.0.1:10027", "inet", 0, 0, "127.0.0.1", 10027, ""},
        {"inet:[::1]:25", "inet", 0, 0, "::1", 25, ""},
        {"inet:localhost:1", "inet", 0, 0, "localhost", 1, ""},
        {"tcp:redis:6379", "tcp", 0, 0, "redis", 6379, ""},
        {"unix:/run/p.sock", "inet", 0, 1, "", 0, "/run/p.sock"},
        {"unix:/run/r.sock", "tcp", 0, 1, "", 0, "/run/r.sock"},
        {"inet:h:025", "inet", 0, 0, "h", 25, ""},
        {"tcp:redis:6379", "inet", -1, 0, NULL, 0, NULL},
        {"inet:h:100000", "inet", -1, 0, NULL, 0, NULL},
        {"inet:h:", "inet", -1, 0, NULL, 0, NULL},
        {"inet:h:-1", "inet", -1, 0, NULL, 0, NULL},
        {"inet", "inet", -1, 0, NULL, 0, NULL},
        {"inetx:h:1", "inet", -1, 0, NULL, 0, NULL},
        {"unix:", "inet", -1, 0, NULL, 0, NULL},
        {"unix:/a b", "inet", -1, 0, NULL, 0, NULL},
        {"inet:a.-b:1", "inet", -1, 0, NULL, 0, NULL},
        {"inet:a-.b:1", "inet", -1, 0, NULL, 0, NULL},
        {"inet:a.:1", "inet", -1, 0, NULL, 0, NULL},
        {"inet:.a:1", "inet", -1, 0, NULL, 0, NULL},
        {"inet:[]:1", "inet", -1, 0, NULL, 0, NULL},
        {"inet:[127.0.0.1]:1", "inet", -1, 0, NULL, 0, NULL},
        {"inet:::1:25", "inet", -1, 0, NULL, 0, NULL},
        {"inet:[::1]25", "inet", -1, 0, NULL, 0, NULL},
        {"inet:[::1:25", "inet", -1, 0, NULL, 0, NULL},
        {"inet:1.2.3.256:25", "inet", -1, 0, NULL, 0, NULL},
        {"inet:h:000025", "inet", -1, 0, NULL, 0, NULL},
        {"inet:h:2 5", "inet", -1, 0, NULL, 0, NULL},
        {"unix:run/p.sock", "inet", -1, 0, NULL, 0, NULL},
        {"tcp:[2001:db8::1]:6379", "tcp", 0, 0, "2001:db8::1", 6379, ""},
        {"inet:mx-1.example.org:65535", "inet", 0, 0, "mx-1.example.org", 65535, ""},
    };
    char err[256], path[ENDPOINT_PATH_MAX + 16];
    struct endpoint ep;
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char label[96];
        int r;

        err[0] = '\0';
        r = endpoint_parse(cases[i].s, cases[i].scheme, &ep, err, sizeof(err));
        snprintf(label, sizeof(label), "endpoint \"%s\" (%s)", cases[i].s, cases[i].scheme);
        is_int(r, cases[i].want, label);
        if (cases[i].want < 0) {
            ok(err[0] != '\0', "%s: a reason (%s)", label, err);
            continue;
        }
        is_int(ep.is_unix, cases[i].is_unix, "is_unix");
        is_str(ep.host, cases[i].host, "host");
        is_int(ep.port, cases[i].port, "port");
        is_str(ep.path, cases[i].path, "path");
    }
    /* unix socket path limits */
    memcpy(path, "unix:/", 6);
    memset(path + 6, 's', ENDPOINT_PATH_MAX - 1);
    path[5 + ENDPOINT_PATH_MAX] = '\0';
    is_int(endpoint_parse(path, "inet", &ep, err, sizeof(err)), 0, "unix path of max length");
    is_int((long long)strlen(ep.path), ENDPOINT_PATH_MAX, "whole path kept");
    path[5 + ENDPOINT_PATH_MAX] = 's';
    path[6 + ENDPOINT_PATH_MAX] = '\0';
    is_int(endpoint_parse(path, "inet", &ep, err, sizeof(err)), -1, "unix path over max");
    is_str(err, "unix socket path longer than 107 bytes", "reason for a long unix path");
    /* host name limits: 63-byte labels, 253 bytes in all */
    {
        char host[300];

        memcpy(host, "inet:", 5);
        memset(host + 5, 'a', 63);
        memcpy(host + 68, ":1", 3);
        is_int(endpoint_parse(host, "inet", &ep, err, sizeof(err)), 0, "63-byte label");
        memset(host + 5, 'a', 64);
        memcpy(host + 69, ":1", 3);
        is_int(endpoint_parse(host, "inet", &ep, err, sizeof(err)), -1, "64-byte label");
        for (i = 0; i < 254; i++)
            host[5 + i] = (i % 2) ? '.' : 'a';
        memcpy(host + 5 + 253, ":1", 3);
        is_int(endpoint_parse(host, "inet", &ep, err, sizeof(err)), 0, "253-byte host");
        is_int((long long)strlen(ep.host), 253, "whole host kept");
        host[5 + 253] = 'a';
        memcpy(host + 5 + 254, ":1", 3);
        is_int(endpoint_parse(host, "inet", &ep, err, sizeof(err)), -1, "254-byte host");
    }
}

int main(void)
{
    test_endpoint_cidr();
    test_endpoint_parse();
    return done_testing();
}
