/*
 * fuzz_addr.c - fuzz target for key normalisation. Parses the input as a key and
 * aborts when an invariant breaks: outputs inside the buffer, no uppercase ASCII,
 * address = local '@' domain, the domain derived from the key's last '@', a
 * buffer one byte short refused.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Abort unless p[0..len) lies inside buf[0..size) and holds no uppercase ASCII. */
static void fuzz_addr_span(const char *buf, size_t size, const char *p, size_t len)
{
    size_t i;

    if (p < buf || p > buf + size || len > size - (size_t)(p - buf))
        abort();
    for (i = 0; i < len; i++)
        if (p[i] >= 'A' && p[i] <= 'Z')
            abort();
}

/* Abort unless the domain is the key's text after its last '@', lowercased, one dot off. */
static void fuzz_addr_domain(const char *key, size_t len, const struct addr *a)
{
    size_t start = len, n, i;

    while (start > 0 && key[start - 1] != '@')
        start--;
    n = len - start;
    if (n > 0 && key[len - 1] == '.')
        n--;
    if (a->domain_len != n)
        abort();
    for (i = 0; i < n; i++) {
        char c = key[start + i];

        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (a->domain[i] != c)
            abort();
    }
}

/* Check the outputs of one successful parse. */
static void fuzz_addr_check(const char *key, size_t len, const char *buf, const struct addr *a)
{
    if (a->wildcard) {
        if (len != 1 || key[0] != '*' || a->address || a->local || a->domain)
            abort();
        return;
    }
    if (a->domain == NULL || a->domain_len == 0)
        abort();
    fuzz_addr_span(buf, len, a->domain, a->domain_len);
    fuzz_addr_domain(key, len, a);
    if (a->address == NULL) {
        if (a->address_len || a->local || a->local_len)
            abort();
        return;
    }
    fuzz_addr_span(buf, len, a->address, a->address_len);
    if (a->local != a->address || a->local_len == 0 ||
        a->address_len != a->local_len + 1 + a->domain_len || a->address[a->local_len] != '@' ||
        a->domain != a->address + a->local_len + 1)
        abort();
}

/* libFuzzer entry point. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *key = (const char *)data;
    char *buf = malloc(size + 1);
    struct addr a;
    int rc;

    if (buf == NULL)
        abort();
    rc = addr_parse(key, size, buf, size + 1, &a);
    if (rc == 0)
        fuzz_addr_check(key, size, buf, &a);
    else if (a.address || a.local || a.domain || a.wildcard)
        abort();
    if ((size == 0 || memchr(key, '\0', size) != NULL) && rc != -1)
        abort();
    if (addr_parse(key, size, buf, size, &a) != -1)
        abort();
    free(buf);
    return 0;
}
