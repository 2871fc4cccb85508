/* testutil.h - small helpers shared by the C tests and fuzz targets (header only). */
#ifndef POLICYD_TESTUTIL_H
#define POLICYD_TESTUTIL_H

#include <stdio.h>
#include <string.h>

#include "addr.h"

/* Fill an addr over the NUL-terminated key s, already normalised by hand, as addr.c would. */
static void __attribute__((unused)) test_key(const char *s, struct addr *a)
{
    const char *at = strrchr(s, '@');

    memset(a, 0, sizeof(*a));
    if (strcmp(s, "*") == 0) {
        a->wildcard = 1;
        return;
    }
    if (at != NULL) {
        a->address = s;
        a->address_len = strlen(s);
        a->local = s;
        a->local_len = (size_t)(at - s);
        a->domain = at + 1;
    } else {
        a->domain = s;
    }
    a->domain_len = strlen(a->domain);
}

/* Read a whole small file into buf (NUL-terminated); its length, or -1. */
static long __attribute__((unused)) test_read_file(const char *path, char *buf, size_t size)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (f == NULL)
        return -1;
    n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    return (long)n;
}

#endif
