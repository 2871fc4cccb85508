/* netstring.c - PLACEHOLDER, replaced by the codec work. */
#include "config.h"
#include "netstring.h"
int netstring_decode(const char *buf, size_t len, size_t max, const char **payload,
                     size_t *payload_len, size_t *consumed, const char **why)
{
    *why = "not implemented";
    return NETSTRING_ERROR;
}
size_t netstring_encode(char *dst, size_t dstsize, const char *data, size_t len)
{
    return 0;
}
