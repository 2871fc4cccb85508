/*
 * fuzz_dnswire.c - fuzz target for the MX answer reader. Any bytes in; aborts when an
 * invariant breaks: the kind agrees with the RCODE and the record count, every host
 * name is lowercase letters, digits, '-', '_', '.' and \DDD escapes, and a TTL is
 * one that the packet really holds (or 0 for a TTL with its top bit set).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnswire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless name is a host name as dnswire writes it. */
static void fuzz_dnswire_host(const char *name)
{
    size_t i, n = strnlen(name, DNSWIRE_HOST_MAX);

    if (n == DNSWIRE_HOST_MAX)
        abort();
    for (i = 0; i < n; i++) {
        char c = name[i];

        if (c == '\\') {
            if (i + 3 >= n + 1 || name[i + 1] < '0' || name[i + 1] > '2' || name[i + 2] < '0' ||
                name[i + 2] > '9' || name[i + 3] < '0' || name[i + 3] > '9')
                abort();
            i += 3;
        } else if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
                     c == '.')) {
            abort();
        }
    }
}

/* Abort unless ttl is 0 or appears in data as a big-endian 32-bit value. */
static void fuzz_dnswire_ttl(const uint8_t *data, size_t size, uint32_t ttl)
{
    size_t i;

    if (ttl > 0x7fffffffu)
        abort();
    if (ttl == 0)
        return;
    for (i = 0; i + 4 <= size; i++)
        if (((uint32_t)data[i] << 24 | (uint32_t)data[i + 1] << 16 | (uint32_t)data[i + 2] << 8 |
             data[i + 3]) == ttl)
            return;
    abort();
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dnswire_answer a;
    char err[128];
    size_t i;

    if (dnswire_parse_mx(data, size, &a, err, sizeof(err)) < 0) {
        if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0')
            abort();
        return 0;
    }
    if (a.count > DNSWIRE_MAX_MX ||
        (a.count > 0) != (a.kind == DNSWIRE_MX || a.kind == DNSWIRE_NULLMX))
        abort();
    if ((a.kind == DNSWIRE_ERROR) != (a.rcode != 0 && a.rcode != 3))
        abort();
    if (a.kind == DNSWIRE_NXDOMAIN && a.rcode != 3)
        abort();
    if ((a.kind == DNSWIRE_MX || a.kind == DNSWIRE_NULLMX) && !a.has_ttl)
        abort();
    if (a.kind == DNSWIRE_ERROR && a.has_ttl)
        abort();
    if (a.has_ttl)
        fuzz_dnswire_ttl(data, size, a.ttl);
    for (i = 0; i < a.count; i++)
        fuzz_dnswire_host(a.hosts[i].name);
    return 0;
}
