/* endpoint.h - endpoint and network syntax (inet:, tcp:, unix:, CIDR), shared by every program. */
#ifndef POLICYD_ENDPOINT_H
#define POLICYD_ENDPOINT_H

#include <stddef.h>

#define ENDPOINT_HOST_MAX 253 /* a host name or address */
#define ENDPOINT_PATH_MAX 107 /* a unix socket path (sun_path less its NUL) */

/* A listen, metrics or Redis endpoint, split. */
struct endpoint {
    int is_unix;                      /* 1: unix:PATH, 0: inet/tcp */
    char host[ENDPOINT_HOST_MAX + 1]; /* inet: address or host name, without brackets */
    unsigned port;                    /* inet: 1..65535 */
    char path[ENDPOINT_PATH_MAX + 1]; /* unix: absolute path */
};

/*
 * Split and check an endpoint: "SCHEME:HOST:PORT", "SCHEME:[IPV6]:PORT" or
 * "unix:/PATH", where SCHEME is inet_scheme ("inet" for listen, "tcp" for redis).
 * HOST is an IPv4 address, a bracketed IPv6 address or a host name (letters, digits,
 * '-', '.'; resolved later, never here). Returns 0, or -1 with a reason in err.
 */
int endpoint_parse(const char *s, const char *inet_scheme, struct endpoint *ep, char *err,
                   size_t errsize);

/*
 * Parse an address or network: "192.0.2.1", "192.0.2.0/24", "::1", "2001:db8::/32",
 * or an IPv6 address in brackets ("[::1]/128"). No prefix means a host (32 or 128).
 * Fills *family (AF_INET or AF_INET6), addr (4 or 16 bytes in network order, host
 * bits past the prefix cleared), *prefix, and *hostbits (1 when such bits were set).
 * Returns 0, or -1 on any syntax error.
 */
int endpoint_parse_cidr(const char *s, int *family, unsigned char addr[16], unsigned *prefix,
                        int *hostbits);

#endif
