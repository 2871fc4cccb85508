/*
 * endpoint.c - the syntax of endpoints and networks, shared by the configuration
 * (listen, redis), the server (binding, the allow list), the Redis client and
 * policyctl: "inet:HOST:PORT", "inet:[IPV6]:PORT", "tcp:..." for Redis,
 * "unix:/PATH", and ADDRESS[/PREFIX]. Pure: nothing is resolved or opened here.
 *
 * Decisions:
 *  - HOST is an IPv4 address in dotted quad, an IPv6 address in brackets, or a host
 *    name (labels of [A-Za-z0-9-], at most 63 bytes, not starting or ending in '-');
 *    an IPv6 address without brackets is refused with a hint.
 *  - Ports are 1..65535 in at most five digits ("025" is 25).
 *  - A unix path is absolute, at most ENDPOINT_PATH_MAX bytes (sun_path less its
 *    NUL), without white space or control characters.
 *  - A prefix has no leading zero ("/08" is refused); "[::1]/128" may bracket IPv6;
 *    an IPv4 address in brackets is refused. Host bits past the prefix are cleared
 *    and reported, so the configuration can warn about them.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "endpoint.h"

/* Parse s[0..len) as digits only into *out; 0, or -1 on anything else or overflow. */
static int endpoint_number(const char *s, size_t len, unsigned long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (len == 0 || len > 9)
        return -1;
    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (unsigned)(s[i] - '0');
    }
    *out = v;
    return 0;
}

/* Parse a port number 1..65535 from s[0..len); 0 or -1. */
static int endpoint_port(const char *s, size_t len, unsigned *port)
{
    unsigned long long v;

    if (len == 0 || len > 5 || endpoint_number(s, len, &v) < 0 || v < 1 || v > 65535)
        return -1;
    *port = (unsigned)v;
    return 0;
}

/* Whether s[0..len) is a syntactically valid host name (labels of [A-Za-z0-9-]). */
static int endpoint_is_hostname(const char *s, size_t len)
{
    size_t i, label = 0;

    if (len == 0 || len > ENDPOINT_HOST_MAX)
        return 0;
    for (i = 0; i < len; i++) {
        char ch = s[i];

        if (ch == '.') {
            if (label == 0 || s[i - 1] == '-')
                return 0;
            label = 0;
            continue;
        }
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '-'))
            return 0;
        if ((ch == '-' && label == 0) || ++label > 63)
            return 0;
    }
    return label > 0 && s[len - 1] != '-';
}

/* Check the host of an inet endpoint: IPv4 address or host name. */
static int endpoint_check_host(const char *host, size_t len, char *err, size_t errsize)
{
    char buf[ENDPOINT_HOST_MAX + 1];
    unsigned char bin[16];

    if (len == 0) {
        snprintf(err, errsize, "empty host");
        return -1;
    }
    if (len > ENDPOINT_HOST_MAX) {
        snprintf(err, errsize, "host longer than %d bytes", ENDPOINT_HOST_MAX);
        return -1;
    }
    memcpy(buf, host, len);
    buf[len] = '\0';
    if (strspn(buf, "0123456789.") == len) {
        if (inet_pton(AF_INET, buf, bin) != 1) {
            snprintf(err, errsize, "bad IPv4 address");
            return -1;
        }
        return 0;
    }
    if (!endpoint_is_hostname(buf, len)) {
        snprintf(err, errsize, "bad host name");
        return -1;
    }
    return 0;
}

/* Split and check the inet part "HOST:PORT" or "[IPV6]:PORT" of an endpoint. */
static int endpoint_inet(const char *s, struct endpoint *ep, char *err, size_t errsize)
{
    const char *host = s, *colon;
    size_t hlen;
    unsigned char bin[16];

    if (s[0] == '[') {
        const char *close = strchr(s, ']');

        if (close == NULL) {
            snprintf(err, errsize, "missing \"]\" after an IPv6 address");
            return -1;
        }
        host = s + 1;
        hlen = (size_t)(close - host);
        if (hlen > ENDPOINT_HOST_MAX)
            hlen = ENDPOINT_HOST_MAX;
        memcpy(ep->host, host, hlen);
        ep->host[hlen] = '\0';
        if (inet_pton(AF_INET6, ep->host, bin) != 1) {
            snprintf(err, errsize, "bad IPv6 address in brackets");
            return -1;
        }
        colon = close + 1;
        if (*colon != ':') {
            snprintf(err, errsize, "expected \":PORT\" after \"]\"");
            return -1;
        }
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL) {
            snprintf(err, errsize, "missing \":PORT\"");
            return -1;
        }
        hlen = (size_t)(colon - host);
        if (memchr(host, ':', hlen) != NULL) {
            snprintf(err, errsize, "an IPv6 address needs brackets: [ADDRESS]:PORT");
            return -1;
        }
        if (endpoint_check_host(host, hlen, err, errsize) < 0)
            return -1;
        memcpy(ep->host, host, hlen);
        ep->host[hlen] = '\0';
    }
    if (endpoint_port(colon + 1, strlen(colon + 1), &ep->port) < 0) {
        snprintf(err, errsize, "bad port (1..65535)");
        return -1;
    }
    return 0;
}

/* Split and check an endpoint (see endpoint.h). */
int endpoint_parse(const char *s, const char *inet_scheme, struct endpoint *ep, char *err,
                   size_t errsize)
{
    size_t slen = strlen(inet_scheme), i, plen;

    memset(ep, 0, sizeof(*ep));
    if (strncmp(s, "unix:", 5) == 0) {
        const char *path = s + 5;

        plen = strlen(path);
        if (path[0] != '/') {
            snprintf(err, errsize, "unix socket path must be absolute");
            return -1;
        }
        if (plen > ENDPOINT_PATH_MAX) {
            snprintf(err, errsize, "unix socket path longer than %d bytes", ENDPOINT_PATH_MAX);
            return -1;
        }
        for (i = 0; i < plen; i++) {
            if ((unsigned char)path[i] <= ' ' || path[i] == 0x7f) {
                snprintf(err, errsize, "unix socket path with white space or control characters");
                return -1;
            }
        }
        ep->is_unix = 1;
        memcpy(ep->path, path, plen + 1);
        return 0;
    }
    if (strncmp(s, inet_scheme, slen) == 0 && s[slen] == ':')
        return endpoint_inet(s + slen + 1, ep, err, errsize);
    snprintf(err, errsize, "expected %s:HOST:PORT, %s:[IPV6]:PORT or unix:/PATH", inet_scheme,
             inet_scheme);
    return -1;
}

/* Parse an address or network, also telling whether host bits past the prefix were set. */
int endpoint_parse_cidr(const char *s, int *family, unsigned char addr[16], unsigned *prefix,
                        int *hostbits)
{
    char buf[64];
    const char *slash;
    size_t alen;
    unsigned max, i;
    int bracketed = 0;

    if (s == NULL)
        return -1;
    slash = strchr(s, '/');
    alen = slash ? (size_t)(slash - s) : strlen(s);
    if (alen >= 2 && s[0] == '[' && s[alen - 1] == ']') {
        s++;
        alen -= 2;
        bracketed = 1;
    }
    if (alen == 0 || alen >= sizeof(buf))
        return -1;
    memcpy(buf, s, alen);
    buf[alen] = '\0';
    memset(addr, 0, 16);
    if (!bracketed && inet_pton(AF_INET, buf, addr) == 1) {
        *family = AF_INET;
        max = 32;
    } else if (inet_pton(AF_INET6, buf, addr) == 1) {
        *family = AF_INET6;
        max = 128;
    } else {
        return -1;
    }
    *prefix = max;
    if (slash != NULL) {
        unsigned long long v;
        size_t plen = strlen(slash + 1);

        if (plen == 0 || plen > 3 || (plen > 1 && slash[1] == '0') ||
            endpoint_number(slash + 1, plen, &v) < 0 || v > max)
            return -1;
        *prefix = (unsigned)v;
    }
    *hostbits = 0;
    for (i = *prefix; i < max; i++) {
        unsigned char bit = (unsigned char)(0x80u >> (i % 8));

        if (addr[i / 8] & bit) {
            *hostbits = 1;
            addr[i / 8] &= (unsigned char)~bit;
        }
    }
    return 0;
}
