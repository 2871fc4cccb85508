/* bproto.c - client-side wire codecs of the benchmark tools (pure, bounded). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "bproto.h"

/* Number of decimal digits of v (at least 1), to bound a length header. */
static size_t bproto_digits(size_t v)
{
    size_t n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }
    return n;
}

/*
 * Parse the unsigned decimal at buf[0..len) ended by `term`, at most `max`. Returns
 * COMPLETE with *value and *used (digits plus terminator), NEED_MORE or ERROR.
 */
static int bproto_parse_len(const char *buf, size_t len, size_t max, char term, size_t *value,
                            size_t *used)
{
    size_t maxdigits = bproto_digits(max);
    size_t v = 0;
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)buf[i];

        if (ch == (unsigned char)term) {
            if (i == 0)
                return BPROTO_ERROR;
            *value = v;
            *used = i + 1;
            return BPROTO_COMPLETE;
        }
        if (ch < '0' || ch > '9' || i >= maxdigits || (i == 1 && buf[0] == '0'))
            return BPROTO_ERROR;
        v = v * 10 + (size_t)(ch - '0');
        if (v > max)
            return BPROTO_ERROR;
    }
    return BPROTO_NEED_MORE;
}

int bproto_netstring_decode(const char *buf, size_t len, size_t max, const char **payload,
                            size_t *plen, size_t *consumed)
{
    size_t n, used;
    int rc = bproto_parse_len(buf, len, max, ':', &n, &used);

    if (rc != BPROTO_COMPLETE)
        return rc;
    /* n <= max and used is a handful of digits: no overflow in used + n + 1. */
    if (len - used < n + 1)
        return BPROTO_NEED_MORE;
    if (buf[used + n] != ',')
        return BPROTO_ERROR;
    *payload = buf + used;
    *plen = n;
    *consumed = used + n + 1;
    return BPROTO_COMPLETE;
}

int bproto_policy_reply_decode(const char *buf, size_t len, size_t max, const char **action,
                               size_t *alen, size_t *consumed)
{
    const char *end = NULL;
    const char *p, *eol;
    size_t i, total;

    if (len > 0 && buf[0] == '\n')
        return BPROTO_ERROR; /* an empty reply carries no action */
    for (i = 0; i + 1 < len && i + 1 < max; i++) {
        if (buf[i] == '\n' && buf[i + 1] == '\n') {
            end = buf + i + 1;
            break;
        }
    }
    if (end == NULL)
        return len >= max ? BPROTO_ERROR : BPROTO_NEED_MORE;
    total = (size_t)(end - buf) + 1;
    *action = NULL;
    for (p = buf; p < end; p = eol + 1) {
        eol = memchr(p, '\n', (size_t)(end - p));
        if (eol == NULL)
            return BPROTO_ERROR;
        if (memchr(p, '=', (size_t)(eol - p)) == NULL)
            return BPROTO_ERROR;
        if ((size_t)(eol - p) >= 7 && strncasecmp(p, "action=", 7) == 0) {
            *action = p + 7;
            *alen = (size_t)(eol - p) - 7;
        }
    }
    if (*action == NULL)
        return BPROTO_ERROR;
    *consumed = total;
    return BPROTO_COMPLETE;
}

/* Find CR LF in buf[0..len): index of the CR, or -1 when not (yet) there. */
static long bproto_find_crlf(const char *buf, size_t len)
{
    size_t i;

    for (i = 0; i + 1 < len; i++)
        if (buf[i] == '\r' && buf[i + 1] == '\n')
            return (long)i;
    return -1;
}

int bproto_resp_decode(const char *buf, size_t len, size_t max, enum bproto_resp_kind *kind,
                       const char **payload, size_t *plen, size_t *consumed)
{
    size_t n, used;
    long cr;
    int rc;

    if (len == 0)
        return BPROTO_NEED_MORE;
    switch (buf[0]) {
    case '+':
    case '-':
    case ':':
        cr = bproto_find_crlf(buf, len < max + 3 ? len : max + 3);
        if (cr < 0)
            return len >= max + 3 ? BPROTO_ERROR : BPROTO_NEED_MORE;
        *kind = buf[0] == '+'   ? BPROTO_RESP_STATUS
                : buf[0] == '-' ? BPROTO_RESP_ERROR
                                : BPROTO_RESP_INT;
        *payload = buf + 1;
        *plen = (size_t)cr - 1;
        *consumed = (size_t)cr + 2;
        return BPROTO_COMPLETE;
    case '$':
        if (len >= 2 && buf[1] == '-') {
            if (len < 5)
                return memcmp(buf, "$-1\r\n", len) == 0 ? BPROTO_NEED_MORE : BPROTO_ERROR;
            if (memcmp(buf, "$-1\r\n", 5) != 0)
                return BPROTO_ERROR;
            *kind = BPROTO_RESP_NIL;
            *payload = buf;
            *plen = 0;
            *consumed = 5;
            return BPROTO_COMPLETE;
        }
        rc = bproto_parse_len(buf + 1, len - 1, max, '\r', &n, &used);
        if (rc != BPROTO_COMPLETE)
            return rc;
        used += 1; /* the '$' */
        if (len - used < n + 3)
            return BPROTO_NEED_MORE;
        if (buf[used] != '\n' || buf[used + 1 + n] != '\r' || buf[used + 2 + n] != '\n')
            return BPROTO_ERROR;
        *kind = BPROTO_RESP_BULK;
        *payload = buf + used + 1;
        *plen = n;
        *consumed = used + n + 3;
        return BPROTO_COMPLETE;
    default:
        return BPROTO_ERROR;
    }
}

size_t bproto_netstring_encode(char *dst, size_t dstsize, const char *data, size_t len)
{
    size_t head = bproto_digits(len) + 1;
    size_t need = head + len + 1;
    char tmp[32];

    if (need > dstsize)
        return need;
    snprintf(tmp, sizeof(tmp), "%zu:", len);
    memcpy(dst, tmp, head);
    memcpy(dst + head, data, len);
    dst[head + len] = ',';
    return need;
}
