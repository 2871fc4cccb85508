/* addr.c - PLACEHOLDER, replaced by the codec work. */
#include "config.h"
#include "addr.h"
int addr_parse(const char *key, size_t len, char *buf, size_t bufsize, struct addr *out)
{
    return -1;
}
