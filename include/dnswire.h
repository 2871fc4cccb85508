/* dnswire.h - the answer to an MX query, read from its DNS wire format (pure). */
#ifndef POLICYD_DNSWIRE_H
#define POLICYD_DNSWIRE_H

#include <stddef.h>
#include <stdint.h>

/* At most this many MX records are kept; an answer with more is refused (-1). */
#define DNSWIRE_MAX_MX 64
/* A host name in text form: 255 wire bytes, each at most "\DDD", plus the NUL. */
#define DNSWIRE_HOST_MAX 1024

/* What an answer says about the domain's mail. */
enum dnswire_kind {
    DNSWIRE_MX,       /* MX records: hosts[] holds them */
    DNSWIRE_NULLMX,   /* an MX record with the root as exchange (RFC 7505): takes no mail */
    DNSWIRE_NODATA,   /* the name exists without MX records: implicit MX (RFC 5321) */
    DNSWIRE_NXDOMAIN, /* the name does not exist */
    DNSWIRE_ERROR     /* any other RCODE (SERVFAIL, REFUSED, ...): rcode says which */
};

struct dnswire_host {
    uint16_t pref;
    char name[DNSWIRE_HOST_MAX]; /* lowercase, no trailing dot, NUL-terminated */
};

struct dnswire_answer {
    enum dnswire_kind kind;
    int rcode;
    /*
     * Seconds the answer may be cached: the smallest TTL of the MX records and of the
     * CNAMEs that led to them; for NODATA/NXDOMAIN min(SOA TTL, SOA MINIMUM) (RFC 2308).
     * has_ttl is 0 when the answer carries none (a negative answer without SOA, an error).
     * A TTL with its top bit set counts as 0 (RFC 2181 8).
     */
    uint32_t ttl;
    int has_ttl;
    size_t count; /* MX records in hosts[], in answer order (DNSWIRE_MX only) */
    struct dnswire_host hosts[DNSWIRE_MAX_MX];
};

/*
 * Read the response pkt[0..len) to an MX query of class IN. The question's name is
 * followed through the CNAMEs of the answer section (at most 8); MX records of the
 * final name count. Bytes in a host name other than letters, digits, '-' and '_'
 * (and a '.' inside a label) are written as \DDD, so such a name can never equal a
 * pattern. Returns 0 and fills *out, or -1 for a malformed or unusable packet
 * (truncated, compression loop, not a response, more than DNSWIRE_MAX_MX MX
 * records) with a message in err.
 */
int dnswire_parse_mx(const unsigned char *pkt, size_t len, struct dnswire_answer *out, char *err,
                     size_t errlen);

/* Name of a kind, for logs: "MX", "null MX", "NODATA", "NXDOMAIN", "error". */
const char *dnswire_kind_name(enum dnswire_kind kind);

#endif
