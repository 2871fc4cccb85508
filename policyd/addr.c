/* addr.c - lookup key normalisation (pure). */
#include "config.h"

#include <string.h>

#include "addr.h"

/* ASCII-only lowercase: bytes outside A-Z (UTF-8 included) pass unchanged. */
static char addr_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Find the last '@' in s[0..len); NULL when there is none. */
static const char *addr_last_at(const char *s, size_t len)
{
    while (len > 0) {
        len--;
        if (s[len] == '@')
            return s + len;
    }
    return NULL;
}

/*
 * Is local[0..len) one quoted string ("...") as a whole? Only then is it unquoted:
 * a quote anywhere else is an ordinary character, so Postfix's external form
 * ("x y"@dom) and its internal form (x y@dom) normalise to the same key.
 */
static int addr_is_quoted(const char *local, size_t len)
{
    size_t i;

    if (len < 2 || local[0] != '"')
        return 0;
    for (i = 1; i < len; i++) {
        if (local[i] == '\\')
            i++; /* skip the escaped byte, whatever it is */
        else if (local[i] == '"')
            return i == len - 1;
    }
    return 0;
}

/* Copy the local part to dst, lowercased and unquoted when quoted; returns its length. */
static size_t addr_copy_local(char *dst, const char *local, size_t len)
{
    size_t i, n = 0;

    if (!addr_is_quoted(local, len)) {
        for (i = 0; i < len; i++)
            dst[n++] = addr_lower(local[i]);
        return n;
    }
    for (i = 1; i < len - 1; i++) {
        if (local[i] == '\\')
            i++; /* addr_is_quoted guarantees the escaped byte is before the closing quote */
        dst[n++] = addr_lower(local[i]);
    }
    return n;
}

/*
 * Length of the local part without its extension: cut at the first '+', but, as
 * Postfix does, leave a local part that starts with '+' whole.
 */
static size_t addr_strip_extension(const char *local, size_t len)
{
    const char *plus = memchr(local, '+', len);

    if (plus == NULL || plus == local)
        return len;
    return (size_t)(plus - local);
}

/* Normalise key[0..len) into buf; see addr.h. */
int addr_parse(const char *key, size_t len, char *buf, size_t bufsize, struct addr *out)
{
    const char *at, *dom;
    char *d;
    size_t dom_len, local_len = 0, i;

    memset(out, 0, sizeof(*out));
    if (len == 0 || bufsize <= len || memchr(key, '\0', len) != NULL)
        return -1;
    if (len == 1 && key[0] == '*') {
        out->wildcard = 1;
        return 0;
    }
    at = addr_last_at(key, len);
    dom = at ? at + 1 : key;
    dom_len = len - (size_t)(dom - key);
    if (dom_len > 0 && dom[dom_len - 1] == '.')
        dom_len--;
    if (dom_len == 0)
        return -1;
    if (at != NULL) {
        local_len = addr_copy_local(buf, key, (size_t)(at - key));
        local_len = addr_strip_extension(buf, local_len);
    }
    /* Unquoting and stripping only shorten the local part: local@domain fits in len. */
    d = buf;
    if (local_len > 0) {
        buf[local_len] = '@';
        d = buf + local_len + 1;
        out->address = buf;
        out->address_len = local_len + 1 + dom_len;
        out->local = buf;
        out->local_len = local_len;
    }
    for (i = 0; i < dom_len; i++)
        d[i] = addr_lower(dom[i]);
    out->domain = d;
    out->domain_len = dom_len;
    return 0;
}
