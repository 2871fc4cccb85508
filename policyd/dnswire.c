/*
 * dnswire.c - the answer to an MX query, read from its DNS wire format (pure).
 *
 * Choices the specification left open:
 *  - A root exchange ("MX 0 .") anywhere in the MX set makes the domain a null MX
 *    domain, whatever the other records say (RFC 7505 forbids mixing them; taking the
 *    side that sends no mail is what a sender that honours RFC 7505 does).
 *  - A negative answer's lifetime is min(SOA TTL, SOA MINIMUM) (RFC 2308 section 5),
 *    also bounded by the TTLs of the CNAMEs that led to it.
 *  - Compression pointers are followed at most DNSWIRE_MAX_JUMPS times per name and a
 *    name is at most 255 wire bytes, so no packet can loop the reader.
 *  - Only the question, answer and authority sections are read (a packet cut short
 *    inside them is refused); the additional section is never trusted (nor needed).
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "dnswire.h"

#define DNSWIRE_HEADER 12
#define DNSWIRE_NAME_MAX 255
#define DNSWIRE_MAX_JUMPS 64
#define DNSWIRE_MAX_CNAMES 8
#define DNSWIRE_TYPE_CNAME 5
#define DNSWIRE_TYPE_SOA 6
#define DNSWIRE_TYPE_MX 15
#define DNSWIRE_CLASS_IN 1

/* One resource record as it sits in the packet. */
struct dnswire_rr {
    unsigned char owner[DNSWIRE_NAME_MAX]; /* lowercase wire form, ends with the root label */
    size_t owner_len;
    uint16_t type, rclass;
    uint32_t ttl;
    size_t rdata, rdlen; /* offset and length of the data inside the packet */
};

/* Read a big-endian 16-bit value at p. */
static uint16_t dnswire_u16(const unsigned char *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Read a big-endian 32-bit value at p. */
static uint32_t dnswire_u32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A TTL as a cache may use it: one with the top bit set counts as 0 (RFC 2181 8). */
static uint32_t dnswire_ttl(uint32_t ttl)
{
    return ttl > 0x7fffffffu ? 0 : ttl;
}

/* Copy a message into err (errlen may be 0). */
static int dnswire_fail(char *err, size_t errlen, const char *msg)
{
    if (errlen > 0)
        snprintf(err, errlen, "%s", msg);
    return -1;
}

/*
 * Read the name at *pos (inside pkt[0..end)) into name as lowercase wire form and move
 * *pos past it (past the first pointer when compressed). Pointers may point anywhere
 * in the whole packet pkt[0..len). 0 or -1.
 */
static int dnswire_name(const unsigned char *pkt, size_t len, size_t end, size_t *pos,
                        unsigned char *name, size_t *name_len)
{
    size_t p = *pos, n = 0, i, limit = end;
    int jumps = 0, jumped = 0;

    for (;;) {
        unsigned c;

        if (p >= limit)
            return -1;
        c = pkt[p];
        if ((c & 0xc0) == 0xc0) {
            if (p + 1 >= limit || ++jumps > DNSWIRE_MAX_JUMPS)
                return -1;
            if (!jumped)
                *pos = p + 2;
            jumped = 1;
            p = (size_t)(c & 0x3f) << 8 | pkt[p + 1];
            limit = len;
            continue;
        }
        if (c & 0xc0)
            return -1; /* 0x40 and 0x80: extended label types, obsolete */
        if (n + 1 + c > DNSWIRE_NAME_MAX || p + 1 + c > limit)
            return -1;
        name[n++] = (unsigned char)c;
        for (i = 0; i < c; i++) {
            unsigned char b = pkt[p + 1 + i];
            name[n++] = b >= 'A' && b <= 'Z' ? (unsigned char)(b - 'A' + 'a') : b;
        }
        p += 1 + c;
        if (c == 0)
            break;
    }
    if (!jumped)
        *pos = p;
    *name_len = n;
    return 0;
}

/* Write the wire name as text (see dnswire.h for the escapes) into out[0..DNSWIRE_HOST_MAX). */
static void dnswire_text(const unsigned char *name, size_t name_len, char *out)
{
    size_t p = 0, o = 0;

    while (p < name_len && name[p] != 0) {
        size_t c = name[p++], i;

        if (o > 0)
            out[o++] = '.';
        for (i = 0; i < c; i++, p++) {
            unsigned char b = name[p];

            if ((b >= 'a' && b <= 'z') || (b >= '0' && b <= '9') || b == '-' || b == '_') {
                out[o++] = (char)b;
            } else {
                /* 255 wire bytes give at most 1020 text bytes: always fits. */
                snprintf(out + o, 5, "\\%03u", b);
                o += 4;
            }
        }
    }
    out[o] = '\0';
}

/* Read the resource record at *pos into rr and move *pos past it. 0 or -1. */
static int dnswire_read_rr(const unsigned char *pkt, size_t len, size_t *pos, struct dnswire_rr *rr)
{
    if (dnswire_name(pkt, len, len, pos, rr->owner, &rr->owner_len) < 0)
        return -1;
    if (len - *pos < 10)
        return -1;
    rr->type = dnswire_u16(pkt + *pos);
    rr->rclass = dnswire_u16(pkt + *pos + 2);
    rr->ttl = dnswire_ttl(dnswire_u32(pkt + *pos + 4));
    rr->rdlen = dnswire_u16(pkt + *pos + 8);
    rr->rdata = *pos + 10;
    if (rr->rdlen > len - rr->rdata)
        return -1;
    *pos = rr->rdata + rr->rdlen;
    return 0;
}

/* Is the record an IN record of this type owned by name? */
static int dnswire_rr_is(const struct dnswire_rr *rr, uint16_t type, const unsigned char *name,
                         size_t name_len)
{
    return rr->type == type && rr->rclass == DNSWIRE_CLASS_IN && rr->owner_len == name_len &&
           memcmp(rr->owner, name, name_len) == 0;
}

/*
 * Follow the CNAMEs of the answer section (records an_start.. , ancount of them) from
 * name, replacing it with the final target and lowering *ttl by each CNAME's TTL. 0 or -1.
 */
static int dnswire_follow(const unsigned char *pkt, size_t len, size_t an_start, unsigned ancount,
                          unsigned char *name, size_t *name_len, uint32_t *ttl)
{
    struct dnswire_rr rr;
    int hops;

    for (hops = 0; hops <= DNSWIRE_MAX_CNAMES; hops++) {
        size_t pos = an_start, rd;
        unsigned i;
        int found = 0;

        for (i = 0; i < ancount && !found; i++) {
            if (dnswire_read_rr(pkt, len, &pos, &rr) < 0)
                return -1;
            found = dnswire_rr_is(&rr, DNSWIRE_TYPE_CNAME, name, *name_len);
        }
        if (!found)
            return 0;
        if (hops == DNSWIRE_MAX_CNAMES)
            return -1;
        rd = rr.rdata;
        if (dnswire_name(pkt, len, rr.rdata + rr.rdlen, &rd, name, name_len) < 0)
            return -1;
        if (rr.ttl < *ttl)
            *ttl = rr.ttl;
    }
    return -1;
}

/* Collect the MX records of name from the answer section into out. 0 or -1 (err set). */
static int dnswire_collect(const unsigned char *pkt, size_t len, size_t an_start, unsigned ancount,
                           const unsigned char *name, size_t name_len, uint32_t *ttl,
                           struct dnswire_answer *out, char *err, size_t errlen)
{
    unsigned char host[DNSWIRE_NAME_MAX];
    struct dnswire_rr rr;
    size_t pos = an_start, rd, host_len;
    unsigned i;
    int null_mx = 0;

    for (i = 0; i < ancount; i++) {
        if (dnswire_read_rr(pkt, len, &pos, &rr) < 0)
            return dnswire_fail(err, errlen, "malformed answer record");
        if (!dnswire_rr_is(&rr, DNSWIRE_TYPE_MX, name, name_len))
            continue;
        rd = rr.rdata + 2;
        if (rr.rdlen < 3 || dnswire_name(pkt, len, rr.rdata + rr.rdlen, &rd, host, &host_len) < 0 ||
            rd != rr.rdata + rr.rdlen)
            return dnswire_fail(err, errlen, "malformed MX record");
        if (out->count == DNSWIRE_MAX_MX)
            return dnswire_fail(err, errlen, "too many MX records");
        if (host_len == 1)
            null_mx = 1;
        out->hosts[out->count].pref = dnswire_u16(pkt + rr.rdata);
        dnswire_text(host, host_len, out->hosts[out->count].name);
        out->count++;
        if (rr.ttl < *ttl)
            *ttl = rr.ttl;
    }
    if (out->count > 0)
        out->kind = null_mx ? DNSWIRE_NULLMX : DNSWIRE_MX;
    return 0;
}

/*
 * Find the first IN SOA record of the authority section (nscount records from
 * ns_start) and lower *ttl to min(its TTL, its MINIMUM). 1 found, 0 none, -1 malformed.
 */
static int dnswire_soa(const unsigned char *pkt, size_t len, size_t ns_start, unsigned nscount,
                       uint32_t *ttl)
{
    unsigned char skip[DNSWIRE_NAME_MAX];
    struct dnswire_rr rr;
    size_t pos = ns_start, rd, skip_len, end;
    unsigned i;
    uint32_t minimum;

    for (i = 0; i < nscount; i++) {
        if (dnswire_read_rr(pkt, len, &pos, &rr) < 0)
            return -1;
        if (rr.type != DNSWIRE_TYPE_SOA || rr.rclass != DNSWIRE_CLASS_IN)
            continue;
        rd = rr.rdata;
        end = rr.rdata + rr.rdlen;
        if (dnswire_name(pkt, len, end, &rd, skip, &skip_len) < 0 ||
            dnswire_name(pkt, len, end, &rd, skip, &skip_len) < 0 || end - rd != 20)
            return -1;
        minimum = dnswire_ttl(dnswire_u32(pkt + rd + 16));
        if (rr.ttl < *ttl)
            *ttl = rr.ttl;
        if (minimum < *ttl)
            *ttl = minimum;
        return 1;
    }
    return 0;
}

/* Read an MX response; see dnswire.h. */
int dnswire_parse_mx(const unsigned char *pkt, size_t len, struct dnswire_answer *out, char *err,
                     size_t errlen)
{
    unsigned char name[DNSWIRE_NAME_MAX];
    struct dnswire_rr rr;
    size_t pos = DNSWIRE_HEADER, name_len, an_start, ns_start;
    unsigned qdcount, ancount, nscount, i;
    uint32_t ttl = UINT32_MAX;
    int soa;

    out->kind = DNSWIRE_ERROR;
    out->rcode = 0;
    out->ttl = 0;
    out->has_ttl = 0;
    out->count = 0;
    if (len < DNSWIRE_HEADER)
        return dnswire_fail(err, errlen, "packet shorter than a DNS header");
    if (!(pkt[2] & 0x80))
        return dnswire_fail(err, errlen, "not a response");
    out->rcode = pkt[3] & 0x0f;
    qdcount = dnswire_u16(pkt + 4);
    ancount = dnswire_u16(pkt + 6);
    nscount = dnswire_u16(pkt + 8);
    if (qdcount != 1)
        return dnswire_fail(err, errlen, "not exactly one question");
    if (dnswire_name(pkt, len, len, &pos, name, &name_len) < 0 || len - pos < 4)
        return dnswire_fail(err, errlen, "malformed question");
    if (dnswire_u16(pkt + pos) != DNSWIRE_TYPE_MX || dnswire_u16(pkt + pos + 2) != DNSWIRE_CLASS_IN)
        return dnswire_fail(err, errlen, "not the answer to an MX query");
    an_start = pos + 4;
    pos = an_start;
    for (i = 0; i < ancount; i++)
        if (dnswire_read_rr(pkt, len, &pos, &rr) < 0)
            return dnswire_fail(err, errlen, "malformed answer record");
    ns_start = pos;
    for (i = 0; i < nscount; i++)
        if (dnswire_read_rr(pkt, len, &pos, &rr) < 0)
            return dnswire_fail(err, errlen, "malformed authority record");
    if (out->rcode != 0 && out->rcode != 3)
        return 0;
    if (dnswire_follow(pkt, len, an_start, ancount, name, &name_len, &ttl) < 0)
        return dnswire_fail(err, errlen, "malformed or too long CNAME chain");
    if (dnswire_collect(pkt, len, an_start, ancount, name, name_len, &ttl, out, err, errlen) < 0)
        return -1;
    if (out->count == 0) {
        out->kind = out->rcode == 3 ? DNSWIRE_NXDOMAIN : DNSWIRE_NODATA;
        soa = dnswire_soa(pkt, len, ns_start, nscount, &ttl);
        if (soa < 0)
            return dnswire_fail(err, errlen, "malformed authority record");
        if (soa == 0)
            return 0;
    }
    out->ttl = ttl;
    out->has_ttl = 1;
    return 0;
}

/* Name of a kind, for logs. */
const char *dnswire_kind_name(enum dnswire_kind kind)
{
    switch (kind) {
    case DNSWIRE_MX:
        return "MX";
    case DNSWIRE_NULLMX:
        return "null MX";
    case DNSWIRE_NODATA:
        return "NODATA";
    case DNSWIRE_NXDOMAIN:
        return "NXDOMAIN";
    case DNSWIRE_ERROR:
        break;
    }
    return "error";
}
