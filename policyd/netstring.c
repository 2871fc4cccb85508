/* netstring.c - netstring codec (pure: no I/O, works on pointer and length). */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include "netstring.h"

/* Longest length header we ever parse: SIZE_MAX has at most 20 decimal digits. */
#define NETSTRING_MAX_DIGITS 20

/* Parse the length header; -1 error, 0 need more, 1 done (*hdr = digits + colon). */
static int netstring_header(const char *buf, size_t len, size_t max, size_t *value, size_t *hdr,
                            const char **why)
{
    size_t i, n = 0;

    if (len == 0)
        return NETSTRING_NEED_MORE;
    if (buf[0] == ':') {
        *why = "netstring: empty length";
        return NETSTRING_ERROR;
    }
    for (i = 0; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
        size_t d = (size_t)(buf[i] - '0');

        if (i == 1 && buf[0] == '0') {
            *why = "netstring: leading zero in length";
            return NETSTRING_ERROR;
        }
        /* Without leading zeros the value only grows, so stop as soon as it passes max. */
        if (n > (SIZE_MAX - d) / 10 || n * 10 + d > max) {
            *why = "netstring: length over the limit";
            return NETSTRING_ERROR;
        }
        n = n * 10 + d;
    }
    if (i == len)
        return NETSTRING_NEED_MORE;
    if (buf[i] != ':') {
        *why = i == 0 ? "netstring: length is not a number" : "netstring: bad character in length";
        return NETSTRING_ERROR;
    }
    *value = n;
    *hdr = i + 1;
    return NETSTRING_COMPLETE;
}

/* Decode one netstring at the start of buf; see netstring.h. */
int netstring_decode(const char *buf, size_t len, size_t max, const char **payload,
                     size_t *payload_len, size_t *consumed, const char **why)
{
    size_t n = 0, hdr = 0;
    int rc = netstring_header(buf, len, max, &n, &hdr, why);

    if (rc != NETSTRING_COMPLETE)
        return rc;
    /* hdr <= len here, and n <= len - hdr is tested before n + 1 is used. */
    if (len - hdr <= n)
        return NETSTRING_NEED_MORE;
    if (buf[hdr + n] != ',') {
        *why = "netstring: missing comma";
        return NETSTRING_ERROR;
    }
    *payload = buf + hdr;
    *payload_len = n;
    *consumed = hdr + n + 1;
    return NETSTRING_COMPLETE;
}

/* Encode data as a netstring into dst when it fits; returns the bytes needed. */
size_t netstring_encode(char *dst, size_t dstsize, const char *data, size_t len)
{
    return netstring_encode2(dst, dstsize, data, len, NULL, 0);
}

/* Encode the concatenation a + b as one netstring when it fits; returns the bytes needed. */
size_t netstring_encode2(char *dst, size_t dstsize, const char *a, size_t alen, const char *b,
                         size_t blen)
{
    char digits[NETSTRING_MAX_DIGITS];
    size_t ndigits = 0, need, len, v;

    if (alen > SIZE_MAX - blen)
        return SIZE_MAX;
    len = v = alen + blen;
    do {
        digits[ndigits++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0);
    if (len > SIZE_MAX - ndigits - 2)
        return SIZE_MAX;
    need = ndigits + 1 + len + 1;
    if (need > dstsize)
        return need;
    for (v = 0; v < ndigits; v++)
        dst[v] = digits[ndigits - 1 - v];
    dst[ndigits] = ':';
    if (alen > 0)
        memcpy(dst + ndigits + 1, a, alen);
    if (blen > 0)
        memcpy(dst + ndigits + 1 + alen, b, blen);
    dst[need - 1] = ',';
    return need;
}
