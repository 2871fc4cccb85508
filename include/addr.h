/* addr.h - lookup key normalisation (pure). */
#ifndef POLICYD_ADDR_H
#define POLICYD_ADDR_H

#include <stddef.h>

/*
 * A normalised lookup key. All pointers point into the caller's buffer given to
 * addr_parse and are NOT NUL-terminated: always use the lengths.
 */
struct addr {
    const char *address; /* "local@domain", lowercased, extension removed; NULL for a bare domain */
    size_t address_len;
    const char *local; /* local part, unquoted, lowercased, extension removed (inside address) */
    size_t local_len;
    const char *domain; /* lowercased, trailing dot removed (inside address, or alone) */
    size_t domain_len;
    int wildcard; /* the key was exactly "*" (Postfix's wildcard probe); nothing else set */
};

/*
 * Normalise key[0..len) the way rules and overrides compare it:
 *  - ASCII lowercase everything;
 *  - the domain is what follows the last '@' (or the whole key without one),
 *    with one trailing dot removed;
 *  - a quoted local part ("x y"@dom) is unquoted (backslash escapes resolved);
 *  - the extension is removed from the local part: from the first '+' on, unless
 *    '+' is its first character;
 *  - spaces are kept as they are (a key may contain spaces).
 * buf must hold at least len + 1 bytes. Returns 0, or -1 when the key cannot name a
 * recipient (empty key, empty domain, too long for buf, NUL byte).
 */
int addr_parse(const char *key, size_t len, char *buf, size_t bufsize, struct addr *out);

#endif
