/* test_dnswire.c - reading MX answers from DNS wire format, packets built here byte by byte. */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"
#include "tap.h"

/* A packet under construction. */
struct pkt {
    unsigned char b[70000];
    size_t n;
};

/* Append one byte. */
static void pkt_u8(struct pkt *p, unsigned v)
{
    p->b[p->n++] = (unsigned char)v;
}

/* Append a big-endian 16-bit value. */
static void pkt_u16(struct pkt *p, unsigned v)
{
    pkt_u8(p, v >> 8 & 0xff);
    pkt_u8(p, v & 0xff);
}

/* Append a big-endian 32-bit value. */
static void pkt_u32(struct pkt *p, uint32_t v)
{
    pkt_u16(p, v >> 16);
    pkt_u16(p, v & 0xffff);
}

/* Append a name given as text ("a.b", "" for the root), uncompressed. */
static void pkt_name(struct pkt *p, const char *name)
{
    while (*name) {
        const char *dot = strchr(name, '.');
        size_t l = dot ? (size_t)(dot - name) : strlen(name);

        pkt_u8(p, (unsigned)l);
        memcpy(p->b + p->n, name, l);
        p->n += l;
        name += l + (dot != NULL);
    }
    pkt_u8(p, 0);
}

/* Start a response: header with the counts and flags, question NAME MX IN. */
static void pkt_start(struct pkt *p, unsigned rcode, unsigned an, unsigned ns, const char *qname)
{
    p->n = 0;
    pkt_u16(p, 0x1234);
    pkt_u16(p, 0x8180 | rcode);
    pkt_u16(p, 1);
    pkt_u16(p, an);
    pkt_u16(p, ns);
    pkt_u16(p, 0);
    pkt_name(p, qname);
    pkt_u16(p, 15);
    pkt_u16(p, 1);
}

/* Append the fixed part of a record after its owner name; returns where RDLENGTH goes. */
static size_t pkt_rr_head(struct pkt *p, unsigned type, unsigned rclass, uint32_t ttl)
{
    size_t at;

    pkt_u16(p, type);
    pkt_u16(p, rclass);
    pkt_u32(p, ttl);
    at = p->n;
    pkt_u16(p, 0);
    return at;
}

/* Fill in the RDLENGTH at `at` for data that ends here. */
static void pkt_rr_end(struct pkt *p, size_t at)
{
    size_t len = p->n - at - 2;

    p->b[at] = (unsigned char)(len >> 8);
    p->b[at + 1] = (unsigned char)(len & 0xff);
}

/* Append "OWNER TTL IN MX PREF HOST". */
static void pkt_mx(struct pkt *p, const char *owner, uint32_t ttl, unsigned pref, const char *host)
{
    size_t at;

    pkt_name(p, owner);
    at = pkt_rr_head(p, 15, 1, ttl);
    pkt_u16(p, pref);
    pkt_name(p, host);
    pkt_rr_end(p, at);
}

/* Append "OWNER TTL IN CNAME TARGET". */
static void pkt_cname(struct pkt *p, const char *owner, uint32_t ttl, const char *target)
{
    size_t at;

    pkt_name(p, owner);
    at = pkt_rr_head(p, 5, 1, ttl);
    pkt_name(p, target);
    pkt_rr_end(p, at);
}

/* Append "ZONE TTL IN SOA ns.ZONE. host.ZONE. 1 3600 600 86400 MINIMUM". */
static void pkt_soa(struct pkt *p, const char *zone, uint32_t ttl, uint32_t minimum)
{
    size_t at;

    pkt_name(p, zone);
    at = pkt_rr_head(p, 6, 1, ttl);
    pkt_name(p, "ns.test");
    pkt_name(p, "hostmaster.test");
    pkt_u32(p, 1);
    pkt_u32(p, 3600);
    pkt_u32(p, 600);
    pkt_u32(p, 86400);
    pkt_u32(p, minimum);
    pkt_rr_end(p, at);
}

static struct pkt P;
static struct dnswire_answer A;
static char err[256];

/* Parse P into A; returns dnswire_parse_mx's result. */
static int parse(void)
{
    err[0] = '\0';
    return dnswire_parse_mx(P.b, P.n, &A, err, sizeof(err));
}

/* Two MX records, mixed case, a compressed owner and exchange. */
static void test_mx(void)
{
    size_t at, qname = 12;

    pkt_start(&P, 0, 3, 0, "Example.COM");
    pkt_mx(&P, "example.com", 300, 20, "MX2.Example.net");
    /* owner as a pointer to the question, exchange "mx1" + pointer to "example.com" */
    pkt_u8(&P, 0xc0);
    pkt_u8(&P, (unsigned)qname);
    at = pkt_rr_head(&P, 15, 1, 120);
    pkt_u16(&P, 10);
    pkt_u8(&P, 3);
    memcpy(P.b + P.n, "MX1", 3);
    P.n += 3;
    pkt_u8(&P, 0xc0);
    pkt_u8(&P, (unsigned)qname);
    pkt_rr_end(&P, at);
    /* an MX of another name is not ours */
    pkt_mx(&P, "other.com", 5, 0, "elsewhere.net");
    is_int(parse(), 0, "MX answer parses");
    is_int(A.kind, DNSWIRE_MX, "kind MX");
    is_int((long long)A.count, 2, "two MX records of the question's name");
    is_str(A.hosts[0].name, "mx2.example.net", "exchange lowercased, no trailing dot");
    is_int(A.hosts[0].pref, 20, "preference read");
    is_str(A.hosts[1].name, "mx1.example.com", "compressed exchange expanded");
    is_int(A.hosts[1].pref, 10, "second preference read");
    is_int(A.ttl, 120, "TTL is the smallest of the MX set");
    is_int(A.has_ttl, 1, "MX answer has a TTL");
}

/* NODATA and NXDOMAIN with and without SOA. */
static void test_negative(void)
{
    pkt_start(&P, 0, 0, 1, "nodata.test");
    pkt_soa(&P, "test", 3600, 30);
    is_int(parse(), 0, "NODATA parses");
    is_int(A.kind, DNSWIRE_NODATA, "kind NODATA");
    is_int(A.ttl, 30, "NODATA TTL is the SOA minimum when lower");
    pkt_start(&P, 3, 0, 1, "nx.test");
    pkt_soa(&P, "test", 20, 900);
    is_int(parse(), 0, "NXDOMAIN parses");
    is_int(A.kind, DNSWIRE_NXDOMAIN, "kind NXDOMAIN");
    is_int(A.ttl, 20, "NXDOMAIN TTL is the SOA's own TTL when lower");
    is_int(A.has_ttl, 1, "negative answer with SOA has a TTL");
    pkt_start(&P, 3, 0, 0, "nx.test");
    is_int(parse(), 0, "NXDOMAIN without SOA parses");
    is_int(A.has_ttl, 0, "NXDOMAIN without SOA has no TTL");
    pkt_start(&P, 2, 0, 0, "fail.test");
    is_int(parse(), 0, "SERVFAIL parses");
    is_int(A.kind, DNSWIRE_ERROR, "SERVFAIL is an error");
    is_int(A.rcode, 2, "rcode kept");
    is_int(A.has_ttl, 0, "an error has no TTL");
}

/* Null MX, CNAME chains, escapes, the RFC 2181 TTL rule, foreign classes. */
static void test_special(void)
{
    pkt_start(&P, 0, 1, 0, "nullmx.test");
    pkt_mx(&P, "nullmx.test", 60, 0, "");
    is_int(parse(), 0, "null MX parses");
    is_int(A.kind, DNSWIRE_NULLMX, "kind null MX");
    pkt_start(&P, 0, 3, 0, "alias.test");
    pkt_cname(&P, "alias.test", 50, "middle.test");
    pkt_mx(&P, "real.test", 300, 5, "mx.real.test");
    pkt_cname(&P, "middle.test", 900, "real.test");
    is_int(parse(), 0, "CNAME chain parses");
    is_int((long long)A.count, 1, "MX of the chain's end");
    is_str(A.hosts[0].name, "mx.real.test", "exchange of the target");
    is_int(A.ttl, 50, "TTL bounded by the CNAMEs");
    pkt_start(&P, 0, 2, 0, "loop.test");
    pkt_cname(&P, "loop.test", 50, "pool.test");
    pkt_cname(&P, "pool.test", 50, "loop.test");
    is_int(parse(), -1, "CNAME loop refused");
    pkt_start(&P, 0, 1, 0, "odd.test");
    pkt_mx(&P, "odd.test", 0x80000000u, 1, "a\\b.c d");
    P.b[P.n - 7] = '.'; /* the '\\' inside label "a\b" becomes a dot inside a label */
    is_int(parse(), 0, "odd exchange parses");
    is_str(A.hosts[0].name, "a\\046b.c\\032d", "odd bytes escaped as \\DDD");
    is_int(A.ttl, 0, "TTL with the top bit set counts as 0");
    pkt_start(&P, 0, 1, 0, "chaos.test");
    pkt_name(&P, "chaos.test");
    {
        size_t at = pkt_rr_head(&P, 15, 3, 60);
        pkt_u16(&P, 1);
        pkt_name(&P, "mx.chaos.test");
        pkt_rr_end(&P, at);
    }
    is_int(parse(), 0, "class CH record parses");
    is_int(A.kind, DNSWIRE_NODATA, "an MX of class CH does not count");
}

/* Malformed packets: every truncation, pointer loops, wrong questions, too many MX. */
static void test_malformed(void)
{
    size_t full, cut;
    int bad = 0, i;

    pkt_start(&P, 0, 2, 1, "example.com");
    pkt_mx(&P, "example.com", 300, 10, "mx1.example.com");
    pkt_mx(&P, "example.com", 300, 20, "mx2.example.com");
    pkt_soa(&P, "example.com", 300, 300);
    full = P.n;
    for (cut = 0; cut < full; cut++) {
        P.n = cut;
        if (parse() != -1)
            bad++;
    }
    is_int(bad, 0, "every truncated packet refused");
    P.n = full;
    P.b[2] &= 0x7f;
    is_int(parse(), -1, "a query (QR clear) refused");
    pkt_start(&P, 0, 0, 0, "example.com");
    P.b[5] = 2;
    is_int(parse(), -1, "two questions refused");
    pkt_start(&P, 0, 0, 0, "example.com");
    P.b[P.n - 3] = 1;
    is_int(parse(), -1, "answer to an A query refused");
    P.n = 0;
    pkt_start(&P, 0, 1, 0, "x");
    P.n -= 4 + 3; /* replace the question name with a pointer to itself */
    pkt_u8(&P, 0xc0);
    pkt_u8(&P, 12);
    pkt_u16(&P, 15);
    pkt_u16(&P, 1);
    is_int(parse(), -1, "compression loop refused");
    pkt_start(&P, 0, DNSWIRE_MAX_MX + 1, 0, "many.test");
    for (i = 0; i <= DNSWIRE_MAX_MX; i++)
        pkt_mx(&P, "many.test", 60, (unsigned)i, "mx.many.test");
    is_int(parse(), -1, "more than DNSWIRE_MAX_MX records refused");
    ok(strstr(err, "too many") != NULL, "error says why: %s", err);
    pkt_start(&P, 0, 1, 0, "x.test");
    pkt_mx(&P, "x.test", 60, 1, "mx.test");
    P.b[P.n - 9] = 0x40; /* extended label type where the exchange starts */
    is_int(parse(), -1, "extended label type refused");
}

/* Run the tests. */
int main(void)
{
    test_mx();
    test_negative();
    test_special();
    test_malformed();
    return done_testing();
}
